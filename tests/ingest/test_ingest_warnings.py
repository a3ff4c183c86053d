"""Library warnings (pypdf's) go to the log file; the terminal keeps the per-file report."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from app.cli.main import build_app
from app.logsetup import LOG_NAME
from tests.ingest.conftest import build_text_pdf


def test_pypdf_warnings_are_logged_not_printed(tmp_path: Path) -> None:
    pdf = tmp_path / "odd.pdf"
    pdf.write_bytes(build_text_pdf([["Claims need receipts."]]).replace(b"startxref\n", b"startxref\n9", 1))
    data = tmp_path / "data"
    result = CliRunner().invoke(build_app(), ["--data-dir", str(data), "ingest", str(pdf)])
    assert result.exit_code == 0, result.output
    assert "startxref" not in result.stderr and "startxref" not in result.stdout
    assert "incorrect startxref pointer" in (data / "logs" / LOG_NAME).read_text(encoding="utf-8")
