"""A tqdm progress bar with ETA, sized from the count of chunks to embed."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

from tqdm import tqdm

from ingest.pipeline import Progress
from ingest.transcribe import TranscribeProgress


@contextmanager
def tqdm_progress(enabled: bool = True) -> Iterator[Progress | None]:
    if not enabled:
        yield None
        return
    bar: tqdm | None = None

    def update(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = tqdm(
                total=total,
                unit="chunk",
                desc="Embedding",
                file=sys.stderr,
                dynamic_ncols=True,
                disable=None,
            )
        if total != bar.total:  # files still being parsed add chunks to embed
            bar.total = total
            bar.refresh()
        bar.update(done - bar.n)

    try:
        yield update
    finally:
        if bar is not None:
            bar.close()


@contextmanager
def tqdm_transcribe_progress(enabled: bool = True) -> Iterator[TranscribeProgress | None]:
    """One bar per recording being transcribed, in seconds of audio."""
    if not enabled:
        yield None
        return
    bars: dict[str, tqdm] = {}

    def update(name: str, done: float, total: float) -> None:
        bar = bars.get(name)
        if bar is None:
            bar = bars[name] = tqdm(
                total=round(total, 1),
                unit="s",
                desc=f"Transcribing {name}",
                file=sys.stderr,
                dynamic_ncols=True,
                disable=None,
                bar_format="{desc}: {percentage:3.0f}%|{bar}| {n:.0f}/{total:.0f} s of audio [{elapsed}<{remaining}]",
            )
        bar.update(round(done, 1) - bar.n)
        if done >= total:
            bar.close()

    try:
        yield update
    finally:
        for bar in bars.values():
            bar.close()
