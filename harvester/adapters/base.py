"""What every adapter is: records out, a bookmark out (the Singer tap shape)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

from harvester.http import Http
from harvester.records import DatasetRecord


@dataclass(slots=True)
class SkippedRecord:
    """A native record the adapter could not map; reported, never fatal to the harvest."""

    native_id: str | None
    reason: str


class Adapter(Protocol):
    family: ClassVar[str]
    expected_total: int | None  # how many datasets the portal says it has, once known
    incremental: bool  # set by records(): True when only what changed since the bookmark was listed

    def __init__(self, profile: dict[str, Any], http: Http) -> None: ...

    def records(self, since: dict[str, Any] | None = None) -> Iterator[DatasetRecord | SkippedRecord]:
        """Stream the catalogue; with a bookmark, only what changed since where the API allows."""
        ...

    def bookmark(self) -> dict[str, Any]:
        """State for the next incremental run; valid once records() is exhausted."""
        ...

    def catalogue_info(self) -> dict[str, Any]:
        """Portal-level facts learnt while harvesting (classification dimensions, API features)."""
        ...


class HarvestAborted(Exception):
    """The catalogue listing broke off; records already streamed stay valid but the harvest is not complete."""


class CatalogueTally:
    """What every adapter learns while streaming: the newest `modified` seen (the incremental bookmark) and how
    many datasets carry each classification label, per dimension (which dimensions the portal offers)."""

    LABEL_CAP = 200

    def __init__(self, since: dict[str, Any] | None = None) -> None:
        since = since or {}
        self.newest_modified: str | None = since.get("modified_since")
        self.labels: dict[str, Counter[str]] = {}
        # An incremental run lists only changes: the labels the last run saw still stand.
        for dimension, labels in (since.get("dimensions") or {}).items():
            self.offer(dimension, labels)

    def offer(self, dimension: str, labels: Any) -> None:
        """Labels the portal offers (facets, taxonomies), whether or not a listed dataset carries them."""
        counts = self.labels.setdefault(dimension, Counter())
        for label in labels:
            counts.setdefault(label, 0)

    def see(self, record: DatasetRecord, modified: str | None = None) -> DatasetRecord:
        """Count a record's labels; `modified` overrides record.modified when the portal's own value is the cursor."""
        modified = modified or record.modified
        if modified and (self.newest_modified is None or modified > self.newest_modified):
            self.newest_modified = modified
        for category in record.categories:
            self.labels.setdefault(category.dimension, Counter())[category.label] += 1
        return record

    def _ordered(self, counts: Counter[str]) -> list[str]:
        return sorted(counts, key=lambda label: (-counts[label], label))[: self.LABEL_CAP]

    def bookmark(self, cursor: str | None = None, *, with_labels: bool = False) -> dict[str, Any]:
        """`cursor` replaces the newest modified where the portal wants its own spelling of it back;
        `with_labels` keeps the labels for adapters whose incremental runs list only the changes."""
        cursor = cursor or self.newest_modified
        if not cursor:
            return {}
        if not with_labels:
            return {"modified_since": cursor}
        return {"modified_since": cursor, "dimensions": {d: self._ordered(c) for d, c in self.labels.items() if c}}

    def dimensions(self) -> dict[str, dict[str, Any]]:
        return {
            dimension: {"available": bool(counts), "count": len(counts), "labels": self._ordered(counts)}
            for dimension, counts in self.labels.items()
        }
