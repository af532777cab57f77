"""Segmentation and detection losses: soft overlap of masks, and overlap of bounding boxes.

The mask losses (:func:`dice_loss`, :func:`jaccard_loss`, :func:`tversky_loss`,
:func:`focal_tversky_loss`, :func:`mcc_loss`) take predicted
probabilities ``input`` and a target mask of the same shape (floating, integer or boolean; it is
cast to ``input``'s dtype). Their sums run over ``axis``: ``None`` (the default, as in
``keras.losses.dice``) sums over every axis, batch included, and gives one 0-d loss; an int or a
tuple of ints gives one loss per index of the remaining axes (for example ``axis=(1, 2, 3)`` gives
one loss per image), which ``reduction`` then reduces. Every denominator carries Keras's
``epsilon = 1e-7``, so an empty prediction on an empty mask gives loss 1, as in Keras
(:func:`mcc_loss` adds its ``eps`` to each count instead, as segmentation_models_pytorch).
``sample_weight`` and ``where`` broadcast against that unreduced loss (the kept axes, in their
order): with ``axis=(2, 3)`` on ``(N, C, H, W)`` the loss is ``(N, C)``, a per-sample weight is
``(N, 1)`` and a per-class weight ``(C,)``; with ``axis=None`` it is 0-d and takes only a 0-d
weight.

The box losses take two arrays of ``(x1, y1, x2, y2)`` boxes of one shape ``(..., 4)`` (any
leading shape, ``(4,)`` included) and give one loss per box pair, reduced by ``reduction``.
Their numbers and gradients are those of ``torchvision.ops`` (whose default reduction is
``"none"``; ours is ``"mean"``), including the empty-batch ``"mean"`` of 0 and torch's gradient
split 1/2 and 1/2 where two coordinates tie in a ``max``/``min``, except that float32
coordinates near 1e20 and beyond give their finite losses, where torchvision's areas overflow to
NaN (each pair is divided by a power of two near its largest coordinate first, an exact
rescaling). ``sample_weight`` and ``where`` broadcast against the per-pair losses (shape
``(...)``: the boxes' shape without the last axis).

Dtypes: the result has the floating dtype of ``input`` (``boxes1``); the target (mask or
``boxes2``, floating, integer or boolean for masks) and ``sample_weight`` are cast to it, as
Keras casts ``y_true`` to ``y_pred``'s dtype.
"""

from __future__ import annotations

import math
from types import ModuleType
from typing import Any, NamedTuple

from omniloss._boundary import reads_arrays
from omniloss._primitives import (
    binary_scale,
    clamp,
    class_mask,
    dim,
    sigmoid,
    softmax,
    split_maximum,
    split_minimum,
    stop_gradient,
    take_along_axis,
)
from omniloss._reduction import leading_axes, reduce, weighting_args
from omniloss._validation import (
    as_float,
    box_pairs,
    check_broadcastable,
    check_choice,
    check_flag,
    check_int,
    check_number,
    check_positive,
    check_smoothing,
    class_ids,
    class_scores,
    mask_pair,
    nan_where,
    normalize_axis,
    shape_of,
)
from omniloss.classification import (
    _class_balanced,
    _index_targets,
    _sigmoid_focal,
    cross_entropy,
)

Array = Any
Axis = int | tuple[int, ...] | None

__all__ = [
    "dice_loss",
    "jaccard_loss",
    "tversky_loss",
    "generalized_dice_loss",
    "focal_tversky_loss",
    "mcc_loss",
    "lovasz_hinge_loss",
    "lovasz_softmax_loss",
    "dice_cross_entropy_loss",
    "dice_focal_loss",
    "box_iou_loss",
    "generalized_box_iou_loss",
    "distance_box_iou_loss",
    "complete_box_iou_loss",
]

KERAS_EPSILON = 1e-7
"""``keras.config.epsilon()``: added to the denominator of every mask loss, as Keras does."""


# Mask losses.


_MASK_UNREDUCED = ("one value per index of the axes not in ``axis``, in their order: ``(N,)`` "
                   "for ``axis=(1, 2, 3)`` of ``(N, C, H, W)``, ``(N, C)`` for ``axis=(2, 3)`` "
                   "(a per-sample weight ``(N, 1)``, a per-class weight ``(C,)``), 0-d for "
                   "``axis=None``")


def _overlap(xp: ModuleType, probs: Array, mask: Array, axes: Axis
             ) -> tuple[Array, Array, Array]:
    """The Dice sums over ``axes``: ``sum(p*t)``, ``sum(p)`` and ``sum(t)``."""
    return xp.sum(probs * mask, axis=axes), xp.sum(probs, axis=axes), xp.sum(mask, axis=axes)


@reads_arrays
@weighting_args(_MASK_UNREDUCED)
def dice_loss(input: Array, target: Array, *, axis: Axis = None, smooth: float = 0.0,
              reduction: str = "mean", sample_weight: Array | None = None,
              where: Array | None = None) -> Array:
    """Soft Dice loss: ``1 - (2*sum(p*t) + smooth) / (sum(p) + sum(t) + smooth + 1e-7)``.

    The sums run over ``axis``. ``smooth`` (Laplace smoothing) is added to the numerator and to
    the denominator, so an empty prediction on an empty mask gives 0 for ``smooth > 0`` (as
    optax's ``dice_loss``, whose default is ``smooth=1``); ``smooth=0`` (the default) is exactly
    ``keras.losses.dice``, which adds only ``epsilon = 1e-7`` to the denominator.

    Args:
        input: predicted probabilities ``p``, a floating array.
        target: the target mask ``t``, of ``input``'s shape (floating, integer or boolean).
        axis: the axes summed over: ``None`` (every axis, batch included), an int, or a tuple.
        smooth: a non-negative number added to the numerator and the denominator.

    Defined by ``keras.losses.dice(target, input, axis=axis)`` (note Keras's ``(y_true, y_pred)``
    order). segmentation_models_pytorch clamps the denominator at ``eps`` instead, kornia adds
    ``1e-8``, optax applies a softmax to logits first.

    Example:
        >>> import array_api_strict as xp
        >>> import omniloss as ol
        >>> ol.dice_loss(xp.asarray([0.5, 1.0]), xp.asarray([1.0, 1.0]))
        Array(0.14285717, dtype=array_api_strict.float64)
    """
    name = "dice_loss"
    smooth = check_positive(name, "smooth", smooth, allow_zero=True)
    xp, probs, mask, axes = mask_pair(name, input, target, axis, reduction, sample_weight, where)
    loss = _dice(xp, probs, mask, axes, smooth, smooth + KERAS_EPSILON)
    return reduce(xp, loss, reduction, sample_weight, where, name=name)


def _dice(xp: ModuleType, probs: Array, mask: Array, axes: Axis, smooth_nr: float,
          smooth_dr: float) -> Array:
    """The unreduced Dice loss ``1 - (2*sum(p*t) + smooth_nr) / (sum(p) + sum(t) + smooth_dr)``
    over ``axes``."""
    intersection, probs_sum, mask_sum = _overlap(xp, probs, mask, axes)
    # smooth_nr = 0 (dice_loss's default) adds nothing; skipping the op saves 3 us eagerly
    numerator = 2 * intersection + smooth_nr if smooth_nr else 2 * intersection
    return 1 - numerator / (mask_sum + probs_sum + smooth_dr)


