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
import operator
from collections.abc import Collection, Sequence
from types import ModuleType
from typing import Any, NamedTuple

import array_api_compat
import numpy as np

from omniloss._dispatch import _PYTHON_SCALAR_TYPES, _is_python_scalar, get_namespace
from omniloss._primitives import id_range, index_dtype, values_now

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
    if isinstance(value, np.bool_):
        return bool(value)
    raise TypeError(f"{name}: {argument} must be a bool (True or False); got {_given(value)}")


class _Range(NamedTuple):
    """What a numeric option must be: its kind and bounds (open at an end if asked)."""

    kind: str
    minimum: float | None = None
    maximum: float | None = None
    above_minimum: bool = False
    below_maximum: bool = False

    def text(self) -> str:
        """``"a real number >= 0"``, ``"an int in [0, 1]"``, ...: for the error message."""
        kind, low, high = self.kind, self.minimum, self.maximum
        if low is not None and high is not None:
            return (f"{kind} in {'(' if self.above_minimum else '['}{low:g}, "
                    f"{high:g}{')' if self.below_maximum else ']'}")
        if low is not None:
            return f"{kind} {'>' if self.above_minimum else '>='} {low:g}"
        if high is not None:
            return f"{kind} {'<' if self.below_maximum else '<='} {high:g}"
        return kind

    def check(self, name: str, argument: str, number: float, value: Any) -> None:
        """``ValueError`` unless ``number`` lies in the range."""
        low, high = self.minimum, self.maximum
        below = low is not None and (number <= low if self.above_minimum else number < low)
        above = high is not None and (number >= high if self.below_maximum else number > high)
        if below or above:
            raise ValueError(f"{name}: {argument} must be {self.text()}; got {value!r}")


def _scalar(name: str, argument: str, value: Any, expected: _Range, integral: bool) -> Any:
    """A Python or NumPy scalar or 0-d array as a Python ``float`` (``int`` if ``integral``).

    Python ``int`` and ``float`` take a fast path: every loss checks its options on every call.
    """
    kind = type(value)
    if kind is int:
        return value if integral else float(value)
    if kind is float and not integral and value == value:
        return value
    if kind.__name__ in ("bool", "bool_"):
        raise TypeError(f"{name}: {argument} must be {expected.text()}, not a bool; got "
                        f"{value!r}")
    number: Any
    if isinstance(value, numbers.Real):
        number = value
    elif getattr(value, "shape", None) == () and hasattr(value, "dtype"):
        dtype = str(value.dtype)
        if "bool" in dtype or "complex" in dtype:
            raise TypeError(f"{name}: {argument} must be {expected.text()}; got a 0-d array of "
                            f"dtype {dtype}")
        number = value.item() if hasattr(value, "item") else float(value)
    else:
        raise TypeError(f"{name}: {argument} must be {expected.text()}; got {_given(value)}")
    if integral:
        if not isinstance(number, numbers.Integral):
            if isinstance(number, float) and number.is_integer():
                raise TypeError(f"{name}: {argument} must be an int; got the float {value!r}")
            raise TypeError(f"{name}: {argument} must be {expected.text()}; got {value!r}")
        return int(number)
    real = float(number)
    if math.isnan(real):
        raise ValueError(f"{name}: {argument} must be {expected.text()}, not NaN; got {value!r}")
    return real


def check_number(name: str, argument: str, value: Any, *, minimum: float | None = None,
                 maximum: float | None = None, above_minimum: bool = False,
                 below_maximum: bool = False) -> float:
    """``value`` as a Python ``float`` in ``[minimum, maximum]`` (open at an end with
    ``above_minimum`` / ``below_maximum``); infinities pass unless a bound excludes them."""
    if type(value) is float and value == value and (  # the common case (not NaN): fast
            (minimum is None or (value > minimum if above_minimum else value >= minimum))
            and (maximum is None or (value < maximum if below_maximum else value <= maximum))):
        return value
    expected = _Range("a real number", minimum, maximum, above_minimum, below_maximum)
    number: float = _scalar(name, argument, value, expected, integral=False)
    expected.check(name, argument, number, value)
    return number


def check_int(name: str, argument: str, value: Any, *, minimum: int | None = None,
              maximum: int | None = None) -> int:
    """``value`` as a Python ``int`` in ``[minimum, maximum]`` (a float is a ``TypeError``)."""
    if type(value) is int and (minimum is None or value >= minimum) and (
            maximum is None or value <= maximum):  # the common case, fast
        return value
    expected = _Range("an int", minimum, maximum)
    number: int = _scalar(name, argument, value, expected, integral=True)
    expected.check(name, argument, number, value)
    return number


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
    if x is None or type(x) in _PYTHON_SCALAR_TYPES or not hasattr(x, "shape"):
        raise TypeError(f"{name}: {argument} must be an array; got {x!r}")


class _DtypeAnswers:
    """One namespace's cached dtype queries: ``isdtype`` answers by ``(dtype, kind)`` and the
    ``result_type`` of all-floating dtypes. The queries cost microseconds, tens on JAX, and
    every loss makes them.

    One object per namespace, not one dict for all: ``torch.compile`` rebuilds a global dict it
    saw change, hashing its keys, and it cannot hash TensorFlow's dtypes; an object it does not
    look into. Lock-free: a miss computes a pure function of its key, so threads racing on it
    store equal values.
    """

    __slots__ = ("kinds", "promotions")

    def __init__(self) -> None:
        self.kinds: dict[tuple[Any, Any], bool] = {}
        self.promotions: dict[tuple[Any, ...], Any] = {}


_DTYPE_ANSWERS: dict[str, _DtypeAnswers] = {}


def _answers(xp: ModuleType) -> _DtypeAnswers:
    answers = _DTYPE_ANSWERS.get(xp.__name__)
    if answers is None:
        answers = _DTYPE_ANSWERS[xp.__name__] = _DtypeAnswers()
    return answers


def is_dtype(xp: ModuleType, dtype: Any, kind: str | tuple[str, ...]) -> bool:
    """``xp.isdtype(dtype, kind)``, cached per namespace, dtype and kind."""
    cache = _answers(xp).kinds
    result = cache.get((dtype, kind))
    if result is None:
        result = cache[dtype, kind] = xp.isdtype(dtype, kind)
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
    cache = _answers(xp).promotions
    promoted = cache.get(dtypes)
    if promoted is None:
        for argument, x in arrays.items():
            if x is None or _is_python_scalar(x):
                continue
            if not xp.isdtype(x.dtype, "real floating"):
                raise TypeError(
                    f"{name}: {argument} must be a floating-point array; got dtype {x.dtype}"
                )
        promoted = cache[dtypes] = xp.result_type(*dtypes)
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


