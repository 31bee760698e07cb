"""Chapters: topic boundaries and labels at ingest, stored in the catalog, read back per recording."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import numpy as np
import pytest

from index import catalog
from index.models import Chapter, Chunk
from index.reader import IndexSnapshot
from index.settings import Settings
from ingest.chapters import MAX_LABEL_CHARS, MIN_CHAPTER_S, chapters, cohesion, depths, label
from ingest.pipeline import Ingestor
from tests.conftest import HashingEmbedder

TOPICS = {
    "tokenizer": "tokenizer vocabulary merges subword splitting bytes",
    "gradient": "gradient optimizer learning rate schedule warmup decay",
    "dataset": "dataset arrow parquet columns streaming shards",
}


def _passages(plan: list[str], seconds: float = 25.0) -> list[Chunk]:
    out = []
    for i, topic in enumerate(plan):
        words = TOPICS[topic].split()
        text = " ".join(f"the {words[(i + j) % len(words)]}" for j in range(12))
        out.append(
            Chunk(i, "rec", i, text, "", str(i), 10, start=i * seconds, end=(i + 1) * seconds)
        )
    return out


def _vectors(chunks: list[Chunk]) -> np.ndarray:
    embedder = HashingEmbedder()
    return embedder.embed_batch([c.text for c in chunks])


def test_boundaries_fall_where_the_topic_changes() -> None:
    plan = ["tokenizer"] * 6 + ["gradient"] * 6 + ["dataset"] * 6
    chunks = _passages(plan)
    found = chapters(chunks, _vectors(chunks))
    assert [c.start for c in found] == [0.0, 150.0, 300.0]
    assert [c.ordinal for c in found] == [0, 1, 2]
    assert [c.end for c in found] == [150.0, 300.0, 450.0]  # contiguous, to the end of the talk


def test_a_label_is_made_of_its_own_chapters_words() -> None:
    plan = ["tokenizer"] * 6 + ["gradient"] * 6 + ["dataset"] * 6
    chunks = _passages(plan)
    found = chapters(chunks, _vectors(chunks))
    for chapter, topic in zip(found, ("tokenizer", "gradient", "dataset"), strict=True):
        words = {w.lower() for w in re.findall(r"\w+", chapter.label)} - {"the"}
        assert words and words <= set(TOPICS[topic].split()), chapter.label


def test_labels_prefer_what_sets_a_chapter_apart() -> None:
    texts = [
        "the model and the model and the tokenizer merges, the tokenizer merges",
        "the model and the model and the learning rate, the learning rate",
    ]
    assert "tokenizer" in label(texts, 0).lower() and "model" not in label(texts, 0).lower()
    assert "learning rate" in label(texts, 1).lower()


# A failure Showcase as it is said (fillers, numbers, speaker turns), one chapter per topic.
SPOKEN_CHAPTERS = [
    "So, quick background. When you ship something across a border, every line on the "
    "commercial invoice needs a commodity code. An HS code, plus the national digits, so ten "
    "digits. Getting it wrong means the shipment can be held. So the customs assistant suggests "
    "a commodity code for each line item, and the broker reviews the commodity code.",
    "Okay. What happened. On March thirty-first the monthly ingestion ran with a new version of "
    "the PDF parser. And the new parser had a regression with tables. It kept the prose but it "
    "silently dropped the tariff tables, eight five percent of the codes were in tables. The "
    "parser regression went unnoticed, the tables were gone.",
    "Yeah. So, what we changed. The list of valid codes is now a Postgres table, and every "
    "suggested code is checked against the table before a broker sees it. We pinned the parser "
    "version too, same lesson as dependency pinning everywhere.",
]


def test_titles_are_readable_clauses_of_the_chapters_own_words() -> None:
    flat = [" ".join(t.split()) for t in SPOKEN_CHAPTERS]
    titles = [label(flat, i) for i in range(len(flat))]
    for title, text in zip(titles, flat, strict=True):
        assert title[:1].isupper() and len(title) <= MAX_LABEL_CHARS, title
        words = title.split()
        assert len(words) >= 3, title  # a clause, not a keyword ("Step", "Code, table")
        assert "," not in title  # never two fragments glued together
        assert title.lower() in text.lower(), title  # said as it stands, in this chapter
        assert words[-1].lower() not in {"the", "a", "of", "per", "five", "eight"}, title
        assert not {"so", "okay", "yeah"} & {w.lower().strip(",.") for w in words[:1]}, title
    assert "commodity code" in titles[0].lower()
    assert "parser" in titles[1].lower() or "tables" in titles[1].lower()
    assert "eight five" not in " ".join(titles).lower()  # numbers carry no topic
    assert "table" in titles[2].lower() or "pinning" in titles[2].lower()
    assert [label(flat, i) for i in range(len(flat))] == titles  # stable across runs


def test_short_or_untimed_recordings() -> None:
    chunks = _passages(["tokenizer", "gradient"])
    (only,) = chapters(chunks, _vectors(chunks))
    assert (only.start, only.end) == (0.0, 50.0) and only.label
    untimed = [Chunk(0, "d", 0, "text", "", "h", 2)]
    assert chapters(untimed, np.zeros((1, 4), dtype=np.float32)) == []


def test_no_chapter_is_shorter_than_the_minimum() -> None:
    rng = np.random.default_rng(3)
    chunks = _passages(["tokenizer"] * 40, seconds=10.0)
    vectors = rng.normal(size=(40, 16)).astype(np.float32)  # cohesion is noise everywhere
    found = chapters(chunks, vectors / np.linalg.norm(vectors, axis=1, keepdims=True))
    assert all(c.end - c.start >= MIN_CHAPTER_S for c in found)


def test_depth_is_the_drop_from_the_peaks_either_side() -> None:
    assert depths(np.array([0.9, 0.5, 0.8, 0.8, 0.2, 0.7])).tolist() == pytest.approx(
        [0.0, 0.7, 0.0, 0.0, 1.1, 0.0]
    )
    same = np.ones((4, 3), dtype=np.float32) / np.sqrt(3)
    assert cohesion(same).tolist() == pytest.approx([1.0, 1.0, 1.0])


def _srt(topics: list[str]) -> str:
    cues = []
    for i, topic in enumerate(topics):
        start, end = i * 25, i * 25 + 25
        words = TOPICS[topic].split()
        text = " ".join(f"the {words[(i + j) % len(words)]}" for j in range(12))
        cues.append(
            f"{i + 1}\n00:{start // 60:02d}:{start % 60:02d},000 --> "
            f"00:{end // 60:02d}:{end % 60:02d},000\n{text}\n"
        )
    return "\n".join(cues)


def test_chapters_are_computed_at_ingest_and_stored(
    tmp_path: Path, fake_embedder: HashingEmbedder
) -> None:
    content = tmp_path / "content"
    (content / "showcases").mkdir(parents=True)
    talk = content / "showcases" / "talk.srt"
    talk.write_text(_srt(["tokenizer"] * 6 + ["gradient"] * 6), encoding="utf-8")
    (content / "postmortems").mkdir()
    (content / "postmortems" / "pm.md").write_text("---\nid: pm\n---\n# Outage\nText.\n")
    settings = Settings(data_dir=tmp_path / "data", transcript_chunk_tokens=16)  # a cue each
    Ingestor(settings, fake_embedder).run([str(content)])
    snap = IndexSnapshot.open(settings.data_dir)
    cur = snap.cursor()
    doc_id = cur.execute("SELECT doc_id FROM documents WHERE kind = 'showcase'").fetchone()[0]
    found = catalog.chapters(cur, doc_id)
    assert [(c.ordinal, c.start) for c in found] == [(0, 0.0), (1, 150.0)]
    assert all(isinstance(c, Chapter) and c.label for c in found)
    assert catalog.chapters(cur, "pm") == []  # only recordings have chapters
    snap.close()
    # Re-ingesting a changed talk replaces its chapters; a deleted one takes them along.
    talk.write_text(_srt(["dataset"] * 6 + ["tokenizer"] * 6 + ["gradient"] * 6), "utf-8")
    Ingestor(settings, fake_embedder).run([str(content)])
    snap = IndexSnapshot.open(settings.data_dir)
    assert [c.start for c in catalog.chapters(snap.cursor(), doc_id)] == [0.0, 150.0, 300.0]
    snap.close()
    talk.unlink()
    Ingestor(settings, fake_embedder).run([str(content)])
    snap = IndexSnapshot.open(settings.data_dir)
    assert snap.cursor().execute("SELECT count(*) FROM chapters").fetchone() == (0,)
    snap.close()


def test_chapters_table_comes_from_a_numbered_migration(tmp_path: Path) -> None:
    from index.migrations import MIGRATIONS, migrate

    con = duckdb.connect(str(tmp_path / "c.duckdb"))
    migrate(con)
    assert "m005_chapters" in [m.__name__ for m in MIGRATIONS]
    columns = [r[0] for r in con.execute("DESCRIBE chapters").fetchall()]
    assert columns == ["doc_id", "ordinal", "start_s", "end_s", "label"]
