"""Property test of the extreme-image class (issue 24, item 3): photos of any size and aspect
ratio. classify.py either refuses one from its header with a one-line reason, or prepares it
as a (224, 224, 3) image in memory bounded whatever its shape."""
import os
import sys
import tracemalloc

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from minidl.data.imagenet import MAX_ASPECT, MAX_PIXELS, check_photo_size
from script_helpers import ROOT

sys.path.insert(0, os.path.join(ROOT, "examples"))
import classify  # noqa: E402  (examples/classify.py)

sides = st.one_of(st.integers(1, 40), st.integers(200, 600), st.integers(2000, 30000))


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(width=sides, height=sides, mode=st.sampled_from(["RGB", "L", "1"]))
def test_any_photo_is_refused_with_a_reason_or_prepared_in_bounded_memory(tmp_path, width,
                                                                          height, mode):
    refused = (max(width, height) > MAX_ASPECT * min(width, height)
               or width * height > MAX_PIXELS)
    if width * height > 4_000_000:   # too slow to write as a file: the size check alone
        if refused:
            with pytest.raises(ValueError, match="aspect ratio|megapixels"):
                check_photo_size(width, height, "photo")
        else:
            check_photo_size(width, height, "photo")
        return
    path = tmp_path / "photo.png"
    Image.new(mode, (width, height), (200, 200, 200) if mode == "RGB" else 200).save(path)
    if refused:
        with pytest.raises(ValueError, match="aspect ratio|megapixels") as e:
            classify.check_photo(str(path))
        assert str(path) in str(e.value) and "\n" not in str(e.value)
        return
    tracemalloc.start()
    try:
        out = classify.load_photo(str(path))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert out.shape == (224, 224, 3) and out.dtype == np.uint8
    assert np.all(out == 200) or mode == "1"   # a flat grey stays flat
    # the decoded photo, the resized one (short side 256, long at most 16 times that) and
    # the filter's working rows, never the float32 blow-up of an extreme shape
    budget = 3 * width * height * 4 + 3 * 256 * 256 * MAX_ASPECT * 8 + (8 << 20)
    assert peak < budget, (peak, width, height)
