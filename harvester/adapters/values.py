"""Reading the loose values portals write — counts and dates — one way for every adapter."""

from __future__ import annotations

from typing import Any

from harvester.dates import BadDate, parse_date


def as_int(value: Any) -> int | None:
    """A count from "1,234", 12.0 or "12"; None for anything that is not one (never 0 for unknown)."""
    if value in (None, "") or isinstance(value, bool | dict | list):
        return None
    try:
        return int(float(str(value).replace(",", "").strip()))
    except ValueError:
        return None


def read_date(value: Any, problems: list[str], label: str = "date") -> str | None:
    """ISO text for a portal's date; an unreadable one is noted in the record's problems, never fatal."""
    if isinstance(value, dict | list):
        problems.append(f"{label}: not a date ({type(value).__name__})")
        return None
    try:
        return parse_date(value)
    except BadDate as exc:
        problems.append(f"{label}: {exc}")
        return None
