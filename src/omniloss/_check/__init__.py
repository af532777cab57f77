"""Example inputs for ``omniloss check``: one case per public loss, grouped by family.

A case (:class:`omniloss.testing.Case`) is a NumPy float64 argument list and keyword options.
``omniloss check`` runs each loss on each installed backend (float64 and float32) through the
kit's checks and compares with the NumPy float64 result.
"""

from __future__ import annotations

from omniloss.testing import Case, CaseMaker

__all__ = ["Case", "CaseMaker", "all_cases"]


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
