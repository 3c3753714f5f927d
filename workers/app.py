"""The worker's Celery app: the shared configuration (``scheduler.queue.messages``) and the task;
the worker's heartbeat (``scheduler.queue.heartbeats``), from ready to shutdown."""

from __future__ import annotations

from typing import Any

from celery.signals import setup_logging, worker_ready, worker_shutdown

from scheduler.core.config import get_settings
from scheduler.core.db import get_engine
from scheduler.core.logs import configure_logging
from scheduler.ops.metrics import serve_metrics
from scheduler.queue.heartbeats import Heartbeat, WorkerIdentity, callsheet_version
from scheduler.queue.messages import create_celery

celery_app = create_celery(get_settings(), include=["workers.tasks"])
#: This process's heartbeat, from ``worker_ready`` on (the main process's: a prefork pool's
#: children are counted in its concurrency, not seen one by one).
_heartbeat: Heartbeat | None = None


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


@worker_ready.connect
def _start_heartbeat(sender: Any = None, **_: Any) -> None:
    """Say this worker is alive now and every ``worker_heartbeat_seconds`` (never raises)."""
    global _heartbeat
    settings = get_settings()
    if _heartbeat is None:
        controller = getattr(sender, "controller", None)
        _heartbeat = Heartbeat(
            engine=get_engine(),
            identity=WorkerIdentity(
                name=str(getattr(sender, "hostname", None) or celery_app.main)[:255],
                queue=settings.queue_name,
                concurrency=int(getattr(controller, "concurrency", None) or 0)
                or settings.worker_concurrency,
                heartbeat_seconds=settings.worker_heartbeat_seconds,
                version=callsheet_version(),
            ),
        )
    _heartbeat.start()


@worker_shutdown.connect
def _stop_heartbeat(**_: Any) -> None:
    """A clean shutdown: the worker is shown stopped, not silent."""
    if _heartbeat is not None:
        _heartbeat.stop()
