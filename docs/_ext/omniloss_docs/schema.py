"""The schema of ``docs/peers.toml``, checked in one place: by the site's build (each problem a
warning, an error under ``sphinx-build -W``) and by ``tests/test_docs_data.py``.

Every catalogue function has a table, in catalogue order, with a ``formula`` (a non-empty list of
LaTeX equations), an optional ``where`` and optional ``peers``: each peer has exactly
``PEER_KEYS``, a known ``library``, booleans ``same_numbers`` and ``defining``, non-empty texts,
an ``ours`` that calls omniloss; a function with peers has exactly one defining peer.

This module imports neither Sphinx nor matplotlib, so the tests load it by its path.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

from omniloss._catalogue import CATALOGUE

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

#: each library a peer may name, and its title on the pages
LIBRARIES = {"torch": "PyTorch", "keras": "Keras", "optax": "Optax", "tensorflow": "TensorFlow",
             "torchvision": "torchvision", "scipy": "SciPy", "paper": "Paper", "other": "Other"}
ENTRY_KEYS = frozenset({"formula", "where", "peers"})
PEER_KEYS = ("library", "function", "call", "ours", "same_numbers", "defining", "differences")
_TEXT_KEYS = ("function", "call", "ours", "differences")


def load(text: str | None) -> dict[str, dict[str, Any]]:
    """``docs/peers.toml`` parsed (``None``: the file is absent, no entries yet)."""
    return tomllib.loads(text) if text is not None else {}


def _entry_problems(name: str, entry: Mapping[str, Any]) -> list[str]:
    problems = []
    if not set(entry) <= ENTRY_KEYS:
        problems.append(f"{name}: unknown keys {sorted(set(entry) - ENTRY_KEYS)}")
    formula = entry.get("formula")
    if not (isinstance(formula, list) and formula
            and all(isinstance(line, str) and line.strip() for line in formula)):
        problems.append(f"{name}: no formula (a non-empty list of strings)")
    if not isinstance(entry.get("where", ""), str):
        problems.append(f"{name}: `where` is not a string")
    tables = entry.get("peers", [])
    for number, peer in enumerate(tables, 1):
        where = f"{name}, peer {number}"
        if set(peer) != set(PEER_KEYS):
            problems.append(f"{where}: keys differ in {sorted(set(peer) ^ set(PEER_KEYS))}")
            continue
        if peer["library"] not in LIBRARIES:
            problems.append(f"{where}: unknown library {peer['library']!r}; known: "
                            f"{list(LIBRARIES)}")
        if not (isinstance(peer["same_numbers"], bool) and isinstance(peer["defining"], bool)):
            problems.append(f"{where}: `same_numbers` and `defining` must be booleans")
        problems += [f"{where}: empty {key}" for key in _TEXT_KEYS
                     if not (isinstance(peer[key], str) and peer[key].strip())]
        if "ol." not in str(peer["ours"]):
            problems.append(f"{where}: `ours` calls no omniloss function")
    defining = [peer.get("function") for peer in tables if peer.get("defining") is True]
    if tables and len(defining) != 1:
        problems.append(f"{name}: {len(defining)} defining peers {defining}")
    return problems


def problems(peers: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Every way ``peers`` (parsed ``docs/peers.toml``) departs from the schema, one line each."""
    names = [entry.name for entry in CATALOGUE]
    found = [f"docs/peers.toml: {name!r} is not in the catalogue" for name in peers
             if name not in names]
    found += [f"docs/peers.toml: {name} has no table" for name in names if name not in peers]
    if not found and list(peers) != names:
        found.append("docs/peers.toml: the tables are not in catalogue order")
    for name, entry in peers.items():
        found += [f"docs/peers.toml: {line}" for line in _entry_problems(name, entry)]
    return found


def complete_peers(entry: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The entry's peers that have every key (:func:`problems` reports the others)."""
    return [peer for peer in entry.get("peers", ()) if all(key in peer for key in PEER_KEYS)]
