"""The worker's Celery app: the shared configuration (``scheduler.queue.messages``) and the task."""

from __future__ import annotations

from typing import Any

from celery.signals import setup_logging, worker_ready

from scheduler.core.config import get_settings
from scheduler.core.logs import configure_logging
from scheduler.ops.metrics import serve_metrics
from scheduler.queue.messages import create_celery

celery_app = create_celery(get_settings(), include=["workers.tasks"])


@setup_logging.connect
def _callsheet_logging(loglevel: str | int | None = None, **_: Any) -> None:
    """The worker logs as every Callsheet process does (``scheduler.core.logs``): connecting
    here keeps Celery from installing handlers of its own, which would print secrets."""
    configure_logging(loglevel or "INFO")


@worker_ready.connect
def _serve_metrics(**_: Any) -> None:
    """The worker's counts on ``metrics_port``, served by its main process (for a ``prefork``
    pool, the children's counts too: ``callsheet worker`` shares them through files)."""
    port = get_settings().metrics_port
    if port is not None:
        serve_metrics(port)
