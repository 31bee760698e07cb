"""WebVTT, SRT and Whisper JSON: cues, speakers, tags and the repairs broken files need."""

from __future__ import annotations

import codecs
import json
from pathlib import Path

import pytest

from index.errors import ParseError
from ingest.decoding import decode_bytes
from ingest.transcripts import parse_srt, parse_vtt, parse_whisper_json

WEBVTT_PY = Path(__file__).parent / "fixtures" / "robustness" / "webvtt-py"


def segs(transcript) -> list[tuple]:
    return [(s.start, s.end, s.text, s.speaker) for s in transcript.segments]


@pytest.mark.parametrize(
    ("vtt", "expected"),
    [
        (
            "WEBVTT\n\n00:00:01.000 --> 00:00:02.500\nHello\nworld\n",
            [(1.0, 2.5, "Hello world", None)],
        ),
        (  # hours optional, cue settings ignored
            "WEBVTT - title\n\n01:02.5 --> 01:04.000 align:start position:0%\nShort form\n",
            [(62.5, 64.0, "Short form", None)],
        ),
        (
            "WEBVTT\n\n1\n00:00:01.000 --> 00:00:02.000\n<v Ada Lovelace>Hi there</v>\n\n"
            "intro-2\n00:00:02.000 --> 00:00:03.000\n<v.loud Bob>Hey</v>\n",
            [(1.0, 2.0, "Hi there", "Ada Lovelace"), (2.0, 3.0, "Hey", "Bob")],
        ),
        (  # two voices in one cue: the second keeps a label
            "WEBVTT\n\n00:01.000 --> 00:03.000\n<v Ann>Ready?\n<v Bo>Yes.\n",
            [(1.0, 3.0, "Ready? Bo: Yes.", "Ann")],
        ),
        (
            "WEBVTT\n\n00:01.000 --> 00:02.000\n"
            "Like <00:01.500><c.colorE5E5E5>a <i>big</i></c> pizza &amp; pie\n",
            [(1.0, 2.0, "Like a big pizza & pie", None)],
        ),
        (
            "WEBVTT\nKind: captions\nLanguage: en\n\nNOTE a comment\nspanning lines\n\n"
            "STYLE\n::cue { color: red }\n\nREGION\nid:fred\n\n"
            "00:00:01.000 --> 00:00:02.000\nKept\n",
            [(1.0, 2.0, "Kept", None)],
        ),
        (  # no blank line between cues (youtube-dl output)
            "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\none\n00:00:02.000 --> 00:00:03.000\ntwo\n",
            [(1.0, 2.0, "one", None), (2.0, 3.0, "two", None)],
        ),
        (  # a cue without text is dropped silently
            "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n\n00:00:02.000 --> 00:00:03.000\ntwo\n",
            [(2.0, 3.0, "two", None)],
        ),
    ],
    ids=["basic", "short-times", "voices", "two-voices", "tags", "blocks", "no-blank", "no-text"],
)
def test_vtt(vtt: str, expected: list[tuple]) -> None:
    transcript = parse_vtt(vtt)
    assert segs(transcript) == expected
    assert transcript.warnings == ()


@pytest.mark.parametrize(
    ("srt", "expected"),
    [
        (
            "1\n00:00:01,000 --> 00:00:02,000\nHello\n\n2\n00:00:02.500 --> 00:00:03,000\nWorld\n",
            [(1.0, 2.0, "Hello", None), (2.5, 3.0, "World", None)],
        ),
        (  # no index lines, garbled index, missing blank line before an index
            "00:00:01,000 --> 00:00:02,000\nA\n\nx7\n00:00:02,000 --> 00:00:03,000\nB\n"
            "3\n00:00:03,000 --> 00:00:04,000\nC\n",
            [(1.0, 2.0, "A", None), (2.0, 3.0, "B", None), (3.0, 4.0, "C", None)],
        ),
        (
            '1\n00:00:01,000 --> 00:00:02,000\n{\\an8}<font color="#fff"><i>Top</i></font>\n',
            [(1.0, 2.0, "Top", None)],
        ),
        (  # a name used twice is a speaker; "Note:" used once is text
            "1\n00:00:01,000 --> 00:00:02,000\nMaya Chen: Hello.\n\n"
            "2\n00:00:02,000 --> 00:00:03,000\nNote: this is text\n\n"
            "3\n00:00:03,000 --> 00:00:04,000\nMaya Chen: Bye.\n",
            [
                (1.0, 2.0, "Hello.", "Maya Chen"),
                (2.0, 3.0, "Note: this is text", None),
                (3.0, 4.0, "Bye.", "Maya Chen"),
            ],
        ),
        (  # ALL CAPS names count once; a sentence before a colon never does
            "1\n00:00:01,000 --> 00:00:02,000\nNARRATOR: Long ago.\n\n"
            "2\n00:00:02,000 --> 00:00:03,000\nThe reason was simple: money\n\n"
            "3\n00:00:03,000 --> 00:00:04,000\nThe reason was simple: time\n",
            [
                (1.0, 2.0, "Long ago.", "NARRATOR"),
                (2.0, 3.0, "The reason was simple: money", None),
                (3.0, 4.0, "The reason was simple: time", None),
            ],
        ),
        (  # "Note:" twice is still not a speaker
            "1\n00:00:01,000 --> 00:00:02,000\nNote: a\n\n"
            "2\n00:00:02,000 --> 00:00:03,000\nNote: b\n",
            [(1.0, 2.0, "Note: a", None), (2.0, 3.0, "Note: b", None)],
        ),
        (
            "1\n00:00:01,000 --> 00:00:02,000\n- ANA: Hi.\n- BO: Hey.\n",
            [(1.0, 2.0, "Hi. BO: Hey.", "ANA")],
        ),
    ],
    ids=["basic", "loose-indexes", "tags", "speakers", "all-caps", "note", "dialogue"],
)
def test_srt(srt: str, expected: list[tuple]) -> None:
    transcript = parse_srt(srt)
    assert segs(transcript) == expected
    assert transcript.warnings == ()


