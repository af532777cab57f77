"""``sample_weight`` and ``where`` on every loss of the catalogue, on every backend.

Generated from the catalogue and the ``omniloss check`` cases, not written per loss: for each loss
the unreduced (``reduction="none"``) output of its first case fixes the shape the weights
broadcast against, and each test checks one property that ties the weighted numbers to unweighted
calls of the same loss:

- weights of ones give the unweighted loss;
- integer weights give the loss of the inputs with each sample repeated that many times (0:
  dropped), for ``"mean"`` and ``"sum"``;
- a ``where`` mask gives the loss of the inputs without the masked samples, values and gradients
  (0 at the masked samples);
- zero total weight gives 0 for ``"mean"``, with zero gradients;
- a per-sample weight broadcasts as its explicit broadcast does;
- the gradient of the ``"sum"`` w.r.t. ``sample_weight`` is the unreduced loss;
- ``jax.jit`` / ``tf.function`` give the eager numbers;
- a float64 weight keeps a float32 loss float32.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import omniloss as ol
from omniloss._catalogue import CATALOGUE, NOT_LOSSES
from omniloss._check import Case, all_cases
from tests.helpers import Backend, assert_close, assert_raises_named

LOSSES = [entry.name for entry in CATALOGUE if entry.family not in NOT_LOSSES]

OPTIONS: dict[str, dict[str, Any]] = {
    # per-sample outputs: the default axis=None reduces every sample into one number
    "dice_loss": {"axis": (1, 2)},
    "jaccard_loss": {"axis": (1, 2)},
    "tversky_loss": {"axis": (1, 2)},
    "focal_tversky_loss": {"axis": (1, 2)},
    "mcc_loss": {"axis": (1, 2)},
    "lovasz_hinge_loss": {"per_image": True},
    "lovasz_softmax_loss": {"per_image": True},
}
"""Options added to a loss's first ``omniloss check`` case."""

BATCH_AXES: dict[str, dict[int, int]] = {"ctc_loss": {0: 1}}
"""Positional arguments whose batch axis is not 0 (CTC's log-probabilities are (T, N, C))."""

NO_INPUT_GRADIENT = {"zero_one_loss"}
"""Losses with no gradient w.r.t. their input by definition (an argmax)."""

COUPLED = {"ntxent_loss", "generalized_dice_loss", "circle_loss", "supervised_contrastive_loss",
           "multi_similarity_loss"}
"""Losses whose samples interact (each anchor's negatives are the other samples; the class
weights come from the whole batch's volumes), so repeating or dropping samples is not the same
as weighting them; the other properties still hold."""

RTOL, ATOL = 1e-9, 1e-11


def _case(name: str) -> Case:
    case = all_cases()[name](np.random.default_rng(0))[0]
    kwargs = {k: v for k, v in case.kwargs.items() if k != "reduction"}
    return Case(case.args, {**kwargs, **OPTIONS.get(name, {})}, case.label)


def _reductions(name: str) -> tuple[str, ...]:
    return ("mean", "sum", "batchmean") if name in ("kl_div", "distillation_loss") else (
        "mean", "sum")


def _unreduced(name: str) -> np.ndarray:
    case = _case(name)
    return np.asarray(getattr(ol, name)(*case.args, **case.kwargs, reduction="none"))


def _per_sample(values: np.ndarray, ndim: int) -> np.ndarray:
    """A ``(N,)`` array shaped ``(N, 1, ..., 1)`` to broadcast against an ``ndim``-d loss."""
    return values.reshape(values.shape + (1,) * (ndim - 1))


def _take_samples(name: str, value: Any, samples: int, index: np.ndarray,
                  position: int | None = None) -> Any:
    """``value`` (an argument) with its samples taken at ``index`` (a repeat or a drop)."""
    if isinstance(value, list | tuple):
        return type(value)(_take_samples(name, v, samples, index) for v in value)
    if not isinstance(value, np.ndarray) or value.ndim == 0:
        return value
    axis = BATCH_AXES.get(name, {}).get(position, 0) if position is not None else 0
    if value.shape[axis] != samples:
        return value
    return np.take(value, index, axis=axis)


def _call(backend: Backend, name: str, args: tuple[Any, ...], kwargs: dict[str, Any],
          **weighting: Any) -> np.ndarray:
    converted = _convert(backend, args)
    extra = {k: _convert(backend, v) for k, v in weighting.items()}
    return backend.to_numpy(getattr(ol, name)(*converted, **_convert(backend, kwargs), **extra))


