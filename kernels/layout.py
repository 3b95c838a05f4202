"""Array layout helper shared by the element-wise kernels."""


def c_contiguous(a):
    """`a` itself when C-contiguous, else a C-ordered copy. Unlike ``np.ascontiguousarray``
    it keeps a 0-d array 0-d (ascontiguousarray returns shape (1,))."""
    return a if a.flags.c_contiguous else a.copy(order="C")
