"""The signed links featured talent answer through: no account, one use, an expiry.

Cast and crew featured in a post are not Callsheet users, so each sign-off request carries its
own credential: ``/app/signoff/<token>`` (the page the talent reads and answers on; the API's
``/signoff/<token>`` answers JSON with the same token), where the token is ``itsdangerous``'s
``URLSafeTimedSerializer`` over the request's random ``link_id``. The signature proves the link
was made here; its timestamp bounds its age even if a row's ``expires_at`` were wrong; the
``link_id`` ties it to one ``TalentSignoff`` row, which records its single use.

The signing key is not a ``CALLSHEET_SECRET_KEYS`` key itself but an HMAC of it with a purpose
string, so a link's signature can never double as anything the vault makes. As with the vault,
the first key signs and every key is accepted, so rotating keys does not kill live links.

A token is a bearer credential, so it is kept out of the audit trail and out of access logs
(``hide_link_tokens``): anyone who reads one could answer for the talent.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
from enum import StrEnum
from functools import lru_cache

from itsdangerous import BadData, SignatureExpired, URLSafeTimedSerializer

from scheduler.core.config import get_settings

SALT = "talent-sign-off"
#: What the derived key is for; changing it invalidates every link.
PURPOSE = b"callsheet talent sign-off links v1"
#: The talent's page (``scheduler.web.routes.signoff``): what the link they receive opens.
PATH = "/app/signoff/"
#: HMAC-SHA256 rather than itsdangerous's default SHA-1.
SIGNER_KWARGS = {"digest_method": hashlib.sha256}


class Refusal(StrEnum):
    """Why a link was refused (the audit trail's ``after.refusal``)."""

    tampered = "tampered"  # the signature does not match: altered, cut short, made up
    expired = "expired"
    unknown = "unknown"  # signed here, but no request has this link id
    used = "used"  # the talent already answered through it
    superseded = "superseded"  # a newer link was sent for the same post
    changed = "changed"  # the post's version or rendered content moved on


class LinkRefused(Exception):
    """A link that may not be used (403). Nothing is changed; the caller audits the refusal.

    ``signoff_id`` names the request when the link was genuine enough to find it.
    """

    def __init__(self, why: Refusal, message: str, *, signoff_id: int | None = None) -> None:
        super().__init__(message)
        self.why = why
        self.message = message
        self.signoff_id = signoff_id


def new_link_id() -> str:
    """A fresh one-time link id: 256 random bits (43 URL-safe characters)."""
    return secrets.token_urlsafe(32)


def make_token(link_id: str) -> str:
    """The signed token for a request's ``link_id``; shown once, in the request's answer."""
    return _serializer(get_settings().secret_keys.get_secret_value()).dumps({"link_id": link_id})


def link_path(token: str) -> str:
    """Where a link opens, after the site's address: the talent's page."""
    return f"{PATH}{token}"


def read_token(token: str) -> str:
    """The ``link_id`` a token carries, or ``LinkRefused`` (tampered or expired)."""
    settings = get_settings()
    max_age = int(settings.talent_link_days * 86400)
    try:
        payload = _serializer(settings.secret_keys.get_secret_value()).loads(token, max_age=max_age)
    except SignatureExpired:
        raise LinkRefused(Refusal.expired, _EXPIRED) from None
    except BadData:
        raise LinkRefused(Refusal.tampered, _TAMPERED) from None
    link_id = payload.get("link_id") if isinstance(payload, dict) else None
    if not isinstance(link_id, str) or not link_id:
        raise LinkRefused(Refusal.tampered, _TAMPERED)
    return link_id


_TAMPERED = (
    "this sign-off link is not valid: it was changed or cut short; open the link exactly as "
    "it was sent, or ask the production team for a new one"
)
_EXPIRED = "this sign-off link has expired; ask the production team for a new one"


def derived_keys(keys: str) -> list[bytes]:
    """Link-signing keys from the ``CALLSHEET_SECRET_KEYS`` list, oldest first.

    ``itsdangerous`` signs with the last key of the list and verifies with any of them, so the
    list is reversed: the first configured key (the vault's encrypting key) signs.
    """
    parts = [key.strip() for key in keys.split(",") if key.strip()]
    derived = [hmac.new(key.encode(), PURPOSE, hashlib.sha256).digest() for key in parts]
    return list(reversed(derived))


@lru_cache(maxsize=4)
def _serializer(keys: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(derived_keys(keys), salt=SALT, signer_kwargs=SIGNER_KWARGS)


#: Sign-off links (the API's ``/signoff/`` and the page's ``/app/signoff/`` alike), and the
#: one-time sign-in links ``callsheet up --sign-in-link`` prints.
_TOKEN_IN_PATH = re.compile(r"(/signoff/|/sign-in/link/)[^/?#\s\"']+")


def redact(text: str) -> str:
    """``text`` with the token of any sign-off or sign-in link in it replaced by ``<token>``."""
    return _TOKEN_IN_PATH.sub(r"\1<token>", text)


class HideLinkTokens(logging.Filter):
    """A log filter that redacts sign-off tokens from a record's message and arguments.

    uvicorn's access log writes every request path; without this, the log would hold a usable
    credential for every link a talent opened.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        return True


def hide_link_tokens(*logger_names: str) -> None:
    """Put ``HideLinkTokens`` on the named loggers (default: uvicorn's) once."""
    for name in logger_names or ("uvicorn.access", "uvicorn.error"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, HideLinkTokens) for f in logger.filters):
            logger.addFilter(HideLinkTokens())
