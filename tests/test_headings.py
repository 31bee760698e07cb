"""ATX headings read line by line (index/headings.py), and untrusted files padded with spaces."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.headings import atx, headings
from ingest.documents import parse_document


@pytest.mark.parametrize(
    ("line", "found"),
    [
        ("## Root cause ##", (2, "Root cause")),
        ("# C#", (1, "C#")),
        ("#\tTabbed", (1, "Tabbed")),
        ("   ### Indented three", (3, "Indented three")),
        ("## ", (2, "")),
        ("#hashtag", None),
        ("####### seven", None),
        ("    # code block", None),
    ],
)
def test_atx_headings(line: str, found: tuple[int, str] | None) -> None:
    assert atx(line) == found


def test_empty_headings_are_left_out() -> None:
    assert headings("# Title\n\n## \ntext\n### Impact ###\n") == [(1, "Title"), (3, "Impact")]


def test_a_file_padded_with_spaces_parses_with_its_fields(tmp_path: Path) -> None:
    """Lines of thousands of spaces after a label, a heading or a task (a hostile or broken
    export) are read like the trimmed lines; patterns that backtrack took minutes on these."""
    pad = " " * 20_000
    notes = tmp_path / "notes"
    notes.mkdir()
    path = notes / "Search outage 5d41402abc4b2a76b9719d911017c592.md"
    path.write_text(
        f"# Search outage\n\nSeverity: Sev 2{pad}\nStatus: {pad}resolved\n\n"
        f"## Root cause{pad}\nA reindex dropped the alias.\n\n"
        f"## Action items{pad}##\n- [ ] Alert on alias swaps{pad}\n",
        encoding="utf-8",
    )
    doc = parse_document(path, tmp_path, max_bytes=10_000_000)
    assert doc.metadata["severity"] == "SEV2"
    assert [i["title"] for i in doc.metadata["action_items"]] == ["Alert on alias swaps"]
    assert any("Root cause" in s.heading_path for s in doc.sections)
