"""The CSV import on both databases, over HTTP: round trips, hand-written sheets, all or nothing."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from scheduler.core.errors import Invalid
from scheduler.core.models import (
    Account,
    AuditEvent,
    ContentPillar,
    Delivery,
    DeliveryStatus,
    Milestone,
    MilestoneKind,
    Post,
    ProductionKind,
)
from scheduler.exchange.csv_import import MAX_BYTES, MAX_ROWS, CsvInvalid, import_schedule
from scheduler.planning.productions import add_milestone, create_production
from scheduler.planning.schemas import MilestoneCreate, ProductionCreate
from scheduler.posts.approval import approve_post, submit_post
from scheduler.posts.lifecycle import create_post, edit_post
from scheduler.posts.schemas import AnchorIn, PostCreate, PostEdit
from tests import factories
from tests.conftest import CLIENT_ACTOR

PREMIERE = datetime(2027, 3, 1, 19, 0, tzinfo=UTC)
WRAP = datetime(2027, 1, 10, 19, 0, tzinfo=UTC)
TRICKY = "Take 3, scene 12; the crew\nat dawn — café, 東京 🎬 \\ back-slash"
FORMULA = '=HYPERLINK("https://evil.example/x","click")'
ODD_HANDLE = "@crew, night; ünïcode"
MINIMAL = "pillar,body,milestone,offset,local_time,at,platform,handle"


@dataclass(frozen=True)
class Setup:
    source: int  # a production with a campaign planned
    target: int  # an empty production with the same milestone names and dates
    main: Account
    odd: Account


def _production(session: Session, title: str) -> int:
    production = create_production(
        session=session,
        actor=factories.ACTOR,
        data=ProductionCreate(title=title, kind=ProductionKind.film, timezone="Europe/London"),
    )
    pid = production.id or 0
    factories.premiere(session, pid, PREMIERE)
    add_milestone(
        session=session,
        production_id=pid,
        actor=factories.ACTOR,
        data=MilestoneCreate(kind=MilestoneKind.wrap, name="Wrap", at=WRAP, tentative=True),
    )
    return pid


def _milestone(session: Session, production_id: int, name: str) -> int:
    query = select(Milestone).where(
        Milestone.production_id == production_id, Milestone.name == name
    )
    return session.exec(query).one().id or 0


def _create(session: Session, accounts: list[Account], **fields: Any) -> Post:
    return create_post(
        session=session,
        actor=factories.ACTOR,
        data=PostCreate(account_ids=[a.id or 0 for a in accounts], **fields),
    )


def _approve(session: Session, post: Post) -> None:
    post_id = post.id or 0
    submit_post(session=session, post_id=post_id, version=post.version, actor=factories.ACTOR)
    approve_post(
        session=session, post_id=post_id, version=post.version, actor="producer", shown=None
    )


@pytest.fixture
def setup(session: Session, tmp_path: Path) -> Setup:
    """Posts on every kind of anchor, odd text, and a target that was dropped (cancelled)."""
    source = _production(session, "Night Shift")
    target = _production(session, "Night Shift (festival cut)")
    main = factories.outbox_account(session, tmp_path / "a.jsonl", production_ids=[source, target])
    odd = factories.outbox_account(
        session, tmp_path / "b.jsonl", handle=ODD_HANDLE, production_ids=[source, target]
    )
    premiere = _milestone(session, source, "Premiere")
    countdown = _create(
        session,
        [main, odd],
        production_id=source,
        pillar=ContentPillar.countdown,
        template="premiere_countdown",
        variables={"days_to_go": 14, "event": "the premiere"},
        tags=["countdown", "night shoot"],
        anchor=AnchorIn(milestone_id=premiere, offset="-P14D", local_time="18:00"),
    )
    _approve(session, countdown)
    _create(
        session,
        [main],
        production_id=source,
        pillar=ContentPillar.on_set,
        body="Last slate of the night.",
        media=["https://cdn.example/slate.jpg"],
        anchor=AnchorIn(milestone_id=_milestone(session, source, "Wrap"), offset="+P1D"),
    )
    _create(
        session,
        [main],
        production_id=source,
        pillar=ContentPillar.announcement,
        body="Doors open.",
        anchor=AnchorIn(milestone_id=premiere, offset="-PT2H"),
    )
    factories.post(session, source, [odd], at=datetime(2027, 2, 1, 12, 30, tzinfo=UTC), body=TRICKY)
    formula = factories.post(
        session, source, [main, odd], at=datetime(2027, 2, 2, 9, tzinfo=UTC), body=FORMULA
    )
    edit_post(  # drops @odd: its delivery is cancelled, and the export still lists it
        session=session,
        post_id=formula.id or 0,
        actor=factories.ACTOR,
        data=PostEdit(version=formula.version, account_ids=[main.id or 0]),
    )
    session.commit()
    return Setup(source=source, target=target, main=main, odd=odd)


def _shape(session: Session, post: Post) -> dict[str, Any]:
    """What a post is made of, by names that mean the same in any production."""
    milestone = session.get(Milestone, post.anchor_milestone_id or 0)
    query = select(Delivery, Account).join(Account).where(Delivery.post_id == post.id)
    live = [
        (a.platform, a.handle, d.due_at.isoformat())
        for d, a in session.exec(query.order_by(col(Delivery.id)))
        if d.status != DeliveryStatus.cancelled
    ]
    return {
        "pillar": post.pillar,
        "template": post.template,
        "body": post.body,
        "variables": post.variables,
        "tags": post.tags,
        "media": post.media,
        "milestone": milestone.name if milestone else None,
        "offset": post.anchor_offset,
        "local_time": str(post.anchor_local_time),
        "at": post.anchor_at.isoformat() if post.anchor_at else None,
        "targets": live,
    }


def _shapes(session: Session, production_id: int) -> list[dict[str, Any]]:
    session.expire_all()
    posts = session.exec(select(Post).where(Post.production_id == production_id))
    return sorted((_shape(session, p) for p in posts), key=lambda s: json.dumps(s, default=str))


def _counts(engine: Engine) -> tuple[int, int, int]:
    with Session(engine) as s:
        return (
            s.exec(select(func.count()).select_from(Post)).one(),
            s.exec(select(func.count()).select_from(Delivery)).one(),
            s.exec(select(func.count()).select_from(AuditEvent)).one(),
        )


def _upload(client: httpx.Client, production_id: int, text: str | bytes) -> httpx.Response:
    return client.post(
        f"/productions/{production_id}/schedule.csv",
        content=text.encode() if isinstance(text, str) else text,
        headers={"Content-Type": "text/csv"},
    )


def _problems(answer: httpx.Response) -> list[tuple[str, str]]:
    assert answer.status_code == 422, answer.text
    return [(d["loc"][1], d["loc"][2]) for d in answer.json()["errors"]]


def _without_ids(text: str) -> list[dict[str, str]]:
    rows = csv.DictReader(io.StringIO(text, newline=""))
    ignored = ("post_id", "delivery_id", "status")
    return [
        {k: v for k, v in r.items() if k not in ignored}
        for r in rows
        if r["status"] != DeliveryStatus.cancelled
    ]


def test_an_export_imports_into_another_production_as_the_same_posts(
    client: httpx.Client, setup: Setup, session: Session
) -> None:
    exported = client.get(f"/productions/{setup.source}/schedule.csv").text

    answer = _upload(client, setup.target, exported)

    assert answer.status_code == 201, answer.text
    created = answer.json()["created"]
    assert len(created) == 5
    assert _shapes(session, setup.target) == _shapes(session, setup.source)
    posts = session.exec(select(Post).where(col(Post.id).in_(created))).all()
    importer = client.get("/me").json()["id"]  # who wrote them: they may not approve them
    assert {(p.status, p.created_by, p.production_id, p.written_by_id) for p in posts} == {
        ("draft", CLIENT_ACTOR, setup.target, importer)
    }
    deliveries = session.exec(select(Delivery).where(col(Delivery.post_id).in_(created))).all()
    assert {d.status for d in deliveries} == {DeliveryStatus.pending.value}
    audited = session.exec(select(AuditEvent).where(AuditEvent.action == "post.created")).all()
    assert {e.entity_id for e in audited if e.actor == CLIENT_ACTOR} == set(created)
    session.rollback()  # on SQLite even a read holds the write lock until it ends
    again = client.get(f"/productions/{setup.target}/schedule.csv").text
    assert _without_ids(again) == _without_ids(exported)


def test_a_hand_written_sheet_with_the_minimal_columns_imports(
    client: httpx.Client, setup: Setup, session: Session
) -> None:
    sheet = (
        "\ufeffPillar, body ,milestone,offset,local_time,at,platform,handle,"
        "template,variables,tags\r\n"
        "on_set,Night one.,Premiere,-P7D,20:00,,outbox,@nightshiftfilm,,,\r\n"
        'countdown,,Premiere,,,,outbox,@nightshiftfilm,premiere_countdown,"{""days_to_go"": 1, '
        '""event"": ""the premiere""}",countdown ; premiere\r\n'
        "making_of,Grading.,,,,2027-02-20T10:00:00+01:00,outbox,@nightshiftfilm,,,\r\n"
    )

    answer = _upload(client, setup.target, sheet)

    assert answer.status_code == 201, answer.text
    posts = [session.get(Post, i) for i in answer.json()["created"]]
    assert [p.pillar for p in posts if p] == ["on_set", "countdown", "making_of"]
    first, second, third = (_shape(session, p) for p in posts if p)
    assert first["targets"] == [("outbox", "@nightshiftfilm", "2027-02-22T20:00:00+00:00")]
    assert (second["template"], second["tags"]) == ("premiere_countdown", ["countdown", "premiere"])
    assert second["variables"] == {"days_to_go": 1, "event": "the premiere"}
    assert second["targets"][0][2] == PREMIERE.isoformat()
    assert third["at"] == "2027-02-20T09:00:00+00:00"


def test_every_bad_row_is_reported_and_nothing_is_written(
    client: httpx.Client, setup: Setup, engine: Engine
) -> None:
    sheet = (
        f"{MINIMAL},variables\n"
        "on_set,Fine on its own.,Premiere,-P1D,,,outbox,@nightshiftfilm,\n"
        'on_set,Take {{ take }}.,Premiere,,,,outbox,@nightshiftfilm,"{""take"": 3"\n'
        "on_set,Hello.,Premire,,,,outbox,@nightshiftfilm,\n"
        "on_set,Hello.,,,,2027-02-01T10:00:00Z,outbox,@nobody,\n"
    )
    before = _counts(engine)

    answer = _upload(client, setup.target, sheet)

    assert _problems(answer) == [
        ("line 3", "variables"),
        ("line 4", "milestone"),
        ("line 5", "handle"),
    ]
    messages = [d["msg"] for d in answer.json()["errors"]]
    assert "not valid JSON" in messages[0]
    assert "'Premire'" in messages[1]
    assert "'Premiere'" in messages[1]
    assert "@nobody" in messages[2]
    assert _counts(engine) == before


def test_a_template_error_is_reported_on_its_line_and_rolled_back(
    client: httpx.Client, setup: Setup, engine: Engine
) -> None:
    sheet = (
        "pillar,template,variables,milestone,platform,handle\n"
        'countdown,premiere_countdown,"{""days_to_go"": 3, ""event"": ""x""}",Premiere,'
        "outbox,'@nightshiftfilm\n"
        'countdown,premiere_countdown,"{""days_to_go"": 3}",Premiere,outbox,\'@nightshiftfilm\n'
    )
    before = _counts(engine)

    answer = _upload(client, setup.target, sheet)

    assert _problems(answer) == [("line 3", "variables")]
    assert "event" in answer.json()["errors"][0]["msg"]
    assert _counts(engine) == before


def test_a_guarded_cell_is_read_back_without_its_quote(
    client: httpx.Client, setup: Setup, session: Session
) -> None:
    sheet = (
        f"{MINIMAL},tags\n"
        "on_set,'=cmd,,,,2027-02-01T10:00:00Z,outbox,'@nightshiftfilm,'-5 degrees\n"
        "on_set,''quoted,,,,2027-02-01T11:00:00Z,outbox,'@nightshiftfilm,\n"
    )

    answer = _upload(client, setup.target, sheet)

    assert answer.status_code == 201, answer.text
    posts = [session.get(Post, i) for i in answer.json()["created"]]
    assert [(p.body, p.tags) for p in posts if p] == [("=cmd", ["-5 degrees"]), ("'quoted", [])]


def test_rows_of_one_post_must_agree_and_name_each_account_once(
    client: httpx.Client, setup: Setup
) -> None:
    sheet = (
        f"post_id,{MINIMAL}\n"
        "7,on_set,Night one.,Premiere,,,,outbox,@nightshiftfilm\n"
        f'7,on_set,Night two.,Premiere,,,,outbox,"{ODD_HANDLE}"\n'
        "7,on_set,Night one.,Premiere,,,,outbox,@nightshiftfilm\n"
    )

    assert _problems(_upload(client, setup.target, sheet)) == [
        ("line 3", "body"),
        ("line 4", "handle"),
    ]


def test_header_problems_are_on_line_1(client: httpx.Client, setup: Setup) -> None:
    unknown = f"{MINIMAL},colour\non_set,Hi.,Premiere,,,,outbox,@nightshiftfilm,red\n"
    missing = "pillar,body,platform,handle\non_set,Hi.,outbox,@nightshiftfilm\n"

    assert _problems(_upload(client, setup.target, unknown)) == [("line 1", "colour")]
    assert _problems(_upload(client, setup.target, missing)) == [("line 1", "milestone")]


@pytest.mark.parametrize(
    ("cells", "column"),
    [
        ("casting_call,Hi.,Premiere,,,", "pillar"),
        ("on_set,Hi.,Premiere,P1M,,", "offset"),
        ("on_set,Hi.,Premiere,,6pm,", "local_time"),
        ("on_set,Hi.,,,,2027-02-01T10:00:00", "at"),
        ("on_set,Hi.,Premiere,,,2027-02-01T10:00:00Z", "milestone"),
        ("on_set,,Premiere,,,", "body"),
        ("on_set,{{ broken,Premiere,,,", "body"),
        ("on_set,Hi.,Premiere,+PT2H,18:00,", "local_time"),
    ],
)
def test_a_bad_cell_is_named(client: httpx.Client, setup: Setup, cells: str, column: str) -> None:
    sheet = f"{MINIMAL}\n{cells},outbox,@nightshiftfilm\n"

    assert _problems(_upload(client, setup.target, sheet)) == [("line 2", column)]


def test_line_numbers_count_the_lines_of_the_file(client: httpx.Client, setup: Setup) -> None:
    sheet = (
        f"{MINIMAL}\n"
        'on_set,"Two\nlines",Premiere,,,,outbox,@nightshiftfilm\n'
        "\n"
        "on_set,Hi.,Premiere,,,,outbox,@nobody\n"
    )

    assert _problems(_upload(client, setup.target, sheet)) == [("line 5", "handle")]


def test_an_oversized_or_undecodable_file_is_refused_as_a_whole(
    client: httpx.Client, setup: Setup, engine: Engine
) -> None:
    row = "on_set,Hi.,Premiere,,,,outbox,@nightshiftfilm\n"
    big = MINIMAL + "\n" + row * (MAX_BYTES // len(row) + 1)
    before = _counts(engine)

    for body in (big.encode(), b"pillar,body\non_set,caf\xe9\n"):
        answer = _upload(client, setup.target, body)
        assert answer.status_code == 422, answer.text
        assert [d["loc"] for d in answer.json()["errors"]] == [["body", "file"]]
    assert _counts(engine) == before


def test_too_many_rows_is_refused(session: Session, setup: Setup) -> None:
    sheet = f"{MINIMAL}\n" + "on_set,Hi.,Premiere,,,,outbox,x\n" * (MAX_ROWS + 1)

    with pytest.raises(Invalid) as caught:
        import_schedule(session=session, production_id=setup.target, text=sheet, actor="maya")
    assert caught.value.field == "file"
    assert not isinstance(caught.value, CsvInvalid)


def test_an_unknown_production_is_404(client: httpx.Client, engine: Engine) -> None:
    answer = _upload(client, 4242, f"{MINIMAL}\n")

    assert answer.status_code == 404
    assert "production 4242" in answer.json()["detail"]
