"""The ``omniloss`` command: ``list`` and ``check``."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import omniloss
from omniloss._catalogue import CATALOGUE
from omniloss._cli import main


def test_list_prints_every_catalogue_row(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for entry in CATALOGUE:
        assert entry.name in out
    implemented = sum(callable(getattr(omniloss, e.name, None)) for e in CATALOGUE)
    assert f"{implemented} of {len(CATALOGUE)} implemented" in out


def test_check_passes_on_numpy(capsys):
    assert main(["check", "--backends", "numpy", "--only", "mse_loss,l1_loss"]) == 0
    captured = capsys.readouterr()
    assert "mse_loss" in captured.out and "all match" in captured.out
    assert "[1/2]" in captured.err


def test_check_fails_on_a_mismatch(monkeypatch, capsys):
    original = omniloss.mse_loss

    def broken(input, target, **kwargs):
        return original(input, target, **kwargs) * 1.001 if not isinstance(input, np.ndarray) \
            else original(input, target, **kwargs)

    monkeypatch.setattr(omniloss, "mse_loss", broken)
    assert main(["check", "--backends", "array_api_strict", "--only", "mse_loss"]) == 1
    assert "FAIL" in capsys.readouterr().out


def test_unknown_backend_is_an_error():
    with pytest.raises(SystemExit):
        main(["check", "--backends", "no_such_library"])


def test_module_entry_point():
    result = subprocess.run([sys.executable, "-m", "omniloss", "list"], capture_output=True,
                            text=True, check=True)
    assert "mse_loss" in result.stdout


def test_readme_catalogue_table_is_current(capsys):
    from pathlib import Path

    main(["list", "--markdown"])
    table = capsys.readouterr().out.split("\n\n")[0].strip()
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    assert table in readme, "README's catalogue table is stale: paste `omniloss list --markdown`"
