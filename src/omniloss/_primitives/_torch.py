"""Everything native to PyTorch: its elementwise kernels, its fused whole-loss kernels
(``F.cross_entropy``, ``F.nll_loss``; CTC's alphas from its kernel with our gradient, an
``autograd.Function``), ``detach``, ``checkpoint``, the tensor reductions, and int64 gathers.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from types import ModuleType
from typing import Any

from omniloss._primitives import _portable
from omniloss._primitives._backend import Array, Axis, Backend

_CTC_BLOCK = 16
"""Frames whose softmaxes CTC's backward computes at once: at T=200, N=16, C=32, S=40 a buffer
of a quarter of the alphas', forward+backward in 13.5 ms (median of 4 runs, one thread): 8
frames took 14.3 ms, 32 and 64 frames 13.1 and 13.0 ms at twice and four times the buffer."""


def build() -> Backend:
    """PyTorch's record (array-api-compat's ``torch`` namespace); imports torch."""
    import torch
    import torch.nn.functional as F
    from array_api_compat import torch as torch_xp
    from torch.utils.checkpoint import checkpoint as torch_checkpoint

    def gather_index(xp: ModuleType, index: Array) -> Array:
        # torch's gathers and losses take int64 class ids only
        return index if index.dtype == xp.int64 else xp.astype(index, xp.int64)

    def readable(x: Array) -> bool:
        # a plain CPU tensor outside torch.compile and the torch.func transforms (whose
        # wrappers, like FakeTensor and other subclasses, hold no readable data)
        return (type(x) is torch.Tensor and x.device.type == "cpu"
                and not torch.compiler.is_compiling()
                and not torch._C._functorch.is_functorch_wrapped_tensor(x))

    def values_now(x: Array) -> Array | None:
        return x.numpy() if readable(x) else None

    def id_range(ids: Array) -> tuple[int, int] | None:
        # one aminmax kernel and two reads: 3 us for 32 ids, against 7 us for .numpy() and
        # NumPy's min and max
        if not readable(ids) or ids.numel() == 0:
            return None
        low, high = torch.aminmax(ids)
        return int(low.item()), int(high.item())

    def same_shape(a: Array, b: Array) -> tuple[Array, Array]:
        # torch's losses warn when the target broadcasts; a 0-d target expands without a copy
        if a.shape == b.shape:
            return a, b
        a, b = torch.broadcast_tensors(a, b)  # type: ignore[no-untyped-call]
        return a, b

    # F.mse_loss: one kernel; its backward keeps no temporary
    def squared_error(a: Array, b: Array, reduction: str) -> Array:
        return F.mse_loss(*same_shape(a, b), reduction=reduction)

    # F.smooth_l1_loss: one kernel, no temporaries kept for the backward pass
    def smooth_l1(a: Array, b: Array, beta: float, reduction: str) -> Array:
        return F.smooth_l1_loss(*same_shape(a, b), reduction=reduction, beta=beta)

    def logsumexp(x: Array, axis: Axis, keepdims: bool) -> Array:
        dims = tuple(range(x.ndim)) if axis is None else axis
        if dims == ():  # torch refuses an empty dim tuple; a sum over no axis leaves x as it is
            return x
        return torch.logsumexp(x, dim=dims, keepdim=keepdims)

    def xlogx(x: Array) -> Array:
        # torch.xlogy's gradient w.r.t. its second argument is NaN at 0, where ours is 0, so
        # torch.xlogy(x, x) only when x needs no gradient
        return torch.xlogy(x, x) if not x.requires_grad else _portable.xlogx(torch_xp, x)

    def euclidean_norm(x: Array) -> Array:
        # torch's norm kernel gives the zero vector the gradient 0, but its sum of squares
        # overflows (inf at 1e20 in float32) and underflows. Up to 2**14 elements, where the
        # calls cost more than the data, float32 and narrower square in float64: one kernel,
        # and no float32 square overflows or underflows there. Above, that kernel and its
        # backward in float64 cost more than scaling (triplet_margin_loss forward+backward at
        # 4096x1000: 134 and 167 ms with it, 83 and 88 scaled; F.triplet_margin_loss 51), so
        # x is divided by the power of two at or below each row's largest magnitude first
        # (exact), as float64 always is.
        if x.shape[-1] == 0:  # no maximum of nothing
            return x.sum(dim=-1)
        if x.dtype != torch.float64 and x.numel() <= 2**14 and x.device.type != "mps":
            return torch.linalg.vector_norm(x, dim=-1, dtype=torch.float64).to(x.dtype)
        if torch.compiler.is_compiling():
            # inductor cannot build frexp's int32 exponent beside float64 (torch 2.13: a C++
            # compile error), and fuses the portable scale's ops (log2, floor) anyway
            scale = _portable.binary_scale(torch_xp, x, axis=-1, keepdims=True,
                                           stop_gradient=lambda _, a: a.detach())
        else:  # frexp's exponent less one: 2**-1074 to 2**1023 all exist
            peak = x.detach().abs().amax(dim=-1, keepdim=True)
            scale = torch.pow(2.0, torch.frexp(peak).exponent.to(x.dtype) - 1)
        return scale.squeeze(-1) * torch.linalg.vector_norm(x / scale, dim=-1)

    def reduce_all(xp: ModuleType, x: Array, reduction: str) -> Array:
        # the tensor methods: the namespace's numbers with less per-call overhead
        if not x.is_floating_point():
            return _portable.reduce_all(xp, x, reduction=reduction)
        return x.sum() if reduction == "sum" else x.mean()

    def cross_entropy(portable: Callable[..., Array], xp: ModuleType, logits: Array,
                      target: Array, *, axis: int, weight: Array | None,
                      ignore_index: int | None, label_smoothing: float, reduction: str
                      ) -> Array:
        # torch's nll_loss is not differentiable w.r.t. weight
        if weight is not None and weight.requires_grad:
            return portable(xp, logits, target, axis=axis, weight=weight,
                            ignore_index=ignore_index, label_smoothing=label_smoothing,
                            reduction=reduction)
        if logits.ndim > 1 and axis != 1:
            logits = logits.movedim(axis, 1)
        # None: no id can be ignored (torch's -100 matches none either)
        return F.cross_entropy(logits, gather_index(xp, target), weight=weight,
                               ignore_index=-100 if ignore_index is None else ignore_index,
                               reduction=reduction,
                               label_smoothing=label_smoothing)

    def nll_loss(portable: Callable[..., Array], xp: ModuleType, scores: Array,
                 target: Array, *, axis: int, weight: Array | None, ignore_index: int,
                 reduction: str, label_smoothing: float = 0.0,
                 from_logits: bool = False) -> Array:
        # nor is it w.r.t. weight, and its backward refuses the strided view movedim gives; the
        # portable function's smoothing and logits have no kernel here
        if ((weight is not None and weight.requires_grad) or (scores.ndim > 2 and axis != 1)
                or label_smoothing or from_logits):
            return portable(xp, scores, target, axis=axis, weight=weight,
                            ignore_index=ignore_index, reduction=reduction,
                            label_smoothing=label_smoothing, from_logits=from_logits)
        return F.nll_loss(scores, gather_index(xp, target), weight=weight,
                          ignore_index=ignore_index, reduction=reduction)

    def sigmoid_cross_entropy(x: Array, y: Array, pos_weight: Array | None) -> Array:
        # -log(sigmoid(x)) = softplus(-x) for y = 1, -log(1 - sigmoid(x)) = softplus(x) for
        # y = 0: both nonnegative, so blending them by y cancels nothing; torch.lerp takes
        # end - (end - start) * (1 - y) for y >= 1/2, so y = 1 gives softplus(-x) exactly, as
        # y = 0 gives softplus(x). Three kernels (F.softplus twice, lerp), against the eight of
        # the portable formula: on a 4096x512 float32 batch 1.5x the time of
        # F.binary_cross_entropy_with_logits (the portable formula: 3x), which is not exact
        # (it loses the float32 value at x << 0, y = 0).
        positive = F.softplus(-x, beta=1.0, threshold=40.0)
        if pos_weight is not None:
            positive = positive * pos_weight
        negative = F.softplus(x, beta=1.0, threshold=40.0)
        return torch.lerp(negative, positive, y)

    recursions: list[Any] = []

    def ctc_adjoint() -> Any:
        # defined at the first eager call: torch.compile, which may build this record, cannot
        # trace a class definition (nor functools.cache); threads racing here define equal ones
        if recursions:
            return recursions[0]

        class CTCAdjoint(torch.autograd.Function):  # type: ignore[misc]  # torch untyped for mypy
            """CTC's per-sequence losses: the alphas from torch's own kernel, the gradient from an
            adjoint recursion over them.

            The forward pass is torch's CTC kernel (``torch._ctc_loss``, what ``F.ctc_loss``
            calls), which returns the alphas it computed in log space, ``(N, T, 2L + 1)`` with
            ``L`` the longest target: the same recursion as the portable one, in C++. Its
            backward pass is not used: Graves's closed form ``exp(lp) - exp(alpha + beta + nll -
            lp)`` subtracts terms of the size of the loss (1e6 at logits of 1e4) and loses up to
            6% of the gradient in float32, and is NaN at a ``-inf`` log-probability. Ours runs
            reverse mode through each frame's log-sum-exp: the adjoint of frame ``t - 1`` is the
            adjoint of frame ``t`` weighted by each state's softmax over its three candidates
            (stay, one back, two back where it may skip), a local and exact softmax of the
            stored alphas.

            The softmaxes do not depend on the adjoint, so they are computed for a block of
            ``_CTC_BLOCK`` frames at a time (a few kernels over the block); only the product with
            the adjoint runs frame by frame, one ``vecdot`` each. Frames ``t >= T_n`` carry the
            adjoint unchanged (weights 1, 0, 0), as the portable recursion stands still there.
            Forward+backward, float32, one thread (``docs/benchmarks.md``): 1.24x
            ``F.ctc_loss``'s time and 1.09x its peak memory at T=200, N=16, C=32, S=40, 0.76x
            its time at T=1000, N=32, C=100, S=200; it was 1.75x and 1.29x with our own forward
            recursion (a Python loop of four kernels a frame) and the backward's softmaxes taken
            frame by frame, and 4-6x and 5.8x with autodiff through the portable recursion.
            Values, ``inf``/0 for impossible alignments, the ``exp(log_probs)`` term of torch's
            gradient, its NaN frames and the zero gradient at a ``-inf`` log-probability are the
            portable function's (``omniloss.sequence._sequence_losses``), within rounding.
            """

            @staticmethod
            def forward(ctx: Any, log_probs: Array, extended: Array, skip: Array,
                        input_lengths: Array, target_lengths: Array, blank: int,
                        max_length: int, zero_infinity: bool, counted: Array | None) -> Array:
                steps, device = log_probs.shape[0], log_probs.device
                floor = _portable.unreachable_log(torch, log_probs.dtype)
                # padding past a target's length (any value, -1 included) is never read: class
                # 0 there, a valid index for the gradient's scatter
                extended = extended.clamp_min(0)
                lengths = target_lengths.clamp(0, max_length)  # longer ones: impossible, below
                nll, alphas = torch._ctc_loss(log_probs, extended[:, 1::2], input_lengths,
                                              lengths, blank, False)
                # torch writes the frames t < T_n and states s <= 2 L_n only: the rest, and -inf,
                # become the floor of the unreachable states
                states = alphas.shape[2]
                frames = torch.arange(steps, device=device)
                alphas.masked_fill_((frames >= input_lengths.unsqueeze(1)).unsqueeze(2), floor)
                alphas.masked_fill_((torch.arange(states, device=device)
                                     > 2 * lengths.unsqueeze(1)).unsqueeze(1), floor)
                alphas.clamp_min_(floor)
                impossible = _portable.ctc_impossible(nll, target_lengths, max_length, floor)
                ctx.save_for_backward(log_probs, extended[:, :states], skip[:, :states], alphas,
                                      input_lengths, lengths, impossible, counted)
                ctx.zero_infinity, ctx.floor = zero_infinity, floor
                return torch.where(impossible, 0.0 if zero_infinity else math.inf, nll)

            @staticmethod
            @torch.autograd.function.once_differentiable
            def backward(ctx: Any, grad: Array) -> tuple[Array | None, ...]:
                (log_probs, extended, skip, alphas, input_lengths, lengths, impossible,
                 counted) = ctx.saved_tensors
                steps, batch, _ = log_probs.shape
                states, device = alphas.shape[2], log_probs.device
                width = states + 2  # a row of states and two padding columns
                floor = ctx.floor
                # the upstream gradient reaching a possible sequence (impossible: inf or 0,
                # a constant)
                upstream = torch.where(impossible, 0.0, grad)
                active = torch.arange(steps, device=device).unsqueeze(1) < input_lengths
                # adjoint[t, n, s] (zero padding on the right): d loss / d alpha_t(s), the
                # gradient w.r.t. frame t's emission of state s; seeded at the last frame by the
                # end states' softmax (states 2L and 2L - 1, the left padding for L = 0)
                adjoint = alphas.new_zeros((steps, batch, width))
                sample = torch.arange(batch, device=device)
                final = F.pad(alphas[sample, (input_lengths - 1).clamp_min(0)], (2, 0),
                              value=floor)
                end_columns = torch.stack([2 * lengths + 2, 2 * lengths + 1], dim=1)
                seed = torch.softmax(final.gather(1, end_columns), 1) * -upstream.unsqueeze(1)
                adjoint[steps - 1].scatter_add_(1, (end_columns - 2).clamp_min(0), seed)

                # exp is 10-30x slower where it underflows (measured, torch 2.13 CPU): weights
                # below exp(cut) are cut off (exp(cut) - exp(cut) is exactly 0, a weight of 1
                # stays 1); a 0-d tensor, as a Python float operand would be copied into one on
                # every call
                cut = math.log(torch.finfo(alphas.dtype).tiny) / 2
                least = alphas.new_tensor(math.exp(cut))
                block = max(1, min(_CTC_BLOCK, steps - 1))
                # state s's candidates in a row padded by two unreachable columns on the left (s
                # at column s + 2): stay, one back, two back or the unreachable column 0 where it
                # may not skip
                column = torch.arange(2, width, device=device).expand(batch, states)
                index = torch.stack([column, column - 1, torch.where(skip, column - 2, 0)], dim=1)
                index = index.expand(block, batch, 3, states)
                previous = alphas.new_full((block, batch, width), floor)
                # the softmaxes, with two zero columns on the right; a frame t >= T_n carries its
                # adjoint (weight 1 on staying)
                weights = alphas.new_zeros((block, batch, 3, width))
                carry = alphas.new_zeros((3, width))
                carry[0] = 1.0
                # as vecdot reads them, over k: the weight of state c + k's candidate k at
                # [k, c], and adjoint_t(c + k) (overlapping views, nothing copied)
                by_state = (batch * 3 * width, 3 * width, width + 1, 1)
                shifted = adjoint.as_strided((steps, batch, 3, states),
                                             (batch * width, width, 1, 1)).unbind(0)
                rows = adjoint[:, :, :states].unbind(0)
                for end in range(steps, 1, -block):
                    start = max(end - block, 1)  # the frames [start, end), from alpha_{t-1}
                    size = end - start
                    previous[:size, :, 2:].copy_(alphas[:, start - 1:end - 1].transpose(0, 1))
                    weight = weights[:size]
                    chosen = weight[..., :states]
                    torch.gather(previous[:size].unsqueeze(2).expand(size, batch, 3, width), 3,
                                 index[:size], out=chosen)
                    top = chosen.amax(2, keepdim=True)
                    chosen.sub_(top).clamp_min_(cut).exp_().sub_(least)
                    chosen.div_(chosen.sum(2, keepdim=True))
                    torch.where(active[start:end, :, None, None], weight, carry, out=weight)
                    frame_weights = weight.as_strided((size, batch, 3, states),
                                                      by_state).unbind(0)
                    for t in range(end - 1, start - 1, -1):
                        torch.linalg.vecdot(frame_weights[t - start], shifted[t], dim=1,
                                            out=rows[t - 1])
                adjoint.masked_fill_(~active.unsqueeze(2), 0.0)
                # torch's exp(log_probs) on each frame t < T_n (NaN where exp overflows, and on an
                # impossible sequence's frames without zero_infinity, unless where leaves it out)
                frame_weight = upstream * active
                if not ctx.zero_infinity:
                    nan_frames = impossible if counted is None else impossible & counted
                    frame_weight = torch.where(nan_frames & active, math.nan, frame_weight)
                # (exp's infinities, times any weight, are all NaN: no mask of them kept)
                result = torch.exp(log_probs).mul_(frame_weight.unsqueeze(2))
                result.nan_to_num_(nan=math.nan, posinf=math.nan, neginf=math.nan)
                result.scatter_add_(2, extended.unsqueeze(0).expand(steps, batch, states),
                                    adjoint[:, :, :states])
                return result, *(None,) * 8  # nothing for the other inputs

        recursions.append(CTCAdjoint)
        return CTCAdjoint

    def ctc_loss(portable: Callable[..., Array], xp: ModuleType, log_probs: Array,
                 extended: Array, skip: Array, input_lengths: Array, target_lengths: Array, *,
                 blank: int, max_length: Any, zero_infinity: bool, counted: Array | None,
                 device: Any) -> Array:
        # eager float32/float64 tensors on CPU or CUDA (where torch has its CTC kernel), at
        # least one frame and sample. Under torch.compile the portable function: dynamo
        # refuses the out= writes into views of the backward's buffers (and graphs the
        # portable loop anyway); under torch.func's transforms too, which would need a vmap
        # rule; and in other dtypes (float16: the portable recursion's own rounding).
        if (torch.compiler.is_compiling() or log_probs.dtype not in (torch.float32, torch.float64)
                or log_probs.device.type not in ("cpu", "cuda") or 0 in log_probs.shape[:2]
                or torch._C._functorch.is_functorch_wrapped_tensor(log_probs)):
            return portable(xp, log_probs, extended, skip, input_lengths, target_lengths,
                            blank=blank, max_length=max_length, zero_infinity=zero_infinity,
                            counted=counted, device=device)
        result: Array = ctc_adjoint().apply(
            log_probs, gather_index(xp, extended), skip, gather_index(xp, input_lengths),
            gather_index(xp, target_lengths), blank, max_length, zero_infinity, counted)
        return result

    return Backend(
        "torch",
        int64_gathers=True,
        values_now=values_now,
        id_range=id_range,
        logsumexp=logsumexp,
        log_softmax=lambda x, axis: F.log_softmax(x, dim=axis),
        softmax=lambda x, axis: F.softmax(x, dim=axis),
        # Above 40, log1p(exp(x)) equals x in every float format; an infinite threshold would
        # overflow exp(x) to inf (softplus(1e4) = inf, gradient NaN).
        softplus=lambda x: F.softplus(x, beta=1.0, threshold=40.0),
        log_sigmoid=F.logsigmoid,
        sigmoid_cross_entropy=sigmoid_cross_entropy,
        sigmoid=torch.sigmoid,
        absolute=torch.abs,
        squared_error=squared_error,
        smooth_l1=smooth_l1,
        # torch.gather raises on an out-of-range class id, where array-api-compat's
        # take_along_dim would wrap it around silently
        gather=lambda x, index, axis: torch.gather(x, axis, index.unsqueeze(axis)).squeeze(axis),
        xlogx=xlogx,
        euclidean_norm=euclidean_norm,
        # torch.clamp's own gradient, one kernel (the portable one takes three where)
        clamp=lambda x, low, high: torch.clamp(x, low, high),
        reduce_all=reduce_all,
        stop_gradient=lambda x: x.detach(),
        # non-reentrant
        checkpoint=lambda fn, *arrays: torch_checkpoint(fn, *arrays, use_reentrant=False),
        # not F.binary_cross_entropy_with_logits (it loses the value at x << 0, y = 0) nor
        # F.triplet_margin_loss (its norms overflow float32 at differences near 1e20)
        fused={"cross_entropy": cross_entropy, "nll_loss": nll_loss, "ctc_loss": ctc_loss},
    )
