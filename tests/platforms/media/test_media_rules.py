"""Per-platform media rules on real files: type, size, proportions, length, count, alt text.

Images are made with Pillow and videos as small but well-formed MP4s in ``tmp_path``, so the
probe reads what a person's file would give it. The API tests post over real HTTP on SQLite and
PostgreSQL, as the other API tests do.
"""

from __future__ import annotations

import hashlib
import struct
import subprocess
import sys
from pathlib import Path
from typing import Any, ClassVar, Literal

import httpx
import pytest
from PIL import Image

from platforms.adapters import video
from platforms.adapters.base import Adapter, Media, PublishRequest, PublishResult
from platforms.media import mp4_duration, probe
from platforms.media.held import HeldFile
from platforms.media.probe import NOT_A_LINK, Probe, mp4_dimensions, probe_file, sniff
from platforms.text import RULES, check
from tests.platforms.adapters.video_files import mp4

PREMIERE = "2027-03-01T19:00:00+00:00"
CALLSHEET = [sys.executable, "-m", "scheduler.cli"]


# --- files ---------------------------------------------------------------------------------------


def picture(path: Path, width: int, height: int, *, pad: int = 0, orientation: int = 0) -> Path:
    """An image file of ``width`` by ``height`` in the format its name says, ``pad`` bytes
    longer than Pillow made it (a big file without a slow test), with an EXIF orientation."""
    image = Image.new("RGB", (width, height), (200, 40, 40))
    if orientation:
        exif = Image.Exif()
        exif[0x0112] = orientation
        image.save(path, exif=exif)
    else:
        image.save(path)
    if pad:
        with path.open("ab") as file:
            file.write(bytes(pad))
    return path


def movie(
    path: Path,
    seconds: float,
    width: int = 1280,
    height: int = 720,
    *,
    quarter_turn: bool = False,
    moov_last: bool = False,
    size: int = 4096,
) -> Path:
    """An MP4 with a movie header and one video track of ``width`` by ``height`` (as stored),
    turned a quarter by its matrix if asked, with ``moov`` after the media data if asked."""
    timescale = 600
    mvhd = struct.pack(">B3xIIII", 0, 0, 0, timescale, round(seconds * timescale)) + bytes(80)
    one, zero, w = 0x00010000, 0, 0x40000000
    matrix = (zero, one, zero, -one, zero, zero, zero, zero, w) if quarter_turn else (
        one, zero, zero, zero, one, zero, zero, zero, w
    )  # fmt: skip
    tkhd = (
        struct.pack(">B3xIIIII", 0, 0, 0, 1, 0, round(seconds * timescale))
        + bytes(8)
        + struct.pack(">hhhh", 0, 0, 0, 0)
        + struct.pack(">9i", *matrix)
        + struct.pack(">II", width << 16, height << 16)
    )
    audio = _box(b"trak", _box(b"tkhd", tkhd[:-8] + bytes(8)))  # a sound track: no picture
    moov = _box(b"moov", _box(b"mvhd", mvhd) + audio + _box(b"trak", _box(b"tkhd", tkhd)))
    ftyp = _box(b"ftyp", b"isom\x00\x00\x02\x00isomiso2mp41")
    mdat = _box(b"mdat", bytes(max(0, size - len(ftyp) - len(moov) - 8)))
    path.write_bytes(ftyp + (mdat + moov if moov_last else moov + mdat))
    return path


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I4s", len(payload) + 8, kind) + payload


def problems(platform: str, *media: Media, text: str = "Day 12 on set") -> list[str]:
    return check(RULES[platform], text, media).problems


def warnings(platform: str, *media: Media, text: str = "Day 12 on set") -> list[str]:
    return check(RULES[platform], text, media).warnings


def held(path: Path, kind: Literal["image", "video"], alt: str | None) -> Media:
    """``path`` as an upload Callsheet holds: judged on what its bytes were found to be."""
    found = probe_file(path)
    assert found.where == "file", found.error
    upload = HeldFile(
        media_id=1,
        sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
        content_type=found.content_type or "application/octet-stream",
        bytes=found.bytes or 0,
        name=found.name,
        width=found.width,
        height=found.height,
        seconds=found.seconds,
    )
    return Media(url="media:1", kind=kind, alt=alt, held=upload)


