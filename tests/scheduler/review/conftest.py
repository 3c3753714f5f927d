"""Where talent's sign-off links land in these tests: a real SMTP server, a real hook receiver.

The API runs in the test's process (``client``), so pointing it at the mail server is a matter
of its settings: ``CALLSHEET_SMTP_URL`` and ``CALLSHEET_PUBLIC_URL`` (the links start with the
test API's own address, so a talent's link opens it), read afresh.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from scheduler.core.config import get_settings
from tests.talent_contacts import HookCatcher, Mailbox


@pytest.fixture
def idle_mailbox(client: httpx.Client, monkeypatch: pytest.MonkeyPatch) -> Iterator[Mailbox]:
    """Callsheet's mail server setting pointed at a mailbox that is not listening yet."""
    box = Mailbox()
    monkeypatch.setenv("CALLSHEET_SMTP_URL", box.url)
    monkeypatch.setenv("CALLSHEET_PUBLIC_URL", str(client.base_url))
    get_settings.cache_clear()
    yield box
    box.stop()
    monkeypatch.delenv("CALLSHEET_SMTP_URL")
    monkeypatch.delenv("CALLSHEET_PUBLIC_URL")
    get_settings.cache_clear()


@pytest.fixture
def mailbox(idle_mailbox: Mailbox) -> Mailbox:
    """A listening mail server that Callsheet sends through."""
    idle_mailbox.start()
    return idle_mailbox


@pytest.fixture
def hooks() -> Iterator[HookCatcher]:
    catcher = HookCatcher()
    yield catcher
    catcher.stop()
