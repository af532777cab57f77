"""A user's package: a focal Tversky loss written once with ``omniloss.get_namespace``, declaring
its parity cases, and three broken variants of it (each a mistake the kit must catch)."""

from __future__ import annotations

from typing import Any

import numpy as np

import omniloss
from omniloss.testing import Case, parity_cases


def _cases(rng: np.random.Generator) -> list[Case]:
    probs = rng.uniform(0.05, 0.95, size=(4, 12))
    target = (rng.uniform(size=(4, 12)) < 0.4).astype(np.float64)
    return [Case((probs, target), label="defaults"),
            Case((probs, target), {"alpha": 0.3, "gamma": 1.0}, "alpha=0.3, gamma=1")]


def _tversky_index(xp: Any, probs: Any, target: Any, alpha: float, smooth: float) -> Any:
    tp = xp.sum(probs * target, axis=-1)
    fn = xp.sum((1 - probs) * target, axis=-1)
    fp = xp.sum(probs * (1 - target), axis=-1)
    return (tp + smooth) / (tp + alpha * fn + (1 - alpha) * fp + smooth)


@parity_cases(_cases, grads=(0,))
def focal_tversky_loss(probs: Any, target: Any, *, alpha: float = 0.7, gamma: float = 0.75,
                       smooth: float = 1.0) -> Any:
    """Abraham & Khan 2019: ``mean((1 - TI) ** gamma)``, TI the Tversky index per row."""
    xp = omniloss.get_namespace(probs, target)
    return xp.mean((1 - _tversky_index(xp, probs, target, alpha, smooth)) ** gamma)


@parity_cases(_cases, grads=(0,))
def with_numpy_log(probs: Any, target: Any, *, alpha: float = 0.7, gamma: float = 0.75,
                   smooth: float = 1.0) -> Any:
    """Broken: ``np.log`` inside (a NumPy function on the caller's arrays)."""
    xp = omniloss.get_namespace(probs, target)
    index = _tversky_index(xp, probs, target, alpha, smooth)
    return xp.mean(np.exp(gamma * np.log(1 - index)))


@parity_cases(_cases, grads=(0,))
def with_float64_constant(probs: Any, target: Any, *, alpha: float = 0.7, gamma: float = 0.75,
                          smooth: float = 1.0) -> Any:
    """Broken: a float64 constant, which promotes float32 inputs."""
    xp = omniloss.get_namespace(probs, target)
    one = xp.asarray(1.0, dtype=xp.float64)
    return xp.mean((one - _tversky_index(xp, probs, target, alpha, smooth)) ** gamma)


@parity_cases(_cases, grads=(0,))
def in_place(probs: Any, target: Any, *, alpha: float = 0.7, gamma: float = 0.75,
             smooth: float = 1.0) -> Any:
    """Broken: label smoothing written into the caller's ``target``."""
    xp = omniloss.get_namespace(probs, target)
    target *= 0.9
    target += 0.05
    return xp.mean((1 - _tversky_index(xp, probs, target, alpha, smooth)) ** gamma)
