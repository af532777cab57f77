"""Feature-space and structured losses: Johnson et al.'s formula in torch, and
``torch.nn.AdaptiveLogSoftmaxWithLoss`` run on the same parameters (values and gradients)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import omniloss as ol
from tests.helpers import assert_raises_named, check_parity, check_traced, torch_peer

REDUCTIONS = ["mean", "sum", "none"]
DTYPES = [np.float64, np.float32]


def _reduce(loss, reduction):
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def torch_perceptual(layers, weights, reduction, *features):
    """Johnson et al. 2016, eq. 2: ||phi(x) - phi(y)||^2 / (C*H*W) per sample and layer."""
    total = 0
    for i in range(layers):
        x, y = features[i], features[layers + i]
        size = math.prod(x.shape[1:])
        per_sample = ((x - y) ** 2).reshape(x.shape[0], size).sum(dim=1) / size
        total = total + weights[i] * per_sample
    return _reduce(total, reduction)


def _features(shapes: list[tuple[int, ...]], dtype: type, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    inputs = [rng.normal(size=s).astype(dtype) for s in shapes]
    targets = [rng.normal(size=s).astype(dtype) for s in shapes]
    return inputs + targets


SHAPES = [(3, 2, 4, 4), (3, 5, 2, 2), (3, 6)]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("weights", [None, [1.0, 0.5, 2.0], [0.0, 1.0, 0.0]], ids=str)
def test_perceptual_matches_formula(backend, weights, dtype, reduction):
    layers = len(SHAPES)

    def ours(*features):
        return ol.perceptual_loss(list(features[:layers]), tuple(features[layers:]),
                                  weights=weights, reduction=reduction)

    check_parity(backend, ours,
                 torch_peer(lambda *f: torch_perceptual(layers, weights or [1.0] * layers,
                                                        reduction, *f)),
                 _features(SHAPES, dtype), argnums=tuple(range(2 * layers)))


@pytest.mark.parametrize("shape", [(0, 2, 3), (4,)], ids=["empty", "1d"])
def test_perceptual_edge_shapes(backend, shape):
    check_parity(backend, lambda x, y: ol.perceptual_loss([x], [y]),
                 torch_peer(lambda x, y: torch_perceptual(1, [1.0], "mean", x, y)),
                 _features([shape], np.float64), argnums=(0, 1))


@pytest.mark.uses("torch")
def test_perceptual_with_torch_forward_hooks():
    """The docstring's recipe: features collected with forward hooks from a torch network."""
    import torch

    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.ReLU(), torch.nn.Conv2d(4, 2, 3),
                              torch.nn.ReLU()).double().requires_grad_(False)
    features = []
    hooks = [net[i].register_forward_hook(lambda m, i, out: features.append(out))
             for i in (1, 3)]
    x = torch.randn(2, 3, 8, 8, dtype=torch.float64, requires_grad=True)
    y = torch.randn(2, 3, 8, 8, dtype=torch.float64)
    net(x)
    input_features, features = features, []
    net(y)
    target_features = features
    for hook in hooks:
        hook.remove()
    loss = ol.perceptual_loss(input_features, target_features)
    (grad,) = torch.autograd.grad(loss, x, retain_graph=True)
    expected = sum(torch.nn.functional.mse_loss(a, b) for a, b in
                   zip(input_features, target_features, strict=True))
    (expected_grad,) = torch.autograd.grad(expected, x)
    torch.testing.assert_close(loss, expected)
    torch.testing.assert_close(grad, expected_grad)


def _weighted(loss, weight, reduction):
    return {"mean": (loss * weight).sum() / weight.sum(), "sum": (loss * weight).sum(),
            "none": loss * weight}[reduction]


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_perceptual_sample_weight(backend, reduction):
    """One weight per sample, shape ``(N,)``; the layer ``weights`` apply as before."""
    layers = len(SHAPES)
    weight = np.array([0.5, 0.0, 2.0])

    def ours(*arrays):
        return ol.perceptual_loss(list(arrays[:layers]), list(arrays[layers:-1]),
                                  weights=[1.0, 0.5, 2.0], reduction=reduction,
                                  sample_weight=arrays[-1])

    def peer(*arrays):
        unreduced = torch_perceptual(layers, [1.0, 0.5, 2.0], "none", *arrays[:-1])
        return _weighted(unreduced, arrays[-1], reduction)

    check_parity(backend, ours, torch_peer(peer), [*_features(SHAPES, np.float64), weight],
                 argnums=(0, 2 * layers))


