"""ImageFolder on PNG/JPEG files written with Pillow."""
import os
import subprocess
import sys
import textwrap

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


def test_an_empty_class_folder_is_an_error_unless_allowed(tmp_path):
    """torchvision's rule: an empty class would be silently counted in the number of classes."""
    make_folder(tmp_path)
    (tmp_path / "fox").mkdir()
    (tmp_path / "fox" / "readme.txt").write_text("no images")
    with pytest.raises(FileNotFoundError, match="class folder.s. fox of") as e:
        ImageFolder(tmp_path)
    assert "allow_empty=True" in str(e.value)
    ds = ImageFolder(tmp_path, allow_empty=True)
    assert ds.classes == ["cat", "dog", "emu", "fox"] and len(ds) == 5 and 3 not in ds.targets


def test_symlink_loops_are_listed_once(tmp_path):
    """A link to its own folder and a link back up: os.walk(followlinks=True) branches on both
    at every level and does not come back. Run in a child Python with a time limit."""
    make_folder(tmp_path)
    os.symlink(".", tmp_path / "cat" / "sub" / "self")
    os.symlink("..", tmp_path / "cat" / "sub" / "up")
    os.symlink(tmp_path / "cat", tmp_path / "dog" / "cats")     # a second class sees cat's files
    code = textwrap.dedent(f"""
        import warnings
        from minidl.data import ImageFolder
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            ds = ImageFolder({str(tmp_path)!r})
        print(len(ds), len(caught))
        for path, label in ds.samples:
            print(label, path)
    """)
    try:
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             timeout=20).stdout.splitlines()
    except subprocess.TimeoutExpired:
        pytest.fail("ImageFolder did not return in 20 s on a folder with symlink loops")
    rel = [(line.split(" ", 1)[0], os.path.relpath(line.split(" ", 1)[1], tmp_path)) for line in out[1:]]
    assert rel == [("0", "cat/z.png"), ("0", "cat/sub/y.png"),
                   ("1", "dog/a.png"), ("1", "dog/b.png"),
                   ("1", "dog/cats/z.png"), ("1", "dog/cats/sub/y.png"), ("2", "emu/e.jpg")]
    assert out[0] == "7 4"   # cat: self, up; dog/cats: self, up (each class lists a folder once)


def test_a_second_link_to_a_folder_is_skipped_for_the_real_path(tmp_path):
    make_folder(tmp_path)
    os.symlink(tmp_path / "cat" / "sub", tmp_path / "cat" / "alias")   # sorts before "sub"
    with pytest.warns(UserWarning, match="alias: it is .*sub, already listed"):
        ds = ImageFolder(tmp_path)
    assert [os.path.relpath(p, tmp_path) for p, _ in ds.samples[:2]] == ["cat/z.png", "cat/sub/y.png"]


def test_16_bit_grayscale_is_scaled_not_clipped(tmp_path):
    (tmp_path / "a").mkdir()
    values = np.array([[0, 255, 256, 1000], [32768, 40000, 65280, 65535]], np.uint16)
    Image.fromarray(values).save(tmp_path / "a" / "deep.png")       # Pillow mode I;16
    ds = ImageFolder(tmp_path, mode="L")
    img = ds[0][0]
    assert img.dtype == np.uint8
    assert np.array_equal(img[:, :, 0], values >> 8)                  # 1000 -> 3, not 255
    rgb = ImageFolder(tmp_path)[0][0]
    assert rgb.shape == (2, 4, 3) and np.array_equal(rgb[:, :, 1], values >> 8)


def test_32_bit_images_are_refused_naming_the_file(tmp_path):
    (tmp_path / "a").mkdir()
    path = tmp_path / "a" / "wide.tif"
    Image.fromarray(np.array([[0, 70000]], np.int32)).save(path)   # mode I: range unknown
    with pytest.raises(CorruptFileError, match="32-bit integer") as e:
        ImageFolder(tmp_path)[0]
    assert e.value.path == str(path)


def test_a_decompression_bomb_is_a_corrupt_file_error_naming_it(tmp_path, monkeypatch):
    make_folder(tmp_path)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 20)   # 6 x 9 = 54 pixels, over twice that
    ds = ImageFolder(tmp_path)
    with pytest.raises(CorruptFileError, match="decompression bomb") as e:
        ds[0]
    assert e.value.path == ds.samples[0][0] and "MAX_IMAGE_PIXELS" in str(e.value)
