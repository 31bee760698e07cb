"""Similar incidents and recurrences against judged failure families (bench/judgements).

Two judged sets, both judged by reading the documents, never from system output:

- **real corpus**: ../shared/corpus/postmortems (242 public post-mortems; GPL, read in place),
  `similar_incidents.jsonl` (85 seeds, graded) and `failure_modes.jsonl` (one family each);
- **bundled organisation**: content/postmortems (22, front matter with root causes),
  `similar_incidents_content.jsonl` and `failure_modes_content.jsonl`. Never tuned on: it
  stands for "an organisation like content/ that we do not have".

Each is ingested with the product pipeline (incremental). On the real corpus, parameters are
chosen on k folds over *families* (a held-out fold's families, their seeds and their pairs are
never seen by its choice): ranking weights by nDCG@5, recurrence parameters by the pairwise
F0.5 of the clusters, then the "same" tier by its F0.5. Each fold's choice is scored on its
held-out fold; dev and held-out figures are reported apart, and the shipped defaults on both
sets as they are.

Examples:
  python -m bench.similar_eval --shared ../shared
  python -m bench.similar_eval --shared ../shared --folds 5 --repeats 2 --json bench/results/similar.json
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.metrics import mean, ndcg_at_k, recall_at_k
from index import incidents, recurrence
from index.access import Viewer
from index.archive import Archive
from index.failure_modes import ModeParams
from index.filters import SearchFilters
from index.incidents import IncidentSet, SimilarityParams, tuned
from index.models import Document

JUDGED = Path(__file__).parent / "judgements"
CONTENT = Path(__file__).parent.parent / "content"
LARKSPUR = Path(__file__).parent / "orgs" / "larkspur" / "postmortems"
K = 5
ORGS = 60  # simulated organisations per choice and per evaluation
RECUR_PRECISION = 0.8  # recurrences are chosen for recall at this precision, on every dev set
BETA = 0.5  # "likely the same" and recurrences should be right more than complete


@dataclass(frozen=True)
class Seed:
    doc_id: str
    relevant: dict[str, int]
    lookalikes: frozenset[str]
    family: str = ""


def load_seeds(path: Path) -> list[Seed]:
    out = []
    for line in path.read_text().splitlines():
        if line.strip():
            row = json.loads(line)
            out.append(
                Seed(
                    row["seed"],
                    row["relevant"],
                    frozenset(row.get("lookalikes", [])),
                    row.get("failure_mode", ""),
                )
            )
    return out


def load_families(path: Path) -> dict[str, str]:
    """Document id → judged failure family."""
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return {r.get("uuid") or r["doc_id"]: r["failure_mode"] for r in rows}


def family_seeds(families: dict[str, str]) -> list[Seed]:
    """Every document whose family has others, with those others as its grade-2 positives."""
    members: dict[str, list[str]] = {}
    for doc_id, family in families.items():
        members.setdefault(family, []).append(doc_id)
    return [
        Seed(d, {x: 2 for x in members[f] if x != d}, frozenset(), f)
        for d, f in sorted(families.items())
        if len(members[f]) > 1 and not f.startswith("undetermined")
    ]


# -- metrics ---------------------------------------------------------------------------------


def metrics(ranked: Sequence[str], seed: Seed) -> dict[str, float]:
    same = {d: 1 for d, g in seed.relevant.items() if g == 2}
    top = list(ranked[:K])
    return {
        "ndcg@5 (same)": ndcg_at_k(top, same, K),
        "recall@5 (same)": recall_at_k(top, same, K),
        "ndcg@5 (graded)": ndcg_at_k(top, seed.relevant, K),
        "recall@5 (same+related)": recall_at_k(top, seed.relevant, K),
        "look-alikes in top 5": sum(d in seed.lookalikes for d in top) / K,
    }


def averaged(rows: list[dict[str, float]]) -> dict[str, float]:
    return {name: mean(r[name] for r in rows) for name in rows[0]} if rows else {}


def ranking_of(iset: IncidentSet, doc_id: str) -> list[str]:
    i = iset.index_of(doc_id)
    assert i is not None, doc_id
    return [iset.profiles[j].doc_id for j, _ in incidents.ranked(iset, i)]


def panels(iset: IncidentSet, seeds: Sequence[Seed]) -> dict[str, incidents.SimilarPanel]:
    docs = {p.doc_id: p.doc for p in iset.profiles}
    return {s.doc_id: incidents.similar(iset, docs[s.doc_id], limit=K) for s in seeds}


def tier_metrics(iset: IncidentSet, seeds: Sequence[Seed]) -> dict[str, float]:
    """Precision of each tier against the judgements, and how often a panel is empty."""
    same_hits = same_n = rel_hits = rel_n = empty = wanted = 0
    for seed in seeds:
        panel = panels(iset, [seed])[seed.doc_id]
        same_n += len(panel.same)
        same_hits += sum(seed.relevant.get(s.doc.doc_id, 0) == 2 for s in panel.same)
        rel_n += len(panel.related)
        rel_hits += sum(seed.relevant.get(s.doc.doc_id, 0) >= 1 for s in panel.related)
        empty += not panel.items
        wanted += min(K, sum(g == 2 for g in seed.relevant.values()))
    p = same_hits / same_n if same_n else 0.0
    r = same_hits / wanted if wanted else 0.0
    return {
        "same-tier precision (grade 2)": p,
        "same-tier recall (grade 2, of up to 5)": r,
        "same-tier F0.5": f_beta(p, r),
        "same-tier items per seed": same_n / len(seeds),
        "related-tier precision (grade ≥1)": rel_hits / rel_n if rel_n else 0.0,
        "seeds with an empty panel": empty / len(seeds),
    }


def f_beta(p: float, r: float, beta: float = BETA) -> float:
    b2 = beta * beta
    return (1 + b2) * p * r / (b2 * p + r) if p + r else 0.0


def evaluate(iset: IncidentSet, seeds: Sequence[Seed]) -> dict[str, float]:
    if not seeds:
        return {}
    rows = averaged([metrics(ranking_of(iset, s.doc_id), s) for s in seeds])
    return rows | tier_metrics(iset, seeds)


def related_pairs(seeds: Iterable[Seed]) -> set[frozenset[str]]:
    """Pairs a judge graded "possibly related" (1) for a seed: neighbouring mechanisms."""
    return {frozenset((s.doc_id, d)) for s in seeds for d, g in s.relevant.items() if g == 1}


def cluster_pairs(
    iset: IncidentSet,
    families: dict[str, str],
    counted: Iterable[str] | None = None,
    related: set[frozenset[str]] | None = None,
) -> tuple[int, int, int]:
    """(true, false, missed) same-family pairs of the recurrence clusters.

    With COUNTED, only pairs whose both members are in it for true and missed pairs, and pairs
    touching it for false ones (a held-out fold's view of clusters built over everything).
    Pairs in RELATED (judged "possibly related") count as neither true nor false.
    """
    found = recurrence.clusters(iset)
    cluster_of = {d: n for n, c in enumerate(found) for d in c.doc_ids}
    ids = [p.doc_id for p in iset.profiles if p.doc_id in families]
    inside = set(ids if counted is None else counted)
    tp = fp = fn = 0
    for a, b in itertools.combinations(ids, 2):
        both, either = a in inside and b in inside, a in inside or b in inside
        together = a in cluster_of and cluster_of.get(a) == cluster_of.get(b)
        same = families[a] == families[b]
        tp += together and same and both
        fp += together and not same and either and frozenset((a, b)) not in (related or ())
        fn += same and not together and both
    return tp, fp, fn


def cluster_metrics(
    iset: IncidentSet, families: dict[str, str], counted: Iterable[str] | None = None
) -> dict[str, float]:
    """Pairwise precision/recall (and ARI over everything) of the clusters against families."""
    tp, fp, fn = cluster_pairs(iset, families, counted)
    found = recurrence.clusters(iset)
    cluster_of = {d: n for n, c in enumerate(found) for d in c.doc_ids}
    ids = [p.doc_id for p in iset.profiles if p.doc_id in families]
    labels = {d: cluster_of.get(d, -1 - i) for i, d in enumerate(ids)}  # singletons: own
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return {
        "clusters": float(len(found)),
        "clustered documents": float(len(cluster_of)),
        "pairwise precision": p,
        "pairwise recall": r,
        "pairwise F0.5": f_beta(p, r),
        "ARI": ari([labels[d] for d in ids], [families[d] for d in ids]),
    }


def ari(a: Sequence[Any], b: Sequence[Any]) -> float:
    """Adjusted Rand index of two labelings of the same items."""
    from math import comb

    pairs: dict[tuple[Any, Any], int] = {}
    for x, y in zip(a, b, strict=True):
        pairs[(x, y)] = pairs.get((x, y), 0) + 1
    rows: dict[Any, int] = {}
    cols: dict[Any, int] = {}
    for (x, y), n in pairs.items():
        rows[x] = rows.get(x, 0) + n
        cols[y] = cols.get(y, 0) + n
    index = sum(comb(n, 2) for n in pairs.values())
    sum_a = sum(comb(n, 2) for n in rows.values())
    sum_b = sum(comb(n, 2) for n in cols.values())
    expected = sum_a * sum_b / comb(len(a), 2)
    top = (sum_a + sum_b) / 2
    return (index - expected) / (top - expected) if top != expected else 0.0


def simulated_orgs(
    families: dict[str, str], allowed: set[str], count: int, rng: random.Random
) -> list[list[str]]:
    """COUNT organisations drawn from the ALLOWED families, shaped like a company's archive.

    Each holds 3–6 recurring failure modes of 2–3 incidents and 12–20 one-off incidents (one
    document of another family each): pair recall and precision on these read like they would
    on an organisation's own post-mortems, not on 13-member families of a public collection.
    """
    members: dict[str, list[str]] = {}
    for doc_id, family in sorted(families.items()):
        if family in allowed and not family.startswith("undetermined"):
            members.setdefault(family, []).append(doc_id)
    names = sorted(members)
    recurring = [f for f in names if len(members[f]) >= 2]
    orgs = []
    for _ in range(count):
        picked = rng.sample(recurring, min(len(recurring), rng.randint(3, 6)))
        docs = [
            d
            for f in picked
            for d in rng.sample(members[f], min(len(members[f]), rng.randint(2, 3)))
        ]
        others = [f for f in names if f not in picked]
        singles = rng.sample(others, min(len(others), rng.randint(12, 20)))
        docs += [rng.choice(members[f]) for f in singles]
        orgs.append(sorted(docs))
    return orgs


def org_clusters(
    base: IncidentSet,
    families: dict[str, str],
    orgs: Sequence[Sequence[str]],
    related: set[frozenset[str]] | None = None,
) -> dict[str, float]:
    """Pairwise precision and recall of the recurrences found inside each simulated org.

    With RELATED, also the precision when pairs judged "possibly related" are not counted
    as false (the public collection's families are coarse, and one per document).
    """
    tp = fp = fn = lenient_fp = 0
    precisions: list[float] = []
    recalls: list[float] = []
    for org in orgs:
        sub = base.subset([i for i in map(base.index_of, org) if i is not None])
        a, b, c = cluster_pairs(sub, families)
        tp, fp, fn = tp + a, fp + b, fn + c
        if related:
            lenient_fp += cluster_pairs(sub, families, related=related)[1]
        if a + b:
            precisions.append(a / (a + b))
        recalls.append(a / (a + c) if a + c else 0.0)
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    lenient = tp / (tp + lenient_fp) if tp + lenient_fp else 0.0
    return {
        "pairwise precision (pooled)": p,
        "pairwise precision, judged-related pairs not counted": lenient if related else p,
        "pairwise recall (pooled)": r,
        "precision per org (mean, orgs with clusters)": mean(precisions),
        "recall per org (mean)": mean(recalls),
        "orgs with any cluster": len(precisions) / max(1, len(orgs)),
    }


def precise_recall(stats: dict[str, float], floor: float) -> float:
    """Recall when precision reaches FLOOR; below it, a penalty that still prefers precision.

    Precision here does not count pairs the judge called "possibly related" as false.
    """
    p = (
        stats.get("pairwise precision, judged-related pairs not counted")
        or stats["pairwise precision (pooled)"]
    )
    r = stats["pairwise recall (pooled)"]
    return r if p >= floor else p - 1.0


# -- choosing parameters on dev folds --------------------------------------------------------

# Where the staged search starts: the values the design was first run with.
START = SimilarityParams(
    modes=0.3,
    cause=0.3,
    whole=0.15,
    tags=0.15,
    floor=0.1,
    same=0.24,
    related=0.168,
    gate=0.5,
    recur_score=0.3,
    recur_gate=0.3,
    recur_cause=1.01,
    twin_score=0.5,
    twin_gate=0.6,
    mode=ModeParams(
        words=0.5, cause_words=0.5, meaning=3.0, meaning_floor=0.3, claim=1.0, margin=0.15, most=2
    ),
)
GRID_MODE = [
    {"mode_words": w, "mode_cause_words": c, "mode_meaning": m, "mode_meaning_floor": f}
    for w, c, m, f in itertools.product((0.25, 0.5), (0.25, 0.5, 1.0), (2.0, 3.0, 4.0), (0.25, 0.3))
]
GRID_WEIGHTS = [
    {"modes": m, "cause": c, "whole": w, "tags": t, "floor": f}
    for m, c, w, t, f in itertools.product(
        (0.15, 0.3, 0.45), (0.15, 0.3, 0.45), (0.0, 0.15, 0.3), (0.0, 0.08, 0.15), (0.0, 0.1, 0.2)
    )
]
GRID_RECUR = [
    {"recur_score": s, "recur_gate": g, "mode_claim": c, "mode_margin": m}
    for s, g, c, m in itertools.product(
        (0.3, 0.35, 0.4, 0.45, 0.5), (0.2, 0.3, 0.4), (0.75, 1.0, 1.5), (0.1, 0.2, 0.3)
    )
]
GRID_TWIN = [
    {"twin_gate": g, "twin_score": s, "recur_cause": c}
    for g, s, c in itertools.product((0.55, 0.6, 0.7, 1.01), (0.4, 0.5, 0.6), (0.4, 0.5, 0.6, 1.01))
]
GRID_TIERS = [
    {"same": s, "related": s * 0.7, "gate": g}
    for s, g in itertools.product(
        (0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5), (0.3, 0.4, 0.5, 0.6, 0.7, 1.01)
    )
]


def best(
    base: IncidentSet,
    start: SimilarityParams,
    grid: Sequence[dict[str, Any]],
    score: Callable[[IncidentSet], float],
) -> SimilarityParams:
    """The point of GRID (changes to START) that SCORE rates highest; the first on ties."""
    top: tuple[float, SimilarityParams] | None = None
    for changes in grid:
        params = tuned(start, **changes)
        value = score(base.with_params(params))
        if top is None or value > top[0] + 1e-9:
            top = (value, params)
    assert top is not None
    return top[1]


@dataclass(frozen=True)
class DevOrg:
    """A judged organisation used for choosing recurrence parameters (a dev set)."""

    incidents: IncidentSet
    families: dict[str, str]


def choose(
    base: IncidentSet,
    seeds: Sequence[Seed],
    families: dict[str, str],
    dev: set[str],
    org: DevOrg | None = None,
) -> SimilarityParams:
    """Parameters chosen on the DEV families (their seeds, simulated organisations of them)
    and, for recurrences, on ORG too: recall where every dev set keeps RECUR_PRECISION."""
    dev_seeds = [s for s in seeds if s.family in dev]
    orgs = simulated_orgs(families, dev, ORGS, random.Random(7))
    related = related_pairs(dev_seeds)

    def ranking(iset: IncidentSet) -> float:
        return mean(metrics(ranking_of(iset, s.doc_id), s)["ndcg@5 (same)"] for s in dev_seeds)

    def clustering(iset: IncidentSet) -> float:
        value = precise_recall(org_clusters(iset, families, orgs, related), RECUR_PRECISION)
        if org is None:
            return value
        own = cluster_metrics(org.incidents.with_params(iset.params), org.families)
        stats = {
            "pairwise precision (pooled)": own["pairwise precision"],
            "pairwise recall (pooled)": own["pairwise recall"],
        }
        mine = precise_recall(stats, RECUR_PRECISION)
        return value + mine if min(value, mine) >= 0 else min(value, mine) - 1.0

    def tiers(iset: IncidentSet) -> float:
        return tier_metrics(iset, dev_seeds)["same-tier F0.5"]

    params = best(base, START, GRID_MODE, ranking)
    params = best(base, params, GRID_WEIGHTS, ranking)
    params = best(base, params, GRID_RECUR, clustering)
    params = best(base, params, GRID_TWIN, clustering)
    return best(base, params, GRID_TIERS, tiers)


def family_folds(families: dict[str, str], k: int, rng: random.Random) -> list[set[str]]:
    names = sorted(set(families.values()))
    rng.shuffle(names)
    return [set(names[i::k]) for i in range(k)]


# -- running ---------------------------------------------------------------------------------


def old_query(doc: Document) -> str:
    """The query the first similar_incidents made of a post-mortem."""
    tags = [str(t) for t in doc.metadata.get("tags") or []]
    return " ".join([doc.title, *tags, str(doc.metadata.get("root_cause") or "")])


def baselines(archive: Archive, seeds: Sequence[Seed]) -> dict[str, dict[str, float]]:
    pm = SearchFilters(kinds=("postmortem",))
    runs: dict[str, Callable[[Document], list[str]]] = {
        "old similar_incidents (search)": lambda d: [
            h.doc_id for h in archive.search(old_query(d), pm, limit=K + 1) if h.doc_id != d.doc_id
        ],
        "more_like": lambda d: [h.doc_id for h in archive.more_like(d.doc_id, pm, limit=K)[1]],
    }
    out = {}
    for name, run in runs.items():
        rows = []
        for seed in seeds:
            doc = archive.document(seed.doc_id)
            assert doc is not None, seed.doc_id
            rows.append(metrics(run(doc), seed))
        out[name] = averaged(rows)
    return out


def open_set(data_dir: Path, roots: list[Path], quiet: bool) -> tuple[Archive, float]:
    """Ingest ROOTS into DATA_DIR (incremental) and open it as an operator who sees everything."""
    from bench.eval import build
    from index.embedder import SentenceTransformerEmbedder
    from index.opener import open_archive
    from index.settings import Settings

    settings = Settings(data_dir=data_dir)
    embedder = SentenceTransformerEmbedder(settings)
    build(data_dir, roots, embedder, quiet)
    archive = open_archive(settings, Viewer.everything(), embedder)
    started = time.perf_counter()
    archive.incident_set()
    return archive, time.perf_counter() - started


def labels_of(iset: IncidentSet) -> list[dict[str, Any]]:
    return [{"label": c.label, "members": list(c.doc_ids)} for c in recurrence.clusters(iset)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.similar_eval",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--shared", type=Path, default=Path("../shared"))
    parser.add_argument("--data-dir", type=Path, default=Path(".hindsight-bench/similar"))
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=1, help="k-fold repeats (seeded shuffles)")
    parser.add_argument("--no-tuning", action="store_true", help="shipped defaults only")
    parser.add_argument("--json", type=Path, help="write the figures here too")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)

    out: dict[str, Any] = {}
    orgs: dict[str, DevOrg] = {}
    for name, root, judged, role in (
        ("bundled organisation", CONTENT / "postmortems", "content", "held out: never tuned on"),
        ("Larkspur Health", LARKSPUR, "larkspur", "dev: recurrence parameters are chosen on it"),
    ):
        archive_, load_s = open_set(args.data_dir / judged, [root], args.quiet)
        iset = archive_.incident_set()
        org_seeds = load_seeds(JUDGED / f"similar_incidents_{judged}.jsonl")
        org_families = load_families(JUDGED / f"failure_modes_{judged}.jsonl")
        orgs[judged] = DevOrg(iset, org_families)
        out[name] = {
            "role": role,
            "documents": len(iset),
            "seeds": len(org_seeds),
            "incident set load (s)": round(load_s, 2),
            "ranking and tiers (defaults)": evaluate(iset, org_seeds),
            "clusters (defaults)": cluster_metrics(iset, org_families),
            "labels": labels_of(iset),
        }

    corpus_dir = args.shared / "corpus" / "postmortems"
    if not corpus_dir.is_dir():
        print(f"{corpus_dir} not found: real-corpus figures skipped", file=sys.stderr)
        print(json.dumps(out, indent=2, default=str))
        return 0
    archive, load_s = open_set(args.data_dir / "data", [corpus_dir], args.quiet)
    seeds = load_seeds(JUDGED / "similar_incidents.jsonl")
    families = load_families(JUDGED / "failure_modes.jsonl")
    by_family = family_seeds(families)
    base = archive.incident_set()
    real: dict[str, Any] = {
        "documents": len(base),
        "seeds": len(seeds),
        "family seeds": len(by_family),
        "incident set load (s)": round(load_s, 2),
        "baselines": baselines(archive, seeds),
        "defaults": evaluate(base, seeds),
        "defaults, family seeds": {
            "ndcg@5 (same)": mean(
                metrics(ranking_of(base, s.doc_id), s)["ndcg@5 (same)"] for s in by_family
            )
        },
        "clusters (defaults)": cluster_metrics(base, families),
        "simulated organisations (defaults)": org_clusters(
            base,
            families,
            simulated_orgs(families, set(families.values()), ORGS, random.Random(3)),
            related_pairs(seeds),
        ),
    }
    if not args.no_tuning:
        dev_rows: list[dict[str, float]] = []
        held_rows: list[dict[str, float]] = []
        dev_clusters: list[dict[str, float]] = []
        held_clusters: list[dict[str, float]] = []
        chosen = []
        fold_orgs: dict[str, list[dict[str, float]]] = {}
        for repeat in range(args.repeats):
            for held in family_folds(families, args.folds, random.Random(repeat)):
                dev = set(families.values()) - held
                params = choose(base, seeds, families, dev, orgs["larkspur"])
                chosen.append(params)
                tuned_set = base.with_params(params)
                dev_rows.append(evaluate(tuned_set, [s for s in seeds if s.family in dev]))
                held_rows.append(evaluate(tuned_set, [s for s in seeds if s.family in held]))
                dev_docs = [d for d, f in families.items() if f in dev]
                held_docs = [d for d, f in families.items() if f in held]
                rng = random.Random(1000 + repeat)
                dev_clusters.append(
                    cluster_metrics(tuned_set, families, dev_docs)
                    | org_clusters(
                        tuned_set,
                        families,
                        simulated_orgs(families, dev, ORGS, rng),
                        related_pairs(seeds),
                    )
                )
                held_clusters.append(
                    cluster_metrics(tuned_set, families, held_docs)
                    | org_clusters(
                        tuned_set,
                        families,
                        simulated_orgs(families, held, ORGS, rng),
                        related_pairs(seeds),
                    )
                )
                for judged, org in orgs.items():
                    fold_orgs.setdefault(judged, []).append(
                        evaluate(
                            org.incidents.with_params(params),
                            load_seeds(JUDGED / f"similar_incidents_{judged}.jsonl"),
                        )
                        | cluster_metrics(org.incidents.with_params(params), org.families)
                    )
                print(f"fold: {params}", file=sys.stderr)
        real["dev"] = averaged([r for r in dev_rows if r])
        real["held-out"] = averaged([r for r in held_rows if r])
        real["clusters dev"] = averaged(dev_clusters)
        real["clusters held-out"] = averaged(held_clusters)
        real["chosen"] = [repr(p) for p in chosen]
        real["organisations under each fold's choice"] = {
            judged: averaged(rows) for judged, rows in fold_orgs.items()
        }
    out["real corpus"] = real
    print(json.dumps(out, indent=2, default=str))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(out, indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
