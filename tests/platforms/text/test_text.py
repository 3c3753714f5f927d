"""The per-platform text rules: counting, entities, Bluesky facets, threads, check and shape."""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from platforms.adapters import registry
from platforms.text import (
    RULES,
    CannotPublish,
    TextRules,
    UnknownRules,
    bluesky_facets,
    check,
    extract_entities,
    extract_hashtags,
    extract_mentions,
    extract_urls,
    facet_records,
    shape,
    split_thread,
    split_title,
    weighted_length,
)
from platforms.text.measures import characters, graphemes, mastodon_length
from platforms.text.split import Unsplittable
from platforms.text.unicode import utf8_length, utf16_length
from tests.platforms.text import text_conformance as conformance

FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"  # 👨‍👩‍👧‍👦
FLAG_FR = "\U0001f1eb\U0001f1f7"
FLAG_ENGLAND = "\U0001f3f4\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f"
KEYCAP_ONE = "1\ufe0f\u20e3"
WAVE_MEDIUM = "\U0001f44b\U0001f3fd"  # 👋🏽
TECHNOLOGIST = "\U0001f9d1\U0001f3fd\u200d\U0001f4bb"  # 🧑🏽‍💻
PHOENIX = "\U0001f426\u200d\U0001f525"  # 🐦‍🔥, Unicode 15.1: newer than twitter-text's list
RAINBOW_FLAG = "\U0001f3f3\ufe0f\u200d\U0001f308"
NUMBERED = re.compile(r" (\d+)/(\d+)$")


@dataclass(frozen=True)
class Media:
    kind: str
    alt: str | None = None


# --- twitter-text conformance ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("description", "text", "expected", "valid"),
    conformance.WEIGHTED,
    ids=[case[0][:60] for case in conformance.WEIGHTED],
)
def test_weighted_length_conformance(description: str, text: str, expected: int, valid: bool):
    assert weighted_length(text) == expected
    assert check(RULES["x"].without_threads(), text).valid is valid


@pytest.mark.parametrize(("text", "expected"), conformance.URLS)
def test_url_extraction_conformance(text: str, expected: list[str]):
    assert [url.text for url in extract_urls(text)] == expected


@pytest.mark.parametrize(("text", "expected"), conformance.URLS_WITH_INDICES)
def test_url_indices_conformance(text: str, expected: list[tuple[str, int, int]]):
    assert [(url.text, url.start, url.end) for url in extract_urls(text)] == expected


@pytest.mark.parametrize(("text", "expected"), conformance.MENTIONS)
def test_mention_conformance(text: str, expected: list[str]):
    assert [mention.value for mention in extract_mentions(text)] == expected


@pytest.mark.parametrize(("text", "expected"), conformance.MENTIONS_WITH_INDICES)
def test_mention_indices_conformance(text: str, expected: list[tuple[str, int, int]]):
    found = extract_mentions(text)
    assert [(m.value, m.start, m.end) for m in found] == [(n, s - 0, e) for n, s, e in expected]


@pytest.mark.parametrize(("text", "expected"), conformance.HASHTAGS)
def test_hashtag_conformance(text: str, expected: list[str]):
    found = [entity for entity in extract_entities(text) if entity.kind == "hashtag"]
    assert [tag.value for tag in found] == expected


@pytest.mark.parametrize(("text", "expected"), conformance.HASHTAGS_WITH_INDICES)
def test_hashtag_indices_conformance(text: str, expected: list[tuple[str, int, int]]):
    assert [(tag.value, tag.start, tag.end) for tag in extract_hashtags(text)] == expected


@pytest.mark.parametrize(("text", "valid"), conformance.HASHTAG_VALIDITY)
def test_hashtag_validity_conformance(text: str, valid: bool):
    found = extract_hashtags(text)
    assert (len(found) == 1 and found[0].text == text) is valid


