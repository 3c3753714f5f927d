"""Split a text that is too long for one post into a numbered thread.

The rules a reader would expect, in order of importance:

1. Every part fits the platform *with* its number: ``fits`` is asked about the part as published,
   ``"... 2/5"``, so the numbering is never what pushes a part over the limit.
2. Nothing is lost or reordered: joining the parts, without their numbers, gives back every word
   of the text in order (only the whitespace where a part ends is dropped).
3. A link, a mention or a hashtag is never cut in two: parts end at whitespace (or after a CJK
   full stop, since CJK text has no spaces). Only a single "word" too long for any part is cut,
   at a grapheme boundary and outside any link, mention or hashtag in it; a link that alone does
   not fit cannot be published, and ``Unsplittable`` says which one.
4. Parts end where the text has a natural break: the last paragraph break that keeps at least
   half of what would fit, else the last line break, else the last sentence end, else the last
   word that fits. Half, so a short opening paragraph does not become a near-empty post.

The number of parts decides the width of the numbering (" 9/9" is shorter than " 10/10"), which
can change the number of parts. We split reserving room for a guessed total, and if more parts
come out, reserve for that many and split again; a total that comes out smaller than reserved is
fine, because its numbers are no wider than the ones we made room for.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum

import regex

from platforms.text.entities import Entity, extract_entities
from platforms.text.unicode import graphemes

_WORD = regex.compile(r"\S+")
_SENTENCE_END = regex.compile(r"[.!?\u2026\u203c\u2049][)\]\"'\u201d\u2019\u00bb]*$")
_CJK_FULL_STOP = regex.compile(r"[\u3002\uff01\uff1f]+")
_MAX_PASSES = 8


class Break(IntEnum):
    """Where a part may end, from the weakest to the strongest break."""

    WORD = 0
    SENTENCE = 1
    LINE = 2
    PARAGRAPH = 3
    END = 4


@dataclass(frozen=True, slots=True)
class _Cut:
    """A part may end at ``end``; the next part then starts at ``resume``."""

    end: int
    resume: int
    strength: Break


class Unsplittable(ValueError):
    """The text cannot be cut into parts that fit: one piece of it is too long on its own."""

    def __init__(self, piece: str, kind: str) -> None:
        super().__init__(f"the {kind} {piece!r} does not fit in one part on its own")
        self.piece = piece
        self.kind = kind


def numbering(index: int, total: int) -> str:
    """The suffix of part ``index`` of ``total``: ``" 2/5"``."""
    return f" {index}/{total}"


def split_thread(
    text: str,
    fits: Callable[[str], bool],
    *,
    label: Callable[[int, int], str] = numbering,
) -> list[str]:
    """``[text]`` if it fits, else the numbered parts of a thread, each of which ``fits``.

    Raises ``Unsplittable`` when a link, mention, hashtag or grapheme does not fit in a part alone.
    ``label`` must give suffixes that grow with the total and fit monotonically (ASCII digits do).
    """
    if fits(text):
        return [text]
    body = text.strip()
    cuts = _cuts(body)
    protected = extract_entities(body)
    reserved = 1
    for _ in range(_MAX_PASSES):
        pieces = _split(body, cuts, protected, fits, functools.partial(_reserve, label, reserved))
        if len(pieces) <= reserved:
            parts = [piece + label(index, len(pieces)) for index, piece in enumerate(pieces, 1)]
            if not all(fits(part) for part in parts):  # pragma: no cover - a broken ``label``
                raise RuntimeError("a numbered part no longer fits; is the label monotonic?")
            return parts
        reserved = len(pieces)
    raise RuntimeError("the number of parts did not settle")  # pragma: no cover


def _reserve(label: Callable[[int, int], str], total: int, index: int) -> str:
    return label(index, total)


def _cuts(body: str) -> list[_Cut]:
    """Every place a part may end, in order, with how strong a break it is."""
    words = [match.span() for match in _WORD.finditer(body)]
    cuts: list[_Cut] = []
    for (start, end), (next_start, _) in itertools.pairwise(words):
        cuts.extend(_cjk_cuts(body, start, end))
        gap = body[end:next_start]
        if gap.count("\n") >= 2:
            strength = Break.PARAGRAPH
        elif "\n" in gap:
            strength = Break.LINE
        elif _SENTENCE_END.search(body, start, end):
            strength = Break.SENTENCE
        else:
            strength = Break.WORD
        cuts.append(_Cut(end, next_start, strength))
    if words:
        cuts.extend(_cjk_cuts(body, *words[-1]))
    cuts.append(_Cut(len(body), len(body), Break.END))
    return cuts


def _cjk_cuts(body: str, start: int, end: int) -> list[_Cut]:
    """Sentence breaks inside a space-less run of CJK text: after a full stop, ! or ?."""
    return [
        _Cut(match.end(), match.end(), Break.SENTENCE)
        for match in _CJK_FULL_STOP.finditer(body, start, end)
        if match.end() < end
    ]


def _split(
    body: str,
    cuts: list[_Cut],
    protected: list[Entity],
    fits: Callable[[str], bool],
    suffix: Callable[[int], str],
) -> list[str]:
    """One greedy pass: the unnumbered parts, each of which fits with ``suffix(its index)``."""
    pieces: list[str] = []
    position = 0
    next_cut = 0
    cut_ends = [cut.end for cut in cuts]
    while position < len(body):
        while cuts[next_cut].end <= position:
            next_cut += 1
        tail = suffix(len(pieces) + 1)
        probe = functools.partial(_fits_until, fits, body, position, cut_ends, next_cut, tail)
        last = _last_fitting(len(cuts) - next_cut, probe)
        if last is not None:
            fitting = cuts[next_cut : next_cut + last + 1]
            cut = _choose(fitting, position)
            if cut is not fitting[-1] and not fits(body[position : cut.end] + tail):
                cut = fitting[-1]  # only if the measure shrank as text grew; never seen
            pieces.append(body[position : cut.end])
            position = cut.resume
        else:
            end = _hard_cut(body, position, cuts[next_cut].end, protected, fits, tail)
            pieces.append(body[position:end])
            position = end
    return pieces


def _fits_until(
    fits: Callable[[str], bool],
    body: str,
    start: int,
    ends: list[int],
    offset: int,
    tail: str,
    index: int,
) -> bool:
    """Whether ``body[start:ends[offset + index]]``, numbered with ``tail``, fits."""
    return fits(body[start : ends[offset + index]] + tail)


def _last_fitting(count: int, fits_at: Callable[[int], bool]) -> int | None:
    """The last index of ``range(count)`` for which ``fits_at`` holds, or ``None``.

    Text measures grow as text is added at a break, so what fits is a prefix of the candidates:
    galloping then bisecting finds its end in O(log n) measurements, where trying each candidate
    in turn made a long text's thread cost O(n²).
    """
    if count == 0 or not fits_at(0):
        return None
    good, step = 0, 1
    bad = count
    while good + step < count:
        if not fits_at(good + step):
            bad = good + step
            break
        good += step
        step *= 2
    while bad - good > 1:
        middle = (good + bad) // 2
        if fits_at(middle):
            good = middle
        else:
            bad = middle
    return good


def _choose(fitting: list[_Cut], position: int) -> _Cut:
    """The strongest break that keeps at least half of what fits; else as much as fits."""
    longest = fitting[-1]
    if longest.strength is Break.END:
        return longest
    for strength in (Break.PARAGRAPH, Break.LINE, Break.SENTENCE):
        good = [
            cut
            for cut in fitting
            if cut.strength >= strength and 2 * (cut.end - position) >= longest.end - position
        ]
        if good:
            return good[-1]
    return longest


def _hard_cut(
    body: str,
    position: int,
    word_end: int,
    protected: list[Entity],
    fits: Callable[[str], bool],
    tail: str,
) -> int:
    """Where to cut a word that does not fit whole: the last grapheme boundary that fits.

    Never inside a link, mention or hashtag; if the word starts with one that does not fit alone,
    or not even one grapheme fits, raise ``Unsplittable``.
    """
    inside = [entity for entity in protected if position < entity.end and entity.start < word_end]
    ends = list(
        itertools.accumulate(
            (len(grapheme) for grapheme in graphemes(body[position:word_end])), initial=position
        )
    )[1:]
    allowed = [end for end in ends if not any(e.start < end < e.end for e in inside)]
    last = _last_fitting(
        len(allowed), functools.partial(_fits_until, fits, body, position, allowed, 0, tail)
    )
    if last is not None:
        return allowed[last]
    for entity in inside:
        if entity.start <= position < entity.end:
            raise Unsplittable(entity.text, _KIND_NAMES[entity.kind])
    raise Unsplittable(graphemes(body[position:word_end])[0], "character")


_KIND_NAMES = {"url": "link", "mention": "mention", "hashtag": "hashtag"}
