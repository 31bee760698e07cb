"""Access control: every surface of the read-side door, as an outsider and as a member.

The leak table runs each surface of `Archive` over a real index (real model, DuckDB, FAISS,
tantivy) holding documents restricted to `security`. An outsider must see no trace of them —
no id, title, canary word or count — and a member must see them.
"""

from __future__ import annotations

import atexit
import datetime as dt
import inspect
import json
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from circulation import digest, radar, review, teams
from circulation.brief import build as build_brief
from circulation.follows import SINCE_EVER, recent
from circulation.metrics import coordination
from circulation.state import BriefEvent, Follow, StateStore
from circulation.whats_new import whats_new
from cli import main
from index.access import Viewer, document_access, groups_of
from index.action_items import ItemFilter, to_csv
from index.archive import Archive
from index.filters import SearchFilters
from index.opener import Opener, open_archive
from index.settings import Settings
from tests.access_fixtures import (
    CANARY,
    PUBLIC_SUCCESSOR,
    PUBLIC_SUPERSEDED,
    RESTRICTED_EXPORT,
    RESTRICTED_IDS,
    RESTRICTED_MEDIA,
    RESTRICTED_RUNBOOK,
    build_restricted_index,
)

OUTSIDER = Viewer.of("outsider", groups="sre,payments")
NOBODY = Viewer(name="local")
MEMBER = Viewer.of("member", groups="sre,Security")
ADMIN = Viewer.of("admin", groups="hindsight-admins", admin_group="Hindsight-Admins")
LEDGER = "pm-2025-03-14-ledger-replica-lag"
RESTRICTED_PM, RESTRICTED_SHOWCASE, RESTRICTED_EXPERT = RESTRICTED_IDS


@pytest.fixture(scope="module")
def restricted_index(tmp_path_factory: pytest.TempPathFactory, real_embedder: Any) -> Any:
    return build_restricted_index(tmp_path_factory.mktemp("access"), real_embedder)


def _archive(settings: Any, viewer: Viewer, embedder: Any) -> Archive:
    return open_archive(settings, viewer, embedder)


