"""Segmentation and detection losses against Keras, torchvision (transcribed) and torch formulas.

torchvision is not installed here, so its box losses are transcribed below in torch, line for
line, from pytorch/vision ``torchvision/ops/_utils.py`` (``_loss_inter_union``),
``giou_loss.py``, ``diou_loss.py`` (``_diou_iou_loss``) and ``ciou_loss.py``; torch autograd gives
the reference gradients (the boolean-mask assignment included).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import omniloss as ol
from tests.helpers import (
    BACKENDS,
    assert_close,
    assert_raises_named,
    check_parity,
    check_traced,
    jax_peer,
    keras_peer,
    torch_peer,
)

REDUCTIONS = ["mean", "sum", "none"]
DTYPES = [np.float64, np.float32]
MASK_LOSSES = ["dice_loss", "jaccard_loss", "tversky_loss", "focal_tversky_loss", "mcc_loss"]
BOX_LOSSES = ["box_iou_loss", "generalized_box_iou_loss", "distance_box_iou_loss",
              "complete_box_iou_loss"]


# torchvision.ops, transcribed (see the module docstring).


def _tv_loss_inter_union(boxes1, boxes2):
    import torch

    x1, y1, x2, y2 = boxes1.unbind(dim=-1)
    x1g, y1g, x2g, y2g = boxes2.unbind(dim=-1)
    xkis1 = torch.max(x1, x1g)
    ykis1 = torch.max(y1, y1g)
    xkis2 = torch.min(x2, x2g)
    ykis2 = torch.min(y2, y2g)
    intsctk = torch.zeros_like(x1)
    mask = (ykis2 > ykis1) & (xkis2 > xkis1)
    intsctk[mask] = (xkis2[mask] - xkis1[mask]) * (ykis2[mask] - ykis1[mask])
    unionk = (x2 - x1) * (y2 - y1) + (x2g - x1g) * (y2g - y1g) - intsctk
    return intsctk, unionk


def _tv_reduce(loss, reduction):
    if reduction == "mean":
        return loss.mean() if loss.numel() > 0 else 0.0 * loss.sum()
    if reduction == "sum":
        return loss.sum()
    return loss


def tv_box_iou_loss(boxes1, boxes2, reduction="none", eps=1e-7):
    intsctk, unionk = _tv_loss_inter_union(boxes1, boxes2)
    return _tv_reduce(1 - intsctk / (unionk + eps), reduction)


def tv_generalized_box_iou_loss(boxes1, boxes2, reduction="none", eps=1e-7):
    import torch

    intsctk, unionk = _tv_loss_inter_union(boxes1, boxes2)
    iouk = intsctk / (unionk + eps)
    x1, y1, x2, y2 = boxes1.unbind(dim=-1)
    x1g, y1g, x2g, y2g = boxes2.unbind(dim=-1)
    xc1 = torch.min(x1, x1g)
    yc1 = torch.min(y1, y1g)
    xc2 = torch.max(x2, x2g)
    yc2 = torch.max(y2, y2g)
    area_c = (xc2 - xc1) * (yc2 - yc1)
    miouk = iouk - ((area_c - unionk) / (area_c + eps))
    return _tv_reduce(1 - miouk, reduction)


def _tv_diou_iou_loss(boxes1, boxes2, eps=1e-7):
    import torch

    intsct, union = _tv_loss_inter_union(boxes1, boxes2)
    iou = intsct / (union + eps)
    x1, y1, x2, y2 = boxes1.unbind(dim=-1)
    x1g, y1g, x2g, y2g = boxes2.unbind(dim=-1)
    xc1 = torch.min(x1, x1g)
    yc1 = torch.min(y1, y1g)
    xc2 = torch.max(x2, x2g)
    yc2 = torch.max(y2, y2g)
    diagonal_distance_squared = ((xc2 - xc1) ** 2) + ((yc2 - yc1) ** 2) + eps
    x_p = (x2 + x1) / 2
    y_p = (y2 + y1) / 2
    x_g = (x1g + x2g) / 2
    y_g = (y1g + y2g) / 2
    centers_distance_squared = ((x_p - x_g) ** 2) + ((y_p - y_g) ** 2)
    loss = 1 - iou + (centers_distance_squared / diagonal_distance_squared)
    return loss, iou


def tv_distance_box_iou_loss(boxes1, boxes2, reduction="none", eps=1e-7):
    loss, _ = _tv_diou_iou_loss(boxes1, boxes2, eps)
    return _tv_reduce(loss, reduction)


def tv_complete_box_iou_loss(boxes1, boxes2, reduction="none", eps=1e-7):
    import torch

    diou_loss, iou = _tv_diou_iou_loss(boxes1, boxes2)  # sic: torchvision drops eps here
    x1, y1, x2, y2 = boxes1.unbind(dim=-1)
    x1g, y1g, x2g, y2g = boxes2.unbind(dim=-1)
    w_pred = x2 - x1
    h_pred = y2 - y1
    w_gt = x2g - x1g
    h_gt = y2g - y1g
    v = (4 / (torch.pi**2)) * torch.pow((torch.atan(w_gt / h_gt) - torch.atan(w_pred / h_pred)),
                                        2)
    with torch.no_grad():
        alpha = v / (1 - iou + v + eps)
    return _tv_reduce(diou_loss + alpha * v, reduction)


TORCHVISION = {
    "box_iou_loss": tv_box_iou_loss,
    "generalized_box_iou_loss": tv_generalized_box_iou_loss,
    "distance_box_iou_loss": tv_distance_box_iou_loss,
    "complete_box_iou_loss": tv_complete_box_iou_loss,
}


# Mask-loss peers.


def _tf_reduce(loss, reduction):
    import tensorflow as tf

    if reduction == "mean":
        return tf.reduce_mean(loss)
    if reduction == "sum":
        return tf.reduce_sum(loss)
    return loss


def _keras_dice(input, target, axis, reduction):
    import keras

    return _tf_reduce(keras.losses.dice(target, input, axis=axis), reduction)


def _keras_tversky_swapped(input, target, alpha, beta, axis, reduction):
    import keras

    # Keras 3.15 applies its alpha to the false negatives: swap to get Salehi's convention.
    return _tf_reduce(keras.losses.tversky(target, input, alpha=beta, beta=alpha, axis=axis),
                      reduction)


def _torch_reduce(loss, reduction):
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _torch_dims(x, axis):
    if axis is None:
        return tuple(range(x.ndim))
    return axis


def _torch_dice(input, target, axis, smooth, reduction):
    dims = _torch_dims(input, axis)
    intersection = (input * target).sum(dim=dims)
    total = target.sum(dim=dims) + input.sum(dim=dims)
    return _torch_reduce(1 - (2 * intersection + smooth) / (total + smooth + 1e-7), reduction)


def _torch_jaccard(input, target, axis, smooth, reduction):
    dims = _torch_dims(input, axis)
    intersection = (input * target).sum(dim=dims)
    union = input.sum(dim=dims) + target.sum(dim=dims) - intersection
    return _torch_reduce(1 - (intersection + smooth) / (union + smooth + 1e-7), reduction)


def _masks(shape: tuple[int, ...], dtype: type, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    probs = rng.uniform(size=shape).astype(dtype)
    mask = (rng.uniform(size=shape) > 0.5).astype(dtype)
    return [probs, mask]


AXES = [None, -1, (0, 2)]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("axis", AXES, ids=str)
@pytest.mark.parametrize("dtype", DTYPES)
def test_dice_matches_keras(backend, dtype, axis, reduction):
    check_parity(backend, lambda p, t: ol.dice_loss(p, t, axis=axis, reduction=reduction),
                 keras_peer(_keras_dice, axis=axis, reduction=reduction),
                 _masks((2, 3, 4), dtype), argnums=(0, 1))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("axis", [None, (1, 2)], ids=str)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("smooth", [0.0, 1.0])
def test_dice_and_jaccard_smooth_match_torch_formula(backend, smooth, dtype, axis, reduction):
    args = _masks((2, 3, 4), dtype, seed=1)
    check_parity(backend,
                 lambda p, t: ol.dice_loss(p, t, axis=axis, smooth=smooth, reduction=reduction),
                 torch_peer(_torch_dice, axis=axis, smooth=smooth, reduction=reduction), args,
                 argnums=(0, 1))
    check_parity(backend,
                 lambda p, t: ol.jaccard_loss(p, t, axis=axis, smooth=smooth,
                                              reduction=reduction),
                 torch_peer(_torch_jaccard, axis=axis, smooth=smooth, reduction=reduction),
                 args, argnums=(0, 1))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("axis", [None, (1, 2)], ids=str)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("alpha", "beta"), [(0.7, 0.3), (0.0, 1.0)])
def test_tversky_matches_keras_with_alpha_beta_swapped(backend, alpha, beta, dtype, axis,
                                                      reduction):
    check_parity(backend,
                 lambda p, t: ol.tversky_loss(p, t, alpha=alpha, beta=beta, axis=axis,
                                              reduction=reduction),
                 keras_peer(_keras_tversky_swapped, alpha=alpha, beta=beta, axis=axis,
                            reduction=reduction),
                 _masks((2, 3, 4), dtype, seed=2), argnums=(0, 1))


def _keras_focal_tversky(input, target, alpha, beta, gamma, axis, reduction):
    import keras

    # Abraham & Khan 2019 on Keras's Tversky index (alpha on FN there: swapped, as above).
    loss = keras.losses.tversky(target, input, alpha=beta, beta=alpha, axis=axis) ** gamma
    return _tf_reduce(loss, reduction)


@pytest.mark.parametrize("reduction", ["mean", "none"])
@pytest.mark.parametrize("axis", [None, (1, 2)], ids=str)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("alpha", "beta", "gamma"), [(0.3, 0.7, 0.75), (0.5, 0.5, 2.0)])
def test_focal_tversky_matches_keras_tversky_to_the_gamma(backend, alpha, beta, gamma, dtype,
                                                          axis, reduction):
    check_parity(backend,
                 lambda p, t: ol.focal_tversky_loss(p, t, alpha=alpha, beta=beta, gamma=gamma,
                                                    axis=axis, reduction=reduction),
                 keras_peer(_keras_focal_tversky, alpha=alpha, beta=beta, gamma=gamma,
                            axis=axis, reduction=reduction),
                 _masks((2, 3, 4), dtype, seed=5), argnums=(0, 1))


def _smp_soft_tversky_score(output, target, alpha, beta, smooth=0.0, eps=1e-7, dims=None):
    # segmentation_models_pytorch 0.6.0, losses/_functional.py soft_tversky_score (the
    # Sum(p*t) form): alpha on the false positives, the denominator clamped at eps.
    intersection = (output * target).sum(dim=dims)
    fp = (output * (1.0 - target)).sum(dim=dims)
    fn = ((1 - output) * target).sum(dim=dims)
    return (intersection + smooth) / (intersection + alpha * fp + beta * fn + smooth).clamp_min(
        eps)


def _smp_tversky_binary(probs, mask, alpha, beta, gamma):
    # smp TverskyLoss(mode="binary", from_logits=False) on (N, 1, H, W): dims=(0, 2), classes
    # absent from the target dropped (none here), then aggregate_loss: loss.mean() ** gamma.
    n = probs.shape[0]
    score = _smp_soft_tversky_score(probs.reshape(n, 1, -1), mask.reshape(n, 1, -1), alpha,
                                    beta, dims=(0, 2))
    loss = (1.0 - score) * (mask.reshape(n, 1, -1).sum((0, 2)) > 0).to(probs.dtype)
    return loss.mean() ** gamma


def test_focal_tversky_is_smp_tversky_gamma_for_one_class(backend):
    """One class: smp's mean-then-power is our power; only the eps convention differs (clamped
    there, added here), by about 1e-7 / denominator."""
    args = _masks((3, 1, 4, 5), np.float64, seed=6)
    check_parity(backend,
                 lambda p, t: ol.focal_tversky_loss(p, t, alpha=0.3, beta=0.7, gamma=0.75),
                 torch_peer(_smp_tversky_binary, alpha=0.3, beta=0.7, gamma=0.75), args,
                 argnums=(0, 1), rtol=1e-7, grad_rtol=1e-7, grad_atol=1e-9)


class _SmpMCCLoss:
    """segmentation_models_pytorch ``MCCLoss`` (losses/mcc.py, smp 0.6.0), its forward written
    out: ``y_pred`` ``(N, 1, H, W)`` probabilities and ``y_true`` ``(N, H, W)``, flattened per
    sample, every count summed over the whole batch plus ``eps``."""

    def __init__(self, eps=1e-5):
        self.eps = eps

    def __call__(self, y_pred, y_true):
        import torch

        bs = y_true.size(0)
        y_true = y_true.view(bs, 1, -1)
        y_pred = y_pred.view(bs, 1, -1)
        tp = torch.sum(y_pred * y_true) + self.eps
        tn = torch.sum((1 - y_pred) * (1 - y_true)) + self.eps
        fp = torch.sum(y_pred * (1 - y_true)) + self.eps
        fn = torch.sum((1 - y_pred) * y_true) + self.eps
        numerator = tp * tn - fp * fn
        denominator = torch.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
        return 1.0 - numerator.sum() / denominator.sum()


@pytest.mark.parametrize(("dtype", "eps", "case"), [
    (np.float64, 1e-5, "random"), (np.float32, 1e-5, "random"), (np.float64, 0.1, "random"),
    (np.float64, 1e-5, "empty_mask")])
def test_mcc_matches_smp(backend, dtype, eps, case):
    probs, mask = _masks((3, 1, 4, 5), dtype, seed=7)
    if case == "empty_mask":
        mask = np.zeros_like(mask)  # one class only: eps keeps it finite
    check_parity(backend,
                 lambda p, t: ol.mcc_loss(p, ol.get_namespace(t).reshape(t, p.shape), eps=eps),
                 torch_peer(_SmpMCCLoss(eps)), [probs, mask[:, 0]], argnums=(0, 1))


def test_mcc_per_image_is_smp_per_image(backend):
    probs, mask = _masks((3, 1, 4, 5), np.float64, seed=8)
    per_image = check_parity(backend, lambda p, t: ol.mcc_loss(p, t, axis=(1, 2, 3),
                                                               reduction="none"),
                             None, [probs, mask])
    for image in range(3):
        value, _ = torch_peer(_SmpMCCLoss())([probs[image:image + 1], mask[image:image + 1]],
                                             ())
        assert per_image[image] == pytest.approx(float(value), rel=1e-12)


def test_tversky_alpha_weighs_false_positives(backend):
    # One false positive (p=1, t=0) and nothing else: TP = 1, FP = 1, FN = 0.
    probs, mask = (backend.asarray(np.array(a)) for a in ([1.0, 1.0], [1.0, 0.0]))
    value = backend.to_numpy(ol.tversky_loss(probs, mask, alpha=1.0, beta=0.0))
    assert value == pytest.approx(1 - 1 / (2 + 1e-7))
    value = backend.to_numpy(ol.tversky_loss(probs, mask, alpha=0.0, beta=1.0))
    assert value == pytest.approx(1 - 1 / (1 + 1e-7))


@pytest.mark.parametrize("name", ["dice_loss", "tversky_loss"])
@pytest.mark.parametrize("case", ["empty", "all_zero", "0d", "perfect", "int_target"])
def test_mask_edge_cases_match_keras(backend, name, case):
    probs, mask = {
        "empty": (np.zeros((0, 3)), np.zeros((0, 3))),
        "all_zero": (np.zeros((2, 3)), np.zeros((2, 3))),
        "0d": (np.array(0.3), np.array(1.0)),
        "perfect": (np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([[1.0, 0.0], [0.0, 1.0]])),
        "int_target": (np.array([[0.2, 0.9], [0.6, 0.1]]), np.array([[0, 1], [1, 0]])),
    }[case]
    if name == "dice_loss":
        ours, peer = ol.dice_loss, keras_peer(_keras_dice, axis=None, reduction="mean")
    else:
        ours = ol.tversky_loss
        peer = keras_peer(_keras_tversky_swapped, alpha=0.5, beta=0.5, axis=None,
                          reduction="mean")
    argnums = (0,) if case == "int_target" else (0, 1)
    check_parity(backend, ours, peer, [probs, mask], argnums=argnums)


@pytest.mark.parametrize("name", ["dice_loss", "jaccard_loss"])
def test_smooth_makes_empty_masks_zero(backend, name):
    zeros = backend.asarray(np.zeros((2, 3)))
    value = backend.to_numpy(getattr(ol, name)(zeros, zeros, smooth=1.0))
    assert value == pytest.approx(1 - 1 / (1 + 1e-7))


def test_jaccard_is_tversky_with_ones(backend):
    probs, mask = (backend.asarray(a) for a in _masks((3, 4), np.float64, seed=3))
    np.testing.assert_allclose(
        backend.to_numpy(ol.jaccard_loss(probs, mask, axis=1, reduction="none")),
        backend.to_numpy(ol.tversky_loss(probs, mask, alpha=1.0, beta=1.0, axis=1,
                                         reduction="none")), rtol=1e-12)


@pytest.mark.parametrize("name", MASK_LOSSES)
def test_mask_traced(tracing_backend, name):
    check_traced(tracing_backend, lambda p, t: getattr(ol, name)(p, t, axis=(1, 2)),
                 _masks((2, 3, 4), np.float64))


@pytest.mark.parametrize("name", MASK_LOSSES)
def test_mask_bad_inputs(backend, name):
    fn = getattr(ol, name)
    probs, mask = (backend.asarray(a) for a in _masks((2, 3), np.float64))
    assert_raises_named(ValueError, name, "target",
                        lambda: fn(probs, backend.asarray(np.zeros((2, 1)))))
    assert_raises_named(ValueError, name, "reduction", lambda: fn(probs, mask, reduction="avg"))
    assert_raises_named(ValueError, name, "axis", lambda: fn(probs, mask, axis=2))
    assert_raises_named(ValueError, name, "axis", lambda: fn(probs, mask, axis=(0, -2)))
    assert_raises_named(ValueError, name, "axis", lambda: fn(probs, mask, axis=()))
    assert_raises_named(TypeError, name, "axis", lambda: fn(probs, mask, axis=[0]))
    assert_raises_named(TypeError, name, "axis", lambda: fn(probs, mask, axis=True))
    assert_raises_named(TypeError, name, "axis", lambda: fn(probs, mask, axis=(0, 1.0)))
    assert_raises_named(TypeError, name, "reduction", lambda: fn(probs, mask, reduction=None))
    assert_raises_named(TypeError, name, "input",
                        lambda: fn(backend.asarray(np.ones((2, 3), dtype=np.int64)), mask))
    assert_raises_named(TypeError, name, "input", lambda: fn(0.5, mask))
    options = {"tversky_loss": ["alpha", "beta"], "mcc_loss": ["eps"],
               "focal_tversky_loss": ["alpha", "beta", "gamma"]}.get(name, ["smooth"])
    for option in options:
        assert_raises_named(ValueError, name, option, lambda o=option: fn(probs, mask, **{o: -1}))
        assert_raises_named(ValueError, name, option,
                            lambda o=option: fn(probs, mask, **{o: float("nan")}))
        assert_raises_named(TypeError, name, option, lambda o=option: fn(probs, mask, **{o: "1"}))
        assert_raises_named(TypeError, name, option, lambda o=option: fn(probs, mask, **{o: True}))


@pytest.mark.parametrize("name", MASK_LOSSES)
def test_mask_numpy_scalar_options_keep_the_dtype(backend, name):
    probs, mask = (backend.asarray(a) for a in _masks((2, 3), np.float32))
    option = {"tversky_loss": {"alpha": np.float64(0.7)}, "mcc_loss": {"eps": np.float64(0.1)},
              "focal_tversky_loss": {"gamma": np.float64(0.7)}}.get(name,
                                                                    {"smooth": np.float64(1.0)})
    value = backend.to_numpy(getattr(ol, name)(probs, mask, axis=1, **option))
    assert value.dtype == np.float32


# Lovasz losses: segmentation_models_pytorch 0.6.0, losses/lovasz.py (Berman's code, MIT),
# written out in torch with its boolean indexing of the ignored pixels and its per-image means.


def _smp_lovasz_grad(gt_sorted, dtype):
    # smp writes gt_sorted.float(): float32, so its torch.dot with float64 errors raises; the
    # cumulative sums here are in the errors' dtype (the same numbers in float32)
    gts = gt_sorted.sum()
    intersection = gts - gt_sorted.to(dtype).cumsum(0)
    union = gts + (1 - gt_sorted).to(dtype).cumsum(0)
    jaccard = 1.0 - intersection / union
    if len(gt_sorted) > 1:
        jaccard[1:] = jaccard[1:] - jaccard[:-1]
    return jaccard


def _smp_hinge_flat(logits, labels):
    import torch
    import torch.nn.functional as F

    if len(labels) == 0:
        return logits.sum() * 0.0
    signs = 2.0 * labels.float() - 1.0
    errors = 1.0 - logits * signs
    errors_sorted, perm = torch.sort(errors, dim=0, descending=True)
    grad = _smp_lovasz_grad(labels[perm.data], errors_sorted.dtype)
    return torch.dot(F.relu(errors_sorted), grad)


def _smp_flatten(scores, labels, ignore):
    if ignore is None:
        return scores, labels
    valid = labels != ignore
    return scores[valid], labels[valid]


def _smp_mean(values):
    values = list(values)
    if not values:
        return 0
    total = values[0]
    for value in values[1:]:
        total = total + value
    return total / len(values)


def smp_lovasz_hinge(logits, labels, per_image=False, ignore=None):
    if per_image:
        return _smp_mean(_smp_hinge_flat(*_smp_flatten(log.reshape(-1), lab.reshape(-1), ignore))
                         for log, lab in zip(logits, labels, strict=True))
    return _smp_hinge_flat(*_smp_flatten(logits.reshape(-1), labels.reshape(-1), ignore))


def _smp_softmax_flat(probas, labels, classes="present"):
    import torch

    if probas.numel() == 0:
        return probas.sum() * 0.0
    losses = []
    for c in range(probas.size(1)):
        fg = (labels == c).type_as(probas)
        if classes == "present" and fg.sum() == 0:
            continue
        errors = (fg - probas[:, c]).abs()
        errors_sorted, perm = torch.sort(errors, 0, descending=True)
        losses.append(torch.dot(errors_sorted, _smp_lovasz_grad(fg[perm.data], probas.dtype)))
    return _smp_mean(losses)


def _smp_flatten_probas(probas, labels, ignore):
    import torch

    classes = probas.size(1)
    probas = torch.movedim(probas, 1, -1).contiguous().view(-1, classes)
    return _smp_flatten(probas, labels.reshape(-1), ignore)


def smp_lovasz_softmax(probas, labels, classes="present", per_image=False, ignore=None,
                       from_logits=True):
    if from_logits:  # LovaszLoss(mode="multiclass").forward: y_pred.softmax(dim=1)
        probas = probas.softmax(dim=1)
    if per_image:
        return _smp_mean(_smp_softmax_flat(*_smp_flatten_probas(p[None], y[None], ignore),
                                           classes=classes)
                         for p, y in zip(probas, labels, strict=True))
    return _smp_softmax_flat(*_smp_flatten_probas(probas, labels, ignore), classes=classes)


def _hinge_batch(dtype, seed=20, ignore=None):
    rng = np.random.default_rng(seed)
    logits = (2 * rng.normal(size=(3, 4, 5))).astype(dtype)
    labels = (rng.uniform(size=(3, 4, 5)) > 0.5).astype(np.int64)
    if ignore is not None:
        labels[0, :2] = ignore
        labels[2, 1, 1:4] = ignore
    return [logits, labels]


def _softmax_batch(dtype, seed=21, ignore=None):
    rng = np.random.default_rng(seed)
    logits = (2 * rng.normal(size=(3, 4, 3, 5))).astype(dtype)
    labels = rng.integers(0, 3, size=(3, 3, 5))  # class 3 absent
    labels[1] = np.where(labels[1] == 2, 0, labels[1])  # class 2 absent from image 1
    if ignore is not None:
        labels[0, :2] = ignore
        labels[2, 1, 1:4] = ignore
    return [logits, labels]


@pytest.mark.parametrize(("dtype", "per_image", "ignore"), [
    (np.float64, False, None), (np.float64, True, 255), (np.float32, False, 255)])
def test_lovasz_hinge_matches_smp(backend, dtype, per_image, ignore):
    options = {} if ignore is None else {"ignore_index": ignore}
    check_parity(backend, lambda x, t: ol.lovasz_hinge_loss(x, t, per_image=per_image,
                                                            **options),
                 torch_peer(smp_lovasz_hinge, per_image=per_image, ignore=ignore),
                 _hinge_batch(dtype, ignore=ignore))


@pytest.mark.parametrize(("dtype", "per_image", "ignore", "classes"), [
    (np.float64, False, -100, "present"), (np.float64, True, 7, "all"),
    (np.float32, True, None, "present")])
def test_lovasz_softmax_matches_smp(backend, dtype, per_image, ignore, classes):
    options = {} if ignore is None else {"ignore_index": ignore}
    check_parity(backend, lambda x, t: ol.lovasz_softmax_loss(x, t, per_image=per_image,
                                                              classes=classes, **options),
                 torch_peer(smp_lovasz_softmax, per_image=per_image, ignore=ignore,
                            classes=classes),
                 _softmax_batch(dtype, ignore=ignore))


def test_lovasz_softmax_probabilities_and_class_axis_last(backend):
    logits, labels = _softmax_batch(np.float64, ignore=-100)
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    check_parity(backend, lambda p, t: ol.lovasz_softmax_loss(
                     p, t, from_logits=False, per_image=True, reduction="none"),
                 torch_peer(lambda p, t: torch_stack_images(smp_lovasz_softmax, p, t)),
                 [probs, labels])
    check_parity(backend, lambda x, t: ol.lovasz_softmax_loss(x, t, axis=-1),
                 torch_peer(lambda x, t: smp_lovasz_softmax(x.movedim(-1, 1), t, ignore=-100)),
                 [np.moveaxis(logits, 1, -1).copy(), labels])


def torch_stack_images(loss, probs, labels):
    """smp's loss of each image alone, from probabilities: our per-image ``"none"``."""
    import torch

    return torch.stack([torch.as_tensor(loss(p[None], y[None], ignore=-100, from_logits=False),
                                        dtype=probs.dtype)
                        for p, y in zip(probs, labels, strict=True)])


