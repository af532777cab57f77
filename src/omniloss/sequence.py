"""Sequence losses: alignment-free objectives between an input sequence and a label sequence.

``ctc_loss`` is Connectionist Temporal Classification (Graves et al., 2006) in the layout of
``torch.nn.functional.ctc_loss``: time-major ``(T, N, C)`` log-probabilities, padded ``(N, S)`` or
concatenated targets, and per-sample lengths. The forward recursion runs in log space, vectorised
over the batch and the extended label axis, with one loop over time
(:func:`omniloss._primitives.fold`: ``jax.lax.scan``, ``tf.foldl``, a Python loop elsewhere), and
autodiff of it gives the gradient. Eager torch on CPU and CUDA runs an ``autograd.Function``
instead (the fused kernel ``"ctc_loss"`` of its record): the alphas from torch's own CTC kernel,
the gradient from the adjoint recursion run backwards over them.
``sample_weight`` and ``where`` weigh and mask whole sequences: they broadcast against the
per-sequence losses, shape ``(N,)``.
"""

from __future__ import annotations

import functools
import math
import operator
from collections.abc import Sequence
from types import ModuleType
from typing import Any, NamedTuple

from omniloss._boundary import reads_arrays
from omniloss._primitives import (
    clamp,
    ctc_impossible,
    dim,
    fold,
    fused,
    logsumexp,
    stop_gradient,
    take_along_axis,
    take_classes,
    unreachable_log,
)
from omniloss._reduction import reduce, weighting_args
from omniloss._validation import class_ids, ctc_inputs, nan_where

Array = Any

__all__ = ["ctc_forward_probabilities", "ctc_loss"]

_NAME = "ctc_loss"
_FORWARD = "ctc_forward_probabilities"


def _padded_targets(xp: ModuleType, targets: Array, target_lengths: Array,
                    max_length: int, device: Any) -> Array:
    """Concatenated 1-D targets split by ``target_lengths`` into a padded ``(N, max_length)``.

    Row ``n`` reads ``targets[offset_n : offset_n + max_length]`` with ``offset_n`` the cumulative
    length of the rows before it; positions past the end are clamped to the last label (they lie
    beyond ``target_lengths[n]`` and are never read by the recursion).
    """
    total = targets.shape[0]
    offsets = xp.cumulative_sum(target_lengths) - target_lengths
    positions = (xp.expand_dims(offsets, axis=1)
                 + xp.expand_dims(xp.arange(max_length, dtype=offsets.dtype, device=device),
                                  axis=0))
    positions = xp.clip(positions, 0, max(total - 1, 0))
    return take_classes(xp, targets, positions)


class _Labelled(NamedTuple):
    """Validated CTC inputs, batched, with the extended labels the recursion runs over."""

    xp: ModuleType
    log_probs: Array  # (T, N, C)
    extended: Array  # (N, 2S+1) class ids: blank, y_1, blank, ..., y_S, blank
    blank: int
    skip: Array  # (N, 2S+1): state s may be reached from s - 2 (y'_s != y'_{s-2})
    input_lengths: Array  # (N,)
    target_lengths: Array  # (N,)
    max_length: Any  # S: an int, or a 0-d array under tf.function
    zero_infinity: bool
    unbatched: bool
    invalid: Array | None  # (N,): a length or label breaks the class-id rule
    device: Any