FOLLOW_FAILOVER = Follow("f", "p", "failover", query="failover key")
# Reviews recorded beside the index: an "Outdated" on the restricted runbook, quoting the canary.
REVIEWS = StateStore(Path(tempfile.mkdtemp(prefix="hindsight-reviews-")))
REVIEWS.record_review(
    RESTRICTED_RUNBOOK, person_key="m", name="member", verdict="outdated", note=f"{CANARY} moved"
)
Surface = Callable[[Archive], Any]
SURFACES: dict[str, Surface] = {
    "search hits and snippets": lambda a: a.search(f"{CANARY} failover key", limit=20),
    "dense search": lambda a: a.search(f"{CANARY} signing key leaked", limit=20, mode="dense"),
    "keyword search": lambda a: a.search(CANARY, limit=20, mode="keyword"),
    "filtered search (facet)": lambda a: a.search(
        "failover", SearchFilters(facets={"team": ("secops",)}), limit=20
    ),
    "search within kind": lambda a: a.search(
        "key leaked in a runbook", SearchFilters(kinds=("postmortem",)), limit=20
    ),
    "word exists notice": lambda a: a.uses_words(CANARY) and CANARY,
    "facet counts": lambda a: a.facet_counts(),
    "facet counts of incidents": lambda a: a.facet_counts(SearchFilters(kinds=("postmortem",))),
    "counts and stats": lambda a: (a.stats(), _counts_marker(a)),
    "archive listing": lambda a: a.documents(),
    "incident listing": lambda a: a.documents(SearchFilters(kinds=("postmortem",))),
    "showcase listing": lambda a: a.documents(SearchFilters(kinds=("showcase",))),
    "document URL": lambda a: [a.document(i) for i in RESTRICTED_IDS],
    "incident URL": lambda a: a.document(RESTRICTED_PM, kind="postmortem"),
    "related of a public incident": lambda a: a.related(a.document(LEDGER)),  # type: ignore[arg-type]
    "more like a public incident": lambda a: a.more_like(LEDGER, limit=20),
    "more like the restricted one": lambda a: a.more_like(RESTRICTED_PM, limit=5),
    "similar incidents": lambda a: a.similar_incidents(LEDGER, limit=10),
    "similar incidents of the restricted one": lambda a: a.similar_incidents(RESTRICTED_PM),
    "incident set (signals)": lambda a: a.incident_set().profiles,
    "recurring clusters": lambda a: a.recurring(),
    "recurrence of a public incident": lambda a: a.recurrence_of(LEDGER),
    "action items": lambda a: a.action_items(),
    "open action items of a team": lambda a: a.action_items(
        SearchFilters(facets={"team": ("secops",)}), ItemFilter(open_only=True)
    ),
    "action items CSV": lambda a: to_csv(a.action_items()),
    "incident trends": lambda a: a.trends(),
    "experts on the topic": lambda a: a.experts(CANARY, limit=20),
    "experts by meaning": lambda a: a.experts("red team credential rotation", limit=20),
    "experts' evidence on a public topic": lambda a: a.experts(
        "signing key leaked in a failover runbook", limit=20
    ),
    "person page of someone only restricted documents name": lambda a: (
        a.person("ghost-analyst"),
        a.person_evidence("ghost-analyst"),
    ),
    "timeline of a public expert": lambda a: a.person_evidence("priya-raman"),
    "topics inferred for a public expert": lambda a: a.person_topics("priya-raman", limit=50),
    "expert directory": lambda a: a.people(),
    "expert profile URL": lambda a: a.expert(RESTRICTED_EXPERT),
    "evidence of a public expert": lambda a: a.evidence(a.expert("experts/priya-raman")),  # type: ignore[arg-type]
    "transcript segments": lambda a: a.segments(RESTRICTED_SHOWCASE),
    "recording moments": lambda a: [
        (h.doc_id, h.start, h.snippet) for h in a.search("red team found the key", limit=20)
    ],
    "file states": lambda a: a.file_states(),
    "what a file was understood as (show), by id and by path": lambda a: [
        a.understood(key)
        for key in (
            *RESTRICTED_IDS,
            RESTRICTED_EXPORT,
            f"{RESTRICTED_EXPORT}.docx",
            "postmortems/2025-07-01-zorbulon-credential-leak.md",
        )  # fmt: skip
    ],
    "original file (download) and its URL": lambda a: [
        a.source_file(key) for key in (*RESTRICTED_IDS, RESTRICTED_EXPORT)
    ],
    # Its own rows below: this fixture has no broken file (test_own_problems_*).
    "own failed files": lambda a: a.own_problems(),
    "changes since": lambda a: a.changes(SINCE_EVER),
    "what's new with follows": lambda a: whats_new(a, SINCE_EVER, [FOLLOW_FAILOVER]),
    "follow feed entries": lambda a: recent(a, FOLLOW_FAILOVER),
    "followed facet": lambda a: recent(
        a, Follow("f", "p", "tag", facets=(("tag", ("failover",)),))
    ),
    # The plans avoid the canary: a brief quotes the viewer's own plan back, which is no leak.
    "brief of a plan (incidents, items, moments, people, checklist)": lambda a: build_brief(
        a,
        "Before the next failover drill we rotate the signing key the red team found in a runbook.",
    ).to_json(),
    "brief as Markdown": lambda a: build_brief(
        a, "Signing key leaked in a failover runbook: rotate credentials before every drill."
    ).to_markdown(),
    "html digest": lambda a: digest.to_html(whats_new(a, SINCE_EVER), "http://p"),
    "chapters of the restricted recording": lambda a: [
        (RESTRICTED_SHOWCASE, c) for c in a.chapters(RESTRICTED_SHOWCASE)
    ],
    "media file of the restricted recording": lambda a: a.local_media(
        _stand_in(RESTRICTED_SHOWCASE), Path(RESTRICTED_MEDIA).name
    ),
    # It grows with every document, restricted ones too: a figure for the operator only.
    "index size on disk": lambda a: a.index_bytes() is not None and CANARY,
    "restricted-words check (a yes/no for the search log)": lambda a: a.only_hidden_use_words(
        CANARY
    ),
    # Currency: a public talk whose front matter names a restricted successor, and the review
    # queue over a restricted runbook overdue for review (owned by a public expert).
    "successor of a public talk": lambda a: a.successor(PUBLIC_SUPERSEDED),
    "what a public talk replaces": lambda a: a.predecessors(PUBLIC_SUCCESSOR),
    "a superseded hit's successor and metadata": lambda a: [
        (h.doc_id, h.superseded_by, h.obsolete_reason, h.metadata)
        for h in a.search("schema migrations by hand", limit=20)
    ],
    "the superseded talk's page": lambda a: (
        a.document(PUBLIC_SUPERSEDED),
        review.standing_of(a, REVIEWS, PUBLIC_SUPERSEDED),
    ),
    "who an e-mail names": lambda a: a.who("ghost@kestrel.example"),
    "review queue": lambda a: [i.to_json("http://p") for i in review.queue(a, REVIEWS)],
    "a public owner's review queue and its count": lambda a: _review_marker(a),
    "review queue, overdue only": lambda a: [
        i.to_json("http://p") for i in review.queue(a, REVIEWS, overdue_only=True)
    ],
    "standing of the restricted runbook": lambda a: review.standing_of(
        a, REVIEWS, RESTRICTED_RUNBOOK
    ),
    "digest's due-for-review section": lambda a: digest.to_html(
        whats_new(a, SINCE_EVER), "http://p", review.by_owner(review.queue(a, REVIEWS))
    ),
    "an owner's review feed": lambda a: review.atom_entries(
        review.queue(a, REVIEWS, owners=("priya.raman@kestrel.example",))
    ),
    # Issue 26: the radar reads plans shared with `security` only; the figures count events.
    "related plans of other teams (radar)": lambda a: radar.related(
        _radar_store(a), a, _RADAR_SETTINGS, RADAR_QUERY
    ),
    "shared plans a viewer may see": lambda a: radar.visible(_radar_store(a), a, _RADAR_SETTINGS),
    "coordination figures": lambda a: coordination(a, _radar_store(a), _RADAR_SETTINGS).to_json(),
    "teams the archive knows": lambda a: teams.known(a),
    "people known in each team": lambda a: teams.members(a),
    # What the portal builds ahead for a viewer, then read as the pages read it.
    "derived tables prepared ahead (incident set, people)": lambda a: (
        a.prepare(),
        a.incident_set().profiles,
        a.experts(""),
    ),
    "restricted-answer check (a yes/no for the search log)": lambda a: a.only_hidden_answer(
        f"{CANARY} signing key"
    ),
    # One edit from the canary: only a viewer who may read it is offered it.
    "did you mean (spelling from the viewer's words)": lambda a: a.did_you_mean("zorbulan keys"),
    "search findings (floor, spelling, notices)": lambda a: a.find("zorbulan keys").to_json(),
    "what everyone may read (gaps check)": lambda a: a.for_everyone().search(
        f"{CANARY} failover key", limit=20
    ),
}
RADAR_QUERY = "Rotate the signing keys before every failover drill and scrub the runbooks."
RESTRICTED_PLAN = f"Rotate the {CANARY} signing keys before each failover drill; scrub runbooks."
_RADAR_SETTINGS = Settings(data_dir=Path(tempfile.mkdtemp(prefix="hindsight-radar-leak-")))
atexit.register(shutil.rmtree, _RADAR_SETTINGS.data_dir, ignore_errors=True)
_RADAR: dict[str, StateStore] = {}