@reads_arrays
@weighting_args(_MASK_UNREDUCED)
def jaccard_loss(input: Array, target: Array, *, axis: Axis = None, smooth: float = 0.0,
                 reduction: str = "mean", sample_weight: Array | None = None,
                 where: Array | None = None) -> Array:
    """Soft Jaccard (IoU) loss: ``1 - (I + smooth) / (sum(p) + sum(t) - I + smooth + 1e-7)``.

    ``I = sum(p*t)``; the sums run over ``axis``. ``smooth`` is added to the numerator and the
    denominator and ``1e-7`` to the denominator, as in :func:`dice_loss`.

    Args:
        input: predicted probabilities ``p``, a floating array.
        target: the target mask ``t``, of ``input``'s shape (floating, integer or boolean).
        axis: the axes summed over: ``None`` (every axis, batch included), an int, or a tuple.
        smooth: a non-negative number added to the numerator and the denominator.

    Defined by the formula (no core peer has it). segmentation_models_pytorch's ``JaccardLoss``
    computes the intersection as ``sum(min(p, t))`` (equal for binary masks) and clamps the
    denominator at ``eps`` instead of adding it.

    Example:
        >>> import array_api_strict as xp
        >>> import omniloss as ol
        >>> ol.jaccard_loss(xp.asarray([0.5, 1.0]), xp.asarray([1.0, 1.0]))
        Array(0.25000004, dtype=array_api_strict.float64)
    """
    name = "jaccard_loss"
    smooth = check_positive(name, "smooth", smooth, allow_zero=True)
    xp, probs, mask, axes = mask_pair(name, input, target, axis, reduction, sample_weight, where)
    intersection = xp.sum(probs * mask, axis=axes)
    union = xp.sum(probs, axis=axes) + xp.sum(mask, axis=axes) - intersection
    loss = 1 - (intersection + smooth) / (union + smooth + KERAS_EPSILON)
    return reduce(xp, loss, reduction, sample_weight, where, name=name)


@reads_arrays
@weighting_args(_MASK_UNREDUCED)
def tversky_loss(input: Array, target: Array, *, alpha: float = 0.5, beta: float = 0.5,
                 axis: Axis = None, reduction: str = "mean", sample_weight: Array | None = None,
                 where: Array | None = None) -> Array:
    """Tversky loss: ``1 - TP / (TP + alpha*FP + beta*FN + 1e-7)``.

    ``TP = sum(p*t)``, ``FP = sum(p*(1-t))``, ``FN = sum((1-p)*t)``, summed over ``axis``:
    ``alpha`` weighs the false positives and ``beta`` the false negatives, as in Salehi et al.,
    "Tversky loss function for image segmentation using 3D fully convolutional deep networks"
    (2017), kornia and optax. ``alpha = beta = 0.5`` is :func:`dice_loss`; ``alpha = beta = 1``
    is :func:`jaccard_loss`.

    Args:
        input: predicted probabilities ``p``, a floating array.
        target: the target mask ``t``, of ``input``'s shape (floating, integer or boolean).
        alpha: the non-negative weight of the false positives.
        beta: the non-negative weight of the false negatives.
        axis: the axes summed over: ``None`` (every axis, batch included), an int, or a tuple.

    Defined by Salehi et al. 2017. ``keras.losses.tversky`` (Keras 3.15) applies its ``alpha`` to
    the false negatives and ``beta`` to the false positives: ours equals
    ``keras.losses.tversky(target, input, alpha=beta, beta=alpha, axis=axis)``.

    Example:
        >>> import array_api_strict as xp
        >>> import omniloss as ol
        >>> ol.tversky_loss(xp.asarray([0.5, 1.0]), xp.asarray([1.0, 0.0]), alpha=0.7, beta=0.3)
        Array(0.62962966, dtype=array_api_strict.float64)
    """
    name = "tversky_loss"
    xp, loss = _tversky(name, input, target, alpha, beta, axis, reduction, sample_weight, where)
    return reduce(xp, loss, reduction, sample_weight, where, name=name)


@reads_arrays
@weighting_args(_MASK_UNREDUCED)
def focal_tversky_loss(input: Array, target: Array, *, alpha: float = 0.5, beta: float = 0.5,
                       gamma: float = 1.0, axis: Axis = None, reduction: str = "mean",
                       sample_weight: Array | None = None, where: Array | None = None) -> Array:
    """Focal Tversky loss: ``(1 - TP / (TP + alpha*FP + beta*FN + 1e-7)) ** gamma``.

    :func:`tversky_loss` raised to ``gamma`` before the reduction, one value per index of the
    axes not summed over (per class with ``axis=(0, 2, 3)`` of ``(N, C, H, W)``, as in the
    paper): Abraham & Khan, "A novel focal Tversky loss function with improved attention U-Net
    for lesion segmentation" (ISBI 2019). ``gamma = 1`` is :func:`tversky_loss`; ``gamma < 1``
    raises the loss of the classes segmented well, so the hard ones weigh more.

    Conventions (they differ between the paper and the libraries): ``alpha`` weighs the false
    positives and ``beta`` the false negatives, as in :func:`tversky_loss`, kornia and
    segmentation_models_pytorch; the paper puts its ``alpha`` on the false negatives (its
    ``alpha = 0.7`` is our ``beta = 0.7``), as does ``keras.losses.tversky``. ``gamma`` is the
    exponent itself, as segmentation_models_pytorch's ``TverskyLoss(gamma=...)``; the paper
    writes the exponent ``1/gamma`` (its recommended ``gamma = 4/3`` is our ``gamma = 0.75``).

    Args:
        input: predicted probabilities ``p``, a floating array.
        target: the target mask ``t``, of ``input``'s shape (floating, integer or boolean).
        alpha: the non-negative weight of the false positives.
        beta: the non-negative weight of the false negatives.
        gamma: the positive exponent.
        axis: the axes summed over: ``None`` (every axis, batch included), an int, or a tuple.

    Defined by Abraham & Khan 2019 (with the conventions above); equals
    ``keras.losses.tversky(target, input, alpha=beta, beta=alpha, axis=axis) ** gamma``.
    segmentation_models_pytorch's ``TverskyLoss`` averages the per-class losses first and raises
    the mean to ``gamma`` (the same for one class), drops classes absent from the target, and
    clamps the denominator at ``eps`` instead of adding ``1e-7``.

    Example:
        >>> import array_api_strict as xp
        >>> import omniloss as ol
        >>> ol.focal_tversky_loss(xp.asarray([0.5, 1.0]), xp.asarray([1.0, 0.0]), alpha=0.7,
        ...                       beta=0.3, gamma=0.75)
        Array(0.70682822, dtype=array_api_strict.float64)
    """
    name = "focal_tversky_loss"
    gamma = check_positive(name, "gamma", gamma)
    xp, loss = _tversky(name, input, target, alpha, beta, axis, reduction, sample_weight, where)
    return reduce(xp, loss**gamma, reduction, sample_weight, where, name=name)


def _tversky(name: str, input: Array, target: Array, alpha: float, beta: float, axis: Axis,
             reduction: str, sample_weight: Array | None,
             where: Array | None) -> tuple[ModuleType, Array]:
    """The namespace and the unreduced Tversky loss ``1 - TP / (TP + alpha*FP + beta*FN +
    1e-7)``, after every argument check."""
    alpha = check_positive(name, "alpha", alpha, allow_zero=True)
    beta = check_positive(name, "beta", beta, allow_zero=True)
    xp, probs, mask, axes = mask_pair(name, input, target, axis, reduction, sample_weight, where)
    true_positives, false_positives, false_negatives = _soft_errors(xp, probs, mask, axes)
    denominator = (true_positives + alpha * false_positives + beta * false_negatives
                   + KERAS_EPSILON)
    return xp, 1 - true_positives / denominator


