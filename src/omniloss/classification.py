"""Probabilistic classification losses: cross-entropies, divergences, focal and margin-based losses.

Scores are logits unless a function says otherwise (``binary_cross_entropy`` and ``nll_loss``
take probabilities and log-probabilities, as in torch). Multi-class functions take the class
scores along ``axis`` (default 1, torch's layout; pass ``axis=-1`` for channels-last data) and
either **class indices** (an integer ``target`` with the input's shape minus the class axis) or
**class probabilities** (a floating ``target`` of the input's shape): the target's dtype decides,
as in ``torch.nn.functional.cross_entropy``. A 1-D input is one sample's class scores, torch's
``(C,)`` form, whose class axis is 0.

Class indices are gathered, never expanded to one-hot. An ignored id (``ignore_index``) is
replaced by class 0 before the gather and masked after it; an ``ignore_index`` the ids' dtype
cannot hold (-100 in uint8) matches nothing. Any other id outside ``[0, C)`` follows the one
rule of :func:`omniloss._validation.class_ids` (README, "Errors"): ``ValueError`` where the ids
can be read now, NaN at its position under tracing, never a finite number.

Log-probabilities always come from ``log_softmax`` / ``log_sigmoid`` (never ``log(softmax(x))``),
so logits of magnitude 1e4 give finite losses and gradients.

Every loss ends in :func:`omniloss._reduction.reduce` of its unreduced loss (the
``reduction="none"`` result), weighted by ``sample_weight`` and masked by ``where``, both
broadcast against that unreduced loss. ``"mean"`` is ``sum(w * l * m) / sum(w * c * m)``: ``c``
is torch's class weight ``weight[y]`` of the non-ignored class-index targets (1 elsewhere), so
without ``sample_weight`` and ``where`` the divisor is torch's (the summed class weights of the
non-ignored targets for class indices, the number of positions otherwise) and every target
ignored gives torch's NaN (0 / 0); with ``sample_weight`` or ``where`` a zero total weight (every
position ignored, masked or weighted 0) gives 0 with a zero gradient, as keras's
``mean_with_sample_weight`` does. ``"batchmean"`` (``kl_div``, ``distillation_loss``) divides
the sum by the (weighted) number of samples.

Dtypes follow one rule: the result is the floating result type of the floating array inputs
(input, floating targets, ``weight``, ``pos_weight``, per-class ``alpha``); integer and boolean
targets, ``sample_weight`` and numeric options take that dtype and never change it.
"""

from __future__ import annotations

import math
from types import ModuleType
from typing import Any, overload

from omniloss._boundary import reads_arrays
from omniloss._dispatch import get_namespace
from omniloss._primitives import (
    checkpoint,
    clamp,
    dim,
    fused,
    gather_classes,
    log_sigmoid,
    log_softmax,
    logsumexp,
    logsumexp_parts,
    sigmoid_cross_entropy,
    softmax,
    softplus,
    sparsemax,
    stop_gradient,
    take_classes,
    xlogx,
)
from omniloss._reduction import reduce, reduce_kernel, weighting_args
from omniloss._validation import (
    as_float,
    check_array,
    check_choice,
    check_flag,
    check_number,
    check_positive,
    check_real,
    check_smoothing,
    class_ids,
    class_scores,
    class_targets,
    distillation_pair,
    distribution_axis,
    divergence_pair,
    float_dtype,
    float_pair,
    linear_scores,
    nan_where,
    normalize_axis,
    shape_of,
    weighted_pair,
    zero_one_pair,
)

Array = Any

__all__ = [
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "linear_cross_entropy",
    "nll_loss",
    "kl_div",
    "js_divergence",
    "generalized_kl_divergence",
    "sigmoid_focal_loss",
    "binary_focal_cross_entropy",
    "softmax_focal_loss",
    "poly1_cross_entropy",
    "generalized_cross_entropy",
    "distillation_loss",
    "zero_one_loss",
    "exponential_loss",
    "logistic_loss",
    "sparsemax_loss",
    "multiclass_sparsemax_loss",
    "smooth_labels",
    "fenchel_young_loss",
]

_KERAS_EPSILON = 1e-7
"""``keras.config.epsilon()``: the clip of probabilities for ``from_logits=False``."""
_LOG_FLOOR = -100.0
"""torch's ``binary_cross_entropy`` clamps each log at -100."""
_BCE_GRAD_FLOOR = 9.999999960041972e-13
"""torch's ``binary_cross_entropy`` backward clamps the denominator ``p * (1 - p)`` at its
``float`` constant ``1e-12f``, whose exact value this is (also in float64)."""
_LN2 = 0.6931471805599453
_KL_REDUCTIONS = ("mean", "sum", "none", "batchmean")
_PER_POSITION = ("one value per position, the input's shape without the class axis; ``()`` for "
                 "a 1-D input")


def _along(xp: ModuleType, vector: Array, axis: int, ndim: int) -> Array:
    """A ``(C,)`` array reshaped to broadcast along ``axis`` of an ``ndim``-dimensional array."""
    shape = [1] * ndim
    shape[axis] = -1
    return xp.reshape(vector, tuple(shape))


# Shared building blocks


@overload
def _index_targets(xp: ModuleType, target: Array, weight: Array | None, ignore_index: int,
                   dtype: Any) -> tuple[Array, Array, Array]: ...
@overload
def _index_targets(xp: ModuleType, target: Array, weight: Array | None,
                   ignore_index: int | None, dtype: Any
                   ) -> tuple[Array | None, Array, Array | None]: ...
def _index_targets(xp: ModuleType, target: Array, weight: Array | None,
                   ignore_index: int | None, dtype: Any
                   ) -> tuple[Array | None, Array, Array | None]:
    """``(valid, safe, class_weight)`` of class-index targets.

    ``valid`` marks the non-ignored positions, ``safe`` is the target with ignored ids replaced
    by class 0 (always a valid gather), ``class_weight`` is ``weight[target]`` (1 without a
    weight) and 0 where ignored: torch's divisor of ``"mean"`` is its sum. An ``ignore_index``
    the ids' dtype cannot hold (-100 in uint8) matches no id. With ``ignore_index=None`` (no
    position can be ignored: :func:`class_targets`) there is no mask, ``safe`` is the target
    and ``class_weight`` is ``weight[target]``, or ``None`` (every position counts once).
    """
    if ignore_index is None:
        return None, target, None if weight is None else take_classes(xp, weight, target)
    info = xp.iinfo(target.dtype)
    valid = (target != ignore_index if info.min <= ignore_index <= info.max
             else xp.ones_like(target, dtype=xp.bool))
    safe = xp.where(valid, target, 0)
    if weight is None:
        return valid, safe, xp.astype(valid, dtype)
    return valid, safe, xp.where(valid, take_classes(xp, weight, safe), 0.0)


def _index_nll(xp: ModuleType, scores: Array, valid: Array | None, safe: Array,
               class_weight: Array | None, *, axis: int, weight: Array | None,
               label_smoothing: float, from_logits: bool) -> Array:
    """torch's per-position loss for class indices, 0 where ignored (``valid`` false; ``None``
    where no position is: :func:`_index_targets`).

    ``-w[y] * log p[y]``; with smoothing ``eps``, ``(1 - eps)`` of it plus ``eps / C`` times
    ``-sum_c w[c] * log p[c]`` (pytorch#69511 / #73205 semantics). ``scores`` are
    log-probabilities, or logits with ``from_logits``: then ``log p = (x - peak) - log_total``
    (:func:`logsumexp_parts`) is formed only where it is read, never as a whole array.
    """
    picked = gather_classes(xp, scores, safe, axis=axis)
    if from_logits:
        peak, log_total = logsumexp_parts(xp, scores, axis=axis)
        picked = (picked - xp.squeeze(peak, axis=axis)) - xp.squeeze(log_total, axis=axis)
    # class_weight is weight[y] wherever a class weight is given
    loss = -picked if weight is None or class_weight is None else -class_weight * picked
    if label_smoothing:
        n_classes = dim(xp, scores, axis, dtype=scores.dtype)
        shifted = scores - peak if from_logits else scores
        weighted = shifted if weight is None else shifted * _along(xp, weight, axis, scores.ndim)
        uniform = -xp.sum(weighted, axis=axis)
        if from_logits:
            total_weight = n_classes if weight is None else xp.sum(weight)
            uniform = uniform + total_weight * xp.squeeze(log_total, axis=axis)
        loss = (1 - label_smoothing) * loss + (label_smoothing / n_classes) * uniform
    return loss if valid is None else xp.where(valid, loss, 0.0)


def _probability_nll(xp: ModuleType, log_probs: Array, target: Array, *, axis: int,
                     weight: Array | None, label_smoothing: float) -> Array:
    """torch's per-position loss for class probabilities: ``-sum_c w[c] * t[c] * log p[c]``.

    Smoothing mixes the target with the uniform distribution: ``t * (1 - eps) + eps / C``. A
    term with ``t[c] == 0`` is 0 even where ``log p[c]`` is ``-inf`` (0 log 0 = 0, as
    ``optax.safe_softmax_cross_entropy``; torch's ``0 * -inf`` is NaN).
    """
    if label_smoothing:
        n_classes = dim(xp, log_probs, axis, dtype=log_probs.dtype)
        target = target * (1 - label_smoothing) + label_smoothing / n_classes
    product = xp.where(target == 0, 0.0, log_probs * target)
    if weight is not None:
        product = product * _along(xp, weight, axis, log_probs.ndim)
    return -xp.sum(product, axis=axis)


def _index_nll_loss(xp: ModuleType, scores: Array, target: Array, *, axis: int,
                    weight: Array | None, ignore_index: int | None, reduction: str,
                    label_smoothing: float = 0.0, from_logits: bool = False) -> Array:
    """torch's ``nll_loss`` of log-probabilities, or ``cross_entropy`` of logits (with
    ``from_logits``), of validated arguments."""
    valid, safe, class_weight = _index_targets(xp, target, weight, ignore_index, scores.dtype)
    loss = _index_nll(xp, scores, valid, safe, class_weight, axis=axis, weight=weight,
                      label_smoothing=label_smoothing, from_logits=from_logits)
    return reduce(xp, loss, reduction, divisor=class_weight)