# --- X weighted length -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hello", 5),
        ("", 0),
        (FAMILY, 2),  # a ZWJ family is one emoji
        (FLAG_FR, 2),
        (FLAG_FR + FLAG_FR, 4),
        (FLAG_ENGLAND, 2),  # a tag sequence
        (KEYCAP_ONE, 2),
        ("1\u20e3", 2),  # keycap without the variation selector
        ("#\ufe0f\u20e3", 2),
        (WAVE_MEDIUM, 2),  # skin tone
        (TECHNOLOGIST, 2),  # skin tone inside a ZWJ sequence
        (PHOENIX, 2),
        (RAINBOW_FLAG, 2),
        ("\U0001f3fd", 2),  # a lone skin-tone swatch
        ("\U0001f1eb", 2),  # a lone regional indicator
        ("\u00a9", 1),  # © as text
        ("\u00a9\ufe0f", 2),  # © as emoji
        ("\u2764", 2),  # ❤ in text presentation still weighs 2 (outside the light ranges)
        ("\u2764\ufe0f", 2),
        ("\u2764\ufe0e", 4),  # explicit text presentation: two characters, not one emoji
        ("\U0001f637\ufe0f", 4),  # 😷 is emoji already: the selector after it is a character
        ("\u261d\ufe0f\U0001f3fd", 2),  # ☝️🏽
        ("1", 1),
        ("#", 1),
        ("#\ufe0f", 3),  # no keycap: '#' plus a stray variation selector
        ("\U0001f468\u200d", 3),  # a dangling ZWJ weighs 1
        ("日本語", 6),
        ("the日本", 7),
        ("한국어", 6),
        ("Привет", 6),  # Cyrillic is in the light range
        ("\u2014\u2026", 3),  # em dash 1 (8212), ellipsis 2 (8230)
        ("e\u0301", 1),  # NFC: e + combining acute is é
        ("\u00e9", 1),
        ("Visit example.com.", 30),  # trailing full stop is not part of the link
        ("(see https://example.com/a)", 29),
        ("https://example.com/" + "a" * 200, 23),
        ("example.com/path?q=1", 23),
        ("file.tar and notes.txt", 22),  # not TLDs: counted as written
        ("me@example.com", 14),  # an e-mail address is not a link
        ("ßexample.com", 24),  # twitter-text reads the first character as the one before a link
        ("example.com?q=1", 27),  # without a scheme, a query joins the link only after a path
        ("example.com/?q=1", 23),
        ("the.community rocks", 29),  # a newer gTLD is a link
        (f"{FAMILY} at example.com", 2 + 4 + 23),
    ],
)
def test_weighted_length(text: str, expected: int):
    assert weighted_length(text) == expected


def test_weighted_length_boundary_at_280():
    assert check(RULES["x"], "a" * 280).valid
    verdict = check(RULES["x"].without_threads(), "a" * 278 + "日")
    assert (verdict.length, verdict.valid) == (280, True)
    over = check(RULES["x"].without_threads(), "a" * 279 + "日")
    assert over.length == 281
    assert over.problems == ["280 weighted characters is X's limit; this text has 281."]


@given(st.text(alphabet=st.characters(codec="ascii", categories=["L", "Zs"]), max_size=300))
def test_plain_ascii_words_weigh_their_length(text: str):
    assert weighted_length(text) == len(text)


@given(st.text(max_size=60))
def test_weighted_length_is_the_same_for_any_normal_form(text: str):
    assert weighted_length(unicodedata.normalize("NFD", text)) == weighted_length(
        unicodedata.normalize("NFC", text)
    )


# --- other measures --------------------------------------------------------------------------


def test_graphemes_bytes_and_code_units():
    text = f"e\u0301{FAMILY}{FLAG_FR}日"
    assert graphemes(text) == 4
    assert utf8_length(unicodedata.normalize("NFC", text)) == 2 + 25 + 8 + 3
    assert characters(text) == 1 + 11 + 4 + 1  # UTF-16 code units of the NFC form
    assert utf16_length("a\U0001f600") == 3


def test_mastodon_counts_links_as_23_and_mentions_without_their_domain():
    assert mastodon_length("https://example.com/" + "a" * 100) == 23
    assert mastodon_length("example.com/" + "a" * 20) == 32  # no scheme: not linked, as written
    assert mastodon_length("hi @user@mastodon.social") == len("hi @user")
    assert mastodon_length(f"{FAMILY} {FLAG_FR}") == 3  # grapheme clusters


def test_mastodon_limit_is_per_instance():
    text = "word " * 120  # 600 characters
    assert check(RULES["mastodon"].without_threads(), text).valid is False
    roomy = check(RULES["mastodon"].with_limit(1000).without_threads(), text)
    assert (roomy.valid, roomy.limit) == (True, 1000)
    assert RULES["mastodon"].limit == 500  # the shared rules are untouched


def test_with_limit_refuses_nonsense():
    with pytest.raises(ValueError, match="positive"):
        RULES["x"].with_limit(0)


