"""Chunking: heading paths, pages, exact offsets, deterministic ids, de-duplication."""

from __future__ import annotations

from app.settings import IngestSettings
from ingest.chunking import chunk_document, chunk_id_for, heading_sections
from ingest.loaders import ExtractedDoc

MARKDOWN = """Intro paragraph about travel.

## Booking

Book through the travel desk.

```
# not a heading inside code
```

### Flights

- Economy class only.
- Book 14 days ahead.

## Hotels

| City | Rate |
| Paris | 200 |
"""


def test_heading_sections_track_the_heading_path_and_skip_code_fences():
    sections = heading_sections(MARKDOWN, title="Travel")
    assert [s.path for s in sections] == [
        ("Travel",), ("Travel", "Booking"), ("Travel", "Booking", "Flights"), ("Travel", "Hotels"),
    ]
    assert sections[0].start == 0 and sections[-1].end == len(MARKDOWN)


def test_chunks_carry_offsets_headings_and_stable_ids():
    doc = ExtractedDoc(text=MARKDOWN, kind="markdown", title="Travel", structured=True)
    small = IngestSettings(chunk_size=120, chunk_overlap=0)
    chunks = chunk_document(doc, "travel.md", small)
    assert chunks, "a document with text yields chunks"
    for chunk in chunks:
        assert doc.text[chunk.start : chunk.end] == chunk.text
        assert chunk.chunk_id == chunk_id_for("travel.md", chunk.text)
        assert len(chunk.chunk_id) == 16
    headings = {c.heading for c in chunks}
    assert "Travel > Booking > Flights" in headings
    table = next(c for c in chunks if "| Paris | 200 |" in c.text)
    assert table.heading == "Travel > Hotels" and "| City | Rate |" in table.text
    assert [c.chunk_id for c in chunk_document(doc, "travel.md", small)] == [c.chunk_id for c in chunks]
    assert chunk_document(doc, "other.md", small)[0].chunk_id != chunks[0].chunk_id


def test_small_sibling_sections_merge_under_their_parent():
    doc = ExtractedDoc(text=MARKDOWN, kind="markdown", title="Travel", structured=True)
    chunks = chunk_document(doc, "travel.md", IngestSettings(chunk_size=1000, chunk_overlap=0))
    assert len(chunks) == 1
    assert chunks[0].heading == "Travel" and chunks[0].text == MARKDOWN.strip("\n")


def test_long_sections_split_on_line_boundaries_and_never_leave_a_lone_heading():
    items = "\n".join(f"- Step {i}: check the ledger entry number {i} twice." for i in range(40))
    text = f"## Month end\n\n{items}\n"
    doc = ExtractedDoc(text=text, kind="markdown", structured=True)
    chunks = chunk_document(doc, "close.md", IngestSettings(chunk_size=300, chunk_overlap=50))
    assert len(chunks) > 5
    assert chunks[0].text.startswith("## Month end\n\n- Step 0")
    for chunk in chunks:
        assert chunk.text.startswith(("- Step", "## Month end"))
        # A heading line split off by the splitter is glued to the piece after it.
        assert chunk.heading == "Month end" and len(chunk.text) <= 300 + len("## Month end\n\n")


def test_pdf_chunks_keep_their_page_and_identical_chunks_are_kept_once():
    text = "Same boilerplate footer.\n\nSame boilerplate footer."
    doc = ExtractedDoc(text=text, kind="pdf", pages=[(1, 0, 24), (2, 26, 50)])
    chunks = chunk_document(doc, "scan.pdf", IngestSettings())
    assert len(chunks) == 1 and chunks[0].page == 1


def test_embedded_text_has_heading_context_but_no_link_targets_or_markup():
    from ingest.chunking import Chunk

    text = ("## Forms\n| Form | Use |\n| --- | --- |\n"
            "| **SF-50** | see [the guide](https://example.gov/guide?x=1) or <a href=\"mailto:hr@x.gov\">HR</a> |")
    chunk = Chunk(chunk_id="c", source="s.md", text=text,
                  start=0, end=0, heading="Travel > Forms", page=None, content_hash="")
    assert chunk.embed_text == "Travel > Forms\n\nForms\n| Form | Use |\n\n| SF-50 | see the guide or HR |"


def test_sibling_sections_with_text_of_their_own_stay_apart():
    notes = ("# Meeting notes\n\n## Records\n\nFinal summaries live in the SharePoint Meeting Records library "
             "for 2 years, then the retention policy deletes them.\n\n## Escalation\n\nIf a summary contains "
             "customer data, remove the post and report it to the Information Security Officer within 1 hour.\n")
    doc = ExtractedDoc(text=notes, kind="markdown", title="Meeting notes", structured=True)
    chunks = chunk_document(doc, "notes.md", IngestSettings(chunk_size=1000, chunk_overlap=0))
    by_heading = {c.heading: c.text for c in chunks}
    assert "SharePoint" in by_heading["Meeting notes > Records"]
    assert "Information Security Officer" in by_heading["Meeting notes > Escalation"]
    assert "Escalation" not in by_heading["Meeting notes > Records"]
