"""Embedding and metric-learning losses: distances and angles between learned representations.

Pair and triplet losses take embeddings with the feature axis last (``cosine_similarity_loss``
takes an ``axis``) and return one value per pair or triplet, reduced by ``reduction``: ``"mean"``
(default), ``"sum"``, or ``"none"``, weighted by ``sample_weight`` and masked by ``where``, both
broadcast against that unreduced loss. ``ntxent_loss``'s unreduced loss is one value per anchor
(its positive pairs' summed losses) and its ``"mean"`` is optax's mean over positive pairs;
``circle_loss``, ``supervised_contrastive_loss`` and ``multi_similarity_loss`` give one value per
anchor too, against every other sample of the batch.
``margin_softmax_loss`` takes cosine logits (the ArcFace / CosFace / SphereFace heads) and class
indices.

Dtypes: the result has the floating result type of the embedding (or score) arrays; targets,
labels and ``sample_weight`` are cast to it and never change it.

Distances that can be 0 (two identical embeddings) use the subgradient 0 there, as torch's norms
do, so every gradient stays finite.
"""

from __future__ import annotations

import math
from types import ModuleType
from typing import Any

from omniloss._boundary import reads_arrays
from omniloss._primitives import (
    arange_like,
    binary_scale,
    clamp,
    class_mask,
    dim,
    euclidean_norm,
    gather_classes,
    log_softmax,
    softplus,
    split_maximum,
    split_minimum,
    sqrt_zero_safe,
    stop_gradient,
)
from omniloss._reduction import reduce, weighting_args
from omniloss._validation import (
    angular_margin,
    check_choice,
    check_flag,
    check_positive,
    check_real,
    class_ids,
    cosine_pairs,
    cosine_scores,
    embedding_arrays,
    labelled_embeddings,
    labelled_pairs,
    nan_where,
    referenced_embeddings,
    vector_pair,
)

Array = Any

__all__ = [
    "triplet_margin_loss",
    "cosine_embedding_loss",
    "cosine_similarity_loss",
    "contrastive_loss",
    "ntxent_loss",
    "circle_loss",
    "supervised_contrastive_loss",
    "multi_similarity_loss",
    "margin_softmax_loss",
]

_COSINE_EMBEDDING_EPS = 9.999999960041972e-13
"""Added to each squared norm by ``torch.nn.functional.cosine_embedding_loss``: its ``EPSILON``,
the float32 nearest to 1e-12 (the difference shows in the gradient at a zero vector)."""
_KERAS_EPSILON = 1e-7
"""``keras.config.epsilon()``: the smallest norm ``keras.losses.cosine_similarity`` divides by."""
_ARCFACE_CLAMP = 1e-7
"""ArcFace clamps the target cosine to ``[-1 + 1e-7, 1 - 1e-7]`` before ``acos``."""
_NORMALIZE_EPS = 1e-12
"""``torch.nn.functional.normalize``'s ``eps``: the smallest norm it divides by."""


def _p_norm(xp: ModuleType, x: Array, p: float) -> Array:
    """``||x||_p`` over the last axis with torch's gradient (0 where ``x`` is the zero vector).

    For ``1 < p < inf``, ``s * ||x / s||_p`` with ``s`` a power of two near ``max |x|``
    (:func:`~omniloss._primitives.binary_scale`; for ``p == 2``,
    :func:`~omniloss._primitives.euclidean_norm`): the powers never overflow or underflow (torch's
    norm is ``inf`` for float32 differences near 1e20), and the numbers are otherwise unchanged.
    """
    if p == math.inf:
        return xp.max(x * xp.sign(x), axis=-1)
    if p == 1:
        return xp.sum(x * xp.sign(x), axis=-1)
    if p == 2:
        return euclidean_norm(xp, x)
    scale = binary_scale(xp, x, axis=-1, keepdims=True)
    x = x / scale
    scale = xp.squeeze(scale, axis=-1)
    magnitude = x * xp.sign(x)
    nonzero = magnitude > 0
    powered = xp.where(nonzero, xp.where(nonzero, magnitude, 1.0) ** p, 0.0)
    total = xp.sum(powered, axis=-1)
    positive = total > 0
    return scale * xp.where(positive, xp.where(positive, total, 1.0) ** (1.0 / p), 0.0)


@reads_arrays
@weighting_args("one value per triplet, the embeddings' shape without the last (feature) "
                "axis: ``(N,)`` for ``(N, D)`` embeddings")
