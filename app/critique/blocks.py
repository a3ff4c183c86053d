"""Documents as a flat list of blocks: headings, list items, paragraphs and tables.

Markdown (via markdown-it-py) and DOCX (via python-docx) are both turned into these
blocks, so one assembler (``app.critique.assemble``) maps either onto the SOP template.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

TASK_BOX = re.compile(r"^\[[ xX]\]\s+")
# A paragraph that is only a short bold phrase ("**What may go into Lexis+ AI.**") acts as a heading.
BOLD_HEADING = re.compile(r"^(?:\*\*|__)([^*_\n]{2,80}?)[.:]?(?:\*\*|__)[.:]?$")
PSEUDO_HEADING_LEVEL = 6
NUMBERED_LINE = re.compile(r"^\s*(?:\d+(?:\.\d+)*[.)]?|[a-z][.)])\s+\S")
FRONT_MATTER = re.compile(r"\A\ufeff?---[ \t]*\r?\n(.*?)\r?\n(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.DOTALL)


@dataclass
class Block:
    """One block of a document; ``kind`` is heading, item, para or table."""

    kind: str
    text: str = ""
    level: int = 0
    rows: list[list[str]] = field(default_factory=list)


class SOPParseError(ValueError):
    """A file cannot be read as an SOP; the message names the file and the reason."""


def split_front_matter(text: str, source: str = "<text>") -> tuple[dict, str]:
    """``(front matter mapping, body)``; an empty mapping when there is none."""
    match = FRONT_MATTER.match(text)
    if not match:
        return {}, text
    try:
        data = yaml.safe_load(match.group(1)) or {}
    except yaml.YAMLError as exc:
        raise SOPParseError(f"{source}: the front matter is not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise SOPParseError(f"{source}: the front matter must be a mapping of 'key: value' lines")
    return data, text[match.end():]


def markdown_blocks(body: str) -> list[Block]:
    """Blocks of a Markdown body (CommonMark plus GFM tables)."""
    from markdown_it import MarkdownIt

    tokens = MarkdownIt("commonmark").enable("table").parse(body)
    blocks: list[Block] = []
    depth = 0
    row: list[str] | None = None
    table: Block | None = None
    pending_heading = 0
    for tok in tokens:
        if tok.type in ("bullet_list_open", "ordered_list_open"):
            depth += 1
        elif tok.type in ("bullet_list_close", "ordered_list_close"):
            depth -= 1
        elif tok.type == "heading_open":
            pending_heading = int(tok.tag[1:])
        elif tok.type == "table_open":
            table = Block("table")
        elif tok.type == "table_close" and table is not None:
            blocks.append(table)
            table = None
        elif tok.type == "tr_open":
            row = []
        elif tok.type == "tr_close" and table is not None and row is not None:
            table.rows.append(row)
        elif tok.type == "inline":
            text = "\n".join(" ".join(line.split()) for line in tok.content.strip().splitlines())
            if row is not None and table is not None:
                row.append(text)
            elif pending_heading:
                blocks.append(Block("heading", text, pending_heading))
                pending_heading = 0
            elif text:
                text = TASK_BOX.sub("", text)
                bold = BOLD_HEADING.match(text)
                if bold and not depth and len(bold.group(1).split()) <= 10:
                    blocks.append(Block("heading", bold.group(1).strip(), PSEUDO_HEADING_LEVEL))
                    continue
                lines = text.split("\n")
                numbered = [bool(NUMBERED_LINE.match(line)) for line in lines]
                if not depth and numbered[0] and sum(numbered) > 1:  # "5.1 ...\n5.2 ...\n(a) ..." in one paragraph
                    blocks.extend(Block("item", line, 1 if n else 2) for line, n in zip(lines, numbered))
                else:
                    blocks.append(Block("item" if depth else "para", text, depth))
    return blocks


def _docx_heading_level(style: str) -> int:
    if style == "Title":
        return 1
    match = re.match(r"Heading (\d)", style)
    return int(match.group(1)) if match else 0


def docx_blocks(path: Path) -> list[Block]:
    """Blocks of a .docx file, in body order (paragraphs and tables)."""
    from docx import Document
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        doc = Document(str(path))
    except Exception as exc:  # python-docx raises several types for a damaged package
        raise SOPParseError(f"{path}: not a readable .docx file ({exc.__class__.__name__}: {exc})") from exc
    blocks: list[Block] = []
    for element in doc.element.body.iterchildren():
        tag = element.tag.rsplit("}", 1)[-1]
        if tag == "p":
            para = Paragraph(element, doc)
            text = " ".join(para.text.split())
            style = para.style.name if para.style is not None else ""
            level = _docx_heading_level(style)
            if not text:
                continue
            if level:
                blocks.append(Block("heading", text, level))
            else:
                blocks.append(Block("item" if "List" in style else "para", text, 1 if "List" in style else 0))
        elif tag == "tbl":
            rows = [[" ".join(c.text.split()) for c in r.cells] for r in Table(element, doc).rows]
            blocks.append(Block("table", rows=rows))
    return blocks
