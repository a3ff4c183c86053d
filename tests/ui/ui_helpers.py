"""Helpers shared by the UI tests: prepare data through the app's own services, read pages."""

from __future__ import annotations

from pathlib import Path

MEETING_NOTES = Path(__file__).resolve().parents[2] / "examples" / "meeting-summaries.md"
TASK = "Summarise internal meetings with AI"
OWNER = "Dana Reyes"
ROLE = "Operations Manager"
# Drafting every section spends most of its time verifying statements with the embedding
# model; a few sections exercise the same UI paths in a fraction of the time.
FEW_SECTIONS = ["purpose", "roles", "steps", "human_review"]


def services_of(at) -> "object":  # noqa: ANN001 - AppTest
    """The Services the running app built (to prepare data the fast way)."""
    return at.session_state["sopdraft"].context.services


def no_errors(at) -> None:  # noqa: ANN001 - AppTest
    """Fail with the messages if the page raised or showed an error."""
    problems = [e.value for e in at.exception] + [e.value for e in at.error]
    assert not problems, problems


def ingest_notes(at, paths: list[Path] | None = None) -> None:  # noqa: ANN001 - AppTest
    """Ingest the meeting notes (or ``paths``) through the app's own index."""
    report = services_of(at).index.ingest(paths or [MEETING_NOTES])
    assert report.count("failed") == 0, report


def create_draft(at) -> str:  # noqa: ANN001 - AppTest
    """Draft the meeting-summary SOP with the fake model; returns the draft id."""
    from app.drafting.service import create_draft as draft

    return draft(services_of(at), TASK, sections=FEW_SECTIONS, author=OWNER).draft_id


def button(at, label: str):  # noqa: ANN001, ANN201 - AppTest and its Button
    """The one button whose label starts with ``label``."""
    found = [b for b in at.button if b.label.startswith(label)]
    assert len(found) == 1, (label, [b.label for b in at.button])
    return found[0]


def texts(at) -> str:  # noqa: ANN001 - AppTest
    """Every piece of text on the page, joined (for 'the page says …' assertions)."""
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [t.value for t in at.text]
    parts += [e.value for kind in (at.info, at.success, at.warning, at.error) for e in kind]
    return "\n".join(str(p) for p in parts)



def clear_blockers(services, draft_id: str):  # noqa: ANN001, ANN201 - Services -> DraftRecord
    """Name the owner (a new version) and waive the blockers left, through the workflow API.

    The AppTest flow does the same by hand; other tests use this to reach approval quickly.
    """
    from app.critique import critique_draft
    from app.registry import workflow

    store = services.store
    record = store.get_draft(draft_id)
    meta = record.draft.sop.metadata.model_copy(update={"owner_name": OWNER, "owner_role": ROLE})
    record = workflow.edit(store, draft_id, record.draft.sop.model_copy(update={"metadata": meta}),
                           author=OWNER, reason="Named the owner", expected_version=record.version)
    flags = critique_draft(record.draft, services.catalogue)
    for flag in workflow.unresolved_blockers(flags, record.waivers):
        workflow.waive(store, draft_id, flag.flag_id, author=OWNER, flags=flags,
                       reason="Checked against the meeting notes by the owner; acceptable as written.")
    return store.get_draft(draft_id)
