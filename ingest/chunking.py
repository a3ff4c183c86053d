"""Structure-aware chunking with exact character offsets into the extracted text.

A document is first cut into sections (Markdown-style headings, or PDF pages). Each
section with text of its own is chunked on its own (only fragments join a sibling); long
ones are split by LangChain's ``RecursiveCharacterTextSplitter`` on paragraph, line (list
item, table row) and sentence boundaries. Chunk ids depend only on source and text, so re-ingesting the
same content gives the same ids.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterator

if TYPE_CHECKING:
    from app.settings import IngestSettings
    from ingest.loaders import ExtractedDoc

# Possessive runs, so a long line of spaces or hashes is matched in linear time (a lazy
# ``(.+?)[ \t#]*$`` retried the trailing run from every position: minutes on one hostile line).
_ATX_HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]++((?:[ \t#]*+[^ \t#])++)[ \t#]*+$")
_FENCE = re.compile(r"^ {0,3}(```|~~~)")
# Link targets carry no meaning for the embedding but cost many tokens (the model reads 256 at most).
# Markup is left out for the same reason: table rules, HTML tags, emphasis marks, heading hashes.
_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_BARE_URL = re.compile(r"<?(?:https?://|mailto:)[^\s<>]+>?")
_MARKUP = re.compile(r"^[ \t]*\|?[ \t]*:?-{3,}.*$|<[^>\n]{1,200}>|\*\*|__|`+|[-=~*]{3,}|^#{1,6}[ \t]+", re.M)
HEADING_SEPARATOR = " > "
FRAGMENT_DIVISOR = 8  # a section shorter than chunk_size / 8 characters may join its sibling


@dataclass(frozen=True)
class Section:
    """A span of the document text under one heading path (and on one page, for PDFs)."""

    start: int
    end: int
    path: tuple[str, ...]
    page: int | None = None
    has_body: bool = True


@dataclass(frozen=True)
class Chunk:
    """One retrievable piece of a source document."""

    chunk_id: str
    source: str
    text: str
    start: int
    end: int
    heading: str
    page: int | None
    content_hash: str

    @property
    def embed_text(self) -> str:
        """What is embedded for this chunk (see :func:`embedding_text`)."""
        return embedding_text(self.text, self.heading)


def embedding_text(text: str, heading: str = "") -> str:
    """The text the model sees: heading path for context; link targets, URLs and markup left out."""
    plain = _BARE_URL.sub("", _MARKUP.sub("", _MD_LINK.sub(r"\1", text)))
    return f"{heading}\n\n{plain}" if heading else plain


def chunk_id_for(source: str, text: str) -> str:
    """Deterministic id of a chunk: the first 16 hex digits of sha256(source, text)."""
    return hashlib.sha256(f"{source}\n{text}".encode("utf-8")).hexdigest()[:16]


def heading_sections(text: str, title: str = "") -> list[Section]:
    """Sections of ``text`` at each ATX heading outside code fences; ``title`` roots every path."""
    root = (title,) if title else ()
    sections: list[Section] = []
    stack: list[tuple[int, str]] = []
    start, path, in_fence, offset = 0, root, False, 0
    for line in text.splitlines(keepends=True):
        if _FENCE.match(line):
            in_fence = not in_fence
        match = None if in_fence else _ATX_HEADING.match(line.rstrip("\n"))
        if match:
            if offset > start:
                sections.append(_section(text, start, offset, path))
            level, name = len(match.group(1)), match.group(2).strip()
            stack = [(lvl, n) for lvl, n in stack if lvl < level] + [(level, name)]
            names = tuple(n for _, n in stack)
            path = root + (names[1:] if title and names and names[0] == title else names)
            start = offset
        offset += len(line)
    if offset > start:
        sections.append(_section(text, start, offset, path))
    return sections


def _section(text: str, start: int, end: int, path: tuple[str, ...]) -> Section:
    body = text[start:end].split("\n", 1)
    has_body = bool(body[1].strip()) if len(body) > 1 and _ATX_HEADING.match(body[0]) else bool(text[start:end].strip())
    return Section(start, end, path, has_body=has_body)


def document_sections(doc: "ExtractedDoc") -> list[Section]:
    """Sections by page for PDFs, by heading for structured text, else the whole text."""
    if doc.pages:
        return [Section(s, e, (doc.title,) if doc.title else (), page=n) for n, s, e in doc.pages]
    if doc.structured:
        return heading_sections(doc.text, doc.title)
    return [Section(0, len(doc.text), (doc.title,) if doc.title else ())]


def merge_small(sections: list[Section], limit: int) -> Iterator[Section]:
    """Merge consecutive sections on the same page and under the same parent while they fit."""
    group: list[Section] = []
    for section in sections:
        if group and _fits(group, section, limit):
            group.append(section)
            continue
        if group:
            yield _merged(group)
        group = [section]
    if group:
        yield _merged(group)


def _fits(group: list[Section], section: Section, limit: int) -> bool:
    if section.page != group[0].page or section.end - group[0].start > limit:
        return False
    if not any(s.has_body for s in group):  # headings with no text of their own join their first child
        return True
    # Sections that say something of their own stay apart, however short: "## Records" and
    # "## Escalation" merged into one chunk match neither topic well, and its heading
    # would name neither. Only a fragment too short to stand alone joins its sibling.
    fragment = limit // FRAGMENT_DIVISOR
    if group[-1].end - group[-1].start >= fragment and section.end - section.start >= fragment:
        return False
    common = os.path.commonprefix([group[0].path, section.path])
    return len(common) >= max(1, len(group[0].path) - 1)


def _merged(group: list[Section]) -> Section:
    bodied = [s for s in group if s.has_body]
    paths = [s.path for s in bodied] or [group[-1].path]
    path = tuple(os.path.commonprefix(paths)) if len(paths) > 1 else paths[0]
    return Section(group[0].start, group[-1].end, path, group[0].page, has_body=bool(bodied))


def absorb_fragments(body: str, spans: list[tuple[int, int]], min_chars: int) -> list[tuple[int, int]]:
    """Join a lone heading line to the piece after it, and a tiny tail to the piece before it."""
    merged: list[tuple[int, int]] = []
    carry: int | None = None
    for begin, finish in spans:
        if carry is not None:
            begin, carry = min(carry, begin), None
        piece = body[begin:finish]
        if _ATX_HEADING.match(piece.strip()) and "\n" not in piece.strip():
            carry = begin
        elif merged and len(piece.strip()) < min_chars:
            merged[-1] = (merged[-1][0], max(merged[-1][1], finish))
        else:
            merged.append((begin, finish))
    if carry is not None:
        if merged:
            merged[-1] = (merged[-1][0], len(body.rstrip()))
        else:
            merged.append((carry, len(body.rstrip())))
    return merged


def chunk_document(doc: "ExtractedDoc", source: str, settings: "IngestSettings") -> list[Chunk]:
    """Cut ``doc`` into chunks with offsets, heading path and page; identical chunks kept once."""
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(
        chunk_size=settings.chunk_size,
        chunk_overlap=settings.chunk_overlap,
        separators=["\n\n", "\n", ". ", "; ", ", ", " ", ""],
        add_start_index=True,
    )
    chunks: dict[str, Chunk] = {}
    for section in merge_small(document_sections(doc), settings.chunk_size):
        if not section.has_body:
            continue
        body = doc.text[section.start : section.end]
        heading = HEADING_SEPARATOR.join(section.path)
        pieces = [(p.metadata["start_index"], p.metadata["start_index"] + len(p.page_content))
                  for p in splitter.create_documents([body]) if p.page_content.strip()]
        for begin, finish in absorb_fragments(body, pieces, settings.chunk_size // 10):
            text, start = body[begin:finish], section.start + begin
            cid = chunk_id_for(source, text)
            chunks.setdefault(cid, Chunk(
                chunk_id=cid, source=source, text=text, start=start, end=start + len(text),
                heading=heading, page=section.page,
                content_hash=hashlib.sha256(text.encode("utf-8")).hexdigest(),
            ))
    return list(chunks.values())
