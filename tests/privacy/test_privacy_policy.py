"""Redaction placeholders and the redact / block / allow policies."""

from __future__ import annotations

import pytest

from app.privacy import DataBlockedError, RedactionCounter, apply_policy, policy_for, redact
from app.settings import LLMSettings, PrivacySettings, Settings

TEXTS = {
    "c1": "Send the report to jane.doe@example.com or call +44 20 7946 0958.",
    "c2": "Escalate to jane.doe@example.com; key sk-proj-Abc123def456GHI789jkl012MNO345.",
    "c3": "Within 5 business days the Operations Manager reviews the summary.",
}


def test_redact_uses_stable_placeholders_within_one_counter() -> None:
    counter = RedactionCounter()
    a = redact(TEXTS["c1"], chunk_id="c1", counter=counter)
    b = redact(TEXTS["c2"], chunk_id="c2", counter=counter)
    assert a.text == "Send the report to [EMAIL_1] or call [PHONE_1]."
    assert b.text == "Escalate to [EMAIL_1]; key [SECRET_1]."
    assert [(r.kind, r.placeholder, r.chunk_id) for r in a.redactions + b.redactions] == [
        ("email", "[EMAIL_1]", "c1"), ("phone", "[PHONE_1]", "c1"),
        ("email", "[EMAIL_1]", "c2"), ("secret", "[SECRET_1]", "c2"),
    ]


def test_same_number_in_another_format_gets_the_same_placeholder() -> None:
    result = redact("Card 4111 1111 1111 1111, again 4111-1111-1111-1111, other 5500 0000 0000 0004")
    assert result.text == "Card [CARD_1], again [CARD_1], other [CARD_2]"


def test_counter_restores_original_values_in_model_output() -> None:
    counter = RedactionCounter()
    masked = redact("Owner: Dana Reyes, dana@example.org", counter=counter).text
    assert masked == "Owner: [NAME_1], [EMAIL_1]"
    assert counter.restore("[NAME_1] approves; mail [EMAIL_1]. [EMAIL_9]") == (
        "Dana Reyes approves; mail dana@example.org. [EMAIL_9]"
    )


def test_redact_policy_masks_every_text_and_records() -> None:
    masked, redactions = apply_policy(TEXTS, "redact")
    assert "jane.doe" not in masked["c1"] + masked["c2"] and "sk-proj" not in masked["c2"]
    assert masked["c3"] == TEXTS["c3"]
    assert {r.chunk_id for r in redactions} == {"c1", "c2"}
    assert {r.kind for r in redactions} == {"email", "phone", "secret"}


def test_block_policy_names_kinds_and_chunks_never_values() -> None:
    with pytest.raises(DataBlockedError) as info:
        apply_policy(TEXTS, "block")
    message = str(info.value)
    assert "c1" in message and "c2" in message and "c3" not in message
    assert "email" in message and "phone" in message and "secret" in message
    assert "jane.doe" not in message and "7946" not in message and "sk-proj" not in message
    assert info.value.chunk_ids == ["c1", "c2"]


def test_block_policy_passes_clean_texts() -> None:
    clean = {"c3": TEXTS["c3"], "task": "Draft an SOP for meeting summaries."}
    assert apply_policy(clean, "block") == (clean, [])


def test_allow_policy_changes_nothing() -> None:
    texts, redactions = apply_policy(TEXTS, "allow")
    assert texts == TEXTS and texts is not TEXTS and redactions == []


def test_known_names_are_masked_by_policy() -> None:
    masked, redactions = apply_policy({"task": "Dana Reyes owns it"}, "redact", known_names=["Dana Reyes"])
    assert masked == {"task": "[NAME_1] owns it"} and redactions[0].chunk_id == "task"


def test_unknown_policy_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown data policy"):
        apply_policy(TEXTS, "share")  # type: ignore[arg-type]


def test_policy_for_local_and_remote_providers(tmp_path) -> None:
    settings = Settings(
        data_dir=tmp_path,
        llm=LLMSettings(provider="openai", local_providers=["local", "ollama", "fake"]),
        privacy=PrivacySettings(remote_policy="block", local_policy="allow"),
    )
    assert policy_for(settings, "local") == "allow"
    assert policy_for(settings, "ollama") == "allow"
    assert policy_for(settings, "openai") == "block"
    assert policy_for(settings, "anthropic") == "block"


def test_default_settings_redact_for_remote(settings: Settings) -> None:
    assert policy_for(settings, "openai") == "redact"
    assert policy_for(settings, "fake") == "allow"


def test_known_names_come_from_settings(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("SOPDRAFT_PRIVACY__KNOWN_NAMES", '["Dana Reyes", "Lee Wu"]')
    names = Settings(data_dir=tmp_path).privacy.known_names
    masked, _ = apply_policy({"task": "Lee Wu drafts, Dana Reyes approves"}, "redact", known_names=names)
    assert masked["task"] == "[NAME_1] drafts, [NAME_2] approves"


def test_a_name_revealed_once_is_masked_in_every_text_of_the_call() -> None:
    texts = {
        "c1": "owner: Dana Reyes (Operations Manager)",
        "c2": "Dana Reyes and Sam Okafor reviewed the notes.",
        "c3": "Present: Sam Okafor, Ines Duarte (Finance) and Kofi Mensah, Operations Manager",
    }
    masked, _ = apply_policy(texts, "redact")
    assert masked == {
        "c1": "owner: [NAME_1] (Operations Manager)",
        "c2": "[NAME_1] and [NAME_2] reviewed the notes.",
        "c3": "Present: [NAME_2], [NAME_3] (Finance) and [NAME_4], Operations Manager",
    }
    with pytest.raises(DataBlockedError) as info:
        apply_policy({"c1": texts["c1"], "c2": "Dana Reyes approves."}, "block")
    assert info.value.chunk_ids == ["c1", "c2"]