def still(path: Path, alt: str | None = "The crew at dawn") -> Media:
    return held(path, "image", alt)


def clip(path: Path, alt: str | None = "The first take") -> Media:
    return held(path, "video", alt)


# --- probing ------------------------------------------------------------------------------------


def test_an_image_file_is_read_for_type_size_and_pixels(tmp_path: Path) -> None:
    path = picture(tmp_path / "still.jpg", 1080, 1350)
    found = probe_file(path)
    assert (found.where, found.name, found.content_type) == ("file", "still.jpg", "image/jpeg")
    assert (found.width, found.height, found.bytes) == (1080, 1350, path.stat().st_size)
    assert found.ratio == pytest.approx(0.8)
    # A post naming it (a path, file://) is not looked at: the same answer as for no file.
    for named in (str(path), path.as_uri(), str(tmp_path / "gone.jpg")):
        assert probe(named) == Probe(where="missing", name="not a link", error=NOT_A_LINK)


def test_the_bytes_say_the_type_not_the_name(tmp_path: Path) -> None:
    renamed = picture(tmp_path / "really.png", 40, 30).rename(tmp_path / "still.jpg")
    assert probe_file(renamed).content_type == "image/png"
    assert sniff(b"\x00\x00\x00\x14ftypqt  ") == "video/quicktime"
    assert sniff(b"\x00\x00\x00\x18ftypheic") == "image/heic"


def test_a_phone_photo_turned_by_exif_is_measured_as_shown(tmp_path: Path) -> None:
    upright = picture(tmp_path / "upright.jpg", 4000, 3000, orientation=6)
    assert (probe_file(upright).width, probe_file(upright).height) == (3000, 4000)


def test_a_movie_header_gives_length_and_picture_size(tmp_path: Path) -> None:
    found = probe_file(movie(tmp_path / "teaser.mp4", 42.5, 1920, 1080))
    assert (found.content_type, found.seconds, found.width, found.height) == (
        "video/mp4",
        42.5,
        1920,
        1080,
    )
    filmed_upright = probe_file(movie(tmp_path / "phone.mp4", 9, 1920, 1080, quarter_turn=True))
    assert (filmed_upright.width, filmed_upright.height) == (1080, 1920)
    at_the_end = probe_file(movie(tmp_path / "late.mp4", 7, moov_last=True, size=300_000))
    assert (at_the_end.seconds, at_the_end.bytes) == (7, 300_000)


def test_movie_headers_from_the_tiktok_helper_and_the_adapters_import(tmp_path: Path) -> None:
    assert video.mp4_duration is mp4_duration  # one reader, re-exported for the adapters
    assert mp4_duration(mp4(seconds=90.5, version=1)) == 90.5
    assert mp4_dimensions(mp4(seconds=3)) is None  # no track: no picture size
    (tmp_path / "bare.mp4").write_bytes(mp4(seconds=12))
    found = probe_file(tmp_path / "bare.mp4")
    assert (found.seconds, found.width) == (12, None)


def test_links_are_named_not_fetched_and_missing_files_say_why(tmp_path: Path) -> None:
    link = probe("https://cdn.test/stills/rain.webp?v=2")
    assert (link.where, link.name, link.content_type, link.bytes) == (
        "link",
        "rain.webp",
        "image/webp",
        None,
    )
    missing = probe_file(tmp_path / "gone.jpg")
    assert (missing.where, missing.error) == ("missing", "there is no such file")
    assert probe_file(tmp_path).error == "it is not a file"


def test_a_file_changed_on_disk_is_read_again(tmp_path: Path) -> None:
    path = picture(tmp_path / "still.png", 100, 100)
    assert probe_file(path).width == 100
    picture(path, 300, 100, pad=10)
    assert probe_file(path).width == 300


# --- type, size, proportions, length -------------------------------------------------------------