def _labelled(name: str, log_probs: Array, targets: Array, input_lengths: Any,
              target_lengths: Any, blank: Any, zero_infinity: Any, reduction: Any,
              sample_weight: Any, where: Any) -> _Labelled:
    """The inputs of ``ctc_loss`` (and ``ctc_forward_probabilities``) validated, the lengths and
    labels under the class-id rule, the targets padded and extended with blanks."""
    (xp, log_probs, targets, input_lengths, target_lengths, blank, zero_infinity, unbatched,
     max_length, device) = ctc_inputs(name, log_probs, targets, input_lengths, target_lengths,
                                      blank, zero_infinity, reduction, sample_weight, where)
    batch = dim(xp, log_probs, 1)
    if max_length is None:  # padded targets of unknown length S (tf.function)
        max_length = dim(xp, targets, 1)
    # lengths follow the class-id rule: 0 <= input_lengths <= T, 0 <= target_lengths <= S (the
    # number of concatenated targets)
    frames, labels = log_probs.shape[0], targets.shape[-1]
    input_lengths, bad_inputs = class_ids(name, xp, "input_lengths", input_lengths,
                                          None if frames is None else frames + 1, kind="length")
    target_lengths, bad_lengths = class_ids(name, xp, "target_lengths", target_lengths,
                                            None if labels is None else labels + 1,
                                            kind="length")
    if targets.ndim == 1:  # concatenated
        targets = _padded_targets(xp, targets, target_lengths, max_length, device)
    past_end = (xp.expand_dims(xp.arange(max_length, dtype=target_lengths.dtype, device=device),
                               axis=0) >= xp.expand_dims(target_lengths, axis=1))
    targets, bad_labels = class_ids(name, xp, "targets", targets, log_probs.shape[2],
                                    blank=blank, unread=past_end)
    invalid = [flags for flags in (None if bad_labels is None else xp.any(bad_labels, axis=1),
                                   bad_inputs, bad_lengths) if flags is not None]

    blanks = xp.full((batch, max_length), blank, dtype=targets.dtype, device=device)
    extended = xp.reshape(xp.stack([blanks, targets], axis=2), (batch, 2 * max_length))
    extended = xp.concat(
        [extended, xp.full((batch, 1), blank, dtype=targets.dtype, device=device)], axis=1)
    # y'_s != y'_{s-2}, False for s < 2 (compared with itself); every target empty (S = 0, a
    # single blank state, a static size): nothing to skip, and no slice of two states to take
    if isinstance(max_length, int) and max_length == 0:
        skip = xp.zeros_like(extended, dtype=xp.bool)
    else:
        skip = extended != xp.concat([extended[:, :2], extended[:, :-2]], axis=1)
    return _Labelled(xp, log_probs, extended, blank, skip, input_lengths, target_lengths,
                     max_length, zero_infinity, unbatched,
                     functools.reduce(operator.or_, invalid) if invalid else None, device)


def _advance(xp: ModuleType, alpha: Array, emission: Array, active: Array, skip: Array,
             unreached: Array) -> Array:
    """One frame of the forward recursion: ``alpha_t`` from ``alpha_{t-1}``, both ``(N, 2S+1)``.

    Stay, advance one state, or skip a blank (where ``skip``); one ``logsumexp`` over the three
    stacked candidates. Unreachable states hold the finite ``unreached`` floor instead of ``-inf``
    (clamped each frame so it cannot drift to ``-inf``): every ``logsumexp`` has a finite maximum,
    so no NaN enters the gradient, and the floor's weight ``exp(floor - max)`` is exactly 0 next
    to any reachable state. Samples whose frames are over (``active`` false) keep their ``alpha``.
    """
    shifted = xp.concat([unreached, alpha], axis=1)
    floor = unreached[:, :1]
    two_back = xp.where(skip, shifted[:, :-2], floor)
    candidates = xp.stack([alpha, shifted[:, 1:-1], two_back], axis=2)
    advanced = xp.maximum(logsumexp(xp, candidates, axis=2) + emission, floor)
    return xp.where(xp.expand_dims(active, axis=1), advanced, alpha)


