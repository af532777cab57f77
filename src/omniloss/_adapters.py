"""What the framework classes (:mod:`omniloss.torch`, :mod:`omniloss.keras`) are generated from:
one :class:`Spec` per loss, read off the catalogue's :class:`~omniloss._catalogue.Classes` and
the function's signature. No framework is imported here.

A loss's parameters split three ways:

- **call arrays**: the positional parameters that hold arrays (``input``, ``target``,
  ``ctc_loss``'s lengths): ``forward``'s arguments in torch, ``y_true``/``y_pred`` in keras;
- **options**: every keyword-only parameter but ``sample_weight`` and ``where``, and any
  positional parameter that holds no array (``adaptive_log_softmax_loss``'s ``cutoffs``): the
  constructor's arguments, with the function's defaults;
- ``sample_weight`` and ``where``: given with each call.

Options whose annotation admits an array (class ``weight``, ``pos_weight``, ``linear_bias``) are
held as the framework's tensors: torch buffers, keras tensors.
"""

from __future__ import annotations

import difflib
import inspect
import textwrap
from collections.abc import Callable, Iterable, Iterator
from typing import Any, NamedTuple

from omniloss._catalogue import CATALOGUE, TRUTH, Entry

REQUIRED = inspect.Parameter.empty
"""The default of an option the constructor requires (``cutoffs``)."""

_CALL_ONLY = ("sample_weight", "where")


class Spec(NamedTuple):
    """One loss's classes: what they call and how they split its parameters."""

    entry: Entry
    function: Callable[..., Any]
    arrays: tuple[str, ...]
    """The call arrays, in the function's order."""
    options: dict[str, Any]
    """Every option and its default (:data:`REQUIRED` where there is none)."""
    array_options: frozenset[str]
    """The options that may hold an array."""
    y_true: tuple[str, ...]
    """The call arrays a keras ``Loss`` reads from ``y_true``; the others are ``y_pred``."""

    @property
    def y_pred(self) -> tuple[str, ...]:
        return tuple(name for name in self.arrays if name not in self.y_true)

    def bind(self, owner: str, given: dict[str, Any],
             defaults: dict[str, Any] | None = None) -> dict[str, Any]:
        """Every option's value: ``given`` over ``defaults`` over the function's defaults.

        ``TypeError`` naming ``owner`` (the class) for an option the function does not take or
        a required one not given; values are checked by the function at each call.
        """
        unknown = sorted(set(given) - set(self.options))
        if unknown:
            raise TypeError(f"{owner}: unknown option {unknown[0]!r}"
                            f"{closest(unknown[0], self.options)} (it takes "
                            f"{', '.join(self.options) or 'no options'})")
        values = {**self.options, **(defaults or {}), **given}
        missing = [name for name, value in values.items() if value is REQUIRED]
        if missing:
            raise TypeError(f"{owner}: the option {missing[0]!r} is required")
        return values

    def doc(self, owner: str, call: str, framework: str) -> str:
        """The generated class's docstring: what it computes, how it is called, where its
        options and formula are documented."""
        summary = (self.function.__doc__ or "").strip().splitlines()[0]
        options = ", ".join(f"{name}={'...' if value is REQUIRED else repr(value)}"
                            for name, value in self.options.items())
        text = (f"{framework} class of :func:`omniloss.{self.entry.name}`: ``{owner}({options})`` "
                f"then ``{call}``. Its options, formula and reference are the function's "
                f"(``help(omniloss.{self.entry.name})``).")
        return f"{summary}\n\n{textwrap.fill(text, width=96, break_on_hyphens=False)}\n"


def closest(name: str, names: Iterable[str]) -> str:
    """``"; did you mean 'x'?"`` for the name of ``names`` closest to a mistyped ``name``, or
    ``""``: the hint of every error on a mistyped class or option name."""
    close = difflib.get_close_matches(name, list(names), n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


def no_attribute(module: str, name: str, names: Iterable[str]) -> AttributeError:
    """The error of a generated module's ``__getattr__`` for a name it lacks."""
    return AttributeError(f"module {module!r} has no attribute {name!r}{closest(name, names)}")


def _holds_array(annotation: Any) -> bool:
    return "Array" in str(annotation)


def spec(entry: Entry) -> Spec:
    """The :class:`Spec` of a catalogue entry that has classes."""
    import omniloss

    if entry.classes is None:
        raise ValueError(f"{entry.name} has no classes")
    function = getattr(omniloss, entry.name)
    parameters = inspect.signature(function).parameters.values()
    arrays = tuple(p.name for p in parameters
                   if p.kind is not p.KEYWORD_ONLY and _holds_array(p.annotation))
    options = {p.name: p.default for p in parameters
               if p.name not in arrays and p.name not in _CALL_ONLY}
    array_options = frozenset(p.name for p in parameters
                              if p.name in options and _holds_array(p.annotation))
    y_true = entry.classes.keras_true
    if y_true is None:
        y_true = tuple(name for name in arrays if name in TRUTH)
    return Spec(entry, function, arrays, options, array_options, y_true)


def specs() -> Iterator[Spec]:
    """The :class:`Spec` of every loss in the catalogue (the activations have none)."""
    return (spec(entry) for entry in CATALOGUE if entry.classes is not None)
