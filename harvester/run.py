"""One harvest run: one portal → one harvest row, records streamed to the store in batches."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import asdict, dataclass, field
from typing import Any

from harvester.adapters import adapter_class
from harvester.adapters.base import HarvestAborted, SkippedRecord
from harvester.http import FetchError, Http
from harvester.records import DatasetRecord
from harvester.store import Store

MAX_STORED_ERRORS = 500
# Record-model fields whose fill rate the mapping report shows, so a weak adapter mapping is visible.
MAPPED_FIELDS = (
    "title", "description", "publisher", "department", "contact", "licence", "categories", "keywords",
    "frequency_raw", "frequency", "issued", "modified", "spatial", "temporal", "fields", "distributions",
    "open_type", "record_count",
)
USAGE_FIELDS = ("views", "downloads", "api_calls")

Progress = Callable[[int, int | None], None]


@dataclass(slots=True)
class HarvestResult:
    harvest_id: int
    portal_id: str
    status: str
    datasets: int = 0
    new_records: int = 0
    carried_forward: int = 0
    distributions: int = 0
    errors_count: int = 0
    errors: list[str] = field(default_factory=list)
    requests: int = 0
    bytes: int = 0
    seconds: float = 0.0
    expected_total: int | None = None
    timings: dict[str, float] = field(default_factory=dict)
    mapping: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class _MappingReport:
    """Counts, per record-model field, how many records had it filled."""

    def __init__(self) -> None:
        self.total = 0
        self.filled = dict.fromkeys((*MAPPED_FIELDS, *USAGE_FIELDS), 0)

    def add(self, record: DatasetRecord) -> None:
        self.total += 1
        for name in MAPPED_FIELDS:
            if getattr(record, name) not in (None, "", []):
                self.filled[name] += 1
        for name in USAGE_FIELDS:
            if getattr(record.usage, name) is not None:
                self.filled[name] += 1

    def shares(self) -> dict[str, float]:
        return {k: round(v / self.total, 4) if self.total else 0.0 for k, v in self.filled.items()}


def run_harvest(
    profile: dict[str, Any],
    store: Store,
    http: Http,
    *,
    incremental: bool = False,
    batch_size: int = 500,
    progress: Progress | None = None,
) -> HarvestResult:
    """Harvest one portal. Only a harvest whose listing ran to the end becomes the portal's current one."""
    store.upsert_portal(profile)
    for host in profile.get("allow_hosts") or []:
        http.allow_host(host)
    previous = store.current_harvest(profile["id"])
    since = previous.bookmark if incremental and previous is not None else None
    # Built first: a profile whose options the adapter rejects fails here, before any harvest row exists.
    adapter = adapter_class(profile["software"])(profile, http)
    harvest_id = store.begin_harvest(profile["id"], mode="incremental" if since else "full")
    result = HarvestResult(harvest_id=harvest_id, portal_id=profile["id"], status="running")
    requests_before, bytes_before = http.requests, http.bytes
    started = time.perf_counter()
    mapping = _MappingReport()
    batch: list[DatasetRecord] = []
    writer = _BatchWriter(store, harvest_id)

    def flush() -> None:
        if batch:
            try:
                writer.put(list(batch))
            finally:
                batch.clear()

    def note_error(message: str) -> None:
        result.errors_count += 1
        if len(result.errors) < MAX_STORED_ERRORS:
            result.errors.append(message)

    try:
        for item in adapter.records(since):
            if isinstance(item, SkippedRecord):
                note_error(f"skipped record {item.native_id or '?'}: {item.reason}")
                continue
            batch.append(item)
            mapping.add(item)
            if len(batch) >= batch_size:
                flush()
                if progress:
                    progress(mapping.total, adapter.expected_total)
        flush()
        if (reason := getattr(adapter, "partial_reason", None)) is not None:
            note_error(f"listing stopped early: {reason}")
            result.status = "partial" if mapping.total else "failed"
        else:
            result.status = "complete"
    except (HarvestAborted, FetchError) as exc:
        with suppress(Exception):  # a store failure is reported by writer.close() below
            flush()
        note_error(f"harvest broke off: {exc}")
        result.status = "partial" if mapping.total else "failed"
    except Exception as exc:  # an adapter bug must not lose what was already stored
        with suppress(Exception):
            flush()
        note_error(f"harvest failed: {type(exc).__name__}: {exc}")
        result.status = "partial" if mapping.total else "failed"
    except KeyboardInterrupt:
        writer.close()
        _finish(store, result, adapter, http, requests_before, bytes_before, started, writer.seconds, mapping,
                status="failed")
        raise
    try:
        writer.close()  # waits until every batch is stored
    except Exception as exc:  # a store failure means the harvest is not complete, whatever was listed
        note_error(f"storing records failed: {type(exc).__name__}: {exc}")
        result.status = "failed"
    if result.status == "complete" and getattr(adapter, "incremental", False) and previous is not None:
        # Only changes were listed: every other dataset of the last complete harvest stands unchanged.
        result.carried_forward = store.carry_forward(harvest_id, previous.id)
    result.new_records = writer.new_records
    store_seconds = writer.seconds
    if progress:
        progress(mapping.total, adapter.expected_total)
    _finish(store, result, adapter, http, requests_before, bytes_before, started, store_seconds, mapping,
            status=result.status)
    return result


