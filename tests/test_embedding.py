"""Embedding and metric-learning losses against torch, Keras, optax and the published formulas."""

from __future__ import annotations

import math

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


def _torch_reduce(loss, reduction: str):
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


# Triplet margin loss (torch).


def _triplets(dtype, shape=(5, 4), seed: int = 0):
    rng = _rng(seed)
    return [rng.normal(size=shape).astype(dtype) for _ in range(3)]


@pytest.mark.parametrize("swap", [False, True])
@pytest.mark.parametrize("p", [2.0, 1.0, 1.5, 3.0, math.inf, 0.5])
@pytest.mark.parametrize("dtype", DTYPES)
def test_triplet_matches_torch(backend, dtype, p, swap):
    from torch.nn import functional

    check_parity(backend,
                 lambda a, b, c: ol.triplet_margin_loss(a, b, c, p=p, swap=swap,
                                                        reduction="none"),
                 torch_peer(functional.triplet_margin_loss, p=p, swap=swap, reduction="none"),
                 _triplets(dtype), argnums=(0, 1, 2))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("options", [{}, {"margin": 0.2, "eps": 1e-3}, {"margin": 3.0}],
                         ids=["default", "margin-eps", "wide"])
def test_triplet_options_and_reductions(backend, reduction, options):
    from torch.nn import functional

    check_parity(backend,
                 lambda a, b, c: ol.triplet_margin_loss(a, b, c, reduction=reduction, **options),
                 torch_peer(functional.triplet_margin_loss, reduction=reduction, **options),
                 _triplets(np.float64, seed=1), argnums=(0, 1, 2))


@pytest.mark.parametrize("p", [2.0, 1.0, 3.0, math.inf])
def test_triplet_kinks(backend, p):
    # Rows: at the margin (margin + d_pos - d_neg == 0); anchor == positive with eps=0 (zero
    # difference: torch's norm gradient 0); anchor == positive under swap (d_neg tie).
    from torch.nn import functional

    anchor = np.array([[0.0, 0.0], [1.0, 2.0], [0.5, -1.0]])
    positive = np.array([[1.0, 0.0], [1.0, 2.0], [0.5, -1.0]])
    negative = np.array([[2.0, 0.0], [3.0, 1.0], [1.5, 0.0]])
    for swap in (False, True):
        check_parity(backend,
                     lambda a, b, c, s=swap: ol.triplet_margin_loss(
                         a, b, c, p=p, eps=0.0, swap=s, reduction="none"),
                     torch_peer(functional.triplet_margin_loss, p=p, eps=0.0, swap=swap,
                                reduction="none"),
                     [anchor, positive, negative], argnums=(0, 1, 2))


@pytest.mark.parametrize("shape", [(4,), (2, 3, 4), (0, 4)], ids=["1d", "3d", "empty"])
def test_triplet_shapes(backend, shape):
    from torch.nn import functional

    args = _triplets(np.float64, shape=shape, seed=2)
    for reduction in REDUCTIONS:
        check_parity(backend,
                     lambda a, b, c, r=reduction: ol.triplet_margin_loss(a, b, c, swap=True,
                                                                         reduction=r),
                     torch_peer(functional.triplet_margin_loss, swap=True, reduction=reduction),
                     args, argnums=(0, 1, 2))


# Cosine embedding loss (torch).


def _cosine_pairs(dtype, seed: int = 3):
    rng = _rng(seed)
    x1, x2 = rng.normal(size=(2, 6, 4))
    target = rng.choice([-1.0, 1.0], size=6)
    x1[0] = 0.0  # zero vectors stay finite (torch's 1e-12)
    x2[1] = 0.0
    target[1] = -1.0
    x1[2], x2[2] = [1.0, 0.0, 0.0, 0.0], [0.0, 2.0, 0.0, 0.0]  # cos == 0 == margin
    target[2] = -1.0
    target[3] = 0.0  # neither label: 0
    return [x1.astype(dtype), x2.astype(dtype), target.astype(dtype)]


@pytest.mark.parametrize("margin", [0.0, 0.3])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_cosine_embedding_matches_torch(backend, dtype, reduction, margin):
    from torch.nn import functional

    check_parity(backend,
                 lambda a, b, y: ol.cosine_embedding_loss(a, b, y, margin=margin,
                                                          reduction=reduction),
                 torch_peer(functional.cosine_embedding_loss, margin=margin, reduction=reduction),
                 _cosine_pairs(dtype), argnums=(0, 1))


def test_cosine_embedding_single_pair_integer_target_and_empty(backend):
    from torch.nn import functional

    x1, x2 = _rng(4).normal(size=(2, 5))
    for target in (np.array(1), np.array(-1)):
        check_parity(backend, ol.cosine_embedding_loss,
                     torch_peer(functional.cosine_embedding_loss), [x1, x2, target],
                     argnums=(0, 1))
    check_parity(backend, lambda a, b, y: ol.cosine_embedding_loss(a, b, y, reduction="none"),
                 torch_peer(functional.cosine_embedding_loss, reduction="none"),
                 [np.zeros((0, 3)), np.zeros((0, 3)), np.zeros(0, dtype=np.int64)])
    check_parity(backend, ol.cosine_embedding_loss, torch_peer(functional.cosine_embedding_loss),
                 [np.zeros((0, 3)), np.zeros((0, 3)), np.zeros(0)])


# Cosine similarity loss (Keras).


def _similarity_pairs(dtype, seed: int = 5):
    rng = _rng(seed)
    x, y = rng.normal(size=(2, 5, 3))
    x[0] = 0.0  # zero vector: Keras's 1e7 floor
    y[1] = 0.0
    x[2] = [1e-9, 0.0, -2e-9]  # norm below Keras's epsilon
    return [x.astype(dtype), y.astype(dtype)]


