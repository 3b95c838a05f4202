"""The command line: ``python -m minidl.course list | start | check | train``."""
import argparse
import importlib
import os
import shutil
import subprocess
import sys

from . import assignments
from .grading import load_student, run_checks, student_frames
from .signatures import signature_check

STUBS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "stubs")


def cmd_list(args):
    rows = [(str(assignments.number(a.name)), a.name, a.rebuilds, a.chapter, a.title)
            for a in assignments.ASSIGNMENTS]
    head = ("#", "name", "rebuilds", "chapter", "what you build")
    widths = [max(len(r[i]) for r in rows + [head]) for i in range(4)]
    for r in [head] + rows:
        print("  ".join(c.ljust(w) for c, w in zip(r[:4], widths)) + "  " + r[4])
    print("\nStart one with `python -m minidl.course start NAME DIR`, grade it with "
          "`python -m minidl.course check NAME FILE` (start prints the file it wrote).")
    return 0


def stub_path(name):
    a = assignments.get(name)
    if a.stub is None:
        raise KeyError(f"{name} has no stub of its own")
    return os.path.join(STUBS, a.stub)


def _start_one(a, directory, force):
    dst = os.path.join(directory, a.file)
    if os.path.exists(dst) and not force:
        print(f"{dst} exists already: not overwritten (pass --force to start again)",
              file=sys.stderr)
        return 1
    shutil.copyfile(os.path.join(STUBS, a.stub), dst)
    print(f"wrote {dst}: it rebuilds {a.rebuilds} ({', '.join(a.functions)}); read "
          f"{a.chapter}, then fill in the bodies and run\n"
          f"    python -m minidl.course check {a.name} {dst}")
    return 0


def cmd_start(args):
    try:
        a = assignments.get(args.name)
    except KeyError as e:
        print(e.args[0], file=sys.stderr)
        return 2
    os.makedirs(args.dir, exist_ok=True)
    if a.stub is not None:
        return _start_one(a, args.dir, args.force)
    # the capstone: the five kernel files `train DIR` swaps into minidl (the ones already
    # there are kept: they are the student's work)
    status = 0
    for k in assignments.ASSIGNMENTS:
        if k.family:
            path = os.path.join(args.dir, k.file)
            if os.path.exists(path) and not args.force:
                print(f"{path} exists already: kept")
                continue
            status |= _start_one(k, args.dir, args.force)
    print(f"when they pass their checks: python -m minidl.course train {args.dir}")
    return status


def _needs_simulator(module):
    return getattr(module, "CUDA_SIMULATOR", False) and \
        os.environ.get("NUMBA_ENABLE_CUDASIM") != "1"


def check_file(name, path, out=sys.stdout):
    """Grade `path` as assignment `name`; returns (passed, total) (total 0: not even loaded)."""
    checks_mod = importlib.import_module(assignments.get(name).checks_module)
    try:
        mod = load_student(path)
    except NotImplementedError as e:
        print(f"TODO  {name:<22} not implemented yet: {e}", file=out)
        return 0, 0
    except Exception as e:   # a syntax error or an import that fails: the student's own lines
        frames = student_frames(e, path)
        if isinstance(e, SyntaxError):
            frames = [f"        {os.path.basename(path)}, line {e.lineno}: {(e.text or '').strip()}"]
        print(f"ERROR {name:<22} cannot import {path}: {type(e).__name__}: {e}", file=out)
        if frames:
            print("\n".join(["      raised at"] + frames), file=out)
        return 0, 0
    return run_checks([signature_check(name)] + checks_mod.checks(), mod, path, out=out)


def cmd_check(args):
    try:
        a = assignments.get(args.name)
    except KeyError as e:
        print(e.args[0], file=sys.stderr)
        return 2
    if a.stub is None:
        print("the capstone is run, not checked: python -m minidl.course train DIR",
              file=sys.stderr)
        return 2
    if not os.path.isfile(args.file):
        print(f"{args.file}: no such file (write it with `python -m minidl.course start "
              f"{args.name} DIR`)", file=sys.stderr)
        return 2
    checks_mod = importlib.import_module(a.checks_module)
    if _needs_simulator(checks_mod):
        # the simulator must be switched on before numba is first imported: a fresh process
        env = dict(os.environ, NUMBA_ENABLE_CUDASIM="1")
        return subprocess.call([sys.executable, "-m", "minidl.course", "check", args.name,
                                args.file], env=env)
    print(f"checking {args.file} as assignment {a.name} (rebuilds {a.rebuilds})")
    passed, total = check_file(a.name, args.file)
    if total and passed == total:
        print(f"all {total} checks passed: your file can replace {a.rebuilds}")
        return 0
    print(f"{passed} of {total} checks passed")
    return 1


def cmd_train(args):
    from .train import train
    return train(args.dir, epochs=args.epochs, limit=args.limit, batch_size=args.batch_size,
                 include_failing=args.include_failing, compare=not args.no_compare,
                 seed=args.seed)


def parser():
    p = argparse.ArgumentParser(prog="python -m minidl.course",
                                description="minidl's course: rebuild its pieces, have them "
                                            "checked, train AlexNet on your own kernels")
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="the assignments in the guide's order").set_defaults(fn=cmd_list)
    s = sub.add_parser("start", help="write an assignment's stub into DIR")
    s.add_argument("name", help="the assignment (see list)")
    s.add_argument("dir", help="the folder for your files; the stub is DIR/NAME.py")
    s.add_argument("--force", action="store_true", help="overwrite DIR/NAME.py")
    s.set_defaults(fn=cmd_start)
    c = sub.add_parser("check", help="grade FILE as assignment NAME")
    c.add_argument("name", help="the assignment (see list)")
    c.add_argument("file", help="your file, e.g. work/conv.py")
    c.set_defaults(fn=cmd_check)
    t = sub.add_parser("train", help="the capstone: train alexnet_small on the kernels in DIR")
    t.add_argument("dir", help="the folder holding your conv.py, pool.py, lrn.py, dropout.py, "
                   "relu.py (each one used if it passes its checks)")
    t.add_argument("--epochs", type=int, default=2, help="epochs of training (default 2)")
    t.add_argument("--seed", type=int, default=0, help="weights, shuffling and dropout (default 0)")
    t.add_argument("--limit", type=int, default=None,
                   help="use only the first LIMIT training and test images (a quick run)")
    t.add_argument("--batch-size", type=int, default=64, help="default 64")
    t.add_argument("--include-failing", action="store_true",
                   help="swap in kernels even when they fail their checks")
    t.add_argument("--no-compare", action="store_true",
                   help="skip the run on minidl's own kernels")
    t.set_defaults(fn=cmd_train)
    return p


def main(argv=None):
    args = parser().parse_args(argv)
    return args.fn(args)
