"""Turn a file's bytes into text: BOM-aware, newline-normalised, refusing binary data."""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from pathlib import Path

import charset_normalizer

from index.errors import SkipFile

# UTF-32 LE must be tested before UTF-16 LE: its BOM starts with the UTF-16 LE one.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# Control characters no text file contains (tab, newlines and form feed are fine).
_CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f\ufffd]")
_MAX_CONTROL_RATIO = 0.05
# Scripts other than Latin: Greek to Thai and beyond, then CJK and the rest of the BMP.
_NON_LATIN = re.compile("[\u0370-\u1dff\u2e80-\ufdff]")


@dataclass(frozen=True)
class DecodedText:
    """A file's text with LF newlines, the encoding it was read with and any doubts about it."""

    text: str
    encoding: str
    warnings: tuple[str, ...] = ()


def read_text(path: Path, max_bytes: int) -> DecodedText:
    """Read and decode a content file.

    Args:
        path: the file to read. OSError (missing, unreadable) propagates unchanged.
        max_bytes: larger files are skipped rather than read.

    Raises:
        SkipFile: the file is too large, empty or binary.
    """
    size = path.stat().st_size
    if size > max_bytes:
        raise SkipFile(f"file is {_human_size(size)}, over the {_human_size(max_bytes)} limit")
    data = path.read_bytes()
    if len(data) > max_bytes:  # it grew between stat() and read
        raise SkipFile(f"file is {_human_size(len(data))}, over the {_human_size(max_bytes)} limit")
    return decode_bytes(data)


def decode_bytes(data: bytes) -> DecodedText:
    """Decode bytes already in memory; see read_text."""
    if not data:
        raise SkipFile("empty file")
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            text, warnings = _decode_strict_or_replace(data[len(bom) :], encoding)
            return _finish(text, encoding, warnings)
    if b"\x00" in data:
        raise SkipFile("binary data, not text")
    try:
        return _finish(data.decode("utf-8"), "utf-8", ())
    except UnicodeDecodeError:
        pass
    encoding = _guess_encoding(data)
    text, warnings = _decode_strict_or_replace(data, encoding)
    return _finish(text, encoding, (f"not UTF-8; decoded as {_display_name(encoding)}", *warnings))


def _guess_encoding(data: bytes) -> str:
    best = charset_normalizer.from_bytes(data).best()
    if best is None:
        return "cp1252"
    # On short Western texts charset_normalizer often picks cp1250 or hp_roman8 ("trčs" for
    # "très"). When its reading is Latin script anyway, cp1252 - by far the most common legacy
    # encoding of Latin text - is the better bet if it decodes the bytes at all.
    if not _NON_LATIN.search(str(best)):
        try:
            data.decode("cp1252")
            return "cp1252"
        except UnicodeDecodeError:
            pass
    return codecs.lookup(best.encoding).name


def _decode_strict_or_replace(data: bytes, encoding: str) -> tuple[str, tuple[str, ...]]:
    try:
        return data.decode(encoding), ()
    except UnicodeDecodeError as exc:
        note = f"invalid {_display_name(encoding)} bytes at offset {exc.start} replaced"
        return data.decode(encoding, errors="replace"), (note,)


def _finish(text: str, encoding: str, warnings: tuple[str, ...]) -> DecodedText:
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise SkipFile("empty file")
    if len(_CONTROL.findall(text)) > _MAX_CONTROL_RATIO * len(text) or "\x00" in text:
        raise SkipFile("binary data, not text")
    return DecodedText(text=text, encoding=_display_name(encoding), warnings=warnings)


def _display_name(encoding: str) -> str:
    name = codecs.lookup(encoding).name
    if re.fullmatch(r"cp125\d", name):
        return "windows-" + name[2:]
    return name


def _human_size(n: int) -> str:
    if n < 1024:
        return f"{n} bytes"
    unit, value = ("KB", n / 1024) if n < 1024 * 1024 else ("MB", n / (1024 * 1024))
    return f"{value:.1f}".removesuffix(".0") + f" {unit}"