@pytest.mark.parametrize("axis", [-1, 0])
@pytest.mark.parametrize("dtype", DTYPES)
def test_cosine_similarity_matches_keras(backend, dtype, axis):
    import keras

    check_parity(backend, lambda x, y: ol.cosine_similarity_loss(x, y, axis=axis,
                                                                 reduction="none"),
                 keras_peer(lambda x, y: keras.losses.cosine_similarity(y, x, axis=axis)),
                 _similarity_pairs(dtype), argnums=(0, 1))


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_cosine_similarity_reductions(backend, reduction):
    import keras
    import tensorflow as tf

    reducer = tf.reduce_mean if reduction == "mean" else tf.reduce_sum
    check_parity(backend, lambda x, y: ol.cosine_similarity_loss(x, y, reduction=reduction),
                 keras_peer(lambda x, y: reducer(keras.losses.cosine_similarity(y, x))),
                 _similarity_pairs(np.float64, seed=6), argnums=(0, 1))


def test_cosine_similarity_integer_target(backend):
    import keras

    x = _rng(16).normal(size=(4, 3))
    target = np.array([[1, 0, 0], [0, 2, 1], [0, 0, 0], [-1, 1, 3]])
    check_parity(backend, lambda a, b: ol.cosine_similarity_loss(a, b, reduction="none"),
                 keras_peer(lambda a, b: keras.losses.cosine_similarity(b, a)), [x, target])


def test_cosine_similarity_3d_and_empty(backend):
    import keras

    x, y = _rng(7).normal(size=(2, 2, 3, 4))
    check_parity(backend, lambda a, b: ol.cosine_similarity_loss(a, b, axis=1, reduction="none"),
                 keras_peer(lambda a, b: keras.losses.cosine_similarity(b, a, axis=1)), [x, y],
                 argnums=(0, 1))
    out = check_parity(backend,
                       lambda a, b: ol.cosine_similarity_loss(a, b, reduction="none"), None,
                       [np.zeros((0, 3)), np.zeros((0, 3))])
    assert out.shape == (0,)


# Contrastive loss (Hadsell et al. 2006; the formula in torch is the reference).


def _contrastive_reference(margin: float, reduction: str):
    import torch

    def reference(x1, x2, y):
        distance = torch.linalg.vector_norm(x1 - x2, dim=-1)
        loss = y * distance**2 + (1 - y) * torch.clamp(margin - distance, min=0) ** 2
        return _torch_reduce(loss, reduction)

    return torch_peer(reference)


def _contrastive_pairs(dtype, margin: float = 1.0, seed: int = 8):
    rng = _rng(seed)
    x1, x2 = rng.normal(size=(2, 7, 3)) * 0.6
    target = rng.integers(0, 2, size=7).astype(np.float64)
    x2[0], target[0] = x1[0], 0.0  # d == 0, dissimilar: gradient 0 (torch's norm)
    x2[1], target[1] = x1[1], 1.0  # d == 0, similar
    x1[2], x2[2], target[2] = [0.0, 0.0, 0.0], [margin, 0.0, 0.0], 0.0  # d == margin
    target[3] = 0.3  # a soft label
    return [x1.astype(dtype), x2.astype(dtype), target.astype(dtype)]


@pytest.mark.parametrize("margin", [1.0, 2.0])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_contrastive_matches_formula(backend, dtype, reduction, margin):
    check_parity(backend,
                 lambda a, b, y: ol.contrastive_loss(a, b, y, margin=margin,
                                                     reduction=reduction),
                 _contrastive_reference(margin, reduction),
                 _contrastive_pairs(dtype, margin), argnums=(0, 1, 2))


def test_contrastive_shapes(backend):
    rng = _rng(9)
    single = [rng.normal(size=4), rng.normal(size=4), np.array(0.0)]
    check_parity(backend, ol.contrastive_loss, _contrastive_reference(1.0, "mean"), single,
                 argnums=(0, 1, 2))
    check_parity(backend, lambda a, b, y: ol.contrastive_loss(a, b, y, reduction="none"),
                 _contrastive_reference(1.0, "none"),
                 [rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 3, 4)),
                  rng.integers(0, 2, size=(2, 3))], argnums=(0, 1))
    check_parity(backend, ol.contrastive_loss, _contrastive_reference(1.0, "mean"),
                 [np.zeros((0, 3)), np.zeros((0, 3)), np.zeros(0)], argnums=(0, 1, 2))


# NT-Xent (optax).


def _ntxent_batch(dtype, seed: int = 10):
    rng = _rng(seed)
    embeddings = rng.normal(size=(6, 3))
    embeddings[4] = 0.0  # a zero embedding: optax's eps floor
    embeddings[5] = 2.0 * embeddings[0]  # cosine 1 with the first
    return [embeddings.astype(dtype), np.array([0, 0, 1, 1, 2, 0])]


@pytest.mark.parametrize("temperature", [0.07, 0.5])
@pytest.mark.parametrize("dtype", DTYPES)
def test_ntxent_matches_optax(backend, dtype, temperature):
    import optax

    check_parity(backend, lambda e, y: ol.ntxent_loss(e, y, temperature=temperature),
                 jax_peer(optax.ntxent, temperature=temperature), _ntxent_batch(dtype))


@pytest.mark.parametrize("labels", [[0, 0, 0, 0], [0, 1, 2, 3], [5]],
                         ids=["no-negatives", "no-positives", "single"])
def test_ntxent_degenerate_groups(backend, labels):
    import optax

    embeddings = _rng(11).normal(size=(len(labels), 3))
    check_parity(backend, ol.ntxent_loss, jax_peer(optax.ntxent),
                 [embeddings, np.array(labels)])


def test_ntxent_large_embeddings(backend):
    import optax

    embeddings = _rng(12).normal(size=(4, 3)) * 1e4
    value = check_parity(backend, lambda e, y: ol.ntxent_loss(e, y, temperature=0.01),
                         jax_peer(optax.ntxent, temperature=0.01),
                         [embeddings, np.array([0, 1, 0, 1])], rtol=1e-9)
    assert np.isfinite(value)


# Margin softmax (ArcFace, CosFace, SphereFace): the published formulas in torch.


_CHEBYSHEV = {  # cos(m * theta) as a polynomial of cos(theta), as in the SphereFace code
    1: lambda x: x,
    2: lambda x: 2 * x**2 - 1,
    3: lambda x: 4 * x**3 - 3 * x,
    4: lambda x: 8 * x**4 - 8 * x**2 + 1,
    5: lambda x: 16 * x**5 - 20 * x**3 + 5 * x,
}


