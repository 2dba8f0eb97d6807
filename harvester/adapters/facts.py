"""What an adapter learnt about the portal while harvesting: one typed name per fact, stored as plain JSON.

The checks read these facts back with `CatalogueFacts.from_json(harvest.info["catalogue"])`, so every family's
keyword search and category filter are judged the same way. None means "could not be probed", never "no".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# Spellings earlier versions of odq stored, read back under today's names.
_LEGACY = {"search": "keyword_search", "filter_by_category": "category_filter", "filter": "category_filter"}


@dataclass(frozen=True, slots=True)
class Dimension:
    """One classification dimension (theme, department, sector...): whether the portal offers it, how many labels."""

    available: bool | None
    count: int | None = None
    labels: tuple[str, ...] = ()
    codes: tuple[str, ...] = ()  # the portal's own identifiers of the labels, where it has them (CKAN group names)
    error: str | None = None  # why the dimension could not be read, when available is None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"available": self.available, "count": self.count, "labels": list(self.labels)}
        if self.codes:
            data["names"] = list(self.codes)
        if self.error is not None:
            data["error"] = self.error
        return data

    @classmethod
    def from_json(cls, data: Any) -> Dimension:
        if not isinstance(data, Mapping):
            return cls(available=None, error="not a dimension record")
        available = data.get("available")
        count = data.get("count")
        return cls(
            available=available if isinstance(available, bool) else None,
            count=count if isinstance(count, int) and not isinstance(count, bool) else None,
            labels=_texts(data.get("labels")),
            codes=_texts(data.get("names")),
            error=str(data["error"]) if data.get("error") is not None else None,
        )


@dataclass(frozen=True, slots=True)
class CatalogueFacts:
    """Portal-level facts; `details` holds what only one family knows (page_size_shrunk_to, fq_ignored, ...)."""

    listing: str | None = None  # how the catalogue was listed: "package_search", "hydra", "catalogue file", ...
    keyword_search: bool | None = None  # the listing API takes a search text
    category_filter: bool | None = None  # the listing API filters by a classification
    dimensions: Mapping[str, Dimension] = field(default_factory=dict)
    details: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        clash = sorted(k for k in self.details if k in FACT_NAMES or k in _LEGACY)
        if clash:
            raise ValueError(f"details may not reuse a fact's name: {', '.join(clash)}")

    def to_json(self) -> dict[str, Any]:
        """A plain dict for storage: the facts, then the family's details beside them."""
        return {
            "listing": self.listing,
            "keyword_search": self.keyword_search,
            "category_filter": self.category_filter,
            "dimensions": {name: dimension.to_json() for name, dimension in self.dimensions.items()},
            **self.details,
        }

    @classmethod
    def from_json(cls, data: Any) -> CatalogueFacts:
        """The facts of a stored harvest, whichever version of odq stored them; unreadable values are unknown."""
        if not isinstance(data, Mapping):
            return cls()
        values: dict[str, Any] = {}
        details: dict[str, Any] = {}
        for key, value in data.items():
            name = _LEGACY.get(key, key)
            if name in FACT_NAMES:
                if name not in values or key == name:  # today's spelling wins over a legacy one
                    values[name] = value
            else:
                details[key] = value
        listing = values.get("listing")
        dimensions = values.get("dimensions")
        return cls(
            listing=str(listing) if listing is not None else None,
            keyword_search=_flag(values.get("keyword_search")),
            category_filter=_flag(values.get("category_filter")),
            dimensions={str(k): Dimension.from_json(v) for k, v in dimensions.items()}
            if isinstance(dimensions, Mapping) else {},
            details=details,
        )


FACT_NAMES = frozenset(("listing", "keyword_search", "category_filter", "dimensions"))


def _flag(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _texts(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list | tuple):
        return ()
    return tuple(str(v) for v in value if v is not None)
