"""Everything native to JAX: ``jax.nn`` and ``jax.scipy`` kernels, ``custom_jvp`` forms that XLA
fuses better, ``jax.lax.scan``, ``jax.lax.stop_gradient`` and ``jax.checkpoint``."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

from omniloss._primitives import _portable
from omniloss._primitives._backend import Array, Backend


def build() -> Backend:
    """JAX's record (the ``jax.numpy`` namespace); imports jax."""
    import jax
    import jax.numpy as jnp
    import jax.scipy.special as special
    import numpy as np

    def eager_compiled(traced: Callable[..., Any], **jit_options: Any) -> Callable[..., Any]:
        """``traced`` under tracing, else compiled once per shape: eagerly, a ``custom_jvp``
        function costs 100 us a call and a compiled one 20 us; under tracing a nested jit costs
        12% in the backward pass of a 4096x1000 loss, so the plain function is inlined."""
        compiled = jax.jit(traced, **jit_options)

        def call(x: Array, *args: Any) -> Any:
            return traced(x, *args) if isinstance(x, jax.core.Tracer) else compiled(x, *args)

        return call

    def squared_error(a: Array, b: Array, reduction: str) -> Array:
        # XLA fuses the difference, the square and the sum into one pass (a vecdot would not)
        difference = a - b
        return _portable.reduce(jnp, difference * difference, reduction)

    # jnp.abs has the gradient 1 at 0. x * sign(x) has 0, but XLA on CPU runs a fusion holding
    # sign several times slower than one holding abs (40 us instead of 7 us on a 32x10 loss), so
    # the forward pass is abs and only the derivative uses sign.
    @jax.custom_jvp
    def traced_absolute(x: Array) -> Array:
        return jnp.abs(x)

    @traced_absolute.defjvp
    def absolute_jvp(primals: tuple[Array], tangents: tuple[Array]) -> tuple[Array, Array]:
        (x,), (tangent,) = primals, tangents
        return jnp.abs(x), tangent * jnp.sign(x)

    absolute = eager_compiled(traced_absolute)

    # sqrt(x) forward, a where in the derivative only (the subgradient 0 at 0, which XLA fuses
    # better): the portable where(x == 0, ...) reads x twice, and when x is a reduction XLA on
    # CPU then computes the reduction twice (a triplet loss on 4096x1000 took 4.0 ms instead of
    # 2.1)
    @jax.custom_jvp
    def traced_sqrt_zero_safe(x: Array) -> Array:
        return jnp.sqrt(x)

    @traced_sqrt_zero_safe.defjvp
    def sqrt_zero_safe_jvp(primals: tuple[Array], tangents: tuple[Array]
                           ) -> tuple[Array, Array]:
        (x,), (tangent,) = primals, tangents
        root = jnp.sqrt(x)
        zero = root == 0
        return root, tangent * jnp.where(zero, 0.0, 0.5 / jnp.where(zero, 1.0, root))

    sqrt_zero_safe = eager_compiled(traced_sqrt_zero_safe)

    # One pass at every size: XLA fuses the exponential into the sum, so the portable slices of
    # an array of 2**24 elements or more (bounding NumPy's temporaries) only stop that fusion,
    # and over a sharded class axis make XLA all-gather the logits. cross_entropy on (2048, 8192)
    # float32 logits, forward+backward under jit, per device: 128 MiB replicated (optax: 64),
    # 74 MiB with the classes split over 8 devices (optax: 8) and four all-gathers of a quarter
    # of the logits; in one pass, optax's figures and no all-gather
    # (benchmarks/sharding_memory.py).
    def traced_logsumexp_parts(x: Array, axis: int) -> tuple[Array, Array]:
        return _portable.logsumexp_parts(jnp, x, axis=axis, sliced=False,
                                         stop_gradient=lambda _, a: jax.lax.stop_gradient(a))

    # eagerly compiled too: no full-size temporary at all (the slices leave a quarter's)
    logsumexp_parts = eager_compiled(traced_logsumexp_parts, static_argnums=1)

    def smooth_l1(a: Array, b: Array, beta: float, reduction: str) -> Array:
        # the formula in the namespace, which XLA fuses; r * r, not |r| * |r| as the portable
        # formula: on a 32x10 loss XLA runs that fusion in 16 us instead of 24
        difference = a - b
        magnitude = absolute(difference)
        if beta == 0:
            return _portable.reduce(jnp, magnitude, reduction)
        loss = jnp.where(magnitude < beta, 0.5 * difference * difference / beta,
                         magnitude - 0.5 * beta)
        return _portable.reduce(jnp, loss, reduction)

    def values_now(x: Array) -> Array | None:
        # a concrete array on the CPU (a tracer has no values; another device would sync)
        if isinstance(x, jax.core.Tracer) or any(device.platform != "cpu"
                                                 for device in x.sharding.device_set):
            return None
        return np.asarray(x)

    def scan(xp: ModuleType, step: Callable[..., Array], init: Array, elems: tuple[Array, ...],
             constants: tuple[Array, ...], stack: bool) -> Array:
        def body(carry: Array, row: tuple[Array, ...]) -> tuple[Array, Array | None]:
            carry = step(xp, carry, *row, *constants)
            return carry, carry if stack else None

        last, carries = jax.lax.scan(body, init, elems)
        return carries if stack else last

    return Backend(
        "jax",
        logsumexp=lambda x, axis, keepdims: special.logsumexp(x, axis=axis, keepdims=keepdims),
        logsumexp_parts=logsumexp_parts,
        log_softmax=lambda x, axis: jax.nn.log_softmax(x, axis=axis),
        softmax=lambda x, axis: jax.nn.softmax(x, axis=axis),
        softplus=jax.nn.softplus,
        log_sigmoid=jax.nn.log_sigmoid,
        sigmoid=jax.nn.sigmoid,
        absolute=absolute,
        squared_error=squared_error,
        smooth_l1=smooth_l1,
        sqrt_zero_safe=sqrt_zero_safe,
        # Jitted with the namespace and the step static, so an eager call compiles the loop once
        # per step function and shapes instead of re-tracing the scan each time; inside an outer
        # jit/grad/vmap it is inlined.
        fold=jax.jit(scan, static_argnums=(0, 1, 5)),
        stop_gradient=jax.lax.stop_gradient,
        checkpoint=lambda fn, *arrays: jax.checkpoint(fn)(*arrays),
        values_now=values_now,
    )
