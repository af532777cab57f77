"""Numerically critical building blocks shared by every loss.

Each primitive takes the namespace ``xp`` the caller resolved once at its public boundary. When the
backend has a fused native kernel (``torch.logsumexp``, ``jax.nn.log_softmax``,
``tf.nn.softplus``, ...) it is used; otherwise one portable Array API implementation runs. Both
give the same values, and on the backends with autodiff the native kernels fix the gradients at
the points where a portable formula would pick a different subgradient (``|x|`` at 0, for one).

The native tables are built lazily, the first time a namespace is seen, from libraries the caller
has already imported.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

Array = Any
Axis = int | tuple[int, ...] | None


@dataclass(frozen=True)
class _Natives:
    logsumexp: Callable[[Array, Axis, bool], Array]
    log_softmax: Callable[[Array, int], Array]
    softmax: Callable[[Array, int], Array]
    softplus: Callable[[Array], Array]
    log_sigmoid: Callable[[Array], Array]
    sigmoid: Callable[[Array], Array]
    xlogy: Callable[[Array, Array], Array]


def _torch_natives() -> _Natives:
    import torch
    import torch.nn.functional as F

    def logsumexp(x: Array, axis: Axis, keepdims: bool) -> Array:
        dims = tuple(range(x.ndim)) if axis is None else axis
        return torch.logsumexp(x, dim=dims, keepdim=keepdims)

    return _Natives(
        logsumexp=logsumexp,
        log_softmax=lambda x, axis: F.log_softmax(x, dim=axis),
        softmax=lambda x, axis: F.softmax(x, dim=axis),
        softplus=lambda x: torch.nn.functional.softplus(x, beta=1.0, threshold=float("inf")),
        log_sigmoid=F.logsigmoid,
        sigmoid=torch.sigmoid,
        xlogy=torch.xlogy,
    )


def _jax_natives() -> _Natives:
    import jax
    import jax.scipy.special as special

    return _Natives(
        logsumexp=lambda x, axis, keepdims: special.logsumexp(x, axis=axis, keepdims=keepdims),
        log_softmax=lambda x, axis: jax.nn.log_softmax(x, axis=axis),
        softmax=lambda x, axis: jax.nn.softmax(x, axis=axis),
        softplus=jax.nn.softplus,
        log_sigmoid=jax.nn.log_sigmoid,
        sigmoid=jax.nn.sigmoid,
        xlogy=special.xlogy,
    )


def _tensorflow_natives() -> _Natives:
    import tensorflow as tf

    def logsumexp(x: Array, axis: Axis, keepdims: bool) -> Array:
        dims = list(axis) if isinstance(axis, tuple) else axis
        return tf.math.reduce_logsumexp(x, axis=dims, keepdims=keepdims)

    return _Natives(
        logsumexp=logsumexp,
        log_softmax=lambda x, axis: tf.nn.log_softmax(x, axis=axis),
        softmax=lambda x, axis: tf.nn.softmax(x, axis=axis),
        softplus=tf.math.softplus,
        log_sigmoid=tf.math.log_sigmoid,
        sigmoid=tf.math.sigmoid,
        xlogy=tf.math.xlogy,
    )


_NATIVE_BUILDERS: dict[str, Callable[[], _Natives]] = {
    "array_api_compat.torch": _torch_natives,
    "jax.numpy": _jax_natives,
    "omniloss._tensorflow": _tensorflow_natives,
}
_NATIVES: dict[str, _Natives | None] = {}
use_native_kernels = True
"""Set to ``False`` to run the portable implementations everywhere (used by the tests)."""


def _natives(xp: ModuleType) -> _Natives | None:
    if not use_native_kernels:
        return None
    name = xp.__name__
    if name not in _NATIVES:
        builder = _NATIVE_BUILDERS.get(name)
        _NATIVES[name] = builder() if builder is not None else None
    return _NATIVES[name]


def _torch_stop_gradient() -> Callable[[Array], Array]:
    return lambda x: x.detach()


def _jax_stop_gradient() -> Callable[[Array], Array]:
    import jax

    return jax.lax.stop_gradient  # type: ignore[no-any-return]


def _tensorflow_stop_gradient() -> Callable[[Array], Array]:
    import tensorflow as tf

    return tf.stop_gradient  # type: ignore[no-any-return]


_STOP_GRADIENT_BUILDERS: dict[str, Callable[[], Callable[[Array], Array]]] = {
    "array_api_compat.torch": _torch_stop_gradient,
    "jax.numpy": _jax_stop_gradient,
    "omniloss._tensorflow": _tensorflow_stop_gradient,
}
_STOP_GRADIENTS: dict[str, Callable[[Array], Array] | None] = {}


def logsumexp(xp: ModuleType, x: Array, *, axis: Axis = None, keepdims: bool = False) -> Array:
    """``log(sum(exp(x), axis))`` without overflow; all ``-inf`` gives ``-inf``."""
    native = _natives(xp)
    if native is not None:
        return native.logsumexp(x, axis, keepdims)
    peak = xp.max(x, axis=axis, keepdims=True)
    peak = xp.where(xp.isfinite(peak), peak, xp.zeros_like(peak))
    total = xp.log(xp.sum(xp.exp(x - peak), axis=axis, keepdims=True)) + peak
    if keepdims:
        return total
    return xp.squeeze(total, axis=tuple(range(x.ndim)) if axis is None else axis)


def log_softmax(xp: ModuleType, x: Array, *, axis: int = -1) -> Array:
    """``x - logsumexp(x, axis)``: log-probabilities of the softmax, never ``log(softmax(x))``."""
    native = _natives(xp)
    if native is not None:
        return native.log_softmax(x, axis)
    return x - logsumexp(xp, x, axis=axis, keepdims=True)


def softmax(xp: ModuleType, x: Array, *, axis: int = -1) -> Array:
    """``exp(x) / sum(exp(x), axis)``, shifted by the maximum so nothing overflows."""
    native = _natives(xp)
    if native is not None:
        return native.softmax(x, axis)
    shifted = xp.exp(x - xp.max(x, axis=axis, keepdims=True))
    return shifted / xp.sum(shifted, axis=axis, keepdims=True)


def softplus(xp: ModuleType, x: Array) -> Array:
    """``log(1 + exp(x))``, exact for every ``x`` (no threshold)."""
    native = _natives(xp)
    if native is not None:
        return native.softplus(x)
    return xp.logaddexp(x, xp.zeros_like(x))


def log_sigmoid(xp: ModuleType, x: Array) -> Array:
    """``log(sigmoid(x)) = -softplus(-x)``, finite for logits of any magnitude."""
    native = _natives(xp)
    if native is not None:
        return native.log_sigmoid(x)
    return -xp.logaddexp(-x, xp.zeros_like(x))


def sigmoid(xp: ModuleType, x: Array) -> Array:
    """``1 / (1 + exp(-x))`` computed from ``exp(-|x|)`` so it never overflows."""
    native = _natives(xp)
    if native is not None:
        return native.sigmoid(x)
    decay = xp.exp(-xp.abs(x))
    return xp.where(x >= 0, 1 / (1 + decay), decay / (1 + decay))


def xlogy(xp: ModuleType, x: Array, y: Array) -> Array:
    """``x * log(y)``, and 0 wherever ``x == 0`` (even where ``y`` is 0 or NaN)."""
    native = _natives(xp)
    if native is not None:
        return native.xlogy(x, y)
    zero = x == 0
    safe_y = xp.where(zero, xp.ones_like(y), y)
    return xp.where(zero, xp.zeros_like(x), x * xp.log(safe_y))


def gather_classes(xp: ModuleType, x: Array, index: Array, *, axis: int) -> Array:
    """``x`` at the class ``index`` of each position: ``x[..., index, ...]`` along ``axis``.

    ``index`` has the shape of ``x`` without ``axis``; the result has that shape too. This is a
    gather, never a one-hot product, so it costs one read per position.
    """
    expanded = xp.expand_dims(index, axis=axis)
    return xp.squeeze(xp.take_along_axis(x, expanded, axis=axis), axis=axis)


def clamp(xp: ModuleType, x: Array, *, min: float | None = None,  # noqa: A002
          max: float | None = None) -> Array:
    """Clamp ``x`` to ``[min, max]`` with ``torch.clamp``'s gradient: 1 inside and on the bounds.

    (``jnp.clip`` would give 0.5 on a bound.)
    """
    if min is not None:
        x = xp.where(x < min, xp.asarray(min, dtype=x.dtype), x)
    if max is not None:
        x = xp.where(x > max, xp.asarray(max, dtype=x.dtype), x)
    return x


def stop_gradient(xp: ModuleType, x: Array) -> Array:
    """``x`` as a constant for autodiff: its value, with no gradient flowing back through it.

    ``Tensor.detach`` on torch, ``jax.lax.stop_gradient`` on JAX, ``tf.stop_gradient`` on
    TensorFlow; the identity on libraries without autodiff (NumPy, array-api-strict). This is part
    of a loss's definition (torchvision computes CIoU's trade-off under ``no_grad``), not a fast
    path, so ``use_native_kernels`` does not turn it off.
    """
    name = xp.__name__
    if name not in _STOP_GRADIENTS:
        builder = _STOP_GRADIENT_BUILDERS.get(name)
        _STOP_GRADIENTS[name] = builder() if builder is not None else None
    detach = _STOP_GRADIENTS[name]
    return x if detach is None else detach(x)
