"""Transcription speed on this machine: seconds of audio transcribed per second of wall time.

    python bench/transcribe_speed.py content/showcases/2025-05-failover-drills.mp3 --models base,tiny.en

Each model is loaded (and its weights verified) once, then the recording is transcribed with
no cache, exactly as ingest does it (word timings, VAD, beam 5); the device is CUDA when
CTranslate2 sees a GPU, else the CPU with int8 weights on every core.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("recording", type=Path)
    parser.add_argument("--models", default="base,tiny.en")
    args = parser.parse_args()
    from ingest.transcribe import Transcriber, TranscriptCache

    for model in args.models.split(","):
        with tempfile.TemporaryDirectory() as tmp:
            transcriber = Transcriber(model, TranscriptCache(Path(tmp)),
                                      Path.home() / ".cache/hindsight/whisper")  # fmt: skip
            started = time.perf_counter()
            transcriber._load()
            loaded = time.perf_counter() - started
            started = time.perf_counter()
            result = transcriber.transcribe_file(args.recording)
            took = time.perf_counter() - started
        print(json.dumps({
            "model": model, "device": transcriber.device_used, "cpus": os.cpu_count(),
            "audio_s": round(result.duration, 1), "transcribe_s": round(took, 1),
            "audio_s_per_s": round(result.duration / took, 2), "load_s": round(loaded, 1),
            "language": result.language,
        }))  # fmt: skip


if __name__ == "__main__":
    main()
