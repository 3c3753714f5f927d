"""A producer's review: the production's approval chain, its checklist, and approving a
whole milestone's (or date range's) schedule in one pass.

The chain is a production's ordered steps ("marketing lead", then "producer", then "studio
legal"), each approved by *any one of* or *all of* its named people. Without steps, one
approval by any producer finishes the chain. Every approval is a ``Vote`` for the version the
person saw; the last step's vote also needs the checklist confirmed and every featured person
who must sign off to have approved this exact content. Only then is the approval bound to
each delivery's rendered output (``scheduler.posts.approval.approve_post``) and the post scheduled.

Being allowed to approve at all needs the producer role (``scheduler.http.access``); a chain
narrows who, at each step, among the production's producers and admins; separation of duties
(``scheduler.review.duties``) keeps a post's writer from approving it and one person from
approving two steps.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from scheduler.core.errors import Conflict, Forbidden, Invalid
from scheduler.core.models import (
    Approval,
    ApprovalMode,
    ApprovalStep,
    ChecklistItem,
    Person,
    Post,
    PostStatus,
    Vote,
)
from scheduler.events.record import record_event, save_recorded
from scheduler.people.members import roles_of
from scheduler.planning.productions import get_production
from scheduler.posts.approval import approve_post, check_shown, expect_deliveries_of
from scheduler.posts.lifecycle import get_post
from scheduler.review import duties
from scheduler.review.signoffs import talent_blockers


@dataclass(frozen=True)
class StepState:
    """One step of the chain for one version of a post: who approved, whether it is done."""

    step: ApprovalStep | None  # None: the default single step, any producer
    name: str
    approvers: list[str]
    voter_ids: set[int]
    done: bool
    #: In ``all`` mode, who must vote: the step's people but the writer of the version, who
    #: may not approve it (``duties``).
    needed: frozenset[int] = frozenset()

    def finished_by(self, person_id: int) -> bool:
        """Whether a vote by ``person_id`` completes this step."""
        if self.step is None or self.step.mode == ApprovalMode.any:
            return True
        return self.needed <= self.voter_ids | {person_id}


@dataclass(frozen=True)
class Approved:
    """What one person's approval did: recorded a step, or finished the chain."""

    post: Post
    steps: list[StepState]
    approval: Approval | None  # set when this vote finished the chain


def chain_of(session: Session, production_id: int) -> list[ApprovalStep]:
    query = select(ApprovalStep).where(ApprovalStep.production_id == production_id)
    return list(session.exec(query.order_by(col(ApprovalStep.position))))


def set_chain(
    *, session: Session, production_id: int, steps: list[dict[str, Any]], actor: str
) -> list[ApprovalStep]:
    """Replace the production's chain; each step names people who are members of it, and
    (separation of duties, unless the production relaxes it) no person is in two steps."""
    duties.require_distinct_steps(
        get_production(session=session, production_id=production_id),
        [(str(raw.get("name", "")), [int(p) for p in raw.get("people", [])]) for raw in steps],
    )
    old_steps = chain_of(session, production_id)
    before = [_describe(s) for s in old_steps]
    # A new chain starts reviews in progress over: their votes were for steps that are gone
    # (each vote stays in the audit trail as ``post.step_approved``).
    old_ids = [s.id for s in old_steps]
    for vote in session.exec(select(Vote).where(col(Vote.step_id).in_(old_ids))):
        session.delete(vote)
    session.flush()
    for old in old_steps:
        session.delete(old)
    session.flush()
    made = []
    for position, raw in enumerate(steps):
        people = [int(p) for p in raw.get("people", [])]
        if not people:
            raise Invalid(f"steps.{position}.people", "name at least one approver")
        for person_id in people:
            roles = roles_of(session, person_id)
            person = session.get(Person, person_id)
            if person is None or (production_id not in roles and not person.site_admin):
                raise Invalid(
                    f"steps.{position}.people",
                    f"person {person_id} is not a member of production {production_id}",
                )
        step = ApprovalStep(
            production_id=production_id,
            position=position,
            name=str(raw.get("name", "")).strip() or f"step {position + 1}",
            mode=ApprovalMode(raw.get("mode", ApprovalMode.any)).value,
            people=people,
        )
        session.add(step)
        made.append(step)
    session.flush()
    record_event(
        session.connection(),
        actor=actor,
        action="chain.set",
        entity="production",
        entity_id=production_id,
        before={"steps": before},
        after={"steps": [_describe(s) for s in made]},
    )
    return made


