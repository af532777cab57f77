"""``omniloss check`` cases for :mod:`omniloss.regression`."""

from __future__ import annotations

import numpy as np

from omniloss._check import Case, CaseMaker


def _pair(rng: np.random.Generator) -> list[Case]:
    shape = (8, 5)
    return [Case((rng.normal(size=shape), rng.normal(size=shape)), {"reduction": r}, r)
            for r in ("mean", "sum", "none")]


CASES: dict[str, CaseMaker] = {
    "l1_loss": _pair,
    "mse_loss": _pair,
}
