"""The ``omniloss`` command: ``omniloss list`` and ``omniloss check``.

``list`` prints the catalogue with each function's family, defining peer and status.
``check`` runs the checks of :mod:`omniloss.testing` on every installed backend, in float64 and
float32: with no target, on every implemented loss with the example inputs of
:mod:`omniloss._check`; with targets (``my_pkg.losses`` or ``my_pkg.losses:my_loss``), on the
functions there that declare cases with :func:`omniloss.testing.parity_cases`. It prints a table
(function by backend: the larger of the float64 and float32 relative errors against NumPy
float64), then every failed check, and exits with status 1 on any.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

from omniloss._catalogue import CATALOGUE, Entry, is_implemented
from omniloss.testing import (
    BACKENDS,
    CaseMaker,
    check_function,
    select_backends,
    selected_backends,
)


def _class_names(entry: Entry, quote: Callable[[str], str]) -> tuple[str, str]:
    """The generated classes of a loss: its ``nn.Module``, its keras ``Loss`` names."""
    if entry.classes is None:
        return "-", "-"
    keras = (entry.classes.torch, *entry.classes.keras)
    return quote(entry.classes.torch), ", ".join(map(quote, keras))


def list_catalogue(markdown: bool = False) -> int:
    quote = (lambda name: f"`{name}`") if markdown else (lambda name: name)
    rows = [(quote(e.name), e.family, e.peer, "yes" if is_implemented(e.name) else "no",
             *_class_names(e, quote)) for e in CATALOGUE]
    _print_table(("function", "family", "defined by", "implemented", "omniloss.torch",
                  "omniloss.keras"), rows, markdown=markdown)
    done = sum(row[3] == "yes" for row in rows)
    print(f"\n{done} of {len(rows)} implemented")
    return 0


Checked = tuple[str, Callable[..., Any], CaseMaker | None]  # name, function, its cases


def catalogue_functions(names: Sequence[str] | None) -> list[Checked]:
    """The implemented catalogue functions (those in ``names``), each with its example cases."""
    import omniloss
    from omniloss._check import all_cases

    makers = all_cases()
    return [(e.name, getattr(omniloss, e.name), makers.get(e.name)) for e in CATALOGUE
            if is_implemented(e.name) and (names is None or e.name in names)]


def declared_functions(target: str) -> list[Checked]:
    """The functions of ``target`` (``module`` or ``module:function``) that declare cases with
    :func:`omniloss.testing.parity_cases`; a named function must declare them."""
    module_name, _, function_name = target.partition(":")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())  # as ``python -m``: the user's package from here
    module = importlib.import_module(module_name)
    if function_name:
        function = getattr(module, function_name)
        return [(f"{module_name}:{function_name}", function, None)]
    found: list[Checked] = [(f"{module_name}:{name}", value, None)
                            for name, value in vars(module).items()
                            if callable(value) and hasattr(value, "__omniloss_parity__")]
    if not found:
        raise ValueError(f"{module_name} has no function that declares cases with "
                         "omniloss.testing.parity_cases")
    return found


def check(backends: Sequence[str], functions: Sequence[Checked], **options: Any) -> int:
    """Run the kit's checks on ``functions`` (name, function, cases or ``None`` for the
    declared ones), print the table and every failed check; 1 if any failed."""
    rows, problems = [], []
    for index, (name, function, make) in enumerate(functions, 1):
        print(f"[{index}/{len(functions)}] {name}", file=sys.stderr, flush=True)
        try:
            results = check_function(function, backends, make=make, **options)
        except Exception as error:  # no cases, cases that cannot be built, a result unreadable
            problems.append(f"{name}: {type(error).__name__}: {error}")
            rows.append((name, *["FAIL (raised)"] * len(backends)))
            continue
        cells = []
        for backend in backends:
            outcomes = [(case, o) for case, o in results if o.backend == backend]
            failed = [(case, p) for case, o in outcomes for p in o.problems]
            problems += [f"{' '.join(filter(None, (name, case.label)))}: {p}"
                         for case, p in failed]
            worst = {dtype: max((o.error for _, o in outcomes if o.dtype == dtype), default=0.0)
                     for dtype in ("float64", "float32")}
            cells.append(f"FAIL ({failed[0][1].check})" if failed else
                         f"{worst['float64']:.0e} / {worst['float32']:.0e} ok")
        rows.append((name, *cells))
    _print_table(("function", *backends), rows)
    print(f"\n{len(functions)} functions x {len(backends)} backends; "
          f"{'all match' if not problems else f'{len(problems)} failed checks'} "
          "(cells: worst float64 / float32 error relative to the NumPy float64 result)")
    for problem in problems:
        print(f"  {problem}")
    return 1 if problems else 0


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
        "check", help="check losses on every installed backend against NumPy float64")
    check_parser.add_argument(
        "targets", nargs="*", metavar="MODULE[:FUNCTION]",
        help="your functions that declare cases with omniloss.testing.parity_cases "
             "(default: every implemented omniloss loss)")
    check_parser.add_argument("--backends", help="comma-separated subset of " + ", ".join(BACKENDS)
                              + " (default: $OMNILOSS_BACKENDS, else every installed one)")
    check_parser.add_argument("--only", help="comma-separated omniloss function names to check")
    for flag, what in (("grads", "gradients against central differences of the reference"),
                       ("trace", "jax.jit and tf.function against eager")):
        check_parser.add_argument(
            f"--{flag}", action=argparse.BooleanOptionalAction, default=None,
            help=f"check {what} (default: as declared for targets; off for omniloss's own "
                 "losses, whose gradients and tracing the test suite checks against the peers)")
    args = parser.parse_args(argv)
    if args.command == "list":
        return list_catalogue(markdown=args.markdown)
    try:
        backends = (select_backends(args.backends, source="--backends") if args.backends
                    else selected_backends())
        if args.targets:
            functions = [f for target in args.targets for f in declared_functions(target)]
            options = {}
        else:
            only = [n.strip() for n in args.only.split(",")] if args.only else None
            functions = catalogue_functions(only)
            options = {"grads": False, "trace": False}
    except (ImportError, AttributeError, ValueError) as error:
        parser.error(str(error))
    options.update({flag: value for flag in ("grads", "trace")
                    if (value := getattr(args, flag)) is not None})
    print(f"checking on: {', '.join(backends)}", file=sys.stderr)
    return check(backends, functions, **options)


if __name__ == "__main__":
    sys.exit(main())
