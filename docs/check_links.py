"""Check the built site's links: ``python docs/check_links.py site``.

Every ``href`` and ``src`` of every HTML page that is not an external URL must name a file of
the site, and its ``#fragment`` an ``id`` (or ``<a name>``) in that page. Nothing may be loaded
from the network (a script, style sheet, image or frame with an external URL): the site is read
offline. Links to external pages are counted, not followed. Exits 1 on any broken link.
"""

from __future__ import annotations

import sys
from functools import cache
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

#: (tag, attribute) pairs that make the browser fetch the URL, rather than link to it
LOADS = {("script", "src"), ("img", "src"), ("iframe", "src"), ("source", "src"),
         ("link", "href")}
_LINK_RELATIONS_THAT_LINK = {"canonical", "next", "prev", "index", "search", "author",
                             "license", "help", "alternate"}


class Page(HTMLParser):
    """A page's anchors and the URLs it links to or loads."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.anchors: set[str] = set()
        self.urls: list[tuple[str, bool]] = []  # (url, whether the browser loads it)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value for name, value in attrs if value is not None}
        if "id" in values:
            self.anchors.add(values["id"])
        if tag == "a" and "name" in values:
            self.anchors.add(values["name"])
        relations = set(values.get("rel", "").split())
        for attribute in ("href", "src"):
            if values.get(attribute):
                loads = (tag, attribute) in LOADS and not (
                    tag == "link" and relations & _LINK_RELATIONS_THAT_LINK)
                self.urls.append((values[attribute], loads))


@cache
def parse(path: Path) -> Page:
    page = Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def pages(root: Path) -> list[Path]:
    """The site's pages: its HTML files but the theme's templates among the static files."""
    return sorted(path for path in root.rglob("*.html")
                  if "_static" not in path.relative_to(root).parts)


def problems(site: Path) -> tuple[list[str], int, int]:
    """The broken links of ``site``, the number of internal links checked and of external
    links left unchecked."""
    found, internal, external = [], 0, 0
    root = site.resolve()
    for html in pages(root):
        for url, loads in parse(html).urls:
            parts = urlsplit(url)
            where = f"{html.relative_to(root)}: {url}"
            if parts.scheme in ("data", "javascript", "mailto"):
                continue
            if parts.scheme or parts.netloc:
                if loads:
                    found.append(f"{where} is loaded from the network")
                external += 1
                continue
            internal += 1
            target = (html.parent / unquote(parts.path)).resolve() if parts.path else html
            if target.is_dir():
                target = target / "index.html"
            if not target.is_relative_to(root) or not target.is_file():
                found.append(f"{where}: no such file")
            elif parts.fragment and target.suffix == ".html" and \
                    unquote(parts.fragment) not in parse(target).anchors:
                found.append(f"{where}: no anchor #{parts.fragment} in "
                             f"{target.relative_to(root)}")
    return found, internal, external


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python docs/check_links.py SITE_DIRECTORY", file=sys.stderr)
        return 2
    site = Path(argv[0])
    if not (site / "index.html").is_file():
        print(f"{site} holds no built site (no index.html)", file=sys.stderr)
        return 2
    found, internal, external = problems(site)
    print(f"{len(pages(site.resolve()))} pages, {internal} internal links checked, "
          f"{external} external links not followed, {len(found)} broken")
    for problem in found:
        print(f"  {problem}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
