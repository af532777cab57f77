"""Regression losses against their defining peers on every backend."""

from __future__ import annotations

import numpy as np
import pytest

import omniloss as ol
from tests.helpers import (
    assert_raises_named,
    check_parity,
    check_traced,
    keras_peer,
    torch_peer,
)

REDUCTIONS = ["mean", "sum", "none"]
DTYPES = [np.float64, np.float32]


def _pair(shape: tuple[int, ...], dtype: type, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.normal(size=shape).astype(dtype), rng.normal(size=shape).astype(dtype)]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ["l1_loss", "mse_loss"])
def test_matches_torch(backend, name, dtype, reduction):
    import torch.nn.functional as F

    ours = getattr(ol, name)
    check_parity(backend, lambda x, y: ours(x, y, reduction=reduction),
                 torch_peer(getattr(F, name), reduction=reduction), _pair((4, 5), dtype),
                 argnums=(0, 1))


@pytest.mark.parametrize("name", ["l1_loss", "mse_loss"])
@pytest.mark.parametrize("shape", [(), (0,), (3, 0, 2)], ids=["0d", "empty", "empty3d"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_edge_shapes(backend, name, shape, reduction):
    import torch.nn.functional as F

    check_parity(backend, lambda x, y: getattr(ol, name)(x, y, reduction=reduction),
                 torch_peer(getattr(F, name), reduction=reduction), _pair(shape, np.float64),
                 argnums=(0, 1))


def test_l1_kink_gradient_is_zero(backend):
    import torch.nn.functional as F

    x = np.array([0.0, 1.0, -2.0, 3.0])
    check_parity(backend, ol.l1_loss, torch_peer(F.l1_loss), [x, np.array([0.0, 1.0, 0.0, 5.0])],
                 argnums=(0, 1))


@pytest.mark.parametrize("name", ["l1_loss", "mse_loss"])
def test_nan_and_scalar_target(backend, name):
    import torch.nn.functional as F

    x = np.array([np.nan, 1.0, 2.0])
    check_parity(backend, lambda a, b: getattr(ol, name)(a, b, reduction="none"),
                 torch_peer(getattr(F, name), reduction="none"), [x, np.zeros(3)],
                 argnums=())
    value = backend.to_numpy(getattr(ol, name)(backend.asarray(x[1:]), 1.0))
    expected = {"l1_loss": 0.5, "mse_loss": 0.5}[name]
    assert value == pytest.approx(expected)


@pytest.mark.parametrize("name", ["l1_loss", "mse_loss"])
def test_traced(tracing_backend, name):
    check_traced(tracing_backend, getattr(ol, name), _pair((3, 4), np.float64))


@pytest.mark.parametrize("name", ["l1_loss", "mse_loss"])
def test_bad_inputs(backend, name):
    fn = getattr(ol, name)
    x, y = (backend.asarray(a) for a in _pair((3, 4), np.float64))
    assert_raises_named(ValueError, name, "target",
                        lambda: fn(x, backend.asarray(np.zeros((3, 1)))))
    assert_raises_named(ValueError, name, "reduction", lambda: fn(x, y, reduction="avg"))
    assert_raises_named(TypeError, name, "input",
                        lambda: fn(backend.asarray(np.ones((3, 4), dtype=np.int64)), y))


# ---------------------------------------------------------------------------------------------
# The rest of the family. Peers: torch.nn.functional where torch defines the loss, keras.losses
# (mean over the last axis of our elementwise loss) for log_cosh / msle / mape, and the defining
# formula written in torch (float64 autograd) where no framework has the loss.

NEW_NAMES = ["rmse_loss", "smooth_l1_loss", "huber_loss", "pseudo_huber_loss", "log_cosh_loss",
             "msle_loss", "mape_loss", "poisson_nll_loss", "gaussian_nll_loss", "quantile_loss",
             "robust_loss"]


def _torch_reduce(loss, reduction):
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _pseudo_huber_torch(x, y, *, delta=1.0):
    import torch

    return delta**2 * (torch.sqrt(1 + ((x - y) / delta) ** 2) - 1)


def _quantile_torch(x, y, *, quantile=0.5):
    import torch

    residual = y - x
    return torch.maximum(quantile * residual, (quantile - 1) * residual)


def _barron_torch(x, y, *, alpha=1.0, scale=1.0):
    """Barron (CVPR 2019) eq. 1 and its limits, written as in the paper."""
    import torch

    z = ((x - y) / scale) ** 2
    if alpha == 2:
        return 0.5 * z
    if alpha == 0:
        return torch.log(0.5 * z + 1)
    if alpha == -np.inf:
        return 1 - torch.exp(-0.5 * z)
    if alpha == np.inf:
        return torch.exp(0.5 * z) - 1
    b = abs(alpha - 2)
    return b / alpha * ((z / b + 1) ** (alpha / 2) - 1)


def _log_cosh_torch(x, y):
    import torch

    return torch.log(torch.cosh(x - y))


def _msle_torch(x, y):
    import torch

    return (torch.log1p(torch.clamp(x, min=1e-7)) - torch.log1p(torch.clamp(y, min=1e-7))) ** 2


def _mape_torch(x, y):
    import torch

    return 100 * torch.abs((y - x) / torch.clamp(torch.abs(y), min=1e-7))


def _rmse_torch(x, y, *, reduction="mean"):
    import torch

    if reduction == "mean":
        return torch.sqrt(torch.nn.functional.mse_loss(x, y))
    square = (x - y) ** 2
    per_sample = square.mean(dim=tuple(range(1, x.ndim))) if x.ndim > 1 else square
    return _torch_reduce(torch.sqrt(per_sample), reduction)


def _elementwise_reference(name, **options):
    """The elementwise loss of ``name`` in torch: F.<name>(reduction="none") or the formula."""
    import torch.nn.functional as F

    formulas = {"pseudo_huber_loss": _pseudo_huber_torch, "quantile_loss": _quantile_torch,
                "robust_loss": _barron_torch, "log_cosh_loss": _log_cosh_torch,
                "msle_loss": _msle_torch, "mape_loss": _mape_torch}
    if name in formulas:
        return lambda *a: formulas[name](*a, **options)
    return lambda *a: getattr(F, name)(*a, reduction="none", **options)


def _torch_reference(name, reduction, **options):
    """A torch peer for ``name`` under ``reduction`` (F itself where torch has the loss)."""
    import torch.nn.functional as F

    if name == "rmse_loss":
        return torch_peer(_rmse_torch, reduction=reduction)
    if hasattr(F, name):
        return torch_peer(getattr(F, name), reduction=reduction, **options)
    elementwise = _elementwise_reference(name, **options)
    return torch_peer(lambda *a: _torch_reduce(elementwise(*a), reduction))


def _positive(shape, dtype, seed=0, low=0.1, high=3.0):
    return np.random.default_rng(seed).uniform(low, high, size=shape).astype(dtype)


def _counts(shape, dtype, seed=0):
    """Poisson targets: 0.5, exactly 1 (torch's Stirling cut-off), and counts above 1."""
    return np.random.default_rng(seed).choice([0.5, 1.0, 2.0, 3.0, 7.0], size=shape).astype(dtype)


TORCH_DEFINED = [
    ("smooth_l1_loss", {}), ("smooth_l1_loss", {"beta": 0.5}), ("smooth_l1_loss", {"beta": 0.0}),
    ("huber_loss", {}), ("huber_loss", {"delta": 2.5}),
    ("pseudo_huber_loss", {}), ("pseudo_huber_loss", {"delta": 0.3}),
    ("quantile_loss", {}), ("quantile_loss", {"quantile": 0.9}),
    ("quantile_loss", {"quantile": 0.1}),
    ("robust_loss", {}), ("robust_loss", {"alpha": 2.0, "scale": 0.5}),
    ("robust_loss", {"alpha": 0.0}), ("robust_loss", {"alpha": -np.inf, "scale": 2.0}),
    ("robust_loss", {"alpha": np.inf, "scale": 3.0}), ("robust_loss", {"alpha": -2.0}),
    ("robust_loss", {"alpha": 0.5, "scale": 0.7}), ("robust_loss", {"alpha": 4.0}),
]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,options", TORCH_DEFINED, ids=lambda v: str(v))
def test_residual_losses_match_reference(backend, name, options, dtype, reduction):
    ours = getattr(ol, name)
    tolerance = {"rtol": 1e-4, "atol": 1e-5} if dtype == np.float32 else {}
    check_parity(backend, lambda x, y: ours(x, y, reduction=reduction, **options),
                 _torch_reference(name, reduction, **options), _pair((4, 5), dtype),
                 argnums=(0, 1), **tolerance)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(4, 5), (6,), (2, 3, 4)], ids=str)
