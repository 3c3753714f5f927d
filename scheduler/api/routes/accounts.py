"""Platform accounts, and the platforms and templates they can use."""

from __future__ import annotations

from fastapi import APIRouter, status

from scheduler.accounts import changes, productions, removal
from scheduler.accounts import connections as service
from scheduler.accounts.schemas import (
    AccountCreate,
    AccountEdit,
    AccountEdited,
    AccountPublic,
    AccountReconnect,
    AccountRemoval,
    CancelledDelivery,
)
from scheduler.content.context import get_renderer
from scheduler.core.models import Account
from scheduler.core.schemas import Id
from scheduler.http.access import Access, AccessDep, ActorDep
from scheduler.http.deps import SessionDep

router = APIRouter(tags=["accounts"])


def _public(account: Account, served: list[int], access: Access) -> AccountPublic:
    """The account as the caller may see it: of its productions, only theirs."""
    visible = access.visible()
    return AccountPublic(
        id=account.id or 0,
        platform=account.platform,
        handle=account.handle,
        production_ids=[p for p in served if visible is None or p in visible],
        settings=service.public_settings(account),
        needs_reconnect=account.needs_reconnect,
        audience_timezone=account.audience_timezone,
        quiet_start=account.quiet_start,
        quiet_end=account.quiet_end,
    )


def _answer(session: SessionDep, account: Account, access: Access) -> AccountPublic:
    return _public(account, productions.productions_served(session, account.id or 0), access)


@router.post("/accounts", status_code=status.HTTP_201_CREATED)
def create_account(
    data: AccountCreate, session: SessionDep, access: AccessDep, actor: ActorDep
) -> AccountPublic:
    """Connect an account for the productions in ``production_ids`` (their admin's to do);
    an account for none is a site admin's."""
    account = service.create_account(session=session, data=data, actor=actor)
    session.commit()
    return _answer(session, account, access)


@router.get("/accounts")
def list_accounts(
    session: SessionDep, access: AccessDep, production_id: Id | None = None
) -> list[AccountPublic]:
    """The accounts of the caller's productions (a site admin: every account)."""
    accounts = productions.list_accounts(
        session=session, visible=access.visible(), production_id=production_id
    )
    served = productions.served_by(session, [a.id or 0 for a in accounts])
    return [_public(a, served[a.id or 0], access) for a in accounts]


@router.put("/accounts/{account_id}/credentials")
def reconnect_account(
    account_id: Id, data: AccountReconnect, session: SessionDep, access: AccessDep, actor: ActorDep
) -> AccountPublic:
    """New credentials (after re-authorising); releases the posts held for this account."""
    account, _released = service.reconnect_account(
        session=session, account_id=account_id, data=data, actor=actor
    )
    session.commit()
    return _answer(session, account, access)


@router.patch("/accounts/{account_id}")
def edit_account(
    account_id: Id, data: AccountEdit, session: SessionDep, access: AccessDep, actor: ActorDep
) -> AccountEdited:
    """Change the handle, readable settings, audience timezone or quiet hours (only the fields
    given). A new handle sends the account's approved posts back to review (``back_to_review``);
    new quiet hours apply to posts planned or moved from now on."""
    changed = changes.edit_account(session=session, account_id=account_id, data=data, actor=actor)
    session.commit()
    shown = _answer(session, changed.account, access)
    return AccountEdited(**shown.model_dump(), back_to_review=changed.back_to_review)


def _removal(found: removal.Removal) -> AccountRemoval:
    return AccountRemoval(
        account_id=found.account_id,
        cancelled=[CancelledDelivery.model_validate(vars(c)) for c in found.cancelled],
        publishing=found.publishing,
    )


@router.get("/accounts/{account_id}/removal")
def preview_removal(account_id: Id, session: SessionDep) -> AccountRemoval:
    """What removing the account would cancel now (nothing changes): ask before DELETE."""
    return _removal(removal.removal_preview(session=session, account_id=account_id))


@router.delete("/accounts/{account_id}")
def remove_account(account_id: Id, session: SessionDep, actor: ActorDep) -> AccountRemoval:
    """Take the account out of use: its deliveries that could still go out are cancelled (each
    audited), what it published stays. 409 while one is being published."""
    removed = removal.remove_account(session=session, account_id=account_id, actor=actor)
    session.commit()
    return _removal(removed)


@router.put("/accounts/{account_id}/productions/{production_id}")
def grant_account(
    account_id: Id, production_id: Id, session: SessionDep, access: AccessDep, actor: ActorDep
) -> AccountPublic:
    """Let one more production's posts go to the account (audited; a no-op if it already
    serves it)."""
    productions.grant_account(
        session=session, account_id=account_id, production_id=production_id, actor=actor
    )
    session.commit()
    return _answer(session, session.get_one(Account, account_id), access)


@router.delete("/accounts/{account_id}/productions/{production_id}")
def withdraw_account(
    account_id: Id, production_id: Id, session: SessionDep, access: AccessDep, actor: ActorDep
) -> AccountPublic:
    """Stop the account serving a production (409 while that production's posts still go out
    on it)."""
    productions.withdraw_account(
        session=session, account_id=account_id, production_id=production_id, actor=actor
    )
    session.commit()
    return _answer(session, session.get_one(Account, account_id), access)


@router.get("/templates")
def list_templates() -> list[dict[str, object]]:
    """The post templates, with their content pillar and the variables they take."""
    renderer = get_renderer()
    return [vars(renderer.describe(name)) for name in renderer.template_names()]
