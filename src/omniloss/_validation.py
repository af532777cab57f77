"""Every argument check of every loss, with one rule.

- A wrong **type** raises ``TypeError``; a wrong **value** raises ``ValueError``.
- The message names the public function, the argument, what was expected and what was given.
- Checks read Python options, shapes and dtypes only, never array values, so every loss traces.
- Boolean flags take ``bool`` (or NumPy's ``bool_``) only: ``1`` is not ``True``.
- Numeric options take Python or NumPy scalars or 0-d arrays of any library, never ``bool``,
  never NaN; they come back as Python numbers, so an option never changes the result's dtype.
- The result dtype of every loss is the floating result type of its floating array inputs
  (:func:`float_dtype`); integer and boolean targets, ``sample_weight`` and Python scalars take
  that dtype and do not change it.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Collection, Sequence
from types import ModuleType
from typing import Any, NamedTuple

from omniloss._dispatch import _PYTHON_SCALAR_TYPES, _is_python_scalar, get_namespace

Array = Any

REDUCTIONS = ("mean", "sum", "none")


def _given(value: Any) -> str:
    """``value`` as the message shows it: its repr, or its type for an array."""
    shape = getattr(value, "shape", None)
    if shape is not None and not isinstance(value, numbers.Number):
        return f"an array of shape {tuple(shape)} and dtype {getattr(value, 'dtype', '?')}"
    return repr(value)


# Options (Python values)


def check_flag(name: str, argument: str, value: Any) -> bool:
    """``value`` as a ``bool``; ``TypeError`` unless it is ``bool`` or NumPy's ``bool_``."""
    if type(value) is bool:
        return value
    if type(value).__name__ == "bool_" and type(value).__module__ == "numpy":
        return bool(value)
    raise TypeError(f"{name}: {argument} must be a bool (True or False); got {_given(value)}")


def _scalar(name: str, argument: str, value: Any, expected: str, integral: bool) -> Any:
    """A Python or NumPy scalar or 0-d array as a Python ``float`` (``int`` if ``integral``)."""
    if type(value).__name__ in ("bool", "bool_"):
        raise TypeError(f"{name}: {argument} must be {expected}, not a bool; got {value!r}")
    number: Any
    if isinstance(value, numbers.Real):
        number = value
    elif getattr(value, "shape", None) == () and hasattr(value, "dtype"):
        dtype = str(value.dtype)
        if "bool" in dtype or "complex" in dtype:
            raise TypeError(f"{name}: {argument} must be {expected}; got a 0-d array of dtype "
                            f"{dtype}")
        number = value.item() if hasattr(value, "item") else float(value)
    else:
        raise TypeError(f"{name}: {argument} must be {expected}; got {_given(value)}")
    if integral:
        if not isinstance(number, numbers.Integral):
            if isinstance(number, float) and number.is_integer():
                raise TypeError(f"{name}: {argument} must be an int; got the float {value!r}")
            raise TypeError(f"{name}: {argument} must be {expected}; got {value!r}")
        return int(number)
    real = float(number)
    if math.isnan(real):
        raise ValueError(f"{name}: {argument} must be {expected}, not NaN; got {value!r}")
    return real


def check_number(name: str, argument: str, value: Any, *, minimum: float | None = None,
                 maximum: float | None = None, above_minimum: bool = False,
                 below_maximum: bool = False) -> float:
    """``value`` as a Python ``float`` in ``[minimum, maximum]`` (open at an end with
    ``above_minimum`` / ``below_maximum``); infinities pass unless a bound excludes them."""
    expected = _range_text("a real number", minimum, maximum, above_minimum, below_maximum)
    number: float = _scalar(name, argument, value, expected, integral=False)
    _check_range(name, argument, number, value, expected, minimum, maximum, above_minimum,
                 below_maximum)
    return number


def check_int(name: str, argument: str, value: Any, *, minimum: int | None = None,
              maximum: int | None = None) -> int:
    """``value`` as a Python ``int`` in ``[minimum, maximum]`` (a float is a ``TypeError``)."""
    expected = _range_text("an int", minimum, maximum, False, False)
    number = _scalar(name, argument, value, expected, integral=True)
    _check_range(name, argument, number, value, expected, minimum, maximum, False, False)
    return int(number)


