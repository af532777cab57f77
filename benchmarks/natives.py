"""The benchmarked losses, their inputs, and the native equivalent on each backend.

``NATIVES[loss].native[backend]`` is what a user of that framework would call instead of
omniloss: ``torch.nn.functional`` on torch, optax (or ``jax.numpy``) on JAX, ``tf.nn`` / keras on
TensorFlow, a hand-written NumPy formula on NumPy. Framework modules are imported lazily.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import omniloss as ol

SIZES = {"small": (32, 10), "large": (4096, 1000)}
CTC_SHAPE = {"small": (20, 2, 8, 5), "large": (200, 16, 32, 40),
             "speech": (1000, 32, 100, 200)}  # (T, N, C, S): a real speech batch


@dataclass
class Spec:
    ours: Callable[..., Any]
    native: dict[str, Callable[..., Any]]
    grad_args: tuple[int, ...] = (0,)
    sizes: tuple[str, ...] = ("small", "large")
    memory_size: str = "large"  # the size whose peak memory is measured
    skip: frozenset[tuple[str, str]] = frozenset()  # (size, backend) rows not run
    inputs: str = "pair"
    extra: dict[str, Any] = field(default_factory=dict)


def _torch() -> Any:
    import torch

    return torch


def _F() -> Any:
    import torch.nn.functional as F

    return F


def _jnp() -> Any:
    import jax.numpy as jnp

    return jnp


def _optax() -> Any:
    import optax

    return optax


def _tf() -> Any:
    import tensorflow as tf

    return tf


def _keras() -> Any:
    import keras

    return keras


def _log_softmax_np(x: np.ndarray) -> np.ndarray:
    shifted = x - x.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def _tf_with_both(fn: Callable[..., Any]) -> dict[str, Callable[..., Any]]:
    return {"tensorflow": fn, "tf.function": fn}


def _smooth_l1_np(x: np.ndarray, y: np.ndarray) -> Any:
    r = np.abs(x - y)
    return np.mean(np.where(r < 1.0, 0.5 * r * r, r - 0.5))


def _bce_logits_np(x: np.ndarray, y: np.ndarray) -> Any:
    return np.mean(np.maximum(x, 0) - x * y + np.log1p(np.exp(-np.abs(x))))


def _ce_np(x: np.ndarray, t: np.ndarray) -> Any:
    return -np.mean(np.take_along_axis(_log_softmax_np(x), t[:, None], axis=1))


def _ce_smooth_np(x: np.ndarray, t: np.ndarray) -> Any:
    logp = _log_softmax_np(x)
    nll = -np.take_along_axis(logp, t[:, None], axis=1)[:, 0]
    return np.mean(0.9 * nll - 0.1 * logp.mean(axis=1))


def _kl_np(x: np.ndarray, t: np.ndarray) -> Any:
    return np.sum(np.where(t > 0, t * (np.log(np.where(t > 0, t, 1.0)) - x), 0.0)) / x.shape[0]


def _triplet_np(a: np.ndarray, p: np.ndarray, n: np.ndarray) -> Any:
    dp = np.sqrt(np.sum((a - p + 1e-6) ** 2, axis=1))
    dn = np.sqrt(np.sum((a - n + 1e-6) ** 2, axis=1))
    return np.mean(np.maximum(dp - dn + 1.0, 0.0))


def _dice_np(p: np.ndarray, y: np.ndarray) -> Any:
    return 1 - 2 * np.sum(p * y) / (np.sum(p) + np.sum(y) + 1e-7)


def _dice_torch(p: Any, y: Any) -> Any:
    torch = _torch()
    return 1 - 2 * torch.sum(p * y) / (torch.sum(p) + torch.sum(y) + 1e-7)


def _dice_jax(p: Any, y: Any) -> Any:
    jnp = _jnp()
    return 1 - 2 * jnp.sum(p * y) / (jnp.sum(p) + jnp.sum(y) + 1e-7)


def _triplet_jax(a: Any, p: Any, n: Any) -> Any:
    jnp = _jnp()
    dp = jnp.sqrt(jnp.sum((a - p + 1e-6) ** 2, axis=1))
    dn = jnp.sqrt(jnp.sum((a - n + 1e-6) ** 2, axis=1))
    return jnp.mean(jnp.maximum(dp - dn + 1.0, 0.0))


def _triplet_tf(a: Any, p: Any, n: Any) -> Any:
    tf = _tf()
    dp = tf.norm(a - p + 1e-6, axis=1)
    dn = tf.norm(a - n + 1e-6, axis=1)
    return tf.reduce_mean(tf.maximum(dp - dn + 1.0, 0.0))


def _kl_tf(x: Any, t: Any) -> Any:
    tf = _tf()
    return tf.reduce_sum(tf.math.xlogy(t, t) - t * x) / tf.cast(tf.shape(x)[0], x.dtype)


def _kl_jax(x: Any, t: Any) -> Any:
    return _jnp().mean(_optax().kl_divergence(x, t))


def _ce_smooth_jax(x: Any, t: Any) -> Any:
    optax = _optax()
    labels = optax.smooth_labels(_jnp().eye(x.shape[1], dtype=x.dtype)[t], 0.1)
    return _jnp().mean(optax.softmax_cross_entropy(x, labels))


def _ce_smooth_tf(x: Any, t: Any) -> Any:
    tf = _tf()
    labels = tf.one_hot(t, tf.shape(x)[1], dtype=x.dtype) * 0.9 + 0.1 / \
        tf.cast(tf.shape(x)[1], x.dtype)
    return tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(labels, x))


def _ctc_torch(log_probs: Any, targets: Any, input_lengths: Any, target_lengths: Any) -> Any:
    return _F().ctc_loss(log_probs, targets, input_lengths, target_lengths)


def _ctc_jax(log_probs: Any, targets: Any, input_lengths: Any, target_lengths: Any) -> Any:
    jnp = _jnp()
    logits = jnp.transpose(log_probs, (1, 0, 2))
    steps = jnp.arange(logits.shape[1])
    logit_paddings = (steps[None, :] >= input_lengths[:, None]).astype(logits.dtype)
    positions = jnp.arange(targets.shape[1])
    label_paddings = (positions[None, :] >= target_lengths[:, None]).astype(logits.dtype)
    per_sequence = _optax().ctc_loss(logits, logit_paddings, targets, label_paddings)
    return jnp.mean(per_sequence / jnp.maximum(target_lengths, 1).astype(logits.dtype))


def _ctc_tf(log_probs: Any, targets: Any, input_lengths: Any, target_lengths: Any) -> Any:
    tf = _tf()
    per_sequence = tf.nn.ctc_loss(targets, log_probs, target_lengths, input_lengths,
                                  logits_time_major=True, blank_index=0)
    lengths = tf.cast(tf.maximum(target_lengths, 1), log_probs.dtype)
    return tf.reduce_mean(per_sequence / lengths)


NATIVES: dict[str, Spec] = {
    # ours wrapped in a lambda as every native: tf.function binds a function with keyword-only
    # defaults 50 us slower per call (a bare ol.mse_loss read 1.3x on the small tf.function rows)
    "mse_loss": Spec(lambda x, y: ol.mse_loss(x, y), {
        "numpy": lambda x, y: np.mean((x - y) ** 2),
        "torch": lambda x, y: _F().mse_loss(x, y),
        "jax": lambda x, y: _jnp().mean(_optax().squared_error(x, y)),
        **_tf_with_both(lambda x, y: _tf().reduce_mean(_tf().math.squared_difference(x, y))),
    }, sizes=("small", "large")),
    "l1_loss": Spec(lambda x, y: ol.l1_loss(x, y), {
        "numpy": lambda x, y: np.mean(np.abs(x - y)),
        "torch": lambda x, y: _F().l1_loss(x, y),
        "jax": lambda x, y: _jnp().mean(_jnp().abs(x - y)),
        **_tf_with_both(lambda x, y: _tf().reduce_mean(_tf().abs(x - y))),
    }),
    "smooth_l1_loss": Spec(lambda x, y: ol.smooth_l1_loss(x, y), {
        "numpy": _smooth_l1_np,
        "torch": lambda x, y: _F().smooth_l1_loss(x, y),
        "jax": lambda x, y: _jnp().mean(_optax().huber_loss(x, y)),
        **_tf_with_both(lambda x, y: _keras().losses.Huber()(y, x)),
    }),
    "binary_cross_entropy_with_logits": Spec(
        lambda x, y: ol.binary_cross_entropy_with_logits(x, y), {
            "numpy": _bce_logits_np,
            "torch": lambda x, y: _F().binary_cross_entropy_with_logits(x, y),
            "jax": lambda x, y: _jnp().mean(_optax().sigmoid_binary_cross_entropy(x, y)),
            **_tf_with_both(lambda x, y: _tf().reduce_mean(
                _tf().nn.sigmoid_cross_entropy_with_logits(y, x))),
        }, inputs="probabilities"),
    "cross_entropy": Spec(lambda x, t: ol.cross_entropy(x, t), {
        "numpy": _ce_np,
        "torch": lambda x, t: _F().cross_entropy(x, t),
        "jax": lambda x, t: _jnp().mean(
            _optax().softmax_cross_entropy_with_integer_labels(x, t)),
        **_tf_with_both(lambda x, t: _tf().reduce_mean(
            _tf().nn.sparse_softmax_cross_entropy_with_logits(t, x))),
    }, inputs="classes"),
    "cross_entropy_label_smoothing": Spec(
        lambda x, t: ol.cross_entropy(x, t, label_smoothing=0.1), {
            "numpy": _ce_smooth_np,
            "torch": lambda x, t: _F().cross_entropy(x, t, label_smoothing=0.1),
            "jax": _ce_smooth_jax,
            **_tf_with_both(_ce_smooth_tf),
        }, inputs="classes"),
    "kl_div": Spec(lambda x, t: ol.kl_div(x, t, reduction="batchmean"), {
        "numpy": _kl_np,
        "torch": lambda x, t: _F().kl_div(x, t, reduction="batchmean"),
        "jax": _kl_jax,
        **_tf_with_both(_kl_tf),
    }, inputs="distributions"),
    "triplet_margin_loss": Spec(lambda a, p, n: ol.triplet_margin_loss(a, p, n), {
        "numpy": _triplet_np,
        "torch": lambda a, p, n: _F().triplet_margin_loss(a, p, n),
        "jax": _triplet_jax,
        **_tf_with_both(_triplet_tf),
    }, grad_args=(0, 1, 2), inputs="triplet"),
    "dice_loss": Spec(lambda p, y: ol.dice_loss(p, y), {
        "numpy": _dice_np,
        "torch": _dice_torch,
        "jax": _dice_jax,
        **_tf_with_both(lambda p, y: _keras().losses.dice(y, p)),
    }, inputs="probabilities"),
    "ctc_loss": Spec(lambda lp, t, il, tl: ol.ctc_loss(lp, t, il, tl), {
        "torch": _ctc_torch,
        "jax": _ctc_jax,
        **_tf_with_both(_ctc_tf),
    }, inputs="ctc", sizes=("small", "large", "speech"),
        # tf.nn.ctc_loss takes 1.4 s a call at the large size eagerly, 138 ms as a tf.function,
        # and 90-115 s as a tf.function at the speech size (measured apart, see
        # docs/benchmarks.md): the 48 calls of one row would take over an hour
        skip=frozenset({("speech", "tensorflow"), ("speech", "tf.function")})),
}


def _masked_mean(jnp: Any, loss: Any, weight: Any) -> Any:
    return jnp.sum(loss * weight) / jnp.sum(weight)


def _tf_weighted_mean(loss: Any, weight: Any) -> Any:
    tf = _tf()
    return tf.reduce_sum(loss * weight) / tf.reduce_sum(weight)


# Weighted and masked: ours against the composition a user of each framework writes by hand
# (torch: F.cross_entropy(..., reduction="none") * w, summed, over w.sum(); optax: the
# per-example losses masked and averaged; keras's mean_with_sample_weight is the same number).
WEIGHTED: dict[str, Spec] = {
    "cross_entropy_sample_weight": Spec(
        lambda x, t, w: ol.cross_entropy(x, t, sample_weight=w), {
            "numpy": lambda x, t, w: np.sum(_ce_rows_np(x, t) * w) / np.sum(w),
            "torch": lambda x, t, w: (_F().cross_entropy(x, t, reduction="none") * w).sum()
            / w.sum(),
            "jax": lambda x, t, w: _masked_mean(
                _jnp(), _optax().softmax_cross_entropy_with_integer_labels(x, t), w),
            **_tf_with_both(lambda x, t, w: _tf_weighted_mean(
                _tf().nn.sparse_softmax_cross_entropy_with_logits(t, x), w)),
        }, inputs="classes_weighted"),
    "cross_entropy_where": Spec(
        lambda x, t, m: ol.cross_entropy(x, t, where=m), {
            "numpy": lambda x, t, m: np.sum(np.where(m, _ce_rows_np(x, t), 0)) / np.sum(m),
            "torch": lambda x, t, m: _F().cross_entropy(x, t, reduction="none")[m].mean(),
            "jax": lambda x, t, m: _masked_mean(
                _jnp(), _optax().softmax_cross_entropy_with_integer_labels(x, t), m),
            **_tf_with_both(lambda x, t, m: _tf_weighted_mean(
                _tf().nn.sparse_softmax_cross_entropy_with_logits(t, x),
                _tf().cast(m, x.dtype))),
        }, inputs="classes_masked"),
    "mse_loss_sample_weight": Spec(
        lambda x, y, w: ol.mse_loss(x, y, sample_weight=w), {
            "numpy": lambda x, y, w: np.sum((x - y) ** 2 * w) / (np.sum(w) * x.shape[1]),
            "torch": lambda x, y, w: (_F().mse_loss(x, y, reduction="none") * w).sum()
            / (w.sum() * x.shape[1]),
            "jax": lambda x, y, w: _jnp().sum(_optax().squared_error(x, y) * w)
            / (_jnp().sum(w) * x.shape[1]),
            **_tf_with_both(lambda x, y, w: _tf().reduce_sum(
                _tf().math.squared_difference(x, y) * w) / (_tf().reduce_sum(w) * x.shape[1])),
        }, inputs="pair_weighted"),
}
NATIVES.update(WEIGHTED)


def _ce_rows_np(x: np.ndarray, t: np.ndarray) -> np.ndarray:
    return -np.take_along_axis(_log_softmax_np(x), t[:, None], axis=1)[:, 0]


def make_inputs(loss: str, size: str) -> list[Any]:
    """NumPy float32 inputs (int64 class ids) for ``loss`` at ``size`` ("small" or "large")."""
    rng = np.random.default_rng(0)
    kind = NATIVES[loss].inputs
    if kind == "ctc":
        steps, batch, classes, length = CTC_SHAPE[size]
        logits = rng.normal(size=(steps, batch, classes)).astype(np.float32)
        log_probs = _log_softmax_np(logits.reshape(-1, classes)).reshape(logits.shape)
        targets = rng.integers(1, classes, size=(batch, length))
        input_lengths = np.full(batch, steps, dtype=np.int64)
        target_lengths = rng.integers(length // 2, length + 1, size=batch)
        return [log_probs, targets.astype(np.int64), input_lengths,
                target_lengths.astype(np.int64)]
    rows, cols = SIZES[size]
    x = rng.normal(size=(rows, cols)).astype(np.float32)
    if kind == "pair":
        return [x, rng.normal(size=(rows, cols)).astype(np.float32)]
    if kind == "probabilities":
        probabilities = 1 / (1 + np.exp(-x))
        target = rng.uniform(size=(rows, cols)).astype(np.float32)
        return [probabilities if loss == "dice_loss" else x, target]
    if kind == "classes":
        return [x, rng.integers(0, cols, size=rows).astype(np.int64)]
    if kind == "classes_weighted":
        return [x, rng.integers(0, cols, size=rows).astype(np.int64),
                rng.uniform(0.5, 2.0, size=rows).astype(np.float32)]
    if kind == "classes_masked":
        return [x, rng.integers(0, cols, size=rows).astype(np.int64),
                rng.uniform(size=rows) > 0.2]
    if kind == "pair_weighted":
        return [x, rng.normal(size=(rows, cols)).astype(np.float32),
                rng.uniform(0.5, 2.0, size=(rows, 1)).astype(np.float32)]
    if kind == "distributions":
        target = np.exp(_log_softmax_np(rng.normal(size=(rows, cols)))).astype(np.float32)
        return [_log_softmax_np(x).astype(np.float32), target]
    return [x, rng.normal(size=(rows, cols)).astype(np.float32),
            rng.normal(size=(rows, cols)).astype(np.float32)]
