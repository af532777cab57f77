"""An Array API namespace over ``tf.Tensor``.

TensorFlow has no Array API namespace of its own and array-api-compat does not wrap it, so this
module is one: every function takes and returns ``tf.Tensor`` values, binary functions promote
their arguments with the standard's type-promotion rules (``tf.add`` would refuse ``float32 +
float64``), Python scalars take the dtype of the array beside them, and everything is built from
TensorFlow ops, so it runs eagerly, inside ``tf.function`` and under ``tf.GradientTape``.

It covers the standard's creation, data-type, elementwise, statistical, searching, sorting,
manipulation, indexing, linear-algebra and utility functions that are expressible without
data-dependent output shapes. Integer dtypes use TensorFlow's kernels, which exist for fewer
dtypes than float ones (for example no ``uint32`` sum on CPU).

The module is imported only when a TensorFlow tensor reaches :func:`omniloss.get_namespace`.
"""

from __future__ import annotations

import builtins
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import tensorflow as tf

__array_api_version__ = "2023.12"

Array = Any
DType = Any

bool = tf.bool  # noqa: A001
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
    return dtype if dtype in _COMPLEX else complex64


def result_type(*arrays_and_dtypes: Any) -> DType:
    """The dtype the standard's promotion rules give for these arrays, dtypes and scalars."""
    dtypes = [x if isinstance(x, tf.DType) else x.dtype
              for x in arrays_and_dtypes if not _is_scalar(x)]
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
    dtype = result_type(*args)
    return [asarray(x, dtype=dtype) for x in args]


def _as_tensor(x: Any) -> Array:
    return x if isinstance(x, (tf.Tensor, tf.Variable)) else tf.convert_to_tensor(x)


def _axes(axis: int | Sequence[int] | None, ndim: int) -> list[int] | None:
    if axis is None:
        return None
    if isinstance(axis, int):
        return [axis % ndim if ndim else axis]
    return [a % ndim for a in axis]


# Creation


def asarray(obj: Any, /, *, dtype: DType | None = None, device: Any = None,
            copy: builtins.bool | None = None) -> Array:
    """Convert ``obj`` (tensor, NumPy array, nested sequence or scalar) to a tensor."""
    if isinstance(obj, (tf.Tensor, tf.Variable)):
        tensor = tf.convert_to_tensor(obj)
        if dtype is not None and tensor.dtype != dtype:
            tensor = tf.cast(tensor, dtype)
        return tf.identity(tensor) if copy else tensor
    if _is_scalar(obj) and dtype is None:
        dtype = _scalar_dtype(obj)
    if dtype is None and not isinstance(obj, np.ndarray | np.generic):
        converted = np.asarray(obj)
        if converted.dtype == np.float64:
            dtype = _DEFAULT_FLOAT
        elif converted.dtype.kind in "iu" and converted.dtype.itemsize == 8:
            dtype = _DEFAULT_INT
        obj = converted
    if dtype is not None and dtype not in (bool, *_REAL_FLOATING, *_COMPLEX):
        return tf.constant(obj, dtype=dtype)
    return tf.convert_to_tensor(obj, dtype=dtype)


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
        dtype = _DEFAULT_FLOAT if any(isinstance(v, float) for v in (start, stop, step)) \
            else _DEFAULT_INT
    return tf.range(start, stop, step, dtype=dtype)


def linspace(start: Any, stop: Any, /, num: int, *, dtype: DType | None = None,
             device: Any = None, endpoint: builtins.bool = True) -> Array:
    dtype = _default(dtype)
    if endpoint:
        return tf.cast(tf.linspace(tf.cast(start, float64), tf.cast(stop, float64), num), dtype)
    step = (stop - start) / num
    return tf.cast(start + tf.range(num, dtype=float64) * step, dtype)


def eye(n_rows: int, n_cols: int | None = None, /, *, k: int = 0, dtype: DType | None = None,
        device: Any = None) -> Array:
    n_cols = n_rows if n_cols is None else n_cols
    rows = tf.range(n_rows)[:, None]
    cols = tf.range(n_cols)[None, :]
    return tf.cast(cols - rows == k, _default(dtype))


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
    """Machine limits of a floating dtype (``bits``, ``eps``, ``max``, ``min``, ``smallest_normal``)."""

    def __init__(self, dtype: DType | Array) -> None:
        dtype = dtype if isinstance(dtype, tf.DType) else dtype.dtype
        info = np.finfo(dtype.as_numpy_dtype)
        self.bits = int(info.bits)
        self.eps = float(info.eps)
        self.max = float(info.max)
        self.min = float(info.min)
        self.smallest_normal = float(info.smallest_normal)
        self.dtype = dtype


