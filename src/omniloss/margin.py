"""Margin and ranking losses: hinge penalties on scores that must clear a margin.

The binary hinge family (``hinge_loss``, ``squared_hinge_loss``) is elementwise, as Keras defines
it before its mean over the last axis; ``categorical_hinge_loss`` is per sample over ``axis``. The
torch-defined losses keep torch's shapes, label conventions and gradients, including the
subgradient at the margin. Every loss is reduced by ``reduction``: ``"mean"`` (default),
``"sum"``, or ``"none"`` for the unreduced array, weighted by ``sample_weight`` and masked by
``where``, both broadcast against that unreduced array (elementwise, or one value per sample).

Dtypes: the result has the floating result type of the score arrays (and of a class
``weight``); targets, labels and ``sample_weight`` are cast to it and never change it.
"""

from __future__ import annotations

import math
from types import ModuleType
from typing import Any

from omniloss._boundary import reads_arrays
from omniloss._primitives import (
    clamp,
    class_mask,
    dim,
    gather_classes,
    log_sigmoid,
    log_softmax,
    split_maximum,
    take_along_axis,
    take_classes,
)
from omniloss._reduction import reduce, weighting_args
from omniloss._validation import (
    check_choice,
    check_real,
    class_ids,
    class_scores,
    float_pair,
    margin_scores,
    multilabel_ids,
    multilabel_logits,
    nan_where,
    normalize_axis,
    ranking_lists,
    ranking_triple,
    shape_of,
)
from omniloss.classification import _PER_POSITION, logistic

Array = Any

__all__ = [
    "hinge_loss",
    "squared_hinge_loss",
    "categorical_hinge_loss",
    "hinge_embedding_loss",
    "soft_margin_loss",
    "multi_margin_loss",
    "multilabel_margin_loss",
    "multilabel_soft_margin_loss",
    "margin_ranking_loss",
    "perceptron_loss",
    "multiclass_perceptron_loss",
    "ranking_softmax_loss",
]


def _hinge_margin(name: str, input: Array, target: Array, reduction: str,
                  sample_weight: Array | None, where: Array | None) -> tuple[ModuleType, Array]:
    """``max(0, 1 - y * input)`` with labels 0 read as -1; the margin's gradient flows (TF)."""
    xp, input, target = float_pair(name, input, target, reduction, sample_weight, where)
    labels = xp.where(target == 0.0, -1.0, target)
    violation = 1.0 - labels * input
    return xp, xp.where(violation >= 0, violation, 0.0)


@reads_arrays
@weighting_args()
def hinge_loss(input: Array, target: Array, *, reduction: str = "mean",
               sample_weight: Array | None = None, where: Array | None = None) -> Array:
    """Binary hinge loss: ``max(0, 1 - y * input)`` elementwise, reduced.

    Labels ``y`` are -1 or 1; a label 0 is read as -1, so {0, 1} labels work as in Keras. Keras
    converts the whole ``y_true`` with ``2*y - 1`` only when *every* label is 0 or 1 (a
    data-dependent ``cond``); here the rule is elementwise and trace-safe: ``y == 0`` becomes -1,
    anything else is used as given. The two agree on {0, 1} and on {-1, 1} labels; they differ
    only for label sets that mix 0 with values outside {0, 1} (e.g. {-1, 0, 1}, where Keras keeps
    the 0 and we use -1). The gradient with respect to ``target`` is not part of the contract
    (labels are constants).

    At the margin (``y * input == 1``) the gradient with respect to ``input`` is ``-y``, as
    ``keras.losses.hinge`` on TensorFlow (``tf.maximum`` passes the gradient to its first
    argument on a tie); Keras on JAX and ``optax.hinge_loss`` give ``-y/2`` there.

    Args:
        input: scores (decision values), a floating array.
        target: labels in {-1, 1} or {0, 1}, of the same shape (integer or floating).

    Defined by ``keras.losses.hinge``, which is the mean of this elementwise loss over the last
    axis (``reduction="none"`` followed by a mean over ``axis=-1`` reproduces it).

    Example:
        >>> import array_api_strict as xp
        >>> import omniloss as ol
        >>> ol.hinge_loss(xp.asarray([0.5, -2.0]), xp.asarray([1.0, 0.0]))
        Array(0.25, dtype=array_api_strict.float64)
    """
    xp, margin = _hinge_margin("hinge_loss", input, target, reduction, sample_weight, where)
    return reduce(xp, margin, reduction, sample_weight, where, name="hinge_loss")


