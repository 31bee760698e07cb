"""Untrusted content reaches the browser only as inert Markdown: escaping and link checks.

The browser test proves that nothing executes; these tests pin down what the pages send.
"""

from __future__ import annotations

import re

import pytest
from browser_helpers import portal_content

from index.settings import Settings
from ingest.pipeline import Ingestor
from portal import safe, ui
from portal.frame import SCRIPT, STYLE
from tests.app_helpers import run

UNSAFE_TARGET = re.compile(r"\]\(\s*<?\s*(?:javascript|vbscript|data|file)\s*:", re.I)
RAW_TAG = re.compile(r"(?<!\\)<\s*(script|img|svg|iframe|a|b|i|details|div|style|marquee)\b", re.I)


pytestmark = pytest.mark.usefixtures("close_app_resources")


def outside_code(markdown: str) -> str:
    """MARKDOWN without fenced blocks and code spans, which the browser shows as text."""
    markdown = re.sub(r"^(```|~~~).*?^\1[^\n]*$", "", markdown, flags=re.S | re.M)
    return re.sub(r"(`+)(?!`).+?(?<!`)\1(?!`)", "", markdown)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://example.org/a b", "https://example.org/a%20b"),
        ("HTTPS://example.org/x(1)", "HTTPS://example.org/x%281%29"),
        ("mailto:priya@kestrel.example", "mailto:priya@kestrel.example"),
        ("javascript:alert(1)", None),
        ("JaVaScRiPt:alert(1)", None),
        (" java\tscript:alert(1)", None),
        ("&#106;avascript:alert(1)", None),
        ("data:text/html,<script>alert(1)</script>", None),
        ("vbscript:msgbox(1)", None),
        ("//evil.example/x", None),
        ("../relative.md", None),
        ("https://", None),
        (None, None),
        (42, None),
    ],
)
def test_url(value: object, expected: str | None) -> None:
    assert safe.url(value) == expected


@pytest.mark.parametrize(
    ("body", "present", "absent"),
    [
        ("<script>alert(1)</script>", "&lt;script>alert(1)&lt;/script>", "<script"),
        ('<img src=x onerror="alert(1)">', "&lt;img src=x", "<img"),
        ("[click](javascript:alert(1))", "click", "javascript"),
        ("[click](JaVaScRiPt:alert(1))", "click", "JaVaScRiPt"),
        ("[x](&#106;avascript:alert(1))", "x", "&#106;"),
        ("![pixel](https://t.example/p.png)", "[image: pixel](https://t.example/p.png)", "!["),
        ("[ref][evil]\n\n[evil]: javascript:alert(1)", r"\[evil\]\: javascript", "]: java"),
        ("[ok](https://example.org/a)", "[ok](https://example.org/a)", "\\["),
        ("<https://example.org>", "[https://example.org](https://example.org)", "<https"),
        ("<javascript:alert(1)>", "&lt;javascript\\:alert(1)>", "](javascript"),
        ("costs $5 and $10", r"costs \$5 and \$10", " $5"),
        (":red[styled] :material/home:", r"\:red\[styled] \:material/home:", " :material"),
        ("`<b>code</b>` stays", "`<b>code</b>` stays", "&lt;b"),
        ("```html\n<script>x</script>\n```", "```html\n<script>x</script>\n```", "&lt;"),
        ("```\n[a](javascript:x)\n```\n<b>", "```\n[a](javascript:x)\n```\n&lt;b>", "\n<b>"),
        ("```js onclick=alert(1)\nx\n```", "```jsonclickalert1\nx\n```", "="),
        ("# Title\n\n- item <i>", "# Title\n\n- item &lt;i>", "<i>"),
    ],
)
def test_markdown_is_neutralised(body: str, present: str, absent: str) -> None:
    out = safe.markdown(body)
    assert present in out
    assert absent not in out
    assert not UNSAFE_TARGET.search(outside_code(out))
    assert not RAW_TAG.search(outside_code(out))


MARK = ":orange-background[**{}**]"


@pytest.mark.parametrize(
    ("passage", "terms", "marked"),
    [
        ("We promoted it.", ["promot"], ["We", MARK.format("promoted"), "it\\."]),
        # A hyphenated word is one mark, whichever half matched: never "hs - codes".
        ("Tags: hs-codes, llm", ["hs", "codes"], [MARK.format("hs\\-codes")]),
        ("the HS-codes", ["codes"], [MARK.format("HS\\-codes")]),
        ("set max.poll.interval.ms", ["max.poll"], [MARK.format("max\\.poll\\.interval\\.ms")]),
        ("<b>x</b> bold", ["bold"], ["\\<b\\>x\\</b\\>", MARK.format("bold")]),
        ("nothing here", ["zz"], ["nothing here"]),
    ],
)
def test_highlight_marks_whole_words_and_escapes_the_rest(passage, terms, marked) -> None:
    out = ui.highlight(passage, terms)
    assert all(m in out for m in marked), out
    assert out.count(":orange-background[") == sum(m.startswith(":orange") for m in marked)


