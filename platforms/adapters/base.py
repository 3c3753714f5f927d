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

import dataclasses
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar, Generic, Literal, Protocol, cast

import httpx
from pydantic import AfterValidator, BaseModel, ConfigDict, SecretStr, ValidationError
from typing_extensions import TypeVar

from platforms.media.held import HeldFile
from platforms.text import RULES, TextCheck, TextRules, check, limits
from platforms.text.measures import characters


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


def _http_url(value: str) -> str:
    """An http(s) URL with a host, without a trailing slash (API paths are joined to it).

    Checked when an account is saved, not at the first publish weeks later.
    """
    try:
        url = httpx.URL(value)
    except httpx.InvalidURL as exc:
        raise ValueError(f"is not a valid URL ({exc})") from None
    if url.scheme not in ("http", "https") or not url.host:
        raise ValueError("must be an http:// or https:// URL with a host")
    return value.rstrip("/")


def aware(when: datetime) -> datetime:
    """A time without a zone is taken as UTC, so comparisons never mix naive and aware."""
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when


#: A settings field holding an API's address (``base_url``): http(s), no trailing slash.
HttpURL = Annotated[str, AfterValidator(_http_url)]
#: A settings field holding an instant (``token_expires_at``), always aware.
UTCTime = Annotated[datetime, AfterValidator(aware)]


class AdapterSettings(BaseModel):
    """Per-account adapter settings; subclasses declare the fields an adapter needs.

    Unknown keys are refused so a typo in an account's settings is a 422, not a silent default.
    Secrets are declared as ``pydantic.SecretStr`` so they never reach a log or an API answer.
    Inputs are left out of ``str(ValidationError)``: a rejected value may still be a real secret
    (one typed into the wrong field, or one too short), and that text ends up in logs.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)

    def outbound_urls(self) -> dict[str, str]:
        """The addresses this account makes Callsheet send to, by field: every field named
        ``url`` or ``…_url`` (secret ones revealed), for the egress policy to check when the
        account is saved. A plugin's other fields are still checked where they connect."""
        found: dict[str, str] = {}
        for name, value in self:
            if name == "url" or name.endswith("_url"):
                plain = value.get_secret_value() if isinstance(value, SecretStr) else value
                if isinstance(plain, str):
                    found[name] = plain
        return found


@dataclass(frozen=True, kw_only=True)
class Media:
    """One image or video of a post: where to fetch it, and words for those who cannot see it.

    ``url`` is a public link, or for a file Callsheet holds (``held``, an upload) the name it
    has in Callsheet (``media:<id>``), which no client fetches: its bytes come from ``held``.
    """

    url: str
    kind: Literal["image", "video"] = "image"
    alt: str | None = None
    held: HeldFile | None = None

    def as_json(self) -> dict[str, Any]:
        """The medium as an approval binds it: a held file by its digest too."""
        shown: dict[str, Any] = {"url": self.url, "kind": self.kind, "alt": self.alt}
        if self.held is not None:
            shown.update(media_id=self.held.media_id, sha256=self.held.sha256)
        return shown


class Progress(Protocol):
    """What earlier attempts of this delivery got done on the platform, kept across attempts.

    Two-step flows (a container made, then published) and threads (parts 1 and 2 out, part 3
    not) record each step as it succeeds, so a retry resumes instead of starting over and
    posting twice. ``save`` writes through to the delivery before it returns.
    """

    @property
    def state(self) -> Mapping[str, Any]: ...

    def save(self, **changes: Any) -> None: ...


class NoProgress:
    """Progress for a one-off publish (previews, contract tests): kept in memory only."""

    def __init__(self, state: Mapping[str, Any] | None = None) -> None:
        self._state: dict[str, Any] = dict(state or {})

    @property
    def state(self) -> Mapping[str, Any]:
        return self._state

    def save(self, **changes: Any) -> None:
        self._state.update(changes)


