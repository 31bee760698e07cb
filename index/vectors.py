"""FAISS vectors under stable 63-bit chunk ids, so one file's chunks can be replaced alone.

An index is a *base* and a small *delta*:

- The base (`vectors.faiss`) is exact search (IndexIDMap2 over IndexFlatIP) up to
  `exact_max` vectors and IVF-Flat with its own ids above (nlist ≈ √n, lists probed by
  closeness to the query; recall@10 against exact search is in docs/benchmarks.md). It is
  only ever written whole, when the delta is folded in, so generations share it by hard link
  and it is memory-mapped: opening one costs milliseconds, not a 1.5 GB read at 1M chunks.
- The delta (`vectors.delta.npz`) holds vectors added since the last fold, searched exactly,
  and tombstones: base ids deleted since. Saving the edit of one file writes kilobytes.

Why not HNSW: FAISS's HNSW cannot remove ids (it would need tombstones forever and periodic
rebuilds anyway), builds ~10× slower than IVF at a million vectors and needs more memory for
lower recall at the same latency. IVF-Flat removes and adds natively and filters with an
IDSelector while it scans.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import faiss
import numpy as np

VECTORS_FILE = "vectors.faiss"
DELTA_SUFFIX = ".delta.npz"

TRAIN_PER_LIST = 64  # k-means sample per IVF list: FAISS recommends 39-256
Block = tuple[np.ndarray, np.ndarray]  # (ids int64, vectors float32)
FaissIndex = Any  # FAISS's bundled stubs miss most of the IVF and IDMap API used here
_faiss: Any = faiss
_BUILD_THREADS = faiss.omp_get_max_threads()  # searches use one; builds get them all back

_one_omp_thread = threading.local()  # threads that set OpenMP to one thread for queries


@dataclass(frozen=True)
class VectorParams:
    """When the base is exact or IVF, and when a delta is folded (measured in docs/benchmarks.md)."""

    exact_max: int = 50_000  # above this a flat scan costs more than ~6 ms a query on 2 cores
    # IVF probes every list whose centroid is within probe_gap (cosine) of the query's best
    # one, at least nprobe and at most nprobe_max. A query near the corpus has one clear
    # region and stays near nprobe; an off-topic one, whose neighbours scatter over many
    # lists, probes more (a fixed 32 gave recall@10 0.86 for those at 1M, 1.00 on-topic).
    nprobe: int = 32
    nprobe_max: int = 128
    probe_gap: float = 0.14
    fold_below: int = 20_000  # indexes this small fold every change: rewriting them is cheap
    delta_min: int = 2_000  # a delta is folded once it holds more than
    delta_share: float = 0.05  # max(delta_min, delta_share × base) changes,
    delta_max: int = 20_000  # and at most delta_max: it is searched exhaustively
    # A filter allowing at most this many ids is scored exactly, by id lookups (~1 µs each);
    # larger ones scan IVF lists with a selector (2,000 of 1M: 4 ms that way, 16 ms exactly).
    subset_exact_max: int = 1_000
    # A filter allowing at least this share of the ids is applied to an unfiltered search
    # that fetches k / share × overfetch: a selector over 150k of 1M ids costs ~15 ms to
    # build per query, the larger unfiltered search ~2 ms (docs/benchmarks.md).
    postfilter_share: float = 0.05
    overfetch: float = 1.5


def nlist_for(n: int) -> int:
    """IVF lists for N vectors: about √n, so a list holds about √n vectors."""
    return int(min(4096, max(16, round(math.sqrt(n)))))


def _in_sorted(values: np.ndarray, sorted_ref: np.ndarray) -> np.ndarray:
    """Mask of VALUES present in SORTED_REF (binary search: no sort of the large side)."""
    if not len(sorted_ref):
        return np.zeros(len(values), dtype=bool)
    pos = np.searchsorted(sorted_ref, values).clip(max=len(sorted_ref) - 1)
    return sorted_ref[pos] == values


def _sorted(ids: np.ndarray) -> np.ndarray:
    """IDS in ascending order (a filter's ids usually are: then no copy is made)."""
    return ids if bool(np.all(ids[:-1] <= ids[1:])) else np.sort(ids)


def _top(ids: np.ndarray, scores: np.ndarray, k: int) -> list[tuple[int, float]]:
    if k < len(scores):
        part = np.argpartition(-scores, k - 1)[:k]
        ids, scores = ids[part], scores[part]
    order = np.argsort(-scores, kind="stable")
    return [(int(ids[i]), float(scores[i])) for i in order]


def _read_base(path: Path) -> FaissIndex:
    # Memory-map the vectors: the file is never changed in place (saves write a new file and
    # rename it), and a mapped base is never modified (changes go to the delta).
    flag = getattr(faiss, "IO_FLAG_MMAP_IFC", None)
    if flag is not None:
        try:
            return faiss.read_index(str(path), flag)
        except RuntimeError:
            pass  # a format this FAISS cannot map: read it whole
    return faiss.read_index(str(path))


def _is_ivf(index: FaissIndex) -> bool:
    return isinstance(index, faiss.IndexIVF)


def _base_blocks(index: FaissIndex, *, vectors: bool = True) -> Iterator[Block]:
    """(ids, vectors) of a base, list by list for IVF; vectors empty when not wanted."""
    if index.ntotal == 0:
        return
    width = index.d
    if _is_ivf(index):
        lists = index.invlists
        for no in range(index.nlist):
            size = lists.list_size(no)
            if not size:
                continue
            ids = faiss.rev_swig_ptr(lists.get_ids(no), size).copy()
            if not vectors:
                yield ids, np.zeros((0, width), np.float32)
                continue
            codes = faiss.rev_swig_ptr(lists.get_codes(no), size * lists.code_size)
            yield ids, codes.view(np.float32).reshape(size, width).copy()
    else:
        ids = faiss.vector_to_array(index.id_map).astype(np.int64)
        if not vectors:
            yield ids, np.zeros((0, width), np.float32)
            return
        xb = faiss.rev_swig_ptr(_faiss.downcast_index(index.index).get_xb(), index.ntotal * width)
        yield ids, xb.reshape(index.ntotal, width)


def build_base(
    dim: int, blocks: Callable[[], Iterable[Block]], n: int, params: VectorParams
) -> FaissIndex:
    """A new base of the N vectors BLOCKS() yields: exact up to params.exact_max, IVF above.

    BLOCKS is a callable so the vectors can be streamed twice (k-means sample, then adds)
    instead of held in memory beside the new index: a fold at a million vectors needs one
    copy of them, not two.
    """
    faiss.omp_set_num_threads(_BUILD_THREADS)
    _one_omp_thread.set = False  # this thread's next query sets one thread again
    index: FaissIndex
    if n <= params.exact_max:
        index = faiss.IndexIDMap2(faiss.IndexFlatIP(dim))
    else:
        nlist = nlist_for(n)
        index = faiss.index_factory(dim, f"IVF{nlist},Flat", faiss.METRIC_INNER_PRODUCT)
        rng = np.random.default_rng(0)  # same vectors, same lists: builds are reproducible
        take = np.sort(rng.choice(n, size=min(n, TRAIN_PER_LIST * nlist), replace=False))
        sample, start = [], 0
        for _ids, vecs in blocks():
            lo, hi = np.searchsorted(take, [start, start + len(vecs)])
            sample.append(vecs[take[lo:hi] - start])
            start += len(vecs)
        index.train(np.ascontiguousarray(np.concatenate(sample), dtype=np.float32))
        index.set_direct_map_type(_faiss.DirectMap.Hashtable)  # lookup by id, for small filters
        index.nprobe = params.nprobe
    for ids, vecs in blocks():
        if len(ids):
            index.add_with_ids(np.ascontiguousarray(vecs, dtype=np.float32), ids)
    return index


class _Delta:
    """Vectors added since the last fold: append-only blocks, the latest row of an id wins."""

    def __init__(self, dim: int) -> None:
        self.dim = dim
        self.blocks: list[Block] = []
        self.where: dict[int, tuple[int, int]] = {}  # id -> (block, row) of its live row
        self._live: Block | None = None

    def __len__(self) -> int:
        return len(self.where)

    def add(self, ids: np.ndarray, vecs: np.ndarray) -> None:
        no = len(self.blocks)
        self.blocks.append((ids, vecs))
        self.where.update((i, (no, row)) for row, i in enumerate(ids.tolist()))
        self._live = None

    def remove(self, chunk_id: int) -> bool:
        if self.where.pop(chunk_id, None) is None:
            return False
        self._live = None
        return True

    def live(self) -> Block:
        """(ids, vectors) of the live rows, consolidated into one block."""
        if self._live is None:
            parts = [(np.zeros(0, np.int64), np.zeros((0, self.dim), np.float32))]
            for no, (ids, vecs) in enumerate(self.blocks):
                keep = [self.where.get(i) == (no, r) for r, i in enumerate(ids.tolist())]
                parts.append((ids[keep], vecs[keep]))
            ids = np.concatenate([p[0] for p in parts])
            vecs = np.concatenate([p[1] for p in parts])
            self.blocks = [(ids, vecs)]
            self.where = {i: (0, r) for r, i in enumerate(ids.tolist())}
            self._live = (ids, vecs)
        return self._live


class VectorIndex:
    """add / delete / search / save / load over inner product of unit vectors (cosine)."""

    def __init__(
        self,
        index: FaissIndex,
        delta: Block | None = None,
        tombstones: Iterable[int] = (),
        params: VectorParams | None = None,
    ) -> None:
        self.index = index  # the base
        self.params = params or VectorParams()
        self._delta = _Delta(index.d)
        if delta is not None and len(delta[0]):
            self._delta.add(delta[0], delta[1])
            self._delta.live()  # consolidated now: a shared reader never changes it later
        self._tombstones: set[int] = set(tombstones)
        self._tomb_cache: tuple[np.ndarray, faiss.IDSelector | None, object] | None = None
        self._base_ids: np.ndarray | None = None  # sorted, computed when first needed
        self._centroid_cache: np.ndarray | None = None
        self._base_dirty = False

    @classmethod
    def create(cls, dim: int, params: VectorParams | None = None) -> VectorIndex:
        return cls(faiss.IndexIDMap2(faiss.IndexFlatIP(dim)), params=params)

    @classmethod
    def load(cls, path: Path, params: VectorParams | None = None) -> VectorIndex:
        base = _read_base(path)
        delta_path = cls.delta_path(path)
        if not delta_path.exists():
            return cls(base, params=params)
        with np.load(delta_path) as npz:
            delta = (npz["ids"].astype(np.int64), npz["vectors"].astype(np.float32))
            tombstones = npz["tombstones"].astype(np.int64).tolist()
        return cls(base, delta, tombstones, params)

    @staticmethod
    def delta_path(path: Path) -> Path:
        return path.with_name(path.stem + DELTA_SUFFIX)

    @property
    def dim(self) -> int:
        return int(self.index.d)

    @property
    def kind(self) -> str:
        """'flat' (exact) or 'ivf': the base's index type."""
        return "ivf" if _is_ivf(self.index) else "flat"

    @property
    def pending(self) -> int:
        """Changes not folded into the base yet: delta vectors and tombstones."""
        return len(self._delta) + len(self._tombstones)

    def __len__(self) -> int:
        return int(self.index.ntotal) - len(self._tombstones) + len(self._delta)

    # --- changes -------------------------------------------------------------------------

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Add vectors under IDS; an id already present is replaced."""
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        if not len(ids):
            return
        vectors = np.ascontiguousarray(vectors, dtype=np.float32).reshape(len(ids), self.dim)
        self._tombstone(ids[_in_sorted(ids, self.base_ids())])
        self._delta.add(ids, vectors)

    def delete(self, ids: Iterable[int]) -> int:
        """Remove IDS; returns how many were present."""
        arr = np.fromiter(ids, dtype=np.int64)
        if not len(arr):
            return 0
        removed = sum(self._delta.remove(i) for i in arr.tolist())
        return removed + self._tombstone(arr[_in_sorted(arr, self.base_ids())])

    def _tombstone(self, ids: np.ndarray) -> int:
        """Hide base rows IDS; returns how many were visible."""
        new = set(ids.tolist()) - self._tombstones
        if new:
            self._tombstones |= new
            self._tomb_cache = None
        return len(new)

    # --- reads ---------------------------------------------------------------------------

    def base_ids(self) -> np.ndarray:
        """Sorted ids stored in the base, tombstoned ones included."""
        if self._base_ids is None:
            parts = [ids for ids, _ in _base_blocks(self.index, vectors=False)]
            self._base_ids = np.sort(np.concatenate(parts)) if parts else np.zeros(0, np.int64)
        return self._base_ids

    def ids(self) -> np.ndarray:
        """Every live id."""
        base = self.base_ids()
        tombs = self._tombs()[0]
        if len(tombs):
            base = base[~_in_sorted(base, tombs)]
        return np.concatenate([base, self._delta.live()[0]])

    def items(self) -> Iterator[Block]:
        """Every live (ids, vectors), block by block (a copy per IVF list)."""
        tombs = self._tombs()[0]
        for ids, vecs in _base_blocks(self.index):
            if len(tombs):
                keep = ~_in_sorted(ids, tombs)
                ids, vecs = ids[keep], vecs[keep]
            yield ids, vecs
        if len(self._delta):
            yield self._delta.live()

    def reconstruct(self, chunk_id: int) -> np.ndarray:
        """The stored vector of CHUNK_ID (KeyError when absent)."""
        found, vectors = self.vectors_of(np.array([chunk_id], dtype=np.int64))
        if not len(found):
            raise KeyError(chunk_id)
        return vectors[0]

    def vectors_of(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(the ids of IDS that are present, their stored vectors), in the order of IDS."""
        ids = np.asarray(ids, dtype=np.int64)
        found = np.zeros(len(ids), dtype=bool)
        out = np.zeros((len(ids), self.dim), dtype=np.float32)
        if len(self._delta):
            _, delta_vectors = self._delta.live()  # consolidated: `where` rows index it
            for n, chunk_id in enumerate(ids.tolist()):
                where = self._delta.where.get(chunk_id)
                if where is not None:
                    out[n], found[n] = delta_vectors[where[1]], True
        base = ~found & _in_sorted(ids, self.base_ids())
        tombs = self._tombs()[0]
        if len(tombs):
            base &= ~_in_sorted(ids, tombs)
        if base.any():
            out[base] = self.index.reconstruct_batch(ids[base])
            found |= base
        return ids[found], out[found]

    def search(
        self, query: np.ndarray, k: int, *, allowed: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        """Top K (chunk_id, cosine); ALLOWED restricts the candidates before the cut-off."""
        if len(self) == 0 or k <= 0:
            return []
        # One query gains nothing from OpenMP threads, and on a busy machine waking them costs
        # ~10 ms (measured: flat 10k p50 13 ms with 2 threads, 0.6 ms with 1). The setting is
        # per calling thread: a writer folding an index elsewhere keeps all cores.
        if not getattr(_one_omp_thread, "set", False):
            faiss.omp_set_num_threads(1)
            _one_omp_thread.set = True
        q = np.ascontiguousarray(query, dtype=np.float32).reshape(1, -1)
        if allowed is not None:
            if len(allowed) == 0:
                return []
            allowed = _sorted(np.asarray(allowed, dtype=np.int64))
        hits = self._search_base(q, k, allowed) + self._search_delta(q[0], k, allowed)
        hits.sort(key=lambda h: -h[1])
        return hits[:k]

    def _search_base(
        self, q: np.ndarray, k: int, allowed: np.ndarray | None
    ) -> list[tuple[int, float]]:
        n = int(self.index.ntotal)
        if n == 0:
            return []
        tombs, sel, _batch = self._tombs()
        keep: faiss.IDSelector | None = None
        nprobe = self.params.nprobe
        if allowed is not None:
            if len(tombs):
                allowed = allowed[~_in_sorted(allowed, tombs)]
            if _is_ivf(self.index) and len(allowed) <= self.params.subset_exact_max:
                return self._exact_subset(q, k, allowed)
            if len(allowed) >= self.params.postfilter_share * n:
                return self._search_then_filter(q, k, allowed)
            sel = keep = faiss.IDSelectorBatch(allowed)
            # Fewer allowed ids per list: probe more lists to still meet enough of them.
            nprobe = math.ceil(nprobe / math.sqrt(max(len(allowed) / n, 1e-6)))
        if _is_ivf(self.index):
            scores, ids = self._search_ivf(q, min(k, n), sel, nprobe)
        else:
            params = _faiss.SearchParameters(sel=sel) if sel is not None else None
            scores, ids = self.index.search(q, min(k, n), params=params)
        del keep  # the selector had to outlive the search
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i != -1]

    def _search_then_filter(
        self, q: np.ndarray, k: int, allowed: np.ndarray
    ) -> list[tuple[int, float]]:
        """Top K of ALLOWED (sorted) from unfiltered searches, widened until K are found."""
        n = int(self.index.ntotal)
        fetch = min(n, math.ceil(k * self.params.overfetch * n / len(allowed)))
        while True:
            hits = self._search_base(q, fetch, None)
            ids = np.fromiter((i for i, _ in hits), dtype=np.int64, count=len(hits))
            keep = [h for h, ok in zip(hits, _in_sorted(ids, allowed), strict=True) if ok]
            if len(keep) >= k or len(hits) < fetch or fetch >= n:
                return keep[:k]
            fetch = min(n, fetch * 4)

    def _search_ivf(
        self, q: np.ndarray, k: int, sel: Any, nprobe: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """Scan the lists whose centroids are within probe_gap of the best (see VectorParams)."""
        p = self.params
        sims = self._centroids() @ q[0]
        order = np.argsort(-sims)
        close = int(np.count_nonzero(sims >= sims[order[0]] - p.probe_gap))
        n = min(len(order), max(nprobe, min(close, p.nprobe_max)))
        keys = np.ascontiguousarray(order[None, :n], dtype=np.int64)
        dis = np.ascontiguousarray(sims[keys], dtype=np.float32)
        scores = np.empty((1, k), dtype=np.float32)
        ids = np.empty((1, k), dtype=np.int64)
        params = _faiss.SearchParametersIVF(sel=sel, nprobe=n)
        ptr = faiss.swig_ptr
        self.index.search_preassigned_c(
            1, ptr(q), k, ptr(keys), ptr(dis), ptr(scores), ptr(ids), False, params
        )
        return scores, ids

    def _centroids(self) -> np.ndarray:
        if self._centroid_cache is None:
            quantizer = _faiss.downcast_index(self.index.quantizer)
            self._centroid_cache = quantizer.reconstruct_n(0, self.index.nlist)
        return self._centroid_cache

    def _exact_subset(self, q: np.ndarray, k: int, allowed: np.ndarray) -> list[tuple[int, float]]:
        """Score a small allowed set exactly: cheaper and surer than probing lists for it."""
        present = np.unique(allowed[_in_sorted(allowed, self.base_ids())])
        if not len(present):
            return []
        vectors = self.index.reconstruct_batch(present)
        return _top(present, vectors @ q[0], k)

    def _search_delta(
        self, q: np.ndarray, k: int, allowed: np.ndarray | None
    ) -> list[tuple[int, float]]:
        ids, vecs = self._delta.live()
        if allowed is not None and len(ids):
            mask = _in_sorted(ids, allowed)
            ids, vecs = ids[mask], vecs[mask]
        if not len(ids):
            return []
        return _top(ids, vecs @ q, k)

    def _tombs(self) -> tuple[np.ndarray, faiss.IDSelector | None, object]:
        """Sorted tombstones, a selector excluding them, and what that selector refers to."""
        if self._tomb_cache is None:
            arr = np.array(sorted(self._tombstones), dtype=np.int64)
            if len(arr):
                batch = faiss.IDSelectorBatch(arr)
                self._tomb_cache = (arr, faiss.IDSelectorNot(batch), batch)
            else:
                self._tomb_cache = (arr, None, None)
        return self._tomb_cache

    # --- folding and persistence -----------------------------------------------------------

    def _kind_fits(self, live: int) -> bool:
        if not _is_ivf(self.index):
            return live <= self.params.exact_max
        # Hysteresis: a shrinking IVF turns exact well below the threshold; one that has
        # outgrown its lists (about 4× the vectors it was trained for) is retrained.
        return live > self.params.exact_max // 2 and nlist_for(live) < 2 * self.index.nlist

    def needs_fold(self) -> bool:
        live, p = len(self), self.params
        if not self._kind_fits(live):
            return True
        if live <= p.fold_below:
            return self.pending > 0
        limit = min(p.delta_max, max(p.delta_min, int(p.delta_share * self.index.ntotal)))
        return self.pending > limit

    def fold(self) -> None:
        """Rebuild the base from every live vector; delta and tombstones become empty."""
        self.index = build_base(self.dim, self.items, len(self), self.params)
        self._delta = _Delta(self.dim)
        self._tombstones = set()
        self._tomb_cache = None
        self._base_ids = None
        self._centroid_cache = None
        self._base_dirty = True

    def save(self, path: Path) -> None:
        """Write the delta, after folding it into a new base when it has grown too big."""
        if self.needs_fold():
            self.fold()
        if self._base_dirty or not path.exists():
            tmp = path.with_suffix(".tmp")
            faiss.write_index(self.index, str(tmp))
            tmp.replace(path)
            self._base_dirty = False
        delta_path = self.delta_path(path)
        if not self.pending:
            delta_path.unlink(missing_ok=True)  # the previous generation's, linked into this one
            return
        ids, vecs = self._delta.live()
        tmp = delta_path.with_name(delta_path.name + ".tmp")
        with tmp.open("wb") as fh:
            np.savez(fh, ids=ids, vectors=vecs, tombstones=self._tombs()[0])
        tmp.replace(delta_path)
