"""Sphinx configuration of the omniloss site: ``nox -s docs`` builds it into ``site/``.

The reference (one page per catalogue function, with its plot) is generated at build time by
the ``omniloss_docs`` extension in ``_ext/``; the guides are Markdown (MyST), several of them
including README sections, so that each text is written once.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent / "_ext"))

project = "omniloss"
author = "omniloss developers"
copyright = "omniloss developers"

extensions = ["myst_parser", "sphinx.ext.autodoc", "sphinx.ext.napoleon", "omniloss_docs"]
source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_generated/*.md", "_ext", "requirements.txt"]

# the docstrings are Google style (Args/Returns/Raises/Example)
napoleon_google_docstring = True
napoleon_numpy_docstring = False
autodoc_typehints = "signature"
autodoc_preserve_defaults = True
# the annotations as written ("Array", not the "Any" it aliases)
autodoc_type_aliases = {"Array": "Array", "Axis": "Axis"}

myst_enable_extensions = ["dollarmath"]
myst_heading_anchors = 3

# MathML rendered at build time (omniloss_docs.mathml): no JavaScript, nothing from a CDN
html_math_renderer = "mathml"

html_theme = "pydata_sphinx_theme"
html_title = "omniloss"
html_static_path = ["_static"]
html_css_files = ["omniloss.css"]
html_show_sourcelink = False
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "header_links_before_dropdown": 6,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": [],
}
