"""Probabilistic classification losses against their defining peers on every backend.

Peers: torch.nn.functional (cross_entropy, nll_loss, linear_cross_entropy, kl_div, the BCEs,
soft_margin_loss), keras.losses and tf.nn (cross-entropies, focal), optax
(poly_loss_cross_entropy). Losses with no installable peer are written out in torch in this file
(torch autograd gives the reference gradients): torchvision's sigmoid_focal_loss (transcribed),
the multi-class focal loss of Lin et al., Jensen-Shannon, the Hinton distillation recipe, the
exponential loss; the 0-1 loss is checked in NumPy (values only: it is not differentiable).
"""

from __future__ import annotations

import numpy as np
import pytest

import omniloss as ol
from tests.helpers import (
    assert_close,
    assert_raises_named,
    check_parity,
    check_traced,
    jax_peer,
    keras_peer,
    numpy_peer,
    tf_peer,
    torch_peer,
)

REDUCTIONS = ["mean", "sum", "none"]
DTYPES = [np.float64, np.float32]
# Every reduction in float64, float32 with "mean": keeps the matrix (and the CI) small.
DTYPE_REDUCTION = [pytest.param(np.float64, r, id=f"float64-{r}") for r in REDUCTIONS] + [
    pytest.param(np.float32, "mean", id="float32-mean")]
# (input shape, class axis) in torch's layout: (C,), (N, C), (N, C, d1, d2).
LAYOUTS = {"1d": (5,), "2d": (6, 5), "4d": (3, 5, 2, 2)}


def _rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def _logits(shape: tuple[int, ...], dtype: type, seed: int = 0, scale: float = 2.0
            ) -> np.ndarray:
    return (scale * _rng(seed).normal(size=shape)).astype(dtype)


def _indices(shape: tuple[int, ...], n_classes: int, seed: int = 1, ignored: int = 0
             ) -> np.ndarray:
    """Class ids (int64) with the first ``ignored`` flat positions set to -100."""
    target = _rng(seed).integers(0, n_classes, size=shape).astype(np.int64)
    flat = target.reshape(-1)
    flat[:ignored] = -100
    return flat.reshape(shape)


def _probabilities(shape: tuple[int, ...], axis: int, dtype: type, seed: int = 2
                   ) -> np.ndarray:
    raw = _rng(seed).uniform(0.05, 1.0, size=shape)
    return (raw / raw.sum(axis=axis, keepdims=True)).astype(dtype)


def _weights(n: int, dtype: type, seed: int = 3) -> np.ndarray:
    return _rng(seed).uniform(0.5, 2.0, size=n).astype(dtype)


def _class_axis(shape: tuple[int, ...]) -> int:
    return 0 if len(shape) == 1 else 1


def _index_shape(shape: tuple[int, ...]) -> tuple[int, ...]:
    axis = _class_axis(shape)
    return shape[:axis] + shape[axis + 1:]


def _one_hot(target: np.ndarray, n_classes: int, dtype: type) -> np.ndarray:
    return np.eye(n_classes, dtype=dtype)[target]


# cross_entropy: class indices


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@pytest.mark.parametrize(("dtype", "reduction"), DTYPE_REDUCTION)
def test_cross_entropy_indices_weight_smoothing_ignore(backend, dtype, reduction, layout):
    import torch.nn.functional as F

    shape = LAYOUTS[layout]
    target = _indices(_index_shape(shape), 5, ignored=1 if layout != "1d" else 0)
    weight = _weights(5, dtype)
    options = {"weight": None, "label_smoothing": 0.2, "ignore_index": -100,
               "reduction": reduction}
    check_parity(backend, lambda x, y, w: ol.cross_entropy(x, y, **{**options, "weight": w}),
                 torch_peer(lambda x, y, w: F.cross_entropy(x, y, **{**options, "weight": w})),
                 [_logits(shape, dtype), target, weight])


OPTION_SETS = {
    "plain": {},
    "weight": {"weight": True},
    "smoothing": {"label_smoothing": 0.3},
    "ignore_other_id": {"ignore_index": 2},
    "weight_ignore": {"weight": True, "ignore_index": 2},
    "full_smoothing": {"label_smoothing": 1.0, "weight": True},
}


@pytest.mark.parametrize("option_set", sorted(OPTION_SETS))
def test_cross_entropy_index_options(backend, option_set, reduction="mean"):
    import torch

    options = dict(OPTION_SETS[option_set])
    weight = _weights(5, np.float64) if options.pop("weight", False) else None
    target = _indices((4, 3), 5, ignored=2 if "ignore_index" not in options else 0)
    logits = _logits((4, 5, 3), np.float64)

    def peer(x, y):
        w = None if weight is None else torch.from_numpy(weight)
        return torch.nn.functional.cross_entropy(x, y, weight=w, reduction=reduction,
                                                 **options)

    def ours(x, y):
        w = None if weight is None else backend.asarray(weight)
        return ol.cross_entropy(x, y, weight=w, reduction=reduction, **options)

    check_parity(backend, ours, torch_peer(peer), [logits, target])


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_all_ignored_is_nan_for_mean(backend, reduction):
    import torch.nn.functional as F

    target = np.full((4,), -100, dtype=np.int64)
    logits = _logits((4, 3), np.float64)
    value = check_parity(
        backend, lambda x, y: ol.cross_entropy(x, y, reduction=reduction, label_smoothing=0.1),
        torch_peer(F.cross_entropy, reduction=reduction, label_smoothing=0.1), [logits, target])
    assert np.isnan(value) if reduction == "mean" else np.all(value == 0)
    check_parity(
        backend, lambda x, y, w: ol.cross_entropy(x, y, weight=w, reduction=reduction),
        torch_peer(lambda x, y, w: F.cross_entropy(x, y, weight=w, reduction=reduction)),
        [logits, target, _weights(3, np.float64)])


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_empty_batch(backend, reduction):
    import torch.nn.functional as F

    for target in (np.zeros((0,), np.int64), np.zeros((0, 3))):
        check_parity(backend, lambda x, y: ol.cross_entropy(x, y, reduction=reduction),
                     torch_peer(F.cross_entropy, reduction=reduction),
                     [np.zeros((0, 3)), target])


def test_cross_entropy_out_of_range_index_replaced_when_ignored(backend):
    """An ignore_index outside [0, C) never reaches the gather or the weight (pytorch#91383)."""
    import torch.nn.functional as F

    target = np.array([0, 7, 2, 7])
    check_parity(backend, lambda x, y, w: ol.cross_entropy(x, y, weight=w, ignore_index=7,
                                                           label_smoothing=0.1),
                 torch_peer(lambda x, y, w: F.cross_entropy(x, y, weight=w, ignore_index=7,
                                                            label_smoothing=0.1)),
                 [_logits((4, 3), np.float64), target, _weights(3, np.float64)])


# cross_entropy: class probabilities


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@pytest.mark.parametrize(("dtype", "reduction"), DTYPE_REDUCTION)
def test_cross_entropy_probabilities(backend, dtype, reduction, layout):
    import torch.nn.functional as F

    shape = LAYOUTS[layout]
    target = _probabilities(shape, _class_axis(shape), dtype)
    check_parity(
        backend,
        lambda x, y, w: ol.cross_entropy(x, y, weight=w, label_smoothing=0.1,
                                         reduction=reduction),
        torch_peer(lambda x, y, w: F.cross_entropy(x, y, weight=w, label_smoothing=0.1,
                                                   reduction=reduction)),
        [_logits(shape, dtype), target, _weights(5, dtype)], argnums=(0, 1))


def test_cross_entropy_probabilities_refuse_ignore_index(backend):
    """torch raises "ignore_index is not supported for floating point target"; so do we."""
    import torch
    import torch.nn.functional as F

    logits, soft = _logits((4, 3), np.float64), _probabilities((4, 3), 1, np.float64)
    with pytest.raises(RuntimeError, match="ignore_index"):
        F.cross_entropy(torch.from_numpy(logits), torch.from_numpy(soft), ignore_index=0)
    for name in ("cross_entropy", "softmax_focal_loss"):
        assert_raises_named(ValueError, name, "ignore_index", lambda n=name: getattr(ol, n)(
            backend.asarray(logits), backend.asarray(soft), ignore_index=0))


# cross_entropy: channels-last, keras and tf.nn


@pytest.mark.parametrize("dtype", DTYPES)
def test_cross_entropy_axis_last_matches_torch_with_moved_axis(backend, dtype):
    import torch
    import torch.nn.functional as F

    logits = _logits((3, 2, 5), dtype)
    target = _indices((3, 2), 5, ignored=1)
    check_parity(backend, lambda x, y: ol.cross_entropy(x, y, axis=-1, label_smoothing=0.1),
                 torch_peer(lambda x, y: F.cross_entropy(torch.movedim(x, -1, 1), y,
                                                         label_smoothing=0.1)),
                 [logits, target])


@pytest.mark.parametrize("dtype", DTYPES)
def test_cross_entropy_matches_keras_sparse(backend, dtype):
    import keras

    logits = _logits((4, 3, 5), dtype)
    target = _indices((4, 3), 5)
    check_parity(backend, lambda x, y: ol.cross_entropy(x, y, axis=-1, reduction="none"),
                 keras_peer(lambda x, y: keras.losses.sparse_categorical_crossentropy(
                     y, x, from_logits=True, axis=-1)),
                 [logits, target])


def test_cross_entropy_ignore_index_matches_keras_ignore_class(backend):
    import keras
    import tensorflow as tf

    logits = _logits((6, 5), np.float64)
    target = _indices((6,), 5, ignored=2)

    def peer(x, y):
        per_sample = keras.losses.sparse_categorical_crossentropy(
            y, x, from_logits=True, ignore_class=-100)
        return tf.reduce_sum(per_sample) / tf.reduce_sum(tf.cast(y != -100, x.dtype))

    check_parity(backend, lambda x, y: ol.cross_entropy(x, y, axis=-1), keras_peer(peer),
                 [logits, target])


@pytest.mark.parametrize("dtype", DTYPES)
def test_cross_entropy_matches_keras_categorical(backend, dtype):
    import keras

    logits = _logits((4, 3, 5), dtype)
    target = _probabilities((4, 3, 5), -1, dtype)
    check_parity(backend, lambda x, y: ol.cross_entropy(x, y, axis=-1, reduction="none",
                                                        label_smoothing=0.2),
                 keras_peer(lambda x, y: keras.losses.categorical_crossentropy(
                     y, x, from_logits=True, label_smoothing=0.2, axis=-1)),
                 [logits, target], argnums=(0, 1))


@pytest.mark.parametrize("dtype", DTYPES)
def test_cross_entropy_matches_tf_nn(backend, dtype):
    import tensorflow as tf

    logits = _logits((6, 5), dtype)
    target = _indices((6,), 5)
    check_parity(backend, lambda x, y: ol.cross_entropy(x, y, axis=-1, reduction="none"),
                 tf_peer(lambda x, y: tf.nn.sparse_softmax_cross_entropy_with_logits(
                     labels=y, logits=x)),
                 [logits, target])
    probabilities = _probabilities((6, 5), 1, dtype)
    check_parity(backend, lambda x, y: ol.cross_entropy(x, y, axis=1, reduction="none"),
                 tf_peer(lambda x, y: tf.nn.softmax_cross_entropy_with_logits(
                     labels=y, logits=x, axis=1)),
                 [logits, probabilities], argnums=(0, 1))


@pytest.mark.parametrize("dtype", DTYPES)
def test_cross_entropy_from_probabilities_matches_keras(backend, dtype):
    """from_logits=False renormalises and clips as keras.losses.categorical_crossentropy."""
    import keras

    raw = _rng(4).uniform(0.0, 1.0, size=(5, 4)).astype(dtype)
    raw[0] = [1.0, 0.0, 0.0, 0.0]  # the clip bites on both bounds
    raw[1, 2] = 0.0
    target = _indices((5,), 4)
    target[:2] = [1, 2]
    check_parity(backend, lambda p, y: ol.cross_entropy(p, y, axis=-1, from_logits=False,
                                                        reduction="none"),
                 keras_peer(lambda p, y: keras.losses.categorical_crossentropy(
                     keras.ops.one_hot(y, 4, dtype=p.dtype), p)),
                 [raw, target])
    soft = _probabilities((5, 4), 1, dtype)
    check_parity(backend, lambda p, y: ol.cross_entropy(p, y, axis=-1, from_logits=False,
                                                        reduction="none"),
                 keras_peer(lambda p, y: keras.losses.categorical_crossentropy(y, p)),
                 [raw, soft], argnums=(0, 1))


# cross_entropy: stability


@pytest.mark.parametrize("dtype", DTYPES)
def test_cross_entropy_large_logits(backend, dtype):
    import torch.nn.functional as F

    logits = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4 - 1.5, 1e4], [1e4, 1e4, 1e4]], dtype=dtype)
    target = np.array([1, 1, 0])
    value = check_parity(backend, lambda x, y: ol.cross_entropy(x, y, reduction="none"),
                         torch_peer(F.cross_entropy, reduction="none"), [logits, target])
    assert np.all(np.isfinite(value))
    _, grads = _grad(backend, lambda x, y: ol.cross_entropy(x, y), [logits, target])
    assert np.all(np.isfinite(grads[0]))
    check_parity(backend, lambda x, y: ol.cross_entropy(x, y, label_smoothing=0.1),
                 torch_peer(F.cross_entropy, label_smoothing=0.1),
                 [logits, _probabilities((3, 3), 1, dtype)], argnums=(0, 1))


