"""Helpers of the course tests: minidl's own files made standalone, mutants, running `check`."""
import io
import os
import re
import subprocess
import sys

from minidl.course.cli import check_file

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _package_of(relpath):
    """The dotted package a repository file is installed in: kernels/x/y.py -> minidl.kernels.x."""
    parts = relpath.split("/")[:-1]
    if parts[0] == "kernels":
        parts = ["minidl"] + parts
    return parts


def standalone_source(relpath):
    """The source of minidl's `relpath` with its relative imports made absolute, so that the
    file runs from anywhere, as a student's file does."""
    with open(os.path.join(ROOT, relpath), encoding="utf-8") as f:
        src = f.read()
    pkg = _package_of(relpath)

    def absolute(m):
        indent, dots, rest = m.group(1), m.group(2), m.group(3)
        base = pkg[:len(pkg) - (len(dots) - 1)]
        return indent + "from " + ".".join(base + ([rest] if rest else [])) + " import"
    return re.sub(r"^(\s*)from (\.+)([\w.]*) import", absolute, src, flags=re.M)


def write(tmp_path, name, source):
    path = tmp_path / name
    path.write_text(source, encoding="utf-8")
    return str(path)


def mutate(source, old, new, count=1):
    """`source` with `old` replaced by `new` (`count` times); fails loudly if `old` is absent,
    so a mutant never silently equals the original."""
    assert source.count(old) >= count, f"mutation target not found: {old!r}"
    return source.replace(old, new, count)


def run_check(name, path):
    """(passed, total, report text) of `check` run in this process."""
    out = io.StringIO()
    passed, total = check_file(name, path, out=out)
    return passed, total, out.getvalue()


def run_cli(*args, env=None, timeout=600):
    """The CLI in a fresh process: (returncode, stdout + stderr)."""
    e = dict(os.environ, **(env or {}))
    r = subprocess.run([sys.executable, "-m", "minidl.course", *args], capture_output=True,
                       text=True, env=e, timeout=timeout, cwd=ROOT)
    return r.returncode, r.stdout + r.stderr
