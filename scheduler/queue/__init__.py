"""The database as the queue, and the scheduler service that ticks.

Every state change of a delivery on the dispatch path is one conditional ``UPDATE``, so two
schedulers, a redelivered Celery message or a worker that wakes up late can never move a
delivery twice.

``gates``: what a delivery must pass to be claimed, as conditions on its row. ``claims``: claim
due deliveries under a lease, hand claims back untried. ``publishing``: a worker's fence of each
delivery just before its platform call, its progress saves (refused with ``NotOwned`` once the
delivery is another's), its outcome (``finish``). ``reaper``: leases that ran out.
``messages``: the Celery configuration and the publish task's name; the scheduler sends it by
name and never imports the worker. ``service``: the APScheduler process (tick, reap, notify).
"""
