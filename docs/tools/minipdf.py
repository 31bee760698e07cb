"""A tiny PDF writer: lines of Helvetica text on A4 pages, with an info dictionary.

Enough to make the bundled PDF and the test files the way an "Export as PDF" does (a text
layer, a running footer, page numbers) without a PDF library. Not a runtime need.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from pathlib import Path

WIDTH, HEIGHT, MARGIN = 595, 842, 64


@dataclass(frozen=True)
class Line:
    text: str
    size: float = 10.5
    bold: bool = False
    gap: float = 0.0  # extra space above


def _escape(text: str) -> bytes:
    raw = text.encode("cp1252", errors="replace")
    return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def _wrap(lines: list[Line]) -> list[Line]:
    out: list[Line] = []
    for line in lines:
        width = int(95 * 10.5 / line.size)
        parts = textwrap.wrap(line.text, width) or [""]
        out.append(Line(parts[0], line.size, line.bold, line.gap))
        out += [Line(p, line.size, line.bold) for p in parts[1:]]
    return out


def write_pdf(
    path: Path,
    lines: list[Line],
    *,
    title: str = "",
    author: str = "",
    created: str = "",  # D:YYYYMMDDHHMMSS
    footer: str = "",
    text_layer: bool = True,
) -> Path:
    """Write LINES to PATH (wrapped, paginated); TEXT_LAYER=False draws boxes instead of text,
    like a scan."""
    pages: list[list[tuple[float, Line]]] = [[]]
    y = HEIGHT - MARGIN
    for line in _wrap(lines):
        step = line.size * 1.45 + line.gap
        if y - step < MARGIN + 20:
            pages.append([])
            y = HEIGHT - MARGIN
        y -= step
        pages[-1].append((y, line))
    streams = []
    for number, page in enumerate(pages, start=1):
        ops = []
        for y, line in page:
            if text_layer:
                font = "F2" if line.bold else "F1"
                ops.append(b"BT /%s %.1f Tf %d %.1f Td (%s) Tj ET" % (
                    font.encode(), line.size, MARGIN, y, _escape(line.text)))  # fmt: skip
            else:
                ops.append(b"%d %.1f %d %.1f re f" % (MARGIN, y, 6 * len(line.text), line.size))
        if text_layer and footer:
            ops.append(b"BT /F1 8 Tf %d 36 Td (%s) Tj ET" % (MARGIN, _escape(footer)))
            ops.append(b"BT /F1 8 Tf %d 36 Td (%s) Tj ET" % (
                WIDTH - MARGIN - 40, _escape(f"{number} of {len(pages)}")))  # fmt: skip
        streams.append(b"\n".join(ops))
    objects: list[bytes] = []
    n_pages = len(pages)
    first_page = 5
    kids = " ".join(f"{first_page + 2 * i} 0 R" for i in range(n_pages))
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {n_pages} >>".encode())
    objects.append(
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
    )
    objects.append(
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>"
    )
    for i, stream in enumerate(streams):
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] /Resources << /Font << "
            b"/F1 3 0 R /F2 4 0 R >> >> /Contents %d 0 R >>"
            % (WIDTH, HEIGHT, first_page + 2 * i + 1)
        )
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream) + 1, stream))
    info = b"<< /Producer (minipdf)"
    for key, value in (("Title", title), ("Author", author), ("CreationDate", created)):
        if value:
            info += b" /%s (%s)" % (key.encode(), _escape(value))
    objects.append(info + b" >>")
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, len(objects), xref)  # fmt: skip
    path.write_bytes(bytes(out))
    return path
