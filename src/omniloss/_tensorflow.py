"""An Array API namespace over ``tf.Tensor``.

TensorFlow has no Array API namespace of its own and array-api-compat does not wrap it, so this
module is one: every function takes and returns ``tf.Tensor`` values, binary functions promote
their arguments with the standard's type-promotion rules (``tf.add`` would refuse ``float32 +
float64``), Python scalars take the dtype of the array beside them, and everything is built from
TensorFlow ops, so it runs eagerly, inside ``tf.function`` and under ``tf.GradientTape``.

It covers the standard's (2023.12, plus ``take_along_axis``, ``diff``, ``cumulative_prod``,
``count_nonzero`` and ``reciprocal`` of 2024.12) creation, data-type, elementwise, statistical,
searching, sorting, manipulation, indexing, linear-algebra, utility and inspection functions;
not the ``unique_*`` set functions, nor the ``linalg`` and ``fft`` extensions. Integer dtypes use
TensorFlow's kernels, which exist for fewer dtypes than float ones (for example no ``uint32`` sum
on CPU). The tensors themselves are TensorFlow's: ``x.shape`` is a ``TensorShape`` and operators
such as ``+`` do not promote (``float32 + float64`` fails), so mixed dtypes go through these
functions.

The module is imported only when a TensorFlow tensor reaches :func:`omniloss.get_namespace`.
"""

from __future__ import annotations

import builtins
import math
from collections.abc import Callable, Sequence
from typing import Any

import ml_dtypes
import numpy as np
import tensorflow as tf

__array_api_version__ = "2023.12"

Array = Any
DType = Any

bool = tf.bool
int8, int16, int32, int64 = tf.int8, tf.int16, tf.int32, tf.int64
uint8, uint16, uint32, uint64 = tf.uint8, tf.uint16, tf.uint32, tf.uint64
float16, bfloat16, float32, float64 = tf.float16, tf.bfloat16, tf.float32, tf.float64
complex64, complex128 = tf.complex64, tf.complex128

e = math.e
inf = math.inf
nan = math.nan
pi = math.pi
newaxis = None

_SIGNED = (int8, int16, int32, int64)
_UNSIGNED = (uint8, uint16, uint32, uint64)
_REAL_FLOATING = (float16, bfloat16, float32, float64)
_COMPLEX = (complex64, complex128)
_DEFAULT_FLOAT = float32
_DEFAULT_INT = int64
_PYTHON_DEFAULTS = {"f": _DEFAULT_FLOAT, "c": complex64, "i": _DEFAULT_INT}
"""The dtype of a sequence of Python numbers, by the NumPy kind it converts to."""


def _bits(dtype: DType) -> int:
    return int(dtype.size) * 8


