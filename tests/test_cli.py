"""The CLI as a user runs it: exit codes, error lines, --json and --queries."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from cli import main


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """In-process, like the console script (a subprocess per call would reload torch)."""
    import contextlib
    import io

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return subprocess.CompletedProcess(list(args), code, out.getvalue(), err.getvalue())


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["search", "anything"], 2, "run: hindsight ingest"),
        (["stats"], 2, "run: hindsight ingest"),
        (["search", "--queries", "x.jsonl"], 2, "run: hindsight ingest"),
    ],
)
def test_missing_index_is_one_clear_line(tmp_path, capsys, args, code, message):
    assert main([*args, "--data-dir", str(tmp_path / "nowhere")]) == code
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0] and "nowhere" in err[0]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["search", "--kind", "incidnet", "x"], "valid kinds: postmortem, showcase, talk"),
        (["search", "--limit", "0", "x"], "--limit must be a positive number"),
        (["search", "--limit", "-3", "x"], "--limit must be a positive number"),
        (["search"], "give a QUERY or --queries FILE"),
        (["ingest", "no/such/folder"], "no such file or folder: no/such/folder"),
    ],
)
def test_impossible_requests_say_why_and_exit_2(tmp_path, capsys, args, message):
    assert main([*args, "--data-dir", str(tmp_path / "data")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0], err


def test_kind_accepts_what_people_call_it(real_index, capsys):
    settings, _ = real_index
    data = ["--data-dir", str(settings.data_dir), "--json"]
    assert main(["search", "--kind", "incident", "replica failover", *data]) == 0
    kinds = {json.loads(line)["kind"] for line in capsys.readouterr().out.splitlines()}
    assert kinds == {"postmortem"}


def test_version(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.startswith("hindsight 0.")


def test_usage_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["search", "--limit", "many", "x"])
    assert exc.value.code == 2
    with pytest.raises(SystemExit) as exc:
        main(["ingest"])
    assert exc.value.code == 2


def test_ingest_reports_failures_and_strict_changes_the_exit_code(tmp_path, content_dir):
    (content_dir / "postmortems/broken.md").write_text("---\ntitle: [oops\n---\n")
    data = str(tmp_path / "data")
    done = run_cli("ingest", str(content_dir), "--data-dir", data)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    failed = [line for line in lines if line.startswith("FAILED")]
    assert failed == [
        f"FAILED  {content_dir}/postmortems/broken.md:2: " + failed[0].split(": ", 1)[1]
    ]
    assert "YAML" in failed[0]
    assert lines[-1].startswith("8 indexed, 0 unchanged, 0 skipped, 1 failed")
    strict = run_cli("ingest", "--strict", str(content_dir), "--data-dir", data)
    assert strict.returncode == 1
    assert "8 unchanged" in strict.stdout.splitlines()[-1]


def test_search_json_and_queries(tmp_path, real_index):
    settings, content = real_index
    data = str(settings.data_dir)
    done = run_cli("search", "--json", "replica promoted while lagging", "--data-dir", data)
    assert done.returncode == 0, done.stderr
    hits = [json.loads(line) for line in done.stdout.splitlines()]
    assert hits and len({h["doc_id"] for h in hits}) == len(hits)  # one per document
    for hit in hits:
        assert {"doc_id", "path", "kind", "title", "score", "snippet"} <= hit.keys()
        assert Path(hit["path"]).exists()
    moments = [
        h for h in hits if h["kind"] == "showcase" and h["doc_id"].startswith("showcase-2025-05")
    ]
    assert (
        moments
        and isinstance(moments[0]["start"], float)
        and moments[0]["end"] > moments[0]["start"]
    )
    shown = moments[0]["moments"]  # the recording's best few moments, best first
    assert 1 <= len(shown) <= 3 and shown[0]["start"] == moments[0]["start"]
    assert all(set(m) == {"start", "end", "speaker", "snippet", "score"} for m in shown)
    assert [m["score"] for m in shown] == sorted((m["score"] for m in shown), reverse=True)

    only = run_cli(
        "search", "--json", "--kind", "talk", "--limit", "1", "migration", "--data-dir", data
    )
    talk_hits = [json.loads(line) for line in only.stdout.splitlines()]
    assert [h["kind"] for h in talk_hits] == ["talk"]

    queries = tmp_path / "q.jsonl"
    queries.write_text(
        json.dumps({"id": "a", "query": "DNS TTL migration"})
        + "\n\n"
        + json.dumps({"id": 7, "query": "foreign key constraint NOT VALID"})
        + "\n"
    )
    batch = run_cli("search", "--queries", str(queries), "--limit", "3", "--data-dir", data)
    assert batch.returncode == 0, batch.stderr
    rows = [json.loads(line) for line in batch.stdout.splitlines()]
    assert [r["id"] for r in rows] == ["a", 7]
    assert rows[0]["hits"][0]["doc_id"] == "pm-2025-06-02-dns-ttl"
    assert rows[1]["hits"][0]["doc_id"] == "talk-2025-02-zero-downtime-migrations"
    assert all(len(r["hits"]) <= 3 for r in rows)

    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": 1}\n')
    failed = run_cli("search", "--queries", str(bad), "--data-dir", data)
    assert failed.returncode == 1 and "bad.jsonl:1" in failed.stderr


def test_search_has_a_floor_a_notice_and_weak_hits_on_request(real_index, capsys):
    settings, _ = real_index
    data = ["--data-dir", str(settings.data_dir)]
    assert main(["search", "--json", "wombatquartz", *data]) == 0
    out = capsys.readouterr()
    hits = [json.loads(line) for line in out.out.splitlines()]
    assert hits and all(h["weak"] is True for h in hits)  # nearest only, each says so
    assert "No document uses the words “wombatquartz”" in out.err
    assert main(["search", "wombatquartz", *data]) == 0
    text = capsys.readouterr().out
    assert "No document uses the words" in text and "--weak shows them" in text
    assert not re.search(r"^ *1\. ", text, re.M)  # no hit listed by default
    assert main(["search", "--weak", "wombatquartz", *data]) == 0
    assert re.search(r"^ *1\. .*\(weaker match\)$", capsys.readouterr().out, re.M)
    # A real question lists its matches and says nothing about words.
    assert main(["search", "--json", "replica promoted while lagging", *data]) == 0
    out = capsys.readouterr()
    first = json.loads(out.out.splitlines()[0])
    assert "weak" not in first and out.err == ""


def test_a_typo_still_finds_the_obvious_document(real_index, capsys):
    settings, _ = real_index
    data = ["--data-dir", str(settings.data_dir)]
    assert main(["search", "postgress replcia promotoin", *data]) == 0
    text = capsys.readouterr().out
    assert "Showing results for “postgres replica promotion”" in text
    first = next(line for line in text.splitlines() if re.match(r"^ *1\. ", line))
    assert "Payments ledger served stale balances during replica failover" in first
    assert main(["search", "--json", "--limit", "3", "postgress replcia promotoin", *data]) == 0
    out = capsys.readouterr()
    assert "pm-2025-03-14-ledger-replica-lag" in [
        json.loads(x)["doc_id"] for x in out.out.split("\n") if x
    ]
    assert "Showing results for" in out.err
    assert main(["search", "--exact", "postgress replcia promotoin", *data]) == 0
    assert "Did you mean “postgres replica promotion”?" in capsys.readouterr().out


def test_stats_lists_kinds_model_and_file_states(real_index):
    settings, _ = real_index
    done = run_cli("stats", "--data-dir", str(settings.data_dir))
    assert done.returncode == 0, done.stderr
    assert "all-MiniLM-L6-v2" in done.stdout
    assert "postmortem" in done.stdout and "showcase" in done.stdout
    as_json = json.loads(run_cli("stats", "--json", "--data-dir", str(settings.data_dir)).stdout)
    assert as_json["documents"]["postmortem"] == 3
    assert all(f["state"] == "indexed" for f in as_json["files"])


def test_console_script_honours_data_dir_from_environment(tmp_path):
    import os

    done = subprocess.run(
        [sys.executable, "-m", "cli", "stats"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "HINDSIGHT_DATA_DIR": str(tmp_path / "envdir")},
    )
    assert done.returncode == 2 and "envdir" in done.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["search", ""], "the query is empty"),
        (["search", "  "], "the query is empty"),
        (["search", "--queries", "q.jsonl", "words"], "not both"),
        (["brief", "--tz", "Mars/Olympus", "plan.md"], "unknown timezone 'Mars/Olympus'"),
        (["watch", "no/such/folder"], "no such folder: no/such/folder"),
        (["brief", "no/such/plan.md"], "cannot read plan no/such/plan.md: No such file"),
        (["digest", "--since", "7d", "--feed-url", "https://x/d.atom"], "use --format atom"),
    ],
)
def test_every_bad_request_names_the_problem_and_exits_2(real_index, capsys, args, message):
    """Each is one clear line on stderr, exit 2: never a traceback, a hang or a silent 0."""
    settings, _ = real_index
    assert main([*args, "--data-dir", str(settings.data_dir)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0], err


def test_a_missing_queries_file_is_named(real_index, tmp_path, capsys):
    settings, _ = real_index
    missing = str(tmp_path / "missing.jsonl")
    assert main(["search", "--queries", missing, "--data-dir", str(settings.data_dir)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"hindsight search: cannot read queries file {missing}: No such file or directory"


def test_watching_a_file_is_a_usage_error(content_dir, capsys):
    file = content_dir / "postmortems/2025-03-14-ledger-replica-lag.md"
    assert main(["watch", str(file)]) == 2
    assert "watch follows folders" in capsys.readouterr().err


def test_an_owner_nobody_has_says_so(real_index, capsys):
    data = ["--data-dir", str(real_index[0].data_dir)]
    assert main(["actions", "--owner", "nobody", *data]) == 0
    captured = capsys.readouterr()
    assert captured.out == "No action items match.\n"
    assert "nobody called 'nobody' owns an action item you may see" in captured.err
    assert main(["actions", "--owner", "nobody", "--json", *data]) == 0
    assert capsys.readouterr().out == ""  # machine output stays clean
    assert main(["actions", "--owner", "Priya Raman", *data]) == 0
    assert capsys.readouterr().err == ""  # a real owner is no typo


def test_text_output_says_what_its_numbers_mean(real_index, capsys):
    data = ["--data-dir", str(real_index[0].data_dir)]
    assert main(["search", "replica promoted while lagging", *data]) == 0
    out = capsys.readouterr().out.splitlines()
    assert "share of the best hit's score" in out[0]
    assert re.search(r"^ 1\. .*  100%$", out[1]), out[1]
    assert main(["experts", "postgres", *data]) == 0
    assert re.search(r"Priya Raman  evidence \d+\.\d\d$", capsys.readouterr().out, re.M)
    assert main(["stats", *data]) == 0
    assert re.search(
        r"^Last ingest \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \S+$", capsys.readouterr().out, re.M
    )


def test_similar_explains_itself_in_words(real_index, capsys):
    data = ["--data-dir", str(real_index[0].data_dir)]
    assert main(["similar", "pm-2025-03-14-ledger-replica-lag", "--all", *data]) == 0
    out = capsys.readouterr().out
    assert "Nothing shares its failure mode closely enough" in out
    closest = re.search(r"Closest: (.+)  \[(.+)\]", out)
    assert closest and closest.group(2) != "pm-2025-03-14-ledger-replica-lag", out
    assert re.search(r"^\s+why: \S", out, re.M), out
    assert not re.search(r"\d\.\d\d", out), out  # words, not raw scores


@pytest.mark.parametrize(
    "args",
    [
        ["recurring", "--all"],
        ["search", "--json", "replica failover"],
        ["actions", "--all"],
        ["stats"],
        ["--help"],
    ],
)
def test_a_reader_that_stops_early_ends_the_command_quietly(real_index, args):
    """`hindsight … | head`: the pipe closes before the output is written; no traceback."""
    import os

    settings, _ = real_index
    process = subprocess.Popen(
        [sys.executable, "-m", "cli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "HINDSIGHT_DATA_DIR": str(settings.data_dir)},
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # like `head` after its lines: every later write meets a closed pipe
    err = process.stderr.read().decode()
    process.stderr.close()
    # 141 as for a process SIGPIPE ended; argparse's own --help already ignores the error
    assert process.wait(timeout=120) in ((0, 141) if args == ["--help"] else (141,)), err
    assert err == ""
