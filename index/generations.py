"""Published index versions: immutable generation folders and an atomically swapped pointer.

A writer copies the current generation, changes the copy and publishes it by renaming a
new CURRENT file over the old one. A process killed at any moment leaves CURRENT naming a
complete generation; unpublished folders are swept by the next writer.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
from pathlib import Path

CURRENT = "CURRENT"
GENERATIONS = "generations"
KEEP_OLD = 2  # readers may still be answering from the previous one or two
FICLONE = 0x40049409  # linux/fs.h: share the extents of another file (copy-on-write)


def current_generation(data_dir: Path) -> Path | None:
    """The published generation folder, or None before the first publish."""
    try:
        name = (data_dir / CURRENT).read_text().strip()
    except FileNotFoundError:
        return None
    path = data_dir / GENERATIONS / name
    return path if name and path.is_dir() else None


def generation_number(path: Path) -> int:
    return int(path.name.lstrip("g"))


def new_generation(data_dir: Path) -> Path:
    """Create the next generation folder as a copy of the current one."""
    root = data_dir / GENERATIONS
    root.mkdir(parents=True, exist_ok=True)
    existing = [generation_number(p) for p in root.iterdir() if p.name.startswith("g")]
    target = root / f"g{max(existing, default=0) + 1:06d}"
    source = current_generation(data_dir)
    if source is None:
        target.mkdir()
    else:
        shutil.copytree(source, target, copy_function=_link_or_copy)
    return target


def _link_or_copy(src: str, dst: str) -> None:
    """Hard-link files that are only ever replaced whole, copy the ones changed in place.

    FAISS files are rewritten through a temporary file and a rename, and tantivy never
    modifies a segment file, so sharing their inodes between generations is safe and makes
    a new generation cost the size of the catalog, not of the whole index.
    """
    name = os.path.basename(src)
    if name.endswith(".duckdb") or name.endswith(".lock") or name.endswith(".wal"):
        _clone_or_copy(src, dst)
        return
    try:
        os.link(src, dst)
    except OSError:  # another filesystem, or links not supported
        shutil.copy2(src, dst)


def _clone_or_copy(src: str, dst: str) -> None:
    """A copy-on-write clone where the filesystem has them (btrfs, XFS), else a plain copy.

    The catalog is the one file copied whole into every generation; a clone makes that
    O(1) instead of O(catalog size).
    """
    try:
        with open(src, "rb") as fin, open(dst, "xb") as fout:
            fcntl.ioctl(fout.fileno(), FICLONE, fin.fileno())
        shutil.copystat(src, dst)
    except OSError:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(dst)
        shutil.copy2(src, dst)


def _fsync_tree(path: Path) -> None:
    for dirpath, _dirs, files in os.walk(path):
        for name in files:
            fd = os.open(os.path.join(dirpath, name), os.O_RDONLY)
            try:
                # A file with other links is shared with a published generation, which was
                # made durable when it was published: only this generation's own files need it.
                if os.fstat(fd).st_nlink == 1:
                    os.fsync(fd)
            finally:
                os.close(fd)
        _fsync_dir(Path(dirpath))


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def publish(data_dir: Path, generation: Path) -> None:
    """Make GENERATION the one readers open, atomically and durably."""
    _fsync_tree(generation)
    tmp = data_dir / f"{CURRENT}.tmp"
    with tmp.open("w") as fh:
        fh.write(generation.name + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, data_dir / CURRENT)
    _fsync_dir(data_dir)


def sweep(data_dir: Path) -> None:
    """Delete unpublished folders and all but the newest KEEP_OLD superseded generations."""
    root = data_dir / GENERATIONS
    current = current_generation(data_dir)
    if not root.is_dir():
        return
    gens = sorted(
        (p for p in root.iterdir() if p.name.startswith("g") and p != current),
        key=generation_number,
    )
    cur_no = generation_number(current) if current else 0
    older = [p for p in gens if generation_number(p) < cur_no]
    newer = [p for p in gens if generation_number(p) > cur_no]  # a killed writer's leftovers
    for path in newer + older[: max(0, len(older) - KEEP_OLD)]:
        shutil.rmtree(path, ignore_errors=True)
