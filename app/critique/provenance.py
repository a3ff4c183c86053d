"""Citation checks of a drafted SOP against the chunks its drafter was shown.

Deterministic part only: a citation to a chunk id that was never shown, or a number or a
capitalised name in a cited statement that none of its cited chunks contains.
"""

from __future__ import annotations

import re
from typing import Iterator

from app.critique.catalogue import Rule
from app.critique.checks import make_flag, quote
from app.critique.concrete import Context
from app.models import Cited, Flag, Statement

NUMBER = re.compile(r"\d+(?:[.,:/]\d+)*%?")
CAPITALISED = re.compile(r"\b[A-Z][A-Za-z0-9&'-]*[A-Za-z0-9]")
SENTENCE_START = re.compile(r"(?:^|[.!?:;]\s+|->\s*|\(\s*)$")


def item_text(item: Cited) -> str:
    """The item's own words (no field labels), as one line."""
    if isinstance(item, Statement):
        return item.text
    values = item.model_dump(exclude={"citations"}).values()
    return ". ".join(str(v).strip() for v in values if isinstance(v, str) and v.strip())


def claims(text: str, ctx: Context) -> list[str]:
    """Numbers and capitalised names in ``text`` (not words that merely start a sentence)."""
    found = [m.group(0) for m in NUMBER.finditer(text)]
    for m in CAPITALISED.finditer(text):
        word = m.group(0)
        if SENTENCE_START.search(text[: m.start()]) or ctx.has("common_capitals", word):
            continue
        found.append(word)
    return list(dict.fromkeys(found))


NUMBER_WORDS = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
                "sixteen seventeen eighteen nineteen twenty").split()


def _supported(claim: str, haystack: str) -> bool:
    if claim.lower() in haystack:
        return True
    # "within 1 business day" is supported by a source saying "one business day".
    return claim.isdigit() and int(claim) < len(NUMBER_WORDS) and re.search(rf"\b{NUMBER_WORDS[int(claim)]}\b",
                                                                              haystack) is not None


def _unsupported(text: str, cited_text: str, ctx: Context) -> list[str]:
    haystack = cited_text.lower()
    return [c for c in claims(text, ctx) if not _supported(c, haystack)]


def check_provenance(rule: Rule, ctx: Context) -> Iterator[Flag]:
    """Citations to unknown chunks, and claims none of the cited chunks support."""
    if ctx.chunks is None:
        return
    for path, item in ctx.sop.cited_items():
        if not item.citations:
            continue
        text = item_text(item)
        unknown = [c for c in item.citations if c not in ctx.chunks]
        cited = " ".join(ctx.chunks[c].text for c in item.citations if c in ctx.chunks)
        missing = _unsupported(text, cited, ctx) if len(unknown) < len(item.citations) else []
        reasons = []
        if unknown:
            reasons.append("cites unknown source " + ", ".join(unknown))
        if missing:
            reasons.append("not found in its sources: " + ", ".join(missing))
        if reasons:
            yield make_flag(rule, path.split(".")[0], quote(item.as_text()), "; ".join(reasons))


def check_uncited(rule: Rule, ctx: Context) -> Iterator[Flag]:
    """Statements of a drafted SOP that cite no source at all."""
    if ctx.chunks is None:
        return
    for path, item in ctx.sop.cited_items():
        if not item.citations:
            yield make_flag(rule, path.split(".")[0], quote(item.as_text()))
