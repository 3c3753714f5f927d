"""Issue 11, item 5: media come from Callsheet (uploads, checked by their bytes, stored by their
digest, shown to their production only) or from the web, never from the server's disk. Real
HTTP to the API, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from PIL import Image
from sqlalchemy import Engine
from sqlmodel import Session, select

from scheduler.core.config import get_settings
from scheduler.core.models import AuditEvent, Role
from tests.conftest import person_with_token
from tests.scheduler.api.test_api import _post, plan

__all__ = ["plan"]  # the fixture, used by name

NO_SUCH_MEDIA = "no such media in this production; upload it first"
ON_DISK = "give an https link; files on the server are never read"


def png(colour: str = "navy", size: tuple[int, int] = (640, 480)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "PNG")
    return out.getvalue()


def upload(
    client: httpx.Client,
    production_id: int,
    data: bytes,
    name: str = "crew-at-dawn.png",
    declared: str = "image/png",
) -> httpx.Response:
    return client.post(
        f"/productions/{production_id}/media", files={"file": (name, data, declared)}
    )


def stored_files() -> set[Path]:
    """Every file in the media store now, temporary ones included."""
    root = get_settings().media_root
    return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def as_member(
    client: httpx.Client, engine: Engine, email: str, roles: dict[int, Role]
) -> httpx.Client:
    with Session(engine) as db:
        secret = person_with_token(db, name=email.split("@")[0], email=email, roles=roles)
    return httpx.Client(base_url=client.base_url, headers={"Authorization": f"Bearer {secret}"})


def test_an_uploaded_png_gets_an_id_and_its_digest_and_is_served_back_as_an_image(
    client: httpx.Client, plan: dict[str, int], engine: Engine
) -> None:
    picture = png()

    answer = upload(client, plan["production"], picture, name="../../etc/crew at dawn.png")

    assert answer.status_code == 201, answer.text
    medium = answer.json()
    assert medium["sha256"] == hashlib.sha256(picture).hexdigest()
    assert (medium["content_type"], medium["kind"], medium["bytes"]) == (
        "image/png",
        "image",
        len(picture),
    )
    assert (medium["width"], medium["height"]) == (640, 480)
    assert medium["original_name"] == "crew at dawn.png"  # shown only; no path kept
    stored = get_settings().media_root / medium["sha256"][:2] / medium["sha256"]
    assert stored.read_bytes() == picture  # named by its digest, never by the client
    listed = client.get(f"/productions/{plan['production']}/media").json()
    assert [m["id"] for m in listed] == [medium["id"]]

    served = client.get(medium["url"])

    assert served.status_code == 200, served.text
    assert served.content == picture
    assert served.headers["content-type"] == "image/png"
    assert served.headers["x-content-type-options"] == "nosniff"
    assert served.headers["content-disposition"].startswith("inline;")
    with Session(engine) as db:
        events = db.exec(select(AuditEvent).where(AuditEvent.action == "media.uploaded")).all()
    assert [e.entity_id for e in events] == [medium["id"]]
    # The same bytes again: the same upload, not a second one.
    assert upload(client, plan["production"], picture).json()["id"] == medium["id"]


@pytest.mark.parametrize(
    ("data", "name", "declared"),
    [
        (b"just words, not a picture\n" * 40, "still.png", "image/png"),
        (
            b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
            "a.png",
            "image/png",
        ),
        (b"\x89PNG\r\n\x1a\n" + b"not really a png" * 10, "half.png", "image/png"),
        (b"", "empty.jpg", "image/jpeg"),
    ],
)
def test_a_file_that_is_not_an_image_or_video_is_refused_by_its_contents(
    client: httpx.Client, plan: dict[str, int], data: bytes, name: str, declared: str
) -> None:
    before = stored_files()

    answer = upload(client, plan["production"], data, name=name, declared=declared)

    assert answer.status_code == 415, answer.text
    [problem] = answer.json()["errors"]
    assert problem["loc"] == ["body", "file"]
    assert stored_files() == before  # nothing kept, not even a temporary file
    assert client.get(f"/productions/{plan['production']}/media").json() == []


@pytest.fixture
def small_limit(monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    """The API process takes uploads of at most 200 KiB (images 100 KiB)."""
    monkeypatch.setenv("CALLSHEET_MEDIA_MAX_BYTES", str(200 * 1024))
    monkeypatch.setenv("CALLSHEET_MEDIA_MAX_IMAGE_BYTES", str(100 * 1024))
    get_settings.cache_clear()
    yield 200 * 1024
    monkeypatch.delenv("CALLSHEET_MEDIA_MAX_BYTES")
    monkeypatch.delenv("CALLSHEET_MEDIA_MAX_IMAGE_BYTES")
    get_settings.cache_clear()


def noisy_png(size: int) -> bytes:
    """A PNG of about ``size`` bytes or more (noise does not compress)."""
    side = int((size / 3) ** 0.5) + 8
    return png_from(Image.effect_noise((side, side), 100).convert("RGB"))


def png_from(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def test_an_upload_over_the_limit_is_a_413_and_leaves_no_file(
    client: httpx.Client, plan: dict[str, int], small_limit: int
) -> None:
    before = stored_files()
    image = noisy_png(150 * 1024)  # over the image limit, under the upload limit
    assert 100 * 1024 < len(image) < small_limit

    too_big_image = upload(client, plan["production"], image)
    too_big_anything = upload(client, plan["production"], b"\x00" * (small_limit + 4096), "a.mp4")

    for answer in (too_big_image, too_big_anything):
        assert answer.status_code == 413, answer.text
        [problem] = answer.json()["errors"]
        assert problem["loc"] == ["body", "file"]
        assert "larger than" in problem["msg"]
    assert stored_files() == before
    assert client.get(f"/productions/{plan['production']}/media").json() == []
    assert upload(client, plan["production"], png()).status_code == 201  # a small one is fine


@pytest.mark.parametrize(
    "pair",
    [
        ("/etc/passwd", "/nonexistent/passwd"),
        ("file:///etc/passwd", "file:///nonexistent/passwd"),
        ("../../etc/passwd", "../../nonexistent/x"),
        ("data:image/png;base64,iVBORw0KGgo=", "data:image/png;base64,AAAA"),
        ("ftp://127.0.0.1/etc/passwd", "ftp://127.0.0.1/nonexistent"),
    ],
)
def test_a_post_naming_anything_but_an_upload_or_a_link_is_a_422_that_reveals_nothing(
    client: httpx.Client, plan: dict[str, int], pair: tuple[str, str]
) -> None:
    answers = [
        client.post("/posts", json=_post(plan, media=[{"url": url, "kind": "image"}]))
        for url in pair
    ]

    for answer in answers:
        assert answer.status_code == 422, answer.text
    assert answers[0].json() == answers[1].json()
    [problem] = answers[0].json()["errors"]
    assert problem["loc"][-3:] == ["media", 0, "url"]
    assert ON_DISK in problem["msg"]


def test_a_post_names_its_own_productions_upload_and_the_approval_binds_its_digest(
    client: httpx.Client, approver: httpx.Client, plan: dict[str, int]
) -> None:
    picture = png("crimson")
    medium = upload(client, plan["production"], picture).json()

    made = client.post(
        "/posts", json=_post(plan, media=[{"media_id": medium["id"], "alt": "The crew at dawn"}])
    )

    assert made.status_code == 201, made.text
    post = made.json()
    [kept] = post["media"]
    assert (kept["media_id"], kept["sha256"], kept["kind"]) == (
        medium["id"],
        medium["sha256"],
        "image",
    )
    preview = client.get(f"/posts/{post['id']}/preview")
    assert preview.status_code == 200, preview.text
    [delivery] = preview.json()
    [facts] = delivery["verdict"]["media"]
    assert (facts["media_id"], facts["content_type"], facts["width"]) == (
        medium["id"],
        "image/png",
        640,
    )
    assert delivery["media_notes"] == []  # held by its bytes, not by a link
    # What GET /posts answers can be sent back as it is: the upload is taken by its id.
    kept_again = client.patch(f"/posts/{post['id']}", json={"version": 1, "media": post["media"]})
    assert kept_again.status_code == 200, kept_again.text
    assert kept_again.json()["media"] == post["media"]


def test_another_productions_upload_is_refused_like_one_that_does_not_exist(
    client: httpx.Client, plan: dict[str, int]
) -> None:
    other = client.post(
        "/productions", json={"title": "Day Shift", "kind": "film", "timezone": "Europe/London"}
    ).json()
    theirs = upload(client, other["id"], png("olive")).json()

    answers = [
        client.post("/posts", json=_post(plan, media=[{"media_id": media_id}]))
        for media_id in (theirs["id"], theirs["id"] + 1000)
    ]
    made = client.post("/posts", json=_post(plan, media=["https://cdn.test/rain.jpg"]))
    edited = client.patch(
        f"/posts/{made.json()['id']}", json={"version": 1, "media": [{"media_id": theirs["id"]}]}
    )

    for answer in (*answers, edited):
        assert answer.status_code == 422, answer.text
        assert answer.json()["errors"] == [
            {
                "field": "media.0.media_id",
                "loc": ["body", "media", "0", "media_id"],
                "msg": NO_SUCH_MEDIA,
                "type": "value_error",
            }
        ]
    assert client.get(f"/posts/{made.json()['id']}").json()["version"] == 1  # nothing written


def test_a_marketer_of_one_production_cannot_see_anothers_media(
    client: httpx.Client, plan: dict[str, int], engine: Engine
) -> None:
    other = client.post(
        "/productions", json={"title": "Day Shift", "kind": "film", "timezone": "Europe/London"}
    ).json()
    theirs = upload(client, plan["production"], png("teal")).json()
    marketer = as_member(client, engine, "ines@dayshift.test", {other["id"]: Role.marketer})

    with marketer:
        straight = marketer.get(theirs["url"])
        listed = marketer.get(f"/productions/{plan['production']}/media")
        through_own = marketer.get(f"/productions/{other['id']}/media/{theirs['id']}")
        uploaded_there = upload(marketer, plan["production"], png("plum"))
        own = upload(marketer, other["id"], png("plum"))

    assert (straight.status_code, listed.status_code, uploaded_there.status_code) == (403, 403, 403)
    assert through_own.status_code == 404
    assert own.status_code == 201, own.text


def test_a_viewer_sees_but_cannot_upload(
    client: httpx.Client, plan: dict[str, int], engine: Engine
) -> None:
    medium = upload(client, plan["production"], png()).json()
    viewer = as_member(client, engine, "vic@nightshift.test", {plan["production"]: Role.viewer})

    with viewer:
        assert viewer.get(medium["url"]).status_code == 200
        refused = upload(viewer, plan["production"], png("gold"))

    assert refused.status_code == 403