def test_text_escapes_every_markdown_and_html_special() -> None:
    assert safe.text("<b>[x](javascript:y)</b> *$1* :red[z]") == (
        r"\<b\>\[x\]\(javascript\:y\)\</b\> \*\$1\* \:red\[z\]"
    )
    assert safe.link("Slides", "javascript:alert(1)") == "Slides"
    assert safe.link("Slides", "https://s.example/x") == "[Slides](https://s.example/x)"
    assert safe.mailto("a@b.example") == "mailto:a@b.example"
    assert safe.mailto("javascript:alert(1)//@x.io") is None


@pytest.fixture(scope="module")
def hostile_index(tmp_path_factory, real_embedder) -> Settings:  # type: ignore[no-untyped-def]
    base = tmp_path_factory.mktemp("hostile")
    content = portal_content(base / "content")
    settings = Settings(data_dir=base / "data")
    report = Ingestor(settings, real_embedder).run([str(content)])
    assert report.count("failed") == 0, report.outcomes
    return settings


HOSTILE_VIEWS = [
    ("portal/pages/overview.py", {}),
    ("portal/pages/search.py", {"q": "hostile script alert"}),
    ("portal/pages/search.py", {"q": "Mallory", "kind": "showcase"}),
    ("portal/pages/incidents.py", {}),
    ("portal/pages/incidents.py", {"doc": "pm-hostile"}),
    ("portal/pages/showcase.py", {}),
    ("portal/pages/showcase.py", {"doc": "showcase-hostile", "t": "5"}),
    ("portal/pages/talks.py", {}),
    ("portal/pages/talks.py", {"doc": "talk-hostile"}),
    ("portal/pages/experts.py", {}),
    ("portal/pages/experts.py", {"expert": "mallory"}),
    ("portal/pages/document.py", {"doc": "pm-hostile"}),
]


@pytest.mark.parametrize(("page", "params"), HOSTILE_VIEWS)
def test_hostile_content_is_sent_as_inert_text(monkeypatch, hostile_index, page, params) -> None:
    at = run(monkeypatch, hostile_index, page, **params)
    markdown = [*at.markdown, *at.caption, *at.title, *at.header, *at.subheader]
    assert markdown
    for el in markdown:
        assert not getattr(el.proto, "allow_html", False), el.value
        shown = outside_code(el.value)
        assert not UNSAFE_TARGET.search(shown), el.value
        assert not RAW_TAG.search(shown), el.value
    ours = [STYLE, f"<script>{SCRIPT}</script>"]  # the frame's own style and script
    assert sorted(h.proto.body for h in at.get("html")) == sorted(ours), "no content in st.html"
    for el in [*at.get("link_button"), *at.get("page_link")]:
        target = getattr(el.proto, "url", "") or ""
        assert not target or re.match(r"(https?|mailto):", target), target
        assert not re.search(r"(?<!\\)<", el.proto.label), el.proto.label
    for el in at.button:
        assert not re.search(r"(?<!\\)<", el.label), el.label


def test_hostile_recording_and_links_are_not_linked(monkeypatch, hostile_index) -> None:
    at = run(monkeypatch, hostile_index, "portal/pages/showcase.py", doc="showcase-hostile")
    assert not at.get("link_button"), "javascript: recording and data: slides get no button"
    assert "No recording is linked for this session" in "\n".join(c.value for c in at.caption)
    at.switch_page("portal/pages/experts.py")
    at.query_params.clear() if hasattr(at.query_params, "clear") else None
    at.query_params["expert"] = "mallory"
    at.run()
    assert not at.get("link_button"), "no booking button, no e-mail button for javascript:"


def test_local_recording_plays_from_the_moment(monkeypatch, hostile_index) -> None:
    at = run(
        monkeypatch, hostile_index, "portal/pages/showcase.py", doc="showcase-audio-demo", t="20"
    )
    (audio,) = at.get("audio")
    assert audio.proto.start_time == 20 and audio.proto.autoplay
    at.button(key="seek-2").click().run()
    assert at.get("audio")[0].proto.start_time == 40