def check_real_dtype(name: str, xp: ModuleType, argument: str, x: Any, *,
                     allow_bool: bool = False) -> None:
    """``TypeError`` unless ``x`` is a Python number (not bool) or an integer or floating array
    (or a boolean one, with ``allow_bool``: 0/1 labels)."""
    if _is_python_scalar(x):
        if isinstance(x, bool | complex):
            raise TypeError(f"{name}: {argument} must be a real number or array; got {x!r}")
        return
    if x is None:
        raise TypeError(f"{name}: {argument} must be a real number or array; got None")
    kinds = ("bool", "integral", "real floating") if allow_bool else ("integral", "real floating")
    if not is_dtype(xp, x.dtype, kinds):
        expected = "a boolean, integer or floating" if allow_bool else "an integer or floating"
        raise TypeError(f"{name}: {argument} must be {expected} array; got dtype {x.dtype}")


def real_as(name: str, xp: ModuleType, argument: str, x: Any, dtype: Any) -> Any:
    """``x`` (a real Python number, or a boolean, integer or floating array: labels, masks,
    targets) cast to floating ``dtype``; ``TypeError`` for any other dtype (complex, string)."""
    check_real_dtype(name, xp, argument, x, allow_bool=True)
    return as_float(xp, x, dtype)


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
    scalar_target = type(target) in _PYTHON_SCALAR_TYPES
    floating_target = (target is not None and not scalar_target
                       and is_dtype(xp, target.dtype, "real floating"))
    if not floating_target:
        check_real_dtype(name, xp, "target", target, allow_bool=True)
    dtype = float_dtype(name, xp, input=input, target=target if floating_target else None,
                        **floating)
    if not scalar_target and target.shape != input.shape:
        check_same_shape(name, input=input, target=target)
    check_reduction(name, reduction)
    if sample_weight is not None or where is not None:
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


def check_shape(name: str, argument: str, x: Array, expected: tuple[int | None, ...]) -> None:
    """``ValueError`` unless ``x`` has shape ``expected`` (``None`` on either side matches)."""
    shape = shape_of(x)
    if len(shape) != len(expected) or any(
            a is not None and b is not None and a != b for a, b in zip(shape, expected,
                                                                        strict=True)):
        raise ValueError(f"{name}: {argument} must have shape {expected}; got {shape}")


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
    vectors = tuple([class_vector(name, argument, xp, x, classes, dtype)
                     for argument, x in per_class.items()])
    return ClassScores(xp, as_float(xp, input, dtype), axis, is_index, ignore_index, vectors)


# Classification: weighted binary pairs, linear layers, divergences, 0-1


def weighted_pair(name: str, input: Any, target: Any, reduction: Any, sample_weight: Any,
                  where: Any, **weights: Any) -> tuple[ModuleType, Array, Array,
                                                       tuple[Array | None, ...]]:
    """:func:`float_pair` with elementwise ``weights`` that broadcast to ``input``, all cast."""
    xp, input, target = float_pair(name, input, target, reduction, sample_weight, where,
                                   **weights)
    for argument, x in weights.items():
        check_broadcastable(name, argument, x, shape_of(input))
    return xp, input, target, tuple(as_float(xp, x, input.dtype) for x in weights.values())


class LinearScores(NamedTuple):
    """A validated ``linear_cross_entropy`` call: see :func:`linear_scores`."""

    xp: ModuleType
    hidden: Array
    projection: Array
    bias: Array | None
    weight: Array | None
    is_index: bool
    ignore_index: int
    label_smoothing: float
    chunk_size: int | None


def linear_scores(name: str, input: Any, linear_weight: Any, target: Any, linear_bias: Any,
                  weight: Any, ignore_index: Any, label_smoothing: Any, chunk_size: Any,
                  reduction: Any, sample_weight: Any, where: Any) -> LinearScores:
    """Validate a linear layer's hidden states, weights and class targets; cast to one dtype."""
    xp = get_namespace(input, linear_weight, target, linear_bias, weight, sample_weight, where,
                       name=name)
    check_reduction(name, reduction)
    check_weighting(name, xp, sample_weight, where)
    for argument, x in (("input", input), ("linear_weight", linear_weight)):
        check_array(name, argument, x)
    if input.ndim not in (1, 2):
        raise ValueError(f"{name}: input must have shape (in_features,) or (N, in_features); "
                         f"got {shape_of(input)}")
    features = input.shape[-1]
    if linear_weight.ndim < 2 or linear_weight.shape[-1] != features:
        raise ValueError(f"{name}: linear_weight must have shape (C, ..., {features}) "
                         f"(in_features last); got {shape_of(linear_weight)}")
    if linear_weight.ndim > 2 and input.ndim == 1:
        raise ValueError(f"{name}: a k-dimensional linear_weight {shape_of(linear_weight)} "
                         f"needs a batched input (N, {features}); got {shape_of(input)}")
    out_shape = shape_of(linear_weight)[:-1]
    if linear_bias is not None and shape_of(linear_bias) != out_shape:
        raise ValueError(f"{name}: linear_bias must have shape {out_shape}; got "
                         f"{shape_of(linear_bias)}")
    batched = input.ndim == 2
    logits_shape = (input.shape[0], *out_shape) if batched else out_shape
    is_index = is_index_target(name, xp, logits_shape, target, 1 if batched else 0)
    dtype = float_dtype(name, xp, input=input, linear_weight=linear_weight,
                        linear_bias=linear_bias, weight=weight,
                        target=None if is_index else target)
    ignore_index = check_ignore_index(name, ignore_index, is_index)
    label_smoothing = check_smoothing(name, label_smoothing)
    if chunk_size is not None:
        chunk_size = check_int(name, "chunk_size", chunk_size, minimum=1)
    weight = class_vector(name, "weight", xp, weight, out_shape[0], dtype)
    return LinearScores(xp, as_float(xp, input, dtype), as_float(xp, linear_weight, dtype),
                        as_float(xp, linear_bias, dtype), weight, is_index, ignore_index,
                        label_smoothing, chunk_size)


def divergence_pair(name: str, input: Any, target: Any, reduction: Any, sample_weight: Any,
                    where: Any, reductions: Sequence[str] = REDUCTIONS,
                    ) -> tuple[ModuleType, Array, Array]:
    """Two floating arrays of one shape (``kl_div``, ``js_divergence``), cast to one dtype."""
    xp = get_namespace(input, target, sample_weight, where, name=name)
    check_array(name, "input", input)
    dtype = float_dtype(name, xp, input=input, target=target)
    check_same_shape(name, input=input, target=target)
    check_reduction(name, reduction, reductions)
    check_weighting(name, xp, sample_weight, where)
    return xp, as_float(xp, input, dtype), as_float(xp, target, dtype)


def distribution_axis(name: str, input: Array, axis: Any) -> int:
    """The non-negative axis of the distributions in ``input`` (at least 1-D)."""
    if input.ndim == 0:
        raise ValueError(f"{name}: input must have at least 1 dimension; got shape ()")
    return normalize_axis(name, axis, input.ndim)


