"""ImageFolder on PNG/JPEG files written with Pillow."""
import numpy as np
import pytest

from minidl.data import CorruptFileError, ImageFolder

Image = pytest.importorskip("PIL.Image")


def make_folder(root):
    rng = np.random.default_rng(0)
    pictures = {}
    for cls, names in {"dog": ["b.png", "a.png"], "cat": ["z.png", "sub/y.png"], "emu": ["e.jpg"]}.items():
        for name in names:
            path = root / cls / name
            path.parent.mkdir(parents=True, exist_ok=True)
            arr = rng.integers(0, 256, size=(6, 9, 3), dtype=np.uint8)
            Image.fromarray(arr).save(path)
            pictures[str(path)] = arr
    (root / "dog" / "notes.txt").write_text("not an image")
    return pictures


def test_classes_sorted_samples_and_exact_pixels(tmp_path):
    pictures = make_folder(tmp_path)
    ds = ImageFolder(tmp_path)
    assert ds.classes == ["cat", "dog", "emu"] and ds.class_to_idx == {"cat": 0, "dog": 1, "emu": 2}
    assert [p.split("/")[-1] for p, _ in ds.samples] == ["z.png", "y.png", "a.png", "b.png", "e.jpg"]
    assert ds.targets == [0, 0, 1, 1, 2]
    img, label = ds[2]
    assert label == 1 and img.shape == (6, 9, 3) and img.dtype == np.uint8
    assert np.array_equal(img, pictures[ds.samples[2][0]])          # PNG is lossless
    assert ds[4][0].shape == (6, 9, 3)                              # JPEG decodes too


def test_grayscale_mode(tmp_path):
    make_folder(tmp_path)
    assert ImageFolder(tmp_path, mode="L")[0][0].shape == (6, 9, 1)


def test_corrupt_image_names_the_file(tmp_path):
    make_folder(tmp_path)
    bad = tmp_path / "dog" / "a.png"
    bad.write_bytes(bad.read_bytes()[:40])
    ds = ImageFolder(tmp_path)
    with pytest.raises(CorruptFileError) as e:
        ds[ds.samples.index((str(bad), 1))]
    assert e.value.path == str(bad)


def test_empty_root_is_an_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="no class sub-folders"):
        ImageFolder(tmp_path)
    (tmp_path / "a").mkdir()
    with pytest.raises(FileNotFoundError, match="no files"):
        ImageFolder(tmp_path)