def _soft_errors(xp: ModuleType, probs: Array, mask: Array,
                 axes: tuple[int, ...] | None) -> tuple[Array, Array, Array]:
    """The soft true positives ``sum(p*t)``, false positives ``sum(p*(1-t))`` and false
    negatives ``sum((1-p)*t)`` over ``axes``."""
    return (xp.sum(probs * mask, axis=axes), xp.sum(probs * (1 - mask), axis=axes),
            xp.sum((1 - probs) * mask, axis=axes))


@reads_arrays
@weighting_args(_MASK_UNREDUCED)
def mcc_loss(input: Array, target: Array, *, eps: float = 1e-5, axis: Axis = None,
             reduction: str = "mean", sample_weight: Array | None = None,
             where: Array | None = None) -> Array:
    """Matthews correlation coefficient loss: ``1 - (TP*TN - FP*FN) / sqrt((TP+FP)(TP+FN)(TN+FP)
    (TN+FN))``.

    The soft counts ``TP = sum(p*t)``, ``TN = sum((1-p)*(1-t))``, ``FP = sum(p*(1-t))``, ``FN =
    sum((1-p)*t)`` are summed over ``axis`` and each gets ``eps``, so a mask of one class only
    gives a finite loss (Abhishek & Hamarneh, "Matthews correlation coefficient loss for deep
    convolutional networks: application to skin lesion segmentation", ISBI 2021).

    Args:
        input: predicted probabilities ``p``, a floating array.
        target: the target mask ``t``, of ``input``'s shape (floating, integer or boolean).
        eps: a non-negative number added to each of the four counts.
        axis: the axes summed over: ``None`` (every axis, batch included), an int, or a tuple.

    Defined by segmentation_models_pytorch's ``MCCLoss(eps=1e-5)`` (binary masks, probabilities
    of shape ``(N, 1, H, W)``), which sums over every axis, batch included: our default
    ``axis=None``. ``axis=(1, 2, 3)`` gives one loss per image (ours only).

    Example:
        >>> import array_api_strict as xp
        >>> import omniloss as ol
        >>> ol.mcc_loss(xp.asarray([0.9, 0.2, 0.6]), xp.asarray([1.0, 0.0, 0.0]))
        Array(0.52435639, dtype=array_api_strict.float64)
    """
    name = "mcc_loss"
    eps = check_positive(name, "eps", eps, allow_zero=True)
    xp, probs, mask, axes = mask_pair(name, input, target, axis, reduction, sample_weight, where)
    true_positives, false_positives, false_negatives = (
        count + eps for count in _soft_errors(xp, probs, mask, axes))
    true_negatives = xp.sum((1 - probs) * (1 - mask), axis=axes) + eps
    numerator = true_positives * true_negatives - false_positives * false_negatives
    denominator = xp.sqrt((true_positives + false_positives) * (true_positives + false_negatives)
                          * (true_negatives + false_positives)
                          * (true_negatives + false_negatives))
    return reduce(xp, 1 - numerator / denominator, reduction, sample_weight, where, name=name)


# Lovasz losses.


_LOVASZ_UNREDUCED = ("one value per image, ``(N,)``, with ``per_image``; else one 0-d value for "
                     "the whole batch")


def _lovasz_extension(xp: ModuleType, errors: Array, truth: Array, valid: Array) -> Array:
    """The Lovasz extension of the Jaccard loss at ``errors``, along the last axis (Berman et
    al. 2018, Alg. 1): the errors sorted in decreasing order, dotted with the increments of
    ``1 - I/U`` of the sorted ``truth`` mask (0 or 1).

    A position where ``valid`` is false weighs nothing: sorted after every valid one, with
    ``truth`` 0 and no error, it leaves both cumulative sums as they were, so its increment and
    its term are 0: what dropping it gives (as segmentation_models_pytorch does, with boolean
    indexing), with static shapes. A row with no valid position gives 0 with no gradient.
    """
    order = xp.argsort(xp.where(valid, errors, -math.inf), axis=-1, descending=True,
                       stable=True)
    errors = take_along_axis(xp, xp.where(valid, errors, 0.0), order, axis=-1)
    truth = take_along_axis(xp, xp.where(valid, truth, 0.0), order, axis=-1)
    counted = take_along_axis(xp, xp.astype(valid, truth.dtype), order, axis=-1)
    total = xp.sum(truth, axis=-1, keepdims=True)
    intersection = total - xp.cumulative_sum(truth, axis=-1)
    union = total + xp.cumulative_sum(counted - truth, axis=-1)
    jaccard = 1 - intersection / xp.where(union > 0, union, 1.0)
    increments = xp.concat([jaccard[..., :1], jaccard[..., 1:] - jaccard[..., :-1]], axis=-1)
    return xp.sum(errors * increments, axis=-1)


@reads_arrays
@weighting_args(_LOVASZ_UNREDUCED)
def lovasz_hinge_loss(input: Array, target: Array, *, per_image: bool = False,
                      ignore_index: int = -100, reduction: str = "mean",
                      sample_weight: Array | None = None, where: Array | None = None) -> Array:
    """Lovasz hinge loss: the Lovasz extension of the Jaccard loss at the hinge errors.

    With signs ``s = 2t - 1`` the errors ``relu(1 - x*s)`` of all pixels (of each image with
    ``per_image``), sorted in decreasing order, are dotted with the increments of the Jaccard
    loss ``1 - I/U`` of the target sorted alike (Berman, Rannen Triki & Blaschko, "The
    Lovasz-Softmax loss: a tractable surrogate for the optimization of the intersection-over-union
    measure in neural networks", CVPR 2018). Sorting and cumulative sums: no boolean indexing,
    every shape static; pixels whose target is ``ignore_index`` weigh nothing (the same number
    as dropping them).

    Args:
        input: logits ``x``, ``(N, ...)``.
        target: the binary target mask ``t`` (0 or 1; ``ignore_index`` where ignored), of
            ``input``'s shape (floating, integer or boolean).
        per_image: one loss per image (axis 0), which ``reduction`` then reduces; else one loss
            over every pixel of the batch.
        ignore_index: the target value of pixels to ignore (-100, the default, is never a
            binary label: nothing is ignored).

    Defined by segmentation_models_pytorch's ``LovaszLoss(mode="binary", per_image,
    ignore_index)`` (its ``_lovasz_hinge``, Berman's code): our ``"mean"`` of the per-image
    losses is its ``per_image=True``. Where two errors tie, the value is the same in any order
    and the gradient follows our stable sort (torch's sort is not stable).

    Example:
        >>> import array_api_strict as xp
        >>> import omniloss as ol
        >>> ol.lovasz_hinge_loss(xp.asarray([2.0, -1.0, 0.5]), xp.asarray([1.0, 0.0, 0.0]))
        Array(0.75, dtype=array_api_strict.float64)
    """
    name = "lovasz_hinge_loss"
    per_image = check_flag(name, "per_image", per_image)
    ignore_index = check_int(name, "ignore_index", ignore_index)
    xp, logits, labels, _ = mask_pair(name, input, target, None, reduction, sample_weight, where)
    if per_image and logits.ndim == 0:
        raise ValueError(f"{name}: input must have an image axis 0 with per_image=True; got "
                         "shape ()")
    rows = (dim(xp, logits, 0), -1) if per_image else (1, -1)
    logits, labels = xp.reshape(logits, rows), xp.reshape(labels, rows)
    margins = 1 - logits * (2 * labels - 1)
    errors = xp.where(margins > 0, margins, 0.0)
    loss = _lovasz_extension(xp, errors, labels, labels != ignore_index)
    loss = loss if per_image else xp.reshape(loss, ())
    return reduce(xp, loss, reduction, sample_weight, where, name=name)


