"""The ingest pipeline end to end over a real DuckDB file, real FAISS and real tantivy."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from index import catalog, generations, incidents
from index.filters import SearchFilters
from index.reader import IndexSnapshot
from index.search import Searcher
from index.settings import Settings
from ingest.documents import parse_document
from ingest.engines import LocalEngine
from ingest.pipeline import Ingestor
from tests.conftest import HashingEmbedder


def _ingest(settings: Settings, embedder: HashingEmbedder, *roots: Path):
    return Ingestor(settings, embedder).run([str(r) for r in roots])


def _snapshot_consistent(settings: Settings) -> IndexSnapshot:
    snap = IndexSnapshot.open(settings.data_dir)
    cur = snap.cursor()
    ids = {r[0] for r in cur.execute("SELECT chunk_id FROM chunks").fetchall()}
    assert set(snap.vectors.ids().tolist()) == ids
    assert snap.keyword.count() == len(ids)
    return snap


def test_first_ingest_indexes_every_good_file(settings, fake_embedder, content_dir):
    report = _ingest(settings, fake_embedder, content_dir)
    assert report.count("indexed") == 8  # 2 post-mortems + latin-1 one, 3 transcripts, talk, expert
    assert report.count("failed") == 0
    snap = _snapshot_consistent(settings)
    kinds = catalog.stats(snap.cursor(), SearchFilters()).documents_by_kind
    assert kinds == {"expert": 1, "postmortem": 3, "showcase": 3, "talk": 1}
    assert any("not UTF-8" in w for w in report.warnings)


def test_second_ingest_skips_unchanged_files_without_embedding(
    settings, fake_embedder, content_dir
):
    _ingest(settings, fake_embedder, content_dir)
    fake_embedder.embedded.clear()
    report = _ingest(settings, fake_embedder, content_dir)
    assert report.count("unchanged") == 8
    assert report.count("indexed") == 0
    assert fake_embedder.embedded == []


def test_editing_one_file_embeds_only_its_changed_chunks(settings, fake_embedder, content_dir):
    _ingest(settings, fake_embedder, content_dir)
    path = content_dir / "postmortems/2025-06-02-dns-ttl.md"
    snap = IndexSnapshot.open(settings.data_dir)
    before = (
        snap.cursor()
        .execute("SELECT count(*) FROM chunks WHERE doc_id = 'pm-2025-06-02-dns-ttl'")
        .fetchone()[0]
    )
    snap.close()
    path.write_text(path.read_text() + "\n## Lessons learned\nShorten TTLs a week ahead.\n")
    fake_embedder.embedded.clear()
    report = _ingest(settings, fake_embedder, content_dir)
    assert [o.path for o in report.of("indexed")] == [str(path)]
    assert report.count("unchanged") == 7
    # only chunks whose text changed are embedded again; the rest come from the cache…
    chunks = [t for t in fake_embedder.embedded if "Shipment tracking" in t]
    assert 1 <= len(chunks) <= before + 1
    # …and, for a post-mortem, its cause and account as incident similarity reads them
    doc = parse_document(path, content_dir, max_bytes=settings.max_bytes)
    others = [t for t in fake_embedder.embedded if t not in chunks]
    assert others and set(others) <= set(incidents.incident_texts(doc))
    snap = _snapshot_consistent(settings)
    hits = Searcher(snap, fake_embedder.embed_query).search(
        "shorten TTLs a week ahead", mode="keyword"
    )
    assert hits[0].doc_id == "pm-2025-06-02-dns-ttl"


def test_deleted_file_is_removed_from_every_index(settings, fake_embedder, content_dir):
    _ingest(settings, fake_embedder, content_dir)
    (content_dir / "talks/2025-02-zero-downtime-migrations.md").unlink()
    report = _ingest(settings, fake_embedder, content_dir)
    assert report.count("removed") == 1
    snap = _snapshot_consistent(settings)
    assert catalog.document(snap.cursor(), "talk-2025-02-zero-downtime-migrations") is None


def test_sidecar_edit_reingests_its_transcript(settings, fake_embedder, content_dir):
    _ingest(settings, fake_embedder, content_dir)
    sidecar = content_dir / "showcases/2025-05-failover-drills.md"
    sidecar.write_text(sidecar.read_text().replace("outcome: mixed", "outcome: failure"))
    report = _ingest(settings, fake_embedder, content_dir)
    assert [Path(o.path).name for o in report.of("indexed")] == ["2025-05-failover-drills.vtt"]
    snap = IndexSnapshot.open(settings.data_dir)
    doc = catalog.document(snap.cursor(), "showcase-2025-05-failover-drills")
    assert doc is not None and doc.metadata["outcome"] == "failure"


def test_bad_files_are_reported_and_the_rest_is_indexed(settings, fake_embedder, content_dir):
    (content_dir / "postmortems/broken.md").write_text("---\ntitle: [unclosed\n---\nbody\n")
    (content_dir / "postmortems/binary.md").write_bytes(b"\x00\x01\x02binary\x00" * 50)
    (content_dir / "postmortems/empty.md").write_bytes(b"")
    (content_dir / "postmortems/dup.md").write_text(
        "---\nid: pm-2025-06-02-dns-ttl\ntitle: Copy\n---\nSame id twice.\n"
    )
    before = {p: p.read_bytes() for p in content_dir.rglob("*") if p.is_file()}
    report = _ingest(settings, fake_embedder, content_dir)
    failed = {Path(o.path).name: o for o in report.of("failed")}
    skipped = {Path(o.path).name: o for o in report.of("skipped")}
    assert "broken.md" in failed and failed["broken.md"].line == 2
    assert "YAML" in failed["broken.md"].reason
    assert "binary" in skipped["binary.md"].reason
    assert "empty" in skipped["empty.md"].reason
    dup = failed.get("dup.md") or failed.get("2025-06-02-dns-ttl.md")
    assert dup is not None and "already used by" in dup.reason
    assert report.count("indexed") == 8
    # nothing in the content folder is ever modified
    assert before == {p: p.read_bytes() for p in content_dir.rglob("*") if p.is_file()}


def test_file_turned_bad_keeps_its_last_good_version(settings, fake_embedder, content_dir):
    _ingest(settings, fake_embedder, content_dir)
    path = content_dir / "postmortems/2025-06-02-dns-ttl.md"
    path.write_text("---\n- just\n- a list\n---\n")
    report = _ingest(settings, fake_embedder, content_dir)
    assert report.count("failed") == 1
    snap = IndexSnapshot.open(settings.data_dir)
    assert catalog.document(snap.cursor(), "pm-2025-06-02-dns-ttl") is not None
    states = {Path(f.path).name: f for f in catalog.file_states(snap.cursor())}
    assert states["2025-06-02-dns-ttl.md"].state == "failed"


def test_changing_model_rebuilds_everything(settings, fake_embedder, content_dir):
    _ingest(settings, fake_embedder, content_dir)
    other = HashingEmbedder()
    other.model_id = "test/another-model"
    report = _ingest(settings, other, content_dir)
    assert report.count("indexed") == 8
    assert IndexSnapshot.open(settings.data_dir).model_id == "test/another-model"


def test_old_generations_are_swept(settings, fake_embedder, content_dir):
    for i in range(5):
        (content_dir / "talks/extra.md").write_text(f"---\ntitle: Extra {i}\n---\nbody {i}\n")
        _ingest(settings, fake_embedder, content_dir)
    gens = sorted(os.listdir(settings.data_dir / generations.GENERATIONS))
    assert len(gens) == 1 + generations.KEEP_OLD
    assert generations.current_generation(settings.data_dir).name == gens[-1]


def test_unpublished_generation_is_invisible_and_swept(settings, fake_embedder, content_dir):
    _ingest(settings, fake_embedder, content_dir)
    current = generations.current_generation(settings.data_dir)
    leftover = generations.new_generation(settings.data_dir)  # as a killed writer leaves it
    assert generations.current_generation(settings.data_dir) == current
    _ingest(settings, fake_embedder, content_dir)
    assert not leftover.exists() or generations.current_generation(settings.data_dir) == leftover


@pytest.mark.parametrize("query", ["replication lag before promotion", "pg_last_wal_replay_lsn"])
def test_real_model_finds_the_right_postmortem(real_index, real_embedder, query):
    settings, _content = real_index
    hits = Searcher(IndexSnapshot.open(settings.data_dir), real_embedder.embed_query).search(query)
    assert hits[0].doc_id in {
        "pm-2025-03-14-ledger-replica-lag",
        "showcase-2025-05-failover-drills",
    }
    assert any(h.doc_id == "pm-2025-03-14-ledger-replica-lag" for h in hits[:2])


def test_real_model_finds_the_moment_in_a_showcase(real_index, real_embedder):
    settings, _content = real_index
    searcher = Searcher(IndexSnapshot.open(settings.data_dir), real_embedder.embed_query)

    hits = searcher.search(
        "replica promoted with thirty eight seconds of lag",
        filters=SearchFilters(kinds=("showcase",)),
    )
    top = hits[0]
    assert top.doc_id == "showcase-2025-05-failover-drills"
    assert top.start is not None and top.start <= 20.0 < top.end
    assert top.speaker in {"Jonas Becker", "Priya Raman"}


def test_real_chunks_fit_the_model_window(real_index, real_embedder):
    settings, _ = real_index
    snap = IndexSnapshot.open(settings.data_dir)
    rows = snap.cursor().execute("SELECT context, text FROM chunks").fetchall()
    assert rows
    for context, text in rows:
        assert real_embedder.count_tokens(f"{context}\n{text}" if context else text) <= 256


def test_kind_comes_from_the_given_folder_name_too(settings, fake_embedder, content_dir):
    report = _ingest(settings, fake_embedder, content_dir / "postmortems")
    assert report.count("indexed") == 3
    snap = IndexSnapshot.open(settings.data_dir)
    assert catalog.stats(snap.cursor(), SearchFilters()).documents_by_kind == {"postmortem": 3}


@pytest.mark.parametrize("folder", ["incidents", "post-mortems", "Incident"])
def test_a_folder_named_for_incidents_holds_postmortems(settings, fake_embedder, tmp_path, folder):
    root = tmp_path / folder
    root.mkdir()
    (root / "a.md").write_text("---\ntitle: Disk full\n---\nThe WAL volume filled.\n")
    _ingest(settings, fake_embedder, root)
    snap = IndexSnapshot.open(settings.data_dir)
    assert catalog.stats(snap.cursor(), SearchFilters()).documents_by_kind == {"postmortem": 1}


def test_a_recording_beside_its_transcript_is_not_content(settings, fake_embedder, content_dir):
    (content_dir / "showcases/2025-05-failover-drills.mp3").write_bytes(b"ID3" + bytes(64))
    report = _ingest(settings, fake_embedder, content_dir)
    assert report.count("skipped") == 0 and report.count("failed") == 0
    assert not any(".mp3" in o.describe() for o in report.outcomes)


def test_open_reader_keeps_its_version_while_a_writer_publishes(
    settings, fake_embedder, content_dir
):
    _ingest(settings, fake_embedder, content_dir)
    old = _snapshot_consistent(settings)
    old_count = old.keyword.count()
    (content_dir / "postmortems/2025-06-02-dns-ttl.md").unlink()
    (content_dir / "talks/new.md").write_text("---\ntitle: Brand new talk\n---\nzebra crossing\n")
    _ingest(settings, fake_embedder, content_dir)
    assert old.is_stale()
    # the old snapshot still answers exactly as before: its files were never modified
    assert old.keyword.count() == old_count
    hits = Searcher(old, fake_embedder.embed_query).search("DNS provider TTL", mode="keyword")
    assert hits[0].doc_id == "pm-2025-06-02-dns-ttl"
    assert Searcher(old, fake_embedder.embed_query).search("zebra", mode="keyword") == []
    new = _snapshot_consistent(settings)
    assert Searcher(new, fake_embedder.embed_query).search("zebra", mode="keyword")[0].title == (
        "Brand new talk"
    )


def test_relative_and_absolute_paths_name_the_same_file(
    settings, fake_embedder, content_dir, monkeypatch
):
    _ingest(settings, fake_embedder, content_dir)
    monkeypatch.chdir(content_dir / "talks")
    report = Ingestor(settings, fake_embedder).run(["../"])  # the same tree, spelt relatively
    assert report.count("failed") == 0
    assert report.count("unchanged") == 8


def test_parsing_runs_ahead_while_earlier_files_are_embedded(
    settings, tmp_path, monkeypatch
) -> None:
    """Files are parsed on another thread, so embedding starts before the last is read,
    and a window's chunks never wait for the whole tree."""
    import threading
    import time

    import ingest.pipeline as pipeline

    root = tmp_path / "notes"
    root.mkdir()
    for i in range(16):
        (root / f"n{i:02d}.md").write_text(f"# Note {i}\n\nReplica lag note number {i}.\n")
    parsed: list[str] = []
    seen_at_embed: list[int] = []
    real_parse = pipeline.parse_document

    def slow_parse(*args, **kwargs):  # type: ignore[no-untyped-def]
        time.sleep(0.02)
        parsed.append(threading.current_thread().name)
        return real_parse(*args, **kwargs)

    class Recording(HashingEmbedder):
        def embed_batch(self, texts):  # type: ignore[no-untyped-def]
            seen_at_embed.append(len(parsed))
            return super().embed_batch(texts)

    monkeypatch.setattr(pipeline, "parse_document", slow_parse)
    embedder = Recording()
    engine = LocalEngine(embedder)
    engine.window = 2  # new chunks per window
    report = Ingestor(settings, embedder, engine).run([str(root)])
    assert report.count("indexed") == 16 and report.chunks_embedded == 16
    assert all(name.startswith("hindsight-parse") for name in parsed)
    assert len(seen_at_embed) >= 4 and seen_at_embed[0] < 16  # embedding began mid-parse
    _snapshot_consistent(settings)
