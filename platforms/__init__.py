"""What each platform accepts and how to talk to it: text rules, media rules, adapters.

Pure: nothing here touches the database or Celery, so the API uses it for previews and
validation and the worker for publishing. Third-party adapters subclass
``platforms.adapters.base.Adapter`` and register under the ``callsheet.adapters`` entry point.
"""