def triplet_margin_loss(anchor: Array, positive: Array, negative: Array, *, margin: float = 1.0,
                        p: float = 2.0, eps: float = 1e-6, swap: bool = False,
                        reduction: str = "mean", sample_weight: Array | None = None,
                        where: Array | None = None) -> Array:
    """Triplet margin loss: ``max(0, margin + d(anchor, positive) - d(anchor, negative))``.

    ``d(a, b) = ||a - b + eps||_p`` over the last axis: as in torch, ``eps`` is added to the
    *difference* (optax puts it inside the root instead). With ``swap=True`` the negative
    distance is ``min(d(anchor, negative), d(positive, negative))`` (Balntas et al. 2016), its
    gradient split evenly on a tie as ``torch.min``. At the margin the gradient flows (torch's
    ``clamp_min``), and where a difference is the zero vector its norm has gradient 0 (torch's
    norm). The norms are taken of the differences divided by a power of two near their largest
    entry, so float32 differences near 1e20 or beyond give their distances; torch's norms
    overflow to ``inf`` there and its loss is NaN (so torch's fused ``F.triplet_margin_loss`` is
    not used; everywhere else the numbers are torch's).

    Args:
        anchor: embeddings ``(N, D)``, ``(D,)`` or ``(..., D)``.
        positive: embeddings of the same shape.
        negative: embeddings of the same shape.
        margin: the margin.
        p: the norm degree, a positive number (``math.inf`` for the maximum norm).
        eps: added to each difference before the norm.
        swap: use the distance swap.

    Defined by ``torch.nn.functional.triplet_margin_loss`` (which also accepts broadcastable
    shapes and ``p <= 0``; here the shapes must match and ``p`` must be positive).

    Example:
        >>> import array_api_strict as xp
        >>> import omniloss as ol
        >>> ol.triplet_margin_loss(xp.asarray([[0.0, 0.0]]), xp.asarray([[3.0, 4.0]]),
        ...                        xp.asarray([[1.0, 0.0]]), eps=0.0)
        Array(5., dtype=array_api_strict.float64)
    """
    name = "triplet_margin_loss"
    margin, eps = check_real(name, "margin", margin), check_real(name, "eps", eps)
    p = check_positive(name, "p", p)
    swap = check_flag(name, "swap", swap)
    xp, (anchor, positive, negative) = embedding_arrays(
        name, reduction, sample_weight, where, anchor=anchor, positive=positive,
        negative=negative)
    to_positive = _p_norm(xp, anchor - positive + eps, p)
    to_negative = _p_norm(xp, anchor - negative + eps, p)
    if swap:
        to_negative = split_minimum(xp, to_negative, _p_norm(xp, positive - negative + eps, p))
    loss = clamp(xp, margin + to_positive - to_negative, min=0.0)
    return reduce(xp, loss, reduction, sample_weight, where, name=name)


@reads_arrays
@weighting_args("one value per pair, shape ``(N,)`` (0-d for one pair of ``(D,)`` inputs)")
def cosine_embedding_loss(input1: Array, input2: Array, target: Array, *, margin: float = 0.0,
                          reduction: str = "mean", sample_weight: Array | None = None,
                          where: Array | None = None) -> Array:
    """Cosine embedding loss: ``1 - cos`` if ``y == 1``, ``max(0, cos - margin)`` if ``y == -1``.

    ``cos = sum(x1 * x2) / sqrt((sum(x1**2) + 1e-12) * (sum(x2**2) + 1e-12))`` over the feature
    axis, with torch's ``1e-12`` inside each squared norm: a zero vector has cosine 0 and finite
    gradients. Each vector is first divided by a power of two ``s >= 1`` near its largest entry
    (and ``1e-12`` by ``s**2``, the same function exactly), so float32 entries near 1e30 give
    their cosine, where torch's squares overflow to NaN. Labels other than 1 and -1 give 0. At
    ``cos == margin`` (``y == -1``) the gradient flows, as torch's ``clamp_min``.

    Args:
        input1: embeddings ``(N, D)``, or ``(D,)`` for one pair.
        input2: embeddings of the same shape.
        target: labels in {1, -1}: ``(N,)``, or 0-d for one pair (integer or floating).
        margin: the margin for dissimilar pairs.

    Defined by ``torch.nn.functional.cosine_embedding_loss``.

    Example:
        >>> import array_api_strict as xp
        >>> import omniloss as ol
        >>> ol.cosine_embedding_loss(xp.asarray([[1.0, 0.0], [1.0, 1.0]]),
        ...                          xp.asarray([[0.0, 1.0], [1.0, 1.0]]), xp.asarray([1, -1]))
        Array(1., dtype=array_api_strict.float64)
    """
    name = "cosine_embedding_loss"
    margin = check_real(name, "margin", margin)
    xp, input1, input2, target = cosine_pairs(name, input1, input2, target, reduction,
                                              sample_weight, where)
    # each vector divided by a power of two s >= 1 near its largest entry, 1e-12 by s**2
    scale1 = binary_scale(xp, input1, axis=-1, keepdims=True, at_least_one=True)
    scale2 = binary_scale(xp, input2, axis=-1, keepdims=True, at_least_one=True)
    input1, input2 = input1 / scale1, input2 / scale2
    scale1, scale2 = xp.squeeze(scale1, axis=-1), xp.squeeze(scale2, axis=-1)
    product = xp.sum(input1 * input2, axis=-1)
    squared1 = xp.sum(input1 * input1, axis=-1) + _COSINE_EMBEDDING_EPS / scale1 / scale1
    squared2 = xp.sum(input2 * input2, axis=-1) + _COSINE_EMBEDDING_EPS / scale2 / scale2
    cosine = product / xp.sqrt(squared1 * squared2)
    similar = xp.where(target == 1.0, 1.0 - cosine, 0.0)
    dissimilar = xp.where(target == -1.0, clamp(xp, cosine - margin, min=0.0), 0.0)
    return reduce(xp, similar + dissimilar, reduction, sample_weight, where, name=name)


