"""How Callsheet's processes log: one format, chatty libraries quiet, credentials redacted.

Secrets ride in URLs more often than anyone would like: a Discord or Slack webhook carries its
token in the path, a notification hook often a ``?key=`` in the query, and Meta's token
exchange its ``client_secret`` and the token itself. httpx logs every request line at INFO
("HTTP Request: POST https://…/api/webhooks/77/<token>"), so at INFO those reached the
scheduler's and the workers' logs. Two guards:

- httpx and httpcore log at WARNING: their request lines say nothing a delivery's own log line
  does not say better.
- every line goes through ``redact`` as it is formatted (message, arguments and traceback
  alike): a URL keeps its scheme, host and path, but not its query; a webhook path keeps its id,
  not its token; ``Bearer …`` and ``secret=…``-like pairs keep their names, not their values.
  It is the last guard, not the first: code should not log secrets to begin with.

The scheduler, the API, the sandbox and ``callsheet up`` call ``configure_logging``; a Celery
worker calls it from Celery's ``setup_logging`` signal (``workers.app``), which keeps Celery
from installing handlers of its own.
"""

from __future__ import annotations

import logging
import re

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
#: Libraries whose INFO lines print whole URLs.
QUIET = ("httpx", "httpcore")

_REDACTIONS = (
    # a URL's query (``?key=…``, ``?access_token=…``): kept up to the path
    (re.compile(r"(\bhttps?://[^\s?#\"'<>]+)\?[^\s#\"'<>]*"), r"\1?…"),
    # webhook tokens in paths: Discord ``/api/webhooks/<id>/<token>``, Slack
    # ``/services/<team>/<bot>/<token>``
    (re.compile(r"(/api/webhooks/[^/\s\"'?]+/)[^/\s\"'?]+"), r"\1…"),
    (re.compile(r"(/services/[^/\s\"'?]+/[^/\s\"'?]+/)[^/\s\"'?]+"), r"\1…"),
    (re.compile(r"(\bBearer\s+)[^\s\"']+", re.IGNORECASE), r"\1…"),
    (
        re.compile(
            r"(\b(?:access_token|refresh_token|client_secret|app_password|password|secret|key"
            r"|token|signature)\s*[=:]\s*)[^\s&\"',;]+",
            re.IGNORECASE,
        ),
        r"\1…",
    ),
)


def redact(text: str) -> str:
    """``text`` with what looks like a credential in a URL or a ``name=value`` pair left out."""
    for pattern, replacement in _REDACTIONS:
        text = pattern.sub(replacement, text)
    return text


class RedactingFormatter(logging.Formatter):
    """A formatter whose every line, traceback included, goes through ``redact``."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def configure_logging(level: str | int = "INFO") -> None:
    """Log to stderr at ``level`` through ``RedactingFormatter``; quiet the chatty libraries.

    Replaces the root logger's handlers, so calling it twice does not print lines twice.
    """
    handler = logging.StreamHandler()
    handler.setFormatter(RedactingFormatter(FORMAT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)
