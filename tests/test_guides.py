"""The quick start's code runs: each framework's section of ``docs/guides/quickstart.md``, its
Python blocks in order in one namespace, in the session of that framework (the Keras block goes
on from the TensorFlow block's arrays, as a reader would run it)."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest

from omniloss.testing import to_numpy

GUIDE = Path(__file__).parents[1] / "docs" / "guides" / "quickstart.md"
SESSIONS = {"NumPy": "numpy", "PyTorch": "torch", "JAX": "jax",
            "TensorFlow and Keras": "tensorflow", "Dask": "dask",
            "array-api-strict": "array_api_strict"}
"""The quick start's sections, each with the backend whose session runs it."""


def _sections() -> dict[str, str]:
    """Each ``## `` section's Python blocks, joined in order."""
    sections: dict[str, str] = {}
    for part in re.split(r"^## ", GUIDE.read_text(encoding="utf-8"), flags=re.MULTILINE)[1:]:
        title, _, body = part.partition("\n")
        sections[title.strip()] = "\n".join(re.findall(r"```python\n(.*?)```", body, re.DOTALL))
    return sections


@pytest.mark.backend_independent
def test_every_section_is_run():
    assert {title for title, code in _sections().items() if code} == set(SESSIONS)


@pytest.mark.parametrize("title", [pytest.param(title, marks=pytest.mark.uses(backend))
                                   for title, backend in SESSIONS.items()])
def test_section_runs(title):
    namespace: dict[str, object] = {}
    exec(compile(_sections()[title], f"{GUIDE.name}: {title}", "exec"), namespace)
    results = [namespace[name] for name in ("loss",) if name in namespace]
    for result in results:  # every loss the section leaves behind is a finite number
        value = result.compute() if hasattr(result, "compute") else result
        assert math.isfinite(float(np.asarray(to_numpy(value)))), (title, value)
