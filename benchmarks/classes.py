"""What the framework classes cost over the function they call: ``omniloss.torch`` modules and
``omniloss.keras`` losses (one subprocess per keras backend), on 32x10 float32 logits; writes
docs/benchmarks-classes.md.

Each row times the class call and the function call interleaved, each sample the mean
of ``--calls`` calls (ABBA order), and reports the fastest samples and their difference per
call. Eager on every
side: under ``jax.jit``/``tf.function`` the class's Python runs once, at trace time.

Usage: ``python benchmarks/classes.py [--samples N] [--calls N] [--output path.md]``
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def _interleaved(a: Callable[[], Any], b: Callable[[], Any], samples: int, calls: int
                 ) -> tuple[float, float]:
    """The fastest sample's seconds per call of ``a`` and of ``b``, sampled alternately (A B,
    then B A). The minimum, not the median: an overhead of a microsecond is far below this
    machine's noise between samples, which only ever adds time."""
    for _ in range(calls):
        a()
        b()
    times: tuple[list[float], list[float]] = ([], [])
    for sample in range(samples):
        for side in (0, 1) if sample % 2 == 0 else (1, 0):
            fn = (a, b)[side]
            start = time.perf_counter()
            for _ in range(calls):
                fn()
            times[side].append((time.perf_counter() - start) / calls)
    return min(times[0]), min(times[1])


def _inputs() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return (rng.normal(size=(32, 10)).astype(np.float32), rng.integers(0, 10, 32),
            rng.uniform(size=32).astype(np.float32))


def _no_op(*arrays: Any, **options: Any) -> Any:
    """The function the wrapper-alone rows put behind the class: returns its first array."""
    return arrays[0]


def _with_no_op(cls: type) -> type:
    """``cls`` calling :func:`_no_op` in place of its loss function."""
    return type(cls.__name__, (cls,), {"spec": cls.spec._replace(function=_no_op)})


def _torch_rows(samples: int, calls: int) -> list[dict[str, Any]]:
    import torch

    import omniloss as ol
    from omniloss.torch import CrossEntropyLoss

    torch.set_num_threads(1)
    logits, labels, weight = (torch.from_numpy(a) for a in _inputs())
    module = CrossEntropyLoss()
    rows = []
    for weighted in (False, True):
        extra = {"sample_weight": weight} if weighted else {}
        cls, fn = _interleaved(lambda extra=extra: module(logits, labels, **extra),
                               lambda extra=extra: ol.cross_entropy(logits, labels, **extra),
                               samples, calls)
        rows.append({"framework": "torch", "class": "omniloss.torch.CrossEntropyLoss",
                     "weighted": weighted, "class_s": cls, "function_s": fn})
    # our forward alone, without nn.Module.__call__ (hooks, compile): what the class adds itself
    cls, fn = _interleaved(lambda: module.forward(logits, labels),
                           lambda: ol.cross_entropy(logits, labels), samples, calls)
    rows.append({"framework": "torch (forward only)", "class": "CrossEntropyLoss.forward",
                 "weighted": False, "class_s": cls, "function_s": fn})
    # the wrapper alone: the same module with the function replaced by one that returns at
    # once, against that function called directly (sub-microsecond, under the noise above)
    probe = _with_no_op(CrossEntropyLoss)()
    cls, fn = _interleaved(lambda: probe.forward(logits, labels),
                           lambda: _no_op(logits, labels), samples, calls)
    rows.append({"framework": "torch (wrapper alone)", "class": "CrossEntropyLoss.forward",
                 "weighted": False, "class_s": cls, "function_s": fn})
    # for scale: torch's own module over its function (nn.Module.__call__ is in both)
    native = torch.nn.CrossEntropyLoss()
    cls, fn = _interleaved(lambda: native(logits, labels),
                           lambda: torch.nn.functional.cross_entropy(logits, labels),
                           samples, calls)
    rows.append({"framework": "torch (reference)", "class": "torch.nn.CrossEntropyLoss",
                 "weighted": False, "class_s": cls, "function_s": fn})
    return rows


