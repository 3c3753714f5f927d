"""What the API accepts and answers for posts and deliveries: anchors, media, previews.

``DeliveryVerdict`` is the platform's verdict on one delivery, the same rules the API applies at
submit time; ``MilestoneMoved`` answers a milestone move with every delivery it moved, and
``TimezoneChanged`` a change of the production's time zone (previewed or applied) with every
unsent or in-flight delivery.
"""

from __future__ import annotations

import mimetypes
from datetime import datetime, time
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from platforms.adapters.egress import check_url
from platforms.media.probe import is_link
from scheduler.core.config import get_settings
from scheduler.core.models import (
    ContentPillar,
)
from scheduler.core.schemas import Id, Input, Moment, Output
from scheduler.planning.schemas import MilestonePublic, ProductionPublic

ON_DISK = "give an https link; files on the server are never read"


class MovedDelivery(BaseModel):
    delivery_id: Id
    post_id: Id
    old_due_at: datetime
    new_due_at: datetime
    status: str
    note: str | None
    #: It changed (claimed, published, edited) while the move was planned: left as it is.
    skipped: bool = False
    #: Its new time had passed: ``status`` is what the production's past-due policy made of it.
    past_due: bool = False
    #: It (and its post, if approved) goes back to review: its words change with the move.
    back_to_review: bool = False
    #: The embargo its new time falls under: the claim will hold it (a preview says so).
    embargo: str | None = None


class AnchorIn(Input):
    """A milestone with an offset and optional local time of day, or an absolute time."""

    milestone_id: Id | None = None
    offset: str | None = Field(default=None, examples=["-P14D", "+PT2H"])
    local_time: time | None = Field(default=None, examples=["18:00"])
    at: Moment | None = None


class MediaIn(Input):
    """One image or video of a post: an upload (``media_id``) or a public link, and alt text.

    A bare string is taken as the URL. Media come from Callsheet or from the web, never from
    the server's disk: an upload of the post's production is named by its id (another
    production's is refused like one that does not exist, ``scheduler.media.library``);
    anything but an http(s) link (a path, ``file://``, ``../``, ``data:``) is refused without
    being looked at, so the answer is the same whether such a file exists or not; a link is
    held to the egress policy (https only in production, public addresses unless
    ``CALLSHEET_ALLOW_PRIVATE_TARGETS``). ``kind`` is read from the link's extension when left
    out (an upload's is what its bytes are); alt text is what people using screen readers get
    instead of the picture, so platforms that carry it are given it (its absence is a
    warning, not an error).
    """

    media_id: Id | None = Field(default=None, description="An upload of the post's production")
    url: str | None = Field(default=None, min_length=1, max_length=2000)
    kind: Literal["image", "video"] | None = Field(default=None, validate_default=True)
    alt: str | None = Field(default=None, max_length=1500)

    @model_validator(mode="before")
    @classmethod
    def _bare_url(cls, value: Any) -> Any:
        """A bare string is a URL; an upload as a post keeps it (from ``GET /posts`` or a
        schedule CSV, with its digest and facts) is taken by its id and alt text alone."""
        if isinstance(value, str):
            return {"url": value}
        if isinstance(value, dict) and value.get("media_id") is not None:
            return {k: v for k, v in value.items() if k in ("media_id", "alt", "kind")}
        return value

    @model_validator(mode="after")
    def _one_source(self) -> MediaIn:
        if (self.media_id is None) == (self.url is None):
            raise ValueError("give either media_id (an upload) or url (an https link)")
        return self

    @field_validator("url")
    @classmethod
    def _a_link(cls, url: str | None) -> str | None:
        if url is None:
            return None
        if not is_link(url):
            raise ValueError(ON_DISK)
        settings = get_settings()
        try:
            return check_url(
                url,
                allow_private=settings.allow_private_targets,
                require_https=settings.require_https,
            )
        except ValueError as exc:
            raise ValueError(str(exc)) from None

    @field_validator("kind")
    @classmethod
    def _kind_from_extension(cls, kind: str | None, info: ValidationInfo) -> str:
        if kind is not None or info.data.get("url") is None:  # an upload, or a refused link
            return kind or "image"
        url = str(info.data["url"])
        guessed, _ = mimetypes.guess_type(urlsplit(url).path)
        major = (guessed or "").split("/")[0]
        if major not in ("image", "video"):
            raise ValueError(f"cannot tell whether {url!r} is an image or a video; give its kind")
        return major


