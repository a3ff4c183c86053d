"""Loaders: every supported format, content-based detection, and each kind of bad input."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from ingest.loaders import LoadError, extract, read_source, walk


def _load(path: Path, max_mb: float = 50.0):
    return extract(path, read_source(path, max_mb))


def test_pdf_one_span_per_page_with_page_numbers(tmp_path, make_pdf):
    path = tmp_path / "policy.pdf"
    path.write_bytes(make_pdf([["Page one says hello."], ["Second page (with brackets)."]]))
    doc = _load(path)
    assert doc.kind == "pdf"
    assert [n for n, _, _ in doc.pages] == [1, 2]
    _, start, end = doc.pages[1]
    assert doc.text[start:end] == "Second page (with brackets)."


def test_type_is_detected_from_content_not_extension(tmp_path, make_pdf, make_docx):
    pdf = tmp_path / "really-a-pdf.txt"
    pdf.write_bytes(make_pdf([["Hidden PDF text."]]))
    word = make_docx(tmp_path / "notes.bin")
    html = tmp_path / "page.txt"
    html.write_text("<!DOCTYPE html><html><body><h2>Title</h2><p>Body text.</p></body></html>")
    assert _load(pdf).kind == "pdf"
    assert _load(word).kind == "docx"
    assert _load(html).text == "## Title\n\nBody text."


def test_docx_keeps_headings_lists_and_tables_in_order(tmp_path, make_docx):
    doc = _load(make_docx(tmp_path / "claims.docx"))
    assert doc.text.splitlines() == [
        "# Expense claims", "", "Claims are submitted within 30 days of travel.", "",
        "## Approval", "", "- Attach every receipt over 75 dollars.", "", "- The team lead approves the claim.", "",
        "| Amount | Approver |", "| over 500 | Finance director |", "",
        "Rejected claims go back to the traveller.",
    ]


def test_markdown_front_matter_and_liquid_are_stripped(tmp_path):
    path = tmp_path / "leave.md"
    path.write_text(
        "---\ntitle: Leave\nkeywords: pto\n---\n{% include note.html %}\nSee [forms]({% page \"/forms\" %}).\n"
        "{% comment %}internal only{% endcomment %}\n## Sick leave\nCall in by 9am {{ site.phone }}.\n"
        "<!-- prettier-ignore -->\n",
        encoding="utf-8",
    )
    doc = _load(path)
    assert doc.title == "Leave"
    assert doc.metadata == {"title": "Leave", "keywords": "pto"}
    assert "{%" not in doc.text and "{{" not in doc.text and "internal only" not in doc.text
    assert "prettier" not in doc.text
    assert "## Sick leave" in doc.text and "See [forms](/forms)." in doc.text


def test_html_drops_scripts_and_site_navigation_and_keeps_structure(tmp_path):
    path = tmp_path / "page.html"
    path.write_text(
        "<html><head><title>Ops</title><style>p{color:red}</style></head><body>"
        "<nav><a href='/old'>NoteBuddy guides (archived)</a></nav>"
        "<h1>Runbook</h1><p>Restart the <b>queue</b> worker.</p><script>var secret=1;</script>"
        "<ul><li>Check logs</li><li>Page on-call</li></ul></body></html>"
    )
    doc = _load(path)
    assert doc.title == "Ops"
    assert doc.text == "# Runbook\n\nRestart the queue worker.\n\n- Check logs\n- Page on-call"


def test_cp1252_text_is_decoded(tmp_path):
    path = tmp_path / "legacy.txt"
    path.write_bytes("Caf\u00e9 r\u00e9sum\u00e9 \u201cquoted\u201d".encode("cp1252"))
    assert _load(path).text == "Caf\u00e9 r\u00e9sum\u00e9 \u201cquoted\u201d"


def test_utf16_with_bom_is_decoded(tmp_path):
    path = tmp_path / "wide.txt"
    path.write_bytes("Wide notes \u2713".encode("utf-16"))
    assert _load(path).text == "Wide notes \u2713"


def _encrypted_pdf(make_pdf) -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf([["secret text"]]))))
    writer.encrypt(user_password="hunter2", algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.md", b"", "empty file"),
        ("blob.txt", b"\x00\x01\x02binary\x00data" * 20, "binary content"),
        ("controls.txt", bytes(range(1, 32)) * 20, "binary content"),
        ("broken.pdf", b"%PDF-1.4\n1 0 obj << /Type /Catalog", "corrupt or unreadable PDF"),
        ("fake.pdf", b"just text pretending", "not a PDF"),
        ("fake.docx", b"plain words", "not a Word document"),
        ("archive.zip", None, "ZIP archive that is not a Word"),
        ("broken.docx", b"PK\x03\x04garbage", "not a Word"),
        ("front-only.md", b"---\ntitle: Redirect\n---\n", "no text found"),
        ("mixed.txt", b"\x81\x8d\x8f\x90\x9d not any encoding", "neither UTF-8 nor Windows-1252"),
    ],
)
def test_bad_input_gives_one_line_reason_naming_the_file(tmp_path, name, content, reason):
    if content is None:
        import zipfile

        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            zf.writestr("readme.txt", "not word")
        content = buf.getvalue()
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(LoadError) as info:
        _load(path)
    message = str(info.value)
    assert reason in message and str(path) in message and "\n" not in message


def test_encrypted_and_image_only_pdfs_are_refused(tmp_path, make_pdf, image_pdf):
    encrypted = tmp_path / "locked.pdf"
    encrypted.write_bytes(_encrypted_pdf(make_pdf))
    scanned = tmp_path / "scan.pdf"
    scanned.write_bytes(image_pdf)
    from pypdf import PdfReader

    assert len(PdfReader(io.BytesIO(image_pdf)).pages[0].images) == 1, "the fixture really draws an image"
    with pytest.raises(LoadError, match="encrypted PDF"):
        _load(encrypted)
    with pytest.raises(LoadError, match="no text layer"):
        _load(scanned)


def test_oversized_missing_and_unreadable_paths(tmp_path):
    big = tmp_path / "big.txt"
    big.write_bytes(b"a" * 2_000_000)
    with pytest.raises(LoadError, match=r"1\.9 MB, over the 1 MB limit"):
        _load(big, max_mb=1)
    with pytest.raises(LoadError, match="no such file"):
        _load(tmp_path / "absent.md")
    dangling = tmp_path / "dangling.md"
    dangling.symlink_to(tmp_path / "gone.md")
    with pytest.raises(LoadError, match="no such file"):
        _load(dangling)
    with pytest.raises(LoadError, match="not a regular file"):
        _load(tmp_path)


def test_walk_skips_hidden_and_unsupported_files(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "config.md").write_text("x")
    (tmp_path / "a.md").write_text("x")
    (tmp_path / ".hidden.md").write_text("x")
    (tmp_path / "photo.png").write_bytes(b"\x89PNG")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.PDF").write_bytes(b"%PDF")
    assert [p.relative_to(tmp_path).as_posix() for p in walk(tmp_path)] == ["a.md", "sub/b.PDF"]