def test_type_per_platform(tmp_path: Path) -> None:
    png = still(picture(tmp_path / "still.png", 1080, 1080))
    assert problems("x", png) == []
    assert problems("mastodon", png) == []
    assert "Instagram takes images as JPEG only; image 1 (still.png) is PNG." in problems(
        "instagram", png
    )
    gif_link = Media(url="https://cdn.test/loop.gif", kind="image", alt="A clapperboard")
    assert problems("threads", gif_link) == [
        "Threads takes images as JPEG or PNG; image 1 (loop.gif) is GIF."
    ]
    webm = clip(movie(tmp_path / "clip.mp4", 10))
    assert problems("bluesky", webm) == []
    webm_link = Media(url="https://cdn.test/clip.webm", kind="video", alt="A take")
    assert problems("bluesky", webm_link) == [
        "Bluesky takes videos as MP4 only; video 1 (clip.webm) is WebM."
    ]


def test_a_file_of_the_other_kind_is_a_problem(tmp_path: Path) -> None:
    wrong = held(movie(tmp_path / "teaser.mp4", 10), "image", "Teaser")
    assert problems("mastodon", wrong) == [
        "Image 1 (teaser.mp4) is a video (MP4), not an image; give its kind as video."
    ]


def test_size_per_platform(tmp_path: Path) -> None:
    big = still(picture(tmp_path / "big.jpg", 800, 600, pad=1_100_000))
    assert problems("bluesky", big) == [
        "Image 1 (big.jpg) is 1.1 MB; Bluesky takes images up to 1 MB."
    ]
    assert problems("x", big) == []  # X takes 5 MB
    edge = picture(tmp_path / "edge.jpg", 80, 60)
    picture(edge, 80, 60, pad=1_000_001 - edge.stat().st_size)
    just_over = still(edge)
    assert problems("bluesky", just_over) == [
        "Image 1 (edge.jpg) is 1,000,001 bytes; Bluesky takes images up to 1,000,000 bytes."
    ]


def test_animated_gifs_have_their_own_size_on_x(tmp_path: Path) -> None:
    gif = still(picture(tmp_path / "loop.gif", 320, 240, pad=6_000_000))
    assert problems("x", gif) == []  # a GIF may be 15 MB on X, an image 5 MB
    jpeg = still(picture(tmp_path / "still.jpg", 320, 240, pad=6_000_000))
    assert problems("x", jpeg) == ["Image 1 (still.jpg) is 6 MB; X takes images up to 5 MB."]


def test_aspect_ratio_where_documented(tmp_path: Path) -> None:
    portrait = picture(tmp_path / "portrait.jpg", 1080, 1350)
    landscape = picture(tmp_path / "landscape.jpg", 1080, 566)  # Instagram's own 1.91:1 example
    wide = picture(tmp_path / "wide.jpg", 3000, 1000)
    public = "Instagram fetches media from a public link"
    for fine in (portrait, landscape):
        assert [p for p in problems("instagram", still(fine)) if public not in p] == []
    wide_problems = problems("instagram", still(wide))
    assert (
        "Instagram takes images from 1:1.25 (tallest) to 1.91:1 (widest); image 1 (wide.jpg) is"
        " 3000 by 1000 pixels, 3:1." in wide_problems
    )
    assert problems("mastodon", still(wide)) == []  # no documented ratio
    banner = still(picture(tmp_path / "banner.png", 1200, 100))
    assert any("10:1 (widest)" in p for p in problems("threads", banner))
    square_video = clip(movie(tmp_path / "tall.mp4", 10, 300, 1000))
    assert problems("x", square_video) == [
        "X takes videos from 1:3 (tallest) to 3:1 (widest); video 1 (tall.mp4) is 300 by 1000"
        " pixels, 1:3.33."
    ]


