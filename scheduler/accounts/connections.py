"""Platform accounts: their settings, their secrets (encrypted), and reconnecting them.

An adapter's settings model says which fields are secret (``SecretStr``). Those fields are
sealed into ``Account.secrets`` (``scheduler.core.vault``); the rest stays readable in
``Account.settings``. An adapter is always built from both, and every credential it changes
while publishing (a refreshed token, a new session) is sealed back, so the next worker starts
from the fresh one.

An account whose credentials stop working (``AuthExpired``) is marked ``needs_reconnect``: its
deliveries are held (not failed), the reason is shown on the account, and an AuditEvent says
so. Reconnecting merges the new settings into the old, keeping a working refresh token the
new ones leave out (re-authorising through some platforms' consent screens returns none), and
releases exactly those holds.
"""

from __future__ import annotations

import types
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Union, get_args, get_origin
from urllib.parse import urlsplit, urlunsplit

import httpx
from pydantic import SecretStr, ValidationError
from pydantic.fields import FieldInfo
from sqlalchemy import Connection, select, update
from sqlmodel import Session, col
from sqlmodel import select as select_models

from platforms.adapters.base import Adapter, AdapterSettings
from platforms.adapters.egress import check_url, egress_client
from platforms.adapters.registry import UnknownPlatform, adapter_class
from scheduler.accounts.productions import connect, known_productions
from scheduler.accounts.schemas import AccountCreate, AccountReconnect
from scheduler.core.config import Settings, get_settings
from scheduler.core.errors import Conflict, Invalid, NotFound
from scheduler.core.models import Account, Delivery, DeliveryStatus, HoldReason, utcnow
from scheduler.events.record import record_event, save_recorded
from scheduler.planning.timeline import zone

MASK = "********"
#: Reconnecting without these keeps the stored ones: losing a refresh token means a person has
#: to walk through the platform's consent screen again.
KEPT_ON_RECONNECT = ("refresh_token",)

_ACCOUNT = Account.__table__  # type: ignore[attr-defined]


def create_account(*, session: Session, data: AccountCreate, actor: str) -> Account:
    """Register an account for the productions it serves (``data.production_ids``; none: a
    site admin's account); its settings are validated by its platform's adapter."""
    adapter = platform_adapter(data.platform)
    production_ids = known_productions(session, data.production_ids, field="production_ids")
    parsed = checked_settings(adapter, data.settings)
    taken = session.exec(
        select_models(Account).where(
            Account.platform == data.platform, Account.handle == data.handle
        )
    ).first()
    if taken is not None:
        removed = f" (account {taken.id}, removed)" if taken.removed_at else ""
        raise Conflict(f"handle: {data.platform} account {data.handle} exists already{removed}")
    if (data.quiet_start is None) != (data.quiet_end is None):
        raise Invalid(
            "quiet_end" if data.quiet_end is None else "quiet_start",
            "give both ends of the quiet hours, or neither",
        )
    if data.quiet_start is not None and data.quiet_start == data.quiet_end:
        raise Invalid("quiet_end", "quiet hours must end at another time than they start")
    if data.audience_timezone is not None:
        zone(data.audience_timezone, field="audience_timezone")
    plain, secret = split_settings(parsed, data.settings)
    account = Account(
        platform=data.platform,
        handle=data.handle,
        settings=plain,
        secrets=get_settings().vault().seal(secret) if secret else None,
        audience_timezone=data.audience_timezone,
        quiet_start=data.quiet_start,
        quiet_end=data.quiet_end,
    )
    # The audit trail never holds an account's settings: they carry secrets.
    save_recorded(
        session,
        account,
        actor=actor,
        action="account.created",
        after={"platform": data.platform, "handle": data.handle, "production_ids": production_ids},
    )
    connect(session, account, production_ids)
    return account


