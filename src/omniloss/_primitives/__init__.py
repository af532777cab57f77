"""Numerically critical building blocks shared by every loss.

Each primitive takes the namespace ``xp`` the caller resolved once at its public boundary. When the
backend has a fused native kernel (``torch.logsumexp``, ``jax.nn.log_softmax``,
``tf.nn.softplus``, ...) it is used; otherwise one portable Array API implementation runs. Both
give the same values, and on the backends with autodiff the native kernels fix the gradients at
the points where a portable formula would pick a different subgradient (``|x|`` at 0, for one).

The package is laid out as array-api-extra's ``_delegation.py`` over ``_lib/_funcs.py``:

- ``_portable``: every primitive's one portable Array API implementation, and its contract
  (values, gradients at the kinks, the numerical trick); no backend is looked up there.
- ``_numpy``, ``_torch``, ``_jax``, ``_tensorflow``, ``_dask``: one module per backend, each
  building the :class:`~omniloss._primitives._backend.Backend` record of everything native to it
  (elementwise kernels, fused whole-loss kernels, reductions, ``fold``, ``stop_gradient``,
  ``checkpoint``, what its namespace lacks, and its capabilities: autodiff, int64-only gathers).
- this module: the thin layer that picks. It resolves ``xp``'s record once (cached per namespace
  object) and runs the record's native where there is one, the portable function otherwise.

A record is built the first time its namespace is seen, from the library the caller has already
imported; ``import omniloss`` imports no framework.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import partial
from types import ModuleType
from typing import Any

import array_api_compat

from omniloss._dispatch import cache_lock
from omniloss._primitives import _portable
from omniloss._primitives._backend import PORTABLE, Array, Axis, Backend
from omniloss._primitives._portable import (
    arange_like,
    class_mask,
    ctc_impossible,
    relu,
    split_maximum,
    split_minimum,
    unreachable_log,
)

__all__ = [
    "absolute", "arange_like", "binary_scale", "checkpoint", "clamp", "class_mask",
    "ctc_impossible", "dim", "euclidean_norm", "fold", "fused", "gather_classes", "id_range",
    "index_dtype", "log_sigmoid", "log_softmax", "logsumexp", "logsumexp_parts", "reduce",
    "reduce_all", "relu", "sigmoid", "sigmoid_cross_entropy", "smooth_l1", "softmax", "softplus",
    "sparsemax", "split_maximum", "split_minimum", "sqrt_zero_safe", "squared_error",
    "stop_gradient", "take_along_axis", "take_classes", "unreachable_log", "use_native_kernels",
    "values_now", "xlogx",
]

use_native_kernels = True
"""Set to ``False`` to run the portable implementations everywhere (used by the tests)."""


def _build(xp: ModuleType) -> Backend:
    """The record of ``xp``'s backend; its builder imports the framework."""
    # our own namespace over tf.Tensor, which array-api-compat does not know
    if xp.__name__ == "omniloss._tensorflow":
        from omniloss._primitives import _tensorflow

        return _tensorflow.build()
    if array_api_compat.is_torch_namespace(xp):
        from omniloss._primitives import _torch

        return _torch.build()
    if array_api_compat.is_jax_namespace(xp):
        from omniloss._primitives import _jax

        return _jax.build()
    if array_api_compat.is_numpy_namespace(xp):
        from omniloss._primitives import _numpy

        return _numpy.build()
    if array_api_compat.is_dask_namespace(xp):
        from omniloss._primitives import _dask

        return _dask.build()
    if array_api_compat.is_array_api_strict_namespace(xp):
        import numpy as np

        cpu = xp.Device("CPU_DEVICE")

        def values_now(x: Array) -> Any:
            # its other devices stand for accelerators, where reading the values would sync
            return np.asarray(x) if x.device == cpu else None

        # no autodiff
        return Backend(xp.__name__, autodiff=False, values_now=values_now)
    if array_api_compat.is_cupy_namespace(xp):
        # nothing native but the capability: no autodiff
        return Backend(xp.__name__, autodiff=False)
    return PORTABLE


