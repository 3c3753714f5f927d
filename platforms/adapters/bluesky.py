"""Bluesky: a record in the account's repository, under a record key we choose.

The flow, per delivery (atproto XRPC on the account's PDS, ``https://bsky.social`` by default):

1. A **session**: ``com.atproto.server.createSession`` with the handle and an app password gives
   an access JWT (two hours) and a refresh JWT (90 days). createSession is limited to 30 per 5
   minutes and 300 a day, so the session is kept with the account's credentials (``remember``)
   and renewed with ``com.atproto.server.refreshSession``; only when the refresh JWT no longer
   works is a new session created. ``prepare`` renews a session that ends within five minutes;
   an access JWT that expires anyway (the PDS answers 400 ``ExpiredToken``) is renewed and the
   request sent once more (safe: a refused request did nothing).
2. **Text**: shaped by ``platforms.text`` into one post or a numbered thread; each part carries its
   **facets** (links, tags, mentions as UTF-8 byte spans), without which Bluesky shows a link as
   plain text. A mention names a DID, resolved with ``com.atproto.identity.resolveHandle``; a
   handle that does not resolve stays plain text, as in Bluesky's own app.
3. **Media**: each file goes up with ``com.atproto.repo.uploadBlob``; images are embedded as
   ``app.bsky.embed.images`` with their alt text, a video as ``app.bsky.embed.video``. Blob
   references are saved to progress, so a retry does not upload them again.
4. **Records**: ``com.atproto.repo.createRecord`` (collection ``app.bsky.feed.post``), each
   part replying to the previous one (``reply.root``/``reply.parent`` strong refs).

Why a retry cannot post twice: every part's record key (``rkey``) is chosen before anything is
sent and saved to the delivery's progress. A repeat with the same key is refused by the PDS (a
500 today, an error named in future), and the adapter then reads the record under that key
(``com.atproto.repo.getRecord``): it is ours, so the post is published. Post keys must be TIDs
(lexicon ``"key": "tid"``: a timestamp in microseconds and a 10-bit clock id, base32-sortable);
Bluesky's app view ignores posts under other keys (bluesky-social/social-app#8654) and some
readers order a repository by its keys, so the key's time is the first attempt's (not a hash,
which would date the post anywhere between 1970 and 2255) and its clock id comes from the
idempotency key. The record's ``createdAt`` is the time of the attempt that creates it: feeds
show and sort posts by it, and a post that waited out a rate limit must not appear hours back.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import httpx
from pydantic import Field, SecretStr

from platforms.adapters.base import (
    Adapter,
    AdapterSettings,
    AuthExpired,
    HttpURL,
    Media,
    Permanent,
    PublishRequest,
    PublishResult,
    Transient,
    Unknown,
    UTCTime,
)
from platforms.adapters.http import PlatformHTTP
from platforms.adapters.media import load_media
from platforms.text import RULES, CannotPublish, TextRules, bluesky_facets, facet_records
from platforms.text import shape as shape_text

POST = "app.bsky.feed.post"
#: Renew a session that ends within this much (the brief's five minutes).
REFRESH_MARGIN = timedelta(minutes=5)
#: The PDS's access JWT lifetime (``account-manager/helpers/auth.ts``: 120 minutes), assumed
#: when a token does not say.
ACCESS_LIFETIME = timedelta(minutes=120)
#: Lexicon ``app.bsky.embed.images``: at most 4 images of at most 2,000,000 bytes each.
MAX_IMAGES = 4
IMAGE_MAX_BYTES = 2_000_000
#: Lexicon ``app.bsky.embed.video``: one ``video/mp4`` of at most 300,000,000 bytes.
VIDEO_MAX_BYTES = 300_000_000
#: The atproto TID alphabet (base32-sortable) and its layout (atproto.com/specs/tid).
TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"
TID_CLOCK_BITS = 10
#: Errors that mean "this access token no longer works" (PDS ``auth-verifier.ts``).
_TOKEN_ERRORS = ("ExpiredToken", "InvalidToken")


class BlueskySettings(AdapterSettings):
    """One Bluesky account: its PDS, handle, an app password, and the session kept for it."""

    base_url: HttpURL = "https://bsky.social"
    #: The handle (``crew.bsky.social``) or the account's e-mail address.
    identifier: str = Field(min_length=3)
    app_password: SecretStr
    access_jwt: SecretStr | None = None
    refresh_jwt: SecretStr | None = None
    did: str | None = None
    token_expires_at: UTCTime | None = None
    #: Languages of the posts (BCP 47), for readers' language filters.
    langs: tuple[str, ...] = ()
    #: Where a person opens a post (``/profile/<did>/post/<rkey>``).
    web_url: HttpURL = "https://bsky.app"
    timeout_seconds: float = Field(default=20.0, gt=0, le=120)


class BlueskyAdapter(Adapter[BlueskySettings]):
    name: ClassVar[str] = "bluesky"
    settings_model: ClassVar[type[AdapterSettings]] = BlueskySettings
    rules: ClassVar[TextRules] = RULES["bluesky"]
    can_lookup: ClassVar[bool] = True

    def __init__(self, settings: AdapterSettings, *, client: httpx.Client | None = None) -> None:
        super().__init__(settings, client=client)
        self.http = PlatformHTTP(
            platform="Bluesky",
            base_url=self.settings.base_url,
            client=client,
            timeout=self.settings.timeout_seconds,
            secrets=self.secret_values,
            message_of=xrpc_message,
        )
        self._dids: dict[str, str | None] = {}

    # --- session ---------------------------------------------------------------------------

    def prepare(self, now: datetime) -> None:
        """Renew the session if it ends within ``REFRESH_MARGIN`` (or there is none)."""
        s = self.settings
        expires = s.token_expires_at
        if (
            s.access_jwt is None
            or s.did is None
            or expires is None
            or _aware(expires) - _aware(now) <= REFRESH_MARGIN
        ):
            self._renew_session()

    def _renew_session(self) -> None:
        """refreshSession while the refresh JWT works; createSession only when it does not."""
        refresh = self.settings.refresh_jwt
        if refresh is not None:
            response = self.http.request(
                "POST",
                "/xrpc/com.atproto.server.refreshSession",
                creates=False,
                check=False,
                headers={"Authorization": f"Bearer {refresh.get_secret_value()}"},
            )
            if response.is_success:
                self._adopt(response)
                return
            if not (_refused_token(response) or response.status_code == 401):
                self.http.check(response, creates=False)  # 429, 5xx: say so, do not sign in
        response = self.http.request(
            "POST",
            "/xrpc/com.atproto.server.createSession",
            creates=False,
            check=False,
            json={
                "identifier": self.settings.identifier,
                "password": self.settings.app_password.get_secret_value(),
            },
        )
        if _error_name(response) == "AuthFactorTokenRequired":
            raise AuthExpired(
                "Bluesky asks for a sign-in code (two-factor): use an app password instead"
            )
        self.http.check(response, creates=False)
        self._adopt(response)

    def _adopt(self, response: httpx.Response) -> None:
        session = _object(response)
        access, did = session.get("accessJwt"), session.get("did")
        if not isinstance(access, str) or not isinstance(did, str):
            raise Transient("Bluesky answered the sign-in without a session")
        refresh = session.get("refreshJwt")
        self.remember(
            access_jwt=SecretStr(access),
            # A session answer always brings a new refresh JWT; if one ever does not, the old
            # one is kept: dropping a working refresh token would force a rate-limited sign-in.
            refresh_jwt=SecretStr(refresh)
            if isinstance(refresh, str)
            else self.settings.refresh_jwt,
            did=did,
            token_expires_at=jwt_expiry(access) or datetime.now(UTC) + ACCESS_LIFETIME,
        )

    def _xrpc(
        self, method: str, nsid: str, *, creates: bool, check: bool = True, **kwargs: Any
    ) -> httpx.Response:
        """One authenticated call; an expired or refused access JWT is renewed and sent again."""
        if self.settings.access_jwt is None or self.settings.did is None:
            self._renew_session()
        response = self._send(method, nsid, creates=creates, **kwargs)
        if response.status_code == 401 or _refused_token(response):
            self._renew_session()
            response = self._send(method, nsid, creates=creates, **kwargs)
        if check:
            self.http.check(response, creates=creates)
        return response

    def _send(self, method: str, nsid: str, *, creates: bool, **kwargs: Any) -> httpx.Response:
        access = self.settings.access_jwt
        assert access is not None
        headers = {
            **kwargs.pop("headers", {}),
            "Authorization": f"Bearer {access.get_secret_value()}",
        }
        return self.http.request(
            method, f"/xrpc/{nsid}", creates=creates, check=False, headers=headers, **kwargs
        )

    @property
    def did(self) -> str:
        if self.settings.did is None:
            self._renew_session()
        did = self.settings.did
        assert did is not None
        return did

    # --- publishing ------------------------------------------------------------------------

    def publish(self, request: PublishRequest) -> PublishResult:
        parts = self.shape(request.text)
        progress = request.progress
        posted = _posted(request)
        self._refuse_if_an_earlier_version_went_out(request)
        rkeys = self._rkeys(request, len(parts))
        if len(posted) >= len(parts):
            return self._result(posted)
        embed = self._embed(request) if not posted else None
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
            if index == 0 and embed is not None:
                record["embed"] = embed
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
        start = datetime.now(UTC)
        clock = clock_id(request.idempotency_key)
        rkeys += [
            record_key(start + timedelta(microseconds=n), clock) for n in range(count - len(rkeys))
        ]
        request.progress.save(key=request.idempotency_key, rkeys=rkeys)
        return rkeys

    def _create(self, rkey: str, record: dict[str, Any], request: PublishRequest) -> dict[str, str]:
        """Create one record; a refusal because the key exists means it is already ours."""
        body = {"repo": self.did, "collection": POST, "rkey": rkey, "record": record}
        response = self._xrpc(
            "POST", "com.atproto.repo.createRecord", creates=True, check=False, json=body
        )
        if response.status_code == 400 and _error_name(response) == "BlobNotFound":
            # Blobs never attached are removed by the PDS after a while: upload them again.
            request.progress.save(blobs={})
            record = {**record, "embed": self._embed(request)}
            body = {**body, "record": record}
            response = self._xrpc(
                "POST", "com.atproto.repo.createRecord", creates=True, check=False, json=body
            )
        if response.is_success:
            created = _object(response)
            if isinstance(created.get("uri"), str) and isinstance(created.get("cid"), str):
                return {"uri": created["uri"], "cid": created["cid"]}
            raise Unknown("Bluesky accepted the post but its answer named no record")
        if response.status_code >= 500 or _says_exists(response):
            existing = self._get(rkey)
            if existing is not None:
                return existing  # an earlier attempt made it: this key is ours alone
        self.http.check(response, creates=True)
        raise Unknown(f"Bluesky answered HTTP {response.status_code}")  # pragma: no cover

    def _resolve(self, handle: str) -> str | None:
        """A mentioned handle's DID, or ``None`` when it does not resolve (then: plain text)."""
        if handle not in self._dids:
            response = self._xrpc(
                "GET",
                "com.atproto.identity.resolveHandle",
                creates=False,
                check=False,
                params={"handle": handle},
            )
            if response.status_code == 400:
                self._dids[handle] = None
            else:
                self.http.check(response, creates=False)
                did = _object(response).get("did")
                self._dids[handle] = did if isinstance(did, str) else None
        return self._dids[handle]

    # --- media -----------------------------------------------------------------------------

    def _embed(self, request: PublishRequest) -> dict[str, Any] | None:
        media = list(request.media)
        if not media:
            return None
        videos = [m for m in media if m.kind == "video"]
        if videos and len(media) > 1:
            raise Permanent("Bluesky takes one video alone, not with other images or videos")
        if len(media) > MAX_IMAGES:
            raise Permanent(
                f"Bluesky takes at most {MAX_IMAGES} images; this post has {len(media)}"
            )
        saved = dict(_mapping(request.progress.state.get("blobs")))
        blobs = []
        for index, medium in enumerate(media):
            blob = saved.get(str(index))
            if not isinstance(blob, Mapping):
                blob = self._upload(medium)
                saved[str(index)] = blob
                request.progress.save(key=request.idempotency_key, blobs=dict(saved))
            blobs.append(dict(blob))
        if videos:
            embed: dict[str, Any] = {"$type": "app.bsky.embed.video", "video": blobs[0]}
            if media[0].alt:
                embed["alt"] = media[0].alt
            return embed
        images = [{"image": blob, "alt": m.alt or ""} for blob, m in zip(blobs, media, strict=True)]
        return {"$type": "app.bsky.embed.images", "images": images}

    def _upload(self, medium: Media) -> dict[str, Any]:
        loaded = load_media(medium, timeout=self.settings.timeout_seconds)
        limit = VIDEO_MAX_BYTES if medium.kind == "video" else IMAGE_MAX_BYTES
        if len(loaded.data) > limit:
            raise Permanent(
                f"{loaded.filename} is {len(loaded.data):,} bytes; Bluesky takes {limit:,}"
            )
        if medium.kind == "video" and loaded.content_type != "video/mp4":
            raise Permanent(f"Bluesky takes videos as MP4, not {loaded.content_type}")
        response = self._xrpc(
            "POST",
            "com.atproto.repo.uploadBlob",
            creates=False,  # a blob no post refers to is invisible, and removed by the PDS
            content=loaded.data,
            headers={"Content-Type": loaded.content_type},
        )
        blob = _object(response).get("blob")
        if not isinstance(blob, dict):
            raise Transient("Bluesky answered the upload without a blob")
        return blob

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
        response = self._xrpc(
            "GET",
            "com.atproto.repo.getRecord",
            creates=False,
            check=False,
            params={"repo": self.did, "collection": POST, "rkey": rkey},
        )
        if response.status_code == 400 and _error_name(response) == "RecordNotFound":
            return None
        self.http.check(response, creates=False)
        body = _object(response)
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
        self.http.close()


