"""The plot_* functions draw what they are given: names, counts, a colorbar, a PNG."""
import io

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from minidl import visualize as V  # noqa: E402

from nets import images  # noqa: E402

NAMES = ["T-shirt/top", "Trouser", "Pullover"]


def png_bytes(fig):
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def test_the_confusion_plot_shows_every_count_and_the_class_names():
    cm = np.array([[5, 1, 0], [2, 7, 3], [0, 0, 9]])
    fig = V.plot_confusion_matrix(cm, NAMES)
    ax = fig.axes[0]
    texts = [t.get_text() for t in ax.texts]
    assert texts == [str(v) for v in cm.ravel()]                 # row by row: true class
    assert [t.get_text() for t in ax.get_xticklabels()] == NAMES
    assert [t.get_text() for t in ax.get_yticklabels()] == NAMES
    assert ax.get_xlabel() == "predicted" and ax.get_ylabel() == "true"
    assert "top-1 77.8%" in ax.get_title()                        # 21 of 27
    assert len(fig.axes) == 2                                     # the matrix and its colorbar
    assert png_bytes(fig)[:4] == b"\x89PNG"


def test_each_map_is_drawn_over_its_image_with_a_colorbar():
    image = images((1, 8, 8), 0)
    for fig in (V.plot_saliency(image, np.abs(images((8, 8), 1))),
                V.plot_grad_cam(image, np.abs(images((4, 4), 2))),
                V.plot_occlusion(image, np.abs(images((3, 3), 3)), 4, 2)):
        assert len(fig.axes) == 2
        assert len(png_bytes(fig)) > 500
    fig = V.plot_grad_cam(image, np.ones((2, 2)))
    overlay = fig.axes[0].images[1].get_array()
    assert overlay.shape == (8, 8)                                # resized to the image


def test_the_embedding_legend_names_the_classes():
    points, labels = images((30, 2), 0), np.arange(30) % 3
    fig = V.plot_embedding(points, labels, NAMES)
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == NAMES


def test_class_models_top_images_and_feature_maps_draw():
    fig = V.plot_class_models(images((3, 1, 5, 5), 0), [0, 1, 2], NAMES)
    assert [ax.get_title() for ax in fig.axes[:3]] == NAMES
    assert png_bytes(V.plot_feature_maps(images((2, 4, 3, 3), 1), images((2, 1, 6, 6), 2)))
    from minidl import nn
    net = nn.Sequential(nn.Conv2d(1, 2, 3)).double()
    top = V.top_images(net, [(images((5, 1, 6, 6), 3), np.array([0, 1, 2, 0, 1]))], "0", 1, 3)
    fig = V.plot_top_images(top, "channel 1", NAMES)
    assert [ax.get_title().split("\n")[0] for ax in fig.axes[:3]] == [NAMES[j] for j in top.labels]
    assert len(fig.axes[0].patches) == 1                          # the receptive field's box
    assert png_bytes(V.plot_top_images([top, top], ["a", "b"], NAMES))