LATEST_AT = (
    "Its latest useful time: released after it, a delivery is held as late. Empty (null): the "
    "production's late policy decides"
)


class PostCreate(Input):
    production_id: Id
    pillar: ContentPillar
    template: str | None = Field(default=None, max_length=80)
    body: str | None = Field(default=None, max_length=10_000)
    variables: dict[str, Any] = Field(default_factory=dict)
    tags: list[str] = Field(default_factory=list, max_length=50)
    media: list[MediaIn] = Field(default_factory=list, max_length=20)
    featured: list[Id] = Field(
        default_factory=list, max_length=50, description="Talent ids of the people it features"
    )
    anchor: AnchorIn
    latest_at: Moment | None = Field(default=None, description=LATEST_AT)
    account_ids: list[Id] = Field(min_length=1, max_length=50)


class PostEdit(Input):
    """Fields to change; any change of content returns the post to review."""

    version: int = Field(description="The version being edited, as last read")
    pillar: ContentPillar | None = None
    template: str | None = None
    body: str | None = Field(default=None, max_length=10_000)
    variables: dict[str, Any] | None = None
    tags: list[str] | None = None
    media: list[MediaIn] | None = None
    featured: list[Id] | None = Field(default=None, max_length=50)
    anchor: AnchorIn | None = None
    latest_at: Moment | None = Field(default=None, description=LATEST_AT)
    account_ids: list[Id] | None = Field(default=None, min_length=1, max_length=50)

    @field_validator("pillar", "variables", "tags", "media", "featured", "anchor", "account_ids")
    @classmethod
    def _kept_when_left_out(cls, value: object) -> object:
        """Every post has these: left out, an edit keeps them; ``null`` cannot clear them.

        (A validator runs only for fields the request names, so ``None`` here was sent.)
        """
        if value is None:
            raise ValueError("leave it out to keep it; it cannot be cleared (null)")
        return value


class DeliveryPublic(Output):
    id: int
    post_id: Id
    account_id: Id
    status: str
    due_at: datetime
    attempt: int
    external_id: str | None
    external_url: str | None
    last_error: str | None
    held_for: str | None = None
    schedule_note: str | None = None
    needs_lookup: bool = Field(
        default=False, description="Its last answer was lost; the platform is asked first"
    )
    send_late: bool = Field(
        default=False, description="A person chose to send it after its latest useful time"
    )
    published_at: datetime | None


class MediumFacts(BaseModel):
    """What Callsheet found out about one medium: a local file is read, a link only named."""

    model_config = ConfigDict(from_attributes=True)

    number: int
    kind: str
    where: str = Field(description="file, link, missing, or unnamed")
    name: str | None = None
    content_type: str | None = None
    bytes: int | None = None
    width: int | None = None
    height: int | None = None
    seconds: float | None = None
    alt: bool = Field(default=False, description="Whether it has alt text")
    media_id: int | None = Field(
        default=None, description="The upload's id (GET /productions/{id}/media/{media_id})"
    )


class DeliveryVerdict(BaseModel):
    """The platform's verdict on one delivery: the same rules the API applies at submit time.

    ``problems`` would refuse the post (``media_problems`` are those about its media);
    ``warnings`` are worth a look (a missing alt text, a thread, a link not checked here).
    """

    model_config = ConfigDict(from_attributes=True)

    valid: bool
    length: int
    limit: int
    unit: str
    problems: list[str]
    media_problems: list[str] = Field(default_factory=list)
    warnings: list[str]
    parts: list[str] | None = Field(description="The thread, where the platform threads")
    bytes: int
    max_bytes: int | None = None
    hashtags: int = 0
    title: str | None = None
    title_length: int | None = None
    title_limit: int | None = None
    media: list[MediumFacts] = Field(default_factory=list)


