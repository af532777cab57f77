"""Dask: every public function returns a lazy Dask array that computes to NumPy's numbers.

A call on Dask arrays only builds a graph: it computes nothing (no ``compute``, ``persist``,
``float()`` or ``bool()`` of an array: the scheduler raises inside the call), and the result's
shape and chunks are known before it runs. The inputs here are split in two along every axis
(class axes included), more than the suite's Dask backend, which splits the batch axis.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import omniloss as ol
from omniloss._catalogue import CATALOGUE, is_implemented
from omniloss._check import all_cases
from omniloss.testing._backends import convert_nested
from tests.helpers import assert_close, default_tolerance

IMPLEMENTED = [entry.name for entry in CATALOGUE if is_implemented(entry.name)]


class ComputedInsideTheCallError(Exception):
    pass


def _refuse(*args, **kwargs):
    raise ComputedInsideTheCallError("the loss computed a Dask array while building its graph")


def _halved(a):
    """``a`` as a Dask array in two chunks along every axis."""
    import dask.array as da

    return da.from_array(a, chunks=tuple(max(1, -(-size // 2)) for size in a.shape))


def _convert(value, convert, dtype):
    """``value`` with each NumPy array (floating ones cast to ``dtype``) passed to ``convert``."""
    return convert_nested(value, lambda a: convert(a.astype(dtype) if a.dtype.kind == "f" else a))


def test_a_computation_inside_the_call_is_caught(dask_backend):
    import dask

    with dask.config.set(scheduler=_refuse), pytest.raises(ComputedInsideTheCallError):
        float(ol.mse_loss(_halved(np.ones(4)), 0.0))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", IMPLEMENTED)
def test_every_function_is_lazy_and_computes_to_numpy(dask_backend, name, dtype):
    import dask
    import dask.array as da

    function = getattr(ol, name)
    rtol, atol = default_tolerance(dtype)
    for case in all_cases()[name](np.random.default_rng(0)):
        what = f"{name} {case.label} in {np.dtype(dtype).name}"
        expected = np.asarray(function(*_convert(case.args, np.array, dtype),
                                       **_convert(case.kwargs, np.array, dtype)))
        with dask.config.set(scheduler=_refuse):
            out = function(*_convert(case.args, _halved, dtype),
                           **_convert(case.kwargs, _halved, dtype))
        assert isinstance(out, da.Array), f"{what}: result is {type(out)}"
        assert out.shape == expected.shape, f"{what}: shape {out.shape} != {expected.shape}"
        assert not any(math.isnan(c) for sizes in out.chunks for c in sizes), \
            f"{what}: chunk sizes depend on the data: {out.chunks}"
        value = out.compute(scheduler="synchronous")
        assert value.dtype == expected.dtype, f"{what}: dtype {value.dtype}"
        assert_close(value, expected, rtol=rtol, atol=atol, what=what)


# Memory: a chunked loss computes chunk by chunk


def _largest_task_result(compute):
    """``compute()``'s result and the largest array any task of its graph returned (bytes),
    on the synchronous scheduler."""
    import dask
    from dask.callbacks import Callback

    largest = [0]

    class Largest(Callback):
        def _posttask(self, key, result, dsk, state, worker_id):
            largest[0] = max(largest[0], getattr(result, "nbytes", 0))

    with dask.config.set(scheduler="synchronous"), Largest():
        value = compute()
    return value, largest[0]


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("name", ["cross_entropy", "mse_loss"])
def test_a_chunked_loss_never_holds_more_than_a_chunk(dask_backend, name, reduction):
    """Logits (or predictions) of 4000 x 50 float32 in 20 chunks along the batch: no task
    returns more than one chunk's bytes (the input chunk itself), so peak memory is a few chunks
    whatever the array's size; the numbers are NumPy's. A loss that gathered the batch (a
    rechunk to one block, a global max) would return 20 chunks' worth."""
    import dask.array as da

    rng = np.random.default_rng(0)
    x = rng.normal(size=(4000, 50)).astype(np.float32)
    y = (rng.integers(0, 50, size=4000) if name == "cross_entropy"
         else rng.normal(size=(4000, 50)).astype(np.float32))
    chunked_x = da.from_array(x, chunks=(200, 50))
    chunked_y = da.from_array(y, chunks=(200, *y.shape[1:]))
    function = getattr(ol, name)
    lazy = function(chunked_x, chunked_y, reduction=reduction)
    expected = function(x, y, reduction=reduction)
    if reduction == "none":  # compute() would gather the result itself: its sum instead
        lazy, expected = lazy.sum(), expected.sum()
    value, largest = _largest_task_result(lazy.compute)
    assert largest <= x.nbytes // 20
    assert_close(value, expected, rtol=1e-5, atol=1e-5, what=f"{name} on 20 chunks")


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_mse_loss_squares_each_chunk_in_place(dask_backend, reduction):
    """Predictions and targets of 1000 x 2500 float32 in 10 chunks of 1 MB: computing mse_loss
    allocates at most about one chunk at a time (traced by ``tracemalloc``: each task squares its
    new difference in place), where ``a - b`` and then its square hold two."""
    import tracemalloc

    import dask
    import dask.array as da

    rng = np.random.default_rng(0)
    x, y = (rng.normal(size=(1000, 2500)).astype(np.float32) for _ in range(2))
    chunked = [da.from_array(a, chunks=(100, 2500)) for a in (x, y)]
    lazy = ol.mse_loss(*chunked, reduction=reduction)
    expected = ol.mse_loss(x, y, reduction=reduction)
    if reduction == "none":  # compute() would gather the result itself: its sum instead
        lazy, expected = lazy.sum(), expected.sum()
    with dask.config.set(scheduler="synchronous"):
        tracemalloc.start()
        try:
            value = lazy.compute()
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert peak < 1.5 * x.nbytes / 10, f"{peak / (x.nbytes / 10):.2f} chunks allocated at once"
    assert_close(value, expected, rtol=1e-5, atol=1e-5, what="mse_loss on 10 chunks")
