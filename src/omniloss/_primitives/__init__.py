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

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from types import ModuleType
from typing import Any, TypeVar

import array_api_compat

Array = Any
Built = TypeVar("Built")
Axis = int | tuple[int, ...] | None


@dataclass(frozen=True)
class _Natives:
    logsumexp: Callable[[Array, Axis, bool], Array]
    log_softmax: Callable[[Array, int], Array]
    softmax: Callable[[Array, int], Array]
    softplus: Callable[[Array], Array]
    log_sigmoid: Callable[[Array], Array]
    sigmoid: Callable[[Array], Array]
    absolute: Callable[[Array], Array]
    squared_error: Callable[[Array, Array, str], Array]
    smooth_l1: Callable[[Array, Array, float, str], Array]
    gather: Callable[[Array, Array, int], Array] | None = None
    xlogx: Callable[[Array], Array] | None = None
    sqrt_zero_safe: Callable[[Array], Array] | None = None
    fused: dict[str, Callable[..., Array]] | None = None


def _torch_natives() -> _Natives:
    import torch
    import torch.nn.functional as F
    from array_api_compat import torch as torch_xp

    def same_shape(a: Array, b: Array) -> tuple[Array, Array]:
        # torch's losses warn when the target broadcasts; a 0-d target expands without a copy
        if a.shape == b.shape:
            return a, b
        a, b = torch.broadcast_tensors(a, b)  # type: ignore[no-untyped-call]
        return a, b

    def squared_error(a: Array, b: Array, reduction: str) -> Array:
        return F.mse_loss(*same_shape(a, b), reduction=reduction)

    def smooth_l1(a: Array, b: Array, beta: float, reduction: str) -> Array:
        return F.smooth_l1_loss(*same_shape(a, b), reduction=reduction, beta=beta)

    def logsumexp(x: Array, axis: Axis, keepdims: bool) -> Array:
        dims = tuple(range(x.ndim)) if axis is None else axis
        if dims == ():  # torch refuses an empty dim tuple; a sum over no axis leaves x as it is
            return x
        return torch.logsumexp(x, dim=dims, keepdim=keepdims)

    def xlogx(x: Array) -> Array:
        # torch.xlogy's gradient w.r.t. its second argument is NaN at 0, where ours is 0
        return torch.xlogy(x, x) if not x.requires_grad else _portable_xlogx(torch_xp, x)

    def cross_entropy(portable: Callable[..., Array], xp: ModuleType, logits: Array,
                      target: Array, *, axis: int, weight: Array | None, ignore_index: int,
                      label_smoothing: float, reduction: str) -> Array:
        # torch's nll_loss is not differentiable w.r.t. weight
        if weight is not None and weight.requires_grad:
            return portable(xp, logits, target, axis=axis, weight=weight,
                            ignore_index=ignore_index, label_smoothing=label_smoothing,
                            reduction=reduction)
        if logits.ndim > 1 and axis != 1:
            logits = logits.movedim(axis, 1)
        return F.cross_entropy(logits, _gather_index(xp, target), weight=weight,
                               ignore_index=ignore_index, reduction=reduction,
                               label_smoothing=label_smoothing)

    def nll_loss(portable: Callable[..., Array], xp: ModuleType, log_probs: Array,
                 target: Array, *, axis: int, weight: Array | None, ignore_index: int,
                 reduction: str) -> Array:
        # nor is it w.r.t. weight, and its backward refuses the strided view movedim gives
        if (weight is not None and weight.requires_grad) or (log_probs.ndim > 2 and axis != 1):
            return portable(xp, log_probs, target, axis=axis, weight=weight,
                            ignore_index=ignore_index, reduction=reduction)
        return F.nll_loss(log_probs, _gather_index(xp, target), weight=weight,
                          ignore_index=ignore_index, reduction=reduction)

    def bce_with_logits(portable: Callable[..., Array], xp: ModuleType, logits: Array,
                        target: Array, *, weight: Array | None, pos_weight: Array | None,
                        reduction: str) -> Array:
        # torch's kernel is not differentiable w.r.t. weight and pos_weight
        if ((weight is not None and weight.requires_grad)
                or (pos_weight is not None and pos_weight.requires_grad)):
            return portable(xp, logits, target, weight=weight, pos_weight=pos_weight,
                            reduction=reduction)
        if weight is not None and reduction != "none" and weight.shape != logits.shape:
            weight = weight.expand(logits.shape)  # the mean of a broadcast weight is over input
        if target.shape != logits.shape:  # a 0-d target (a Python scalar)
            target = target.expand(logits.shape)
        return F.binary_cross_entropy_with_logits(logits, target, weight=weight,
                                                  pos_weight=pos_weight, reduction=reduction)

    def triplet_margin_loss(portable: Callable[..., Array], xp: ModuleType, anchor: Array,
                            positive: Array, negative: Array, *, margin: float, p: float,
                            eps: float, swap: bool, reduction: str) -> Array:
        # torch's kernel takes (D,) and (N, D) embeddings only
        if anchor.ndim > 2:
            return portable(xp, anchor, positive, negative, margin=margin, p=p, eps=eps,
                            swap=swap, reduction=reduction)
        return F.triplet_margin_loss(anchor, positive, negative, margin=margin, p=p, eps=eps,
                                     swap=swap, reduction=reduction)

    return _Natives(
        logsumexp=logsumexp,
        log_softmax=lambda x, axis: F.log_softmax(x, dim=axis),
        softmax=lambda x, axis: F.softmax(x, dim=axis),
        # Above 40, log1p(exp(x)) equals x in every float format; an infinite threshold would
        # overflow exp(x) to inf (softplus(1e4) = inf, gradient NaN).
        softplus=lambda x: F.softplus(x, beta=1.0, threshold=40.0),
        log_sigmoid=F.logsigmoid,
        sigmoid=torch.sigmoid,
        absolute=torch.abs,
        squared_error=squared_error,
        smooth_l1=smooth_l1,
        # torch.gather raises on an out-of-range class id, where array-api-compat's
        # take_along_dim would wrap it around silently
        gather=lambda x, index, axis: torch.gather(x, axis, index.unsqueeze(axis)).squeeze(axis),
        xlogx=xlogx,
        fused={"cross_entropy": cross_entropy, "nll_loss": nll_loss,
               "binary_cross_entropy_with_logits": bce_with_logits,
               "triplet_margin_loss": triplet_margin_loss},
    )