@pytest.mark.parametrize("name", ["lovasz_hinge_loss", "lovasz_softmax_loss"])
def test_lovasz_ignored_pixels_weigh_what_dropping_them_weighs(backend, name):
    """Masked with zero weight (static shapes) is removed (smp's boolean indexing): the same
    values and gradients, on every backend; the dropped pixels' gradients are 0."""
    if name == "lovasz_hinge_loss":
        scores, labels = _hinge_batch(np.float64, ignore=255)
        flat_scores, flat_labels = scores.reshape(1, -1), labels.reshape(1, -1)
        keep = flat_labels[0] != 255
        kept = [flat_scores[:, keep], flat_labels[:, keep]]
        fn = getattr(ol, name)
        options = {"ignore_index": 255}
    else:
        scores, labels = _softmax_batch(np.float64, ignore=-100)
        flat_scores = np.moveaxis(scores, 1, 0).reshape(1, 4, -1)
        flat_labels = labels.reshape(1, -1)
        keep = flat_labels[0] != -100
        kept = [flat_scores[:, :, keep], flat_labels[:, keep]]
        fn = getattr(ol, name)
        options = {}
    ours = check_parity(backend, lambda x, t: fn(x, t, **options), None, [scores, labels])
    dropped = check_parity(backend, lambda x, t: fn(x, t), None, kept)
    assert_close(ours, dropped, rtol=1e-12, atol=0, what="value")
    if backend.has_grad:
        _, (grad,) = backend.value_and_grad(lambda x, t: fn(x, t, **options), [scores, labels],
                                            (0,))
        _, (kept_grad,) = backend.value_and_grad(fn, kept, (0,))
        if name == "lovasz_hinge_loss":
            flat_grad = grad.reshape(1, -1)
            np.testing.assert_array_equal(flat_grad[:, ~keep], 0.0)
            assert_close(flat_grad[:, keep], kept_grad, rtol=1e-12, atol=1e-15, what="grad")
        else:
            flat_grad = np.moveaxis(grad, 1, 0).reshape(1, 4, -1)
            np.testing.assert_array_equal(flat_grad[:, :, ~keep], 0.0)
            assert_close(flat_grad[:, :, keep], kept_grad, rtol=1e-12, atol=1e-15, what="grad")


