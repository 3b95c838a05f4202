"""``minidl.utils.tensorboard.SummaryWriter``: PyTorch's TensorBoard writer, for minidl.

    from minidl.utils.tensorboard import SummaryWriter
    with SummaryWriter("runs/alexnet") as writer:
        writer.add_scalar("loss/train", loss, step)        # a 0-d minidl Tensor, a float
        writer.add_image("conv1", grid, step, dataformats="HWC")
    # then: tensorboard --logdir runs

The same class, path and methods as ``torch.utils.tensorboard``: ``add_scalar``,
``add_scalars``, ``add_image``, ``add_images``, ``add_histogram``, ``add_text``,
``add_figure``, ``add_hparams``, ``flush``, ``close``, and ``with``. The event files are
written by tensorboardX, a maintained writer of TensorBoard's format that needs neither
TensorFlow nor PyTorch: ``pip install
'minidl[tensorboard]'``. Values may be minidl Tensors (on the CPU or a GPU), NumPy arrays or
Python numbers; tensors are handed over as NumPy arrays.
"""
import numpy as np

from ..backend import CPU, is_cupy_array, to_device
from ..tensor import Tensor

__all__ = ["SummaryWriter"]


def _tensorboardx():
    try:
        import tensorboardX
    except ImportError:
        raise ImportError("minidl.utils.tensorboard.SummaryWriter writes its event files with "
                          "tensorboardX, which is not installed: pip install "
                          "'minidl[tensorboard]' (or pip install tensorboardX)") from None
    return tensorboardX


def _numpy(value):
    """A minidl Tensor (any device) or array-like as a NumPy array; numbers stay numbers."""
    if isinstance(value, Tensor):
        return np.asarray(to_device(value.detach().data, CPU))
    if is_cupy_array(value):
        return to_device(value, CPU)
    if hasattr(value, "__array__"):
        return np.asarray(value)
    return value


def _scalar(value, tag):
    value = _numpy(value)
    if isinstance(value, np.ndarray):
        if value.size != 1:
            raise ValueError(f"SummaryWriter.add_scalar({tag!r}): expected one number, got an "
                             f"array of shape {value.shape}")
        value = value.reshape(()).item()
    return float(value)


class SummaryWriter:
    """Writes TensorBoard event files to `log_dir` (default ``runs/<date>_<host><comment>``,
    as PyTorch's). PyTorch's arguments: `comment`, `purge_step`, `max_queue`, `flush_secs`,
    `filename_suffix`."""

    def __init__(self, log_dir=None, comment="", purge_step=None, max_queue=10, flush_secs=120,
                 filename_suffix=""):
        tbx = _tensorboardx()
        self._writer = tbx.SummaryWriter(logdir=None if log_dir is None else str(log_dir),
                                         comment=comment, purge_step=purge_step,
                                         max_queue=max_queue, flush_secs=flush_secs,
                                         filename_suffix=filename_suffix)

    @property
    def log_dir(self):
        return self._writer.logdir

    def get_logdir(self):
        return self.log_dir

    def add_scalar(self, tag, scalar_value, global_step=None, walltime=None, new_style=False,
                   double_precision=False):
        """One point of curve `tag`. `new_style` and `double_precision` (PyTorch's choice of
        storing the point as a tensor summary) are accepted; the point is always stored as
        TensorBoard's classic float scalar, which TensorBoard draws the same way."""
        self._writer.add_scalar(tag, _scalar(scalar_value, tag), global_step, walltime)

    def add_scalars(self, main_tag, tag_scalar_dict, global_step=None, walltime=None):
        """Several curves on one chart: ``{"train": 0.4, "val": 0.5}`` under `main_tag`."""
        values = {k: _scalar(v, f"{main_tag}/{k}") for k, v in tag_scalar_dict.items()}
        self._writer.add_scalars(main_tag, values, global_step, walltime)

    def add_image(self, tag, img_tensor, global_step=None, walltime=None, dataformats="CHW"):
        """One image: floats in [0, 1] or uint8 in [0, 255], laid out as `dataformats`."""
        self._writer.add_image(tag, _numpy(img_tensor), global_step, walltime,
                               dataformats=dataformats)

    def add_images(self, tag, img_tensor, global_step=None, walltime=None, dataformats="NCHW"):
        """A batch of images, shown as one grid."""
        self._writer.add_images(tag, _numpy(img_tensor), global_step, walltime,
                                dataformats=dataformats)

    def add_histogram(self, tag, values, global_step=None, bins="tensorflow", walltime=None,
                      max_bins=None):
        values = np.asarray(_numpy(values))
        if values.dtype.kind == "f" and not np.isfinite(values).all():
            raise ValueError(f"SummaryWriter.add_histogram({tag!r}): the values hold NaN or inf")
        self._writer.add_histogram(tag, values, global_step, bins, walltime, max_bins)

    def add_text(self, tag, text_string, global_step=None, walltime=None):
        self._writer.add_text(tag, str(text_string), global_step, walltime)

    def add_figure(self, tag, figure, global_step=None, close=True, walltime=None):
        """A matplotlib figure (or a list of them) rendered as an image."""
        self._writer.add_figure(tag, figure, global_step, close, walltime)

    def add_hparams(self, hparam_dict, metric_dict, hparam_domain_discrete=None, run_name=None,
                    global_step=None):
        """One run's hyperparameters and final metrics for TensorBoard's HParams tab, written
        (as PyTorch's) to the sub-run `run_name` (default: the current time)."""
        if hparam_domain_discrete is not None:
            raise NotImplementedError("SummaryWriter.add_hparams: hparam_domain_discrete is not "
                                      "supported by minidl's writer (tensorboardX); leave it None")
        if not isinstance(hparam_dict, dict) or not isinstance(metric_dict, dict):
            raise TypeError("SummaryWriter.add_hparams: hparam_dict and metric_dict should be "
                            f"dicts, got {type(hparam_dict).__name__} and "
                            f"{type(metric_dict).__name__}")
        metrics = {k: _scalar(v, k) for k, v in metric_dict.items()}
        self._writer.add_hparams(dict(hparam_dict), metrics, name=run_name,
                                 global_step=global_step)

    def flush(self):
        """Write what is queued to disk now."""
        self._writer.flush()

    def close(self):
        self._writer.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
