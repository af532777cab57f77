"""The user's tests: the omniloss pytest plugin's ``xp`` fixture and the kit's checks."""

import numpy as np
from focal_losses import focal_tversky_loss
from hypothesis import given, settings
from hypothesis import strategies as st

from omniloss.testing import assert_close, assert_parity
from omniloss.testing import strategies as ost


def test_parity_on_every_backend():
    rng = np.random.default_rng(1)
    probs = rng.uniform(0.05, 0.95, size=(3, 10))
    target = (rng.uniform(size=(3, 10)) < 0.5).astype(np.float64)
    assert_parity(focal_tversky_loss, probs, target, gamma=1.5, grads=(0,))


def test_perfect_prediction_costs_nothing(xp):
    target = xp.asarray([[1.0, 0.0, 1.0]])
    assert_close(focal_tversky_loss(target, target), xp.asarray(0.0))


@settings(max_examples=5, deadline=None)
@given(probs=ost.probabilities(shape=(2, 6), low=0.05), gamma=st.floats(0.5, 2.0))
def test_parity_on_generated_inputs(probs, gamma):
    target = (probs > 0.5).astype(np.float64)
    assert_parity(focal_tversky_loss, probs, target, gamma=gamma, grads=(0,), trace=False)
