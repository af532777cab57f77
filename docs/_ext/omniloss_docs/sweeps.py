"""The one-dimensional sweep each function's page plots: which input moves, over what range.

A :class:`Sweep` builds a function's arguments from one swept number ``t`` (a 0-d float64
array of the backend being drawn) and fixed values; the page plots the result (a loss, or
one element of an activation's output) and its derivative with respect to ``t``. Class losses
sweep the true class's logit (or probability, or cosine); the others their prediction.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import omniloss as ol
from omniloss.testing import Backend


class Inputs:
    """A sweep's arguments on one backend: arrays built from NumPy values and the swept ``t``."""

    def __init__(self, backend: Backend, t: Any) -> None:
        self.backend = backend
        self.t = t

    def array(self, values: Any) -> Any:
        """A float64 array of ``values``, constant in ``t``."""
        return self.backend.asarray(np.asarray(values, dtype=np.float64))

    def ints(self, values: Any) -> Any:
        """An int64 array of ``values`` (class ids, lengths)."""
        return self.backend.asarray(np.asarray(values, dtype=np.int64))

    def line(self, base: Any, direction: Any) -> Any:
        """``base + t * direction``."""
        return self.array(base) + self.t * self.array(direction)

    def at(self, base: Any, index: tuple[int, ...]) -> Any:
        """``base`` with ``t`` in place of its element at ``index``."""
        start = np.array(base, dtype=np.float64)
        direction = np.zeros_like(start)
        start[index], direction[index] = 0.0, 1.0
        return self.line(start, direction)


Arguments = Callable[[Inputs], tuple[Any, ...]]


@dataclass(frozen=True)
class Sweep:
    """``function(*arguments(inputs), **options)[pick]`` as ``t`` goes from ``lo`` to ``hi``."""

    axis: str  # what t is, for the x axis
    lo: float
    hi: float
    setting: str  # the fixed inputs, in words, for the caption
    arguments: Arguments
    options: Mapping[str, Any] = field(default_factory=dict)
    pick: tuple[int, ...] = ()  # the output element plotted (activations: elementwise output)

    def points(self, count: int) -> np.ndarray:
        return np.linspace(self.lo, self.hi, count)


LOGITS = [[0.0, 1.0, -1.0]]  # one sample, three classes; the swept true class 0 comes first


def true_class(lo: float = -5.0, hi: float = 5.0, **options: Any) -> Sweep:
    """Logits ``(t, 1, -1)`` of one sample whose target is class 0."""
    return Sweep("true-class logit t", lo, hi, "logits (t, 1, -1) of one sample, target class 0",
                 lambda s: (s.at(LOGITS, (0, 0)), s.ints([0])), options)


def true_class_one_hot(lo: float = -5.0, hi: float = 5.0) -> Sweep:
    """:func:`true_class` with a one-hot (or relevance) target ``(1, 0, 0)``."""
    return Sweep("true-class score t", lo, hi, "scores (t, 1, -1), target (1, 0, 0)",
                 lambda s: (s.at(LOGITS, (0, 0)), s.array([[1.0, 0.0, 0.0]])))


def pointwise(target: float, lo: float, hi: float, what: str = "prediction") -> Sweep:
    """One prediction ``t`` against one target."""
    return Sweep(f"{what} t", lo, hi, f"one {what} t, target {target:g}",
                 lambda s: (s.at([0.0], (0,)), s.array([target])))


def binary(lo: float = -4.0, hi: float = 4.0, what: str = "logit") -> Sweep:
    """One score (or probability) ``t`` of a positive sample (label 1)."""
    return pointwise(1.0, lo, hi, what)


def foreground(lo: float = 0.0, hi: float = 1.0) -> Sweep:
    """Segmentation probabilities ``(t, 0.8, 0.2, 0.1)`` of pixels labelled ``(1, 1, 0, 0)``."""
    return Sweep("probability t of a foreground pixel", lo, hi,
                 "probabilities (t, 0.8, 0.2, 0.1) of pixels labelled (1, 1, 0, 0)",
                 lambda s: (s.at([[0.0, 0.8, 0.2, 0.1]], (0, 0)), s.array([[1.0, 1.0, 0.0, 0.0]])))


def sliding_box() -> Sweep:
    """A 2x1 box sliding along x across the unit box."""
    return Sweep("horizontal offset t of the predicted box", -3.0, 2.0,
                 "predicted box (t, 0, t + 2, 1), target box (0, 0, 1, 1)",
                 lambda s: (s.line([[0.0, 0.0, 2.0, 1.0]], [[1.0, 0.0, 1.0, 0.0]]),
                            s.array([[0.0, 0.0, 1.0, 1.0]])))


#: four embeddings in two classes; the swept one (sample 1) is a positive of sample 0, and
#: turns towards the other class as t grows
EMBEDDINGS = [[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.3, 1.0]]