class _BatchWriter:
    """Stores batches on a thread of its own, so hashing, compression and SQLite overlap with fetching.

    The queue is short: a slow store applies back-pressure instead of piling records up in memory.
    """

    def __init__(self, store: Store, harvest_id: int, depth: int = 2) -> None:
        self.store = store
        self.harvest_id = harvest_id
        self.queue: queue.Queue[list[DatasetRecord] | None] = queue.Queue(maxsize=depth)
        self.new_records = 0
        self.seconds = 0.0
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="odq-store-writer", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while (batch := self.queue.get()) is not None:
            if self.error is not None:
                continue  # drain: the harvest is already lost, keep the producer from blocking
            t0 = time.perf_counter()
            try:
                self.new_records += self.store.add_records(self.harvest_id, batch).new_records
            except BaseException as exc:  # reported by close() on the harvest's thread
                self.error = exc
            self.seconds += time.perf_counter() - t0

    def put(self, batch: list[DatasetRecord]) -> None:
        if self.error is not None:
            raise self.error
        self.queue.put(batch)

    def close(self) -> None:
        if self.thread.is_alive():
            self.queue.put(None)
            self.thread.join()
        if self.error is not None:
            raise self.error


def _finish(
    store: Store, result: HarvestResult, adapter: Any, http: Http, requests_before: int, bytes_before: int,
    started: float, store_seconds: float, mapping: _MappingReport, *, status: str,
) -> None:
    result.status = status
    result.datasets, result.distributions = store.count_records(result.harvest_id)
    result.requests = http.requests - requests_before
    result.bytes = http.bytes - bytes_before
    result.seconds = round(time.perf_counter() - started, 3)
    result.expected_total = adapter.expected_total
    result.timings = {"total": result.seconds, "store": round(store_seconds, 3)}
    result.mapping = mapping.shares()
    facts = adapter.catalogue_info()
    info = {
        "catalogue": facts.to_json() if hasattr(facts, "to_json") else facts,
        "expected_total": adapter.expected_total,
        "timings": result.timings,
        "mapping": result.mapping,
    }
    if status == "complete" and adapter.expected_total and result.datasets < adapter.expected_total:
        info["warning"] = (
            f"the portal reported {adapter.expected_total} datasets but {result.datasets} were listed"
        )
    store.finish_harvest(
        result.harvest_id,
        status=status,
        datasets=result.datasets,
        new_records=result.new_records,
        distributions=result.distributions,
        errors_count=result.errors_count,
        errors=result.errors,
        requests=result.requests,
        bytes=result.bytes,
        seconds=result.seconds,
        bookmark=adapter.bookmark() if status == "complete" else None,
        info=info,
    )
