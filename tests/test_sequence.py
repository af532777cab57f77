"""ctc_loss against torch.nn.functional.ctc_loss (values, gradients), tf.nn.ctc_loss, optax."""

from __future__ import annotations

import numpy as np
import pytest

import omniloss as ol
from omniloss._dispatch import get_namespace
from omniloss._primitives import log_softmax
from tests.helpers import (
    assert_raises_named,
    check_parity,
    check_traced,
    jax_peer,
    tf_peer,
    torch_peer,
)

REDUCTIONS = ["mean", "sum", "none"]
DTYPES = [np.float64, np.float32]


def _log_softmax(x: np.ndarray) -> np.ndarray:
    shifted = x - x.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def _batch(dtype: type, *, seed: int = 0, steps: int = 8, classes: int = 5, blank: int = 0,
           scale: float = 1.0, normalised: bool = True) -> list[np.ndarray]:
    """``[log_probs (T, 5, C), padded targets (5, 4), input_lengths, target_lengths]``.

    The samples: a full-length one, a shorter input, an empty target, repeated labels (which need
    a blank between them: 4 labels + 2 repeats = 6 <= 8 frames) and a 3-frame input.
    """
    rng = np.random.default_rng(seed)
    logits = scale * rng.normal(size=(steps, 5, classes))
    log_probs = _log_softmax(logits) if normalised else logits
    labels = [c for c in range(classes) if c != blank]
    targets = rng.choice(labels, size=(5, 4))
    targets[3] = [labels[0], labels[0], labels[1], labels[1]]
    input_lengths = np.array([steps, steps - 2, steps, steps, 3])
    target_lengths = np.array([3, 2, 0, 4, 1])
    return [log_probs.astype(dtype), targets, input_lengths, target_lengths]


def _concatenated(targets: np.ndarray, target_lengths: np.ndarray) -> np.ndarray:
    return np.concatenate([row[:n] for row, n in zip(targets, target_lengths, strict=True)])


def _torch_functional():
    import torch

    return torch.nn.functional


def _torch_ctc(**options):
    """``torch.nn.functional.ctc_loss`` with ``options``, as a peer for ``check_parity``."""
    return torch_peer(_torch_functional().ctc_loss, **options)


def _ours(**options):
    return lambda lp, tg, il, tl: ol.ctc_loss(lp, tg, il, tl, **options)


@pytest.mark.parametrize("zero_infinity", [False, True])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_matches_torch(backend, dtype, reduction, zero_infinity):
    options = {"reduction": reduction, "zero_infinity": zero_infinity}
    check_parity(backend, _ours(**options), _torch_ctc(**options), _batch(dtype))


@pytest.mark.parametrize("dtype", DTYPES)
def test_gradient_of_unnormalised_log_probs(backend, dtype):
    # torch's backward is exp(lp) - exp(log(alpha*beta) + loss - lp): the free-variable
    # derivative of the recursion plus exp(lp) on every frame t < T_n. Unnormalised inputs make
    # the extra term visible (it cancels through a log_softmax).
    check_parity(backend, _ours(reduction="sum"), _torch_ctc(reduction="sum"),
                 _batch(dtype, normalised=False, scale=2.0))


@pytest.mark.parametrize("zero_infinity", [False, True])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_impossible_alignment(backend, reduction, zero_infinity):
    # Sample 0 needs 3 labels + 2 repeats = 5 frames but has 4; sample 1 has 2 frames for 3
    # labels; sample 2 has none for 1 label. torch: inf (0 with zero_infinity) and a NaN (zero)
    # gradient on the impossible samples' frames t < T_n.
    log_probs, _, _, _ = _batch(np.float64, steps=5)
    targets = np.array([[1, 1, 1], [1, 2, 3], [2, 0, 0], [3, 4, 0], [1, 2, 3]])
    options = {"reduction": reduction, "zero_infinity": zero_infinity}
    check_parity(backend, _ours(**options), _torch_ctc(**options),
                 [log_probs, targets, np.array([4, 2, 0, 5, 5]), np.array([3, 3, 1, 2, 3])])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("lengths", ["arrays", "tuples", "lists"])
def test_concatenated_targets(backend, dtype, lengths):
    log_probs, targets, input_lengths, target_lengths = _batch(dtype)
    flat = _concatenated(targets, target_lengths)
    if lengths == "arrays":
        args = [log_probs, flat, input_lengths, target_lengths]
    else:
        as_seq = tuple if lengths == "tuples" else list
        args = [log_probs, flat, as_seq(input_lengths.tolist()), as_seq(target_lengths.tolist())]
    check_parity(backend, _ours(reduction="none"), _torch_ctc(reduction="none"), args)


def test_padded_targets_with_int_lengths(backend):
    log_probs, targets, input_lengths, target_lengths = _batch(np.float64)
    args = [log_probs, targets, tuple(input_lengths.tolist()), list(target_lengths.tolist())]
    check_parity(backend, _ours(), _torch_ctc(), args)


