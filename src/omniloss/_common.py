"""Validation and reduction shared by every loss.

Every check runs on shapes, dtypes and Python options only, never on array values, so the losses
stay traceable. Each error names the public function, the argument and what was expected.
"""

from __future__ import annotations

import numbers
from collections.abc import Collection, Sequence
from types import ModuleType
from typing import Any

from omniloss._dispatch import _PYTHON_SCALAR_TYPES, _is_python_scalar, get_namespace
from omniloss._primitives import reduce as reduce
from omniloss._primitives import reduce_all

Array = Any

REDUCTIONS = ("mean", "sum", "none")


def check_option(name: str, argument: str, value: Any, choices: Collection[Any]) -> None:
    """Raise ``ValueError`` unless ``value`` is one of ``choices``."""
    if not isinstance(value, str | int | float | type(None)) or value not in choices:
        expected = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{name}: {argument} must be one of {expected}; got {value!r}")


def check_reduction(name: str, reduction: Any, choices: Sequence[str] = REDUCTIONS) -> None:
    """Raise ``ValueError`` unless ``reduction`` is one of ``choices``."""
    if type(reduction) is not str or reduction not in choices:
        check_option(name, "reduction", reduction, choices)


def check_positive(name: str, argument: str, value: Any, *, allow_zero: bool = False) -> None:
    """Raise ``ValueError`` unless the Python number ``value`` is positive (or zero if allowed)."""
    if not isinstance(value, int | float) or value < 0 or (value == 0 and not allow_zero):
        expected = "a non-negative number" if allow_zero else "a positive number"
        raise ValueError(f"{name}: {argument} must be {expected}; got {value!r}")


def check_real(name: str, argument: str, value: Any) -> float:
    """``value`` as a Python float; ``ValueError`` unless it is a real number (not NaN, not bool).

    Infinities pass. NumPy scalars are accepted and converted, so the result mixes with arrays
    of every library (array-api-strict refuses NumPy scalars).
    """
    if not isinstance(value, numbers.Real) or isinstance(value, bool) or value != value:
        raise ValueError(f"{name}: {argument} must be a real number; got {value!r}")
    return float(value)


_FLOAT_PROMOTION: dict[tuple[str, tuple[Any, ...]], Any] = {}
"""``result_type(*dtypes)`` of all-floating ``dtypes``, by namespace name: the dtype queries
(``isdtype``, ``result_type``) cost microseconds, tens on JAX, and every loss makes them, so
they are cached (also ``is_dtype``)."""


_DTYPE_KINDS: dict[tuple[str, Any, Any], bool] = {}


def is_dtype(xp: ModuleType, dtype: Any, kind: str | tuple[str, ...]) -> bool:
    """``xp.isdtype(dtype, kind)``, cached per namespace, dtype and kind."""
    key = (xp.__name__, dtype, kind)
    result = _DTYPE_KINDS.get(key)
    if result is None:
        result = _DTYPE_KINDS[key] = xp.isdtype(dtype, kind)
    return result


def float_dtype(name: str, xp: ModuleType, **arrays: Any) -> Any:
    """The floating dtype the named arrays promote to; every array among them must be floating.

    Python scalars and ``None`` are skipped. With no array at all, the namespace's default float.
    """
    dtypes = tuple([x.dtype for x in arrays.values()
                    if x is not None and type(x) not in _PYTHON_SCALAR_TYPES])
    if not dtypes:
        return xp.asarray(0.0).dtype
    key = (xp.__name__, dtypes)
    promoted = _FLOAT_PROMOTION.get(key)
    if promoted is None:
        for argument, x in arrays.items():
            if x is None or _is_python_scalar(x):
                continue
            if not xp.isdtype(x.dtype, "real floating"):
                raise TypeError(
                    f"{name}: {argument} must be a floating-point array; got dtype {x.dtype}"
                )
        promoted = _FLOAT_PROMOTION[key] = xp.result_type(*dtypes)
    return promoted


def as_float(xp: ModuleType, x: Any, dtype: Any) -> Any:
    """``x`` (floating, integer or bool array, or Python scalar) as an array of floating ``dtype``.

    A Python scalar becomes a 0-d array, which every backend broadcasts against arrays on any
    device.
    """
    if x is None:
        return None
    if _is_python_scalar(x):
        return xp.asarray(x, dtype=dtype)
    return x if x.dtype == dtype else xp.astype(x, dtype)


