"""Bluesky: a record in the account's repository, under a record key we choose.

The flow, per delivery (atproto XRPC on the account's PDS, ``https://bsky.social`` by default):

1. A **session** (access and refresh JWTs from the handle and an app password), kept with the
   account's credentials and renewed before it ends: ``bluesky_session``, with the settings.
2. **Text**: shaped by ``platforms.text`` into one post or a numbered thread; each part carries its
   **facets** (links, tags, mentions as UTF-8 byte spans), without which Bluesky shows a link as
   plain text. A mention names a DID, resolved with ``com.atproto.identity.resolveHandle``; a
   handle that does not resolve stays plain text, as in Bluesky's own app.
3. **Media**: each file uploaded as a blob and embedded in the first part (``bluesky_media``);
   blob references are saved to progress, so a retry does not upload them again.
4. **Records**: ``com.atproto.repo.createRecord`` (collection ``app.bsky.feed.post``), each
   part replying to the previous one (``reply.root``/``reply.parent`` strong refs).

Why a retry cannot post twice: every part's record key (``rkey``) is chosen before anything is
sent and saved to the delivery's progress. A repeat with the same key is refused by the PDS (a
500 today, an error named in future), and the adapter then reads the record under that key
(``com.atproto.repo.getRecord``): it is ours, so the post is published. Post keys must be TIDs
(lexicon ``"key": "tid"``: a timestamp in microseconds and a 10-bit clock id, base32-sortable);
Bluesky's app view ignores posts under other keys (bluesky-social/social-app#8654) and some
readers order a repository by its keys, so the key's time is a real time of the delivery's
(``PublishRequest.keyed_at``, when the delivery was made; not a hash, which would date the post
anywhere between 1970 and 2255) and its clock id comes from the idempotency key. The keys are
the delivery's, not an attempt's: derived from the delivery alone, so every attempt makes the
same ones, even one that never saw the keys an earlier attempt saved; saved before the first
create, so every later attempt (a retry, a lookup, a new worker after a lease ran out) reads
them back; and a save refused because the delivery is no longer this worker's stops the publish
before anything is sent. No two attempts can post under keys of their own. The record's
``createdAt`` is the time of the attempt that creates it: feeds show and sort posts by it, and a
post that waited out a rate limit must not appear hours back.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import httpx

from platforms.adapters.base import (
    Adapter,
    AdapterSettings,
    Permanent,
    PublishRequest,
    PublishResult,
    Transient,
    Unknown,
    aware,
)
from platforms.adapters.bluesky_media import embed
from platforms.adapters.bluesky_session import BlueskySession, BlueskySettings, error_name
from platforms.adapters.http import json_object
from platforms.text import RULES, CannotPublish, TextRules, bluesky_facets, facet_records
from platforms.text import shape as shape_text

POST = "app.bsky.feed.post"
#: The atproto TID alphabet (base32-sortable) and its layout (atproto.com/specs/tid).
TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"
TID_CLOCK_BITS = 10


class BlueskyAdapter(Adapter[BlueskySettings]):
    name: ClassVar[str] = "bluesky"
    label: ClassVar[str] = "Bluesky"
    settings_model: ClassVar[type[AdapterSettings]] = BlueskySettings
    rules: ClassVar[TextRules] = RULES["bluesky"]
    can_lookup: ClassVar[bool] = True

    def __init__(self, settings: AdapterSettings, *, client: httpx.Client | None = None) -> None:
        super().__init__(settings, client=client)
        self.session = BlueskySession(self, client=client)
        self._dids: dict[str, str | None] = {}

    def prepare(self, now: datetime) -> None:
        """Renew the session if it ends soon (or there is none): see ``bluesky_session``."""
        self.session.prepare(now)

    # --- publishing ------------------------------------------------------------------------

    def publish(self, request: PublishRequest) -> PublishResult:
        parts = self.shape(request.text)
        progress = request.progress
        posted = _posted(request)
        self._refuse_if_an_earlier_version_went_out(request)
        rkeys = self._rkeys(request, len(parts))
        if len(posted) >= len(parts):
            return self._result(posted)
        first_embed = embed(self.session, request) if not posted else None
        for index in range(len(posted), len(parts)):
            record: dict[str, Any] = {
                "$type": POST,
                "text": parts[index],
                "createdAt": _now_datetime(),
            }
            facets = facet_records(bluesky_facets(parts[index]), self._resolve)
            if facets:
                record["facets"] = facets
            if self.settings.langs:
                record["langs"] = list(self.settings.langs)
            if posted:
                record["reply"] = {"root": posted[0], "parent": posted[-1]}
            if index == 0 and first_embed is not None:
                record["embed"] = first_embed
            posted.append(self._create(rkeys[index], record, request))
            progress.save(key=request.idempotency_key, posts=list(posted))
        return self._result(posted)

    def shape(self, text: str) -> list[str]:
        try:
            return shape_text(self.rules, text)
        except CannotPublish as exc:
            raise Permanent(str(exc)) from None

    def _refuse_if_an_earlier_version_went_out(self, request: PublishRequest) -> None:
        """Keys saved for an earlier text (edited and approved again after a lost answer)
        may name a post that went out: then a person decides, rather than a second post."""
        state = request.progress.state
        earlier = state.get("rkeys")
        if state.get("key") == request.idempotency_key or not isinstance(earlier, list):
            return
        if earlier and self._get(str(earlier[0])) is not None:
            raise Permanent(
                "an earlier version of this text is already on Bluesky; delete it or mark the "
                "delivery published before sending the new text"
            )

    def _rkeys(self, request: PublishRequest, count: int) -> list[str]:
        """Every part's record key, chosen (and saved) before the first part is sent."""
        state = request.progress.state
        saved = state.get("rkeys") if state.get("key") == request.idempotency_key else None
        rkeys = [str(rkey) for rkey in saved] if isinstance(saved, list) else []
        if len(rkeys) >= count:
            return rkeys
        # Keys already chosen are kept (a part may be out under one); only missing ones are new.
        # Made from the delivery, not the attempt: an attempt whose saved keys were lost (or
        # never reached the database) makes the same ones, and the PDS refuses the repeat.
        start = request.keyed_at or datetime.now(UTC)
        clock = clock_id(request.idempotency_key)
        rkeys += [
            record_key(start + timedelta(microseconds=n), clock) for n in range(count - len(rkeys))
        ]
        request.progress.save(key=request.idempotency_key, rkeys=rkeys)
        return rkeys

    def _create(self, rkey: str, record: dict[str, Any], request: PublishRequest) -> dict[str, str]:
        """Create one record; a refusal because the key exists means it is already ours."""
        body = {"repo": self.session.did, "collection": POST, "rkey": rkey, "record": record}
        response = self.session.call(
            "POST", "com.atproto.repo.createRecord", creates=True, check=False, json=body
        )
        if response.status_code == 400 and error_name(response) == "BlobNotFound":
            # Blobs never attached are removed by the PDS after a while: upload them again.
            request.progress.save(blobs={})
            record = {**record, "embed": embed(self.session, request)}
            body = {**body, "record": record}
            response = self.session.call(
                "POST", "com.atproto.repo.createRecord", creates=True, check=False, json=body
            )
        if response.is_success:
            created = json_object(response)
            if isinstance(created.get("uri"), str) and isinstance(created.get("cid"), str):
                return {"uri": created["uri"], "cid": created["cid"]}
            raise Unknown("Bluesky accepted the post but its answer named no record")
        if response.status_code >= 500 or _says_exists(response):
            existing = self._get(rkey)
            if existing is not None:
                return existing  # an earlier attempt made it: this key is ours alone
        self.session.http.check(response, creates=True)
        raise Unknown(f"Bluesky answered HTTP {response.status_code}")  # pragma: no cover

    def _resolve(self, handle: str) -> str | None:
        """A mentioned handle's DID, or ``None`` when it does not resolve (then: plain text)."""
        if handle not in self._dids:
            response = self.session.call(
                "GET",
                "com.atproto.identity.resolveHandle",
                creates=False,
                check=False,
                params={"handle": handle},
            )
            if response.status_code == 400:
                self._dids[handle] = None
            else:
                self.session.http.check(response, creates=False)
                did = json_object(response).get("did")
                self._dids[handle] = did if isinstance(did, str) else None
        return self._dids[handle]

    # --- lookup ----------------------------------------------------------------------------

    def lookup(self, request: PublishRequest) -> PublishResult | None:
        """The delivery's post, read under the record keys chosen for it.

        Certain: record keys are chosen and saved to progress before any part is sent, and
        only this delivery uses them, so ``com.atproto.repo.getRecord`` answers for sure. No
        keys in progress means nothing was ever sent (``None``). A thread found in part is
        saved to progress and reported absent, so the next publish posts only what is missing.
        """
        parts = self.shape(request.text)
        posted = _posted(request)
        if len(posted) >= len(parts):
            return self._result(posted)
        self._refuse_if_an_earlier_version_went_out(request)
        rkeys = request.progress.state.get("rkeys")
        if request.progress.state.get("key") != request.idempotency_key or not isinstance(
            rkeys, list
        ):
            return None
        found: list[dict[str, str]] = []
        for rkey in rkeys[: len(parts)]:
            record = self._get(str(rkey))
            if record is None:
                break
            found.append(record)
        if not found:
            return None
        request.progress.save(key=request.idempotency_key, posts=found)
        return self._result(found) if len(found) == len(parts) else None

    def _get(self, rkey: str) -> dict[str, str] | None:
        response = self.session.call(
            "GET",
            "com.atproto.repo.getRecord",
            creates=False,
            check=False,
            params={"repo": self.session.did, "collection": POST, "rkey": rkey},
        )
        if response.status_code == 400 and error_name(response) == "RecordNotFound":
            return None
        self.session.http.check(response, creates=False)
        body = json_object(response)
        if not isinstance(body.get("uri"), str) or not isinstance(body.get("cid"), str):
            raise Transient("Bluesky answered getRecord without the record's uri and cid")
        return {"uri": body["uri"], "cid": body["cid"]}

    def _result(self, posted: Sequence[Mapping[str, str]]) -> PublishResult:
        uri = posted[0]["uri"]
        did, _, rkey = uri.removeprefix("at://").partition(f"/{POST}/")
        return PublishResult(
            external_id=uri, url=f"{self.settings.web_url}/profile/{did}/post/{rkey}"
        )

    def close(self) -> None:
        self.session.close()


