"""Regression losses against their defining peers on every backend."""

from __future__ import annotations

import numpy as np
import pytest

import omniloss as ol
from tests.helpers import assert_raises_named, check_parity, check_traced, torch_peer

REDUCTIONS = ["mean", "sum", "none"]
DTYPES = [np.float64, np.float32]


def _pair(shape: tuple[int, ...], dtype: type, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.normal(size=shape).astype(dtype), rng.normal(size=shape).astype(dtype)]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ["l1_loss", "mse_loss"])
def test_matches_torch(backend, name, dtype, reduction):
    import torch.nn.functional as F

    ours = getattr(ol, name)
    check_parity(backend, lambda x, y: ours(x, y, reduction=reduction),
                 torch_peer(getattr(F, name), reduction=reduction), _pair((4, 5), dtype),
                 argnums=(0, 1))


@pytest.mark.parametrize("name", ["l1_loss", "mse_loss"])
@pytest.mark.parametrize("shape", [(), (0,), (3, 0, 2)], ids=["0d", "empty", "empty3d"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_edge_shapes(backend, name, shape, reduction):
    import torch.nn.functional as F

    check_parity(backend, lambda x, y: getattr(ol, name)(x, y, reduction=reduction),
                 torch_peer(getattr(F, name), reduction=reduction), _pair(shape, np.float64),
                 argnums=(0, 1))


def test_l1_kink_gradient_is_zero(backend):
    import torch.nn.functional as F

    x = np.array([0.0, 1.0, -2.0, 3.0])
    check_parity(backend, ol.l1_loss, torch_peer(F.l1_loss), [x, np.array([0.0, 1.0, 0.0, 5.0])],
                 argnums=(0, 1))


@pytest.mark.parametrize("name", ["l1_loss", "mse_loss"])
def test_nan_and_scalar_target(backend, name):
    import torch.nn.functional as F

    x = np.array([np.nan, 1.0, 2.0])
    check_parity(backend, lambda a, b: getattr(ol, name)(a, b, reduction="none"),
                 torch_peer(getattr(F, name), reduction="none"), [x, np.zeros(3)],
                 argnums=())
    value = backend.to_numpy(getattr(ol, name)(backend.asarray(x[1:]), 1.0))
    expected = {"l1_loss": 0.5, "mse_loss": 0.5}[name]
    assert value == pytest.approx(expected)


@pytest.mark.parametrize("name", ["l1_loss", "mse_loss"])
def test_traced(tracing_backend, name):
    check_traced(tracing_backend, getattr(ol, name), _pair((3, 4), np.float64))


@pytest.mark.parametrize("name", ["l1_loss", "mse_loss"])
def test_bad_inputs(backend, name):
    fn = getattr(ol, name)
    x, y = (backend.asarray(a) for a in _pair((3, 4), np.float64))
    assert_raises_named(ValueError, name, "target",
                        lambda: fn(x, backend.asarray(np.zeros((3, 1)))))
    assert_raises_named(ValueError, name, "reduction", lambda: fn(x, y, reduction="avg"))
    assert_raises_named(TypeError, name, "input",
                        lambda: fn(backend.asarray(np.ones((3, 4), dtype=np.int64)), y))
