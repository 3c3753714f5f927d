"""The Celery app, configured from Callsheet's settings.

Celery only carries messages here: "publish these claimed deliveries". Scheduling lives in the
database (never ETA or countdown, which Redis redelivers after its visibility timeout), so a
lost or repeated message costs at most a lease timeout or a no-op fence.
"""

from __future__ import annotations

from celery import Celery

from scheduler.config import Settings, get_settings

#: The one task name; the scheduler sends it by name and never imports the task module.
PUBLISH_TASK = "callsheet.publish_deliveries"


def create_celery(settings: Settings) -> Celery:
    """A Celery app for ``settings``' broker and queue."""
    app = Celery("callsheet", broker=settings.broker_url, include=["workers.tasks"])
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


celery_app = create_celery(get_settings())
