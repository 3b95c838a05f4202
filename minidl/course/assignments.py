"""The course's assignments, in the guide's order: the one list the CLI, the checker, the capstone
and the guide (``docs/``) all read.

Each assignment rebuilds one file of minidl (or named functions of it): ``start NAME DIR``
writes a stub with the same function names and signatures, ``check NAME FILE`` grades it.
The names are fixed: teachers' material and the guide's exercises refer to them.
"""
from dataclasses import dataclass


@dataclass(frozen=True)
class Assignment:
    name: str            # the short name: `start NAME`, `check NAME`
    rebuilds: str        # the file it rebuilds, from the repository root
    functions: tuple     # what the student writes
    chapter: str         # the guide's chapter, under docs/
    title: str           # one line: what is built
    family: str = None   # the kernel family it can replace in the capstone (`train DIR`)
    base: str = None     # the student's file is DIR/<base>.py (default: the name); never a
    #                      name that would shadow a package (a numba.py beside the student's
    #                      scripts would hide Numba itself)

    @property
    def file(self):
        """The student's file name, which `start` writes into DIR."""
        return f"{self.base or self.name}.py"

    @property
    def stub(self):
        """The stub template's file name inside minidl/course/stubs/ (None: no stub)."""
        return None if self.name == "capstone" else self.file

    @property
    def checks_module(self):
        return f"minidl.course.checks.{self.base or self.name}"


ASSIGNMENTS = (
    Assignment("direct_conv", "kernels/conv/naive.py", ("conv2d_direct",),
               "docs/why-convolution.md",
               "convolution straight from its definition, six nested loops"),
    Assignment("broadcast", "minidl/ops/_util.py", ("sum_to_shape",), "docs/tensors.md",
               "broadcasting's gradient, sum_to_shape: sum a gradient back to the input's shape"),
    Assignment("autograd", "minidl/autograd.py", ("_count_consumers", "run_backward"),
               "docs/autograd.md",
               "the backward engine: Kahn's topological order, gradients summed per node"),
    Assignment("elementwise", "minidl/ops/elementwise.py",
               ("Mul", "Div", "Exp", "Log", "Sqrt", "Tanh", "Sigmoid"), "docs/autograd.md",
               "backward rules of the element-wise ops, broadcasting included"),
    Assignment("conv", "kernels/conv/reference.py",
               ("im2col", "col2im", "conv2d_forward", "conv2d_backward"), "docs/im2col.md",
               "convolution as im2col + GEMM, and its backward through col2im", family="conv"),
    Assignment("winograd", "kernels/conv/winograd_reference.py",
               ("BT2", "G2", "AT2", "filter_transform", "input_tiles", "input_transform",
                "output_transform", "winograd_conv"), "docs/winograd.md",
               "Winograd F(2, 3): derive B^T, G, A^T, then the tiled 2-D layer"),
    Assignment("relu", "kernels/relu/reference.py", ("relu_forward", "relu_backward"),
               "docs/relu-lrn.md", "ReLU forward and backward", family="relu"),
    Assignment("lrn", "kernels/lrn/reference.py", ("lrn_forward", "lrn_backward"),
               "docs/relu-lrn.md", "local response normalisation across channels, both ways",
               family="lrn"),
    Assignment("pool", "kernels/pool/reference.py",
               ("max_pool2d_forward", "max_pool2d_backward", "avg_pool2d_forward",
                "avg_pool2d_backward", "adaptive_avg_pool2d_forward",
                "adaptive_avg_pool2d_backward"), "docs/pooling.md",
               "overlapping max pooling (scatter backward), average and adaptive pooling",
               family="pool"),
    Assignment("dropout", "kernels/dropout/reference.py",
               ("uniform_bits", "keep_threshold", "dropout_forward", "dropout_backward"),
               "docs/dropout.md", "inverted dropout with a counter-based hash",
               family="dropout"),
    Assignment("sgd", "minidl/optim/sgd.py", ("_step",), "docs/modules-and-sgd.md",
               "SGD with momentum and weight decay: PyTorch's rule and the AlexNet paper's"),
    Assignment("capstone", "DIR: conv.py, pool.py, lrn.py, dropout.py, relu.py",
               ("train DIR",), "docs/models.md",
               "AlexNet on your own kernels: start capstone DIR, then train DIR"),
    Assignment("cuda", "kernels/relu/cuda.py", ("relu_forward", "relu_backward"),
               "docs/gpu.md", "ReLU as numba.cuda kernels, checked in Numba's CUDA simulator",
               base="relu_cuda"),
    Assignment("numba", "kernels/dropout/cpu.py", ("dropout_forward", "dropout_backward"),
               "docs/custom-op.md",
               "dropout as one Numba loop: the same mask bit for bit, at least 3x the NumPy "
               "reference's speed", base="dropout_numba"),
)

BY_NAME = {a.name: a for a in ASSIGNMENTS}


def number(name):
    """The assignment's number in the list (1-based)."""
    return [a.name for a in ASSIGNMENTS].index(name) + 1


def get(name):
    try:
        return BY_NAME[name]
    except KeyError:
        raise KeyError(f"no assignment called {name!r}; the assignments are: "
                       + ", ".join(a.name for a in ASSIGNMENTS)) from None