def _jax_natives() -> _Natives:
    import jax
    import jax.numpy as jnp
    import jax.scipy.special as special

    def squared_error(a: Array, b: Array, reduction: str) -> Array:
        # XLA fuses the difference, the square and the sum into one pass (a vecdot would not)
        difference = a - b
        return reduce(jnp, difference * difference, reduction)

    # jnp.abs has the gradient 1 at 0. x * sign(x) has 0, but XLA on CPU runs a fusion holding
    # sign several times slower than one holding abs (40 us instead of 7 us on a 32x10 loss), so
    # the forward pass is abs and only the derivative uses sign.
    @jax.custom_jvp
    def traced_absolute(x: Array) -> Array:
        return jnp.abs(x)

    @traced_absolute.defjvp
    def absolute_jvp(primals: tuple[Array], tangents: tuple[Array]) -> tuple[Array, Array]:
        (x,), (tangent,) = primals, tangents
        return jnp.abs(x), tangent * jnp.sign(x)

    compiled_absolute = jax.jit(traced_absolute)

    def absolute(x: Array) -> Array:
        # Eagerly a custom_jvp function costs 100 us a call, a compiled one 20 us; under tracing
        # the plain one, since a nested jit costs 12% in the backward pass of a 4096x1000 loss.
        return traced_absolute(x) if isinstance(x, jax.core.Tracer) else compiled_absolute(x)

    # sqrt(x) forward, a where in the derivative only: the portable where(x == 0, ...) reads x
    # twice, and when x is a reduction XLA on CPU then computes the reduction twice (a triplet
    # loss on 4096x1000 took 4.0 ms instead of 2.1)
    @jax.custom_jvp
    def traced_sqrt_zero_safe(x: Array) -> Array:
        return jnp.sqrt(x)

    @traced_sqrt_zero_safe.defjvp
    def sqrt_zero_safe_jvp(primals: tuple[Array], tangents: tuple[Array]
                           ) -> tuple[Array, Array]:
        (x,), (tangent,) = primals, tangents
        root = jnp.sqrt(x)
        zero = root == 0
        return root, tangent * jnp.where(zero, 0.0, 0.5 / jnp.where(zero, 1.0, root))

    compiled_sqrt_zero_safe = jax.jit(traced_sqrt_zero_safe)

    def sqrt_zero_safe(x: Array) -> Array:
        if isinstance(x, jax.core.Tracer):
            return traced_sqrt_zero_safe(x)
        return compiled_sqrt_zero_safe(x)

    def smooth_l1(a: Array, b: Array, beta: float, reduction: str) -> Array:
        # r * r, not |r| * |r| as the portable formula: on a 32x10 loss XLA runs that fusion in
        # 16 us instead of 24
        difference = a - b
        magnitude = absolute(difference)
        if beta == 0:
            return reduce(jnp, magnitude, reduction)
        loss = jnp.where(magnitude < beta, 0.5 * difference * difference / beta,
                         magnitude - 0.5 * beta)
        return reduce(jnp, loss, reduction)

    return _Natives(
        logsumexp=lambda x, axis, keepdims: special.logsumexp(x, axis=axis, keepdims=keepdims),
        log_softmax=lambda x, axis: jax.nn.log_softmax(x, axis=axis),
        softmax=lambda x, axis: jax.nn.softmax(x, axis=axis),
        softplus=jax.nn.softplus,
        log_sigmoid=jax.nn.log_sigmoid,
        sigmoid=jax.nn.sigmoid,
        absolute=absolute,
        squared_error=squared_error,
        smooth_l1=smooth_l1,
        sqrt_zero_safe=sqrt_zero_safe,
    )


