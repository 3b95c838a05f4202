"""The first check of every assignment: the student's functions take as many arguments as
minidl's (minidl calls them positionally, so the names are free), so a file that passes can
replace minidl's."""
import importlib
import inspect

from . import assignments
from .grading import Check, Mismatch


def rebuilt_module(a):
    """The minidl module an assignment's file replaces (None for the capstone)."""
    if not a.rebuilds.endswith(".py"):
        return None
    dotted = a.rebuilds[:-3].replace("/", ".")
    return importlib.import_module("minidl." + dotted if dotted.startswith("kernels.") else dotted)


def signature_check(name):
    """The first check of every assignment: the student's functions take the same arguments
    as minidl's, so the file is a drop-in replacement."""
    a = assignments.get(name)

    def run(mod):
        real = rebuilt_module(a)
        compared = []
        for func in a.functions:
            theirs = getattr(real, func, None)
            if not inspect.isfunction(theirs):
                continue                   # classes, constants: checked by what they do
            mine = getattr(mod, func, None)
            if mine is None:
                raise Mismatch(f"your file defines no `{func}`")
            if not callable(mine):
                raise Mismatch(f"`{func}` is a {type(mine).__name__}, not a function")
            want = list(inspect.signature(theirs).parameters)
            try:
                params = inspect.signature(mine).parameters
            except (TypeError, ValueError):
                continue                   # a compiled function: no Python signature to read
            got = list(params)
            # minidl calls positionally: the names may differ, the number of arguments may not
            required = [n for n, p in params.items() if p.default is p.empty
                        and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
            takes_all = any(p.kind == p.VAR_POSITIONAL for p in params.values())
            n_want = sum(inspect.signature(theirs).parameters[n].default is inspect.Parameter.empty
                         for n in want)
            if len(required) > n_want or (len(got) < len(want) and not takes_all):
                raise Mismatch(f"{func}({', '.join(got)}), but {a.rebuilds} has {func}("
                               f"{', '.join(want)}): keep the stub's signature, so your file "
                               "can replace minidl's")
            compared.append(func)
        return "same arguments as minidl's " + ", ".join(compared) if compared else None
    return Check("(signatures)", f"as in {a.rebuilds}", run)
