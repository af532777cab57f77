"""Every public function traced with unknown sizes and compiled as one graph.

- ``tf.function`` with an ``input_signature`` whose batch axis is ``None`` (axis 0 of every
  array whose leading size is the batch size; for the CTC functions every axis but the classes:
  time, batch and target length) gives the eager values and gradients, for the first case of every
  function in ``omniloss._check.all_cases()``; and with every size unknown, the weighted cases
  whose ``sample_weight`` broadcasts (its static shape and the loss's read alike).
- ``torch.compile(fullgraph=True)`` (no graph break) gives the eager values and gradients: one
  function per family with the ``aot_eager`` backend here, every function with Inductor and
  ``dynamic=False`` and ``True`` under ``OMNILOSS_COMPILE_ALL=1`` (``nox -s compile``).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import omniloss
from omniloss._check import Case, all_cases
from omniloss.testing import selected_backends
from tests.helpers import assert_close

SELECTED = selected_backends()

CASES = all_cases()

# Weighted cases whose sample_weight broadcasts against the unreduced loss, run with every size
# unknown: their static shapes read alike ((None, None)) though the sizes differ. Every other
# function traces with every size unknown too (measured), except the box losses (the static
# coordinate axis of 4), adaptive_log_softmax_loss (static feature sizes) and prelu (a static
# count of slopes): the checks of those shapes need the sizes.
EVERY_SIZE_UNKNOWN = ["binary_cross_entropy", "kl_div", "distillation_loss", "logistic_loss",
                      "hinge_loss", "squared_hinge_loss"]

# One function per family, compiled in every torch session (the nox ``compile`` session
# compiles them all).
COMPILED_IN_CI = ["mse_loss", "cross_entropy", "multi_margin_loss", "ntxent_loss", "dice_loss",
                  "ctc_loss", "gan_discriminator_loss", "perceptual_loss", "softmax"]
COMPILE_ALL = os.environ.get("OMNILOSS_COMPILE_ALL") == "1"
# The torch sessions check the whole-graph capture (Dynamo and AOT autograd: a few seconds per
# function); the compile session also generates Inductor's code (tens of seconds each on CPU).
COMPILER = "inductor" if COMPILE_ALL else "aot_eager"


def _first_case(name: str) -> Case:
    return CASES[name](np.random.default_rng(0))[0]


def _weighted_case(name: str) -> Case:
    return next(case for case in CASES[name](np.random.default_rng(0))
                if "sample_weight" in case.kwargs)


def _arrays(value: Any) -> list[np.ndarray]:
    """The NumPy arrays in ``value`` (an array, or lists and tuples of them), in order."""
    if isinstance(value, np.ndarray):
        return [value]
    if isinstance(value, list | tuple):
        return [a for item in value for a in _arrays(item)]
    return []


def _rebuild(value: Any, arrays: Any) -> Any:
    """``value`` with each NumPy array replaced by the next of the iterator ``arrays``."""
    if isinstance(value, np.ndarray):
        return next(arrays)
    if isinstance(value, list | tuple):
        return type(value)(_rebuild(item, arrays) for item in value)
    return value


def _call(name: str, case: Case) -> tuple[list[np.ndarray], Callable[..., Any]]:
    """The case's arrays, and ``fn(*arrays)`` calling the function with them in their places
    (the Python values of the case stay Python values)."""
    arrays = _arrays((case.args, list(case.kwargs.values())))
    function = getattr(omniloss, name)

    def call(*tensors: Any) -> Any:
        remaining = iter(tensors)
        args = _rebuild(case.args, remaining)
        kwargs = {key: _rebuild(value, remaining) for key, value in case.kwargs.items()}
        return function(*args, **kwargs)

    return arrays, call


def _unknown_batch(name: str, arrays: list[np.ndarray]) -> list[tuple[int | None, ...]]:
    """The shapes with the batch axis unknown: axis 0 of every array whose leading size is the
    first array's; for the CTC functions every axis but the classes of ``log_probs``."""
    if name in ("ctc_loss", "ctc_forward_probabilities"):
        return [(None, None, a.shape[2]) if a.ndim == 3 else (None,) * a.ndim for a in arrays]
    batch = arrays[0].shape[0]
    return [(None, *a.shape[1:]) if a.ndim and a.shape[0] == batch else a.shape
            for a in arrays]


def _check_tf_function(name: str, case: Case,
                       shapes: Callable[[list[np.ndarray]], list[tuple[int | None, ...]]]
                       ) -> None:
    """The function under ``tf.function`` with the ``shapes`` signature gives the eager value
    and the eager gradients w.r.t. every floating array."""
    import tensorflow as tf

    arrays, call = _call(name, case)
    floating = [i for i, a in enumerate(arrays) if a.dtype.kind == "f"]

    def value_and_grads(*tensors: Any) -> tuple[Any, list[Any]]:
        with tf.GradientTape() as tape:
            tape.watch([tensors[i] for i in floating])
            value = call(*tensors)
            total = tf.reduce_sum(value)
        grads = tape.gradient(total, [tensors[i] for i in floating])
        return value, [tf.zeros_like(tensors[i]) if g is None else tf.convert_to_tensor(g)
                       for i, g in zip(floating, grads, strict=True)]

    signature = [tf.TensorSpec(shape, tf.as_dtype(a.dtype))
                 for shape, a in zip(shapes(arrays), arrays, strict=True)]
    assert any(None in spec.shape.as_list() for spec in signature), "no size left unknown"
    tensors = [tf.constant(a) for a in arrays]
    eager_value, eager_grads = value_and_grads(*tensors)
    traced = tf.function(value_and_grads, input_signature=signature)
    value, grads = traced(*tensors)
    assert_close(value.numpy(), eager_value.numpy(), rtol=1e-10, atol=1e-12,
                 what=f"{name}: traced value")
    for i, grad, eager_grad in zip(floating, grads, eager_grads, strict=True):
        assert_close(grad.numpy(), eager_grad.numpy(), rtol=1e-10, atol=1e-12,
                     what=f"{name}: traced gradient of array {i}")


