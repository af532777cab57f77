"""The generated Markdown (MyST) sources: one page per catalogue function, one per family, the
reference index, and the snippets the hand-written pages include (the peer tables of the
migration guides, the index's showcase).

The sources of the text are the catalogue (``omniloss._catalogue``), the docstrings (rendered
by autodoc on each page) and ``docs/peers.toml`` (formulas and peer mappings). An entry of the
catalogue that ``peers.toml`` lacks, or lacks a formula for, is reported by
``schema.problems`` (an error under ``sphinx-build -W``) and its page is written without that
section.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Mapping
from typing import Any

import omniloss as ol
from omniloss._catalogue import CATALOGUE, NOT_LOSSES, Entry

from .plots import DASK_STRIDE, LABELS
from .schema import LIBRARIES, complete_peers
from .sweeps import Sweep

Peers = Mapping[str, Mapping[str, Any]]
#: the frameworks with a migration guide, in its order
MIGRATIONS = ("torch", "keras", "optax", "tensorflow")


def family_slug(family: str) -> str:
    return family.replace(" ", "-")


def family_title(family: str) -> str:
    return family[0].upper() + family[1:]


def families() -> dict[str, list[Entry]]:
    """The catalogue's entries by family, in catalogue order."""
    grouped: dict[str, list[Entry]] = {}
    for entry in CATALOGUE:
        grouped.setdefault(entry.family, []).append(entry)
    return grouped


def summary(name: str) -> str:
    """The first line of the function's docstring."""
    return (inspect.getdoc(getattr(ol, name)) or "").splitlines()[0]


def value_label(entry: Entry) -> str:
    """What a sweep's plot shows: the loss, or the function's output."""
    return f"{entry.name} output" if entry.family in NOT_LOSSES else "loss"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _code(text: str) -> str:
    return f"`{_cell(text)}`"


def _page_link(name: str) -> str:
    return f"{{doc}}`{name} </reference/{name}>`"


def _classes(entry: Entry) -> str:
    if entry.classes is None:
        return "none (not a loss)"
    keras_names = (entry.classes.torch, *entry.classes.keras)
    return (f"`omniloss.torch.{entry.classes.torch}`; "
            + ", ".join(f"`omniloss.keras.{name}`" for name in keras_names))


def _formula(data: Mapping[str, Any]) -> list[str]:
    if not data.get("formula"):
        return []
    lines = ["## Formula", "", "```{math}", "\n\n".join(data["formula"]), "```", ""]
    if data.get("where"):
        lines += [data["where"], ""]
    return lines


def _plot(entry: Entry, sweep: Sweep, backends: Iterable[str]) -> list[str]:
    options = ", ".join(f"{key}={value!r}" for key, value in sweep.options.items())
    setting = "; ".join(part for part in (sweep.setting, options and f"options {options}")
                        if part)
    names = ", ".join(LABELS[backend] for backend in backends)
    return [
        "## On every backend", "",
        f"```{{figure}} plots/{entry.name}.svg",
        f":alt: {value_label(entry)} of {entry.name} and its derivative against {sweep.axis}, "
        "one curve per backend",
        ":width: 100%", "",
        f"The {value_label(entry)} (left) and its derivative (right) as {sweep.axis} goes from "
        f"{sweep.lo:g} to {sweep.hi:g}{f' ({setting})' if setting else ''}, computed by "
        f"omniloss in float64 on each installed backend ({names}). Where the backends agree "
        "their curves coincide: NumPy's is the pale band, and each other backend's dashes take "
        f"their turn along it (Dask's circles mark every {DASK_STRIDE}th point). The derivative "
        "is autodiff's: NumPy, array-api-strict and Dask have none.",
        "```", ""]


