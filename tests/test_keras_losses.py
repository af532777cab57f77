"""``omniloss.keras`` on each keras backend: ``tests/keras_losses_probe.py`` in a subprocess
(keras reads its backend once per process), in the session of that backend.

What the probe checks is listed in its docstring: every class against its function, keras's
reductions and sample weights against keras's own classes, fits with the same loss history as
keras's losses, save and reload without ``custom_objects``, CTC and GIoU (which keras lacks),
and the ``mixed_bfloat16`` policy.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from omniloss._adapters import specs
from omniloss.testing import selected_backends

SELECTED = selected_backends()


@pytest.mark.parametrize("keras_backend", ["tensorflow", "jax", "torch"])
def test_keras_losses(keras_backend):
    if keras_backend not in SELECTED:
        pytest.skip(f"{keras_backend} is not a selected backend")
    pytest.importorskip("keras")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = {**os.environ, "KERAS_BACKEND": keras_backend, "TF_CPP_MIN_LOG_LEVEL": "3",
           "JAX_PLATFORMS": os.environ.get("JAX_PLATFORMS", "cpu")}
    env.pop("JAX_ENABLE_X64", None)  # keras's float32 models, as users run them
    run = subprocess.run([sys.executable, "-m", "tests.keras_losses_probe"], cwd=root, env=env,
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    report = json.loads(run.stdout.strip().splitlines()[-1])
    assert report["backend"] == keras_backend
    every = list(specs())
    classes = len(every) + sum(len(s.entry.classes.keras) for s in every)
    assert report["classes"] == (0 if keras_backend == "jax" else classes)
    assert sorted(report["histories"]) == sorted([
        "MeanSquaredError", "SparseCategoricalCrossentropy", "CategoricalCrossentropy",
        "GeneralizedBoxIoULoss", "FocalTverskyLoss", "CTCLoss", "MeanSquaredError masked"])
    assert report["failures"] == []


def test_keras_module_imports_keras_alone():
    """``import omniloss.keras`` imports no framework beyond those ``import keras`` imports (on
    the TF backend keras itself imports jax)."""
    if "tensorflow" not in SELECTED:
        pytest.skip("tensorflow is not a selected backend")
    probe = ("import sys\n"
             "names = ('torch', 'jax', 'tensorflow', 'dask')\n"
             "import keras\n"
             "before = [n for n in names if n in sys.modules]\n"
             "import omniloss.keras\n"
             "print(before == [n for n in names if n in sys.modules], 'torch' in sys.modules)")
    env = {**os.environ, "KERAS_BACKEND": "tensorflow", "TF_CPP_MIN_LOG_LEVEL": "3"}
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         env=env, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.split() == ["True", "False"]
