"""``omniloss check`` cases for :mod:`omniloss.segmentation`."""

from __future__ import annotations

import numpy as np

from omniloss._check import Case, CaseMaker

_REDUCTIONS = ("mean", "sum", "none")


def _masks(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    shape = (4, 3, 5)
    return rng.uniform(size=shape), (rng.uniform(size=shape) > 0.5).astype(np.float64)


def _mask_cases(*options: dict[str, object]) -> CaseMaker:
    """Probabilities and a binary mask: all axes, then per sample with every reduction."""
    def make(rng: np.random.Generator) -> list[Case]:
        probs, mask = _masks(rng)
        cases = [Case((probs, mask), {}, "axis=None")]
        cases += [Case((probs, mask), {"axis": (1, 2), "reduction": r}, f"axis=(1, 2), {r}")
                  for r in _REDUCTIONS]
        cases += [Case((probs, mask), dict(extra), ", ".join(f"{k}={v}" for k, v in extra.items()))
                  for extra in options]
        weighting = {"sample_weight": rng.uniform(0.5, 2.0, size=(4, 3)),
                     "where": np.array([[True], [False], [True], [True]])}
        cases += [Case((probs, mask), {"axis": (2,), **weighting, "reduction": r},
                       f"axis=(2,), weighted, {r}") for r in ("mean", "none")]
        return cases
    return make


def _lovasz_hinge(rng: np.random.Generator) -> list[Case]:
    logits = 2 * rng.normal(size=(4, 3, 5))
    target = (rng.uniform(size=(4, 3, 5)) > 0.5).astype(np.float64)
    ignored = target.copy()
    ignored[0, 0, :2] = 255.0
    weighting = {"sample_weight": rng.uniform(0.5, 2.0, size=4),
                 "where": np.array([True, False, True, True])}
    return [Case((logits, target), {}, "batch")] + [
        Case((logits, target), {"per_image": True, "reduction": r}, f"per image, {r}")
        for r in _REDUCTIONS] + [
        Case((logits, ignored), {"ignore_index": 255, "per_image": True}, "ignored"),
        Case((logits, target), {"per_image": True, **weighting}, "per image, weighted")]


def _lovasz_softmax(rng: np.random.Generator) -> list[Case]:
    logits = 2 * rng.normal(size=(3, 4, 2, 5))
    target = rng.integers(0, 3, size=(3, 2, 5))  # class 3 absent
    ignored = target.copy()
    ignored[0, 0, :3] = -100
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    weighting = {"sample_weight": rng.uniform(0.5, 2.0, size=3),
                 "where": np.array([True, False, True])}
    return [Case((logits, target), {}, "batch")] + [
        Case((logits, target), {"per_image": True, "reduction": r}, f"per image, {r}")
        for r in _REDUCTIONS] + [
        Case((logits, ignored), {"classes": "all"}, "ignored, all classes"),
        Case((probs, target), {"from_logits": False, "per_image": True}, "probabilities"),
        Case((logits, target), {"per_image": True, **weighting}, "per image, weighted")]


def _boxes(rng: np.random.Generator) -> list[Case]:
    def boxes() -> np.ndarray:
        corner = rng.uniform(0, 4, size=(8, 2))
        return np.concatenate([corner, corner + rng.uniform(0.5, 3, size=(8, 2))], axis=1)

    first, second = boxes(), boxes()
    second[0] = first[0]  # identical boxes: every max/min ties
    weighting = {"sample_weight": rng.uniform(0.5, 2.0, size=8), "where": np.arange(8) != 3}
    return [Case((first, second), {"reduction": r}, r) for r in _REDUCTIONS] + [
        Case((first, second), {"eps": 1e-3}, "eps=1e-3")] + [
        Case((first, second), {**weighting, "reduction": r}, f"weighted, {r}")
        for r in ("mean", "none")]


def _generalized_dice(rng: np.random.Generator) -> list[Case]:
    logits = 2 * rng.normal(size=(4, 3, 5, 3))
    one_hot = np.eye(3)[rng.integers(0, 3, size=(4, 3, 5))]
    probabilities = np.exp(logits) / np.exp(logits).sum(axis=-1, keepdims=True)
    weighting = {"sample_weight": rng.uniform(0.5, 2.0, size=(4, 1)),
                 "where": np.array([[True], [False], [True], [True]])}
    return [Case((logits, one_hot), {"reduction": r}, r) for r in _REDUCTIONS] + [
        Case((np.moveaxis(logits, -1, 1), np.moveaxis(one_hot, -1, 1)), {"class_axis": 1},
             "class_axis=1"),
        Case((probabilities, one_hot), {"from_logits": False, "smooth": 0.5},
             "probabilities, smooth=0.5"),
        Case((logits, one_hot), {"ignore_background": True}, "ignore_background"),
        Case((logits[..., :1], one_hot[..., :1]), {}, "one class (sigmoid)"),
        Case((logits, one_hot), weighting, "weighted")]


def _dice_combined(option: dict[str, object]) -> CaseMaker:
    """Logits (N, C, H, W) and class ids: every reduction, then the options that change the
    code path (ignored pixels, class weights, no background, a one-hot target, sigmoid) and
    per-sample weights."""
    def make(rng: np.random.Generator) -> list[Case]:
        logits = 2 * rng.normal(size=(3, 4, 2, 5))
        target = rng.integers(0, 4, size=(3, 2, 5))
        ignored = target.copy()
        ignored[0, 0, :3] = -100
        one_hot = np.moveaxis(np.eye(4)[target], -1, 1)
        per_sample = 3 if "label_smoothing" in option else (3, 1)  # (N,) or (N, 1)
        weighting = {"sample_weight": rng.uniform(0.5, 2.0, size=per_sample),
                     "where": np.array([True, False, True]).reshape(per_sample)}
        return [Case((logits, target), {"reduction": r}, r) for r in _REDUCTIONS] + [
            Case((logits, ignored), {"weight": rng.uniform(0.5, 2.0, size=4),
                                     "include_background": False},
                 "ignored, weight, no background"),
            Case((logits, one_hot), {"activation": "sigmoid", **option},
                 "one-hot, sigmoid, " + ", ".join(f"{k}={v}" for k, v in option.items())),
            Case((logits, target), {**weighting, "reduction": "mean"}, "weighted, mean"),
            Case((logits, target), {**weighting, "reduction": "none"}, "weighted, none")]
    return make


CASES: dict[str, CaseMaker] = {
    "dice_loss": _mask_cases({"smooth": 1.0}),
    "jaccard_loss": _mask_cases({"smooth": 1.0}),
    "tversky_loss": _mask_cases({"alpha": 0.7, "beta": 0.3}),
    "generalized_dice_loss": _generalized_dice,
    "focal_tversky_loss": _mask_cases({"alpha": 0.7, "beta": 0.3, "gamma": 0.75},
                                      {"gamma": 2.0}),
    "mcc_loss": _mask_cases({"eps": 0.0}),
    "lovasz_hinge_loss": _lovasz_hinge,
    "lovasz_softmax_loss": _lovasz_softmax,
    "dice_cross_entropy_loss": _dice_combined({"label_smoothing": 0.1}),
    "dice_focal_loss": _dice_combined({"gamma": 0.5, "alpha": 0.25}),
    "box_iou_loss": _boxes,
    "generalized_box_iou_loss": _boxes,
    "distance_box_iou_loss": _boxes,
    "complete_box_iou_loss": _boxes,
}
