"""Every array holder a user has, for every public function (``omniloss._boundary``).

Generated from ``omniloss._check.all_cases()`` (each function's first case): every function with
each array argument held another way gives the plain-array result (values, dtype, library) and,
through variables, the plain-array gradients:

- TensorFlow: ``tf.Variable`` for each array argument in turn and for all at once, gradients by
  ``tape.gradient(loss, variable)``; a ``MirroredStrategy`` variable;
- ``keras.Variable`` on each keras backend, one subprocess per backend (``KERAS_BACKEND`` is
  fixed per process), gradients by the tape (TensorFlow) and ``.value.grad`` (torch);
- torch ``nn.Parameter``: values and ``.grad``;
- JAX tracers: ``jax.jit`` of ``jax.value_and_grad`` and of ``jax.vmap`` over two stacked
  copies, and ``jax.hessian`` on the smooth functions of ``HESSIAN`` (checked against central
  differences of the gradient);
- NumPy scalars as the 0-d inputs of the elementwise functions (``ELEMENTWISE``);
- array-api-strict arrays on a non-default device;
- ``None``, a list, a string and an object for every required array argument: a ``TypeError``
  naming the function and the argument.
"""

from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import omniloss as ol
from omniloss._check import all_cases
from omniloss.testing import selected_backends
from tests.helpers import BACKENDS, Backend, assert_close

SELECTED = selected_backends()

NAMES = sorted(all_cases())
Path = tuple[Any, ...]
"""Where an array lies in a call: ``(0,)`` the first positional argument, ``("weight",)`` a
keyword argument, ``(0, 1)`` the second array of the first argument's list."""

ELEMENTWISE = [
    "l1_loss", "mse_loss", "smooth_l1_loss", "huber_loss", "pseudo_huber_loss", "log_cosh_loss",
    "msle_loss", "mape_loss", "poisson_nll_loss", "gaussian_nll_loss", "quantile_loss",
    "robust_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits",
    "sigmoid_focal_loss", "binary_focal_cross_entropy", "exponential_loss", "logistic_loss",
    "hinge_loss", "squared_hinge_loss",
    "hinge_embedding_loss", "soft_margin_loss", "margin_ranking_loss", "gan_discriminator_loss",
    "gan_generator_loss", "loss_sensitive_gan_loss", "identity", "sigmoid", "log_sigmoid", "tanh",
    "relu", "relu6", "leaky_relu", "prelu", "elu", "swish", "silu", "mish", "softplus",
]
HESSIAN = ["mse_loss", "log_cosh_loss", "binary_cross_entropy_with_logits", "cross_entropy",
           "kl_div", "cosine_similarity_loss", "dice_loss", "gan_discriminator_loss", "softmax",
           "log_softmax"]


def _case(name: str) -> tuple[list[Any], dict[str, Any]]:
    case = all_cases()[name](np.random.default_rng(0))[0]
    return list(case.args), dict(case.kwargs)


def _paths(call: tuple[list[Any], dict[str, Any]]) -> list[Path]:
    """The paths of every NumPy array in a call, inside lists and tuples too."""
    found: list[Path] = []

    def walk(value: Any, path: Path) -> None:
        if isinstance(value, np.ndarray):
            found.append(path)
        elif isinstance(value, (list, tuple)):
            for i, item in enumerate(value):
                walk(item, (*path, i))

    args, kwargs = call
    for i, value in enumerate(args):
        walk(value, (i,))
    for key, value in kwargs.items():
        walk(value, (key,))
    return found


def _get(call: tuple[list[Any], dict[str, Any]], path: Path) -> Any:
    value = call[0][path[0]] if isinstance(path[0], int) else call[1][path[0]]
    for i in path[1:]:
        value = value[i]
    return value


def _map(call: tuple[list[Any], dict[str, Any]], change: Callable[[Path, np.ndarray], Any]
         ) -> tuple[list[Any], dict[str, Any]]:
    """The call with each array at ``path`` replaced by ``change(path, array)``."""

    def walk(value: Any, path: Path) -> Any:
        if isinstance(value, np.ndarray):
            return change(path, value)
        if isinstance(value, (list, tuple)):
            return type(value)(walk(item, (*path, i)) for i, item in enumerate(value))
        return value

    args, kwargs = call
    return ([walk(v, (i,)) for i, v in enumerate(args)],
            {key: walk(v, (key,)) for key, v in kwargs.items()})


