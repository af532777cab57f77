"""Peak extra memory of ``cross_entropy`` and ``linear_cross_entropy`` at LLM-vocabulary scale.

Shapes (defaults): logits ``(8192, 50257)`` float32 with class-index targets for
``cross_entropy``; hidden states ``(8192, 1024)`` and a ``(50257, 1024)`` projection for
``linear_cross_entropy`` (whose full logits would be the same ``(8192, 50257)``). Every figure
is compared with the size of those full float32 logits, ``L`` (1.65 GB by default).

Methods, each measurement in a fresh subprocess after a warm-up call on tiny inputs:

* NumPy: ``tracemalloc`` (NumPy reports its data buffers to it). The peak of traced memory
  during the call, minus what was traced before it: every temporary and the result, not the
  inputs.
* torch (CPU): growth of the peak resident set. ``VmHWM`` is reset through
  ``/proc/self/clear_refs`` once the inputs exist, and the peak minus the resident set before
  the call is reported. glibc's mmap threshold is pinned at 128 KiB (``MALLOC_MMAP_THRESHOLD_``)
  so that every large block is a fresh mapping returned to the system when freed, and the
  resident set follows the live tensors. Forward figures keep the result alive (with what
  autograd saved for the backward pass); forward+backward figures include the gradients
  (``logits.grad`` is itself ``L`` for ``cross_entropy``).
* NumPy is also measured by the resident-set method, as a cross-check of the two methods.

Usage: ``python benchmarks/memory_classification.py [--rows 8192] [--chunk-size 1024]``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

CLASSES = 50257
HIDDEN = 1024
ROWS = 8192
CHUNK_SIZE = 1024


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def _resident_peak(call: Callable[[], Any]) -> int:
    """Growth of the peak resident set during ``call()``, in bytes."""
    Path("/proc/self/clear_refs").write_text("5")
    before = _status_kb("VmRSS")
    result = call()
    peak = _status_kb("VmHWM") - before
    del result
    return peak * 1024


def _traced_peak(call: Callable[[], Any]) -> int:
    """Peak of ``tracemalloc``-traced memory during ``call()`` above what was traced before."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    before = tracemalloc.get_traced_memory()[0]
    result = call()
    peak = tracemalloc.get_traced_memory()[1] - before
    tracemalloc.stop()
    del result
    return peak


def _numpy_inputs(rows: int, linear: bool) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(0)
    target = rng.integers(0, CLASSES, size=rows)
    if linear:
        hidden = rng.standard_normal((rows, HIDDEN), dtype=np.float32)
        projection = rng.standard_normal((CLASSES, HIDDEN), dtype=np.float32) / 32
        return hidden, projection, target
    return rng.standard_normal((rows, CLASSES), dtype=np.float32), target


def _torch_inputs(rows: int, linear: bool) -> tuple[Any, ...]:
    import torch

    arrays = [torch.from_numpy(a) for a in _numpy_inputs(rows, linear)]
    for tensor in arrays[:-1]:
        tensor.requires_grad_(True)
    return tuple(arrays)


def _numpy_call(name: str, rows: int, chunk_size: int) -> Callable[[], Any]:
    import omniloss as ol

    if name == "cross_entropy":
        logits, target = _numpy_inputs(rows, False)
        return lambda: ol.cross_entropy(logits, target)
    hidden, projection, target = _numpy_inputs(rows, True)
    return lambda: ol.linear_cross_entropy(hidden, projection, target, chunk_size=chunk_size)


def _torch_call(name: str, side: str, backward: bool, rows: int,
                chunk_size: int) -> Callable[[], Any]:
    import torch
    import torch.nn.functional as F

    import omniloss as ol

    inputs = _torch_inputs(rows, name == "linear_cross_entropy")
    if name == "cross_entropy":
        fn = ol.cross_entropy if side == "ours" else F.cross_entropy
    elif side == "ours":
        def fn(x: Any, w: Any, y: Any) -> Any:
            return ol.linear_cross_entropy(x, w, y, chunk_size=chunk_size)
    elif side == "torch_chunked":
        options = torch.nn.LinearCrossEntropyOptions(batch_chunk_size=chunk_size)

        def fn(x: Any, w: Any, y: Any) -> Any:
            return F.linear_cross_entropy(x, w, y, options=options)
    else:
        fn = F.linear_cross_entropy

    def call() -> Any:
        loss = fn(*inputs)
        if backward:
            loss.backward()
            return [t.grad for t in inputs[:-1]]
        return loss

    return call