def _grad(backend, fn, args, argnums=(0,)):
    if not backend.has_grad:
        return None, [np.zeros(1)]
    return backend.value_and_grad(fn, args, argnums)


# nll_loss


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@pytest.mark.parametrize(("dtype", "reduction"), DTYPE_REDUCTION)
def test_nll_loss_matches_torch(backend, dtype, reduction, layout):
    import torch.nn.functional as F

    shape = LAYOUTS[layout]
    log_probs = np.log(_probabilities(shape, _class_axis(shape), dtype))
    target = _indices(_index_shape(shape), 5, ignored=1 if layout != "1d" else 0)
    for weight in (None, _weights(5, dtype)):
        args = [log_probs, target] + ([] if weight is None else [weight])
        check_parity(backend, lambda x, y, *w: ol.nll_loss(x, y, weight=w[0] if w else None,
                                                           reduction=reduction),
                     torch_peer(lambda x, y, *w: F.nll_loss(x, y, weight=w[0] if w else None,
                                                            reduction=reduction)), args)


def test_nll_loss_ignore_index_and_axis(backend):
    import torch
    import torch.nn.functional as F

    log_probs = np.log(_probabilities((4, 3, 6), -1, np.float64))
    target = _indices((4, 3), 6)
    target[0, 0] = 5
    check_parity(backend, lambda x, y: ol.nll_loss(x, y, axis=-1, ignore_index=5),
                 torch_peer(lambda x, y: F.nll_loss(torch.movedim(x, -1, 1), y,
                                                    ignore_index=5)),
                 [log_probs, target])
    everything = np.full((4, 3), 5)
    value = check_parity(backend, lambda x, y: ol.nll_loss(x, y, axis=-1, ignore_index=5),
                         torch_peer(lambda x, y: F.nll_loss(torch.movedim(x, -1, 1), y,
                                                            ignore_index=5)),
                         [log_probs, everything])
    assert np.isnan(value)


# linear_cross_entropy


LINEAR_CASES = {
    "indices": {},
    "bias_weight_ignore_smoothing": {"bias": True, "weight": True, "ignored": 2,
                                     "label_smoothing": 0.1},
    "probabilities": {"probabilities": True, "bias": True, "label_smoothing": 0.2},
    "probabilities_weight": {"probabilities": True, "weight": True},
}


@pytest.mark.parametrize(("case", "reduction", "chunk_size"), [
    *((case, reduction, chunk_size) for case in sorted(LINEAR_CASES) for reduction in REDUCTIONS
      for chunk_size in (None, 3)),
    *(("bias_weight_ignore_smoothing", "mean", chunk_size) for chunk_size in (1, 7, 100))])
def test_linear_cross_entropy_matches_torch(backend, case, reduction, chunk_size):
    import torch
    import torch.nn.functional as F

    options = LINEAR_CASES[case]
    n, features, n_classes = 7, 4, 6
    hidden = _logits((n, features), np.float64, scale=1.0)
    projection = _logits((n_classes, features), np.float64, seed=5, scale=1.0)
    bias = _logits((n_classes,), np.float64, seed=6) if options.get("bias") else None
    weight = _weights(n_classes, np.float64) if options.get("weight") else None
    target = (_probabilities((n, n_classes), 1, np.float64) if options.get("probabilities")
              else _indices((n,), n_classes, ignored=options.get("ignored", 0)))
    smoothing = options.get("label_smoothing", 0.0)
    args = [hidden, projection, target] + [a for a in (bias, weight) if a is not None]
    argnums = (0, 1, 2) if options.get("probabilities") else (0, 1)
    argnums = (*argnums, 3) if bias is not None else argnums

    def unpack(rest):
        rest = list(rest)
        return (rest.pop(0) if bias is not None else None,
                rest.pop(0) if weight is not None else None)

    def ours(x, w, y, *rest):
        b, cw = unpack(rest)
        return ol.linear_cross_entropy(x, w, y, linear_bias=b, weight=cw,
                                       label_smoothing=smoothing, chunk_size=chunk_size,
                                       reduction=reduction)

    def peer(x, w, y, *rest):
        b, cw = unpack(rest)
        return F.linear_cross_entropy(x, w, y, linear_bias=b, weight=cw,
                                      label_smoothing=smoothing, reduction=reduction)

    check_parity(backend, ours, torch_peer(peer), args, argnums=argnums)
    del torch


def test_linear_cross_entropy_matches_torch_chunked_path(backend):
    import torch
    import torch.nn.functional as F

    hidden = _logits((9, 4), np.float64, scale=1.0)
    projection = _logits((5, 4), np.float64, seed=5, scale=1.0)
    target = _indices((9,), 5, ignored=1)
    options = torch.nn.LinearCrossEntropyOptions(batch_chunk_size=4)
    check_parity(backend, lambda x, w, y: ol.linear_cross_entropy(x, w, y, chunk_size=4),
                 torch_peer(lambda x, w, y: F.linear_cross_entropy(x, w, y, options=options)),
                 [hidden, projection, target], argnums=(0, 1))


@pytest.mark.parametrize("chunk_size", [None, 2])
def test_linear_cross_entropy_k_dimensional_and_unbatched(backend, chunk_size):
    import torch.nn.functional as F

    hidden = _logits((5, 3), np.float64, scale=1.0)
    projection = _logits((4, 2, 3), np.float64, seed=5, scale=1.0)
    bias = _logits((4, 2), np.float64, seed=6)
    target = _indices((5, 2), 4, ignored=1)
    check_parity(backend,
                 lambda x, w, y, b: ol.linear_cross_entropy(x, w, y, linear_bias=b,
                                                            chunk_size=chunk_size),
                 torch_peer(lambda x, w, y, b: F.linear_cross_entropy(x, w, y, linear_bias=b)),
                 [hidden, projection, target, bias], argnums=(0, 1, 3))
    check_parity(backend,
                 lambda x, w, y: ol.linear_cross_entropy(x, w, y, chunk_size=chunk_size),
                 torch_peer(F.linear_cross_entropy),
                 [hidden[0], projection[:, 0], np.array(2)], argnums=(0, 1))


@pytest.mark.parametrize("dtype", DTYPES)
def test_linear_cross_entropy_float32_and_empty(backend, dtype):
    import torch.nn.functional as F

    hidden = _logits((6, 4), dtype, scale=1.0)
    projection = _logits((5, 4), dtype, seed=5, scale=1.0)
    target = _indices((6,), 5)
    check_parity(backend, lambda x, w, y: ol.linear_cross_entropy(x, w, y, chunk_size=4),
                 torch_peer(F.linear_cross_entropy), [hidden, projection, target],
                 argnums=(0, 1))
    check_parity(backend, lambda x, w, y: ol.linear_cross_entropy(x, w, y, chunk_size=4),
                 torch_peer(F.linear_cross_entropy),
                 [hidden[:0], projection, target[:0]], argnums=(0, 1))


# binary_cross_entropy


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_binary_cross_entropy_matches_torch(backend, dtype, reduction):
    import torch.nn.functional as F

    rng = _rng(7)
    p = rng.uniform(0.02, 0.98, size=(4, 3)).astype(dtype)
    y = rng.uniform(0.0, 1.0, size=(4, 3)).astype(dtype)
    check_parity(backend, lambda a, b: ol.binary_cross_entropy(a, b, reduction=reduction),
                 torch_peer(F.binary_cross_entropy, reduction=reduction), [p, y],
                 argnums=(0, 1))
    weight = _weights(3, dtype)
    check_parity(backend, lambda a, b, w: ol.binary_cross_entropy(a, b, weight=w,
                                                                  reduction=reduction),
                 torch_peer(lambda a, b, w: F.binary_cross_entropy(a, b, weight=w,
                                                                   reduction=reduction)),
                 [p, y, weight], argnums=(0, 1))


@pytest.mark.parametrize("dtype", DTYPES)
def test_binary_cross_entropy_clamps_like_torch(backend, dtype):
    """log >= -100 in the value, torch's 1e-12 floor of p(1 - p) in the input gradient."""
    import torch.nn.functional as F

    tiny = 1e-13 if dtype == np.float64 else 1e-30
    near_one = 1 - 1e-16 if dtype == np.float64 else 1 - 2**-24  # in the band in float64 only
    p = np.array([0.0, 0.0, 1.0, 1.0, tiny, tiny, near_one, 0.3, 1e-6, 0.5], dtype=dtype)
    y = np.array([1.0, 0.0, 0.0, 1.0, 1.0, 0.4, 1.0, 0.3, 0.0, 0.5], dtype=dtype)
    check_parity(backend, lambda a, b: ol.binary_cross_entropy(a, b, reduction="none"),
                 torch_peer(F.binary_cross_entropy, reduction="none"), [p, y])
    # Target gradient: torch's is -logit(p), unclamped (inf at p = 0 or 1); ours floors each
    # log at -100. They agree wherever no log is below -100.
    interior = slice(4, None)
    check_parity(backend, lambda a, b: ol.binary_cross_entropy(a, b, reduction="sum"),
                 torch_peer(F.binary_cross_entropy, reduction="sum"),
                 [p[interior], y[interior]], argnums=(1,))


def test_binary_cross_entropy_target_gradient_where_clamp_bites(grad_backend):
    import torch
    import torch.nn.functional as F

    p, y = np.array([0.0, 1.0]), np.array([0.5, 0.5])
    _, ours = grad_backend.value_and_grad(
        lambda a, b: ol.binary_cross_entropy(a, b, reduction="sum"), [p, y], (1,))
    assert_close(ours[0], [100.0, -100.0], rtol=0, atol=0, what="floored target gradient")
    pt, yt = torch.tensor(p), torch.tensor(y, requires_grad=True)
    F.binary_cross_entropy(pt, yt, reduction="sum").backward()
    assert np.all(np.isinf(yt.grad.numpy()))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy_edge_shapes(backend, reduction):
    import torch.nn.functional as F

    for shape in [(), (0,), (2, 0)]:
        p = np.full(shape, 0.3)
        check_parity(backend, lambda a, b: ol.binary_cross_entropy(a, b, reduction=reduction),
                     torch_peer(F.binary_cross_entropy, reduction=reduction),
                     [p, np.full(shape, 1.0)])


def test_binary_cross_entropy_integer_target(backend):
    import torch.nn.functional as F

    p = np.array([0.2, 0.7, 0.9])
    check_parity(backend, lambda a, b: ol.binary_cross_entropy(a, b),
                 torch_peer(lambda a, b: F.binary_cross_entropy(a, b.double())),
                 [p, np.array([0, 1, 1])])


# binary_cross_entropy_with_logits


BCE_LOGIT_OPTIONS = {"plain": (False, False), "weight": (True, False),
                     "pos_weight": (False, True), "both": (True, True)}


@pytest.mark.parametrize(("options", "dtype", "reduction"), [
    *((options, dtype, reduction) for options in sorted(BCE_LOGIT_OPTIONS)
      for dtype, reduction in ((np.float64, "mean"), (np.float32, "none"))),
    ("both", np.float64, "sum")])
def test_bce_with_logits_matches_torch(backend, dtype, reduction, options):
    import torch.nn.functional as F

    use_weight, use_pos_weight = BCE_LOGIT_OPTIONS[options]
    x = _logits((4, 3), dtype)
    y = _rng(8).uniform(0, 1, size=(4, 3)).astype(dtype)
    weight = _weights(3, dtype) if use_weight else None
    pos_weight = _weights(3, dtype, seed=9) if use_pos_weight else None
    extra = [a for a in (weight, pos_weight) if a is not None]

    def split(rest):
        rest = list(rest)
        return (rest.pop(0) if use_weight else None, rest.pop(0) if use_pos_weight else None)

    def ours(a, b, *rest):
        w, pw = split(rest)
        return ol.binary_cross_entropy_with_logits(a, b, weight=w, pos_weight=pw,
                                                   reduction=reduction)

    def peer(a, b, *rest):
        w, pw = split(rest)
        return F.binary_cross_entropy_with_logits(a, b, weight=w, pos_weight=pw,
                                                  reduction=reduction)

    check_parity(backend, ours, torch_peer(peer), [x, y, *extra], argnums=(0, 1))


@pytest.mark.parametrize("dtype", DTYPES)
def test_bce_with_logits_matches_tf_nn(backend, dtype):
    import tensorflow as tf

    x = np.concatenate([_logits((6,), dtype), np.array([1e4, -1e4], dtype=dtype)])
    y = _rng(8).uniform(0, 1, size=8).astype(dtype)
    check_parity(backend,
                 lambda a, b: ol.binary_cross_entropy_with_logits(a, b, reduction="none"),
                 tf_peer(lambda a, b: tf.nn.sigmoid_cross_entropy_with_logits(labels=b,
                                                                             logits=a)),
                 [x, y], argnums=(0, 1))
    pos_weight = np.array(2.5, dtype=dtype)
    check_parity(backend,
                 lambda a, b, pw: ol.binary_cross_entropy_with_logits(a, b, pos_weight=pw,
                                                                      reduction="none"),
                 tf_peer(lambda a, b, pw: tf.nn.weighted_cross_entropy_with_logits(
                     labels=b, logits=a, pos_weight=pw)),
                 [x, y, pos_weight], argnums=(0, 1))


