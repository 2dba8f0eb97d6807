"""When a portal is due: its profile's cron `schedule` against the start of its last harvest."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from croniter import croniter

from harvester.profiles import CRON_EXPECTATION, ProfileError, cron_problem
from harvester.store import Store, utcnow


def last_due_time(schedule: str, now: datetime, source: str = "profile") -> datetime:
    """The most recent time the cron expression fired at or before `now` (UTC).

    Profiles are checked when loaded; this guards a profile built in code, with the same words.
    """
    reason = cron_problem(schedule)
    if reason is not None:
        raise ProfileError(f"{source}: key 'schedule': expected {CRON_EXPECTATION}, got {schedule!r} ({reason})")
    return croniter(schedule.strip(), now).get_prev(datetime)


def is_due(profile: dict[str, Any], store: Store, now: datetime | None = None) -> bool:
    """Due when it has a schedule and no harvest (of any outcome) started since the schedule last fired.

    A failed harvest counts as an attempt, so a broken portal is retried at its next slot, not in a loop.
    """
    schedule = profile.get("schedule")
    if not schedule:
        return False
    now = now or utcnow()
    fired = last_due_time(schedule, now, source=f"portal {profile.get('id')!r}")
    attempts = store.harvests(profile["id"])
    return not attempts or attempts[-1].started_at < fired
