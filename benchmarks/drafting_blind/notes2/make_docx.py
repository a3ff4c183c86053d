"""Builds the two DOCX files of the notes2 corpus.

Run from anywhere with: /work/main/.venv/bin/python make_docx.py
Kept outside corpus/ on purpose (it is not one of the notes).
"""
from pathlib import Path

from docx import Document

CORPUS = Path(__file__).resolve().parent / "corpus"


def add_table(doc, header, rows):
    table = doc.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, header):
        cell.text = text
    for row in rows:
        cells = table.add_row().cells
        for cell, text in zip(cells, row):
            cell.text = text
    return table


def echonote_rules():
    doc = Document()
    doc.add_heading("EchoNote Vet - Rules of Use (pilot)", level=1)
    doc.add_paragraph(
        "Version 1.1, 28 September 2026. Owner: Dr Tom Berridge, pilot lead. "
        "Pilot clinics: Ashworth and Millbeck."
    )
    doc.add_paragraph(
        "These rules apply to every consultation recorded with EchoNote Vet in the "
        "consulting rooms of the two pilot clinics."
    )
    doc.add_paragraph(
        "Start: when the vet brings the client and the pet into the consulting room."
    )

    doc.add_heading("Steps", level=2)
    add_table(
        doc,
        ["Step", "Who", "What"],
        [
            ["1", "Consulting vet",
             "Ask the client for consent before recording and click \"Consent given\" in "
             "EchoNote. No consent, no recording."],
            ["2", "Consulting vet",
             "Start recording on the clinic-issued iPad and leave it on the consult table."],
            ["3", "Consulting vet",
             "After the consult, open the draft note in EchoNote and correct it against "
             "what actually happened."],
            ["4", "Consulting vet",
             "Run the checks below, then press \"Send to VetLedger\"."],
            ["5", "Pilot lead",
             "Each month, compare 5 saved notes per vet with the audio and report accuracy "
             "to the steering group."],
        ],
    )

    doc.add_heading("What EchoNote may capture", level=2)
    doc.add_paragraph(
        "The consultation conversation between the vet, the client and any nurse in the "
        "consulting room, including the client's and the pet's names. That is all it is for."
    )

    doc.add_heading("Checks before you send the note to VetLedger", level=2)
    add_table(
        doc,
        ["Check", "Why"],
        [
            ["Every drug name and dose matches what you actually prescribed.",
             "EchoNote mishears drug names, especially similar-sounding ones."],
            ["Every passage EchoNote marked [unclear] has been fixed or deleted.",
             "Unclear passages are often wrong, not just incomplete."],
            ["Nothing unrelated to the animal (small talk, family matters) is left in the note.",
             "The note is a clinical record."],
        ],
    )

    doc.add_heading("Not allowed", level=2)
    for line in [
        "Recording on personal phones.",
        "QuickScribe Free or any other transcription app.",
        "Recording euthanasia consultations.",
        "Recording anywhere other than a consulting room.",
    ]:
        doc.add_paragraph(line, style="List Bullet")

    doc.add_heading("Records", level=2)
    doc.add_paragraph(
        "EchoNote deletes the audio after 30 days. The saved VetLedger note is the clinical record."
    )

    doc.add_heading("Feedback and changes", level=2)
    doc.add_paragraph("Feedback: use the form pinned in the #echonote-pilot Teams channel.")
    doc.add_paragraph(
        "Any change to the vendor's data processing location means an immediate review of "
        "these rules, and recording stops until that review is done."
    )
    doc.save(CORPUS / "echonote_rules_of_use.docx")


def ooh_checklist():
    doc = Document()
    doc.add_heading(
        "Transfer of in-patients to Brackenfield Emergency Hospital (BEH) - handover checklist",
        level=1,
    )
    doc.add_paragraph("Version 3, June 2026. Owner: Ollie Grant, Hospital Manager, BEH.")
    doc.add_paragraph(
        "Why: so that nothing about a patient's care is lost between the day clinic team "
        "and the BEH night team."
    )
    doc.add_paragraph(
        "Use this checklist for a hospitalised patient at a day clinic who still needs care "
        "when the clinic closes and will spend the night at BEH."
    )
    doc.add_paragraph(
        "Not covered: day patients who are well enough to go home, and referrals to outside "
        "specialists."
    )
    doc.add_paragraph(
        "Start the checklist as soon as the vet in charge decides the patient needs overnight "
        "care, and no later than 17:30."
    )
    doc.add_paragraph(
        "You will need: the patient's VetLedger record, the current drug chart and the "
        "owner's phone number."
    )

    doc.add_heading("Handover steps", level=2)
    add_table(
        doc,
        ["When", "Who", "What"],
        [
            ["By 17:30", "Clinic vet in charge",
             "Phone the BEH admitting vet on 01632 960 410 and agree the transfer."],
            ["By 17:45", "Clinic vet in charge",
             "Get the owner's consent to the transfer and give them the BEH cost estimate."],
            ["Before the patient leaves", "RVN",
             "Complete the HO-2 handover sheet in the VetLedger Transfer tab and print the drug chart."],
            ["Before the patient leaves", "Clinic vet in charge",
             "Check and sign the HO-2."],
            ["Departure", "Kellsby Pet Transport driver, or the owner",
             "Take the patient to BEH with the printed drug chart."],
            ["On arrival", "BEH admitting vet",
             "Take a verbal handover from the clinic vet by phone and confirm acceptance in VetLedger."],
        ],
    )

    doc.add_heading("The HO-2 must show", level=2)
    add_table(
        doc,
        ["Item", "Detail"],
        [
            ["Last dose time", "For every drug given today."],
            ["IV fluids", "Type and rate."],
            ["Feeding", "What, how much, and when last fed."],
            ["Resuscitation status", "The owner's decision on CPR or do-not-resuscitate."],
        ],
    )

    doc.add_heading("Records", level=2)
    doc.add_paragraph(
        "The signed HO-2 stays in the patient's VetLedger record, and BEH links its "
        "admission note to it."
    )
    doc.save(CORPUS / "ooh_transfer_handover_checklist.docx")


if __name__ == "__main__":
    echonote_rules()
    ooh_checklist()
    print("written:", sorted(p.name for p in CORPUS.glob("*.docx")))
