"""Class ids (issue 10): the one rule for an id outside ``[0, C)``, every integer dtype, JAX
without x64, and ``zero_one_loss`` of a NaN score.

The rule (README "Errors"): where the ids can be read now (NumPy, array-api-strict, CPU arrays
of torch, JAX and TensorFlow outside tracing) an invalid id raises ``ValueError`` naming the
function, the argument, the id and the valid range; otherwise (``jax.jit``, ``tf.function``,
``torch.compile``, Dask) the loss is NaN at that position. Every case comes from the catalogue's
own examples (``omniloss._check``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import numpy as np
import pytest

import omniloss as ol
from omniloss._check import Case, all_cases
from omniloss._validation import class_targets
from omniloss.testing import selected_backends

SELECTED = selected_backends()
_CASES = all_cases()


def _arrays(case: Case) -> list[int]:
    """Positions of the case's integer array arguments."""
    return [i for i, a in enumerate(case.args) if isinstance(a, np.ndarray) and a.dtype.kind == "i"]


def _first_plain_case(name: str, label: str | None = None) -> Case:
    """The function's first case (or the one labelled ``label``) without weights or a mask."""
    for case in _CASES[name](np.random.default_rng(0)):
        if label is not None and case.label != label:
            continue
        if "sample_weight" not in case.kwargs and "where" not in case.kwargs and _arrays(case):
            return case
    raise AssertionError(f"{name}: no plain case with integer arrays")


# function -> (position of its class-id argument, label of the case to use)
CLASS_ID_FUNCTIONS: dict[str, tuple[int, str | None]] = {
    "cross_entropy": (1, None),
    "nll_loss": (1, None),
    "linear_cross_entropy": (2, None),
    "softmax_focal_loss": (1, None),
    "poly1_cross_entropy": (1, None),
    "generalized_cross_entropy": (1, None),
    "dice_cross_entropy_loss": (1, None),
    "dice_focal_loss": (1, None),
    "zero_one_loss": (1, None),
    "multi_margin_loss": (1, None),
    "multiclass_sparsemax_loss": (1, None),
    "multiclass_perceptron_loss": (1, None),
    "multilabel_margin_loss": (1, None),
    "margin_softmax_loss": (1, None),
    "lovasz_softmax_loss": (1, None),
    "ctc_loss": (1, "padded, none"),
    "adaptive_log_softmax_loss": (1, None),
}
"""Every public function taking class ids (the test below checks the list is complete)."""

# every function with an integer array argument; the others take labels or group ids
INTEGER_FUNCTIONS = sorted({name for name, maker in _CASES.items()
                            if any(_arrays(c) for c in maker(np.random.default_rng(0)))})
NOT_CLASS_IDS = {"hinge_loss", "squared_hinge_loss", "ntxent_loss", "sparsemax_loss",
                 "perceptron_loss", "circle_loss", "supervised_contrastive_loss",
                 "multi_similarity_loss"}
"""Integer labels that are not class ids: {0, 1} or {-1, 1} labels, and the embedding losses'
group labels (any integers: equal labels mark positives)."""

INTEGER_DTYPES = ["int8", "int16", "int32", "int64", "uint8"]


PER_STATE = {"ctc_forward_probabilities"}
"""Class ids under the rule whose result is per frame and state, not per sample: the rule's
tests are in tests/test_sequence.py (a NaN column for the sequence)."""


def test_every_integer_function_is_covered() -> None:
    """Every catalogue function with an integer array argument is either a class-id function
    under the rule or one whose integers are labels."""
    assert set(INTEGER_FUNCTIONS) == set(CLASS_ID_FUNCTIONS) | NOT_CLASS_IDS | PER_STATE


def _convert(backend: Any, value: Any) -> Any:
    """NumPy arrays to ``backend``'s, inside lists and tuples too (adaptive softmax's tails)."""
    if isinstance(value, np.ndarray):
        return backend.asarray(value)
    if isinstance(value, list | tuple) and any(isinstance(v, np.ndarray | list | tuple)
                                               for v in value):
        return type(value)(_convert(backend, v) for v in value)
    return value


def _call(backend: Any, name: str, args: list[Any], kwargs: dict[str, Any]) -> np.ndarray:
    converted = [_convert(backend, a) for a in args]
    return backend.to_numpy(getattr(ol, name)(*converted, **kwargs))


def _with_id(case: Case, position: int, value: int) -> list[Any]:
    """The case's arguments with the first id of its class-id argument set to ``value``."""
    args = list(case.args)
    ids = args[position].copy()
    ids.reshape(-1)[0] = value
    args[position] = ids
    return args


