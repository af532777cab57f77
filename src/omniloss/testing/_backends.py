"""One :class:`Backend` per array library: conversion from NumPy, autodiff, tracing.

The kit's checks and the project's own tests move NumPy inputs into each library through these,
and read results back with :meth:`Backend.to_numpy`. Importing this module imports no framework;
each backend imports its library on first use.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

import numpy as np


class Backend:
    """How to move NumPy arrays into one library, differentiate there, and trace."""

    name: str = ""
    module: str = ""
    has_grad = False
    can_trace = False
    tracer = ""  # what ``jit`` runs under, for messages

    def __repr__(self) -> str:
        return self.name

    def lib(self) -> ModuleType:
        return importlib.import_module(self.module)

    def installed(self) -> bool:
        return importlib.util.find_spec(self.module) is not None

    def asarray(self, a: Any) -> Any:
        """A copy of the NumPy array ``a`` in this library (on its default device)."""
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
        raise NotImplementedError(f"{self.name} has no autodiff")

    def jit(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        raise NotImplementedError(f"{self.name} does not trace")

    def convert(self, args: Sequence[Any]) -> list[Any]:
        """``args`` with every NumPy array (also inside lists, tuples, dicts) in this library."""
        return [convert_nested(a, self.asarray) for a in args]


def convert_nested(value: Any, convert: Callable[[np.ndarray], Any]) -> Any:
    """``value`` with ``convert`` applied to each NumPy array, also inside lists, tuples, dicts."""
    if isinstance(value, np.ndarray):
        return convert(value)
    if isinstance(value, list | tuple):
        return type(value)(convert_nested(v, convert) for v in value)
    if isinstance(value, dict):
        return {key: convert_nested(v, convert) for key, v in value.items()}
    return value


class NumpyBackend(Backend):
    name = module = "numpy"

    def asarray(self, a: Any) -> Any:
        return np.array(a)


class StrictBackend(Backend):
    name = module = "array_api_strict"

    def asarray(self, a: Any) -> Any:
        return self.lib().asarray(np.array(a))


class TorchBackend(Backend):
    name = module = "torch"
    has_grad = True
    tracer = "torch.compile"

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
        if argnums and out.requires_grad:  # else constant in its inputs: zero gradients
            out.sum().backward()
        grads = [self.to_numpy(tensors[i].grad) if tensors[i].grad is not None
                 else np.zeros_like(args[i]) for i in argnums]
        return self.to_numpy(out), grads

    def jit(self, fn: Callable[..., Any], backend: str = "aot_eager") -> Callable[..., Any]:
        """``torch.compile(fn, fullgraph=True)``; ``aot_eager`` by default: it captures the whole
        graph and its backward as Inductor does, without needing a C++ compiler."""
        compiled: Callable[..., Any] = self.lib().compile(fn, fullgraph=True, backend=backend)
        return compiled


class JaxBackend(Backend):
    """JAX with ``jax_enable_x64`` turned on (float64 inputs would silently become float32)."""

    name = module = "jax"
    has_grad = True
    can_trace = True
    tracer = "jax.jit"

    def lib(self) -> ModuleType:
        jax = importlib.import_module("jax")
        jax.config.update("jax_enable_x64", True)
        return jax

    def asarray(self, a: Any) -> Any:
        return self.lib().numpy.asarray(np.array(a))

    def value_and_grad(self, fn: Callable[..., Any], args: Sequence[Any],
                       argnums: Sequence[int]) -> tuple[np.ndarray, list[np.ndarray]]:
        jax = self.lib()
        arrays = self.convert(args)
        value = fn(*arrays)
        if not argnums:
            return np.asarray(value), []
        # The gradient under jax.jit: one XLA compilation of the whole backward pass, where
        # eagerly each operation compiles once per shape and dtype, 57 ms apiece on CPU (215 of
        # them for ntxent_loss and its optax peer: 12 of the test's 17 s). The JAX tests of
        # test_embedding.py: 167 s eagerly, 119 s so. The value stays eager, and a function
        # that cannot be traced (a peer reading a value in Python) is differentiated eagerly.
        gradient = jax.grad(lambda *a: jax.numpy.sum(fn(*a)), argnums=tuple(argnums))
        try:
            grads = jax.jit(gradient)(*arrays)
        except (jax.errors.JAXTypeError, jax.errors.JAXIndexError):  # a tracer read as a value
            grads = gradient(*arrays)
        return np.asarray(value), [np.asarray(g) for g in grads]

    def jit(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        jitted: Callable[..., Any] = self.lib().jit(fn)
        return jitted


class TensorFlowBackend(Backend):
    name = module = "tensorflow"
    has_grad = True
    can_trace = True
    tracer = "tf.function"

    def lib(self) -> ModuleType:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        return importlib.import_module("tensorflow")

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
        traced: Callable[..., Any] = self.lib().function(fn)
        return traced


class DaskBackend(Backend):
    """Dask arrays over NumPy, the leading (batch) axis split in two chunks so every loss meets
    chunked arrays; no autodiff, no tracing (a loss builds a lazy graph, computed here)."""

    name = module = "dask"

    def lib(self) -> ModuleType:
        return importlib.import_module("dask.array")

    def installed(self) -> bool:
        return importlib.util.find_spec("dask") is not None and \
            importlib.util.find_spec("dask.array") is not None

    def asarray(self, a: Any) -> Any:
        a = np.array(a)
        chunks = (max(1, -(-a.shape[0] // 2)), *(-1,) * (a.ndim - 1)) if a.ndim else ()
        return self.lib().from_array(a, chunks=chunks)

    def to_numpy(self, x: Any) -> np.ndarray:
        # the synchronous scheduler: the arrays are small, and test workers use the cores
        return np.asarray(x.compute(scheduler="synchronous") if hasattr(x, "compute") else x)


BACKENDS: dict[str, Backend] = {
    b.name: b for b in (NumpyBackend(), StrictBackend(), TorchBackend(), JaxBackend(),
                        TensorFlowBackend(), DaskBackend())
}


def installed_backends() -> list[str]:
    """The names of the backends whose library is installed here, in ``BACKENDS`` order."""
    return [name for name, backend in BACKENDS.items() if backend.installed()]


def select_backends(requested: str | Sequence[str] | None, *, source: str) -> list[str]:
    """The backends named in ``requested`` (comma-separated or a sequence), or every installed
    one when it is empty; a name that is unknown or not installed is a ``ValueError`` naming
    ``source`` (the option or variable it came from)."""
    names = ([n.strip() for n in requested.split(",")] if isinstance(requested, str)
             else list(requested or ()))
    names = [n.replace("-", "_") for n in names if n]
    installed = installed_backends()
    if not names:
        return installed
    unknown = [n for n in names if n not in BACKENDS]
    if unknown:
        raise ValueError(f"{source} names unknown backends {unknown}; known: {list(BACKENDS)}")
    missing = [n for n in names if n not in installed]
    if missing:
        raise ValueError(f"{source} asks for {missing}, not installed here "
                         f"(installed: {installed})")
    return names
