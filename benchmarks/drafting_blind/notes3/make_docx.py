"""Build the two DOCX files of the notes3 corpus.

Run from anywhere with the project's venv:
    /work/main/.venv/bin/python benchmarks/drafting_blind/notes3/make_docx.py
This script is not part of the corpus.
"""
from pathlib import Path

from docx import Document

CORPUS = Path(__file__).resolve().parent / "corpus"


def add_table(doc, header, rows):
    table = doc.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, header):
        cell.text = text
        for run in cell.paragraphs[0].runs:
            run.bold = True
    for row in rows:
        cells = table.add_row().cells
        for cell, text in zip(cells, row):
            cell.text = text
    return table


def meter_anomaly_procedure():
    doc = Document()
    doc.add_heading("Meter Anomaly Review - working procedure", level=1)
    doc.add_paragraph("Metering team, Harrowmere Water. Version 2, October 2026.")

    doc.add_heading("Who owns this", level=2)
    doc.add_paragraph(
        "Kofi Lindqvist, Metering Lead, owns this procedure. The reviews are done "
        "by the Meter Data Analysts in the Metering team."
    )

    doc.add_heading("Why we do it", level=2)
    doc.add_paragraph(
        "GaugeSense, our automated anomaly detection tool, looks for unusual "
        "consumption patterns in smart meter reads. Reviewing what it flags lets "
        "us catch leaks on the customer's side and wrong reads before the bill is "
        "issued, instead of dealing with a complaint afterwards."
    )

    doc.add_heading("What is covered", level=2)
    doc.add_paragraph(
        "Domestic smart meters on the AMR network. Commercial meters over 50 mm "
        "belong to Key Accounts and are not reviewed under this procedure."
    )

    doc.add_heading("When it starts", level=2)
    doc.add_paragraph(
        "GaugeSense runs overnight and publishes the Daily Exceptions list at "
        "06:00 each working day. The first analyst in opens the list."
    )

    doc.add_heading("What you need", level=2)
    doc.add_paragraph("The Daily Exceptions list.", style="List Bullet")
    doc.add_paragraph("The meter's read history in MeterVault.", style="List Bullet")
    doc.add_paragraph("FieldOps, for booking meter checks.", style="List Bullet")

    doc.add_heading("Data", level=2)
    doc.add_paragraph(
        "GaugeSense only receives meter serial numbers and reads. It never "
        "receives customer names or addresses. The exceptions list must never be "
        "exported to USB sticks or personal spreadsheets; work it in MeterVault."
    )

    doc.add_heading("Steps", level=2)
    doc.add_paragraph("Open the Daily Exceptions list in MeterVault.", style="List Number")
    doc.add_paragraph(
        "For each exception, an analyst opens the read graph in MeterVault and "
        "confirms that the pattern is real. GaugeSense never sends letters, holds "
        "bills or books work itself; nothing happens until an analyst has confirmed it.",
        style="List Number",
    )
    doc.add_paragraph(
        "Apply the action for the exception code from the table below.",
        style="List Number",
    )
    doc.add_paragraph(
        "Record the disposition code against the meter in MeterVault.",
        style="List Number",
    )

    add_table(
        doc,
        ["Code", "What GaugeSense saw", "Action by the analyst"],
        [
            ["CONT", "Continuous flow for 72 hours or more",
             "Send the customer leak letter L7 from MeterVault"],
            ["ZERO", "Zero consumption for 60 days on an occupied property",
             "Book a meter check in FieldOps"],
            ["SPIKE", "Read more than 200% of the usual daily use",
             "Hold the bill and request a fresh read"],
            ["TAMP", "Tamper signal from the meter",
             "Do not contact the customer; refer to Revenue Protection"],
        ],
    )

    doc.add_heading("Tampering", level=2)
    doc.add_paragraph(
        "Anything that looks like tampering is handled entirely by hand by "
        "Revenue Protection. Do not use GaugeSense notes or Brook Assistant to "
        "write to the customer about it."
    )

    doc.add_heading("Quality", level=2)
    doc.add_paragraph(
        "Each month the false-positive rate (exceptions closed with code FP) is "
        "reported to the Metering Lead. The target is under 15%."
    )

    doc.add_heading("Records", level=2)
    doc.add_paragraph(
        "Disposition codes and analyst notes are kept in MeterVault for three years."
    )
    doc.save(CORPUS / "meter_anomaly_procedure.docx")


def site_visitor_induction():
    doc = Document()
    doc.add_heading("Site visitor induction - treatment works", level=1)
    doc.add_paragraph(
        "Harrowmere Water, Health & Safety. Applies to every visitor to a water "
        "treatment works: auditors, school groups, councillors, delivery drivers "
        "and contractors' staff who are only visiting, not working."
    )

    doc.add_heading("Arriving", level=2)
    doc.add_paragraph(
        "Every visitor signs in at reception in the visitor sign-in book and is "
        "given a visitor badge, a hard hat and a hi-vis vest."
    )
    doc.add_paragraph(
        "Before going past reception, each visitor watches the 12-minute induction "
        "video on the reception screen. Visitors who have watched it in the last "
        "12 months at the same site do not have to watch it again."
    )

    doc.add_heading("Escorts", level=2)
    add_table(
        doc,
        ["Visitor type", "Induction", "Escort"],
        [
            ["Auditor / inspector", "Visitor induction video", "Escorted at all times"],
            ["School or community group", "Short talk by the host instead of the video",
             "One escort per 8 visitors"],
            ["Delivery driver", "Visitor induction video on first visit", "Unloading bay only"],
            ["Councillor / VIP", "Visitor induction video", "Escorted by the works manager"],
        ],
    )

    doc.add_heading("Leaving", level=2)
    doc.add_paragraph(
        "Visitors hand back the badge and sign out in the visitor sign-in book. "
        "The visitor sign-in book is kept at reception for 12 months and then "
        "destroyed."
    )

    doc.add_heading("Not covered here", level=2)
    doc.add_paragraph(
        "Anyone doing work on site needs a permit to work as well; that is a "
        "separate process run by the Authorised Persons."
    )
    doc.save(CORPUS / "site_visitor_induction.docx")


if __name__ == "__main__":
    meter_anomaly_procedure()
    site_visitor_induction()
    print("written to", CORPUS)
