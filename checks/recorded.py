"""The instant a catalogue describes: a recorded source's `recorded_at`, else the time its harvest started."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from harvester.profiles import ProfileError

RECORDED_AT = "recorded_at"  # portal-profile key: when a recorded catalogue (a scrape, a saved export) was taken


@dataclass(frozen=True, slots=True)
class CatalogueTime:
    at: datetime  # naive UTC, like the store's harvest times
    recorded: bool  # True: the profile's recorded_at; False: the harvest's start


def catalogue_time(portal: dict[str, Any], harvested_at: datetime) -> CatalogueTime:
    """A catalogue recorded in 2021 and harvested today is judged as of 2021, or every dataset looks years late."""
    value = portal.get(RECORDED_AT) if isinstance(portal, dict) else None
    if value is None:
        return CatalogueTime(harvested_at, recorded=False)
    at = _instant(value)
    if at is None:
        raise ProfileError(f"portal {portal.get('id')!r}: key '{RECORDED_AT}': expected an ISO 8601 date or "
                           f"date-time (when the catalogue was recorded), got {str(value)[:60]!r}")
    if at > harvested_at:
        raise ProfileError(f"portal {portal.get('id')!r}: key '{RECORDED_AT}': {at.isoformat()} is after the harvest "
                           f"({harvested_at.isoformat(timespec='seconds')}): a recording cannot postdate its reading")
    return CatalogueTime(at, recorded=True)


def _instant(value: Any) -> datetime | None:
    """YAML gives a bare 2021-07-13 as a date and a quoted one as text; both, and date-times, are read."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
    else:
        return None
    return parsed.astimezone(UTC).replace(tzinfo=None) if parsed.tzinfo else parsed
