"""Data-parallel torch: README's recipe for the global weighted mean across ranks ("Across
data-parallel ranks"), run as written on two gloo processes on the CPU with DDP, gives the
single-process loss and gradients of the whole batch."""

from __future__ import annotations

import re
import socket
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from omniloss.testing import selected_backends

pytestmark = pytest.mark.skipif("torch" not in selected_backends(),
                                reason="torch is not a selected backend")

WORLD = 2
# Uneven shards, and the weights fall unevenly on them: a mean of the ranks' means is wrong here.
SHARDS = (slice(0, 7), slice(7, 10))


def _recipe() -> dict[str, Any]:
    """README's recipe, executed: the names it defines."""
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    section = readme.split("### Across data-parallel ranks", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert code is not None, "README's data-parallel section has no python block"
    names: dict[str, Any] = {}
    exec(code.group(1), names)  # the documented code, run as a user would
    return names


def _batch() -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(0)
    features = rng.normal(size=(10, 3))
    labels = rng.integers(0, 4, size=10)
    weights = np.concatenate([rng.uniform(0.1, 0.5, size=7), rng.uniform(2.0, 4.0, size=3)])
    keep = np.array([True, True, False, True, True, True, True, True, False, True])
    return features, labels, weights, keep


def _model() -> Any:
    import torch

    torch.manual_seed(0)
    return torch.nn.Linear(3, 4, dtype=torch.float64)


def _rank(rank: int, port: int, out: str) -> None:
    """One rank: its shard through DDP and the recipe, backward, its results saved."""
    import torch
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel

    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank,
                            world_size=WORLD)
    try:
        features, labels, weights, keep = (torch.from_numpy(a)[SHARDS[rank]] for a in _batch())
        model = DistributedDataParallel(_model())
        loss = _recipe()["global_weighted_mean"](model(features), labels, weights, keep)
        loss.backward()
        np.savez(f"{out}/rank{rank}.npz", loss=loss.detach().numpy(),
                 **{name: p.grad.numpy() for name, p in model.module.named_parameters()})
    finally:
        dist.destroy_process_group()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_global_weighted_mean_across_two_gloo_ranks(tmp_path):
    import torch
    import torch.multiprocessing as mp

    import omniloss as ol

    mp.spawn(_rank, args=(_free_port(), str(tmp_path)), nprocs=WORLD, join=True)
    ranks = [np.load(tmp_path / f"rank{rank}.npz") for rank in range(WORLD)]

    features, labels, weights, keep = (torch.from_numpy(a) for a in _batch())
    model = _model()
    expected = ol.cross_entropy(model(features), labels, sample_weight=weights, where=keep)
    expected.backward()
    np.testing.assert_allclose(sum(float(r["loss"]) for r in ranks) / WORLD, expected.item(),
                               rtol=1e-12)
    for name, parameter in model.named_parameters():
        # every rank holds the averaged gradient after DDP's all-reduce
        for result in ranks:
            np.testing.assert_allclose(result[name], parameter.grad.numpy(), rtol=1e-12,
                                       atol=1e-15)
    # the naive mean of the ranks' own weighted means differs: the test can tell
    naive = np.mean([ol.cross_entropy(model(features[s]), labels[s], sample_weight=weights[s],
                                      where=keep[s]).item() for s in SHARDS])
    assert abs(naive - expected.item()) > 1e-3
