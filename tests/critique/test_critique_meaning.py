"""Sections by meaning, controls found anywhere, and AI applicability."""

from __future__ import annotations

from datetime import date

import pytest

from app.critique import critique_document, load_catalogue
from app.critique.meaning import meaning
from app.critique.parse import read_markdown

TODAY = date(2026, 11, 27)
PLAIN = """# Petty cash at the Leeds office

Owner: Office Manager · Reviewed every 12 months

## What this covers
Cash payments under £50 for office supplies at the Leeds office. It does not cover travel or staff expenses.

## When you use it
When a member of staff asks to be repaid for a purchase and shows a receipt.

## Paying out
1. The Office Manager checks the receipt and pays the amount from the tin.
2. The Office Manager records the payment in the petty-cash log.
3. The Finance Assistant checks every payment in the log against its receipt each Friday and signs the log.

## Checks
- Every payment has a receipt and the totals in the log match the cash counted.

## Who to call
If the cash does not balance by more than £5, the Office Manager tells the Finance Controller the same day.

## What we keep
Receipts and the log are filed in the Finance SharePoint library and kept for 6 years.
"""


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue(None)


needs_model = pytest.mark.skipif(meaning() is None, reason="embedding model not installed")


@needs_model
def test_plain_language_headings_map_by_meaning():
    doc = read_markdown(PLAIN)
    how = {h.heading: (h.section, h.how) for h in doc.headings}
    assert how["What this covers"][0] == "scope"
    assert how["When you use it"][0] == "trigger"
    assert how["Who to call"][0] == "escalation"
    assert how["What we keep"][0] == "records"


@needs_model
def test_a_complete_procedure_without_ai_gets_no_blocker(catalogue):
    result = critique_document(read_markdown(PLAIN), catalogue, today=TODAY)
    assert result.applies_to_ai is False and result.applicability.evidence == []
    assert [f.rule for f in result.flags if f.severity == "blocker"] == []


def test_ai_rules_apply_only_where_ai_is_used(catalogue):
    text = PLAIN.replace("## Paying out", "## Paying out\nThe Office Manager asks ChatGPT to total the receipts.\n")
    result = critique_document(read_markdown(text, by_meaning=False), catalogue, today=TODAY, by_meaning=False)
    assert result.applies_to_ai is True and "ChatGPT" in result.applicability.evidence[0]
    assert {"missing-approved-tool", "missing-data-rules"} <= {f.rule for f in result.flags}


def test_front_matter_and_the_caller_override_detection(catalogue):
    doc = read_markdown("---\nai: false\n---\n" + PLAIN.replace("the tin", "the tin, checked by Copilot"),
                        by_meaning=False)
    result = critique_document(doc, catalogue, today=TODAY, by_meaning=False)
    assert result.applies_to_ai is False and result.applicability.decided_by == "front matter"
    forced = critique_document(doc, catalogue, today=TODAY, ai=True, by_meaning=False)
    assert forced.applies_to_ai is True and "missing-approved-tool" in {f.rule for f in forced.flags}


def test_a_control_stated_outside_its_section_counts(catalogue):
    # The owner and cadence are only in the header line; escalation only inside a step.
    text = """# Key handover

Owner: Facilities Manager · Review: every 6 months

## Scope
All office keys held by reception staff at the Bristol site.

## Trigger
A member of staff leaves or changes office.

## Steps
1. The Receptionist collects the keys and records them in the key register on SharePoint.
2. If a key is missing, the Receptionist tells the Facilities Manager within 1 working day.
3. The Facilities Manager checks the register against the key cabinet each month and signs it off.

## Checks
- Every key in the cabinet matches a line in the register.
"""
    result = critique_document(read_markdown(text, by_meaning=False), catalogue, today=TODAY, by_meaning=False)
    assert not {"missing-owner", "missing-review-cadence", "missing-escalation", "missing-record"} & {
        f.rule for f in result.flags}


def test_a_negative_sentence_never_cancels_a_positive_one(catalogue):
    text = PLAIN.replace("kept for 6 years.", "kept for 6 years. Photos of receipts on your phone are not records.")
    result = critique_document(read_markdown(text, by_meaning=False), catalogue, today=TODAY, by_meaning=False)
    assert "missing-record" not in {f.rule for f in result.flags}


def test_a_missing_control_says_what_was_searched_and_what_came_closest(catalogue):
    text = PLAIN.replace("the Office Manager tells the Finance Controller the same day", "tell someone")
    result = critique_document(read_markdown(text, by_meaning=False), catalogue, today=TODAY, by_meaning=False)
    flag = next(f for f in result.flags if f.rule == "missing-escalation")
    assert flag.evidence == "No escalation trigger with a named route." or flag.evidence.startswith("Only vague")
    assert "Searched escalation and every sentence" in flag.message and "closest:" in flag.message
