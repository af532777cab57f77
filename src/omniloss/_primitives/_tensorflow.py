"""Everything native to TensorFlow (namespace :mod:`omniloss._tensorflow`): ``tf.nn`` and
``tf.math`` kernels, the fused ``tf.nn.sparse_softmax_cross_entropy_with_logits``, cached eager
reductions, ``tf.foldl``, ``tf.stop_gradient`` and ``tf.recompute_grad``."""

from __future__ import annotations

import threading
from collections.abc import Callable
from types import ModuleType

from omniloss._primitives import _portable
from omniloss._primitives._backend import Array, Axis, Backend


def build() -> Backend:
    """TensorFlow's record; imports tensorflow."""
    import numpy as np
    import tensorflow as tf
    from tensorflow.python.framework.ops import EagerTensor

    from omniloss import _tensorflow as namespace

    reducers = {"mean": tf.math.reduce_mean, "sum": tf.math.reduce_sum}
    axes_by_rank: dict[int, Array] = {}

    def reduce_all(xp: ModuleType, x: Array, reduction: str) -> Array:
        # Eagerly, axis=None makes TensorFlow build the axes tensor anew (half of a 26 us
        # reduce_mean on a small tensor); a cached one per rank saves that.
        rank = x.shape.rank
        if not x.dtype.is_floating or rank is None or not tf.executing_eagerly():
            return _portable.reduce_all(xp, x, reduction=reduction)
        axes = axes_by_rank.get(rank)
        if axes is None:  # lock-free: threads racing on a miss store equal constants
            axes = axes_by_rank[rank] = tf.constant(np.arange(rank, dtype=np.int32))
        return reducers[reduction](x, axis=axes)

    def reduce(loss: Array, reduction: str) -> Array:
        if reduction not in ("mean", "sum") or loss.ndim == 0:
            return loss
        return reduce_all(namespace, loss, reduction)

    def logsumexp(x: Array, axis: Axis, keepdims: bool) -> Array:
        dims = list(axis) if isinstance(axis, tuple) else axis
        return tf.math.reduce_logsumexp(x, axis=dims, keepdims=keepdims)

    def squared_error(a: Array, b: Array, reduction: str) -> Array:
        return reduce(tf.math.squared_difference(a, b), reduction)

    def smooth_l1(a: Array, b: Array, beta: float, reduction: str) -> Array:
        # TensorFlow's own ops (the namespace's type promotion costs microseconds per op), and
        # square(r) * (0.5 / beta): two ops instead of three, 20% off the backward pass on a
        # 4096x1000 loss (equal for beta = 1; within an ulp otherwise)
        difference = tf.math.subtract(a, b)
        magnitude = tf.math.abs(difference)
        if beta == 0:
            return reduce(magnitude, reduction)
        loss = tf.where(magnitude < beta, tf.math.square(difference) * (0.5 / beta),
                        magnitude - 0.5 * beta)
        return reduce(loss, reduction)

    def cross_entropy(portable: Callable[..., Array], xp: ModuleType, logits: Array,
                      target: Array, *, axis: int, weight: Array | None,
                      ignore_index: int | None, label_smoothing: float, reduction: str
                      ) -> Array:
        # tf.nn's fused kernel (classes last, int32/int64 ids, no weight or smoothing), 8 ops
        # eagerly where the portable formula takes 27 (each op costs 10-30 us eagerly); 3 where
        # no position can be ignored (ignore_index None)
        if (weight is not None or label_smoothing or axis != logits.shape.rank - 1
                or target.dtype not in (tf.int32, tf.int64)
                or not (ignore_index is None or -(2**31) <= ignore_index < 2**31)):
            return portable(xp, logits, target, axis=axis, weight=weight,
                            ignore_index=ignore_index, label_smoothing=label_smoothing,
                            reduction=reduction)
        if ignore_index is None:
            nll = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=target, logits=logits)
            return nll if reduction == "none" else reduce_all(namespace, nll, reduction)
        valid = tf.math.not_equal(target, ignore_index)
        safe = tf.where(valid, target, 0)
        nll = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=safe, logits=logits)
        loss = tf.where(valid, nll, 0.0)  # 0 where ignored, whatever the logits
        if reduction == "none":
            return loss
        total = reduce_all(namespace, loss, "sum")
        if reduction == "sum":
            return total
        return total / reduce_all(namespace, tf.cast(valid, nll.dtype), "sum")

    def values_now(x: Array) -> Array | None:
        # an EagerTensor on the CPU, outside tf.function (whose tensors are symbolic)
        if not isinstance(x, EagerTensor) or "CPU" not in x.device.rpartition("device:")[2]:
            return None
        return x.numpy()

    def fold_loop(xp: ModuleType, step: Callable[..., Array], init: Array,
                  elems: tuple[Array, ...], constants: tuple[Array, ...], stack: bool) -> Array:
        def body(carry: Array, row: tuple[Array, ...]) -> Array:
            return step(xp, carry, *row, *constants)

        if not stack:
            return tf.foldl(body, elems, initializer=init)
        # tf.scan cannot stack zero steps of a carry whose shape reduce_retracing relaxed
        # ("Tried to stack elements of an empty list with non-fully-defined element_shape")
        return tf.cond(tf.shape(elems[0])[0] > 0,
                       lambda: tf.scan(body, elems, initializer=init),
                       lambda: tf.zeros(tf.concat([[0], tf.shape(init)], axis=0), init.dtype))

    # One graph function per thread, made on the thread's first fold. The first time a tape
    # differentiates a traced function holding a while loop, TensorFlow rewrites that function's
    # graph to output the loop's intermediates; two threads doing it at once corrupt the graph
    # they share (plain TensorFlow, two threads under tapes on a new tf.function of a tf.foldl:
    # 29 of 30 runs fail, "Inputs and outputs constructed for the forward op of a While
    # gradient don't match", SystemError, IndexError). A thread's own function shares nothing;
    # it costs a trace per thread (and shape) and an attribute lookup per call. Only its own
    # thread reads or writes it, so it needs no lock.
    per_thread = threading.local()

    def fold(xp: ModuleType, step: Callable[..., Array], init: Array, elems: tuple[Array, ...],
             constants: tuple[Array, ...], stack: bool) -> Array:
        function = getattr(per_thread, "fold", None)
        if function is None:
            # A graph function, as on JAX: eagerly, tf.foldl would run its while_loop op by op
            # in Python. Traced once per step function with relaxed shapes
            # (reduce_retracing), so varying lengths do not retrace each call; inside an outer
            # tf.function it is just a call. The step has no Python control flow on tensors, so
            # AutoGraph has nothing to convert.
            function = per_thread.fold = tf.function(fold_loop, reduce_retracing=True,
                                                     autograph=False)
        return function(xp, step, init, elems, constants, stack)

    return Backend(
        "tensorflow",
        logsumexp=logsumexp,
        log_softmax=lambda x, axis: tf.nn.log_softmax(x, axis=axis),
        softmax=lambda x, axis: tf.nn.softmax(x, axis=axis),
        softplus=tf.math.softplus,
        log_sigmoid=tf.math.log_sigmoid,
        sigmoid=tf.math.sigmoid,
        absolute=tf.math.abs,
        # tf.math.squared_difference, reduced
        squared_error=squared_error,
        smooth_l1=smooth_l1,
        # tf.math.xlogy(x, x) has our gradient: 0 for x at 0 and x / y taken as 0 there
        xlogx=lambda x: tf.math.xlogy(x, x),
        reduce_all=reduce_all,
        fold=fold,
        stop_gradient=tf.stop_gradient,
        dim=lambda x, axis: tf.shape(x, out_type=tf.int64)[axis],
        checkpoint=lambda fn, *arrays: tf.recompute_grad(fn)(*arrays),
        fused={"cross_entropy": cross_entropy},
        values_now=values_now,
    )
