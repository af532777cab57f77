"""The one portable Array API implementation of every primitive.

Each function takes the namespace ``xp`` and calls only ``xp``'s standard functions (and
array-api-compat's ``device``); nothing here looks up a backend. This is what runs on
array-api-strict, and on every backend when ``use_native_kernels`` is off. The docstrings here
hold each primitive's contract: its values, its gradients at the kinks, and the numerical trick
that keeps it exact. The natives in the backend modules give the same values and gradients.

A composite primitive takes the primitives it is built from as keyword arguments (``absolute``,
``reduce``, ``stop_gradient``), defaulting to the portable ones here; ``omniloss._primitives``
passes its own, so a backend's natives serve inside it. Capabilities are arguments too:
``autodiff=False`` picks a formula that is faster where no gradient is taken.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from types import ModuleType
from typing import Any

import array_api_compat

from omniloss._primitives._backend import Array, Axis

_SUM_EXP_SLICES = 4
_SUM_EXP_SLICED_SIZE = 1 << 24


def _finite_peak(xp: ModuleType, x: Array, axis: Axis) -> Array:
    """``max(x, axis)`` (dims kept), with 0 where it is infinite so ``x - peak`` stays defined."""
    peak = xp.max(x, axis=axis, keepdims=True)
    return xp.where(xp.isfinite(peak), peak, 0.0)


def _shift(xp: ModuleType, x: Array, axis: Axis) -> Array:
    """``max(x, axis)`` (dims kept), with 0 where it is ``-inf`` (all of ``x`` is ``-inf``).

    A ``+inf`` maximum stays: ``x - peak`` is NaN there, so the whole row of a log-softmax with a
    ``+inf`` logit is NaN, as torch's, JAX's and TensorFlow's kernels give (``x - logsumexp(x)``
    would give ``-inf`` for the other entries: a finite-looking answer to an undefined softmax).
    """
    peak = xp.max(x, axis=axis, keepdims=True)
    return xp.where(peak == -math.inf, 0.0, peak)


def _sum_exp(xp: ModuleType, x: Array, peak: Array, axis: Axis, *, sliced: bool = True
             ) -> Array:
    """``sum(exp(x - peak), axis)`` (dims kept).

    Over one axis of an ``x`` of at least 2**24 elements it runs on four slices of that axis in
    turn (unless ``sliced`` is ``False``), so its two temporaries are a quarter of ``x`` each: the
    Array API has no in-place ``exp``, and two full-size temporaries would double the memory of a
    cross-entropy over a large vocabulary. Smaller arrays take one pass (slicing costs 1.5x in
    time at 4096x1000 on NumPy, 3x at 32x10).
    """
    if (not sliced or not isinstance(axis, int) or x.shape[axis] is None
            or x.shape[axis] < _SUM_EXP_SLICES or None in x.shape
            or math.prod(x.shape) < _SUM_EXP_SLICED_SIZE):
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


def logsumexp(xp: ModuleType, x: Array, *, axis: Axis = None, keepdims: bool = False) -> Array:
    """``log(sum(exp(x), axis))`` without overflow; all ``-inf`` gives ``-inf``."""
    peak = _finite_peak(xp, x, axis)
    total = xp.log(_sum_exp(xp, x, peak, axis)) + peak
    if keepdims:
        return total
    return xp.squeeze(total, axis=tuple(range(x.ndim)) if axis is None else axis)


def stop_gradient(xp: ModuleType, x: Array) -> Array:
    """``x`` as a constant for autodiff: the identity, for libraries without autodiff.

    Its value, with no gradient flowing back through it. This is part of a loss's definition
    (torchvision computes CIoU's trade-off under ``no_grad``), not a fast path, so
    ``use_native_kernels`` does not turn the backends' own off.
    """
    return x


def logsumexp_parts(xp: ModuleType, x: Array, *, axis: int,
                    stop_gradient: Callable[[ModuleType, Array], Array] = stop_gradient,
                    sliced: bool = True) -> tuple[Array, Array]:
    """``(peak, log_total)``, dims kept: ``logsumexp(x, axis) = peak + log_total``.

    ``peak`` is the finite maximum along ``axis``, a constant for autodiff; ``log_total`` is
    ``log(sum(exp(x - peak)))``. A log-softmax entry is then ``(x[y] - peak) - log_total``,
    exact to rounding without forming the whole log-softmax (one full pass fewer, and one
    full-size array less). Holding ``peak`` constant leaves every gradient exact for such
    expressions, whose derivative w.r.t. the shift is 0; it spares the backward pass of the max.

    The sum runs over slices of a large ``x`` (see ``_sum_exp``); ``sliced=False`` takes one
    pass at every size, for a compiler that fuses the exponential into the sum (XLA), where the
    slices would make the temporaries they are meant to avoid.
    """
    peak = stop_gradient(xp, _shift(xp, x, axis))
    return peak, xp.log(_sum_exp(xp, x, peak, axis, sliced=sliced))


def log_softmax(xp: ModuleType, x: Array, *, axis: int = -1) -> Array:
    """``(x - max) - log(sum(exp(x - max)))``: the log-probabilities of the softmax.

    Never ``log(softmax(x))``, and never ``x - logsumexp(x)`` either: rounding ``logsumexp`` to
    the magnitude of the logits loses their low digits (3e-4 at logits of 1e4 in float32). A row
    holding ``+inf`` is NaN throughout (see ``_shift``), and so is a row of ``-inf``, as the
    backends' kernels give.
    """
    peak = _shift(xp, x, axis)
    log_total = xp.log(_sum_exp(xp, x, peak, axis))
    shifted = x - peak
    shifted -= log_total
    return shifted


def softmax(xp: ModuleType, x: Array, *, axis: int = -1) -> Array:
    """``exp(x) / sum(exp(x), axis)``, shifted by the maximum so nothing overflows."""
    shifted = xp.exp(x - xp.max(x, axis=axis, keepdims=True))
    return shifted / xp.sum(shifted, axis=axis, keepdims=True)


def softplus(xp: ModuleType, x: Array, *, autodiff: bool = True) -> Array:
    """``log(1 + exp(x)) = max(x, 0) + log1p(exp(-|x|))``, exact for every ``x`` (no threshold).

    The branches are picked by one test, so the gradient at 0 is ``sigmoid(0) = 1/2`` on every
    backend. Libraries without autodiff (``autodiff=False``) take ``maximum`` and ``abs`` instead
    of ``where``: NumPy's ``where`` on an unpredictable mask is 8x slower than ``maximum`` (and
    its ``logaddexp`` 10x slower than the whole formula).
    """
    if not autodiff:
        return xp.maximum(x, 0.0) + xp.log1p(xp.exp(-xp.abs(x)))
    positive = x > 0
    return xp.where(positive, x, 0.0) + xp.log1p(xp.exp(xp.where(positive, -x, x)))


def log_sigmoid(xp: ModuleType, x: Array, *, autodiff: bool = True) -> Array:
    """``log(sigmoid(x)) = min(x, 0) - log1p(exp(-|x|))``, finite for logits of any magnitude.

    Without autodiff (``autodiff=False``), ``minimum`` and ``abs`` as in :func:`softplus`.
    """
    if not autodiff:
        return xp.minimum(x, 0.0) - xp.log1p(xp.exp(-xp.abs(x)))
    negative = x < 0
    return xp.where(negative, x, 0.0) - xp.log1p(xp.exp(xp.where(negative, x, -x)))


def sigmoid_cross_entropy(xp: ModuleType, x: Array, y: Array, pos_weight: Array | None = None,
                          *, autodiff: bool = True) -> Array:
    """``-(pw * y * log_sigmoid(x) + (1 - y) * log_sigmoid(-x))`` (``pw`` is 1 by default), as
    ``head + (1 + (pw - 1) * y) * log1p(exp(-|x|))`` with ``head = max(x, 0) - x * y`` (``-pw *
    y * x`` where ``x < 0``, ``(1 - y) * x`` elsewhere).

    The exact split of ``tf.nn.sigmoid_cross_entropy_with_logits``: ``head`` is exact for hard
    labels (``0``, ``x`` or ``-pw * x``), and the small term ``log1p(exp(-|x|))`` is never added
    to a large one that cancels it. Torch's kernel and the textbook form ``(1 - y) * x -
    log_sigmoid(x)`` round ``log_sigmoid(x)`` to the magnitude of ``x`` first, then subtract
    ``x``: in float32 at ``y = 0`` that loses 8e-3 of the value at ``x = -10`` and all of it below
    ``-17`` (0 for 2e-9). The gradient is exact too: the branches are picked by one test, so
    autodiff adds the derivative of ``head`` (0 at ``y = 0, x < 0``) to ``sigmoid``-sized terms
    and never cancels ``1 - 1``; at 0 it is ``1 - y - (1 + (pw - 1) * y) / 2``. Without autodiff
    (``autodiff=False``), ``maximum`` and ``abs`` as in :func:`softplus`.
    """
    if not autodiff:
        head = xp.maximum(x, 0.0) - x * y if pos_weight is None else (
            (1 - y) * x + (1 + (pos_weight - 1) * y) * xp.maximum(-x, 0.0))
        tail = xp.log1p(xp.exp(-xp.abs(x)))
    else:
        negative = x < 0
        positive_term = y if pos_weight is None else pos_weight * y
        head = xp.where(negative, -positive_term * x, (1 - y) * x)
        tail = xp.log1p(xp.exp(xp.where(negative, x, -x)))
    if pos_weight is None:
        return head + tail
    return head + (1 + (pos_weight - 1) * y) * tail


def sigmoid(xp: ModuleType, x: Array) -> Array:
    """``1 / (1 + exp(-x))`` computed from ``exp(-|x|)`` so it never overflows."""
    nonnegative = x >= 0
    # exp(-|x|), with -|x| picked by the same test as the branch: abs would give the gradient 0
    # at x = 0 on torch and TF, where sigmoid'(0) = 0.25.
    decay = xp.exp(xp.where(nonnegative, -x, x))
    return xp.where(nonnegative, 1 / (1 + decay), decay / (1 + decay))


def reduce_all(xp: ModuleType, x: Array, *, reduction: str) -> Array:
    """``xp.mean(x)`` (``reduction="mean"``) or ``xp.sum(x)`` (``"sum"``) over every element.

    The backends' natives give the same numbers with less per-call overhead on floating arrays.
    This is what every loss's ``reduction`` runs.
    """
    return xp.mean(x) if reduction == "mean" else xp.sum(x)


def reduce(xp: ModuleType, loss: Array, reduction: str) -> Array:
    """Apply ``reduction`` (``"mean"``, ``"sum"`` or ``"none"``) to the elementwise ``loss``.

    ``"mean"`` of an empty array is NaN, as in torch. A 0-d ``loss`` is returned as it is (its
    mean and sum are itself; a reduction kernel would cost a call, tens of microseconds eagerly
    on TensorFlow).
    """
    if reduction not in ("mean", "sum") or loss.ndim == 0:
        return loss
    return reduce_all(xp, loss, reduction=reduction)


def absolute(xp: ModuleType, x: Array, *, autodiff: bool = True) -> Array:
    """``|x|`` whose gradient at ``x == 0`` is 0, as ``torch.abs`` and ``tf.abs`` give.

    ``jnp.abs`` gives 1 at 0, so the portable formula is ``x * sign(x)`` (one fused pass under
    ``jax.jit``); torch and TensorFlow run their ``abs``, and the libraries without autodiff
    (``autodiff=False``) their plain ``xp.abs``. (At ``x == -0.0`` the portable formula returns
    ``-0.0``.)
    """
    if not autodiff:
        return xp.abs(x)
    return x * xp.sign(x)


def squared_error(xp: ModuleType, input: Array, target: Array, *, reduction: str,
                  reduce: Callable[[ModuleType, Array, str], Array] = reduce) -> Array:
    """``(input - target)**2`` reduced by ``reduction`` (``"mean"``, ``"sum"`` or ``"none"``).

    ``input`` and ``target`` share a floating dtype; ``target`` may be 0-d. The gradients are
    ``2 (input - target)`` (times ``1/n`` for the mean) for ``input`` and the negative for
    ``target``. The mean of an empty array is NaN.

    The sum is a reduction of the squares (NumPy's ``add.reduce``: pairwise), not a ``vecdot``
    of the difference with itself: BLAS's float32 dot accumulates in a few float32 lanes, so
    the running sums outgrow the squares. The mean squared error of two N(0, 1) float32 vectors
    of 4e6 elements was off by 2.0e-5 relative (torch: 5e-9), of 1e8 elements by 2.8e-3; the
    reduction of the squares: 1.4e-8 and 2.7e-9, at the cost of the squared temporary.
    """
    difference = input - target
    return reduce(xp, difference * difference, reduction)


def smooth_l1(xp: ModuleType, input: Array, target: Array, *, beta: float, reduction: str,
              absolute: Callable[[ModuleType, Array], Array] = absolute,
              reduce: Callable[[ModuleType, Array, str], Array] = reduce) -> Array:
    """Smooth L1 of ``r = input - target``: ``0.5 r**2 / beta`` where ``|r| < beta``, else
    ``|r| - 0.5 beta``, reduced by ``reduction``; ``beta == 0`` gives ``|r|``.

    The gradient is ``r / beta`` inside, ``sign(r)`` outside (1 at ``|r| == beta`` from both
    sides) and 0 at ``r == 0``. ``input`` and ``target`` share a floating dtype; ``target`` may
    be 0-d; ``beta`` is a non-negative Python float.
    """
    # The square of |r| rather than of r: the same numbers and gradients, and the difference is
    # freed at once (NumPy's peak memory is then that of the formula written with np.abs).
    magnitude = absolute(xp, input - target)
    if beta == 0:
        return reduce(xp, magnitude, reduction)
    loss = xp.where(magnitude < beta, 0.5 * magnitude * magnitude / beta,
                    magnitude - 0.5 * beta)
    return reduce(xp, loss, reduction)


def xlogx(xp: ModuleType, x: Array) -> Array:
    """``x * log(x)``, 0 at ``x == 0`` (NaN for ``x < 0``): ``xlogy(x, x)`` in fewer passes.

    The gradient is ``log(x) + 1``, and 0 at ``x == 0`` (``torch.xlogy(x, x)`` gives NaN there).
    """
    return x * xp.log(xp.where(x == 0, xp.ones_like(x), x))


def take_along_axis(xp: ModuleType, x: Array, indices: Array, *, axis: int) -> Array:
    """The standard's ``xp.take_along_axis``: ``x`` read at ``indices`` along ``axis``."""
    return xp.take_along_axis(x, indices, axis=axis)


def gather_classes(xp: ModuleType, x: Array, index: Array, *, axis: int,
                   take_along_axis: Callable[..., Array] = take_along_axis) -> Array:
    """``x`` at the class ``index`` of each position: ``x[..., index, ...]`` along ``axis``.

    ``index`` has the shape of ``x`` without ``axis``, in a dtype the backend's gathers take;
    the result has that shape too. This is a gather, never a one-hot product, so it costs one
    read per position. An id outside ``[-C, C)`` raises where the backend's gather raises (NumPy,
    array-api-strict, torch, TensorFlow on CPU) and gives NaN on JAX.
    """
    expanded = xp.expand_dims(index, axis=axis)
    return xp.squeeze(take_along_axis(xp, x, expanded, axis=axis), axis=axis)


def dim(xp: ModuleType, x: Array, axis: int) -> Any:
    """``x.shape[axis]``: the static size of an axis, ``None`` where the shape does not know it
    (the standard allows that; of our backends only TensorFlow under ``tf.function`` does, and
    its record reads such a size at run time)."""
    return x.shape[axis]


def take_classes(xp: ModuleType, vector: Array, index: Array, *,
                 dim: Callable[[ModuleType, Array, int], Any] = dim) -> Array:
    """``vector[index]``: a per-class ``(C,)`` array read at class ids of any shape."""
    if index.ndim == 1:
        return xp.take(vector, index, axis=0)
    flat = xp.take(vector, xp.reshape(index, (-1,)), axis=0)
    return xp.reshape(flat, tuple(dim(xp, index, axis) for axis in range(index.ndim)))


def clamp(xp: ModuleType, x: Array, *, min: float | None = None,
          max: float | None = None) -> Array:
    """:func:`omniloss._primitives.clamp` in the standard's functions: three ``where``."""
    clamped = x
    if min is not None:
        clamped = xp.where(x < min, min, clamped)
    if max is not None:
        clamped = xp.where(clamped > max, max, clamped)
    return xp.where(xp.isnan(x), x * 0, clamped)


def relu(xp: ModuleType, x: Array) -> Array:
    """``max(x, 0)`` as ``torch.relu``: gradient 0 at ``x == 0``, NaN stays NaN.

    (``jnp.maximum(x, 0)`` gives the gradient 1/2 at 0; ``where(x > 0, x, 0)`` turns NaN into 0.)
    """
    return xp.where(x <= 0, 0.0, x)


def sparsemax(xp: ModuleType, x: Array, *, axis: int,
              take_along_axis: Callable[..., Array] = take_along_axis) -> Array:
    """The Euclidean projection of ``x`` onto the probability simplex along ``axis``.

    ``max(x - tau, 0)`` with the threshold ``tau`` that makes it sum to 1 (Martins & Astudillo
    2016, Algorithm 1), computed as ``optax.projections.projection_simplex``: sort descending,
    cumulative sums ``c_k``, support size ``k`` = the count of ranks with ``1/k + u_k - c_k/k >
    0``, ``tau = (c_k - 1) / k`` read by a gather. No data-dependent shape: it traces. Autodiff
    through the sort and the gather gives optax's Jacobian ``diag(s) - s s^T / |s|`` on the
    support ``s`` (the relu's gradient at 0 is 0, as ``jax.nn.relu``).
    """
    ranked = xp.sort(x, axis=axis, descending=True)
    cumulative = xp.cumulative_sum(ranked, axis=axis)
    rank = xp.cumulative_sum(xp.ones_like(ranked), axis=axis)
    in_support = 1.0 / rank + (ranked - cumulative / rank) > 0
    index = xp.__array_namespace_info__().default_dtypes()["indexing"]
    size = xp.sum(xp.astype(in_support, index), axis=axis, keepdims=True)
    top = take_along_axis(xp, cumulative, size - 1, axis=axis)
    size = xp.astype(size, x.dtype)
    return relu(xp, 1.0 / size + (x - top / size))


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

    0 is the subgradient torch's norms use at the zero vector.
    """
    zero = x == 0
    return xp.where(zero, 0.0, xp.sqrt(xp.where(zero, 1.0, x)))


def binary_scale(xp: ModuleType, x: Array, *, axis: Axis = None, keepdims: bool = False,
                 at_least_one: bool = False,
                 stop_gradient: Callable[[ModuleType, Array], Array] = stop_gradient) -> Array:
    """The power of two at or below ``max(|x|, axis)``, a constant for autodiff: 1 where that
    maximum is 0 or not finite (and below 1 with ``at_least_one``).

    Divide by it before squaring and multiply the root back: ``||x|| = s * ||x / s||`` never
    overflows or underflows (``sum(x**2)`` overflows float32 at ``|x| > 1.8e19`` and underflows
    to 0 at ``|x| < 1e-23``), and dividing by a power of two is exact, so the result is the same
    number where nothing overflowed. Constant ``s``: ``s * f(x / s)`` is ``f``'s own function of
    ``x``, so every gradient is exact. ``at_least_one`` scales large values only, for formulas
    with an additive ``eps`` (divided by ``s**2`` then, which must not overflow).
    """
    axes = range(x.ndim) if axis is None else (axis,) if isinstance(axis, int) else axis
    reduced = {a % x.ndim for a in axes}
    if any(x.shape[a] == 0 for a in reduced):  # no maximum of nothing: the scale 1
        shape = tuple(1 if a in reduced else n for a, n in enumerate(x.shape)
                      if keepdims or a not in reduced)
        return xp.ones(shape, dtype=x.dtype, device=array_api_compat.device(x))
    peak = xp.max(xp.abs(stop_gradient(xp, x)), axis=axis, keepdims=keepdims)
    usable = (peak > 0) & (peak < math.inf)
    if at_least_one:
        usable = usable & (peak >= 1)
    exponent = xp.floor(xp.log2(xp.where(usable, peak, 1.0)))
    return 2.0 ** exponent


def arange_like(xp: ModuleType, stop: int, like: Array, *, dtype: Any = None) -> Array:
    """``xp.arange(stop)`` on the device of the array ``like`` (and of dtype ``dtype``)."""
    return xp.arange(stop, dtype=dtype, device=array_api_compat.device(like))


def class_mask(xp: ModuleType, index: Array, num_classes: int, *, axis: int) -> Array:
    """Boolean ``class == index``: ``index``'s shape with ``num_classes`` inserted at ``axis``.

    Built by comparing class ids (no scatter, no floating one-hot), for the losses that must treat
    the target class apart inside a ``where``; it is a boolean array the size of the scores.
    """
    classes = arange_like(xp, num_classes, index)  # the default index dtype: any class count
    if index.dtype != classes.dtype:
        index = xp.astype(index, classes.dtype)
    shape = [1] * (index.ndim + 1)
    shape[axis] = num_classes
    return xp.reshape(classes, tuple(shape)) == xp.expand_dims(index, axis=axis)


def unreachable_log(xp: ModuleType, dtype: Any) -> float:
    """The log-probability CTC's recursion gives an unreachable state: finite (a log-sum-exp of
    two of them stays finite, where ``-inf`` would give NaN gradients), far below any real one,
    and twice it still finite: the dtype's lowest / 4."""
    return float(xp.finfo(dtype).min) / 4