def test_video_length_per_platform(tmp_path: Path) -> None:
    long_take = clip(movie(tmp_path / "long.mp4", 150))
    assert problems("x", long_take) == [
        "X takes videos from 0.5 s to 2 min 20 s; video 1 (long.mp4) runs 2 min 30 s."
    ]
    assert problems("x", clip(movie(tmp_path / "blink.mp4", 0.4))) == [
        "X takes videos from 0.5 s to 2 min 20 s; video 1 (blink.mp4) runs 0.4 s."
    ]
    assert problems("x", clip(movie(tmp_path / "fine.mp4", 30))) == []
    assert problems("bluesky", clip(movie(tmp_path / "bsky.mp4", 181))) == [
        "Bluesky takes videos up to 3 min; video 1 (bsky.mp4) runs 3 min 1 s."
    ]
    assert problems("tiktok", clip(movie(tmp_path / "tt.mp4", 11 * 60))) == [
        "TikTok takes videos from 3 s to 10 min; video 1 (tt.mp4) runs 11 min."
    ]
    assert problems("youtube", clip(movie(tmp_path / "yt.mp4", 3 * 3600)), text="Day 12") == []
    mastodon_long = clip(movie(tmp_path / "m.mp4", 3 * 3600))
    assert problems("mastodon", mastodon_long) == []


def test_instagram_judges_a_video_alone_as_a_reel_and_in_a_carousel_as_a_video(
    tmp_path: Path,
) -> None:
    reel = Media(url="https://cdn.test/reel.mp4", kind="video")
    assert problems("instagram", reel) == []
    ninety = movie(tmp_path / "ninety.mp4", 90, 1080, 1920)
    local = [p for p in problems("instagram", clip(ninety)) if "public link" not in p]
    assert local == []  # a 90 s reel is fine
    pair = [p for p in problems("instagram", clip(ninety), reel) if "public link" not in p]
    assert pair == [
        "Instagram takes videos in a post with other media from 1:1.25 (tallest) to 1.78:1"
        " (widest); video 1 (ninety.mp4) is 1080 by 1920 pixels, 1:1.78.",
        "Instagram takes videos in a post with other media from 3 s to 1 min; video 1"
        " (ninety.mp4) runs 1 min 30 s.",
    ]


def test_a_length_that_cannot_be_read_is_a_warning(tmp_path: Path) -> None:
    headless = tmp_path / "headless.mp4"
    headless.write_bytes(_box(b"ftyp", b"isom\x00\x00\x02\x00isom") + _box(b"mdat", bytes(64)))
    verdict = check(RULES["x"], "cut", [clip(headless)])
    assert verdict.valid
    assert verdict.warnings == [
        "The proportions of video 1 (headless.mp4) could not be read; X takes videos from 1:3 to"
        " 3:1 and will refuse it otherwise.",
        "The length of video 1 (headless.mp4) could not be read; X takes videos from 0.5 s to"
        " 2 min 20 s.",
    ]


# --- counts -------------------------------------------------------------------------------------


def test_counts_and_mixing(tmp_path: Path) -> None:
    image = Media(url="https://cdn.test/a.jpg", kind="image", alt="A")
    film = Media(url="https://cdn.test/b.mp4", kind="video", alt="B")
    assert problems("x", *[image] * 5) == ["X takes at most 4 images per post; this post has 5."]
    assert problems("x", image, film) == [
        "X takes images or a video in one post, not both; this post has one image and one video."
    ]
    assert problems("mastodon", *[image] * 5) == [
        "Mastodon takes at most 4 images and videos in one post; this post has 5."
    ]
    assert "Instagram takes at most 10 images and videos in one post; this post has 11." in (
        problems("instagram", *[image] * 11)
    )
    assert problems("threads", *[image] * 19, film) == []  # a mixed carousel of 20
    assert problems("tiktok", image, film) == [
        "TikTok takes no images; image 1 cannot go with this post."
    ]
    assert problems("tiktok", image) == ["TikTok needs a video."]  # said once
    gif = Media(url="https://cdn.test/loop.gif", kind="image", alt="Loop")
    assert problems("x", gif, image) == [
        "X takes GIF files only on their own; image 1 (loop.gif) shares this post with 1 other"
        " medium."
    ]
    assert problems("discord", *[image] * 11) == [
        "Discord takes at most 10 images per post; this post has 11."
    ]