def float_pair(name: str, input: Any, target: Any,
               reduction: str) -> tuple[ModuleType, Array, Array]:
    """Resolve the namespace of an elementwise ``(input, target)`` loss and validate it.

    ``input`` must be floating, ``target`` (any real dtype or a Python scalar) must have its
    shape, and ``reduction`` must be known. Returns ``(xp, input, target)`` in one float dtype.
    """
    xp = get_namespace(input, target, name=name)
    dtype = float_dtype(name, xp, input=input)
    check_same_shape(name, input=input, target=target)
    check_reduction(name, reduction)
    return xp, as_float(xp, input, dtype), as_float(xp, target, dtype)


def check_index_dtype(name: str, xp: ModuleType, argument: str, x: Array) -> None:
    """Raise ``TypeError`` unless ``x`` holds integers (class indices)."""
    if _is_python_scalar(x) or not is_dtype(xp, x.dtype, "integral"):
        dtype = type(x).__name__ if _is_python_scalar(x) else x.dtype
        raise TypeError(f"{name}: {argument} must be an integer array of class indices; "
                        f"got {dtype}")


def shape_of(x: Any) -> tuple[int | None, ...]:
    """The static shape of ``x`` as a tuple (``()`` for a Python scalar; ``None`` for unknown)."""
    if _is_python_scalar(x):
        return ()
    return tuple(x.shape)


def check_same_shape(name: str, **arrays: Any) -> None:
    """Raise ``ValueError`` unless the named arrays have one shape (Python scalars always fit)."""
    first_argument, first = "", None
    for argument, x in arrays.items():
        if x is None or _is_python_scalar(x):
            continue
        if first is None:
            first_argument, first = argument, x
            continue
        if x.shape == first.shape:
            continue
        expected, shape = shape_of(first), shape_of(x)
        compatible = len(shape) == len(expected) and all(
            a is None or b is None or a == b for a, b in zip(shape, expected, strict=True))
        if not compatible:
            raise ValueError(
                f"{name}: {argument} must have the shape of {first_argument} {expected}; "
                f"got {shape}"
            )


def check_broadcastable(name: str, argument: str, x: Any, shape: tuple[int | None, ...]) -> None:
    """Raise ``ValueError`` unless ``x`` (an array, Python scalar or ``None``) broadcasts to
    ``shape`` without changing it (each trailing dimension of ``x`` is 1 or equal)."""
    if x is None or _is_python_scalar(x):
        return
    own = shape_of(x)
    fits = len(own) <= len(shape) and all(
        a is None or b is None or a in (1, b)
        for a, b in zip(reversed(own), reversed(shape), strict=False))
    if not fits:
        raise ValueError(f"{name}: {argument} must broadcast to shape {shape}; got {own}")


def check_ndim(name: str, argument: str, x: Array, allowed: Collection[int]) -> None:
    """Raise ``ValueError`` unless ``x.ndim`` is one of ``allowed``."""
    if x.ndim not in allowed:
        expected = " or ".join(str(n) for n in sorted(allowed))
        raise ValueError(f"{name}: {argument} must have {expected} dimensions; "
                         f"got shape {shape_of(x)}")


def normalize_axis(name: str, axis: Any, ndim: int, argument: str = "axis") -> int:
    """``axis`` as a non-negative int, or ``ValueError`` if it is out of range for ``ndim``."""
    if not isinstance(axis, int) or isinstance(axis, bool) or not -ndim <= axis < ndim:
        raise ValueError(f"{name}: {argument} must be an integer in [{-ndim}, {ndim}); "
                         f"got {axis!r}")
    return axis % ndim


def weighted_mean(xp: ModuleType, loss: Array, weights: Array) -> Array:
    """``sum(loss) / sum(weights)``: torch's mean over weighted (or ignored) entries.

    ``loss`` already carries the weights; an all-zero ``weights`` gives NaN (0/0), as in torch.
    """
    return reduce_all(xp, loss, reduction="sum") / reduce_all(xp, weights, reduction="sum")
