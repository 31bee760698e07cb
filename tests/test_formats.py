"""Exports become the same parsed document as Markdown: real files through the real converters."""

from __future__ import annotations

import socket
import zipfile
from pathlib import Path

import pytest

from index.errors import ParseError
from ingest.documents import parse_document
from ingest.formats import properties
from ingest.formats.titles import clean_title
from tests.export_files import (
    FIXTURES,
    Line,
    confluence_page,
    docx_file,
    entity_docx,
    pdf_file,
    pptx_file,
    truncated,
    zip_bomb_docx,
)

MB = 10 * 2**20


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Content is untrusted: reading it must never open a connection."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a converter tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def parse(path: Path, root: Path):
    return parse_document(path, root, max_bytes=MB)


def test_docx_postmortem_reads_like_markdown(tmp_path: Path) -> None:
    path = docx_file(
        tmp_path / "exports/Copy of checkout outage (1).docx",
        "Checkout sessions expired during the spring sale",
        [
            ("Incident date", "14 March 2025"),
            ("Severity", "Sev 2"),
            ("Status", "Resolved"),
            ("Affected services", "checkout-web, session-store"),
            ("Team", "payments"),
            ("Authors", "Ann Lee; Bo Park"),
            ("Duration", "47m"),
        ],  # fmt: skip
        [
            (
                "Summary",
                "Sessions in session-store expired after 90 seconds instead of 90 minutes.",
            ),
            ("Root cause", "A unit mix-up in the TTL setting."),
            ("Impact", "1,200 carts were lost."),
        ],  # fmt: skip
        [
            ("Action", "Owner", "Status", "Due"),
            ("Test TTL units in CI", "Ann Lee", "Done", "2025-03-20"),
            ("Alert on session churn", "Bo Park", "Open", "2025-04-01"),
        ],  # fmt: skip
        core_title="Copy of checkout outage (1)",
    )
    doc = parse(path, tmp_path)
    assert doc.kind == "postmortem"  # from its fields, though it lives in exports/
    assert doc.title == "Checkout sessions expired during the spring sale"
    assert doc.date is not None and doc.date.isoformat() == "2025-03-14"
    meta = doc.metadata
    assert meta["severity"] == "SEV2"
    assert meta["services"] == ["checkout-web", "session-store"]
    assert meta["teams"] == ["payments"]
    assert meta["authors"] == ["Ann Lee", "Bo Park"]
    assert meta["duration"] == "47m"
    assert [(i["title"], i["owner"], i["status"]) for i in meta["action_items"]] == [
        ("Test TTL units in CI", "Ann Lee", "Done"),
        ("Alert on session churn", "Bo Park", "Open"),
    ]
    headings = [s.heading_path[-1] for s in doc.sections if s.heading_path]
    assert {"Summary", "Root cause", "Impact"} <= set(headings)
    assert meta["origin"]["format"] == "docx"
    assert "mammoth" in meta["origin"]["converter"]


def test_docx_without_a_title_style_falls_back_to_a_clean_file_name(tmp_path: Path) -> None:
    path = docx_file(
        tmp_path / "notes/Copy of Vendor call notes_FINAL (2).docx", "Attendees: Ann, Bo", [],
        [("Discussion", "We agreed to renew the contract.")], title_style="Normal",
    )  # fmt: skip
    doc = parse(path, tmp_path)
    assert doc.title == "Vendor call notes"
    assert doc.kind == "note"


