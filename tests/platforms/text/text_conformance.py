"""Cases ported from twitter/twitter-text's conformance suite (Apache License 2.0, Twitter, Inc.).

``validate.yml``: every case of WeightedTweetsWithDiscountedEmojiCounterTest (config v3) and
UnicodeDirectionalMarkerCounterTest (weighted length and validity), and the hashtag validity cases;
``extract.yml``: the urls, urls_with_indices, urls_with_directional_markers, tco_urls_with_params,
mentions, mentions_with_indices, hashtags, hashtags_from_astral and hashtags_with_indices cases.

Copied as data, not read at test time, so the suite runs offline. One case is left out on purpose:
``@username email me @test@example.com`` (twitter-text sees no mention in ``@test@example.com``;
we read it as a fediverse mention, see ``platforms/text/entities.py``).
"""

# ruff: noqa: RUF001

#: (description, text, weighted length, valid)
WEIGHTED: list[tuple[str, str, int, bool]] = [
    (
        "Regular Tweet with url",
        "Hi http://test.co",
        26,
        True,
    ),
    (
        "Just url",
        "http://test.co",
        23,
        True,
    ),
    (
        "Long tweet, overflow at char index 280",
        (
            "285 chars-xxxxxxxxxx-xxxxxxxxxx-xxxxxxxxxx-xxxxxxxxxx-xxxxxxxxxx-xxx"
            "xxxxxxx-xxxxxxxxxx-xxxxxxxxxx-xxxxxxxxxx-xxxxxxxxxx-xxxxxxxxxx-xxxxx"
            "xxxxx-xxxxxxxxxx-xxxxxxxxxx-xxxxxxxxxx-xxxxxxxxxx-xxxxxxxxxx-xxxxxxx"
            "xxx-xxxxxxxxxx-xxxxxxxxxx-xxxxxxxxxx-xxxxxxxxxx-xxxxxxxxxx-xxxxxxxxx"
            "x-xxxxxxxxxx-"
        ),
        285,
        False,
    ),
    (
        "Long tweet with url in the middle, overflow at char index 284",
        (
            "285 chars- http://www.twitter.com/jack xxxxxxxxxx-xxxxxxxxxx-xxxxxxx"
            "xxx-xxxxxxxxxx-xxxxxxxxxx-xxxxxxxxxx-xxxxxxxxxx-xxxxxxxxxx-xxxxxxxxx"
            "x-xxxxxxxxxx-xxxxxxxxxx-xxxxxxxxxx-xxxxxxxxxx-xxxxxxxxxx-xxxxxxxxxx-"
            "xxxxxxxxxx-xxxxxxxxxx-xxxxxxxxxx-xxxxxxxxxx-xxxxxxxxxx-xxxxxxxxxx-xx"
            "xxxxxxxx-xxxxxxxxxx-xxxxxxxxxx-"
        ),
        299,
        False,
    ),
    (
        "Long tweet with url at the end, overflow at char index 265",
        (
            "xxxxxxxxxx-xxxxxxxxxx-xxxxxxxxxx-xxxxxxxxxx-xxxxxxxxxx-xxxxxxxxxx-xx"
            "xxxxxxxx-xxxxxxxxxx-xxxxxxxxxx-xxxxxxxxxx-xxxxxxxxxx-xxxxxxxxxx-xxxx"
            "xxxxxx-xxxxxxxxxx-xxxxxxxxxx-xxxxxxxxxx-xxxxxxxxxx-xxxxxxxxxx-xxxxxx"
            "xxxx-xxxxxxxxxx-xxxxxxxxxx-xxxxxxxxxx-xxxxxxxxxx-xxxxxxxxxx- http://"
            "www.twitter.com/jack "
        ),
        289,
        False,
    ),
    (
        "10 url string, no overflow",
        (
            "https://www.twitter.com/aloha https://www.twitter.com/aloha https://"
            "www.twitter.com/aloha https://www.twitter.com/aloha https://www.twit"
            "ter.com/aloha https://www.twitter.com/aloha https://www.twitter.com/"
            "aloha https://www.twitter.com/aloha https://www.twitter.com/aloha ht"
            "tps://www.twitter.com/aloha "
        ),
        240,
        True,
    ),
    (
        "160 CJK char, overflow at char index 140",
        (
            "故人西辞黄鹤楼，烟花三月下扬州。孤帆远影碧空尽，唯见长江天际流。朱雀"
            "桥边野草花，乌衣巷口夕阳斜。旧时王谢堂前燕，飞入寻常百姓家。朝辞白帝"
            "彩云间，千里江陵一日还。两岸猿声啼不住，轻舟已过万重山。泪湿罗巾梦不"
            "成，夜深前殿按歌声。红颜未老恩先断，斜倚薰笼坐到明。独在异乡为异客，"
            "每逢佳节倍思亲。遥知兄弟登高处，遍插茱萸少一人。"
        ),
        320,
        False,
    ),
    (
        "160 emoji char, overflow at char index 140",
        (
            "😷😷😷😷😷😷😷😷😷😷😷😷😷😷😷😷😷😷😷😷😷😷😷😷😷😷😷😷😷😷😷😷😷😷"
            "😷😷😷😷😷😷😷😷😷😷😷😷😷😷😷😷😷😷😷😷😷😷😷😷😷😷😷😷😷😷😷😷😷😷"
            "😷😷😷😷😷😷😷😷😷😷😷😷😷😷😷😷😷😷😷😷😷😷😷😷😷😷😷😷😷😷😷😷😷😷"
            "😷😷😷😷😷😷😷😷😷😷😷😷😷😷😷😷😷😷😷😷😷😷😷😷😷😷😷😷😷😷😷😷😷😷"
            "😷😷😷😷😷😷😷😷😷😷😷😷😷😷😷😷😷😷😷😷😷😷😷😷"
        ),
        320,
        False,
    ),
    (
        "3 latin char + 160 CJK char, overflow at char index 141",
        (
            "the故人西辞黄鹤楼，烟花三月下扬州。孤帆远影碧空尽，唯见长江天际流。朱"
            "雀桥边野草花，乌衣巷口夕阳斜。旧时王谢堂前燕，飞入寻常百姓家。朝辞白"
            "帝彩云间，千里江陵一日还。两岸猿声啼不住，轻舟已过万重山。泪湿罗巾梦"
            "不成，夜深前殿按歌声。红颜未老恩先断，斜倚薰笼坐到明。独在异乡为异客"
            "，每逢佳节倍思亲。遥知兄弟登高处，遍插茱萸少一人。"
        ),
        323,
        False,
    ),
    (
        ("282 chars with a normalized character within valid range but outside 280"),
        (
            "282 chars-xxxxxxxxxx-xxxxxxxxxx-xxxxxxxxxx-xxxxxxxxxx-xxxxxxxxxx-xxx"
            "xxxxxxx-xxxxxxxxxx-xxxxxxxxxx-xxxxxxxxxx-xxxxxxxxxx-xxxxxxxxxx-xxxxx"
            "xxxxx-xxxxxxxxxx-xxxxxxxxxx-xxxxxxxxxx-xxxxxxxxxx-xxxxxxxxxx-xxxxxxx"
            "xxx-xxxxxxxxxx-xxxxxxxxxx-xxxxxxxxxx-xxxxxxxxxx-xxxxxxxxxx-xxxxxxxxx"
            "x-xxxxxÁx"
        ),
        281,
        False,
    ),
    (
        ("Count a mix of single byte single word, and double word unicode characters"),
        "H🐱☺👨\u200d👩\u200d👧\u200d👦",
        7,
        True,
    ),
    (
        "Count unicode emoji chars inside the basic multilingual plane",
        "😷👾😡🔥💩",
        10,
        True,
    ),
    (
        ("Count unicode emoji chars outside the basic multilingual plane with skin tone modifiers"),
        "🙋🏽👨\u200d🎤",
        4,
        True,
    ),
    (
        ("Handle General Punctuation Characters with visible spaces(u2000-200A), no ZWJ/ZWNJ"),
        (
            "This is a tweet with general punctuation characters: \u2000\u2001\u2002"
            "\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u200b ‐ ‑ ‒ – — ― ‖"
            "  ‗ ‘ ’ ‚ ‛ “ ” „ ‟ ′ ″ ‴ ‵ ‶ ‷"
        ),
        110,
        True,
    ),
    (
        "Handle long url with invalid domain labels and short url",
        (
            "Long url with invalid domain labels and a short url: https://somesup"
            "erlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlo"
            "ngurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongur"
            "lsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsom"
            "esuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesup"
            "erlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlo"
            "ngurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongur"
            "lsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsom"
            "esuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesup"
            "erlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlo"
            "ngurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongur"
            "lsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsom"
            "esuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesup"
            "erlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlo"
            "ngurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongur"
            "lsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsom"
            "esuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesup"
            "erlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlo"
            "ngurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongur"
            "lsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsom"
            "esuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesup"
            "erlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlo"
            "ngurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongur"
            "lsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsom"
            "esuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesup"
            "erlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlo"
            "ngurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongur"
            "lsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsom"
            "esuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesup"
            "erlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlo"
            "ngurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongur"
            "lsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsom"
            "esuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesup"
            "erlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlo"
            "ngurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongur"
            "lsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsom"
            "esuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesup"
            "erlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlo"
            "ngurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongur"
            "lsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsom"
            "esuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesup"
            "erlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlo"
            "ngurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongur"
            "lsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsom"
            "esuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesup"
            "erlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlo"
            "ngurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongur"
            "lsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsom"
            "esuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesup"
            "erlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlo"
            "ngurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongur"
            "lsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsom"
            "esuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesup"
            "erlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlo"
            "ngurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongur"
            "lsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsom"
            "esuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesup"
            "erlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlo"
            "ngurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongur"
            "lsomesuperlongurlsomesuperlongurl.com/foo https://somesuperlongurlso"
            "mesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesu"
            "perlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperl"
            "ongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongu"
            "rlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlso"
            "mesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesu"
            "perlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperl"
            "ongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongu"
            "rlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlso"
            "mesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesu"
            "perlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperl"
            "ongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongu"
            "rlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlso"
            "mesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesu"
            "perlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperl"
            "ongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongu"
            "rlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlso"
            "mesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesu"
            "perlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperl"
            "ongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongu"
            "rlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlso"
            "mesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesu"
            "perlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperl"
            "ongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongu"
            "rlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlso"
            "mesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesu"
            "perlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperl"
            "ongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongu"
            "rlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlso"
            "mesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesu"
            "perlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperl"
            "ongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongu"
            "rlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlso"
            "mesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesu"
            "perlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperl"
            "ongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongu"
            "rlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlso"
            "mesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesu"
            "perlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperl"
            "ongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongu"
            "rlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlso"
            "mesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesu"
            "perlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperl"
            "ongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongu"
            "rlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlso"
            "mesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesu"
            "perlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperl"
            "ongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongu"
            "rlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlso"
            "mesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesu"
            "perlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperl"
            "ongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongu"
            "rlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlso"
            "mesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesu"
            "perlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperl"
            "ongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongu"
            "rlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlso"
            "mesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesu"
            "perlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperl"
            "ongurlsomesuperlongurl.com/foo https://somesuperlongurlsomesuperlong"
            "urlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurls"
            "omesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomes"
            "uperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuper"
            "longurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlong"
            "urlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurls"
            "omesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomes"
            "uperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuper"
            "longurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlong"
            "urlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurls"
            "omesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomes"
            "uperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuper"
            "longurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlong"
            "urlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurls"
            "omesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomes"
            "uperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuper"
            "longurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlong"
            "urlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurls"
            "omesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomes"
            "uperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuper"
            "longurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlong"
            "urlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurls"
            "omesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomes"
            "uperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuper"
            "longurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlong"
            "urlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurls"
            "omesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomes"
            "uperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuper"
            "longurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlong"
            "urlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurls"
            "omesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomes"
            "uperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuper"
            "longurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlong"
            "urlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurls"
            "omesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomes"
            "uperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuper"
            "longurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlong"
            "urlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurls"
            "omesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomes"
            "uperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuper"
            "longurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlong"
            "urlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurls"
            "omesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomes"
            "uperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuper"
            "longurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlong"
            "urlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurls"
            "omesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomes"
            "uperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuper"
            "longurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlong"
            "urlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurls"
            "omesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomes"
            "uperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuper"
            "longurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlong"
            "urlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurls"
            "omesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomes"
            "uperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuper"
            "longurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlong"
            "urlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurls"
            "omesuperlongurlsomesuperlongurlsomesuperlongurlsomesuperlongurlsomes"
            "uperlongurl.com/foo https://validurl.com"
        ),
        12079,
        False,
    ),
    (
        "Handle a 64 character domain without protocol",
        "randomurlrandomurlrandomurlrandomurlrandomurlrandomurlrandomurls.com",
        68,
        True,
    ),
    (
        (
            "Do not allow > 140 CJK characters by virtue of CJK chars greater tha"
            "n 63 punycode encoded chars in the host"
        ),
        (
            "あいうえおかきくけこあいうえおかきくけこあいうえおかきくけこあいうえ"
            "おかきくけこあいうえおかきくけこあいうえおかきくけこあいうえおかきく"
            "けこあいうえおかきくけこあいうえおかきくけこあいうえおかきくけこあい"
            "うえおかきくけこあいうえおかきくけこ http://あいうえおかきくけこあい"
            "うえおかきくけこあいうえおかきくけこあいうえおかきくけこあいうえおか"
            "きくけこあいう.com"
        ),
        358,
        False,
    ),
    (
        (
            "Allow > 140 CJK characters by virtue of CJK chars less than 63 punyc"
            "ode encoded chars in the host"
        ),
        (
            "あいうえおかきくけこあいうえおかきくけこあいうえおかきくけこあいうえ"
            "おかきくけこあいうえおかきくけこあいうえおかきくけこあいうえおかきく"
            "けこあいうえおかきくけこあいうえおかきくけこあいうえおかきくけこあい"
            "うえおかきくけこあいうえおかきくけこ http://あいうえおかきくけこあい"
            "うえおかきくけこあいうえおかきくけこあいうえおかきくけこあいうえおか"
            "きくけこあい.com"
        ),
        264,
        True,
    ),
    (
        "140 family emoji",
        (
            "👨\u200d👩\u200d👧\u200d👦👨\u200d👩\u200d👧\u200d👦👨\u200d👩\u200d"
            "👧\u200d👦👨\u200d👩\u200d👧\u200d👦👨\u200d👩\u200d👧\u200d👦👨\u200d"
            "👩\u200d👧\u200d👦👨\u200d👩\u200d👧\u200d👦👨\u200d👩\u200d👧\u200d"
            "👦👨\u200d👩\u200d👧\u200d👦👨\u200d👩\u200d👧\u200d👦👨\u200d👩\u200d"
            "👧\u200d👦👨\u200d👩\u200d👧\u200d👦👨\u200d👩\u200d👧\u200d👦👨\u200d"
            "👩\u200d👧\u200d👦👨\u200d👩\u200d👧\u200d👦👨\u200d👩\u200d👧\u200d"
            "👦👨\u200d👩\u200d👧\u200d👦👨\u200d👩\u200d👧\u200d👦👨\u200d👩\u200d"
            "👧\u200d👦👨\u200d👩\u200d👧\u200d👦👨\u200d👩\u200d👧\u200d👦👨\u200d"
            "👩\u200d👧\u200d👦👨\u200d👩\u200d👧\u200d👦👨\u200d👩\u200d👧\u200d"
            "👦👨\u200d👩\u200d👧\u200d👦👨\u200d👩\u200d👧\u200d👦👨\u200d👩\u200d"
            "👧\u200d👦👨\u200d👩\u200d👧\u200d👦👨\u200d👩\u200d👧\u200d👦👨\u200d"
            "👩\u200d👧\u200d👦👨\u200d👩\u200d👧\u200d👦👨\u200d👩\u200d👧\u200d"
            "👦👨\u200d👩\u200d👧\u200d👦👨\u200d👩\u200d👧\u200d👦👨\u200d👩\u200d"
            "👧\u200d👦👨\u200d👩\u200d👧\u200d👦👨\u200d👩\u200d👧\u200d👦👨\u200d"
            "👩\u200d👧\u200d👦👨\u200d👩\u200d👧\u200d👦👨\u200d👩\u200d👧\u200d"
            "👦👨\u200d👩\u200d👧\u200d👦👨\u200d👩\u200d👧\u200d👦👨\u200d👩\u200d"
            "👧\u200d👦👨\u200d👩\u200d👧\u200d👦👨\u200d👩\u200d👧\u200d👦👨\u200d"
            "👩\u200d👧\u200d👦👨\u200d👩\u200d👧\u200d👦👨\u200d👩\u200d👧\u200d"
            "👦👨\u200d👩\u200d👧\u200d👦👨\u200d👩\u200d👧\u200d👦👨\u200d👩\u200d"
            "👧\u200d👦👨\u200d👩\u200d👧\u200d👦👨\u200d👩\u200d👧\u200d👦👨\u200d"
            "👩\u200d👧\u200d👦👨\u200d👩\u200d👧\u200d👦👨\u200d👩\u200d👧\u200d"
            "👦👨\u200d👩\u200d👧\u200d👦👨\u200d👩\u200d👧\u200d👦👨\u200d👩\u200d"
            "👧\u200d👦👨\u200d👩\u200d👧\u200d👦👨\u200d👩\u200d👧\u200d👦👨\u200d"
            "👩\u200d👧\u200d👦👨\u200d👩\u200d👧\u200d👦👨\u200d👩\u200d👧\u200d"
            "👦👨\u200d👩\u200d👧\u200d👦👨\u200d👩\u200d👧\u200d👦👨\u200d👩\u200d"
            "👧\u200d👦👨\u200d👩\u200d👧\u200d👦👨\u200d👩\u200d👧\u200d👦👨\u200d"
            "👩\u200d👧\u200d👦👨\u200d👩\u200d👧\u200d👦👨\u200d👩\u200d👧\u200d"
            "👦👨\u200d👩\u200d👧\u200d👦👨\u200d👩\u200d👧\u200d👦👨\u200d👩\u200d"
            "👧\u200d👦👨\u200d👩\u200d👧\u200d👦👨\u200d👩\u200d👧\u200d👦👨\u200d"
            "👩\u200d👧\u200d👦👨\u200d👩\u200d👧\u200d👦👨\u200d👩\u200d👧\u200d"
            "👦👨\u200d👩\u200d👧\u200d👦👨\u200d👩\u200d👧\u200d👦👨\u200d👩\u200d"
            "👧\u200d👦👨\u200d👩\u200d👧\u200d👦👨\u200d👩\u200d👧\u200d👦👨\u200d"
            "👩\u200d👧\u200d👦👨\u200d👩\u200d👧\u200d👦👨\u200d👩\u200d👧\u200d"
            "👦👨\u200d👩\u200d👧\u200d👦👨\u200d👩\u200d👧\u200d👦👨\u200d👩\u200d"
            "👧\u200d👦👨\u200d👩\u200d👧\u200d👦👨\u200d👩\u200d👧\u200d👦👨\u200d"
            "👩\u200d👧\u200d👦👨\u200d👩\u200d👧\u200d👦👨\u200d👩\u200d👧\u200d"
            "👦👨\u200d👩\u200d👧\u200d👦👨\u200d👩\u200d👧\u200d👦👨\u200d👩\u200d"
            "👧\u200d👦👨\u200d👩\u200d👧\u200d👦👨\u200d👩\u200d👧\u200d👦👨\u200d"
            "👩\u200d👧\u200d👦👨\u200d👩\u200d👧\u200d👦👨\u200d👩\u200d👧\u200d"
            "👦👨\u200d👩\u200d👧\u200d👦👨\u200d👩\u200d👧\u200d👦👨\u200d👩\u200d"
            "👧\u200d👦👨\u200d👩\u200d👧\u200d👦👨\u200d👩\u200d👧\u200d👦👨\u200d"
            "👩\u200d👧\u200d👦👨\u200d👩\u200d👧\u200d👦👨\u200d👩\u200d👧\u200d"
            "👦👨\u200d👩\u200d👧\u200d👦👨\u200d👩\u200d👧\u200d👦👨\u200d👩\u200d"
            "👧\u200d👦👨\u200d👩\u200d👧\u200d👦👨\u200d👩\u200d👧\u200d👦👨\u200d"
            "👩\u200d👧\u200d👦👨\u200d👩\u200d👧\u200d👦👨\u200d👩\u200d👧\u200d"
            "👦👨\u200d👩\u200d👧\u200d👦👨\u200d👩\u200d👧\u200d👦👨\u200d👩\u200d"
            "👧\u200d👦👨\u200d👩\u200d👧\u200d👦👨\u200d👩\u200d👧\u200d👦👨\u200d"
            "👩\u200d👧\u200d👦👨\u200d👩\u200d👧\u200d👦👨\u200d👩\u200d👧\u200d"
            "👦👨\u200d👩\u200d👧\u200d👦👨\u200d👩\u200d👧\u200d👦👨\u200d👩\u200d"
            "👧\u200d👦👨\u200d👩\u200d👧\u200d👦👨\u200d👩\u200d👧\u200d👦👨\u200d"
            "👩\u200d👧\u200d👦👨\u200d👩\u200d👧\u200d👦👨\u200d👩\u200d👧\u200d"
            "👦👨\u200d👩\u200d👧\u200d👦👨\u200d👩\u200d👧\u200d👦👨\u200d👩\u200d"
            "👧\u200d👦👨\u200d👩\u200d👧\u200d👦"
        ),
        280,
        True,
    ),
    (
        "Emoji with a leading character in the latin range is counted as 2",
        "1⃣",
        2,
        True,
    ),
    (
        "Unicode 10.0 emoji",
        (
            "Unicode 10.0 emoji: 🤪; 🧕; 🧕🏾; 🏴\U000e0067\U000e0062\U000e0065\U000e006e"
            "\U000e0067\U000e007f"
        ),
        34,
        True,
    ),
    (
        "Unicode 9.0 emoji",
        "Unicode 9.0 emoji: 🤠; 💃; 💃🏾",
        29,
        True,
    ),
    (
        "Handle invalid characters",
        "ABC\u202a\uffffABC\ufffe",
        12,
        False,
    ),
    (
        ("Tweet text containing directional characters should be considered valid"),
        "\u2066\u202ahttp://foobar.پاکستان/\u202c\u2069",
        31,
        True,
    ),
]

