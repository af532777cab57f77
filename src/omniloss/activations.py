"""Activations: the elementwise (and softmax-axis) nonlinearities of ``torch.nn.functional``.

Each function takes one floating array ``x`` (``prelu`` also its ``weight``) of any library and
returns an array of the same library, shape and dtype (float16 and bfloat16 included), with no
reduction. Values and gradients are those of the ``torch.nn.functional`` namesake, including the
choice at kinks (``relu`` has gradient 0 at 0, ``relu6`` 0 at 0 and at 6, ``leaky_relu`` and
``prelu`` the negative slope at 0, ``elu`` ``alpha`` at 0) and at extreme inputs: ``sigmoid``,
``log_sigmoid``, ``softplus``, ``mish``, ``softmax`` and ``log_softmax`` stay finite, with finite
gradients, at ``|x| = 1e4``. They are the public face of the numerically careful primitives the
losses share (fused native kernels on torch, JAX and TensorFlow, one portable form elsewhere), so
an activation and a loss built on it always agree. An integer ``x`` raises ``TypeError``.
"""

from __future__ import annotations

import math
from types import ModuleType
from typing import Any

from omniloss import _primitives
from omniloss._boundary import reads_arrays
from omniloss._dispatch import _is_python_scalar, get_namespace
from omniloss._validation import as_float, check_real, float_dtype, normalize_axis, shape_of

Array = Any

__all__ = [
    "identity",
    "sigmoid",
    "log_sigmoid",
    "tanh",
    "relu",
    "relu6",
    "leaky_relu",
    "prelu",
    "elu",
    "swish",
    "silu",
    "mish",
    "softplus",
    "softmax",
    "log_softmax",
    "sparsemax",
]


def _floating(name: str, x: Array) -> tuple[ModuleType, Array]:
    """Resolve the namespace of ``x`` and return ``(xp, x)``; TypeError unless ``x`` is floating.

    A Python number becomes a 0-d NumPy array of the default float dtype.
    """
    xp = get_namespace(x, name=name)
    return xp, as_float(xp, x, float_dtype(name, xp, x=x))


@reads_arrays
def identity(x: Array) -> Array:
    """The identity: ``x`` itself (gradient 1).

    Args:
        x: a floating array.

    Returns:
        ``x`` (the same array object).

    Defined by ``torch.nn.Identity``.

    Example:
        >>> import array_api_strict as xp
        >>> import omniloss as ol
        >>> ol.identity(xp.asarray([-1.0, 2.0]))
        Array([-1.,  2.], dtype=array_api_strict.float64)
    """
    return _floating("identity", x)[1]


@reads_arrays
def sigmoid(x: Array) -> Array:
    """The logistic function ``1 / (1 + exp(-x))``, without overflow for any ``x``.

    Args:
        x: a floating array.

    Returns:
        ``sigmoid(x)``, the shape and dtype of ``x``.

    Defined by ``torch.nn.functional.sigmoid`` (``torch.sigmoid``).

    Example:
        >>> import array_api_strict as xp
        >>> import omniloss as ol
        >>> ol.sigmoid(xp.asarray([0.0, 2.0]))
        Array([0.5       , 0.88079708], dtype=array_api_strict.float64)
    """
    xp, x = _floating("sigmoid", x)
    return _primitives.sigmoid(xp, x)


@reads_arrays
def log_sigmoid(x: Array) -> Array:
    """``log(sigmoid(x)) = -softplus(-x)``, finite for every ``x`` (never ``log(sigmoid(x))``).

    Args:
        x: a floating array.

    Returns:
        ``log(sigmoid(x))``, the shape and dtype of ``x``.

    Defined by ``torch.nn.functional.logsigmoid``.

    Example:
        >>> import array_api_strict as xp
        >>> import omniloss as ol
        >>> ol.log_sigmoid(xp.asarray([0.0, -1e4]))
        Array([-6.93147181e-01, -1.00000000e+04], dtype=array_api_strict.float64)
    """
    xp, x = _floating("log_sigmoid", x)
    return _primitives.log_sigmoid(xp, x)


@reads_arrays
def tanh(x: Array) -> Array:
    """The hyperbolic tangent.

    Args:
        x: a floating array.

    Returns:
        ``tanh(x)``, the shape and dtype of ``x``.

    Defined by ``torch.nn.functional.tanh`` (``torch.tanh``).

    Example:
        >>> import array_api_strict as xp
        >>> import omniloss as ol
        >>> ol.tanh(xp.asarray([0.0, 1.0]))
        Array([0.        , 0.76159416], dtype=array_api_strict.float64)
    """
    xp, x = _floating("tanh", x)
    return xp.tanh(x)