@pytest.mark.parametrize("dtype", DTYPES)
def test_bce_with_logits_large_logits(backend, dtype):
    import torch.nn.functional as F

    x = np.array([1e4, -1e4, 1e4, -1e4, 0.0], dtype=dtype)
    y = np.array([1.0, 1.0, 0.0, 0.0, 0.5], dtype=dtype)
    value = check_parity(
        backend, lambda a, b, pw: ol.binary_cross_entropy_with_logits(
            a, b, pos_weight=pw, reduction="none"),
        torch_peer(lambda a, b, pw: F.binary_cross_entropy_with_logits(
            a, b, pos_weight=pw, reduction="none")),
        [x, y, np.array([3.0], dtype=dtype)], argnums=(0, 1))
    assert np.all(np.isfinite(value))


# kl_div


@pytest.mark.parametrize("log_target", [False, True])
@pytest.mark.parametrize(("dtype", "reduction"), [
    *((np.float64, r) for r in ("mean", "batchmean", "sum", "none")), (np.float32, "batchmean")])
def test_kl_div_matches_torch(backend, dtype, reduction, log_target):
    import torch.nn.functional as F

    log_q = np.log(_probabilities((4, 5), 1, dtype))
    p = _probabilities((4, 5), 1, dtype, seed=5)
    target = np.log(p) if log_target else p
    check_parity(backend, lambda a, b: ol.kl_div(a, b, log_target=log_target,
                                                 reduction=reduction),
                 torch_peer(F.kl_div, log_target=log_target, reduction=reduction),
                 [log_q, target], argnums=(0, 1))


def test_kl_div_zero_target_and_shapes(backend):
    import torch.nn.functional as F

    log_q = np.log(_probabilities((3, 4), 1, np.float64))
    p = np.array([[0.0, 0.5, 0.5, 0.0], [1.0, 0.0, 0.0, 0.0], [0.25, 0.25, 0.25, 0.25]])
    for reduction in ("batchmean", "none"):
        check_parity(backend, lambda a, b, r=reduction: ol.kl_div(a, b, reduction=r),
                     torch_peer(F.kl_div, reduction=reduction), [log_q, p])
    for shape in [(), (0, 3)]:
        check_parity(backend, lambda a, b: ol.kl_div(a, b, reduction="batchmean"),
                     torch_peer(F.kl_div, reduction="batchmean"),
                     [np.full(shape, -1.0), np.full(shape, 0.5)], argnums=(0, 1))


# js_divergence


def _torch_js(p, q, axis=-1, reduction="mean"):
    """Jensen-Shannon from its definition: (KL(p || m) + KL(q || m)) / 2, m = (p + q) / 2."""
    import torch

    m = (p + q) / 2
    kl_pm = torch.sum(torch.xlogy(p, p) - torch.xlogy(p, m), dim=axis)
    kl_qm = torch.sum(torch.xlogy(q, q) - torch.xlogy(q, m), dim=axis)
    js = (kl_pm + kl_qm) / 2
    return {"mean": js.mean, "sum": js.sum, "none": lambda: js}[reduction]()


@pytest.mark.parametrize(("dtype", "reduction"), DTYPE_REDUCTION)
def test_js_divergence_matches_definition(backend, dtype, reduction):
    p = _probabilities((4, 3, 5), -1, dtype)
    q = _probabilities((4, 3, 5), -1, dtype, seed=6)
    check_parity(backend, lambda a, b: ol.js_divergence(a, b, reduction=reduction),
                 torch_peer(_torch_js, reduction=reduction), [p, q], argnums=(0, 1))
    check_parity(backend, lambda a, b: ol.js_divergence(a, b, axis=1, reduction=reduction),
                 torch_peer(_torch_js, axis=1, reduction=reduction),
                 [np.swapaxes(p, 1, 2).copy(), np.swapaxes(q, 1, 2).copy()], argnums=(0, 1))


def test_js_divergence_bounds_and_zeros(backend):
    p = np.array([[1.0, 0.0], [0.5, 0.5], [0.3, 0.7]])
    q = np.array([[0.0, 1.0], [0.5, 0.5], [0.7, 0.3]])
    value = check_parity(backend, lambda a, b: ol.js_divergence(a, b, reduction="none"),
                         torch_peer(_torch_js, reduction="none"), [p, q], argnums=())
    assert_close(value[:2], [np.log(2.0), 0.0], rtol=1e-12, atol=1e-15, what="JS bounds")
    swapped = backend.to_numpy(ol.js_divergence(backend.asarray(q), backend.asarray(p),
                                                reduction="none"))
    assert_close(swapped, value, rtol=1e-12, atol=0, what="JS symmetry")


# sigmoid_focal_loss


def _torchvision_sigmoid_focal_loss(inputs, targets, alpha=0.25, gamma=2.0, reduction="none"):
    """torchvision.ops.sigmoid_focal_loss (torchvision 0.29, torchvision/ops/focal_loss.py),
    transcribed because torchvision cannot be installed here."""
    import torch
    import torch.nn.functional as F

    p = torch.sigmoid(inputs)
    ce_loss = F.binary_cross_entropy_with_logits(inputs, targets, reduction="none")
    p_t = p * targets + (1 - p) * (1 - targets)
    loss = ce_loss * ((1 - p_t) ** gamma)
    if alpha >= 0:
        alpha_t = alpha * targets + (1 - alpha) * (1 - targets)
        loss = alpha_t * loss
    if reduction == "mean":
        loss = loss.mean()
    elif reduction == "sum":
        loss = loss.sum()
    return loss


@pytest.mark.parametrize(("dtype", "reduction", "gamma", "alpha"), [
    *((np.float64, "mean", gamma, alpha) for gamma in (0.0, 0.5, 2.0) for alpha in (0.25, -1.0)),
    (np.float64, "sum", 2.0, 0.25), (np.float64, "none", 2.0, 0.25),
    (np.float32, "mean", 0.5, 0.25), (np.float32, "none", 2.0, -1.0)])
def test_sigmoid_focal_loss_matches_torchvision(backend, dtype, reduction, gamma, alpha):
    x = _logits((4, 3), dtype, scale=1.5)
    hard = (_rng(9).uniform(size=(4, 3)) > 0.5).astype(dtype)
    soft = _rng(10).uniform(size=(4, 3)).astype(dtype)
    for target in (hard, soft):
        check_parity(backend, lambda a, b: ol.sigmoid_focal_loss(a, b, alpha=alpha,
                                                                 gamma=gamma,
                                                                 reduction=reduction),
                     torch_peer(_torchvision_sigmoid_focal_loss, alpha=alpha, gamma=gamma,
                                reduction=reduction),
                     [x, target], argnums=(0, 1), rtol=1e-9 if dtype == np.float64 else 2e-5)


@pytest.mark.parametrize("gamma", [0.0, 0.5, 2.0])
@pytest.mark.parametrize("dtype", DTYPES)
def test_sigmoid_focal_loss_confident_predictions_stay_finite(backend, dtype, gamma):
    """torchvision gives NaN gradients at gamma < 1 when 1 - p_t rounds to 0; we stay finite
    and keep torchvision's values."""
    x = np.array([1e4, -1e4, 1e4, -1e4, 40.0, 120.0, 0.0], dtype=dtype)
    y = np.array([1.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0], dtype=dtype)
    value = check_parity(backend, lambda a, b: ol.sigmoid_focal_loss(a, b, gamma=gamma,
                                                                     reduction="none"),
                         torch_peer(_torchvision_sigmoid_focal_loss, gamma=gamma), [x, y],
                         argnums=())
    assert np.all(np.isfinite(value))
    if backend.has_grad:
        _, grads = backend.value_and_grad(lambda a, b: ol.sigmoid_focal_loss(a, b, gamma=gamma),
                                          [x, y], (0,))
        assert np.all(np.isfinite(grads[0]))
        # Wrong confident predictions push back with torchvision's slope, alpha_t * 1.
        assert_close(grads[0][[2, 3]] * x.size, [0.75, -0.25], rtol=1e-6, atol=0,
                     what="gradient of a confident mistake")


# softmax_focal_loss


def _torch_softmax_focal(x, y, axis=1, alpha=None, gamma=2.0, weight=None, ignore_index=-100,
                         reduction="mean"):
    """Lin et al. 2017, multi-class, written in torch with class-index targets."""
    import torch

    log_p = torch.log_softmax(x, dim=axis)
    valid = y != ignore_index
    safe = torch.where(valid, y, torch.zeros_like(y))
    log_pt = torch.gather(log_p, axis, safe.unsqueeze(axis)).squeeze(axis)
    w = torch.ones_like(log_pt) if weight is None else weight[safe]
    a = 1.0 if alpha is None else (alpha[safe] if torch.is_tensor(alpha) else alpha)
    loss = -a * w * (1 - log_pt.exp()) ** gamma * log_pt
    loss = torch.where(valid, loss, torch.zeros_like(loss))
    w = torch.where(valid, w, torch.zeros_like(w))
    return {"mean": lambda: loss.sum() / w.sum(), "sum": loss.sum, "none": lambda: loss}[
        reduction]()


SOFTMAX_FOCAL_OPTIONS = {
    "plain": {},
    "alpha_float": {"alpha": 0.25},
    "alpha_per_class": {"alpha": "array"},
    "weight_ignore": {"weight": True, "ignored": 2},
    "all": {"alpha": "array", "weight": True, "ignored": 1},
}


@pytest.mark.parametrize(("option_set", "gamma", "reduction"), [
    *((option_set, 2.0, "mean") for option_set in sorted(SOFTMAX_FOCAL_OPTIONS)),
    ("all", 0.0, "mean"), ("all", 0.5, "mean"), ("all", 0.5, "sum"), ("all", 2.0, "none")])
def test_softmax_focal_loss_indices_match_definition(backend, reduction, gamma, option_set):
    import torch

    options = SOFTMAX_FOCAL_OPTIONS[option_set]
    logits = _logits((4, 5, 3), np.float64)
    target = _indices((4, 3), 5, ignored=options.get("ignored", 0))
    alpha_array = _weights(5, np.float64, seed=11)
    weight = _weights(5, np.float64) if options.get("weight") else None

    def alpha_for(convert):
        alpha = options.get("alpha")
        return convert(alpha_array) if alpha == "array" else alpha

    def ours(x, y):
        return ol.softmax_focal_loss(
            x, y, alpha=alpha_for(backend.asarray), gamma=gamma, reduction=reduction,
            weight=None if weight is None else backend.asarray(weight))

    def peer(x, y):
        return _torch_softmax_focal(
            x, y, alpha=alpha_for(torch.from_numpy), gamma=gamma, reduction=reduction,
            weight=None if weight is None else torch.from_numpy(weight))

    check_parity(backend, ours, torch_peer(peer), [logits, target])


@pytest.mark.parametrize("gamma", [0.0, 0.5, 2.0])
@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_focal_loss_matches_keras(backend, dtype, gamma):
    import keras

    logits = _logits((4, 3, 5), dtype, scale=1.0)
    soft = _probabilities((4, 3, 5), -1, dtype)
    check_parity(backend, lambda x, y: ol.softmax_focal_loss(x, y, axis=-1, alpha=0.25,
                                                             gamma=gamma, reduction="none"),
                 keras_peer(lambda x, y: keras.losses.categorical_focal_crossentropy(
                     y, x, alpha=0.25, gamma=gamma, from_logits=True)),
                 [logits, soft], argnums=(0, 1), rtol=1e-5 if dtype == np.float64 else 1e-4,
                 atol=1e-7 if dtype == np.float64 else 1e-5)
    target = _indices((4, 3), 5)
    check_parity(backend, lambda x, y: ol.softmax_focal_loss(x, y, axis=-1, alpha=0.25,
                                                             gamma=gamma, reduction="none"),
                 keras_peer(lambda x, y: keras.losses.categorical_focal_crossentropy(
                     keras.ops.one_hot(y, 5, dtype=x.dtype), x, alpha=0.25, gamma=gamma,
                     from_logits=True)),
                 [logits, target], rtol=1e-5 if dtype == np.float64 else 1e-4,
                 atol=1e-7 if dtype == np.float64 else 1e-5)


def test_softmax_focal_loss_probabilities_weight_alpha(backend):
    import torch

    logits = _logits((4, 5), np.float64)
    soft = _probabilities((4, 5), 1, np.float64)
    weight, alpha = _weights(5, np.float64), _weights(5, np.float64, seed=11)

    def peer(x, t, w, a):
        p = torch.softmax(x, dim=1)
        return torch.mean(-torch.sum(a * w * t * (1 - p) ** 2 * torch.log(p), dim=1))

    check_parity(backend, lambda x, t, w, a: ol.softmax_focal_loss(x, t, weight=w, alpha=a),
                 torch_peer(peer), [logits, soft, weight, alpha], argnums=(0, 1))


@pytest.mark.parametrize("gamma", [0.0, 0.5, 2.0])
@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_focal_loss_confident_predictions_stay_finite(backend, dtype, gamma):
    logits = np.array([[1e4, -1e4, 0.0], [60.0, 0.0, 0.0], [0.0, 1e4, 0.0]], dtype=dtype)
    target = np.array([0, 1, 0])
    value = check_parity(backend, lambda x, y: ol.softmax_focal_loss(x, y, gamma=gamma,
                                                                     reduction="none"),
                         None, [logits, target])
    # Row 2 is a confident mistake: (1 - p_t) is 1 and the loss is the cross-entropy, 60 and
    # 1e4 (keras clips it to 16.1 and 4.03 with alpha 0.25).
    assert_close(value[1:], [60.0, 1e4], rtol=1e-6, atol=0, what="confident mistakes")
    assert value[0] == 0.0
    if backend.has_grad:
        _, grads = backend.value_and_grad(
            lambda x, y: ol.softmax_focal_loss(x, y, gamma=gamma), [logits, target], (0,))
        assert np.all(np.isfinite(grads[0]))