#: (text, is exactly one valid hashtag)
HASHTAG_VALIDITY: list[tuple[str, bool]] = [
    ("#hashtag", True),
    ("#1st", True),
    ("#that1time", True),
    ("#easyas123", True),
    ("#12345", False),
    ("#ашок", True),
    ("#트위터", True),
]

#: (text, the links found, as written)
URLS: list[tuple[str, list[str]]] = [
    (
        "http://example.com",
        ["http://example.com"],
    ),
    (
        "http://ああ.com",
        ["http://ああ.com"],
    ),
    (
        "http://あ-あ.com",
        ["http://あ-あ.com"],
    ),
    (
        "text http://google.com",
        ["http://google.com"],
    ),
    (
        "text http://foobar.com/#",
        ["http://foobar.com/#"],
    ),
    (
        "text http://google.com/#foo",
        ["http://google.com/#foo"],
    ),
    (
        "text http://google.com/#search?q=iphone%20-filter%3Alinks",
        ["http://google.com/#search?q=iphone%20-filter%3Alinks"],
    ),
    (
        "text http://twitter.com/#search?q=iphone%20-filter%3Alinks",
        ["http://twitter.com/#search?q=iphone%20-filter%3Alinks"],
    ),
    (
        "text http://somedomain.com/index.php?path=/abc/def/",
        ["http://somedomain.com/index.php?path=/abc/def/"],
    ),
    (
        "text http://www.boingboing.net/2007/02/14/katamari_damacy_phon.html",
        ["http://www.boingboing.net/2007/02/14/katamari_damacy_phon.html"],
    ),
    (
        "text http://somehost.com:3000",
        ["http://somehost.com:3000"],
    ),
    (
        "text http://xo.com/~matthew+%ff-x",
        ["http://xo.com/~matthew+%ff-x"],
    ),
    (
        "text http://xo.com/~matthew+%ff-,.;x",
        ["http://xo.com/~matthew+%ff-,.;x"],
    ),
    (
        "text http://xo.com/,.;x",
        ["http://xo.com/,.;x"],
    ),
    (
        "text http://en.wikipedia.org/wiki/Primer_(film)",
        ["http://en.wikipedia.org/wiki/Primer_(film)"],
    ),
    (
        "text http://www.ams.org/bookstore-getitem/item=mbk-59",
        ["http://www.ams.org/bookstore-getitem/item=mbk-59"],
    ),
    (
        "text http://✪df.ws/ejp",
        ["http://✪df.ws/ejp"],
    ),
    (
        "test http://example.comだよね.comtest/hogehoge",
        ["http://example.com"],
    ),
    (
        "text http://chilp.it/?77e8fd",
        ["http://chilp.it/?77e8fd"],
    ),
    (
        "text http://x.com/oneletterdomain",
        ["http://x.com/oneletterdomain"],
    ),
    (
        ("text http://msdn.microsoft.com/ja-jp/library/system.net.httpwebrequest(v=VS.100).aspx"),
        ["http://msdn.microsoft.com/ja-jp/library/system.net.httpwebrequest(v=VS.100).aspx"],
    ),
    (
        (
            "text https://www.youtube.com/watch?v=LOxOAuDHzaw&list=PLPoq910Q9jXhu"
            "H6pit_KwIsck9fEz_9U-"
        ),
        ["https://www.youtube.com/watch?v=LOxOAuDHzaw&list=PLPoq910Q9jXhuH6pit_KwIsck9fEz_9U-"],
    ),
    (
        "text http://no-tld",
        [],
    ),
    (
        "text http://tld-too-short.x",
        [],
    ),
    (
        "(http://twitter.com",
        ["http://twitter.com"],
    ),
    (
        "text http://word-and-a-number-8-ftw.domain.com/",
        ["http://word-and-a-number-8-ftw.domain.com/"],
    ),
    (
        "text http://domain.com-that-you-should-have-put-a-space-after",
        [],
    ),
    (
        "text http://foo.com?#foo text",
        ["http://foo.com?#foo"],
    ),
    (
        "foo.com foo.net foo.org foo.edu foo.gov",
        ["foo.com", "foo.net", "foo.org", "foo.edu", "foo.gov"],
    ),
    (
        (
            "foo.baz foo.co.jp www.xxxxxxx.baz www.foo.co.uk wwwww.xxxxxxx foo.co"
            "mm foo.somecom foo.govedu foo.jp"
        ),
        ["foo.co.jp", "www.foo.co.uk", "foo.jp"],
    ),
    (
        "t.co/abcde bit.ly/abcde",
        ["t.co/abcde", "bit.ly/abcde"],
    ),
    (
        "http://foo.jp http://fooooo.jp",
        ["http://foo.jp", "http://fooooo.jp"],
    ),
    (
        "Go to http://example.com/a+ or http://example.com/a-",
        ["http://example.com/a+", "http://example.com/a-"],
    ),
    (
        "Go to http://example.com/view/slug-url-?foo=bar",
        ["http://example.com/view/slug-url-?foo=bar"],
    ),
    (
        "Go to https://en.m.wikipedia.org/wiki/Hatfield–McCoy_feud please",
        ["https://en.m.wikipedia.org/wiki/Hatfield–McCoy_feud"],
    ),
    (
        "@user Try http:// example.com/path",
        ["example.com/path"],
    ),
    (
        ("これは日本語です。example.com/path/index.html中国語example.com/path한국"),
        ["example.com/path/index.html", "example.com/path"],
    ),
    (
        (
            "twitter.comこれは日本語です。example.com中国語t.co/abcde한국twitter."
            "com example2.comテストtwitter.com/abcde"
        ),
        [
            "twitter.com",
            "example.com",
            "t.co/abcde",
            "twitter.com",
            "example2.com",
            "twitter.com/abcde",
        ],
    ),
    (
        (
            "http://twitter.com/これは日本語です。example.com中国語http://t.co/ab"
            "cde한국twitter.comテストexample2.comテストhttp://twitter.com/abcde"
        ),
        [
            "http://twitter.com/",
            "example.com",
            "http://t.co/abcde",
            "twitter.com",
            "example2.com",
            "http://twitter.com/abcde",
        ],
    ),
    (
        "Go to http://twitter.com/Русские_слова",
        ["http://twitter.com/Русские_слова"],
    ),
    (
        (
            "http://exampleこれは日本語です.com/path/index.html http://あああああ"
            "ああああああああああああああああああああああああああああああああああ"
            "ああああああああああああああああああああああああああああああああああ"
            "ああああああああああああああああああああああああああああああああああ"
            "ああああああああああああああああああああああああああああああああああ"
            "ああああああああああああああああああああああああああああああああああ"
            "ああああああああああああああああああああああああああああああああああ"
            "ああああああああああああああああああああああああああああああああああ"
            "ああああああああああああああ.com/path/index.html"
        ),
        ["http://exampleこれは日本語です.com/path/index.html"],
    ),
    (
        "twitter.jp日本語it.so中国語foo.jp it.so foo.jp",
        ["twitter.jp", "it.so", "foo.jp", "it.so", "foo.jp"],
    ),
    (
        "Hello http://xn--はじめよう.com/index.html",
        [],
    ),
    (
        "text http://domain-dash_2314352345_dfasd.foo-cow_4352.com",
        [],
    ),
    (
        "Email me at name.al-lastname@foo.com or name.al+lastname@foo.com",
        [],
    ),
    (
        "Find my page at name.al-lastname.com",
        ["name.al-lastname.com"],
    ),
    (
        "MLB.tv vine.co twitch.tv t.co",
        ["MLB.tv", "vine.co", "twitch.tv", "t.co"],
    ),
    (
        "@user Try http://\xa0example.com/path",
        ["example.com/path"],
    ),
    (
        "test http://sub_domain-dash.twitter.com",
        ["http://sub_domain-dash.twitter.com"],
    ),
    (
        "test http://a.b.cd",
        ["http://a.b.cd"],
    ),
    (
        "test http://a_b.c-d.com",
        ["http://a_b.c-d.com"],
    ),
    (
        "test http://a-b.c.com",
        ["http://a-b.c.com"],
    ),
    (
        "test http://twitter-dash.com",
        ["http://twitter-dash.com"],
    ),
    (
        (
            "http://www.bestbuy.com/site/Currie+Technologies+-+Ezip+400+Scooter/9"
            "885188.p?id=1218189013070&skuId=9885188"
        ),
        [
            "http://www.bestbuy.com/site/Currie+Technologies+-+Ezip+400+Scooter/9885188.p?id=1218189013070&skuId=9885188"
        ],
    ),
    (
        "test http://-leadingdash.twitter.com",
        [],
    ),
    (
        "test http://leadingdash.-twitter.com",
        [],
    ),
    (
        "test http://trailingdash-.twitter.com",
        [],
    ),
    (
        "test http://trailingdash.twitter-.com",
        [],
    ),
    (
        "test http://_leadingunderscore.twitter.com",
        [],
    ),
    (
        "test http://leadingunderscore._twitter.com",
        [],
    ),
    (
        "test http://trailingunderscore_.twitter.com",
        [],
    ),
    (
        "test http://trailingunderscore.twitter_.com",
        [],
    ),
    (
        "test http://-twitter.com",
        [],
    ),
    (
        "test http://twitter-.com",
        [],
    ),
    (
        "test http://twitter_underscore.com",
        [],
    ),
    (
        "test http://twitter.c_o_m",
        [],
    ),
    (
        "test http://www.foo.com/foo/path-with-period./",
        ["http://www.foo.com/foo/path-with-period./"],
    ),
    (
        "test http://www.foo.org.za/foo/bar/688.1",
        ["http://www.foo.org.za/foo/bar/688.1"],
    ),
    (
        ("test http://www.foo.com/bar-path/some.stm?param1=foo;param2=P1|0||P2|0"),
        ["http://www.foo.com/bar-path/some.stm?param1=foo;param2=P1|0||P2|0"],
    ),
    (
        "test http://foo.com/bar/123/foo_&_bar/",
        ["http://foo.com/bar/123/foo_&_bar/"],
    ),
    (
        "test http://www.cp.sc.edu/events/65 test",
        ["http://www.cp.sc.edu/events/65"],
    ),
    (
        "http://www.andersondaradio.no.comunidades.net/ test test",
        ["http://www.andersondaradio.no.comunidades.net/"],
    ),
    (
        "test ELPAÍS.com",
        ["ELPAÍS.com"],
    ),
    (
        "test http://twitter.com/.",
        ["http://twitter.com/"],
    ),
    (
        (
            "http://tn.com.ar/show/00056158/la-estrella-del-certamen-el-turno-de-"
            "pamela-anderson?fb_xd_fragment#?=&cb=fe17523f223b7&relation=parent.p"
            "arent&transport=fragment&type=resize&height=20&ackdata"
        ),
        [
            "http://tn.com.ar/show/00056158/la-estrella-del-certamen-el-turno-de-pamela-anderson?fb_xd_fragment#?=&cb=fe17523f223b7&relation=parent.parent&transport=fragment&type=resize&height=20&ackdata"
        ],
    ),
    (
        (
            "text http://tn.com.ar/show/00056158/la-estrella-del-certamen-el-turn"
            "o-de-pamela-anderson?fb_xd_fragment#?=&cb=fe17523f223b7&relation=par"
            "ent.parent&transport=fragment&type=resize&height=20&ackdata text"
        ),
        [
            "http://tn.com.ar/show/00056158/la-estrella-del-certamen-el-turno-de-pamela-anderson?fb_xd_fragment#?=&cb=fe17523f223b7&relation=parent.parent&transport=fragment&type=resize&height=20&ackdata"
        ],
    ),
    (
        ("Test a ton of periods http://example.com/path.........................................."),
        ["http://example.com/path"],
    ),
    (
        ("Test a ton of periods http://example.com/,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,"),
        ["http://example.com/"],
    ),
    (
        (
            "Test a ton of periods http://example.com/path/!!!!!!!!!!!!!!!!!!!!!!"
            "!!!!!!!!!!!!!!!!!!!!"
        ),
        ["http://example.com/path/"],
    ),
    (
        ("#test.com @test.com #http://test.com @http://test.com #t.co/abcde @t.co/abcde"),
        [],
    ),
    (
        "I really like http://t.co/pbY2NfTZ's website",
        ["http://t.co/pbY2NfTZ"],
    ),
    (
        "Check this site out http://t.co/FNkPfmii- it's great",
        ["http://t.co/FNkPfmii"],
    ),
    (
        "According to http://t.co/ulYGBYSo: the internet is cool",
        ["http://t.co/ulYGBYSo"],
    ),
    (
        "I really like http://t.co/abcdefghijklmnopqrstuvwxyz0123456789",
        ["http://t.co/abcdefghijklmnopqrstuvwxyz0123456789"],
    ),
    (
        "I really like http://t.co/abcdefghijklmnopqrstuvwxyz012345678901234",
        [],
    ),
    (
        "example.comてすとですtwitter.みんなです",
        ["example.com", "twitter.みんな"],
    ),
    (
        (
            "http://twitter.com\nhttp://example.com\nhttp://example.com/path\nexa"
            "mple.com/path\nit.so\nit.so/abcde"
        ),
        [
            "http://twitter.com",
            "http://example.com",
            "http://example.com/path",
            "example.com/path",
            "it.so",
            "it.so/abcde",
        ],
    ),
    (
        ("$http://twitter.com $twitter.com $http://t.co/abcde $t.co/abcde $t.co $TVI.CA $RBS.CA"),
        [],
    ),
    (
        "long.test.tar.bz2 test.tar.bz2 tar.bz2",
        [],
    ),
    (
        "john.doe.gov@mail.com",
        [],
    ),
    (
        "john.doe.jp@mail.com",
        [],
    ),
    (
        "text https://t.co/UqIyJAJTfo?amp=1",
        ["https://t.co/UqIyJAJTfo?amp=1"],
    ),
    (
        "text https://t.co/UqIyJAJTfo?type=js",
        ["https://t.co/UqIyJAJTfo?type=js"],
    ),
    (
        "text https://t.co/UqIyJAJTfo?ssr=true",
        ["https://t.co/UqIyJAJTfo?ssr=true"],
    ),
    (
        "text https://t.co/asdfdf?a=b#123",
        ["https://t.co/asdfdf?a=b#123"],
    ),
    (
        "text https://t.co/sadfasdf?a=b&c=d",
        ["https://t.co/sadfasdf?a=b&c=d"],
    ),
]

