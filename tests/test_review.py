"""Owners, review dates and successors over a real index (real model, DuckDB, FAISS, tantivy).

The content is a slice of the bundled content/ (the superseded talk and its successor, the two
runbooks, the post-mortem both talks discuss, three profiles) plus notes dated relative to the
day the test runs: one overdue, one due soon, one due much later, an obsolete one, one
superseded by nothing linked and one superseded by a document that does not exist.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from circulation import digest, review
from circulation.feeds import answer_review
from circulation.state import StateStore
from circulation.whats_new import whats_new
from cli import main
from index.access import Viewer
from index.archive import Archive
from index.opener import Opener
from index.settings import Settings
from ingest.pipeline import Ingestor

BUNDLED = Path(__file__).resolve().parent.parent / "content"
PICKED = (
    "talks/2023-03-client-retries.md",
    "talks/2025-11-retry-budgets.md",
    "runbooks/ledger-db-failover.md",
    "runbooks/carrier-certificate-rotation.md",
    "postmortems/2025-05-29-envoy-retry-storm.md",
    "experts/priya-raman.md",
    "experts/hannah-okafor.md",
    "experts/sofia-lindqvist.md",
)
OLD_TALK, NEW_TALK = "talk-2023-03-client-retries", "talk-2025-11-retry-budgets"
LEDGER_RUNBOOK = "runbook-ledger-db-failover"  # bundled: past its review date (2026-03-15)
CERT_RUNBOOK = "runbook-carrier-certificate-rotation"  # bundled: reviewed 2026-11-02, yearly
TODAY = dt.date.today()


def note(name: str, title: str, body: str, **meta: object) -> tuple[str, str]:
    lines = [f"id: {name}", "kind: note", f"title: {title}", "date: 2024-02-01"]
    lines += [f"{k}: {v}" for k, v in meta.items()]
    return f"notes/{name}.md", "---\n" + "\n".join(lines) + f"\n---\n# {title}\n\n{body}\n"


NOTES = dict(
    [
        note(
            "note-overdue",
            "Vacuum settings for the shipments table",
            "Autovacuum scale factor 0.02 and cost limit 2000 on the shipments table.",
            owner="priya.raman@kestrel.example",  # her e-mail: resolved to her profile
            review_by=(TODAY - dt.timedelta(days=20)).isoformat(),
        ),
        note(
            "note-due",
            "Rotating the Vault root token",
            "Generate a new root token with the unseal key quorum, then revoke the old one.",
            owner="Hannah Okafor",
            review_by=(TODAY + dt.timedelta(days=10)).isoformat(),
        ),
        note(
            "note-later",
            "Edge proxy connection limits",
            "Each edge-proxy pod allows 10000 downstream connections.",
            owner="Sofia Lindqvist",
            review_by=(TODAY + dt.timedelta(days=200)).isoformat(),
        ),
        note(
            "note-obsolete",
            "Deploying with the old Jenkins pipeline",
            "The Jenkins deploy pipeline for the quartzwomble service runs nightly.",
            owner="Sofia Lindqvist",
            review_by="2024-06-01",
            obsolete="Jenkins was switched off in 2025; deploys run on Argo CD",
        ),
        note(
            "note-argo",
            "Deploying with Argo CD",
            "Deploys of the quartzwomble service run on Argo CD: push a tag and it syncs.",
        ),
        note(
            "note-unlinked",
            "Carrier polling intervals",
            "Poll each carrier's tracking API every five minutes.",
            superseded="true",
        ),
        note(
            "note-dangling",
            "Label printer drivers",
            "Install the label printer drivers from the shared drive.",
            superseded_by="no-such-document",
        ),
    ]
)
# Queries the superseded talk and its successor both answer (the floor: successor first).
BOTH_MATCH = (
    "retries exponential backoff",
    "kestrel-http client retries",
    "how many times should a client retry",
    "retry jitter backoff timeouts",
)


def build_review_index(base: Path, embedder: Any) -> Settings:
    """The bundled slice and the dated notes under BASE, indexed: their Settings."""
    content = base / "content"
    for rel in PICKED:
        (content / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(BUNDLED / rel, content / rel)
    for rel, text in NOTES.items():
        (content / rel).parent.mkdir(parents=True, exist_ok=True)
        (content / rel).write_text(text, encoding="utf-8")
    settings = Settings(data_dir=base / "data")
    report = Ingestor(settings, embedder).run([str(content)])
    assert report.count("indexed") == len(PICKED) + len(NOTES), report.outcomes
    return settings


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory, real_embedder: Any) -> Settings:
    return build_review_index(tmp_path_factory.mktemp("review"), real_embedder)


@pytest.fixture(scope="module")
def opener(indexed: Settings, real_embedder: Any) -> Any:
    with Opener(indexed, real_embedder) as found:
        yield found


@pytest.fixture
def store(tmp_path: Path) -> StateStore:
    return StateStore(tmp_path)  # fresh reviews for each test


def archive_of(opener: Opener, viewer: Viewer | None = None) -> Archive:
    return opener.require(viewer or Viewer.everything())


def cli(settings: Settings, capsys: Any, *args: str) -> str:
    assert main([*args, "--data-dir", str(settings.data_dir)]) == 0
    return str(capsys.readouterr().out)


# -- ranking and labels -------------------------------------------------------------------------


@pytest.mark.parametrize("query", BOTH_MATCH)
def test_the_successor_ranks_above_the_superseded_talk(opener, query: str) -> None:
    hits = archive_of(opener).search(query)
    order = [h.doc_id for h in hits]
    assert {OLD_TALK, NEW_TALK} <= {h.doc_id for h in hits if not h.weak}, order
    assert order.index(NEW_TALK) < order.index(OLD_TALK), order
    old = hits[order.index(OLD_TALK)]
    assert (old.superseded_by, old.obsolete) == (NEW_TALK, False)
    assert hits[order.index(NEW_TALK)].superseded_by is None
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True)  # the order and the scores agree


def test_without_the_link_the_superseded_talk_would_rank_first(opener) -> None:
    # The rule is what puts the successor first: unmarked, the old talk wins these queries.
    searcher = archive_of(opener)._searcher
    saved = searcher.marks
    try:
        searcher._marks = {}
        first = [searcher.search(q, limit=5)[0].doc_id for q in BOTH_MATCH]
    finally:
        searcher._marks = saved
    assert OLD_TALK in first, first


def test_search_json_carries_superseded_by_obsolete_and_review_by(indexed, capsys) -> None:
    out = cli(indexed, capsys, "search", "--json", "retries exponential backoff", "--all")
    hits = {h["doc_id"]: h for h in map(json.loads, out.splitlines())}
    assert hits[OLD_TALK]["superseded_by"] == NEW_TALK
    assert hits[NEW_TALK]["superseded_by"] is None and hits[NEW_TALK]["obsolete"] is False
    assert all({"superseded_by", "obsolete", "review_by"} <= set(h) for h in hits.values())
    out = cli(indexed, capsys, "search", "--json", "vacuum settings shipments table")
    vacuum = next(json.loads(line) for line in out.splitlines() if "note-overdue" in line)
    assert vacuum["review_by"] == (TODAY - dt.timedelta(days=20)).isoformat()


def test_search_json_review_by_follows_still_accurate(opener, indexed, capsys) -> None:
    store = StateStore(indexed.data_dir)  # where the portal records it
    before = store.reviews()
    review.confirm(archive_of(opener, PRIYA), store, "note-overdue")
    confirmed_on = dt.date.today()  # not the module's TODAY: a run may cross midnight
    try:
        out = cli(indexed, capsys, "search", "--json", "vacuum settings shipments table")
        vacuum = next(json.loads(line) for line in out.splitlines() if "note-overdue" in line)
        assert vacuum["review_by"] == (confirmed_on + dt.timedelta(days=180)).isoformat()
        # The API answers the same (server/answers.py reads the same records).
        from circulation.links import Links
        from server import answers

        api = answers.search(
            archive_of(opener),
            answers.SearchQuery("vacuum settings shipments table"),
            Links("http://portal"),
            lambda doc_ids: review.Records.read(store, doc_ids),
        )
        hit = next(h for h in api["hits"] if h["doc_id"] == "note-overdue")
        assert hit["review_by"] == vacuum["review_by"]
        # And the MCP tool a coding agent calls.
        import asyncio

        from server import mcp_tools

        tools = mcp_tools.build(
            lambda viewer: archive_of(opener, viewer),
            Links("http://portal"),
            Viewer.everything("agent"),
            shared=answers.Radar(store, indexed),
        )
        called = asyncio.run(
            tools.call_tool("search", {"query": "vacuum settings shipments table"})
        )
        found = called.structured_content or json.loads(called.content[0].text)  # type: ignore[union-attr]
        hit = next(h for h in found["hits"] if h["doc_id"] == "note-overdue")
        assert hit["review_by"] == vacuum["review_by"]
    finally:  # the other tests expect nothing recorded beside the index
        with sqlite3.connect(store.path) as con:
            con.execute("DELETE FROM reviews")
    assert before == []


def test_an_obsolete_document_is_labelled_and_demoted_never_hidden(opener) -> None:
    archive = archive_of(opener)
    searcher = archive._searcher

    def first_two(query: str) -> list[str]:
        return [h.doc_id for h in searcher.search(query, limit=2)]

    saved = searcher.marks
    try:
        searcher._marks = {}  # as if nothing were marked
        plain = [first_two(q) for q in ("how to deploy the quartzwomble service", "Jenkins")]
    finally:
        searcher._marks = saved
    # About equally good: the current document now leads; the obsolete one follows, labelled.
    assert plain[0] == ["note-obsolete", "note-argo"]
    assert first_two("how to deploy the quartzwomble service") == ["note-argo", "note-obsolete"]
    # Only the obsolete one answers: it still leads (demoted, never hidden).
    assert plain[1][0] == first_two("Jenkins")[0] == "note-obsolete"
    gone = next(h for h in archive.search("Jenkins") if h.doc_id == "note-obsolete")
    assert gone.obsolete and "Argo CD" in gone.obsolete_reason and gone.superseded_by is None


def test_a_superseded_document_names_its_successor_and_the_successor_what_it_replaces(opener):
    archive = archive_of(opener)
    assert archive.successor(OLD_TALK) == archive.document(NEW_TALK)
    assert [d.doc_id for d in archive.predecessors(NEW_TALK)] == [OLD_TALK]
    dangling = archive.document("note-dangling")
    assert dangling is not None and dangling.metadata.get("superseded") is True
    assert archive.successor(dangling) is None


# -- the queue ---------------------------------------------------------------------------------


def test_review_overdue_json_lists_what_is_past_its_date_with_its_owner(indexed, capsys):
    out = cli(indexed, capsys, "review", "--overdue", "--json", "--all")
    items = {i["doc_id"]: i for i in map(json.loads, out.splitlines())}
    assert items["note-overdue"]["owner"] == "Priya Raman"  # written as her e-mail
    assert items["note-overdue"]["review_by"] == (TODAY - dt.timedelta(days=20)).isoformat()
    assert items[LEDGER_RUNBOOK]["owner"] == "Priya Raman"
    assert items[LEDGER_RUNBOOK]["reason"] == "overdue"
    assert {"note-due", "note-later", "note-obsolete", OLD_TALK} & set(items) == set()
    for item in items.values():
        assert {"doc_id", "title", "owner", "review_by", "reason"} <= set(item)


def test_the_queue_lists_due_outdated_and_unlinked_documents_by_owner(opener, store) -> None:
    archive = archive_of(opener)
    items = review.queue(archive, store)
    reasons = {i.doc.doc_id: i.reasons for i in items}
    assert reasons["note-overdue"] == ("overdue",)
    assert reasons["note-due"] == ("due",)
    assert reasons["note-unlinked"] == reasons["note-dangling"] == ("superseded",)
    # Retired (obsolete, superseded) and not yet due: nobody is asked to look.
    assert {"note-later", "note-obsolete", OLD_TALK, NEW_TALK} & set(reasons) == set()
    groups = review.by_owner(items)
    assert [name for name, _ in groups][-1] == review.NO_OWNER
    assert [i.doc.doc_id for i in dict(groups)["Hannah Okafor"]] == ["note-due"]
    assert [i.reason for i in items] == sorted((i.reason for i in items), key=review.REASONS.index)


@pytest.mark.parametrize("owner", ["Priya Raman", "priya raman", "priya.raman@kestrel.example"])
def test_the_queue_of_one_owner(opener, store, owner: str) -> None:
    items = review.queue(archive_of(opener), store, owners=(owner,))
    assert {i.doc.doc_id for i in items} == {"note-overdue", LEDGER_RUNBOOK}


def test_an_owner_who_is_nobody_is_a_usage_error(indexed, capsys) -> None:
    code = main(["review", "--owner", "!!!", "--data-dir", str(indexed.data_dir)])
    assert code == 2 and "names nobody" in capsys.readouterr().err


def test_the_text_queue_groups_by_owner(indexed, capsys) -> None:
    out = cli(indexed, capsys, "review", "--all")
    assert out.index("Hannah Okafor (1)") < out.index("Priya Raman (2)") < out.index("No owner")
    assert "Review was due" in out and "Marked superseded, but no successor is linked" in out


# -- Still accurate and Outdated ---------------------------------------------------------------

PRIYA = Viewer.of("P. Raman", "priya.raman@kestrel.example", "payments")
HANNAH = Viewer.of("Hannah Okafor", "hannah.okafor@kestrel.example")
EDITOR = Viewer.of("Somebody", "s@kestrel.example", "docs-editors")


def test_still_accurate_by_the_owner_counts_until_the_next_interval(opener, store) -> None:
    archive = archive_of(opener, PRIYA)
    assert review.may_confirm(archive, archive.document("note-overdue"))  # type: ignore[arg-type]
    now = dt.datetime.combine(TODAY, dt.time(9, 30))
    found = review.confirm(archive, store, "note-overdue", now=now)
    assert (found.dates.last_reviewed, found.dates.reviewed_by) == (TODAY, "Priya Raman")
    assert found.dates.review_by == TODAY + dt.timedelta(days=180)  # a note's interval
    assert found.state == "current" and not found.reasons
    assert "note-overdue" not in {i.doc.doc_id for i in review.queue(archive, store)}
    (record,) = store.reviews(["note-overdue"])
    assert (record.verdict, record.person_key, record.at) == ("accurate", PRIYA.person_key, now)


def test_only_the_owner_or_an_editor_may_confirm(opener, store) -> None:
    hannah = archive_of(opener, HANNAH)
    with pytest.raises(review.ReviewRefused):
        review.confirm(hannah, store, "note-overdue")
    assert store.reviews() == []
    editor = archive_of(opener, EDITOR)
    review.confirm(editor, store, "note-overdue", editors_group="Docs-Editors")
    with pytest.raises(review.ReviewRefused):  # not visible, or not theirs: alike
        review.confirm(hannah, store, "no-such-document")


def test_outdated_puts_a_current_document_in_the_queue_until_it_is_confirmed(opener, store):
    reader = archive_of(opener, Viewer.of("A reader", "reader@kestrel.example"))
    assert review.outdated(reader, store, "note-later", "the limit is 20000 now")
    assert not review.outdated(reader, store, "no-such-document")
    item = next(i for i in review.queue(reader, store) if i.doc.doc_id == "note-later")
    assert item.reasons == ("outdated",) and "the limit is 20000 now" in item.detail
    sofia = archive_of(opener, Viewer.of("Sofia Lindqvist", "sofia.lindqvist@kestrel.example"))
    later = dt.datetime.now() + dt.timedelta(seconds=5)
    review.confirm(sofia, store, "note-later", now=later)
    assert "note-later" not in {i.doc.doc_id for i in review.queue(reader, store)}


# -- reminders: the digest and the owner's feed --------------------------------------------------


def test_the_digest_has_a_due_for_review_section_per_owner(opener, indexed, store, capsys):
    archive = archive_of(opener)
    groups = review.by_owner(review.queue(archive, store))
    news = whats_new(archive, dt.datetime(2000, 1, 1))
    md = digest.to_markdown(news, "http://portal", groups)
    assert "## Due for review" in md and "**Priya Raman** (2)" in md
    assert md.index("**Hannah Okafor**") < md.index("**Priya Raman**")
    html = digest.to_html(news, "http://portal", groups)
    assert "Due for review" in html and "<script" not in html
    data = json.loads(cli(indexed, capsys, "digest", "--since", "1d", "--format", "json", "--all"))
    assert "Priya Raman" in [g["owner"] for g in data["review"]]
    data = json.loads(
        cli(indexed, capsys, "digest", "--since", "1d", "--format", "json", "--no-review")
    )
    assert data["review"] == []


def test_an_owner_follows_their_own_queue_as_a_feed(opener, indexed, store) -> None:
    settings = indexed
    store.record_visit(PRIYA.person_key, name=PRIYA.name, groups=("payments",))
    token = store.new_feed_token(PRIYA.person_key)
    got = answer_review(store, settings, opener.require, token, self_url="http://f/review.atom")
    assert got.status == 200
    assert "Vacuum settings for the shipments table" in got.body  # hers, by her e-mail
    assert "failing over ledger-db by hand" in got.body
    assert "Rotating the Vault root token" not in got.body  # Hannah's
    assert answer_review(store, settings, opener.require, "x" * 20, self_url="u").status == 404
    later = dt.datetime.now() + dt.timedelta(days=settings.feed_groups_days + 1)
    stale = answer_review(store, settings, opener.require, token, self_url="u", now=later)
    assert stale.status == 403


# -- the bundled content shows each case ---------------------------------------------------------


def test_the_bundled_content_has_each_case(opener, store) -> None:
    archive = archive_of(opener)
    on = dt.date(2026, 12, 4)  # the day the content was written for
    ledger = review.standing(archive, archive.document(LEDGER_RUNBOOK), review.Records([]), on)  # type: ignore[arg-type]
    assert ledger.state == "overdue" and ledger.owner_name == "Priya Raman"
    assert review.last_reviewed(ledger, on) == "last reviewed 15 months ago by Priya Raman"
    cert = review.standing(archive, archive.document(CERT_RUNBOOK), review.Records([]), on)  # type: ignore[arg-type]
    assert cert.state == "current" and cert.dates.review_by == dt.date(2027, 11, 2)
    old = review.standing(archive, archive.document(OLD_TALK), review.Records([]), on)  # type: ignore[arg-type]
    assert old.currency.superseded_by == NEW_TALK and not old.reasons
