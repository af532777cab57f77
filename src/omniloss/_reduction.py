"""The one reduction every loss ends with, ``sample_weight`` and ``where`` included, and the
shared text of its arguments.

Every loss computes its unreduced loss ``l`` (the ``reduction="none"`` result) and hands it to
:func:`reduce` with the caller's ``sample_weight`` ``w`` and mask ``where`` ``m``, both broadcast
against ``l``:

- ``"none"``: ``w * l`` where ``m`` holds, else 0 (a masked position's value never reaches the
  result, even when it is NaN or inf);
- ``"sum"``: the sum of that;
- ``"mean"``: ``sum(w * l * m) / sum(w * c * m)``, ``c`` the loss's own per-position weight
  (torch's class ``weight[y]`` of the non-ignored targets) or 1: keras's
  ``mean_with_sample_weight``, and torch's rule for class weights. Without ``sample_weight`` and
  ``where`` every number is today's (torch's NaN when every target is ignored stays); with either
  given, a mean over a total weight of 0 (everything masked) is 0, with a zero gradient.
- ``"batchmean"`` (KL divergences): the mean times the number of elements per sample, i.e. the
  sum divided by the (weighted) number of samples.

Gradients flow to ``sample_weight``. Weights are cast to the loss's dtype (they never change it,
as keras casts them) and are not checked by value (a check on values cannot trace): a negative
weight is used as given.

Inside :func:`keras_weights` (the keras ``Loss`` classes enter it), weights and masks follow
keras's conventions instead: they align with the unreduced loss's *leading* axes (a per-sample
weight of shape ``(N,)`` weights every element of sample ``n``), and keras's
``"sum_over_batch_size"`` divides by the number of positions, not by the summed weights.
"""

from __future__ import annotations

import contextvars
import math
import textwrap
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from types import ModuleType
from typing import Any, TypeVar

from omniloss._primitives import dim, reduce_all
from omniloss._validation import REDUCTIONS, as_float, check_broadcastable, shape_of

Array = Any
Function = TypeVar("Function", bound=Callable[..., Any])

_ELEMENTWISE = "the elementwise loss, the input's shape"

_KERAS: contextvars.ContextVar[bool | None] = contextvars.ContextVar("omniloss_keras_weights",
                                                                     default=None)
"""Inside :func:`keras_weights`: whether ``"mean"`` divides by the count (keras's
``"sum_over_batch_size"``); ``None`` outside."""


@contextmanager
def keras_weights(count: bool) -> Iterator[None]:
    """Within: ``sample_weight`` and ``where`` of lower rank than the unreduced loss align with
    its leading axes (keras's per-sample weights; one trailing axis of size 1 beyond the loss's
    rank is dropped, as keras does), and with ``count``, ``"mean"`` and ``"batchmean"`` divide
    by the loss's own divisor over the unmasked positions, without the weights (keras's
    ``"sum_over_batch_size"``: ``sum(w * l * m) / sum(m)``)."""
    token = _KERAS.set(count)
    try:
        yield
    finally:
        _KERAS.reset(token)


def leading_axes(xp: ModuleType, x: Array | None, ndim: int) -> Array | None:
    """``x`` with trailing axes of size 1 until it has ``ndim`` axes, so it broadcasts along the
    leading axes of an ``ndim``-d loss (keras's alignment; a per-sample ``(N,)`` weight on an
    ``(N, C, ...)`` loss); one trailing axis of size 1 beyond ``ndim`` is dropped."""
    if x is None or not hasattr(x, "ndim"):
        return x
    if x.ndim == ndim + 1 and shape_of(x)[-1] == 1:
        return xp.squeeze(x, axis=-1)
    while x.ndim < ndim:
        x = xp.expand_dims(x, axis=-1)
    return x