def _convert(backend: Backend, value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return backend.asarray(value)
    if isinstance(value, list | tuple):
        return type(value)(_convert(backend, v) for v in value)
    if isinstance(value, dict):
        return {k: _convert(backend, v) for k, v in value.items()}
    return value


def _float32(value: Any) -> Any:
    """``value`` with its floating arrays (also inside lists, tuples, dicts) in float32."""
    if isinstance(value, np.ndarray):
        return value.astype(np.float32) if value.dtype.kind == "f" else value
    if isinstance(value, list | tuple):
        return type(value)(_float32(v) for v in value)
    if isinstance(value, dict):
        return {k: _float32(v) for k, v in value.items()}
    return value


@pytest.mark.parametrize("name", LOSSES)
def test_weights_of_ones_are_unweighted(backend, name):
    case = _case(name)
    ones = np.ones(_unreduced(name).shape)
    for reduction in (*_reductions(name), "none"):
        plain = _call(backend, name, case.args, {**case.kwargs, "reduction": reduction})
        weighted = _call(backend, name, case.args, {**case.kwargs, "reduction": reduction},
                         sample_weight=ones)
        masked = _call(backend, name, case.args, {**case.kwargs, "reduction": reduction},
                       where=ones > 0)
        assert_close(weighted, plain, rtol=RTOL, atol=ATOL, what=f"{name} {reduction} ones")
        assert_close(masked, plain, rtol=RTOL, atol=ATOL, what=f"{name} {reduction} all-true")


@pytest.mark.parametrize("name", sorted(set(LOSSES) - COUPLED))
def test_integer_weights_repeat_samples(backend, name):
    case = _case(name)
    unreduced = _unreduced(name)
    samples = unreduced.shape[0]
    counts = np.random.default_rng(1).integers(0, 4, size=samples)
    counts[0] = 2
    index = np.repeat(np.arange(samples), counts)
    repeated = tuple(_take_samples(name, a, samples, index, i) for i, a in enumerate(case.args))
    repeated_kwargs = {k: _take_samples(name, v, samples, index)
                       for k, v in case.kwargs.items()}
    for weight in (counts.astype(np.float64), counts):  # floating and integer weights
        for reduction in _reductions(name):
            weighted = _call(backend, name, case.args, {**case.kwargs, "reduction": reduction},
                             sample_weight=_per_sample(weight, unreduced.ndim))
            expected = _call(backend, name, repeated, {**repeated_kwargs,
                                                       "reduction": reduction})
            assert_close(weighted, expected, rtol=RTOL, atol=ATOL,
                         what=f"{name} {reduction}: weights {counts} vs repeated samples")


Place = tuple[int, int | None]


def _first_floating(args: tuple[Any, ...]) -> Place:
    """Where the first floating array is: its position, and its index inside a list argument
    (``perceptual_loss`` takes lists of feature maps) or ``None``."""
    for position, a in enumerate(args):
        if isinstance(a, np.ndarray) and a.dtype.kind == "f":
            return position, None
        if isinstance(a, list | tuple):
            for index, v in enumerate(a):
                if isinstance(v, np.ndarray) and v.dtype.kind == "f":
                    return position, index
    raise AssertionError("no floating array argument")


def _at(args: tuple[Any, ...], place: Place) -> Any:
    position, index = place
    return args[position] if index is None else args[position][index]


def _loss_of(backend: Backend, name: str, case: Case, args: tuple[Any, ...],
             place: Place) -> Callable[..., Any]:
    """``loss(x, **weighting)``: the ``"mean"`` loss of ``args`` with ``x`` at ``place``."""
    fn = getattr(ol, name)

    def loss(x: Any, **weighting: Any) -> Any:
        call_args = list(_convert(backend, args))
        position, index = place
        if index is None:
            call_args[position] = x
        else:
            call_args[position] = type(call_args[position])(
                x if i == index else v for i, v in enumerate(call_args[position]))
        return fn(*call_args, **_convert(backend, case.kwargs), reduction="mean", **weighting)

    return loss


@pytest.mark.parametrize("name", sorted(set(LOSSES) - COUPLED))
def test_where_drops_samples(backend, name):
    case = _case(name)
    unreduced = _unreduced(name)
    samples = unreduced.shape[0]
    keep = np.ones(samples, dtype=bool)
    keep[1::3] = False
    kept = np.flatnonzero(keep)
    dropped_args = tuple(_take_samples(name, a, samples, kept, i) for i, a in enumerate(case.args))
    dropped_kwargs = {k: _take_samples(name, v, samples, kept) for k, v in case.kwargs.items()}
    mask = _per_sample(keep, unreduced.ndim)
    for reduction in _reductions(name):
        masked = _call(backend, name, case.args, {**case.kwargs, "reduction": reduction},
                       where=mask)
        expected = _call(backend, name, dropped_args, {**dropped_kwargs, "reduction": reduction})
        assert_close(masked, expected, rtol=RTOL, atol=ATOL, what=f"{name} {reduction} where")
    if not backend.has_grad or name in NO_INPUT_GRADIENT:
        return
    place = _first_floating(case.args)
    axis = BATCH_AXES.get(name, {}).get(place[0], 0)
    masked_loss = _loss_of(backend, name, case, case.args, place)
    _, (grad_masked,) = backend.value_and_grad(
        lambda x: masked_loss(x, where=backend.asarray(mask)), [_at(case.args, place)], (0,))
    _, (grad_dropped,) = backend.value_and_grad(
        _loss_of(backend, name, case, dropped_args, place), [_at(dropped_args, place)], (0,))
    assert_close(np.take(grad_masked, kept, axis=axis), grad_dropped, rtol=1e-8, atol=1e-10,
                 what=f"{name}: gradient at the kept samples")
    assert not np.any(np.take(grad_masked, np.flatnonzero(~keep), axis=axis)), \
        f"{name}: the masked samples have a non-zero gradient"


@pytest.mark.parametrize("name", LOSSES)
def test_zero_total_weight_is_zero(backend, name):
    case = _case(name)
    unreduced = _unreduced(name)
    zeros = np.zeros(unreduced.shape)
    for weighting in ({"sample_weight": zeros}, {"where": zeros > 0}):
        value = _call(backend, name, case.args, {**case.kwargs, "reduction": "mean"}, **weighting)
        assert value.shape == () and value == 0, f"{name} {weighting}: {value}"
    if not backend.has_grad:
        return
    place = _first_floating(case.args)
    loss = _loss_of(backend, name, case, case.args, place)
    _, grads = backend.value_and_grad(lambda x, w: loss(x, sample_weight=w),
                                      [_at(case.args, place), zeros], (0, 1))
    for grad, what in zip(grads, ("input", "sample_weight"), strict=True):
        assert np.all(grad == 0), f"{name}: gradient w.r.t. {what} at zero total weight"


@pytest.mark.parametrize("name", LOSSES)
def test_per_sample_weight_broadcasts(backend, name):
    case = _case(name)
    unreduced = _unreduced(name)
    weight = np.random.default_rng(2).uniform(0.5, 2.0, size=unreduced.shape[0])
    compact = _per_sample(weight, unreduced.ndim)
    full = np.broadcast_to(compact, unreduced.shape).copy()
    for reduction in (*_reductions(name), "none"):
        options = {**case.kwargs, "reduction": reduction}
        assert_close(_call(backend, name, case.args, options, sample_weight=compact),
                     _call(backend, name, case.args, options, sample_weight=full),
                     rtol=RTOL, atol=ATOL, what=f"{name} {reduction}: broadcast weight")
    for reduction, factor in (("sum", 2.5), ("mean", 1.0)):
        options = {**case.kwargs, "reduction": reduction}
        scalar = _call(backend, name, case.args, options, sample_weight=2.5)
        plain = _call(backend, name, case.args, options)
        assert_close(scalar, factor * plain, rtol=RTOL, atol=ATOL,
                     what=f"{name} {reduction}: scalar weight")


def _weighted_case(name: str, seed: int) -> tuple[Case, np.ndarray, np.ndarray, np.ndarray]:
    """The loss's case, its unreduced loss, and random weights and mask of that shape."""
    unreduced = _unreduced(name)
    rng = np.random.default_rng(seed)
    return (_case(name), unreduced, rng.uniform(0.5, 2.0, size=unreduced.shape),
            rng.uniform(size=unreduced.shape) > 0.3)


@pytest.mark.parametrize("name", LOSSES)
def test_gradient_of_sum_wrt_sample_weight_is_the_loss(grad_backend, name):
    case, unreduced, weight, mask = _weighted_case(name, seed=3)
    converted = _convert(grad_backend, case.args)
    options = _convert(grad_backend, case.kwargs)
    fn = getattr(ol, name)
    _, (grad,) = grad_backend.value_and_grad(
        lambda w: fn(*converted, **options, reduction="sum", sample_weight=w,
                     where=grad_backend.asarray(mask)), [weight], (0,))
    assert_close(grad, np.where(mask, unreduced, 0.0), rtol=1e-8, atol=1e-10,
                 what=f"{name}: d sum / d sample_weight")


@pytest.mark.parametrize("name", LOSSES)
def test_weighted_loss_traces(tracing_backend, name):
    case, _, weight, mask = _weighted_case(name, seed=5)
    fn = getattr(ol, name)
    options = _convert(tracing_backend, case.kwargs)
    arrays = [a for a in case.args if isinstance(a, np.ndarray)]
    positions = [i for i, a in enumerate(case.args) if isinstance(a, np.ndarray)]

    def weighted(*values: Any) -> Any:
        call_args = list(_convert(tracing_backend, case.args))
        for i, v in zip(positions, values[:-2], strict=True):
            call_args[i] = v
        return fn(*call_args, **options, reduction="mean", sample_weight=values[-2],
                  where=values[-1])

    inputs = tracing_backend.convert([*arrays, weight, mask])
    eager = tracing_backend.to_numpy(weighted(*inputs))
    traced = tracing_backend.to_numpy(tracing_backend.jit(weighted)(*inputs))
    assert_close(traced, eager, rtol=1e-10, atol=1e-12, what=f"{name}: traced weighted loss")


@pytest.mark.parametrize("name", LOSSES)
def test_weights_keep_the_dtype(backend, name):
    case = _case(name)
    args32, kwargs32 = _float32(case.args), _float32(case.kwargs)
    weight = np.ones(_unreduced(name).shape)  # float64
    value = _call(backend, name, args32, {**kwargs32, "reduction": "mean"}, sample_weight=weight)
    assert value.dtype == np.float32, f"{name}: a float64 sample_weight made {value.dtype}"


@pytest.mark.parametrize("name", LOSSES)
def test_bad_weighting_raises(backend, name):
    case = _case(name)
    fn: Callable[..., Any] = getattr(ol, name)
    args = _convert(backend, case.args)
    options = _convert(backend, case.kwargs)
    shape = _unreduced(name).shape
    assert_raises_named(TypeError, name, "where",
                        lambda: fn(*args, **options, where=backend.asarray(np.ones(shape))))
    assert_raises_named(TypeError, name, "sample_weight",
                        lambda: fn(*args, **options,
                                   sample_weight=backend.asarray(np.ones(shape, dtype=bool))))
    assert_raises_named(ValueError, name, "sample_weight",
                        lambda: fn(*args, **options,
                                   sample_weight=backend.asarray(np.ones((*shape, 7)))))


# keras's conventions (the keras Loss classes enter them; tests/keras_losses_probe.py checks the
# classes against keras's own on each keras backend)


def test_keras_weights_align_leading_axes_and_count(xp, backend):
    """Inside ``_reduction.keras_weights``: a per-sample weight of shape (N,) weights every
    element of its sample; ``count`` divides by the number of positions (the function's own
    divisor: non-ignored targets), not by the summed weights; a trailing axis of 1 is dropped."""
    from omniloss._reduction import keras_weights

    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    w = np.array([0.5, 2.0, 0.0, 1.0])
    elementwise = (x - y) ** 2
    args = [backend.asarray(a) for a in (x, y, w)]
    with keras_weights(count=True):
        counted = ol.mse_loss(*args[:2], sample_weight=args[2])
    with keras_weights(count=False):
        weighted = ol.mse_loss(*args[:2], sample_weight=args[2])
    assert_close(backend.to_numpy(counted), (w[:, None] * elementwise).sum() / 12, rtol=1e-12,
                 atol=0, what="count")
    assert_close(backend.to_numpy(weighted), (w[:, None] * elementwise).sum() / (3 * w.sum()),
                 rtol=1e-12, atol=0, what="weighted mean")

    logits, labels = rng.normal(size=(4, 5)), np.array([1, -100, 3, 0])
    per_sample = -np.log(np.exp(logits) / np.exp(logits).sum(1, keepdims=True))[
        np.arange(4), np.maximum(labels, 0)] * (labels >= 0)
    with keras_weights(count=True):
        got = ol.cross_entropy(backend.asarray(logits), backend.asarray(labels),
                               sample_weight=backend.asarray(w[:, None]))  # (N, 1): squeezed
    assert_close(backend.to_numpy(got), (w * per_sample).sum() / 3, rtol=1e-12, atol=0,
                 what="count of the non-ignored targets")


def test_keras_weights_end_with_the_block(xp, backend):
    """Outside the block the numpy rule holds again: a (4,) weight against a (4, 3) loss is a
    shape error."""
    from omniloss._reduction import keras_weights

    x = backend.asarray(np.ones((4, 3)))
    with keras_weights(count=True):
        ol.mse_loss(x, x, sample_weight=backend.asarray(np.ones(4)))
    with pytest.raises(ValueError, match="sample_weight must broadcast"):
        ol.mse_loss(x, x, sample_weight=backend.asarray(np.ones(4)))
