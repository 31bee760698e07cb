"""Bytes to text: BOMs, newlines, legacy encodings and the files we refuse."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from index.errors import SkipFile
from ingest.decoding import decode_bytes, read_text

TEXT = "Café — naïve “quotes”\nline two\n"


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (TEXT.encode("utf-8"), "utf-8"),
        (codecs.BOM_UTF8 + TEXT.encode("utf-8"), "utf-8"),
        (codecs.BOM_UTF16_LE + TEXT.encode("utf-16-le"), "utf-16-le"),
        (codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be"), "utf-16-be"),
        (codecs.BOM_UTF32_LE + TEXT.encode("utf-32-le"), "utf-32-le"),
        (codecs.BOM_UTF32_BE + TEXT.encode("utf-32-be"), "utf-32-be"),
        (TEXT.replace("\n", "\r\n").encode("utf-8"), "utf-8"),
        (TEXT.replace("\n", "\r").encode("utf-8"), "utf-8"),
        (codecs.BOM_UTF16_LE + TEXT.replace("\n", "\r\n").encode("utf-16-le"), "utf-16-le"),
    ],
    ids=["utf8", "utf8-bom", "utf16le", "utf16be", "utf32le", "utf32be", "crlf", "cr", "u16crlf"],
)
def test_unicode_files_decode_cleanly(data: bytes, encoding: str) -> None:
    decoded = decode_bytes(data)
    assert decoded.text == TEXT  # BOM gone, newlines LF
    assert decoded.encoding == encoding
    assert decoded.warnings == ()


@pytest.mark.parametrize(
    ("text", "codec", "encoding"),
    [
        ("Le café était très agréable à l'été.\n", "cp1252", "windows-1252"),
        (
            "The team said \u201cit\u2019s fine\u201d \u2014 it wasn\u2019t.\n",
            "cp1252",
            "windows-1252",
        ),
        ("Größere Störung: Übertragung fehlgeschlagen.\n", "cp1252", "windows-1252"),
        ("Привет, мир! Это тестовый файл на русском языке.\n" * 3, "cp1251", "windows-1251"),
        ("これは日本語のテキストです。エンコーディングはシフトJISです。\n" * 3, "cp932", "cp932"),
    ],
    ids=["french", "smart-quotes", "german", "russian", "japanese"],
)
def test_legacy_encodings_are_guessed_with_a_warning(text: str, codec: str, encoding: str) -> None:
    decoded = decode_bytes(text.replace("\n", "\r\n").encode(codec))
    assert decoded.text == text
    assert decoded.encoding == encoding
    assert decoded.warnings == (f"not UTF-8; decoded as {encoding}",)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty file"),
        (codecs.BOM_UTF8, "empty file"),
        (b"  \n\r\n\t", "empty file"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary data, not text"),
        (b"text with a NUL\x00 byte in it", "binary data, not text"),
        (bytes(range(1, 9)) * 20 + b"some text", "binary data, not text"),
        (bytes((i * 131 + 7) % 256 for i in range(512)), "binary data, not text"),
    ],
    ids=["zero-bytes", "only-bom", "whitespace", "png", "nul", "controls", "noise"],
)
def test_refused_content(data: bytes, reason: str) -> None:
    with pytest.raises(SkipFile) as excinfo:
        decode_bytes(data)
    assert excinfo.value.reason == reason


@pytest.mark.parametrize(
    ("size", "limit", "reason"),
    [
        (int(52.4 * 1024 * 1024), 10 * 1024 * 1024, "file is 52.4 MB, over the 10 MB limit"),
        (2048, 1024, "file is 2 KB, over the 1 KB limit"),
        (101, 100, "file is 101 bytes, over the 100 bytes limit"),
    ],
)
def test_oversized_files_are_skipped_before_reading(
    tmp_path: Path, size: int, limit: int, reason: str
) -> None:
    path = tmp_path / "big.md"
    with path.open("wb") as f:  # sparse: the size is real, the disk use is not
        f.truncate(size)
    with pytest.raises(SkipFile) as excinfo:
        read_text(path, max_bytes=limit)
    assert excinfo.value.reason == reason


def test_read_text_reads_a_file(tmp_path: Path) -> None:
    path = tmp_path / "note.md"
    path.write_bytes(codecs.BOM_UTF8 + b"# Title\r\n\r\nBody\r\n")
    assert read_text(path, max_bytes=1000).text == "# Title\n\nBody\n"


def test_unreadable_files_raise_oserror(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        read_text(tmp_path / "missing.md", max_bytes=1000)
    with pytest.raises(IsADirectoryError):
        read_text(tmp_path, max_bytes=10**9)
