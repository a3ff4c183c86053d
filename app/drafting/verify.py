"""Check every drafted statement against the chunks it cites.

A statement is unsupported when a cited id is unknown, when a number or name in it occurs
in none of its cited chunks, or when neither word overlap nor embedding similarity shows
that the cited text says it. Two failures seen with small models get their own checks: a
tool the sources forbid listed as approved, steps in an order the sources forbid, and a
statement that repeats the drafting prompt (a field description or an instruction) instead
of the sources.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Callable, Iterable

import numpy as np

from app.models import SECTION_TITLES, ChunkRef, Cited, Flag, Role, SOP, Step, Tool

Embed = Callable[[list[str]], np.ndarray]

LEXICAL_MIN = 0.5  # share of a statement's content words found in its cited text
SEMANTIC_MIN = 0.55  # cosine similarity of statement and best cited chunk
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]+")
_NUMBER = re.compile(r"\b\d+(?:[.,:]\d+)*\b")
_NAME = re.compile(r"(?<![.!?:]\s)(?<!^)\b([A-Z][a-zA-Z0-9]+(?:\s+[A-Z][a-zA-Z0-9]+)*)")
_STOP = set(
    "a an the and or of to in on for with by at from as is are be been being this that these those it its "
    "into onto than then when where which who whom whose what why how all any each every no not only own same "
    "so such too very can will just should must may might shall do does did done have has had was were if else "
    "before after during within without about above below up down out off over under again further once our "
    "your their they them we you he she his her us one two use used using".split()
)
# Generic words written in capitals that are not names: a source that names the tool
# ("Copilot", "Harbour Extract") supports a statement that calls it "the AI tool".
_GENERIC_CAPS = {"ai", "genai", "llm", "llms", "sop", "sops", "it"}
ECHO_MIN = 0.7  # share of a statement's content words that come from one prompt sentence
# A tool is forbidden when a sentence says not to use it ("do not use free ChatGPT accounts"),
# says it is not approved or retired ("NoteBuddy was retired"), or lists it among banned tools.
# A negation about something else near the name is not: "receipts go through the expenses
# app, not LedgerScan" narrows LedgerScan's scope, "do not paste card numbers into Copilot"
# restricts data, "LedgerScan does not approve payments" says what the tool does.
_NEGATED = r"(?:\b(?:never|not|no longer|must not|may not|cannot)|n't)\s+"
_USE_VERB = r"(?:use|using|install|reinstall|open|sign up for|rely on|turn to|switch to)"
_GAP = r"(?:(?!into\b|in\b|to\b|with\b|through\b|via\b|on\b|for\b)[\w'-]+\s+){0,3}?"
_BANNED = (r"(?:(?:is|are|was|were|has been|have been)\s+(?:now\s+)?(?:not|no longer)\s+(?:approved|allowed|"
           r"permitted|supported|to be used)|retired|banned|prohibited|forbidden|blocked|decommissioned|"
           r"(?:must|may|should|can)\s*(?:not|n't)\s+be\s+used|cannot be used|not approved)")
_BANNED_BEFORE = r"\b(?:retired|banned|prohibited|forbidden|unapproved|not approved|blocked)\b[^.;]{0,40}?"


# "If you plan to not use Qualtrics for a while, …" is a condition, not a ban.
_CONDITION = re.compile(r"\b(?:if|when|whenever|unless|whether)\b[^.;:,]{0,40}$", re.IGNORECASE)


def _prohibits(name: str) -> re.Pattern[str]:
    return re.compile(
        rf"{_NEGATED}(?:\w+\s+)?{_USE_VERB}\s+{_GAP}{name}\b|{name}\b[^.;]{{0,40}}?\b{_BANNED}|{_BANNED_BEFORE}{name}\b",
        re.IGNORECASE,
    )
_ORDER = re.compile(r"\b(\w+)\b[^.;\n]{0,80}?\b(?:before|prior to)\s+(\w+)", re.IGNORECASE)


def _stem(word: str) -> str:
    word = word.lower()
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            word = word[: -len(suffix)]
            break
    return word[:-1] if word.endswith("e") and len(word) > 4 else word


def content_words(text: str) -> set[str]:
    """Lower-cased, lightly stemmed words that carry meaning."""
    return {_stem(w) for w in _WORD.findall(text) if w.lower() not in _STOP and len(w) > 2}


def lexical_support(statement: str, cited: str) -> float:
    """Share of the statement's content words that occur in the cited text."""
    words = content_words(statement)
    return len(words & content_words(cited)) / len(words) if words else 1.0


