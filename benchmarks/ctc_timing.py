"""Time ``omniloss.ctc_loss`` at T=200, N=16, C=32, S=40 on every backend, next to the natives.

For each backend and mode the script reports the compile time (the first call of a freshly
traced ``jax.jit`` / ``tf.function``: trace plus compile plus one run), and the steady-state time
of the forward pass and of forward+backward (gradient w.r.t. the log-probabilities), each the
median of ``--repeats`` runs after a warm-up call. Eager modes have no compile column; omniloss's
eager JAX path still compiles its time loop (a jitted ``lax.scan``) once per shape, which is the
"first call" column there. The compile column is the median over 3 fresh traces in one
process, so caches of the framework (JAX's trace cache of the inner jitted loop) are warm after
the first. The natives are ``torch.nn.functional.ctc_loss`` (the defining peer),
``optax.ctc_loss`` under ``jax.jit`` and ``tf.nn.ctc_loss`` (both take logits, so they get
``log_softmax`` outputs, which they normalise again; a no-op on the values).

Torch and TensorFlow run with ``--threads`` intra-op threads (default 1): on a small, shared
machine their thread pools otherwise dominate the many tiny per-frame ops (measured 4x slower
with 2 threads on 2 busy cores), which says more about the machine than about the loss.

Usage: ``python benchmarks/ctc_timing.py [--repeats 7] [--dtype float32] [--threads 1]``; prints a
markdown table.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import omniloss as ol

STEPS, BATCH, CLASSES, LABELS = 200, 16, 32, 40


def make_inputs(dtype: str, seed: int = 0) -> dict[str, np.ndarray]:
    """Log-probabilities (T, N, C), padded targets (N, S) and lengths, as NumPy arrays."""
    rng = np.random.default_rng(seed)
    logits = rng.normal(size=(STEPS, BATCH, CLASSES))
    shifted = logits - logits.max(axis=-1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    return {
        "log_probs": log_probs.astype(dtype),
        "targets": rng.integers(1, CLASSES, size=(BATCH, LABELS)),
        "input_lengths": rng.integers(STEPS - 50, STEPS + 1, size=BATCH),
        "target_lengths": rng.integers(LABELS // 2, LABELS + 1, size=BATCH),
    }


def _median_time(fn: Callable[[], Any], sync: Callable[[Any], Any], repeats: int) -> float:
    sync(fn())
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        sync(fn())
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _first_call(make: Callable[[], Callable[[], Any]], sync: Callable[[Any], Any],
                repeats: int) -> float:
    """Median over fresh traces of the first call's duration (trace + compile + run)."""
    times = []
    for _ in range(repeats):
        fn = make()
        start = time.perf_counter()
        sync(fn())
        times.append(time.perf_counter() - start)
    return statistics.median(times)


Row = tuple[str, str, float | None, float, float | None]


def _numpy_rows(data: dict[str, np.ndarray], repeats: int, threads: int) -> list[Row]:
    import array_api_strict as xps

    def ours() -> Any:
        return ol.ctc_loss(*data.values())

    strict = [xps.asarray(a) for a in data.values()]
    return [("numpy", "omniloss", None, _median_time(ours, np.asarray, repeats), None),
            ("array_api_strict", "omniloss", None,
             _median_time(lambda: ol.ctc_loss(*strict), np.asarray, repeats), None)]


def _torch_rows(data: dict[str, np.ndarray], repeats: int, threads: int) -> list[Row]:
    import torch

    torch.set_num_threads(threads)
    log_probs, targets, input_lengths, target_lengths = (torch.from_numpy(a)
                                                        for a in data.values())
    sync = lambda x: x  # noqa: E731 (CPU: results are ready on return)
    rows: list[Row] = []
    for name, loss in (("omniloss", ol.ctc_loss),
                       ("F.ctc_loss (native)", torch.nn.functional.ctc_loss)):
        def forward(loss: Callable[..., Any] = loss) -> Any:
            return loss(log_probs, targets, input_lengths, target_lengths)

        def backward(loss: Callable[..., Any] = loss) -> Any:
            x = log_probs.detach().requires_grad_(True)
            loss(x, targets, input_lengths, target_lengths).backward()
            return x.grad

        rows.append(("torch", name, None, _median_time(forward, sync, repeats),
                     _median_time(backward, sync, repeats)))
    return rows


