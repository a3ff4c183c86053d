"""The DOCX rendition: a title page with the approval block, every section, document history."""

from __future__ import annotations

import io
import re
import zipfile
from typing import Sequence

from app.models import SOP
from app.registry.blocks import NOT_STATED, Block, sections
from app.registry.records import Approval, Signature
from app.registry.signatures import manifestation
from app.registry.render import src_marker, yaml_value

APPROVAL_HEADING = "Approval"
# XML 1.0 forbids most C0 control characters; model output or pasted notes may contain them.
_XML_UNSAFE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_text(text: str) -> str:
    """``text`` without the characters a Word document cannot hold."""
    return _XML_UNSAFE.sub("", text)


def approval_rows(sop: SOP, approval: Approval, signatures: Sequence[Signature] = ()) -> list[tuple[str, str]]:
    """The label/value pairs of the approval block (also used by tests and previews)."""
    signed = [(f"Signature: {s.record.meaning}", f"{manifestation(s)}; user {s.record.signer_id}; "
               f"re-authenticated by {s.record.auth_method}") for s in signatures]
    return [
        ("SOP id", approval.sop_id),
        ("Version", approval.doc_version),
        ("Status", sop.metadata.status),
        ("Owner", approval.owner_name),
        ("Owner role", approval.owner_role),
        ("Approved by", approval.approver),
        ("Approved at (UTC)", yaml_value(approval.approved_at)),
        ("Effective date", approval.effective_date.isoformat()),
        ("Review cadence (months)", str(approval.review_cadence_months)),
        ("Next review date", approval.next_review_date.isoformat()),
        ("Content hash (SHA-256)", approval.content_hash),
        *signed,
    ]


def _table(doc, headers: list[str], rows: list[list[str]]) -> None:
    table = doc.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, headers):
        cell.text = xml_text(text)
        for run in cell.paragraphs[0].runs:
            run.bold = True
    for row in rows:
        for cell, text in zip(table.add_row().cells, row):
            cell.text = xml_text(text)


def _block(doc, block: Block) -> None:
    if block.kind == "heading":
        doc.add_heading(xml_text(block.text), level=2)
    elif block.kind == "bullets":
        for item in block.items:
            doc.add_paragraph(xml_text(item.text + src_marker(item.citations)), style="List Bullet")
    elif block.kind == "table":
        _table(doc, block.headers, block.rows)
    else:
        doc.add_paragraph(NOT_STATED.strip("_")).runs[0].italic = True


def docx_bytes(sop: SOP, approval: Approval, signatures: Sequence[Signature] = ()) -> bytes:
    """The approved SOP as a Word document; the same approval always gives the same bytes."""
    import docx
    from docx.enum.text import WD_BREAK

    doc = docx.Document()
    props = doc.core_properties
    props.title, props.author = xml_text(sop.title), xml_text(approval.owner_name)
    props.identifier, props.version = xml_text(approval.sop_id), approval.doc_version
    doc.add_heading(xml_text(sop.title), level=0)
    doc.add_heading(APPROVAL_HEADING, level=1)
    _table(doc, ["Field", "Value"], [list(r) for r in approval_rows(sop, approval, signatures)])
    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    for section in sections(sop):
        doc.add_heading(section.title, level=1)
        for block in section.blocks:
            _block(doc, block)
    buffer = io.BytesIO()
    doc.save(buffer)
    return _stamp_zip(buffer.getvalue(), approval.approved_at.timetuple()[:6])


def _stamp_zip(data: bytes, date_time: tuple) -> bytes:
    """Rewrite the package with one fixed timestamp: python-docx stamps each member with the
    save time, which would make an identical re-export a new file (and a new git commit)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(zipfile.ZipInfo(info.filename, date_time=date_time), src.read(info),
                         compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()
