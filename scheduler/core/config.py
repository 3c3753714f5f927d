"""Callsheet's settings: one class, read from ``CALLSHEET_*`` variables (and a ``.env`` file).

Nothing else in Callsheet reads ``os.environ``. The defaults are the embedded setup that
``make demo`` and ``callsheet up`` use: a SQLite file for the data, a second SQLite file as
Celery's broker (kombu's SQLAlchemy transport), no Redis and no PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urlsplit

import platformdirs
from limits import parse_many
from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from scheduler.core.vault import DEVELOPMENT_KEY, Vault, vault_for

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def _default_templates_dir() -> Path:
    """The repository's templates/, or the copy a wheel installs beside the packages."""
    source = PROJECT_ROOT / "templates"
    if source.is_dir():
        return source
    return PROJECT_ROOT / "callsheet_templates"


def data_dir() -> Path:
    """Where the embedded default keeps its files: the per-user data folder
    (``~/.local/share/callsheet`` on Linux, ``XDG_DATA_HOME`` respected), never the folder a
    command happens to run in, where each would make a database of its own."""
    return Path(platformdirs.user_data_dir("callsheet", appauthor=False))


class Settings(BaseSettings):
    """Every knob Callsheet has; ``CALLSHEET_<FIELD>`` sets one."""

    model_config = SettingsConfigDict(
        env_prefix="CALLSHEET_",
        env_file=".env",
        extra="ignore",
        frozen=True,
        # A refused value is never repeated: some hold secrets (CALLSHEET_SMTP_URL's password).
        hide_input_in_errors=True,
    )

    #: ``production`` refuses the development key, sends only over https and only to public
    #: addresses; ``development`` (the default) and ``test`` allow the local sandbox.
    environment: Literal["development", "test", "production"] = "development"
    #: Fernet keys that encrypt account secrets, comma-separated; the first one encrypts.
    secret_keys: SecretStr = SecretStr(DEVELOPMENT_KEY)

    #: The database (SQLAlchemy URL). Unset: the embedded SQLite file in the per-user data
    #: folder (``data_dir``), the same whichever folder a command runs in.
    database_url: str = Field(default_factory=lambda: f"sqlite:///{data_dir() / 'callsheet.db'}")
    #: Celery's broker: ``redis://…`` in production; unset, a SQLite file beside the embedded
    #: database (kombu's SQLAlchemy transport: no server to run).
    broker_url: str = Field(
        default_factory=lambda: f"sqla+sqlite:///{data_dir() / 'callsheet-broker.db'}"
    )
    #: The Celery queue publish tasks go to; tests give each run its own.
    queue_name: str = "callsheet"

    #: Where the post templates are (Jinja2 files; ``templates/`` of the installation).
    templates_dir: Path = Field(default_factory=_default_templates_dir)

    #: Seconds between scheduler ticks (each tick claims what is due).
    tick_seconds: float = Field(default=1.0, gt=0)
    #: Most deliveries one claim statement takes; one Celery message carries a batch.
    claim_batch: int = Field(default=200, gt=0, le=5000)
    #: Deliveries per Celery message.
    message_batch: int = Field(default=50, gt=0, le=1000)
    #: Real seconds a claim may wait for a worker before the reaper takes it back.
    lease_seconds: float = Field(default=300.0, gt=0)
    #: Seconds between reaper runs.
    reap_seconds: float = Field(default=15.0, gt=0)
    #: Seconds after an answer was lost before the platform is asked whether the post exists.
    lookup_delay_seconds: float = Field(default=30.0, ge=0)
    #: Attempts before a transient failure becomes ``failed``.
    max_attempts: int = Field(default=5, ge=1, le=50)
    #: First retry delay (seconds); it doubles per attempt up to ``retry_max_seconds``.
    retry_base_seconds: float = Field(default=30.0, gt=0)
    #: The longest a retry waits, however many attempts came before (seconds).
    retry_max_seconds: float = Field(default=3600.0, gt=0)

    #: Seconds between runs of the scheduler's ``notify`` job (outgoing webhooks).
    notify_seconds: float = Field(default=5.0, gt=0)
    #: A notification's first retry delay (real seconds); it doubles per attempt up to
    #: ``notify_retry_max_seconds``.
    notify_retry_base_seconds: float = Field(default=10.0, gt=0)
    #: The longest a notification's retry waits (real seconds).
    notify_retry_max_seconds: float = Field(default=3600.0, gt=0)
    #: Attempts before a notification is given up as ``failed``.
    notify_max_attempts: int = Field(default=8, ge=1, le=50)
    #: Seconds a receiver has to answer one notification.
    notify_timeout_seconds: float = Field(default=10.0, gt=0, le=60)
    #: Notifications one run of the job sends at most.
    notify_batch: int = Field(default=20, gt=0, le=500)

    #: Per platform, publishing limits that replace the documented ones
    #: (``platforms.adapters.rates``) for every account of it, in the ``limits`` notation:
    #: ``{"discord": "5/2 seconds; 30/minute"}``, or ``"none"`` for no pacing.
    publish_limits: dict[str, str] = Field(default_factory=dict)

    #: How a worker runs publishes side by side: ``threads`` (they mostly wait on platforms),
    #: ``prefork`` (processes) or ``solo`` (one at a time).
    worker_pool: Literal["threads", "prefork", "solo"] = "threads"
    #: Publishes one worker runs at once.
    worker_concurrency: int = Field(default=8, ge=1, le=256)
    #: Seconds between a worker's heartbeats (a row of ``workerheartbeat``, which ``callsheet
    #: status`` and the metrics read): one missing three in a row is shown as silent.
    worker_heartbeat_seconds: float = Field(default=15.0, gt=0, le=3600)

    #: Where uploaded images and videos are kept, each under its sha256 (``scheduler.media``).
    #: Left unset: a ``media`` folder beside the SQLite database, or in the per-user data folder.
    #: Every API process and worker must see the same folder.
    media_dir: Path | None = None
    #: The largest upload in bytes (a video): past it an upload is refused (413) and nothing of
    #: it is kept. No platform but TikTok and YouTube takes a video over 512 MiB.
    media_max_bytes: int = Field(default=512 * 2**20, gt=0)
    #: The largest image upload in bytes; no platform takes an image over 16 MiB.
    media_max_image_bytes: int = Field(default=32 * 2**20, gt=0)

    #: Days a talent's sign-off link stays usable (``scheduler.review.links``).
    talent_link_days: float = Field(default=7.0, gt=0, le=90)

    #: Where people reach Callsheet from outside: the start of every link they are given (a
    #: talent's sign-off link is ``<public_url>/app/signoff/<token>``, a calendar subscription
    #: ``<public_url>/calendar/<token>.ics``); scheme, host and any path prefix.
    public_url: str = "http://127.0.0.1:8000"
    #: The mail server talent's sign-off links are sent through (``scheduler.notify.mail``):
    #: ``smtp://user:password@host:port`` (in clear: a relay on a trusted network; production
    #: refuses a password over it), ``smtp+starttls://`` (STARTTLS required) or ``smtps://``
    #: (TLS from the start). Unset, emailed links are "not sent" with that reason; talent who
    #: gave a hook still get theirs. A secret: never logged, never answered.
    smtp_url: SecretStr | None = None
    #: The sender of those emails.
    mail_from: str = "Callsheet <callsheet@localhost>"
    #: Seconds the mail server has to answer each step of sending one email.
    smtp_timeout_seconds: float = Field(default=10.0, gt=0, le=120)

    #: Whether hooks, webhook accounts, adapters and media links may reach loopback, private,
    #: link-local or reserved addresses (``platforms.adapters.egress``). Left unset, it is on in
    #: development and tests (the sandbox runs on 127.0.0.1) and off in production.
    allow_private_targets: bool = True

    #: How every process logs: ``text`` for a terminal, ``json`` (one object per line, with
    #: the delivery, post, account and production ids of each state change) for a pipeline.
    log_format: Literal["text", "json"] = "text"

    #: The address the API listens on (``0.0.0.0``: every interface).
    api_host: str = "127.0.0.1"
    #: The port the API listens on.
    api_port: int = Field(default=8000, ge=1, le=65535)
    #: API processes (uvicorn workers): one Python process runs one request's Python at a time
    #: (the GIL), so a machine with more cores serves more with more processes.
    api_workers: int = Field(default=1, ge=1, le=64)
    #: Requests one API process works on at once (its thread pool). Its database pool holds as
    #: many connections and a few more (``scheduler.core.db``), so a request never waits for
    #: one; PostgreSQL sees up to ``api_workers`` times that many from the API.
    api_threads: int = Field(default=20, ge=1, le=200)

    #: The port the scheduler and each worker serve their Prometheus metrics on (the API
    #: serves them at ``/metrics``); unset, they serve none.
    metrics_port: int | None = Field(default=None, ge=1, le=65535)
    #: When set, the API's ``/metrics`` answers only ``Authorization: Bearer <metrics_token>``
    #: (what Prometheus's ``authorization`` scrape setting sends); unset, it is open.
    metrics_token: SecretStr | None = None

    #: The schedule's clock: when set, schedule time started at ``clock_epoch`` at the real
    #: instant ``clock_origin`` and runs ``clock_rate`` times faster. The demo uses it to make
    #: days pass in seconds; production leaves it unset (schedule time is real time).
    clock_epoch: datetime | None = None
    #: The real instant schedule time was ``clock_epoch`` (with ``clock_epoch``; the demo).
    clock_origin: datetime | None = None
    #: How many times faster than real time schedule time runs (with ``clock_epoch``).
    clock_rate: float = Field(default=1.0, gt=0)

    @field_validator("publish_limits")
    @classmethod
    def _rates_read(cls, limits: dict[str, str]) -> dict[str, str]:
        for platform, rate in limits.items():
            if rate.strip().lower() == "none":
                continue
            try:
                parse_many(rate)
            except ValueError:
                raise ValueError(
                    f"{platform}: {rate!r} is not a rate such as '50/day' or "
                    "'5/2 seconds; 30/minute' (or 'none')"
                ) from None
        return limits

    @field_validator("smtp_url")
    @classmethod
    def _smtp_url_reads(cls, url: SecretStr | None) -> SecretStr | None:
        if url is not None:
            read_smtp_url(url.get_secret_value())
        return url

    def mail_server(self) -> MailServer | None:
        """Where emails go (``CALLSHEET_SMTP_URL``), read; ``None`` when none is set."""
        if self.smtp_url is None:
            return None
        return read_smtp_url(self.smtp_url.get_secret_value())

    @model_validator(mode="after")
    def _no_password_in_clear_in_production(self) -> Settings:
        server = self.mail_server()
        if self.environment == "production" and server and server.password and server.plain:
            raise ValueError(
                "CALLSHEET_SMTP_URL would send its password in clear: use smtp+starttls:// or "
                "smtps:// in production"
            )
        return self

    @property
    def embedded(self) -> bool:
        """Whether the database is the embedded default (no ``CALLSHEET_DATABASE_URL`` given)."""
        return "database_url" not in self.model_fields_set

    def make_embedded_folder(self) -> None:
        """Make the per-user data folder when the embedded default uses it (SQLite makes the
        file, not its folder)."""
        if self.embedded or "broker_url" not in self.model_fields_set:
            data_dir().mkdir(parents=True, exist_ok=True)

    @model_validator(mode="after")
    def _private_targets_by_environment(self) -> Settings:
        """Production sends only to public addresses unless told otherwise, explicitly."""
        if (
            self.environment == "production"
            and "allow_private_targets" not in self.model_fields_set
        ):
            object.__setattr__(self, "allow_private_targets", False)
        return self

    @property
    def media_root(self) -> Path:
        """The media store's folder: ``media_dir``, else beside the SQLite file, else in the
        per-user data folder (``data_dir``)."""
        if self.media_dir is not None:
            return self.media_dir
        if self.database_url.startswith("sqlite:///") and ":memory:" not in self.database_url:
            return Path(self.database_url.removeprefix("sqlite:///")).parent / "media"
        return data_dir() / "media"

    @property
    def require_https(self) -> bool:
        """Production sends only over https: a hook's signature and a post travel in clear
        over plain http."""
        return self.environment == "production"

    def vault(self) -> Vault:
        """The vault for account secrets under the configured keys."""
        return vault_for(self.secret_keys.get_secret_value())

    def development_key_warning(self) -> str | None:
        """What to say when the public development key seals the secrets (``None`` otherwise).

        Production refuses that key (``refuse_unsafe``); elsewhere it is allowed, so that a
        first run needs no set-up, but never silently: anyone can open what it seals.
        """
        if DEVELOPMENT_KEY not in self.secret_keys.get_secret_value():
            return None
        return (
            "Account secrets are sealed with the public development key, which anyone can read "
            "in Callsheet's source: connect no real account until CALLSHEET_SECRET_KEYS holds a "
            "key of your own"
        )

    def refuse_unsafe(self) -> None:
        """Refuse to run in production with the public development key (raises ``ValueError``)."""
        keys = self.secret_keys.get_secret_value()
        if self.environment == "production" and DEVELOPMENT_KEY in keys:
            raise ValueError(
                "CALLSHEET_SECRET_KEYS holds the development key; set a key of your own before "
                "running with CALLSHEET_ENVIRONMENT=production"
            )
        self.vault()  # a malformed key list fails here, at start, not at the first publish