# poly1_cross_entropy


def _optax_poly(axis, epsilon, reduction, index):
    def peer(x, y):
        import jax
        import jax.numpy as jnp
        import optax

        x = jnp.moveaxis(x, axis, -1)
        labels = jax.nn.one_hot(y, x.shape[-1], dtype=x.dtype) if index else jnp.moveaxis(
            y, axis, -1)
        loss = optax.losses.poly_loss_cross_entropy(x, labels, epsilon=epsilon)
        return {"mean": jnp.mean, "sum": jnp.sum, "none": lambda v: v}[reduction](loss)

    return peer


@pytest.mark.parametrize(("dtype", "reduction", "epsilon"), [
    *((np.float64, reduction, 2.0) for reduction in REDUCTIONS), (np.float64, "mean", -1.0),
    (np.float32, "mean", 2.0)])
def test_poly1_cross_entropy_matches_optax(backend, dtype, reduction, epsilon):
    logits = _logits((4, 5, 3), dtype)
    target = _indices((4, 3), 5)
    check_parity(backend, lambda x, y: ol.poly1_cross_entropy(x, y, epsilon=epsilon,
                                                              reduction=reduction),
                 jax_peer(_optax_poly(1, epsilon, reduction, True)), [logits, target])
    soft = _probabilities((4, 5, 3), 1, dtype)
    check_parity(backend, lambda x, y: ol.poly1_cross_entropy(x, y, epsilon=epsilon,
                                                              reduction=reduction),
                 jax_peer(_optax_poly(1, epsilon, reduction, False)), [logits, soft],
                 argnums=(0, 1))


def test_poly1_cross_entropy_axis_last_and_1d(backend):
    logits = _logits((6, 4), np.float64)
    target = _indices((6,), 4)
    check_parity(backend, lambda x, y: ol.poly1_cross_entropy(x, y, axis=-1),
                 jax_peer(_optax_poly(-1, 2.0, "mean", True)), [logits, target])
    check_parity(backend, lambda x, y: ol.poly1_cross_entropy(x, y),
                 jax_peer(_optax_poly(0, 2.0, "mean", True)), [logits[0], np.array(target[0])])


# binary_focal_cross_entropy


def _keras_binary_focal(mean=False, **options):
    def peer(p, y):
        import keras
        import tensorflow as tf

        loss = keras.losses.binary_focal_crossentropy(y, p, **options)  # mean over axis -1
        return tf.reduce_mean(loss) if mean else loss

    return peer


def _per_sample_focal(**options):
    def ours(p, y):
        loss = ol.binary_focal_cross_entropy(p, y, reduction="none", **options)
        return ol.get_namespace(loss).mean(loss, axis=-1)

    return ours


def _focal_probabilities(dtype):
    p = _rng(8).uniform(0.05, 0.95, size=(5, 4))
    p[0, :3] = [0.0, 1.0, 1e-9]  # the clip to [1e-7, 1 - 1e-7] bites inside the logs
    return [p.astype(dtype), _rng(9).uniform(size=(5, 4)).astype(dtype)]


@pytest.mark.parametrize(("dtype", "options"), [
    (np.float64, {}),
    (np.float64, {"apply_class_balancing": True, "alpha": 0.4, "gamma": 1.5,
                  "label_smoothing": 0.1}),
    (np.float64, {"gamma": 0.0}),
    (np.float32, {"apply_class_balancing": True})], ids=str)
def test_binary_focal_cross_entropy_matches_keras(backend, dtype, options):
    args = _focal_probabilities(dtype)
    # keras's gradient at p = 0 or 1 is its clip's (0 through the logs) plus the factor's
    check_parity(backend, _per_sample_focal(**options), keras_peer(_keras_binary_focal(**options)),
                 args, argnums=(0, 1))
    check_parity(backend, lambda p, y: ol.binary_focal_cross_entropy(p, y, **options),
                 keras_peer(_keras_binary_focal(mean=True, **options)), args)


@pytest.mark.parametrize("options", [{}, {"apply_class_balancing": True, "gamma": 0.5,
                                          "label_smoothing": 0.2}], ids=str)
def test_binary_focal_cross_entropy_from_logits_matches_keras(backend, options):
    """Logits where keras's sigmoid-then-clip does not bite (``|x| < 16``)."""
    check_parity(backend, _per_sample_focal(from_logits=True, **options),
                 keras_peer(_keras_binary_focal(from_logits=True, **options)),
                 [_logits((5, 4), np.float64), _rng(9).uniform(size=(5, 4))], argnums=(0, 1))


def test_binary_focal_cross_entropy_from_logits_is_sigmoid_focal_loss(backend):
    """One focal term: the balanced logit form is torchvision's, exact at extreme logits where
    keras's clip gives ``-log(1e-7) = 16.1`` times the factor instead of the true 1e4."""
    logits = np.array([[1e4, -1e4, 40.0, -3.0], [0.5, -40.0, 2.0, 1e4]])
    target = np.array([[0.0, 1.0, 0.0, 1.0], [1.0, 1.0, 0.3, 1.0]])
    value = check_parity(
        backend, lambda x, y: ol.binary_focal_cross_entropy(
            x, y, from_logits=True, apply_class_balancing=True, reduction="none"),
        torch_peer(_torchvision_sigmoid_focal_loss), [logits, target], argnums=(0, 1))
    assert value[0, 0] == pytest.approx(0.75 * 1e4)


# generalized_cross_entropy


def _keras_gce(axis, q, reduction, from_logits=False):
    def peer(x, y):
        import keras
        import tensorflow as tf

        x = tf.experimental.numpy.moveaxis(x, axis, -1)
        probs = tf.nn.softmax(x, axis=-1) if from_logits else x
        loss = keras.losses.categorical_generalized_cross_entropy(y, probs, q)
        return {"mean": tf.reduce_mean, "sum": tf.reduce_sum, "none": lambda v: v}[reduction](
            loss)

    return peer


@pytest.mark.parametrize(("dtype", "reduction", "q"), [
    *((np.float64, reduction, 0.5) for reduction in REDUCTIONS), (np.float64, "mean", 1.0),
    (np.float32, "mean", 0.3)])
def test_generalized_cross_entropy_matches_keras(backend, dtype, reduction, q):
    probs = _probabilities((6, 5), 1, dtype)
    check_parity(backend, lambda p, y: ol.generalized_cross_entropy(p, y, q=q,
                                                                    reduction=reduction),
                 keras_peer(_keras_gce(1, q, reduction)), [probs, _indices((6,), 5)])


def test_generalized_cross_entropy_class_axis_and_logits(backend):
    probs = _probabilities((3, 5, 2, 2), 1, np.float64)
    target = _indices((3, 2, 2), 5)
    check_parity(backend, lambda p, y: ol.generalized_cross_entropy(p, y, reduction="none"),
                 keras_peer(_keras_gce(1, 0.5, "none")), [probs, target])
    check_parity(backend, lambda x, y: ol.generalized_cross_entropy(x, y, q=0.3, axis=-1,
                                                                    from_logits=True),
                 keras_peer(_keras_gce(-1, 0.3, "mean", from_logits=True)),
                 [_logits((6, 5), np.float64), _indices((6,), 5)])


def test_generalized_cross_entropy_is_finite_at_extreme_logits(backend):
    # log p[y] = -2e4 and 0: the loss is (1 - exp(-2e4 * q)) / q = 1 / q and 0.
    logits = np.array([[1e4, -1e4, 0.0], [1e4, -1e4, 0.0]])
    target = np.array([1, 0])
    value = check_parity(backend, lambda x, y: ol.generalized_cross_entropy(
        x, y, q=0.5, from_logits=True, reduction="none"), None, [logits, target])
    assert_close(value, [2.0, 0.0], rtol=1e-12, atol=0, what="extreme logits")
    if backend.has_grad:
        _, grads = backend.value_and_grad(
            lambda x, y: ol.generalized_cross_entropy(x, y, from_logits=True),
            [logits, target], (0,))
        assert np.all(np.isfinite(grads[0]))


def test_generalized_cross_entropy_bad_options(backend):
    x = backend.asarray(_probabilities((4, 3), 1, np.float64))
    y = backend.asarray(_indices((4,), 3))
    name = "generalized_cross_entropy"
    for bad in (0.0, 1.5, -0.5, float("nan")):
        assert_raises_named(ValueError, name, "q",
                            lambda q=bad: ol.generalized_cross_entropy(x, y, q=q))
    assert_raises_named(TypeError, name, "q", lambda: ol.generalized_cross_entropy(x, y, q="1"))
    assert_raises_named(TypeError, name, "from_logits",
                        lambda: ol.generalized_cross_entropy(x, y, from_logits=1))
    assert_raises_named(ValueError, name, "target", lambda: ol.generalized_cross_entropy(
        x, backend.asarray(_probabilities((4, 3), 1, np.float64))))
    assert_raises_named(TypeError, name, "target", lambda: ol.generalized_cross_entropy(
        x, backend.asarray(np.array([0.0, 1.0, 2.0, 1.0]))))


# distillation_loss


def _torch_distillation(student, teacher, temperature=1.0, axis=1, reduction="batchmean"):
    """Hinton et al. 2015 in the usual torch recipe."""
    import torch.nn.functional as F

    return temperature**2 * F.kl_div(F.log_softmax(student / temperature, dim=axis),
                                     F.softmax(teacher / temperature, dim=axis),
                                     reduction=reduction)


@pytest.mark.parametrize(("dtype", "reduction", "temperature"), [
    *((np.float64, reduction, 4.0) for reduction in ("batchmean", "mean", "sum", "none")),
    (np.float64, "batchmean", 1.0), (np.float32, "batchmean", 4.0)])
def test_distillation_loss_matches_recipe(backend, dtype, reduction, temperature):
    student, teacher = _logits((4, 5, 2), dtype), _logits((4, 5, 2), dtype, seed=12)
    check_parity(backend, lambda s, t: ol.distillation_loss(s, t, temperature=temperature,
                                                            reduction=reduction),
                 torch_peer(_torch_distillation, temperature=temperature, reduction=reduction),
                 [student, teacher], argnums=(0, 1))


def test_distillation_loss_axis_and_large_logits(backend):
    """Teacher probabilities that underflow to 0: torch's xlogy gives the teacher a NaN
    gradient there (0 / 0); ours is 0, so only the student's gradient is compared."""
    student = np.array([[1e4, 0.0], [-1e4, 1.0], [0.0, 2.0]])  # classes along axis 0
    teacher = np.array([[-1e4, 2.0], [1e4, 1.0], [0.0, 0.0]])
    fn = lambda s, t: ol.distillation_loss(s, t, axis=0, reduction="sum")  # noqa: E731
    value = check_parity(backend, fn,
                         torch_peer(lambda s, t: _torch_distillation(s.T, t.T, reduction="sum")),
                         [student, teacher])
    assert np.isfinite(value)
    if backend.has_grad:
        _, grads = backend.value_and_grad(fn, [student, teacher], (1,))
        assert np.all(np.isfinite(grads[0]))


# zero_one_loss


def _zero_one_reference(scores, target, axis=1, reduction="mean"):
    if scores.shape == target.shape:
        wrong = np.where(target > 0, scores <= 0, scores >= 0)
    else:
        wrong = np.argmax(scores, axis=axis) != target
    wrong = wrong.astype(scores.dtype)
    return {"mean": np.mean, "sum": np.sum, "none": lambda v: v}[reduction](wrong)


@pytest.mark.parametrize(("dtype", "reduction"), DTYPE_REDUCTION)
def test_zero_one_loss_multiclass(backend, dtype, reduction):
    scores = _logits((6, 4, 2), dtype)
    scores[0, :, 0] = [1.0, 3.0, 3.0, 0.0]  # a tie: argmax takes the first
    target = _indices((6, 2), 4)
    target[0, 0] = 2
    value = check_parity(backend, lambda s, y: ol.zero_one_loss(s, y, reduction=reduction),
                         numpy_peer(_zero_one_reference, reduction=reduction),
                         [scores, target], argnums=())
    check_parity(backend, lambda s, y: ol.zero_one_loss(s, y, axis=-1, reduction=reduction),
                 numpy_peer(_zero_one_reference, axis=-1, reduction=reduction),
                 [np.moveaxis(scores, 1, -1).copy(), target], argnums=())
    if reduction == "none":
        assert value[0, 0] == 1.0


@pytest.mark.parametrize("labels", ["pm1", "01", "int01"])
def test_zero_one_loss_binary(backend, labels):
    scores = np.array([2.0, -1.0, 0.0, 0.0, -3.0, 0.5])
    positive = np.array([True, True, True, False, False, False])
    target = {"pm1": np.where(positive, 1.0, -1.0), "01": positive.astype(np.float64),
              "int01": positive.astype(np.int64)}[labels]
    value = check_parity(backend, lambda s, y: ol.zero_one_loss(s, y, reduction="none"),
                         numpy_peer(_zero_one_reference, reduction="none"), [scores, target],
                         argnums=())
    assert_close(value, [0, 1, 1, 1, 0, 1], rtol=0, atol=0, what="binary errors")