@reads_arrays
@weighting_args()
def squared_hinge_loss(input: Array, target: Array, *, reduction: str = "mean",
                       sample_weight: Array | None = None, where: Array | None = None) -> Array:
    """Squared hinge loss: ``max(0, 1 - y * input)**2`` elementwise, reduced.

    Labels as in :func:`hinge_loss` (0 is read as -1, elementwise; Keras converts {0, 1} labels
    only when all of them are 0 or 1). The gradient is continuous, 0 at the margin.

    Args:
        input: scores, a floating array.
        target: labels in {-1, 1} or {0, 1}, of the same shape (integer or floating).

    Defined by ``keras.losses.squared_hinge`` (its mean over the last axis of this elementwise
    loss).

    Example:
        >>> import array_api_strict as xp
        >>> import omniloss as ol
        >>> ol.squared_hinge_loss(xp.asarray([0.5, -2.0]), xp.asarray([1.0, 0.0]))
        Array(0.125, dtype=array_api_strict.float64)
    """
    name = "squared_hinge_loss"
    xp, margin = _hinge_margin(name, input, target, reduction, sample_weight, where)
    return reduce(xp, margin * margin, reduction, sample_weight, where, name=name)


@reads_arrays
@weighting_args("one value per sample, ``input``'s shape without ``axis``: a per-sample "
                "weight ``(N,)`` of an ``(N, C)`` input")
def categorical_hinge_loss(input: Array, target: Array, *, axis: int = -1,
                           reduction: str = "mean", sample_weight: Array | None = None,
                           where: Array | None = None) -> Array:
    """Crammer-Singer hinge loss: ``max(0, 1 + max((1 - y) * input) - sum(y * input))`` per sample.

    Both the maximum and the sum run over ``axis``; ``target`` is one-hot (or soft). As in Keras,
    the maximum runs over ``(1 - y) * input``, which is 0 at the true class, so the "best wrong
    class" score is never below 0. Ties in the maximum share its gradient equally, and at the
    margin the gradient flows (``tf.maximum``'s choice), both as in Keras on TensorFlow.

    Args:
        input: scores, a floating array.
        target: one-hot targets of the same shape (integer or floating).
        axis: the class axis.

    Defined by ``keras.losses.categorical_hinge`` (which has no ``axis``: it uses the last one).

    Example:
        >>> import array_api_strict as xp
        >>> import omniloss as ol
        >>> ol.categorical_hinge_loss(xp.asarray([[2.0, 1.5, -1.0]]), xp.asarray([[1.0, 0.0, 0.0]]))
        Array(0.5, dtype=array_api_strict.float64)
    """
    name = "categorical_hinge_loss"
    xp, input, target = float_pair(name, input, target, reduction, sample_weight, where)
    axis = normalize_axis(name, axis, input.ndim)
    positive = xp.sum(target * input, axis=axis)
    negative = xp.max((1.0 - target) * input, axis=axis)
    violation = negative - positive + 1.0
    return reduce(xp, xp.where(violation >= 0, violation, 0.0), reduction, sample_weight, where,
                  name=name)


@reads_arrays
@weighting_args()
def hinge_embedding_loss(input: Array, target: Array, *, margin: float = 1.0,
                         reduction: str = "mean",
                         sample_weight: Array | None = None, where: Array | None = None) -> Array:
    """Hinge embedding loss: ``input`` if ``y == 1``, ``max(0, margin - input)`` if ``y == -1``.

    ``input`` is usually a distance between two embeddings. As in torch, a label that is neither
    1 nor -1 gets both terms. At ``input == margin`` (with ``y == -1``) the gradient is -1, as
    torch's ``clamp_min``.

    Args:
        input: distances or scores, a floating array.
        target: labels in {1, -1}, of the same shape (integer or floating).
        margin: the margin for the ``y == -1`` term.

    Defined by ``torch.nn.functional.hinge_embedding_loss``.

    Example:
        >>> import array_api_strict as xp
        >>> import omniloss as ol
        >>> ol.hinge_embedding_loss(xp.asarray([0.3, 2.0]), xp.asarray([-1.0, 1.0]))
        Array(1.35, dtype=array_api_strict.float64)
    """
    name = "hinge_embedding_loss"
    margin = check_real(name, "margin", margin)
    xp, input, target = float_pair(name, input, target, reduction, sample_weight, where)
    push = xp.where(target != 1.0, clamp(xp, margin - input, min=0.0), 0.0)
    pull = xp.where(target != -1.0, input, 0.0)
    return reduce(xp, push + pull, reduction, sample_weight, where, name=name)


