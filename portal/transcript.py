"""A recording with its transcript by speaker turn; each turn seeks the player."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

import streamlit as st

from index.models import Segment
from index.textmatch import Span, TextQuery, find
from index.timefmt import clock
from portal import safe, ui
from portal.media import Recording, player
from portal.state import PageState

# Consecutive cues by one speaker are merged into turns of at most this long, so that each
# turn stays a precise place to seek to.
TURN_SPAN_S = 30.0
UNNAMED = "Unnamed speaker"  # a turn whose transcript names nobody, the same on every page


@dataclass(frozen=True)
class Turn:
    """Consecutive cues by one speaker."""

    start: float
    end: float
    speaker: str | None
    text: str


def turns(segments: list[Segment]) -> list[Turn]:
    out: list[Turn] = []
    for seg in segments:
        text = " ".join(seg.text.split())
        if not text:
            continue
        last = out[-1] if out else None
        if (
            last is not None
            and last.speaker == seg.speaker
            and seg.start - last.start < TURN_SPAN_S
        ):
            out[-1] = Turn(last.start, seg.end, last.speaker, f"{last.text} {text}")
        else:
            out.append(Turn(seg.start, seg.end, seg.speaker, text))
    return out


def current(items: list[Turn], seconds: float | None) -> int | None:
    """Index of the turn playing at SECONDS (whole seconds: links and seek buttons truncate)."""
    if seconds is None:
        return None
    found = None
    for i, turn in enumerate(items):
        # A seek button for a turn at 231.6 s writes t=231: that turn is the one playing.
        if turn.start < int(seconds) + 1:
            found = i
        else:
            break
    return found


def best_moment(
    segments: list[Segment], start: float, end: float | None, terms: list[str]
) -> Segment | None:
    """The cue within [START, END] that says most of TERMS: where a passage's point is made."""
    inside = [s for s in segments if s.end > start - 0.5 and (end is None or s.start < end + 0.5)]
    if not inside:
        return None
    stems = {t.lower()[:5] for t in terms if len(t) >= 3}

    def said(seg: Segment) -> int:
        words = {w[:5] for w in re.findall(r"[\w'-]+", seg.text.lower())}
        return len(stems & words)

    return max(inside, key=lambda s: (said(s), -s.start))


def search(items: list[Turn], query: TextQuery) -> tuple[list[tuple[int, list[Span]]], bool]:
    """The turns that say QUERY, with where; True when the words are said together.

    Together first (a phrase, in order); when no turn does, every turn with all the words
    (index.textmatch). A speaker's name finds their turns.
    """
    for fit in ("phrase", "words"):
        found = []
        for i, turn in enumerate(items):
            spans = find(query, turn.text, fit)
            if spans is None and turn.speaker and find(query, turn.speaker, fit) is not None:
                spans = []
            if spans is not None:
                found.append((i, spans))
        if found or len(query.loose) < 2:
            return found, fit == "phrase"
    return [], True


def show(state: PageState, segments: list[Segment], rec: Recording | None) -> None:
    """Player and transcript. STATE holds `t` (seconds) and `tq` (search in the transcript)."""
    items = turns(segments)
    seconds = state.get("t")
    if rec is not None:
        player(rec, seconds, autoplay=seconds is not None)
    elif items:
        st.caption("No recording is linked for this session; the transcript is below.")
    if not items:
        st.info("This session has no transcript.", icon=":material/subtitles_off:")
        return
    playing = current(items, seconds)
    if playing is not None:
        turn = items[playing]
        st.markdown(
            f":material/graphic_eq: **{clock(turn.start)}** "
            f"{safe.text(turn.speaker or UNNAMED)} — {safe.text(_short(turn.text))}"
        )
    query = state.widget(
        "tq",
        st.text_input,
        "Search this transcript",
        placeholder="a word or phrase said in it",
        icon=":material/manage_search:",
    )
    asked = TextQuery.parse(query or "")
    shown: list[tuple[int, Turn, list[Span]]]
    if asked.empty:
        shown = [(i, items[i], []) for i in range(len(items))]
    else:
        found, together = search(items, asked)
        shown = [(i, items[i], spans) for i, spans in found]
        said = ui.quoted(query or "")
        if not shown:
            st.caption(f"Nobody says {said} in this session.")
        elif together:
            verb = "says" if len(shown) == 1 else "say"
            st.caption(f"{len(shown)} of {_turns(len(items))} {verb} {said}.")
        else:
            verb = "uses" if len(shown) == 1 else "use"
            st.caption(
                f"No turn says {said} in that order; {len(shown)} of {_turns(len(items))} "
                f"{verb} all of its words."
            )
    height: int | Literal["content"] = 600 if len(shown) > 6 else "content"
    with st.container(height=height, border=True, key="transcript"):
        earlier = playing - 1 if playing is not None and playing > 1 and asked.empty else 0
        if earlier:  # start the list at the moment playing; the turns before it fold away
            with st.expander(
                f"Earlier in the session ({earlier} turn{'s' if earlier > 1 else ''})"
            ):
                for i, turn, spans in shown[:earlier]:
                    _turn(state, i, turn, False, spans)
        for i, turn, spans in shown[earlier:]:
            _turn(state, i, turn, i == playing, spans)


def _turns(n: int) -> str:
    return f"{n} turn{'s' if n != 1 else ''}"


def _turn(state: PageState, i: int, turn: Turn, is_playing: bool, spans: list[Span]) -> None:
    with st.container(key=f"turn-{i}", border=is_playing, gap="xsmall"):
        with st.container(horizontal=True, vertical_alignment="center", gap="small"):
            st.button(
                clock(turn.start),
                key=f"seek-{i}",
                icon=":material/play_arrow:",
                type="primary" if is_playing else "secondary",
                help=f"Play from {clock(turn.start)}",
                on_click=state.set,
                args=("t", int(turn.start)),
            )
            st.markdown(f"**{safe.text(turn.speaker)}**" if turn.speaker else f":gray[{UNNAMED}]")
        st.markdown(ui.mark(turn.text, [(s.start, s.end) for s in spans]))


def _short(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + " …"