@pytest.mark.uses("torch")
def test_zero_one_loss_has_no_gradient():
    import torch

    scores = torch.tensor([[1.0, 2.0]], requires_grad=True)
    assert not ol.zero_one_loss(scores, torch.tensor([0])).requires_grad


# exponential_loss and logistic_loss


def _torch_exponential(f, y, reduction="mean"):
    import torch

    loss = torch.exp(-y * f)
    return {"mean": loss.mean, "sum": loss.sum, "none": lambda: loss}[reduction]()


@pytest.mark.parametrize(("dtype", "reduction"), DTYPE_REDUCTION)
def test_exponential_loss_matches_formula(backend, dtype, reduction):
    f = _logits((4, 3), dtype)
    y = np.where(_rng(13).uniform(size=(4, 3)) > 0.5, 1.0, -1.0).astype(dtype)
    check_parity(backend, lambda a, b: ol.exponential_loss(a, b, reduction=reduction),
                 torch_peer(_torch_exponential, reduction=reduction), [f, y], argnums=(0, 1))
    check_parity(backend, lambda a, b: ol.exponential_loss(a, b, reduction=reduction),
                 torch_peer(lambda a, b: _torch_exponential(a, b.to(a.dtype), reduction)),
                 [f, y.astype(np.int64)])


@pytest.mark.parametrize(("dtype", "reduction"), DTYPE_REDUCTION)
def test_logistic_loss_matches_soft_margin(backend, dtype, reduction):
    import torch.nn.functional as F

    f = _logits((4, 3), dtype)
    y = np.where(_rng(13).uniform(size=(4, 3)) > 0.5, 1.0, -1.0).astype(dtype)
    check_parity(backend, lambda a, b: ol.logistic_loss(a, b, reduction=reduction),
                 torch_peer(F.soft_margin_loss, reduction=reduction), [f, y])


@pytest.mark.parametrize("dtype", DTYPES)
def test_logistic_loss_large_margins(backend, dtype):
    """soft_margin_loss overflows to inf at margin -1e4; softplus gives 1e4 and gradient -1."""
    import torch.nn.functional as F

    f = np.array([1e4, -1e4, 1e4, 0.0], dtype=dtype)
    y = np.array([1.0, 1.0, -1.0, -1.0], dtype=dtype)
    check_parity(backend, lambda a, b: ol.logistic_loss(a, b, reduction="none"),
                 torch_peer(lambda a, b: F.softplus(-a * b, threshold=40.0)), [f, y],
                 argnums=(0, 1))


# Tracing: one check per function


TRACE_CASES = {
    "binary_cross_entropy": (lambda p, y: ol.binary_cross_entropy(p, y),
                             [np.array([0.0, 0.3, 1.0]), np.array([1.0, 0.5, 0.0])]),
    "binary_cross_entropy_with_logits": (
        lambda x, y, pw: ol.binary_cross_entropy_with_logits(x, y, pos_weight=pw),
        [np.array([1e4, 0.3, -2.0]), np.array([1.0, 0.5, 0.0]), np.array([2.0])]),
    "cross_entropy": (lambda x, y, w: ol.cross_entropy(x, y, weight=w, label_smoothing=0.1),
                      [_logits((4, 3, 2), np.float64), _indices((4, 2), 3, ignored=1),
                       _weights(3, np.float64)]),
    "linear_cross_entropy": (
        lambda x, w, y: ol.linear_cross_entropy(x, w, y, chunk_size=3),
        [_logits((7, 4), np.float64), _logits((5, 4), np.float64, seed=5),
         _indices((7,), 5, ignored=1)]),
    "nll_loss": (lambda x, y: ol.nll_loss(x, y),
                 [np.log(_probabilities((4, 3), 1, np.float64)), _indices((4,), 3)]),
    "kl_div": (lambda x, y: ol.kl_div(x, y, reduction="batchmean"),
               [np.log(_probabilities((4, 3), 1, np.float64)),
                _probabilities((4, 3), 1, np.float64, seed=4)]),
    "js_divergence": (lambda p, q: ol.js_divergence(p, q),
                      [_probabilities((4, 3), 1, np.float64),
                       _probabilities((4, 3), 1, np.float64, seed=4)]),
    "binary_focal_cross_entropy": (
        lambda x, y: ol.binary_focal_cross_entropy(x, y, gamma=0.5, label_smoothing=0.1,
                                                   apply_class_balancing=True),
        _focal_probabilities(np.float64)),
    "sigmoid_focal_loss": (lambda x, y: ol.sigmoid_focal_loss(x, y, gamma=0.5),
                           [np.array([1e4, 0.3, -2.0]), np.array([1.0, 0.5, 0.0])]),
    "softmax_focal_loss": (lambda x, y: ol.softmax_focal_loss(x, y, ignore_index=0),
                           [_logits((4, 3), np.float64), _indices((4,), 3)]),
    "poly1_cross_entropy": (lambda x, y: ol.poly1_cross_entropy(x, y),
                            [_logits((4, 3), np.float64), _indices((4,), 3)]),
    "generalized_cross_entropy": (
        lambda x, y: ol.generalized_cross_entropy(x, y, from_logits=True),
        [_logits((4, 3), np.float64), _indices((4,), 3)]),
    "distillation_loss": (lambda s, t: ol.distillation_loss(s, t, temperature=2.0),
                          [_logits((4, 3), np.float64), _logits((4, 3), np.float64, seed=7)]),
    "zero_one_loss": (lambda s, y: ol.zero_one_loss(s, y),
                      [_logits((4, 3), np.float64), _indices((4,), 3)]),
    "exponential_loss": (lambda f, y: ol.exponential_loss(f, y),
                         [_logits((4,), np.float64), np.array([1.0, -1.0, 1.0, -1.0])]),
    "logistic_loss": (lambda f, y: ol.logistic_loss(f, y),
                      [_logits((4,), np.float64), np.array([1.0, -1.0, 1.0, -1.0])]),
    "generalized_kl_divergence": (lambda x, t: ol.generalized_kl_divergence(x, t),
                                  [_logits((4, 3), np.float64, scale=1.0),
                                   _probabilities((4, 3), 1, np.float64)]),
    "sparsemax_loss": (lambda x, y: ol.sparsemax_loss(x, y),
                       [_logits((4, 3), np.float64), np.array([[1.0, 0.0, 1.0]] * 4)]),
    "multiclass_sparsemax_loss": (lambda x, y: ol.multiclass_sparsemax_loss(x, y),
                                  [_logits((4, 3), np.float64), _indices((4,), 3)]),
    "smooth_labels": (lambda t: ol.smooth_labels(t, 0.1),
                      [_probabilities((4, 3), 1, np.float64)]),
    "fenchel_young_loss": (lambda x, t: ol.fenchel_young_loss(x, t, kind="sparsemax"),
                           [_logits((4, 3), np.float64), _probabilities((4, 3), 1, np.float64)]),
}


@pytest.mark.parametrize("name", sorted(TRACE_CASES))
def test_traced(tracing_backend, name):
    fn, args = TRACE_CASES[name]
    check_traced(tracing_backend, fn, args)


@pytest.mark.backend_independent
def test_every_function_is_covered():
    assert sorted(TRACE_CASES) == sorted(ol.classification.__all__)


# Bad inputs


@pytest.mark.parametrize("name", ["cross_entropy", "softmax_focal_loss", "poly1_cross_entropy",
                                  "generalized_cross_entropy"])
def test_multiclass_bad_inputs(backend, name):
    fn = getattr(ol, name)
    x = backend.asarray(_logits((4, 3), np.float64))
    y = backend.asarray(_indices((4,), 3))
    row, label = backend.asarray(np.zeros(3)), backend.asarray(np.array(1))
    assert_raises_named(ValueError, name, "target",
                        lambda: fn(x, backend.asarray(_indices((4, 2), 3))))
    assert_raises_named(TypeError, name, "target",
                        lambda: fn(x, backend.asarray(np.array([0.0, 1.0, 2.0, 1.0]))))
    assert_raises_named(ValueError, name, "target",
                        lambda: fn(x, backend.asarray(np.ones((4, 2)))))
    assert_raises_named(TypeError, name, "target",
                        lambda: fn(x, backend.asarray(np.ones((4,), dtype=bool))))
    assert_raises_named(ValueError, name, "reduction", lambda: fn(x, y, reduction="avg"))
    assert_raises_named(ValueError, name, "axis", lambda: fn(x, y, axis=2))
    assert_raises_named(ValueError, name, "axis", lambda: fn(row, label, axis=3))
    assert_raises_named(TypeError, name, "input",
                        lambda: fn(backend.asarray(np.ones((4, 3), dtype=np.int64)), y))
    if name in ("cross_entropy", "softmax_focal_loss"):
        assert_raises_named(ValueError, name, "weight",
                            lambda: fn(x, y, weight=backend.asarray(np.ones(4))))
        assert_raises_named(TypeError, name, "ignore_index",
                            lambda: fn(x, y, ignore_index=1.5))


def test_cross_entropy_bad_options(backend):
    x = backend.asarray(_logits((4, 3), np.float64))
    y = backend.asarray(_indices((4,), 3))
    assert_raises_named(ValueError, "cross_entropy", "label_smoothing",
                        lambda: ol.cross_entropy(x, y, label_smoothing=1.5))
    assert_raises_named(TypeError, "cross_entropy", "from_logits",
                        lambda: ol.cross_entropy(x, y, from_logits="yes"))
    assert_raises_named(ValueError, "cross_entropy", "input",
                        lambda: ol.cross_entropy(backend.asarray(np.array(1.0)), y))
    assert_raises_named(ValueError, "softmax_focal_loss", "alpha",
                        lambda: ol.softmax_focal_loss(x, y, alpha=backend.asarray(np.ones(2))))
    assert_raises_named(ValueError, "softmax_focal_loss", "gamma",
                        lambda: ol.softmax_focal_loss(x, y, gamma=-1.0))
    assert_raises_named(TypeError, "poly1_cross_entropy", "epsilon",
                        lambda: ol.poly1_cross_entropy(x, y, epsilon="2"))


def test_nll_loss_bad_inputs(backend):
    x = backend.asarray(np.log(_probabilities((4, 3), 1, np.float64)))
    y = backend.asarray(_indices((4,), 3))
    assert_raises_named(ValueError, "nll_loss", "target",
                        lambda: ol.nll_loss(x, backend.asarray(np.ones((4, 3)))))
    assert_raises_named(TypeError, "nll_loss", "target",
                        lambda: ol.nll_loss(x, backend.asarray(np.zeros(4))))
    assert_raises_named(ValueError, "nll_loss", "weight",
                        lambda: ol.nll_loss(x, y, weight=backend.asarray(np.ones((3, 1)))))
    assert_raises_named(ValueError, "nll_loss", "reduction",
                        lambda: ol.nll_loss(x, y, reduction="batchmean"))
    assert_raises_named(ValueError, "nll_loss", "axis", lambda: ol.nll_loss(x, y, axis=-3))


def test_linear_cross_entropy_bad_inputs(backend):
    name = "linear_cross_entropy"
    x = backend.asarray(_logits((4, 3), np.float64))
    w = backend.asarray(_logits((5, 3), np.float64))
    y = backend.asarray(_indices((4,), 5))
    fn = ol.linear_cross_entropy
    assert_raises_named(ValueError, name, "linear_weight",
                        lambda: fn(x, backend.asarray(np.ones((5, 2))), y))
    assert_raises_named(ValueError, name, "input",
                        lambda: fn(backend.asarray(np.ones((2, 4, 3))), w, y))
    assert_raises_named(ValueError, name, "linear_bias",
                        lambda: fn(x, w, y, linear_bias=backend.asarray(np.ones(4))))
    assert_raises_named(ValueError, name, "target",
                        lambda: fn(x, w, backend.asarray(_indices((3,), 5))))
    assert_raises_named(TypeError, name, "target",
                        lambda: fn(x, w, backend.asarray(np.zeros(4))))
    assert_raises_named(ValueError, name, "chunk_size", lambda: fn(x, w, y, chunk_size=0))
    assert_raises_named(TypeError, name, "chunk_size", lambda: fn(x, w, y, chunk_size=2.0))
    assert_raises_named(ValueError, name, "weight",
                        lambda: fn(x, w, y, weight=backend.asarray(np.ones(3))))
    assert_raises_named(ValueError, name, "reduction", lambda: fn(x, w, y, reduction="avg"))
    assert_raises_named(ValueError, name, "linear_weight",
                        lambda: fn(backend.asarray(np.ones(3)), backend.asarray(np.ones((5, 2, 3))),
                                   backend.asarray(np.array(1))))


@pytest.mark.parametrize("name", ["binary_cross_entropy", "binary_cross_entropy_with_logits",
                                  "sigmoid_focal_loss", "binary_focal_cross_entropy",
                                  "exponential_loss", "logistic_loss", "kl_div", "js_divergence"])
def test_elementwise_bad_inputs(backend, name):
    fn = getattr(ol, name)
    x = backend.asarray(np.full((3, 4), 0.25))
    assert_raises_named(ValueError, name, "target",
                        lambda: fn(x, backend.asarray(np.full((3, 1), 0.5))))
    assert_raises_named(ValueError, name, "reduction",
                        lambda: fn(x, backend.asarray(np.full((3, 4), 0.5)), reduction="avg"))
    assert_raises_named(TypeError, name, "input",
                        lambda: fn(backend.asarray(np.ones((3, 4), dtype=np.int64)),
                                   backend.asarray(np.full((3, 4), 0.5))))