def _margin_softmax_reference(kind: str, scale: float, margin: float, reduction: str):
    import torch
    from torch.nn import functional

    def reference(cosine, target):
        one_hot = functional.one_hot(target, cosine.shape[1]).to(cosine.dtype)
        if kind == "arcface":  # Deng et al. 2019
            theta = torch.acos(torch.clamp(cosine, -1.0 + 1e-7, 1.0 - 1e-7))
            modified = torch.cos(theta + margin)
        elif kind == "cosface":  # Wang et al. 2018
            modified = cosine - margin
        else:  # Liu et al. 2017, psi(theta) = (-1)^k cos(m theta) - 2k
            m = int(margin)
            bounded = cosine.clamp(-1, 1)
            k = torch.floor(m * torch.acos(bounded.detach()) / math.pi)
            modified = (-1.0) ** k * _CHEBYSHEV[m](bounded) - 2 * k
        logits = scale * (one_hot * modified + (1 - one_hot) * cosine)
        return functional.cross_entropy(logits, target, reduction=reduction)

    return torch_peer(reference)


def _cosines(dtype, seed: int = 13):
    rng = _rng(seed)
    cosine = rng.uniform(-1.0, 1.0, size=(8, 5))
    target = rng.integers(0, 5, size=8)
    rows = np.arange(8)
    cosine[rows[:4], target[:4]] = [1.0, -1.0, 1.0 - 1e-9, -1.0 + 1e-9]  # at and near +-1
    cosine[4, target[4]] = 0.0
    return [cosine.astype(dtype), target]


KINDS = [("arcface", 0.5), ("arcface", 0.2), ("cosface", 0.35), ("sphereface", 4),
         ("sphereface", 1), ("sphereface", 2), ("sphereface", 3)]


@pytest.mark.parametrize(("kind", "margin"), KINDS, ids=[f"{k}-{m}" for k, m in KINDS])
@pytest.mark.parametrize("dtype", DTYPES)
def test_margin_softmax_matches_formula(backend, dtype, kind, margin):
    value = check_parity(backend,
                         lambda c, y: ol.margin_softmax_loss(c, y, margin=margin, kind=kind,
                                                             reduction="none"),
                         _margin_softmax_reference(kind, 64.0, margin, "none"),
                         _cosines(dtype))
    assert np.all(np.isfinite(value))


@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("kind", ["arcface", "cosface", "sphereface"])
def test_margin_softmax_reductions(backend, kind, reduction):
    margin = 3 if kind == "sphereface" else 0.4
    check_parity(backend,
                 lambda c, y: ol.margin_softmax_loss(c, y, scale=30.0, margin=margin, kind=kind,
                                                     reduction=reduction),
                 _margin_softmax_reference(kind, 30.0, margin, reduction),
                 _cosines(np.float64, seed=14))


def test_margin_softmax_gradients_finite_at_unit_cosine(grad_backend):
    cosine = np.array([[1.0, -1.0, 0.3], [-1.0, 1.0, 1.0]])
    target = np.array([0, 0])
    for kind, margin in (("arcface", 0.5), ("cosface", 0.35), ("sphereface", 4)):
        _, (grad,) = grad_backend.value_and_grad(
            lambda c, y, k=kind, m=margin: ol.margin_softmax_loss(c, y, kind=k, margin=m),
            [cosine, target], (0,))
        assert np.all(np.isfinite(grad)), kind


def test_margin_softmax_default_and_empty(backend):
    check_parity(backend, ol.margin_softmax_loss,
                 _margin_softmax_reference("arcface", 64.0, 0.5, "mean"),
                 _cosines(np.float64, seed=15))
    check_parity(backend, lambda c, y: ol.margin_softmax_loss(c, y, reduction="none"),
                 _margin_softmax_reference("arcface", 64.0, 0.5, "none"),
                 [np.zeros((0, 3)), np.zeros(0, dtype=np.int64)])


# sample_weight and where.


@pytest.mark.parametrize("axis", [-1, 0])
@pytest.mark.parametrize("dtype", DTYPES)
def test_cosine_similarity_sample_weight_matches_keras(backend, dtype, axis):
    # keras.losses.CosineSimilarity (the negative cosine, as ours) with
    # reduction="mean_with_sample_weight": one weight per sample of input's shape without axis.
    import keras

    x, y = _similarity_pairs(dtype, seed=17)
    weight = _rng(18).uniform(0.0, 2.0, size=x.shape[1] if axis == 0 else x.shape[0])
    weight[1] = 0.0
    loss = keras.losses.CosineSimilarity(axis=axis, reduction="mean_with_sample_weight",
                                         dtype=np.dtype(dtype).name)
    check_parity(backend, lambda a, b, w: ol.cosine_similarity_loss(a, b, axis=axis,
                                                                    sample_weight=w),
                 keras_peer(lambda a, b, w: loss(b, a, sample_weight=w)),
                 [x, y, weight.astype(dtype)], argnums=(0, 1, 2))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cosine_similarity_where_matches_optax(backend, reduction):
    # optax.cosine_similarity (+cos) with a per-example where: 0 at the masked examples; ours
    # masks the same examples out of the sum and the mean's divisor. optax's default epsilon=0
    # gives the masked examples NaN gradients (their masked norm is 0); a tiny one, no floor for
    # these vectors, gives 0 there, as ours.
    import jax.numpy as jnp
    import optax

    x, y = _rng(19).normal(size=(2, 6, 4))
    keep = np.array([True, False, True, True, False, True])

    def peer(a, b, m):
        loss = -optax.cosine_similarity(a, b, epsilon=1e-30,
                                        where=jnp.broadcast_to(m[:, None], a.shape))
        if reduction == "none":
            return loss
        return loss.sum() / (m.sum() if reduction == "mean" else 1)

    check_parity(backend, lambda a, b, m: ol.cosine_similarity_loss(a, b, reduction=reduction,
                                                                    where=m),
                 jax_peer(peer), [x, y, keep], argnums=(0, 1))


