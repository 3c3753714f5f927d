"""The post editor's form: what its fields hold, read from a form or from a saved post, and
shaped as the API's own body (``PostCreate``, ``PostEdit``) so the API's schema judges it.

A form is flat: lists come as repeated fields (``account_ids``, ``featured``, ``media``),
objects as dotted names (``anchor.offset``, ``variables.actor_name``). ``Fields`` holds what a
person typed, as typed, so a refused form comes back as they left it. An absolute time is
typed on the production's wall clock (``datetime-local`` carries no zone) and given to the
API in that zone; the page says so beside the field.

Also here: what the editor offers to choose from (``Choices``), each list in one query.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session
from starlette.datastructures import FormData

from scheduler.accounts.productions import list_accounts
from scheduler.content.context import get_renderer
from scheduler.content.render import TemplateInfo
from scheduler.core.models import (
    Account,
    ContentPillar,
    Delivery,
    DeliveryStatus,
    Milestone,
    Post,
    Production,
    StoredMedium,
    Talent,
)
from scheduler.media.library import list_media
from scheduler.planning.productions import list_milestones
from scheduler.review.talent import list_talent

#: How the anchor is given: a milestone and an offset, or an absolute time.
BY_MILESTONE, AT_TIME = "milestone", "at"
#: The wall-clock format of ``<input type="datetime-local">``.
LOCAL_FORMAT = "%Y-%m-%dT%H:%M"


@dataclass
class Fields:
    """The editor's fields as a person typed them (strings, and the ids they ticked)."""

    pillar: str = ""
    template: str = ""
    body: str = ""
    variables: dict[str, str] = field(default_factory=dict)
    tags: str = ""
    anchor_kind: str = BY_MILESTONE
    milestone_id: str = ""
    offset: str = ""
    local_time: str = ""
    at: str = ""
    account_ids: list[str] = field(default_factory=list)
    featured: list[str] = field(default_factory=list)
    #: The uploads chosen, in the library's order, and the alt text typed for every upload.
    media: list[str] = field(default_factory=list)
    alts: dict[str, str] = field(default_factory=dict)
    #: Media given as links (through the API): kept as they are, after the uploads.
    links: list[dict[str, str]] = field(default_factory=list)
    version: str = ""

    @classmethod
    def from_form(cls, form: FormData) -> Fields:
        def text(name: str) -> str:
            value = form.get(name, "")
            return value if isinstance(value, str) else ""

        def ticked(name: str) -> list[str]:
            return [v for v in form.getlist(name) if isinstance(v, str) and v]

        return cls(
            pillar=text("pillar"),
            template=text("template"),
            body=text("body"),
            variables={
                key.removeprefix("variables."): value
                for key, value in form.items()
                if key.startswith("variables.") and isinstance(value, str)
            },
            tags=text("tags"),
            anchor_kind=AT_TIME if text("anchor_kind") == AT_TIME else BY_MILESTONE,
            milestone_id=text("anchor.milestone_id"),
            offset=text("anchor.offset"),
            local_time=text("anchor.local_time"),
            at=text("anchor.at"),
            account_ids=ticked("account_ids"),
            featured=ticked("featured"),
            media=ticked("media"),
            alts={
                key.removeprefix("alt."): value
                for key, value in form.items()
                if key.startswith("alt.") and isinstance(value, str)
            },
            links=[
                {"url": url, "kind": kind, "alt": alt}
                for url, kind, alt in zip(
                    form.getlist("link.url"),
                    form.getlist("link.kind"),
                    form.getlist("link.alt"),
                    strict=False,
                )
                if isinstance(url, str) and isinstance(kind, str) and isinstance(alt, str)
            ],
            version=text("version"),
        )

    @classmethod
    def of_post(cls, post: Post, deliveries: list[Delivery], timezone: str) -> Fields:
        """A saved post's fields, its absolute time on the production's wall clock."""
        uploads = [m for m in post.media if m.get("media_id") is not None]
        return cls(
            pillar=post.pillar,
            template=post.template or "",
            body=post.body or "",
            variables={key: str(value) for key, value in post.variables.items()},
            tags=", ".join(post.tags),
            anchor_kind=AT_TIME if post.anchor_at is not None else BY_MILESTONE,
            milestone_id=str(post.anchor_milestone_id or ""),
            offset=post.anchor_offset or "",
            local_time=post.anchor_local_time.strftime("%H:%M") if post.anchor_local_time else "",
            at=post.anchor_at.astimezone(ZoneInfo(timezone)).strftime(LOCAL_FORMAT)
            if post.anchor_at
            else "",
            account_ids=[
                str(d.account_id) for d in deliveries if d.status != DeliveryStatus.cancelled
            ],
            featured=[str(t) for t in post.featured],
            media=[str(m["media_id"]) for m in uploads],
            alts={str(m["media_id"]): m.get("alt") or "" for m in uploads},
            links=[
                {"url": m["url"], "kind": m.get("kind") or "image", "alt": m.get("alt") or ""}
                for m in post.media
                if m.get("media_id") is None and m.get("url")
            ],
            version=str(post.version),
        )

    def anchor(self, timezone: str) -> dict[str, Any]:
        if self.anchor_kind == AT_TIME:
            return {"at": _on_wall_clock(self.at, timezone) if self.at else None}
        return {
            "milestone_id": self.milestone_id or None,
            "offset": self.offset.strip() or None,
            "local_time": self.local_time or None,
        }

    def body_of(self, production: Production) -> dict[str, Any]:
        """The fields as ``PostCreate``'s body, for ``production``."""
        return {
            "production_id": production.id,
            **({"pillar": self.pillar} if self.pillar else {}),
            **self._content(production.timezone),
        }

    def edit_of(self, timezone: str) -> dict[str, Any]:
        """The fields as ``PostEdit``'s body: every field the editor shows, and the version."""
        content = self._content(timezone)
        pillar = {"pillar": self.pillar} if self.pillar else {}
        return {"version": self.version, **pillar, **content}

    def _content(self, timezone: str) -> dict[str, Any]:
        return {
            "template": self.template or None,
            "body": self.body if self.body.strip() else None,
            "variables": dict(self.variables) if self.template else {},
            "tags": [tag for tag in self.tags.replace(",", " ").split() if tag],
            "media": [{"media_id": m, "alt": self.alts.get(m) or None} for m in self.media]
            + [{**link, "alt": link["alt"] or None} for link in self.links],
            "featured": list(self.featured),
            "anchor": self.anchor(timezone),
            "account_ids": list(self.account_ids),
        }


