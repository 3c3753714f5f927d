"""Celery's Redis transport, made to survive losing the broker while it closes a connection.

Kombu's Redis channel builds its Redis connection pool lazily, from the kombu ``Connection`` its
transport points back to. When Redis dies under a Celery worker (kombu 5.7, Celery 5.7), the
consumer first ``collect``s the broken connection: closing its channel stops at the first Redis
call (a connection error, which kombu ignores), so the channel stays open, and the transport is
detached from its connection (``transport.client = None``). The consumer then ``close``s the
connection, which closes the same channel again: this time the channel gets as far as putting
its unacknowledged messages back, which needs a new pool, which reads ``transport.client
.hostname``: ``AttributeError: 'NoneType' object has no attribute 'hostname'``. That is not a
connection error, so it escapes Celery's reconnection, the worker logs "Unrecoverable error" and
stops. A late acknowledgement arriving on that channel from the thread pool fails the same way.

The guard: a channel whose transport no longer has a connection cannot reach the broker, and
says so with Redis's own ``ConnectionError``, the error kombu and Celery already handle there
(the close carries on, the acknowledgement is logged as not made, the consumer reconnects).
Nothing is lost by it: what such a channel would have put back or acknowledged lived in the
Redis that just went away, and the database, not Redis, holds the schedule (a message lost with
the broker costs one lease; ``scheduler.queue.claims``).
"""

from __future__ import annotations

from typing import Any

from kombu.transport import redis as kombu_redis
from redis.exceptions import ConnectionError as BrokerGone

#: What ``broker_transport`` names for a ``redis://`` broker URL. Not for ``rediss://``: naming a
#: transport replaces the URL's scheme, and kombu reads TLS from the scheme's name.
TRANSPORT = "scheduler.queue.broker:Transport"


class Channel(kombu_redis.Channel):
    """Kombu's Redis channel, refusing with a connection error once its connection is gone."""

    def _connparams(self, asynchronous: bool = False) -> dict[str, Any]:
        transport = self.connection
        if transport is None or transport.client is None:
            raise BrokerGone("the broker connection of this channel is closed")
        params: dict[str, Any] = super()._connparams(asynchronous=asynchronous)  # type: ignore[misc]
        return params


class Transport(kombu_redis.Transport):
    """Kombu's Redis transport with the guarded channel."""

    Channel = Channel
