"""Counting across the processes one command starts (``callsheet api --workers N``, a
``prefork`` worker pool): prometheus-client's multiprocess mode.

prometheus-client chooses how it keeps counts when it is first imported, so this module must
not import it (nor anything that does): the commands call ``share_between_processes`` first,
and import the metrics after.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"


def share_between_processes(directory: Path | None = None) -> Path:
    """Make this process and the ones it starts count into files that each one's exposition
    sums. The folder (``PROMETHEUS_MULTIPROC_DIR`` if set, else a new one) is emptied first,
    so counts restart with the command, as a single process's do."""
    existing = os.environ.get(MULTIPROCESS_ENV)
    folder = Path(existing) if existing else directory
    if folder is None:
        folder = Path(tempfile.mkdtemp(prefix="callsheet-metrics-"))
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.db"):
        stale.unlink()
    os.environ[MULTIPROCESS_ENV] = str(folder)
    return folder