def _keras_unit(xp: ModuleType, x: Array, axis: int) -> Array:
    """``x / max(||x||, 1e-7)`` as Keras's ``normalize``: ``x * min(rsqrt(sum(x**2)), 1e7)``.

    Below the floor the scale is the constant ``1e7`` (no gradient through the norm), and a tie
    sends the gradient through the norm, as ``tf.minimum``. The norm is taken of ``x`` divided by
    a power of two near its largest entry, so it neither overflows (keras's ``sum(x**2)`` is
    ``inf`` for float32 entries near 1e20, and the cosine 0) nor underflows.
    """
    scale = binary_scale(xp, x, axis=axis, keepdims=True)  # ||x|| = scale * ||x / scale||
    scaled = x / scale
    squared = xp.sum(scaled * scaled, axis=axis, keepdims=True)
    nonzero = squared > 0
    root = xp.sqrt(xp.where(nonzero, squared, 1.0))
    cap = 1.0 / _KERAS_EPSILON
    return xp.where(nonzero & (1.0 / (root * scale) <= cap), scaled / root, x * cap)


@reads_arrays
@weighting_args("one value per sample, ``input``'s shape without ``axis``: a per-sample "
                "weight ``(N,)`` of an ``(N, D)`` input")
def cosine_similarity_loss(input: Array, target: Array, *, axis: int = -1,
                           reduction: str = "mean", sample_weight: Array | None = None,
                           where: Array | None = None) -> Array:
    """Negative cosine similarity: ``-sum(unit(input) * unit(target))`` over ``axis``.

    ``unit(x) = x / max(||x||, 1e-7)`` with Keras's epsilon (``keras.config.epsilon()``), so a
    zero vector gives 0 (and finite gradients, scaled by ``1e7``, as Keras).

    Args:
        input: predicted vectors, a floating array.
        target: target vectors of the same shape (Keras also squeezes or expands a trailing
            dimension of 1 to match; here the shapes must be equal), cast to ``input``'s dtype.
        axis: the feature axis.

    Defined by ``keras.losses.cosine_similarity`` (negative cosine; ``optax.cosine_similarity``
    returns ``+cos`` and has no norm floor by default).

    Example:
        >>> import array_api_strict as xp
        >>> import omniloss as ol
        >>> ol.cosine_similarity_loss(xp.asarray([[1.0, 1.0]]), xp.asarray([[2.0, 2.0]]))
        Array(-1., dtype=array_api_strict.float64)
    """
    name = "cosine_similarity_loss"
    xp, input, target, axis = vector_pair(name, input, target, axis, reduction, sample_weight,
                                          where)
    similarity = xp.sum(_keras_unit(xp, input, axis) * _keras_unit(xp, target, axis), axis=axis)
    return reduce(xp, -similarity, reduction, sample_weight, where, name=name)


@reads_arrays
@weighting_args("one value per pair, the inputs' shape without the last (feature) axis: "
                "``(N,)`` for ``(N, D)`` inputs")
def contrastive_loss(input1: Array, input2: Array, target: Array, *, margin: float = 1.0,
                     reduction: str = "mean", sample_weight: Array | None = None,
                     where: Array | None = None) -> Array:
    """Contrastive loss (Hadsell, Chopra and LeCun 2006) on pairs of embeddings.

    With the Euclidean distance ``d = ||input1 - input2||`` over the last axis::

        loss = y * d**2 + (1 - y) * max(0, margin - d)**2

    where ``y == 1`` marks a similar pair and ``y == 0`` a dissimilar one (soft labels in
    between are allowed). This is the catalogue's form of the paper's eq. 4 without its factors
    1/2 and with ``y`` meaning "similar" (the paper's ``Y = 0``). ``d**2`` is the sum of squares
    (no square root), and where ``d == 0`` (identical embeddings of a dissimilar pair) the
    gradient of ``d`` is taken as 0, torch's norm subgradient, so every gradient is finite.

    Args:
        input1: embeddings ``(N, D)`` or ``(..., D)``.
        input2: embeddings of the same shape.
        target: pair labels, 1 similar and 0 dissimilar: ``input1``'s shape without the last
            axis (integer or floating).
        margin: the distance beyond which dissimilar pairs cost nothing.

    Defined by Hadsell et al., "Dimensionality Reduction by Learning an Invariant Mapping"
    (CVPR 2006); no framework has it (pytorch-metric-learning's ``ContrastiveLoss`` is not
    squared).

    Example:
        >>> import array_api_strict as xp
        >>> import omniloss as ol
        >>> ol.contrastive_loss(xp.asarray([[0.0, 0.0], [0.0, 0.0]]),
        ...                     xp.asarray([[0.3, 0.4], [0.3, 0.4]]), xp.asarray([1.0, 0.0]),
        ...                     reduction="none")
        Array([0.25, 0.25], dtype=array_api_strict.float64)
    """
    name = "contrastive_loss"
    margin = check_real(name, "margin", margin)
    xp, input1, input2, target = labelled_pairs(name, input1, input2, target, reduction,
                                                sample_weight, where)
    difference = input1 - input2
    squared = xp.sum(difference * difference, axis=-1)
    gap = margin - sqrt_zero_safe(xp, squared)
    hinge = xp.where(gap > 0, gap, 0.0)
    loss = target * squared + (1.0 - target) * hinge * hinge
    return reduce(xp, loss, reduction, sample_weight, where, name=name)


