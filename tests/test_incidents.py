"""Incident intelligence on a small written corpus with known twins and look-alikes.

Twins share a failure mode in different words, companies and services; look-alikes share the
company, region, product, services, team and tags of a seed but fail another way. One twin is
restricted to `security`: an outsider never meets it as a similar incident, a cluster member,
an action item or a chart bar, and a member does.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from cli import main
from index import incidents, recurrence
from index.access import Viewer
from index.archive import Archive
from index.models import Document
from index.opener import open_archive
from index.settings import Settings
from ingest.pipeline import Ingestor

OUTSIDER = Viewer.of("outsider", groups="sre")
MEMBER = Viewer.of("member", groups="security")


def _pm(doc_id: str, front: str, body: str) -> str:
    return f"---\nid: {doc_id}\n{front.strip()}\n---\n{body.strip()}\n"


CORPUS = {
    # Twins: a TLS certificate nobody renewed, at two companies with different stacks.
    "cert-a": _pm(
        "cert-a",
        """
title: Acme checkout API down in us-east-1
date: 2024-03-02
severity: SEV1
company: Acme
region: us-east-1
services: [checkout-api, api-gateway]
teams: [payments]
tags: [acme, us-east-1, checkout, tls, certificates]
root_cause: The TLS certificate on the API gateway expired; it had been issued by hand and no renewal job or expiry alert existed
trigger: Certificate notAfter date passed at midnight
action_items:
  - Automate certificate renewal with cert-manager
  - {title: Page 21 days before any certificate expires, owner: Ann Lee, status: open, due: 2024-04-01}
""",
        "# Acme checkout API down\n\n## Summary\nClients failed TLS handshakes with "
        "certificate_expired for three hours.\n\n## Root cause\nA hand-made certificate "
        "expired and nothing renewed it.",
    ),
    "cert-b": _pm(
        "cert-b",
        """
title: Globex partner feed rejected our connections
date: 2025-09-10
severity: SEV2
company: Globex
access: [security]
services: [partner-feed]
teams: [integrations]
tags: [partners, tls, certificates]
root_cause: The client TLS certificate for the partner connection expired after a year; it had been issued by hand, with no automated renewal and no expiry alert
""",
        "# Globex partner feed rejected our connections\n\n## Summary\nThe partner's edge "
        "rejected handshakes: our expired client certificate.\n\n## Action items\n"
        "- [ ] Inventory every client certificate (owner: Bo Kim, due: 2025-10-01)\n"
        "- [x] Renew the partner certificate",
    ),
    # Twins: retries multiplying load on a slow dependency.
    "retry-a": _pm(
        "retry-a",
        """
title: Search slowdown turned into a full outage
date: 2024-06-11
severity: SEV1
company: Acme
region: us-east-1
services: [search-api, ranking]
teams: [search]
tags: [acme, us-east-1, retries, backoff, retry-budget]
root_cause: Three layers of clients each retried timeouts twice without backoff or a retry budget, multiplying requests to the slow ranking service until it collapsed
detection: alert
duration: 2h10m
""",
        "# Search slowdown\n\n## Summary\nA slow ranking deploy plus retries at every layer.",
    ),
    "retry-b": _pm(
        "retry-b",
        """
title: Initech login storm after a database blip
date: 2025-02-20
severity: SEV2
company: Initech
services: [auth]
teams: [identity]
tags: [retries, backoff, retry-budget]
root_cause: When the session database paused, every mobile client retried its timed-out requests immediately, with no backoff and no retry budget, multiplying the load on the database until it collapsed
detection: customer report
duration: 45m
""",
        "# Initech login storm\n\n## Summary\nA thundering herd of client retries.",
    ),
    # Look-alike of cert-a and retry-a: same company, region, services, team and tags.
    "disk-a": _pm(
        "disk-a",
        """
title: Acme checkout API errors in us-east-1
date: 2024-11-05
severity: SEV2
company: Acme
region: us-east-1
services: [checkout-api, api-gateway]
teams: [payments]
tags: [acme, us-east-1, checkout]
root_cause: The database volume filled up with write-ahead log segments retained for an abandoned replication slot, so the database stopped accepting writes
detection: engineer noticed
duration: 1d2h
""",
        "# Acme checkout API errors\n\n## Summary\nWrites failed: the disk was full.",
    ),
    # A loner: nothing in the corpus shares its failure mode.
    "dst": _pm(
        "dst",
        """
