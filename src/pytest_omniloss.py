"""The omniloss pytest plugin (registered by omniloss's ``pytest11`` entry point ``omniloss``).

Adds ``--omniloss-backends`` (comma-separated; default: the ``OMNILOSS_BACKENDS`` variable, else
every installed backend) and two fixtures, parametrised over those backends:

- ``omniloss_backend``: a :class:`omniloss.testing.Backend` (``asarray`` from NumPy,
  ``to_numpy``, ``value_and_grad``, ``jit``);
- ``xp``: the Array API namespace omniloss resolves for that backend's arrays.

A backend named and not installed is a usage error, not a skip. The plugin is a module of its own,
outside the ``omniloss`` package, so that loading it imports nothing (not omniloss, not NumPy)
until a test asks for one of its fixtures or the backends are chosen.
"""

from __future__ import annotations

import os
import sys
from types import ModuleType
from typing import Any

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("omniloss").addoption(
        "--omniloss-backends", default=None, metavar="NAMES",
        help="comma-separated backends for the xp fixture and assert_parity (numpy, "
             "array_api_strict, torch, jax, tensorflow, dask); default: $OMNILOSS_BACKENDS, "
             "else every installed one")


def pytest_configure(config: pytest.Config) -> None:
    requested = config.getoption("omniloss_backends")
    if requested is None and not os.environ.get("OMNILOSS_BACKENDS", "").strip():
        return  # every installed backend, found when a test first asks
    import omniloss.testing as kit

    source = "--omniloss-backends" if requested is not None else "OMNILOSS_BACKENDS"
    try:
        kit._selection = kit.select_backends(
            requested if requested is not None else os.environ["OMNILOSS_BACKENDS"],
            source=source)
    except ValueError as error:
        raise pytest.UsageError(str(error)) from None


def pytest_unconfigure(config: pytest.Config) -> None:
    if "omniloss.testing" in sys.modules:  # imported only if a test used the kit
        import omniloss.testing as kit

        kit._selection = None


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "omniloss_backend" in metafunc.fixturenames:
        import omniloss.testing as kit

        names = kit.selected_backends()
        metafunc.parametrize("omniloss_backend", [kit.BACKENDS[n] for n in names], ids=names)


@pytest.fixture
def xp(omniloss_backend: Any) -> ModuleType:
    """The Array API namespace omniloss resolves for ``omniloss_backend``'s arrays."""
    namespace: ModuleType = omniloss_backend.namespace()
    return namespace
