"""Where the time of a small eager call goes: ours against native at 32x10, per benchmarked loss,
on torch, NumPy and eager TensorFlow; writes docs/benchmarks-overhead.md.

For each row of ``natives.py`` at the small size, eager forward, with one intra-op thread:

- ours and native, timed interleaved as ``run.py`` times them (the median of ``--repeats``);
- the framework operations each side runs: torch's top-level ATen operators (the profiler's
  events without a parent) and TensorFlow's eager operations (its executor's two entry points,
  wrapped while the profile runs); NumPy has no dispatcher to count them through;
- the time ours spends inside those operations (the profiler's CPU time on torch, its own cost
  per operator included; the wrapped entry points' on TensorFlow): the rest of ours is Python,
  ours and the framework's;
- the calls of the ``omniloss`` package's Python functions in one call of ours, and its host
  reads (``Tensor.item``/``tolist``, TensorFlow's ``.numpy()``), counted by ``cProfile``;
- the operations ours runs that native does not.

Usage: ``python benchmarks/overhead.py [--repeats N] [--only cross_entropy] [--output path.md]``
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import re
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from natives import NATIVES, make_inputs  # noqa: E402
from run import _interleaved, _pin_threads, _tensorflow, _timed_calls  # noqa: E402

BACKENDS = ("torch", "numpy", "tensorflow")
_PROFILE_SECONDS = 0.3
"""About how long each profile runs: as many calls as fit, 3 to 300."""
_TF_EXECUTE = ("TFE_Py_FastPathExecute", "TFE_Py_Execute")
_HOST_READS = {"torch": ("item", "tolist"), "tensorflow": ("numpy",), "numpy": ()}
"""The calls that copy an array's values to Python (a device sync on an accelerator)."""