# --- entities --------------------------------------------------------------------------------


def test_entities_with_spans_and_values():
    text = "On set with @ana and @bob@mastodon.social #BTS see example.com/x!"
    found = extract_entities(text)
    assert [(e.kind, e.text, e.value) for e in found] == [
        ("mention", "@ana", "ana"),
        ("mention", "@bob@mastodon.social", "bob@mastodon.social"),
        ("hashtag", "#BTS", "BTS"),
        ("url", "example.com/x", "https://example.com/x"),
    ]
    assert all(text[e.start : e.end] == e.text for e in found)


def test_entities_inside_a_link_belong_to_the_link():
    found = extract_entities("read https://example.com/@ana/#top now")
    assert [(e.kind, e.text) for e in found] == [("url", "https://example.com/@ana/#top")]


@pytest.mark.parametrize(
    ("text", "links"),
    [
        ("example.com", ["example.com"]),
        ("https://example.com", ["https://example.com"]),
        ("Go to example.com/path.", ["example.com/path"]),
        ("Go to example.com/path,", ["example.com/path"]),
        ("Really? https://example.com/a?b=c!", ["https://example.com/a?b=c"]),
        ("“example.com”", ["example.com"]),
        ("(example.com/wiki/Primer_(film))", ["example.com/wiki/Primer_(film)"]),
        ("file.tar.gz", []),
        ("no.such.tld.invalidtld", []),
        ("ELPAÍS.com", ["ELPAÍS.com"]),
        ("http://例え.jp/パス", ["http://例え.jp/"]),
    ],
)
def test_links_with_and_without_scheme(text: str, links: list[str]):
    assert [url.text for url in extract_urls(text)] == links


def test_links_without_scheme_can_be_left_out():
    found = extract_urls("a.com and https://b.com", without_scheme=False)
    assert [url.text for url in found] == ["https://b.com"]


def test_mention_forms():
    values = [m.value for m in extract_mentions("@ana @alice.bsky.social @bob@mas.to me@x.com")]
    assert values == ["ana", "alice.bsky.social", "bob@mas.to"]


# --- Bluesky facets --------------------------------------------------------------------------


def test_facet_byte_offsets_count_an_emoji_before_a_link_as_four_bytes():
    text = "🎬 Day 1 https://example.com"
    (link,) = bluesky_facets(text)
    assert (link.byte_start, link.byte_end) == (11, 30)
    assert text.encode()[link.byte_start : link.byte_end] == b"https://example.com"
    assert link.as_record() == {
        "index": {"byteStart": 11, "byteEnd": 30},
        "features": [{"$type": "app.bsky.richtext.facet#link", "uri": "https://example.com"}],
    }


def test_facets_for_tags_mentions_and_schemeless_links():
    text = f"{FAMILY} Wrap! #BTS with @Alice.bsky.social at example.com/set @bob @c@mas.to"
    facets = bluesky_facets(text)
    assert [(f.kind, f.value) for f in facets] == [
        ("tag", "BTS"),
        ("mention", "alice.bsky.social"),
        ("link", "https://example.com/set"),
    ]
    raw = text.encode()
    assert [raw[f.byte_start : f.byte_end].decode() for f in facets] == [
        "#BTS",
        "@Alice.bsky.social",
        "example.com/set",
    ]


def test_mention_facets_need_a_did_and_unresolved_ones_are_left_out():
    facets = bluesky_facets("@alice.bsky.social and @ghost.bsky.social #tag")
    dids = {"alice.bsky.social": "did:plc:alice"}
    records = facet_records(facets, dids.get)
    assert [record["features"][0] for record in records] == [
        {"$type": "app.bsky.richtext.facet#mention", "did": "did:plc:alice"},
        {"$type": "app.bsky.richtext.facet#tag", "tag": "tag"},
    ]
    with pytest.raises(ValueError, match="DID"):
        facets[0].as_record()


def test_tags_over_64_graphemes_get_no_facet():
    assert bluesky_facets("#" + "a" * 64)[0].value == "a" * 64
    assert bluesky_facets("#" + "a" * 65) == []


@given(st.text(alphabet="ab é日🎬#@.:/ \n", max_size=40).map(lambda t: t + " #tag x.com"))
def test_facet_offsets_always_slice_the_utf8_text(text: str):
    raw = text.encode()
    for facet in bluesky_facets(text):
        piece = raw[facet.byte_start : facet.byte_end].decode()
        assert piece.lstrip("#@").lower() in facet.value.lower()


