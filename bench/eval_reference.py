"""The published dense set-up, reproduced: one vector per BEIR document, exact search.

MTEB embeds `title + " " + text` truncated to the model's 256 tokens and ranks by cosine.
Running that with Hindsight's own embedder and metric code checks both against the
published figure (all-MiniLM-L6-v2 on SciFact: nDCG@10 0.645) before the product is judged.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bench.eval_data import Query, beir_corpus
from bench.metrics import mean, mrr_at_k, ndcg_at_k, recall_at_k
from index.embedder import Embedder


def reference_dense(
    root: Path, queries: list[Query], embedder: Embedder, cache: Path
) -> dict[str, float]:
    """nDCG/Recall/MRR@10 of whole-document exact search (vectors cached in CACHE)."""
    docs = list(beir_corpus(root))
    ids = [d[0] for d in docs]
    if cache.exists():
        matrix = np.load(cache)
    else:
        texts = [f"{title} {text}".strip() for _, title, text in docs]
        matrix = embedder.embed_batch(texts)  # sentence-transformers truncates at 256 tokens
        cache.parent.mkdir(parents=True, exist_ok=True)
        np.save(cache, matrix)
    scores: dict[str, list[float]] = {"nDCG@10": [], "Recall@10": [], "MRR@10": []}
    for q in queries:
        sims = matrix @ embedder.embed_query(q.text)
        top = np.argsort(-sims)[:10]
        ranked = [ids[i] for i in top]
        scores["nDCG@10"].append(ndcg_at_k(ranked, q.relevant))
        scores["Recall@10"].append(recall_at_k(ranked, q.relevant))
        scores["MRR@10"].append(mrr_at_k(ranked, q.relevant))
    return {name: mean(values) for name, values in scores.items()}
