"""Find the content files under the paths given to ingest, pairing transcripts with sidecars."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from index.kinds import known_kind
from index.media import MEDIA_SUFFIXES, VIDEO
from ingest.pairing import CAPTION_SUFFIXES, NOTE_SUFFIXES, caption_preference, pair_stem

TRANSCRIPT_SUFFIXES = CAPTION_SUFFIXES


def _is_kind_folder(name: str) -> bool:
    """True for a folder whose name says its documents' kind (postmortems/, incidents/ …)."""
    return known_kind(name) not in (None, "note")


@dataclass(frozen=True)
class SourceUnit:
    """One document's files: the primary file and, for recordings, its sidecar Markdown and
    the recording itself (the primary is then its captions, or the recording when it has none).
    """

    primary: Path
    root: Path  # kind detection looks at the first folder under it
    display_path: str  # the path as the user gave it, joined with the file's relative path
    sidecar: Path | None = None
    media: Path | None = None  # the recording beside captions (played, not read)
    others: tuple[Path, ...] = ()  # captions in other languages, not indexed

    @property
    def transcribe(self) -> bool:
        """A recording without captions: its transcript has to be made."""
        return self.primary.suffix.lower() in MEDIA_SUFFIXES

    @property
    def source_key(self) -> str:
        # abspath, not Path.absolute(): "../x" and "/abs/x" must be one file
        return os.path.abspath(self.primary)

    @property
    def files(self) -> tuple[Path, ...]:
        # The recording counts: renaming or replacing it changes what the document plays.
        return tuple(p for p in (self.primary, self.sidecar, self.media) if p is not None)


@dataclass(frozen=True)
class Unreadable:
    """A path found during discovery that cannot be read, and why. Documents indexed from it
    (or from under it, for a folder) are kept: bad input never loses data."""

    path: str
    reason: str


def _is_hidden(name: str) -> bool:
    return name.startswith(".") or name == "__pycache__"


def _file_root(path: Path) -> Path:
    # A single file given directly: let its folder name still say the kind.
    parent = path.parent
    return parent.parent if _is_kind_folder(parent.name) else parent


def _media_order(name: str) -> tuple[bool, str]:
    return Path(name).suffix.lower() not in VIDEO, name  # a video plays better than its audio


def _units_in_dir(
    dirpath: Path, names: list[str], root: Path, given: str, kind_root: Path | None = None
) -> list[SourceUnit]:
    groups: dict[str, list[str]] = {}
    for name in names:
        groups.setdefault(pair_stem(name), []).append(name)
    units = []
    for name in sorted(names):
        path = dirpath / name
        suffix = path.suffix.lower()
        group = groups[pair_stem(name)]
        captions = sorted(
            (n for n in group if Path(n).suffix.lower() in CAPTION_SUFFIXES), key=caption_preference
        )
        media = sorted(
            (n for n in group if Path(n).suffix.lower() in MEDIA_SUFFIXES), key=_media_order
        )
        if suffix in NOTE_SUFFIXES and (captions or media) and path.stem == pair_stem(name):
            continue  # a sidecar, ingested with its recording
        if suffix in MEDIA_SUFFIXES and (captions or name != media[0]):
            continue  # played beside its captions (or another file of the same recording)
        if suffix in CAPTION_SUFFIXES and name != captions[0]:
            continue  # captions in another language: the preferred ones are indexed
        sidecar = None
        if suffix in CAPTION_SUFFIXES or suffix in MEDIA_SUFFIXES:
            for ext in (".md", ".markdown"):
                if (dirpath / (pair_stem(name) + ext)).exists():
                    sidecar = dirpath / (pair_stem(name) + ext)
                    break
        recording = dirpath / media[0] if suffix in CAPTION_SUFFIXES and media else None
        others = tuple(dirpath / n for n in captions[1:]) if suffix in CAPTION_SUFFIXES else ()
        rel = path.relative_to(root)
        shown = os.path.normpath(os.path.join(given, str(rel)))
        units.append(SourceUnit(path, kind_root or root, shown, sidecar, recording, others))
    return units


@dataclass(frozen=True)
class Scope:
    """Which indexed files a run answers for: files it does not find there have vanished."""

    prefixes: tuple[str, ...] = ()  # absolute paths: the path itself and all under it
    groups: frozenset[tuple[str, str]] = frozenset()  # (folder, stem): a file and its pair

    @cached_property
    def _under(self) -> tuple[str, ...]:
        return tuple(p.rstrip("/") + "/" for p in self.prefixes)

    def covers(self, source_key: str) -> bool:
        # String operations, not Path objects: this runs once per indexed file.
        if source_key.startswith(self._under) or source_key in self.prefixes:
            return True
        if not self.groups:
            return False
        folder, _, name = source_key.rpartition("/")
        return (folder, pair_stem(name)) in self.groups


def _kind_root(root: Path) -> Path:
    # `hindsight ingest corpus/postmortems` should still know these are post-mortems.
    if _is_kind_folder(root.absolute().name):
        return root.parent if root.name else root.absolute().parent
    return root


def _shown(given: str, root: Path, path: Path) -> str:
    return os.path.normpath(os.path.join(given, str(path.relative_to(root))))