# Every integer dtype gives the int64 numbers


def _dtype_cases() -> list[Any]:
    params = []
    for name in INTEGER_FUNCTIONS:
        case = _first_plain_case(name)
        for dtype in INTEGER_DTYPES:
            info = np.iinfo(dtype)
            fits = all(info.min <= case.args[i].min() and case.args[i].max() <= info.max
                       for i in _arrays(case) if case.args[i].size)
            if fits:  # uint8 cannot hold multilabel's -1 nor ntxent's negative labels
                params.append(pytest.param(name, dtype, id=f"{name}-{dtype}"))
    return params


@pytest.mark.parametrize(("name", "dtype"), _dtype_cases())
def test_integer_dtypes_equal_int64(backend, name, dtype):
    """Class ids, labels and CTC lengths of every integer dtype give the int64 result.

    On JAX under ``jax.jit`` (the traced path of the id rule): eagerly JAX compiles each
    operation anew for each dtype, minutes for this matrix; the eager rule reads ids of any
    dtype the same way (``np.asarray``)."""
    case = _first_plain_case(name)
    run = _traced if backend.name == "jax" else _call
    expected = run(backend, name, list(case.args), case.kwargs)
    args = [a.astype(dtype) if i in _arrays(case) else a for i, a in enumerate(case.args)]
    np.testing.assert_allclose(run(backend, name, args, case.kwargs), expected,
                               rtol=1e-12, atol=0)


def test_ctc_concatenated_int32(backend):
    """Concatenated CTC targets and their lengths in int32, torch's own F.ctc_loss dtype."""
    case = _first_plain_case("ctc_loss", "concatenated")
    expected = _call(backend, "ctc_loss", list(case.args), case.kwargs)
    args = [a.astype(np.int32) if i in _arrays(case) else a for i, a in enumerate(case.args)]
    np.testing.assert_allclose(_call(backend, "ctc_loss", args, case.kwargs), expected,
                               rtol=1e-12, atol=0)


# The rule, eagerly: ValueError naming function, argument, id and range


_INVALID = [pytest.param(name, value, id=f"{name}-{value}")
            for name in CLASS_ID_FUNCTIONS for value in (1000, -2)]


@pytest.mark.parametrize(("name", "value"), _INVALID)
def test_invalid_id_raises_eagerly(backend, name, value):
    """An id ``>= C`` or negative (not ``ignore_index``) raises ``ValueError`` where the ids can
    be read now; Dask (lazy) gives NaN instead."""
    position, label = CLASS_ID_FUNCTIONS[name]
    case = _first_plain_case(name, label)
    args = _with_id(case, position, value)
    if backend.name == "dask":
        assert np.isnan(_call(backend, name, args, case.kwargs)).any()
        return
    argument = "targets" if name == "ctc_loss" else "target"
    pattern = rf"^{name}: {argument} holds class id {value} outside \[0, \d+\)"
    with pytest.raises(ValueError, match=pattern):
        _call(backend, name, args, case.kwargs)


def test_ctc_blank_in_targets_raises(backend):
    """A blank inside a CTC target is invalid (torch: undefined); padding past the length is
    not read."""
    case = _first_plain_case("ctc_loss", "padded, none")
    log_probs, targets, input_lengths, target_lengths = case.args
    padded = targets.copy()
    padded[3, target_lengths[3]:] = -1  # past the end: never read
    expected = _call(backend, "ctc_loss", [log_probs, targets, input_lengths, target_lengths],
                     case.kwargs)
    np.testing.assert_allclose(
        _call(backend, "ctc_loss", [log_probs, padded, input_lengths, target_lengths],
              case.kwargs), expected, rtol=1e-12)
    blank = targets.copy()
    blank[0, 0] = 0
    args = [log_probs, blank, input_lengths, target_lengths]
    if backend.name == "dask":
        assert np.isnan(_call(backend, "ctc_loss", args, case.kwargs)[0])
        return
    with pytest.raises(ValueError, match=r"^ctc_loss: targets holds class id 0 outside "
                                         r"\[0, 5\) or equal to blank=0"):
        _call(backend, "ctc_loss", args, case.kwargs)


# The rule, traced: NaN at the invalid position, the other positions unchanged


_COMPILED: dict[tuple[str, str, str, str], Any] = {}
"""Traced calls by backend, function, options and the constant (non-array) arguments: each is
traced once per shapes and dtypes, not once per test."""


