"""Transcripts of recordings that have no captions: faster-whisper, offline, cached.

A recording alone in its folder is transcribed at ingest with faster-whisper (MIT; the
`transcribe` extra) and Whisper weights verified by SHA-256 (ingest.whisper_models). The
transcript is kept in the data directory under the recording's SHA-256 and the model's name
(`transcripts/<sha256>.<model>.json`, Whisper's JSON format), never beside the recording: the
content folder is never written, and a recording is transcribed once, whatever it is renamed
to. Word timings cut the transcript into short cues (a few seconds each), so a moment can start
where the matched words are said. CUDA is used when CTranslate2 sees a GPU.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from index.errors import ParseError, SkipFile
from index.settings import Settings
from ingest.whisper_models import MODELS, ModelUnavailable, model_dir

NO_TRANSCRIBER = "no transcript: add captions beside it or install the transcribe extra"
TRANSCRIPTS_DIR = "transcripts"
CUE_SECONDS = 4.0  # a cue ends at the first sentence end after this long…
MAX_CUE_SECONDS = 6.0  # …and at the latest here
PAUSE_SECONDS = 0.8  # a silence this long ends a cue
log = logging.getLogger("hindsight.transcribe")

# (recording's name, seconds transcribed, its duration in seconds)
TranscribeProgress = Callable[[str, float, float], None]


@dataclass(frozen=True)
class Transcribed:
    """A recording's transcript as Whisper JSON (what the cache holds) and how it was made."""

    whisper_json: str
    model: str
    language: str | None
    duration: float
    cached: bool = False


def installed() -> bool:
    """True when faster-whisper can be imported (the transcribe extra is installed)."""
    import importlib.util

    return importlib.util.find_spec("faster_whisper") is not None


def converter_name(model: str) -> str:
    try:
        return f"faster-whisper {version('faster-whisper')} ({model})"
    except PackageNotFoundError:
        return f"faster-whisper ({model})"


def media_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


class TranscriptCache:
    """Transcripts by (recording SHA-256, model), one JSON file each, in the data directory."""

    def __init__(self, data_dir: Path) -> None:
        self.folder = data_dir / TRANSCRIPTS_DIR

    def path(self, digest: str, model: str) -> Path:
        return self.folder / f"{digest}.{model}.json"

    def get(self, digest: str, model: str) -> Transcribed | None:
        try:
            text = self.path(digest, model).read_text(encoding="utf-8")
            data = json.loads(text)
        except (OSError, ValueError):
            return None
        return Transcribed(
            text, model, data.get("language"), float(data.get("duration") or 0), cached=True
        )

    def put(self, digest: str, result: Transcribed) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        target = self.path(digest, result.model)
        tmp = target.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
        tmp.write_text(result.whisper_json, encoding="utf-8")
        os.replace(tmp, target)  # a reader never sees half a transcript


