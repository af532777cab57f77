"""Every docstring example of the package runs, in the session of the library it imports.

As written (the stdlib doctest runner, exact text), each example runs in the session of the
library it imports: ``array_api_strict`` (the public functions' examples), ``numpy``, ``torch``,
and keras in the session of the backend keras runs on (``KERAS_BACKEND``, which conftest.py sets
to ``tensorflow``). A backend-neutral example (it imports only ``array_api_strict as xp`` and
``omniloss as ol`` and names nothing else but builtins and its own variables) also runs in every
other session with ``xp`` bound to that session's namespace (what the ``xp`` fixture gives): each
value it shows must be an array of that library with the shape, dtype kind and values of the same
example run on array-api-strict, to ``assert_close``'s tolerance for the result's dtype (float64
1e-10, float32 1e-5 relative). That reference is computed, not parsed from the expected text: a
repr shows 8 significant digits, too few for float64; the strict session checks the text.

Importing ``omniloss.torch`` or ``omniloss.keras`` imports its framework, so each is searched only
in that framework's session (which imports the framework anyway); the other modules are searched
when their source holds an example.
"""

from __future__ import annotations

import ast
import builtins
import doctest
import importlib
import io
import os
from pathlib import Path
from types import ModuleType
from typing import Any

import array_api_strict
import pytest

import omniloss
from omniloss.testing import BACKENDS, assert_close, selected_backends, to_numpy

STRICT = "array_api_strict"
KERAS_SESSION = os.environ.get("KERAS_BACKEND", "tensorflow")  # conftest.py sets the default
# The modules whose import imports a framework, and that framework's session.
FRAMEWORK_MODULES = {"omniloss.torch": "torch", "omniloss.keras": KERAS_SESSION}
# The session an example runs in as written, by the longest prefix of a module it imports.
SESSION_OF_IMPORT = {STRICT: STRICT, "numpy": "numpy", "torch": "torch", "keras": KERAS_SESSION,
                     "omniloss": None, **FRAMEWORK_MODULES}
NEUTRAL_IMPORTS = {f"import {STRICT} as xp", "import omniloss as ol"}
# The docstrings with examples in each module when this was written: one lost (a docstring
# rewritten without its example, a module no longer searched) fails test_no_example_is_lost.
FOUND_AT_LEAST = {"omniloss.activations": 16, "omniloss.classification": 21,
                  "omniloss.embedding": 9, "omniloss.gan": 4, "omniloss.margin": 12,
                  "omniloss.regression": 13, "omniloss.segmentation": 14, "omniloss.sequence": 2,
                  "omniloss.structured": 2, "omniloss._dispatch": 1, "omniloss.testing": 1,
                  "omniloss.torch": 1, "omniloss.keras": 1}
NEUTRAL_AT_LEAST = 93
# Sessions where each example runs traced, as one function: eager JAX compiles each operation
# once per shape and dtype (this file's JAX run: 60 s of CPU eagerly, 17 s so; 2-core machine).
TRACED_SESSIONS = {"jax"}


def _searched_here(module: str) -> bool:
    """Whether ``module`` is searched in this run: a framework module only in its session."""
    return module not in FRAMEWORK_MODULES or FRAMEWORK_MODULES[module] in SESSIONS


def _searched_modules() -> list[str]:
    """The package's modules searched here, of those whose source holds an example."""
    root = Path(omniloss.__file__).parent
    names = [".".join(("omniloss", *path.relative_to(root).with_suffix("").parts))
             .removesuffix(".__init__") for path in sorted(root.rglob("*.py"))
             if ">>>" in path.read_text(encoding="utf-8")]
    return [name for name in names if _searched_here(name)]


def _imports(test: doctest.DocTest) -> list[tuple[str, str]]:
    """``(module, statement)`` for each import in the example."""
    found = []
    for example in test.examples:
        for node in ast.walk(ast.parse(example.source)):
            if isinstance(node, ast.Import):
                found += [(alias.name, ast.unparse(node)) for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                found.append((node.module or "", ast.unparse(node)))
    return found


def _session(test: doctest.DocTest) -> str:
    """The session of the library the example imports (a framework over NumPy)."""
    sessions = set()
    for module, _ in _imports(test):
        prefixes = [p for p in SESSION_OF_IMPORT if module == p or module.startswith(p + ".")]
        if not prefixes:
            raise ValueError(f"{test.name}: the example imports {module}, which no session of "
                             f"this test is for (SESSION_OF_IMPORT)")
        sessions.add(SESSION_OF_IMPORT[max(prefixes, key=len)])
    sessions.discard(None)
    if len(sessions - {"numpy"}) > 1 or not sessions:
        raise ValueError(f"{test.name}: the example imports {sorted(sessions)}: one library")
    return (sessions - {"numpy"} or sessions).pop()


def _is_neutral(test: doctest.DocTest) -> bool:
    """Whether the example imports only ``array_api_strict as xp`` and ``omniloss as ol``, names
    nothing else but builtins and its own variables, and shows values of expressions only."""
    trees = [ast.parse(example.source) for example in test.examples]
    nodes = [node for tree in trees for node in ast.walk(tree)]
    assigned = {node.id for node in nodes
                if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)}
    known = {"xp", "ol", *assigned, *dir(builtins)}
    return ({statement for _, statement in _imports(test)} == NEUTRAL_IMPORTS
            and all(node.id in known for node in nodes if isinstance(node, ast.Name))
            and all(example.exc_msg is None for example in test.examples)
            and all(not example.want or _shown_expression(tree) is not None
                    for example, tree in zip(test.examples, trees, strict=True)))


