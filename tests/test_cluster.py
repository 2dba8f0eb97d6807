"""The Dask executor on a LocalCluster of two worker processes: harvest + assess of replayed Tokyo portals gives
exactly the store a local run gives; a host's politeness budget holds across workers, as the server sees it."""

from __future__ import annotations

import gzip
import itertools
import json
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import distributed  # a core dependency (dask[distributed]): missing, the test fails rather than skips
import pytest
from typer.testing import CliRunner

from checks.results import Results
from harvester.http import Politeness
from harvester.store import Store
from odq.cli import app
from odq.cluster_fetch import ClusterFetcher, FetchSettings
from odq.cluster_politeness import cluster_budgets
from odq.executor import ClusterError, DaskExecutor, shared_store_url
from odq.pipeline import harvest_many
from odq.replay import ReplayServer, catalogue_from_packages, load_jsonl_envelopes
from tests.conftest import ckan_profile, real_fixture
from tests.databases import fresh_database

SIZES = (60, 90, 120)  # Tokyo packages per replayed portal
ASSESS = ("--allow-host", "127.0.0.1", "--file-sample", "3")


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  host="127.0.0.1") as local:
        yield local


@pytest.fixture(scope="module")
def portals():
    """Three replayed portals whose resource links point back at their server (a few of them dead)."""
    path = real_fixture("ckan_catalog.data.metro.tokyo.lg.jp", "package_show_all.jsonl.gz")
    with gzip.open(path) as handle:
        packages = load_jsonl_envelopes(itertools.islice(handle, sum(SIZES) + 30))
    packages = list({p["name"]: p for p in packages}.values())
    servers, start = [], 0
    for size in SIZES:
        chosen = packages[start:start + size]
        start += size
        dead = {r["url"] for p in chosen[::7] for r in p.get("resources") or [] if r.get("url")}
        servers.append(ReplayServer(catalogue_from_packages(chosen, rewrite_urls=True, web_not_found=dead)))
    for server in servers:
        server.__enter__()
    yield [ckan_profile(server.base, f"tokyo-part-{i}") for i, server in enumerate(servers)]
    for server in servers:
        server.close()


