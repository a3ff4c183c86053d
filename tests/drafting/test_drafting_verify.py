"""Verification of drafted statements against the chunks they cite."""

import pytest

from app.drafting.verify import forbidden_tools, lexical_support, order_violations, verify_sop
from app.models import SOP, ChunkRef, Statement, Step, Tool

CHUNKS = {
    "c1": ChunkRef(chunk_id="c1", source="notes.md", text=(
        "The approved tool is Microsoft Copilot in our enterprise tenant. Do NOT use free public ChatGPT "
        "accounts. NoteBuddy was retired in March 2026; don't reinstall it.")),
    "c2": ChunkRef(chunk_id="c2", source="notes.md", text=(
        "Redact customer identifiers before pasting the ticket into the assistant. Post the summary "
        "within one business day. Every action item has an owner and a due date.")),
}


def _sop(**sections) -> SOP:
    return SOP(title="Summarise meetings", **sections)


def test_supported_statement_passes() -> None:
    sop = _sop(quality_checks=[Statement(text="Every action item has an owner and a due date.", citations=["c2"])])
    assert verify_sop(sop, CHUNKS) == []


def test_unknown_citation_is_flagged() -> None:
    sop = _sop(purpose=[Statement(text="Post the summary within one business day.", citations=["zz"])])
    [flag] = verify_sop(sop, CHUNKS)
    assert flag.rule == "unsupported-claim" and flag.severity == "blocker" and "zz" in flag.message


def test_uncited_statement_is_flagged() -> None:
    sop = _sop(purpose=[Statement(text="Post the summary within one business day.", citations=[])])
    [flag] = verify_sop(sop, CHUNKS)
    assert "no source" in flag.message and flag.evidence == "Post the summary within one business day."


def test_number_not_in_source_is_flagged() -> None:
    sop = _sop(purpose=[Statement(text="Post the summary within 3 business days.", citations=["c2"])])
    [flag] = verify_sop(sop, CHUNKS)
    assert "3" in flag.message


def test_invented_name_is_flagged() -> None:
    sop = _sop(records=[], human_review=[Statement(text="The summary is approved by Legal Counsel Harriet.", citations=["c2"])])
    [flag] = verify_sop(sop, CHUNKS)
    assert "Harriet" in flag.message


def test_statement_the_source_does_not_say_is_flagged() -> None:
    sop = _sop(escalation=[], inputs=[Statement(text="Upload quarterly revenue spreadsheets to the finance portal.", citations=["c1"])])
    [flag] = verify_sop(sop, CHUNKS)
    assert "does not say" in flag.message


def test_forbidden_tool_listed_as_approved_is_caught() -> None:
    tools = [Tool(name="ChatGPT", use="Draft replies", citations=["c1"]),
             Tool(name="NoteBuddy", use="Record meetings", citations=["c1"]),
             Tool(name="Microsoft Copilot", use="Summarise", citations=["c1"])]
    caught = {t.name for t, _ in forbidden_tools(tools, CHUNKS.values())}
    assert caught == {"ChatGPT", "NoteBuddy"}
    flags = verify_sop(_sop(approved_tools=tools), CHUNKS)
    assert any("must not be used" in f.message and "ChatGPT" in f.evidence for f in flags)


@pytest.mark.parametrize(
    ("sentence", "forbidden"),
    [
        ("Do NOT use free public ChatGPT accounts.", {"ChatGPT"}),
        ("Don't use ChatGPT; use Copilot instead.", {"ChatGPT"}),
        ("Never use ChatGPT or Gemini for customer data.", {"ChatGPT", "Gemini"}),
        ("NoteBuddy was retired in March 2026; don't reinstall it.", {"NoteBuddy"}),
        ("Retired tools: ScanPro, Autotag.", {"ScanPro", "Autotag"}),
        ("| Autotag | Not approved | retired 2025 |", {"Autotag"}),
        ("ScanPro must not be used for invoices.", {"ScanPro"}),
        ("Personal ChatGPT accounts are prohibited.", {"ChatGPT"}),
        # A negation about something else near the name does not forbid the tool.
        ("Expense receipts are out of scope (they go through the expenses app, not LedgerScan).", set()),
        ("Do not paste card numbers into Copilot.", set()),
        ("LedgerScan does not approve payments; the AP Lead does.", set()),
        # A condition is not a ban; a ban after a condition still is.
        ("If you plan to not use LedgerScan for long periods, archive your batches.", set()),
        ("- If not using Copilot, here are some things to think about:", set()),
        ("If in doubt, do not use ChatGPT.", {"ChatGPT"}),
    ],
)
def test_a_tool_is_forbidden_only_by_a_sentence_about_using_it(sentence: str, forbidden: set[str]) -> None:
    names = ["ChatGPT", "NoteBuddy", "LedgerScan", "Copilot", "Gemini", "ScanPro", "Autotag"]
    tools = [Tool(name=n, citations=["c"]) for n in names]
    found = forbidden_tools(tools, [ChunkRef(chunk_id="c", source="notes.md", text=sentence)])
    assert {t.name for t, _ in found} == forbidden


