"""Builders shared by the registry tests: a realistic SOP and draft, critique-like flags."""

from __future__ import annotations

from app.models import (
    SOP,
    ChunkRef,
    Draft,
    Escalation,
    Flag,
    Metadata,
    Record,
    Role,
    Statement,
    Step,
    Tool,
)

OWNER = "Dana Reyes"
ROLE = "Operations Manager"


def make_sop(title: str = "Summarise internal meetings with AI", sop_id: str = "SOP-0001") -> SOP:
    """A small SOP that fills every kind of section (bullets, tables, sub-sections)."""
    cite = ["3fa9c1d2e4b5"]
    return SOP(
        title=title,
        metadata=Metadata(sop_id=sop_id, review_cadence_months=6),
        purpose=[Statement(text="Produce an accurate summary of internal meetings within one business day.",
                           citations=cite)],
        roles=[Role(role="Meeting organiser", responsibility="Runs the procedure | end to end", citations=cite)],
        trigger=[Statement(text="An internal meeting has ended.", citations=cite)],
        approved_tools=[Tool(name="Microsoft Copilot (enterprise tenant)", use="Draft the summary", citations=cite)],
        steps=[Step(actor="Meeting organiser", action="Export the transcript", output="Transcript file",
                    citations=cite),
               Step(actor="Meeting organiser", action="Check the summary\nagainst the transcript",
                    check="Names and numbers match", citations=["3fa9c1d2e4b5", "77aa00bb11cc"])],
        escalation=[Escalation(trigger="the summary contains personal data", route="Data protection officer",
                               timing="within 1 business day", citations=cite)],
        records=[Record(what="final summary", where="Team SharePoint", retention="2 years", citations=cite)],
    )


def make_draft(draft_id: str = "d-0001", sop: SOP | None = None) -> Draft:
    """A draft with chunk snapshots for its citations (sources feed drift detection)."""
    chunks = {
        "3fa9c1d2e4b5": ChunkRef(chunk_id="3fa9c1d2e4b5", source="examples/meeting-notes.md",
                                 text="Summaries are due within one business day.", source_sha256="a" * 64),
        "77aa00bb11cc": ChunkRef(chunk_id="77aa00bb11cc", source="examples/checklist.md",
                                 text="Check names and numbers.", source_sha256="b" * 64),
    }
    return Draft(draft_id=draft_id, task="Summarise meetings", sop=sop or make_sop(), chunks=chunks)


def blocker(evidence: str = "as appropriate") -> Flag:
    """A non-advisory blocker like the critique's."""
    return Flag(rule="missing-control", severity="blocker", section="human_review",
                message="No human review step before the summary is sent.", evidence=evidence)


def approve_latest(store, draft_id: str = "d-0001", flags: list[Flag] | None = None, **kwargs):
    """Approve the latest version with a valid owner, role and confirmation."""
    from app.registry.workflow import approve

    args = {"owner_name": OWNER, "owner_role": ROLE, "confirm": True, "flags": flags or [], **kwargs}
    return approve(store, draft_id, **args)


def bypass_protection(store):
    """Drop the immutability triggers, as someone editing the database file by hand would."""
    from app.registry.schema import PROTECTION_TRIGGERS

    conn = store._conn()
    for trigger in PROTECTION_TRIGGERS:
        conn.execute(f"DROP TRIGGER {trigger}")
    return conn