def _shown_expression(tree: ast.Module) -> ast.Expression | None:
    """The expression whose value an example shows, if the example is one expression."""
    if len(tree.body) == 1 and isinstance(tree.body[0], ast.Expr):
        return ast.Expression(tree.body[0].value)
    return None


def _find() -> dict[str, list[doctest.DocTest]]:
    """The examples of each module searched here (its docstrings' and those of everything it
    defines or generates, as ``doctest`` finds them)."""
    finder = doctest.DocTestFinder()
    return {name: [test for test in finder.find(importlib.import_module(name)) if test.examples]
            for name in _searched_modules()}


SESSIONS = selected_backends()
FOUND = _find()
EXAMPLES = [test for tests in FOUND.values() for test in tests]
NEUTRAL = [test for test in EXAMPLES if _session(test) == STRICT and _is_neutral(test)]
CASES = [pytest.param(session, test, id=f"{session}-{test.name}")
         for session in SESSIONS for test in EXAMPLES if _session(test) == session]
CASES += [pytest.param(session, test, id=f"{session}-{test.name}")
          for session in SESSIONS if session != STRICT for test in NEUTRAL]


def test_no_example_is_lost() -> None:
    short = {module: len(FOUND.get(module, [])) for module, least in FOUND_AT_LEAST.items()
             if _searched_here(module) and len(FOUND.get(module, [])) < least}
    assert not short, f"docstrings with examples found {short}, expected {FOUND_AT_LEAST}"
    assert len(NEUTRAL) >= NEUTRAL_AT_LEAST, \
        f"{len(NEUTRAL)} backend-neutral examples, expected at least {NEUTRAL_AT_LEAST}"


@pytest.mark.parametrize(("session", "test"), CASES)
def test_example(session: str, test: doctest.DocTest) -> None:
    if _session(test) == session:
        _run_as_written(test)
    else:
        _run_on(test, session)


def _run_as_written(test: doctest.DocTest) -> None:
    """The stdlib doctest runner on a fresh copy of the example: the shown text must match."""
    fresh = doctest.DocTest(test.examples, dict(test.globs), test.name, test.filename,
                            test.lineno, test.docstring)
    report = io.StringIO()
    result = doctest.DocTestRunner(verbose=False).run(fresh, out=report.write)
    assert result.failed == 0, report.getvalue()


def _shown_values(test: doctest.DocTest, xp: ModuleType) -> list[Any]:
    """The values the example shows, run with ``xp`` bound to the namespace given."""
    namespace: dict[str, Any] = {"xp": xp}
    shown = []
    for example in test.examples:
        if example.source.strip() == f"import {STRICT} as xp":
            continue
        tree = ast.parse(example.source)
        expression = _shown_expression(tree) if example.want else None
        if expression is None:
            exec(compile(tree, test.name, "exec"), namespace)
        else:
            shown.append(eval(compile(expression, test.name, "eval"), namespace))
    return shown


def _run_on(test: doctest.DocTest, session: str) -> None:
    backend = BACKENDS[session]
    expected = _shown_values(test, array_api_strict)
    namespace = backend.namespace()
    if session in TRACED_SESSIONS:
        actual = backend.jit(lambda: _shown_values(test, namespace))()
    else:
        actual = _shown_values(test, namespace)
    for index, (value, reference) in enumerate(zip(actual, expected, strict=True)):
        where = f"{test.name}, shown value {index + 1}"
        assert backend.is_native(value), f"{where}: a {type(value)}, not a {session} array"
        value_np, reference_np = to_numpy(value), to_numpy(reference)
        assert value_np.dtype.kind == reference_np.dtype.kind, \
            f"{where}: dtype {value_np.dtype}, array-api-strict's {reference_np.dtype}"
        assert_close(value_np, reference_np, err_msg=where)
