"""One line or table row of a hand-written SOP as a template item.

Splits citations (``[src: a, b]``), ``Label: value`` and ``Label — value`` lines, finds the
actor that opens a procedure line, and maps table columns onto item fields.
"""

from __future__ import annotations

import re
from typing import Any

from app.critique.layout import Layout, strip_emphasis
from app.models import Escalation, HistoryEntry, Record, Role, Step, Tool

CITATION = re.compile(r"\s*\[src:\s*([^\]]*)\]\s*$", re.I)
LABEL = re.compile(r"^(?P<label>[A-Za-z][\w '’/()&-]{0,48}?)\s*[:：]\s*(?P<value>.*)$")
DASH = re.compile(r"^(?P<label>.{1,60}?)\s+[—–-]\s+(?P<value>.+)$")
ARROW = re.compile(r"\s*(?:->|→|=>)\s*")
# "If X, the agent tags it": the actor follows a leading condition.
CONDITION = re.compile(r"^(?:if|when|after|before|once|where|whenever|on|for)\b", re.I)
# "The Finance Clerk exports ...": a short noun phrase, then a verb in the third person.
SUBJECT = re.compile(r"(?:the\s+|an?\s+)?((?:[\w&-]+\s+){0,3}?[\w&-]+)\s+(?!(?:is|was|has|does|as|its|this|his)\b)(?=[a-z]+s\b)",
                     re.I)
AGENT_SUFFIX = re.compile(r"(?:er|or|ist|ant|ee|ian|bot|pert)$", re.I)
TABLE_ITEMS = {"roles": Role, "approved_tools": Tool, "steps": Step, "escalation": Escalation, "records": Record,
               "history": HistoryEntry}
FIELD_ORDER = {"roles": ("role", "responsibility"), "approved_tools": ("name", "use"),
               "steps": ("actor", "action", "output", "check"), "escalation": ("trigger", "route", "timing"),
               "records": ("what", "where", "retention"), "history": ("version", "date", "author", "change")}


def split_citations(text: str) -> tuple[str, list[str]]:
    """``"Do X. [src: a, b]"`` -> ``("Do X.", ["a", "b"])``."""
    match = CITATION.search(text)
    if not match:
        return text.strip(), []
    return text[: match.start()].strip(), ids(match.group(1))


def ids(cell: str) -> list[str]:
    return [c for c in re.split(r"[,\s]+", cell.strip()) if c]


def split_label(text: str, max_words: int = 6) -> tuple[str, str] | None:
    """``"**Owner:** Dana"`` -> ``("Owner", "Dana")`` when the label is short."""
    match = LABEL.match(strip_emphasis(text))
    if not match or len(match.group("label").split()) > max_words or match.group("label").lower() in ("http", "https"):
        return None
    return match.group("label").strip(), match.group("value").strip()


def tool_aliases(name: str) -> list[str]:
    """Short names a tool goes by: 'ERP assistant (SAP Joule)' -> ['SAP Joule']; 'X ("Bot")' -> ['X', 'Bot']."""
    inner = re.findall(r"[(\"“]([^()\"”]+)[)\"”]", name)
    outer = re.sub(r"\([^)]*\)|[\"“][^\"”]*[\"”]", " ", name).strip(" .,")
    words = re.findall(r"\b[A-Z][A-Za-z]{3,}\b", outer)  # "Expensify Concierge audit" -> "Concierge flags ..."
    return [n.strip() for n in [outer, *inner, *words] if n.strip() and len(n.split()) <= 3]


def positional_columns(section: str, rows: list[list[str]]) -> dict[str, int]:
    """Columns of a header-less table: the template's field order (a leading number column skipped)."""
    numbered = section == "steps" and all(re.fullmatch(r"\d+\.?", r[0].strip() or "0") for r in rows if r)
    offset = 1 if numbered else 0
    return {name: i + offset for i, name in enumerate(FIELD_ORDER[section])}


def item_from_row(section: str, row: list[str], columns: dict[str, int]) -> Any:
    """One table row as a template item (None for an empty row)."""
    def cell(name: str) -> str:
        i = columns.get(name)
        return row[i].strip() if i is not None and i < len(row) else ""

    values = {name: cell(name) for name in FIELD_ORDER[section]}
    if not any(values.values()):
        return None
    if section == "history":
        return HistoryEntry.model_construct(**values)
    return TABLE_ITEMS[section].model_construct(**values, citations=ids(cell("sources")))