@reads_arrays
@weighting_args()
def soft_margin_loss(input: Array, target: Array, *, reduction: str = "mean",
                     sample_weight: Array | None = None, where: Array | None = None) -> Array:
    """Soft margin (logistic) loss: ``log(1 + exp(-y * input))``, reduced.

    Computed as ``softplus(-y * input)``, so it stays finite for scores of any magnitude: where
    ``-y * input`` is above about 710 (float64) or 89 (float32), torch's ``log1p(exp(.))``
    overflows to ``inf`` and its gradient is NaN, while this gives the exact value
    ``-y * input`` and gradient ``-y``. Everywhere else the two agree.

    Args:
        input: scores, a floating array.
        target: labels in {1, -1}, of the same shape (integer or floating).

    Defined by ``torch.nn.functional.soft_margin_loss``.

    Example:
        >>> import array_api_strict as xp
        >>> import omniloss as ol
        >>> ol.soft_margin_loss(xp.asarray([0.0]), xp.asarray([1.0]))
        Array(0.69314718, dtype=array_api_strict.float64)
    """
    return logistic("soft_margin_loss", input, target, reduction, sample_weight, where)


def _per_sample(xp: ModuleType, loss: Array, single: tuple[int | None, ...] | None,
                reduction: str, sample_weight: Array | None, where: Array | None, *,
                name: str) -> Array:
    """Reduce the ``(N,)`` per-sample ``loss``, whose unreduced shape is torch's: ``single``
    for a 1-D input (one sample), else ``(N,)``; the weights broadcast against that shape."""
    if single is not None and (reduction == "none" or sample_weight is not None
                               or where is not None):
        loss = xp.reshape(loss, single)
    return reduce(xp, loss, reduction, sample_weight, where, name=name)


@reads_arrays
@weighting_args("one value per sample, shape ``(N,)`` (``target``'s shape for a 1-D "
                "``input``)")
def multi_margin_loss(input: Array, target: Array, *, p: int = 1, margin: float = 1.0,
                      weight: Array | None = None, reduction: str = "mean",
                      sample_weight: Array | None = None, where: Array | None = None) -> Array:
    """Multi-class margin (Weston-Watkins) loss.

    For a sample with scores ``x`` (``C`` classes) and true class ``y``::

        loss = sum_{j != y} w[y] * max(0, margin - x[y] + x[j])**p / C

    Terms exactly at the margin (``margin - x[y] + x[j] == 0``) are left out, so their gradient
    is 0, as in torch. torch refuses to differentiate with respect to ``weight``; here it is an
    ordinary factor, so autodiff backends do give its gradient.

    Args:
        input: scores ``(N, C)``, or ``(C,)`` for one sample.
        target: class indices ``(N,)`` (integer); for a 1-D ``input``, a 0-d or 1-element array.
        p: 1 or 2.
        margin: the margin.
        weight: optional per-class weights ``(C,)``; the weight of the true class scales every
            term of a sample. As in torch, ``"mean"`` divides by the number of samples, not by
            the summed class weights (unlike ``cross_entropy``); with ``sample_weight``, by the
            summed sample weights.

    Defined by ``torch.nn.functional.multi_margin_loss``. For an empty batch torch's "mean" and
    "sum" read uninitialized memory; here they give NaN and 0.

    Example:
        >>> import array_api_strict as xp
        >>> import omniloss as ol
        >>> ol.multi_margin_loss(xp.asarray([[0.1, 0.8, 0.3]]), xp.asarray([1]))
        Array(0.26666667, dtype=array_api_strict.float64)
    """
    name = "multi_margin_loss"
    p = check_choice(name, "p", p, (1, 2))
    margin = check_real(name, "margin", margin)
    xp, scores, classes, weight = margin_scores(name, input, target, weight, reduction,
                                                sample_weight, where)
    num_classes = dim(xp, scores, -1)
    classes, bad = class_ids(name, xp, "target", classes, scores.shape[-1])
    true_score = gather_classes(xp, scores, classes, axis=1)
    violation = margin - xp.expand_dims(true_score, axis=1) + scores
    hinge = xp.where(violation > 0, violation, 0.0)
    if p == 2:
        hinge = hinge * hinge
    others = ~class_mask(xp, classes, num_classes, axis=1)
    loss = xp.sum(xp.where(others, hinge, 0.0), axis=1) / dim(xp, scores, -1, dtype=hinge.dtype)
    if weight is not None:
        loss = loss * take_classes(xp, weight, classes)
    loss = nan_where(xp, loss, bad)
    single = shape_of(target) if input.ndim == 1 else None
    return _per_sample(xp, loss, single, reduction, sample_weight, where, name=name)