def test_weight_and_option_errors(backend):
    p = backend.asarray(np.full((3, 4), 0.25))
    y = backend.asarray(np.full((3, 4), 0.5))
    assert_raises_named(ValueError, "binary_cross_entropy", "weight",
                        lambda: ol.binary_cross_entropy(p, y, weight=backend.asarray(np.ones(3))))
    assert_raises_named(ValueError, "binary_cross_entropy_with_logits", "pos_weight",
                        lambda: ol.binary_cross_entropy_with_logits(
                            p, y, pos_weight=backend.asarray(np.ones(2))))
    assert_raises_named(TypeError, "binary_cross_entropy_with_logits", "weight",
                        lambda: ol.binary_cross_entropy_with_logits(
                            p, y, weight=backend.asarray(np.ones(4, dtype=np.int64))))
    assert_raises_named(ValueError, "sigmoid_focal_loss", "gamma",
                        lambda: ol.sigmoid_focal_loss(p, y, gamma=-0.5))
    assert_raises_named(TypeError, "sigmoid_focal_loss", "alpha",
                        lambda: ol.sigmoid_focal_loss(p, y, alpha=None))
    assert_raises_named(TypeError, "kl_div", "log_target",
                        lambda: ol.kl_div(p, y, log_target=1))
    assert_raises_named(ValueError, "js_divergence", "axis",
                        lambda: ol.js_divergence(p, y, axis=2))
    assert_raises_named(ValueError, "distillation_loss", "temperature",
                        lambda: ol.distillation_loss(p, y, temperature=0.0))
    assert_raises_named(ValueError, "distillation_loss", "teacher",
                        lambda: ol.distillation_loss(p, backend.asarray(np.ones((3, 1)))))
    assert_raises_named(ValueError, "distillation_loss", "reduction",
                        lambda: ol.distillation_loss(p, y, reduction="avg"))
    assert_raises_named(ValueError, "zero_one_loss", "target",
                        lambda: ol.zero_one_loss(p, backend.asarray(np.zeros(2, np.int64))))
    assert_raises_named(TypeError, "zero_one_loss", "target",
                        lambda: ol.zero_one_loss(p, backend.asarray(np.zeros(3))))
    assert_raises_named(TypeError, "kl_div", "target",
                        lambda: ol.kl_div(p, backend.asarray(np.ones((3, 4), np.int64))))


def test_mixed_libraries_raise():
    import torch

    x = torch.zeros((2, 3))
    assert_raises_named(TypeError, "cross_entropy", "different libraries",
                        lambda: ol.cross_entropy(x, np.zeros(2, dtype=np.int64)))


# Memory (slow): full-vocabulary shapes, see benchmarks/memory_classification.py


@pytest.mark.slow
def test_memory_bounds():
    """cross_entropy's peak extra memory < 2x the logits (NumPy, torch forward);
    linear_cross_entropy's < 1/4 of the full logits (NumPy, torch forward).

    Half the benchmark's batch (4096 rows, chunks of 256: the same 1/16 of the batch) to keep
    it to a minute or two; every bound is a ratio to the logits, which scale with the rows.
    ``python benchmarks/memory_classification.py`` measures the full (8192, 50257) case.
    """
    from benchmarks.memory_classification import measure_all

    for case, (peak, bound) in measure_all(rows=4096, chunk_size=256).items():
        assert bound is not None and peak < bound, \
            f"{case}: peak {peak / 2**20:.0f} MiB, bound {bound / 2**20:.0f} MiB"



@pytest.mark.uses("torch")
def test_cross_entropy_out_of_range_index_raises_on_torch_as_torch_does():
    import torch
    import torch.nn.functional as torch_functional

    logits = torch.zeros(3, 4)
    for bad in (4, -1):
        target = torch.tensor([0, 1, bad])
        with pytest.raises((IndexError, RuntimeError)):
            torch_functional.cross_entropy(logits, target)
        # every backend's eager rule (tests/test_class_ids.py): a ValueError naming the id
        with pytest.raises(ValueError, match=rf"target holds class id {bad} outside \[0, 4\)"):
            ol.cross_entropy(logits, target)


# Fused native kernels (torch runs F.cross_entropy, F.nll_loss and
# F.binary_cross_entropy_with_logits whole): equal to the portable implementation, values and
# gradients, for every option; and a weight that needs a gradient still gets the right one.

FUSED_CASES = {
    "cross_entropy": lambda x, y, w: ol.cross_entropy(x, y),
    "cross_entropy_ignored_channels_last": lambda x, y, w: ol.cross_entropy(x, y, axis=-1),
    "cross_entropy_ignored_none_channels_last": lambda x, y, w: ol.cross_entropy(
        x, y, axis=-1, reduction="none"),
    "cross_entropy_all_options": lambda x, y, w: ol.cross_entropy(
        x, y, weight=w, ignore_index=2, label_smoothing=0.3, reduction="sum"),
    "cross_entropy_channels_last": lambda x, y, w: ol.cross_entropy(
        x, y, axis=-1, weight=w, reduction="none"),
    "nll_loss": lambda x, y, w: ol.nll_loss(x, y, weight=w, ignore_index=1),
    "nll_loss_channels_last": lambda x, y, w: ol.nll_loss(x, y, axis=-1, reduction="none"),
}


@pytest.mark.parametrize("target_dtype", [np.int64, np.int32, np.uint8], ids=str)
@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@pytest.mark.parametrize("case", sorted(FUSED_CASES))
def test_fused_class_index_kernels_equal_the_portable(fused_backend, case, layout, target_dtype,
                                                      monkeypatch):
    from omniloss import _primitives

    shape = LAYOUTS[layout]
    axis = 0 if len(shape) == 1 else 1
    if "channels_last" in case:
        shape, axis = shape[:axis] + shape[axis + 1:] + shape[axis:axis + 1], -1
    target_shape = shape[:axis % len(shape)] + shape[axis % len(shape) + 1:]
    ignored = 2 if "ignored" in case and target_dtype != np.uint8 else 0
    args = [_logits(shape, np.float64),
            _indices(target_shape, 5, ignored=ignored).astype(target_dtype),
            _weights(5, np.float64)]
    results = []
    for native in (True, False):
        monkeypatch.setattr(_primitives, "use_native_kernels", native)
        results.append(fused_backend.value_and_grad(FUSED_CASES[case], args, (0,)))
    (native_value, native_grads), (portable_value, portable_grads) = results
    assert_close(native_value, portable_value, rtol=1e-12, atol=1e-14, what=f"{case} value")
    assert_close(native_grads[0], portable_grads[0], rtol=1e-12, atol=1e-14,
                 what=f"{case} gradient")


def _central_difference(fn, x: np.ndarray, step: float = 1e-6) -> np.ndarray:
    gradient = np.zeros_like(x)
    for i in range(x.size):
        shift = np.zeros_like(x)
        shift.flat[i] = step
        gradient.flat[i] = (fn(x + shift) - fn(x - shift)) / (2 * step)
    return gradient


@pytest.mark.parametrize("name", ["cross_entropy", "nll_loss",
                                  "binary_cross_entropy_with_logits"])
def test_weight_gradients_where_torch_has_none(grad_backend, name):
    """torch's kernels refuse a weight that needs a gradient; ours give it (checked against
    central differences in NumPy)."""
    logits = _logits((6, 4), np.float64)
    if name == "binary_cross_entropy_with_logits":
        target = _rng(5).uniform(size=(6, 4))

        def loss(x, y, w, pw):
            return ol.binary_cross_entropy_with_logits(x, y, weight=w, pos_weight=pw)

        weights = [_rng(6).uniform(0.5, 2.0, size=4), _rng(7).uniform(0.5, 2.0, size=4)]
    else:
        target = _indices((6,), 4, ignored=1)
        function = getattr(ol, name)

        def loss(x, y, w):
            return function(x, y, weight=w)

        weights = [_weights(4, np.float64)]
    argnums = tuple(range(2, 2 + len(weights)))
    _, gradients = grad_backend.value_and_grad(loss, [logits, target, *weights], argnums)
    for position, gradient in zip(argnums, gradients, strict=True):
        def numpy_loss(w, position=position):
            args = [logits, target, *weights]
            args[position] = w
            return float(loss(*args))

        expected = _central_difference(numpy_loss, weights[position - 2])
        np.testing.assert_allclose(gradient, expected, rtol=1e-6, atol=1e-8)


# sample_weight and where: keras's mean_with_sample_weight, optax's per-example where, torch's
# class-weighted divisors with sample weights


def _sample_weights(shape: tuple[int, ...], dtype: type = np.float64, seed: int = 21
                    ) -> np.ndarray:
    """Weights in [0, 2) with one exact 0 (a sample that must not count)."""
    weight = _rng(seed).uniform(0.0, 2.0, size=shape).astype(dtype)
    weight.reshape(-1)[1] = 0.0
    return weight


def _mask(shape: tuple[int, ...], seed: int = 22) -> np.ndarray:
    mask = _rng(seed).uniform(size=shape) > 0.3
    mask.reshape(-1)[:2] = [True, False]
    return mask


def _column(x):
    """A per-sample ``(N,)`` array as ``(N, 1)``: keras's per-sample weight against our
    elementwise ``(N, d)`` loss."""
    return ol.get_namespace(x).reshape(x, (-1, 1))


def _keras_loss(cls, dtype, **options):
    """A keras loss object reducing with mean_with_sample_weight in ``dtype``."""
    return cls(reduction="mean_with_sample_weight", dtype=np.dtype(dtype).name, **options)


@pytest.mark.parametrize("dtype", DTYPES)
def test_bce_with_logits_sample_weight_matches_keras(backend, dtype):
    """keras averages over the last axis first: its per-sample weight (N,) is our (N, 1)."""
    import keras

    loss = _keras_loss(keras.losses.BinaryCrossentropy, dtype, from_logits=True)
    check_parity(backend, lambda x, y, w: ol.binary_cross_entropy_with_logits(
                     x, y, sample_weight=_column(w)),
                 keras_peer(lambda x, y, w: loss(y, x, sample_weight=w)),
                 [_logits((6, 4), dtype), _rng(5).uniform(size=(6, 4)).astype(dtype),
                  _sample_weights((6,), dtype)], argnums=(0, 1, 2))


@pytest.mark.parametrize("dtype", DTYPES)
def test_cross_entropy_sample_weight_matches_keras_sparse(backend, dtype):
    """keras's ignore_class masks the sample weights as our ignore_index does."""
    import keras

    loss = _keras_loss(keras.losses.SparseCategoricalCrossentropy, dtype, from_logits=True,
                       ignore_class=-100)
    check_parity(backend, lambda x, y, w: ol.cross_entropy(x, y, axis=-1, sample_weight=w),
                 keras_peer(lambda x, y, w: loss(y, x, sample_weight=w)),
                 [_logits((8, 5), dtype), _indices((8,), 5, ignored=2),
                  _sample_weights((8,), dtype)], argnums=(0, 2))


@pytest.mark.parametrize("dtype", DTYPES)
def test_cross_entropy_sample_weight_matches_keras_categorical(backend, dtype):
    import keras

    loss = _keras_loss(keras.losses.CategoricalCrossentropy, dtype, from_logits=True,
                       label_smoothing=0.1, axis=-1)
    check_parity(backend, lambda x, t, w: ol.cross_entropy(x, t, axis=-1, label_smoothing=0.1,
                                                           sample_weight=w),
                 keras_peer(lambda x, t, w: loss(t, x, sample_weight=w)),
                 [_logits((8, 5), dtype), _probabilities((8, 5), 1, dtype),
                  _sample_weights((8,), dtype)], argnums=(0, 1, 2))


@pytest.mark.parametrize("dtype", DTYPES)
def test_kl_div_sample_weight_matches_keras(backend, dtype):
    """keras's KLDivergence on probabilities well inside (0, 1), where its clip does not bite,
    is our batchmean of log-probabilities with a per-sample weight (N, 1)."""
    import keras

    loss = _keras_loss(keras.losses.KLDivergence, dtype)

    def ours(q, p, w):
        return ol.kl_div(ol.get_namespace(q).log(q), p, reduction="batchmean",
                         sample_weight=_column(w))

    check_parity(backend, ours, keras_peer(lambda q, p, w: loss(p, q, sample_weight=w)),
                 [_probabilities((6, 5), 1, dtype, seed=4), _probabilities((6, 5), 1, dtype),
                  _sample_weights((6,), dtype)], argnums=(0, 1, 2))


@pytest.mark.parametrize(("balanced", "gamma"), [(True, 2.0), (False, 1.5), (True, 0.0)])
def test_sigmoid_focal_loss_sample_weight_matches_keras(backend, balanced, gamma):
    """keras's BinaryFocalCrossentropy is ours (alpha only with apply_class_balancing, else
    our alpha < 0), averaged over the last axis; float64, logits where keras's clip of the
    probabilities to [1e-7, 1 - 1e-7] does not bite."""
    import keras

    loss = _keras_loss(keras.losses.BinaryFocalCrossentropy, np.float64, from_logits=True,
                       apply_class_balancing=balanced, alpha=0.3, gamma=gamma)
    alpha = 0.3 if balanced else -1.0
    check_parity(backend, lambda x, y, w: ol.sigmoid_focal_loss(
                     x, y, alpha=alpha, gamma=gamma, sample_weight=_column(w)),
                 keras_peer(lambda x, y, w: loss(y, x, sample_weight=w)),
                 [_logits((6, 4), np.float64), _rng(5).uniform(size=(6, 4)),
                  _sample_weights((6,))], argnums=(0, 1, 2))