# --- record keys -------------------------------------------------------------------------


def clock_id(idempotency_key: str) -> int:
    """The TID clock id for a delivery: 10 bits of its idempotency key's SHA-256."""
    digest = hashlib.sha256(idempotency_key.encode()).digest()
    return int.from_bytes(digest[:2], "big") % (1 << TID_CLOCK_BITS)


def record_key(when: datetime, clock: int) -> str:
    """The TID for ``when`` (microseconds) and ``clock``: 13 base32-sortable characters."""
    micros = int(aware(when).timestamp() * 1_000_000)
    value = (micros << TID_CLOCK_BITS) | (clock % (1 << TID_CLOCK_BITS))
    return "".join(TID_ALPHABET[(value >> shift) & 31] for shift in range(60, -1, -5))


def tid_time(rkey: str) -> datetime:
    """When a TID says it was made (the inverse of ``record_key``, clock id dropped)."""
    value = 0
    for char in rkey:
        value = value << 5 | TID_ALPHABET.index(char)
    return datetime.fromtimestamp((value >> TID_CLOCK_BITS) / 1_000_000, UTC)


def _now_datetime() -> str:
    """An atproto datetime for now: RFC 3339, milliseconds, ``Z`` (never ``-00:00``)."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# --- answers and progress --------------------------------------------------------------


def _says_exists(response: httpx.Response) -> bool:
    """The named refusal of an existing key that bluesky-social/atproto#4728 proposes."""
    if response.status_code != 400:
        return False
    name = error_name(response) or ""
    message = str(json_object(response).get("message") or "")
    return "exist" in name.lower() or "already exists" in message.lower()


def _posted(request: PublishRequest) -> list[dict[str, str]]:
    """Parts already posted for this delivery (progress saved under the same key)."""
    state = request.progress.state
    posts = state.get("posts")
    if not isinstance(posts, list) or not posts:
        return []
    if state.get("key") != request.idempotency_key:
        raise Permanent(
            f"{len(posts)} post(s) of an earlier version of this text are already on Bluesky; "
            "delete them or mark the delivery published before sending the new text"
        )
    return [
        {"uri": str(p["uri"]), "cid": str(p["cid"])}
        for p in posts
        if isinstance(p, Mapping) and "uri" in p and "cid" in p
    ]
