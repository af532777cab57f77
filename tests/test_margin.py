"""Margin and ranking losses against their defining peers (Keras, torch) on every backend."""

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
    torch_peer,
    torch_weighted_peer,
)

REDUCTIONS = ["mean", "sum", "none"]
DTYPES = [np.float64, np.float32]


def _rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def _last_mean(a):
    """Keras's per-sample mean over the last axis of our elementwise loss."""
    return ol.get_namespace(a).mean(a, axis=-1)


def _keras_reduced(fn, reduction: str, per_sample: int = 1):
    """A Keras per-sample loss reduced like ours: mean, sum (times the elements per sample)."""
    import tensorflow as tf

    def reduced(x, y):
        loss = fn(y, x)
        if reduction == "mean":
            return tf.reduce_mean(loss)
        return tf.reduce_sum(loss) * per_sample

    return keras_peer(reduced)


# Binary hinge and squared hinge (Keras, elementwise).


def _binary_case(dtype, labels: str, shape=(4, 5), seed: int = 0):
    rng = _rng(seed)
    signs = rng.choice([-1.0, 1.0], size=shape)
    scores = rng.normal(size=shape) * 2
    scores.flat[::3] = signs.flat[::3]  # exactly at the margin: y * f == 1
    scores.flat[1::7] = -signs.flat[1::7]
    target = signs if labels == "pm1" else (signs + 1) / 2
    return [scores.astype(dtype), target.astype(dtype)]


HINGES = {"hinge_loss": "hinge", "squared_hinge_loss": "squared_hinge"}


@pytest.mark.parametrize("labels", ["pm1", "01"])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", list(HINGES))
def test_binary_hinge_matches_keras(backend, name, dtype, labels):
    import keras

    ours = getattr(ol, name)
    peer = getattr(keras.losses, HINGES[name])
    check_parity(backend, lambda x, y: _last_mean(ours(x, y, reduction="none")),
                 keras_peer(lambda x, y: peer(y, x)), _binary_case(dtype, labels))


@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("name", list(HINGES))
def test_binary_hinge_reductions(backend, name, reduction):
    import keras

    args = _binary_case(np.float64, "01", shape=(3, 4), seed=1)
    check_parity(backend, lambda x, y: getattr(ol, name)(x, y, reduction=reduction),
                 _keras_reduced(getattr(keras.losses, HINGES[name]), reduction, 4), args)


@pytest.mark.parametrize("name", list(HINGES))
def test_binary_hinge_mixed_labels_map_zero_elementwise(backend, name):
    # Keras keeps a 0 label when the set is not {0, 1}; ours maps each 0 to -1 (documented).
    import keras

    scores = _rng(2).normal(size=(2, 6))
    mixed = np.array([[-1.0, 0.0, 1.0, 0.0, 1.0, -1.0], [0.0, 0.0, 1.0, 1.0, -1.0, 0.0]])
    peer = getattr(keras.losses, HINGES[name])
    check_parity(backend, lambda x, y: _last_mean(getattr(ol, name)(x, y, reduction="none")),
                 keras_peer(lambda x, y: peer(_zero_to_minus_one(y), x)), [scores, mixed])


def _zero_to_minus_one(y):
    import tensorflow as tf

    return tf.where(tf.equal(y, 0.0), -tf.ones_like(y), y)


@pytest.mark.parametrize("name", list(HINGES))
def test_binary_hinge_integer_labels_and_empty(backend, name):
    import keras

    scores, target = _binary_case(np.float64, "01", shape=(2, 3), seed=3)
    peer = getattr(keras.losses, HINGES[name])
    check_parity(backend, lambda x, y: _last_mean(getattr(ol, name)(x, y, reduction="none")),
                 keras_peer(lambda x, y: peer(y, x)), [scores, target.astype(np.int64)])
    empty = [np.zeros((0, 3)), np.zeros((0, 3))]
    out = check_parity(backend, lambda x, y: getattr(ol, name)(x, y, reduction="none"),
                       None, empty)
    assert out.shape == (0, 3)
    assert np.isnan(check_parity(backend, getattr(ol, name), None, empty))


# Categorical hinge (Keras, per sample).


def _categorical_case(dtype, seed: int = 0):
    rng = _rng(seed)
    scores = rng.normal(size=(5, 4))
    labels = rng.integers(0, 4, size=5)
    target = np.eye(4)[labels]
    scores[0] = [2.0, 1.0, 2.0, -1.0]  # tie in the best wrong class
    target[0] = [0.0, 1.0, 0.0, 0.0]
    scores[1] = [0.5, 1.5, -0.5, -1.0]  # exactly at the margin
    target[1] = [0.0, 1.0, 0.0, 0.0]
    scores[2] = [-3.0, -2.0, -1.5, 2.0]  # all wrong classes negative: Keras's 0 wins the max
    target[2] = [0.0, 0.0, 0.0, 1.0]
    return [scores.astype(dtype), target.astype(dtype)]


