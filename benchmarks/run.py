"""Time omniloss against each framework's native loss, side by side; write docs/benchmarks.md.

For every backend and every loss of a representative set, ours and the native equivalent are
timed interleaved (A B A B ...), ``--repeats`` times after a warm-up, at a small size (dispatch
bound) and a large one (CTC also at a speech batch, T=1000, N=32, C=100, S=200), forward and
forward+backward where the backend has autodiff. JAX is
timed under ``jax.jit`` on both sides; TensorFlow eagerly and under ``tf.function``. The table
gives the median time of ours over the median of native. Peak extra memory of one large forward
(+backward) call is measured in a fresh subprocess per side: the peak resident set is reset
(``/proc/self/clear_refs``) after the inputs exist and a small warm-up call ran, and its growth
during the call is reported (glibc's mmap threshold is pinned at 128 KiB so that large blocks
are returned to the system when freed and fresh ones show up in the resident set).

``--threads N`` re-runs the script with every library's intra-op thread pool at ``N`` threads
(OpenMP/BLAS, torch, XLA, TensorFlow) and JAX's CPU dispatch synchronous. On a machine shared
with other jobs this keeps the medians stable: a pool of as many threads as cores stalls whenever
another process holds a core (``F.mse_loss`` on 4096x1000 float32: median 25 ms with 2 threads on
a busy 2-core machine, 4 ms with 1 thread, 1.4 ms either way when idle), and JAX's asynchronous
dispatch hands each call to another thread, which costs 10 to 40 us at random on a busy machine
(a jitted 32x10 loss then reads 7 us or 45 us from one call to the next, on both sides).

Usage: ``python benchmarks/run.py [--repeats N] [--backends torch,jax] [--only mse_loss]
[--sizes large] [--threads N] [--output path.md]``
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from natives import NATIVES, make_inputs  # noqa: E402


@dataclass
class Row:
    loss: str
    size: str
    backend: str
    mode: str
    ours_s: float
    native_s: float

    @property
    def ratio(self) -> float:
        return self.ours_s / self.native_s


def _interleaved(ours: Callable[[], Any], native: Callable[[], Any], repeats: int
                 ) -> tuple[float, float]:
    for _ in range(3):
        ours()
        native()
    ours_times, native_times = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        ours()
        middle = time.perf_counter()
        native()
        end = time.perf_counter()
        ours_times.append(middle - start)
        native_times.append(end - middle)
    return statistics.median(ours_times), statistics.median(native_times)


_THREADS_VARIABLE = "OMNILOSS_BENCH_THREADS"


def _pin_threads(threads: int) -> None:
    """Re-execute this script with every thread pool at ``threads`` (pools size at import)."""
    if os.environ.get(_THREADS_VARIABLE) == str(threads):
        return
    env = {**os.environ, _THREADS_VARIABLE: str(threads)}
    for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[variable] = str(threads)
    xla = "intra_op_parallelism_threads=" + str(threads)
    if threads == 1:
        xla = "--xla_cpu_multi_thread_eigen=false " + xla
    env["XLA_FLAGS"] = (env.get("XLA_FLAGS", "") + " " + xla).strip()
    os.execve(sys.executable, [sys.executable, *sys.argv], env)


def _jax() -> Any:
    """JAX, its CPU dispatch made synchronous by ``--threads`` before its backend starts."""
    import jax

    if os.environ.get(_THREADS_VARIABLE):
        jax.config.update("jax_cpu_enable_async_dispatch", False)
    return jax


def _tensorflow() -> Any:
    """TensorFlow, its thread pools sized by ``--threads`` before its runtime starts."""
    import tensorflow as tf

    threads = int(os.environ.get(_THREADS_VARIABLE, "0"))
    if threads and tf.config.threading.get_intra_op_parallelism_threads() != threads:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
    return tf


def _timed_calls(backend: str, mode: str, fn: Callable[..., Any], args: list[Any],
                 grad_args: tuple[int, ...]) -> Callable[[], Any]:
    """A no-argument callable running ``fn`` (and its backward pass) to completion."""
    if backend == "torch":
        import torch

        tensors = [torch.from_numpy(a) if isinstance(a, np.ndarray) else a for a in args]
        if mode == "forward":
            return lambda: fn(*tensors)
        leaves = [t.requires_grad_(True) if i in grad_args else t for i, t in enumerate(tensors)]

        def forward_backward() -> Any:
            loss = fn(*leaves)
            loss.backward()
            return loss

        return forward_backward
    if backend == "jax":
        jax = _jax()
        import jax.numpy as jnp

        arrays = [jnp.asarray(a) if isinstance(a, np.ndarray) else a for a in args]
        statics = tuple(i for i, a in enumerate(arrays) if not hasattr(a, "shape"))
        if mode == "forward":
            compiled = jax.jit(fn, static_argnums=statics)
        else:
            compiled = jax.jit(jax.value_and_grad(fn, argnums=grad_args),
                               static_argnums=statics)
        return lambda: jax.block_until_ready(compiled(*arrays))
    if backend in ("tensorflow", "tf.function"):
        tf = _tensorflow()
        tensors = [tf.constant(a) if isinstance(a, np.ndarray) else a for a in args]
        if mode == "forward":
            call = fn
        else:
            def call(*inputs: Any) -> Any:
                with tf.GradientTape() as tape:
                    for i in grad_args:
                        tape.watch(inputs[i])
                    loss = fn(*inputs)
                return loss, tape.gradient(loss, [inputs[i] for i in grad_args])
        if backend == "tf.function":
            call = tf.function(call)
        return lambda: tf.nest.map_structure(lambda t: t.numpy(), call(*tensors))
    if backend == "array_api_strict":
        import array_api_strict

        arrays = [array_api_strict.asarray(a) if isinstance(a, np.ndarray) else a for a in args]
        return lambda: fn(*arrays)
    return lambda: fn(*args)


def _measure_memory(loss: str, size: str, backend: str, side: str, mode: str) -> float | None:
    """Peak extra resident memory (MB) of one call, in a fresh subprocess."""
    command = [sys.executable, str(Path(__file__)), "--memory-probe",
               json.dumps([loss, size, backend, side, mode])]
    env = {**os.environ, "MALLOC_MMAP_THRESHOLD_": "131072"}
    result = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
    if result.returncode != 0:
        return None
    return float(result.stdout.strip().splitlines()[-1])


def _memory_probe(spec: str) -> None:
    loss, size, backend, side, mode = json.loads(spec)
    native = NATIVES[loss]
    fn = native.ours if side == "ours" else native.native[backend]
    warm = _timed_calls(backend, mode, fn, make_inputs(loss, "small"), native.grad_args)
    warm()
    call = _timed_calls(backend, mode, fn, make_inputs(loss, size), native.grad_args)
    Path("/proc/self/clear_refs").write_text("5")
    before = _status_kb("VmRSS")
    call()
    print((_status_kb("VmHWM") - before) / 1024)


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def _versions() -> str:
    parts = [f"Python {platform.python_version()}", f"numpy {np.__version__}"]
    for name in ("torch", "jax", "tensorflow", "optax", "keras", "array_api_strict"):
        try:
            module = __import__(name)
            parts.append(f"{name} {module.__version__}")
        except ImportError:
            continue
    return ", ".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=21)
    parser.add_argument("--backends", default="numpy,torch,jax,tensorflow,tf.function")
    parser.add_argument("--only", default="")
    parser.add_argument("--sizes", default="", help="only these sizes (small,large,speech)")
    parser.add_argument("--no-memory", action="store_true")
    parser.add_argument("--output", default=str(ROOT / "docs" / "benchmarks.md"))
    parser.add_argument("--threads", type=int, default=0,
                        help="intra-op threads of every library (default: their own)")
    parser.add_argument("--memory-probe")
    args = parser.parse_args()
    if args.threads:
        _pin_threads(args.threads)
    if args.memory_probe:
        _memory_probe(args.memory_probe)
        return
    backends = [b for b in args.backends.split(",") if b]
    only = {n for n in args.only.split(",") if n}
    sizes = {n for n in args.sizes.split(",") if n}
    rows: list[Row] = []
    memory: list[tuple[str, str, str, float | None, float | None]] = []
    for loss, native in NATIVES.items():
        if only and loss not in only:
            continue
        for size in (s for s in native.sizes if not sizes or s in sizes):
            inputs = make_inputs(loss, size)
            for backend in backends:
                if backend not in native.native or (size, backend) in native.skip:
                    continue
                modes = ["forward"] if backend == "numpy" else ["forward", "forward+backward"]
                for mode in modes:
                    ours = _timed_calls(backend, mode, native.ours, inputs,
                                        native.grad_args)
                    theirs = _timed_calls(backend, mode, native.native[backend], inputs,
                                          native.grad_args)
                    ours_s, native_s = _interleaved(ours, theirs, args.repeats)
                    row = Row(loss, size, backend, mode, ours_s, native_s)
                    rows.append(row)
                    print(f"{loss:34s} {size:5s} {backend:12s} {mode:17s} "
                          f"{ours_s * 1e3:9.3f} ms {native_s * 1e3:9.3f} ms x{row.ratio:.2f}",
                          flush=True)
        if not args.no_memory:
            for backend in ("numpy", "torch"):
                if backend not in backends or backend not in native.native:
                    continue
                mode = "forward" if backend == "numpy" else "forward+backward"
                size = native.memory_size
                ours_mb = _measure_memory(loss, size, backend, "ours", mode)
                native_mb = _measure_memory(loss, size, backend, "native", mode)
                memory.append((loss, backend, mode, ours_mb, native_mb))
                print(f"memory {loss} {backend} {mode}: ours {ours_mb} MB, native {native_mb} MB",
                      flush=True)
    _write(Path(args.output), rows, memory, args.repeats)


def _format_memory(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}"


def _write(path: Path, rows: list[Row], memory: list[tuple[str, str, str, float | None,
                                                          float | None]], repeats: int) -> None:
    lines = [
        "# Benchmarks: omniloss against each framework's native loss",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, {platform.system()}; "
        f"{_versions()}. Intra-op threads: "
        f"{os.environ.get(_THREADS_VARIABLE) or 'each library default'}.",
        "",
        f"Median of {repeats} interleaved runs (ours, native, ours, native, ...) after 3 warm-up "
        "calls each. Ratio = ours / native (below 1 means ours is faster). JAX rows are "
        "`jax.jit` on both sides; `tf.function` rows trace both sides; `numpy` compares with "
        "a hand-written NumPy formula. Generated by `nox -s bench` (`benchmarks/run.py`); "
        "the native function of each row is in `benchmarks/natives.py`.",
        "",
        "| loss | size | backend | mode | ours (ms) | native (ms) | ratio |",
        "|---|---|---|---|---:|---:|---:|",
    ]
    for row in rows:
        lines.append(f"| {row.loss} | {row.size} | {row.backend} | {row.mode} | "
                     f"{row.ours_s * 1e3:.3f} | {row.native_s * 1e3:.3f} | {row.ratio:.2f} |")
    if memory:
        lines += [
            "",
            "## Peak memory, large size",
            "",
            "Growth of the peak resident set (`VmHWM`, reset through `/proc/self/clear_refs`) "
            "during one call, in a fresh process per side, after a small warm-up call; the "
            "inputs are allocated before.",
            "",
            "| loss | backend | mode | ours (MB) | native (MB) | ratio |",
            "|---|---|---|---:|---:|---:|",
        ]
        for loss, backend, mode, ours_mb, native_mb in memory:
            ratio = "n/a" if not ours_mb or not native_mb else f"{ours_mb / native_mb:.2f}"
            lines.append(f"| {loss} | {backend} | {mode} | {_format_memory(ours_mb)} | "
                         f"{_format_memory(native_mb)} | {ratio} |")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
