"""float32 at the extremes, on every backend, against float64 references (issue 10, item 5).

Each case runs our loss in float32 and compares its values and gradients with a hand formula (or
the defining peer) evaluated in float64 by torch: where the float64 result is representable in
float32, ours is as accurate as the most accurate peer. Where we deliberately differ from a peer,
the peer's float32 error is shown to be larger.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pytest

import omniloss as ol
from tests.helpers import BACKENDS, Backend, assert_close


def _float64_reference(formula: Callable[..., Any], args: Sequence[Any],
                       argnums: Sequence[int]) -> tuple[np.ndarray, list[np.ndarray]]:
    """``formula`` on the float64 copies of ``args`` in torch, and its gradients."""
    widened = [a.astype(np.float64) if isinstance(a, np.ndarray) and a.dtype == np.float32
               else a for a in args]
    return BACKENDS["torch"].value_and_grad(formula, widened, argnums)


def _check_against_float64(backend: Backend, ours: Callable[..., Any],
                           formula: Callable[..., Any], args: Sequence[Any], *,
                           argnums: Sequence[int] = (0,), rtol: float = 2e-6,
                           atol: float = 0.0, grad_rtol: float = 1e-5,
                           grad_atol: float = 0.0) -> np.ndarray:
    """Ours in float32 on ``backend`` equals ``formula`` in float64 (values and gradients)."""
    wanted = argnums if backend.has_grad else ()
    if wanted:
        value, grads = backend.value_and_grad(ours, args, wanted)
    else:
        value, grads = backend.to_numpy(ours(*backend.convert(args))), []
    assert value.dtype == np.float32, f"{backend}: dtype {value.dtype}"
    reference, reference_grads = _float64_reference(formula, args, wanted)
    assert np.all(np.isfinite(reference)), "the float64 reference must be finite here"
    assert_close(value, reference, rtol=rtol, atol=atol, what=f"{backend}: value")
    for i, grad, reference_grad in zip(wanted, grads, reference_grads, strict=True):
        assert_close(grad, reference_grad, rtol=grad_rtol, atol=grad_atol,
                     what=f"{backend}: gradient of argument {i}")
    return value


def _relative_error(value: Any, reference: Any) -> np.ndarray:
    value, reference = np.asarray(value, np.float64), np.asarray(reference, np.float64)
    return np.abs(value - reference) / np.abs(reference)


# binary_cross_entropy_with_logits and sigmoid_focal_loss: tf.nn's exact split


LOGITS = np.array([-10.0, -15.0, -20.0, -50.0, -87.0, 10.0, 20.0, 0.0, 3.0, -3.0, 12.0, -12.0],
                  np.float32)
LABELS = np.array([0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0, 0.0, 1.0], np.float32)
"""Hard labels where ``max(x, 0) - x * y`` is 0 (the loss is ``log1p(exp(-|x|))``, down to
1e-38) and where it is ``|x|``."""


def _softplus(x: Any) -> Any:
    import torch

    return torch.nn.functional.softplus(x, threshold=1000.0)


def _hard_label_bce(x: Any, y: Any, pos_weight: Any = 1.0) -> Any:
    """``(1 - y) softplus(x) + pw y softplus(-x)``: exact for hard labels (no cancellation)."""
    return (1 - y) * _softplus(x) + pos_weight * y * _softplus(-x)


@pytest.mark.parametrize("pos_weight", [None, 2.5])
def test_bce_with_logits_is_exact_for_hard_labels(backend, pos_weight):
    """float32 values and gradients within 2e-6 of float64 where torch's float32 kernel loses
    8e-3 at x = -10 and everything below -17 (it returns 0)."""
    if pos_weight is None:
        _check_against_float64(
            backend, lambda x, y: ol.binary_cross_entropy_with_logits(x, y, reduction="none"),
            _hard_label_bce, [LOGITS, LABELS])
    else:
        _check_against_float64(
            backend, lambda x, y: ol.binary_cross_entropy_with_logits(
                x, y, pos_weight=pos_weight, reduction="none"),
            lambda x, y: _hard_label_bce(x, y, pos_weight), [LOGITS, LABELS])


@pytest.mark.uses("torch")
def test_torch_bce_kernel_loses_what_we_keep():
    """The deliberate difference: torch's float32 kernel is 8e-3 off at x = -10, y = 0, and 0
    (relative error 1) at x = -20, where ours is within 2e-6 (the test above)."""
    import torch
    import torch.nn.functional as F

    x = torch.tensor([-10.0, -20.0])
    torch_value = F.binary_cross_entropy_with_logits(x, torch.zeros(2), reduction="none")
    reference = np.log1p(np.exp(np.array([-10.0, -20.0])))
    error = _relative_error(torch_value.numpy(), reference)
    assert error[0] > 1e-3 and error[1] == 1.0
    ours = ol.binary_cross_entropy_with_logits(x, torch.zeros(2), reduction="none")
    assert np.all(_relative_error(ours.numpy(), reference) < 2e-6)


def _focal_formula(x: Any, y: Any, alpha: float = 0.25, gamma: float = 2.0) -> Any:
    """The focal loss of hard labels with ``1 - p_t`` as one sigmoid (no subtraction)."""
    import torch

    one_minus = (1 - y) * torch.sigmoid(x) + y * torch.sigmoid(-x)
    return (alpha * y + (1 - alpha) * (1 - y)) * one_minus**gamma * _hard_label_bce(x, y)


def test_sigmoid_focal_loss_is_exact_for_hard_labels(backend):
    x, y = LOGITS[np.abs(LOGITS) < 30], LABELS[np.abs(LOGITS) < 30]
    _check_against_float64(
        backend, lambda a, b: ol.sigmoid_focal_loss(a, b, reduction="none"), _focal_formula,
        [x, y], rtol=1e-5, atol=1e-37, grad_atol=1e-37)


def _focal_second_derivative(x: np.ndarray, label: float, alpha: float = 0.25) -> np.ndarray:
    """d2/dx2 of ``alpha_t * (1 - p_t)**2 * BCE`` for a hard label, in closed form (float64).

    For ``y = 0``, ``f = (1 - alpha) s**2 L`` with ``s = sigmoid(x)``, ``q = sigmoid(-x)``,
    ``L = softplus(x)``: ``f'' = (1 - alpha) s**2 q (4 q L - 2 s L + 5 s)``; ``y = 1`` is its
    mirror image ``x -> -x`` with weight ``alpha``. Every factor is a sigmoid or softplus taken
    directly, so nothing cancels.
    """
    u, weight = (x, 1 - alpha) if label == 0 else (-x, alpha)
    s, q, softplus = 1 / (1 + np.exp(-u)), 1 / (1 + np.exp(u)), np.logaddexp(0, u)
    return weight * s**2 * q * (4 * q * softplus - 2 * s * softplus + 5 * s)


@pytest.mark.uses("jax")
def test_sigmoid_focal_loss_jax_float32_hessian_is_finite():
    """optax requires a finite Hessian for hard labels; ours was NaN at 44 < |x| < 88 (the log
    of a sum that underflowed). It equals the closed form to 1e-5 (optax's own float64 Hessian
    is 1e-2 off at x = 45, y = 0: it differentiates sigmoid as ``p * (1 - p)``)."""
    jax = BACKENDS["jax"].lib()
    import jax.numpy as jnp

    x = np.array([-87.0, -60.0, -45.0, -30.0, -5.0, 0.0, 5.0, 30.0, 45.0, 60.0, 87.0])
    for label in (0.0, 1.0):
        labels = jnp.full(x.shape, label, jnp.float32)

        def ours(logits, labels=labels):
            return ol.sigmoid_focal_loss(logits, labels, reduction="sum")

        hessian = np.asarray(jax.hessian(ours)(jnp.asarray(x, jnp.float32)))
        assert np.all(np.isfinite(hessian)), f"label {label}: {hessian}"
        assert_close(np.diag(hessian), _focal_second_derivative(x, label), rtol=1e-5,
                     atol=1e-37, what=f"label {label}")


# Overflow: float32 inputs near 1e30 (and underflow near 1e-30) through an exact rescaling


BIG = np.array([[1e30, -2e30, 3e29, 0.5e30], [3e-30, -1e-30, 2e-30, 0.0],
                [1.0, -2.0, 0.5, 3.0]], np.float32)
"""Rows of magnitude 1e30 (squares overflow float32), 1e-30 (squares underflow) and 1."""


def _torch_rmse(a: Any, b: Any) -> Any:
    import torch

    return torch.sqrt(torch.mean((a - b) ** 2, dim=1))


@pytest.mark.parametrize("name", ["mse_loss", "rmse_loss"])
def test_float32_sum_of_millions_of_squares(backend, name):
    # 4e6 float32 squares summed: as accurate as torch (5e-9 relative here), where a float32 BLAS
    # dot of the differences (the former portable sum) was off by 2e-5, and by 3e-3 at 1e8.
    rng = np.random.default_rng(0)
    x, y = (rng.standard_normal(4_000_000, dtype=np.float32) for _ in range(2))
    mean = np.mean((x.astype(np.float64) - y) ** 2)
    expected = {"mse_loss": mean, "rmse_loss": math.sqrt(mean)}[name]
    value = backend.to_numpy(getattr(ol, name)(*backend.convert([x, y])))
    assert abs(float(value) - expected) <= 1e-6 * expected


@pytest.mark.parametrize("reduction", ["none", "mean"])
def test_rmse_large_and_tiny_residuals(backend, reduction):
    target = np.zeros_like(BIG)
    if reduction == "none":
        _check_against_float64(backend, lambda a, b: ol.rmse_loss(a, b, reduction="none"),
                               _torch_rmse, [BIG, target])
        return
    for row in BIG:  # one magnitude per call: the mean over rows of 1e30 and 1 is 1e30
        row = row[None]
        _check_against_float64(backend, lambda a, b: ol.rmse_loss(a, b),
                               lambda a, b: _torch_rmse(a, b)[0], [row, np.zeros_like(row)])


def _pseudo_huber(a: Any, b: Any, delta: float) -> Any:
    import torch

    return delta**2 * (torch.sqrt(1 + ((a - b) / delta) ** 2) - 1)


def _robust(a: Any, b: Any, alpha: float) -> Any:
    import torch

    z = a - b
    if alpha == 0:
        return torch.log(0.5 * z**2 + 1)
    distance = abs(alpha - 2)
    return distance / alpha * ((z**2 / distance + 1) ** (alpha / 2) - 1)


LARGE = BIG[0]
ORDINARY = BIG[2]


@pytest.mark.parametrize("delta", [1.0, 2.5])
def test_pseudo_huber_large_residuals(backend, delta):
    residual = np.concatenate([LARGE, ORDINARY])
    _check_against_float64(
        backend, lambda a, b: ol.pseudo_huber_loss(a, b, delta=delta, reduction="none"),
        lambda a, b: _pseudo_huber(a, b, delta), [residual, np.zeros_like(residual)])


@pytest.mark.parametrize("alpha", [1.0, 0.0, -2.0, 0.5])
def test_robust_loss_large_residuals(backend, alpha):
    """The log-space form ``expm1(alpha/2 * log1p(z**2/d))`` amplifies the rounding of its log
    by ``alpha/2 * log1p(...)`` (~70 at 1e30): 1e-5 relative there."""
    residual = np.concatenate([LARGE, ORDINARY])
    _check_against_float64(
        backend, lambda a, b: ol.robust_loss(a, b, alpha=alpha, reduction="none"),
        lambda a, b: _robust(a, b, alpha), [residual, np.zeros_like(residual)], rtol=1e-5,
        grad_atol=1e-37)


@pytest.mark.parametrize("p", [2.0, 3.0])
def test_triplet_margin_loss_large_embeddings(backend, p):
    """torch's F.triplet_margin_loss is NaN here in float32 (its norms overflow)."""
    import torch.nn.functional as F

    anchor = BIG[[0, 2]]
    positive = (anchor * np.float32(0.5)).astype(np.float32)
    negative = (anchor * np.float32(-1.5) + np.float32(1.0)).astype(np.float32)
    negative[1] = [1.5, -1.0, 0.0, 2.5]
    args = [anchor, positive, negative]

    def peer(a, b, c):
        return F.triplet_margin_loss(a, b, c, margin=1.0, p=p, reduction="none")

    value = _check_against_float64(
        backend, lambda a, b, c: ol.triplet_margin_loss(a, b, c, p=p, margin=1.0,
                                                          reduction="none"),
        peer, args, argnums=(0, 1, 2), rtol=1e-5)
    assert value[0] == 0 and value[1] > 0  # both branches of the hinge
    import torch

    torch_float32 = peer(*(torch.from_numpy(a) for a in args)).numpy()
    assert np.isnan(torch_float32[0])