@reads_arrays
@weighting_args(_LOVASZ_UNREDUCED)
def lovasz_softmax_loss(input: Array, target: Array, *, axis: int = 1, from_logits: bool = True,
                        classes: str = "present", per_image: bool = False,
                        ignore_index: int = -100, reduction: str = "mean",
                        sample_weight: Array | None = None, where: Array | None = None) -> Array:
    """Lovasz-softmax loss: the mean over classes of the Lovasz extension of each class's
    Jaccard loss at the errors ``|fg_c - p_c|``.

    ``p = softmax(input)`` along the class axis (the input as given with
    ``from_logits=False``), ``fg_c`` the pixels of class ``c``; for each class the errors of all
    pixels (of each image with ``per_image``) sorted in decreasing order are dotted with the
    increments of ``1 - I/U`` of ``fg_c`` sorted alike (Berman et al., CVPR 2018). Sorting and
    cumulative sums, every shape static; pixels whose class id is ``ignore_index`` weigh nothing
    (the same number as dropping them).

    Args:
        input: logits (probabilities with ``from_logits=False``), ``(N, C, d1, ..., dk)`` with
            the classes along ``axis``.
        target: class ids, an integer array of the input's shape without ``axis``.
        axis: the class axis (default 1).
        from_logits: whether to apply the softmax first.
        classes: ``"present"`` averages over the classes present in the target (of the image
            with ``per_image``; 0 when none is), ``"all"`` over every class.
        per_image: one loss per image (axis 0), which ``reduction`` then reduces; else one loss
            over every pixel of the batch.
        ignore_index: the class id of pixels to ignore.

    Defined by segmentation_models_pytorch's ``LovaszLoss(mode="multiclass", per_image,
    ignore_index)``, which applies the softmax and averages over the present classes (Berman's
    ``lovasz_softmax``, whose ``classes`` may also be a list of class ids: not here). Ties
    between errors: the value is the same in any order, the gradient follows our stable sort.

    Example:
        >>> import array_api_strict as xp
        >>> import omniloss as ol
        >>> probs = xp.asarray([[[0.9, 0.4]], [[0.1, 0.6]]])  # (C=2, H=1, W=2)
        >>> ol.lovasz_softmax_loss(probs[xp.newaxis, ...], xp.asarray([[[0, 1]]]),
        ...                        from_logits=False)
        Array(0.325, dtype=array_api_strict.float64)
    """
    name = "lovasz_softmax_loss"
    xp, scores, axis, _, ignore_index, _ = class_scores(
        name, input, target, axis, reduction, sample_weight, where, ignore_index=ignore_index,
        allow_probabilities=False)
    from_logits = check_flag(name, "from_logits", from_logits)
    classes = check_choice(name, "classes", classes, ("present", "all"))
    per_image = check_flag(name, "per_image", per_image)
    if scores.ndim < 2 or axis == 0:
        raise ValueError(f"{name}: input must be (N, C, ...), an image axis before the classes;"
                         f" got shape {shape_of(input)} with axis {axis}")
    target, bad = class_ids(name, xp, "target", target, scores.shape[axis],
                            ignore_index=ignore_index)
    probs = softmax(xp, scores, axis=axis) if from_logits else scores
    probs = xp.reshape(xp.moveaxis(probs, axis, 1), (dim(xp, probs, 0), dim(xp, probs, axis), -1))
    labels = xp.reshape(target, (dim(xp, target, 0), -1))
    if not per_image:  # one row: (1, C, N * pixels)
        probs = xp.reshape(xp.permute_dims(probs, (1, 0, 2)), (1, dim(xp, probs, 1), -1))
        labels = xp.reshape(labels, (1, -1))
    foreground = xp.astype(class_mask(xp, labels, dim(xp, probs, 1), axis=1), probs.dtype)
    errors = xp.abs(foreground - probs)
    valid = _index_targets(xp, labels, None, ignore_index, probs.dtype)[0]
    per_class = _lovasz_extension(xp, errors, foreground, xp.expand_dims(valid, axis=1))
    if classes == "all":
        loss = xp.mean(per_class, axis=1)
    else:
        present = xp.astype(xp.sum(foreground, axis=-1) > 0, probs.dtype)
        count = xp.sum(present, axis=1)
        loss = xp.sum(per_class * present, axis=1) / xp.where(count > 0, count, 1.0)
    if bad is not None:
        loss = nan_where(xp, loss, xp.any(xp.reshape(bad, (dim(xp, loss, 0), -1)), axis=1))
    loss = loss if per_image else xp.reshape(loss, ())
    return reduce(xp, loss, reduction, sample_weight, where, name=name)


@reads_arrays
@weighting_args("one value per sample and class, shape ``(N, C)`` (``(N, C - 1)`` with "
                "``ignore_background``): a per-sample weight ``(N, 1)``, a per-class ``(C,)``")