def test_step_order_that_breaks_a_control_is_caught() -> None:
    steps = [Step(actor="Agent", action="Paste the ticket into the assistant.", citations=["c2"]),
             Step(actor="Agent", action="Redact customer identifiers in the ticket.", citations=["c2"])]
    [(early, late, said)] = order_violations(steps, CHUNKS.values())
    assert early.action.startswith("Paste") and "before" in said
    assert order_violations(list(reversed(steps)), CHUNKS.values()) == []


def test_lexical_support_is_a_share_of_content_words() -> None:
    assert lexical_support("owner and due date", "every item has an owner and a due date") == 1.0
    assert lexical_support("quarterly revenue", "owner and a due date") == 0.0


def test_a_field_description_echoed_back_is_a_blocker() -> None:
    echoed = Statement(text="The author reviews the output before it is used, sent or published, and when.", citations=["c2"])
    flags = verify_sop(_sop(human_review=[echoed]), CHUNKS)
    echo = [f for f in flags if f.rule == "prompt-echo"]
    assert echo and echo[0].severity == "blocker" and echo[0].section == "human_review"
    assert "before it is used, sent or published" in echo[0].message


def test_a_statement_the_sources_make_is_not_an_echo_even_if_the_prompt_says_something_alike() -> None:
    chunks = {"c3": ChunkRef(chunk_id="c3", source="notes.md", text=(
        "Before any reply is sent to the customer, the team lead reviews and approves the output."))}
    said = Statement(text="The team lead reviews and approves the output before it is sent to the customer.", citations=["c3"])
    assert [f for f in verify_sop(_sop(human_review=[said]), chunks) if f.rule == "prompt-echo"] == []


def test_a_source_naming_the_tool_supports_a_statement_about_ai() -> None:
    chunks = {"c4": ChunkRef(chunk_id="c4", source="notes.md", text=(
        "Clerks use Harbour Extract to pull invoice fields into the ledger form; a clerk checks every amount."))}
    sop = _sop(purpose=[Statement(text="Clerks use the AI tool Harbour Extract to pull invoice fields into the ledger form.",
                                  citations=["c4"])])
    assert [f for f in verify_sop(sop, chunks) if "does not appear" in f.message] == []
    # A name the source never gives is still caught.
    sop = _sop(purpose=[Statement(text="Clerks use the AI tool InvoiceBot to pull invoice fields.", citations=["c4"])])
    assert any("InvoiceBot" in f.message for f in verify_sop(sop, chunks))


ROLES = {
    "r1": ChunkRef(chunk_id="r1", source="notes.md", heading="Steps", text=(
        "The organiser records the meeting and asks Copilot for a summary. The organiser reads the draft "
        "against the transcript.")),
    "r2": ChunkRef(chunk_id="r2", source="notes.md", heading="Data", text=(
        "Internal meeting transcripts may be used.\n- no customer names in the summary\n- no card numbers")),
}


def test_a_step_given_to_a_role_the_source_does_not_name_is_flagged() -> None:
    wrong = Step(actor="the reviewer", action="Read the draft against the transcript.", citations=["r1"])
    right = Step(actor="Organiser", action="Read the draft against the transcript.", citations=["r1"])
    [flag] = verify_sop(_sop(steps=[wrong, right]), ROLES)
    assert flag.rule == "unsupported-claim" and "reviewer does this" in flag.message and "reviewer" in flag.evidence


def test_a_role_is_supported_by_what_it_does_not_by_its_own_name() -> None:
    from app.models import Role

    invented = Role(role="Organiser", responsibility="Provides guidance and oversight of the process.", citations=["r1"])
    stated = Role(role="Organiser", responsibility="Records the meeting and reads the draft summary.", citations=["r1"])
    [flag] = verify_sop(_sop(roles=[invented, stated]), ROLES)
    assert "does not say" in flag.message and "oversight" in flag.evidence


def test_data_the_source_forbids_listed_as_permitted_is_flagged() -> None:
    from app.models import DataRules

    rules = DataRules(permitted=[Statement(text="Customer names in the summary.", citations=["r2"]),
                                 Statement(text="Internal meeting transcripts.", citations=["r2"])],
                      prohibited=[Statement(text="Card numbers.", citations=["r2"])])
    [flag] = verify_sop(_sop(data_rules=rules), ROLES)
    assert "forbids" in flag.message and flag.evidence == "Customer names in the summary."