title: Pickup windows shifted by an hour
date: 2025-03-30
severity: SEV4
company: Acme
services: [scheduler]
teams: [logistics]
root_cause: Pickup times were stored as local wall-clock times without a zone, so the daylight saving change moved every window by an hour
""",
        "# Pickup windows shifted\n\n## Summary\nDaylight saving moved the windows.",
    ),
}


@pytest.fixture(scope="module")
def corpus_index(tmp_path_factory: pytest.TempPathFactory, real_embedder: Any) -> Settings:
    base = tmp_path_factory.mktemp("incidents")
    for name, text in CORPUS.items():
        path = base / "content" / "postmortems" / f"{name}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    settings = Settings(data_dir=base / "data")
    report = Ingestor(settings, real_embedder).run([str(base / "content")])
    assert report.count("indexed") == len(CORPUS), report.outcomes
    return settings


def _archive(settings: Settings, viewer: Viewer, embedder: Any) -> Archive:
    return open_archive(settings, viewer, embedder)


def _ids(items: Any) -> list[str]:
    return [i.doc.doc_id for i in items]


def test_twins_are_the_same_failure_mode_with_reasons(corpus_index, real_embedder) -> None:
    archive = _archive(corpus_index, MEMBER, real_embedder)
    panel = archive.similar_incidents("retry-a")
    assert panel is not None
    assert _ids(panel.same)[:1] == ["retry-b"]
    twin = panel.same[0]
    assert twin.tier == "same" and twin.signals["failure mode"] > 0
    assert abs(sum(twin.signals.values()) - twin.score) < 1e-6  # contributions add up
    # Why, in words a reader can check against both write-ups.
    assert twin.why.startswith("same cause: retries amplified the load")
    assert not any(ch.isdigit() for ch in twin.why)
    cert = archive.similar_incidents("cert-a")
    assert cert is not None and "cert-b" in _ids(cert.same)
    assert cert.same[0].reasons[0].startswith("same cause: a certificate expired unnoticed")


def test_look_alikes_sharing_only_surface_are_never_the_same(corpus_index, real_embedder) -> None:
    archive = _archive(corpus_index, MEMBER, real_embedder)
    for seed in ("cert-a", "retry-a"):
        panel = archive.similar_incidents(seed)
        assert panel is not None
        assert "disk-a" not in _ids(panel.same), seed
        shown = {i.doc.doc_id: i for i in panel.items}
        if "disk-a" in shown:  # at most "possibly related", and it says why: what it shares
            assert shown["disk-a"].tier == "related"
    panel = archive.similar_incidents("disk-a")
    assert panel is not None
    assert not set(_ids(panel.same)) & {"cert-a", "retry-a"}


def test_a_loner_gets_a_reason_and_its_closest(corpus_index, real_embedder) -> None:
    panel = _archive(corpus_index, MEMBER, real_embedder).similar_incidents("dst")
    assert panel is not None and not panel.items
    assert panel.closest is not None
    assert panel.reason.startswith("Nothing similar above the threshold; closest: ")
    assert panel.closest.doc.title in panel.reason


def test_recurring_clusters_hold_the_twins(corpus_index, real_embedder) -> None:
    clusters = _archive(corpus_index, MEMBER, real_embedder).recurring()
    sets = [set(c.doc_ids) for c in clusters]
    assert {"retry-a", "retry-b"} in sets
    assert {"cert-a", "cert-b"} in sets
    assert all("disk-a" not in s and "dst" not in s for s in sets)
    retry = next(c for c in clusters if set(c.doc_ids) == {"retry-a", "retry-b"})
    assert retry.headline("retry-b").startswith("2nd occurrence in 8 months: ")
    # The label names the shared cause, in words, not a list of their tags.
    assert retry.label.startswith("retries amplified the load")
    cert = next(c for c in clusters if set(c.doc_ids) == {"cert-a", "cert-b"})
    assert cert.label.startswith("a certificate expired unnoticed")


def test_outsiders_never_meet_the_restricted_twin(corpus_index, real_embedder) -> None:
    outsider = _archive(corpus_index, OUTSIDER, real_embedder)
    member = _archive(corpus_index, MEMBER, real_embedder)
    seen = outsider.similar_incidents("cert-a")
    assert seen is not None and "cert-b" not in repr(seen)
    assert outsider.similar_incidents("cert-b") is None
    assert outsider.recurrence_of("cert-a") is None
    assert "cert-b" not in repr(outsider.recurring()) and "Globex" not in repr(outsider.recurring())
    assert member.recurrence_of("cert-a") is not None
    assert not [i for i in outsider.action_items() if i.doc_id == "cert-b"]
    assert [i.title for i in member.action_items() if i.doc_id == "cert-b"] == [
        "Inventory every client certificate",
        "Renew the partner certificate",
    ]
    assert "integrations" not in dict(outsider.trends().by_team)
    assert dict(member.trends().by_team)["integrations"] == 1
    assert outsider.trends().incidents == len(CORPUS) - 1


def test_cli_similar_json_and_recurring(corpus_index, capsys) -> None:
    data = ["--data-dir", str(corpus_index.data_dir)]
    assert main(["similar", "retry-a", "--json", "--limit", "3", *data, "--all"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert rows and rows[0]["doc_id"] == "retry-b"
    assert {"doc_id", "path", "title", "date", "score", "tier", "signals", "why"} <= set(rows[0])
    assert rows[0]["tier"] == "same" and "failure mode" in rows[0]["signals"]
    assert rows[0]["why"].startswith("same cause: retries amplified the load")
    assert rows[0]["reasons"][0] == rows[0]["why"].split("; ")[0]
    path = str(Path(corpus_index.data_dir).parent / "content" / "postmortems" / "retry-a.md")
    assert main(["similar", path, *data, "--all"]) == 0
    text = capsys.readouterr().out
    assert "why: same cause: retries amplified the load" in text
    assert main(["recurring", "--json", *data]) == 0  # as nobody's groups
    out = capsys.readouterr().out
    assert "cert-b" not in out and "retry-b" in out
    assert main(["similar", "cert-b", *data]) == 2  # restricted answers like missing


def _doc(doc_id: str, written: bool = False) -> Document:
    meta: dict[str, Any] = {"root_cause": "x", "action_items": [{"title": "y"}]} if written else {}
    return Document(doc_id, "postmortem", doc_id, f"{doc_id}.md", None, meta)


def test_a_near_tie_goes_to_the_one_with_root_cause_and_action_items() -> None:
    docs = [_doc("seed"), _doc("bare"), _doc("written", written=True)]
    # "written" is exactly as close to the seed as "bare".
    vectors = np.array([[1, 0, 0], [0.8, 0.6, 0], [0.8, 0, 0.6]], dtype=np.float32)
    iset = incidents.build([incidents.profile(d) for d in docs], vectors, vectors)
    assert [iset.profiles[j].doc_id for j, _ in incidents.ranked(iset, 0)] == ["written", "bare"]


def test_one_strong_pair_cannot_chain_unrelated_incidents() -> None:
    # 0–1 recur, 1–2 recur, 0–2 do not: complete linkage keeps 2 out of {0, 1}.
    link = np.array([[0, 0.9, 0], [0.9, 0, 0.5], [0, 0.5, 0]], dtype=float)
    assert recurrence.groups(link) == [[0, 1]]
    assert recurrence.groups(np.zeros((3, 3))) == []


@pytest.mark.parametrize(
    ("n", "text"), [(1, "1st"), (2, "2nd"), (3, "3rd"), (4, "4th"), (11, "11th"), (22, "22nd")]
)
def test_ordinals(n: int, text: str) -> None:
    assert recurrence.ordinal(n) == text


def test_headline_counts_months_to_that_occurrence() -> None:
    docs = tuple(
        Document(f"d{i}", "postmortem", f"t{i}", "", dt.date(*ymd), {})
        for i, ymd in enumerate([(2023, 4, 1), (2024, 11, 3), (2024, 10, 1)])
    )
    cluster = recurrence.Cluster(tuple(sorted(docs, key=lambda d: d.date)), "keys expire", 0.5)
    assert cluster.headline() == "3rd occurrence in 19 months: keys expire"
    assert cluster.headline("d2") == "2nd occurrence in 18 months: keys expire"
    # The first of them says what came after, not "1st occurrence".
    assert cluster.headline("d0") == "happened again twice since: keys expire"


RETRY_C = _pm(
    "retry-c",
    """