def _forward(xp: ModuleType, log_probs: Array, extended: Array, skip: Array,
             input_lengths: Array, *, stack: bool, device: Any) -> tuple[Array, Array]:
    """The forward recursion over the extended labels: its last ``(N, 2S+1)`` alphas (every
    frame's, ``(T, N, 2S+1)``, with ``stack``), and which frames are active, ``(T, N)``."""
    steps, batch, dtype = dim(xp, log_probs, 0), dim(xp, log_probs, 1), log_probs.dtype
    states = dim(xp, extended, 1)
    floor = unreachable_log(xp, dtype)
    emissions = take_along_axis(
        xp, log_probs,
        xp.broadcast_to(xp.expand_dims(extended, axis=0), (steps, batch, states)), axis=2)
    emissions = clamp(xp, emissions, min=floor)
    frames = xp.arange(steps, dtype=input_lengths.dtype, device=device)
    active = xp.expand_dims(frames, axis=1) < xp.expand_dims(input_lengths, axis=0)
    unreached = xp.full((batch, 2), floor, dtype=dtype, device=device)

    # Before the first frame, all mass sits on a virtual state left of s = 0; one step of the
    # recursion from it puts log_probs[0] on s = 0 and s = 1, and T_n = 0 keeps it (loss 0 for an
    # empty target, inf otherwise, as torch).
    first = xp.expand_dims(xp.arange(states, device=device) == 0, axis=0)
    start = xp.where(first, xp.zeros((batch, states), dtype=dtype, device=device), floor)
    alphas = fold(xp, _advance, start, (emissions, active), (skip, unreached), stack=stack)
    return alphas, active


def _sequence_losses(xp: ModuleType, log_probs: Array, extended: Array, skip: Array,
                     input_lengths: Array, target_lengths: Array, *, blank: int,
                     max_length: Any, zero_infinity: bool, counted: Array | None,
                     device: Any) -> Array:
    """The ``(N,)`` losses of validated inputs over the extended labels ``extended`` (``(N, 2S+1)``
    class ids, ``skip`` where a state may be reached from two states back; ``blank``, the class
    of their even states, is read there, and given for a kernel that takes plain labels): the
    forward recursion, ``inf`` (0 with ``zero_infinity``) where no alignment exists, and torch's
    gradient (see :func:`ctc_loss`); NaN gradients on an impossible sequence's frames unless
    ``zero_infinity``, or ``counted`` (``where`` as ``(N,)``, ``None`` for all) is false there.

    The one implementation, run as it is on every backend but torch, whose record holds a fused
    kernel of it (:func:`omniloss._primitives.fused`, ``"ctc_loss"``).
    """
    dtype = log_probs.dtype
    floor = unreachable_log(xp, dtype)
    alpha, active = _forward(xp, log_probs, extended, skip, input_lengths, stack=False,
                             device=device)

    lengths = xp.clip(target_lengths, 0, max_length)
    last = xp.expand_dims(2 * lengths, axis=1)
    end_blank = take_along_axis(xp, alpha, last, axis=1)[:, 0]
    end_label = take_along_axis(xp, alpha, xp.clip(last - 1, 0, None), axis=1)[:, 0]
    end_label = xp.where(lengths > 0, end_label, floor)
    nll = -logsumexp(xp, xp.stack([end_blank, end_label], axis=1), axis=1)
    impossible = ctc_impossible(nll, target_lengths, max_length, floor)

    # torch's backward adds exp(log_probs) on every active frame: a term of value exactly 0
    # (also where exp overflows) and gradient exp(log_probs).
    probs = xp.exp(log_probs)
    gradient_only = xp.where(probs < math.inf, probs - stop_gradient(xp, probs), 0.0)
    frame_weight = xp.astype(active, dtype)
    if not zero_infinity:
        # NaN on an impossible sequence's frames, unless ``where`` leaves it out
        nan_frames = impossible if counted is None else impossible & counted
        frame_weight = xp.where(xp.expand_dims(nan_frames, axis=0) & active, math.nan,
                                frame_weight)
    correction = xp.sum(xp.sum(gradient_only, axis=2) * frame_weight, axis=0)
    return xp.where(impossible, 0.0 if zero_infinity else math.inf, nll + correction)


@reads_arrays
@weighting_args("one value per sequence, shape ``(N,)``, ``()`` unbatched; for "
                '``"mean"`` they weigh each sequence\'s loss divided by its target length: '
                "``sum(w * m * loss / max(target_lengths, 1)) / sum(w * m)``")
