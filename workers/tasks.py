"""Celery tasks: thin. Ids in, state re-read from the database, the work in ``publish``."""

from __future__ import annotations

import os
import socket

from scheduler.core.clock import Clock
from scheduler.core.config import get_settings
from scheduler.core.db import get_engine
from scheduler.queue.messages import PUBLISH_TASK
from workers.app import celery_app
from workers.publish import publish_batch


@celery_app.task(name=PUBLISH_TASK)
def publish_deliveries(delivery_ids: list[int], lease_owner: str) -> dict[str, str]:
    """Publish the deliveries one scheduler claim leased to ``lease_owner``."""
    settings = get_settings()
    outcomes = publish_batch(
        engine=get_engine(),
        delivery_ids=delivery_ids,
        owner=lease_owner,
        settings=settings,
        clock=Clock.from_settings(settings),
        actor=f"worker:{socket.gethostname()}:{os.getpid()}",
    )
    return {str(k): v.value for k, v in outcomes.items()}