def distillation_pair(name: str, input: Any, teacher: Any, temperature: Any, axis: Any,
                      reduction: Any, sample_weight: Any, where: Any,
                      reductions: Sequence[str] = REDUCTIONS,
                      ) -> tuple[ModuleType, Array, Array, int, float]:
    """Student and teacher logits of one shape: ``(xp, input, teacher, axis, temperature)``."""
    xp = get_namespace(input, teacher, sample_weight, where, name=name)
    check_reduction(name, reduction, reductions)
    check_weighting(name, xp, sample_weight, where)
    axis = class_axis(name, input, axis)
    dtype = float_dtype(name, xp, input=input, teacher=teacher)
    check_same_shape(name, input=input, teacher=teacher)
    temperature = check_positive(name, "temperature", temperature)
    return xp, as_float(xp, input, dtype), as_float(xp, teacher, dtype), axis, temperature


def zero_one_pair(name: str, input: Any, target: Any, axis: Any, reduction: Any,
                  sample_weight: Any, where: Any) -> tuple[ModuleType, Array, Array, int | None]:
    """``(xp, scores, labels, axis)``: ``axis`` is ``None`` for binary labels of input's shape."""
    check_array(name, "input", input)
    check_array(name, "target", target)
    if shape_of(target) == shape_of(input):
        xp, scores, labels = float_pair(name, input, target, reduction, sample_weight, where)
        return xp, scores, labels, None
    xp = get_namespace(input, target, sample_weight, where, name=name)
    check_reduction(name, reduction)
    check_weighting(name, xp, sample_weight, where)
    scores = as_float(xp, input, float_dtype(name, xp, input=input))
    axis = class_axis(name, input, axis)
    is_index_target(name, xp, shape_of(input), target, axis, allow_probabilities=False)
    return xp, scores, target, axis


# Margin and ranking


def check_classes(name: str, input: Array) -> None:
    """``ValueError`` unless ``input`` is ``(C,)`` or ``(N, C)`` with at least one class."""
    check_ndim(name, "input", input, (1, 2))
    if input.shape[-1] == 0:
        raise ValueError(f"{name}: input must have at least one class; got shape "
                         f"{shape_of(input)}")


def check_class_weight(name: str, weight: Array | None, classes: Any) -> None:
    """``ValueError`` unless ``weight`` is ``None`` or ``(classes,)``."""
    if weight is not None and shape_of(weight) != (classes,):
        raise ValueError(f"{name}: weight must have shape ({classes},); got "
                         f"{shape_of(weight)}")


def margin_scores(name: str, input: Any, target: Any, weight: Any, reduction: Any,
                  sample_weight: Any, where: Any,
                  ) -> tuple[ModuleType, Array, Array, Array | None]:
    """``(C,)`` or ``(N, C)`` scores, class indices: ``(xp, (N, C), (N,), weight)``, one dtype."""
    xp = get_namespace(input, target, weight, sample_weight, where, name=name)
    check_array(name, "input", input)
    check_array(name, "target", target)
    dtype = float_dtype(name, xp, input=input, weight=weight)
    check_index_dtype(name, xp, "target", target)
    check_classes(name, input)
    check_reduction(name, reduction)
    expected = ((), (1,)) if input.ndim == 1 else ((input.shape[0],),)
    if shape_of(target) not in expected:
        wanted = " or ".join(str(shape) for shape in expected)
        raise ValueError(f"{name}: target must have shape {wanted} for input of shape "
                         f"{shape_of(input)}; got {shape_of(target)}")
    num_classes = input.shape[-1]
    check_class_weight(name, weight, num_classes)
    check_weighting(name, xp, sample_weight, where)
    scores = as_float(xp, input if input.ndim == 2 else xp.reshape(input, (1, -1)), dtype)
    return xp, scores, xp.reshape(target, (-1,)), as_float(xp, weight, dtype)


def multilabel_ids(name: str, input: Any, target: Any, reduction: Any, sample_weight: Any,
                   where: Any) -> tuple[ModuleType, Array, Array]:
    """Scores with padded class-id lists of their shape: ``(xp, (N, C) scores, (N, C) ids)``."""
    xp = get_namespace(input, target, sample_weight, where, name=name)
    check_array(name, "input", input)
    check_array(name, "target", target)
    dtype = float_dtype(name, xp, input=input)
    check_index_dtype(name, xp, "target", target)
    check_classes(name, input)
    check_same_shape(name, input=input, target=target)
    check_reduction(name, reduction)
    check_weighting(name, xp, sample_weight, where)
    if input.ndim == 1:  # one sample
        input, target = xp.reshape(input, (1, -1)), xp.reshape(target, (1, -1))
    return xp, as_float(xp, input, dtype), target


def multilabel_logits(name: str, input: Any, target: Any, weight: Any, reduction: Any,
                      sample_weight: Any, where: Any,
                      ) -> tuple[ModuleType, Array, Array, Array | None]:
    """Logits ``(..., C)``, multi-hot targets of their shape and a ``(C,)`` weight, cast."""
    xp = get_namespace(input, target, weight, sample_weight, where, name=name)
    check_array(name, "input", input)
    dtype = float_dtype(name, xp, input=input, weight=weight)
    if input.ndim == 0:
        raise ValueError(f"{name}: input must have at least 1 dimension (classes last); got "
                         "shape ()")
    check_same_shape(name, input=input, target=target)
    check_reduction(name, reduction)
    check_class_weight(name, weight, input.shape[-1])
    check_weighting(name, xp, sample_weight, where)
    return (xp, as_float(xp, input, dtype), real_as(name, xp, "target", target, dtype),
            as_float(xp, weight, dtype))


def ranking_lists(name: str, input: Any, target: Any, mask: Any, item_weight: Any,
                  axis: Any, reduction: Any, sample_weight: Any, where: Any
                  ) -> tuple[ModuleType, Array, Array, int]:
    """A listwise ranking loss's scores and relevance labels (one shape; the lists along
    ``axis``), its optional boolean item ``mask`` and floating ``item_weight`` of that shape.
    Returns ``(xp, input, target, axis)`` in the loss's dtype."""
    xp, input, target = float_pair(name, input, target, reduction, sample_weight, where,
                                   item_weight=item_weight)
    if mask is not None:
        check_array(name, "mask", mask)
        get_namespace(input, mask, name=name)  # the mixed-library TypeError
        if not is_dtype(xp, mask.dtype, "bool"):
            raise TypeError(f"{name}: mask must be a boolean array; got dtype {mask.dtype}")
    check_same_shape(name, input=input, mask=mask, item_weight=item_weight)
    axis = distribution_axis(name, input, axis)
    lists = shape_of(input)[:axis] + shape_of(input)[axis + 1:]
    check_broadcastable(name, "where", where, lists)
    return xp, input, target, axis


def ranking_triple(name: str, input1: Any, input2: Any, target: Any, reduction: Any,
                   sample_weight: Any, where: Any) -> tuple[ModuleType, Array, Array, Array]:
    """Two score arrays and labels of one shape: ``(xp, input1, input2, target)``, cast."""
    xp = get_namespace(input1, input2, target, sample_weight, where, name=name)
    check_array(name, "input1", input1)
    check_array(name, "input2", input2)
    dtype = float_dtype(name, xp, input1=input1, input2=input2)
    check_same_shape(name, input1=input1, input2=input2, target=target)
    check_reduction(name, reduction)
    check_weighting(name, xp, sample_weight, where)
    return (xp, as_float(xp, input1, dtype), as_float(xp, input2, dtype),
            real_as(name, xp, "target", target, dtype))