title: Cart service meltdown after a cache restart
date: 2026-01-15
severity: SEV2
company: Umbrella
services: [cart]
teams: [shop]
tags: [retries, retry-budget]
root_cause: Web clients and the cart gateway both retried timed-out calls immediately, with no backoff and no retry budget, multiplying requests to the cart service until it collapsed
""",
    "# Cart service meltdown\n\n## Summary\nRetries without backoff kept the service down.",
)


def test_ingest_reports_a_new_post_mortem_that_recurs(corpus_index, tmp_path, capsys) -> None:
    import shutil

    base = Path(corpus_index.data_dir).parent
    copy = tmp_path / "copy"
    shutil.copytree(base, copy)
    new = copy / "content" / "postmortems" / "retry-c.md"
    new.write_text(RETRY_C, encoding="utf-8")
    assert main(["ingest", "--quiet", "--data-dir", str(copy / "data"), str(new)]) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if "recurs:" in line]
    assert len(lines) == 1 and "retry-c.md: recurs: like " in lines[0]
    assert "Search slowdown turned into a full outage (2024-06)" in lines[0]
    assert "3rd occurrence in 19 months" in lines[0]


def test_cause_text_drops_company_product_region_and_cloud_names() -> None:
    doc = Document(
        "x",
        "postmortem",
        "t",
        "",
        None,
        {
            "company": "Amazon",
            "product": "DynamoDB",
            "summary": "Amazon's DynamoDB in AWS us-east-1 (Northern Virginia) lost a DNS record",
            "keywords": ["us east", "dns race", "aws"],
        },
    )
    assert incidents.cause_text(doc).split() == ["in", "(", ")", "lost", "a", "DNS", "record"]
    assert incidents.profile(doc).tags == frozenset({"dns race"})