def _floating(call: tuple[list[Any], dict[str, Any]]) -> list[Path]:
    return [p for p in _paths(call) if _get(call, p).dtype.kind == "f"]


def _run(name: str, call: tuple[list[Any], dict[str, Any]]) -> Any:
    return getattr(ol, name)(*call[0], **call[1])


def _assert_same(backend: Backend, got: Any, plain: Any, what: str) -> None:
    """``got`` is ``plain``: the same library, dtype and numbers."""
    assert backend.is_native(got), f"{what}: result is {type(got)}"
    got_value, plain_value = backend.to_numpy(got), backend.to_numpy(plain)
    assert got_value.dtype == plain_value.dtype, f"{what}: dtype {got_value.dtype}"
    assert_close(got_value, plain_value, rtol=1e-12, atol=1e-14, what=what)


def _selected(name: str) -> pytest.MarkDecorator:
    return pytest.mark.skipif(name not in SELECTED, reason=f"{name} is not a selected backend")


# TensorFlow variables


def _tf_value_and_grads(name: str, call: tuple[list[Any], dict[str, Any]],
                        sources: list[Any]) -> tuple[Any, list[Any]]:
    import tensorflow as tf

    with tf.GradientTape() as tape:
        for source in sources:
            tape.watch(source)
        out = _run(name, call)
        total = tf.reduce_sum(out)
    return out, tape.gradient(total, sources)


@_selected("tensorflow")
@pytest.mark.parametrize("name", NAMES)
def test_tf_variables(name):
    """Each floating array argument in turn, then every array argument at once, held by a
    ``tf.Variable``: the plain tensors' value and gradients."""
    import tensorflow as tf

    backend = BACKENDS["tensorflow"]
    numpy_call = _case(name)
    floating = _floating(numpy_call)
    tensors = _map(numpy_call, lambda _, a: backend.asarray(a))
    plain, plain_grads = _tf_value_and_grads(name, tensors, [_get(tensors, p) for p in floating])
    for held in [[p] for p in floating] + [_paths(numpy_call)]:
        variables = _map(tensors, lambda p, t, held=held: tf.Variable(t) if p in held else t)
        watched = [p for p in floating if p in held]
        out, grads = _tf_value_and_grads(name, variables, [_get(variables, p) for p in watched])
        _assert_same(backend, out, plain, f"{name} with variables at {held}")
        expected = [g for p, g in zip(floating, plain_grads, strict=True) if p in held]
        for grad, want, path in zip(grads, expected, watched, strict=True):
            if want is None:  # no gradient to the plain tensor (zero_one_loss): none here either
                assert grad is None, f"{name}: a gradient at {path} the plain tensor has not"
                continue
            assert grad is not None, f"{name}: no gradient reached the variable at {path}"
            assert_close(tf.convert_to_tensor(grad).numpy(), tf.convert_to_tensor(want).numpy(),
                         rtol=1e-12, atol=1e-14, what=f"{name}: gradient at {path}")


@_selected("tensorflow")
def test_tf_distributed_variables():
    """A ``MirroredStrategy`` variable (a ``tf.Variable`` subclass) reads like any other."""
    import tensorflow as tf

    x = np.random.default_rng(1).normal(size=(4, 5))
    with tf.distribute.MirroredStrategy(["/cpu:0"]).scope():
        variable = tf.Variable(x)
    assert type(variable) is not type(tf.Variable(x))
    with tf.GradientTape() as tape:
        loss = ol.cross_entropy(variable, tf.constant([0, 1, 4, 2]))
    gradient = tape.gradient(loss, variable)
    plain = tf.constant(x)
    plain_loss, plain_grads = _tf_value_and_grads(
        "cross_entropy", ([plain, tf.constant([0, 1, 4, 2])], {}), [plain])
    assert_close(loss.numpy(), plain_loss.numpy(), rtol=1e-12, atol=0, what="value")
    assert_close(tf.convert_to_tensor(gradient).numpy(), plain_grads[0].numpy(), rtol=1e-12,
                 atol=1e-14, what="gradient")


# torch parameters