def _contrastive_none(x1, x2, y, *, reduction, margin=1.0):
    import torch

    distance = torch.linalg.vector_norm(x1 - x2, dim=-1)
    return y * distance**2 + (1 - y) * torch.clamp(margin - distance, min=0) ** 2


def _weighted_cases(name: str):
    from torch.nn import functional

    if name == "triplet_margin_loss":
        return _triplets(np.float64, shape=(6, 4), seed=20), functional.triplet_margin_loss, {
            "swap": True}, (0, 1, 2)
    if name == "cosine_embedding_loss":
        return _cosine_pairs(np.float64), functional.cosine_embedding_loss, {"margin": 0.2}, (
            0, 1)
    if name == "contrastive_loss":
        return _contrastive_pairs(np.float64), _contrastive_none, {}, (0, 1, 2)
    return _cosines(np.float64, seed=21), None, {"kind": "cosface", "margin": 0.35}, (0,)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", ["triplet_margin_loss", "cosine_embedding_loss",
                                  "contrastive_loss", "margin_softmax_loss"])
def test_sample_weight_and_where_match_torch(backend, name, reduction):
    # One weight per triplet, pair or sample.
    inputs, reference, options, argnums = _weighted_cases(name)
    samples = inputs[0].shape[0]
    weight = _rng(22).uniform(0.5, 2.0, size=samples)
    mask = np.arange(samples) % 3 != 1
    peer = (_margin_softmax_weighted(reduction) if reference is None
            else torch_weighted_peer(reference, reduction, **options))

    def ours(*args):
        *arrays, w, m = args
        return getattr(ol, name)(*arrays, reduction=reduction, sample_weight=w, where=m,
                                 **options)

    check_parity(backend, ours, peer, [*inputs, weight, mask],
                 argnums=(*argnums, len(inputs)))


def _margin_softmax_weighted(reduction: str):
    """CosFace (s=64, m=0.35) in torch, weighted like :func:`tests.helpers.torch_weighted_peer`."""
    from torch.nn import functional

    def weighted(cosine, target, w, m):
        one_hot = functional.one_hot(target, cosine.shape[1]).to(cosine.dtype)
        logits = 64.0 * (one_hot * (cosine - 0.35) + (1 - one_hot) * cosine)
        loss = functional.cross_entropy(logits, target, reduction="none") * w * m
        if reduction == "none":
            return loss
        return loss.sum() if reduction == "sum" else loss.sum() / (w * m).sum()

    return torch_peer(weighted)


def _ntxent_reference(temperature: float, reduction: str):
    """NT-Xent per anchor, in torch without optax's shift: the sum over the anchor's positive
    pairs of ``-log(exp(s_ij) / (exp(s_ij) + sum_neg exp(s_ik)))``, weighted and reduced; the
    mean divides by the weighted number of positive pairs."""
    import torch

    def reference(e, labels, w, m):
        eps = torch.finfo(e.dtype).eps
        unit = e / torch.sqrt(torch.clamp((e * e).sum(1, keepdim=True), min=eps))
        s = unit @ unit.T / temperature
        same = labels[:, None] == labels[None, :]
        positive = same & ~torch.eye(len(labels), dtype=torch.bool)
        negatives = torch.where(~same, torch.exp(s), 0.0).sum(1, keepdim=True)
        pair = torch.log(torch.exp(s) + negatives) - s
        per_anchor = torch.where(positive, pair, 0.0).sum(1) * w * m
        if reduction == "none":
            return per_anchor
        if reduction == "sum":
            return per_anchor.sum()
        return per_anchor.sum() / (positive.sum(1) * w * m).sum()

    return torch_peer(reference)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("temperature", [0.5, 0.1])
def test_ntxent_per_anchor_reduction(backend, temperature, reduction):
    # "none": one loss per anchor (its positive pairs' summed losses, 0 without a positive);
    # the weights align with the anchors, and "mean" is sum(w * loss) / sum(w * positives).
    embeddings, labels = _ntxent_batch(np.float64)
    weight = _rng(23).uniform(0.5, 2.0, size=6)
    mask = np.array([True, True, False, True, True, True])
    check_parity(backend,
                 lambda e, y, w, m: ol.ntxent_loss(e, y, temperature=temperature,
                                                   reduction=reduction, sample_weight=w,
                                                   where=m),
                 _ntxent_reference(temperature, reduction),
                 [embeddings, labels, weight, mask], argnums=(0, 2))


@pytest.mark.parametrize("labels", [[0, 0, 1, 1, 2, 0], [0, 0, 1, 1, 2, 2], [0, 1, 2, 3, 4, 5]],
                         ids=["unequal", "pairs", "no-positives"])
def test_ntxent_unweighted_reductions(backend, labels):
    # "mean" (optax's number) is sum("none") / number of positive pairs; with pairs it is also
    # the mean over anchors. Weights of ones give the same numbers as no weights.
    import optax

    embeddings = _rng(24).normal(size=(6, 3))
    labels = np.array(labels)
    per_anchor = check_parity(backend, lambda e, y: ol.ntxent_loss(e, y, reduction="none"),
                              None, [embeddings, labels])
    positives = (labels[:, None] == labels[None, :]).sum(1) - 1
    total = check_parity(backend, lambda e, y: ol.ntxent_loss(e, y, reduction="sum"), None,
                         [embeddings, labels])
    assert_close(total, per_anchor.sum(), rtol=1e-12, atol=1e-14, what="sum")
    assert np.all(per_anchor[positives == 0] == 0)
    mean = check_parity(backend, ol.ntxent_loss, jax_peer(optax.ntxent), [embeddings, labels])
    with np.errstate(invalid="ignore"):
        assert_close(mean, per_anchor.sum() / positives.sum(), rtol=1e-12, atol=1e-14,
                     what="mean")
    ones = check_parity(backend, lambda e, y: ol.ntxent_loss(e, y, sample_weight=1.0), None,
                        [embeddings, labels])
    if positives.sum():
        assert_close(ones, mean, rtol=1e-12, atol=1e-14, what="weights of ones")
    else:  # optax's 0/0; with weights a zero total weight is 0
        assert np.isnan(mean) and ones == 0