@reads_arrays
@weighting_args("one value per anchor, shape ``(B,)``: the weights align with ``embeddings``' "
                'axis 0; ``"mean"`` divides by the weighted number of positive pairs, '
                "``sum_i w[i] * P[i]``")
def ntxent_loss(embeddings: Array, labels: Array, *, temperature: float = 0.07,
                reduction: str = "mean", sample_weight: Array | None = None,
                where: Array | None = None) -> Array:
    """NT-Xent (InfoNCE) loss over a batch of embeddings grouped by ``labels``.

    With cosine similarities ``s[i, j] / temperature`` (norms floored at ``sqrt(finfo.eps)``),
    every positive pair ``(i, j)`` (same label, ``i != j``) is one softmax over ``j`` and the
    negatives of ``i`` (different labels)::

        l[i, j] = -log(exp(s[i, j]) / (exp(s[i, j]) + sum_{k neg} exp(s[i, k])))

    The unreduced loss (``"none"``) has one value per anchor ``i``: the sum of ``l[i, j]`` over
    its ``P[i]`` positives (0 for an anchor without one). ``"sum"`` is the sum over every
    positive pair, and ``"mean"`` (the default, optax's number) the mean over positive pairs,
    ``sum_i loss[i] / sum_i P[i]``; it is the mean over anchors only when every anchor has as
    many positives (pairs ``[0, 0, 1, 1, ...]``). The scores are shifted by each row's largest
    off-diagonal similarity (held constant for the gradient, as optax does). No positive pair
    gives NaN (0/0), as optax, unless ``sample_weight`` or ``where`` is given (then 0).

    Weighting an anchor scales its positive pairs' terms, not its appearances as another
    anchor's positive or negative: the anchors are coupled through the batch, so an integer
    weight is not the same as repeating the embedding (which would add positive pairs).

    Args:
        embeddings: ``(B, D)`` embeddings, ``B >= 1``.
        labels: ``(B,)`` group labels; equal labels mark positive pairs.
        temperature: the positive softmax temperature.

    Defined by ``optax.ntxent`` (SimCLR, Chen et al. 2020), which has no ``reduction`` and
    returns the ``"mean"``. optax raises on an empty batch; so does this (``ValueError``).

    Example:
        >>> import array_api_strict as xp
        >>> import omniloss as ol
        >>> ol.ntxent_loss(xp.asarray([[1.0, 0.0], [1.0, 0.1], [0.0, 1.0]]),
        ...                xp.asarray([0, 0, 1]), temperature=1.0)
        Array(0.3285229, dtype=array_api_strict.float64)
    """
    name = "ntxent_loss"
    temperature = check_positive(name, "temperature", temperature)
    xp, embeddings = labelled_embeddings(name, embeddings, labels, reduction, sample_weight, where)
    batch, dtype = dim(xp, embeddings, 0), embeddings.dtype
    squared = xp.sum(embeddings * embeddings, axis=1, keepdims=True)
    floor = float(xp.finfo(dtype).eps)
    unit = embeddings / xp.sqrt(split_maximum(xp, squared, floor))
    similarity = xp.matmul(unit, xp.matrix_transpose(unit)) / temperature
    diagonal = class_mask(xp, arange_like(xp, batch, labels), batch, axis=1)
    same = xp.expand_dims(labels, axis=1) == xp.expand_dims(labels, axis=0)
    positive = same & ~diagonal
    negative = ~same
    peak = xp.max(xp.where(diagonal, -math.inf, similarity), axis=1, keepdims=True)
    peak = stop_gradient(xp, xp.where(xp.isfinite(peak), peak, 0.0))
    shifted = similarity - peak
    negatives = xp.sum(xp.where(negative, xp.exp(xp.where(negative, shifted, 0.0)), 0.0),
                       axis=1, keepdims=True)
    pair = xp.where(positive, shifted, 0.0)
    log_probability = pair - xp.log(negatives + xp.exp(pair))
    if reduction == "mean" and sample_weight is None and where is None:  # optax's ops
        total = xp.sum(xp.where(positive, log_probability, 0.0))
        return -total / xp.sum(xp.astype(positive, dtype))
    per_anchor = -xp.sum(xp.where(positive, log_probability, 0.0), axis=1)
    positives = xp.sum(xp.astype(positive, dtype), axis=1) if reduction == "mean" else None
    return reduce(xp, per_anchor, reduction, sample_weight, where, name=name, divisor=positives)