#: ``CALLSHEET_SMTP_URL`` schemes → how the connection is secured.
SMTP_SCHEMES = {"smtp": "plain", "smtp+starttls": "starttls", "smtps": "tls"}


@dataclass(frozen=True)
class MailServer:
    """A mail server to send through, read from ``CALLSHEET_SMTP_URL``.

    ``security``: ``plain`` sends in clear, ``starttls`` upgrades with STARTTLS (required),
    ``tls`` speaks TLS from the first byte (port 465). The password is left out of
    ``repr``, so a traceback or a debug print never shows it.
    """

    host: str
    port: int
    security: Literal["plain", "starttls", "tls"]
    user: str | None = None
    password: str | None = field(default=None, repr=False)

    @property
    def plain(self) -> bool:
        return self.security == "plain"


def read_smtp_url(url: str) -> MailServer:
    """``CALLSHEET_SMTP_URL`` read; a ``ValueError`` that never repeats the URL (it holds a
    password) when it cannot be."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise ValueError("CALLSHEET_SMTP_URL is not a URL") from None
    security = SMTP_SCHEMES.get(parts.scheme)
    if security is None or not parts.hostname:
        schemes = ", ".join(f"{s}://" for s in SMTP_SCHEMES)
        raise ValueError(f"CALLSHEET_SMTP_URL must be {schemes} with a host")
    default_port = 465 if security == "tls" else 25
    return MailServer(
        host=parts.hostname,
        port=port or default_port,
        security=security,  # type: ignore[arg-type]
        user=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


#: Broker schemes the ``limits`` library can count on directly (the broker's own Redis).
REDIS_SCHEMES = ("redis://", "rediss://")


def limits_storage(broker_url: str) -> str:
    """Where counts shared by every process live (publish limits, sign-in attempts): the
    broker's Redis, else this process's memory (the embedded default runs one of each)."""
    if broker_url.startswith(REDIS_SCHEMES):
        return broker_url
    return "memory://"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read once (the embedded default's folder made if needed)."""
    settings = Settings()
    settings.make_embedded_folder()
    return settings
