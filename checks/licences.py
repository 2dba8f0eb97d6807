"""Licence openness (open / closed / unknown) from profiles/vocab/licences.yaml: the Open Definition's verdicts."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache

from harvester.profiles import ProfileError, load_yaml
from harvester.vocab import normalise_label
from profiles import PROFILES_DIR

LICENCES_FILE = "licences.yaml"
STATUSES = ("open", "closed")


@dataclass(frozen=True, slots=True)
class LicenceVerdict:
    status: str  # open | closed | unknown
    licence: str | None  # the vocabulary id, or the family rule's status when a pattern matched
    matched: str | None  # the label or pattern that decided, for the finding


UNKNOWN = LicenceVerdict("unknown", None, None)


def _key(text: str) -> str:
    """Lookup key: a URL without scheme, "www." and trailing "/"; any text NFKC, lower case, spaces collapsed."""
    key = normalise_label(text)
    key = re.sub(r"^https?://(www\.)?", "", key)
    return key.rstrip("/")


@cache
def _vocabulary() -> tuple[dict[str, tuple[str, str]], tuple[tuple[re.Pattern[str], str], ...]]:
    data = load_yaml(PROFILES_DIR / "vocab" / LICENCES_FILE)
    labels: dict[str, tuple[str, str]] = {}
    for entry in data.get("licences") or []:
        lid, status = entry.get("id"), entry.get("status")
        if status not in STATUSES:
            raise ProfileError(f"{LICENCES_FILE}: licences[{lid}].status: expected one of {STATUSES}, got {status!r}")
        for label in [lid, *(entry.get("labels") or [])]:
            key = _key(str(label))
            if labels.setdefault(key, (lid, status))[0] != lid:
                raise ProfileError(f"{LICENCES_FILE}: licences[{lid}]: label {label!r} already belongs to "
                                   f"{labels[key][0]}")
    families: list[tuple[re.Pattern[str], str]] = []
    for index, family in enumerate(data.get("families") or []):
        status = family.get("status")
        if status not in STATUSES:
            raise ProfileError(f"{LICENCES_FILE}: families[{index}].status: expected one of {STATUSES}, "
                               f"got {status!r}")
        for pattern in family.get("match") or []:
            try:
                families.append((re.compile(pattern), status))
            except re.error as exc:
                raise ProfileError(f"{LICENCES_FILE}: families[{index}].match {pattern!r}: not a regular "
                                   f"expression ({exc})") from None
    return labels, tuple(families)


@lru_cache(maxsize=4096)
def licence_openness(raw: str | None) -> LicenceVerdict:
    """Whether a harvested licence (id, title or URL) is open, closed, or not one the list knows."""
    if not raw or not str(raw).strip():
        return UNKNOWN
    labels, families = _vocabulary()
    key = _key(str(raw))
    if key in labels:
        lid, status = labels[key]
        return LicenceVerdict(status, lid, str(raw))
    for pattern, status in families:
        if pattern.search(key):
            return LicenceVerdict(status, None, pattern.pattern)
    return UNKNOWN