def _masked_logsumexp(xp: ModuleType, x: Array, mask: Array) -> tuple[Array, Array]:
    """``log(sum(exp(x) where mask))`` along axis 1, and whether a row has any entry: a row
    without one gives 0 (for ``where`` to drop), and no gradient reaches an entry off the mask
    (no ``inf * 0``)."""
    peak = xp.max(xp.where(mask, x, -math.inf), axis=1, keepdims=True)
    peak = stop_gradient(xp, xp.where(xp.isfinite(peak), peak, 0.0))
    total = xp.sum(xp.where(mask, xp.exp(xp.where(mask, x, peak) - peak), 0.0), axis=1)
    present = xp.any(mask, axis=1)
    return xp.log(xp.where(present, total, 1.0)) + xp.squeeze(peak, axis=1), present


@reads_arrays
@weighting_args("one value per anchor, shape ``(B,)``: the weights align with ``embeddings``' "
                "axis 0")
def circle_loss(embeddings: Array, labels: Array, *, ref_embeddings: Array | None = None,
                ref_labels: Array | None = None, gamma: float = 80.0, margin: float = 0.4,
                remove_diagonal: bool = True, reduction: str = "mean",
                sample_weight: Array | None = None, where: Array | None = None) -> Array:
    """Circle loss (Sun et al., CVPR 2020) of each anchor against the reference embeddings.

    With cosine distances ``d[i, j] = max(1 - e[i] . r[j], 0)`` between the anchors ``e`` and
    the references ``r``, positives ``j`` (same label; ``j != i`` with ``remove_diagonal``) and
    negatives (different labels)::

        a_p = max(margin + d, 0),       s_p = -gamma * a_p * (margin - d)
        a_n = max(1 + margin - d, 0),   s_n = gamma * a_n * (1 - margin - d)
        l[i] = softplus(logsumexp_{j pos} s_p[i, j] + logsumexp_{j neg} s_n[i, j])

    0 for an anchor with no positive or no negative. The log-sum-exps are shifted by their
    largest term (``gamma * 1.96`` at most is no overflow, but float32 ``exp(157)`` would be).
    The embeddings are used as given: ``L2``-normalise them first, as keras expects.

    Args:
        embeddings: ``(B, D)`` anchor embeddings (unit vectors), ``B >= 1``.
        labels: ``(B,)`` integer labels.
        ref_embeddings: ``(M, D)`` reference embeddings; ``embeddings`` when ``None``.
        ref_labels: ``(M,)`` integer labels of the references; ``labels`` when ``None``.
        gamma: the positive scale of the similarities.
        margin: the relaxation ``m``: optima ``-m`` and ``1 + m``, decision margins ``m`` and
            ``1 - m`` on the distances.
        remove_diagonal: whether the pairs ``(i, i)`` (an anchor and itself, or the reference of
            the same index) are left out of the positives, as keras does (the eye of ``(B, M)``).

    Defined by ``keras.losses.circle(labels, embeddings, ref_labels, ref_embeddings,
    remove_diagonal, gamma, margin)`` (keras 3.15), whose per-anchor values are our ``"none"``.
    keras's ``Circle`` class averages over the anchors with a positive loss only (its keras
    mask): that is our ``"sum"`` divided by their number, not our ``"mean"`` (over every anchor),
    so ``omniloss.keras`` has no class named ``Circle``. pytorch-metric-learning's ``CircleLoss``
    (``m=0.4, gamma=80``) writes the same terms with cosine similarities and averages over the
    anchors with a non-zero loss too.

    Example:
        >>> import array_api_strict as xp
        >>> import omniloss as ol
        >>> e = xp.asarray([[1.0, 0.0], [0.8, 0.6], [0.0, 1.0]])
        >>> ol.circle_loss(e, xp.asarray([0, 0, 1]), gamma=4.0, reduction="none")
        Array([0.28237788, 0.86589294, 0.        ], dtype=array_api_strict.float64)
    """
    name = "circle_loss"
    gamma = check_positive(name, "gamma", gamma)
    margin = check_real(name, "margin", margin)
    remove_diagonal = check_flag(name, "remove_diagonal", remove_diagonal)
    xp, embeddings, labels, references, ref_labels = referenced_embeddings(
        name, embeddings, labels, ref_embeddings, ref_labels, reduction, sample_weight, where)
    similarity = xp.matmul(embeddings, xp.matrix_transpose(references))
    distance = clamp(xp, 1 - similarity, min=0.0)
    positive = xp.expand_dims(labels, axis=1) == xp.expand_dims(ref_labels, axis=0)
    negative = ~positive
    if remove_diagonal:
        rows = arange_like(xp, dim(xp, embeddings, 0), labels)
        columns = arange_like(xp, dim(xp, references, 0), labels)
        positive = positive & (xp.expand_dims(rows, axis=1) != xp.expand_dims(columns, axis=0))
    positive_terms = -gamma * clamp(xp, margin + distance, min=0.0) * (margin - distance)
    negative_terms = gamma * clamp(xp, 1 + margin - distance, min=0.0) * (1 - margin - distance)
    positive_part, has_positive = _masked_logsumexp(xp, positive_terms, positive)
    negative_part, has_negative = _masked_logsumexp(xp, negative_terms, negative)
    loss = xp.where(has_positive & has_negative, softplus(xp, positive_part + negative_part), 0.0)
    return reduce(xp, loss, reduction, sample_weight, where, name=name)