def test_rmse_matches_sqrt_of_torch_mse(backend, shape, dtype, reduction):
    check_parity(backend, lambda x, y: ol.rmse_loss(x, y, reduction=reduction),
                 _torch_reference("rmse_loss", reduction), _pair(shape, dtype), argnums=(0, 1))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_rmse_gradient_is_zero_at_a_perfect_fit(grad_backend, reduction):
    """sqrt(F.mse_loss) gives NaN gradients at r = 0 (inf * 0); ours gives 0 (documented)."""
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    target = x.copy()
    target[1] += 1.0
    value, grads = grad_backend.value_and_grad(
        lambda a, b: ol.rmse_loss(a, b, reduction=reduction), [x, target], (0, 1))
    assert np.all(np.isfinite(value))
    if reduction == "mean":
        expected = (x - target) / (4 * np.sqrt(0.5))
    else:
        expected = np.array([[0.0, 0.0], [-1.0, -1.0]]) / 2
    np.testing.assert_allclose(grads[0], expected, rtol=1e-12)
    np.testing.assert_allclose(grads[1], -expected, rtol=1e-12)
    x0 = x[0].copy()
    _, zero_grads = grad_backend.value_and_grad(ol.rmse_loss, [x0, x0.copy()], (0, 1))
    assert all(np.array_equal(g, np.zeros(2)) for g in zero_grads)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ["log_cosh_loss", "msle_loss", "mape_loss"])
