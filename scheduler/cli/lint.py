"""``callsheet lint``: check a post against a platform's rules before scheduling it.

Reads the text on standard input (one trailing newline, as ``echo`` and editors add, is dropped),
applies exactly the rules the API and the adapters apply (``platforms.text``), and prints either a
readable summary or, with ``--json``, the verdict as JSON for scripts and editors.

``--media`` names what the post will carry: a kind alone (``image``, ``video``: counted and
checked for alt text), or a file or link (``still.jpg``, ``https://cdn.example/teaser.mp4``,
``video:clip.bin`` where the name does not tell the kind), each optionally ``=alt text``. A file
is read as the API reads it at submit time: type, size, proportions and length. A link is judged
by its name only. A link with a query string (``?v=2``) takes no alt text here: its ``=`` is part
of the link.

Exit status: 0 when the text can be published, 1 when it cannot, 2 for an unknown platform (the
message lists the known ones) or a malformed ``--media``.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated
from urllib.parse import urlsplit

import typer
from rich.console import Console
from rich.markup import escape

from platforms.media.probe import Probe, is_link, probe_file, type_by_name

if TYPE_CHECKING:
    from platforms.media import MediumFacts
    from platforms.text import TextCheck

EXIT_VALID = 0
EXIT_INVALID = 1
EXIT_USAGE = 2

_MEDIA_KINDS = ("image", "video")


@dataclass(frozen=True)
class _OperatorFile:
    """A file the operator names on the command line: theirs to have read (``probe_file``),
    unlike a file a post names, which is never read."""

    path: Path

    def probe(self) -> Probe:
        return probe_file(self.path)


@dataclass(frozen=True)
class _Attachment:
    """A medium named on the command line (``--media still.jpg=alt text``); ``url`` is the file
    or link, ``None`` for a kind named alone; ``held`` is a file's, read for its facts."""

    kind: str
    alt: str | None
    url: str | None = None

    @property
    def held(self) -> _OperatorFile | None:
        if self.url is None or is_link(self.url):
            return None
        return _OperatorFile(Path(self.url.removeprefix("file://")))


def parse_media(value: str) -> _Attachment:
    """``image`` or ``video``; or a file or link, optionally ``image:``/``video:`` first; any of
    them with ``=alt text``."""
    source, has_alt, alt = value.partition("=")
    if "?" in source and urlsplit(source).scheme in ("http", "https"):
        source, has_alt, alt = value, "", ""  # the "=" belongs to the link's query
    source = source.strip()
    described = alt if has_alt else None
    if source.lower() in _MEDIA_KINDS:
        return _Attachment(source.lower(), described)
    kind, colon, rest = source.partition(":")
    if colon and kind.lower() in _MEDIA_KINDS and rest:
        return _Attachment(kind.lower(), described, rest)
    guessed = (type_by_name(source) or "").split("/")[0]
    if guessed not in _MEDIA_KINDS:
        raise ValueError(
            f"--media takes image, video, or a file or link (optionally =alt text); cannot tell"
            f" whether {source!r} is an image or a video: write image:{source} or video:{source}"
        )
    return _Attachment(guessed, described, source)


