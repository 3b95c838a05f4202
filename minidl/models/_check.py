"""An image's way through a model's convolutional trunk, checked before any work.

    check_trunk(features, x_shape)    features: an nn.Sequential; x_shape (N, C, H, W) or (C, H, W)

The shapes are walked with the layers' own checks (``conv_spec``, ``pool_spec``: the same ones
the ops run), so an image that does not fit fails at once and names the first layer it does not
fit by its path in the model:

    features.14 MaxPool2d(kernel_size=3): kernel 3×3 is larger than the padded input 2×2 ...

The walk stops quietly at a layer it cannot follow (a 'same'-padded conv, a layer of another
kind); that layer's and the later layers' own checks then apply when they run. A walk that
passed is remembered per trunk for its layers and the input's (C, H, W), so a training loop
pays for it once per image size, not at every step.
"""
import weakref

from .. import nn
from ..kernels.conv.spec import conv_spec
from ..kernels.pool.spec import pool_spec
from ..ops.pool import _window_args

_SAME_SHAPE = (nn.ReLU, nn.LocalResponseNorm, nn.Identity, nn.Dropout)
_passed = weakref.WeakKeyDictionary()     # trunk -> {(its layers' ids, input (C, H, W))}


def check_trunk(features, x_shape, prefix="features"):
    """Raise minidl's ShapeError naming ``{prefix}.{i} {layer}`` if an input of `x_shape`
    does not fit a layer of `features` (see the module docstring); return None."""
    shape = tuple(x_shape)
    if len(shape) == 3:
        shape = (1,) + shape
    if len(shape) != 4:
        return                       # the first layer's own check names the rank
    key = (tuple(map(id, features._modules.values())), shape[1:])
    seen = _passed.setdefault(features, set())
    if key in seen:
        return
    _walk(features, shape, prefix)
    if len(seen) > 64:
        seen.clear()
    seen.add(key)


def _walk(features, shape, prefix):
    for name, layer in features.named_children():
        where = f"{prefix}.{name} "
        if isinstance(layer, nn.Conv2d):
            if isinstance(layer.padding, str):
                return
            spec = conv_spec(layer.weight.shape, layer.stride, layer.padding, layer.dilation,
                             layer.groups, x_shape=shape, name=where + layer._name())
            shape = spec.out_shape(shape[0])
        elif isinstance(layer, (nn.MaxPool2d, nn.AvgPool2d)):
            k, s, p = _window_args(layer.kernel_size, layer.stride, layer.padding)
            spec = pool_spec(shape, k, s, p, layer.ceil_mode, op=where + layer._name())
            shape = shape[:2] + (spec.OH, spec.OW)
        elif not isinstance(layer, _SAME_SHAPE):
            return