def test_cosine_losses_large_vectors(backend):
    import torch
    import torch.nn.functional as F

    first = BIG[[0, 1, 2]]
    second = np.stack([BIG[0] * 0.5 + 1e29, BIG[1] * -2, BIG[2][::-1]]).astype(np.float32)
    target = np.array([-1.0, 1.0, -1.0], np.float32)
    _check_against_float64(
        backend, lambda a, b, t: ol.cosine_embedding_loss(a, b, t, reduction="none"),
        lambda a, b, t: F.cosine_embedding_loss(a, b, t, reduction="none"),
        [first, second, target], argnums=(0, 1), atol=1e-7, grad_atol=1e-36)

    def cosine(a, b):
        return -torch.sum(a * b, dim=1) / (torch.linalg.vector_norm(a, dim=1)
                                           * torch.linalg.vector_norm(b, dim=1))

    _check_against_float64(
        backend, lambda a, b: ol.cosine_similarity_loss(a, b, reduction="none"), cosine,
        [first[[0, 2]], second[[0, 2]]], argnums=(0, 1), grad_atol=1e-36)


def _box_losses(a: Any, b: Any, kind: str) -> Any:
    """torchvision's box losses in torch (float64 here), eps = 1e-7."""
    import torch

    eps = 1e-7
    x1, y1, x2, y2 = a.unbind(-1)
    x1g, y1g, x2g, y2g = b.unbind(-1)
    inter_w = (torch.minimum(x2, x2g) - torch.maximum(x1, x1g)).clamp(min=0)
    inter_h = (torch.minimum(y2, y2g) - torch.maximum(y1, y1g)).clamp(min=0)
    intersection = inter_w * inter_h
    union = (x2 - x1) * (y2 - y1) + (x2g - x1g) * (y2g - y1g) - intersection
    iou = intersection / (union + eps)
    width = torch.maximum(x2, x2g) - torch.minimum(x1, x1g)
    height = torch.maximum(y2, y2g) - torch.minimum(y1, y1g)
    if kind == "box_iou_loss":
        return 1 - iou
    if kind == "generalized_box_iou_loss":
        area = width * height
        return 1 - iou + (area - union) / (area + eps)
    centers = ((x1 + x2) / 2 - (x1g + x2g) / 2) ** 2 + ((y1 + y2) / 2 - (y1g + y2g) / 2) ** 2
    diou = 1 - iou + centers / (width**2 + height**2 + eps)
    if kind == "distance_box_iou_loss":
        return diou
    v = (4 / math.pi**2) * (torch.atan((x2g - x1g) / (y2g - y1g))
                            - torch.atan((x2 - x1) / (y2 - y1))) ** 2
    with torch.no_grad():
        alpha = v / (1 - iou + v + eps)
    return diou + alpha * v