# Embeddings


def embedding_arrays(name: str, reduction: Any, sample_weight: Any, where: Any,
                     extra: Any = None, **arrays: Any) -> tuple[ModuleType, list[Array]]:
    """Embeddings of one shape, features last, in one dtype (``extra`` joins the namespace)."""
    xp = get_namespace(*arrays.values(), extra, sample_weight, where, name=name)
    for argument, x in arrays.items():
        check_array(name, argument, x)
    dtype = float_dtype(name, xp, **arrays)
    check_same_shape(name, **arrays)
    for argument, x in arrays.items():
        if x.ndim == 0:
            raise ValueError(f"{name}: {argument} must have at least 1 dimension (features "
                             "last); got shape ()")
    check_reduction(name, reduction)
    check_weighting(name, xp, sample_weight, where)
    return xp, [as_float(xp, x, dtype) for x in arrays.values()]


def check_pair_target(name: str, target: Array, embedding: Array) -> None:
    """``ValueError`` unless ``target`` has ``embedding``'s shape without the feature axis."""
    expected = tuple(shape_of(embedding)[:-1])
    if shape_of(target) != expected:
        raise ValueError(f"{name}: target must have shape {expected} for inputs of shape "
                         f"{shape_of(embedding)}; got {shape_of(target)}")


def labelled_pairs(name: str, input1: Any, input2: Any, target: Any, reduction: Any,
                   sample_weight: Any, where: Any) -> tuple[ModuleType, Array, Array, Array]:
    """Embedding pairs ``(..., D)`` with one label per pair: ``(xp, input1, input2, target)``."""
    xp, (input1, input2) = embedding_arrays(name, reduction, sample_weight, where, target,
                                            input1=input1, input2=input2)
    check_pair_target(name, target, input1)
    return xp, input1, input2, real_as(name, xp, "target", target, input1.dtype)


def cosine_pairs(name: str, input1: Any, input2: Any, target: Any, reduction: Any,
                 sample_weight: Any, where: Any) -> tuple[ModuleType, Array, Array, Array]:
    """Embedding pairs ``(N, D)`` or ``(D,)`` with labels: ``(xp, input1, input2, target)``."""
    xp = get_namespace(input1, input2, target, sample_weight, where, name=name)
    check_array(name, "input1", input1)
    check_array(name, "input2", input2)
    dtype = float_dtype(name, xp, input1=input1, input2=input2)
    check_same_shape(name, input1=input1, input2=input2)
    check_ndim(name, "input1", input1, (1, 2))
    check_pair_target(name, target, input1)
    check_reduction(name, reduction)
    check_weighting(name, xp, sample_weight, where)
    return (xp, as_float(xp, input1, dtype), as_float(xp, input2, dtype),
            real_as(name, xp, "target", target, dtype))


def vector_pair(name: str, input: Any, target: Any, axis: Any, reduction: Any,
                sample_weight: Any, where: Any) -> tuple[ModuleType, Array, Array, int]:
    """Vectors along ``axis`` and targets of their shape: ``(xp, input, target, axis)``."""
    xp = get_namespace(input, target, sample_weight, where, name=name)
    check_array(name, "input", input)
    check_array(name, "target", target)
    dtype = float_dtype(name, xp, input=input)
    check_same_shape(name, input=input, target=target)
    axis = normalize_axis(name, axis, input.ndim)
    check_reduction(name, reduction)
    check_weighting(name, xp, sample_weight, where)
    return xp, as_float(xp, input, dtype), real_as(name, xp, "target", target, dtype), axis


def labelled_embeddings(name: str, embeddings: Any, labels: Any, reduction: Any,
                        sample_weight: Any, where: Any) -> tuple[ModuleType, Array]:
    """A ``(B, D)`` batch (``B >= 1``) with ``(B,)`` labels: ``(xp, embeddings)``, cast."""
    xp = get_namespace(embeddings, labels, sample_weight, where, name=name)
    check_array(name, "embeddings", embeddings)
    check_array(name, "labels", labels)
    dtype = float_dtype(name, xp, embeddings=embeddings)
    check_index_dtype(name, xp, "labels", labels)
    check_ndim(name, "embeddings", embeddings, (2,))
    batch = embeddings.shape[0]
    if batch == 0:
        raise ValueError(f"{name}: embeddings must hold at least one embedding; got shape "
                         f"{shape_of(embeddings)}")
    if shape_of(labels) != (batch,):
        raise ValueError(f"{name}: labels must have shape ({batch},); got {shape_of(labels)}")
    check_reduction(name, reduction)
    check_weighting(name, xp, sample_weight, where)
    return xp, as_float(xp, embeddings, dtype)


def referenced_embeddings(name: str, embeddings: Any, labels: Any, ref_embeddings: Any,
                          ref_labels: Any, reduction: Any, sample_weight: Any,
                          where: Any) -> tuple[ModuleType, Array, Array, Array, Array]:
    """A ``(B, D)`` labelled batch (``B >= 1``) and its references, ``(M, D)`` embeddings and
    ``(M,)`` labels, each the batch's own when ``None``: ``(xp, embeddings, labels,
    ref_embeddings, ref_labels)``, the embeddings cast to one dtype and the labels to one."""
    xp = get_namespace(embeddings, labels, ref_embeddings, ref_labels, sample_weight, where,
                       name=name)
    for argument, x in (("embeddings", embeddings), ("labels", labels),
                        ("ref_embeddings", ref_embeddings), ("ref_labels", ref_labels)):
        if x is not None or argument in ("embeddings", "labels"):
            check_array(name, argument, x)
    dtype = float_dtype(name, xp, embeddings=embeddings, ref_embeddings=ref_embeddings)
    check_index_dtype(name, xp, "labels", labels)
    check_ndim(name, "embeddings", embeddings, (2,))
    batch, features = embeddings.shape
    if batch == 0:
        raise ValueError(f"{name}: embeddings must hold at least one embedding; got shape "
                         f"{shape_of(embeddings)}")
    if shape_of(labels) != (batch,):
        raise ValueError(f"{name}: labels must have shape ({batch},); got {shape_of(labels)}")
    if ref_embeddings is None:
        ref_embeddings = embeddings
    else:
        check_ndim(name, "ref_embeddings", ref_embeddings, (2,))
        if shape_of(ref_embeddings)[1] != features:
            raise ValueError(f"{name}: ref_embeddings must have {features} features, as "
                             f"embeddings; got shape {shape_of(ref_embeddings)}")
    if ref_labels is None:
        ref_labels = labels
    else:
        check_index_dtype(name, xp, "ref_labels", ref_labels)
    references = shape_of(ref_embeddings)[0]
    if shape_of(ref_labels) != (references,):
        raise ValueError(f"{name}: ref_labels (labels when not given) must have shape "
                         f"({references},), one per reference embedding; got "
                         f"{shape_of(ref_labels)}")
    if ref_labels.dtype != labels.dtype:
        common = xp.result_type(labels, ref_labels)
        labels, ref_labels = xp.astype(labels, common), xp.astype(ref_labels, common)
    check_reduction(name, reduction)
    check_weighting(name, xp, sample_weight, where)
    return (xp, as_float(xp, embeddings, dtype), labels, as_float(xp, ref_embeddings, dtype),
            ref_labels)


