"""HTML: the readable text with headings, list items and table rows kept; scripts dropped.

The page is rendered in one pass over the parsed tree (no tree edits), so the time is linear
in the size of the page however deep its elements nest.
"""

from __future__ import annotations

import re
from pathlib import Path

from ingest.loaders.base import ExtractedDoc
from ingest.loaders.budget import Budget

_DROP = frozenset(("script", "style", "noscript", "template", "svg", "iframe", "head", "nav"))
_BLOCK = frozenset(("p", "div", "section", "article", "main", "header", "footer", "aside", "ul", "ol",
                    "table", "pre", "blockquote", "dl", "figure", "form", "hr"))
_HEADINGS = {f"h{n}": n for n in range(1, 7)}
_ON_ENTER = {"li": "\n- ", "tr": "\n| ", "br": "\n"}
_ON_EXIT = {"td": " | ", "th": " | "}
_SPACES = re.compile(r"[ \t\u00a0]+")
_BLANK_RUNS = re.compile(r"\n{3,}")
_CHECK_EVERY = 4096  # elements between two budget checks


def load(path: Path, text: str, budget: Budget | None = None) -> ExtractedDoc:
    """Readable text of an HTML page, rendered as light Markdown."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(text, "html.parser")
    title = soup.title.get_text(" ", strip=True) if soup.title else ""
    lines = [_SPACES.sub(" ", line).strip() for line in "".join(_render(soup, budget)).splitlines()]
    body = _BLANK_RUNS.sub("\n\n", "\n".join(lines)).strip()
    return ExtractedDoc(text=body, kind="html", title=title, structured=True)


def _render(soup, budget: Budget | None) -> list[str]:  # type: ignore[no-untyped-def]
    """The pieces of text of ``soup`` in document order, with the Markdown marks around them."""
    from bs4 import CData, NavigableString, Tag

    out: list[str] = []
    # An explicit stack instead of recursion: nesting depth is up to the file.
    stack: list[object] = list(reversed(soup.contents))
    seen = 0
    while stack:
        node = stack.pop()
        seen += 1
        if budget is not None and seen % _CHECK_EVERY == 0:
            budget.check()
        if not isinstance(node, Tag):
            if type(node) in (_Exit, NavigableString, CData):  # not comments, doctypes, script text
                out.append(node)
            continue
        name = node.name
        if name in _DROP:
            continue
        if name in _HEADINGS:
            words = " ".join(s.strip() for s in _visible_strings(node) if s.strip())
            out.append(f"\n\n{'#' * _HEADINGS[name]} {words}\n\n")
            continue
        if name in _BLOCK:
            out.append("\n\n")
            stack.append(_Exit("\n\n"))
        elif name in _ON_EXIT:
            stack.append(_Exit(_ON_EXIT[name]))
        out.append(_ON_ENTER.get(name, ""))
        stack.extend(reversed(node.contents))
    return out


def _visible_strings(root):  # type: ignore[no-untyped-def]
    """The text strings under ``root`` in order, without those of dropped elements (scripts, …)."""
    from bs4 import CData, NavigableString, Tag

    stack = list(reversed(root.contents))
    while stack:
        node = stack.pop()
        if isinstance(node, Tag):
            if node.name not in _DROP:
                stack.extend(reversed(node.contents))
        elif type(node) in (NavigableString, CData):
            yield node


class _Exit(str):
    """Text written when the traversal leaves an element (a marker on the stack)."""