# name, library, function, side, backward, bound as a multiple of L (None: reported only)
CASES: dict[str, tuple[str, str, str, bool, float | None]] = {
    "numpy cross_entropy (tracemalloc)": ("numpy", "cross_entropy", "ours", False, 2.0),
    "numpy cross_entropy (resident set)": ("numpy-rss", "cross_entropy", "ours", False, 2.0),
    "torch cross_entropy forward": ("torch", "cross_entropy", "ours", False, 2.0),
    "torch F.cross_entropy forward": ("torch", "cross_entropy", "torch", False, None),
    "torch cross_entropy forward+backward": ("torch", "cross_entropy", "ours", True, None),
    "torch F.cross_entropy forward+backward": ("torch", "cross_entropy", "torch", True, None),
    "numpy linear_cross_entropy (tracemalloc)": ("numpy", "linear_cross_entropy", "ours", False,
                                                 0.25),
    "torch linear_cross_entropy forward": ("torch", "linear_cross_entropy", "ours", False, 0.25),
    "torch F.linear_cross_entropy forward (reference path)": (
        "torch", "linear_cross_entropy", "torch", False, None),
    "torch F.linear_cross_entropy forward (chunked path)": (
        "torch", "linear_cross_entropy", "torch_chunked", False, None),
    "torch linear_cross_entropy forward+backward": (
        "torch", "linear_cross_entropy", "ours", True, None),
    "torch F.linear_cross_entropy forward+backward (reference path)": (
        "torch", "linear_cross_entropy", "torch", True, None),
    "torch F.linear_cross_entropy forward+backward (chunked path)": (
        "torch", "linear_cross_entropy", "torch_chunked", True, None),
}


def _probe(case: str, rows: int, chunk_size: int) -> int:
    """Run one case (after a warm-up on tiny inputs) and return its peak extra bytes."""
    library, name, side, backward, _ = CASES[case]
    if library.startswith("numpy"):
        _numpy_call(name, 8, 4)()
        call = _numpy_call(name, rows, chunk_size)
        return _traced_peak(call) if library == "numpy" else _resident_peak(call)
    _torch_call(name, side, backward, 8, 4)()
    return _resident_peak(_torch_call(name, side, backward, rows, chunk_size))


def measure(case: str, rows: int = ROWS, chunk_size: int = CHUNK_SIZE) -> int:
    """Peak extra bytes of ``case``, measured in a fresh subprocess."""
    command = [sys.executable, str(Path(__file__).resolve()), "--probe", case, "--rows",
               str(rows), "--chunk-size", str(chunk_size)]
    env = {**os.environ, "MALLOC_MMAP_THRESHOLD_": "131072"}
    result = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
    if result.returncode != 0:
        raise RuntimeError(f"{case} failed:\n{result.stderr}")
    return int(json.loads(result.stdout.strip().splitlines()[-1]))


def logits_bytes(rows: int = ROWS) -> int:
    """Size of the full float32 ``(rows, 50257)`` logits."""
    return rows * CLASSES * 4


def measure_all(rows: int = ROWS, chunk_size: int = CHUNK_SIZE,
                bounded_only: bool = True) -> dict[str, tuple[int, float | None]]:
    """``{case: (peak bytes, bound bytes or None)}`` for every case (with a bound, by default)."""
    size = logits_bytes(rows)
    return {case: (measure(case, rows, chunk_size), None if factor is None else factor * size)
            for case, (*_, factor) in CASES.items() if factor is not None or not bounded_only}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=ROWS)
    parser.add_argument("--chunk-size", type=int, default=CHUNK_SIZE)
    parser.add_argument("--probe", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.probe:
        print(json.dumps(_probe(args.probe, args.rows, args.chunk_size)))
        return
    size = logits_bytes(args.rows)
    print(f"logits ({args.rows}, {CLASSES}) float32: L = {size / 2**20:.0f} MiB; "
          f"linear_cross_entropy hidden {HIDDEN}, chunk_size {args.chunk_size}")
    print("| case | peak extra (MiB) | / L | bound |\n|---|---|---|---|")
    for case, (peak, bound) in measure_all(args.rows, args.chunk_size, False).items():
        verdict = "" if bound is None else (f"< {bound / size:g} L " +
                                            ("ok" if peak < bound else "EXCEEDED"))
        print(f"| {case} | {peak / 2**20:.0f} | {peak / size:.3f} | {verdict} |", flush=True)


if __name__ == "__main__":
    main()
