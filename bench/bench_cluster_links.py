"""Link checks of a generated round: threads in one process vs a Dask LocalCluster with process workers.

A small asyncio server in its own process answers HEAD at once on 127.0.1.1 … 127.0.1.N (one loopback host per
portal, so every portal has its own politeness budget); the round's links are spread over those hosts. The same
URLs are checked three ways: threads here (one client, as `odq assess` does), the cluster with the cluster-wide
host budgets `--scheduler` uses, and the cluster with per-worker budgets (what the shared budget costs).

    python -m bench.bench_cluster_links --portals 200 --links 200000
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import platform
import time
from typing import Any

from checks.links import check_in_threads
from harvester.http import Http, Politeness
from odq.cluster_fetch import ClusterFetcher, FetchSettings
from odq.cluster_politeness import cluster_budgets

ANSWER = b"HTTP/1.1 200 OK\r\nContent-Type: text/csv\r\nContent-Length: 0\r\n\r\n"


def _serve(hosts: list[str], ready: Any) -> None:
    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                await reader.readuntil(b"\r\n\r\n")
                writer.write(ANSWER)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()

    async def main() -> None:
        server = await asyncio.start_server(answer, host=hosts, port=0, backlog=1024)
        ready.put({s.getsockname()[0]: s.getsockname()[1] for s in server.sockets})
        await server.serve_forever()

    asyncio.run(main())


def round_urls(ports: dict[str, int], links: int) -> list[str]:
    hosts = sorted(ports)
    return [f"http://{hosts[i % len(hosts)]}:{ports[hosts[i % len(hosts)]]}/p{i % len(hosts)}/file-{i}.csv"
            for i in range(links)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--portals", type=int, default=200)
    parser.add_argument("--links", type=int, default=200_000)
    parser.add_argument("--threads", type=int, default=16, help="threads of the local run")
    parser.add_argument("--workers", type=int, default=2, help="LocalCluster process workers")
    parser.add_argument("--batch-threads", type=int, default=8, help="threads of one link batch on a worker")
    parser.add_argument("--per-worker", action="store_true", help="also time per-worker budgets on the cluster")
    args = parser.parse_args()

    from distributed import Client, LocalCluster

    hosts = [f"127.0.1.{i}" for i in range(1, args.portals + 1)] if args.portals <= 254 else \
        [f"127.0.{1 + i // 254}.{1 + i % 254}" for i in range(args.portals)]
    ready: Any = multiprocessing.Queue()
    server = multiprocessing.Process(target=_serve, args=(hosts, ready), daemon=True)
    server.start()
    ports = ready.get(timeout=30)
    urls = round_urls(ports, args.links)
    politeness = Politeness(requests_per_second=1000, concurrency=4)  # per portal host: not the limit here
    print(f"{platform.node()}: {multiprocessing.cpu_count()} cores; {len(hosts)} portal hosts, {len(urls):,} links")
    timings: dict[str, float] = {}

    http = Http(allow_hosts=hosts, politeness=politeness)
    started = time.perf_counter()
    results = check_in_threads(http, urls, args.threads)
    timings[f"threads ({args.threads})"] = time.perf_counter() - started
    http.close()
    assert sum(r["verdict"] == "alive" for r in results) == len(urls), "the local run lost links"

    with LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True, dashboard_address=None,
                      host="127.0.0.1") as cluster, Client(cluster):
        from distributed import get_client

        shared = cluster_budgets(get_client())
        runs = [("cluster, shared host budgets", shared)] + ([("cluster, per-worker budgets", None)]
                                                              if args.per_worker else [])
        for name, budgets in runs:
            fetcher = ClusterFetcher(FetchSettings(tuple(hosts), politeness, budgets, args.batch_threads))
            started = time.perf_counter()
            results = fetcher.check_links(urls)
            timings[f"{name} ({args.workers} workers x {args.batch_threads} threads)"] = time.perf_counter() - started
            assert sum(r["verdict"] == "alive" for r in results) == len(urls), f"{name} lost links"
    server.terminate()

    base = next(iter(timings.values()))
    for name, seconds in timings.items():
        print(f"{name:>58}: {seconds:8.1f} s  {len(urls) / seconds:8.0f} links/s  ratio {seconds / base:.2f}")


if __name__ == "__main__":
    main()
