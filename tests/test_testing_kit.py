"""The public parity kit (``omniloss.testing``), as a user meets it.

``tests/downstream`` is a user's package: a focal Tversky loss written with
``omniloss.get_namespace``, declaring its cases with ``parity_cases``, and three broken variants.
Its own pytest run (the plugin loaded from the installed entry point) and ``omniloss check`` on it
are green on the selected backends; each broken variant is caught with a message that says what
is wrong, on every backend where the mistake shows.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import omniloss
from omniloss._cli import main
from omniloss.testing import (
    BACKENDS,
    assert_close,
    assert_parity,
    check_function,
    peer,
    select_backends,
    selected_backends,
)

DOWNSTREAM = Path(__file__).parent / "downstream"
SELECTED = selected_backends()


@pytest.fixture
def focal_losses(monkeypatch):
    monkeypatch.syspath_prepend(str(DOWNSTREAM))
    monkeypatch.chdir(DOWNSTREAM)
    import focal_losses

    return focal_losses


def _problems(function, backends=SELECTED) -> dict[str, set[str]]:
    """backend -> the checks that failed, over the declared cases and both dtypes."""
    failed: dict[str, set[str]] = {name: set() for name in backends}
    for _, outcome in check_function(function, backends):
        failed[outcome.backend] |= {problem.check for problem in outcome.problems}
    return failed


def test_the_users_package_passes_its_own_pytest_run_with_the_plugin():
    """A subprocess pytest in the user's package: the plugin comes from the ``pytest11`` entry
    point (nothing names it), its ``xp`` fixture and ``assert_parity`` run on every backend."""
    env = {**os.environ, "OMNILOSS_BACKENDS": ",".join(SELECTED)}
    run = subprocess.run([sys.executable, "-m", "pytest", "-q"],
                         cwd=DOWNSTREAM, env=env, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    per_backend = 1  # test_perfect_prediction_costs_nothing runs once per backend through ``xp``
    assert f"{2 + per_backend * len(SELECTED)} passed" in run.stdout, run.stdout[-2000:]


@pytest.mark.backend_independent
def test_a_backend_that_is_not_installed_is_a_usage_error():
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "--omniloss-backends",
                          "numpy,no_such_library"], cwd=DOWNSTREAM, capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 4, run.stdout[-2000:] + run.stderr[-2000:]
    assert "--omniloss-backends names unknown backends ['no_such_library']" in run.stderr


@pytest.mark.backend_independent
def test_a_known_backend_that_is_not_installed_is_refused(monkeypatch):
    monkeypatch.setattr(BACKENDS["dask"], "installed", lambda: False)
    with pytest.raises(ValueError, match=re.escape(
            "OMNILOSS_BACKENDS asks for ['dask'], not installed here")):
        select_backends("numpy,dask", source="OMNILOSS_BACKENDS")


def test_sample_weight_and_where_are_checked_too():
    """Keyword arrays are converted like the positional ones; ``sample_weight`` is a floating
    argument, so its gradient is checked (against central differences) with the others'."""
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    weight, keep = rng.uniform(0.5, 2.0, size=(5, 1)), np.array([[1], [0], [1], [1], [0]]) > 0
    assert_parity(omniloss.mse_loss, x, y, sample_weight=weight, where=keep, trace=False)
    with pytest.raises(AssertionError, match="value"):
        assert_parity(omniloss.mse_loss, x, y, sample_weight=weight, where=keep, trace=False,
                      grads=False, reference=lambda a, b, **_: np.mean((a - b) ** 2))


def test_omniloss_check_on_the_users_module(focal_losses, capsys):
    """The good loss gets ``ok`` everywhere; each broken variant a ``FAIL`` row; exit 1."""
    assert main(["check", "focal_losses:focal_tversky_loss"]) == 0
    good = capsys.readouterr().out
    row = next(line for line in good.splitlines() if line.startswith("focal_losses:"))
    assert row.count(" ok") == len(SELECTED), good
    assert main(["check", "focal_losses"]) == 1
    out = capsys.readouterr().out
    rows = {line.split()[0]: line for line in out.splitlines() if line.startswith("focal_losses:")}
    assert set(rows) == {f"focal_losses:{name}" for name in
                         ("focal_tversky_loss", "with_numpy_log", "with_float64_constant",
                          "in_place")}
    assert "FAIL" not in rows["focal_losses:focal_tversky_loss"]
    if set(SELECTED) & {"numpy", "torch", "array_api_strict"}:
        assert "FAIL (mutation)" in rows["focal_losses:in_place"]
        assert "argument 1 (target) holds other values after the call" in out


