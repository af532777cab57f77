"""``omniloss check`` cases for :mod:`omniloss.regression`."""

from __future__ import annotations

import numpy as np

from omniloss._check import Case, CaseMaker

_SHAPE = (8, 5)
_REDUCTIONS = ("mean", "sum", "none")


def _pair(rng: np.random.Generator) -> list[Case]:
    return [Case((rng.normal(size=_SHAPE), rng.normal(size=_SHAPE)), {"reduction": r}, r)
            for r in _REDUCTIONS]


def _with_options(*options: dict[str, object]) -> CaseMaker:
    """Normal inputs and targets, once per option set (every reduction for the first)."""
    def make(rng: np.random.Generator) -> list[Case]:
        cases = [Case(case.args, {**options[0], **case.kwargs}, case.label)
                 for case in _pair(rng)]
        return cases + [Case((rng.normal(size=_SHAPE), rng.normal(size=_SHAPE)), extra,
                             ", ".join(f"{k}={v}" for k, v in extra.items()))
                        for extra in options[1:]]
    return make


def _positive(rng: np.random.Generator) -> list[Case]:
    return [Case((rng.uniform(-0.5, 3.0, size=_SHAPE), rng.uniform(-0.5, 3.0, size=_SHAPE)),
                 {"reduction": r}, r) for r in _REDUCTIONS]


def _poisson(rng: np.random.Generator) -> list[Case]:
    counts = rng.poisson(2.0, size=_SHAPE).astype(np.float64)
    rates = rng.uniform(0.1, 3.0, size=_SHAPE)
    return [Case((rng.normal(size=_SHAPE), counts), {"full": full, "reduction": r},
                 f"log-rate, full={full}, {r}")
            for full in (False, True) for r in _REDUCTIONS] + [
        Case((rates, counts), {"log_input": False, "full": True}, "rate, full")]


def _gaussian(rng: np.random.Generator) -> list[Case]:
    x, y = rng.normal(size=_SHAPE), rng.normal(size=_SHAPE)
    return [
        Case((x, y, rng.uniform(0.2, 2.0, size=_SHAPE)), {"reduction": r}, f"same shape, {r}")
        for r in _REDUCTIONS] + [
        Case((x, y, rng.uniform(0.2, 2.0, size=_SHAPE[:1])), {"full": True}, "one per row"),
        Case((x, y, rng.uniform(0.2, 2.0, size=(_SHAPE[0], 1))), {}, "last axis 1"),
        Case((x, y, 0.5), {"reduction": "sum"}, "Python float"),
        Case((x, y, np.full(_SHAPE, 1e-8)), {"reduction": "none"}, "below eps"),
    ]


CASES: dict[str, CaseMaker] = {
    "l1_loss": _pair,
    "mse_loss": _pair,
    "rmse_loss": _pair,
    "smooth_l1_loss": _with_options({}, {"beta": 0.5}, {"beta": 0.0}),
    "huber_loss": _with_options({}, {"delta": 2.0}),
    "pseudo_huber_loss": _with_options({}, {"delta": 0.3}),
    "log_cosh_loss": _pair,
    "msle_loss": _positive,
    "mape_loss": _positive,
    "poisson_nll_loss": _poisson,
    "gaussian_nll_loss": _gaussian,
    "quantile_loss": _with_options({}, {"quantile": 0.9}, {"quantile": 0.1}),
    "robust_loss": _with_options({}, {"alpha": 0.0}, {"alpha": 2.0, "scale": 0.5},
                                 {"alpha": -np.inf}, {"alpha": -2.0, "scale": 2.0}),
}
