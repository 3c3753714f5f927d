"""Reading the audit trail: filters, a production's own events, newest first.

The trail is written by ``scheduler.events.record`` in the same commit as each change, and the
database refuses to change it.
"""