SRT_TEXT = "1\r\n00:00:01,000 --> 00:00:02,000\r\nÉvénements à la télé\r\n\r\n"


@pytest.mark.parametrize(
    "data",
    [
        codecs.BOM_UTF16_LE + SRT_TEXT.encode("utf-16-le"),
        codecs.BOM_UTF16_BE + SRT_TEXT.encode("utf-16-be"),
        codecs.BOM_UTF32_LE + SRT_TEXT.encode("utf-32-le"),
        codecs.BOM_UTF32_BE + SRT_TEXT.encode("utf-32-be"),
        codecs.BOM_UTF8 + SRT_TEXT.encode("utf-8"),
        SRT_TEXT.encode("cp1252"),
    ],
    ids=["utf16le", "utf16be", "utf32le", "utf32be", "utf8-bom", "cp1252"],
)
def test_srt_in_any_encoding(data: bytes) -> None:
    assert segs(parse_srt(decode_bytes(data).text)) == [(1.0, 2.0, "Événements à la télé", None)]


@pytest.mark.parametrize(
    ("parse", "text", "expected", "warnings"),
    [
        (  # a broken timestamp skips its cue and names the line
            parse_vtt,
            "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nA\n\n00:00:02.000 --> 00:00:0x.000\nB\n\n"
            "00:00:03.000 --> 00:00:04.000\nC\n",
            [(1.0, 2.0, "A", None), (3.0, 4.0, "C", None)],
            ["line 6: malformed timestamp '00:00:02.000 --> 00:00:0x.000'; cue skipped"],
        ),
        (
            parse_srt,
            "1\n00:00:01,000 --> 00:00:02,000\nA\n\n2\nB without time\n\n"
            "3\n00:00:01,000 --> 00:01:99,000\nC\n",
            [(1.0, 2.0, "A", None)],
            [
                "line 5: text without a timestamp skipped",
                "line 9: malformed timestamp '00:00:01,000 --> 00:01:99,000'; cue skipped",
            ],
        ),
        (  # ends before it starts: end clamped, the now zero-length cue joins its neighbour
            parse_vtt,
            "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nA\n\n00:00:05.000 --> 00:00:04.000\nB\n",
            [(1.0, 2.0, "A B", None)],
            ["line 6: cue ends before it starts; end set to its start"],
        ),
        (  # a small step back is an overlap: reading order kept, start clamped
            parse_vtt,
            "WEBVTT\n\n00:00:10.000 --> 00:00:12.000\nA\n\n00:00:09.000 --> 00:00:13.000\nB\n",
            [(10.0, 12.0, "A", None), (10.0, 13.0, "B", None)],
            ["line 6: cue starts before the previous one; clamped"],
        ),
        (  # a long way back is disorder: sorted by time
            parse_srt,
            "1\n00:05:00,000 --> 00:05:02,000\nLater\n\n2\n00:00:01,000 --> 00:00:02,000\nFirst\n",
            [(1.0, 2.0, "First", None), (300.0, 302.0, "Later", None)],
            [
                "line 6: cue starts long before the previous one",
                "cues are out of time order; sorted by start time",
            ],
        ),
    ],
    ids=["bad-vtt-time", "bad-srt", "backwards", "overlap", "disorder"],
)
def test_repairs_carry_warnings(parse, text: str, expected: list, warnings: list[str]) -> None:
    transcript = parse(text)
    assert segs(transcript) == expected
    assert list(transcript.warnings) == warnings