def _missing_facts(statement: str, cited: str) -> list[str]:
    low = cited.lower()
    numbers = [n for n in _NUMBER.findall(statement) if n not in cited]
    names = [n for n in _NAME.findall(statement)
             if n.lower() not in low and n.lower() not in _STOP and n.lower() not in _GENERIC_CAPS]
    return numbers + [n for n in names if not any(part.lower() in low for part in n.split())]


SUBJECT_MIN = 0.5  # share of a step's actor's (or a role's) content words its cited text must name


def claim_text(item: Cited) -> str:
    """What an item asserts, without whom it is about: a role's responsibility, a step's action,
    output and check. The subject's own words would otherwise lend support to any claim."""
    if isinstance(item, Role):
        return item.responsibility
    if isinstance(item, Step):
        return ". ".join(p for p in (item.action, item.output, item.check) if p)
    return item.as_text()


def _subject(item: Cited) -> str:
    return item.role if isinstance(item, Role) else item.actor if isinstance(item, Step) else ""


def _unnamed_subject(item: Cited, cited: str) -> str | None:
    """The actor (or role) of ``item`` when its cited text does not name it."""
    who = _subject(item).strip()
    words = content_words(who)
    if not words or len(words & content_words(cited)) / len(words) >= SUBJECT_MIN:
        return None
    return who


def _flag(section: str, item: Cited, reason: str, suggestion: str) -> Flag:
    title = SECTION_TITLES.get(section.split(".")[0], section)
    return Flag(rule="unsupported-claim", severity="blocker", section=section.split(".")[0],
                message=f"{title}: {reason}", evidence=item.as_text(), suggestion=suggestion)


def _check_item(section: str, item: Cited, chunks: dict[str, ChunkRef], similarity: float | None) -> Flag | None:
    unknown = [c for c in item.citations if c not in chunks]
    if unknown:
        return _flag(section, item, f"cites sources that were never shown ({', '.join(unknown)}).",
                     "Remove the statement or cite a source that says it.")
    if not item.citations:
        return _flag(section, item, "no source supports this statement.",
                     "Find a source that says it, or delete or rewrite it yourself.")
    cited = "\n".join(chunks[c].text for c in item.citations)
    missing = _missing_facts(item.as_text(), cited)
    if missing:
        return _flag(section, item, f"{', '.join(missing[:4])} does not appear in the cited source.",
                     "Check the source: correct the number or name, or remove the statement.")
    # A role is often named only in the heading ("Reviewer: ..."), so headings count here.
    who = _unnamed_subject(item, "\n".join(f"{chunks[c].heading}\n{chunks[c].text}" for c in item.citations))
    if who:
        return _flag(section, item, f"the cited source does not say that {who} does this.",
                     "Check who the source gives this to, and correct the role or remove the statement.")
    lexical = lexical_support(claim_text(item), cited)
    if lexical < LEXICAL_MIN and (similarity is None or similarity < SEMANTIC_MIN):
        sim = f", meaning similarity {similarity:.2f}" if similarity is not None else ""
        return _flag(section, item, f"the cited source does not say this (word overlap {lexical:.0%}{sim}).",
                     "Compare with the cited passage and rewrite or remove the statement.")
    return None


