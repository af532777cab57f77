"""The bad-input matrix: every public function called with each common mistake, on each backend.

Each function's example case (``omniloss._check``) is spoiled one argument at a time, with the
mistakes users make: ``None``, a Python list or string for an array, a wrong rank, a wrong dtype,
a batch that does not match, an out-of-range class id or length, and each option given NaN, a
wrong type or an unknown value. Every call is sorted into one of four outcomes:

- ``clear``: ``TypeError`` or ``ValueError`` whose message starts with the function's name and
  names the spoiled argument (the error policy of README's "Errors" section);
- ``obscure``: any other exception, or one that does not name the function and the argument;
- ``nan``: no error, a result that is not all finite;
- ``value``: no error, an all-finite result: a silent wrong answer.

Out-of-range values (a class id, a length) cannot be checked under tracing, so for them a ``nan``
outcome keeps the policy too (never a finite number); everything else must be ``clear``.

``python -m tests.bad_inputs [backend ...]`` prints the counts per backend and the calls that are
not ``clear``; ``tests/test_bad_inputs.py`` asserts the policy.
"""

from __future__ import annotations

import inspect
import math
import sys
import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

import omniloss
from omniloss._check import all_cases
from tests.helpers import BACKENDS, Backend, available_backends

OUTCOMES = ("clear", "obscure", "nan", "value")

VALUE_MISTAKES = frozenset({"id_too_large", "id_negative"})
"""Mistakes in array values, which a traced or lazy call cannot see: NaN keeps the policy."""

SEEN_IN_VALUES = {
    **{(name, "targets", "rank_down"): "1-D targets are the concatenated format; it is wrong "
                                       "only through target_lengths' values"
       for name in ("ctc_loss", "ctc_forward_probabilities")},
    **{(name, "log_probs", "batch"): "a shorter time axis is wrong only through "
                                     "input_lengths' values"
       for name in ("ctc_loss", "ctc_forward_probabilities")},
}
"""Shape spoilings that only the values of another argument make wrong: treated as value
mistakes."""

SHAPE_MISTAKES = frozenset({"rank_up", "rank_down", "batch"})
"""Mistakes in a shape, which an error may name through the argument it disagrees with."""

VALID = {
    ("ntxent_loss", "labels", "id_too_large"): "labels are arbitrary integers",
    ("ntxent_loss", "labels", "id_negative"): "labels are arbitrary integers",
    ("circle_loss", "labels", "id_too_large"): "labels are arbitrary integers",
    ("circle_loss", "labels", "id_negative"): "labels are arbitrary integers",
    ("supervised_contrastive_loss", "labels", "id_too_large"): "labels are arbitrary integers",
    ("supervised_contrastive_loss", "labels", "id_negative"): "labels are arbitrary integers",
    ("multi_similarity_loss", "labels", "id_too_large"): "labels are arbitrary integers",
    ("multi_similarity_loss", "labels", "id_negative"): "labels are arbitrary integers",
    ("gaussian_nll_loss", "var", "rank_down"): "torch's homoscedastic var: one dimension fewer",
    ("linear_cross_entropy", "linear_weight", "batch"): "one class fewer",
    ("prelu", "x", "batch"): "any batch size",
    ("prelu", "weight", "rank_down"): "a 0-d weight is one slope shared by every channel",
    ("zero_one_loss", "input", "rank_down"): "scores of the target's shape are binary scores",
    **{("gan_discriminator_loss", argument, mistake): "real and fake batches are independent"
       for argument in ("real", "fake") for mistake in SHAPE_MISTAKES},
}
"""Spoilings that are valid calls, with the reason; they are not in the matrix."""


@dataclass(frozen=True)
class Call:
    """One spoiled call: ``function(*args, **kwargs)`` with ``argument`` spoiled by ``mistake``."""

    function: str
    argument: str
    mistake: str
    args: tuple[Any, ...]
    kwargs: dict[str, Any]

    @property
    def id(self) -> str:
        return f"{self.function}-{self.argument}-{self.mistake}"


UNMATCHED = 11
"""A length no axis of any example case has: an array of it broadcasts against nothing."""

WEIGHTING_MISTAKES: dict[str, dict[str, Any]] = {
    "sample_weight": {"string": "abc", "list": [1.0, 2.0],
                      "complex": np.ones(UNMATCHED, dtype=np.complex128),
                      "unbroadcastable": np.ones(UNMATCHED)},
    "where": {"string": "abc", "list": [True, False], "float_mask": np.ones(UNMATCHED),
              "unbroadcastable": np.ones(UNMATCHED, dtype=bool)},
}
"""The mistakes made with ``sample_weight`` and ``where`` (every loss takes both)."""


def _array_mistakes(array: np.ndarray, n_arrays: int, annotation: str,
                    required: bool) -> Iterator[tuple[str, Any]]:
    """The spoiled versions of one NumPy array argument."""
    if required:
        yield "none", None
    if "Sequence" not in annotation and array.ndim:
        yield "list", array.tolist()
    yield "string", "abc"
    yield "dict", {"value": array}
    if n_arrays > 1:  # a lone array of any shape is valid for the functions that take one
        yield "rank_up", np.stack([array, array])
        if array.ndim:
            yield "rank_down", array[..., 0]
        if array.ndim and array.shape[0] >= 2:
            yield "batch", array[:-1]
    if np.issubdtype(array.dtype, np.floating):
        yield "complex", array.astype(np.complex128)
    elif np.issubdtype(array.dtype, np.integer):
        yield "float_ids", array.astype(np.float64)
        yield "id_too_large", np.where(np.arange(array.size).reshape(array.shape) == 0,
                                       10**6, array)
        yield "id_negative", np.where(np.arange(array.size).reshape(array.shape) == 0, -2, array)


