"""What every adapter is: records out, a bookmark out (the Singer tap shape), on one base class.

The base owns what every family needs the same way: the constructor, typed options, `map_or_skip` (a record
that cannot be mapped becomes a reported skip, never an exception), the tally of labels and the bookmark, the
paginator that ends a listing going round, and the attributes the harvest run reads once `records()` is
exhausted or broke off: `expected_total`, `incremental` and `partial_reason`. An adapter may also say which raw
keys its mapping reads (`key_sections`), so the harvest's mapping report can list the keys most records carry
that feed no record field.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import orjson

from harvester.adapters.facts import CatalogueFacts, Dimension
from harvester.adapters.options import NoOptions, OptionsError, parse_options
from harvester.adapters.paging import Paginator
from harvester.http import Http
from harvester.records import DatasetRecord

__all__ = ["Adapter", "CatalogueFacts", "CatalogueTally", "Dimension", "HarvestAborted", "KeySection",
           "OptionsError", "SkippedRecord", "Unmappable"]

_REASON_CHARS = 300  # of an exception's text in a skip reason: portal content can make it huge


@dataclass(slots=True)
class SkippedRecord:
    """A native record the adapter could not map; reported, never fatal to the harvest."""

    native_id: str | None
    reason: str


@dataclass(frozen=True, slots=True)
class KeySection:
    """One part of a native record whose raw keys the mapping report counts, with the keys the mapping knows.

    `objects` are the mappings of that part in one record (the package itself, its extras, each of its resources);
    a key counts once per record however many of them carry it. `known` holds the keys the mapping reads, and the
    bookkeeping keys it passes over on purpose (ids, counters, revision stamps), which no record field could use.
    """

    name: str  # "package", "extras", "resource": how the report names where a key sits
    objects: tuple[Mapping[str, Any], ...]
    known: frozenset[str]


class HarvestAborted(Exception):
    """The catalogue listing broke off; records already streamed stay valid but the harvest is not complete."""


class Unmappable(ValueError):
    """Raised by a mapping for a record it knows it cannot make; its reason is reported as written."""

    def __init__(self, native_id: str | None, reason: str) -> None:
        super().__init__(reason)
        self.native_id = native_id
        self.reason = reason


class Adapter(ABC):
    """The base of every portal family: subclass it, declare `family` and `Options`, write `records()`."""

    family: ClassVar[str]
    Options: ClassVar[type] = NoOptions  # a frozen dataclass; see harvester/adapters/options.py
    noun: ClassVar[str] = "dataset"  # what a skip reason calls one native record
    options_required: ClassVar[bool] = False  # True when the family cannot harvest without options
    # True when the portal's own count counts listing entries, repeats included: it then bounds the listing.
    count_includes_repeats: ClassVar[bool] = False

    def __init__(self, profile: dict[str, Any], http: Http) -> None:
        self.profile = profile
        self.http = http
        self.portal_id: str = str(profile.get("id") or "")
        self.options = self.parse_options(profile)
        self.expected_total: int | None = None  # how many datasets the portal says it has, where it says
        self.incremental = False  # True when records() listed only what changed since the bookmark
        self.partial_reason: str | None = None  # set when the listing stopped before its end
        self.tally = CatalogueTally()  # newest modified (the bookmark) and labels per dimension
        # The facts of catalogue_info(): set by records() as the portal shows them.
        self.listing: str | None = None
        self.keyword_search: bool | None = None
        self.category_filter: bool | None = None
        self.details: dict[str, Any] = {}

    # -- options ---------------------------------------------------------------------------------
    @classmethod
    def parse_options(cls, profile: dict[str, Any]) -> Any:
        """The family's typed options from the profile, checked without any network (OptionsError)."""
        return parse_options(cls.Options, profile.get("options"), family=cls.family)

    # -- the stream ------------------------------------------------------------------------------
    @abstractmethod
    def records(self, since: dict[str, Any] | None = None) -> Iterator[DatasetRecord | SkippedRecord]:
        """Stream the catalogue; with a bookmark, only what changed since where the API allows."""

    def paginator(self, *, max_pages: int | None = None, seen: set[str] | None = None) -> Paginator:
        """A paginator whose stop reason becomes this listing's partial_reason."""
        return Paginator(self.stop_listing, max_pages=max_pages, noun=self.noun, seen=seen)

    def stop_listing(self, reason: str) -> None:
        """The listing ends before its end: the harvest will be partial with this reason (the first one given)."""
        if self.partial_reason is None:
            self.partial_reason = reason

    def map_or_skip(self, native_id: str | None, build: Callable[[], DatasetRecord], *,
                    modified: str | None = None) -> DatasetRecord | SkippedRecord:
        """`build()`'s record, tallied; any failure to map (or to store) this one record is a reported skip."""
        try:
            record = build()
            orjson.dumps(record.raw)  # the store writes the native JSON: nested too deep, it could not
        except (HarvestAborted, MemoryError):
            raise
        except Unmappable as exc:
            return SkippedRecord(exc.native_id if exc.native_id is not None else native_id, exc.reason)
        except RecursionError:
            return SkippedRecord(native_id, f"unreadable {self.noun}: nested too deeply to read")
        except TypeError as exc:
            if "Recursion limit" in str(exc):
                return SkippedRecord(native_id, f"unreadable {self.noun}: its native JSON is nested more than "
                                                "254 levels deep, too deep to store")
            return SkippedRecord(native_id, _reason(self.noun, exc))
        except Exception as exc:  # a bad record is reported and skipped; the harvest goes on
            return SkippedRecord(native_id, _reason(self.noun, exc))
        return self.tally.see(record, modified)

    def key_sections(self, record: DatasetRecord) -> tuple[KeySection, ...]:
        """The parts of `record.raw` whose keys the mapping report counts; () when the family does not say which
        keys it reads (then the report lists no unmapped keys, rather than claiming there are none)."""
        return ()

    # -- state -----------------------------------------------------------------------------------
    def bookmark(self) -> dict[str, Any]:
        """State for the next incremental run; valid once records() is exhausted."""
        return self.tally.bookmark()

    def dimensions(self) -> dict[str, Dimension]:
        return self.tally.dimensions()

    def catalogue_info(self) -> CatalogueFacts:
        """Portal-level facts learnt while harvesting; store them with `.to_json()`."""
        return CatalogueFacts(listing=self.listing, keyword_search=self.keyword_search,
                              category_filter=self.category_filter, dimensions=self.dimensions(),
                              details=dict(self.details))