def test_keras_defined_losses(backend, name, dtype, reduction):
    """Our elementwise loss, averaged over the last axis, is keras's function (y_true, y_pred)."""
    import keras
    import tensorflow as tf

    keras_fn = {"log_cosh_loss": keras.losses.log_cosh,
                "msle_loss": keras.losses.mean_squared_logarithmic_error,
                "mape_loss": keras.losses.mean_absolute_percentage_error}[name]
    ours = getattr(ol, name)
    rng = np.random.default_rng(1)
    x = rng.uniform(-1.0, 3.0, size=(4, 5)).astype(dtype)
    y = rng.uniform(-1.0, 3.0, size=(4, 5)).astype(dtype)
    if reduction == "none":
        def wrapped(a, b):
            return ol.get_namespace(a).mean(ours(a, b, reduction="none"), axis=-1)

        peer = keras_peer(lambda a, b: keras_fn(b, a))
    else:
        def wrapped(a, b):
            return ours(a, b, reduction=reduction)

        scale = 1 if reduction == "mean" else x.shape[-1]
        total = tf.reduce_mean if reduction == "mean" else tf.reduce_sum
        peer = keras_peer(lambda a, b: total(keras_fn(b, a)) * scale)
    # keras's log_cosh rounds its log(2) constant to float32 (1.9e-9 off) even in float64.
    count = x.size if reduction == "sum" else 1
    atol = 3e-9 * count if name == "log_cosh_loss" and dtype == np.float64 else None
    check_parity(backend, wrapped, peer, [x, y], argnums=(0, 1), atol=atol)