def _jax_rows(data: dict[str, np.ndarray], repeats: int, threads: int) -> list[Row]:
    import jax
    import jax.numpy as jnp
    import optax

    jax.config.update("jax_enable_x64", True)
    log_probs, targets, input_lengths, target_lengths = (jnp.asarray(a) for a in data.values())

    def loss(x: Any) -> Any:
        return ol.ctc_loss(x, targets, input_lengths, target_lengths)

    def sync(x: Any) -> Any:
        return jax.block_until_ready(x)

    rows: list[Row] = []
    eager_grad = jax.grad(loss)
    first = _first_call(lambda: lambda: loss(log_probs), sync, 1)
    rows.append(("jax eager", "omniloss", first, _median_time(lambda: loss(log_probs), sync,
                                                               repeats),
                 _median_time(lambda: eager_grad(log_probs), sync, repeats)))

    def jit_row(name: str, fn: Callable[[Any], Any]) -> Row:
        def fresh() -> Callable[[], Any]:
            traced = jax.jit(lambda x: fn(x))  # a new function object: traced anew
            return lambda: traced(log_probs)

        compile_time = _first_call(fresh, sync, 3)
        forward = jax.jit(fn)
        backward = jax.jit(jax.grad(fn))
        return ("jax.jit", name, compile_time, _median_time(lambda: forward(log_probs), sync,
                                                             repeats),
                _median_time(lambda: backward(log_probs), sync, repeats))

    paddings = (jnp.arange(STEPS)[None, :] >= input_lengths[:, None]).astype(log_probs.dtype)
    label_paddings = (jnp.arange(LABELS)[None, :] >= target_lengths[:, None]).astype(
        log_probs.dtype)

    def optax_loss(x: Any) -> Any:
        per_sample = optax.ctc_loss(jnp.transpose(x, (1, 0, 2)), paddings, targets,
                                    label_paddings)
        return jnp.mean(per_sample / jnp.maximum(target_lengths, 1))

    rows.append(jit_row("omniloss", loss))
    rows.append(jit_row("optax.ctc_loss (native)", optax_loss))
    return rows


def _tensorflow_rows(data: dict[str, np.ndarray], repeats: int, threads: int) -> list[Row]:
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(threads)
    log_probs, targets, input_lengths, target_lengths = (tf.constant(a) for a in data.values())

    def ours(x: Any) -> Any:
        return ol.ctc_loss(x, targets, input_lengths, target_lengths)

    def native(x: Any) -> Any:
        per_sample = tf.nn.ctc_loss(targets, x, target_lengths, input_lengths,
                                    logits_time_major=True, blank_index=0)
        return tf.reduce_mean(per_sample / tf.cast(tf.maximum(target_lengths, 1), x.dtype))

    def with_grad(fn: Callable[[Any], Any]) -> Callable[[Any], Any]:
        def grad(x: Any) -> Any:
            with tf.GradientTape() as tape:
                tape.watch(x)
                value = fn(x)
            return tape.gradient(value, x)
        return grad

    def sync(x: Any) -> Any:
        return x.numpy()

    rows: list[Row] = []
    for name, fn in (("omniloss", ours), ("tf.nn.ctc_loss (native)", native)):
        if log_probs.dtype == tf.float64 and fn is native:
            continue  # tf.nn.ctc_loss's dense kernel is float32 only
        rows.append(("tensorflow eager", name, None,
                     _median_time(lambda fn=fn: fn(log_probs), sync, repeats),
                     _median_time(lambda fn=fn: with_grad(fn)(log_probs), sync, repeats)))
        def fresh(fn: Callable[[Any], Any] = fn) -> Callable[[], Any]:
            traced = tf.function(fn)
            return lambda: traced(log_probs)

        compile_time = _first_call(fresh, sync, 3)
        forward, backward = tf.function(fn), tf.function(with_grad(fn))
        rows.append(("tf.function", name, compile_time,
                     _median_time(lambda f=forward: f(log_probs), sync, repeats),
                     _median_time(lambda f=backward: f(log_probs), sync, repeats)))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--dtype", default="float32", choices=("float32", "float64"))
    parser.add_argument("--threads", type=int, default=1,
                        help="intra-op threads of torch and TensorFlow")
    args = parser.parse_args()
    data = make_inputs(args.dtype)
    rows: list[Row] = []
    for collect in (_numpy_rows, _torch_rows, _jax_rows, _tensorflow_rows):
        rows.extend(collect(data, args.repeats, args.threads))

    def ms(seconds: float | None) -> str:
        return "" if seconds is None else f"{1e3 * seconds:.1f}"

    print(f"ctc_loss, T={STEPS} N={BATCH} C={CLASSES} S={LABELS}, {args.dtype}, "
          f"reduction='mean'; median of {args.repeats} runs (first call: median of 3 fresh "
          f"traces); {args.threads} torch/TF thread(s); milliseconds\n")
    print("| backend | implementation | first call / compile | forward | forward+backward |")
    print("|---|---|---:|---:|---:|")
    for backend, name, compile_time, forward, backward in rows:
        print(f"| {backend} | {name} | {ms(compile_time)} | {ms(forward)} | {ms(backward)} |")


if __name__ == "__main__":
    main()
