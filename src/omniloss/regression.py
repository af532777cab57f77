"""Regression losses: elementwise penalties on the residual ``input - target``.

Each loss takes ``input`` and ``target`` of one shape (a Python scalar target broadcasts) and
returns the elementwise loss reduced by ``reduction``: ``"mean"`` (default) over every element,
``"sum"``, or ``"none"`` for the unreduced array. Two exceptions: ``rmse_loss`` takes the root
after the mean (per sample for ``"none"`` and ``"sum"``), and ``gaussian_nll_loss`` also takes
the predicted variance. Where torch has the loss it fixes values and gradients; keras fixes the
elementwise ``log_cosh_loss``, ``msle_loss`` and ``mape_loss``; the rest follow their formulas.
"""

from __future__ import annotations

import math
from types import ModuleType
from typing import Any

from omniloss._boundary import reads_arrays
from omniloss._dispatch import _is_python_scalar
from omniloss._primitives import (
    absolute,
    binary_scale,
    smooth_l1,
    softplus,
    sqrt_zero_safe,
    squared_error,
    stop_gradient,
)
from omniloss._reduction import reduce, reduce_kernel, weighting_args
from omniloss._validation import (
    check_broadcastable,
    check_flag,
    check_number,
    check_positive,
    check_real,
    float_pair,
    gaussian_inputs,
    shape_of,
)

Array = Any

__all__ = [
    "l1_loss",
    "mse_loss",
    "rmse_loss",
    "smooth_l1_loss",
    "huber_loss",
    "pseudo_huber_loss",
    "log_cosh_loss",
    "msle_loss",
    "mape_loss",
    "poisson_nll_loss",
    "gaussian_nll_loss",
    "quantile_loss",
    "robust_loss",
]

_KERAS_EPSILON = 1e-7  # keras.config.epsilon()'s default: the floor under msle and mape
_PAIR = {"input": "predictions, a floating array.",
         "target": "targets of the same shape (or a Python scalar)."}


def _residual(name: str, input: Array, target: Array, reduction: str, sample_weight: Array | None,
              where: Array | None) -> tuple[ModuleType, Array]:
    """Resolve the namespace, validate, and return ``(xp, input - target)`` in the float dtype."""
    xp, input, target = float_pair(name, input, target, reduction, sample_weight, where)
    return xp, input - target


@reads_arrays
@weighting_args(inputs=_PAIR)
def l1_loss(input: Array, target: Array, *, reduction: str = "mean",
            sample_weight: Array | None = None, where: Array | None = None) -> Array:
    """Mean absolute error: ``|input - target|``, reduced.

    The gradient at ``input == target`` is 0, as in torch (JAX's ``abs`` would give 1).

    Args:

    Defined by ``torch.nn.functional.l1_loss``.

    Example:
        >>> import array_api_strict as xp
        >>> import omniloss as ol
        >>> ol.l1_loss(xp.asarray([1.0, 2.0]), xp.asarray([0.0, 4.0]))
        Array(1.5, dtype=array_api_strict.float64)
    """
    xp, residual = _residual("l1_loss", input, target, reduction, sample_weight, where)
    return reduce(xp, absolute(xp, residual), reduction, sample_weight, where, name="l1_loss")


@reads_arrays
@weighting_args(inputs=_PAIR)
def mse_loss(input: Array, target: Array, *, reduction: str = "mean",
             sample_weight: Array | None = None, where: Array | None = None) -> Array:
    """Mean squared error: ``(input - target)**2``, reduced (L2 loss is ``reduction="sum"``).

    One fused kernel where the backend has one (``F.mse_loss`` on torch): see
    :func:`omniloss._primitives.squared_error`.

    Args:

    Defined by ``torch.nn.functional.mse_loss``.

    Example:
        >>> import array_api_strict as xp
        >>> import omniloss as ol
        >>> ol.mse_loss(xp.asarray([1.0, 2.0]), xp.asarray([0.0, 4.0]))
        Array(2.5, dtype=array_api_strict.float64)
    """
    xp, input, target = float_pair("mse_loss", input, target, reduction, sample_weight, where)
    return reduce_kernel(xp, lambda how: squared_error(xp, input, target, reduction=how),
                         reduction, sample_weight, where, name="mse_loss")


