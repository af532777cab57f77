"""Find the Array API namespace of the arrays a loss was called with.

The library of an array is read from its type's module name (``torch``, ``jax``, ``tensorflow``,
...), so nothing is imported that the caller has not imported already. NumPy, PyTorch, JAX, CuPy,
Dask and array-api-strict go through array-api-compat; TensorFlow goes through our own namespace
:mod:`omniloss._tensorflow`. The namespace is cached per array type, so a call costs a dictionary
lookup per argument.

Variables are read here too (:func:`variable_reader`): a ``tf.Variable`` or a ``keras.Variable``
holds an array rather than being one, and the public functions read it at their boundary
(:mod:`omniloss._boundary`).
"""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Callable
from types import ModuleType
from typing import Any

import array_api_compat

__all__ = ["array_library", "get_namespace", "is_array", "variable_reader"]

_NAMESPACE_BY_TYPE: dict[type, ModuleType] = {}
_NAMESPACE_LOCK = threading.RLock()
"""Taken on a miss of ``_NAMESPACE_BY_TYPE`` only (a hit is a plain lookup), so that each type's
namespace is found once, even by threads meeting a new type together: finding it may import
(:mod:`omniloss._tensorflow`, array-api-compat's wrappers). Reentrant: a variable's namespace is
that of the array it holds, found under the same lock."""


def cache_lock(lock: threading.RLock) -> contextlib.AbstractContextManager[Any]:
    """``lock``, for the miss path of a lazily built cache; no lock while ``torch.compile``
    traces: its tracer cannot enter a lock (``fullgraph=True`` fails on one), and it traces
    under its own global lock (``torch._dynamo.convert_frame.compile_lock``)."""
    torch = sys.modules.get("torch")
    if torch is not None and torch.compiler.is_compiling():
        return contextlib.nullcontext()
    return lock

_LIBRARY_BY_TYPE: dict[type, str] = {}
"""Lock-free: the name is read from the type alone, so threads racing on a miss store the same
string."""
_READER_BY_TYPE: dict[type, Callable[[Any], Any] | None] = {}
"""Lock-free: the reader depends on the type alone (a variable's library is imported once its
type exists), so threads racing on a miss store the same function."""


def array_library(x: Any) -> str:
    """Return the name of the library that owns array ``x`` (``"torch"``, ``"numpy"``, ...)."""
    kind = type(x)
    library = _LIBRARY_BY_TYPE.get(kind)
    if library is None:
        library = kind.__module__.partition(".")[0]
        if library == "jaxlib":
            library = "jax"
        _LIBRARY_BY_TYPE[kind] = library
    return library


_PYTHON_SCALAR_TYPES = frozenset({bool, int, float, complex})
"""The builtin number types; NumPy's ``float64`` (a ``float`` subclass) is an array scalar."""


def _is_python_scalar(x: Any) -> bool:
    return type(x) in _PYTHON_SCALAR_TYPES


def variable_reader(kind: type) -> Callable[[Any], Any] | None:
    """How to read the array a variable of type ``kind`` holds; ``None`` if ``kind`` is not a
    variable type. Cached per type; a framework the caller has not imported is never imported.

    - ``tf.Variable``, any subclass (distributed and mirrored variables, keras-on-TensorFlow's):
      ``tf.convert_to_tensor``, a read a ``GradientTape`` records, so ``tape.gradient(loss,
      variable)`` works;
    - ``keras.Variable`` on any keras backend: its ``.value`` (read again if that is a
      ``tf.Variable``; a JAX array; a torch ``Parameter``, whose gradient autograd keeps);
    - a torch ``nn.Parameter`` is a ``Tensor``, an array: not a variable here.
    """
    if kind in _READER_BY_TYPE:
        return _READER_BY_TYPE[kind]
    reader: Callable[[Any], Any] | None = None
    tensorflow, keras = sys.modules.get("tensorflow"), sys.modules.get("keras")
    if tensorflow is not None and issubclass(kind, tensorflow.Variable):
        reader = tensorflow.convert_to_tensor
    elif keras is not None and issubclass(kind, keras.Variable):
        reader = _read_keras_variable
    _READER_BY_TYPE[kind] = reader
    return reader


def _read_keras_variable(variable: Any) -> Any:
    value = variable.value
    reader = variable_reader(type(value))
    return value if reader is None else reader(value)


def is_array(x: Any) -> bool:
    """Whether ``x`` is an array of a library :func:`get_namespace` knows (NumPy scalars
    included; Python scalars, ``None``, lists and variables are not)."""
    if variable_reader(type(x)) is not None:
        return False
    try:
        _namespace_of_type(x)
    except TypeError:
        return False
    return True


def _namespace_of_type(x: Any) -> ModuleType:
    kind = type(x)
    namespace = _NAMESPACE_BY_TYPE.get(kind)
    if namespace is None:
        with cache_lock(_NAMESPACE_LOCK):  # checked again: found by another thread meanwhile?
            namespace = _NAMESPACE_BY_TYPE.get(kind)
            if namespace is None:
                namespace = _NAMESPACE_BY_TYPE[kind] = _find_namespace(x)
    return namespace


def _find_namespace(x: Any) -> ModuleType:
    """The namespace of ``x``'s type, found anew (``_namespace_of_type`` caches it)."""
    reader = variable_reader(type(x))
    if reader is not None:
        return _namespace_of_type(reader(x))
    if array_library(x) == "tensorflow":
        from omniloss import _tensorflow

        return _tensorflow
    return array_api_compat.array_namespace(x)


def get_namespace(*arrays: Any, name: str = "get_namespace") -> ModuleType:
    """Return the Array API namespace shared by ``arrays``.

    Python scalars and ``None`` are skipped, so ``get_namespace(x, 0.5, None)`` is the namespace of
    ``x``; with no array at all the NumPy namespace is returned. A variable (``tf.Variable``,
    ``keras.Variable``) gives the namespace of the array it holds.

    Args:
        *arrays: arrays (NumPy, PyTorch, JAX, TensorFlow, array-api-strict, CuPy, Dask),
            variables holding them, Python scalars or ``None``.
        name: the name of the calling function, used in error messages.

    Returns:
        A module following the Array API standard: array-api-compat's wrapper for NumPy, PyTorch,
        CuPy and Dask, ``jax.numpy``, ``array_api_strict``, or ``omniloss._tensorflow``.

    Raises:
        TypeError: if the arrays come from two different libraries, or an argument is not an array.

    Example:
        >>> import numpy as np
        >>> import omniloss as ol
        >>> ol.get_namespace(np.ones(3)).__name__
        'array_api_compat.numpy'
    """
    namespace: ModuleType | None = None
    first: Any = None
    for x in arrays:
        kind = type(x)
        if x is None or kind in _PYTHON_SCALAR_TYPES:
            continue
        candidate = _NAMESPACE_BY_TYPE.get(kind)
        if candidate is None:
            try:
                candidate = _namespace_of_type(x)
            except TypeError:
                raise TypeError(
                    f"{name}: expected arrays or Python scalars, got {kind.__module__}."
                    f"{kind.__qualname__}"
                ) from None
        if namespace is None:
            namespace, first = candidate, x
        elif candidate is not namespace:
            raise TypeError(
                f"{name}: arrays from different libraries in one call: "
                f"{_describe(first)} and {_describe(x)}; convert them to one library first"
            )
    if namespace is None:
        return _namespace_of_type(_numpy_zero())
    return namespace


def _describe(x: Any) -> str:
    return f"{array_library(x)}.{type(x).__name__}"


def _numpy_zero() -> Any:
    import numpy as np

    return np.zeros(())