def _radar_store(archive: Archive) -> StateStore:
    """Shared plans and events: a plan only `security` may see, and a brief by a member of it
    that showed the restricted post-mortem and matched that plan."""
    if "store" not in _RADAR:
        store = StateStore(_RADAR_SETTINGS.data_dir)
        radar.share(
            store,
            archive,
            RESTRICTED_PLAN,
            team="secops",
            owner="ghost@kestrel.example",
            person="Ghost Analyst",
            groups=["security"],
        )
        store.log_brief(
            BriefEvent(
                at=dt.datetime.now(),
                team="sre",
                source="portal",
                session="s",
                incidents=(RESTRICTED_PM, LEDGER),
                opened=(),
                matches=(("secops", ("security",)),),
            )
        )
        store.log_document_open(
            doc_id=RESTRICTED_PM, team="sre", session="s", now=dt.datetime.now()
        )
        _RADAR["store"] = store
    return _RADAR["store"]


# Verbs that read no document, so no row: the snapshot's name, the viewer's filters, the
# model's vector and token count of a text the caller gives, loading the model.
# pair_verdicts: what the interface handed in (the state store's settled pairs), applied by
# the verbs that read documents (similar, recurring), which have their rows.
NO_DOCUMENT_READ = {"version", "scope", "query_vector", "count_tokens", "warm", "pair_verdicts"}
# A yes/no by design: True for outsiders ("exists, but not for you"), never what was found.
YES_NO = {
    "restricted-words check (a yes/no for the search log)",
    "restricted-answer check (a yes/no for the search log)",
}
# Narrower than any viewer by design: members see no more there than outsiders.
EVERYONE_ONLY = {"what everyone may read (gaps check)"}
OPERATOR_ONLY = {"index size on disk", "own failed files"}