@reads_arrays
@weighting_args("one value per sample, shape ``(N,)``: the weights align with axis 0, also "
                'for ``"mean"``, the root of the weighted mean square')
def rmse_loss(input: Array, target: Array, *, reduction: str = "mean",
              sample_weight: Array | None = None, where: Array | None = None) -> Array:
    """Root mean squared error: ``sqrt(mean((input - target)**2))``.

    ``"mean"`` is the square root of the mean over every element, ``sqrt(mse_loss(input,
    target))``. ``"none"`` gives one RMSE per sample, the root of the mean over every axis but
    axis 0 (a 1-d input gives ``|input - target|``), and ``"sum"`` sums those per-sample values.

    The residuals are divided by a power of two near their largest magnitude before squaring and
    the root multiplied back (:func:`~omniloss._primitives.binary_scale`), so float32 residuals
    near 1e30 or 1e-30 give their RMSE, not ``inf`` or 0; elsewhere the numbers are unchanged.
    Where the mean square is exactly 0 the gradient is 0. ``sqrt(F.mse_loss(...))`` in torch
    (and any framework's ``sqrt``) gives NaN there, from ``inf * 0``; everywhere else the
    gradients are equal.

    Args:
        input: predictions, a floating array (at least 1-d for ``"none"`` and ``"sum"``).
        target: targets of the same shape (or a Python scalar).

    Raises:
        ValueError: for a 0-d ``input`` with ``"none"`` or ``"sum"`` (no sample axis).

    Defined by ``sqrt(torch.nn.functional.mse_loss)`` (scikit-learn's
    ``root_mean_squared_error`` metric is the same number for 1-d input, as a Python float).

    Example:
        >>> import array_api_strict as xp
        >>> import omniloss as ol
        >>> ol.rmse_loss(xp.asarray([1.0, 2.0]), xp.asarray([0.0, 4.0]))
        Array(1.58113883, dtype=array_api_strict.float64)
    """
    name = "rmse_loss"
    xp, input, target = float_pair(name, input, target, reduction, sample_weight, where)
    weighted = sample_weight is not None or where is not None
    if reduction == "mean" and not weighted:
        residual = input - target
        scale = binary_scale(xp, residual)
        residual = residual / scale
        return scale * sqrt_zero_safe(xp, squared_error(xp, residual, xp.zeros_like(scale),
                                                        reduction="mean"))
    if input.ndim == 0:
        raise ValueError(f"{name}: input must have a sample axis 0 for reduction={reduction!r}"
                         f"{' with sample_weight or where' if weighted else ''}; got shape ()")
    residual = input - target
    if reduction == "mean":  # the root of the weighted mean square, weights along axis 0
        samples = shape_of(input)[:1]
        check_broadcastable(name, "sample_weight", sample_weight, samples)
        check_broadcastable(name, "where", where, samples)
        features = (1,) * (input.ndim - 1)
        scale = binary_scale(xp, residual)
        residual = residual / scale
        return scale * sqrt_zero_safe(xp, reduce(
            xp, residual * residual, "mean", _along_samples(xp, sample_weight, features),
            _along_samples(xp, where, features), name=name))
    features = tuple(range(1, residual.ndim))  # one scale per sample
    scale = binary_scale(xp, residual, axis=features, keepdims=True)
    residual = residual / scale
    square = residual * residual
    if residual.ndim > 1:
        square, scale = xp.mean(square, axis=features), xp.reshape(scale, residual.shape[:1])
    return reduce(xp, scale * sqrt_zero_safe(xp, square), reduction, sample_weight, where,
                  name=name)


def _along_samples(xp: ModuleType, x: Array | None, features: tuple[int, ...]) -> Array | None:
    """A per-sample ``x`` (broadcasting to ``(N,)``) with unit axes for the feature axes."""
    if x is None or _is_python_scalar(x) or not features:
        return x
    return xp.reshape(x, (*shape_of(x), *features)) if x.ndim else x


