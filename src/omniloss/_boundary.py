"""The boundary of every public function: it reads the arrays the caller holds.

:func:`reads_arrays` decorates each public function (outermost). At decoration time it reads
the function's parameter annotations to know which parameters hold arrays; at call time, for
those parameters only (positional or keyword):

- a variable is read (:func:`omniloss._dispatch.variable_reader`): a ``tf.Variable`` (any
  subclass) becomes a tensor whose read the ``GradientTape`` records, a ``keras.Variable`` (any
  keras backend) its value; a torch ``nn.Parameter`` is a tensor and stays as it is;
- ``None`` where an array is required, or a list, tuple, string, dict or any other object where
  an array is expected, raises a ``TypeError`` naming the function and the argument, before any
  framework code runs;
- lists and tuples are read item by item where the annotation says ``Sequence[...]``;
- Python numbers pass unchanged: each function's own checks say where a number may stand for an
  array (``target=0.5``).

An argument whose type was already seen to be an array costs one set lookup.

The annotations read (strings, under ``from __future__ import annotations``): ``Array``,
``Array | None``, ``Array | float``, ``float | Array | None``, ``Array | Sequence[int]``,
``Sequence[Array]``, ``Sequence[tuple[Array, Array]]``. Any other annotation naming ``Array`` is
an error at import time, so the boundary and the signatures cannot drift apart.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, NamedTuple, TypeVar

from omniloss._dispatch import _PYTHON_SCALAR_TYPES, is_array, variable_reader

__all__ = ["reads_arrays"]

Function = TypeVar("Function", bound=Callable[..., Any])

_ARRAY = "an array (NumPy, PyTorch, JAX, TensorFlow, ...)"

_ARRAY_TYPES: set[type] = set()
"""The types seen to be arrays (not variables): the fast path's set."""


class _Holds(NamedTuple):
    """What one parameter holds."""

    optional: bool = False
    """``None`` is accepted."""
    integers: bool = False
    """A list or tuple of ints is accepted as it is (``ctc_loss`` lengths)."""
    items: _Holds | None = None
    """A list or tuple whose items hold this (``Sequence[...]``), instead of an array."""

    def expected(self) -> str:
        """What the error message says was expected."""
        if self.items is not None:
            return f"a list or tuple of {'(array, array) pairs' if self.items.items else 'arrays'}"
        return _ARRAY + (" or None" if self.optional else "") + (
            " or a sequence of ints" if self.integers else "")


_ONE_ARRAY = _Holds()
_HOLDS_BY_ANNOTATION = {
    "Array": _ONE_ARRAY,
    "Array | float": _ONE_ARRAY,
    "Array | None": _Holds(optional=True),
    "float | Array | None": _Holds(optional=True),
    "Array | Sequence[int]": _Holds(integers=True),
    "Sequence[Array]": _Holds(items=_ONE_ARRAY),
    "Sequence[tuple[Array, Array]]": _Holds(items=_Holds(items=_ONE_ARRAY)),
}


def _holds(function: Callable[..., Any], parameter: inspect.Parameter) -> _Holds | None:
    annotation = parameter.annotation
    if not isinstance(annotation, str) or "Array" not in annotation:
        return None
    holds = _HOLDS_BY_ANNOTATION.get(annotation)
    if holds is None:
        raise AssertionError(f"{function.__name__}: the boundary does not know the annotation "
                             f"{annotation!r} of {parameter.name}")
    return holds


def _given(value: Any) -> str:
    if value is None:
        return "None"
    if isinstance(value, (str, list, tuple, dict)):
        text = repr(value)
        return f"the {type(value).__name__} {text if len(text) <= 40 else text[:37] + '...'}"
    kind = type(value)
    return f"an object of type {kind.__module__}.{kind.__qualname__}"


def _read(name: str, argument: str, holds: _Holds, value: Any) -> Any:
    """``value`` with its variables read; ``TypeError`` unless it holds what ``holds`` says."""
    kind = type(value)
    if holds.items is not None:
        if kind in (list, tuple):
            return kind(_read(name, f"{argument}[{i}]", holds.items, item)
                        for i, item in enumerate(value))
    elif kind in _ARRAY_TYPES or kind in _PYTHON_SCALAR_TYPES:
        return value
    elif value is None:
        if holds.optional:
            return value
    elif kind in (list, tuple):
        if holds.integers:
            return value
    else:
        reader = variable_reader(kind)
        if reader is not None:
            return reader(value)
        if is_array(value):
            _ARRAY_TYPES.add(kind)
            return value
    raise TypeError(f"{name}: {argument} must be {holds.expected()}; got {_given(value)}")


def reads_arrays(function: Function) -> Function:
    """Read the arrays ``function``'s caller holds (see the module's docstring).

    The fast path: every array argument given positionally before the first other parameter
    (``input``, ``target``, ...) and every keyword array argument of a type already seen to be
    an array (or ``None`` where ``None`` is accepted) costs one set lookup each; anything else
    goes through :func:`_read`.
    """
    name = function.__name__
    parameters = inspect.signature(function).parameters.values()
    positional = [(p.name, _holds(function, p)) for p in parameters
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    by_keyword = {p.name: holds for p in parameters if (holds := _holds(function, p)) is not None}
    leading = next((i for i, (_, holds) in enumerate(positional) if holds is None
                    or holds.items is not None), len(positional))
    optional = {key for key, holds in by_keyword.items() if holds.optional}
    array_types = _ARRAY_TYPES

    def read_all(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        read = [value if holds is None else _read(name, argument, holds, value)
                for (argument, holds), value in zip(positional, args, strict=False)]
        read += args[len(positional):]  # too many: Python's own TypeError follows
        kwargs = {key: value if key not in by_keyword else _read(name, key, by_keyword[key], value)
                  for key, value in kwargs.items()}
        return function(*read, **kwargs)

    @functools.wraps(function)
    def call(*args: Any, **kwargs: Any) -> Any:
        if len(args) > leading:
            return read_all(args, kwargs)
        for value in args:
            if type(value) not in array_types:
                return read_all(args, kwargs)
        if kwargs:
            for key, value in kwargs.items():
                if type(value) not in array_types and key in by_keyword and (
                        value is not None or key not in optional):  # weight=None is common
                    return read_all(args, kwargs)
        return function(*args, **kwargs)

    # TensorFlow's AutoGraph calls a function carrying this attribute as it is, unconverted (its
    # `is_autograph_artifact`). Our code has no Python control flow on tensor values, so there
    # is nothing to convert, and converting it cost 10 s of tracing for cross_entropy under
    # `tf.function` (0.03 s unconverted).
    call.autograph_info__ = None  # type: ignore[attr-defined]
    return call  # type: ignore[return-value]
