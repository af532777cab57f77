"""GAN losses against their papers' formulas written in torch (autograd gives the gradients).

The minimax and non-saturating kinds are checked against torch's BCE with logits;
the gradient penalty against ``torch.linalg.vector_norm`` (whose gradient at 0 is 0).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import omniloss as ol
from tests.helpers import (
    BACKENDS,
    assert_raises_named,
    check_parity,
    check_traced,
    torch_peer,
)

REDUCTIONS = ["mean", "sum", "none"]
DTYPES = [np.float64, np.float32]
D_KINDS = ["minimax", "least_squares", "wasserstein", "hinge"]
G_KINDS = ["non_saturating", "minimax", "least_squares", "wasserstein", "hinge"]


def _reduce(loss, reduction):
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def torch_discriminator(real, fake, kind, reduction):
    import torch
    import torch.nn.functional as nnf

    if kind == "minimax":
        return (nnf.binary_cross_entropy_with_logits(real, torch.ones_like(real),
                                                   reduction=reduction)
                + nnf.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake),
                                                     reduction=reduction))
    real_term, fake_term = {
        "least_squares": (0.5 * (real - 1) ** 2, 0.5 * fake**2),
        "wasserstein": (-real, fake),
        "hinge": (nnf.relu(1 - real), nnf.relu(1 + fake)),
    }[kind]
    return _reduce(real_term, reduction) + _reduce(fake_term, reduction)


def torch_generator(fake, kind, reduction):
    import torch
    import torch.nn.functional as nnf

    if kind == "non_saturating":
        return nnf.binary_cross_entropy_with_logits(fake, torch.ones_like(fake),
                                                  reduction=reduction)
    if kind == "minimax":
        return -nnf.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake),
                                                   reduction=reduction)
    loss = {"least_squares": 0.5 * (fake - 1) ** 2, "wasserstein": -fake, "hinge": -fake}[kind]
    return _reduce(loss, reduction)


def torch_gradient_penalty(gradients, target, reduction):
    import torch

    flat = gradients.reshape(gradients.shape[0], math.prod(gradients.shape[1:]))
    return _reduce((torch.linalg.vector_norm(flat, dim=1) - target) ** 2, reduction)


def torch_loss_sensitive(real_loss, fake_loss, distance, lam, reduction):
    import torch.nn.functional as nnf

    return _reduce(real_loss + lam * nnf.relu(distance + real_loss - fake_loss), reduction)


def _logits(shape: tuple[int, ...], dtype: type, seed: int = 0, kinks: bool = True) -> np.ndarray:
    x = np.random.default_rng(seed).normal(scale=2.0, size=shape)
    if kinks:  # the hinge points of both terms (1 for real, -1 for fake) and 0
        x.reshape(-1)[:3] = [1.0, -1.0, 0.0]
    return x.astype(dtype)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind", D_KINDS)
def test_discriminator_matches_torch(backend, kind, dtype, reduction):
    args = [_logits((6, 1), dtype), _logits((6, 1), dtype, seed=1)]
    check_parity(backend, lambda r, f: ol.gan_discriminator_loss(r, f, kind=kind,
                                                                 reduction=reduction),
                 torch_peer(torch_discriminator, kind=kind, reduction=reduction), args,
                 argnums=(0, 1))


@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("kind", D_KINDS)
def test_discriminator_batches_of_different_sizes(backend, kind, reduction):
    args = [_logits((5,), np.float64), _logits((3, 2), np.float64, seed=1)]
    check_parity(backend, lambda r, f: ol.gan_discriminator_loss(r, f, kind=kind,
                                                                 reduction=reduction),
                 torch_peer(torch_discriminator, kind=kind, reduction=reduction), args,
                 argnums=(0, 1))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind", G_KINDS)
def test_generator_matches_torch(backend, kind, dtype, reduction):
    check_parity(backend, lambda f: ol.gan_generator_loss(f, kind=kind, reduction=reduction),
                 torch_peer(torch_generator, kind=kind, reduction=reduction),
                 [_logits((4, 3), dtype)])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind", D_KINDS)
def test_discriminator_extreme_logits(backend, kind, dtype):
    extreme = np.array([1e4, -1e4, 3e3, -3e3], dtype=dtype)
    value = check_parity(backend, lambda r, f: ol.gan_discriminator_loss(r, f, kind=kind,
                                                                         reduction="none"),
                         torch_peer(torch_discriminator, kind=kind, reduction="none"),
                         [extreme, -extreme], argnums=(0, 1))
    assert np.all(np.isfinite(value))


@pytest.mark.parametrize("kind", D_KINDS)
def test_discriminator_nan_logits_stay_nan(backend, kind):
    """A NaN logit gives NaN, as torch (the hinge's relu keeps NaN, never maps it to 0)."""
    real = np.array([0.5, np.nan, -2.0])
    fake = np.array([np.nan, 0.25, 3.0])
    value = check_parity(backend, lambda r, f: ol.gan_discriminator_loss(r, f, kind=kind,
                                                                         reduction="none"),
                         torch_peer(torch_discriminator, kind=kind, reduction="none"),
                         [real, fake], argnums=())
    assert np.isnan(value[:2]).all() and np.isfinite(value[2])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind", G_KINDS)
def test_generator_extreme_logits(backend, kind, dtype):
    extreme = np.array([1e4, -1e4, 3e3, -3e3], dtype=dtype)
    value = check_parity(backend, lambda f: ol.gan_generator_loss(f, kind=kind,
                                                                  reduction="none"),
                         torch_peer(torch_generator, kind=kind, reduction="none"), [extreme])
    assert np.all(np.isfinite(value))


@pytest.mark.parametrize("kind", D_KINDS)
def test_discriminator_empty_batch(backend, kind):
    empty = np.zeros((0,))
    check_parity(backend, lambda r, f: ol.gan_discriminator_loss(r, f, kind=kind),
                 torch_peer(torch_discriminator, kind=kind, reduction="mean"), [empty, empty],
                 argnums=(0, 1))


def test_discriminator_mixed_precision_promotes(backend):
    real = backend.asarray(_logits((3,), np.float32))
    fake = backend.asarray(_logits((3,), np.float64, seed=1))
    out = backend.to_numpy(ol.gan_discriminator_loss(real, fake))
    assert out.dtype == np.float64


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("target", [1.0, 0.0, 2.5])
@pytest.mark.parametrize("shape", [(4, 3, 2), (5,), (0, 3)], ids=["NCH", "N", "empty"])
def test_gradient_penalty_matches_torch(backend, shape, target, dtype, reduction):
    gradients = np.random.default_rng(0).normal(size=shape).astype(dtype)
    if gradients.size:
        gradients[0] = 0.0  # a zero gradient: the norm's kink, gradient 0 as in torch
    check_parity(backend, lambda g: ol.gradient_penalty(g, target=target, reduction=reduction),
                 torch_peer(torch_gradient_penalty, target=target, reduction=reduction),
                 [gradients])


@pytest.mark.parametrize("dtype", DTYPES)
def test_gradient_penalty_extreme_gradients(backend, dtype):
    # 1e-15 squared stays a normal float32 (JAX on CPU flushes subnormals to zero, torch not).
    gradients = np.array([[1e4, -1e4], [1e-15, 0.0], [0.0, 0.0]], dtype=dtype)
    value = check_parity(backend, lambda g: ol.gradient_penalty(g, reduction="none"),
                         torch_peer(torch_gradient_penalty, target=1.0, reduction="none"),
                         [gradients])
    assert np.all(np.isfinite(value))


def _critic_inputs() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    return rng.normal(size=(4, 3)), rng.normal(size=(3,))


def _penalty_of_critic_torch(x_hat, weight):
    """WGAN-GP as the docstring shows it for torch: differentiable w.r.t. the critic's weight."""
    import torch

    scores = torch.tanh(x_hat @ weight)
    (g,) = torch.autograd.grad(scores.sum(), x_hat, create_graph=True)
    return torch_gradient_penalty(g, 1.0, "mean")


def test_gradient_penalty_end_to_end(grad_backend):
    """The docstring's per-framework recipes, then the penalty's gradient w.r.t. the weight."""
    x_hat, weight = _critic_inputs()
    _, (expected,) = BACKENDS["torch"].value_and_grad(
        lambda w: _penalty_of_critic_torch(BACKENDS["torch"].asarray(x_hat).requires_grad_(True),
                                           w), [weight], (0,))
    if grad_backend.name == "torch":
        import torch

        def penalty(w):
            x = torch.from_numpy(x_hat).requires_grad_(True)
            scores = torch.tanh(x @ w)
            (g,) = torch.autograd.grad(scores.sum(), x, create_graph=True)
            return ol.gradient_penalty(g)
    elif grad_backend.name == "jax":
        import jax
        import jax.numpy as jnp

        def penalty(w):
            g = jax.grad(lambda x: jnp.tanh(x @ w).sum())(jnp.asarray(x_hat))
            return ol.gradient_penalty(g)
    else:
        import tensorflow as tf

        def penalty(w):
            x = tf.constant(x_hat)
            with tf.GradientTape() as tape:
                tape.watch(x)
                scores = tf.tanh(tf.linalg.matvec(x, w))
            return ol.gradient_penalty(tape.gradient(scores, x))
    _, (ours,) = grad_backend.value_and_grad(penalty, [weight], (0,))
    np.testing.assert_allclose(ours, expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("lam", [1.0, 0.0, 2.5])
def test_loss_sensitive_matches_torch(backend, lam, dtype, reduction):
    rng = np.random.default_rng(5)
    real, fake = rng.normal(size=(2, 6)).astype(dtype)
    distance = rng.uniform(size=6).astype(dtype)
    distance[0] = fake[0] - real[0]  # the hinge's kink: gradient 0, as torch.relu
    check_parity(backend, lambda r, f, d: ol.loss_sensitive_gan_loss(r, f, d, lam=lam,
                                                                     reduction=reduction),
                 torch_peer(torch_loss_sensitive, lam=lam, reduction=reduction),
                 [real, fake, distance], argnums=(0, 1, 2))


def test_loss_sensitive_scalar_distance(backend):
    rng = np.random.default_rng(6)
    real, fake = rng.normal(size=(2, 5))
    check_parity(backend, lambda r, f: ol.loss_sensitive_gan_loss(r, f, 0.5),
                 torch_peer(lambda r, f: torch_loss_sensitive(r, f, 0.5, 1.0, "mean")),
                 [real, fake], argnums=(0, 1))


def test_traced(tracing_backend):
    real, fake = _logits((4,), np.float64), _logits((4,), np.float64, seed=1)
    for kind in D_KINDS:
        check_traced(tracing_backend, lambda r, f, k=kind: ol.gan_discriminator_loss(r, f, kind=k),
                     [real, fake])
    for kind in G_KINDS:
        check_traced(tracing_backend, lambda f, k=kind: ol.gan_generator_loss(f, kind=k), [fake])
    check_traced(tracing_backend, ol.gradient_penalty, [np.stack([real, fake])])
    check_traced(tracing_backend, ol.loss_sensitive_gan_loss, [real, fake, np.abs(real)])


def test_bad_inputs(backend):
    x = backend.asarray(_logits((4,), np.float64))
    ints = backend.asarray(np.ones(4, dtype=np.int64))
    name = "gan_discriminator_loss"
    assert_raises_named(ValueError, name, "kind",
                        lambda: ol.gan_discriminator_loss(x, x, kind="non_saturating"))
    assert_raises_named(TypeError, name, "kind", lambda: ol.gan_discriminator_loss(x, x, kind=1))
    assert_raises_named(TypeError, name, "reduction",
                        lambda: ol.gan_discriminator_loss(x, x, reduction=None))
    assert_raises_named(ValueError, name, "fake", lambda: ol.gan_discriminator_loss(
        x, backend.asarray(np.zeros(3)), sample_weight=backend.asarray(np.ones(4))))
    assert_raises_named(ValueError, name, "fake", lambda: ol.gan_discriminator_loss(
        x, backend.asarray(np.zeros(3)), where=backend.asarray(np.ones(4, dtype=bool))))
    assert_raises_named(TypeError, name, "real", lambda: ol.gan_discriminator_loss(1.0, x))
    assert_raises_named(ValueError, name, "reduction",
                        lambda: ol.gan_discriminator_loss(x, x, reduction="avg"))
    assert_raises_named(ValueError, name, "fake", lambda: ol.gan_discriminator_loss(
        x, backend.asarray(np.zeros(3)), reduction="none"))
    assert_raises_named(TypeError, name, "real", lambda: ol.gan_discriminator_loss(ints, x))
    assert_raises_named(TypeError, name, "fake", lambda: ol.gan_discriminator_loss(x, ints))
    name = "gan_generator_loss"
    assert_raises_named(ValueError, name, "kind", lambda: ol.gan_generator_loss(x, kind="bce"))
    assert_raises_named(TypeError, name, "kind", lambda: ol.gan_generator_loss(x, kind=None))
    assert_raises_named(ValueError, name, "reduction",
                        lambda: ol.gan_generator_loss(x, reduction="avg"))
    assert_raises_named(TypeError, name, "fake", lambda: ol.gan_generator_loss(ints))
    name = "gradient_penalty"
    assert_raises_named(ValueError, name, "gradients",
                        lambda: ol.gradient_penalty(backend.asarray(np.array(1.0))))
    assert_raises_named(ValueError, name, "target", lambda: ol.gradient_penalty(x, target=-1.0))
    assert_raises_named(ValueError, name, "target",
                        lambda: ol.gradient_penalty(x, target=float("nan")))
    assert_raises_named(TypeError, name, "target", lambda: ol.gradient_penalty(x, target="1"))
    assert_raises_named(TypeError, name, "gradients", lambda: ol.gradient_penalty(1.0))
    assert_raises_named(ValueError, name, "reduction",
                        lambda: ol.gradient_penalty(x, reduction="avg"))
    assert_raises_named(TypeError, name, "gradients", lambda: ol.gradient_penalty(ints))
    name = "loss_sensitive_gan_loss"
    assert_raises_named(ValueError, name, "fake_loss", lambda: ol.loss_sensitive_gan_loss(
        x, backend.asarray(np.zeros(3)), x))
    assert_raises_named(ValueError, name, "distance", lambda: ol.loss_sensitive_gan_loss(
        x, x, backend.asarray(np.zeros(3))))
    assert_raises_named(ValueError, name, "lam",
                        lambda: ol.loss_sensitive_gan_loss(x, x, x, lam=-1.0))
    assert_raises_named(ValueError, name, "lam",
                        lambda: ol.loss_sensitive_gan_loss(x, x, x, lam=float("nan")))
    assert_raises_named(TypeError, name, "lam",
                        lambda: ol.loss_sensitive_gan_loss(x, x, x, lam=True))
    assert_raises_named(ValueError, name, "reduction",
                        lambda: ol.loss_sensitive_gan_loss(x, x, x, reduction="avg"))
    assert_raises_named(TypeError, name, "real_loss",
                        lambda: ol.loss_sensitive_gan_loss(ints, x, x))


def test_numpy_scalar_options_keep_the_dtype(backend):
    x = backend.asarray(_logits((4,), np.float32))
    assert backend.to_numpy(ol.gradient_penalty(x, target=np.float64(0.5))).dtype == np.float32
    assert backend.to_numpy(ol.loss_sensitive_gan_loss(x, x, x, lam=np.float64(2.0))).dtype \
        == np.float32


# sample_weight and where: no framework has these losses; the references are the torch
# formulas above, unreduced, weighted and reduced by hand.


def _weighted(loss, weight, reduction):
    weight = weight.expand_as(loss)
    return {"mean": (loss * weight).sum() / weight.sum(), "sum": (loss * weight).sum(),
            "none": loss * weight}[reduction]


def _weights(shape, dtype=np.float64, seed=7):
    weight = np.random.default_rng(seed).uniform(0.5, 2.0, size=shape).astype(dtype)
    weight.reshape(-1)[1] = 0.0
    return weight


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind", D_KINDS)
def test_discriminator_sample_weight(backend, kind, dtype, reduction):
    """One weight per output pair: it weighs the real and the fake term of that pair alike, so
    the weighted ``"mean"`` is the weighted mean of the real terms plus that of the fake terms
    (for ``"minimax"``: torch's BCE with logits, unreduced, weighted and averaged by hand)."""
    def peer(real, fake, weight):
        return _weighted(torch_discriminator(real, fake, kind, "none"), weight, reduction)

    args = [_logits((6, 2), dtype), _logits((6, 2), dtype, seed=1), _weights((6, 2), dtype)]
    check_parity(backend, lambda r, f, w: ol.gan_discriminator_loss(
        r, f, kind=kind, reduction=reduction, sample_weight=w), torch_peer(peer), args,
        argnums=(0, 1, 2))


@pytest.mark.parametrize("kind", D_KINDS)
def test_discriminator_where_drops_pairs(backend, kind):
    real, fake = _logits((6,), np.float64), _logits((6,), np.float64, seed=1)
    keep = np.array([True, False, True, True, False, True])
    where = backend.asarray(keep)
    check_parity(backend, lambda r, f: ol.gan_discriminator_loss(r, f, kind=kind, where=where),
                 torch_peer(lambda r, f: torch_discriminator(r[keep], f[keep], kind, "mean")),
                 [real, fake], argnums=(0, 1))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("kind", G_KINDS)
def test_generator_sample_weight(backend, kind, reduction):
    check_parity(backend, lambda f, w: ol.gan_generator_loss(f, kind=kind, reduction=reduction,
                                                             sample_weight=w),
                 torch_peer(lambda f, w: _weighted(torch_generator(f, kind, "none"), w,
                                                   reduction)),
                 [_logits((4, 3), np.float64), _weights((4, 1))], argnums=(0, 1))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(4, 3, 2), (5,)], ids=["NCH", "N"])
