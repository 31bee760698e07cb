"""A held-out folder of exports, written by hand, with what each must become.

None of these files, phrases or layouts was used while the readers were written (those were
tests/test_formats.py, tests/export_files.py and the bundled content/): different table
shapes (a header row of labels; `Key: Value` paragraphs in Word), numbered PDF headings and a
running header, Notion's `Sev 3`, a Confluence runbook that is not a post-mortem, Zoom and
`.en.vtt` captions beside recordings, a recording without captions, and three broken files.
Expectations are written from the documents themselves: a recording's moment is where its
words are said (the cue's own time in a VTT; the synthesis times for the spoken one).

    python -m bench.formats_eval            # build, ingest with the real model, check
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "docs/tools"))
from minipdf import Line, write_pdf  # noqa: E402


@dataclass(frozen=True)
class Expect:
    """What one good file must become, and a phrase only it contains."""

    path: str
    phrase: str
    title: str
    kind: str
    date: str | None
    severity: str | None = None
    slide: int | None = None
    moment: float | None = None  # seconds where the phrase is said (±3 s)
    recording: str | None = None  # the media file it plays
    actions: tuple[str, ...] = ()  # action item titles, in order
    statuses: tuple[str, ...] = ()  # their statuses as the product reads them (open/done)


@dataclass(frozen=True)
class Broken:
    path: str
    reason: str  # a part of the reason the report must give


@dataclass
class HeldOut:
    good: list[Expect] = field(default_factory=list)
    broken: list[Broken] = field(default_factory=list)


def _docx_horizontal(path: Path) -> None:
    import docx

    d = docx.Document()
    d.core_properties.title = "Postmortem_ Payment webhook backlog"
    d.add_heading("Payment webhook backlog after a queue resize", 1)
    header = ("Date", "Severity", "Status", "Owner")
    row = ("2025-04-22", "SEV2", "Closed", "Tomás Ortega")
    table = d.add_table(rows=2, cols=4)
    for cells, values in zip(table.rows, (header, row), strict=True):
        for cell, value in zip(cells.cells, values, strict=True):
            cell.text = value
    d.add_heading("What happened", 2)
    d.add_paragraph(
        "Resizing the webhook queue from eight to two partitions reordered retries, so the "
        "acquirer's settlement callbacks waited behind ninety thousand marketing events."
    )
    d.add_heading("Root cause", 2)
    d.add_paragraph("Payment and marketing webhooks shared one queue with no priorities.")
    d.add_heading("Follow-ups", 2)
    items = [
        ("Task", "Assignee", "State", "Due date"),
        ("Separate queue for payment webhooks", "Tomás Ortega", "Done", "2025-05-02"),
        ("Alert on settlement callback age", "Priya Raman", "In progress", "2025-05-30"),
    ]
    table = d.add_table(rows=3, cols=4)
    for cells, values in zip(table.rows, items, strict=True):
        for cell, value in zip(cells.cells, values, strict=True):
            cell.text = value
    d.save(str(path))


def _docx_key_value(path: Path) -> None:
    import docx

    d = docx.Document()
    d.add_heading("Route cache stampede", 0)
    for line in ("Date: 30 January 2025", "Severity: Sev 1", "Services: route-planner, redis-routes",
                 "Team: routing", "Authors: Jonas Becker"):  # fmt: skip
        d.add_paragraph(line)
    d.add_heading("Summary", 1)
    d.add_paragraph(
        "A deploy flushed the route cache at 07:58, two minutes before the morning dispatch, and "
        "four thousand drivers' apps recomputed routes at once against the planner."
    )
    d.add_heading("Root cause", 1)
    d.add_paragraph("Cache keys carried the build number, so every deploy emptied the cache.")
    d.save(str(path))


def _pdf_numbered(path: Path) -> None:
    write_pdf(
        path,
        [
            Line("SFTP partner feed stopped after key rotation", 16, bold=True),
            Line("Incident date: July 18, 2025"),
            Line("Severity: High"),
            Line("Services: partner-sftp, manifest-import"),
            Line("1. Summary", 13, bold=True, gap=8),
            Line(
                "Our quarterly SSH key rotation replaced the key three carriers had pinned; their "
                "manifest uploads bounced for nineteen hours before anyone noticed the silence."
            ),
            Line("2. Root cause", 13, bold=True, gap=8),
            Line("Partners pin host keys; the rotation runbook had no step to notify them."),
            Line("3. Action items", 13, bold=True, gap=8),
            Line("• Notify pinned partners a week before rotation (owner: Ravi Shankar)"),
            Line(
                "• Alert when a partner feed is silent for two hours (owner: Ravi Shankar) - done"
            ),
        ],
        title="Microsoft Word - RCA-sftp.docx",
        footer="Kestrel Freight confidential",
    )


def _pdf_multipage(path: Path) -> None:
    filler = [
        Line(f"Section {i}: availability of the tracking API stayed above target.")
        for i in range(70)
    ]
    write_pdf(
        path,
        [
            Line("Quarterly reliability review, Q3 2025", 16, bold=True),
            Line("Date: 2025-10-06"),
            *filler,
            Line("Appendix", 13, bold=True),
            Line("The only missed objective was label printing in Leipzig during the heatwave."),
        ],
        footer="Reliability Review Q3",
    )


def _pptx(path: Path, title: str, slides: list[tuple[str, list[str], str]]) -> None:
    from pptx import Presentation

    deck = Presentation()
    deck.core_properties.title = title
    for slide_title, bullets, notes in slides:
        slide = deck.slides.add_slide(deck.slide_layouts[1])
        slide.shapes.title.text = slide_title
        frame = slide.placeholders[1].text_frame
        frame.text = bullets[0]
        for bullet in bullets[1:]:
            frame.add_paragraph().text = bullet
        if notes:
            slide.notes_slide.notes_text_frame.text = notes
    deck.save(str(path))


CONFLUENCE = """<!DOCTYPE html><html><head><title>{space} : {title}</title>
<script>window.ajs = "zzscript";</script><style>p {{ color: red }}</style></head>
<body><div id="page"><div id="main"><div id="main-header"><div id="breadcrumb-section">
<ol id="breadcrumbs"><li><a href="index.html">{space}</a></li></ol></div>
<h1 id="title-heading" class="pagetitle"><span id="title-text">{space} : {title}</span></h1></div>
<div id="content" class="view"><div class="page-metadata">Created by <span class="author">Kwame
Asante</span>, last modified on {modified}</div><div id="main-content" class="wiki-content group">
{body}</div></div></div><div id="footer"><p>Document generated by Confluence</p></div></div>
</body></html>"""

DNS_DRILL = """<table class="confluenceTable"><thead><tr><th>Field</th><th>Value</th></tr></thead>
<tbody><tr><td>Date</td><td>2025-09-09</td></tr><tr><td>Severity</td><td>SEV3</td></tr>
<tr><td>Affected services</td><td>edge-dns, api-gateway</td></tr></tbody></table>
<h2>Summary</h2><p>During the planned DNS failover drill the secondary provider answered with a
zone eleven serials old, sending a fifth of lookups to a retired ingress for twenty minutes.</p>
<h2>Root cause</h2><p>Zone transfers to the secondary had silently failed since a firewall change.</p>
<h2>Action items</h2><ul class="inline-task-list"><li data-inline-task-id="1">Alert on zone serial
drift between providers</li><li data-inline-task-id="2" class="checked">Re-open AXFR from the
primary</li></ul>"""

RUNBOOK = """<h2>When to use</h2><p>Use this runbook when cert-manager reports a certificate that
will expire within fourteen days and automatic renewal has failed twice.</p>
<h2>Steps</h2><ol><li>Check the ClusterIssuer status.</li><li>Delete the stuck CertificateRequest
so that cert-manager retries with a fresh order.</li></ol>"""

NOTION = """# Search outage during reindex

