"""Moving a production to another time zone over HTTP: previewed, then applied like a reflow."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from scheduler.core.models import Role
from scheduler.queue.claims import claim_due, lease_deadline
from tests import factories
from tests.conftest import CLIENT_ACTOR, person_with_token

PREMIERE = "2027-03-01T19:00:00+00:00"  # London and New York both on winter time


def _production(
    client: httpx.Client, tmp_path: Path, *, timezone: str = "Europe/London", at: str = PREMIERE
) -> dict[str, int]:
    production = client.post(
        "/productions", json={"title": "Night Shift", "kind": "theatre", "timezone": timezone}
    ).json()
    milestone = client.post(
        f"/productions/{production['id']}/milestones",
        json={"kind": "opening_night", "name": "Opening night", "at": at},
    ).json()
    account = client.post(
        "/accounts",
        json={
            "platform": "outbox",
            "handle": "@nightshiftplay",
            "settings": {"path": str(tmp_path / "out.jsonl")},
            "production_ids": [production["id"]],
        },
    ).json()
    return {"production": production["id"], "milestone": milestone["id"], "account": account["id"]}


def _post(
    client: httpx.Client,
    approver: httpx.Client | None,
    plan: dict[str, int],
    anchor: dict[str, Any],
    body: str = "Backstage before the show.",
) -> dict[str, Any]:
    """A post (approved when an ``approver`` is given); answers its one delivery."""
    created = client.post(
        "/posts",
        json={
            "production_id": plan["production"],
            "pillar": "countdown",
            "body": body,
            "anchor": anchor,
            "account_ids": [plan["account"]],
        },
    )
    assert created.status_code == 201, created.text
    post = created.json()
    if approver is not None:
        client.post(f"/posts/{post['id']}/submit", json={"version": 1})
        approved = approver.post(
            f"/posts/{post['id']}/approve", json=factories.approve_body(client, post["id"])
        )
        assert approved.status_code == 200, approved.text
    delivery: dict[str, Any] = post["deliveries"][0]
    return delivery


def _local(plan: dict[str, int], offset: str, local_time: str) -> dict[str, Any]:
    return {"milestone_id": plan["milestone"], "offset": offset, "local_time": local_time}


def _deliveries(client: httpx.Client, plan: dict[str, int]) -> dict[int, dict[str, Any]]:
    listed = client.get("/deliveries", params={"production_id": plan["production"]})
    assert listed.status_code == 200, listed.text
    return {d["id"]: d for d in listed.json()}


def _change(client: httpx.Client, plan: dict[str, int], zone: str, **more: Any) -> httpx.Response:
    return client.post(
        f"/productions/{plan['production']}/timezone", json={"timezone": zone, **more}
    )


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def test_a_transfer_to_new_york_is_previewed_then_moves_local_times_only(
    client: httpx.Client, approver: httpx.Client, tmp_path: Path
) -> None:
    plan = _production(client, tmp_path)
    anchored = _post(client, approver, plan, _local(plan, "-P14D", "18:00"))
    absolute = _post(client, approver, plan, {"at": "2027-02-20T12:00:00+00:00"})
    assert anchored["due_at"].startswith("2027-02-15T18:00")  # 18:00 GMT
    before = _deliveries(client, plan)

    preview = _change(client, plan, "America/New_York")

    assert preview.status_code == 200, preview.text
    shown = preview.json()
    assert (shown["applied"], shown["old_timezone"], shown["new_timezone"]) == (
        False,
        "Europe/London",
        "America/New_York",
    )
    by_id = {d["delivery_id"]: d for d in shown["deliveries"]}
    moving, staying = by_id[anchored["id"]], by_id[absolute["id"]]
    assert moving["change"] == "moved"
    assert _instant(moving["old_due_at"]) == datetime(2027, 2, 15, 18, 0, tzinfo=UTC)
    assert _instant(moving["new_due_at"]) == datetime(2027, 2, 15, 23, 0, tzinfo=UTC)
    assert moving["old_local"].startswith("2027-02-15T18:00:00")
    assert moving["new_local"] == "2027-02-15T18:00:00-05:00"
    assert (moving["status"], moving["past_due"], moving["back_to_review"]) == (
        "scheduled",
        False,
        False,
    )
    assert staying["change"] == "unchanged"
    assert staying["new_due_at"] == staying["old_due_at"]
    assert "absolute time" in staying["note"]
    # A preview changes nothing: the deliveries, the production, the trail.
    assert _deliveries(client, plan) == before
    assert client.get(f"/productions/{plan['production']}").json()["timezone"] == "Europe/London"
    trail = client.get("/audit", params={"production_id": plan["production"]}).json()
    assert "production.timezone_changed" not in [e["action"] for e in trail]

    applied = _change(client, plan, "America/New_York", confirm=True)

    assert applied.status_code == 200, applied.text
    assert applied.json()["applied"] is True
    assert applied.json()["deliveries"] == shown["deliveries"]  # what the preview said
    assert applied.json()["production"]["timezone"] == "America/New_York"
    after = _deliveries(client, plan)
    assert _instant(after[anchored["id"]]["due_at"]) == datetime(2027, 2, 15, 23, 0, tzinfo=UTC)
    assert after[anchored["id"]]["status"] == "scheduled"  # the same words: still approved
    assert after[absolute["id"]] == before[absolute["id"]]
    (event,) = [
        e
        for e in client.get("/audit", params={"production_id": plan["production"]}).json()
        if e["action"] == "production.timezone_changed"
    ]
    assert (event["actor"], event["entity"], event["entity_id"]) == (
        CLIENT_ACTOR,
        "production",
        plan["production"],
    )
    assert event["before"] == {"timezone": "Europe/London"}
    assert event["after"]["timezone"] == "America/New_York"
    assert event["after"]["moved"] == 1
    moved = event["after"]["deliveries"][str(anchored["id"])]
    assert (_instant(moved["from"]).hour, _instant(moved["to"]).hour) == (18, 23)
    assert str(absolute["id"]) not in event["after"]["deliveries"]


def test_across_a_daylight_saving_date_only_new_york_observes_the_new_offset_counts(
    client: httpx.Client, tmp_path: Path
) -> None:
    """New York is on summer time from 14 March 2027, London only from 28 March: on 20 March
    18:00 London is 18:00 UTC and 18:00 New York is 22:00 UTC (four hours, not five)."""
    plan = _production(client, tmp_path, at="2027-03-21T19:00:00+00:00")
    evening = _post(client, None, plan, _local(plan, "-P1D", "18:00"))
    winter = _post(client, None, plan, _local(plan, "-P14D", "18:00"))  # 7 March: both winter
    exact = _post(client, None, plan, {"milestone_id": plan["milestone"], "offset": "-PT2H"})

    applied = _change(client, plan, "America/New_York", confirm=True)

    assert applied.status_code == 200, applied.text
    after = _deliveries(client, plan)
    assert _instant(after[evening["id"]]["due_at"]) == datetime(2027, 3, 20, 22, 0, tzinfo=UTC)
    assert _instant(after[winter["id"]]["due_at"]) == datetime(2027, 3, 7, 23, 0, tzinfo=UTC)
    assert after[exact["id"]]["due_at"] == exact["due_at"]  # two hours before: an instant
    by_id = {d["delivery_id"]: d for d in applied.json()["deliveries"]}
    assert by_id[evening["id"]]["new_local"] == "2027-03-20T18:00:00-04:00"
    assert by_id[exact["id"]]["change"] == "unchanged"


@pytest.mark.parametrize(("policy", "status"), [("hold", "held"), ("skip", "cancelled")])
def test_a_post_the_change_puts_in_the_past_follows_the_past_due_policy(
    client: httpx.Client, approver: httpx.Client, tmp_path: Path, policy: str, status: str
) -> None:
    """Pago Pago is eleven hours behind UTC, Noumea eleven ahead (neither changes its clocks):
    "now, local" is eleven hours ahead in one and eleven hours ago in the other."""
    now = datetime.now(UTC)
    noon = now.replace(hour=12, minute=0, second=0, microsecond=0)  # the same date in both
    plan = _production(client, tmp_path, timezone="Pacific/Pago_Pago", at=noon.isoformat())
    client.patch(f"/productions/{plan['production']}", json={"past_due_policy": policy})
    local = (now + timedelta(minutes=2)).strftime("%H:%M")
    soon = _post(client, approver, plan, _local(plan, "P0D", local))
    assert _instant(soon["due_at"]) > now + timedelta(hours=10)

    preview = _change(client, plan, "Pacific/Noumea")

    (shown,) = preview.json()["deliveries"]
    assert preview.json()["past_due_policy"] == policy
    assert (shown["past_due"], shown["status"]) == (True, status)
    assert _instant(shown["new_due_at"]) < now
    assert _deliveries(client, plan)[soon["id"]]["status"] == "scheduled"  # only a preview
    applied = _change(client, plan, "Pacific/Noumea", confirm=True)
    assert applied.status_code == 200, applied.text
    delivery = _deliveries(client, plan)[soon["id"]]
    assert delivery["status"] == status
    if status == "held":
        assert delivery["held_for"] == "past_due"


def test_an_approved_post_that_prints_local_times_goes_back_to_review(
    client: httpx.Client, approver: httpx.Client, tmp_path: Path
) -> None:
    plan = _production(client, tmp_path)
    printed = "Curtain up at {{ milestone.time }} ({{ production.timezone }}). Doors open soon."
    prints = _post(client, approver, plan, _local(plan, "-P1D", "18:00"), body=printed)
    plain = _post(client, approver, plan, _local(plan, "-P2D", "18:00"))
    noon = "Matinee at {{ due.time }}, {{ production.timezone }} time."
    dated = _post(client, approver, plan, {"at": "2027-02-20T12:00:00+00:00"}, body=noon)

    preview = _change(client, plan, "America/New_York")
    by_id = {d["delivery_id"]: d for d in preview.json()["deliveries"]}
    assert [by_id[d["id"]]["back_to_review"] for d in (prints, plain, dated)] == [
        True,
        False,
        True,
    ]
    assert by_id[dated["id"]]["change"] == "unchanged"  # its time stays, its words do not
    _change(client, plan, "America/New_York", confirm=True)

    after = _deliveries(client, plan)
    assert (after[prints["id"]]["status"], after[plain["id"]]["status"]) == ("pending", "scheduled")
    assert after[dated["id"]]["status"] == "pending"
    assert after[dated["id"]]["due_at"] == dated["due_at"]
    post = client.get(f"/posts/{after[prints['id']]['post_id']}").json()
    assert (post["status"], post["version"]) == ("in_review", 2)
    assert "time zone" in post["review_note"]
    text = client.get(f"/posts/{post['id']}/preview").json()[0]["text"]
    assert "14:00 (America/New_York)" in text  # what the reviewers now see


def test_an_unknown_zone_is_refused_naming_the_field_and_changes_nothing(
    client: httpx.Client, tmp_path: Path
) -> None:
    plan = _production(client, tmp_path)
    _post(client, None, plan, _local(plan, "-P14D", "18:00"))
    before = _deliveries(client, plan)

    for zone in ("Mars/Olympus_Mons", "Europe/London"):  # unknown; the zone it is already in
        refused = _change(client, plan, zone, confirm=True)
        assert refused.status_code == 422, refused.text
        assert refused.json()["errors"][0]["loc"][-1] == "timezone"

    assert _deliveries(client, plan) == before
    assert client.get(f"/productions/{plan['production']}").json()["timezone"] == "Europe/London"


def test_only_a_production_admin_changes_the_zone(
    client: httpx.Client, engine: Engine, tmp_path: Path
) -> None:
    plan = _production(client, tmp_path)
    with Session(engine) as db:
        marketer = person_with_token(
            db, name="Mo", email="mo@nightshift.test", roles={plan["production"]: Role.marketer}
        )
        producer = person_with_token(
            db, name="Pat", email="pat@nightshift.test", roles={plan["production"]: Role.producer}
        )
    for secret in (marketer, producer):
        as_them = {"Authorization": f"Bearer {secret}"}
        for confirm in (False, True):
            refused = client.post(
                f"/productions/{plan['production']}/timezone",
                json={"timezone": "America/New_York", "confirm": confirm},
                headers=as_them,
            )
            assert refused.status_code == 403, refused.text
    assert client.get(f"/productions/{plan['production']}").json()["timezone"] == "Europe/London"


def test_the_preview_names_embargoes_blackouts_and_what_is_in_flight(
    client: httpx.Client, approver: httpx.Client, engine: Engine, tmp_path: Path
) -> None:
    """London to Berlin: "18:00 local" comes an hour earlier, before an embargo lifts or into
    a blackout; a delivery a worker has claimed goes out as claimed."""
    plan = _production(client, tmp_path)
    production = plan["production"]
    client.patch(f"/productions/{production}", json={"approval_max_age_days": 3650})
    casting = client.post(
        f"/productions/{production}/milestones",
        json={"kind": "casting_announced", "name": "Casting", "at": "2027-02-15T17:30:00Z"},
    ).json()
    client.post(
        f"/productions/{production}/embargoes",
        json={"tag": "casting", "milestone_id": casting["id"]},
    )
    blackout = {"starts_at": "2027-02-14T15:50:00Z", "ends_at": "2027-02-14T16:30:00Z"}
    client.post("/blackouts", json={"production_id": production, "reason": "Gala", **blackout})
    created = client.post(
        "/posts",
        json={
            "production_id": production,
            "pillar": "casting",
            "body": "Meet the company.",
            "tags": ["casting"],
            "anchor": _local(plan, "-P14D", "18:00"),  # 18:00 UTC; 17:00 UTC from Berlin
            "account_ids": [plan["account"]],
        },
    ).json()
    embargoed = created["deliveries"][0]
    blacked_out = _post(client, None, plan, _local(plan, "-P15D", "17:00"))
    claimed = _post(client, approver, plan, _local(plan, "-P20D", "18:00"))
    due = _instant(claimed["due_at"])
    lease = lease_deadline(datetime.now(UTC), 300)
    assert claim_due(engine, now=due, owner="w", limit=5, lease_until=lease) == [claimed["id"]]

    preview = _change(client, plan, "Europe/Berlin")

    by_id = {d["delivery_id"]: d for d in preview.json()["deliveries"]}
    assert _instant(by_id[embargoed["id"]]["new_due_at"]) == datetime(2027, 2, 15, 17, tzinfo=UTC)
    assert "'casting' posts wait for Casting" in by_id[embargoed["id"]]["embargo"]
    moved_out = by_id[blacked_out["id"]]
    assert _instant(moved_out["new_due_at"]) == datetime(2027, 2, 14, 16, 30, tzinfo=UTC)
    assert "blackout: Gala" in moved_out["schedule_note"]
    in_flight = by_id[claimed["id"]]
    assert (in_flight["change"], in_flight["status"]) == ("in_flight", "claimed")
    assert in_flight["new_due_at"] == in_flight["old_due_at"]

    _change(client, plan, "Europe/Berlin", confirm=True)
    after = _deliveries(client, plan)
    assert (after[claimed["id"]]["status"], _instant(after[claimed["id"]]["due_at"])) == (
        "claimed",
        due,
    )
    assert "blackout: Gala" in after[blacked_out["id"]]["schedule_note"]


def test_without_keeping_approvals_only_what_moves_goes_back_to_review(
    client: httpx.Client, approver: httpx.Client, tmp_path: Path
) -> None:
    """``keep_approvals_on_reflow`` off: a delivery whose time moves needs a new approval, as
    after a milestone move; one whose instant stays (an offset without a time of day) keeps its
    approval, since nothing it was approved for changed."""
    plan = _production(client, tmp_path)
    client.patch(f"/productions/{plan['production']}", json={"keep_approvals_on_reflow": False})
    local = _post(client, approver, plan, _local(plan, "-P2D", "18:00"))
    instant = _post(client, approver, plan, {"milestone_id": plan["milestone"], "offset": "-P3D"})

    applied = _change(client, plan, "America/Los_Angeles", confirm=True)

    by_id = {d["delivery_id"]: d for d in applied.json()["deliveries"]}
    assert (by_id[local["id"]]["change"], by_id[local["id"]]["back_to_review"]) == ("moved", True)
    assert (by_id[instant["id"]]["change"], by_id[instant["id"]]["back_to_review"]) == (
        "unchanged",
        False,
    )
    after = _deliveries(client, plan)
    assert (after[local["id"]]["status"], after[instant["id"]]["status"]) == (
        "pending",
        "scheduled",
    )
    assert after[instant["id"]]["due_at"] == instant["due_at"]
