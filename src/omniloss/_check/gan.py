"""``omniloss check`` cases for :mod:`omniloss.gan`."""

from __future__ import annotations

from omniloss._check import Case, CaseMaker

CASES: dict[str, CaseMaker] = {}