def anchors() -> Sweep:
    return Sweep("second coordinate t of sample 1", -4.0, 4.0,
                 "embeddings (1, 0), (1, t), (0, 1), (0.3, 1) with labels (0, 0, 1, 1)",
                 lambda s: (s.at(EMBEDDINGS, (1, 1)), s.ints([0, 0, 1, 1])))


def activation(lo: float = -4.0, hi: float = 4.0, extra: Sequence[float] = (),
               **options: Any) -> Sweep:
    """An elementwise activation of ``t``; ``extra`` are further positional arguments."""
    return Sweep("input t", lo, hi, "", lambda s: (s.at([0.0], (0,)), *map(s.array, extra)),
                 options, pick=(0,))


def distribution_output(name: str) -> Sweep:
    """The first component of ``name((t, 1, -1))``."""
    return Sweep("first input t", -4.0, 4.0, f"input (t, 1, -1); the plot shows the first "
                 f"component of {name}'s output", lambda s: (s.at([0.0, 1.0, -1.0], (0,)),),
                 pick=(0,))


# --- the inputs of the structured losses, fixed values chosen once ---
_RNG = np.random.default_rng(0)
_PIXEL_LOGITS = _RNG.normal(size=(1, 3, 2, 2))  # (N, C, H, W)
_PIXEL_CLASSES = np.array([[[0, 1], [2, 1]]])
_PIXELS_LAST = _RNG.normal(size=(1, 4, 3))  # (N, pixels, C)
_ONE_HOT_LAST = np.eye(3)[[0, 1, 2, 1]][None]
_CTC_LOGITS = _RNG.normal(size=(4, 1, 3))  # (T, N, C): blank 0, labels 1 and 2
_HEAD = _RNG.normal(size=(3, 4))  # cutoffs (2,): 2 shortlist classes + 1 cluster, 4 features
_TAIL = (_RNG.normal(size=(2, 4)), _RNG.normal(size=(2, 2)))  # div_value 2: 2 dims, 2 classes
_HIDDEN = _RNG.normal(size=(1, 4))


def _pixels(lo: float = -4.0, hi: float = 4.0) -> Sweep:
    """Logits of a 2x2 image over 3 classes; t is the true-class logit of its first pixel."""
    return Sweep("true-class logit t of the first pixel", lo, hi,
                 "a 2x2 image, 3 classes, fixed random logits, pixel classes ((0, 1), (2, 1))",
                 lambda s: (s.at(_PIXEL_LOGITS, (0, 0, 0, 0)), s.ints(_PIXEL_CLASSES)))


def _ctc_inputs(s: Inputs) -> tuple[Any, ...]:
    log_probs = ol.log_softmax(s.at(_CTC_LOGITS, (1, 0, 1)), axis=-1)
    return log_probs, s.ints([[1, 2]]), (4,), (2,)


_CTC_SETTING = ("4 frames over the classes {blank, 1, 2}, fixed random logits, target (1, 2); "
                "log_probs = log_softmax(logits)")