def item_from_text(section: str, text: str, cites: list[str]) -> Any:
    """A roles/tools/escalation/records line as an item (``Label: rest`` splits the fields)."""
    pair = split_label(text) or _dash(text)
    first, rest = pair if pair else ("", text)
    if section == "roles":
        return Role.model_construct(role=first or text, responsibility=rest if first else "", citations=cites)
    if section == "approved_tools":
        return Tool.model_construct(name=first or text, use=rest if first else "", citations=cites)
    if section == "records":
        return Record.model_construct(what=first, where=rest, retention="", citations=cites)
    parts = ARROW.split(text, maxsplit=1)
    route = parts[1] if len(parts) == 2 else ""
    return Escalation.model_construct(trigger=parts[0], route=route, timing="", citations=cites)


def _dash(text: str) -> tuple[str, str] | None:
    match = DASH.match(strip_emphasis(text))
    if not match or len(match.group("label").split()) > 6:
        return None
    return match.group("label").strip(), match.group("value").strip()


# "**Class teacher**: open ...", "A **CODEOWNER other than the author** reviews ...": a bold lead-in.
BOLD_LEAD = re.compile(r"^(?:(?:the|a|an)\s+)?(?:\*\*|__)(?P<actor>[^*_]{2,60}?)(?:\*\*|__)\s*[:,–—-]?\s*(?P<rest>\S.*)$", re.I)
STEP_NUMBER = re.compile(r"^\s*(?:step\s+)?\d+(?:\.\d+)*[.):]?\s+", re.I)
# A capitalised name ("Fin", "Vic.ai") followed by a verb in the third person.
PROPER_SUBJECT = re.compile(r"^(?!(?:The|This|That|These|Each|Every|All|Any|It|If|When|Once|After|Before|No|Someone|"
                            r"Somebody|Anyone|Everyone|Staff|We|You|They|He|She|Nobody)\b)"
                            r"(?P<actor>[A-Z][\w.+-]*(?:\s+[A-Z][\w.+-]*){0,2})\s+(?:(?:also|then|now|only|still|\w+ly)\s+)?"
                            r"(?!(?:is|are|was|were|has)\b)[a-z]+s\b")
MAX_BOLD_ACTOR_WORDS = 6
# German: "Die Fachlehrkraft erstellt ...", "Der IT-Service prüft ...".
GERMAN_SUBJECT = re.compile(r"^(?:(?:[Dd]ie|[Dd]er|[Dd]as)\s+(?P<actor>(?:[a-zäöüß]+e\s+)?[A-ZÄÖÜ][\wäöüß-]+)\s+(?=[a-zäöüß]+t\b)"
                            r"|(?:[Zz]wei|[Dd]rei|[Bb]eide|[Dd]ie)\s+(?P<many>(?:[a-zäöüß]+e\s+)?[A-ZÄÖÜ][\wäöüß-]+)\s+"
                            r"(?=[a-zäöüß]+en\b))")


def split_actor(text: str, roles: list[str], layout: Layout) -> tuple[str, str]:
    """``"Team Lead: check X"`` / ``"The Team Lead checks X"`` -> ``("Team Lead", ...)``; else ``("", text)``.

    Also read: a leading step number ("4.1 The Analyst checks"), a bold lead-in
    ("**Class teacher**: open ..."), an actor with a qualifier ("The engineering manager of
    the affected service reviews"), and a product name acting ("Fin answers ...").
    """
    text = STEP_NUMBER.sub("", text, count=1)
    bold = BOLD_LEAD.match(text.strip())
    if bold and len(bold.group("actor").split()) <= MAX_BOLD_ACTOR_WORDS and not bold.group("actor").rstrip().endswith("."):
        return bold.group("actor").strip(" :"), bold.group("rest")
    plain = strip_emphasis(text)
    pair = split_label(plain) or _dash(plain)
    if pair and re.match(r"step\s*\d+", pair[0], re.I):
        return split_actor(pair[1], roles, layout)
    if pair and (layout.actor_nouns.search(pair[0]) or _known(pair[0], roles)):
        return pair[0], pair[1]
    starts = [0]
    if CONDITION.match(plain):
        starts = [m.end() for m in re.finditer(r",\s*", plain)]
    for start in starts:
        actor, rest = _subject(plain[start:], roles, layout)
        if actor:
            return actor, rest if start == 0 else plain
    german = GERMAN_SUBJECT.match(plain)
    if german:
        return german.group("actor") or german.group("many"), plain[german.end():]
    proper = PROPER_SUBJECT.match(plain)
    if proper:
        return proper.group("actor"), plain[proper.end("actor"):].strip()
    qualified = _qualified_subject(plain, layout)
    return qualified if qualified else ("", text)


def _qualified_subject(text: str, layout: Layout) -> tuple[str, str] | None:
    """"The engineering manager of the affected service reviews ..." -> the actor phrase and the rest."""
    words = text.split()
    for i, word in enumerate(words[:4]):
        if layout.actor_nouns.fullmatch(word.strip(",").lower()):
            for j in range(i + 1, min(len(words), i + 7)):
                if re.fullmatch(r"[a-z]+s", words[j]) and words[j] not in ("is", "was", "has", "as", "its", "this"):
                    return " ".join(words[:j]), " ".join(words[j:])
            return None
    return None