def _tensorflow_natives() -> _Natives:
    import tensorflow as tf

    from omniloss import _tensorflow as namespace

    def logsumexp(x: Array, axis: Axis, keepdims: bool) -> Array:
        dims = list(axis) if isinstance(axis, tuple) else axis
        return tf.math.reduce_logsumexp(x, axis=dims, keepdims=keepdims)

    def squared_error(a: Array, b: Array, reduction: str) -> Array:
        return reduce(namespace, tf.math.squared_difference(a, b), reduction)

    def cross_entropy(portable: Callable[..., Array], xp: ModuleType, logits: Array,
                      target: Array, *, axis: int, weight: Array | None, ignore_index: int,
                      label_smoothing: float, reduction: str) -> Array:
        # tf.nn's fused kernel (classes last, int32/int64 ids, no weight or smoothing), 8 ops
        # eagerly where the portable formula takes 27 (each op costs 10-30 us eagerly)
        if (weight is not None or label_smoothing or axis != logits.shape.rank - 1
                or target.dtype not in (tf.int32, tf.int64)
                or not -(2**31) <= ignore_index < 2**31):
            return portable(xp, logits, target, axis=axis, weight=weight,
                            ignore_index=ignore_index, label_smoothing=label_smoothing,
                            reduction=reduction)
        valid = tf.math.not_equal(target, ignore_index)
        safe = tf.where(valid, target, 0)
        nll = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=safe, logits=logits)
        loss = tf.where(valid, nll, 0.0)  # 0 where ignored, whatever the logits
        if reduction == "none":
            return loss
        total = reduce_all(namespace, loss, reduction="sum")
        if reduction == "sum":
            return total
        return total / reduce_all(namespace, tf.cast(valid, nll.dtype), reduction="sum")

    def smooth_l1(a: Array, b: Array, beta: float, reduction: str) -> Array:
        # TensorFlow's own ops (the namespace's type promotion costs microseconds per op), and
        # square(r) * (0.5 / beta): two ops instead of three, 20% off the backward pass on a
        # 4096x1000 loss (equal for beta = 1; within an ulp otherwise)
        difference = tf.math.subtract(a, b)
        magnitude = tf.math.abs(difference)
        if beta == 0:
            return reduce(namespace, magnitude, reduction)
        loss = tf.where(magnitude < beta, tf.math.square(difference) * (0.5 / beta),
                        magnitude - 0.5 * beta)
        return reduce(namespace, loss, reduction)

    return _Natives(
        logsumexp=logsumexp,
        log_softmax=lambda x, axis: tf.nn.log_softmax(x, axis=axis),
        softmax=lambda x, axis: tf.nn.softmax(x, axis=axis),
        softplus=tf.math.softplus,
        log_sigmoid=tf.math.log_sigmoid,
        sigmoid=tf.math.sigmoid,
        absolute=tf.math.abs,
        squared_error=squared_error,
        smooth_l1=smooth_l1,
        # tf.math.xlogy(x, x) has our gradient: 0 for x at 0 and x / y taken as 0 there
        xlogx=lambda x: tf.math.xlogy(x, x),
        fused={"cross_entropy": cross_entropy},
    )


_NATIVE_BUILDERS: dict[str, Callable[[], _Natives]] = {
    "array_api_compat.torch": _torch_natives,
    "jax.numpy": _jax_natives,
    "omniloss._tensorflow": _tensorflow_natives,
}
_NATIVES: dict[str, _Natives | None] = {}
use_native_kernels = True
"""Set to ``False`` to run the portable implementations everywhere (used by the tests)."""


def _built(builders: dict[str, Callable[[], Built]], built: dict[str, Built | None],
           xp: ModuleType) -> Built | None:
    """What ``builders[xp.__name__]()`` makes, built on the first call and kept; ``None`` for a
    namespace without a builder. The builders import their framework, so nothing is imported
    before a caller hands us one of its arrays."""
    name = xp.__name__
    if name not in built:
        builder = builders.get(name)
        built[name] = builder() if builder is not None else None
    return built[name]


def _natives(xp: ModuleType) -> _Natives | None:
    return _built(_NATIVE_BUILDERS, _NATIVES, xp) if use_native_kernels else None


def fused(xp: ModuleType, kernel: str, portable: Callable[..., Array]) -> Callable[..., Array]:
    """The function computing ``portable(xp, ...)`` on ``xp``'s backend: ``portable`` itself, or
    the backend's fused native kernel named ``kernel``.

    A whole loss that a backend runs as one native kernel (torch's ``F.cross_entropy``,
    ``F.nll_loss``, ``F.binary_cross_entropy_with_logits``, ``F.triplet_margin_loss``;
    TensorFlow's ``tf.nn.sparse_softmax_cross_entropy_with_logits``) is registered here by name. The
    native kernel takes the same arguments as ``portable``, the function holding the loss's one
    Array API implementation, and gives the same values and gradients; it calls ``portable``
    itself for the inputs it does not cover (a weight that needs a gradient: torch's kernels
    have none). The loss has already validated everything. A kernel that differs from the
    portable result anywhere is not registered: ``F.ctc_loss`` is 4-6x faster than our
    recursion on torch but gives NaN gradients for a class of log-probability ``-inf`` and
    loses 6% of the gradient in float32 at extreme logits, where ours stays exact.
    """
    if not use_native_kernels:
        return portable
    key = (xp.__name__, kernel, portable)
    function = _FUSED.get(key)
    if function is None:
        natives = _natives(xp)
        native = None if natives is None or natives.fused is None else natives.fused.get(kernel)
        function = _FUSED[key] = portable if native is None else partial(native, portable)
    return function


