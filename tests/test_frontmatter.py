"""Front matter in YAML, TOML and JSON; errors that point at the right line of the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.errors import ParseError
from ingest.frontmatter import load_yaml_mapping, split_front_matter

ROBUSTNESS = Path(__file__).parent / "fixtures" / "robustness" / "python-frontmatter"


@pytest.mark.parametrize(
    ("text", "data", "body", "body_line"),
    [
        ("---\ntitle: Hi\n---\nBody", {"title": "Hi"}, "Body", 4),
        ("---\ntitle: Hi\n---\n\n\nBody\n", {"title": "Hi"}, "Body", 6),
        ("--- \ntitle: Hi\n---\nBody", {"title": "Hi"}, "Body", 4),  # trailing space
        ("----\ntitle: Hi\n----\nBody", {"title": "Hi"}, "Body", 4),  # extra dash
        ("---\ntitle: Hi\n...\nBody", {"title": "Hi"}, "Body", 4),  # YAML document end
        ("---\n---\nBody", {}, "Body", 3),
        ("---\n# only a comment\n---\nBody", {}, "Body", 4),
        ("Just text\n---\nmore", {}, "Just text\n---\nmore", 1),
        ("\n\nLater text", {}, "Later text", 3),
        ('+++\ntitle = "Hi"\ntags = ["a"]\n+++\nBody', {"title": "Hi", "tags": ["a"]}, "Body", 5),
        ('{\n  "title": "Hi"\n}\nBody', {"title": "Hi"}, "Body", 4),
        ('{"title": "Hi"}\n\nBody', {"title": "Hi"}, "Body", 3),
        ("---\n2024: year\n---\n", {"2024": "year"}, "", 4),  # keys become strings
        ("\ufeff---\ntitle: BOM\n---\nBody", {"title": "BOM"}, "Body", 4),
        ("---\nlanguage: 中文\n---\n欢迎", {"language": "中文"}, "欢迎", 4),
        ("---\ntitle: x\n---\nA\n\n---\n\nB", {"title": "x"}, "A\n\n---\n\nB", 4),
    ],
    ids=[
        "yaml",
        "blank-lines",
        "fence-space",
        "extra-dash",
        "dots",
        "empty",
        "comment-only",
        "none",
        "leading-blank",
        "toml",
        "json",
        "json-one-line",
        "int-key",
        "bom",
        "cjk",
        "hr",
    ],
)
def test_split(text: str, data: dict, body: str, body_line: int) -> None:
    fm = split_front_matter(text)
    assert (fm.data, fm.body, fm.body_line) == (data, body, body_line)


def test_yaml_dates_stay_text_so_one_bad_date_is_one_bad_field() -> None:
    fm = split_front_matter("---\ndate: 2024-05-01\nstart_time: 2016-08-18T19:00:00Z\n---\n")
    assert fm.data["date"] == "2024-05-01"
    assert fm.data["start_time"] == "2016-08-18T19:00:00Z"
    assert split_front_matter("---\ndate: 2024-13-45\n---\n").data == {"date": "2024-13-45"}


def test_alias_bomb_is_refused_with_the_reason() -> None:
    levels = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    levels += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 7)]
    with pytest.raises(ParseError, match="aliases expand it to"):
        split_front_matter("---\n" + "\n".join(levels) + "\n---\n")


@pytest.mark.parametrize(
    ("text", "reason", "line"),
    [
        (
            "---\ntitle: a: b\n---\n",
            "invalid YAML front matter: mapping values are not allowed here",
            2,
        ),
        ("---\ntitle: ok\ntags: [a, b\n---\n", "invalid YAML front matter: expected ',' or ']'", 3),
        (
            "---\ntitle: ok\nother: x\n  bad: y\n---\n",
            "invalid YAML front matter: mapping values",
            4,
        ),
        ("---\ntitle: no end\n\nBody", "unclosed front matter: no closing '---' line", 1),
        ("+++\ntitle = 1\n", "unclosed front matter: no closing '+++' line", 1),
        ("---\n- a\n- b\n---\n", "front matter must be a mapping of fields, got a list", 2),
        ("---\njust words\n---\n", "front matter must be a mapping of fields, got a string", 2),
        ("---\n42\n---\n", "front matter must be a mapping of fields, got a number", 2),
        ('[\n"a"\n]', None, None),
        ("---\nx: !!python/object:os.system ls\n---\n", "invalid YAML front matter: could not", 2),
        ('+++\ntitle = "a"\nbad = \nok = 1\n+++\n', "invalid TOML front matter: Invalid value", 3),
        ('+++\ntitle = "a"\nbad = \n+++\n', "invalid TOML front matter: Invalid value", 3),
        ('{\n  "a": 1,\n  "b": \n}\nBody', "invalid JSON front matter: Expecting value", 4),
        ('{"a": 1} trailing\nBody', "unexpected text after JSON front matter", 1),
        ('["a"]\nBody', None, None),  # not front matter at all: a body starting with "["
        ("---\na: " + "[" * 1000 + "\n---\n", "invalid YAML front matter: nested too deeply", 2),
        ('{"a": ' + "[" * 100_000 + "\n}\n", "invalid JSON front matter: nested too deeply", 1),
    ],
    ids=[
        "yaml-mapping",
        "yaml-flow",
        "yaml-indent",
        "unclosed",
        "unclosed-toml",
        "list",
        "string",
        "number",
        "json-list",
        "unsafe-tag",
        "toml",
        "toml-end",
        "json",
        "json-trailing",
        "not-json",
        "deep-yaml",
        "deep-json",
    ],
)
def test_errors_name_the_file_line(text: str, reason: str | None, line: int | None) -> None:
    if reason is None:
        assert split_front_matter(text).data == {}
        return
    with pytest.raises(ParseError) as excinfo:
        split_front_matter(text)
    assert excinfo.value.reason.startswith(reason)
    assert excinfo.value.line == line


def test_whole_yaml_files_have_their_own_wording() -> None:
    with pytest.raises(ParseError) as excinfo:
        load_yaml_mapping("- a\n- b\n", what="file")
    assert excinfo.value.reason == "file must be a mapping of fields, got a list"
    assert load_yaml_mapping("") == {}


@pytest.mark.parametrize(
    ("name", "data", "body_start"),
    [
        ("empty/empty-frontmatter.txt", {}, "I have frontmatter but no metadata."),
        ("empty/no-frontmatter.txt", {}, "I have no frontmatter."),
        ("json/hello-json.md", {"test": "tester", "author": "bob", "something": "else"}, "Title"),
        ("toml/hello-toml.md", {"author": "bob", "something": "else", "test": "tester"}, "Title"),
        ("yaml/chinese.txt", {"title": "Let's try unicode", "language": "中文"}, "欢迎"),
        ("yaml/extra-dash.txt", {"test": "bob", "else": "kate"}, "Here's some content."),
        ("yaml/extra-space.txt", {"test": "tester", "something": "else"}, "This file has"),
        ("yaml/hello-markdown.md", {"test": "tester", "author": "bob", "something": "else"}, "Ti"),
    ],
)
def test_python_frontmatter_fixtures(name: str, data: dict, body_start: str) -> None:
    fm = split_front_matter((ROBUSTNESS / name).read_text(encoding="utf-8"))
    assert fm.data == data
    assert fm.body.startswith(body_start)