# --- check and shape -------------------------------------------------------------------------


def test_rules_cover_every_platform():
    assert set(RULES) == {
        "x",
        "bluesky",
        "mastodon",
        "threads",
        "instagram",
        "facebook",
        "linkedin",
        "tiktok",
        "youtube",
        "slack",
        "discord",
        "webhook",
        "outbox",
    }
    assert {name for name, rules in RULES.items() if rules.threadable} == {
        "x",
        "bluesky",
        "mastodon",
        "threads",
    }
    assert all(rules.platform == name for name, rules in RULES.items())


@pytest.mark.parametrize(
    ("platform", "limit", "unit"),
    [
        ("x", 280, "weighted characters"),
        ("bluesky", 300, "graphemes"),
        ("mastodon", 500, "characters"),
        ("threads", 500, "characters"),
        ("instagram", 2200, "characters"),
        ("facebook", 63206, "characters"),
        ("linkedin", 3000, "characters"),
        ("tiktok", 2200, "characters"),
        ("youtube", 5000, "characters"),
        ("slack", 40000, "characters"),
        ("discord", 2000, "characters"),
    ],
)
def test_limits(platform: str, limit: int, unit: str):
    rules = RULES[platform]
    assert (rules.limit, rules.unit) == (limit, unit)


def test_a_text_that_fits_is_published_as_it_is_in_nfc():
    assert shape(RULES["x"], "Wrap party tonight") == ["Wrap party tonight"]
    assert shape(RULES["linkedin"], "Caf\u0065\u0301") == ["Caf\u00e9"]


def test_over_the_limit_on_a_platform_that_does_not_thread():
    verdict = check(RULES["discord"], "a" * 2001)
    assert verdict.valid is False
    assert verdict.problems == ["2,000 characters is Discord's limit; this text has 2,001."]
    assert verdict.parts is None
    with pytest.raises(CannotPublish) as raised:
        shape(RULES["discord"], "a" * 2001)
    assert isinstance(raised.value, ValueError)
    message = str(raised.value)
    assert "Discord" in message
    assert "2,001" in message
    assert "2,000" in message
    assert (raised.value.length, raised.value.limit) == (2001, 2000)


def test_x_without_threads_names_the_weighted_limit():
    with pytest.raises(CannotPublish, match=r"X \(301 of 280 weighted characters\)"):
        shape(RULES["x"].without_threads(), "a" * 301)


def test_a_long_text_on_a_threadable_platform_is_a_thread_with_a_warning():
    text = " ".join(f"word{n}" for n in range(100))
    verdict = check(RULES["x"], text)
    assert verdict.valid
    assert verdict.parts is not None
    assert len(verdict.parts) == 3
    assert verdict.parts == shape(RULES["x"], text)
    assert verdict.warnings == [
        "Too long for one X post (689 of 280 weighted characters): it will be posted as a"
        " thread of 3."
    ]


def test_bluesky_bytes_limit_is_checked_and_threads_respect_it():
    text = FAMILY * 200  # 200 graphemes, 5,000 bytes
    verdict = check(RULES["bluesky"].without_threads(), text)
    assert verdict.length == 200
    assert verdict.valid is False
    assert "3,000 bytes" in verdict.problems[0]
    parts = shape(RULES["bluesky"], text)
    assert len(parts) == 2
    for part in parts:
        assert utf8_length(part) <= 3000
        assert NUMBERED.sub("", part).replace(FAMILY, "") == ""  # no family cut in half


def test_a_link_too_long_for_one_bluesky_post_cannot_be_published():
    text = "Read https://example.com/" + "a" * 300 + " today"
    verdict = check(RULES["bluesky"], text)
    assert verdict.valid is False
    assert verdict.parts is None
    assert "the link https://example.com/aaa" in verdict.problems[1]
    with pytest.raises(CannotPublish, match="Bluesky"):
        shape(RULES["bluesky"], text)


def test_instagram_needs_media_and_allows_30_hashtags():
    tags = " ".join(f"#tag{n}x" for n in range(30))
    assert check(RULES["instagram"], tags, [Media("image", "a still")]).valid
    verdict = check(RULES["instagram"], tags + " #one_more")
    assert verdict.problems == [
        "Instagram allows at most 30 hashtags; this caption has 31.",
        "Instagram needs an image or a video.",
    ]
    assert verdict.hashtags == 31
    assert check(RULES["instagram"], "", [Media("video")]).valid  # a caption is optional