# --- alt text, links, local files -----------------------------------------------------------------


def test_alt_text_is_a_warning_where_the_platform_carries_it(tmp_path: Path) -> None:
    bare_image = Media(url="https://cdn.test/a.jpg", kind="image")
    bare_video = Media(url="https://cdn.test/b.mp4", kind="video")
    assert warnings("mastodon", bare_image)[-1] == (
        "Image 1 has no alt text: people using screen readers on Mastodon will not know what it"
        " shows."
    )
    assert any(w.startswith("Video 1 has no alt text") for w in warnings("mastodon", bare_video))
    assert not any("alt text" in w for w in warnings("x", bare_video))  # X: images only
    assert any(w.startswith("Image 1 has no alt text") for w in warnings("instagram", bare_image))
    assert warnings("discord", bare_image) == []
    described = Media(url="https://cdn.test/a.jpg", kind="image", alt="  The gaffer  ")
    assert not any("alt text" in w for w in warnings("mastodon", described))


def test_links_are_left_to_the_platform_with_a_warning() -> None:
    link = Media(url="https://cdn.test/rain.jpg", kind="image", alt="Rain")
    assert warnings("instagram", link) == [
        "Image 1 (rain.jpg) is a link, not fetched until the post is due: its size and"
        " proportions will be checked by Instagram then."
    ]
    film = Media(url="https://cdn.test/teaser", kind="video", alt="Teaser")
    assert warnings("tiktok", film) == [
        "Video 1 (teaser) is a link, not fetched until the post is due: its type, size and"
        " length will be checked by TikTok then."
    ]
    assert warnings("outbox", link) == []  # nothing to check: nothing to say
    assert check(RULES["instagram"], "", [link]).valid


#: What a post that names a file on the server is told, whether the file exists or not.
NOT_READ = (
    "Image 1 (not a link) cannot be used: it is not an http(s) link, and files on the server"
    " are never read."
)


def test_a_server_file_a_post_names_is_a_problem_everywhere_and_never_read(
    tmp_path: Path,
) -> None:
    there = picture(tmp_path / "there.jpg", 80, 60)
    for named in (str(there), there.as_uri(), str(tmp_path / "gone.jpg")):
        on_disk = Media(url=named, kind="image", alt="The crew")
        for platform in ("outbox", "mastodon", "x"):
            verdict = check(RULES[platform], "Day 12", [on_disk])
            assert verdict.problems == [NOT_READ]
            assert verdict.media_problems == verdict.problems
            assert verdict.text_problems == []


def test_platforms_that_fetch_media_need_a_public_link(tmp_path: Path) -> None:
    square = still(picture(tmp_path / "square.jpg", 1080, 1080))
    for platform, name in (("instagram", "Instagram"), ("threads", "Threads"), ("slack", "Slack")):
        assert problems(platform, square) == [
            f"{name} fetches media from a public link; image 1 (square.jpg) is a file Callsheet"
            " holds. Put it online and give its https:// address instead."
        ]
    assert problems("mastodon", square) == []  # Mastodon is sent the bytes


def test_discord_shows_images_only(tmp_path: Path) -> None:
    film = Media(url="https://cdn.test/b.mp4", kind="video")
    assert warnings("discord", film) == [
        "Discord does not show videos: video 1 (b.mp4) will not be part of this post."
    ]


def test_text_and_media_problems_are_told_apart(tmp_path: Path) -> None:
    verdict = check(RULES["instagram"], " ".join(f"#t{n}x" for n in range(31)))
    assert verdict.text_problems == ["Instagram allows at most 30 hashtags; this caption has 31."]
    assert verdict.media_problems == ["Instagram needs an image or a video."]
    data = verdict.as_json()
    assert data["media_problems"] == verdict.media_problems
    assert data["media"] == []