def test_a_module_without_declared_cases_is_a_usage_error(focal_losses):
    with pytest.raises(SystemExit):
        main(["check", "json"])


def test_numpy_log_inside_is_caught(focal_losses):
    """``np.log`` on the caller's arrays: fine on NumPy (and Dask, which takes NumPy ufuncs),
    an error or a lost gradient everywhere else."""
    failed = _problems(focal_losses.with_numpy_log)
    expected = {"array_api_strict": {"call"}, "torch": {"gradient"},
                "jax": {"gradient", "jax.jit"},
                "tensorflow": {"gradient of argument 0 (probs)", "tf.function"}}
    for backend, checks in failed.items():
        if backend in ("numpy", "dask"):
            assert checks == set(), (backend, checks)
        else:
            assert checks and checks <= expected[backend], (backend, checks)
    if not set(SELECTED) - {"numpy", "dask"}:
        return
    with pytest.raises(AssertionError, match=r"with_numpy_log: .* failed checks") as error:
        assert_parity(focal_losses.with_numpy_log, *_inputs(), grads=(0,))
    if "torch" in SELECTED:
        assert "torch (float64): gradient: raised RuntimeError: Can't call numpy() on Tensor " \
            "that requires grad" in str(error.value)


def test_a_float64_constant_is_caught(focal_losses):
    """float32 inputs come back float64 (TensorFlow refuses to mix them; torch does not promote
    by a 0-d tensor, so its result stays float32 and right)."""
    failed = _problems(focal_losses.with_float64_constant)
    for backend, checks in failed.items():
        want = {"torch": set(), "tensorflow": {"call"}}.get(backend, {"dtype"})
        assert checks == want, (backend, checks)
    if set(SELECTED) - {"torch", "tensorflow"}:
        with pytest.raises(AssertionError, match="dtype: returned float64 for float32 inputs"):
            assert_parity(focal_losses.with_float64_constant, *_inputs(), grads=(0,))


def test_an_in_place_update_is_caught(focal_losses):
    """``target *= 0.9`` writes into NumPy, array-api-strict and torch arrays; JAX and TensorFlow
    arrays are immutable (the name is rebound), so there the loss is right."""
    failed = _problems(focal_losses.in_place)
    for backend, checks in failed.items():
        want = {"mutation"} if backend in ("numpy", "array_api_strict", "torch") else set()
        assert checks == want, (backend, checks)


def _inputs() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    return rng.uniform(0.05, 0.95, size=(3, 8)), (rng.uniform(size=(3, 8)) < 0.5) * 1.0