def generalized_dice_loss(input: Array, target: Array, *, class_axis: int = -1,
                          smooth: float = 1.0, from_logits: bool = True,
                          ignore_background: bool = False, reduction: str = "mean",
                          sample_weight: Array | None = None,
                          where: Array | None = None) -> Array:
    """Dice loss per sample and class, weighted by the batch's inverse squared class volumes.

    With ``p`` the probabilities (the softmax of the logits along ``class_axis``; the sigmoid
    for a single class), ``t`` the one-hot target, and sums over the spatial axes (every axis
    but the batch axis 0 and ``class_axis``), per sample ``n`` and class ``c``::

        l[n, c] = w[c] * (1 - (I + smooth) / ((sum(p) + sum(t)) / 2 + smooth)),  I = sum(p*t)
        w[c] = C * v[c] / sum(v),  v[c] = 1 / (F[c]**2 + 1e-7)

    ``F[c]`` is the target volume of class ``c`` over the whole batch: rare classes weigh more
    (Sudre et al. 2017). ``"mean"`` averages over samples and classes.

    Args:
        input: logits (probabilities with ``from_logits=False``) of shape ``(N, ..., C)`` with
            the classes along ``class_axis`` (not 0, the batch axis).
        target: the one-hot target of the same shape (floating, integer or boolean).
        class_axis: the class axis (default -1, as optax; 1 for ``(N, C, H, W)``).
        smooth: a non-negative number added to the numerator and the denominator.
        from_logits: ``False`` takes probabilities as they are.
        ignore_background: leave class 0 out of the loss (its weight still counts in ``w``).

    Defined by ``optax.losses.multiclass_generalized_dice_loss`` (its ``apply_softmax`` is our
    ``from_logits``; it checks eagerly that probabilities sum to 1, which cannot trace: we do
    not). monai's ``GeneralizedDiceLoss`` and Sudre et al. weigh inside one ratio instead,
    ``1 - 2 sum_c w_c I_c / sum_c w_c (P_c + T_c)`` with per-sample weights ``1 / T_c**2``: a
    different number.

    Example:
        >>> import array_api_strict as xp
        >>> import omniloss as ol
        >>> ol.generalized_dice_loss(xp.asarray([[[0.9, 0.1], [0.2, 0.8]]]),
        ...                          xp.asarray([[[1.0, 0.0], [0.0, 1.0]]]), from_logits=False)
        Array(0.0750469, dtype=array_api_strict.float64)
    """
    name = "generalized_dice_loss"
    smooth = check_positive(name, "smooth", smooth, allow_zero=True)
    from_logits = check_flag(name, "from_logits", from_logits)
    ignore_background = check_flag(name, "ignore_background", ignore_background)
    xp, probs, mask, _ = mask_pair(name, input, target, None, reduction, sample_weight, where)
    if probs.ndim < 2:
        raise ValueError(f"{name}: input must have a batch and a class axis; got shape "
                         f"{shape_of(probs)}")
    class_axis = normalize_axis(name, class_axis, probs.ndim, "class_axis")
    if class_axis == 0:
        raise ValueError(f"{name}: class_axis must not be 0, the batch axis; got 0")
    classes = probs.shape[class_axis]
    if from_logits:
        probs = (sigmoid(xp, probs) if classes == 1
                 else softmax(xp, probs, axis=class_axis))
    spatial = tuple(a for a in range(1, probs.ndim) if a != class_axis)
    intersection, probs_sum, mask_sum = (_overlap(xp, probs, mask, spatial) if spatial
                                         else (probs * mask, probs, mask))
    inverse = 1.0 / (xp.sum(mask_sum, axis=0) ** 2 + 1e-7)  # per class: the batch's volume
    weight = inverse / xp.sum(inverse) * dim(xp, probs, class_axis, dtype=probs.dtype)
    # optax's Tversky form with alpha = beta = 1/2, in its order of operations
    denominator = (intersection + 0.5 * (probs_sum - intersection)
                   + 0.5 * (mask_sum - intersection) + smooth)
    loss = weight * (1.0 - (intersection + smooth) / denominator)
    if ignore_background:
        loss = loss[:, 1:]
    return reduce(xp, loss, reduction, sample_weight, where, name=name)


# Dice combined with a per-pixel loss: monai's DiceCELoss and DiceFocalLoss.


class _ClassDice(NamedTuple):
    """A validated Dice + X call: see :func:`_class_dice`."""

    xp: ModuleType
    scores: Array  # the logits, every class
    target: Array  # as given (class ids or class probabilities)
    kept: Array  # the logits of the classes in the Dice part (class 0 dropped or not)
    mask: Array  # the one-hot (or given) target of those classes
    valid: Array | None  # (N, 1, d1, ...) 1 at the pixels not ignored; None for probabilities
    weight: Array | None  # the class weights of those classes
    dice: Array  # (N, C') unreduced, times the class weights


def _class_dice(name: str, input: Array, target: Array, activation: str, weight: Array | None,
                ignore_index: int, include_background: bool, smooth_nr: float,
                smooth_dr: float, reduction: str, sample_weight: Array | None,
                where: Array | None, *, per_sample: bool) -> _ClassDice:
    """Validate the arguments of a Dice + X loss and compute its Dice part as monai's
    ``DiceLoss``: per sample and class ``1 - (2*sum(p*t) + smooth_nr) / (sum(p) + sum(t) +
    smooth_dr)`` over the pixels, times ``weight[c]``, class 0 left out without
    ``include_background``; ignored pixels count in neither sum. ``sample_weight`` and
    ``where`` must broadcast against ``(N,)`` with ``per_sample``, else against ``(N, C')``."""
    activation = check_choice(name, "activation", activation, ("softmax", "sigmoid"))
    include_background = check_flag(name, "include_background", include_background)
    smooth_nr = check_positive(name, "smooth_nr", smooth_nr, allow_zero=True)
    smooth_dr = check_positive(name, "smooth_dr", smooth_dr, allow_zero=True)
    xp, scores, _, is_index, ignore_index, (weight,) = class_scores(
        name, input, target, 1, reduction, sample_weight, where, ignore_index=ignore_index,
        weight=weight)
    if scores.ndim < 3 or scores.shape[1] == 1:
        raise ValueError(f"{name}: input must be (N, C, d1, ...) with C >= 2 classes along axis"
                         f" 1; got shape {shape_of(input)}")
    classes = scores.shape[1]
    unreduced = shape_of(scores)[:1] if per_sample else (
        shape_of(scores)[0], None if classes is None else classes - (not include_background))
    check_broadcastable(name, "sample_weight", sample_weight, unreduced)
    check_broadcastable(name, "where", where, unreduced)
    probs = (softmax(xp, scores, axis=1) if activation == "softmax"
             else sigmoid(xp, scores))
    bad = valid = None
    if is_index:
        ids, bad = class_ids(name, xp, "target", target, classes, ignore_index=ignore_index)
        valid = xp.expand_dims(_index_targets(xp, ids, None, ignore_index, probs.dtype)[0],
                               axis=1)
        mask = xp.astype(class_mask(xp, ids, classes, axis=1) & valid, probs.dtype)
        probs = xp.where(valid, probs, 0.0)
        valid = xp.astype(valid, probs.dtype)
    else:
        mask = as_float(xp, target, probs.dtype)
    kept = scores
    if not include_background:
        kept, probs, mask = kept[:, 1:, ...], probs[:, 1:, ...], mask[:, 1:, ...]
        weight = None if weight is None else weight[1:]
    dice = _dice(xp, probs, mask, tuple(range(2, probs.ndim)), smooth_nr, smooth_dr)
    if weight is not None:
        dice = dice * weight
    if bad is not None:
        dice = nan_where(xp, dice, xp.any(xp.reshape(bad, (dim(xp, bad, 0), 1, -1)), axis=-1))
    return _ClassDice(xp, scores, target, kept, mask, valid, weight, dice)


@reads_arrays
@weighting_args("one value per sample, ``(N,)``: ``lambda_dice`` times its Dice losses summed "
                "over the classes plus ``lambda_ce`` times its cross-entropies summed over the "
                "pixels")