SWEEPS: dict[str, Sweep] = {
    # regression
    "l1_loss": pointwise(0.0, -3.0, 3.0),
    "mse_loss": pointwise(0.0, -3.0, 3.0),
    "rmse_loss": pointwise(0.0, -3.0, 3.0),
    "smooth_l1_loss": pointwise(0.0, -3.0, 3.0),
    "huber_loss": pointwise(0.0, -3.0, 3.0),
    "pseudo_huber_loss": pointwise(0.0, -3.0, 3.0),
    "log_cosh_loss": pointwise(0.0, -3.0, 3.0),
    "msle_loss": pointwise(1.0, -0.9, 4.0),
    "mape_loss": pointwise(1.0, -1.0, 3.0),
    "poisson_nll_loss": pointwise(2.0, -2.0, 3.0, "log-rate"),
    "gaussian_nll_loss": Sweep("mean t", -3.0, 3.0, "one mean t, target 0, variance 1",
                               lambda s: (s.at([0.0], (0,)), s.array([0.0]), s.array([1.0]))),
    "quantile_loss": pointwise(0.0, -3.0, 3.0),
    "robust_loss": pointwise(0.0, -3.0, 3.0),
    # classification
    "binary_cross_entropy": binary(0.01, 0.99, "probability"),
    "binary_cross_entropy_with_logits": binary(-6.0, 6.0),
    "cross_entropy": true_class(),
    "linear_cross_entropy": Sweep(
        "true-class logit t", -5.0, 5.0,
        "hidden state (t, 1, -1), identity projection (the logits are the hidden state), "
        "target class 0",
        lambda s: (s.at(LOGITS, (0, 0)), s.array(np.eye(3)), s.ints([0]))),
    "nll_loss": Sweep("true-class log-probability t", -5.0, 0.0,
                      "log-probabilities (t, log 0.3, log 0.2), target class 0",
                      lambda s: (s.at([[0.0, np.log(0.3), np.log(0.2)]], (0, 0)), s.ints([0]))),
    "kl_div": Sweep("log-probability t of the first class", -4.0, 0.0,
                    "input (t, log 0.5), target (0.7, 0.3)",
                    lambda s: (s.at([[0.0, np.log(0.5)]], (0, 0)), s.array([[0.7, 0.3]]))),
    "js_divergence": Sweep("first probability t", 0.01, 0.99,
                           "input (t, 1 - t), target (0.7, 0.3)",
                           lambda s: (s.line([[0.0, 1.0]], [[1.0, -1.0]]), s.array([[0.7, 0.3]]))),
    "generalized_kl_divergence": Sweep(
        "first log-prediction t", -3.0, 2.0, "input (t, 0), target (1, 1)",
        lambda s: (s.at([[0.0, 0.0]], (0, 0)), s.array([[1.0, 1.0]]))),
    "sigmoid_focal_loss": binary(-6.0, 6.0),
    "binary_focal_cross_entropy": binary(0.01, 0.99, "probability"),
    "softmax_focal_loss": true_class(),
    "poly1_cross_entropy": true_class(),
    "generalized_cross_entropy": Sweep(
        "true-class probability t", 0.01, 0.99,
        "probabilities (t, (1 - t)/2, (1 - t)/2), target class 0",
        lambda s: (s.line([[0.0, 0.5, 0.5]], [[1.0, -0.5, -0.5]]), s.ints([0]))),
    "distillation_loss": Sweep("student's first logit t", -4.0, 6.0,
                               "student logits (t, 1, -1), teacher logits (2, 0, -1)",
                               lambda s: (s.at(LOGITS, (0, 0)), s.array([[2.0, 0.0, -1.0]]))),
    "zero_one_loss": true_class(),
    "exponential_loss": binary(-2.0, 3.0, "score"),
    "logistic_loss": binary(-4.0, 4.0, "score"),
    "sparsemax_loss": binary(-3.0, 3.0, "score"),
    "multiclass_sparsemax_loss": true_class(),
    "fenchel_young_loss": true_class_one_hot(),
    # margin and ranking
    "hinge_loss": binary(-2.0, 3.0, "score"),
    "squared_hinge_loss": binary(-2.0, 3.0, "score"),
    "categorical_hinge_loss": true_class_one_hot(),
    "hinge_embedding_loss": pointwise(-1.0, -1.0, 3.0, "distance"),
    "soft_margin_loss": binary(-4.0, 4.0, "score"),
    "multi_margin_loss": true_class(-2.0, 4.0),
    "multilabel_margin_loss": Sweep("true-class score t", -2.0, 4.0,
                                    "scores (t, 1, -1), labels {0}",
                                    lambda s: (s.at(LOGITS, (0, 0)), s.ints([[0, -1, -1]]))),
    "multilabel_soft_margin_loss": true_class_one_hot(),
    "margin_ranking_loss": Sweep("first score t", -3.0, 3.0,
                                 "scores t and 0, target 1 (the first ranks higher)",
                                 lambda s: (s.at([0.0], (0,)), s.array([0.0]), s.array([1.0]))),
    "perceptron_loss": binary(-3.0, 3.0, "score"),
    "multiclass_perceptron_loss": true_class(-2.0, 4.0),
    "ranking_softmax_loss": true_class_one_hot(),
    # embedding
    "triplet_margin_loss": Sweep("negative's first coordinate t", -3.0, 3.0,
                                 "anchor (0, 0), positive (1, 0), negative (t, 0.5)",
                                 lambda s: (s.array([[0.0, 0.0]]), s.array([[1.0, 0.0]]),
                                            s.at([[0.0, 0.5]], (0, 0)))),
    "cosine_embedding_loss": Sweep("second coordinate t", -4.0, 4.0,
                                   "inputs (1, t) and (1, 0), target 1 (similar)",
                                   lambda s: (s.at([[1.0, 0.0]], (0, 1)), s.array([[1.0, 0.0]]),
                                              s.array([1.0]))),
    "cosine_similarity_loss": Sweep("second coordinate t", -4.0, 4.0,
                                    "input (1, t), target (1, 0)",
                                    lambda s: (s.at([[1.0, 0.0]], (0, 1)), s.array([[1.0, 0.0]]))),
    "contrastive_loss": Sweep("first coordinate t", -2.0, 2.0,
                              "inputs (t, 0.1) and (0, 0), target 0 (dissimilar), margin 1",
                              lambda s: (s.at([[0.0, 0.1]], (0, 0)), s.array([[0.0, 0.0]]),
                                         s.array([0.0]))),
    "ntxent_loss": anchors(),
    "circle_loss": anchors(),
    "supervised_contrastive_loss": anchors(),
    "multi_similarity_loss": anchors(),
    "margin_softmax_loss": Sweep("true-class cosine t", -1.0, 1.0,
                                 "cosines (t, 0.3, -0.2), target class 0",
                                 lambda s: (s.at([[0.0, 0.3, -0.2]], (0, 0)), s.ints([0]))),
    # segmentation and detection
    "dice_loss": foreground(),
    "jaccard_loss": foreground(),
    "tversky_loss": foreground(),
    "generalized_dice_loss": Sweep(
        "true-class logit t of the first pixel", -4.0, 4.0,
        "4 pixels, 3 classes (last axis), fixed random logits, one-hot classes (0, 1, 2, 1)",
        lambda s: (s.at(_PIXELS_LAST, (0, 0, 0)), s.array(_ONE_HOT_LAST))),
    "focal_tversky_loss": foreground(),
    "mcc_loss": foreground(),
    "lovasz_hinge_loss": Sweep("logit t of a foreground pixel", -3.0, 3.0,
                               "logits (t, 1, -1, -2) of pixels labelled (1, 1, 0, 0)",
                               lambda s: (s.at([[0.0, 1.0, -1.0, -2.0]], (0, 0)),
                                          s.array([[1.0, 1.0, 0.0, 0.0]]))),
    "lovasz_softmax_loss": _pixels(),
    "dice_cross_entropy_loss": _pixels(),
    "dice_focal_loss": _pixels(),
    "box_iou_loss": sliding_box(),
    "generalized_box_iou_loss": sliding_box(),
    "distance_box_iou_loss": sliding_box(),
    "complete_box_iou_loss": sliding_box(),
    # sequence
    "ctc_loss": Sweep("logit t of label 1 at frame 2", -4.0, 4.0, _CTC_SETTING, _ctc_inputs),
    # adversarial
    "gan_discriminator_loss": Sweep("discriminator logit t on a real sample", -4.0, 4.0,
                                    "real logit t, fake logit -1",
                                    lambda s: (s.at([0.0], (0,)), s.array([-1.0]))),
    "gan_generator_loss": Sweep("discriminator logit t on a generated sample", -4.0, 4.0,
                                "one fake logit t", lambda s: (s.at([0.0], (0,)),)),
    "gradient_penalty": Sweep("first gradient component t", -2.0, 2.0,
                              "gradient (t, 0.5) of one sample",
                              lambda s: (s.at([[0.0, 0.5]], (0, 0)),)),
    "loss_sensitive_gan_loss": Sweep("fake loss t", -1.0, 4.0,
                                     "real loss 0.5, fake loss t, distance 1",
                                     lambda s: (s.array([0.5]), s.at([0.0], (0,)),
                                                s.array([1.0]))),
    # feature-space and structured
    "perceptual_loss": Sweep("first feature t", -3.0, 3.0,
                             "two layers of features, (t, 1, -1) and (0.5, 0.5), target 0",
                             lambda s: ([s.at([LOGITS[0]], (0, 0)), s.array([[0.5, 0.5]])],
                                        [s.array([[0.0, 0.0, 0.0]]), s.array([[0.0, 0.0]])])),
    "adaptive_log_softmax_loss": Sweep(
        "first hidden feature t", -4.0, 4.0,
        "4 features, cutoffs (2,), div_value 2, fixed random weights, target class 3 (a tail "
        "class)",
        lambda s: (s.at(_HIDDEN, (0, 0)), s.ints([3]), s.array(_HEAD),
                   [(s.array(_TAIL[0]), s.array(_TAIL[1]))], [2]),
        {"div_value": 2.0}),
    # activations
    "identity": activation(),
    "sigmoid": activation(-6.0, 6.0),
    "log_sigmoid": activation(-6.0, 6.0),
    "tanh": activation(),
    "relu": activation(),
    "relu6": activation(-2.0, 8.0),
    "leaky_relu": activation(negative_slope=0.1),
    "prelu": activation(extra=([0.25],)),
    "elu": activation(),
    "swish": activation(),
    "silu": activation(),
    "mish": activation(),
    "softplus": activation(),
    "softmax": distribution_output("softmax"),
    "log_softmax": distribution_output("log_softmax"),
    "sparsemax": distribution_output("sparsemax"),
    # utilities
    "smooth_labels": Sweep("first label t", 0.0, 1.0,
                           "labels (t, 1 - t), alpha 0.1; the plot shows the first smoothed label",
                           lambda s: (s.line([0.0, 1.0], [1.0, -1.0]), 0.1), pick=(0,)),
    "ctc_forward_probabilities": Sweep(
        "logit t of label 1 at frame 2", -4.0, 4.0,
        _CTC_SETTING + "; the plot shows the last frame's log-alpha of the final blank",
        _ctc_inputs, pick=(3, 0, 4)),
}