def test_facts_are_part_of_the_verdict(tmp_path: Path) -> None:
    verdict = check(RULES["mastodon"], "Day 12", [clip(movie(tmp_path / "t.mp4", 8, 640, 360))])
    (facts,) = verdict.as_json()["media"]
    assert facts == {
        "number": 1,
        "kind": "video",
        "where": "file",
        "name": "t.mp4",
        "content_type": "video/mp4",
        "bytes": 4096,
        "width": 640,
        "height": 360,
        "seconds": 8.0,
        "alt": True,
        "media_id": 1,
    }


# --- the adapter's single entry point -------------------------------------------------------------


class _Plugin(Adapter):
    """A third-party adapter from before media rules: no ``rules``, its own ``validate``."""

    name: ClassVar[str] = "carrier-pigeon"

    def validate(self, text: str) -> list[str]:
        return ["a pigeon carries 40 characters"] if len(text) > 40 else []

    def publish(self, request: PublishRequest) -> PublishResult:
        raise NotImplementedError


class _Outbox(Adapter):
    name: ClassVar[str] = "outbox"

    def publish(self, request: PublishRequest) -> PublishResult:
        raise NotImplementedError


def test_adapter_check_uses_the_platform_rules_and_keeps_a_plugins_validate(
    tmp_path: Path,
) -> None:
    from platforms.adapters.base import AdapterSettings

    plugin = _Plugin(AdapterSettings())
    assert plugin.check("short").valid
    assert plugin.check("x" * 41).problems == ["a pigeon carries 40 characters"]
    gone = Media(url=str(tmp_path / "gone.jpg"))
    verdict = plugin.check("x" * 41, [gone])
    assert verdict.text_problems == ["a pigeon carries 40 characters"]
    assert verdict.media_problems == [NOT_READ]
    outbox = _Outbox(AdapterSettings())
    assert outbox.rules_for_account() is RULES["outbox"]
    assert outbox.check("", [Media(url="https://cdn.test/a.jpg")]).valid


# --- callsheet lint --media ---------------------------------------------------------------------


