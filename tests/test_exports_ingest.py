"""A folder of exports ingested whole (real model, real index): each good file is found first by
a phrase only it holds, broken ones are named with a reason, and `show` reads what was understood."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from index.access import Viewer
from index.opener import open_archive
from index.settings import Settings
from ingest.pipeline import Ingestor
from tests.export_files import (
    FIXTURES,
    Line,
    confluence_page,
    docx_file,
    pdf_file,
    pptx_file,
    truncated,
)

OPERATOR = Viewer(name="local", operator=True)  # the person at the machine, as the CLI reads


def write_exports(root: Path) -> Path:
    docx_file(
        root / "drive/Copy of Cold storage thaw (1).docx",
        "Cold storage thaw in the Rotterdam freezer hall",
        [("Incident date", "9 August 2025"), ("Severity", "SEV2"), ("Team", "facilities")],
        [
            (
                "Summary",
                "A compressor relay chattered until the freezer hall warmed by six degrees.",
            ),
            ("Root cause", "The relay's debounce was disabled in a firmware update."),
        ],  # fmt: skip
        [("Action", "Owner", "Status"), ("Re-enable relay debounce", "Ola Berg", "Done")],
    )
    pdf_file(
        root / "drive/export-2025-10-02.pdf",
        [Line("Parcel lockers rejected every PIN", 16, bold=True), Line("Date: 2 October 2025"),
         Line("Severity: SEV3"), Line("Summary", 13, bold=True),
         Line("Locker firmware compared PINs as integers, so leading zeros never matched."),
         Line("Root cause", 13, bold=True), Line("A parser change dropped string comparison.")],
    )  # fmt: skip
    pptx_file(
        root / "talks/Untitled presentation.pptx",
        "Untitled presentation",
        [
            ("Forecasting returns volume", ["Presenter: Jan Vos", "Date: 2025-11-20"], ""),
            (
                "Seasonality",
                ["Weekly and yearly cycles"],
                "Returns peak eleven days after Black Friday.",
            ),
            ("Model", ["Gradient boosting per region"], ""),
        ],  # fmt: skip
    )
    page = tmp = root / "wiki/ENG/Forklift-telemetry-gap_77001.html"
    tmp.parent.mkdir(parents=True)
    page.write_text(confluence_page(
        "Engineering", "Forklift telemetry gap",
        "<table><tr><th>Severity</th><td>SEV4</td></tr><tr><th>Date</th><td>2025-05-05</td></tr>"
        "</table><h2>Summary</h2><p>Forklift telemetry went missing whenever a forklift crossed "
        "the mezzanine dead zone.</p><h2>Root cause</h2><p>No Wi-Fi roaming.</p>",
    ))  # fmt: skip
    # Broken: a truncated Word file, an encrypted PDF, an image-only scan.
    good = root / "drive/Copy of Cold storage thaw (1).docx"
    truncated(root / "drive/half-downloaded.docx", good)
    shutil.copy(FIXTURES / "encrypted.pdf", root / "drive/locked.pdf")
    pdf_file(root / "drive/scan.pdf", [Line("scanned page " * 6)] * 20, text_layer=False)
    return root


@pytest.fixture(scope="module")
def exports_index(tmp_path_factory: pytest.TempPathFactory, real_embedder: Any):
    base = tmp_path_factory.mktemp("exports")
    content = write_exports(base / "content")
    settings = Settings(data_dir=base / "data")
    report = Ingestor(settings, real_embedder).run([str(content)])
    return settings, content, report


def test_broken_exports_are_named_and_the_rest_ingested(exports_index) -> None:
    _, _, report = exports_index
    failed = {o.path.rsplit("/", 1)[-1]: o.reason for o in report.of("failed")}
    assert failed == {
        "half-downloaded.docx": failed["half-downloaded.docx"],
        "locked.pdf": "encrypted PDF: it needs a password; export it again without one",
        "scan.pdf": failed["scan.pdf"],
    }
    assert failed["half-downloaded.docx"].startswith("damaged DOCX file")
    assert failed["scan.pdf"].startswith("no text layer — scanned?")
    assert report.count("indexed") == 4


@pytest.mark.parametrize(
    ("phrase", "title", "kind", "date", "severity", "slide"),
    [
        ("compressor relay chattered", "Cold storage thaw in the Rotterdam freezer hall",
         "postmortem", "2025-08-09", "SEV2", None),
        ("compared PINs as integers leading zeros", "Parcel lockers rejected every PIN",
         "postmortem", "2025-10-02", "SEV3", None),
        ("returns peak eleven days after Black Friday", "Forecasting returns volume", "talk",
         "2025-11-20", None, 2),
        ("mezzanine dead zone", "Forklift telemetry gap", "postmortem", "2025-05-05", "SEV4",
         None),
    ],
)  # fmt: skip
def test_each_export_is_found_first_by_its_own_phrase(
    exports_index, real_embedder, phrase, title, kind, date, severity, slide
) -> None:
    settings, _, _ = exports_index
    archive = open_archive(settings, OPERATOR, real_embedder)
    hit = archive.search(phrase, limit=3)[0]
    assert (hit.title, hit.kind, hit.date.isoformat() if hit.date else None) == (title, kind, date)
    assert hit.metadata.get("severity") == severity
    assert hit.slide == slide
    assert hit.to_json().get("slide") == slide


def test_show_reads_what_was_understood(exports_index, real_embedder) -> None:
    settings, content, _ = exports_index
    archive = open_archive(settings, OPERATOR, real_embedder)
    found = archive.understood(str(content / "drive/Copy of Cold storage thaw (1).docx"))
    assert found is not None
    out = found.to_json()
    assert out["kind"] == "postmortem" and out["source_format"] == "docx"
    assert "mammoth" in out["converter"]
    assert out["fields"]["severity"] == "SEV2"
    assert "Root cause" in out["sections"]
    assert out["action_items"][0]["title"] == "Re-enable relay debounce"
    json.dumps(out)  # JSON-ready
    by_id = archive.understood(out["doc_id"])
    assert by_id is not None and by_id.to_json() == out
    broken = archive.understood("drive/locked.pdf")  # a unique end of its path
    assert broken is not None and broken.state == "failed" and broken.doc is None
    assert archive.understood("no/such/file.pdf") is None
    assert (
        archive.source_file(out["doc_id"]) == content / "drive/Copy of Cold storage thaw (1).docx"
    )


def test_watch_style_runs_pick_up_a_new_export(tmp_path: Path, fake_embedder) -> None:
    """The watcher runs an ingest over the changed paths only: a new Word file, then its edit."""
    content = tmp_path / "content"
    (content / "notes").mkdir(parents=True)
    (content / "notes/a.md").write_text("# A\n\nText.\n")
    settings = Settings(data_dir=tmp_path / "data")
    Ingestor(settings, fake_embedder).run([str(content)])
    new = docx_file(content / "notes/Retro.docx", "Sprint retro", [], [("Went well", "Demos.")])
    report = Ingestor(settings, fake_embedder).run([str(content)], paths=[new])
    assert [o.path for o in report.of("indexed")] == [str(new)]
    docx_file(new, "Sprint retro", [], [("Went well", "Demos and pairing.")])
    again = Ingestor(settings, fake_embedder).run([str(content)], paths=[new])
    assert [o.path for o in again.of("indexed")] == [str(new)]
    assert again.count("unchanged") == 0


def test_show_command_prints_the_record(exports_index, capsys) -> None:
    from cli import main

    settings, content, _ = exports_index
    data = ["--data-dir", str(settings.data_dir)]
    assert main(["show", str(content / "talks/Untitled presentation.pptx"), "--json", *data]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["title"] == "Forecasting returns volume" and out["source_format"] == "pptx"
    assert out["sections"][1] == "Slide 2: Seasonality"
    assert main(["show", "drive/scan.pdf", *data]) == 0
    assert "no text layer — scanned?" in capsys.readouterr().out
    assert main(["show", "nothing-here", *data]) == 2
    assert "no document or file 'nothing-here'" in capsys.readouterr().err


@pytest.mark.usefixtures("close_app_resources")
def test_the_portal_names_the_slide_of_a_deck_hit(exports_index, monkeypatch) -> None:
    from tests.app_helpers import run

    settings, _, _ = exports_index
    at = run(monkeypatch, settings, "portal/pages/search.py", q="returns peak after Black Friday")
    captions = [c.value for c in at.caption]
    assert any("slide 2 · Seasonality" in c for c in captions), captions