@pytest.mark.parametrize("native", [True, False], ids=["native", "portable"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_log_cosh_is_overflow_safe(backend, dtype, native, monkeypatch):
    import keras

    monkeypatch.setattr("omniloss._primitives.use_native_kernels", native)

    x = np.array([[1e4, -1e4, 30.0, -30.0, 0.0]], dtype=dtype)
    y = np.array([[0.0, 0.0, 0.0, 1e-3, 0.0]], dtype=dtype)
    value = check_parity(
        backend, lambda a, b: ol.get_namespace(a).mean(ol.log_cosh_loss(a, b, reduction="none"),
                                                       axis=-1),
        keras_peer(lambda a, b: keras.losses.log_cosh(b, a)), [x, y], argnums=(0, 1))
    assert np.all(np.isfinite(value))
    elementwise = backend.to_numpy(ol.log_cosh_loss(*backend.convert([x, y]), reduction="none"))
    np.testing.assert_allclose(elementwise[0, :2], 1e4 - np.log(2), rtol=1e-6)


@pytest.mark.parametrize("name", ["msle_loss", "mape_loss"])
def test_keras_epsilon_floor_and_kinks(backend, name):
    """Ties at eps (gradient to the first argument of TF's maximum), zeros and negatives."""
    import keras

    keras_fn = {"msle_loss": keras.losses.mean_squared_logarithmic_error,
                "mape_loss": keras.losses.mean_absolute_percentage_error}[name]
    eps = np.float32(1e-7)
    x = np.array([[eps, -1.0, 0.0, 2.0, 1.0, eps]], dtype=np.float32)
    y = np.array([[1.0, 0.0, -eps, 2.0, eps, -2.0]], dtype=np.float32)
    check_parity(backend,
                 lambda a, b: ol.get_namespace(a).mean(getattr(ol, name)(a, b, reduction="none"),
                                                       axis=-1),
                 keras_peer(lambda a, b: keras_fn(b, a)), [x, y], argnums=(0, 1))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,option,value", [
    ("smooth_l1_loss", "beta", 1.0), ("smooth_l1_loss", "beta", 0.5),
    ("smooth_l1_loss", "beta", 0.0), ("huber_loss", "delta", 1.0), ("huber_loss", "delta", 2.0)])
def test_switch_point_gradients(backend, name, option, value, dtype):
    """At |r| = beta (delta) and at r = 0 the gradients are torch's."""
    import torch.nn.functional as F

    x = np.array([value, -value, 0.0, 0.5 + value, 2 * value + 1, value / 2], dtype=dtype)
    y = np.array([0.0, 0.0, 0.0, 0.5, 0.0, 0.0], dtype=dtype)
    check_parity(backend, lambda a, b: getattr(ol, name)(a, b, reduction="sum", **{option: value}),
                 torch_peer(getattr(F, name), reduction="sum", **{option: value}), [x, y],
                 argnums=(0, 1))


def test_quantile_kink_gradient(backend):
    """At r = 0 the gradient is q - 1/2 (torch.maximum's tie); at q = 0.5 it is l1's 0."""
    x = np.array([1.0, 2.0, -1.0, 0.5])
    y = np.array([1.0, 0.0, 3.0, 0.5])
    for quantile in (0.5, 0.8):
        check_parity(backend, lambda a, b, q=quantile: ol.quantile_loss(a, b, quantile=q),
                     _torch_reference("quantile_loss", "mean", quantile=quantile), [x, y],
                     argnums=(0, 1))
    if backend.has_grad:
        _, (grad,) = backend.value_and_grad(
            lambda a, b: ol.quantile_loss(a, b, quantile=0.8, reduction="sum"), [x, y], (0,))
        np.testing.assert_allclose(grad, [-0.3, 0.2, -0.8, -0.3])


@pytest.mark.parametrize("alpha", [0.0, 2.0, -np.inf, np.inf])
def test_robust_loss_is_continuous_at_its_limits(backend, alpha):
    x = np.linspace(-4.0, 4.0, 9)
    y = np.zeros(9)
    ours = ol.robust_loss
    limit = backend.to_numpy(ours(*backend.convert([x, y]), alpha=alpha, reduction="none"))
    nearby = [alpha + 1e-7, alpha - 1e-7] if np.isfinite(alpha) else [np.sign(alpha) * 1e9]
    for near in nearby:
        value = backend.to_numpy(ours(*backend.convert([x, y]), alpha=near, reduction="none"))
        np.testing.assert_allclose(value, limit, rtol=1e-6, atol=1e-12)
        if backend.has_grad:
            _, (grad_limit,) = backend.value_and_grad(
                lambda a, b: ours(a, b, alpha=alpha, reduction="sum"), [x, y], (0,))
            _, (grad,) = backend.value_and_grad(
                lambda a, b, n=near: ours(a, b, alpha=n, reduction="sum"), [x, y], (0,))
            np.testing.assert_allclose(grad, grad_limit, rtol=1e-6, atol=1e-12)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("log_input,full,eps", [
    (True, False, 1e-8), (True, True, 1e-8), (False, False, 1e-8), (False, True, 1e-8),
    (False, False, 0.1)])
