"""The figures drawn at build time: each function's sweep on every installed backend, and the
benchmark ratios.

A sweep is computed by omniloss on each backend from the same float64 inputs. Backends with
autodiff (torch, JAX, TensorFlow) also give the derivative along the sweep; NumPy,
array-api-strict and Dask have none, so they appear in the value panel only (no finite
differences: the gradient panel shows autodiff alone).
"""

from __future__ import annotations

import multiprocessing
import os
import re
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import matplotlib
import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

import omniloss as ol
from omniloss.testing import BACKENDS, Backend

from .sweeps import SWEEPS, Inputs, Sweep

# SVG with its text as text (smaller, selectable) and ids that do not change between builds
_SVG = {"svg.fonttype": "none", "svg.hashsalt": "omniloss"}

POINTS = 121  # per sweep: kinks stay sharp
# Dask builds a graph of a few milliseconds per operation at every call (a box loss: 0.4 s per
# point), so its curve is sampled at every eighth point and drawn as markers on the others'
# line (a line through fewer points would cut the corners of a kink and seem to disagree).
DASK_STRIDE = 8

# Each backend's line: the NumPy reference is a wide pale band; the others are short dashes of
# one period, each shifted by its own phase, so that coinciding curves alternate colours along
# one line, and a curve that left the others would show as a dashed line of its own.
_PERIOD = 16.0  # four dashed backends, a dash of 4 points each
_STYLE = {
    "numpy": {"color": "#9ecae1", "linewidth": 6.0, "linestyle": "-", "solid_capstyle": "butt"},
    **{name: {"color": color, "linewidth": 2.0, "linestyle": (phase, (4.0, _PERIOD - 4.0))}
       for name, color, phase in (("array_api_strict", "#636363", 0.0),
                                  ("torch", "#e6550d", 4.0), ("jax", "#31a354", 8.0),
                                  ("tensorflow", "#756bb1", 12.0))},
    "dask": {"color": "#d6616b", "linestyle": "", "marker": "o", "markersize": 4.0,
             "markerfacecolor": "none", "markeredgewidth": 1.2},
}
LABELS = {"numpy": "NumPy", "array_api_strict": "array-api-strict", "torch": "PyTorch",
          "jax": "JAX", "tensorflow": "TensorFlow", "dask": "Dask"}


@dataclass
class Curve:
    backend: str
    ts: np.ndarray
    values: np.ndarray
    gradients: np.ndarray | None  # None without autodiff


def _scalar(function: Callable[..., Any], sweep: Sweep, backend: Backend) -> Callable[[Any], Any]:
    """``t -> function(*arguments)[pick]`` on ``backend``."""
    def value(t: Any) -> Any:
        return function(*sweep.arguments(Inputs(backend, t)), **sweep.options)[sweep.pick]
    return value


def _jax_step(value: Callable[[Any], Any], backend: Backend) -> Callable[[float], Any]:
    jax = backend.lib()
    step = jax.jit(jax.value_and_grad(value))
    return lambda t: step(jax.numpy.asarray(t))


def _tensorflow_step(value: Callable[[Any], Any], backend: Backend) -> Callable[[float], Any]:
    tf = backend.lib()

    @tf.function(autograph=False)  # the sweep is trace-safe, as every omniloss function
    def step(t: Any) -> tuple[Any, Any]:
        with tf.GradientTape() as tape:
            tape.watch(t)
            result = value(t)
        return result, tape.gradient(result, t,
                                     unconnected_gradients=tf.UnconnectedGradients.ZERO)

    return lambda t: step(tf.constant(t, tf.float64))


def _torch_step(value: Callable[[Any], Any], backend: Backend) -> Callable[[float], Any]:
    def step(t: float) -> tuple[Any, list[Any]]:
        result, (gradient,) = backend.value_and_grad(value, [np.array(t)], [0])
        return result, gradient
    return step


# The value and its derivative at one point, on each autodiff backend: JAX and TensorFlow
# trace the sweep once and call it at every point (the kit's ``value_and_grad`` would compile
# or run eagerly once per point: minutes over the catalogue).
_STEPS = {"jax": _jax_step, "tensorflow": _tensorflow_step, "torch": _torch_step}


def sweep_curve(function: Callable[..., Any], sweep: Sweep, backend: Backend) -> Curve:
    """The sweep on one backend: values, and derivatives where it has autodiff."""
    ts = sweep.points(POINTS)
    value = _scalar(function, sweep, backend)
    if backend.name in _STEPS:
        step = _STEPS[backend.name](value, backend)
        pairs = [step(t) for t in ts]
        return Curve(backend.name, ts, np.array([float(v) for v, _ in pairs]),
                     np.array([float(g) for _, g in pairs]))
    if backend.name == "dask":
        ts = ts[::DASK_STRIDE]
    values = [float(backend.to_numpy(value(backend.asarray(np.array(t))))) for t in ts]
    return Curve(backend.name, ts, np.array(values), None)


def backend_curves(backend: str) -> tuple[dict[str, Curve], list[str]]:
    """Every sweep on one backend, and a message for each function that failed there (left
    out of its plot)."""
    curves, failures = {}, []
    for name, sweep in SWEEPS.items():
        try:
            curves[name] = sweep_curve(getattr(ol, name), sweep, BACKENDS[backend])
        except Exception as error:  # any failure is a finding to report, not to hide
            failures.append(f"{name}: the sweep failed on {backend}: "
                            f"{type(error).__name__}: {error}")
    return curves, failures