@pytest.mark.parametrize("form", ["0d", "1d", "tuple", "int", "targets_1xS"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_unbatched(backend, form, reduction):
    # torch takes (T, C) log_probs with (S,) or (1, S) targets and 0-d or 1-element lengths; it
    # refuses plain ints, which mean the same one-element tuple here.
    log_probs, targets, _, _ = _batch(np.float64)
    log_probs, targets = log_probs[:, 3], targets[3]
    if form == "targets_1xS":
        targets = targets[None]
    arrays = {"0d": [np.array(7), np.array(4)], "1d": [np.array([7]), np.array([4])],
              "targets_1xS": [np.array(7), np.array(4)]}
    if form in arrays:
        check_parity(backend, _ours(reduction=reduction),
                     _torch_ctc(reduction=reduction),
                     [log_probs, targets, *arrays[form]])
        return
    ours_lengths = {"tuple": ((7,), (4,)), "int": (7, 4)}[form]
    ctc = _torch_functional().ctc_loss
    peer = torch_peer(lambda lp, tg: ctc(lp, tg, (7,), (4,), reduction=reduction))
    check_parity(backend, lambda lp, tg: ol.ctc_loss(lp, tg, *ours_lengths, reduction=reduction),
                 peer, [log_probs, targets])


@pytest.mark.parametrize("blank", [2, 4])
def test_blank_index(backend, blank):
    options = {"blank": blank, "reduction": "none"}
    check_parity(backend, _ours(**options), _torch_ctc(**options),
                 _batch(np.float64, blank=blank))


def test_target_containing_blank(backend):
    # torch documents that targets must not contain the blank, but does not check (its value
    # and its gradient then disagree). Here a blank inside a target is an invalid class id
    # (tests/test_class_ids.py): ValueError where the ids can be read now, NaN for that sequence
    # otherwise (Dask); padding past a target's length is not read.
    log_probs, _, input_lengths, _ = _batch(np.float64)
    targets = np.array([[1, 0, 2, 0], [0, 0, 1, 2], [3, 0, 0, 4], [0, 1, 0, 1], [0, 2, 2, 2]])
    args = backend.convert([log_probs, targets, input_lengths, np.array([3, 2, 4, 4, 1])])
    if backend.name == "dask":
        value = backend.to_numpy(ol.ctc_loss(*args, reduction="none"))
        assert np.isnan(value).all()  # every row holds a blank within its length
        return
    with pytest.raises(ValueError, match=r"ctc_loss: targets holds class id 0 outside "
                                         r"\[0, \d+\) or equal to blank=0"):
        ol.ctc_loss(*args, reduction="none")


def test_edge_lengths(backend):
    # S = 0 targets (every target empty) and an empty input (T_n = 0) with an empty target: 0.
    log_probs, _, _, _ = _batch(np.float64)
    args = [log_probs, np.zeros((5, 0), dtype=np.int64), np.array([8, 0, 3, 1, 8]),
            np.zeros(5, dtype=np.int64)]
    check_parity(backend, _ours(reduction="none"), _torch_ctc(reduction="none"), args)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_empty_batch_and_no_frames(backend, reduction):
    # torch refuses empty log_probs; here they follow the definitions: an empty batch sums to 0
    # and has a NaN mean, and with T = 0 an empty target costs 0 and a non-empty one is
    # impossible (inf).
    empty = ol.ctc_loss(backend.asarray(np.zeros((4, 0, 3))),
                        backend.asarray(np.zeros((0, 2), dtype=np.int64)),
                        backend.asarray(np.zeros(0, dtype=np.int64)),
                        backend.asarray(np.zeros(0, dtype=np.int64)), reduction=reduction)
    expected_empty = {"mean": np.nan, "sum": 0.0, "none": np.zeros(0)}[reduction]
    np.testing.assert_array_equal(backend.to_numpy(empty), expected_empty)
    no_frames = ol.ctc_loss(backend.asarray(np.zeros((0, 2, 3))),
                            backend.asarray(np.array([[1, 2], [0, 0]])), (0, 0), (2, 0),
                            reduction="none")
    np.testing.assert_array_equal(backend.to_numpy(no_frames), [np.inf, 0.0])


def test_array_lengths_beyond_the_bounds(backend):
    # torch raises; array lengths follow the class-id rule (tests/test_class_ids.py): an input
    # length above T or a padded target length above S is a ValueError where the lengths can be
    # read now, and NaN for that sequence otherwise (Dask), the other sequences unchanged.
    log_probs, targets, input_lengths, target_lengths = _batch(np.float64)
    steps, width = log_probs.shape[0], targets.shape[1]
    inputs, labels = input_lengths.copy(), target_lengths.copy()
    inputs[0], labels[3] = steps + 1, width + 1
    args = backend.convert([log_probs, targets, inputs, labels])
    if backend.name != "dask":
        with pytest.raises(ValueError, match=rf"^ctc_loss: input_lengths holds length "
                                             rf"{steps + 1} outside \[0, {steps + 1}\)"):
            ol.ctc_loss(*args, reduction="none")
        args[2] = backend.asarray(input_lengths)
        with pytest.raises(ValueError, match=rf"^ctc_loss: target_lengths holds length "
                                             rf"{width + 1} outside \[0, {width + 1}\)"):
            ol.ctc_loss(*args, reduction="none")
        return
    peer = _torch_ctc(reduction="none")(
        [log_probs, targets, input_lengths, target_lengths], ())[0]
    ours = backend.to_numpy(ol.ctc_loss(*args, reduction="none"))
    np.testing.assert_allclose(ours, [np.nan, *peer[1:3], np.nan, peer[4]], rtol=1e-10)


@pytest.mark.parametrize("dtype", DTYPES)
def test_extreme_logits_and_long_sequences(backend, dtype):
    # Logits of magnitude 1e4 (log-probabilities down to -1e4, loss ~1e6) and T = 80 frames:
    # finite, equal to torch; a probability-space recursion would underflow and give inf. In
    # float32 the reference is torch in float64 on the same inputs: torch's own float32 backward
    # forms exp(log(alpha*beta) + loss - lp) from terms of size 1e6 and is off by up to 0.15
    # (measured), while ours matches float64 to 1e-6 (7e-6 on TensorFlow, whose float32 exp and
    # log kernels round differently). Even in float64 torch's backward carries that cancellation
    # (2.5e-10 on gradients of size 1, the rounding of a 1e6 loss), hence the gradient atol.
    rng = np.random.default_rng(3)
    log_probs = _log_softmax(1e4 * rng.normal(size=(80, 2, 6))).astype(dtype)
    targets = rng.integers(1, 6, size=(2, 20))
    args = [log_probs, targets, np.array([80, 60]), np.array([20, 16])]
    in_float64 = _torch_ctc(reduction="sum")

    def peer(peer_args, argnums):
        return in_float64([a.astype(np.float64) if a.dtype.kind == "f" else a
                           for a in peer_args], argnums)

    value = check_parity(backend, _ours(reduction="sum"), peer, args, atol=1e-6,
                         grad_atol=1e-9 if dtype == np.float64 else 2e-5)
    assert np.isfinite(value)


def _value_as_torch(backend, args, reduction: str):
    """Assert our value equals torch's; return our gradient w.r.t. ``log_probs`` (``None`` on a
    backend without autodiff) and torch's, for tests where the two differ at marked entries."""
    peer_value, peer_grads = _torch_ctc(reduction=reduction)(args, (0,))
    value = check_parity(backend, _ours(reduction=reduction), None, args)
    np.testing.assert_allclose(value, peer_value, rtol=1e-12)
    if not backend.has_grad:
        return None, peer_grads[0]
    return backend.value_and_grad(_ours(reduction=reduction), args, (0,))[1][0], peer_grads[0]


def _assert_gradient_as_torch(grad, peer_grad, where) -> None:
    np.testing.assert_allclose(grad[where], peer_grad[where], rtol=1e-10, atol=1e-12)


def test_masked_class(backend):
    # Class 2 masked with log-probability -inf on every frame (it is in no target). The values
    # equal torch's; torch's gradient at the -inf entries of active frames is NaN (exp(-inf) -
    # exp(-inf + inf)), ours is 0 there (the documented difference); everywhere else they agree.
    log_probs, targets, input_lengths, target_lengths = _batch(np.float64)
    log_probs[:, :, 2] = -np.inf
    targets = np.where(targets == 2, 1, targets)
    grad, peer_grad = _value_as_torch(backend, [log_probs, targets, input_lengths,
                                                target_lengths], "sum")
    if grad is not None:
        torch_nan = np.isnan(peer_grad)
        assert torch_nan.any() and np.all(np.isneginf(log_probs[torch_nan]))
        np.testing.assert_array_equal(grad[torch_nan], 0.0)
        _assert_gradient_as_torch(grad, peer_grad, ~torch_nan)


@pytest.mark.filterwarnings("ignore:overflow encountered in exp:RuntimeWarning")
def test_overflowing_log_probs(backend):
    # Unnormalised "log-probabilities" so large that exp overflows (1000 in float64): the values
    # equal torch's; torch's gradient there is inf, ours NaN (documented); elsewhere they agree.
    log_probs, targets, input_lengths, target_lengths = _batch(np.float64, normalised=False)
    log_probs[2, 0, 1] = 1000.0
    grad, peer_grad = _value_as_torch(backend, [log_probs, targets, input_lengths,
                                                target_lengths], "none")
    if grad is not None:
        torch_inf = np.isinf(peer_grad)
        assert torch_inf.sum() == 1 and np.isnan(grad[torch_inf]).all()
        _assert_gradient_as_torch(grad, peer_grad, ~torch_inf)


def test_portable_kernels(backend, monkeypatch):
    # With the native kernels off (portable logsumexp, the Python loop instead of lax.scan /
    # tf.foldl), values and gradients are unchanged.
    monkeypatch.setattr("omniloss._primitives.use_native_kernels", False)
    options = {"reduction": "mean", "zero_infinity": True}
    check_parity(backend, _ours(**options), _torch_ctc(**options), _batch(np.float64))


def test_float16(grad_backend):
    # float16 runs end to end; torch's CPU CTC has no half kernel, so the reference is torch in
    # float64 on the same (rounded) inputs.
    log_probs, targets, input_lengths, target_lengths = _batch(np.float64)
    log_probs = log_probs.astype(np.float16)
    xp = grad_backend.namespace()
    half = xp.astype(grad_backend.asarray(log_probs.astype(np.float32)), xp.float16)
    ours = ol.ctc_loss(half, *grad_backend.convert([targets, input_lengths, target_lengths]),
                       reduction="none")
    assert ours.dtype == xp.float16
    peer = _torch_ctc(reduction="none")([log_probs.astype(np.float64), targets, input_lengths,
                                         target_lengths], ())[0]
    np.testing.assert_allclose(grad_backend.to_numpy(ours).astype(np.float64), peer, rtol=2e-3)


def test_matches_tf_nn_ctc_loss(backend):
    # tf.nn.ctc_loss(labels, logits, label_length, logit_length, logits_time_major=True,
    # blank_index) takes time-major LOGITS (T, N, C) and applies log_softmax itself, returns the
    # per-sample loss, and its dense-label kernel exists in float32 only. So ours runs on
    # log_softmax(logits) with reduction="none"; the gradient is compared w.r.t. the logits, where
    # torch's extra exp(log_probs) term cancels.
    import tensorflow as tf

    logits, targets, input_lengths, target_lengths = _batch(np.float32, blank=4,
                                                            normalised=False)

    def ours(x, tg, il, tl):
        return ol.ctc_loss(log_softmax(get_namespace(x), x, axis=-1), tg, il, tl, blank=4,
                           reduction="none")

    def peer(x, tg, il, tl):
        return tf.nn.ctc_loss(tg, x, tl, il, logits_time_major=True, blank_index=4)

    check_parity(backend, ours, tf_peer(peer), [logits, targets, input_lengths, target_lengths],
                 rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("dtype", DTYPES)
def test_matches_optax_ctc_loss(backend, dtype):
    # optax.ctc_loss(logits, logit_paddings, labels, label_paddings, blank_id) takes batch-major
    # LOGITS (N, T, C) with log_softmax applied inside, and 0/1 float paddings (1 = padding)
    # instead of lengths; per-sample values. Ours runs on log_softmax of the time-major
    # transpose; gradients w.r.t. the logits.
    import jax.numpy as jnp
    import optax

    logits, targets, input_lengths, target_lengths = _batch(dtype, normalised=False)
    batch_major = np.ascontiguousarray(np.transpose(logits, (1, 0, 2)))
    logit_paddings = (np.arange(8)[None, :] >= input_lengths[:, None]).astype(dtype)
    label_paddings = (np.arange(4)[None, :] >= target_lengths[:, None]).astype(dtype)

    def ours(x, tg, il, tl):
        xp = get_namespace(x)
        time_major = xp.permute_dims(x, (1, 0, 2))
        return ol.ctc_loss(log_softmax(xp, time_major, axis=-1), tg, il, tl, reduction="none")

    def peer(x, tg, il, tl):
        return optax.ctc_loss(x, jnp.asarray(logit_paddings), tg, jnp.asarray(label_paddings))

    check_parity(backend, ours, jax_peer(peer),
                 [batch_major, targets, input_lengths, target_lengths])


@pytest.mark.parametrize("layout", ["padded", "concatenated"])
def test_traced(tracing_backend, layout):
    log_probs, targets, input_lengths, target_lengths = _batch(np.float64, steps=12)
    if layout == "concatenated":
        targets = _concatenated(targets, target_lengths)
    check_traced(tracing_backend, _ours(), [log_probs, targets, input_lengths, target_lengths])
    check_traced(tracing_backend,
                 lambda lp, tg: ol.ctc_loss(lp, tg, (12, 10, 12, 12, 3), (3, 2, 0, 4, 1),
                                            reduction="none"),
                 [log_probs, targets])


def test_bad_inputs(backend):
    log_probs, targets, input_lengths, target_lengths = backend.convert(_batch(np.float64))
    ints = backend.asarray(np.zeros((8, 5, 5), dtype=np.int64))

    def call(*args, **options):
        return lambda: ol.ctc_loss(*args, **options)

    good = (log_probs, targets, input_lengths, target_lengths)
    cases = [
        (ValueError, "input_lengths", call(log_probs, targets, (9, 8, 8, 8, 8), target_lengths)),
        (ValueError, "input_lengths", call(log_probs, targets, (8, -1, 8, 8, 8), target_lengths)),
        (ValueError, "input_lengths", call(log_probs, targets, (8, 8, 8), target_lengths)),
        (ValueError, "target_lengths", call(log_probs, targets, input_lengths, (5, 0, 0, 0, 0))),
        (ValueError, "target_lengths",
         call(log_probs, backend.asarray(np.ones(7, dtype=np.int64)), input_lengths,
              (3, 2, 0, 4, 1))),
        (ValueError, "log_probs", call(backend.asarray(np.zeros((8, 5))[0]), *good[1:])),
        (ValueError, "log_probs", call(backend.asarray(np.zeros((1, 8, 5, 5))), *good[1:])),
        (ValueError, "targets",
         call(log_probs, backend.asarray(np.ones((5, 4, 1), dtype=np.int64)), *good[2:])),
        (ValueError, "targets",
         call(log_probs, backend.asarray(np.ones((4, 4), dtype=np.int64)), *good[2:])),
        (ValueError, "input_lengths",
         call(log_probs, targets, backend.asarray(np.ones((1, 5), dtype=np.int64)),
              target_lengths)),
        (ValueError, "blank", call(*good, blank=5)),
        (ValueError, "blank", call(*good, blank=-1)),
        (ValueError, "reduction", call(*good, reduction="batchmean")),
        (TypeError, "reduction", call(*good, reduction=None)),
        (TypeError, "zero_infinity", call(*good, zero_infinity="yes")),
        (TypeError, "zero_infinity", call(*good, zero_infinity=1.0)),
        (TypeError, "zero_infinity", call(*good, zero_infinity=1)),
        (TypeError, "blank", call(*good, blank=1.0)),
        (TypeError, "blank", call(*good, blank=True)),
        (TypeError, "log_probs", call(0.5, *good[1:])),
        (ValueError, "sample_weight", call(*good, sample_weight=backend.asarray(np.ones(4)))),
        (ValueError, "where",
         call(*good, where=backend.asarray(np.ones((5, 1), dtype=bool)))),
        (TypeError, "where", call(*good, where=backend.asarray(np.ones(5)))),
        (TypeError, "log_probs", call(ints, *good[1:])),
        (TypeError, "targets", call(log_probs, backend.asarray(np.ones((5, 4))), *good[2:])),
        (TypeError, "input_lengths",
         call(log_probs, targets, backend.asarray(np.ones(5)), target_lengths)),
        (TypeError, "target_lengths", call(log_probs, targets, input_lengths, (3, 2, 0, 4.0, 1))),
        (TypeError, "input_lengths", call(log_probs, targets, 8.0, target_lengths)),
    ]
    for exception, argument, bad_call in cases:
        assert_raises_named(exception, "ctc_loss", argument, bad_call)
    if backend.name != "numpy":
        assert_raises_named(TypeError, "ctc_loss", "numpy",
                            call(log_probs, np.ones((5, 4), dtype=np.int64), input_lengths,
                                 target_lengths))


# sample_weight and where: torch's CTCLoss has no weights, so the reference is its
# reduction="none" per-sequence losses (divided by the clamped target lengths for "mean"),
# weighted and averaged by hand.


def _torch_weighted_ctc(reduction, **options):
    def peer(log_probs, targets, input_lengths, target_lengths, weight):
        import torch

        loss = _torch_functional().ctc_loss(log_probs, targets, input_lengths, target_lengths,
                                            reduction="none", **options)
        if reduction == "mean":
            per_symbol = loss / torch.clamp(target_lengths, min=1).to(loss.dtype)
            return (per_symbol * weight).sum() / weight.sum()
        return (loss * weight).sum() if reduction == "sum" else loss * weight
    return torch_peer(peer)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_sample_weight_matches_torch_composed(backend, dtype, reduction):
    weight = np.array([0.5, 2.0, 1.0, 0.0, 3.0], dtype=dtype)
    check_parity(backend, lambda lp, tg, il, tl, w: ol.ctc_loss(lp, tg, il, tl,
                                                                reduction=reduction,
                                                                sample_weight=w),
                 _torch_weighted_ctc(reduction), [*_batch(dtype), weight], argnums=(0, 4))


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_integer_weights_repeat_sequences(backend, reduction):
    # Repeating a sequence changes torch's "mean" only through the number of sequences, so
    # integer weights equal repeated sequences; concatenated targets with int lengths too.
    log_probs, targets, input_lengths, target_lengths = _batch(np.float64)
    counts = np.array([2, 0, 1, 3, 1])
    index = np.repeat(np.arange(5), counts)
    repeated = [log_probs[:, index], targets[index], input_lengths[index], target_lengths[index]]
    flat = _concatenated(targets, target_lengths)
    ours = ol.ctc_loss(*backend.convert([log_probs, flat]), tuple(input_lengths.tolist()),
                       tuple(target_lengths.tolist()), reduction=reduction,
                       sample_weight=backend.asarray(counts))
    expected = _torch_ctc(reduction=reduction)(repeated, ())[0]
    np.testing.assert_allclose(backend.to_numpy(ours), expected, rtol=1e-10)


@pytest.mark.parametrize("zero_infinity", [False, True])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_where_drops_impossible_sequences(backend, reduction, zero_infinity):
    # Samples 0 and 2 are impossible (inf, NaN gradients in torch): masked out, the value is
    # torch's on the other samples, and the masked samples' frames get a zero gradient, as if
    # they were not in the batch (also without zero_infinity).
    log_probs, _, _, _ = _batch(np.float64, steps=5)
    targets = np.array([[1, 1, 1], [1, 2, 3], [2, 0, 0], [3, 4, 0], [1, 2, 3]])
    input_lengths, target_lengths = np.array([4, 5, 0, 5, 5]), np.array([3, 3, 1, 2, 3])
    keep = np.array([False, True, False, True, True])
    options = {"reduction": reduction, "zero_infinity": zero_infinity}
    kept = [log_probs[:, keep], targets[keep], input_lengths[keep], target_lengths[keep]]
    ours = _ours(**options, where=backend.asarray(keep))
    args = [log_probs, targets, input_lengths, target_lengths]
    value = backend.to_numpy(ours(*backend.convert(args)))
    expected = _torch_ctc(**options)(kept, ())[0]
    if reduction == "none":
        np.testing.assert_array_equal(value[~keep], 0.0)
        value = value[keep]
    np.testing.assert_allclose(value, expected, rtol=1e-10)
    if backend.has_grad:
        _, (grad,) = backend.value_and_grad(ours, args, (0,))
        _, (peer_grad,) = _torch_ctc(**options)(kept, (0,))
        np.testing.assert_array_equal(grad[:, ~keep], 0.0)
        np.testing.assert_allclose(grad[:, keep], peer_grad, rtol=1e-10, atol=1e-12)


def test_weighted_unbatched(backend):
    log_probs, targets, _, _ = _batch(np.float64)
    log_probs, targets = log_probs[:, 3], targets[3]
    for reduction in REDUCTIONS:
        plain = ol.ctc_loss(*backend.convert([log_probs, targets]), 7, 4, reduction=reduction)
        factor = 1.0 if reduction == "mean" else 2.5
        for weight in (backend.asarray(np.array(2.5)), 2.5):
            if reduction == "mean" and isinstance(weight, float):
                continue  # a Python-number weight with "mean": see _reduction (reported)
            ours = ol.ctc_loss(*backend.convert([log_probs, targets]), 7, 4, reduction=reduction,
                               sample_weight=weight)
            np.testing.assert_allclose(backend.to_numpy(ours), factor * backend.to_numpy(plain),
                                       rtol=1e-12)
    assert_raises_named(ValueError, "ctc_loss", "sample_weight", lambda: ol.ctc_loss(
        *backend.convert([log_probs, targets]), 7, 4, sample_weight=backend.asarray(np.ones(1))))


def test_weighted_traced(tracing_backend):
    log_probs, targets, input_lengths, target_lengths = _batch(np.float64)
    weight = np.array([0.5, 2.0, 1.0, 0.0, 3.0])
    keep = np.array([True, True, False, True, True])
    check_traced(tracing_backend,
                 lambda lp, tg, il, tl, w, m: ol.ctc_loss(lp, tg, il, tl, sample_weight=w,
                                                          where=m),
                 [log_probs, targets, input_lengths, target_lengths, weight, keep])


def _graph_nodes(tensor) -> set[str]:
    """The class names of every node in ``tensor``'s autograd graph."""
    seen, stack = set(), [tensor.grad_fn]
    while stack:
        node = stack.pop()
        if node is not None and node not in seen:
            seen.add(node)
            stack.extend(parent for parent, _ in node.next_functions)
    return {type(node).__name__ for node in seen}


def _native_case(case: str, dtype: type) -> tuple[list[np.ndarray], np.ndarray | None]:
    """Inputs for one case of the native-against-portable test, and its ``where``."""
    if case == "extreme":  # logits of 1e4, as test_extreme_logits_and_long_sequences
        rng = np.random.default_rng(3)
        log_probs = _log_softmax(1e4 * rng.normal(size=(80, 2, 6))).astype(dtype)
        return [log_probs, rng.integers(1, 6, size=(2, 20)), np.array([80, 60]),
                np.array([20, 16])], None
    args = _batch(dtype, normalised=case != "unnormalised", scale=2.0)
    log_probs, targets, _, target_lengths = args
    if case == "masked_class":
        log_probs[:, :, 2] = -np.inf
        args[1] = np.where(targets == 2, 1, targets)
    if case == "overflowing":  # exp overflows: NaN gradient there
        log_probs[2, 0, 1] = 1000.0 if dtype == np.float64 else 100.0
    if case.startswith("impossible"):  # 4 labels in 3 frames
        target_lengths[4] = 4
    if case == "padded":  # -1 past each target's length: never read, a valid index neither
        args[1] = np.where(np.arange(targets.shape[1]) < target_lengths[:, None], targets, -1)
    where = np.array([True, True, True, True, False]) if case == "impossible_left_out" else None
    return args, where


@pytest.mark.uses("torch")
@pytest.mark.parametrize("case", ["normalised", "unnormalised", "masked_class", "overflowing",
                                  "impossible", "impossible_left_out", "extreme", "padded"])
@pytest.mark.parametrize("zero_infinity", [False, True])
@pytest.mark.parametrize("dtype", DTYPES)
def test_torch_native_recursion_equals_portable(case, zero_infinity, dtype, monkeypatch):
    # On torch the loss runs as an autograd.Function (its record's fused "ctc_loss": torch's
    # kernel for the alphas, our adjoint recursion for the gradient): the same values and
    # gradients as the portable recursion, NaN and zero entries included (-inf classes: 0; exp
    # overflowing: NaN; impossible sequences: NaN frames, 0 with zero_infinity or left out by
    # where), and exact in float32 at logits of 1e4.
    import torch
    args, where = _native_case(case, dtype)

    def run(native: bool) -> tuple[np.ndarray, np.ndarray, set[str]]:
        monkeypatch.setattr("omniloss._primitives.use_native_kernels", native)
        log_probs = torch.tensor(args[0], requires_grad=True)
        loss = ol.ctc_loss(log_probs, *(torch.tensor(a) for a in args[1:]),
                           zero_infinity=zero_infinity, reduction="none",
                           where=None if where is None else torch.tensor(where))
        upstream = torch.linspace(0.5, 1.5, loss.shape[0], dtype=loss.dtype)
        loss.backward(upstream)
        return loss.detach().numpy(), log_probs.grad.numpy(), _graph_nodes(loss)

    with np.errstate(over="ignore"):
        value, grad, nodes = run(True)
        portable_value, portable_grad, portable_nodes = run(False)
    assert "CTCAdjointBackward" in nodes and "CTCAdjointBackward" not in portable_nodes
    rtol, atol = (1e-10, 1e-10) if dtype == np.float64 else (1e-5, 1e-5)
    np.testing.assert_allclose(value, portable_value, rtol=rtol)
    np.testing.assert_array_equal(np.isnan(grad), np.isnan(portable_grad))
    np.testing.assert_allclose(grad, portable_grad, rtol=rtol, atol=atol)
    if case == "masked_class":
        np.testing.assert_array_equal(grad[:, :, 2], 0.0)
    if case == "extreme":  # against torch in float64 (its float32 gradient is off by 0.15)
        log_probs = torch.tensor(args[0].astype(np.float64), requires_grad=True)
        peer = torch.nn.functional.ctc_loss(log_probs, *(torch.tensor(a) for a in args[1:]),
                                            zero_infinity=zero_infinity, reduction="none")
        peer.backward(torch.linspace(0.5, 1.5, peer.shape[0], dtype=peer.dtype))
        np.testing.assert_allclose(value, peer.detach().numpy(), rtol=1e-6)
        np.testing.assert_allclose(grad, log_probs.grad.numpy(), atol=2e-5)


@pytest.mark.uses("torch")
@pytest.mark.parametrize("steps", [1, 2, 16, 17, 33])
def test_torch_native_blocks_equal_portable(steps, monkeypatch):
    # The torch kernel's backward takes the softmaxes 16 frames at a time: one frame (no
    # block), a block and one frame over, a partial last block; lengths 0 (no frame, no
    # label) to full, so that frames past T_n carry the adjoint across block boundaries. The
    # same values and gradients as the portable recursion and as F.ctc_loss (float64,
    # normalised log-probabilities, where torch's closed-form gradient is exact too).
    import torch
    rng = np.random.default_rng(steps)
    batch, labels = 6, 3
    log_probs = _log_softmax(rng.normal(size=(steps, batch, 5)))
    args = [log_probs, rng.integers(1, 5, size=(batch, labels)),
            np.array([0, steps, 1, steps // 2, steps, steps]), np.array([0, 0, 1, 2, 3, 1])]

    def run(native: bool) -> tuple[np.ndarray, np.ndarray]:
        monkeypatch.setattr("omniloss._primitives.use_native_kernels", native)
        x = torch.tensor(args[0], requires_grad=True)
        loss = ol.ctc_loss(x, *(torch.tensor(a) for a in args[1:]), zero_infinity=True,
                           reduction="none")
        loss.backward(torch.linspace(0.5, 1.5, batch, dtype=loss.dtype))
        return loss.detach().numpy(), x.grad.numpy()

    (value, grad), (portable_value, portable_grad) = run(True), run(False)
    np.testing.assert_allclose(value, portable_value, rtol=1e-10)
    np.testing.assert_allclose(grad, portable_grad, rtol=1e-10, atol=1e-12)
    x = torch.tensor(args[0], requires_grad=True)
    peer = torch.nn.functional.ctc_loss(x, *(torch.tensor(a) for a in args[1:]),
                                        zero_infinity=True, reduction="none")
    peer.backward(torch.linspace(0.5, 1.5, batch, dtype=peer.dtype))
    np.testing.assert_allclose(value, peer.detach().numpy(), rtol=1e-10)
    np.testing.assert_allclose(grad, x.grad.numpy(), rtol=1e-8, atol=1e-10)


# ctc_forward_probabilities (peer: optax.losses.ctc_loss_with_forward_probs)


def _as_optax_probabilities(xp, alpha):
    """``exp`` of our ``(T, N, 2S+1)`` alphas with the last frame's blank states ``2k``
    (``k >= 1``) as optax returns them: plus the label state before them. In probability space,
    where the unreachable states (``-inf``) are 0 with a finite gradient."""
    probabilities = xp.exp(alpha)
    last = probabilities[-1, ...]
    labels = last[:, 1::2]
    blanks = xp.concat([last[:, :1], last[:, 2::2] + labels], axis=1)
    pairs = xp.reshape(xp.stack([blanks[:, :-1], labels], axis=2), (last.shape[0], -1))
    last = xp.concat([pairs, blanks[:, -1:]], axis=1)
    return xp.concat([probabilities[:-1, ...], xp.expand_dims(last, axis=0)], axis=0)


def _optax_alphas(logits, targets, input_lengths, target_lengths, blank):
    """optax's forward probabilities on batch-major logits as our ``(T, N, 2S+1)`` layout (its
    last frame's blank states as optax returns them), ``-inf`` where optax holds multiples of
    its ``log_epsilon`` (-1e5) and past ``2L`` (optax runs on through the padding labels)."""
    import jax.numpy as jnp
    import optax

    steps, width = logits.shape[1], targets.shape[1]
    logit_paddings = jnp.asarray(np.arange(steps)[None, :] >= input_lengths[:, None],
                                 dtype=logits.dtype)
    label_paddings = jnp.asarray(np.arange(width)[None, :] >= target_lengths[:, None],
                                 dtype=logits.dtype)
    _, blank_states, label_states = optax.ctc_loss_with_forward_probs(
        logits, logit_paddings, targets, label_paddings, blank_id=blank)
    pairs = jnp.stack([blank_states[..., :-1], label_states], axis=3)
    alpha = jnp.concatenate([jnp.reshape(pairs, (steps, len(targets), 2 * width)),
                             blank_states[..., -1:]], axis=2)
    past_target = np.arange(2 * width + 1)[None, :] > 2 * target_lengths[:, None]
    return jnp.where((alpha < -1e4) | past_target[None], -jnp.inf, alpha)


def _ours_on_logits(x, tg, il, tl, blank):
    """Ours on the time-major ``log_softmax`` of batch-major logits, as optax takes them."""
    xp = get_namespace(x)
    log_probs = log_softmax(xp, xp.permute_dims(x, (1, 0, 2)), axis=-1)
    return ol.ctc_forward_probabilities(log_probs, tg, il, tl, blank=blank)


@pytest.mark.parametrize("blank", [0, 2])
@pytest.mark.parametrize("dtype", DTYPES)
def test_forward_probabilities_match_optax(backend, dtype, blank):
    # Values and gradients w.r.t. the logits, in probability space (see
    # _as_optax_probabilities); where they are -inf, test_forward_probabilities_unreachable.
    import jax.numpy as jnp

    logits, targets, input_lengths, target_lengths = _batch(dtype, normalised=False,
                                                            blank=blank)
    batch_major = np.ascontiguousarray(np.transpose(logits, (1, 0, 2)))

    def ours(x, tg, il, tl):
        return _as_optax_probabilities(get_namespace(x), _ours_on_logits(x, tg, il, tl, blank))

    def peer(x, tg, il, tl):
        return jnp.exp(_optax_alphas(x, tg, input_lengths, target_lengths, blank))

    check_parity(backend, ours, jax_peer(peer),
                 [batch_major, targets, input_lengths, target_lengths])


def test_forward_probabilities_unreachable(backend):
    # -inf exactly where optax holds its log_epsilon multiples (or past 2L), finite elsewhere,
    # on every frame but the last (whose blank states optax merges), in log space.
    logits, targets, input_lengths, target_lengths = _batch(np.float64, normalised=False)
    batch_major = np.ascontiguousarray(np.transpose(logits, (1, 0, 2)))
    ours = backend.to_numpy(_ours_on_logits(
        *backend.convert([batch_major, targets, input_lengths, target_lengths]), 0))
    expected = np.asarray(_optax_alphas(batch_major, targets, input_lengths, target_lengths, 0))
    unreachable = np.isneginf(expected[:-1])
    assert unreachable.any() and (~unreachable).any()
    np.testing.assert_array_equal(np.isneginf(ours[:-1]), unreachable)
    np.testing.assert_allclose(ours[:-1][~unreachable], expected[:-1][~unreachable],
                               rtol=1e-10)


@pytest.mark.parametrize("layout", ["padded", "concatenated"])
def test_forward_probabilities_give_the_loss(backend, layout):
    # -logaddexp(alpha[-1, n, 2L], alpha[-1, n, 2L - 1]) is torch's loss, on every sequence
    # (frames past T_n repeat frame T_n - 1; an empty target reads alpha[-1, n, 0] alone).
    import torch

    log_probs, targets, input_lengths, target_lengths = _batch(np.float64)
    expected = _torch_functional().ctc_loss(
        torch.from_numpy(log_probs), torch.from_numpy(targets), torch.from_numpy(input_lengths),
        torch.from_numpy(target_lengths), reduction="none").numpy()
    if layout == "concatenated":
        targets = _concatenated(targets, target_lengths)
    alpha = backend.to_numpy(ol.ctc_forward_probabilities(
        *backend.convert([log_probs, targets, input_lengths, target_lengths])))
    # concatenated targets with array lengths: S = min(len(targets), T) = 8
    assert alpha.shape == (8, 5, 9 if layout == "padded" else 17)
    last = alpha[-1, np.arange(5)]
    ends = 2 * target_lengths
    label_end = np.where(ends > 0, last[np.arange(5), np.maximum(ends - 1, 0)], -np.inf)
    np.testing.assert_allclose(-np.logaddexp(last[np.arange(5), ends], label_end), expected,
                               rtol=1e-12)


def test_forward_probabilities_shapes_and_edges(backend):
    # Unbatched (T, C) input gives (T, 2S+1); an empty batch (T, 0, 2S+1); T = 0 frames an
    # empty stack (0, N, 2S+1).
    log_probs, targets, input_lengths, target_lengths = _batch(np.float64)
    one = ol.ctc_forward_probabilities(backend.asarray(log_probs[:, 0]),
                                       backend.asarray(targets[0]), 8, 3)
    batched = ol.ctc_forward_probabilities(
        *backend.convert([log_probs, targets, input_lengths, target_lengths]))
    np.testing.assert_array_equal(backend.to_numpy(one), backend.to_numpy(batched)[:, 0])
    empty = ol.ctc_forward_probabilities(
        backend.asarray(np.zeros((4, 0, 3))), backend.asarray(np.zeros((0, 2), dtype=np.int64)),
        backend.asarray(np.zeros(0, dtype=np.int64)),
        backend.asarray(np.zeros(0, dtype=np.int64)))
    assert backend.to_numpy(empty).shape == (4, 0, 5)
    no_frames = ol.ctc_forward_probabilities(backend.asarray(np.zeros((0, 2, 3))),
                                             backend.asarray(np.array([[1, 2], [0, 0]])),
                                             (0, 0), (2, 0))
    assert backend.to_numpy(no_frames).shape == (0, 2, 5)


@pytest.mark.parametrize("label", [0, 1000, -2])
def test_forward_probabilities_bad_inputs(backend, label):
    # The class-id rule, as ctc_loss: ValueError where the ids can be read now, else NaN for
    # that sequence (its whole column), the others unchanged. 0 is the blank.
    log_probs, targets, input_lengths, target_lengths = _batch(np.float64)
    bad = targets.copy()
    bad[1, 0] = label  # within sample 1's two labels
    args = backend.convert([log_probs, bad, input_lengths, target_lengths])
    if backend.name != "dask":
        with pytest.raises(ValueError, match=rf"^ctc_forward_probabilities: targets holds "
                                             rf"class id {label} outside \[0, 5\)"):
            ol.ctc_forward_probabilities(*args)
    else:
        alpha = backend.to_numpy(ol.ctc_forward_probabilities(*args))
        good = ol.ctc_forward_probabilities(
            *backend.convert([log_probs, targets, input_lengths, target_lengths]))
        assert np.isnan(alpha[:, 1]).all()
        keep = [0, 2, 3, 4]
        np.testing.assert_array_equal(alpha[:, keep], backend.to_numpy(good)[:, keep])
    assert_raises_named(TypeError, "ctc_forward_probabilities", "log_probs",
                        lambda: ol.ctc_forward_probabilities(
                            backend.asarray(np.zeros((8, 5, 5), dtype=np.int64)),
                            *backend.convert([targets, input_lengths, target_lengths])))
    lengths = input_lengths.copy()
    lengths[2] = 9  # T + 1
    if backend.name != "dask":
        assert_raises_named(ValueError, "ctc_forward_probabilities", "input_lengths",
                            lambda: ol.ctc_forward_probabilities(*backend.convert(
                                [log_probs, targets, lengths, target_lengths])))


def test_forward_probabilities_traced(tracing_backend):
    args = _batch(np.float64, steps=12)
    check_traced(tracing_backend, ol.ctc_forward_probabilities, args)
    # an invalid label inside jit: NaN for its sequence only
    bad = args[1].copy()
    bad[0, 0] = 1000
    alpha = tracing_backend.to_numpy(tracing_backend.jit(ol.ctc_forward_probabilities)(
        *tracing_backend.convert([args[0], bad, *args[2:]])))
    assert np.isnan(alpha[:, 0]).all() and not np.isnan(alpha[:, 1:]).any()
