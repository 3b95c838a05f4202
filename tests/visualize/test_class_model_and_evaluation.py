"""class_model against its closed form on a linear net; confusion matrix against a direct
count; PCA against the covariance's eigenvectors (and scikit-learn); t-SNE keeps clusters."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from minidl import visualize as V
from minidl.data import DataLoader, TensorDataset

from nets import images, linear_net


@given(steps=st.integers(0, 30), lr=st.floats(0.01, 1.0), wd=st.floats(0.01, 1.0),
       targets=st.lists(st.integers(0, 3), min_size=1, max_size=4))
def test_class_model_of_a_linear_net_follows_the_closed_form(steps, lr, wd, targets):
    net = linear_net(2, 3, 3, 4)
    w = net[1].weight.data.reshape(4, 2, 3, 3)
    # I_{t+1} = I_t + lr (w - wd I_t) from I_0 = 0:  I_t = (1 - (1 - lr wd)^t) w / wd
    expected = (1 - (1 - lr * wd) ** steps) * w[targets] / wd
    got = V.class_model(net, targets, (2, 3, 3), steps=steps, lr=lr, weight_decay=wd)
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12)


def test_class_model_of_an_int_target_is_one_image_and_bad_targets_say_so():
    net = linear_net(1, 2, 2, 3)
    assert V.class_model(net, 2, (1, 2, 2), steps=1).shape == (1, 1, 2, 2)
    with pytest.raises(ValueError, match="target 3 is not a class"):
        V.class_model(net, [0, 3], (1, 2, 2), steps=0)
    with pytest.raises(ValueError, match=r"shape must be one image's \(C, H, W\)"):
        V.class_model(net, 0, (4,))


@given(n=st.integers(1, 40), k=st.integers(2, 5), batch=st.integers(1, 8), seed=st.integers(0, 99))
def test_the_confusion_matrix_is_a_direct_count(n, k, batch, seed):
    net = linear_net(1, 3, 3, k, seed)
    x = images((n, 1, 3, 3), seed)
    y = np.random.default_rng(seed).integers(0, k, n)
    pred = (x.reshape(n, -1) @ net[1].weight.data.T + net[1].bias.data).argmax(axis=1)
    expected = np.zeros((k, k), np.int64)
    for t, p in zip(y, pred):
        expected[t, p] += 1
    cm = V.confusion_matrix(net, DataLoader(TensorDataset(x, y), batch_size=batch), k)
    np.testing.assert_array_equal(cm, expected)
    probs, labels = V.predict(net, DataLoader(TensorDataset(x, y), batch_size=batch))
    np.testing.assert_array_equal(labels, y)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0)
    np.testing.assert_array_equal(probs.argmax(axis=1), pred)


def test_the_confusion_matrix_checks_classes():
    net = linear_net(1, 2, 2, 3)
    x = images((2, 1, 2, 2), 0)
    with pytest.raises(ValueError, match="the model has 3 outputs, num_classes is 4"):
        V.confusion_matrix(net, [(x, np.array([0, 1]))], 4)
    with pytest.raises(ValueError, match=r"labels must be in 0..2, got 0..5"):
        V.confusion_matrix(net, [(x, np.array([0, 5]))], 3)


def test_pca_projects_on_the_covariance_eigenvectors():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((200, 5)) * np.array([5.0, 3.0, 1.0, 0.5, 0.1]) + 7.0
    x = x @ np.linalg.qr(rng.standard_normal((5, 5)))[0]      # rotated: axes not the columns
    evals, evecs = np.linalg.eigh(np.cov(x.T))
    axes = evecs[:, ::-1][:, :2]                              # largest variance first
    axes *= np.sign(axes[np.abs(axes).argmax(axis=0), [0, 1]])   # largest loading positive
    np.testing.assert_allclose(V.embed(x, "pca"), (x - x.mean(axis=0)) @ axes, rtol=1e-8,
                               atol=1e-8)


def test_pca_agrees_with_scikit_learn_up_to_sign():
    sklearn = pytest.importorskip("sklearn.decomposition")
    x = images((60, 8), 1) * np.arange(1, 9)
    ours = V.embed(x, "pca", dim=3)
    theirs = sklearn.PCA(3).fit_transform(x)
    np.testing.assert_allclose(np.abs(ours), np.abs(theirs), rtol=1e-8, atol=1e-8)


def test_tsne_keeps_well_separated_clusters_apart():
    pytest.importorskip("sklearn.manifold")
    rng = np.random.default_rng(0)
    centres = rng.standard_normal((3, 60)) * 10
    labels = np.repeat(np.arange(3), 30)
    x = centres[labels] + rng.standard_normal((90, 60))
    points = V.embed(x, "tsne", seed=0)
    assert points.shape == (90, 2)
    np.testing.assert_array_equal(points, V.embed(x, "tsne", seed=0))     # seeded
    d = ((points[:, None] - points[None]) ** 2).sum(-1)
    np.fill_diagonal(d, np.inf)
    assert (labels[d.argmin(axis=1)] == labels).mean() == 1.0      # nearest neighbour: same class


def test_embed_checks_its_input():
    with pytest.raises(ValueError, match=r"expected features \(N, D\)"):
        V.embed(np.zeros(5))
    with pytest.raises(ValueError, match="method must be 'pca' or 'tsne'"):
        V.embed(np.zeros((5, 3)), "umap")


def test_gaussian_blur_matches_scipy_and_keeps_a_constant():
    ndimage = pytest.importorskip("scipy.ndimage")
    x = images((2, 3, 9, 7), 0)
    for sigma in (0.5, 1.0, 1.7):
        ref = ndimage.gaussian_filter(x, sigma=(0, 0, sigma, sigma), mode="reflect", truncate=3)
        np.testing.assert_allclose(V.gaussian_blur(x, sigma), ref, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(V.gaussian_blur(np.full((1, 1, 5, 5), 3.0), 1.0), 3.0)
    assert V.gaussian_blur(x, 0.0) is x


def test_class_model_with_blur_blurs_after_each_step():
    net = linear_net(1, 5, 5, 2)
    w = net[1].weight.data.reshape(2, 1, 5, 5)
    image = np.zeros((1, 1, 5, 5))
    for _ in range(3):                                    # the loop written out
        image = V.gaussian_blur(image + 0.5 * (w[[1]] - 0.1 * image), 0.8)
    got = V.class_model(net, 1, (1, 5, 5), steps=3, lr=0.5, weight_decay=0.1, blur=0.8)
    np.testing.assert_allclose(got, image, rtol=1e-12)