@pytest.mark.parametrize("name", ["lovasz_hinge_loss", "lovasz_softmax_loss"])
def test_lovasz_every_pixel_ignored_is_zero(backend, name):
    if name == "lovasz_hinge_loss":
        scores, labels = _hinge_batch(np.float64)
        labels[:] = 255
        peer = torch_peer(smp_lovasz_hinge, per_image=True, ignore=255)
    else:
        scores, labels = _softmax_batch(np.float64)
        labels[:] = 255
        peer = torch_peer(smp_lovasz_softmax, per_image=True, ignore=255)
    check_parity(backend, lambda x, t: getattr(ol, name)(x, t, per_image=True,
                                                        ignore_index=255), peer,
                 [scores, labels])


@pytest.mark.parametrize("name", ["lovasz_hinge_loss", "lovasz_softmax_loss"])
def test_lovasz_traced(tracing_backend, name):
    make = _hinge_batch if name == "lovasz_hinge_loss" else _softmax_batch
    check_traced(tracing_backend, lambda x, t: getattr(ol, name)(x, t, per_image=True,
                                                                ignore_index=255),
                 make(np.float64, ignore=255))


def test_lovasz_bad_inputs(backend):
    numpy_logits, numpy_labels = _softmax_batch(np.float64)
    logits, labels = backend.asarray(numpy_logits), backend.asarray(numpy_labels)
    name = "lovasz_softmax_loss"
    fn = ol.lovasz_softmax_loss
    assert_raises_named(ValueError, name, "classes", lambda: fn(logits, labels, classes="some"))
    assert_raises_named(TypeError, name, "per_image", lambda: fn(logits, labels, per_image=1))
    assert_raises_named(TypeError, name, "from_logits",
                        lambda: fn(logits, labels, from_logits=None))
    assert_raises_named(ValueError, name, "target",
                        lambda: fn(logits, backend.asarray(numpy_labels[0])))
    assert_raises_named(ValueError, name, "input",
                        lambda: fn(backend.asarray(numpy_logits[0, :, 0, 0]),
                                   backend.asarray(np.array(1))))
    out_of_range = backend.asarray(np.full((3, 3, 5), 4))
    if backend.name == "dask":  # lazy, no eager look at the data: NaN instead (rule 8)
        assert np.isnan(backend.to_numpy(fn(logits, out_of_range)))
    else:
        assert_raises_named(ValueError, name, "target", lambda: fn(logits, out_of_range))
    name = "lovasz_hinge_loss"
    numpy_scores, numpy_masks = _hinge_batch(np.float64)
    scores, masks = backend.asarray(numpy_scores), backend.asarray(numpy_masks)
    assert_raises_named(ValueError, name, "target",
                        lambda: ol.lovasz_hinge_loss(scores, backend.asarray(numpy_masks[0])))
    assert_raises_named(TypeError, name, "ignore_index",
                        lambda: ol.lovasz_hinge_loss(scores, masks, ignore_index=0.5))
    assert_raises_named(ValueError, name, "input", lambda: ol.lovasz_hinge_loss(
        backend.asarray(np.array(1.0)), backend.asarray(np.array(1.0)), per_image=True))


