"""A production's media: uploading images and videos, listing them, serving them back.

The upload is streamed (``scheduler.media.intake``) into the media store while it is counted:
past the limit it is a 413 and nothing is kept; bytes that are not a JPEG, PNG, GIF, WebP, MP4
or MOV (whatever the file is called or declared as) are a 415. ``authorize``'s queries began
this request's transaction, which on SQLite holds the write lock (``BEGIN IMMEDIATE``): it is
ended before the body streams in, so a slow upload keeps no other writer waiting, and the row
is written in a transaction of its own once the file is stored.

A file is served to its production's members only, as what its bytes are, with ``nosniff``;
an image inline, a video as an attachment, under a name Callsheet makes.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, status
from fastapi.responses import FileResponse, JSONResponse
from python_multipart.exceptions import FormParserError
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from scheduler.core.config import get_settings
from scheduler.core.errors import Invalid, NotFound
from scheduler.core.schemas import Id
from scheduler.http.access import Access, AccessDep
from scheduler.http.deps import SessionDep
from scheduler.http.problems import field_error, problem
from scheduler.media.intake import FILE_FIELD, FormIntake, boundary_of
from scheduler.media.library import get_medium, list_media, record_upload
from scheduler.media.schemas import MediaPublic
from scheduler.media.store import ENDINGS, Intake, NotMedia, StoredFile, TooLarge, path_of
from scheduler.planning.productions import get_production

router = APIRouter(prefix="/productions", tags=["media"])

#: Room for the multipart framing (boundaries, part headers) around the file itself.
FRAMING_BYTES = 64 * 1024

UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": [FILE_FIELD],
                    "properties": {FILE_FIELD: {"type": "string", "format": "binary"}},
                }
            }
        },
    }
}


@router.post(
    "/{production_id}/media",
    status_code=status.HTTP_201_CREATED,
    response_model=MediaPublic,
    openapi_extra=UPLOAD_BODY,
    responses={413: {"description": "Too large"}, 415: {"description": "Not an image or video"}},
)
async def upload_media(
    production_id: Id, request: Request, session: SessionDep, access: AccessDep
) -> MediaPublic | JSONResponse:
    """Upload an image or video (multipart/form-data, field ``file``) to the production."""
    await run_in_threadpool(_known_production, session, production_id)
    settings = get_settings()
    boundary = boundary_of(request.headers.get("content-type", ""))
    most = settings.media_max_bytes + FRAMING_BYTES
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > most:
        return _refused(413, f"the file is larger than {settings.media_max_bytes} bytes")
    intake = await run_in_threadpool(
        Intake,
        settings.media_root,
        limit=settings.media_max_bytes,
        image_limit=settings.media_max_image_bytes,
    )
    form = FormIntake(boundary, intake)
    try:
        stored = await _receive(request, form, intake, most)
    except TooLarge as exc:
        return _refused(413, str(exc))
    except NotMedia as exc:
        return _refused(415, str(exc))
    except FormParserError:
        raise Invalid(FILE_FIELD, "the body is not well-formed multipart/form-data") from None
    medium = await run_in_threadpool(
        _record, session, production_id, stored, form.original_name, access
    )
    return MediaPublic.of(medium)


@router.get("/{production_id}/media", response_model=list[MediaPublic])
def production_media(production_id: Id, session: SessionDep) -> list[MediaPublic]:
    """The production's uploads, newest first."""
    get_production(session=session, production_id=production_id)
    return [MediaPublic.of(m) for m in list_media(session=session, production_id=production_id)]


@router.get(
    "/{production_id}/media/{media_id}",
    response_class=FileResponse,
    responses={200: {"content": {"image/*": {}, "video/*": {}}}},
)
def media_file(production_id: Id, media_id: Id, session: SessionDep) -> FileResponse:
    """The upload's bytes, as what they are: an image shown inline, a video downloaded."""
    medium = get_medium(session=session, production_id=production_id, media_id=media_id)
    path = path_of(get_settings().media_root, medium.sha256)
    if not path.is_file():
        raise NotFound("media file", media_id)
    shown = "inline" if medium.kind == "image" else "attachment"
    name = f"media-{medium.id}{ENDINGS.get(medium.content_type, '')}"
    return FileResponse(
        path,
        media_type=medium.content_type,
        headers={
            "Content-Disposition": f'{shown}; filename="{name}"',
            "X-Content-Type-Options": "nosniff",
        },
    )


async def _receive(request: Request, form: FormIntake, intake: Intake, most: int) -> StoredFile:
    """Stream the body into the store; whatever goes wrong, nothing of it is kept."""
    total = 0
    try:
        async for chunk in request.stream():
            total += len(chunk)
            if total > most:
                raise TooLarge(f"the file is larger than {intake.limit} bytes")
            await run_in_threadpool(form.feed, chunk)
        await run_in_threadpool(form.finish)
        return await run_in_threadpool(intake.keep)
    except BaseException:
        intake.discard()
        raise


def _known_production(session: Session, production_id: int) -> None:
    """404 for no such production, then end the transaction ``authorize`` began."""
    try:
        get_production(session=session, production_id=production_id)
    finally:
        session.commit()


def _record(
    session: Session, production_id: int, stored: StoredFile, name: str, access: Access
) -> Any:
    """The upload's row, in a transaction of its own; the same bytes uploaded twice at once
    make one row (the second finds the first's)."""
    person_id = access.person.id if access.person is not None else None
    for attempt in (1, 2):
        try:
            medium = record_upload(
                session=session,
                production_id=production_id,
                stored=stored,
                original_name=name,
                actor=access.actor,
                person_id=person_id,
            )
            session.commit()
            return medium
        except IntegrityError:
            session.rollback()
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _refused(code: int, message: str) -> JSONResponse:
    """A 413 or 415 as every refusal is: a problem document naming the file field."""
    return problem(code, f"{FILE_FIELD}: {message}", [field_error(["body", FILE_FIELD], message)])
