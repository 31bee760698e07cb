"""The embedding step on a Ray cluster, through Ray Data.

Chunks that missed the embedding cache go out as Arrow blocks of `ray_batch_size` rows
(id, text); `map_batches` runs them through a pool of `ray_concurrency` actors, each of which
loads the model once (on a cluster with GPUs, by default several actors share each GPU);
vectors come back as they are ready. Ray does not keep the order, so
every vector travels with its chunk id. Parsing, the cache, the index writer and publishing
stay in the driver, exactly as in a local run.

Every Ray worker needs the same Python environment as the driver (hindsight and the model
package): docs/scale-out.md has the recipe.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from index.errors import HindsightError, ModelError
from index.settings import Settings
from ingest.transcribe import Transcribed, Transcriber, media_digest

log = logging.getLogger("hindsight.ray")
INSTALL_HINT = (
    "--engine ray needs Ray Data — install it with: pip install 'hindsight[ray]' "
    "(or: pip install 'ray[data]'), or use --engine local"
)


def _import_ray() -> Any:
    try:
        import ray
        import ray.data  # noqa: F401 - the extra that `ray[data]` brings
    except ImportError as exc:
        raise HindsightError(f"{INSTALL_HINT} ({exc})") from None
    return ray


def transcribe_task(settings_json: str, suffix: str, data: bytes) -> dict[str, Any]:
    """One recording's transcript on a Ray worker (the fields of a `Transcribed`)."""
    import dataclasses
    import tempfile

    from ingest.transcribe import make_transcriber

    settings = Settings.model_validate_json(settings_json)
    transcriber = make_transcriber(settings)
    if transcriber is None:
        raise HindsightError("the Ray worker lacks the transcribe extra")
    with tempfile.NamedTemporaryFile(suffix=suffix) as fh:
        fh.write(data)
        fh.flush()
        return dataclasses.asdict(transcriber.transcribe_file(Path(fh.name)))


class EmbedActor:
    """One model replica on a Ray worker: loaded once, then called batch after batch."""

    def __init__(self, settings_json: str, model_id: str) -> None:
        from index.embedder import SentenceTransformerEmbedder

        self.embedder = SentenceTransformerEmbedder(Settings.model_validate_json(settings_json))
        if self.embedder.model_id != model_id:
            # A worker with another model package would write foreign vectors into the index.
            raise ModelError(
                f"Ray worker has model {self.embedder.model_id}, the driver {model_id}: "
                "install the same hindsight environment on every worker"
            )
        self.embedder.warm()  # load now, not inside the first batch

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        texts = [str(t) for t in batch["text"]]
        return {"id": batch["id"], "vector": self.embedder.embed_batch(texts)}


def plan_for(settings: Settings, gpus: float) -> tuple[int, int, float]:
    """(actors, chunks per actor call, GPUs per actor): SETTINGS, or what fits GPUS.

    On a cluster with GPUs several actors share each GPU (fractional `num_gpus`): one process
    cannot keep a GPU busy (tokenizing, padding and the Python loop are the bound: ~4,700
    chunks/s of MiniLM on an H200 whose arithmetic allows far above 100k/s), so while one
    actor prepares its next batch another computes.
    """
    if settings.ray_num_gpus is not None:
        per_actor = settings.ray_num_gpus
    else:
        per_actor = 1 / settings.ray_actors_per_gpu if gpus else 0.0
    if settings.ray_concurrency is not None:
        actors = settings.ray_concurrency
    elif per_actor and gpus:
        actors = max(1, int(gpus / per_actor + 1e-9))
    else:
        actors = 2
    batch = settings.ray_batch_size or (4096 if per_actor else 256)
    return actors, batch, per_actor


class RayEngine:
    """Embeds through `ray.data` on the cluster at `ray_address` (or $RAY_ADDRESS, or local)."""

    def __init__(self, settings: Settings, model_id: str) -> None:
        self.ray = _import_ray()
        self.settings = settings
        self.model_id = model_id
        self.window = settings.ray_window
        self._started = False
        # The actors need the same settings (model, device, prompts, batch size) as the driver.
        self._settings_json = settings.model_dump_json()

    def _connect(self) -> None:
        """Join the cluster on first use: a run with nothing new to embed never starts Ray."""
        if not self.ray.is_initialized():
            # address None: $RAY_ADDRESS when set, else a local Ray for this run only.
            self.ray.init(
                address=self.settings.ray_address,
                include_dashboard=False,
                log_to_driver=False,
                logging_level=logging.WARNING,
            )
            self._started = True
        context = self.ray.data.DataContext.get_current()
        context.enable_progress_bars = False  # the CLI shows its own progress

    def plan(self) -> tuple[int, int, float]:
        """(actors, chunks per actor call, GPUs per actor) for the cluster joined."""
        return plan_for(self.settings, float(self.ray.cluster_resources().get("GPU", 0) or 0))

    def embed(self, ids: list[int], texts: list[str]) -> Iterator[tuple[list[int], np.ndarray]]:
        if not ids:
            return
        self._connect()
        import pyarrow as pa

        actors, size, gpus_each = self.plan()
        table = pa.table({"id": pa.array(ids, pa.int64()), "text": pa.array(texts, pa.string())})
        # One block per batch: the actors share the work instead of one taking a single block.
        blocks = [table.slice(start, size) for start in range(0, len(ids), size)]
        dataset = self.ray.data.from_arrow(blocks).map_batches(
            EmbedActor,
            fn_constructor_kwargs={"settings_json": self._settings_json, "model_id": self.model_id},
            batch_size=size,
            batch_format="numpy",
            # No more actors than blocks: an idle actor would still load the model.
            compute=self.ray.data.ActorPoolStrategy(size=min(actors, len(blocks))),
            num_gpus=gpus_each or None,
        )
        for batch in dataset.iter_batches(batch_size=None, batch_format="numpy"):
            vectors = np.asarray(batch["vector"], dtype=np.float32)
            yield [int(i) for i in batch["id"]], vectors

    def transcribe_all(self, transcriber: Transcriber, paths: list[Path]) -> None:
        """Transcribe PATHS on the cluster, one Ray task per recording, into the cache.

        The recording's bytes travel with its task (workers need not see the content folder);
        a task that fails leaves its recording to the parse step, which transcribes it here
        or reports why it cannot.
        """
        model = transcriber.model_name
        pending: dict[Any, tuple[Path, str]] = {}
        task = None
        for path in paths:
            digest = media_digest(path)
            if transcriber.cache.get(digest, model) is not None:
                continue
            if task is None:
                self._connect()
                task = self.ray.remote(num_gpus=self.settings.ray_num_gpus or None)(transcribe_task)
            data = self.ray.put(path.read_bytes())
            pending[task.remote(self._settings_json, path.suffix, data)] = (path, digest)
        while pending:
            done, _ = self.ray.wait(list(pending), num_returns=1)
            for ref in done:
                path, digest = pending.pop(ref)
                try:
                    result = Transcribed(**self.ray.get(ref))
                except Exception:  # noqa: BLE001 - the parse step retries and reports
                    log.warning("Ray transcription of %s failed", path, exc_info=True)
                    continue
                transcriber.cache.put(digest, result)
                if transcriber.progress:
                    transcriber.progress(path.name, result.duration, result.duration)

    def close(self) -> None:
        if self._started:
            self.ray.shutdown()
            self._started = False
