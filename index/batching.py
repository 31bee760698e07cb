"""Batches of similar length, padded, prepared ahead: what keeps an encoder busy.

An encoder batch costs its longest text times its size, so texts are sorted by token count
before they are cut into batches (a 20-token chunk no longer pads to 256 beside a long one);
vectors are put back in the caller's order afterwards. Tokenizing and padding the next batch
runs on a helper thread while the model computes the current one: the `tokenizers` library
and torch/onnxruntime all release the GIL, so on a GPU the model is not kept waiting on Python.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, TypeVar

import numpy as np

T = TypeVar("T")
_DONE = object()


def length_batches(lengths: Sequence[int], batch_size: int, sort: bool = True) -> list[np.ndarray]:
    """Indices into LENGTHS, shortest first (unless not SORT), in batches of at most BATCH_SIZE."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    if sort:
        order = np.argsort(np.asarray(lengths, dtype=np.int64), kind="stable")
    else:  # benchmarks measure what sorting saves
        order = np.arange(len(lengths))
    return [order[start : start + batch_size] for start in range(0, len(order), batch_size)]


def in_original_order(
    batches: Sequence[np.ndarray], outputs: Sequence[np.ndarray], dim: int
) -> np.ndarray:
    """The rows of OUTPUTS (one array per batch) placed back where their inputs were."""
    total = sum(len(b) for b in batches)
    result = np.empty((total, dim), dtype=np.float32)
    for index, rows in zip(batches, outputs, strict=True):
        result[index] = rows
    return result


def pad(sequences: Sequence[Sequence[int]], pad_id: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """SEQUENCES as one int64 matrix padded to the longest, and its attention mask."""
    width = max((len(s) for s in sequences), default=0)
    ids = np.full((len(sequences), width), pad_id, dtype=np.int64)
    mask = np.zeros((len(sequences), width), dtype=np.int64)
    for row, seq in enumerate(sequences):
        ids[row, : len(seq)] = seq
        mask[row, : len(seq)] = 1
    return ids, mask


def prefetch(items: Iterable[T], prepare: Callable[[T], Any], depth: int = 2) -> Iterator[Any]:
    """PREPARE(item) for each of ITEMS, computed on a helper thread up to DEPTH items ahead."""
    ready: queue.Queue[Any] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def work() -> None:
        try:
            for item in items:
                if stop.is_set():
                    return
                ready.put((True, prepare(item)))
        except BaseException as exc:  # handed to the consumer, raised there
            ready.put((False, exc))
            return
        ready.put((True, _DONE))

    worker = threading.Thread(target=work, name="hindsight-prefetch", daemon=True)
    worker.start()
    try:
        while True:
            ok, value = ready.get()
            if not ok:
                raise value
            if value is _DONE:
                return
            yield value
    finally:
        stop.set()
        while worker.is_alive():  # unblock a producer waiting on a full queue
            try:
                ready.get_nowait()
            except queue.Empty:
                worker.join(timeout=0.05)
