"""Property-based tests (hypothesis): random shapes, dtypes and extreme values, every backend.

For a representative loss of each family, hypothesis draws float32 or float64 inputs with values
from 0 and subnormals up to +-1e30 (and logits of any such size); the property is that our
result on the backend under test is finite wherever the float64 NumPy result of the same inputs
is finite and representable in the input's dtype, and equal to it within a tolerance for that
dtype. Invariances that hold exactly are checked too (the batch's order under ``"mean"``). The
budget is bounded and the examples derandomized, so CI is reproducible.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402

import omniloss as ol  # noqa: E402
from tests.helpers import Backend, assert_close  # noqa: E402

BUDGET = settings(max_examples=6, deadline=None, derandomize=True, database=None,
                  suppress_health_check=[HealthCheck.function_scoped_fixture,
                                         HealthCheck.too_slow])
"""Six examples per property and backend: the file costs well under a minute per backend
session."""

DTYPES = st.sampled_from([np.float32, np.float64])
BATCH = st.sampled_from([1, 3])
FEATURES = st.sampled_from([1, 4])
"""A few shapes only: JAX compiles each operation anew for each shape and dtype (that, not the
arithmetic, is the cost of an example)."""
LIMIT = 1e30

TOLERANCE = {np.float32: 2e-5, np.float64: 1e-9}
"""Relative tolerance against the float64 result, per input dtype."""


def values(dtype: Any, shape: tuple[int, ...], limit: float = LIMIT) -> st.SearchStrategy:
    """Arrays of ``dtype`` with any value in ``[-limit, limit]``: 0, subnormals, huge."""
    width = 32 if dtype == np.float32 else 64
    limit = float(dtype(limit))  # exactly representable
    return hnp.arrays(dtype, shape, elements=st.floats(-limit, limit, width=width,
                                                        allow_subnormal=True))


def _widened(arrays: Sequence[Any]) -> list[Any]:
    return [a.astype(np.float64) if isinstance(a, np.ndarray) and a.dtype.kind == "f" else a
            for a in arrays]


def check_against_float64(backend: Backend, loss: Callable[..., Any], arrays: Sequence[Any],
                          dtype: Any, *, rtol: float | None = None,
                          atol: float = 0.0) -> np.ndarray:
    """``loss`` on ``backend`` in ``dtype`` equals ``loss`` on float64 NumPy where the latter is
    finite and representable in ``dtype``; returns our values.

    Below the smallest normal number of ``dtype`` results are compared absolutely: they
    underflow, and XLA on CPU flushes subnormal inputs to 0.
    """
    reference = np.asarray(loss(*_widened(arrays)), dtype=np.float64)
    ours = backend.to_numpy(loss(*backend.convert(arrays)))
    assert ours.dtype == dtype, f"{backend}: dtype {ours.dtype}, expected {dtype}"
    info = np.finfo(dtype)
    representable = np.isfinite(reference) & (np.abs(reference) <= info.max)
    assert np.all(np.isfinite(ours[representable])), (
        f"{backend}: not finite where float64 is {reference[representable]}: "
        f"{ours[representable]}")
    assert_close(ours[representable], reference[representable],
                 rtol=TOLERANCE[dtype] if rtol is None else rtol,
                 atol=max(atol, 4 * float(info.smallest_normal)),
                 what=f"{backend}: against float64")
    return ours


def check_batch_order(backend: Backend, loss: Callable[..., Any], arrays: Sequence[Any],
                      dtype: Any) -> None:
    """``"mean"`` and ``"sum"`` do not depend on the order of the batch (axis 0)."""
    order = np.arange(arrays[0].shape[0])[::-1]
    for reduction in ("mean", "sum"):
        forward = backend.to_numpy(loss(*backend.convert(arrays), reduction=reduction))
        backward = backend.to_numpy(loss(*backend.convert([a[order] for a in arrays]),
                                         reduction=reduction))
        assert_close(backward, forward, rtol=TOLERANCE[dtype], atol=0.0,
                     what=f"{backend}: {reduction} of the reversed batch")


@st.composite
def pairs(draw: Any, limit: float = LIMIT) -> tuple[Any, np.ndarray, np.ndarray]:
    dtype = draw(DTYPES)
    shape = (draw(BATCH), draw(FEATURES))
    return dtype, draw(values(dtype, shape, limit)), draw(values(dtype, shape, limit))


# regression


@BUDGET
@given(pairs())
def test_rmse_loss(backend, case):
    dtype, input, target = case
    check_against_float64(backend, lambda a, b: ol.rmse_loss(a, b, reduction="none"),
                          [input, target], dtype)
    check_batch_order(backend, ol.rmse_loss, [input, target], dtype)


@BUDGET
@given(pairs(), st.sampled_from([0.5, 1.0, 3.0]))
def test_pseudo_huber_loss(backend, case, delta):
    dtype, input, target = case
    check_against_float64(
        backend, lambda a, b: ol.pseudo_huber_loss(a, b, delta=delta, reduction="none"),
        [input, target], dtype)


# classification


@BUDGET
@given(pairs(), st.data())
def test_binary_cross_entropy_with_logits(backend, case, data):
    """Hard labels: exact at every logit, down to the smallest float32."""
    dtype, logits, _ = case
    labels = data.draw(hnp.arrays(dtype, logits.shape, elements=st.sampled_from([0.0, 1.0])))
    check_against_float64(
        backend, lambda x, y: ol.binary_cross_entropy_with_logits(x, y, reduction="none"),
        [logits, labels], dtype)
    check_batch_order(backend, ol.binary_cross_entropy_with_logits, [logits, labels], dtype)


@BUDGET
@given(pairs(), st.data())
def test_cross_entropy(backend, case, data):
    dtype, logits, _ = case
    classes = logits.shape[1]
    labels = data.draw(hnp.arrays(np.int64, logits.shape[:1], elements=st.integers(0,
                                                                                    classes - 1)))
    # -log p is computed as logsumexp - x[y]: absolute error ~ eps * max|x|
    atol = 4 * float(np.finfo(dtype).eps) * float(np.max(np.abs(logits)))
    check_against_float64(backend, lambda x, y: ol.cross_entropy(x, y, reduction="none"),
                          [logits, labels], dtype, atol=atol)


# margin


@BUDGET
@given(pairs(), st.data())
def test_soft_margin_loss(backend, case, data):
    dtype, scores, _ = case
    labels = data.draw(hnp.arrays(dtype, scores.shape, elements=st.sampled_from([-1.0, 1.0])))
    check_against_float64(backend, lambda x, y: ol.soft_margin_loss(x, y, reduction="none"),
                          [scores, labels], dtype)


# embedding


@BUDGET
@given(pairs())
def test_cosine_embedding_loss(backend, case):
    """Bounded in [0, 2]: compared to an absolute 1e-5 in float32 (near-orthogonal vectors make
    the cosine itself ill-conditioned)."""
    dtype, first, second = case
    labels = np.where(np.arange(first.shape[0]) % 2 == 0, 1.0, -1.0).astype(dtype)
    check_against_float64(
        backend, lambda a, b, y: ol.cosine_embedding_loss(a, b, y, reduction="none"),
        [first, second, labels], dtype, atol=1e-5 if dtype == np.float32 else 1e-12)


# segmentation and detection


@st.composite
def boxes(draw: Any) -> tuple[Any, np.ndarray, np.ndarray]:
    """Boxes ``(x1, y1, x1 + w, y1 + h)`` of one magnitude from 1e-30 to 1e30."""
    dtype = draw(DTYPES)
    count = draw(BATCH)
    scale = draw(st.sampled_from([1e-30, 1e-3, 1.0, 1e3, 1e30]))
    corners = draw(hnp.arrays(np.float64, (2, count, 4), elements=st.floats(0.0, 10.0)))
    corners[..., 2:] += corners[..., :2]
    return dtype, (corners[0] * scale).astype(dtype), (corners[1] * scale).astype(dtype)


@BUDGET
@given(boxes())
def test_generalized_box_iou_loss(backend, case):
    dtype, first, second = case
    check_against_float64(
        backend, lambda a, b: ol.generalized_box_iou_loss(a, b, reduction="none"),
        [first, second], dtype, atol=1e-5 if dtype == np.float32 else 1e-12)
    check_batch_order(backend, ol.generalized_box_iou_loss, [first, second], dtype)


# sequence


@BUDGET
@given(st.data())
def test_ctc_loss(backend, data):
    """Small: ``T = 4``, two sequences, three classes; logits of any size up to 1e4."""
    dtype = data.draw(DTYPES)
    steps = 4  # one length: JAX compiles the scan per shape, 10 s a shape
    logits = data.draw(values(dtype, (steps, 2, 3), limit=1e4))
    log_probs = logits - np.log(np.sum(np.exp(logits.astype(np.float64)
                                              - logits.max(-1, keepdims=True)), axis=-1,
                                       keepdims=True)).astype(dtype) - logits.max(
        -1, keepdims=True)
    targets = data.draw(hnp.arrays(np.int64, (2, 2), elements=st.integers(1, 2)))
    target_lengths = np.array([1, 2])
    input_lengths = np.array([steps, steps - 1])

    def loss(lp, y, lengths, lengths_of_targets):
        return ol.ctc_loss(lp, y, lengths, lengths_of_targets, reduction="none")

    atol = 8 * float(np.finfo(dtype).eps) * float(np.max(np.abs(log_probs)))
    check_against_float64(backend, loss, [log_probs.astype(dtype), targets, input_lengths,
                                          target_lengths], dtype, atol=atol, rtol=1e-4
                          if dtype == np.float32 else None)


# adversarial


@BUDGET
@given(pairs(), st.sampled_from(["minimax", "hinge", "wasserstein", "least_squares"]))
def test_gan_discriminator_loss(backend, case, kind):
    dtype, real, fake = case
    check_against_float64(
        backend, lambda r, f: ol.gan_discriminator_loss(r, f, kind=kind, reduction="none"),
        [real, fake], dtype)


# structured


@BUDGET
@given(pairs())
def test_perceptual_loss(backend, case):
    """Squares of 1e30 overflow float32 (not representable: not compared); the rest equals."""
    dtype, first, second = case
    check_against_float64(
        backend, lambda a, b, c, d: ol.perceptual_loss([a, c], [b, d], reduction="none"),
        [first[:, None], second[:, None], first[:, None] * 0.5, second[:, None]], dtype)


# activations


@BUDGET
@given(pairs())
def test_log_softmax_and_softplus(backend, case):
    dtype, x, _ = case
    atol = 4 * float(np.finfo(dtype).eps) * float(np.max(np.abs(x)))
    check_against_float64(backend, lambda a: ol.log_softmax(a, axis=-1), [x], dtype, atol=atol)
    check_against_float64(backend, ol.softplus, [x], dtype)
