"""``omniloss check`` cases for :mod:`omniloss.sequence`."""

from __future__ import annotations

from omniloss._check import Case, CaseMaker

CASES: dict[str, CaseMaker] = {}