def checklist_of(session: Session, production_id: int) -> list[ChecklistItem]:
    query = select(ChecklistItem).where(ChecklistItem.production_id == production_id)
    return list(session.exec(query.order_by(col(ChecklistItem.position))))


def set_checklist(
    *, session: Session, production_id: int, items: list[str], actor: str
) -> list[ChecklistItem]:
    """Replace what an approver confirms for every post of the production."""
    for position, text in enumerate(items):
        if not text.strip():
            raise Invalid(f"items.{position}", "an item needs words")
    before = [item.text for item in checklist_of(session, production_id)]
    for old in checklist_of(session, production_id):
        session.delete(old)
    session.flush()
    made = [
        ChecklistItem(production_id=production_id, position=position, text=text.strip())
        for position, text in enumerate(items)
    ]
    session.add_all(made)
    session.flush()
    record_event(
        session.connection(),
        actor=actor,
        action="checklist.set",
        entity="production",
        entity_id=production_id,
        before={"items": before},
        after={"items": [item.text for item in made]},
    )
    return made


def steps_for(session: Session, post: Post) -> list[StepState]:
    """The chain's steps for the post's current version, with who has approved each."""
    votes = session.exec(
        select(Vote).where(Vote.post_id == post.id, Vote.post_version == post.version)
    ).all()
    return _states(post, chain_of(session, post.production_id), votes)


def steps_for_many(
    session: Session, production_id: int, posts: Sequence[Post]
) -> dict[int, list[StepState]]:
    """``steps_for`` each of a production's ``posts``, in two queries (the chain, the votes)."""
    if not posts:
        return {}
    chain = chain_of(session, production_id)
    votes: dict[int, list[Vote]] = {post.id or 0: [] for post in posts}
    found = session.exec(select(Vote).where(col(Vote.post_id).in_(list(votes))))
    for vote in found:
        votes[vote.post_id].append(vote)
    return {
        post.id or 0: _states(
            post, chain, [v for v in votes[post.id or 0] if v.post_version == post.version]
        )
        for post in posts
    }


def _states(post: Post, chain: Sequence[ApprovalStep], votes: Sequence[Vote]) -> list[StepState]:
    if not chain:
        mine = [v for v in votes if v.step_id is None]
        return [
            StepState(
                step=None,
                name="producer",
                approvers=[v.actor for v in mine],
                voter_ids={v.person_id for v in mine},
                done=bool(mine),
            )
        ]
    states = []
    for step in chain:
        voters = {v.person_id: v.actor for v in votes if v.step_id == step.id}
        needed = frozenset(step.people) - {post.written_by_id}
        done = bool(voters) and (step.mode != ApprovalMode.all or needed <= set(voters))
        states.append(
            StepState(
                step=step,
                name=step.name,
                approvers=list(voters.values()),
                voter_ids=set(voters),
                done=done,
                needed=needed,
            )
        )
    return states


def approve_schedule(
    *,
    session: Session,
    production_id: int,
    versions: Mapping[int, int],
    person: Person,
    checklist: dict[int, bool],
    note: str | None,
    now: datetime,
    shown: Mapping[int, str],
) -> list[Approved]:
    """Approve every post shown, at the versions shown, in one go: all or nothing.

    ``shown`` must hold every delivery of every post (``expect_deliveries_of``); a post that
    renders differently stops it all, and so do posts the approver wrote (409 naming every one
    of them: separation of duties). Each post is then approved as ``approve`` would.
    """
    expect_deliveries_of(session, versions, shown)
    posts = []
    for post_id in sorted(versions):
        post = session.get(Post, post_id)
        if post is None or post.production_id != production_id:
            raise Invalid(f"versions.{post_id}", f"not a post of production {production_id}")
        posts.append(post)
    production = get_production(session=session, production_id=production_id)
    duties.refuse_own_posts(production, posts, person.id or 0)
    return [
        approve(
            session=session,
            post_id=post_id,
            version=version,
            person=person,
            checklist=checklist,
            note=note,
            now=now,
            shown=shown,
        )
        for post_id, version in sorted(versions.items())
    ]