def _traced(backend: Any, name: str, args: list[Any], kwargs: dict[str, Any]) -> np.ndarray:
    """``name(*args, **kwargs)`` under ``jax.jit`` or ``tf.function``, the arrays traced."""
    arrays = [i for i, a in enumerate(args) if isinstance(a, np.ndarray)]
    constants = [a for i, a in enumerate(args) if i not in arrays]
    key = (backend.name, name, repr(sorted(kwargs.items())), repr(constants))
    compiled = _COMPILED.get(key)
    if compiled is None:
        converted = [_convert(backend, a) for a in constants]

        def call(*values: Any) -> Any:
            given, rest = iter(values), iter(converted)
            full = [next(given) if i in arrays else next(rest) for i in range(len(args))]
            return getattr(ol, name)(*full, **kwargs)

        # without AutoGraph, which has no control flow to convert here and would spend tens of
        # seconds converting the library function by function
        compiled = _COMPILED[key] = (backend.lib().function(call, autograph=False)
                                     if backend.name == "tensorflow" else backend.jit(call))
    return backend.to_numpy(compiled(*(backend.asarray(args[i]) for i in arrays)))


@pytest.mark.parametrize(("name", "value"), _INVALID)
def test_invalid_id_is_nan_traced(tracing_backend, name, value):
    """Under ``jax.jit`` and ``tf.function`` an invalid id makes its position's loss NaN (so a
    sum or mean is NaN); the other positions keep their values."""
    position, label = CLASS_ID_FUNCTIONS[name]
    case = _first_plain_case(name, label)
    kwargs = {**case.kwargs, "reduction": "none"}
    valid = _call(tracing_backend, name, list(case.args), kwargs)
    traced = _traced(tracing_backend, name, _with_id(case, position, value), kwargs)
    first = np.unravel_index(0, valid.shape) if valid.ndim else ()
    poisoned = np.zeros(valid.shape, dtype=bool)
    # dice_focal_loss's unreduced loss is (N, C), every class summing over the sample's pixels
    poisoned[(0,) if name == "dice_focal_loss" else first] = True
    assert np.isnan(traced[poisoned]).all()
    np.testing.assert_allclose(traced[~poisoned], valid[~poisoned], rtol=1e-12)
    if name in ("cross_entropy", "nll_loss"):  # fused kernels reduce by themselves when valid
        assert np.isnan(_traced(tracing_backend, name, _with_id(case, position, value),
                                {**case.kwargs, "reduction": "mean"}))


@pytest.mark.skipif("torch" not in SELECTED, reason="torch is not a selected backend")
@pytest.mark.parametrize("name", ["cross_entropy", "nll_loss", "multilabel_margin_loss"])
def test_invalid_id_is_nan_under_torch_compile(name):
    """torch.compile (the fused F.cross_entropy and F.nll_loss paths included) gives NaN, not
    torch's out-of-bounds error, and the valid positions' values."""
    import torch

    position, label = CLASS_ID_FUNCTIONS[name]
    case = _first_plain_case(name, label)
    args = _with_id(case, position, 1000)
    function = getattr(ol, name)
    compiled = torch.compile(lambda x, y: function(x, y, reduction="none"))
    valid = function(*(torch.from_numpy(a) for a in case.args), reduction="none").numpy()
    result = compiled(*(torch.from_numpy(a) for a in args)).numpy().reshape(-1)
    assert np.isnan(result[0]) and np.isfinite(result[1:]).all()
    np.testing.assert_allclose(result[1:], valid.reshape(-1)[1:], rtol=1e-12)


# ignore_index and multilabel's -1 stay what they are


@pytest.mark.parametrize("name", ["cross_entropy", "nll_loss", "softmax_focal_loss",
                                  "linear_cross_entropy"])
def test_ignore_index_is_not_invalid(backend, name):
    """``ignore_index`` (default -100, or a value >= C) is ignored, eagerly and traced."""
    position, _ = CLASS_ID_FUNCTIONS[name]
    case = _first_plain_case(name)
    ids = np.where(case.args[position] == -100, 0, case.args[position])
    case = Case(tuple(ids if i == position else a for i, a in enumerate(case.args)),
                case.kwargs)
    for ignore_index in (-100, 1000):
        args = _with_id(case, position, ignore_index)
        kwargs = {**case.kwargs, "ignore_index": ignore_index, "reduction": "none"}
        result = _call(backend, name, args, kwargs)
        assert result.reshape(-1)[0] == 0 and np.isfinite(result).all()
        if backend.can_trace:
            np.testing.assert_allclose(_traced(backend, name, args, kwargs), result,
                                       rtol=1e-12)


