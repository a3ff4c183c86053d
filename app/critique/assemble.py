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
from app.critique.document import Document, HeadingMap, Passage
from app.critique.items import (STEP_NUMBER, TABLE_ITEMS, ids, item_from_row, item_from_text, positional_columns, split_actor,
                                split_citations, split_label, tool_aliases)
from app.critique.layout import Layout, load_layout, normalise
from app.critique.metadata import parse_date, parse_months, parse_status, split_owner
from app.models import SOP, DataRules, Maintenance, Metadata, Role, Scope, Statement, Step

# "**Trigger.** Working day 4 of the close ...": a bold lead-in naming a section.
BOLD_LABEL = re.compile(r"^(?:\*\*|__)(?P<label>[^*_:]{2,60}?)[.:]?(?:\*\*|__)[.:]?\s+(?P<value>\S.*)$", re.S)
EMPTY_MARK = re.compile(r"^[_*]*not stated in the sources\.?[_*]*$", re.I)
PROHIBITIVE = re.compile(r"\b(?:never|do not|don't|must not|may not|not allowed|not permitted|prohibited|no)\b", re.I)
# Metadata written on one line: "Owner: X · Review: every 6 months".
META_SEPARATOR = re.compile(r"\n|\s+[·•|]\s+")
CADENCE = re.compile(r"\breview|\bevery\b|\d+\s*(?:month|year)|annual|quarterly|monthly|yearly", re.I)
STATEMENT_SECTIONS = {"purpose", "trigger", "inputs", "human_review", "quality_checks", "references"}


class Builder:
    """Accumulates template fields while walking the blocks in order."""

    def __init__(self, layout: Layout, front: dict[str, Any], by_meaning: dict[str, HeadingMap] | None = None) -> None:
        self.layout = layout
        self.by_meaning = by_meaning or {}
        self.headings: list[HeadingMap] = []
        self.current_heading = ""
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
        """Switch section or sub-section (by synonym, else by meaning)."""
        first, self.current_heading = not self.current_heading, block.text
        if block.level == 1 and (first or not self.title):
            self.title, self.section, self.section_level = self.title or block.text, "preamble", 1
            return
        if self.section and block.level > self.section_level:
            sub = self.layout.subsection_for(self.section, block.text)
            if sub:
                self.sub = sub
                return
        section = self.layout.synonym_section(block.text)
        found = HeadingMap(block.text, section, "synonym", 1.0) if section else self.by_meaning.get(block.text)
        if found is None or found.section is None:
            keyword = self.layout.keyword_section(block.text)
            found = HeadingMap(block.text, keyword, "keyword", found.similarity if found else 0.0) if keyword \
                else found or HeadingMap(block.text, None, "none")
        self.headings.append(found)
        section = found.section
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
        """Take a ``Key: value`` line as metadata when the key is a metadata label.

        A key that names a section instead ("Approved tool: X", "Trigger: Y") feeds that section.
        """
        pair = split_label(text)
        field = self.layout.label_for(pair[0]) if pair else None
        if pair and not field:
            return self.feed(self.layout.synonym_section(pair[0]), pair[1], text)
        if not pair or not field:
            return False
        self.set_meta(field, pair[1])
        if field in ("review_cadence", "feedback_route"):
            self.maint["citations"].extend(cites)
        return True

    def feed(self, section: str | None, text: str, full: str = "") -> bool:
        """Read ``text`` as a line of ``section`` (a header row or label naming a section).

        Statement sections get the ``full`` line ("Who checks: the Triage Consultant"), item
        sections the value alone ("Approved tool: X" -> the tool X).
        """
        if section in (None, "title", "metadata", "preamble") or not text.strip():
            return False
        if full and section not in TABLE_ITEMS:
            text = full
        saved = (self.section, self.sub, self.heading)
        self.section, self.sub, self.heading = section, None, section
        try:
            self.on_text(Block("item", text, 1))
        finally:
            self.section, self.sub, self.heading = saved
        return True

    # --- list items and paragraphs -------------------------------------
    def add(self, path: str, item: Any) -> None:
        """Append an item to a template list."""
        self.lists.setdefault(path, []).append(item)

    def on_text(self, block: Block) -> None:
        """A list item or paragraph in the current section (metadata-like sections: line by line)."""
        bold = BOLD_LABEL.match(block.text.strip())
        if bold and len(bold.group("label").split()) <= 6 and self.section not in ("steps",):
            named = self.layout.section_for(bold.group("label"))
            if named and named != self.section and self.feed(named, bold.group("value"), bold.group("value")):
                return
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
        pair = split_label(STEP_NUMBER.sub("", text, count=1))
        if pair and (named := self.layout.synonym_section(pair[0])) not in (None, "steps", "metadata", "title"):
            self.feed(named, pair[1], text)  # "5.1 Trigger: the procedure starts when ..." states the trigger
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
            cites = ids(row[columns["sources"]]) if "sources" in columns else []
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


def table_lines(rows: list[list[str]]) -> list[str]:
    """A table's rows as lines: ``key: value`` for two columns, ``header: cell; ...`` otherwise."""
    rows = [[" ".join(c.split()) for c in r] for r in rows if any(c.strip() for c in r)]
    if not rows:
        return []
    if all(len(r) == 2 for r in rows):
        return [f"{a}: {b}" if a and b else a or b for a, b in rows]
    header = rows[0]
    return [" ".join(header)] + [" | ".join(f"{h}: {c}" if h else c for h, c in zip(header, r) if c)
                                for r in rows[1:]]


def assemble_document(blocks: list[Block], front: dict[str, Any], fallback_title: str,
                      by_meaning: dict[str, HeadingMap] | None = None) -> Document:
    """The SOP described by ``blocks`` and ``front``, with every block as a passage.

    ``by_meaning`` maps headings the synonym list does not know to a section (see
    ``app.critique.sections``).
    """
    builder = Builder(load_layout(), front, by_meaning)
    passages = [Passage(f"{k}: {v}", "metadata", "front matter", "front") for k, v in front.items()
                if v not in (None, "") and not isinstance(v, (dict, list))]
    for block in blocks:
        if block.kind == "heading":
            builder.on_heading(block)
            continue
        where = None if builder.section is None else builder.section
        if block.kind == "table":
            builder.on_table(block)
            passages += [Passage(line, where, builder.current_heading, "table") for line in table_lines(block.rows)]
        else:
            builder.on_text(block)
            passages.append(Passage(block.text, where, builder.current_heading, block.kind))
    return Document(builder.build(fallback_title), passages, dict(front), builder.headings)


def assemble(blocks: list[Block], front: dict[str, Any], fallback_title: str) -> SOP:
    """The SOP described by ``blocks`` and the front matter ``front``."""
    return assemble_document(blocks, front, fallback_title).sop
