"""Namespace dispatch: :func:`omniloss.get_namespace` on every backend, its errors, and the cost
of ``import omniloss`` (which must import no framework)."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import textwrap
import timeit

import numpy as np
import pytest

import omniloss as ol
from omniloss._dispatch import array_library
from tests.helpers import BACKENDS

EXPECTED_NAMESPACE = {
    "numpy": "array_api_compat.numpy",
    "array_api_strict": "array_api_strict",
    "torch": "array_api_compat.torch",
    "jax": "jax.numpy",
    "tensorflow": "omniloss._tensorflow",
    "dask": "array_api_compat.dask.array",
}


def _installed(name: str) -> bool:
    return importlib.util.find_spec(name) is not None


def test_namespace_of_each_backend(backend):
    x = backend.asarray(np.arange(3.0))
    xp = ol.get_namespace(x)
    assert xp.__name__ == EXPECTED_NAMESPACE[backend.name]
    assert array_library(x) == backend.name
    total = xp.sum(xp.multiply(x, 2.0))
    assert backend.is_native(total)
    assert float(backend.to_numpy(total)) == 6.0
    assert ol.get_namespace(x, backend.asarray(np.ones((2, 3), np.float32))) is xp


def test_python_scalars_and_none_are_skipped(backend):
    x = backend.asarray(np.ones(2))
    xp = ol.get_namespace(x)
    assert ol.get_namespace(0.5, x, None, 2, True, 1j) is xp
    assert ol.get_namespace(None, x) is xp


@pytest.mark.backend_independent
def test_no_array_gives_numpy():
    assert ol.get_namespace().__name__ == "array_api_compat.numpy"
    assert ol.get_namespace(1.0, None, 3).__name__ == "array_api_compat.numpy"


def _other(backend_name: str) -> str:
    return "torch" if backend_name == "numpy" else "numpy"


def test_mixed_libraries_raise(backend):
    other = BACKENDS[_other(backend.name)]
    if not _installed(other.module):
        pytest.skip(f"{other.name} is not installed")
    x, y = backend.asarray(np.ones(2)), other.asarray(np.ones(2))
    for args in [(x, y), (y, 0.5, x), (x, None, x, y)]:
        with pytest.raises(TypeError) as caught:
            ol.get_namespace(*args, name="my_loss")
        message = str(caught.value)
        assert message.startswith("my_loss: ")
        assert backend.name in message and other.name in message, message


@pytest.mark.backend_independent
@pytest.mark.parametrize("bad", [[1.0, 2.0], "abc", object(), {"a": 1}],
                         ids=["list", "str", "object", "dict"])
def test_non_array_raises(bad):
    x = np.ones(2)
    for args in [(bad,), (x, bad), (bad, x)]:
        with pytest.raises(TypeError, match=r"^my_loss: expected arrays or Python scalars"):
            ol.get_namespace(*args, name="my_loss")


@pytest.mark.uses("jax")
def test_tracers_resolve_under_jax_jit_and_grad():
    import jax
    import jax.numpy as jnp

    seen = []

    def fn(x):
        xp = ol.get_namespace(x, 1.0)
        seen.append(xp.__name__)
        return xp.sum(xp.exp(x))

    x = jnp.arange(3.0)
    jax.jit(fn)(x)
    jax.grad(fn)(x)
    jax.vmap(fn)(x[:, None])
    assert seen == ["jax.numpy"] * 3


@pytest.mark.uses("tensorflow")
def test_symbolic_tensors_resolve_under_tf_function():
    import tensorflow as tf

    seen = []

    @tf.function
    def fn(x):
        xp = ol.get_namespace(x, None)
        seen.append(xp.__name__)
        return xp.sum(xp.exp(x))

    with tf.GradientTape() as tape:
        x = tf.constant([0.0, 1.0])
        tape.watch(x)
        total = fn(x)
    np.testing.assert_allclose(tape.gradient(total, x).numpy(), np.exp([0.0, 1.0]), rtol=1e-6)
    assert seen == ["omniloss._tensorflow"]


@pytest.mark.backend_independent
def test_parameters_and_variables_resolve():
    if _installed("torch"):
        import torch

        parameter = torch.nn.Parameter(torch.ones(2))
        assert ol.get_namespace(parameter).__name__ == "array_api_compat.torch"
        assert ol.get_namespace(parameter, torch.ones(2)).__name__ == "array_api_compat.torch"
    if _installed("tensorflow"):
        import tensorflow as tf

        variable = tf.Variable([1.0, 2.0])
        assert ol.get_namespace(variable).__name__ == "omniloss._tensorflow"
        assert ol.get_namespace(tf.ones(2), variable).__name__ == "omniloss._tensorflow"


_IMPORT_PROBE = textwrap.dedent("""
    import json, sys, time
    start = time.perf_counter()
    import omniloss
    seconds = time.perf_counter() - start
    frameworks = [m for m in ("torch", "jax", "jaxlib", "tensorflow", "keras") if m in sys.modules]
    print(json.dumps({"seconds": seconds, "frameworks": frameworks}))
""")


@pytest.mark.backend_independent
def test_import_loads_no_framework_and_is_fast():
    runs = [json.loads(subprocess.run([sys.executable, "-c", _IMPORT_PROBE], check=True,
                                      capture_output=True, text=True).stdout)
            for _ in range(3)]
    assert all(run["frameworks"] == [] for run in runs), runs
    seconds = sorted(run["seconds"] for run in runs)[1]
    print(f"\nimport omniloss: {seconds * 1000:.0f} ms (median of 3, fresh interpreters)")
    assert seconds < 2.0  # a framework import takes seconds; this only catches that


def test_get_namespace_cost(backend):
    x = backend.asarray(np.ones(3))
    y = backend.asarray(np.ones(3))
    ol.get_namespace(x, y)
    calls = 2000
    seconds = min(timeit.repeat(lambda: ol.get_namespace(x, y, 0.5, None), number=calls,
                                repeat=3)) / calls
    print(f"\nget_namespace({backend.name} x2, scalar, None): {seconds * 1e6:.2f} us per call")