def angular_margin(name: str, margin: Any, kind: str) -> float:
    """``margin`` as a real number; a positive integer for ``kind="sphereface"``."""
    margin = check_real(name, "margin", margin)
    if kind == "sphereface" and (margin < 1 or not margin.is_integer()):
        raise ValueError(f"{name}: margin must be a positive integer for kind='sphereface'; "
                         f"got {margin!r}")
    return float(margin)


def cosine_scores(name: str, cosine: Any, target: Any, reduction: Any, sample_weight: Any,
                  where: Any) -> tuple[ModuleType, Array]:
    """Cosine logits ``(N, C)``, ``C >= 1``, with ``(N,)`` class indices: ``(xp, cosine)``."""
    xp = get_namespace(cosine, target, sample_weight, where, name=name)
    check_array(name, "cosine", cosine)
    check_array(name, "target", target)
    dtype = float_dtype(name, xp, cosine=cosine)
    check_index_dtype(name, xp, "target", target)
    check_ndim(name, "cosine", cosine, (2,))
    if cosine.shape[1] == 0:
        raise ValueError(f"{name}: cosine must have at least one class; got shape "
                         f"{shape_of(cosine)}")
    if shape_of(target) != (cosine.shape[0],):
        raise ValueError(f"{name}: target must have shape ({cosine.shape[0]},); got "
                         f"{shape_of(target)}")
    check_reduction(name, reduction)
    check_weighting(name, xp, sample_weight, where)
    return xp, as_float(xp, cosine, dtype)


# Segmentation masks and boxes


def sum_axes(name: str, axis: Any, ndim: int) -> tuple[int, ...] | None:
    """``axis`` (``None``, an int or a non-empty tuple of distinct ints) as non-negative axes."""
    if axis is None:
        return None
    if isinstance(axis, tuple):
        if not axis:
            raise ValueError(f"{name}: axis must be None, an int or a non-empty tuple of "
                             f"ints; got ()")
        axes = tuple(normalize_axis(name, a, ndim) for a in axis)
    elif isinstance(axis, list):
        raise TypeError(f"{name}: axis must be None, an int or a non-empty tuple of ints; "
                        f"got the list {axis!r}")
    else:
        axes = (normalize_axis(name, axis, ndim),)
    if len(set(axes)) != len(axes):
        raise ValueError(f"{name}: axis must not repeat an axis; got {axis!r}")
    return axes


def mask_pair(name: str, input: Any, target: Any, axis: Any, reduction: Any,
              sample_weight: Any, where: Any,
              ) -> tuple[ModuleType, Array, Array, tuple[int, ...] | None]:
    """Probabilities and a mask of one shape: ``(xp, input, target, axes)``, in input's dtype."""
    xp = get_namespace(input, target, sample_weight, where, name=name)
    check_array(name, "input", input)
    dtype = float_dtype(name, xp, input=input)
    check_same_shape(name, input=input, target=target)
    check_reduction(name, reduction)
    check_weighting(name, xp, sample_weight, where)
    axes = sum_axes(name, axis, input.ndim)
    return xp, as_float(xp, input, dtype), real_as(name, xp, "target", target, dtype), axes


def box_pairs(name: str, boxes1: Any, boxes2: Any, eps: Any, reduction: Any,
              sample_weight: Any, where: Any) -> tuple[ModuleType, Array, Array, float]:
    """Two ``(..., 4)`` box arrays of one shape: ``(xp, boxes1, boxes2, eps)``, cast."""
    xp = get_namespace(boxes1, boxes2, sample_weight, where, name=name)
    check_array(name, "boxes1", boxes1)
    check_array(name, "boxes2", boxes2)
    dtype = float_dtype(name, xp, boxes1=boxes1)
    check_real_dtype(name, xp, "boxes2", boxes2)
    for argument, boxes in (("boxes1", boxes1), ("boxes2", boxes2)):
        shape = shape_of(boxes)
        if not shape or shape[-1] != 4:
            raise ValueError(f"{name}: {argument} must have shape (..., 4) of (x1, y1, x2, "
                             f"y2) boxes; got {shape}")
    check_same_shape(name, boxes1=boxes1, boxes2=boxes2)
    eps = check_positive(name, "eps", eps, allow_zero=True)
    check_reduction(name, reduction)
    check_weighting(name, xp, sample_weight, where)
    return xp, as_float(xp, boxes1, dtype), as_float(xp, boxes2, dtype), eps


# Sequences


def static_lengths(name: str, argument: str, lengths: Any) -> tuple[int, ...] | None:
    """``lengths`` as a tuple of Python ints when given as an int or a tuple/list, else ``None``."""
    if isinstance(lengths, bool | float | complex):
        raise TypeError(f"{name}: {argument} must be an integer array or a tuple of ints; "
                        f"got {lengths!r}")
    if isinstance(lengths, int):
        return (lengths,)
    if not isinstance(lengths, Sequence):
        return None
    try:
        values = tuple(operator.index(v) for v in lengths if not isinstance(v, bool))
    except TypeError:
        values = ()
    if len(values) != len(lengths):
        raise TypeError(f"{name}: {argument} must be an integer array or a tuple of ints; "
                        f"got {lengths!r}")
    if any(v < 0 for v in values):
        raise ValueError(f"{name}: {argument} must be non-negative; got {values}")
    return values


def length_array(name: str, xp: ModuleType, argument: str, lengths: Any,
                 static: tuple[int, ...] | None, batch: int, unbatched: bool,
                 device: Any) -> Array:
    """The lengths as an array of shape ``(batch,)`` in the namespace's index dtype (int64, or
    int32 on JAX without x64), after checking their shape and dtype."""
    if static is not None:
        if len(static) != batch:
            raise ValueError(f"{name}: {argument} must hold {batch} lengths (one per sample); "
                             f"got {len(static)}")
        return xp.asarray(static, dtype=index_dtype(xp), device=device)
    if not is_dtype(xp, lengths.dtype, "integral"):
        raise TypeError(f"{name}: {argument} must be an integer array or a tuple of ints; "
                        f"got dtype {lengths.dtype}")
    expected = "shape () or (1,)" if unbatched else f"shape ({batch},)"
    sizes = tuple(lengths.shape)  # compared size by size: torch.compile's symbolic sizes
    if not (sizes in ((), (1,)) if unbatched else len(sizes) == 1 and sizes[0] == batch):
        raise ValueError(f"{name}: {argument} must have {expected}; "
                         f"got shape {tuple(lengths.shape)}")
    # -1: the batch size may be unknown (tf.function)
    return xp.astype(xp.reshape(lengths, (-1,)), index_dtype(xp))


