"""The record of what one backend runs natively: :class:`Backend`, one per namespace."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

Array = Any
Axis = int | tuple[int, ...] | None


@dataclass(frozen=True)
class Backend:
    """Everything native to one backend; a field left ``None`` runs the portable implementation.

    The elementwise natives take the arrays and the primitive's options positionally, without
    ``xp`` (``logsumexp(x, axis, keepdims)``); ``reduce_all`` and ``fold`` take ``xp`` first as
    the portable ones do. ``fused`` maps a kernel name to a whole-loss kernel taking the portable
    function first, then exactly that function's arguments (see ``omniloss._primitives.fused``).
    """

    name: str
    autodiff: bool = True
    """Whether the arrays carry gradients. Without, a kink's subgradient does not matter, so the
    portable formulas take the cheaper ``abs`` and ``maximum`` in place of ``where``."""
    int64_gathers: bool = False
    """Whether the backend's gathers take int64 ids only (torch's ``gather``,
    ``take_along_dim``)."""
    values_now: Callable[[Array], Any] | None = None
    """An array's values as a NumPy array when they can be read now without a trace and without
    a device sync (a CPU array outside any tracing or transform), else ``None``; the field left
    ``None``: never (Dask, CuPy, unknown namespaces). Class-id checks read ids through it."""
    id_range: Callable[[Array], tuple[int, int] | None] | None = None
    """The smallest and largest of integer ids as Python ints, read as ``values_now`` reads
    (``None`` where it cannot, or for no ids), in fewer calls than ``values_now`` and NumPy's
    ``min`` and ``max``; the field left ``None``: those three."""
    dim: Callable[[Array, int], Array] | None = None
    """The size of an axis the static shape leaves unknown (``None``), read at run time as a 0-d
    integer array (TensorFlow's ``tf.shape(x)[axis]`` under ``tf.function``); the field left
    ``None``: shapes are always static."""
    logsumexp: Callable[[Array, Axis, bool], Array] | None = None
    logsumexp_parts: Callable[[Array, int], tuple[Array, Array]] | None = None
    log_softmax: Callable[[Array, int], Array] | None = None
    softmax: Callable[[Array, int], Array] | None = None
    softplus: Callable[[Array], Array] | None = None
    sigmoid_cross_entropy: Callable[[Array, Array, Array | None], Array] | None = None
    log_sigmoid: Callable[[Array], Array] | None = None
    sigmoid: Callable[[Array], Array] | None = None
    absolute: Callable[[Array], Array] | None = None
    squared_error: Callable[[Array, Array, str], Array] | None = None
    smooth_l1: Callable[[Array, Array, float, str], Array] | None = None
    gather: Callable[[Array, Array, int], Array] | None = None
    take_along_axis: Callable[[Array, Array, int], Array] | None = None
    """The standard's ``take_along_axis`` where the namespace lacks it (Dask); not a fast path,
    so ``use_native_kernels`` does not turn it off."""
    xlogx: Callable[[Array], Array] | None = None
    sqrt_zero_safe: Callable[[Array], Array] | None = None
    euclidean_norm: Callable[[Array], Array] | None = None
    clamp: Callable[[Array, float | None, float | None], Array] | None = None
    reduce_all: Callable[[ModuleType, Array, str], Array] | None = None
    fold: Callable[..., Array] | None = None
    stop_gradient: Callable[[Array], Array] | None = None
    checkpoint: Callable[..., Array] | None = None
    fused: Mapping[str, Callable[..., Array]] = field(default_factory=dict)


PORTABLE = Backend("portable")
"""No natives at all: what an unknown namespace gets, and every namespace with
``use_native_kernels`` off."""