@pytest.mark.parametrize("dtype", DTYPES)
def test_categorical_hinge_matches_keras(backend, dtype):
    import keras

    check_parity(backend, lambda x, y: ol.categorical_hinge_loss(x, y, reduction="none"),
                 keras_peer(lambda x, y: keras.losses.categorical_hinge(y, x)),
                 _categorical_case(dtype), argnums=(0, 1))


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_categorical_hinge_reductions(backend, reduction):
    import keras

    check_parity(backend, lambda x, y: ol.categorical_hinge_loss(x, y, reduction=reduction),
                 _keras_reduced(keras.losses.categorical_hinge, reduction),
                 _categorical_case(np.float64, seed=1), argnums=(0, 1))


def test_categorical_hinge_axis(backend):
    import keras

    scores, target = _categorical_case(np.float64, seed=2)
    check_parity(backend, lambda x, y: ol.categorical_hinge_loss(x, y, axis=0, reduction="none"),
                 keras_peer(lambda x, y: keras.losses.categorical_hinge(
                     _transpose(y), _transpose(x))), [scores.T, target.T], argnums=(0, 1))


def _transpose(x):
    import tensorflow as tf

    return tf.transpose(x)


def test_categorical_hinge_empty(backend):
    out = check_parity(backend, lambda x, y: ol.categorical_hinge_loss(x, y, reduction="none"),
                       None, [np.zeros((0, 3)), np.zeros((0, 3))])
    assert out.shape == (0,)


# Torch-defined elementwise losses.


def _pm1(shape, seed):
    return _rng(seed).choice([-1.0, 1.0], size=shape)


@pytest.mark.parametrize("margin", [1.0, 0.5])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_hinge_embedding_matches_torch(backend, dtype, reduction, margin):
    from torch.nn import functional

    distances = np.abs(_rng(4).normal(size=(3, 6)))
    target = _pm1((3, 6), 5)
    target[0, :3] = [-1.0, 1.0, 0.0]  # 0: neither label, both terms (torch)
    distances[1, :2] = margin  # exactly at the margin
    target[1, :2] = -1.0
    check_parity(backend,
                 lambda x, y: ol.hinge_embedding_loss(x, y, margin=margin, reduction=reduction),
                 torch_peer(functional.hinge_embedding_loss, margin=margin, reduction=reduction),
                 [distances.astype(dtype), target.astype(dtype)])


def test_hinge_embedding_integer_target_and_edges(backend):
    from torch.nn import functional

    x = np.array([1.0, 0.2, 3.0])
    check_parity(backend, lambda a, b: ol.hinge_embedding_loss(a, b, reduction="none"),
                 torch_peer(functional.hinge_embedding_loss, reduction="none"),
                 [x, np.array([-1, -1, 1])])
    for shape in [(), (0,)]:
        check_parity(backend, ol.hinge_embedding_loss, torch_peer(functional.hinge_embedding_loss),
                     [np.full(shape, 0.5), np.full(shape, -1.0)])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_soft_margin_matches_torch(backend, dtype, reduction):
    from torch.nn import functional

    scores = _rng(6).normal(size=(4, 5)) * 3
    scores[0, 0] = 0.0
    check_parity(backend, lambda x, y: ol.soft_margin_loss(x, y, reduction=reduction),
                 torch_peer(functional.soft_margin_loss, reduction=reduction),
                 [scores.astype(dtype), _pm1((4, 5), 7).astype(dtype)])


@pytest.mark.parametrize("dtype", DTYPES)
def test_soft_margin_extreme_scores(backend, dtype):
    # torch's log1p(exp(.)) overflows to inf (NaN gradient) here; the stable formula in torch:
    import torch
    from torch.nn import functional

    scores = np.array([-1e4, 1e4, 1e4, -1e4, 80.0, -100.0], dtype=dtype)
    target = np.array([1.0, -1.0, 1.0, -1.0, -1.0, 1.0], dtype=dtype)
    value = check_parity(backend, lambda x, y: ol.soft_margin_loss(x, y, reduction="none"),
                         torch_peer(lambda x, y: torch.logaddexp(-y * x, torch.zeros_like(x))),
                         [scores, target])
    assert np.all(np.isfinite(value))
    torch_loss = functional.soft_margin_loss(torch.from_numpy(scores), torch.from_numpy(target))
    assert torch.isinf(torch_loss)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_soft_margin_empty_and_integer_target(backend, reduction):
    from torch.nn import functional

    check_parity(backend, lambda x, y: ol.soft_margin_loss(x, y, reduction=reduction),
                 torch_peer(functional.soft_margin_loss, reduction=reduction),
                 [np.zeros((0, 2)), np.zeros((0, 2))])
    check_parity(backend, lambda x, y: ol.soft_margin_loss(x, y, reduction=reduction),
                 torch_peer(functional.soft_margin_loss, reduction=reduction),
                 [_rng(20).normal(size=4), np.array([1, -1, -1, 1])])