def dice_cross_entropy_loss(input: Array, target: Array, *, activation: str = "softmax",
                            weight: Array | None = None, ignore_index: int = -100,
                            include_background: bool = True, lambda_dice: float = 1.0,
                            lambda_ce: float = 1.0, smooth_nr: float = 1e-5,
                            smooth_dr: float = 1e-5, label_smoothing: float = 0.0,
                            reduction: str = "mean", sample_weight: Array | None = None,
                            where: Array | None = None) -> Array:
    """Dice loss plus cross-entropy: ``lambda_dice * Dice + lambda_ce * CE``, each reduced alone.

    For logits ``x`` of shape ``(N, C, d1, ..., dk)``, ``p`` their softmax along axis 1 (or
    sigmoid), ``t`` the one-hot target and sums over the pixels (axes 2 and up), per sample
    ``n`` and class ``c``::

        dice[n, c] = w[c] * (1 - (2 * sum(p * t) + smooth_nr) / (sum(p) + sum(t) + smooth_dr))
        "mean" = lambda_dice * mean(dice) + lambda_ce * cross_entropy(x, target, weight=w)
        "sum"  = lambda_dice * sum(dice) + lambda_ce * (the cross-entropy's "sum")

    The cross-entropy is :func:`cross_entropy` with the classes along axis 1 (its ``"mean"``
    divides by the summed class weights of the non-ignored pixels, as torch's), always on the
    logits. ``"none"`` gives each sample's part of ``"sum"``, so ``"mean"`` is not the mean of
    ``"none"``: the two terms keep their own divisors, as in monai.

    Args:
        input: logits, ``(N, C, d1, ..., dk)`` with ``C >= 2`` classes along axis 1.
        target: class ids (integer, ``(N, d1, ..., dk)``) or class probabilities, for example
            one-hot (floating, ``input``'s shape).
        activation: ``"softmax"`` or ``"sigmoid"``: turns the logits into the Dice part's
            probabilities (the cross-entropy is always the softmax's).
        weight: optional per-class weights ``(C,)``, for both parts (the Dice part leaves out
            ``weight[0]`` with ``include_background=False``).
        ignore_index: class id of pixels that count in neither part (class ids only).
        include_background: ``False`` leaves class 0 out of the Dice part (not out of the
            cross-entropy, as monai).
        lambda_dice: the non-negative weight of the Dice part.
        lambda_ce: the non-negative weight of the cross-entropy.
        smooth_nr: a non-negative number added to the Dice numerator.
        smooth_dr: a non-negative number added to the Dice denominator.
        label_smoothing: the cross-entropy's label smoothing in [0, 1].

    Defined by monai's ``DiceCELoss(softmax=True, to_onehot_y=True)`` (monai 1.5.0) with
    class-id targets, or ``softmax=True`` and a one-hot target; ``activation="sigmoid"`` is its
    ``sigmoid=True``. monai has no ``ignore_index`` (ours only: ignored pixels leave the Dice
    sums and the cross-entropy), no ``"none"`` (its two parts have different shapes) and no
    sample weights. Not here: monai's single-channel path (``C = 1``, binary cross-entropy with
    ``pos_weight``: use :func:`dice_loss` and :func:`binary_cross_entropy_with_logits`), its
    ``other_act``, ``squared_pred``, ``jaccard`` and ``batch`` options, and Dice on the raw
    input (monai's default without ``softmax`` or ``sigmoid``). :func:`dice_loss` with
    ``smooth`` adds it to both numerator and denominator (and 1e-7 to the denominator);
    here ``smooth_nr`` and ``smooth_dr`` are monai's, default 1e-5 each.

    Example:
        >>> import array_api_strict as xp
        >>> import omniloss as ol
        >>> logits = xp.asarray([[[2.0, -1.0, 0.5], [0.0, 1.0, -0.5]]])  # (N=1, C=2, 3 pixels)
        >>> ol.dice_cross_entropy_loss(logits, xp.asarray([[0, 1, 1]]))
        Array(0.84814438, dtype=array_api_strict.float64)
    """
    name = "dice_cross_entropy_loss"
    lambda_dice = check_positive(name, "lambda_dice", lambda_dice, allow_zero=True)
    lambda_ce = check_positive(name, "lambda_ce", lambda_ce, allow_zero=True)
    label_smoothing = check_smoothing(name, label_smoothing)
    part = _class_dice(name, input, target, activation, weight, ignore_index,
                       include_background, smooth_nr, smooth_dr, reduction, sample_weight, where,
                       per_sample=True)
    xp, scores = part.xp, part.scores
    dice = reduce(xp, part.dice, reduction, leading_axes(xp, sample_weight, 2),
                  leading_axes(xp, where, 2), name=name)
    entropy = cross_entropy(scores, part.target, axis=1, weight=weight, ignore_index=ignore_index,
                            label_smoothing=label_smoothing, reduction=reduction,
                            sample_weight=leading_axes(xp, sample_weight, scores.ndim - 1),
                            where=leading_axes(xp, where, scores.ndim - 1))
    if reduction == "none":  # each sample's part of "sum"
        dice = xp.sum(dice, axis=1)
        entropy = xp.sum(entropy, axis=tuple(range(1, entropy.ndim)))
    return lambda_dice * dice + lambda_ce * entropy


@reads_arrays
@weighting_args("one value per sample and class, ``(N, C)`` (``(N, C - 1)`` without "
                "``include_background``): a per-sample weight ``(N, 1)``, a per-class ``(C,)``")
def dice_focal_loss(input: Array, target: Array, *, activation: str = "softmax",
                    gamma: float = 2.0, alpha: float | None = None, weight: Array | None = None,
                    ignore_index: int = -100, include_background: bool = True,
                    lambda_dice: float = 1.0, lambda_focal: float = 1.0,
                    smooth_nr: float = 1e-5, smooth_dr: float = 1e-5, reduction: str = "mean",
                    sample_weight: Array | None = None, where: Array | None = None) -> Array:
    """Dice loss plus sigmoid focal loss, per sample and class: ``lambda_dice * Dice +
    lambda_focal * focal``.

    For logits ``x`` of shape ``(N, C, d1, ..., dk)``, ``p`` their softmax along axis 1 (or
    sigmoid), ``t`` the one-hot target and sums and means over the pixels (axes 2 and up), per
    sample ``n`` and class ``c``::

        dice[n, c]  = w[c] * (1 - (2 * sum(p * t) + smooth_nr) / (sum(p) + sum(t) + smooth_dr))
        focal[n, c] = w[c] * mean(alpha_t * (1 - q_t) ** gamma * BCE_with_logits(x, t))
        l[n, c] = lambda_dice * dice[n, c] + lambda_focal * focal[n, c]

    with ``q = sigmoid(x)`` (the focal part is always the sigmoid's, on each class as a binary
    problem), ``q_t = q * t + (1 - q) * (1 - t)``, ``alpha_t = alpha * t + (1 - alpha) * (1 -
    t)`` (1 with ``alpha=None``). The focal term is :func:`sigmoid_focal_loss`'s, in log space.

    Args:
        input: logits, ``(N, C, d1, ..., dk)`` with ``C >= 2`` classes along axis 1.
        target: class ids (integer, ``(N, d1, ..., dk)``) or class probabilities, for example
            one-hot (floating, ``input``'s shape).
        activation: ``"softmax"`` or ``"sigmoid"``: turns the logits into the Dice part's
            probabilities.
        gamma: the focal exponent, ``>= 0``.
        alpha: the weight of the positives in [0, 1], or ``None`` for no weighting.
        weight: optional per-class weights ``(C,)`` for both parts (``weight[0]`` unused with
            ``include_background=False``).
        ignore_index: class id of pixels that count in neither part (class ids only): they
            leave the Dice sums and the focal means.
        include_background: ``False`` leaves class 0 out of both parts.
        lambda_dice: the non-negative weight of the Dice part.
        lambda_focal: the non-negative weight of the focal part.
        smooth_nr: a non-negative number added to the Dice numerator.
        smooth_dr: a non-negative number added to the Dice denominator.

    Defined by monai's ``DiceFocalLoss(softmax=True, to_onehot_y=True)`` (monai 1.5.0) with
    class-id targets, or ``softmax=True`` and a one-hot target; ``activation="sigmoid"`` is its
    ``sigmoid=True``. Its ``"mean"`` (the mean over every element of each part) and ``"sum"``
    (monai's focal ``"sum"`` averages over the pixels first) are ours; monai's ``"none"``
    returns the two parts' different shapes added by broadcasting, ours the ``(N, C)`` sum
    above. monai's ``weight`` lists the kept classes only without ``include_background``; ours
    is always ``(C,)``. Not in monai: ``ignore_index`` and the sample weights. Not here:
    monai's single-channel input, its ``other_act``, ``squared_pred``, ``jaccard`` and
    ``batch`` options, and Dice on the raw input.

    Example:
        >>> import array_api_strict as xp
        >>> import omniloss as ol
        >>> logits = xp.asarray([[[2.0, -1.0, 0.5], [0.0, 1.0, -0.5]]])  # (N=1, C=2, 3 pixels)
        >>> ol.dice_focal_loss(logits, xp.asarray([[0, 1, 1]]))
        Array(0.48831009, dtype=array_api_strict.float64)
    """
    name = "dice_focal_loss"
    gamma = check_positive(name, "gamma", gamma, allow_zero=True)
    if alpha is not None:
        alpha = check_number(name, "alpha", alpha, minimum=0.0, maximum=1.0)
    lambda_dice = check_positive(name, "lambda_dice", lambda_dice, allow_zero=True)
    lambda_focal = check_positive(name, "lambda_focal", lambda_focal, allow_zero=True)
    part = _class_dice(name, input, target, activation, weight, ignore_index,
                       include_background, smooth_nr, smooth_dr, reduction, sample_weight, where,
                       per_sample=False)
    xp = part.xp
    focal = _sigmoid_focal(xp, part.kept, part.mask, gamma)
    if alpha is not None:
        focal = _class_balanced(focal, part.mask, alpha)
    pixels = tuple(range(2, focal.ndim))
    if part.valid is None:
        focal = xp.mean(focal, axis=pixels)
    else:  # the mean over the pixels not ignored (0 where every pixel is)
        count = xp.sum(part.valid, axis=pixels)
        focal = xp.sum(focal * part.valid, axis=pixels) / xp.where(count > 0, count, 1.0)
    if part.weight is not None:
        focal = focal * part.weight
    loss = lambda_dice * part.dice + lambda_focal * focal
    return reduce(xp, loss, reduction, sample_weight, where, name=name)


