"""What a delivery says: the render context and the content hash an approval binds.

One function renders a delivery, and the API (at create, edit and approve) and the worker (at
dispatch) both call it. That is what makes "approved content is exactly what goes out" checkable:
the same inputs give the same text and the same hash in either place.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from scheduler.config import get_settings
from scheduler.models import Account, Milestone, Post, Production
from scheduler.timeline import zone
from workers.render import RenderedPost, Renderer


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
    tz = zone(production.timezone)
    due_local = due_at.astimezone(tz)
    milestone_ctx = None
    if milestone is not None:
        at_local = milestone.at.astimezone(tz)
        milestone_ctx = {
            "name": milestone.name,
            "kind": milestone.kind,
            "date": at_local.strftime("%-d %B %Y"),
            "time": at_local.strftime("%H:%M"),
            "tentative": milestone.tentative,
        }
    return {
        "production": {
            "title": production.title,
            "kind": production.kind,
            "timezone": production.timezone,
        },
        "milestone": milestone_ctx,
        "account": {"platform": account.platform, "handle": account.handle},
        "post": {"pillar": post.pillar, "tags": list(post.tags)},
        "due": {
            "date": due_local.strftime("%-d %B %Y"),
            "time": due_local.strftime("%H:%M"),
            "weekday": due_local.strftime("%A"),
        },
    }


def render_delivery(
    *,
    production: Production,
    milestone: Milestone | None,
    account: Account,
    post: Post,
    due_at: datetime,
    renderer: Renderer | None = None,
) -> RenderedPost:
    """Render ``post`` for ``account``; raises ``workers.render.RenderError``."""
    context = render_context(
        production=production, milestone=milestone, account=account, post=post, due_at=due_at
    )
    rendered = (renderer or get_renderer()).render(
        template=post.template, body=post.body, variables=post.variables, context=context
    )
    return RenderedPost(text=rendered.text, media=tuple(post.media))


def content_hash(rendered: RenderedPost, account: Account) -> str:
    """The hash an approval stores for one delivery's output."""
    return rendered.content_hash(target=target_of(account))