@reads_arrays
def relu(x: Array) -> Array:
    """Rectified linear unit: ``max(x, 0)``, with gradient 0 at ``x = 0``; NaN stays NaN.

    Args:
        x: a floating array.

    Returns:
        ``relu(x)``, the shape and dtype of ``x``.

    Defined by ``torch.nn.functional.relu`` (``jnp.maximum(x, 0)`` would give gradient 0.5 at 0,
    ``tf.nn.relu`` agrees with torch).

    Example:
        >>> import array_api_strict as xp
        >>> import omniloss as ol
        >>> ol.relu(xp.asarray([-1.0, 0.0, 2.0]))
        Array([0., 0., 2.], dtype=array_api_strict.float64)
    """
    xp, x = _floating("relu", x)
    return _primitives.relu(xp, x)


@reads_arrays
def relu6(x: Array) -> Array:
    """``min(max(x, 0), 6)``, with gradient 0 at both kinks (``x = 0`` and ``x = 6``).

    Args:
        x: a floating array.

    Returns:
        ``relu6(x)``, the shape and dtype of ``x``.

    Defined by ``torch.nn.functional.relu6`` (``hardtanh(x, 0, 6)``).

    Example:
        >>> import array_api_strict as xp
        >>> import omniloss as ol
        >>> ol.relu6(xp.asarray([-1.0, 3.0, 8.0]))
        Array([0., 3., 6.], dtype=array_api_strict.float64)
    """
    xp, x = _floating("relu6", x)
    return xp.where(x <= 0, 0.0, xp.where(x >= 6, 6.0, x))


@reads_arrays
def leaky_relu(x: Array, *, negative_slope: float = 0.01) -> Array:
    """``x`` where ``x > 0``, else ``negative_slope * x``; the gradient at 0 is the slope.

    Args:
        x: a floating array.
        negative_slope: the slope for ``x <= 0``, a real number.

    Returns:
        ``leaky_relu(x)``, the shape and dtype of ``x``.

    Defined by ``torch.nn.functional.leaky_relu``.

    Example:
        >>> import array_api_strict as xp
        >>> import omniloss as ol
        >>> ol.leaky_relu(xp.asarray([-2.0, 3.0]), negative_slope=0.1)
        Array([-0.2,  3. ], dtype=array_api_strict.float64)
    """
    slope = check_real("leaky_relu", "negative_slope", negative_slope)
    xp, x = _floating("leaky_relu", x)
    return xp.where(x > 0, x, slope * x)


@reads_arrays
def prelu(x: Array, weight: Array | float) -> Array:
    """Parametric ReLU: ``x`` where ``x > 0``, else ``weight * x``, with a learnable slope.

    ``weight`` has one element (shared by every channel) or one per channel, ``x.shape[1]``
    elements applied along axis 1 (a 1-d ``x`` has a single channel). The gradient with respect
    to ``x`` at 0 is the slope; with respect to ``weight`` it is ``x`` where ``x <= 0``, summed
    over every position of its channel.

    Args:
        x: a floating array.
        weight: the slopes: a floating array of 1 or ``x.shape[1]`` elements, at most 1-d, or a
            Python number.

    Returns:
        ``prelu(x, weight)``, the shape of ``x`` and the dtype of ``x`` and ``weight`` promoted.

    Raises:
        ValueError: if ``weight`` has more than one dimension, or neither 1 nor ``x.shape[1]``
            elements (or more than one for a 0-d ``x``).

    Defined by ``torch.nn.functional.prelu``.

    Example:
        >>> import array_api_strict as xp
        >>> import omniloss as ol
        >>> ol.prelu(xp.asarray([[-1.0, -1.0], [2.0, -4.0]]), xp.asarray([0.1, 0.5]))
        Array([[-0.1, -0.5],
               [ 2. , -2. ]], dtype=array_api_strict.float64)
    """
    name = "prelu"
    xp = get_namespace(x, weight, name=name)
    dtype = float_dtype(name, xp, x=x, weight=weight)
    if not _is_python_scalar(weight):
        weight = _channel_weight(xp, x, weight)
    x = as_float(xp, x, dtype)
    return xp.where(x > 0, x, as_float(xp, weight, dtype) * x)


