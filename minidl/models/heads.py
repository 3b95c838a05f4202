"""``get_classifier()`` / ``reset_classifier(num_classes)``: timm's names for "the head".

    net.get_classifier()        # AlexNet, VGG: classifier[6] (fc8); GoogLeNet: fc
    net.reset_classifier(5)     # a fresh Linear(in_features, 5) in its place
    net.reset_classifier(0)     # Identity: the net returns the head's input (fc7, pooled)

The fresh head is what PyTorch's fine-tuning tutorial writes by hand (``model.classifier[6] =
nn.Linear(4096, C)``): PyTorch's default Linear init, on the old head's device and dtype, and
trainable. GoogLeNet's two auxiliary heads (``aux1.fc2``, ``aux2.fc2``) are reset with the main
one, so that training on the new classes keeps the paper's 0.3-weighted auxiliary losses.
"""
from .. import nn


def fresh_head(in_features, num_classes, like):
    """A new ``Linear(in_features, num_classes)`` on the device and dtype of the parameter
    `like`, or ``Identity`` for ``num_classes == 0``."""
    if not isinstance(num_classes, int) or isinstance(num_classes, bool) or num_classes < 0:
        raise ValueError(f"reset_classifier: num_classes must be a non-negative int, got "
                         f"{num_classes!r}")
    if num_classes == 0:
        return nn.Identity()
    return nn.Linear(in_features, num_classes).to(like.device, like.dtype)


class ClassifierMixin:
    """For nets whose head is ``self.classifier[6]`` (AlexNet, torchvision's AlexNet, VGG)."""

    def get_classifier(self):
        """The last layer, fc8: ``classifier[6]``."""
        return self.classifier[6]

    def reset_classifier(self, num_classes):
        """Replace fc8 by a fresh head for `num_classes` (0: Identity, the net outputs fc7).
        Returns the new head."""
        fc7 = [m for m in self.classifier[:6] if isinstance(m, nn.Linear)][-1]
        self.classifier[6] = fresh_head(fc7.out_features, num_classes, fc7.weight)
        return self.classifier[6]
