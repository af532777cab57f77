"""The ``omniloss`` command: ``omniloss list`` and ``omniloss check``.

``list`` prints the catalogue with each function's family, defining peer and status.
``check`` runs every implemented function on every installed backend, in float64 and float32, on
the example inputs of :mod:`omniloss._check`, compares each result with the NumPy float64 result,
prints a table (function by backend: the larger of the float64 and float32 relative errors) and
exits with status 1 on any mismatch.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from omniloss._catalogue import CATALOGUE, Entry, is_implemented

BACKENDS = ("numpy", "array_api_strict", "torch", "jax", "tensorflow", "dask")
FLOAT64_TOLERANCE = 1e-9
FLOAT32_TOLERANCE = 1e-4


def _converter(backend: str) -> Callable[[np.ndarray], Any]:
    if backend == "numpy":
        return np.array
    if backend == "array_api_strict":
        strict = importlib.import_module("array_api_strict")
        return lambda a: strict.asarray(np.array(a))
    if backend == "torch":
        torch = importlib.import_module("torch")
        return lambda a: torch.from_numpy(np.array(a))
    if backend == "jax":
        jax = importlib.import_module("jax")
        jax.config.update("jax_enable_x64", True)
        jnp = importlib.import_module("jax.numpy")
        return lambda a: jnp.asarray(np.array(a))
    if backend == "dask":
        dask_array = importlib.import_module("dask.array")
        return lambda a: dask_array.from_array(np.array(a), chunks=_halved_leading_axis(a))
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    tf = importlib.import_module("tensorflow")
    return lambda a: tf.constant(np.array(a))


def _halved_leading_axis(a: np.ndarray) -> tuple[int, ...]:
    """Dask chunks splitting the leading (batch) axis in two, so the check meets chunked arrays."""
    return (max(1, -(-a.shape[0] // 2)), *(-1,) * (a.ndim - 1)) if a.ndim else ()


def _to_numpy(x: Any) -> np.ndarray:
    if hasattr(x, "detach"):
        x = x.detach()
    if hasattr(x, "numpy"):
        return np.asarray(x.numpy(), dtype=np.float64)
    try:
        return np.asarray(x, dtype=np.float64)
    except TypeError:
        return np.asarray(np.from_dlpack(x), dtype=np.float64)


def _convert(value: Any, convert: Callable[[np.ndarray], Any], dtype: type) -> Any:
    if isinstance(value, np.ndarray):
        return convert(value.astype(dtype) if value.dtype.kind == "f" else value)
    if isinstance(value, list | tuple):
        return type(value)(_convert(v, convert, dtype) for v in value)
    if isinstance(value, dict):
        return {key: _convert(v, convert, dtype) for key, v in value.items()}
    return value


def _relative_error(actual: np.ndarray, expected: np.ndarray) -> float:
    if actual.shape != expected.shape:
        return float("inf")
    both_nan = np.isnan(actual) & np.isnan(expected)
    same_inf = np.isinf(expected) & (actual == expected)
    scale = np.maximum(np.abs(expected), 1.0)
    with np.errstate(invalid="ignore"):
        error = np.where(both_nan | same_inf, 0.0, np.abs(actual - expected) / scale)
    return float(np.max(error, initial=0.0)) if not np.isnan(error).any() else float("inf")


def _class_names(entry: Entry, quote: Callable[[str], str]) -> tuple[str, str]:
    """The generated classes of a loss: its ``nn.Module``, its keras ``Loss`` names."""
    if entry.classes is None:
        return "-", "-"
    keras = (entry.classes.torch, *entry.classes.keras)
    return quote(entry.classes.torch), ", ".join(map(quote, keras))


def installed_backends() -> list[str]:
    return [name for name in BACKENDS if importlib.util.find_spec(name) is not None]


def list_catalogue(markdown: bool = False) -> int:
    quote = (lambda name: f"`{name}`") if markdown else (lambda name: name)
    rows = [(quote(e.name), e.family, e.peer, "yes" if is_implemented(e.name) else "no",
             *_class_names(e, quote)) for e in CATALOGUE]
    _print_table(("function", "family", "defined by", "implemented", "omniloss.torch",
                  "omniloss.keras"), rows, markdown=markdown)
    done = sum(row[3] == "yes" for row in rows)
    print(f"\n{done} of {len(rows)} implemented")
    return 0


def check(backends: Sequence[str], names: Sequence[str] | None = None) -> int:
    import omniloss
    from omniloss._check import all_cases

    makers = all_cases()
    selected = [e.name for e in CATALOGUE
                if is_implemented(e.name) and (names is None or e.name in names)]
    converters = {b: _converter(b) for b in backends}
    rows = []
    failures = 0
    for index, name in enumerate(selected, 1):
        print(f"[{index}/{len(selected)}] {name}", file=sys.stderr, flush=True)
        maker = makers.get(name)
        if maker is None:
            rows.append((name, *["no case"] * len(backends)))
            failures += 1
            continue
        function = getattr(omniloss, name)
        cells = []
        for backend in backends:
            worst = {np.float64: 0.0, np.float32: 0.0}
            try:
                for case in maker(np.random.default_rng(0)):
                    expected = _to_numpy(function(*_convert(case.args, np.array, np.float64),
                                                  **_convert(case.kwargs, np.array, np.float64)))
                    for dtype, tolerance in ((np.float64, FLOAT64_TOLERANCE),
                                             (np.float32, FLOAT32_TOLERANCE)):
                        args = _convert(case.args, converters[backend], dtype)
                        kwargs = _convert(case.kwargs, converters[backend], dtype)
                        error = _relative_error(_to_numpy(function(*args, **kwargs)), expected)
                        worst[dtype] = max(worst[dtype], error)
                        if error > tolerance:
                            raise AssertionError(f"{case.label} {dtype.__name__} error "
                                                 f"{error:.2e}")
                cells.append(f"{worst[np.float64]:.0e} / {worst[np.float32]:.0e} ok")
            except Exception as error:
                failures += 1
                cells.append(f"FAIL ({type(error).__name__}: {str(error)[:60]})")
        rows.append((name, *cells))
    _print_table(("function", *backends), rows)
    print(f"\n{len(selected)} functions x {len(backends)} backends; "
          f"{'all match' if not failures else f'{failures} mismatches'} "
          f"(float64 within {FLOAT64_TOLERANCE:g}, float32 within {FLOAT32_TOLERANCE:g} "
          "relative to the NumPy float64 result; cells: worst float64 / float32 error)")
    return 1 if failures else 0


def _print_table(header: Sequence[str], rows: Sequence[Sequence[str]], *,
                 markdown: bool = False) -> None:
    widths = [max(len(str(row[i])) for row in (header, *rows)) for i in range(len(header))]
    edge = "| " if markdown else ""
    end = " |" if markdown else ""
    for index, row in enumerate((header, *rows)):
        print(edge + " | ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)) + end)
        if index == 0:
            print(edge.replace(" ", "-") + "-|-".join("-" * w for w in widths)
                  + end.replace(" ", "-"))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="omniloss", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    list_parser = commands.add_parser("list", help="print the catalogue and what is implemented")
    list_parser.add_argument("--markdown", action="store_true", help="print a markdown table")
    check_parser = commands.add_parser(
        "check", help="run every implemented loss on every installed backend against NumPy")
    check_parser.add_argument("--backends", help="comma-separated subset of " + ", ".join(BACKENDS))
    check_parser.add_argument("--only", help="comma-separated function names to check")
    args = parser.parse_args(argv)
    if args.command == "list":
        return list_catalogue(markdown=args.markdown)
    installed = installed_backends()
    backends = installed
    if args.backends:
        backends = [b.strip() for b in args.backends.split(",") if b.strip()]
        missing = [b for b in backends if b not in installed]
        if missing:
            parser.error(f"--backends names {missing}, not installed (installed: {installed})")
    only = [n.strip() for n in args.only.split(",")] if args.only else None
    print(f"checking on: {', '.join(backends)}", file=sys.stderr)
    return check(backends, only)


if __name__ == "__main__":
    sys.exit(main())
