"""Separation of duties: nobody approves their own words, and nobody walks a chain alone.

Whoever wrote a post's current version (``Post.written_by_id``: who created it, or made its
last edit) cannot approve it, and each step of a chain needs a person of its own: one person
named in two steps is refused when the chain is set, and a vote by someone who approved
another step of the same version is refused (chains set before the rule may still name one
person twice). People are compared by id, never by the name a person can change.

A one-person team cannot keep the rule, so a production admin may relax it
(``Production.self_approval``, changed through ``PATCH /productions/{id}`` and audited); every
approval given under the relaxation says so (``Approval.self_approved``).

Votes are what the rule is about: a playbook or the demo approving what it generated in its
own transaction (``scheduler.posts.approval.approve_post``) casts none, and its posts have no
writer.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from scheduler.core.errors import Conflict, Invalid
from scheduler.core.models import Post, Production

#: The rule as docs/access.md states it (``scheduler.http.access.access_table`` prints it).
RULE = (
    "**Separation of duties.** Whoever wrote a post's current version (created it, or made "
    "its last edit) cannot approve it (**409**), and each step of an approval chain needs a "
    "person of its own: one person named in two steps is refused when the chain is set "
    "(**422** naming `steps.N.people`), and a vote by someone who already approved another "
    "step of the same version is refused (**409** naming that step). A schedule approval "
    "that includes the approver's own posts is refused whole, naming them. A step whose mode "
    "is `all` waits for all of its people but the post's writer. A production admin may "
    "relax both rules for a one-person team with `PATCH /productions/{id}` "
    '`{"self_approval": true}` (audited, shown by `GET /productions/{id}`); every approval '
    "given under it is marked `self_approved`."
)


def _relax_hint(production_id: int) -> str:
    return (
        "a production admin can relax this for a one-person team: "
        f'PATCH /productions/{production_id} {{"self_approval": true}}'
    )


def refuse_own_posts(production: Production, posts: Sequence[Post], person_id: int) -> None:
    """409 naming every post of ``posts`` whose current version ``person_id`` wrote."""
    if production.self_approval:
        return
    own = [str(p.id) for p in posts if p.written_by_id is not None and p.written_by_id == person_id]
    if not own:
        return
    which = f"post {own[0]}" if len(own) == 1 else f"posts {', '.join(own)}"
    whom = "it" if len(own) == 1 else "them"
    raise Conflict(
        f"separation of duties: you wrote this version of {which}; someone else must approve "
        f"{whom} ({_relax_hint(production.id or 0)})"
    )


def refuse_second_step(
    production: Production, step: str, earlier: Iterable[str], person_id: int
) -> None:
    """409 when the voter approved another step (``earlier``) of this version already."""
    done = list(earlier)
    if production.self_approval or not done:
        return
    raise Conflict(
        f"separation of duties: you approved step '{done[0]}' of this version already; step "
        f"'{step}' needs someone else ({_relax_hint(production.id or 0)})"
    )


def require_distinct_steps(production: Production, steps: Sequence[tuple[str, list[int]]]) -> None:
    """422 naming ``steps.N.people`` when a person is named in an earlier step too."""
    if production.self_approval:
        return
    named: dict[int, str] = {}
    for position, (name, people) in enumerate(steps):
        for person_id in dict.fromkeys(people):
            if person_id in named:
                raise Invalid(
                    f"steps.{position}.people",
                    f"person {person_id} is already named in step '{named[person_id]}'; "
                    "separation of duties needs a different person for each step "
                    f"({_relax_hint(production.id or 0)})",
                )
        for person_id in people:
            named[person_id] = name


def self_approved(post: Post, voters: Sequence[int]) -> bool:
    """Whether the votes that approved ``post`` needed the relaxation: its writer voted, or
    one person voted at two steps."""
    return post.written_by_id in voters or len(set(voters)) < len(voters)
