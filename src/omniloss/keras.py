"""``keras.losses.Loss`` classes for every loss, generated from the catalogue: the same numbers on
each keras backend (JAX, torch, TensorFlow).

Each loss has a class named as in :mod:`omniloss.torch` (``CrossEntropyLoss``, ``CTCLoss``,
``GeneralizedBoxIoULoss``, ...), with the function's options and defaults, and, where keras has
the loss with the same meaning, keras's name too (``MeanSquaredError``, ``Huber``,
``CategoricalCrossentropy`` and ``SparseCategoricalCrossentropy`` with keras's defaults
``from_logits=False, axis=-1``, ``Dice``, ...); ``omniloss list`` shows every name.

They are called as keras calls a loss, ``loss(y_true, y_pred, sample_weight=None)``:

- ``y_pred`` is the function's prediction (``input``, logits, boxes); ``y_true`` its target. A
  loss of more arrays takes tuples: ``GaussianNLLLoss`` reads ``y_pred=(input, var)``,
  ``CTCLoss`` reads ``y_true=(targets, input_lengths, target_lengths)`` and ``y_pred=log_probs``
  (time-major, as ``ctc_loss``); a loss with no target (``GANGeneratorLoss``) takes
  ``y_true=None``. Each class's docstring says which.
- ``reduction`` takes keras's names with keras's meanings: ``"sum_over_batch_size"`` (the
  default) and ``"mean"`` divide the weighted sum by the number of positions of the unreduced loss
  (the function's own divisor where it has one: the non-ignored targets, torch's class weights;
  ``"batchmean"`` losses by the number of samples), ``"mean_with_sample_weight"`` by the summed
  weights (the function's ``"mean"``), ``"sum"``, and ``"none"``/``None``, which returns the
  function's unreduced loss. Keras's classes of elementwise losses return one value per sample,
  the mean over the last axis; so do this module's classes named as keras's (``MeanSquaredError``,
  ``Huber``, ``BinaryCrossentropy``, ...), for ``"none"`` and ``"sum"``, while the others
  (``MSELoss``) keep the function's elementwise loss. The means are the same either way.
- ``sample_weight`` is the function's ``sample_weight``, aligned with the unreduced loss's leading
  axes as keras aligns it (a weight per sample weights each of its elements); a keras mask on
  ``y_pred`` is the function's ``where``.
- Floating inputs are cast to the loss's ``dtype`` (float32 unless given, so under the
  ``mixed_bfloat16`` policy the loss is computed in float32, as keras's losses are); integer class
  ids and lengths keep their dtype. Inputs that are not the backend's tensors (NumPy arrays) are
  converted to them, as keras does.
- Under a ``tf.distribute`` strategy the means are divided by the number of replicas, as keras's
  are (keras then sums the replicas' gradients).
- ``get_config``/``from_config`` carry every option (tensors as nested lists); each class is
  registered with keras (package ``omniloss``), so a saved ``.keras`` model reloads without
  ``custom_objects`` once this module is imported.

Importing this module imports keras (and through it its backend), no other framework.

>>> import numpy as np
>>> from omniloss.keras import SparseCategoricalCrossentropy
>>> loss = SparseCategoricalCrossentropy(from_logits=True)
>>> value = loss(np.array([0, 2]), np.zeros((2, 3), dtype="float32"))
>>> round(float(value), 4)
1.0986
"""

from __future__ import annotations

import copy
from typing import Any, ClassVar

import keras
from keras.src.backend import get_keras_mask  # what keras's Loss reads
from keras.src.losses.loss import scale_loss_for_distribution

from omniloss._adapters import Spec, no_attribute, specs
from omniloss._dispatch import is_array
from omniloss._reduction import keras_weights

__all__ = ["OmnilossLoss"]

_NATIVE: set[type] = set()
"""Types seen to be the keras backend's tensors (tracers included): one set lookup each."""

_DTYPES: dict[int, Any] = {}
"""Every dtype object read, by ``id``, kept alive: an id in a loss's ``_as_is`` never comes to
name another dtype. By ``id`` because TensorFlow's dtypes hash in Python (0.6 µs a lookup)."""


if keras.backend.backend() == "tensorflow":
    from tensorflow.python.framework.ops import get_default_graph


def _strategy_in_scope() -> bool:
    """Whether a ``tf.distribute`` strategy is in scope: only there do keras's means divide by
    its replicas. Keras's ``scale_loss_for_distribution`` asks ``tf.distribute.get_strategy()``
    (1.1 µs a call, most of it an IndexError raised and caught when no strategy is); this reads
    the stack that call reads (0.5 µs) and leaves the division to keras. Where a TensorFlow
    lacks that stack it answers True, and keras decides."""
    return bool(getattr(get_default_graph(), "_distribution_strategy_stack", True))


