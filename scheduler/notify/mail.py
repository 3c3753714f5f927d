"""Sending one email through the configured mail server (``CALLSHEET_SMTP_URL``).

The standard library's ``smtplib``, with a timeout on every step, so a mail server that hangs
costs ``smtp_timeout_seconds``, not a request's whole life. A refusal becomes ``MailNotSent``
with the server's own code and words ("the mail server answered 550 …"), shortened, and with
the server's password and anything the caller names as secret (a link's token) taken out: the
reason is stored and shown to the people who asked.

TLS: ``smtps://`` speaks it from the first byte; ``smtp+starttls://`` insists on STARTTLS;
plain ``smtp://`` sends in clear (a relay on the same machine), and production refuses a
password over it (``Settings``). Certificates are verified: a relay with a certificate nobody
signed is reached over plain ``smtp://`` on a trusted network, not over a TLS that means
nothing.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Iterable
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

from platforms.adapters.http import scrub
from scheduler.core.config import MailServer, Settings


class MailNotSent(Exception):
    """The email was not handed to the mail server; ``reason`` says why, fit to be shown."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def compose(
    *, settings: Settings, to_name: str, to_address: str, subject: str, text: str
) -> EmailMessage:
    """A plain-text email from ``CALLSHEET_MAIL_FROM``. Line breaks in a name or a subject
    (a talent's name, a production's title) become spaces: a header is one line, so nothing
    typed can add a header of its own."""
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = formataddr((_one_line(to_name), to_address))
    message["Subject"] = _one_line(subject)
    message["Message-ID"] = make_msgid(domain="callsheet.invalid")
    message.set_content(text)
    return message


def send_email(message: EmailMessage, *, settings: Settings, secrets: Iterable[str] = ()) -> None:
    """Hand ``message`` to the mail server, or raise ``MailNotSent`` saying why."""
    server = settings.mail_server()
    if server is None:
        raise MailNotSent("no mail server is set up (CALLSHEET_SMTP_URL)")
    hidden = [server.password or "", *secrets]
    try:
        with _connect(server, settings.smtp_timeout_seconds) as smtp:
            if server.user:
                smtp.login(server.user, server.password or "")
            smtp.send_message(message)
    except smtplib.SMTPRecipientsRefused as exc:
        said = "; ".join(_answer(code, words) for code, words in exc.recipients.values())
        raise MailNotSent(scrub(f"the mail server refused the address: {said}", hidden)) from None
    except smtplib.SMTPResponseException as exc:
        said = _answer(exc.smtp_code, exc.smtp_error)
        raise MailNotSent(scrub(f"the mail server answered {said}", hidden)) from None
    except (smtplib.SMTPException, ssl.SSLError) as exc:
        raise MailNotSent(scrub(f"the mail server failed: {exc}", hidden)) from None
    except TimeoutError:
        raise MailNotSent(f"{_where(server)} did not answer in time") from None
    except OSError as exc:
        why = exc.strerror or type(exc).__name__
        raise MailNotSent(f"could not reach the mail server at {_where(server)} ({why})") from None


def _connect(server: MailServer, timeout: float) -> smtplib.SMTP:
    context = ssl.create_default_context()
    if server.security == "tls":
        return smtplib.SMTP_SSL(server.host, server.port, timeout=timeout, context=context)
    smtp = smtplib.SMTP(server.host, server.port, timeout=timeout)
    try:
        if server.security == "starttls":
            smtp.starttls(context=context)  # refused by a server that does not offer it
    except BaseException:
        smtp.close()
        raise
    return smtp


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _answer(code: int, words: bytes | str) -> str:
    text = words.decode(errors="replace") if isinstance(words, bytes) else words
    return f"{code} {' '.join(text.split())}".strip()


def _where(server: MailServer) -> str:
    return f"{server.host}:{server.port}"