def _sort_files(
    here: Path, names: list[str], root: Path, given: str
) -> tuple[list[str], list[Unreadable]]:
    """The names in HERE that are regular content files, and why the others are not."""
    regular: list[str] = []
    problems: list[Unreadable] = []
    for name in names:
        if _is_hidden(name):
            continue
        path = here / name
        if path.is_symlink() and not path.exists():
            problems.append(
                Unreadable(_shown(given, root, path), "broken symbolic link (or a link loop)")
            )
        elif path.is_dir():
            if path.is_symlink():
                problems.append(
                    Unreadable(
                        _shown(given, root, path), "symbolic link to a folder is not followed"
                    )
                )
        elif not path.is_file():
            problems.append(Unreadable(_shown(given, root, path), "not a regular file"))
        else:
            regular.append(name)
    return regular, problems


def _walk(
    top: Path, root: Path, given: str, kind_root: Path
) -> tuple[list[SourceUnit], list[Unreadable]]:
    units: list[SourceUnit] = []
    problems: list[Unreadable] = []

    def unreadable_folder(error: OSError) -> None:
        # Its files are kept in the index (see Unreadable): a folder we cannot list now
        # has not lost its documents.
        folder = Path(error.filename or top)
        problems.append(Unreadable(_shown(given, root, folder), f"cannot read: {error.strerror}"))

    for dirpath, dirnames, filenames in os.walk(top, onerror=unreadable_folder, followlinks=False):
        here = Path(dirpath)
        for d in list(dirnames):
            if _is_hidden(d):
                dirnames.remove(d)
            elif (here / d).is_symlink():
                dirnames.remove(d)
                problems.append(
                    Unreadable(
                        _shown(given, root, here / d), "symbolic link to a folder is not followed"
                    )
                )
        dirnames.sort()
        regular, bad = _sort_files(here, filenames, root, given)
        problems.extend(bad)
        units.extend(_units_in_dir(here, regular, root, given, kind_root))
    return units, problems


def discover(given: str) -> tuple[list[SourceUnit], list[Unreadable]]:
    """Content files under GIVEN (a folder or one file), and paths that cannot be read."""
    root = Path(given)
    if root.is_file():
        base = _file_root(root)
        units = _units_in_dir(root.parent, [root.name], base, os.path.relpath(base))
        # honour the pairing when the given file is one of a recording's files
        stem = pair_stem(root.name)
        siblings = [p.name for p in root.parent.iterdir() if pair_stem(p.name) == stem]
        paired = _units_in_dir(root.parent, siblings, base, os.path.relpath(base))
        units = [u for u in paired if root in u.files] or units
        return units, []
    if not root.is_dir():
        return [], [Unreadable(given, "no such file or folder")]
    return _walk(root, root, given, _kind_root(root))


def _inside(path: Path, root: Path) -> Path | None:
    """PATH relative to ROOT when discovery under ROOT would reach it, else None."""
    try:
        rel = Path(os.path.abspath(path)).relative_to(os.path.abspath(root))
    except ValueError:
        return None
    if any(_is_hidden(part) for part in rel.parts):
        return None
    folder = root
    for part in rel.parts[:-1]:  # discovery never enters a linked folder
        folder = folder / part
        if folder.is_symlink():
            return None
    return rel


def discover_changed(
    given: str, paths: list[Path]
) -> tuple[list[SourceUnit], list[Unreadable], Scope]:
    """Like `discover`, but only for PATHS under GIVEN that changed (files or folders).

    A file brings the files of its folder that share its stem (a transcript and its
    sidecar); a folder brings everything under it. The scope says which indexed files the
    result answers for, so that those not found any more can be removed.
    """
    root = Path(given)
    if not root.exists():  # unmounted or renamed, perhaps: its documents are kept
        return [], [Unreadable(given, "no such file or folder")], Scope()
    if not root.is_dir():  # a single file: look at it whole
        whole = discover(given)
        return whole[0], whole[1], Scope(prefixes=(os.path.abspath(root),))
    kind_root = _kind_root(root)
    units: list[SourceUnit] = []
    problems: list[Unreadable] = []
    prefixes: list[str] = []
    groups: set[tuple[str, str]] = set()
    for changed in paths:
        rel = _inside(changed, root)
        if rel is None or not rel.parts:
            continue
        path = root / rel
        if path.is_dir() and not path.is_symlink():
            prefixes.append(os.path.abspath(path))
            found, bad = _walk(path, root, given, kind_root)
            units.extend(found)
            problems.extend(bad)
            continue
        if not path.exists() and not path.is_symlink():
            prefixes.append(os.path.abspath(path))  # it may have been a folder
        folder = path.parent
        stem = pair_stem(path.name)
        if (os.path.abspath(folder), stem) in groups:
            continue
        groups.add((os.path.abspath(folder), stem))
        try:
            names = [n for n in os.listdir(folder) if pair_stem(n) == stem]
        except OSError:  # the folder went away too
            continue
        regular, bad = _sort_files(folder, names, root, given)
        problems.extend(bad)
        units.extend(_units_in_dir(folder, regular, root, given, kind_root))
    unique_units = {u.source_key: u for u in units}
    unique_problems = {p.path: p for p in problems}
    return (
        list(unique_units.values()),
        list(unique_problems.values()),
        Scope(prefixes=tuple(prefixes), groups=frozenset(groups)),
    )
