"""What happened: every change of state recorded once, in the change's own transaction.

``record`` appends the AuditEvent and, for the few actions people are told about, queues the
notifications in the outbox (``outbox``, with the words from ``wording``) in that same
transaction: a change that rolls back leaves neither, a change that commits always has both.
Every service writes through here; reading the trail is ``scheduler.audit``, sending the
queued notifications is ``scheduler.notify``.
"""
