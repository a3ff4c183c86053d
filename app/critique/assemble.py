"""Map a document's blocks onto the SOP template.

Reads the canonical export (``docs/sop-markdown.md``) exactly, and hand-written variants:
heading synonyms, tables with other column names, numbered lists, ``Key: value`` lines,
metadata tables and owner/review sections. Items are built without length validation
(``model_construct``) so an over-long hand-written SOP can still be critiqued.
"""

from __future__ import annotations

import re
from typing import Any

from app.critique.blocks import Block
from app.critique.layout import Layout, load_layout, normalise, strip_emphasis
from app.critique.metadata import parse_date, parse_months, parse_status, split_owner
from app.models import (SOP, DataRules, Escalation, HistoryEntry, Maintenance, Metadata, Record, Role, Scope,
                        Statement, Step, Tool)

CITATION = re.compile(r"\s*\[src:\s*([^\]]*)\]\s*$", re.I)
EMPTY_MARK = re.compile(r"^[_*]*not stated in the sources\.?[_*]*$", re.I)
LABEL = re.compile(r"^(?P<label>[A-Za-z][\w '’/()&-]{0,48}?)\s*[:：]\s*(?P<value>.*)$")
DASH = re.compile(r"^(?P<label>.{1,60}?)\s+[—–-]\s+(?P<value>.+)$")
ARROW = re.compile(r"\s*(?:->|→|=>)\s*")
PROHIBITIVE = re.compile(r"\b(?:never|do not|don't|must not|may not|not allowed|not permitted|prohibited|no)\b", re.I)
# "If X, the agent tags it": the actor follows a leading condition.
CONDITION = re.compile(r"^(?:if|when|after|before|once|where|whenever|on|for)\b", re.I)
# "The Finance Clerk exports ...": a short noun phrase, then a verb in the third person.
SUBJECT = re.compile(r"(?:the\s+|an?\s+)?((?:[\w&-]+\s+){0,3}?[\w&-]+)\s+(?!(?:is|was|has|does|as|its|this|his)\b)(?=[a-z]+s\b)",
                     re.I)
AGENT_SUFFIX = re.compile(r"(?:er|or|ist|ant|ee|ian|bot|pert)$", re.I)
# Metadata written on one line: "Owner: X · Review: every 6 months".
META_SEPARATOR = re.compile(r"\n|\s+[·•|]\s+")
CADENCE = re.compile(r"\breview|\bevery\b|\d+\s*(?:month|year)|annual|quarterly|monthly|yearly", re.I)
STATEMENT_SECTIONS = {"purpose", "trigger", "inputs", "human_review", "quality_checks", "references"}
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
    return text[: match.start()].strip(), _ids(match.group(1))


def _ids(cell: str) -> list[str]:
    return [c for c in re.split(r"[,\s]+", cell.strip()) if c]


def split_label(text: str, max_words: int = 6) -> tuple[str, str] | None:
    """``"**Owner:** Dana"`` -> ``("Owner", "Dana")`` when the label is short."""
    match = LABEL.match(strip_emphasis(text))
    if not match or len(match.group("label").split()) > max_words or match.group("label").lower() in ("http", "https"):
        return None
    return match.group("label").strip(), match.group("value").strip()


