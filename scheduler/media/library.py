"""A production's media library: uploads recorded, listed and found, and posts' media resolved.

A post names an upload by its id; ``attach`` turns what a person gave (``MediaIn``) into what a
post keeps, refusing an id that is not one of the post's production's uploads with the same
words whether it belongs to another production or to none, so nothing is learnt about other
productions. What a post keeps of an upload (its digest and the facts read from its bytes) is
copied from the row, which never changes, so rendering and the rules need no query.

``placed`` is where the bytes are about to be sent (the worker): each upload a post names is
found again by its id, must still be its production's with the same digest, and its place in
the store is made from that row's digest alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, Protocol

from sqlmodel import Session, col, select

from platforms.adapters.base import Media
from scheduler.core.errors import Invalid, NotFound
from scheduler.core.models import StoredMedium
from scheduler.events.record import save_recorded
from scheduler.media.store import StoredFile, path_of

#: The one answer for an id that is not this production's upload (another's, or none).
NO_SUCH_MEDIA = "no such media in this production; upload it first"


class MediumGiven(Protocol):
    """What a person gives for one medium: a link, or an upload's id (``MediaIn``)."""

    media_id: int | None
    alt: str | None

    def model_dump(self, *, exclude: set[str]) -> dict[str, Any]: ...


def record_upload(
    *,
    session: Session,
    production_id: int,
    stored: StoredFile,
    original_name: str,
    actor: str,
    person_id: int | None,
) -> StoredMedium:
    """The production's row for ``stored``: the existing one for the same bytes, or a new one,
    audited (``media.uploaded``)."""
    found = session.exec(
        select(StoredMedium).where(
            StoredMedium.production_id == production_id, StoredMedium.sha256 == stored.sha256
        )
    ).first()
    if found is not None:
        return found
    medium = StoredMedium(
        production_id=production_id,
        sha256=stored.sha256,
        content_type=stored.content_type,
        kind=stored.kind,
        bytes=stored.bytes,
        width=stored.width,
        height=stored.height,
        seconds=stored.seconds,
        original_name=original_name,
        uploaded_by=actor,
        uploaded_by_id=person_id,
    )
    after = {
        "production_id": production_id,
        "sha256": stored.sha256,
        "content_type": stored.content_type,
        "bytes": stored.bytes,
        "original_name": original_name,
    }
    save_recorded(session, medium, actor=actor, action="media.uploaded", after=after)
    session.flush()
    return medium


def list_media(*, session: Session, production_id: int) -> list[StoredMedium]:
    """The production's uploads, newest first."""
    query = (
        select(StoredMedium)
        .where(StoredMedium.production_id == production_id)
        .order_by(col(StoredMedium.id).desc())
    )
    return list(session.exec(query))


def get_medium(*, session: Session, production_id: int, media_id: int) -> StoredMedium:
    """One upload of the production; ``NotFound`` for another production's, as for none."""
    medium = session.get(StoredMedium, media_id)
    if medium is None or medium.production_id != production_id:
        raise NotFound("media", media_id)
    return medium


def attach(
    *, session: Session, production_id: int, given: Sequence[MediumGiven]
) -> list[dict[str, Any]]:
    """What a post keeps for ``given``: links as they are, uploads with their digest and facts.
    An id that is not this production's upload is a 422 on ``media.N.media_id``."""
    kept = []
    for index, medium in enumerate(given):
        if medium.media_id is None:
            kept.append(medium.model_dump(exclude={"media_id"}))
            continue
        row = session.get(StoredMedium, medium.media_id)
        if row is None or row.production_id != production_id:
            raise Invalid(f"media.{index}.media_id", NO_SUCH_MEDIA)
        kept.append(
            {
                "media_id": row.id,
                "sha256": row.sha256,
                "kind": row.kind,
                "alt": medium.alt,
                "content_type": row.content_type,
                "bytes": row.bytes,
                "width": row.width,
                "height": row.height,
                "seconds": row.seconds,
                "name": row.original_name,
            }
        )
    return kept


def uploads_of(
    session: Session, media_lists: Sequence[Sequence[Mapping[str, Any]]]
) -> dict[int, StoredMedium]:
    """The rows of every upload these posts' media name, by id (one query)."""
    ids = {
        m["media_id"] for media in media_lists for m in media if isinstance(m.get("media_id"), int)
    }
    if not ids:
        return {}
    rows = session.exec(select(StoredMedium).where(col(StoredMedium.id).in_(ids)))
    return {row.id or 0: row for row in rows}


class NotInStore(Exception):
    """An upload a post names is no longer its production's with that digest."""


def placed(
    media: Sequence[Media], *, uploads: Mapping[int, StoredMedium], production_id: int, root: Path
) -> tuple[Media, ...]:
    """``media`` with each upload's place in the store, from its row's digest alone."""
    ready = []
    for number, medium in enumerate(media, 1):
        held = medium.held
        if held is None:
            ready.append(medium)
            continue
        row = uploads.get(held.media_id)
        if row is None or row.production_id != production_id or row.sha256 != held.sha256:
            raise NotInStore(f"media {number} (upload {held.media_id}) is not in the media store")
        ready.append(replace(medium, held=replace(held, path=path_of(root, row.sha256))))
    return tuple(ready)
