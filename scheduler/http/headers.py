"""Security headers on every answer the API gives.

The API answers JSON, and a few HTML pages (``/docs``, ``/redoc``, and the web app to come).
A browser that meets an answer out of context (a JSON body opened as a page, a page framed by
another site, a sign-off link's token in a ``Referer``) should treat it as strictly as it can:

- ``X-Content-Type-Options: nosniff``: a JSON body is never run as a script or shown as HTML;
- ``Content-Security-Policy``: nothing loads, runs or frames on a JSON answer
  (``default-src 'none'``); the pages (``pages``, the prefix they live under) load their own
  scripts and styles and nothing inline, so a post body that got past escaping still could not
  run; the documentation pages load FastAPI's Swagger UI and ReDoc from their CDN and run its
  one inline start-up script, and nothing else;
- ``X-Frame-Options: DENY`` and ``frame-ancestors 'none'``: no page of Callsheet inside
  another site's frame (clickjacking an approve button);
- ``Referrer-Policy: no-referrer``: a talent's sign-off link carries its token in the path, and
  must not travel to wherever its page links;
- ``Strict-Transport-Security`` in production, where Callsheet is served over HTTPS.

Six fixed values: a plain ASGI middleware says them, where a headers library would add a
dependency to set constants.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: Everything but the documentation pages.
STRICT_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
#: ``/docs`` and ``/redoc``: FastAPI's pages load their scripts, styles and logo from these.
DOCS_POLICY = (
    "default-src 'none'; script-src 'self' https://cdn.jsdelivr.net 'unsafe-inline'; "
    "style-src 'self' https://cdn.jsdelivr.net https://fonts.googleapis.com 'unsafe-inline'; "
    "font-src https://fonts.gstatic.com; img-src 'self' data: https://fastapi.tiangolo.com "
    "https://cdn.redoc.ly; connect-src 'self'; worker-src blob:; frame-ancestors 'none'; "
    "base-uri 'none'"
)
DOCS_PATHS = ("/docs", "/redoc")
#: The pages (``scheduler.web``): their own scripts, styles and images, nothing inline, nothing
#: from elsewhere; forms post only to Callsheet.
PAGES_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


class SecurityHeaders:
    """ASGI middleware: adds the headers above to every HTTP answer (an answer that already
    names one, keeps its own)."""

    def __init__(self, app: ASGIApp, *, https: bool, pages: str) -> None:
        self.app = app
        self.https = https
        self.pages = pages

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        if path.startswith(DOCS_PATHS):
            policy = DOCS_POLICY
        elif path == self.pages or path.startswith(f"{self.pages}/"):
            policy = PAGES_POLICY
        else:
            policy = STRICT_POLICY
        extra = [
            (b"x-content-type-options", b"nosniff"),
            (b"x-frame-options", b"DENY"),
            (b"referrer-policy", b"no-referrer"),
            (b"content-security-policy", policy.encode()),
            (b"cross-origin-opener-policy", b"same-origin"),
        ]
        if self.https:
            extra.append((b"strict-transport-security", b"max-age=31536000; includeSubDomains"))

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(name, value) for name, value in extra if name not in present]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)