@_selected("torch")
@pytest.mark.parametrize("name", NAMES)
def test_torch_parameters(name):
    """Every floating argument an ``nn.Parameter``: values and ``.grad`` of the plain tensors."""
    import torch

    backend = BACKENDS["torch"]
    numpy_call = _case(name)
    floating = _floating(numpy_call)

    def run(held: Callable[[Any], Any]) -> tuple[Any, list[Any]]:
        call = _map(numpy_call, lambda p, a: held(backend.asarray(a)) if p in floating
                    else backend.asarray(a))
        out = _run(name, call)
        if out.requires_grad:  # not for zero_one_loss, whose gradient is 0 by construction
            out.sum().backward()
        return out, [_get(call, p).grad for p in floating]

    plain, plain_grads = run(lambda t: t.requires_grad_(True))
    out, grads = run(torch.nn.Parameter)
    _assert_same(backend, out, plain, name)
    for grad, want, path in zip(grads, plain_grads, floating, strict=True):
        if want is None:
            assert grad is None, f"{name}: a gradient at {path} the plain tensor has not"
        else:
            assert_close(grad.numpy(), want.numpy(), rtol=1e-12, atol=1e-14,
                         what=f"{name}: .grad at {path}")


# JAX tracers


def _jax_function(name: str, numpy_call: tuple[list[Any], dict[str, Any]],
                  paths: list[Path]) -> Callable[..., Any]:
    """``name`` as a function of the arrays at ``paths`` (the others fixed)."""
    import jax.numpy as jnp

    def function(*arrays: Any) -> Any:
        by_path = dict(zip(paths, arrays, strict=True))
        return _run(name, _map(numpy_call, lambda p, a: by_path.get(p, jnp.asarray(a))))

    return function


def _torch_value_and_grads(name: str, numpy_call: tuple[list[Any], dict[str, Any]],
                           floating: list[Path]) -> tuple[np.ndarray, list[np.ndarray | None]]:
    """The plain-tensor value and gradients of ``sum(name(...))`` on torch (eager, fast)."""
    import torch

    call = _map(numpy_call, lambda p, a: torch.tensor(a, requires_grad=p in floating))
    out = _run(name, call)
    if out.requires_grad:
        out.sum().backward()
    grads = [_get(call, p).grad for p in floating]
    return out.detach().numpy(), [None if g is None else g.numpy() for g in grads]


@_selected("jax")
@pytest.mark.parametrize("name", NAMES)
def test_jax_tracers(name):
    """One ``jax.jit`` of ``jax.value_and_grad`` and of ``jax.vmap`` over two stacked copies of
    every array argument: the value of the plain arrays (NumPy float64) twice, and the gradients
    of plain torch tensors (eager JAX is too slow to be the reference for every function)."""
    jax = BACKENDS["jax"].lib()
    import jax.numpy as jnp

    numpy_call = _case(name)
    floating, paths = _floating(numpy_call), _paths(numpy_call)
    function = _jax_function(name, numpy_call, floating)
    every = _jax_function(name, numpy_call, paths)
    argnums = tuple(range(len(floating)))

    def total(*arrays: Any) -> Any:
        return jnp.sum(function(*arrays))

    @jax.jit
    def traced(arrays: list[Any], stacked: list[Any]) -> Any:
        return jax.value_and_grad(total, argnums)(*arrays), jax.vmap(every)(*stacked)

    (value, grads), batched = traced(
        [jnp.asarray(_get(numpy_call, p)) for p in floating],
        [jnp.stack([jnp.asarray(_get(numpy_call, p))] * 2) for p in paths])
    plain = np.asarray(_run(name, numpy_call))
    _, plain_grads = _torch_value_and_grads(name, numpy_call, floating)
    assert_close(value, plain.sum(), rtol=1e-10, atol=1e-12, what=f"{name}: jit value")
    for copy in (batched[0], batched[1]):
        assert_close(copy, plain, rtol=1e-10, atol=1e-12, what=f"{name}: vmap")
    for grad, want, path in zip(grads, plain_grads, floating, strict=True):
        assert_close(grad, np.zeros_like(grad) if want is None else want, rtol=1e-8,
                     atol=1e-10, what=f"{name}: jit gradient at {path}")