def _index_cross_entropy(xp: ModuleType, logits: Array, target: Array, *, axis: int,
                         weight: Array | None, ignore_index: int | None, label_smoothing: float,
                         reduction: str) -> Array:
    """torch's ``cross_entropy`` of logits and class indices (validated arguments)."""
    return _index_nll_loss(xp, logits, target, axis=axis, weight=weight,
                           ignore_index=ignore_index, label_smoothing=label_smoothing,
                           reduction=reduction, from_logits=True)


def _index_kernel_loss(xp: ModuleType, kernel: Any, bad: Array | None, reduction: str,
                       sample_weight: Array | None, where: Array | None, *, name: str,
                       divisor: Any) -> Array:
    """:func:`reduce_kernel` of a class-index kernel; with ``bad`` ids (from ``class_ids``, under
    tracing) the kernel's unreduced loss, NaN there, reduced by :func:`reduce`."""
    if bad is None:
        return reduce_kernel(xp, kernel, reduction, sample_weight, where, name=name,
                             divisor=divisor)
    return reduce(xp, nan_where(xp, kernel("none"), bad), reduction, sample_weight, where,
                  name=name, divisor=divisor())


def _clipped_log_probabilities(xp: ModuleType, probabilities: Array, axis: int) -> Array:
    """keras's ``categorical_crossentropy(from_logits=False)``: renormalise, clip, log."""
    normalized = probabilities / xp.sum(probabilities, axis=axis, keepdims=True)
    return xp.log(clamp(xp, normalized, min=_KERAS_EPSILON, max=1.0 - _KERAS_EPSILON))


def _log1mexp(xp: ModuleType, log_p: Array) -> tuple[Array, Array]:
    """``(log(1 - exp(log_p)), log_p < 0)`` accurate near 0 and far below it (Maechler 2012).

    Where ``log_p == 0`` (p rounds to 1) the first is ``-inf`` and the mask is false; the
    unselected branches see a safe argument so no NaN reaches a gradient.
    """
    below_one = log_p < 0
    safe = xp.where(below_one, log_p, xp.full_like(log_p, -1.0))
    near_zero = safe > -_LN2
    near = xp.log(-xp.expm1(xp.where(near_zero, safe, xp.full_like(safe, -1.0))))
    far = xp.log1p(-xp.exp(xp.where(near_zero, xp.full_like(safe, -1.0), safe)))
    return xp.where(near_zero, near, far), below_one


def _plus_log(xp: ModuleType, log_term: Array, weight: Array) -> Array:
    """``log_term + log(weight)``, ``-inf`` where ``weight <= 0`` (for comparisons only)."""
    positive = weight > 0
    logged = log_term + xp.log(xp.where(positive, weight, xp.ones_like(weight)))
    return xp.where(positive, logged, xp.full_like(logged, -math.inf))


def _focal_factor(xp: ModuleType, log_one_minus: Array, positive: Array, gamma: float) -> Array:
    """``(1 - p_t) ** gamma`` as ``exp(gamma * log(1 - p_t))``: finite gradients for every gamma.

    Where ``1 - p_t`` underflows to 0 (``positive`` false) the factor is 0 (1 when gamma is 0)
    with no gradient.
    """
    safe = xp.where(positive, log_one_minus, xp.zeros_like(log_one_minus))
    limit = xp.zeros_like(safe) if gamma > 0 else xp.ones_like(safe)
    return xp.where(positive, xp.exp(gamma * safe), limit)


def _kl_pointwise(xp: ModuleType, log_input: Array, target: Array, log_target: bool) -> Array:
    """torch's ``kl_div`` terms: ``t * (log t - x)`` (``exp(t) * (t - x)`` for log targets)."""
    if log_target:
        return xp.exp(target) * (target - log_input)
    return xlogx(xp, target) - target * log_input


# Cross-entropies


@reads_arrays
@weighting_args()
def binary_cross_entropy(input: Array, target: Array, *, weight: Array | None = None,
                         reduction: str = "mean", sample_weight: Array | None = None,
                         where: Array | None = None) -> Array:
    """Binary cross-entropy on probabilities, each log clamped at -100 as torch does.

    ``loss = -w * (y * max(log p, -100) + (1 - y) * max(log(1 - p), -100))``

    The gradient is torch's too: ``w * (p - y) / max(p * (1 - p), 1e-12)``. Where
    ``p * (1 - p) >= 1e-12`` that is the derivative of the formula; in the band below (``p``
    within 1e-12 of 0 or 1, including exactly 0 and 1) torch's clamped value is used through a
    stop-gradient, so ``p = 0, y = 1`` gets torch's -1e12 (the plain derivative would be 0
    there). The gradient with respect to ``target`` is ``-w * (max(log p, -100) -
    max(log(1 - p), -100))``; torch leaves the logs unclamped there (``-w * logit(p)``), so the
    two differ only where a log is below -100 (``p < 3.7e-44`` or ``1 - p < 3.7e-44``), where
    torch gives up to ``inf`` and we give at most 100 in magnitude. Second derivatives in the
    band are 0.

    Args:
        input: probabilities ``p`` in [0, 1], a floating array. Torch raises for values outside
            [0, 1]; here they give NaN (no value is checked, so the loss traces).
        target: targets ``y`` of the same shape, usually in [0, 1] (any real dtype).
        weight: optional rescaling weight broadcast to the input's shape (``None``: 1); not in
            the divisor of ``"mean"`` (torch).

    Defined by ``torch.nn.functional.binary_cross_entropy``. ``keras.losses.binary_crossentropy``
    clips ``p`` to [1e-7, 1 - 1e-7] instead (16.1 rather than 100 at ``p = 0, y = 1``) and
    averages over the last axis; ``tf.compat.v1.losses.log_loss`` adds 1e-7 inside the logs.

    Example:
        >>> import array_api_strict as xp
        >>> import omniloss as ol
        >>> ol.binary_cross_entropy(xp.asarray([0.5, 0.0]), xp.asarray([1.0, 1.0]))
        Array(50.34657359, dtype=array_api_strict.float64)
    """
    name = "binary_cross_entropy"
    xp, p, y, (weight,) = weighted_pair(name, input, target, reduction, sample_weight, where,
                                        weight=weight)
    band = p * (1 - p) < _BCE_GRAD_FLOOR
    frozen = stop_gradient(xp, p)
    q = xp.where(band, frozen, p)
    log_p = _floored_log(xp, q)
    log_not_p = _floored_log1p_negative(xp, q)
    loss = -(y * log_p + (1 - y) * log_not_p)
    correction = (frozen - y) / _BCE_GRAD_FLOOR * (p - frozen)
    loss = loss + xp.where(band, correction, xp.zeros_like(correction))
    if weight is not None:
        loss = loss * weight
    return reduce(xp, loss, reduction, sample_weight, where, name=name)


def _floored_log(xp: ModuleType, p: Array) -> Array:
    """``max(log p, -100)``, and -100 at ``p == 0`` without evaluating ``log 0``."""
    positive = p > 0
    logged = xp.log(xp.where(positive, p, xp.ones_like(p)))
    floor = xp.full_like(p, _LOG_FLOOR)
    return clamp(xp, xp.where(positive, logged, floor), min=_LOG_FLOOR)


def _floored_log1p_negative(xp: ModuleType, p: Array) -> Array:
    """``max(log1p(-p), -100)``, and -100 at ``p == 1`` without evaluating ``log 0``."""
    below = p < 1
    logged = xp.log1p(-xp.where(below, p, xp.zeros_like(p)))
    floor = xp.full_like(p, _LOG_FLOOR)
    return clamp(xp, xp.where(below, logged, floor), min=_LOG_FLOOR)


@reads_arrays
@weighting_args()
def binary_cross_entropy_with_logits(input: Array, target: Array, *,
                                     weight: Array | None = None,
                                     pos_weight: Array | None = None,
                                     reduction: str = "mean",
                                     sample_weight: Array | None = None,
                                     where: Array | None = None) -> Array:
    """Binary cross-entropy on logits, in log-sigmoid form (finite for logits of any size).

    ``loss = -w * (pw * y * log_sigmoid(x) + (1 - y) * log_sigmoid(-x))``, computed as
    ``w * (max(x, 0) - x * y + (1 + (pw - 1) * y) * log1p(exp(-|x|)))`` (``max(x, 0) - x * y``
    is ``-pw * y * x`` where ``x < 0``), exact in float32 at every ``x`` for hard labels, values
    and gradients.

    This deliberately differs from torch, which computes ``(1 - y) * x - (1 + (pw - 1) * y) *
    log_sigmoid(x)``: rounding ``log_sigmoid(x)`` before subtracting ``x`` loses 8e-3 of the
    float32 value at ``x = -10, y = 0`` and gives 0 below ``x = -17`` (we give ``exp(x)`` to
    float32 precision, as ``tf.nn.sigmoid_cross_entropy_with_logits`` and optax do); in float64
    torch's relative error is 2e-10 at ``x = -13``, 3e-7 at -20 and 1e-2 at -30. So torch's
    fused ``F.binary_cross_entropy_with_logits`` is not used.

    Args:
        input: logits ``x``, a floating array.
        target: targets ``y`` of the same shape, in [0, 1] (soft targets allowed; any real
            dtype).
        weight: optional rescaling weight broadcast to the input's shape; not in the divisor of
            ``"mean"`` (torch divides by the number of elements).
        pos_weight: optional weight ``pw`` of the positive term, broadcast to the input's shape
            (so a ``(C,)`` array weighs the classes along the last axis).

    Defined by ``torch.nn.functional.binary_cross_entropy_with_logits``; elementwise it equals
    ``tf.nn.sigmoid_cross_entropy_with_logits`` and, with ``pos_weight``,
    ``tf.nn.weighted_cross_entropy_with_logits`` (values and gradients). Keras's
    ``binary_crossentropy(from_logits=True)`` averages over the last axis: keras's
    ``BinaryCrossentropy(from_logits=True, reduction="mean_with_sample_weight")`` with a
    per-sample weight ``(N,)`` is this loss's ``"mean"`` with ``sample_weight`` of shape
    ``(N, 1)``.

    Example:
        >>> import array_api_strict as xp
        >>> import omniloss as ol
        >>> ol.binary_cross_entropy_with_logits(xp.asarray([0.0, 1e4]), xp.asarray([1.0, 0.0]))
        Array(5000.34657359, dtype=array_api_strict.float64)
    """
    name = "binary_cross_entropy_with_logits"
    xp, x, y, (weight, pos_weight) = weighted_pair(name, input, target, reduction,
                                                   sample_weight, where, weight=weight,
                                                   pos_weight=pos_weight)
    loss = sigmoid_cross_entropy(xp, x, y, pos_weight)
    if weight is not None:
        loss = loss * weight
    return reduce(xp, loss, reduction, sample_weight, where, name=name)


