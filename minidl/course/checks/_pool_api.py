"""How the pool checks call a student's pooling functions: the one place that knows the
kernels' calling convention."""


def max_forward(mod, x, k, s, p, ceil_mode):
    return mod.max_pool2d_forward(x, k, s, p, ceil_mode)


def max_backward(mod, gy, argmax, x_shape, k, s, p, ceil_mode):
    return mod.max_pool2d_backward(gy, argmax, x_shape, k, s, p, ceil_mode)


def avg_forward(mod, x, k, s, p, ceil_mode, count_include_pad):
    return mod.avg_pool2d_forward(x, k, s, p, ceil_mode, count_include_pad)


def avg_backward(mod, gy, x_shape, k, s, p, ceil_mode, count_include_pad):
    return mod.avg_pool2d_backward(gy, x_shape, k, s, p, ceil_mode, count_include_pad)


def adaptive_forward(mod, x, output_size):
    return mod.adaptive_avg_pool2d_forward(x, output_size)


def adaptive_backward(mod, gy, x_shape, output_size):
    return mod.adaptive_avg_pool2d_backward(gy, x_shape, output_size)