def test_lint_reads_a_file_named_with_media(tmp_path: Path) -> None:
    wide = picture(tmp_path / "wide.jpg", 3000, 1000)
    done = subprocess.run(
        [*CALLSHEET, "lint", "-p", "mastodon", "--media", f"{wide}=The unit base at night"],
        input=b"Night exteriors",
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "3000 by 1000" in done.stdout.decode()
    done = subprocess.run(
        [*CALLSHEET, "lint", "-p", "instagram", "--json", "--media", str(wide)],
        input=b"Night exteriors",
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert b"1.91:1 (widest)" in done.stdout
    unknown = subprocess.run(
        [*CALLSHEET, "lint", "-p", "x", "--media", str(tmp_path / "clip.bin")],
        input=b"x",
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert unknown.returncode == 2
    assert b"video:" in unknown.stderr


# --- the API, at submit time and in previews ----------------------------------------------------


@pytest.fixture
def production(client: httpx.Client) -> dict[str, int]:
    made = client.post(
        "/productions", json={"title": "Night Shift", "kind": "film", "timezone": "Europe/London"}
    ).json()
    milestone = client.post(
        f"/productions/{made['id']}/milestones",
        json={"kind": "premiere", "name": "Premiere", "at": PREMIERE},
    ).json()
    return {"production": made["id"], "milestone": milestone["id"]}


def _account(
    client: httpx.Client, production: dict[str, int], platform: str, settings: dict[str, Any]
) -> int:
    made = client.post(
        "/accounts",
        json={
            "platform": platform,
            "handle": "@nightshift",
            "settings": settings,
            "production_ids": [production["production"]],
        },
    )
    assert made.status_code == 201, made.text
    return int(made.json()["id"])


def _instagram(client: httpx.Client, production: dict[str, int]) -> int:
    return _account(client, production, "instagram", {"access_token": "tok", "ig_user_id": "17841"})


def _mastodon(client: httpx.Client, production: dict[str, int]) -> int:
    settings = {"base_url": "https://mastodon.test", "access_token": "tok"}
    return _account(client, production, "mastodon", settings)


def _post(production: dict[str, int], account: int, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "production_id": production["production"],
        "pillar": "countdown",
        "body": "Two weeks to the premiere",
        "anchor": {"milestone_id": production["milestone"], "offset": "-P14D"},
        "account_ids": [account],
    }
    body.update(changes)
    return body


def test_a_post_to_instagram_without_media_is_refused_naming_media(
    client: httpx.Client, production: dict[str, int]
) -> None:
    answer = client.post("/posts", json=_post(production, _instagram(client, production)))
    assert answer.status_code == 422, answer.text
    (problem,) = answer.json()["errors"]
    assert problem["loc"][-1] == "media"
    assert problem["msg"] == "instagram @nightshift: Instagram needs an image or a video."


def test_a_picture_on_the_server_is_refused_before_any_rule_reads_it(
    client: httpx.Client, production: dict[str, int], tmp_path: Path
) -> None:
    """The rules judge files Callsheet holds; what a person types is a link, never a path."""
    wide = picture(tmp_path / "wide.jpg", 3000, 1000)
    body = _post(
        production, _instagram(client, production), media=[{"url": str(wide), "alt": "Unit base"}]
    )
    answer = client.post("/posts", json=body)
    assert answer.status_code == 422, answer.text
    (problem,) = answer.json()["errors"]
    assert problem["loc"][-3:] == ["media", 0, "url"]
    assert "files on the server are never read" in problem["msg"]
    assert "pixels" not in problem["msg"]


def test_text_problems_name_the_body_before_media(
    client: httpx.Client, production: dict[str, int]
) -> None:
    tags = " ".join(f"#tag{n}x" for n in range(31))
    answer = client.post(
        "/posts", json=_post(production, _instagram(client, production), body=tags)
    )
    (problem,) = answer.json()["errors"]
    assert (answer.status_code, problem["loc"][-1]) == (422, "body")
    assert "30 hashtags" in problem["msg"]


def test_an_edit_to_a_server_path_is_refused_without_saying_whether_it_exists(
    client: httpx.Client, production: dict[str, int], tmp_path: Path
) -> None:
    account = _mastodon(client, production)
    made = client.post("/posts", json=_post(production, account))
    assert made.status_code == 201, made.text
    edit = {"version": 1, "media": [{"url": str(tmp_path / "gone.jpg"), "alt": "Gone"}]}
    answer = client.patch(f"/posts/{made.json()['id']}", json=edit)
    assert answer.status_code == 422, answer.text
    (problem,) = answer.json()["errors"]
    assert problem["loc"][-3:] == ["media", 0, "url"]
    assert "files on the server are never read" in problem["msg"]
    assert "no such file" not in answer.text


def test_the_preview_shows_each_deliverys_verdict_with_the_alt_text_warning(
    client: httpx.Client, production: dict[str, int]
) -> None:
    media = [
        "https://cdn.test/frame.jpg",
        {"url": "https://cdn.test/slate.png", "alt": "The slate"},
    ]
    made = client.post("/posts", json=_post(production, _mastodon(client, production), media=media))
    assert made.status_code == 201, made.text

    (shown,) = client.get(f"/posts/{made.json()['id']}/preview").json()

    verdict = shown["verdict"]
    assert (verdict["valid"], verdict["limit"], verdict["unit"]) == (True, 500, "characters")
    assert verdict["length"] == len("Two weeks to the premiere")
    assert verdict["parts"] == ["Two weeks to the premiere"]
    assert verdict["problems"] == []
    assert sorted(verdict["warnings"]) == [
        "Image 1 (frame.jpg) is a link, not fetched until the post is due: its size will be"
        " checked by Mastodon then.",
        "Image 1 has no alt text: people using screen readers on Mastodon will not know what it"
        " shows.",
        "Image 2 (slate.png) is a link, not fetched until the post is due: its size will be"
        " checked by Mastodon then.",
    ]
    first, second = verdict["media"]
    assert (first["where"], first["content_type"], first["alt"]) == ("link", "image/jpeg", False)
    assert (second["where"], second["content_type"], second["alt"]) == ("link", "image/png", True)
