"""The demo's production, "Night Shift": its milestones, accounts and BTS campaign.

The posts follow the arc a real BTS campaign takes: casting reveals, days on set, the crew
credited by name, the craft of transformation, post-production, and a countdown to premiere.
"""

from __future__ import annotations

import json
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from sqlmodel import Session

from scheduler.models import ContentPillar, MilestoneKind, ProductionKind
from scheduler.posts import approve_post, create_post, deliveries_of, submit_post
from scheduler.productions import add_milestone, create_account, create_production
from scheduler.schemas import (
    AccountCreate,
    AnchorIn,
    MilestoneCreate,
    PostCreate,
    ProductionCreate,
)
from workers.adapters.webhook import verify_signature

MARKETER = "maya.okafor (marketing)"
PRODUCER = "dev.raman (producer)"

MILESTONES = [
    # (kind, name, days after day zero, local hour)
    (MilestoneKind.casting_announced, "Casting announced", 2, 12),
    (MilestoneKind.principal_photography, "Principal photography", 9, 7),
    (MilestoneKind.wrap, "Wrap", 38, 19),
    (MilestoneKind.trailer, "First trailer", 52, 17),
    (MilestoneKind.premiere, "Premiere", 70, 19),
]

CREW = [
    {"name": "Ana Ruiz", "role": "Production sound mixer", "handle": "@anaruiz_sound"},
    {"name": "Tomasz Wolski", "role": "Gaffer", "handle": "@tomwolski"},
    {"name": "Priya Nair", "role": "Script supervisor"},
]


@dataclass(frozen=True)
class PostPlan:
    """One post of the campaign: milestone, offset, local time, template and variables."""

    milestone: str
    offset: str
    at: str | None
    pillar: ContentPillar
    template: str
    variables: dict[str, Any]


CAMPAIGN = [
    PostPlan(
        "Casting announced",
        "PT0S",
        None,
        ContentPillar.casting,
        "casting_reveal",
        {
            "actor_name": "Juno Adeyemi",
            "role": "Detective Inspector Hale",
            "quote": "Hale is the night shift's conscience.",
        },
    ),
    PostPlan(
        "Casting announced",
        "+P1D",
        "18:00",
        ContentPillar.casting,
        "casting_reveal",
        {
            "actor_name": "Callum Reyes",
            "role": "Sam, the night porter",
            "quote": "I read the script in one sitting.",
        },
    ),
    PostPlan(
        "Principal photography",
        "-P1D",
        "17:00",
        ContentPillar.countdown,
        "premiere_countdown",
        {"days_to_go": 1, "event": "our first day of shooting"},
    ),
    PostPlan(
        "Principal photography",
        "PT2H",
        None,
        ContentPillar.on_set,
        "on_set_day_in_the_life",
        {
            "person": "Juno Adeyemi",
            "call_time": "05:30",
            "moment": "the first take on the station set",
        },
    ),
    PostPlan(
        "Principal photography",
        "+P3D",
        "19:30",
        ContentPillar.crew_spotlight,
        "crew_spotlight",
        {"department": "sound and lighting", "crew": CREW},
    ),
    PostPlan(
        "Principal photography",
        "+P6D",
        "12:00",
        ContentPillar.transformation,
        "transformation",
        {"craft": "makeup", "person": "Callum Reyes", "hours": 3, "artist": "Lena Brandt"},
    ),
    PostPlan(
        "Principal photography",
        "+P10D",
        "18:00",
        ContentPillar.day_in_the_life,
        "on_set_day_in_the_life",
        {
            "person": "our second unit",
            "call_time": "04:45",
            "moment": "a dawn chase across Waterloo Bridge",
        },
    ),
    PostPlan(
        "Principal photography",
        "+P14D",
        "18:00",
        ContentPillar.transformation,
        "transformation",
        {"craft": "costume", "person": "Juno Adeyemi", "hours": 1, "artist": "Odile Marchetti"},
    ),
    PostPlan(
        "Principal photography",
        "+P18D",
        "20:00",
        ContentPillar.crew_spotlight,
        "crew_spotlight",
        {
            "department": "camera",
            "crew": [
                {"name": "Sione Tuilagi", "role": "Director of photography", "handle": "@sione_dp"},
                {"name": "Mira Cohen", "role": "1st AC"},
            ],
        },
    ),
    PostPlan(
        "Principal photography",
        "+P24D",
        "13:00",
        ContentPillar.on_set,
        "on_set_day_in_the_life",
        {
            "person": "the art department",
            "call_time": "06:00",
            "moment": "dressing the 1970s precinct",
        },
    ),
    PostPlan(
        "Wrap",
        "-P2D",
        "18:00",
        ContentPillar.countdown,
        "premiere_countdown",
        {"days_to_go": 2, "event": "wrap"},
    ),
    PostPlan(
        "Wrap",
        "PT1H",
        None,
        ContentPillar.announcement,
        "on_set_day_in_the_life",
        {
            "person": "the whole company",
            "call_time": "16:00",
            "moment": "the last slate of the shoot",
        },
    ),
    PostPlan(
        "Wrap",
        "+P5D",
        "11:00",
        ContentPillar.post_production,
        "post_production",
        {"stage": "editing", "person": "Hana Sato", "detail": "the first assembly"},
    ),
    PostPlan(
        "Wrap",
        "+P9D",
        "17:00",
        ContentPillar.post_production,
        "post_production",
        {"stage": "sound design", "person": "Ana Ruiz", "detail": "rain recorded on location"},
    ),
    PostPlan(
        "Wrap",
        "+P12D",
        "16:00",
        ContentPillar.transformation,
        "transformation",
        {"craft": "VFX", "person": "the skyline", "hours": 400, "artist": "Northlight VFX"},
    ),
    PostPlan(
        "First trailer",
        "-P1D",
        "18:00",
        ContentPillar.countdown,
        "premiere_countdown",
        {"days_to_go": 1, "event": "the first trailer"},
    ),
    PostPlan(
        "First trailer",
        "PT0S",
        None,
        ContentPillar.post_production,
        "post_production",
        {
            "stage": "colour grading",
            "person": "Felix Grant",
            "detail": "the sodium-orange night look",
        },
    ),
    PostPlan(
        "Premiere",
        "-P14D",
        "18:00",
        ContentPillar.countdown,
        "premiere_countdown",
        {"days_to_go": 14, "event": "the premiere"},
    ),
    PostPlan(
        "Premiere",
        "-P7D",
        "18:00",
        ContentPillar.crew_spotlight,
        "crew_spotlight",
        {
            "department": "post-production",
            "crew": [
                {"name": "Hana Sato", "role": "Editor", "handle": "@hanasato_cuts"},
                {"name": "Felix Grant", "role": "Colourist"},
            ],
        },
    ),
    PostPlan(
        "Premiere",
        "-P1D",
        "18:00",
        ContentPillar.countdown,
        "premiere_countdown",
        {"days_to_go": 1, "event": "the premiere"},
    ),
    PostPlan(
        "Premiere",
        "-PT2H",
        None,
        ContentPillar.making_of,
        "on_set_day_in_the_life",
        {"person": "the cast", "call_time": "15:00", "moment": "getting ready for the red carpet"},
    ),
]