@pytest.mark.parametrize("margin", [0.0, 0.5])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_margin_ranking_matches_torch(backend, dtype, reduction, margin):
    from torch.nn import functional

    rng = _rng(8)
    x1, x2 = rng.normal(size=(2, 10))
    target = _pm1(10, 9)
    x2[:3] = x1[:3]  # ties
    x2[3] = x1[3] + target[3] * margin  # exactly at the margin
    check_parity(backend,
                 lambda a, b, y: ol.margin_ranking_loss(a, b, y, margin=margin,
                                                        reduction=reduction),
                 torch_peer(functional.margin_ranking_loss, margin=margin, reduction=reduction),
                 [x1.astype(dtype), x2.astype(dtype), target.astype(dtype)], argnums=(0, 1, 2))


def test_margin_ranking_integer_target_and_empty(backend):
    from torch.nn import functional

    x1, x2 = _rng(10).normal(size=(2, 3, 2))
    check_parity(backend, ol.margin_ranking_loss, torch_peer(functional.margin_ranking_loss),
                 [x1, x2, np.array([[1, -1], [-1, 1], [1, 1]])], argnums=(0, 1))
    check_parity(backend, ol.margin_ranking_loss, torch_peer(functional.margin_ranking_loss),
                 [np.zeros(0), np.zeros(0), np.zeros(0)])


# Multi-class margin (Weston-Watkins).


def _multi_case(dtype, n: int = 5, c: int = 4, seed: int = 11):
    rng = _rng(seed)
    scores = rng.normal(size=(n, c))
    target = rng.integers(0, c, size=n)
    if n:
        scores[0, target[0]] = 1.0
        scores[0, (target[0] + 1) % c] = 0.0  # margin - x_y + x_j == 0 exactly
    return [scores.astype(dtype), target]


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("p", [1, 2])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_multi_margin_matches_torch(backend, dtype, reduction, p, weighted):
    import torch
    from torch.nn import functional

    weight = _rng(12).uniform(0.5, 2.0, size=4).astype(dtype) if weighted else None
    peer_weight = None if weight is None else torch.from_numpy(weight)
    check_parity(backend,
                 lambda x, y: ol.multi_margin_loss(
                     x, y, p=p, weight=None if weight is None else backend.asarray(weight),
                     reduction=reduction),
                 torch_peer(functional.multi_margin_loss, p=p, weight=peer_weight,
                            reduction=reduction),
                 _multi_case(dtype))


@pytest.mark.parametrize("margin", [0.3, 2.0])
def test_multi_margin_margin_option(backend, margin):
    from torch.nn import functional

    check_parity(backend, lambda x, y: ol.multi_margin_loss(x, y, margin=margin),
                 torch_peer(functional.multi_margin_loss, margin=margin),
                 _multi_case(np.float64, seed=13))


@pytest.mark.parametrize("target_shape", [(), (1,)])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_multi_margin_single_sample(backend, reduction, target_shape):
    from torch.nn import functional

    scores = _rng(14).normal(size=5)
    check_parity(backend, lambda x, y: ol.multi_margin_loss(x, y, p=2, reduction=reduction),
                 torch_peer(functional.multi_margin_loss, p=2, reduction=reduction),
                 [scores, np.full(target_shape, 3, dtype=np.int64)])


def test_multi_margin_empty_batch(backend):
    from torch.nn import functional

    args = _multi_case(np.float64, n=0)
    check_parity(backend, lambda x, y: ol.multi_margin_loss(x, y, reduction="none"),
                 torch_peer(functional.multi_margin_loss, reduction="none"), args)
    # torch's mean and sum of an empty batch read uninitialized memory; ours: NaN and 0.
    assert np.isnan(check_parity(backend, ol.multi_margin_loss, None, args))
    assert check_parity(backend, lambda x, y: ol.multi_margin_loss(x, y, reduction="sum"),
                        None, args) == 0.0


# Multi-label margin.


