"""``docs/peers.toml``, the data of the documentation site's function pages and migration guides.

Its schema is checked by the site's own check (``docs/_ext/omniloss_docs/schema.py``, which the
build runs too), loaded here by its path (the package around it imports Sphinx); and the
formulas convert to MathML as the site renders them (``latex2mathml``). No framework is imported.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import load_docs_module

pytestmark = pytest.mark.backend_independent

DOCS = Path(__file__).resolve().parents[1] / "docs"
SCHEMA = load_docs_module("_ext", "omniloss_docs", "schema.py")


@pytest.fixture(scope="module")
def peers() -> dict[str, Any]:
    return SCHEMA.load((DOCS / "peers.toml").read_text(encoding="utf-8"))


def test_the_data_follows_the_schema(peers):
    assert not SCHEMA.problems(peers), "\n".join(SCHEMA.problems(peers))


@pytest.mark.parametrize("break_it, problem", [
    (lambda p: p.pop("mse_loss"), "mse_loss has no table"),
    (lambda p: p["mse_loss"].pop("formula"), "mse_loss: no formula"),
    (lambda p: p["mse_loss"]["peers"][0].update(library="caffe"), "unknown library 'caffe'"),
    (lambda p: p["mse_loss"]["peers"][0].update(defining=not p["mse_loss"]["peers"][0]["defining"]),
     "defining peers"),
    (lambda p: p["mse_loss"]["peers"][0].update(ours="F.mse_loss(a, b)"), "calls no omniloss"),
    (lambda p: p["mse_loss"]["peers"][0].pop("call"), "keys differ in ['call']"),
    (lambda p: p.update(mse_loss=p.pop("mse_loss")), "not in catalogue order"),
])
def test_the_schema_finds_each_kind_of_problem(peers, break_it, problem):
    broken = {name: {**entry, "peers": [dict(peer) for peer in entry.get("peers", [])]}
              for name, entry in peers.items()}
    break_it(broken)
    assert any(problem in line for line in SCHEMA.problems(broken)), SCHEMA.problems(broken)


def test_formulas_convert_to_mathml(peers):
    """What the site's ``omniloss_docs.mathml`` does with each equation: a LaTeX command that
    ``latex2mathml`` does not know is left in its output as text (``\\arg``), so that is an
    error here too."""
    from latex2mathml import converter
    problems = []
    for name, entry in peers.items():
        for line in entry["formula"]:
            try:
                mathml = converter.convert(line, display="block")
            except Exception as error:  # latex2mathml raises its own types, and others
                problems.append(f"{name}: {line!r}: {error}")
                continue
            left = re.findall(r"\\[A-Za-z]+", mathml)
            if left:
                problems.append(f"{name}: {line!r} leaves {left} unconverted")
    assert not problems, "\n".join(problems)
