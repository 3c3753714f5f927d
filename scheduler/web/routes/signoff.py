"""The talent's sign-off page: what the link they were sent opens, on a phone first.

Talent have no account: the signed, one-time link is their credential (``scheduler.review
.links``), as it is for the API's ``/signoff/{token}``, and the same service functions read it
(``link_pages.open_link``) and record the answer (``link_pages.decide``). A link that may not
be used says so in a talent's words, with no detail of the post, the production or the
answer given (403), and leaves its one audit trace (``link_pages.refuse_apart``).

The token is in the path: every page sends ``Referrer-Policy: no-referrer``
(``scheduler.http.headers``), and the access log shows ``/app/signoff/<token>``
(``scheduler.review.links.hide_link_tokens``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response
from sqlmodel import Session

from scheduler.core.config import get_settings
from scheduler.core.errors import NotFound
from scheduler.core.schemas import Id
from scheduler.http.deps import SessionDep
from scheduler.media.library import get_medium
from scheduler.media.store import path_of
from scheduler.posts.lifecycle import get_post
from scheduler.review import link_pages
from scheduler.review.links import LinkRefused, Refusal
from scheduler.review.schemas import SignoffAnswer, SignoffPage
from scheduler.web.forms import FormDep, validated
from scheduler.web.pages import PREFIX, page

router = APIRouter(prefix=PREFIX)

#: What a talent reads when their link cannot be used: plain words, nothing about the post.
REFUSED = {
    Refusal.tampered: "This link does not work. Open it exactly as it was sent to you, or ask "
    "the production team to send you a new one.",
    Refusal.unknown: "This link does not work. Ask the production team to send you a new one.",
    Refusal.expired: "This link has expired. Ask the production team to send you a new one.",
    Refusal.used: "This link was already used: each link works once, and your answer is "
    "recorded. To change it, ask the production team for a new link.",
    Refusal.superseded: "A newer link was sent to you for this post. Please open the newest one.",
    Refusal.changed: "The post changed after this link was sent, so it cannot be answered "
    "here any more. Ask the production team to send you a new link.",
}


@dataclass(frozen=True)
class Medium:
    """One medium as the page shows it: an upload (``held``) or a link."""

    kind: str
    url: str
    alt: str | None
    held: Held | None


@dataclass(frozen=True)
class Held:
    media_id: int
    name: str


@router.get("/signoff/{token}")
def signoff_page(token: str, request: Request, session: SessionDep) -> Response:
    try:
        shown = link_pages.open_link(session=session, token=token)
    except LinkRefused as refused:
        return _refused(session, request, refused, "view")
    return _page(request, token, shown, errors={})


@router.post("/signoff/{token}")
def answer(token: str, request: Request, form: FormDep, session: SessionDep) -> Response:
    """Approve, or decline with a reason; a form that says neither is shown again (422)."""
    data = validated(SignoffAnswer, form)
    try:
        if isinstance(data, dict):
            shown = link_pages.open_link(session=session, token=token)
            return _page(request, token, shown, errors=data, status_code=422)
        recorded = link_pages.decide(session=session, token=token, answer=data)
    except LinkRefused as refused:
        return _refused(session, request, refused, "decide")
    session.commit()
    return page(request, "signoff_done.html", decision=recorded.decision)


@router.get("/signoff/{token}/media/{media_id}")
def signoff_medium(token: str, media_id: Id, request: Request, session: SessionDep) -> Response:
    """An upload the post shows, for the talent to see: only while the link may be used, and
    only one of this post's media."""
    try:
        shown = link_pages.open_link(session=session, token=token)
    except LinkRefused as refused:
        return _refused(session, request, refused, "view")
    if f"media:{media_id}" not in {m.url for d in shown.deliveries for m in d.media}:
        raise NotFound("media", media_id)
    production_id = get_post(session=session, post_id=shown.post_id).production_id
    medium = get_medium(session=session, production_id=production_id, media_id=media_id)
    path = path_of(get_settings().media_root, medium.sha256)
    if not path.is_file():
        raise NotFound("media file", media_id)
    return FileResponse(path, media_type=medium.content_type)


def _page(
    request: Request,
    token: str,
    shown: SignoffPage,
    *,
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    deliveries = [(d, [_medium(m.url, m.kind, m.alt) for m in d.media]) for d in shown.deliveries]
    return page(
        request,
        "signoff.html",
        status_code=status_code,
        shown=shown,
        deliveries=deliveries,
        action=f"{PREFIX}/signoff/{token}",
        media_url=lambda media_id: f"{PREFIX}/signoff/{token}/media/{media_id}",
        errors=errors,
    )


def _medium(url: str, kind: str, alt: str | None) -> Medium:
    """An upload is named ``media:<id>`` in what the link shows; the page shows its bytes."""
    if url.startswith("media:") and url[6:].isdigit():
        media_id = int(url[6:])
        return Medium(kind, url, alt, Held(media_id, f"uploaded {kind}"))
    return Medium(kind, url, alt, None)


def _refused(
    session: Session, request: Request, refused: LinkRefused, attempt: Literal["view", "decide"]
) -> Response:
    origin = request.client.host if request.client else "unknown address"
    link_pages.refuse_apart(session=session, refused=refused, origin=origin, attempt=attempt)
    return page(request, "signoff_refused.html", status_code=403, message=REFUSED[refused.why])