@_selected("jax")
@pytest.mark.parametrize("name", HESSIAN)
def test_jax_hessian(name):
    """``jax.hessian`` (nested JVP tracers) w.r.t. the first floating argument, against central
    differences of the gradient along a random direction."""
    jax = BACKENDS["jax"].lib()
    import jax.numpy as jnp

    numpy_call = _case(name)
    first = _floating(numpy_call)[0]
    function = _jax_function(name, numpy_call, [first])

    def total(x: Any) -> Any:
        return jnp.sum(function(x))

    x = jnp.asarray(_get(numpy_call, first))
    direction = jnp.asarray(np.random.default_rng(2).normal(size=x.shape))
    step = 1e-5

    @jax.jit
    def along_and_central(x: Any) -> tuple[Any, Any]:
        gradient = jax.grad(total)
        return (jnp.tensordot(jax.hessian(total)(x), direction, axes=x.ndim),
                (gradient(x + step * direction) - gradient(x - step * direction)) / (2 * step))

    along, central = along_and_central(x)
    assert_close(along, central, rtol=1e-5, atol=1e-6, what=f"{name}: hessian")


# keras variables, one process per keras backend

_KERAS_PROBE = textwrap.dedent("""
    import json, sys
    import numpy as np
    import keras
    import omniloss as ol
    from tests.test_input_kinds import NAMES, _case, _floating, _get, _map, _run

    backend = keras.backend.backend()
    failures = []
    for name in NAMES:
        numpy_call = _case(name)
        floating = _floating(numpy_call)
        try:
            variables = _map(numpy_call, lambda p, a: keras.Variable(
                a, dtype=str(a.dtype), trainable=p in floating))
            if backend == "tensorflow":
                import tensorflow as tf
                plain_call = _map(numpy_call, lambda p, a: tf.constant(a))
                sources = [_get(plain_call, p) for p in floating]
                with tf.GradientTape(persistent=True) as tape:
                    tape.watch(sources)
                    plain = _run(name, plain_call)
                    out = _run(name, variables)
                    plain_total, total = tf.reduce_sum(plain), tf.reduce_sum(out)
                want = tape.gradient(plain_total, sources)
                got = tape.gradient(total, [_get(variables, p).value for p in floating])
            elif backend == "torch":
                import torch
                plain_call = _map(numpy_call, lambda p, a: torch.tensor(
                    a, requires_grad=p in floating))
                plain, out = _run(name, plain_call), _run(name, variables)
                if plain.requires_grad:
                    plain.sum().backward()
                    out.sum().backward()
                want = [_get(plain_call, p).grad for p in floating]
                got = [_get(variables, p).value.grad for p in floating]
            else:  # values only, against NumPy (eager JAX is slow); no variable gradients
                plain, out = _run(name, numpy_call), _run(name, variables)
                want = got = [None] * len(floating)
            library = lambda t: type(t).__module__.split(".")[0].replace("jaxlib", "jax")
            expected = backend if backend == "jax" else library(plain)
            if library(out) != expected or str(out.dtype) != str(plain.dtype):
                failures.append(f"{name}: {type(out)} {out.dtype} != {type(plain)} {plain.dtype}")
            to_numpy = lambda t: np.asarray(keras.ops.convert_to_numpy(t))
            np.testing.assert_allclose(to_numpy(out), to_numpy(plain), rtol=1e-12, atol=1e-14)
            for g, w, p in zip(got, want, floating, strict=True):
                if w is None:
                    continue
                if g is None:
                    failures.append(f"{name}: no gradient at {p}")
                else:
                    np.testing.assert_allclose(to_numpy(g), to_numpy(w), rtol=1e-12, atol=1e-14)
        except Exception as error:
            failures.append(f"{name}: {type(error).__name__}: {str(error)[:300]}")
    variable = keras.Variable(np.ones(2))
    held, plain = ol.get_namespace(variable), ol.get_namespace(keras.ops.ones(2))
    if held is not plain:
        failures.append(f"get_namespace: {held.__name__} for a variable, {plain.__name__} else")
    print(json.dumps({"backend": backend, "functions": len(NAMES), "failures": failures}))
""")