class iinfo:  # noqa: N801
    """Machine limits of an integer dtype (``bits``, ``max``, ``min``)."""

    def __init__(self, dtype: DType | Array) -> None:
        dtype = dtype if isinstance(dtype, tf.DType) else dtype.dtype
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
    """Whether ``dtype`` is of ``kind`` (a dtype, a kind name such as ``"real floating"``, or a tuple)."""
    if isinstance(kind, tuple):
        return builtins.any(isdtype(dtype, k) for k in kind)
    if isinstance(kind, str):
        return dtype in _KINDS[kind]
    return builtins.bool(dtype == kind)


def can_cast(from_: DType | Array, to: DType, /) -> builtins.bool:
    source = from_ if isinstance(from_, tf.DType) else from_.dtype
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


def _round_half_even(x: Array) -> Array:
    return tf.round(x) if x.dtype.is_floating else x


def _sign(x: Array) -> Array:
    return tf.sign(x)


def _signbit(x: Array) -> Array:
    if not x.dtype.is_floating:
        return x < 0
    negative_zero = tf.math.equal(x, 0) & tf.math.less(tf.math.reciprocal(x), 0)
    return tf.math.less(x, 0) | negative_zero


def _trunc(x: Array) -> Array:
    return tf.where(x < 0, tf.math.ceil(x), tf.math.floor(x)) if x.dtype.is_floating else x


def _floor_int(fn: Callable[[Array], Array]) -> Callable[[Array], Array]:
    return lambda x: fn(x) if x.dtype.is_floating else x


abs = _unary(tf.math.abs, "abs")  # noqa: A001
acos = _unary(tf.math.acos, "acos")
acosh = _unary(tf.math.acosh, "acosh")
asin = _unary(tf.math.asin, "asin")
asinh = _unary(tf.math.asinh, "asinh")
atan = _unary(tf.math.atan, "atan")
atanh = _unary(tf.math.atanh, "atanh")
ceil = _unary(_floor_int(tf.math.ceil), "ceil")
cos = _unary(tf.math.cos, "cos")
cosh = _unary(tf.math.cosh, "cosh")
exp = _unary(tf.math.exp, "exp")
expm1 = _unary(tf.math.expm1, "expm1")
floor = _unary(_floor_int(tf.math.floor), "floor")
isfinite = _unary(lambda x: tf.math.is_finite(x) if x.dtype.is_floating
                  else tf.ones_like(x, dtype=bool), "isfinite")
isinf = _unary(lambda x: tf.math.is_inf(x) if x.dtype.is_floating
               else tf.zeros_like(x, dtype=bool), "isinf")
isnan = _unary(lambda x: tf.math.is_nan(x) if x.dtype.is_floating
               else tf.zeros_like(x, dtype=bool), "isnan")
log = _unary(tf.math.log, "log")
log1p = _unary(tf.math.log1p, "log1p")
log2 = _unary(lambda x: tf.math.log(x) / tf.cast(math.log(2.0), x.dtype), "log2")
log10 = _unary(lambda x: tf.math.log(x) / tf.cast(math.log(10.0), x.dtype), "log10")
logical_not = _unary(tf.math.logical_not, "logical_not")
negative = _unary(tf.math.negative, "negative")
positive = _unary(tf.identity, "positive")
reciprocal = _unary(tf.math.reciprocal, "reciprocal")
round = _unary(_round_half_even, "round")  # noqa: A001
sign = _unary(_sign, "sign")
signbit = _unary(_signbit, "signbit")
sin = _unary(tf.math.sin, "sin")
sinh = _unary(tf.math.sinh, "sinh")
sqrt = _unary(tf.math.sqrt, "sqrt")
square = _unary(tf.math.square, "square")
tan = _unary(tf.math.tan, "tan")
tanh = _unary(tf.math.tanh, "tanh")
trunc = _unary(_trunc, "trunc")
bitwise_invert = _unary(tf.bitwise.invert, "bitwise_invert")
real = _unary(tf.math.real, "real")
imag = _unary(tf.math.imag, "imag")
conj = _unary(tf.math.conj, "conj")