#: (text, [(link, start, end)])
URLS_WITH_INDICES: list[tuple[str, list[tuple[str, int, int]]]] = [
    (
        "text http://google.com",
        [("http://google.com", 5, 22)],
    ),
    (
        "皆さん見てください！ http://google.com",
        [("http://google.com", 11, 28)],
    ),
    (
        "t.co/abcde bit.ly/abcde",
        [("t.co/abcde", 0, 10), ("bit.ly/abcde", 11, 23)],
    ),
    (
        (
            "twitter.comこれは日本語です。example.com中国語t.co/abcde한국twitter."
            "com example2.comテストtwitter.com/abcde"
        ),
        [
            ("twitter.com", 0, 11),
            ("example.com", 20, 31),
            ("t.co/abcde", 34, 44),
            ("twitter.com", 46, 57),
            ("example2.com", 58, 70),
            ("twitter.com/abcde", 73, 90),
        ],
    ),
    (
        (
            "http://twitter.com/これは日本語です。example.com中国語http://t.co/ab"
            "cde한국twitter.comテストexample2.comテストhttp://twitter.com/abcde"
        ),
        [
            ("http://twitter.com/", 0, 19),
            ("example.com", 28, 39),
            ("http://t.co/abcde", 42, 59),
            ("twitter.com", 61, 72),
            ("example2.com", 75, 87),
            ("http://twitter.com/abcde", 90, 114),
        ],
    ),
    (
        (
            "http://t.co/pbY2NfTZ's http://t.co/2vYHpAc5; http://t.co/ulYGBYSo: h"
            "ttp://t.co/8MkmHU0k+c http://t.co/TKLp64dY.x http://t.co/8t7G3ddS#a "
            "http://t.co/FNkPfmii-"
        ),
        [
            ("http://t.co/pbY2NfTZ", 0, 20),
            ("http://t.co/2vYHpAc5", 23, 43),
            ("http://t.co/ulYGBYSo", 45, 65),
            ("http://t.co/8MkmHU0k", 67, 87),
            ("http://t.co/TKLp64dY", 90, 110),
            ("http://t.co/8t7G3ddS", 113, 133),
            ("http://t.co/FNkPfmii", 136, 156),
        ],
    ),
    (
        "http://www.foo.com?referer=https://t.co/abcde http://t.co/xyzzy",
        [("http://www.foo.com?referer=https://t.co/abcde", 0, 45), ("http://t.co/xyzzy", 46, 63)],
    ),
    (
        "http://t.co http://t.co",
        [("http://t.co", 0, 11), ("http://t.co", 12, 23)],
    ),
    (
        "test http://xn--ls8h.XN--ls8h.la/",
        [("http://xn--ls8h.XN--ls8h.la/", 5, 33)],
    ),
    (
        ("test http://foobar.みんな/ http://foobar.中国/ http://foobar.پاکستان/ "),
        [
            ("http://foobar.みんな/", 5, 23),
            ("http://foobar.中国/", 24, 41),
            ("http://foobar.پاکستان/", 42, 64),
        ],
    ),
    (
        "\u2066\u202atest abcdef.com پاکستان http://twitter.com/\u202c\u2069",
        [("abcdef.com", 7, 17), ("http://twitter.com/", 26, 45)],
    ),
    (
        (
            "This is a test \u2066\u202atwitter.com\u202c\u2069 \u2066\u202ahttp:"
            "//foobar.پاکستان/\u202c\u2069\u2069 قطر فلسطين عمان"
        ),
        [("twitter.com", 17, 28), ("http://foobar.پاکستان/", 33, 55)],
    ),
]

