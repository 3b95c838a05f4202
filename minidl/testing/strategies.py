"""Hypothesis strategies for minidl tensors (see the package docstring)."""
import numpy as np
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from ..tensor import Tensor


def register_profiles():
    """Profiles "ci" (no deadline, 25 examples) and "dev" (no deadline, 100 examples)."""
    common = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                        HealthCheck.data_too_large])
    settings.register_profile("ci", max_examples=25, **common)
    settings.register_profile("dev", max_examples=100, **common)


def shapes(min_dims=0, max_dims=4, min_side=1, max_side=5):
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side,
                            max_side=max_side)


def broadcastable_shapes(min_dims=0, max_dims=4, min_side=1, max_side=4):
    """Pairs of shapes that broadcast together, e.g. ((3, 1, 4), (2, 1))."""
    return hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=min_dims, max_dims=max_dims,
                                             min_side=min_side,
                                             max_side=max_side).map(lambda r: r.input_shapes)


@st.composite
def matmul_shapes(draw, max_batch_dims=2, max_side=4):
    """Shape pairs valid for ``a @ b``: vectors, matrices and broadcast batches."""
    n, k, m = (draw(st.integers(1, max_side)) for _ in range(3))
    batch = draw(st.lists(st.integers(1, 3), max_size=max_batch_dims))
    a_batch = [draw(st.sampled_from([b, 1])) for b in batch]
    b_batch = [draw(st.sampled_from([b, 1])) for b in batch]
    a_batch = a_batch[draw(st.integers(0, len(a_batch))):]
    b_batch = b_batch[draw(st.integers(0, len(b_batch))):]
    a = (k,) if draw(st.integers(0, 5)) == 0 else tuple(a_batch) + (n, k)
    b = (k,) if draw(st.integers(0, 5)) == 0 else tuple(b_batch) + (k, m)
    return a, b


@st.composite
def arrays(draw, shape=None, dtype=np.float64, min_value=-3.0, max_value=3.0,
           non_contiguous=None):
    """A float array; about a third of them are non-contiguous views (strided or transposed)."""
    shape = draw(shapes()) if shape is None else tuple(shape)
    elements = st.floats(min_value, max_value, allow_nan=False, allow_infinity=False, width=64)
    if non_contiguous is None:
        non_contiguous = len(shape) > 0 and draw(st.integers(0, 2)) == 0
    if not non_contiguous or len(shape) == 0:
        return draw(hnp.arrays(np.float64, shape, elements=elements)).astype(dtype)
    if len(shape) >= 2 and draw(st.booleans()):
        # a transposed view: same values, reversed strides
        base = draw(hnp.arrays(np.float64, shape[::-1], elements=elements)).astype(dtype)
        view = base.transpose(tuple(reversed(range(len(shape)))))
    else:
        # every other element along the last axis
        big = shape[:-1] + (2 * shape[-1],)
        base = draw(hnp.arrays(np.float64, big, elements=elements)).astype(dtype)
        view = base[..., ::2]
    assert view.shape == shape
    return view


@st.composite
def distinct_arrays(draw, shape, dtype=np.float64, spacing=0.1):
    """An array of `shape` whose values are all different (at least `spacing` apart), shuffled.

    Max and max-pooling have no derivative where two inputs tie; finite differences would
    straddle the tie. (Chainer's ``shuffled_linspace``.)
    """
    n = int(np.prod(shape))
    seed = draw(st.integers(0, 2 ** 32 - 1))
    values = (np.arange(n) - n / 2) * spacing
    np.random.default_rng(seed).shuffle(values)
    return values.reshape(shape).astype(dtype)


@st.composite
def tensors(draw, shape=None, dtype=np.float64, requires_grad=True, min_value=-3.0,
            max_value=3.0, non_contiguous=None):
    """A minidl Tensor over ``arrays(...)`` (float64 and requiring grad by default)."""
    a = draw(arrays(shape, dtype, min_value, max_value, non_contiguous))
    return Tensor(a, requires_grad=requires_grad)