def _labelled_cosines(xp: ModuleType, embeddings: Array,
                      labels: Array) -> tuple[Array, Array, Array]:
    """pytorch-metric-learning's ``CosineSimilarity`` of a labelled batch with itself: the
    ``(B, B)`` cosines of the rows normalised as ``torch.nn.functional.normalize`` does
    (``x / max(||x||, 1e-12)``), the positive pairs (equal labels, off the diagonal) and the
    negative pairs (different labels)."""
    norm = xp.expand_dims(_p_norm(xp, embeddings, 2.0), axis=1)
    unit = embeddings / clamp(xp, norm, min=_NORMALIZE_EPS)
    similarity = xp.matmul(unit, xp.matrix_transpose(unit))
    batch = dim(xp, embeddings, 0)
    diagonal = class_mask(xp, arange_like(xp, batch, labels), batch, axis=1)
    same = xp.expand_dims(labels, axis=1) == xp.expand_dims(labels, axis=0)
    return similarity, same & ~diagonal, ~same


@reads_arrays
@weighting_args("one value per anchor, shape ``(B,)``: the weights align with ``embeddings``' "
                'axis 0; ``"mean"`` divides by the weighted number of anchors with a positive '
                "and a negative, ``sum_i w[i] * [P[i] > 0]``")
def supervised_contrastive_loss(embeddings: Array, labels: Array, *, temperature: float = 0.1,
                                reduction: str = "mean", sample_weight: Array | None = None,
                                where: Array | None = None) -> Array:
    """Supervised contrastive loss (SupCon, Khosla et al. 2020, the ``L_out`` form) per anchor.

    With the cosine similarities ``s[i, j]`` of the normalised embeddings (``e / max(||e||,
    1e-12)``), the ``P[i]`` positives of anchor ``i`` (same label, ``j != i``) and every other
    sample ``k != i`` in the softmax::

        l[i] = -1/P[i] * sum_{j pos} log(exp(s[i, j] / T) / sum_{k != i} exp(s[i, k] / T))

    0 for an anchor without a positive or without a negative (a batch of one label is 0 as
    pytorch-metric-learning's: it returns 0 when the batch has no negative pair). The logits
    are shifted by each row's largest and the log-sum-exp by its own, so a small
    ``temperature`` (logits of 1e4) stays finite. ``"mean"`` averages over the anchors with a
    positive and a negative, the others being 0 (0, not 0/0, when there is none).

    Args:
        embeddings: ``(B, D)`` embeddings, ``B >= 1``; normalised here.
        labels: ``(B,)`` group labels; equal labels mark positive pairs.
        temperature: ``T``, dividing the cosine similarities.

    Defined by pytorch-metric-learning's ``SupConLoss(temperature=0.1)`` (2.8.1) without a
    miner: its ``CosineSimilarity`` distance and per-anchor losses, whose default
    ``AvgNonZeroReducer`` averages the losses above 0 (our ``"mean"`` but for an anchor whose
    loss rounds to exactly 0, which it leaves out and we count); ``SumReducer`` is our ``"sum"``
    and ``DoNothingReducer``'s losses our ``"none"``. It has no ``ref_emb`` here. The authors'
    ``SupConLoss`` (HobbitLong/SupContrast ``losses.py``) differs: it takes the features as
    given (normalised by the model), multiplies by ``temperature / base_temperature``
    (defaults 0.07 and 0.07), averages over every anchor, those without a positive included
    (our ``"sum"`` divided by ``B``), and does not return 0 for a batch without a negative
    pair; its ``n_views`` are our rows (``labels`` repeated per view) and its
    ``contrast_mode="one"`` our ``where`` on the first view's anchors.

    Example:
        >>> import array_api_strict as xp
        >>> import omniloss as ol
        >>> e = xp.asarray([[1.0, 0.0], [0.8, 0.6], [0.0, 2.0]])
        >>> ol.supervised_contrastive_loss(e, xp.asarray([0, 0, 1]), temperature=1.0,
        ...                                reduction="none")
        Array([0.37110067, 0.59813887, 0.        ], dtype=array_api_strict.float64)
    """
    name = "supervised_contrastive_loss"
    temperature = check_positive(name, "temperature", temperature)
    xp, embeddings = labelled_embeddings(name, embeddings, labels, reduction, sample_weight, where)
    similarity, positive, negative = _labelled_cosines(xp, embeddings, labels)
    logits = similarity / temperature
    # shifted by the row's largest logit (held constant), as pml: its roundings on a small loss
    logits = logits - stop_gradient(xp, xp.max(logits, axis=1, keepdims=True))
    log_normalizer, _ = _masked_logsumexp(xp, logits, positive | negative)
    log_probability = logits - xp.expand_dims(log_normalizer, axis=1)
    positives = xp.sum(xp.astype(positive, logits.dtype), axis=1)
    counted = (positives > 0) & xp.any(negative, axis=1)
    loss = xp.where(counted, -xp.sum(xp.where(positive, log_probability, 0.0), axis=1)
                    / xp.where(counted, positives, 1.0), 0.0)
    # with no anchor counted every loss is 0: divide by B, not 0
    counted = xp.where(xp.any(counted), counted, True)
    return reduce(xp, loss, reduction, sample_weight, where, name=name,
                  divisor=xp.astype(counted, loss.dtype) if reduction == "mean" else None)