def test_class_targets_drop_the_mask_only_where_no_read_id_can_be_ignored(backend):
    """``class_targets`` answers ``ignore_index=None`` (no mask to build) only where the ids were
    read, each in ``[0, C)``, and ``ignore_index`` lies outside ``[0, C)``."""
    xp = backend.namespace()
    ids = backend.asarray(np.array([0, 2, 1, 2]))
    readable = backend.name not in ("dask",)  # Dask's ids are not read (lazy)
    for ignore_index, left in ((-100, None), (3, None), (2, 2), (0, 0)):
        expected = None if readable and left is None else ignore_index
        assert class_targets("f", xp, ids, 3, ignore_index)[2] == expected
    held = backend.asarray(np.array([0, -100, 1]))  # an ignored position: the mask stays
    assert class_targets("f", xp, held, 3, -100)[2] == -100
    assert class_targets("f", xp, ids, None, -100)[2] == -100  # unknown C (tf.function)


def test_cross_entropy_ignore_index_within_the_classes(backend):
    """An ``ignore_index`` inside ``[0, C)`` drops the positions holding it from every
    reduction; where no id holds it, nothing is dropped (torch's numbers, float64)."""
    import torch
    import torch.nn.functional as F

    logits = np.random.default_rng(3).normal(size=(5, 4))
    for ids in (np.array([0, 3, 1, 1, 2]), np.array([0, 3, 0, 3, 2])):
        for reduction in ("mean", "sum", "none"):
            expected = F.cross_entropy(
                torch.from_numpy(logits), torch.from_numpy(ids), ignore_index=1,
                reduction=reduction).numpy()
            got = _call(backend, "cross_entropy", [logits, ids],
                        {"ignore_index": 1, "reduction": reduction})
            np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_multilabel_minus_one_ends_the_list(backend):
    """-1 ends a row's list: what follows is never read, even an out-of-range id."""
    scores = np.array([[0.1, 0.2, 0.4, 0.8], [0.3, -0.2, 0.5, 0.0]])
    listed = np.array([[3, 0, -1, 1], [2, -1, 0, 0]])
    padded = np.array([[3, 0, -1, 7], [2, -1, -5, 9]])
    expected = _call(backend, "multilabel_margin_loss", [scores, listed], {"reduction": "none"})
    # torch's value for the first row (README/docstring example): 0.85
    np.testing.assert_allclose(expected[0], 0.85, rtol=1e-12)
    np.testing.assert_allclose(_call(backend, "multilabel_margin_loss", [scores, padded],
                                     {"reduction": "none"}), expected, rtol=1e-12)
    if backend.can_trace:
        np.testing.assert_allclose(_traced(backend, "multilabel_margin_loss", [scores, padded],
                                           {"reduction": "none"}), expected, rtol=1e-12)


def test_uint8_never_matches_ignore_index(backend):
    """uint8 cannot hold -100: every uint8 id is a class id, so all count."""
    logits = np.random.default_rng(1).normal(size=(4, 3))
    ids = np.array([0, 2, 1, 1])
    expected = _call(backend, "cross_entropy", [logits, ids], {"reduction": "sum"})
    np.testing.assert_allclose(
        _call(backend, "cross_entropy", [logits, ids.astype(np.uint8)], {"reduction": "sum"}),
        expected, rtol=1e-12)


# zero_one_loss: a NaN score gives NaN for its row


def test_zero_one_nan_score_is_nan(backend):
    """A NaN score makes that row's 0-1 loss NaN (multi-class and binary); other rows keep
    their 0 or 1."""
    scores = np.array([[2.0, 0.0, 1.0], [np.nan, 0.0, 1.0], [0.0, 1.0, np.nan], [0.0, 3.0, 1.0]])
    result = _call(backend, "zero_one_loss", [scores, np.array([0, 0, 1, 2])],
                   {"reduction": "none"})
    np.testing.assert_array_equal(result, [0.0, np.nan, np.nan, 1.0])
    binary = _call(backend, "zero_one_loss", [np.array([1.0, np.nan, -1.0]),
                                              np.array([1.0, 1.0, 1.0])], {"reduction": "none"})
    np.testing.assert_array_equal(binary, [0.0, np.nan, 1.0])
    assert np.isnan(_call(backend, "zero_one_loss", [scores, np.array([0, 0, 1, 2])], {}))


# JAX without x64: int32 ids and lengths, no warning, the float64 NumPy numbers


