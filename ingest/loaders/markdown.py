"""Markdown notes: YAML front matter into metadata, Jekyll/Liquid tags removed."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from ingest.loaders.base import ExtractedDoc

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)?(---|\.\.\.)[ \t]*(\n|\Z)", re.S)
# Spans are (opening, closing) pairs, removed by _drop_spans: a lazy ``open.*?close`` regex
# would rescan the rest of the text from every unclosed opening (quadratic on hostile files).
_LIQUID_COMMENT = (re.compile(r"{%-?\s*comment\s*-?%}"), re.compile(r"{%-?\s*endcomment\s*-?%}"))
# `{% page "/x" %}` and `{% link "https://..." %}` stand for a URL: keep the URL.
_LIQUID_LINK = re.compile(r"""{%-?\s*(?:page|link)\s+["']([^"']*)["']\s*-?%}""")
_LIQUID_TAG = (re.compile(re.escape("{%")), re.compile(re.escape("%}")))
_LIQUID_OUTPUT = (re.compile(re.escape("{{")), re.compile(re.escape("}}")))
_HTML_COMMENT = (re.compile(re.escape("<!--")), re.compile(re.escape("-->")))
_BLANK_RUNS = re.compile(r"\n{3,}")


def _drop_spans(text: str, span: tuple[re.Pattern[str], re.Pattern[str]]) -> str:
    """``text`` without each span from an opening match to the first closing match after it.

    Linear: once an opening has no closing after it, no later opening can have one either.
    """
    opening, closing = span
    kept: list[str] = []
    pos = 0
    while (start := opening.search(text, pos)) and (end := closing.search(text, start.end())):
        kept.append(text[pos:start.start()])
        pos = end.end()
    kept.append(text[pos:])
    return "".join(kept)


def split_front_matter(text: str) -> tuple[dict, str]:
    """``(metadata, body)``; metadata is empty when there is no (or no valid) front matter."""
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text
    try:
        meta = yaml.safe_load(match.group(1) or "") or {}
    except (yaml.YAMLError, RecursionError):  # PyYAML recurses once per level of nesting
        meta = {}
    return (meta if isinstance(meta, dict) else {}), text[match.end() :]


def strip_liquid(text: str) -> str:
    """Remove Liquid comments, tags (``{% ... %}``) and output (``{{ ... }}``); link tags become their URL."""
    text = _drop_spans(text, _LIQUID_COMMENT)
    text = _LIQUID_LINK.sub(r"\1", text)
    text = _drop_spans(text, _LIQUID_TAG)
    return _drop_spans(text, _LIQUID_OUTPUT)


def load(path: Path, text: str) -> ExtractedDoc:
    """A Markdown note; the title comes from front matter, else the file name."""
    meta, body = split_front_matter(text)
    body = _BLANK_RUNS.sub("\n\n", _drop_spans(strip_liquid(body), _HTML_COMMENT)).strip("\n")
    title = str(meta.get("title") or "").strip()
    return ExtractedDoc(
        text=body, kind="markdown", title=title, structured=True,
        metadata={k: v for k, v in meta.items() if isinstance(v, (str, int, float, bool))},
    )
