"""What every adapter is: records out, a bookmark out (the Singer tap shape)."""

from __future__ import annotations

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