class CTCInputs(NamedTuple):
    """A validated ``ctc_loss`` call: see :func:`ctc_inputs`."""

    xp: ModuleType
    log_probs: Array
    targets: Array
    input_lengths: Array
    target_lengths: Array
    blank: int
    zero_infinity: bool
    unbatched: bool
    max_length: int
    device: Any


def ctc_inputs(name: str, log_probs: Any, targets: Any, input_lengths: Any,
               target_lengths: Any, blank: Any, zero_infinity: Any, reduction: Any,
               sample_weight: Any, where: Any) -> CTCInputs:
    """``(T, N, C)`` log-probabilities, ``(N, S)`` or 1-D targets, ``(N,)`` lengths, ``S_max``."""
    arrays = [x for x in (log_probs, targets, input_lengths, target_lengths)
              if not isinstance(x, int | Sequence)]
    xp = get_namespace(*arrays, sample_weight, where, name=name)
    check_array(name, "log_probs", log_probs)
    float_dtype(name, xp, log_probs=log_probs)
    check_ndim(name, "log_probs", log_probs, (2, 3))
    check_reduction(name, reduction)
    zero_infinity = check_flag(name, "zero_infinity", zero_infinity)
    check_weighting(name, xp, sample_weight, where)
    check_array(name, "targets", targets)
    check_index_dtype(name, xp, "targets", targets)
    num_classes = log_probs.shape[-1]
    blank = check_int(name, "blank", blank, minimum=0,
                      maximum=None if num_classes is None else num_classes - 1)
    device = array_api_compat.device(log_probs)
    check_ndim(name, "targets", targets, (1, 2))
    unbatched = log_probs.ndim == 2
    if unbatched:
        log_probs = xp.expand_dims(log_probs, axis=1)
        if targets.ndim == 1:
            targets = xp.expand_dims(targets, axis=0)
    steps, batch = log_probs.shape[0], log_probs.shape[1]
    unreduced = () if unbatched else (batch,)
    check_broadcastable(name, "sample_weight", sample_weight, unreduced)
    check_broadcastable(name, "where", where, unreduced)
    concatenated = targets.ndim == 1
    if not concatenated and targets.shape[0] != batch:
        raise ValueError(f"{name}: targets must have {batch} rows (the batch axis of "
                         f"log_probs); got shape {tuple(targets.shape)}")
    static_inputs = static_lengths(name, "input_lengths", input_lengths)
    static_targets = static_lengths(name, "target_lengths", target_lengths)
    input_lengths = length_array(name, xp, "input_lengths", input_lengths, static_inputs,
                                 batch, unbatched, device)
    target_lengths = length_array(name, xp, "target_lengths", target_lengths, static_targets,
                                  batch, unbatched, device)
    if static_inputs is not None and max(static_inputs, default=0) > steps:
        raise ValueError(f"{name}: input_lengths must be at most T = {steps} (the time axis "
                         f"of log_probs); got {static_inputs}")
    if concatenated:
        total = targets.shape[0]
        if static_targets is not None:
            if sum(static_targets) != total:
                raise ValueError(f"{name}: target_lengths must sum to the length of the "
                                 f"concatenated targets ({total}); got {static_targets}")
            max_length = max(static_targets, default=0)
        else:
            max_length = min(total, steps)
    else:
        max_length = targets.shape[1]
        if static_targets is not None and max(static_targets, default=0) > max_length:
            raise ValueError(f"{name}: target_lengths must be at most S = {max_length} (the "
                             f"label axis of targets); got {static_targets}")
    return CTCInputs(xp, log_probs, targets, input_lengths, target_lengths, blank,
                     zero_infinity, unbatched, max_length, device)


# Structured: feature maps and adaptive softmax


def feature_pairs(name: str, input_features: Any, target_features: Any, weights: Any,
                  reduction: Any, sample_weight: Any, where: Any,
                  ) -> tuple[ModuleType, list[tuple[Array, Array]], list[float]]:
    """Per-layer feature maps, batch axis first: ``(xp, [(input, target), ...], weights)``."""
    for argument, features in (("input_features", input_features),
                               ("target_features", target_features)):
        if not isinstance(features, list | tuple):
            raise TypeError(f"{name}: {argument} must be a non-empty list or tuple of feature "
                            f"maps; got {type(features).__name__}")
        if not features:
            raise ValueError(f"{name}: {argument} must be a non-empty list or tuple of feature "
                             f"maps; got an empty {type(features).__name__}")
    layers = len(input_features)
    if len(target_features) != layers:
        raise ValueError(f"{name}: target_features must have one feature map per layer of "
                         f"input_features ({layers}); got {len(target_features)}")
    if weights is None:
        layer_weights = [1.0] * layers
    else:
        if not isinstance(weights, list | tuple):
            raise TypeError(f"{name}: weights must be None or a list or tuple of {layers} "
                            f"numbers (one per layer); got {type(weights).__name__}")
        if len(weights) != layers:
            raise ValueError(f"{name}: weights must hold {layers} numbers (one per layer of "
                             f"input_features); got {len(weights)}")
        layer_weights = [check_positive(name, f"weights[{i}]", w, allow_zero=True)
                         for i, w in enumerate(weights)]
    check_reduction(name, reduction)
    xp = get_namespace(*input_features, *target_features, sample_weight, where, name=name)
    named = {f"input_features[{i}]": x for i, x in enumerate(input_features)}
    named.update({f"target_features[{i}]": y for i, y in enumerate(target_features)})
    for argument, x in named.items():
        check_array(name, argument, x)
    dtype = float_dtype(name, xp, **named)
    check_weighting(name, xp, sample_weight, where)
    batch = shape_of(input_features[0])[:1]
    pairs: list[tuple[Array, Array]] = []
    for i, (x, y) in enumerate(zip(input_features, target_features, strict=True)):
        check_same_shape(name, **{f"input_features[{i}]": x, f"target_features[{i}]": y})
        shape = shape_of(x)
        if not shape or shape[:1] != batch:
            raise ValueError(f"{name}: input_features[{i}] must have the batch axis of "
                             f"input_features[0] {batch} first; got shape {shape}")
        pairs.append((as_float(xp, x, dtype), as_float(xp, y, dtype)))
    return xp, pairs, layer_weights


def check_cutoffs(name: str, cutoffs: Any) -> list[int]:
    """``cutoffs`` as Python ints: a non-empty list or tuple, positive, strictly increasing."""
    expected = "a non-empty list or tuple of unique, increasing positive ints"
    if not isinstance(cutoffs, list | tuple):
        raise TypeError(f"{name}: cutoffs must be {expected}; got {type(cutoffs).__name__}")
    values = [check_int(name, f"cutoffs[{i}]", c) for i, c in enumerate(cutoffs)]
    if not values or values != sorted(set(values)) or values[0] <= 0:
        raise ValueError(f"{name}: cutoffs must be {expected}; got {cutoffs!r}")
    return values


