"""Hostile input, one row each: the run completes, the bad file is reported with a reason a
person understands, every good file is indexed, and nothing in the content folder changes.

HINDSIGHT_SHARED=../shared also ingests every file under ../shared/robustness.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from index import catalog
from index.reader import IndexSnapshot
from index.settings import Settings
from ingest import pipeline
from ingest.pipeline import Ingestor
from ingest.report import IngestReport
from tests.conftest import POSTMORTEM, SHOWCASE_VTT, HashingEmbedder
from tests.fault_worker import check_consistent

GOOD = {
    "postmortems/good.md": POSTMORTEM,
    "showcases/good.vtt": SHOWCASE_VTT,
    "talks/good.md": "---\ntitle: A good talk\n---\n# A good talk\n\nNothing wrong here.\n",
}


def _alias_levels(levels: int) -> bytes:
    """YAML whose aliases expand to 9**LEVELS items from a few hundred bytes."""
    lines = ['l0: &l0 ["x","x","x","x","x","x","x","x","x"]']
    for i in range(1, levels):
        lines.append(f"l{i}: &l{i} [{','.join([f'*l{i - 1}'] * 9)}]")
    return ("---\ntitle: Aliases\n" + "\n".join(lines) + "\n---\nbody\n").encode()


@dataclass(frozen=True)
class Case:
    name: str
    files: dict[str, bytes]  # written under content/
    path: str  # the file the outcome is about
    state: str  # skipped | failed | indexed (then `reason` is in one of its warnings)
    reason: str
    line: int | None = None
    make: Callable[[Path], None] | None = None  # for what bytes cannot say: links, pipes


def _sparse(size: int) -> Callable[[Path], None]:
    def make(content: Path) -> None:
        with (content / "notes/huge.md").open("wb") as fh:
            fh.write(b"# Huge\n")
            fh.truncate(size)  # a sparse file: 50 MB without writing 50 MB

    return make


def _symlink_loop(content: Path) -> None:
    (content / "notes/a").symlink_to("b")
    (content / "notes/b").symlink_to("a")


def _self_link(content: Path) -> None:
    (content / "notes/self.md").symlink_to("self.md")


def _dir_link_loop(content: Path) -> None:
    (content / "notes/up").symlink_to("..", target_is_directory=True)


def _fifo(content: Path) -> None:
    os.mkfifo(content / "notes/pipe.md")  # reading it would block forever


CASES = [
    Case("binary-with-md-name", {"notes/x.md": b"\x00\x01\x02binary\x00" * 50},
         "notes/x.md", "skipped", "binary data, not text"),
    Case("empty-file", {"notes/x.md": b""}, "notes/x.md", "skipped", "empty file"),
    Case("whitespace-only", {"notes/x.md": b"  \n\t\n\n"}, "notes/x.md", "skipped", "empty file"),
    Case("50-MB-file", {}, "notes/huge.md", "skipped", "50 MB, over the 10 MB limit",
         make=_sparse(50 * 1024 * 1024)),
    Case("invalid-utf8", {"notes/x.md": b"---\ntitle: Bytes\n---\nvalid \xc3\x28 then \xff\xfe\n"},
         "notes/x.md", "indexed", "not UTF-8; decoded as"),
    Case("utf16-with-bom", {"notes/x.md": "---\ntitle: Sixteen\n---\ncafé\n".encode("utf-16")},
         "notes/x.md", "indexed", ""),
    Case("broken-yaml", {"notes/x.md": b"---\ntitle: [unclosed\n---\nbody\n"},
         "notes/x.md", "failed", "invalid YAML front matter", line=2),
    Case("yaml-tab-indent", {"notes/x.md": b"---\ntitle: x\n\tbad: indent\n---\nbody\n"},
         "notes/x.md", "failed", "invalid YAML front matter"),
    Case("front-matter-is-a-list", {"notes/x.md": b"---\n- a\n- b\n---\nbody\n"},
         "notes/x.md", "failed", "front matter must be a mapping of fields, got a list", line=2),
    Case("front-matter-is-a-scalar", {"notes/x.md": b"---\njust words\n---\nbody\n"},
         "notes/x.md", "failed", "front matter must be a mapping of fields, got a string"),
    Case("front-matter-unclosed", {"notes/x.md": b"---\ntitle: x\nno closing fence\n"},
         "notes/x.md", "failed", "unclosed front matter"),
    Case("front-matter-wrong-types",
         {"notes/x.md": b"---\ntitle: {a: b}\ndate: [2020]\nkind: 7\ntags: 5\n---\nbody\n"},
         "notes/x.md", "indexed", "field 'kind' must be text"),
    Case("date-not-a-date", {"notes/x.md": b"---\ntitle: x\ndate: next tuesday\n---\nbody\n"},
         "notes/x.md", "indexed", "is not a date"),
    # An impossible date is one bad field: the file is indexed, the date dropped with a warning.
    Case("date-out-of-range", {"notes/x.md": b"---\ntitle: x\ndate: 2024-13-45\n---\nbody\n"},
         "notes/x.md", "indexed", "'2024-13-45' is not a date"),
    Case("yaml-aliases-small", {"notes/x.md": _alias_levels(3)}, "notes/x.md", "indexed", ""),
    Case("yaml-file-not-a-mapping", {"experts/x.yaml": b"- a\n- b\n"},
         "experts/x.yaml", "failed", "must be a mapping of fields, got a list"),
    Case("expert-bad-office-hours",
         {"experts/x.md": b"---\nname: X\noffice_hours: [{weekday: Funday, start: '25:00'}]\n---\nbio\n"},
         "experts/x.md", "indexed", "office_hours[1]"),
    Case("vtt-malformed-timestamp",
         {"showcases/x.vtt": b"WEBVTT\n\n00:00:xx.000 --> 00:00:05.000\nhello\n"},
         "showcases/x.vtt", "failed", "no valid cues"),
    Case("vtt-one-malformed-cue-among-good",
         {"showcases/x.vtt": b"WEBVTT\n\n00:00:xx.000 --> 00:00:05.000\nbad\n\n"
                             b"00:00:06.000 --> 00:00:09.000\ngood cue text\n"},
         "showcases/x.vtt", "indexed", "line 3"),
    Case("vtt-backwards-cue",
         {"showcases/x.vtt": b"WEBVTT\n\n00:00:10.000 --> 00:00:05.000\nbackwards cue\n"},
         "showcases/x.vtt", "indexed", "cue ends before it starts"),
    Case("srt-backwards-cue", {"showcases/x.srt": b"1\n00:00:05,000 --> 00:00:01,000\nback\n"},
         "showcases/x.srt", "indexed", "cue ends before it starts"),
    Case("vtt-zero-length-cue",
         {"showcases/x.vtt": b"WEBVTT\n\n00:00:05.000 --> 00:00:05.000\nzero length cue\n"},
         "showcases/x.vtt", "indexed", ""),
    Case("vtt-no-cues", {"showcases/x.vtt": b"WEBVTT\n\n"}, "showcases/x.vtt", "failed",
         "no valid cues"),
    Case("vtt-without-header", {"showcases/x.vtt": b"hello, not a caption file\n"},
         "showcases/x.vtt", "failed", 'the first line must be "WEBVTT"'),
    Case("srt-broken-arrow", {"showcases/x.srt": b"1\n00:00:01,000 -> 00:00:02,000\nx\n"},
         "showcases/x.srt", "failed", "no valid cues"),
    Case("whisper-json-invalid", {"showcases/x.json": b"{not json"}, "showcases/x.json",
         "failed", "invalid JSON", line=1),
    Case("whisper-json-wrong-shape", {"showcases/x.json": b"[1, 2, 3]"}, "showcases/x.json",
         "failed", "no segments"),
    Case("whisper-json-nan-times",
         {"showcases/x.json": b'{"segments": [{"start": NaN, "end": 1, "text": "t"}]}'},
         "showcases/x.json", "failed", "no valid cues"),
    Case("unsupported-type", {"notes/x.xlsx": b"PK\x03\x04"}, "notes/x.xlsx", "skipped",
         "unsupported file type .xlsx"),
    Case("truncated-pdf", {"notes/x.pdf": b"%PDF-1.4"}, "notes/x.pdf", "failed",
         "damaged PDF or not a PDF"),
    Case("docx-not-a-zip", {"notes/x.docx": b"not a zip"}, "notes/x.docx", "failed",
         "damaged DOCX file"),
    Case("pptx-not-a-zip", {"notes/x.pptx": b"PK\x03\x04broken"}, "notes/x.pptx", "failed",
         "damaged PPTX file"),
    Case("symlink-loop", {}, "notes/a", "skipped", "link loop", make=_symlink_loop),
    Case("file-linked-to-itself", {}, "notes/self.md", "skipped", "link loop", make=_self_link),
    Case("folder-link-to-its-parent", {}, "notes/up", "skipped", "symbolic link to a folder",
         make=_dir_link_loop),
    Case("named-pipe", {}, "notes/pipe.md", "skipped", "not a regular file", make=_fifo),
    Case("two-files-one-id",
         {"notes/a.md": b"---\nid: same\ntitle: A\n---\na\n", "notes/b.md": b"---\nid: same\n---\nb\n"},
         "notes/b.md", "failed", "id 'same' is already used by"),
    Case("emoji-and-spaces-in-path", {"notes/🔥 hot take — v2.md": b"# Hot take\n\nspicy\n"},
         "notes/🔥 hot take — v2.md", "indexed", ""),
    Case("very-long-name", {"notes/" + "x" * 240 + ".md": b"# Long\n\nname\n"},
         "notes/" + "x" * 240 + ".md", "indexed", ""),
    Case("one-megabyte-line", {"notes/x.md": b"# Long line\n" + b"word " * 200_000},
         "notes/x.md", "indexed", ""),
]  # fmt: skip


def _tree(content: Path) -> dict[str, tuple]:
    """Every entry under CONTENT: kind, size, mtime and a digest of its bytes (or link target)."""
    entries: dict[str, tuple] = {}
    for dirpath, dirnames, filenames in os.walk(content):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            st = path.lstat()
            if stat.S_ISLNK(st.st_mode):
                digest = os.readlink(path)
            elif stat.S_ISREG(st.st_mode):
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
            else:
                digest = ""
            entries[str(path.relative_to(content))] = (
                st.st_mode,
                st.st_size,
                st.st_mtime_ns,
                digest,
            )
    return entries


def _write(content: Path, files: dict[str, str | bytes]) -> None:
    for rel, data in files.items():
        path = content / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.encode() if isinstance(data, str) else data)


def _check(report: IngestReport, content: Path, rel: str, state: str, reason: str, line=None):
    shown = str(content / rel)
    outcomes = {o.path: o for o in report.outcomes}
    assert shown in outcomes, f"{rel} not reported: {sorted(outcomes)}"
    outcome = outcomes[shown]
    assert outcome.state == state, outcome
    if state == "indexed":
        warnings = [w for w in report.warnings if w.startswith(f"{shown}: ")]
        assert not reason or any(reason in w for w in warnings), warnings
    else:
        assert reason in outcome.reason, outcome
        assert line is None or outcome.line == line, outcome


def _good_files_indexed(report: IngestReport, content: Path) -> None:
    indexed = {o.path for o in report.of("indexed")}
    assert {str(content / rel) for rel in GOOD} <= indexed, report.summary()


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_bad_input_is_reported_and_everything_else_indexed(case: Case, tmp_path: Path):
    content = tmp_path / "content"
    _write(content, {**GOOD, "notes/.keep": b""})
    _write(content, case.files)
    if case.make:
        case.make(content)
    before = _tree(content)
    settings = Settings(data_dir=tmp_path / "data")

    report = Ingestor(settings, HashingEmbedder()).run([str(content)])

    _check(report, content, case.path, case.state, case.reason, case.line)
    _good_files_indexed(report, content)
    assert _tree(content) == before, "the content folder was modified"
    snap = IndexSnapshot.open(settings.data_dir)
    try:
        check_consistent(snap)
        # `hindsight stats` lists the same verdict, with when
        states = {f.path: f for f in catalog.file_states(snap.cursor())}
        stored = states[str(content / case.path)]
        assert stored.state == case.state and stored.updated_at is not None
    finally:
        snap.close()
    # and a second run says the same without publishing anything new
    again = Ingestor(settings, HashingEmbedder()).run([str(content)])
    _check(again, content, case.path, case.state if case.state != "indexed" else "unchanged",
           "" if case.state == "indexed" else case.reason)  # fmt: skip
    assert again.generation == report.generation


def test_yaml_alias_bomb_is_refused(tmp_path: Path):
    content = tmp_path / "content"
    _write(content, {**GOOD, "notes/bomb.md": _alias_levels(6)})
    settings = Settings(data_dir=tmp_path / "data")
    report = Ingestor(settings, HashingEmbedder()).run([str(content)])
    _good_files_indexed(report, content)
    outcome = next(o for o in report.outcomes if o.path.endswith("bomb.md"))
    assert outcome.state in ("failed", "skipped"), outcome


def test_file_deleted_mid_run_is_dropped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    content = tmp_path / "content"
    _write(content, {**GOOD, "notes/doomed.md": "# Doomed\n\nsoon gone\n", "notes/new.md": "# N\n"})
    settings = Settings(data_dir=tmp_path / "data")
    Ingestor(settings, HashingEmbedder()).run([str(content)])
    (content / "notes/doomed.md").write_text("# Doomed\n\nedited, then deleted\n")
    (content / "notes/fleeting.md").write_text("# Fleeting\n")
    real_parse = pipeline.parse_document

    def parse_after_delete(path: Path, *args, **kwargs):
        if path.name in ("doomed.md", "fleeting.md"):
            path.unlink()  # another process deletes it between discovery and parsing
        return real_parse(path, *args, **kwargs)

    monkeypatch.setattr(pipeline, "parse_document", parse_after_delete)
    report = Ingestor(settings, HashingEmbedder()).run([str(content)])
    _check(report, content, "notes/doomed.md", "removed", "deleted during the run")
    _check(report, content, "notes/fleeting.md", "skipped", "deleted before it could be read")
    snap = IndexSnapshot.open(settings.data_dir)
    try:
        check_consistent(snap)
        assert catalog.document(snap.cursor(), "notes/doomed") is None
        assert catalog.document(snap.cursor(), "notes/new") is not None
    finally:
        snap.close()


def test_file_made_unreadable_mid_run_keeps_its_last_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    content = tmp_path / "content"
    _write(content, {**GOOD, "notes/locked.md": "# Locked\n\nfirst version\n"})
    settings = Settings(data_dir=tmp_path / "data")
    Ingestor(settings, HashingEmbedder()).run([str(content)])
    (content / "notes/locked.md").write_text("# Locked\n\nsecond version\n")
    (content / "notes/also-locked.md").write_text("# Never readable\n")
    real_read = Path.read_bytes

    def read_bytes(self: Path) -> bytes:
        # chmod 000 does not stop root, so refuse the read the way the kernel would
        if self.name in ("locked.md", "also-locked.md"):
            raise PermissionError(13, "Permission denied", str(self))
        return real_read(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    report = Ingestor(settings, HashingEmbedder()).run([str(content)])
    _check(report, content, "notes/locked.md", "failed", "cannot read: Permission denied")
    _check(report, content, "notes/also-locked.md", "failed", "cannot read: Permission denied")
    snap = IndexSnapshot.open(settings.data_dir)
    try:
        check_consistent(snap)
        kept = catalog.document(snap.cursor(), "notes/locked")
        assert kept is not None and "first version" in kept.body  # bad input never loses data
    finally:
        snap.close()
    monkeypatch.undo()  # readable again: the next run indexes the new version
    report = Ingestor(settings, HashingEmbedder()).run([str(content)])
    _check(report, content, "notes/locked.md", "indexed", "")


def test_all_bad_inputs_at_once(tmp_path: Path):
    """Every row in one tree: one run reports each of them and indexes every good file."""
    content = tmp_path / "content"
    _write(content, GOOD)
    for i, case in enumerate(CASES):
        shifted = {f"case{i}/{rel}": data for rel, data in case.files.items()}
        _write(content, shifted)
        if case.make:
            (content / f"case{i}/notes").mkdir(parents=True, exist_ok=True)
            case.make(content / f"case{i}")
    before = _tree(content)
    report = Ingestor(Settings(data_dir=tmp_path / "data"), HashingEmbedder()).run([str(content)])
    for i, case in enumerate(CASES):
        # (warnings may differ here: the folder no longer says what kind the file is)
        reason = "" if case.state == "indexed" else case.reason
        _check(report, content, f"case{i}/{case.path}", case.state, reason, case.line)
    _good_files_indexed(report, content)
    assert _tree(content) == before
    print(f"\n{len(CASES)} bad inputs in one run: {report.summary()}")


SHARED = os.environ.get("HINDSIGHT_SHARED")


@pytest.mark.skipif(not SHARED, reason="set HINDSIGHT_SHARED=path/to/shared")
def test_shared_robustness_files(tmp_path: Path):
    source = Path(SHARED or "") / "robustness"
    content = tmp_path / "content"
    shutil.copytree(source, content / "robustness", symlinks=True)
    _write(content, GOOD)
    before = _tree(content)
    report = Ingestor(Settings(data_dir=tmp_path / "data"), HashingEmbedder()).run([str(content)])
    _good_files_indexed(report, content)
    assert _tree(content) == before
    for outcome in report.outcomes:
        assert outcome.state in ("indexed", "skipped", "failed"), outcome
        if outcome.state != "indexed":
            assert outcome.reason.strip(), outcome
    print(f"\n{source}: {report.summary()}")
    for outcome in report.outcomes:
        if outcome.state != "indexed":
            print(f"  {outcome.state:8} {outcome.describe()}")


def test_folder_made_unreadable_keeps_its_documents(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    content = tmp_path / "content"
    _write(content, {**GOOD, "private/a.md": "# A\n\nalpha\n", "private/b.md": "# B\n\nbeta\n"})
    settings = Settings(data_dir=tmp_path / "data")
    Ingestor(settings, HashingEmbedder()).run([str(content)])
    real_scandir = os.scandir
    private = str(content / "private")

    def scandir(path="."):
        if os.fspath(path) == private:  # what chmod 000 on the folder does to anyone but root
            raise PermissionError(13, "Permission denied", private)
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    report = Ingestor(settings, HashingEmbedder()).run([str(content)])
    monkeypatch.undo()
    _check(report, content, "private", "skipped", "cannot read: Permission denied")
    assert report.count("removed") == 0, report.summary()
    snap = IndexSnapshot.open(settings.data_dir)
    try:
        assert catalog.document(snap.cursor(), "private/a") is not None
        states = {f.path: f for f in catalog.file_states(snap.cursor())}
        assert states[private].reason == "cannot read: Permission denied"
    finally:
        snap.close()
