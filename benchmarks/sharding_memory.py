"""Per-device memory and collectives of the JAX cross-entropies under ``jax.jit`` and sharding.

For ``cross_entropy``, ``binary_cross_entropy_with_logits`` and ``linear_cross_entropy``, and
their optax peers, ``jax.value_and_grad`` of the mean loss is compiled on a mesh of 8 host
devices (``XLA_FLAGS=--xla_force_host_platform_device_count=8``, set in a subprocess before jax
is imported) with the inputs in three layouts:

* ``replicated``: every input whole on every device;
* ``batch``: the batch axis split over the devices (``linear_cross_entropy``: the hidden states
  and labels; its projection replicated);
* ``vocabulary``: the class axis split over the devices (``linear_cross_entropy``: the
  projection's rows and the bias; hidden states and labels replicated).

The gradients are laid out as their inputs, the loss replicated. Each compiled program reports

* ``bytes``: ``temp_size_in_bytes + output_size_in_bytes`` of ``compiled.memory_analysis()``,
  per device: everything the program allocates, the gradients included, the inputs not;
* ``all_gathers``: the shapes of the ``all-gather`` results in ``compiled.as_text()``;
* ``error``: the largest difference of the sharded loss and gradients from the same function
  compiled without sharding, relative to the largest magnitude of each.

The peers: ``optax.losses.softmax_cross_entropy_with_integer_labels(logits, labels).mean()``,
``optax.losses.sigmoid_binary_cross_entropy(logits, targets).mean()``, and for
``linear_cross_entropy`` the plain composition of the projection and the first:
``softmax_cross_entropy_with_integer_labels(hidden @ projection.T + bias, labels).mean()``.

Usage: ``python benchmarks/sharding_memory.py [--rows 2048] [--classes 8192] [--hidden 256]``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

DEVICES = 8
ROWS = 2048
CLASSES = 8192
HIDDEN = 256
LOSSES = ("cross_entropy", "binary_cross_entropy_with_logits", "linear_cross_entropy")
LAYOUTS = ("replicated", "batch", "vocabulary")
SIDES = ("ours", "optax")

_ALL_GATHER = re.compile(r"=\s*\(?(\w+\[[\d,]*\])[^=]*?\ball-gather(?:-start)?\(")


def _problem(loss: str, rows: int, classes: int, hidden: int
             ) -> tuple[dict[str, Callable[..., Any]], list[Any], tuple[int, ...],
                        dict[str, tuple[Any, ...]]]:
    """``({side: function}, inputs, differentiated argnums, {layout: partition specs})``."""
    import jax.numpy as jnp
    import numpy as np
    import optax
    from jax.sharding import PartitionSpec as P

    import omniloss as ol

    rng = np.random.default_rng(0)
    labels = jnp.asarray(rng.integers(0, classes, size=rows, dtype=np.int32))
    if loss == "cross_entropy":
        logits = jnp.asarray(rng.standard_normal((rows, classes), dtype=np.float32) * 4)
        return ({"ours": lambda x, y: ol.cross_entropy(x, y),
                 "optax": lambda x, y: optax.losses.softmax_cross_entropy_with_integer_labels(
                     x, y).mean()},
                [logits, labels], (0,),
                {"replicated": (P(), P()), "batch": (P("d", None), P("d")),
                 "vocabulary": (P(None, "d"), P())})
    if loss == "binary_cross_entropy_with_logits":
        logits = jnp.asarray(rng.standard_normal((rows, classes), dtype=np.float32) * 4)
        targets = jnp.asarray(rng.integers(0, 2, size=(rows, classes)).astype(np.float32))
        return ({"ours": lambda x, t: ol.binary_cross_entropy_with_logits(x, t),
                 "optax": lambda x, t: optax.losses.sigmoid_binary_cross_entropy(x, t).mean()},
                [logits, targets], (0,),
                {"replicated": (P(), P()), "batch": (P("d", None), P("d", None)),
                 "vocabulary": (P(None, "d"), P(None, "d"))})
    states = jnp.asarray(rng.standard_normal((rows, hidden), dtype=np.float32))
    projection = jnp.asarray(rng.standard_normal((classes, hidden), dtype=np.float32)
                             / np.sqrt(hidden).astype(np.float32))
    bias = jnp.asarray(rng.standard_normal(classes, dtype=np.float32))
    return ({"ours": lambda h, w, b, y: ol.linear_cross_entropy(h, w, y, linear_bias=b),
             "optax": lambda h, w, b, y: optax.losses.softmax_cross_entropy_with_integer_labels(
                 h @ w.T + b, y).mean()},
            [states, projection, bias, labels], (0, 1, 2),
            {"replicated": (P(), P(), P(), P()), "batch": (P("d", None), P(), P(), P("d")),
             "vocabulary": (P(), P("d", None), P("d"), P())})


def _relative_error(sharded: Any, whole: Any) -> float:
    """The largest ``|a - b|`` over the leaves, each relative to the largest ``|b|`` of its leaf."""
    import jax
    import numpy as np

    errors = [float(np.max(np.abs(np.asarray(a, np.float64) - np.asarray(b, np.float64)))
                    / max(float(np.max(np.abs(np.asarray(b, np.float64)))), 1e-300))
              for a, b in zip(jax.tree.leaves(sharded), jax.tree.leaves(whole), strict=True)]
    return max(errors)


def _probe(rows: int, classes: int, hidden: int, losses: Sequence[str],
           layouts: Sequence[str]) -> list[dict[str, Any]]:
    """Compile and run every case on this process's devices (the child's side)."""
    import jax
    import numpy as np
    from jax.sharding import Mesh, NamedSharding
    from jax.sharding import PartitionSpec as P

    mesh = Mesh(np.array(jax.devices()[:DEVICES]), ("d",))
    replicated = NamedSharding(mesh, P())
    records = []
    for loss in losses:
        functions, inputs, argnums, specs = _problem(loss, rows, classes, hidden)
        for side in SIDES:
            step = jax.value_and_grad(functions[side], argnums=argnums)
            whole = jax.jit(step)(*inputs)
            for layout in layouts:
                shardings = tuple(NamedSharding(mesh, spec) for spec in specs[layout])
                compiled = jax.jit(
                    step, in_shardings=shardings,
                    out_shardings=(replicated, tuple(shardings[i] for i in argnums)),
                ).lower(*inputs).compile()
                memory = compiled.memory_analysis()
                placed = [jax.device_put(x, s) for x, s in zip(inputs, shardings, strict=True)]
                records.append({
                    "loss": loss, "side": side, "layout": layout,
                    "bytes": memory.temp_size_in_bytes + memory.output_size_in_bytes,
                    "all_gathers": _ALL_GATHER.findall(compiled.as_text()),
                    "error": _relative_error(compiled(*placed), whole),
                })
    return records


def measure(rows: int = ROWS, classes: int = CLASSES, hidden: int = HIDDEN,
            losses: Sequence[str] = LOSSES,
            layouts: Sequence[str] = LAYOUTS) -> list[dict[str, Any]]:
    """Every case's record (see the module docstring), measured in a subprocess of 8 devices."""
    command = [sys.executable, str(Path(__file__).resolve()), "--probe", "--rows", str(rows),
               "--classes", str(classes), "--hidden", str(hidden), "--losses", *losses,
               "--layouts", *layouts]
    env = {**os.environ, "JAX_PLATFORMS": "cpu",
           "XLA_FLAGS": f"{os.environ.get('XLA_FLAGS', '')} "
                        f"--xla_force_host_platform_device_count={DEVICES}".strip()}
    result = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
    if result.returncode != 0:
        raise RuntimeError(f"the sharding probe failed:\n{result.stderr}")
    records: list[dict[str, Any]] = json.loads(result.stdout.strip().splitlines()[-1])
    return records


