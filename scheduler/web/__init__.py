"""The pages: what producers, marketers and talent use in a browser.

Server-rendered Jinja2 pages under ``/app`` (``/`` leads there), served by the same app as the
API and behind the same door (``scheduler.http``): every page is a route with a rule in the one
access policy, and its actions call the same service functions the API's routes call, so no
rule lives in a page. htmx (vendored in ``static/``, no build step, no CDN) swaps parts of a
page, rendered from the same template's blocks (jinja2-fragments).

- ``pages``: the templates, what every page shows (who is signed in, the pause banner);
- ``forms``: the form token every POST must carry (double-submit), and reading a form;
- ``errors``: a refusal on a page is a page (sign in, 403, 404), never a JSON body;
- ``routes``: one module per thing a person does.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

from scheduler.web import errors
from scheduler.web.pages import PREFIX, STATIC

__all__ = ["PREFIX", "install", "router"]
from scheduler.web.routes import (
    accounts,
    audit,
    calendar,
    editor,
    home,
    moving,
    pauses,
    problems,
    review,
    signing,
    signoff,
)

router = APIRouter(include_in_schema=False)
for module in (
    signing,
    home,
    calendar,
    moving,
    editor,
    review,
    signoff,
    pauses,
    problems,
    audit,
    accounts,
):
    router.include_router(module.router)


@router.get("/")
def root() -> RedirectResponse:
    """The site's address leads to the pages."""
    return RedirectResponse(f"{PREFIX}/", status_code=303)


def install(app: FastAPI) -> None:
    """Serve the pages on ``app``: their routes, their static files, refusals as pages."""
    app.include_router(router)
    app.mount(f"{PREFIX}/static", StaticFiles(directory=STATIC), name="static")
    errors.install(app)
