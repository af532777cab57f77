"""``omniloss check`` cases for :mod:`omniloss.structured`."""

from __future__ import annotations

import numpy as np

from omniloss._check import Case, CaseMaker

_REDUCTIONS = ("mean", "sum", "none")


def _perceptual(rng: np.random.Generator) -> list[Case]:
    shapes = [(4, 3, 6, 6), (4, 8, 3, 3), (4, 10)]
    inputs = [rng.normal(size=s) for s in shapes]
    targets = [rng.normal(size=s) for s in shapes]
    return [Case((inputs, targets), {"reduction": r}, r) for r in _REDUCTIONS] + [
        Case((inputs, targets), {"weights": [1.0, 0.5, 0.25]}, "weights"),
        Case((inputs, targets), {"sample_weight": rng.uniform(0.5, 2.0, size=4),
                                 "where": np.array([True, False, True, True])}, "weighted")]


def _adaptive(rng: np.random.Generator) -> list[Case]:
    features, cutoffs, n_classes, div_value = 16, [4, 10], 18, 2.0
    head_size = cutoffs[0] + len(cutoffs)
    bounds = [*cutoffs, n_classes]
    tail = [(rng.normal(size=(int(features // div_value ** (i + 1)), features)) / 4,
             rng.normal(size=(bounds[i + 1] - bounds[i], int(features // div_value ** (i + 1)))))
            for i in range(len(cutoffs))]
    hidden = rng.normal(size=(12, features))
    target = rng.integers(0, n_classes, size=12)
    head = rng.normal(size=(head_size, features)) / 4
    options = {"div_value": div_value}
    weighting = {"sample_weight": rng.uniform(0.5, 2.0, size=12), "where": np.arange(12) % 5 != 2}
    return [Case((hidden, target, head, tail, cutoffs), {**options, "reduction": r}, r)
            for r in _REDUCTIONS] + [
        Case((hidden, target, head, tail, cutoffs), {**options, **weighting}, "weighted")]


CASES: dict[str, CaseMaker] = {
    "perceptual_loss": _perceptual,
    "adaptive_log_softmax_loss": _adaptive,
}
