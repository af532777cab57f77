"""``omniloss.keras`` on the keras backend ``KERAS_BACKEND`` names: run as
``python -m tests.keras_losses_probe`` (``tests/test_keras_losses.py`` runs it once per keras
backend, each in that backend's session) and prints one JSON line: the backend, the number of
classes checked, the fitted loss histories and every failure.

It checks:

- every class against its function on the first ``omniloss check`` case, for keras's
  ``"sum_over_batch_size"``, ``"sum"`` and ``"none"`` (torch and TensorFlow backends);
- keras's reductions and ``sample_weight`` (per sample, and per time step on 3-d outputs)
  against keras's own classes where keras has the loss with the same conventions;
- ``model.fit`` 3 epochs with our loss against keras's own, with ``sample_weight``: the same
  loss history; the model saved and reloaded (no ``custom_objects``) gives the same loss; the
  same behind a ``Masking`` layer (keras's mask is our ``where``); a mask set on an eager
  tensor, and cleared again, read as keras reads it;
- losses keras lacks: ``GeneralizedBoxIoULoss`` and ``FocalTverskyLoss`` fitted, saved and
  reloaded; ``CTCLoss`` trained through ``compute_loss``, saved in the model's config and
  reloaded;
- the ``mixed_bfloat16`` policy: the loss is computed in float32, as keras's, in a fit too;
- a string or None for ``y_true``: the function's TypeError naming the argument;
- TensorFlow's ``MirroredStrategy``: each replica's mean divided by the replicas, as keras's.
"""

from __future__ import annotations

import inspect
import json
import os
import tempfile
from collections.abc import Callable
from typing import Any

import keras
import numpy as np

import omniloss.keras as ok
from omniloss._adapters import Spec, specs
from omniloss._check import all_cases

FAILURES: list[str] = []
HISTORIES: dict[str, list[float]] = {}


def _numpy(x: Any) -> np.ndarray:
    return np.asarray(keras.ops.convert_to_numpy(x))


def _check(label: str, check: Callable[[], None]) -> None:
    try:
        check()
    except Exception as error:
        FAILURES.append(f"{label}: {type(error).__name__}: {str(error)[:600]}")


def _close(got: Any, want: Any, rtol: float = 2e-5, atol: float = 1e-6) -> None:
    np.testing.assert_allclose(_numpy(got), np.asarray(want), rtol=rtol, atol=atol)


def _float32(value: Any) -> Any:
    if isinstance(value, np.ndarray) and value.dtype == np.float64:
        return value.astype(np.float32)
    if isinstance(value, list | tuple) and value and isinstance(value[0], np.ndarray | list |
                                                                 tuple):
        return type(value)(_float32(item) for item in value)
    return value


def _pack(names: tuple[str, ...], arrays: dict[str, Any]) -> Any:
    if not names:
        return None
    return arrays[names[0]] if len(names) == 1 else tuple(arrays[n] for n in names)


# Every class against its function


def _every_class(spec: Spec) -> int:
    named = spec.entry.classes
    assert named is not None
    signature = inspect.signature(spec.function)
    cases = all_cases()[spec.entry.name](np.random.default_rng(0))
    case = next(c for c in cases if not {"sample_weight", "where"} & set(c.kwargs))
    given = {k: _float32(v) for k, v in signature.bind(*case.args, **case.kwargs).arguments.items()}
    arrays = {k: given[k] for k in spec.arrays}
    options = {k: v for k, v in given.items() if k in spec.options and k != "reduction"}
    y_true, y_pred = _pack(spec.y_true, arrays), _pack(spec.y_pred, arrays)
    own_mean = spec.options["reduction"] if spec.options["reduction"] == "batchmean" else "mean"
    for name in (named.torch, *named.keras):
        cls = getattr(ok, name)
        mean_of_samples = name in named.keras and named.keras_sample_mean
        for reduction, ours in (("sum_over_batch_size", own_mean), ("sum", "sum"),
                                ("none", "none")):
            def compare(cls: Any = cls, reduction: str = reduction, ours: str = ours,
                        mean_of_samples: bool = mean_of_samples) -> None:
                # the case's inputs are laid out for the function's defaults, not keras's
                options_here = {**{k: spec.options[k] for k in cls.keras_defaults}, **options}
                per_sample = mean_of_samples and reduction != "sum_over_batch_size"
                want = spec.function(*(arrays[k] for k in spec.arrays),
                                     reduction="none" if per_sample else ours, **options_here)
                if per_sample:  # keras's one value per sample: the mean over the last axis
                    want = np.mean(want, axis=-1)
                    want = want.sum() if reduction == "sum" else want
                got = cls(reduction=reduction, **options_here)(y_true, y_pred)
                if not keras.ops.is_tensor(got):
                    raise TypeError(f"not a {keras.backend.backend()} tensor: {type(got)}")
                _close(got, want)
                if reduction == "none":  # keras's Loss.call: the unreduced loss
                    _close(cls(**options_here).call(y_true, y_pred), want)
            _check(f"{name} {reduction}", compare)
    return 1 + len(named.keras)


