"""Everything native to PyTorch: its elementwise kernels, its fused whole-loss kernels
(``F.cross_entropy``, ``F.nll_loss``), ``detach``, ``checkpoint``, the tensor reductions, and
int64 gathers.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

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

    def values_now(x: Array) -> Array | None:
        # a plain CPU tensor outside torch.compile and the torch.func transforms (whose
        # wrappers, like FakeTensor and other subclasses, hold no readable data)
        if (type(x) is not torch.Tensor or x.device.type != "cpu"
                or torch.compiler.is_compiling()
                or torch._C._functorch.is_functorch_wrapped_tensor(x)):
            return None
        return x.numpy()

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

    return Backend(
        "torch",
        int64_gathers=True,
        values_now=values_now,
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
        reduce_all=reduce_all,
        stop_gradient=lambda x: x.detach(),
        # non-reentrant
        checkpoint=lambda fn, *arrays: torch_checkpoint(fn, *arrays, use_reentrant=False),
        # not F.binary_cross_entropy_with_logits (it loses the value at x << 0, y = 0) nor
        # F.triplet_margin_loss (its norms overflow float32 at differences near 1e20)
        fused={"cross_entropy": cross_entropy, "nll_loss": nll_loss},
    )
