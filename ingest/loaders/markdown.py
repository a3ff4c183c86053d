"""Markdown notes: YAML front matter into metadata, Jekyll/Liquid tags removed."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from ingest.loaders.base import ExtractedDoc

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)?(---|\.\.\.)[ \t]*(\n|\Z)", re.S)
_LIQUID_COMMENT = re.compile(r"{%-?\s*comment\s*-?%}.*?{%-?\s*endcomment\s*-?%}", re.S)
# `{% page "/x" %}` and `{% link "https://..." %}` stand for a URL: keep the URL.
_LIQUID_LINK = re.compile(r"""{%-?\s*(?:page|link)\s+["']([^"']*)["']\s*-?%}""")
_LIQUID_TAG = re.compile(r"{%.*?%}", re.S)
_LIQUID_OUTPUT = re.compile(r"{{.*?}}", re.S)
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.S)
_BLANK_RUNS = re.compile(r"\n{3,}")


def split_front_matter(text: str) -> tuple[dict, str]:
    """``(metadata, body)``; metadata is empty when there is no (or no valid) front matter."""
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text
    try:
        meta = yaml.safe_load(match.group(1) or "") or {}
    except yaml.YAMLError:
        meta = {}
    return (meta if isinstance(meta, dict) else {}), text[match.end() :]


def strip_liquid(text: str) -> str:
    """Remove Liquid comments, tags (``{% ... %}``) and output (``{{ ... }}``); link tags become their URL."""
    text = _LIQUID_COMMENT.sub("", text)
    text = _LIQUID_LINK.sub(r"\1", text)
    text = _LIQUID_TAG.sub("", text)
    return _LIQUID_OUTPUT.sub("", text)


def load(path: Path, text: str) -> ExtractedDoc:
    """A Markdown note; the title comes from front matter, else the file name."""
    meta, body = split_front_matter(text)
    body = _BLANK_RUNS.sub("\n\n", _HTML_COMMENT.sub("", strip_liquid(body))).strip("\n")
    title = str(meta.get("title") or "").strip()
    return ExtractedDoc(
        text=body, kind="markdown", title=title, structured=True,
        metadata={k: v for k, v in meta.items() if isinstance(v, (str, int, float, bool))},
    )
