"""An assessment's link checks and file validation spread over a Dask cluster, in batches per host.

Each batch is a task with small arguments (URLs, the portal's politeness and allow-list, the cluster's host
budgets); the worker builds its own client from them, so a host's budget is drawn on by every worker at once.
A batch the cluster loses comes back as "unknown" links or not-validated files: the rest of the portal stands.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from harvester.http import Http, Politeness, SharedBudgets

LINK_BATCH = 500  # URLs per task: big enough to amortise a task, small enough to spread a host over workers
FileJob = tuple[str, str, list[dict[str, Any]] | None]  # url, declared format, declared fields


@dataclass(frozen=True)
class FetchSettings:
    allow_hosts: tuple[str, ...]
    politeness: Politeness
    budgets: SharedBudgets | None
    threads: int = 8  # requests a batch keeps in flight (each still within the host's shared budget)

    def http(self) -> Http:
        """The client for one task, on its worker (called on the task's own thread)."""
        budgets = self.budgets.bound() if hasattr(self.budgets, "bound") else self.budgets
        return Http(allow_hosts=self.allow_hosts, politeness=self.politeness, shared_budgets=budgets)


def check_links_task(urls: list[str], settings: FetchSettings) -> list[dict[str, Any]]:
    from checks.links import check_in_threads

    http = settings.http()
    try:
        return check_in_threads(http, urls, settings.threads)
    finally:
        http.close()


def validate_file_task(job: FileJob, settings: FetchSettings) -> dict[str, Any]:
    from checks.files import validate_file

    http = settings.http()
    try:
        return validate_file(http, *job)
    finally:
        http.close()


def link_batches(urls: list[str], size: int = LINK_BATCH) -> list[list[str]]:
    """The URLs grouped by host, each host cut into batches of at most `size`."""
    from harvester.guard import AddressGuard, BlockedURL

    guard = AddressGuard()
    by_host: dict[str, list[str]] = {}
    for url in urls:
        try:
            host = guard.parse(url)[1]
        except BlockedURL:
            host = ""  # refused on the worker, with its reason
        by_host.setdefault(host, []).append(url)
    return [group[i:i + size] for group in by_host.values() for i in range(0, len(group), size)]


@contextmanager
def _client() -> Iterator[Any]:
    """The cluster's client: from inside a task, one that frees this worker's slot while the batches run."""
    from distributed import get_client, get_worker, worker_client

    try:
        get_worker()
    except ValueError:
        yield get_client()
        return
    with worker_client() as client:
        yield client


@dataclass(frozen=True)
class ClusterFetcher:
    """What `AssessOptions.fetcher` asks for, done by the cluster's workers."""

    settings: FetchSettings
    batch: int = LINK_BATCH

    def check_links(self, urls: list[str], progress: Callable[[int], None] | None = None) -> list[dict[str, Any]]:
        from checks.links import UNKNOWN_PREFIX

        if not urls:
            return []
        batches = link_batches(urls, self.batch)
        by_url: dict[str, dict[str, Any]] = {}
        with _client() as client:
            futures = [client.submit(check_links_task, batch, self.settings, pure=False,
                                     key=f"odq-links-{uuid.uuid4().hex[:12]}") for batch in batches]
            for batch, future in zip(batches, futures, strict=True):
                try:
                    results = future.result()
                except Exception as exc:  # a lost worker: these links are unknown, asked again next run
                    reason = f"{UNKNOWN_PREFIX}the cluster lost this check ({type(exc).__name__}: {exc})"[:300]
                    results = [{"url": url, "status": None, "alive": None, "reason": reason, "content_type": None,
                                "final_url": None, "verdict": "unknown", "kind": "cluster"} for url in batch]
                by_url.update((r["url"], r) for r in results)
                if progress:
                    progress(len(results))
        return [by_url[url] for url in urls]

    def validate_files(self, jobs: list[FileJob]) -> list[dict[str, Any]]:
        if not jobs:
            return []
        reports = []
        with _client() as client:
            futures = [client.submit(validate_file_task, job, self.settings, pure=False,
                                     key=f"odq-file-{uuid.uuid4().hex[:12]}") for job in jobs]
            for (url, file_format, _fields), future in zip(jobs, futures, strict=True):
                try:
                    reports.append(future.result())
                except Exception as exc:
                    reason = f"not validated: the cluster lost this file ({type(exc).__name__})"
                    reports.append({"url": url, "format": file_format, "valid": None, "status": "not-validated",
                                    "not_validated": reason, "fetch_error": reason})
        return reports
