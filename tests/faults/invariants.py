"""The one judgement every fault scenario ends with: is every post where Callsheet says it is?

Counted on the platforms' side, by text (each post in a scenario has its own words): the
sandbox's records, which keep every create that reached them (Bluesky, Discord), and the signed
webhook receiver, which keeps every request. Neither deduplicates on Callsheet's behalf, so a
second send shows up as a second record.

The rules, per delivery:

- ``published``: exactly one post on the platform. None is a post lost behind a lie;
- ``failed``: a reason, and nothing on the platform (else "failed" is a lie);
- ``unknown``: only where the platform can be neither given a key nor asked (Discord, a
  webhook), with its reason; on a platform that can be asked, the lookup must settle it;
- a delivery the scenario withheld (paused, moved to later): still ``scheduled``, nothing sent;
- anything else (claimed, publishing, retrying...) after the scenario settled: lost;
- more than one post for a delivery: a duplicate, acceptable nowhere.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Mapping
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Seen:
    """One delivery as the database tells it, with the words it carries."""

    id: int
    platform: str
    status: str
    last_error: str | None
    needs_lookup: bool
    text: str


@dataclass(frozen=True)
class Figures:
    """What one scenario run amounted to, for the table ``make chaos`` prints."""

    scenario: str
    database: str
    deliveries: int
    kills: int
    duplicates: int
    lost: int
    unknown: int
    settle_seconds: float

    def as_json(self) -> dict[str, object]:
        return asdict(self)


#: Platforms in the scenarios with no idempotency key and no way to ask whether a post exists.
CANNOT_ASK = frozenset({"discord", "webhook", "slack"})
SETTLED = frozenset({"published", "failed", "unknown"})


def settled(seen: Seen, withheld: Collection[int] = ()) -> bool:
    """Whether this delivery has come to rest (an ``unknown`` owed a lookup has not)."""
    if seen.id in withheld:
        return seen.status == "scheduled"
    return seen.status in SETTLED and not (seen.status == "unknown" and seen.needs_lookup)


def check(
    deliveries: list[Seen],
    reached: Mapping[str, int],
    *,
    scenario: str,
    database: str,
    kills: int,
    settle_seconds: float,
    withheld: Collection[int] = (),
) -> Figures:
    """Judge every delivery against what reached the platforms; fail naming each breach."""
    breaches: list[str] = []
    duplicates = lost = unknown = 0
    for seen in deliveries:
        count = reached.get(seen.text, 0)
        said = f"{seen.status}, {count} sent, {seen.last_error!r}"
        where = f"delivery {seen.id} on {seen.platform} ({said})"
        if count > 1:
            duplicates += count - 1
            breaches.append(f"{where}: reached the platform {count} times")
        if seen.id in withheld:
            if seen.status != "scheduled" or count:
                lost += seen.status != "scheduled"
                breaches.append(f"{where}: was withheld, must be scheduled and unsent")
        elif seen.status == "published":
            if count == 0:
                lost += 1
                breaches.append(f"{where}: published, but the platform has no such post")
        elif seen.status == "failed":
            if not seen.last_error or count:
                breaches.append(f"{where}: failed needs a reason and nothing sent")
        elif seen.status == "unknown":
            unknown += 1
            if seen.platform not in CANNOT_ASK or not seen.last_error or seen.needs_lookup:
                breaches.append(f"{where}: unknown where the platform can be asked, or no reason")
        else:
            lost += 1
            breaches.append(f"{where}: never settled")
    figures = Figures(
        scenario=scenario,
        database=database,
        deliveries=len(deliveries),
        kills=kills,
        duplicates=duplicates,
        lost=lost,
        unknown=unknown,
        settle_seconds=round(settle_seconds, 1),
    )
    expected = Counter(seen.text for seen in deliveries)
    strangers = sorted(text for text in reached if text not in expected)
    if strangers:
        breaches.append(f"posts no delivery accounts for: {strangers}")
    assert not breaches, "\n".join([str(figures), *breaches])
    return figures