@reads_arrays
@weighting_args(_PER_POSITION)
def cross_entropy(input: Array, target: Array, *, axis: int = 1, from_logits: bool = True,
                  weight: Array | None = None, ignore_index: int = -100,
                  label_smoothing: float = 0.0, reduction: str = "mean",
                  sample_weight: Array | None = None, where: Array | None = None) -> Array:
    """Softmax cross-entropy with class-index or class-probability targets.

    Class indices ``y`` (integer target, the input's shape without ``axis``)::

        l = (1 - eps) * (-w[y] * log p[y]) + eps / C * sum_c(-w[c] * log p[c]),  0 if y ignored
        "mean" = sum(l) / sum(w[y] over non-ignored positions)

    Class probabilities ``t`` (floating target, the input's shape)::

        l = -sum_c w[c] * t'[c] * log p[c],  t' = (1 - eps) * t + eps / C
        "mean" = sum(l) / number of positions (the weights are not in the divisor)

    with ``log p = log_softmax(input, axis)``; a term with ``t[c] == 0`` is 0 even where
    ``input`` is ``-inf`` (0 log 0 = 0: masked classes), where torch's ``0 * -inf`` gives NaN;
    a row of ``-inf`` only is NaN (no distribution), as in torch and optax.
    Every position ignored gives NaN for ``"mean"``
    (0 / 0), as in torch; so does an empty batch. With ``sample_weight`` ``s`` (or ``where``),
    ``"mean"`` is ``sum(s * l) / sum(s * w[y] over non-ignored positions)`` for class indices and
    ``sum(s * l) / sum(s)`` for class probabilities, and 0 when that divisor is 0.

    Args:
        input: logits (or probabilities with ``from_logits=False``): ``(C,)``, ``(N, C)`` or
            ``(N, C, d1, ..., dk)`` with the classes along ``axis``.
        target: class indices (integer array, the input's shape without ``axis``) or class
            probabilities (floating array, the input's shape).
        axis: the class axis (default 1, torch's layout; -1 for channels-last). A 1-D input's
            class axis is 0.
        from_logits: ``False`` takes probabilities, turned into log-probabilities as
            ``keras.losses.categorical_crossentropy`` does: renormalised to sum to 1 along
            ``axis``, clipped to [1e-7, 1 - 1e-7], then logged.
        weight: optional per-class weights, shape ``(C,)``.
        ignore_index: class id whose positions contribute nothing (class indices only).
        label_smoothing: ``eps`` in [0, 1].

    Raises:
        TypeError: a floating target of the index shape (float class ids), or a target that is
            neither integer nor floating.
        ValueError: a target of the wrong shape, a ``weight`` that is not ``(C,)``, an ``axis``
            out of range, an unknown ``reduction``, an ``ignore_index`` other than -100 with
            class probabilities (torch raises there too).

    Defined by ``torch.nn.functional.cross_entropy`` (with ``axis=1``, ``from_logits=True``).
    keras's ``sparse_categorical_crossentropy`` / ``categorical_crossentropy`` and
    ``tf.nn.(sparse_)softmax_cross_entropy_with_logits`` give the same per-sample values with
    ``axis=-1``; keras's ``ignore_class`` equals ``ignore_index`` under "mean", and keras's
    ``reduction="mean_with_sample_weight"`` with ``sample_weight`` is ours. optax's
    ``softmax_cross_entropy(_with_integer_labels)`` with a per-example ``where``, averaged over
    the kept examples, is ours with ``where``; with class probabilities, so is
    ``optax.losses.safe_softmax_cross_entropy`` (the 0 log 0 = 0 convention above, values and
    gradients). With ``from_logits=False`` and class indices,
    keras's ``sparse_categorical_crossentropy`` clips before renormalising (this function
    renormalises first, as keras's ``categorical_crossentropy`` does), which differs once the
    clip bites. optax returns NaN for an out-of-range label; here it is ``ValueError`` where the
    ids can be read now and NaN under tracing (README, "Errors").

    Example:
        >>> import array_api_strict as xp
        >>> import omniloss as ol
        >>> logits = xp.asarray([[2.0, 0.0, -1.0], [0.0, 1.0, 0.0]])
        >>> ol.cross_entropy(logits, xp.asarray([0, 1]))
        Array(0.36064537, dtype=array_api_strict.float64)
    """
    name = "cross_entropy"
    xp, scores, axis, is_index, ignore_index, (weight,) = class_scores(
        name, input, target, axis, reduction, sample_weight, where, ignore_index=ignore_index,
        weight=weight)
    label_smoothing = check_smoothing(name, label_smoothing)
    from_logits = check_flag(name, "from_logits", from_logits)
    dtype = scores.dtype
    bad = None
    ignoring: int | None = ignore_index  # None where no position can be ignored
    if is_index:
        target, bad, ignoring = class_targets(name, xp, target, scores.shape[axis],
                                              ignore_index)
    if is_index and from_logits:
        kernel = fused(xp, "cross_entropy", _index_cross_entropy)
        return _index_kernel_loss(
            xp, lambda how: kernel(xp, scores, target, axis=axis, weight=weight,
                                   ignore_index=ignoring, label_smoothing=label_smoothing,
                                   reduction=how),
            bad, reduction, sample_weight, where, name=name,
            divisor=lambda: _index_targets(xp, target, weight, ignoring, dtype)[2])
    log_probs = (log_softmax(xp, scores, axis=axis) if from_logits
                 else _clipped_log_probabilities(xp, scores, axis))
    if not is_index:
        loss = _probability_nll(xp, log_probs, as_float(xp, target, dtype), axis=axis,
                                weight=weight, label_smoothing=label_smoothing)
        return reduce(xp, loss, reduction, sample_weight, where, name=name)
    valid, safe, class_weight = _index_targets(xp, target, weight, ignoring, dtype)
    loss = nan_where(xp, _index_nll(xp, log_probs, valid, safe, class_weight, axis=axis,
                                    weight=weight, label_smoothing=label_smoothing,
                                    from_logits=False), bad)
    return reduce(xp, loss, reduction, sample_weight, where, name=name, divisor=class_weight)


@reads_arrays
@weighting_args(_PER_POSITION)
def nll_loss(input: Array, target: Array, *, axis: int = 1, weight: Array | None = None,
             ignore_index: int = -100, reduction: str = "mean",
             sample_weight: Array | None = None, where: Array | None = None) -> Array:
    """Negative log-likelihood of class indices, given log-probabilities.

    ``l = -w[y] * input[y]`` (0 where ``y == ignore_index``); ``"mean"`` divides the sum by the
    summed ``w[y]`` of the non-ignored positions (NaN when every position is ignored). With
    ``sample_weight`` ``s`` (or ``where``) it is ``sum(s * l) / sum(s * w[y] over non-ignored
    positions)``, 0 when that divisor is 0.

    Args:
        input: log-probabilities, ``(C,)``, ``(N, C)`` or ``(N, C, d1, ..., dk)``, classes along
            ``axis``.
        target: class indices, an integer array of the input's shape without ``axis``.
        axis: the class axis (default 1, torch's layout). A 1-D input's class axis is 0.
        weight: optional per-class weights, shape ``(C,)``.
        ignore_index: class id whose positions contribute nothing.

    Defined by ``torch.nn.functional.nll_loss``. No other core peer has it (optax PR #1566 was
    closed). ``cross_entropy`` is ``nll_loss`` of ``log_softmax``.

    Example:
        >>> import array_api_strict as xp
        >>> import omniloss as ol
        >>> ol.nll_loss(xp.asarray([[-0.5, -1.0], [-2.0, -0.1]]), xp.asarray([0, 1]))
        Array(0.3, dtype=array_api_strict.float64)
    """
    name = "nll_loss"
    xp, log_probs, axis, _, ignore_index, (weight,) = class_scores(
        name, input, target, axis, reduction, sample_weight, where, ignore_index=ignore_index,
        allow_probabilities=False, weight=weight)
    dtype = log_probs.dtype
    target, bad = class_ids(name, xp, "target", target, log_probs.shape[axis],
                            ignore_index=ignore_index)
    kernel = fused(xp, "nll_loss", _index_nll_loss)
    return _index_kernel_loss(
        xp, lambda how: kernel(xp, log_probs, target, axis=axis, weight=weight,
                               ignore_index=ignore_index, reduction=how),
        bad, reduction, sample_weight, where, name=name,
        divisor=lambda: _index_targets(xp, target, weight, ignore_index, dtype)[2])


@reads_arrays
@weighting_args("one value per position: ``()``, ``(N,)`` or ``(N, d1, ..., dk)``, the "
                "logits' shape without the class axis")