def _keras_rows(samples: int, calls: int) -> list[dict[str, Any]]:
    import keras

    import omniloss as ol
    from omniloss._reduction import keras_weights
    from omniloss.keras import SparseCategoricalCrossentropy

    logits, labels, weight = (keras.ops.convert_to_tensor(a) for a in _inputs())
    loss = SparseCategoricalCrossentropy(from_logits=True)
    rows = []
    for weighted in (False, True):
        def function(weighted: bool = weighted) -> Any:  # the call the class makes
            if not weighted:
                return ol.cross_entropy(logits, labels, axis=-1)
            with keras_weights(count=True):
                return ol.cross_entropy(logits, labels, axis=-1, sample_weight=weight)

        extra = {"sample_weight": weight} if weighted else {}
        cls, fn = _interleaved(lambda extra=extra: loss(labels, logits, **extra), function,
                               samples, calls)
        rows.append({"framework": f"keras ({keras.backend.backend()})",
                     "class": "omniloss.keras.SparseCategoricalCrossentropy",
                     "weighted": weighted, "class_s": cls, "function_s": fn})
    probe = _with_no_op(SparseCategoricalCrossentropy)(from_logits=True)
    cls, fn = _interleaved(lambda: probe(labels, logits),
                           lambda: _no_op(logits, labels, axis=-1), samples, calls)
    rows.append({"framework": f"keras ({keras.backend.backend()}, wrapper alone)",
                 "class": "SparseCategoricalCrossentropy", "weighted": False, "class_s": cls,
                 "function_s": fn})
    # for scale: keras's own class over its function, whose per-sample values the class
    # reduces (so the function side takes their mean, as the class does)
    native = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    cls, fn = _interleaved(lambda: native(labels, logits),
                           lambda: keras.ops.mean(keras.losses.sparse_categorical_crossentropy(
                               labels, logits, from_logits=True)), samples, calls)
    rows.append({"framework": f"keras ({keras.backend.backend()}, reference)",
                 "class": "keras.losses.SparseCategoricalCrossentropy", "weighted": False,
                 "class_s": cls, "function_s": fn})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=41)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--output", default=str(ROOT / "docs" / "benchmarks-classes.md"))
    parser.add_argument("--probe", help=argparse.SUPPRESS)  # one framework, JSON to stdout
    args = parser.parse_args()
    if args.probe:
        rows = (_torch_rows if args.probe == "torch" else _keras_rows)(args.samples, args.calls)
        print(json.dumps(rows))
        return
    rows = []
    for probe, keras_backend in (("torch", ""), ("keras", "torch"), ("keras", "jax"),
                                 ("keras", "tensorflow")):
        env = {**os.environ, "KERAS_BACKEND": keras_backend or "tensorflow",
               "TF_CPP_MIN_LOG_LEVEL": "3", "OMP_NUM_THREADS": "1",
               "XLA_FLAGS": "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"}
        run = subprocess.run([sys.executable, __file__, "--probe", probe, "--samples",
                              str(args.samples), "--calls", str(args.calls)], env=env,
                             capture_output=True, text=True, check=True)
        rows += json.loads(run.stdout.strip().splitlines()[-1])
    lines = [
        "# Framework classes: cost over the function",
        "",
        "Generated by `python benchmarks/classes.py` (the `bench` session). 32x10 float32 "
        "logits, int64 labels, eager; the fastest of "
        f"{args.samples} samples of {args.calls} calls each, class and function interleaved. "
        "The function is called as the class calls it (keras's weighted rows inside "
        "`_reduction.keras_weights`, keras's weight conventions). `nn.Module.__call__` (hooks, "
        "compile) is in every torch module's call: the reference rows give torch's and keras's "
        "own classes over their functions (keras's function side is the mean of its per-sample "
        "values, the reduction keras's class makes), the forward-only row what our class adds "
        "by itself. The "
        "wrapper-alone rows put a function that returns at once behind the class: what the "
        "class costs by itself, free of the loss's own noise.",
        "",
        "| framework | class | sample_weight | class µs | function µs | class - function µs |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        cls, fn = row["class_s"] * 1e6, row["function_s"] * 1e6
        lines.append(f"| {row['framework']} | `{row['class']}` | "
                     f"{'yes' if row['weighted'] else 'no'} | {cls:.1f} | {fn:.1f} | "
                     f"{cls - fn:+.1f} |")
    Path(args.output).write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
