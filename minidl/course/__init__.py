"""``minidl.course``: build minidl's pieces yourself, and have them checked.

    python -m minidl.course list               the assignments, in the guide's order
    python -m minidl.course start NAME DIR     write NAME's stub into DIR (DIR/NAME.py)
    python -m minidl.course check NAME FILE    grade FILE: one line per check, exit 0 if all pass
    python -m minidl.course train DIR          the capstone: AlexNet on your kernels in DIR

The list is ``minidl.course.assignments.ASSIGNMENTS``; the stubs are ``minidl/course/stubs/``,
the checks ``minidl/course/checks/``, the capstone ``minidl/course/train.py``.
"""
from .assignments import ASSIGNMENTS, get  # noqa: F401  (the list, for the guide and teachers)