tensorflow_only = pytest.mark.skipif("tensorflow" not in SELECTED,
                                     reason="tensorflow is not a selected backend")
torch_only = pytest.mark.skipif("torch" not in SELECTED,
                                reason="torch is not a selected backend")


@tensorflow_only
@pytest.mark.parametrize("name", list(CASES))
def test_tf_function_with_unknown_batch_size(name):
    _check_tf_function(name, _first_case(name), lambda arrays: _unknown_batch(name, arrays))


@tensorflow_only
@pytest.mark.parametrize("name", EVERY_SIZE_UNKNOWN)
def test_tf_function_with_every_size_unknown_weighted(name):
    _check_tf_function(name, _weighted_case(name),
                       lambda arrays: [(None,) * a.ndim for a in arrays])


def _torch_value_and_grads(call: Callable[..., Any], arrays: list[np.ndarray]
                           ) -> tuple[np.ndarray, list[np.ndarray]]:
    import torch

    tensors = [torch.from_numpy(a.copy()) for a in arrays]
    floating = [t for t in tensors if t.is_floating_point()]
    for tensor in floating:
        tensor.requires_grad_(True)
    value = call(*tensors)
    if value.requires_grad:  # not zero_one_loss, whose gradient is 0 by definition
        value.sum().backward()
    return value.detach().numpy(), [
        np.zeros(t.shape) if t.grad is None else t.grad.numpy() for t in floating]


# Known failures with dynamic=True, outside the losses' own formulas: graph breaks with
# symbolic sizes, and an Inductor bug that plain torch code hits alike
# (test_torch_compile_of_plain_torch_fails_where_generalized_cross_entropy_does).
DYNAMIC_FAILURES = {
    "ctc_loss": "array-api-compat's torch clip calls isnan on a symbolic bound (max_length)",
    "adaptive_log_softmax_loss": "its validation formats a symbolic size into an error label",
    "generalized_cross_entropy": "Inductor cannot lower a default float argument used as an "
    "exponent and elsewhere ((1 - p ** q) / q with q=0.5 a default): KeyError "
    "'unbacked_bindings', pytorch/pytorch#174340",
}


def _compiled_cases() -> list[Any]:
    if not COMPILE_ALL:
        return [pytest.param(name, False) for name in COMPILED_IN_CI]
    return [pytest.param(name, dynamic, marks=[pytest.mark.xfail(
        strict=True, reason=DYNAMIC_FAILURES[name])] if dynamic and
        name in DYNAMIC_FAILURES else []) for name in CASES for dynamic in (False, True)]


@torch_only
@pytest.mark.parametrize(("name", "dynamic"), _compiled_cases())
def test_torch_compile_fullgraph(name, dynamic):
    import torch

    arrays, call = _call(name, _first_case(name))
    eager_value, eager_grads = _torch_value_and_grads(call, arrays)
    torch._dynamo.reset()
    compiled = torch.compile(call, fullgraph=True, dynamic=dynamic, backend=COMPILER)
    value, grads = _torch_value_and_grads(compiled, arrays)
    assert_close(value, eager_value, rtol=1e-10, atol=1e-12, what=f"{name}: compiled value")
    for i, (grad, eager_grad) in enumerate(zip(grads, eager_grads, strict=True)):
        assert_close(grad, eager_grad, rtol=1e-10, atol=1e-12,
                     what=f"{name}: compiled gradient of floating array {i}")


@torch_only
@pytest.mark.skipif(not COMPILE_ALL, reason="Inductor's code generation: the compile session")
def test_torch_compile_of_plain_torch_fails_where_generalized_cross_entropy_does():
    """The failure DYNAMIC_FAILURES expects of generalized_cross_entropy is torch's: its
    probability formula written in plain torch fails alike. Once torch mends it, this test and
    that expected failure both fail: remove both."""
    import torch
    from torch._inductor.exc import InductorError

    def formula(p: Any, q: float = 0.5) -> Any:
        return ((1 - p**q) / q).sum()

    p = torch.full((4, 3), 0.25, dtype=torch.float64, requires_grad=True)
    torch._dynamo.reset()
    compiled = torch.compile(formula, fullgraph=True, dynamic=True)
    with pytest.raises(InductorError, match="unbacked_bindings"):
        compiled(p).backward()


@tensorflow_only
def test_autograph_calls_every_function_unconverted():
    """``tf.function`` (AutoGraph on, its default) calls our functions as they are: they hold no
    Python control flow on tensors, and converting them cost seconds per trace (10 s for
    ``cross_entropy``, against 0.03 s unconverted)."""
    from tensorflow.python.autograph.impl import api

    assert [name for name in omniloss.__all__ if name != "get_namespace"
            and not api.is_autograph_artifact(getattr(omniloss, name))] == []
