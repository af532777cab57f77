"""The catalogue: every public function, its family and the peer that defines its numbers.

``omniloss list``, the README table and the tests read this table; whether a row is implemented
is read off the package itself, so the table never goes stale.
"""

from __future__ import annotations

from typing import Any, NamedTuple


class Classes(NamedTuple):
    """The framework classes generated for one loss (:mod:`omniloss.torch`,
    :mod:`omniloss.keras`).

    ``torch`` names the ``nn.Module``, as torch names it where torch has the loss; the keras
    module has a ``Loss`` of the same name with the function's defaults. ``keras`` adds keras's
    names where keras has the loss with the same meaning, with ``keras_defaults`` (keras's
    defaults where they differ from the function's, as pairs). ``keras_true``: the array
    arguments read from ``y_true`` (a tuple when more than one); the others come from
    ``y_pred``. ``None`` reads the function's target-like argument (:data:`TRUTH`).
    ``keras_sample_mean``: keras's class of an elementwise loss returns one value per sample,
    the mean over the last axis; its ``keras`` names do too for ``"none"`` and ``"sum"``.
    """

    torch: str
    keras: tuple[str, ...] = ()
    keras_defaults: tuple[tuple[str, Any], ...] = ()
    keras_true: tuple[str, ...] | None = None
    keras_sample_mean: bool = False


#: the argument names a keras ``Loss`` reads from ``y_true`` by default
TRUTH = ("target", "targets", "labels", "teacher", "boxes2", "target_features")


class Entry(NamedTuple):
    name: str
    family: str
    peer: str
    classes: Classes | None = None  # None for the activations and utilities: not losses


REGRESSION = "regression"
CLASSIFICATION = "classification"
MARGIN = "margin and ranking"
EMBEDDING = "embedding"
SEGMENTATION = "segmentation and detection"
SEQUENCE = "sequence"
GAN = "adversarial"
STRUCTURED = "feature-space and structured"
ACTIVATION = "activation"
UTILITY = "utility"
NOT_LOSSES = (ACTIVATION, UTILITY)
"""The families of the functions that are not losses: no reduction, no framework classes."""

