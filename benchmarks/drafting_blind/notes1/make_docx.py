"""Generate the DOCX source for the chemical-waste task of the notes1 blind set.

Run with: /work/main/.venv/bin/python benchmarks/drafting_blind/notes1/make_docx.py
Writes corpus/chemistry-waste-collection-procedure.docx next to this script.
"""
from pathlib import Path

from docx import Document

OUT = Path(__file__).resolve().parent / "corpus" / "chemistry-waste-collection-procedure.docx"


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


def main():
    doc = Document()
    doc.add_heading("Department of Chemistry", level=1)
    doc.add_heading("Preparing hazardous chemical waste for collection", level=2)
    doc.add_paragraph("Document CHEM-SOP-014, version 4, issued September 2026.")

    doc.add_heading("Scope", level=3)
    doc.add_paragraph(
        "This procedure applies to liquid and solid hazardous chemical waste produced in "
        "the teaching and research laboratories of the Harcourt Building."
    )
    doc.add_paragraph(
        "It does not cover radioactive waste or biological and clinical waste, which have "
        "their own procedures."
    )

    doc.add_heading("When to start", level=3)
    doc.add_paragraph(
        "Start this procedure when a waste container is 80% full, and in any case on the "
        "last working day of each month."
    )

    doc.add_heading("Roles", level=3)
    add_table(
        doc,
        ["Role", "Responsibility"],
        [
            ["Laboratory user (researcher or student)",
             "Fills waste containers and lists every chemical added on the container log sheet."],
            ["Lab Technician",
             "Checks labels and lids, registers containers in HazTrack and moves them to the waste store."],
            ["Departmental Safety Officer",
             "Reviews and signs off each consignment in HazTrack before it can be collected."],
            ["Greyfell Environmental (licensed contractor)",
             "Collects signed-off consignments from the waste store on Friday mornings."],
        ],
    )

    doc.add_heading("What you need before you start", level=3)
    doc.add_paragraph("The Safety Data Sheet for each chemical in the container.", style="List Bullet")
    doc.add_paragraph("A completed container log sheet.", style="List Bullet")
    doc.add_paragraph("A HazTrack account (Lab Technicians only).", style="List Bullet")

    doc.add_heading("Steps", level=3)
    add_table(
        doc,
        ["No.", "Step", "Who"],
        [
            ["1", "Segregate waste by compatibility class (halogenated solvents, non-halogenated "
                  "solvents, acids, bases, oxidisers). Never mix classes in one container.",
             "Laboratory user"],
            ["2", "Fix a yellow hazard tag to the container showing the full chemical names and "
                  "approximate percentages.",
             "Laboratory user"],
            ["3", "Check the tag and the lid, then register the container in HazTrack to obtain a "
                  "consignment number.",
             "Lab Technician"],
            ["4", "Move the container on a bottle carrier to Waste Store B03 by Thursday 12:00.",
             "Lab Technician"],
            ["5", "Review the consignment in HazTrack and sign it off.",
             "Departmental Safety Officer"],
            ["6", "Hand the containers to the Greyfell Environmental driver and obtain the signed "
                  "consignment note.",
             "Lab Technician"],
        ],
    )

    doc.add_heading("Checks before a container leaves the lab", level=3)
    doc.add_paragraph("The tag shows full chemical names, with no abbreviations or formulae.", style="List Bullet")
    doc.add_paragraph("The lid is screwed tight and the outside of the container is clean and dry.", style="List Bullet")
    doc.add_paragraph("The container is no more than 80% full.", style="List Bullet")

    doc.add_heading("Unknown or unlabelled chemicals", level=3)
    doc.add_paragraph(
        "Do not move a container whose contents are unknown or whose label is missing. "
        "Contact the Safety Office immediately on extension 2222."
    )

    doc.add_heading("Records", level=3)
    doc.add_paragraph(
        "Signed consignment notes are kept by the Safety Office for 3 years. HazTrack holds "
        "the electronic record of each consignment."
    )
    doc.add_paragraph(
        "The paper Waste Book was retired when HazTrack went live in 2024. Do not record "
        "consignments in it."
    )

    doc.add_heading("Review", level=3)
    doc.add_paragraph(
        "This procedure is reviewed every 2 years by the Departmental Safety Committee."
    )

    OUT.parent.mkdir(parents=True, exist_ok=True)
    doc.save(OUT)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
