"""The fixed SOP template and the records that travel with a draft.

One pydantic model (:class:`SOP`) is used by the LLM's structured output, the critique,
the UI and the exports. Every statement that comes from sources carries ``citations``:
ids of source chunks. List lengths are bounded so constrained decoding cannot run forever.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from typing import Annotated, Iterator, Literal

from pydantic import BaseModel, ConfigDict, Field

MAX_SHORT_TEXT = 600
ShortText = Annotated[str, Field(max_length=MAX_SHORT_TEXT)]
Citations = Annotated[list[str], Field(default_factory=list, max_length=6)]
MAX_TITLE = 200
MAX_REFERENCES = 10
# References are derived from the citations (never decoded by the model), so one may list every
# chunk of its sources that the SOP cites.
MAX_REFERENCE_CITATIONS = 1000

SOPStatus = Literal["draft", "in_review", "approved", "exported", "superseded"]
Severity = Literal["blocker", "warning", "info"]


class Cited(BaseModel):
    """Base of every template item that may come from sources."""

    model_config = ConfigDict(extra="forbid")

    citations: Citations = Field(
        description="Ids of the source chunks that say this. Empty means no source supports it."
    )

    def as_text(self) -> str:
        """The item as one line of plain text (used by critique, verification and exports)."""
        values = self.model_dump(exclude={"citations"}).values()
        return " ".join(str(v) for v in values if isinstance(v, str) and v)


class Statement(Cited):
    """One sentence of the procedure."""

    text: ShortText = Field(description="One complete, concrete sentence.")

    def as_text(self) -> str:
        return self.text


class Reference(Statement):
    """A cited source (or a group of them) with every chunk of it that the SOP cites."""

    # A plain Statement (e.g. from a parsed SOP file) is accepted as a reference.
    model_config = ConfigDict(extra="forbid", from_attributes=True)

    citations: Annotated[list[str], Field(default_factory=list, max_length=MAX_REFERENCE_CITATIONS)] = Field(
        description="Ids of the cited chunks of these sources."
    )


class Role(Cited):
    """A role and what it is responsible for in this procedure."""

    role: Annotated[str, Field(max_length=120)] = Field(
        description="Job title or team of people, e.g. 'Team lead'; never a tool and never a person's name."
    )
    responsibility: ShortText = Field(description="What this role does in this procedure.")

    def as_text(self) -> str:
        return f"{self.role}: {self.responsibility}"


class Tool(Cited):
    """A named tool that is approved for this task."""

    name: Annotated[str, Field(max_length=120)] = Field(description="Product or system name as the sources give it.")
    use: ShortText = Field("", description="What the tool is approved for in this procedure.")

    def as_text(self) -> str:
        return f"{self.name}: {self.use}" if self.use else self.name


class Step(Cited):
    """One step of the procedure."""

    actor: Annotated[str, Field(max_length=120)] = Field(
        description="The role that performs the step (a job title, not a person's name)."
    )
    action: ShortText = Field(description="What the actor does, in the imperative.")
    output: ShortText = Field("", description="What the step produces.")
    check: ShortText = Field("", description="Optional decision or check made in this step.")

    def as_text(self) -> str:
        parts = [f"{self.actor}: {self.action}".strip(": ")]
        if self.output:
            parts.append(f"Output: {self.output}")
        if self.check:
            parts.append(f"Check: {self.check}")
        return ". ".join(parts)


class Escalation(Cited):
    """When to escalate, to whom, and how fast."""

    trigger: ShortText = Field(description="The condition that requires escalation.")
    route: ShortText = Field(description="The named role or channel to escalate to.")
    timing: ShortText = Field("", description="How quickly, e.g. 'within 1 business day'.")

    def as_text(self) -> str:
        timing = f" ({self.timing})" if self.timing else ""
        return f"If {self.trigger} -> {self.route}{timing}"


class Record(Cited):
    """What is kept, where, and for how long."""

    what: ShortText = Field(description="The record kept, e.g. 'final summary'.")
    where: ShortText = Field(description="The named system or location where it is kept.")
    retention: ShortText = Field("", description="How long it is kept.")

    def as_text(self) -> str:
        retention = f", kept {self.retention}" if self.retention else ""
        return f"{self.what} in {self.where}{retention}"


class Scope(BaseModel):
    """What the procedure covers and what it does not."""

    model_config = ConfigDict(extra="forbid")

    covered: Annotated[list[Statement], Field(max_length=8)] = Field(default_factory=list)
    applies_when: Annotated[list[Statement], Field(max_length=8)] = Field(default_factory=list)
    out_of_scope: Annotated[list[Statement], Field(max_length=8)] = Field(default_factory=list)
    excluded_from_ai: Annotated[list[Statement], Field(max_length=8)] = Field(default_factory=list)


class DataRules(BaseModel):
    """Which data may and may not be used with the tools."""

    model_config = ConfigDict(extra="forbid")

    permitted: Annotated[list[Statement], Field(max_length=10)] = Field(default_factory=list)
    prohibited: Annotated[list[Statement], Field(max_length=10)] = Field(default_factory=list)


class Maintenance(BaseModel):
    """How the SOP itself is kept current."""

    model_config = ConfigDict(extra="forbid")

    citations: Citations = Field(description="Ids of the source chunks that state the cadence or feedback route.")
    review_cadence: Annotated[str, Field(max_length=120)] = Field(
        "", description="Review interval, e.g. 'every 6 months'."
    )
    feedback_route: ShortText = ""
    off_cycle_triggers: Annotated[list[Statement], Field(max_length=8)] = Field(default_factory=list)


class HistoryEntry(BaseModel):
    """One line of the document history."""

    model_config = ConfigDict(extra="forbid")

    version: str
    date: str
    author: str
    change: ShortText


class Metadata(BaseModel):
    """Identification and control data of the SOP (set by people, not by the model)."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    sop_id: str = ""
    version: str = "0.1"
    status: SOPStatus = "draft"
    owner_name: str = ""
    owner_role: str = ""
    approver: str = ""
    effective_date: date | None = None
    review_cadence_months: int | None = Field(None, ge=1, le=60)
    next_review_date: date | None = None


