"""``omniloss check`` cases for :mod:`omniloss.embedding`.

Each loss's first case is unweighted (``tests/test_weighting.py`` derives its weights' shape from
it); a last case passes a ``sample_weight`` and a ``where`` mask of the unreduced loss's shape
(one value per triplet, pair, sample or anchor).
"""

from __future__ import annotations

import math

import numpy as np

from omniloss._check import Case, CaseMaker

_SHAPE = (8, 5)
_REDUCTIONS = ("mean", "sum", "none")


def _weighting(rng: np.random.Generator, size: int = _SHAPE[0]) -> dict[str, np.ndarray]:
    """A ``sample_weight`` and a ``where`` mask of ``size`` values (every third masked)."""
    return {"sample_weight": rng.uniform(0.5, 2.0, size=size),
            "where": np.arange(size) % 3 != 1}


def _triplet(rng: np.random.Generator) -> list[Case]:
    anchor, positive, negative = rng.normal(size=(3, *_SHAPE))
    triplet = (anchor, positive, negative)
    return [Case(triplet, {"reduction": r}, r) for r in _REDUCTIONS] + [
        Case(triplet, {"p": p, "swap": True}, f"p={p}, swap") for p in (1.0, 3.0, math.inf)] + [
        Case(triplet, {"margin": 0.2, "eps": 1e-3}, "margin=0.2, eps=1e-3"),
        Case(triplet, {"swap": True, **_weighting(rng)}, "swap, weighted")]


def _cosine_embedding(rng: np.random.Generator) -> list[Case]:
    first, second = rng.normal(size=(2, *_SHAPE))
    signs = rng.choice([-1.0, 1.0], size=_SHAPE[0])
    return [Case((first, second, signs), {"reduction": r}, r) for r in _REDUCTIONS] + [
        Case((first, second, signs), {"margin": 0.3}, "margin=0.3"),
        Case((first, second, signs), _weighting(rng), "weighted")]


def _cosine_similarity(rng: np.random.Generator) -> list[Case]:
    predicted, target = rng.normal(size=(2, *_SHAPE))
    return [Case((predicted, target), {"reduction": r}, r) for r in _REDUCTIONS] + [
        Case((predicted, target), {"axis": 0}, "axis=0"),
        Case((predicted, target), _weighting(rng), "weighted")]


def _contrastive(rng: np.random.Generator) -> list[Case]:
    first, second = rng.normal(scale=0.5, size=(2, *_SHAPE))
    similar = rng.integers(0, 2, size=_SHAPE[0]).astype(np.float64)
    return [Case((first, second, similar), {"reduction": r}, r) for r in _REDUCTIONS] + [
        Case((first, second, similar), {"margin": 2.0}, "margin=2"),
        Case((first, second, similar), _weighting(rng), "weighted")]


def _ntxent(rng: np.random.Generator) -> list[Case]:
    embeddings = rng.normal(size=_SHAPE)
    labels = np.array([0, 0, 1, 1, 2, 2, 0, 3])
    return [Case((embeddings, labels), {}, "temperature=0.07"),
            Case((embeddings, labels), {"temperature": 0.5}, "temperature=0.5")] + [
        Case((embeddings, labels), {"reduction": r}, r) for r in ("sum", "none")] + [
        Case((embeddings, labels), _weighting(rng), "weighted")]


def _circle(rng: np.random.Generator) -> list[Case]:
    def unit(rows: int) -> np.ndarray:
        vectors = rng.normal(size=(rows, _SHAPE[1]))
        return np.asarray(vectors / np.linalg.norm(vectors, axis=1, keepdims=True))

    embeddings, references = unit(_SHAPE[0]), unit(5)
    labels = np.array([0, 0, 1, 1, 2, 2, 0, 3])
    return [Case((embeddings, labels), {"reduction": r}, r) for r in _REDUCTIONS] + [
        Case((embeddings, labels), {"gamma": 16.0, "margin": 0.25, "remove_diagonal": False},
             "gamma=16, margin=0.25, with the diagonal"),
        Case((embeddings, labels), {"ref_embeddings": references,
                                    "ref_labels": np.array([1, 0, 3, 2, 5])}, "references"),
        Case((embeddings, labels), _weighting(rng), "weighted")]


def _supervised_contrastive(rng: np.random.Generator) -> list[Case]:
    embeddings = rng.normal(size=_SHAPE)
    labels = np.array([0, 0, 1, 1, 2, 2, 0, 3])
    return [Case((embeddings, labels), {"reduction": r}, r) for r in _REDUCTIONS] + [
        Case((embeddings, labels), {"temperature": 0.5}, "temperature=0.5"),
        Case((embeddings, labels), _weighting(rng), "weighted")]


def _multi_similarity(rng: np.random.Generator) -> list[Case]:
    embeddings = rng.normal(size=_SHAPE)
    labels = np.array([0, 0, 1, 1, 2, 2, 0, 3])
    return [Case((embeddings, labels), {"reduction": r}, r) for r in _REDUCTIONS] + [
        Case((embeddings, labels), {"alpha": 4.0, "beta": 20.0, "base": 0.2},
             "alpha=4, beta=20, base=0.2"),
        Case((embeddings, labels), _weighting(rng), "weighted")]


def _margin_softmax(rng: np.random.Generator) -> list[Case]:
    cosine = rng.uniform(-1.0, 1.0, size=_SHAPE)
    target = rng.integers(0, _SHAPE[1], size=_SHAPE[0])
    return [Case((cosine, target), {"reduction": r}, f"arcface, {r}") for r in _REDUCTIONS] + [
        Case((cosine, target), {"kind": "cosface", "margin": 0.35}, "cosface"),
        Case((cosine, target), {"kind": "sphereface", "margin": 4, "scale": 16.0},
             "sphereface"),
        Case((cosine, target), {"kind": "cosface", **_weighting(rng)}, "cosface, weighted")]


CASES: dict[str, CaseMaker] = {
    "triplet_margin_loss": _triplet,
    "cosine_embedding_loss": _cosine_embedding,
    "cosine_similarity_loss": _cosine_similarity,
    "contrastive_loss": _contrastive,
    "ntxent_loss": _ntxent,
    "circle_loss": _circle,
    "supervised_contrastive_loss": _supervised_contrastive,
    "multi_similarity_loss": _multi_similarity,
    "margin_softmax_loss": _margin_softmax,
}
