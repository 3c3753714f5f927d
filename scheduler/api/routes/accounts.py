"""Platform accounts, and the platforms and templates they can use."""

from __future__ import annotations

from fastapi import APIRouter, status

from platforms.adapters.registry import platform_names
from scheduler.accounts import connections as service
from scheduler.accounts.schemas import AccountCreate, AccountPublic, AccountReconnect
from scheduler.api.access import ActorDep
from scheduler.api.deps import SessionDep
from scheduler.content.context import get_renderer
from scheduler.core.models import Account
from scheduler.core.schemas import Id

router = APIRouter(tags=["accounts"])


def _public(account: Account) -> AccountPublic:
    return AccountPublic(
        id=account.id or 0,
        platform=account.platform,
        handle=account.handle,
        settings=service.public_settings(account),
        needs_reconnect=account.needs_reconnect,
        audience_timezone=account.audience_timezone,
        quiet_start=account.quiet_start,
        quiet_end=account.quiet_end,
    )


@router.post("/accounts", status_code=status.HTTP_201_CREATED)
def create_account(data: AccountCreate, session: SessionDep, actor: ActorDep) -> AccountPublic:
    account = service.create_account(session=session, data=data, actor=actor)
    session.commit()
    return _public(account)


@router.get("/accounts")
def list_accounts(session: SessionDep) -> list[AccountPublic]:
    return [_public(a) for a in service.list_accounts(session=session)]


@router.put("/accounts/{account_id}/credentials")
def reconnect_account(
    account_id: Id, data: AccountReconnect, session: SessionDep, actor: ActorDep
) -> AccountPublic:
    """New credentials (after re-authorising); releases the posts held for this account."""
    account, _released = service.reconnect_account(
        session=session, account_id=account_id, data=data, actor=actor
    )
    session.commit()
    return _public(account)


@router.get("/platforms")
def list_platforms() -> list[str]:
    """Adapters installed, including third-party plugins."""
    return platform_names()


@router.get("/templates")
def list_templates() -> list[dict[str, object]]:
    """The post templates, with their content pillar and the variables they take."""
    renderer = get_renderer()
    return [vars(renderer.describe(name)) for name in renderer.template_names()]
