"""Hypothesis strategies for loss inputs: NumPy float64 arrays to hand to
:func:`omniloss.testing.assert_parity` (which casts and converts them for each backend).

Needs ``hypothesis`` (``pip install omniloss[testing]``)::

    from hypothesis import given
    from omniloss.testing import assert_parity, strategies as ost

    @given(ost.logits(shape=(4, 5)), ost.class_ids((4,), num_classes=5, ignore_index=-100))
    def test_my_cross_entropy(logits, ids):
        assert_parity(my_cross_entropy, logits, ids, grads=(0,))
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

__all__ = ["boxes", "class_ids", "ctc_batches", "logits", "one_hot", "probabilities"]

Shape = tuple[int, ...]


def _floats(low: float, high: float) -> st.SearchStrategy[float]:
    return st.floats(low, high, allow_nan=False, allow_infinity=False, width=64)


def logits(shape: Shape = (4, 5), *, scale: float = 10.0) -> st.SearchStrategy[np.ndarray]:
    """Unnormalised scores in ``[-scale, scale]``."""
    return hnp.arrays(np.float64, shape, elements=_floats(-scale, scale))


def class_ids(batch_shape: Shape = (4,), num_classes: int = 5, *,
              ignore_index: int | None = None) -> st.SearchStrategy[np.ndarray]:
    """int64 class ids in ``[0, num_classes)``; with ``ignore_index``, some entries are it."""
    values = st.integers(0, num_classes - 1)
    if ignore_index is not None:
        values = values | st.just(ignore_index)
    return hnp.arrays(np.int64, batch_shape, elements=values)


@st.composite
def probabilities(draw: Any, shape: Shape = (4, 5), *, axis: int | None = None,
                  low: float = 0.0) -> np.ndarray:
    """Probabilities in ``[low, 1 - low]`` elementwise (``axis=None``), or distributions that sum
    to 1 along ``axis`` (softmax of drawn logits, so every entry is positive)."""
    if axis is None:
        drawn: np.ndarray = draw(hnp.arrays(np.float64, shape, elements=_floats(low, 1.0 - low)))
        return drawn
    scores = draw(logits(shape, scale=5.0))
    exp = np.exp(scores - scores.max(axis=axis, keepdims=True))
    normalised: np.ndarray = exp / exp.sum(axis=axis, keepdims=True)
    return normalised


@st.composite
def one_hot(draw: Any, batch_shape: Shape = (4,), num_classes: int = 5) -> np.ndarray:
    """float64 one-hot rows (class axis last)."""
    ids = draw(class_ids(batch_shape, num_classes))
    rows: np.ndarray = np.eye(num_classes)[ids]
    return rows


@st.composite
def boxes(draw: Any, count: int = 4, *, extent: float = 10.0) -> np.ndarray:
    """``(count, 4)`` boxes ``(x1, y1, x2, y2)`` with ``x1 < x2`` and ``y1 < y2``."""
    corners = draw(hnp.arrays(np.float64, (count, 2), elements=_floats(0.0, extent)))
    sizes = draw(hnp.arrays(np.float64, (count, 2), elements=_floats(0.1, extent)))
    return np.concatenate([corners, corners + sizes], axis=1)


@st.composite
def ctc_batches(draw: Any, batch: int = 3, max_time: int = 12, num_classes: int = 5,
                max_target: int = 4, blank: int = 0
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(log_probs, targets, input_lengths, target_lengths)`` as ``torch.nn.functional.ctc_loss``
    takes them: ``(T, N, C)`` log-softmax scores, ``(N, S)`` padded int64 labels other than
    ``blank``, and lengths with every target short enough to align (``2 * S + 1 <= T``)."""
    target_lengths = np.array(draw(st.lists(st.integers(1, max_target), min_size=batch,
                                            max_size=batch)), dtype=np.int64)
    longest = int(target_lengths.max())
    shortest_input = 2 * longest + 1
    time = max(max_time, shortest_input)
    input_lengths = np.array(draw(st.lists(st.integers(shortest_input, time), min_size=batch,
                                           max_size=batch)), dtype=np.int64)
    labels = [c for c in range(num_classes) if c != blank]
    targets = draw(hnp.arrays(np.int64, (batch, longest), elements=st.sampled_from(labels)))
    scores = draw(logits((time, batch, num_classes), scale=5.0))
    shifted = scores - scores.max(axis=-1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    return log_probs, targets, input_lengths, target_lengths