@pytest.mark.parametrize(
    ("vtt", "expected"),
    [
        (
            "WEBVTT\n\n00:01.000 --> 00:02.000\nA\n\n00:02.000 --> 00:02.000\nzero\n",
            [(1.0, 2.0, "A zero", None)],
        ),
        (  # a leading zero-length cue joins the next one
            "WEBVTT\n\n00:00.000 --> 00:00.000\nhidden\n\n00:01.000 --> 00:02.000\nA\n",
            [(0.0, 2.0, "hidden A", None)],
        ),
        (  # another speaker's words keep their label
            "WEBVTT\n\n00:01.000 --> 00:02.000\n<v Ann>A\n\n00:02.000 --> 00:02.000\n<v Bo>ok\n",
            [(1.0, 2.0, "A Bo: ok", "Ann")],
        ),
        (
            "WEBVTT\n\n00:01.000 --> 00:01.000\nonly\n\n00:02.000 --> 00:02.000\nzero\n",
            [(1.0, 1.0, "only", None), (2.0, 2.0, "zero", None)],
        ),
    ],
    ids=["into-previous", "into-next", "labelled", "all-zero"],
)
def test_zero_length_cues_keep_their_text(vtt: str, expected: list[tuple]) -> None:
    assert segs(parse_vtt(vtt)) == expected


@pytest.mark.parametrize(
    ("parse", "text", "reason", "line"),
    [
        (parse_vtt, "00:00:01.000 --> 00:00:02.000\nNo header\n", "not a WebVTT file", 1),
        (parse_vtt, "WEBVTT\n", "no valid cues", 1),
        (parse_vtt, "WEBVTTX\n\n00:01.000 --> 00:02.000\nA\n", "not a WebVTT file", 1),
        (parse_srt, "1\nsome text\n", "no valid cues", 1),
        (parse_srt, "\n\n1\n00:00:01,000 --> 00:00:0z,000\nA\n", "no valid cues", 4),
        (parse_whisper_json, '{"text": "only text"}', "Whisper JSON has no segments", 1),
        (parse_whisper_json, '{"segments": []}', "Whisper JSON has no segments", 1),
        (parse_whisper_json, "[1, 2]", "Whisper JSON has no segments", 1),
        (parse_whisper_json, '{\n"segments": [\n{"start": 0,}\n]}', "invalid JSON", 3),
        (
            parse_whisper_json,
            '{"segments": [{"start": "a", "end": 1, "text": "x"}]}',
            "no valid cues",
            1,
        ),
    ],
)
def test_errors(parse, text: str, reason: str, line: int) -> None:
    with pytest.raises(ParseError) as excinfo:
        parse(text)
    assert excinfo.value.reason.startswith(reason)
    assert excinfo.value.line == line


def test_whisper_json() -> None:
    data = {
        "text": "ignored",
        "language": "en",
        "segments": [
            {"id": 0, "start": 0.0, "end": 2.5, "text": " Hello there.", "speaker": "SPEAKER_00"},
            {"id": 1, "start": 2.5, "end": 4, "text": " General Kenobi."},
            {"id": 2, "start": True, "end": 5, "text": "bool is not a time"},
            "not a segment",
            {"id": 4, "start": 5, "end": 6, "text": "   "},
            {"id": 5, "start": float("nan"), "end": 6, "text": "NaN is not a time"},
        ],
    }
    transcript = parse_whisper_json(json.dumps(data))
    assert segs(transcript) == [
        (0.0, 2.5, "Hello there.", "SPEAKER_00"),
        (2.5, 4.0, "General Kenobi.", None),
    ]
    assert transcript.warnings == (
        "segment 3: needs numeric start and end and a text; skipped",
        "segment 4: needs numeric start and end and a text; skipped",
        "segment 6: needs numeric start and end and a text; skipped",
    )


def test_warnings_are_capped() -> None:
    bad = "".join(f"00:00:0{i % 10}.000 --> xx\nbad\n\n" for i in range(30))
    transcript = parse_vtt("WEBVTT\n\n" + bad + "00:01:00.000 --> 00:01:01.000\nok\n")
    assert len(transcript.warnings) == 21
    assert transcript.warnings[-1] == "... and 10 more warnings"


@pytest.mark.parametrize(
    ("name", "count", "first", "warnings"),
    [
        ("captions_with_bom.vtt", 4, "Caption text #1", 0),
        ("comments.vtt", 3, "- Ta en kopp varmt te. - Det är inte varmt.", 0),
        ("cue_tags.vtt", 3, "When the moon hits your eye", 0),
        ("invalid_timeframe.vtt", 6, "Caption text #1", 1),
        ("missing_timeframe.vtt", 6, "Caption text #1", 1),
        ("styles.vtt", 1, "- Hello world.", 0),
        ("using_identifiers.vtt", 6, "Caption text #1", 0),
        ("youtube_dl.vtt", 4, "yeah", 0),
        ("metadata_headers_multiline.vtt", 2, "Caption text #1", 0),
    ],
)
def test_webvtt_py_fixtures(name: str, count: int, first: str, warnings: int) -> None:
    transcript = parse_vtt(decode_bytes((WEBVTT_PY / name).read_bytes()).text)
    assert len(transcript.segments) == count
    assert transcript.segments[0].text == first
    assert len(transcript.warnings) == warnings
