"""``omniloss check`` cases for :mod:`omniloss.sequence`."""

from __future__ import annotations

from typing import Any

import numpy as np

from omniloss._check import Case, CaseMaker


def _inputs(rng: np.random.Generator) -> dict[str, tuple[Any, ...]]:
    """Log-probabilities (T=12, N=4, C=5) with padded, concatenated and unbatched targets, one
    sequence impossible to align, and unnormalised scores with blank 4."""
    logits = rng.normal(size=(12, 4, 5))
    log_probs = logits - np.log(np.exp(logits).sum(axis=-1, keepdims=True))
    targets = rng.integers(1, 4, size=(4, 5))  # labels 1..3: neither blank 0 nor blank 4
    targets[2, :3] = [3, 3, 3]  # repeats: 3 labels need 5 frames, exactly what sample 2 has
    input_lengths = np.array([12, 9, 5, 12])
    target_lengths = np.array([5, 3, 3, 0])
    flat = np.concatenate([row[:n] for row, n in zip(targets, target_lengths, strict=True)])
    return {"padded": (log_probs, targets, input_lengths, target_lengths),
            "concatenated": (log_probs, flat, input_lengths, target_lengths),
            "concatenated, tuple lengths": (log_probs, flat, (12, 9, 4, 12), (5, 3, 3, 0)),
            "impossible": (log_probs, targets, np.array([12, 9, 4, 12]), target_lengths),
            "unnormalised": (logits, targets, input_lengths, target_lengths),
            "unbatched": (log_probs[:, 0], targets[0], 12, 5)}


def _ctc(rng: np.random.Generator) -> list[Case]:
    inputs = _inputs(rng)
    padded, impossible = inputs["padded"], inputs["impossible"]
    cases = [Case(padded, {"reduction": r}, f"padded, {r}") for r in ("mean", "sum", "none")]
    return [*cases,
            Case(inputs["concatenated"], {"reduction": "none"}, "concatenated"),
            Case(inputs["concatenated, tuple lengths"], {"reduction": "none"},
                 "concatenated, tuple lengths"),
            Case(impossible, {"reduction": "none", "zero_infinity": True}, "zero_infinity"),
            Case(inputs["unnormalised"], {"blank": 4, "reduction": "none"},
                 "unnormalised, blank=4"),
            Case(inputs["unbatched"], {}, "unbatched"),
            Case(padded, {"sample_weight": rng.uniform(0.5, 2.0, size=4),
                          "where": np.array([True, True, False, True])}, "weighted mean"),
            Case(impossible, {"sample_weight": rng.uniform(0.5, 2.0, size=4),
                              "where": np.array([True, True, False, True]),
                              "reduction": "sum"}, "impossible sample masked, sum")]


def _forward_probabilities(rng: np.random.Generator) -> list[Case]:
    inputs = _inputs(rng)
    return [*(Case(args, {}, label) for label, args in inputs.items()
              if label != "unnormalised"),
            Case(inputs["unnormalised"], {"blank": 4}, "unnormalised, blank=4")]


CASES: dict[str, CaseMaker] = {
    "ctc_loss": _ctc,
    "ctc_forward_probabilities": _forward_probabilities,
}
