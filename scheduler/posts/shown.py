"""What a reviewer was shown of one delivery, as a short value the approval sends back.

An approval used to name only the post's version, and the hashes were rendered again when the
approval arrived: a milestone moved in between changed the dates (and the words that print
them) without a new version, so a producer could approve words they never saw. Now the preview
gives each delivery a ``shown`` value, and approving sends those values back; anything that
renders differently is refused, naming what changed.

One opaque string per delivery, because that is what a web page can most simply send back: it
echoes the field it was given, as it would an ETag, with nothing to compute. Its three parts
let the refusal say *what* changed, which a single hash could not: ``<text>.<media>.<due>``,

- text: sha256 of the account and the rendered text;
- media: sha256 of the media as the content hash binds them (each held file's bytes, each
  link's URL, with kinds and alt texts);
- due: the due time, UTC, to the second.

The approval still stores each delivery's full content hash, the one the worker checks.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from scheduler.content.context import media_bound, target_of
from scheduler.content.render import RenderedPost
from scheduler.core.errors import Invalid
from scheduler.core.models import Account

_DUE = "%Y%m%dT%H%M%SZ"


@dataclass(frozen=True)
class Shown:
    """The three parts of a ``shown`` value."""

    text: str
    media: str
    due: str

    def __str__(self) -> str:
        return f"{self.text}.{self.media}.{self.due}"

    @classmethod
    def of(cls, rendered: RenderedPost, account: Account, due_at: datetime) -> Shown:
        text = f"{target_of(account)}\n{rendered.text}"
        media = json.dumps(media_bound(rendered), sort_keys=True, separators=(",", ":"))
        return cls(text=_sha(text), media=_sha(media), due=due_at.astimezone(UTC).strftime(_DUE))

    @classmethod
    def parse(cls, value: str, *, field: str) -> Shown:
        """A value sent back; 422 naming ``field`` if no preview could have given it."""
        parts = value.split(".")
        try:
            text, media, due = parts
            datetime.strptime(due, _DUE)
        except ValueError:
            raise Invalid(field, "not a value the preview gave; preview the post again") from None
        return cls(text=text, media=media, due=due)

    def changes(self, now: Shown) -> list[str]:
        """What differs between this (as shown) and ``now``, in words; empty if nothing."""
        changed = []
        if self.text != now.text:
            changed.append("text")
        if self.media != now.media:
            changed.append("media")
        if self.due != now.due:
            changed.append(f"due time (shown {_read(self.due)}, now {_read(now.due)})")
        return changed


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def _read(due: str) -> str:
    return datetime.strptime(due, _DUE).strftime("%Y-%m-%d %H:%M UTC")