Severity: Sev 3
Incident date: October 3, 2024
Owner: Marcus Feld
Services: docsearch

## Summary

Reindexing the support corpus dropped the alias for eleven minutes, and every support-copilot
answer said it could find no documents about customs forms.

## Root cause

The reindex script deleted the old index before pointing the alias at the new one.

## Action items

- [ ] Swap the alias atomically before deleting (owner: Marcus Feld)
- [x] Add a smoke query after reindexing
"""

ZOOM_VTT = """WEBVTT

1
00:00:02.000 --> 00:00:06.500
Hannah Okafor: Thanks for joining the certificate guild.

2
00:00:06.500 --> 00:00:12.000
Hannah Okafor: First topic is the intermediate certificate we forgot to ship with the bundle.

3
00:00:12.000 --> 00:00:19.000
Kwame Asante: Android clients failed the handshake while desktop browsers quietly fetched the missing intermediate.

4
00:00:19.000 --> 00:00:25.000
Hannah Okafor: So the lesson is to test the chain with a client that does not fetch intermediates.

5
00:00:25.000 --> 00:00:31.000
Kwame Asante: I will add an openssl verify step to the release pipeline this week.
"""

DESIGN_VTT = """WEBVTT

00:00:00.000 --> 00:00:09.000
<v Lucía Fernández>This design review covers surcharge tables for the rate quoter.