def _channel_weight(xp: ModuleType, x: Array, weight: Array) -> Array:
    """``weight`` checked by torch's rules and shaped to broadcast along axis 1 of ``x``."""
    if weight.ndim > 1:
        raise ValueError(f"prelu: weight must be 0-d or 1-d; got shape {shape_of(weight)}")
    if None in shape_of(weight):  # tf.function with an unknown size: the count is unknown
        raise ValueError(f"prelu: weight must have a static shape; got {shape_of(weight)}")
    count = math.prod(weight.shape)
    if count == 1:
        return xp.reshape(weight, ())
    channels = x.shape[1] if x.ndim >= 2 else 1
    if x.ndim == 0 or (channels is not None and count != channels):
        raise ValueError(f"prelu: weight must have 1 element or one per channel of x (axis 1, "
                         f"{channels} for x of shape {shape_of(x)}); got {count}")
    return xp.reshape(weight, (count,) + (1,) * (x.ndim - 2))


@reads_arrays
def elu(x: Array, *, alpha: float = 1.0) -> Array:
    """Exponential linear unit: ``x`` where ``x > 0``, else ``alpha * (exp(x) - 1)``.

    The gradient at 0 is ``alpha`` (torch evaluates the negative branch there). The negative
    branch is ``expm1`` of ``min(x, 0)``, so large positive inputs never overflow a gradient.

    Args:
        x: a floating array.
        alpha: the saturation value for ``x -> -inf``, a real number.

    Returns:
        ``elu(x)``, the shape and dtype of ``x``.

    Defined by ``torch.nn.functional.elu``.

    Example:
        >>> import array_api_strict as xp
        >>> import omniloss as ol
        >>> ol.elu(xp.asarray([-1.0, 2.0]))
        Array([-0.63212056,  2.        ], dtype=array_api_strict.float64)
    """
    alpha = check_real("elu", "alpha", alpha)
    xp, x = _floating("elu", x)
    positive = x > 0
    return xp.where(positive, x, alpha * xp.expm1(xp.where(positive, 0.0, x)))


def _swish(xp: ModuleType, x: Array, beta: float) -> Array:
    return x * _primitives.sigmoid(xp, beta * x)


@reads_arrays
def swish(x: Array, *, beta: float = 1.0) -> Array:
    """Swish: ``x * sigmoid(beta * x)``.

    Args:
        x: a floating array.
        beta: the sharpness, a real number; ``beta = 1`` is ``silu``.

    Returns:
        ``swish(x)``, the shape and dtype of ``x``.

    Defined by Ramachandran, Zoph and Le, "Searching for Activation Functions" (2017); at
    ``beta = 1`` it is ``torch.nn.functional.silu`` and ``jax.nn.swish`` (which has no
    ``beta``); ``tf.nn.silu`` takes the same ``beta``.

    Example:
        >>> import array_api_strict as xp
        >>> import omniloss as ol
        >>> ol.swish(xp.asarray([-1.0, 2.0]), beta=2.0)
        Array([-0.11920292,  1.96402758], dtype=array_api_strict.float64)
    """
    beta = check_real("swish", "beta", beta)
    xp, x = _floating("swish", x)
    return _swish(xp, x, beta)


@reads_arrays
def silu(x: Array) -> Array:
    """Sigmoid linear unit: ``x * sigmoid(x)`` (``swish`` with ``beta = 1``).

    Args:
        x: a floating array.

    Returns:
        ``silu(x)``, the shape and dtype of ``x``.

    Defined by ``torch.nn.functional.silu``.

    Example:
        >>> import array_api_strict as xp
        >>> import omniloss as ol
        >>> ol.silu(xp.asarray([-1.0, 2.0]))
        Array([-0.26894142,  1.76159416], dtype=array_api_strict.float64)
    """
    xp, x = _floating("silu", x)
    return _swish(xp, x, 1.0)


@reads_arrays
def mish(x: Array) -> Array:
    """Mish: ``x * tanh(softplus(x))``, finite with finite gradients for every ``x``.

    Args:
        x: a floating array.

    Returns:
        ``mish(x)``, the shape and dtype of ``x``.

    Defined by ``torch.nn.functional.mish`` (Misra 2019).

    Example:
        >>> import array_api_strict as xp
        >>> import omniloss as ol
        >>> ol.mish(xp.asarray([-1.0, 2.0]))
        Array([-0.30340146,  1.94395896], dtype=array_api_strict.float64)
    """
    xp, x = _floating("mish", x)
    return x * xp.tanh(_primitives.softplus(xp, x))


