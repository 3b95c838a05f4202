"""PCA colour augmentation (AlexNet): compute_pca against np.cov, and the shift's covariance."""
import numpy as np
import pytest

from minidl.data import ArrayDataset
from minidl.data.transforms import PCAColorAugmentation, compute_pca

IMAGENET_EIGVALS = np.array([0.2175, 0.0188, 0.0045])


def random_rotation(seed):
    q, r = np.linalg.qr(np.random.default_rng(seed).normal(size=(3, 3)))
    return q * np.sign(np.diag(r))


def test_compute_pca_equals_eig_of_np_cov():
    imgs = np.random.default_rng(0).integers(0, 256, size=(6, 5, 7, 3), dtype=np.uint8)
    eigvals, eigvecs = compute_pca(imgs)
    pixels = imgs.reshape(-1, 3) / 255.0                    # uint8 is read as 0..1
    ref_vals, ref_vecs = np.linalg.eigh(np.cov(pixels, rowvar=False))
    np.testing.assert_allclose(eigvals, ref_vals[::-1], rtol=1e-9)
    for i in range(3):   # eigenvectors are defined up to sign
        assert abs(abs(eigvecs[:, i] @ ref_vecs[:, 2 - i]) - 1) < 1e-9
    assert np.all(np.diff(eigvals) <= 0)


def test_compute_pca_recovers_a_known_covariance():
    P = random_rotation(1)
    cov = P @ np.diag([0.04, 0.01, 0.0025]) @ P.T
    pixels = np.random.default_rng(2).multivariate_normal([0.5] * 3, cov, size=200_000)
    eigvals, eigvecs = compute_pca(pixels.reshape(1000, 200, 1, 3))
    np.testing.assert_allclose(eigvals, [0.04, 0.01, 0.0025], rtol=0.03)
    assert np.all(np.abs(np.abs(np.sum(eigvecs * P, axis=0)) - 1) < 0.01)


def test_compute_pca_reads_a_dataset_like_an_array():
    imgs = np.random.default_rng(3).integers(0, 256, size=(5, 4, 4, 3), dtype=np.uint8)
    ds = ArrayDataset(imgs, np.zeros(5, np.int64))
    for a, b in zip(compute_pca(ds), compute_pca(imgs)):
        np.testing.assert_allclose(a, b)


def test_shift_covariance_is_P_diag_std2_lambda2_PT():
    P, std = random_rotation(4), 0.1
    aug = PCAColorAugmentation(IMAGENET_EIGVALS, P, std=std)
    rng = np.random.default_rng(5)
    img = np.zeros((2, 2, 3), np.float32)
    shifts = np.stack([aug(img, rng) for _ in range(20_000)])      # (draws, 2, 2, 3)
    assert np.allclose(shifts, shifts[:, :1, :1])                  # one offset for every pixel
    offsets = shifts[:, 0, 0].astype(np.float64)
    expected = P @ np.diag(std ** 2 * IMAGENET_EIGVALS ** 2) @ P.T
    # In the eigenbasis the covariance must be diagonal with std^2 lambda^2 on the diagonal.
    got = P.T @ np.cov(offsets, rowvar=False) @ P
    np.testing.assert_allclose(np.diag(got), np.diag(P.T @ expected @ P), rtol=0.05)
    d = np.sqrt(np.diag(got))
    assert np.all(np.abs(got / np.outer(d, d) - np.eye(3)) < 0.05)   # correlations ~ 0
    assert np.abs(offsets.mean(axis=0)).max() < 3 * std * IMAGENET_EIGVALS[0] / np.sqrt(20_000) * 2


def test_uint8_input_is_scaled_to_unit_range_and_grayscale_works():
    aug = PCAColorAugmentation([0.05], [[1.0]])
    img = np.full((4, 4, 1), 255, np.uint8)
    out = aug(img, np.random.default_rng(0))
    assert out.dtype == np.float32 and out.shape == (4, 4, 1)
    assert abs(out[0, 0, 0] - 1.0) < 0.05


def test_channel_mismatch_is_an_error():
    with pytest.raises(ValueError, match="3 channels"):
        PCAColorAugmentation(IMAGENET_EIGVALS, np.eye(3))(np.zeros((2, 2, 1)), np.random.default_rng(0))
    with pytest.raises(ValueError, match="eigvecs"):
        PCAColorAugmentation(IMAGENET_EIGVALS, np.eye(2))
