"""Shared test machinery, on the public kit (:mod:`omniloss.testing`).

A test builds NumPy inputs, then calls :func:`check_parity` with our loss and a *peer* (the
defining framework function, run by :func:`torch_peer`, :func:`jax_peer`, :func:`tf_peer` or
:func:`keras_peer`: the kit's :func:`~omniloss.testing.peer`). ``check_parity`` runs the kit's
checks on the backend under test, in the inputs' own dtype: the value and gradients against the
peer's, the result's library, dtype and device, and that no input was mutated.
"""

from __future__ import annotations

import importlib.util
import os
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from omniloss.testing import BACKENDS, Backend, Peer, peer
from omniloss.testing import assert_close as kit_assert_close
from omniloss.testing import installed_backends as available_backends
from omniloss.testing._parity import run_checks, same_dtype_tolerance

__all__ = ["BACKENDS", "Backend", "available_backends"]

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")


# Peers: the defining framework functions, run in the inputs' own dtype.


def torch_peer(fn: Callable[..., Any], **kwargs: Any) -> Peer:
    """Run ``fn(*tensors, **kwargs)`` in torch (autograd for the gradients)."""
    return peer("torch", fn, **kwargs)


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
    return peer("jax", fn, **kwargs)


def tf_peer(fn: Callable[..., Any], **kwargs: Any) -> Peer:
    """Run ``fn(*tensors, **kwargs)`` in TensorFlow (``tf.GradientTape`` for the gradients)."""
    return peer("tensorflow", fn, **kwargs)


def keras_peer(fn: Callable[..., Any], **kwargs: Any) -> Peer:
    """Run a ``keras.losses`` function (``KERAS_BACKEND=tensorflow``) on TensorFlow tensors."""
    return tf_peer(fn, **kwargs)


def numpy_peer(fn: Callable[..., Any], **kwargs: Any) -> Peer:
    """A formula in NumPy (for losses no framework has): its gradients by central differences
    of its float64 value."""
    return peer("numpy", fn, **kwargs)


def default_tolerance(dtype: Any) -> tuple[float, float]:
    """``(rtol, atol)``: float64 ~1e-10 relative, float32 ~1e-5, half precisions ~1e-2."""
    return same_dtype_tolerance(np.dtype(dtype).name)


def assert_close(actual: Any, desired: Any, *, rtol: float, atol: float, what: str) -> None:
    """The kit's ``assert_close`` with the tests' explicit tolerances and message."""
    kit_assert_close(actual, desired, rtol=rtol, atol=atol, err_msg=what)


class _PeerProtocol(Peer):
    """A test's own peer: ``fn(args, argnums) -> (value, grads)`` on the NumPy arguments (e.g. a
    peer run in float64 for float32 inputs); its gradients are autodiff's (torch's here)."""

    def __init__(self, fn: Callable[..., Any]) -> None:
        super().__init__("torch", fn)

    def value_and_grads(self, call: Any, arrays: Sequence[np.ndarray], wanted: Sequence[int],
                        dtype: str | None) -> tuple[np.ndarray, list[np.ndarray]]:
        args = list(call.apply(lambda *args: args, arrays))
        value, grads = self.fn(args, [call.slots[i] for i in wanted])
        return value, list(grads)


def check_parity(backend: Backend, ours: Callable[..., Any],
                 peer: Peer | Callable[..., Any] | None,
                 args: Sequence[Any], *, argnums: Sequence[int] = (0,), rtol: float | None = None,
                 atol: float | None = None, grad_rtol: float | None = None,
                 grad_atol: float | None = None) -> np.ndarray:
    """The kit's checks of ``ours(*args)`` on ``backend`` against ``peer``, in the inputs' own
    dtype; returns our value. ``argnums`` are the positions of the arguments whose gradients
    are compared. ``peer=None`` checks only the library, dtype, device and immutability."""
    reference = (peer if isinstance(peer, Peer) or peer is None else _PeerProtocol(peer)) \
        or {backend.name: ours}
    (outcome,) = run_checks(ours, args, {}, backends=[backend.name], dtypes=None,
                            reference=reference, grads=argnums if peer else False, trace=False,
                            torch_compile=False, rtol=rtol, atol=atol, grad_rtol=grad_rtol,
                            grad_atol=grad_atol)
    for problem in outcome.problems:  # the call's own error, as a direct call raises it
        if problem.error is not None:
            raise problem.error
    assert not outcome.problems, "\n".join(map(str, outcome.problems))
    assert outcome.value is not None
    return outcome.value


def check_traced(backend: Backend, ours: Callable[..., Any], args: Sequence[Any], *,
                 rtol: float = 1e-10, atol: float = 1e-12) -> None:
    """``jax.jit`` / ``tf.function`` of ``ours`` gives the eager value (and runs at all)."""
    eager = backend.to_numpy(ours(*backend.convert(args)))
    traced = backend.to_numpy(backend.jit(ours)(*backend.convert(args)))
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


def load_docs_module(*parts: str) -> ModuleType:
    """A module of ``docs/`` (the link check, the peers.toml schema), loaded by its path: the
    documentation's extension package imports Sphinx, which the tests do not install."""
    path = Path(__file__).resolve().parents[1].joinpath("docs", *parts)
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