# Reductions and sample weights against keras's own classes


def _against_keras() -> None:
    rng = np.random.default_rng(1)
    n, c = 8, 5
    logits = rng.normal(size=(n, c)).astype("float32")
    probabilities = keras.ops.convert_to_numpy(keras.ops.softmax(logits))
    one_hot = np.eye(c, dtype="float32")[rng.integers(0, c, n)]
    labels = rng.integers(0, c, n)
    ignored = labels.copy()
    ignored[[1, 4]] = -100
    binary = rng.integers(0, 2, (n, c)).astype("float32")
    real = rng.normal(size=(n, c)).astype("float32")
    positive = rng.uniform(0.1, 2.0, (n, c)).astype("float32")
    sequences = rng.normal(size=(n, 3, c)).astype("float32"), rng.normal(size=(n, 3, c)).astype(
        "float32")
    losses = keras.losses
    pairs: list[tuple[str, Any, Any, Any, Any]] = [
        ("MeanSquaredError", ok.MeanSquaredError, losses.MeanSquaredError, real, logits),
        ("MeanSquaredError 3-d", ok.MeanSquaredError, losses.MeanSquaredError, *sequences),
        ("MeanAbsoluteError", ok.MeanAbsoluteError, losses.MeanAbsoluteError, real, logits),
        ("Huber", lambda **k: ok.Huber(delta=0.7, **k), lambda **k: losses.Huber(delta=0.7, **k),
         real, logits),
        ("LogCosh", ok.LogCosh, losses.LogCosh, real, logits),
        ("MeanSquaredLogarithmicError", ok.MeanSquaredLogarithmicError,
         losses.MeanSquaredLogarithmicError, positive, positive[::-1]),
        ("MeanAbsolutePercentageError", ok.MeanAbsolutePercentageError,
         losses.MeanAbsolutePercentageError, positive, logits),
        ("BinaryCrossentropy", ok.BinaryCrossentropy, losses.BinaryCrossentropy, binary,
         probabilities),
        ("Hinge", ok.Hinge, losses.Hinge, binary, logits),
        ("SquaredHinge", ok.SquaredHinge, losses.SquaredHinge, binary, logits),
        ("CategoricalCrossentropy", ok.CategoricalCrossentropy, losses.CategoricalCrossentropy,
         one_hot, probabilities),
        ("CategoricalCrossentropy logits", lambda **k: ok.CategoricalCrossentropy(
            from_logits=True, label_smoothing=0.1, **k), lambda **k: losses.CategoricalCrossentropy(
            from_logits=True, label_smoothing=0.1, **k), one_hot, logits),
        ("SparseCategoricalCrossentropy", lambda **k: ok.SparseCategoricalCrossentropy(
            from_logits=True, **k), lambda **k: losses.SparseCategoricalCrossentropy(
            from_logits=True, **k), labels, logits),
        ("SparseCategoricalCrossentropy ignored", lambda **k: ok.SparseCategoricalCrossentropy(
            from_logits=True, **k), lambda **k: losses.SparseCategoricalCrossentropy(
            from_logits=True, ignore_class=-100, **k), ignored, logits),
        ("CategoricalHinge", ok.CategoricalHinge, losses.CategoricalHinge, one_hot, logits),
        ("CosineSimilarity", ok.CosineSimilarity, losses.CosineSimilarity, real, logits),
        # per sample (axis=None reduces the batch too, where a per-sample weight cannot apply)
        ("Dice", lambda **k: ok.Dice(axis=(1,), **k), lambda **k: losses.Dice(axis=(1,), **k),
         binary, probabilities),
    ]
    weights = {"per sample": rng.uniform(0.0, 2.0, n).astype("float32"), "none": None}
    for label, ours, theirs, y_true, y_pred in pairs:
        for reduction in ("sum_over_batch_size", "mean", "mean_with_sample_weight", "sum",
                          "none", None):
            for weighting, weight in weights.items():
                if label.endswith("3-d") and weight is not None:
                    weight = rng.uniform(0.0, 2.0, (n, 3)).astype("float32")  # per time step

                def compare(ours: Any = ours, theirs: Any = theirs, y_true: Any = y_true,
                            y_pred: Any = y_pred, reduction: Any = reduction,
                            weight: Any = weight) -> None:
                    got = ours(reduction=reduction)(y_true, y_pred, sample_weight=weight)
                    want = theirs(reduction=reduction)(y_true, y_pred, sample_weight=weight)
                    _close(got, want)
                _check(f"{label} {reduction} {weighting} weights", compare)