def reduce(xp: ModuleType, loss: Array, reduction: str, sample_weight: Array | None = None,
           where: Array | None = None, *, name: str = "", divisor: Array | None = None) -> Array:
    """Reduce the unreduced ``loss`` by ``reduction``, weighted by ``sample_weight`` and masked
    by ``where`` (see the module's docstring).

    ``divisor`` is the loss's own per-position weight (the class weights of the non-ignored
    targets, loss-shaped), whose sum divides ``"mean"``; ``None`` counts every position once.
    ``name`` is the public function's, for the error a misshapen weight raises.
    """
    if sample_weight is None and where is None:
        if reduction == "none":
            return loss
        if reduction == "batchmean":
            if loss.ndim == 0:
                return loss
            total = reduce_all(xp, loss, reduction="sum")
            return total / dim(xp, loss, 0, dtype=total.dtype)
        if divisor is not None and reduction == "mean":
            return (reduce_all(xp, loss, reduction="sum")
                    / reduce_all(xp, divisor, reduction="sum"))
        if loss.ndim == 0:  # its mean and sum are itself; a kernel would cost a call
            return loss
        return reduce_all(xp, loss, reduction=reduction)
    count = _KERAS.get()
    if count is not None:
        sample_weight = leading_axes(xp, sample_weight, loss.ndim)
        where = leading_axes(xp, where, loss.ndim)
    shape = shape_of(loss)
    check_broadcastable(name, "sample_weight", sample_weight, shape)
    check_broadcastable(name, "where", where, shape)
    if sample_weight is not None:
        sample_weight = as_float(xp, sample_weight, loss.dtype)  # unchanged if already so
    weighted = _masked(xp, loss if sample_weight is None else loss * sample_weight, where)
    if reduction == "none":
        return weighted
    total = xp.sum(weighted)
    if reduction == "sum":
        return total
    mass_weight = None if count else sample_weight  # keras's count leaves the weights out
    if divisor is not None:
        mass = xp.sum(_masked(xp, divisor if mass_weight is None else divisor * mass_weight,
                              where))
    elif mass_weight is None and where is None:
        mass = _broadcast_total(xp, xp.ones_like(total), loss)
    else:
        mass = _broadcast_total(xp, _weight_mass(xp, mass_weight, where, loss.dtype), loss)
    if reduction == "batchmean" and len(shape) > 1:  # the weighted number of samples
        mass = mass / _size(xp, loss[0, ...])
    empty = mass == 0
    return xp.where(empty, 0.0, total / xp.where(empty, 1.0, mass))


def _masked(xp: ModuleType, x: Array, where: Array | None) -> Array:
    return x if where is None else xp.where(where, x, 0.0)


def _weight_mass(xp: ModuleType, sample_weight: Array | None, where: Array | None,
                 dtype: Any) -> Array:
    """``w * m`` in the smaller shape the two broadcast to (not yet to the loss's shape)."""
    if sample_weight is None:
        return xp.astype(where, dtype)
    return _masked(xp, sample_weight, where)


