"""Thread safety: losses called from many threads at once, on every installed backend.

Eight threads start together on cold caches (omniloss's caches emptied, so every backend's
record is built while they run) and run several losses with gradients, every
installed backend in each thread, TensorFlow's ``ctc_loss`` under ``GradientTape`` included;
every result must equal the single-thread one. Eight threads differentiate ``ctc_loss`` through
a loop function none has run yet. And each cache whose builder imports or compiles is built once
when eight threads miss it together.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

import omniloss as ol
from omniloss import _dispatch, _primitives, _validation
from omniloss._check import all_cases
from omniloss.testing import selected_backends
from tests.helpers import BACKENDS, Backend

SELECTED = selected_backends()

THREADS = 8

LOSSES = ("cross_entropy", "ctc_loss", "linear_cross_entropy", "smooth_l1_loss")
"""Fused kernels (cross_entropy on torch and TensorFlow), ``fold`` (ctc_loss: ``tf.foldl`` in a
``tf.function``, ``jax.lax.scan`` in a ``jax.jit``), ``checkpoint`` (linear_cross_entropy) and
plain elementwise losses."""


def _result(backend: Backend, name: str) -> list[np.ndarray]:
    """The loss's value and its gradients w.r.t. every floating argument (values alone on the
    backends without autodiff), on the first case of ``omniloss check``."""
    case = all_cases()[name](np.random.default_rng(0))[0]
    loss = getattr(ol, name)

    def call(*args: Any) -> Any:
        return loss(*args, **case.kwargs)

    if not backend.has_grad:
        return [backend.to_numpy(call(*backend.convert(case.args)))]
    floating = [i for i, a in enumerate(case.args)
                if isinstance(a, np.ndarray) and a.dtype.kind == "f"]
    value, grads = backend.value_and_grad(call, case.args, floating)
    return [value, *grads]


def _run_together(work: Callable[[int], Any]) -> list[Any]:
    """``work(i)`` on ``THREADS`` threads released at once; their results, or their error."""
    barrier = threading.Barrier(THREADS)
    results: list[Any] = [None] * THREADS

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = work(i)
        except Exception as error:  # reported by the test, with the thread's index
            results[i] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    errors = [(i, r) for i, r in enumerate(results) if isinstance(r, Exception)]
    if errors:
        raise AssertionError(f"{len(errors)} of {THREADS} threads failed") from errors[0][1]
    return results


@pytest.fixture
def cold_caches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Empty caches for the test (the full ones come back after): namespaces, backend records,
    fused kernels, dtype queries."""
    monkeypatch.setattr(_dispatch, "_NAMESPACE_BY_TYPE", {})
    monkeypatch.setattr(_primitives, "_BACKENDS", {})
    monkeypatch.setattr(_primitives, "_FUSED", {})
    monkeypatch.setattr(_validation, "_DTYPE_ANSWERS", {})


Results = dict[tuple[str, str], list[np.ndarray]]


@pytest.fixture(scope="module")
def single_thread_results() -> Results:
    """Every (backend, loss) result computed on this thread, before the caches go cold."""
    return {(b, name): _result(BACKENDS[b], name) for b in SELECTED for name in LOSSES}


def _assert_equal(results: list[Results], expected: Results) -> None:
    for i, thread_results in enumerate(results):
        for (backend, name), arrays in thread_results.items():
            for got, want in zip(arrays, expected[backend, name], strict=True):
                np.testing.assert_allclose(got, want, rtol=1e-12, atol=0,
                                           err_msg=f"{name} on {backend}, thread {i}")


def test_eight_threads_mixing_backends_equal_single_thread(
        single_thread_results: Results, cold_caches: None) -> None:
    # every thread runs every installed backend, thread i starting at the i-th (mod their
    # number), so that the threads run different backends at the same time
    def work(i: int) -> Results:
        order = [SELECTED[(i + k) % len(SELECTED)] for k in range(len(SELECTED))]
        return {(b, name): _result(BACKENDS[b], name) for b in order for name in LOSSES}

    _assert_equal(_run_together(work), single_thread_results)


def test_ctc_gradients_from_eight_threads_at_once(
        grad_backend: Backend, single_thread_results: Results, cold_caches: None) -> None:
    # All eight threads differentiate ctc_loss (TensorFlow: under a GradientTape) through a
    # loop function none has run yet: TensorFlow's fold, one tf.function shared by the threads,
    # failed here (its while-loop gradient built by two threads at once).
    def work(i: int) -> Results:
        return {(grad_backend.name, "ctc_loss"): _result(grad_backend, "ctc_loss")}

    _assert_equal(_run_together(work), single_thread_results)


@pytest.fixture
def count_builds(monkeypatch: pytest.MonkeyPatch,
                 cold_caches: None) -> Iterator[dict[str, Counter[Any]]]:
    """The keys each locked cache's builder was called with, counted; the builders slowed down
    so that threads missing together overlap inside them."""
    counts: dict[str, Counter[Any]] = {}
    for module, builder, key in ((_dispatch, "_find_namespace", type),
                                 (_primitives, "_build", lambda xp: xp)):
        counter = counts[builder] = Counter()
        original = getattr(module, builder)

        def counted(x: Any, original: Callable[[Any], Any] = original,
                    counter: Counter[Any] = counter, key: Callable[[Any], Any] = key) -> Any:
            counter[key(x)] += 1
            time.sleep(0.05)
            return original(x)

        monkeypatch.setattr(module, builder, counted)
    yield counts


def test_each_lazy_cache_built_once_by_eight_threads(
        backend: Backend, count_builds: dict[str, Counter[Any]]) -> None:
    rng = np.random.default_rng(0)
    logits, labels = rng.normal(size=(4, 3)), rng.integers(0, 3, size=4)

    def work(i: int) -> np.ndarray:
        return backend.to_numpy(ol.cross_entropy(*backend.convert([logits, labels])))

    values = _run_together(work)
    for value in values[1:]:
        np.testing.assert_array_equal(value, values[0])
    for builder, counter in count_builds.items():
        assert counter, f"{builder} never ran: the caches were not cold"
        assert max(counter.values()) == 1, f"{builder} ran more than once per key: {counter}"


@pytest.mark.skipif("torch" not in SELECTED, reason="torch is not a selected backend")
def test_torch_compile_fullgraph_builds_cold_caches(cold_caches: None) -> None:
    # the caches' locks are not entered while torch.compile traces (its tracer cannot); the
    # dtype caches are emptied too: dynamo cannot hash some other libraries' dtypes (a C
    # __hash__) that other tests leave in them
    import torch

    rng = np.random.default_rng(0)
    logits, labels = torch.from_numpy(rng.normal(size=(4, 3))), torch.tensor([0, 2, 1, 0])
    torch._dynamo.reset()
    compiled = torch.compile(ol.cross_entropy, fullgraph=True, backend="eager")
    value = compiled(logits, labels)
    assert _primitives._BACKENDS, "the compiled call built no record: the caches were not cold"
    np.testing.assert_allclose(value.numpy(),
                               torch.nn.functional.cross_entropy(logits, labels).numpy(),
                               rtol=1e-12)
