"""Search behaviour: identifiers, filters before the cut-off, grouping, index agreement, fusion."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import numpy as np
import pytest

import index.search as search_module
from index import catalog
from index.filters import SearchFilters
from index.moments import MomentParams, Span, choose, window_scores, windows
from index.reader import IndexSnapshot
from index.search import (
    Allowed,
    FusionParams,
    Searcher,
    document_ranking,
    flatten,
    fuse,
    fuse_scores,
    make_snippet,
    normalised,
    reciprocal_rank_fusion,
)
from index.settings import Settings
from index.tokenize import query_terms, tokens
from ingest.pipeline import Ingestor
from tests.conftest import HashingEmbedder

MODES = ("hybrid", "dense", "keyword")

# --- tokenisation ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # snake_case: the whole identifier and its meaningful parts ("at" is a stop word)
        (
            "innodb_flush_log_at_trx_commit",
            ["innodbflushlogattrxcommit", "innodb", "flush", "log", "trx", "commit"],
        ),
        ("getUserById", ["getuserbyid", "get", "user", "id"]),  # camelCase
        ("ERR_CONN_POOL_EXHAUSTED", ["errconnpoolexhaust", "err", "conn", "pool", "exhaust"]),
        ("payments-ledger", ["paymentsledg", "payment", "ledger"]),  # kebab-case
        ("api.v2.timeout", ["apiv2timeout", "api", "timeout"]),  # dotted; "v", "2" are noise
        ("Pub/Sub", ["pubsub", "pub", "sub"]),
        ("ZooKeeper", ["zookeep", "zoo", "keeper"]),  # a letters-only whole is stemmed too
        ("shortening TTLs", ["shorten", "ttl"]),  # stemmed; a plural acronym meets its singular
        ("naïve café", ["naïv", "café"]),  # accented words are not split as if camelCase
        ("the and of", []),
    ],
)
def test_tokens(text: str, expected: list[str]) -> None:
    assert tokens(text) == expected


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("payments-ledger", "payments_ledger"),
        ("payments-ledger", "PaymentsLedger"),
        ("SHA-1", "sha1"),
        ("HTTP/3", "http3"),
        ("ZooKeeper", "Zookeeper"),
        ("PostgreSQL", "postgresql"),
    ],
)
def test_spellings_of_one_identifier_share_its_whole_term(a: str, b: str) -> None:
    assert tokens(a)[0] == tokens(b)[0]


def test_query_terms_are_distinct_and_ordered() -> None:
    assert query_terms("Postgres postgres replica REPLICAS") == ["postgr", "replica"]


# --- fusion ---------------------------------------------------------------------------------


def test_reciprocal_rank_fusion_by_hand() -> None:
    fused = reciprocal_rank_fusion([["a", "b"], ["b", "c"]], k=10)
    assert fused == pytest.approx({"a": 1 / 11, "b": 1 / 12 + 1 / 11, "c": 1 / 12})
    weighted = reciprocal_rank_fusion([["a"], ["b"]], weights=[2.0, 1.0], k=0)
    assert weighted == pytest.approx({"a": 2.0, "b": 1.0})


def test_document_ranking_places_a_document_at_its_best_chunk() -> None:
    doc_of = {1: "x", 2: "y", 3: "x", 4: "z"}
    assert document_ranking([3, 2, 1, 9, 4], doc_of) == ["x", "y", "z"]  # 9: unknown, skipped


def test_fuse_gives_a_document_both_votes_even_from_different_chunks() -> None:
    # Doc "a": chunk 1 leads the dense list, chunk 2 leads the keyword list. Doc "b" has one
    # chunk second in both. Fused per chunk, "b" would win (2/(k+2) > 1/(k+1)); per document,
    # "a" is first in both rankings and must win.
    doc_of = {1: "a", 2: "a", 3: "b"}
    fused = fuse([[1, 3, 2], [2, 3, 1]], doc_of, k=60)
    assert [f.doc_id for f in fused] == ["a", "b"]
    assert fused[0].score == pytest.approx(2 / 61)
    assert fused[1].score == pytest.approx(2 / 62)


def test_fuse_shows_the_chunk_with_the_best_combined_rank() -> None:
    doc_of = {1: "a", 2: "a", 3: "a"}
    # chunk 2 is second in both lists; chunks 1 and 3 are each first once and absent once
    fused = fuse([[1, 2], [3, 2]], doc_of, k=1)
    assert fused[0].chunk_id == 2  # 1/3 + 1/3 beats 1/2


def test_fuse_weights_favour_one_retriever() -> None:
    doc_of = {1: "a", 2: "b"}
    assert [f.doc_id for f in fuse([[1, 2], [2, 1]], doc_of, weights=[2.0, 1.0])] == ["a", "b"]
    assert [f.doc_id for f in fuse([[1, 2], [2, 1]], doc_of, weights=[1.0, 2.0])] == ["b", "a"]


def test_fuse_scores_by_hand() -> None:
    # dense scores 0.9 / 0.7 / 0.5 scale to 1 / 0.5 / 0; keyword 10 / 2 scale to 1 / 0.
    doc_of = {1: "a", 2: "b", 3: "c", 4: "a"}
    fused = fuse_scores([[(1, 0.9), (2, 0.7), (3, 0.5)], [(3, 10.0), (4, 2.0)]], doc_of)
    assert [(f.doc_id, f.chunk_id) for f in fused] == [("a", 1), ("c", 3), ("b", 2)]
    # a: max(1) / 2 + max(0) / 2 = 0.5; c: 0 / 2 + 1 / 2 = 0.5, behind a's stronger chunk; b: 0.25
    assert [f.score for f in fused] == pytest.approx([0.5, 0.5, 0.25])


def test_fuse_scores_keeps_gaps_that_ranks_lose() -> None:
    # Keyword: "a" far ahead, "b" barely above "c". Dense: "b" just ahead of "a".
    doc_of = {1: "a", 2: "b", 3: "c"}
    dense, keyword = [(2, 0.80), (1, 0.79), (3, 0.10)], [(1, 30.0), (2, 2.1), (3, 2.0)]
    assert fuse_scores([dense, keyword], doc_of)[0].doc_id == "a"
    assert fuse([[2, 1, 3], [1, 2, 3]], doc_of)[0].doc_id in {"a", "b"}  # ranks: a tie


def test_normalised_by_hand() -> None:
    result = [(1, 3.0), (2, 2.0), (3, 1.0)]
    assert normalised(result, "minmax") == pytest.approx({1: 1.0, 2: 0.5, 3: 0.0})
    spread = (2 / 3) ** 0.5  # the population standard deviation of 3, 2, 1
    assert normalised(result, "zscore") == pytest.approx({1: 2 / spread, 2: 1 / spread, 3: 0.0})
    assert normalised([(1, 5.0), (2, 5.0)], "zscore") == {1: 1.0, 2: 1.0}  # no spread
    assert normalised([], "minmax") == {}


def test_zscore_keeps_the_field_apart_when_one_candidate_runs_away() -> None:
    # One keyword hit scores 100, the other 199 candidates between 1 and 3: min-max squeezes
    # them into [0, 0.02], so a small dense gap decides alone; divided by their spread they
    # keep a keyword difference that can outweigh it.
    keyword = [(0, 100.0)] + [(i, 3.0 - 2.0 * i / 199) for i in range(1, 200)]
    minmax, zscore = normalised(keyword, "minmax"), normalised(keyword, "zscore")
    assert minmax[1] - minmax[199] < 0.021
    assert zscore[1] - zscore[199] > 0.25
    doc_of = {i: f"d{i}" for i in range(200)}
    dense = [(0, 0.5), (199, 0.62), (1, 0.60)] + [(i, 0.1 + 0.4 * i / 199) for i in range(2, 199)]
    by_minmax = [f.doc_id for f in fuse_scores([dense, keyword], doc_of, normalise="minmax")]
    by_zscore = [f.doc_id for f in fuse_scores([dense, keyword], doc_of, normalise="zscore")]
    assert by_zscore.index("d1") < by_zscore.index("d199")  # keyword 3.0 vs 1.0 counts
    assert by_minmax.index("d199") < by_minmax.index("d1")  # only the dense 0.02 counts


@pytest.mark.parametrize(
    ("fusion", "normalise"), [("rrf", "minmax"), ("convex", "minmax"), ("convex", "zscore")]
)
def test_every_fusion_answers_through_the_searcher(
    identifier_index: Searcher, fusion: str, normalise: str
) -> None:
    identifier_index.params = FusionParams(fusion=fusion, normalise=normalise)  # type: ignore[arg-type]
    assert identifier_index.search("innodb_flush_log_at_trx_commit")[0].doc_id == "pm-fsync"


# --- transcript moments ----------------------------------------------------------------------


def _unit(*xs: float) -> np.ndarray:
    v = np.array(xs, dtype=np.float32)
    return v / np.linalg.norm(v)


def test_a_moment_is_the_best_single_passage_when_no_pair_beats_it() -> None:
    vectors = np.stack([_unit(1, 0, 0), _unit(0, 1, 0), _unit(0, 0, 1)])
    query = _unit(0, 1, 0.1)
    spans = choose(vectors @ query, None, vectors, MomentParams(width=2, count=1))
    assert spans == [Span(1, 1, 1, pytest.approx(spans[0].score))]


def test_a_moment_joins_two_passages_that_each_hold_half_the_answer() -> None:
    # The query is halfway between passages 1 and 2: their mean is exactly the query.
    vectors = np.stack([_unit(0, 0, 1), _unit(1, 0, 0), _unit(0, 1, 0)])
    query = _unit(1, 1, 0)
    bounds, dense, _ = window_scores(vectors @ query, None, vectors, 2)
    pair = [i for i, (a, b) in enumerate(bounds.tolist()) if (a, b) == (1, 2)][0]
    assert dense is not None and dense[pair] == pytest.approx(1.0)  # cos(query, mean)
    (best,) = choose(vectors @ query, None, vectors, MomentParams(width=2, count=1))
    assert (best.first, best.last) == (1, 2)
    (single,) = choose(vectors @ query, None, vectors, MomentParams(width=1, count=1))
    assert single.first == single.last


def test_window_scores_are_the_joined_texts_scores() -> None:
    rng = np.random.default_rng(5)
    vectors = rng.normal(size=(9, 6)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    query = _unit(1, 2, 0, 0, 1, 0)
    said = rng.uniform(0, 3, size=9)
    bounds, dense, keyword = window_scores(vectors @ query, said, vectors, 3)
    assert dense is not None and keyword is not None
    assert len(bounds) == 9 + 8 + 7
    for (a, b), d, k in zip(bounds.tolist(), dense, keyword, strict=True):
        joined = vectors[a : b + 1].sum(axis=0)
        assert d == pytest.approx(float(joined @ query) / float(np.linalg.norm(joined)), abs=1e-5)
        assert k == pytest.approx(said[a : b + 1].sum() / np.sqrt(b - a + 1))


def test_moments_are_several_non_overlapping_and_best_first() -> None:
    rng = np.random.default_rng(7)
    vectors = rng.normal(size=(30, 8)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    query = vectors[4] + vectors[20] + 0.5 * vectors[11]
    keyword = np.zeros(30)
    keyword[[4, 11, 25]] = [3.0, 1.0, 2.0]
    for fusion in ("rrf", "convex"):
        spans = choose(
            vectors @ query,
            keyword,
            vectors,
            MomentParams(fusion=fusion, count=3, width=3, min_share=0),
        )
        assert len(spans) == 3
        assert [s.score for s in spans] == sorted((s.score for s in spans), reverse=True)
        covered = [i for s in spans for i in range(s.first, s.last + 1)]
        assert len(covered) == len(set(covered))  # no passage in two moments
        assert all(s.first <= s.best <= s.last for s in spans)


def test_the_keyword_evidence_decides_the_moment_when_meaning_is_a_tie() -> None:
    # Three passages equally close in meaning; only passage 2 says the query's terms.
    vectors = np.stack([_unit(1, 0.1, 0), _unit(1, 0, 0.1), _unit(1, -0.1, 0)])
    dense = np.full(3, 0.99)
    keyword = np.array([0.0, 0.0, 4.2])
    (best, *_) = choose(dense, keyword, vectors, MomentParams(width=1))
    assert best.first == 2
    # Dense alone would have picked the first passage of the tie.
    (dense_only, *_) = choose(dense, None, vectors, MomentParams(width=1))
    assert dense_only.first == 0


def test_moments_need_some_evidence() -> None:
    assert choose(None, None, None) == []
    assert choose(np.zeros(0), np.zeros(0), np.zeros((0, 3))) == []
    spans = choose(None, np.array([0.0, 2.0, 0.0]), None, MomentParams(width=1, count=1))
    assert [(s.first, s.last) for s in spans] == [(1, 1)]  # keyword mode: no vectors needed


# --- behaviour over a real index (fake embedder: plumbing) -----------------------------------


def _ingest(settings: Settings, embedder: HashingEmbedder, root: Path) -> None:
    report = Ingestor(settings, embedder).run([str(root)])
    assert report.count("failed") == 0, report.outcomes


def _write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def _note(doc_id: str, kind: str, title: str, body: str) -> str:
    return f"---\nid: {doc_id}\nkind: {kind}\ntitle: {title}\n---\n{body}\n"


IDENTIFIERS = {
    "postmortems/pool.md": _note(
        "pm-pool",
        "postmortem",
        "Checkout errors during the sale",
        "## Root cause\nThe service raised ERR_CONN_POOL_EXHAUSTED because getUserById held a "
        "connection for every call. We raised `max_pool_size` in payments-ledger.\n",
    ),
    "postmortems/fsync.md": _note(
        "pm-fsync",
        "postmortem",
        "Lost writes after a crash",
        "## Root cause\nThe replica ran with innodb_flush_log_at_trx_commit = 2.\n",
    ),
    "postmortems/other.md": _note(
        "pm-other",
        "postmortem",
        "Slow dashboards",
        "## Summary\nA missing index made the user dashboard slow for a week.\n",
    ),
}


@pytest.fixture
def identifier_index(tmp_path: Path, fake_embedder: HashingEmbedder) -> Searcher:
    settings = Settings(data_dir=tmp_path / "data")
    _ingest(settings, fake_embedder, _write(tmp_path / "content", IDENTIFIERS))
    return Searcher(IndexSnapshot.open(settings.data_dir), fake_embedder.embed_query)


@pytest.mark.parametrize(
    ("query", "doc_id"),
    [
        ("innodb_flush_log_at_trx_commit", "pm-fsync"),  # whole
        ("flush log commit", "pm-fsync"),  # by part
        ("ERR_CONN_POOL_EXHAUSTED", "pm-pool"),
        ("pool exhausted", "pm-pool"),
        ("getUserById", "pm-pool"),
        ("user by id", "pm-pool"),  # camelCase parts
        ("payments_ledger", "pm-pool"),  # another spelling of payments-ledger
        ("max_pool_size", "pm-pool"),
    ],
)
def test_identifiers_are_found_whole_and_by_part(
    identifier_index: Searcher, query: str, doc_id: str
) -> None:
    hits = identifier_index.search(query, mode="keyword")
    assert hits and hits[0].doc_id == doc_id


@pytest.mark.parametrize(
    "query", ["innodb_flush_log_at_trx_commit", "ERR_CONN_POOL_EXHAUSTED", "getUserById"]
)
def test_hybrid_keeps_an_exact_identifier_first(identifier_index: Searcher, query: str) -> None:
    # The fake embedder sees an identifier as one opaque word: only keyword search knows it.
    expected = identifier_index.search(query, mode="keyword")[0].doc_id
    assert identifier_index.search(query)[0].doc_id == expected


def test_whole_identifier_outranks_a_document_with_only_its_parts(
    tmp_path: Path, fake_embedder: HashingEmbedder
) -> None:
    files = {
        "notes/parts.md": _note("parts", "note", "Notes", "We flush the log at commit time."),
        "notes/whole.md": _note("whole", "note", "Config", "Set innodb_flush_log_at_trx_commit."),
    }
    settings = Settings(data_dir=tmp_path / "data")
    _ingest(settings, fake_embedder, _write(tmp_path / "content", files))
    searcher = Searcher(IndexSnapshot.open(settings.data_dir), fake_embedder.embed_query)
    hits = searcher.search("innodb_flush_log_at_trx_commit", mode="keyword")
    assert [h.doc_id for h in hits] == ["whole", "parts"]


@pytest.mark.parametrize("mode", MODES)
def test_filters_apply_before_the_cut_off(
    tmp_path: Path, fake_embedder: HashingEmbedder, mode: str
) -> None:
    files = {
        f"talks/t{i}.md": _note(
            f"talk-{i}",
            "talk",
            f"Failover talk {i}",
            "replication lag failover replication lag failover " * 3,
        )
        for i in range(12)
    }
    files |= {
        f"postmortems/p{i}.md": _note(
            f"pm-{i}",
            "postmortem",
            f"Incident {i}",
            "The billing cron ran twice; queues grew; someone noticed replication lag.",
        )
        for i in range(4)
    }
    settings = Settings(data_dir=tmp_path / "data")
    _ingest(settings, fake_embedder, _write(tmp_path / "content", files))
    searcher = Searcher(
        IndexSnapshot.open(settings.data_dir),
        fake_embedder.embed_query,
        FusionParams(candidates=3),  # a shallow cut-off makes a post-filter visibly fail
    )
    query = "replication lag failover"
    unfiltered = searcher.search(query, limit=3, mode=mode)  # type: ignore[arg-type]
    assert {h.kind for h in unfiltered} == {"talk"}
    only = SearchFilters(kinds=("postmortem",))
    hits = searcher.search(query, limit=3, filters=only, mode=mode)  # type: ignore[arg-type]
    assert len(hits) == 3
    assert {h.kind for h in hits} == {"postmortem"}
    one = SearchFilters(doc_ids=("pm-2",))
    assert [h.doc_id for h in searcher.search(query, filters=one, mode=mode)] == ["pm-2"]  # type: ignore[arg-type]


@pytest.mark.parametrize("mode", MODES)
def test_results_are_grouped_per_document_with_the_best_passage(
    tmp_path: Path, fake_embedder: HashingEmbedder, mode: str
) -> None:
    sections = "".join(
        f"## Step {i}\nThe failover runbook step {i}: check replication before promoting.\n"
        + "Other words fill this section so that every step becomes its own chunk. " * 12
        + "\n\n"
        for i in range(6)
    )
    special = "## Promotion gate\nCheck pg_last_wal_replay_lsn replication before promoting.\n"
    files = {
        "talks/runbook.md": _note("runbook", "talk", "Failover runbook", sections + special),
        "talks/short.md": _note("short", "talk", "Short note", "Failover happens."),
    }
    settings = Settings(data_dir=tmp_path / "data")
    _ingest(settings, fake_embedder, _write(tmp_path / "content", files))
    snap = IndexSnapshot.open(settings.data_dir)
    n_chunks = (
        snap.cursor().execute("SELECT count(*) FROM chunks WHERE doc_id = 'runbook'").fetchone()[0]
    )
    assert n_chunks >= 5
    searcher = Searcher(snap, fake_embedder.embed_query)
    hits = searcher.search("pg_last_wal_replay_lsn replication promoting", mode=mode)  # type: ignore[arg-type]
    assert [h.doc_id for h in hits].count("runbook") == 1
    assert len({h.doc_id for h in hits}) == len(hits)
    assert hits[0].doc_id == "runbook"
    assert hits[0].heading == "Promotion gate"
    assert "pg_last_wal_replay_lsn" in hits[0].snippet


def _srt(lines: list[str]) -> str:
    cues = []
    for i, line in enumerate(lines):
        start, end = i * 10, i * 10 + 10
        cues.append(
            f"{i + 1}\n00:{start // 60:02d}:{start % 60:02d},000 --> "
            f"00:{end // 60:02d}:{end % 60:02d},000\n{line}\n"
        )
    return "\n".join(cues)


@pytest.mark.parametrize("mode", MODES)
def test_a_transcript_hit_points_at_its_moment(
    tmp_path: Path, fake_embedder: HashingEmbedder, mode: str
) -> None:
    filler = [
        f"Today we talk about topic number {i} and the weather and lunch plans." * 3
        for i in range(40)
    ]
    filler[25] = "The promotion gate checks pg_last_wal_replay_lsn before any failover."
    files = {"talks/long-talk.srt": _srt(filler)}
    settings = Settings(data_dir=tmp_path / "data")
    _ingest(settings, fake_embedder, _write(tmp_path / "content", files))
    searcher = Searcher(IndexSnapshot.open(settings.data_dir), fake_embedder.embed_query)
    top = searcher.search("pg_last_wal_replay_lsn promotion gate", mode=mode)[0]  # type: ignore[arg-type]
    assert top.start is not None and top.end is not None
    assert top.start <= 250 < top.end  # the cue at 4:10
    assert top.end - top.start < 120  # a moment, not the whole 400-second talk
    assert "pg_last_wal_replay_lsn" in top.snippet


def _consistent(settings: Settings) -> IndexSnapshot:
    """The catalog, the vectors and the keyword index hold exactly the same chunk ids."""
    snap = IndexSnapshot.open(settings.data_dir)
    ids = {r[0] for r in snap.cursor().execute("SELECT chunk_id FROM chunks").fetchall()}
    assert ids
    assert set(snap.vectors.ids().tolist()) == ids
    assert snap.keyword.ids() == ids
    return snap


def test_keyword_and_vector_indexes_agree_after_incremental_updates(
    settings: Settings, fake_embedder: HashingEmbedder, content_dir: Path
) -> None:
    _ingest(settings, fake_embedder, content_dir)
    _consistent(settings).close()
    dns = content_dir / "postmortems/2025-06-02-dns-ttl.md"
    text = dns.read_text().replace("decommissioned", "zanzibar_ttl_setting")
    dns.write_text(text, encoding="utf-8")
    (content_dir / "talks/2025-02-zero-downtime-migrations.md").unlink()
    _write(content_dir, {"talks/new.md": _note("talk-new", "talk", "Quokka", "quokka_mode on")})
    _ingest(settings, fake_embedder, content_dir)
    snap = _consistent(settings)
    searcher = Searcher(snap, fake_embedder.embed_query)
    found = searcher.search("zanzibar_ttl_setting", limit=3, mode="keyword")
    assert found[0].doc_id == "pm-2025-06-02-dns-ttl"
    assert searcher.search("decommissioned", mode="keyword") == []  # the old text is gone
    for mode in MODES:
        assert searcher.search("quokka_mode", limit=1, mode=mode)[0].doc_id == "talk-new"  # type: ignore[arg-type]
        gone = searcher.search("NOT VALID VALIDATE CONSTRAINT", mode=mode)  # type: ignore[arg-type]
        assert "talk-2025-02-zero-downtime-migrations" not in {h.doc_id for h in gone}


def test_empty_query_and_zero_limit_return_nothing(
    identifier_index: Searcher,
) -> None:
    assert identifier_index.search("   ") == []
    assert identifier_index.search("pool", limit=0) == []
    assert identifier_index.search("the of and", mode="keyword") == []


# --- the real model over the small content tree ---------------------------------------------


@pytest.fixture(scope="module")
def real_searcher(real_index, real_embedder) -> Searcher:  # type: ignore[no-untyped-def]
    settings, _ = real_index
    return Searcher(IndexSnapshot.open(settings.data_dir), real_embedder.embed_query)


@pytest.mark.parametrize(
    ("query", "doc_id", "modes"),
    [
        # an exact configuration key: keyword finds it, hybrid keeps it first
        ("max_standby_streaming_delay", "pm-2025-03-14-ledger-replica-lag", ("keyword", "hybrid")),
        ("pg_last_wal_replay_lsn", "pm-2025-03-14-ledger-replica-lag", ("keyword", "hybrid")),
        # a description of upcoming work, in other words than the document's
        (
            "we're moving our DNS provider and shortening TTLs",
            "pm-2025-06-02-dns-ttl",
            ("dense", "hybrid"),
        ),
        (
            "adding a foreign key to a big table without locking it",
            "talk-2025-02-zero-downtime-migrations",
            ("dense", "hybrid"),
        ),
    ],
)
def test_real_model_finds_identifiers_and_descriptions(
    real_searcher: Searcher, query: str, doc_id: str, modes: tuple[str, ...]
) -> None:
    for mode in modes:
        hits = real_searcher.search(query, limit=5, mode=mode)  # type: ignore[arg-type]
        assert hits and hits[0].doc_id == doc_id, (mode, [h.doc_id for h in hits])


@pytest.mark.parametrize("mode", MODES)
def test_real_model_points_at_the_moment_in_a_transcript(
    real_searcher: Searcher, mode: str
) -> None:
    query = "the drill refuses to promote unless replay lag is low"
    top = real_searcher.search(query, limit=3, mode=mode)[0]  # type: ignore[arg-type]
    assert top.doc_id == "showcase-2025-05-failover-drills"
    assert top.start is not None and top.end is not None
    assert top.start < 55.0 and top.end > 40.0  # the cue that says it
    assert "promote" in top.snippet


# --- filtered keyword search and moments, against brute force ---------------------------------


@pytest.fixture(scope="module")
def dated_index(tmp_path_factory: pytest.TempPathFactory) -> Searcher:
    """24 notes over two years, half tagged, a few undated; all about the same incident."""
    base = tmp_path_factory.mktemp("dated")
    files = {}
    for i in range(24):
        date = "" if i % 7 == 0 else f"date: 202{4 + i % 2}-{1 + i % 12:02d}-15\n"
        tags = "tags: [postgres]\n" if i % 2 else ""
        body = "replication lag failover " * (1 + i % 5) + f"note {i} on the ledger database."
        files[f"postmortems/p{i}.md"] = (
            f"---\nid: pm-{i}\ntitle: Incident {i}\n{date}{tags}---\n{body}\n"
        )
    settings = Settings(data_dir=base / "data")
    embedder = HashingEmbedder()
    _ingest(settings, embedder, _write(base / "content", files))
    return Searcher(IndexSnapshot.open(settings.data_dir), embedder.embed_query)


FILTERED = [
    SearchFilters(date_from=dt.date(2025, 2, 15)),  # both bounds are a document's date
    SearchFilters(date_to=dt.date(2024, 7, 15)),
    SearchFilters(facets={"tag": ("postgres",)}),
    SearchFilters(facets={"tag": ("postgres",)}, date_from=dt.date(2025, 1, 1)),
]


@pytest.mark.parametrize("hit_cost", [0, 10**9], ids=["post-filter", "term-set"])
@pytest.mark.parametrize("filters", FILTERED, ids=repr)
def test_filtered_keyword_search_equals_filtering_every_hit(
    dated_index: Searcher, filters: SearchFilters, hit_cost: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each way of filtering keyword hits (in tantivy, by term set, after the fact) is exact."""
    monkeypatch.setattr(search_module, "KEYWORD_HIT_COST", hit_cost)
    snap = dated_index.snapshot
    cur = snap.cursor()
    allowed = set(catalog.allowed_doc_ids(cur, filters))
    assert 0 < len(allowed) < 24
    doc_of = dict(cur.execute("SELECT chunk_id, doc_id FROM chunks").fetchall())
    every = snap.keyword.search("replication lag failover ledger", 1000)
    expected = [c for c, _ in every if doc_of[c] in allowed][:5]
    found = dated_index._keyword(
        "replication lag failover ledger",
        5,
        Allowed(*snap.table.allowed(cur, filters), filters),
    )
    assert [c for c, _ in found] == expected