def test_pdf_text_layer_becomes_sections_fields_and_action_items(tmp_path: Path) -> None:
    path = pdf_file(
        tmp_path / "reviews/incident-42.pdf",
        [
            Line("DNS resolver cache poisoned by a stale zone", 16, bold=True),
            Line("Date: 2 June 2025"),
            Line("Severity: SEV1"),
            Line("Services: edge-dns"),
            *[Line("Summary", 13, bold=True), Line("Resolvers served an old zone for nine hours.")],
            *[Line("Root cause", 13, bold=True), Line("A secondary never received NOTIFY.")],
            Line("Action items", 13, bold=True),
            Line("• Monitor zone serials on every secondary (owner: Jo Bell) - done"),
            Line("• Lower the SOA refresh (owner: Jo Bell, due: 2025-07-01)"),
            *[Line(f"Appendix line {i} about resolver metrics.") for i in range(90)],
        ],  # fmt: skip
        title="",
        footer="Example Corp - Confidential",
    )
    doc = parse(path, tmp_path)
    assert doc.title == "DNS resolver cache poisoned by a stale zone"
    assert doc.kind == "postmortem"
    assert doc.date is not None and doc.date.isoformat() == "2025-06-02"
    assert doc.metadata["severity"] == "SEV1"
    items = {i["title"]: i["status"] for i in doc.metadata["action_items"]}
    assert items == {"Monitor zone serials on every secondary": "done",
                     "Lower the SOA refresh": "open"}  # fmt: skip
    assert "Confidential" not in doc.body  # a running footer on every page is chrome
    assert "1 of" not in doc.body


def test_slides_are_one_passage_each_with_their_notes(tmp_path: Path) -> None:
    path = pptx_file(
        tmp_path / "decks/Untitled presentation.pptx",
        "Untitled presentation",
        [
            ("Caching at the edge", ["Presenter: Dee Ray", "Date: 2025-09-09"], ""),
            (
                "Why TTLs lie",
                ["Clocks drift"],
                "The notes say the quiet part: stale-while-revalidate.",
            ),
            ("Takeaways", ["Measure hit ratio per route"], ""),
        ],  # fmt: skip
    )
    doc = parse(path, tmp_path)
    assert doc.title == "Caching at the edge"  # the template's title names nothing
    assert doc.kind == "talk"
    assert doc.metadata["presenters"] == ["Dee Ray"]
    assert doc.date is not None and doc.date.isoformat() == "2025-09-09"
    slides = [(s.slide, s.heading_path) for s in doc.sections]
    assert slides == [
        (1, ("Slide 1: Caching at the edge",)),
        (2, ("Slide 2: Why TTLs lie",)),
        (3, ("Slide 3: Takeaways",)),
    ]
    assert "stale-while-revalidate" in doc.sections[1].text


def test_slides_stay_apart_when_chunked(tmp_path: Path, fake_embedder) -> None:
    from ingest.chunking import chunk_document

    path = pptx_file(tmp_path / "d.pptx", "Deck",
                     [(f"Slide title {n}", [f"point {n}"], "") for n in range(1, 6)])  # fmt: skip
    chunks = chunk_document(parse(path, tmp_path), fake_embedder.count_tokens)
    assert [c.slide for c in chunks] == [1, 2, 3, 4, 5]


def test_confluence_export_loses_its_chrome_and_keeps_its_properties(tmp_path: Path) -> None:
    main = """
<div class="table-wrap"><table class="confluenceTable"><tbody>
<tr><th class="confluenceTh">Severity</th><td class="confluenceTd">SEV3</td></tr>
<tr><th class="confluenceTh">Incident date</th><td class="confluenceTd">2025-02-28</td></tr>
<tr><th class="confluenceTh">Incident owner</th><td class="confluenceTd">Cy Moss</td></tr>
</tbody></table></div>
<h2>Summary</h2><p>Queue consumers stalled on a poison message.</p>
<h2>Root cause</h2><p>No dead-letter queue.</p>
<h2>Action items</h2>
<ul class="inline-task-list"><li data-inline-task-id="1" class="checked">Add a DLQ (owner: Cy Moss)</li>
<li data-inline-task-id="2">Alert on consumer lag @cy 2025-04-01</li></ul>"""
    head = '<link rel="canonical" href="https://wiki.example.com/display/ENG/Queue+stall">'
    path = tmp_path / "ENG/Queue-stall_65540.html"
    path.parent.mkdir()
    path.write_text(confluence_page("Engineering", "Queue stall", main, head=head))
    doc = parse(path, tmp_path)
    assert doc.title == "Queue stall"  # no "Engineering : " space prefix
    assert doc.kind == "postmortem"
    assert doc.metadata["owner"] == "Cy Moss"
    assert doc.metadata["original_url"] == "https://wiki.example.com/display/ENG/Queue+stall"
    assert [(i["title"], i["status"]) for i in doc.metadata["action_items"]] == [
        ("Add a DLQ", "done"),
        ("Alert on consumer lag", "open"),
    ]
    everything = doc.body + " ".join(s.text for s in doc.sections)
    for canary in ("zzstylecanary", "zzheadscript", "zzbodyscript", "zzbreadcrumbcanary",
                   "zzattachmentcanary", "zzfootercanary"):  # fmt: skip
        assert canary not in everything


