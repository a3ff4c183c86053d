"""HTML: the readable text with headings, list items and table rows kept; scripts dropped."""

from __future__ import annotations

import re
from pathlib import Path

from ingest.loaders.base import ExtractedDoc

_DROP = ("script", "style", "noscript", "template", "svg", "iframe", "head", "nav")
_BLOCK = ("p", "div", "section", "article", "main", "header", "footer", "aside", "ul", "ol",
          "table", "pre", "blockquote", "dl", "figure", "form", "hr")
_SPACES = re.compile(r"[ \t\u00a0]+")
_BLANK_RUNS = re.compile(r"\n{3,}")


def load(path: Path, text: str) -> ExtractedDoc:
    """Readable text of an HTML page, rendered as light Markdown."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(text, "html.parser")
    title = soup.title.get_text(" ", strip=True) if soup.title else ""
    for tag in soup.find_all(_DROP):
        tag.decompose()
    for level in range(1, 7):
        for tag in soup.find_all(f"h{level}"):
            tag.replace_with(f"\n\n{'#' * level} {tag.get_text(' ', strip=True)}\n\n")
    for tag in soup.find_all("li"):
        tag.insert(0, "\n- ")
    for tag in soup.find_all(("td", "th")):
        tag.append(" | ")
    for tag in soup.find_all("tr"):
        tag.insert(0, "\n| ")
    for tag in soup.find_all("br"):
        tag.replace_with("\n")
    for tag in soup.find_all(_BLOCK):
        tag.insert_before("\n\n")
        tag.insert_after("\n\n")
    lines = [_SPACES.sub(" ", line).strip() for line in soup.get_text().splitlines()]
    body = _BLANK_RUNS.sub("\n\n", "\n".join(lines)).strip()
    return ExtractedDoc(text=body, kind="html", title=title, structured=True)