def test_perceptual_where_drops_samples(backend):
    """``where`` gives the loss of the kept samples, values and gradients (0 elsewhere)."""
    features = _features(SHAPES, np.float64)
    keep = np.array([True, False, True])
    where = backend.asarray(keep)
    layers = len(SHAPES)
    argnums = tuple(range(2 * layers))

    def ours(*arrays):
        return ol.perceptual_loss(list(arrays[:layers]), list(arrays[layers:]), where=where)

    check_parity(backend, ours,
                 torch_peer(lambda *f: torch_perceptual(layers, [1.0] * layers, "mean",
                                                        *(x[keep] for x in f))),
                 features, argnums=argnums)
    if backend.has_grad:
        _, grads = backend.value_and_grad(ours, features, argnums)
        assert all(np.all(g[~keep] == 0) for g in grads)
        zero = backend.to_numpy(ol.perceptual_loss(
            *(backend.convert(f) for f in (features[:layers], features[layers:])),
            sample_weight=backend.asarray(np.zeros(3))))
        assert zero == 0.0


def test_perceptual_traced(tracing_backend):
    check_traced(tracing_backend, lambda a, b, c, d: ol.perceptual_loss([a, b], [c, d]),
                 _features(SHAPES[:2], np.float64))


def test_perceptual_bad_inputs(backend):
    name = "perceptual_loss"
    x, y = (backend.asarray(a) for a in _features([(2, 3, 4)], np.float64))
    other = backend.asarray(np.zeros((3, 3, 4)))
    assert_raises_named(ValueError, name, "target_features",
                        lambda: ol.perceptual_loss([x, x], [y]))
    assert_raises_named(ValueError, name, "input_features", lambda: ol.perceptual_loss([], []))
    assert_raises_named(TypeError, name, "input_features", lambda: ol.perceptual_loss(x, y))
    assert_raises_named(TypeError, name, "target_features", lambda: ol.perceptual_loss([x], y))
    assert_raises_named(ValueError, name, "target_features[0]",
                        lambda: ol.perceptual_loss([x], [backend.asarray(np.zeros((2, 3, 5)))]))
    assert_raises_named(ValueError, name, "input_features[1]",
                        lambda: ol.perceptual_loss([x, other], [y, other]))
    assert_raises_named(ValueError, name, "weights",
                        lambda: ol.perceptual_loss([x], [y], weights=[1.0, 2.0]))
    assert_raises_named(ValueError, name, "weights",
                        lambda: ol.perceptual_loss([x], [y], weights=[-1.0]))
    assert_raises_named(ValueError, name, "weights",
                        lambda: ol.perceptual_loss([x], [y], weights=[float("nan")]))
    assert_raises_named(TypeError, name, "weights",
                        lambda: ol.perceptual_loss([x], [y], weights=["1"]))
    assert_raises_named(TypeError, name, "weights",
                        lambda: ol.perceptual_loss([x], [y], weights=1.0))
    assert_raises_named(ValueError, name, "sample_weight",
                        lambda: ol.perceptual_loss([x], [y],
                                                   sample_weight=backend.asarray(np.ones(3))))
    assert_raises_named(ValueError, name, "reduction",
                        lambda: ol.perceptual_loss([x], [y], reduction="avg"))
    assert_raises_named(TypeError, name, "input_features[0]", lambda: ol.perceptual_loss(
        [backend.asarray(np.ones((2, 3), dtype=np.int64))], [backend.asarray(np.ones((2, 3)))]))


# Adaptive log-softmax.

IN_FEATURES, N_CLASSES, CUTOFFS = 16, 30, [5, 12, 20]


def _module(head_bias: bool, div_value: float = 2.0):
    import torch

    torch.manual_seed(0)
    return torch.nn.AdaptiveLogSoftmaxWithLoss(IN_FEATURES, N_CLASSES, CUTOFFS,
                                               div_value=div_value, head_bias=head_bias)