def _odq(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


def _held(url: str, portal_ids: list[str]) -> dict[str, Any]:
    store = Store(url)
    results = Results(store)
    held: dict[str, Any] = {}
    for portal_id in portal_ids:
        harvest = store.current_harvest(portal_id)
        held[portal_id] = {
            "records": sorted((r.native_id, r.content_hash()[0]) for r in store.records(harvest.id)),
            "measures": sorted((m["measure_id"], json.dumps(m["value"])) for m in results.measures(harvest.id)),
            "scores": sorted((s["system_id"], s["level"], s["composite"]) for s in results.scores(harvest.id)),
            "findings": len(results.findings(harvest.id)),
            "links": sorted(Counter((r["alive"], r["reason"]) for r in results.fresh_link_checks(
                [u for rec in store.records(harvest.id) for d in rec.distributions for u in (d.access_url, d.download_url) if u], 1).values()).items(),
                key=str),
            "files": sorted(json.dumps({k: v for k, v in f.items() if k not in ("id", "checked_at", "harvest_id")},
                                       sort_keys=True, default=str) for f in results.file_reports(harvest.id)),
        }
    store.engine.dispose()
    return held


def _run(url: str, profiles: list[dict], scheduler: str | None) -> list[Any]:
    store = Store(url)
    executor = DaskExecutor(scheduler, store) if scheduler else None
    try:
        results = harvest_many(profiles, store, ["127.0.0.1"], executor=executor)
    finally:
        if executor:
            executor.close()
        store.engine.dispose()
    code, output = _odq("assess", "--all", "--db", url, *ASSESS, *(("--scheduler", scheduler) if scheduler else ()))
    assert "Traceback" not in output
    return [results, code, output]


def test_a_cluster_run_stores_exactly_what_a_local_run_stores(cluster, portals, tmp_path):
    dead_port = ckan_profile("http://127.0.0.1:9", "unreachable")  # one portal that fails must not lose the others
    profiles = [*portals, dead_port]
    ids = [p["id"] for p in portals]
    held = {}
    for name, scheduler in (("local", None), ("cluster", cluster.scheduler_address)):
        with fresh_database("postgresql", tmp_path) as url:
            results, code, output = _run(url, profiles, scheduler)
            assert [getattr(r, "status", None) for r in results] == ["complete"] * len(portals) + ["failed"], results
            assert code == 0, output
            assert all(f"tokyo-part-{i} assess done" in output for i in range(len(portals))), output
            held[name] = _held(url, ids)
    for portal_id, size in zip(ids, SIZES, strict=True):
        local, clustered = held["local"][portal_id], held["cluster"][portal_id]
        assert len(local["records"]) == size
        assert local["measures"] and local["scores"]
        for key in ("records", "links", "files", "measures", "scores", "findings"):
            assert local[key] == clustered[key], (portal_id, key)


# -- politeness across workers --------------------------------------------------------------------------------
class CountingServer:
    """Answers HEAD slowly and notes, server-side, each request's arrival and how many were in flight at once."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.lock = threading.Lock()
        self.in_flight = 0
        self.max_in_flight = 0
        self.arrivals: list[float] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_HEAD(self) -> None:
                with server.lock:
                    server.arrivals.append(time.monotonic())
                    server.in_flight += 1
                    server.max_in_flight = max(server.max_in_flight, server.in_flight)
                time.sleep(server.delay)
                with server.lock:
                    server.in_flight -= 1
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def most_in_any_second(self) -> int:
        times = sorted(self.arrivals)
        return max((sum(1 for t in times[i:] if t < start + 1.0) for i, start in enumerate(times)), default=0)

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def budgets(cluster):
    with distributed.Client(cluster) as client:
        yield client, cluster_budgets(client)


def _check_spread(client, budgets, delay: float, politeness: Politeness, n: int, batch: int):
    """Check n links of one counting host from the cluster's workers; the results, the workers and the server."""
    server = CountingServer(delay=delay)
    try:
        fetcher = ClusterFetcher(FetchSettings(("127.0.0.1",), politeness, budgets, threads=4), batch=batch)
        urls = [f"{server.base}/file/{i}.csv" for i in range(n)]
        with distributed.get_task_stream(client) as stream:
            results = fetcher.check_links(urls)  # outside a task: on the default client, the fixture's
    finally:
        server.close()
    workers = {row["worker"] for row in stream.data if str(row["key"]).startswith("odq-links")}
    return results, workers, server


def test_a_hosts_concurrency_budget_holds_across_workers(budgets):
    client, shared = budgets
    results, workers, server = _check_spread(client, shared, 0.05, Politeness(requests_per_second=1000, concurrency=2),
                                             n=120, batch=15)
    assert [r["verdict"] for r in results] == ["alive"] * 120
    assert len(server.arrivals) == 120
    assert len(workers) == 2  # both workers checked links of the host at the same time...
    assert server.max_in_flight <= 2  # ...yet the server never saw more than the host's budget in flight
    assert server.max_in_flight == 2  # and the budget was used, not serialised away


def test_a_hosts_rate_budget_holds_across_workers(budgets):
    client, shared = budgets
    results, workers, server = _check_spread(client, shared, 0.0, Politeness(requests_per_second=20, concurrency=8),
                                             n=60, batch=10)
    assert len(results) == len(server.arrivals) == 60
    assert len(workers) == 2
    # 20 requests/s for the host, whichever worker sends them; two workers on their own budgets would send 40/s.
    # Two of slack for arrival jitter on a loaded machine (counts at the server, not odq's own durations).
    assert server.most_in_any_second() <= 20 + 2


# -- errors ---------------------------------------------------------------------------------------------------
def test_an_unreachable_scheduler_is_one_line(tmp_path):
    code, output = _odq("assess", "--all", "--db", f"sqlite:///{tmp_path / 'odq.sqlite'}",
                        "--scheduler", "tcp://127.0.0.1:9")
    assert code == 2, output
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: --scheduler tcp://127.0.0.1:9: cannot reach"), output


def test_a_sqlite_store_is_refused_when_a_worker_is_on_another_machine(tmp_path):
    class Remote:
        def scheduler_info(self, n_workers: int = 5) -> dict:
            return {"workers": {"tcp://127.0.0.1:40001": {}, "tcp://10.0.0.7:40001": {}}}

    class Local:
        def scheduler_info(self, n_workers: int = 5) -> dict:
            return {"workers": {"tcp://127.0.0.1:40001": {}, "tcp://[::1]:40002": {}}}

    store = Store(f"sqlite:///{tmp_path / 'odq.sqlite'}")
    with pytest.raises(ClusterError, match="SQLite file, which workers on other machines cannot share"):
        shared_store_url(store, Remote(), "tcp://10.0.0.1:8786")
    assert shared_store_url(store, Local(), "tcp://127.0.0.1:8786") == store.url
    postgres = type("S", (), {"url": "postgresql+psycopg://odq@db.example/odq"})()
    assert shared_store_url(postgres, Remote(), "tcp://10.0.0.1:8786") == postgres.url