# Box losses.


def _boxes(shape: tuple[int, ...], dtype: type, seed: int = 0) -> list[np.ndarray]:
    """Two sets of valid boxes, overlapping in some pairs and not in others."""
    rng = np.random.default_rng(seed)

    def one() -> np.ndarray:
        corner = rng.uniform(0, 4, size=(*shape, 2))
        size = rng.uniform(0.5, 3, size=(*shape, 2))
        return np.concatenate([corner, corner + size], axis=-1).astype(dtype)

    return [one(), one()]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(8,), (2, 3), ()], ids=["N", "N_M", "single"])
@pytest.mark.parametrize("name", BOX_LOSSES)
def test_boxes_match_torchvision(backend, name, shape, dtype, reduction):
    check_parity(backend, lambda a, b: getattr(ol, name)(a, b, reduction=reduction),
                 torch_peer(TORCHVISION[name], reduction=reduction), _boxes(shape, dtype),
                 argnums=(0, 1))


@pytest.mark.parametrize("eps", [0.0, 1e-3])
@pytest.mark.parametrize("name", BOX_LOSSES)
def test_boxes_eps_matches_torchvision(backend, name, eps):
    check_parity(backend, lambda a, b: getattr(ol, name)(a, b, eps=eps, reduction="none"),
                 torch_peer(TORCHVISION[name], eps=eps), _boxes((6,), np.float64, seed=4),
                 argnums=(0, 1))


