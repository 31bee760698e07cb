"""A tqdm progress bar with ETA, sized from the count of chunks to embed."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

from tqdm import tqdm

from ingest.pipeline import Progress


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