def test_a_peer_reference_and_its_gradients():
    """``reference=peer("torch", F.cross_entropy)``: every backend against torch, in the dtype
    under test, gradients by torch's autograd."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    logits, labels = rng.normal(size=(6, 4)), rng.integers(0, 4, size=6)
    assert_parity(omniloss.cross_entropy, logits, labels, label_smoothing=0.1,
                  reference=peer("torch", torch.nn.functional.cross_entropy), trace=False)
    wrong = peer("torch", torch.nn.functional.cross_entropy, label_smoothing=0.2)
    with pytest.raises(AssertionError, match=r"value: 1 of 1 elements differ"):
        assert_parity(omniloss.cross_entropy, logits, labels, label_smoothing=0.1,
                      reference=wrong, trace=False)


@pytest.mark.skipif("torch" not in SELECTED, reason="torch is not a selected backend")
def test_a_wrong_gradient_is_caught():
    """A value right and a gradient cut (``detach``): caught against central differences."""
    def cut(a, b):
        xp = omniloss.get_namespace(a, b)
        return xp.mean((a - b) ** 2).detach() + 0 * a.sum()

    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    with pytest.raises(AssertionError, match=r"torch \(float64\): gradient of argument 0 \(a\)"):
        assert_parity(cut, a, b, reference=lambda a, b: np.mean((a - b) ** 2),
                      backends=["torch"])


@pytest.mark.skipif(not set(SELECTED) & {"jax", "tensorflow"}, reason="no tracing backend")
def test_a_host_sync_fails_tracing():
    def synced(a):
        xp = omniloss.get_namespace(a)
        return xp.sum(a) * (2.0 if float(xp.sum(a)) > 0 else 1.0)

    tracing = [b for b in SELECTED if b in ("jax", "tensorflow")]
    with pytest.raises(AssertionError) as error:
        assert_parity(synced, np.ones(3), backends=tracing, grads=False)
    for backend, tracer in (("jax", "jax.jit"), ("tensorflow", "tf.function")):
        if backend in tracing:
            assert f"{backend} (float64): {tracer}: raised" in str(error.value)


@pytest.mark.skipif("jax" not in SELECTED, reason="jax is not a selected backend")
def test_an_untraceable_function_gets_its_jax_gradient_eagerly():
    """The kit differentiates under ``jax.jit`` (one compilation), and eagerly a function that
    reads a value in Python: with ``trace=False`` its JAX gradient is checked all the same."""
    def synced(a):
        xp = omniloss.get_namespace(a)
        return xp.sum(a * a) * (2.0 if xp.sum(a) > 0 else 1.0)  # bool() of an array

    assert_parity(synced, np.linspace(0.5, 1.5, 4), backends=["jax"], trace=False,
                  reference=lambda a: 2.0 * np.sum(a * a))


@pytest.mark.skipif("torch" not in SELECTED, reason="torch is not a selected backend")
def test_torch_compile_when_asked():
    """``torch_compile=True``: ``torch.compile(fullgraph=True)`` must give the eager value; a
    graph break (a host sync) is reported."""
    def synced(a):
        xp = omniloss.get_namespace(a)
        return xp.sum(a) * (2.0 if float(xp.sum(a)) > 0 else 1.0)

    x = np.linspace(-1.0, 2.0, 6)
    assert_parity(omniloss.mse_loss, x, x[::-1].copy(), backends=["torch"], dtypes=["float32"],
                  torch_compile=True)
    with pytest.raises(AssertionError, match=r"torch \(float32\): torch.compile\(backend="
                                             r"'aot_eager'\): raised"):
        assert_parity(synced, x, backends=["torch"], dtypes=["float32"], torch_compile=True)


def test_assert_close_reads_every_library(backend):
    x = np.array([1.0, 2.0, np.nan, np.inf])
    assert_close(backend.asarray(x), x)
    with pytest.raises(AssertionError, match=r"1 of 4 elements differ.*first at \(1,\): got "
                                             r"np.float64\(2.1\), expected np.float64\(2.0\)"):
        assert_close(backend.asarray(x + np.array([0, 0.1, 0, 0])), x)
    with pytest.raises(AssertionError, match=r"shape \(4,\), expected \(2, 2\)"):
        assert_close(backend.asarray(x), x.reshape(2, 2))


@pytest.mark.backend_independent
def test_strategies_draw_valid_inputs():
    hypothesis = pytest.importorskip("hypothesis")
    from omniloss.testing import strategies as ost

    @hypothesis.settings(max_examples=20, deadline=None)
    @hypothesis.given(ost.ctc_batches(), ost.probabilities((3, 4), axis=-1), ost.boxes(5),
                      ost.class_ids((6,), 3, ignore_index=-100), ost.one_hot((2,), 4))
    def draws(ctc, distributions, boxes, ids, one_hot):
        log_probs, targets, input_lengths, target_lengths = ctc
        assert log_probs.shape[1:] == (3, 5)
        np.testing.assert_allclose(np.exp(log_probs).sum(-1), 1.0)
        assert (input_lengths >= 2 * target_lengths + 1).all()
        assert (input_lengths <= log_probs.shape[0]).all() and (targets != 0).all()
        np.testing.assert_allclose(distributions.sum(-1), 1.0)
        assert (boxes[:, 2:] > boxes[:, :2]).all()
        assert set(ids.tolist()) <= {0, 1, 2, -100}
        assert (one_hot.sum(-1) == 1).all()

    draws()


@pytest.mark.backend_independent
def test_loading_the_plugin_imports_nothing():
    """The entry point's module imports neither omniloss nor NumPy until a test needs them."""
    code = ("import sys, pytest_omniloss; "
            "print(sorted({'omniloss', 'numpy'} & set(sys.modules)))")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=120)
    assert run.stdout.strip() == "[]"
