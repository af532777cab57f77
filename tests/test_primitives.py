"""The numerical primitives of :mod:`omniloss._primitives` on every backend.

Values are checked against SciPy / NumPy in float64 and, on the backends with autodiff, gradients
against torch autograd (the primitives' reference semantics: ``torch.clamp``'s gradient on the
bounds, ``torch.xlogy``'s at ``x == 0``). The native fused kernels (``torch.logsumexp``,
``jax.nn.log_softmax``, ``tf.nn.softplus``...) are checked equal to the portable Array API
implementations, values and gradients, by turning ``use_native_kernels`` off.
"""

from __future__ import annotations

import importlib
import inspect
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import scipy.special as special

from omniloss import _primitives as P
from omniloss import get_namespace
from tests.helpers import Backend, assert_close, check_parity, numpy_peer, torch_peer

DTYPES = [np.float64, np.float32]
INF = np.inf


def _primitive(name: str, **kwargs: Any) -> Callable[..., Any]:
    """``P.<name>(xp, *arrays, **kwargs)`` with ``xp`` resolved from the arrays."""
    fn = getattr(P, name)
    return lambda *arrays: fn(get_namespace(*arrays), *arrays, **kwargs)


def _logits(dtype: Any, shape: tuple[int, ...] = (4, 5), seed: int = 0) -> np.ndarray:
    return (3 * np.random.default_rng(seed).normal(size=shape)).astype(dtype)


EXTREME = np.array([[1e4, -1e4, 0.0, 1.0, 3.0],
                    [-1e4, -1e4, -1e4, -1e4, -1e4],
                    [1e4, 1e4, 1e4, 9999.0, -1e4],
                    [-50.0, 50.0, 0.0, 30.0, -30.0]])
WITH_NEG_INF = np.array([[-INF, 0.0, 1.0, -INF, 2.0],
                         [-INF, -INF, -INF, 5.0, -INF],
                         [0.0, 0.0, 0.0, 0.0, 0.0]])
ALL_NEG_INF = np.array([[-INF, -INF, -INF], [0.0, 1.0, -INF]])
NONNEGATIVE = np.array([[0.0, 1e-30, 0.25, 4.0, 1e4], [0.0, 0.0, 2.0, INF, 9.0]])
INPUTS = {"regular": None, "extreme": EXTREME, "neg_inf": WITH_NEG_INF,
          "nonnegative": NONNEGATIVE}


def _inputs(kind: str, dtype: Any) -> np.ndarray:
    fixed = INPUTS[kind]
    return _logits(dtype) if fixed is None else fixed.astype(dtype)


def _torch_dims(axis: Any, ndim: int) -> Any:
    return tuple(range(ndim)) if axis is None else axis


# Values against SciPy / NumPy (every backend), gradients against torch autograd.


def _check_logsumexp(backend: Backend, x: np.ndarray, axis: Any, keepdims: bool,
                     grad_rtol: float | None = None) -> None:
    import torch

    ours = _primitive("logsumexp", axis=axis, keepdims=keepdims)
    check_parity(backend, ours, numpy_peer(lambda a: special.logsumexp(
        a.astype(np.float64), axis=axis, keepdims=keepdims)), [x], argnums=())
    check_parity(backend, ours, torch_peer(lambda a: torch.logsumexp(
        a, dim=_torch_dims(axis, a.ndim), keepdim=keepdims)), [x], grad_rtol=grad_rtol)


@pytest.mark.parametrize("axis, keepdims", [(-1, False), (0, True), (None, False),
                                            (None, True), ((0, 2), False), ((2, 0), True),
                                            ((-1,), False), ((0, 1, 2), False)], ids=str)
def test_logsumexp_axes(backend, axis, keepdims):
    _check_logsumexp(backend, _logits(np.float64, (3, 4, 5)), axis, keepdims)


