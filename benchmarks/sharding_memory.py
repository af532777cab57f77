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

``--dtype float64`` runs with ``jax_enable_x64``; ``--compile-only`` compiles from the shapes
alone (memory and collectives, no run, no comparison).

Usage: ``python benchmarks/sharding_memory.py [--rows 2048] [--classes 8192] [--hidden 256]
[--dtype float32] [--compile-only]``.
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


def _problem(loss: str, rows: int, classes: int, hidden: int, dtype: str, execute: bool
             ) -> tuple[dict[str, Callable[..., Any]], list[Any], tuple[int, ...],
                        dict[str, tuple[Any, ...]]]:
    """``({side: function}, inputs, differentiated argnums, {layout: partition specs})``; the
    inputs are NumPy arrays to run on, or without ``execute`` their shapes only."""
    import jax
    import numpy as np
    import optax
    from jax.sharding import PartitionSpec as P

    import omniloss as ol

    rng = np.random.default_rng(0)
    floating = np.dtype(dtype)

    def normal(shape: tuple[int, ...], scale: float) -> Any:
        if not execute:
            return jax.ShapeDtypeStruct(shape, floating)
        return (rng.standard_normal(shape) * scale).astype(floating)

    def integers(high: int, shape: tuple[int, ...], kind: Any) -> Any:
        if not execute:
            return jax.ShapeDtypeStruct(shape, kind)
        return rng.integers(0, high, size=shape).astype(kind)

    labels = integers(classes, (rows,), np.int32)
    if loss == "cross_entropy":
        return ({"ours": lambda x, y: ol.cross_entropy(x, y),
                 "optax": lambda x, y: optax.losses.softmax_cross_entropy_with_integer_labels(
                     x, y).mean()},
                [normal((rows, classes), 4.0), labels], (0,),
                {"replicated": (P(), P()), "batch": (P("d", None), P("d")),
                 "vocabulary": (P(None, "d"), P())})
    if loss == "binary_cross_entropy_with_logits":
        return ({"ours": lambda x, t: ol.binary_cross_entropy_with_logits(x, t),
                 "optax": lambda x, t: optax.losses.sigmoid_binary_cross_entropy(x, t).mean()},
                [normal((rows, classes), 4.0), integers(2, (rows, classes), floating)], (0,),
                {"replicated": (P(), P()), "batch": (P("d", None), P("d", None)),
                 "vocabulary": (P(None, "d"), P(None, "d"))})
    return ({"ours": lambda h, w, b, y: ol.linear_cross_entropy(h, w, y, linear_bias=b),
             "optax": lambda h, w, b, y: optax.losses.softmax_cross_entropy_with_integer_labels(
                 h @ w.T + b, y).mean()},
            [normal((rows, hidden), 1.0), normal((classes, hidden), hidden ** -0.5),
             normal((classes,), 1.0), labels], (0, 1, 2),
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
           layouts: Sequence[str], sides: Sequence[str], dtype: str,
           execute: bool) -> list[dict[str, Any]]:
    """Compile (and run) every case on this process's devices: the subprocess's side."""
    import jax
    import numpy as np
    from jax.sharding import Mesh, NamedSharding
    from jax.sharding import PartitionSpec as P

    mesh = Mesh(np.array(jax.devices()[:DEVICES]), ("d",))
    replicated = NamedSharding(mesh, P())
    records = []
    for loss in losses:
        functions, inputs, argnums, specs = _problem(loss, rows, classes, hidden, dtype, execute)
        for side in sides:
            step = jax.value_and_grad(functions[side], argnums=argnums)
            whole = jax.jit(step)(*inputs) if execute else None
            for layout in layouts:
                shardings = tuple(NamedSharding(mesh, spec) for spec in specs[layout])
                compiled = jax.jit(
                    step, in_shardings=shardings,
                    out_shardings=(replicated, tuple(shardings[i] for i in argnums)),
                ).lower(*inputs).compile()
                memory = compiled.memory_analysis()
                error = None
                if execute:
                    placed = [jax.device_put(x, s) for x, s in zip(inputs, shardings,
                                                                    strict=True)]
                    error = _relative_error(compiled(*placed), whole)
                records.append({
                    "loss": loss, "side": side, "layout": layout,
                    "bytes": memory.temp_size_in_bytes + memory.output_size_in_bytes,
                    "all_gathers": _ALL_GATHER.findall(compiled.as_text()),
                    "error": error,
                })
    return records


