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

    def __init__(self, modified_since: str | None = None) -> None:
        self.newest_modified = modified_since
        self.labels: dict[str, Counter[str]] = {}

    def see(self, record: DatasetRecord) -> DatasetRecord:
        if record.modified and (self.newest_modified is None or record.modified > self.newest_modified):
            self.newest_modified = record.modified
        for category in record.categories:
            self.labels.setdefault(category.dimension, Counter())[category.label] += 1
        return record

    def bookmark(self) -> dict[str, Any]:
        return {"modified_since": self.newest_modified} if self.newest_modified else {}

    def dimensions(self) -> dict[str, dict[str, Any]]:
        return {
            dimension: {"available": bool(counts), "count": len(counts),
                        "labels": [label for label, _n in counts.most_common(self.LABEL_CAP)]}
            for dimension, counts in self.labels.items()
        }
