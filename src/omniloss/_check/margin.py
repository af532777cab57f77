"""``omniloss check`` cases for :mod:`omniloss.margin`.

Each loss's first case is unweighted (``tests/test_weighting.py`` derives its weights' shape from
it); a last case passes a ``sample_weight`` and a ``where`` mask of the unreduced loss's shape.
"""

from __future__ import annotations

import numpy as np

from omniloss._check import Case, CaseMaker

_SHAPE = (8, 5)
_REDUCTIONS = ("mean", "sum", "none")


def _signs(rng: np.random.Generator, shape: tuple[int, ...] = _SHAPE) -> np.ndarray:
    return rng.choice([-1.0, 1.0], size=shape)


def _weighting(rng: np.random.Generator, shape: tuple[int, ...]) -> dict[str, np.ndarray]:
    """A ``sample_weight`` and a ``where`` mask of ``shape`` (every third position masked)."""
    keep = np.arange(int(np.prod(shape))).reshape(shape) % 3 != 1
    return {"sample_weight": rng.uniform(0.5, 2.0, size=shape), "where": keep}


def _binary_hinge(rng: np.random.Generator) -> list[Case]:
    scores, signs = rng.normal(scale=2.0, size=_SHAPE), _signs(rng)
    return [Case((scores, signs), {"reduction": r}, f"labels -1/1, {r}") for r in _REDUCTIONS] + [
        Case((scores, (signs + 1) / 2), {}, "labels 0/1"),
        Case((scores, ((signs + 1) / 2).astype(np.int64)), {}, "integer labels 0/1"),
        Case((scores, signs), _weighting(rng, (_SHAPE[0], 1)), "per-sample weights")]


def _categorical_hinge(rng: np.random.Generator) -> list[Case]:
    scores = rng.normal(size=_SHAPE)
    one_hot = np.eye(_SHAPE[1])[rng.integers(0, _SHAPE[1], size=_SHAPE[0])]
    return [Case((scores, one_hot), {"reduction": r}, r) for r in _REDUCTIONS] + [
        Case((scores.T, one_hot.T), {"axis": 0}, "axis=0"),
        Case((scores, one_hot), _weighting(rng, _SHAPE[:1]), "weighted")]


def _hinge_embedding(rng: np.random.Generator) -> list[Case]:
    distances, signs = np.abs(rng.normal(size=_SHAPE)), _signs(rng)
    return [Case((distances, signs), {"reduction": r}, r) for r in _REDUCTIONS] + [
        Case((distances, signs), {"margin": 0.5}, "margin=0.5"),
        Case((distances, signs), _weighting(rng, _SHAPE), "weighted")]


def _soft_margin(rng: np.random.Generator) -> list[Case]:
    scores, signs = rng.normal(scale=3.0, size=_SHAPE), _signs(rng)
    return [Case((scores, signs), {"reduction": r}, r) for r in _REDUCTIONS] + [
        Case((scores, signs), _weighting(rng, _SHAPE), "weighted")]


def _multi_margin(rng: np.random.Generator) -> list[Case]:
    scores = rng.normal(size=_SHAPE)
    target = rng.integers(0, _SHAPE[1], size=_SHAPE[0])
    return [Case((scores, target), {"p": p, "reduction": r}, f"p={p}, {r}")
            for p in (1, 2) for r in _REDUCTIONS] + [
        Case((scores, target), {"margin": 0.5}, "margin=0.5"),
        Case((scores[0], target[:1]), {"reduction": "none"}, "one sample"),
        Case((scores, target), {"weight": rng.uniform(0.5, 2.0, size=_SHAPE[1]), "p": 2},
             "class weight"),
        Case((scores, target), {"weight": rng.uniform(0.5, 2.0, size=_SHAPE[1]),
                                **_weighting(rng, _SHAPE[:1])}, "class weight, weighted")]


