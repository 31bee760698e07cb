"""Publishing to a shared folder, and replicas serving it read-only.

Real parts throughout: DuckDB, FAISS and tantivy files copied to DEST, replicas in other
processes (one of them through a read-only bind mount when the kernel lets us make one), a
publisher flipping DEST's CURRENT ten times while they answer.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

import cli
from index import generations
from index.errors import ModelMismatchError, SnapshotIntegrityError
from index.manifest import MANIFEST, Manifest, file_sha256
from index.opener import open_searcher
from index.publish import publish, sweep
from index.reader import IndexSnapshot
from index.settings import Settings
from ingest.pipeline import Ingestor
from tests.conftest import HashingEmbedder, write_content
from tests.replica_worker import answer

REPO = Path(__file__).resolve().parents[1]
QUERIES = [
    "keyword:release marker",
    "hybrid:release notes marker",
    "hybrid:replica failover lag",
    "dense:shipment tracking DNS provider",
]
VERSIONS = 10


def _set_version(content: Path, k: int) -> None:
    """Version K: one release note of its own (the previous one deleted), one edited file."""
    for old in content.glob("postmortems/release-*.md"):
        old.unlink()
    note = f"---\nid: release-{k}\ntitle: Release {k} notes\n---\nRelease marker {k}.\n"
    (content / f"postmortems/release-{k}.md").write_text(note * (1 + k % 3))
    dns = content / "postmortems/2025-06-02-dns-ttl.md"
    text = dns.read_text().split("\n## Revision")[0]
    dns.write_text(text + f"\n## Revision\nRevision {k}: shipment tracking provider notes.\n")


@pytest.fixture
def source(tmp_path: Path) -> tuple[Settings, Path, Ingestor]:
    settings = Settings(data_dir=tmp_path / "data")
    content = write_content(tmp_path / "content")
    ingestor = Ingestor(settings, HashingEmbedder())
    ingestor.run([str(content)])
    return settings, content, ingestor


def test_publish_writes_a_verified_manifest_and_copies_only_what_dest_lacks(source, tmp_path):
    settings, content, ingestor = source
    dest = tmp_path / "dest"
    first = publish(settings.data_dir, dest)
    assert first.published and first.version == "g000001" and first.linked_files == 0
    version = generations.current_generation(dest)
    assert version == dest / "generations/g000001"
    manifest = Manifest.read(version)
    assert manifest.model_id == HashingEmbedder.model_id and manifest.dim == HashingEmbedder.dim
    assert manifest.counts["documents"] >= 8 and manifest.counts["chunks"] >= 10
    assert manifest.source_version == generations.current_generation(settings.data_dir).name
    for entry in manifest.files:
        assert file_sha256(version / entry.path) == entry.sha256
        mode = (version / entry.path).stat().st_mode
        assert mode & 0o777 == 0o444, f"{entry.path}: replicas of any user must read it"
    assert {e.path for e in manifest.files} >= {"catalog.duckdb", "vectors.faiss"}

    again = publish(settings.data_dir, dest)  # nothing new: nothing copied, nothing flipped
    assert not again.published and again.version == "g000001"

    _set_version(content, 1)
    ingestor.run([str(content)])
    second = publish(settings.data_dir, dest)
    assert second.published and second.version == "g000002"
    total = sum(e.size for e in Manifest.read(dest / "generations/g000002").files)
    assert second.linked_files >= 1 and second.copied_bytes < total, second.summary()

    snap = IndexSnapshot.open(dest)  # a replica's view: the manifest verified, then served
    try:
        assert snap.version == "g000002" and snap.manifest is not None
        assert answer(snap, ["keyword:release marker"]) == [["release-1"]]
    finally:
        snap.close()


def test_replica_refuses_a_damaged_version(source, tmp_path):
    settings, content, ingestor = source
    dest = tmp_path / "dest"
    publish(settings.data_dir, dest)
    _set_version(content, 1)
    ingestor.run([str(content)])
    publish(settings.data_dir, dest)
    catalog = dest / "generations/g000002/catalog.duckdb"  # new in this version, not linked
    assert catalog.stat().st_nlink == 1
    data = bytearray(catalog.read_bytes())
    data[len(data) // 2] ^= 0xFF
    catalog.write_bytes(bytes(data))
    with pytest.raises(SnapshotIntegrityError, match="does not match its published checksum"):
        IndexSnapshot.open(dest)


def test_replica_refuses_a_snapshot_of_another_model(source, tmp_path, real_embedder):
    settings, _content, _ingestor = source
    dest = tmp_path / "dest"
    publish(settings.data_dir, dest)
    replica = Settings(data_dir=dest)
    with pytest.raises(ModelMismatchError) as info:
        open_searcher(replica, real_embedder)  # the replica embeds queries with MiniLM
    message = str(info.value)
    assert "published snapshot g000001" in message
    assert HashingEmbedder.model_id in message and real_embedder.model_id in message


def test_superseded_versions_go_after_the_grace_period(source, tmp_path):
    settings, content, ingestor = source
    dest = tmp_path / "dest"
    for k in range(3):
        _set_version(content, k)
        ingestor.run([str(content)])
        assert publish(settings.data_dir, dest, grace_s=3600).removed == []
    names = sorted(p.name for p in (dest / "generations").iterdir())
    assert names == ["g000001", "g000002", "g000003"]
    assert sweep(dest, 3600) == []
    assert sweep(dest, 3600, now=time.time() + 3601) == ["g000001", "g000002"]
    assert sorted(p.name for p in (dest / "generations").iterdir()) == ["g000003"]
    # A staged folder a killed publisher left is cleared by the next publish.
    (dest / "generations/.staging-g000009-1").mkdir()
    _set_version(content, 9)
    ingestor.run([str(content)])
    assert publish(settings.data_dir, dest, grace_s=0).removed == ["g000003"]
    assert sorted(p.name for p in (dest / "generations").iterdir()) == ["g000004"]


def test_cli_publish(source, tmp_path, capsys):
    settings, _content, _ingestor = source
    dest = tmp_path / "dest"
    assert cli.main(["publish", "--data-dir", str(settings.data_dir), str(dest)]) == 0
    assert "published g" in capsys.readouterr().out
    assert cli.main(["publish", "--data-dir", str(settings.data_dir), str(dest)]) == 0
    assert "already serves" in capsys.readouterr().out
    assert cli.main(["publish", "--data-dir", str(tmp_path / "none"), str(dest)]) == 2


def _can_bind_read_only(tmp_path: Path) -> bool:
    src, view = tmp_path / "probe-src", tmp_path / "probe-view"
    src.mkdir()
    view.mkdir()
    script = 'mount --bind "$1" "$2" && mount -o remount,bind,ro "$2" && ! touch "$2/x"'
    try:
        done = subprocess.run(
            ["unshare", "-m", "sh", "-c", script, "sh", src, view],
            capture_output=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0 and not (src / "x").exists()


def _reader(dest: Path, queries: Path, stop: Path, result: Path, read_only_view: Path | None):
    python = [sys.executable, "-m", "tests.replica_worker"]
    args = [str(queries), str(stop), str(result)]
    if read_only_view is None:
        command = [*python, str(dest), *args]
    else:  # DEST seen through a read-only bind mount, in a mount namespace of its own
        script = 'mount --bind "$1" "$2" && mount -o remount,bind,ro "$2" && shift 2 && exec "$@"'
        command = ["unshare", "-m", "sh", "-c", script, "sh", str(dest), str(read_only_view)]
        command += [*python, str(read_only_view), *args]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(REPO)}
    return subprocess.Popen(
        command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def _tree(dest: Path) -> dict[str, tuple[int, int, int]]:
    out = {}
    for dirpath, dirs, files in os.walk(dest):
        for name in dirs + files:
            info = os.lstat(os.path.join(dirpath, name))
            rel = os.path.relpath(os.path.join(dirpath, name), dest)
            out[rel] = (info.st_size, info.st_mtime_ns, info.st_ino)
    return out


def test_two_replicas_answer_while_ten_versions_are_published(source, tmp_path):
    """Zero errors, every answer one whole version's, one replica on a read-only mount;
    replicas never write into DEST."""
    settings, content, ingestor = source
    dest = tmp_path / "dest"
    publish(settings.data_dir, dest)
    expected: dict[str, str] = {}

    def record(version: str) -> None:
        snap = IndexSnapshot.open(settings.data_dir)  # the source, as just ingested
        try:
            expected[version] = json.dumps(answer(snap, QUERIES))
        finally:
            snap.close()

    record("g000001")
    queries, stop = tmp_path / "queries.json", tmp_path / "stop"
    queries.write_text(json.dumps(QUERIES))
    view = tmp_path / "read-only-view"
    view.mkdir()
    read_only = _can_bind_read_only(tmp_path)
    results = [tmp_path / "replica-a.json", tmp_path / "replica-b.json"]
    readers = [
        _reader(dest, queries, stop, results[0], view if read_only else None),
        _reader(dest, queries, stop, results[1], None),
    ]
    try:
        for reader in readers:
            assert reader.stdout is not None
            assert reader.stdout.readline().strip() == "ready", reader.stdout.read()
        removed: list[str] = []
        for k in range(1, VERSIONS + 1):
            _set_version(content, k)
            ingestor.run([str(content)])
            result = publish(settings.data_dir, dest, grace_s=1.0)
            assert result.published, result.summary()
            record(result.version)
            removed += result.removed
            time.sleep(0.3)  # let the replicas answer from this version for a while
    finally:
        stop.touch()
        outputs = [reader.communicate(timeout=60)[0] for reader in readers]
    for reader, output in zip(readers, outputs, strict=True):
        assert reader.returncode == 0, output
    assert removed, "superseded versions past the grace period should have been removed"
    assert len(expected) == VERSIONS + 1 and len(set(expected.values())) == VERSIONS + 1

    for path in results:
        outcome = json.loads(path.read_text())
        assert outcome["problems"] == [], outcome["problems"][:3]
        assert len(outcome["seen"]) >= 3, f"{path.name} saw too few versions: {outcome['seen']}"
        for version, answers in outcome["seen"].items():
            assert answers == [expected[version]], f"{path.name} {version}: not one whole version"

    # Nothing under DEST but what the publisher wrote: manifests list every file there.
    listed = {"CURRENT", "writer.lock", "generations"}
    for folder in (dest / "generations").iterdir():
        listed |= {f"generations/{folder.name}", f"generations/{folder.name}/{MANIFEST}"}
        for entry in Manifest.read(folder).files:
            parts = f"generations/{folder.name}/{entry.path}".split("/")
            listed |= {"/".join(parts[:i]) for i in range(3, len(parts) + 1)}
    assert set(_tree(dest)) <= listed, set(_tree(dest)) - listed

    # A replica on a write-protected DEST, watched file by file: it changes nothing there.
    for dirpath, dirs, files in os.walk(dest):
        for name in dirs + files + ["."]:
            path = os.path.join(dirpath, name)
            os.chmod(path, os.stat(path).st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    try:
        before = _tree(dest)
        stop.unlink()
        quiet = tmp_path / "replica-quiet.json"
        reader = _reader(dest, queries, stop, quiet, None)
        assert reader.stdout is not None and reader.stdout.readline().strip() == "ready"
        time.sleep(1.5)
        stop.touch()
        output = reader.communicate(timeout=60)[0]
        assert reader.returncode == 0, output
        outcome = json.loads(quiet.read_text())
        assert outcome["problems"] == [] and outcome["rounds"] >= 2, outcome
        assert _tree(dest) == before, "a replica changed something under DEST"
    finally:
        for dirpath, dirs, files in os.walk(dest):
            for name in dirs + files + ["."]:
                path = os.path.join(dirpath, name)
                os.chmod(path, os.stat(path).st_mode | stat.S_IWUSR)
    print(f"\nread-only bind mount used: {read_only}")


def test_portal_keeps_serving_the_last_verified_version(real_index, tmp_path, monkeypatch):
    """A replica whose next version fails its checksums keeps answering from the one it has."""
    import shutil

    import streamlit as st

    from portal import resources

    settings, _content = real_index
    dest = tmp_path / "dest"
    publish(settings.data_dir, dest)
    monkeypatch.setenv("HINDSIGHT_DATA_DIR", str(dest))
    try:
        first = resources.archive()
        assert first is not None and first.version == "g000001"
        damaged = dest / "generations/g000002"  # a version torn in transit
        shutil.copytree(dest / "generations/g000001", damaged)
        catalog = damaged / "catalog.duckdb"
        catalog.write_bytes(catalog.read_bytes()[:-4096])
        generations.publish(dest, damaged)
        again = resources.archive()
        assert again is not None and again._searcher is first._searcher
        with pytest.raises(SnapshotIntegrityError):
            IndexSnapshot.open(dest)
    finally:
        st.cache_resource.clear()
