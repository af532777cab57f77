"""``omniloss.torch``: the generated ``nn.Module`` of every loss against its function, training
against ``torch.nn``'s own modules, buffers through ``.to()``/``state_dict``, ``torch.compile``.

Runs where torch is a selected backend (the tests-torch session).
"""

from __future__ import annotations

import copy
import inspect
import io
import pickle
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import omniloss as ol
from omniloss._adapters import specs
from omniloss._catalogue import CATALOGUE, NOT_LOSSES
from omniloss._check import all_cases
from omniloss.testing import selected_backends

SELECTED = selected_backends()

pytestmark = pytest.mark.skipif("torch" not in SELECTED, reason="torch is not a selected backend")

torch = pytest.importorskip("torch")
ot = pytest.importorskip("omniloss.torch")
nn = torch.nn

SPECS = {spec.entry.name: spec for spec in specs()}


def _torch(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return torch.from_numpy(value.copy())
    if isinstance(value, list | tuple) and value and not isinstance(value[0], int | float):
        return type(value)(_torch(item) for item in value)
    return value


def test_every_loss_has_a_module():
    """Every catalogue loss (not the activations) has a class, named by the catalogue."""
    losses = [entry for entry in CATALOGUE if entry.family not in NOT_LOSSES]
    assert all(entry.classes is not None for entry in losses)
    assert sorted(ot.__all__) == sorted(["LossModule", *(e.classes.torch for e in losses)])
    for entry in losses:
        assert issubclass(getattr(ot, entry.classes.torch), nn.Module)


@pytest.mark.parametrize("name", sorted(SPECS))
def test_module_equals_function(name):
    """For each ``omniloss check`` case: the module built from the case's options, called on its
    arrays, gives the function's value and gradients; ``forward`` also takes arrays by name."""
    spec = SPECS[name]
    cls = getattr(ot, spec.entry.classes.torch)
    signature = inspect.signature(spec.function)
    for case in all_cases()[name](np.random.default_rng(0)):
        given = {k: _torch(v) for k, v in
                 signature.bind(*case.args, **case.kwargs).arguments.items()}
        args = [given[k] for k in spec.arrays]
        options = {k: v for k, v in given.items() if k in spec.options}
        call = {k: v for k, v in given.items() if k not in spec.options and k not in spec.arrays}
        floating = [a for a in args if isinstance(a, torch.Tensor) and a.is_floating_point()]
        for a in floating:
            a.requires_grad_(True)
        want = spec.function(*args, **options, **call)
        want_grads = torch.autograd.grad(want.sum(), floating, allow_unused=True) \
            if want.requires_grad else ()
        module = cls(**options)
        got = module(*args, **call)
        assert type(got) is type(want) and got.dtype == want.dtype, case.label
        torch.testing.assert_close(got, want, rtol=0, atol=0, equal_nan=True)
        if want.requires_grad:
            got_grads = torch.autograd.grad(got.sum(), floating, allow_unused=True)
            for g, w in zip(got_grads, want_grads, strict=True):
                assert (g is None) == (w is None)
                if g is not None:
                    torch.testing.assert_close(g, w, rtol=0, atol=0, equal_nan=True)
        named = dict(zip(spec.arrays, args, strict=False))
        torch.testing.assert_close(module(**named, **call), want, rtol=0, atol=0, equal_nan=True)


# Training against torch.nn's own modules: 20 SGD steps end with the same parameters


def _classes(n: int = 32, c: int = 5) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(1)
    return torch.randn(n, 6, generator=g), torch.randint(0, c, (n,), generator=g)


def _regression() -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(2)
    return torch.randn(32, 6, generator=g), torch.randn(32, 5, generator=g)


def _binary() -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(3)
    return torch.randn(32, 6, generator=g), torch.randint(0, 2, (32, 5), generator=g).float()


def _signs() -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(4)
    return torch.randn(32, 6, generator=g), torch.randint(0, 2, (32,), generator=g) * 2.0 - 1


WEIGHT = torch.tensor([1.0, 2.0, 0.5, 1.5, 1.0])

# (our module, torch's module, data, how the model's output meets the loss)
TRAINING: dict[str, tuple[Callable[[], Any], Callable[[], Any], Callable[[], Any], str]] = {
    "cross_entropy": (lambda: ot.CrossEntropyLoss(weight=WEIGHT, label_smoothing=0.1),
                      lambda: nn.CrossEntropyLoss(weight=WEIGHT, label_smoothing=0.1),
                      _classes, "plain"),
    "nll_loss": (lambda: ot.NLLLoss(weight=WEIGHT), lambda: nn.NLLLoss(weight=WEIGHT),
                 _classes, "log_softmax"),
    "mse_loss": (ot.MSELoss, nn.MSELoss, _regression, "plain"),
    "huber_loss": (lambda: ot.HuberLoss(delta=0.5), lambda: nn.HuberLoss(delta=0.5),
                   _regression, "plain"),
    "gaussian_nll_loss": (ot.GaussianNLLLoss, nn.GaussianNLLLoss, _regression, "variance"),
    "bce_with_logits": (lambda: ot.BCEWithLogitsLoss(pos_weight=WEIGHT),
                        lambda: nn.BCEWithLogitsLoss(pos_weight=WEIGHT), _binary, "plain"),
    "kl_div": (lambda: ot.KLDivLoss(reduction="batchmean"),
               lambda: nn.KLDivLoss(reduction="batchmean"), _regression, "kl"),
    "multi_margin_loss": (lambda: ot.MultiMarginLoss(weight=WEIGHT, margin=0.5),
                          lambda: nn.MultiMarginLoss(weight=WEIGHT, margin=0.5),
                          _classes, "plain"),
    "soft_margin_loss": (ot.SoftMarginLoss, nn.SoftMarginLoss, _signs, "first"),
    "margin_ranking_loss": (lambda: ot.MarginRankingLoss(margin=0.2),
                            lambda: nn.MarginRankingLoss(margin=0.2), _signs, "pair"),
    "triplet_margin_loss": (lambda: ot.TripletMarginLoss(margin=0.5),
                            lambda: nn.TripletMarginLoss(margin=0.5), _regression, "triplet"),
    "cosine_embedding_loss": (lambda: ot.CosineEmbeddingLoss(margin=0.1),
                              lambda: nn.CosineEmbeddingLoss(margin=0.1), _signs, "cosine"),
    "ctc_loss": (ot.CTCLoss, nn.CTCLoss, _classes, "ctc"),
}


def _loss(kind: str, criterion: Any, out: torch.Tensor, x: torch.Tensor, y: torch.Tensor) -> Any:
    if kind == "plain":
        return criterion(out, y)
    if kind == "log_softmax":
        return criterion(torch.log_softmax(out, 1), y)
    if kind == "variance":
        return criterion(out, y, torch.nn.functional.softplus(out) + 0.1)
    if kind == "kl":
        return criterion(torch.log_softmax(out, 1), torch.softmax(y, 1))
    if kind == "first":
        return criterion(out[:, 0], y)
    if kind == "pair":
        return criterion(out[:, 0], out[:, 1], y)
    if kind == "triplet":
        return criterion(out, y, out.flip(0))
    if kind == "cosine":
        return criterion(out[:, :3], out[:, 2:], y)
    # ctc: 8 frames of the 32 samples' outputs, 4 sequences of 2 labels each
    log_probs = torch.log_softmax(out.reshape(8, 4, 5), -1)
    targets = (y.reshape(4, 8)[:, :2] % 4) + 1
    return criterion(log_probs, targets, torch.full((4,), 8), torch.full((4,), 2))


def _train(criterion: Any, data: Callable[[], Any], kind: str, steps: int = 20
           ) -> list[torch.Tensor]:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 16), nn.Tanh(), nn.Linear(16, 5))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    x, y = data()
    for _ in range(steps):
        optimizer.zero_grad()
        _loss(kind, criterion, model(x), x, y).backward()
        optimizer.step()
    return [p.detach() for p in model.parameters()]


