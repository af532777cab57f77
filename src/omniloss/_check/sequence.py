"""``omniloss check`` cases for :mod:`omniloss.sequence`."""

from __future__ import annotations

import numpy as np

from omniloss._check import Case, CaseMaker


def _ctc(rng: np.random.Generator) -> list[Case]:
    """Log-probabilities (T=12, N=4, C=5) with padded, concatenated and unbatched targets."""
    logits = rng.normal(size=(12, 4, 5))
    log_probs = logits - np.log(np.exp(logits).sum(axis=-1, keepdims=True))
    targets = rng.integers(1, 4, size=(4, 5))  # labels 1..3: neither blank 0 nor blank 4
    targets[2, :3] = [3, 3, 3]  # repeats: 3 labels need 5 frames, exactly what sample 2 has
    input_lengths = np.array([12, 9, 5, 12])
    target_lengths = np.array([5, 3, 3, 0])
    flat = np.concatenate([row[:n] for row, n in zip(targets, target_lengths, strict=True)])
    padded = (log_probs, targets, input_lengths, target_lengths)
    cases = [Case(padded, {"reduction": r}, f"padded, {r}") for r in ("mean", "sum", "none")]
    impossible = (log_probs, targets, np.array([12, 9, 4, 12]), target_lengths)
    return [*cases,
            Case((log_probs, flat, input_lengths, target_lengths), {"reduction": "none"},
                 "concatenated"),
            Case((log_probs, flat, (12, 9, 4, 12), (5, 3, 3, 0)), {"reduction": "none"},
                 "concatenated, tuple lengths"),
            Case(impossible, {"reduction": "none", "zero_infinity": True}, "zero_infinity"),
            Case((logits, targets, input_lengths, target_lengths),
                 {"blank": 4, "reduction": "none"}, "unnormalised, blank=4"),
            Case((log_probs[:, 0], targets[0], 12, 5), {}, "unbatched"),
            Case(padded, {"sample_weight": rng.uniform(0.5, 2.0, size=4),
                          "where": np.array([True, True, False, True])}, "weighted mean"),
            Case(impossible, {"sample_weight": rng.uniform(0.5, 2.0, size=4),
                              "where": np.array([True, True, False, True]),
                              "reduction": "sum"}, "impossible sample masked, sum")]


CASES: dict[str, CaseMaker] = {
    "ctc_loss": _ctc,
}
