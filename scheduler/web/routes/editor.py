"""The post editor: a marketer writes a post (a template or their own text), anchors it in
time, picks its accounts, people and media, sees it as each account's platform would show it
while typing, saves it and sends it for review.

The same service functions as ``POST /posts``, ``PATCH /posts/{id}`` and
``POST /posts/{id}/submit`` (``scheduler.posts``), the form read through their own schemas, so
the limits and the messages are the API's. The live preview renders the form as it stands,
saving nothing, through ``scheduler.posts.preview.preview_draft`` (as ``POST /posts/preview``):
the same rendering and the same platform rules a saved post's preview uses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from scheduler.core.errors import Invalid
from scheduler.core.models import Post, PostStatus, Production
from scheduler.core.schemas import Id
from scheduler.http.access import Access, AccessDep
from scheduler.http.deps import SessionDep
from scheduler.planning.productions import get_production
from scheduler.posts import approval, lifecycle
from scheduler.posts.preview import preview_draft
from scheduler.posts.schemas import DraftDelivery, PostCreate, PostEdit
from scheduler.web.editing import LABELS, Fields, beside, choices
from scheduler.web.forms import FormDep, checked
from scheduler.web.highlight import Piece, pieces
from scheduler.web.pages import PREFIX, page

router = APIRouter(prefix=PREFIX)

#: Posts a marketer edits here; any other is shown, with what it is waiting for.
EDITABLE = (PostStatus.draft.value, PostStatus.rejected.value)


@dataclass(frozen=True)
class Shown:
    """One account's preview: the delivery, and its text (or thread) in marked pieces."""

    delivery: DraftDelivery
    parts: list[list[Piece]]
    #: Each medium's alt text as typed, in the post's order (the verdict says only whether).
    alts: list[str]

    @property
    def over(self) -> int:
        """How far the whole text is over the platform's limit (0: within it)."""
        return max(0, self.delivery.verdict.length - self.delivery.verdict.limit)


@router.get("/productions/{production_id}/posts/new")
def new_post(
    production_id: Id,
    request: Request,
    access: AccessDep,
    session: SessionDep,
    template: str = "",
) -> Response:
    production = get_production(session=session, production_id=production_id)
    return _editor(request, session, access, production, None, Fields(template=template), {})


@router.post("/productions/{production_id}/posts")
def create_post(
    production_id: Id, request: Request, form: FormDep, access: AccessDep, session: SessionDep
) -> Response:
    production = get_production(session=session, production_id=production_id)
    fields = Fields.from_form(form)
    data = checked(PostCreate, fields.body_of(production))
    if isinstance(data, dict):
        return _editor(request, session, access, production, None, fields, data, status=422)
    writer = access.person.id if access.person else None
    try:
        post = lifecycle.create_post(
            session=session, data=data, actor=access.actor, writer_id=writer
        )
    except Invalid as refused:
        session.rollback()
        errors = {refused.field: refused.message}
        return _editor(request, session, access, production, None, fields, errors, status=422)
    session.commit()
    return RedirectResponse(f"{PREFIX}/posts/{post.id}/edit?saved=1", status_code=303)


@router.get("/posts/{post_id}/edit")
def edit_page(
    post_id: Id,
    request: Request,
    access: AccessDep,
    session: SessionDep,
    template: str | None = None,
) -> Response:
    post = lifecycle.get_post(session=session, post_id=post_id)
    production = get_production(session=session, production_id=post.production_id)
    deliveries = lifecycle.deliveries_of(session=session, post_id=post_id)
    fields = Fields.of_post(post, deliveries, production.timezone)
    if template is not None:
        fields.template = template
    return _editor(request, session, access, production, post, fields, {})


@router.post("/posts/{post_id}/edit")
def save_post(
    post_id: Id, request: Request, form: FormDep, access: AccessDep, session: SessionDep
) -> Response:
    post = lifecycle.get_post(session=session, post_id=post_id)
    production = get_production(session=session, production_id=post.production_id)
    fields = Fields.from_form(form)
    data = checked(PostEdit, fields.edit_of(production.timezone))
    if isinstance(data, dict):
        return _editor(request, session, access, production, post, fields, data, status=422)
    writer = access.person.id if access.person else None
    try:
        lifecycle.edit_post(
            session=session, post_id=post_id, data=data, actor=access.actor, writer_id=writer
        )
    except Invalid as refused:
        session.rollback()
        errors = {refused.field: refused.message}
        return _editor(request, session, access, production, post, fields, errors, status=422)
    session.commit()
    return RedirectResponse(f"{PREFIX}/posts/{post_id}/edit?saved=1", status_code=303)


@router.post("/posts/{post_id}/submit")
def submit_post(post_id: Id, form: FormDep, access: AccessDep, session: SessionDep) -> Response:
    """Send the post, as last saved, to review (409 if it changed since the page was read)."""
    version = str(form.get("version", ""))
    approval.submit_post(
        session=session,
        post_id=post_id,
        version=int(version) if version.isdigit() else -1,
        actor=access.actor,
    )
    session.commit()
    return RedirectResponse(f"{PREFIX}/posts/{post_id}/edit?submitted=1", status_code=303)


@router.post("/productions/{production_id}/posts/preview")
def preview(
    production_id: Id, request: Request, form: FormDep, access: AccessDep, session: SessionDep
) -> Response:
    """The form as each chosen account would show it; nothing is saved (always a 200, so htmx
    swaps it in: what keeps the form from being saved is shown in the preview)."""
    production = get_production(session=session, production_id=production_id)
    fields = Fields.from_form(form)
    context = _preview(session, production, fields)
    session.rollback()
    return page(request, "editor.html", block="preview", labels=LABELS, **context)


def _preview(session: Session, production: Production, fields: Fields) -> dict[str, Any]:
    """What the preview block shows: each account's preview, or why there is none yet."""
    data = checked(PostCreate, fields.body_of(production))
    if isinstance(data, dict):
        return {"shown": [], "waiting": data, "fields": fields, "production": production}
    try:
        drafts = preview_draft(session=session, data=data)
    except Invalid as refused:
        waiting = {refused.field: refused.message}
        return {"shown": [], "waiting": waiting, "fields": fields, "production": production}
    alts = [medium.alt or "" for medium in data.media]
    shown = [Shown(d, [pieces(part) for part in d.verdict.parts or [d.text]], alts) for d in drafts]
    return {"shown": shown, "waiting": {}, "fields": fields, "production": production}


def _editor(
    request: Request,
    session: Session,
    access: Access,
    production: Production,
    post: Post | None,
    fields: Fields,
    errors: dict[str, str],
    *,
    status: int = 200,
) -> Response:
    offered = choices(session, production)
    shown: dict[str, Any] = {"shown": [], "waiting": {}, "fields": fields, "production": production}
    if fields.account_ids:
        shown = _preview(session, production, fields)
        session.rollback()
    return page(
        request,
        "editor.html",
        session=session,
        access=access,
        status_code=status,
        post=post,
        editable=post is None or post.status in EDITABLE,
        errors=beside(errors),
        labels=LABELS,
        choices=offered,
        chosen=offered.template(fields.template),
        **shown,
    )
