"""Sphinx math rendered to MathML at build time (``latex2mathml``).

Browsers render MathML Core natively (Chromium since 109, Firefox, Safari), so the site shows
its formulas offline, with no JavaScript and nothing fetched from a CDN. A formula that does
not convert is a build warning naming it.
"""

from __future__ import annotations

from typing import Any

from docutils import nodes
from latex2mathml.converter import convert
from sphinx.util import logging

logger = logging.getLogger(__name__)


def to_mathml(latex: str, *, display: str, node: nodes.Node) -> str:
    try:
        return str(convert(latex, display=display))
    except Exception as error:  # latex2mathml raises its own exception types, and others
        logger.warning("cannot render the formula %r as MathML: %s", latex, error,
                       location=node)
        return f"<code>{latex}</code>"


def visit_inline(translator: Any, node: nodes.math) -> None:
    translator.body.append(translator.starttag(node, "span", "", CLASS="formula"))
    translator.body.append(to_mathml(node.astext(), display="inline", node=node) + "</span>")
    raise nodes.SkipNode


def visit_block(translator: Any, node: nodes.math_block) -> None:
    """Each equation of the block (they are separated by blank lines) on its own line."""
    translator.body.append(translator.starttag(node, "div", CLASS="formula"))
    for part in node.astext().split("\n\n"):
        if part.strip():
            translator.body.append(to_mathml(part, display="block", node=node))
    translator.body.append("</div>\n")
    raise nodes.SkipNode
