"""Issue 11, item 5: an uploaded image goes out from Callsheet's media store, the very bytes
that were uploaded and approved. Upload and post over real HTTP, a real worker publishing to
the sandbox's Bluesky, real Redis, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import Engine
from sqlmodel import Session

from sandbox.control import SandboxControl
from sandbox.platforms.bluesky import _b32
from scheduler.core.config import get_settings
from scheduler.core.models import Delivery
from tests import factories
from tests.conftest import WorkerProcess
from tests.running import all_final, run_until, service_for
from tests.scheduler.media.test_uploads import png, upload


def _scheduled_post_with_upload(
    client: httpx.Client,
    approver: httpx.Client,
    session: Session,
    sandbox: SandboxControl,
    picture: bytes,
) -> dict[str, object]:
    production = client.post(
        "/productions", json={"title": "Night Shift", "kind": "film", "timezone": "Europe/London"}
    ).json()
    account = factories.bluesky_account(
        session, sandbox.url("bluesky"), production_ids=[production["id"]]
    )
    session.commit()
    medium = upload(client, production["id"], picture).json()
    made = client.post(
        "/posts",
        json={
            "production_id": production["id"],
            "pillar": "on_set",
            "body": "Night shift: the crew at dawn.",
            "media": [{"media_id": medium["id"], "alt": "The crew at dawn"}],
            "anchor": {"at": (datetime.now(UTC) - timedelta(minutes=1)).isoformat()},
            "account_ids": [account.id],
        },
    )
    assert made.status_code == 201, made.text
    post = made.json()
    assert client.post(f"/posts/{post['id']}/submit", json={"version": 1}).status_code == 200
    approved = approver.post(
        f"/posts/{post['id']}/approve", json=factories.approve_body(approver, post["id"])
    )
    assert approved.status_code == 200, approved.text
    return medium


def test_an_uploaded_image_is_published_from_the_media_store_byte_for_byte(
    client: httpx.Client,
    approver: httpx.Client,
    session: Session,
    engine: Engine,
    worker: WorkerProcess,
    sandbox: SandboxControl,
) -> None:
    picture = png("darkslateblue", (800, 600))
    _scheduled_post_with_upload(client, approver, session, sandbox, picture)

    final = run_until(engine, service_for(engine, worker), worker, all_final)

    assert set(final.values()) == {"published"}, worker.log()
    [blob] = sandbox.records("bluesky", kind="blob")
    # The sandbox names a blob by the sha256 of the bytes it received.
    expected = "bafkrei" + _b32(hashlib.sha256(picture).digest())[:52]
    assert blob["body"]["ref"]["$link"] == expected
    assert (blob["body"]["mimeType"], blob["body"]["size"]) == ("image/png", len(picture))
    [made] = sandbox.posts("bluesky")
    [image] = made["body"]["embed"]["images"]
    assert image["image"]["ref"]["$link"] == expected
    assert image["alt"] == "The crew at dawn"


def test_an_upload_changed_in_the_store_after_approval_is_not_sent(
    client: httpx.Client,
    approver: httpx.Client,
    session: Session,
    engine: Engine,
    worker: WorkerProcess,
    sandbox: SandboxControl,
) -> None:
    picture = png("rosybrown", (640, 640))
    medium = _scheduled_post_with_upload(client, approver, session, sandbox, picture)
    digest = str(medium["sha256"])
    stored = get_settings().media_root / digest[:2] / digest
    stored.write_bytes(png("black", (640, 640)))  # someone with disk access swaps it

    final = run_until(engine, service_for(engine, worker), worker, all_final)

    assert set(final.values()) == {"failed"}, worker.log()
    assert sandbox.records("bluesky", kind="blob") == []
    assert sandbox.posts("bluesky") == []
    [delivery_id] = final
    delivery = session.get(Delivery, delivery_id)
    assert delivery is not None
    assert "changed in the media store" in (delivery.last_error or "")