class SOP(BaseModel):
    """The fixed SOP template."""

    # Assignments are checked too: a value over a bound must be refused, never stored.
    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    title: Annotated[str, Field(max_length=MAX_TITLE)]
    metadata: Metadata = Field(default_factory=Metadata)
    purpose: Annotated[list[Statement], Field(max_length=4)] = Field(default_factory=list)
    scope: Scope = Field(default_factory=Scope)
    roles: Annotated[list[Role], Field(max_length=10)] = Field(default_factory=list)
    trigger: Annotated[list[Statement], Field(max_length=6)] = Field(default_factory=list)
    inputs: Annotated[list[Statement], Field(max_length=8)] = Field(default_factory=list)
    approved_tools: Annotated[list[Tool], Field(max_length=6)] = Field(default_factory=list)
    data_rules: DataRules = Field(default_factory=DataRules)
    steps: Annotated[list[Step], Field(max_length=20)] = Field(default_factory=list)
    human_review: Annotated[list[Statement], Field(max_length=6)] = Field(default_factory=list)
    quality_checks: Annotated[list[Statement], Field(max_length=10)] = Field(default_factory=list)
    escalation: Annotated[list[Escalation], Field(max_length=8)] = Field(default_factory=list)
    records: Annotated[list[Record], Field(max_length=8)] = Field(default_factory=list)
    maintenance: Maintenance = Field(default_factory=Maintenance)
    references: Annotated[list[Reference], Field(max_length=MAX_REFERENCES)] = Field(default_factory=list)
    history: Annotated[list[HistoryEntry], Field(max_length=50)] = Field(default_factory=list)

    def cited_items(self) -> Iterator[tuple[str, Cited]]:
        """Yield ``(section_path, item)`` for every citable item, in document order."""
        for name in SECTION_ORDER:
            value = getattr(self, name)
            if isinstance(value, list):
                for item in value:
                    if isinstance(item, Cited):
                        yield name, item
        for name, items in (
            ("scope.covered", self.scope.covered),
            ("scope.applies_when", self.scope.applies_when),
            ("scope.out_of_scope", self.scope.out_of_scope),
            ("scope.excluded_from_ai", self.scope.excluded_from_ai),
            ("data_rules.permitted", self.data_rules.permitted),
            ("data_rules.prohibited", self.data_rules.prohibited),
            ("maintenance.off_cycle_triggers", self.maintenance.off_cycle_triggers),
        ):
            for item in items:
                yield name, item

    def all_citations(self) -> set[str]:
        """Every chunk id the SOP cites (including the maintenance cadence)."""
        cited = {c for _, item in self.cited_items() for c in item.citations}
        return cited | set(self.maintenance.citations)

    def content_hash(self) -> str:
        """SHA-256 of the canonical content (see :func:`canonical_content`)."""
        return hashlib.sha256(canonical_content(self).encode("utf-8")).hexdigest()