def ctc_loss(log_probs: Array, targets: Array, input_lengths: Array | Sequence[int],
             target_lengths: Array | Sequence[int], *, blank: int = 0,
             zero_infinity: bool = False, reduction: str = "mean",
             sample_weight: Array | None = None, where: Array | None = None) -> Array:
    """Connectionist Temporal Classification loss (Graves et al., 2006), as ``F.ctc_loss``.

    For sample ``n`` with label sequence ``y`` of length ``L = target_lengths[n]`` and
    ``T_n = input_lengths[n]`` frames, ``loss_n = -log sum_{pi in B^-1(y)} prod_{t < T_n}
    exp(log_probs[t, n, pi_t])``, where ``B`` removes repeats and then blanks. It is computed by
    the forward recursion over the extended labels ``y' = (blank, y_1, blank, ..., y_L, blank)``::

        alpha_t(s) = log_probs[t, y'_s] + logsumexp(alpha_{t-1}(s), alpha_{t-1}(s-1),
                                                    alpha_{t-1}(s-2) if y'_s != y'_{s-2})
        loss_n = -logsumexp(alpha_{T_n - 1}(2L), alpha_{T_n - 1}(2L - 1))

    all in log space, so long sequences do not underflow. No alignment (``L`` plus the number of
    repeated neighbours exceeds ``T_n``) gives ``inf``, or 0 with ``zero_infinity``. Such a
    sequence is best left out with ``where`` (its ``inf`` never reaches the result and its
    frames get a zero gradient, as if it were not in the batch); a ``sample_weight`` of 0 gives
    ``0 * inf = NaN``, as in Keras.

    The gradient is torch's: the derivative of the recursion w.r.t. ``log_probs`` taken as free
    variables, **plus** ``exp(log_probs[t, n, :])`` for every frame ``t < T_n`` (torch's backward
    formula ``exp(lp) - exp(log(alpha * beta) + loss - lp)``). The extra term sums to zero
    through a ``log_softmax``, so the gradient w.r.t. the logits equals ``tf.nn.ctc_loss``'s and
    ``optax.ctc_loss``'s. As in torch, an impossible sample has NaN gradients on its frames
    ``t < T_n``, and with ``zero_infinity`` a zero gradient; frames ``t >= T_n`` get 0.

    ``"mean"`` divides each sequence's loss by its target length, clamped at 1, then takes the
    batch mean (weighted by ``sample_weight`` and ``where``).

    Args:
        log_probs: ``(T, N, C)`` log-probabilities (time-major), or ``(T, C)`` for one sample;
            floating.
        targets: integer labels, padded ``(N, S)`` (only the first ``target_lengths[n]`` of row
            ``n`` are read), or all targets concatenated in 1-D (``(sum(target_lengths),)``). For
            ``(T, C)`` input, ``(S,)`` or ``(1, S)``. Labels lie in ``[0, C)`` and are not
            ``blank``.
        input_lengths: frames per sample, ``<= T``: an integer array of shape ``(N,)`` (``()``
            or ``(1,)`` unbatched), or a tuple/list of ``N`` ints (an int when unbatched).
        target_lengths: labels per sample, ``<= S``: same forms as ``input_lengths``.
        blank: the blank class, in ``[0, C)``.
        zero_infinity: replace infinite losses (and their gradients) by zero.

    Defined by ``torch.nn.functional.ctc_loss``, values and gradients, except:

    * Lengths and labels follow the class-id rule (README, "Errors"): ``ValueError`` where the
      arrays can be read now (torch raises too), a NaN loss for the sequence under tracing, for
      a length outside ``0 <= input_lengths <= T``, ``0 <= target_lengths <= S`` (the number of
      concatenated targets), or a label outside ``[0, C)`` or equal to ``blank`` within its
      target's length. Concatenated lengths summing to the size of ``targets`` are checked only
      when given as Python ints; as arrays, a target length above ``T`` gives ``inf``.
    * An empty batch or ``T = 0`` is accepted (torch raises); float targets are refused (torch
      takes them).
    * A ``-inf`` log-probability (a masked class) on an active frame gets a zero gradient;
      torch's is NaN there (``exp(-inf) - exp(-inf + inf)``). One so large that ``exp``
      overflows (not a log-probability) gets NaN; torch's is ``inf``.
    * A blank inside a target is refused (torch documents it as invalid but does not check;
      its gradient then is not the derivative of its value).
    * Unreachable states hold the finite floor ``finfo.min / 4`` rather than ``-inf`` and a loss
      above ``finfo.max / 8`` counts as impossible: no effect in float32/64, but a float16 loss
      above 8188 reads as ``inf``.

    Concatenated targets are laid out as ``(N, S_max)`` with a static ``S_max``:
    ``max(target_lengths)`` for Python ints, else ``min(len(targets), T)`` (a longer target
    cannot align); padded targets or int lengths give the tightest layout. ``tf.nn.ctc_loss``
    and ``optax.ctc_loss`` take logits (they apply ``log_softmax``) and return per-sample losses,
    equal to these up to rounding; on impossible alignments they give finite values (about 708
    and 1e5) instead of ``inf``.

    Example:
        >>> import array_api_strict as xp
        >>> import omniloss as ol
        >>> log_probs = xp.log(xp.full((3, 1, 2), 0.5))  # 3 frames, classes {blank, 1}
        >>> ol.ctc_loss(log_probs, xp.asarray([[1]]), (3,), (1,), reduction="sum")  # -log(6/8)
        Array(0.28768207, dtype=array_api_strict.float64)
    """
    labels = _labelled(_NAME, log_probs, targets, input_lengths, target_lengths, blank,
                       zero_infinity, reduction, sample_weight, where)
    xp, batch, dtype = labels.xp, dim(labels.xp, labels.log_probs, 1), labels.log_probs.dtype
    counted = (None if labels.zero_infinity or where is None
               else _per_sequence(xp, where, batch))
    losses = fused(xp, "ctc_loss", _sequence_losses)
    loss = losses(xp, labels.log_probs, labels.extended, labels.skip, labels.input_lengths,
                  labels.target_lengths, blank=labels.blank, max_length=labels.max_length,
                  zero_infinity=labels.zero_infinity, counted=counted, device=labels.device)
    loss = nan_where(xp, loss, labels.invalid)

    if reduction == "mean":
        loss = loss / xp.astype(xp.clip(labels.target_lengths, 1, None), dtype)
    if labels.unbatched:
        loss = xp.reshape(loss, ())
    return reduce(xp, loss, reduction, sample_weight, where, name=_NAME)


