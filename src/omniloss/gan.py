"""Losses for generative adversarial training: discriminator, generator, gradient penalty.

The discriminator's outputs are taken as raw scores (logits for the ``"minimax"`` and
``"non_saturating"`` kinds, critic values for ``"wasserstein"``), never probabilities: every
``log D`` is a ``log_sigmoid``/``softplus`` of the logit, so logits of any magnitude give finite
losses and gradients.

A discriminator loss has a term on the real and a term on the fake outputs. Each term is reduced
by ``reduction`` on its own and the two are added, so ``"mean"`` is
``mean(term(real)) + mean(term(fake))`` (real and fake batches may differ in size), ``"sum"`` adds
the two sums, and ``"none"`` returns ``term(real) + term(fake)`` elementwise, which needs ``real``
and ``fake`` of one shape. ``sample_weight`` and ``where`` pair real and fake outputs too: they
need ``real`` and ``fake`` of one shape and broadcast against ``term(real) + term(fake)``, so
output ``i``'s weight applies to its real and its fake term alike (the weighted ``"mean"`` is the
weighted mean of the real terms plus that of the fake terms). No surveyed framework has these
losses (TF-GAN, unmaintained since 2021, was the last); each docstring cites the paper that
defines it.

Dtypes: the result has the floating result type of the score arrays (``real`` and ``fake``;
``real_loss``, ``fake_loss`` and an array ``distance``); ``sample_weight`` is cast to it.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

from omniloss._boundary import reads_arrays
from omniloss._primitives import relu, softplus
from omniloss._reduction import reduce, weighting_args
from omniloss._validation import (
    check_choice,
    critic_losses,
    fake_scores,
    penalty_gradients,
    real_fake,
)

Array = Any

__all__ = [
    "gan_discriminator_loss",
    "gan_generator_loss",
    "gradient_penalty",
    "loss_sensitive_gan_loss",
]


_DISCRIMINATOR_TERMS: dict[str, tuple[Callable[[ModuleType, Array], Array],
                                      Callable[[ModuleType, Array], Array]]] = {
    "minimax": (lambda xp, real: softplus(xp, -real), lambda xp, fake: softplus(xp, fake)),
    "least_squares": (lambda xp, real: (real - 1) * (real - 1) / 2,
                      lambda xp, fake: fake * fake / 2),
    "wasserstein": (lambda xp, real: -real, lambda xp, fake: fake),
    "hinge": (lambda xp, real: relu(xp, 1 - real), lambda xp, fake: relu(xp, 1 + fake)),
}

_GENERATOR_TERMS: dict[str, Callable[[ModuleType, Array], Array]] = {
    "non_saturating": lambda xp, fake: softplus(xp, -fake),
    "minimax": lambda xp, fake: -softplus(xp, fake),
    "least_squares": lambda xp, fake: (fake - 1) * (fake - 1) / 2,
    "wasserstein": lambda xp, fake: -fake,
    "hinge": lambda xp, fake: -fake,
}


@reads_arrays
@weighting_args("``term(real) + term(fake)``, elementwise; ``real`` and ``fake`` must then "
                "have one shape")
def gan_discriminator_loss(real: Array, fake: Array, *, kind: str = "minimax",
                           reduction: str = "mean", sample_weight: Array | None = None,
                           where: Array | None = None) -> Array:
    """The discriminator's (critic's) loss on its outputs for real and for generated samples.

    Per kind, with ``r`` the outputs on real and ``f`` on fake samples (each term reduced by
    ``reduction``, then the two added):

    * ``"minimax"``: ``softplus(-r) + softplus(f)`` = ``-log D(x) - log(1 - D(G(z)))`` with
      ``D = sigmoid``, the binary cross-entropy of logits against labels 1 and 0 (Goodfellow et
      al., "Generative Adversarial Nets", 2014).
    * ``"least_squares"``: ``(r - 1)**2 / 2 + f**2 / 2``, LSGAN with targets ``a = 0``, ``b = 1``
      and the paper's factor 1/2 (Mao et al., "Least Squares Generative Adversarial Networks",
      2017).
    * ``"wasserstein"``: ``-r + f``, the WGAN critic (Arjovsky et al., "Wasserstein GAN", 2017);
      add :func:`gradient_penalty` for WGAN-GP.
    * ``"hinge"``: ``max(0, 1 - r) + max(0, 1 + f)`` (Lim & Ye, "Geometric GAN", 2017), with
      ``torch.relu``'s gradient 0 at the hinge.

    Args:
        real: the discriminator's outputs (logits) on real samples, a floating array.
        fake: its outputs on generated samples, a floating array (any shape for ``"mean"`` and
            ``"sum"`` without weights; ``real``'s shape for ``"none"`` or with ``sample_weight``
            or ``where``).
        kind: ``"minimax"``, ``"least_squares"``, ``"wasserstein"`` or ``"hinge"``.

    Defined by the papers above. ``"minimax"`` equals
    ``F.binary_cross_entropy_with_logits(real, ones) + F.binary_cross_entropy_with_logits(fake,
    zeros)`` with the same ``reduction``.

    Example:
        >>> import array_api_strict as xp
        >>> import omniloss as ol
        >>> ol.gan_discriminator_loss(xp.asarray([2.0, 0.5]), xp.asarray([-1.0]), kind="hinge")
        Array(0.25, dtype=array_api_strict.float64)
    """
    name = "gan_discriminator_loss"
    kind = check_choice(name, "kind", kind, tuple(_DISCRIMINATOR_TERMS))
    xp, real, fake = real_fake(name, real, fake, reduction, sample_weight, where)
    real_term, fake_term = _DISCRIMINATOR_TERMS[kind]
    if sample_weight is None and where is None:  # each term on its own (sizes may differ)
        return (reduce(xp, real_term(xp, real), reduction)
                + reduce(xp, fake_term(xp, fake), reduction))
    return reduce(xp, real_term(xp, real) + fake_term(xp, fake), reduction, sample_weight, where,
                  name=name)


@reads_arrays
@weighting_args()
def gan_generator_loss(fake: Array, *, kind: str = "non_saturating",
                       reduction: str = "mean", sample_weight: Array | None = None,
                       where: Array | None = None) -> Array:
    """The generator's loss on the discriminator's outputs ``f`` for generated samples.

    Per kind (elementwise, then reduced):

    * ``"non_saturating"``: ``softplus(-f)`` = ``-log D(G(z))``, the "-log D trick" of
      Goodfellow et al. 2014, which keeps a strong gradient while ``D`` rejects the fakes.
    * ``"minimax"``: ``-softplus(f)`` = ``log(1 - D(G(z)))``, the original minimax objective
      (it saturates: the gradient vanishes as ``f -> -inf``).
    * ``"least_squares"``: ``(f - 1)**2 / 2``, LSGAN with target ``c = 1`` (Mao et al. 2017).
    * ``"wasserstein"``: ``-f`` (Arjovsky et al. 2017).
    * ``"hinge"``: ``-f``, the generator of the hinge GAN (Lim & Ye 2017; Miyato et al. 2018).

    Args:
        fake: the discriminator's outputs (logits) on generated samples, a floating array.
        kind: ``"non_saturating"``, ``"minimax"``, ``"least_squares"``, ``"wasserstein"`` or
            ``"hinge"``.

    Defined by the papers above. ``"non_saturating"`` equals
    ``F.binary_cross_entropy_with_logits(fake, ones)``; ``"minimax"`` is minus
    ``F.binary_cross_entropy_with_logits(fake, zeros)``.

    Example:
        >>> import array_api_strict as xp
        >>> import omniloss as ol
        >>> ol.gan_generator_loss(xp.asarray([0.0, 1e4]))
        Array(0.34657359, dtype=array_api_strict.float64)
    """
    name = "gan_generator_loss"
    kind = check_choice(name, "kind", kind, tuple(_GENERATOR_TERMS))
    xp, fake = fake_scores(name, fake, reduction, sample_weight, where)
    loss = _GENERATOR_TERMS[kind](xp, fake)
    return reduce(xp, loss, reduction, sample_weight, where, name=name)


@reads_arrays
@weighting_args("one value per sample, shape ``(N,)``")
def gradient_penalty(gradients: Array, *, target: float = 1.0,
                     reduction: str = "mean", sample_weight: Array | None = None,
                     where: Array | None = None) -> Array:
    """WGAN-GP gradient penalty: ``(||g||_2 - target)**2`` per sample.

    ``||g||_2`` is the Euclidean norm of each sample's gradient over every axis but the first
    (Gulrajani et al., "Improved Training of Wasserstein GANs", 2017, eq. 3, without the
    ``lambda``; multiply by it, usually 10). ``target = 0`` gives the zero-centred penalty.

    At ``g = 0`` the norm has no gradient; we use 0 there, as ``torch.linalg.vector_norm`` does
    (the naive ``g / ||g||`` is NaN), so the penalty's gradient is finite everywhere.

    The gradients come from the caller's framework: the critic's output differentiated w.r.t.
    its input, at points interpolated between real and fake samples, kept in the graph so the
    penalty itself can be differentiated. Per framework (``critic``, ``x_hat``):

    PyTorch::

        x_hat.requires_grad_(True)
        scores = critic(x_hat)
        (g,) = torch.autograd.grad(scores.sum(), x_hat, create_graph=True)
        penalty = ol.gradient_penalty(g)

    JAX (per-sample gradients of a per-sample critic; ``params`` is differentiated outside)::

        def score_sum(x_hat, params):
            return critic(params, x_hat).sum()
        g = jax.grad(score_sum)(x_hat, params)
        penalty = ol.gradient_penalty(g)

    TensorFlow::

        with tf.GradientTape() as tape:
            tape.watch(x_hat)
            scores = critic(x_hat)
        g = tape.gradient(scores, x_hat)   # inside the outer tape that trains the critic
        penalty = ol.gradient_penalty(g)

    Summing the scores gives per-sample gradients because sample ``i``'s score depends only on
    sample ``i`` (no batch normalization in the critic).

    Args:
        gradients: per-sample gradients, a floating array of shape ``(N, ...)`` (at least 1-d;
            for ``(N,)`` the norm is ``|g|``).
        target: the norm the penalty pulls towards (a non-negative number).

    Defined by Gulrajani et al. 2017.

    Example:
        >>> import array_api_strict as xp
        >>> import omniloss as ol
        >>> ol.gradient_penalty(xp.asarray([[3.0, 4.0], [0.0, 0.0]]))
        Array(8.5, dtype=array_api_strict.float64)
    """
    name = "gradient_penalty"
    xp, g, target = penalty_gradients(name, gradients, target, reduction, sample_weight, where)
    squared = g * g
    if g.ndim > 1:
        squared = xp.sum(squared, axis=tuple(range(1, g.ndim)))
    nonzero = squared > 0
    norm = xp.where(nonzero, xp.sqrt(xp.where(nonzero, squared, xp.ones_like(squared))),
                    xp.zeros_like(squared))
    return reduce(xp, (norm - target) * (norm - target), reduction, sample_weight, where,
                  name=name)


@reads_arrays
@weighting_args()
def loss_sensitive_gan_loss(real_loss: Array, fake_loss: Array, distance: Array, *,
                            lam: float = 1.0, reduction: str = "mean",
                            sample_weight: Array | None = None,
                            where: Array | None = None) -> Array:
    """Loss-sensitive GAN critic loss: ``L(x) + lam * max(0, Delta(x, G(z)) + L(x) - L(G(z)))``.

    Qi, "Loss-Sensitive Generative Adversarial Networks on Lipschitz Densities" (2017), eq. 6:
    the learned loss ``L`` of a real sample should undercut that of its generated counterpart by
    at least the margin ``Delta`` (for example an L1 distance between the two samples). The hinge
    has ``torch.relu``'s gradient 0 at the kink. The generator minimizes ``L(G(z))`` itself.

    Args:
        real_loss: ``L(x)``, the learned loss of real samples, a floating array.
        fake_loss: ``L(G(z))`` for generated samples, of ``real_loss``'s shape.
        distance: the margin ``Delta(x, G(z))`` per pair, of ``real_loss``'s shape (or a Python
            number).
        lam: the non-negative weight ``lambda`` of the hinge term.

    Defined by Qi 2017.

    Example:
        >>> import array_api_strict as xp
        >>> import omniloss as ol
        >>> ol.loss_sensitive_gan_loss(xp.asarray([1.0, 0.5]), xp.asarray([1.5, 3.0]),
        ...                            xp.asarray([1.0, 1.0]))
        Array(1., dtype=array_api_strict.float64)
    """
    name = "loss_sensitive_gan_loss"
    xp, real, fake, distance, lam = critic_losses(name, real_loss, fake_loss, distance, lam,
                                                  reduction, sample_weight, where)
    margin = distance + real - fake
    return reduce(xp, real + lam * relu(xp, margin), reduction, sample_weight, where, name=name)