# circle_loss


def _unit_rows(rng, rows: int, dtype) -> np.ndarray:
    vectors = rng.normal(size=(rows, 4))
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(dtype)


def _circle_batch(dtype, seed: int = 11):
    rng = _rng(seed)
    # anchor 6 (label 3) has no positive: its loss is 0, and it still enters as a negative
    return [_unit_rows(rng, 7, dtype), np.array([0, 0, 1, 2, 1, 2, 3])]


def _keras_circle(reduction, **options):
    def peer(embeddings, labels, *references):
        import keras
        import tensorflow as tf

        given = dict(zip(("ref_embeddings", "ref_labels"), references, strict=False))
        loss = keras.losses.circle(labels, embeddings, **options, **given)
        return {"mean": tf.reduce_mean, "sum": tf.reduce_sum, "none": lambda v: v}[reduction](
            loss)

    return peer


@pytest.mark.parametrize(("dtype", "reduction", "options"), [
    (np.float64, "none", {}), (np.float64, "mean", {}), (np.float64, "sum", {}),
    (np.float64, "none", {"gamma": 16.0, "margin": 0.25, "remove_diagonal": False}),
    (np.float32, "mean", {})], ids=str)
def test_circle_matches_keras(backend, dtype, reduction, options):
    check_parity(backend, lambda e, y: ol.circle_loss(e, y, reduction=reduction, **options),
                 keras_peer(_keras_circle(reduction, **options)), _circle_batch(dtype))


@pytest.mark.parametrize("remove_diagonal", [True, False])
def test_circle_references_match_keras(backend, remove_diagonal):
    embeddings, labels = _circle_batch(np.float64)
    references = _unit_rows(_rng(12), 5, np.float64)
    ref_labels = np.array([1, 0, 4, 2, 0], dtype=np.int32)  # another integer dtype
    check_parity(backend, lambda e, y, r, ry: ol.circle_loss(
        e, y, ref_embeddings=r, ref_labels=ry, remove_diagonal=remove_diagonal,
        reduction="none"),
        keras_peer(_keras_circle("none", remove_diagonal=remove_diagonal)),
        [embeddings, labels, references, ref_labels], argnums=(0, 2))


def test_circle_without_positives_or_negatives_is_zero(backend):
    # one group: no negatives; all different: no positives. Zero loss, zero gradient.
    embeddings = _unit_rows(_rng(13), 3, np.float64)
    for labels in ([0, 0, 0], [0, 1, 2]):
        check_parity(backend, lambda e, y: ol.circle_loss(e, y, reduction="none"),
                     keras_peer(_keras_circle("none")), [embeddings, np.array(labels)])


def test_bad_inputs_circle(backend):
    name = "circle_loss"
    x = backend.asarray(_unit_rows(_rng(14), 3, np.float64))
    labels = backend.asarray(np.array([0, 0, 1]))
    fn = ol.circle_loss
    assert_raises_named(ValueError, name, "ref_embeddings",
                        lambda: fn(x, labels, ref_embeddings=backend.asarray(np.ones((3, 2)))))
    assert_raises_named(ValueError, name, "ref_labels",
                        lambda: fn(x, labels, ref_embeddings=backend.asarray(np.ones((4, 4)))))
    assert_raises_named(ValueError, name, "ref_labels",
                        lambda: fn(x, labels, ref_labels=backend.asarray(np.zeros(2, np.int64))))
    assert_raises_named(TypeError, name, "ref_labels",
                        lambda: fn(x, labels, ref_labels=backend.asarray(np.zeros(3))))
    assert_raises_named(TypeError, name, "ref_embeddings", lambda: fn(x, labels,
                                                                      ref_embeddings=[[1.0]]))
    assert_raises_named(ValueError, name, "gamma", lambda: fn(x, labels, gamma=0.0))
    assert_raises_named(ValueError, name, "margin", lambda: fn(x, labels, margin=float("nan")))
    assert_raises_named(TypeError, name, "remove_diagonal",
                        lambda: fn(x, labels, remove_diagonal=1))
    assert_raises_named(ValueError, name, "labels",
                        lambda: fn(x, backend.asarray(np.zeros(4, dtype=np.int64))))


# supervised_contrastive_loss: pytorch-metric-learning, transcribed (it is not installed here)


def _pml_pairs(embeddings, labels):
    """pytorch-metric-learning's ``CosineSimilarity`` matrix (``F.normalize`` then ``@``) and
    ``get_all_pairs_indices`` as masks: positives off the diagonal, negatives."""
    import torch

    unit = torch.nn.functional.normalize(embeddings, p=2, dim=1)
    same = labels[:, None] == labels[None, :]
    return unit @ unit.T, same & ~torch.eye(len(labels), dtype=torch.bool), ~same


def _pml_logsumexp(x, keep, add_one):
    """``loss_and_miner_utils.logsumexp``: masked with ``finfo.min``, a 0 appended with
    ``add_one``, 0 for a row with nothing kept."""
    import torch

    x = x.masked_fill(~keep, torch.finfo(x.dtype).min)
    if add_one:
        x = torch.cat([x, torch.zeros_like(x[:, :1])], dim=1)
    return torch.logsumexp(x, dim=1, keepdim=True).masked_fill(~keep.any(1, keepdim=True), 0)


def _pml_reduce(losses, embeddings, reducer: str):
    """The reducers: ``AvgNonZeroReducer`` ("nonzero", the mean of the losses above 0),
    ``MeanReducer``, ``SumReducer``, ``DoNothingReducer`` ("none"); a reducer's zero loss is
    ``sum(embeddings * 0)``."""
    if reducer == "none":
        return losses
    if reducer == "nonzero":
        losses = losses[losses > 0]
        return losses.mean() if len(losses) else (embeddings * 0).sum()
    return losses.mean() if reducer == "mean" else losses.sum()


