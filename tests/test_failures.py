"""Whose a failed file is (index/failures.py): its people fields read as ingest folds them."""

from __future__ import annotations

from pathlib import Path

from index.failures import claimed


def test_aliases_of_the_people_fields_name_the_owner(tmp_path: Path) -> None:
    path = tmp_path / "broken.md"
    path.write_text(
        "---\ntitle: [unclosed\nwritten_by: Ann Lee\nIncident owner: bob@kestrel.example\n"
        "access: [security]\n---\n# Body\n",
        encoding="utf-8",
    )
    found = claimed(path)
    assert found.people == ("Ann Lee", "bob@kestrel.example")
    assert found.access == ("security",)


def test_a_file_without_front_matter_names_nobody(tmp_path: Path) -> None:
    path = tmp_path / "plain.md"
    path.write_text("# Just a body\n", encoding="utf-8")
    assert claimed(path).people == () and claimed(path).access is None
