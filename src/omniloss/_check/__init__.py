"""Example inputs for ``omniloss check``: one case per public loss, grouped by family.

A case is a NumPy float64 argument list and keyword options. ``omniloss check`` runs each loss on
each installed backend (float64 and float32) and compares with the NumPy float64 result.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Case:
    """Arguments for one call: ``fn(*args, **kwargs)``; floating arrays are float64."""

    args: tuple[Any, ...]
    kwargs: dict[str, Any] = field(default_factory=dict)
    label: str = ""


CaseMaker = Callable[[np.random.Generator], list[Case]]


def all_cases() -> dict[str, CaseMaker]:
    """Every family's case makers, keyed by the public function name."""
    from omniloss._check import (
        activations,
        classification,
        embedding,
        gan,
        margin,
        regression,
        segmentation,
        sequence,
        structured,
    )

    makers: dict[str, CaseMaker] = {}
    for module in (regression, classification, margin, embedding, segmentation, sequence, gan,
                   structured, activations):
        makers.update(module.CASES)
    return makers