def test_video_platforms_need_a_video():
    assert check(RULES["tiktok"], "cut!", [Media("image")]).problems == ["TikTok needs a video."]
    assert check(RULES["tiktok"], "cut!", [Media("video")]).valid


def test_youtube_first_line_is_the_title():
    assert split_title("  Day 1 on set\n\nBehind the scenes.\nMore.") == (
        "Day 1 on set",
        "Behind the scenes.\nMore.",
    )
    verdict = check(RULES["youtube"], "Day 1\nThe description", [Media("video")])
    assert verdict.valid
    assert (verdict.title, verdict.title_length, verdict.length) == ("Day 1", 5, 15)
    long_title = check(RULES["youtube"], "T" * 101 + "\ndesc", [Media("video")])
    assert long_title.problems == [
        "100 characters is YouTube's limit for a title (the first line); this title has 101."
    ]
    assert check(RULES["youtube"], "", [Media("video")]).problems == [
        "YouTube needs a title: the first line of the text."
    ]


def test_youtube_refuses_angle_brackets_and_counts_description_bytes():
    verdict = check(RULES["youtube"], "Title\n<b>bold</b>", [Media("video")])
    assert verdict.problems == ['YouTube does not accept "<" or ">"; remove them from the text.']
    cjk = check(RULES["youtube"], "Title\n" + "日" * 2000, [Media("video")])
    assert cjk.length == 2000
    assert cjk.bytes == 6000
    assert "5,000 bytes" in cjk.problems[0]


def test_x_refuses_invalid_characters():
    verdict = check(RULES["x"], "hello\ufeff")
    assert verdict.problems == [
        "X does not accept the invisible character U+FEFF; remove it from the text."
    ]


def test_alt_text_warnings_and_limits():
    verdict = check(RULES["x"], "still", [Media("image"), Media("image", "Two actors")])
    assert verdict.valid
    assert verdict.warnings == [
        "Image 1 has no alt text: people using screen readers on X will not know what it shows."
    ]
    assert check(RULES["x"], "still", [Media("video")]).warnings == []  # X: images only
    assert check(RULES["discord"], "still", [Media("image")]).warnings == []
    too_long = check(RULES["mastodon"], "still", [Media("image", "a" * 1501)])
    assert too_long.problems == [
        "The alt text of image 1 has 1,501 characters; Mastodon allows 1,500."
    ]


def test_empty_text():
    assert check(RULES["slack"], "  ").problems == ["There is no text; Slack needs some."]
    assert check(RULES["x"], "").problems == ["There is nothing to post: no text and no media."]
    assert check(RULES["x"], "", [Media("image", "a still")]).valid


def test_check_as_json_is_json():
    data = check(RULES["bluesky"], "Day 1 " * 60).as_json()
    assert json.loads(json.dumps(data)) == data
    assert {"length", "limit", "unit", "valid", "problems", "warnings", "parts"} <= set(data)
    assert "title" not in data
    assert len(data["parts"]) == 2


def test_rules_for_finds_builtin_and_adapter_rules(monkeypatch: pytest.MonkeyPatch):
    rules_for = registry.rules_for
    assert rules_for("x") is RULES["x"]
    assert rules_for("mastodon", limit=5000).limit == 5000
    with pytest.raises(UnknownRules) as raised:
        rules_for("myspace")
    assert "bluesky" in raised.value.known
    assert "x" in str(raised.value)

    plugin_rules = TextRules(platform="zine", limit=50, unit="characters", measure=len)

    class ZineAdapter:
        rules = plugin_rules

    monkeypatch.setattr(registry, "adapter_class", lambda name: ZineAdapter)
    assert registry.rules_for("zine") is plugin_rules


# --- threads ---------------------------------------------------------------------------------


def test_numbering_is_part_of_the_limit_and_the_total_can_widen_it():
    text = " ".join(["abcd"] * 60)  # needs 10 or more parts of 20: " 10/12" is wider than " 9/9"
    parts = split_thread(text, lambda part: len(part) <= 20)
    assert len(parts) >= 10
    assert all(len(part) <= 20 for part in parts)
    assert [NUMBERED.search(p).groups() for p in parts] == [  # type: ignore[union-attr]
        (str(n), str(len(parts))) for n in range(1, len(parts) + 1)
    ]
    assert " ".join(NUMBERED.sub("", p) for p in parts) == text


