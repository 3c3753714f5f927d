"""Faults injected on request, so adapters are proven against the failures platforms have.

A fault is armed through ``POST /_sandbox/faults`` for one platform (optionally only paths
containing ``path``) and fires on the next ``times`` matching requests:

- ``rate_limit``: the platform's throttle answer, with a wait of ``retry_after`` seconds;
- ``server_error``: HTTP ``status`` (default 503) before anything is created;
- ``slow``: do the work, then wait ``delay`` seconds before answering (a client that times out
  sees a lost answer, and the post exists, as on a real platform under load);
- ``unauthorized``: 401, as for a revoked token;
- ``drop_after_create``: handle the request (the post is created), then close the connection
  before the answer is sent: the "did it go out?" case that must never become a double post.

Each platform module may shape how a fault looks on that platform (X's reset header,
YouTube's quota 403, TikTok's error inside HTTP 200) with a ``fault_response`` function.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, Field

FaultKind = Literal["rate_limit", "server_error", "slow", "unauthorized", "drop_after_create"]


class FaultSpec(BaseModel):
    """The body of ``POST /_sandbox/faults``."""

    platform: str = Field(min_length=1)
    kind: FaultKind
    path: str | None = None
    method: str | None = None
    times: int = Field(default=1, ge=1, le=10_000)
    retry_after: float = Field(default=30, ge=0)
    delay: float = Field(default=5, ge=0, le=120)
    status: int = Field(default=503, ge=500, le=599)


@dataclass
class _Armed:
    spec: FaultSpec
    left: int


class FaultBook:
    """Armed faults; each request takes at most one, first armed first."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._armed: list[_Armed] = []

    def arm(self, spec: FaultSpec) -> None:
        with self._lock:
            self._armed.append(_Armed(spec, spec.times))

    def take(self, platform: str, method: str, path: str) -> FaultSpec | None:
        """The fault this request meets, counting it as fired; ``None`` for a normal answer."""
        with self._lock:
            for armed in self._armed:
                spec = armed.spec
                if spec.platform != platform:
                    continue
                if spec.path is not None and spec.path not in path:
                    continue
                if spec.method is not None and spec.method.upper() != method.upper():
                    continue
                armed.left -= 1
                if armed.left <= 0:
                    self._armed.remove(armed)
                return spec
            return None

    def pending(self) -> list[FaultSpec]:
        with self._lock:
            return [a.spec.model_copy(update={"times": a.left}) for a in self._armed]

    def clear(self) -> None:
        with self._lock:
            self._armed.clear()
