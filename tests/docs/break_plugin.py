"""A pytest plugin that breaks one line of minidl in memory, for grading the guide's exercises.

    MINIDL_BREAK='{"file": ..., "old": ..., "new": ..., "report": PATH}' \
        python -m pytest -p break_plugin ...          (with tests/docs on PYTHONPATH)

Before the tests are collected it reads the module's source, replaces `old` (which must occur
exactly once) by `new`, and executes the broken source in the module's own namespace: the
module's functions and classes are replaced where the tests and the rest of minidl look them
up. A name another module imported by value (``from ._util import sum_to_shape``) is
rebound there too. The file on disk is never touched. At the end it writes `report`: the
outcome of every test and whether it is a hypothesis test (random inputs) or a fixed one.
"""
import importlib
import json
import os
import sys

_SPEC = json.loads(os.environ.get("MINIDL_BREAK", "null") or "null")
_RESULTS = {}


def module_name(path):
    """'kernels/pool/reference.py' -> 'minidl.kernels.pool.reference'."""
    stem = path[:-3].replace("/", ".")
    return "minidl." + stem if stem.startswith("kernels.") else stem


def apply_break(spec):
    module = importlib.import_module(module_name(spec["file"]))
    with open(module.__file__, encoding="utf-8") as f:
        source = f.read()
    count = source.count(spec["old"])
    if count != 1:
        raise RuntimeError(f"break_plugin: {spec['old']!r} occurs {count} times in {spec['file']}")
    before = dict(vars(module))
    exec(compile(source.replace(spec["old"], spec["new"]), module.__file__, "exec"), vars(module))
    changed = {id(old): vars(module)[name] for name, old in before.items()
               if name in vars(module) and vars(module)[name] is not old}
    for other in list(sys.modules.values()):
        namespace = getattr(other, "__dict__", None)
        if other is module or not isinstance(namespace, dict):
            continue
        for name, value in list(namespace.items()):
            if id(value) in changed and callable(value):
                namespace[name] = changed[id(value)]


def pytest_configure(config):
    if _SPEC:
        apply_break(_SPEC)


def pytest_runtest_logreport(report):
    if report.when == "call" or report.outcome != "passed":
        if _RESULTS.get(report.nodeid) != "failed":
            _RESULTS[report.nodeid] = report.outcome


def pytest_collection_modifyitems(items):
    for item in items:
        _RESULTS.setdefault(item.nodeid, "not run")
        fn = getattr(item, "obj", None)
        _HYPOTHESIS[item.nodeid] = bool(getattr(fn, "is_hypothesis_test", False))


_HYPOTHESIS = {}


def pytest_sessionfinish(session):
    if _SPEC and _SPEC.get("report"):
        with open(_SPEC["report"], "w", encoding="utf-8") as f:
            json.dump({"outcomes": _RESULTS, "hypothesis": _HYPOTHESIS}, f, indent=1)