def measure(rows: int = ROWS, classes: int = CLASSES, hidden: int = HIDDEN,
            losses: Sequence[str] = LOSSES, layouts: Sequence[str] = LAYOUTS,
            sides: Sequence[str] = SIDES, dtype: str = "float32",
            execute: bool = True) -> list[dict[str, Any]]:
    """Every case's record (see the module docstring), measured in a subprocess of 8 devices;
    without ``execute`` the programs are compiled from the shapes only (``error`` is None)."""
    command = [sys.executable, str(Path(__file__).resolve()), "--probe", "--rows", str(rows),
               "--classes", str(classes), "--hidden", str(hidden), "--losses", *losses,
               "--layouts", *layouts, "--sides", *sides, "--dtype", dtype,
               *(() if execute else ("--compile-only",))]
    env = {**os.environ, "JAX_PLATFORMS": "cpu", "JAX_ENABLE_X64": str(dtype == "float64"),
           "XLA_FLAGS": f"{os.environ.get('XLA_FLAGS', '')} "
                        f"--xla_force_host_platform_device_count={DEVICES}".strip()}
    result = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
    if result.returncode != 0:
        raise RuntimeError(f"the sharding probe failed:\n{result.stderr}")
    records: list[dict[str, Any]] = json.loads(result.stdout.strip().splitlines()[-1])
    return records


def table(records: Sequence[dict[str, Any]]) -> str:
    """A Markdown table: per loss and layout, ours and optax's MiB per device, their ratio, the
    all-gathers of each, and each one's error against its unsharded result."""
    by_case = {(r["loss"], r["layout"], r["side"]): r for r in records}
    lines = ["| loss | layout | ours MiB | optax MiB | ratio | ours all-gathers | "
             "optax all-gathers | error vs unsharded (ours, optax) |", "|---" * 8 + "|"]
    for loss, layout in dict.fromkeys((r["loss"], r["layout"]) for r in records):
        ours, peer = by_case[loss, layout, "ours"], by_case[loss, layout, "optax"]
        errors = ", ".join("-" if r["error"] is None else f"{r['error']:.1e}"
                           for r in (ours, peer))
        lines.append(
            f"| {loss} | {layout} | {ours['bytes'] / 2**20:.1f} | {peer['bytes'] / 2**20:.1f} | "
            f"{ours['bytes'] / peer['bytes']:.2f} | {' '.join(ours['all_gathers']) or '-'} | "
            f"{' '.join(peer['all_gathers']) or '-'} | {errors} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=ROWS)
    parser.add_argument("--classes", type=int, default=CLASSES)
    parser.add_argument("--hidden", type=int, default=HIDDEN)
    parser.add_argument("--losses", nargs="+", default=list(LOSSES), choices=LOSSES)
    parser.add_argument("--layouts", nargs="+", default=list(LAYOUTS), choices=LAYOUTS)
    parser.add_argument("--sides", nargs="+", default=list(SIDES), help=argparse.SUPPRESS)
    parser.add_argument("--dtype", default="float32", choices=("float32", "float64"))
    parser.add_argument("--compile-only", action="store_true",
                        help="compile from the shapes; no run, no comparison")
    parser.add_argument("--probe", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.probe:
        print(json.dumps(_probe(args.rows, args.classes, args.hidden, args.losses,
                                args.layouts, args.sides, args.dtype, not args.compile_only)))
        return
    print(table(measure(args.rows, args.classes, args.hidden, args.losses, args.layouts,
                        SIDES, args.dtype, not args.compile_only)))


if __name__ == "__main__":
    main()