def _torch_operators(call: Callable[[], Any], calls: int) -> tuple[list[str], float]:
    """The top-level ATen operators one call of ``call`` runs, in order, and the seconds spent
    in them (the profiler's CPU time, its own cost per operator included)."""
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CPU]) as profiler:
        for _ in range(calls):
            call()
    events = [event for event in profiler.events() if event.cpu_parent is None]
    names = [event.name.removeprefix("aten::") for event in events]
    seconds = sum(event.cpu_time_total for event in events) * 1e-6
    return names[:len(names) // calls], seconds / calls


def _tensorflow_operations(call: Callable[[], Any], calls: int) -> tuple[list[str], float]:
    """The eager operations one call of ``call`` runs, in order, and the seconds spent in them:
    TensorFlow's two executor entry points wrapped for the call (its generated operations and
    ``execute`` look them up on ``pywrap_tfe`` at each call)."""
    import time

    from tensorflow.python import pywrap_tfe

    names: list[str] = []
    seconds = [0.0]
    originals = {entry: getattr(pywrap_tfe, entry) for entry in _TF_EXECUTE}

    def recording(entry: str, name_at: int) -> Callable[..., Any]:
        def execute(*args: Any) -> Any:
            name = args[name_at]
            names.append(name.decode() if isinstance(name, bytes) else name)
            start = time.perf_counter()
            try:
                return originals[entry](*args)
            finally:
                seconds[0] += time.perf_counter() - start
        return execute

    pywrap_tfe.TFE_Py_FastPathExecute = recording("TFE_Py_FastPathExecute", 1)
    pywrap_tfe.TFE_Py_Execute = recording("TFE_Py_Execute", 2)
    try:
        for _ in range(calls):
            call()
    finally:
        for entry, original in originals.items():
            setattr(pywrap_tfe, entry, original)
    return names[:len(names) // calls], seconds[0] / calls


def _c_name(function: str) -> str:
    """The bare name of a C function or method as ``cProfile`` names it (``<method 'item' of
    'torch._C.TensorBase' objects>``, ``<built-in method torch.aminmax>``); ``""`` otherwise."""
    match = re.fullmatch(r"<method '(\w+)' of .*>|<built-in method (?:[\w.]+\.)?(\w+)>", function)
    return "" if match is None else match[1] or match[2]


def _python_profile(backend: str, call: Callable[[], Any], calls: int) -> tuple[int, int]:
    """``(calls of omniloss's Python functions, host reads)`` per call of ``call``."""
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(calls):
        call()
    profiler.disable()
    stats: dict[Any, Any] = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    python = reads = 0
    for (filename, _, function), (_, count, _, _, _) in stats.items():
        if f"{os.sep}omniloss{os.sep}" in filename:
            python += count
        if (_c_name(function) or function) in _HOST_READS[backend]:
            reads += count
    return python // calls, reads // calls


def _row(loss: str, backend: str, repeats: int) -> dict[str, Any] | None:
    spec = NATIVES[loss]
    if backend not in spec.native or "small" not in spec.sizes or ("small", backend) in spec.skip:
        return None
    args = make_inputs(loss, "small")
    ours = _timed_calls(backend, "forward", spec.ours, args, spec.grad_args)
    native = _timed_calls(backend, "forward", spec.native[backend], args, spec.grad_args)
    ours_s, native_s = _interleaved(ours, native, repeats)
    calls = max(3, min(300, round(_PROFILE_SECONDS / max(ours_s, native_s))))
    python, reads = _python_profile(backend, ours, calls)
    row = {"loss": loss, "backend": backend, "ours_us": ours_s * 1e6,
           "native_us": native_s * 1e6, "python_calls": python, "reads": reads}
    if backend != "numpy":
        operations = _torch_operators if backend == "torch" else _tensorflow_operations
        (mine, in_ops), (theirs, _) = operations(ours, calls), operations(native, calls)
        extra = Counter(mine) - Counter(theirs)
        row.update(ops=len(mine), native_ops=len(theirs), in_ops_us=in_ops * 1e6,
                   extra=", ".join(f"{name} x{n}" if n > 1 else name
                                   for name, n in extra.items()))
    return row


def _table(rows: list[dict[str, Any]], repeats: int) -> str:
    lines = [
        "# Small eager calls: where ours spends its time over native",
        "",
        f"Generated by `python benchmarks/overhead.py` (the `bench` session). 32x10 inputs "
        f"(CTC: T=20, N=2, C=8, S=5), eager forward, one intra-op thread; ours and native "
        f"timed interleaved, median of {repeats} calls. Operations: torch's top-level ATen "
        "operators (the profiler's), TensorFlow's eager operations (its executor's calls); "
        "NumPy has no dispatcher to count them through. In operations: the time ours spends "
        "inside them (the profiler's, its own cost included); the rest of ours is Python, ours "
        "and the framework's. Python calls: calls of the `omniloss` package's functions. Host "
        "reads: `Tensor.item`/`tolist`, TensorFlow's `.numpy()`. Extra operations: those ours "
        "runs that native does not (a count over native's).",
        "",
        "| loss | backend | ours µs | native µs | ratio | ours - native µs | operations ours / "
        "native | in operations µs | Python calls | host reads | extra operations |",
        "|---|---|---:|---:|---:|---:|---|---:|---:|---:|---|",
    ]
    for row in rows:
        ops = (f"{row['ops']} / {row['native_ops']} | {row['in_ops_us']:.1f}"
               if "ops" in row else "— | —")
        lines.append(
            f"| {row['loss']} | {row['backend']} | {row['ours_us']:.1f} | "
            f"{row['native_us']:.1f} | {row['ours_us'] / row['native_us']:.2f} | "
            f"{row['ours_us'] - row['native_us']:+.1f} | {ops} | {row['python_calls']} | "
            f"{row['reads']} | {row.get('extra', '')} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=201)
    parser.add_argument("--only", default="")
    parser.add_argument("--output", default=str(ROOT / "docs" / "benchmarks-overhead.md"))
    args = parser.parse_args()
    _pin_threads(1)  # torch's and NumPy's pools through OMP_NUM_THREADS, XLA's through its flags
    _tensorflow()  # its thread pools, before its runtime starts
    losses = [name for name in NATIVES if not args.only or name in args.only.split(",")]
    rows = [row for loss in losses for backend in BACKENDS
            if (row := _row(loss, backend, args.repeats)) is not None]
    text = _table(rows, args.repeats)
    Path(args.output).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
