"""What a notification says: one sentence for the people in a channel, and the facts for code.

The message is Slack-compatible: an incoming webhook shows ``text`` and ignores the rest, so a
hook pointed straight at Slack (or Mattermost, Discord's Slack-compatible endpoint, Teams'
workflows) reads well, while a receiver of one's own reads the ``callsheet`` object and never
has to parse a sentence. No database here: ``scheduler.events.outbox`` finds the facts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

#: How much of a reason the sentence quotes; the whole (up to ``REASON_LIMIT``) is in the facts.
SENTENCE_REASON_LIMIT = 300
REASON_LIMIT = 1000


@dataclass(frozen=True, kw_only=True)
class Subject:
    """What an event is about, as far as a channel needs to know."""

    production_id: int | None = None
    production_title: str | None = None
    post_id: int | None = None
    pillar: str | None = None
    delivery_id: int | None = None
    account_id: int | None = None
    #: "x @nightshiftfilm": the platform and the handle, as people say it.
    account: str | None = None
    status: str | None = None
    #: For ``unknown``: Callsheet will ask the platform itself before sending again.
    needs_lookup: bool = False


def message(
    *, event: str, action: str, subject: Subject, actor: str, reason: str | None, at: datetime
) -> dict[str, Any]:
    """The JSON a hook receives for one event (signed and sent as is)."""
    reason = reason[:REASON_LIMIT] if reason else None
    return {
        "text": sentence(event=event, subject=subject, actor=actor, reason=reason, action=action),
        "callsheet": {
            "event": event,
            "action": action,
            "production": (
                {"id": subject.production_id, "title": subject.production_title}
                if subject.production_id is not None
                else None
            ),
            "post_id": subject.post_id,
            "delivery_id": subject.delivery_id,
            "account_id": subject.account_id,
            "status": subject.status,
            "reason": reason,
            "actor": actor,
            "at": at.isoformat(),
        },
    }


def sentence(
    *, event: str, subject: Subject, actor: str, reason: str | None, action: str | None = None
) -> str:
    """One sentence a person reads in a channel, user text escaped for Slack's markup."""
    where = f"{_slack(subject.production_title)}: " if subject.production_title else ""
    post = f"post {subject.post_id}"
    if subject.pillar:
        post += f" ({subject.pillar.replace('_', ' ')})"
    on = f" on {_slack(subject.account)}" if subject.account else ""
    why = _because(reason)
    who = _slack(actor)
    if subject.delivery_id is None and subject.post_id is None:  # an account
        the = "the" if where else "The"
        return (
            f"{where}{the} {_slack(subject.account)} account needs reconnecting{why}. "
            "Its posts are held until someone reconnects it."
        )
    if action == "post.approval_expired":
        return f"{where}{post} went back to review{why}."
    if event == "submitted":
        return f"{where}{post} was submitted for review by {who}."
    if event == "approved":
        return f"{where}{post} was approved by {who}{why}."
    if event == "rejected":
        return f"{where}{post} was rejected by {who}{why}."
    if event == "held":
        return f"{where}{post} is held{on} and waits for a person{why}."
    if event == "failed":
        return f"{where}{post} failed{on}{why}. It will not be tried again."
    then = (
        "Callsheet will ask the platform before sending it again."
        if subject.needs_lookup
        else "A person must check the platform and settle it."
    )
    return f"{where}nobody knows whether {post} went out{on}{why}. {then}"


def _because(reason: str | None) -> str:
    """``: <reason>`` without a doubled full stop, shortened for a channel."""
    if not reason:
        return ""
    text = " ".join(reason.split())
    if len(text) > SENTENCE_REASON_LIMIT:
        text = text[: SENTENCE_REASON_LIMIT - 1] + "…"
    return ": " + _slack(text.rstrip("."))


def _slack(text: str | None) -> str:
    """Escape the three characters Slack reads as markup (``<@U123>`` would ping someone)."""
    if not text:
        return ""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
