"""The worker's Celery app: the shared configuration (``scheduler.queue.messages``) and the task."""

from __future__ import annotations

from typing import Any

from celery.signals import setup_logging

from scheduler.core.config import get_settings
from scheduler.core.logs import configure_logging
from scheduler.queue.messages import create_celery

celery_app = create_celery(get_settings(), include=["workers.tasks"])


@setup_logging.connect
def _callsheet_logging(loglevel: str | int | None = None, **_: Any) -> None:
    """The worker logs as every Callsheet process does (``scheduler.core.logs``): connecting
    here keeps Celery from installing handlers of its own, which would print secrets."""
    configure_logging(loglevel or "INFO")
