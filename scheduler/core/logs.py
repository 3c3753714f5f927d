"""How Callsheet's processes log: one format, chatty libraries quiet, credentials redacted.

Secrets ride in URLs more often than anyone would like: a Discord or Slack webhook carries its
token in the path, a notification hook often a ``?key=`` in the query, and Threads' token
refresh the token itself (Meta's own exchange sends its secrets in a form body instead). httpx
logs every request line at INFO ("HTTP Request: POST https://…/api/webhooks/77/<token>"), so at
INFO those reached the scheduler's and the workers' logs. Two guards:

- httpx and httpcore log at WARNING: their request lines say nothing a delivery's own log line
  does not say better.
- every line goes through ``redact`` as it is formatted (message, arguments and traceback
  alike): a URL keeps its scheme, host and path, but not its query; a webhook path keeps its id,
  not its token; ``Bearer …`` and ``secret=…``-like pairs keep their names, not their values.
  It is the last guard, not the first: code should not log secrets to begin with.

The API's own request lines are secrets' likeliest way out: uvicorn's access log prints each
request's path and query string whole, and Callsheet serves links whose path is the credential
(a talent's ``/signoff/<token>``, a calendar app's ``/calendar/<token>.ics``) while clients put
keys in query strings. uvicorn installs its own handlers unless told otherwise, so its servers
are given ``uvicorn_log_config``: its loggers then print through the same redacting handler,
which drops a request line's query (``GET /healthz?… HTTP/1.1``) and those path tokens.

The scheduler, the API, the sandbox and ``callsheet up`` call ``configure_logging``; a Celery
worker calls it from Celery's ``setup_logging`` signal (``workers.app``), which keeps Celery
from installing handlers of its own.

Two formats (``CALLSHEET_LOG_FORMAT``): ``text`` for a terminal, ``json`` (one object per line,
the ``extra=`` fields of a record among its keys) for a log pipeline. Both are quiet by
default: a tick that claimed nothing says nothing at INFO.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime
from typing import Any

from scheduler.core.config import get_settings

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
#: Libraries whose INFO lines print whole URLs (httpx, httpcore), or say every second that a
#: tick ran (APScheduler): what the scheduler did is logged by the scheduler, when it did
#: something.
QUIET = ("httpx", "httpcore", "apscheduler")
#: uvicorn's loggers: its server's messages and its access log (one line per request).
UVICORN = ("uvicorn", "uvicorn.error", "uvicorn.access")

_REDACTIONS = (
    # a URL's query (``?key=…``, ``?access_token=…``): kept up to the path
    (re.compile(r"(\bhttps?://[^\s?#\"'<>]+)\?[^\s#\"'<>]*"), r"\1?…"),
    # webhook tokens in paths: Discord ``/api/webhooks/<id>/<token>``, Slack
    # ``/services/<team>/<bot>/<token>``
    (re.compile(r"(/api/webhooks/[^/\s\"'?]+/)[^/\s\"'?]+"), r"\1…"),
    (re.compile(r"(/services/[^/\s\"'?]+/[^/\s\"'?]+/)[^/\s\"'?]+"), r"\1…"),
    # a request line's query, as an access log prints it: ``"GET /healthz?key=… HTTP/1.1"``
    (
        re.compile(r"(\b(?:GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS) /[^\s?#\"']*)\?[^\s#\"']*"),
        r"\1?…",
    ),
    # links whose path is the credential: a talent's sign-off, a calendar subscription
    (re.compile(r"(/signoff/)[^/\s\"'?#]+"), r"\1…"),
    (re.compile(r"(/calendar/)[^/\s\"'?#]+?(\.ics)?(?=[/\s\"'?#]|$)"), r"\1…\2"),
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


#: A record's own attributes: everything else on it came from ``extra=`` (the ids of a
#: delivery's state change) and is a field of its JSON line.
_RECORD_FIELDS = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for machines (``CALLSHEET_LOG_FORMAT=json``): ``at`` (UTC,
    ISO 8601), ``level``, ``logger``, ``message``, any ``extra=`` fields (``delivery_id``,
    ``post_id``, ``account_id``, ``production_id``, ``status`` …) and ``exception``. Every text
    goes through ``redact``, as the human format's lines do."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "at": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        for key, value in vars(record).items():
            if key not in _RECORD_FIELDS and not key.startswith("_"):
                entry[key] = _plain(value)
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


def _plain(value: object) -> object:
    """A field's value as JSON can hold it, text redacted."""
    if value is None or isinstance(value, bool | int | float):
        return value
    return redact(str(value))


def formatter(log_format: str) -> logging.Formatter:
    """The human format for a terminal (``text``), or one JSON object per line (``json``)."""
    return JsonFormatter() if log_format == "json" else RedactingFormatter(FORMAT)


def configure_logging(level: str | int = "INFO", log_format: str | None = None) -> None:
    """Log to stderr at ``level`` in ``log_format`` (default: the ``log_format`` setting),
    every line redacted; quiet the chatty libraries.

    Replaces the root logger's handlers, so calling it twice does not print lines twice.
    """
    handler = logging.StreamHandler()
    handler.setFormatter(formatter(log_format or get_settings().log_format))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.captureWarnings(True)  # a library's warning is a log line too, in the same format
    for name in QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)


def uvicorn_log_config(level: str | int = "INFO") -> dict[str, Any]:
    """uvicorn's ``log_config``: what ``configure_logging`` sets up, uvicorn's loggers included.

    Without it uvicorn gives its loggers handlers of their own (not propagating to the root),
    and its access log prints every request's path and query string as they came.
    """
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"redacting": {"()": formatter, "log_format": get_settings().log_format}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "redacting",
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"handlers": ["stderr"], "level": level},
        "loggers": {
            **{name: {"level": "WARNING"} for name in QUIET},
            **{name: {"handlers": [], "propagate": True} for name in UVICORN},
        },
    }