@reads_arrays
def ctc_forward_probabilities(log_probs: Array, targets: Array,
                              input_lengths: Array | Sequence[int],
                              target_lengths: Array | Sequence[int], *, blank: int = 0) -> Array:
    """CTC's forward variables (Graves et al., 2006): every frame's log-alphas over the extended
    labels, the lattice behind :func:`ctc_loss`.

    For sample ``n`` with extended labels ``y' = (blank, y_1, blank, ..., y_L, blank)``::

        alpha[t, n, s] = log sum over the paths of frames 0..t that emit y'_1..y'_s (repeats
                         and blanks collapsed) and stand on state s at frame t
                       = log_probs[t, n, y'_s] + logsumexp(alpha[t-1, n, s],
                             alpha[t-1, n, s-1], alpha[t-1, n, s-2] if y'_s != y'_{s-2})

    so that ``ctc_loss(..., reduction="none")[n] = -logaddexp(alpha[-1, n, 2L],
    alpha[-1, n, 2L - 1])`` (``-alpha[-1, n, 0]`` for ``L = 0``). Frames ``t >= T_n`` repeat
    frame ``T_n - 1``'s alphas (the start, 0 at ``s = 0``, for ``T_n = 0``), so ``alpha[-1]``
    is each sequence's last frame. An unreachable state is ``-inf``, as is every state past
    ``2L`` (the padding's labels are not the target's). The gradient is autodiff's through the
    recursion (on torch through a Python loop over frames: ``ctc_loss``'s fused kernel
    returns no alphas).

    Args:
        log_probs: ``(T, N, C)`` log-probabilities (time-major), or ``(T, C)`` for one sample;
            floating.
        targets: integer labels, padded ``(N, S)`` or concatenated 1-D, as in :func:`ctc_loss`.
        input_lengths: frames per sample, ``<= T``, as in :func:`ctc_loss`.
        target_lengths: labels per sample, as in :func:`ctc_loss`.
        blank: the blank class, in ``[0, C)``.

    Returns:
        ``(T, N, 2S + 1)`` log-alphas in ``log_probs``'s dtype (``(T, 2S + 1)`` for ``(T, C)``
        input), ``S`` the padded target length (as :func:`ctc_loss` lays concatenated targets
        out). A sequence whose lengths or labels break the class-id rule (see
        :func:`ctc_loss`) is NaN throughout, or raises ``ValueError`` where the arrays can be
        read now.

    Defined by ``optax.losses.ctc_loss_with_forward_probs``: its ``logalpha_blank`` is
    ``alpha[..., 0::2]`` and its ``logalpha_nonblank`` ``alpha[..., 1::2]``, both ``(T, N, .)``
    as here, when optax's ``logits`` are ``log_probs`` transposed to ``(N, T, C)`` (or logits:
    it applies ``log_softmax``) and its paddings are ``1 - (t < input_lengths)`` and
    ``1 - (s < target_lengths)``. Differences: optax's unreachable states hold multiples of its
    ``log_epsilon`` (-1e5) where these are ``-inf``; its states past ``2L`` run on through the
    padding labels; and its last frame's ``logalpha_blank[-1, n, k]`` adds the label state
    before it (``logaddexp(alpha[-1, n, 2k], alpha[-1, n, 2k - 1])``, its read-out of the
    loss). Its loss, ``ctc_loss(..., reduction="none")`` on
    ``log_softmax`` of the logits, is not returned: call :func:`ctc_loss` for a loss with
    torch's gradient (a second recursion), or read it off the alphas as above.

    Example:
        >>> import array_api_strict as xp
        >>> import omniloss as ol
        >>> log_probs = xp.log(xp.full((3, 1, 2), 0.5))  # 3 frames, classes {blank, 1}
        >>> alpha = ol.ctc_forward_probabilities(log_probs, xp.asarray([[1]]), (3,), (1,))
        >>> xp.exp(alpha[:, 0, :])  # states (blank, 1, blank)
        Array([[0.5  , 0.5  , 0.   ],
               [0.25 , 0.5  , 0.25 ],
               [0.125, 0.375, 0.375]], dtype=array_api_strict.float64)
    """
    labels = _labelled(_FORWARD, log_probs, targets, input_lengths, target_lengths, blank,
                       False, "none", None, None)
    xp = labels.xp
    alphas, _ = _forward(xp, labels.log_probs, labels.extended, labels.skip,
                         labels.input_lengths, stack=True, device=labels.device)
    # -inf where unreachable: below the floor's scale, or past the target's last state
    states = xp.arange(dim(xp, alphas, 2), dtype=labels.target_lengths.dtype,
                       device=labels.device)
    within = xp.expand_dims(states, axis=0) <= 2 * xp.expand_dims(labels.target_lengths, axis=1)
    reached = (alphas > unreachable_log(xp, alphas.dtype) / 2) & xp.expand_dims(within, axis=0)
    alphas = xp.where(reached, alphas, -math.inf)
    if labels.invalid is not None:  # the sequence's column, every frame and state
        alphas = nan_where(xp, alphas, xp.expand_dims(labels.invalid, axis=1))
    return alphas[:, 0, :] if labels.unbatched else alphas


def _per_sequence(xp: ModuleType, where: Array, batch: int) -> Array:
    """``where`` (broadcasting to ``(N,)``; 0-d unbatched) as a ``(batch,)`` boolean array."""
    return xp.broadcast_to(where, (batch,))