def _similarities(items: list[tuple[str, Cited]], chunks: dict[str, ChunkRef], embed: Embed | None) -> list[float | None]:
    """Cosine similarity of each statement with the closest chunk it cites.

    Each chunk is embedded once however many statements cite it.
    """
    if embed is None or not items:
        return [None] * len(items)
    cited_ids = sorted({c for _, item in items for c in item.citations if c in chunks})
    vectors = embed([claim_text(item) for _, item in items] + [chunks[c].text for c in cited_ids])
    statements, chunk_vectors = vectors[: len(items)], dict(zip(cited_ids, vectors[len(items):]))
    return [
        max((float(np.dot(vec, chunk_vectors[c])) for c in item.citations if c in chunk_vectors), default=None)
        for vec, (_, item) in zip(statements, items)
    ]


def _sentences(text: str) -> list[str]:
    return re.split(r"(?<=[.!?])\s+|\n", text)


def forbidden_tools(tools: Iterable[Tool], chunks: Iterable[ChunkRef]) -> list[tuple[Tool, str]]:
    """Approved tools that some source says must not be used, with the sentence that says so."""
    found = []
    sentences = [s for ch in chunks for s in _sentences(ch.text)]
    for tool in tools:
        name = re.escape(tool.name.strip())
        if not name:
            continue
        pattern = _prohibits(name)
        hit = next((s for s in sentences if any(not _CONDITION.search(s[:m.start()]) for m in pattern.finditer(s))),
                   None)
        if hit:
            found.append((tool, hit.strip()))
    return found


_FORBIDS = re.compile(r"\b(?:never|must not|do not|don't|may not|cannot|not allowed|not permitted|prohibited|"
                      r"forbidden|no)\b", re.IGNORECASE)
_ALLOWS = re.compile(r"\b(?:may be|can be|is fine|are fine|fine to|allowed|permitted|approved|ok)\b", re.IGNORECASE)


def prohibited_as_permitted(sop: SOP, chunks: dict[str, ChunkRef]) -> list[tuple[Cited, str]]:
    """Permitted-data statements whose closest cited sentence forbids that data, with the sentence.

    A small model copies "no customer names in the summary" into the permitted list as
    "customer names"; the words are supported, the rule is reversed.
    """
    found = []
    for item in sop.data_rules.permitted:
        if _FORBIDS.search(item.text):
            continue
        sentences = [s for c in item.citations if c in chunks for s in _sentences(chunks[c].text)]
        support, best = max(((lexical_support(item.text, s), s) for s in sentences), default=(0.0, ""))
        if support >= LEXICAL_MIN and _FORBIDS.search(best) and not _ALLOWS.search(best):
            found.append((item, best.strip()))
    return found


def order_violations(steps: list[Step], chunks: Iterable[ChunkRef]) -> list[tuple[Step, Step, str]]:
    """Step pairs whose order contradicts an "A before B" rule in the sources."""
    rules = [(m.group(1), m.group(2), m.group(0)) for ch in chunks for m in _ORDER.finditer(ch.text)]
    actions = [content_words(s.action) for s in steps]
    violations = []
    for first, then, said in rules:
        a, b = _stem(first), _stem(then)
        if a in _STOP or b in _STOP:
            continue
        ia = next((i for i, w in enumerate(actions) if a in w), None)
        ib = next((i for i, w in enumerate(actions) if b in w), None)
        if ia is not None and ib is not None and ib < ia:
            violations.append((steps[ib], steps[ia], said.strip()))
    return violations


@lru_cache(maxsize=1)
def prompt_sentences() -> tuple[str, ...]:
    """Every sentence the drafting prompt shows the model that is not a source: the system
    rules, each section's instruction and query, and the template's field descriptions."""
    from app.drafting.sections import LIST_ITEMS, load_plan
    from app.models import Maintenance
    from app.prompts import render_prompt

    texts = [render_prompt("system.md")]
    for spec in load_plan().sections.values():
        texts += [spec.instruction, spec.query]
    for cls in {*LIST_ITEMS.values(), Maintenance}:
        texts += [f.description or "" for f in cls.model_fields.values()]
    pieces = (p.strip(" \"'()0123456789.") for t in texts for p in re.split(r"(?<=[.!?;])\s+|\n|=|\(|\)", t))
    return tuple(dict.fromkeys(p for p in pieces if len(content_words(p)) >= 3))


