"""Detection of personal data and secrets: true positives per kind and false-positive traps."""

from __future__ import annotations

import pytest

from app.privacy import detect


def kinds(text: str, **kw) -> list[tuple[str, str]]:
    return [(d.kind, d.text) for d in detect(text, **kw)]


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("Mail jane.doe+sop@example.co.uk today", "email", "jane.doe+sop@example.co.uk"),
        ("Questions: tts-travel@gsa.gov.", "email", "tts-travel@gsa.gov"),
        ("Call (202) 555-0143 for help", "phone", "(202) 555-0143"),
        ("Call 1-800-222-0364 any time", "phone", "1-800-222-0364"),
        ("UK office: +44 20 7946 0958", "phone", "+44 20 7946 0958"),
        ("London desk 020 7946 0958", "phone", "020 7946 0958"),
        ("Fax: +49 30 901820", "phone", "+49 30 901820"),
        ("mobile 2025550143", "phone", "2025550143"),
        ("Card 4111 1111 1111 1111 exp 12/27", "card", "4111 1111 1111 1111"),
        ("Amex 3782-822463-10005 on file", "card", "3782-822463-10005"),
        ("pay to GB82 WEST 1234 5698 7654 32 AND notify", "iban", "GB82 WEST 1234 5698 7654 32"),
        ("IBAN DE89370400440532013000.", "iban", "DE89370400440532013000"),
        ("Account number: 31926819", "iban", "31926819"),
        ("SSN 536-22-1234 on the form", "national_id", "536-22-1234"),
        ("SSN: 536221234", "national_id", "536221234"),
        ("NI number AB 12 34 56 C", "national_id", "AB 12 34 56 C"),
        ("NHS number 943 476 5919", "national_id", "943 476 5919"),
        ("Escalate to Ms Jane Doe by noon", "name", "Jane Doe"),
        ("Dr. Okafor signs the release", "name", "Okafor"),
        ("Name: John Smith", "name", "John Smith"),
        ("Approved by: Priya Raman", "name", "Priya Raman"),
        ("Regards,\nJane Doe\n", "name", "Jane Doe"),
        ("Thanks,\n  Seán O'Brien", "name", "Seán O'Brien"),
        ("key sk-proj-Abc123def456GHI789jkl012MNO345 in env", "secret", "sk-proj-Abc123def456GHI789jkl012MNO345"),
        ("ANTHROPIC=sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWx-yz0123", "secret", "sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWx-yz0123"),
        ("aws AKIAIOSFODNN7EXAMPLE id", "secret", "AKIAIOSFODNN7EXAMPLE"),
        ("token ghp_" + "a1B2c3D4e5" * 4, "secret", "ghp_" + "a1B2c3D4e5" * 4),
        ("pat github_pat_11ABCDEFG0123456789_abcdefghijklmnop", "secret", "github_pat_11ABCDEFG0123456789_abcdefghijklmnop"),
        ("slack xoxb-123456789012-abcdefGHIJ", "secret", "xoxb-123456789012-abcdefGHIJ"),
        ("maps AIzaSyA1b2C3d4E5f6G7h8I9j0KlMnOpQrStUvW", "secret", "AIzaSyA1b2C3d4E5f6G7h8I9j0KlMnOpQrStUvW"),
        ("api_key=9f8e7d6c5b4a39281706f5e4d3c2b1a0", "secret", "9f8e7d6c5b4a39281706f5e4d3c2b1a0"),
        ("token: Zx81kLm0Qp2Rs7Tu9Vw3", "secret", "Zx81kLm0Qp2Rs7Tu9Vw3"),
        ("password: Summer2024!", "secret", "Summer2024!"),
        ("connect with pwd=hunter22", "secret", "hunter22"),
        ("postgres://admin:S3cr3t!@db.internal:5432/app", "secret", "S3cr3t!"),
    ],
)
def test_true_positives(text: str, kind: str, value: str) -> None:
    assert (kind, value) in kinds(text)


def test_private_key_block_is_one_secret() -> None:
    text = "before\n-----BEGIN RSA PRIVATE KEY-----\nMIIEow\nIBAAKCAQEA\n-----END RSA PRIVATE KEY-----\nafter"
    [d] = detect(text)
    assert d.kind == "secret" and d.text.startswith("-----BEGIN") and d.text.endswith("KEY-----")


def test_known_names_are_found_in_any_case() -> None:
    found = kinds("dana reyes owns this; Dana  Reyes approves", known_names=["Dana Reyes"])
    assert found == [("name", "dana reyes"), ("name", "Dana  Reyes")]


