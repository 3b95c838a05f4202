"""Test-time evaluation as the papers did it: averaging class posteriors over views of an image.

    ten_crop_predict(model, images, crop)   AlexNet: 4 corners + centre, and their mirror
                                            images; the 10 softmax outputs averaged
    to_fully_convolutional(vgg)             VGG: fc6 -> 7×7 conv, fc7, fc8 -> 1×1 convs
    dense_evaluate(model, images)           VGG "dense": the whole image through the
                                            convolutional net, the class score map averaged,
                                            and the flipped image's averaged in
    multi_crop_evaluate(model, images, crop, grid=5)   VGG multi-crop: a grid × grid of crops
                                            and their flips (5×5×2 = 50 per scale)

`images` is a Tensor or array (N, C, H, W), already rescaled and mean-subtracted; every function
returns class probabilities (N, num_classes) and runs the model in eval mode without gradients
(restoring its mode afterwards). For several test scales pass a list of batches, one per scale.
"""
import numpy as np

from .. import functional as F
from .. import nn
from ..autograd import no_grad
from ..tensor import Tensor
from .vgg import VGG


def _tensor(images):
    return images if isinstance(images, Tensor) else Tensor(images)  # NumPy or CuPy array


def hflip(images):
    """Mirror images left-right: (N, C, H, W) -> (N, C, H, W)."""
    x = _tensor(images)
    return Tensor(x.xp.ascontiguousarray(x.data[..., ::-1]))


def crop(images, top, left, height, width):
    x = _tensor(images)
    return Tensor(x.xp.ascontiguousarray(x.data[..., top:top + height, left:left + width]))


def _size(crop_size):
    return (crop_size, crop_size) if isinstance(crop_size, int) else tuple(crop_size)