@reads_arrays
@weighting_args(inputs=_PAIR)
def smooth_l1_loss(input: Array, target: Array, *, beta: float = 1.0,
                   reduction: str = "mean",
                   sample_weight: Array | None = None, where: Array | None = None) -> Array:
    """Smooth L1: ``0.5 * r**2 / beta`` where ``|r| < beta``, else ``|r| - 0.5 * beta``.

    ``r = input - target``. ``beta = 0`` is the L1 loss (as in torch, which then calls
    ``l1_loss``). The gradient is continuous: ``r / beta`` inside, ``sign(r)`` outside, both 1 at
    ``|r| = beta``, and 0 at ``r = 0``.

    Args:
        beta: the non-negative switch point between the squared and the linear part.

    Defined by ``torch.nn.functional.smooth_l1_loss``; ``huber_loss`` is ``beta`` times it.

    Example:
        >>> import array_api_strict as xp
        >>> import omniloss as ol
        >>> ol.smooth_l1_loss(xp.asarray([0.5, 3.0]), xp.asarray([0.0, 0.0]))
        Array(1.3125, dtype=array_api_strict.float64)
    """
    name = "smooth_l1_loss"
    beta = check_positive(name, "beta", beta, allow_zero=True)
    xp, input, target = float_pair(name, input, target, reduction, sample_weight, where)
    return reduce_kernel(xp, lambda how: smooth_l1(xp, input, target, beta=beta, reduction=how),
                         reduction, sample_weight, where, name=name)


@reads_arrays
@weighting_args(inputs=_PAIR)
def huber_loss(input: Array, target: Array, *, delta: float = 1.0,
               reduction: str = "mean",
               sample_weight: Array | None = None, where: Array | None = None) -> Array:
    """Huber loss: ``0.5 * r**2`` where ``|r| < delta``, else ``delta * (|r| - 0.5 * delta)``.

    ``r = input - target``. The gradient is ``r`` inside and ``delta * sign(r)`` outside, equal
    at ``|r| = delta``; it is 0 at ``r = 0``.

    Args:
        delta: the positive switch point between the squared and the linear part.

    Defined by ``torch.nn.functional.huber_loss``; ``keras.losses.huber``, ``optax.huber_loss``
    and ``tf.compat.v1.losses.huber_loss`` give the same elementwise values (keras then takes
    the mean over the last axis).

    Example:
        >>> import array_api_strict as xp
        >>> import omniloss as ol
        >>> ol.huber_loss(xp.asarray([0.5, 3.0]), xp.asarray([0.0, 0.0]), delta=2.0)
        Array(2.0625, dtype=array_api_strict.float64)
    """
    delta = check_positive("huber_loss", "delta", delta)
    xp, residual = _residual("huber_loss", input, target, reduction, sample_weight, where)
    magnitude = absolute(xp, residual)
    loss = xp.where(magnitude < delta, 0.5 * residual * residual,
                    delta * (magnitude - 0.5 * delta))
    return reduce(xp, loss, reduction, sample_weight, where, name="huber_loss")


