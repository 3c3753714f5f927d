"""The worker's Celery app: the shared configuration (``scheduler.queue.messages``) and the task."""

from __future__ import annotations

from scheduler.core.config import get_settings
from scheduler.queue.messages import create_celery

celery_app = create_celery(get_settings(), include=["workers.tasks"])