# Identical, shared-edge, touching, disjoint, nested, tied-coordinate, zero-width, point, huge.
SPECIAL_BOXES = np.array([
    [[0.0, 0.0, 1.0, 1.0], [0.0, 0.0, 1.0, 1.0]],
    [[0.0, 0.0, 1.0, 1.0], [0.0, 0.0, 2.0, 1.0]],
    [[0.0, 0.0, 1.0, 1.0], [1.0, 0.0, 2.0, 1.0]],
    [[0.0, 0.0, 1.0, 1.0], [3.0, 4.0, 5.0, 6.0]],
    [[0.0, 0.0, 4.0, 4.0], [1.0, 1.0, 2.0, 3.0]],
    [[1.0, 2.0, 3.0, 5.0], [1.0, 0.0, 3.0, 2.0]],
    [[0.0, 0.0, 0.0, 1.0], [0.0, 0.0, 1.0, 1.0]],
    [[0.5, 0.5, 0.5, 2.0], [0.0, 0.0, 1.0, 1.0]],
    [[0.0, 0.0, 1e4, 2e4], [-1e4, 5e3, 3e4, 1e4]],
])
POINT_BOXES = np.array([[[0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]],
                        [[1.0, 1.0, 1.0, 1.0], [0.0, 0.0, 2.0, 2.0]],
                        [[0.0, 1.0, 2.0, 1.0], [0.0, 0.0, 2.0, 2.0]]])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", BOX_LOSSES)
def test_boxes_special_cases_match_torchvision(backend, name, dtype):
    boxes = SPECIAL_BOXES.astype(dtype)
    check_parity(backend, lambda a, b: getattr(ol, name)(a, b, reduction="none"),
                 torch_peer(TORCHVISION[name]), [boxes[:, 0], boxes[:, 1]], argnums=(0, 1))


@pytest.mark.parametrize("name", BOX_LOSSES[:3])
def test_degenerate_boxes_match_torchvision(backend, name):
    check_parity(backend, lambda a, b: getattr(ol, name)(a, b, reduction="none"),
                 torch_peer(TORCHVISION[name]), [POINT_BOXES[:, 0], POINT_BOXES[:, 1]],
                 argnums=(0, 1))


def test_ciou_zero_height_is_the_limit_of_torchvision(backend):
    """torchvision: ``atan(w/0)`` gives the right value but a NaN gradient; ours is the limit.

    (The flat boxes lie outside the others: torchvision's intersection gradient itself jumps
    where a box of positive height overlaps, so the limit is taken where it does not.)
    """
    boxes1 = np.array([[0.0, 3.0, 2.0, 3.0], [5.0, 0.0, 6.0, 0.0]])
    boxes2 = np.array([[0.0, 0.0, 2.0, 2.0], [0.0, 0.0, 1.0, 3.0]])
    value = check_parity(backend, lambda a, b: ol.complete_box_iou_loss(a, b, reduction="none"),
                         torch_peer(tv_complete_box_iou_loss), [boxes1, boxes2], argnums=())
    assert np.all(np.isfinite(value))
    if backend.has_grad:
        nearly_flat = boxes1 + np.array([0.0, 0.0, 0.0, 1e-9])
        _, peer_grads = BACKENDS["torch"].value_and_grad(tv_complete_box_iou_loss,
                                                      [nearly_flat, boxes2], (0, 1))
        _, grads = backend.value_and_grad(
            lambda a, b: ol.complete_box_iou_loss(a, b, reduction="none"), [boxes1, boxes2],
            (0, 1))
        for ours, peer in zip(grads, peer_grads, strict=True):
            np.testing.assert_allclose(ours, peer, rtol=1e-6, atol=1e-6)


