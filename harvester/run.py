"""One harvest run: one portal → one harvest row, records streamed to the store in batches."""

from __future__ import annotations

import os
import queue
import threading
import time
import uuid
from collections.abc import Callable
from contextlib import suppress
from dataclasses import asdict, dataclass, field
from typing import Any

from harvester.adapters import adapter_class
from harvester.adapters.base import HarvestAborted, SkippedRecord
from harvester.http import FetchError, Http
from harvester.key_census import KeyCensus
from harvester.profiles import HarvestSettings
from harvester.records import DatasetRecord
from harvester.store import HEARTBEAT_SECONDS, HOST, Store

MAX_STORED_ERRORS = 500
# Record-model fields whose fill rate the mapping report shows, so a weak adapter mapping is visible.
MAPPED_FIELDS = (
    "title", "description", "publisher", "department", "contact", "licence", "categories", "keywords",
    "frequency_raw", "frequency", "issued", "modified", "data_modified", "spatial", "temporal", "fields",
    "distributions",
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
    # Raw keys most records carry that feed no record field (harvester/key_census.py); None when the adapter
    # does not say which keys it reads.
    unmapped_keys: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class _MappingReport:
    """Counts, per record-model field, how many records had it filled, and the raw keys no field reads."""

    def __init__(self, adapter: Any) -> None:
        self.total = 0
        self.filled = dict.fromkeys((*MAPPED_FIELDS, *USAGE_FIELDS), 0)
        self.adapter = adapter
        self.census = KeyCensus()

    def add(self, record: DatasetRecord) -> None:
        self.total += 1
        self.census.add(self.adapter.key_sections(record))
        for name in MAPPED_FIELDS:
            if getattr(record, name) not in (None, "", []):
                self.filled[name] += 1
        for name in USAGE_FIELDS:
            if getattr(record.usage, name) is not None:
                self.filled[name] += 1

    def shares(self) -> dict[str, float]:
        return {k: round(v / self.total, 4) if self.total else 0.0 for k, v in self.filled.items()}


class HarvestLocked(Exception):
    """Another process is harvesting this portal; the message is one line for the user."""


class HarvestStopped(KeyboardInterrupt):
    """A stop asked for from outside (SIGTERM), taken down the same path as Ctrl-C, with its reason."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class StopRequest:
    """Set from a signal handler to stop harvests running on worker threads at their next record."""

    def __init__(self) -> None:
        self.reason: str | None = None

    def set(self, reason: str) -> None:
        if self.reason is None:
            self.reason = reason


@dataclass(frozen=True, slots=True)
class _Limits:
    """The profile's harvest limits, each with where its value comes from (the profile, or an odq default)."""

    settings: HarvestSettings
    sources: dict[str, str]

    @classmethod
    def from_profile(cls, profile: dict[str, Any]) -> _Limits:
        given = profile.get("harvest") or {}
        settings = HarvestSettings.from_profile(profile)
        sources = {name: "profile" if given.get(name) is not None else "odq default"
                   for name in ("count_tolerance", "deadline_minutes", "request_deadline_seconds")}
        return cls(settings, sources)

    def to_json(self) -> dict[str, Any]:
        return {name: {"value": getattr(self.settings, name), "source": source}
                for name, source in self.sources.items()}


def run_harvest(
    profile: dict[str, Any],
    store: Store,
    http: Http,
    *,
    incremental: bool = False,
    batch_size: int = 500,
    progress: Progress | None = None,
    accept_empty: bool = False,
    stop: StopRequest | None = None,
) -> HarvestResult:
    """Harvest one portal. Only a complete harvest becomes the portal's current one: its listing ran to the end,
    it holds (within the profile's tolerance) the datasets the portal counts, and it is not an unexplained empty
    listing where the last complete harvest had datasets (unless `accept_empty`).

    One harvest per portal at a time: HarvestLocked when another live process holds the portal's lock.
    `stop`: a stop asked for elsewhere ends the harvest as `interrupted` at its next record (HarvestStopped)."""
    limits = _Limits.from_profile(profile)
    store.upsert_portal(profile)
    for host in profile.get("allow_hosts") or []:
        http.allow_host(host)
    http.request_deadline = limits.settings.request_deadline_seconds  # a total deadline per request
    # Built first: a profile whose options the adapter rejects fails here, before any lock or harvest row exists.
    adapter = adapter_class(profile["software"])(profile, http)
    owner = f"{HOST}:{os.getpid()}:{uuid.uuid4().hex[:12]}"
    holder = store.acquire_harvest_lock(profile["id"], owner)
    if holder is not None:
        running = f" (harvest #{holder.harvest_id})" if holder.harvest_id else ""
        raise HarvestLocked(
            f"portal {profile['id']!r} is already being harvested{running} by pid {holder.pid} on {holder.host} "
            f"since {holder.acquired_at.isoformat(timespec='seconds')}Z; try again when it ends")
    try:
        store.sweep_interrupted(profile["id"])
        previous = store.current_harvest(profile["id"])
        since = previous.bookmark if incremental and previous is not None else None
        harvest_id = store.begin_harvest(profile["id"], mode="incremental" if since else "full")
        try:
            store.attach_harvest_lock(profile["id"], owner, harvest_id)
            with _Heartbeat(store, profile["id"], owner, harvest_id):
                return _run(profile, store, http, adapter, harvest_id, previous, since, limits,
                            batch_size=batch_size, progress=progress, accept_empty=accept_empty, stop=stop)
        except KeyboardInterrupt as exc:  # a stop outside the listing loop (which closes the harvest itself)
            with suppress(Exception):
                store.interrupt_harvest(harvest_id, exc.reason if isinstance(exc, HarvestStopped)
                                        else "stopped by SIGINT (Ctrl-C)")
            raise
    finally:
        with suppress(Exception):  # a lock left behind expires with its lease
            store.release_harvest_lock(profile["id"], owner)


def _run(
    profile: dict[str, Any], store: Store, http: Http, adapter: Any, harvest_id: int, previous: Any,
    since: dict[str, Any] | None, limits: _Limits, *, batch_size: int, progress: Progress | None,
    accept_empty: bool, stop: StopRequest | None,
) -> HarvestResult:
    result = HarvestResult(harvest_id=harvest_id, portal_id=profile["id"], status="running")
    requests_before, bytes_before = http.requests, http.bytes
    started = time.perf_counter()
    deadline = time.monotonic() + limits.settings.deadline_minutes * 60
    mapping = _MappingReport(adapter)
    batch: list[DatasetRecord] = []
    writer = _BatchWriter(store, harvest_id)
    notes: dict[str, Any] = {"limits": limits.to_json()}
    skipped = 0

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

    stream = adapter.records(since)
    try:
        for item in stream:
            if isinstance(item, SkippedRecord):
                skipped += 1
                note_error(f"skipped record {item.native_id or '?'}: {item.reason}")
            else:
                batch.append(item)
                mapping.add(item)
                if len(batch) >= batch_size:
                    flush()
                    if progress:
                        progress(mapping.total, adapter.expected_total)
            if stop is not None and stop.reason is not None:
                raise HarvestStopped(stop.reason)
            if time.monotonic() > deadline:
                adapter.stop_listing(
                    f"the harvest deadline of {limits.settings.deadline_minutes:g} minutes "
                    f"({limits.sources['deadline_minutes']}) passed before the listing ended")
                break
        stream.close()
        flush()
        if (reason := getattr(adapter, "partial_reason", None)) is not None:
            note_error(f"listing stopped early: {reason}")
            notes["stopped"] = reason
            result.status = "partial" if mapping.total else "failed"
        else:
            result.status = "complete"
    except (HarvestAborted, FetchError) as exc:
        with suppress(Exception):  # a store failure is reported by writer.close() below
            flush()
        note_error(f"harvest broke off: {exc}")
        notes["stopped"] = str(exc)
        result.status = "partial" if mapping.total else "failed"
    except KeyboardInterrupt as exc:
        reason = exc.reason if isinstance(exc, HarvestStopped) else "stopped by SIGINT (Ctrl-C)"
        note_error(f"harvest interrupted: {reason}")
        notes["interrupted"] = reason
        with suppress(Exception):
            flush()
        with suppress(Exception):
            writer.close()
        _finish(store, result, adapter, http, requests_before, bytes_before, started, writer.seconds, mapping,
                status="interrupted", notes=notes)
        raise
    except Exception as exc:  # an adapter bug must not lose what was already stored
        with suppress(Exception):
            flush()
        note_error(f"harvest failed: {type(exc).__name__}: {exc}")
        notes["stopped"] = f"{type(exc).__name__}: {exc}"
        result.status = "partial" if mapping.total else "failed"
    try:
        writer.close()  # waits until every batch is stored
    except Exception as exc:  # a store failure means the harvest is not complete, whatever was listed
        note_error(f"storing records failed: {type(exc).__name__}: {exc}")
        result.status = "failed"
    if result.status == "complete":
        verdict = _completeness(adapter, store, harvest_id, previous, limits, skipped, accept_empty)
        notes["completeness"] = verdict.to_json()
        if verdict.status != "complete":
            note_error(f"not complete: {verdict.reason}")
            result.status = verdict.status
    if result.status == "complete" and getattr(adapter, "incremental", False) and previous is not None:
        # Only changes were listed: every other dataset of the last complete harvest stands unchanged.
        result.carried_forward = store.carry_forward(harvest_id, previous.id)
    result.new_records = writer.new_records
    store_seconds = writer.seconds
    if progress:
        progress(mapping.total, adapter.expected_total)
    _finish(store, result, adapter, http, requests_before, bytes_before, started, store_seconds, mapping,
            status=result.status, notes=notes)
    return result


@dataclass(slots=True)
class _Verdict:
    status: str
    expected_total: int | None
    distinct: int
    skipped: int
    repeats: int
    tolerance: float
    reason: str | None = None
    warning: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


def _completeness(adapter: Any, store: Store, harvest_id: int, previous: Any, limits: _Limits, skipped: int,
                  accept_empty: bool) -> _Verdict:
    """A listing that reached its end, judged against the portal's own count and the last complete harvest.

    The portal's count is compared with the entries the listing brought: distinct datasets, plus the records it
    listed but could not map (reported as skips), plus the repeats an adapter says its portal counts (Socrata's
    Discovery count includes the assets its search lists more than once: Seattle lists one asset four times and
    counts it four times; CKAN adapters report no repeats, so a repeated id there is a missing dataset)."""
    distinct = store.count_records(harvest_id)[0]
    details = adapter.catalogue_info().details
    repeats = details.get("repeats") if isinstance(details.get("repeats"), int) else 0
    tolerance = limits.settings.count_tolerance
    expected = None if getattr(adapter, "incremental", False) else adapter.expected_total
    verdict = _Verdict("complete", expected, distinct, skipped, repeats, tolerance)
    counts_repeats = adapter.count_includes_repeats  # the adapter says what its count counts
    if expected is not None and counts_repeats and distinct + skipped + repeats < expected:
        # The count counts search hits, repeats included, and a listing meets only some of them (scroll_id paging
        # lists each asset once): it bounds the distinct datasets from above and cannot show one missing.
        verdict.warning = (f"the portal's count of {expected:,} includes entries its search lists more than "
                           f"once; {distinct:,} distinct datasets and {repeats:,} repeats were listed, which "
                           "this count cannot check")
        return _empty_check(verdict, adapter, distinct, previous, accept_empty)
    if expected is not None:
        shortfall = expected - (distinct + skipped + repeats)
        if shortfall > tolerance * expected:
            verdict.status = "partial"
            verdict.reason = (
                f"the portal counts {expected:,} datasets but the listing brought {distinct:,} distinct ones"
                f"{f' and {skipped:,} skipped' if skipped else ''}{f' and {repeats:,} repeats' if repeats else ''}"
                f" ({shortfall:,} missing, more than the tolerance of {tolerance:.2%}, "
                f"{limits.sources['count_tolerance']})")
            return verdict
        if shortfall > 0:
            verdict.warning = f"{shortfall:,} of the {expected:,} datasets the portal counts were not listed " \
                              f"(within the tolerance of {tolerance:.2%})"
        elif shortfall < 0:
            verdict.warning = f"the listing brought {-shortfall:,} more datasets than the portal counts " \
                              "(added while paging, or a count that lags)"
    return _empty_check(verdict, adapter, distinct, previous, accept_empty)


def _empty_check(verdict: _Verdict, adapter: Any, distinct: int, previous: Any, accept_empty: bool) -> _Verdict:
    """An empty full listing where the last complete harvest had datasets is suspicious unless accepted."""
    full_listing = not getattr(adapter, "incremental", False)
    if full_listing and distinct == 0 and previous is not None and previous.datasets > 0:
        if accept_empty:
            verdict.warning = (f"an empty listing accepted (--accept-empty) where harvest #{previous.id} "
                               f"had {previous.datasets:,} datasets")
        else:
            verdict.status = "suspicious"
            verdict.reason = (f"the listing is empty where the last complete harvest #{previous.id} had "
                              f"{previous.datasets:,} datasets; it stays current (harvest with --accept-empty "
                              "if the portal really emptied its catalogue)")
    return verdict


class _Heartbeat:
    """A timer thread that renews the portal's lock and the harvest's heartbeat while the harvest runs, so a
    harvest stuck in a slow request still looks alive, and a dead process's harvest is found by its silence."""

    def __init__(self, store: Store, portal_id: str, owner: str, harvest_id: int,
                 interval: float = HEARTBEAT_SECONDS) -> None:
        self.store, self.portal_id, self.owner, self.harvest_id = store, portal_id, owner, harvest_id
        self.interval = interval
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, name="odq-heartbeat", daemon=True)

    def __enter__(self) -> _Heartbeat:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopped.set()
        self.thread.join(timeout=self.interval + 5)

    def _run(self) -> None:
        while not self.stopped.wait(self.interval):
            with suppress(Exception):  # a busy store skips a beat; the lease is many beats long
                self.store.heartbeat(self.portal_id, self.owner, self.harvest_id)


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
    started: float, store_seconds: float, mapping: _MappingReport, *, status: str, notes: dict[str, Any],
) -> None:
    result.status = status
    result.datasets, result.distributions = store.count_records(result.harvest_id)
    result.requests = http.requests - requests_before
    result.bytes = http.bytes - bytes_before
    result.seconds = round(time.perf_counter() - started, 3)
    result.expected_total = adapter.expected_total
    result.timings = {"total": result.seconds, "store": round(store_seconds, 3)}
    result.mapping = mapping.shares()
    result.unmapped_keys = mapping.census.to_json()
    facts = adapter.catalogue_info()
    info = {
        "catalogue": facts.to_json() if hasattr(facts, "to_json") else facts,
        "expected_total": adapter.expected_total,
        "timings": result.timings,
        "mapping": result.mapping,
        **({"unmapped_keys": result.unmapped_keys} if result.unmapped_keys is not None else {}),
        "profile": adapter.profile,  # as harvested, for audit: assessments read the profile as it is now
        **notes,
    }
    warning = (notes.get("completeness") or {}).get("warning")
    if warning:
        info["warning"] = warning
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