def _parameters(module, dtype: type) -> list[np.ndarray]:
    """The module's parameters in ``named_parameters`` order, as NumPy arrays of ``dtype``."""
    return [p.detach().numpy().astype(dtype) for _, p in module.named_parameters()]


def _split(parameters, head_bias: bool):
    """``(head_weight, head_bias, tail_weights)`` from the flat parameter list."""
    head_weight, rest = parameters[0], list(parameters[1:])
    bias = rest.pop(0) if head_bias else None
    return head_weight, bias, [(rest[i], rest[i + 1]) for i in range(0, len(rest), 2)]


def torch_adaptive(module, reduction, input, target, *parameters):
    """``module(input, target)`` with ``parameters`` put in place of the module's own."""
    import torch

    names = [n for n, _ in module.named_parameters()]
    result = torch.func.functional_call(module, dict(zip(names, parameters, strict=True)),
                                        (input, target))
    if reduction == "mean":
        return result.loss
    return _reduce(-result.output, reduction)


def _adaptive_case(dtype: type, batch: int = 10) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1)
    edges = np.array([0, 4, 5, 11, 12, 19, 20, 29])  # every cluster's first and last class
    target = np.concatenate([edges, rng.integers(0, N_CLASSES, size=max(batch - 8, 0))])[:batch]
    return rng.normal(size=(batch, IN_FEATURES)).astype(dtype), target.astype(np.int64)


def _ours(head_bias: bool, reduction: str, div_value: float = 2.0):
    def call(input, target, *parameters):
        head_weight, bias, tail = _split(parameters, head_bias)
        return ol.adaptive_log_softmax_loss(input, target, head_weight, tail, CUTOFFS,
                                            head_bias=bias, div_value=div_value,
                                            reduction=reduction)
    return call


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("head_bias", [False, True])
def test_adaptive_matches_torch_module(backend, head_bias, dtype, reduction):
    module = _module(head_bias)
    input, target = _adaptive_case(dtype)
    parameters = _parameters(module, dtype)
    argnums = (0, *range(2, 2 + len(parameters)))
    check_parity(backend, _ours(head_bias, reduction),
                 torch_peer(lambda *a: torch_adaptive(module, reduction, *a)),
                 [input, target, *parameters], argnums=argnums)


@pytest.mark.filterwarnings("ignore:Initializing zero-element tensors")
def test_adaptive_div_value_and_extreme_inputs(backend):
    """div_value 4 makes the last cluster's projection 16 // 64 = 0 wide (uniform in-cluster)."""
    module = _module(True, div_value=4.0)
    input, target = _adaptive_case(np.float64)
    input = input * 1e3  # logits of order 1e3-1e4: log-softmax must stay finite
    parameters = _parameters(module, np.float64)
    value = check_parity(backend, _ours(True, "none", div_value=4.0),
                         torch_peer(lambda *a: torch_adaptive(module, "none", *a)),
                         [input, target, *parameters], argnums=(0, 2))
    assert np.all(np.isfinite(value))


def test_adaptive_unbatched_and_empty(backend):
    module = _module(False)
    parameters = _parameters(module, np.float64)
    input, target = _adaptive_case(np.float64)
    check_parity(backend, _ours(False, "mean"),
                 torch_peer(lambda *a: torch_adaptive(module, "mean", *a)),
                 [input[3], np.asarray(target[3]), *parameters], argnums=(0, 2))
    value = backend.to_numpy(_ours(False, "mean")(*backend.convert(
        [input[:0], target[:0], *parameters])))
    assert np.isnan(value)  # the mean of no rows, as torch's (-output).mean()