def test_poisson_nll_matches_torch(backend, log_input, full, eps, dtype, reduction):
    import torch.nn.functional as F

    x = _pair((4, 5), dtype)[0] if log_input else _positive((4, 5), dtype)
    options = {"log_input": log_input, "full": full, "eps": eps}
    check_parity(backend, lambda a, b: ol.poisson_nll_loss(a, b, reduction=reduction, **options),
                 torch_peer(F.poisson_nll_loss, reduction=reduction, **options),
                 [x, _counts((4, 5), dtype)], argnums=(0, 1))


@pytest.mark.parametrize("log_input", [True, False])
def test_poisson_nll_zero_counts_and_zero_rate(backend, log_input):
    """Zero targets and (rate input) a zero rate: values and input gradients are torch's.

    With ``full`` torch's gradient with respect to a zero target is NaN; ours is 0.
    """
    import torch.nn.functional as F

    x = np.array([0.0, 0.5, 2.0, 0.0])
    y = np.array([0.0, 0.0, 3.0, 1.0])
    for full in (False, True):
        check_parity(backend,
                     lambda a, b, f=full: ol.poisson_nll_loss(a, b, log_input=log_input, full=f),
                     torch_peer(F.poisson_nll_loss, log_input=log_input, full=full), [x, y],
                     argnums=(0,))
    if backend.has_grad:
        grads = [backend.value_and_grad(
            lambda a, b, f=full: ol.poisson_nll_loss(a, b, log_input=log_input, full=f),
            [x, y], (1,))[1][0] for full in (False, True)]
        assert np.isfinite(grads[1]).all()
        np.testing.assert_array_equal(grads[1][:2], grads[0][:2])


def test_poisson_nll_integer_counts(backend):
    x = _pair((3, 4), np.float64)[0]
    counts = np.random.default_rng(0).poisson(2.0, size=(3, 4))
    value = backend.to_numpy(ol.poisson_nll_loss(*backend.convert([x, counts]), full=True))
    expected = backend.to_numpy(
        ol.poisson_nll_loss(*backend.convert([x, counts.astype(np.float64)]), full=True))
    assert value.dtype == np.float64
    np.testing.assert_allclose(value, expected, rtol=1e-12)


GAUSSIAN_VARIANCES = {
    "same": lambda rng, dtype: rng.uniform(0.2, 2.0, size=(4, 5)).astype(dtype),
    "one_fewer": lambda rng, dtype: rng.uniform(0.2, 2.0, size=(4,)).astype(dtype),
    "last_one": lambda rng, dtype: rng.uniform(0.2, 2.0, size=(4, 1)).astype(dtype),
    "first_one": lambda rng, dtype: rng.uniform(0.2, 2.0, size=(1, 5)).astype(dtype),
    "float": lambda rng, dtype: 0.7,
    "below_eps": lambda rng, dtype: rng.choice([1e-8, 0.0, 1e-7, 0.5], size=(4, 5)).astype(dtype),
}


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("full", [False, True])
@pytest.mark.parametrize("variance", list(GAUSSIAN_VARIANCES))
def test_gaussian_nll_matches_torch(backend, variance, full, dtype, reduction):
    import torch.nn.functional as F

    var = GAUSSIAN_VARIANCES[variance](np.random.default_rng(2), dtype)
    eps = 1e-6 if variance != "below_eps" or dtype == np.float64 else 1e-4
    argnums = (0, 1) if isinstance(var, float) else (0, 1, 2)
    relative = 1e-5 if dtype == np.float32 else None
    check_parity(backend,
                 lambda a, b, v: ol.gaussian_nll_loss(a, b, v, full=full, eps=eps,
                                                      reduction=reduction),
                 torch_peer(F.gaussian_nll_loss, full=full, eps=eps, reduction=reduction),
                 [*_pair((4, 5), dtype), var], argnums=argnums, grad_rtol=relative)