#: (text, the handles mentioned)
MENTIONS: list[tuple[str, list[str]]] = [
    (
        "@username reply",
        ["username"],
    ),
    (
        "mention @username",
        ["username"],
    ),
    (
        "mention @username in the middle",
        ["username"],
    ),
    (
        "mention @user_name",
        ["user_name"],
    ),
    (
        "mention @12345",
        ["12345"],
    ),
    (
        "mention @username1 @username2",
        ["username1", "username2"],
    ),
    (
        "の@usernameに到着を待っている",
        ["username"],
    ),
    (
        "Current Status: @_@ (cc: @username)",
        ["username"],
    ),
    (
        "@aliceìnheiro something something",
        [],
    ),
    (
        "@http://twitter.com",
        [],
    ),
    (
        "@username\n@mention",
        ["username", "mention"],
    ),
    (
        "RT@username RT:@mention RT @test",
        ["username", "mention", "test"],
    ),
    (
        "rt@username rt:@mention rt @test",
        ["username", "mention", "test"],
    ),
    (
        "Rt@username Rt:@mention Rt @test",
        ["username", "mention", "test"],
    ),
    (
        "rT@username rT:@mention rT @test",
        ["username", "mention", "test"],
    ),
    (
        "f!@kn",
        [],
    ),
    (
        "f@@kn",
        [],
    ),
    (
        "f#@kn",
        [],
    ),
    (
        "f$@kn",
        [],
    ),
    (
        "f%@kn",
        [],
    ),
    (
        "f&@kn",
        [],
    ),
    (
        "f*@kn",
        [],
    ),
]

