"""What a delivery says: sandboxed template rendering, the render context, the content hash.

``render`` is pure (no database): the API uses it for previews, the worker for publishing, and
both compare the same hash. Room for the template library and credits.
"""