def linear_cross_entropy(input: Array, linear_weight: Array, target: Array, *,
                         linear_bias: Array | None = None, weight: Array | None = None,
                         ignore_index: int = -100, label_smoothing: float = 0.0,
                         chunk_size: int | None = None, reduction: str = "mean",
                         sample_weight: Array | None = None,
                         where: Array | None = None) -> Array:
    """Cross-entropy of a linear layer's logits, computed in chunks of the batch.

    ``cross_entropy(input @ linear_weight.T + linear_bias, target)`` with the semantics of
    :func:`cross_entropy` (class indices or probabilities, ``weight``, ``ignore_index``,
    ``label_smoothing``, torch's divisors), but the ``(N, C)`` logits never exist at once: the
    batch runs in chunks of ``chunk_size`` rows (a static Python loop over static boundaries,
    so it traces). Each chunk's logits are recomputed in the backward pass
    (``torch.utils.checkpoint``, ``jax.checkpoint``, ``tf.recompute_grad``), so training keeps
    only one chunk's logits alive at a time as well. A batch of one chunk is not recomputed:
    its backward pass needs the whole logits anyway, so recomputing them lowers no peak (torch,
    forward+backward of 4096x16384 logits: 3.77x their size with it, 3.75x without) and costs
    a matmul, and under ``jax.jit`` of ``jax.value_and_grad`` XLA kept the forward's logits and
    the recomputed ones both (1.5x the plain composition's memory).

    Args:
        input: hidden states, ``(D,)`` or ``(N, D)``, floating.
        linear_weight: the projection, ``(C, D)``, or ``(C, d1, ..., dk, D)`` for a
            k-dimensional loss (batched input only).
        target: class indices (integer, ``()``, ``(N,)`` or ``(N, d1, ..., dk)``) or class
            probabilities (floating, the logits' shape ``(C,)``, ``(N, C)`` or
            ``(N, C, d1, ..., dk)``).
        linear_bias: optional bias of shape ``linear_weight.shape[:-1]``.
        weight: optional per-class weights, shape ``(C,)``.
        ignore_index: class id whose positions contribute nothing (torch's ``None`` is -100).
        label_smoothing: ``eps`` in [0, 1].
        chunk_size: rows per chunk; ``None`` computes the whole batch as one chunk, and so
            does an unknown batch size (``tf.function`` with ``None`` for ``N``): the chunks
            are a static loop.

    Defined by ``torch.nn.functional.linear_cross_entropy`` (torch 2.13, reference path
    ``options=None``; its chunked path, ``options=LinearCrossEntropyOptions(...)``, gives the
    same numbers). Our ``chunk_size`` plays the role of ``batch_chunk_size``; torch's other
    options (accumulation policy and dtype) have no counterpart.

    Example:
        >>> import array_api_strict as xp
        >>> import omniloss as ol
        >>> hidden = xp.asarray([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
        >>> projection = xp.asarray([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]])
        >>> ol.linear_cross_entropy(hidden, projection, xp.asarray([0, 1, 2]), chunk_size=2)
        Array(1.23922478, dtype=array_api_strict.float64)
    """
    name = "linear_cross_entropy"
    (xp, hidden, projection, bias, weight, is_index, ignore_index, label_smoothing,
     chunk_size) = linear_scores(name, input, linear_weight, target, linear_bias, weight,
                                 ignore_index, label_smoothing, chunk_size, reduction,
                                 sample_weight, where)
    batched = input.ndim == 2
    axis = 1 if batched else 0
    dtype = hidden.dtype
    divisor = bad = None  # torch's divisor of "mean": the non-ignored targets' class weights
    if is_index:
        target, bad = class_ids(name, xp, "target", target, projection.shape[0],
                                ignore_index=ignore_index)
        valid, safe, divisor = _index_targets(xp, target, weight, ignore_index, dtype)
        labels = divisor
    else:
        labels = as_float(xp, target, dtype)

    def chunk_loss(rows: slice | None) -> Array:
        """The per-position loss of the batch rows ``rows`` (every row when ``None``)."""
        def part(x: Array) -> Array:
            return x if rows is None else x[rows, ...]

        def compute(chunk: Array, matrix: Array, chunk_labels: Array, *options: Array) -> Array:
            remaining = iter(options)
            chunk_bias = next(remaining) if bias is not None else None
            class_weights = next(remaining) if weight is not None else None
            if matrix.ndim == 2:
                logits = xp.matmul(chunk, xp.matrix_transpose(matrix))
            else:  # k-dimensional: (N, C * d1 * ... * dk) logits, then (N, C, d1, ..., dk)
                flat = xp.reshape(matrix, (-1, dim(xp, matrix, -1)))
                logits = xp.reshape(xp.matmul(chunk, xp.matrix_transpose(flat)),
                                    (dim(xp, chunk, 0),
                                     *(dim(xp, matrix, i) for i in range(matrix.ndim - 1))))
            if chunk_bias is not None:
                logits = logits + chunk_bias
            if not is_index:
                return _probability_nll(xp, log_softmax(xp, logits, axis=axis), chunk_labels,
                                        axis=axis, weight=class_weights,
                                        label_smoothing=label_smoothing)
            return _index_nll(xp, logits, part(valid), part(safe), chunk_labels, axis=axis,
                              weight=class_weights, label_smoothing=label_smoothing,
                              from_logits=True)

        arrays = (part(hidden), projection, part(labels),
                  *(x for x in (bias, weight) if x is not None))
        return compute(*arrays) if rows is None else checkpoint(xp, compute, *arrays)

    # the chunks are a static loop: an unknown batch size (tf.function) is one chunk
    rows_total = input.shape[0] if batched else 0
    step = rows_total if chunk_size is None else chunk_size
    if not batched or rows_total is None or rows_total <= step:
        loss = chunk_loss(None)
    else:
        loss = xp.concat([chunk_loss(slice(start, min(start + step, rows_total)))
                          for start in range(0, rows_total, step)], axis=0)
    return reduce(xp, nan_where(xp, loss, bad), reduction, sample_weight, where, name=name,
                  divisor=divisor)


# Divergences


@reads_arrays
@weighting_args("the pointwise terms, the input's shape: a per-sample weight of a 2-D input "
                "is ``(N, 1)``", reductions=_KL_REDUCTIONS)
def kl_div(input: Array, target: Array, *, log_target: bool = False,
           reduction: str = "mean", sample_weight: Array | None = None,
           where: Array | None = None) -> Array:
    """Kullback-Leibler divergence terms of ``target`` from the distribution whose logs are
    ``input``.

    ``l = target * (log(target) - input)`` (0 where ``target == 0``), or
    ``exp(target) * (target - input)`` with ``log_target=True``.

    ``"mean"`` divides the sum by **every element** (torch's legacy meaning, which is not the
    KL divergence); ``"batchmean"`` divides by the batch size (``input.shape[0]``) and is the
    true mean KL per sample. With ``sample_weight`` (or ``where``) ``"batchmean"`` divides by
    the weighted number of samples: the summed weights over one sample's elements, averaged,
    so a per-sample weight ``s`` of shape ``(N, 1)`` gives ``sum_i s_i * KL_i / sum_i s_i``.

    Args:
        input: log-probabilities, a floating array.
        target: probabilities of the same shape (log-probabilities with ``log_target``).
        log_target: whether ``target`` holds log-probabilities.

    Defined by ``torch.nn.functional.kl_div`` (which warns on ``"mean"``; we do not). optax's
    ``kl_divergence`` is the ``"sum"`` over the last axis per row; keras's ``kl_divergence``
    takes probabilities for both arguments and clips them to [1e-7, 1]: away from the clip,
    ``keras.losses.KLDivergence(reduction="mean_with_sample_weight")`` with a per-sample weight
    ``(N,)`` is ``kl_div(log(y_pred), y_true, reduction="batchmean")`` with ``sample_weight``
    ``(N, 1)``, and optax's per-example ``kl_divergence`` with a per-example ``where``, averaged
    over the kept examples, is ours with ``where`` ``(N, 1)``.

    Example:
        >>> import array_api_strict as xp
        >>> import omniloss as ol
        >>> log_q = xp.log(xp.asarray([[0.5, 0.5]]))
        >>> ol.kl_div(log_q, xp.asarray([[0.9, 0.1]]), reduction="batchmean")
        Array(0.36806421, dtype=array_api_strict.float64)
    """
    name = "kl_div"
    xp, input, target = divergence_pair(name, input, target, reduction, sample_weight, where,
                                        _KL_REDUCTIONS)
    log_target = check_flag(name, "log_target", log_target)
    loss = _kl_pointwise(xp, input, target, log_target)
    return reduce(xp, loss, reduction, sample_weight, where, name=name)


@reads_arrays
@weighting_args("one value per distribution, the input's shape without ``axis``")
def js_divergence(input: Array, target: Array, *, axis: int = -1,
                  reduction: str = "mean", sample_weight: Array | None = None,
                  where: Array | None = None) -> Array:
    """Jensen-Shannon divergence between probability vectors along ``axis`` (natural log).

    ``JS(p, q) = KL(p || m) / 2 + KL(q || m) / 2`` with ``m = (p + q) / 2``, computed as
    ``sum(xlogy(p, p) + xlogy(q, q)) / 2 - sum(xlogy(m, m))`` (0 log 0 = 0). It lies in
    [0, log 2] and is symmetric.

    Args:
        input: probabilities ``p`` (each vector along ``axis`` sums to 1).
        target: probabilities ``q`` of the same shape.
        axis: the axis of the distributions (default -1).

    Defined by the formula (no core peer has it; kornia's ``js_div_loss_2d`` is the spatial
    2-D case, averaged over pixels). The gradient where a probability is 0 is that of the
    formula (``-inf`` or NaN), as for ``kl_div``.

    Example:
        >>> import array_api_strict as xp
        >>> import omniloss as ol
        >>> ol.js_divergence(xp.asarray([1.0, 0.0]), xp.asarray([0.0, 1.0]))
        Array(0.69314718, dtype=array_api_strict.float64)
    """
    name = "js_divergence"
    xp, p, q = divergence_pair(name, input, target, reduction, sample_weight, where)
    axis = distribution_axis(name, p, axis)
    middle = (p + q) / 2
    own = xp.sum(xlogx(xp, p) + xlogx(xp, q), axis=axis) / 2
    return reduce(xp, own - xp.sum(xlogx(xp, middle), axis=axis), reduction, sample_weight,
                  where, name=name)


