"""Generated hostile source files: nesting, expansion, markup in names, odd encodings, links.

Each builder writes into a folder; :func:`write_hostile_folder` writes them all and returns
the folder. Every file is small on disk (the largest is a few hundred KB) and quick to make.
"""

from __future__ import annotations

import io
import os
import random
import zipfile
from pathlib import Path

SENTENCE = "The team lead approves every expense claim within five days."
DEPTH = 20_000


def _docx_bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", b"<w:document>" + b" " * 50_000_000 + b"</w:document>")
    return buffer.getvalue()


def _zip_not_word() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("notes.txt", SENTENCE)
    return buffer.getvalue()


def _noise(seed: int = 13, size: int = 4000) -> bytes:
    rng = random.Random(seed)
    usable = [b for b in range(0x80, 0x100) if b not in (0x81, 0x8D, 0x8F, 0x90, 0x9D)]
    return bytes(rng.choice(usable) for _ in range(size))


def hostile_files() -> dict[str, bytes]:
    """File name -> content of every generated case."""
    text = SENTENCE.encode()
    laughs = "---\na: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + n)}: &{chr(98 + n)} [*{chr(97 + n)}, *{chr(97 + n)}, *{chr(97 + n)}, *{chr(97 + n)}]\n"
        for n in range(8)) + "---\n# Claims\n\n" + SENTENCE + "\n"
    return {
        "deep.html": b"<html><body>" + b"<div>" * DEPTH + text + b"</div>" * DEPTH + b"</body></html>",
        "deep-list.html": b"<html><body>" + b"<ul><li>" * DEPTH + text,
        "deep-quote.md": b"# Quotes\n\n" + b">" * DEPTH + b" " + text + b"\n" + b"- " * DEPTH + text,
        "comments.txt": b"<!---->" * 2000 + b"\n" + text,
        "liquid.md": b"# Tags\n\n" + text + b"\n" + b"<!--{%{{ {% comment %}" * 20_000,
        "heading-spaces.md": b"# x" + b" " * 200_000 + b"y\n\n" + text + b"\n" + b"#" * 100_000 + b"\n",
        "brackets.md": b"# Links\n\n" + text + b"\n" + b"[" * 100_000 + b"](" * 50_000,
        "long-line.txt": b"word" * 12_000,
        "yaml-laughs.md": laughs.encode(),
        "yaml-deep.md": b"---\nx: " + b"[" * 20_000 + b"\n---\n" + text,
        "bomb.docx": _docx_bomb(),
        "not-word.docx": _zip_not_word(),
        "broken.pdf": b"%PDF-1.4\n1 0 obj << /Type /Catalog >>\ngarbage" * 100,
        "utf16.txt": SENTENCE.encode("utf-16"),
        "bom.md": b"\xef\xbb\xbf# Claims\n\n" + text,
        "noise.txt": _noise(),
        "surrogates.txt": b"\xed\xa0\x80" * 1000,
        "nul.txt": text + b"\x00" * 100,
        "controls.txt": b"\x01\x02\x03\x04" * 200 + text,
        "private.md": ("\ue000" * 500 + SENTENCE).encode(),
        "bidi.md": ("# Claims\n\n\u202e" + SENTENCE + "\u202c\n").encode(),
        "crlf.txt": b"\r\r\r\n" * 10_000 + text,
        "empty.md": b"",
        "blank.md": b" \n\t\n" * 100,
        "[bold]b[red].md": text,
        "![x](https:evil.example).md": text,
        "new\nline.md": b"",
    }


def write_hostile_folder(root: Path, outside: Path) -> Path:
    """Write every case under ``root/notes`` (plus links, a FIFO and a markup-named folder)."""
    folder = root / "notes"
    (folder / "[").mkdir(parents=True)
    (folder / "[" / "oops].md").write_bytes(b"")
    for name, data in hostile_files().items():
        (folder / name).write_bytes(data)
    outside.write_text(SENTENCE + "\n", encoding="utf-8")
    (folder / "outside.txt").symlink_to(outside)
    (folder / "same.md").symlink_to(folder / "bom.md")
    (folder / "loop").symlink_to(folder, target_is_directory=True)
    os.mkfifo(folder / "pipe.md")
    return folder