@pytest.mark.parametrize("name", sorted(TRAINING))
def test_training_equals_torch_nn(name):
    """A small model trained 20 SGD steps ends with the same parameters (float32, 1e-6) with our
    module as with torch.nn's, one loss of each family torch has."""
    ours, theirs, data, kind = TRAINING[name]
    got, want = _train(ours(), data, kind), _train(theirs(), data, kind)
    for g, w in zip(got, want, strict=True):
        torch.testing.assert_close(g, w, rtol=1e-6, atol=1e-6)
    assert not torch.equal(got[0], _train(ours(), data, kind, steps=0)[0])  # it did train


def test_buffers_follow_the_module():
    """Tensor options are buffers: ``.to(dtype)``, ``.half()``, ``state_dict`` and
    ``load_state_dict`` carry them, and each call reads the current one; a module pickles."""
    module = ot.CrossEntropyLoss(weight=WEIGHT)
    assert [name for name, _ in module.named_buffers()] == ["weight"]
    assert module.to(torch.float64).weight.dtype == torch.float64
    logits, labels = torch.randn(4, 5, dtype=torch.float64), torch.tensor([0, 1, 4, 2])
    want = ol.cross_entropy(logits, labels, weight=WEIGHT.double())
    torch.testing.assert_close(module(logits, labels), want)
    assert copy.deepcopy(module).half().weight.dtype == torch.float16

    saved = io.BytesIO()
    torch.save(module.state_dict(), saved)
    other = ot.CrossEntropyLoss(weight=torch.zeros(5, dtype=torch.float64))
    other.load_state_dict(torch.load(io.BytesIO(saved.getvalue())))
    torch.testing.assert_close(other(logits, labels), want)
    torch.testing.assert_close(pickle.loads(pickle.dumps(other))(logits, labels), want)
    assert "pos_weight" in dict(ot.BCEWithLogitsLoss(pos_weight=[1.0, 2.0]).named_buffers())
    assert dict(ot.SoftmaxFocalLoss(alpha=0.25).named_buffers()) == {}  # a number stays one
    assert ot.CrossEntropyLoss().weight is None  # as torch's: the absent weight is a buffer
    module = ot.CrossEntropyLoss()
    module.weight = WEIGHT.double()  # a buffer takes a new tensor, read at the next call
    torch.testing.assert_close(module(logits, labels), want)


