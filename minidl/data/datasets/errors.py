"""``CorruptFileError``: a dataset file that cannot be what it claims to be."""
import os


class CorruptFileError(ValueError):
    """Raised for a dataset file that cannot be read as what it claims to be -- truncated,
    malformed, not UTF-8 where text is expected, or beyond what the reader accepts (a gzip or
    decompression bomb, a 32-bit image). ``path`` is the file; the message starts with it. It
    pickles, so a DataLoader worker's CorruptFileError reaches the main process as itself."""

    def __init__(self, path, problem):
        self.path = os.fspath(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")

    def __reduce__(self):  # so it survives pickling (e.g. across processes) with both fields
        return type(self), (self.path, self.problem)
