"""A platform that is a file: each post becomes one JSON line appended to ``path``.

The outbox lets a production run the whole pipeline (approvals, timing, retries) without
credentials for any real network, and gives the demo and the tests a platform whose every post
can be read back. It behaves like a well-made platform: a repeated idempotency key returns the
first post instead of making a second one, even when several workers share one file.

Several processes and threads may append to the same file. Each publish takes an exclusive
``flock`` on the file for the whole "have I seen this key? if not, append" step, so the check and
the write are one atomic step for every writer on the machine. To keep that step cheap, each
process remembers, per file, how far it has read and which keys it saw there; a publish reads
only the lines appended since, so N publishes cost O(N) reading in total rather than O(N²).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO, ClassVar

import httpx
from pydantic import Field

from platforms.adapters.base import (
    Adapter,
    AdapterSettings,
    Permanent,
    PublishRequest,
    PublishResult,
    Transient,
)

log = logging.getLogger(__name__)

#: How often a publish re-opens a file that was replaced while it waited for the lock.
_REOPEN_ATTEMPTS = 5


class OutboxSettings(AdapterSettings):
    """Where the account's posts go: a JSON Lines file, created with its folders on first use."""

    path: str = Field(
        min_length=1,
        description="The JSON Lines file each post is appended to (on the worker's machine).",
    )


@dataclass
class _Index:
    """What this process has read of one file: the file's identity, how far, and the keys."""

    device: int
    inode: int
    offset: int = 0
    keys: dict[str, str] = field(default_factory=dict)


#: Per process, by absolute path. Only touched while holding the file's exclusive lock, which
#: also serialises threads (each publish opens its own file description, and flock locks are
#: per description).
_indexes: dict[str, _Index] = {}


def external_id_for(idempotency_key: str) -> str:
    """The post id for a key: derived from the key so every process agrees on it unasked."""
    return "outbox-" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:16]


class OutboxAdapter(Adapter[OutboxSettings]):
    """Appends posts to a local JSON Lines file; a repeated key never makes a second line."""

    name: ClassVar[str] = "outbox"
    label: ClassVar[str] = "Outbox (a local file)"
    settings_model: ClassVar[type[AdapterSettings]] = OutboxSettings
    idempotent: ClassVar[bool] = True
    can_lookup: ClassVar[bool] = True

    def __init__(self, settings: AdapterSettings, *, client: httpx.Client | None = None) -> None:
        super().__init__(settings, client=client)
        # Fixed now, so a later chdir cannot send the same account's posts somewhere else.
        self.path = Path(self.settings.path).absolute()

    def publish(self, request: PublishRequest) -> PublishResult:
        """Append the post unless its key is already in the file; either way return its id."""
        try:
            external_id = _append_once(self.path, request)
        except OSError as exc:
            reason = exc.strerror or str(exc) or type(exc).__name__
            raise Transient(f"could not write to the outbox file {self.path}: {reason}") from exc
        return self._result(external_id)

    def lookup(self, request: PublishRequest) -> PublishResult | None:
        """The line with this idempotency key, if the file has one: the file is the platform."""
        if not self.path.exists():
            return None
        try:
            with _locked(self.path) as handle:
                index, _tail = _catch_up(self.path, handle)
                external_id = index.keys.get(request.idempotency_key)
        except OSError as exc:
            reason = exc.strerror or str(exc) or type(exc).__name__
            raise Transient(f"could not read the outbox file {self.path}: {reason}") from exc
        return None if external_id is None else self._result(external_id)

    def _result(self, external_id: str) -> PublishResult:
        return PublishResult(external_id=external_id, url=f"{self.path.as_uri()}#{external_id}")