def _divide(a: Array, b: Array) -> Array:
    if not a.dtype.is_floating and not a.dtype.is_complex:
        a, b = tf.cast(a, _DEFAULT_FLOAT), tf.cast(b, _DEFAULT_FLOAT)
    return tf.math.truediv(a, b)


def _pow(a: Array, b: Array) -> Array:
    return tf.math.pow(a, b)


def _logaddexp(a: Array, b: Array) -> Array:
    larger = tf.math.maximum(a, b)
    finite = tf.where(tf.math.is_finite(larger), larger, tf.zeros_like(larger))
    return finite + tf.math.log(tf.math.exp(a - finite) + tf.math.exp(b - finite))


def _remainder(a: Array, b: Array) -> Array:
    return tf.math.floormod(a, b)


def _copysign(a: Array, b: Array) -> Array:
    magnitude = tf.math.abs(a)
    negative_sign = tf.math.less(b, 0) | (tf.math.equal(b, 0) & tf.math.less(1.0 / b, 0))
    return tf.where(negative_sign, -magnitude, magnitude)


add = _binary(tf.math.add, "add")
subtract = _binary(tf.math.subtract, "subtract")
multiply = _binary(tf.math.multiply, "multiply")
divide = _binary(_divide, "divide")
pow = _binary(_pow, "pow")  # noqa: A001
maximum = _binary(tf.math.maximum, "maximum")
minimum = _binary(tf.math.minimum, "minimum")
atan2 = _binary(tf.math.atan2, "atan2")
hypot = _binary(lambda a, b: tf.math.sqrt(a * a + b * b), "hypot")
logaddexp = _binary(_logaddexp, "logaddexp")
floor_divide = _binary(tf.math.floordiv, "floor_divide")
remainder = _binary(_remainder, "remainder")
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
bitwise_and = _binary(tf.bitwise.bitwise_and, "bitwise_and")
bitwise_or = _binary(tf.bitwise.bitwise_or, "bitwise_or")
bitwise_xor = _binary(tf.bitwise.bitwise_xor, "bitwise_xor")


def clip(x: Array, /, min: Any = None, max: Any = None) -> Array:  # noqa: A002
    """Clamp ``x`` to ``[min, max]`` (either bound may be ``None``); the dtype stays ``x``'s."""
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


def _reduction(tf_fn: Callable[..., Array], name: str, *, to_float: builtins.bool = False,
               sum_like: builtins.bool = False) -> Callable[..., Array]:
    def fn(x: Array, /, *, axis: int | Sequence[int] | None = None,
           keepdims: builtins.bool = False, dtype: DType | None = None) -> Array:
        x = _as_tensor(x)
        if dtype is not None:
            x = tf.cast(x, dtype)
        elif sum_like and x.dtype in (bool, int8, int16, int32):
            x = tf.cast(x, _DEFAULT_INT)
        elif to_float and not x.dtype.is_floating:
            x = tf.cast(x, _DEFAULT_FLOAT)
        return tf_fn(x, axis=_axes(axis, x.shape.rank), keepdims=keepdims)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"``{name}`` over ``axis`` (all axes when ``None``)."
    return fn


sum = _reduction(tf.math.reduce_sum, "sum", sum_like=True)  # noqa: A001
prod = _reduction(tf.math.reduce_prod, "prod", sum_like=True)
mean = _reduction(tf.math.reduce_mean, "mean", to_float=True)
max = _reduction(tf.math.reduce_max, "max")  # noqa: A001
min = _reduction(tf.math.reduce_min, "min")  # noqa: A001


def _moment(x: Array, axis: int | Sequence[int] | None, correction: float,
            keepdims: builtins.bool) -> Array:
    axes = _axes(axis, x.shape.rank)
    centred = x - tf.math.reduce_mean(x, axis=axes, keepdims=True)
    total = tf.math.reduce_sum(centred * centred, axis=axes, keepdims=keepdims)
    count = tf.cast(tf.size(x), x.dtype) / tf.cast(tf.size(total), x.dtype)
    return total / (count - correction)


def var(x: Array, /, *, axis: int | Sequence[int] | None = None, correction: float = 0.0,
        keepdims: builtins.bool = False) -> Array:
    return _moment(_as_tensor(x), axis, correction, keepdims)


