"""Two kinds of time: the schedule's and the machine's.

Due times, backoff and publication times are *schedule time*: in production it is real UTC time;
the demo runs it faster so weeks of a campaign pass in seconds. Leases are *machine time*: they
measure whether a process is still alive, which no fast clock changes. Keeping both here keeps
that distinction in one place.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from scheduler.core.config import Settings, get_settings


def machine_now() -> datetime:
    """The real current instant (UTC, aware)."""
    return datetime.now(UTC)


class Clock:
    """Schedule time, optionally started at ``epoch`` and running ``rate`` times faster."""

    def __init__(
        self,
        *,
        epoch: datetime | None = None,
        origin: datetime | None = None,
        rate: float = 1.0,
    ) -> None:
        self.epoch = epoch
        self.origin = origin or machine_now()
        self.rate = rate

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> Clock:
        """The clock the settings describe (real time when no epoch is set)."""
        s = settings or get_settings()
        return cls(epoch=s.clock_epoch, origin=s.clock_origin, rate=s.clock_rate)

    def now(self) -> datetime:
        """The current schedule instant (UTC, aware)."""
        real = machine_now()
        if self.epoch is None:
            return real
        return _utc(self.epoch) + (real - _utc(self.origin)) * self.rate

    def real_seconds(self, schedule_delta: timedelta) -> float:
        """How many real seconds pass while the schedule moves by ``schedule_delta``."""
        return schedule_delta.total_seconds() / self.rate


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