@reads_arrays
@weighting_args(inputs=_PAIR)
def pseudo_huber_loss(input: Array, target: Array, *, delta: float = 1.0,
                      reduction: str = "mean",
                      sample_weight: Array | None = None, where: Array | None = None) -> Array:
    """Pseudo-Huber loss: ``delta**2 * (sqrt(1 + (r / delta)**2) - 1)``, ``r = input - target``.

    A smooth Huber: about ``0.5 * r**2`` for small ``r`` and ``delta * |r|`` for large ``r``.
    For ``|r| < delta`` it is computed as ``r**2 / (1 + sqrt(1 + (r/delta)**2))``, which has no
    cancellation, so tiny residuals keep full relative precision; beyond, ``sqrt(1 + s**2)`` as
    ``|s| * sqrt(1 + (1/s)**2)`` (``s = r / delta``), so a float32 residual near 1e30 gives
    ``delta * |r|``, not ``inf`` (``s**2`` overflows at ``|s| > 1.8e19``). Each branch sees only
    its own residuals, so no NaN reaches a gradient.

    Args:
        delta: the positive scale where the loss turns from quadratic to linear.

    Defined by the formula above (Charbonnier 1994; kornia's ``charbonnier_loss`` is ``delta =
    1``). No framework has it with a ``delta``.

    Example:
        >>> import array_api_strict as xp
        >>> import omniloss as ol
        >>> ol.pseudo_huber_loss(xp.asarray([0.0, 2.0]), xp.asarray([0.0, 0.0]), delta=1.5)
        Array(0.75, dtype=array_api_strict.float64)
    """
    delta = check_positive("pseudo_huber_loss", "delta", delta)
    xp, residual = _residual("pseudo_huber_loss", input, target, reduction, sample_weight, where)
    scaled = residual / delta
    small = xp.abs(scaled) < 1
    inside = xp.where(small, scaled, 0.0)
    square = inside * inside
    outside = xp.abs(xp.where(small, 1.0, scaled))
    inverse = 1 / outside
    loss = xp.where(small, square / (1 + xp.sqrt(1 + square)),
                    outside * xp.sqrt(1 + inverse * inverse) - 1)
    return reduce(xp, delta * delta * loss, reduction, sample_weight, where,
                  name="pseudo_huber_loss")


@reads_arrays
@weighting_args(inputs=_PAIR)
def log_cosh_loss(input: Array, target: Array, *, reduction: str = "mean",
                  sample_weight: Array | None = None, where: Array | None = None) -> Array:
    """Log-cosh loss: ``log(cosh(r))``, ``r = input - target``, computed without overflow.

    Evaluated as ``r + softplus(-2 r) - log(2)``, finite for residuals of any size; the
    gradient is ``tanh(r)``.

    Args:

    Defined by ``keras.losses.log_cosh`` taken elementwise: keras (and ``optax.log_cosh``
    elementwise) give the same values, keras then takes the mean over the last axis, so keras's
    result is ``log_cosh_loss(input, target, reduction="none")`` averaged over the last axis.

    Example:
        >>> import array_api_strict as xp
        >>> import omniloss as ol
        >>> ol.log_cosh_loss(xp.asarray([1.0, 1.0]), xp.asarray([0.0, 1.0]))
        Array(0.21689042, dtype=array_api_strict.float64)
    """
    xp, residual = _residual("log_cosh_loss", input, target, reduction, sample_weight, where)
    loss = residual + softplus(xp, -2.0 * residual) - math.log(2.0)
    return reduce(xp, loss, reduction, sample_weight, where, name="log_cosh_loss")


@reads_arrays
@weighting_args(inputs=_PAIR)
def msle_loss(input: Array, target: Array, *, reduction: str = "mean",
              sample_weight: Array | None = None, where: Array | None = None) -> Array:
    """Squared logarithmic error: ``(log(1 + max(input, eps)) - log(1 + max(target, eps)))**2``.

    ``eps = 1e-7`` (keras's default epsilon) floors both arguments, so negative values count as
    ``eps``; at ``input == eps`` the gradient flows to ``input``, as TensorFlow's ``maximum``
    does. The logarithms are ``log1p``, exact for tiny arguments where keras's ``log(x + 1)``
    rounds (a difference below ``1e-7`` absolute, in float32 only).

    Args:

    Defined by ``keras.losses.mean_squared_logarithmic_error`` taken elementwise: keras's
    result is ``msle_loss(input, target, reduction="none")`` averaged over the last axis.

    Example:
        >>> import array_api_strict as xp
        >>> import omniloss as ol
        >>> ol.msle_loss(xp.asarray([0.0, 3.0]), xp.asarray([1.0, 1.0]))
        Array(0.48045294, dtype=array_api_strict.float64)
    """
    xp, input, target = float_pair("msle_loss", input, target, reduction, sample_weight, where)
    difference = (xp.log1p(xp.where(input >= _KERAS_EPSILON, input, _KERAS_EPSILON))
                  - xp.log1p(xp.where(target >= _KERAS_EPSILON, target, _KERAS_EPSILON)))
    return reduce(xp, difference * difference, reduction, sample_weight, where, name="msle_loss")


