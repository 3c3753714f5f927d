"""Anchors to due times, including daylight-saving gaps and folds."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from scheduler.planning.timeline import Anchor, TimelineError, due_at, local_to_utc, parse_offset

LONDON = ZoneInfo("Europe/London")
PREMIERE = datetime(2027, 4, 10, 18, 0, tzinfo=UTC)  # 19:00 BST


@pytest.mark.parametrize(
    ("text", "sign", "days", "exact"),
    [
        ("-P14D", -1, 14, timedelta(0)),
        ("+PT2H", 1, 0, timedelta(hours=2)),
        ("P1W", 1, 7, timedelta(0)),
        ("-P1DT2H30M", -1, 1, timedelta(hours=2, minutes=30)),
        ("pt0s", 1, 0, timedelta(0)),
    ],
)
def test_offsets_parse(text: str, sign: int, days: int, exact: timedelta) -> None:
    offset = parse_offset(text)
    assert (offset.sign, offset.days, offset.exact) == (sign, days, exact)


@pytest.mark.parametrize("text", ["14 days", "P", "-PT", "P1M", "P1Y", "PT1.5H", "", "P-1D"])
def test_bad_offsets_name_the_field(text: str) -> None:
    with pytest.raises(TimelineError) as caught:
        parse_offset(text)
    assert caught.value.field == "anchor.offset"


def test_fourteen_days_before_premiere_at_six_local_crosses_dst() -> None:
    # The premiere is in BST; fourteen days earlier London is still on GMT.
    anchor = Anchor(milestone_id=1, offset="-P14D", local_time=time(18, 0))
    assert due_at(anchor, milestone_at=PREMIERE, tz=LONDON) == datetime(
        2027, 3, 27, 18, 0, tzinfo=UTC
    )


def test_calendar_days_keep_the_wall_clock_time_across_dst() -> None:
    anchor = Anchor(milestone_id=1, offset="-P14D")
    due = due_at(anchor, milestone_at=PREMIERE, tz=LONDON)
    assert due.astimezone(LONDON).time() == time(19, 0)


def test_a_time_in_the_spring_gap_moves_forward_to_the_gap_end() -> None:
    # 28 March 2027: London clocks go from 01:00 GMT to 02:00 BST.
    moved = local_to_utc(date(2027, 3, 28), time(1, 30), LONDON)
    assert moved == datetime(2027, 3, 28, 1, 0, tzinfo=UTC)
    assert moved.astimezone(LONDON).time() == time(2, 0)


def test_an_ambiguous_autumn_time_takes_the_first_occurrence() -> None:
    # 31 October 2027: 01:30 happens twice in London; the first is BST (00:30 UTC).
    assert local_to_utc(date(2027, 10, 31), time(1, 30), LONDON) == datetime(
        2027, 10, 31, 0, 30, tzinfo=UTC
    )


def test_an_anchor_cannot_have_both_hours_and_a_time_of_day() -> None:
    with pytest.raises(TimelineError) as caught:
        due_at(
            Anchor(milestone_id=1, offset="-PT2H", local_time=time(18, 0)),
            milestone_at=PREMIERE,
            tz=LONDON,
        )
    assert caught.value.field == "anchor.local_time"


ZONES = [
    "Europe/London",
    "America/New_York",
    "Australia/Lord_Howe",
    "America/Sao_Paulo",
    "Asia/Kolkata",
    "Pacific/Chatham",
]


@given(
    zone=st.sampled_from(ZONES),
    day=st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31)),
    clock=st.times(),
)
def test_local_times_resolve_to_the_rule_in_every_zone(zone: str, day: date, clock: time) -> None:
    tz = ZoneInfo(zone)
    instant = local_to_utc(day, clock, tz)
    wall = datetime.combine(day, clock)
    shown = instant.astimezone(tz).replace(tzinfo=None)
    if shown == wall:
        # It exists: and it is the first instant showing that wall time.
        earlier = instant - timedelta(hours=3)
        probe = earlier
        while probe < instant:
            assert probe.astimezone(tz).replace(tzinfo=None) != wall
            probe += timedelta(minutes=15)
    else:
        # It fell in a gap: the answer is the first valid instant after the gap starts.
        assert shown > wall
        assert (instant - timedelta(seconds=1)).astimezone(tz).replace(tzinfo=None) < wall


def test_a_milestone_is_answered_in_utc_when_created_and_after_a_move(
    client: httpx.Client,
) -> None:
    """Before, it was answered with the offset it was given when created and in UTC after a
    move: a client comparing the two saw a change where there was none."""
    production = client.post(
        "/productions", json={"title": "Offsets", "kind": "film", "timezone": "Europe/Madrid"}
    ).json()
    made = client.post(
        f"/productions/{production['id']}/milestones",
        json={"kind": "premiere", "name": "Premiere", "at": "2027-03-01T20:00:00+01:00"},
    )
    assert made.status_code == 201, made.text
    moved = client.patch(
        f"/productions/{production['id']}/milestones/{made.json()['id']}",
        json={"at": "2027-03-02T20:00:00+01:00"},
    )
    assert moved.status_code == 200, moved.text
    listed = client.get(f"/productions/{production['id']}/milestones").json()
    assert made.json()["at"] == "2027-03-01T19:00:00Z"
    assert moved.json()["milestone"]["at"] == "2027-03-02T19:00:00Z"
    assert listed[0]["at"] == "2027-03-02T19:00:00Z"