def test_recording_hits_carry_several_moments_and_keywords_pick_them(
    tmp_path: Path, fake_embedder: HashingEmbedder
) -> None:
    """A talk's moments: up to three, non-overlapping, best first, the hit's span the first's;
    the keyword retriever finds a passage whose words the dense half barely sees."""
    filler = [f"w{i}a w{i}b w{i}c w{i}d w{i}e w{i}f" for i in range(30)]
    filler[7] = "sharded cache eviction explained " + filler[7]
    filler[21] = "sharded cache eviction again in production " + filler[21]
    settings = Settings(data_dir=tmp_path / "data", transcript_chunk_tokens=16)  # a cue each
    _ingest(settings, fake_embedder, _write(tmp_path / "content", {"talks/t.srt": _srt(filler)}))
    snap = IndexSnapshot.open(settings.data_dir)
    for mode in MODES:
        searcher = Searcher(snap, fake_embedder.embed_query)
        (hit,) = searcher.search("sharded cache eviction", limit=3, mode=mode)
        assert 1 <= len(hit.moments) <= 3
        assert (hit.start, hit.end) == (hit.moments[0].start, hit.moments[0].end)
        assert [m.score for m in hit.moments] == sorted(
            (m.score for m in hit.moments), reverse=True
        )
        spans = sorted((m.start, m.end) for m in hit.moments)
        assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:], strict=False))
        for said in (70.0, 210.0):  # both cues that say the terms are moments
            assert any(m.start <= said < m.end for m in hit.moments), (mode, spans)
        assert "moments" in hit.to_json() and len(hit.to_json()["moments"]) == len(hit.moments)
        assert set(hit.to_json()["moments"][0]) == {"start", "end", "speaker", "snippet", "score"}