def test_gaussian_nll_floor_gradient_passes_straight_through(grad_backend):
    """torch's clamp under no_grad: the value uses eps, the gradient is taken at eps."""
    import torch.nn.functional as F

    x = np.array([1.0, 2.0, 0.5])
    y = np.zeros(3)
    var = np.array([1e-8, 1.0, 1e-6])
    check_parity(grad_backend, lambda a, b, v: ol.gaussian_nll_loss(a, b, v, reduction="none"),
                 torch_peer(F.gaussian_nll_loss, reduction="none"), [x, y, var],
                 argnums=(0, 1, 2))
    _, (grad,) = grad_backend.value_and_grad(
        lambda a, b, v: ol.gaussian_nll_loss(a, b, v, reduction="none"), [x, y, var], (2,))
    assert grad[0] == pytest.approx(0.5 * (1e6 - 1e12))


EDGE_OPTIONS = {"gaussian_nll_loss": {}, "poisson_nll_loss": {"full": True},
                "robust_loss": {"alpha": -1.0}}


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(), (0,), (3, 0, 2)], ids=["0d", "empty", "empty3d"])
@pytest.mark.parametrize("name", NEW_NAMES)
def test_new_losses_edge_shapes(backend, name, shape, reduction):
    ours = getattr(ol, name)
    options = EDGE_OPTIONS.get(name, {})
    args = _pair(shape, np.float64)
    if name in ("msle_loss", "mape_loss", "poisson_nll_loss"):
        args = [_positive(shape, np.float64, seed=3), _positive(shape, np.float64, seed=4)]
    if name == "gaussian_nll_loss":
        args.append(_positive(shape, np.float64, seed=5))
    if name == "rmse_loss" and shape == () and reduction != "mean":
        xs = backend.convert(args)
        assert_raises_named(ValueError, name, "input", lambda: ours(*xs, reduction=reduction))
        return
    check_parity(backend, lambda *a: ours(*a, reduction=reduction, **options),
                 _torch_reference(name, reduction, **options), args,
                 argnums=tuple(range(len(args))))


@pytest.mark.parametrize("name", NEW_NAMES)
def test_python_scalar_target(backend, name):
    ours = getattr(ol, name)
    x = _positive((3, 2), np.float64)
    extra = [_positive((3, 2), np.float64, seed=1)] if name == "gaussian_nll_loss" else []
    from_scalar = ours(*backend.convert([x, 1.5, *extra]), reduction="none")
    from_array = ours(*backend.convert([x, np.full((3, 2), 1.5), *extra]), reduction="none")
    assert backend.is_native(from_scalar)
    np.testing.assert_allclose(backend.to_numpy(from_scalar), backend.to_numpy(from_array),
                               rtol=1e-12)


def _traced_args(name):
    args = [_positive((3, 4), np.float64, seed=6), _positive((3, 4), np.float64, seed=7)]
    if name == "gaussian_nll_loss":
        args.append(np.array([1e-8, 0.5, 2.0]))
    return args


@pytest.mark.parametrize("name", NEW_NAMES)
def test_new_losses_traced(tracing_backend, name):
    options = {"poisson_nll_loss": {"full": True}, "robust_loss": {"alpha": 0.0},
               "quantile_loss": {"quantile": 0.3}}.get(name, {})
    check_traced(tracing_backend, lambda *a: getattr(ol, name)(*a, **options), _traced_args(name))


@pytest.mark.parametrize("name", NEW_NAMES)
def test_new_losses_bad_inputs(backend, name):
    fn = getattr(ol, name)
    x, y, *extra = backend.convert(_traced_args(name))
    assert_raises_named(ValueError, name, "target",
                        lambda: fn(x, backend.asarray(np.zeros((3, 1))), *extra))
    assert_raises_named(ValueError, name, "reduction",
                        lambda: fn(x, y, *extra, reduction="avg"))
    assert_raises_named(TypeError, name, "input",
                        lambda: fn(backend.asarray(np.ones((3, 4), dtype=np.int64)), y, *extra))


