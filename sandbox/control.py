"""Driving a running sandbox from Python: what it received, faults, revocations, reset.

Used by the tests, the demo and anyone scripting a rehearsal; it speaks the ``/_sandbox``
control routes over HTTP like any other client.
"""

from __future__ import annotations

from typing import Any

import httpx


class SandboxControl:
    """A handle on the sandbox at ``base_url`` (for example ``http://127.0.0.1:8700``)."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(base_url=self.base_url, timeout=10)

    def url(self, platform: str) -> str:
        """The base URL an account on ``platform`` points at to publish into the sandbox."""
        return f"{self.base_url}/{platform}"

    def records(
        self, platform: str | None = None, *, kind: str = "post", account: str | None = None
    ) -> list[dict[str, Any]]:
        params = {
            k: v for k, v in {"platform": platform, "kind": kind, "account": account}.items() if v
        }
        response = self._http.get("/_sandbox/records", params=params)
        response.raise_for_status()
        records: list[dict[str, Any]] = response.json()
        return records

    def posts(self, platform: str, *, account: str | None = None) -> list[dict[str, Any]]:
        """The posts ``platform`` has "published", oldest first."""
        return self.records(platform, account=account)

    def fault(self, platform: str, kind: str, **options: Any) -> None:
        """Arm a fault (see ``sandbox.faults``) for the next matching request(s)."""
        response = self._http.post(
            "/_sandbox/faults", json={"platform": platform, "kind": kind, **options}
        )
        response.raise_for_status()

    def revoke(self, token: str) -> None:
        self._http.post("/_sandbox/revoke", json={"token": token}).raise_for_status()

    def reset(self) -> None:
        self._http.post("/_sandbox/reset").raise_for_status()

    def platforms(self) -> list[str]:
        response = self._http.get("/_sandbox/health")
        response.raise_for_status()
        names: list[str] = response.json()["platforms"]
        return names

    def close(self) -> None:
        self._http.close()