@reads_arrays
@weighting_args("one value per distribution, the input's shape without ``axis``")
def generalized_kl_divergence(input: Array, target: Array, *, axis: int = -1,
                              reduction: str = "mean", sample_weight: Array | None = None,
                              where: Array | None = None) -> Array:
    """Generalized KL divergence of ``target`` from ``exp(input)``, summed along ``axis``.

    ``sum(t * (log t - x) + exp(x) - t)`` with ``x = input`` (0 log 0 = 0): the Bregman
    divergence of ``u log u - u``, which extends KL to unnormalized nonnegative measures (for
    distributions the two extra terms cancel and it is the KL divergence).

    Args:
        input: log-predictions ``x`` (logs of nonnegative values), a floating array.
        target: nonnegative values ``t`` of the same shape (not logs).
        axis: the axis summed over (default -1).

    Defined by ``optax.losses.generalized_kl_divergence`` (argument order and conventions of
    ours and of :func:`kl_div`: log-predictions first, plain targets second; per-row values:
    our ``"none"``). optax's ``convex_kl_divergence`` is its deprecated alias. optax's
    ``where`` masks entries inside the sum; ours, as for every loss, masks whole rows (with a
    per-row ``where`` the two agree). ``kl_div(input, target, reduction="none")`` summed along
    ``axis`` is this minus ``sum(exp(x) - t)``. At a target 0 the gradient with respect to it
    is ``-x - 1`` (the ``0 log 0`` term adds 0, as in :func:`kl_div`); optax's is NaN there.

    Example:
        >>> import array_api_strict as xp
        >>> import omniloss as ol
        >>> ol.generalized_kl_divergence(xp.asarray([0.0, 0.0]), xp.asarray([2.0, 0.0]))
        Array(1.38629436, dtype=array_api_strict.float64)
    """
    name = "generalized_kl_divergence"
    xp, input, target = divergence_pair(name, input, target, reduction, sample_weight, where)
    axis = distribution_axis(name, input, axis)
    terms = _kl_pointwise(xp, input, target, False) + xp.exp(input) - target
    return reduce(xp, xp.sum(terms, axis=axis), reduction, sample_weight, where, name=name)


# Focal and polynomial losses


@reads_arrays
@weighting_args()
def sigmoid_focal_loss(input: Array, target: Array, *, alpha: float = 0.25, gamma: float = 2.0,
                       reduction: str = "mean", sample_weight: Array | None = None,
                       where: Array | None = None) -> Array:
    """Sigmoid focal loss (RetinaNet): binary cross-entropy scaled by ``(1 - p_t) ** gamma``.

    ``l = alpha_t * (1 - p_t) ** gamma * BCE_with_logits(x, y)``, ``p = sigmoid(x)``,
    ``p_t = p * y + (1 - p) * (1 - y)``, ``alpha_t = alpha * y + (1 - alpha) * (1 - y)``
    (no alpha factor when ``alpha < 0``).

    ``(1 - p_t) ** gamma`` is computed in log space, ``exp(gamma * log(1 - p_t))`` with
    ``log(1 - p_t) = m + log((1 - y) * exp(log_sigmoid(x) - m) + y * exp(log_sigmoid(-x) -
    m))``, ``m`` the log-sigmoid of the larger weighted term, so confident predictions give
    finite gradients for every ``gamma >= 0`` (torchvision's ``(1 - p_t) ** gamma`` gives NaN
    at ``gamma < 1`` when ``1 - p_t`` rounds to 0), the factor keeps its accuracy when ``p_t``
    is near 1 (torchvision forms ``1 - p_t`` by subtraction), and second derivatives are
    finite: the sum in the log is at least the larger weight (1 for a hard label), never a
    number that underflows (with ``m`` the larger log-sigmoid, ``log(exp(-45))`` has the second
    derivative ``-1/exp(-45)**2``, which overflows float32 at ``44 < |x| < 88``; optax requires
    a finite Hessian there). The cross-entropy is the exact form of
    :func:`binary_cross_entropy_with_logits`.

    Args:
        input: logits, a floating array.
        target: targets in [0, 1] of the same shape (any real dtype).
        alpha: weight of the positive class in [0, 1]; negative disables the weighting.
        gamma: focusing exponent, ``>= 0`` (0 gives the alpha-weighted BCE).

    Defined by ``torchvision.ops.sigmoid_focal_loss``; optax's ``sigmoid_focal_loss`` computes
    the same factor in log space but defaults to ``alpha=None`` (no weighting); keras's
    ``binary_focal_crossentropy`` applies alpha only with ``apply_class_balancing=True`` (ours
    with ``alpha < 0`` otherwise) and averages over the last axis: where its clip of the
    probabilities to [1e-7, 1 - 1e-7] does not bite, keras's ``BinaryFocalCrossentropy(
    from_logits=True, reduction="mean_with_sample_weight")`` with a per-sample weight ``(N,)``
    is our ``"mean"`` with ``sample_weight`` ``(N, 1)``; :func:`binary_focal_cross_entropy`
    has keras's options (probabilities, class balancing, label smoothing). Our default
    reduction is ``"mean"`` (torchvision's is ``"none"``).

    Example:
        >>> import array_api_strict as xp
        >>> import omniloss as ol
        >>> ol.sigmoid_focal_loss(xp.asarray([0.0, 2.0]), xp.asarray([1.0, 0.0]))
        Array(0.64044017, dtype=array_api_strict.float64)
    """
    name = "sigmoid_focal_loss"
    alpha = check_real(name, "alpha", alpha)
    gamma = check_positive(name, "gamma", gamma, allow_zero=True)
    xp, x, y = float_pair(name, input, target, reduction, sample_weight, where)
    loss = _sigmoid_focal(xp, x, y, gamma)
    if alpha >= 0:
        loss = _class_balanced(loss, y, alpha)
    return reduce(xp, loss, reduction, sample_weight, where, name=name)


def _sigmoid_focal(xp: ModuleType, x: Array, y: Array, gamma: float) -> Array:
    """``(1 - p_t) ** gamma * BCE_with_logits(x, y)`` of logits ``x``, the factor in log space
    (:func:`sigmoid_focal_loss` says how and why)."""
    log_p, log_not_p = log_sigmoid(xp, x), log_sigmoid(xp, -x)
    # log(1 - p_t) = log((1 - y) * p + y * (1 - p)), shifted by the log of the larger term
    larger_first = _plus_log(xp, log_p, 1 - y) >= _plus_log(xp, log_not_p, y)
    peak = xp.where(larger_first, log_p, log_not_p)
    limit = math.log(xp.finfo(x.dtype).max) - 1  # exp of a term of weight 0 stays finite
    mixture = ((1 - y) * xp.exp(clamp(xp, log_p - peak, max=limit))
               + y * xp.exp(clamp(xp, log_not_p - peak, max=limit)))
    positive = mixture > 0
    log_one_minus = peak + xp.log(xp.where(positive, mixture, xp.ones_like(mixture)))
    return _focal_factor(xp, log_one_minus, positive, gamma) * sigmoid_cross_entropy(xp, x, y)


def _class_balanced(loss: Array, y: Array, alpha: float) -> Array:
    """``loss`` times ``alpha_t = alpha * y + (1 - alpha) * (1 - y)``."""
    return (alpha * y + (1 - alpha) * (1 - y)) * loss


