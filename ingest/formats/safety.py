"""Untrusted Office files are ZIP archives of XML: cap what they unpack to, refuse DTDs.

A decompression bomb is a small file that unpacks to gigabytes; the central directory states
every member's size, and Python's zipfile never inflates a member past its stated size, so
adding up the stated sizes before any library opens the file bounds the work. Office XML has
no use for a document type declaration; one that declares entities is either a billion-laughs
bomb or an external-entity fetch, so the file is refused rather than parsed.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from index.errors import ParseError

MAX_MEMBERS = 10_000
_DTD = re.compile(r"<!\s*(?:DOCTYPE|ENTITY)", re.I)
# How an XML parser tells the encoding: a byte-order mark, or "<" and NULs (UTF-16 or UTF-32).
_ENCODINGS = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"<\x00\x00\x00", "utf-32-le"),
    (b"\x00\x00\x00<", "utf-32-be"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
    (b"<\x00", "utf-16-le"),
    (b"\x00<", "utf-16-be"),
)


def declares_dtd(data: bytes) -> bool:
    """True when DATA is XML, in any encoding an XML parser accepts, with a DTD or entity
    declaration. Every member is checked whatever its name (a relationship may point the main
    part at any file); one that does not start as XML does (a printer's binary settings
    carrying a plist) is no XML a parser would read."""
    encoding = "latin-1"  # UTF-8 and the ASCII-compatible encodings
    for mark, wide in _ENCODINGS:
        if data.startswith(mark):
            encoding = wide
            break
    text = data.decode(encoding, "replace").lstrip("\ufeff \t\r\n")
    return text.startswith("<") and bool(_DTD.search(text))


def _mb(n: int) -> str:
    return f"{n / 1_000_000:.0f} MB" if n >= 1_000_000 else f"{n / 1000:.0f} kB"


def check_office_zip(path: Path, what: str, max_unzipped: int, required: str) -> None:
    """Raise ParseError unless PATH is a sane Office ZIP holding the member REQUIRED.

    Args:
        what: the format's name for messages ("DOCX").
        max_unzipped: the most bytes all members may unpack to together.
        required: a member every such file has (word/document.xml).
    """
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            if len(members) > MAX_MEMBERS:
                raise ParseError(f"refused: {len(members)} files inside (a ZIP bomb?)")
            total = sum(m.file_size for m in members)
            if total > max_unzipped:
                raise ParseError(
                    f"refused: unpacks to {_mb(total)}, over the {_mb(max_unzipped)} cap "
                    "(a decompression bomb?)"
                )
            names = {m.filename for m in members}
            if required not in names:
                raise ParseError(f"not a {what} file: it has no {required} (damaged or renamed?)")
            for member in members:
                # Read whole, not a head: comments may pad the prologue before a DTD.
                if declares_dtd(archive.read(member)):
                    raise ParseError(
                        f"refused: {member.filename} declares a DTD or entities "
                        "(entities are never expanded)"
                    )
    except zipfile.BadZipFile as exc:
        raise ParseError(f"damaged {what} file: not a readable ZIP archive ({exc})") from None
    except zipfile.LargeZipFile:
        raise ParseError(f"refused: a ZIP64 {what} file this large is not read") from None
