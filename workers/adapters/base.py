"""The contract between Callsheet and a platform.

An adapter turns one rendered delivery into one post on a platform. Adapters are leaves: they
never touch the database or Celery, so they can be tested against a local HTTP server alone and
reused by previews and validation at submit time.

Errors form a small tree, so callers decide by type, never by comparing strings::

    PlatformError
     ├── RateLimited    the platform said "not now"; retry after ``retry_after`` seconds
     ├── Transient      nothing was created (connection refused, 503 before processing); retry
     ├── Permanent      the platform refused this content or account; retrying will not help
     ├── AuthExpired    the credentials need a person to reconnect the account; hold, do not fail
     └── Unknown        the request may or may not have created the post; look it up before
                        anything is sent again (never retried blindly)
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import httpx
from pydantic import BaseModel, ConfigDict


class PlatformError(Exception):
    """Base of every error an adapter raises; ``message`` is safe to store and show."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class RateLimited(PlatformError):
    """The platform throttled us; ``retry_after`` is how long it asked us to wait."""

    def __init__(self, message: str, *, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Transient(PlatformError):
    """A failure known to have created nothing; safe to retry with backoff."""


class Permanent(PlatformError):
    """The platform refused the post for good (bad content, missing permission)."""


class AuthExpired(PlatformError):
    """The account's credentials no longer work; a person must reconnect it."""


class Unknown(PlatformError):
    """The outcome is unknown: the post may exist. Reconcile before sending again."""


class AdapterSettings(BaseModel):
    """Per-account adapter settings; subclasses declare the fields an adapter needs.

    Unknown keys are refused so a typo in an account's settings is a 422, not a silent default.
    Secrets are declared as ``pydantic.SecretStr`` so they never reach a log or an API answer.
    Inputs are left out of ``str(ValidationError)``: a rejected value may still be a real secret
    (one typed into the wrong field, or one too short), and that text ends up in logs.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)


@dataclass(frozen=True, kw_only=True)
class PublishRequest:
    """One delivery, rendered and approved, ready to go out."""

    idempotency_key: str
    text: str
    account_handle: str
    media: Sequence[Mapping[str, Any]] = ()
    metadata: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class PublishResult:
    """What the platform answered: its id for the post and a link a person can open."""

    external_id: str
    url: str | None = None


class Adapter(ABC):
    """One platform. Built per account from validated settings; holds no database state."""

    name: ClassVar[str]
    settings_model: ClassVar[type[AdapterSettings]] = AdapterSettings
    #: True when a repeated publish with the same idempotency key cannot create a second post.
    idempotent: ClassVar[bool] = False

    def __init__(self, settings: AdapterSettings, *, client: httpx.Client | None = None) -> None:
        self.settings = settings
        self._client = client

    @classmethod
    def parse_settings(cls, raw: Mapping[str, Any]) -> AdapterSettings:
        """Validate an account's raw settings; raises ``pydantic.ValidationError``."""
        return cls.settings_model.model_validate(dict(raw))

    def validate(self, text: str) -> list[str]:
        """Return the problems that would make the platform refuse ``text`` (empty: fine)."""
        problems = []
        if not text.strip():
            problems.append("text is empty")
        return problems

    @abstractmethod
    def publish(self, request: PublishRequest) -> PublishResult:
        """Create the post, or raise a ``PlatformError`` subclass describing why not."""

    def close(self) -> None:  # noqa: B027 - optional hook; most adapters hold nothing
        """Release what the adapter holds (an HTTP client it created itself)."""