@dataclass(frozen=True)
class DemoPlan:
    """What the seed created, for the demo's headline and stopping rule."""

    title: str
    milestones: list[str]
    posts: int
    total: int
    accounts: int
    last_due: datetime


def seed_campaign(
    *, session: Session, directory: Path, day_zero: datetime, webhook_url: str, webhook_secret: str
) -> DemoPlan:
    """Create the production, its milestones, three accounts and the approved campaign."""
    production = create_production(
        session=session,
        actor=MARKETER,
        data=ProductionCreate(
            title="Night Shift", kind=ProductionKind.film, timezone="Europe/London"
        ),
    )
    production_id = production.id or 0
    milestones = {}
    for kind, name, days, hour in MILESTONES:
        at = day_zero + timedelta(days=days, hours=hour)
        milestones[name] = add_milestone(
            session=session,
            production_id=production_id,
            actor=MARKETER,
            data=MilestoneCreate(kind=kind, name=name, at=at),
        )
    accounts = [
        create_account(
            session=session,
            actor=MARKETER,
            data=AccountCreate(
                platform="outbox",
                handle="@nightshiftfilm",
                settings={"path": str(directory / "outbox-nightshiftfilm.jsonl")},
            ),
        ),
        create_account(
            session=session,
            actor=MARKETER,
            data=AccountCreate(
                platform="outbox",
                handle="@nightshift.crew",
                settings={"path": str(directory / "outbox-nightshift-crew.jsonl")},
            ),
        ),
        create_account(
            session=session,
            actor=MARKETER,
            data=AccountCreate(
                platform="webhook",
                handle="#nightshift-marketing",
                settings={"url": webhook_url, "secret": webhook_secret},
            ),
        ),
    ]
    total = 0
    last_due = day_zero
    for number, plan in enumerate(CAMPAIGN):
        # The main account gets everything; crew posts also go to the crew account, and
        # every other post is mirrored to the marketing channel.
        targets = [accounts[0]]
        if plan.pillar in (
            ContentPillar.crew_spotlight,
            ContentPillar.on_set,
            ContentPillar.transformation,
            ContentPillar.day_in_the_life,
        ):
            targets.append(accounts[1])
        if number % 2 == 0:
            targets.append(accounts[2])
        post = create_post(
            session=session,
            actor=MARKETER,
            data=PostCreate(
                production_id=production_id,
                pillar=plan.pillar,
                template=plan.template,
                variables=plan.variables,
                tags=[plan.pillar.value],
                anchor=AnchorIn(
                    milestone_id=milestones[plan.milestone].id,
                    offset=plan.offset,
                    local_time=time.fromisoformat(plan.at) if plan.at else None,
                ),
                account_ids=[a.id or 0 for a in targets],
            ),
        )
        submit_post(session=session, post_id=post.id or 0, version=post.version, actor=MARKETER)
        approve_post(
            session=session,
            post_id=post.id or 0,
            version=post.version,
            actor=PRODUCER,
            note="Checked credits and spoilers.",
        )
        total += len(targets)
        for delivery in deliveries_of(session=session, post_id=post.id or 0):
            last_due = max(last_due, delivery.due_at)
    return DemoPlan(
        title=production.title,
        milestones=list(milestones),
        posts=len(CAMPAIGN),
        total=total,
        accounts=len(accounts),
        last_due=last_due,
    )


class DemoReceiver:
    """A local webhook endpoint (a team channel) that checks each request's signature."""

    def __init__(self) -> None:
        self.secret = secrets.token_urlsafe(24)
        self.count = 0
        self.bad_signatures = 0
        self.received: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/hooks/callsheet"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                good = verify_signature(
                    receiver.secret,
                    self.headers.get("X-Callsheet-Timestamp", ""),
                    body,
                    self.headers.get("X-Callsheet-Signature", ""),
                )
                with receiver._lock:
                    receiver.count += 1
                    if not good:
                        receiver.bad_signatures += 1
                    else:
                        receiver.received.append(json.loads(body))
                    number = len(receiver.received)
                answer = json.dumps({"id": f"msg-{number}"}).encode() if good else b"{}"
                self.send_response(200 if good else 401)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet: the demo prints its own report."""

        return Handler
