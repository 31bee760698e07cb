"""One file to a ParsedDocument: kind, id, title, date, metadata, experts and transcripts."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from index.errors import ParseError, SkipFile
from index.models import OfficeHour
from ingest.documents import action_items, parse_document, pretty_stem
from ingest.profiles import parse_clock, parse_weekday

MAX = 1_000_000


def write(root: Path, rel: str, text: str | bytes) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def parse(root: Path, rel: str, text: str | bytes, sidecar: str | None = None):
    path = write(root, rel, text)
    side = write(root, sidecar[0], sidecar[1]) if sidecar else None
    return parse_document(path, root, max_bytes=MAX, sidecar=side)


@pytest.mark.parametrize(
    ("rel", "front", "kind"),
    [
        ("postmortems/a.md", "", "postmortem"),
        ("postmortem/a.md", "", "postmortem"),
        ("Post_Mortems/a.md", "", "postmortem"),
        ("showcases/a.md", "", "showcase"),
        ("talks/a.md", "", "talk"),
        ("experts/a.md", "name: A\n", "expert"),
        ("papers/a.md", "", "paper-review"),
        ("a.md", "", "note"),
        ("misc/a.md", "", "note"),
        ("notes/a.md", "kind: Post-Mortem\n", "postmortem"),
        ("a.md", "kind: incident\n", "postmortem"),
        ("a.md", "kind: paper\n", "paper-review"),
        ("a.md", "kind: Paper Review\n", "paper-review"),
        ("a.md", "kind: RFC\n", "rfc"),
        ("talks/a.md", "kind: showcase\n", "showcase"),
        # post-mortem front matter makes a post-mortem wherever the file lives
        ("a.md", "severity: SEV2\n", "postmortem"),
        ("notes/a.md", "root_cause: disk full\n", "postmortem"),
        ("misc/a.md", "action_items: [rotate keys]\n", "postmortem"),
        ("a.md", "trigger: deploy\nimpact: checkout down\n", "postmortem"),
        ("a.md", "impact: none\n", "note"),  # one companion field alone is not enough
        ("incidents/a.md", "", "postmortem"),
        ("talks/a.md", "kind: talk\nseverity: low\n", "talk"),  # an explicit kind wins
    ],
)
def test_kind(tmp_path: Path, rel: str, front: str, kind: str) -> None:
    assert parse(tmp_path, rel, f"---\n{front}---\nBody\n").kind == kind


@pytest.mark.parametrize(
    ("front", "rel", "doc_id"),
    [
        ("id: pm-1\nuuid: u-1\n", "postmortems/x.md", "pm-1"),
        ("uuid: u-1\n", "postmortems/x.md", "u-1"),
        ("id: 42\n", "x.md", "42"),
        ("", "postmortems/2024/x.md", "postmortems/2024/x"),
    ],
)
def test_doc_id(tmp_path: Path, front: str, rel: str, doc_id: str) -> None:
    assert parse(tmp_path, rel, f"---\n{front}---\nBody\n").doc_id == doc_id


@pytest.mark.parametrize(
    ("rel", "text", "title"),
    [
        ("a.md", "---\ntitle: '  Spaced   out  '\n---\n# Heading\n", "Spaced out"),
        ("a.md", "---\ntitle: ''\n---\n# Heading **bold**\n", "Heading bold"),
        (
            "postmortems/x.md",
            "---\ncompany: Amazon\nproduct: SimpleDB\ndate: 2012-06-13\n---\nx",
            "Amazon SimpleDB 2012-06-13",
        ),
        ("postmortems/x.md", "---\ncompany: Basecamp\nproduct: Basecamp 3\n---\nx", "Basecamp 3"),
        ("postmortems/x.md", "---\ncompany: Valve\nproduct: ''\n---\nx", "Valve"),
        ("notes/01_the-pipeline-function.md", "plain text", "The pipeline function"),
        ("experts/ada.md", "---\nname: Ada Lovelace\n---\nBio", "Ada Lovelace"),
    ],
)
def test_title(tmp_path: Path, rel: str, text: str, title: str) -> None:
    assert parse(tmp_path, rel, text).title == title


@pytest.mark.parametrize(
    ("stem", "pretty"),
    [
        ("01_the-pipeline-function", "The pipeline function"),
        ("2025-04-retrieval-evals", "Retrieval evals"),
        ("2024-05-01-db-outage", "Db outage"),
        ("312-scaling", "Scaling"),
        ("37_datasets-+-dataframes-=-❤️", "Datasets + dataframes = ❤️"),
        ("README", "README"),
        ("2024", "2024"),
    ],
)
def test_pretty_stem(stem: str, pretty: str) -> None:
    assert pretty_stem(stem) == pretty


@pytest.mark.parametrize(
    ("rel", "front", "date", "warnings"),
    [
        ("a.md", "date: 2024-05-01\n", dt.date(2024, 5, 1), ()),
        ("a.md", "start_time: 2016-08-18T19:00:00Z\n", dt.date(2016, 8, 18), ()),
        ("a.md", "date: '2024-05-01T10:00:00+02:00'\n", dt.date(2024, 5, 1), ()),
        ("a.md", "published: June 13, 2012\n", dt.date(2012, 6, 13), ()),
        ("a.md", "created: 13 June 2012\n", dt.date(2012, 6, 13), ()),
        ("a.md", "source_published_at: 2016-10-19T22:08:01.474Z\n", dt.date(2016, 10, 19), ()),
        ("a.md", "date: ''\nstart_time: null\n", None, ()),
        ("2023-07-21-crates.md", "", dt.date(2023, 7, 21), ()),
        ("a.md", "date: soon\n", None, ("field 'date': 'soon' is not a date; ignored",)),
        (
            "a.md",
            "date: '2024-13-45'\n",
            None,
            ("field 'date': '2024-13-45' is not a date; ignored",),
        ),
        ("a.md", "date: 2024\n", None, ("field 'date': '2024' is not a date; ignored",)),
        (
            "a.md",
            "date: nope\ncreated: 2020-01-02\n",
            dt.date(2020, 1, 2),
            ("field 'date': 'nope' is not a date; ignored",),
        ),
    ],
)
def test_date(tmp_path: Path, rel: str, front: str, date, warnings: tuple) -> None:
    doc = parse(tmp_path, rel, f"---\n{front}---\nBody\n")
    assert doc.date == date
    assert doc.warnings == warnings


def test_metadata_keeps_every_field_json_ready(tmp_path: Path) -> None:
    doc = parse(
        tmp_path,
        "postmortems/x.md",
        "---\ndate: 2024-05-01\nstart_time: 2024-05-01T10:00:00Z\nseverity: SEV2\n"
        "services: payments\nteams: [sre, '', null]\nauthors: [{name: Ann, email: a@x}]\n"
        "tags:\ncategories: []\nnested: {when: 2024-01-02, n: .nan}\ncustom: [1, 2]\n---\nx",
    )
    assert doc.metadata == {
        "date": "2024-05-01",
        "start_time": "2024-05-01T10:00:00Z",
        "severity": "SEV2",
        "services": ["payments"],
        "teams": ["sre"],
        "authors": ["Ann"],
        "tags": [],
        "categories": [],
        "nested": {"when": "2024-01-02", "n": "nan"},
        "custom": [1, 2],
    }
    json.dumps(doc.metadata)


def test_recursive_yaml_aliases_do_not_hang(tmp_path: Path) -> None:
    doc = parse(tmp_path, "a.md", "---\na: &x [1, *x]\n---\nBody\n")
    json.dumps(doc.metadata)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (
            "Fix the alerting",
            [{"title": "Fix the alerting", "owner": None, "status": None, "due": None}],
        ),
        (
            [
                "Add a runbook",
                {
                    "title": "Gate promotion",
                    "owner": "Priya",
                    "status": "done",
                    "due": "2024-06-01",
                },
            ],
            [
                {"title": "Add a runbook", "owner": None, "status": None, "due": None},
                {
                    "title": "Gate promotion",
                    "owner": "Priya",
                    "status": "done",
                    "due": "2024-06-01",
                },
            ],
        ),
        (
            [{"action": "Shorten TTL", "assignee": "Jo", "done": True, "deadline": "Q3"}],
            [{"title": "Shorten TTL", "owner": "Jo", "status": "done", "due": "Q3"}],
        ),
        ([{"owner": "nobody"}, None, ""], []),
        (None, []),
    ],
    ids=["string", "mixed", "aliases", "no-title", "none"],
)
def test_action_items(value, expected: list[dict]) -> None:
    assert action_items(value) == expected


def test_summary_keywords_and_action_items_become_sections(tmp_path: Path) -> None:
    doc = parse(
        tmp_path,
        "postmortems/x.md",
        "---\ntitle: T\nsummary: Zookeeper had too much data to boot.\n"
        "keywords: [zookeeper, kazoo]\ntags: ops\n"
        "action_items:\n  - {title: Cap znode size, owner: Ann, due: 2024-06-01}\n---\n"
        "# Timeline\n\nAt 19:00 the window began.\n",
    )
    assert [(s.heading_path, s.text, s.line) for s in doc.sections] == [
        (
            ("Summary",),
            "Zookeeper had too much data to boot.\nKeywords: zookeeper, kazoo\nTags: ops",
            None,
        ),
        (("Action items",), "- Cap znode size; owner: Ann; due: 2024-06-01", None),
        (("Timeline",), "At 19:00 the window began.", 9),
    ]


EXPERT = """\
---
name: Priya Raman
role: Staff Engineer
team: data-platform
email: priya@example.com
chat: "@priya"
booking: https://cal.example/priya
topics: [postgres, replication]
timezone: Europe/London
office_hours:
  - {weekday: Tuesday, start: "15:00", end: "16:00", where: Room 4.12}
  - {day: 3, start: 15:00, end: 16:30}
  - {weekday: Fri, start: 1500, duration: 30, timezone: America/New_York}
  - "Mon 09:30-10:00 Asia/Tokyo (video call)"
  - {weekday: Thu, start: "10:00", end: "11:00", timezone: Mars/Olympus}
  - {weekday: Funday, start: "10:00", end: "11:00"}
  - {weekday: Mon, start: "11:00", end: "10:00"}
