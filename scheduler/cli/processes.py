"""Child processes the commands start: a worker with the parent's settings; stopping one."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from pydantic import SecretStr

from scheduler.core.config import Settings


def worker_process(settings: Settings, *, log_path: Path | None = None) -> subprocess.Popen[bytes]:
    """Start ``callsheet worker`` as a child process configured by ``settings``."""
    env = {**os.environ, **settings_env(settings)}
    out = log_path.open("ab") if log_path else None
    return subprocess.Popen(
        [sys.executable, "-m", "scheduler.cli", "worker"],
        env=env,
        stdout=out or subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )


def settings_env(settings: Settings) -> dict[str, str]:
    """``settings`` as the CALLSHEET_* variables a child process reads."""
    env = {}
    for name, value in settings.model_dump(mode="json").items():
        if value is not None:
            # Structured fields are read back as JSON (pydantic-settings), scalars as text.
            text = json.dumps(value) if isinstance(value, dict | list) else str(value)
            env[f"CALLSHEET_{name.upper()}"] = text
    # Secrets dump masked; a child needs the real values (the keys that open account secrets).
    for name in Settings.model_fields:
        value = getattr(settings, name)
        if isinstance(value, SecretStr):
            env[f"CALLSHEET_{name.upper()}"] = value.get_secret_value()
    return env


def stop_process(process: subprocess.Popen[bytes], timeout: float = 15) -> None:
    """Ask a child to stop (warm shutdown), then insist."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
