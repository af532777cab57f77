"""``docs/peers.toml``, the data of the documentation site's function pages and migration guides.

Every catalogue function has a table (in catalogue order) with a formula; the peer tables have
the schema's keys and known libraries, and each function's peers name exactly one defining
peer; the formulas convert to MathML as the site renders them (``latex2mathml``). No framework
is imported.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import pytest

from omniloss._catalogue import CATALOGUE

pytestmark = pytest.mark.backend_independent

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10
    tomllib = pytest.importorskip("tomli")

PEERS_TOML = Path(__file__).resolve().parent.parent / "docs" / "peers.toml"
ENTRY_KEYS = {"formula", "where", "peers"}
PEER_KEYS = {"library", "function", "call", "ours", "same_numbers", "defining", "differences"}
TEXT_KEYS = ("function", "call", "ours", "differences")
LIBRARIES = {"torch", "keras", "optax", "tensorflow", "torchvision", "scipy", "paper", "other"}
NAMES = [entry.name for entry in CATALOGUE]


@pytest.fixture(scope="module")
def peers() -> dict[str, Any]:
    with PEERS_TOML.open("rb") as file:
        return tomllib.load(file)


def test_every_catalogue_function_has_a_table_in_catalogue_order(peers):
    assert list(peers) == NAMES


def test_every_entry_has_a_formula_and_only_the_schemas_keys(peers):
    problems = []
    for name, entry in peers.items():
        if not set(entry) <= ENTRY_KEYS:
            problems.append(f"{name}: unknown keys {sorted(set(entry) - ENTRY_KEYS)}")
        formula = entry.get("formula")
        if not (isinstance(formula, list) and formula
                and all(isinstance(line, str) and line.strip() for line in formula)):
            problems.append(f"{name}: no formula (a non-empty list of strings)")
        if not isinstance(entry.get("where", ""), str):
            problems.append(f"{name}: `where` is not a string")
    assert not problems, "\n".join(problems)


def test_peer_tables_follow_the_schema(peers):
    problems = []
    for name, entry in peers.items():
        for number, peer in enumerate(entry.get("peers", []), 1):
            where = f"{name}, peer {number}"
            if set(peer) != PEER_KEYS:
                problems.append(f"{where}: keys differ in {sorted(set(peer) ^ PEER_KEYS)}")
                continue
            if peer["library"] not in LIBRARIES:
                problems.append(f"{where}: unknown library {peer['library']!r}")
            if not (isinstance(peer["same_numbers"], bool) and isinstance(peer["defining"], bool)):
                problems.append(f"{where}: `same_numbers` and `defining` must be booleans")
            problems += [f"{where}: empty {key}" for key in TEXT_KEYS
                         if not (isinstance(peer[key], str) and peer[key].strip())]
            if "ol." not in peer["ours"]:
                problems.append(f"{where}: `ours` calls no omniloss function")
    assert not problems, "\n".join(problems)


def test_exactly_one_defining_peer_where_there_are_peers(peers):
    problems = []
    for name, entry in peers.items():
        tables = entry.get("peers", [])
        defining = [peer.get("function") for peer in tables if peer.get("defining") is True]
        if tables and len(defining) != 1:
            problems.append(f"{name}: {len(defining)} defining peers {defining}")
    assert not problems, "\n".join(problems)


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