def _is_tensor(value: Any) -> bool:
    return value is not None and not isinstance(value, (int, float))


class OmnilossLoss(keras.losses.Loss):  # type: ignore[misc]  # keras's types are absent for mypy
    """The base of every generated ``Loss``: options at construction, keras's call."""

    spec: ClassVar[Spec]
    keras_defaults: ClassVar[dict[str, Any]] = {}
    sample_mean: ClassVar[bool] = False
    """Keras's per-sample values (the mean over the last axis) for ``"none"`` and ``"sum"``."""

    def __init__(self, *, reduction: str | None = "sum_over_batch_size", name: str | None = None,
                 dtype: Any = None, **options: Any) -> None:
        super().__init__(name=name, reduction=reduction, dtype=dtype)  # keras checks reduction
        values = self.spec.bind(type(self).__name__, options, self.keras_defaults)
        own_mean = self.spec.options["reduction"]
        mean = own_mean if own_mean in ("mean", "batchmean") else "mean"
        ours = {"sum_over_batch_size": mean, "mean": mean, "mean_with_sample_weight": mean,
                "sum": "sum"}
        self._count = reduction in ("sum_over_batch_size", "mean")
        # keras's means divide by the replicas of a tf.distribute strategy (1 elsewhere)
        self._replicas = (reduction in ("sum_over_batch_size", "mean", "mean_with_sample_weight")
                          and keras.backend.backend() == "tensorflow")
        self._compute: str = self.dtype
        self._as_is: set[int] = set()  # ids of the dtypes read uncast: not floating, or _compute
        del values["reduction"]  # keras's reduction (above) stands for the function's
        self._values = {name: keras.ops.convert_to_tensor(value)
                        if name in self.spec.array_options and _is_tensor(value) else value
                        for name, value in values.items()}
        # only what differs from the function's defaults is passed (each keyword costs), in
        # one dict per reduction: the call splats it, with no keyword merged into it
        options = {name: value for name, value in self._values.items()
                   if (name in self.spec.array_options and value is not None)
                   or value != self.spec.options[name]}
        self._keywords_by_reduction = {
            own: options if own == own_mean else {**options, "reduction": own}
            for own in {mean, "sum", "none"}}
        self._plain = len(self.spec.arrays) == 2 and self.spec.y_true == self.spec.arrays[1:]
        self._function = self.spec.function
        self._reduce_as(ours.get(reduction or "none", "none"))

    def _reduce_as(self, reduction: str) -> None:
        """Settle what a call computes for the function's ``reduction``: the keywords it passes,
        and whether the function's result is the answer (else :meth:`_finish` makes it)."""
        self._reduction = reduction
        self._per_sample = self.sample_mean and reduction != "mean"
        self._keywords = self._keywords_by_reduction["none" if self._per_sample else reduction]
        self._finished = not self._per_sample and not (self._replicas and reduction != "none")

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> Any:
        """The reduced loss (see the module's docstring for the conventions)."""
        as_is = self._as_is
        if (self._plain and type(y_pred) in _NATIVE and type(y_true) in _NATIVE
                and id(y_pred.dtype) in as_is and id(y_true.dtype) in as_is):
            arrays = (y_pred, y_true)  # what _read returns for them, without its two calls
        elif self._plain:
            arrays = (self._read(y_pred), self._read(y_true))
        else:
            given = {**self._split("y_pred", self.spec.y_pred, y_pred),
                     **self._split("y_true", self.spec.y_true, y_true)}
            arrays = tuple([self._read(given[name]) for name in self.spec.arrays])
        # keras's mask, which keras sets as an attribute where the tensor takes attributes
        # (torch, TensorFlow and JAX arrays): read in the tensor's __dict__, as getattr on a
        # TensorFlow tensor without one raises through TensorFlow's __getattr__ (1.6 µs);
        # tensors without a __dict__ (JAX tracers) have theirs in keras's table
        try:
            mask = y_pred.__dict__.get("_keras_mask")
        except AttributeError:
            mask = get_keras_mask(y_pred)
        if sample_weight is None and mask is None:
            loss = self._function(*arrays, **self._keywords)
        else:
            with keras_weights(self._count):
                loss = self._function(*arrays, where=mask, **self._keywords,
                                      sample_weight=self._read(sample_weight, cast=False))
        return loss if self._finished else self._finish(loss)

    def _finish(self, loss: Any) -> Any:
        """Keras's division by a strategy's replicas, and its per-sample means."""
        if self._replicas and self._reduction != "none" and _strategy_in_scope():
            loss = scale_loss_for_distribution(loss)
        if not self._per_sample:
            return loss
        means = keras.ops.mean(loss, axis=-1)  # keras's one value per sample
        return means if self._reduction == "none" else keras.ops.sum(means)

    def call(self, y_true: Any, y_pred: Any) -> Any:
        """The unreduced loss, what ``reduction="none"`` gives (keras's ``Loss.call``), from a
        copy of this loss set to ``"none"``: the call above reads no reduction."""
        unreduced = copy.copy(self)
        unreduced._reduce_as("none")
        return unreduced(y_true, y_pred)

    def _split(self, argument: str, names: tuple[str, ...], value: Any) -> dict[str, Any]:
        if not names:
            if value is not None:
                raise TypeError(f"{type(self).__name__}: {argument} must be None (the loss reads "
                                f"only {', '.join(self.spec.arrays)}); got {type(value).__name__}")
            return {}
        if len(names) == 1:
            return {names[0]: value}
        if not isinstance(value, (list, tuple)) or len(value) != len(names):
            raise TypeError(f"{type(self).__name__}: {argument} must be a tuple "
                            f"({', '.join(names)}); got {type(value).__name__}")
        return dict(zip(names, value, strict=True))

    def _read(self, value: Any, cast: bool = True) -> Any:
        """``value`` as the backend's tensor, floating ones in the loss's dtype; numbers,
        ``None`` and lists of them pass, items of lists are read."""
        if type(value) not in _NATIVE:
            if not _is_tensor(value):
                return value
            if isinstance(value, (list, tuple)):
                return type(value)(self._read(item, cast) for item in value)
            if not keras.ops.is_tensor(value):
                if not is_array(value):  # a variable is read, anything else refused, by the
                    return value         # function, with its own error naming the argument
                value = keras.ops.convert_to_tensor(value)
            _NATIVE.add(type(value))
        if cast and id(value.dtype) not in self._as_is:
            dtype = value.dtype
            name = keras.backend.standardize_dtype(dtype)
            if "float" in name and name != self._compute:
                return keras.ops.cast(value, self._compute)
            _DTYPES[id(dtype)] = dtype
            self._as_is.add(id(dtype))
        return value

    def get_config(self) -> dict[str, Any]:
        """Keras's config (name, reduction, dtype) and every option; tensors as nested lists."""
        config: dict[str, Any] = {**super().get_config(), "dtype": self.dtype}
        for name, value in self._values.items():
            config[name] = (keras.ops.convert_to_numpy(value).tolist()
                            if name in self.spec.array_options and _is_tensor(value) else value)
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> OmnilossLoss:
        """The loss :meth:`get_config` describes (JSON's lists read back as tuples where an
        option holds no array)."""
        options: dict[str, Any] = {
            name: tuple(value) if isinstance(value, list) and name not in cls.spec.array_options
            else value for name, value in config.items()}
        return cls(**options)