def _promote_pair(a: DType, b: DType) -> DType:
    if a == b:
        return a
    if a == bool or b == bool:
        raise TypeError(f"no promotion between {a.name} and {b.name}")
    a_float = a in _REAL_FLOATING or a in _COMPLEX
    b_float = b in _REAL_FLOATING or b in _COMPLEX
    if a_float != b_float:
        return a if a_float else b
    if a_float:
        if a in _COMPLEX or b in _COMPLEX:
            wide = builtins.max(_bits(a) // (2 if a in _COMPLEX else 1),
                                _bits(b) // (2 if b in _COMPLEX else 1))
            return complex128 if wide == 64 else complex64
        if {a, b} == {float16, bfloat16}:
            return float32
        return a if _bits(a) > _bits(b) else b
    if (a in _SIGNED) == (b in _SIGNED):
        return a if _bits(a) > _bits(b) else b
    signed, unsigned = (a, b) if a in _SIGNED else (b, a)
    if _bits(signed) > _bits(unsigned):
        return signed
    if _bits(unsigned) == 64:
        raise TypeError(f"no promotion between {a.name} and {b.name}")
    return {8: int16, 16: int32, 32: int64}[_bits(unsigned)]


def _scalar_dtype(value: Any) -> DType:
    if isinstance(value, builtins.bool):
        return bool
    if isinstance(value, int):
        return _DEFAULT_INT
    if isinstance(value, complex):
        return complex64
    return _DEFAULT_FLOAT


def _is_scalar(value: Any) -> builtins.bool:
    return isinstance(value, (builtins.bool, int, float, complex))


def _scalar_into(value: Any, dtype: DType) -> DType:
    """The dtype a Python scalar takes next to an array of ``dtype``."""
    if dtype == bool:
        return _scalar_dtype(value)
    if isinstance(value, int):
        return dtype
    if isinstance(value, float):
        return dtype if dtype in _REAL_FLOATING or dtype in _COMPLEX else _DEFAULT_FLOAT
    if dtype in _COMPLEX:
        return dtype
    return complex128 if dtype == float64 else complex64


def _dtype_of(x: Any) -> DType:
    """The TensorFlow dtype of an array, or of a dtype given as TF, NumPy or a string."""
    if isinstance(x, (tf.DType, np.dtype, type, str)):
        return tf.as_dtype(x)
    return tf.as_dtype(x.dtype)


def result_type(*arrays_and_dtypes: Any) -> DType:
    """The dtype the standard's promotion rules give for these arrays, dtypes and scalars."""
    dtypes = [_dtype_of(x) for x in arrays_and_dtypes if not _is_scalar(x)]
    scalars = [x for x in arrays_and_dtypes if _is_scalar(x)]
    if not dtypes:
        if not scalars:
            raise ValueError("result_type needs at least one array, dtype or scalar")
        dtypes = [_scalar_dtype(scalars.pop(0))]
    result = dtypes[0]
    for dtype in dtypes[1:]:
        result = _promote_pair(result, dtype)
    for value in scalars:
        result = _scalar_into(value, result)
    return result


def _promote(*args: Any) -> list[Array]:
    """``args`` (tensors and Python scalars) as tensors of their promoted dtype."""
    dtype = result_type(*args)
    return [x if isinstance(x, tf.Tensor) and x.dtype == dtype else asarray(x, dtype=dtype)
            for x in args]


def _as_tensor(x: Any) -> Array:
    return x if isinstance(x, (tf.Tensor, tf.Variable)) else tf.convert_to_tensor(x)


def _axes(axis: int | Sequence[int] | None) -> int | list[int] | None:
    """``axis`` as TensorFlow's reductions take it fastest: one axis as an int (a list is 3x
    slower in eager mode)."""
    if axis is None or isinstance(axis, int):
        return axis
    return axis[0] if len(axis) == 1 else list(axis)


# Creation


def asarray(obj: Any, /, *, dtype: DType | None = None, device: Any = None,
            copy: builtins.bool | None = None) -> Array:
    """Convert ``obj`` (tensor, NumPy array, nested sequence or scalar) to a tensor.

    Python floats and nested sequences of them become float32 (the default floating dtype),
    Python ints int64; NumPy arrays keep their dtype. ``dtype`` converts as ``astype`` does.
    """
    if isinstance(obj, (tf.Tensor, tf.Variable)):
        tensor = tf.convert_to_tensor(obj)
        if dtype is not None and tensor.dtype != dtype:
            return astype(tensor, dtype)
        return tf.identity(tensor) if copy else tensor
    if dtype is None and _is_scalar(obj):
        dtype = _scalar_dtype(obj)
    elif dtype is None and not isinstance(obj, np.ndarray | np.generic):
        obj = np.asarray(obj)
        dtype = _PYTHON_DEFAULTS.get(obj.dtype.kind)
    return tf.convert_to_tensor(np.asarray(obj, dtype=None if dtype is None
                                           else tf.as_dtype(dtype).as_numpy_dtype))


def _default(dtype: DType | None) -> DType:
    return _DEFAULT_FLOAT if dtype is None else dtype


def _shape(shape: int | Sequence[int]) -> list[int]:
    return [shape] if isinstance(shape, int) else list(shape)


def zeros(shape: int | Sequence[int], *, dtype: DType | None = None, device: Any = None) -> Array:
    return tf.zeros(_shape(shape), dtype=_default(dtype))


def ones(shape: int | Sequence[int], *, dtype: DType | None = None, device: Any = None) -> Array:
    return tf.ones(_shape(shape), dtype=_default(dtype))


def empty(shape: int | Sequence[int], *, dtype: DType | None = None, device: Any = None) -> Array:
    return zeros(shape, dtype=dtype)


def full(shape: int | Sequence[int], fill_value: Any, *, dtype: DType | None = None,
         device: Any = None) -> Array:
    dtype = _scalar_dtype(fill_value) if dtype is None else dtype
    return tf.fill(_shape(shape), tf.constant(fill_value, dtype=dtype))


def zeros_like(x: Array, /, *, dtype: DType | None = None, device: Any = None) -> Array:
    return tf.zeros_like(x, dtype=dtype)


def ones_like(x: Array, /, *, dtype: DType | None = None, device: Any = None) -> Array:
    return tf.ones_like(x, dtype=dtype)


def empty_like(x: Array, /, *, dtype: DType | None = None, device: Any = None) -> Array:
    return tf.zeros_like(x, dtype=dtype)


def full_like(x: Array, /, fill_value: Any, *, dtype: DType | None = None,
              device: Any = None) -> Array:
    dtype = x.dtype if dtype is None else dtype
    return tf.fill(tf.shape(x), tf.constant(fill_value, dtype=dtype))


def arange(start: Any, /, stop: Any = None, step: Any = 1, *, dtype: DType | None = None,
           device: Any = None) -> Array:
    if stop is None:
        start, stop = 0, start
    if dtype is None:
        floating = builtins.any(isinstance(v, float) for v in (start, stop, step))
        dtype = _DEFAULT_FLOAT if floating else _DEFAULT_INT
    return tf.range(start, stop, step, dtype=dtype)


def linspace(start: Any, stop: Any, /, num: int, *, dtype: DType | None = None,
             device: Any = None, endpoint: builtins.bool = True) -> Array:
    """``num`` evenly spaced numbers from ``start`` to ``stop`` (computed in float64)."""
    values = np.linspace(start, stop, num, endpoint=endpoint)
    return tf.constant(values.astype(_default(dtype).as_numpy_dtype))


def eye(n_rows: int, n_cols: int | None = None, /, *, k: int = 0, dtype: DType | None = None,
        device: Any = None) -> Array:
    n_cols = n_rows if n_cols is None else n_cols
    rows = tf.range(n_rows)[:, None]
    cols = tf.range(n_cols)[None, :]
    return tf.cast(cols - rows == k, _default(dtype))


def meshgrid(*arrays: Array, indexing: str = "xy") -> list[Array]:
    """Coordinate grids from 1-D ``arrays`` (``"xy"``: Cartesian, ``"ij"``: matrix indexing)."""
    return list(tf.meshgrid(*arrays, indexing=indexing))


def from_dlpack(x: Any, /, *, device: Any = None, copy: builtins.bool | None = None) -> Array:
    """A tensor sharing the memory of ``x``, any object with ``__dlpack__``."""
    return tf.experimental.dlpack.from_dlpack(x.__dlpack__())


def tril(x: Array, /, *, k: int = 0) -> Array:
    rows = tf.range(tf.shape(x)[-2])[:, None]
    cols = tf.range(tf.shape(x)[-1])[None, :]
    return tf.where(cols - rows <= k, x, tf.zeros_like(x))


def triu(x: Array, /, *, k: int = 0) -> Array:
    rows = tf.range(tf.shape(x)[-2])[:, None]
    cols = tf.range(tf.shape(x)[-1])[None, :]
    return tf.where(cols - rows >= k, x, tf.zeros_like(x))


# Data types


class finfo:  # noqa: N801
    """Limits of a floating dtype: ``bits``, ``eps``, ``max``, ``min``, ``smallest_normal``.

    For a complex dtype they are those of its real component, whose dtype ``dtype`` is.
    """

    def __init__(self, dtype: DType | Array) -> None:
        info = ml_dtypes.finfo(_dtype_of(dtype).as_numpy_dtype)  # type: ignore[no-untyped-call]
        self.bits = int(info.bits)
        self.eps = float(info.eps)
        self.max = float(info.max)
        self.min = float(info.min)
        self.smallest_normal = float(info.smallest_normal)
        self.dtype = tf.as_dtype(info.dtype)


class iinfo:  # noqa: N801
    """Machine limits of an integer dtype (``bits``, ``max``, ``min``)."""

    def __init__(self, dtype: DType | Array) -> None:
        dtype = _dtype_of(dtype)
        info = np.iinfo(dtype.as_numpy_dtype)
        self.bits = int(info.bits)
        self.max = int(info.max)
        self.min = int(info.min)
        self.dtype = dtype


_KINDS: dict[str, tuple[DType, ...]] = {
    "bool": (bool,),
    "signed integer": _SIGNED,
    "unsigned integer": _UNSIGNED,
    "integral": _SIGNED + _UNSIGNED,
    "real floating": _REAL_FLOATING,
    "complex floating": _COMPLEX,
    "numeric": _SIGNED + _UNSIGNED + _REAL_FLOATING + _COMPLEX,
}


def isdtype(dtype: DType, kind: DType | str | tuple[DType | str, ...]) -> builtins.bool:
    """Whether ``dtype`` is of ``kind``: a dtype, a kind name such as ``"integral"``, or a tuple."""
    if isinstance(kind, tuple):
        return builtins.any(isdtype(dtype, k) for k in kind)
    if isinstance(kind, str):
        if kind not in _KINDS:
            raise ValueError(f"isdtype: unknown kind {kind!r}; expected one of {sorted(_KINDS)}")
        return dtype in _KINDS[kind]
    return builtins.bool(dtype == kind)


def can_cast(from_: DType | Array, to: DType, /) -> builtins.bool:
    """Whether the promotion rules turn ``from_`` into ``to`` (so the cast loses nothing)."""
    source = _dtype_of(from_)
    try:
        return builtins.bool(_promote_pair(source, to) == to)
    except TypeError:
        return False


def astype(x: Array, dtype: DType, /, *, copy: builtins.bool = True, device: Any = None) -> Array:
    x = _as_tensor(x)
    if x.dtype == dtype:
        return tf.identity(x) if copy else x
    if dtype == bool:
        return tf.not_equal(x, tf.zeros((), x.dtype))
    return tf.cast(x, dtype)


# Elementwise


def _unary(tf_fn: Callable[[Array], Array], name: str) -> Callable[[Array], Array]:
    def fn(x: Array, /) -> Array:
        return tf_fn(_as_tensor(x))

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"Elementwise ``{name}`` (``{getattr(tf_fn, '__name__', name)}``)."
    return fn


def _binary(tf_fn: Callable[[Array, Array], Array], name: str) -> Callable[[Array, Array], Array]:
    def fn(x1: Array, x2: Array, /) -> Array:
        a, b = _promote(x1, x2)
        return tf_fn(a, b)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"Elementwise ``{name}`` with the standard's type promotion."
    return fn


def _integers_unchanged(tf_fn: Callable[[Array], Array]) -> Callable[[Array], Array]:
    """``tf_fn`` on floating tensors; integer tensors are already whole numbers."""
    return lambda x: tf_fn(x) if x.dtype.is_floating else x


def _signbit(x: Array) -> Array:
    if not x.dtype.is_floating:
        return x < 0
    same_width_int = {2: int16, 4: int32, 8: int64}[x.dtype.size]
    return tf.bitcast(x, same_width_int) < 0


def _trunc(x: Array) -> Array:
    return tf.where(x < 0, tf.math.ceil(x), tf.math.floor(x))


def _bitwise_invert(x: Array) -> Array:
    return tf.math.logical_not(x) if x.dtype == bool else tf.bitwise.invert(x)


def _is_value(tf_test: Callable[[Array], Array], integer_answer: builtins.bool
              ) -> Callable[[Array], Array]:
    """``tf_test`` on floating tensors; on other dtypes the constant ``integer_answer``."""
    def test(x: Array) -> Array:
        if x.dtype.is_floating:
            return tf_test(x)
        return tf.fill(tf.shape(x), integer_answer)

    return test


abs = _unary(tf.math.abs, "abs")
acos = _unary(tf.math.acos, "acos")
acosh = _unary(tf.math.acosh, "acosh")
asin = _unary(tf.math.asin, "asin")
asinh = _unary(tf.math.asinh, "asinh")
atan = _unary(tf.math.atan, "atan")
atanh = _unary(tf.math.atanh, "atanh")
ceil = _unary(_integers_unchanged(tf.math.ceil), "ceil")
cos = _unary(tf.math.cos, "cos")
cosh = _unary(tf.math.cosh, "cosh")
exp = _unary(tf.math.exp, "exp")
expm1 = _unary(tf.math.expm1, "expm1")
floor = _unary(_integers_unchanged(tf.math.floor), "floor")
isfinite = _unary(_is_value(tf.math.is_finite, True), "isfinite")
isinf = _unary(_is_value(tf.math.is_inf, False), "isinf")
isnan = _unary(_is_value(tf.math.is_nan, False), "isnan")
log = _unary(tf.math.log, "log")
log1p = _unary(tf.math.log1p, "log1p")
log2 = _unary(lambda x: tf.math.log(x) / tf.constant(math.log(2.0), x.dtype), "log2")
log10 = _unary(lambda x: tf.math.log(x) / tf.constant(math.log(10.0), x.dtype), "log10")
logical_not = _unary(tf.math.logical_not, "logical_not")
negative = _unary(tf.math.negative, "negative")
positive = _unary(tf.identity, "positive")
reciprocal = _unary(tf.math.reciprocal, "reciprocal")
round = _unary(_integers_unchanged(tf.math.round), "round")  # half to even, as the standard says
sign = _unary(tf.math.sign, "sign")
signbit = _unary(_signbit, "signbit")
sin = _unary(tf.math.sin, "sin")
sinh = _unary(tf.math.sinh, "sinh")
sqrt = _unary(tf.math.sqrt, "sqrt")
square = _unary(tf.math.square, "square")
tan = _unary(tf.math.tan, "tan")
tanh = _unary(tf.math.tanh, "tanh")
trunc = _unary(_integers_unchanged(_trunc), "trunc")
bitwise_invert = _unary(_bitwise_invert, "bitwise_invert")
real = _unary(tf.math.real, "real")
imag = _unary(tf.math.imag, "imag")
conj = _unary(tf.math.conj, "conj")


def _divide(a: Array, b: Array) -> Array:
    if not a.dtype.is_floating and not a.dtype.is_complex:
        a, b = tf.cast(a, _DEFAULT_FLOAT), tf.cast(b, _DEFAULT_FLOAT)
    return tf.math.truediv(a, b)


def _logaddexp_with_gradient(a: Array, b: Array) -> tuple[Array, Callable[[Array], Any]]:
    """``max(a, b) + log1p(exp(-|a - b|))``, with ``sigmoid(a - b)`` as the exact gradient.

    The gradient is written out because the subgradients of ``max`` and ``|.|`` at ``a == b``
    would give ``(1, 0)`` instead of ``(0.5, 0.5)``.
    """
    gap = tf.where(tf.math.equal(a, b), tf.zeros_like(a), -tf.math.abs(a - b))
    value = tf.math.maximum(a, b) + tf.math.log1p(tf.math.exp(gap))

    def gradient(upstream: Array) -> tuple[Array, Array]:
        return upstream / (1 + tf.math.exp(b - a)), upstream / (1 + tf.math.exp(a - b))

    return value, gradient


_logaddexp_same_shape: Callable[[Array, Array], Array] = tf.custom_gradient(
    _logaddexp_with_gradient)


def _logaddexp(a: Array, b: Array) -> Array:
    return _logaddexp_same_shape(*broadcast_arrays(a, b))


def _hypot(a: Array, b: Array) -> Array:
    """``sqrt(a² + b²)`` scaled by ``max(|a|, |b|)`` so it neither overflows nor underflows."""
    scale = tf.stop_gradient(tf.math.maximum(tf.math.abs(a), tf.math.abs(b)))
    scale = tf.where((scale > 0) & tf.math.is_finite(scale), scale, tf.ones_like(scale))
    value = scale * tf.math.sqrt(tf.math.square(a / scale) + tf.math.square(b / scale))
    infinite = tf.math.is_inf(a) | tf.math.is_inf(b)
    return tf.where(infinite, tf.constant(math.inf, value.dtype), value)


def _bitwise(on_integers: Callable[[Array, Array], Array],
             on_booleans: Callable[[Array, Array], Array]) -> Callable[[Array, Array], Array]:
    return lambda a, b: on_booleans(a, b) if a.dtype == bool else on_integers(a, b)


def _copysign(a: Array, b: Array) -> Array:
    magnitude = tf.math.abs(a)
    return tf.where(_signbit(b), -magnitude, magnitude)


add = _binary(tf.math.add, "add")
subtract = _binary(tf.math.subtract, "subtract")
multiply = _binary(tf.math.multiply, "multiply")
divide = _binary(_divide, "divide")
pow = _binary(tf.math.pow, "pow")
maximum = _binary(tf.math.maximum, "maximum")
minimum = _binary(tf.math.minimum, "minimum")
atan2 = _binary(tf.math.atan2, "atan2")
hypot = _binary(_hypot, "hypot")
logaddexp = _binary(_logaddexp, "logaddexp")
floor_divide = _binary(tf.math.floordiv, "floor_divide")
remainder = _binary(tf.math.floormod, "remainder")
copysign = _binary(_copysign, "copysign")
equal = _binary(tf.math.equal, "equal")
not_equal = _binary(tf.math.not_equal, "not_equal")
less = _binary(tf.math.less, "less")
less_equal = _binary(tf.math.less_equal, "less_equal")
greater = _binary(tf.math.greater, "greater")
greater_equal = _binary(tf.math.greater_equal, "greater_equal")
logical_and = _binary(tf.math.logical_and, "logical_and")
logical_or = _binary(tf.math.logical_or, "logical_or")
logical_xor = _binary(tf.math.logical_xor, "logical_xor")
bitwise_and = _binary(_bitwise(tf.bitwise.bitwise_and, tf.math.logical_and), "bitwise_and")
bitwise_or = _binary(_bitwise(tf.bitwise.bitwise_or, tf.math.logical_or), "bitwise_or")
bitwise_xor = _binary(_bitwise(tf.bitwise.bitwise_xor, tf.math.logical_xor), "bitwise_xor")
bitwise_left_shift = _binary(tf.bitwise.left_shift, "bitwise_left_shift")
bitwise_right_shift = _binary(tf.bitwise.right_shift, "bitwise_right_shift")


def clip(x: Array, /, min: Any = None, max: Any = None) -> Array:
    """Clamp ``x`` to ``[min, max]`` (either may be ``None``); the dtype stays ``x``'s.

    The gradient is 1 inside and on the bounds (as ``torch.clamp``), 0 outside; NaN stays NaN.
    """
    x = _as_tensor(x)
    if min is not None:
        x = tf.math.maximum(x, asarray(min, dtype=x.dtype))
    if max is not None:
        x = tf.math.minimum(x, asarray(max, dtype=x.dtype))
    return x


def where(condition: Array, x1: Any, x2: Any, /) -> Array:
    """Pick ``x1`` where ``condition`` holds, else ``x2``; the three broadcast together."""
    a, b = _promote(x1, x2)
    return tf.where(_as_tensor(condition), a, b)


# Statistical and utility reductions


def _accumulator_dtype(x: Array, dtype: DType | None) -> DType:
    """The dtype a sum or product of ``x`` runs in: ``dtype``, else int64 for narrower integers."""
    if dtype is not None:
        return dtype
    return _DEFAULT_INT if x.dtype in (bool, int8, int16, int32) else x.dtype


def _reduction(tf_fn: Callable[..., Array], name: str, *, to_float: builtins.bool = False,
               sum_like: builtins.bool = False) -> Callable[..., Array]:
    def fn(x: Array, /, *, axis: int | Sequence[int] | None = None,
           keepdims: builtins.bool = False, dtype: DType | None = None) -> Array:
        x = _as_tensor(x)
        if sum_like:
            dtype = _accumulator_dtype(x, dtype)
        elif to_float and dtype is None and not x.dtype.is_floating:
            dtype = _DEFAULT_FLOAT
        if dtype is not None and dtype != x.dtype:
            x = tf.cast(x, dtype)
        return tf_fn(x, axis=_axes(axis), keepdims=keepdims)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"``{name}`` over ``axis`` (all axes when ``None``)."
    return fn


sum = _reduction(tf.math.reduce_sum, "sum", sum_like=True)
prod = _reduction(tf.math.reduce_prod, "prod", sum_like=True)
mean = _reduction(tf.math.reduce_mean, "mean", to_float=True)
max = _reduction(tf.math.reduce_max, "max")
min = _reduction(tf.math.reduce_min, "min")


def _moment(x: Array, axis: int | Sequence[int] | None, correction: float,
            keepdims: builtins.bool) -> Array:
    axes = _axes(axis)
    centred = x - tf.math.reduce_mean(x, axis=axes, keepdims=True)
    total = tf.math.reduce_sum(centred * centred, axis=axes, keepdims=keepdims)
    count = tf.cast(tf.size(x), x.dtype) / tf.cast(tf.size(total), x.dtype)
    return total / (count - correction)


def var(x: Array, /, *, axis: int | Sequence[int] | None = None, correction: float = 0.0,
        keepdims: builtins.bool = False) -> Array:
    """Variance over ``axis``, divided by ``N - correction``."""
    return _moment(_as_tensor(x), axis, correction, keepdims)


def std(x: Array, /, *, axis: int | Sequence[int] | None = None, correction: float = 0.0,
        keepdims: builtins.bool = False) -> Array:
    """Standard deviation over ``axis``: the square root of :func:`var`."""
    return tf.math.sqrt(_moment(_as_tensor(x), axis, correction, keepdims))


def all(x: Array, /, *, axis: int | Sequence[int] | None = None,
        keepdims: builtins.bool = False) -> Array:
    x = astype(x, bool, copy=False)
    return tf.math.reduce_all(x, axis=_axes(axis), keepdims=keepdims)


def any(x: Array, /, *, axis: int | Sequence[int] | None = None,
        keepdims: builtins.bool = False) -> Array:
    x = astype(x, bool, copy=False)
    return tf.math.reduce_any(x, axis=_axes(axis), keepdims=keepdims)


def count_nonzero(x: Array, /, *, axis: int | Sequence[int] | None = None,
                  keepdims: builtins.bool = False) -> Array:
    x = astype(x, bool, copy=False)
    return tf.math.count_nonzero(x, axis=_axes(axis), keepdims=keepdims,
                                 dtype=_DEFAULT_INT)


def _cumulative(tf_fn: Callable[..., Array], initial: int, x: Array, axis: int | None,
                dtype: DType | None, include_initial: builtins.bool) -> Array:
    x = _as_tensor(x)
    x = tf.cast(x, _accumulator_dtype(x, dtype))
    if axis is None:
        x, axis = tf.reshape(x, [-1]), 0
    axis %= x.shape.rank
    result = tf_fn(x, axis=axis)
    if include_initial:
        before = [[0, 0]] * x.shape.rank
        before[axis] = [1, 0]
        result = tf.pad(result, before, constant_values=initial)
    return result


def cumulative_sum(x: Array, /, *, axis: int | None = None, dtype: DType | None = None,
                   include_initial: builtins.bool = False) -> Array:
    """Running sum along ``axis`` (optional for 1-D ``x``), led by a 0 if ``include_initial``."""
    return _cumulative(tf.math.cumsum, 0, x, axis, dtype, include_initial)


def cumulative_prod(x: Array, /, *, axis: int | None = None, dtype: DType | None = None,
                    include_initial: builtins.bool = False) -> Array:
    """Running product along ``axis``, led by a 1 if ``include_initial``."""
    return _cumulative(tf.math.cumprod, 1, x, axis, dtype, include_initial)


def diff(x: Array, /, *, axis: int = -1, n: int = 1, prepend: Array | None = None,
         append: Array | None = None) -> Array:
    """``n``-th forward difference along ``axis``, after joining ``prepend`` and ``append``."""
    x = _as_tensor(x)
    if prepend is not None or append is not None:
        pieces = [p for p in (prepend, x, append) if p is not None]
        x = concat(pieces, axis=axis)
    head = [slice(None)] * x.shape.rank
    tail = list(head)
    head[axis], tail[axis] = slice(1, None), slice(None, -1)
    for _ in range(n):
        x = x[tuple(head)] - x[tuple(tail)]
    return x


# Searching and sorting


def argmax(x: Array, /, *, axis: int | None = None, keepdims: builtins.bool = False) -> Array:
    x = _as_tensor(x)
    if axis is None:
        result = tf.math.argmax(tf.reshape(x, [-1]), axis=0, output_type=_DEFAULT_INT)
        return tf.reshape(result, [1] * x.shape.rank) if keepdims else result
    result = tf.math.argmax(x, axis=axis, output_type=_DEFAULT_INT)
    return tf.expand_dims(result, axis) if keepdims else result


def argmin(x: Array, /, *, axis: int | None = None, keepdims: builtins.bool = False) -> Array:
    x = _as_tensor(x)
    if axis is None:
        result = tf.math.argmin(tf.reshape(x, [-1]), axis=0, output_type=_DEFAULT_INT)
        return tf.reshape(result, [1] * x.shape.rank) if keepdims else result
    result = tf.math.argmin(x, axis=axis, output_type=_DEFAULT_INT)
    return tf.expand_dims(result, axis) if keepdims else result


def nonzero(x: Array, /) -> tuple[Array, ...]:
    """Indices of the non-zero elements (a data-dependent shape: not traceable)."""
    indices = tf.where(astype(x, bool, copy=False))
    return tuple(indices[:, i] for i in range(x.shape.rank))


def sort(x: Array, /, *, axis: int = -1, descending: builtins.bool = False,
         stable: builtins.bool = True) -> Array:
    return tf.sort(x, axis=axis, direction="DESCENDING" if descending else "ASCENDING")


def argsort(x: Array, /, *, axis: int = -1, descending: builtins.bool = False,
            stable: builtins.bool = True) -> Array:
    return tf.cast(tf.argsort(x, axis=axis, stable=stable,
                              direction="DESCENDING" if descending else "ASCENDING"), _DEFAULT_INT)


def searchsorted(x1: Array, x2: Array, /, *, side: str = "left",
                 sorter: Array | None = None) -> Array:
    if sorter is not None:
        x1 = tf.gather(x1, sorter)
    a, b = _promote(x1, x2)
    flat = tf.reshape(b, [1, -1])
    result = tf.searchsorted(a[None, :], flat, side=side, out_type=_DEFAULT_INT)
    return tf.reshape(result, tf.shape(b))


# Manipulation


def reshape(x: Array, /, shape: Sequence[int], *, copy: builtins.bool | None = None) -> Array:
    return tf.reshape(x, list(shape))


def broadcast_to(x: Array, /, shape: Sequence[int]) -> Array:
    return tf.broadcast_to(x, list(shape))


def broadcast_arrays(*arrays: Array) -> list[Array]:
    tensors = [_as_tensor(x) for x in arrays]
    shape = tf.TensorShape([])
    for x in tensors:
        shape = tf.broadcast_static_shape(shape, x.shape)
    if shape.is_fully_defined():
        return [x if x.shape == shape else tf.broadcast_to(x, shape) for x in tensors]
    dynamic = tf.shape(tensors[0])
    for x in tensors[1:]:
        dynamic = tf.broadcast_dynamic_shape(dynamic, tf.shape(x))
    return [tf.broadcast_to(x, dynamic) for x in tensors]


def broadcast_shapes(*shapes: Sequence[int]) -> tuple[int, ...]:
    result = tf.TensorShape([])
    for shape in shapes:
        result = tf.broadcast_static_shape(result, tf.TensorShape(shape))
    return tuple(result.as_list())


def concat(arrays: Sequence[Array], /, *, axis: int | None = 0) -> Array:
    tensors = _promote(*arrays)
    if axis is None:
        return tf.concat([tf.reshape(x, [-1]) for x in tensors], axis=0)
    return tf.concat(tensors, axis=axis)


def stack(arrays: Sequence[Array], /, *, axis: int = 0) -> Array:
    return tf.stack(_promote(*arrays), axis=axis)


def unstack(x: Array, /, *, axis: int = 0) -> tuple[Array, ...]:
    return tuple(tf.unstack(x, axis=axis))


def expand_dims(x: Array, /, axis: int = 0) -> Array:
    return tf.expand_dims(x, axis)


def squeeze(x: Array, /, axis: int | tuple[int, ...]) -> Array:
    """Drop the length-1 ``axis`` (ValueError if its length is known and is not 1)."""
    axes = [axis] if isinstance(axis, int) else list(axis)
    if not axes:  # tf.squeeze reads an empty list as "every axis of length 1"
        return x
    lengths = [x.shape[a] for a in axes]
    if builtins.any(length not in (1, None) for length in lengths):
        raise ValueError(f"squeeze: axis {axis} has length {lengths}, not 1")
    return tf.squeeze(x, axis=axes)


def permute_dims(x: Array, /, axes: Sequence[int]) -> Array:
    return tf.transpose(x, perm=list(axes))


def matrix_transpose(x: Array, /) -> Array:
    rank = x.shape.rank
    return tf.transpose(x, perm=[*range(rank - 2), rank - 1, rank - 2])


def moveaxis(x: Array, source: int | Sequence[int], destination: int | Sequence[int],
             /) -> Array:
    rank = x.shape.rank
    sources = [source] if isinstance(source, int) else list(source)
    destinations = [destination] if isinstance(destination, int) else list(destination)
    sources = [s % rank for s in sources]
    destinations = [d % rank for d in destinations]
    order = [a for a in range(rank) if a not in sources]
    for dest, src in sorted(zip(destinations, sources, strict=True)):
        order.insert(dest, src)
    return tf.transpose(x, perm=order)


def flip(x: Array, /, *, axis: int | Sequence[int] | None = None) -> Array:
    if axis is None:
        axis = range(x.shape.rank)
    return tf.reverse(x, axis=[axis] if isinstance(axis, int) else list(axis))


def roll(x: Array, /, shift: int | Sequence[int], *,
         axis: int | Sequence[int] | None = None) -> Array:
    if axis is None:
        return tf.reshape(tf.roll(tf.reshape(x, [-1]), shift, axis=0), tf.shape(x))
    return tf.roll(x, shift, axis=axis)


def tile(x: Array, repetitions: Sequence[int], /) -> Array:
    reps = list(repetitions)
    rank = x.shape.rank
    if len(reps) < rank:
        reps = [1] * (rank - len(reps)) + reps
    elif len(reps) > rank:
        x = x[(None,) * (len(reps) - rank)]
    return tf.tile(x, reps)


def repeat(x: Array, repeats: int | Array, /, *, axis: int | None = None) -> Array:
    return tf.repeat(x, repeats, axis=axis)


# Indexing


def _axis_length(x: Array, axis: int) -> Any:
    """The length of ``x`` along ``axis``: an int when static, else a scalar tensor."""
    length = x.shape[axis]
    return tf.shape(x)[axis] if length is None else length


def _wrapped_indices(indices: Array, length: Any) -> Array:
    """``indices`` as int32/int64 with negative ones counted from the end (``-1`` is the last)."""
    indices = _as_tensor(indices)
    if indices.dtype not in (int32, int64):
        indices = tf.cast(indices, int64)
    return tf.where(indices < 0, indices + tf.cast(length, indices.dtype), indices)


def take(x: Array, indices: Array, /, *, axis: int | None = None) -> Array:
    """Elements of ``x`` at the 1-D ``indices`` along ``axis`` (of the flattened ``x`` if None)."""
    x = _as_tensor(x)
    if axis is None:
        x, axis = tf.reshape(x, [-1]), 0
    return tf.gather(x, _wrapped_indices(indices, _axis_length(x, axis)), axis=axis)


def _broadcast_leading(x: Array, indices: Array) -> tuple[Array, Array]:
    """Broadcast every axis but the last of ``x`` and ``indices`` against each other."""
    x_lead, indices_lead = x.shape[:-1], indices.shape[:-1]
    if x_lead.is_fully_defined() and x_lead == indices_lead:
        return x, indices
    lead = tf.broadcast_dynamic_shape(tf.shape(x)[:-1], tf.shape(indices)[:-1])
    return (tf.broadcast_to(x, tf.concat([lead, tf.shape(x)[-1:]], 0)),
            tf.broadcast_to(indices, tf.concat([lead, tf.shape(indices)[-1:]], 0)))


def take_along_axis(x: Array, indices: Array, /, *, axis: int = -1) -> Array:
    """``x`` at ``indices`` along ``axis``.

    ``indices`` has the rank of ``x``; the other axes broadcast against each other (NumPy's
    rule), and negative indices count from the end.
    """
    x = _as_tensor(x)
    rank = x.shape.rank
    axis %= rank
    indices = _wrapped_indices(indices, _axis_length(x, axis))
    last = rank - 1
    if axis != last:
        x, indices = moveaxis(x, axis, last), moveaxis(indices, axis, last)
    x, indices = _broadcast_leading(x, indices)
    gathered = tf.gather(x, indices, axis=last, batch_dims=last)
    return gathered if axis == last else moveaxis(gathered, last, axis)


# Linear algebra


def matmul(x1: Array, x2: Array, /) -> Array:
    a, b = _promote(x1, x2)
    if a.shape.rank == 1 and b.shape.rank == 1:
        return tf.tensordot(a, b, axes=1)
    if a.shape.rank == 1:
        return tf.squeeze(tf.linalg.matmul(a[None, :], b), axis=-2)
    if b.shape.rank == 1:
        return tf.squeeze(tf.linalg.matmul(a, b[:, None]), axis=-1)
    return tf.linalg.matmul(a, b)


def vecdot(x1: Array, x2: Array, /, *, axis: int = -1) -> Array:
    """``sum(conj(x1) * x2, axis=axis)`` with broadcasting."""
    a, b = _promote(x1, x2)
    if a.dtype.is_complex:
        a = tf.math.conj(a)
    return tf.math.reduce_sum(a * b, axis=axis)


def tensordot(x1: Array, x2: Array, /, *, axes: int | tuple[Sequence[int], Sequence[int]] = 2
              ) -> Array:
    a, b = _promote(x1, x2)
    return tf.tensordot(a, b, axes=axes if isinstance(axes, int) else [list(axes[0]),
                                                                        list(axes[1])])


# Inspection


def isarray(x: Any) -> builtins.bool:
    """Whether ``x`` is a TensorFlow tensor or variable."""
    return isinstance(x, (tf.Tensor, tf.Variable))


class __array_namespace_info__:  # noqa: N801
    """What this namespace supports: capabilities, devices and the dtypes it offers."""

    def capabilities(self) -> dict[str, Any]:
        return {"boolean indexing": False, "data-dependent shapes": True}

    def default_device(self) -> str:
        return str(self.devices()[0])

    def default_dtypes(self, *, device: Any = None) -> dict[str, DType]:
        return {"real floating": _DEFAULT_FLOAT, "complex floating": complex64,
                "integral": _DEFAULT_INT, "indexing": _DEFAULT_INT}

    def devices(self) -> list[str]:
        return [device.name for device in tf.config.list_logical_devices()]

    def dtypes(self, *, device: Any = None,
               kind: str | tuple[str, ...] | None = None) -> dict[str, DType]:
        every = (bool, *_SIGNED, *_UNSIGNED, *_REAL_FLOATING, *_COMPLEX)
        return {d.name: d for d in every if kind is None or isdtype(d, kind)}
