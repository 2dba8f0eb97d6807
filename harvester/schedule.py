"""When a portal is due: its profile's cron `schedule` against the start of its last harvest."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from croniter import croniter

from harvester.profiles import ProfileError
from harvester.store import Store, utcnow


def last_due_time(schedule: str, now: datetime) -> datetime:
    """The most recent time the cron expression fired at or before `now` (UTC)."""
    if not croniter.is_valid(schedule):
        raise ProfileError(f"key 'schedule': expected a cron expression, got {schedule!r}")
    return croniter(schedule, now).get_prev(datetime)


def is_due(profile: dict[str, Any], store: Store, now: datetime | None = None) -> bool:
    """Due when it has a schedule and no harvest (of any outcome) started since the schedule last fired.

    A failed harvest counts as an attempt, so a broken portal is retried at its next slot, not in a loop.
    """
    schedule = profile.get("schedule")
    if not schedule:
        return False
    now = now or utcnow()
    fired = last_due_time(schedule, now)
    attempts = store.harvests(profile["id"])
    return not attempts or attempts[-1].started_at < fired