# Box losses.


_BOX_UNREDUCED = "one value per box pair, the boxes' shape without its last axis"


class _BoxPair:
    """Two sets of ``(x1, y1, x2, y2)`` boxes and the geometry every box loss shares."""

    def __init__(self, name: str, boxes1: Array, boxes2: Array, eps: Any, reduction: str,
                 sample_weight: Array | None, where: Array | None) -> None:
        xp, boxes1, boxes2, self.eps = box_pairs(name, boxes1, boxes2, eps, reduction,
                                                 sample_weight, where)
        self.name, self.reduction = name, reduction
        self.sample_weight, self.where = sample_weight, where
        self.xp = xp
        # Coordinates divided by a power of two s >= 1 near the pair's largest (exact, and no
        # change below 1): areas of float32 boxes near 1e30 stay finite. Every loss is a ratio
        # of areas, with each eps added to an area divided by s**2: the same function exactly.
        scale = xp.maximum(binary_scale(xp, boxes1, axis=-1, keepdims=True, at_least_one=True),
                           binary_scale(xp, boxes2, axis=-1, keepdims=True, at_least_one=True))
        self.x1, self.y1, self.x2, self.y2 = xp.unstack(boxes1 / scale, axis=-1)
        self.x1g, self.y1g, self.x2g, self.y2g = xp.unstack(boxes2 / scale, axis=-1)
        self.scale = xp.squeeze(scale, axis=-1)

    def area_eps(self, eps: float) -> Array | float:
        """``eps`` added to an area of the scaled boxes: ``eps / s**2``, at least the smallest
        normal number (a degenerate pair's ``0 / (0 + eps)`` must stay 0, not become NaN)."""
        if eps == 0:
            return 0.0
        tiny = self.xp.finfo(self.scale.dtype).smallest_normal
        return clamp(self.xp, eps / self.scale / self.scale, min=tiny)

    def intersection_union(self) -> tuple[Array, Array]:
        """Intersection and union areas (torchvision's ``_loss_inter_union``)."""
        xp = self.xp
        width = split_minimum(xp, self.x2, self.x2g) - split_maximum(xp, self.x1, self.x1g)
        height = split_minimum(xp, self.y2, self.y2g) - split_maximum(xp, self.y1, self.y1g)
        intersection = xp.where((width > 0) & (height > 0), width * height,
                                xp.zeros_like(width))
        union = ((self.x2 - self.x1) * (self.y2 - self.y1)
                 + (self.x2g - self.x1g) * (self.y2g - self.y1g) - intersection)
        return intersection, union

    def enclosing_extent(self) -> tuple[Array, Array]:
        """Width and height of the smallest box enclosing both."""
        xp = self.xp
        width = split_maximum(xp, self.x2, self.x2g) - split_minimum(xp, self.x1, self.x1g)
        height = split_maximum(xp, self.y2, self.y2g) - split_minimum(xp, self.y1, self.y1g)
        return width, height

    def distance_iou_loss(self, eps: float) -> tuple[Array, Array]:
        """``(1 - IoU + rho**2 / c**2, IoU)`` (torchvision's ``_diou_iou_loss``)."""
        intersection, union = self.intersection_union()
        area_eps = self.area_eps(eps)
        iou = intersection / (union + area_eps)
        width, height = self.enclosing_extent()
        diagonal_squared = width * width + height * height + area_eps
        center_dx = (self.x2 + self.x1) / 2 - (self.x1g + self.x2g) / 2
        center_dy = (self.y2 + self.y1) / 2 - (self.y1g + self.y2g) / 2
        centers_squared = center_dx * center_dx + center_dy * center_dy
        return 1 - iou + centers_squared / diagonal_squared, iou

    def reduced(self, loss: Array) -> Array:
        """The per-pair ``loss`` through :func:`reduce`; an empty batch's ``"mean"`` is its sum,
        0 (torchvision's, not NaN; weighted, ``reduce``'s mean over no weight is 0 too)."""
        reduction = self.reduction
        if reduction == "mean" and 0 in shape_of(loss):
            reduction = "sum"
        return reduce(self.xp, loss, reduction, self.sample_weight, self.where, name=self.name)


@reads_arrays
@weighting_args(_BOX_UNREDUCED)
def box_iou_loss(boxes1: Array, boxes2: Array, *, eps: float = 1e-7,
                 reduction: str = "mean", sample_weight: Array | None = None,
                 where: Array | None = None) -> Array:
    """IoU loss: ``1 - I / (U + eps)`` for each pair of ``(x1, y1, x2, y2)`` boxes.

    ``I`` and ``U`` are the areas of the intersection and the union of the two boxes; this is
    the IoU term of torchvision's GIoU, DIoU and CIoU losses on its own (UnitBox, Yu et al.
    2016, minimizes ``-log(IoU)`` instead).

    A ``"mean"`` over an empty batch is 0, as torchvision's.

    Args:
        boxes1: boxes ``(x1, y1, x2, y2)``, a floating array of shape ``(..., 4)``.
        boxes2: boxes of the same shape (floating or integer; cast to ``boxes1``'s dtype).
        eps: a non-negative number added to the denominators, as torchvision does.

    Defined by the formula, computed as ``torchvision.ops.generalized_box_iou_loss`` computes
    its IoU (no peer has the plain IoU loss).

    Example:
        >>> import array_api_strict as xp
        >>> import omniloss as ol
        >>> ol.box_iou_loss(xp.asarray([0.0, 0.0, 2.0, 2.0]), xp.asarray([1.0, 0.0, 3.0, 2.0]))
        Array(0.66666667, dtype=array_api_strict.float64)
    """
    pair = _BoxPair("box_iou_loss", boxes1, boxes2, eps, reduction, sample_weight, where)
    intersection, union = pair.intersection_union()
    return pair.reduced(1 - intersection / (union + pair.area_eps(pair.eps)))