def _generate(spec: Spec, name: str, defaults: dict[str, Any],
              sample_mean: bool = False) -> type[OmnilossLoss]:
    pred = ", ".join(spec.y_pred)
    true = ", ".join(spec.y_true) or "None"
    y_pred = f"({pred})" if len(spec.y_pred) > 1 else pred
    y_true = f"({true})" if len(spec.y_true) > 1 else true
    call = f"loss(y_true={y_true}, y_pred={y_pred}, sample_weight=None)"
    cls = type(name, (OmnilossLoss,), {
        "spec": spec, "keras_defaults": defaults, "sample_mean": sample_mean,
        "__module__": __name__, "__qualname__": name,
        "__doc__": spec.doc(name, call, "``keras.losses.Loss``") + (
            f"\nKeras's defaults: {defaults}.\n" if defaults else "") + (
            '\nAs keras, ``"none"`` gives one value per sample (the mean over the last axis) and '
            '``"sum"`` their sum.\n' if sample_mean else "")})
    registered: type[OmnilossLoss] = keras.saving.register_keras_serializable(
        package="omniloss", name=name)(cls)
    return registered


def _classes() -> dict[str, type[OmnilossLoss]]:
    classes = {}
    for spec in specs():
        named = spec.entry.classes
        assert named is not None  # specs() yields only the losses that have classes
        classes[named.torch] = _generate(spec, named.torch, {})
        for name in named.keras:
            classes[name] = _generate(spec, name, dict(named.keras_defaults),
                                      named.keras_sample_mean)
    return classes


_CLASSES = _classes()
globals().update(_CLASSES)
__all__ += sorted(_CLASSES)


def __getattr__(name: str) -> type[OmnilossLoss]:
    """Typed access to the generated classes (mypy sees them through this), and an error that
    suggests the closest name."""
    raise no_attribute(__name__, name, _CLASSES)
