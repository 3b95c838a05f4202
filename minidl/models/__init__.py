"""``minidl.models``: the classic convnets, built as their papers describe them.

    alexnet(num_classes=1000)            AlexNet 2012: LRN, groups=2, overlapping pooling
    alexnet_torchvision()                torchvision's (different) AlexNet, loads its weights
    vgg("A" | "A-LRN" | "B" | "C" | "D" | "E"), vgg11 ... vgg19, init_from(deep, net_a)
    googlenet(aux_logits=True), googlenet_loss(outputs, target)
    alexnet_small, vgg_small, googlenet_small    the same nets for 28×28 / 32×32 images
    summary(model, (3, 227, 227))        per-layer output shapes, parameters, MACs
    ten_crop_predict, dense_evaluate, to_fully_convolutional, multi_crop_evaluate

Every net has timm's ``get_classifier()`` and ``reset_classifier(num_classes)``; the paper-size
constructors take ``weights=PATH`` -- torchvision's ``.pth``/``.safetensors`` or timm's VGG
safetensors (``read_weights(path)`` gives the state dict); minidl downloads nothing.

``get_model(name, num_classes, in_channels, input_size)`` picks the paper-size or the small
version of a net from the input size (what the example scripts' ``--arch``/``--input-size`` need).
"""
from .alexnet import AlexNet, AlexNetTorchvision, alexnet, alexnet_small, alexnet_torchvision
from .evaluation import (FullyConvolutionalVGG, dense_evaluate, grid_crops, hflip,
                         multi_crop_evaluate, ten_crop, ten_crop_predict, to_fully_convolutional)
from .googlenet import (GoogLeNet, GoogLeNetOutputs, Inception, InceptionAux, googlenet,
                        googlenet_loss, googlenet_small)
from .pretrained import read_weights
from .registry import get_model, list_models
from .summary import Summary, summary
from .vgg import (CONFIGS as VGG_CONFIGS, VGG, init_from, vgg, vgg11, vgg11_lrn, vgg13, vgg16,
                  vgg16c, vgg19, vgg_small)

__all__ = ["AlexNet", "AlexNetTorchvision", "alexnet", "alexnet_small", "alexnet_torchvision",
           "VGG", "VGG_CONFIGS", "vgg", "vgg11", "vgg11_lrn", "vgg13", "vgg16c", "vgg16", "vgg19",
           "vgg_small", "init_from",
           "GoogLeNet", "GoogLeNetOutputs", "Inception", "InceptionAux", "googlenet",
           "googlenet_small", "googlenet_loss",
           "summary", "Summary",
           "ten_crop", "ten_crop_predict", "grid_crops", "hflip", "multi_crop_evaluate",
           "dense_evaluate", "to_fully_convolutional", "FullyConvolutionalVGG",
           "get_model", "list_models", "read_weights"]