def _subject(text: str, roles: list[str], layout: Layout) -> tuple[str, str]:
    """The role that opens ``text`` and the rest, or ``("", text)``."""
    for role in sorted(roles, key=len, reverse=True):
        match = re.match(rf"(?:the\s+)?{re.escape(role)}\s+(?=[a-z])", text, re.I)
        if match:
            return role, text[match.end():]
    match = SUBJECT.match(text)
    if match and (layout.actor_nouns.search(match.group(1).split()[-1]) or AGENT_SUFFIX.search(match.group(1))):
        return match.group(1), text[match.end():]
    return "", text


# What may open a sentence before its subject: "Within 2 working days,", "Before the ticket is
# closed,", "Each week", "First".
_LEAD_CLAUSE = re.compile(r"^(?:(?:within|before|after|when|once|if|on|at|by|during|for|in|where|whenever|until|"
                          r"as soon as)\b[^,]{0,120},\s*|(?:each|every)\s+(?:\w+\s+){0,2}?(?:day|week|month|morning|"
                          r"evening|quarter|year|shift|monday|tuesday|wednesday|thursday|friday)\b,?\s*|"
                          r"(?:first|then|next|finally|afterwards)\b,?\s*)", re.I)
# A subject noun phrase: an optional determiner, up to five words, then a verb in the third
# person or a modal; its head word must name who acts (a role noun, a title, an acronym).
_ACTIVE = re.compile(r"^(?:(?:the|a|an|another|a\s+second|each|every|one|two|both)\s+)?(?P<np>(?:[\w&/'’.-]+\s+){0,5}?"
                     r"[\w&/'’.-]+)(?:\s*\([^)]{0,80}\))?(?:,\s*[^,]{1,80},)?\s+(?:also\s+|then\s+|now\s+|only\s+|\w+ly\s+)?"
                     r"(?:(?:may|must|should|will|can|shall)\s+(?:not\s+|only\s+|also\s+)?[a-z]+|"
                     r"(?!(?:is|was|has|does|goes|gets|needs|means|seems|happens)\b)[a-z]+(?:-[a-z]+)*s|"
                     r"(?<=s\s)(?!(?:are|were|have|do|be)\b)[a-z]{3,}(?=\s+(?:the|a|an|over|each|every|it|them|all|any)\b))\b")
_ACRONYM = re.compile(r"^[A-Z]{2,6}s?$")
_PASSIVE_AGENT = re.compile(r"\bby\s+(?:the|a|an|their|its|another|a\s+second)?\s*(?P<agent>(?:[\w&/-]+\s+){0,4}[\w&/-]+)", re.I)
LETTERED = re.compile(r"^\s*(?:\(?[a-z]\)|[ivx]{1,4}\))\s+")


def _names_actor(phrase: str, layout: Layout) -> bool:
    words = re.sub(r"\s+(?:in\s+charge|on\s+(?:duty|call|shift))$", "", phrase.strip(), flags=re.I).split()
    head = words[-1].strip(",.:;") if words else ""
    if _ACRONYM.match(head) or layout.actor_nouns.fullmatch(head.lower()) or layout.actor_nouns.fullmatch(
            head.lower().rstrip("s")):
        return True
    # A title in capitals ("HR Onboarding Coordinator", "Practice Supervisor"), not a sentence's first word alone.
    titled = [w for w in words if w[:1].isupper()]
    return len(titled) >= 2 and len(titled) == len(words) and bool(AGENT_SUFFIX.search(head) or _ACRONYM.match(words[0]))


def sentence_actor(text: str, layout: Layout) -> str | None:
    """Who acts in ``text``: the first active subject that names a role, title or acronym (after
    a leading "Within 2 days," or "Each week"), or a passive agent ("by the QA Officer"); None if
    no sentence says."""
    for sentence in re.split(r"(?<=[.!?;])\s+", strip_emphasis(text)):
        plain = sentence.strip()
        for _ in range(2):
            lead = _LEAD_CLAUSE.match(plain)
            if not lead:
                break
            plain = plain[lead.end():]
        active = _ACTIVE.match(plain)
        if active and _names_actor(active.group("np"), layout):
            return active.group("np").strip()
        agent = _PASSIVE_AGENT.search(sentence)
        if agent and _names_actor(agent.group("agent"), layout):
            return agent.group("agent").strip()
    return None


def sentence_names_actor(text: str, layout: Layout) -> bool:
    """Whether some sentence of ``text`` says who acts (see :func:`sentence_actor`)."""
    return sentence_actor(text, layout) is not None


def _known(label: str, roles: list[str]) -> bool:
    return any(label.strip().lower() == r.strip().lower() for r in roles)