@pytest.mark.parametrize("kind", ["extreme", "neg_inf"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_logsumexp_extreme(backend, dtype, kind):
    # torch.logsumexp's backward is exp(x - result), with result rounded at the magnitude of the
    # logits: at 1e4 in float32 that is 1e-3 absolute, so its gradient is off by up to 1e-3.
    grad_rtol = 2e-3 if dtype == np.float32 and kind == "extreme" else None
    for axis, keepdims in [(-1, False), ((0, 1), True)]:
        _check_logsumexp(backend, _inputs(kind, dtype), axis, keepdims, grad_rtol)


@pytest.mark.parametrize("keepdims", [False, True])
def test_logsumexp_over_no_axis_and_0d(backend, keepdims):
    x = _logits(np.float64, (2, 3))
    value = check_parity(backend, _primitive("logsumexp", axis=(), keepdims=keepdims),
                         numpy_peer(lambda a: a), [x], argnums=())
    assert value.shape == (2, 3)
    check_parity(backend, _primitive("logsumexp"), numpy_peer(lambda a: a),
                 [np.array(-1.5)], argnums=())


def test_logsumexp_all_neg_inf(backend):
    import torch

    expected = np.array([-INF, special.logsumexp([0.0, 1.0])])
    value = check_parity(backend, _primitive("logsumexp", axis=-1),
                         torch_peer(torch.logsumexp, dim=-1), [ALL_NEG_INF])
    np.testing.assert_allclose(value, expected, rtol=1e-12)


@pytest.mark.parametrize("kind, axis", [("regular", -1), ("regular", 0), ("extreme", -1),
                                         ("neg_inf", -1)])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ["log_softmax", "softmax"])
def test_softmax_family(backend, name, dtype, kind, axis):
    import torch.nn.functional as F

    x = _inputs(kind, dtype)
    ours = _primitive(name, axis=axis)
    reference = getattr(special, name)
    check_parity(backend, ours, numpy_peer(lambda a: reference(a.astype(np.float64), axis=axis)),
                 [x], argnums=(), atol=1e-6 if dtype == np.float32 else 1e-12)
    weights = np.random.default_rng(1).uniform(size=x.shape).astype(dtype)
    check_parity(backend, lambda a, w: ours(a) * w,
                 torch_peer(lambda a, w: getattr(F, name)(a, dim=axis) * w), [x, weights])


ELEMENTWISE = {
    "softplus": lambda a: np.logaddexp(a.astype(np.float64), 0.0),
    "log_sigmoid": lambda a: -np.logaddexp(0.0, -a.astype(np.float64)),
    "sigmoid": lambda a: special.expit(a.astype(np.float64)),
}


def _torch_elementwise(name: str) -> Callable[[Any], Any]:
    import torch

    return {"softplus": lambda t: torch.logaddexp(t, torch.zeros_like(t)),
            "log_sigmoid": torch.nn.functional.logsigmoid, "sigmoid": torch.sigmoid}[name]


SCALARS = np.array([-1e4, -800.0, -100.0, -40.0, -20.0, -1.0, -1e-8, 0.0, 1e-8, 1.0, 20.0, 37.0,
                    40.0, 41.0, 88.0, 100.0, 800.0, 1e4, -INF, INF])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
def test_elementwise(backend, name, dtype):
    x = np.concatenate([SCALARS, _logits(np.float64).ravel()]).astype(dtype)
    ours = _primitive(name)
    check_parity(backend, ours, numpy_peer(ELEMENTWISE[name]), [x], argnums=())
    check_parity(backend, ours, torch_peer(_torch_elementwise(name)), [x])


def test_elementwise_gradients_at_zero(grad_backend):
    x = np.array([0.0])
    for name, slope in [("softplus", 0.5), ("log_sigmoid", 0.5), ("sigmoid", 0.25)]:
        _, (gradient,) = grad_backend.value_and_grad(_primitive(name), [x], (0,))
        np.testing.assert_allclose(gradient, [slope], rtol=1e-15, err_msg=name)


def test_elementwise_half_precision(backend):
    if backend.name == "array_api_strict":
        pytest.skip("array_api_strict has no float16")
    x = np.array([-1e4, -20.0, -1.0, 0.0, 1.0, 20.0, 1e4, -INF], np.float16)
    for name, reference in ELEMENTWISE.items():
        check_parity(backend, _primitive(name), numpy_peer(reference), [x], argnums=(),
                     rtol=2e-3, atol=1e-7)
    check_parity(backend, _primitive("log_softmax", axis=-1),
                 numpy_peer(lambda a: special.log_softmax(a.astype(np.float64), axis=-1)),
                 [np.array([[1e4, 0.0, -1e4], [1.0, 2.0, 3.0]], np.float16)], argnums=(),
                 rtol=2e-3, atol=2e-3)


@pytest.mark.parametrize("dtype", DTYPES)
def test_xlogx(backend, dtype):
    """``xlogy(x, x)``'s values; gradient ``log(x) + 1``, and 0 at 0 (torch.xlogy: NaN)."""
    import torch

    x = np.array([0.0, 1e-30, 0.25, 1.0, 3.0, 1e4, INF, -1.0, np.nan]).astype(dtype)
    ours = _primitive("xlogx")
    check_parity(backend, ours, numpy_peer(lambda a: special.xlogy(a, a)), [x], argnums=())
    check_parity(backend, ours, torch_peer(lambda a: torch.xlogy(a, a)), [x[1:6]])
    if backend.has_grad:
        _, (gradient,) = backend.value_and_grad(ours, [x[:1]], (0,))
        np.testing.assert_array_equal(gradient, [0.0])


@pytest.mark.parametrize("x_shape, axis", [((4, 5), 1), ((4, 5), -1), ((3, 4, 5), 1),
                                           ((5, 3), 0), ((2, 3, 4, 5), -3), ((0, 3), 1)], ids=str)
@pytest.mark.parametrize("dtype", DTYPES)
def test_gather_classes(backend, x_shape, axis, dtype):
    import torch

    x = _logits(dtype, x_shape)
    index_shape = tuple(n for i, n in enumerate(x_shape) if i != axis % len(x_shape))
    index = np.random.default_rng(2).integers(0, x_shape[axis], size=index_shape)

    def reference(a: np.ndarray, i: np.ndarray) -> np.ndarray:
        return np.squeeze(np.take_along_axis(a, np.expand_dims(i, axis), axis=axis), axis=axis)

    check_parity(backend, _primitive("gather_classes", axis=axis), numpy_peer(reference),
                 [x, index], argnums=())
    check_parity(backend, _primitive("gather_classes", axis=axis),
                 torch_peer(lambda a, i: torch.gather(a, axis, i.unsqueeze(axis)).squeeze(axis)),
                 [x, index])


@pytest.mark.parametrize("x_shape, index_shape, axis", [
    ((4, 5), (4, 7), 1), ((4, 5), (4, 1), -1), ((6, 4, 5), (1, 4, 3), 2), ((5, 3), (2, 3), 0)],
    ids=str)
@pytest.mark.parametrize("index_dtype", [np.int64, np.int32, np.uint8])
def test_take_along_axis(backend, x_shape, index_shape, axis, index_dtype):
    """The standard's take_along_axis on every backend (Dask's namespace lacks it): any number
    of ids along ``axis``, the other axes broadcast, ids of any integer dtype."""
    import torch

    x = _logits(np.float64, x_shape)
    index = np.random.default_rng(3).integers(0, x_shape[axis], size=index_shape)
    index = index.astype(index_dtype)
    ours = _primitive("take_along_axis", axis=axis)
    check_parity(backend, ours, numpy_peer(lambda a, i: np.take_along_axis(a, i, axis=axis)),
                 [x, index], argnums=())
    check_parity(backend, ours, torch_peer(
        lambda a, i: torch.take_along_dim(a, i.long(), dim=axis)), [x, index])


@pytest.mark.parametrize("bounds", [(-1.0, 1.0), (0.0, None), (None, 0.5), (None, None),
                                    (2.0, 2.0), (1.0, -1.0)], ids=str)
@pytest.mark.parametrize("dtype", DTYPES)
def test_clamp(backend, bounds, dtype):
    import torch

    low, high = bounds
    x = np.array([-3.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0, 3.0, -1e4, 1e4, np.nan, INF, -INF],
                 dtype)
    ours = _primitive("clamp", min=low, max=high)
    if bounds == (None, None):  # torch.clamp needs a bound; clamping to nothing is the identity
        check_parity(backend, ours, numpy_peer(lambda a: a), [x], argnums=())
        return
    check_parity(backend, ours, torch_peer(torch.clamp, min=low, max=high), [x])


def test_clamp_gradient_is_one_on_the_bounds(grad_backend):
    x = np.array([-1.0, 0.0, 1.0, 2.0, 0.5])
    _, (gradient,) = grad_backend.value_and_grad(_primitive("clamp", min=0.0, max=1.0), [x], (0,))
    np.testing.assert_array_equal(gradient, [0.0, 1.0, 1.0, 0.0, 1.0])


def _norm_rows(dtype: Any, copies: int = 1) -> np.ndarray:
    """Rows whose squares overflow (and underflow) ``dtype``, a zero row and plain ones; with
    ``copies``, that many of them (a large input: 1000 copies are 18,000 elements)."""
    big, tiny = (1e20, 1e-25) if dtype == np.float32 else (1e200, 1e-200)
    rows = np.array([[3.0, 4.0, 0.0], [0.0, 0.0, 0.0], [big, -big, big / 2],
                     [tiny, -tiny, tiny], [1.0, -2.0, 0.5], [big, 1.0, tiny]], dtype)
    return np.tile(rows, (copies, 1))


@pytest.mark.parametrize("copies", [1, 1000])
@pytest.mark.parametrize("dtype", DTYPES)
def test_euclidean_norm_never_overflows(backend, dtype, copies):
    """Each row's norm equals ``math.hypot`` (correctly rounded, no overflow) where torch's
    ``linalg.vector_norm`` is ``inf`` or 0 (rows 3 and 4), on the natives (torch, NumPy) and the
    portable implementation alike."""
    x = _norm_rows(dtype, copies)
    check_parity(backend, _primitive("euclidean_norm"), numpy_peer(
        lambda a: np.array([math.hypot(*row) for row in a.astype(np.float64)])), [x],
        argnums=())


@pytest.mark.parametrize("copies", [1, 1000])
@pytest.mark.parametrize("dtype", DTYPES)
def test_euclidean_norm_gradient(grad_backend, dtype, copies):
    """The gradient of a norm is ``x / ||x||``, and 0 at the zero vector (torch's norm); the last
    row's third entry is subnormal in float32 (1e-45), where 0 passes (``atol`` the smallest
    normal number)."""
    x = _norm_rows(dtype, copies)
    _, (gradient,) = grad_backend.value_and_grad(_primitive("euclidean_norm"), [x], (0,))
    wide = x.astype(np.float64)
    norms = np.array([[math.hypot(*row)] for row in wide])
    expected = np.where(norms > 0, wide / np.where(norms > 0, norms, 1.0), 0.0)
    rtol = 1e-12 if dtype == np.float64 else 1e-6
    assert_close(gradient, expected.astype(dtype), rtol=rtol, atol=float(np.finfo(dtype).tiny),
                 what=f"{grad_backend}: euclidean_norm gradient")


@pytest.mark.uses("numpy")
def test_numpy_euclidean_norm_holds_one_temporary():
    """NumPy's native norm allocates one array the size of its input at a time (traced by
    ``tracemalloc``): the scaled copy is squared in place; squaring into a new array held two,
    and triplet_margin_loss at 4096x1000 peaked at 1.5x NumPy's own formula."""
    import tracemalloc

    x = np.random.default_rng(0).normal(size=(1000, 1000))
    norm = _primitive("euclidean_norm")
    tracemalloc.start()
    try:
        value = norm(x)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1.3 * x.nbytes, f"{peak / x.nbytes:.2f} inputs' worth allocated at once"
    assert_close(value, np.linalg.norm(x, axis=-1), rtol=1e-12, atol=0.0,
                 what="numpy euclidean_norm")


@pytest.mark.uses("torch")
@pytest.mark.parametrize("copies", [1, 1000])
@pytest.mark.parametrize("dtype", DTYPES)
def test_euclidean_norm_under_torch_compile(dtype, copies):
    """The torch native compiles (``fullgraph``, dynamic shapes) to its eager numbers and
    gradients: inductor once failed to build the float64 path's C++ (an int32 exponent less
    one, vectorised beside doubles)."""
    import torch

    norm = _primitive("euclidean_norm")
    compiled = torch.compile(norm, fullgraph=True, dynamic=True)
    results = []
    for fn in (norm, compiled):
        x = torch.from_numpy(_norm_rows(dtype, copies)).requires_grad_(True)
        value = fn(x)
        value.sum().backward()
        results.append((value.detach().numpy(), x.grad.numpy()))
    rtol = 1e-12 if dtype == np.float64 else 1e-6
    for eager, traced, what in zip(*results, ("value", "gradient"), strict=True):
        assert_close(traced, eager, rtol=rtol, atol=0.0, what=f"compiled euclidean_norm {what}")


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.uint8], ids=str)
def test_id_range(backend, dtype):
    """The extremes of ids that can be read now (the class-id check's fast path), as ints."""
    ids = backend.asarray(np.array([[3, 0], [7, 2]], dtype))
    xp = get_namespace(ids)
    readable = P.values_now(xp, ids) is not None
    assert readable == (backend.name != "dask")
    extremes = P.id_range(xp, ids)
    assert extremes == ((0, 7) if readable else None)
    assert extremes is None or all(type(end) is int for end in extremes)
    assert P.id_range(xp, backend.asarray(np.zeros((0, 2), dtype))) is None


