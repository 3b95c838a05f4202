"""``minidl.kernels.use``: the kernels chosen in code (nesting, threads, modules of one's own,
the environment's default read once), ``algorithm_for``, and the ConvSpec / PoolSpec checks."""
import subprocess
import sys
import threading
import types

import numpy as np
import pytest

import minidl
import minidl.functional as F
from minidl import nn
from minidl.kernels import current, select, use
from minidl.kernels.conv import algorithm_for, conv_spec
from minidl.kernels.conv import reference as conv_reference
from minidl.kernels.conv import dispatch
from minidl.kernels.conv.dispatch import conv_kernels
from minidl.kernels.conv.spec import ConvSpec, make_spec
from minidl.kernels.pool import reference as pool_reference
from minidl.kernels.pool.spec import PoolSpec, pool_spec
from minidl.models import summary
from minidl.ops._util import ShapeError


def test_blocks_nest_and_restore_what_they_changed():
    outer = current()
    assert outer.target == "auto" and outer.conv_algo == "auto" and not outer.modules
    with use(target="reference") as a:
        assert current() == a and a.target == "reference" and a.conv_algo == "auto"
        with use(conv_algo="winograd") as b:
            assert (b.target, b.conv_algo) == ("reference", "winograd")   # kept the outer one
            with use(target="cpu"):
                assert select("relu", np.zeros(1)).__name__ == "minidl.kernels.relu.cpu"
            assert current() == b
        assert current() == a
    assert current() == outer


def test_a_block_is_undone_when_it_raises():
    with pytest.raises(KeyError):
        with use(target="reference"):
            raise KeyError
    assert current().target == "auto"


def test_settings_are_per_thread():
    seen = {}
    inside, done = threading.Event(), threading.Event()

    def other():
        inside.wait()
        seen["other"] = current().target                  # the main thread is in a block
        with use(target="reference"):
            seen["other block"] = current().target
            done.set()

    t = threading.Thread(target=other)
    t.start()
    with use(conv_algo="im2col"):
        inside.set()
        done.wait()
        seen["main"] = (current().target, current().conv_algo)   # the other's block is not ours
    t.join()
    assert seen == {"other": "auto", "other block": "reference", "main": ("auto", "im2col")}


def test_bad_settings_are_refused_by_name():
    with pytest.raises(ValueError, match="target='gpu'"):
        with use(target="gpu"):
            pass
    with pytest.raises(ValueError, match="family='convolution'"):
        with use(convolution=conv_reference):
            pass
    with pytest.raises(TypeError, match="conv= must be a module"):
        with use(conv="minidl.kernels.conv.reference"):
            pass


def _counting(module, names):
    """A module of one's own: `module`'s functions, each counting its calls in `calls`."""
    own = types.ModuleType("student_" + module.__name__.rsplit(".", 2)[1])
    own.calls = {}
    for name in names:
        def counted(*args, _f=getattr(module, name), _name=name):
            own.calls[_name] = own.calls.get(_name, 0) + 1
            return _f(*args)
        setattr(own, name, counted)
    return own


def test_modules_of_ones_own_run_every_layer_forward_and_backward():
    conv = _counting(conv_reference, ["conv2d_forward", "conv2d_backward"])
    pool = _counting(pool_reference, ["max_pool2d_forward", "max_pool2d_backward"])
    rng = np.random.default_rng(0)
    x = minidl.tensor(rng.standard_normal((2, 64, 14, 14)), requires_grad=True)
    w = minidl.tensor(rng.standard_normal((64, 64, 3, 3)) * 0.1, requires_grad=True)
    layer = nn.Conv2d(64, 64, 3, padding=1).double()
    assert algorithm_for(layer, x.shape) == "winograd"      # what auto would run ...
    with use(conv=conv, pool=pool):
        assert algorithm_for(layer, x.shape) == "student_conv"   # ... but the own module runs
        y = F.max_pool2d(F.conv2d(x, w, padding=1), 2)
        y.sum().backward()
    assert conv.calls == {"conv2d_forward": 1, "conv2d_backward": 1}
    assert pool.calls == {"max_pool2d_forward": 1, "max_pool2d_backward": 1}
    with use(target="reference", conv_algo="im2col"):      # the same loops, built in
        want = F.max_pool2d(F.conv2d(x.detach(), w.detach(), padding=1), 2)
    np.testing.assert_array_equal(y.detach().numpy(), want.numpy())
    assert conv_kernels(np.zeros((1, 64, 14, 14)), make_spec((1, 64, 14, 14), (64, 64, 3, 3),
                                                             padding=1)).__name__ \
        == "minidl.kernels.conv.winograd_cpu"             # outside the block: built-in again


def test_the_environment_sets_the_default_once_at_import():
    code = ("import os, numpy as np, minidl.kernels as k\n"
            "os.environ['MINIDL_KERNELS'] = 'auto'; os.environ['MINIDL_CONV_ALGO'] = 'im2col'\n"
            "s = k.current()\n"
            "print(s.target, s.conv_algo, k.select('pool', np.zeros(1)).__name__)\n")
    env = {**__import__("os").environ, "MINIDL_KERNELS": "reference",
           "MINIDL_CONV_ALGO": "winograd"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env=env)
    assert out.stdout.split() == ["reference", "winograd", "minidl.kernels.pool.reference"]
    env["MINIDL_CONV_ALGO"] = "fastest"
    bad = subprocess.run([sys.executable, "-c", "import minidl"], capture_output=True,
                         text=True, env=env)
    assert bad.returncode != 0 and "MINIDL_CONV_ALGO='fastest'" in bad.stderr


