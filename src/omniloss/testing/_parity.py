"""The checks behind :func:`omniloss.testing.assert_parity` and ``omniloss check``.

One call of :func:`run_checks` runs a function on NumPy inputs converted to each backend, in each
floating dtype, and collects every :class:`Problem` it sees, so a failure can report them all:

- ``call``: the function raised;
- ``library``: the result is not an array of the inputs' library (``np.log`` inside a loss turns
  a JAX or TensorFlow array into a NumPy one);
- ``dtype``: the result's dtype is not the inputs' floating dtype (a float64 constant promotes
  float32);
- ``device``: the result is not on the inputs' device;
- ``mutation``: an input holds other values after the call;
- ``value``: the result differs from the reference beyond the tolerance;
- ``gradient of <argument>``: autodiff of ``sum(result)`` differs from the reference's;
- ``jax.jit`` / ``tf.function`` / ``torch.compile``: tracing fails or changes the value.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from omniloss.testing._backends import BACKENDS, Backend, convert_nested

# (rtol, atol) for a result against a float64 NumPy reference, by the dtype the backend ran in
TOLERANCE_AGAINST_FLOAT64 = {"float64": (1e-9, 1e-9), "float32": (1e-4, 1e-5),
                             "float16": (1e-2, 1e-2), "bfloat16": (2e-2, 2e-2)}
# autodiff against central differences of the float64 reference: their error is ~1e-10 relative
# (step 6e-6, the cube root of float64's epsilon), so float64 gradients are held to 1e-6
FINITE_DIFFERENCE_RTOL = {"float64": 1e-6, "float32": 1e-3, "float16": 2e-2, "bfloat16": 4e-2}
_STEP = float(np.finfo(np.float64).eps) ** (1 / 3)


@dataclass(frozen=True)
class Problem:
    """One failed check: where (backend, dtype), which check, what was seen."""

    backend: str
    dtype: str
    check: str
    detail: str
    error: BaseException | None = None  # what the call raised, for a ``call`` problem

    def __str__(self) -> str:
        return f"{self.backend} ({self.dtype}): {self.check}: {self.detail}"


@dataclass
class Outcome:
    """The checks of one backend in one dtype: the worst relative value error and the problems."""

    backend: str
    dtype: str
    error: float = 0.0
    problems: list[Problem] = field(default_factory=list)
    value: np.ndarray | None = None  # the checked function's result

    def fail(self, check: str, detail: str, error: BaseException | None = None) -> None:
        self.problems.append(Problem(self.backend, self.dtype, check, detail, error))


class Peer:
    """A framework's own function as the reference: called with the checked call's arguments
    (its own ``kwargs`` added), on that framework's arrays, in the dtype under test; its
    gradients by that framework's autodiff (central differences of its float64 value where the
    framework has none). Build one with :func:`peer`."""

    def __init__(self, backend: str, fn: Callable[..., Any], **kwargs: Any) -> None:
        if backend not in BACKENDS:
            raise ValueError(f"peer: backend must be one of {list(BACKENDS)}, got {backend!r}")
        self.backend = BACKENDS[backend]
        self.fn = fn
        self.kwargs = kwargs

    def __repr__(self) -> str:
        return f"peer({self.backend.name!r}, {getattr(self.fn, '__name__', self.fn)!r})"

    def call(self, *args: Any, **kwargs: Any) -> Any:
        return self.fn(*args, **{**kwargs, **self.kwargs})

    def __call__(self, args: Sequence[Any], argnums: Sequence[int]
                 ) -> tuple[np.ndarray, list[np.ndarray]]:
        """The value of ``fn(*args)`` (NumPy arrays converted, other values as they are) and the
        gradients of its sum w.r.t. ``args[argnums]``, in NumPy."""
        return self.value_and_grads(_FlatCall(self.fn, args, {}),
                                    [a for a in args if isinstance(a, np.ndarray)],
                                    [_array_index(args, i) for i in argnums], None)

    def value_and_grads(self, call: _FlatCall, arrays: Sequence[np.ndarray],
                        wanted: Sequence[int], dtype: str | None
                        ) -> tuple[np.ndarray, list[np.ndarray]]:
        """The peer's value on ``call``'s arguments with ``arrays`` for its arrays (nested ones
        in ``dtype``, ``None``: as they are), and the gradients of its sum w.r.t.
        ``arrays[wanted]`` (NumPy in and out)."""
        local = call.with_nested(self.backend, dtype)
        if self.backend.has_grad:
            return self.backend.value_and_grad(lambda *flat: local.apply(self.call, flat),
                                               list(arrays), wanted)
        value = self.backend.to_numpy(local.apply(self.call, self.backend.convert(arrays)))
        return value, [central_differences(lambda *a: call.apply(self.call, a), arrays, i)
                       for i in wanted]


def peer(backend: str, fn: Callable[..., Any], **kwargs: Any) -> Peer:
    """The reference ``fn(*arrays, **kwargs)`` run in ``backend`` (``"torch"``, ``"jax"``,
    ``"tensorflow"``, ``"numpy"``...) whatever backend is under test; for example
    ``peer("torch", torch.nn.functional.cross_entropy, label_smoothing=0.1)``."""
    return Peer(backend, fn, **kwargs)


Reference = Callable[..., Any] | Peer | Mapping[str, Callable[..., Any]]


def central_differences(fn: Callable[..., Any], args: Sequence[Any], argnum: int) -> np.ndarray:
    """The gradient of ``sum(fn(*args))`` w.r.t. ``args[argnum]`` by central differences, in
    float64 NumPy (one pair of calls per element; step ``eps**(1/3) * max(|x|, 1)``)."""
    inputs = [np.asarray(a, dtype=np.float64) if _is_float_array(a) else a for a in args]
    point = inputs[argnum]
    grad = np.zeros_like(point)
    flat_grad = grad.reshape(-1)
    for index in range(point.size):
        step = _STEP * max(abs(float(point.flat[index])), 1.0)
        sums = []
        for sign in (1.0, -1.0):
            moved = point.copy()
            moved.flat[index] += sign * step
            inputs[argnum] = moved
            sums.append(float(np.sum(np.asarray(fn(*_copies(inputs)), dtype=np.float64))))
        flat_grad[index] = (sums[0] - sums[1]) / (2 * step)
    inputs[argnum] = point
    return grad


def run_checks(fn: Callable[..., Any], args: Sequence[Any], kwargs: Mapping[str, Any], *,
               backends: Sequence[str], dtypes: Sequence[str] | None,
               reference: Reference | None = None, grads: bool | Sequence[int | str] = True,
               trace: bool = True, torch_compile: bool | str = False, rtol: float | None = None,
               atol: float | None = None, grad_rtol: float | None = None,
               grad_atol: float | None = None) -> list[Outcome]:
    """Every check of ``fn(*args, **kwargs)`` (NumPy inputs) on each backend, in each dtype
    (``None``: the inputs' own); one :class:`Outcome` per backend and dtype."""
    call = _FlatCall(fn, args, kwargs)
    wanted = call.grad_positions(grads) if any(BACKENDS[b].has_grad for b in backends) else []
    outcomes = []
    expected_float64: tuple[np.ndarray, dict[int, np.ndarray]] | None = None
    for dtype in dtypes or [call.dtype()]:
        arrays = call.cast(dtype)
        for name in backends:
            outcome = Outcome(name, dtype)
            outcomes.append(outcome)
            peer_reference = _peer_for(reference, name)
            if peer_reference is None and expected_float64 is None:
                expected_float64 = call.reference_float64(_float64_reference(fn, reference),
                                                          wanted)
            _check_one(BACKENDS[name], call, arrays, outcome, tolerance=(rtol, atol),
                       grad_tolerance=(grad_rtol, grad_atol), expected=expected_float64,
                       peer=peer_reference, wanted=wanted, trace=trace,
                       torch_compile=torch_compile)
    return outcomes


def _float64_reference(fn: Callable[..., Any], reference: Reference | None
                       ) -> Callable[..., Any]:
    """What runs on the float64 NumPy inputs: the callable ``reference``, a dict's ``"numpy"``
    entry, else ``fn`` itself."""
    if isinstance(reference, Mapping):
        return reference.get("numpy", fn)
    if reference is None or isinstance(reference, Peer):
        return fn
    return reference


def _peer_for(reference: Reference | None, backend: str) -> Peer | None:
    """The peer ``reference`` gives for ``backend``; ``None`` for a float64 NumPy reference."""
    if isinstance(reference, Peer):
        return reference
    if isinstance(reference, Mapping) and backend in reference:
        return Peer(backend, reference[backend])
    return None


def _or(given: tuple[float | None, float | None], default: tuple[float, float]
        ) -> tuple[float, float]:
    return (default[0] if given[0] is None else given[0],
            default[1] if given[1] is None else given[1])


def same_dtype_tolerance(dtype: str) -> tuple[float, float]:
    """``(rtol, atol)`` against a peer run in the same dtype: float64 ~1e-10 relative, float32
    ~1e-5, half precisions ~1e-2."""
    return {"float64": (1e-10, 1e-12), "float32": (1e-5, 1e-6)}.get(dtype, (2e-2, 2e-2))


def _copies(values: Sequence[Any]) -> list[Any]:
    """``values`` with each NumPy array copied: a function that writes into its inputs cannot
    change the reference's next evaluation."""
    return [np.array(v, copy=True) if isinstance(v, np.ndarray) else v for v in values]


def _cast(a: np.ndarray, dtype: str | None) -> np.ndarray:
    return a.astype(dtype) if dtype is not None and a.dtype.kind == "f" else a


def _array_index(args: Sequence[Any], position: int) -> int:
    """The index among ``args``' NumPy arrays of the array at ``args[position]``."""
    return sum(isinstance(a, np.ndarray) for a in args[:position])


def _is_float_array(value: Any) -> bool:
    return isinstance(value, np.ndarray) and value.dtype.kind == "f"


class _FlatCall:
    """``fn(*args, **kwargs)`` seen as a function of its NumPy arrays alone (positional first,
    then keyword), so gradients and tracing can take them as positional arguments."""

    def __init__(self, fn: Callable[..., Any], args: Sequence[Any],
                 kwargs: Mapping[str, Any]) -> None:
        self.fn = fn
        self.args = list(args)
        self.kwargs = dict(kwargs)
        self.slots: list[int | str] = [i for i, a in enumerate(self.args)
                                       if isinstance(a, np.ndarray)]
        self.slots += [k for k, v in self.kwargs.items() if isinstance(v, np.ndarray)]
        self.arrays = [self.args[s] if isinstance(s, int) else self.kwargs[s] for s in self.slots]
        self.names = [self._name(s) for s in self.slots]

    def _name(self, slot: int | str) -> str:
        if isinstance(slot, str):
            return slot
        try:
            parameters = list(inspect.signature(self.fn).parameters.values())
        except (TypeError, ValueError):
            return f"argument {slot}"
        if slot < len(parameters) and parameters[slot].kind in (
                parameters[slot].POSITIONAL_ONLY, parameters[slot].POSITIONAL_OR_KEYWORD):
            return f"argument {slot} ({parameters[slot].name})"
        return f"argument {slot}"

    def dtype(self) -> str:
        floats = [a.dtype for a in self.arrays if a.dtype.kind == "f"]
        return str(np.result_type(*floats)) if floats else "float64"

    def cast(self, dtype: str) -> list[np.ndarray]:
        return [_cast(a, dtype) for a in self.arrays]

    def grad_positions(self, grads: bool | Sequence[int | str]) -> list[int]:
        """Indices into ``arrays`` of the floating arguments to differentiate."""
        if grads is True:
            return [i for i, a in enumerate(self.arrays) if a.dtype.kind == "f"]
        if grads is False:
            return []
        positions = []
        for wanted in grads:
            if wanted not in self.slots:
                raise ValueError(f"assert_parity: grads names {wanted!r}, which is not an array "
                                 f"argument of this call (array arguments: {self.slots})")
            positions.append(self.slots.index(wanted))
        return positions

    def __call__(self, *arrays: Any) -> Any:
        return self.apply(self.fn, arrays)

    def apply(self, fn: Callable[..., Any], arrays: Sequence[Any]) -> Any:
        """``fn`` called with this call's arguments, its arrays replaced by ``arrays``."""
        args, kwargs = list(self.args), dict(self.kwargs)
        for slot, array in zip(self.slots, arrays, strict=True):
            if isinstance(slot, int):
                args[slot] = array
            else:
                kwargs[slot] = array
        return fn(*args, **kwargs)

    def with_nested(self, backend: Backend, dtype: str | None) -> _FlatCall:
        """This call with the arrays nested in list/tuple/dict arguments in ``backend``, floating
        ones in ``dtype`` (they are checked for value, not differentiated)."""
        def convert(value: Any) -> Any:
            return value if isinstance(value, np.ndarray) else convert_nested(
                value, lambda a: backend.asarray(_cast(a, dtype)))

        return _FlatCall(self.fn, [convert(a) for a in self.args],
                         {k: convert(v) for k, v in self.kwargs.items()})

    def reference_float64(self, reference: Callable[..., Any], wanted: Sequence[int]
                          ) -> tuple[np.ndarray, dict[int, np.ndarray]]:
        """The reference's value on the float64 NumPy inputs and its gradients w.r.t. the
        ``wanted`` arrays by central differences."""
        arrays = self.cast("float64")
        value = np.asarray(self.apply(reference, _copies(arrays)), dtype=np.float64)
        grads = {i: central_differences(lambda *a: self.apply(reference, a), arrays, i)
                 for i in wanted}
        return value, grads


def _check_one(backend: Backend, call: _FlatCall, arrays: Sequence[np.ndarray], outcome: Outcome,
               *, tolerance: tuple[float | None, float | None],
               grad_tolerance: tuple[float | None, float | None],
               expected: tuple[np.ndarray, dict[int, np.ndarray]] | None, peer: Peer | None,
               wanted: Sequence[int], trace: bool, torch_compile: bool | str) -> None:
    """The checks of ``call`` on ``backend`` with ``arrays`` (cast to ``outcome.dtype``),
    against ``peer`` run in that dtype, else against the float64 ``expected``."""
    dtype = outcome.dtype
    default = (same_dtype_tolerance(dtype) if peer is not None
               else TOLERANCE_AGAINST_FLOAT64.get(dtype, (2e-2, 2e-2)))
    rtol, atol = _or(tolerance, default)
    local = call.with_nested(backend, dtype)
    converted = [backend.asarray(a) for a in arrays]
    try:
        out = local(*converted)
    except Exception as error:  # reported, with every other backend's outcome
        outcome.fail("call", f"raised {type(error).__name__}: {_short(error)}", error)
        return
    if not backend.is_native(out):
        outcome.fail("library", f"returned a {_type_name(out)}, expected a {backend.name} array")
    value = outcome.value = _to_numpy(backend, out)
    if str(value.dtype) != dtype and any(a.dtype.kind == "f" for a in arrays):
        outcome.fail("dtype", f"returned {value.dtype} for {dtype} inputs")
    _check_device(backend, converted, out, outcome)
    for name, original, array in zip(call.names, arrays, converted, strict=True):
        after = _to_numpy(backend, array)
        if not np.array_equal(after, original, equal_nan=True):
            outcome.fail("mutation", f"{name} holds other values after the call")
    wanted = wanted if backend.has_grad else []
    if peer is not None:
        peer_value, peer_grads = peer.value_and_grads(call, arrays, wanted, dtype)
        wanted_grads = dict(zip(wanted, peer_grads, strict=True))
    else:
        assert expected is not None
        peer_value, wanted_grads = expected
    finite_differences = peer is None or not peer.backend.has_grad
    floor = max(rtol, FINITE_DIFFERENCE_RTOL.get(dtype, 4e-2))
    grad_rtol, grad_atol = _or(grad_tolerance, (floor, floor) if finite_differences
                               else (rtol, atol))
    outcome.error = max(outcome.error, relative_error(value, peer_value))
    compare(value, peer_value, rtol=rtol, atol=atol, check="value", outcome=outcome)
    if wanted:
        _check_grads(backend, local, arrays, wanted, wanted_grads, (grad_rtol, grad_atol),
                     normwise=finite_differences, outcome=outcome)
    tracers: list[tuple[str, Callable[[Callable[..., Any]], Callable[..., Any]]]] = []
    if trace and backend.can_trace:
        tracers.append((backend.tracer, backend.jit))
    if torch_compile and backend.name == "torch":
        mode = "aot_eager" if torch_compile is True else str(torch_compile)
        tracers.append((f"torch.compile(backend={mode!r})",
                        lambda f: backend.jit(f, backend=mode)))  # type: ignore[call-arg]
    for tracer, jit in tracers:
        try:
            traced = _to_numpy(backend, jit(local)(*[backend.asarray(a) for a in arrays]))
        except Exception as error:
            outcome.fail(tracer, f"raised {type(error).__name__}: {_short(error)}")
            continue
        compare(traced, value, rtol=rtol, atol=atol, check=f"{tracer} (against eager)",
                outcome=outcome)


def _check_grads(backend: Backend, call: _FlatCall, arrays: Sequence[np.ndarray],
                 wanted: Sequence[int], expected: Mapping[int, np.ndarray],
                 tolerance: tuple[float, float], *, normwise: bool, outcome: Outcome) -> None:
    try:
        _, grads = backend.value_and_grad(call, list(arrays), wanted)
    except Exception as error:
        outcome.fail("gradient", f"raised {type(error).__name__}: {_short(error)}")
        return
    for i, grad in zip(wanted, grads, strict=True):
        if i not in expected:
            continue
        rtol, atol = tolerance
        if normwise:  # central differences: judged against the gradient's largest element
            atol = atol * float(np.max(np.abs(expected[i]), initial=0.0)) + 1e-12
        compare(grad, expected[i], rtol=rtol, atol=atol, check=f"gradient of {call.names[i]}",
                outcome=outcome)


def _check_device(backend: Backend, inputs: Sequence[Any], out: Any, outcome: Outcome) -> None:
    if not inputs or not backend.is_native(out):
        return
    from array_api_compat import device

    try:
        wanted, got = device(inputs[0]), device(out)
    except Exception:  # a library array_api_compat cannot place (NumPy scalars): nothing to check
        return
    if str(wanted) != str(got):
        outcome.fail("device", f"result on {got}, inputs on {wanted}")


def _to_numpy(backend: Backend, x: Any) -> np.ndarray:
    """``x`` read back through ``backend``, else as NumPy reads it (a result of another
    library); where neither can, the backend's own error (a Dask array that fails to compute)
    propagates."""
    try:
        return backend.to_numpy(x)
    except Exception as error:
        try:
            return np.asarray(x)
        except Exception:
            raise error from None


def relative_error(actual: np.ndarray, expected: np.ndarray) -> float:
    """The largest ``|actual - expected| / max(|expected|, 1)``; NaN where both are NaN and equal
    infinities count as equal; a shape mismatch or a NaN on one side only is ``inf``."""
    actual = np.asarray(actual, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    if actual.shape != expected.shape:
        return float("inf")
    both_nan = np.isnan(actual) & np.isnan(expected)
    same_inf = np.isinf(expected) & (actual == expected)
    with np.errstate(invalid="ignore"):
        error = np.where(both_nan | same_inf, 0.0,
                         np.abs(actual - expected) / np.maximum(np.abs(expected), 1.0))
    return float(np.max(error, initial=0.0)) if not np.isnan(error).any() else float("inf")


def compare(actual: Any, desired: Any, *, rtol: float, atol: float, check: str,
            outcome: Outcome) -> None:
    """Add a problem to ``outcome`` where ``actual`` and ``desired`` differ beyond
    ``|a - d| <= atol + rtol * |d|`` (equal NaNs and infinities agree)."""
    detail = difference(actual, desired, rtol=rtol, atol=atol)
    if detail:
        outcome.fail(check, detail)


def difference(actual: Any, desired: Any, *, rtol: float, atol: float) -> str:
    """``""`` where the arrays agree, else what differs: the shape, or how many elements, the
    worst error and the first differing element."""
    actual = np.asarray(actual, dtype=np.float64)
    desired = np.asarray(desired, dtype=np.float64)
    if actual.shape != desired.shape:
        return f"shape {actual.shape}, expected {desired.shape}"
    with np.errstate(invalid="ignore", over="ignore"):
        close = np.isclose(actual, desired, rtol=rtol, atol=atol, equal_nan=True)
        close |= np.isinf(desired) & (actual == desired)
        if close.all():
            return ""
        error = np.where(close, 0.0, np.abs(actual - desired))
    bad = np.argwhere(~close)
    first = tuple(int(i) for i in bad[0]) if actual.ndim else ()
    worst = np.nanmax(error) if not np.isnan(error).all() else float("nan")
    where = f" at {first}" if first else ""
    return (f"{len(bad)} of {max(actual.size, 1)} elements differ (rtol={rtol:g}, "
            f"atol={atol:g}); worst absolute error {worst:.3g}; first{where}: "
            f"got {actual[first] if first else actual[()]!r}, "
            f"expected {desired[first] if first else desired[()]!r}")


def _type_name(x: Any) -> str:
    return f"{type(x).__module__}.{type(x).__qualname__}"


def _short(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return text if len(text) <= 200 else text[:197] + "..."
