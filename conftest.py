"""Test configuration: the project's tests on the omniloss pytest plugin.

The plugin (``pytest_omniloss``, installed with the package) parametrises the ``xp`` and
``omniloss_backend`` fixtures over the backends named by ``--omniloss-backends`` or
``OMNILOSS_BACKENDS`` (comma-separated; default every installed one; naming one that is not
installed is an error, not a skip). Here: ``backend`` (the tests' name for ``omniloss_backend``),
and the ``tracing_backend``, ``grad_backend``, ``dask_backend`` and ``fused_backend`` subsets.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Generator

import pytest

from omniloss.testing import BACKENDS, Backend, selected_backends

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

collect_ignore = ["tests/downstream"]  # a user's package, tested by its own pytest run

SUBSETS: dict[str, Callable[[Backend], bool]] = {
    "tracing_backend": lambda b: b.can_trace,  # jax.jit, tf.function
    "grad_backend": lambda b: b.has_grad,  # torch, jax, tensorflow
    "dask_backend": lambda b: b.name == "dask",  # what is particular to Dask (lazy results)
    # the backends with whole-loss kernels (the records' ``fused``; test_backend_records checks
    # this list): elsewhere a native-against-portable test of them compares a path with itself
    "fused_backend": lambda b: b.name in ("torch", "tensorflow"),
}


# Dask's max and min raise NumPy's zero-size reduction error on an array with no elements even
# along a non-empty axis, where NumPy returns an empty array (dask/array/reductions.py chunk_max;
# dask/dask#2794, #9268), and its reshape of such an array raises NotImplementedError.
DASK_NO_ELEMENTS = "Dask's max, min and reshape fail on arrays with no elements"


def _dask_fails_on_no_elements(error: pytest.ExceptionInfo[BaseException]) -> bool:
    """Whether ``error`` is one of Dask's own on an array with no elements (``DASK_NO_ELEMENTS``),
    told from anything else by its message and by where Dask raised it."""
    frames = [entry for entry in error.traceback if "dask" in entry.path.parts]
    if isinstance(error.value, ValueError):
        return bool(frames) and str(error.value).startswith("zero-size array to reduction")
    if isinstance(error.value, NotImplementedError):
        return any(entry.path.name == "reshape.py" and 0 in entry.locals.get("inshape", ())
                   for entry in frames)
    return False


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]
                              ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """On Dask, a test that fails by ``DASK_NO_ELEMENTS`` (and by nothing else) is reported as an
    expected failure with that reason; any other failure stays a failure."""
    report = yield
    callspec = getattr(item, "callspec", None)
    if (report.failed and call.when == "call" and call.excinfo is not None
            and callspec is not None
            and getattr(callspec.params.get("omniloss_backend"), "name", None) == "dask"
            and _dask_fails_on_no_elements(call.excinfo)):
        report.outcome = "skipped"
        report.wasxfail = DASK_NO_ELEMENTS
    return report


@pytest.fixture
def backend(omniloss_backend: Backend) -> Backend:
    """A helper for one selected backend: conversion, gradients, tracing."""
    return omniloss_backend


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrise each backend subset a test asks for over the selected backends in it."""
    for fixture, belongs in SUBSETS.items():
        if fixture in metafunc.fixturenames:
            names = [n for n in selected_backends() if belongs(BACKENDS[n])]
            metafunc.parametrize(fixture, [BACKENDS[n] for n in names] or [None],
                                 ids=names or ["none"])


def _served(item: pytest.Item, selected: set[str]) -> bool:
    """Whether ``item`` has something to run on under the selected backends."""
    uses = {name for mark in item.iter_markers("uses") for name in mark.args}
    if item.get_closest_marker("backend_independent") is not None:
        uses.add("numpy")
    return uses <= selected


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect (rather than skip) the tests no selected backend serves.

    Under ``OMNILOSS_BACKENDS=numpy`` the tracing, gradient and Dask tests have nothing to run on;
    the sessions of the backends that trace or differentiate, and the Dask session, run them. A
    test marked ``uses("tensorflow")`` runs in the TensorFlow session only, and one marked
    ``backend_independent`` in the NumPy session only: each of the CI's one-backend sessions
    would repeat it otherwise (they did: 97 s of one process's time in each of six sessions).
    """
    selected = set(selected_backends())
    unserved = {fixture for fixture, belongs in SUBSETS.items()
                if not any(belongs(BACKENDS[n]) for n in selected)}
    kept, dropped = [], []
    for item in items:
        served = (not unserved & set(getattr(item, "fixturenames", ()))
                  and _served(item, selected))
        (kept if served else dropped).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept
