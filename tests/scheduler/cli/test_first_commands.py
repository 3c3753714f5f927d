"""A newcomer's first commands, in the order they try them: before the schema exists, each
command says what to run instead of printing a traceback."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import CALLSHEET


@pytest.mark.parametrize(
    "command",
    [
        ["people", "add", "--email", "ana@studio.test", "--name", "Ana"],
        ["pauses"],
        ["status"],
        ["audit"],
    ],
)
def test_a_command_before_db_upgrade_says_to_run_it(tmp_path: Path, command: list[str]) -> None:
    ran = subprocess.run(
        [*CALLSHEET, *command],
        env={**os.environ, "CALLSHEET_DATABASE_URL": f"sqlite:///{tmp_path / 'new.db'}"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert ran.returncode == 1
    assert "run `callsheet db upgrade`" in ran.stdout
    assert "Traceback" not in ran.stdout + ran.stderr