def _option_mistakes(argument: str, default: Any, annotation: str) -> Iterator[tuple[str, Any]]:
    """The spoiled versions of one option, from its default and annotation."""
    if isinstance(default, bool):
        yield "int_for_bool", 1
        yield "string", "yes"
    elif isinstance(default, str):
        yield "unknown", "bogus"
        yield "int_for_string", 3
    elif isinstance(default, int | float) or "float" in annotation or "int" in annotation:
        yield "nan", math.nan
        yield "string", "abc"
        if argument == "axis":
            yield "out_of_range", 99


def calls(function: str) -> list[Call]:
    """Every spoiled call of ``function`` (from the first case of its ``omniloss._check`` maker)."""
    case = all_cases()[function](np.random.default_rng(0))[0]
    fn = getattr(omniloss, function)
    parameters = inspect.signature(fn).parameters
    names = list(parameters)
    n_arrays = sum(isinstance(a, np.ndarray) for a in case.args)
    result = []
    for position, value in enumerate(case.args):
        argument = names[position]
        annotation = str(parameters[argument].annotation)
        if not isinstance(value, np.ndarray):
            mistakes: Iterator[tuple[str, Any]] = iter([("none", None), ("string", "abc")])
        else:
            mistakes = _array_mistakes(value, n_arrays, annotation, required=True)
        for mistake, spoiled in mistakes:
            if (function, argument, mistake) in VALID:
                continue
            args = (*case.args[:position], spoiled, *case.args[position + 1:])
            result.append(Call(function, argument, mistake, args, case.kwargs))
    for argument, parameter in parameters.items():
        if parameter.kind is not parameter.KEYWORD_ONLY and argument in names[:len(case.args)]:
            continue
        if argument in WEIGHTING_MISTAKES:
            for mistake, spoiled in WEIGHTING_MISTAKES[argument].items():
                result.append(Call(function, argument, mistake, case.args,
                                   {**case.kwargs, argument: spoiled}))
            continue
        annotation = str(parameter.annotation)
        value = case.kwargs.get(argument, parameter.default)
        if isinstance(value, np.ndarray):
            mistakes = _array_mistakes(value, n_arrays, annotation, required=False)
        elif "Array" in annotation and value is None:
            mistakes = iter([("string", "abc"), ("list", [1.0, 2.0])])
        else:
            mistakes = _option_mistakes(argument, value, annotation)
        for mistake, spoiled in mistakes:
            if (function, argument, mistake) in VALID:
                continue
            result.append(Call(function, argument, mistake, case.args,
                               {**case.kwargs, argument: spoiled}))
    return result


def _convert(backend: Backend, value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return backend.asarray(value)
    if isinstance(value, list) and value and not isinstance(value[0], int | float | list):
        return [_convert(backend, v) for v in value]
    if isinstance(value, tuple):
        return tuple(_convert(backend, v) for v in value)
    return value


def outcome(backend: Backend, call: Call) -> tuple[str, str]:
    """``(outcome, detail)`` of ``call`` on ``backend``."""
    fn: Callable[..., Any] = getattr(omniloss, call.function)
    args = [_convert(backend, a) for a in call.args]
    kwargs = {k: _convert(backend, v) for k, v in call.kwargs.items()}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = fn(*args, **kwargs)
            values = None if result is None else backend.to_numpy(result)
    except (TypeError, ValueError) as error:
        message = str(error)
        named_arguments = (inspect.signature(fn).parameters if call.mistake in SHAPE_MISTAKES
                           else (call.argument,))
        named = (message.startswith(f"{call.function}:")
                 and any(argument in message for argument in named_arguments))
        return ("clear" if named else "obscure"), f"{type(error).__name__}: {message[:160]}"
    except Exception as error:  # sorting every failure is the point
        return "obscure", f"{type(error).__name__}: {str(error)[:160]}"
    if values is None:
        return "value", "returned None"
    values = np.asarray(values)
    if not np.issubdtype(values.dtype, np.number) or np.all(np.isfinite(values)):
        return "value", f"returned {values.ravel()[:3]}"
    return "nan", "returned a non-finite result"


def keeps_policy(call: Call, result: str) -> bool:
    """Whether ``result`` is what the error policy asks for ``call``."""
    in_values = (call.mistake in VALUE_MISTAKES
                 or (call.function, call.argument, call.mistake) in SEEN_IN_VALUES)
    return result == "clear" or (result == "nan" and in_values)


def all_calls() -> list[Call]:
    """Every spoiled call of every public function."""
    return [call for name in omniloss.__all__ if name != "get_namespace" for call in calls(name)]


def main(backends: list[str]) -> None:
    spoiled = all_calls()
    print(f"{len(spoiled)} spoiled calls per backend")
    print("| backend | " + " | ".join(OUTCOMES) + " |")
    print("|---|" + "---|" * len(OUTCOMES))
    failures = []
    for name in backends:
        counts: Counter[str] = Counter()
        for call in spoiled:
            result, detail = outcome(BACKENDS[name], call)
            counts[result] += 1
            if not keeps_policy(call, result):
                failures.append(f"{name} {call.id}: {result}: {detail}")
        print(f"| {name} | " + " | ".join(str(counts[o]) for o in OUTCOMES) + " |")
    print("\n".join(failures), file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1:] or available_backends())