def _broadcast_total(xp: ModuleType, part: Array, loss: Array) -> Array:
    """``sum(broadcast_to(part, loss.shape))`` without forming the broadcast array when the
    shapes are static: each entry of ``part`` is repeated ``loss.size / part.size`` times."""
    full, own = _static(shape_of(loss)), _static(shape_of(part))
    # unknown sizes (tf.function) may differ even where the static shapes read alike
    if full is None or own is None or math.prod(own) == 0:
        return xp.sum(part * xp.ones_like(loss))
    if own == full:
        return xp.sum(part)
    return xp.sum(part) * (math.prod(full) // math.prod(own))


def _static(shape: tuple[int | None, ...]) -> tuple[int, ...] | None:
    """``shape`` if every size is known (``None`` under ``tf.function`` with an unknown size)."""
    return None if None in shape else shape  # type: ignore[return-value]


def _size(xp: ModuleType, x: Array) -> Any:
    """The number of elements of ``x``: an int where the shape is static, else counted as an
    array, so an unknown batch size under ``tf.function`` traces."""
    shape = _static(shape_of(x))
    return math.prod(shape) if shape is not None else xp.sum(xp.ones_like(x))


# The shared Args text of reduction, sample_weight and where


def _args_text(entries: dict[str, str]) -> str:
    """Args entries in the docstrings' layout: 8 spaces, continuation lines 12."""
    return "".join(textwrap.fill(f"{argument}: {entry}", width=96, initial_indent=" " * 8,
                                 subsequent_indent=" " * 12, break_on_hyphens=False) + "\n"
                   for argument, entry in entries.items())


def _reduction_text(choices: Sequence[str]) -> str:
    quoted = [f'``"{c}"``' for c in choices]
    return ", ".join(quoted[:-1]) + " or " + quoted[-1]


def weighting_args(unreduced: str = _ELEMENTWISE, *, reductions: Sequence[str] = REDUCTIONS,
                   inputs: dict[str, str] | None = None) -> Callable[[Function], Function]:
    """Complete the decorated loss's docstring: append the shared Args entries for
    ``reduction``, ``sample_weight`` and ``where`` to its Args section and write its Returns
    section.

    ``unreduced`` says what the unreduced loss is, so what the weights align with (for most
    losses the elementwise loss; one value per sample or sequence for others). ``inputs``:
    Args entries shared by a family (``{"input": "predictions, ..."}``), written first.
    """
    entries = {
        "reduction": f"{_reduction_text(reductions)}.",
        "sample_weight": (f"optional weights, broadcast against the unreduced loss ({unreduced});"
                          " an integer or floating array or a number, cast to the loss's dtype."
                          ' ``"mean"`` divides by the summed weights. Gradients flow to it; its'
                          " values are not checked."),
        "where": ("optional boolean mask broadcast the same way; positions where it is False"
                  ' contribute nothing (0 for ``"none"``, left out of the sum and the divisor).'
                  " Unlike optax's ``where=`` on a softmax loss, which masks classes out of the"
                  " log-sum-exp when it has the logits' shape, this masks positions of the"
                  " unreduced loss: a per-example optax mask gives the same numbers."),
    }
    text, leading = _args_text(entries), _args_text(inputs or {})

    returns = textwrap.fill(
        f'The reduced loss, a 0-d array; for ``"none"``, the unreduced loss ({unreduced}) times'
        f" ``sample_weight``, 0 where ``where`` is False.", width=96,
        initial_indent=" " * 8, subsequent_indent=" " * 8, break_on_hyphens=False)

    def decorate(function: Function) -> Function:
        doc = function.__doc__ or ""
        opening = doc.find("\n    Args:\n") + len("\n    Args:\n")
        closing = doc.find("\n\n", opening - 1)  # the blank line after the function's own Args
        if opening < len("\n    Args:\n") or closing < 0 or "\n    Returns:" in doc:
            raise AssertionError(f"{function.__name__}: the docstring needs an Args: section "
                                 f"followed by a blank line, and no Returns: (written here)")
        own = doc[opening:closing + 1]
        function.__doc__ = (doc[:opening] + leading + own + text + "\n    Returns:\n" + returns
                            + "\n" + doc[closing + 1:])
        return function

    return decorate



def reduce_kernel(xp: ModuleType, kernel: Callable[[str], Array], reduction: str,
                  sample_weight: Array | None, where: Array | None, *, name: str,
                  divisor: Callable[[], Array] | None = None) -> Array:
    """A loss whose kernel reduces by itself (``F.mse_loss``, a fused whole-loss kernel):
    ``kernel(reduction)`` without weights or mask, so the kernel's own reduction runs; with them,
    ``kernel("none")`` reduced by :func:`reduce`, whose ``"mean"`` divides by ``divisor()``
    (computed only then: torch's class weights of the non-ignored targets) where given."""
    if sample_weight is None and where is None:
        return kernel(reduction)
    return reduce(xp, kernel("none"), reduction, sample_weight, where, name=name,
                  divisor=divisor() if divisor is not None and reduction == "mean" else None)
