"""What is native to NumPy: no autodiff, and fewer calls for a full reduction, a clamp and a
Euclidean norm."""

from __future__ import annotations

from types import ModuleType

from omniloss._primitives import _portable
from omniloss._primitives._backend import Array, Backend


def build() -> Backend:
    """NumPy's record (array-api-compat's ``numpy`` namespace)."""
    import numpy as np

    def reduce_all(xp: ModuleType, x: Array, reduction: str) -> Array:
        # np.mean and np.sum spend microseconds in Python around this add.reduce (np.mean of
        # float16 accumulates in float32, so float16 keeps the namespace's functions)
        if x.dtype != np.float32 and x.dtype != np.float64:
            return _portable.reduce_all(xp, x, reduction=reduction)
        total = np.add.reduce(x, axis=None)
        return total if reduction == "sum" else total / x.size

    def euclidean_norm(x: Array) -> Array:
        # scaled by the power of two at or below each vector's largest magnitude: frexp's
        # exponent less one (exact; 0, inf and NaN give 2**-1, which changes nothing)
        if x.shape[-1] == 0:  # no maximum of nothing
            return np.sum(x, axis=-1)
        peak = np.max(np.abs(x), axis=-1, keepdims=True)
        scale = np.ldexp(np.ones((), dtype=x.dtype), np.frexp(peak)[1] - 1)
        scaled = x / scale
        squares = np.multiply(scaled, scaled, out=scaled)  # one temporary the size of x, not two
        return scale[..., 0] * np.sqrt(np.add.reduce(squares, axis=-1))

    return Backend("numpy", autodiff=False, reduce_all=reduce_all, values_now=lambda x: x,
                   euclidean_norm=euclidean_norm,
                   clamp=lambda x, low, high: np.clip(x, low, high))