_BACKENDS: dict[str, Backend] = {}
_BACKENDS_LOCK = threading.RLock()
"""Taken on a miss of ``_BACKENDS`` only (a hit is a plain lookup), so that each record is built
once, even by threads meeting a new namespace together: a build imports the framework and makes
its compiled functions (``jax.jit``). Reentrant, should a build ask for another record."""


def _backend(xp: ModuleType) -> Backend:
    """``xp``'s record, built on the first call and kept."""
    # keyed by the namespace's name: torch.compile cannot compare modules as dictionary keys
    backend = _BACKENDS.get(xp.__name__)
    if backend is None:
        with cache_lock(_BACKENDS_LOCK):  # checked again: built by another thread meanwhile?
            backend = _BACKENDS.get(xp.__name__)
            if backend is None:
                backend = _BACKENDS[xp.__name__] = _build(xp)
    return backend


def _natives(xp: ModuleType) -> Backend:
    """``xp``'s record, or the portable one (no natives) when ``use_native_kernels`` is off."""
    return _backend(xp) if use_native_kernels else PORTABLE


def fused(xp: ModuleType, kernel: str, portable: Callable[..., Array]) -> Callable[..., Array]:
    """The function computing ``portable(xp, ...)`` on ``xp``'s backend: ``portable`` itself, or
    the backend's fused native kernel named ``kernel``.

    A whole loss that a backend runs as one native kernel (torch's ``F.cross_entropy``,
    ``F.nll_loss``; TensorFlow's ``tf.nn.sparse_softmax_cross_entropy_with_logits``) is
    registered here by name. The
    native kernel takes the same arguments as ``portable``, the function holding the loss's one
    Array API implementation, and gives the same values and gradients; it calls ``portable``
    itself for the inputs it does not cover (a weight that needs a gradient: torch's kernels
    have none). The loss has already validated everything. A kernel that differs from the
    portable result anywhere is not registered: not ``F.ctc_loss``, which gives NaN gradients
    for a class of log-probability ``-inf`` and loses 6% of the gradient in float32 at extreme
    logits, where ours stays exact. Torch's ``"ctc_loss"`` kernel takes the alphas from
    torch's own CTC kernel and our gradient from an adjoint recursion over them (an
    ``autograd.Function``; its docstring in ``_torch.py`` gives its time and memory). Nor is
    ``F.binary_cross_entropy_with_logits``, which loses all of the float32 value at ``x < -17,
    y = 0``, nor ``F.triplet_margin_loss``, whose norms overflow float32 at differences near
    1e20.
    """
    if not use_native_kernels:
        return portable
    key = (xp.__name__, kernel, portable)
    function = _FUSED.get(key)
    if function is None:
        native = _backend(xp).fused.get(kernel)
        function = _FUSED[key] = portable if native is None else partial(native, portable)
    return function


_FUSED: dict[tuple[str, str, Callable[..., Array]], Callable[..., Array]] = {}
"""Lock-free: a miss looks the kernel up in the record (built once, under ``_BACKENDS_LOCK``) and
wraps it in a ``partial``, so threads racing on a miss store functions that do the same."""


def logsumexp(xp: ModuleType, x: Array, *, axis: Axis = None, keepdims: bool = False) -> Array:
    """``log(sum(exp(x), axis))`` without overflow; all ``-inf`` gives ``-inf``."""
    native = _natives(xp).logsumexp
    if native is not None:
        return native(x, axis, keepdims)
    return _portable.logsumexp(xp, x, axis=axis, keepdims=keepdims)


def logsumexp_parts(xp: ModuleType, x: Array, *, axis: int) -> tuple[Array, Array]:
    """``(peak, log_total)``, dims kept, ``peak`` constant for autodiff: ``logsumexp = peak +
    log_total``."""
    native = _natives(xp).logsumexp_parts
    if native is not None:
        return native(x, axis)
    return _portable.logsumexp_parts(xp, x, axis=axis, stop_gradient=stop_gradient)