def test_relevance_floor_keeps_close_meanings_and_what_says_the_query() -> None:
    from index.relevance import Evidence, FloorParams, coverage, matches

    floor = FloorParams(cosine=0.35, keyword_coverage=0.5, keyword_cosine=0.25, unknown_cosine=0.5)
    assert matches(Evidence(0.62, 0.0), floor)  # close in meaning
    assert matches(Evidence(0.30, 1.0), floor)  # says the identifier the model reads poorly
    assert not matches(Evidence(0.30, 0.4), floor)  # a common word or two, not the query
    assert not matches(Evidence(0.10, 1.0), floor)  # says the words, means something else
    assert matches(Evidence(None, 0.6), floor)  # keyword mode: words are all there is
    # No visible document uses a word of the query: only a very close meaning matches.
    assert not matches(Evidence(0.40, 0.0, known_words=False), floor)
    assert matches(Evidence(0.55, 0.0, known_words=False), floor)
    weights = {"replica": 2.0, "lag": 1.0, "the": 0.1}
    assert coverage(weights, ["replica", "lag"]) == pytest.approx(3.0 / 3.1)
    assert coverage(weights, ["the"]) == pytest.approx(0.1 / 3.1)
    assert coverage({}, ["x"]) == 0.0


def test_kept_windows_score_a_recording_as_computed_afresh() -> None:
    # The searcher keeps each recording's windows (bounds, Σv norms); every query must score
    # them exactly as windows computed for it would.
    rng = np.random.default_rng(11)
    vectors = rng.normal(size=(12, 8)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    params = MomentParams(width=3, count=3)
    kept = windows(len(vectors), params.width, vectors)
    for _ in range(5):
        query = rng.normal(size=8).astype(np.float32)
        query /= np.linalg.norm(query)
        dense = (vectors @ query).astype(np.float64)
        said = np.where(rng.random(12) > 0.6, rng.random(12) * 5, 0.0)
        assert choose(dense, said, vectors, params, kept) == choose(dense, said, vectors, params)
        fresh = window_scores(dense, said, vectors, params.width)
        for a, b in zip(
            window_scores(dense, said, vectors, params.width, kept), fresh, strict=True
        ):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    "text",
    [
        "Replica lag: the REPLICA-set replicas lagged; replication.lag grew (replica_lag).",
        "- promoted the replica\n- promotion failed\n1. repl broke",
        "İstanbul office: replica in İzmir",  # a capital whose lower case is longer
        "x" * 50 + " replica " + "y.replica replica-",
    ],
)
def test_snippet_words_are_those_starting_with_a_query_terms_prefix(text: str) -> None:
    terms = ["replica", "lag", "promot", "izmir"]
    _, matched = make_snippet(text, terms)
    prefixes = {t[:4] for t in terms}
    words = re.findall(r"[\w.\-]+", flatten(text))
    expected = [w for w in words if any(w.lower().startswith(p) for p in prefixes)]
    assert list(matched) == list(dict.fromkeys(expected))


