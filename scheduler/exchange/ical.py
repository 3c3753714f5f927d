"""A production's timeline as an iCalendar feed (RFC 5545), to subscribe to from any calendar.

Producers live in Google Calendar and Outlook, not in Callsheet, so the plan is published where
they already look: one event per milestone and one per delivery that is still part of the plan
(cancelled ones are left out; the CSV export keeps them).

- UIDs are ``milestone-<id>@callsheet`` and ``delivery-<id>@callsheet``. They never change, so a
  calendar that refreshes the subscription moves or updates an event instead of adding a copy.
- Times are written in UTC. The production's timezone is named in ``X-WR-TIMEZONE`` so clients
  show the feed in the audience's zone. iCalendar has no sub-second times: they are dropped.
- The feed says ``METHOD:PUBLISH``, and for such an object ``DTSTAMP`` is the instant it was
  made (the store keeps no revision time for milestones anyway); a delivery also gets
  ``LAST-MODIFIED``, the later of its own and its post's last change.
- An event is ``TENTATIVE`` when it may not happen as shown: a tentative milestone, a delivery
  whose post is not approved (``pending``) or that a gate ``held``, or one anchored to a
  tentative milestone. Everything else is ``CONFIRMED``.
- Bodies, handles, titles and milestone names are untrusted text. Every such value goes in as an
  icalendar ``vText`` and icalendar escapes it (commas, semicolons, backslashes, newlines), so
  no text can end a property or start a component. Properties icalendar does not know
  (``X-WR-CALNAME``, ``NAME``, ``X-PUBLISHED-TTL``) would otherwise be written raw, which is why
  their values are given a type (``vText``, ``vDuration``) explicitly.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from icalendar import Calendar, Event, vDuration, vText
from sqlmodel import Session

from scheduler.core.models import DeliveryStatus, Milestone, Post, Production, utcnow
from scheduler.exchange.schedule import ScheduleEntry, schedule_entries
from scheduler.planning.productions import get_production, list_milestones

PRODID = "-//Callsheet//Production timeline//EN"
#: How long a delivery is shown for: a post is an instant, but a zero-length event is hard to see.
DELIVERY_DURATION = timedelta(minutes=15)
#: How often clients that honour it should refresh (RFC 7986 and Outlook's extension).
REFRESH = timedelta(hours=1)
#: How much of a post's own body the event description shows.
BODY_HEAD = 500
UID_DOMAIN = "callsheet"


def production_calendar(
    *, session: Session, production_id: int, now: datetime | None = None
) -> bytes:
    """The production's milestones and live deliveries as iCalendar bytes (UTF-8, CRLF).

    Raises NotFound for an unknown production. ``now`` fixes ``DTSTAMP`` (default: the real
    current instant).
    """
    production = get_production(session=session, production_id=production_id)
    stamp = (now or utcnow()).astimezone(UTC)
    calendar = _calendar(production)
    milestones = list_milestones(session=session, production_id=production_id)
    for milestone in milestones:
        calendar.add_component(_milestone_event(milestone, stamp))
    by_id = {m.id: m for m in milestones}
    entries = schedule_entries(
        session=session, production_id=production_id, include_cancelled=False
    )
    for entry in entries:
        anchor = by_id.get(entry.post.anchor_milestone_id)
        calendar.add_component(_delivery_event(entry, anchor, stamp))
    ical: bytes = calendar.to_ical()
    return ical


def _calendar(production: Production) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("name", vText(production.title))
    calendar.add("x-wr-calname", vText(production.title))
    calendar.add("x-wr-timezone", vText(production.timezone))
    calendar.add("refresh-interval", vDuration(REFRESH), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(REFRESH))
    return calendar


def _event(uid: str, start: datetime, stamp: datetime) -> Event:
    event = Event()
    event.add("uid", f"{uid}@{UID_DOMAIN}")
    event.add("dtstamp", stamp)
    event.add("dtstart", start.astimezone(UTC))
    return event


def _milestone_event(milestone: Milestone, stamp: datetime) -> Event:
    """A milestone as an instant; a tentative date is marked so nobody builds on it blindly."""
    event = _event(f"milestone-{milestone.id}", milestone.at, stamp)
    summary = f"★ {milestone.name}" + (" (tentative)" if milestone.tentative else "")
    event.add("summary", summary)
    event.add("status", "TENTATIVE" if milestone.tentative else "CONFIRMED")
    event.add("categories", ["milestone", milestone.kind])
    event.add("description", f"Milestone: {milestone.kind}")
    event.add("transp", "TRANSPARENT")  # a date on the plan, not time anyone is busy
    return event


def _delivery_event(entry: ScheduleEntry, anchor: Milestone | None, stamp: datetime) -> Event:
    delivery, post, account = entry.delivery, entry.post, entry.account
    event = _event(f"delivery-{delivery.id}", delivery.due_at, stamp)
    event.add("duration", DELIVERY_DURATION)
    event.add("summary", f"[{delivery.status}] {post.pillar} · {account.platform} {account.handle}")
    event.add("description", _description(entry, anchor))
    event.add("categories", [post.pillar, delivery.status])
    event.add("status", _event_status(delivery.status, anchor))
    event.add("last-modified", max(delivery.updated_at, post.updated_at).astimezone(UTC))
    event.add("transp", "TRANSPARENT")
    return event


def _event_status(status: str, anchor: Milestone | None) -> str:
    """TENTATIVE when the delivery may not go out as shown; see the module docstring."""
    unsure = status in (DeliveryStatus.pending, DeliveryStatus.held)
    return "TENTATIVE" if unsure or (anchor is not None and anchor.tentative) else "CONFIRMED"


def _description(entry: ScheduleEntry, anchor: Milestone | None) -> str:
    """What a producer needs to recognise the post: its content, status and any error."""
    post, delivery = entry.post, entry.delivery
    if post.template:
        content = f"Template: {post.template}"
    else:
        body = post.body or ""
        content = body[:BODY_HEAD] + ("…" if len(body) > BODY_HEAD else "")
    lines = [content, "", f"Status: {delivery.status}"]
    if delivery.last_error:
        lines.append(f"Last error: {delivery.last_error}")
    if anchor is not None:
        lines.append(_anchor_line(entry.post, anchor))
    lines.append(f"Post {post.id} · delivery {delivery.id}")
    return "\n".join(lines)


def _anchor_line(post: Post, anchor: Milestone) -> str:
    """The plan behind the time, e.g. ``Anchor: -P14D from Premiere, 18:00 local``."""
    when = f"{post.anchor_offset} from {anchor.name}" if post.anchor_offset else f"at {anchor.name}"
    if post.anchor_local_time is not None:
        when += f", {post.anchor_local_time:%H:%M} local"
    if anchor.tentative:
        when += " (tentative milestone)"
    return f"Anchor: {when}"