class Builder:
    """Accumulates template fields while walking the blocks in order."""

    def __init__(self, layout: Layout, front: dict[str, Any]) -> None:
        self.layout = layout
        self.lists: dict[str, list] = {}
        self.meta: dict[str, Any] = {}
        self.maint: dict[str, Any] = {"citations": []}
        self.title = ""
        self.section: str | None = "preamble"
        self.section_level = 0
        self.heading = ""
        self.sub: str | None = None
        for key, value in front.items():
            field = layout.label_for(str(key))
            if field and value not in (None, ""):
                self.set_meta(field, value)

    # --- headings -------------------------------------------------------
    def on_heading(self, block: Block) -> None:
        """Switch section or sub-section."""
        if block.level == 1 and not self.title:
            self.title, self.section, self.section_level = block.text, "preamble", 1
            return
        if self.section and block.level > self.section_level:
            sub = self.layout.subsection_for(self.section, block.text)
            if sub:
                self.sub = sub
                return
        section = self.layout.section_for(block.text)
        if section and section != "title":
            self.section, self.section_level, self.heading, self.sub = section, block.level, block.text, None
        elif block.level <= max(self.section_level, 2):
            self.section, self.section_level, self.sub = None, block.level, None

    # --- metadata -------------------------------------------------------
    def set_meta(self, field: str, value: Any) -> None:
        """Store one metadata value under its template field."""
        text = " ".join(str(value).split())
        if field == "title":
            self.title = self.title or text
        elif field == "status":
            self.meta["status"] = parse_status(value)
        elif field == "owner_name":
            name, role = split_owner(text)
            if role and self.layout.actor_nouns.search(name) and not self.layout.actor_nouns.search(role):
                name, role = role, name  # "IT Service Desk Manager (Ola Nordmann)"
            self.meta["owner_name"] = name
            if role and not self.meta.get("owner_role"):
                self.meta["owner_role"] = role
        elif field in ("effective_date", "next_review_date"):
            parsed = parse_date(value)
            if parsed:
                self.meta[field] = parsed
            elif field == "next_review_date" and not self.maint.get("review_cadence"):
                self.maint["review_cadence"] = f"next review {text}"
        elif field == "review_cadence_months":
            self.meta[field] = parse_months(value)
        elif field in ("review_cadence", "feedback_route"):
            self.maint[field] = text
        else:
            self.meta[field] = text

    def labelled_meta(self, text: str, cites: list[str]) -> bool:
        """Take a ``Key: value`` line as metadata when the key is a metadata label."""
        pair = split_label(text)
        field = self.layout.label_for(pair[0]) if pair else None
        if not pair or not field:
            return False
        self.set_meta(field, pair[1])
        if field in ("review_cadence", "feedback_route"):
            self.maint["citations"].extend(cites)
        return True

    # --- list items and paragraphs -------------------------------------
    def add(self, path: str, item: Any) -> None:
        """Append an item to a template list."""
        self.lists.setdefault(path, []).append(item)

    def on_text(self, block: Block) -> None:
        """A list item or paragraph in the current section (metadata-like sections: line by line)."""
        if self.section in ("preamble", "metadata", "maintenance") and META_SEPARATOR.search(block.text):
            for line in META_SEPARATOR.split(block.text):
                self.on_text(Block(block.kind, line, block.level))
            return
        text, cites = split_citations(" ".join(block.text.split()))
        if not text or EMPTY_MARK.match(text) or self.section is None:
            return
        section = self.section
        if section == "preamble":
            self.preamble_text(text, cites)
        elif section == "metadata":
            if not self.labelled_meta(text, cites) and "owner" in normalise(self.heading):
                self.owner_text(text)
        elif section in STATEMENT_SECTIONS:
            self.add(section, Statement.model_construct(text=text, citations=cites))
        elif section == "scope":
            sub, value = self.scope_sub(text)
            self.add(f"scope.{sub}", Statement.model_construct(text=value, citations=cites))
        elif section == "data_rules":
            self.add(f"data_rules.{self.data_sub(text)}", Statement.model_construct(text=text, citations=cites))
        elif section == "maintenance":
            self.maintenance_text(text, cites)
        elif section == "steps":
            self.step_text(block, text, cites)
        elif section in TABLE_ITEMS and section != "history":
            self.add(section, item_from_text(section, text, cites))

    def preamble_text(self, text: str, cites: list[str]) -> None:
        """Lines before the first section: metadata labels, a review note, or an introduction (purpose)."""
        if self.labelled_meta(text, cites):
            return
        if re.search(r"\breview", text, re.I):
            self.maintenance_text(text, cites)
        else:
            self.add("purpose", Statement.model_construct(text=text, citations=cites))

    def owner_text(self, text: str) -> None:
        """Free text under an owner heading: a short name, or a sentence about ownership."""
        if len(text.split()) <= 8 and not self.meta.get("owner_name"):
            self.set_meta("owner_name", text.rstrip("."))
        else:
            self.add("roles", Role.model_construct(role="Procedure owner", responsibility=text, citations=[]))

    def scope_sub(self, text: str) -> tuple[str, str]:
        """Which scope list a line belongs to (by sub-heading, label or opening words)."""
        if self.sub:
            return self.sub, text
        pair = split_label(text)
        sub = self.layout.subsection_for("scope", pair[0]) if pair else None
        if sub and pair:
            return sub, pair[1]
        lowered = text.lower()
        if re.match(r"(?:out of scope|not covered|this (?:procedure|sop) does not|does not cover|excludes?)", lowered):
            return "out_of_scope", text
        if re.match(r"(?:when|use (?:this|it) when|applies when|whenever)\b", lowered):
            return "applies_when", text
        return "covered", text

    def data_sub(self, text: str) -> str:
        """Permitted or prohibited (by sub-heading, label or wording)."""
        if self.sub:
            return self.sub
        pair = split_label(text)
        sub = self.layout.subsection_for("data_rules", pair[0]) if pair else None
        return sub or ("prohibited" if PROHIBITIVE.search(text) else "permitted")

    def maintenance_text(self, text: str, cites: list[str]) -> None:
        """Cadence and feedback lines, or off-cycle triggers."""
        if self.sub == "off_cycle_triggers":
            self.add("maintenance.off_cycle_triggers", Statement.model_construct(text=text, citations=cites))
        elif self.labelled_meta(text, cites):
            return
        elif CADENCE.search(text) and not self.maint.get("review_cadence"):
            self.maint["review_cadence"] = text
            self.maint["citations"].extend(cites)
        elif re.search(r"\bfeedback\b", text, re.I) and not self.maint.get("feedback_route"):
            self.maint["feedback_route"] = text
            self.maint["citations"].extend(cites)
        else:
            self.add("maintenance.off_cycle_triggers", Statement.model_construct(text=text, citations=cites))

    def step_text(self, block: Block, text: str, cites: list[str]) -> None:
        """A numbered line (a step), a sub-item of the previous step, or an intro line (skipped)."""
        steps = self.lists.get("steps", [])
        if block.level > 1 and steps:
            previous = steps[-1]
            previous.action = f"{previous.action}; {text}" if previous.action else text
            previous.citations = list(dict.fromkeys([*previous.citations, *cites]))
            return
        if block.kind == "para" and text.endswith(":"):
            return
        roles = [r.role for r in self.lists.get("roles", []) if r.role]
        roles += [alias for t in self.lists.get("approved_tools", []) for alias in tool_aliases(t.name)]
        actor, action = split_actor(text, roles, self.layout)
        self.add("steps", Step.model_construct(actor=actor, action=action, output="", check="", citations=cites))

    # --- tables ---------------------------------------------------------
    def on_table(self, block: Block) -> None:
        """A table: items of a list section, metadata rows, or statements."""
        if not block.rows or self.section is None:
            return
        section = self.section
        if section in ("preamble", "metadata", "maintenance") or self.is_metadata_table(block.rows):
            for row in block.rows:
                if len(row) >= 2 and row[1].strip():
                    self.labelled_meta(f"{row[0]}: {row[1]}", [])
            return
        header, body = block.rows[0], block.rows[1:]
        columns = self.layout.column_map(section, header)
        if section in TABLE_ITEMS:
            if not (set(columns) - {"sources"}):
                columns, body = positional_columns(section, block.rows), block.rows
            for row in body:
                item = item_from_row(section, row, columns)
                if item is not None:
                    self.add(section, item)
            return
        for row in body:
            cites = _ids(row[columns["sources"]]) if "sources" in columns else []
            cells = [c for i, c in enumerate(row) if c and i != columns.get("sources")]
            self.on_text(Block("item", ": ".join(cells) + (f" [src: {', '.join(cites)}]" if cites else ""), 1))

    def is_metadata_table(self, rows: list[list[str]]) -> bool:
        """A two-column table whose first column is mostly metadata labels (an approval block)."""
        if not rows or any(len(r) != 2 for r in rows):
            return False
        labelled = sum(1 for r in rows if self.layout.label_for(r[0]))
        return labelled >= max(2, len(rows) // 2)

    # --- result -----------------------------------------------------------
    def build(self, fallback_title: str) -> SOP:
        """The assembled SOP."""
        get = self.lists.get
        return SOP.model_construct(
            title=self.title or fallback_title,
            metadata=Metadata.model_construct(**{k: v for k, v in self.meta.items() if v is not None}),
            purpose=get("purpose", []),
            scope=Scope.model_construct(**{k: get(f"scope.{k}", []) for k in Scope.model_fields}),
            roles=get("roles", []),
            trigger=get("trigger", []),
            inputs=get("inputs", []),
            approved_tools=get("approved_tools", []),
            data_rules=DataRules.model_construct(**{k: get(f"data_rules.{k}", []) for k in DataRules.model_fields}),
            steps=get("steps", []),
            human_review=get("human_review", []),
            quality_checks=get("quality_checks", []),
            escalation=get("escalation", []),
            records=get("records", []),
            maintenance=Maintenance.model_construct(
                citations=list(dict.fromkeys(self.maint["citations"])),
                review_cadence=self.maint.get("review_cadence", ""),
                feedback_route=self.maint.get("feedback_route", ""),
                off_cycle_triggers=get("maintenance.off_cycle_triggers", []),
            ),
            references=get("references", []),
            history=get("history", []),
        )


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
    return TABLE_ITEMS[section].model_construct(**values, citations=_ids(cell("sources")))


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


def split_actor(text: str, roles: list[str], layout: Layout) -> tuple[str, str]:
    """``"Team Lead: check X"`` / ``"The Team Lead checks X"`` -> ``("Team Lead", ...)``; else ``("", text)``."""
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
    return "", text


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


def _known(label: str, roles: list[str]) -> bool:
    return any(label.strip().lower() == r.strip().lower() for r in roles)


def assemble(blocks: list[Block], front: dict[str, Any], fallback_title: str) -> SOP:
    """The SOP described by ``blocks`` and the front matter ``front``."""
    builder = Builder(load_layout(), front)
    for block in blocks:
        if block.kind == "heading":
            builder.on_heading(block)
        elif block.kind == "table":
            builder.on_table(block)
        else:
            builder.on_text(block)
    return builder.build(fallback_title)