@reads_arrays
@weighting_args("one value per anchor, shape ``(B,)``: the weights align with ``embeddings``' "
                "axis 0")
def multi_similarity_loss(embeddings: Array, labels: Array, *, alpha: float = 2.0,
                          beta: float = 50.0, base: float = 0.5, reduction: str = "mean",
                          sample_weight: Array | None = None,
                          where: Array | None = None) -> Array:
    """Multi-similarity loss (Wang et al., CVPR 2019) of each anchor over all its pairs.

    With the cosine similarities ``s[i, j]`` of the normalised embeddings (``e / max(||e||,
    1e-12)``), the positives of anchor ``i`` (same label, ``j != i``) and its negatives
    (different labels)::

        l[i] = 1/alpha * log(1 + sum_{j pos} exp(-alpha * (s[i, j] - base)))
             + 1/beta * log(1 + sum_{k neg} exp(beta * (s[i, k] - base)))

    a term being 0 for an anchor with no such pair. Both are softplus of a log-sum-exp shifted
    by its largest term, so large ``alpha`` and ``beta`` stay finite.

    Args:
        embeddings: ``(B, D)`` embeddings, ``B >= 1``; normalised here.
        labels: ``(B,)`` group labels; equal labels mark positive pairs.
        alpha: the scale of the positive pairs.
        beta: the scale of the negative pairs.
        base: the similarity margin ``lambda`` both terms are measured from.

    Defined by pytorch-metric-learning's ``MultiSimilarityLoss(alpha=2, beta=50, base=0.5)``
    (2.8.1) on every pair, its default ``CosineSimilarity`` distance and ``MeanReducer`` (our
    ``"mean"``; ``SumReducer`` is our ``"sum"``, ``DoNothingReducer``'s ``(B, 1)`` losses our
    ``"none"``). The paper's pair mining (keep a positive less similar than the hardest
    negative plus ``epsilon``, a negative more similar than the hardest positive minus it) is
    pml's separate ``MultiSimilarityMiner(epsilon=0.1)``, not part of this loss (``where``
    masks anchors, not pairs). The authors' code (MalongTech/research-ms-loss) takes the
    features as given, mines inside the loss (``margin=0.1``, and drops positives of
    similarity above ``1 - 1e-5``), leaves out an anchor without a mined positive and negative
    and divides the sum by the batch size.

    Example:
        >>> import array_api_strict as xp
        >>> import omniloss as ol
        >>> e = xp.asarray([[1.0, 0.0], [0.8, 0.6], [0.0, 2.0]])
        >>> ol.multi_similarity_loss(e, xp.asarray([0, 0, 1]), beta=10.0, reduction="none")
        Array([0.21941551, 0.35007014, 0.13150722], dtype=array_api_strict.float64)
    """
    name = "multi_similarity_loss"
    alpha = check_positive(name, "alpha", alpha)
    beta = check_positive(name, "beta", beta)
    base = check_real(name, "base", base)
    xp, embeddings = labelled_embeddings(name, embeddings, labels, reduction, sample_weight, where)
    similarity, positive, negative = _labelled_cosines(xp, embeddings, labels)
    positive_part, has_positive = _masked_logsumexp(xp, -alpha * (similarity - base), positive)
    negative_part, has_negative = _masked_logsumexp(xp, beta * (similarity - base), negative)
    loss = (xp.where(has_positive, softplus(xp, positive_part), 0.0) / alpha
            + xp.where(has_negative, softplus(xp, negative_part), 0.0) / beta)
    return reduce(xp, loss, reduction, sample_weight, where, name=name)


