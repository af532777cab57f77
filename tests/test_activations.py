"""Activations against their torch.nn.functional namesakes on every backend.

Values and gradients at random points, at the kinks (relu at 0, relu6 at 0 and 6, leaky_relu,
prelu and elu at 0, softplus at its threshold) and at +-1e4; float16 / bfloat16 dtypes kept.
"""

from __future__ import annotations

import numpy as np
import pytest

import omniloss as ol
from tests.helpers import (
    assert_raises_named,
    check_parity,
    check_traced,
    jax_peer,
    torch_peer,
)

DTYPES = [np.float64, np.float32]
NAMES = ["identity", "sigmoid", "log_sigmoid", "tanh", "relu", "relu6", "leaky_relu", "prelu",
         "elu", "swish", "silu", "mish", "softplus", "softmax", "log_softmax"]
# Kinks, the softplus thresholds (20 at beta=1; beta*x = 5 at x = 2.5 for beta=2) and extremes.
SPECIAL = [0.0, 6.0, 20.0, 2.5, -1e4, 1e4, -30.0, 1e-3]


def _inputs(dtype, shape=(3, 8), seed=0):
    x = 3 * np.random.default_rng(seed).normal(size=shape)
    x[0] = SPECIAL
    return x.astype(dtype)


def _swish_torch(x, *, beta=1.0):
    import torch

    return x * torch.sigmoid(beta * x)


def _torch_fn(name, options):
    import torch
    import torch.nn.functional as F

    if name == "identity":
        return lambda x: x
    if name == "swish":
        return lambda x: _swish_torch(x, **options)
    if name in ("softmax", "log_softmax"):
        return lambda x: getattr(F, name)(x, dim=options.get("axis", -1))
    fn = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "log_sigmoid": F.logsigmoid}.get(name)
    fn = fn or getattr(F, name)
    return lambda x: fn(x, **options)


