"""The task's own documents are what a draft is written from, and a long one is cut by relevance, never by position."""

from __future__ import annotations

from pathlib import Path

from app.drafting.documents import gather_sources, plain, task_documents
from app.services import Services
from app.settings import Settings

LEAVE = """# Going out of office

Before taking leave, be sure to:

1. Submit a leave request through HR Links at least three business days in advance.
2. Mark your out of office time on your calendar.
3. Set up an email auto-responder with a point of contact.
4. Update your Slack status.
"""
TOCK = """# Tock

Tock is where we record time. Billable staff log their hours each week, including leave taken,
under the matching Tock line. Leave itself is requested elsewhere.
"""
FILLER = "The history of the office is long and the building has three floors with meeting rooms. "


def _index(settings: Settings, tmp_path: Path, files: dict[str, str]) -> Services:
    folder = tmp_path / "notes"
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    svc = Services(settings)
    assert svc.index.ingest([folder]).exit_code == 0
    return svc


def test_the_document_titled_for_the_task_is_chosen_over_a_page_that_mentions_it(settings, tmp_path) -> None:
    svc = _index(settings, tmp_path, {"going-out-of-office.md": LEAVE, "tock.md": TOCK})
    chosen = task_documents(svc.index, "Request leave and go out of office", settings.drafting)
    svc.close()
    assert list(chosen) == ["going-out-of-office.md"]


def test_a_long_document_keeps_its_relevant_sentences_wherever_they_stand(settings, tmp_path) -> None:
    late = "Invoices above 10,000 euros are escalated to the finance controller within one hour."
    text = "# Invoice handling\n\n" + FILLER * 60 + "\n\n" + late + "\n"
    svc = _index(settings, tmp_path, {"invoices.md": text})
    cfg = settings.drafting.model_copy(update={"source_chars": 800})
    sources = gather_sources(svc.index, "Handle supplier invoices", ["escalate, to whom, how fast"], cfg)
    shown = "\n".join(sources.render({cid: ref.text for cid, ref in sources.chunks.items()}).values())
    svc.close()
    assert len(text) > 4000 and len(shown) <= 900
    assert late in shown and any(late in s for _, s in sources.sentences())


def test_short_documents_are_shown_whole(settings, tmp_path) -> None:
    svc = _index(settings, tmp_path, {"going-out-of-office.md": LEAVE})
    sources = gather_sources(svc.index, "Go out of office", ["steps"], settings.drafting)
    shown = "".join(sources.render({cid: ref.text for cid, ref in sources.chunks.items()}).values())
    svc.close()
    assert not sources.kept and "Update your Slack status." in shown


def test_links_lose_their_targets_but_a_mail_link_keeps_its_address() -> None:
    text = ('report it to the <a href="mailto:desk@example.org?subject=Incident">service desk</a>; see '
            '[the guide](https://example.org/guide) or [ir@example.org](mailto:ir@example.org)')
    assert plain(text) == "report it to the service desk (desk@example.org); see the guide or ir@example.org"
