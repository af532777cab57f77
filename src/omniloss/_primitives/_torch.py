"""Everything native to PyTorch: its elementwise kernels, its fused whole-loss kernels
(``F.cross_entropy``, ``F.nll_loss``, CTC's recursion as an ``autograd.Function``), ``detach``,
``checkpoint``, the tensor reductions, and int64 gathers.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from types import ModuleType
from typing import Any

from omniloss._primitives import _portable
from omniloss._primitives._backend import Array, Axis, Backend


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
                      target: Array, *, axis: int, weight: Array | None, ignore_index: int,
                      label_smoothing: float, reduction: str) -> Array:
        # torch's nll_loss is not differentiable w.r.t. weight
        if weight is not None and weight.requires_grad:
            return portable(xp, logits, target, axis=axis, weight=weight,
                            ignore_index=ignore_index, label_smoothing=label_smoothing,
                            reduction=reduction)
        if logits.ndim > 1 and axis != 1:
            logits = logits.movedim(axis, 1)
        return F.cross_entropy(logits, gather_index(xp, target), weight=weight,
                               ignore_index=ignore_index, reduction=reduction,
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

    def ctc_recursion() -> Any:
        # defined at the first eager call: torch.compile, which may build this record, cannot
        # trace a class definition (nor functools.cache); threads racing here define equal ones
        if recursions:
            return recursions[0]

        class CTCRecursion(torch.autograd.Function):  # type: ignore[misc]  # torch untyped for mypy
            """CTC's per-sequence losses with torch's gradient, the recursion run without autograd.

            Autodiff of the portable recursion keeps every frame's intermediates (5.8x the memory of
            ``F.ctc_loss``) and replays a Python loop of small ops (4-6x its time). Here the forward
            pass runs the alpha recursion under no autograd and keeps only each frame's
            log-sum-exp of its candidates, ``(T, N, 2S + 1)``; the backward pass recomputes the
            alphas from them and runs the adjoint recursion (reverse mode through each frame's
            log-sum-exp: ``exp(candidate - logsumexp)`` times the adjoint), not Graves's
            closed form ``exp(alpha + beta + loss - lp)``: that one subtracts terms of the size of
            the loss (1e6 at logits of 1e4), and in float32 loses up to 6% of the gradient (it is
            ``F.ctc_loss``'s error), where each softmax here is local and exact. Each row of alphas
            is padded with two unreachable states on the left, so a state's three candidates (stay,
            one back, two back or an unreachable state where no skip is allowed) are one gather.
            Values, ``inf``/0 for impossible alignments, the ``exp(log_probs)`` term of torch's
            gradient, its NaN frames and the zero gradient at a ``-inf`` log-probability are the
            portable function's (``omniloss.sequence._sequence_losses``), within rounding.
            """

            @staticmethod
            def forward(ctx: Any, log_probs: Array, extended: Array, skip: Array,
                        input_lengths: Array, target_lengths: Array, max_length: int,
                        zero_infinity: bool, counted: Array | None) -> Array:
                steps, batch, _ = log_probs.shape
                states = 2 * max_length + 1
                floor = torch.finfo(log_probs.dtype).min / 4
                # padding past a target's length (any value, -1 included) is never reached:
                # class 0 there, a valid index for the gathers and scatters of both passes
                extended = extended.clamp_min(0)
                ids = extended.unsqueeze(0).expand(steps, batch, states)
                emissions = log_probs.gather(2, ids).clamp_min(floor)
                # in a row padded by two unreachable states: state s at column s + 2, its candidates
                # at s + 2, s + 1 and s, or at the unreachable column 0 where it may not skip; one
                # gather reads them into the planes of a (N, 3, 2S + 1) buffer
                column = torch.arange(2, states + 2, device=log_probs.device).expand(batch,
                                                                                    states)
                candidates = torch.cat([column, column - 1, torch.where(skip, column - 2, 0)],
                                       dim=1)
                # each frame's log-sum-exp of its candidates, kept for the backward pass, which
                # recomputes the alphas from them (two cheap ops, where two logaddexp are not)
                totals = log_probs.new_empty((steps, batch, states))
                alpha = log_probs.new_full((batch, states + 2), floor)  # the current row
                alpha[:, 2] = 0.0  # all mass on s = 0 before the first frame
                row = alpha[:, 2:]
                final = row.clone()
                read = log_probs.new_empty((batch, 3 * states))
                stay, one, two = read.view(batch, 3, states).unbind(1)
                # views made once: indexing inside the loop would cost as much as the arithmetic
                for total, emission in zip(totals.unbind(0), emissions.unbind(0), strict=True):
                    torch.gather(alpha, 1, candidates, out=read)
                    torch.logaddexp(stay, one, out=total)
                    torch.logaddexp(total, two, out=total)
                    torch.add(total, emission, out=row).clamp_min_(floor)
                # alpha after T_n frames (the start for T_n = 0); the labels' end states 2L and
                # 2L - 1 (the unreachable column 1 for an empty target)
                if steps:
                    last = (input_lengths - 1).clamp_min(0)
                    sample = torch.arange(batch, device=log_probs.device)
                    reached = (totals[last, sample] + emissions[last, sample]).clamp_min(floor)
                    final = torch.where((input_lengths > 0).unsqueeze(1), reached, final)
                final = torch.cat([alpha[:, :2], final], dim=1)
                lengths = target_lengths.clamp(0, max_length)
                end_columns = torch.stack([2 * lengths + 2, 2 * lengths + 1], dim=1)
                ends = final.gather(1, end_columns)
                nll = -torch.logsumexp(ends, 1)
                impossible = (nll > -floor / 2) | (target_lengths > max_length)
                ctx.save_for_backward(log_probs, extended, candidates, totals, input_lengths,
                                      end_columns, ends, nll, impossible, counted)
                ctx.zero_infinity = zero_infinity
                return torch.where(impossible, 0.0 if zero_infinity else math.inf, nll)

            @staticmethod
            @torch.autograd.function.once_differentiable
            def backward(ctx: Any, grad: Array) -> tuple[Array | None, ...]:
                (log_probs, extended, candidates, totals, input_lengths, end_columns, ends, nll,
                 impossible, counted) = ctx.saved_tensors
                steps, batch, _ = log_probs.shape
                states = extended.shape[1]
                # the upstream gradient reaching a possible sequence (impossible: inf or 0,
                # a constant)
                upstream = torch.where(impossible, 0.0, grad)
                frames = torch.arange(steps, device=log_probs.device).unsqueeze(1)
                active = frames < input_lengths
                # adjoint[t] (padded rows): d loss / d alpha after frame t, the gradient w.r.t.
                # frame t's emissions; seeded by the end states' softmax, carried unchanged
                # through the frames t >= T_n, where the portable recursion stands still
                adjoint = totals.new_zeros((steps, batch, states + 2))
                if steps:
                    seed = torch.exp(ends + nll.unsqueeze(1)) * -upstream.unsqueeze(1)
                    adjoint[steps - 1].scatter_add_(1, end_columns, seed)
                # reverse mode through each frame's log-sum-exp: the candidates' weights
                # exp(candidate - logsumexp) times the adjoint, scattered back onto their columns
                read = totals.new_empty((batch, 3, states))
                # exp is 10-30x slower where it underflows (measured, torch 2.13 CPU): weights
                # below exp(cut) are cut off (exp(cut) - exp(cut) is exactly 0, a weight of 1
                # stays 1); a 0-d tensor, as a Python float operand would be copied into one on
                # every call
                floor = torch.finfo(totals.dtype).min / 4
                cut = math.log(torch.finfo(totals.dtype).tiny) / 2
                least = totals.new_tensor(math.exp(cut))
                alpha = totals.new_full((batch, states + 2), floor)  # recomputed row by row
                row, emission = alpha[:, 2:], totals.new_empty((batch, states))
                flat_read, rows = read.view(batch, 3 * states), adjoint.unbind(0)
                emission_rows, total_rows = log_probs.unbind(0), totals.unbind(0)
                adjoints = adjoint[:, :, 2:].unsqueeze(2).unbind(0)
                actives, divisors = active.unsqueeze(2).unbind(0), totals.unsqueeze(2).unbind(0)
                for t in range(steps - 1, 0, -1):
                    # alpha after frame t - 1, as the forward pass computed it
                    torch.gather(emission_rows[t - 1], 1, extended, out=emission)
                    torch.add(total_rows[t - 1], emission.clamp_min_(floor),
                              out=row).clamp_min_(floor)
                    torch.gather(alpha, 1, candidates, out=flat_read)
                    read.sub_(divisors[t]).clamp_min_(cut).exp_().sub_(least).mul_(adjoints[t])
                    rows[t - 1].scatter_add_(1, candidates, flat_read)
                    torch.where(actives[t], rows[t - 1], rows[t], out=rows[t - 1])
                adjoint.masked_fill_(~active.unsqueeze(2), 0.0)
                # torch's exp(log_probs) on each frame t < T_n (NaN where exp overflows, and on an
                # impossible sequence's frames without zero_infinity, unless where leaves it out)
                weight = upstream * active
                if not ctx.zero_infinity:
                    nan_frames = impossible if counted is None else impossible & counted
                    weight = torch.where(nan_frames & active, math.nan, weight)
                result = torch.exp(log_probs)
                overflow = result == math.inf
                result.mul_(weight.unsqueeze(2)).masked_fill_(overflow, math.nan)
                result.scatter_add_(2, extended.unsqueeze(0).expand(steps, batch, states),
                                    adjoint[:, :, 2:])
                return result, None, None, None, None, None, None, None

        recursions.append(CTCRecursion)
        return CTCRecursion

    def ctc_loss(portable: Callable[..., Array], xp: ModuleType, log_probs: Array,
                 extended: Array, skip: Array, input_lengths: Array, target_lengths: Array, *,
                 max_length: Any, zero_infinity: bool, counted: Array | None,
                 device: Any) -> Array:
        # eager float32/float64 tensors. Under torch.compile the portable function: dynamo
        # refuses the recursion's out= writes into views of its buffers (and graphs the portable
        # loop anyway); under torch.func's transforms too, which would need a vmap rule; and in
        # other dtypes (float16: the portable recursion's own rounding).
        if (torch.compiler.is_compiling() or log_probs.dtype not in (torch.float32, torch.float64)
                or torch._C._functorch.is_functorch_wrapped_tensor(log_probs)):
            return portable(xp, log_probs, extended, skip, input_lengths, target_lengths,
                            max_length=max_length, zero_infinity=zero_infinity,
                            counted=counted, device=device)
        result: Array = ctc_recursion().apply(
            log_probs, gather_index(xp, extended), skip, gather_index(xp, input_lengths),
            gather_index(xp, target_lengths), max_length, zero_infinity, counted)
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