def _multilabel_ids(seed: int = 15, n: int = 6, c: int = 5) -> np.ndarray:
    rng = _rng(seed)
    ids = np.full((n, c), -1, dtype=np.int64)
    for row in range(n):
        count = rng.integers(0, c + 1)
        ids[row, :count] = rng.permutation(c)[:count]
    ids[0] = [2, -1, 0, 1, 4]  # entries after the first -1 are ignored
    ids[1] = [3, 3, 1, -1, -1]  # a class listed twice counts twice
    ids[2] = [-1, 0, 1, 2, 3]  # empty list: loss 0
    ids[3] = [4, 0, 1, 2, 3]  # every class true: loss 0
    ids[4] = [1, 2, -1, 0, -1]
    return ids


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_multilabel_margin_matches_torch(backend, dtype, reduction):
    from torch.nn import functional

    scores = _rng(16).normal(size=(6, 5))
    scores[5] = [0.5, 1.5, 0.0, 0.0, 0.0]
    ids = _multilabel_ids()
    ids[5] = [1, -1, -1, -1, -1]
    scores[5, 0] = scores[5, 1] - 1.0  # 1 - (x_j - x_i) == 0 exactly
    check_parity(backend, lambda x, y: ol.multilabel_margin_loss(x, y, reduction=reduction),
                 torch_peer(functional.multilabel_margin_loss, reduction=reduction),
                 [scores.astype(dtype), ids])


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_multilabel_margin_single_sample_and_empty(backend, reduction):
    from torch.nn import functional

    check_parity(backend, lambda x, y: ol.multilabel_margin_loss(x, y, reduction=reduction),
                 torch_peer(functional.multilabel_margin_loss, reduction=reduction),
                 [_rng(17).normal(size=4), np.array([3, 0, -1, 1])])
    empty = [np.zeros((0, 4)), np.zeros((0, 4), dtype=np.int64)]
    value = check_parity(backend,
                         lambda x, y: ol.multilabel_margin_loss(x, y, reduction=reduction),
                         None if reduction == "mean" else
                         torch_peer(functional.multilabel_margin_loss, reduction=reduction), empty)
    if reduction == "mean":  # torch reads uninitialized memory here
        assert np.isnan(value)


# Multi-label soft margin.


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_multilabel_soft_margin_matches_torch(backend, dtype, reduction, weighted):
    from torch.nn import functional

    rng = _rng(18)
    scores = rng.normal(size=(4, 5)) * 3
    scores[0, :2] = [1e4, -1e4]
    target = rng.integers(0, 2, size=(4, 5)).astype(dtype)
    target[1] = rng.uniform(size=5)  # soft targets
    weight = rng.uniform(0.5, 2.0, size=5).astype(dtype)
    args = [scores.astype(dtype), target] + ([weight] if weighted else [])
    if weighted:
        ours = lambda x, y, w: ol.multilabel_soft_margin_loss(  # noqa: E731
            x, y, weight=w, reduction=reduction)
        peer = torch_peer(lambda x, y, w: functional.multilabel_soft_margin_loss(
            x, y, weight=w, reduction=reduction))
    else:
        ours = lambda x, y: ol.multilabel_soft_margin_loss(x, y, reduction=reduction)  # noqa: E731
        peer = torch_peer(functional.multilabel_soft_margin_loss, reduction=reduction)
    check_parity(backend, ours, peer, args, argnums=tuple(range(len(args))))


@pytest.mark.parametrize("shape", [(5,), (2, 3, 4), (0, 3)], ids=["1d", "3d", "empty"])
def test_multilabel_soft_margin_shapes(backend, shape):
    from torch.nn import functional

    rng = _rng(19)
    args = [rng.normal(size=shape), rng.integers(0, 2, size=shape).astype(np.float64)]
    check_parity(backend, lambda x, y: ol.multilabel_soft_margin_loss(x, y, reduction="none"),
                 torch_peer(functional.multilabel_soft_margin_loss, reduction="none"), args,
                 argnums=(0, 1))
    check_parity(backend, ol.multilabel_soft_margin_loss,
                 torch_peer(functional.multilabel_soft_margin_loss), args, argnums=(0, 1))


# sample_weight and where.


KERAS_WEIGHTED = {"hinge_loss": "Hinge", "squared_hinge_loss": "SquaredHinge",
                  "categorical_hinge_loss": "CategoricalHinge"}


