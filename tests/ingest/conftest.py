"""Builders of real test documents (PDF, DOCX) and a small notes folder for the ingest tests."""

from __future__ import annotations

from pathlib import Path

import pytest


def _pdf_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def build_text_pdf(pages: list[list[str]]) -> bytes:
    """A minimal, valid PDF with a Helvetica text layer: one list of lines per page."""
    objects: list[bytes] = [b"<< /Type /Catalog /Pages 2 0 R >>", b""]
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    kids = []
    for lines in pages:
        ops = ["BT", "/F1 12 Tf", "14 TL", "72 720 Td"]
        ops += [f"({_pdf_escape(line)}) Tj T*" for line in lines]
        ops.append("ET")
        kids.append(_add_page(objects, "\n".join(ops).encode("latin-1"), b"/Font << /F1 3 0 R >>"))
    return _serialise(objects, kids)


def build_image_pdf() -> bytes:
    """A one-page PDF whose only content is a drawn 2x2 grey image (like a scan without OCR)."""
    objects: list[bytes] = [b"<< /Type /Catalog /Pages 2 0 R >>", b""]
    pixels = bytes([0, 128, 128, 255])
    objects.append(b"<< /Type /XObject /Subtype /Image /Width 2 /Height 2 /ColorSpace /DeviceGray "
                   b"/BitsPerComponent 8 /Length %d >>\nstream\n" % len(pixels) + pixels + b"\nendstream")
    kids = [_add_page(objects, b"q 400 0 0 400 100 200 cm /Im1 Do Q", b"/XObject << /Im1 3 0 R >>")]
    return _serialise(objects, kids)


def _add_page(objects: list[bytes], content: bytes, resources: bytes) -> int:
    objects.append(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
    objects.append(
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents %d 0 R /Resources << %s >> >>"
        % (len(objects), resources)
    )
    return len(objects)


def _serialise(objects: list[bytes], kids: list[int]) -> bytes:
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
        b" ".join(b"%d 0 R" % k for k in kids), len(kids))
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


@pytest.fixture
def image_pdf() -> bytes:
    """An image-only PDF (see :func:`build_image_pdf`)."""
    return build_image_pdf()


@pytest.fixture
def make_pdf():
    """``make_pdf(pages) -> bytes`` (see :func:`build_text_pdf`)."""
    return build_text_pdf


@pytest.fixture
def make_docx(tmp_path: Path):
    """``make_docx(path)``: a Word file with a heading, paragraphs, a list and a table."""
    import docx

    def build(path: Path) -> Path:
        document = docx.Document()
        document.add_heading("Expense claims", level=1)
        document.add_paragraph("Claims are submitted within 30 days of travel.")
        document.add_heading("Approval", level=2)
        document.add_paragraph("Attach every receipt over 75 dollars.", style="List Bullet")
        document.add_paragraph("The team lead approves the claim.", style="List Bullet")
        table = document.add_table(rows=2, cols=2)
        table.cell(0, 0).text, table.cell(0, 1).text = "Amount", "Approver"
        table.cell(1, 0).text, table.cell(1, 1).text = "over 500", "Finance director"
        document.add_paragraph("Rejected claims go back to the traveller.")
        document.save(path)
        return path

    return build


@pytest.fixture
def notes_dir(tmp_path: Path) -> Path:
    """A small folder of Markdown and text notes."""
    root = tmp_path / "notes"
    (root / "travel").mkdir(parents=True)
    (root / "travel" / "booking.md").write_text(
        "---\ntitle: Travel booking\n---\n\n## Booking\n\nBook flights through the travel desk at least "
        "14 days ahead.\n\n## Hotels\n\nHotel stays need a receipt and must stay under the per diem rate.\n",
        encoding="utf-8",
    )
    (root / "onboarding.md").write_text(
        "# Onboarding\n\nNew staff receive a laptop on day one.\n\n## Accounts\n\nIT creates email and chat "
        "accounts before the start date.\n",
        encoding="utf-8",
    )
    (root / "security.txt").write_text(
        "Report lost badges to the security office within one hour.\nNever share passwords by email.\n",
        encoding="utf-8",
    )
    return root
