"""References: one per cited source, never more than the template holds, no cited chunk lost."""

from __future__ import annotations

from pathlib import Path

from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage

from app.drafting.service import _references, create_draft
from tests.support.people import author_of
from app.models import MAX_REFERENCES, SOP, ChunkRef, Statement
from app.services import Services
from app.settings import Settings
from tests.support.drafting import canned_sop_reply

TOPICS = ["code review", "design critique", "recruiting", "accessibility audits", "travel booking",
          "budget approvals", "meeting summaries", "ticket triage", "customer replies", "invoice extraction",
          "release notes", "vendor onboarding", "incident reviews", "survey analysis", "contract summaries",
          "expense coding", "social media posts", "translation", "sales call notes", "password resets"]


def _chunks(sources: int, per_source: int) -> dict[str, ChunkRef]:
    return {f"c{s:02}-{n}": ChunkRef(chunk_id=f"c{s:02}-{n}", source=f"notes/source-{s:02}.md", text="x")
            for s in range(sources) for n in range(per_source)}


def test_references_fit_the_template_and_keep_every_cited_chunk() -> None:
    chunks = _chunks(sources=23, per_source=4)
    ids = sorted(chunks)
    sop = SOP(title="Broad", purpose=[Statement(text="p", citations=ids[i:i + 6]) for i in range(0, 24, 6)],
              inputs=[Statement(text="i", citations=ids[i:i + 6]) for i in range(24, 72, 6)],
              quality_checks=[Statement(text="q", citations=ids[i:i + 6]) for i in range(72, 92, 6)])
    refs = _references(sop, chunks)
    assert len(refs) <= MAX_REFERENCES
    assert sorted(c for r in refs for c in r.citations) == ids
    assert all(chunks[c].source in r.text for r in refs for c in r.citations)
    SOP.model_validate(sop.model_copy(update={"references": refs}).model_dump())


def test_one_reference_per_source_when_they_fit() -> None:
    chunks = _chunks(sources=3, per_source=8)
    sop = SOP(title="Narrow", steps=[], purpose=[Statement(text="p", citations=sorted(chunks)[:6])],
              inputs=[Statement(text="i", citations=sorted(chunks)[8:14])])
    refs = _references(sop, chunks)
    assert [r.text for r in refs] == ["notes/source-00.md", "notes/source-01.md"]
    assert [len(r.citations) for r in refs] == [6, 6]


def test_a_draft_citing_many_sources_can_be_read_back_and_critiqued(settings: Settings, tmp_path: Path) -> None:
    notes = tmp_path / "notes"
    notes.mkdir()
    for n, topic in enumerate(TOPICS):
        (notes / f"{n:02}-{topic.replace(' ', '-')}.md").write_text(
            f"# {topic.title()}\n\nStaff use the approved AI assistant for {topic}. The team lead reviews every "
            f"output of {topic} before it is used, and escalates problems with {topic} to InfoSec the same day. "
            f"Records of {topic} are kept in the shared drive for a year.\n", encoding="utf-8")
    settings.retrieval.evidence_per_section = 6
    settings.drafting.design = "groups"  # evidence from every note: more sources than the references hold
    model = GenericFakeChatModel(messages=(AIMessage(content=canned_sop_reply()) for _ in range(100)))
    svc = Services(settings, chat_model=model)
    try:
        assert svc.index.ingest([notes]).exit_code == 0
        record = create_draft(svc, "Use AI tools for " + ", ".join(TOPICS), identity=author_of(svc))
        again = svc.store.get_draft(record.draft_id).draft
        assert len({again.chunks[c].source for c in again.sop.all_citations()}) > MAX_REFERENCES
        assert len(again.sop.references) <= MAX_REFERENCES
        assert {c for r in again.sop.references for c in r.citations} == again.sop.all_citations()
    finally:
        svc.close()


def test_many_long_source_names_still_fit_one_statement_each() -> None:
    chunks = {f"c{s:03}": ChunkRef(chunk_id=f"c{s:03}", source=f"{'deep/' * 20}source-{s:03}.md", text="x")
              for s in range(200)}
    ids = sorted(chunks)
    sop = SOP(title="Wide", steps=[], inputs=[Statement(text="i", citations=ids[i:i + 6]) for i in range(0, 48, 6)],
              quality_checks=[Statement(text="q", citations=ids[i:i + 6]) for i in range(48, 108, 6)])
    refs = _references(sop, chunks)
    assert len(refs) == MAX_REFERENCES and sorted(c for r in refs for c in r.citations) == ids[:108]
    assert all(len(r.text) <= 600 and "more sources" in r.text for r in refs)