def _keras_weighted(class_name: str, dtype):
    """A Keras loss object with ``mean_with_sample_weight``, on a ``(N, 1)`` weight argument."""
    import keras
    import tensorflow as tf

    loss = getattr(keras.losses, class_name)(reduction="mean_with_sample_weight",
                                             dtype=np.dtype(dtype).name)
    return keras_peer(lambda x, y, w: loss(y, x, sample_weight=tf.reshape(w, [-1])))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", list(KERAS_WEIGHTED))
def test_sample_weight_matches_keras(backend, name, dtype):
    # Keras's per-sample weight (N,) is ours (N, 1) against the elementwise hinge (N, d): the
    # same weighted mean, sum(w * l) / sum(w * d); categorical hinge is per sample, weight (N,).
    if name == "categorical_hinge_loss":
        scores, target = _categorical_case(dtype)
    else:
        scores, target = _binary_case(dtype, "01", shape=(5, 4), seed=4)
    weight = _rng(30).uniform(0.0, 2.0, size=(5, 1)).astype(dtype)
    weight[1] = 0.0
    fn = getattr(ol, name)
    if name == "categorical_hinge_loss":
        def ours(x, y, w):
            return fn(x, y, sample_weight=ol.get_namespace(w).reshape(w, (-1,)))
    else:
        def ours(x, y, w):
            return fn(x, y, sample_weight=w)
    check_parity(backend, ours, _keras_weighted(KERAS_WEIGHTED[name], dtype),
                 [scores, target, weight], argnums=(0, 2))


def _ours_weighted(name: str, reduction: str, **options):
    def weighted(*args):
        *inputs, w, m = args
        return getattr(ol, name)(*inputs, reduction=reduction, sample_weight=w, where=m,
                                 **options)

    return weighted


def _weighted_cases():
    rng = _rng(33)
    pm1 = _pm1((4, 3), 34)
    ids = _multilabel_ids()[1:5]
    return {
        "hinge_embedding_loss": ([np.abs(rng.normal(size=(4, 3))), pm1], (4, 1)),
        "soft_margin_loss": ([rng.normal(size=(4, 3)), pm1], (4, 3)),
        "margin_ranking_loss": ([*rng.normal(size=(2, 4, 3)), pm1], (4, 1)),
        "multi_margin_loss": (_multi_case(np.float64, n=4), (4,)),
        "multilabel_margin_loss": ([rng.normal(size=(4, 5)), ids], (4,)),
        "multilabel_soft_margin_loss": ([rng.normal(size=(4, 5)),
                                         rng.integers(0, 2, size=(4, 5)).astype(float)], (4,)),
    }


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", ["hinge_embedding_loss", "soft_margin_loss",
                                  "margin_ranking_loss", "multi_margin_loss",
                                  "multilabel_margin_loss", "multilabel_soft_margin_loss"])
def test_sample_weight_and_where_match_torch(backend, name, reduction):
    # The weights and the mask broadcast against torch's unreduced loss (elementwise or one
    # value per sample); gradients w.r.t. the scores and the weights.
    from torch.nn import functional

    inputs, shape = _weighted_cases()[name]
    weight = _rng(35).uniform(0.5, 2.0, size=shape)
    mask = np.arange(weight.size).reshape(shape) % 3 != 1
    argnums = (0, len(inputs))
    check_parity(backend, _ours_weighted(name, reduction),
                 torch_weighted_peer(getattr(functional, name), reduction),
                 [*inputs, weight, mask], argnums=argnums)


@pytest.mark.parametrize("p", [1, 2])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_multi_margin_class_weight_with_sample_weight(backend, reduction, p):
    # torch's "mean" with a class weight is the mean over samples (not over the class weights);
    # with sample_weight it is sum(w * weight[y] * l) / sum(w), the class weight a factor.
    import torch
    from torch.nn import functional

    scores, target = _multi_case(np.float64, n=6)
    class_weight = _rng(36).uniform(0.5, 2.0, size=4)
    weight = _rng(37).uniform(0.0, 2.0, size=6)
    mask = np.array([True, True, False, True, True, True])
    ours = _ours_weighted("multi_margin_loss", reduction, p=p,
                          weight=backend.asarray(class_weight))
    peer = torch_weighted_peer(functional.multi_margin_loss, reduction, p=p,
                           weight=torch.from_numpy(class_weight))
    check_parity(backend, ours, peer, [scores, target, weight, mask], argnums=(0, 2))