---
# About

Priya runs the Postgres fleet.
"""


def test_expert_profile(tmp_path: Path) -> None:
    doc = parse(tmp_path, "experts/priya.md", EXPERT)
    expert = doc.expert
    assert expert is not None
    assert (expert.expert_id, expert.doc_id, expert.name, expert.role, expert.team) == (
        "experts/priya",
        "experts/priya",
        "Priya Raman",
        "Staff Engineer",
        "data-platform",
    )
    assert (expert.email, expert.chat, expert.booking) == (
        "priya@example.com",
        "@priya",
        "https://cal.example/priya",
    )
    assert expert.topics == ("postgres", "replication")
    assert expert.bio == "# About\n\nPriya runs the Postgres fleet."
    t = dt.time
    assert expert.office_hours == (
        OfficeHour(1, t(15), t(16), "Europe/London", "Room 4.12"),
        OfficeHour(3, t(15), t(16, 30), "Europe/London"),  # YAML read 15:00 as 900
        OfficeHour(4, t(15), t(15, 30), "America/New_York"),
        OfficeHour(0, t(9, 30), t(10), "Asia/Tokyo", "video call"),
    )
    assert doc.warnings == (
        "office_hours[5]: unknown timezone 'Mars/Olympus'; slot dropped",
        "office_hours[6]: unknown weekday 'Funday'; slot dropped",
        "office_hours[7]: ends (10:00) before it starts (11:00); slot dropped",
    )
    assert doc.title == "Priya Raman"
    assert [s.heading_path for s in doc.sections] == [("Priya Raman",), ("About",)]
    assert doc.sections[0].text.splitlines()[:2] == [
        "Priya Raman — Staff Engineer, data-platform",
        "Topics: postgres, replication",
    ]
    assert "Office hours: Tuesday 15:00–16:00 Europe/London (Room 4.12)" in doc.sections[0].text


def test_expert_yaml_file(tmp_path: Path) -> None:
    doc = parse(
        tmp_path,
        "experts/jo.yaml",
        "name: Jo Park\ntopics: dns\nbio: |\n  Jo ran the DNS migration.\n"
        "office_hours: [{weekday: 0, start: '9:00', end: '10:00', tz: UTC}]\n",
    )
    assert doc.kind == "expert"
    assert doc.expert is not None
    assert doc.expert.topics == ("dns",)
    assert doc.expert.office_hours == (OfficeHour(0, dt.time(9), dt.time(10), "UTC"),)
    assert [(s.heading_path, s.text) for s in doc.sections] == [
        (("Jo Park",), "Jo Park\nTopics: dns\nOffice hours: Monday 09:00–10:00 UTC"),
        (("Bio",), "Jo ran the DNS migration."),
    ]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("15:00", dt.time(15)),
        ("9:30", dt.time(9, 30)),
        ("0900", dt.time(9)),
        ("3pm", dt.time(15)),
        ("12 am", dt.time(0)),
        ("3:30 p.m.", dt.time(15, 30)),
        ("15h30", dt.time(15, 30)),
        (900, dt.time(15)),  # YAML 1.1 sexagesimal: unquoted 15:00
        (570, dt.time(9, 30)),  # unquoted 9:30
        (1500, dt.time(15)),  # HHMM
        (9, dt.time(9)),
        ("25:00", None),
        ("13pm", None),
        (2460, None),
        (True, None),
        ("noon", None),
    ],
)
def test_parse_clock(value, expected) -> None:
    assert parse_clock(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Monday", 0),
        ("tue", 1),
        ("Thurs", 3),
        ("Sundays", 6),
        (4, 4),
        ("5", 5),
        (7, None),
        ("xyz", None),
        (None, None),
        (True, None),
    ],
)
def test_parse_weekday(value, expected) -> None:
    assert parse_weekday(value) == expected


VTT = "WEBVTT\n\n00:00:01.000 --> 00:00:04.000\n<v Ann>Welcome to the showcase.\n"


def test_transcript_with_sidecar(tmp_path: Path) -> None:
    doc = parse(
        tmp_path,
        "showcases/2025-05-drills.vtt",
        VTT,
        sidecar=(
            "showcases/2025-05-drills.md",
            "---\nid: sc-1\ntitle: Failover drills\ndate: 2025-05-22\npresenters: Ann\n---\n"
            "# Notes\n\nSlides are linked.\n",
        ),
    )
    assert (doc.doc_id, doc.kind, doc.title, doc.date) == (
        "sc-1",
        "showcase",
        "Failover drills",
        dt.date(2025, 5, 22),
    )
    assert doc.metadata["presenters"] == ["Ann"]
    assert doc.sources == ("showcases/2025-05-drills.md",)
    assert doc.body == "# Notes\n\nSlides are linked."
    assert [(s.text, s.heading_path, s.start, s.end, s.speaker) for s in doc.sections] == [
        ("Slides are linked.", ("Notes",), None, None, None),
        ("Welcome to the showcase.", (), 1.0, 4.0, "Ann"),
    ]
    assert len(doc.segments) == 1


@pytest.mark.parametrize(
    ("rel", "text", "kind", "title", "date"),
    [
        ("showcases/2025-05-22_drills.vtt", VTT, "showcase", "Drills", dt.date(2025, 5, 22)),
        (
            "hf-course/01_the-pipeline-function.srt",
            "1\n00:00:01,000 --> 00:00:02,000\nHi\n",
            "talk",
            "The pipeline function",
            None,
        ),
        (
            "talks/embeddings.json",
            '{"segments": [{"start": 0, "end": 1, "text": "Hi"}]}',
            "talk",
            "Embeddings",
            None,
        ),
    ],
)
def test_transcript_without_sidecar(tmp_path: Path, rel, text, kind, title, date) -> None:
    doc = parse(tmp_path, rel, text)
    assert (doc.kind, doc.title, doc.date, doc.body, doc.sources) == (kind, title, date, "", ())
    assert doc.doc_id == rel.rsplit(".", 1)[0]
    assert all(s.start is not None for s in doc.sections)


def test_broken_sidecar_names_itself(tmp_path: Path) -> None:
    with pytest.raises(ParseError) as excinfo:
        parse(tmp_path, "talks/t.vtt", VTT, sidecar=("talks/t.md", "---\ntitle: [x\n---\n"))
    assert excinfo.value.reason.startswith("sidecar talks/t.md: invalid YAML front matter")
    assert excinfo.value.line == 2


def test_empty_sidecar_is_ignored_with_a_warning(tmp_path: Path) -> None:
    doc = parse(tmp_path, "talks/t.vtt", VTT, sidecar=("talks/t.md", ""))
    assert doc.warnings == ("sidecar talks/t.md ignored: empty file",)
    assert doc.sources == ()


@pytest.mark.parametrize(
    ("rel", "data", "error", "reason", "line"),
    [
        ("a.xyz", b"text", SkipFile, "unsupported file type .xyz", None),
        ("Makefile", b"all:", SkipFile, "unsupported file type (no suffix)", None),
        ("a.md", b"", SkipFile, "empty file", None),
        ("a.md", b"\x00\x01\x02binary", SkipFile, "binary data, not text", None),
        (
            "a.md",
            b"---\ntitle: a: b\n---\n",
            ParseError,
            "invalid YAML front matter: mapping values are not allowed here",
            2,
        ),
        (
            "a.md",
            b"---\n- a\n---\n",
            ParseError,
            "front matter must be a mapping of fields, got a list",
            2,
        ),
        ("experts/a.yaml", b"- a\n", ParseError, "file must be a mapping of fields, got a list", 1),
        ("a.vtt", b"not vtt", ParseError, 'not a WebVTT file: the first line must be "WEBVTT"', 1),
        ("a.json", b'{"text": "x"}', ParseError, "Whisper JSON has no segments", 1),
    ],
)
def test_bad_files(tmp_path: Path, rel: str, data: bytes, error, reason: str, line) -> None:
    with pytest.raises(error) as excinfo:
        parse(tmp_path, rel, data)
    assert excinfo.value.reason == reason
    assert getattr(excinfo.value, "line", None) == line


def test_legacy_encoding_is_a_warning(tmp_path: Path) -> None:
    doc = parse(tmp_path, "a.md", "---\ntitle: Café\n---\nThe café failed.\n".encode("cp1252"))
    assert doc.title == "Café"
    assert doc.warnings == ("not UTF-8; decoded as windows-1252",)


def test_tags_without_a_summary_make_no_passage_of_their_own(tmp_path: Path) -> None:
    doc = parse(
        tmp_path, "talks/x.md", "---\ntitle: T\ntags: [envoy, retries]\n---\n## Body\nText.\n"
    )
    assert all("Tags:" not in s.text for s in doc.sections)
    with_summary = parse(
        tmp_path, "talks/y.md", "---\ntitle: T\nsummary: One line.\ntags: [envoy]\n---\nText.\n"
    )
    assert with_summary.sections[0].text == "One line.\nTags: envoy"
