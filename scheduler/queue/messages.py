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
from scheduler.queue.broker import TRANSPORT as GUARDED_REDIS

#: The one task name: the scheduler sends it by name and never imports the worker.
PUBLISH_TASK = "callsheet.publish_deliveries"


def create_celery(settings: Settings, *, include: Sequence[str] = ()) -> Celery:
    """A Celery app for ``settings``' broker and queue; the worker ``include``s its task module."""
    app = Celery("callsheet", broker=settings.broker_url, include=list(include))
    transport_options: dict[str, object] = {}
    if settings.broker_url.startswith("sqla+sqlite"):
        # Passed to create_engine by kombu's SQLAlchemy transport: wait on a busy file.
        transport_options["connect_args"] = {"timeout": 30}
    if settings.broker_url.startswith("redis://"):
        # Kombu's Redis transport with the guard that keeps a worker alive when Redis dies
        # under it (``scheduler.queue.broker``).
        app.conf.broker_transport = GUARDED_REDIS
    if settings.broker_url.startswith(("redis://", "rediss://")):
        transport_options["visibility_timeout"] = visibility_timeout(settings)
    app.conf.update(
        task_default_queue=settings.queue_name,
        task_serializer="json",
        accept_content=["json"],
        task_ignore_result=True,
        # Ack after the task ran: a worker that dies mid-batch gets its message redelivered,
        # and the fence turns the redelivery into a no-op for what was already done.
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        # When the broker goes away, a publish already in hand finishes and records its outcome
        # in the database (its acknowledgement is lost with the broker, which is harmless).
        # Cancelling it halfway would turn a post that may be out into ``unknown``. Celery 6
        # makes cancelling the default; Callsheet says no here.
        worker_cancel_long_running_tasks_on_connection_loss=False,
        worker_prefetch_multiplier=1,
        broker_connection_retry_on_startup=True,
        broker_transport_options=transport_options,
        worker_hijack_root_logger=False,
        enable_utc=True,
    )
    return app


def visibility_timeout(settings: Settings) -> float:
    """Seconds Redis leaves a message with a worker before handing it to another: longer than
    any lease, by a lease and a minute.

    Redis has no acknowledgement timer of its own: kombu keeps each message a worker took, and
    gives it to another worker once it has gone unacknowledged this long (the worker may have
    died). Every message carries one claim whose lease (``lease_seconds``) starts before the
    message is even sent, and every publish a worker fences holds a lease of the same length.
    Redelivered only after the claim's lease ran out, a message finds its deliveries either
    done or taken back by the reaper (claimed again under a new owner), so its fence lets
    nothing through: a redelivery can never race a live claim. The margin covers a worker's
    clock running behind the one that redelivers, and the time the message waited in the queue
    before the worker took it is already on the safe side.
    """
    return 2 * settings.lease_seconds + 60


#: Sends one Celery message: (delivery ids, lease owner).
Sender = Callable[[list[int], str], None]


def celery_sender(app: Celery, queue: str) -> Sender:
    """Send publish messages by task name (the scheduler never imports the task module)."""

    def send(ids: list[int], owner: str) -> None:
        app.send_task(PUBLISH_TASK, args=[ids, owner], queue=queue)

    return send
