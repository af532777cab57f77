"""The TensorFlow Array API namespace (:mod:`omniloss._tensorflow`) against NumPy.

Every exported function is run on random float64 and float32 inputs (and on integer, boolean and
special values where the standard defines them) and compared with its NumPy counterpart; a few
composite expressions are run inside ``tf.function`` and differentiated under
``tf.GradientTape`` against analytic gradients.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
tf = pytest.importorskip("tensorflow")

pytestmark = pytest.mark.uses("tensorflow")

from omniloss import _tensorflow as tnp  # noqa: E402

FLOATS = [np.float64, np.float32]
RTOL = {np.float64: 1e-12, np.float32: 2e-6}


def _random(shape: tuple[int, ...], dtype: Any = np.float64, *, low: float = -3.0,
            high: float = 3.0, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(low, high, size=shape).astype(dtype)


def _check(actual: Any, expected: Any, *, rtol: float = 1e-12, atol: float = 0.0,
           dtype: Any = None) -> None:
    """``actual`` (a tensor) equals ``expected`` (NumPy) in value, shape and dtype."""
    assert isinstance(actual, tf.Tensor), type(actual)
    expected = np.asarray(expected)
    got = actual.numpy()
    assert got.shape == expected.shape, f"shape {got.shape} != {expected.shape}"
    wanted_dtype = expected.dtype if dtype is None else np.dtype(dtype)
    assert got.dtype == wanted_dtype, f"dtype {got.dtype} != {wanted_dtype}"
    if got.dtype.kind in "fc":
        np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol, equal_nan=True)
    else:
        np.testing.assert_array_equal(got, expected)


# Creation


def test_asarray_default_dtypes():
    _check(tnp.asarray([1.0, 2.5]), np.array([1.0, 2.5], np.float32))
    _check(tnp.asarray([[1, 2], [3, 4]]), np.array([[1, 2], [3, 4]], np.int64))
    _check(tnp.asarray([True, False]), np.array([True, False]))
    _check(tnp.asarray(1.5), np.float32(1.5))
    _check(tnp.asarray(3), np.int64(3))
    _check(tnp.asarray(True), np.bool_(True))
    _check(tnp.asarray(np.arange(3.0)), np.arange(3.0))
    _check(tnp.asarray(np.arange(3, dtype=np.int32)), np.arange(3, dtype=np.int32))


def test_asarray_dtype_and_tensors():
    _check(tnp.asarray([1, 2], dtype=tnp.float64), np.array([1.0, 2.0]))
    _check(tnp.asarray(2, dtype=tnp.float32), np.float32(2.0))
    _check(tnp.asarray(0.5, dtype=tnp.float64), np.float64(0.5))
    _check(tnp.asarray(True, dtype=tnp.float32), np.float32(1.0))
    _check(tnp.asarray([1.7, -1.7], dtype=tnp.int32), np.array([1, -1], np.int32))
    x = tf.constant([1.0, 2.0], tf.float64)
    assert tnp.asarray(x) is x
    _check(tnp.asarray(x, dtype=tnp.float32), np.array([1.0, 2.0], np.float32))
    _check(tnp.asarray(x, copy=True), x.numpy())
    _check(tnp.asarray(tf.Variable([3.0, 4.0])), np.array([3.0, 4.0], np.float32))


@pytest.mark.parametrize("name", ["zeros", "ones", "empty"])
def test_zeros_ones_empty(name):
    fn = getattr(tnp, name)
    for shape in [3, (2, 3), (), (0, 2)]:
        out = fn(shape)
        assert out.shape == np.zeros(shape).shape and out.dtype == tf.float32
        if name != "empty":
            _check(out, getattr(np, name)(shape, np.float32))
            _check(fn(shape, dtype=tnp.int32), getattr(np, name)(shape, np.int32))
    assert fn((2,), dtype=tnp.float64).dtype == tf.float64


@pytest.mark.parametrize("name", ["zeros_like", "ones_like", "empty_like"])
def test_like_creation(name):
    x = tf.constant(_random((2, 3)))
    out = getattr(tnp, name)(x)
    assert out.shape == (2, 3) and out.dtype == tf.float64
    if name != "empty_like":
        _check(out, getattr(np, name)(x.numpy()))
    assert getattr(tnp, name)(x, dtype=tnp.int32).dtype == tf.int32


def test_full_and_full_like():
    _check(tnp.full((2, 2), 1.5), np.full((2, 2), 1.5, np.float32))
    _check(tnp.full(3, 7), np.full(3, 7, np.int64))
    _check(tnp.full((2,), True), np.full(2, True))
    _check(tnp.full((2,), 2, dtype=tnp.float64), np.full(2, 2.0))
    _check(tnp.full((), -np.inf, dtype=tnp.float64), np.float64(-np.inf))
    x = tf.constant(_random((2, 3), np.float32))
    _check(tnp.full_like(x, 4), np.full((2, 3), 4.0, np.float32))
    _check(tnp.full_like(x, 4, dtype=tnp.int64), np.full((2, 3), 4, np.int64))
    _check(tnp.full_like(tf.constant([1, 2]), 3), np.array([3, 3], np.int32))


@pytest.mark.parametrize("args, kwargs", [
    ((5,), {}), ((1, 7, 2), {}), ((5, 0, -1), {}), ((0.0, 1.0, 0.25), {}),
    ((2, 3), {}), ((3, 3), {}), ((0, 5), {"dtype": "float64"}), ((1.5, -2.0, -0.5), {}),
])
def test_arange(args, kwargs):
    dtype = kwargs.get("dtype")
    ours = tnp.arange(*args, dtype=getattr(tnp, dtype) if dtype else None)
    expected = np.arange(*args, dtype=dtype)
    if dtype is None:
        expected = expected.astype(np.float32 if expected.dtype.kind == "f" else np.int64)
    _check(ours, expected, rtol=1e-6)


@pytest.mark.parametrize("start, stop, num, endpoint", [
    (0.0, 1.0, 5, True), (0.0, 1.0, 5, False), (-2.0, 3.0, 1, True), (2.0, -1.0, 7, True),
    (1.0, 2.0, 0, True), (0, 10, 4, False),
])
@pytest.mark.parametrize("dtype", FLOATS)
def test_linspace(start, stop, num, endpoint, dtype):
    ours = tnp.linspace(start, stop, num, endpoint=endpoint, dtype=tf.as_dtype(dtype))
    _check(ours, np.linspace(start, stop, num, endpoint=endpoint, dtype=dtype), rtol=RTOL[dtype])
    assert tnp.linspace(0.0, 1.0, 3).dtype == tf.float32


@pytest.mark.parametrize("args, k", [((3,), 0), ((3, 4), 1), ((4, 3), -2), ((2, 5), 7)])
def test_eye(args, k):
    _check(tnp.eye(*args, k=k), np.eye(*args, k=k, dtype=np.float32))
    _check(tnp.eye(*args, k=k, dtype=tnp.int64), np.eye(*args, k=k, dtype=np.int64))


@pytest.mark.parametrize("k", [-1, 0, 2])
@pytest.mark.parametrize("shape", [(4, 5), (2, 3, 4)])
def test_tril_triu(k, shape):
    x = _random(shape)
    _check(tnp.tril(tf.constant(x), k=k), np.tril(x, k=k))
    _check(tnp.triu(tf.constant(x), k=k), np.triu(x, k=k))


def test_from_dlpack():
    x = np.arange(6.0).reshape(2, 3)
    _check(tnp.from_dlpack(x), x)


def test_meshgrid():
    a, b = np.arange(3.0), np.arange(4.0) * 2
    for indexing in ["xy", "ij"]:
        ours = tnp.meshgrid(tf.constant(a), tf.constant(b), indexing=indexing)
        for got, want in zip(ours, np.meshgrid(a, b, indexing=indexing), strict=True):
            _check(got, want)


# Data types and promotion

_STANDARD_DTYPES = ["bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32",
                    "uint64", "float32", "float64", "complex64", "complex128"]


@pytest.mark.parametrize("a", _STANDARD_DTYPES)
@pytest.mark.parametrize("b", _STANDARD_DTYPES)
def test_result_type_follows_the_standard_table(a, b):
    xps = pytest.importorskip("array_api_strict")
    try:
        expected = xps.result_type(getattr(xps, a), getattr(xps, b))
    except TypeError:
        expected = None
    if expected is None:
        kinds = {tnp.isdtype(getattr(tnp, d), "bool") for d in (a, b)}
        if len(kinds) == 2 or {a, b} == {"int64", "uint64"}:
            with pytest.raises(TypeError):
                tnp.result_type(getattr(tnp, a), getattr(tnp, b))
        return
    expected_name = str(expected).rpartition(".")[2]
    assert tnp.result_type(getattr(tnp, a), getattr(tnp, b)) == getattr(tnp, expected_name)


def test_result_type_beyond_the_table():
    assert tnp.result_type(tnp.float16, tnp.float32) == tnp.float32
    assert tnp.result_type(tnp.float16, tnp.float64) == tnp.float64
    assert tnp.result_type(tnp.bfloat16, tnp.float32) == tnp.float32
    assert tnp.result_type(tnp.bfloat16, tnp.float16) == tnp.float32
    assert tnp.result_type(tnp.bfloat16, tnp.bfloat16) == tnp.bfloat16
    assert tnp.result_type(tnp.int32, tnp.float16) == tnp.float16
    assert tnp.result_type(tnp.int64, tnp.float32) == tnp.float32
    assert tnp.result_type(tnp.float64, tnp.complex64) == tnp.complex128
    assert tnp.result_type(np.float64, "float32") == tnp.float64
    assert tnp.result_type(tf.constant([1], tf.int8), np.ones(2, np.int16)) == tnp.int16


def test_result_type_with_python_scalars():
    f16, f32, f64 = (tf.zeros(2, d) for d in (tf.float16, tf.float32, tf.float64))
    i8, b = tf.zeros(2, tf.int8), tf.zeros(2, tf.bool)
    assert tnp.result_type(f32, 1.5) == tnp.float32
    assert tnp.result_type(f16, 1.5) == tnp.float16
    assert tnp.result_type(tf.zeros(2, tf.bfloat16), 1) == tnp.bfloat16
    assert tnp.result_type(f64, 1) == tnp.float64
    assert tnp.result_type(i8, 3) == tnp.int8
    assert tnp.result_type(i8, 3.0) == tnp.float32
    assert tnp.result_type(b, True) == tnp.bool
    assert tnp.result_type(b, 1) == tnp.int64
    assert tnp.result_type(f64, 1j) == tnp.complex128
    assert tnp.result_type(f32, 1j) == tnp.complex64
    assert tnp.result_type(1, 2.5) == tnp.float32
    assert tnp.result_type(2) == tnp.int64
    with pytest.raises(ValueError):
        tnp.result_type()


def test_binary_functions_promote():
    a = tf.constant([1.0, 2.0], tf.float32)
    b = tf.constant([0.5, 0.25], tf.float64)
    _check(tnp.add(a, b), np.array([1.5, 2.25]))
    _check(tnp.multiply(a, 2), np.array([2.0, 4.0], np.float32))
    _check(tnp.subtract(1.0, b), np.array([0.5, 0.75]))
    _check(tnp.add(tf.constant([1], tf.int8), tf.constant([300], tf.int16)),
           np.array([301], np.int16))
    _check(tnp.add(tf.constant([1, 2], tf.int32), 1.5), np.array([2.5, 3.5], np.float32))
    h = tf.constant([1.0], tf.float16)
    _check(tnp.add(h, tf.constant([1.0], tf.bfloat16)), np.array([2.0], np.float32))
    with pytest.raises(TypeError):
        tnp.add(tf.constant([True]), tf.constant([1]))


@pytest.mark.parametrize("kind, members", [
    ("bool", ["bool"]),
    ("signed integer", ["int8", "int16", "int32", "int64"]),
    ("unsigned integer", ["uint8", "uint16", "uint32", "uint64"]),
    ("integral", ["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"]),
    ("real floating", ["float16", "bfloat16", "float32", "float64"]),
    ("complex floating", ["complex64", "complex128"]),
    ("numeric", [d for d in _STANDARD_DTYPES if d != "bool"] + ["float16", "bfloat16"]),
])
def test_isdtype(kind, members):
    for name in [*_STANDARD_DTYPES, "float16", "bfloat16"]:
        assert tnp.isdtype(getattr(tnp, name), kind) == (name in members), (name, kind)
    assert tnp.isdtype(tnp.float32, tnp.float32)
    assert not tnp.isdtype(tnp.float32, tnp.float64)
    assert tnp.isdtype(tnp.int8, ("real floating", tnp.int8))
    assert not tnp.isdtype(tnp.int8, ("real floating", "bool"))
    with pytest.raises(ValueError, match="isdtype"):
        tnp.isdtype(tnp.int8, "whole numbers")


@pytest.mark.parametrize("name", ["float16", "bfloat16", "float32", "float64", "complex64",
                                  "complex128"])
def test_finfo(name):
    import ml_dtypes

    dtype = getattr(tnp, name)
    info = ml_dtypes.finfo(dtype.as_numpy_dtype)
    for arg in (dtype, tf.zeros(1, dtype)):
        ours = tnp.finfo(arg)
        assert (ours.bits, ours.eps, ours.max, ours.min, ours.smallest_normal) == \
            (info.bits, float(info.eps), float(info.max), float(info.min),
             float(info.smallest_normal))
        assert isinstance(ours.eps, float) and isinstance(ours.bits, int)
    real = {"complex64": tnp.float32, "complex128": tnp.float64}.get(name, dtype)
    assert tnp.finfo(dtype).dtype == real
    assert tnp.finfo(tnp.float32).eps == np.finfo(np.float32).eps


@pytest.mark.parametrize("name", ["int8", "int16", "int32", "int64", "uint8", "uint16",
                                  "uint32", "uint64"])
def test_iinfo(name):
    info = np.iinfo(name)
    for arg in (getattr(tnp, name), tf.zeros(1, getattr(tnp, name))):
        ours = tnp.iinfo(arg)
        assert (ours.bits, ours.max, ours.min, ours.dtype) == \
            (info.bits, info.max, info.min, getattr(tnp, name))


def test_can_cast():
    assert tnp.can_cast(tnp.float32, tnp.float64)
    assert not tnp.can_cast(tnp.float64, tnp.float32)
    assert tnp.can_cast(tnp.int8, tnp.int32)
    assert tnp.can_cast(tnp.uint8, tnp.int16)
    assert not tnp.can_cast(tnp.int16, tnp.uint16)
    assert not tnp.can_cast(tnp.bool, tnp.int8)
    assert not tnp.can_cast(tnp.uint64, tnp.int64)
    assert tnp.can_cast(tf.zeros(1, tf.float16), tnp.float32)


def test_astype():
    x = np.array([-1.7, -0.0, 0.5, 2.5, np.nan, np.inf])
    t = tf.constant(x)
    _check(tnp.astype(t, tnp.float32), x.astype(np.float32))
    _check(tnp.astype(t[:4], tnp.int32), x[:4].astype(np.int32))
    _check(tnp.astype(t, tnp.bool), x.astype(bool))
    _check(tnp.astype(tf.constant([0, 3, -2]), tnp.bool), np.array([False, True, True]))
    _check(tnp.astype(tf.constant([True, False]), tnp.float64), np.array([1.0, 0.0]))
    _check(tnp.astype(t, tnp.float64), x)
    assert tnp.astype(t, tnp.float64, copy=False) is t
    _check(tnp.astype(tf.constant([1.0 + 2.0j]), tnp.bool), np.array([True]))


# Elementwise functions

_UNARY: dict[str, tuple[Callable[[np.ndarray], np.ndarray], tuple[float, float]]] = {
    "abs": (np.abs, (-3, 3)), "acos": (np.arccos, (-1, 1)), "acosh": (np.arccosh, (1, 5)),
    "asin": (np.arcsin, (-1, 1)), "asinh": (np.arcsinh, (-3, 3)), "atan": (np.arctan, (-3, 3)),
    "atanh": (np.arctanh, (-0.99, 0.99)), "ceil": (np.ceil, (-3, 3)), "cos": (np.cos, (-3, 3)),
    "cosh": (np.cosh, (-3, 3)), "exp": (np.exp, (-5, 5)), "expm1": (np.expm1, (-1, 1)),
    "floor": (np.floor, (-3, 3)), "log": (np.log, (0.01, 5)), "log1p": (np.log1p, (-0.9, 3)),
    "log2": (np.log2, (0.01, 5)), "log10": (np.log10, (0.01, 5)),
    "negative": (np.negative, (-3, 3)), "positive": (np.positive, (-3, 3)),
    "reciprocal": (np.reciprocal, (0.1, 3)), "round": (np.round, (-4, 4)),
    "sign": (np.sign, (-3, 3)), "sin": (np.sin, (-3, 3)), "sinh": (np.sinh, (-3, 3)),
    "sqrt": (np.sqrt, (0, 5)), "square": (np.square, (-3, 3)), "tan": (np.tan, (-1.5, 1.5)),
    "tanh": (np.tanh, (-3, 3)), "trunc": (np.trunc, (-3, 3)),
}
_SPECIAL = np.array([0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 1.5, 2.5, -2.5, np.inf, -np.inf, np.nan])


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name", sorted(_UNARY))
def test_unary_float(name, dtype):
    reference, (low, high) = _UNARY[name]
    x = _random((4, 5), dtype, low=low, high=high)
    if name == "round":
        x = np.concatenate([x.ravel(), np.array([0.5, 1.5, 2.5, -0.5, -2.5], dtype)])
    _check(getattr(tnp, name)(tf.constant(x)), reference(x), rtol=RTOL[dtype])
    with np.errstate(all="ignore"):
        expected = reference(_SPECIAL)
    _check(getattr(tnp, name)(tf.constant(_SPECIAL)), expected, rtol=1e-12)


@pytest.mark.parametrize("name", ["abs", "negative", "positive", "sign", "square", "ceil", "floor",
                                  "round", "trunc"])
def test_unary_integer(name):
    x = np.array([-3, -1, 0, 2, 7], np.int32)
    _check(getattr(tnp, name)(tf.constant(x)), _UNARY[name][0](x))


@pytest.mark.parametrize("name", ["isfinite", "isinf", "isnan", "signbit"])
def test_unary_predicates(name):
    reference = getattr(np, name)
    x = np.concatenate([_SPECIAL, -np.abs(_SPECIAL)])
    for dtype in [np.float64, np.float32, np.float16]:
        _check(getattr(tnp, name)(tf.constant(x.astype(dtype))), reference(x.astype(dtype)))
    _check(getattr(tnp, name)(tf.constant(x, tf.bfloat16)), reference(x))
    ints = np.array([-2, 0, 5])
    _check(getattr(tnp, name)(tf.constant(ints)), reference(ints))


def test_logical_and_bitwise_unary():
    b = np.array([True, False, True])
    _check(tnp.logical_not(tf.constant(b)), ~b)
    _check(tnp.bitwise_invert(tf.constant(b)), ~b)
    for dtype in [np.int8, np.int32, np.int64, np.uint8]:
        i = np.array([0, 1, 5, 100], dtype)
        _check(tnp.bitwise_invert(tf.constant(i)), ~i)


def test_complex_parts():
    z = np.array([1 + 2j, -3.5 - 0.5j, 0j])
    _check(tnp.real(tf.constant(z)), z.real)
    _check(tnp.imag(tf.constant(z)), z.imag)
    _check(tnp.conj(tf.constant(z)), z.conj())
    _check(tnp.abs(tf.constant(z)), np.abs(z))


_BINARY: dict[str, tuple[Callable[[Any, Any], Any], tuple[float, float], tuple[float, float]]] = {
    "add": (np.add, (-3, 3), (-3, 3)), "subtract": (np.subtract, (-3, 3), (-3, 3)),
    "multiply": (np.multiply, (-3, 3), (-3, 3)), "divide": (np.divide, (-3, 3), (0.5, 3)),
    "pow": (np.power, (0.1, 3), (-2, 2)), "maximum": (np.maximum, (-3, 3), (-3, 3)),
    "minimum": (np.minimum, (-3, 3), (-3, 3)), "atan2": (np.arctan2, (-3, 3), (-3, 3)),
    "hypot": (np.hypot, (-3, 3), (-3, 3)), "logaddexp": (np.logaddexp, (-30, 30), (-30, 30)),
    "floor_divide": (np.floor_divide, (-5, 5), (0.5, 2)),
    "remainder": (np.remainder, (-5, 5), (-2, 2)), "copysign": (np.copysign, (-3, 3), (-3, 3)),
    "equal": (np.equal, (-1, 1), (-1, 1)), "not_equal": (np.not_equal, (-1, 1), (-1, 1)),
    "less": (np.less, (-1, 1), (-1, 1)), "less_equal": (np.less_equal, (-1, 1), (-1, 1)),
    "greater": (np.greater, (-1, 1), (-1, 1)),
    "greater_equal": (np.greater_equal, (-1, 1), (-1, 1)),
}


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name", sorted(_BINARY))
def test_binary_float(name, dtype):
    reference, low_high_1, low_high_2 = _BINARY[name]
    a = _random((3, 1, 4), dtype, low=low_high_1[0], high=low_high_1[1], seed=1)
    b = _random((5, 4), dtype, low=low_high_2[0], high=low_high_2[1], seed=2)
    if name.endswith("equal") or name in ("maximum", "minimum"):
        b[0] = a[0, 0]
    fn = getattr(tnp, name)
    _check(fn(tf.constant(a), tf.constant(b)), reference(a, b), rtol=RTOL[dtype])
    _check(fn(tf.constant(a), 0.75), reference(a, dtype(0.75)), rtol=RTOL[dtype])
    _check(fn(1.25, tf.constant(b)), reference(dtype(1.25), b), rtol=RTOL[dtype])


@pytest.mark.parametrize("name", sorted(_BINARY))
def test_binary_special_values(name):
    reference = _BINARY[name][0]
    a, b = (v.ravel() for v in np.meshgrid(_SPECIAL, _SPECIAL))
    if name == "floor_divide":  # the standard says inf // 1 = inf and -1 // inf = -0; NumPy not
        a, b = (v[np.isfinite(a) & np.isfinite(b)] for v in (a, b))
    with np.errstate(all="ignore"):
        expected = reference(a, b)
    _check(getattr(tnp, name)(tf.constant(a), tf.constant(b)), expected)


def test_logaddexp_and_hypot_at_extremes():
    a = np.array([-1e4, 1e4, 0.0, 50.0, -800.0, 1e308, 0.0, -np.inf, np.inf, 3.0])
    b = np.array([0.0, 0.0, -50.0, 50.0, -800.0, 1e308, -700.0, -np.inf, 2.0, np.inf])
    _check(tnp.logaddexp(tf.constant(a), tf.constant(b)), np.logaddexp(a, b))
    single = np.abs(a) < 1e30
    a32, b32 = a[single].astype(np.float32), b[single].astype(np.float32)
    _check(tnp.logaddexp(tf.constant(a32), tf.constant(b32)), np.logaddexp(a32, b32), rtol=1e-6)
    c = np.array([1e200, 1e-200, 3e-300, 0.0, 1e308])  # (TF flushes subnormals to zero)
    d = np.array([1e200, 1e-200, 4e-300, 0.0, 1e308])
    _check(tnp.hypot(tf.constant(c), tf.constant(d)), np.hypot(c, d))


@pytest.mark.parametrize("dtype", [np.int8, np.int32, np.int64])
def test_binary_integer(dtype):
    a = np.array([[-7], [-1], [0], [5], [9]], dtype)
    b = np.array([3, -2, 4], dtype)
    for name in ["add", "subtract", "multiply", "maximum", "minimum", "floor_divide",
                 "remainder", "equal", "less", "greater_equal", "bitwise_and", "bitwise_or",
                 "bitwise_xor"]:
        _check(getattr(tnp, name)(tf.constant(a), tf.constant(b)), getattr(np, name)(a, b))
    shifts = np.array([0, 1, 3], dtype)
    _check(tnp.bitwise_left_shift(tf.constant(a), tf.constant(shifts)), np.left_shift(a, shifts))
    _check(tnp.bitwise_right_shift(tf.constant(a), tf.constant(shifts)),
           np.right_shift(a, shifts))
    _check(tnp.pow(tf.constant(a), tf.constant(np.array([0, 1, 2], dtype))),
           np.power(a, np.array([0, 1, 2], dtype)))
    assert tnp.divide(tf.constant(a), tf.constant(b)).dtype.is_floating


def test_logical_binary():
    a, b = np.array([True, True, False, False]), np.array([True, False, True, False])
    for name in ["logical_and", "logical_or", "logical_xor"]:
        _check(getattr(tnp, name)(tf.constant(a), tf.constant(b)), getattr(np, name)(a, b))
    for name in ["bitwise_and", "bitwise_or", "bitwise_xor"]:
        _check(getattr(tnp, name)(tf.constant(a), tf.constant(b)), getattr(np, name)(a, b))
    _check(tnp.equal(tf.constant(a), tf.constant(b)), a == b)


@pytest.mark.parametrize("dtype", FLOATS)
def test_clip(dtype):
    x = _random((3, 4), dtype)
    t = tf.constant(x)
    _check(tnp.clip(t, -1.0, 0.5), np.clip(x, -1.0, 0.5))
    _check(tnp.clip(t, min=0), np.clip(x, 0, None))
    _check(tnp.clip(t, max=0.25), np.clip(x, None, 0.25))
    _check(tnp.clip(t), x)
    low = _random((4,), dtype, low=-2, high=0, seed=3)
    _check(tnp.clip(t, tf.constant(low), 1.0), np.clip(x, low, 1.0))
    _check(tnp.clip(tf.constant([np.nan, -5.0], tf.float64), 0.0, 1.0), np.array([np.nan, 0.0]))
    _check(tnp.clip(tf.constant([-3, 0, 9]), 0, 5), np.array([0, 0, 5], np.int32))


def test_where():
    cond = np.array([[True], [False]])
    a, b = _random((2, 3), seed=1), _random((3,), np.float32, seed=2)
    _check(tnp.where(tf.constant(cond), tf.constant(a), tf.constant(b)), np.where(cond, a, b))
    _check(tnp.where(tf.constant(cond), tf.constant(a), 0.0), np.where(cond, a, 0.0))
    _check(tnp.where(tf.constant(cond), -1, tf.constant(b)), np.where(cond, -1, b).astype(
        np.float32))
    _check(tnp.where(tf.constant(cond), 1, 2), np.where(cond, 1, 2).astype(np.int64))
    _check(tnp.where(tf.constant(cond), tf.constant([1, 2], tf.int32)[:, None], 7),
           np.where(cond, np.array([[1], [2]], np.int32), 7))


# Reductions

_AXES = [None, 0, -1, (0, 2), (), (1, -1)]


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("axis", _AXES, ids=str)
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name", ["sum", "prod", "mean", "max", "min"])
def test_reductions(name, dtype, axis, keepdims):
    x = _random((2, 3, 4), dtype, low=0.5, high=1.5)
    reference = {"sum": np.sum, "prod": np.prod, "mean": np.mean, "max": np.max,
                 "min": np.min}[name]
    _check(getattr(tnp, name)(tf.constant(x), axis=axis, keepdims=keepdims),
           reference(x, axis=axis, keepdims=keepdims), rtol=RTOL[dtype])


def test_reduction_dtypes():
    ints = np.arange(1, 7, dtype=np.int32).reshape(2, 3)
    _check(tnp.sum(tf.constant(ints)), np.int64(21))
    _check(tnp.prod(tf.constant(ints), axis=1), np.array([6, 120]))
    _check(tnp.sum(tf.constant(ints), dtype=tnp.float64), np.float64(21.0))
    _check(tnp.sum(tf.constant([True, True, False])), np.int64(2))
    _check(tnp.sum(tf.constant(ints.astype(np.int64)), axis=0), np.array([5, 7, 9]))
    x = _random((3, 2), np.float32)
    _check(tnp.sum(tf.constant(x), dtype=tnp.float64), x.astype(np.float64).sum(), rtol=1e-12)
    _check(tnp.mean(tf.constant(x), dtype=tnp.float64), x.astype(np.float64).mean(), rtol=1e-12)
    _check(tnp.max(tf.constant(ints), axis=0), np.array([4, 5, 6], np.int32))
    _check(tnp.sum(tf.zeros((0, 3), tf.float64), axis=0), np.zeros(3))


@pytest.mark.parametrize("name", ["all", "any", "count_nonzero"])
@pytest.mark.parametrize("axis", [None, 0, -1, (0, 1), ()], ids=str)
@pytest.mark.parametrize("keepdims", [False, True])
def test_boolean_reductions(name, axis, keepdims):
    x = np.array([[0.0, 1.0, 2.0], [0.0, 0.0, 3.0]])
    reference = {"all": np.all, "any": np.any, "count_nonzero": np.count_nonzero}[name]
    expected = np.asarray(reference(x, axis=axis, keepdims=keepdims))
    if name == "count_nonzero":
        expected = expected.astype(np.int64)
    _check(getattr(tnp, name)(tf.constant(x), axis=axis, keepdims=keepdims), expected)
    _check(getattr(tnp, name)(tf.constant(x != 0), axis=axis, keepdims=keepdims), expected)


@pytest.mark.parametrize("correction", [0, 1, 1.5])
@pytest.mark.parametrize("axis", [None, 0, -1, (0, 2)], ids=str)
@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("dtype", FLOATS)
def test_var_std(correction, axis, keepdims, dtype):
    x = _random((3, 4, 5), dtype)
    for name in ["var", "std"]:
        _check(getattr(tnp, name)(tf.constant(x), axis=axis, correction=correction,
                                  keepdims=keepdims),
               getattr(np, name)(x, axis=axis, ddof=correction, keepdims=keepdims),
               rtol=RTOL[dtype] * 5)


@pytest.mark.parametrize("include_initial", [False, True])
@pytest.mark.parametrize("axis", [0, 1, -1])
@pytest.mark.parametrize("dtype", FLOATS)
def test_cumulative(include_initial, axis, dtype):
    x = _random((3, 4), dtype, low=0.5, high=1.5)
    for name, reference, initial in [("cumulative_sum", np.cumsum, 0),
                                     ("cumulative_prod", np.cumprod, 1)]:
        expected = reference(x, axis=axis)
        if include_initial:
            pad = [(0, 0), (0, 0)]
            pad[axis] = (1, 0)
            expected = np.pad(expected, pad, constant_values=initial)
        _check(getattr(tnp, name)(tf.constant(x), axis=axis, include_initial=include_initial),
               expected, rtol=RTOL[dtype])


def test_cumulative_edge_cases():
    v = np.array([1.0, 2.0, 3.0])
    _check(tnp.cumulative_sum(tf.constant(v)), np.cumsum(v))
    _check(tnp.cumulative_sum(tf.constant(v), include_initial=True), np.array([0, 1, 3, 6.0]))
    _check(tnp.cumulative_prod(tf.constant(v), include_initial=True), np.array([1, 1, 2, 6.0]))
    _check(tnp.cumulative_sum(tf.zeros((2, 0), tf.float64), axis=1, include_initial=True),
           np.zeros((2, 1)))
    _check(tnp.cumulative_sum(tf.constant([1, 2], tf.int32)), np.array([1, 3], np.int64))
    _check(tnp.cumulative_sum(tf.constant([True, True])), np.array([1, 2], np.int64))
    _check(tnp.cumulative_sum(tf.constant(v), dtype=tnp.float32), np.cumsum(v, dtype=np.float32))


@pytest.mark.parametrize("n", [1, 2])
@pytest.mark.parametrize("axis", [0, -1])
def test_diff(n, axis):
    x = _random((4, 5))
    _check(tnp.diff(tf.constant(x), axis=axis, n=n), np.diff(x, axis=axis, n=n))
    edge = np.ones((1, 5)) if axis == 0 else np.ones((4, 1))
    _check(tnp.diff(tf.constant(x), axis=axis, n=n, prepend=tf.constant(edge),
                    append=tf.constant(edge)),
           np.diff(x, axis=axis, n=n, prepend=edge, append=edge))


# Searching and sorting


@pytest.mark.parametrize("axis", [None, 0, 1, -1])
@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("name", ["argmax", "argmin"])
def test_argmax_argmin(name, axis, keepdims):
    x = np.array([[1.0, 5.0, 5.0, -2.0], [7.0, 7.0, 0.0, -2.0], [0.0, 1.0, 2.0, 3.0]])
    expected = getattr(np, name)(x, axis=axis, keepdims=keepdims)
    _check(getattr(tnp, name)(tf.constant(x), axis=axis, keepdims=keepdims),
           np.asarray(expected, np.int64))
    _check(getattr(tnp, name)(tf.constant(x.astype(np.int32)), axis=axis, keepdims=keepdims),
           np.asarray(expected, np.int64))


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("axis", [0, -1])
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int32, np.int64])
def test_sort_argsort(descending, axis, dtype):
    x = np.random.default_rng(4).integers(-3, 4, size=(5, 6)).astype(dtype)
    expected_order = np.argsort(-x if descending else x, axis=axis, stable=True)
    _check(tnp.argsort(tf.constant(x), axis=axis, descending=descending), expected_order)
    _check(tnp.sort(tf.constant(x), axis=axis, descending=descending),
           np.take_along_axis(x, expected_order, axis=axis))


@pytest.mark.parametrize("side", ["left", "right"])
def test_searchsorted(side):
    x1 = np.array([0.0, 1.0, 1.0, 2.5, 4.0])
    x2 = np.array([[-1.0, 1.0, 1.2], [2.5, 4.0, 9.0]])
    _check(tnp.searchsorted(tf.constant(x1), tf.constant(x2), side=side),
           np.searchsorted(x1, x2, side=side).astype(np.int64))
    _check(tnp.searchsorted(tf.constant(x1), tf.constant(1.0, tf.float64), side=side),
           np.int64(np.searchsorted(x1, 1.0, side=side)))
    shuffled = np.array([2.5, 0.0, 4.0, 1.0, 1.0])
    sorter = np.argsort(shuffled, stable=True)
    _check(tnp.searchsorted(tf.constant(shuffled), tf.constant(x2), side=side,
                            sorter=tf.constant(sorter)),
           np.searchsorted(shuffled, x2, side=side, sorter=sorter).astype(np.int64))
    _check(tnp.searchsorted(tf.constant(x1, tf.float32), tf.constant(x2), side=side),
           np.searchsorted(x1, x2, side=side).astype(np.int64))


def test_nonzero():
    x = np.array([[0.0, 1.5, 0.0], [2.0, 0.0, -1.0]])
    for got, want in zip(tnp.nonzero(tf.constant(x)), np.nonzero(x), strict=True):
        _check(got, want.astype(np.int64))


# Manipulation


def test_reshape_and_broadcasting():
    x = _random((2, 3, 4))
    t = tf.constant(x)
    _check(tnp.reshape(t, (6, -1)), x.reshape(6, -1))
    _check(tnp.reshape(t, (24,)), x.reshape(24))
    _check(tnp.broadcast_to(tf.constant(x[:, :1]), (5, 2, 3, 4)),
           np.broadcast_to(x[:, :1], (5, 2, 3, 4)))
    a, b, c = np.ones((3, 1)), np.arange(4.0), np.float64(2.0)
    ours = tnp.broadcast_arrays(tf.constant(a), tf.constant(b), tf.constant(c))
    for got, want in zip(ours, np.broadcast_arrays(a, b, c), strict=True):
        _check(got, want)
    assert tnp.broadcast_shapes((3, 1), (4,), ()) == (3, 4)
    with pytest.raises(ValueError):
        tnp.broadcast_arrays(tf.zeros((2, 3)), tf.zeros((4,)))


@pytest.mark.parametrize("axis", [0, 1, -1, None])
def test_concat_and_stack(axis):
    a, b = _random((2, 3), seed=1), _random((2, 3), np.float32, seed=2)
    _check(tnp.concat([tf.constant(a), tf.constant(b)], axis=axis),
           np.concatenate([a, b.astype(np.float64)], axis=axis))
    if axis is not None:
        _check(tnp.stack([tf.constant(a), tf.constant(b)], axis=axis),
               np.stack([a, b.astype(np.float64)], axis=axis))
        _check(tnp.concat((tf.constant(a),), axis=axis), a)


def test_dimension_shuffles():
    x = _random((2, 3, 4))
    t = tf.constant(x)
    for axis in [0, 2, 3, -1, -4]:
        _check(tnp.expand_dims(t, axis=axis), np.expand_dims(x, axis))
    y = x[:, :1, None]
    for axis in [1, 2, -2, (1, 2), (2, -3), ()]:
        _check(tnp.squeeze(tf.constant(y), axis=axis), np.squeeze(y, axis=axis))
    with pytest.raises(ValueError, match="squeeze"):
        tnp.squeeze(tf.constant(y), axis=0)
    _check(tnp.permute_dims(t, (2, 0, 1)), np.transpose(x, (2, 0, 1)))
    _check(tnp.matrix_transpose(t), np.swapaxes(x, -1, -2))
    _check(tnp.matrix_transpose(tf.constant(x[0])), x[0].T)
    for source, destination in [(0, -1), (-1, 0), (1, 1), ((0, 1), (2, 0)), ((0, 2), (-1, -2))]:
        _check(tnp.moveaxis(t, source, destination), np.moveaxis(x, source, destination))
    for axis in [None, 0, -1, (0, 2), ()]:
        _check(tnp.flip(t, axis=axis), np.flip(x, axis=axis))
    parts = tnp.unstack(t, axis=1)
    assert isinstance(parts, tuple) and len(parts) == 3
    for i, part in enumerate(parts):
        _check(part, x[:, i])


@pytest.mark.parametrize("shift, axis", [(1, None), (-2, None), (1, 0), (2, -1),
                                         ((1, -1), (0, 2)), (5, 1)])
def test_roll(shift, axis):
    x = _random((2, 3, 4))
    _check(tnp.roll(tf.constant(x), shift, axis=axis), np.roll(x, shift, axis=axis))


@pytest.mark.parametrize("reps", [(2,), (1, 3), (2, 1, 2), (2, 2, 1, 1)])
def test_tile(reps):
    x = _random((2, 3))
    _check(tnp.tile(tf.constant(x), reps), np.tile(x, reps))


def test_repeat():
    x = _random((2, 3))
    t = tf.constant(x)
    _check(tnp.repeat(t, 2), np.repeat(x, 2))
    _check(tnp.repeat(t, 3, axis=1), np.repeat(x, 3, axis=1))
    _check(tnp.repeat(t, tf.constant([1, 0, 2]), axis=-1), np.repeat(x, [1, 0, 2], axis=-1))
    _check(tnp.repeat(t, tf.constant([2, 1]), axis=0), np.repeat(x, [2, 1], axis=0))


# Indexing


@pytest.mark.parametrize("axis", [None, 0, 1, -1])
def test_take(axis):
    x = _random((3, 4))
    indices = np.array([2, 0, -1, 1, 2])
    _check(tnp.take(tf.constant(x), tf.constant(indices), axis=axis),
           np.take(x, indices, axis=axis))
    _check(tnp.take(tf.constant(x), tf.constant(indices.astype(np.int32)), axis=axis),
           np.take(x, indices, axis=axis))


@pytest.mark.parametrize("x_shape, index_shape, axis", [
    ((3, 5), (3, 2), -1), ((3, 5), (3, 2), 1), ((3, 5), (4, 5), 0),
    ((2, 3, 4), (2, 3, 1), -1), ((2, 3, 4), (2, 6, 4), 1), ((2, 3, 4), (5, 3, 4), 0),
    ((3, 1, 6), (1, 4, 2), -1), ((1, 3, 4), (2, 3, 1), 1), ((2, 3, 4), (1, 1, 1), 0),
    ((4,), (6,), 0), ((3, 5), (3, 0), -1),
])
@pytest.mark.parametrize("dtype", FLOATS)
def test_take_along_axis(x_shape, index_shape, axis, dtype):
    x = _random(x_shape, dtype)
    rng = np.random.default_rng(5)
    size = x_shape[axis]
    indices = rng.integers(-size, size, size=index_shape)
    _check(tnp.take_along_axis(tf.constant(x), tf.constant(indices), axis=axis),
           np.take_along_axis(x, indices, axis=axis))
    _check(tnp.take_along_axis(tf.constant(x), tf.constant(indices.astype(np.int32)), axis=axis),
           np.take_along_axis(x, indices, axis=axis))


# Linear algebra


@pytest.mark.parametrize("shapes", [((3,), (3,)), ((3,), (3, 4)), ((2, 3), (3,)),
                                    ((2, 3), (3, 4)), ((5, 2, 3), (3, 4)),
                                    ((2, 1, 3, 4), (5, 4, 2)), ((3,), (2, 3, 4)),
                                    ((2, 4, 3), (3,))], ids=str)
@pytest.mark.parametrize("dtype", FLOATS)
def test_matmul(shapes, dtype):
    a, b = _random(shapes[0], dtype, seed=1), _random(shapes[1], dtype, seed=2)
    _check(tnp.matmul(tf.constant(a), tf.constant(b)), np.matmul(a, b), rtol=RTOL[dtype] * 5)


def test_matmul_promotes():
    a, b = _random((2, 3), np.float32), _random((3, 2))
    _check(tnp.matmul(tf.constant(a), tf.constant(b)), a.astype(np.float64) @ b)


@pytest.mark.parametrize("shapes, axis", [(((4,), (4,)), -1), (((3, 4), (4,)), -1),
                                          (((2, 1, 4), (3, 4)), -1), (((4, 3), (4, 3)), -2),
                                          (((2, 4, 3), (4, 1)), -2)], ids=str)
def test_vecdot(shapes, axis):
    a, b = _random(shapes[0], seed=1), _random(shapes[1], seed=2)
    expected = np.sum(a * b, axis=axis)
    _check(tnp.vecdot(tf.constant(a), tf.constant(b), axis=axis), expected)
    z = a + 1j * _random(shapes[0], seed=3)
    _check(tnp.vecdot(tf.constant(z), tf.constant(b.astype(complex)), axis=axis),
           np.sum(np.conj(z) * b, axis=axis))


@pytest.mark.parametrize("shapes, axes", [
    (((2, 3), (3, 4)), 1), (((2, 3, 4), (3, 4, 5)), 2), (((2, 3), (4, 5)), 0),
    (((2, 3, 4), (4, 3, 5)), ((1, 2), (1, 0))), (((3, 2), (3, 5)), ((0,), (0,))),
], ids=str)
def test_tensordot(shapes, axes):
    a, b = _random(shapes[0], seed=1), _random(shapes[1], seed=2)
    _check(tnp.tensordot(tf.constant(a), tf.constant(b), axes=axes),
           np.tensordot(a, b, axes=axes))


# Namespace-level properties


def test_namespace_metadata():
    assert tnp.__array_api_version__ == "2023.12"
    assert (tnp.e, tnp.pi, tnp.inf) == (math.e, math.pi, math.inf)
    assert math.isnan(tnp.nan) and tnp.newaxis is None
    assert tnp.isarray(tf.zeros(1)) and tnp.isarray(tf.Variable(1.0))
    assert not tnp.isarray(np.zeros(1))
    info = tnp.__array_namespace_info__()
    assert info.default_dtypes()["real floating"] == tnp.float32
    assert info.default_dtypes()["indexing"] == tnp.int64
    assert info.dtypes(kind="real floating")["float64"] == tnp.float64
    assert set(info.dtypes()) >= {"bool", "int64", "float32", "complex128"}
    assert info.capabilities()["boolean indexing"] is False
    assert info.default_device() in info.devices()


def test_functions_return_tensors_from_numpy_and_variables():
    v = tf.Variable([1.0, -2.0], dtype=tf.float64)
    _check(tnp.abs(v), np.array([1.0, 2.0]))
    _check(tnp.sum(v), np.float64(-1.0))
    _check(tnp.add(v, np.array([1.0, 1.0])), np.array([2.0, -1.0]))


# Tracing and gradients


def _composite(x: Any, y: Any, labels: Any) -> Any:
    """Many namespace functions in one expression, returning a scalar."""
    xp = tnp
    lse = xp.log(xp.sum(xp.exp(x - xp.max(x, axis=-1, keepdims=True)), axis=-1)) \
        + xp.max(x, axis=-1)
    picked = xp.squeeze(xp.take_along_axis(x, xp.expand_dims(labels, axis=-1), axis=-1), axis=-1)
    spread = xp.var(y, axis=0, correction=1) + xp.std(xp.clip(y, -1.0, 1.0), axis=0)
    smooth = xp.logaddexp(x, xp.flip(x, axis=-1))
    running = xp.cumulative_sum(xp.matrix_transpose(x), axis=-1, include_initial=True)
    total = xp.sum(lse - picked) + xp.sum(spread) + xp.mean(smooth) + xp.mean(running)
    return total + xp.sum(xp.where(y > 0, y, 0.0)) + xp.vecdot(xp.mean(x, axis=0),
                                                               xp.mean(x, axis=0))


@pytest.mark.parametrize("dtype", FLOATS)
def test_composite_runs_in_tf_function(dtype):
    x, y = _random((6, 4), dtype, seed=1), _random((6, 4), dtype, seed=2)
    labels = np.random.default_rng(3).integers(0, 4, size=6)
    eager = _composite(tf.constant(x), tf.constant(y), tf.constant(labels))
    traced = tf.function(_composite)(tf.constant(x), tf.constant(y), tf.constant(labels))
    unknown_batch = tf.function(_composite, input_signature=[
        tf.TensorSpec([None, 4], tf.as_dtype(dtype)), tf.TensorSpec([None, None], tf.as_dtype(
            dtype)), tf.TensorSpec([None], tf.int64)])
    dynamic = unknown_batch(tf.constant(x), tf.constant(y), tf.constant(labels))
    assert eager.dtype == tf.as_dtype(dtype)
    np.testing.assert_allclose(traced.numpy(), eager.numpy(), rtol=RTOL[dtype])
    np.testing.assert_allclose(dynamic.numpy(), eager.numpy(), rtol=RTOL[dtype])


def test_dynamic_shapes_in_tf_function():
    @tf.function(input_signature=[tf.TensorSpec([None, None], tf.float64),
                                  tf.TensorSpec([None, None], tf.int64)])
    def gather_and_tile(x, indices):
        picked = tnp.take_along_axis(x, indices, axis=0)
        tiled = tnp.tile(x, (2, 1, 1))
        return picked, tiled, tnp.take(x, indices[0], axis=1)

    x = _random((3, 4))
    indices = np.array([[0, -1, 2, 1]])
    picked, tiled, taken = gather_and_tile(tf.constant(x), tf.constant(indices))
    _check(picked, np.take_along_axis(x, indices, axis=0))
    _check(tiled, np.tile(x, (2, 1, 1)))
    _check(taken, np.take(x, indices[0], axis=1))
    broadcast = tf.function(input_signature=[tf.TensorSpec([None, 1, 5], tf.float64),
                                             tf.TensorSpec([1, None, 2], tf.int64)])(
        lambda a, i: tnp.take_along_axis(a, i, axis=-1))
    a, i = _random((3, 1, 5)), np.random.default_rng(0).integers(0, 5, size=(1, 4, 2))
    _check(broadcast(tf.constant(a), tf.constant(i)), np.take_along_axis(a, i, axis=-1))


def _gradients(fn: Callable[..., Any], *arrays: np.ndarray) -> list[np.ndarray]:
    tensors = [tf.constant(a) for a in arrays]
    with tf.GradientTape() as tape:
        tape.watch(tensors)
        total = tf.reduce_sum(fn(*tensors))
    return [g.numpy() for g in tape.gradient(total, tensors)]


@pytest.mark.parametrize("dtype", FLOATS)
def test_gradients_of_composites(dtype):
    rtol = RTOL[dtype] * 10
    x, y = _random((3, 4), dtype, seed=1), _random((3, 4), dtype, seed=2)
    gx, gy = _gradients(tnp.logaddexp, x, y)
    np.testing.assert_allclose(gx, 1 / (1 + np.exp(y - x)), rtol=rtol)
    np.testing.assert_allclose(gy, 1 / (1 + np.exp(x - y)), rtol=rtol)

    (g,) = _gradients(lambda a: tnp.var(a, axis=0, correction=1), x)
    np.testing.assert_allclose(g, 2 * (x - x.mean(axis=0)) / (x.shape[0] - 1), rtol=rtol)
    (g,) = _gradients(lambda a: tnp.std(a, axis=-1), x)
    np.testing.assert_allclose(g, (x - x.mean(-1, keepdims=True)) / x.shape[1]
                               / x.std(-1, keepdims=True), rtol=rtol)

    (g,) = _gradients(lambda a: tnp.cumulative_sum(a, axis=1, include_initial=True), x)
    np.testing.assert_allclose(g, np.broadcast_to(np.arange(4, 0, -1, dtype=dtype), x.shape))
    (g,) = _gradients(lambda a: tnp.cumulative_prod(a, axis=0), x)
    expected = sum(np.prod(x[: k + 1], axis=0, keepdims=True) / x * (np.arange(3)[:, None] <= k)
                   for k in range(3))
    np.testing.assert_allclose(g, expected, rtol=rtol)

    indices = np.array([[0, 0, 3], [1, 2, -1], [3, 3, 3]])
    (g,) = _gradients(lambda a: tnp.take_along_axis(a, tf.constant(indices), axis=1), x)
    counts = np.zeros(x.shape, dtype)
    for row, cols in enumerate(indices):
        np.add.at(counts[row], cols, 1)
    np.testing.assert_array_equal(g, counts)

    w = _random((4, 2), dtype, seed=3)
    gx, gw = _gradients(tnp.matmul, x, w)
    np.testing.assert_allclose(gx, np.ones((3, 2), dtype) @ w.T, rtol=rtol)
    np.testing.assert_allclose(gw, x.T @ np.ones((3, 2), dtype), rtol=rtol)
    gx, gy = _gradients(tnp.hypot, x, y)
    np.testing.assert_allclose(gx, x / np.hypot(x, y), rtol=rtol)
    np.testing.assert_allclose(gy, y / np.hypot(x, y), rtol=rtol)
    (g,) = _gradients(lambda a: tnp.where(a > 0, tnp.square(a), tnp.zeros_like(a)), x)
    np.testing.assert_allclose(g, np.where(x > 0, 2 * x, 0), rtol=rtol)


def test_gradients_at_kinks_and_extremes():
    x = np.array([-1.0, 0.0, 0.5, 1.0, 2.0, 1e4, -1e4])
    (g,) = _gradients(lambda a: tnp.clip(a, 0.0, 1.0), x)
    np.testing.assert_array_equal(g, [0, 1, 1, 1, 0, 0, 0])  # torch.clamp: 1 on the bounds
    gx, gy = _gradients(tnp.logaddexp, x, np.zeros_like(x))
    expected = 0.5 * (1 + np.tanh(x / 2))  # sigmoid(x), without overflow
    np.testing.assert_allclose(gx, expected, rtol=1e-12)
    np.testing.assert_allclose(gy, 1 - expected, rtol=1e-12, atol=1e-300)
    (g,) = _gradients(lambda a: tnp.logaddexp(a, a), x)
    np.testing.assert_allclose(g, np.ones_like(x))
    (g,) = _gradients(tnp.abs, x)
    np.testing.assert_array_equal(g, np.sign(x))


def test_gradient_inside_tf_function():
    @tf.function
    def loss_and_gradient(x, labels):
        with tf.GradientTape() as tape:
            tape.watch(x)
            picked = tnp.take_along_axis(x, tnp.expand_dims(labels, axis=-1), axis=-1)
            total = tnp.sum(tnp.logaddexp(x, 0.0)) - tnp.sum(picked)
        return total, tape.gradient(total, x)

    x = _random((4, 3))
    labels = np.array([0, 2, 1, 2])
    total, gradient = loss_and_gradient(tf.constant(x), tf.constant(labels))
    expected = 1 / (1 + np.exp(-x))
    expected[np.arange(4), labels] -= 1
    np.testing.assert_allclose(gradient.numpy(), expected, rtol=1e-12)
    np.testing.assert_allclose(total.numpy(), np.logaddexp(x, 0).sum()
                               - x[np.arange(4), labels].sum(), rtol=1e-12)
