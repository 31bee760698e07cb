"""Create the project's virtual environment: uv when it can be had, pip otherwise.

`make setup` runs this with the system Python (standard library only). uv resolves and links
from its cache in seconds where pip takes minutes; it is used when it is on PATH or can be
installed into the new venv from the package index. uv does not read pip's configuration, so
the sources pip is configured with (`pip config list`: find-links such as a folder of local
wheels, index URLs, constraint files, a CA bundle) are handed to uv as options: torch then
comes from the same local CPU wheel pip would take. If uv fails for any reason, pip installs
exactly as before.

    python3 tools/setup_venv.py .venv -c constraints.txt -e '.[dev,ray]'
    HINDSIGHT_INSTALLER=pip python3 tools/setup_venv.py ...   # never use uv
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

# torch first and pinned: the local CPU wheel, not GBs of CUDA packages.
TORCH = "torch==2.13.0"


def pip_config(python: str) -> dict[str, list[str]]:
    """pip's effective settings (files and PIP_* variables), by option name."""
    try:
        listed = subprocess.run(
            [python, "-m", "pip", "config", "list"], capture_output=True, text=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return {}
    return parse_pip_config(listed)


def parse_pip_config(listed: str) -> dict[str, list[str]]:
    """`pip config list` output (`global.find-links='/opt/wheels'`, `:env:.timeout='60'`)."""
    options: dict[str, list[str]] = {}
    for line in listed.splitlines():
        key, _, value = line.partition("=")
        if not value:
            continue
        name = key.rsplit(".", 1)[-1]  # global.find-links, :env:.find-links, install.no-index
        try:
            words = shlex.split(value)
        except ValueError:  # an unbalanced quote: leave that value to pip itself
            continue
        for item in " ".join(words).split():
            if item not in options.setdefault(name, []):
                options[name].append(item)
    return options


def uv_options(config: dict[str, list[str]]) -> tuple[list[str], dict[str, str]]:
    """The uv options and environment that make uv use pip's sources."""
    args: list[str] = []
    env: dict[str, str] = {}
    for link in config.get("find-links", []):
        args += ["--find-links", link]
    if config.get("index-url"):
        args += ["--index-url", config["index-url"][0]]
    for url in config.get("extra-index-url", []):
        args += ["--extra-index-url", url]
    for constraint in config.get("constraint", []):
        if Path(constraint).is_file():
            args += ["-c", constraint]
    if any(v.lower() in ("1", "true", "yes", "on") for v in config.get("no-index", [])):
        args.append("--no-index")
    if config.get("cert"):
        env["SSL_CERT_FILE"] = config["cert"][0]
    if config.get("timeout") or config.get("default-timeout"):
        env["UV_HTTP_TIMEOUT"] = (config.get("timeout") or config["default-timeout"])[0]
    # pip takes the best version across all sources; uv's default stops at the first index
    # that has a package, which would miss a newer file elsewhere.
    args += ["--index-strategy", "unsafe-best-match"]
    return args, env


_CREDENTIALS = re.compile(r"(://)[^/@\s]+@")


def shown(cmd: list[str]) -> str:
    """CMD as printed to the log: an index URL's user and password replaced by "***"."""
    return " ".join(shlex.quote(_CREDENTIALS.sub(r"\1***@", c)) for c in cmd)


def run(cmd: list[str], env: dict[str, str] | None = None) -> bool:
    print("+", shown(cmd), flush=True)
    return subprocess.run(cmd, env={**os.environ, **(env or {})}).returncode == 0


def find_uv(venv: Path, quiet: list[str]) -> str | None:
    """uv on PATH, else uv installed into VENV by its own pip (seconds from pip's cache)."""
    if os.environ.get("HINDSIGHT_INSTALLER", "auto") == "pip":
        return None
    on_path = shutil.which("uv")
    if on_path:
        return on_path
    local = venv / "bin" / "uv"
    if local.exists() or run([str(venv / "bin" / "python"), "-m", "pip", "install", *quiet, "uv"]):
        return str(local) if local.exists() else None
    return None


def install_with_uv(
    uv: str, venv: Path, constraints: list[str], spec: list[str], quiet: list[str]
) -> bool:
    args, env = uv_options(pip_config(str(venv / "bin" / "python")))
    python = ["--python", str(venv / "bin" / "python")]
    cons = [a for c in constraints for a in ("-c", c)]
    return run([uv, "pip", "install", *quiet, *python, *args, *cons, TORCH, *spec], env)


def install_with_pip(venv: Path, constraints: list[str], spec: list[str], quiet: list[str]) -> bool:
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", *quiet]
    cons = [a for c in constraints for a in ("-c", c)]
    return (
        run([*pip, "--upgrade", "pip"]) and run([*pip, *cons, TORCH]) and run([*pip, *cons, *spec])
    )


# What a cold command and the portal import (torch only for a first ONNX export: not here).
FIRST_IMPORTS = (
    "cli", "index.opener", "index.archive", "index.embedder", "circulation.brief",
    "ingest.pipeline", "onnxruntime", "tokenizers", "streamlit", "portal.resources",
)  # fmt: skip


def write_bytecode(venv: Path) -> None:
    """Import what a cold command and the portal import once, writing their .pyc files.

    uv installs no .pyc files, and where the environment sets PYTHONDONTWRITEBYTECODE (as this
    machine does) nothing ever writes them, so every `hindsight` process would compile numpy,
    pydantic, duckdb… from source again: +0.45 CPU-s a cold search. Compiling everything at
    install (`uv --compile-bytecode`, pip's default) took 40 CPU-s here, torch and Ray
    included; this import takes a few. Best effort: a failure only costs speed.
    """
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    code = (
        "import importlib, sys\n"
        "for name in sys.argv[1:]:\n"
        "    try:\n"
        "        importlib.import_module(name)\n"
        "    except Exception:\n"
        "        pass\n"
    )
    python = str(venv / "bin" / "python")
    subprocess.run([python, "-c", code, *FIRST_IMPORTS], env={**env, "HF_HUB_OFFLINE": "1"})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("venv", type=Path)
    parser.add_argument("-c", "--constraint", action="append", default=[])
    parser.add_argument("-e", "--editable", action="append", default=[])
    parser.add_argument("-q", "--quiet", action="store_true")
    args = parser.parse_args()
    quiet = ["-q"] if args.quiet else []
    spec = [a for e in args.editable for a in ("-e", e)]
    started = time.monotonic()
    if not (args.venv / "bin" / "python").exists() and not run(
        [sys.executable, "-m", "venv", str(args.venv)]
    ):
        return 1
    uv = find_uv(args.venv, quiet)
    if uv and install_with_uv(uv, args.venv, args.constraint, spec, quiet):
        how = "uv"
    else:
        if uv:
            print("uv failed; installing with pip instead", file=sys.stderr, flush=True)
        if not install_with_pip(args.venv, args.constraint, spec, quiet):
            return 1
        how = "pip"
    write_bytecode(args.venv)
    print(f"{args.venv}: installed with {how} in {time.monotonic() - started:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
