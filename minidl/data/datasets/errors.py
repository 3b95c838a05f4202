"""``CorruptFileError``: a dataset file that cannot be what it claims to be."""
import os


class CorruptFileError(ValueError):
    """Raised for a truncated or malformed dataset file; the message starts with the file's path."""

    def __init__(self, path, problem):
        self.path = os.fspath(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")

    def __reduce__(self):  # so it survives pickling (e.g. across processes) with both fields
        return type(self), (self.path, self.problem)