def reconnect_account(
    *, session: Session, account_id: int, data: AccountReconnect, actor: str
) -> tuple[Account, int]:
    """New credentials for an account; returns it and how many held deliveries were released.

    The new settings are merged over the stored ones (a reconnect sends the tokens, not the
    whole configuration), a stored refresh token the new settings leave out is kept, and the
    result is validated as a whole before anything is written.
    """
    account = session.get(Account, account_id, with_for_update=True)
    if account is None or account.removed_at is not None:
        raise NotFound("account", account_id)
    adapter = platform_adapter(account.platform)
    vault = get_settings().vault()
    stored = {**account.settings, **vault.open(account.secrets)}
    merged = {**stored, **{k: v for k, v in data.settings.items() if v is not None}}
    for key in KEPT_ON_RECONNECT:
        if not data.settings.get(key) and stored.get(key):
            merged[key] = stored[key]
    plain, secret = split_settings(checked_settings(adapter, merged), merged)
    account.settings, account.secrets = plain, vault.seal(secret) if secret else None
    was = account.needs_reconnect
    account.needs_reconnect = None
    session.add(account)
    session.flush()
    released = session.connection().execute(
        update(Delivery)
        .where(
            col(Delivery.account_id) == account_id,
            col(Delivery.status) == DeliveryStatus.held,
            col(Delivery.held_for) == HoldReason.account,
        )
        .values(
            status=DeliveryStatus.scheduled,
            held_for=None,
            last_error=None,
            updated_at=utcnow(),
        )
    )
    record_event(
        session.connection(),
        actor=actor,
        action="account.reconnected",
        entity="account",
        entity_id=account_id,
        before={"needs_reconnect": was},
        after={"released": released.rowcount, "fields": sorted(data.settings)},
    )
    return account, released.rowcount


def mark_needs_reconnect(conn: Connection, *, account_id: int, reason: str, actor: str) -> bool:
    """Note that a person must reconnect the account; False if it was noted already."""
    marked = conn.execute(
        update(_ACCOUNT)
        .where(_ACCOUNT.c.id == account_id, _ACCOUNT.c.needs_reconnect.is_(None))
        .values(needs_reconnect=reason[:500])
    )
    if marked.rowcount:
        record_event(
            conn,
            actor=actor,
            action="account.needs_reconnect",
            entity="account",
            entity_id=account_id,
            after={"reason": reason[:500]},
        )
    return bool(marked.rowcount)


def adapter_settings(account: Account, settings: Settings | None = None) -> dict[str, Any]:
    """The account's whole adapter settings: readable ones and decrypted secrets."""
    vault = (settings or get_settings()).vault()
    return {**account.settings, **vault.open(account.secrets)}


def build_account_adapter(
    account: Account, settings: Settings | None = None, *, client: httpx.Client | None = None
) -> Adapter:
    """The adapter for ``account``, built from its settings and decrypted secrets.

    ``client`` is how it reaches the platform: the worker hands one made by ``egress_client``,
    so every request the adapter makes (media links included) is checked where it connects.
    """
    adapter = adapter_class(account.platform)
    return adapter(adapter.parse_settings(adapter_settings(account, settings)), client=client)


def platform_client(settings: Settings) -> httpx.Client:
    """The HTTP client adapters publish through: under the egress policy, every address it
    connects to is checked, so an account saved with a public name that now points inside
    (DNS rebinding), or a media link redirecting there, is refused before a byte is sent."""
    return egress_client(
        allow_private=settings.allow_private_targets, require_https=settings.require_https
    )


def store_credentials(
    conn: Connection, *, account_id: int, changes: Mapping[str, Any], settings: Settings
) -> None:
    """Seal credentials an adapter changed while publishing into the account's secrets."""
    if not changes:
        return
    vault = settings.vault()
    current = conn.execute(
        select(_ACCOUNT.c.secrets).where(_ACCOUNT.c.id == account_id).with_for_update()
    ).scalar_one()
    sealed = vault.seal({**vault.open(current), **{k: _plain(v) for k, v in changes.items()}})
    conn.execute(update(_ACCOUNT).where(_ACCOUNT.c.id == account_id).values(secrets=sealed))