@reads_arrays
@weighting_args(inputs=_PAIR)
def mape_loss(input: Array, target: Array, *, reduction: str = "mean",
              sample_weight: Array | None = None, where: Array | None = None) -> Array:
    """Absolute percentage error: ``100 * |target - input| / max(|target|, eps)``.

    ``eps = 1e-7`` (keras's default epsilon), so a zero target gives ``1e9 * |input|``. The
    gradients follow TensorFlow: ``|.|`` has gradient 0 at 0, and at ``|target| == eps`` the
    gradient of the floor flows to ``target``.

    The loss is a percentage.

    Args:

    Defined by ``keras.losses.mean_absolute_percentage_error`` taken elementwise: keras's
    result is ``mape_loss(input, target, reduction="none")`` averaged over the last axis.

    Example:
        >>> import array_api_strict as xp
        >>> import omniloss as ol
        >>> ol.mape_loss(xp.asarray([1.5, 3.0]), xp.asarray([1.0, 4.0]))
        Array(37.5, dtype=array_api_strict.float64)
    """
    xp, input, target = float_pair("mape_loss", input, target, reduction, sample_weight, where)
    magnitude = absolute(xp, target)
    ratio = (target - input) / xp.where(magnitude >= _KERAS_EPSILON, magnitude, _KERAS_EPSILON)
    loss = 100.0 * absolute(xp, ratio)
    return reduce(xp, loss, reduction, sample_weight, where, name="mape_loss")


@reads_arrays
@weighting_args(inputs=_PAIR)
def poisson_nll_loss(input: Array, target: Array, *, log_input: bool = True, full: bool = False,
                     eps: float = 1e-8, reduction: str = "mean",
                     sample_weight: Array | None = None, where: Array | None = None) -> Array:
    """Poisson negative log-likelihood of counts ``target`` under the rate given by ``input``.

    ``exp(input) - target * input`` if ``log_input`` (``input`` is the log-rate), else
    ``input - target * log(input + eps)`` (``input`` is the rate). ``full`` adds the Stirling
    approximation of ``log(target!)``, ``target * log(target) - target + 0.5 * log(2 pi
    target)``, only where ``target > 1`` (0 elsewhere), as torch does.

    With ``full``, the gradient with respect to ``target`` at ``target == 0`` is 0 here; torch's
    is NaN (from ``0 * log(0)`` in its masked-out term). Everywhere else the gradients equal
    torch's.

    Args:
        input: log-rates (``log_input=True``) or rates, a floating array.
        target: counts of the same shape (or a Python scalar); integer arrays are cast.
        log_input: whether ``input`` is the log of the rate.
        full: whether to add the Stirling term.
        eps: a non-negative number added to the rate inside the log when ``log_input`` is false.

    Defined by ``torch.nn.functional.poisson_nll_loss``. ``tf.nn.log_poisson_loss`` is the
    ``log_input=True`` case; ``keras.losses.poisson`` is ``log_input=False`` with ``eps=1e-7``
    and a mean over the last axis.

    Example:
        >>> import array_api_strict as xp
        >>> import omniloss as ol
        >>> ol.poisson_nll_loss(xp.asarray([0.0, 1.0]), xp.asarray([1.0, 2.0]))
        Array(0.85914091, dtype=array_api_strict.float64)
    """
    name = "poisson_nll_loss"
    log_input = check_flag(name, "log_input", log_input)
    full = check_flag(name, "full", full)
    eps = check_positive(name, "eps", eps, allow_zero=True)
    xp, input, target = float_pair(name, input, target, reduction, sample_weight, where)
    loss = (xp.exp(input) - target * input if log_input
            else input - target * xp.log(input + eps))
    if full:
        above_one = target > 1
        counts = xp.where(above_one, target, 2.0)
        stirling = counts * xp.log(counts) - counts + 0.5 * xp.log((2 * math.pi) * counts)
        loss = loss + xp.where(above_one, stirling, 0.0)
    return reduce(xp, loss, reduction, sample_weight, where, name="poisson_nll_loss")