def test_notion_markdown_export_fields_title_and_link(tmp_path: Path) -> None:
    path = tmp_path / "Notion/Search latency regression 0f3c9a2b7d5e4f60a1b2c3d4e5f60718.md"
    path.parent.mkdir()
    path.write_text(
        "# Search latency regression\n\nSeverity: SEV4\nDate: April 2, 2025 3:10 PM\n"
        "Owner: Flo Diaz\nServices: search-api, opensearch\n\n## Root cause\n\nA missing index."
        "\n\n## Timeline\n\n- 15:10 alert\n\n## Action items\n\n- [ ] Add the index (owner: Flo Diaz)\n"
    )
    doc = parse(path, tmp_path)
    assert doc.title == "Search latency regression"
    assert doc.kind == "postmortem"
    assert doc.date is not None and doc.date.isoformat() == "2025-04-02"
    assert doc.metadata["services"] == ["search-api", "opensearch"]
    assert doc.metadata["original_url"] == "https://www.notion.so/0f3c9a2b7d5e4f60a1b2c3d4e5f60718"
    assert doc.metadata["action_items"][0]["title"] == "Add the index"


def test_markdown_with_front_matter_is_read_as_before(tmp_path: Path) -> None:
    path = tmp_path / "notes/a.md"
    path.parent.mkdir()
    path.write_text("---\ntitle: Kept\n---\nSeverity: SEV1 is not a field here.\n")
    doc = parse(path, tmp_path)
    assert doc.title == "Kept" and "severity" not in doc.metadata


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Engineering : Post-mortem: DNS", "Post-mortem: DNS"),
        ("Copy of Incident review (1)", "Incident review"),
        ("Incident_review_FINAL", "Incident review"),
        ("Q3 retro 1234567890abcdef1234567890abcdef", "Q3 retro"),
        ("Microsoft Word - outage.docx", "outage"),
        ("Untitled document", ""),
        ("Retro - Google Docs", "Retro"),
    ],
)
def test_clean_titles(raw: str, clean: str) -> None:
    assert clean_title(raw, space_prefix=True) == clean


def test_properties_table_needs_known_labels() -> None:
    table = "| Region | Count |\n|---|---|\n| EU | 4 |\n| US | 7 |\n"
    assert properties.extract(table) == {}
    fields = "| Field | Value |\n|---|---|\n| Severity | SEV1 |\n| Components | a, b |\n"
    assert properties.extract(fields) == {"severity": "SEV1", "services": ["a", "b"]}


# --- bad exports: each named with a reason, nothing else lost ----------------------------------


def test_encrypted_pdf_is_refused_with_a_reason(tmp_path: Path) -> None:
    with pytest.raises(ParseError, match="encrypted PDF"):
        parse(FIXTURES / "encrypted.pdf", FIXTURES)


def test_image_only_pdf_has_no_text_layer(tmp_path: Path) -> None:
    path = pdf_file(tmp_path / "scan.pdf", [Line("scanned words " * 5)] * 30, text_layer=False)
    with pytest.raises(ParseError, match="no text layer — scanned?"):
        parse(path, tmp_path)


def test_corrupt_office_files(tmp_path: Path) -> None:
    good = docx_file(tmp_path / "good.docx", "T", [], [("S", "text")])
    with pytest.raises(ParseError, match="damaged DOCX"):
        parse(truncated(tmp_path / "cut.docx", good), tmp_path)
    deck = pptx_file(tmp_path / "good.pptx", "D", [("A", ["b"], "")])
    with pytest.raises(ParseError, match="damaged PPTX"):
        parse(truncated(tmp_path / "cut.pptx", deck), tmp_path)
    (tmp_path / "renamed.pptx").write_bytes(good.read_bytes())  # a Word file named .pptx
    with pytest.raises(ParseError, match="not a PPTX file"):
        parse(tmp_path / "renamed.pptx", tmp_path)