def _stand_in(doc_id: str) -> Any:
    """A document reference as a page would pass it, whether or not the viewer may see it."""
    from index.models import Document

    return Document(doc_id=doc_id, kind="showcase", title="", path="", date=None, metadata={})


def _counts_marker(archive: Archive) -> str:
    """Counts only a restricted document could explain, spelt with the canary when present."""
    stats = archive.stats()
    public = {"postmortem": 3, "showcase": 3, "expert": 1}
    extra = [k for k, n in public.items() if stats.documents_by_kind.get(k, 0) > n]
    return CANARY if extra or stats.experts > 1 else ""


def _review_marker(archive: Archive) -> tuple[Any, str]:
    """Priya's queue, and the canary when it counts more than her public documents explain."""
    mine = review.queue(archive, REVIEWS, owners=("Priya Raman",))
    public = [i for i in mine if i.doc.doc_id == PUBLIC_SUPERSEDED]  # superseded, unlinked
    return [i.to_json("http://p") for i in mine], CANARY if len(mine) > len(public) else ""


def _trace(output: Any) -> list[str]:
    """Every mark of the restricted documents in OUTPUT (reprs show ids, titles, snippets)."""
    text = repr(output).lower()
    return [t for t in (CANARY, *RESTRICTED_IDS, "secops", "ghost analyst") if t.lower() in text]


@pytest.mark.parametrize("surface", list(SURFACES))
def test_outsiders_see_no_trace(restricted_index, real_embedder, surface: str) -> None:
    for viewer in (OUTSIDER, NOBODY):
        archive = _archive(restricted_index, viewer, real_embedder)
        assert _trace(SURFACES[surface](archive)) == [], f"{surface} leaks to {viewer.name}"


# Whether the restricted post-mortem shares the ledger's failure mode is the model's call, not
# access control's: these surfaces are checked for members in tests/test_incidents.py.
BY_MEANING = {"similar incidents", "recurring clusters", "recurrence of a public incident"}


@pytest.mark.parametrize(
    "surface",
    [s for s in SURFACES if s not in BY_MEANING | YES_NO | OPERATOR_ONLY | EVERYONE_ONLY],
)
def test_members_and_admins_see_it(restricted_index, real_embedder, surface: str) -> None:
    for viewer in (MEMBER, ADMIN):
        archive = _archive(restricted_index, viewer, real_embedder)
        assert _trace(SURFACES[surface](archive)), f"{surface} hides it from {viewer.name}"


