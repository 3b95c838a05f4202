"""Bad layer arguments fail where they are made, naming the layer; shape errors during forward
name the failing layer, and an image too small for AlexNet or VGG names the layer's path in the
model, checked before the forward runs.

PyTorch accepts most of these arguments at construction and fails at the first forward
(``stride should not be zero``); minidl is stricter and fails in the constructor. Where PyTorch
works (``Linear(0, 3)``), minidl works too, with the same result.
"""
import numpy as np
import pytest

import minidl
from minidl import nn
from minidl.models import alexnet, alexnet_small

BAD = {
    "conv kernel 0": (lambda: nn.Conv2d(1, 2, 0), ValueError, r"Conv2d\(1→2\): kernel_size"),
    "conv stride -1": (lambda: nn.Conv2d(1, 2, 3, stride=-1), ValueError, "stride must be positive"),
    "conv stride 0": (lambda: nn.Conv2d(1, 2, 3, stride=0), ValueError, "stride must be positive"),
    "conv padding -1": (lambda: nn.Conv2d(1, 2, 3, padding=-1), ValueError, "padding must be >= 0"),
    "conv dilation 0": (lambda: nn.Conv2d(1, 2, 3, dilation=0), ValueError, "dilation must be"),
    "conv groups": (lambda: nn.Conv2d(3, 2, 3, groups=2), ValueError, "divisible by groups=2"),
    "maxpool 0": (lambda: nn.MaxPool2d(0), ValueError, "MaxPool2d: kernel_size must be positive"),
    "maxpool stride 0": (lambda: nn.MaxPool2d(2, stride=0), ValueError, "MaxPool2d: stride"),
    "maxpool padding > half": (lambda: nn.MaxPool2d(2, padding=2), ValueError, "at most half"),
    "avgpool padding -1": (lambda: nn.AvgPool2d(3, padding=-1), ValueError, "AvgPool2d: padding"),
    "linear -1": (lambda: nn.Linear(-1, 3), ValueError, r"Linear\(-1→3\): in_features"),
    "linear float": (lambda: nn.Linear(2.5, 3), TypeError, "in_features must be an int"),
    "dropout string": (lambda: nn.Dropout("0.5"), TypeError, "Dropout: p must be a number"),
    "dropout 1.5": (lambda: nn.Dropout(1.5), ValueError, r"Dropout: p must be in \[0, 1\]"),
    "dropout nan": (lambda: nn.Dropout(float("nan")), ValueError, "Dropout: p"),
    "lrn size 0": (lambda: nn.LocalResponseNorm(0), ValueError, "LocalResponseNorm.*size"),
    "lrn alpha string": (lambda: nn.LocalResponseNorm(5, alpha="1e-4"), TypeError, "alpha"),
    "adaptive 0": (lambda: nn.AdaptiveAvgPool2d(0), ValueError, "AdaptiveAvgPool2d"),
}


@pytest.mark.parametrize("case", BAD, ids=list(BAD))
def test_bad_arguments_fail_in_the_constructor(case):
    make, error, message = BAD[case]
    with pytest.raises(error, match=message):
        make()


def test_torch_refuses_them_too_at_its_first_forward():
    """Each value refused above for conv and pooling is one PyTorch also refuses (later)."""
    torch = pytest.importorskip("torch")
    x = torch.zeros(1, 1, 8, 8)
    for layer in (torch.nn.Conv2d(1, 2, 3, stride=0), torch.nn.Conv2d(1, 2, 3, stride=-1),
                  torch.nn.MaxPool2d(0), torch.nn.MaxPool2d(2, padding=2),
                  torch.nn.LocalResponseNorm(0)):
        with pytest.raises(RuntimeError):
            layer(x)


def test_good_edge_arguments_still_work():
    nn.MaxPool2d(3, stride=2, padding=1)
    nn.AdaptiveAvgPool2d((None, 3))
    nn.Dropout(0), nn.Dropout(1), nn.Conv2d(2, 4, (1, 3), padding=(0, 1))


def test_linear_with_no_inputs_matches_torch():
    """PyTorch allows in_features=0 (the output is the bias, zeros at init); so does minidl."""
    torch = pytest.importorskip("torch")
    ours = nn.Linear(0, 3)(minidl.zeros(2, 0))
    theirs = torch.nn.Linear(0, 3)(torch.zeros(2, 0))
    np.testing.assert_array_equal(ours.detach().numpy(), theirs.detach().numpy())
    assert nn.Linear(3, 0)(minidl.zeros(2, 3)).shape == (2, 0)


def assert_names_pool5(model, x):
    with pytest.raises(ValueError) as info:
        model(x)
    message = str(info.value)
    assert message.startswith("features.14 MaxPool2d(kernel_size=3): kernel 3×3 is larger than "
                              "the padded input 2×2")
    assert message.count("features.14") == 1


def test_a_shape_error_names_the_module_path():
    """The small AlexNet on 12-pixel images: its last max-pool sees 2x2 maps."""
    assert_names_pool5(alexnet_small(10, 1, 28), minidl.zeros(1, 1, 12, 12))


@pytest.mark.slow
def test_paper_alexnet_on_64_pixels_names_the_layer():
    """The paper's AlexNet on 64-pixel images (building the 61M-parameter net takes seconds:
    slow)."""
    assert_names_pool5(alexnet(num_classes=10), minidl.zeros(1, 3, 64, 64))


def test_the_trunk_check_names_a_conv_by_its_path_too():
    with pytest.raises(ValueError, match=r"^features\.0 Conv2d\(1→24, k=5\): input has 3 "
                                         r"channels, expected 1"):
        alexnet_small(10, 1, 28)(minidl.zeros(1, 3, 28, 28))


def test_the_trunk_check_remembers_sizes_that_fit_only():
    net = alexnet_small(10, 1, 28)
    assert net(minidl.zeros(2, 1, 28, 28)).shape == (2, 10)      # walked once, remembered
    assert_names_pool5(net, minidl.zeros(1, 1, 12, 12))            # a new size is walked again
    assert_names_pool5(net, minidl.zeros(1, 1, 12, 12))            # and a failing one each time


def test_a_layer_in_a_model_names_itself():
    inner = nn.Sequential(nn.Linear(5, 3))
    net = nn.Sequential(nn.Conv2d(1, 8, 3), nn.ReLU(), nn.Flatten(), nn.Sequential(inner))
    with pytest.raises(ValueError, match=r"^Linear\(5→3\): input has 288 features, expected 5"):
        net(minidl.zeros(2, 1, 8, 8))
    with pytest.raises(ValueError, match=r"^Conv2d\(1→8, k=3\): input has 3 channels"):
        net(minidl.zeros(2, 3, 8, 8))
    with pytest.raises(ValueError, match=r"^Linear\(5→3\): input has 4"):
        inner[0](minidl.zeros(2, 4))


def test_errors_pass_through_modules_untouched():
    class Raises(nn.Module):
        def forward(self, x):
            raise ValueError("mine")

    class Decodes(nn.Module):
        def forward(self, x):
            b"\xff".decode("utf-8")

    with pytest.raises(ValueError) as info:
        nn.Sequential(nn.Sequential(Raises()))(minidl.zeros(1))
    assert info.value.args == ("mine",)
    with pytest.raises(UnicodeDecodeError) as info:
        nn.Sequential(Decodes())(minidl.zeros(1))
    assert info.value.reason == "invalid start byte"