@reads_arrays
@weighting_args("one value per sample, shape ``(N,)`` (0-d for a 1-D ``input``)")
def multilabel_margin_loss(input: Array, target: Array, *, reduction: str = "mean",
                           sample_weight: Array | None = None,
                           where: Array | None = None) -> Array:
    """Multi-label margin loss: every true class must outscore every other class by 1.

    For a sample with scores ``x`` (``C`` classes) and true classes ``Y``::

        loss = sum_{j in Y} sum_{i not in Y} max(0, 1 - (x[j] - x[i])) / C

    ``target`` has ``input``'s shape and lists the true class ids, padded with -1: the first
    -1 ends the list (as in torch, a class listed twice counts twice); an id below -1 or ``>= C``
    in the list is invalid (see the README's "Errors"). The list is read without
    data-dependent shapes: a cumulative count of -1 entries marks the valid
    positions, and membership in ``Y`` comes from comparing ids, so the work is ``C x C`` per
    sample. Terms exactly at the margin have gradient 0, as in torch.

    Args:
        input: scores ``(N, C)``, or ``(C,)`` for one sample.
        target: integer class ids of the same shape, padded with -1.

    Defined by ``torch.nn.functional.multilabel_margin_loss``. For an empty batch torch's
    "mean" reads uninitialized memory; here it is NaN.

    Example:
        >>> import array_api_strict as xp
        >>> import omniloss as ol
        >>> ol.multilabel_margin_loss(xp.asarray([[0.1, 0.2, 0.4, 0.8]]),
        ...                           xp.asarray([[3, 0, -1, 1]]))
        Array(0.85, dtype=array_api_strict.float64)
    """
    name = "multilabel_margin_loss"
    xp, scores, ids = multilabel_ids(name, input, target, reduction, sample_weight, where)
    num_classes = dim(xp, scores, -1)
    ended = xp.cumulative_sum(xp.astype(ids == -1, xp.int32), axis=1)
    listed = ended == 0
    ids, bad = class_ids(name, xp, "target", ids, scores.shape[-1], unread=~listed,
                         note="; -1 ends a row's list")
    ids = xp.where(listed, ids, xp.zeros_like(ids))
    member = class_mask(xp, ids, num_classes, axis=2) & xp.expand_dims(listed, axis=2)
    is_true = xp.any(member, axis=1)
    true_scores = take_along_axis(xp, scores, ids, axis=1)
    violation = 1.0 - xp.expand_dims(true_scores, axis=2) + xp.expand_dims(scores, axis=1)
    counted = (xp.expand_dims(listed, axis=2) & xp.expand_dims(~is_true, axis=1)
               & (violation > 0))
    loss = (xp.sum(xp.where(counted, violation, 0.0), axis=(1, 2))
            / dim(xp, scores, -1, dtype=violation.dtype))
    loss = nan_where(xp, loss, None if bad is None else xp.any(bad, axis=1))
    single = () if input.ndim == 1 else None
    return _per_sample(xp, loss, single, reduction, sample_weight, where, name=name)