_FUSED: dict[tuple[str, str, Callable[..., Array]], Callable[..., Array]] = {}


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
    peak = _finite_peak(xp, x, axis)
    total = xp.log(_sum_exp(xp, x, peak, axis)) + peak
    if keepdims:
        return total
    return xp.squeeze(total, axis=tuple(range(x.ndim)) if axis is None else axis)


_SUM_EXP_SLICES = 4
_SUM_EXP_SLICED_SIZE = 1 << 24


def _finite_peak(xp: ModuleType, x: Array, axis: Axis) -> Array:
    """``max(x, axis)`` (dims kept), with 0 where it is infinite so ``x - peak`` stays defined."""
    peak = xp.max(x, axis=axis, keepdims=True)
    return xp.where(xp.isfinite(peak), peak, 0.0)


def _sum_exp(xp: ModuleType, x: Array, peak: Array, axis: Axis) -> Array:
    """``sum(exp(x - peak), axis)`` (dims kept).

    Over one axis of an ``x`` of at least 2**24 elements it runs on four slices of that axis in
    turn, so its two temporaries are a quarter of ``x`` each: the Array API has no in-place
    ``exp``, and two full-size temporaries would double the memory of a cross-entropy over a
    large vocabulary. Smaller arrays take one pass (slicing costs 1.5x in time at 4096x1000 on
    NumPy, 3x at 32x10).
    """
    if (not isinstance(axis, int) or x.shape[axis] is None or x.shape[axis] < _SUM_EXP_SLICES
            or None in x.shape or math.prod(x.shape) < _SUM_EXP_SLICED_SIZE):
        return xp.sum(xp.exp(x - peak), axis=axis, keepdims=True)
    size = x.shape[axis]
    step = -(-size // _SUM_EXP_SLICES)
    leading = (slice(None),) * (axis % x.ndim)
    total = None
    for start in range(0, size, step):
        block = x[(*leading, slice(start, min(start + step, size)), ...)]
        part = xp.sum(xp.exp(block - peak), axis=axis, keepdims=True)
        total = part if total is None else total + part
    return total


def logsumexp_parts(xp: ModuleType, x: Array, *, axis: int) -> tuple[Array, Array]:
    """``(peak, log_total)``, dims kept: ``logsumexp(x, axis) = peak + log_total``.

    ``peak`` is the finite maximum along ``axis``, a constant for autodiff; ``log_total`` is
    ``log(sum(exp(x - peak)))``. A log-softmax entry is then ``(x[y] - peak) - log_total``,
    exact to rounding without forming the whole log-softmax (one full pass fewer, and one
    full-size array less). Holding ``peak`` constant leaves every gradient exact for such
    expressions, whose derivative w.r.t. the shift is 0; it spares the backward pass of the max.
    """
    peak = stop_gradient(xp, _finite_peak(xp, x, axis))
    return peak, xp.log(_sum_exp(xp, x, peak, axis))


def log_softmax(xp: ModuleType, x: Array, *, axis: int = -1) -> Array:
    """``(x - max) - log(sum(exp(x - max)))``: the log-probabilities of the softmax.

    Never ``log(softmax(x))``, and never ``x - logsumexp(x)`` either: rounding ``logsumexp`` to
    the magnitude of the logits loses their low digits (3e-4 at logits of 1e4 in float32).
    """
    native = _natives(xp)
    if native is not None:
        return native.log_softmax(x, axis)
    peak = _finite_peak(xp, x, axis)
    log_total = xp.log(_sum_exp(xp, x, peak, axis))
    shifted = x - peak
    shifted -= log_total
    return shifted


def softmax(xp: ModuleType, x: Array, *, axis: int = -1) -> Array:
    """``exp(x) / sum(exp(x), axis)``, shifted by the maximum so nothing overflows."""
    native = _natives(xp)
    if native is not None:
        return native.softmax(x, axis)
    shifted = xp.exp(x - xp.max(x, axis=axis, keepdims=True))
    return shifted / xp.sum(shifted, axis=axis, keepdims=True)


def softplus(xp: ModuleType, x: Array) -> Array:
    """``log(1 + exp(x)) = max(x, 0) + log1p(exp(-|x|))``, exact for every ``x`` (no threshold).

    The branches are picked by one test, so the gradient at 0 is ``sigmoid(0) = 1/2`` on every
    backend. Libraries without autodiff take ``maximum`` and ``abs`` instead of ``where``: NumPy's
    ``where`` on an unpredictable mask is 8x slower than ``maximum`` (and its ``logaddexp`` 10x
    slower than the whole formula).
    """
    native = _natives(xp)
    if native is not None:
        return native.softplus(x)
    if use_native_kernels and xp.__name__ in _WITHOUT_AUTODIFF:
        return xp.maximum(x, 0.0) + xp.log1p(xp.exp(-xp.abs(x)))
    positive = x > 0
    return xp.where(positive, x, 0.0) + xp.log1p(xp.exp(xp.where(positive, -x, x)))


def log_sigmoid(xp: ModuleType, x: Array) -> Array:
    """``log(sigmoid(x)) = min(x, 0) - log1p(exp(-|x|))``, finite for logits of any magnitude."""
    native = _natives(xp)
    if native is not None:
        return native.log_sigmoid(x)
    if use_native_kernels and xp.__name__ in _WITHOUT_AUTODIFF:
        return xp.minimum(x, 0.0) - xp.log1p(xp.exp(-xp.abs(x)))
    negative = x < 0
    return xp.where(negative, x, 0.0) - xp.log1p(xp.exp(xp.where(negative, x, -x)))


def sigmoid(xp: ModuleType, x: Array) -> Array:
    """``1 / (1 + exp(-x))`` computed from ``exp(-|x|)`` so it never overflows."""
    native = _natives(xp)
    if native is not None:
        return native.sigmoid(x)
    nonnegative = x >= 0
    # exp(-|x|), with -|x| picked by the same test as the branch: abs would give the gradient 0
    # at x = 0 on torch and TF, where sigmoid'(0) = 0.25.
    decay = xp.exp(xp.where(nonnegative, -x, x))
    return xp.where(nonnegative, 1 / (1 + decay), decay / (1 + decay))


def _numpy_reduce_all() -> Callable[[ModuleType, Array, str], Array]:
    import numpy as np

    def reduce_all(xp: ModuleType, x: Array, reduction: str) -> Array:
        # np.mean and np.sum spend microseconds in Python around this add.reduce (np.mean of
        # float16 accumulates in float32, so float16 keeps the namespace's functions)
        if x.dtype != np.float32 and x.dtype != np.float64:
            return _portable_reduce_all(xp, x, reduction)
        total = np.add.reduce(x, axis=None)
        return total if reduction == "sum" else total / x.size

    return reduce_all


def _torch_reduce_all() -> Callable[[ModuleType, Array, str], Array]:
    def reduce_all(xp: ModuleType, x: Array, reduction: str) -> Array:
        if not x.is_floating_point():
            return _portable_reduce_all(xp, x, reduction)
        return x.sum() if reduction == "sum" else x.mean()

    return reduce_all


def _tensorflow_reduce_all() -> Callable[[ModuleType, Array, str], Array]:
    import numpy as np
    import tensorflow as tf

    reducers = {"mean": tf.math.reduce_mean, "sum": tf.math.reduce_sum}
    axes_by_rank: dict[int, Array] = {}

    def reduce_all(xp: ModuleType, x: Array, reduction: str) -> Array:
        # Eagerly, axis=None makes TensorFlow build the axes tensor anew (half of a 26 us
        # reduce_mean on a small tensor); a cached one per rank saves that.
        rank = x.shape.rank
        if not x.dtype.is_floating or rank is None or not tf.executing_eagerly():
            return _portable_reduce_all(xp, x, reduction)
        axes = axes_by_rank.get(rank)
        if axes is None:
            axes = axes_by_rank[rank] = tf.constant(np.arange(rank, dtype=np.int32))
        return reducers[reduction](x, axis=axes)

    return reduce_all


_REDUCE_ALL_BUILDERS: dict[str, Callable[[], Callable[[ModuleType, Array, str], Array]]] = {
    "array_api_compat.numpy": _numpy_reduce_all,
    "array_api_compat.torch": _torch_reduce_all,
    "omniloss._tensorflow": _tensorflow_reduce_all,
}
_REDUCE_ALLS: dict[str, Callable[[ModuleType, Array, str], Array] | None] = {}


def _portable_reduce_all(xp: ModuleType, x: Array, reduction: str) -> Array:
    return xp.mean(x) if reduction == "mean" else xp.sum(x)


def reduce_all(xp: ModuleType, x: Array, *, reduction: str) -> Array:
    """``xp.mean(x)`` (``reduction="mean"``) or ``xp.sum(x)`` (``"sum"``) over every element.

    The same numbers as the namespace's functions, with less per-call overhead on floating
    arrays: NumPy's ``add.reduce`` (float32 and float64), the tensor methods on torch, and eagerly
    on TensorFlow a cached axes tensor. This is what every loss's ``reduction`` runs.
    """
    native = _built(_REDUCE_ALL_BUILDERS, _REDUCE_ALLS, xp) if use_native_kernels else None
    if native is not None:
        return native(xp, x, reduction)
    return _portable_reduce_all(xp, x, reduction)


def reduce(xp: ModuleType, loss: Array, reduction: str) -> Array:
    """Apply ``reduction`` (``"mean"``, ``"sum"`` or ``"none"``) to the elementwise ``loss``.

    ``"mean"`` of an empty array is NaN, as in torch. A 0-d ``loss`` is returned as it is (its
    mean and sum are itself; a reduction kernel would cost a call, tens of microseconds eagerly
    on TensorFlow).
    """
    if reduction not in ("mean", "sum") or loss.ndim == 0:
        return loss
    return reduce_all(xp, loss, reduction=reduction)


_WITHOUT_AUTODIFF = frozenset({"array_api_compat.numpy", "array_api_strict",
                               "array_api_compat.cupy", "array_api_compat.dask.array"})
"""Namespaces whose arrays carry no gradient, so a kink's subgradient does not matter there."""


def absolute(xp: ModuleType, x: Array) -> Array:
    """``|x|`` whose gradient at ``x == 0`` is 0, as ``torch.abs`` and ``tf.abs`` give.

    ``jnp.abs`` gives 1 at 0, so the portable formula is ``x * sign(x)`` (one fused pass under
    ``jax.jit``); torch and TensorFlow run their ``abs``, and the libraries without autodiff
    their plain ``xp.abs``. (At ``x == -0.0`` the portable formula returns ``-0.0``.)
    """
    native = _natives(xp)
    if native is not None:
        return native.absolute(x)
    if use_native_kernels and xp.__name__ in _WITHOUT_AUTODIFF:
        return xp.abs(x)
    return x * xp.sign(x)


def squared_error(xp: ModuleType, input: Array, target: Array, *, reduction: str) -> Array:
    """``(input - target)**2`` reduced by ``reduction`` (``"mean"``, ``"sum"`` or ``"none"``).

    ``input`` and ``target`` share a floating dtype; ``target`` may be 0-d. The gradients are
    ``2 (input - target)`` (times ``1/n`` for the mean) for ``input`` and the negative for
    ``target``. torch runs ``F.mse_loss`` (one kernel; its backward keeps no temporary),
    TensorFlow ``tf.math.squared_difference``, JAX the square and sum that XLA fuses. The portable
    sum is a ``vecdot`` of the flattened difference with itself (NumPy: one BLAS dot, no squared
    temporary). The mean of an empty array is NaN.
    """
    native = _natives(xp)
    if native is not None:
        return native.squared_error(input, target, reduction)
    difference = input - target
    if reduction == "none":
        return difference * difference
    flat = xp.reshape(difference, (-1,))
    total = xp.vecdot(flat, flat)
    if reduction == "sum":
        return total
    return total / math.prod(difference.shape)


def smooth_l1(xp: ModuleType, input: Array, target: Array, *, beta: float,
              reduction: str) -> Array:
    """Smooth L1 of ``r = input - target``: ``0.5 r**2 / beta`` where ``|r| < beta``, else
    ``|r| - 0.5 beta``, reduced by ``reduction``; ``beta == 0`` gives ``|r|``.

    The gradient is ``r / beta`` inside, ``sign(r)`` outside (1 at ``|r| == beta`` from both
    sides) and 0 at ``r == 0``. torch runs ``F.smooth_l1_loss`` (one kernel, no temporaries kept
    for the backward pass), TensorFlow the formula in its own ops; elsewhere the formula in the
    namespace (JAX fuses it). ``input`` and ``target`` share a floating dtype; ``target`` may be
    0-d; ``beta`` is a non-negative Python float.
    """
    native = _natives(xp)
    if native is not None:
        return native.smooth_l1(input, target, beta, reduction)
    return _smooth_l1(xp, input, target, beta, reduction)


def _smooth_l1(xp: ModuleType, input: Array, target: Array, beta: float,
               reduction: str) -> Array:
    # The square of |r| rather than of r: the same numbers and gradients, and the difference is
    # freed at once (NumPy's peak memory is then that of the formula written with np.abs).
    magnitude = absolute(xp, input - target)
    if beta == 0:
        return reduce(xp, magnitude, reduction)
    loss = xp.where(magnitude < beta, 0.5 * magnitude * magnitude / beta,
                    magnitude - 0.5 * beta)
    return reduce(xp, loss, reduction)


def xlogy(xp: ModuleType, x: Array, y: Array) -> Array:
    """``x * log(y)``, and 0 wherever ``x == 0`` unless ``y`` is NaN (``scipy.special.xlogy``).

    The gradients are ``torch.xlogy``'s: ``log(y)`` and ``x / y``, with ``d/dx = 0`` where
    ``x == 0`` and ``y <= 0``. Two points differ from torch: at ``x == y == 0`` the gradient
    w.r.t. ``y`` is 0 (torch: NaN), and at ``x == 0, y == inf`` the gradient w.r.t. ``x`` is 0
    (torch: inf). There is no native kernel because none agrees with torch:
    ``jax.scipy.special.xlogy`` gives ``d/dx = -inf`` at ``x == y == 0``, and ``tf.math.xlogy``
    gives ``d/dx = 0`` wherever ``x == 0`` and 0 for ``xlogy(0, nan)``.
    """
    # Where x == 0 and log(y) is -inf, inf or NaN from a negative y, log(1) keeps 0 * log(y) at 0.
    degenerate = (x == 0) & ((y <= 0) | xp.isinf(y))
    return x * xp.log(xp.where(degenerate, xp.ones_like(y), y))


def xlogx(xp: ModuleType, x: Array) -> Array:
    """``x * log(x)``, 0 at ``x == 0`` (NaN for ``x < 0``): ``xlogy(x, x)`` in fewer passes.

    The gradient is ``log(x) + 1``, and 0 at ``x == 0`` (``torch.xlogy(x, x)`` gives NaN there).
    TensorFlow runs ``tf.math.xlogy(x, x)``, torch ``torch.xlogy(x, x)`` when ``x`` needs no
    gradient.
    """
    native = _natives(xp)
    if native is not None and native.xlogx is not None:
        return native.xlogx(x)
    return _portable_xlogx(xp, x)


def _portable_xlogx(xp: ModuleType, x: Array) -> Array:
    return x * xp.log(xp.where(x == 0, xp.ones_like(x), x))


def gather_classes(xp: ModuleType, x: Array, index: Array, *, axis: int) -> Array:
    """``x`` at the class ``index`` of each position: ``x[..., index, ...]`` along ``axis``.

    ``index`` has the shape of ``x`` without ``axis``; the result has that shape too. This is a
    gather, never a one-hot product, so it costs one read per position. An id outside
    ``[-C, C)`` raises where the backend's gather raises (NumPy, array-api-strict, torch,
    TensorFlow on CPU) and gives NaN on JAX.
    """
    index = _gather_index(xp, index)
    native = _natives(xp)
    if native is not None and native.gather is not None:
        return native.gather(x, index, axis)
    expanded = xp.expand_dims(index, axis=axis)
    return xp.squeeze(xp.take_along_axis(x, expanded, axis=axis), axis=axis)


def take_classes(xp: ModuleType, vector: Array, index: Array) -> Array:
    """``vector[index]``: a per-class ``(C,)`` array read at class ids of any shape."""
    flat = xp.take(vector, xp.reshape(_gather_index(xp, index), (-1,)), axis=0)
    return xp.reshape(flat, index.shape)


_INT64_GATHERS = frozenset({"array_api_compat.torch"})
"""Namespaces whose gathers take int64 ids only (torch's ``gather``, ``take_along_dim``)."""


def _gather_index(xp: ModuleType, index: Array) -> Array:
    """Class ids of any integer dtype in a dtype the backend's gathers accept."""
    if xp.__name__ in _INT64_GATHERS and index.dtype != xp.int64:
        return xp.astype(index, xp.int64)
    return index


def clamp(xp: ModuleType, x: Array, *, min: float | None = None,
          max: float | None = None) -> Array:
    """Clamp ``x`` to ``[min, max]`` with ``torch.clamp``'s gradient: 1 inside and on the bounds.

    (``jnp.clip`` would give 0.5 on a bound.) NaN stays NaN with the gradient 0, as in torch.
    """
    if min is None and max is None:
        return x
    clamped = x
    if min is not None:
        clamped = xp.where(x < min, xp.asarray(min, dtype=x.dtype), clamped)
    if max is not None:
        clamped = xp.where(clamped > max, xp.asarray(max, dtype=x.dtype), clamped)
    return xp.where(xp.isnan(x), x * 0, clamped)


def relu(xp: ModuleType, x: Array) -> Array:
    """``max(x, 0)`` as ``torch.relu``: gradient 0 at ``x == 0``, NaN stays NaN.

    (``jnp.maximum(x, 0)`` gives the gradient 1/2 at 0; ``where(x > 0, x, 0)`` turns NaN into 0.)
    """
    return xp.where(x <= 0, 0.0, x)


def split_maximum(xp: ModuleType, a: Array, b: Array) -> Array:
    """Elementwise ``maximum`` whose gradient at a tie is split 1/2 and 1/2.

    This is ``torch.maximum`` and ``jnp.maximum``; TensorFlow's ``maximum`` gives all of it to
    ``a``.
    """
    return xp.where(a > b, a, xp.where(b > a, b, a / 2 + b / 2))


def split_minimum(xp: ModuleType, a: Array, b: Array) -> Array:
    """Elementwise ``minimum`` whose gradient at a tie is split 1/2 and 1/2.

    This is ``torch.minimum`` and ``jnp.minimum``; TensorFlow's ``minimum`` gives all of it to
    ``a``.
    """
    return xp.where(a < b, a, xp.where(b < a, b, a / 2 + b / 2))


def sqrt_zero_safe(xp: ModuleType, x: Array) -> Array:
    """``sqrt(x)`` for ``x >= 0`` whose gradient at ``x == 0`` is 0, never ``inf`` or NaN.

    0 is the subgradient torch's norms use at the zero vector. JAX runs ``sqrt`` with that
    derivative (``jax.custom_jvp``), which XLA fuses better.
    """
    native = _natives(xp)
    if native is not None and native.sqrt_zero_safe is not None:
        return native.sqrt_zero_safe(x)
    zero = x == 0
    return xp.where(zero, 0.0, xp.sqrt(xp.where(zero, 1.0, x)))


def arange_like(xp: ModuleType, stop: int, like: Array, *, dtype: Any = None) -> Array:
    """``xp.arange(stop)`` on the device of the array ``like`` (and of dtype ``dtype``)."""
    return xp.arange(stop, dtype=dtype, device=array_api_compat.device(like))


def class_mask(xp: ModuleType, index: Array, num_classes: int, *, axis: int) -> Array:
    """Boolean ``class == index``: ``index``'s shape with ``num_classes`` inserted at ``axis``.

    Built by comparing class ids (no scatter, no floating one-hot), for the losses that must treat
    the target class apart inside a ``where``; it is a boolean array the size of the scores.
    """
    classes = arange_like(xp, num_classes, index, dtype=index.dtype)
    shape = [1] * (index.ndim + 1)
    shape[axis] = num_classes
    return xp.reshape(classes, tuple(shape)) == xp.expand_dims(index, axis=axis)


def stop_gradient(xp: ModuleType, x: Array) -> Array:
    """``x`` as a constant for autodiff: its value, with no gradient flowing back through it.

    ``Tensor.detach`` on torch, ``jax.lax.stop_gradient`` on JAX, ``tf.stop_gradient`` on
    TensorFlow; the identity on libraries without autodiff (NumPy, array-api-strict). This is part
    of a loss's definition (torchvision computes CIoU's trade-off under ``no_grad``), not a fast
    path, so ``use_native_kernels`` does not turn it off.
    """
    detach = _built(_STOP_GRADIENT_BUILDERS, _STOP_GRADIENTS, xp)
    return x if detach is None else detach(x)


def _jax_fold() -> Callable[..., Array]:
    import jax

    def scan(xp: ModuleType, step: Callable[..., Array], init: Array, elems: tuple[Array, ...],
             constants: tuple[Array, ...]) -> Array:
        def body(carry: Array, row: tuple[Array, ...]) -> tuple[Array, None]:
            return step(xp, carry, *row, *constants), None

        return jax.lax.scan(body, init, elems)[0]

    # Jitted with the namespace and the step static, so an eager call compiles the loop once per
    # step function and shapes instead of re-tracing the scan each time; inside an outer
    # jit/grad/vmap it is inlined.
    return jax.jit(scan, static_argnums=(0, 1))  # type: ignore[no-any-return]


def _tensorflow_fold() -> Callable[..., Array]:
    import tensorflow as tf

    def fold(xp: ModuleType, step: Callable[..., Array], init: Array, elems: tuple[Array, ...],
             constants: tuple[Array, ...]) -> Array:
        return tf.foldl(lambda carry, row: step(xp, carry, *row, *constants), elems,
                        initializer=init)

    # A graph function, as on JAX: eagerly, tf.foldl would run its while_loop op by op in
    # Python. Traced once per step function with relaxed shapes (reduce_retracing), so varying
    # lengths do not retrace each call; inside an outer tf.function it is just a call. The step
    # has no Python control flow on tensors, so AutoGraph has nothing to convert.
    return tf.function(fold, reduce_retracing=True, autograph=False)  # type: ignore[no-any-return]


_FOLD_BUILDERS: dict[str, Callable[[], Callable[..., Array]]] = {
    "jax.numpy": _jax_fold,
    "omniloss._tensorflow": _tensorflow_fold,
}
_FOLDS: dict[str, Callable[..., Array] | None] = {}


def fold(xp: ModuleType, step: Callable[..., Array], init: Array, elems: tuple[Array, ...],
         constants: tuple[Array, ...] = ()) -> Array:
    """Loop over the leading axis: ``carry = step(xp, carry, *(e[i] for e in elems), *constants)``.

    Returns the last carry. The Array API has no loop construct. A Python loop is exact everywhere
    but unrolls into one graph node per step under tracing, so JAX runs ``jax.lax.scan`` and
    TensorFlow ``tf.foldl`` (a ``tf.while_loop``): a graph of one step whatever the length,
    differentiable on both. Torch, NumPy and array-api-strict (and every backend when
    ``use_native_kernels`` is off) run the Python loop. ``step`` must be a module-level function
    (JAX caches the compiled loop by its identity; arrays it needs go in ``constants``, not in a
    closure) returning an array of ``init``'s shape and dtype.
    """
    native = _built(_FOLD_BUILDERS, _FOLDS, xp) if use_native_kernels else None
    if native is not None:
        return native(xp, step, init, elems, constants)
    carry = init
    # unstack, not e[i]: torch's backward of one unstack stacks the row gradients once, while
    # each e[i] would scatter into a zero tensor of e's full size.
    for row in zip(*(xp.unstack(e, axis=0) for e in elems), strict=True):
        carry = step(xp, carry, *row, *constants)
    return carry


def _torch_checkpoint() -> Callable[..., Array]:
    from torch.utils.checkpoint import checkpoint as torch_checkpoint

    return lambda fn, *arrays: torch_checkpoint(fn, *arrays, use_reentrant=False)


def _jax_checkpoint() -> Callable[..., Array]:
    import jax

    return lambda fn, *arrays: jax.checkpoint(fn)(*arrays)


def _tensorflow_checkpoint() -> Callable[..., Array]:
    import tensorflow as tf

    return lambda fn, *arrays: tf.recompute_grad(fn)(*arrays)


_CHECKPOINT_BUILDERS: dict[str, Callable[[], Callable[..., Array]]] = {
    "array_api_compat.torch": _torch_checkpoint,
    "jax.numpy": _jax_checkpoint,
    "omniloss._tensorflow": _tensorflow_checkpoint,
}
_CHECKPOINTS: dict[str, Callable[..., Array] | None] = {}


def checkpoint(xp: ModuleType, fn: Callable[..., Array], *arrays: Array) -> Array:
    """``fn(*arrays)``, its intermediate values recomputed in the backward pass, not stored.

    ``torch.utils.checkpoint.checkpoint`` (non-reentrant) on torch, ``jax.checkpoint`` on JAX,
    ``tf.recompute_grad`` on TensorFlow; a plain call on libraries without autodiff. Only the
    ``arrays`` (floating arrays) are saved for the backward pass, so a function that builds a
    large temporary from small inputs costs the small inputs' memory until the backward pass.
    Gradients flow to ``arrays`` (and, except on TensorFlow, to arrays ``fn`` closes over); pass
    every array that needs a gradient explicitly. Like :func:`stop_gradient`, this is autodiff
    control, not a fast path: ``use_native_kernels`` does not turn it off.
    """
    native = _built(_CHECKPOINT_BUILDERS, _CHECKPOINTS, xp)
    return fn(*arrays) if native is None else native(fn, *arrays)