def test_a_warmed_searcher_reads_no_rows_and_answers_the_same(
    identifier_index: Searcher, fake_embedder: HashingEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Warming reads a small archive's rows in one scan each; searches then read none one by
    # one, and answer exactly as a cold searcher of the same snapshot does.
    queries = ["innodb_flush_log_at_trx_commit", "pool exhausted", "payments ledger"]
    cold = Searcher(identifier_index.snapshot, fake_embedder.embed_query)
    expected = [cold.search(q) for q in queries]
    identifier_index.warm()
    assert len(identifier_index.chunk_rows) == len(identifier_index.snapshot.table)

    def no_reads(*args: object, **kwargs: object) -> None:
        raise AssertionError("a warmed searcher read rows one search at a time")

    monkeypatch.setattr(catalog, "chunks_by_id", no_reads)
    monkeypatch.setattr(catalog, "documents_by_id", no_reads)
    assert [identifier_index.search(q) for q in queries] == expected


def test_kept_windows_follow_a_change_of_moment_width() -> None:
    # Tuning runs (bench/moments_cv.py) change the width on a live searcher: windows kept for
    # another width must not answer.
    from types import SimpleNamespace

    rng = np.random.default_rng(3)
    vectors = rng.normal(size=(6, 4)).astype(np.float32)
    passages = np.arange(6, dtype=np.int64)
    snapshot = SimpleNamespace(vectors=SimpleNamespace(vectors_of=lambda ids: (ids, vectors)))
    searcher = Searcher(snapshot, lambda q: np.zeros(4, dtype=np.float32))  # type: ignore[arg-type]
    for width in (3, 1, 2):
        searcher.params = FusionParams(moments=MomentParams(width=width))
        kept = searcher._recording("talk", passages)
        assert kept is not None
        spans = kept[1].bounds[:, 1] - kept[1].bounds[:, 0] + 1
        assert int(spans.max()) == width