@reads_arrays
@weighting_args("one value per sample, ``input``'s shape without the last (class) axis")
def multilabel_soft_margin_loss(input: Array, target: Array, *, weight: Array | None = None,
                                reduction: str = "mean", sample_weight: Array | None = None,
                                where: Array | None = None) -> Array:
    """Multi-label soft margin loss: binary cross-entropy on logits, averaged over the classes.

    For scores ``x`` and multi-hot targets ``y`` over the last axis (``C`` classes)::

        loss = -sum_c w[c] * (y[c] * log(sigmoid(x[c])) + (1 - y[c]) * log(sigmoid(-x[c]))) / C

    with ``log(sigmoid(.))`` in its stable form, so logits of any magnitude are finite.

    Args:
        input: logits ``(..., C)``, at least 1-D.
        target: multi-hot (or soft) targets of the same shape.
        weight: optional per-class weights ``(C,)``; as in torch, ``"mean"`` divides by the
            number of samples, not by the summed class weights.

    Defined by ``torch.nn.functional.multilabel_soft_margin_loss``.

    Example:
        >>> import array_api_strict as xp
        >>> import omniloss as ol
        >>> ol.multilabel_soft_margin_loss(xp.asarray([[0.0, 0.0]]), xp.asarray([[1.0, 0.0]]))
        Array(0.69314718, dtype=array_api_strict.float64)
    """
    name = "multilabel_soft_margin_loss"
    xp, input, target, weight = multilabel_logits(name, input, target, weight, reduction,
                                                  sample_weight, where)
    loss = -(target * log_sigmoid(xp, input) + (1.0 - target) * log_sigmoid(xp, -input))
    if weight is not None:
        loss = loss * weight
    return reduce(xp, xp.sum(loss, axis=-1) / dim(xp, input, -1, dtype=loss.dtype), reduction,
                  sample_weight, where, name=name)


@reads_arrays
@weighting_args()
def margin_ranking_loss(input1: Array, input2: Array, target: Array, *, margin: float = 0.0,
                        reduction: str = "mean", sample_weight: Array | None = None,
                        where: Array | None = None) -> Array:
    """Margin ranking loss: ``max(0, -y * (input1 - input2) + margin)``, reduced.

    ``y == 1`` asks for ``input1`` to rank above ``input2`` by ``margin``, ``y == -1`` the
    reverse. At a tie (``-y * (input1 - input2) + margin == 0``) the gradient flows, as torch's
    ``clamp_min``: ``-y`` for ``input1`` and ``y`` for ``input2``.

    Args:
        input1: scores, a floating array.
        input2: scores of the same shape.
        target: labels in {1, -1}, of the same shape (integer or floating).
        margin: the margin.

    Defined by ``torch.nn.functional.margin_ranking_loss``.

    Example:
        >>> import array_api_strict as xp
        >>> import omniloss as ol
        >>> ol.margin_ranking_loss(xp.asarray([1.0, 0.0]), xp.asarray([0.0, 1.0]),
        ...                        xp.asarray([1.0, 1.0]), margin=0.5)
        Array(0.75, dtype=array_api_strict.float64)
    """
    name = "margin_ranking_loss"
    margin = check_real(name, "margin", margin)
    xp, input1, input2, target = ranking_triple(name, input1, input2, target, reduction,
                                                sample_weight, where)
    loss = clamp(xp, -target * (input1 - input2) + margin, min=0.0)
    return reduce(xp, loss, reduction, sample_weight, where, name=name)


@reads_arrays
@weighting_args()
def perceptron_loss(input: Array, target: Array, *, reduction: str = "mean",
                    sample_weight: Array | None = None, where: Array | None = None) -> Array:
    """Binary perceptron loss: ``max(0, -y * input)`` elementwise, reduced.

    The hinge loss with margin 0: only misclassified scores cost. At ``y * input == 0`` the
    gradient is ``-y / 2`` (``jnp.maximum`` splits a tie), as in optax.

    Args:
        input: scores, a floating array.
        target: labels in {-1, 1} of the same shape (integer or floating; not remapped: a
            label 0 gives 0, as in optax).

    Defined by ``optax.losses.perceptron_loss`` (elementwise, unreduced: our ``"none"``).

    Example:
        >>> import array_api_strict as xp
        >>> import omniloss as ol
        >>> ol.perceptron_loss(xp.asarray([0.5, 2.0]), xp.asarray([1.0, -1.0]))
        Array(1., dtype=array_api_strict.float64)
    """
    name = "perceptron_loss"
    xp, input, target = float_pair(name, input, target, reduction, sample_weight, where)
    return reduce(xp, split_maximum(xp, -target * input, 0.0), reduction, sample_weight, where,
                  name=name)