def weight_pairs(name: str, tail_weights: Any) -> list[tuple[Array, Array]]:
    """``tail_weights`` as a list of ``(proj, out)`` pairs: ``TypeError`` otherwise."""
    if not isinstance(tail_weights, list | tuple) or not all(
            isinstance(pair, list | tuple) and len(pair) == 2 for pair in tail_weights):
        raise TypeError(f"{name}: tail_weights must be a list or tuple of (proj, out) weight "
                        f"pairs; got {type(tail_weights).__name__}")
    return [(proj, out) for proj, out in tail_weights]


class AdaptiveSoftmax(NamedTuple):
    """A validated ``adaptive_log_softmax_loss`` call: see :func:`adaptive_softmax`."""

    xp: ModuleType
    input: Array
    head_weight: Array
    head_bias: Array | None
    tail_weights: list[tuple[Array, Array]]
    bounds: list[int]


def adaptive_softmax(name: str, input: Any, target: Any, head_weight: Any, tail_weights: Any,
                     cutoffs: Any, head_bias: Any, div_value: Any, reduction: Any,
                     sample_weight: Any, where: Any) -> AdaptiveSoftmax:
    """Hidden states, targets, head and tail weights, cast; bounds ``[*cutoffs, n_classes]``."""
    xp = get_namespace(input, target, head_weight, head_bias, sample_weight, where,
                       *(w for pair in weight_pairs(name, tail_weights) for w in pair),
                       name=name)
    check_array(name, "input", input)
    check_array(name, "target", target)
    check_index_dtype(name, xp, "target", target)
    check_reduction(name, reduction)
    check_weighting(name, xp, sample_weight, where)
    div_value = check_positive(name, "div_value", div_value)
    cutoffs = check_cutoffs(name, cutoffs)
    if input.ndim != target.ndim + 1 or target.ndim > 1:
        raise ValueError(f"{name}: input must have shape (N, F) with target (N,), or (F,) with "
                         f"a 0-d target; got input {shape_of(input)} and target "
                         f"{shape_of(target)}")
    if target.ndim == 1 and shape_of(input)[0] != shape_of(target)[0]:
        raise ValueError(f"{name}: target must have the batch size of input "
                         f"{shape_of(input)[0]}; got {shape_of(target)}")
    features = shape_of(input)[-1]
    if features is None:
        raise ValueError(f"{name}: input must have a static feature size (last axis); got "
                         f"shape {shape_of(input)}")
    clusters = len(cutoffs)
    if len(tail_weights) != clusters:
        raise ValueError(f"{name}: tail_weights must have one (proj, out) pair per cutoff "
                         f"({clusters}); got {len(tail_weights)}")
    head_size = cutoffs[0] + clusters
    check_shape(name, "head_weight", head_weight, (head_size, features))
    if head_bias is not None:
        check_shape(name, "head_bias", head_bias, (head_size,))
    for i, (proj, out) in enumerate(tail_weights):
        hidden = int(features // div_value ** (i + 1))
        check_shape(name, f"tail_weights[{i}][0] (div_value={div_value})", proj,
                    (hidden, features))
        size = cutoffs[i + 1] - cutoffs[i] if i + 1 < clusters else shape_of(out)[0]
        if size is not None and size < 1:
            raise ValueError(f"{name}: tail_weights[{i}][1] must have at least one row (the "
                             f"last cluster's classes); got shape {shape_of(out)}")
        check_shape(name, f"tail_weights[{i}][1]", out, (size, hidden))
    last_size = shape_of(tail_weights[-1][1])[0]
    if last_size is None:
        raise ValueError(f"{name}: tail_weights[{clusters - 1}][1] must have a static number "
                         f"of rows (the last cluster's classes); got shape "
                         f"{shape_of(tail_weights[-1][1])}")
    named = {f"tail_weights[{i}][{j}]": w for i, pair in enumerate(tail_weights)
             for j, w in enumerate(pair)}
    dtype = float_dtype(name, xp, input=input, head_weight=head_weight, head_bias=head_bias,
                        **named)
    tails = [(as_float(xp, proj, dtype), as_float(xp, out, dtype)) for proj, out in tail_weights]
    return AdaptiveSoftmax(xp, as_float(xp, input, dtype), as_float(xp, head_weight, dtype),
                           as_float(xp, head_bias, dtype), tails,
                           [*cutoffs, cutoffs[-1] + last_size])


# GAN


def real_fake(name: str, real: Any, fake: Any, reduction: Any, sample_weight: Any,
              where: Any) -> tuple[ModuleType, Array, Array]:
    """Real and fake outputs: ``(xp, real, fake)``; one shape for ``"none"`` or weights."""
    xp = get_namespace(real, fake, sample_weight, where, name=name)
    check_array(name, "real", real)
    check_array(name, "fake", fake)
    dtype = float_dtype(name, xp, real=real, fake=fake)
    check_reduction(name, reduction)
    check_weighting(name, xp, sample_weight, where)
    if reduction == "none" or sample_weight is not None or where is not None:
        check_same_shape(name, real=real, fake=fake)
    return xp, as_float(xp, real, dtype), as_float(xp, fake, dtype)


def fake_scores(name: str, fake: Any, reduction: Any, sample_weight: Any,
                where: Any) -> tuple[ModuleType, Array]:
    """Discriminator outputs on generated samples: ``(xp, fake)`` in its float dtype."""
    xp = get_namespace(fake, sample_weight, where, name=name)
    check_array(name, "fake", fake)
    dtype = float_dtype(name, xp, fake=fake)
    check_reduction(name, reduction)
    check_weighting(name, xp, sample_weight, where)
    return xp, as_float(xp, fake, dtype)


def penalty_gradients(name: str, gradients: Any, target: Any, reduction: Any,
                      sample_weight: Any, where: Any) -> tuple[ModuleType, Array, float]:
    """Gradients with a batch axis ``(N, ...)`` and the target norm: ``(xp, gradients, target)``."""
    xp = get_namespace(gradients, sample_weight, where, name=name)
    check_array(name, "gradients", gradients)
    dtype = float_dtype(name, xp, gradients=gradients)
    if gradients.ndim < 1:
        raise ValueError(f"{name}: gradients must have a batch axis, shape (N, ...); got shape "
                         f"{tuple(gradients.shape)}")
    target = check_positive(name, "target", target, allow_zero=True)
    check_reduction(name, reduction)
    check_weighting(name, xp, sample_weight, where)
    return xp, as_float(xp, gradients, dtype), target


def critic_losses(name: str, real_loss: Any, fake_loss: Any, distance: Any, lam: Any,
                  reduction: Any, sample_weight: Any, where: Any,
                  ) -> tuple[ModuleType, Array, Array, Array, float]:
    """Learned losses and margins of one shape: ``(xp, real_loss, fake_loss, distance, lam)``."""
    xp = get_namespace(real_loss, fake_loss, distance, sample_weight, where, name=name)
    check_array(name, "real_loss", real_loss)
    check_array(name, "fake_loss", fake_loss)
    dtype = float_dtype(name, xp, real_loss=real_loss, fake_loss=fake_loss, distance=distance)
    check_same_shape(name, real_loss=real_loss, fake_loss=fake_loss, distance=distance)
    lam = check_positive(name, "lam", lam, allow_zero=True)
    check_reduction(name, reduction)
    check_weighting(name, xp, sample_weight, where)
    return (xp, as_float(xp, real_loss, dtype), as_float(xp, fake_loss, dtype),
            as_float(xp, distance, dtype), lam)


# Regression


def match_variance(name: str, xp: ModuleType, shape: tuple[int | None, ...], var: Array) -> Array:
    """``var`` broadcastable to ``shape`` by torch's ``gaussian_nll_loss`` rules, or ValueError."""
    var_shape = shape_of(var)
    if var_shape == shape:
        return var
    if len(shape) >= 1 and var_shape == shape[:-1]:
        return xp.expand_dims(var, axis=-1)
    mismatched = [v for s, v in zip(shape, var_shape, strict=False) if s != v]
    if len(var_shape) == len(shape) and mismatched == [1]:
        return var
    raise ValueError(
        f"{name}: var must have the shape of input {shape}, that shape without its "
        f"last axis, or that shape with one axis of size 1; got {var_shape}"
    )


def gaussian_inputs(name: str, input: Any, target: Any, var: Any, reduction: Any,
                    sample_weight: Any, where: Any) -> tuple[ModuleType, Array, Array, Array]:
    """Means, samples and variances: ``(xp, input, target, var)``, ``var`` shaped to broadcast."""
    xp = get_namespace(input, target, var, sample_weight, where, name=name)
    check_array(name, "input", input)
    dtype = float_dtype(name, xp, input=input, var=None if _is_python_scalar(var) else var)
    check_same_shape(name, input=input, target=target)
    if _is_python_scalar(var):
        var = check_positive(name, "var", var, allow_zero=True)
    else:
        var = match_variance(name, xp, shape_of(input), var)
    check_reduction(name, reduction)
    check_weighting(name, xp, sample_weight, where)
    return (xp, as_float(xp, input, dtype), real_as(name, xp, "target", target, dtype),
            as_float(xp, var, dtype))


# Class ids: the one rule for an id outside [0, C)


def _first_bad_id(values: Any, n_classes: int, ignore_index: int | None, blank: int | None,
                  unread: Any) -> int | None:
    """The first (row-major) invalid id of the NumPy ``values``, or ``None``."""
    bad = (values < 0) | (values >= n_classes)
    if blank is not None:
        bad |= values == blank
    if ignore_index is not None:
        bad &= values != ignore_index
    if unread is not None:
        bad &= ~unread
    positions = np.flatnonzero(bad)
    return int(values.reshape(-1)[positions[0]]) if positions.size else None


def class_ids(name: str, xp: ModuleType, argument: str, ids: Array, n_classes: int | None, *,
              ignore_index: int | None = None, blank: int | None = None,
              unread: Array | None = None, note: str = "",
              kind: str = "class id") -> tuple[Array, Array | None]:
    """Apply the rule for class ids outside ``[0, n_classes)``: ``(ids, bad)``.

    An id outside ``[0, n_classes)`` (or equal to ``blank``) that is not ``ignore_index`` and not
    at an ``unread`` position (padding past a list's end) never gives a finite loss. Where the
    ids can be read now (:func:`omniloss._primitives.values_now`: NumPy, array-api-strict, CPU
    arrays outside tracing) it raises ``ValueError`` naming the first one, and returns
    ``(ids, None)``. Otherwise (tracers, graph tensors, accelerators, Dask) nothing is read: it
    returns the ids with every invalid one replaced by 0 (a safe gather) and the boolean mask
    ``bad`` of those positions, for :func:`nan_where` on the unreduced loss. CTC's lengths
    follow the same rule (``kind="length"``, ``n_classes`` one above the largest length).
    """
    ids, bad, _ = _checked_ids(name, xp, argument, ids, n_classes, ignore_index=ignore_index,
                               blank=blank, unread=unread, note=note, kind=kind)
    return ids, bad


def class_targets(name: str, xp: ModuleType, ids: Array, n_classes: int | None,
                  ignore_index: int) -> tuple[Array, Array | None, int | None]:
    """:func:`class_ids` of a ``target`` argument with an ``ignore_index``, and the
    ``ignore_index`` left to apply: ``None`` where the ids were read, each in
    ``[0, n_classes)``, and ``ignore_index`` lies outside that range, so that no position can be
    ignored and the loss needs no mask of them (``cross_entropy``'s mean on TensorFlow: 3
    operations instead of 9, each 10 to 50 us eagerly; docs/benchmarks-overhead.md)."""
    ids, bad, in_range = _checked_ids(name, xp, "target", ids, n_classes,
                                      ignore_index=ignore_index)
    # in_range: n_classes is known and every id lies below it
    if in_range and n_classes is not None and not 0 <= ignore_index < n_classes:
        return ids, bad, None
    return ids, bad, ignore_index


def _checked_ids(name: str, xp: ModuleType, argument: str, ids: Array, n_classes: int | None,
                 *, ignore_index: int | None = None, blank: int | None = None,
                 unread: Array | None = None, note: str = "",
                 kind: str = "class id") -> tuple[Array, Array | None, bool]:
    """:func:`class_ids`, and whether every id was read to lie in ``[0, n_classes)``."""
    if n_classes is None:  # an unknown class count under tf.function: nothing to compare with
        return ids, None, False
    if blank is None:  # the common case, every id in range: read their extremes only
        extremes = id_range(xp, ids)
        if extremes is not None and extremes[0] >= 0 and extremes[1] < n_classes:
            return ids, None, True
    values = values_now(xp, ids)
    if values is not None:
        mask = None if unread is None else values_now(xp, unread)
        if unread is None or mask is not None:
            first = _first_bad_id(values, n_classes, ignore_index, blank, mask)
            if first is not None:
                allowed = f"[0, {n_classes})" + ("" if blank is None
                                                 else f" or equal to blank={blank}")
                ignored = "" if ignore_index is None else f" (ignore_index={ignore_index})"
                raise ValueError(f"{name}: {argument} holds {kind} {first} outside "
                                 f"{allowed}{ignored}{note}")
            return ids, None, False
    info = xp.iinfo(ids.dtype)
    bad = ids >= n_classes if n_classes <= info.max else xp.zeros_like(ids, dtype=xp.bool)
    if info.min < 0:
        bad = bad | (ids < 0)
    if blank is not None:
        bad = bad | (ids == blank)
    if ignore_index is not None and info.min <= ignore_index <= info.max:
        bad = bad & (ids != ignore_index)
    if unread is not None:
        bad = bad & ~unread
    return xp.where(bad, xp.zeros_like(ids), ids), bad, False


def nan_where(xp: ModuleType, loss: Array, bad: Array | None) -> Array:
    """The unreduced ``loss`` with NaN where ``bad`` (from :func:`class_ids`) holds."""
    return loss if bad is None else xp.where(bad, math.nan, loss)