@pytest.mark.parametrize("name", ["multi_margin_loss", "multilabel_margin_loss"])
@pytest.mark.parametrize("target_shape", [(), (1,)])
def test_one_sample_weight_shape(backend, name, target_shape):
    # A 1-D input is one sample: torch's unreduced loss has target's shape (multi-margin) or is
    # 0-d (multi-label), and the weight broadcasts against that.
    scores = _rng(38).normal(size=5)
    if name == "multi_margin_loss":
        target, shape = np.full(target_shape, 3, dtype=np.int64), target_shape
    else:
        target, shape = np.array([3, 0, -1, 1, 2]), ()
    fn = getattr(ol, name)
    plain = check_parity(backend, lambda x, y: fn(x, y, reduction="none"), None, [scores, target])
    weighted = check_parity(backend, lambda x, y, w: fn(x, y, reduction="none", sample_weight=w),
                            None, [scores, target, np.full(shape, 2.5)])
    assert weighted.shape == plain.shape == shape
    assert_close(weighted, 2.5 * plain, rtol=1e-12, atol=0, what="weighted one sample")
    for reduction in ("mean", "sum"):
        value = check_parity(backend, lambda x, y, w, r=reduction: fn(
            x, y, reduction=r, sample_weight=w), None, [scores, target, np.full(shape, 2.5)])
        expected = plain.sum() * (1.0 if reduction == "mean" else 2.5)
        assert_close(value, expected, rtol=1e-12, atol=0, what=reduction)


# Tracing.

TRACED = {
    "hinge_loss": (ol.hinge_loss, lambda: _binary_case(np.float64, "01")),
    "squared_hinge_loss": (ol.squared_hinge_loss, lambda: _binary_case(np.float64, "pm1")),
    "categorical_hinge_loss": (ol.categorical_hinge_loss,
                               lambda: _categorical_case(np.float64)),
    "hinge_embedding_loss": (ol.hinge_embedding_loss,
                             lambda: [np.abs(_rng(0).normal(size=6)), _pm1(6, 1)]),
    "soft_margin_loss": (ol.soft_margin_loss, lambda: [_rng(0).normal(size=6), _pm1(6, 1)]),
    "multi_margin_loss": (lambda x, y: ol.multi_margin_loss(x, y, p=2),
                          lambda: _multi_case(np.float64)),
    "multilabel_margin_loss": (ol.multilabel_margin_loss,
                               lambda: [_rng(0).normal(size=(6, 5)), _multilabel_ids()]),
    "multilabel_soft_margin_loss": (ol.multilabel_soft_margin_loss,
                                    lambda: [_rng(0).normal(size=(3, 4)),
                                             np.ones((3, 4)) / 2]),
    "margin_ranking_loss": (ol.margin_ranking_loss,
                            lambda: [*_rng(0).normal(size=(2, 6)), _pm1(6, 1)]),
}


@pytest.mark.parametrize("name", list(TRACED))
def test_traced(tracing_backend, name):
    fn, make = TRACED[name]
    check_traced(tracing_backend, fn, make())


# Bad inputs.


@pytest.mark.parametrize("name", ["hinge_loss", "squared_hinge_loss", "categorical_hinge_loss",
                                  "hinge_embedding_loss", "soft_margin_loss"])
def test_bad_inputs_pairwise(backend, name):
    fn = getattr(ol, name)
    x = backend.asarray(np.ones((3, 4)))
    assert_raises_named(ValueError, name, "target",
                        lambda: fn(x, backend.asarray(np.ones((3, 1)))))
    assert_raises_named(ValueError, name, "reduction", lambda: fn(x, x, reduction="avg"))
    assert_raises_named(TypeError, name, "input",
                        lambda: fn(backend.asarray(np.ones((3, 4), dtype=np.int64)), x))
    if name == "categorical_hinge_loss":
        assert_raises_named(ValueError, name, "axis", lambda: fn(x, x, axis=2))


def test_bad_inputs_margin_ranking(backend):
    name = "margin_ranking_loss"
    x = backend.asarray(np.ones(4))
    assert_raises_named(ValueError, name, "input2",
                        lambda: ol.margin_ranking_loss(x, backend.asarray(np.ones(3)), x))
    assert_raises_named(ValueError, name, "target",
                        lambda: ol.margin_ranking_loss(x, x, backend.asarray(np.ones((4, 1)))))
    assert_raises_named(ValueError, name, "reduction",
                        lambda: ol.margin_ranking_loss(x, x, x, reduction="max"))
    assert_raises_named(TypeError, name, "input1",
                        lambda: ol.margin_ranking_loss(backend.asarray(np.ones(4, dtype=np.int64)),
                                                       x, x))


