"""Weight initialisation schemes shared by the models, and the width multiplier.

    "paper"    weights N(0, 0.01²), biases 0 (AlexNet and VGG as published; AlexNet then sets
               some biases to 1)
    "kaiming"  weights N(0, 2 / fan_in) (He et al. 2015), biases 0: deep ReLU nets train from
               scratch, which VGG's deeper configurations do not from N(0, 0.01²)
    "xavier"   weights U(±sqrt(6 / (fan_in + fan_out))) (Glorot & Bengio 2010), biases 0
    None       keep the layers' own (PyTorch-style) initialisation

fan_in = input channels per group × KH × KW for a convolution, in_features for a Linear.
"""
from ..autograd import no_grad
from ..nn import Conv2d, Linear, init

SCHEMES = ("paper", "kaiming", "xavier", None)


def check_scheme(scheme, model):
    if scheme not in SCHEMES:
        raise ValueError(f"{model}: init must be one of {SCHEMES}, got {scheme!r}")


def weight_layers(model):
    """The Conv2d and Linear layers of `model`, in registration order."""
    return [m for m in model.modules() if isinstance(m, (Conv2d, Linear))]


def init_weights(layers, scheme, bias=0.0, output=None):
    """Re-initialise each layer's weight by `scheme` and set its bias to `bias`.

    `output`, the net's last layer, if it is in `layers`, gets N(0, 0.01²) under "kaiming" and
    "xavier" too: logits near zero, so the loss starts at log(classes). A He-scaled output layer
    gives a deep plain net (VGG-16 without batch norm) logits large enough that its first SGD
    steps diverge.
    """
    if scheme is None:
        return
    with no_grad():
        for m in layers:
            if m is output:
                init.normal_(m.weight, 0.0, 0.01)
                if m.bias is not None:
                    init.constant_(m.bias, bias)
                continue
            if scheme == "paper":
                init.normal_(m.weight, 0.0, 0.01)
            elif scheme == "kaiming":
                init.kaiming_normal_(m.weight, mode="fan_in", nonlinearity="relu")
            elif scheme == "xavier":
                init.xavier_uniform_(m.weight)
            if m.bias is not None:
                init.constant_(m.bias, bias)


def scaled(channels, width):
    """`channels` × `width`, rounded, at least 1 (d2l-style narrowing of a whole net)."""
    return max(1, int(round(channels * width)))