@dataclass(frozen=True, kw_only=True)
class PublishRequest:
    """One delivery, rendered and approved, ready to go out.

    ``keyed_at`` is a time of the delivery's that never changes (the worker gives its post's
    creation time), the same on every attempt:
    platform keys that carry a time (Bluesky's record keys) are made from it and the
    ``idempotency_key``, never from the clock of an attempt, so any attempt, even one whose
    saved progress was lost, names the same record and the platform refuses the repeat.
    Without it (a preview, a one-off publish) the attempt's clock is used.
    """

    idempotency_key: str
    text: str
    account_handle: str
    media: Sequence[Media] = ()
    metadata: Mapping[str, Any] = field(default_factory=dict)
    progress: Progress = field(default_factory=NoProgress)
    keyed_at: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class PublishResult:
    """What the platform answered: its id for the post and a link a person can open."""

    external_id: str
    url: str | None = None


class TokenKeeper(Protocol):
    """Where an account's credentials are kept for every worker, and its refresh lock.

    Platforms that rotate refresh tokens (X, TikTok, Bluesky's refresh JWT) spend the old one
    when it is used: two workers refreshing one account at once would have the second refused
    and the account taken for revoked. ``refreshing`` takes the account's lock (waiting for a
    refresh under way elsewhere) and yields the credentials stored now, read after the wait;
    ``save`` stores new ones before the lock is let go. Injected by whoever builds the adapter
    (the worker), so adapters stay free of databases and brokers.
    """

    def refreshing(self) -> AbstractContextManager[Mapping[str, Any]]: ...

    def save(self, changes: Mapping[str, Any]) -> None: ...


SettingsT = TypeVar("SettingsT", bound=AdapterSettings, default=AdapterSettings)


