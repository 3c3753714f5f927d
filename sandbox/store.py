"""What the sandbox received: posts by platform, uploads, and the tokens it issued or revoked.

Thread-safe (uvicorn may run handlers in a thread pool) and in memory; with a ``keep`` path
every post is also appended to a JSON-lines file, so a rehearsal leaves a record a person can
read after the sandbox has stopped.
"""

from __future__ import annotations

import itertools
import json
import secrets
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


@dataclass
class Record:
    """One thing a platform created: a post, a container, an upload, a record."""

    platform: str
    id: str
    account: str
    kind: str
    body: dict[str, Any]
    created_at: datetime
    idempotency_key: str | None = None
    url: str | None = None
    state: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "platform": self.platform,
            "id": self.id,
            "account": self.account,
            "kind": self.kind,
            "body": self.body,
            "created_at": self.created_at.isoformat(),
            "idempotency_key": self.idempotency_key,
            "url": self.url,
            "state": self.state,
        }


class Store:
    """Every record, in the order received; ids are unique per sandbox run."""

    def __init__(self, keep: Path | None = None) -> None:
        self._lock = threading.RLock()
        self._records: list[Record] = []
        self._ids = itertools.count(1_000_001)
        self._revoked: set[str] = set()
        self._keep = keep

    def next_id(self) -> str:
        with self._lock:
            return str(next(self._ids))

    def add(
        self,
        platform: str,
        *,
        account: str,
        kind: str,
        body: dict[str, Any],
        idempotency_key: str | None = None,
        url: str | None = None,
        record_id: str | None = None,
        state: dict[str, Any] | None = None,
    ) -> Record:
        """Keep one new record (``kind`` "post" is what a person would see on the platform)."""
        with self._lock:
            record = Record(
                platform=platform,
                id=record_id or self.next_id(),
                account=account,
                kind=kind,
                body=body,
                created_at=datetime.now(UTC),
                idempotency_key=idempotency_key,
                url=url,
                state=dict(state or {}),
            )
            self._records.append(record)
            if self._keep is not None and kind == "post":
                with self._keep.open("a", encoding="utf-8") as out:
                    out.write(json.dumps(record.as_json(), ensure_ascii=False) + "\n")
            return record

    def get(self, platform: str, record_id: str, *, kind: str | None = None) -> Record | None:
        with self._lock:
            for record in self._records:
                same = record.platform == platform and record.id == record_id
                if same and (kind is None or record.kind == kind):
                    return record
            return None

    def records(
        self, platform: str | None = None, *, kind: str | None = None, account: str | None = None
    ) -> list[Record]:
        """Records matching every given filter, oldest first."""
        with self._lock:
            return [
                r
                for r in self._records
                if (platform is None or r.platform == platform)
                and (kind is None or r.kind == kind)
                and (account is None or r.account == account)
            ]

    def by_key(self, platform: str, account: str, key: str, *, kind: str = "post") -> Record | None:
        """The record made earlier with this idempotency key by this account, if any."""
        with self._lock:
            for record in self._records:
                mine = (record.platform, record.account, record.kind) == (platform, account, kind)
                if mine and record.idempotency_key == key:
                    return record
            return None

    def issue_token(self, platform: str) -> str:
        """A fresh opaque access or refresh token for ``platform``."""
        return f"sbx-{platform}-{secrets.token_urlsafe(16)}"

    def revoke(self, token: str) -> None:
        with self._lock:
            self._revoked.add(token)

    def is_revoked(self, token: str) -> bool:
        with self._lock:
            return token in self._revoked

    def reset(self) -> None:
        """Forget every record and revocation (between tests, or between rehearsals)."""
        with self._lock:
            self._records.clear()
            self._revoked.clear()
