"""Which productions an account serves: connecting it, granting and withdrawing it, and the
accounts a production's posts may go to.

An account is connected for one or more productions (``AccountProduction``); only those
productions' posts may target it, and only their members see it. An account serving no
production is a site admin's alone. Who may change the links is decided by the access policy
(``scheduler.http.access``); this module keeps them consistent and audited.

Asking for accounts on behalf of a production answers the same for "no such account" and "an
account of another production" (``accounts_for_targets``), so a post's targets never reveal
what other productions have connected.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from sqlmodel import Session, col, select

from scheduler.core.errors import Conflict, Invalid, NotFound
from scheduler.core.models import (
    Account,
    AccountProduction,
    Delivery,
    DeliveryStatus,
    Post,
    Production,
)
from scheduler.events.record import record_event

#: Deliveries that will never go out (again): the only ones that let an account be withdrawn.
SETTLED = (DeliveryStatus.published, DeliveryStatus.failed, DeliveryStatus.cancelled)


def productions_served(session: Session, account_id: int) -> list[int]:
    """The productions ``account_id`` serves, in id order (none: a site admin's account)."""
    query = (
        select(AccountProduction.production_id)
        .where(AccountProduction.account_id == account_id)
        .order_by(col(AccountProduction.production_id))
    )
    return list(session.exec(query))


def served_by(session: Session, account_ids: Collection[int]) -> dict[int, list[int]]:
    """Each account's productions, in one query (for lists)."""
    served: dict[int, list[int]] = {account_id: [] for account_id in account_ids}
    if not served:
        return served
    query = (
        select(AccountProduction)
        .where(col(AccountProduction.account_id).in_(served))
        .order_by(col(AccountProduction.production_id))
    )
    for link in session.exec(query):
        served[link.account_id].append(link.production_id)
    return served


def known_productions(session: Session, production_ids: Sequence[int], *, field: str) -> list[int]:
    """``production_ids`` if each names a production, once; a 422 on ``field`` otherwise."""
    if len(set(production_ids)) != len(production_ids):
        raise Invalid(field, "a production is listed twice")
    found = set(session.exec(select(Production.id).where(col(Production.id).in_(production_ids))))
    for index, production_id in enumerate(production_ids):
        if production_id not in found:
            raise Invalid(f"{field}.{index}", f"no production with id {production_id}")
    return list(production_ids)


def in_use(session: Session, account_ids: Collection[int]) -> list[int]:
    """Of ``account_ids``, those not removed, in the order given."""
    removed = set(
        session.exec(
            select(Account.id).where(
                col(Account.id).in_(account_ids), col(Account.removed_at).is_not(None)
            )
        )
    )
    return [account_id for account_id in account_ids if account_id not in removed]


def connect(session: Session, account: Account, production_ids: Sequence[int]) -> None:
    """Link a new account to its productions (checked by ``known_productions``)."""
    for production_id in production_ids:
        session.add(AccountProduction(account_id=account.id or 0, production_id=production_id))
    session.flush()


def list_accounts(
    *, session: Session, visible: set[int] | None, production_id: int | None = None
) -> list[Account]:
    """The accounts in use of the productions in ``visible`` (``None``: every account, a site
    admin's view), optionally of one production only."""
    query = select(Account).where(col(Account.removed_at).is_(None)).order_by(col(Account.id))
    within = visible
    if production_id is not None:
        within = {production_id} if visible is None else {production_id} & visible
    if within is not None:
        serving = select(AccountProduction.account_id).where(
            col(AccountProduction.production_id).in_(within)
        )
        query = query.where(col(Account.id).in_(serving))
    return list(session.exec(query))


def accounts_for_targets(session: Session, production_id: int, ids: list[int]) -> list[Account]:
    """The accounts ``ids`` names, each one the production serves; a 422 on ``account_ids``
    naming the first that is not, worded the same whether it exists elsewhere or not at all
    (a removed account is none of the production's any more)."""
    if len(set(ids)) != len(ids):
        raise Invalid("account_ids", "an account is listed twice")
    query = (
        select(Account)
        .join(AccountProduction, col(AccountProduction.account_id) == col(Account.id))
        .where(
            col(Account.id).in_(ids),
            AccountProduction.production_id == production_id,
            col(Account.removed_at).is_(None),
        )
    )
    found = {account.id: account for account in session.exec(query)}
    missing = [i for i in ids if i not in found]
    if missing:
        raise Invalid(
            "account_ids",
            f"no account with id {', '.join(map(str, missing))} in this production",
        )
    return [found[i] for i in ids]


def grant_account(*, session: Session, account_id: int, production_id: int, actor: str) -> bool:
    """Connect an account for one more production; False if it served it already."""
    account = session.get(Account, account_id)
    if account is None or account.removed_at is not None:
        raise NotFound("account", account_id)
    if session.get(Production, production_id) is None:
        raise NotFound("production", production_id)
    if session.get(AccountProduction, (account_id, production_id)) is not None:
        return False
    session.add(AccountProduction(account_id=account_id, production_id=production_id))
    session.flush()
    record_event(
        session.connection(),
        actor=actor,
        action="account.granted",
        entity="account",
        entity_id=account_id,
        after={"production_id": production_id},
    )
    return True


def withdraw_account(*, session: Session, account_id: int, production_id: int, actor: str) -> None:
    """Stop an account serving a production.

    Refused (409) while a post of that production still has a delivery on it that may go out
    (unsent, in flight or unknown): those
    would otherwise go out on an account the production no longer has. Cancel them or change
    the posts' accounts first.
    """
    link = session.get(AccountProduction, (account_id, production_id), with_for_update=True)
    if link is None:
        raise NotFound("account", f"{account_id} for production {production_id}")
    waiting = session.exec(
        select(Post.id)
        .join(Delivery, col(Delivery.post_id) == col(Post.id))
        .where(
            Post.production_id == production_id,
            Delivery.account_id == account_id,
            col(Delivery.status).notin_([status.value for status in SETTLED]),
        )
        .distinct()
        .order_by(col(Post.id))
    ).all()
    if waiting:
        raise Conflict(
            f"account: posts {', '.join(map(str, waiting))} of this production still go out on "
            f"account {account_id}; cancel those deliveries or change the posts' accounts first"
        )
    session.delete(link)
    session.flush()
    record_event(
        session.connection(),
        actor=actor,
        action="account.withdrawn",
        entity="account",
        entity_id=account_id,
        before={"production_id": production_id},
    )
