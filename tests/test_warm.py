"""What a first request would build is built at start (the opener) or ahead (per viewer)."""

from __future__ import annotations

from typing import Any

import pytest

from index import expertise, incidents
from index.access import Viewer
from index.opener import Opener


def test_warming_loads_the_query_encoder_and_the_tokenizer(real_index, real_embedder) -> None:
    settings, _content = real_index
    from index.embedder import SentenceTransformerEmbedder

    embedder = SentenceTransformerEmbedder(settings)
    with Opener(settings, embedder) as opener:
        opener.warm()
        assert "_counter" in embedder.__dict__  # the tokenizer a plan is cut with
        assert embedder._query_encoder not in (False, None)  # the ONNX session is open
        assert "model" not in embedder.__dict__  # and torch was never needed


def test_prepare_builds_the_viewers_derived_tables_once(
    real_index, real_embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings, _content = real_index
    built: list[str] = []
    load, build = incidents.load, expertise.PeopleIndex.build

    def counted_load(*args: Any, **kwargs: Any) -> Any:
        built.append("incident set")
        return load(*args, **kwargs)

    def counted_build(*args: Any, **kwargs: Any) -> Any:
        built.append("people index")
        return build(*args, **kwargs)

    monkeypatch.setattr(incidents, "load", counted_load)
    monkeypatch.setattr(expertise.PeopleIndex, "build", counted_build)
    with Opener(settings, real_embedder) as opener:
        archive = opener.require(Viewer.of("someone", groups="sre"))
        archive.prepare()
        assert sorted(built) == ["incident set", "people index"]
        again = opener.require(Viewer.of("someone else", groups="sre"))  # same access key
        again.recurring()
        again.incident_set()
        again.action_items()
        assert sorted(built) == ["incident set", "people index"]  # nothing built twice
        opener.require(Viewer.of("outsider", groups="")).incident_set()
        assert built.count("incident set") == 2  # another access key: its own tables