CATALOGUE: tuple[Entry, ...] = (
    Entry("l1_loss", REGRESSION, "torch.nn.functional.l1_loss",
          Classes("L1Loss", keras=("MeanAbsoluteError",), keras_sample_mean=True)),
    Entry("mse_loss", REGRESSION, "torch.nn.functional.mse_loss",
          Classes("MSELoss", keras=("MeanSquaredError",), keras_sample_mean=True)),
    Entry("rmse_loss", REGRESSION, "sqrt(torch.nn.functional.mse_loss)",
          Classes("RMSELoss")),
    Entry("smooth_l1_loss", REGRESSION, "torch.nn.functional.smooth_l1_loss",
          Classes("SmoothL1Loss")),
    Entry("huber_loss", REGRESSION, "torch.nn.functional.huber_loss",
          Classes("HuberLoss", keras=("Huber",), keras_sample_mean=True)),
    Entry("pseudo_huber_loss", REGRESSION, "delta**2 * (sqrt(1 + (r/delta)**2) - 1)",
          Classes("PseudoHuberLoss")),
    Entry("log_cosh_loss", REGRESSION, "keras.losses.log_cosh",
          Classes("LogCoshLoss", keras=("LogCosh",), keras_sample_mean=True)),
    Entry("msle_loss", REGRESSION, "keras.losses.mean_squared_logarithmic_error",
          Classes("MSLELoss", keras=("MeanSquaredLogarithmicError",), keras_sample_mean=True)),
    Entry("mape_loss", REGRESSION, "keras.losses.mean_absolute_percentage_error",
          Classes("MAPELoss", keras=("MeanAbsolutePercentageError",), keras_sample_mean=True)),
    Entry("poisson_nll_loss", REGRESSION, "torch.nn.functional.poisson_nll_loss",
          Classes("PoissonNLLLoss")),
    Entry("gaussian_nll_loss", REGRESSION, "torch.nn.functional.gaussian_nll_loss",
          Classes("GaussianNLLLoss")),
    Entry("quantile_loss", REGRESSION, "pinball loss max(q*r, (q-1)*r)",
          Classes("QuantileLoss")),
    Entry("robust_loss", REGRESSION, "Barron, CVPR 2019, eq. 1",
          Classes("RobustLoss")),
    Entry("binary_cross_entropy", CLASSIFICATION, "torch.nn.functional.binary_cross_entropy",
          Classes("BCELoss", keras=("BinaryCrossentropy",), keras_sample_mean=True)),
    Entry("binary_cross_entropy_with_logits", CLASSIFICATION,
          "torch.nn.functional.binary_cross_entropy_with_logits", Classes("BCEWithLogitsLoss")),
    Entry("cross_entropy", CLASSIFICATION, "torch.nn.functional.cross_entropy",
          Classes("CrossEntropyLoss",
                  keras=("CategoricalCrossentropy", "SparseCategoricalCrossentropy"),
                  keras_defaults=(("from_logits", False), ("axis", -1)))),
    Entry("linear_cross_entropy", CLASSIFICATION, "torch.nn.functional.linear_cross_entropy",
          Classes("LinearCrossEntropyLoss")),
    Entry("nll_loss", CLASSIFICATION, "torch.nn.functional.nll_loss",
          Classes("NLLLoss")),
    Entry("kl_div", CLASSIFICATION, "torch.nn.functional.kl_div",
          Classes("KLDivLoss")),
    Entry("js_divergence", CLASSIFICATION, "Jensen-Shannon divergence (natural log)",
          Classes("JSDivergenceLoss")),
    Entry("generalized_kl_divergence", CLASSIFICATION, "optax.losses.generalized_kl_divergence",
          Classes("GeneralizedKLDivergenceLoss")),
    Entry("sigmoid_focal_loss", CLASSIFICATION, "torchvision.ops.sigmoid_focal_loss",
          Classes("SigmoidFocalLoss")),
    Entry("binary_focal_cross_entropy", CLASSIFICATION, "keras.losses.binary_focal_crossentropy",
          Classes("BinaryFocalCrossEntropyLoss", keras=("BinaryFocalCrossentropy",),
                  keras_sample_mean=True)),
    Entry("softmax_focal_loss", CLASSIFICATION, "Lin et al. 2017 (multi-class, log-softmax)",
          Classes("SoftmaxFocalLoss")),
    Entry("poly1_cross_entropy", CLASSIFICATION, "optax.poly_loss_cross_entropy",
          Classes("Poly1CrossEntropyLoss")),
    Entry("generalized_cross_entropy", CLASSIFICATION,
          "keras.losses.categorical_generalized_cross_entropy",
          Classes("GeneralizedCrossEntropyLoss", keras=("CategoricalGeneralizedCrossEntropy",),
                  keras_defaults=(("axis", -1),))),
    Entry("distillation_loss", CLASSIFICATION, "Hinton et al. 2015, T**2 * KL",
          Classes("DistillationLoss")),
    Entry("zero_one_loss", CLASSIFICATION, "argmax(input) != target",
          Classes("ZeroOneLoss")),
    Entry("exponential_loss", CLASSIFICATION, "exp(-y * f) (AdaBoost)",
          Classes("ExponentialLoss")),
    Entry("logistic_loss", CLASSIFICATION, "log(1 + exp(-y * f))",
          Classes("LogisticLoss")),
    Entry("sparsemax_loss", CLASSIFICATION, "optax.losses.sparsemax_loss",
          Classes("SparsemaxLoss")),
    Entry("multiclass_sparsemax_loss", CLASSIFICATION, "optax.losses.multiclass_sparsemax_loss",
          Classes("MulticlassSparsemaxLoss")),
    Entry("fenchel_young_loss", CLASSIFICATION, "optax.losses.make_fenchel_young_loss",
          Classes("FenchelYoungLoss")),
    Entry("hinge_loss", MARGIN, "keras.losses.hinge",
          Classes("HingeLoss", keras=("Hinge",), keras_sample_mean=True)),
    Entry("squared_hinge_loss", MARGIN, "keras.losses.squared_hinge",
          Classes("SquaredHingeLoss", keras=("SquaredHinge",), keras_sample_mean=True)),
    Entry("categorical_hinge_loss", MARGIN, "keras.losses.categorical_hinge",
          Classes("CategoricalHingeLoss", keras=("CategoricalHinge",))),
    Entry("hinge_embedding_loss", MARGIN, "torch.nn.functional.hinge_embedding_loss",
          Classes("HingeEmbeddingLoss")),
    Entry("soft_margin_loss", MARGIN, "torch.nn.functional.soft_margin_loss",
          Classes("SoftMarginLoss")),
    Entry("multi_margin_loss", MARGIN, "torch.nn.functional.multi_margin_loss",
          Classes("MultiMarginLoss")),
    Entry("multilabel_margin_loss", MARGIN, "torch.nn.functional.multilabel_margin_loss",
          Classes("MultiLabelMarginLoss")),
    Entry("multilabel_soft_margin_loss", MARGIN,
          "torch.nn.functional.multilabel_soft_margin_loss", Classes("MultiLabelSoftMarginLoss")),
    Entry("margin_ranking_loss", MARGIN, "torch.nn.functional.margin_ranking_loss",
          Classes("MarginRankingLoss")),
    Entry("perceptron_loss", MARGIN, "optax.losses.perceptron_loss",
          Classes("PerceptronLoss")),
    Entry("multiclass_perceptron_loss", MARGIN, "optax.losses.multiclass_perceptron_loss",
          Classes("MulticlassPerceptronLoss")),
    Entry("ranking_softmax_loss", MARGIN, "optax.losses.ranking_softmax_loss",
          Classes("RankingSoftmaxLoss")),
    Entry("triplet_margin_loss", EMBEDDING, "torch.nn.functional.triplet_margin_loss",
          Classes("TripletMarginLoss")),
    Entry("cosine_embedding_loss", EMBEDDING, "torch.nn.functional.cosine_embedding_loss",
          Classes("CosineEmbeddingLoss")),
    Entry("cosine_similarity_loss", EMBEDDING, "keras.losses.cosine_similarity",
          Classes("CosineSimilarityLoss", keras=("CosineSimilarity",))),
    Entry("contrastive_loss", EMBEDDING, "Hadsell et al. 2006",
          Classes("ContrastiveLoss")),
    Entry("ntxent_loss", EMBEDDING, "optax.ntxent",
          Classes("NTXentLoss")),
    Entry("circle_loss", EMBEDDING, "keras.losses.circle",
          Classes("CircleLoss")),
    Entry("supervised_contrastive_loss", EMBEDDING,
          "pytorch-metric-learning SupConLoss (Khosla et al. 2020)",
          Classes("SupervisedContrastiveLoss")),
    Entry("multi_similarity_loss", EMBEDDING, "pytorch-metric-learning MultiSimilarityLoss",
          Classes("MultiSimilarityLoss")),
    Entry("margin_softmax_loss", EMBEDDING, "ArcFace / CosFace / SphereFace",
          Classes("MarginSoftmaxLoss")),
    Entry("dice_loss", SEGMENTATION, "keras.losses.dice",
          Classes("DiceLoss", keras=("Dice",))),
    Entry("jaccard_loss", SEGMENTATION, "soft IoU",
          Classes("JaccardLoss")),
    Entry("tversky_loss", SEGMENTATION, "Salehi et al. 2017",
          Classes("TverskyLoss")),
    Entry("generalized_dice_loss", SEGMENTATION, "optax.losses.multiclass_generalized_dice_loss",
          Classes("GeneralizedDiceLoss")),
    Entry("focal_tversky_loss", SEGMENTATION, "Abraham & Khan 2019, (1 - Tversky index)**gamma",
          Classes("FocalTverskyLoss")),
    Entry("mcc_loss", SEGMENTATION, "segmentation_models_pytorch MCCLoss",
          Classes("MCCLoss")),
    Entry("lovasz_hinge_loss", SEGMENTATION, "Berman et al. 2018; smp LovaszLoss (binary)",
          Classes("LovaszHingeLoss")),
    Entry("lovasz_softmax_loss", SEGMENTATION, "Berman et al. 2018; smp LovaszLoss (multiclass)",
          Classes("LovaszSoftmaxLoss")),
    Entry("dice_cross_entropy_loss", SEGMENTATION, "monai DiceCELoss",
          Classes("DiceCELoss")),
    Entry("dice_focal_loss", SEGMENTATION, "monai DiceFocalLoss",
          Classes("DiceFocalLoss")),
    Entry("box_iou_loss", SEGMENTATION, "1 - IoU (UnitBox)",
          Classes("BoxIoULoss")),
    Entry("generalized_box_iou_loss", SEGMENTATION, "torchvision.ops.generalized_box_iou_loss",
          Classes("GeneralizedBoxIoULoss")),
    Entry("distance_box_iou_loss", SEGMENTATION, "torchvision.ops.distance_box_iou_loss",
          Classes("DistanceBoxIoULoss")),
    Entry("complete_box_iou_loss", SEGMENTATION, "torchvision.ops.complete_box_iou_loss",
          Classes("CompleteBoxIoULoss")),
    Entry("ctc_loss", SEQUENCE, "torch.nn.functional.ctc_loss",
          Classes("CTCLoss", keras_true=("targets", "input_lengths", "target_lengths"))),
    Entry("gan_discriminator_loss", GAN, "Goodfellow 2014, Mao 2017, Arjovsky 2017, Lim & Ye 2017",
          Classes("GANDiscriminatorLoss")),
    Entry("gan_generator_loss", GAN, "Goodfellow 2014, Mao 2017, Arjovsky 2017, Lim & Ye 2017",
          Classes("GANGeneratorLoss")),
    Entry("gradient_penalty", GAN, "WGAN-GP (Gulrajani 2017)",
          Classes("GradientPenaltyLoss")),
    Entry("loss_sensitive_gan_loss", GAN, "Qi 2017 (LS-GAN)",
          Classes("LossSensitiveGANLoss")),
    Entry("perceptual_loss", STRUCTURED, "Johnson et al. 2016",
          Classes("PerceptualLoss")),
    Entry("adaptive_log_softmax_loss", STRUCTURED, "torch.nn.AdaptiveLogSoftmaxWithLoss",
          Classes("AdaptiveLogSoftmaxLoss")),
    Entry("identity", ACTIVATION, "torch.nn.Identity"),
    Entry("sigmoid", ACTIVATION, "torch.nn.functional.sigmoid"),
    Entry("log_sigmoid", ACTIVATION, "torch.nn.functional.logsigmoid"),
    Entry("tanh", ACTIVATION, "torch.nn.functional.tanh"),
    Entry("relu", ACTIVATION, "torch.nn.functional.relu"),
    Entry("relu6", ACTIVATION, "torch.nn.functional.relu6"),
    Entry("leaky_relu", ACTIVATION, "torch.nn.functional.leaky_relu"),
    Entry("prelu", ACTIVATION, "torch.nn.functional.prelu"),
    Entry("elu", ACTIVATION, "torch.nn.functional.elu"),
    Entry("swish", ACTIVATION, "Ramachandran et al. 2017 (torch silu at beta=1)"),
    Entry("silu", ACTIVATION, "torch.nn.functional.silu"),
    Entry("mish", ACTIVATION, "torch.nn.functional.mish"),
    Entry("softplus", ACTIVATION, "torch.nn.functional.softplus"),
    Entry("softmax", ACTIVATION, "torch.nn.functional.softmax"),
    Entry("log_softmax", ACTIVATION, "torch.nn.functional.log_softmax"),
    Entry("sparsemax", ACTIVATION, "optax.projections.projection_simplex"),
    Entry("smooth_labels", UTILITY, "optax.smooth_labels"),
    Entry("ctc_forward_probabilities", UTILITY, "optax.losses.ctc_loss_with_forward_probs"),
)


def is_implemented(name: str) -> bool:
    """Whether ``omniloss`` exports ``name``."""
    import omniloss

    return callable(getattr(omniloss, name, None))