def test_algorithm_for_a_layer_or_a_spec_and_in_the_summary():
    conv = nn.Conv2d(64, 64, 3, padding=1)
    assert algorithm_for(conv, (64, 56, 56)) == "winograd"
    assert algorithm_for(conv.spec, (8, 64, 56, 56)) == "winograd"
    auto_im2col = "direct" if dispatch.direct_in_auto() else "im2col"   # the switch's choice
    assert algorithm_for(conv, (64, 8, 8)) == auto_im2col           # too small to pay off
    assert algorithm_for(nn.Conv2d(3, 96, 11, stride=4), (3, 224, 224)) == auto_im2col
    with use(conv_algo="winograd"):
        assert algorithm_for(nn.Conv2d(3, 96, 11, stride=4), (3, 224, 224)) == "phases"
        assert algorithm_for(nn.Conv2d(96, 256, 5, padding=2, groups=2), (96, 27, 27)) == "blocks"
    with use(conv_algo="im2col"):
        assert algorithm_for(conv, (64, 56, 56)) == "im2col"
    net = nn.Sequential(nn.Conv2d(3, 64, 3, padding=1), nn.ReLU(), nn.Conv2d(64, 64, 3, padding=1))
    s = summary(net, (3, 32, 32), print_fn=None)
    assert [r.algorithm for r in s.rows] == [auto_im2col, "", "winograd"]
    assert "winograd" in str(s) and "algorithm" in str(s)


def test_conv_spec_is_one_checked_value():
    spec = conv_spec((256, 48, 5, 5), (1, 1), (2, 2), (1, 1), 2, x_shape=(4, 96, 27, 27))
    assert spec == ConvSpec(96, 256, 5, 5, (1, 1), (2, 2), (1, 1), 2, 27, 27)
    assert spec.kernel_size == (5, 5) and spec.w_shape == (256, 48, 5, 5)
    static = conv_spec((256, 48, 5, 5), (1, 1), (2, 2), (1, 1), 2)
    assert (static.OH, static.OW) == (0, 0) and static.at((4, 96, 27, 27)) == spec
    assert all(type(v) is int for v in spec if not isinstance(v, tuple))   # Numba-friendly


@pytest.mark.parametrize("args, kw, message", [
    (((256, 48, 5, 5), (1, 1), (2, 2), (1, 1), 2), dict(x_shape=(1, 64, 27, 27)),
     r"conv2d\(96→256, k=5×5, groups=2\): input has 64 channels, expected 96"),
    (((256, 48, 5), (1, 1), (0, 0), (1, 1), 1), {}, r"expected a 4-D weight"),
    (((6, 3, 3, 3), (0, 1), (0, 0), (1, 1), 1), {}, r"stride and dilation must be >= 1"),
    (((6, 3, 3, 3), (1, 1), (0, 0), (1, 1), 0), {}, r"groups must be >= 1"),
    (((5, 3, 3, 3), (1, 1), (0, 0), (1, 1), 2), {}, r"5 output channels are not divisible"),
    (((4, 3, 3, 3), (1, 1), (0, 0), (1, 1), 1), dict(b_shape=(3,)),
     r"conv2d\(3→4, k=3×3, groups=1\): bias has shape \(3,\), expected \(4,\)"),
    (((4, 3, 11, 11), (1, 1), (2, 2), (1, 1), 1), dict(x_shape=(1, 3, 4, 4)),
     r"kernel 11×11 \(dilated 11×11\) is larger than the padded input 8×8"),
])
def test_conv_spec_errors_name_the_layer(args, kw, message):
    with pytest.raises(ShapeError, match=message):
        conv_spec(*args, **kw)


def test_pool_spec():
    spec = pool_spec((1, 3, 13, 13), (3, 3), (2, 2), (1, 1), ceil_mode=True)
    assert spec == PoolSpec(3, 3, (2, 2), (1, 1), True, True, 7, 7)
    with pytest.raises(ShapeError, match=r"avg_pool2d: padding \(2, 2\) must be at most half"):
        pool_spec((1, 1, 9, 9), (3, 3), (1, 1), (2, 2), op="avg_pool2d")
    with pytest.raises(ShapeError, match=r"max_pool2d: kernel 5×5 is larger than the padded"):
        pool_spec((1, 1, 4, 4), (5, 5), (1, 1))


def test_importing_minidl_does_no_work_until_the_first_cpu_kernel():
    code = ("import os, minidl, minidl.kernels as k, minidl.kernels.conv.cpu\n"
            "from numba.np.ufunc import parallel\n"
            "print(os.environ.get('OPENBLAS_THREAD_TIMEOUT'), k._cpu_ready, "
            "parallel._is_initialized)\n"
            "minidl.functional.relu(minidl.ones(3))\n"
            "print(k._cpu_ready, parallel._is_initialized)\n")
    env = {k: v for k, v in __import__("os").environ.items() if k != "OPENBLAS_THREAD_TIMEOUT"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env=env)
    assert out.stdout.split() == ["None", "False", "False", "True", "True"]
