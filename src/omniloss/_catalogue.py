"""The catalogue: every public function, its family and the peer that defines its numbers.

``omniloss list``, the README table and the tests read this table; whether a row is implemented
is read off the package itself, so the table never goes stale.
"""

from __future__ import annotations

from typing import NamedTuple


class Entry(NamedTuple):
    name: str
    family: str
    peer: str


REGRESSION = "regression"
CLASSIFICATION = "classification"
MARGIN = "margin and ranking"
EMBEDDING = "embedding"
SEGMENTATION = "segmentation and detection"
SEQUENCE = "sequence"
GAN = "adversarial"
STRUCTURED = "feature-space and structured"
ACTIVATION = "activation"

CATALOGUE: tuple[Entry, ...] = (
    Entry("l1_loss", REGRESSION, "torch.nn.functional.l1_loss"),
    Entry("mse_loss", REGRESSION, "torch.nn.functional.mse_loss"),
    Entry("rmse_loss", REGRESSION, "sqrt(torch.nn.functional.mse_loss)"),
    Entry("smooth_l1_loss", REGRESSION, "torch.nn.functional.smooth_l1_loss"),
    Entry("huber_loss", REGRESSION, "torch.nn.functional.huber_loss"),
    Entry("pseudo_huber_loss", REGRESSION, "delta**2 * (sqrt(1 + (r/delta)**2) - 1)"),
    Entry("log_cosh_loss", REGRESSION, "keras.losses.log_cosh"),
    Entry("msle_loss", REGRESSION, "keras.losses.mean_squared_logarithmic_error"),
    Entry("mape_loss", REGRESSION, "keras.losses.mean_absolute_percentage_error"),
    Entry("poisson_nll_loss", REGRESSION, "torch.nn.functional.poisson_nll_loss"),
    Entry("gaussian_nll_loss", REGRESSION, "torch.nn.functional.gaussian_nll_loss"),
    Entry("quantile_loss", REGRESSION, "pinball loss max(q*r, (q-1)*r)"),
    Entry("robust_loss", REGRESSION, "Barron, CVPR 2019, eq. 1"),
    Entry("binary_cross_entropy", CLASSIFICATION, "torch.nn.functional.binary_cross_entropy"),
    Entry("binary_cross_entropy_with_logits", CLASSIFICATION,
          "torch.nn.functional.binary_cross_entropy_with_logits"),
    Entry("cross_entropy", CLASSIFICATION, "torch.nn.functional.cross_entropy"),
    Entry("linear_cross_entropy", CLASSIFICATION, "torch.nn.functional.linear_cross_entropy"),
    Entry("nll_loss", CLASSIFICATION, "torch.nn.functional.nll_loss"),
    Entry("kl_div", CLASSIFICATION, "torch.nn.functional.kl_div"),
    Entry("js_divergence", CLASSIFICATION, "Jensen-Shannon divergence (natural log)"),
    Entry("sigmoid_focal_loss", CLASSIFICATION, "torchvision.ops.sigmoid_focal_loss"),
    Entry("softmax_focal_loss", CLASSIFICATION, "Lin et al. 2017 (multi-class, log-softmax)"),
    Entry("poly1_cross_entropy", CLASSIFICATION, "optax.poly_loss_cross_entropy"),
    Entry("distillation_loss", CLASSIFICATION, "Hinton et al. 2015, T**2 * KL"),
    Entry("zero_one_loss", CLASSIFICATION, "argmax(input) != target"),
    Entry("exponential_loss", CLASSIFICATION, "exp(-y * f) (AdaBoost)"),
    Entry("logistic_loss", CLASSIFICATION, "log(1 + exp(-y * f))"),
    Entry("hinge_loss", MARGIN, "keras.losses.hinge"),
    Entry("squared_hinge_loss", MARGIN, "keras.losses.squared_hinge"),
    Entry("categorical_hinge_loss", MARGIN, "keras.losses.categorical_hinge"),
    Entry("hinge_embedding_loss", MARGIN, "torch.nn.functional.hinge_embedding_loss"),
    Entry("soft_margin_loss", MARGIN, "torch.nn.functional.soft_margin_loss"),
    Entry("multi_margin_loss", MARGIN, "torch.nn.functional.multi_margin_loss"),
    Entry("multilabel_margin_loss", MARGIN, "torch.nn.functional.multilabel_margin_loss"),
    Entry("multilabel_soft_margin_loss", MARGIN,
          "torch.nn.functional.multilabel_soft_margin_loss"),
    Entry("margin_ranking_loss", MARGIN, "torch.nn.functional.margin_ranking_loss"),
    Entry("triplet_margin_loss", EMBEDDING, "torch.nn.functional.triplet_margin_loss"),
    Entry("cosine_embedding_loss", EMBEDDING, "torch.nn.functional.cosine_embedding_loss"),
    Entry("cosine_similarity_loss", EMBEDDING, "keras.losses.cosine_similarity"),
    Entry("contrastive_loss", EMBEDDING, "Hadsell et al. 2006"),
    Entry("ntxent_loss", EMBEDDING, "optax.ntxent"),
    Entry("margin_softmax_loss", EMBEDDING, "ArcFace / CosFace / SphereFace"),
    Entry("dice_loss", SEGMENTATION, "keras.losses.dice"),
    Entry("jaccard_loss", SEGMENTATION, "soft IoU"),
    Entry("tversky_loss", SEGMENTATION, "Salehi et al. 2017"),
    Entry("box_iou_loss", SEGMENTATION, "1 - IoU (UnitBox)"),
    Entry("generalized_box_iou_loss", SEGMENTATION, "torchvision.ops.generalized_box_iou_loss"),
    Entry("distance_box_iou_loss", SEGMENTATION, "torchvision.ops.distance_box_iou_loss"),
    Entry("complete_box_iou_loss", SEGMENTATION, "torchvision.ops.complete_box_iou_loss"),
    Entry("ctc_loss", SEQUENCE, "torch.nn.functional.ctc_loss"),
    Entry("gan_discriminator_loss", GAN, "Goodfellow 2014, Mao 2017, Arjovsky 2017, Lim & Ye 2017"),
    Entry("gan_generator_loss", GAN, "Goodfellow 2014, Mao 2017, Arjovsky 2017, Lim & Ye 2017"),
    Entry("gradient_penalty", GAN, "WGAN-GP (Gulrajani 2017)"),
    Entry("loss_sensitive_gan_loss", GAN, "Qi 2017 (LS-GAN)"),
    Entry("perceptual_loss", STRUCTURED, "Johnson et al. 2016"),
    Entry("adaptive_log_softmax_loss", STRUCTURED, "torch.nn.AdaptiveLogSoftmaxWithLoss"),
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
)


def is_implemented(name: str) -> bool:
    """Whether ``omniloss`` exports ``name``."""
    import omniloss

    return callable(getattr(omniloss, name, None))