def log_softmax(xp: ModuleType, x: Array, *, axis: int = -1) -> Array:
    """``(x - max) - log(sum(exp(x - max)))``: the log-probabilities of the softmax."""
    native = _natives(xp).log_softmax
    if native is not None:
        return native(x, axis)
    return _portable.log_softmax(xp, x, axis=axis)


def softmax(xp: ModuleType, x: Array, *, axis: int = -1) -> Array:
    """``exp(x) / sum(exp(x), axis)``, shifted by the maximum so nothing overflows."""
    native = _natives(xp).softmax
    if native is not None:
        return native(x, axis)
    return _portable.softmax(xp, x, axis=axis)


def softplus(xp: ModuleType, x: Array) -> Array:
    """``log(1 + exp(x))``, exact for every ``x``, gradient 1/2 at 0."""
    natives = _natives(xp)
    native = natives.softplus
    if native is not None:
        return native(x)
    return _portable.softplus(xp, x, autodiff=natives.autodiff)


def log_sigmoid(xp: ModuleType, x: Array) -> Array:
    """``log(sigmoid(x))``, finite for logits of any magnitude."""
    natives = _natives(xp)
    native = natives.log_sigmoid
    if native is not None:
        return native(x)
    return _portable.log_sigmoid(xp, x, autodiff=natives.autodiff)


def sigmoid_cross_entropy(xp: ModuleType, x: Array, y: Array,
                          pos_weight: Array | None = None) -> Array:
    """``-(pw * y * log_sigmoid(x) + (1 - y) * log_sigmoid(-x))``, exact at every ``x`` for hard
    labels (torch's own kernel is not: its record has an exact one of its own)."""
    natives = _natives(xp)
    native = natives.sigmoid_cross_entropy
    if native is not None:
        return native(x, y, pos_weight)
    return _portable.sigmoid_cross_entropy(xp, x, y, pos_weight, autodiff=natives.autodiff)


def sigmoid(xp: ModuleType, x: Array) -> Array:
    """``1 / (1 + exp(-x))`` that never overflows."""
    native = _natives(xp).sigmoid
    if native is not None:
        return native(x)
    return _portable.sigmoid(xp, x)


def reduce_all(xp: ModuleType, x: Array, *, reduction: str) -> Array:
    """``xp.mean(x)`` or ``xp.sum(x)`` over every element, the same numbers with less overhead."""
    native = _natives(xp).reduce_all
    if native is not None:
        return native(xp, x, reduction)
    return _portable.reduce_all(xp, x, reduction=reduction)


def reduce(xp: ModuleType, loss: Array, reduction: str) -> Array:
    """Apply ``reduction`` (``"mean"``, ``"sum"`` or ``"none"``) to the elementwise ``loss``."""
    # _portable.reduce, inlined (every loss runs it) with this module's reduce_all
    if reduction not in ("mean", "sum") or loss.ndim == 0:
        return loss
    return reduce_all(xp, loss, reduction=reduction)


def absolute(xp: ModuleType, x: Array) -> Array:
    """``|x|`` whose gradient at ``x == 0`` is 0, as ``torch.abs`` and ``tf.abs`` give."""
    natives = _natives(xp)
    native = natives.absolute
    if native is not None:
        return native(x)
    return _portable.absolute(xp, x, autodiff=natives.autodiff)


def squared_error(xp: ModuleType, input: Array, target: Array, *, reduction: str) -> Array:
    """``(input - target)**2`` reduced by ``reduction`` (``"mean"``, ``"sum"`` or ``"none"``)."""
    native = _natives(xp).squared_error
    if native is not None:
        return native(input, target, reduction)
    return _portable.squared_error(xp, input, target, reduction=reduction, reduce=reduce)