def public_settings(account: Account) -> dict[str, Any]:
    """An account's settings as people may see them.

    A secret is ``********`` when it is set and ``None`` when it is not; a secret that is a URL
    (a webhook's, whose path or query is the credential) shows its scheme and host only,
    ``https://hooks.slack.com/…``, so a person can still tell where it goes. A readable URL (an
    API's ``base_url``) loses its query and fragment, where a plugin might still keep a key.
    """
    model = adapter_class(account.platform).settings_model
    secrets = get_settings().vault().open(account.secrets) if account.secrets else {}
    shown: dict[str, Any] = {}
    for name, field in model.model_fields.items():
        if is_secret(field):
            value = secrets.get(name, account.settings.get(name))
            shown[name] = None if value is None else _masked(name, value)
        elif name in account.settings:
            value = account.settings[name]
            shown[name] = _without_query(value) if _is_url_field(name) else value
    return shown


def _is_url_field(name: str) -> bool:
    """The rule ``AdapterSettings.outbound_urls`` uses: ``url`` or ``…_url``."""
    return name == "url" or name.endswith("_url")


def _masked(name: str, value: Any) -> str:
    if _is_url_field(name) and isinstance(value, str):
        url = urlsplit(value)
        if url.scheme and url.hostname:
            return f"{url.scheme}://{url.hostname}/…"
    return MASK


def _without_query(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    url = urlsplit(value)
    return urlunsplit((url.scheme, url.netloc.rpartition("@")[2], url.path, "", ""))


def split_settings(
    parsed: AdapterSettings, raw: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(readable settings, secret settings) as JSON values, split by the model's field types."""
    plain: dict[str, Any] = {}
    secret: dict[str, Any] = {}
    for name, field in type(parsed).model_fields.items():
        if name not in raw:
            continue  # a default stays a default: it may change with a new Callsheet version
        value = _plain(getattr(parsed, name))
        (secret if is_secret(field) else plain)[name] = value
    return plain, secret


def is_secret(field: FieldInfo) -> bool:
    """Whether a settings field holds a secret: ``SecretStr``, or ``SecretStr | None``."""
    annotation = field.annotation
    if get_origin(annotation) in (Union, types.UnionType):
        return any(arg is SecretStr for arg in get_args(annotation))
    return annotation is SecretStr


def _plain(value: Any) -> Any:
    """A settings value as JSON: secrets revealed (for sealing), times as ISO 8601."""
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if isinstance(value, str | int | float | bool | list | dict) or value is None:
        return value
    return str(value)


def platform_adapter(platform: str) -> type[Adapter]:
    try:
        return adapter_class(platform)
    except UnknownPlatform as exc:
        raise Invalid("platform", str(exc)) from None


def checked_settings(adapter: type[Adapter], raw: Mapping[str, Any]) -> AdapterSettings:
    """The settings as the adapter reads them, every address in them one Callsheet may send to
    (``platforms.adapters.egress``); the worker checks them again where it connects."""
    try:
        parsed = adapter.parse_settings(raw)
    except ValidationError as exc:
        raise _settings_problem(exc, adapter.settings_model.model_fields) from None
    settings = get_settings()
    for name, url in parsed.outbound_urls().items():
        try:
            check_url(
                url,
                allow_private=settings.allow_private_targets,
                require_https=settings.require_https,
            )
        except ValueError as exc:
            raise Invalid(f"settings.{name}", str(exc)) from None
    return parsed


def _settings_problem(exc: ValidationError, known: Mapping[str, object]) -> Invalid:
    """The most useful of an adapter's complaints: a misspelt key before a missing one."""
    errors = sorted(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")
    first = errors[0]
    where = ".".join(str(part) for part in first["loc"])
    message = first["msg"]
    if first["type"] == "extra_forbidden":
        message = f"not a setting of this platform; it takes: {', '.join(known)}"
    return Invalid(f"settings.{where}" if where else "settings", message)
