"""Callsheet's Prometheus metrics, defined once here and counted where things happen.

The rooms that count live below the faces (the queue counts claims and rate-limit waits, the
worker counts what it settled), so the definitions live at the bottom, in the core; serving
them is ``scheduler.ops.metrics``. State that lives in the database (deliveries by status, the
queue's depth, its oldest due time) is not counted here at all: it is read at scrape time,
so every process that serves it tells the same truth, restarts included.

Each process counts its own. When one command runs several processes (``callsheet api
--workers``, a ``prefork`` worker pool), ``PROMETHEUS_MULTIPROC_DIR`` makes prometheus-client
keep the counts in files every process's exposition sums; it must be set before
prometheus-client is first imported, which ``scheduler.ops.sharing`` does for those commands.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

#: Seconds: from a tenth of a second (a fast webhook) to two minutes (a video upload).
_CALL_BUCKETS = (0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)
#: Seconds after the planned time: on time within a tick, up to a day late.
_LATE_BUCKETS = (1, 5, 15, 30, 60, 120, 300, 900, 1800, 3600, 7200, 86400)

SETTLED = Counter(
    "callsheet_deliveries_settled",
    "Deliveries a worker finished an attempt on, by platform and the state it left them in "
    "(published, retrying, unknown, failed, held)",
    ["platform", "status"],
)
PUBLISH_SECONDS = Histogram(
    "callsheet_publish_seconds",
    "Seconds one delivery's attempt took (render, approval check, the platform's calls)",
    ["platform"],
    buckets=_CALL_BUCKETS,
)
LATENESS = Histogram(
    "callsheet_publish_lateness_seconds",
    "Schedule seconds between a delivery's planned time and its publication",
    ["platform"],
    buckets=_LATE_BUCKETS,
)
CLAIMED = Histogram(
    "callsheet_claims_per_tick",
    "Deliveries one scheduler tick claimed and handed to workers",
    buckets=(0, 1, 5, 10, 50, 100, 200, 500, 1000, 5000),
)
RATE_LIMIT_WAITS = Counter(
    "callsheet_rate_limit_waits",
    "Times an account was found out of publishing budget and its deliveries left to wait",
    ["platform"],
)
REAPED = Counter(
    "callsheet_reaped",
    "Leases that ran out: claims taken back untried, or publishes now unknown",
    ["outcome"],
)