def prompt_echo(item: Cited, cited: str) -> str | None:
    """The prompt sentence ``item`` repeats, when it owes more words to the prompt than to its sources."""
    words = content_words(item.as_text())
    if len(words) < 3:
        return None
    from_sources = len(words & content_words(cited)) / len(words)
    best, share = None, 0.0
    for sentence in prompt_sentences():
        got = len(words & content_words(sentence)) / len(words)
        if got > share:
            best, share = sentence, got
    return best if share >= ECHO_MIN and share > from_sources else None


def _supported_by(item: Cited, chunk: ChunkRef) -> float:
    """Word-overlap support of ``item`` by ``chunk`` alone, or 0 if a number or name is missing."""
    if _missing_facts(item.as_text(), chunk.text):
        return 0.0
    return lexical_support(item.as_text(), chunk.text)


def repair_citations(sop: SOP, chunks: dict[str, ChunkRef], evidence: dict[str, list[str]]) -> list[Flag]:
    """Point each badly cited statement at the shown chunk that does say it.

    Small models tend to cite the first source for everything. When the cited text does
    not support a statement but another chunk of the same section's evidence (or, failing
    that, of the draft) does, the citation is moved there and an ``info`` note records it.
    """
    notes = []
    for section, item in _verifiable(sop):
        if not item.citations or _check_item(section, item, chunks, None) is None:
            continue
        own = evidence.get(section.split(".")[0], [])
        candidates = [chunks[c] for c in [*own, *chunks] if c in chunks]
        best = max(candidates, key=lambda ch: _supported_by(item, ch), default=None)
        if best is None or _supported_by(item, best) < LEXICAL_MIN:
            continue
        old = ", ".join(item.citations)
        item.citations = [best.chunk_id]
        notes.append(Flag(rule="citation-corrected", severity="info", section=section.split(".")[0],
                          message=f"The model cited {old}; the statement is supported by {best.chunk_id} "
                                  f"({best.source}), so the citation now points there.",
                          evidence=item.as_text(), suggestion="Check the new citation in the sources panel."))
    return notes


def _verifiable(sop: SOP) -> list[tuple[str, Cited]]:
    # References are derived from the citations, not drafted, so they are not verified.
    return [(section, item) for section, item in sop.cited_items() if section != "references"]


def verify_sop(sop: SOP, chunks: dict[str, ChunkRef], embed: Embed | None = None) -> list[Flag]:
    """All verification flags of a drafted SOP (see the module docstring)."""
    items = _verifiable(sop)
    sims = _similarities(items, chunks, embed)
    flags = [f for (section, item), sim in zip(items, sims) if (f := _check_item(section, item, chunks, sim))]
    for section, item in items:
        cited = "\n".join(chunks[c].text for c in item.citations if c in chunks)
        if echoed := prompt_echo(item, cited):
            flags.append(Flag(rule="prompt-echo", severity="blocker", section=section.split(".")[0],
                              message=f"{SECTION_TITLES.get(section.split('.')[0], section)}: this repeats the "
                                      f"drafting instructions (\"{echoed[:120]}\"), not the sources.",
                              evidence=item.as_text(), suggestion="Replace it with what the sources say, or delete it."))
    for tool, said in forbidden_tools(sop.approved_tools, chunks.values()):
        flags.append(_flag("approved_tools", tool, f"a source says this tool must not be used: \"{said[:200]}\"",
                           "Remove the tool from the approved list; list it under prohibited data rules."))
    for item, said in prohibited_as_permitted(sop, chunks):
        flags.append(_flag("data_rules.permitted", item, f"listed as permitted, but the cited source forbids it: "
                           f"\"{said[:200]}\"", "Move it to prohibited data, or remove it."))
    for early, late, said in order_violations(sop.steps, chunks.values()):
        flags.append(_flag("steps", early, f"this step comes before \"{late.action[:80]}\", but a source says: "
                           f"\"{said[:160]}\"", "Reorder the steps so the source's order is kept."))
    return flags