def _pml_supcon(temperature: float, reducer: str):
    """pytorch-metric-learning 2.8.1 ``SupConLoss(temperature)`` without a miner
    (``src/pytorch_metric_learning/losses/supcon_loss.py``, ``_compute_loss``), its operations
    rewritten in torch; its default reducer is ``AvgNonZeroReducer``."""
    import torch

    def peer(embeddings, labels):
        mat, pos, neg = _pml_pairs(embeddings, labels)
        if not (pos.any() and neg.any()):
            return (embeddings * 0).sum()  # zero_losses()
        mat = mat / temperature
        mat = mat - mat.max(dim=1, keepdim=True).values.detach()
        log_prob = mat - _pml_logsumexp(mat, pos | neg, add_one=False)
        pos_mask = pos.to(mat.dtype)  # a float mask, as pml's: the count + tiny stays float64
        tiny = torch.finfo(mat.dtype).tiny
        losses = -(pos_mask * log_prob).sum(1) / (pos_mask.sum(1) + tiny)
        return _pml_reduce(losses, embeddings, reducer)

    return torch_peer(peer)


def _supcon_batch(dtype, seed: int = 15):
    rng = _rng(seed)
    embeddings = rng.normal(size=(7, 4))
    embeddings[5] = 3.0 * embeddings[0]  # cosine 1 with the first
    # anchor 6 (label 3) has no positive: its loss is 0, and it still enters as a negative
    return [embeddings.astype(dtype), np.array([0, 0, 1, 2, 1, 0, 3])]


@pytest.mark.parametrize(("dtype", "reduction", "temperature"), [
    (np.float64, "mean", 0.1), (np.float64, "sum", 0.5), (np.float64, "none", 0.1),
    (np.float32, "mean", 0.1), (np.float64, "sum", 1e-4), (np.float32, "none", 1e-4)], ids=str)
def test_supcon_matches_pml(backend, dtype, reduction, temperature):
    # temperature 1e-4: logits of 1e4, finite as the peer's
    reducer = {"mean": "nonzero"}.get(reduction, reduction)
    value = check_parity(backend, lambda e, y: ol.supervised_contrastive_loss(
        e, y, temperature=temperature, reduction=reduction),
        _pml_supcon(temperature, reducer), _supcon_batch(dtype))
    assert np.all(np.isfinite(value))


@pytest.mark.parametrize("labels", [[0] * 7, list(range(7)), [4]],
                         ids=["no-negatives", "no-positives", "single"])
def test_supcon_degenerate_groups_are_zero(backend, labels):
    embeddings = _rng(16).normal(size=(len(labels), 4))  # the shapes of _supcon_batch
    check_parity(backend, ol.supervised_contrastive_loss, _pml_supcon(0.1, "nonzero"),
                 [embeddings, np.array(labels)])


def test_supcon_mean_counts_the_anchors_with_a_positive(backend):
    # pml's AvgNonZeroReducer leaves out a loss that rounds to 0 (anchors 2 and 4 at T = 1e-4:
    # each is the other's one positive and nearest sample); our "mean" counts the 5 anchors
    # with a positive (3 and 6 have none)
    embeddings, labels = _supcon_batch(np.float64)
    options = {"temperature": 1e-4}
    per_anchor = check_parity(backend, lambda e, y: ol.supervised_contrastive_loss(
        e, y, reduction="none", **options), _pml_supcon(1e-4, "none"), [embeddings, labels])
    assert np.all(per_anchor[[2, 4]] < 1e-30) and np.all(per_anchor[[0, 1, 5]] > 1e3)
    mean = check_parity(backend, lambda e, y: ol.supervised_contrastive_loss(e, y, **options),
                        None, [embeddings, labels])
    assert_close(mean, per_anchor.sum() / 5, rtol=1e-12, atol=1e-14, what="mean")


def _supcontrast(temperature: float, base_temperature: float):
    """The authors' ``SupConLoss`` (HobbitLong/SupContrast ``losses.py``, ``contrast_mode="all"``,
    one view) in a few torch operations: no normalisation, the mean over every anchor."""
    import torch

    def reference(features, labels):
        logits = features @ features.T / temperature
        logits = logits - logits.max(dim=1, keepdim=True).values.detach()
        others = ~torch.eye(len(labels), dtype=torch.bool)
        mask = (labels[:, None] == labels[None, :]) & others
        log_prob = logits - torch.log((torch.exp(logits) * others).sum(1, keepdim=True))
        positives = mask.sum(1)
        mean_log_prob_pos = (mask * log_prob).sum(1) / torch.where(positives < 1e-6, 1, positives)
        return -(temperature / base_temperature) * mean_log_prob_pos.mean()

    return torch_peer(reference)


def test_supcon_differs_from_supcontrast_by_its_mean_and_scale(backend):
    # SupContrast on unit features: our "sum" over B anchors, times T / base_T (the values:
    # the gradients differ, as ours flow through the normalisation and SupContrast's do not)
    embeddings, labels = _supcon_batch(np.float64)
    unit = embeddings / np.linalg.norm(embeddings, axis=1, keepdims=True)
    check_parity(backend, lambda e, y: ol.supervised_contrastive_loss(
        e, y, temperature=0.07, reduction="sum") * (0.07 / 0.1) / len(labels),
        _supcontrast(0.07, 0.1), [unit, labels], argnums=())


def test_supcon_weighted(backend):
    # the weights align with the anchors; "mean" divides by the weighted counted anchors
    embeddings, labels = _supcon_batch(np.float64)
    weight = _rng(17).uniform(0.5, 2.0, size=7)
    mask = np.array([True, False, True, True, True, True, True])
    per_anchor = check_parity(backend, lambda e, y: ol.supervised_contrastive_loss(
        e, y, reduction="none"), _pml_supcon(0.1, "none"), [embeddings, labels])
    counted = np.array([1, 1, 1, 0, 1, 1, 0]) * weight * mask  # 3 and 6: no positive
    mean = check_parity(backend, lambda e, y, w, m: ol.supervised_contrastive_loss(
        e, y, sample_weight=w, where=m), None, [embeddings, labels, weight, mask])
    assert_close(mean, (per_anchor * counted).sum() / counted.sum(), rtol=1e-12, atol=1e-14,
                 what="weighted mean")


