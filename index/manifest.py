"""The manifest of a published index version: what it holds and the checksum of every file.

`hindsight publish` writes MANIFEST.json last into each version it copies to a shared folder;
a replica reading that folder verifies every file against it before it first uses the version
(index/reader.py), so a torn copy or a corrupted disk is refused instead of served.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from index.errors import SnapshotIntegrityError

MANIFEST = "MANIFEST.json"
FORMAT = 1


@dataclass(frozen=True)
class FileEntry:
    path: str  # relative to the version folder, with "/" separators
    size: int
    sha256: str


@dataclass(frozen=True)
class Manifest:
    version: str
    source_version: str
    published_at: float  # seconds since the epoch
    model_id: str
    dim: int
    schema: str
    counts: dict[str, int]
    files: tuple[FileEntry, ...]

    def to_json(self) -> str:
        body: dict[str, Any] = {
            "format": FORMAT,
            "version": self.version,
            "source_version": self.source_version,
            "published_at": self.published_at,
            "model_id": self.model_id,
            "dim": self.dim,
            "schema": self.schema,
            "counts": self.counts,
            "files": [{"path": f.path, "size": f.size, "sha256": f.sha256} for f in self.files],
        }
        return json.dumps(body, indent=1)

    @classmethod
    def read(cls, folder: Path) -> Manifest:
        try:
            body = json.loads((folder / MANIFEST).read_text())
            if body.get("format") != FORMAT:
                raise ValueError(f"manifest format {body.get('format')!r}, expected {FORMAT}")
            return cls(
                version=str(body["version"]),
                source_version=str(body.get("source_version", "")),
                published_at=float(body["published_at"]),
                model_id=str(body["model_id"]),
                dim=int(body["dim"]),
                schema=str(body["schema"]),
                counts={str(k): int(v) for k, v in body["counts"].items()},
                files=tuple(
                    FileEntry(str(f["path"]), int(f["size"]), str(f["sha256"]))
                    for f in body["files"]
                ),
            )
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise SnapshotIntegrityError(f"{folder / MANIFEST} cannot be read: {exc}") from None

    def same_files(self, other: Manifest) -> bool:
        return {(f.path, f.sha256) for f in self.files} == {(f.path, f.sha256) for f in other.files}


# (device, inode, size, mtime_ns) -> sha256. Published files are immutable and versions share
# them by hard link, so a file is hashed once per process however many versions name it.
_hashed: dict[tuple[int, int, int, int], str] = {}
_hashed_lock = threading.Lock()


def file_sha256(path: Path) -> str:
    info = path.stat()
    key = (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns)
    with _hashed_lock:
        known = _hashed.get(key)
    if known is not None:
        return known
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    value = digest.hexdigest()
    with _hashed_lock:
        _hashed[key] = value
    return value


def list_files(folder: Path) -> list[str]:
    """Every file under FOLDER (the manifest excepted), relative, sorted."""
    found = []
    for dirpath, _dirs, names in os.walk(folder):
        for name in names:
            rel = os.path.relpath(os.path.join(dirpath, name), folder).replace(os.sep, "/")
            if rel != MANIFEST:
                found.append(rel)
    return sorted(found)


_verified: set[tuple[str, int, int]] = set()  # (folder, manifest inode, manifest mtime_ns)
_verified_lock = threading.Lock()


def verify(folder: Path) -> Manifest:
    """FOLDER's manifest, after checking every file's size and sha256 against it (once per
    process per version). Raises SnapshotIntegrityError naming the first file that differs."""
    manifest = Manifest.read(folder)
    info = (folder / MANIFEST).stat()
    key = (str(folder.resolve()), info.st_ino, info.st_mtime_ns)
    with _verified_lock:
        if key in _verified:
            return manifest
    listed = {f.path for f in manifest.files}
    extra = [p for p in list_files(folder) if p not in listed]
    if extra:
        raise SnapshotIntegrityError(
            f"{folder} holds files its manifest does not list ({', '.join(extra[:3])})"
        )
    for entry in manifest.files:
        path = folder / entry.path
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            raise SnapshotIntegrityError(f"{path} is missing from published version") from None
        if size != entry.size or file_sha256(path) != entry.sha256:
            raise SnapshotIntegrityError(
                f"{path} does not match its published checksum: the copy is damaged or was "
                "changed after publishing — re-run: hindsight publish"
            )
    with _verified_lock:
        _verified.add(key)
    return manifest