@pytest.mark.parametrize("kind", ["box_iou_loss", "generalized_box_iou_loss",
                                  "distance_box_iou_loss", "complete_box_iou_loss"])
def test_box_losses_large_coordinates(backend, kind):
    """torchvision's float32 areas overflow to NaN at coordinates near 1e20."""
    scale = np.float32(1e30)
    boxes1 = np.array([[1.0, 2.0, 3.0, 5.0], [0.0, 0.0, 2.0, 1.0]], np.float32)
    boxes2 = np.array([[2.0, 1.0, 4.0, 4.0], [1.0, 0.5, 3.0, 1.5]], np.float32)
    boxes1 = np.concatenate([boxes1 * scale, boxes1]).astype(np.float32)
    boxes2 = np.concatenate([boxes2 * scale, boxes2]).astype(np.float32)
    _check_against_float64(
        backend, lambda a, b: getattr(ol, kind)(a, b, reduction="none"),
        lambda a, b: _box_losses(a, b, kind), [boxes1, boxes2], argnums=(0, 1),
        grad_atol=1e-37)


# +inf logits: NaN in the row, on every backend, as torch's kernels give


INFINITE_ROW = np.array([[np.inf, 0.0, 1.0], [0.5, -1.0, 2.0]], np.float32)


def _check_nan_row(value: np.ndarray, finite: np.ndarray, what: str) -> None:
    """Row 0 (holding +inf) is NaN throughout; row 1 equals its float64 reference."""
    assert np.all(np.isnan(value[0])), f"{what}: {value[0]}"
    assert_close(value[1], finite, rtol=2e-6, atol=0.0, what=what)


