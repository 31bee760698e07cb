"""Publish the current index version to a shared folder that many portal replicas serve from.

DEST has the layout of a data directory, so a replica simply points HINDSIGHT_DATA_DIR at it:

    DEST/CURRENT                      name of the version replicas open (replaced atomically)
    DEST/generations/g000007/         one published version: the source generation's files
        MANIFEST.json                 version, counts, model id, size + sha256 of every file
    DEST/writer.lock                  one publisher at a time

A publish copies only the files DEST lacks (a file with the same checksum in an earlier
version is hard-linked), writes the manifest last, fsyncs, renames the staged folder into
place and flips CURRENT (index/generations.py, as a local write session does). Replicas verify
the manifest before first use (index/manifest.py) and keep answering from the version they
have open; a superseded version is removed by a later publish once the grace period is over.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from index import catalog, generations
from index.errors import HindsightError, IndexNotBuiltError
from index.filters import SearchFilters
from index.lock import WriterLock
from index.manifest import MANIFEST, FileEntry, Manifest, file_sha256, list_files
from index.store import open_catalog

STAGING_PREFIX = ".staging-"
# Published files never change, and replicas usually run as another user than the publisher
# (tantivy writes meta.json 0600): readable by all, writable by none.
PUBLISHED_MODE = 0o444


@dataclass
class PublishResult:
    dest: Path
    version: str  # the version DEST serves now
    source_version: str
    published: bool  # False: DEST already served these exact files
    copied_files: int = 0
    copied_bytes: int = 0
    linked_files: int = 0  # already at DEST under an earlier version: not copied again
    removed: list[str] = field(default_factory=list)  # superseded versions past their grace

    def summary(self) -> str:
        if not self.published:
            head = f"{self.dest}: already serves {self.source_version} as {self.version}"
        else:
            head = (
                f"{self.dest}: published {self.source_version} as {self.version} — "
                f"{self.copied_files} files copied ({self.copied_bytes / 1e6:.1f} MB), "
                f"{self.linked_files} already there"
            )
        gone = f"; removed {', '.join(self.removed)}" if self.removed else ""
        return head + gone


def publish(data_dir: Path, dest: Path, *, grace_s: float = 600.0) -> PublishResult:
    """Copy DATA_DIR's current generation to DEST and make it the version DEST serves."""
    source = generations.current_generation(data_dir)
    if source is None:
        raise IndexNotBuiltError(data_dir)
    dest.mkdir(parents=True, exist_ok=True)
    with WriterLock(dest):
        _sweep_staging(dest)
        current = generations.current_generation(dest)
        manifest = _describe(source)
        if current is not None and (current / MANIFEST).exists():
            served = Manifest.read(current)
            if served.same_files(manifest):
                result = PublishResult(dest, current.name, source.name, published=False)
                result.removed = sweep(dest, grace_s)
                return result
        result = _copy(source, dest, manifest)
        result.removed = sweep(dest, grace_s)
        return result


def _describe(source: Path) -> Manifest:
    """The source generation's manifest (its version number at DEST is set when copied)."""
    con = open_catalog(source, read_only=True)
    try:
        cur = con.cursor()
        meta = dict(cur.execute("SELECT key, value FROM meta").fetchall())
        st = catalog.stats(cur, SearchFilters())  # the whole index: an operator's manifest
    finally:
        con.close()
    try:
        files = tuple(
            FileEntry(rel, (source / rel).stat().st_size, file_sha256(source / rel))
            for rel in list_files(source)
        )
    except FileNotFoundError as exc:
        raise HindsightError(
            f"{source} was removed while it was read (a writer moved on): run publish again ({exc})"
        ) from None
    return Manifest(
        version="",
        source_version=source.name,
        published_at=0.0,
        model_id=str(meta.get("model_id", "")),
        dim=int(meta.get("dim", "0") or 0),
        schema=str(meta.get("schema", "")),
        counts={
            "documents": sum(st.documents_by_kind.values()),
            "chunks": sum(st.chunks_by_kind.values()),
            "experts": st.experts,
        },
        files=files,
    )