def all_curves(backends: Sequence[str]) -> tuple[dict[str, list[Curve]], list[str]]:
    """Every sweep on every one of ``backends``, one process per backend, as many at once as
    there are cores (each imports only its own framework). Dask, the slowest, starts first."""
    order = sorted(backends, key=lambda name: name != "dask")
    context = multiprocessing.get_context("spawn")  # no fork of a process holding threads
    with ProcessPoolExecutor(min(len(order), os.cpu_count() or 1), mp_context=context) as pool:
        results = dict(zip(order, pool.map(backend_curves, order), strict=True))
    curves: dict[str, list[Curve]] = {name: [] for name in SWEEPS}
    failures = []
    for backend in backends:  # the plots' order, whatever order they ran in
        done, failed = results[backend]
        for name, curve in done.items():
            curves[name].append(curve)
        failures += failed
    return curves, failures


def draw_sweep(path: Path | BinaryIO, sweep: Sweep, curves: Sequence[Curve],
               value_label: str) -> None:
    """Two panels, the value and its derivative along the sweep, every backend overlaid."""
    figure = Figure(figsize=(9.0, 3.2), layout="constrained")
    left, right = figure.subplots(1, 2)
    for curve in curves:
        style = _STYLE[curve.backend]
        left.plot(curve.ts, curve.values, label=LABELS[curve.backend], **style)
        if curve.gradients is not None:
            right.plot(curve.ts, curve.gradients, label=LABELS[curve.backend], **style)
    left.set_title(value_label)
    right.set_title(f"d {value_label} / dt (autodiff)")
    if not any(curve.gradients is not None for curve in curves):
        right.text(0.5, 0.5, "no autodiff backend installed", ha="center", va="center",
                   transform=right.transAxes)
    for axes in (left, right):
        axes.set_xlabel(sweep.axis)
        axes.grid(True, color="#e0e0e0", linewidth=0.6)
    figure.legend(*left.get_legend_handles_labels(), loc="outside lower center",
                  ncols=len(curves), frameon=False, handlelength=4.0)
    with matplotlib.rc_context(_SVG):
        figure.savefig(path, format="svg", metadata={"Date": None})


# --- the benchmark chart -------------------------------------------------------------------

_ROW = re.compile(r"^\|\s*(\w+)\s*\|\s*(\w+)\s*\|\s*([\w.]+)\s*\|\s*([\w+]+)\s*\|"
                  r"\s*[\d.]+\s*\|\s*[\d.]+\s*\|\s*([\d.]+)\s*\|$")


def benchmark_rows(table: str) -> list[tuple[str, str, str, str, float]]:
    """``(loss, size, backend, mode, ratio)`` of every row of ``docs/benchmarks.md``'s table."""
    return [(m[1], m[2], m[3], m[4], float(m[5]))
            for m in map(_ROW.match, table.splitlines()) if m]


_BACKEND_COLOURS = {"numpy": "#3182bd", "torch": "#e6550d", "jax": "#31a354",
                    "tensorflow": "#756bb1", "tf.function": "#bcbddc"}


def draw_benchmarks(path: Path | BinaryIO,
                    rows: Sequence[tuple[str, str, str, str, float]]) -> None:
    """One panel per size: each loss's ratios (ours / native, log scale), one colour per
    backend, circles forward, triangles forward+backward."""
    losses = list(dict.fromkeys(row[0] for row in rows))
    sizes = list(dict.fromkeys(row[1] for row in rows))
    figure = Figure(figsize=(9.0, 0.32 * len(losses) + 1.6), layout="constrained")
    panels = np.atleast_1d(figure.subplots(1, len(sizes), sharey=True))
    ratios = [row[4] for row in rows]
    limit = max(2.0, *(max(r, 1 / r) for r in ratios)) * 1.15
    for axes, size in zip(panels, sizes, strict=True):
        for loss, row_size, backend, mode, ratio in rows:
            if row_size != size:
                continue
            y = losses.index(loss) + (0.15 if mode == "forward" else -0.15)
            axes.scatter(ratio, y, color=_BACKEND_COLOURS.get(backend, "black"),
                         marker="o" if mode == "forward" else "^", s=28,
                         edgecolors="white", linewidths=0.4, zorder=3)
        axes.axvline(1.0, color="black", linewidth=0.8)
        axes.set_xscale("log")
        axes.set_xlim(1 / limit, limit)
        axes.set_title(f"{size} inputs")
        axes.set_xlabel("time ratio, ours / native (below 1: ours faster)")
        axes.grid(True, axis="x", which="both", color="#e0e0e0", linewidth=0.6)
    panels[0].set_yticks(range(len(losses)), losses)
    panels[0].invert_yaxis()
    handles = [Line2D([], [], color=colour, marker="o", linestyle="", label=backend)
               for backend, colour in _BACKEND_COLOURS.items()]
    handles += [Line2D([], [], color="grey", marker=marker, linestyle="", label=mode)
                for marker, mode in (("o", "forward"), ("^", "forward+backward"))]
    figure.legend(handles=handles, loc="outside lower center", ncols=len(handles), frameon=False)
    with matplotlib.rc_context(_SVG):
        figure.savefig(path, format="svg", metadata={"Date": None})
