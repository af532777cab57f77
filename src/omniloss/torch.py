"""``torch.nn.Module`` classes for every loss, generated from the catalogue.

Each class is named as torch names the loss where torch has it (``CrossEntropyLoss``,
``TripletMarginLoss``, ``CTCLoss``, ...) and in the same style elsewhere (``DiceLoss``,
``GeneralizedBoxIoULoss``, ...); ``omniloss list`` shows every name. The constructor takes the
function's options, keyword-only, with the function's defaults; an option given as a tensor
(class ``weight``, ``pos_weight``, ``linear_bias``) is a registered buffer, so ``.to()``,
``.half()`` and ``state_dict()`` carry it. ``forward`` takes the function's arrays, positional or
by name, and ``sample_weight=`` and ``where=``; it returns ``omniloss.<function>(...)``, the same
numbers and gradients, and runs under ``torch.compile``. Importing this module imports torch (and
no other framework).

>>> import torch
>>> from omniloss.torch import CrossEntropyLoss
>>> criterion = CrossEntropyLoss(weight=torch.tensor([1.0, 2.0, 1.0]), label_smoothing=0.1)
>>> criterion
CrossEntropyLoss(label_smoothing=0.1, weight=Tensor[3])
>>> logits, labels = torch.zeros(4, 3, requires_grad=True), torch.tensor([0, 1, 2, 1])
>>> loss = criterion(logits, labels)
>>> loss.backward()
>>> round(loss.item(), 4)  # torch.nn.CrossEntropyLoss's number
1.0864
"""

from __future__ import annotations

import functools
from typing import Any, ClassVar

import torch

from omniloss._adapters import Spec, no_attribute, specs

__all__ = ["LossModule"]


class LossModule(torch.nn.Module):  # type: ignore[misc]  # torch's types are absent for mypy
    """The base of every generated module: options at construction, arrays at each call."""

    spec: ClassVar[Spec]

    def __init__(self, **options: Any) -> None:
        super().__init__()
        values = self.spec.bind(type(self).__name__, options)
        tensors = {name: value for name, value in values.items()
                   if name in self.spec.array_options and not isinstance(value, (int, float))}
        for name, value in tensors.items():  # None too, as torch registers an absent weight
            self.register_buffer(name, None if value is None else torch.as_tensor(value))
        self._tensors = tuple(tensors)
        self._values = {name: value for name, value in values.items() if name not in tensors}
        # only what differs from the function's defaults is passed: fewer keywords per call
        self._options = {name: value for name, value in self._values.items()
                         if value != self.spec.options[name]}
        self._call = functools.partial(self.spec.function, **self._options)

    def forward(self, *arrays: Any, **named: Any) -> Any:
        """``omniloss.<function>(*arrays, **named, **options)``: ``named`` holds arrays given
        by name and ``sample_weight``/``where``."""
        # the buffers are read at each call (.to() and load_state_dict replace them); a plain
        # loop and the options bound once: about 1 us a call less than a dict built each time
        # (benchmarks/classes.py's wrapper-alone row)
        buffers = self._buffers
        for name in self._tensors:
            if buffers[name] is not None:
                present = {buffer: tensor for buffer in self._tensors
                           if (tensor := buffers[buffer]) is not None}
                return self._call(*arrays, **named, **present)
        return self._call(*arrays, **named)

    def __getattr__(self, name: str) -> Any:
        """The options read as attributes (``criterion.reduction``), as torch's modules have
        them; buffers are ``nn.Module``'s."""
        values = self.__dict__.get("_values", {})
        if name in values:
            return values[name]
        return super().__getattr__(name)

    def __setattr__(self, name: str, value: Any) -> None:
        """Options are fixed at construction (a new value would be silently ignored by a
        compiled graph): setting one is an ``AttributeError``; buffers take new tensors."""
        if name in self.__dict__.get("_values", {}):
            raise AttributeError(f"{type(self).__name__}: options are fixed at construction; "
                                 f"build a new module for another {name}")
        super().__setattr__(name, value)

    def extra_repr(self) -> str:
        """The options that differ from the function's defaults, and the tensors' shapes."""
        shown = [f"{name}={value!r}" for name, value in self._options.items()]
        shown += [f"{name}=Tensor{list(tensor.shape)}" for name in self._tensors
                  if (tensor := self._buffers[name]) is not None]
        return ", ".join(shown)


def _generate(spec: Spec) -> type[LossModule]:
    name = spec.entry.classes.torch  # type: ignore[union-attr]  # every spec has classes
    call = f"module({', '.join(spec.arrays)}, sample_weight=None, where=None)"
    return type(name, (LossModule,), {
        "spec": spec, "__module__": __name__, "__qualname__": name,
        "__doc__": spec.doc(name, call, "``torch.nn.Module``")})


_CLASSES = {cls.__name__: cls for cls in map(_generate, specs())}
globals().update(_CLASSES)
__all__ += sorted(_CLASSES)


def __getattr__(name: str) -> type[LossModule]:
    """Typed access to the generated classes (mypy sees them through this), and an error that
    suggests the closest name."""
    raise no_attribute(__name__, name, _CLASSES)
