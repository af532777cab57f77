"""Feature-space and structured losses: comparisons of network features, adaptive softmax.

:func:`perceptual_loss` compares feature maps that the caller's own network produced (omniloss
depends on no model library); :func:`adaptive_log_softmax_loss` is the loss of
``torch.nn.AdaptiveLogSoftmaxWithLoss`` as a function of its weights, so every library can train
the same factorized output layer. Both give one loss per sample, shape ``(N,)``, which
``sample_weight`` and ``where`` weigh and mask.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from types import ModuleType
from typing import Any

from omniloss._boundary import reads_arrays
from omniloss._primitives import clamp, gather_classes, log_softmax
from omniloss._reduction import reduce, weighting_args
from omniloss._validation import adaptive_softmax, class_ids, feature_pairs, nan_where, shape_of

Array = Any

__all__ = ["perceptual_loss", "adaptive_log_softmax_loss"]


@reads_arrays
@weighting_args("one value per sample, shape ``(N,)``")
def perceptual_loss(input_features: Sequence[Array], target_features: Sequence[Array], *,
                    weights: Sequence[float] | None = None, reduction: str = "mean",
                    sample_weight: Array | None = None, where: Array | None = None) -> Array:
    """Perceptual loss: ``sum_l w_l * ||phi_l(x) - phi_l(y)||**2 / (C*H*W)`` per sample.

    Johnson et al., "Perceptual Losses for Real-Time Style Transfer and Super-Resolution" (ECCV
    2016), eq. 2: for each layer ``l`` the squared Euclidean distance between the feature maps
    of the input and of the target, divided by the map's size ``C*H*W`` (the mean of the
    squared differences over every axis but the batch axis), one value per sample; the layers
    are summed with weights ``w_l``; ``reduction`` then runs over the batch.

    The features come from the caller's network, in any library. PyTorch with torchvision (the
    network's weights frozen, the input ``x`` and target ``y`` batches)::

        vgg = torchvision.models.vgg16(weights="DEFAULT").features.eval().requires_grad_(False)
        taps = [vgg[i] for i in (3, 8, 15, 22)]             # relu1_2, relu2_2, relu3_3, relu4_3
        features = []
        hooks = [m.register_forward_hook(lambda m, i, out: features.append(out)) for m in taps]
        vgg(x); input_features, features = features, []
        vgg(y); target_features = features
        loss = ol.perceptual_loss(input_features, target_features)

    Keras (any backend)::

        vgg = keras.applications.VGG16(include_top=False)
        names = ["block1_conv2", "block2_conv2", "block3_conv3", "block4_conv3"]
        extractor = keras.Model(vgg.input, [vgg.get_layer(n).output for n in names])
        loss = ol.perceptual_loss(extractor(x), extractor(y))

    Args:
        input_features: a list or tuple of feature maps of the input, one per layer, each a
            floating array with the batch on axis 0 (``(N, C, H, W)``, ``(N, H, W, C)``, ...),
            all from one library.
        target_features: the target's feature maps, the same number with the same shapes.
        weights: one non-negative number per layer (``None``: all 1); these weigh layers, not
            samples (``sample_weight`` weighs samples).

    Defined by Johnson et al. 2016 (no framework has it).

    Example:
        >>> import array_api_strict as xp
        >>> import omniloss as ol
        >>> ol.perceptual_loss([xp.ones((2, 3)), xp.zeros((2, 1, 2))],
        ...                    [xp.zeros((2, 3)), xp.ones((2, 1, 2))], weights=[1.0, 0.5])
        Array(1.5, dtype=array_api_strict.float64)
    """
    name = "perceptual_loss"
    xp, pairs, layer_weights = feature_pairs(name, input_features, target_features, weights,
                                             reduction, sample_weight, where)
    total = None
    for layer_weight, (x, y) in zip(layer_weights, pairs, strict=True):
        shape = shape_of(x)
        difference = x - y
        squared = difference * difference
        if len(shape) > 1:
            squared = xp.mean(squared, axis=tuple(range(1, len(shape))))
        layer = layer_weight * squared
        total = layer if total is None else total + layer
    return reduce(xp, total, reduction, sample_weight, where, name=name)


def _linear(xp: ModuleType, x: Array, weight: Array) -> Array:
    """``x @ weight.T``, as ``torch.nn.Linear`` without bias."""
    return xp.matmul(x, xp.matrix_transpose(weight))


@reads_arrays
@weighting_args("one value per row, shape ``(N,)``, ``()`` for a 0-d ``target``")
def adaptive_log_softmax_loss(input: Array, target: Array, head_weight: Array,
                              tail_weights: Sequence[tuple[Array, Array]], cutoffs: Sequence[int],
                              *, head_bias: Array | None = None, div_value: float = 4.0,
                              reduction: str = "mean", sample_weight: Array | None = None,
                              where: Array | None = None) -> Array:
    """Adaptive softmax NLL: the loss of ``torch.nn.AdaptiveLogSoftmaxWithLoss`` given its weights.

    Grave et al., "Efficient softmax approximation for GPUs" (ICML 2017).
    The classes ``[0, cutoffs[0])`` (the shortlist) get their log-probability from the head,
    ``log_softmax(input @ head_weight.T + head_bias)``, whose last ``len(cutoffs)`` outputs stand
    for the clusters. A class ``c`` of cluster ``i`` (``cutoffs[i] <= c < cutoffs[i+1]``, the
    last cluster ending at ``n_classes``) gets ``head[shortlist + i]`` plus its log-probability
    in that cluster, ``log_softmax((input @ proj_i.T) @ out_i.T)[c - cutoffs[i]]``. The loss is
    ``-log p(target)``.

    Trace-safe cost: torch evaluates each cluster only on the rows whose target falls in it
    (data-dependent shapes); here every cluster is evaluated on every row and the target's
    log-probability is picked with ``where``, so the time is that of a full factorized softmax,
    ``N * (F * (shortlist + clusters) + sum_i (F + osz_i) * hsz_i)`` multiply-adds, and each
    cluster's ``(N, osz_i)`` log-probabilities are kept for the backward pass. It is still cheaper
    than a full ``(N, n_classes)`` softmax layer when ``hsz_i < F``.

    A target outside ``[0, n_classes)`` gives NaN (torch raises; a value check would not trace).

    ``"mean"`` is the module's ``loss``; ``"none"`` is ``-output`` of the module.

    Args:
        input: hidden states, a floating array ``(N, F)``, or ``(F,)`` with a 0-d ``target``.
        target: class indices, an integer array ``(N,)`` (or 0-d).
        head_weight: ``module.head.weight``, shape ``(cutoffs[0] + len(cutoffs), F)``.
        tail_weights: one ``(proj, out)`` pair per cluster, ``module.tail[i][0].weight`` of
            shape ``(hsz_i, F)`` with ``hsz_i = int(F // div_value**(i + 1))`` and
            ``module.tail[i][1].weight`` of shape ``(osz_i, hsz_i)``, ``osz_i`` the cluster's
            size; the last ``osz`` fixes ``n_classes = cutoffs[-1] + osz``.
        cutoffs: the module's ``cutoffs``: increasing positive ints (without ``n_classes``).
        head_bias: ``module.head.bias`` (shape ``(cutoffs[0] + len(cutoffs),)``) or ``None``.
        div_value: the module's ``div_value``; the tail shapes are checked against it.

    Defined by ``torch.nn.AdaptiveLogSoftmaxWithLoss(in_features, n_classes, cutoffs,
    div_value, head_bias)``: with its parameters, ours equals ``module(input, target).loss``.

    Example:
        >>> import array_api_strict as xp
        >>> import omniloss as ol
        >>> hidden = xp.asarray([[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0]])
        >>> head = xp.zeros((3, 4))        # shortlist of 2 classes + 1 cluster
        >>> tail = [(xp.ones((1, 4)), xp.zeros((3, 1)))]  # cluster of 3 classes, hsz 4 // 4
        >>> ol.adaptive_log_softmax_loss(hidden, xp.asarray([0, 4]), head, tail, [2])
        Array(1.64791843, dtype=array_api_strict.float64)
    """
    name = "adaptive_log_softmax_loss"
    xp, rows, head_weight, head_bias, tail_weights, bounds = adaptive_softmax(
        name, input, target, head_weight, tail_weights, cutoffs, head_bias, div_value, reduction,
        sample_weight, where)
    shortlist = bounds[0]
    labels, bad = class_ids(name, xp, "target", target, bounds[-1])
    if target.ndim == 0:
        rows = xp.expand_dims(rows, axis=0)
        labels = xp.expand_dims(labels, axis=0)
    head = _linear(xp, rows, head_weight)
    if head_bias is not None:
        head = head + head_bias
    head_log_probs = log_softmax(xp, head, axis=1)
    in_shortlist = (labels >= 0) & (labels < shortlist)
    shortlist_index = clamp(xp, labels, min=0, max=shortlist - 1)
    log_prob = xp.where(in_shortlist, gather_classes(xp, head_log_probs, shortlist_index, axis=1),
                        math.nan)
    for i, (proj, out) in enumerate(tail_weights):
        low, high = bounds[i], bounds[i + 1]
        projected = _linear(xp, rows, proj)
        cluster_log_probs = log_softmax(xp, _linear(xp, projected, out), axis=1)
        local_index = clamp(xp, labels - low, min=0, max=high - low - 1)
        cluster_log_prob = (gather_classes(xp, cluster_log_probs, local_index, axis=1)
                            + head_log_probs[:, shortlist + i])
        log_prob = xp.where((labels >= low) & (labels < high), cluster_log_prob, log_prob)
    loss = -log_prob
    if target.ndim == 0:
        loss = xp.squeeze(loss, axis=0)
    return reduce(xp, nan_where(xp, loss, bad), reduction, sample_weight, where, name=name)
