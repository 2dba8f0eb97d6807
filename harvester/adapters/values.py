"""Reading the loose values portals write — counts and dates — one way for every adapter."""

from __future__ import annotations

import math
from typing import Any

from harvester.dates import BadDate, parse_date

MAX_COUNT = 2**63 - 1  # what the store (a 64-bit integer, orjson) can hold; no portal counts beyond it


def as_int(value: Any) -> int | None:
    """A count from "1,234", 12.0 or "12"; None for anything that is not one (never 0 for unknown)."""
    if value in (None, "") or isinstance(value, bool | dict | list):
        return None
    try:
        return count_from(float(str(value).replace(",", "").strip()))
    except ValueError:
        return None


def count_from(number: float) -> int | None:
    """A number read from a portal as a count; None when it is not finite or beyond what can be stored."""
    if not math.isfinite(number) or abs(number) > MAX_COUNT:
        return None
    return int(number)


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


MAX_JSON_DEPTH = 1024  # orjson refuses documents nested deeper; odq's readers say so in these words


def too_deep(exc: BaseException) -> bool:
    """Whether a parse failure is a document nested deeper than can be read (not a syntax error)."""
    if isinstance(exc, RecursionError):
        return True
    text = str(exc).lower()
    return "depth limit" in text or "recursion limit" in text


def too_deep_message(what: str) -> str:
    return f"{what} is nested more than {MAX_JSON_DEPTH} levels deep: refused unread"
