"""Reading the dates portals write (ISO 8601, 2019/03/02, 2019年3月2日, 02.03.2019, 19. November 2013) into ISO 8601."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

# German month names as Drupal/DKAN pages write them ("März", or "Maerz" where the umlaut was lost).
_MONTHS = {"januar": 1, "februar": 2, "märz": 3, "maerz": 3, "april": 4, "mai": 5, "juni": 6, "juli": 7, "august": 8,
           "september": 9, "oktober": 10, "november": 11, "dezember": 12}

_PATTERNS = (
    (re.compile(r"^(\d{4})[/.](\d{1,2})[/.](\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$"), (0, 1, 2)),
    (re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?(?:\s*(\d{1,2}):(\d{2})(?::(\d{2}))?)?$"), (0, 1, 2)),
    (re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?)?$"), (2, 1, 0)),
    # "Dienstag, 19. November 2013 - 10:13": the weekday and the time are optional.
    (re.compile(r"^(?:\w+,\s*)?(\d{1,2})\.\s*(" + "|".join(_MONTHS) + r")\s+(\d{4})"
                r"(?:\s*-?\s*(\d{1,2}):(\d{2})(?::(\d{2}))?)?(?:\s*Uhr)?$", re.IGNORECASE), (2, 1, 0)),
)


class BadDate(ValueError):
    pass


# Outside these years a catalogue date is a typo ("2913-10-11" for 2013), not a date.
EARLIEST_YEAR = 1900
LATEST_YEAR = datetime.now(UTC).year + 50


def _plausible(value: datetime, text: str) -> str:
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise BadDate(f"{text!r} is not a plausible date (year {value.year})")
    return value.isoformat()


def parse_date(value: object) -> str | None:
    """ISO 8601 text for a portal's date, None when empty; BadDate when it cannot be a date."""
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):  # epoch seconds or milliseconds
        seconds = value / 1000 if value > 10**11 else value
        try:
            return _plausible(datetime.fromtimestamp(seconds, UTC).replace(tzinfo=None), str(value))
        except (OverflowError, OSError, ValueError) as exc:
            raise BadDate(f"{value!r} is not a timestamp ({exc})") from exc
    text = str(value).strip()
    if text.isdigit() and len(text) in (10, 13):  # epoch seconds or milliseconds sent as text
        return parse_date(int(text))
    if not text or text in {"-", "暂无", "无", "null", "None"}:
        return None
    if re.fullmatch(r"\d{4}(-\d{2})?", text):  # ISO 8601 reduced precision: a year, or a year and month
        year, _, month = text.partition("-")
        try:
            return _plausible(datetime(int(year), int(month or 1), 1), text)
        except ValueError as exc:
            raise BadDate(f"{text!r} is not a valid date ({exc})") from exc
    iso = text.replace("Z", "+00:00")
    try:
        parsed = datetime.fromisoformat(iso)
    except ValueError:
        parsed = None
    if parsed is not None:
        if parsed.tzinfo is not None:
            parsed = parsed.astimezone(UTC).replace(tzinfo=None)
        return _plausible(parsed, text)
    for pattern, (yi, mi, di) in _PATTERNS:
        match = pattern.match(text)
        if match:
            groups = match.groups()
            try:
                month = _MONTHS.get(groups[mi].lower()) or int(groups[mi])
                day = date(int(groups[yi]), month, int(groups[di]))
                hour, minute, second = (int(g) if g else 0 for g in groups[3:6])
                return _plausible(datetime(day.year, day.month, day.day, hour, minute, second), text)
            except ValueError as exc:
                raise BadDate(f"{text!r} is not a valid date ({exc})") from exc
    raise BadDate(f"{text!r} is not a date odq can read")