# Sections whose value is a flat list of cited items, in template order.
SECTION_ORDER: tuple[str, ...] = (
    "purpose",
    "roles",
    "trigger",
    "inputs",
    "approved_tools",
    "steps",
    "human_review",
    "quality_checks",
    "escalation",
    "records",
    "references",
)

def item_fields(cls: type[Cited]) -> tuple[str, ...]:
    """The fields of an item type in template order, citations left out: how an item is written
    as one line (``role | responsibility``) by the UI editor, the Markdown export and drafting."""
    return tuple(name for name in cls.model_fields if name != "citations")


def _list_item_type(annotation: object) -> type[Cited] | None:
    from typing import get_args, get_origin

    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    if get_origin(annotation) is list:
        (inner,) = get_args(annotation)
        if isinstance(inner, type) and issubclass(inner, Cited):
            return inner
    return None


# Sections that are one list of items, and the item type of each (derived from :class:`SOP`).
LIST_SECTIONS: dict[str, type[Cited]] = {
    name: item for name, field in SOP.model_fields.items() if (item := _list_item_type(field.annotation))
}
# Sections made of several parts (scope, data rules, maintenance): each part's name and, for a
# list of statements, its item type (None for a plain text field such as the review cadence).
SECTION_PARTS: dict[str, dict[str, type[Cited] | None]] = {
    name: {part: _list_item_type(f.annotation) for part, f in field.annotation.model_fields.items()
           if part != "citations"}
    for name, field in SOP.model_fields.items()
    if isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel) and field.annotation is not Metadata
}

# Human-readable section titles, in template order (used by UI, exports and critique).
SECTION_TITLES: dict[str, str] = {
    "purpose": "Purpose",
    "scope": "Scope",
    "roles": "Roles and responsibilities",
    "trigger": "Trigger",
    "inputs": "Inputs",
    "approved_tools": "Approved tools",
    "data_rules": "Data rules",
    "steps": "Procedure",
    "human_review": "Human review and sign-off",
    "quality_checks": "Quality checks",
    "escalation": "Escalation",
    "records": "Records",
    "maintenance": "Maintenance",
    "references": "References",
    "history": "Document history",
}


def canonical_content(sop: SOP) -> str:
    """Canonical JSON of what an approver approves.

    Workflow fields (status, approver, version, dates set at approval, history) are
    excluded so that approving or exporting does not change the hash of the approved text.
    """
    data = sop.model_dump(mode="json", exclude={"metadata": {"status", "approver", "version", "effective_date",
                                                             "next_review_date"}, "history": True})
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


class ChunkRef(BaseModel):
    """A snapshot of one source chunk as it was shown to the model."""

    chunk_id: str
    source: str
    page: int | None = None
    heading: str = ""
    text: str
    content_hash: str = ""
    source_sha256: str = ""


class Flag(BaseModel):
    """One critique finding."""

    rule: str
    severity: Severity
    section: str
    message: str
    evidence: str = ""
    suggestion: str = ""
    advisory: bool = Field(False, description="From an optional LLM pass; never blocks approval.")

    @property
    def flag_id(self) -> str:
        """Stable id of this finding (rule, section and evidence), used by waivers."""
        key = f"{self.rule}|{self.section}|{self.evidence}"
        return hashlib.sha256(key.encode("utf-8")).hexdigest()[:12]


class Redaction(BaseModel):
    """One piece of text masked before it left the machine."""

    kind: str
    placeholder: str
    chunk_id: str = ""


class Draft(BaseModel):
    """A drafted SOP together with everything a reviewer needs to check it."""

    model_config = ConfigDict(validate_assignment=True)

    draft_id: str
    task: str
    sop: SOP
    evidence: dict[str, list[str]] = Field(
        default_factory=dict, description="Section -> chunk ids retrieved as its evidence."
    )
    chunks: dict[str, ChunkRef] = Field(default_factory=dict, description="Snapshot of every chunk shown.")
    flags: list[Flag] = Field(default_factory=list, description="Drafting-time flags (unsupported, injection).")
    redactions: list[Redaction] = Field(default_factory=list)
    provider: str = ""
    model: str = ""
    created_at: datetime = Field(default_factory=datetime.now)
    duration_s: float = 0.0
