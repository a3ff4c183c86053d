"""The sample notes in examples/ keep the shape the demo and the evaluation rely on."""

from __future__ import annotations

from pathlib import Path

import yaml
from bs4 import BeautifulSoup

MIN_WORDS, MAX_WORDS = 300, 900


def _notes(examples_dir: Path) -> list[Path]:
    return sorted(p for p in examples_dir.iterdir() if p.is_file() and p.name != "README.md")


def _words(path: Path) -> int:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".html":
        soup = BeautifulSoup(text, "html.parser")
        for tag in soup(["nav", "script", "style"]):
            tag.decompose()
        text = soup.get_text(" ")
    return len(text.split())


def test_notes_are_mixed_formats_of_useful_length(examples_dir: Path) -> None:
    notes = _notes(examples_dir)
    assert 6 <= len(notes) <= 9
    assert {p.suffix for p in notes} >= {".md", ".txt", ".html"}
    lengths = {p.name: _words(p) for p in notes}
    assert all(MIN_WORDS <= n <= MAX_WORDS for n in lengths.values()), lengths


def test_markdown_front_matter_parses(examples_dir: Path) -> None:
    with_front_matter = [p for p in _notes(examples_dir) if p.suffix == ".md" and p.read_text().startswith("---\n")]
    assert with_front_matter
    for path in with_front_matter:
        header = path.read_text(encoding="utf-8").split("---\n", 2)[1]
        assert isinstance(yaml.safe_load(header), dict), path.name


def test_html_export_carries_chrome_a_loader_must_drop(examples_dir: Path) -> None:
    for path in (p for p in _notes(examples_dir) if p.suffix == ".html"):
        soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
        assert soup.find("nav") and soup.find("script") and soup.find("style"), path.name


def test_readme_describes_every_note(examples_dir: Path) -> None:
    readme = (examples_dir / "README.md").read_text(encoding="utf-8")
    missing = [p.name for p in _notes(examples_dir) if p.name not in readme]
    assert not missing, f"examples/README.md does not describe {missing}"