def read_outbox(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Every post in an outbox file, oldest first (none if the file does not exist yet).

    Takes a shared lock so a reader never sees a line half written. Lines that are not JSON
    objects (a writer killed mid-line) are logged and skipped, as the adapter itself does.
    """
    try:
        handle = open(path, "rb")  # noqa: SIM115 - closed below, after the lock is taken
    except FileNotFoundError:
        return []
    with handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_SH)
        data = handle.read()
    records = []
    for raw in data.splitlines():
        record = _parse(raw, path)
        if record is not None:
            records.append(record)
    return records


def _append_once(path: Path, request: PublishRequest) -> str:
    """The check-then-append step, atomic for every process and thread using this file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with _locked(path) as handle:
        index, tail = _catch_up(path, handle)
        existing = index.keys.get(request.idempotency_key)
        if existing is not None:
            return existing
        external_id = external_id_for(request.idempotency_key)
        line = _encode(request, external_id)
        if tail:
            log.warning("outbox %s ends with a torn line; starting a new line after it", path)
            line = b"\n" + line
        _write_all(handle, line, restore_size=index.offset + tail)
        index.offset += tail + len(line)
        index.keys[request.idempotency_key] = external_id
        return external_id


@contextmanager
def _locked(path: Path) -> Iterator[BinaryIO]:
    """The file opened for appending, exclusively locked, and still the file at ``path``.

    If someone replaced the file (rotation, deletion) while we waited for the lock, the lock we
    hold is on a file nobody will read again, so open the new one and lock that instead.
    """
    for _attempt in range(_REOPEN_ATTEMPTS):
        # Unbuffered, so a failed write cannot leave bytes in a buffer that a later close flushes.
        with open(path, "a+b", buffering=0) as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            if _is_current(path, handle):
                yield handle
                return
    raise OSError(f"the file kept being replaced while waiting for its lock ({path})")


def _is_current(path: Path, handle: BinaryIO) -> bool:
    try:
        on_disk = os.stat(path)
    except FileNotFoundError:
        return False
    held = os.fstat(handle.fileno())
    return (on_disk.st_dev, on_disk.st_ino) == (held.st_dev, held.st_ino)


def _catch_up(path: Path, handle: BinaryIO) -> tuple[_Index, int]:
    """This process's index of ``path``, updated with the lines appended since it last looked.

    Returns the index and the length of a torn last line (bytes after the final newline), which
    is left unread so it is not mistaken for a post. A file that was replaced or truncated is
    read again from the start.
    """
    held = os.fstat(handle.fileno())
    index = _indexes.get(str(path))
    if (
        index is None
        or (index.device, index.inode) != (held.st_dev, held.st_ino)
        or held.st_size < index.offset
    ):
        index = _Index(device=held.st_dev, inode=held.st_ino)
        _indexes[str(path)] = index
    handle.seek(index.offset)
    data = handle.read()
    complete = data.rfind(b"\n") + 1
    for raw in data[:complete].splitlines():
        _remember(index, raw, path)
    index.offset += complete
    return index, len(data) - complete


def _remember(index: _Index, raw: bytes, path: Path) -> None:
    record = _parse(raw, path)
    if record is None:
        return
    key = record.get("idempotency_key")
    if not isinstance(key, str):
        log.warning("outbox %s: a line has no idempotency_key; ignoring it", path)
        return
    external_id = record.get("external_id")
    if not isinstance(external_id, str):
        external_id = external_id_for(key)
    index.keys.setdefault(key, external_id)


def _parse(raw: bytes, path: str | os.PathLike[str]) -> dict[str, Any] | None:
    if not raw.strip():
        return None
    try:
        record = json.loads(raw)
    except ValueError:
        log.warning("outbox %s: skipping a line that is not JSON", path)
        return None
    if not isinstance(record, dict):
        log.warning("outbox %s: skipping a line that is not a JSON object", path)
        return None
    return record


def _encode(request: PublishRequest, external_id: str) -> bytes:
    record = {
        "idempotency_key": request.idempotency_key,
        "external_id": external_id,
        "account": request.account_handle,
        "text": request.text,
        "media": [item.as_json() for item in request.media],
        "metadata": dict(request.metadata),
        "published_at": datetime.now(UTC).isoformat(),
    }
    try:
        encoded = json.dumps(record, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        # The same content would fail the same way on every retry.
        raise Permanent(f"the post cannot be written as JSON: {exc}") from None
    return encoded.encode() + b"\n"


def _write_all(handle: BinaryIO, data: bytes, *, restore_size: int) -> None:
    """Append ``data`` completely, or put the file back as it was and raise.

    Cutting a failed write back off keeps the promise behind ``Transient``: nothing was posted.
    """
    view = memoryview(data)
    try:
        while view:
            written = handle.write(view)
            view = view[written:]
    except OSError:
        try:
            os.ftruncate(handle.fileno(), restore_size)
        except OSError:
            log.warning("outbox: could not remove a partly written line", exc_info=True)
        raise
