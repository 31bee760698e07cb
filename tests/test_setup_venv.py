"""tools/setup_venv.py: uv gets the sources pip is configured with, so torch stays local."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

TOOL = Path(__file__).resolve().parent.parent / "tools" / "setup_venv.py"


def _tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("setup_venv", TOOL)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["setup_venv"] = module
    spec.loader.exec_module(module)
    return module


# What `pip config list` prints on this machine (files and PIP_* variables alike).
LISTED = """\
:env:.cert='/etc/ssl/certs/ca-certificates.crt'
:env:.default-timeout='180'
:env:.find-links='/opt/wheels'
global.cert='/etc/ssl/certs/ca-certificates.crt'
global.constraint='{constraint}'
global.extra-index-url='file:///opt/pypi/simple file:///opt/pypi-more/simple'
global.find-links='/opt/wheels'
"""


def test_pip_config_becomes_uv_options(tmp_path) -> None:
    tool = _tool()
    constraint = tmp_path / "constraints.txt"
    constraint.write_text("torch<=2.14.1\n")
    config = tool.parse_pip_config(LISTED.format(constraint=constraint))
    assert config["find-links"] == ["/opt/wheels"]  # listed twice, passed once
    assert config["extra-index-url"] == ["file:///opt/pypi/simple", "file:///opt/pypi-more/simple"]
    args, env = tool.uv_options(config)
    assert args == [
        "--find-links", "/opt/wheels",
        "--extra-index-url", "file:///opt/pypi/simple",
        "--extra-index-url", "file:///opt/pypi-more/simple",
        "-c", str(constraint),
        "--index-strategy", "unsafe-best-match",
    ]  # fmt: skip
    assert env == {"SSL_CERT_FILE": "/etc/ssl/certs/ca-certificates.crt", "UV_HTTP_TIMEOUT": "180"}


def test_an_unconfigured_pip_leaves_uv_on_its_defaults() -> None:
    tool = _tool()
    assert tool.parse_pip_config("") == {}
    args, env = tool.uv_options({})
    assert args == ["--index-strategy", "unsafe-best-match"] and env == {}


def test_a_missing_constraint_file_and_no_index_are_handled() -> None:
    tool = _tool()
    config = tool.parse_pip_config("global.constraint='/nowhere.txt'\ninstall.no-index='true'\n")
    args, _env = tool.uv_options(config)
    assert "-c" not in args and "--no-index" in args


def test_pip_config_of_a_real_interpreter() -> None:
    """Whatever this machine's pip says, it parses (and an interpreter without pip gives {})."""
    tool = _tool()
    assert isinstance(tool.pip_config(sys.executable), dict)
    assert tool.pip_config("/nonexistent/python") == {}


def test_index_credentials_never_reach_the_log_and_a_broken_value_is_skipped() -> None:
    tool = _tool()
    printed = tool.shown(["uv", "--index-url", "https://ci:s3cret@pypi.example/simple", "torch"])
    assert "s3cret" not in printed and "https://***@pypi.example/simple" in printed
    config = tool.parse_pip_config("global.index-url='https://x/simple'\nglobal.cert='it's'\n")
    assert config == {"index-url": ["https://x/simple"]}  # the unbalanced quote is pip's to read