# The native fast paths equal the portable implementations.

NATIVE_CASES: dict[str, tuple[Callable[..., Any], list[str]]] = {
    "logsumexp_last": (_primitive("logsumexp", axis=-1), ["regular", "extreme", "neg_inf"]),
    "logsumexp_all": (_primitive("logsumexp"), ["regular", "extreme"]),
    "logsumexp_tuple": (_primitive("logsumexp", axis=(1, 0), keepdims=True),
                        ["regular", "extreme"]),
    "log_softmax": (_primitive("log_softmax", axis=-1), ["regular", "extreme", "neg_inf"]),
    "log_softmax_first": (_primitive("log_softmax", axis=0), ["regular", "extreme"]),
    "softmax": (_primitive("softmax", axis=-1), ["regular", "extreme", "neg_inf"]),
    "softplus": (_primitive("softplus"), ["regular", "extreme", "neg_inf"]),
    "log_sigmoid": (_primitive("log_sigmoid"), ["regular", "extreme", "neg_inf"]),
    "sigmoid": (_primitive("sigmoid"), ["regular", "extreme", "neg_inf"]),
    "sqrt_zero_safe": (_primitive("sqrt_zero_safe"), ["nonnegative"]),
}


def _weighted(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn(x) * w``, so the gradient of the sum is not trivially 0 (as for softmax)."""
    return lambda x, w: fn(x) * w


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", sorted(NATIVE_CASES))
def test_native_equals_portable(grad_backend: Backend, case, dtype, monkeypatch):
    """Equal to rounding: ``atol`` covers the natives' sigmoid' = s(1 - s), which cancels to 0
    for x > 37 in float64 where the portable gradient keeps e^-x."""
    fn, kinds = NATIVE_CASES[case]
    rtol, atol = (1e-12, 1e-15) if dtype == np.float64 else (2e-6, 1e-7)
    for kind in kinds:
        if dtype == np.float32 and kind == "extreme" and case.startswith("logsumexp"):
            rtol = 2e-3  # torch.logsumexp's float32 gradient at 1e4: see test_logsumexp_extreme
        x = _inputs(kind, dtype)
        probe = fn(grad_backend.asarray(x))
        weights = np.random.default_rng(3).uniform(0.5, 1.5, size=np.shape(probe)).astype(dtype)
        monkeypatch.setattr(P, "use_native_kernels", True)
        native = grad_backend.value_and_grad(_weighted(fn), [x, weights], (0,))
        monkeypatch.setattr(P, "use_native_kernels", False)
        portable = grad_backend.value_and_grad(_weighted(fn), [x, weights], (0,))
        what = f"{grad_backend}: {case} on {kind} inputs"
        assert_close(portable[0], native[0], rtol=rtol, atol=atol, what=what + " value")
        assert_close(portable[1][0], native[1][0], rtol=rtol, atol=atol,
                     what=what + " gradient")


def test_native_kernels_are_used(monkeypatch):
    torch = pytest.importorskip("torch")
    xp = get_namespace(torch.zeros(1))
    monkeypatch.setattr(P, "use_native_kernels", True)
    assert P._natives(xp) is P._backend(xp)
    assert P._natives(xp).logsumexp is not None
    monkeypatch.setattr(P, "use_native_kernels", False)
    assert P._natives(xp).logsumexp is None
    assert P._natives(xp).autodiff
    # autodiff control is part of a loss's definition, not a fast path: it stays native
    assert P._backend(xp).stop_gradient is not None
    assert P._backend(xp).checkpoint is not None
    numpy_xp = get_namespace(np.zeros(1))
    assert P._natives(numpy_xp).logsumexp is None


_RECORDS = {"numpy": ("numpy", False, False, False),
            "array_api_strict": ("array_api_strict", False, False, False),
            "torch": ("torch", True, True, True), "jax": ("jax", True, False, False),
            "tensorflow": ("tensorflow", True, False, True), "dask": ("dask", False, False, False)}
"""Each backend's record: its name, whether it has autodiff, whether its gathers take int64 only,
whether it has whole-loss kernels (conftest's ``fused_backend``)."""


def test_backend_records(backend):
    """Each namespace resolves to its backend's record, once (the same object on each call)."""
    xp = get_namespace(backend.asarray(np.zeros(1)))
    record = P._backend(xp)
    assert record is P._backend(xp)
    assert (record.name, record.autodiff, record.int64_gathers,
            bool(record.fused)) == _RECORDS[backend.name]
    native_elementwise = record.logsumexp is not None
    assert native_elementwise == (backend.name in ("torch", "jax", "tensorflow"))
    assert (record.stop_gradient is not None) == record.autodiff


def _portable_twins() -> dict[str, Callable[..., Any]]:
    """The portable function each fused kernel stands in for, as the losses pass it to
    ``fused(xp, kernel, portable)``."""
    from omniloss.classification import _index_cross_entropy, _index_nll_loss
    from omniloss.sequence import _sequence_losses

    return {"cross_entropy": _index_cross_entropy, "nll_loss": _index_nll_loss,
            "ctc_loss": _sequence_losses}


def _accepted(signature: inspect.Signature) -> list[tuple[str, Any, Any]]:
    """What a signature accepts: each parameter's name, kind and default (no annotations)."""
    return [(p.name, p.kind, p.default) for p in signature.parameters.values()]


@pytest.mark.backend_independent
@pytest.mark.parametrize("module", ["_torch", "_jax", "_tensorflow", "_numpy"])
def test_fused_kernels_take_their_portable_signature(module):
    """Every fused kernel a backend registers accepts exactly its portable twin's arguments
    (after the leading ``portable``), so a loss can call either one."""
    framework = {"_torch": "torch", "_jax": "jax", "_tensorflow": "tensorflow",
                 "_numpy": "numpy"}[module]
    pytest.importorskip(framework)
    backend_module = importlib.import_module(f"omniloss._primitives.{module}")
    twins = _portable_twins()
    for name, kernel in backend_module.build().fused.items():
        assert name in twins, f"{module}: fused kernel {name!r} has no portable twin"
        parameters = list(inspect.signature(kernel).parameters.values())
        assert parameters[0].name == "portable", f"{module}.{name}"
        own = inspect.Signature(parameters[1:])
        assert _accepted(own) == _accepted(inspect.signature(twins[name])), f"{module}.{name}"


# The fused regression kernels and the full reductions: equal to torch (values and gradients, at
# the kinks too) on every backend, and the native paths equal to the portable ones.

RESIDUALS = np.array([[-3.0, -1.0, -0.5, 0.0, 0.5], [1.0, 2.0, 1e-8, -1e-8, 0.0]])
"""Residuals at every kink: 0, and +-0.5 and +-1 (``|r| == beta`` for beta 0.5 and 1)."""
FUSED = [("squared_error", {}), ("smooth_l1", {"beta": 1.0}), ("smooth_l1", {"beta": 0.5}),
         ("smooth_l1", {"beta": 0.0})]


def _torch_fused(name: str, reduction: str, **options: Any) -> Callable[..., Any]:
    import torch.nn.functional as F

    if name == "squared_error":
        return lambda a, b: F.mse_loss(a, b.expand_as(a), reduction=reduction)
    return lambda a, b: F.smooth_l1_loss(a, b.expand_as(a), reduction=reduction, **options)


def _fused_inputs(dtype: Any, scalar_target: bool) -> list[np.ndarray]:
    """``input - target`` is ``RESIDUALS`` exactly at the kinks (multiples of 1/4 add exactly)."""
    target = np.round(4 * _logits(np.float64, RESIDUALS.shape, seed=4)) / 4
    if scalar_target:
        return [(RESIDUALS + 0.25).astype(dtype), np.array(0.25, dtype)]
    return [(target + RESIDUALS).astype(dtype), target.astype(dtype)]


@pytest.mark.parametrize("dtype", DTYPES)
def test_absolute(backend, dtype):
    import torch

    x = np.array([-INF, -1e4, -2.0, -1e-8, 0.0, 1e-8, 3.0, 1e4, INF], dtype)
    check_parity(backend, _primitive("absolute"), torch_peer(torch.abs), [x])
    if backend.has_grad:
        _, (gradient,) = backend.value_and_grad(_primitive("absolute"), [x], (0,))
        np.testing.assert_array_equal(gradient, [-1, -1, -1, -1, 0, 1, 1, 1, 1])


@pytest.mark.parametrize("scalar_target", [False, True], ids=["array", "0-d"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name, options", FUSED, ids=str)
def test_fused_errors(backend, name, options, dtype, reduction, scalar_target):
    check_parity(backend, _primitive(name, reduction=reduction, **options),
                 torch_peer(_torch_fused(name, reduction, **options)),
                 _fused_inputs(dtype, scalar_target), argnums=(0, 1))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name, options", FUSED, ids=str)
def test_fused_native_equals_portable(grad_backend, name, options, dtype, reduction,
                                      monkeypatch):
    fn = _primitive(name, reduction=reduction, **options)
    args = _fused_inputs(dtype, scalar_target=False)
    rtol, atol = (1e-12, 1e-15) if dtype == np.float64 else (2e-6, 1e-7)
    monkeypatch.setattr(P, "use_native_kernels", True)
    native = grad_backend.value_and_grad(fn, args, (0, 1))
    monkeypatch.setattr(P, "use_native_kernels", False)
    portable = grad_backend.value_and_grad(fn, args, (0, 1))
    what = f"{grad_backend}: {name} {options} {reduction}"
    assert_close(portable[0], native[0], rtol=rtol, atol=atol, what=what + " value")
    for portable_grad, native_grad in zip(portable[1], native[1], strict=True):
        assert_close(portable_grad, native_grad, rtol=rtol, atol=atol, what=what + " gradient")


@pytest.mark.parametrize("dtype, reduction", [(np.float64, "mean"), (np.float64, "sum"),
                                             (np.float32, "mean"), (np.float32, "sum"),
                                             (np.int64, "sum")], ids=str)
def test_reduce_all_equals_the_namespace(backend, dtype, reduction):
    """The fast paths give the namespace's numbers, bit for bit (ints take the namespace's)."""
    x = backend.asarray((100 * _logits(np.float64, (3, 7))).astype(dtype))
    xp = get_namespace(x)
    fast = P.reduce_all(xp, x, reduction=reduction)
    expected = xp.mean(x) if reduction == "mean" else xp.sum(x)
    assert backend.is_native(fast)
    assert backend.to_numpy(fast).dtype == backend.to_numpy(expected).dtype
    np.testing.assert_array_equal(backend.to_numpy(fast), backend.to_numpy(expected))
