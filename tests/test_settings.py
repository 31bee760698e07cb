"""Every setting is documented, and settings come from the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.settings import Settings

README = Path(__file__).resolve().parent.parent / "README.md"


@pytest.mark.parametrize("name", sorted(Settings.model_fields))
def test_every_setting_is_documented_in_the_readme(name):
    assert f"`HINDSIGHT_{name.upper()}`" in README.read_text()


def test_settings_come_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("HINDSIGHT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("HINDSIGHT_BATCH_SIZE", "16")
    settings = Settings()
    assert settings.data_dir == tmp_path and settings.batch_size == 16


def test_bad_setting_is_refused(monkeypatch):
    monkeypatch.setenv("HINDSIGHT_BATCH_SIZE", "0")
    with pytest.raises(ValueError, match="batch_size"):
        Settings()
