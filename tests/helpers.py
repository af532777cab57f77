"""Shared test machinery: one ``Backend`` per array library, peers, and the parity assertion.

A test builds NumPy inputs, then calls :func:`check_parity` with our loss and a *peer* (the
defining framework function, run by :func:`torch_peer`, :func:`jax_peer`, :func:`tf_peer` or
:func:`keras_peer`). ``check_parity`` runs our loss on the backend under test, in the inputs'
own dtype, and checks: the value against the peer's, the gradients against the peer's (on
backends with autodiff), the result's type and dtype, and that no input was mutated.
"""

from __future__ import annotations

import importlib.util
import os
import re
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

Peer = Callable[[Sequence[np.ndarray], Sequence[int]], tuple[np.ndarray, list[np.ndarray]]]


class Backend:
    """How to move NumPy arrays into one library, differentiate there, and trace."""

    name: str = ""
    module: str = ""
    has_grad = False
    can_trace = False

    def __repr__(self) -> str:
        return self.name

    def lib(self) -> ModuleType:
        return importlib.import_module(self.module)

    def asarray(self, a: Any) -> Any:
        raise NotImplementedError

    def to_numpy(self, x: Any) -> np.ndarray:
        return np.asarray(x)

    def is_native(self, x: Any) -> bool:
        return type(x).__module__.partition(".")[0] in (self.module, self.module + "lib")

    def namespace(self) -> ModuleType:
        import omniloss

        return omniloss.get_namespace(self.asarray(np.zeros(1)))

    def value_and_grad(self, fn: Callable[..., Any], args: Sequence[Any],
                       argnums: Sequence[int]) -> tuple[np.ndarray, list[np.ndarray]]:
        """``fn(*args)`` and the gradients of ``sum(fn(*args))`` w.r.t. ``args[argnums]``.

        ``args`` are NumPy arrays (converted here) or other Python values (passed through).
        """
        raise NotImplementedError

    def jit(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        raise NotImplementedError

    def convert(self, args: Sequence[Any]) -> list[Any]:
        return [self.asarray(a) if isinstance(a, np.ndarray) else a for a in args]


class NumpyBackend(Backend):
    name = module = "numpy"

    def asarray(self, a: Any) -> Any:
        return np.array(a)


class StrictBackend(Backend):
    name = module = "array_api_strict"

    def asarray(self, a: Any) -> Any:
        return self.lib().asarray(np.array(a))

    def to_numpy(self, x: Any) -> np.ndarray:
        return np.asarray(x)


class TorchBackend(Backend):
    name = module = "torch"
    has_grad = True

    def asarray(self, a: Any) -> Any:
        return self.lib().from_numpy(np.array(a))

    def to_numpy(self, x: Any) -> np.ndarray:
        return x.detach().cpu().numpy() if hasattr(x, "detach") else np.asarray(x)

    def value_and_grad(self, fn: Callable[..., Any], args: Sequence[Any],
                       argnums: Sequence[int]) -> tuple[np.ndarray, list[np.ndarray]]:
        tensors = self.convert(args)
        for i in argnums:
            tensors[i].requires_grad_(True)
        out = fn(*tensors)
        if argnums:
            out.sum().backward()
        grads = [self.to_numpy(tensors[i].grad) if tensors[i].grad is not None
                 else np.zeros_like(args[i]) for i in argnums]
        return self.to_numpy(out), grads

    def jit(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        return self.lib().compile(fn)


class JaxBackend(Backend):
    name = module = "jax"
    has_grad = True
    can_trace = True

    def lib(self) -> ModuleType:
        jax = importlib.import_module("jax")
        jax.config.update("jax_enable_x64", True)
        return jax

    def asarray(self, a: Any) -> Any:
        self.lib()
        import jax.numpy as jnp

        return jnp.asarray(np.array(a))

    def value_and_grad(self, fn: Callable[..., Any], args: Sequence[Any],
                       argnums: Sequence[int]) -> tuple[np.ndarray, list[np.ndarray]]:
        jax = self.lib()
        import jax.numpy as jnp

        arrays = self.convert(args)
        value = fn(*arrays)
        if not argnums:
            return np.asarray(value), []
        grads = jax.grad(lambda *a: jnp.sum(fn(*a)), argnums=tuple(argnums))(*arrays)
        return np.asarray(value), [np.asarray(g) for g in grads]

    def jit(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        return self.lib().jit(fn)


class TensorFlowBackend(Backend):
    name = module = "tensorflow"
    has_grad = True
    can_trace = True

    def asarray(self, a: Any) -> Any:
        return self.lib().constant(np.array(a))

    def to_numpy(self, x: Any) -> np.ndarray:
        return np.asarray(x.numpy() if hasattr(x, "numpy") else x)

    def value_and_grad(self, fn: Callable[..., Any], args: Sequence[Any],
                       argnums: Sequence[int]) -> tuple[np.ndarray, list[np.ndarray]]:
        tf = self.lib()
        tensors = self.convert(args)
        with tf.GradientTape() as tape:
            for i in argnums:
                tape.watch(tensors[i])
            out = fn(*tensors)
            total = tf.reduce_sum(out)
        grads = tape.gradient(total, [tensors[i] for i in argnums]) if argnums else []
        grads = [np.zeros_like(args[i]) if g is None else self.to_numpy(tf.convert_to_tensor(g))
                 for i, g in zip(argnums, grads, strict=True)]
        return self.to_numpy(out), grads

    def jit(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        return self.lib().function(fn)


class DaskBackend(Backend):
    """Dask arrays over NumPy, the leading (batch) axis split in two chunks so every loss meets
    chunked arrays; no autodiff, no tracing (a loss builds a lazy graph: what the tests compute)."""

    name = module = "dask"

    def asarray(self, a: Any) -> Any:
        a = np.array(a)
        chunks = (max(1, -(-a.shape[0] // 2)), *(-1,) * (a.ndim - 1)) if a.ndim else ()
        return self.lib().from_array(a, chunks=chunks)

    def lib(self) -> ModuleType:
        return importlib.import_module("dask.array")

    def to_numpy(self, x: Any) -> np.ndarray:
        # the synchronous scheduler: the arrays are small, and pytest-xdist uses the cores
        return np.asarray(x.compute(scheduler="synchronous") if hasattr(x, "compute") else x)


BACKENDS: dict[str, Backend] = {
    b.name: b for b in (NumpyBackend(), StrictBackend(), TorchBackend(), JaxBackend(),
                        TensorFlowBackend(), DaskBackend())
}


def available_backends() -> list[str]:
    return [name for name, b in BACKENDS.items() if importlib.util.find_spec(b.module) is not None]


def _run_plain(backend: Backend, fn: Callable[..., Any], args: Sequence[Any]) -> np.ndarray:
    return backend.to_numpy(fn(*backend.convert(args)))


# Peers: the defining framework functions, run in the inputs' own dtype.


def torch_peer(fn: Callable[..., Any], **kwargs: Any) -> Peer:
    """Run ``fn(*tensors, **kwargs)`` in torch (autograd for the gradients)."""
    return lambda args, argnums: BACKENDS["torch"].value_and_grad(
        lambda *a: fn(*a, **kwargs), args, argnums)


def torch_weighted_peer(fn: Callable[..., Any], reduction: str, **options: Any) -> Peer:
    """``fn``'s torch unreduced loss (``reduction="none"``) times ``w * m``, then summed, or
    divided by ``sum(w * m)`` broadcast to the loss's shape for ``"mean"``: the composition a
    torch user writes for ``sample_weight`` ``w`` and mask ``m`` (the peer's last two
    arguments)."""
    import torch

    def weighted(*args: Any) -> Any:
        *inputs, w, m = args
        unreduced = fn(*inputs, reduction="none", **options)
        loss = unreduced * w * m
        if reduction == "none":
            return loss
        mass = torch.broadcast_to(w * m, unreduced.shape).sum()
        return loss.sum() if reduction == "sum" else loss.sum() / mass

    return torch_peer(weighted)


def jax_peer(fn: Callable[..., Any], **kwargs: Any) -> Peer:
    """Run ``fn(*arrays, **kwargs)`` in JAX (``jax.grad`` for the gradients)."""
    return lambda args, argnums: BACKENDS["jax"].value_and_grad(
        lambda *a: fn(*a, **kwargs), args, argnums)


def tf_peer(fn: Callable[..., Any], **kwargs: Any) -> Peer:
    """Run ``fn(*tensors, **kwargs)`` in TensorFlow (``tf.GradientTape`` for the gradients)."""
    return lambda args, argnums: BACKENDS["tensorflow"].value_and_grad(
        lambda *a: fn(*a, **kwargs), args, argnums)


def keras_peer(fn: Callable[..., Any], **kwargs: Any) -> Peer:
    """Run a ``keras.losses`` function (``KERAS_BACKEND=tensorflow``) on TensorFlow tensors."""
    return tf_peer(fn, **kwargs)


def numpy_peer(fn: Callable[..., Any], **kwargs: Any) -> Peer:
    """A formula in NumPy: values only (for losses no framework has; gradients come from torch)."""
    return lambda args, argnums: (np.asarray(fn(*args, **kwargs)), [])


def default_tolerance(dtype: Any) -> tuple[float, float]:
    """``(rtol, atol)``: float64 ~1e-10 relative, float32 ~1e-5, half precisions ~1e-2."""
    dtype = np.dtype(dtype)
    if dtype == np.float64:
        return 1e-10, 1e-12
    if dtype == np.float32:
        return 1e-5, 1e-6
    return 2e-2, 2e-2


def _float_dtype(args: Sequence[Any]) -> np.dtype | None:
    floats = [a.dtype for a in args if isinstance(a, np.ndarray) and a.dtype.kind == "f"]
    return np.result_type(*floats) if floats else None


def assert_close(actual: Any, desired: Any, *, rtol: float, atol: float, what: str) -> None:
    actual = np.asarray(actual, dtype=np.float64)
    desired = np.asarray(desired, dtype=np.float64)
    assert actual.shape == desired.shape, f"{what}: shape {actual.shape} != {desired.shape}"
    np.testing.assert_allclose(actual, desired, rtol=rtol, atol=atol, equal_nan=True,
                               err_msg=what)


def check_parity(backend: Backend, ours: Callable[..., Any], peer: Peer | None,
                 args: Sequence[Any], *, argnums: Sequence[int] = (0,), rtol: float | None = None,
                 atol: float | None = None, grad_rtol: float | None = None,
                 grad_atol: float | None = None, check_dtype: bool = True) -> np.ndarray:
    """Check ``ours`` on ``backend`` against ``peer`` on the NumPy ``args``; return our value.

    ``argnums`` are the positions of the arguments whose gradients are compared. ``peer=None``
    skips the comparison with a peer and checks only the type, dtype and immutability (for the
    backends other than the one computing the reference).
    """
    dtype = _float_dtype(args)
    default_rtol, default_atol = default_tolerance(dtype or np.float64)
    rtol = default_rtol if rtol is None else rtol
    atol = default_atol if atol is None else atol
    originals = [np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in args]
    converted = backend.convert(args)
    out = ours(*converted)
    assert backend.is_native(out), f"{backend}: result is {type(out)}, not a {backend} array"
    value = backend.to_numpy(out)
    if check_dtype and dtype is not None:
        assert value.dtype == dtype, f"{backend}: result dtype {value.dtype}, expected {dtype}"
    for original, arg in zip(originals, converted, strict=True):
        if isinstance(original, np.ndarray):
            np.testing.assert_array_equal(backend.to_numpy(arg), original,
                                          err_msg=f"{backend}: an input was mutated")
    if peer is None:
        return value
    wanted_grads = argnums if backend.has_grad else ()
    peer_value, peer_grads = peer(args, wanted_grads)
    assert_close(value, peer_value, rtol=rtol, atol=atol, what=f"{backend}: value")
    if wanted_grads and peer_grads:
        _, grads = backend.value_and_grad(ours, args, wanted_grads)
        for i, ours_grad, peer_grad in zip(wanted_grads, grads, peer_grads, strict=True):
            assert_close(ours_grad, peer_grad, rtol=rtol if grad_rtol is None else grad_rtol,
                         atol=atol if grad_atol is None else grad_atol,
                         what=f"{backend}: gradient of argument {i}")
    return value


def check_traced(backend: Backend, ours: Callable[..., Any], args: Sequence[Any], *,
                 rtol: float = 1e-10, atol: float = 1e-12) -> None:
    """``jax.jit`` / ``tf.function`` of ``ours`` gives the eager value (and runs at all)."""
    eager = _run_plain(backend, ours, args)
    traced = _run_plain(backend, backend.jit(ours), args)
    assert_close(traced, eager, rtol=rtol, atol=atol, what=f"{backend}: traced value")


def assert_raises_named(exception: type[Exception], function: str, argument: str,
                        call: Callable[[], Any]) -> None:
    """``call()`` raises ``exception`` whose message names ``function`` and ``argument``."""
    try:
        call()
    except exception as error:
        message = str(error)
        assert re.search(rf"\b{re.escape(function)}\b", message), \
            f"message does not name {function}: {message}"
        assert argument in message, f"message does not name {argument}: {message}"
    else:
        raise AssertionError(f"{function} did not raise {exception.__name__} for {argument}")