def test_bad_inputs_supcon(backend):
    name = "supervised_contrastive_loss"
    x = backend.asarray(np.ones((3, 4)))
    labels = backend.asarray(np.array([0, 0, 1]))
    fn = ol.supervised_contrastive_loss
    assert_raises_named(ValueError, name, "temperature", lambda: fn(x, labels, temperature=0.0))
    assert_raises_named(TypeError, name, "temperature", lambda: fn(x, labels, temperature="1"))
    assert_raises_named(ValueError, name, "labels",
                        lambda: fn(x, backend.asarray(np.zeros(4, dtype=np.int64))))
    assert_raises_named(ValueError, name, "embeddings", lambda: fn(
        backend.asarray(np.ones(3)), labels))


# multi_similarity_loss: pytorch-metric-learning, transcribed


def _pml_multi_similarity(reducer: str, alpha: float = 2.0, beta: float = 50.0,
                          base: float = 0.5):
    """pytorch-metric-learning 2.8.1 ``MultiSimilarityLoss(alpha, beta, base)`` without a miner
    (``src/pytorch_metric_learning/losses/multi_similarity_loss.py``, ``_compute_loss``; its
    ``CosineSimilarity.margin(x, y)`` is ``y - x``), rewritten in torch; its default reducer is
    ``MeanReducer``. Its losses are ``(B, 1)``: "none" squeezes them."""
    def peer(embeddings, labels):
        mat, pos, neg = _pml_pairs(embeddings, labels)
        if pos.sum() <= 1 and neg.sum() <= 1:  # GenericPairLoss: no pairs, zero_losses()
            return (embeddings * 0).sum()
        pos_loss = _pml_logsumexp(alpha * (base - mat), pos, add_one=True) / alpha
        neg_loss = _pml_logsumexp(beta * (mat - base), neg, add_one=True) / beta
        return _pml_reduce((pos_loss + neg_loss).squeeze(1), embeddings, reducer)

    return torch_peer(peer)


@pytest.mark.parametrize(("dtype", "reduction", "options"), [
    (np.float64, "mean", {}), (np.float64, "sum", {}), (np.float64, "none", {}),
    (np.float64, "none", {"alpha": 4.0, "beta": 20.0, "base": 0.2}), (np.float32, "mean", {}),
    (np.float64, "none", {"alpha": 1e4, "beta": 1e4}), (np.float32, "mean", {"beta": 1e4})],
    ids=str)
def test_multi_similarity_matches_pml(backend, dtype, reduction, options):
    # alpha, beta = 1e4: exponents of 1e4, finite as the peer's
    value = check_parity(backend, lambda e, y: ol.multi_similarity_loss(
        e, y, reduction=reduction, **options),
        _pml_multi_similarity(reduction, **options), _supcon_batch(dtype))
    assert np.all(np.isfinite(value))


@pytest.mark.parametrize("labels", [[0] * 7, list(range(7))], ids=["no-negatives", "no-positives"])
def test_multi_similarity_degenerate_groups(backend, labels):
    # one term is 0 (a batch of one, both: see the SupCon test; the pairs are the same code)
    embeddings = _rng(18).normal(size=(len(labels), 4))
    check_parity(backend, lambda e, y: ol.multi_similarity_loss(e, y, reduction="sum"),
                 _pml_multi_similarity("sum"), [embeddings, np.array(labels)])


def test_bad_inputs_multi_similarity(backend):
    name = "multi_similarity_loss"
    x = backend.asarray(np.ones((3, 4)))
    labels = backend.asarray(np.array([0, 0, 1]))
    fn = ol.multi_similarity_loss
    assert_raises_named(ValueError, name, "alpha", lambda: fn(x, labels, alpha=0.0))
    assert_raises_named(ValueError, name, "beta", lambda: fn(x, labels, beta=-1.0))
    assert_raises_named(ValueError, name, "base", lambda: fn(x, labels, base=float("nan")))
    assert_raises_named(TypeError, name, "base", lambda: fn(x, labels, base="0.5"))
    assert_raises_named(ValueError, name, "labels",
                        lambda: fn(x, backend.asarray(np.zeros(4, dtype=np.int64))))


# Tracing.

TRACED = {
    "triplet_margin_loss": (lambda a, b, c: ol.triplet_margin_loss(a, b, c, p=3.0, swap=True),
                            lambda: _triplets(np.float64)),
    "cosine_embedding_loss": (ol.cosine_embedding_loss, lambda: _cosine_pairs(np.float64)),
    "cosine_similarity_loss": (ol.cosine_similarity_loss,
                               lambda: _similarity_pairs(np.float64)),
    "contrastive_loss": (ol.contrastive_loss, lambda: _contrastive_pairs(np.float64)),
    "ntxent_loss": (ol.ntxent_loss, lambda: _ntxent_batch(np.float64)),
    "circle_loss": (ol.circle_loss, lambda: _circle_batch(np.float64)),
    "supervised_contrastive_loss": (ol.supervised_contrastive_loss,
                                    lambda: _supcon_batch(np.float64)),
    "multi_similarity_loss": (ol.multi_similarity_loss, lambda: _supcon_batch(np.float64)),
    "margin_softmax_loss": (lambda c, y: ol.margin_softmax_loss(c, y, margin=4,
                                                                kind="sphereface"),
                            lambda: _cosines(np.float64)),
}


@pytest.mark.parametrize("name", list(TRACED))
def test_traced(tracing_backend, name):
    fn, make = TRACED[name]
    check_traced(tracing_backend, fn, make())


def test_traced_arcface(tracing_backend):
    check_traced(tracing_backend, ol.margin_softmax_loss, _cosines(np.float64))


# Bad inputs.


