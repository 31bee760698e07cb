"""A digest of what is new, for a scheduled e-mail or chat post: Markdown, HTML, JSON or Atom,
with the review queue by owner ("Due for review") when anything needs a look.

The HTML is for mail clients: a table layout, inline styles only, no script, no style block,
no external resources; every content string is escaped.
"""

from __future__ import annotations

import datetime as dt
import html
import json
from typing import Literal

from circulation import atom
from circulation.links import Links
from circulation.review import QueueItem
from circulation.whats_new import NewItem, WhatsNew
from index import escape
from index.timefmt import stamp

Format = Literal["md", "html", "json", "atom"]
FORMATS: tuple[Format, ...] = ("md", "html", "json", "atom")
# The review queue by owner (circulation.review.by_owner): the "Due for review" section.
Review = list[tuple[str, list[QueueItem]]]
REVIEW_TITLE = "Due for review"
REVIEW_PER_OWNER = 10  # a digest names this many of one owner's documents, then counts the rest


def _url(portal_url: str, item: NewItem) -> str:
    return atom.document_url(portal_url, item.document)


def _review_markdown(review: Review | None, portal_url: str) -> list[str]:
    if not review:
        return []
    lines = ["", f"## {REVIEW_TITLE}", ""]
    for owner, items in review:
        lines += [f"**{escape.markdown(owner)}** ({len(items)})", ""]
        for item in items[:REVIEW_PER_OWNER]:
            url = atom.document_url(portal_url, item.doc)
            lines.append(
                f"- [{escape.markdown(item.doc.title)}]({url}) — {escape.markdown(item.detail)}"
            )
        if len(items) > REVIEW_PER_OWNER:
            lines.append(f"- and {len(items) - REVIEW_PER_OWNER} more")
        lines.append("")
    return lines[:-1]


def _title(news: WhatsNew) -> str:
    return f"What's new in Hindsight since {stamp(news.since)}"


def to_markdown(news: WhatsNew, portal_url: str, review: Review | None = None) -> str:
    lines = [f"# {_title(news)}", ""]
    more = f"[Open What's new in Hindsight]({Links(portal_url).whats_new()})"
    if not news.total and not news.extra:
        return "\n".join(
            [*lines, "Nothing new.", *_review_markdown(review, portal_url), "", more, ""]
        )
    lines.append(
        ", ".join(f"{g.label}: {g.new} new, {g.changed} changed" for g in news.groups) or ""
    )
    if news.followed:
        lines += ["", "## From what you follow", ""]
        for item in news.followed:
            labels = "; ".join(escape.markdown(f.label) for f in item.follows)
            lines.append(
                f"- [{escape.markdown(item.document.title)}]({_url(portal_url, item)}) ({labels})"
            )
    for group in news.groups:
        lines += ["", f"## {group.label} ({group.new} new, {group.changed} changed)", ""]
        for item in group.items:
            when = f"{item.document.date:%Y-%m-%d} · " if item.document.date else ""
            lines.append(
                f"- [{escape.markdown(item.document.title)}]({_url(portal_url, item)}) "
                f"— {when}{item.status}"
            )
    for section in news.extra:
        lines += ["", f"## {escape.markdown(section.title)}", ""]
        lines += [f"- {escape.markdown(label)}" for label, _ in section.items]
    lines += _review_markdown(review, portal_url)
    return "\n".join([*lines, "", more]) + "\n"


_FONT = "font-family:Arial,Helvetica,sans-serif;color:#1f2937;"


