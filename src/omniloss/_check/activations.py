"""``omniloss check`` cases for :mod:`omniloss.activations`."""

from __future__ import annotations

import numpy as np

from omniloss._check import Case, CaseMaker

_SHAPE = (4, 6)
# The kinks (0, 6), the default softplus threshold (20) and large magnitudes.
_SPECIAL = [0.0, 6.0, 20.0, -30.0, 50.0, -1e3]


def _x(rng: np.random.Generator) -> np.ndarray:
    x = 3 * rng.normal(size=_SHAPE)
    x[0] = _SPECIAL
    return x


def _with_options(*options: dict[str, object]) -> CaseMaker:
    """One case per option set, on the same kind of input."""
    def make(rng: np.random.Generator) -> list[Case]:
        return [Case((_x(rng),), dict(extra),
                     ", ".join(f"{k}={v}" for k, v in extra.items()) or "default")
                for extra in options]
    return make


def _prelu(rng: np.random.Generator) -> list[Case]:
    x = _x(rng)
    return [Case((x, rng.uniform(-0.5, 0.5, size=(_SHAPE[1],))), {}, "per channel"),
            Case((x, np.array([0.25])), {}, "shared"),
            Case((x, 0.1), {}, "Python float")]


CASES: dict[str, CaseMaker] = {
    "identity": _with_options({}),
    "sigmoid": _with_options({}),
    "log_sigmoid": _with_options({}),
    "tanh": _with_options({}),
    "relu": _with_options({}),
    "relu6": _with_options({}),
    "leaky_relu": _with_options({}, {"negative_slope": 0.2}),
    "prelu": _prelu,
    "elu": _with_options({}, {"alpha": 0.5}),
    "swish": _with_options({}, {"beta": 2.0}),
    "silu": _with_options({}),
    "mish": _with_options({}),
    "softplus": _with_options({}, {"beta": 2.0, "threshold": 5.0}),
    "softmax": _with_options({}, {"axis": 0}),
    "log_softmax": _with_options({}, {"axis": 0}),
    "sparsemax": _with_options({}, {"axis": 0}),
}