def test_bad_inputs_triplet(backend):
    name = "triplet_margin_loss"
    x = backend.asarray(np.ones((3, 4)))
    fn = ol.triplet_margin_loss
    assert_raises_named(ValueError, name, "negative",
                        lambda: fn(x, x, backend.asarray(np.ones((3, 5)))))
    assert_raises_named(ValueError, name, "anchor",
                        lambda: fn(*[backend.asarray(np.ones(()))] * 3))
    assert_raises_named(ValueError, name, "p", lambda: fn(x, x, x, p=0))
    assert_raises_named(ValueError, name, "p", lambda: fn(x, x, x, p=float("nan")))
    assert_raises_named(TypeError, name, "p", lambda: fn(x, x, x, p="2"))
    assert_raises_named(TypeError, name, "swap", lambda: fn(x, x, x, swap="yes"))
    assert_raises_named(TypeError, name, "swap", lambda: fn(x, x, x, swap=1))
    assert_raises_named(TypeError, name, "margin", lambda: fn(x, x, x, margin="1"))
    assert_raises_named(ValueError, name, "margin", lambda: fn(x, x, x, margin=float("nan")))
    assert_raises_named(TypeError, name, "eps", lambda: fn(x, x, x, eps=None))
    assert_raises_named(ValueError, name, "reduction", lambda: fn(x, x, x, reduction="avg"))
    assert_raises_named(TypeError, name, "anchor",
                        lambda: fn(backend.asarray(np.ones((3, 4), dtype=np.int64)), x, x))


@pytest.mark.parametrize("name", ["cosine_embedding_loss", "contrastive_loss"])
def test_bad_inputs_pairs(backend, name):
    fn = getattr(ol, name)
    x = backend.asarray(np.ones((3, 4)))
    y = backend.asarray(np.ones(3))
    assert_raises_named(ValueError, name, "input2",
                        lambda: fn(x, backend.asarray(np.ones((3, 5))), y))
    assert_raises_named(ValueError, name, "target", lambda: fn(x, x, backend.asarray(np.ones(4))))
    assert_raises_named(ValueError, name, "reduction", lambda: fn(x, x, y, reduction="avg"))
    assert_raises_named(TypeError, name, "input1",
                        lambda: fn(backend.asarray(np.ones((3, 4), dtype=np.int64)), x, y))
    assert_raises_named(TypeError, name, "margin", lambda: fn(x, x, y, margin="1"))
    assert_raises_named(ValueError, name, "margin", lambda: fn(x, x, y, margin=float("nan")))
    if name == "cosine_embedding_loss":
        cube = backend.asarray(np.ones((2, 3, 4)))
        assert_raises_named(ValueError, name, "input1",
                            lambda: fn(cube, cube, backend.asarray(np.ones((2, 3)))))


def test_bad_inputs_cosine_similarity(backend):
    name = "cosine_similarity_loss"
    x = backend.asarray(np.ones((3, 4)))
    fn = ol.cosine_similarity_loss
    assert_raises_named(ValueError, name, "target", lambda: fn(x, backend.asarray(np.ones(4))))
    assert_raises_named(ValueError, name, "axis", lambda: fn(x, x, axis=2))
    assert_raises_named(ValueError, name, "reduction", lambda: fn(x, x, reduction="avg"))
    assert_raises_named(TypeError, name, "input",
                        lambda: fn(backend.asarray(np.ones((3, 4), dtype=np.int64)), x))


def test_bad_inputs_ntxent(backend):
    name = "ntxent_loss"
    x = backend.asarray(np.ones((3, 4)))
    labels = backend.asarray(np.zeros(3, dtype=np.int64))
    fn = ol.ntxent_loss
    assert_raises_named(ValueError, name, "embeddings",
                        lambda: fn(backend.asarray(np.ones(3)), labels))
    assert_raises_named(ValueError, name, "embeddings",
                        lambda: fn(backend.asarray(np.ones((0, 4))),
                                   backend.asarray(np.zeros(0, dtype=np.int64))))
    assert_raises_named(ValueError, name, "labels",
                        lambda: fn(x, backend.asarray(np.zeros(4, dtype=np.int64))))
    assert_raises_named(ValueError, name, "temperature", lambda: fn(x, labels, temperature=0.0))
    assert_raises_named(TypeError, name, "temperature", lambda: fn(x, labels, temperature="1"))
    assert_raises_named(ValueError, name, "reduction", lambda: fn(x, labels, reduction="avg"))
    assert_raises_named(ValueError, name, "sample_weight",
                        lambda: fn(x, labels, sample_weight=backend.asarray(np.ones((3, 3)))))
    assert_raises_named(TypeError, name, "embeddings",
                        lambda: fn(backend.asarray(np.ones((3, 4), dtype=np.int64)), labels))


def test_bad_inputs_margin_softmax(backend):
    name = "margin_softmax_loss"
    c = backend.asarray(np.zeros((3, 4)))
    y = backend.asarray(np.zeros(3, dtype=np.int64))
    fn = ol.margin_softmax_loss
    assert_raises_named(ValueError, name, "kind", lambda: fn(c, y, kind="normface"))
    assert_raises_named(TypeError, name, "kind", lambda: fn(c, y, kind=1))
    assert_raises_named(ValueError, name, "margin", lambda: fn(c, y, kind="sphereface"))
    assert_raises_named(TypeError, name, "margin", lambda: fn(c, y, margin=None))
    assert_raises_named(ValueError, name, "margin", lambda: fn(c, y, margin=float("nan")))
    assert_raises_named(TypeError, name, "scale", lambda: fn(c, y, scale="64"))
    assert_raises_named(ValueError, name, "scale", lambda: fn(c, y, scale=-1.0))
    assert_raises_named(ValueError, name, "cosine", lambda: fn(backend.asarray(np.zeros(4)), y))
    assert_raises_named(ValueError, name, "cosine",
                        lambda: fn(backend.asarray(np.zeros((3, 0))), y))
    assert_raises_named(ValueError, name, "target",
                        lambda: fn(c, backend.asarray(np.zeros(2, dtype=np.int64))))
    assert_raises_named(TypeError, name, "target",
                        lambda: fn(c, backend.asarray(np.zeros(3))))
    assert_raises_named(TypeError, name, "cosine",
                        lambda: fn(backend.asarray(np.zeros((3, 4), dtype=np.int64)), y))
    assert_raises_named(ValueError, name, "reduction", lambda: fn(c, y, reduction="avg"))