def test_every_public_verb_of_the_door_has_a_leak_row() -> None:
    verbs = {name for name in vars(Archive) if not name.startswith("_")}
    rows = " ".join(inspect.getsource(surface) for surface in SURFACES.values())
    covered = {verb for verb in verbs if re.search(rf"\ba\.{verb}\(", rows)}
    assert verbs - covered - NO_DOCUMENT_READ == set(), "verbs without a row in SURFACES"


def test_the_index_size_is_the_operators(restricted_index, real_embedder) -> None:
    operator = replace(Viewer.of("command line", groups=""), operator=True)
    for viewer, sized in ((OUTSIDER, False), (MEMBER, False), (ADMIN, True), (operator, True)):
        size = _archive(restricted_index, viewer, real_embedder).index_bytes()
        assert (size is not None and size > 0) is sized, viewer.name


def test_the_restricted_words_check_says_only_yes_or_no(restricted_index, real_embedder):
    # Outsiders learn that a word is used somewhere they may not look — never where.
    outsider = _archive(restricted_index, OUTSIDER, real_embedder)
    member = _archive(restricted_index, MEMBER, real_embedder)
    assert outsider.only_hidden_use_words(CANARY) is True
    assert member.only_hidden_use_words(CANARY) is False  # they see it: nothing hidden
    assert outsider.only_hidden_use_words("failover") is False  # public documents use it
    assert outsider.only_hidden_use_words("wombatquartz") is False  # nobody does


def test_the_restricted_answer_check_says_only_yes_or_no(restricted_index, real_embedder):
    outsider = _archive(restricted_index, OUTSIDER, real_embedder)
    member = _archive(restricted_index, MEMBER, real_embedder)
    query = f"{CANARY} signing key rotation"
    assert outsider.only_hidden_answer(query) is True
    assert member.only_hidden_answer(query) is False  # they see it: nothing hidden
    assert outsider.only_hidden_answer("postgres replica failover") is False  # answered
    assert outsider.only_hidden_answer("wombatquartz") is False  # nobody answers it


def test_spelling_suggests_only_words_the_viewer_may_read(restricted_index, real_embedder):
    outsider = _archive(restricted_index, OUTSIDER, real_embedder)
    member = _archive(restricted_index, MEMBER, real_embedder)
    found = member.did_you_mean("zorbulan keys")
    assert found is not None and found.query == f"{CANARY} keys"
    assert outsider.did_you_mean("zorbulan keys") is None
    # A typo of a public word is corrected for everyone.
    for archive in (outsider, member):
        public = archive.did_you_mean("replcia failover")
        assert public is not None and public.query == "replica failover"


def test_kept_word_use_is_per_access_key(restricted_index, real_embedder) -> None:
    # One opener, as the server holds it: what a member's spelling learned about a restricted
    # word (that a visible document uses it) is kept, and must not answer for an outsider.
    with Opener(restricted_index, real_embedder) as opener:
        member, outsider = opener.require(MEMBER), opener.require(OUTSIDER)
        assert member.did_you_mean(f"{CANARY} keys") is None  # the member's word: kept as typed
        searcher = member._searcher
        assert searcher.uses(CANARY, member.scope(None))
        assert not searcher.uses(CANARY, outsider.scope(None))
        assert outsider.did_you_mean("zorbulan keys") is None
        found = member.did_you_mean("zorbulan keys")
        assert found is not None and found.query == f"{CANARY} keys"


def test_outsider_still_gets_a_full_page(restricted_index, real_embedder) -> None:
    # Restricted chunks are never candidates: they do not crowd visible ones off the page.
    outsider = _archive(restricted_index, OUTSIDER, real_embedder)
    member = _archive(restricted_index, MEMBER, real_embedder)
    query = "zorbulon key failover drill"
    visible = len(outsider.documents())
    hits = outsider.search(query, limit=visible)
    assert len(hits) == visible
    assert {h.doc_id for h in member.search(query, limit=3)} & set(RESTRICTED_IDS)