def _optax_masked_mean(function, *, column: bool = False, **options):
    """optax's per-example losses with a per-example mask ``where``, averaged over the kept
    examples (a ``(N, 1)`` mask where optax wants the logits' rank).

    optax's gradient at a masked example is NaN (its log-sum-exp over no class), so the masked
    rows of the arguments reach optax as constants: the values are optax's, and the gradient
    there is 0, as ours.
    """
    import jax.numpy as jnp

    def peer(x, y, where):
        mask = where[:, None] if column else where
        rows = where[:, None]
        x = jnp.where(rows, x, 0.0)
        if y.ndim == x.ndim:
            y = jnp.where(rows, y, 0.0)
        per_example = function(x, y, where=mask, **options)
        kept = jnp.where(where, per_example, 0.0)
        return jnp.sum(kept) / jnp.sum(where)

    return peer


def test_cross_entropy_where_matches_optax(backend):
    import optax

    logits, mask = _logits((8, 5), np.float64), _mask((8,))
    check_parity(backend, lambda x, y, m: ol.cross_entropy(x, y, axis=-1, where=m),
                 jax_peer(_optax_masked_mean(
                     optax.losses.softmax_cross_entropy_with_integer_labels)),
                 [logits, _indices((8,), 5), mask])
    check_parity(backend, lambda x, t, m: ol.cross_entropy(x, t, axis=-1, where=m),
                 jax_peer(_optax_masked_mean(optax.losses.softmax_cross_entropy, column=True)),
                 [logits, _probabilities((8, 5), 1, np.float64), mask], argnums=(0, 1))


def test_poly1_cross_entropy_where_matches_optax(backend):
    import optax

    check_parity(backend, lambda x, t, m: ol.poly1_cross_entropy(x, t, axis=-1, epsilon=1.5,
                                                                 where=m),
                 jax_peer(_optax_masked_mean(optax.losses.poly_loss_cross_entropy, column=True,
                                             epsilon=1.5)),
                 [_logits((8, 5), np.float64), _probabilities((8, 5), 1, np.float64),
                  _mask((8,))], argnums=(0, 1))


def test_kl_div_where_matches_optax(backend):
    import optax

    def ours(log_q, p, m):
        return ol.kl_div(log_q, p, reduction="batchmean", where=_column(m))

    check_parity(backend, ours,
                 jax_peer(_optax_masked_mean(optax.losses.kl_divergence, column=True)),
                 [np.log(_probabilities((8, 5), 1, np.float64, seed=4)),
                  _probabilities((8, 5), 1, np.float64), _mask((8,))], argnums=(0, 1))


def _torch_weighted_mean(per_position, sample_weight, divisor):
    """sum(s * l) / sum(s * c): the weighted mean of torch's unreduced loss."""
    import torch

    return torch.sum(sample_weight * per_position) / torch.sum(sample_weight * divisor)


def _torch_class_divisor(target, weight, ignore_index=-100):
    """torch's per-position divisor: weight[y] where not ignored, else 0."""
    import torch

    valid = target != ignore_index
    return torch.where(valid, weight[torch.where(valid, target, 0)], 0.0)


