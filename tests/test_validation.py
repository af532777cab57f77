"""The error policy, for every option of every public function (generated from the signatures).

README's table: a wrong type raises ``TypeError``, a wrong value ``ValueError``, and the message
names the function and the argument; flags take ``bool`` only; numeric options reject NaN and
``bool``; options may be NumPy scalars or 0-d arrays and never change the result dtype. Each
keyword option with a default is probed by the kind of its default (and its annotation), on the
first ``omniloss check`` case of the function.
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np
import pytest

import omniloss as ol
from omniloss._catalogue import CATALOGUE
from omniloss._check import all_cases
from tests.helpers import Backend, assert_raises_named

WEIGHTING = {"sample_weight", "where", "reduction"}
"""Checked by tests/test_weighting.py (``reduction`` by the string rule below, too)."""


def _options() -> list[tuple[str, str, Any, str]]:
    """``(function, option, default, annotation)`` of every keyword option with a default that
    is a Python bool, number or string."""
    found = []
    for entry in CATALOGUE:
        signature = inspect.signature(getattr(ol, entry.name))
        for parameter in signature.parameters.values():
            default = parameter.default
            if parameter.kind is not parameter.KEYWORD_ONLY or parameter.name in (
                    WEIGHTING - {"reduction"}):
                continue
            if isinstance(default, bool | int | float | str):
                found.append((entry.name, parameter.name, default, str(parameter.annotation)))
    return found


OPTIONS = _options()
IDS = [f"{name}-{option}" for name, option, _, _ in OPTIONS]


def _call(backend: Backend, name: str, **options: Any) -> Any:
    case = all_cases()[name](np.random.default_rng(0))[0]
    args = [_convert(backend, a) for a in case.args]
    kwargs = {k: _convert(backend, v) for k, v in case.kwargs.items()}
    return getattr(ol, name)(*args, **{**kwargs, **options})


def _convert(backend: Backend, value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return backend.asarray(value)
    if isinstance(value, list | tuple):
        return type(value)(_convert(backend, v) for v in value)
    return value


def _wrong_types(default: Any, annotation: str) -> list[Any]:
    if isinstance(default, bool):
        return [1, 0.0, "yes", None]
    if isinstance(default, str):
        return [1, True, None]
    wrong: list[Any] = ["1", True, [default]]
    if "int" in annotation and "float" not in annotation:
        wrong.append(float(default))  # 2.0 is not an int
    return wrong


@pytest.mark.parametrize("name,option,default,annotation", OPTIONS, ids=IDS)
def test_wrong_type_is_type_error(backend, name, option, default, annotation):
    for value in _wrong_types(default, annotation):
        assert_raises_named(TypeError, name, option,
                            lambda value=value: _call(backend, name, **{option: value}))


VALUED = [o for o in OPTIONS if isinstance(o[2], str) or (
    not isinstance(o[2], bool) and "float" in o[3])]
"""String options (an unknown string) and real options (NaN); a flag has no wrong value of its
type, and an int option's wrong values depend on it (the families' tests cover them)."""


@pytest.mark.parametrize("name,option,default,annotation", VALUED,
                         ids=[f"{n}-{o}" for n, o, _, _ in VALUED])
def test_wrong_value_is_value_error(backend, name, option, default, annotation):
    value = "__no_such_option__" if isinstance(default, str) else float("nan")
    assert_raises_named(ValueError, name, option, lambda: _call(backend, name, **{option: value}))


NUMERIC = [o for o in OPTIONS if not isinstance(o[2], str)]


@pytest.mark.parametrize("name,option,default,annotation", NUMERIC,
                         ids=[f"{n}-{o}" for n, o, _, _ in NUMERIC])
def test_numpy_scalar_and_0d_array_options(backend, name, option, default, annotation):
    """``np.float64(x)``, ``np.bool_(x)``, a 0-d NumPy array or a 0-d array of the backend give
    what the Python value gives, in the same dtype (float32 stays float32)."""
    case = all_cases()[name](np.random.default_rng(0))[0]
    args32 = [_convert(backend, a.astype(np.float32) if isinstance(a, np.ndarray)
                       and a.dtype.kind == "f" else a) for a in case.args]
    kwargs = {k: _convert(backend, v) for k, v in case.kwargs.items()}
    function = getattr(ol, name)
    default = case.kwargs.get(option, default)  # the case's own value where it sets one
    expected = backend.to_numpy(function(*args32, **{**kwargs, option: default}))
    if isinstance(default, bool):
        forms = [np.bool_(default)]
    elif isinstance(default, int) and "float" not in annotation:
        forms = [np.int64(default), np.asarray(default)]
    else:
        forms = [np.float64(default), np.asarray(float(default)),
                 backend.asarray(np.asarray(float(default)))]
    for form in forms:
        value = backend.to_numpy(function(*args32, **{**kwargs, option: form}))
        assert value.dtype == expected.dtype, f"{name}({option}={form!r}) is {value.dtype}"
        np.testing.assert_array_equal(value, expected, err_msg=f"{name}({option}={form!r})")


PAIRS = ["l1_loss", "mse_loss", "huber_loss", "logistic_loss", "soft_margin_loss",
         "hinge_loss", "hinge_embedding_loss", "binary_cross_entropy_with_logits"]


@pytest.mark.parametrize("name", PAIRS)
def test_none_target_is_type_error(backend, name):
    """A ``None`` target names the argument (it was an AttributeError from ``.dtype``)."""
    x = backend.asarray(np.ones((3, 4)))
    assert_raises_named(TypeError, name, "target", lambda: getattr(ol, name)(x, None))
