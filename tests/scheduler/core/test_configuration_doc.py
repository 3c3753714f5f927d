"""docs/configuration.md is what the Settings class says, and every setting says what it is for."""

from __future__ import annotations

from pathlib import Path

from scheduler.core.config import Settings
from scheduler.core.settings_doc import configuration_page, settings_docs

PAGE = Path(__file__).resolve().parents[3] / "docs" / "configuration.md"


def test_every_setting_says_what_it_is_for() -> None:
    docs = settings_docs()
    assert [d.variable for d in docs] == [f"CALLSHEET_{n.upper()}" for n in Settings.model_fields]
    assert [d.variable for d in docs if len(d.description) < 15] == []
    secrets = {d.variable for d in docs if d.secret}
    assert {"CALLSHEET_SECRET_KEYS", "CALLSHEET_SMTP_URL", "CALLSHEET_METRICS_TOKEN"} <= secrets


def test_docs_configuration_md_is_current() -> None:
    """Regenerate with: python -m scheduler.core.settings_doc > docs/configuration.md"""
    assert PAGE.read_text() == configuration_page()
