"""`python -m bench.radar_eval`: the duplicate-effort radar's similarity floor, on judged plan pairs.

The plans (bench/judgements/radar_plans.yaml) were written by hand and grouped by reading them:
two plans of one topic are similar (the same work by two teams), two of different topics are
unrelated; topics of one family share a system or vocabulary (the hard negatives). Each way of
scoring a pair is the product's (circulation.radar) or a variant of it; the floor is chosen on
folds by family: for each fold, the floor that maximises F1 on the pairs of the other folds (dev)
is judged on the pairs inside the fold (held out). Both are reported, with the hard negatives
(same family, other topic) apart.

Examples:
  python -m bench.radar_eval
  python -m bench.radar_eval --folds 4 --json bench/results/radar.json
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

from circulation import radar
from circulation.brief import passages
from index.embedder import SentenceTransformerEmbedder
from index.settings import Settings

PLANS = Path(__file__).parent / "judgements" / "radar_plans.yaml"
Matrix = np.ndarray


@dataclass(frozen=True)
class Plan:
    topic: str
    family: str
    team: str
    text: str


@dataclass(frozen=True)
class Pair:
    a: int
    b: int
    similar: bool
    hard: bool  # same family, other topic


def load(path: Path = PLANS) -> list[Plan]:
    topics = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [
        Plan(t["topic"], t["family"], p["team"], p["text"].strip())
        for t in topics
        for p in t["plans"]
    ]


def pairs(plans: Sequence[Plan]) -> list[Pair]:
    """Every pair of plans by two different teams (a team's own plans never match)."""
    out = []
    for i, j in itertools.combinations(range(len(plans)), 2):
        a, b = plans[i], plans[j]
        if a.team == b.team:
            continue
        out.append(Pair(i, j, a.topic == b.topic, a.family == b.family and a.topic != b.topic))
    return out


def folds(plans: Sequence[Plan], k: int) -> list[set[str]]:
    """Families dealt round robin into K folds, in order of first appearance."""
    families = list(dict.fromkeys(p.family for p in plans))
    return [set(families[n::k]) for n in range(k)]


# -- ways to score a pair ---------------------------------------------------------------------


def _unit(v: np.ndarray) -> np.ndarray:
    return v / (np.linalg.norm(v) or 1.0)


def whole(m: Matrix, n: Matrix) -> float:
    """The first passage only (what one query embedding of the plan would see)."""
    return float(_unit(m[0]) @ _unit(n[0]))


def mean(m: Matrix, n: Matrix) -> float:
    return float(_unit(m.mean(axis=0)) @ _unit(n.mean(axis=0)))


def best(m: Matrix, n: Matrix) -> float:
    return float((m @ n.T).max())


SCORERS: dict[str, Callable[[Matrix, Matrix], float]] = {
    "product (circulation.radar.similarity)": radar.similarity,
    "first passage only": whole,
    "mean of passages": mean,
    "best passage pair": best,
}


# -- choosing and judging a floor ---------------------------------------------------------------


def confusion(
    scores: Sequence[float], labels: Sequence[bool], floor: float
) -> tuple[int, int, int]:
    tp = sum(s >= floor and y for s, y in zip(scores, labels, strict=True))
    fp = sum(s >= floor and not y for s, y in zip(scores, labels, strict=True))
    fn = sum(s < floor and y for s, y in zip(scores, labels, strict=True))
    return tp, fp, fn


def f1(tp: int, fp: int, fn: int) -> float:
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def choose(scores: Sequence[float], labels: Sequence[bool]) -> float:
    """The floor with the best F1; among ties the highest (fewer alarms)."""
    candidates = np.round(np.arange(0.30, 0.951, 0.01), 2)
    return float(max(candidates, key=lambda t: (f1(*confusion(scores, labels, t)), t)))


def report(name: str, scores: list[float], labels: list[bool], hard: list[bool], floor: float):
    tp, fp, fn = confusion(scores, labels, floor)
    hard_fp = sum(s >= floor and h for s, h in zip(scores, hard, strict=True))
    return {
        "set": name,
        "floor": floor,
        "pairs": len(scores),
        "similar": sum(labels),
        "precision": round(tp / (tp + fp), 3) if tp + fp else None,
        "recall": round(tp / (tp + fn), 3) if tp + fn else None,
        "f1": round(f1(tp, fp, fn), 3),
        "false_alarms": fp,
        "hard_negatives": sum(hard),
        "hard_false_alarms": hard_fp,
    }


def evaluate(
    plans: Sequence[Plan], matrices: Sequence[Matrix], scorer: Callable, k: int
) -> dict[str, object]:
    every = pairs(plans)
    score = {(p.a, p.b): scorer(matrices[p.a], matrices[p.b]) for p in every}
    dev_rows, held_rows = [], []
    held: tuple[list[float], list[bool], list[bool]] = ([], [], [])
    dev: tuple[list[float], list[bool], list[bool]] = ([], [], [])
    for fold in folds(plans, k):
        inside = [p for p in every if {plans[p.a].family, plans[p.b].family} <= fold]
        outside = [p for p in every if not {plans[p.a].family, plans[p.b].family} & fold]
        s_out = [score[(p.a, p.b)] for p in outside]
        floor = choose(s_out, [p.similar for p in outside])
        dev_rows.append(
            report("dev", s_out, [p.similar for p in outside], [p.hard for p in outside], floor)
        )
        for p in outside:
            dev[0].append(score[(p.a, p.b)] - floor)
            dev[1].append(p.similar)
            dev[2].append(p.hard)
        for p in inside:  # each held-out pair judged against its own fold's floor
            held[0].append(score[(p.a, p.b)] - floor)
            held[1].append(p.similar)
            held[2].append(p.hard)
        held_rows.append(
            report(
                "held out",
                [score[(p.a, p.b)] for p in inside],
                [p.similar for p in inside],
                [p.hard for p in inside],
                floor,
            )
        )
    all_scores = [score[(p.a, p.b)] for p in every]
    labels = [p.similar for p in every]
    final = choose(all_scores, labels)
    positives = sorted(s for s, y in zip(all_scores, labels, strict=True) if y)
    negatives = sorted(s for s, y in zip(all_scores, labels, strict=True) if not y)
    return {
        "folds": [{"dev": d, "held_out": h} for d, h in zip(dev_rows, held_rows, strict=True)],
        "dev (pooled)": report("dev", *dev, 0.0),
        "held out (pooled)": report("held out", *held, 0.0),
        "floor on every pair": final,
        "all pairs at that floor": report(
            "all", all_scores, labels, [p.hard for p in every], final
        ),
        "similar pairs: lowest, median": [
            round(positives[0], 3),
            round(float(np.median(positives)), 3),
        ],
        "unrelated pairs: highest, 99th percentile": [
            round(negatives[-1], 3),
            round(float(np.percentile(negatives, 99)), 3),
        ],
    }


def raw_vectors(plan: str, embed: Callable[[str], np.ndarray], count) -> Matrix:
    """The whole plan's passages, boilerplate sections included (what the gist leaves out)."""
    parts = passages(plan, count) or [plan]
    rows = np.stack([np.asarray(embed(p), dtype=np.float32) for p in parts])
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--folds", type=int, default=4)
    parser.add_argument("--json", type=Path, help="write every figure here too")
    args = parser.parse_args(argv)
    embedder = SentenceTransformerEmbedder(Settings())
    plans = load()
    texts = {
        "gist (boilerplate sections left out)": [
            radar.plan_vectors(p.text, embedder.embed_query, embedder.count_tokens) for p in plans
        ],
        "whole text": [
            raw_vectors(p.text, embedder.embed_query, embedder.count_tokens) for p in plans
        ],
    }
    every = pairs(plans)
    out: dict[str, object] = {
        "plans": len(plans),
        "topics": len({p.topic for p in plans}),
        "families": len({p.family for p in plans}),
        "pairs": len(every),
        "similar pairs": sum(p.similar for p in every),
        "hard negatives": sum(p.hard for p in every),
        "model": embedder.model_id,
        "variants": {},
    }
    print(
        "| text | score | floors chosen (dev) | dev P / R / F1 | held-out P / R / F1 | "
        "held-out false alarms (hard) |"
    )
    print("|---|---|---|---|---|---|")
    for text, matrices in texts.items():
        for name, scorer in SCORERS.items():
            r = evaluate(plans, matrices, scorer, args.folds)
            out["variants"][f"{text} · {name}"] = r  # type: ignore[index]
            d, h = r["dev (pooled)"], r["held out (pooled)"]  # type: ignore[index]
            floors = ", ".join(f"{f['dev']['floor']:.2f}" for f in r["folds"])  # type: ignore[index]
            print(
                f"| {text} | {name} | {floors} | {d['precision']} / {d['recall']} / {d['f1']} | "
                f"{h['precision']} / {h['recall']} / {h['f1']} | "
                f"{h['false_alarms']} ({h['hard_false_alarms']}) |"
            )
    product = texts["gist (boilerplate sections left out)"]
    scored = sorted(
        ((radar.similarity(product[p.a], product[p.b]), p) for p in every), key=lambda x: -x[0]
    )
    final = choose([s for s, _ in scored], [p.similar for _, p in scored])
    out["product floor (every pair)"] = final
    out["highest unrelated pairs"] = [
        f"{s:.3f} {plans[p.a].topic} ({plans[p.a].team}) / {plans[p.b].topic} ({plans[p.b].team})"
        for s, p in scored
        if not p.similar
    ][:8]
    out["lowest similar pairs"] = [
        f"{s:.3f} {plans[p.a].topic} ({plans[p.a].team} / {plans[p.b].team})"
        for s, p in reversed(scored)
        if p.similar
    ][:8]
    print(f"\nproduct floor on every pair: {final:.2f}")
    for key in ("highest unrelated pairs", "lowest similar pairs"):
        print(f"\n{key}:")
        for line in out[key]:  # type: ignore[attr-defined]
            print(f"  {line}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(out, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