def ctc_impossible(nll: Array, target_lengths: Array, max_length: Any, floor: float) -> Array:
    """Where CTC has no alignment: a loss at the unreachable ``floor``'s level, or a target
    longer than the padded targets hold (``max_length``)."""
    return (nll > -floor / 2) | (target_lengths > max_length)


def fold(xp: ModuleType, step: Callable[..., Array], init: Array, elems: tuple[Array, ...],
         constants: tuple[Array, ...] = (), *, stack: bool = False) -> Array:
    """Loop over the leading axis: ``carry = step(xp, carry, *(e[i] for e in elems), *constants)``.

    Returns the last carry, or with ``stack`` every step's carry stacked on a new leading axis
    (``(T, *init.shape)``; ``init`` itself is not included). The Array API has no loop
    construct. A Python loop is exact everywhere but unrolls into one graph node per step under
    tracing, so JAX runs ``jax.lax.scan`` and TensorFlow ``tf.foldl`` or ``tf.scan`` (a
    ``tf.while_loop``): a graph of one step whatever the length,
    differentiable on both; Dask runs this loop inside one task (a graph of steps would be tens
    of tasks per step). Torch, NumPy and array-api-strict (and every backend when
    ``use_native_kernels`` is off) run this Python loop. ``step`` must be a module-level function
    (JAX caches the compiled loop by its identity; arrays it needs go in ``constants``, not in a
    closure) returning an array of ``init``'s shape and dtype.
    """
    carry, carries = init, []
    # unstack, not e[i]: torch's backward of one unstack stacks the row gradients once, while
    # each e[i] would scatter into a zero tensor of e's full size.
    for row in zip(*(xp.unstack(e, axis=0) for e in elems), strict=True):
        carry = step(xp, carry, *row, *constants)
        if stack:  # only then: every carry kept alive costs T times the carry's memory
            carries.append(carry)
    if not stack:
        return carry
    if not carries:  # no step: an empty stack of init's shape
        return xp.empty((0, *init.shape), dtype=init.dtype, device=array_api_compat.device(init))
    return xp.stack(carries, axis=0)


def checkpoint(xp: ModuleType, fn: Callable[..., Array], *arrays: Array) -> Array:
    """``fn(*arrays)``, its intermediate values recomputed in the backward pass, not stored.

    A plain call here, for libraries without autodiff. Only the ``arrays`` (floating arrays) are
    saved for the backward pass, so a function that builds a large temporary from small inputs
    costs the small inputs' memory until the backward pass. Gradients flow to ``arrays`` (and,
    except on TensorFlow, to arrays ``fn`` closes over); pass every array that needs a gradient
    explicitly. Like :func:`stop_gradient`, this is autodiff control, not a fast path:
    ``use_native_kernels`` does not turn the backends' own off.
    """
    return fn(*arrays)