def test_zip_bomb_is_capped_before_it_is_inflated(tmp_path: Path) -> None:
    bomb = zip_bomb_docx(tmp_path / "bomb.docx", megabytes=300)
    assert bomb.stat().st_size < 2 * 2**20
    with pytest.raises(ParseError, match="decompression bomb"):
        parse(bomb, tmp_path)


def test_xml_entities_are_never_expanded(tmp_path: Path) -> None:
    good = docx_file(tmp_path / "good.docx", "Title", [], [("S", "text")])
    with pytest.raises(ParseError, match="declares a DTD or entities"):
        parse(entity_docx(tmp_path / "lol.docx", good), tmp_path)


@pytest.mark.parametrize(
    ("member", "encoding"),
    [
        ("word/document.xml", "utf-16"),
        ("word/document.xml", "utf-16-le"),
        ("word/main.dat", "utf-8"),
    ],
)
def test_entities_are_refused_in_any_member_and_encoding(
    tmp_path: Path, member: str, encoding: str
) -> None:
    """A relationship may point the main part at any file name, and XML may be UTF-16: the
    check reads every member as an XML parser would, not only `*.xml` as UTF-8 bytes."""
    import zipfile

    good = docx_file(tmp_path / "good.docx", "Title", [], [("S", "text")])
    lol = '<?xml version="1.0"?><!DOCTYPE a [<!ENTITY e "boom">]><a>&e;</a>'
    bad = tmp_path / "bad.docx"
    with zipfile.ZipFile(good) as original, zipfile.ZipFile(bad, "w") as out:
        for item in original.infolist():
            if item.filename != member:
                out.writestr(item, original.read(item))
        out.writestr(member, lol.encode(encoding))
    with pytest.raises(ParseError, match="declares a DTD or entities"):
        parse(bad, tmp_path)


def test_linked_images_are_not_fetched(tmp_path: Path) -> None:
    """A DOCX whose image is an external link (and an HTML page with remote images, styles and
    scripts) converts without opening any connection (the autouse fixture fails on one)."""
    good = docx_file(tmp_path / "good.docx", "Linked", [], [("S", "See the chart.")])
    linked = tmp_path / "linked.docx"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(linked, "w") as out:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "word/_rels/document.xml.rels":
                data = data.replace(b"</Relationships>", b'<Relationship Id="rIdX" Type="http:'
                                    b'//schemas.openxmlformats.org/officeDocument/2006/relationships'
                                    b'/image" Target="http://127.0.0.1:9/x.png" TargetMode="External"/>'
                                    b"</Relationships>")  # fmt: skip
            out.writestr(item, data)
    assert "See the chart." in parse(linked, tmp_path).body
    page = tmp_path / "p.html"
    page.write_text('<html><head><link rel="stylesheet" href="http://127.0.0.1:9/s.css">'
                    '<script src="http://127.0.0.1:9/x.js"></script></head><body><h1>Remote</h1>'
                    '<img src="http://127.0.0.1:9/i.png"><p>Body text.</p></body></html>')  # fmt: skip
    assert parse(page, tmp_path).title == "Remote"


def test_an_oversized_export_is_skipped_with_a_reason(tmp_path: Path) -> None:
    from index.errors import SkipFile

    path = docx_file(tmp_path / "big.docx", "Big", [], [("S", "text")])
    with pytest.raises(SkipFile, match="larger than 0 MB"):
        parse_document(path, tmp_path, max_bytes=1000)


def test_a_confluence_space_index_is_not_a_page(tmp_path: Path) -> None:
    from index.errors import SkipFile

    index = tmp_path / "ENG/index.html"
    index.parent.mkdir()
    index.write_text(confluence_page("Engineering", "Engineering", (
        '<h2 id="Home-Availablepages">Available Pages:</h2><ul><li>'
        '<a href="Queue-stall_65540.html">Queue stall</a></li></ul>')))  # fmt: skip
    with pytest.raises(SkipFile, match="space's index"):
        parse(index, tmp_path)