def test_cached_results_are_never_shared_across_access_sets(
    restricted_index, real_embedder
) -> None:
    member = _archive(restricted_index, MEMBER, real_embedder)
    outsider = Archive(member._searcher, OUTSIDER)  # the same searcher, cache and snapshot
    assert _trace(member.search(CANARY, limit=5))
    assert _trace(member.experts(CANARY))
    assert _trace(outsider.search(CANARY, limit=5)) == []
    assert _trace(outsider.experts(CANARY)) == []
    assert len(member._searcher.cache) >= 4


def test_a_missing_and_a_restricted_document_answer_alike(restricted_index, real_embedder):
    outsider = _archive(restricted_index, OUTSIDER, real_embedder)
    assert outsider.document(RESTRICTED_PM) is None
    assert outsider.document("no-such-document") is None
    assert outsider.more_like(RESTRICTED_PM) == outsider.more_like("no-such-document")
    assert outsider.segments(RESTRICTED_SHOWCASE) == outsider.segments("no-such-document") == []


def test_public_documents_stay_visible_to_everyone(restricted_index, real_embedder) -> None:
    outsider = _archive(restricted_index, NOBODY, real_embedder)
    assert outsider.document(LEDGER) is not None
    assert [h.doc_id for h in outsider.search("replica promoted with replication lag")][:1] == [
        LEDGER
    ]


@pytest.mark.parametrize(
    ("args", "sees"),
    [
        ([], False),
        (["--groups", ""], False),
        (["--groups", "sre,payments"], False),
        (["--groups", "SECURITY"], True),
        (["--all"], True),
    ],
)
def test_cli_reads_as_the_given_groups(
    restricted_index, tmp_path: Path, capsys, args: list[str], sees: bool
) -> None:
    data = ["--data-dir", str(restricted_index.data_dir)]
    queries = tmp_path / "q.jsonl"
    queries.write_text(json.dumps({"id": "q1", "query": f"{CANARY} key"}) + "\n")
    plan = tmp_path / "plan.md"
    plan.write_text("Signing key leaked in a failover runbook: rotate it before every drill.\n")
    outputs = []
    for command in (
        ["search", "--json", f"{CANARY} signing key"],
        ["search", "--queries", str(queries)],
        ["search", f"{CANARY} signing key"],
        ["stats", "--json"],
        ["experts", "--json", "signing key leaked in a failover runbook"],
        ["experts", "signing key leaked in a failover runbook"],
        ["brief", "--json", str(plan)],
        ["brief", str(plan)],
    ):
        assert main([*command, *data, *args]) == 0
        outputs.append(capsys.readouterr().out)
    found = [bool(_trace(out)) for out in outputs]
    stats = json.loads(outputs[3])
    assert found[:3] + found[4:] == [sees] * 7, found
    assert (stats["documents"]["postmortem"] > 3) is sees
    assert (stats["experts"] > 1) is sees
    # show: a restricted file answers like a missing one, by id and by path
    for key in (RESTRICTED_EXPORT, f"{RESTRICTED_EXPORT}.docx", RESTRICTED_PM):
        code = main(["show", "--json", key, *data, *args])
        out, err = capsys.readouterr()
        assert (code == 0) is sees and bool(_trace(out)) is sees
        if not sees:  # the message echoes the key as typed, exactly as for a missing file
            main(["show", "--json", "no-such-file", *data, *args])
            assert err == capsys.readouterr().err.replace("no-such-file", key)


