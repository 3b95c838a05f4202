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


WHERE = {
    "MNIST": "the four IDX files (train-images-idx3-ubyte.gz, ...) from "
             "https://ossci-datasets.s3.amazonaws.com/mnist/ (torchvision's mirror)",
    "FashionMNIST": "the four IDX files (train-images-idx3-ubyte.gz, ...) from "
                    "https://github.com/zalandoresearch/fashion-mnist (data/fashion)",
    "CIFAR10": "cifar-10-binary.tar.gz from https://www.cs.toronto.edu/~kriz/cifar.html, "
               "unpacked (the cifar-10-batches-bin folder)",
}


def refuse_download(name, root):
    """torchvision's ``download=True`` when the files are not in `root`, answered in one
    sentence: what to pass instead (files that are there load as they would without it)."""
    embedded = " (or pass no root for the subset embedded in minidl)" \
        if name == "FashionMNIST" else ""
    raise FileNotFoundError(f"{name}({root!r}, download=True): minidl downloads nothing and the "
                            f"files are not there: fetch {WHERE[name]} on a machine with "
                            f"internet and put them in that folder{embedded}")
