"""What the net gets wrong, and how it arranges the images: a confusion matrix and a 2-D map.

    predict(model, loader)                  -> probabilities (N, K), labels (N,)
    confusion_matrix(model, loader, K)      -> (K, K) counts: row = true class, column = predicted
    count_confusions(labels, predicted, K)  the same from predictions you already have
    embed(features, "pca" | "tsne")         (N, D) -> (N, 2)

PCA is NumPy's SVD of the centred features; t-SNE (van der Maaten & Hinton 2008) is
scikit-learn's (``pip install -e ".[experiments]"``), run on the first 50 principal components,
as its authors advise for high-dimensional features.
"""
import numpy as np

from ..autograd import no_grad
from ._common import as_batch, batches, inspecting, logits_of, to_numpy


def predict(model, loader):
    """Softmax probabilities (N, K) float64 and labels (N,) int64 (-1 when the loader has
    none) for every image of `loader`, in its order; eval mode, no graph."""
    probs, labels = [], []
    with inspecting(model), no_grad():
        for images, y in batches(loader, "predict"):
            z = to_numpy(logits_of(model(as_batch(images, model, "predict")), "predict").data)
            z = z.astype(np.float64) - z.max(axis=1, keepdims=True)
            probs.append(np.exp(z) / np.exp(z).sum(axis=1, keepdims=True))
            labels.append(np.full(len(z), -1, np.int64) if y is None
                          else to_numpy(y).reshape(-1).astype(np.int64))
    if not probs:
        raise ValueError("predict: the loader yielded no images")
    return np.concatenate(probs), np.concatenate(labels)


def confusion_matrix(model, loader, num_classes):
    """(K, K) int64: entry [i, j] counts the images of true class i that the net called j
    (its top-1). Rows sum to each class's count; the diagonal over the total is the accuracy."""
    if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)) \
            or num_classes < 1:
        raise ValueError(f"confusion_matrix: num_classes must be a positive int, got "
                         f"{num_classes!r}")
    probs, labels = predict(model, loader)
    if probs.shape[1] != num_classes:
        raise ValueError(f"confusion_matrix: the model has {probs.shape[1]} outputs, "
                         f"num_classes is {num_classes}")
    return count_confusions(labels, probs.argmax(axis=1), num_classes)


def count_confusions(labels, predicted, num_classes):
    """The confusion matrix of given labels and predictions (N,): (K, K) int64 counts."""
    labels, predicted = np.asarray(labels), np.asarray(predicted)
    for name, v in (("labels", labels), ("predictions", predicted)):
        if len(v) and (v.min() < 0 or v.max() >= num_classes):
            raise ValueError(f"confusion_matrix: {name} must be in 0..{num_classes - 1}, got "
                             f"{v.min()}..{v.max()} (does the loader yield labels?)")
    cm = np.zeros((num_classes, num_classes), np.int64)
    np.add.at(cm, (labels, predicted), 1)
    return cm


def pca(features, dim=2):
    """The features' coordinates on their first `dim` principal axes: (N, D) -> (N, dim).

    X - mean = U S V^T; the result is (X - mean) V[:, :dim] = U S. Each axis's sign is fixed so
    that its largest loading is positive (an SVD may return either sign)."""
    x = np.asarray(features, np.float64)
    x = x - x.mean(axis=0)
    _, _, vt = np.linalg.svd(x, full_matrices=False)
    vt = vt[:dim]
    signs = np.sign(vt[np.arange(len(vt)), np.abs(vt).argmax(axis=1)])
    return x @ (vt * signs[:, None]).T


def embed(features, method="pca", dim=2, seed=0, perplexity=30.0):
    """Points in `dim` dimensions (N, dim), float64, for features (N, D) (e.g. fc7's, from
    ``feature_maps(model, x, "classifier.4")``). "pca": linear, exact, fast; "tsne": keeps
    neighbours together (distances between clusters mean little); `seed` fixes its start,
    `perplexity` (at most (N - 1)/3) is its effective number of neighbours."""
    x = np.asarray(features)
    if x.ndim != 2 or len(x) < 2:
        raise ValueError(f"embed: expected features (N, D) with N >= 2, got shape {x.shape}")
    if method == "pca":
        if dim > min(x.shape):
            raise ValueError(f"embed: {dim} principal axes from features of shape {x.shape}")
        return pca(x, dim)
    if method != "tsne":
        raise ValueError(f"embed: method must be 'pca' or 'tsne', got {method!r}")
    try:
        from sklearn.manifold import TSNE
    except ImportError:
        raise ImportError("embed(method='tsne') needs scikit-learn: pip install -e "
                          "\".[experiments]\" (or pip install scikit-learn)") from None
    if len(x) < 4:
        raise ValueError(f"embed: t-SNE needs at least 4 points, got {len(x)}")
    start = pca(x, min(50, *x.shape)) if x.shape[1] > 50 else np.asarray(x, np.float64)
    tsne = TSNE(n_components=dim, perplexity=min(perplexity, (len(x) - 1) / 3), init="pca",
                learning_rate="auto", random_state=seed)
    return tsne.fit_transform(start).astype(np.float64)
