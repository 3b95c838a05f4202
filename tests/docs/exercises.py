"""The guide's exercises, as data: which assignment of ``python -m minidl.course`` each chapter
points to, and each "break it" exercise's broken line, the command the chapter prints, and the
test that command must fail (a fixed test, not a random search, so it fails on every run)."""

# chapter -> the assignments (``python -m minidl.course start NAME DIR``) it points to
ASSIGNMENTS = {
    "why-convolution.md": ["direct_conv"],
    "tensors.md": ["broadcast"],
    "autograd.md": ["autograd", "elementwise"],
    "im2col.md": ["conv"],
    "winograd.md": ["winograd"],
    "relu-lrn.md": ["relu", "lrn"],
    "pooling.md": ["pool"],
    "dropout.md": ["dropout"],
    "modules-and-sgd.md": ["sgd"],
    "models.md": ["capstone"],
    "gpu.md": ["cuda"],
    "custom-op.md": ["numba"],
}
# pages without a build: the data chapter (its exercise is to read the tests and predict them),
# papers.md (the papers' tables, a reference), the visualisation chapter and the architecture
# page (written beside this work; their exercises are their own)
NO_ASSIGNMENT = {"data.md", "papers.md", "visualize.md", "architecture.md"}

_CASES = "python -m pytest tests/docs/test_exercise_cases.py -q -k "

BREAKS = [
    dict(chapter="tensors.md", file="minidl/ops/_util.py",
         old="    shape = tuple(shape)\n    if g.shape == shape:",
         new="    return g\n    shape = tuple(shape)\n    if g.shape == shape:",
         command=_CASES + "broadcast",
         fails="test_broadcast_gradient_is_summed_back_to_the_operand"),
    dict(chapter="autograd.md", file="minidl/ops/elementwise.py",
         old="        return g * y\n\n\nclass Log(", new="        return g\n\n\nclass Log(",
         command=_CASES + "exp", fails="test_exp_gradient_is_exp"),
    dict(chapter="winograd.md", file="kernels/conv/winograd_reference.py",
         old="               [0.5, 0.5, 0.5],", new="               [0.5, 0.5, 0],",
         command=_CASES + "winograd", fails="test_winograd_reference_equals_the_direct_loop"),
    dict(chapter="relu-lrn.md", file="kernels/lrn/reference.py",
         old="r = _window_sum(t, (size - 1) // 2, size // 2)",
         new="r = _window_sum(t, size // 2, (size - 1) // 2)",
         command=_CASES + "lrn",
         fails="test_lrn_backward_is_the_transposed_jacobian_for_an_even_size"),
    dict(chapter="pooling.md", file="kernels/pool/reference.py",
         old="gx[n, c, argmax[:, :, oh, ow]] += gy", new="gx[n, c, argmax[:, :, oh, ow]] = gy",
         command=_CASES + "max_pool", fails="test_max_pool_backward_adds_the_windows_a_cell_won"),
    dict(chapter="dropout.md", file="kernels/dropout/reference.py",
         old="return (x * mask * x.dtype.type(1 / (1 - p))).astype(",
         new="return (x * mask).astype(",
         command=_CASES + "dropout", fails="test_dropout_scales_the_kept_units_by_one_over_keep"),
    dict(chapter="modules-and-sgd.md", file="minidl/optim/sgd.py",
         old="    if weight_decay != 0:   # d: the step's direction",
         new="    if False:   # d: the step's direction",
         command="python -m pytest tests/optim/test_sgd.py -q -k weight_decay_by_hand",
         fails="test_weight_decay_by_hand"),
    dict(chapter="models.md", file="minidl/models/alexnet.py",
         old="nn.Conv2d(c2, c3, 3, padding=1),", new="nn.Conv2d(c2, c3, 3, padding=1, groups=groups),",
         command="python -m pytest tests/models/test_alexnet.py -q -k parameter_count",
         fails="test_parameter_count_is_the_papers"),
    dict(chapter="gpu.md", file="kernels/relu/cuda.py",
         old="        y[i] = 0 if v <= 0 else v", new="        y[i] = v",
         command="NUMBA_ENABLE_CUDASIM=1 python -m pytest tests/cudasim -q -k relu",
         fails="test_relu"),
]