# --- record keys -------------------------------------------------------------------------


def clock_id(idempotency_key: str) -> int:
    """The TID clock id for a delivery: 10 bits of its idempotency key's SHA-256."""
    digest = hashlib.sha256(idempotency_key.encode()).digest()
    return int.from_bytes(digest[:2], "big") % (1 << TID_CLOCK_BITS)


def record_key(when: datetime, clock: int) -> str:
    """The TID for ``when`` (microseconds) and ``clock``: 13 base32-sortable characters."""
    micros = int(_aware(when).timestamp() * 1_000_000)
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


# --- answers -------------------------------------------------------------------------------


def jwt_expiry(token: str) -> datetime | None:
    """The ``exp`` of a JWT, read without verifying (only the PDS can verify it)."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return datetime.fromtimestamp(int(claims["exp"]), UTC)
    except (IndexError, ValueError, KeyError, TypeError, binascii.Error):
        return None


def xrpc_message(response: httpx.Response) -> str | None:
    """XRPC errors are ``{"error": "Name", "message": "..."}``: keep both."""
    body = _object(response)
    name, message = body.get("error"), body.get("message")
    if isinstance(name, str) and isinstance(message, str):
        return f"{name}: {message}"
    return message if isinstance(message, str) else name if isinstance(name, str) else None


def _error_name(response: httpx.Response) -> str | None:
    name = _object(response).get("error")
    return name if isinstance(name, str) else None


def _refused_token(response: httpx.Response) -> bool:
    return response.status_code in (400, 401) and _error_name(response) in _TOKEN_ERRORS


def _says_exists(response: httpx.Response) -> bool:
    """The named refusal of an existing key that bluesky-social/atproto#4728 proposes."""
    if response.status_code != 400:
        return False
    name = _error_name(response) or ""
    message = str(_object(response).get("message") or "")
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


def _object(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _aware(when: datetime) -> datetime:
    return when if when.tzinfo else when.replace(tzinfo=UTC)