# Fitting against keras's own losses, saving, reloading


def _model(units: int, activation: str | None = None) -> keras.Model:
    keras.utils.set_random_seed(0)
    inputs = keras.Input((6,))
    hidden = keras.layers.Dense(16, activation="tanh")(inputs)
    return keras.Model(inputs, keras.layers.Dense(units, activation=activation)(hidden))


def _fit(loss: Any, y: np.ndarray, units: int, weight: np.ndarray | None,
         activation: str | None = None, start: list[np.ndarray] | None = None
         ) -> tuple[keras.Model, list[float]]:
    x = np.random.default_rng(2).normal(size=(len(y), 6)).astype("float32")
    model = _model(units, activation)
    if start is not None:
        model.set_weights(start)
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss=loss)
    history = model.fit(x, y, sample_weight=weight, epochs=3, batch_size=16, shuffle=False,
                        verbose=0)
    return model, [float(v) for v in history.history["loss"]]


def _fits(directory: str) -> None:
    rng = np.random.default_rng(3)
    n = 64
    weight = rng.uniform(0.2, 2.0, n).astype("float32")
    labels = rng.integers(0, 5, n)
    cases: list[tuple[str, Any, Any, np.ndarray, int, str | None]] = [
        ("MeanSquaredError", ok.MeanSquaredError(), keras.losses.MeanSquaredError(),
         rng.normal(size=(n, 5)).astype("float32"), 5, None),
        ("SparseCategoricalCrossentropy", ok.SparseCategoricalCrossentropy(from_logits=True),
         keras.losses.SparseCategoricalCrossentropy(from_logits=True), labels, 5, None),
        ("CategoricalCrossentropy", ok.CategoricalCrossentropy(label_smoothing=0.1),
         keras.losses.CategoricalCrossentropy(label_smoothing=0.1),
         np.eye(5, dtype="float32")[labels], 5, "softmax"),
    ]
    for label, ours, theirs, y, units, activation in cases:
        def fit(ours: Any = ours, theirs: Any = theirs, y: np.ndarray = y, units: int = units,
                activation: str | None = activation, label: str = label) -> None:
            start = _model(units, activation).get_weights()
            model, got = _fit(ours, y, units, weight, activation, start)
            _, want = _fit(theirs, y, units, weight, activation, start)
            HISTORIES[label] = got
            np.testing.assert_allclose(got, want, rtol=1e-5)
            if not got[-1] < got[0]:
                raise AssertionError(f"did not train: {got}")
            _round_trip(model, y, weight, type(ours), directory, label)
        _check(f"fit {label}", fit)