def test_infinite_logit_gives_nan_rows(backend):
    """A +inf logit makes the softmax undefined: log_softmax, cross_entropy,
    poly1_cross_entropy and margin_softmax_loss give NaN for that row on every backend (torch's
    F.log_softmax and F.cross_entropy; NumPy used to give inf or -inf here)."""
    import torch
    import torch.nn.functional as F

    logits = INFINITE_ROW
    exact = INFINITE_ROW[1].astype(np.float64)
    log_probs = exact - np.log(np.sum(np.exp(exact)))
    peer = F.log_softmax(torch.from_numpy(logits), dim=1).numpy()
    assert np.all(np.isnan(peer[0]))
    x = backend.asarray(logits)
    _check_nan_row(backend.to_numpy(ol.log_softmax(x, axis=1)), log_probs, "log_softmax")
    for target in (0, 1):
        y = backend.asarray(np.array([target, 2]))
        expected = -log_probs[2]
        _check_nan_row(backend.to_numpy(ol.cross_entropy(x, y, reduction="none"))[:, None],
                       np.array([expected]), f"cross_entropy, target {target}")
        poly = -log_probs[2] + 2.0 * (1 - np.exp(log_probs[2]))
        _check_nan_row(
            backend.to_numpy(ol.poly1_cross_entropy(x, y, reduction="none"))[:, None],
            np.array([poly]), f"poly1_cross_entropy, target {target}")


def test_infinite_cosine_gives_nan_rows(backend):
    """margin_softmax_loss: NaN for a row with an infinite cosine, also at the target class,
    whose ArcFace clamp would otherwise make it finite."""
    cosine = np.array([[np.inf, 0.1, 0.2], [0.3, 0.1, 0.2]], np.float32)
    for target in (0, 1):
        for kind, margin in (("arcface", 0.5), ("cosface", 0.35), ("sphereface", 4)):
            value = backend.to_numpy(ol.margin_softmax_loss(
                backend.asarray(cosine), backend.asarray(np.array([target, 0])), kind=kind,
                margin=margin, reduction="none"))
            assert np.isnan(value[0]) and np.isfinite(value[1]), (kind, target, value)
