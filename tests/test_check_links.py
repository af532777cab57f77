"""docs/check_links.py, the link check ``nox -s docs`` runs over the built site: on a small site
written here, with each kind of broken link it must report and the links it must accept."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import load_docs_module

pytestmark = pytest.mark.backend_independent


def _site(root: Path, index_body: str) -> Path:
    (root / "guides").mkdir()
    (root / "_static").mkdir()
    (root / "_static" / "style.css").write_text("")
    (root / "_static" / "template.html").write_text('<a href="{{ pathto(x) }}">a template</a>')
    (root / "guides" / "index.html").write_text(
        '<h1 id="top">Guides</h1><a name="old-anchor"></a><a href="../index.html#intro">home</a>')
    (root / "index.html").write_text(
        '<html><head><link rel="stylesheet" href="_static/style.css">'
        '<link rel="canonical" href="https://example.org/"></head>'
        f'<body><p id="intro">omniloss</p>{index_body}</body></html>')
    return root


GOOD = ('<a href="guides/">guides</a> <a href="guides/index.html#top">top</a> '
        '<a href="guides/index.html#old-anchor">old</a> <a href="#intro">here</a> '
        '<a href="https://data-apis.org/">the standard</a> <a href="mailto:a@b.c">mail</a>')


def test_a_site_whose_links_resolve_passes(tmp_path: Path) -> None:
    checker = load_docs_module("check_links.py")
    found, internal, external = checker.problems(_site(tmp_path, GOOD))
    assert found == []
    assert internal == 6  # the stylesheet, four links of the index, the guide's link home
    assert external == 2  # the canonical link and the standard; mailto is neither
    assert checker.main([str(tmp_path)]) == 0


@pytest.mark.parametrize(("link", "problem"), [
    ('<a href="reference/relu.html">relu</a>', "reference/relu.html: no such file"),
    ('<a href="guides/index.html#nowhere">x</a>', "no anchor #nowhere in guides/index.html"),
    ('<a href="#nowhere">x</a>', "no anchor #nowhere in index.html"),
    ('<img src="plots/relu.svg">', "plots/relu.svg: no such file"),
    ('<a href="../outside.html">x</a>', "../outside.html: no such file"),
    ('<script src="https://cdn.example.org/mathjax.js"></script>', "loaded from the network"),
])
def test_each_broken_link_is_reported(tmp_path: Path, link: str, problem: str) -> None:
    (tmp_path / "outside.html").write_text("")  # outside the site: a link there is broken
    site = tmp_path / "site"
    site.mkdir()
    _site(site, GOOD + link)
    checker = load_docs_module("check_links.py")
    found, _, _ = checker.problems(site)
    assert len(found) == 1 and problem in found[0], found
    assert checker.main([str(site)]) == 1