def approve_shown(
    *,
    session: Session,
    post_id: int,
    version: int,
    person: Person,
    checklist: dict[int, bool],
    note: str | None,
    now: datetime,
    shown: Mapping[int, str],
) -> Approved:
    """``approve`` one post, once ``shown`` holds every one of its deliveries
    (``expect_deliveries_of``): what the API and the approval queue call for a single post."""
    expect_deliveries_of(session, [post_id], shown)
    return approve(
        session=session,
        post_id=post_id,
        version=version,
        person=person,
        checklist=checklist,
        note=note,
        now=now,
        shown=shown,
    )


def approve(
    *,
    session: Session,
    post_id: int,
    version: int,
    person: Person,
    checklist: dict[int, bool],
    note: str | None,
    now: datetime,
    shown: Mapping[int, str],
) -> Approved:
    """One person's approval of the version they saw, at the chain's current step.

    ``shown`` is what they were shown of each delivery: every vote checks it, and the last one
    binds it (``approve_post``), so nobody approves words, media or a time they did not see.
    """
    post = get_post(session=session, post_id=post_id, lock=True)
    if post.version != version:
        raise Conflict(
            f"version: post {post_id} changed since it was shown (now version {post.version})"
        )
    if post.status != PostStatus.in_review:
        raise Conflict(
            f"status: post {post_id} is {post.status}; only posts in review are approved"
        )
    steps = steps_for(session, post)
    # Every step done but the post not approved: the chain was shortened under it; the last
    # step's people finish it.
    current = next((s for s in steps if not s.done), steps[-1])
    if current.step is not None and person.id not in current.step.people:
        raise Forbidden(
            f"the post waits for step '{current.name}'; you are not one of its approvers"
        )
    if person.id in current.voter_ids:
        raise Conflict(f"step: you approved step '{current.name}' of this version already")
    production = get_production(session=session, production_id=post.production_id)
    duties.refuse_own_posts(production, [post], person.id or 0)
    earlier = [s.name for s in steps if s is not current and person.id in s.voter_ids]
    duties.refuse_second_step(production, current.name, earlier, person.id or 0)
    relaxed = bool(earlier) or post.written_by_id == person.id
    last = current is steps[-1] and current.finished_by(person.id or 0)
    answers: list[dict[str, Any]] = []
    if last:
        answers = _checked(session, post.production_id, checklist)
        _require_talent(session, post)
    else:
        check_shown(session=session, post=post, shown=shown)
    vote = Vote(
        post_id=post.id or 0,
        post_version=post.version,
        step_id=current.step.id if current.step else None,
        person_id=person.id or 0,
        actor=person.actor,
        at=now,
    )
    save_recorded(
        session,
        vote,
        actor=person.actor,
        action="post.step_approved",
        after={"post_id": post.id, "version": post.version, "step": current.name}
        | ({"self_approved": True} if relaxed else {}),
        reason=note,
    )
    steps = steps_for(session, post)
    if not last:
        return Approved(post=post, steps=steps, approval=None)
    approval = approve_post(
        session=session,
        post_id=post.id or 0,
        version=post.version,
        actor=person.actor,
        shown=shown,
        note=note,
    )
    approval.chain = [{"step": s.name, "by": s.approvers} for s in steps]
    approval.checklist = answers
    approval.self_approved = duties.self_approved(
        post, [voter for s in steps for voter in s.voter_ids]
    )
    session.add(approval)
    session.flush()
    return Approved(post=post, steps=steps, approval=approval)


def _checked(
    session: Session, production_id: int, answers: dict[int, bool]
) -> list[dict[str, Any]]:
    """The checklist as answered; every item must be confirmed before the final approval."""
    items = checklist_of(session, production_id)
    known = {item.id for item in items}
    for item_id in answers:
        if item_id not in known:
            raise Invalid(f"checklist.{item_id}", "not an item of this production's checklist")
    for item in items:
        if not answers.get(item.id or 0):
            raise Invalid(f"checklist.{item.id}", f"confirm: {item.text}")
    return [{"item": item.text, "confirmed": True} for item in items]


def _require_talent(session: Session, post: Post) -> None:
    blockers = talent_blockers(session=session, post=post)
    if blockers:
        raise Conflict("talent: waiting for sign-off: " + "; ".join(blockers))


def _describe(step: ApprovalStep) -> dict[str, Any]:
    return {"name": step.name, "mode": step.mode, "people": step.people}