def test_ciou_point_boxes_are_finite(backend):
    """torchvision gives NaN for ``0 x 0`` boxes (``atan(0/0)``); ours gives angle 0."""
    boxes = POINT_BOXES[:2]
    value, grads = (backend.value_and_grad(ol.complete_box_iou_loss, [boxes[:, 0], boxes[:, 1]],
                                           (0, 1)) if backend.has_grad else
                    (backend.to_numpy(ol.complete_box_iou_loss(
                        *backend.convert([boxes[:, 0], boxes[:, 1]]))), []))
    assert np.all(np.isfinite(value))
    assert all(np.all(np.isfinite(g)) for g in grads)
    # With angle 0 for the point, the rest is torchvision's DIoU plus alpha * v.
    diou = backend.to_numpy(ol.distance_box_iou_loss(*backend.convert([boxes[:, 0],
                                                                        boxes[:, 1]]),
                                                     reduction="none"))
    v = 4 / math.pi**2 * np.array([0.0, math.atan(1.0)]) ** 2
    iou = np.array([0.0, 0.0])
    expected = diou + v / (1 - iou + v + 1e-7) * v
    assert float(value) == pytest.approx(expected.mean())


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", BOX_LOSSES)
def test_boxes_empty_batch(backend, name, reduction):
    empty = np.zeros((0, 4))
    value = check_parity(backend, lambda a, b: getattr(ol, name)(a, b, reduction=reduction),
                         torch_peer(TORCHVISION[name], reduction=reduction), [empty, empty],
                         argnums=(0, 1))
    if reduction == "mean":
        assert value == 0.0


@pytest.mark.parametrize("name", BOX_LOSSES)
def test_boxes_integer_second_argument(backend, name):
    boxes1 = np.array([[0.0, 0.0, 2.0, 3.0], [1.0, 1.0, 4.0, 2.0]])
    boxes2 = np.array([[1, 0, 3, 3], [0, 0, 2, 2]])
    check_parity(backend, getattr(ol, name),
                 torch_peer(lambda a, b: TORCHVISION[name](a, b.double(), reduction="mean")),
                 [boxes1, boxes2], argnums=(0,))


def test_ciou_alpha_gets_no_gradient(grad_backend):
    """Without the stop-gradient the boxes' gradient would differ (alpha depends on them)."""
    boxes1, boxes2 = _boxes((5,), np.float64, seed=7)
    _, grads = grad_backend.value_and_grad(
        lambda a, b: ol.complete_box_iou_loss(a, b, reduction="none"), [boxes1, boxes2], (0,))
    _, peer = BACKENDS["torch"].value_and_grad(tv_complete_box_iou_loss, [boxes1, boxes2], (0,))
    np.testing.assert_allclose(grads[0], peer[0], rtol=1e-10, atol=1e-12)

    def attached(a, b):
        import torch

        loss, iou = _tv_diou_iou_loss(a, b)
        w1, h1 = a[..., 2] - a[..., 0], a[..., 3] - a[..., 1]
        w2, h2 = b[..., 2] - b[..., 0], b[..., 3] - b[..., 1]
        v = 4 / math.pi**2 * (torch.atan(w2 / h2) - torch.atan(w1 / h1)) ** 2
        return loss + v / (1 - iou + v + 1e-7) * v

    _, wrong = BACKENDS["torch"].value_and_grad(attached, [boxes1, boxes2], (0,))
    assert not np.allclose(grads[0], wrong[0], rtol=1e-6)


@pytest.mark.parametrize("name", BOX_LOSSES)
def test_boxes_traced(tracing_backend, name):
    check_traced(tracing_backend, getattr(ol, name), _boxes((4,), np.float64))


@pytest.mark.parametrize("name", BOX_LOSSES)
def test_boxes_bad_inputs(backend, name):
    fn = getattr(ol, name)
    boxes1, boxes2 = (backend.asarray(a) for a in _boxes((3,), np.float64))
    assert_raises_named(ValueError, name, "boxes1",
                        lambda: fn(backend.asarray(np.zeros((3, 3))), boxes2))
    assert_raises_named(ValueError, name, "boxes1",
                        lambda: fn(backend.asarray(np.array(1.0)), boxes2))
    assert_raises_named(ValueError, name, "boxes2",
                        lambda: fn(boxes1, backend.asarray(np.zeros((3, 5)))))
    assert_raises_named(ValueError, name, "boxes2",
                        lambda: fn(boxes1, backend.asarray(np.zeros((2, 4)))))
    assert_raises_named(ValueError, name, "reduction", lambda: fn(boxes1, boxes2, reduction="x"))
    assert_raises_named(ValueError, name, "eps", lambda: fn(boxes1, boxes2, eps=-1.0))
    assert_raises_named(ValueError, name, "eps", lambda: fn(boxes1, boxes2, eps=float("nan")))
    assert_raises_named(TypeError, name, "eps", lambda: fn(boxes1, boxes2, eps="1e-7"))
    assert_raises_named(TypeError, name, "boxes1",
                        lambda: fn(backend.asarray(np.ones((3, 4), dtype=np.int64)), boxes2))
    assert_raises_named(TypeError, name, "boxes1", lambda: fn(1.0, boxes2))
    assert_raises_named(TypeError, name, "boxes2",
                        lambda: fn(boxes1, backend.asarray(np.ones((3, 4), dtype=bool))))
    assert_raises_named(ValueError, name, "sample_weight",
                        lambda: fn(boxes1, boxes2, sample_weight=backend.asarray(np.ones(4))))
    assert_raises_named(ValueError, name, "where",
                        lambda: fn(boxes1, boxes2, where=backend.asarray(np.ones((3, 4), bool))))


# sample_weight and where.


def _keras_weighted(input, target, weight, *, loss, axis, **options):
    """A ``keras.losses`` loss object with ``reduction="mean_with_sample_weight"``, computing
    in the inputs' dtype (a loss object's default dtype is float32)."""
    import keras

    if loss == "Tversky":  # Keras 3.15 applies its alpha to the false negatives: swap
        options = {"alpha": options["beta"], "beta": options["alpha"]}
    fn = getattr(keras.losses, loss)(axis=axis, reduction="mean_with_sample_weight",
                                     dtype=input.dtype.name, **options)
    return fn(target, input, sample_weight=weight)


def _weights(shape: tuple[int, ...], dtype: type, seed: int = 0) -> np.ndarray:
    weight = np.random.default_rng(seed).uniform(0.5, 2.0, size=shape).astype(dtype)
    weight.reshape(-1)[1] = 0.0  # a zero weight
    return weight


KERAS_MASK = {"dice_loss": ("Dice", {}), "tversky_loss": ("Tversky", {"alpha": 0.7, "beta": 0.3})}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("axis", "weight_shape"), [((1, 2), (5,)), ((2,), (5, 3))], ids=str)
@pytest.mark.parametrize("name", sorted(KERAS_MASK))
def test_mask_sample_weight_matches_keras(backend, name, axis, weight_shape, dtype):
    """Our ``"mean"`` with ``sample_weight`` is keras's ``mean_with_sample_weight``, values and
    gradients w.r.t. the input and the weights. Keras's divisor is the sum of the weights as
    given (not broadcast to the loss's shape), so the comparison uses weights of the unreduced
    loss's own shape: ``(N,)`` per sample for ``axis=(1, 2)``, ``(N, C)`` for ``axis=(2,)``.
    With ``axis=None`` Keras returns the 0-d weighted loss unreduced (``w * l``; ours is ``l``)."""
    loss, options = KERAS_MASK[name]
    fn = getattr(ol, name)
    args = [*_masks((5, 3, 4), dtype, seed=5), _weights(weight_shape, dtype)]
    check_parity(backend, lambda p, t, w: fn(p, t, axis=axis, sample_weight=w, **options),
                 keras_peer(_keras_weighted, loss=loss, axis=axis, **options), args,
                 argnums=(0, 2))


