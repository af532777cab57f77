"""The bad-input matrix (``tests/bad_inputs.py``) keeps the error policy on every backend.

Every common mistake with every argument of every public function is a ``TypeError`` or
``ValueError`` naming the function and the argument; a mistake in array values (an out-of-range
class id or length) is that too where the backend can read the values, and is never a finite
number where it cannot (under tracing, on Dask).
"""

from __future__ import annotations

import pytest

from tests.bad_inputs import Call, all_calls, keeps_policy, outcome
from tests.helpers import Backend


@pytest.mark.parametrize("call", all_calls(), ids=lambda call: call.id)
def test_mistake_keeps_the_error_policy(backend: Backend, call: Call) -> None:
    result, detail = outcome(backend, call)
    assert keeps_policy(call, result), f"{call.id} on {backend}: {result}: {detail}"