class Adapter(ABC, Generic[SettingsT]):
    """One platform. Built per account from validated settings; holds no database state.

    ``Adapter[XSettings]`` types ``self.settings`` for the platform's code; the constructor
    checks the settings are the ``settings_model`` the adapter declares, once for all.

    Credentials change under an adapter's feet: an OAuth access token is refreshed, a session
    is opened. The adapter adopts the new values at once (``remember``). Each refresh runs
    through ``renew_credentials``: under the account's lock when the publish flow gave the
    adapter a ``TokenKeeper``, which stores the new values before another worker may refresh,
    so the next one adopts them instead of spending a refresh (or a rate-limited login) of
    its own. Without one, the caller stores what ``take_changes`` hands it.
    """

    name: ClassVar[str]
    settings_model: ClassVar[type[AdapterSettings]] = AdapterSettings
    #: True when a repeated publish with the same idempotency key cannot create a second post.
    idempotent: ClassVar[bool] = False
    #: True when ``lookup`` can say for sure whether a delivery is already on the platform.
    can_lookup: ClassVar[bool] = False
    #: The platform as people call it ("Facebook"), for messages and forms; a plugin that
    #: leaves it empty is shown by its entry-point name.
    label: ClassVar[str] = ""

    def __init__(self, settings: AdapterSettings, *, client: httpx.Client | None = None) -> None:
        if not isinstance(settings, self.settings_model):
            raise TypeError(
                f"{type(self).__name__} needs {self.settings_model.__name__}, "
                f"not {type(settings).__name__}"
            )
        self.settings: SettingsT = cast(SettingsT, settings)
        self._client = client
        self._changes: dict[str, Any] = {}
        self._keeper: TokenKeeper | None = None

    @classmethod
    def parse_settings(cls, raw: Mapping[str, Any]) -> AdapterSettings:
        """Validate an account's raw settings; raises ``pydantic.ValidationError``."""
        return cls.settings_model.model_validate(dict(raw))

    def validate(self, text: str) -> list[str]:
        """The problems that would make the platform refuse ``text`` (empty: fine).

        The text alone: ``check`` judges a post's media too. Platforms with rules get theirs;
        a plugin without rules may override this, and ``check`` adds what it says.
        """
        if self._has_rules():
            return check(self.rules_for_account(), text).text_problems
        return [] if text.strip() else ["text is empty"]

    def _has_rules(self) -> bool:
        return self.name in RULES or isinstance(getattr(type(self), "rules", None), TextRules)

    def rules_for_account(self) -> TextRules:
        """The rules this account's posts are held to: the adapter's own ``rules`` attribute,
        else the built-in rules for its platform name. An adapter whose accounts differ (a
        setting that lowers a limit) overrides this, and the API at submit time and previews,
        which both ask ``check``, follow."""
        declared = getattr(type(self), "rules", None)
        if isinstance(declared, TextRules):
            return declared
        return RULES.get(self.name) or _house_rules(self.name)

    def check(self, text: str, media: Sequence[Media] = ()) -> TextCheck:
        """The whole verdict on a post for this account, text and media, as the API gives it at
        submit time and previews show it (``platforms.text.check`` with ``rules_for_account``).

        A platform with no rules of its own (a plugin that only overrides ``validate``) is held
        to house rules, and what its ``validate`` says is added to the text's problems, so such
        a plugin keeps refusing what it refused before.
        """
        verdict = check(self.rules_for_account(), text, media)
        if self._has_rules():
            return verdict
        extra = [p for p in self.validate(text) if p not in verdict.problems]
        if not extra:
            return verdict
        text_problems = verdict.text_problems + extra
        return dataclasses.replace(
            verdict, problems=text_problems + verdict.media_problems, valid=False
        )

    @abstractmethod
    def publish(self, request: PublishRequest) -> PublishResult:
        """Create the post, or raise a ``PlatformError`` subclass describing why not."""

    def lookup(self, request: PublishRequest) -> PublishResult | None:
        """The post if this delivery is already on the platform, ``None`` if it certainly is not.

        Called before a delivery whose last attempt ended ``Unknown`` is sent again. Adapters
        that can tell set ``can_lookup`` and override this (by idempotency key, record key, or
        the account's recent posts); raise a ``PlatformError`` when the platform cannot answer.
        """
        raise NotImplementedError(f"{self.name} cannot look up posts")

    def prepare(self, now: datetime) -> None:
        """Get credentials ready before publishing (refresh a token that expires soon)."""

    def secret_values(self) -> list[str]:
        """Every credential in the settings now (refreshed ones included): what error messages
        must never show, handed to ``PlatformHTTP`` to scrub."""
        values = self.settings.model_dump().values()
        return [value.get_secret_value() for value in values if isinstance(value, SecretStr)]

    def remember(self, **fields: Any) -> None:
        """Adopt changed credential fields now, and have them stored for the next publish."""
        self.settings = self.settings.model_copy(update=fields)
        self._changes.update(fields)

    def keep_credentials_with(self, keeper: TokenKeeper) -> None:
        """Renew credentials under ``keeper``'s lock from now on (see ``renew_credentials``)."""
        self._keeper = keeper

    def renew_credentials(self, renew: Callable[[], None]) -> None:
        """Run ``renew`` (a refresh that ``remember``s what it got) as the account's only one.

        Every refresh path goes through here. With a keeper, the account's lock is taken first
        and the stored credentials are compared with ours: if another worker renewed them
        meanwhile, theirs are adopted and ``renew`` is not run (running it would spend a
        refresh token that is already spent); otherwise ``renew`` runs and what it changed is
        stored before the lock is let go. Without a keeper (a preview, a test), it just runs.
        """
        if self._keeper is None:
            renew()
            return
        with self._keeper.refreshing() as stored:
            try:
                latest = self.parse_settings(stored)
            except ValidationError:
                raise AuthExpired("the account's stored settings are no longer usable") from None
            if _secrets(latest) != _secrets(self.settings):
                self.settings = cast(SettingsT, latest)
                return
            renew()
            changes = self.take_changes()
            if changes:
                self._keeper.save(changes)

    def take_changes(self) -> dict[str, Any]:
        """The settings fields changed since last asked (for the publish flow to store)."""
        changes, self._changes = self._changes, {}
        return changes

    def close(self) -> None:
        """Release what the adapter holds (an HTTP client it created itself)."""


def _secrets(settings: AdapterSettings) -> dict[str, str]:
    """The credentials in ``settings``: its secret fields, revealed (for comparing only)."""
    return {
        name: value.get_secret_value() for name, value in settings if isinstance(value, SecretStr)
    }


def _house_rules(platform: str) -> TextRules:
    """Rules for a platform nobody described: any length we would send at all, any media."""
    return TextRules(
        platform=platform,
        limit=limits.HOUSE_MAX_CHARACTERS,
        unit="characters",
        measure=characters,
        needs_text=False,
    )
