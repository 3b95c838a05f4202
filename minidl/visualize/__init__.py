"""What did the net learn, and where does it look? Pictures from one backward pass.

    from minidl import visualize as V
    V.feature_maps(model, x, "features.4")           the layer's output (N, K, h, w)
    V.saliency(model, x, target)                      (N, H, W)  |dS_c/dx|, max over channels
    V.grad_cam(model, x, target, "features.13")       (N, h, w)  ReLU(sum_k alpha_k A^k)
    V.occlusion(model, x, target, window=6, stride=2) (N, nh, nw) p_c with a patch covered
    V.top_images(model, loader, "features.12", 5, k=9)  the images a channel likes best
    V.class_model(model, range(10), (1, 28, 28))      what each class looks like to the net
    V.confusion_matrix(model, loader, 10)             (K, K) counts, row = true class
    V.embed(features, "pca" | "tsne")                 (N, D) -> (N, 2)
    V.plot_saliency(image, map) ... -> matplotlib Figure

Every function takes the model and NumPy arrays or minidl Tensors (N, C, H, W), runs the model
in eval mode, and returns NumPy arrays; afterwards the model's modes, hooks and parameters'
``requires_grad`` are as they were, even when the call raised. Layers are named as in
``model.named_modules()`` (AlexNet: "features.0" conv1 ... "features.12" conv5,
"classifier.4" fc7 after its ReLU). Nothing here needs torch; ``embed(method="tsne")`` needs
scikit-learn, the ``plot_*`` functions matplotlib.

The papers: Simonyan, Vedaldi & Zisserman 2013 (saliency, class models); Zeiler & Fergus 2014
(occlusion, top images with their receptive fields); Selvaraju et al. 2017 (Grad-CAM); Zhou et
al. 2016 (class activation maps); van der Maaten & Hinton 2008 (t-SNE).
"""
from .attribution import grad_cam, occlusion, resize_bilinear, saliency
from .class_model import class_model, gaussian_blur
from .evaluation import confusion_matrix, count_confusions, embed, pca, predict
from .features import ReceptiveField, TopImages, feature_maps, receptive_field, top_images
from .plot import (display_image, figure, plot_class_models, plot_confusion_matrix,
                   plot_embedding, plot_feature_maps, plot_grad_cam, plot_occlusion,
                   plot_saliency, plot_top_images, show_image)

__all__ = ["feature_maps", "saliency", "grad_cam", "occlusion", "top_images", "receptive_field",
           "class_model", "gaussian_blur", "confusion_matrix", "count_confusions", "predict",
           "embed", "pca", "resize_bilinear", "ReceptiveField", "TopImages", "display_image",
           "figure", "show_image", "plot_feature_maps", "plot_saliency", "plot_grad_cam",
           "plot_occlusion", "plot_top_images", "plot_class_models", "plot_confusion_matrix",
           "plot_embedding"]
