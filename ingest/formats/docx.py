"""Word files (.docx, Google Docs' Word export) → HTML with mammoth → Markdown.

mammoth (BSD-2) maps Word styles to clean HTML and keeps tables, which its own Markdown
writer drops; html-to-markdown then writes them as pipe tables, so a metadata table and an
"Action items" table read as in Markdown. External files (linked images) are never opened
(mammoth's `external_file_access` stays off) and images are not converted at all.
"""

from __future__ import annotations

import zipfile
from importlib.metadata import version
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from index.errors import ParseError, SkipFile
from ingest.formats.export import Export, Limits
from ingest.formats.html import converter_name, to_markdown
from ingest.formats.safety import check_office_zip
from ingest.formats.titles import clean_title

STYLE_MAP = """
p[style-name='Title'] => h1:fresh
p[style-name='Subtitle'] => p:fresh
"""
_CORE = "docProps/core.xml"
_NS = {
    "dc": "http://purl.org/dc/elements/1.1/",
    "cp": "http://schemas.openxmlformats.org/package/2006/metadata/core-properties",
    "dcterms": "http://purl.org/dc/terms/",
}


def core_properties(path: Path) -> dict[str, str]:
    """Title, creator, keywords and dates from an Office file's core properties (DTDs were
    refused by check_office_zip before this reads any XML)."""
    try:
        with zipfile.ZipFile(path) as archive:
            if _CORE not in archive.namelist():
                return {}
            root = ElementTree.fromstring(archive.read(_CORE))
    except (zipfile.BadZipFile, ElementTree.ParseError, KeyError):
        return {}
    out = {}
    for key, tag in (
        ("title", "dc:title"),
        ("creator", "dc:creator"),
        ("keywords", "cp:keywords"),
        ("created", "dcterms:created"),
        ("subject", "dc:subject"),
    ):
        found = root.find(tag, _NS)
        if found is not None and found.text and found.text.strip():
            out[key] = found.text.strip()
    return out


def container_fields(core: dict[str, str]) -> dict[str, Any]:
    """Core properties as front-matter fields (the document's own fields win over these)."""
    fields: dict[str, Any] = {}
    if core.get("creator"):
        fields["authors"] = [core["creator"]]
    if core.get("keywords"):
        fields["keywords"] = [k.strip() for k in core["keywords"].replace(";", ",").split(",")]
    if core.get("created"):
        fields["created"] = core["created"][:10]
    return fields


def read(path: Path, limits: Limits) -> Export:
    import mammoth

    if path.stat().st_size > limits.max_bytes:
        raise SkipFile(f"larger than {limits.max_bytes / 2**20:.0f} MB (5× HINDSIGHT_MAX_FILE_MB)")
    check_office_zip(path, "DOCX", limits.max_unzipped_bytes, "word/document.xml")
    core = core_properties(path)
    try:
        with path.open("rb") as fh:
            result = mammoth.convert_to_html(
                fh,
                style_map=STYLE_MAP,
                external_file_access=False,
                convert_image=mammoth.images.img_element(lambda image: {}),
            )
    except Exception as exc:  # noqa: BLE001 - any failure of the converter is a damaged file
        raise ParseError(f"damaged DOCX file: {type(exc).__name__}: {exc}") from None
    markdown, _ = to_markdown(result.value)
    if not markdown.strip():
        raise ParseError("the DOCX file has no text")
    return Export(
        markdown=markdown,
        source_format="docx",
        converter=f"mammoth {version('mammoth')} → {converter_name()}",
        title=clean_title(core.get("title")),
        fields=container_fields(core),
    )