00:00:09.000 --> 00:00:20.000
<v Lucía Fernández>Carriers send fuel surcharges weekly and we apply them with a one day lag.

00:00:20.000 --> 00:00:31.000
<v Tomás Ortega>What happens when a surcharge arrives without an end date and stays in force for a year?

00:00:31.000 --> 00:00:42.000
<v Lucía Fernández>The importer rejects open-ended surcharges and asks the carrier manager to confirm.
"""

DESIGN_SIDECAR = """---
title: Design review — surcharge tables in rate-quoter
date: 2025-08-14
presenters: [Lucía Fernández]
---
"""

SPOKEN = [
    ("en-us", "Good morning. This is the warehouse safety briefing for the night shift."),
    ("en-us", "Forklifts now have blue spot lights that warn pedestrians before a corner."),
    ("en-gb", "Please keep the yellow walkway clear of empty pallets at all times."),
    ("en-gb", "Last month a reach truck clipped a sprinkler pipe in aisle fourteen."),
    ("en-us", "Report any leaking battery charger to the shift lead straight away."),
]


def _speak(path: Path) -> dict[str, float]:
    """Synthesise SPOKEN into PATH (mp3); when each line starts, from the synthesis itself."""
    starts: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        parts, at = [], 0.0
        for i, (voice, text) in enumerate(SPOKEN):
            wav = Path(tmp) / f"{i}.wav"
            subprocess.run(
                ["espeak-ng", "-v", voice, "-s", "155", "-w", str(wav), text], check=True
            )
            starts[text] = at
            at += float(subprocess.check_output(["soxi", "-D", str(wav)], text=True)) + 0.8
            pause = Path(tmp) / f"{i}p.wav"
            subprocess.run(["sox", "-n", "-r", "22050", "-c", "1", str(pause), "trim", "0", "0.8"],
                           check=True)  # fmt: skip
            parts += [str(wav), str(pause)]
        joined = Path(tmp) / "all.wav"
        subprocess.run(["sox", *parts, "-r", "16000", str(joined)], check=True)
        subprocess.run(["sox", str(joined), "-C", "32", str(path)], check=True)
    return starts


def build(root: Path) -> HeldOut:
    """Write the held-out folder under ROOT; what each file must become."""
    out = HeldOut()
    for folder in ("gdrive", "exports", "pdf", "decks", "showcases", "confluence/OPS", "notion",
                   "recordings"):  # fmt: skip
        (root / folder).mkdir(parents=True, exist_ok=True)

    _docx_horizontal(root / "gdrive/Postmortem_ Payment webhook backlog.docx")
    out.good.append(Expect(
        "gdrive/Postmortem_ Payment webhook backlog.docx",
        "settlement callbacks waited behind ninety thousand marketing events",
        "Payment webhook backlog after a queue resize", "postmortem", "2025-04-22", "SEV2",
        actions=("Separate queue for payment webhooks", "Alert on settlement callback age"),
        statuses=("done", "open")))  # fmt: skip
    _docx_key_value(root / "exports/Incident 2291 - Route cache stampede.docx")
    out.good.append(Expect(
        "exports/Incident 2291 - Route cache stampede.docx",
        "four thousand drivers' apps recomputed routes at once",
        "Route cache stampede", "postmortem", "2025-01-30", "SEV1"))  # fmt: skip
    _pdf_numbered(root / "pdf/RCA-2025-07-18-sftp-key-rotation.pdf")
    out.good.append(Expect(
        "pdf/RCA-2025-07-18-sftp-key-rotation.pdf",
        "manifest uploads bounced for nineteen hours",
        "SFTP partner feed stopped after key rotation", "postmortem", "2025-07-18", "SEV2",
        actions=("Notify pinned partners a week before rotation",
                 "Alert when a partner feed is silent for two hours"),
        statuses=("open", "done")))  # fmt: skip
    _pdf_multipage(root / "pdf/Quarterly reliability review.pdf")
    out.good.append(Expect(
        "pdf/Quarterly reliability review.pdf",
        "label printing in Leipzig during the heatwave",
        "Quarterly reliability review, Q3 2025", "note", "2025-10-06"))  # fmt: skip
    _pptx(root / "decks/Kafka at Kestrel - lessons.pptx", "Kafka at Kestrel - lessons", [
        ("Kafka at Kestrel: five lessons", ["Speaker: Ravi Shankar", "Date: 2025-06-12"], ""),
        ("Lesson 1: partitions", ["Pick partition counts for the consumers you will have"], ""),
        ("Lesson 2: rebalancing", ["Cooperative sticky assignor"], ""),
        ("Lesson 3: retention", ["Seven days is a default, not a decision"], ""),
        ("Lesson 4: schemas", ["Compatibility checks in CI"], ""),
        ("Lesson 5: consumer lag", ["Alert on lag in seconds"],
         "Lag in messages means nothing at three in the morning; lag in seconds wakes the "
         "right person, which is why the tracking consumers page on ninety seconds."),
        ("Questions", ["#data-platform"], ""),
    ])  # fmt: skip
    out.good.append(Expect(
        "decks/Kafka at Kestrel - lessons.pptx",
        "tracking consumers page on ninety seconds",
        "Kafka at Kestrel: five lessons", "talk", "2025-06-12", slide=6))  # fmt: skip
    _pptx(root / "showcases/2025-11-20 label OCR demo.pptx", "Untitled presentation", [
        ("Label OCR for damaged parcels", ["Presenters: Aiko Tanaka", "Date: 2025-11-20"], ""),
        ("Baseline", ["Tesseract on phone photos"], ""),
        ("What failed", ["Creased labels"], "Creased thermal labels fooled the detector until "
         "we added synthetic fold lines to the training images."),
    ])  # fmt: skip
    out.good.append(Expect(
        "showcases/2025-11-20 label OCR demo.pptx",
        "synthetic fold lines to the training images",
        "Label OCR for damaged parcels", "showcase", "2025-11-20", slide=3))  # fmt: skip
    (root / "confluence/OPS/Postmortem-DNS-failover-drill_3301.html").write_text(CONFLUENCE.format(
        space="Operations", title="Postmortem: DNS failover drill", modified="Sep 12, 2025",
        body=DNS_DRILL))  # fmt: skip
    out.good.append(Expect(
        "confluence/OPS/Postmortem-DNS-failover-drill_3301.html",
        "zone eleven serials old",
        "Postmortem: DNS failover drill", "postmortem", "2025-09-09", "SEV3",
        actions=("Alert on zone serial drift between providers", "Re-open AXFR from the primary"),
        statuses=("open", "done")))  # fmt: skip
    (root / "confluence/OPS/Runbook-Rotate-TLS-certificates_3302.html").write_text(
        CONFLUENCE.format(space="Operations", title="Runbook: Rotate TLS certificates",
                          modified="Feb 02, 2025", body=RUNBOOK))  # fmt: skip
    out.good.append(Expect(
        "confluence/OPS/Runbook-Rotate-TLS-certificates_3302.html",
        "Delete the stuck CertificateRequest",
        "Runbook: Rotate TLS certificates", "note", "2025-02-02"))  # fmt: skip
    notion = "notion/Search outage during reindex 5d41402abc4b2a76b9719d911017c592.md"
    (root / notion).write_text(NOTION)
    out.good.append(Expect(
        notion, "could find no documents about customs forms",
        "Search outage during reindex", "postmortem", "2024-10-03", "SEV3",
        actions=("Swap the alias atomically before deleting", "Add a smoke query after reindexing"),
        statuses=("open", "done")))  # fmt: skip
    (root / "recordings/GMT20250604-140500_Recording.transcript.vtt").write_text(ZOOM_VTT)
    (root / "recordings/GMT20250604-140500_Recording_1280x720.mp4").write_bytes(b"\0" * 2048)
    out.good.append(Expect(
        "recordings/GMT20250604-140500_Recording.transcript.vtt",
        "Android clients failed the handshake",
        "Zoom recording, 04 Jun 2025 14:05 UTC", "talk", "2025-06-04", moment=12.0,
        recording="GMT20250604-140500_Recording_1280x720.mp4"))  # fmt: skip
    (root / "recordings/design-review.en.vtt").write_text(DESIGN_VTT)
    (root / "recordings/design-review.mp4").write_bytes(b"\0" * 2048)
    (root / "recordings/design-review.md").write_text(DESIGN_SIDECAR)
    out.good.append(Expect(
        "recordings/design-review.en.vtt",
        "surcharge arrives without an end date",
        "Design review — surcharge tables in rate-quoter", "talk", "2025-08-14", moment=20.0,
        recording="design-review.mp4"))  # fmt: skip
    starts = _speak(root / "recordings/warehouse-safety-briefing.mp3")
    out.good.append(Expect(
        "recordings/warehouse-safety-briefing.mp3",
        "reach truck clipped a sprinkler pipe",
        "Warehouse safety briefing", "talk", None,
        moment=starts["Last month a reach truck clipped a sprinkler pipe in aisle fourteen."],
        recording="warehouse-safety-briefing.mp3"))  # fmt: skip

    # Broken: a truncated Word file, a password-protected PDF, a scanned page.
    good_docx = root / "exports/Incident 2291 - Route cache stampede.docx"
    (root / "gdrive/upload-interrupted.docx").write_bytes(good_docx.read_bytes()[:3000])
    out.broken.append(Broken("gdrive/upload-interrupted.docx", "damaged DOCX file"))
    plain = root / "pdf/.plain.pdf"
    write_pdf(plain, [Line("Board pack: do not circulate"), Line("Severity: SEV1")])
    subprocess.run(["qpdf", "--encrypt", "board", "owner", "256", "--", str(plain),
                    str(root / "pdf/board-pack.pdf")], check=True)  # fmt: skip
    plain.unlink()
    out.broken.append(Broken("pdf/board-pack.pdf", "encrypted PDF"))
    write_pdf(root / "pdf/fax-2024-03-01.pdf", [Line("x" * 60)] * 40, text_layer=False)
    out.broken.append(Broken("pdf/fax-2024-03-01.pdf", "no text layer — scanned?"))
    return out


if __name__ == "__main__":
    target = Path(sys.argv[1])
    shutil.rmtree(target, ignore_errors=True)
    print(build(target))