def _masked_fit() -> None:
    """Padded sequences behind a ``Masking`` layer: keras's mask reaches our loss as ``where``
    (the padded steps count nowhere), the same history as keras's own loss (keras's own fails
    with per-sample weights and a per-step mask together: it multiplies (N,) by (N, T))."""
    rng = np.random.default_rng(7)
    n, t = 32, 6
    x = rng.normal(size=(n, t, 3)).astype("float32")
    lengths = rng.integers(2, t + 1, n)
    x[np.arange(t)[None, :] >= lengths[:, None]] = 0.0  # padding
    y = rng.normal(size=(n, t, 2)).astype("float32")

    def fit(loss: Any) -> list[float]:
        keras.utils.set_random_seed(0)
        inputs = keras.Input((t, 3))
        masked = keras.layers.Masking(0.0)(inputs)
        outputs = keras.layers.TimeDistributed(keras.layers.Dense(2))(masked)
        model = keras.Model(inputs, outputs)
        model.compile(optimizer=keras.optimizers.SGD(0.1), loss=loss)
        history = model.fit(x, y, epochs=3, batch_size=8, shuffle=False, verbose=0)
        return [float(v) for v in history.history["loss"]]

    got, want = fit(ok.MeanSquaredError()), fit(keras.losses.MeanSquaredError())
    HISTORIES["MeanSquaredError masked"] = got
    np.testing.assert_allclose(got, want, rtol=1e-5)
    unmasked = keras.losses.MeanSquaredError()(y, np.zeros_like(y))
    if abs(got[0] - float(_numpy(unmasked))) < 1e-3:
        raise AssertionError("the mask made no difference")


def _eager_mask() -> None:
    """A keras mask set on an eager tensor (an attribute of each backend's tensors, which the
    classes read in the tensor's ``__dict__``) weighs the loss as keras's own loss; cleared
    again, it weighs nothing."""
    from keras.src.backend import set_keras_mask

    rng = np.random.default_rng(9)
    y_true, y_pred = (keras.ops.convert_to_tensor(rng.normal(size=(4, 5, 2)).astype("float32"))
                      for _ in range(2))
    set_keras_mask(y_pred, keras.ops.convert_to_tensor(rng.uniform(size=(4, 5)) > 0.4))
    ours, theirs = ok.MeanSquaredError(), keras.losses.MeanSquaredError()
    masked = ours(y_true, y_pred)
    _close(masked, theirs(y_true, y_pred))
    set_keras_mask(y_pred, None)
    unmasked = np.mean((_numpy(y_pred) - _numpy(y_true)) ** 2)
    _close(ours(y_true, y_pred), unmasked)
    if abs(float(_numpy(masked)) - unmasked) < 1e-3:
        raise AssertionError("the mask made no difference")


def _round_trip(model: keras.Model, y: np.ndarray, weight: np.ndarray | None, cls: type,
                directory: str, label: str) -> None:
    """Save, reload without ``custom_objects``, and evaluate: the same loss, loss class and
    loss config (every option carried)."""
    x = np.random.default_rng(2).normal(size=(len(y), 6)).astype("float32")
    path = os.path.join(directory, f"{label.replace(' ', '_')}.keras")
    model.save(path)
    loaded = keras.models.load_model(path)
    if type(loaded.loss) is not cls:
        raise AssertionError(f"reloaded loss is {type(loaded.loss)}, not {cls}")
    if loaded.loss.get_config() != model.loss.get_config():
        raise AssertionError(f"reloaded config {loaded.loss.get_config()} != "
                             f"{model.loss.get_config()}")
    want = model.evaluate(x, y, sample_weight=weight, verbose=0)
    np.testing.assert_allclose(loaded.evaluate(x, y, sample_weight=weight, verbose=0), want,
                               rtol=1e-6)


def _boxes(directory: str) -> None:
    """``GeneralizedBoxIoULoss`` (keras has none): fit, save, reload."""
    rng = np.random.default_rng(4)
    corner = rng.uniform(0.0, 1.0, (64, 2))
    y = np.concatenate([corner, corner + rng.uniform(0.5, 1.5, (64, 2))], 1).astype("float32")
    keras.utils.set_random_seed(0)
    inputs = keras.Input((6,))
    boxes = keras.layers.Dense(4, kernel_initializer=keras.initializers.RandomNormal(0, 0.01),
                               bias_initializer=keras.initializers.Constant([0, 0, 1, 1]))(inputs)
    model = keras.Model(inputs, boxes)
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss=ok.GeneralizedBoxIoULoss())
    x = np.random.default_rng(2).normal(size=(64, 6)).astype("float32")
    history = model.fit(x, y, epochs=3, batch_size=16, shuffle=False, verbose=0).history["loss"]
    HISTORIES["GeneralizedBoxIoULoss"] = [float(v) for v in history]
    if not (np.all(np.isfinite(history)) and history[-1] < history[0]):
        raise AssertionError(f"did not train: {history}")
    _round_trip(model, y, None, ok.GeneralizedBoxIoULoss, directory, "giou")


