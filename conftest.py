"""Test configuration: the ``backend`` and ``xp`` fixtures, parametrised over installed backends.

``OMNILOSS_BACKENDS`` (comma-separated, e.g. ``OMNILOSS_BACKENDS=torch,jax``) restricts the
backends; naming one that is not installed is an error, not a skip.
"""

from __future__ import annotations

import os
from collections.abc import Generator
from types import ModuleType
from typing import Any

import pytest

from tests.helpers import BACKENDS, Backend, available_backends

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")


def _selected() -> list[str]:
    requested = os.environ.get("OMNILOSS_BACKENDS", "").strip()
    installed = available_backends()
    if not requested:
        return installed
    names = [n.strip() for n in requested.split(",") if n.strip()]
    unknown = [n for n in names if n not in BACKENDS]
    if unknown:
        raise pytest.UsageError(f"OMNILOSS_BACKENDS names unknown backends {unknown}; "
                                f"known: {sorted(BACKENDS)}")
    missing = [n for n in names if n not in installed]
    if missing:
        raise pytest.UsageError(f"OMNILOSS_BACKENDS asks for {missing}, not installed here")
    return names


SELECTED = _selected()
TRACING = [n for n in SELECTED if BACKENDS[n].can_trace]
DIFFERENTIABLE = [n for n in SELECTED if BACKENDS[n].has_grad]
DASK = [n for n in SELECTED if n == "dask"]


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
            and callspec is not None and callspec.params.get("backend") == "dask"
            and _dask_fails_on_no_elements(call.excinfo)):
        report.outcome = "skipped"
        report.wasxfail = DASK_NO_ELEMENTS
    return report


@pytest.fixture(params=SELECTED)
def backend(request: pytest.FixtureRequest) -> Backend:
    """A helper for one installed backend: conversion, gradients, tracing."""
    return BACKENDS[request.param]


@pytest.fixture
def xp(backend: Backend) -> ModuleType:
    """The Array API namespace omniloss resolves for ``backend``'s arrays."""
    return backend.namespace()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect (rather than skip) the tests of a fixture no selected backend can serve.

    Under ``OMNILOSS_BACKENDS=numpy`` the tracing, gradient and Dask tests have nothing to run on;
    the sessions of the backends that trace or differentiate, and the Dask session, run them.
    """
    unserved = {name for name, served in (("tracing_backend", TRACING),
                                          ("grad_backend", DIFFERENTIABLE),
                                          ("dask_backend", DASK)) if not served}
    if not unserved:
        return
    kept, dropped = [], []
    for item in items:
        (dropped if unserved & set(getattr(item, "fixturenames", ())) else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@pytest.fixture(params=TRACING or [None])
def tracing_backend(request: pytest.FixtureRequest) -> Any:
    """Only the backends that trace (``jax.jit``, ``tf.function``)."""
    return BACKENDS[request.param]


@pytest.fixture(params=DIFFERENTIABLE or [None])
def grad_backend(request: pytest.FixtureRequest) -> Any:
    """Only the backends with autodiff (torch, jax, tensorflow)."""
    return BACKENDS[request.param]


@pytest.fixture(params=DASK or [None])
def dask_backend(request: pytest.FixtureRequest) -> Any:
    """Dask only, for the tests of what is particular to it (lazy results)."""
    return BACKENDS[request.param]
