"""JAX under ``jax.jit`` and sharding: ``cross_entropy``, ``binary_cross_entropy_with_logits``
and ``linear_cross_entropy``, forward and backward, on 8 host devices with the inputs
replicated, split over the batch and split over the classes (``linear_cross_entropy``: its
projection split over the classes), against optax.

``benchmarks/sharding_memory.py`` compiles and runs each case in a subprocess (the device count
is an XLA flag read when jax is imported). The memory and the collectives are compiled at
(2048, 8192) float32 logits, the size where the portable log-sum-exp slices its input (2**24
elements); compiling costs the same at any size, running does not, so the comparison with the
unsharded result runs at a small size, where JAX takes the same code.
"""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.uses("jax")

MEMORY_RATIO = 1.2
"""The most per-device memory allowed, as a multiple of optax's."""


def _records(**sizes: Any) -> list[dict[str, Any]]:
    pytest.importorskip("optax")
    from benchmarks.sharding_memory import measure

    return measure(**sizes)


def test_sharded_memory_within_optax_and_no_all_gather():
    records = _records(rows=2048, classes=8192, hidden=256, execute=False)
    assert len(records) == 18 and all(r["bytes"] > 0 for r in records)
    optax = {(r["loss"], r["layout"]): r["bytes"] for r in records if r["side"] == "optax"}
    problems = []
    for record in (r for r in records if r["side"] == "ours"):
        case = f"{record['loss']}, {record['layout']}"
        # no all-gather at all (optax has none either): the logits, and linear_cross_entropy's
        # projection, stay split over the devices
        if record["all_gathers"]:
            problems.append(f"{case}: all-gathers {' '.join(record['all_gathers'])}")
        peer = optax[record["loss"], record["layout"]]
        if record["bytes"] > MEMORY_RATIO * peer:
            problems.append(f"{case}: {record['bytes'] / 2**20:.1f} MiB per device, "
                            f"optax {peer / 2**20:.1f}")
    assert not problems, "\n".join(problems)


def test_sharded_results_equal_unsharded():
    problems = [f"{r['loss']}, {r['layout']}: relative error {r['error']:.1e}"
                for r in _records(rows=64, classes=1024, hidden=32, sides=("ours",))
                if not r["error"] < 1e-5]
    assert not problems, "\n".join(problems)
