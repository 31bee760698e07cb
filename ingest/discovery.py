"""Find the content files under the paths given to ingest, pairing transcripts with sidecars."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

TRANSCRIPT_SUFFIXES = frozenset({".vtt", ".srt", ".json"})
KIND_FOLDERS = frozenset(
    {"postmortems", "postmortem", "showcases", "showcase", "talks", "talk", "experts", "expert"}
)


@dataclass(frozen=True)
class SourceUnit:
    """One document's files: the primary file and, for transcripts, its sidecar Markdown."""

    primary: Path
    root: Path  # kind detection looks at the first folder under it
    display_path: str  # the path as the user gave it, joined with the file's relative path
    sidecar: Path | None = None

    @property
    def source_key(self) -> str:
        return str(self.primary.absolute())

    @property
    def files(self) -> tuple[Path, ...]:
        return (self.primary,) if self.sidecar is None else (self.primary, self.sidecar)


@dataclass(frozen=True)
class Unreadable:
    """A path found during discovery that cannot be a document, and why."""

    path: str
    reason: str


def _is_hidden(name: str) -> bool:
    return name.startswith(".") or name == "__pycache__"


def _file_root(path: Path) -> Path:
    # A single file given directly: let its folder name still say the kind.
    parent = path.parent
    return parent.parent if parent.name.lower() in KIND_FOLDERS else parent


def _units_in_dir(
    dirpath: Path, names: list[str], root: Path, given: str, kind_root: Path | None = None
) -> list[SourceUnit]:
    stems_with_transcript = {
        Path(n).stem for n in names if Path(n).suffix.lower() in TRANSCRIPT_SUFFIXES
    }
    units = []
    for name in sorted(names):
        path = dirpath / name
        suffix = path.suffix.lower()
        if suffix in (".md", ".markdown") and path.stem in stems_with_transcript:
            continue  # a sidecar, ingested with its transcript
        sidecar = None
        if suffix in TRANSCRIPT_SUFFIXES:
            for ext in (".md", ".markdown"):
                if (dirpath / (path.stem + ext)).exists():
                    sidecar = dirpath / (path.stem + ext)
                    break
        rel = path.relative_to(root)
        shown = os.path.normpath(os.path.join(given, str(rel)))
        units.append(SourceUnit(path, kind_root or root, shown, sidecar))
    return units


def discover(given: str) -> tuple[list[SourceUnit], list[Unreadable]]:
    """Content files under GIVEN (a folder or one file), and paths that cannot be read."""
    root = Path(given)
    if root.is_file():
        base = _file_root(root)
        units = _units_in_dir(root.parent, [root.name], base, os.path.relpath(base))
        # honour the pairing when the given file is a transcript with a sidecar next to it
        siblings = [p.name for p in root.parent.iterdir() if p.stem == root.stem]
        paired = _units_in_dir(root.parent, siblings, base, os.path.relpath(base))
        units = [u for u in paired if u.primary == root] or units
        return units, []
    if not root.is_dir():
        return [], [Unreadable(given, "no such file or folder")]
    # `hindsight ingest corpus/postmortems` should still know these are post-mortems.
    named = root.absolute().name.lower() in KIND_FOLDERS
    kind_root = (root.parent if root.name else root.absolute().parent) if named else root
    units: list[SourceUnit] = []
    problems: list[Unreadable] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False, onerror=None):
        here = Path(dirpath)
        for d in list(dirnames):
            if _is_hidden(d):
                dirnames.remove(d)
            elif (here / d).is_symlink():
                dirnames.remove(d)
                rel = os.path.normpath(os.path.join(given, str((here / d).relative_to(root))))
                problems.append(Unreadable(rel, "symbolic link to a folder is not followed"))
        dirnames.sort()
        regular: list[str] = []
        for name in filenames:
            if _is_hidden(name):
                continue
            path = here / name
            rel = os.path.normpath(os.path.join(given, str(path.relative_to(root))))
            if path.is_symlink() and not path.exists():
                problems.append(Unreadable(rel, "broken symbolic link (or a link loop)"))
            elif not path.is_file():
                problems.append(Unreadable(rel, "not a regular file"))
            else:
                regular.append(name)
        units.extend(_units_in_dir(here, regular, root, given, kind_root))
    return units, problems
