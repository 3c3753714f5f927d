"""The database as the queue, and the scheduler service that ticks.

``claims``: claim due deliveries, fence, finish, reap. ``messages``: the Celery configuration
and the publish task's name; the scheduler sends it by name and never imports the worker.
``service``: the APScheduler process (tick, reap, notify).
"""
