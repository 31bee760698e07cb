"""Markdown to plain-text sections: headings, lists, tables, code and untrusted HTML."""

from __future__ import annotations

import pytest

from ingest.markdown import first_heading, html_to_text, markdown_sections

DOC = """\
Intro before any heading.

# Incident

Summary line one
wraps here.

## Timeline

- 10:00 alert **fired**
  - paged on-call
- 10:05 `failover` started

1. first step

| time | event |
|------|-------|
| 10:00 | alert |

```sql
SELECT 1;
```

### Detection

Caught by [a probe](http://x).

# Lessons

> Always check *lag*.
"""


def test_sections_follow_headings() -> None:
    sections = markdown_sections(DOC, first_line=7)
    got = [(s.heading_path, s.line, s.text) for s in sections]
    assert got == [
        ((), 7, "Intro before any heading."),
        (("Incident",), 9, "Summary line one wraps here."),
        (
            ("Incident", "Timeline"),
            14,
            "- 10:00 alert fired\n  - paged on-call\n- 10:05 failover started\n\n"
            "- first step\n\ntime | event\n10:00 | alert\n\nSELECT 1;",
        ),
        (("Incident", "Timeline", "Detection"), 30, "Caught by a probe."),
        (("Lessons",), 34, "Always check lag."),
    ]


@pytest.mark.parametrize(
    ("markdown", "text"),
    [
        ("Hi <b>there</b> <script>steal()</script> friend", "Hi there friend"),
        ("<div>\n<p>Hello <i>world</i></p>\n<script>x = 1</script>\n</div>", "Hello world"),
        ("<style>p {color: red}</style>\n\nVisible", "Visible"),
        ("<!-- a comment -->\n\nShown", "Shown"),
        ("Tom &amp; Jerry &lt;3", "Tom & Jerry <3"),
        ("![diagram of the outage](x.png)", "diagram of the outage"),
        ("<https://example.com/a>", "https://example.com/a"),
        ("line one  \nline two", "line one\nline two"),
        ("    indented code\n    more", "indented code\nmore"),
        ("Title\n=====\n\ntext", "text"),
        ("* * *\n\nafter rule", "after rule"),
        ("- a\n\n  second paragraph of a\n- b", "- a\n  second paragraph of a\n- b"),
    ],
    ids=[
        "inline-html",
        "html-block",
        "style",
        "comment",
        "entities",
        "image",
        "autolink",
        "hardbreak",
        "indented-code",
        "setext",
        "hr",
        "loose-list",
    ],
)
def test_plain_text(markdown: str, text: str) -> None:
    assert "\n\n".join(s.text for s in markdown_sections(markdown)) == text


@pytest.mark.parametrize(
    ("markdown", "paths"),
    [
        ("# A\n\nx\n\n### C\n\ny\n\n## B\n\nz", [("A",), ("A", "C"), ("A", "B")]),
        ("## B\n\nx\n\n# A\n\ny", [("B",), ("A",)]),
        ("# A\n\n# \n\nx", [()]),  # an empty heading closes A but adds nothing
        ("# A\n\n## Empty\n\n## Full\n\nx", [("A", "Full")]),  # no text, no section
        ("# *Styled* `code` heading\n\nx", [("Styled code heading",)]),
    ],
)
def test_heading_paths(markdown: str, paths: list[tuple[str, ...]]) -> None:
    assert [s.heading_path for s in markdown_sections(markdown)] == paths


@pytest.mark.parametrize(
    ("markdown", "heading"),
    [
        (DOC, "Incident"),
        ("No heading here", None),
        ("#\n\n## Second **bold**", "Second bold"),
        ("Setext\n------\n", "Setext"),
        ("", None),
    ],
)
def test_first_heading(markdown: str, heading: str | None) -> None:
    assert first_heading(markdown) == heading


def test_html_to_text_keeps_blocks_on_lines() -> None:
    html = "<table><tr><td>a</td></tr><tr><td>b</td></tr></table><noscript>n</noscript>"
    assert html_to_text(html) == "a\nb"


def test_empty_and_whitespace_bodies_have_no_sections() -> None:
    assert markdown_sections("") == []
    assert markdown_sections("\n\n   \n") == []
