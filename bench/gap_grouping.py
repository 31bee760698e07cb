"""`python -m bench.gap_grouping`: how gap queries group into topics, per similarity threshold.

Two small sets of search queries, written by hand and grouped by reading them (not from the
system's output): `dev` chooses HINDSIGHT_GAPS_SIMILARITY, `held-out` only reports. Pairwise
precision: of query pairs put in one topic, the share that belong together; recall: of pairs
that belong together, the share put in one topic.
"""

from __future__ import annotations

import argparse
from itertools import combinations

from circulation.gaps import cluster
from index.embedder import SentenceTransformerEmbedder
from index.settings import Settings

SETS: dict[str, dict[str, list[str]]] = {
    "dev": {
        "tls": [
            "how to rotate TLS certificates",
            "tls certificate rotation",
            "renew an expiring TLS cert",
        ],
        "k8s": [
            "kubernetes pod evicted memory",
            "pods getting OOM killed in k8s",
            "kubelet evicts pods under memory pressure",
        ],
        "kafka": ["kafka consumer lag", "consumer group lagging behind in kafka"],
        "gpu": ["gpu inference cost", "how much do our GPUs cost"],
        "pg": [
            "postgres vacuum taking forever",
            "autovacuum blocking writes",
            "table bloat after vacuum",
        ],
    },
    "held-out": {
        "dns": [
            "dns propagation after switching provider",
            "lower TTL before DNS migration",
            "nameserver change outage",
        ],
        "flags": [
            "feature flag rollout gone wrong",
            "kill switch for a feature flag",
            "launchdarkly flag cleanup",
        ],
        "oncall": [
            "on-call handover checklist",
            "pager fatigue on call rotation",
            "how do we do on-call handoffs",
        ],
        "s3": [
            "s3 bucket made public by mistake",
            "public bucket data exposure",
            "block public access on s3",
        ],
        "llm": [
            "prompt injection in the support bot",
            "LLM jailbreak of our assistant",
            "guardrails for chatbot prompts",
        ],
    },
}


def pair_scores(
    topics: dict[str, list[str]], embed: object, threshold: float
) -> tuple[float, float, int]:
    queries = [q for qs in topics.values() for q in qs]
    gold = [k for k, qs in topics.items() for _ in qs]
    groups = cluster(queries, embed, threshold)  # type: ignore[arg-type]
    pred = {i: n for n, g in enumerate(groups) for i in g}
    tp = fp = fn = 0
    for i, j in combinations(range(len(queries)), 2):
        same, together = gold[i] == gold[j], pred[i] == pred[j]
        tp += same and together
        fp += together and not same
        fn += same and not together
    return (tp / (tp + fp) if tp + fp else 1.0), tp / (tp + fn), len(groups)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--thresholds", default="0.3,0.35,0.4,0.45,0.5,0.55,0.6")
    args = parser.parse_args()
    embed = SentenceTransformerEmbedder(Settings()).embed_query
    print(f"{'set':<10}{'threshold':>10}{'topics':>8}{'precision':>11}{'recall':>8}")
    for name, topics in SETS.items():
        for t in (float(x) for x in args.thresholds.split(",")):
            p, r, n = pair_scores(topics, embed, t)
            print(f"{name:<10}{t:>10.2f}{n:>8}{p:>11.2f}{r:>8.2f}")


if __name__ == "__main__":
    main()
