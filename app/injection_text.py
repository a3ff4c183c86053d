"""Cut source text into short passages and the words that describe them, for the injection scanner.

A passage is a sentence, a table row or the body of a comment, with its offsets in the text. A
heading or a short line ending in ``:`` is carried into the passage after it, so that
``### Instruction`` and the line under it are read together. Words are lower-cased, with accents
removed (so ``ignorez`` and ``ignórez`` agree); web addresses and e-mail addresses become the
tokens ``urltoken`` and ``emailtoken``.

Text written to slip past a reader is read once more after :func:`deobfuscate` undoes the
usual disguises (s p a c e d or d.o.t.t.e.d letters, l33t digits, base64 and ROT13).
"""

from __future__ import annotations

import base64
import binascii
import codecs
import re
import unicodedata
from dataclasses import dataclass

from app.injection_cues import cue_words

_LINE = re.compile(r"[^\n]+")
_NEW_BLOCK = re.compile(r"\s*(?:[#>|*+-]|\d{1,3}[.)]\s|<!--|\[(?:comment|//)\]:)")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=\S)")
_COMMENT = re.compile(r"<!--(.*?)(?:-->|\Z)|\[(?:comment|//)\]:\s*(?:<>|#)\s*\((.*?)\)", re.DOTALL | re.IGNORECASE)
_LINK = re.compile(r"!?\[([^\]\n]*)\]\([^)\s]*\)|\{%.*?%\}|\{\{.*?\}\}", re.DOTALL)
_MARKUP = re.compile(r"<!--|-->|</?[a-zA-Z][^>\n]{0,200}>|(?:^|(?<=\n))[\s>#*|+-]+|\*\*|__|`|\|")
_URL = re.compile(r"https?://\S+|ftp://\S+|www\.\S+", re.IGNORECASE)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_WORD = re.compile(r"[a-z0-9]+")
_SPACES = re.compile(r"[^a-z0-9:,]+")
_LEAD_IN_CHARS = 60
MAX_PASSAGE_CHARS = 400


@dataclass(frozen=True)
class Passage:
    """A short piece of a text, read on its own: ``text`` is cleaned of markup."""

    start: int
    end: int
    text: str


def _clean(raw: str) -> str:
    """``raw`` without markup: link targets, tags, list and table markers, emphasis."""
    return " ".join(_MARKUP.sub(" ", _LINK.sub(lambda m: m.group(1) or " ", raw)).split())


def _is_lead_in(line: str) -> bool:
    """A heading or a short label line (``Note for the model:``) that introduces the next line."""
    stripped = line.strip()
    return (stripped.startswith("#") or stripped.endswith(":")) and len(_clean(stripped)) <= _LEAD_IN_CHARS


def _blocks(text: str) -> list[tuple[int, int]]:
    """Spans of paragraphs, list items, table rows and headings (wrapped lines are joined)."""
    blocks: list[list[int]] = []
    prev_end, prev_single = -2, True
    for line in _LINE.finditer(text):
        raw = line.group()
        if not raw.strip():
            continue
        gap = text[prev_end:line.start()] if prev_end >= 0 else "\n\n"
        single = bool(_NEW_BLOCK.match(raw)) and raw.lstrip()[:1] in "#|" or _is_lead_in(raw)
        if gap.count("\n") > 1 or prev_single or single or _NEW_BLOCK.match(raw):
            blocks.append([line.start(), line.end()])
        else:
            blocks[-1][1] = line.end()
        prev_end, prev_single = line.end(), single or raw.rstrip().endswith("-->")
    return [(a, b) for a, b in blocks]


def passages(text: str) -> list[Passage]:
    """The sentences, table rows and comment bodies of ``text``, each at most ~400 characters."""
    out: list[Passage] = []
    lead = ""
    for start, end in _blocks(text):
        block = text[start:end]
        if _is_lead_in(block) and "\n" not in block:
            lead = _clean(block)
            continue
        pos = 0
        for sep in [*_SENTENCE_END.finditer(block), None]:
            stop = sep.start() if sep else len(block)
            raw = block[pos:stop]
            clean = _clean(raw)
            if len(clean) >= 3:
                joined = f"{lead}: {clean}" if lead else clean
                out.append(Passage(start + pos, start + stop, joined[:MAX_PASSAGE_CHARS]))
                lead = ""
            pos = sep.end() if sep else pos
        plain = deobfuscate(block)
        for part in _SENTENCE_END.split(plain) if plain else []:
            if len(_clean(part)) >= 3:
                out.append(Passage(start, end, _clean(part)[:MAX_PASSAGE_CHARS]))
    for m in _COMMENT.finditer(text):
        body = _clean(m.group(1) or m.group(2) or "")
        if len(body) >= 3 and "\n" in m.group():
            out.append(Passage(m.start(), m.end(), body[:MAX_PASSAGE_CHARS]))
    return out


_SPACED = re.compile(r"(?<!\w)(?:\w ){3,}\w(?!\w)")
_SPACED_SHORT = re.compile(r"(?<!\w)(?:\w ){1,}\w(?!\w)")
_DOTTED = re.compile(r"(?<![\w.])(?:\w\.){1,}\w\b\.?")
_LEET_WORD = re.compile(r"\b(?=\w*[a-z])(?=\w*[013457])[a-zA-Z013457]{3,}\b")
_LEET = str.maketrans("013457", "oieast")
_BASE64 = re.compile(r"[A-Za-z0-9+/]{16,}={0,2}")
_ROT13_HINT = re.compile(r"\brot-?13\b", re.IGNORECASE)


def _from_base64(m: re.Match[str]) -> str:
    try:
        decoded = base64.b64decode(m.group() + "=" * (-len(m.group()) % 4), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return m.group()
    return decoded if decoded.isprintable() and " " in decoded else m.group()


def deobfuscate(text: str) -> str | None:
    """``text`` with disguises undone, or None when there was nothing to undo."""
    parts = re.split(r"(?<=\S) {2,}(?=\S)", text)  # a wide gap separates words spelt letter by letter
    spaced = _SPACED_SHORT if len(parts) > 2 else _SPACED
    plain = " ".join(spaced.sub(lambda m: m.group().replace(" ", ""), part) for part in parts)
    plain = _DOTTED.sub(lambda m: m.group().replace(".", ""), plain)
    plain = _LEET_WORD.sub(lambda m: m.group().translate(_LEET), plain)
    plain = _BASE64.sub(_from_base64, plain)
    if _ROT13_HINT.search(text):
        plain = plain + " " + codecs.encode(plain, "rot13")
    return plain if plain.split() != text.split() else None


def words(text: str) -> list[str]:
    """Lower-case, accent-free words of ``text`` with their bigrams (``a b``) appended."""
    text = _URL.sub(" urltoken ", text)
    text = _EMAIL.sub(" emailtoken ", text)
    plain = text.lower()
    if not plain.isascii():
        folded = unicodedata.normalize("NFKD", plain)
        plain = "".join(ch for ch in folded if not unicodedata.combining(ch))
    tokens = _WORD.findall(plain)
    cues = cue_words(" ".join(_SPACES.sub(" ", plain).split()))
    pairs = [f"{a}+{b}" for i, a in enumerate(cues) for b in cues[i + 1:]]
    return tokens + [f"{a} {b}" for a, b in zip(tokens, tokens[1:])] + cues + pairs