def _focal_tversky(directory: str) -> None:
    """``FocalTverskyLoss`` (keras has none): a sigmoid segmentation head fitted, saved and
    reloaded, its options (the paper's gamma, per-sample sums) carried by the saved config."""
    rng = np.random.default_rng(5)
    x = rng.normal(size=(64, 6)).astype("float32")
    y = (x[:, :4] + rng.normal(scale=0.5, size=(64, 4)) > 0).astype("float32")
    keras.utils.set_random_seed(0)
    inputs = keras.Input((6,))
    model = keras.Model(inputs, keras.layers.Dense(4, activation="sigmoid")(inputs))
    model.compile(optimizer=keras.optimizers.SGD(0.5),
                  loss=ok.FocalTverskyLoss(alpha=0.3, beta=0.7, gamma=0.75, axis=1))
    history = model.fit(x, y, epochs=3, batch_size=16, shuffle=False, verbose=0).history["loss"]
    HISTORIES["FocalTverskyLoss"] = [float(v) for v in history]
    if not (np.all(np.isfinite(history)) and history[-1] < history[0]):
        raise AssertionError(f"did not train: {history}")
    _round_trip(model, y, None, ok.FocalTverskyLoss, directory, "focal tversky")


@keras.saving.register_keras_serializable(package="omniloss_probe")
class CTCModel(keras.Model):  # type: ignore[misc]
    """Frames in, log-probabilities out; the loss, part of the model's config, reads the
    lengths from ``y``."""

    def __init__(self, ctc: Any = None, **kwargs: Any) -> None:
        super().__init__(**{"name": "ctc_model", **kwargs})  # TF's scopes refuse "_ctc_model"
        self.dense = keras.layers.Dense(5)
        self.ctc = ctc if ctc is not None else ok.CTCLoss(zero_infinity=True)

    def call(self, x: Any) -> Any:
        return keras.ops.log_softmax(self.dense(x), axis=-1)

    def compute_loss(self, x: Any = None, y: Any = None, y_pred: Any = None,
                     sample_weight: Any = None, training: bool = True) -> Any:
        return self.ctc(y, keras.ops.transpose(y_pred, (1, 0, 2)))  # time-major, as ctc_loss

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "ctc": keras.saving.serialize_keras_object(self.ctc)}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> CTCModel:
        ctc = keras.saving.deserialize_keras_object(config.pop("ctc"))
        return cls(ctc=ctc, **config)


def _ctc(directory: str) -> None:
    """``CTCLoss`` (keras's ``CTC`` has other conventions): trains through ``compute_loss``;
    the model, the loss in its config, is saved and reloaded (the loss's options through the
    ``.keras`` file) and evaluates to the same loss."""
    rng = np.random.default_rng(5)
    n, t = 32, 12
    x = rng.normal(size=(n, t, 6)).astype("float32")
    targets = rng.integers(1, 5, (n, 4))
    y = (targets, np.full(n, t), rng.integers(1, 5, n))
    keras.utils.set_random_seed(0)
    model = CTCModel(ctc=ok.CTCLoss(zero_infinity=True, blank=0))
    model.compile(optimizer=keras.optimizers.SGD(0.5))
    history = model.fit(x, y, epochs=3, batch_size=8, shuffle=False, verbose=0).history["loss"]
    HISTORIES["CTCLoss"] = [float(v) for v in history]
    if not (np.all(np.isfinite(history)) and history[-1] < history[0]):
        raise AssertionError(f"did not train: {history}")
    path = os.path.join(directory, "ctc.keras")
    model.save(path)
    loaded = keras.models.load_model(path)
    if type(loaded.ctc) is not ok.CTCLoss or loaded.ctc.get_config() != model.ctc.get_config():
        raise AssertionError(f"the loss did not round-trip: {loaded.ctc.get_config()}")
    np.testing.assert_allclose(loaded.evaluate(x, y, batch_size=8, verbose=0),
                               model.evaluate(x, y, batch_size=8, verbose=0), rtol=1e-6)


