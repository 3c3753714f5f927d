"""How the scheduler hands claims to workers: Celery messages naming the one publish task.

Celery only carries messages here: "publish these claimed deliveries". Scheduling lives in the
database (never ETA or countdown, which Redis redelivers after its visibility timeout), so a
lost or repeated message costs at most a lease timeout or a no-op fence. The scheduler and the
worker build their Celery app from this one configuration; the scheduler sends the task by name
and never imports the worker.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from celery import Celery

from scheduler.core.config import Settings

#: The one task name: the scheduler sends it by name and never imports the worker.
PUBLISH_TASK = "callsheet.publish_deliveries"


def create_celery(settings: Settings, *, include: Sequence[str] = ()) -> Celery:
    """A Celery app for ``settings``' broker and queue; the worker ``include``s its task module."""
    app = Celery("callsheet", broker=settings.broker_url, include=list(include))
    transport_options: dict[str, object] = {}
    if settings.broker_url.startswith("sqla+sqlite"):
        # Passed to create_engine by kombu's SQLAlchemy transport: wait on a busy file.
        transport_options["connect_args"] = {"timeout": 30}
    app.conf.update(
        task_default_queue=settings.queue_name,
        task_serializer="json",
        accept_content=["json"],
        task_ignore_result=True,
        # Ack after the task ran: a worker that dies mid-batch gets its message redelivered,
        # and the fence turns the redelivery into a no-op for what was already done.
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        broker_connection_retry_on_startup=True,
        broker_transport_options=transport_options,
        worker_hijack_root_logger=False,
        enable_utc=True,
    )
    return app


#: Sends one Celery message: (delivery ids, lease owner).
Sender = Callable[[list[int], str], None]


def celery_sender(app: Celery, queue: str) -> Sender:
    """Send publish messages by task name (the scheduler never imports the task module)."""

    def send(ids: list[int], owner: str) -> None:
        app.send_task(PUBLISH_TASK, args=[ids, owner], queue=queue)

    return send
