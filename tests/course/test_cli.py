"""`python -m minidl.course list | start | check` from the command line, in fresh processes."""
import os

from course_util import mutate, run_check, run_cli, standalone_source, write
from minidl.course import assignments

FIXED = {"conv": "kernels/conv/reference.py", "pool": "kernels/pool/reference.py",
         "lrn": "kernels/lrn/reference.py", "dropout": "kernels/dropout/reference.py",
         "relu": "kernels/relu/reference.py"}


def test_list_prints_the_assignments_in_order():
    rc, out = run_cli("list")
    assert rc == 0, out
    rows = [line.split() for line in out.splitlines() if line[:1].isdigit()]
    assert len(rows) >= 12
    assert [int(r[0]) for r in rows] == list(range(1, len(rows) + 1))
    names = {r[1]: r for r in rows}
    for name, path in FIXED.items():
        assert path in names[name], names[name]
    for r in rows:   # every row names its chapter under docs/
        assert any(c.startswith("docs/") and c.endswith(".md") for c in r), r


def test_assignment_list_follows_the_guides_chapters():
    """Each assignment names its chapter; the chapters the guide's index links come in the
    list's order (a chapter another branch adds, why-convolution.md, joins when it lands)."""
    root = os.path.join(os.path.dirname(__file__), "..", "..")
    with open(os.path.join(root, "docs", "README.md"), encoding="utf-8") as f:
        readme = f.read()
    positions = [readme.find("(" + a.chapter[len("docs/"):] + ")") for a in assignments.ASSIGNMENTS]
    linked = [p for p in positions if p >= 0]
    assert len(linked) >= 12, [a.chapter for a in assignments.ASSIGNMENTS]
    assert linked == sorted(linked)


def test_start_writes_the_stub_and_keeps_a_students_file(tmp_path):
    rc, out = run_cli("start", "lrn", str(tmp_path))
    assert rc == 0, out
    path = tmp_path / "lrn.py"
    text = path.read_text()
    assert "def lrn_forward(x, size, alpha, beta, k):" in text
    assert "def lrn_backward(gy, x, size, alpha, beta, k):" in text
    path.write_text(text + "\n# my work\n")
    rc, out = run_cli("start", "lrn", str(tmp_path))
    assert rc == 1 and "exists" in out
    assert path.read_text().endswith("# my work\n")
    rc, out = run_cli("start", "nonsense", str(tmp_path))
    assert rc == 2 and "conv" in out


def test_stubs_have_the_signatures_of_the_files_they_rebuild():
    """Same names and signatures: the stub is a drop-in replacement."""
    import importlib
    import importlib.util
    import inspect

    from minidl.course.cli import stub_path
    for a in assignments.ASSIGNMENTS:
        if a.stub is None or a.name == "cuda":
            continue
        spec = importlib.util.spec_from_file_location(f"_stub_{a.name}", stub_path(a.name))
        stub = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(stub)
        module = a.rebuilds[:-3].replace("/", ".")
        module = "minidl." + module if module.startswith("kernels") else module
        real = importlib.import_module(module)
        for func in a.functions:
            name = func.split(".")[0]
            assert hasattr(stub, name), (a.name, name)
            s, r = getattr(stub, name), getattr(real, name)
            if inspect.isfunction(r):
                assert inspect.signature(s) == inspect.signature(r), (a.name, name)


def test_check_an_untouched_stub_from_the_command_line(tmp_path):
    run_cli("start", "relu", str(tmp_path))
    rc, out = run_cli("check", "relu", str(tmp_path / "relu.py"))
    assert rc == 1
    assert "not implemented yet: relu_forward" in out and "Traceback" not in out


def test_check_passes_a_right_file_with_exit_0(tmp_path):
    path = write(tmp_path, "relu.py", standalone_source("kernels/relu/reference.py"))
    rc, out = run_cli("check", "relu", path)
    assert rc == 0, out
    assert "all" in out and "checks passed" in out


BROKEN = '''
import numpy as np


def relu_forward(x):
    return np.maximum(x, 0)


def relu_backward(gy, y):
    mask = y > 0
    return gy[mask.nonzero()[0], 7]      # an IndexError in the student's own line
'''


def test_an_exception_shows_the_students_file_and_line(tmp_path):
    path = write(tmp_path, "myrelu.py", BROKEN)
    rc, out = run_cli("check", "relu", path)
    assert rc == 1
    assert "ERROR relu_backward" in out
    assert "myrelu.py, line 11, in relu_backward: return gy[mask.nonzero()[0], 7]" in out
    assert "Traceback" not in out and "grading.py" not in out and "checks/" not in out


def test_a_syntax_error_names_the_line(tmp_path):
    path = write(tmp_path, "relu.py", "import numpy as np\n\ndef relu_forward(x)\n    pass\n")
    rc, out = run_cli("check", "relu", path)
    assert rc == 1
    assert "SyntaxError" in out and "line 3" in out and "Traceback" not in out


