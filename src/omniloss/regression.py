"""Regression losses: elementwise penalties on the residual ``input - target``.

Each loss takes ``input`` and ``target`` of one shape (a Python scalar target broadcasts) and
returns the elementwise loss reduced by ``reduction``: ``"mean"`` (default) over every element,
``"sum"``, or ``"none"`` for the unreduced array.
"""

from __future__ import annotations

import math
from typing import Any

from omniloss._common import (
    as_float,
    check_reduction,
    check_same_shape,
    float_dtype,
    reduce,
)
from omniloss._dispatch import get_namespace

Array = Any

__all__ = ["l1_loss", "mse_loss"]


def _residual(name: str, input: Array, target: Array, reduction: str) -> tuple[Any, Array]:
    """Resolve the namespace, validate, and return ``(xp, input - target)`` in the float dtype."""
    xp = get_namespace(input, target, name=name)
    dtype = float_dtype(name, xp, input=input)
    check_same_shape(name, input=input, target=target)
    check_reduction(name, reduction)
    return xp, as_float(xp, input, dtype) - as_float(xp, target, dtype)


def l1_loss(input: Array, target: Array, *, reduction: str = "mean") -> Array:
    """Mean absolute error: ``|input - target|``, reduced.

    The gradient at ``input == target`` is 0, as in torch (JAX's ``abs`` would give 1).

    Args:
        input: predictions, a floating array.
        target: targets of the same shape (or a Python scalar).
        reduction: ``"mean"``, ``"sum"`` or ``"none"``.

    Returns:
        The reduced loss, a 0-d array, or the elementwise loss for ``"none"``.

    Defined by ``torch.nn.functional.l1_loss``.

    Example:
        >>> import array_api_strict as xp
        >>> import omniloss as ol
        >>> ol.l1_loss(xp.asarray([1.0, 2.0]), xp.asarray([0.0, 4.0]))
        Array(1.5, dtype=array_api_strict.float64)
    """
    xp, residual = _residual("l1_loss", input, target, reduction)
    return reduce(xp, residual * xp.sign(residual), reduction)


def mse_loss(input: Array, target: Array, *, reduction: str = "mean") -> Array:
    """Mean squared error: ``(input - target)**2``, reduced (L2 loss is ``reduction="sum"``).

    The sum of squares is one ``vecdot`` over the flattened residual.

    Args:
        input: predictions, a floating array.
        target: targets of the same shape (or a Python scalar).
        reduction: ``"mean"``, ``"sum"`` or ``"none"``.

    Returns:
        The reduced loss, a 0-d array, or the elementwise loss for ``"none"``.

    Defined by ``torch.nn.functional.mse_loss``.

    Example:
        >>> import array_api_strict as xp
        >>> import omniloss as ol
        >>> ol.mse_loss(xp.asarray([1.0, 2.0]), xp.asarray([0.0, 4.0]))
        Array(2.5, dtype=array_api_strict.float64)
    """
    xp, residual = _residual("mse_loss", input, target, reduction)
    if reduction == "none":
        return residual * residual
    flat = xp.reshape(residual, (-1,))
    total = xp.vecdot(flat, flat)
    if reduction == "sum":
        return total
    return total / math.prod(residual.shape)