@reads_arrays
@weighting_args(_BOX_UNREDUCED)
def generalized_box_iou_loss(boxes1: Array, boxes2: Array, *, eps: float = 1e-7,
                             reduction: str = "mean", sample_weight: Array | None = None,
                             where: Array | None = None) -> Array:
    """GIoU loss: ``1 - I / (U + eps) + (C - U) / (C + eps)``, ``C`` the enclosing box's area.

    Rezatofighi et al., "Generalized Intersection over Union" (CVPR 2019): non-zero and with a
    useful gradient even when the boxes do not overlap.

    A ``"mean"`` over an empty batch is 0, as torchvision's.

    Args:
        boxes1: boxes ``(x1, y1, x2, y2)``, a floating array of shape ``(..., 4)``.
        boxes2: boxes of the same shape (floating or integer; cast to ``boxes1``'s dtype).
        eps: a non-negative number added to the denominators, as torchvision does.

    Defined by ``torchvision.ops.generalized_box_iou_loss``.

    Example:
        >>> import array_api_strict as xp
        >>> import omniloss as ol
        >>> ol.generalized_box_iou_loss(xp.asarray([0.0, 0.0, 1.0, 1.0]),
        ...                             xp.asarray([2.0, 0.0, 3.0, 1.0]))
        Array(1.33333332, dtype=array_api_strict.float64)
    """
    pair = _BoxPair("generalized_box_iou_loss", boxes1, boxes2, eps, reduction, sample_weight,
                    where)
    intersection, union = pair.intersection_union()
    width, height = pair.enclosing_extent()
    enclosing_area = width * height
    eps = pair.area_eps(pair.eps)
    loss = 1 - intersection / (union + eps) + (enclosing_area - union) / (enclosing_area + eps)
    return pair.reduced(loss)


@reads_arrays
@weighting_args(_BOX_UNREDUCED)
def distance_box_iou_loss(boxes1: Array, boxes2: Array, *, eps: float = 1e-7,
                          reduction: str = "mean", sample_weight: Array | None = None,
                          where: Array | None = None) -> Array:
    """DIoU loss: ``1 - I / (U + eps) + rho**2 / (c**2 + eps)``.

    ``rho`` is the distance between the two boxes' centres and ``c`` the diagonal of the
    smallest box enclosing both (Zheng et al., "Distance-IoU Loss", AAAI 2020).

    A ``"mean"`` over an empty batch is 0, as torchvision's.

    Args:
        boxes1: boxes ``(x1, y1, x2, y2)``, a floating array of shape ``(..., 4)``.
        boxes2: boxes of the same shape (floating or integer; cast to ``boxes1``'s dtype).
        eps: a non-negative number added to the denominators, as torchvision does.

    Defined by ``torchvision.ops.distance_box_iou_loss``.

    Example:
        >>> import array_api_strict as xp
        >>> import omniloss as ol
        >>> ol.distance_box_iou_loss(xp.asarray([0.0, 0.0, 1.0, 1.0]),
        ...                          xp.asarray([2.0, 0.0, 3.0, 1.0]))
        Array(1.4, dtype=array_api_strict.float64)
    """
    pair = _BoxPair("distance_box_iou_loss", boxes1, boxes2, eps, reduction, sample_weight, where)
    loss, _ = pair.distance_iou_loss(pair.eps)
    return pair.reduced(loss)


def _aspect_angle(xp: ModuleType, width: Array, height: Array) -> Array:
    """``atan(width / height)``, with its limit ``±pi/2`` (and that gradient) at ``height == 0``.

    Computed as ``atan2`` of the pair flipped to ``height >= 0``; a ``0 x 0`` box gives 0 with a
    zero gradient (torchvision's ``atan(0 / 0)`` is NaN).
    """
    flipped = height < 0
    width = xp.where(flipped, -width, width)
    height = xp.where(flipped, -height, height)
    point = (width == 0) & (height == 0)
    safe_height = xp.where(point, xp.ones_like(height), height)
    return xp.where(point, xp.zeros_like(width), xp.atan2(width, safe_height))


@reads_arrays
@weighting_args(_BOX_UNREDUCED)
def complete_box_iou_loss(boxes1: Array, boxes2: Array, *, eps: float = 1e-7,
                          reduction: str = "mean", sample_weight: Array | None = None,
                          where: Array | None = None) -> Array:
    """CIoU loss: the DIoU loss ``+ alpha * v``, with an aspect-ratio term ``v``.

    ``v = 4/pi**2 * (atan(w2/h2) - atan(w1/h1))**2`` and ``alpha = v / (1 - IoU + v + eps)``
    (Zheng et al., "Distance-IoU Loss", AAAI 2020). As in torchvision, ``alpha`` is a constant
    for the gradient (torchvision computes it under ``no_grad``; here through a stop-gradient),
    and the DIoU part and the IoU inside ``alpha`` use torchvision's fixed ``1e-7``: ``eps`` only
    enters ``alpha``'s denominator.

    Zero-height boxes: torchvision's value is ``atan(w/0) = ±pi/2`` (ours too), but its gradient
    is NaN; ours is the limit as the height tends to 0 from above (``d/dh = -1/w``). A ``0 x 0``
    box has angle 0 here (NaN in torchvision). Everywhere else the numbers are torchvision's.

    A ``"mean"`` over an empty batch is 0, as torchvision's.

    Args:
        boxes1: boxes ``(x1, y1, x2, y2)``, a floating array of shape ``(..., 4)``.
        boxes2: boxes of the same shape (floating or integer; cast to ``boxes1``'s dtype).
        eps: a non-negative number added to the denominators, as torchvision does.

    Defined by ``torchvision.ops.complete_box_iou_loss``.

    Example:
        >>> import array_api_strict as xp
        >>> import omniloss as ol
        >>> ol.complete_box_iou_loss(xp.asarray([0.0, 0.0, 1.0, 1.0]),
        ...                          xp.asarray([0.0, 0.0, 2.0, 1.0]))
        Array(0.55324815, dtype=array_api_strict.float64)
    """
    pair = _BoxPair("complete_box_iou_loss", boxes1, boxes2, eps, reduction, sample_weight, where)
    xp = pair.xp
    distance_loss, iou = pair.distance_iou_loss(1e-7)
    angle = _aspect_angle(xp, pair.x2g - pair.x1g, pair.y2g - pair.y1g)
    angle_pred = _aspect_angle(xp, pair.x2 - pair.x1, pair.y2 - pair.y1)
    v = (4 / math.pi**2) * (angle - angle_pred) * (angle - angle_pred)
    alpha = stop_gradient(xp, v / (1 - iou + v + pair.eps))
    return pair.reduced(distance_loss + alpha * v)

