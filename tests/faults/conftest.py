"""Fixtures of the fault suite, and the figures it leaves: a table, and ``chaos-results.json``.

Every scenario is marked ``chaos``: ``make test`` runs them small, ``make chaos`` runs only
them, ``CALLSHEET_CHAOS_SCALE`` times bigger, and prints and keeps what each one measured.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from sandbox.control import SandboxControl
from sandbox.receiver import WebhookReceiver
from tests.faults.harness import RESULTS, SCALE, Scenario

#: Where ``make chaos`` leaves its figures (in the worktree, never committed).
RESULTS_FILE = Path(__file__).resolve().parents[2] / "chaos-results.json"
COLUMNS = ("scenario", "database", "deliveries", "kills", "duplicates", "lost", "unknown")


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    """A signed-webhook receiver that keeps every request it gets: nothing is deduplicated."""
    receiver = WebhookReceiver()
    receiver.start()
    yield receiver
    receiver.stop()


@pytest.fixture
def scenario(
    engine: Engine,
    redis_broker: str,
    sandbox: SandboxControl,
    receiver: WebhookReceiver,
    tmp_path: Path,
) -> Iterator[Callable[..., Scenario]]:
    """Make the test's scenario (by name, with settings); its processes stop at the end."""
    made: list[Scenario] = []

    def make(name: str, **settings: Any) -> Scenario:
        made.append(
            Scenario(
                name,
                engine=engine,
                broker=redis_broker,
                sandbox=sandbox,
                receiver=receiver,
                logs=tmp_path,
                **settings,
            )
        )
        return made[-1]

    yield make
    for scenario in made:
        scenario.stop()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Print each scenario's figures; at a chaos scale, also keep them as JSON."""
    if not RESULTS:
        return
    header = (*COLUMNS, "settle s")
    rows = [(*(str(getattr(f, c)) for c in COLUMNS), f"{f.settle_seconds:.1f}") for f in RESULTS]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    terminalreporter.section(f"fault scenarios (scale {SCALE})")
    for row in [header, *rows]:
        terminalreporter.write_line("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)))
    if SCALE > 1:
        body = {"scale": SCALE, "scenarios": [f.as_json() for f in RESULTS]}
        RESULTS_FILE.write_text(json.dumps(body, indent=2) + "\n")
        terminalreporter.write_line(f"figures written to {RESULTS_FILE}")
