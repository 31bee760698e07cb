"""Recordings: captions pair with them by stem, and one without captions is transcribed."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from index.access import Viewer
from index.archive import Archive
from index.reader import IndexSnapshot
from index.search import Searcher
from index.settings import Settings
from ingest import transcribe, whisper_models
from ingest.discovery import discover
from ingest.documents import parse_document
from ingest.pairing import caption_language, pair_stem, zoom_time
from ingest.pipeline import Ingestor
from ingest.transcripts import parse_vtt

ROOT = Path(__file__).resolve().parents[1]
RECORDING = ROOT / "content/showcases/2026-04-pallet-vision-demo.mp3"
# When each line of the bundled recording starts (seconds): the durations of the espeak-ng
# lines docs/tools/demo_exports.py joins, with its 0.6 s pauses (measured with soxi).
SPOKEN_AT = {
    "floodlights doubled the count": 17.71,
    "within two percent of the manual count": 29.14,
    "evaluate a vision model under the lighting": 34.36,
}

ZOOM_VTT = """WEBVTT

1
00:00:00.500 --> 00:00:04.000
Ines Duarte: Welcome, this is the storage guild sync.

2
00:00:04.000 --> 00:00:09.000
Ines Duarte: First item is the quota alert that paged everyone on Sunday.

3
00:00:09.000 --> 00:00:15.000
Marek Novak: That alert fired because compaction doubled the disk usage for an hour.

