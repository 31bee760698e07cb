# The README's commands. Everything a fresh clone needs is installed by these targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PORT ?= 8501
CONTENT ?= content
export HF_HUB_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: setup run index test test-fast lint bench eval clean

# uv when it is on PATH or installable, pip otherwise (HINDSIGHT_INSTALLER=pip forces pip);
# torch pinned to the local CPU wheel either way, never GBs of CUDA packages.
$(STAMP): pyproject.toml constraints.txt tools/setup_venv.py
	$(PYTHON) tools/setup_venv.py $(VENV) -q -c constraints.txt -e '.[dev,ray,transcribe]'
	touch $(STAMP)

setup: $(STAMP)

index: setup  ## ingest content/ (incremental: only new or changed files cost anything)
	@echo "Indexing $(CONTENT)/ (only new or changed files cost anything)…"
	$(VENV)/bin/hindsight ingest $(CONTENT)

# Where readers reach the portal: feed, digest, API and invitation links point here. An address
# set in the environment (a proxy's public URL) wins; otherwise it follows PORT.
run: export HINDSIGHT_PORTAL_URL ?= http://localhost:$(PORT)
run: index  ## open the portal on content/, with the watcher keeping the index live and the server (API, feeds, MCP)
	@echo "Portal: $(HINDSIGHT_PORTAL_URL)   API: http://localhost:$${HINDSIGHT_FEEDS_PORT:-8502}/docs"
	@$(VENV)/bin/hindsight watch $(CONTENT) & WATCH=$$!; \
	$(VENV)/bin/hindsight serve & SERVER=$$!; \
	trap "kill $$WATCH $$SERVER 2>/dev/null" EXIT INT TERM; \
	$(PY) -m streamlit run hindsight_portal.py --server.port $(PORT) --server.headless true \
		--browser.gatherUsageStats false --browser.serverAddress localhost

test: setup  ## the whole suite, browser test included
	$(PY) -m pytest

test-fast: setup
	$(PY) -m pytest -m "not browser and not slow"

lint: setup
	$(VENV)/bin/ruff check ingest index circulation cli portal server tests bench tools app.py hindsight_portal.py
	$(VENV)/bin/mypy

bench: setup
	$(PY) -m bench.run --shared ../shared

eval: setup
	$(PY) -m bench.eval --shared ../shared

clean:
	rm -rf .hindsight .pytest_cache