@reads_arrays
@weighting_args(inputs=_PAIR)
def gaussian_nll_loss(input: Array, target: Array, var: Array | float, *, full: bool = False,
                      eps: float = 1e-6, reduction: str = "mean",
                      sample_weight: Array | None = None, where: Array | None = None) -> Array:
    """Gaussian negative log-likelihood: ``0.5 * (log(v) + (input - target)**2 / v)``.

    ``v = max(var, eps)``. As in torch, the floor changes only the value: the gradient with
    respect to ``var`` is the derivative at ``v`` passed straight through, even where ``var <
    eps`` (torch clamps a copy under ``no_grad``). ``full`` adds ``0.5 * log(2 pi)``.

    ``var`` follows torch's shape rules: the shape of ``input``; that shape without its last
    axis (one variance per row, homoscedastic); the shape of ``input`` with one axis of size 1
    (broadcast along it); or a non-negative Python number for every element. torch also raises
    ``ValueError`` if an array ``var`` holds a negative entry; that check reads array values,
    which a traceable function cannot, so here a negative entry is floored at ``eps`` like any
    other small variance.

    Args:
        input: predicted means, a floating array.
        target: samples of the same shape (or a Python scalar).
        var: predicted variances, a floating array of a shape above, or a Python number.
        full: whether to add the constant ``0.5 * log(2 pi)``.
        eps: the non-negative floor under ``var``.

    Defined by ``torch.nn.functional.gaussian_nll_loss``.

    Example:
        >>> import array_api_strict as xp
        >>> import omniloss as ol
        >>> ol.gaussian_nll_loss(xp.asarray([0.0, 2.0]), xp.asarray([1.0, 1.0]), 2.0)
        Array(0.59657359, dtype=array_api_strict.float64)
    """
    name = "gaussian_nll_loss"
    full = check_flag(name, "full", full)
    eps = check_positive(name, "eps", eps, allow_zero=True)
    xp, input, target, var = gaussian_inputs(name, input, target, var, reduction, sample_weight,
                                             where)
    residual = input - target
    floored = xp.where(var < eps, var + stop_gradient(xp, eps - var), var)
    loss = 0.5 * (xp.log(floored) + residual * residual / floored)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return reduce(xp, loss, reduction, sample_weight, where, name="gaussian_nll_loss")


@reads_arrays
@weighting_args(inputs=_PAIR)
def quantile_loss(input: Array, target: Array, *, quantile: float = 0.5,
                  reduction: str = "mean",
                  sample_weight: Array | None = None, where: Array | None = None) -> Array:
    """Quantile (pinball) loss: ``max(q * r, (q - 1) * r)``, ``r = target - input``.

    Minimizing it makes ``input`` the ``q``-quantile of ``target``; ``q = 0.5`` is half the L1
    loss. The gradient with respect to ``target`` is ``q`` where ``r > 0`` and ``q - 1`` where
    ``r < 0``; at ``r = 0`` it is ``q - 0.5``, the middle of the subdifferential ``[q - 1, q]``,
    which is what ``torch.maximum`` and ``jnp.maximum`` give for the formula above (so at ``q =
    0.5`` it is 0, like ``l1_loss``).

    Args:
        quantile: the quantile ``q``, strictly between 0 and 1.

    Defined by the formula above (Koenker and Bassett 1978); scikit-learn's
    ``mean_pinball_loss`` metric gives the same mean. No framework has it as a loss.

    Example:
        >>> import array_api_strict as xp
        >>> import omniloss as ol
        >>> ol.quantile_loss(xp.asarray([1.0, 1.0]), xp.asarray([3.0, 0.0]), quantile=0.9)
        Array(0.95, dtype=array_api_strict.float64)
    """
    quantile = check_number("quantile_loss", "quantile", quantile, minimum=0.0, maximum=1.0,
                            above_minimum=True, below_maximum=True)
    xp, residual = _residual("quantile_loss", input, target, reduction, sample_weight, where)
    shortfall = -residual
    loss = xp.where(shortfall > 0, quantile * shortfall,
                    xp.where(shortfall < 0, (quantile - 1) * shortfall,
                             (quantile - 0.5) * shortfall))
    return reduce(xp, loss, reduction, sample_weight, where, name="quantile_loss")