@pytest.mark.parametrize("name", MASK_LOSSES)
def test_mask_where_drops_classes(backend, name):
    """A per-class ``where`` ``(C,)`` against the ``(N, C)`` loss of ``axis=(2,)``: the loss of
    the kept classes alone (values and gradients, zero at the dropped classes)."""
    fn = getattr(ol, name)
    probs, mask = _masks((4, 3, 5), np.float64, seed=6)
    keep = np.array([True, False, True])
    where = backend.asarray(keep)
    check_parity(backend, lambda p, t: fn(p, t, axis=(2,), where=where),
                 torch_peer(lambda p, t: fn(p[:, keep], t[:, keep], axis=(2,))),
                 [probs, mask], argnums=(0, 1))
    if backend.has_grad:
        _, (grad,) = backend.value_and_grad(lambda p, t: fn(p, t, axis=(2,), where=where),
                                            [probs, mask], (0,))
        assert np.all(grad[:, ~keep] == 0)


def _weighted_mean(loss, weight):
    return (loss * weight).sum() / weight.sum()


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", BOX_LOSSES)
def test_boxes_sample_weight_matches_torchvision_composed(backend, name, dtype, reduction):
    """torchvision has no weights: its ``reduction="none"`` per-pair losses, weighted and
    reduced by hand, give ours (values and gradients w.r.t. both boxes and the weights)."""
    boxes1, boxes2 = _boxes((2, 4), dtype, seed=8)
    weight = _weights((2, 4), dtype, seed=9)

    def peer(a, b, w):
        loss = TORCHVISION[name](a, b) * w
        return {"mean": loss.sum() / w.sum(), "sum": loss.sum(), "none": loss}[reduction]

    check_parity(backend,
                 lambda a, b, w: getattr(ol, name)(a, b, reduction=reduction, sample_weight=w),
                 torch_peer(peer), [boxes1, boxes2, weight], argnums=(0, 1, 2))


@pytest.mark.parametrize("name", BOX_LOSSES)
def test_boxes_per_row_weight_and_where(backend, name):
    """A weight ``(2, 1)`` per row of ``(2, 4)`` box pairs broadcasts; ``where`` drops pairs."""
    boxes1, boxes2 = _boxes((2, 4), np.float64, seed=10)
    row = np.array([[3.0], [0.5]])
    keep = np.array([True, False, True, True])
    fn = getattr(ol, name)
    check_parity(backend, lambda a, b: fn(a, b, sample_weight=backend.asarray(row)),
                 torch_peer(lambda a, b: _weighted_mean(
                     TORCHVISION[name](a, b), torch_like(a, np.broadcast_to(row, (2, 4))))),
                 [boxes1, boxes2], argnums=(0, 1))
    check_parity(backend, lambda a, b: fn(a, b, where=backend.asarray(keep)),
                 torch_peer(lambda a, b: TORCHVISION[name](a[:, keep], b[:, keep]).mean()),
                 [boxes1, boxes2], argnums=(0, 1))


def torch_like(x, values):
    import torch

    return torch.as_tensor(np.ascontiguousarray(values), dtype=x.dtype)


@pytest.mark.parametrize("name", BOX_LOSSES)
def test_boxes_empty_batch_with_weights(backend, name):
    empty = backend.asarray(np.zeros((0, 4)))
    fn = getattr(ol, name)
    for reduction in ("mean", "sum"):
        value = fn(empty, empty, reduction=reduction, sample_weight=backend.asarray(np.ones(0)),
                   where=backend.asarray(np.ones(0, dtype=bool)))
        assert backend.to_numpy(value) == 0.0


# generalized_dice_loss (peer: optax.losses.multiclass_generalized_dice_loss)


def _optax_generalized_dice(**options):
    def peer(x, t):
        import optax

        return optax.losses.multiclass_generalized_dice_loss(x, t, **options)

    return peer


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("options", [{}, {"smooth": 0.5, "ignore_background": True}],
                         ids=["default", "smooth, ignore_background"])
def test_generalized_dice_loss_matches_optax(backend, options, dtype):
    """Logits (N, H, W, C), a class absent from the batch (its weight near 1/1e-7)."""
    rng = np.random.default_rng(0)
    logits = (2 * rng.normal(size=(3, 4, 5, 4))).astype(dtype)
    one_hot = np.eye(4)[rng.integers(0, 3, size=(3, 4, 5))].astype(dtype)
    check_parity(backend, lambda x, t: ol.generalized_dice_loss(x, t, **options),
                 jax_peer(_optax_generalized_dice(**options)), [logits, one_hot],
                 argnums=(0, 1))


def test_generalized_dice_loss_layouts_and_probabilities(backend):
    """Classes on axis 1; probabilities (apply_softmax=False); one class (sigmoid); (N, C)."""
    rng = np.random.default_rng(1)
    logits = 2 * rng.normal(size=(3, 6, 3))
    one_hot = np.eye(3)[rng.integers(0, 3, size=(3, 6))]
    check_parity(backend, lambda x, t: ol.generalized_dice_loss(x, t, class_axis=1),
                 jax_peer(lambda x, t: _optax_generalized_dice()(
                     x.transpose(0, 2, 1), t.transpose(0, 2, 1))),
                 [np.ascontiguousarray(np.moveaxis(logits, 2, 1)),
                  np.ascontiguousarray(np.moveaxis(one_hot, 2, 1))])
    probs = np.exp(logits) / np.exp(logits).sum(axis=-1, keepdims=True)
    check_parity(backend, lambda x, t: ol.generalized_dice_loss(x, t, from_logits=False),
                 jax_peer(_optax_generalized_dice(apply_softmax=False)), [probs, one_hot])
    check_parity(backend, ol.generalized_dice_loss, jax_peer(_optax_generalized_dice()),
                 [logits[..., :1], one_hot[..., :1]])
    check_parity(backend, ol.generalized_dice_loss, jax_peer(_optax_generalized_dice()),
                 [logits[:, 0], one_hot[:, 0]])


# Dice + cross-entropy / focal: monai 1.5.0 (Project-MONAI/MONAI, Apache-2.0), the computation
# of monai/losses/dice.py (DiceLoss.forward, DiceCELoss, DiceFocalLoss) and
# monai/losses/focal_loss.py (FocalLoss.forward, sigmoid_focal_loss) rewritten short in torch,
# with to_onehot_y=True (class ids one-hot encoded along axis 1). ``ignore`` is ours only
# (monai has no ignore_index): ignored pixels zeroed in both Dice sums and torch's
# ignore_index in the cross-entropy.


def _monai_one_hot(target, classes, dtype, ignore):
    import torch

    valid = (target != ignore).unsqueeze(1) if ignore is not None else None
    safe = target if ignore is None else torch.where(target == ignore, 0, target)
    one_hot = torch.nn.functional.one_hot(safe, classes).movedim(-1, 1).to(dtype)
    return one_hot, valid


def monai_dice(probs, one_hot, *, include_background, smooth_nr, smooth_dr, weight, reduction):
    if not include_background:
        probs, one_hot = probs[:, 1:], one_hot[:, 1:]
    axes = list(range(2, probs.ndim))
    tp = (probs * one_hot).sum(axes)
    fp = probs.sum(axes) - tp
    fn = one_hot.sum(axes) - tp
    f = 1 - (2 * tp + smooth_nr) / (2 * (tp + 0.5 * fp + 0.5 * fn) + smooth_dr)
    if weight is not None:
        f = f * weight
    return f.mean() if reduction == "mean" else f.sum()