@reads_arrays
@weighting_args(_PER_POSITION)
def multiclass_perceptron_loss(input: Array, target: Array, *, axis: int = 1,
                               reduction: str = "mean", sample_weight: Array | None = None,
                               where: Array | None = None) -> Array:
    """Multi-class perceptron loss (Collins 2002): ``max_j s[j] - s[y]`` per sample.

    The score of the best class minus that of the true class ``y``: 0 when ``y`` scores highest.
    Ties in the maximum share its gradient equally (``jnp.max``, ``torch.amax``,
    ``tf.reduce_max``), as in optax.

    Args:
        input: scores with the classes along ``axis``.
        target: class indices (integer, the input's shape without ``axis``).
        axis: the class axis (default 1; a 1-D input's class axis is 0).

    Defined by ``optax.losses.multiclass_perceptron_loss`` (scores with the classes last,
    per-sample values: our ``axis=-1, reduction="none"``); the true score is gathered, not read
    through optax's one-hot product.

    Example:
        >>> import array_api_strict as xp
        >>> import omniloss as ol
        >>> ol.multiclass_perceptron_loss(xp.asarray([[2.0, 1.5, -1.0]]), xp.asarray([1]))
        Array(0.5, dtype=array_api_strict.float64)
    """
    name = "multiclass_perceptron_loss"
    xp, scores, axis, _, _, _ = class_scores(name, input, target, axis, reduction, sample_weight,
                                            where, allow_probabilities=False)
    target, bad = class_ids(name, xp, "target", target, scores.shape[axis])
    loss = xp.max(scores, axis=axis) - gather_classes(xp, scores, target, axis=axis)
    return reduce(xp, nan_where(xp, loss, bad), reduction, sample_weight, where, name=name)


@reads_arrays
@weighting_args("one value per list, the input's shape without ``axis``")
def ranking_softmax_loss(input: Array, target: Array, *, axis: int = -1,
                         mask: Array | None = None, item_weight: Array | None = None,
                         reduction: str = "mean", sample_weight: Array | None = None,
                         where: Array | None = None) -> Array:
    """Listwise softmax ranking loss: ``-sum_i y_i * log_softmax(s)_i`` over each list.

    The items of a list lie along ``axis``; ``s`` are their scores and ``y`` their relevance
    labels (not normalized: a list with labels summing to 2 weighs twice). ``mask`` marks the
    items that are in the list: the others are left out of the softmax and of the sum, and a
    list without any item is left out of the reduction (0 under ``"none"``, not counted by
    ``"mean"``). ``item_weight`` multiplies each item's label.

    Args:
        input: scores, a floating array with the lists along ``axis``.
        target: relevance labels of the same shape (integer, boolean or floating).
        axis: the axis of the items of a list (default -1).
        mask: optional boolean array of the same shape: the valid items.
        item_weight: optional floating array of the same shape: per-item weights.

    Defined by ``optax.losses.ranking_softmax_loss`` (lists on the last axis). Its ``where``
    (per item) is our ``mask`` and its ``weights`` our ``item_weight``; its ``reduce_fn``
    ``jnp.mean`` / ``jnp.sum`` / ``None`` is our ``reduction`` ``"mean"`` / ``"sum"`` /
    ``"none"``. Our ``sample_weight`` and ``where`` weigh and mask whole lists (rule 9); a
    list ``mask`` leaves empty is masked as if by ``where``. optax multiplies a masked item's
    ``-inf`` log-probability by its zeroed label and sums around the NaN; here the masked
    log-probabilities are replaced by 0 first, so the gradient with respect to ``item_weight``
    and ``target`` stays finite (the values and the score gradients are optax's).

    Example:
        >>> import array_api_strict as xp
        >>> import omniloss as ol
        >>> ol.ranking_softmax_loss(xp.asarray([[0.0, 0.0]]), xp.asarray([[1.0, 0.0]]))
        Array(0.69314718, dtype=array_api_strict.float64)
    """
    name = "ranking_softmax_loss"
    xp, scores, labels, axis = ranking_lists(name, input, target, mask, item_weight, axis,
                                             reduction, sample_weight, where)
    if item_weight is not None:
        labels = labels * item_weight
    if mask is None:
        log_probs = log_softmax(xp, scores, axis=axis)
    else:
        log_probs = log_softmax(xp, xp.where(mask, scores, -math.inf), axis=axis)
        log_probs = xp.where(mask, log_probs, 0.0)
        listed = xp.any(mask, axis=axis)
        where = listed if where is None else xp.logical_and(where, listed)
    loss = -xp.sum(labels * log_probs, axis=axis)
    return reduce(xp, loss, reduction, sample_weight, where, name=name)