def smooth_l1(xp: ModuleType, input: Array, target: Array, *, beta: float,
              reduction: str) -> Array:
    """Smooth L1 of ``input - target`` with threshold ``beta``, reduced by ``reduction``."""
    native = _natives(xp).smooth_l1
    if native is not None:
        return native(input, target, beta, reduction)
    return _portable.smooth_l1(xp, input, target, beta=beta, reduction=reduction,
                               absolute=absolute, reduce=reduce)


def xlogx(xp: ModuleType, x: Array) -> Array:
    """``x * log(x)``, 0 at ``x == 0``, gradient 0 there."""
    native = _natives(xp).xlogx
    if native is not None:
        return native(x)
    return _portable.xlogx(xp, x)


def _gather_index(xp: ModuleType, index: Array) -> Array:
    """Class ids of any integer dtype in a dtype the backend's gathers accept."""
    if _backend(xp).int64_gathers and index.dtype != xp.int64:
        return xp.astype(index, xp.int64)
    return index


def index_dtype(xp: ModuleType) -> Any:
    """``xp``'s default index dtype: int64, or int32 on JAX without x64 (read at each call, as
    the flag can change), so lengths and positions never need a truncating cast."""
    return xp.__array_namespace_info__().default_dtypes()["indexing"]


def values_now(xp: ModuleType, x: Array) -> Any:
    """``x``'s values as a NumPy array when they can be read now, without a trace and without a
    device sync (NumPy, array-api-strict, CPU arrays of torch, JAX and TensorFlow outside
    tracing, ``torch.compile`` and ``torch.func``); ``None`` otherwise (tracers, graph tensors,
    accelerators, Dask)."""
    read = _backend(xp).values_now
    return None if read is None else read(x)


def id_range(xp: ModuleType, ids: Array) -> tuple[int, int] | None:
    """The smallest and largest of the integer ``ids`` as Python ints where they can be read
    now (:func:`values_now`); ``None`` otherwise, and for no ids."""
    native = _backend(xp).id_range
    if native is not None:
        return native(ids)
    values = values_now(xp, ids)
    if values is None or values.size == 0:
        return None
    return int(values.min()), int(values.max())


def gather_classes(xp: ModuleType, x: Array, index: Array, *, axis: int) -> Array:
    """``x`` at the class ``index`` of each position: ``x[..., index, ...]`` along ``axis``."""
    index = _gather_index(xp, index)
    native = _natives(xp).gather
    if native is not None:
        return native(x, index, axis)
    return _portable.gather_classes(xp, x, index, axis=axis, take_along_axis=_take_along_axis)


def take_along_axis(xp: ModuleType, x: Array, indices: Array, *, axis: int) -> Array:
    """The standard's ``xp.take_along_axis(x, indices, axis=axis)``, on every backend (Dask's
    namespace lacks it), with ids of any integer dtype."""
    return _take_along_axis(xp, x, _gather_index(xp, indices), axis=axis)


def _take_along_axis(xp: ModuleType, x: Array, indices: Array, *, axis: int) -> Array:
    native = _backend(xp).take_along_axis
    if native is not None:
        return native(x, indices, axis)
    return _portable.take_along_axis(xp, x, indices, axis=axis)


def sparsemax(xp: ModuleType, x: Array, *, axis: int) -> Array:
    """The projection of ``x`` onto the probability simplex along ``axis`` (one portable
    implementation, see :func:`omniloss._primitives._portable.sparsemax`)."""
    return _portable.sparsemax(xp, x, axis=axis, take_along_axis=take_along_axis)


def take_classes(xp: ModuleType, vector: Array, index: Array) -> Array:
    """``vector[index]``: a per-class ``(C,)`` array read at class ids of any shape."""
    return _portable.take_classes(xp, vector, _gather_index(xp, index), dim=dim)


