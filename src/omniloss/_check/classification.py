"""``omniloss check`` cases for :mod:`omniloss.classification`."""

from __future__ import annotations

import numpy as np

from omniloss._check import Case, CaseMaker

REDUCTIONS = ("mean", "sum", "none")


def _probabilities(rng: np.random.Generator, shape: tuple[int, ...], axis: int) -> np.ndarray:
    raw: np.ndarray = rng.uniform(0.05, 1.0, size=shape)
    return np.asarray(raw / raw.sum(axis=axis, keepdims=True))


def _labels(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    return np.where(rng.uniform(size=shape) > 0.5, 1.0, -1.0)


def _binary_probabilities(rng: np.random.Generator) -> list[Case]:
    p, y = rng.uniform(0.05, 0.95, size=(8, 5)), rng.uniform(size=(8, 5))
    return [Case((p, y), {"reduction": r}, r) for r in REDUCTIONS]


def _binary_logits(rng: np.random.Generator) -> list[Case]:
    x, y = 2 * rng.normal(size=(8, 5)), rng.uniform(size=(8, 5))
    return [Case((x, y), {"reduction": r}, r) for r in REDUCTIONS]


def _multiclass(rng: np.random.Generator, *, ignore: bool = True) -> list[Case]:
    logits = 2 * rng.normal(size=(6, 5, 3))
    target = rng.integers(0, 5, size=(6, 3))
    if ignore:
        target[0, 0] = -100
    soft = _probabilities(rng, (6, 5, 3), 1)
    last = np.moveaxis(logits, 1, -1).copy()
    return [
        *(Case((logits, target), {"reduction": r}, f"indices {r}") for r in REDUCTIONS),
        Case((logits, soft), {}, "probabilities"),
        Case((last, target), {"axis": -1}, "indices axis=-1"),
    ]


def _cross_entropy(rng: np.random.Generator) -> list[Case]:
    cases = _multiclass(rng)
    logits, target = cases[0].args
    probabilities = _probabilities(rng, (6, 5, 3), 1)
    return [*cases,
            Case((logits, target), {"label_smoothing": 0.2}, "smoothing"),
            Case((probabilities, target), {"from_logits": False}, "from probabilities")]


def _linear_cross_entropy(rng: np.random.Generator) -> list[Case]:
    hidden, projection = rng.normal(size=(7, 4)), rng.normal(size=(6, 4))
    target = rng.integers(0, 6, size=7)
    target[1] = -100
    soft = _probabilities(rng, (7, 6), 1)
    return [Case((hidden, projection, target), {"chunk_size": 3, "reduction": r}, r)
            for r in REDUCTIONS] + [
        Case((hidden, projection, soft), {"chunk_size": 2, "label_smoothing": 0.1},
             "probabilities")]


def _nll_loss(rng: np.random.Generator) -> list[Case]:
    log_probs = np.log(_probabilities(rng, (6, 5, 3), 1))
    target = rng.integers(0, 5, size=(6, 3))
    target[0, 0] = -100
    return [Case((log_probs, target), {"reduction": r}, r) for r in REDUCTIONS]


def _kl_div(rng: np.random.Generator) -> list[Case]:
    log_q = np.log(_probabilities(rng, (6, 5), 1))
    p = _probabilities(rng, (6, 5), 1)
    return [*(Case((log_q, p), {"reduction": r}, r) for r in (*REDUCTIONS, "batchmean")),
            Case((log_q, np.log(p)), {"log_target": True}, "log_target")]


def _js_divergence(rng: np.random.Generator) -> list[Case]:
    p, q = _probabilities(rng, (6, 5), 1), _probabilities(rng, (6, 5), 1)
    return [Case((p, q), {"reduction": r}, r) for r in REDUCTIONS]


def _generalized_kl(rng: np.random.Generator) -> list[Case]:
    log_q = rng.normal(size=(6, 5))
    t = rng.uniform(0.05, 2.0, size=(6, 5))
    t[0, 0] = 0.0
    return [*(Case((log_q, t), {"reduction": r}, r) for r in REDUCTIONS),
            Case((log_q.T.copy(), t.T.copy()), {"axis": 0}, "axis=0")]


def _sigmoid_focal_loss(rng: np.random.Generator) -> list[Case]:
    x, y = 2 * rng.normal(size=(8, 5)), (rng.uniform(size=(8, 5)) > 0.5).astype(np.float64)
    return [Case((x, y), {"gamma": g, "reduction": r}, f"gamma={g} {r}")
            for g in (0.5, 2.0) for r in REDUCTIONS]


def _softmax_focal_loss(rng: np.random.Generator) -> list[Case]:
    return [Case(case.args, {**case.kwargs, "alpha": 0.25, "gamma": 1.5}, case.label)
            for case in _multiclass(rng)]


def _poly1_cross_entropy(rng: np.random.Generator) -> list[Case]:
    return [Case(case.args, {**case.kwargs, "epsilon": 1.0}, case.label)
            for case in _multiclass(rng, ignore=False)]


def _distillation_loss(rng: np.random.Generator) -> list[Case]:
    student, teacher = 2 * rng.normal(size=(6, 5)), 2 * rng.normal(size=(6, 5))
    return [Case((student, teacher), {"temperature": 2.0, "reduction": r}, r)
            for r in ("batchmean", *REDUCTIONS)]


def _zero_one_loss(rng: np.random.Generator) -> list[Case]:
    scores = rng.normal(size=(8, 5))
    target = rng.integers(0, 5, size=8)
    return [Case((scores, target), {"reduction": r}, f"multi-class {r}") for r in REDUCTIONS] + [
        Case((scores, _labels(rng, (8, 5))), {}, "binary")]


def _margin_labels(rng: np.random.Generator) -> list[Case]:
    f, y = 2 * rng.normal(size=(8, 5)), _labels(rng, (8, 5))
    return [Case((f, y), {"reduction": r}, r) for r in REDUCTIONS]


def _binary_sparsemax(rng: np.random.Generator) -> list[Case]:
    x, y = 2 * rng.normal(size=(8, 5)), rng.integers(0, 2, size=(8, 5))
    return [*(Case((x, 1.0 * y), {"reduction": r}, r) for r in REDUCTIONS),
            Case((x, y), {}, "integer labels")]


def _multiclass_sparsemax(rng: np.random.Generator) -> list[Case]:
    return [case for case in _multiclass(rng, ignore=False) if case.label != "probabilities"]


def _fenchel_young(rng: np.random.Generator) -> list[Case]:
    scores, target = 2 * rng.normal(size=(6, 5)), _probabilities(rng, (6, 5), 1)
    return [Case((scores, target), {"kind": k, "reduction": r}, f"{k} {r}")
            for k in ("softmax", "sparsemax") for r in REDUCTIONS] + [
        Case((scores.T.copy(), target.T.copy()), {"kind": "sparsemax", "axis": 0},
             "sparsemax axis=0")]


def _smooth_labels(rng: np.random.Generator) -> list[Case]:
    one_hot = np.eye(5)[rng.integers(0, 5, size=6)]
    return [Case((one_hot, 0.1), {}, "one-hot"),
            Case((_probabilities(rng, (6, 5, 3), 1), 0.3), {"axis": 1}, "soft, axis=1")]


def _generalized_cross_entropy(rng: np.random.Generator) -> list[Case]:
    probabilities = _probabilities(rng, (6, 5, 3), 1)
    target = rng.integers(0, 5, size=(6, 3))
    logits = 2 * rng.normal(size=(6, 5))
    return [*(Case((probabilities, target), {"reduction": r}, r) for r in REDUCTIONS),
            Case((probabilities, target), {"q": 1.0}, "q=1"),
            Case((logits, target[:, 0]), {"q": 0.3, "from_logits": True}, "from logits")]


def _binary_focal_cross_entropy(rng: np.random.Generator) -> list[Case]:
    cases = _binary_probabilities(rng)
    p, y = cases[0].args
    logits = 2 * rng.normal(size=(8, 5))
    return [*cases,
            Case((p, y), {"apply_class_balancing": True, "alpha": 0.4, "label_smoothing": 0.1,
                          "gamma": 0.5}, "balanced, smoothed, gamma=0.5"),
            Case((logits, y), {"from_logits": True, "label_smoothing": 0.2}, "from logits")]


def _weighted(maker: CaseMaker, shape: tuple[int, ...], **options: object) -> CaseMaker:
    """``maker``'s cases and one more: its first case with ``sample_weight`` (uniform in
    [0, 2), one entry 0) and ``where`` of ``shape`` (what broadcasts against the unreduced
    loss), reduced by ``options`` (``"mean"`` unless given)."""
    def make(rng: np.random.Generator) -> list[Case]:
        cases = maker(rng)
        first = cases[0]
        weight = rng.uniform(0.0, 2.0, size=shape)
        weight.reshape(-1)[0] = 0.0
        where = rng.uniform(size=shape) > 0.25
        kwargs = {**first.kwargs, "reduction": "mean", **options, "sample_weight": weight,
                  "where": where}
        return [*cases, Case(first.args, kwargs, f"{first.label} sample_weight, where")]
    return make


CASES: dict[str, CaseMaker] = {
    "binary_cross_entropy": _weighted(_binary_probabilities, (8, 1)),
    "binary_cross_entropy_with_logits": _weighted(_binary_logits, (8, 5)),
    "cross_entropy": _weighted(_cross_entropy, (6, 3)),
    "linear_cross_entropy": _weighted(_linear_cross_entropy, (7,)),
    "nll_loss": _weighted(_nll_loss, (6, 3)),
    "kl_div": _weighted(_kl_div, (6, 1), reduction="batchmean"),
    "js_divergence": _weighted(_js_divergence, (6,)),
    "generalized_kl_divergence": _weighted(_generalized_kl, (6,)),
    "sigmoid_focal_loss": _weighted(_sigmoid_focal_loss, (8, 5)),
    "binary_focal_cross_entropy": _weighted(_binary_focal_cross_entropy, (8, 1)),
    "softmax_focal_loss": _weighted(_softmax_focal_loss, (6, 1)),
    "poly1_cross_entropy": _weighted(_poly1_cross_entropy, (6, 3)),
    "generalized_cross_entropy": _weighted(_generalized_cross_entropy, (6, 3)),
    "distillation_loss": _weighted(_distillation_loss, (6, 1), reduction="batchmean"),
    "zero_one_loss": _weighted(_zero_one_loss, (8,)),
    "exponential_loss": _weighted(_margin_labels, (8, 5), reduction="sum"),
    "logistic_loss": _weighted(_margin_labels, (8, 1)),
    "sparsemax_loss": _weighted(_binary_sparsemax, (8, 5)),
    "multiclass_sparsemax_loss": _weighted(_multiclass_sparsemax, (6, 3)),
    "smooth_labels": _smooth_labels,
    "fenchel_young_loss": _weighted(_fenchel_young, (6,)),
}
