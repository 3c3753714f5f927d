"""A production's schedule read from CSV: the export's own file, or a sheet written by hand.

Columns (the header row names them, in any order, case-insensitive):

============  =================================================================================
pillar        required: the content pillar (``ContentPillar`` value)
platform      required: with ``handle``, names an existing account, one target of the post
handle        required
template      a template name; the file needs a ``template`` or a ``body`` column, and each
body          post exactly one of the two filled in (a body is kept exactly as written)
variables     optional: the template variables, a JSON object (empty means ``{}``)
tags          optional: tags separated by ``;``, spaces around each dropped
media         optional: media references, a JSON array (empty means ``[]``)
milestone     the name of a milestone of this production; the file needs a ``milestone`` or an
at            ``at`` column, and each post exactly one of the two filled in. ``at`` is ISO 8601
              and must carry a timezone (``2027-03-01T18:00:00Z``, ``...+01:00``)
offset        optional, with a milestone: ``-P14D``, ``+PT2H`` (as in the API)
local_time    optional, with a milestone: ``HH:MM`` or ``HH:MM:SS``
post_id       optional: rows that share it are one post going out on each row's account; a row
              without it is a post of its own. It only groups rows and never names an existing
              post, so an export imports into another production as new posts
delivery_id   ignored: new deliveries get new ids
due_at        ignored: due times are worked out again from the anchor, as for any new post
status        ignored, except that ``cancelled`` rows are skipped, so a dropped target stays
              dropped
============  =================================================================================

Any other column name is refused, so a misspelt column is reported rather than silently lost.
Every created post is a draft of ``actor``: an import plans, it never approves.

Why everything is validated before anything is kept: a sheet with typos should come back with
every problem listed at once (line and column) instead of one per attempt, and a half-imported
sheet is worse than none, because importing the corrected file would duplicate the first half.
So every row is read and checked first (cells, milestone names, accounts, rows of one post that
disagree). Then every post goes through ``scheduler.posts.lifecycle.create_post``, the API's own
validation and rendering, so a template error or a platform's refusal is reported here too;
each post in its own SAVEPOINT, so one failure neither hides the next post's problems nor leaves
rows behind, and all of them inside one outer SAVEPOINT that is rolled back if any problem was
found. Only then is ``CsvInvalid`` raised: the caller's transaction holds nothing of the import.

Line numbers count lines of the file: the header is line 1 and a row is numbered by the line
it starts on. That is a spreadsheet's row number too, unless a cell above holds a line break.

Cells are read back by the export's rule (``unguard_formula``: one leading quote is dropped),
then identifiers (pillar, template, platform, offset, local_time, at, post_id, status) lose
surrounding spaces. Milestone names and handles are matched exactly, then without surrounding
spaces. Limits: ``MAX_BYTES`` of UTF-8 and ``MAX_ROWS`` data rows.

Modules: ``rows`` (the file as rows: limits, header, cells and their parsers), ``drafts`` (rows
grouped into posts and resolved against the production), and here the writing: every post
through ``create_post``, all or nothing.
"""

from __future__ import annotations

from sqlmodel import Session

from scheduler.core.errors import Invalid
from scheduler.core.models import Post
from scheduler.exchange.csv_import.drafts import Draft, Lookups, group_rows, make_draft
from scheduler.exchange.csv_import.rows import (
    MAX_BYTES,
    MAX_ROWS,
    CsvInvalid,
    CsvProblem,
    read_sheet,
)
from scheduler.planning.productions import get_production
from scheduler.posts.lifecycle import create_post

__all__ = ["MAX_BYTES", "MAX_ROWS", "CsvInvalid", "CsvProblem", "import_schedule"]


def import_schedule(
    *, session: Session, production_id: int, text: str, actor: str, writer_id: int | None = None
) -> list[Post]:
    """Create the posts a CSV describes as drafts, all of them or none; the person importing
    (``writer_id``) is their writer, who may not approve them.

    NotFound for an unknown production; Invalid("file") for a file too big or empty;
    ``CsvInvalid`` with every problem found, after rolling back whatever was tried.
    """
    get_production(session=session, production_id=production_id)
    sheet = read_sheet(text)
    problems = list(sheet.problems)
    if not sheet.usable:
        raise CsvInvalid(problems)
    lookups = Lookups.load(session, production_id)
    drafts = []
    for group in group_rows(sheet.rows):
        draft = make_draft(group, lookups, production_id, sheet.columns, problems)
        if draft is not None:
            drafts.append(draft)
    with session.begin_nested():  # rolled back by the raise below, with every post in it
        posts = _create(session, drafts, actor, writer_id, problems)
        if problems:
            raise CsvInvalid(problems)
    return posts


def _create(
    session: Session,
    drafts: list[Draft],
    actor: str,
    writer_id: int | None,
    problems: list[CsvProblem],
) -> list[Post]:
    """Create each post in a SAVEPOINT of its own; a refused one is rolled back and reported."""
    posts = []
    for draft in drafts:
        try:
            with session.begin_nested():
                made = create_post(
                    session=session, data=draft.data, actor=actor, writer_id=writer_id
                )
                posts.append(made)
        except Invalid as exc:
            problems.append(draft.problem(exc))
    return posts