def _range_text(kind: str, minimum: float | None, maximum: float | None, above_minimum: bool,
                below_maximum: bool) -> str:
    """``"a real number >= 0"``, ``"an int in [0, 1]"``, ...: what a range check expects."""
    if minimum is not None and maximum is not None:
        return (f"{kind} in {'(' if above_minimum else '['}{minimum:g}, "
                f"{maximum:g}{')' if below_maximum else ']'}")
    if minimum is not None:
        return f"{kind} {'>' if above_minimum else '>='} {minimum:g}"
    if maximum is not None:
        return f"{kind} {'<' if below_maximum else '<='} {maximum:g}"
    return kind


def _check_range(name: str, argument: str, number: float, value: Any, expected: str,
                 minimum: float | None, maximum: float | None, above_minimum: bool,
                 below_maximum: bool) -> None:
    below = minimum is not None and (number <= minimum if above_minimum else number < minimum)
    above = maximum is not None and (number >= maximum if below_maximum else number > maximum)
    if below or above:
        raise ValueError(f"{name}: {argument} must be {expected}; got {value!r}")


def check_positive(name: str, argument: str, value: Any, *, allow_zero: bool = False) -> float:
    """``value`` as a Python ``float`` that is positive (or zero if allowed)."""
    return check_number(name, argument, value, minimum=0.0, above_minimum=not allow_zero)


def check_real(name: str, argument: str, value: Any) -> float:
    """``value`` as a Python ``float``: any real number but NaN (infinities pass)."""
    return check_number(name, argument, value)


def check_choice(name: str, argument: str, value: Any, choices: Collection[Any]) -> Any:
    """``value`` if it is one of ``choices``: ``TypeError`` for a value of another type than the
    choices' (``1`` for a string option, ``True`` for a numeric one), ``ValueError`` for an
    unknown value of the right type."""
    expected = ", ".join(repr(c) for c in choices)
    if all(isinstance(c, str) for c in choices):
        if not isinstance(value, str):
            raise TypeError(f"{name}: {argument} must be a string, one of {expected}; got "
                            f"{_given(value)}")
    else:
        value = check_int(name, argument, value)
    if value not in choices:
        raise ValueError(f"{name}: {argument} must be one of {expected}; got {value!r}")
    return value


def check_reduction(name: str, reduction: Any, choices: Sequence[str] = REDUCTIONS) -> str:
    """``reduction`` if it is one of ``choices`` (``"mean"``, ``"sum"``, ``"none"``)."""
    if type(reduction) is str and reduction in choices:  # the common case, fast
        return reduction
    return str(check_choice(name, "reduction", reduction, choices))


# Arrays: types, dtypes, shapes


def check_array(name: str, argument: str, x: Any) -> None:
    """``TypeError`` unless ``x`` is an array (not ``None``, not a Python scalar)."""
    if x is None or _is_python_scalar(x) or not hasattr(x, "shape"):
        raise TypeError(f"{name}: {argument} must be an array; got {x!r}")


_FLOAT_PROMOTION: dict[tuple[str, tuple[Any, ...]], Any] = {}
"""``result_type(*dtypes)`` of all-floating ``dtypes``, by namespace name: the dtype queries
(``isdtype``, ``result_type``) cost microseconds, tens on JAX, and every loss makes them, so
they are cached (also :func:`is_dtype`)."""

_DTYPE_KINDS: dict[tuple[str, Any, Any], bool] = {}


def is_dtype(xp: ModuleType, dtype: Any, kind: str | tuple[str, ...]) -> bool:
    """``xp.isdtype(dtype, kind)``, cached per namespace, dtype and kind."""
    key = (xp.__name__, dtype, kind)
    result = _DTYPE_KINDS.get(key)
    if result is None:
        result = _DTYPE_KINDS[key] = xp.isdtype(dtype, kind)
    return result