def _known_files(dest: Path) -> dict[str, Path]:
    """sha256 -> a file already at DEST, from the manifests of the versions there."""
    known: dict[str, Path] = {}
    for folder in _versions(dest):
        if not (folder / MANIFEST).exists():
            continue
        with contextlib.suppress(HindsightError):
            for entry in Manifest.read(folder).files:
                known.setdefault(entry.sha256, folder / entry.path)
    return known


def _versions(dest: Path) -> list[Path]:
    root = dest / generations.GENERATIONS
    if not root.is_dir():
        return []
    found = [p for p in root.iterdir() if p.name.startswith("g") and p.name[1:].isdigit()]
    return sorted(found, key=generations.generation_number)


def _copy(source: Path, dest: Path, manifest: Manifest) -> PublishResult:
    versions = _versions(dest)
    number = (generations.generation_number(versions[-1]) if versions else 0) + 1
    name = f"g{number:06d}"
    root = dest / generations.GENERATIONS
    root.mkdir(parents=True, exist_ok=True)
    staging = root / f"{STAGING_PREFIX}{name}-{os.getpid()}"
    staging.mkdir()
    result = PublishResult(dest, name, source.name, published=True)
    known = _known_files(dest)
    try:
        for entry in manifest.files:
            target = staging / entry.path
            target.parent.mkdir(parents=True, exist_ok=True)
            earlier = known.get(entry.sha256)
            if earlier is not None and _link(earlier, target):
                result.linked_files += 1
                continue
            _copy_checked(source / entry.path, target, entry)
            result.copied_files += 1
            result.copied_bytes += entry.size
        final = Manifest(
            version=name,
            source_version=manifest.source_version,
            published_at=time.time(),
            model_id=manifest.model_id,
            dim=manifest.dim,
            schema=manifest.schema,
            counts=manifest.counts,
            files=manifest.files,
        )
        (staging / MANIFEST).write_text(final.to_json())  # last: a version without it is torn
        os.chmod(staging / MANIFEST, PUBLISHED_MODE)
        staging.rename(root / name)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    generations.publish(dest, root / name)  # fsync the folder, then flip CURRENT atomically
    return result


def _link(existing: Path, target: Path) -> bool:
    try:
        os.link(existing, target)
        return True
    except OSError:  # an object-store mount without hard links: copy after all
        return False


def _copy_checked(src: Path, dst: Path, entry: FileEntry) -> None:
    """Copy SRC to DST, hashing the bytes written: they must be the ones described."""
    digest = hashlib.sha256()
    try:
        with src.open("rb") as fin, dst.open("xb") as fout:
            while block := fin.read(1 << 20):
                digest.update(block)
                fout.write(block)
    except FileNotFoundError as exc:
        raise HindsightError(
            f"{src} was removed while it was copied (a writer moved on): run publish again"
        ) from exc
    if digest.hexdigest() != entry.sha256:
        raise HindsightError(f"{src} changed while it was copied: run publish again")
    shutil.copystat(src, dst)
    os.chmod(dst, PUBLISHED_MODE)


def _sweep_staging(dest: Path) -> None:
    """Folders a killed publisher left (we hold the lock: nobody is writing them now)."""
    root = dest / generations.GENERATIONS
    if root.is_dir():
        for path in root.iterdir():
            if path.name.startswith(STAGING_PREFIX):
                shutil.rmtree(path, ignore_errors=True)


def sweep(dest: Path, grace_s: float, now: float | None = None) -> list[str]:
    """Remove versions superseded more than GRACE_S seconds ago; the names removed.

    A version stopped being served when the next one was published (that one's manifest says
    when); replicas that still have it open finish their queries on it within the grace.
    """
    now = time.time() if now is None else now
    current = generations.current_generation(dest)
    if current is None:
        return []
    cur_no = generations.generation_number(current)
    removed = []
    successor_published: float | None = None
    for folder in reversed(_versions(dest)):
        number = generations.generation_number(folder)
        if number > cur_no:  # renamed into place, but CURRENT never flipped: a killed publisher
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder.name)
            continue
        superseded_at = successor_published if number < cur_no else None
        if superseded_at is not None and now - superseded_at >= grace_s:
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder.name)
            continue
        with contextlib.suppress(HindsightError):
            successor_published = Manifest.read(folder).published_at
    return sorted(removed)
