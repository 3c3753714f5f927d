"""What a delivery says: the render context and the content hash an approval binds.

One function renders a delivery, and the API (at create, edit and approve) and the worker (at
dispatch) both call it; one function hashes it, reading the bytes of the media files Callsheet
holds, so a file replaced after approval no longer matches. That is what makes "approved
content is exactly what goes out" checkable: the same inputs give the same text and the same
hash in either place.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from platforms.adapters.base import Media
from platforms.media.digest import held_file_digest
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
    return RenderedPost(text=rendered.text, media=tuple(Media(**m) for m in post.media))


def content_hash(rendered: RenderedPost, account: Account) -> str:
    """The hash an approval stores for one delivery's output: its text, its media (the bytes
    of each file Callsheet holds, a link by its URL) and its account."""
    return rendered.content_hash(target=target_of(account), file_digest=held_file_digest)


def media_bound(rendered: RenderedPost) -> list[dict[str, Any]]:
    """The media as ``content_hash`` binds them (a held file with its bytes' ``sha256``)."""
    return rendered.media_json(held_file_digest)
