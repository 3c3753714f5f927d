"""Reading form bodies (``multipart/form-data`` and urlencoded) with the standard library.

Mastodon's ``POST /api/v2/media`` and X's ``POST /2/media/upload`` take the file as a form part;
the OAuth token endpoints take urlencoded forms. Starlette parses forms only with the optional
``python-multipart`` package; an upload form is also a MIME multipart message, which ``email``
reads, and a urlencoded one is what ``urllib.parse`` reads, so the sandbox needs no extra
dependency.
"""

from __future__ import annotations

from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from urllib.parse import parse_qs

from fastapi import Request


@dataclass(frozen=True)
class FormPart:
    """One field of a form: text fields have no ``filename``."""

    name: str
    data: bytes
    filename: str | None = None
    content_type: str | None = None

    @property
    def text(self) -> str:
        return self.data.decode("utf-8", "replace")


async def multipart_form(request: Request) -> dict[str, FormPart] | None:
    """The form's fields by name (the last one wins), or ``None`` if the body is not multipart."""
    content_type = request.headers.get("content-type", "")
    if not content_type.lower().startswith("multipart/form-data"):
        return None
    body = await request.body()
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = BytesParser(policy=policy.default).parsebytes(head + body)
    if not isinstance(message, EmailMessage) or not message.is_multipart():
        return None
    fields: dict[str, FormPart] = {}
    for part in message.iter_parts():
        if not isinstance(part, EmailMessage):
            continue
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        filename = part.get_filename()
        declared = part.get("content-type")
        fields[name] = FormPart(
            name=name,
            data=data,
            filename=filename,
            content_type=part.get_content_type() if declared else None,
        )
    return fields


async def urlencoded_form(request: Request) -> dict[str, str]:
    """An ``application/x-www-form-urlencoded`` body's fields (the last value of each wins, empty
    ones are dropped), as X's, TikTok's and Google's token endpoints read them."""
    return {k: v[-1] for k, v in parse_qs((await request.body()).decode()).items()}