def test_gradient_penalty_sample_weight(backend, shape, reduction):
    """One weight per sample, shape ``(N,)``, whatever the gradients' shape."""
    gradients = np.random.default_rng(0).normal(size=shape)
    gradients[0] = 0.0
    check_parity(backend, lambda g, w: ol.gradient_penalty(g, reduction=reduction,
                                                           sample_weight=w),
                 torch_peer(lambda g, w: _weighted(torch_gradient_penalty(g, 1.0, "none"), w,
                                                   reduction)),
                 [gradients, _weights(shape[:1])], argnums=(0, 1))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_loss_sensitive_sample_weight(backend, reduction):
    rng = np.random.default_rng(5)
    real, fake = rng.normal(size=(2, 6))
    distance = rng.uniform(size=6)
    keep = np.array([True, True, False, True, True, True])
    where = backend.asarray(keep)
    weight = _weights((6,))

    def peer(r, f, d, w):
        import torch

        loss = torch_loss_sensitive(r, f, d, 1.5, "none")
        return _weighted(loss, w * torch.as_tensor(keep, dtype=w.dtype), reduction)

    check_parity(backend, lambda r, f, d, w: ol.loss_sensitive_gan_loss(
        r, f, d, lam=1.5, reduction=reduction, sample_weight=w, where=where), torch_peer(peer),
        [real, fake, distance, weight], argnums=(0, 1, 2, 3))
