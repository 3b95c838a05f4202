"""How the conv checks call a student's conv2d_direct/im2col/col2im/conv2d_* : the one place
that knows the kernels' calling convention. The checks speak in shapes and loose arguments;
a student's function that takes a ``spec`` (minidl's ``ConvSpec``: the layer's geometry as one
value) gets one built by minidl's ``conv_spec``, one with loose arguments gets those."""
import inspect


def _takes_spec(f):
    return "spec" in inspect.signature(f).parameters


def spec_for(x_shape, w_shape, stride, padding, dilation, groups):
    from minidl.kernels.conv.spec import conv_spec
    return conv_spec(tuple(w_shape), tuple(stride), tuple(padding), tuple(dilation), groups,
                     x_shape=tuple(x_shape))


def direct(mod, x, w, b, stride, padding, dilation, groups):
    if _takes_spec(mod.conv2d_direct):
        return mod.conv2d_direct(x, w, b, spec_for(x.shape, w.shape, stride, padding, dilation,
                                                   groups))
    return mod.conv2d_direct(x, w, b, stride, padding, dilation, groups)


def im2col(mod, x, kernel_size, stride, padding, dilation):
    if _takes_spec(mod.im2col):
        w_shape = (1, x.shape[1]) + tuple(kernel_size)
        return mod.im2col(x, spec_for(x.shape, w_shape, stride, padding, dilation, 1))
    return mod.im2col(x, kernel_size, stride, padding, dilation)


def col2im(mod, col, x_shape, kernel_size, stride, padding, dilation):
    if _takes_spec(mod.col2im):
        w_shape = (1, x_shape[1]) + tuple(kernel_size)
        return mod.col2im(col, x_shape, spec_for(x_shape, w_shape, stride, padding, dilation, 1))
    return mod.col2im(col, x_shape, kernel_size, stride, padding, dilation)


def forward(mod, x, w, b, stride, padding, dilation, groups):
    if _takes_spec(mod.conv2d_forward):
        return mod.conv2d_forward(x, w, b, spec_for(x.shape, w.shape, stride, padding, dilation,
                                                    groups))
    return mod.conv2d_forward(x, w, b, stride, padding, dilation, groups)


def backward(mod, gy, x, w, stride, padding, dilation, groups, need_x, need_w, need_b):
    if _takes_spec(mod.conv2d_backward):
        spec = spec_for(x.shape, w.shape, stride, padding, dilation, groups)
        return mod.conv2d_backward(gy, x, w, spec, (need_x, need_w, need_b))
    return mod.conv2d_backward(gy, x, w, stride, padding, dilation, groups, need_x, need_w,
                               need_b)