def test_parts_end_at_a_paragraph_when_it_keeps_half_of_what_fits():
    first = "A " * 70  # 140 characters
    text = first.strip() + "\n\n" + "b " * 200
    parts = shape(RULES["x"], text)
    assert NUMBERED.sub("", parts[0]) == first.strip()


def test_parts_end_at_a_sentence_rather_than_mid_sentence():
    sentence = "This is one sentence of the story. "
    text = sentence * 12
    for part in shape(RULES["x"], text):
        assert NUMBERED.sub("", part).endswith(".")


def test_cjk_without_spaces_splits_after_full_stops():
    text = "撮影初日です。" * 30
    parts = shape(RULES["x"], text)
    assert all(NUMBERED.sub("", part).endswith("。") for part in parts)
    assert "".join(NUMBERED.sub("", part) for part in parts) == text


def test_a_word_too_long_for_any_part_is_cut_at_graphemes_last():
    text = "see " + "é" * 600 + " end"
    parts = shape(RULES["x"], text)
    assert all(weighted_length(part) <= 280 for part in parts)
    assert "".join(NUMBERED.sub("", p) for p in parts).replace(" ", "") == text.replace(" ", "")


def test_a_hard_cut_never_falls_inside_a_hashtag_or_link():
    word = "a" * 265 + "(#behindthescenes)" + "b" * 30
    parts = shape(RULES["x"], word)
    bodies = [NUMBERED.sub("", part) for part in parts]
    assert any("#behindthescenes" in body for body in bodies)
    word = "a" * 265 + "(https://example.com/set)" + "b" * 30
    bodies = [NUMBERED.sub("", part) for part in shape(RULES["x"], word)]
    assert any("https://example.com/set" in body for body in bodies)


def test_unsplittable_names_the_piece():
    with pytest.raises(Unsplittable) as raised:
        split_thread("go https://example.com/" + "a" * 50, lambda part: len(part) <= 30)
    assert raised.value.kind == "link"


# Property tests: the invariants hold for any mix of words, links, mentions, hashtags, emoji,
# CJK and paragraph breaks, on every threadable platform.

_WORDS = st.one_of(
    st.text(alphabet="abcdefghij", min_size=1, max_size=12),
    st.text(alphabet="abcdefghij", min_size=1, max_size=8).map(lambda w: w + "."),
    st.text(alphabet="abc", min_size=60, max_size=200),  # longer than a small limit
    st.sampled_from(
        [
            "https://example.com/a/b?c=d",
            "example.org/path",
            "@ana",
            "@alice.bsky.social",
            "@bob@mastodon.social",
            "#BTS",
            "#撮影",
            FAMILY,
            FLAG_FR,
            KEYCAP_ONE,
            WAVE_MEDIUM,
            "e\u0301te\u0301",
            "日本語の文章。続き",
            "(#wrap)",
        ]
    ),
)
_TEXTS = st.lists(
    st.tuples(_WORDS, st.sampled_from([" ", " ", " ", "\n", "\n\n"])), min_size=1, max_size=80
).map(lambda pairs: "".join(word + gap for word, gap in pairs))
_THREADABLE = [
    RULES["x"],
    RULES["x"].with_limit(60),
    RULES["bluesky"].with_limit(70),
    RULES["mastodon"].with_limit(60),
    RULES["threads"].with_limit(80),
]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=_TEXTS, rules=st.sampled_from(_THREADABLE))
def test_thread_invariants(text: str, rules: TextRules):
    normalized = unicodedata.normalize("NFC", text)
    parts = shape(rules, text)
    if len(parts) == 1:
        assert parts == [normalized]
        assert rules.fits(normalized)
        return
    total = len(parts)
    body = normalized.strip()
    protected = extract_entities(body)
    position = 0
    for number, part in enumerate(parts, 1):
        assert rules.fits(part)
        assert part.endswith(f" {number}/{total}")
        piece = part[: -len(f" {number}/{total}")]
        assert piece
        assert piece == piece.strip()
        while body[position].isspace():
            position += 1
        assert body.startswith(piece, position)  # in order, nothing skipped
        position += len(piece)
        for entity in protected:  # the cut is never inside a link, mention or hashtag
            assert not entity.start < position < entity.end
    assert body[position:].strip() == ""  # nothing left over