@pytest.mark.parametrize("keras_backend", ["tensorflow", "jax", "torch"])
def test_keras_variables(keras_backend):
    """``keras.Variable`` for every array argument of every function, on one keras backend (run
    in the session of that backend): the plain-array value, dtype and library, and gradients;
    ``get_namespace`` of a variable is that of the arrays of its backend."""
    if keras_backend not in SELECTED:
        pytest.skip(f"{keras_backend} is not a selected backend")
    pytest.importorskip("keras")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = {**os.environ, "KERAS_BACKEND": keras_backend, "TF_CPP_MIN_LOG_LEVEL": "3",
           "JAX_ENABLE_X64": "1", "JAX_PLATFORMS": os.environ.get("JAX_PLATFORMS", "cpu")}
    run = subprocess.run([sys.executable, "-c", _KERAS_PROBE], cwd=root, env=env,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    report = json.loads(run.stdout.strip().splitlines()[-1])
    assert report["backend"] == keras_backend
    assert report["functions"] == len(ol.__all__) - 1
    assert report["failures"] == []


# NumPy scalars, array-api-strict devices


@_selected("numpy")
@pytest.mark.parametrize("name", ELEMENTWISE)
@pytest.mark.parametrize("scalar", [np.float64, np.float32])
def test_numpy_scalars(name, scalar):
    """NumPy scalars as inputs give what 0-d arrays give: the value and the dtype."""
    numpy_call = _case(name)
    firsts = _map(numpy_call, lambda p, a: a.flat[0].astype(
        scalar if a.dtype.kind == "f" else a.dtype))
    zero_d = _map(firsts, lambda p, a: np.asarray(a))
    scalars = _map(numpy_call, lambda p, a: _get(firsts, p))
    assert any(isinstance(_get(scalars, p), np.generic) for p in _paths(numpy_call))
    got, want = _run(name, scalars), _run(name, zero_d)
    assert np.asarray(got).dtype == np.asarray(want).dtype == np.dtype(scalar), name
    assert_close(got, want, rtol=1e-12, atol=1e-14, what=name)




@_selected("array_api_strict")
@pytest.mark.parametrize("name", NAMES)
def test_strict_device(name):
    """Arrays on array-api-strict's ``device1``: the result is there, with the same numbers."""
    import array_api_strict as xps

    device = xps.Device("device1")
    numpy_call = _case(name)
    plain = _run(name, _map(numpy_call, lambda p, a: xps.asarray(a)))
    out = _run(name, _map(numpy_call, lambda p, a: xps.asarray(a, device=device)))
    assert out.device == device, f"{name}: result on {out.device}"
    assert out.dtype == plain.dtype
    assert_close(np.asarray(out.to_device(xps.Device("CPU_DEVICE"))), np.asarray(plain),
                 rtol=1e-12, atol=1e-14, what=name)


# Mistakes: a TypeError naming the function and the argument


def _required(name: str) -> list[tuple[str, str]]:
    """``(argument, annotation)`` of the required array arguments of ``name``."""
    parameters = inspect.signature(getattr(ol, name)).parameters.values()
    return [(p.name, p.annotation) for p in parameters
            if "Array" in p.annotation and "None" not in p.annotation]


@pytest.mark.parametrize("name", NAMES)
def test_non_arrays_raise_named(name, backend):
    """``None``, a list, a string and an object where an array is required."""
    numpy_call = _case(name)
    call = _map(numpy_call, lambda p, a: backend.asarray(a))
    names = list(inspect.signature(getattr(ol, name)).parameters)
    for argument, annotation in _required(name):
        bads: list[Any] = [None, "abc", object()]
        if "Sequence" not in annotation:
            bads.append([1.0, 2.0])
        if annotation.startswith("Sequence"):
            bads.append([None])
        for bad in bads:
            position = names.index(argument)
            args = list(call[0])
            if position < len(args):
                args[position] = bad
            kwargs = {**call[1], **({} if position < len(args) else {argument: bad})}
            with pytest.raises(TypeError) as caught:
                getattr(ol, name)(*args, **kwargs)
            message = str(caught.value)
            assert message.startswith(f"{name}: {argument}"), message
            assert "must be" in message and "; got " in message, message


_IMPORT_PROBE = textwrap.dedent("""
    import json, sys
    import numpy as np
    import omniloss as ol
    x = np.ones((2, 3))
    ol.mse_loss(x, x), ol.cross_entropy(x, np.array([0, 2])), ol.mse_loss(x, 0.5)
    try:
        ol.mse_loss(x, [1.0, 2.0])
    except TypeError:
        pass
    print(json.dumps([m for m in ("torch", "jax", "tensorflow", "keras") if m in sys.modules]))
""")


@_selected("numpy")
def test_reading_imports_no_framework():
    """Reading the arguments (plain, a number, a rejected list) imports no framework."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    run = subprocess.run([sys.executable, "-c", _IMPORT_PROBE], cwd=root, capture_output=True,
                         text=True, timeout=120, check=True)
    assert json.loads(run.stdout) == []
