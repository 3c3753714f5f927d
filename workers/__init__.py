"""The Celery worker: the app, the one task, and the publish flow.

The publish flow fences, renders, checks the approved hash, publishes and finishes. The worker
stands on the scheduler's rooms and on ``platforms``; nothing in ``scheduler`` imports it (the
scheduler sends the task by name).
"""
