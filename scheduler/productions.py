"""Productions, their milestones, and the platform accounts posts go out on."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import SecretStr, ValidationError
from sqlmodel import Session, col, select

from scheduler.audit import save_recorded
from scheduler.errors import Conflict, Invalid, NotFound
from scheduler.models import Account, Milestone, Production
from scheduler.schemas import AccountCreate, MilestoneCreate, ProductionCreate
from scheduler.timeline import zone
from workers.adapters.registry import UnknownPlatform, adapter_class


def create_production(*, session: Session, data: ProductionCreate, actor: str) -> Production:
    """Create a production; its timezone must be a real IANA zone."""
    zone(data.timezone)
    production = Production(
        title=data.title,
        kind=data.kind.value,
        timezone=data.timezone,
        past_due_policy=data.past_due_policy.value,
        keep_approvals_on_reflow=data.keep_approvals_on_reflow,
    )
    save_recorded(
        session,
        production,
        actor=actor,
        action="production.created",
        after=data.model_dump(mode="json"),
    )
    return production


def get_production(*, session: Session, production_id: int) -> Production:
    production = session.get(Production, production_id)
    if production is None:
        raise NotFound("production", production_id)
    return production


def list_productions(*, session: Session) -> list[Production]:
    return list(session.exec(select(Production).order_by(col(Production.id))))


def add_milestone(
    *, session: Session, production_id: int, data: MilestoneCreate, actor: str
) -> Milestone:
    """Add a milestone; ``at`` must carry a timezone and the name be unique in the production."""
    get_production(session=session, production_id=production_id)
    if data.at.tzinfo is None:
        raise Invalid("at", "give a timezone offset (e.g. 2027-03-01T19:00:00+00:00)")
    taken = session.exec(
        select(Milestone).where(
            Milestone.production_id == production_id, Milestone.name == data.name
        )
    ).first()
    if taken is not None:
        raise Conflict(f"name: the production already has a milestone called '{data.name}'")
    milestone = Milestone(
        production_id=production_id,
        kind=data.kind.value,
        name=data.name,
        at=data.at,
        tentative=data.tentative,
    )
    save_recorded(
        session,
        milestone,
        actor=actor,
        action="milestone.created",
        after=data.model_dump(mode="json"),
    )
    return milestone


def list_milestones(*, session: Session, production_id: int) -> list[Milestone]:
    get_production(session=session, production_id=production_id)
    query = select(Milestone).where(Milestone.production_id == production_id)
    return list(session.exec(query.order_by(col(Milestone.at))))


def create_account(*, session: Session, data: AccountCreate, actor: str) -> Account:
    """Register an account; its settings are validated by its platform's adapter."""
    try:
        adapter = adapter_class(data.platform)
    except UnknownPlatform as exc:
        raise Invalid("platform", str(exc)) from None
    try:
        adapter.parse_settings(data.settings)
    except ValidationError as exc:
        raise _settings_problem(exc, adapter.settings_model.model_fields) from None
    taken = session.exec(
        select(Account).where(Account.platform == data.platform, Account.handle == data.handle)
    ).first()
    if taken is not None:
        raise Conflict(f"handle: {data.platform} account {data.handle} exists already")
    if (data.quiet_start is None) != (data.quiet_end is None):
        raise Invalid(
            "quiet_end" if data.quiet_end is None else "quiet_start",
            "give both ends of the quiet hours, or neither",
        )
    if data.quiet_start is not None and data.quiet_start == data.quiet_end:
        raise Invalid("quiet_end", "quiet hours must end at another time than they start")
    if data.audience_timezone is not None:
        zone(data.audience_timezone, field="audience_timezone")
    account = Account(
        platform=data.platform,
        handle=data.handle,
        settings=dict(data.settings),
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
        after={"platform": data.platform, "handle": data.handle},
    )
    return account


def _settings_problem(exc: ValidationError, known: Mapping[str, object]) -> Invalid:
    """The most useful of an adapter's complaints: a misspelt key before a missing one."""
    errors = sorted(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")
    first = errors[0]
    where = ".".join(str(part) for part in first["loc"])
    message = first["msg"]
    if first["type"] == "extra_forbidden":
        message = f"not a setting of this platform; it takes: {', '.join(known)}"
    return Invalid(f"settings.{where}" if where else "settings", message)


def public_settings(account: Account) -> dict[str, Any]:
    """An account's settings with every secret masked, for showing to people."""
    parsed = adapter_class(account.platform).parse_settings(account.settings)
    shown: dict[str, Any] = {}
    for name in type(parsed).model_fields:
        value = getattr(parsed, name)
        shown[name] = (
            "********"
            if isinstance(value, SecretStr)
            else parsed.model_dump(mode="json", include={name})[name]
        )
    return shown


def list_accounts(*, session: Session) -> list[Account]:
    return list(session.exec(select(Account).order_by(col(Account.id))))