@reads_arrays
def softplus(x: Array, *, beta: float = 1.0, threshold: float = 20.0) -> Array:
    """``log(1 + exp(beta * x)) / beta``, and ``x`` itself where ``beta * x > threshold``.

    Above the threshold the value and gradient (1) are exactly the linear ones, as in torch;
    at or below it the smooth form is computed without overflow.

    Args:
        x: a floating array.
        beta: the sharpness, a non-zero real number.
        threshold: where the function turns linear (compared with ``beta * x``), a real number.

    Returns:
        ``softplus(x)``, the shape and dtype of ``x``.

    Defined by ``torch.nn.functional.softplus`` (``jax.nn.softplus`` and ``tf.math.softplus``
    have neither ``beta`` nor the threshold; they equal ``beta=1, threshold=inf``).

    Example:
        >>> import array_api_strict as xp
        >>> import omniloss as ol
        >>> ol.softplus(xp.asarray([0.0, 2.0]), beta=2.0)
        Array([0.34657359, 2.00907496], dtype=array_api_strict.float64)
    """
    beta = check_real("softplus", "beta", beta)
    if beta == 0:
        raise ValueError("softplus: beta must be a non-zero real number; got 0")
    threshold = check_real("softplus", "threshold", threshold)
    xp, x = _floating("softplus", x)
    scaled = beta * x
    return xp.where(scaled > threshold, x, _primitives.softplus(xp, scaled) / beta)


def _along_axis(name: str, x: Array, axis: int, primitive: Any) -> Array:
    """Apply ``primitive(xp, x, axis=...)`` to ``x``; a 0-d ``x`` is one class on axis 0 or -1.

    An empty ``x`` is returned as it is (NumPy cannot take the maximum over an empty axis).
    """
    xp, x = _floating(name, x)
    if x.ndim == 0:
        normalize_axis(name, axis, 1)
        return xp.reshape(primitive(xp, xp.reshape(x, (1,)), axis=0), ())
    axis = normalize_axis(name, axis, x.ndim)
    if 0 in x.shape:
        return x
    return primitive(xp, x, axis=axis)


@reads_arrays
def softmax(x: Array, *, axis: int = -1) -> Array:
    """``exp(x) / sum(exp(x))`` along ``axis``, shifted by the maximum so nothing overflows.

    Args:
        x: a floating array.
        axis: the axis that sums to 1 (for a 0-d ``x``, 0 or -1, and the result is 1).

    Returns:
        The probabilities, the shape and dtype of ``x``.

    Defined by ``torch.nn.functional.softmax`` (its ``dim``; ``jax.nn.softmax`` and
    ``tf.nn.softmax`` agree).

    Example:
        >>> import array_api_strict as xp
        >>> import omniloss as ol
        >>> ol.softmax(xp.asarray([0.0, 1e4]))
        Array([0., 1.], dtype=array_api_strict.float64)
    """
    return _along_axis("softmax", x, axis, _primitives.softmax)


@reads_arrays
def log_softmax(x: Array, *, axis: int = -1) -> Array:
    """``x - logsumexp(x)`` along ``axis``: log-probabilities, never ``log(softmax(x))``.

    Args:
        x: a floating array.
        axis: the axis to normalize over (for a 0-d ``x``, 0 or -1, and the result is 0).

    Returns:
        The log-probabilities, the shape and dtype of ``x``.

    Defined by ``torch.nn.functional.log_softmax``.

    Example:
        >>> import array_api_strict as xp
        >>> import omniloss as ol
        >>> ol.log_softmax(xp.asarray([0.0, 1e4]))
        Array([-10000.,      0.], dtype=array_api_strict.float64)
    """
    return _along_axis("log_softmax", x, axis, _primitives.log_softmax)


@reads_arrays
def sparsemax(x: Array, *, axis: int = -1) -> Array:
    """The Euclidean projection of ``x`` onto the probability simplex along ``axis``.

    ``max(x - tau, 0)``, with the threshold ``tau`` that makes each slice sum to 1 (Martins &
    Astudillo 2016): a softmax whose small entries are exactly 0. Found by a sort and a
    cumulative sum (no data-dependent shape, so it traces); the gradient is optax's,
    ``diag(s) - s s^T / |s|`` on the support ``s``.

    Args:
        x: a floating array.
        axis: the axis that sums to 1 (for a 0-d ``x``, 0 or -1, and the result is 1).

    Returns:
        The probabilities, the shape and dtype of ``x``.

    Defined by ``optax.projections.projection_simplex`` (of one vector; ``jax.vmap`` it over
    the other axes). ``jax.nn`` has no sparsemax.

    Example:
        >>> import array_api_strict as xp
        >>> import omniloss as ol
        >>> ol.sparsemax(xp.asarray([2.0, 1.5, -1.0]))
        Array([0.75, 0.25, 0.  ], dtype=array_api_strict.float64)
    """
    return _along_axis("sparsemax", x, axis, _primitives.sparsemax)