@reads_arrays
@weighting_args()
def binary_focal_cross_entropy(input: Array, target: Array, *,
                               apply_class_balancing: bool = False, alpha: float = 0.25,
                               gamma: float = 2.0, from_logits: bool = False,
                               label_smoothing: float = 0.0, reduction: str = "mean",
                               sample_weight: Array | None = None,
                               where: Array | None = None) -> Array:
    """Binary focal cross-entropy on probabilities (or logits), keras's focal loss.

    ``l = alpha_t * (1 - p_t) ** gamma * BCE(p, y')``, ``p_t = p * y' + (1 - p) * (1 - y')``,
    with the smoothed target ``y' = y * (1 - eps) + eps / 2`` and ``alpha_t = alpha * y' + (1 -
    alpha) * (1 - y')`` only with ``apply_class_balancing`` (1 otherwise). On probabilities the
    cross-entropy is keras's: ``p`` clipped to ``[1e-7, 1 - 1e-7]`` inside the logs (the
    factor reads ``p`` as given). With ``from_logits=True`` it is :func:`sigmoid_focal_loss`'s
    (one implementation of the focal term): exact log-space forms, finite for logits of any
    size; keras applies a sigmoid and the clip, so the two differ where the clip bites
    (``|logit| > 16``: keras's loss stops growing there).

    Args:
        input: probabilities in [0, 1] (logits with ``from_logits``), a floating array.
        target: targets in [0, 1] of the same shape (any real dtype).
        apply_class_balancing: whether to weigh by ``alpha_t``.
        alpha: the weight of the positive class (used with ``apply_class_balancing``).
        gamma: the focusing exponent, ``>= 0`` (0 gives the cross-entropy).
        from_logits: whether ``input`` holds logits.
        label_smoothing: ``eps`` in [0, 1]: the targets are squeezed towards 1/2.

    Defined by ``keras.losses.binary_focal_crossentropy`` (keras 3.15), which returns the mean
    over its ``axis`` (default -1) of these elementwise values: our ``"none"`` is elementwise
    (keras's per-sample numbers are its mean over the last axis, which the ``omniloss.keras``
    class ``BinaryFocalCrossentropy`` returns), and our ``"mean"`` equals keras's mean over the
    batch. :func:`sigmoid_focal_loss` is the torchvision form (logits only, ``alpha`` always
    applied unless negative, no smoothing); ``binary_focal_cross_entropy(x, y,
    from_logits=True, apply_class_balancing=True)`` is ``sigmoid_focal_loss(x, y)``.

    Example:
        >>> import array_api_strict as xp
        >>> import omniloss as ol
        >>> ol.binary_focal_cross_entropy(xp.asarray([0.9, 0.2]), xp.asarray([1.0, 1.0]))
        Array(0.51554693, dtype=array_api_strict.float64)
    """
    name = "binary_focal_cross_entropy"
    apply_class_balancing = check_flag(name, "apply_class_balancing", apply_class_balancing)
    alpha = check_real(name, "alpha", alpha)
    gamma = check_positive(name, "gamma", gamma, allow_zero=True)
    from_logits = check_flag(name, "from_logits", from_logits)
    label_smoothing = check_smoothing(name, label_smoothing)
    xp, x, y = float_pair(name, input, target, reduction, sample_weight, where)
    if label_smoothing:
        y = y * (1 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        loss = _sigmoid_focal(xp, x, y, gamma)
    else:
        clipped = clamp(xp, x, min=_KERAS_EPSILON, max=1 - _KERAS_EPSILON)
        cross_entropy = -(y * xp.log(clipped) + (1 - y) * xp.log(1 - clipped))
        loss = (1 - (y * x + (1 - y) * (1 - x))) ** gamma * cross_entropy
    if apply_class_balancing:
        loss = _class_balanced(loss, y, alpha)
    return reduce(xp, loss, reduction, sample_weight, where, name=name)


@reads_arrays
@weighting_args(_PER_POSITION)
def softmax_focal_loss(input: Array, target: Array, *, axis: int = 1,
                       alpha: float | Array | None = None, gamma: float = 2.0,
                       weight: Array | None = None, ignore_index: int = -100,
                       reduction: str = "mean", sample_weight: Array | None = None,
                       where: Array | None = None) -> Array:
    """Multi-class focal loss from log-softmax: ``-alpha * (1 - p) ** gamma * log p``.

    Class indices ``y``: ``l = -alpha[y] * w[y] * (1 - p[y]) ** gamma * log p[y]``, 0 where
    ``y == ignore_index``; ``"mean"`` divides by the summed ``w[y]`` of the non-ignored
    positions (as :func:`cross_entropy`).

    Class probabilities ``t``: ``l = -sum_c alpha[c] * w[c] * t[c] * (1 - p[c]) ** gamma *
    log p[c]``; ``"mean"`` divides by the number of positions. With ``sample_weight`` ``s`` (or
    ``where``) the divisors are ``sum(s * w[y])`` over the non-ignored positions and ``sum(s)``,
    as in :func:`cross_entropy`.

    ``log p = log_softmax(input, axis)`` and ``(1 - p) ** gamma = exp(gamma * log1mexp(log p))``:
    no probability clipping, finite values and gradients for confident predictions and every
    ``gamma >= 0``.

    Args:
        input: logits with the classes along ``axis``.
        target: class indices (integer, the input's shape without ``axis``) or class
            probabilities (floating, the input's shape).
        axis: the class axis (default 1; a 1-D input's class axis is 0).
        alpha: ``None`` (1), a number (or 0-d array) multiplying every class, or per-class
            weights ``(C,)``.
        gamma: focusing exponent, ``>= 0`` (0 gives the alpha-weighted cross-entropy).
        weight: optional per-class weights ``(C,)``, in the divisor of "mean" as in
            :func:`cross_entropy`.
        ignore_index: class id whose positions contribute nothing (class indices only).

    Defined by Lin et al. 2017 (multi-class form). Equals
    ``keras.losses.categorical_focal_crossentropy(from_logits=True)`` (one-hot or soft targets,
    ``axis=-1``) wherever keras's clip of the probabilities to [1e-7, 1 - 1e-7] does not bite;
    keras forms ``log(softmax(x))``, so a logit gap of 60 gives 4.03 there instead of 15
    (alpha 0.25). keras's ``alpha`` defaults to 0.25, ours to ``None``; kornia's ``focal_loss``
    takes class indices and a scalar alpha.

    Example:
        >>> import array_api_strict as xp
        >>> import omniloss as ol
        >>> ol.softmax_focal_loss(xp.asarray([[2.0, 0.0, -1.0]]), xp.asarray([1]))
        Array(1.70256999, dtype=array_api_strict.float64)
    """
    name = "softmax_focal_loss"
    # a number, NumPy scalar or 0-d array multiplies every class; a 1-d array is per class
    alpha_array = alpha if alpha is not None and shape_of(alpha) != () else None
    xp, scores, axis, is_index, ignore_index, (weight, alpha_array) = class_scores(
        name, input, target, axis, reduction, sample_weight, where, ignore_index=ignore_index,
        weight=weight, alpha=alpha_array)
    dtype = scores.dtype
    gamma = check_positive(name, "gamma", gamma, allow_zero=True)
    if alpha is not None and alpha_array is None:
        alpha = check_real(name, "alpha", alpha)
    log_probs = log_softmax(xp, scores, axis=axis)
    if not is_index:
        log_one_minus, below_one = _log1mexp(xp, log_probs)
        terms = (_focal_factor(xp, log_one_minus, below_one, gamma) * log_probs
                 * as_float(xp, target, dtype))
        for factor in (weight, alpha_array):
            if factor is not None:
                terms = terms * _along(xp, factor, axis, terms.ndim)
        loss = -xp.sum(terms, axis=axis)
        if alpha is not None and alpha_array is None:
            loss = alpha * loss
        return reduce(xp, loss, reduction, sample_weight, where, name=name)
    target, bad = class_ids(name, xp, "target", target, scores.shape[axis],
                            ignore_index=ignore_index)
    valid, safe, class_weight = _index_targets(xp, target, weight, ignore_index, dtype)
    picked = gather_classes(xp, log_probs, safe, axis=axis)
    log_one_minus, below_one = _log1mexp(xp, picked)
    loss = -class_weight * _focal_factor(xp, log_one_minus, below_one, gamma) * picked
    if alpha_array is not None:
        loss = loss * take_classes(xp, alpha_array, safe)
    elif alpha is not None:
        loss = alpha * loss
    loss = nan_where(xp, xp.where(valid, loss, xp.zeros_like(loss)), bad)
    return reduce(xp, loss, reduction, sample_weight, where, name=name, divisor=class_weight)


@reads_arrays
@weighting_args(_PER_POSITION)
def poly1_cross_entropy(input: Array, target: Array, *, axis: int = 1, epsilon: float = 2.0,
                        reduction: str = "mean", sample_weight: Array | None = None,
                        where: Array | None = None) -> Array:
    """Poly-1 loss: cross-entropy plus ``epsilon * (1 - p_t)`` (Leng et al. 2022).

    Class indices ``y``: ``l = -log p[y] + epsilon * (1 - p[y])``. Class probabilities ``t``:
    ``l = -sum_c t[c] * log p[c] + epsilon * sum_c t[c] * (1 - p[c])``. ``log p =
    log_softmax(input, axis)``, and ``1 - p`` is ``-expm1(log p)`` (no cancellation near 1).

    Args:
        input: logits with the classes along ``axis``.
        target: class indices (integer, the input's shape without ``axis``) or class
            probabilities (floating, the input's shape).
        axis: the class axis (default 1; a 1-D input's class axis is 0).
        epsilon: coefficient of the first polynomial term (2.0 for ImageNet in the paper,
            -1.0 for detection).

    Defined by ``optax.poly_loss_cross_entropy`` (which takes probability targets with the
    classes last and returns per-example values; with a per-example ``where`` those values,
    averaged over the kept examples, are our ``"mean"`` with ``where``). torchvision has it
    only on an unmerged branch.

    Example:
        >>> import array_api_strict as xp
        >>> import omniloss as ol
        >>> ol.poly1_cross_entropy(xp.asarray([[2.0, 0.0, -1.0]]), xp.asarray([0]))
        Array(0.48225655, dtype=array_api_strict.float64)
    """
    name = "poly1_cross_entropy"
    xp, scores, axis, is_index, _, _ = class_scores(name, input, target, axis, reduction,
                                                   sample_weight, where)
    dtype = scores.dtype
    epsilon = check_real(name, "epsilon", epsilon)
    log_probs = log_softmax(xp, scores, axis=axis)
    if is_index:
        target, bad = class_ids(name, xp, "target", target, scores.shape[axis])
        picked = gather_classes(xp, log_probs, target, axis=axis)
        loss = nan_where(xp, -picked - epsilon * xp.expm1(picked), bad)
    else:
        labels = as_float(xp, target, dtype)
        loss = -xp.sum(labels * (log_probs + epsilon * xp.expm1(log_probs)), axis=axis)
    return reduce(xp, loss, reduction, sample_weight, where, name=name)


@reads_arrays
@weighting_args(_PER_POSITION)
def generalized_cross_entropy(input: Array, target: Array, *, q: float = 0.5, axis: int = 1,
                              from_logits: bool = False, reduction: str = "mean",
                              sample_weight: Array | None = None,
                              where: Array | None = None) -> Array:
    """Generalized cross-entropy (Zhang & Sabuncu 2018): ``(1 - p[y] ** q) / q``.

    ``p[y]`` is the probability of the target class ``y``. A noise-robust loss between the
    cross-entropy (its limit as ``q -> 0``) and the mean absolute error of the probabilities
    (``q = 1``: ``1 - p[y]``). With ``from_logits=True`` the input holds logits and
    ``p[y] ** q = exp(q * log_softmax(input)[y])``: ``-expm1(q * log p[y]) / q``, finite for
    logits of any magnitude.

    Args:
        input: probabilities (logits with ``from_logits``) with the classes along ``axis``:
            ``(C,)``, ``(N, C)`` or ``(N, C, d1, ..., dk)``.
        target: class indices, an integer array of the input's shape without ``axis``.
        q: the exponent, in ``(0, 1]``.
        axis: the class axis (default 1, torch's layout; keras's is -1, the same for
            ``(N, C)``). A 1-D input's class axis is 0.
        from_logits: whether ``input`` holds logits (ours only; keras takes probabilities).

    Defined by ``keras.losses.categorical_generalized_cross_entropy(target, input, q)`` (keras
    3.15: probabilities with the classes last, integer class ids; it gives one value per
    sample, which our ``"none"`` is; its ``CategoricalGeneralizedCrossEntropy`` class has
    ``q=0.5``, ours too). keras reads the probabilities as given: neither clipped nor
    renormalised, here neither; a probability of 0 at the target gives the loss ``1 / q`` and an
    infinite gradient, as there. keras's docstring also allows ids of shape ``(N, 1)``, which
    its one-hot then broadcasts to an ``(N, N)`` loss; here that shape is a ``ValueError``.

    Example:
        >>> import array_api_strict as xp
        >>> import omniloss as ol
        >>> probs = xp.asarray([[0.7, 0.2, 0.1], [0.3, 0.3, 0.4]])
        >>> ol.generalized_cross_entropy(probs, xp.asarray([0, 1]), q=0.5)
        Array(0.61561742, dtype=array_api_strict.float64)
    """
    name = "generalized_cross_entropy"
    xp, scores, axis, _, _, _ = class_scores(name, input, target, axis, reduction, sample_weight,
                                             where, allow_probabilities=False)
    q = check_number(name, "q", q, minimum=0.0, maximum=1.0, above_minimum=True)
    from_logits = check_flag(name, "from_logits", from_logits)
    target, bad = class_ids(name, xp, "target", target, scores.shape[axis])
    picked = gather_classes(xp, scores, target, axis=axis)
    if from_logits:
        peak, log_total = logsumexp_parts(xp, scores, axis=axis)
        log_p = (picked - xp.squeeze(peak, axis=axis)) - xp.squeeze(log_total, axis=axis)
        loss = -xp.expm1(q * log_p) / q
    else:
        loss = (1 - picked**q) / q
    return reduce(xp, nan_where(xp, loss, bad), reduction, sample_weight, where, name=name)


@reads_arrays
@weighting_args("the pointwise terms, the input's shape: a per-sample weight of a 2-D input "
                "is ``(N, 1)``", reductions=("batchmean", "mean", "sum", "none"))
def distillation_loss(input: Array, teacher: Array, *, temperature: float = 1.0, axis: int = 1,
                      reduction: str = "batchmean", sample_weight: Array | None = None,
                      where: Array | None = None) -> Array:
    """Knowledge-distillation loss: ``T**2 * KL(softmax(teacher / T) || softmax(input / T))``.

    Pointwise ``T**2 * q * (log q - log_softmax(input / T))`` with ``q = softmax(teacher / T)``,
    reduced as :func:`kl_div`: ``"batchmean"`` (default) is the mean KL per sample (the sum over
    everything divided by ``input.shape[0]``), ``"mean"`` divides by every element, ``"none"``
    returns the pointwise terms (the input's shape). With ``sample_weight`` (or ``where``),
    ``"batchmean"`` divides by the weighted number of samples, as :func:`kl_div`. The ``T**2``
    factor keeps the gradient's scale independent of ``T`` (Hinton et al. 2015).

    Args:
        input: student logits, classes along ``axis``.
        teacher: teacher logits of the same shape (the gradient flows to it too; stop it in
            the caller's framework if the teacher is frozen).
        temperature: ``T > 0``.
        axis: the class axis (default 1; a 1-D input's class axis is 0).

    Defined by Hinton et al. 2015, as the usual torch recipe ``T**2 * F.kl_div(
    F.log_softmax(input / T, 1), F.softmax(teacher / T, 1), reduction="batchmean")``. No peer
    has it as a function.

    Example:
        >>> import array_api_strict as xp
        >>> import omniloss as ol
        >>> ol.distillation_loss(xp.asarray([[0.0, 0.0]]), xp.asarray([[2.0, 0.0]]))
        Array(0.32781333, dtype=array_api_strict.float64)
    """
    name = "distillation_loss"
    xp, input, teacher, axis, temperature = distillation_pair(
        name, input, teacher, temperature, axis, reduction, sample_weight, where, _KL_REDUCTIONS)
    student, soft = input / temperature, teacher / temperature
    pointwise = _kl_pointwise(xp, log_softmax(xp, student, axis=axis),
                              softmax(xp, soft, axis=axis), False)
    return reduce(xp, temperature**2 * pointwise, reduction, sample_weight, where, name=name)


# Losses on labels and margins


@reads_arrays
@weighting_args("one value per position: the input's shape without ``axis`` (multi-class) "
                "or the input's shape (binary)")
def zero_one_loss(input: Array, target: Array, *, axis: int = 1,
                  reduction: str = "mean", sample_weight: Array | None = None,
                  where: Array | None = None) -> Array:
    """0-1 loss: 1.0 for each misclassified position, else 0.0 (not differentiable).

    The form is read from the shapes:

    * multi-class, when ``target`` has the input's shape without ``axis``: integer class ids,
      error where ``argmax(input, axis) != target`` (ties go to the first maximum);
    * binary, when ``target`` has the input's shape: labels in {-1, 1} or {0, 1} (any real
      dtype; positive means ``target > 0``), error where the sign of ``input`` disagrees with
      the label. A score of exactly 0 counts as an error for either label.

    The result is in the floating result type of the input and a floating binary target, with
    no gradient (its derivative is 0 almost everywhere; on torch the result does not require
    grad; a ``sample_weight`` still gets its gradient). ``"mean"`` is the error rate, ``"sum"``
    the error count. One-hot targets must be turned into indices first: a one-hot target has
    the input's shape and would be read as binary.

    Args:
        input: scores (logits or probabilities: only the argmax or sign matters), floating.
        target: class indices (multi-class) or binary labels (the input's shape).
        axis: the class axis of the multi-class form (default 1; a 1-D input's is 0).

    Defined by the 0-1 loss; equals ``sklearn.metrics.zero_one_loss`` (a Python float there)
    for the multi-class form and ``reduction="mean"``.

    Example:
        >>> import array_api_strict as xp
        >>> import omniloss as ol
        >>> ol.zero_one_loss(xp.asarray([[2.0, 0.0], [0.0, 1.0]]), xp.asarray([1, 1]))
        Array(0.5, dtype=array_api_strict.float64)
    """
    name = "zero_one_loss"
    xp, scores, labels, classes_at = zero_one_pair(name, input, target, axis, reduction,
                                                   sample_weight, where)
    if classes_at is None:  # binary labels of the input's shape
        wrong = xp.where(labels > 0, scores <= 0, scores >= 0)
        unknown = xp.isnan(scores)
    else:
        labels, bad = class_ids(name, xp, "target", labels, scores.shape[classes_at])
        predicted = xp.argmax(scores, axis=classes_at)
        wrong = predicted != xp.astype(labels, predicted.dtype)
        unknown = xp.any(xp.isnan(scores), axis=classes_at)
        if bad is not None:
            unknown = unknown | bad
    loss = xp.where(unknown, math.nan, xp.astype(wrong, scores.dtype))
    return reduce(xp, loss, reduction, sample_weight, where, name=name)


@reads_arrays
@weighting_args()
def exponential_loss(input: Array, target: Array, *, reduction: str = "mean",
                     sample_weight: Array | None = None, where: Array | None = None) -> Array:
    """Exponential loss of AdaBoost: ``exp(-y * f)`` with labels ``y`` in {-1, 1}.

    It overflows to ``inf`` for margins ``-y * f`` above ~88 (float32) or ~709 (float64), as
    the formula does.

    Args:
        input: scores ``f``, a floating array.
        target: labels ``y`` in {-1, 1} of the same shape (any real dtype; not remapped).

    Defined by the formula (Freund & Schapire; no framework peer).

    Example:
        >>> import array_api_strict as xp
        >>> import omniloss as ol
        >>> ol.exponential_loss(xp.asarray([0.0, 1.0]), xp.asarray([1.0, -1.0]), reduction="sum")
        Array(3.71828183, dtype=array_api_strict.float64)
    """
    name = "exponential_loss"
    xp, f, y = float_pair(name, input, target, reduction, sample_weight, where)
    return reduce(xp, xp.exp(-y * f), reduction, sample_weight, where, name=name)


@reads_arrays
@weighting_args()
def logistic_loss(input: Array, target: Array, *, reduction: str = "mean",
                  sample_weight: Array | None = None, where: Array | None = None) -> Array:
    """Logistic loss ``log(1 + exp(-y * f))`` with labels ``y`` in {-1, 1}, overflow-safe.

    Computed as ``softplus(-y * f)``, so a margin of -1e4 gives 1e4 (not ``inf``).

    Args:
        input: scores ``f``, a floating array.
        target: labels ``y`` in {-1, 1} of the same shape (any real dtype; not remapped).

    Defined by the formula; equals ``torch.nn.functional.soft_margin_loss``, which evaluates
    ``log1p(exp(-y * f))`` and overflows to ``inf`` for margins below about -88 (float32).

    Example:
        >>> import array_api_strict as xp
        >>> import omniloss as ol
        >>> ol.logistic_loss(xp.asarray([0.0, -1e4]), xp.asarray([1.0, 1.0]), reduction="sum")
        Array(10000.69314718, dtype=array_api_strict.float64)
    """
    return logistic("logistic_loss", input, target, reduction, sample_weight, where)


def logistic(name: str, input: Array, target: Array, reduction: str,
             sample_weight: Array | None, where: Array | None) -> Array:
    """``softplus(-y * f)`` reduced: the one implementation of :func:`logistic_loss` and
    :func:`omniloss.margin.soft_margin_loss` (the same formula under two names)."""
    xp, f, y = float_pair(name, input, target, reduction, sample_weight, where)
    return reduce(xp, softplus(xp, -(y * f)), reduction, sample_weight, where, name=name)



@reads_arrays
@weighting_args()
def sparsemax_loss(input: Array, target: Array, *, reduction: str = "mean",
                   sample_weight: Array | None = None, where: Array | None = None) -> Array:
    """Binary sparsemax loss: ``sparse_plus(-f)`` for label 1, ``sparse_plus(f)`` for label 0.

    ``sparse_plus(z)`` is 0 for ``z <= -1``, ``(z + 1)**2 / 4`` between, ``z`` for ``z >= 1``:
    the Fenchel-Young loss of the sparse sigmoid (Blondel et al. 2020, sec. 4.4), zero exactly
    when ``clip((f + 1) / 2, 0, 1)`` equals the label. Its gradient is continuous, so there is no
    kink to choose at; scores of any magnitude stay finite (the loss is linear in the tails).

    Args:
        input: scores (logits) ``f``, a floating array.
        target: labels of the same shape: 0 is the negative class, any other value (1) the
            positive one, as optax reads them (integer, boolean or floating).

    Defined by ``optax.losses.sparsemax_loss`` (elementwise, unreduced: our ``"none"``).

    Example:
        >>> import array_api_strict as xp
        >>> import omniloss as ol
        >>> ol.sparsemax_loss(xp.asarray([0.0, 2.0, -3.0]), xp.asarray([1, 0, 0]), reduction="none")
        Array([0.25, 2.  , 0.  ], dtype=array_api_strict.float64)
    """
    name = "sparsemax_loss"
    xp, f, y = float_pair(name, input, target, reduction, sample_weight, where)
    z = xp.where(y != 0, -f, f)
    loss = xp.where(z <= -1.0, 0.0, xp.where(z >= 1.0, z, (z + 1.0) ** 2 / 4))
    return reduce(xp, loss, reduction, sample_weight, where, name=name)


@reads_arrays
@weighting_args(_PER_POSITION)
def multiclass_sparsemax_loss(input: Array, target: Array, *, axis: int = 1,
                              reduction: str = "mean", sample_weight: Array | None = None,
                              where: Array | None = None) -> Array:
    """Multi-class sparsemax loss (Martins & Astudillo 2016): the Fenchel-Young loss of sparsemax.

    With ``p = sparsemax(input)`` along ``axis`` (the projection of the scores ``s`` onto the
    probability simplex, :func:`omniloss.sparsemax`) and the true class ``y``::

        loss = sum_j p[j] * (s[j] - s[y]) + (1 - sum_j p[j]**2) / 2

    It is 0 exactly when ``p`` is the one-hot of ``y``, and its gradient is ``p - onehot(y)``.
    The sort that finds the support keeps every shape static, so it traces. Classes with
    ``p[j] == 0`` are left out of the first sum, so a score of ``-inf`` gives a finite loss,
    as in optax. The scores are shifted by their maximum first (the loss is invariant to it):
    at scores of 1e4 in float32 the gradient stays exact where differentiating the unshifted
    formula loses 1e-4 to cancellation (optax avoids it with its custom JVP).

    Args:
        input: scores with the classes along ``axis``.
        target: class indices (integer, the input's shape without ``axis``).
        axis: the class axis (default 1; a 1-D input's class axis is 0).

    Defined by ``optax.losses.multiclass_sparsemax_loss`` (scores ``(N, C)``, classes last,
    per-sample values: our ``axis=-1, reduction="none"``).

    Example:
        >>> import array_api_strict as xp
        >>> import omniloss as ol
        >>> ol.multiclass_sparsemax_loss(xp.asarray([[2.0, 1.5, -1.0]]), xp.asarray([1]))
        Array(0.5625, dtype=array_api_strict.float64)
    """
    name = "multiclass_sparsemax_loss"
    xp, scores, axis, _, _, _ = class_scores(name, input, target, axis, reduction, sample_weight,
                                            where, allow_probabilities=False)
    target, bad = class_ids(name, xp, "target", target, scores.shape[axis])
    conjugate, shifted, _ = _sparsemax_conjugate(xp, scores, axis)
    loss = conjugate - gather_classes(xp, shifted, target, axis=axis)
    return reduce(xp, nan_where(xp, loss, bad), reduction, sample_weight, where, name=name)


def _sparsemax_conjugate(xp: ModuleType, scores: Array, axis: int
                         ) -> tuple[Array, Array, Array]:
    """``(c, s', m)``: the scores shifted by their constant maximum ``m``, ``s' = s - m``, and
    the conjugate of the Gini negentropy at ``s'``, ``c = <p, s'> + (1 - <p, p>) / 2`` with
    ``p = sparsemax(s')`` (its gradient is ``p``); the conjugate at ``s`` is ``c + m``.

    Shifted, the scores on the support are within 1 of 0, so the gradient through the
    projection does not cancel terms of the scores' size (1e-4 at scores of 1e4 in float32).
    Classes with ``p == 0`` are left out of ``<p, s'>``, so a score of ``-inf`` is finite.
    """
    peak = stop_gradient(xp, xp.max(scores, axis=axis, keepdims=True))
    shifted = scores - peak
    proba = sparsemax(xp, shifted, axis=axis)
    conjugate = (xp.sum(proba * xp.where(proba != 0, shifted, 0.0), axis=axis)
                 + 0.5 * (1.0 - xp.sum(proba * proba, axis=axis)))
    return conjugate, shifted, xp.squeeze(peak, axis=axis)


@reads_arrays
@weighting_args("one value per distribution, the input's shape without ``axis``")
def fenchel_young_loss(input: Array, target: Array, *, kind: str = "softmax", axis: int = -1,
                       reduction: str = "mean", sample_weight: Array | None = None,
                       where: Array | None = None) -> Array:
    """Fenchel-Young loss ``max_fun(s) - <t, s>`` along ``axis`` (Blondel et al. 2020).

    ``max_fun`` is the conjugate of a regulariser of the probability simplex, whose gradient is
    the prediction map: ``kind="softmax"`` (Shannon negentropy) takes ``logsumexp(s)``, the
    prediction ``softmax(s)``; ``kind="sparsemax"`` (Gini negentropy) takes
    ``<p, s> + (1 - <p, p>) / 2`` with ``p = sparsemax(s)``. The gradient is ``prediction - t``
    (and ``-s`` with respect to ``t``). With a one-hot ``t`` they are :func:`cross_entropy` and
    :func:`multiclass_sparsemax_loss`. The regulariser's value at ``t`` is not added (as in
    optax), so the loss is 0 at its minimum only for one-hot targets.

    Args:
        input: scores ``s`` with the classes along ``axis``, a floating array.
        target: targets ``t`` of the same shape, usually distributions (any real dtype).
        kind: the regulariser, ``"softmax"`` or ``"sparsemax"``.
        axis: the class axis (default -1, as optax).

    Defined by ``optax.losses.make_fenchel_young_loss(max_fun)`` with ``max_fun`` =
    ``jax.scipy.special.logsumexp`` or the sparsemax conjugate above (optax ships no
    ``max_fun`` for it; its ``multiclass_sparsemax_loss`` uses this one); per-row values, our
    ``"none"``.

    Example:
        >>> import array_api_strict as xp
        >>> import omniloss as ol
        >>> ol.fenchel_young_loss(xp.asarray([[2.0, 1.5, -1.0]]), xp.asarray([[0.0, 1.0, 0.0]]),
        ...                       kind="sparsemax")
        Array(0.5625, dtype=array_api_strict.float64)
    """
    name = "fenchel_young_loss"
    kind = check_choice(name, "kind", kind, ("softmax", "sparsemax"))
    xp, scores, target = float_pair(name, input, target, reduction, sample_weight, where)
    axis = distribution_axis(name, scores, axis)
    if kind == "softmax":
        loss = logsumexp(xp, scores, axis=axis) - xp.sum(target * scores, axis=axis)
    else:
        conjugate, _, peak = _sparsemax_conjugate(xp, scores, axis)
        loss = conjugate + peak - xp.sum(target * scores, axis=axis)
    return reduce(xp, loss, reduction, sample_weight, where, name=name)


@reads_arrays
def smooth_labels(labels: Array, alpha: float, *, axis: int = -1) -> Array:
    """Label smoothing: ``(1 - alpha) * labels + alpha / C`` along ``axis`` (``C`` classes).

    A utility, not a loss (no reduction): the smoothed targets to pass to a loss. For class
    probabilities, ``cross_entropy(x, smooth_labels(t, eps, axis=1))`` is ``cross_entropy(x, t,
    label_smoothing=eps)``.

    Args:
        labels: one-hot (or soft) labels, a floating array with the classes along ``axis``.
        alpha: the smoothing factor, in [0, 1].
        axis: the class axis (default -1, as optax).

    Returns:
        The smoothed labels, the shape and dtype of ``labels``.

    Defined by ``optax.smooth_labels`` (Muller et al. 2019). optax's ``where`` (smoothing over
    a subset of the classes) is not offered; optax also takes an array ``alpha``, this a number.

    Example:
        >>> import array_api_strict as xp
        >>> import omniloss as ol
        >>> ol.smooth_labels(xp.asarray([0.0, 1.0, 0.0, 0.0]), 0.2)
        Array([0.05, 0.85, 0.05, 0.05], dtype=array_api_strict.float64)
    """
    name = "smooth_labels"
    xp = get_namespace(labels, name=name)
    check_array(name, "labels", labels)
    labels = as_float(xp, labels, float_dtype(name, xp, labels=labels))
    alpha = check_number(name, "alpha", alpha, minimum=0.0, maximum=1.0)
    if labels.ndim == 0:
        raise ValueError(f"{name}: labels must have a class axis; got shape ()")
    axis = normalize_axis(name, axis, labels.ndim)
    return (1.0 - alpha) * labels + alpha / dim(xp, labels, axis, dtype=labels.dtype)
