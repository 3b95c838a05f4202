"""How the pool checks call a student's pooling functions: the one place that knows the
kernels' calling convention. A student's max/avg function that takes a ``spec`` (minidl's
``PoolSpec``) gets one built by minidl's ``pool_spec``; one with loose arguments gets those."""
import inspect


def _takes_spec(f):
    return "spec" in inspect.signature(f).parameters


def spec_for(x_shape, k, s, p, ceil_mode, count_include_pad=True):
    from minidl.kernels.pool.spec import pool_spec
    return pool_spec(tuple(x_shape), tuple(k), tuple(s), tuple(p), ceil_mode, count_include_pad)


def max_forward(mod, x, k, s, p, ceil_mode):
    if _takes_spec(mod.max_pool2d_forward):
        return mod.max_pool2d_forward(x, spec_for(x.shape, k, s, p, ceil_mode))
    return mod.max_pool2d_forward(x, k, s, p, ceil_mode)


def max_backward(mod, gy, argmax, x_shape, k, s, p, ceil_mode):
    if _takes_spec(mod.max_pool2d_backward):
        return mod.max_pool2d_backward(gy, argmax, x_shape, spec_for(x_shape, k, s, p, ceil_mode))
    return mod.max_pool2d_backward(gy, argmax, x_shape, k, s, p, ceil_mode)


def avg_forward(mod, x, k, s, p, ceil_mode, count_include_pad):
    if _takes_spec(mod.avg_pool2d_forward):
        return mod.avg_pool2d_forward(x, spec_for(x.shape, k, s, p, ceil_mode, count_include_pad))
    return mod.avg_pool2d_forward(x, k, s, p, ceil_mode, count_include_pad)


def avg_backward(mod, gy, x_shape, k, s, p, ceil_mode, count_include_pad):
    if _takes_spec(mod.avg_pool2d_backward):
        return mod.avg_pool2d_backward(gy, x_shape, spec_for(x_shape, k, s, p, ceil_mode,
                                                             count_include_pad))
    return mod.avg_pool2d_backward(gy, x_shape, k, s, p, ceil_mode, count_include_pad)


def adaptive_forward(mod, x, output_size):
    return mod.adaptive_avg_pool2d_forward(x, output_size)


def adaptive_backward(mod, gy, x_shape, output_size):
    return mod.adaptive_avg_pool2d_backward(gy, x_shape, output_size)