def _log1p_square(xp: ModuleType, z: Array, distance: float) -> Array:
    """``log1p(z**2 / distance)`` that never overflows: ``2 log(|z| / sqrt(distance)) +
    log1p(distance / z**2)`` for ``|z| > sqrt(distance)``, each branch fed only its own ``z``."""
    root = math.sqrt(distance)
    large = xp.abs(z) > root
    inside = xp.where(large, 0.0, z)
    outside = xp.abs(xp.where(large, z, root + 1))
    return xp.where(large, 2 * xp.log(outside / root) + xp.log1p(distance / outside / outside),
                    xp.log1p(inside * inside / distance))


@reads_arrays
@weighting_args(inputs=_PAIR)
def robust_loss(input: Array, target: Array, *, alpha: float = 1.0, scale: float = 1.0,
                reduction: str = "mean",
                sample_weight: Array | None = None, where: Array | None = None) -> Array:
    """Barron's general robust loss ``rho(x, alpha, c)`` of ``x = input - target``.

    ``|alpha - 2| / alpha * (((x/c)**2 / |alpha - 2| + 1)**(alpha / 2) - 1)`` (eq. 1), with its
    limits: ``alpha = 2`` gives L2, ``0.5 (x/c)**2``; ``alpha = 0`` gives Cauchy,
    ``log(0.5 (x/c)**2 + 1)``; ``alpha = -inf`` gives Welsch, ``1 - exp(-0.5 (x/c)**2)``; and
    ``alpha = +inf`` gives ``exp(0.5 (x/c)**2) - 1``. ``alpha = 1`` is pseudo-Huber
    (``sqrt((x/c)**2 + 1) - 1``) and ``alpha = -2`` Geman-McClure. It is computed as
    ``expm1(alpha/2 * log1p(...))``, so it stays accurate and continuous as ``alpha``
    approaches 0 or 2, and ``log1p(z**2 / d)`` as ``2 log(|z| / sqrt(d)) + log1p(d / z**2)`` for
    ``|z| > sqrt(d)``, so a float32 residual near 1e30 gives its finite loss for ``alpha < 2``,
    not ``inf`` (``z**2`` overflows at ``|z| > 1.8e19``).

    Args:
        alpha: the shape, a real number (``inf`` and ``-inf`` allowed); smaller is more robust.
        scale: the positive scale ``c`` of the quadratic bowl around 0.

    Defined by Barron, "A General and Adaptive Robust Loss Function" (CVPR 2019), eq. 1 and its
    limits. kornia has only fixed-``alpha`` members (``cauchy_loss``, ``geman_mcclure_loss``,
    ``welsch_loss``, ``charbonnier_loss``), without ``scale`` (and ``geman_mcclure_loss`` is
    4 times Barron's ``alpha = -2``).

    Example:
        >>> import array_api_strict as xp
        >>> import omniloss as ol
        >>> ol.robust_loss(xp.asarray([0.0, 2.0]), xp.asarray([0.0, 0.0]), alpha=0.0)
        Array(0.54930614, dtype=array_api_strict.float64)
    """
    alpha = check_real("robust_loss", "alpha", alpha)
    scale = check_positive("robust_loss", "scale", scale)
    xp, residual = _residual("robust_loss", input, target, reduction, sample_weight, where)
    scaled = residual / scale
    if alpha == 2:
        loss = 0.5 * scaled * scaled
    elif alpha == 0:
        loss = _log1p_square(xp, scaled, 2.0)
    elif alpha == -math.inf:
        loss = -xp.expm1(-0.5 * scaled * scaled)
    elif alpha == math.inf:
        loss = xp.expm1(0.5 * scaled * scaled)
    else:
        distance = abs(alpha - 2)
        loss = (distance / alpha) * xp.expm1((alpha / 2) * _log1p_square(xp, scaled, distance))
    return reduce(xp, loss, reduction, sample_weight, where, name="robust_loss")
