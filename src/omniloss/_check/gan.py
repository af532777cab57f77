"""``omniloss check`` cases for :mod:`omniloss.gan`."""

from __future__ import annotations

import numpy as np

from omniloss._check import Case, CaseMaker

_REDUCTIONS = ("mean", "sum", "none")


def _discriminator(rng: np.random.Generator) -> list[Case]:
    real, fake = rng.normal(scale=2.0, size=(2, 8))
    kinds = ("minimax", "least_squares", "wasserstein", "hinge")
    return [Case((real, fake), {"kind": kind, "reduction": r}, f"{kind}, {r}")
            for kind in kinds for r in _REDUCTIONS] + [
        Case((real, fake), {"kind": kind, **_weighting(rng, 8)}, f"{kind}, weighted")
        for kind in kinds]


def _weighting(rng: np.random.Generator, size: int) -> dict[str, np.ndarray]:
    """A ``sample_weight`` and a ``where`` mask of ``size`` values (the second masked)."""
    return {"sample_weight": rng.uniform(0.5, 2.0, size=size), "where": np.arange(size) != 1}


def _generator(rng: np.random.Generator) -> list[Case]:
    fake = rng.normal(scale=2.0, size=8)
    return [Case((fake,), {"kind": kind, "reduction": r}, f"{kind}, {r}")
            for kind in ("non_saturating", "minimax", "least_squares", "wasserstein", "hinge")
            for r in _REDUCTIONS] + [Case((fake,), _weighting(rng, 8), "weighted")]


def _gradient_penalty(rng: np.random.Generator) -> list[Case]:
    gradients = rng.normal(size=(6, 3, 4))
    gradients[0] = 0.0
    return [Case((gradients,), {"reduction": r}, r) for r in _REDUCTIONS] + [
        Case((gradients,), {"target": 0.0}, "target=0"),
        Case((gradients,), _weighting(rng, 6), "weighted")]


def _loss_sensitive(rng: np.random.Generator) -> list[Case]:
    real, fake = rng.normal(size=(2, 8))
    distance = rng.uniform(size=8)
    return [Case((real, fake, distance), {"reduction": r}, r) for r in _REDUCTIONS] + [
        Case((real, fake, distance), {"lam": 2.5}, "lam=2.5"),
        Case((real, fake, distance), _weighting(rng, 8), "weighted")]


CASES: dict[str, CaseMaker] = {
    "gan_discriminator_loss": _discriminator,
    "gan_generator_loss": _generator,
    "gradient_penalty": _gradient_penalty,
    "loss_sensitive_gan_loss": _loss_sensitive,
}