4
00:00:15.000 --> 00:00:19.000
Note: the graph is in the channel.
"""


@pytest.mark.parametrize(
    ("name", "stem"),
    [
        ("talk.en.vtt", "talk"),
        ("talk.pt-BR.srt", "talk"),
        ("talk.mp4", "talk"),
        ("talk.md", "talk"),
        ("GMT20250211-150012_Recording.transcript.vtt", "GMT20250211-150012_Recording"),
        ("GMT20250211-150012_Recording.cc.vtt", "GMT20250211-150012_Recording"),
        ("GMT20250211-150012_Recording_1920x1080.mp4", "GMT20250211-150012_Recording"),
        ("GMT20250211-150012_Recording_gallery_1280x720.mp4", "GMT20250211-150012_Recording"),
        ("2025-05-failover-drills.vtt", "2025-05-failover-drills"),
        ("release.v2.vtt", "release.v2"),
    ],
)
def test_pair_stem(name: str, stem: str) -> None:
    assert pair_stem(name) == stem


def test_caption_language_and_zoom_time() -> None:
    assert caption_language("talk.en-GB.vtt") == "en-gb"
    assert caption_language("talk.vtt") is None
    when = zoom_time("GMT20250211-150012_Recording.transcript.vtt")
    assert when is not None and when.isoformat() == "2025-02-11T15:00:12+00:00"


def test_captions_pair_with_their_recording_and_notes(tmp_path: Path) -> None:
    folder = tmp_path / "showcases"
    folder.mkdir()
    vtt = "WEBVTT\n\n00:00:01.000 --> 00:00:05.000\nHello.\n"
    for name in ("talk.en.vtt", "talk.de.vtt", "talk.mp4", "talk.m4a"):
        (folder / name).write_text(vtt if name.endswith(".vtt") else "media")
    (folder / "talk.md").write_text("---\ntitle: A talk\n---\nNotes.\n")
    units, problems = discover(str(tmp_path))
    assert problems == []
    [unit] = units
    assert unit.primary.name == "talk.en.vtt"
    assert unit.sidecar is not None and unit.sidecar.name == "talk.md"
    assert unit.media is not None and unit.media.name == "talk.mp4"  # a video before its audio
    assert [p.name for p in unit.others] == ["talk.de.vtt"]
    doc = parse_document(unit.primary, unit.root, max_bytes=2**20, sidecar=unit.sidecar,
                         media=unit.media)  # fmt: skip
    assert doc.doc_id == "showcases/talk"
    assert doc.metadata["recording"] == "talk.mp4"
    assert doc.metadata["origin"]["language"] == "en"


def test_zoom_transcript_names_give_date_title_and_speakers(tmp_path: Path) -> None:
    folder = tmp_path / "recordings"
    folder.mkdir()
    (folder / "GMT20250211-150012_Recording.transcript.vtt").write_text(ZOOM_VTT)
    (folder / "GMT20250211-150012_Recording_1920x1080.mp4").write_bytes(b"\0" * 64)
    [unit] = discover(str(tmp_path))[0]
    doc = parse_document(unit.primary, unit.root, max_bytes=2**20, media=unit.media)
    assert doc.date is not None and doc.date.isoformat() == "2025-02-11"
    assert doc.title == "Zoom recording, 11 Feb 2025 15:00 UTC"
    assert doc.metadata["recording"] == "GMT20250211-150012_Recording_1920x1080.mp4"
    speakers = [s.speaker for s in doc.segments]
    assert speakers[:3] == ["Ines Duarte", "Ines Duarte", "Marek Novak"]
    assert doc.segments[2].text.startswith("That alert fired")
    assert doc.segments[3].speaker is None  # "Note:" is not a person


def test_vtt_voice_tags_still_win_over_prefixes() -> None:
    text = "WEBVTT\n\n00:00:01.000 --> 00:00:03.000\n<v Ann Lee>Ratio: three to one.\n"
    [segment] = parse_vtt(text).segments
    assert (segment.speaker, segment.text) == ("Ann Lee", "Ratio: three to one.")


def test_a_recording_alone_without_the_extra_says_what_to_do(
    tmp_path: Path, settings: Settings, fake_embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(transcribe, "installed", lambda: False)
    folder = tmp_path / "content/showcases"
    folder.mkdir(parents=True)
    shutil.copy(RECORDING, folder / "demo.mp3")
    (folder / "notes.md").write_text("---\ntitle: Other notes\n---\nText.\n")
    report = Ingestor(settings, fake_embedder).run([str(tmp_path / "content")])
    [skipped] = report.of("skipped")
    assert skipped.path.endswith("showcases/demo.mp3")
    assert skipped.reason == (
        "no transcript: add captions beside it or install the transcribe extra"
    )
    assert report.count("indexed") == 1
    # Installed later: the same, unchanged recording is tried again and transcribed.
    monkeypatch.undo()
    settings = settings.model_copy(update={"transcribe_model": "tiny.en"})
    again = Ingestor(settings, fake_embedder).run([str(tmp_path / "content")])
    assert [o.path.rsplit("/", 1)[-1] for o in again.of("indexed")] == ["demo.mp3"]


def test_a_recording_without_captions_is_transcribed_and_its_moments_are_where_words_are_said(
    tmp_path: Path, settings: Settings, fake_embedder
) -> None:
    content = tmp_path / "content"
    (content / "showcases").mkdir(parents=True)
    shutil.copy(RECORDING, content / "showcases" / RECORDING.name)
    shutil.copy(RECORDING.with_suffix(".md"), content / "showcases")
    heard: list[tuple[str, float, float]] = []
    ingestor = Ingestor(settings, fake_embedder, transcribe_progress=lambda *a: heard.append(a))
    report = ingestor.run([str(content)])
    assert report.count("indexed") == 1, report.outcomes
    assert heard and heard[-1][1] == heard[-1][2] > 40  # progress reached the whole recording
    # The transcript is cached in the data directory, never beside the recording.
    assert sorted(p.name for p in (content / "showcases").iterdir()) == sorted(
        [RECORDING.name, RECORDING.with_suffix(".md").name])  # fmt: skip
    [cached] = (settings.data_dir / "transcripts").glob("*.base.json")
    data = json.loads(cached.read_text())
    assert data["language"] == "en"
    assert max(s["end"] - s["start"] for s in data["segments"]) <= 6.5  # short cues
    archive = Archive(
        Searcher(IndexSnapshot.open(settings.data_dir), fake_embedder.embed_query),
        Viewer(name="local"),
    )
    for phrase, said in SPOKEN_AT.items():
        [hit] = archive.search(phrase, limit=1, mode="keyword")
        assert hit.kind == "showcase"
        assert abs(hit.moments[0].start - said) <= 3.0, (phrase, hit.moments[0].start)
    doc = archive.document(hit.doc_id)
    assert doc is not None and doc.metadata["recording"] == RECORDING.name
    assert doc.metadata["origin"]["transcribed"] is True
    # A second run reads the cache: nothing is transcribed again.
    cached.touch()
    (content / "showcases" / RECORDING.name).touch()
    heard.clear()
    Ingestor(settings, fake_embedder, transcribe_progress=lambda *a: heard.append(a)).run(
        [str(content)]
    )
    assert heard == []


def test_weights_that_differ_from_the_published_digest_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    whisper_models.clear_verified()
    spec = whisper_models.MODELS["tiny.en"]
    wrong = dict(spec.digests, **{"config.json": "0" * 64})
    monkeypatch.setitem(whisper_models.MODELS, "tiny.en", replace(spec, digests=wrong))
    with pytest.raises(whisper_models.ModelUnavailable, match="not the published"):
        whisper_models.model_dir("tiny.en", tmp_path)
    whisper_models.clear_verified()


def test_base_weights_are_joined_from_their_two_packages_and_verified(tmp_path: Path) -> None:
    whisper_models.clear_verified()
    folder = whisper_models.model_dir("base", tmp_path)
    assert folder == tmp_path / "base"
    assert (folder / "model.bin").stat().st_size == 145_217_532
    whisper_models.clear_verified()


def test_a_moment_starts_at_the_cue_that_says_the_most_query_words() -> None:
    from index.moments import spoken_at
    from index.tokenize import query_terms

    cues = [
        (0.0, 5.0, "Welcome everyone to the drills."),
        (5.0, 10.0, "The replica lag was high that night."),
        (10.0, 15.0, "It was promoted while replication lag was thirty seconds."),
    ]
    terms = set(query_terms("replica promoted during replication lag"))
    assert spoken_at(cues, 0.0, 15.0, terms) == 10.0  # three terms there, two at 5 s
    assert spoken_at(cues, 0.0, 9.0, terms) == 5.0  # only cues inside the moment count
    assert spoken_at(cues, 0.0, 15.0, set(query_terms("gpu cost dashboard"))) is None


def test_a_moment_asks_only_the_cues_that_overlap_it() -> None:
    # The searcher hands spoken_at the cues inside a moment (numpy over the kept bounds): the
    # same cues a pass over the whole talk would keep, overlapping and zero-length ones too.
    from index.moments import Cues

    rng = np.random.default_rng(7)
    starts = np.sort(rng.uniform(0, 600, 300))
    items = [
        (float(a), float(a + rng.choice([0.0, 2.0, 45.0])), f"cue {i}")
        for i, a in enumerate(starts)
    ]
    cues = Cues(items)
    for start, end in [(0.0, 10.0), (100.0, 175.5), (599.0, 700.0), (-5.0, -1.0), (250.0, 250.0)]:
        expected = [c for c in items if not (c[1] < start or c[0] > end)]
        assert cues.within(start, end) == expected
    assert Cues([]).within(0.0, 1.0) == []