def test_groups_and_all_exclude_each_other(restricted_index, capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        main(
            ["search", "x", "--all", "--groups", "a", "--data-dir", str(restricted_index.data_dir)]
        )
    assert exc.value.code == 2


@pytest.mark.parametrize(
    ("raw", "groups"),
    [
        (None, ()),
        ("", ()),
        ("Security", ("security",)),
        ("sre, Payments ,", ("payments", "sre")),
        (["SRE", "sre", " Ops "], ("ops", "sre")),
    ],
)
def test_groups_are_read_from_lists_and_strings(raw: object, groups: tuple[str, ...]) -> None:
    assert groups_of(raw) == groups
    assert document_access({"access": raw}) == groups


@pytest.mark.parametrize(
    ("viewer", "access", "visible"),
    [
        (NOBODY, (), True),
        (NOBODY, ("security",), False),
        (OUTSIDER, ("security",), False),
        (MEMBER, ("security",), True),
        (MEMBER, ("legal", "security"), True),
        (ADMIN, ("security",), True),
        (Viewer.everything(), ("anything",), True),
    ],
)
def test_who_may_see_what(viewer: Viewer, access: tuple[str, ...], visible: bool) -> None:
    assert viewer.may_see(access) is visible


def test_filters_are_hashable_cache_keys_with_the_viewer_access() -> None:
    a = SearchFilters(kinds=("talk", "postmortem"), facets={"team": ("sre", "edge")})
    b = SearchFilters(kinds=("postmortem", "talk"), facets={"team": ("edge", "sre")})
    assert a == b and hash(a) == hash(b)
    assert a.for_viewer(MEMBER) != a.for_viewer(OUTSIDER)
    assert a.for_viewer(ADMIN).access is None and a.for_viewer(NOBODY).access == ()
    assert a.without("team").facets == () and a.without("kind").kinds == ()


@pytest.mark.parametrize("access", [(), ("security",), ("sre",), None])
def test_chunk_table_access_agrees_with_sql(restricted_index, real_embedder, access) -> None:
    from index import catalog

    snapshot = _archive(restricted_index, NOBODY, real_embedder)._searcher.snapshot
    filters = SearchFilters(access=access)
    _, chunks = snapshot.table.allowed(snapshot.cursor(), filters)
    assert sorted(chunks.tolist()) == sorted(catalog.allowed_chunk_ids(snapshot.cursor(), filters))


def test_without_restricted_documents_search_takes_the_unfiltered_path(real_index, real_embedder):
    # The search path (and its measured speed) is unchanged for an archive with no access groups.
    settings, _ = real_index
    table = open_archive(settings, NOBODY, real_embedder)._searcher.snapshot.table
    assert not table.has_restricted
    assert table.effective(SearchFilters(access=())).is_empty()
    assert table.effective(SearchFilters(kinds=("talk",), access=())) == SearchFilters(
        kinds=("talk",)
    )


def test_an_access_set_that_covers_every_restricted_document_is_no_filter(
    restricted_index, real_embedder
) -> None:
    table = _archive(restricted_index, NOBODY, real_embedder)._searcher.snapshot.table
    assert table.has_restricted
    assert table.effective(SearchFilters(access=("security", "sre"))).access is None
    assert table.effective(SearchFilters(access=("sre",))).access == ("sre",)


@pytest.mark.parametrize(
    ("args", "sees"),
    [
        ([], False),
        (["--groups", "sre"], False),
        (["--groups", "security"], True),
        (["--all"], True),
    ],
)
def test_review_commands_read_as_the_given_groups(
    restricted_index, capsys, args: list[str], sees: bool
) -> None:
    data = ["--data-dir", str(restricted_index.data_dir)]
    outputs = []
    for command in (
        ["review", "--json"],
        ["review"],
        ["review", "--overdue", "--json", "--owner", "Priya Raman"],
        ["digest", "--since", "3650d", "--format", "json"],
        ["search", "--json", "schema migrations by hand"],
    ):
        assert main([*command, *data, *args]) == 0
        outputs.append(capsys.readouterr().out)
    assert [bool(_trace(out)) for out in outputs] == [sees] * 5


def test_a_hidden_successor_reads_like_a_missing_one(restricted_index, real_embedder) -> None:
    outsider = _archive(restricted_index, OUTSIDER, real_embedder)
    member = _archive(restricted_index, MEMBER, real_embedder)
    seen = outsider.document(PUBLIC_SUPERSEDED)
    assert seen is not None and seen.metadata.get("superseded") is True
    assert "superseded_by" not in seen.metadata
    assert outsider.successor(PUBLIC_SUPERSEDED) is None
    hit = next(h for h in outsider.search("schema migrations by hand") if h.doc_id == seen.doc_id)
    assert (hit.superseded_by, hit.obsolete, hit.obsolete_reason) == (None, True, "superseded")
    # A member follows the chain: the public talk → the restricted one → the public successor.
    successor = member.successor(PUBLIC_SUPERSEDED)
    assert successor is not None and CANARY in successor.title.lower()
    assert member.successor(successor) == member.document(PUBLIC_SUCCESSOR)
    queued = {i.doc.doc_id: i.reasons for i in review.queue(outsider, REVIEWS)}
    assert queued == {PUBLIC_SUPERSEDED: ("superseded",)}  # unlinked, as far as they can tell


def test_coordination_counts_only_what_the_viewer_may_see(restricted_index, real_embedder):
    # A member of `security` checked a plan as sre: the brief showed the restricted post-mortem
    # and matched a plan shared with `security` only. Outsiders count neither.
    counts = {}
    for viewer in (OUTSIDER, MEMBER):
        archive = _archive(restricted_index, viewer, real_embedder)
        found = coordination(archive, _radar_store(archive), _RADAR_SETTINGS)
        sre = next(t for t in found.teams if t.team == "sre")
        counts[viewer.name] = (
            sre.incidents_shown,
            sre.duplicate_plans,
            sre.opened_from_other_teams,
        )
    assert counts == {"outsider": (1, 0, 0), "member": (2, 1, 1)}


BROKEN_RESTRICTED = """\
---
title: [oops {canary} credential rotation
access: [security]
authors: [member, outsider]
---
The front matter above does not parse.
"""
BROKEN_PUBLIC = """\
---
title: [oops quota alarm
authors:
  - Outsider
owner: someone.else@example.com
---
"""
BROKEN_OTHERS = """\
---
title: [oops
authors: [Somebody Else]
---
"""


@pytest.fixture(scope="module")
def broken_index(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from index.settings import Settings
    from ingest.pipeline import Ingestor
    from tests.conftest import HashingEmbedder, write_content

    base = tmp_path_factory.mktemp("broken")
    content = write_content(base / "content")
    files = {
        f"postmortems/2025-09-01-{CANARY}-rotation.md": BROKEN_RESTRICTED.format(canary=CANARY),
        "postmortems/2025-09-02-quota.md": BROKEN_PUBLIC,
        "postmortems/2025-09-03-others.md": BROKEN_OTHERS,
    }
    for rel, text in files.items():
        (content / rel).write_text(text, encoding="utf-8")
    settings = Settings(data_dir=base / "data")
    embedder = HashingEmbedder()
    report = Ingestor(settings, embedder).run([str(content)])
    assert report.count("failed") == 3, report.outcomes
    return settings, embedder


def _own(broken_index: Any, viewer: Viewer) -> list[str]:
    settings, embedder = broken_index
    return sorted(
        Path(f.path).name for f in open_archive(settings, viewer, embedder).own_problems()
    )


def test_own_problems_reach_their_author_and_nobody_else(broken_index) -> None:
    """A file that failed reaches the people its front matter names, within its access."""
    assert _own(broken_index, OUTSIDER) == ["2025-09-02-quota.md"]  # not the security one
    assert _own(broken_index, MEMBER) == [f"2025-09-01-{CANARY}-rotation.md"]
    assert _own(broken_index, Viewer.of("someone", "someone.else@example.com")) == [
        "2025-09-02-quota.md"
    ]
    assert _own(broken_index, NOBODY) == [] and _own(broken_index, ADMIN) == []


def test_the_editors_group_sees_every_failed_file(broken_index) -> None:
    settings, embedder = broken_index
    editor = Viewer.of("ed", groups="content-editors", editors_group="Content-Editors")
    reader = Viewer.of("reader", groups="sre")
    failed = {
        viewer.name: {
            Path(f.path).name
            for f in open_archive(settings, viewer, embedder).file_states()
            if f.state == "failed"
        }
        for viewer in (editor, reader)
    }
    assert len(failed["ed"]) == 3 and failed["reader"] == set()
