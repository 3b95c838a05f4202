"""One module per assignment: ``checks()`` returns the list of ``grading.Check`` that grade it.

Each check compares the student's functions with an oracle that shares no code with the
student's file: a direct loop written here, minidl's own code, float64 finite differences
through ``minidl.gradcheck``, or a hard-coded known answer.
"""