ELEMENTWISE = [
    ("identity", {}), ("sigmoid", {}), ("log_sigmoid", {}), ("tanh", {}), ("relu", {}),
    ("relu6", {}), ("leaky_relu", {}), ("leaky_relu", {"negative_slope": 0.2}),
    ("leaky_relu", {"negative_slope": -0.5}), ("elu", {}), ("elu", {"alpha": 0.5}),
    ("swish", {}), ("swish", {"beta": 2.0}), ("swish", {"beta": -0.7}), ("silu", {}),
    ("mish", {}), ("softplus", {}), ("softplus", {"beta": 2.0, "threshold": 5.0}),
    ("softplus", {"beta": 0.5, "threshold": 30.0}),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,options", ELEMENTWISE, ids=str)
def test_elementwise_matches_torch(backend, name, options, dtype):
    ours = getattr(ol, name)
    value = check_parity(backend, lambda x: ours(x, **options),
                         torch_peer(_torch_fn(name, options)), [_inputs(dtype)])
    assert np.isfinite(value).all()


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("axis", [-1, 0, 1])
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_family_matches_torch(backend, name, axis, dtype):
    """Squared output, so the gradient is not the trivial one of ``sum(softmax) = 1``."""
    ours = getattr(ol, name)
    peer = _torch_fn(name, {"axis": axis})
    value = check_parity(backend, lambda x: ours(x, axis=axis) ** 2,
                         torch_peer(lambda x: peer(x) ** 2), [_inputs(dtype)])
    assert np.isfinite(value).all()


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("x_shape,weight_shape", [
    ((3, 8), (8,)), ((3, 8), (1,)), ((3, 8), ()), ((2, 3, 4, 5), (3,)), ((6,), (1,)), ((), ()),
    ((), (1,))], ids=str)
def test_prelu_matches_torch(backend, x_shape, weight_shape, dtype):
    import torch.nn.functional as F

    rng = np.random.default_rng(1)
    x = np.asarray(3 * rng.normal(size=x_shape), dtype=dtype)
    if x.ndim:
        x.reshape(-1)[:3] = [0.0, -1e4, 1e4]
    weight = rng.uniform(-0.5, 0.5, size=weight_shape).astype(dtype)
    check_parity(backend, ol.prelu, torch_peer(F.prelu), [x, weight], argnums=(0, 1))


def test_prelu_python_weight(backend):
    x = _inputs(np.float64)
    from_float = backend.to_numpy(ol.prelu(backend.asarray(x), 0.25))
    np.testing.assert_allclose(from_float, np.where(x > 0, x, 0.25 * x), rtol=1e-15)


@pytest.mark.parametrize("name,options", [
    ("relu", {}), ("relu6", {}), ("leaky_relu", {}), ("leaky_relu", {"negative_slope": 3.0}),
    ("elu", {}), ("elu", {"alpha": 0.3}), ("softplus", {}), ("softplus", {"beta": 2.0,
                                                                        "threshold": 5.0})])
def test_kink_gradients(backend, name, options):
    """Exactly at the kinks (0, 6, the softplus threshold) the gradients are torch's."""
    x = np.array([0.0, -0.0, 6.0, 20.0, 2.5, 5.0, -1e-300, 1e-300])
    check_parity(backend, lambda a: getattr(ol, name)(a, **options),
                 torch_peer(_torch_fn(name, options)), [x])


@pytest.mark.parametrize("name", [n for n in NAMES if n != "prelu"])
def test_nan_propagates_like_torch(backend, name):
    x = np.array([np.nan, 1.0, -1.0])
    check_parity(backend, getattr(ol, name), torch_peer(_torch_fn(name, {})), [x], argnums=())


@pytest.mark.parametrize("native", [True, False], ids=["native", "portable"])
@pytest.mark.parametrize("name", ["sigmoid", "log_sigmoid", "swish", "silu", "mish", "softplus",
                                  "softmax", "log_softmax"])
def test_primitive_backed_extremes(grad_backend, name, native, monkeypatch):
    """Both the fused native kernels and the portable forms are finite and exact at +-1e4."""
    monkeypatch.setattr("omniloss._primitives.use_native_kernels", native)
    for dtype in DTYPES:
        x = np.array([[-1e4, 1e4, 0.0, -50.0, 50.0, 3.0]], dtype=dtype)
        value = check_parity(grad_backend, lambda a: getattr(ol, name)(a) ** 2,
                             torch_peer(lambda a: _torch_fn(name, {})(a) ** 2), [x])
        assert np.isfinite(value).all()


@pytest.mark.parametrize("shape", [(), (0,), (2, 0)], ids=["0d", "empty", "empty2d"])
@pytest.mark.parametrize("name", [n for n in NAMES if n != "prelu"])
def test_edge_shapes(backend, name, shape):
    x = np.asarray(np.random.default_rng(2).normal(size=shape))
    check_parity(backend, getattr(ol, name), torch_peer(_torch_fn(name, {})), [x])


@pytest.mark.backend_independent
def test_python_scalar_input():
    out = ol.sigmoid(0.0)
    assert isinstance(out, np.ndarray) and out.dtype == np.float64 and out == 0.5


def _half(backend, x, dtype_name):
    """``x`` in float16 / bfloat16 of ``backend`` (None where the library lacks the dtype)."""
    xp = backend.namespace()
    if backend.name in ("numpy", "dask") and dtype_name == "float16":  # Dask: NumPy's dtypes
        return backend.asarray(np.asarray(x, dtype=np.float16))
    if backend.name in ("numpy", "array_api_strict", "dask"):
        return None
    return xp.astype(backend.asarray(x.astype(np.float32)), getattr(xp, dtype_name))


@pytest.mark.parametrize("dtype_name", ["float16", "bfloat16"])
@pytest.mark.parametrize("name", NAMES)
def test_half_precision_dtype_is_kept(backend, name, dtype_name):
    import torch

    x = np.array([[-3.0, -0.5, 0.0, 0.25, 1.0, 6.0, 20.0, -1e4, 1e4]])
    half = _half(backend, x, dtype_name)
    if half is None:
        pytest.skip(f"{backend} has no {dtype_name}")
    args = [half, _half(backend, np.array([0.25]), dtype_name)] if name == "prelu" else [half]
    out = getattr(ol, name)(*args)
    assert backend.is_native(out)
    assert out.dtype == half.dtype, f"{name}: {out.dtype} from {half.dtype}"
    # The reference: torch in float32 on the same (rounded) inputs.
    rounded = torch.from_numpy(np.asarray(x, dtype=np.float32)).to(getattr(torch, dtype_name))
    if name == "prelu":
        expected = torch.nn.functional.prelu(rounded.float(), torch.tensor([0.25]))
    else:
        expected = _torch_fn(name, {})(rounded.float())
    xp = backend.namespace()
    got = backend.to_numpy(xp.astype(out, xp.float32))
    np.testing.assert_allclose(got, expected.numpy(), rtol=2e-2, atol=2e-2)


def test_traced_prelu(tracing_backend):
    check_traced(tracing_backend, ol.prelu, [_inputs(np.float64), np.array([0.1] * 8)])


@pytest.mark.parametrize("name", [n for n in NAMES if n != "prelu"])
def test_traced(tracing_backend, name):
    check_traced(tracing_backend, getattr(ol, name), [_inputs(np.float64)])


@pytest.mark.parametrize("name", NAMES)
def test_integer_input_is_rejected(backend, name):
    x = backend.asarray(np.arange(6, dtype=np.int64).reshape(2, 3))
    extra = [backend.asarray(np.array([0.1]))] if name == "prelu" else []
    assert_raises_named(TypeError, name, "x", lambda: getattr(ol, name)(x, *extra))


@pytest.mark.parametrize("name,options,argument,error", [
    ("leaky_relu", {"negative_slope": "0.1"}, "negative_slope", TypeError),
    ("elu", {"alpha": float("nan")}, "alpha", ValueError),
    ("swish", {"beta": None}, "beta", TypeError),
    ("softplus", {"beta": 0.0}, "beta", ValueError),
    ("softplus", {"threshold": float("nan")}, "threshold", ValueError),
    ("softmax", {"axis": 2}, "axis", ValueError),
    ("log_softmax", {"axis": 1.0}, "axis", TypeError),
])
def test_bad_options(backend, name, options, argument, error):
    x = backend.asarray(_inputs(np.float64))
    assert_raises_named(error, name, argument, lambda: getattr(ol, name)(x, **options))


def test_softmax_0d_axis(backend):
    x = backend.asarray(np.array(3.0))
    assert backend.to_numpy(ol.softmax(x, axis=0)) == 1.0
    assert_raises_named(ValueError, "softmax", "axis", lambda: ol.softmax(x, axis=1))


@pytest.mark.parametrize("x_shape,weight_shape", [
    ((3, 8), (2, 4)), ((3, 8), (3,)), ((6,), (6,)), ((), (2,))], ids=str)
def test_prelu_bad_weight(backend, x_shape, weight_shape):
    import torch
    import torch.nn.functional as F

    x, weight = np.ones(x_shape), np.full(weight_shape, 0.1)
    with pytest.raises(RuntimeError):
        F.prelu(torch.from_numpy(x), torch.from_numpy(weight))
    xs = backend.convert([x, weight])
    assert_raises_named(ValueError, "prelu", "weight", lambda: ol.prelu(*xs))


def _optax_sparsemax(axis):
    def peer(x):
        import jax
        import jax.numpy as jnp
        from optax.projections import projection_simplex

        # optax's JVP fails on float32 under jax_enable_x64: the peer runs in float64
        rows = jnp.moveaxis(x, axis, -1).astype(jnp.float64)
        p = jax.vmap(projection_simplex)(rows.reshape(-1, rows.shape[-1])).reshape(rows.shape)
        return (jnp.moveaxis(p, -1, axis) ** 2).astype(x.dtype)

    return peer


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("axis", [-1, 0])
def test_sparsemax_matches_optax(backend, axis, dtype):
    """Squared output, so the gradient is not the trivial one of ``sum(sparsemax) = 1``."""
    x = _inputs(dtype)
    x[1, :3] = 2.0  # a tie inside the support
    check_parity(backend, lambda a: ol.sparsemax(a, axis=axis) ** 2,
                 jax_peer(_optax_sparsemax(axis)), [x])