def float_dtype(name: str, xp: ModuleType, **arrays: Any) -> Any:
    """The result dtype of a loss: the floating result type of the named arrays, which must all
    be floating (``TypeError`` otherwise).

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


def check_real_dtype(name: str, xp: ModuleType, argument: str, x: Any) -> None:
    """``TypeError`` unless ``x`` is a Python number (not bool) or a boolean, integer or
    floating array."""
    if _is_python_scalar(x):
        if isinstance(x, bool | complex):
            raise TypeError(f"{name}: {argument} must be a real number or array; got {x!r}")
        return
    if not is_dtype(xp, x.dtype, ("bool", "integral", "real floating")):
        raise TypeError(f"{name}: {argument} must be a boolean, integer or floating array; got "
                        f"dtype {x.dtype}")


def float_pair(name: str, input: Any, target: Any, reduction: str, sample_weight: Any = None,
               where: Any = None, **floating: Any) -> tuple[ModuleType, Array, Array]:
    """Resolve the namespace of an elementwise ``(input, target)`` loss and validate it.

    ``input`` must be a floating array and ``target`` a real array of its shape or a Python
    number; ``reduction`` must be known; ``sample_weight`` and ``where`` are checked as
    :func:`check_weighting` does. Returns ``(xp, input, target)`` in the loss's dtype: the
    floating result type of ``input``, a floating ``target`` and the ``floating`` options
    (weights, which must be floating); integer and boolean targets are cast to it.
    """
    xp = get_namespace(input, target, *floating.values(), sample_weight, where, name=name)
    check_array(name, "input", input)
    check_real_dtype(name, xp, "target", target)
    floating_target = not _is_python_scalar(target) and is_dtype(xp, target.dtype,
                                                                 "real floating")
    dtype = float_dtype(name, xp, input=input, target=target if floating_target else None,
                        **floating)
    check_same_shape(name, input=input, target=target)
    check_reduction(name, reduction)
    check_weighting(name, xp, sample_weight, where)
    return xp, as_float(xp, input, dtype), as_float(xp, target, dtype)


def check_weighting(name: str, xp: ModuleType, sample_weight: Any, where: Any) -> None:
    """``sample_weight``: ``None``, a real Python number or an integer or floating array;
    ``where``: ``None`` or a boolean array (``TypeError`` otherwise). Their shapes are checked
    against the unreduced loss by :func:`omniloss._reduction.reduce`; their values never are."""
    if sample_weight is not None and (
            isinstance(sample_weight, bool | complex) if _is_python_scalar(sample_weight)
            else not is_dtype(xp, sample_weight.dtype, ("integral", "real floating"))):
        given = (repr(sample_weight) if _is_python_scalar(sample_weight)
                 else f"dtype {sample_weight.dtype}")
        raise TypeError(f"{name}: sample_weight must be an integer or floating array or a real "
                        f"number; got {given}")
    if where is not None and (_is_python_scalar(where)
                              or not is_dtype(xp, where.dtype, "bool")):
        given = repr(where) if _is_python_scalar(where) else f"dtype {where.dtype}"
        raise TypeError(f"{name}: where must be a boolean array; got {given}")


def check_index_dtype(name: str, xp: ModuleType, argument: str, x: Array) -> None:
    """``TypeError`` unless ``x`` holds integers (class indices)."""
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
    """``ValueError`` unless the named arrays have one shape (Python scalars always fit)."""
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
    """``ValueError`` unless ``x`` (an array, Python scalar or ``None``) broadcasts to
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
    """``ValueError`` unless ``x.ndim`` is one of ``allowed``."""
    if x.ndim not in allowed:
        expected = " or ".join(str(n) for n in sorted(allowed))
        raise ValueError(f"{name}: {argument} must have {expected} dimensions; "
                         f"got shape {shape_of(x)}")


def normalize_axis(name: str, axis: Any, ndim: int, argument: str = "axis") -> int:
    """``axis`` as a non-negative int: ``TypeError`` if it is not an int, ``ValueError`` if it
    is out of range for ``ndim``."""
    index = check_int(name, argument, axis)
    if not -ndim <= index < ndim:
        raise ValueError(f"{name}: {argument} must be an integer in [{-ndim}, {ndim}); "
                         f"got {axis!r}")
    return index % ndim


# Class scores and class targets


def check_ignore_index(name: str, ignore_index: Any, is_index: bool) -> int:
    """An int; with class-probability targets only the default -100 (torch raises otherwise)."""
    index = check_int(name, "ignore_index", ignore_index)
    if not is_index and index != -100:
        raise ValueError(f"{name}: ignore_index applies to class-index targets only; got "
                         f"ignore_index={index} with a floating target of class "
                         f"probabilities")
    return index


def check_smoothing(name: str, label_smoothing: Any) -> float:
    """``label_smoothing`` as a Python float in [0, 1]."""
    return check_number(name, "label_smoothing", label_smoothing, minimum=0.0, maximum=1.0)


