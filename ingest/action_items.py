"""Action items written in a post-mortem's body: task lists and tables under an "Action items" heading.

Front matter's `action_items` are read by ingest.documents.action_items; these are the other
usual shapes, read at ingest so listing every item later costs no parsing:

    ## Action items
    - [ ] Page at 21 days before expiry (owner: Hannah Okafor, due: 2024-03-29)
    - [x] Synthetic probe per endpoint @kwame 2024-03-08

    | Action | Owner | Status | Due |
    |---|---|---|---|
    | Retry at one layer only | Sofia Lindqvist | done | 2025-07-01 |
"""

from __future__ import annotations

import re

from index.headings import atx

Item = dict[str, str | None]
DUPLICATE_SHARE = 0.6  # of a body item's word stems found in a front-matter title: the same item

_ACTION_HEADING = re.compile(
    r"^(?:\d{1,2}[.)]\s*)?(action items?|follow[- ]?ups?|follow-up actions|remediation|next steps)\b",
    re.I,
)
_TASK = re.compile(r"^\s*[-*+]\s+\[( |x|X)\]\s+(.+)$")  # on a right-stripped line
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
_OWNER = re.compile(r"\b(?:owner|assignee|who)\s*[:=]\s*([^,;)\]]+)", re.I)
_HANDLE = re.compile(r"(?<![\w.])@([A-Za-z][\w.-]*)")
_DUE = re.compile(r"\b(?:due|by|deadline)?\s*[:=]?\s*(\d{4}-\d{2}-\d{2})\b", re.I)
# When a finished item was closed: "closed 2024-03-02", "done: 2024-03-02", "completed on …".
_CLOSED = re.compile(
    r"\b(?:closed|done|completed|resolved)(?:\s+(?:on|at))?\s*[:=]?\s*(\d{4}-\d{2}-\d{2})\b", re.I
)
_TRAILER = re.compile(
    r"\s*[(\[][^()\[\]]*(?:owner|due|assignee|@|\d{4}-\d{2}-\d{2})[^()\[\]]*[)\]]\s*$", re.I
)
_COLUMNS = {
    "title": ("action", "action item", "item", "task", "title", "what"),
    "owner": ("owner", "assignee", "who"),
    "status": ("status", "state", "done"),
    "due": ("due", "due date", "deadline", "by"),
    "closed": ("closed", "closed on", "date closed", "done on", "completed", "completed on"),
}


def body_action_items(body: str) -> list[Item]:
    """Task-list and table items in the body's action-items sections, in order."""
    out: list[Item] = []
    level = 0  # the heading level of the open action-items section (0: none open)
    table: list[str] = []
    for line in [*_joined_items(body.splitlines()), ""]:
        heading = atx(line)
        if heading:
            depth = heading[0]
            if level and depth <= level:
                level = 0
            if _ACTION_HEADING.match(heading[1]):
                level = depth
            out += _table(table)
            table = []
            continue
        if not level:
            continue
        if line.lstrip().startswith("|"):
            table.append(line)
            continue
        out += _table(table)
        table = []
        task = _TASK.match(line.rstrip())
        if task:
            out.append(_task(task.group(2), done=task.group(1).lower() == "x"))
    return [i for i in out if i["title"]]


def _joined_items(lines: list[str]) -> list[str]:
    """Lines with a task's wrapped continuation lines ("  drift between providers") joined to it."""
    out: list[str] = []
    for line in lines:
        wrapped = line[:1] in (" ", "\t") and line.strip() and not _LIST_ITEM.match(line)
        if wrapped and out and _TASK.match(out[-1].rstrip()):
            out[-1] = f"{out[-1].rstrip()} {line.strip()}"
        else:
            out.append(line)
    return out


def _task(text: str, *, done: bool) -> Item:
    closed = _CLOSED.search(text)
    if closed:  # its date is not the due date
        text = text[: closed.start()] + text[closed.end() :]
    owner = _OWNER.search(text) or _HANDLE.search(text)
    due = _DUE.search(text)
    title = _TRAILER.sub("", text)
    title = _HANDLE.sub("", _OWNER.sub("", title))
    title = re.sub(r"\b(?:due|by)\s*[:=]?\s*\d{4}-\d{2}-\d{2}\b|\d{4}-\d{2}-\d{2}", "", title)
    title = " ".join(title.replace("~~", "").split()).strip(" -–—,;:")
    return {
        "title": title,
        "owner": owner.group(1).strip() if owner else None,
        "status": "done" if done else "open",
        "due": due.group(1) if due else None,
        "source": "task list",
    } | ({"closed": closed.group(1)} if closed else {})


def _cells(line: str) -> list[str]:
    return [c.replace("`", "").strip() for c in line.strip().strip("|").split("|")]


def _table(lines: list[str]) -> list[Item]:
    """A Markdown table with an action column, as items (other tables give nothing)."""
    if len(lines) < 3 or not set(lines[1].replace("|", "").strip()) <= set("-: "):
        return []
    header = [c.lower() for c in _cells(lines[0])]
    where = {
        key: next((header.index(n) for n in names if n in header), None)
        for key, names in _COLUMNS.items()
    }
    if where["title"] is None:
        return []
    items: list[Item] = []
    for line in lines[2:]:
        cells = _cells(line)

        def cell(key: str, cells: list[str] = cells) -> str | None:
            i = where[key]
            return cells[i] if i is not None and i < len(cells) and cells[i] else None

        status = cell("status")
        if status and status.lower() in ("x", "[x]", "✓", "✔", "yes"):
            status = "done"
        closed = cell("closed")
        items.append(
            {
                "title": cell("title"),
                "owner": cell("owner"),
                "status": status,
                "due": cell("due"),
                "source": "table",
            }
            | ({"closed": closed} if closed else {})
        )
    return items


def merge(front: list[Item], body: list[Item]) -> list[Item]:
    """Front-matter items, then body items that are not a restatement of one of them.

    A body table often restates the front matter in fewer words ("Retrieval regression suite
    on every rebuild"): an item most of whose word stems are in one front-matter title is one.
    """
    stems = [_stems(i["title"]) for i in front]
    return front + [i for i in body if not any(_covered(_stems(i["title"]), s) for s in stems)]


def _stems(title: str | None) -> set[str]:
    return {w[:5] for w in re.findall(r"\w+", (title or "").lower())}


def _covered(words: set[str], by: set[str]) -> bool:
    return bool(words) and len(words & by) / len(words) >= DUPLICATE_SHARE