def _peer(peer: Mapping[str, Any]) -> list[str]:
    library, function = LIBRARIES.get(peer["library"], peer["library"]), peer["function"]
    if peer["library"] == "paper":
        heading, name = library, function
    else:
        heading, name = f"{library}: {function.rpartition('.')[2]}", _code(function)
    numbers = ("the same numbers" if peer["same_numbers"]
               else "no option of ours gives this peer's number (see below)")
    return [f"### {heading}", "",
            f"{name}{', the defining peer' if peer['defining'] else ''}.", "",
            f"- **Their call:** {_code(peer['call'])}",
            f"- **Ours:** {_code(peer['ours'])}",
            f"- **Result:** {numbers}", "",
            "What differs:", "", peer["differences"].strip(), ""]


def _peers(data: Mapping[str, Any]) -> list[str]:
    peers = sorted(complete_peers(data), key=lambda peer: not peer["defining"])
    if not peers:
        return []
    lines = ["## Peers", "",
             "Each peer's call, the omniloss call that gives its number, and what differs.", ""]
    for peer in peers:
        lines += _peer(peer)
    return lines


def function_page(entry: Entry, data: Mapping[str, Any], sweep: Sweep,
                  backends: Iterable[str]) -> str:
    family = f"{{doc}}`{family_title(entry.family)} <{family_slug(entry.family)}>`"
    lines = [
        f"# {entry.name}", "",
        f"**Family:** {family} · **Defined by:** {_code(entry.peer)} · "
        f"**Framework classes:** {_classes(entry)}", "",
        *_formula(data),
        *_plot(entry, sweep, backends),
        *_peers(data),
        "## Signature and arguments", "",
        "```{eval-rst}", f".. autofunction:: omniloss.{entry.name}", "```", ""]
    return "\n".join(lines)


def family_table(entries: Iterable[Entry]) -> list[str]:
    lines = ["| function | defined by | summary |", "|---|---|---|"]
    lines += [f"| {_page_link(entry.name)} | {_code(entry.peer)} | {_cell(summary(entry.name))} |"
              for entry in entries]
    return [*lines, ""]


def family_page(family: str, entries: list[Entry]) -> str:
    return "\n".join([
        f"# {family_title(family)}", "", *family_table(entries),
        "```{toctree}", ":hidden:", "", *(entry.name for entry in entries), "```", ""])


def reference_index() -> str:
    grouped = families()
    lines = ["# Function reference", "",
             f"One page per function of the catalogue ({len(CATALOGUE)} in "
             f"{len(grouped)} families): its formula, its loss and gradient on every backend, "
             "its peers and how their calls map onto it, and its arguments.", ""]
    for family, entries in grouped.items():
        lines += [f"## {family_title(family)}", "", *family_table(entries)]
    lines += ["```{toctree}", ":hidden:", "", *map(family_slug, grouped), "```", ""]
    return "\n".join(lines)


def migration_table(library: str, peers: Peers) -> str:
    """Every function ``library`` shares with us: its call and the omniloss call that gives its
    number, or a note where no option of ours does."""
    rows = [(name, peer) for name, data in peers.items() for peer in complete_peers(data)
            if peer["library"] == library]
    if not rows:
        return f"No entry of `docs/peers.toml` maps a {LIBRARIES[library]} function yet.\n"
    lines = [f"| function | {LIBRARIES[library]} | omniloss |", "|---|---|---|"]
    lines += [f"| {_page_link(name)} | {_code(peer['call'])} | {_code(peer['ours'])}"
              f"{'' if peer['same_numbers'] else ' (not their number: see the page)'} |"
              for name, peer in rows]
    return "\n".join(lines) + "\n"


def showcase(name: str, peers: Peers, sweep: Sweep) -> str:
    """The index's sample of a function page: its formula and its plot."""
    data = peers.get(name, {})
    lines = [f"For example {_page_link(name)}:", ""]
    if data.get("formula"):
        lines += ["```{math}", "\n\n".join(data["formula"]), "```", ""]
    lines += [f"```{{figure}} /reference/plots/{name}.svg",
              f":alt: {name} and its gradient on every installed backend", ":width: 100%", "",
              f"Its loss and gradient against the {sweep.axis}, computed on every installed "
              "backend.", "```", ""]
    return "\n".join(lines)