def lint(
    platform: Annotated[str, typer.Option("--platform", "-p", help="x, bluesky, mastodon...")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the verdict as JSON")] = False,
    limit: Annotated[
        int | None,
        typer.Option(min=1, help="Another length limit (a Mastodon instance's, X Premium's)"),
    ] = None,
    media: Annotated[
        list[str] | None,
        typer.Option(
            "--media",
            help="An attachment the post will carry: image, video, or a file or link"
            " (still.jpg, https://cdn.example/teaser.mp4, video:clip.bin), optionally =alt text."
            " Repeat for several.",
        ),
    ] = None,
    no_thread: Annotated[
        bool, typer.Option("--no-thread", help="Refuse instead of splitting into a thread")
    ] = False,
) -> None:
    """Check a post (text on standard input, media by --media) against a platform's rules."""
    from platforms.adapters.registry import rules_for
    from platforms.text import UnknownRules, check

    err = Console(stderr=True)
    try:
        rules = rules_for(platform, limit=limit)
        attachments = [parse_media(item) for item in media or ()]
    except UnknownRules as exc:
        err.print(f"[red]unknown platform {escape(repr(platform))}[/red]", soft_wrap=True)
        err.print(f"known platforms: {', '.join(exc.known)}", soft_wrap=True)
        raise typer.Exit(EXIT_USAGE) from None
    except ValueError as exc:
        err.print(f"[red]{escape(str(exc))}[/red]", soft_wrap=True)
        raise typer.Exit(EXIT_USAGE) from None
    if no_thread:
        rules = rules.without_threads()
    text = _read_stdin()
    verdict = check(rules, text, attachments)
    if as_json:
        rendered = json.dumps(verdict.as_json(), ensure_ascii=False, indent=2) + "\n"
        sys.stdout.buffer.write(rendered.encode("utf-8"))
        sys.stdout.flush()
    else:
        _summary(Console(), verdict, rules.name)
    raise typer.Exit(EXIT_VALID if verdict.valid else EXIT_INVALID)


def _read_stdin() -> str:
    data = sys.stdin.buffer.read().decode("utf-8", errors="replace")
    if data.endswith("\r\n"):
        return data[:-2]
    return data.removesuffix("\n")


def _summary(console: Console, verdict: TextCheck, name: str) -> None:
    """The verdict for a person: a headline, then problems, warnings and the thread."""
    thread = len(verdict.parts) if verdict.parts is not None else 1
    if not verdict.valid:
        mark = "[red]✗ cannot be published[/red]"
    elif thread > 1:
        mark = f"[green]✓ ready as a thread of {thread}[/green]"
    else:
        mark = "[green]✓ ready[/green]"
    size = f"{verdict.length:,} {verdict.unit}, {verdict.limit:,} per post"
    if thread == 1:
        size = f"{verdict.length:,} of {verdict.limit:,} {verdict.unit}"
    console.print(f"[bold]{escape(name)}[/bold]: {mark} — {escape(size)}")
    if verdict.max_bytes is not None:
        console.print(f"  {verdict.bytes:,} of {verdict.max_bytes:,} bytes")
    if verdict.title_limit is not None:
        console.print(
            f'  title: "{escape(verdict.title or "")}" ({verdict.title_length or 0:,} of'
            f" {verdict.title_limit:,})"
        )
    for facts in verdict.media:
        console.print(f"  {escape(_medium_line(facts))}", highlight=False)
    for problem in verdict.problems:
        console.print(f"  [red]problem:[/red] {escape(problem)}")
    for warning in verdict.warnings:
        console.print(f"  [yellow]warning:[/yellow] {escape(warning)}")
    if verdict.parts is not None and thread > 1:
        for number, part in enumerate(verdict.parts, 1):
            console.rule(f"post {number} of {thread}", align="left")
            console.print(escape(part), highlight=False)


def _medium_line(facts: MediumFacts) -> str:
    """One medium as found: "image 1 still.jpg: image/jpeg, 1080 by 1350, 412,331 bytes"."""
    head = f"{facts.kind} {facts.number}" + (f" {facts.name}" if facts.name else "")
    if facts.where == "missing":
        return f"{head}: not found"
    found = [facts.content_type or "type unknown"]
    if facts.width and facts.height:
        found.append(f"{facts.width} by {facts.height}")
    if facts.seconds is not None:
        found.append(f"{facts.seconds:.1f} s")
    if facts.bytes is not None:
        found.append(f"{facts.bytes:,} bytes")
    if facts.where == "link":
        found.append("a link, not fetched")
    if facts.where == "unnamed":
        found = ["no file named"]
    found.append("alt text" if facts.alt else "no alt text")
    return f"{head}: {', '.join(found)}"