def _reason(noun: str, exc: Exception) -> str:
    text = " ".join(str(exc).split())
    if len(text) > _REASON_CHARS:
        text = text[: _REASON_CHARS - 1] + "…"
    return f"unreadable {noun}: {type(exc).__name__}: {text}"


class CatalogueTally:
    """What every adapter learns while streaming: the newest `modified` seen (the incremental bookmark) and how
    many datasets carry each classification label, per dimension (which dimensions the portal offers)."""

    LABEL_CAP = 200

    def __init__(self, since: dict[str, Any] | None = None) -> None:
        since = since or {}
        modified = since.get("modified_since")
        self.newest_modified: str | None = modified if isinstance(modified, str) else None
        self.labels: dict[str, Counter[str]] = {}
        # An incremental run lists only changes: the labels the last run saw still stand.
        dimensions = since.get("dimensions")
        for dimension, labels in (dimensions.items() if isinstance(dimensions, dict) else ()):
            if isinstance(labels, list):
                self.offer(str(dimension), labels)

    def offer(self, dimension: str, labels: Any) -> None:
        """Labels the portal offers (facets, taxonomies), whether or not a listed dataset carries them."""
        counts = self.labels.setdefault(dimension, Counter())
        for label in labels:
            counts.setdefault(str(label), 0)

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

    def dimensions(self) -> dict[str, Dimension]:
        return {
            dimension: Dimension(available=bool(counts), count=len(counts), labels=tuple(self._ordered(counts)))
            for dimension, counts in self.labels.items()
        }
