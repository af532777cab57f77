"""Test configuration: the ``backend`` and ``xp`` fixtures, parametrised over installed backends.

``OMNILOSS_BACKENDS`` (comma-separated, e.g. ``OMNILOSS_BACKENDS=torch,jax``) restricts the
backends; naming one that is not installed is an error, not a skip.
"""

from __future__ import annotations

import os
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

    Under ``OMNILOSS_BACKENDS=numpy`` the tracing and gradient tests have nothing to run on; the
    sessions of the backends that trace or differentiate run them.
    """
    unserved = {name for name, served in (("tracing_backend", TRACING),
                                          ("grad_backend", DIFFERENTIABLE)) if not served}
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
