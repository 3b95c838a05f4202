"""Batch augmentations for the paper-claims experiment, on normalised float batches (N, C, H, W).

    pad_crop_flip    AlexNet's random crops and mirror images: pad by `pad`, crop back, flip
    intensity_pca    AlexNet's PCA colour shift: eigvecs @ (a * eigvals), a ~ N(0, 0.1) per
                     image; with one channel, one eigenvector [1] and the intensity variance,
                     so it is a random brightness shift of the whole image
    scale_crop_flip  VGG's training scale: resize to S (fixed, or drawn per image in
                     [smin, smax]: scale jittering), crop `size` at random, flip
    resize_batch     bilinear resize with half-pixel centres (minidl's Resize convention)

Done on whole batches with NumPy rather than per image through minidl.data.transforms, because
the experiment's nets are small enough that per-image Python would dominate the step.
"""
import numpy as np


def _index(out_size, in_size):
    x = (np.arange(out_size, dtype=np.float64) + 0.5) * (in_size / out_size) - 0.5
    x = np.clip(x, 0, in_size - 1)
    lo = np.floor(x).astype(np.intp)
    return lo, np.minimum(lo + 1, in_size - 1), (x - lo).astype(np.float32)


def resize_batch(x, size):
    """(N, C, H, W) -> (N, C, size, size), bilinear, half-pixel centres."""
    if x.shape[-1] == size and x.shape[-2] == size:
        return x
    y0, y1, wy = _index(size, x.shape[-2])
    x0, x1, wx = _index(size, x.shape[-1])
    rows = x[:, :, y0] * (1 - wy)[:, None] + x[:, :, y1] * wy[:, None]
    out = rows[..., x0] * (1 - wx) + rows[..., x1] * wx
    return np.ascontiguousarray(out, dtype=np.float32)


def random_crops(x, size, rng):
    """One random size × size crop per image of (N, C, H, W)."""
    n, _, h, w = x.shape
    tops = rng.integers(0, h - size + 1, size=n)
    lefts = rng.integers(0, w - size + 1, size=n)
    return np.stack([x[i, :, t:t + size, l:l + size] for i, (t, l) in enumerate(zip(tops, lefts))])


def random_flips(x, rng):
    flip = rng.random(len(x)) < 0.5
    x = x.copy()
    x[flip] = x[flip][..., ::-1]
    return x


def pad_crop_flip(pad, fill):
    """Pad each side by `pad` with `fill` (C,) (the normalised value of a black pixel), crop
    back to the original size at a random place, mirror half the images."""
    fill = np.asarray(fill, dtype=np.float32).reshape(1, -1, 1, 1)

    def augment(x, rng):
        n, c, h, w = x.shape
        big = np.empty((n, c, h + 2 * pad, w + 2 * pad), np.float32)
        big[...] = fill
        big[:, :, pad:pad + h, pad:pad + w] = x
        return random_flips(random_crops(big, h, rng), rng)
    return augment


def intensity_pca(eigvals, eigvecs, std_per_channel, std=0.1, then=None):
    """AlexNet's PCA shift in pixel units (0..1), divided by each channel's normalising std so it
    applies to normalised batches; `then` is another augmentation applied first."""
    vals = np.asarray(eigvals, np.float32)
    vecs = np.asarray(eigvecs, np.float32)
    scale = np.asarray(std_per_channel, np.float32)

    def augment(x, rng):
        if then is not None:
            x = then(x, rng)
        alpha = rng.normal(0.0, std, size=(len(x), len(vals))).astype(np.float32)
        shift = (alpha * vals) @ vecs.T / scale          # (N, C)
        return x + shift[:, :, None, None]
    return augment


def scale_crop_flip(size, smin, smax):
    """VGG's training images: resize to S (S = smin = smax: fixed scale; else S drawn per image
    from the integers smin..smax: scale jittering), random size × size crop, random flip."""

    def augment(x, rng):
        scales = rng.integers(smin, smax + 1, size=len(x))
        out = np.empty((len(x), x.shape[1], size, size), np.float32)
        for s in np.unique(scales):
            pick = np.flatnonzero(scales == s)
            out[pick] = random_crops(resize_batch(x[pick], int(s)), size, rng)
        return random_flips(out, rng)
    return augment


def center_crop(x, size):
    h, w = x.shape[-2:]
    t, l = (h - size) // 2, (w - size) // 2
    return np.ascontiguousarray(x[..., t:t + size, l:l + size])
