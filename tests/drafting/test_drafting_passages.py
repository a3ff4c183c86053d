"""Evidence is chosen by sentence, never cut by position: a long chunk shows what matters to each section."""

from __future__ import annotations

from pathlib import Path

from app.drafting.evidence import gather_evidence
from app.drafting.generate import build_messages, short_ids
from app.drafting.passages import SHOWN_CHARS, sentence_spans, shown_text
from app.drafting.sections import load_plan
from app.services import Services

# An e-mail-like note: plain paragraphs, no headings, one chunk of about 1,000 characters.
# Everything a reviewer needs for records and ownership comes after the first 600 characters.
EMAIL_NOTE = (
    "Hi all, a quick note on how we handle supplier invoice extraction from now on, since a few "
    "people asked after last week's mix-up. When a supplier invoice arrives in the accounts inbox, "
    "the accounts payable clerk opens it in the Harbour Extract tool and lets it pull the supplier "
    "name, invoice number, amounts and due date into the ledger form. The clerk compares every "
    "extracted amount with the PDF before saving, and any invoice above 10,000 euros is checked a "
    "second time by the finance controller. Bank details are never typed into the tool and never "
    "taken from it; they come from the vendor master file only.\n\n"
    "Invoices that the tool cannot read, or where the totals do not add up, go to the finance "
    "controller the same day by a ticket in the AP queue. "
    "Each extraction is kept with the invoice in the ledger archive for seven years, together with "
    "the name of the clerk who checked it. "
    "Marta Olsen, head of finance operations, owns this procedure and reviews it every six months."
)


def test_sentences_cover_the_text_in_order() -> None:
    text = "The first step is a short one here. Then a second, longer one follows!\n- a list item\n- another list item that is longer"
    spans = sentence_spans(text)
    assert [text[s:e] for s, e in spans] == [
        "The first step is a short one here.", "Then a second, longer one follows!", "- a list item\n- another list item that is longer",
    ]
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:]))


def test_a_short_chunk_is_shown_whole_and_a_long_one_by_its_best_sentences() -> None:
    assert shown_text("Short text. Two sentences.", [0.1, 0.9]) == "Short text. Two sentences."
    spans = sentence_spans(EMAIL_NOTE)
    scores = [0.0] * len(spans)
    scores[-1] = 0.9  # the owner sentence, the last one
    shown = shown_text(EMAIL_NOTE, scores)
    assert "Marta Olsen, head of finance operations, owns this procedure" in shown
    assert len(shown) <= SHOWN_CHARS + 20
    # The sentence before one that leans on it comes along: "They …", "This …".
    text = "The clerk saves the form in the ledger. " * 12 + "Reviewers get the form next. They sign it within a day."
    spans = sentence_spans(text)
    scores = [0.0] * len(spans)
    scores[-1] = 0.9
    assert shown_text(text, scores).endswith("Reviewers get the form next. They sign it within a day.")


def test_without_scores_or_with_a_different_split_the_text_is_cut_at_a_sentence_end() -> None:
    shown = shown_text(EMAIL_NOTE)
    assert len(shown) <= SHOWN_CHARS and shown.endswith(".")
    assert shown_text(EMAIL_NOTE, [1.0, 0.0]) == shown


def test_what_comes_late_in_a_long_chunk_reaches_the_sections_that_need_it(settings, tmp_path: Path) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "invoice-email.txt").write_text(EMAIL_NOTE, encoding="utf-8")
    svc = Services(settings)
    assert svc.index.ingest([folder]).exit_code == 0
    plan = load_plan()
    specs = [plan.sections[k] for k in ("escalation", "records", "maintenance")]
    evidence = gather_evidence(svc.index, "Extract supplier invoice data with the Harbour Extract tool", specs,
                               k=3, min_score=settings.retrieval.min_score)
    svc.close()
    [chunk_id] = evidence.chunks
    assert len(evidence.chunks[chunk_id].text) > SHOWN_CHARS
    for spec, must_see in zip(specs, ("the same day by a ticket in the AP queue", "seven years", "every six months")):
        assert evidence.by_section[spec.key] == [chunk_id]
        ids = short_ids([spec], evidence)
        prompt = build_messages("Extract supplier invoice data", [spec], evidence, {chunk_id: EMAIL_NOTE, "task": "t"}, ids)
        assert must_see in prompt[1].content, spec.key