_NO_X64 = """
import json, sys, warnings
warnings.simplefilter("error")
import numpy as np
import jax, jax.numpy as jnp
import omniloss as ol
from omniloss._check import all_cases
assert not jax.config.jax_enable_x64
results = {}
for name, label, dtype in json.loads(sys.argv[1]):
    case = next(c for c in all_cases()[name](np.random.default_rng(0))
                if c.label == label)
    def convert(a):
        if isinstance(a, np.ndarray):
            return jnp.asarray(a.astype(dtype if a.dtype.kind == "i" else np.float32))
        return type(a)(convert(v) for v in a) if isinstance(a, (list, tuple)) else a
    args = [convert(a) for a in case.args]
    arrays = [i for i, a in enumerate(args) if isinstance(a, jax.Array)]
    def call(*values, args=args, function=getattr(ol, name), kwargs=case.kwargs):
        given = iter(values)
        return function(*[next(given) if i in arrays else a for i, a in enumerate(args)],
                        **kwargs)
    # jitted: one compilation per function (eagerly each operation compiles on its own, 4x
    # slower); an int64 request warns while tracing just the same
    results[f"{name}-{dtype}"] = np.asarray(jax.jit(call)(*[args[i] for i in arrays])).tolist()
print(json.dumps(results))
"""


@pytest.mark.skipif("jax" not in SELECTED, reason="jax is not a selected backend")
def test_jax_without_x64_no_warning():
    """With ``JAX_ENABLE_X64=0`` every integer-taking function runs on int32 ids (uint8 CTC
    lengths too) without a warning (nothing asks for int64, which JAX would truncate) and gives
    the float64 NumPy numbers to float32 precision."""
    requests = [(name, _first_plain_case(name).label, "int32") for name in INTEGER_FUNCTIONS]
    requests.append(("ctc_loss", "concatenated", "uint8"))  # lengths cast to the index dtype
    environment = {**os.environ, "JAX_ENABLE_X64": "0", "JAX_PLATFORMS": "cpu"}
    completed = subprocess.run([sys.executable, "-c", _NO_X64, json.dumps(requests)],
                               capture_output=True, text=True, env=environment, timeout=300,
                               check=False)
    assert completed.returncode == 0, completed.stderr[-3000:]
    results = json.loads(completed.stdout.strip().splitlines()[-1])
    assert len(results) == len(requests)
    for name, label, dtype in requests:
        case = next(c for c in _CASES[name](np.random.default_rng(0)) if c.label == label)
        expected = np.asarray(getattr(ol, name)(*case.args, **case.kwargs))
        np.testing.assert_allclose(results[f"{name}-{dtype}"], expected, rtol=2e-5, atol=1e-6,
                                   err_msg=f"{name} {dtype}")



def test_ctc_lengths_out_of_range_are_nan_traced(tracing_backend):
    """CTC lengths follow the rule too: under tracing an input length above T or a negative
    target length makes that sequence NaN, the others unchanged."""
    case = _first_plain_case("ctc_loss", "padded, none")
    log_probs, targets, input_lengths, target_lengths = case.args
    valid = _call(tracing_backend, "ctc_loss", list(case.args), case.kwargs)
    inputs, labels = input_lengths.copy(), target_lengths.copy()
    inputs[0], labels[2] = log_probs.shape[0] + 1, -1
    traced = _traced(tracing_backend, "ctc_loss", [log_probs, targets, inputs, labels],
                     case.kwargs)
    assert np.isnan(traced[[0, 2]]).all()
    np.testing.assert_allclose(traced[[1, 3]], valid[[1, 3]], rtol=1e-12)


@pytest.mark.skipif("torch" not in SELECTED, reason="torch is not a selected backend")
def test_invalid_id_is_nan_under_torch_func_vmap():
    """torch.func's wrapped tensors hold no readable ids: NaN at the invalid position, as
    under tracing, and the valid positions' values."""
    import torch

    logits = np.random.default_rng(0).normal(size=(3, 4, 5))
    ids = np.array([[0, 1, 2, 3], [4, 0, 1, 7], [1, 1, 1, 1]])
    mapped = torch.func.vmap(lambda x, y: ol.cross_entropy(x, y, reduction="none"))(
        torch.from_numpy(logits), torch.from_numpy(ids)).numpy()
    assert np.isnan(mapped[1, 3]) and np.isfinite(np.delete(mapped.reshape(-1), 7)).all()
    valid = np.where(ids < 5, ids, 0)
    expected = ol.cross_entropy(np.moveaxis(logits, 2, 1), valid, reduction="none")
    np.testing.assert_allclose(np.delete(mapped.reshape(-1), 7),
                               np.delete(expected.reshape(-1), 7), rtol=1e-12)