def to_html(news: WhatsNew, portal_url: str, review: Review | None = None) -> str:
    esc = html.escape
    rows: list[str] = []

    def heading(text: str) -> None:
        rows.append(
            f'<tr><td style="{_FONT}font-size:17px;font-weight:bold;padding:18px 0 6px 0;">'
            f"{esc(text)}</td></tr>"
        )

    def item_row(item: NewItem, note: str) -> None:
        url = esc(_url(portal_url, item), quote=True)
        rows.append(
            f'<tr><td style="{_FONT}font-size:14px;padding:3px 0;">'
            f'<a href="{url}" style="color:#1d4ed8;text-decoration:underline;">'
            f"{esc(item.document.title)}</a>"
            f' <span style="color:#6b7280;">— {esc(note)}</span></td></tr>'
        )

    title = _title(news)
    if not news.total and not news.extra:
        heading("Nothing new.")
    else:
        summary = ", ".join(f"{g.label}: {g.new} new, {g.changed} changed" for g in news.groups)
        rows.append(f'<tr><td style="{_FONT}font-size:14px;">{esc(summary)}</td></tr>')
    if news.followed:
        heading("From what you follow")
        for item in news.followed:
            item_row(item, "; ".join(f.label for f in item.follows))
    for group in news.groups:
        heading(f"{group.label} ({group.new} new, {group.changed} changed)")
        for item in group.items:
            when = f"{item.document.date:%Y-%m-%d} · " if item.document.date else ""
            item_row(item, when + item.status)
    for section in news.extra:
        heading(section.title)
        for label, _ in section.items:
            rows.append(f'<tr><td style="{_FONT}font-size:14px;">{esc(label)}</td></tr>')
    if review:
        heading(REVIEW_TITLE)
        for owner, items in review:
            rows.append(
                f'<tr><td style="{_FONT}font-size:15px;font-weight:bold;padding:8px 0 2px 0;">'
                f"{esc(owner)} ({len(items)})</td></tr>"
            )
            for queued in items[:REVIEW_PER_OWNER]:
                url = esc(atom.document_url(portal_url, queued.doc), quote=True)
                rows.append(
                    f'<tr><td style="{_FONT}font-size:14px;padding:3px 0;">'
                    f'<a href="{url}" style="color:#1d4ed8;text-decoration:underline;">'
                    f"{esc(queued.doc.title)}</a>"
                    f' <span style="color:#6b7280;">— {esc(queued.detail)}</span></td></tr>'
                )
            if len(items) > REVIEW_PER_OWNER:
                rows.append(
                    f'<tr><td style="{_FONT}font-size:14px;color:#6b7280;">'
                    f"and {len(items) - REVIEW_PER_OWNER} more</td></tr>"
                )
    whats_new = esc(Links(portal_url).whats_new(), quote=True)
    rows.append(
        f'<tr><td style="{_FONT}font-size:14px;padding-top:18px;">'
        f'<a href="{whats_new}" style="color:#1d4ed8;text-decoration:underline;">'
        "Open What&#x27;s new in Hindsight</a></td></tr>"
    )
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8">'
        f"<title>{esc(title)}</title></head>"
        '<body style="margin:0;padding:0;background:#ffffff;">'
        '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" '
        'style="max-width:640px;margin:0 auto;padding:16px;">'
        f'<tr><td style="{_FONT}font-size:20px;font-weight:bold;padding-bottom:8px;">'
        f"{esc(title)}</td></tr>" + "".join(rows) + "</table></body></html>\n"
    )


def to_json(news: WhatsNew, portal_url: str, review: Review | None = None) -> str:
    def item(i: NewItem) -> dict[str, object]:
        return {
            "doc_id": i.document.doc_id,
            "kind": i.document.kind,
            "title": i.document.title,
            "date": i.document.date.isoformat() if i.document.date else None,
            "status": i.status,
            "indexed_at": i.at.isoformat(),
            "url": _url(portal_url, i),
            "follows": [f.label for f in i.follows],
        }

    return json.dumps(
        {
            "since": news.since.isoformat(),
            "groups": [
                {
                    "kind": g.kind,
                    "label": g.label,
                    "new": g.new,
                    "changed": g.changed,
                    "items": [item(i) for i in g.items],
                }
                for g in news.groups
            ],
            "extra": [
                {"title": s.title, "items": [label for label, _ in s.items]} for s in news.extra
            ],
            "review": [
                {"owner": owner, "items": [i.to_json(portal_url) for i in items]}
                for owner, items in review or []
            ],
        },
        indent=2,
    )


def to_atom(
    news: WhatsNew,
    portal_url: str,
    *,
    key: str,
    now: dt.datetime,
    feed_url: str | None = None,
) -> str:
    """The digest as an Atom feed. FEED_URL is where it will be served (its rel="self"); a
    digest written to a file has no address of its own until someone publishes it, so without
    one the feed has no self link rather than a wrong one."""
    entries = [atom.Entry(i.document, i.at, note=i.status) for i in news.items]
    return atom.render(
        key=key,
        title=f"What's new in Hindsight since {news.since:%Y-%m-%d}",
        self_url=feed_url,
        portal_url=portal_url,
        entries=entries,
        now=now,
        alternate_url=Links(portal_url).whats_new(),
    )


def render(
    news: WhatsNew,
    fmt: Format,
    portal_url: str,
    *,
    key: str = "digest",
    now: dt.datetime,
    review: Review | None = None,
    feed_url: str | None = None,
) -> str:
    """NEWS in FMT; REVIEW (the queue by owner) adds a "Due for review" section (not to Atom:
    each owner follows their own queue's feed instead)."""
    if fmt == "md":
        return to_markdown(news, portal_url, review)
    if fmt == "html":
        return to_html(news, portal_url, review)
    if fmt == "json":
        return to_json(news, portal_url, review)
    return to_atom(news, portal_url, key=key, now=now, feed_url=feed_url)
