"""`python -m bench.floor_eval --shared ../shared --data-dir DIR`: how the relevance floor
splits judged documents, over the dev queries of the shared post-mortems (DIR: an index of
../shared/corpus/postmortems, e.g. the one `bench.eval` builds under .hindsight-bench/postmortems/data).
"""

import argparse
import json
import statistics
from pathlib import Path

from index.embedder import SentenceTransformerEmbedder
from index.opener import open_searcher
from index.settings import Settings

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--shared", type=Path, default=Path("../shared"))
parser.add_argument("--data-dir", type=Path, default=Path(".hindsight-bench/postmortems/data"))
args = parser.parse_args()
queries = (args.shared / "queries/postmortems_dev.jsonl").read_text().splitlines()
rows = [json.loads(line) for line in queries if line.strip()]
settings = Settings(data_dir=args.data_dir)
s = open_searcher(settings, SentenceTransformerEmbedder(settings))
kept2 = total2 = kept1 = total1 = 0
shown, hidden_nonrel, hidden_rel = [], 0, 0
by_style = {}
for q in rows:
    hits = s.search(q["query"], limit=10)
    rel = q["relevant"]
    strong = [h for h in hits if not h.weak]
    shown.append(len(strong))
    for h in hits:
        uid = h.metadata.get("uuid") or h.doc_id
        g = rel.get(uid, 0)
        if g == 2:
            total2 += 1
            kept2 += not h.weak
        elif g == 1:
            total1 += 1
            kept1 += not h.weak
        elif h.weak:
            hidden_nonrel += 1
    st = by_style.setdefault(q.get("style"), [0, 0])
    st[0] += sum(
        1 for h in hits if rel.get(h.metadata.get("uuid") or h.doc_id, 0) == 2 and not h.weak
    )
    st[1] += sum(1 for h in hits if rel.get(h.metadata.get("uuid") or h.doc_id, 0) == 2)
nonrel_total = sum(
    1
    for q in rows
    for h in s.search(q["query"], limit=10)
    if q["relevant"].get(h.metadata.get("uuid") or h.doc_id, 0) == 0
)
print(
    f"queries {len(rows)}; grade-2 docs in top 10 kept above the floor: {kept2}/{total2}; grade-1: {kept1}/{total1}"
)
print(f"unjudged/non-relevant in top 10 moved below the floor: {hidden_nonrel}/{nonrel_total}")
print(f"shown per query: median {statistics.median(shown)}, min {min(shown)}, max {max(shown)}")
print({k: f"{a}/{b}" for k, (a, b) in by_style.items()})