def monai_dice_ce(logits, target, weight=None, *, activation="softmax",
                  include_background=True, lambda_dice=1.0, lambda_ce=1.0, smooth_nr=1e-5,
                  smooth_dr=1e-5, label_smoothing=0.0, reduction="mean", ignore=None):
    import torch

    probs = logits.softmax(1) if activation == "softmax" else logits.sigmoid()
    if target.dtype.is_floating_point:  # a one-hot target, as given
        one_hot, valid = target, None
    else:
        one_hot, valid = _monai_one_hot(target, logits.shape[1], logits.dtype, ignore)
    if valid is not None:
        probs, one_hot = probs * valid, one_hot * valid
    dice_weight = weight[1:] if weight is not None and not include_background else weight
    dice = monai_dice(probs, one_hot, include_background=include_background,
                      smooth_nr=smooth_nr, smooth_dr=smooth_dr, weight=dice_weight,
                      reduction=reduction)
    ce = torch.nn.functional.cross_entropy(logits, target, weight=weight, reduction=reduction,
                                           label_smoothing=label_smoothing,
                                           ignore_index=-100 if ignore is None else ignore)
    return lambda_dice * dice + lambda_ce * ce


def _dice_batch(dtype, seed=22, ignore=None):
    rng = np.random.default_rng(seed)
    logits = (2 * rng.normal(size=(3, 4, 3, 5))).astype(dtype)
    labels = rng.integers(0, 4, size=(3, 3, 5))
    labels[1] = np.where(labels[1] == 2, 0, labels[1])  # class 2 absent from image 1
    if ignore is not None:
        labels[0, :2] = ignore
        labels[2, 1, 1:4] = ignore
    weight = rng.uniform(0.5, 2.0, size=4).astype(dtype)
    return [logits, labels, weight]


@pytest.mark.parametrize(("dtype", "options"), [
    (np.float64, {}),
    (np.float64, {"include_background": False, "lambda_dice": 0.3, "lambda_ce": 1.7,
                  "smooth_nr": 0.0, "smooth_dr": 1e-3, "label_smoothing": 0.1,
                  "reduction": "sum"}),
    (np.float32, {"activation": "sigmoid", "include_background": False, "ignore": 255})])
def test_dice_cross_entropy_matches_monai(backend, dtype, options):
    ignore = options.pop("ignore", None)
    ours_options = {**options, **({} if ignore is None else {"ignore_index": ignore})}
    check_parity(backend, lambda x, t, w: ol.dice_cross_entropy_loss(x, t, weight=w,
                                                                      **ours_options),
                 torch_peer(monai_dice_ce, ignore=ignore, **options),
                 _dice_batch(dtype, ignore=ignore))


def test_dice_cross_entropy_one_hot_target_and_none(backend):
    logits, labels, _ = _dice_batch(np.float64)
    one_hot = np.moveaxis(np.eye(4)[labels], -1, 1)
    check_parity(backend, lambda x, t: ol.dice_cross_entropy_loss(x, t),
                 torch_peer(monai_dice_ce), [logits, one_hot])
    # "none": each sample's part of monai's "sum"
    check_parity(backend, lambda x, t: ol.dice_cross_entropy_loss(x, t, reduction="none"),
                 torch_peer(lambda x, t: __import__("torch").stack([
                     monai_dice_ce(x[i:i + 1], t[i:i + 1], reduction="sum")
                     for i in range(len(x))])), [logits, labels])


def monai_sigmoid_focal(logits, one_hot, gamma, alpha):
    import torch.nn.functional as F

    loss = logits - logits * one_hot - F.logsigmoid(logits)
    loss = (F.logsigmoid(-logits * (one_hot * 2 - 1)) * gamma).exp() * loss
    if alpha is not None:
        loss = (one_hot * alpha + (1 - one_hot) * (1 - alpha)) * loss
    return loss


def monai_dice_focal(logits, target, weight=None, *, activation="softmax",
                     include_background=True, gamma=2.0, alpha=None, lambda_dice=1.0,
                     lambda_focal=1.0, smooth_nr=1e-5, smooth_dr=1e-5, reduction="mean"):
    # monai's weight lists the kept classes: ours (C,) minus class 0 without background
    weight = weight[1:] if weight is not None and not include_background else weight
    probs = logits.softmax(1) if activation == "softmax" else logits.sigmoid()
    one_hot = (target if target.dtype.is_floating_point
               else _monai_one_hot(target, logits.shape[1], logits.dtype, None)[0])
    dice = monai_dice(probs, one_hot, include_background=include_background,
                      smooth_nr=smooth_nr, smooth_dr=smooth_dr, weight=weight,
                      reduction=reduction)
    if not include_background:
        logits, one_hot = logits[:, 1:], one_hot[:, 1:]
    focal = monai_sigmoid_focal(logits, one_hot, gamma, alpha)
    if weight is not None:
        focal = focal * weight.view([-1] + [1] * (logits.ndim - 2))
    pixels = list(range(2, logits.ndim))
    focal = focal.mean() if reduction == "mean" else focal.mean(pixels).sum()
    return lambda_dice * dice + lambda_focal * focal


@pytest.mark.parametrize(("dtype", "options"), [
    (np.float64, {}),
    (np.float64, {"include_background": False, "gamma": 0.5, "alpha": 0.25, "lambda_dice": 0.3,
                  "lambda_focal": 1.7, "smooth_nr": 0.0, "smooth_dr": 1e-3,
                  "reduction": "sum"}),
    (np.float32, {"activation": "sigmoid", "alpha": 0.75})])
def test_dice_focal_matches_monai(backend, dtype, options):
    check_parity(backend, lambda x, t, w: ol.dice_focal_loss(x, t, weight=w, **options),
                 torch_peer(monai_dice_focal, **options), _dice_batch(dtype))


def test_dice_focal_ignored_pixels_and_none(backend):
    """Ignored pixels leave the Dice sums and the focal means: each image's numbers are those of
    the image with its ignored row cut out (ours only). "none" is monai's two parts per sample
    and class, before its reduction, added."""
    logits, labels, weight = _dice_batch(np.float64)
    labels[0, 0] = labels[2, 1] = -100

    def ours(x, t, w):
        return ol.dice_focal_loss(x, t, weight=w, reduction="none")

    values = check_parity(backend, ours, None, [logits, labels, weight])
    for image, rows in ((0, [1, 2]), (2, [0, 2])):  # one shape: one compilation on JAX
        kept = backend.to_numpy(ours(*backend.convert(
            [logits[image:image + 1][:, :, rows], labels[image:image + 1][:, rows], weight])))
        assert_close(values[image], kept[0], rtol=1e-12, atol=0, what=f"image {image}")
    one_hot = np.moveaxis(np.eye(4)[labels[1:2]], -1, 1)  # image 1: nothing ignored
    check_parity(backend, lambda x, t: ol.dice_focal_loss(x, t, reduction="none"),
                 torch_peer(_monai_none), [logits[1:2], one_hot])


def _monai_none(logits, one_hot):
    """monai's two parts per sample and class, before its reduction: Dice (N, C) plus the
    focal loss averaged over the pixels."""
    probs = logits.softmax(1)
    axes = list(range(2, logits.ndim))
    tp = (probs * one_hot).sum(axes)
    dice = 1 - (2 * tp + 1e-5) / (probs.sum(axes) + one_hot.sum(axes) + 1e-5)
    return dice + monai_sigmoid_focal(logits, one_hot, 2.0, None).mean(axes)