class Transcriber:
    """faster-whisper with a verified model, loaded on first use and kept for the run."""

    def __init__(
        self,
        model: str,
        cache: TranscriptCache,
        model_cache_dir: Path,
        *,
        device: str = "auto",
        progress: TranscribeProgress | None = None,
    ) -> None:
        if model not in MODELS:
            raise ValueError(f"unknown transcription model {model!r} (known: {', '.join(MODELS)})")
        self.model_name = model
        self.cache = cache
        self.model_cache_dir = model_cache_dir
        self.device = device
        self.progress = progress
        self._model: Any = None
        self._lock = threading.Lock()
        self.device_used: str | None = None

    def transcript(self, media: Path) -> Transcribed:
        """MEDIA's transcript, from the cache or made now.

        Raises:
            SkipFile: the transcribe extra is not installed.
            ParseError: the model cannot be used, or the file holds no audio it can decode.
        """
        digest = media_digest(media)
        cached = self.cache.get(digest, self.model_name)
        if cached is not None:
            return cached
        result = self.transcribe_file(media)
        self.cache.put(digest, result)
        return result

    def _load(self) -> Any:
        if not installed():
            raise SkipFile(NO_TRANSCRIBER)
        with self._lock:
            if self._model is None:
                from faster_whisper import WhisperModel

                try:
                    folder = model_dir(self.model_name, self.model_cache_dir)
                except ModelUnavailable as exc:
                    raise ParseError(f"cannot transcribe: {exc}") from None
                device = resolve_device(self.device)
                try:
                    self._model = WhisperModel(
                        str(folder),
                        device=device,
                        compute_type="float16" if device == "cuda" else "int8",
                        cpu_threads=os.cpu_count() or 1,
                        local_files_only=True,
                    )
                except (RuntimeError, ValueError) as exc:
                    if device != "cuda":
                        raise ParseError(f"cannot load the transcription model: {exc}") from None
                    log.warning("CUDA transcription failed to start (%s); using the CPU", exc)
                    device = "cpu"
                    self._model = WhisperModel(
                        str(folder), device="cpu", compute_type="int8", local_files_only=True
                    )
                self.device_used = device
        return self._model

    def transcribe_file(self, media: Path) -> Transcribed:
        """Transcribe MEDIA now (no cache)."""
        model = self._load()
        multilingual = MODELS[self.model_name].multilingual
        try:
            segments, info = model.transcribe(
                str(media),
                language=None if multilingual else "en",
                word_timestamps=True,
                vad_filter=True,
                beam_size=5,
                condition_on_previous_text=False,
            )
            cues = list(_cues(self._reporting(segments, media.name, info.duration)))
        except (OSError, RuntimeError, ValueError, IndexError) as exc:
            raise ParseError(f"cannot decode the recording's audio ({exc})") from None
        if not cues:
            raise ParseError("no speech found in the recording")
        language = info.language if multilingual else "en"
        data = {
            "text": " ".join(c["text"] for c in cues),
            "language": language,
            "language_probability": round(float(info.language_probability or 0), 3),
            "duration": round(float(info.duration), 3),
            "model": self.model_name,
            "converter": converter_name(self.model_name),
            "segments": cues,
        }
        return Transcribed(json.dumps(data, ensure_ascii=False), self.model_name, language,
                           float(info.duration))  # fmt: skip

    def _reporting(self, segments: Iterable[Any], name: str, duration: float) -> Iterable[Any]:
        for segment in segments:
            if self.progress:
                self.progress(name, min(float(segment.end), duration), duration)
            yield segment
        if self.progress:
            self.progress(name, duration, duration)


def make_transcriber(
    settings: Settings, progress: TranscribeProgress | None = None
) -> Transcriber | None:
    """The transcriber SETTINGS ask for; None when the transcribe extra is not installed."""
    if not installed():
        return None
    root = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Transcriber(
        settings.transcribe_model,
        TranscriptCache(settings.data_dir),
        settings.whisper_cache_dir or Path(root) / "hindsight" / "whisper",
        device=settings.device,
        progress=progress,
    )


def resolve_device(setting: str) -> str:
    """`cuda` when asked or (auto) when CTranslate2 sees a GPU, else `cpu`."""
    if setting in ("cpu", "cuda"):
        return setting
    try:
        import ctranslate2

        return "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"
    except (ImportError, RuntimeError):
        return "cpu"


def _cues(segments: Iterable[Any]) -> Iterable[dict[str, Any]]:
    """Whisper's segments (up to ~30 s) re-cut into cues of a few seconds: at a sentence end
    after CUE_SECONDS, at a pause, or at MAX_CUE_SECONDS, whatever segment a word came in."""
    n = 0
    group: list[Any] = []
    for segment in segments:
        words = list(segment.words or [])
        if not words:  # no word timings: the segment is one cue
            if group:
                yield _cue(n, group)
                n, group = n + 1, []
            text = " ".join(segment.text.split())
            if text:
                yield {"id": n, "start": round(segment.start, 2), "end": round(segment.end, 2),
                       "text": text}  # fmt: skip
                n += 1
            continue
        for word in words:
            if group and word.start - group[-1].end >= PAUSE_SECONDS:
                yield _cue(n, group)
                n, group = n + 1, []
            group.append(word)
            length = word.end - group[0].start
            ends_sentence = word.word.strip()[-1:] in ".?!"
            if (length >= CUE_SECONDS and ends_sentence) or length >= MAX_CUE_SECONDS:
                yield _cue(n, group)
                n, group = n + 1, []
    if group:
        yield _cue(n, group)


def _cue(n: int, words: list[Any]) -> dict[str, Any]:
    text = " ".join("".join(w.word for w in words).split())
    return {
        "id": n,
        "start": round(words[0].start, 2),
        "end": round(words[-1].end, 2),
        "text": text,
    }
