"""How `check` grades a student's file: load it, run each check, print one line per check.

A check is a function ``check(mod)`` of the student's module. It returns a short note on
success (what was compared) or raises ``Mismatch`` with the function, the case, the largest
difference and where, and a hint. The runner turns everything else into one line too:

    PASS  relu_forward   (2, 3, 4, 5) float32 against np.maximum ...
    FAIL  lrn_backward   size=4 x (2, 7, 3, 3): largest difference 0.31 at (0, 3, 1, 2) ...
    TODO  pool           not implemented yet: max_pool2d_forward
    ERROR col2im         x (1, 2, 5, 5) stride (2, 2): IndexError: ... in the student's
                         file at line 42, `xp[...] += ...`

The student sees their own file and line, never the checker's internals: tracebacks are
filtered to the frames from the student's file. Every check is deterministic: fixed seeds,
fixed cases, no search.
"""
import importlib.util
import itertools
import linecache
import os
import sys
import traceback

import numpy as np

_counter = itertools.count()


class Mismatch(AssertionError):
    """A check's verdict: the student's result is wrong; the message says how."""


class Check:
    """One line of the report: ``func`` (the function graded), ``what`` (the case), ``run``."""

    def __init__(self, func, what, run):
        self.func, self.what, self.run = func, what, run


def load_student(path):
    """The student's file imported as a fresh module (never cached in sys.modules)."""
    path = os.path.abspath(path)
    name = f"_minidl_course_student_{next(_counter)}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None:
        raise ImportError(f"cannot import {path}: not a Python file")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod          # dataclasses and numba look their module up by name
    try:
        spec.loader.exec_module(mod)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return mod


def student_frames(exc, path):
    """The traceback of `exc` cut to the frames from the student's file `path`."""
    path = os.path.realpath(path)
    lines, repeats = [], 0
    for frame in traceback.extract_tb(exc.__traceback__):
        if os.path.realpath(frame.filename) == path:
            code = frame.line or linecache.getline(frame.filename, frame.lineno).strip()
            line = (f"        {os.path.basename(path)}, line {frame.lineno}, in "
                    f"{frame.name}: {code}")
            if lines and lines[-1] == line:      # deep recursion: say it once, with a count
                repeats += 1
                continue
            if repeats:
                lines.append(f"        (the line above repeated {repeats} more times)")
                repeats = 0
            lines.append(line)
    if repeats:
        lines.append(f"        (the line above repeated {repeats} more times)")
    return lines


def _innermost_student_function(exc, path):
    path = os.path.realpath(path)
    name = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if os.path.realpath(frame.filename) == path:
            name = frame.name
    return name


def run_checks(checks, mod, path, out=sys.stdout):
    """Run `checks` on the module `mod` loaded from `path`; print one line each.

    Returns (passed, total).
    """
    passed = 0
    for c in checks:
        np.random.seed(0)      # a student's code that draws from the global RNG: deterministic
        try:
            note = c.run(mod)
        except NotImplementedError as e:
            named = e.args[0] if e.args and isinstance(e.args[0], str) else ""
            func = (named if named and len(named) < 40
                    else _innermost_student_function(e, path) or c.func)
            print(f"TODO  {c.func:<22} not implemented yet: {func}", file=out)
        except Mismatch as e:
            print(f"FAIL  {c.func:<22} {c.what}: {e}", file=out)
        except AttributeError as e:
            if getattr(e, "obj", None) is not mod:
                _error(c, e, path, out)
            else:
                print(f"ERROR {c.func:<22} {c.what}: your file defines no `{e.name}` (keep the "
                      "stub's names)", file=out)
        except Exception as e:   # the student's code raised: show their own file and line
            _error(c, e, path, out)
        else:
            passed += 1
            print(f"PASS  {c.func:<22} {c.what}" + (f": {note}" if note else ""), file=out)
    return passed, len(checks)


def _error(c, e, path, out):
    """An exception from the student's code: their own file and line."""
    frames = student_frames(e, path)
    first = f"ERROR {c.func:<22} {c.what}: {type(e).__name__}: {e}"
    if frames:
        print("\n".join([first, "      raised at"] + frames), file=out)
    else:
        print(first + " (raised outside your file: check what your function returns, its "
              "shape and dtype)", file=out)


# -- comparing arrays -------------------------------------------------------------------------

def _fmt_index(i):
    return "(" + ", ".join(str(int(v)) for v in i) + ")"


def compare(got, expected, name="result", hint="", rtol=1e-5, atol=1e-6, dtype=None):
    """Raise Mismatch unless `got` is an array of `expected`'s shape (and `dtype` if given)
    whose values agree to ``|got - expected| <= atol + rtol * |expected|``.

    The message names the largest difference and where it is.
    """
    expected = np.asarray(expected)
    if got is None:
        raise Mismatch(f"{name} is None, expected an array of shape {expected.shape}")
    if not hasattr(got, "shape"):
        raise Mismatch(f"{name} is a {type(got).__name__}, expected an array of shape "
                       f"{expected.shape}")
    got = np.asarray(got)
    if got.shape != expected.shape:
        raise Mismatch(f"{name} has shape {got.shape}, expected {expected.shape}"
                       + (f"; hint: {hint}" if hint else ""))
    if dtype is not None and got.dtype != np.dtype(dtype):
        raise Mismatch(f"{name} has dtype {got.dtype}, expected {np.dtype(dtype)} (keep the "
                       f"input's dtype: cast with .astype(x.dtype, copy=False))")
    if got.size == 0:
        return "empty, as expected"
    g64, e64 = got.astype(np.float64), expected.astype(np.float64)
    with np.errstate(invalid="ignore"):
        diff = np.abs(g64 - e64)
        bad_nan = np.isnan(g64) != np.isnan(e64)
        diff = np.where(np.isnan(g64) & np.isnan(e64), 0.0, diff)
        diff = np.where(bad_nan, np.inf, diff)
        tol = atol + rtol * np.abs(np.nan_to_num(e64))
        excess = diff - tol
    worst = np.unravel_index(int(np.argmax(np.where(np.isnan(excess), np.inf, excess))),
                             got.shape)
    if not excess[worst] <= 0:
        n_bad = int(np.count_nonzero(~(excess <= 0)))
        msg = (f"{name}: largest difference {diff[worst]:.3g} at {_fmt_index(worst)} "
               f"(got {g64[worst]:.6g}, expected {e64[worst]:.6g}; {n_bad} of {got.size} "
               f"elements off)")
        raise Mismatch(msg + (f"; hint: {hint}" if hint else ""))
    return f"largest difference {float(diff.max()):.1e}"


def rng(seed):
    """The generator every check draws its data from: a fixed seed per case."""
    return np.random.default_rng(seed)


def shape_str(a):
    return str(tuple(a.shape)) + " " + str(a.dtype)
