"""``python -m minidl.convert IN.pth OUT.safetensors``: a PyTorch state dict as a safetensors file.

Reads `IN` with ``minidl.load`` (a ``torch.save`` file in either format, or a safetensors
file; nothing is unpickled) and writes its tensors with ``minidl.save``: an ordinary
safetensors file that PyTorch (through the safetensors package), NumPy and minidl all read.
A training checkpoint that nests the weights (``{"model": state_dict, "epoch": 3}``) needs
``--key model``. Exit status 0 on success, 1 on a bad input (one line on stderr saying why),
2 on bad arguments. bfloat16 tensors are written as float32 (minidl holds them so).
``--torchvision`` also renames timm's VGG layout (``pre_logits.fc1``, ``pre_logits.fc2``,
``head.fc``) to torchvision's ``classifier.0/3/6``, reshaping fc6/fc7, so the file loads into any
torchvision-layout VGG.

IN is never replaced: OUT naming the same file by another path (``./keep.safetensors``, a
symlink, a hard link) is refused, compared as files (``os.path.samefile``), not as strings. IN
must be a regular file (a FIFO would block the read forever) and OUT not a folder.
"""
import argparse
import os
import stat
import sys

from .quoting import quote
from .serialization import CheckpointError, load, save
from .tensor import Tensor


def convert(src, dst, key=None, torchvision=False):
    """Write `src`'s state dict (or ``src[key]``) to the safetensors file `dst`; returns it.

    With `torchvision`, a timm-layout VGG state dict is renamed to torchvision's keys first.
    """
    _check_paths(src, dst)
    obj = load(src)
    where = src
    if key is not None:
        if key not in obj:
            raise CheckpointError(f"{src}: no key {quote(key)} at the top level (it has "
                                  f"{_names(obj)})")
        obj, where = obj[key], f"{src}[{quote(key)}]"
    if not (isinstance(obj, dict) and obj
            and all(isinstance(k, str) and isinstance(v, Tensor) for k, v in obj.items())):
        hint = (f"; pick the state dict inside with --key (top-level keys: {_names(obj)})"
                if isinstance(obj, dict) and obj else "")
        raise CheckpointError(f"{where} is not a flat state dict (str -> tensor){hint}")
    if torchvision:
        from .models.pretrained import from_timm, layout
        if layout(obj) == "timm":
            obj = {k: v if isinstance(v, Tensor) else Tensor(v)
                   for k, v in from_timm(obj, where).items()}
    save(dict(obj), dst)
    return obj


class SameFileError(ValueError):
    """OUT is IN under another name: writing it would destroy the input."""


def _check_paths(src, dst):
    """IN a regular file, OUT not IN (as files: links and ``./`` spellings count) nor a folder."""
    st = os.stat(src)   # FileNotFoundError names src
    if not stat.S_ISREG(st.st_mode):
        raise CheckpointError(f"{src}: not a regular file (a folder, FIFO or device); IN must "
                              "be a checkpoint file")
    if os.path.isdir(dst):
        raise CheckpointError(f"OUT {dst} is a folder; give the file to write, e.g. "
                              f"{os.path.join(dst, 'model.safetensors')}")
    if os.path.lexists(dst) and os.path.exists(dst) and os.path.samefile(src, dst):
        raise SameFileError(f"IN and OUT are the same file ({src} and {dst}); writing OUT "
                            "would replace the input: pick another name")


def _names(obj):
    keys = [quote(k, 60) for k in obj][:8]
    return ", ".join(keys) + (", ..." if len(obj) > 8 else "")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m minidl.convert",
                                     description="Convert a PyTorch .pth/.pt state dict into "
                                                 "a safetensors file, without pickle or torch.")
    parser.add_argument("src", metavar="IN", help="a torch.save file (.pth/.pt) or safetensors")
    parser.add_argument("dst", metavar="OUT", help="the safetensors file to write")
    parser.add_argument("--key", help="take the state dict at this top-level key of a "
                                      "checkpoint (e.g. model, state_dict)")
    parser.add_argument("--torchvision", action="store_true",
                        help="rename timm's VGG keys to torchvision's (minidl's) layout")
    args = parser.parse_args(argv)
    try:
        sd = convert(args.src, args.dst, args.key, args.torchvision)
    except SameFileError as e:
        parser.error(str(e))
    except (CheckpointError, OSError, TypeError, ValueError) as e:
        message = e.strerror if isinstance(e, OSError) and e.strerror else e
        where = getattr(e, "filename", None)
        print(f"minidl.convert: error: {f'{where}: ' if where else ''}{message}",
              file=sys.stderr)
        return 1
    nbytes = sum(t.data.nbytes for t in sd.values())
    renamed = " in torchvision's keys" if args.torchvision else ""
    print(f"wrote {len(sd)} tensors ({nbytes / 1e6:.1f} MB){renamed} to {args.dst}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