@pytest.mark.parametrize("name", ["multi_margin_loss", "multilabel_margin_loss"])
def test_bad_inputs_class_scores(backend, name):
    fn = getattr(ol, name)
    x = backend.asarray(np.ones((3, 4)))
    good = np.zeros(3 if name == "multi_margin_loss" else (3, 4), dtype=np.int64)
    target = backend.asarray(good)
    assert_raises_named(ValueError, name, "input",
                        lambda: fn(backend.asarray(np.ones((2, 3, 4))), target))
    assert_raises_named(ValueError, name, "input",
                        lambda: fn(backend.asarray(np.ones((3, 0))), target))
    assert_raises_named(ValueError, name, "target",
                        lambda: fn(x, backend.asarray(np.zeros((2, 4), dtype=np.int64))))
    assert_raises_named(TypeError, name, "target",
                        lambda: fn(x, backend.asarray(good.astype(np.float64))))
    assert_raises_named(TypeError, name, "input",
                        lambda: fn(backend.asarray(np.ones((3, 4), dtype=np.int64)), target))
    assert_raises_named(ValueError, name, "reduction", lambda: fn(x, target, reduction="all"))
    if name == "multi_margin_loss":
        assert_raises_named(ValueError, name, "p", lambda: fn(x, target, p=3))
        assert_raises_named(TypeError, name, "p", lambda: fn(x, target, p=2.0))
        assert_raises_named(TypeError, name, "p", lambda: fn(x, target, p=True))
        assert_raises_named(ValueError, name, "margin", lambda: fn(x, target, margin=np.nan))
        assert_raises_named(TypeError, name, "margin", lambda: fn(x, target, margin="1"))
        assert_raises_named(ValueError, name, "weight",
                            lambda: fn(x, target, weight=backend.asarray(np.ones(3))))
        assert_raises_named(ValueError, name, "target",
                            lambda: fn(backend.asarray(np.ones(4)),
                                       backend.asarray(np.zeros(2, dtype=np.int64))))


def test_bad_inputs_multilabel_soft_margin(backend):
    name = "multilabel_soft_margin_loss"
    x = backend.asarray(np.ones((3, 4)))
    assert_raises_named(ValueError, name, "input",
                        lambda: ol.multilabel_soft_margin_loss(backend.asarray(np.ones(())),
                                                               backend.asarray(np.ones(()))))
    assert_raises_named(ValueError, name, "target",
                        lambda: ol.multilabel_soft_margin_loss(x, backend.asarray(np.ones(4))))
    assert_raises_named(ValueError, name, "weight",
                        lambda: ol.multilabel_soft_margin_loss(
                            x, x, weight=backend.asarray(np.ones(3))))
    assert_raises_named(ValueError, name, "reduction",
                        lambda: ol.multilabel_soft_margin_loss(x, x, reduction="batchmean"))
    assert_raises_named(TypeError, name, "input",
                        lambda: ol.multilabel_soft_margin_loss(
                            backend.asarray(np.ones((3, 4), dtype=np.int64)), x))


@pytest.mark.parametrize("name", ["hinge_embedding_loss", "margin_ranking_loss"])
def test_bad_margin(backend, name):
    x = backend.asarray(np.ones(4))
    args = (x, x) if name == "hinge_embedding_loss" else (x, x, x)
    fn = getattr(ol, name)
    assert_raises_named(ValueError, name, "margin", lambda: fn(*args, margin=float("nan")))
    assert_raises_named(TypeError, name, "margin", lambda: fn(*args, margin="1"))
    assert_raises_named(TypeError, name, "margin", lambda: fn(*args, margin=True))
    assert_raises_named(TypeError, name, "margin", lambda: fn(*args, margin=None))


def test_numpy_scalar_options_keep_the_dtype(backend):
    x = backend.asarray(np.ones((3, 4), dtype=np.float32))
    y = backend.asarray(np.zeros(3, dtype=np.int64))
    for value in (ol.hinge_embedding_loss(x, x, margin=np.float64(0.5)),
                  ol.multi_margin_loss(x, y, margin=np.float64(0.5), p=np.int64(2))):
        assert backend.to_numpy(value).dtype == np.float32


@pytest.mark.uses("torch")
@pytest.mark.parametrize("name", ["hinge_loss", "categorical_hinge_loss", "multi_margin_loss",
                                  "multilabel_soft_margin_loss", "margin_ranking_loss"])
def test_weights_of_another_library_raise(name):
    import torch

    x = np.ones((3, 4))
    args = {"multi_margin_loss": (x, np.zeros(3, dtype=np.int64)),
            "margin_ranking_loss": (x, x, x)}.get(name, (x, x))
    fn = getattr(ol, name)
    with pytest.raises(TypeError, match=name):
        fn(*args, sample_weight=torch.ones(3, 1))
    with pytest.raises(TypeError, match=name):
        fn(*args, where=torch.ones(3, 1, dtype=torch.bool))