def class_axis(name: str, input: Array, axis: Any) -> int:
    """The non-negative class axis of ``input``; 0 for a 1-D input (one sample)."""
    check_array(name, "input", input)
    if input.ndim == 0:
        raise ValueError(f"{name}: input must have a class axis; got shape ()")
    if input.ndim == 1:
        axis = check_int(name, "axis", axis)
        if axis not in (-1, 0, 1):
            raise ValueError(f"{name}: axis must be -1, 0 or 1 for a 1-D input (one sample's "
                             f"classes, class axis 0); got {axis!r}")
        return 0
    return normalize_axis(name, axis, input.ndim)


def _without(shape: tuple[int | None, ...], axis: int) -> tuple[int | None, ...]:
    return shape[:axis] + shape[axis + 1:]


def is_index_target(name: str, xp: ModuleType, scores_shape: tuple[int | None, ...],
                     target: Array, axis: int, *, allow_probabilities: bool = True) -> bool:
    """Whether ``target`` holds class indices (integer) rather than class probabilities.

    Raises ``TypeError`` for a floating target of the index shape (float class ids) or a target
    of another dtype, ``ValueError`` for a target of the wrong shape.
    """
    check_array(name, "target", target)
    index_shape = _without(scores_shape, axis)
    shape = shape_of(target)
    if is_dtype(xp, target.dtype, "integral"):
        if shape != index_shape:
            raise ValueError(f"{name}: target of class indices must have shape {index_shape} "
                             f"(the input's shape without axis {axis}); got {shape}")
        return True
    if is_dtype(xp, target.dtype, "real floating"):
        if allow_probabilities and shape == scores_shape:
            return False
        if shape == index_shape:
            raise TypeError(f"{name}: target of class indices must be an integer array; got "
                            f"{target.dtype} (cast class ids with astype)")
        expected = (f"{index_shape} (class indices) or {scores_shape} (class probabilities)"
                    if allow_probabilities else f"{index_shape} (class indices)")
        raise ValueError(f"{name}: target must have shape {expected}; got {shape}")
    kind = "an integer array of class indices"
    if allow_probabilities:
        kind += " or a floating array of class probabilities"
    raise TypeError(f"{name}: target must be {kind}; got dtype {target.dtype}")


def class_vector(name: str, argument: str, xp: ModuleType, x: Array | None, n_classes: Any,
                  dtype: Any) -> Array | None:
    """A per-class array (``weight``, ``alpha``) checked to be ``(n_classes,)``, as ``dtype``."""
    if x is None:
        return None
    if shape_of(x) != (n_classes,):
        raise ValueError(f"{name}: {argument} must have shape ({n_classes},), one entry per "
                         f"class; got {shape_of(x)}")
    return as_float(xp, x, dtype)


class ClassScores(NamedTuple):
    """A validated multi-class call: see :func:`class_scores`."""

    xp: ModuleType
    scores: Array
    axis: int
    is_index: bool
    ignore_index: int
    per_class: tuple[Array | None, ...]


def class_scores(name: str, input: Any, target: Any, axis: Any, reduction: Any,
                 sample_weight: Any, where: Any, *, ignore_index: Any = -100,
                 allow_probabilities: bool = True, **per_class: Any) -> ClassScores:
    """Validate a multi-class loss's arguments in one place and return them ready to compute.

    ``input`` holds class scores along ``axis``; ``target`` is class indices (integer, the
    input's shape without ``axis``) or, with ``allow_probabilities``, class probabilities
    (floating, the input's shape). ``per_class`` arrays (``weight``, ``alpha``) must be
    ``(C,)``. The dtype is the floating result type of ``input``, the per-class arrays and a
    probability target; ``scores`` and the per-class arrays come back in it, in the order given.
    """
    xp = get_namespace(input, target, *per_class.values(), sample_weight, where, name=name)
    check_reduction(name, reduction)
    check_weighting(name, xp, sample_weight, where)
    axis = class_axis(name, input, axis)
    is_index = is_index_target(name, xp, shape_of(input), target, axis,
                               allow_probabilities=allow_probabilities)
    dtype = float_dtype(name, xp, input=input, target=None if is_index else target, **per_class)
    ignore_index = check_ignore_index(name, ignore_index, is_index)
    classes = input.shape[axis]
    vectors = tuple(class_vector(name, argument, xp, x, classes, dtype)
                    for argument, x in per_class.items())
    return ClassScores(xp, as_float(xp, input, dtype), axis, is_index, ignore_index, vectors)
