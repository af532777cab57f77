"""omniloss.testing: prove in CI that a loss gives the same numbers on every framework.

Write a loss once against the Array API (``xp = omniloss.get_namespace(*arrays)``), then check it
from NumPy inputs on every installed backend::

    import numpy as np
    from omniloss.testing import assert_parity

    def test_my_loss():
        rng = np.random.default_rng(0)
        assert_parity(my_loss, rng.normal(size=(8, 3)), rng.normal(size=(8, 3)), gamma=2.0)

:func:`assert_parity` runs the loss on NumPy, array-api-strict, PyTorch, JAX, TensorFlow and Dask
(those installed, or those named by ``OMNILOSS_BACKENDS`` or pytest's ``--omniloss-backends``), in
float64 and float32, and checks the value, the result's library, dtype and device, the gradients,
tracing under ``jax.jit`` and ``tf.function``, and that no input changed. Installed with omniloss,
the pytest plugin (module ``pytest_omniloss``) adds the ``xp`` and ``omniloss_backend``
fixtures; :mod:`omniloss.testing.strategies` holds hypothesis strategies for loss inputs. The
cases declared with :func:`parity_cases` run from the command line:
``omniloss check my_pkg.losses``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np

from omniloss.testing._backends import BACKENDS, Backend, installed_backends, select_backends
from omniloss.testing._parity import (
    Outcome,
    Peer,
    Problem,
    Reference,
    difference,
    peer,
    run_checks,
    same_dtype_tolerance,
)

__all__ = ["BACKENDS", "Backend", "Case", "CaseMaker", "Outcome", "Peer", "Problem", "assert_close",
           "assert_parity", "check_function", "installed_backends", "parity_cases", "peer",
           "select_backends", "selected_backends", "to_numpy"]

F = TypeVar("F", bound=Callable[..., Any])
DTYPES = ("float64", "float32")

_selection: list[str] | None = None  # set by pytest_omniloss from --omniloss-backends


def selected_backends() -> list[str]:
    """The backends the checks run on: pytest's ``--omniloss-backends``, else the comma-separated
    ``OMNILOSS_BACKENDS`` variable, else every installed one. A name that is unknown or not
    installed is a ``ValueError``."""
    if _selection is not None:
        return list(_selection)
    return select_backends(os.environ.get("OMNILOSS_BACKENDS", ""), source="OMNILOSS_BACKENDS")


def assert_parity(fn: Callable[..., Any], *args: Any, reference: Reference | None = None,
                  grads: bool | Sequence[int | str] = True, trace: bool = True,
                  rtol: float | None = None, atol: float | None = None,
                  backends: Sequence[str] | None = None,
                  dtypes: Sequence[str] | None = DTYPES, torch_compile: bool | str = False,
                  **kwargs: Any) -> None:
    """Check that ``fn(*args, **kwargs)`` gives the reference's numbers on every backend.

    ``args`` and ``kwargs`` hold NumPy arrays (converted to each backend; also inside lists,
    tuples and dicts) and other Python values (passed as they are). On each backend and in each of
    ``dtypes`` (the floating arrays cast to it; ``None`` keeps the inputs' dtypes), it checks:

    - the call succeeds and returns an array of the inputs' library, with their floating dtype, on
      their device;
    - the value equals the reference: ``fn`` itself on the float64 NumPy inputs (so the backends
      agree with NumPy), or ``reference``: a callable run on the float64 NumPy inputs; a
      :func:`peer` (a framework's function, run in the dtype under test on its own backend); or a
      dict of callables by backend name, each run on that backend's arrays (the others use
      ``reference["numpy"]`` if given, else ``fn``);
    - on backends with autodiff (torch, JAX, TensorFlow), the gradient of ``sum(fn(...))`` with
      respect to each floating array argument (``grads=True``), or those named by position or
      keyword (``grads=(0, "var")``), equals the reference's: its autodiff for a peer, else
      central differences of its float64 value (held to 1e-6 of the gradient's largest element
      in float64, 1e-3 in float32);
    - ``jax.jit`` and ``tf.function`` (``trace=True``) give the eager value, and so does
      ``torch.compile(fullgraph=True)`` when ``torch_compile`` is true (``aot_eager``, or the
      compiler named: ``torch_compile="inductor"``);
    - no input holds other values after the call.

    Tolerances (``|a - r| <= atol + rtol * |r|``) default by dtype: against float64 NumPy,
    1e-9 in float64 and 1e-4 in float32; against a peer in the same dtype, 1e-10 and 1e-5.

    Raises ``AssertionError`` listing every failed check with its backend, dtype, the worst error
    and the first differing element. Turns on ``jax_enable_x64`` when JAX is checked (float64
    inputs would silently become float32).

    Example::

        >>> import numpy as np
        >>> import omniloss
        >>> from omniloss.testing import assert_parity
        >>> def mse(a, b):
        ...     xp = omniloss.get_namespace(a, b)
        ...     return xp.mean((a - b) ** 2)
        >>> x = np.arange(6.0).reshape(2, 3)
        >>> assert_parity(mse, x, x + 0.5, backends=["numpy"])
    """
    outcomes = run_checks(fn, args, kwargs, backends=_backends(backends), dtypes=dtypes,
                          reference=reference, grads=grads, trace=trace,
                          torch_compile=torch_compile, rtol=rtol, atol=atol)
    problems = [problem for outcome in outcomes for problem in outcome.problems]
    if problems:
        raise AssertionError(f"{_name(fn)}: {len(problems)} failed checks\n"
                             + "\n".join(f"  {problem}" for problem in problems))


def _backends(backends: Sequence[str] | None) -> list[str]:
    if backends is None:
        return selected_backends()
    return select_backends(backends, source="assert_parity(backends=...)")


def _name(fn: Callable[..., Any]) -> str:
    return str(getattr(fn, "__qualname__", None) or fn)


def to_numpy(x: Any) -> np.ndarray:
    """A NumPy copy of an array of any supported library (read by its backend: torch tensors
    detached, Dask arrays computed, TensorFlow tensors read), or of a Python number."""
    for backend in BACKENDS.values():
        if backend.is_native(x):
            return backend.to_numpy(x)
    return np.asarray(x)


def assert_close(actual: Any, desired: Any, *, rtol: float | None = None,
                 atol: float | None = None, err_msg: str = "") -> None:
    """``|actual - desired| <= atol + rtol * |desired|`` elementwise, for arrays of any supported
    library (or Python numbers), equal NaNs and infinities agreeing; the shapes must match.

    Tolerances default by ``actual``'s dtype: float64 1e-10 relative (1e-12 absolute), float32
    1e-5 (1e-6), half precisions 2e-2. The ``AssertionError`` says how many elements differ, the
    worst error and the first differing element.
    """
    actual_np, desired_np = to_numpy(actual), to_numpy(desired)
    default = same_dtype_tolerance(str(actual_np.dtype))
    detail = difference(actual_np, desired_np, rtol=default[0] if rtol is None else rtol,
                        atol=default[1] if atol is None else atol)
    if detail:
        raise AssertionError(f"{err_msg}: {detail}" if err_msg else detail)


@dataclass(frozen=True)
class Case:
    """The arguments of one call, ``fn(*args, **kwargs)``: NumPy arrays (floating ones in float64:
    the checks cast them) and Python values; ``label`` names the case in reports."""

    args: tuple[Any, ...]
    kwargs: dict[str, Any] = field(default_factory=dict)
    label: str = ""


CaseMaker = Callable[[np.random.Generator], Sequence[Case]]


@dataclass(frozen=True)
class ParityCases:
    """What :func:`parity_cases` attaches to a function: its cases and the checks' options."""

    make: CaseMaker
    options: dict[str, Any]


def parity_cases(make: CaseMaker, *, reference: Reference | None = None,
                 grads: bool | Sequence[int | str] = True, trace: bool = True,
                 rtol: float | None = None, atol: float | None = None,
                 torch_compile: bool | str = False) -> Callable[[F], F]:
    """Declare the cases ``omniloss check module[:function]`` runs a function on.

    ``make(rng)`` returns the :class:`Case` list (``rng`` is ``np.random.default_rng(0)``); the
    other arguments are :func:`assert_parity`'s. The function itself is returned unchanged (the
    cases ride on it as ``__omniloss_parity__``), so declaring costs nothing at call time::

        @parity_cases(lambda rng: [Case((rng.uniform(size=(4, 9)), rng.uniform(size=(4, 9))))])
        def my_loss(probs, target): ...
    """
    declared = ParityCases(make, {"reference": reference, "grads": grads, "trace": trace,
                                  "rtol": rtol, "atol": atol, "torch_compile": torch_compile})

    def attach(fn: F) -> F:
        fn.__omniloss_parity__ = declared  # type: ignore[attr-defined]
        return fn

    return attach


def check_function(fn: Callable[..., Any], backends: Sequence[str], *,
                   make: CaseMaker | None = None, dtypes: Sequence[str] = DTYPES,
                   **overrides: Any) -> list[tuple[Case, Outcome]]:
    """Run the cases declared on ``fn`` with :func:`parity_cases` (or those ``make`` returns) on
    ``backends``: each case's outcome per backend and dtype (what ``omniloss check`` tabulates).
    ``overrides`` replace the declared options."""
    declared: ParityCases | None = getattr(fn, "__omniloss_parity__", None)
    if declared is None and make is None:
        raise ValueError(f"{_name(fn)} declares no cases: decorate it with "
                         "omniloss.testing.parity_cases(...)")
    options = {**(declared.options if declared else {}), **overrides}
    make = make or declared.make  # type: ignore[union-attr]
    results = []
    for case in make(np.random.default_rng(0)):
        for outcome in run_checks(fn, case.args, case.kwargs, backends=backends, dtypes=dtypes,
                                  **options):
            results.append((case, outcome))
    return results