def test_adaptive_out_of_range_target_is_nan(backend):
    # the class-id rule (tests/test_class_ids.py): ValueError where the ids can be read now, NaN
    # at those rows otherwise (Dask here; jax.jit and tf.function there)
    module = _module(False)
    parameters = _parameters(module, np.float64)
    input, _ = _adaptive_case(np.float64, batch=3)
    args = backend.convert([input, np.array([-1, 3, N_CLASSES]), *parameters])
    if backend.name != "dask":
        with pytest.raises(ValueError, match=r"target holds class id -1 outside \[0, "):
            _ours(False, "none")(*args)
        return
    value = backend.to_numpy(_ours(False, "none")(*args))
    assert np.isnan(value[0]) and np.isfinite(value[1]) and np.isnan(value[2])


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_adaptive_sample_weight_matches_torch_composed(backend, reduction):
    """The module's ``-output`` per row, weighted and reduced by hand (it has no weights)."""
    module = _module(True)
    input, target = _adaptive_case(np.float64)
    parameters = _parameters(module, np.float64)
    weight = np.random.default_rng(2).uniform(0.5, 2.0, size=10)
    weight[3] = 0.0

    def ours(input, target, *rest):
        head_weight, bias, tail = _split(rest[:-1], True)
        return ol.adaptive_log_softmax_loss(input, target, head_weight, tail, CUTOFFS,
                                            head_bias=bias, div_value=2.0, reduction=reduction,
                                            sample_weight=rest[-1])

    def peer(input, target, *rest):
        return _weighted(torch_adaptive(module, "none", input, target, *rest[:-1]), rest[-1],
                         reduction)

    check_parity(backend, ours, torch_peer(peer), [input, target, *parameters, weight],
                 argnums=(0, 2, 2 + len(parameters)))


def test_adaptive_traced(tracing_backend):
    module = _module(True)
    input, target = _adaptive_case(np.float64)
    check_traced(tracing_backend, _ours(True, "mean"),
                 [input, target, *_parameters(module, np.float64)])


def test_adaptive_bad_inputs(backend):
    name = "adaptive_log_softmax_loss"
    module = _module(True)
    input, target = _adaptive_case(np.float64)
    head_weight, bias, tail = _split(backend.convert(_parameters(module, np.float64)), True)
    x, t = backend.convert([input, target])

    def call(**changes):
        arguments = {"input": x, "target": t, "head_weight": head_weight, "tail_weights": tail,
                     "cutoffs": CUTOFFS, "head_bias": bias, "div_value": 2.0}
        arguments.update(changes)
        return ol.adaptive_log_softmax_loss(**arguments)

    call()
    assert_raises_named(TypeError, name, "target", lambda: call(target=x[:, 0]))
    assert_raises_named(TypeError, name, "input",
                        lambda: call(input=backend.asarray(np.ones((10, 16), dtype=np.int64))))
    assert_raises_named(ValueError, name, "target", lambda: call(target=t[:4]))
    assert_raises_named(ValueError, name, "input", lambda: call(input=x[0, ...]))
    assert_raises_named(ValueError, name, "cutoffs", lambda: call(cutoffs=[5, 5, 20]))
    assert_raises_named(ValueError, name, "cutoffs", lambda: call(cutoffs=[0, 12, 20]))
    assert_raises_named(ValueError, name, "cutoffs", lambda: call(cutoffs=[]))
    assert_raises_named(ValueError, name, "tail_weights", lambda: call(tail_weights=tail[:2]))
    assert_raises_named(TypeError, name, "tail_weights", lambda: call(tail_weights=head_weight))
    assert_raises_named(TypeError, name, "cutoffs", lambda: call(cutoffs=[5.0, 12, 20]))
    assert_raises_named(TypeError, name, "cutoffs", lambda: call(cutoffs=[5, True, 20]))
    assert_raises_named(TypeError, name, "cutoffs", lambda: call(cutoffs=5))
    assert_raises_named(ValueError, name, "div_value", lambda: call(div_value=float("nan")))
    assert_raises_named(TypeError, name, "div_value", lambda: call(div_value="2"))
    assert_raises_named(ValueError, name, "sample_weight",
                        lambda: call(sample_weight=backend.asarray(np.ones((10, 2)))))
    assert_raises_named(ValueError, name, "tail_weights", lambda: call(div_value=4.0))
    assert_raises_named(ValueError, name, "tail_weights", lambda: call(cutoffs=[5, 11, 20]))
    assert_raises_named(ValueError, name, "head_weight",
                        lambda: call(head_weight=head_weight[1:, ...]))
    assert_raises_named(ValueError, name, "head_bias", lambda: call(head_bias=bias[1:]))
    assert_raises_named(ValueError, name, "div_value", lambda: call(div_value=0.0))
    assert_raises_named(ValueError, name, "reduction", lambda: call(reduction="avg"))
