"""Cross-backend parity: every implemented function gives the NumPy float64 numbers everywhere.

Uses the example inputs of ``omniloss._check`` (the ones ``omniloss check`` runs).
"""

from __future__ import annotations

import pytest

import omniloss as ol
from omniloss._catalogue import CATALOGUE, is_implemented
from omniloss._check import all_cases
from omniloss.testing import check_function

IMPLEMENTED = [entry.name for entry in CATALOGUE if is_implemented(entry.name)]


def test_every_implemented_function_has_a_case():
    assert sorted(set(IMPLEMENTED) - set(all_cases())) == []


def test_catalogue_names_are_exported_and_unique():
    names = [entry.name for entry in CATALOGUE]
    assert len(names) == len(set(names))
    assert set(ol.__all__) - {"get_namespace"} <= set(names)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", IMPLEMENTED)
def test_backend_matches_numpy_float64(backend, name, dtype):
    """The kit's checks (value against NumPy float64, library, dtype, device, no mutation) on
    the ``omniloss check`` cases; gradients and tracing are checked against the peers by the
    family tests and ``tests/test_tracing.py``."""
    results = check_function(getattr(ol, name), [backend.name], make=all_cases()[name],
                             dtypes=[dtype], grads=False, trace=False)
    problems = [f"{case.label}: {problem}" for case, outcome in results
                for problem in outcome.problems]
    assert not problems, "\n".join(problems)


_COMPILE_AFTER_OTHER_LIBRARIES = """
import numpy as np, tensorflow as tf, jax.numpy as jnp, torch
import omniloss as ol
ol.cross_entropy(tf.ones((4, 3)), tf.zeros(4, dtype=tf.int32))
ol.cross_entropy(jnp.ones((4, 3)), jnp.zeros(4, dtype=jnp.int32))
compiled = torch.compile(ol.cross_entropy, fullgraph=True, backend="aot_eager")
logits, labels = torch.tensor([[0.5, 1.0, -1.0]]), torch.tensor([2])
assert torch.allclose(compiled(logits, labels), torch.nn.functional.cross_entropy(logits, labels))
"""


def test_torch_compile_after_other_libraries_in_one_process():
    """A process that mixes libraries: ``torch.compile(fullgraph=True)`` after TensorFlow and JAX
    calls (our caches then hold their dtypes, which torch.compile cannot hash)."""
    import subprocess
    import sys

    pytest.importorskip("tensorflow")
    pytest.importorskip("jax")
    pytest.importorskip("torch")
    run = subprocess.run([sys.executable, "-c", _COMPILE_AFTER_OTHER_LIBRARIES],
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