def std(x: Array, /, *, axis: int | Sequence[int] | None = None, correction: float = 0.0,
        keepdims: builtins.bool = False) -> Array:
    return tf.math.sqrt(_moment(_as_tensor(x), axis, correction, keepdims))


def all(x: Array, /, *, axis: int | Sequence[int] | None = None,  # noqa: A001
        keepdims: builtins.bool = False) -> Array:
    x = astype(x, bool, copy=False)
    return tf.math.reduce_all(x, axis=_axes(axis, x.shape.rank), keepdims=keepdims)


def any(x: Array, /, *, axis: int | Sequence[int] | None = None,  # noqa: A001
        keepdims: builtins.bool = False) -> Array:
    x = astype(x, bool, copy=False)
    return tf.math.reduce_any(x, axis=_axes(axis, x.shape.rank), keepdims=keepdims)


def count_nonzero(x: Array, /, *, axis: int | Sequence[int] | None = None,
                  keepdims: builtins.bool = False) -> Array:
    x = astype(x, bool, copy=False)
    return tf.math.count_nonzero(x, axis=_axes(axis, x.shape.rank), keepdims=keepdims,
                                 dtype=_DEFAULT_INT)


def cumulative_sum(x: Array, /, *, axis: int | None = None, dtype: DType | None = None,
                   include_initial: builtins.bool = False) -> Array:
    x = _as_tensor(x)
    if dtype is not None:
        x = tf.cast(x, dtype)
    if axis is None:
        x, axis = tf.reshape(x, [-1]), 0
    result = tf.math.cumsum(x, axis=axis)
    if include_initial:
        result = concat([zeros_like(take(result, asarray([0]), axis=axis)), result], axis=axis)
    return result


def cumulative_prod(x: Array, /, *, axis: int | None = None, dtype: DType | None = None,
                    include_initial: builtins.bool = False) -> Array:
    x = _as_tensor(x)
    if dtype is not None:
        x = tf.cast(x, dtype)
    if axis is None:
        x, axis = tf.reshape(x, [-1]), 0
    result = tf.math.cumprod(x, axis=axis)
    if include_initial:
        result = concat([ones_like(take(result, asarray([0]), axis=axis)), result], axis=axis)
    return result


def diff(x: Array, /, *, axis: int = -1, n: int = 1) -> Array:
    x = _as_tensor(x)
    for _ in range(n):
        x = tf.experimental.numpy.diff(x, axis=axis)
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
        return [tf.broadcast_to(x, shape) for x in tensors]
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
    return tf.squeeze(x, axis=axis if isinstance(axis, int) else list(axis))


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
    axes = list(range(x.shape.rank)) if axis is None else _axes(axis, x.shape.rank)
    return tf.reverse(x, axis=axes)


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
        x = tf.reshape(x, [1] * (len(reps) - rank) + x.shape.as_list())
    return tf.tile(x, reps)


def repeat(x: Array, repeats: int | Array, /, *, axis: int | None = None) -> Array:
    return tf.repeat(x, repeats, axis=axis)


# Indexing


def take(x: Array, indices: Array, /, *, axis: int | None = None) -> Array:
    if axis is None:
        return tf.gather(tf.reshape(x, [-1]), indices)
    return tf.gather(x, indices, axis=axis)


def take_along_axis(x: Array, indices: Array, /, *, axis: int = -1) -> Array:
    """Gather ``x`` along ``axis`` at ``indices`` (same rank as ``x``; other axes broadcast)."""
    rank = x.shape.rank
    axis = axis % rank
    x_last = moveaxis(x, axis, -1)
    idx_last = moveaxis(_as_tensor(indices), axis, -1)
    batch = broadcast_shapes(tuple(x_last.shape[:-1]), tuple(idx_last.shape[:-1]))
    if None in batch:
        x_b = x_last
        idx_b = idx_last
    else:
        x_b = tf.broadcast_to(x_last, [*batch, x_last.shape[-1]]) \
            if x_last.shape[-1] is not None else x_last
        idx_b = tf.broadcast_to(idx_last, [*batch, idx_last.shape[-1]]) \
            if idx_last.shape[-1] is not None else idx_last
    gathered = tf.gather(x_b, idx_b, axis=rank - 1, batch_dims=rank - 1)
    return moveaxis(gathered, -1, axis)


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
    return isinstance(x, (tf.Tensor, tf.Variable))
