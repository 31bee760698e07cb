"""How the bundled exports were made: the Word, PDF, slide, Confluence and Notion files and the
recording without captions under content/, as the tools that export them lay them out.

    python docs/tools/demo_exports.py content

Needs python-docx and python-pptx (the dev extra) and, for the recording, Debian's `espeak-ng`
and `sox` (with `libsox-fmt-mp3`). Not a runtime need; run it only to remake the files.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import tempfile
from pathlib import Path

from minipdf import Line, write_pdf

DOCX_NAME = "postmortems/Copy of Warehouse scanner sync outage (1).docx"
PDF_NAME = "postmortems/2025-12-03-customs-broker-api-throttling.pdf"
PPTX_NAME = "talks/2026-03-backpressure-in-practice.pptx"
CONFLUENCE_NAME = "confluence/ENG/Label-printer-queue-stall-during-peak_4784131.html"
NOTION_NAME = "notion/Carrier onboarding review 8f1e2d3c4b5a69788796a5b4c3d2e1f0.md"
RECORDING_NAME = "showcases/2026-04-pallet-vision-demo.mp3"


def docx_postmortem(path: Path) -> None:
    import docx

    d = docx.Document()
    d.core_properties.title = "Copy of Warehouse scanner sync outage (1)"
    d.core_properties.author = "Daniel Kim"
    d.core_properties.created = dt.datetime(2026, 2, 18, 9, 30)
    d.add_heading("Warehouse scanner sync outage", 0)
    fields = [
        ("Incident date", "17 February 2026"), ("Severity", "SEV2"), ("Status", "Resolved"),
        ("Services", "scanner-sync, warehouse-api, shipment-tracker"),
        ("Team", "tracking"), ("Authors", "Daniel Kim, Kwame Asante"), ("Duration", "2h 10m"),
    ]  # fmt: skip
    table = d.add_table(rows=len(fields), cols=2)
    for row, (key, value) in zip(table.rows, fields, strict=True):
        row.cells[0].text, row.cells[1].text = key, value
    d.add_heading("Summary", 1)
    d.add_paragraph(
        "After a firmware push, 340 handheld scanners in the Rotterdam and Leipzig hubs replayed "
        "a week of offline scans at once. scanner-sync accepted every replay as a new event, so "
        "shipment-tracker showed parcels moving backwards through the hub for two hours."
    )
    d.add_heading("Impact", 1)
    d.add_paragraph(
        "About 41,000 tracking pages showed a parcel as 'received at hub' after it had been "
        "delivered; 1,900 customers contacted support. No parcel was physically misrouted."
    )
    d.add_heading("Timeline", 1)
    for line in (
        "09:05 firmware 4.2 rolled out to all handhelds",
        "09:12 replay flood starts; warehouse-api p99 at 9 s",
        "10:40 scanner-sync paused; replays dropped by scan id",
        "11:15 tracking pages corrected by a backfill",
    ):
        d.add_paragraph(line, style="List Bullet")
    d.add_heading("Root cause", 1)
    d.add_paragraph(
        "Firmware 4.2 reset the scanners' acknowledged-offset, and scanner-sync deduplicated on "
        "(device, sequence) instead of the scan's own id, which survives a reset."
    )
    d.add_heading("Lessons", 1)
    d.add_paragraph("Deduplicate events on an id the producer cannot reset.")
    d.add_heading("Action items", 1)
    items = [
        ("Action", "Owner", "Status", "Due"),
        ("Deduplicate scans on scan id", "Kwame Asante", "Done", "2026-02-24"),
        ("Stage firmware rollouts by hub", "Daniel Kim", "Open", "2026-03-31"),
        ("Alert on event timestamps older than a day", "Daniel Kim", "Open", "2026-03-15"),
    ]
    table = d.add_table(rows=len(items), cols=4)
    for row, values in zip(table.rows, items, strict=True):
        for cell, value in zip(row.cells, values, strict=True):
            cell.text = value
    d.save(str(path))


def pdf_postmortem(path: Path) -> None:
    body = [
        Line("Customs broker API throttling delayed export filings", 17, bold=True),
        Line("Date: 3 December 2025", gap=6),
        Line("Severity: SEV3"),
        Line("Status: Resolved"),
        Line("Services: customs-filing, broker-gateway"),
        Line("Owner: Ravi Shankar"),
        Line("Summary", 13, bold=True, gap=10),
        Line(
            "For five hours the customs broker's API answered 429 Too Many Requests to every "
            "export declaration we sent. broker-gateway retried each call immediately, so our "
            "own retries kept the quota exhausted and 2,300 declarations missed their cut-off."
        ),
        Line("Impact", 13, bold=True, gap=10),
        Line(
            "312 containers sailed a day late from Hamburg; eleven customers were refunded "
            "the express surcharge."
        ),
        Line("Root cause", 13, bold=True, gap=10),
        Line(
            "The broker lowered our quota from 50 to 20 requests a second after a contract "
            "change, and broker-gateway ignored the Retry-After header, retrying with no "
            "backoff. The quota was never monitored on our side."
        ),
        Line("Lessons learned", 13, bold=True, gap=10),
        Line("Honour Retry-After; a partner's quota is a dependency to monitor like any other."),
        Line("Action items", 13, bold=True, gap=10),
        Line(
            "• Honour Retry-After in broker-gateway (owner: Ravi Shankar, due: 2025-12-10) - done"
        ),
        Line("• Alert at 80% of the broker quota (owner: Ravi Shankar, due: 2026-01-15)"),
    ]
    write_pdf(
        path, body, title="Customs broker API throttling delayed export filings",
        author="Ravi Shankar", created="D:20251205101500", footer="Kestrel Freight - Internal",
    )  # fmt: skip


SLIDES = [
    ("Backpressure in practice", ["Presenter: Sofia Lindqvist", "Date: 12 March 2026",
                                  "Tech talk, networking"], "Welcome; this talk is the "
     "write-up of three incidents where a queue hid an overload until it was too late."),
    ("Queues hide overload", ["A queue turns a spike into latency", "Latency turns into retries",
                              "Retries turn into more load"], "The carrier poller storm of "
     "October 2026 is the example: the queue grew for forty minutes before anyone was paged."),
    ("Bounded queues, explicit rejection", ["Bound every queue", "Reject early with 429 or 503",
                                            "Shed by priority, not by arrival"],
     "A bounded queue that rejects is honest: the caller learns at once and can back off."),
    ("Retry budgets", ["Cap retries at 10% of requests", "Jittered exponential backoff",
                       "One layer retries, the others fail fast"],
     "The budget is per client and per dependency; Envoy's retry budget does exactly this, "
     "and it would have stopped the May 2025 retry storm in its first minute."),
    ("What we changed", ["carrier-gateway: bounded queue of 2,000", "edge-proxy: retry budget 10%",
                         "Dashboards: queue age, not queue length"],
     "Queue age is the signal that matters; length depends on the rate."),
    ("Questions", ["#team-networking", "Office hours: Thursdays"], ""),
]  # fmt: skip


def pptx_talk(path: Path) -> None:
    from pptx import Presentation

    deck = Presentation()
    deck.core_properties.title = "Backpressure in practice"
    deck.core_properties.author = "Sofia Lindqvist"
    deck.core_properties.created = dt.datetime(2026, 3, 10, 16, 0)
    for title, bullets, notes in SLIDES:
        slide = deck.slides.add_slide(deck.slide_layouts[1])
        slide.shapes.title.text = title
        frame = slide.placeholders[1].text_frame
        frame.text = bullets[0]
        for bullet in bullets[1:]:
            frame.add_paragraph().text = bullet
        if notes:
            slide.notes_slide.notes_text_frame.text = notes
    deck.save(str(path))


CONFLUENCE = """<!DOCTYPE html>
<html>
    <head>
        <title>Engineering : Label printer queue stall during peak</title>
        <link rel="stylesheet" href="styles/site.css" type="text/css" />
        <META http-equiv="Content-Type" content="text/html; charset=UTF-8">
        <style>.confluenceTable { border: 1px solid #ccc }</style>
        <script>var AJS = {}; AJS.analyticsCanary = "zzconfluencescriptzz";</script>
    </head>
    <body class="theme-default aui-theme-default">
        <div id="page">
            <div id="main" class="aui-page-panel">
                <div id="main-header">
                    <div id="breadcrumb-section">
                        <ol id="breadcrumbs">
                            <li class="first"><span><a href="index.html">Engineering</a></span></li>
                            <li><span><a href="Post-mortems_4784120.html">Post-mortems</a></span></li>
                        </ol>
                    </div>
                    <h1 id="title-heading" class="pagetitle">
                        <span id="title-text">Engineering : Label printer queue stall during peak</span>
                    </h1>
                </div>
                <div id="content" class="view">
                    <div class="page-metadata">
                        Created by <span class='author'> Emily Walsh</span>, last modified by <span class='editor'> Kwame Asante</span> on Nov 28, 2025
                    </div>
                    <div id="main-content" class="wiki-content group">
<div class="table-wrap"><table class="confluenceTable"><tbody>
<tr><th class="confluenceTh">Incident date</th><td class="confluenceTd">2025-11-24</td></tr>
<tr><th class="confluenceTh">Severity</th><td class="confluenceTd">SEV3</td></tr>
<tr><th class="confluenceTh">Status</th><td class="confluenceTd">Resolved</td></tr>
<tr><th class="confluenceTh">Affected services</th><td class="confluenceTd">label-printer-service, pickup-scheduler</td></tr>
<tr><th class="confluenceTh">Incident owner</th><td class="confluenceTd">Emily Walsh</td></tr>
<tr><th class="confluenceTh">Team</th><td class="confluenceTd">devex</td></tr>
</tbody></table></div>
<h2 id="Labelprinterqueuestall-Summary">Summary</h2>
<p>On Cyber Monday the label-printer-service print queue stalled for 52 minutes: one Zebra printer in the Leipzig hub
returned a malformed status frame, and the queue worker, which prints in strict order, waited on it forever while
1,400 labels queued behind it.</p>
<h2 id="Labelprinterqueuestall-Impact">Impact</h2>
<p>Pickups for 96 parcels missed the evening carrier collection; they left the next morning.</p>
<h2 id="Labelprinterqueuestall-Rootcause">Root cause</h2>
<p>The queue worker had no per-printer timeout and one queue for all printers, so a single stuck printer blocked
every other printer in the hub (head-of-line blocking).</p>
<h2 id="Labelprinterqueuestall-Actionitems">Action items</h2>
<ul class="inline-task-list" data-inline-tasks-content-id="4784131">
<li data-inline-task-id="1" class="checked">One print queue per printer (owner: Emily Walsh, due: 2025-12-05)</li>
<li data-inline-task-id="2">Time out a printer after 20 s and move its jobs to a neighbour @kwame.asante 2026-01-09</li>
</ul>
<script>document.write("zzconfluencescriptzz")</script>
                    </div>
                    <div class="pageSection group">
                        <div class="pageSectionHeader"><h2 id="attachments" class="pageSectionTitle">Attachments:</h2></div>
                        <div class="greybox" align="left"><img src="images/icons/bullet_blue.gif" height="8" width="8" alt=""/><a href="attachments/4784131/4784133.png">printer-status.png</a> (image/png)</div>
                    </div>
                </div>
            </div>
            <div id="footer" role="contentinfo">
                <section class="footer-body">
                    <p>Document generated by Confluence on Nov 28, 2025 17:02</p>
                    <div id="footer-logo"><a href="http://www.atlassian.com/">Atlassian</a></div>
                </section>
            </div>
        </div>
    </body>
</html>
"""

NOTION = """# Carrier onboarding review

Date: January 20, 2026
Type: Design review
Owner: Lucía Fernández
Tags: carriers, onboarding, rate-quoter
Status: Done

## Context

Each new carrier took six weeks to onboard because rate tables arrived as spreadsheets that
someone typed into rate-quoter by hand. This review proposed importing the carriers' own
EDI rate files instead.

## Decisions

- Import rate files through a validation stage that rejects surcharges without an end date.
- Keep a human approval for the first import of each carrier.

## Action items

- [x] EDI rate-file importer behind a flag (owner: Lucía Fernández, due: 2026-02-10)
- [ ] Carrier sandbox with synthetic shipments @tomas 2026-03-01
"""

# The recording without captions: what is said, who says it (one espeak-ng voice each).
RECORDING_SCRIPT = [
    ("en-gb", "Hi everyone, this is the April showcase, and I am Aiko from the ML platform team."),
    (
        "en-gb",
        "Today we show pallet vision, a camera model that counts pallets at the loading dock.",
    ),
    ("en-us", "I am Marcus. The first version counted shrink wrap reflections as extra pallets."),
    (
        "en-us",
        "At night the floodlights doubled the count, so the dock managers stopped trusting it.",
    ),
    (
        "en-gb",
        "We fixed it by training on night shots and by ignoring boxes smaller than a pallet.",
    ),
    ("en-gb", "The second version is within two percent of the manual count in both hubs."),
    ("en-us", "The lesson for us: evaluate a vision model under the lighting it will really see."),
    ("en-gb", "Questions are welcome in the ML platform channel. Thank you."),
]

RECORDING_NOTES = """---
title: Pallet vision — counting pallets at the dock, and the floodlight problem
date: 2026-04-16
team: ml-platform
presenters: [Aiko Tanaka, Marcus Feld]
outcome: mixed
tags: [computer-vision, evaluation, warehouse]
---
A camera model that counts pallets at the loading dock. Version one double-counted at night;
version two was retrained on night shots. No captions were exported for this session: its
transcript is made at ingest (the transcribe extra).
"""


def recording(path: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        parts = []
        for i, (voice, text) in enumerate(RECORDING_SCRIPT):
            raw = Path(tmp) / f"{i}.wav"
            subprocess.run(
                ["espeak-ng", "-v", voice, "-s", "160", "-w", str(raw), text], check=True
            )
            parts.append(str(raw))
            pause = Path(tmp) / f"{i}-pause.wav"
            subprocess.run(["sox", "-n", "-r", "22050", "-c", "1", str(pause), "trim", "0", "0.6"],
                           check=True)  # fmt: skip
            parts.append(str(pause))
        joined = Path(tmp) / "all.wav"
        subprocess.run(["sox", *parts, "-r", "16000", str(joined)], check=True)
        subprocess.run(["sox", str(joined), "-C", "24", str(path), "norm", "-1"], check=True)


def main(content: Path) -> None:
    for name, make in (
        (DOCX_NAME, docx_postmortem),
        (PDF_NAME, pdf_postmortem),
        (PPTX_NAME, pptx_talk),
        (RECORDING_NAME, recording),
    ):
        target = content / name
        target.parent.mkdir(parents=True, exist_ok=True)
        make(target)
        print(target)
    for name, text in (
        (CONFLUENCE_NAME, CONFLUENCE),
        (NOTION_NAME, NOTION),
        (str(Path(RECORDING_NAME).with_suffix(".md")), RECORDING_NOTES),
    ):
        target = content / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        print(target)


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "content"))