def table(records: Sequence[dict[str, Any]]) -> str:
    """A Markdown table: per loss and layout, ours and optax's MiB per device, their ratio, the
    all-gathers of each and our error against the unsharded result."""
    by_case = {(r["loss"], r["layout"], r["side"]): r for r in records}
    lines = ["| loss | layout | ours MiB | optax MiB | ratio | ours all-gathers | "
             "optax all-gathers | ours error vs unsharded |", "|---" * 8 + "|"]
    for loss, layout in dict.fromkeys((r["loss"], r["layout"]) for r in records):
        ours, peer = by_case[loss, layout, "ours"], by_case[loss, layout, "optax"]
        lines.append(
            f"| {loss} | {layout} | {ours['bytes'] / 2**20:.1f} | {peer['bytes'] / 2**20:.1f} | "
            f"{ours['bytes'] / peer['bytes']:.2f} | {' '.join(ours['all_gathers']) or '-'} | "
            f"{' '.join(peer['all_gathers']) or '-'} | {ours['error']:.1e} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=ROWS)
    parser.add_argument("--classes", type=int, default=CLASSES)
    parser.add_argument("--hidden", type=int, default=HIDDEN)
    parser.add_argument("--losses", nargs="+", default=list(LOSSES), choices=LOSSES)
    parser.add_argument("--layouts", nargs="+", default=list(LAYOUTS), choices=LAYOUTS)
    parser.add_argument("--probe", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.probe:
        print(json.dumps(_probe(args.rows, args.classes, args.hidden, args.losses,
                                args.layouts)))
        return
    print(table(measure(args.rows, args.classes, args.hidden, args.losses, args.layouts)))


if __name__ == "__main__":
    main()