def test_relu_cuda_is_checked_in_the_simulator(tmp_path):
    good = write(tmp_path, "relu_cuda.py", standalone_source("kernels/relu/cuda.py"))
    rc, out = run_cli("check", "cuda", good)
    assert rc == 0, out
    bad = write(tmp_path, "bad.py", mutate(standalone_source("kernels/relu/cuda.py"),
                                           "if i < y.size:\n        gx[i]", "if True:\n        gx[i]"))
    rc, out = run_cli("check", "cuda", bad)
    assert rc == 1 and "relu_backward" in out and "Traceback" not in out, out
    rc, out = run_cli("start", "cuda", str(tmp_path / "stub"))
    rc, out = run_cli("check", "cuda", str(tmp_path / "stub" / "relu_cuda.py"))
    assert rc == 1 and "not implemented yet: relu_forward" in out, out


NUMBA_WRONG_INDEX = '''
import numpy as np
from numba import njit, uint64

GOLDEN = np.uint64(0x9E3779B97F4A7C15)
M1, M2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)


@njit
def _forward(x, key, threshold, scale, y, mask):
    for i in range(x.size):
        z = key + uint64(i) * GOLDEN            # the mistake: index i, not i + 1
        z = (z ^ (z >> uint64(30))) * M1
        z = (z ^ (z >> uint64(27))) * M2
        z = z ^ (z >> uint64(31))
        keep = (z >> uint64(32)) >= threshold
        mask[i] = keep
        y[i] = x[i] * scale if keep else 0


def dropout_forward(x, p, key):
    x = np.ascontiguousarray(x)
    y, mask = np.empty_like(x), np.empty(x.shape, np.bool_)
    _forward(x.ravel(), np.uint64(key), np.uint64(int(p * 2 ** 32)), x.dtype.type(1 / (1 - p)),
             y.ravel(), mask.ravel())
    return y, mask


def dropout_backward(gy, mask, p):
    return (gy * mask / (1 - p)).astype(gy.dtype)
'''

NUMPY_ONLY = '''
import sys
sys.path.insert(0, "")
from minidl.kernels.dropout.reference import dropout_forward, dropout_backward  # noqa: F401
'''


def test_dropout_numba_mistakes(tmp_path):
    passed, total, report = run_check("numba", write(tmp_path, "d.py", NUMBA_WRONG_INDEX))
    assert passed < total and "mask differs" in report, report
    passed, total, report = run_check("numba", write(tmp_path, "e.py", NUMPY_ONLY))
    assert passed < total and "not implemented yet: @njit kernels" in report, report
    assert "FAIL  dropout_forward        speed" in report, report


def test_a_missing_function_is_named(tmp_path):
    path = write(tmp_path, "relu.py", "import numpy as np\n\n\ndef relu_forward(x):\n"
                                      "    return np.maximum(x, 0)\n")
    passed, total, report = run_check("relu", path)
    assert passed < total
    assert "your file defines no `relu_backward`" in report and "Traceback" not in report


OLD_STYLE_CONV = '''
def im2col(x, kernel_size, stride, padding, dilation):
    raise NotImplementedError

def col2im(col, x_shape, kernel_size, stride, padding, dilation):
    raise NotImplementedError

def conv2d_forward(x, w, b, stride, padding, dilation, groups):
    raise NotImplementedError

def conv2d_backward(gy, x, w, stride, padding, dilation, groups, need_x, need_w, need_b):
    raise NotImplementedError
'''


def test_a_signature_other_than_minidls_fails_the_first_check(tmp_path):
    passed, total, report = run_check("conv", write(tmp_path, "conv.py", OLD_STYLE_CONV))
    first = report.splitlines()[0]
    assert first.startswith("FAIL  (signatures)") and "im2col(x, kernel_size" in first, report
    # renamed arguments are fine: minidl calls positionally
    renamed = write(tmp_path, "relu.py", "import numpy as np\n\n\ndef relu_forward(inp):\n"
                    "    return np.maximum(inp, 0)\n\n\ndef relu_backward(grad, out):\n"
                    "    return np.where(out > 0, grad, 0).astype(grad.dtype)\n")
    passed, total, report = run_check("relu", renamed)
    assert passed == total, report


def test_start_capstone_writes_the_five_kernel_files_and_keeps_yours(tmp_path):
    (tmp_path / "relu.py").write_text("# mine\n")
    rc, out = run_cli("start", "capstone", str(tmp_path))
    assert rc == 0, out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["conv.py", "dropout.py", "lrn.py",
                                                          "pool.py", "relu.py"]
    assert (tmp_path / "relu.py").read_text() == "# mine\n"
    assert "train" in out
