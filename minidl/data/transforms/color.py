"""AlexNet's PCA colour augmentation, and ``compute_pca`` to get its eigenvectors/eigenvalues.

Shapes: ``(H, W, C) -> (H, W, C)`` float32 (C = 3 for RGB; C = 1 works too).

The paper (section 4.1): do PCA on the RGB values of every pixel of the training set; to each
training image, each time it is presented, add to every pixel the same offset

    shift = [p1 p2 p3] @ [a1 * l1, a2 * l2, a3 * l3],   a_i ~ N(0, 0.1)

where p_i are the eigenvectors and l_i the eigenvalues of the 3 x 3 RGB covariance. Because the
shift is linear in a, its covariance over many draws is ``P diag(std**2 * l**2) P^T``.

Units matter: the eigenvalue (not its square root) multiplies a_i, so the formula is not scale
free. minidl follows the common reading (fb.resnet.torch's "Lighting", torchvision references):
pixels in 0..1. ``compute_pca`` therefore turns uint8 images into 0..1 first, and the transform
does too. For reference, ImageNet's eigenvalues in those units are about (0.2175, 0.0188, 0.0045).
"""
import numpy as np

from ..rng import resolve_rng
from .base import Transform, as_hwc, to_float


def _images(data):
    """Yield (H, W, C) images from an (N, H, W, C) / (H, W, C) array, a list, or a Dataset whose
    items are images or (image, label, ...) tuples."""
    if isinstance(data, np.ndarray) and data.ndim in (2, 3):
        yield data
        return
    if isinstance(data, np.ndarray):
        yield from data
        return
    for i in range(len(data)):
        item = data[i]
        yield item[0] if isinstance(item, tuple) else item


def compute_pca(data):
    """Eigenvalues (C,) and eigenvectors (C, C) of the per-pixel colour covariance of ``data``.

    ``data``: an (N, H, W, C) array, an (H, W, C) image, a list of images, or a Dataset returning
    ``(image, label)`` with HWC images (give it ``transform=None``, so the images are raw).
    uint8 values are taken as 0..255 and scaled to 0..1. Sorted largest eigenvalue first;
    ``eigvecs[:, i]`` is the i-th eigenvector (a column, as ``np.linalg.eigh`` returns).

    Streams: only running sums (of x and of x x^T, in float64) are kept, never all the pixels.
    """
    n, total, outer = 0, None, None
    for img in _images(data):
        x = as_hwc(img, "compute_pca")
        x = x.reshape(-1, x.shape[-1]).astype(np.float64) / (255.0 if x.dtype == np.uint8 else 1.0)
        if total is None:
            total, outer = np.zeros(x.shape[1]), np.zeros((x.shape[1], x.shape[1]))
        total += x.sum(axis=0)
        outer += x.T @ x
        n += x.shape[0]
    if n < 2:
        raise ValueError("compute_pca: need at least two pixels")
    mean = total / n
    cov = (outer - n * np.outer(mean, mean)) / (n - 1)
    eigvals, eigvecs = np.linalg.eigh(cov)          # ascending
    order = np.argsort(eigvals)[::-1]
    return np.clip(eigvals[order], 0, None), eigvecs[:, order]


class PCAColorAugmentation(Transform):
    """Add ``eigvecs @ (a * eigvals)`` with ``a ~ N(0, std)`` (one draw per image) to every pixel.

    ``eigvals``: (C,), ``eigvecs``: (C, C) with eigenvectors as columns, both from ``compute_pca``
    (pixel units 0..1). uint8 input becomes float32 0..1 first. The output is not clipped (nor in
    the paper).
    """

    def __init__(self, eigvals, eigvecs, std=0.1):
        self.eigvals = np.asarray(eigvals, dtype=np.float32).reshape(-1)
        self.eigvecs = np.asarray(eigvecs, dtype=np.float32)
        c = self.eigvals.shape[0]
        if self.eigvecs.shape != (c, c):
            raise ValueError(f"PCAColorAugmentation: eigvecs must be ({c}, {c}) for {c} eigenvalues, "
                             f"got {self.eigvecs.shape}")
        self.std = float(std)

    def __call__(self, img, rng=None):
        img = to_float(as_hwc(img, "PCAColorAugmentation"))
        c = self.eigvals.shape[0]
        if img.shape[-1] != c:
            raise ValueError(f"PCAColorAugmentation({c} channels): image has {img.shape[-1]} channels")
        alpha = resolve_rng(rng).normal(0.0, self.std, size=c).astype(np.float32)
        shift = self.eigvecs @ (alpha * self.eigvals)
        return img + shift
