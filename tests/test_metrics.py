"""Metric code against cases worked out by hand, and the evaluation harness end to end."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from bench.eval import main, moment_ids, moment_metrics
from bench.eval_data import Moment, Query
from bench.metrics import (
    dcg,
    hit_at_k,
    mean,
    mrr_at_k,
    ndcg_at_k,
    recall_at_k,
    reciprocal_rank,
)
from index.models import SearchHit

LOG2_3 = math.log2(3)


def test_dcg_discounts_by_log2_of_rank_plus_one() -> None:
    # 3/1 + 2/log2(3) + 0 + 1/log2(5)
    assert dcg([3, 2, 0, 1]) == pytest.approx(3 + 2 / LOG2_3 + 1 / math.log2(5))
    assert dcg([]) == 0


@pytest.mark.parametrize(
    ("ranked", "relevant", "k", "expected"),
    [
        (["a", "b", "c"], {"a": 1}, 10, 1.0),  # the one relevant item first
        (["b", "a"], {"a": 1}, 10, 1 / LOG2_3),  # second: 1/log2(3) over ideal 1
        (["b", "a"], {"a": 1}, 1, 0.0),  # cut off before it
        # graded: DCG 2 + 0 + 1/2 = 2.5; ideal [2, 1, 1] = 2 + 1/log2(3) + 1/2
        (["a", "b", "c"], {"a": 2, "c": 1, "d": 1}, 10, 2.5 / (2.5 + 1 / LOG2_3)),
        # the better-graded item second: (1 + 2/log2(3)) / (2 + 1/log2(3))
        (["c", "a"], {"a": 2, "c": 1}, 10, (1 + 2 / LOG2_3) / (2 + 1 / LOG2_3)),
        # the ideal list is cut at k too: one slot, best grade 2, we put a grade-1 there
        (["c", "a"], {"a": 2, "c": 1}, 1, 0.5),
        (["x", "y"], {"a": 1}, 10, 0.0),
        (["a"], {}, 10, 0.0),  # no judgements: 0 rather than a division by zero
        (["a", "b"], {"a": 0, "b": 1}, 10, 1 / LOG2_3),  # grade 0 is not relevant
    ],
)
def test_ndcg(ranked: list[str], relevant: dict[str, int], k: int, expected: float) -> None:
    assert ndcg_at_k(ranked, relevant, k) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("ranked", "relevant", "k", "expected"),
    [
        (["a", "b", "c"], {"a": 1, "c": 2, "d": 1}, 10, 2 / 3),
        (["a", "b", "c"], {"a": 1, "c": 2, "d": 1}, 2, 1 / 3),
        (["a"], {"a": 0, "b": 1}, 10, 0.0),
        ([], {"a": 1}, 10, 0.0),
        (["a"], {}, 10, 0.0),
    ],
)
def test_recall(ranked: list[str], relevant: dict[str, int], k: int, expected: float) -> None:
    assert recall_at_k(ranked, relevant, k) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("ranked", "relevant", "k", "expected"),
    [
        (["a", "b"], {"a": 1}, 10, 1.0),
        (["x", "y", "b", "a"], {"a": 2, "b": 1}, 10, 1 / 3),  # first relevant of any grade
        (["x", "y", "b"], {"b": 1}, 2, 0.0),
        (["x"], {"x": 0}, 10, 0.0),
    ],
)
def test_mrr(ranked: list[str], relevant: dict[str, int], k: int, expected: float) -> None:
    assert mrr_at_k(ranked, relevant, k) == pytest.approx(expected)


def test_reciprocal_rank_and_hit_at_k_on_hit_flags() -> None:
    flags = [False, False, True, False, True]
    assert reciprocal_rank(flags) == pytest.approx(1 / 3)
    assert reciprocal_rank(flags, k=2) == 0.0
    assert hit_at_k(flags, 1) == 0.0
    assert hit_at_k(flags, 3) == 1.0
    assert hit_at_k([], 5) == 0.0


def test_mean_over_queries() -> None:
    assert mean([1.0, 0.0, 0.5]) == pytest.approx(0.5)
    assert mean([]) == 0.0
    assert mean(x for x in (0.25, 0.75)) == pytest.approx(0.5)


# --- transcript moments: a hit counts when it names the file and overlaps the window ----------


def _hit(path: str, start: float | None, end: float | None) -> SearchHit:
    return SearchHit(
        doc_id=path,
        path=path,
        kind="talk",
        title="",
        score=0.0,
        snippet="",
        chunk_id=0,
        start=start,
        end=end,
    )


def test_moment_ids_match_file_and_overlapping_window() -> None:
    judged = [
        Moment("a.srt", 60.0, 90.0, 2),
        Moment("a.srt", 80.0, 120.0, 1),
        Moment("b.srt", 0.0, 30.0, 1),
    ]
    hits = [
        _hit("talks/a.srt", 85.0, 100.0),  # overlaps both a-windows: the grade-2 one first
        _hit("x/a.srt", 100.0, 110.0),  # the grade-2 window is taken: the grade-1 one
        _hit("a.srt", 30.0, 60.0),  # touches 60 but does not overlap
        _hit("c.srt", 0.0, 30.0),  # wrong file
        _hit("b.srt", None, None),  # no time span
        _hit("b.srt", 29.0, 45.0),
    ]
    assert moment_ids(hits, judged) == [
        "a.srt@60-90",
        "a.srt@80-120",
        "",
        "",
        "",
        "b.srt@0-30",
    ]


def test_moment_metrics_by_hand() -> None:
    judged = (Moment("a.srt", 60.0, 90.0, 2), Moment("b.srt", 0.0, 30.0, 1))
    query = Query("q", "text", {m.key: m.grade for m in judged}, judged)
    hits = [_hit("z.srt", 0.0, 10.0), _hit("b.srt", 5.0, 10.0), _hit("a.srt", 70.0, 80.0)]
    scores = moment_metrics(hits, query)
    assert scores["hit@1"] == 0.0
    assert scores["hit@5"] == 1.0
    assert scores["MRR@10"] == pytest.approx(1 / 2)
    assert scores["Recall@10"] == pytest.approx(1.0)
    # DCG 1/log2(3) + 2/log2(4); ideal 2 + 1/log2(3)
    assert scores["nDCG@10"] == pytest.approx((1 / LOG2_3 + 1) / (2 + 1 / LOG2_3))


# --- the harness end to end ------------------------------------------------------------------


def test_harness_skips_cleanly_without_shared(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--shared", str(tmp_path / "absent")]) == 0
    assert "skipped" in capsys.readouterr().out


def test_harness_on_a_tiny_beir_set(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """BEIR files → Markdown notes → the real ingest and model → doc ids → metrics."""
    root = tmp_path / "shared" / "benchmarks" / "scifact"
    (root / "qrels").mkdir(parents=True)
    docs = {
        "d1": ("Vitamin D and bone density", "Vitamin D supplements raise bone mineral density."),
        "d2": (
            "Statins and muscle pain",
            "Statin therapy is linked to muscle pain in some patients.",
        ),
        "d3": ("Sleep and memory", "Deep sleep consolidates memories formed during the day."),
    }
    (root / "corpus.jsonl").write_text(
        "".join(json.dumps({"_id": k, "title": t, "text": x}) + "\n" for k, (t, x) in docs.items())
    )
    (root / "queries.jsonl").write_text(
        json.dumps({"_id": "q1", "text": "statins cause muscle pain"})
        + "\n"
        + json.dumps({"_id": "q2", "text": "sleep helps memory"})
        + "\n"
    )
    (root / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td2\t1\nq2\td3\t1\n")
    args = [
        "--shared",
        str(tmp_path / "shared"),
        "--sets",
        "scifact",
        "--quiet",
        "--data-dir",
        str(tmp_path / "bench"),
        "--json",
        str(tmp_path / "out.json"),
    ]
    assert main(args) == 0
    assert "| scifact | nDCG@10 | 1.000 | 1.000 | 1.000 |" in capsys.readouterr().out
    results = json.loads((tmp_path / "out.json").read_text())
    assert {r["mode"] for r in results} == {"dense", "keyword", "hybrid"}
    assert results[0]["per_query"]["q1"]["MRR@10"] == 1.0