def _on_wall_clock(typed: str, timezone: str) -> str:
    """A ``datetime-local`` value read on the production's clock, as ISO 8601 with its offset;
    anything else is handed on as typed, for the API's schema to refuse by name."""
    try:
        moment = datetime.fromisoformat(typed)
    except ValueError:
        return typed
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(timezone))
    return moment.isoformat()


@dataclass(frozen=True)
class Choices:
    """What the editor offers for a production: its milestones, accounts, talent and uploads,
    the post templates and the content pillars."""

    milestones: list[Milestone]
    accounts: list[Account]
    talent: list[Talent]
    media: list[StoredMedium]
    templates: list[TemplateInfo]
    pillars: list[str]

    def template(self, name: str) -> TemplateInfo | None:
        return next((t for t in self.templates if t.name == name), None)


def choices(session: Session, production: Production) -> Choices:
    pid = production.id or 0
    renderer = get_renderer()
    return Choices(
        milestones=list_milestones(session=session, production_id=pid),
        accounts=list_accounts(session=session, visible=None, production_id=pid),
        talent=list_talent(session=session, production_id=pid),
        media=list_media(session=session, production_id=pid),
        templates=[renderer.describe(name) for name in renderer.template_names()],
        pillars=[pillar.value for pillar in ContentPillar],
    )


#: What the editor calls each field it shows (the API's dotted names are not for people).
LABELS = {
    "pillar": "Content pillar",
    "template": "Template",
    "body": "Text",
    "variables": "Template values",
    "anchor": "When it goes out",
    "anchor.milestone_id": "Milestone",
    "anchor.offset": "Offset",
    "anchor.local_time": "At local time",
    "anchor.at": "Date and time",
    "account_ids": "Accounts",
    "tags": "Tags",
    "featured": "Featured talent",
    "media": "Media",
}
#: Fields whose messages show beside the field itself, whatever item of it is at fault.
_GROUPS = ("account_ids", "featured", "media", "variables", "tags")
#: Fields the editor shows; a message about any other shows above the form.
_SHOWN = ("pillar", "template", "body", "anchor.milestone_id", "anchor.offset")
_SHOWN_TOO = ("anchor.local_time", "anchor.at", "anchor", *_GROUPS)


def beside(errors: dict[str, str]) -> dict[str, str]:
    """The messages by the editor's field they belong beside (``media.0.alt``: ``media``);
    ``form`` for those about no field it shows."""
    placed: dict[str, list[str]] = {}
    for key, message in errors.items():
        group = next((g for g in _GROUPS if key == g or key.startswith(f"{g}.")), key)
        where = group if group in (*_SHOWN, *_SHOWN_TOO) else "form"
        placed.setdefault(where, []).append(message if where == key else f"{key}: {message}")
    return {where: "; ".join(messages) for where, messages in placed.items()}