@pytest.mark.parametrize(
    "text",
    [
        "On 2026-11-27 at 10:30 the team met; next review 27/05/2027 or 11/27/2026.",
        "Upgrade from version 1.2.3 to 10.0.19041.1 before Friday.",
        "The budget is $1,234,567.00 and the fee €2 500; 12.5% of 2025 spend.",
        "See section 4.2.1.3 and ISO 27001:2022 clause 9.2.",
        "Retention: 2019-2023 records, kept 7 years; ZIP 20405; IP 192.168.10.1.",
        "Ensure this is complete by 3:30 PM Eastern (between 1500-2000 hours).",
        "Ticket 1234567890 and order 4111111111111112 were closed.",
        "Password: must be rotated every 90 days. The token: see the vault.",
        "api_key=YOUR_API_KEY_HERE and token: <insert-token-here>",
        "Owner: Operations Manager\nApprover: Head of Legal\nContact: IT Service Desk",
        "Name: Microsoft Copilot\nPrepared by: Product Team",
        "Ask the Operations Manager, Mr Operations Lead or the Head of Legal.",
        "Regards,\nThe Operations Team",
        "Document id SOP-0001, step 12 of 20, GS-15 step 10, FY25 budget code 094.",
    ],
)
def test_false_positive_traps(text: str) -> None:
    assert detect(text) == []


# Real SOP-like text from the TTS handbook (public domain): numbers, money, dates, roles, URLs.
HANDBOOK_PARAGRAPHS = """\
If you make the maximum salary ($191,900 in 2024), you cannot receive overtime or comp time.
You can only be compensated with credit hours on a flexible schedule.

Your total pay (including overtime) cannot exceed the maximum salary at GSA, which is $191,900
as of 2024. This is GS-15, step 10, including any applicable special salary rate or locality rate of pay.

Comp time expires one year (26 pay periods) after it is earned. When you reach the expiration date,
you will forfeit the leave. You can have up to 24 credit hours accrued, at any given time.

This leave is entered in HR Links under Administrative Leave Code 094 - Weather & Safety. You should
include a reason in the Comments/History section: for example, Cook County evacuation order of 9/10/20.
Supervisors can enter the request if you are unable to access HR Links.

- `BILLABLE: 18F / HHS / CMS FY19 #997`
   Ensure this is complete by 3:30 PM Eastern, else your travel will not be ticketed.
Refer to the [Bi-weekly Comp Time Cap Calculator](https://docs.google.com/spreadsheets/d/1q7wVWPWzBYljj87Wzl-ouVDJux9vplOP_zg3ryxz0iw/edit#gid=2127569068).
[Slack calls](https://slack.com/help/articles/115003498363-Slack-Calls--the-basics)
{% alert "Updated Travel Guidance for GSA Employees (07/13/2021)" %}
"""


def test_handbook_paragraphs_have_no_detections() -> None:
    assert detect(HANDBOOK_PARAGRAPHS) == []


def test_handbook_contacts_are_detected() -> None:
    text = "the health unit is 415-556-2766. Questions go to the payroll help desk: **1-844-303-6515** or payroll@gsa.gov."
    assert [d.kind for d in detect(text)] == ["phone", "phone", "email"]


def test_detections_are_sorted_and_do_not_overlap() -> None:
    text = "mail a@b.io, card 4111-1111-1111-1111, call +1 415 555 2671, api_key=Q9w8E7r6T5y4U3i2O1p0"
    found = detect(text)
    assert [d.start for d in found] == sorted(d.start for d in found)
    assert all(a.end <= b.start for a, b in zip(found, found[1:]))
    assert [text[d.start:d.end] for d in found] == [d.text for d in found]
    assert [d.kind for d in found] == ["email", "card", "phone", "secret"]


@pytest.mark.parametrize(
    ("valid", "invalid"),
    [
        ("4111 1111 1111 1111", "4111 1111 1111 1112"),  # Luhn
        ("5500-0000-0000-0004", "5500-0000-0000-0005"),  # Luhn
        ("GB82 WEST 1234 5698 7654 32", "GB82 WEST 1234 5698 7654 33"),  # mod-97
        ("NL91ABNA0417164300", "NL91ABNA0417164301"),  # mod-97
        ("536-22-1234", "666-22-1234"),  # SSN area 666 is never issued
        ("536-22-1234", "000-22-1234"),  # nor area 000
        ("536-22-1234", "936-22-1234"),  # nor 9xx
        ("536-22-1234", "536-00-1234"),  # nor group 00
        ("536-22-1234", "078-05-1120"),  # the famous wallet-card number
        ("AB 12 34 56 C", "BG 12 34 56 C"),  # NINO prefix never issued
        ("NHS 943 476 5919", "NHS 943 476 5918"),  # NHS mod-11
    ],
)
def test_checksums_and_ranges_decide(valid: str, invalid: str) -> None:
    [found] = detect(f"value {valid} here")
    assert found.kind in ("card", "iban", "national_id")
    # An invalid number may still look like a phone number, but never like the checked kind.
    assert found.kind not in [d.kind for d in detect(f"value {invalid} here")]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Appelez le 06 12 34 56 78 demain", "06 12 34 56 78"),
        ("Berlin office 030 901820", "030 901820"),
        ("Mobile 07911 123456", "07911 123456"),
    ],
)
def test_common_european_national_formats(text: str, value: str) -> None:
    assert ("phone", value) in kinds(text)


def test_numbers_inside_links_are_not_phones() -> None:
    text = "[form](https://example.gov/files/Signed_on_7-8-2016)_(Revised_3-7-2017).pdf) and https://x.example/a/2127569068"
    assert detect(text) == []
