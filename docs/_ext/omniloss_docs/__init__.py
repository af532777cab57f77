"""The Sphinx extension of omniloss's site: MathML math, and the pages generated at build time.

When the builder starts, before any source is read, it writes ``docs/reference/`` (one page
per catalogue function, one per family, the index, and each function's plot in
``reference/plots/``) and ``docs/_generated/`` (the snippets the hand-written pages include:
the migration guides' tables, the index's showcase, the benchmark chart). Both folders are
build outputs, ignored by git.

``sphinx-build -D omniloss_docs_plots=0`` keeps the plots of the previous build instead of
computing them again (the sweeps take two to three minutes on two cores): for
editing text.
"""

from __future__ import annotations

import io
import re
import shutil
import time
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.display import status_iterator

from omniloss._catalogue import CATALOGUE
from omniloss.testing import installed_backends

from . import mathml, pages, plots, schema
from .sweeps import SWEEPS

logger = logging.getLogger(__name__)

#: the function the index shows as a sample of the reference pages
SHOWCASE = "cross_entropy"


def _write(path: Path, content: str | bytes) -> None:
    """Write ``content`` unless the file already holds it (Sphinx then reads it again only
    when it changed)."""
    data = content.encode() if isinstance(content, str) else content
    if not path.exists() or path.read_bytes() != data:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def _svg(draw: Any, *args: Any) -> bytes:
    buffer = io.BytesIO()
    draw(buffer, *args)
    return buffer.getvalue()


def _draw_plots(reference: Path, backends: list[str]) -> None:
    started = time.perf_counter()
    logger.info("computing the sweeps of %d functions on %s...", len(SWEEPS), ", ".join(backends))
    curves, failures = plots.all_curves(backends)
    for failure in failures:
        logger.warning(failure)
    logger.info("done in %.0f s", time.perf_counter() - started)
    entries = [entry for entry in CATALOGUE if entry.name in SWEEPS]
    for entry in status_iterator(entries, "drawing the plots... ", "darkgreen", len(entries),
                                 stringify_func=lambda entry: entry.name):
        _write(reference / "plots" / f"{entry.name}.svg",
               _svg(plots.draw_sweep, SWEEPS[entry.name], curves[entry.name],
                    pages.value_label(entry)))


def generate(app: Sphinx) -> None:
    source = Path(app.srcdir)
    reference, generated = source / "reference", source / "_generated"
    peers_file = source / "peers.toml"
    peers = schema.load(peers_file.read_text() if peers_file.exists() else None)
    for problem in schema.problems(peers):
        logger.warning(problem)
    backends = installed_backends()

    for stale in reference.glob("*.md"):  # a function that left the catalogue leaves no page
        stale.unlink()
    for entry in CATALOGUE:
        if entry.name not in SWEEPS:
            logger.warning("%s has no sweep in docs/_ext/omniloss_docs/sweeps.py", entry.name)
            continue
        _write(reference / f"{entry.name}.md",
               pages.function_page(entry, peers.get(entry.name, {}), SWEEPS[entry.name],
                                   backends))
    for family, entries in pages.families().items():
        _write(reference / f"{pages.family_slug(family)}.md", pages.family_page(family, entries))
    _write(reference / "index.md", pages.reference_index())
    if app.config.omniloss_docs_plots or not (reference / "plots").exists():
        shutil.rmtree(reference / "plots", ignore_errors=True)
        _draw_plots(reference, backends)

    for library in pages.MIGRATIONS:
        _write(generated / f"peers-{library}.md", pages.migration_table(library, peers))
    _write(generated / "showcase.md", pages.showcase(SHOWCASE, peers, SWEEPS[SHOWCASE]))
    benchmarks = plots.benchmark_rows((source / "benchmarks.md").read_text())
    _write(generated / "benchmarks.svg", _svg(plots.draw_benchmarks, benchmarks))


_FORWARD_REF = re.compile(r"TypeAliasForwardRef\('([^']*)'\)")


def _alias_names(app: Sphinx, what: str, name: str, obj: Any, options: Any,
                 signature: str | None, return_annotation: str | None
                 ) -> tuple[str | None, str | None]:
    """``Array | None`` as written: Sphinx 9 prints an alias inside a union as
    ``TypeAliasForwardRef('Array')``."""
    def clean(text: str | None) -> str | None:
        return None if text is None else _FORWARD_REF.sub(r"\1", text)

    return clean(signature), clean(return_annotation)


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_config_value("omniloss_docs_plots", True, "env", types=[bool])
    app.add_html_math_renderer("mathml", (mathml.visit_inline, None),
                               (mathml.visit_block, None))
    app.connect("builder-inited", generate)
    app.connect("autodoc-process-signature", _alias_names)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