@pytest.mark.parametrize("weight_shape", ["per_position", "per_sample"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", ["cross_entropy", "nll_loss"])
def test_class_weight_ignore_index_sample_weight(backend, name, reduction, weight_shape):
    """torch's unreduced loss times the sample weights; "mean" divides by the sample-weighted
    class weights of the non-ignored targets."""
    import torch
    import torch.nn.functional as F

    logits = _logits((4, 5, 3), np.float64)
    inputs = logits if name == "cross_entropy" else np.log(
        _probabilities((4, 5, 3), 1, np.float64))
    target = _indices((4, 3), 5, ignored=2)
    sample_weight = _sample_weights((4, 3) if weight_shape == "per_position" else (4, 1))
    smoothing = {"label_smoothing": 0.2} if name == "cross_entropy" else {}
    peer_loss = getattr(F, name)

    def peer(x, y, w, s):
        per_position = peer_loss(x, y, weight=w, reduction="none", **smoothing)
        if reduction == "none":
            return s * per_position
        if reduction == "sum":
            return torch.sum(s * per_position)
        return _torch_weighted_mean(per_position, s, _torch_class_divisor(y, w))

    check_parity(backend, lambda x, y, w, s: getattr(ol, name)(
                     x, y, weight=w, reduction=reduction, sample_weight=s, **smoothing),
                 torch_peer(peer), [inputs, target, _weights(5, np.float64), sample_weight],
                 argnums=(0, 3))


def test_softmax_focal_and_linear_cross_entropy_sample_weight(backend):
    """Class weights, ignore_index and sample weights in the two other class-index losses."""
    import torch
    import torch.nn.functional as F

    logits, target = _logits((6, 5), np.float64), _indices((6,), 5, ignored=2)
    weight, sample_weight = _weights(5, np.float64), _sample_weights((6,))

    def focal_peer(x, y, w, s):
        per_position = _torch_softmax_focal(x, y, gamma=1.5, weight=w, reduction="none")
        return _torch_weighted_mean(per_position, s, _torch_class_divisor(y, w))

    check_parity(backend, lambda x, y, w, s: ol.softmax_focal_loss(
                     x, y, gamma=1.5, weight=w, sample_weight=s),
                 torch_peer(focal_peer), [logits, target, weight, sample_weight],
                 argnums=(0, 3))
    hidden, projection = _logits((6, 4), np.float64), _logits((5, 4), np.float64, seed=5)

    def linear_peer(h, p, y, w, s):
        per_position = F.cross_entropy(h @ p.T, y, weight=w, reduction="none")
        return _torch_weighted_mean(per_position, s, _torch_class_divisor(y, w))

    check_parity(backend, lambda h, p, y, w, s: ol.linear_cross_entropy(
                     h, p, y, weight=w, chunk_size=4, sample_weight=s),
                 torch_peer(linear_peer), [hidden, projection, target, weight, sample_weight],
                 argnums=(0, 1, 4))
    soft = _probabilities((6, 5), 1, np.float64)

    def soft_peer(h, p, t, s):
        per_position = F.cross_entropy(h @ p.T, t, reduction="none")
        return torch.sum(s * per_position) / torch.sum(s)

    check_parity(backend, lambda h, p, t, s: ol.linear_cross_entropy(
                     h, p, t, chunk_size=4, sample_weight=s),
                 torch_peer(soft_peer), [hidden, projection, soft, sample_weight],
                 argnums=(0, 1, 2, 3))


@pytest.mark.parametrize("name", ["cross_entropy", "nll_loss", "softmax_focal_loss"])
def test_all_ignored_with_sample_weight_is_zero(grad_backend, name):
    """Without sample_weight torch's NaN stays (0 / 0); with it, or with where, a zero total
    weight gives 0 and a zero gradient."""
    logits = _logits((4, 3), np.float64)
    target = np.full((4,), -100, dtype=np.int64)
    function = getattr(ol, name)
    plain, _ = grad_backend.value_and_grad(lambda x, y: function(x, y), [logits, target], (0,))
    assert np.isnan(plain)
    for options in ({"sample_weight": np.ones(4)}, {"where": np.ones(4, dtype=bool)}):
        def loss(x, y, options=options):
            return function(x, y, **{k: grad_backend.asarray(v) for k, v in options.items()})

        value, (gradient,) = grad_backend.value_and_grad(loss, [logits, target], (0,))
        assert value == 0.0 and np.all(gradient == 0.0), (options, value, gradient)


@pytest.mark.parametrize("reduction", ["batchmean", "mean", "sum", "none"])
def test_distillation_loss_sample_weight(backend, reduction):
    """Per-sample weights (N, 1) against the pointwise terms; "batchmean" divides by the summed
    sample weights."""
    import torch

    student, teacher = _logits((6, 5), np.float64), _logits((6, 5), np.float64, seed=12)

    def peer(s, t, w):
        pointwise = _torch_distillation(s, t, temperature=2.0, reduction="none") * w
        if reduction == "none":
            return pointwise
        total = torch.sum(pointwise)
        if reduction == "sum":
            return total
        return total / (torch.sum(w) * (5 if reduction == "mean" else 1))

    check_parity(backend, lambda s, t, w: ol.distillation_loss(
                     s, t, temperature=2.0, reduction=reduction, sample_weight=w),
                 torch_peer(peer), [student, teacher, _sample_weights((6, 1))],
                 argnums=(0, 1, 2))


def test_js_divergence_and_zero_one_loss_sample_weight(backend):
    """Weights align with one value per distribution (js) and per position (0-1 loss)."""
    import torch

    p = _probabilities((4, 3, 5), -1, np.float64)
    q = _probabilities((4, 3, 5), -1, np.float64, seed=6)
    weight = _sample_weights((4, 1))
    check_parity(backend, lambda a, b, w: ol.js_divergence(a, b, sample_weight=w),
                 torch_peer(lambda a, b, w: torch.sum(w * _torch_js(a, b, reduction="none"))
                            / (3 * torch.sum(w))),
                 [p, q, weight], argnums=(0, 1, 2))
    scores, labels = _logits((8, 5), np.float64), _indices((8,), 5)
    mask = _mask((8,))
    wrong = np.argmax(scores, axis=1) != labels
    check_parity(backend, lambda s, y, m: ol.zero_one_loss(s, y, reduction="sum", where=m),
                 numpy_peer(lambda s, y, m: np.sum(wrong & m).astype(np.float64)),
                 [scores, labels, mask])


@pytest.mark.parametrize("case", ["cross_entropy", "cross_entropy_channels_last",
                                  "nll_loss", "bce_with_logits"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_fused_kernels_with_sample_weight_equal_the_portable(fused_backend, case, reduction,
                                                             monkeypatch):
    """With sample_weight and where the fused kernels run unreduced, then the one reduce."""
    from omniloss import _primitives

    shape, target_shape = ((4, 5, 3), (4, 3))
    axis = 1
    if case.endswith("channels_last"):
        shape, axis = (4, 3, 5), -1
    logits = _logits(shape, np.float64)
    if case == "bce_with_logits":
        target, target_shape = _rng(5).uniform(size=shape), shape
    else:
        target = _indices(target_shape, 5, ignored=2)
    sample_weight, mask = _sample_weights(target_shape), _mask(target_shape)
    weight = _weights(5 if case != "bce_with_logits" else 3, np.float64)

    def loss(x, y, s, m):
        options = {"reduction": reduction, "sample_weight": s, "where": m}
        if case == "bce_with_logits":
            return ol.binary_cross_entropy_with_logits(x, y, weight=fused_backend.asarray(weight),
                                                       **options)
        if case == "nll_loss":
            return ol.nll_loss(x, y, weight=fused_backend.asarray(weight), **options)
        return ol.cross_entropy(x, y, axis=axis, weight=fused_backend.asarray(weight),
                                label_smoothing=0.1, **options)

    results = []
    for native in (True, False):
        monkeypatch.setattr(_primitives, "use_native_kernels", native)
        results.append(fused_backend.value_and_grad(loss, [logits, target, sample_weight, mask],
                                                   (0, 2)))
    (native_value, native_grads), (portable_value, portable_grads) = results
    assert_close(native_value, portable_value, rtol=1e-12, atol=1e-14, what="value")
    for native_grad, portable_grad in zip(native_grads, portable_grads, strict=True):
        assert_close(native_grad, portable_grad, rtol=1e-12, atol=1e-14, what="gradient")


# The one validation rule, and the one dtype rule


@pytest.mark.parametrize("name,options,argument,error", [
    ("sigmoid_focal_loss", {"alpha": float("nan")}, "alpha", ValueError),
    ("sigmoid_focal_loss", {"gamma": float("nan")}, "gamma", ValueError),
    ("sigmoid_focal_loss", {"alpha": True}, "alpha", TypeError),
    ("binary_focal_cross_entropy", {"apply_class_balancing": 1}, "apply_class_balancing",
     TypeError),
    ("binary_focal_cross_entropy", {"label_smoothing": 1.5}, "label_smoothing", ValueError),
    ("binary_focal_cross_entropy", {"gamma": -1.0}, "gamma", ValueError),
    ("binary_focal_cross_entropy", {"from_logits": "no"}, "from_logits", TypeError),
    ("softmax_focal_loss", {"alpha": float("nan")}, "alpha", ValueError),
    ("softmax_focal_loss", {"ignore_index": True}, "ignore_index", TypeError),
    ("cross_entropy", {"label_smoothing": float("nan")}, "label_smoothing", ValueError),
    ("cross_entropy", {"label_smoothing": "0.1"}, "label_smoothing", TypeError),
    ("cross_entropy", {"from_logits": 1}, "from_logits", TypeError),
    ("cross_entropy", {"ignore_index": 1.0}, "ignore_index", TypeError),
    ("cross_entropy", {"axis": 1.0}, "axis", TypeError),
    ("nll_loss", {"ignore_index": "1"}, "ignore_index", TypeError),
    ("poly1_cross_entropy", {"epsilon": float("nan")}, "epsilon", ValueError),
    ("distillation_loss", {"temperature": float("nan")}, "temperature", ValueError),
    ("distillation_loss", {"temperature": -1.0}, "temperature", ValueError),
    ("kl_div", {"log_target": None}, "log_target", TypeError),
    ("kl_div", {"reduction": 1}, "reduction", TypeError),
    ("js_divergence", {"axis": None}, "axis", TypeError),
    ("cross_entropy", {"where": np.ones(4)}, "where", TypeError),
    ("cross_entropy", {"sample_weight": np.ones(4, dtype=bool)}, "sample_weight", TypeError),
    ("cross_entropy", {"sample_weight": np.ones(3)}, "sample_weight", ValueError),
    ("kl_div", {"where": np.ones((4, 2), dtype=bool)}, "where", ValueError),
    ("binary_cross_entropy", {"sample_weight": np.ones((4, 3, 1))}, "sample_weight", ValueError),
])
def test_one_validation_rule(backend, name, options, argument, error):
    logits = _logits((4, 3), np.float64)
    if name in ("kl_div", "js_divergence", "binary_cross_entropy"):
        args = [_probabilities((4, 3), 1, np.float64),
                _probabilities((4, 3), 1, np.float64, seed=4)]
    elif name in ("sigmoid_focal_loss", "distillation_loss"):
        args = [logits, _probabilities((4, 3), 1, np.float64)]
    else:
        args = [logits, _indices((4,), 3)]
    options = {key: backend.asarray(value) if isinstance(value, np.ndarray) else value
               for key, value in options.items()}
    assert_raises_named(error, name, argument,
                        lambda: getattr(ol, name)(*backend.convert(args), **options))


def test_sample_weight_of_another_library_raises():
    import torch

    x, y = torch.zeros((2, 3)), torch.zeros(2, dtype=torch.int64)
    for options in ({"sample_weight": np.ones(2)}, {"where": np.ones(2, dtype=bool)}):
        assert_raises_named(TypeError, "cross_entropy", "different libraries",
                            lambda options=options: ol.cross_entropy(x, y, **options))


@pytest.mark.parametrize("name", ["sigmoid_focal_loss", "softmax_focal_loss",
                                  "poly1_cross_entropy", "distillation_loss", "cross_entropy"])
def test_numpy_scalar_and_0d_options_keep_the_dtype(backend, name):
    """An option given as a NumPy float64 scalar or a 0-d array is a Python number: a float32
    loss stays float32 and equals the Python-float call."""
    option = {"sigmoid_focal_loss": "alpha", "softmax_focal_loss": "alpha",
              "poly1_cross_entropy": "epsilon", "distillation_loss": "temperature",
              "cross_entropy": "label_smoothing"}[name]
    logits = _logits((4, 3), np.float32)
    target = (_probabilities((4, 3), 1, np.float32)
              if name in ("sigmoid_focal_loss", "distillation_loss") else _indices((4,), 3))
    args = backend.convert([logits, target])
    function = getattr(ol, name)
    expected = backend.to_numpy(function(*args, **{option: 0.3}))
    for value in (np.float64(0.3), backend.asarray(np.array(0.3))):
        result = backend.to_numpy(function(*args, **{option: value}))
        assert result.dtype == np.float32, (value, result.dtype)
        assert_close(result, expected, rtol=0, atol=0, what=f"{name} {option}={value!r}")


@pytest.mark.parametrize("name", ["binary_cross_entropy", "binary_cross_entropy_with_logits",
                                  "sigmoid_focal_loss", "exponential_loss", "logistic_loss",
                                  "zero_one_loss"])
def test_one_dtype_rule_for_binary_targets(backend, name):
    """The floating result type of the floating arrays: a float64 target promotes a float32
    input; integer and bool targets and the sample weights take the input's dtype."""
    function = getattr(ol, name)
    scores = np.full((3, 4), 0.25, dtype=np.float32)
    floating = np.full((3, 4), 1.0)
    weight = np.ones((3, 1))
    x = backend.asarray(scores)
    result = function(x, backend.asarray(floating))
    assert backend.to_numpy(result).dtype == np.float64
    for labels in (np.ones((3, 4), dtype=np.int64), np.ones((3, 4), dtype=bool)):
        result = function(x, backend.asarray(labels), sample_weight=backend.asarray(weight))
        assert backend.to_numpy(result).dtype == np.float32, labels.dtype


# sparsemax_loss, multiclass_sparsemax_loss (peer: optax)


def _optax_sparsemax(reduction):
    def peer(x, y):
        import jax.numpy as jnp
        import optax

        loss = optax.losses.sparsemax_loss(x, y)
        return {"mean": jnp.mean, "sum": jnp.sum, "none": lambda v: v}[reduction](loss)

    return peer


@pytest.mark.parametrize(("dtype", "reduction"), DTYPE_REDUCTION)
def test_sparsemax_loss_matches_optax(backend, dtype, reduction):
    """Random scores, the joints of ``sparse_plus`` (+-1, both labels) and +-1e4."""
    x = _logits((4, 6), dtype)
    x[0] = [-1.0, 1.0, -1.0, 1.0, 1e4, -1e4]
    y = _rng(3).integers(0, 2, size=(4, 6))
    y[0] = [0, 0, 1, 1, 1, 1]
    check_parity(backend, lambda a, b: ol.sparsemax_loss(a, b, reduction=reduction),
                 jax_peer(_optax_sparsemax(reduction)), [x, y])


def _optax_multiclass_sparsemax(axis, reduction):
    def peer(x, y):
        import jax.numpy as jnp
        import optax

        # optax's projection JVP fails on float32 under jax_enable_x64 (a float64 tangent):
        # the peer runs in float64, rounded to the input's dtype
        rows = jnp.moveaxis(x, axis, -1).astype(jnp.float64)
        loss = optax.losses.multiclass_sparsemax_loss(
            jnp.reshape(rows, (-1, rows.shape[-1])), jnp.reshape(y, (-1,)))
        loss = jnp.reshape(loss, y.shape).astype(x.dtype)
        return {"mean": jnp.mean, "sum": jnp.sum, "none": lambda v: v}[reduction](loss)

    return peer


@pytest.mark.parametrize(("dtype", "reduction"), DTYPE_REDUCTION)
def test_multiclass_sparsemax_loss_matches_optax(backend, dtype, reduction):
    """Supports of every size (a tie at the top, one dominant score, all equal), 1e4 scores."""
    x = _logits((6, 5), dtype)
    x[0] = [1.0, 1.0, 0.0, -2.0, 0.5]
    x[1] = [1e4, -1e4, 0.0, 3.0, 2.0]
    x[2] = 0.25
    y = _indices((6,), 5)
    check_parity(backend, lambda a, b: ol.multiclass_sparsemax_loss(a, b, axis=-1,
                                                                    reduction=reduction),
                 jax_peer(_optax_multiclass_sparsemax(-1, reduction)), [x, y])


def test_multiclass_sparsemax_loss_class_axis_1(backend):
    x, y = _logits((3, 5, 2), np.float64), _indices((3, 2), 5)
    check_parity(backend, ol.multiclass_sparsemax_loss,
                 jax_peer(_optax_multiclass_sparsemax(1, "mean")), [x, y])


# generalized_kl_divergence (peer: optax)


def _optax_generalized_kl(axis, reduction):
    def peer(log_q, t):
        import jax.numpy as jnp
        import optax

        loss = optax.losses.generalized_kl_divergence(log_q, t, axis=axis)
        return {"mean": jnp.mean, "sum": jnp.sum, "none": lambda v: v}[reduction](loss)

    return peer


@pytest.mark.parametrize(("dtype", "reduction"), DTYPE_REDUCTION)
def test_generalized_kl_divergence_matches_optax(backend, dtype, reduction):
    """Unnormalized targets, gradients to both. At a target 0 (0 log 0 = 0) optax's gradient
    with respect to it is NaN (its ``where`` over ``log 0``), ours ``-x - 1`` (the 0 log 0
    term adds 0, as in :func:`kl_div`): checked apart."""
    log_q = _logits((4, 5), dtype, scale=1.0)
    t = _rng(3).uniform(0.05, 2.0, size=(4, 5)).astype(dtype)
    ours = lambda a, b: ol.generalized_kl_divergence(a, b, reduction=reduction)  # noqa: E731
    check_parity(backend, ours, jax_peer(_optax_generalized_kl(-1, reduction)), [log_q, t],
                 argnums=(0, 1))
    t[0, 0] = 0.0
    check_parity(backend, ours, jax_peer(_optax_generalized_kl(-1, reduction)), [log_q, t])
    if backend.has_grad:
        _, (_, grad) = backend.value_and_grad(lambda a, b: ol.generalized_kl_divergence(
            a, b, reduction="sum"), [log_q, t], (0, 1))
        assert_close(grad[0, 0], -log_q[0, 0] - 1.0, rtol=1e-6, atol=1e-6,
                     what="gradient at a target 0")


def test_generalized_kl_divergence_axis(backend):
    log_q, t = _logits((3, 4, 2), np.float64, scale=1.0), _probabilities((3, 4, 2), 1, np.float64)
    check_parity(backend, lambda a, b: ol.generalized_kl_divergence(a, b, axis=1),
                 jax_peer(_optax_generalized_kl(1, "mean")), [log_q, t], argnums=(0, 1))


# cross_entropy with class probabilities and -inf logits (peer: optax.safe_softmax_cross_entropy)


@pytest.mark.parametrize("dtype", DTYPES)
def test_cross_entropy_masked_classes_match_optax_safe(backend, dtype):
    """A -inf logit with target 0 adds 0 (torch gives NaN there); a -inf logit with a positive
    target gives inf, and a row of -inf only NaN, as optax's; gradients equal optax's."""
    ninf = -np.inf
    logits = np.array([[0.0, ninf, 1.0], [2.0, ninf, ninf], [0.5, -1.0, 3.0],
                       [0.0, ninf, 1.0], [ninf, ninf, ninf]], dtype=dtype)
    target = np.array([[0.5, 0.0, 0.5], [1.0, 0.0, 0.0], [0.2, 0.3, 0.5],
                       [0.0, 1.0, 0.0], [1.0, 0.0, 0.0]], dtype=dtype)

    def peer(x, t):
        import optax

        return optax.losses.safe_softmax_cross_entropy(x, t)

    with np.errstate(invalid="ignore", divide="ignore"):
        value = check_parity(backend, lambda x, t: ol.cross_entropy(x, t, axis=-1,
                                                                    reduction="none"),
                             jax_peer(peer), [logits, target])
    assert np.isfinite(value[:3]).all() and value[3] == np.inf and np.isnan(value[4])


# smooth_labels (peer: optax.smooth_labels)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("axis", [-1, 1])
def test_smooth_labels_matches_optax(backend, axis, dtype):
    import optax

    labels = _probabilities((3, 4, 2), axis, dtype)
    check_parity(backend, lambda t: ol.smooth_labels(t, 0.2, axis=axis) ** 2,
                 jax_peer(lambda t: optax.smooth_labels(t, 0.2, axis=axis) ** 2), [labels])


def test_smooth_labels_is_cross_entropy_label_smoothing(backend):
    logits, target = _logits((4, 5), np.float64), _probabilities((4, 5), 1, np.float64)
    x, t = backend.convert([logits, target])
    assert_close(backend.to_numpy(ol.cross_entropy(x, ol.smooth_labels(t, 0.3, axis=1))),
                 backend.to_numpy(ol.cross_entropy(x, t, label_smoothing=0.3)),
                 rtol=1e-12, atol=0, what="smoothed targets")
    assert_raises_named(ValueError, "smooth_labels", "alpha", lambda: ol.smooth_labels(t, 1.5))


# fenchel_young_loss (peer: optax.losses.make_fenchel_young_loss)


def _sparsemax_max_fun(s):
    """The sparsemax conjugate optax's multiclass_sparsemax_loss uses (in float64: optax's
    projection JVP fails on float32 under jax_enable_x64)."""
    import jax.numpy as jnp
    from optax.projections import projection_simplex

    s64 = s.astype(jnp.float64)
    p = projection_simplex(s64)
    return (jnp.dot(p, s64) + 0.5 * jnp.dot(p, 1 - p)).astype(s.dtype)


def _optax_fenchel_young(kind, reduction):
    def peer(s, t):
        import jax.numpy as jnp
        import optax
        from jax.scipy.special import logsumexp

        max_fun = logsumexp if kind == "softmax" else _sparsemax_max_fun
        loss = optax.losses.make_fenchel_young_loss(max_fun)(s, t)
        return {"mean": jnp.mean, "sum": jnp.sum, "none": lambda v: v}[reduction](loss)

    return peer


@pytest.mark.parametrize(("dtype", "reduction"), DTYPE_REDUCTION)
@pytest.mark.parametrize("kind", ["softmax", "sparsemax"])
def test_fenchel_young_loss_matches_optax(backend, kind, dtype, reduction):
    """Soft and one-hot targets, a tie in the scores; gradients to scores and targets."""
    scores = _logits((5, 4), dtype)
    scores[0] = [1.0, 1.0, 0.0, -2.0]
    target = _probabilities((5, 4), 1, dtype)
    target[1] = [0.0, 0.0, 1.0, 0.0]
    check_parity(backend, lambda s, t: ol.fenchel_young_loss(s, t, kind=kind,
                                                             reduction=reduction),
                 jax_peer(_optax_fenchel_young(kind, reduction)), [scores, target],
                 argnums=(0, 1))