def _angular_target(xp: ModuleType, cosine: Array, margin: float, kind: str) -> Array:
    """The target class's modified cosine: ``cos(theta + m)``, ``cos - m`` or ``psi(theta)``."""
    if kind == "cosface":
        return cosine - margin
    if kind == "arcface":
        bounded = clamp(xp, cosine, min=-1.0 + _ARCFACE_CLAMP, max=1.0 - _ARCFACE_CLAMP)
        return xp.cos(xp.acos(bounded) + margin)
    multiple = int(margin)
    bounded = clamp(xp, cosine, min=-1.0, max=1.0)
    previous, chebyshev = xp.ones_like(bounded), bounded
    for _ in range(multiple - 1):
        previous, chebyshev = chebyshev, 2.0 * bounded * chebyshev - previous
    interval = xp.zeros_like(bounded)
    for step in range(1, multiple + 1):
        interval = interval + xp.astype(bounded <= math.cos(step * math.pi / multiple),
                                        bounded.dtype)
    parity = interval - 2.0 * xp.floor(interval / 2.0)
    return (1.0 - 2.0 * parity) * chebyshev - 2.0 * interval


@reads_arrays
@weighting_args("one value per sample, shape ``(N,)``")
def margin_softmax_loss(cosine: Array, target: Array, *, scale: float = 64.0,
                        margin: float = 0.5, kind: str = "arcface",
                        reduction: str = "mean", sample_weight: Array | None = None,
                        where: Array | None = None) -> Array:
    """Additive / multiplicative angular margin softmax (ArcFace, CosFace, SphereFace).

    ``cosine[n, c] = cos(theta_c)`` are the cosines between normalized features and class
    centres. The target class's logit gets a margin, every logit is multiplied by ``scale``, and
    the loss is the cross-entropy (minus the target's log-softmax):

    * ``"arcface"`` (Deng et al., CVPR 2019): ``s * cos(theta_y + m)``, with
      ``theta_y = acos(clamp(cos, -1 + 1e-7, 1 - 1e-7))``.
    * ``"cosface"`` (Wang et al., CVPR 2018): ``s * (cos(theta_y) - m)``.
    * ``"sphereface"`` (Liu et al., CVPR 2017): ``s * psi(theta_y)`` with the integer margin
      ``m`` and the paper's monotonic extension ``psi(theta) = (-1)**k * cos(m * theta) - 2 * k``
      for ``theta`` in ``[k*pi/m, (k+1)*pi/m]``; ``cos(m * theta)`` is the Chebyshev polynomial
      ``T_m(cos)`` of the cosine clamped to ``[-1, 1]``, and ``k`` counts the thresholds
      ``cos(j*pi/m)`` the cosine is at or below. This is the scaled (NormFace-style) form on
      cosines; the paper's feature-norm scaling and its lambda annealing are the caller's.

    Non-target logits are ``s * cos`` as given. ArcFace uses plain ``cos(theta + m)`` (no "easy
    margin" or ``theta + m > pi`` fallback). Gradients are finite everywhere, ``cos = +-1``
    included: ArcFace clamps the cosine before ``acos`` as the common implementations do
    (pytorch-metric-learning <= 0.9, pytorch-adacos), so at ``|cos| > 1 - 1e-7`` the target
    cosine is constant (gradient 0) and its value is ``cos(acos(1 - 1e-7) + m)``; CosFace needs no
    clamp; SphereFace's polynomial has the finite slope ``m**2`` at ``cos = 1``. An infinite or
    NaN cosine gives NaN in its row (as ``F.cross_entropy`` of an infinite logit), also at the
    target class, whose clamp would make it finite.

    Args:
        cosine: cosine logits ``(N, C)`` in ``[-1, 1]``.
        target: class indices ``(N,)`` (integer).
        scale: the scale ``s`` (feature norm), positive.
        margin: the margin ``m``; a positive integer for ``"sphereface"``.
        kind: ``"arcface"``, ``"cosface"`` or ``"sphereface"``.

    Defined by the three papers above, written as in their reference implementations followed by
    ``torch.nn.functional.cross_entropy``; no framework has these heads as functions.

    Example:
        >>> import array_api_strict as xp
        >>> import omniloss as ol
        >>> ol.margin_softmax_loss(xp.asarray([[0.5, 0.5]]), xp.asarray([0]), scale=1.0,
        ...                        margin=0.5, kind="cosface")
        Array(0.97407698, dtype=array_api_strict.float64)
    """
    name = "margin_softmax_loss"
    kind = check_choice(name, "kind", kind, ("arcface", "cosface", "sphereface"))
    scale = check_positive(name, "scale", scale)
    margin = angular_margin(name, margin, kind)
    xp, cosine = cosine_scores(name, cosine, target, reduction, sample_weight, where)
    target, bad = class_ids(name, xp, "target", target, cosine.shape[1])
    picked = gather_classes(xp, cosine, target, axis=1)
    # + (picked - picked): 0, or NaN for an infinite cosine, which the clamps would make finite
    target_cosine = _angular_target(xp, picked, margin, kind) + (picked - picked)
    is_target = class_mask(xp, target, dim(xp, cosine, 1), axis=1)
    logits = scale * xp.where(is_target, xp.expand_dims(target_cosine, axis=1), cosine)
    log_probability = gather_classes(xp, log_softmax(xp, logits, axis=1), target, axis=1)
    return reduce(xp, nan_where(xp, -log_probability, bad), reduction, sample_weight, where,
                  name=name)