def _multilabel_margin(rng: np.random.Generator) -> list[Case]:
    scores = rng.normal(size=_SHAPE)
    ids = np.full(_SHAPE, -1, dtype=np.int64)
    for row in range(_SHAPE[0]):
        count = rng.integers(0, _SHAPE[1] + 1)
        ids[row, :count] = rng.permutation(_SHAPE[1])[:count]
    return [Case((scores, ids), {"reduction": r}, r) for r in _REDUCTIONS] + [
        Case((scores, ids), _weighting(rng, _SHAPE[:1]), "weighted")]


def _multilabel_soft_margin(rng: np.random.Generator) -> list[Case]:
    scores = rng.normal(scale=3.0, size=_SHAPE)
    target = rng.integers(0, 2, size=_SHAPE).astype(np.float64)
    return [Case((scores, target), {"reduction": r}, r) for r in _REDUCTIONS] + [
        Case((scores, target), {"weight": rng.uniform(0.5, 2.0, size=_SHAPE[1])},
             "class weight"),
        Case((scores, target), _weighting(rng, _SHAPE[:1]), "weighted")]


def _margin_ranking(rng: np.random.Generator) -> list[Case]:
    first, second = rng.normal(size=(2, 12))
    signs = _signs(rng, (12,))
    return [Case((first, second, signs), {"reduction": r}, r) for r in _REDUCTIONS] + [
        Case((first, second, signs), {"margin": 0.5}, "margin=0.5"),
        Case((first, second, signs), _weighting(rng, (12,)), "weighted")]


def _perceptron(rng: np.random.Generator) -> list[Case]:
    scores, signs = rng.normal(scale=2.0, size=_SHAPE), _signs(rng)
    return [Case((scores, signs), {"reduction": r}, r) for r in _REDUCTIONS] + [
        Case((scores, signs.astype(np.int64)), {}, "integer labels"),
        Case((scores, signs), _weighting(rng, _SHAPE), "weighted")]


def _multiclass_perceptron(rng: np.random.Generator) -> list[Case]:
    scores = rng.normal(size=_SHAPE)
    target = rng.integers(0, _SHAPE[1], size=_SHAPE[0])
    return [Case((scores, target), {"reduction": r}, r) for r in _REDUCTIONS] + [
        Case((scores.T, target), {"axis": 0}, "axis=0"),
        Case((scores, target), _weighting(rng, _SHAPE[:1]), "weighted")]


def _ranking_softmax(rng: np.random.Generator) -> list[Case]:
    scores = rng.normal(scale=2.0, size=_SHAPE)
    relevance = rng.integers(0, 3, size=_SHAPE).astype(np.float64)
    mask = rng.uniform(size=_SHAPE) > 0.3
    mask[0] = False  # an empty list
    item_weight = rng.uniform(0.5, 2.0, size=_SHAPE)
    return [Case((scores, relevance), {"reduction": r}, r) for r in _REDUCTIONS] + [
        Case((scores, relevance), {"mask": mask, "item_weight": item_weight, "reduction": r},
             f"mask, item_weight, {r}") for r in ("mean", "none")] + [
        Case((scores.T, relevance.T), {"axis": 0}, "axis=0"),
        Case((scores, relevance), {"mask": mask, **_weighting(rng, _SHAPE[:1])}, "weighted")]


CASES: dict[str, CaseMaker] = {
    "hinge_loss": _binary_hinge,
    "squared_hinge_loss": _binary_hinge,
    "categorical_hinge_loss": _categorical_hinge,
    "hinge_embedding_loss": _hinge_embedding,
    "soft_margin_loss": _soft_margin,
    "multi_margin_loss": _multi_margin,
    "multilabel_margin_loss": _multilabel_margin,
    "multilabel_soft_margin_loss": _multilabel_soft_margin,
    "margin_ranking_loss": _margin_ranking,
    "perceptron_loss": _perceptron,
    "multiclass_perceptron_loss": _multiclass_perceptron,
    "ranking_softmax_loss": _ranking_softmax,
}