def test_options_are_attributes():
    """Options read as attributes, as torch's; setting one is refused (it would not reach a
    compiled graph)."""
    module = ot.CrossEntropyLoss(label_smoothing=0.1)
    assert (module.reduction, module.label_smoothing, module.ignore_index) == ("mean", 0.1, -100)
    with pytest.raises(AttributeError, match="options are fixed at construction"):
        module.reduction = "sum"
    with pytest.raises(AttributeError):
        module.no_such_option  # noqa: B018


def test_repr_and_options():
    """``repr`` shows the options that differ from the defaults and the tensors' shapes; an
    unknown option is a TypeError naming the class and suggesting the closest option; the
    docstring says what the class calls."""
    assert repr(ot.MSELoss()) == "MSELoss()"
    assert repr(ot.CrossEntropyLoss(weight=WEIGHT, label_smoothing=0.1)) == \
        "CrossEntropyLoss(label_smoothing=0.1, weight=Tensor[5])"
    with pytest.raises(TypeError, match=r"CrossEntropyLoss: unknown option 'label_smothing'; "
                                        r"did you mean 'label_smoothing'"):
        ot.CrossEntropyLoss(label_smothing=0.1)
    with pytest.raises(TypeError, match="AdaptiveLogSoftmaxLoss: the option 'cutoffs' is required"):
        ot.AdaptiveLogSoftmaxLoss()
    with pytest.raises(AttributeError, match="did you mean 'CrossEntropyLoss'"):
        ot.CrossEntropyLos  # noqa: B018
    assert "omniloss.ctc_loss" in ot.CTCLoss.__doc__
    assert "module(log_probs, targets, input_lengths, target_lengths" in ot.CTCLoss.__doc__
    with pytest.raises(ValueError, match="reduction"):  # values are the function's to check
        ot.MSELoss(reduction="avg")(torch.zeros(2), torch.zeros(2))


def test_sample_weight_and_where():
    """``forward`` passes ``sample_weight`` and ``where`` through."""
    x, y = torch.randn(6, 5), torch.randint(0, 5, (6,))
    w, m = torch.rand(6), torch.tensor([True, True, False, True, False, True])
    module = ot.CrossEntropyLoss(label_smoothing=0.2)
    torch.testing.assert_close(module(x, y, sample_weight=w, where=m),
                               ol.cross_entropy(x, y, label_smoothing=0.2, sample_weight=w,
                                                where=m))


def test_compile_training_step():
    """``torch.compile`` (full graph) of a training step's forward, model and loss module with a
    buffer, its backward through the compiled graph, gives the eager step's parameters."""
    def step(model: Any, criterion: Any, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return criterion(model(x), y)

    results = []
    for compiled in (False, True):
        torch.manual_seed(0)
        model = nn.Sequential(nn.Linear(6, 16), nn.Tanh(), nn.Linear(16, 5))
        criterion = ot.CrossEntropyLoss(weight=WEIGHT, label_smoothing=0.1)
        run = torch.compile(step, fullgraph=True, backend="aot_eager") if compiled else step
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        x, y = _classes()
        for _ in range(3):
            optimizer.zero_grad()
            run(model, criterion, x, y).backward()
            optimizer.step()
        results.append([p.detach() for p in model.parameters()])
    for g, w in zip(*results, strict=True):
        torch.testing.assert_close(g, w, rtol=1e-6, atol=1e-6)


def test_imports_torch_alone():
    """``import omniloss.torch`` imports torch and no other framework."""
    probe = ("import sys, omniloss.torch; print(sorted(m for m in ('jax', 'tensorflow', 'keras',"
             " 'dask') if m in sys.modules))")
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.strip() == "[]"


def test_forward_signature_is_documented():
    """Each class's docstring starts with its function's summary line."""
    for spec in SPECS.values():
        cls = getattr(ot, spec.entry.classes.torch)
        summary = inspect.getdoc(spec.function).splitlines()[0]
        assert cls.__doc__.startswith(summary)
