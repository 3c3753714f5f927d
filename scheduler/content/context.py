"""What a delivery says: the render context and the content hash an approval binds.

One function renders a delivery, and the API (at create, edit and approve) and the worker (at
dispatch) both call it; one function hashes it, binding each upload Callsheet holds by its
digest (``platforms.media.held``; the worker checks the bytes it sends against it), so other
bytes never go out on an approval. That is what makes "approved
content is exactly what goes out" checkable: the same inputs give the same text and the same
hash in either place.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from platforms.adapters.base import Media
from platforms.media.held import HeldFile
from scheduler.content.render import RenderedPost, Renderer
from scheduler.core.config import get_settings
from scheduler.core.models import Account, Milestone, Post, Production
from scheduler.planning.timeline import zone


@lru_cache(maxsize=4)
def _renderer_for(templates_dir: Path) -> Renderer:
    return Renderer(templates_dir)


def get_renderer() -> Renderer:
    """The process's renderer over the configured templates directory."""
    return _renderer_for(get_settings().templates_dir)


def target_of(account: Account) -> str:
    """The name an account has inside a content hash."""
    return f"{account.platform}:{account.handle}"


def render_context(
    *,
    production: Production,
    milestone: Milestone | None,
    account: Account,
    post: Post,
    due_at: datetime,
) -> dict[str, Any]:
    """The names every template may use besides the post's own variables.

    Times are given in the production's timezone, as the audience reads them.
    """
    milestone_ctx = None
    if milestone is not None:
        at_date, at_time, _ = _as_read(milestone.at, production.timezone)
        milestone_ctx = {
            "name": milestone.name,
            "kind": milestone.kind,
            "date": at_date,
            "time": at_time,
            "tentative": milestone.tentative,
        }
    due_date, due_time, due_weekday = _as_read(due_at, production.timezone)
    return {
        "production": {
            "title": production.title,
            "kind": production.kind,
            "timezone": production.timezone,
        },
        "milestone": milestone_ctx,
        "account": {"platform": account.platform, "handle": account.handle},
        "post": {"pillar": post.pillar, "tags": list(post.tags)},
        "due": {"date": due_date, "time": due_time, "weekday": due_weekday},
    }


@lru_cache(maxsize=1024)
def _as_read(instant: datetime, timezone: str) -> tuple[str, str, str]:
    """Date, time and weekday of ``instant`` in ``timezone``, as the audience reads them.

    Cached, as plain strings (every render gets dicts of its own: a template could change a
    shared one): a reflow renders a thousand posts against one milestone and a few dozen due
    dates, and this formatting was a quarter of what a render cost.
    """
    local = instant.astimezone(zone(timezone))
    return local.strftime("%-d %B %Y"), local.strftime("%H:%M"), local.strftime("%A")


def render_delivery(
    *,
    production: Production,
    milestone: Milestone | None,
    account: Account,
    post: Post,
    due_at: datetime,
    renderer: Renderer | None = None,
) -> RenderedPost:
    """Render ``post`` for ``account``; raises ``scheduler.content.render.RenderError``."""
    context = render_context(
        production=production, milestone=milestone, account=account, post=post, due_at=due_at
    )
    rendered = (renderer or get_renderer()).render(
        template=post.template, body=post.body, variables=post.variables, context=context
    )
    return RenderedPost(text=rendered.text, media=tuple(medium_of(m) for m in post.media))


def medium_of(kept: dict[str, Any]) -> Media:
    """One medium as a post keeps it (``scheduler.media.library.attach``): an upload by its
    id, digest and facts, or a link. The upload's file is not placed here: only the worker
    places it (``scheduler.media.library.placed``)."""
    if kept.get("media_id") is None:
        return Media(url=kept.get("url", ""), kind=kept.get("kind", "image"), alt=kept.get("alt"))
    held = HeldFile(
        media_id=kept["media_id"],
        sha256=kept["sha256"],
        content_type=kept["content_type"],
        bytes=kept["bytes"],
        name=kept.get("name") or f"upload {kept['media_id']}",
        width=kept.get("width"),
        height=kept.get("height"),
        seconds=kept.get("seconds"),
    )
    return Media(url=f"media:{held.media_id}", kind=kept["kind"], alt=kept.get("alt"), held=held)


def content_hash(rendered: RenderedPost, account: Account) -> str:
    """The hash an approval stores for one delivery's output: its text, its media (each
    upload by its digest, a link by its URL) and its account."""
    return rendered.content_hash(target=target_of(account))


def media_bound(rendered: RenderedPost) -> list[dict[str, Any]]:
    """The media as ``content_hash`` binds them (an upload with its bytes' ``sha256``)."""
    return rendered.media_json()