def dim(xp: ModuleType, x: Array, axis: int, *, dtype: Any = None) -> Any:
    """The size of ``x``'s axis ``axis``: the Python int when the shape knows it (no op at all),
    else a 0-d array read at run time (TensorFlow under ``tf.function`` with an unknown size),
    of ``dtype`` when given (to divide a floating array by it), an integer dtype otherwise.

    Every loss reads a size that may be unknown through this.
    """
    size = x.shape[axis]
    if size is not None:
        return size
    native = _backend(xp).dim
    if native is None:
        return size
    size = native(x, axis)
    return size if dtype is None else xp.astype(size, dtype)


def sqrt_zero_safe(xp: ModuleType, x: Array) -> Array:
    """``sqrt(x)`` for ``x >= 0`` whose gradient at ``x == 0`` is 0, never ``inf`` or NaN."""
    native = _natives(xp).sqrt_zero_safe
    if native is not None:
        return native(x)
    return _portable.sqrt_zero_safe(xp, x)


def euclidean_norm(xp: ModuleType, x: Array) -> Array:
    """``||x||_2`` over the last axis with torch's gradient (0 at the zero vector), never
    overflowing or underflowing: ``s * sqrt(sum((x / s)**2))`` with ``s`` the
    :func:`binary_scale` of each vector (``sum(x**2)`` overflows float32 at ``|x| > 1.8e19``,
    where torch's norm is ``inf``)."""
    native = _natives(xp).euclidean_norm
    if native is not None:
        return native(x)
    scale = binary_scale(xp, x, axis=-1, keepdims=True)
    x = x / scale
    return xp.squeeze(scale, axis=-1) * sqrt_zero_safe(xp, xp.sum(x * x, axis=-1))


def clamp(xp: ModuleType, x: Array, *, min: float | None = None,
          max: float | None = None) -> Array:
    """Clamp ``x`` to ``[min, max]`` with ``torch.clamp``'s gradient: 1 inside and on the bounds
    (``jnp.clip`` gives 0.5 on a bound); NaN stays NaN with the gradient 0, as in torch."""
    if min is None and max is None:
        return x
    native = _natives(xp).clamp
    if native is not None:
        return native(x, min, max)
    return _portable.clamp(xp, x, min=min, max=max)


def binary_scale(xp: ModuleType, x: Array, *, axis: Axis = None, keepdims: bool = False,
                 at_least_one: bool = False) -> Array:
    """The power of two at or below ``max(|x|, axis)`` (1 where 0 or not finite), a constant for
    autodiff: ``s * f(x / s)`` computes a norm-like ``f`` without overflow or underflow."""
    return _portable.binary_scale(xp, x, axis=axis, keepdims=keepdims, at_least_one=at_least_one,
                                  stop_gradient=stop_gradient)


def stop_gradient(xp: ModuleType, x: Array) -> Array:
    """``x`` as a constant for autodiff (not turned off by ``use_native_kernels``)."""
    native = _backend(xp).stop_gradient
    if native is not None:
        return native(x)
    return _portable.stop_gradient(xp, x)


def fold(xp: ModuleType, step: Callable[..., Array], init: Array, elems: tuple[Array, ...],
         constants: tuple[Array, ...] = (), *, stack: bool = False) -> Array:
    """Loop over the leading axis: ``carry = step(xp, carry, *rows_i, *constants)``; the last
    carry, or with ``stack`` every step's carry stacked on a new leading axis."""
    native = _natives(xp).fold
    if native is not None:
        return native(xp, step, init, elems, constants, stack)
    return _portable.fold(xp, step, init, elems, constants, stack=stack)


def checkpoint(xp: ModuleType, fn: Callable[..., Array], *arrays: Array) -> Array:
    """``fn(*arrays)``, its intermediates recomputed in the backward pass, not stored."""
    native = _backend(xp).checkpoint
    if native is not None:
        return native(fn, *arrays)
    return _portable.checkpoint(xp, fn, *arrays)
