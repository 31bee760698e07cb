"""AppTest: the Overview and Search pages, driven through their URLs and widgets."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from index.settings import Settings
from tests.app_helpers import run, texts

SEARCH = "portal/pages/search.py"
LEDGER = "Payments ledger served stale balances during replica failover"


pytestmark = pytest.mark.usefixtures("close_app_resources")


def page_links(at: AppTest) -> list[tuple[str, str, dict[str, str]]]:
    """(label, page, query params) of each page link."""
    out = []
    for el in at.get("page_link"):
        params = (
            dict(p.split("=", 1) for p in el.proto.query_string.split("&") if p)
            if hasattr(el.proto, "query_string")
            else {}
        )
        out.append((el.proto.label, el.proto.page, params))
    return out


def titles(at: AppTest) -> list[str]:
    """Labels of the result links, in order (escaping undone)."""
    return [
        el.proto.label.strip("*").replace("\\", "")
        for el in at.get("page_link")
        if el.proto.label.startswith("**")
    ]


def test_overview_counts_chart_and_newest(monkeypatch, real_index) -> None:
    settings, _ = real_index
    at = run(monkeypatch, settings, "portal/pages/overview.py")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics == {
        "Incidents": "3",
        "Showcase sessions": "3",
        "Talks": "1",
        "Paper reviews": "0",
        "Experts": "1",
    }
    assert at.get("vega_lite_chart"), "incidents per month chart"
    newest = [el.proto.label.replace("\\", "") for el in at.get("page_link")]
    assert "Shipment tracking unreachable after DNS provider migration" in newest
    assert "In the archive" in "\n".join(m.value for m in at.sidebar.caption)


def test_overview_search_box_opens_search(monkeypatch, real_index) -> None:
    settings, _ = real_index
    at = run(monkeypatch, settings, "portal/pages/overview.py")
    at.text_input(key="overview.q").input("replica lag")
    at.button[0].click().run()  # the form's submit button
    assert not at.exception
    assert at.query_params.get("q") in ("replica lag", ["replica lag"])
    assert LEDGER in titles(at)


def test_search_query_from_url_ranks_the_incident_first(monkeypatch, real_index) -> None:
    settings, _ = real_index
    at = run(monkeypatch, settings, SEARCH, q="promote a replica while replication lags")
    assert at.text_input(key="search.w.q").value == "promote a replica while replication lags"
    assert titles(at)[0] in (LEDGER, "Failover drills we automated — and the one that bit us")
    assert LEDGER in titles(at)[:2]
    body = texts(at)
    assert ":orange-background[**" in body, "query terms are highlighted"
    assert "People who know about this" in body
    assert ":red-badge[" not in body or "SEV" in body  # chips render as badges
    assert ":orange-badge[SEV2]" in body


def test_search_filters_from_url_are_applied(monkeypatch, real_index) -> None:
    settings, _ = real_index
    at = run(monkeypatch, settings, SEARCH, q="failover", kind="showcase")
    kinds = at.get("button_group")[0]
    assert kinds.value == ["showcase"]
    found = titles(at)
    assert found and all(t not in (LEDGER,) for t in found)
    assert "Failover drills we automated — and the one that bit us" in found
    assert at.query_params["kind"] in ("showcase", ["showcase"])


def test_facets_show_counts(monkeypatch, real_index) -> None:
    settings, _ = real_index
    at = run(monkeypatch, settings, SEARCH)
    kinds = at.get("button_group")[0]
    labels = [o.content for o in kinds.proto.options]
    assert labels == ["Incident · 3", "Showcase · 3", "Expert · 1", "Talk · 1"]
    teams = at.multiselect(key="search.w.team")
    assert "sre · 2" in teams.options  # options as shown: value · documents
    assert "Newest first" in texts(at)
    topics = at.get("button_group")[-1]  # suggestions for a first search
    topics.set_value("postgres").run()
    assert at.query_params["q"] in ("postgres", ["postgres"])


def test_facet_counts_follow_a_filter_picked_below_them(monkeypatch, real_index) -> None:
    settings, _ = real_index
    at = run(monkeypatch, settings, SEARCH)
    at.get("button_group")[1].set_value(["SEV1"]).run()  # severity, drawn after kind
    assert not at.exception
    kinds = at.get("button_group")[0]
    # Kind counts are computed before the severity widget is drawn: they must already use it.
    assert [o.content for o in kinds.proto.options] == ["Incident · 1"]


def test_date_range_from_url(monkeypatch, real_index) -> None:
    settings, _ = real_index
    at = run(monkeypatch, settings, SEARCH, **{"from": "2025-06-01", "to": "2025-12-31"})
    assert titles(at) == ["Shipment tracking unreachable after DNS provider migration"]


def test_transcript_hit_shows_speaker_time_and_plays_from_there(monkeypatch, real_index) -> None:
    settings, _ = real_index
    at = run(
        monkeypatch,
        settings,
        SEARCH,
        kind="showcase",
        q="the replica was promoted while replication lag was thirty eight seconds",
    )
    assert titles(at)[0] == "Failover drills we automated — and the one that bit us"
    # The passage spans several cues; the one that says it is the moment to play.
    assert "**Jonas Becker** at **0:20**" in texts(at)
    moments = [
        el.proto
        for el in at.get("page_link")
        if el.proto.label.replace("\\", "") == "Open the session at 0:20"
    ]
    assert moments and moments[0].page.endswith("showcase")
    assert (
        "t=20" in moments[0].query_string
        and "doc=showcase-2025-05-failover-drills" in moments[0].query_string
    )
    watch = [b.proto for b in at.get("link_button") if b.proto.label == "Watch from 0:20"]
    assert watch[0].url == "https://video.kestrel.example/showcase/2025-05-failover-drills#t=20"


def test_more_like_this(monkeypatch, real_index) -> None:
    settings, _ = real_index
    at = run(monkeypatch, settings, SEARCH, q="DNS TTL migration")
    assert titles(at)[0] == "Shipment tracking unreachable after DNS provider migration"
    at.button(key="like-0").click().run()
    assert not at.exception
    assert at.query_params["like"] in ("pm-2025-06-02-dns-ttl", ["pm-2025-06-02-dns-ttl"])
    assert "q" not in at.query_params
    assert "Shipment tracking unreachable after DNS provider migration" not in titles(at)
    assert "Documents like **Shipment tracking unreachable" in texts(at)


def test_no_results_offers_to_drop_a_filter_and_experts(monkeypatch, real_index) -> None:
    settings, _ = real_index
    at = run(monkeypatch, settings, SEARCH, q="postgres failover", team="edge", outcome="mixed")
    assert titles(at) == []
    assert at.warning[0].value == "Nothing matches all of these filters."
    assert "Ask someone who knows the topic" in texts(at)
    assert "Priya Raman" in [el.proto.label for el in at.get("page_link")]
    # Counts are of what would be listed: the DNS post-mortem of team edge does not match
    # "postgres failover" (it is only the nearest), the failover drills of outcome mixed do.
    assert at.button(key="drop-outcome").label == "Drop “Showcase outcome” — 0 results"
    assert at.button(key="drop-team").label == "Drop “Team” — 1 result"
    at.button(key="drop-team").click().run()
    assert not at.exception
    assert "team" not in at.query_params and at.query_params["outcome"] in ("mixed", ["mixed"])
    assert titles(at) == ["Failover drills we automated — and the one that bit us"]


def test_a_query_no_document_uses_says_so(monkeypatch, real_index) -> None:
    settings, _ = real_index
    at = run(monkeypatch, settings, SEARCH, q="xqzzvv plorbnik")
    assert titles(at) == []  # an honest nothing: the nearest in meaning wait behind a button
    assert at.info[0].value.startswith("No document uses the words “xqzzvv plorbnik”.")
    at.button(key="show-weak").click().run()
    assert not at.exception and titles(at) and "Weaker match" in texts(at)
    assert at.info[0].value.startswith("No document uses the words “xqzzvv plorbnik”.")
    at = run(monkeypatch, settings, SEARCH, q="replica failover")
    assert not at.info and "best first" in texts(at)


def test_a_typo_is_corrected_and_the_words_as_typed_are_one_click_away(
    monkeypatch, real_index
) -> None:
    settings, _ = real_index
    at = run(monkeypatch, settings, SEARCH, q="postgress replcia promotoin")
    assert titles(at)[0] == "Payments ledger served stale balances during replica failover"
    assert "Showing results for **postgres replica promotion**" in texts(at)
    at.button(key="search-exact").click().run()
    assert not at.exception and at.query_params["exact"] in ("1", ["1"])
    assert titles(at) == []  # the words as typed match nothing…
    assert at.button(key="search-suggestion").label == "postgres replica promotion"
    at.button(key="search-suggestion").click().run()  # …and the suggestion is one click away
    assert at.query_params["q"] in ("postgres replica promotion", ["postgres replica promotion"])
    assert titles(at)[0] == "Payments ledger served stale balances during replica failover"


def test_show_more(monkeypatch, real_index) -> None:
    settings, _ = real_index
    at = run(monkeypatch, settings, SEARCH, q="failover", n="2")
    assert len(titles(at)) == 2
    at.button(key=next(b.key for b in at.button if b.label == "Show more results")).click().run()
    assert at.query_params["n"] in ("12", ["12"])  # another page of ten
    assert len(titles(at)) > 2


@pytest.mark.parametrize(
    "params",
    [
        {"n": "lots", "from": "yesterday", "to": "2025-13-45"},
        {"kind": "bogus", "severity": ["SEV9", ""]},
        {"like": "no-such-document"},
        {"q": "x" * 5000},
    ],
)
def test_hostile_query_params_never_break_the_page(monkeypatch, real_index, params) -> None:
    settings, _ = real_index
    run(monkeypatch, settings, SEARCH, **params)  # asserts no exception


def test_without_an_index_every_page_says_how_to_build_one(monkeypatch, tmp_path) -> None:
    settings = Settings(data_dir=tmp_path / "empty")
    for page in ("overview", "search", "incidents", "showcase", "talks", "experts", "document"):
        at = run(monkeypatch, settings, f"portal/pages/{page}.py")
        assert at.info[0].value == "No index yet — run: hindsight ingest content/", page


def test_results_have_a_relevance_floor_and_weaker_matches_on_request(
    monkeypatch, real_index
) -> None:
    settings, _ = real_index
    at = run(monkeypatch, settings, SEARCH, q="DNS TTL provider migration")
    listed = titles(at)
    # Only what matches is listed (not every document); the nearest others wait behind a button.
    assert listed[0] == "Shipment tracking unreachable after DNS provider migration"
    (more,) = [b for b in at.button if b.proto.id and "show-weak" in b.proto.id]
    weaker = int(more.label.split()[1].rstrip("+"))
    assert weaker >= 1 and len(listed) + weaker <= 8
    assert f"{len(listed)} document" in texts(at)
    more.click().run()
    assert not at.exception
    assert at.query_params["weak"] in ("1", ["1"])
    assert len(titles(at)) == len(listed) + weaker
    assert "Weaker match" in texts(at)
    # A new query starts without the weaker matches.
    at.text_input(key="search.w.q").input("replica promotion").run()
    assert "weak" not in at.query_params


def test_facet_counts_agree_with_the_listed_results(monkeypatch, real_index) -> None:
    settings, _ = real_index
    at = run(monkeypatch, settings, SEARCH, q="DNS TTL provider migration")
    kinds = at.get("button_group")[0]
    counted = sum(int(o.content.rsplit("· ", 1)[1]) for o in kinds.proto.options)
    assert counted == len(titles(at))