#: (text, [(handle, start, end)])
MENTIONS_WITH_INDICES: list[tuple[str, list[tuple[str, int, int]]]] = [
    ("@username yo!", [("username", 0, 9)]),
    ("username @username", [("username", 9, 18)]),
    ("の@usernameに到着を待っている", [("username", 1, 10)]),
]

#: (text, the tags found)
HASHTAGS: list[tuple[str, list[str]]] = [
    (
        "a ✌#hashtag here",
        ["hashtag"],
    ),
    (
        "a ✌︎#hashtag here",
        ["hashtag"],
    ),
    (
        "a ✌️#hashtag here",
        ["hashtag"],
    ),
    (
        "a ✌🏿#hashtag here",
        ["hashtag"],
    ),
    (
        "a ✌🏿️#hashtag here",
        ["hashtag"],
    ),
    (
        "a 👨\u200d👩\u200d👧#hashtag here",
        ["hashtag"],
    ),
    (
        "a #hashtag here",
        ["hashtag"],
    ),
    (
        "this is #hashtag1",
        ["hashtag1"],
    ),
    (
        "#1hashtag is this",
        ["1hashtag"],
    ),
    (
        "On the #16 bus",
        [],
    ),
    (
        "#0",
        [],
    ),
    (
        "(#hashtag1 )#hashtag2 [#hashtag3 ]#hashtag4 ’#hashtag5’#hashtag6",
        ["hashtag1", "hashtag2", "hashtag3", "hashtag4", "hashtag5", "hashtag6"],
    ),
    (
        "I'll write more tests #mañana",
        ["mañana"],
    ),
    (
        "Working remotely #café",
        ["café"],
    ),
    (
        "Getting my Oktoberfest on #münchen",
        ["münchen"],
    ),
    (
        "this is not valid: # 会議中 ハッシュ",
        [],
    ),
    (
        "What is #트위터 anyway?",
        ["트위터"],
    ),
    (
        "Just random half-width Hangul #ﾣﾦﾰ",
        ["ﾣﾦﾰ"],
    ),
    (
        "What is #ашок anyway?",
        ["ашок"],
    ),
    (
        "#カタカナ is a hashtag",
        ["カタカナ"],
    ),
    (
        "#ひらがな FTW!",
        ["ひらがな"],
    ),
    (
        "#漢字 is the future",
        ["漢字"],
    ),
    (
        "Hashtag #カタカナ",
        ["カタカナ"],
    ),
    (
        "Japanese hashtags #ひらがな",
        ["ひらがな"],
    ),
    (
        "Study time #漢字",
        ["漢字"],
    ),
    (
        "See my #カタカナ hashtag?",
        ["カタカナ"],
    ),
    (
        "Study #ひらがな for fun and profit",
        ["ひらがな"],
    ),
    (
        "Some say #漢字 is the past. what do they know?",
        ["漢字"],
    ),
    (
        "日本語ハッシュタグテスト #日本語ハッシュタグ",
        ["日本語ハッシュタグ"],
    ),
    (
        "日本語ハッシュテスト。#日本語ハッシュタグ",
        ["日本語ハッシュタグ"],
    ),
    (
        "#日本語ハッシュタグ。",
        ["日本語ハッシュタグ"],
    ),
    (
        "全角英数字ハッシュタグ ＃ｈａｓｈｔａｇ１２３",
        ["ｈａｓｈｔａｇ１２３"],
    ),
    (
        "日本語ハッシュタグ#日本語ハッシュタグ",
        [],
    ),
    (
        "長音ハッシュタグ。#サッカー",
        ["サッカー"],
    ),
    (
        "長音ハッシュタグ。#ｻｯｶｰ",
        ["ｻｯｶｰ"],
    ),
    (
        "#ﾊｯｼｭﾀｸﾞ #ﾊﾟﾋﾟﾌﾟﾍﾟﾎﾟ",
        ["ﾊｯｼｭﾀｸﾞ", "ﾊﾟﾋﾟﾌﾟﾍﾟﾎﾟ"],
    ),
    (
        "できましたよー！#日本語ハッシュタグ。",
        ["日本語ハッシュタグ"],
    ),
    (
        "できましたよー！＃日本語ハッシュタグ。",
        ["日本語ハッシュタグ"],
    ),
    (
        "#云々 #学問のすゝめ #いすゞ #各〻 #各〃",
        ["云々", "学問のすゝめ", "いすゞ", "各〻", "各〃"],
    ),
    (
        "#メ～テレ ハッシュタグ内で～が認識されず",
        ["メ～テレ"],
    ),
    (
        "#メ〜テレ ハッシュタグ内で～が認識されず",
        ["メ〜テレ"],
    ),
    (
        "Here’s a test tweet for you: #Ateş #qrşt #ştu #ş",
        ["Ateş", "qrşt", "ştu", "ş"],
    ),
    (
        "Here’s a test tweet for you: #İn #ın",
        ["İn", "ın"],
    ),
    (
        "#hashtag: #hashtag; #hashtag, #hashtag. #hashtag! #hashtag?",
        ["hashtag", "hashtag", "hashtag", "hashtag", "hashtag", "hashtag"],
    ),
    (
        ":#hashtag ;#hashtag ,#hashtag .#hashtag !#hashtag ?#hashtag",
        ["hashtag", "hashtag", "hashtag", "hashtag", "hashtag", "hashtag"],
    ),
    (
        "#hashtag\ntest\n#hashtag2\ntest\n#hashtag3\n",
        ["hashtag", "hashtag2", "hashtag3"],
    ),
    (
        "#http://twitter.com #https://twitter.com",
        [],
    ),
    (
        "http://twitter.com/#hashtag twitter.com/#hashtag",
        [],
    ),
    (
        "#Azərbaycanca #mûǁae #Čeština #Ċaoiṁín",
        ["Azərbaycanca", "mûǁae", "Čeština", "Ċaoiṁín"],
    ),
    (
        ("#سیاست #ایران #السياسة #السياح #لغات  #اتمی  #کنفرانس #العربية #الجزيرة #فارسی"),
        [
            "سیاست",
            "ایران",
            "السياسة",
            "السياح",
            "لغات",
            "اتمی",
            "کنفرانس",
            "العربية",
            "الجزيرة",
            "فارسی",
        ],
    ),
    (
        "#برنامه_نویسی  #رییس_جمهور  #رئيس_الوزراء, #ثبت_نام. #لس_آنجلس",
        ["برنامه_نویسی", "رییس_جمهور", "رئيس_الوزراء", "ثبت_نام", "لس_آنجلس"],
    ),
    (
        "#עַל־יְדֵי #וכו׳ #מ״כ",
        ["עַל־יְדֵי", "וכו׳", "מ״כ"],
    ),
    (
        ("#ผู้เริ่ม #การเมือง #รายละเอียด #นักท่องเที่ยว #ของขวัญ #สนามบิน #เดินทาง #ประธาน"),
        ["ผู้เริ่ม", "การเมือง", "รายละเอียด", "นักท่องเที่ยว", "ของขวัญ", "สนามบิน", "เดินทาง", "ประธาน"],
    ),
    (
        "#أي\u200cبي\u200cإم #می\u200cخواهم",
        ["أي\u200cبي\u200cإم", "می\u200cخواهم"],
    ),
    (
        "የአላህ መልእክተኛ ሰለላሁ ዓለይሂ ወሰለም #ኢትዮሙስሊምስ",
        ["ኢትዮሙስሊምስ"],
    ),
    (
        "#ශ්\u200dරීලංකා",
        ["ශ්\u200dරීලංකා"],
    ),
    (
        "#۳۴۵هشتگ #هشتگ۶۷۸ #ســـلام_عليكم_٤٠٦",
        ["۳۴۵هشتگ", "هشتگ۶۷۸", "ســـلام_عليكم_٤٠٦"],
    ),
    (
        "#महात्मा #महात्मा_१२३४ #१२३४ गांधी",
        ["महात्मा", "महात्मा_१२३४"],
    ),
    (
        "#বাংলা #ગુજરાતી #ಕನ್ನಡ #മലയാളം #ଓଡ଼ିଆ #ਪੰਜਾਬੀ #සිංහල #தமிழ் #తెలుగు",
        ["বাংলা", "ગુજરાતી", "ಕನ್ನಡ", "മലയാളം", "ଓଡ଼ିଆ", "ਪੰਜਾਬੀ", "සිංහල", "தமிழ்", "తెలుగు"],
    ),
    (
        "#བོད་སྐད་ #བོད་སྐད",
        ["བོད་སྐད་", "བོད་སྐད"],
    ),
    (
        "#មហាត្មះគន្ធី #မြင့်မြတ်သော #ຊີວະສາດ",
        ["មហាត្មះគន្ធី", "မြင့်မြတ်သော", "ຊີວະສາດ"],
    ),
    (
        "#Μαχάτμα_Γκάντι ήταν Ινδός πολιτικός",
        ["Μαχάτμα_Γκάντι"],
    ),
    (
        "#Մահաթմա #მაჰათმა",
        ["Մահաթմա", "მაჰათმა"],
    ),
    (
        "#il·lusió",
        ["il·lusió"],
    ),
    (
        "#_ #1_2 #122 #〃",
        [],
    ),
    (
        "#𠀡",
        ["𠀡"],
    ),
    (
        "#𖼄𖽑",
        ["𖼄𖽑"],
    ),
    (
        "#A𐒠",
        ["A𐒠"],
    ),
]

#: (text, [(tag, start, end)])
HASHTAGS_WITH_INDICES: list[tuple[str, list[tuple[str, int, int]]]] = [
    ("#hashtag here", [("hashtag", 0, 8)]),
    ("test a #hashtag", [("hashtag", 7, 15)]),
    ("test a #hashtag in a string", [("hashtag", 7, 15)]),
    ("#123 a #hashtag in a string", [("hashtag", 7, 15)]),
    ("会議中 #hashtag 会議中", [("hashtag", 4, 12)]),
    ("One #two three #four", [("two", 4, 8), ("four", 15, 20)]),
    ("Hashtags in #русский!", [("русский", 12, 20)]),
    (
        "Hashtags in #中文, #日本語, #한국말, and #русский! Try it out!",
        [("中文", 12, 15), ("日本語", 17, 21), ("한국말", 23, 27), ("русский", 33, 41)],
    ),
]