# perceptron_loss, multiclass_perceptron_loss (peer: optax)


def _optax_reduced(fn, reduction, axis=-1):
    def peer(x, y):
        import jax.numpy as jnp

        if axis != -1:
            x = jnp.moveaxis(x, axis, -1)
        loss = fn(x, y)
        return {"mean": jnp.mean, "sum": jnp.sum, "none": lambda v: v}[reduction](loss)

    return peer


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_perceptron_loss_matches_optax(backend, reduction, dtype):
    """Random scores, and scores 0 (optax's half gradient at the kink) and +-1e4."""
    import optax

    x = (2 * _rng().normal(size=(4, 5))).astype(dtype)
    x[0] = [0.0, 0.0, 1e4, -1e4, 1.0]
    y = _rng(1).choice([-1.0, 1.0], size=(4, 5)).astype(dtype)
    y[0] = [1.0, -1.0, -1.0, -1.0, 1.0]
    check_parity(backend, lambda a, b: ol.perceptron_loss(a, b, reduction=reduction),
                 jax_peer(_optax_reduced(optax.losses.perceptron_loss, reduction)), [x, y])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_multiclass_perceptron_loss_matches_optax(backend, reduction, dtype):
    """Random scores, a tie at the maximum (its gradient shared) and 1e4 scores."""
    import optax

    x = _rng().normal(size=(6, 5)).astype(dtype)
    x[0] = [1.0, 2.0, 2.0, 0.0, -1.0]
    x[1] = [1e4, -1e4, 0.0, 3.0, 2.0]
    y = _rng(1).integers(0, 5, size=6)
    y[0] = 1
    check_parity(backend, lambda a, b: ol.multiclass_perceptron_loss(a, b, reduction=reduction),
                 jax_peer(_optax_reduced(optax.losses.multiclass_perceptron_loss, reduction)),
                 [x, y])
    if reduction == "mean" and dtype == np.float64:
        check_parity(backend, lambda a, b: ol.multiclass_perceptron_loss(a, b, axis=0),
                     jax_peer(_optax_reduced(optax.losses.multiclass_perceptron_loss, "mean",
                                             axis=0)), [np.ascontiguousarray(x.T), y])


# ranking_softmax_loss (peer: optax)


def _optax_ranking(reduction, masked, weighted):
    reduce_fn = {"mean": "mean", "sum": "sum", "none": None}[reduction]

    def peer(scores, labels, mask, item_weight):
        import jax.numpy as jnp
        import optax

        return optax.losses.ranking_softmax_loss(
            scores, labels, where=mask if masked else None,
            weights=item_weight if weighted else None,
            reduce_fn=None if reduce_fn is None else getattr(jnp, reduce_fn))

    return peer


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(("masked", "weighted"), [(False, False), (True, True)])
def test_ranking_softmax_loss_matches_optax(backend, reduction, masked, weighted, dtype):
    """Graded labels, a 1e4 score, a masked item, an empty list (left out of the mean)."""
    scores = (2 * _rng().normal(size=(5, 6))).astype(dtype)
    scores[1, 2] = 1e4
    labels = _rng(1).integers(0, 3, size=(5, 6)).astype(dtype)
    mask = _rng(2).uniform(size=(5, 6)) > 0.3
    mask[0] = False
    item_weight = _rng(3).uniform(0.5, 2.0, size=(5, 6)).astype(dtype)

    def ours(x, y, m, w):
        return ol.ranking_softmax_loss(x, y, mask=m if masked else None,
                                       item_weight=w if weighted else None,
                                       reduction=reduction)

    check_parity(backend, ours, jax_peer(_optax_ranking(reduction, masked, weighted)),
                 [scores, labels, mask, item_weight])


def test_ranking_softmax_loss_axis_and_where(backend):
    """Lists along axis 0; ``where`` and ``sample_weight`` weigh whole lists (optax has no
    per-list weight: the peer is its unreduced loss, weighted here)."""
    scores, labels = _rng().normal(size=(6, 4)), _rng(1).uniform(size=(6, 4))
    keep, weight = np.array([True, False, True, True]), np.array([0.5, 1.0, 2.0, 1.5])

    def peer(x, y, w, m):
        import jax.numpy as jnp
        import optax

        loss = optax.losses.ranking_softmax_loss(x.T, y.T, reduce_fn=None)
        return jnp.sum(loss * w * m) / jnp.sum(w * m)

    check_parity(backend, lambda x, y, w, m: ol.ranking_softmax_loss(
        x, y, axis=0, sample_weight=w, where=m), jax_peer(peer), [scores, labels, weight, keep])