def _mixed_precision() -> None:
    """Under ``mixed_bfloat16`` the loss's dtype is float32 and it is computed there; a fit
    matches keras's own loss under the same policy."""
    keras.config.set_dtype_policy("mixed_bfloat16")
    try:
        loss = ok.MeanSquaredError()
        if loss.dtype != "float32":
            raise AssertionError(f"dtype {loss.dtype}")
        rng = np.random.default_rng(6)
        y_pred = keras.ops.cast(rng.normal(size=(4, 3)), "bfloat16")
        y_true = rng.normal(size=(4, 3)).astype("float32")
        got = loss(y_true, y_pred)
        if keras.backend.standardize_dtype(got.dtype) != "float32":
            raise AssertionError(f"computed in {got.dtype}")
        want = np.mean((_numpy(keras.ops.cast(y_pred, "float32")) - y_true) ** 2)
        _close(got, want)
        y = rng.normal(size=(64, 5)).astype("float32")
        start = _model(5).get_weights()
        _, ours = _fit(ok.MeanSquaredError(), y, 5, None, start=start)
        _, theirs = _fit(keras.losses.MeanSquaredError(), y, 5, None, start=start)
        np.testing.assert_allclose(ours, theirs, rtol=1e-5)
    finally:
        keras.config.set_dtype_policy("float32")


def _bad_inputs() -> None:
    """A string or None where an array belongs is the function's TypeError naming the
    argument (keras's conversion is not tried on it)."""
    y_pred = keras.ops.ones((2, 3))
    for bad in ("abc", None):
        try:
            ok.MeanSquaredError()(bad, y_pred)
        except TypeError as error:
            if not str(error).startswith("mse_loss: target"):
                raise AssertionError(f"unclear error for {bad!r}: {error}") from error
        else:
            raise AssertionError(f"no error for y_true={bad!r}")


def _distributed() -> None:
    """TensorFlow: under a ``MirroredStrategy`` of two replicas each replica's mean is divided by
    two, as keras's (keras sums the replicas' gradients)."""
    import tensorflow as tf

    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    rng = np.random.default_rng(8)
    y_true, y_pred = (tf.constant(rng.normal(size=(4, 3)), tf.float32) for _ in range(2))
    with strategy.scope():
        ours, theirs = ok.MeanSquaredError(), keras.losses.MeanSquaredError()
    results = strategy.run(lambda: (ours(y_true, y_pred), theirs(y_true, y_pred)))
    got, want = (strategy.experimental_local_results(r) for r in results)
    if len(got) != 2:
        raise AssertionError(f"{len(got)} replicas")
    for g, w in zip(got, want, strict=True):
        _close(g, w)
    _close(got[0], np.mean((_numpy(y_pred) - _numpy(y_true)) ** 2) / 2)


def main() -> None:
    backend = keras.backend.backend()
    if backend == "tensorflow":  # two logical CPUs, before TF starts
        import tensorflow as tf

        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    classes = 0
    # The classes' glue is the same Python on every backend; eager JAX compiles each new op
    # shape (25 s here, against 1 s on torch or TensorFlow), so JAX runs the checks below only.
    for spec in specs() if backend != "jax" else ():
        classes += _every_class(spec)
    _against_keras()
    with tempfile.TemporaryDirectory() as directory:
        _fits(directory)
        _check("GeneralizedBoxIoULoss fit", lambda: _boxes(directory))
        _check("FocalTverskyLoss fit", lambda: _focal_tversky(directory))
        _check("CTCLoss fit", lambda: _ctc(directory))
    _check("masked fit", _masked_fit)
    _check("eager mask", _eager_mask)
    _check("mixed_bfloat16", _mixed_precision)
    _check("bad inputs", _bad_inputs)
    if keras.backend.backend() == "tensorflow":
        _check("MirroredStrategy", _distributed)
    print(json.dumps({"backend": keras.backend.backend(), "classes": classes,
                      "histories": HISTORIES, "failures": FAILURES}))


if __name__ == "__main__":
    main()
