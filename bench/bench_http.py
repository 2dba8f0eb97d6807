"""HTTP client benchmark: what the guard, pinning and the deadline cost, and what the lookup cache saves.

1. Requests per second to a loopback server through `Http` (parse once, checked and pinned connection, deadline
   read loop) against a bare `requests.Session` in the same run.
2. Link checks of N URLs over H hosts while the resolver is failing (EAI_AGAIN after a simulated delay): with the
   per-host lookup cache against the same client with the cache disabled (every URL asks the resolver again).

    python bench/bench_http.py --requests 2000 --links 2000 --hosts 20 --dns-delay 0.05
"""

from __future__ import annotations

import argparse
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402

from checks.links import check_links  # noqa: E402
from harvester import guard as guard_module  # noqa: E402
from harvester.http import Http, Politeness  # noqa: E402


class _Ok(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body in separate writes would otherwise wait on delayed ACKs

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        body = b"a,b\n1,2\n" * 64
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def _throughput(n: int) -> None:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Ok)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{httpd.server_address[1]}/data.csv"
    session = requests.Session()
    session.trust_env = False
    http = Http(allow_hosts=["127.0.0.1"], politeness=Politeness(0, 8))
    http.session.trust_env = False
    try:
        for client, get in (("requests.Session", lambda: session.get(url).content),
                            ("odq Http", lambda: http.get(url).body)):
            get()  # warm the pool
            started = time.perf_counter()
            for _ in range(n):
                get()
            elapsed = time.perf_counter() - started
            print(f"{client:18s} {n / elapsed:8.0f} requests/s")
            if client == "requests.Session":
                base = elapsed
        print(f"Http / requests time ratio: {elapsed / base:.2f}")
    finally:
        httpd.shutdown()
        http.close()


def _failing_resolver(delay: float, calls: list[str]):
    def resolve(host: str, *args: object, **kwargs: object) -> object:
        calls.append(host)
        time.sleep(delay)
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    return resolve


def _links(n: int, hosts: int, delay: float) -> None:
    urls = [f"http://portal{i % hosts}.example.org/files/{i}.csv" for i in range(n)]
    real = socket.getaddrinfo
    results = {}
    try:
        for label, ttl in (("no lookup cache", 0.0), ("per-host cache", guard_module.TEMPORARY_FAILURE_TTL)):
            calls: list[str] = []
            socket.getaddrinfo = _failing_resolver(delay, calls)  # type: ignore[assignment]
            guard_module.TEMPORARY_FAILURE_TTL = ttl
            http = Http(politeness=Politeness(0, 8), retries=0)
            started = time.perf_counter()
            frame = check_links(http, urls, workers=8)
            elapsed = time.perf_counter() - started
            unknown = int((frame["verdict"] == "unknown").sum())
            results[label] = elapsed
            print(f"{label:16s} {elapsed:7.2f} s  lookups {len(calls):5d}  unknown {unknown}/{n}  dead "
                  f"{int((frame['verdict'] == 'dead').sum())}")
    finally:
        socket.getaddrinfo = real  # type: ignore[assignment]
    print(f"cache speed-up: {results['no lookup cache'] / results['per-host cache']:.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--links", type=int, default=2000)
    parser.add_argument("--hosts", type=int, default=20)
    parser.add_argument("--dns-delay", type=float, default=0.05, help="seconds each failing lookup takes")
    args = parser.parse_args()
    _throughput(args.requests)
    _links(args.links, args.hosts, args.dns_delay)


if __name__ == "__main__":
    main()