def ten_crop(images, crop_size):
    """AlexNet's ten test patches: (N, C, H, W) -> list of 10 Tensors (N, C, h, w).

    Order: top-left, top-right, bottom-left, bottom-right, centre, then the same five mirrored
    (torchvision's TenCrop order). For 256×256 images and crop 224 the corners are offset 32.
    """
    x = _tensor(images)
    (h, w), (H, W) = _size(crop_size), x.shape[-2:]
    if h > H or w > W:
        raise ValueError(f"ten_crop: crop {h}×{w} is larger than the images ({H}×{W})")
    corners = [(0, 0), (0, W - w), (H - h, 0), (H - h, W - w), ((H - h) // 2, (W - w) // 2)]
    five = [crop(x, t, l, h, w) for t, l in corners]
    return five + [hflip(c) for c in five]


class _EvalMode:
    """`with _EvalMode(model):` eval mode and no gradients, the model's mode restored after."""

    def __init__(self, model):
        self.model, self.no_grad = model, no_grad()

    def __enter__(self):
        self.was_training = self.model.training
        self.model.eval()
        self.no_grad.__enter__()

    def __exit__(self, *exc):
        self.no_grad.__exit__(*exc)
        self.model.train(self.was_training)


def _average_probs(model, views):
    """Mean over `views` of softmax(model(view)), each view a batch (N, C, h, w)."""
    total = None
    for v in views:
        p = F.softmax(model(v), dim=1).data
        total = p if total is None else total + p
    return Tensor(total / len(views))


def ten_crop_predict(model, images, crop_size):
    """AlexNet's test-time prediction: the softmax outputs of the ten patches, averaged.

    (N, C, H, W) -> (N, num_classes) probabilities.
    """
    with _EvalMode(model):
        return _average_probs(model, ten_crop(images, crop_size))


def grid_crops(images, crop_size, grid=5, flip=True):
    """A grid × grid of crops evenly spread over each image, corners included (+ mirrors)."""
    x = _tensor(images)
    (h, w), (H, W) = _size(crop_size), x.shape[-2:]
    if h > H or w > W:
        raise ValueError(f"grid_crops: crop {h}×{w} is larger than the images ({H}×{W})")
    tops = np.linspace(0, H - h, grid).round().astype(int)
    lefts = np.linspace(0, W - w, grid).round().astype(int)
    crops = [crop(x, int(t), int(l), h, w) for t in tops for l in lefts]
    return crops + [hflip(c) for c in crops] if flip else crops


def multi_crop_evaluate(model, images, crop_size=224, grid=5, flip=True):
    """VGG's multi-crop evaluation: softmax averaged over a grid × grid of crops and their
    flips, over every scale given. The paper: 5×5 crops × 2 flips × 3 scales = 150 per image.

    images: (N, C, H, W), or a list of such batches (the same images at several scales Q).
    """
    batches = images if isinstance(images, (list, tuple)) else [images]
    with _EvalMode(model):
        views = [c for b in batches for c in grid_crops(b, crop_size, grid, flip)]
        return _average_probs(model, views)


class FullyConvolutionalVGG(nn.Module):
    """A VGG whose classifier is convolutional (the paper's Sec. 3.2):

        fc6  Linear(512·7·7 -> 4096)  ->  Conv2d(512 -> 4096, 7×7), weight reshaped
        fc7  Linear(4096 -> 4096)     ->  Conv2d(4096 -> 4096, 1×1)
        fc8  Linear(4096 -> classes)  ->  Conv2d(4096 -> classes, 1×1)

    (N, 3, H, W) -> features (N, 512, H/32, W/32) -> (N, classes, H/32 - 6, W/32 - 6): a class
    score map, 1×1 at 224 (equal to the FC net's logits), 6×6 at 384. The Linear's weight
    (out, C·7·7) reshapes to (out, C, 7, 7) because flatten orders the features C, H, W.
    Keys are the FC net's (``classifier.{0,3,6}``); `features` is shared with the source net.
    """

    def __init__(self, vgg_model):
        super().__init__()
        self.features = vgg_model.features
        fc6, fc7, fc8 = vgg_model.fc_layers()
        side = vgg_model.avgpool.output_size[0]
        c = fc6.in_features // (side * side)
        convs = [nn.Conv2d(c, fc6.out_features, side, dtype=fc6.weight.dtype),
                 nn.Conv2d(fc7.in_features, fc7.out_features, 1, dtype=fc7.weight.dtype),
                 nn.Conv2d(fc8.in_features, fc8.out_features, 1, dtype=fc8.weight.dtype)]
        with no_grad():
            for conv, fc in zip(convs, (fc6, fc7, fc8)):
                conv.weight.data = fc.weight.data.reshape(conv.weight.shape).copy()
                conv.bias.data = fc.bias.data.copy()
        dropout = vgg_model.classifier[2].p
        self.classifier = nn.Sequential(convs[0], nn.ReLU(), nn.Dropout(dropout),
                                        convs[1], nn.ReLU(), nn.Dropout(dropout), convs[2])
        self.train(vgg_model.training)  # a new module would train: follow the source's mode

    def forward(self, x):
        """(N, C, H, W) -> class score map (N, classes, H', W')."""
        return self.classifier(self.features(x))


def to_fully_convolutional(vgg_model):
    """The dense-evaluation form of a VGG (see FullyConvolutionalVGG)."""
    return FullyConvolutionalVGG(vgg_model)


def dense_evaluate(model, images, flip=True):
    """VGG's dense evaluation: (N, C, H, W) -> (N, classes) probabilities.

    The whole image goes through the fully convolutional net; the class score map (N, K, h, w)
    is turned into posteriors at each position (softmax over K) and averaged over the h × w
    positions; with `flip`, the mirrored image's average is averaged in ("the soft-max class
    posteriors of the original and flipped images are averaged"). At 224×224 the map is 1×1
    and this equals the FC net's softmax. `model` is a VGG (converted here -- convert once
    with ``to_fully_convolutional`` when evaluating many batches) or an already dense net.
    """
    if isinstance(model, VGG):
        model = to_fully_convolutional(model)
    x = _tensor(images)
    views = [x, hflip(x)] if flip else [x]
    with _EvalMode(model):
        total = None
        for v in views:
            p = F.softmax(model(v), dim=1).data.mean(axis=(2, 3))
            total = p if total is None else total + p
    return Tensor(total / len(views))
