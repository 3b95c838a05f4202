"""How the conv checks call a student's im2col/col2im/conv2d_* : the one place that knows the
kernels' calling convention (the checks themselves speak in shapes and loose arguments)."""


def im2col(mod, x, kernel_size, stride, padding, dilation):
    return mod.im2col(x, kernel_size, stride, padding, dilation)


def col2im(mod, col, x_shape, kernel_size, stride, padding, dilation):
    return mod.col2im(col, x_shape, kernel_size, stride, padding, dilation)


def forward(mod, x, w, b, stride, padding, dilation, groups):
    return mod.conv2d_forward(x, w, b, stride, padding, dilation, groups)


def backward(mod, gy, x, w, stride, padding, dilation, groups, need_x, need_w, need_b):
    return mod.conv2d_backward(gy, x, w, stride, padding, dilation, groups, need_x, need_w,
                               need_b)