@pytest.mark.parametrize("name,options,argument,error", [
    ("smooth_l1_loss", {"beta": -1.0}, "beta", ValueError),
    ("huber_loss", {"delta": 0.0}, "delta", ValueError),
    ("huber_loss", {"delta": "1"}, "delta", TypeError),
    ("pseudo_huber_loss", {"delta": -2.0}, "delta", ValueError),
    ("quantile_loss", {"quantile": 0.0}, "quantile", ValueError),
    ("quantile_loss", {"quantile": 1.0}, "quantile", ValueError),
    ("quantile_loss", {"quantile": float("nan")}, "quantile", ValueError),
    ("robust_loss", {"alpha": float("nan")}, "alpha", ValueError),
    ("robust_loss", {"alpha": "1"}, "alpha", TypeError),
    ("robust_loss", {"scale": 0.0}, "scale", ValueError),
    ("poisson_nll_loss", {"log_input": "yes"}, "log_input", TypeError),
    ("poisson_nll_loss", {"log_input": 1}, "log_input", TypeError),
    ("poisson_nll_loss", {"full": None}, "full", TypeError),
    ("poisson_nll_loss", {"eps": -1e-8}, "eps", ValueError),
    ("gaussian_nll_loss", {"full": 2}, "full", TypeError),
    ("gaussian_nll_loss", {"eps": -1.0}, "eps", ValueError),
])
def test_bad_options(backend, name, options, argument, error):
    args = backend.convert(_traced_args(name))
    assert_raises_named(error, name, argument, lambda: getattr(ol, name)(*args, **options))


@pytest.mark.parametrize("var_shape", [(3, 5), (4,), (1, 1), (3, 4, 1), (4, 3)], ids=str)
def test_gaussian_nll_rejects_var_shapes_torch_rejects(backend, var_shape):
    import torch
    import torch.nn.functional as F

    x, y = _pair((3, 4), np.float64)
    var = np.ones(var_shape)
    with pytest.raises(ValueError, match="var is of incorrect size"):
        F.gaussian_nll_loss(*(torch.from_numpy(a) for a in (x, y, var)))
    xs = backend.convert([x, y, var])
    assert_raises_named(ValueError, "gaussian_nll_loss", "var",
                        lambda: ol.gaussian_nll_loss(*xs))


def test_gaussian_nll_bad_var(backend):
    x, y = backend.convert(_pair((3, 4), np.float64))
    assert_raises_named(ValueError, "gaussian_nll_loss", "var",
                        lambda: ol.gaussian_nll_loss(x, y, -1.0))
    assert_raises_named(TypeError, "gaussian_nll_loss", "var",
                        lambda: ol.gaussian_nll_loss(
                            x, y, backend.asarray(np.ones((3, 4), dtype=np.int64))))


KERAS_WEIGHTED = [
    ("l1_loss", "MeanAbsoluteError", {}),
    ("mse_loss", "MeanSquaredError", {}),
    ("huber_loss", "Huber", {}),
    ("log_cosh_loss", "LogCosh", {}),
    ("msle_loss", "MeanSquaredLogarithmicError", {}),
    ("mape_loss", "MeanAbsolutePercentageError", {}),
    ("poisson_nll_loss", "Poisson", {"log_input": False, "eps": 1e-7}),
]


@pytest.mark.parametrize("name,keras_name,options", KERAS_WEIGHTED,
                         ids=[n for n, _, _ in KERAS_WEIGHTED])
def test_sample_weight_matches_keras(backend, name, keras_name, options):
    """keras's loss object with ``reduction="mean_with_sample_weight"`` and a per-sample weight
    ``(N,)``: keras averages over the last axis first, so ours takes the weight as ``(N, 1)``
    against the elementwise loss. float32, as keras computes."""
    import keras

    rng = np.random.default_rng(7)
    x = rng.normal(size=(8, 5)).astype(np.float32)
    y = rng.normal(size=(8, 5)).astype(np.float32)
    if name in ("msle_loss", "poisson_nll_loss"):  # rates and counts
        x, y = np.abs(x) + np.float32(0.1), np.abs(y)
    weight = rng.uniform(0.0, 2.0, size=(8, 1)).astype(np.float32)
    weight[2] = 0.0
    keras_loss = getattr(keras.losses, keras_name)(reduction="mean_with_sample_weight")
    ours = getattr(ol, name)
    check_parity(backend, lambda a, b, w: ours(a, b, sample_weight=w, **options),
                 keras_peer(lambda a, b, w: keras_loss(b, a, sample_weight=w)), [x, y, weight],
                 argnums=(0, 2), rtol=2e-5 if name != "mape_loss" else 1e-4, atol=1e-6)