class RenderedDelivery(BaseModel):
    delivery_id: Id
    account_id: Id
    platform: str
    handle: str
    text: str
    content_hash: str = Field(description="What the approval binds and the worker checks")
    shown: str = Field(
        description="Send this back when approving (``shown``): text, media and due time as seen"
    )
    media_notes: list[str] = Field(
        default_factory=list, description="Media bound by their URL only (links, not files)"
    )
    due_at: datetime
    verdict: DeliveryVerdict


class DraftDelivery(BaseModel):
    """What a post not yet saved would publish on one account (``preview.preview_draft``)."""

    account_id: Id
    platform: str
    handle: str
    text: str
    due_at: datetime
    schedule_note: str | None = Field(description="Why its time moved: a blackout, quiet hours")
    verdict: DeliveryVerdict


class PostPublic(Output):
    id: int
    production_id: Id
    pillar: str
    template: str | None
    body: str | None
    variables: dict[str, Any]
    tags: list[str]
    media: list[dict[str, Any]]
    featured: list[int]
    anchor_milestone_id: Id | None
    anchor_offset: str | None
    anchor_local_time: time | None
    anchor_at: datetime | None
    latest_at: datetime | None = None
    status: str
    version: int
    review_note: str | None
    #: The person who wrote this version; they may not approve it (separation of duties).
    written_by_id: Id | None = None
    #: In an approval's answer: separation of duties was relaxed for it (a one-person team).
    self_approved: bool = False
    deliveries: list[DeliveryPublic] = Field(default_factory=list)


class MilestoneMoved(BaseModel):
    milestone: MilestonePublic
    moved: list[MovedDelivery]


class TimezoneChange(Input):
    """A new time zone for a production. ``confirm`` false (the default) previews: nothing
    changes, and the answer says what applying would do."""

    timezone: str = Field(min_length=1, max_length=64, examples=["America/New_York"])
    confirm: bool = Field(default=False, description="Apply the change; false only previews it")


class RezonedDelivery(BaseModel):
    delivery_id: Id
    post_id: Id
    account_id: Id
    change: Literal["moved", "unchanged", "in_flight", "skipped"] = Field(
        description="moved: its time changes; unchanged: an absolute time, or the same instant; "
        "in_flight: claimed or publishing, it goes out as claimed; skipped: it changed while "
        "the zone changed and was left as it is"
    )
    old_due_at: datetime = Field(description="UTC")
    new_due_at: datetime = Field(description="UTC")
    old_local: datetime = Field(description="The old due time in the old zone")
    new_local: datetime = Field(description="The new due time in the new zone")
    old_status: str
    status: str
    note: str | None
    past_due: bool = Field(description="Its new time has passed: the past-due policy decided")
    back_to_review: bool = Field(description="Its words change: it needs a new approval")
    embargo: str | None = Field(description="The embargo its due time falls under, if any")
    schedule_note: str | None = Field(description="Why its time moved: a blackout, quiet hours")


class TimezoneChanged(BaseModel):
    production: ProductionPublic
    old_timezone: str
    new_timezone: str
    applied: bool = Field(description="False: a preview, nothing changed")
    past_due_policy: str
    deliveries: list[RezonedDelivery]


class ReleaseHold(Input):
    due_at: Moment | None = Field(default=None, description="When to send; default now")
    send_late: bool = Field(
        default=False,
        description="Send it even after its latest useful time (needed to release a late hold)",
    )


class CancelDelivery(Input):
    reason: str = Field(min_length=1, max_length=500)


class ResolveUnknown(Input):
    """What a person found on the platform for a delivery whose outcome is unknown."""

    published: bool = Field(description="True: it is there. False: it is not; send it now")
    url: str | None = Field(default=None, max_length=500, description="The post, if found")
    reason: str = Field(min_length=1, max_length=500, examples=["checked the account's feed"])


class RetryFailed(Input):
    """Why a failed delivery goes again (what was fixed); kept in the audit trail."""

    reason: str | None = Field(
        default=None, min_length=1, max_length=500, examples=["account permission fixed"]
    )
    send_late: bool = Field(
        default=False,
        description="Send it even if it is past its latest useful time (else it is held late)",
    )
