"""A CKAN replay portal that misbehaves on purpose: for the tests and the benchmark of what a harvest survives.

Faults act on package_search only (the listing), at the HTTP level or in the answer's content:
server errors (every call, after a number of calls, or a seeded share), stalls beyond a client's timeout,
429 with Retry-After, truncated JSON, an ignored `fq`, a count larger than what is listed, an empty listing,
repeated ids, and a body trickled a byte at a time.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import orjson

from odq.replay import ReplayCatalogue, ReplayServer

SEARCH_PATHS = ("/api/3/action/package_search", "/api/action/package_search")


@dataclass
class WireFaults:
    """How package_search misbehaves; calls are counted from 1, and `rows=0` count probes count too."""

    error_status: int = 500
    error_always: bool = False  # every call fails, whatever the page size
    error_after: int | None = None  # calls after this many fail
    error_after_pages: int | None = None  # listing pages (rows > 0) after this many fail; count probes answer
    error_share: float = 0.0  # this share of calls fail, drawn from a seeded generator
    seed: int = 7
    stall_seconds: float = 0.0  # how long a stalled call waits before answering
    stall_calls: frozenset[int] = frozenset()  # which calls stall (empty: none)
    stall_always: bool = False
    rate_limited_calls: frozenset[int] = frozenset()  # these calls answer 429 with Retry-After
    retry_after: int = 1
    truncated_calls: frozenset[int] = frozenset()  # these calls answer 200 with half a JSON body
    truncate_always: bool = False
    ignore_fq: bool = False  # answer as if no fq had been given (some CKAN-compatible APIs do)
    count_extra: int = 0  # the count says this many more datasets than the listing holds
    repeat_first: bool = False  # each page's last entry is replaced by its first one (a repeated id)
    trickle_bytes_per_second: float | None = None  # the body is sent at this rate, one byte at a time
    slow_seconds: float = 0.0  # every listing page waits this long (a slow portal, to time kills by)


class FaultyCkanServer(ReplayServer):
    """ReplayServer with WireFaults on package_search; `served_ids` holds the ids the listing really has."""

    def __init__(self, catalogue: ReplayCatalogue, wire: WireFaults | None = None, **kwargs: Any) -> None:
        self.wire = wire or WireFaults()
        self._rng = random.Random(self.wire.seed)
        self._fault_lock = threading.Lock()
        self.search_calls = 0
        self.listing_pages = 0
        self.injected: dict[str, int] = {}
        super().__init__(catalogue, **kwargs)
        self.served_ids = {row[1] for row in self.index.rows}

    def package_search(self, params: dict[str, str]) -> tuple[int, bytes]:
        if self.wire.ignore_fq:
            params = {k: v for k, v in params.items() if k != "fq"}
        status, body = super().package_search(params)
        if status != 200 or not (self.wire.count_extra or self.wire.repeat_first):
            return status, body
        envelope = orjson.loads(body)
        result = envelope["result"]
        result["count"] += self.wire.count_extra
        if self.wire.repeat_first and len(result["results"]) > 1:
            result["results"][-1] = result["results"][0]
        return status, orjson.dumps(envelope)

    def _fault(self, params: dict[str, str]) -> tuple[int, str | None]:
        """This call's number and the fault it gets (None: answer normally)."""
        wire = self.wire
        is_page = params.get("rows", "10").strip() not in ("0", "")
        with self._fault_lock:
            self.search_calls += 1
            call = self.search_calls
            self.listing_pages += is_page
            pages = self.listing_pages
            draw = self._rng.random()
        kind = None
        if call in wire.rate_limited_calls:
            kind = "429"
        elif (wire.error_always or (wire.error_after is not None and call > wire.error_after)
              or (wire.error_after_pages is not None and is_page and pages > wire.error_after_pages)
              or draw < wire.error_share):
            kind = "error"
        elif wire.stall_always or call in wire.stall_calls:
            kind = "stall"
        elif wire.truncate_always or call in wire.truncated_calls:
            kind = "truncate"
        elif wire.trickle_bytes_per_second:
            kind = "trickle"
        if kind:
            with self._fault_lock:
                self.injected[kind] = self.injected.get(kind, 0) + 1
        return call, kind

    def _handler(self) -> type:
        base = super()._handler()
        server = self

        class Handler(base):  # type: ignore[misc, valid-type]
            def _serve(self, head: bool, body: bytes = b"") -> None:
                parts = urlsplit(self.path)
                if unquote(parts.path) not in SEARCH_PATHS:
                    super()._serve(head, body)
                    return
                with server._lock:
                    server.requests[unquote(parts.path)] += 1
                params = {k: v[-1] for k, v in parse_qs(parts.query).items()}
                _call, kind = server._fault(params)
                if server.wire.slow_seconds:
                    time.sleep(server.wire.slow_seconds)
                if kind == "429":
                    self._answer(429, b'{"success": false}', {"Retry-After": str(server.wire.retry_after)})
                    return
                if kind == "error":
                    self._answer(server.wire.error_status, b"<html>Internal Server Error</html>")
                    return
                if kind == "stall":
                    time.sleep(server.wire.stall_seconds)
                status, answer = server.package_search(params)
                if kind == "truncate" and status == 200:
                    answer = answer[: len(answer) // 2]
                if kind == "trickle":
                    self._trickle(status, answer, server.wire.trickle_bytes_per_second or 1.0)
                    return
                self._answer(status, answer)

            def _answer(self, status: int, payload: bytes, headers: dict[str, str] | None = None) -> None:
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json;charset=utf-8")
                    self.send_header("Content-Length", str(len(payload)))
                    for name, value in (headers or {}).items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:  # the client gave up (its timeout): nothing to answer to
                    self.close_connection = True

            def _trickle(self, status: int, payload: bytes, rate: float) -> None:
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json;charset=utf-8")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.flush()
                    for i in range(len(payload)):
                        self.wfile.write(payload[i : i + 1])
                        self.wfile.flush()
                        time.sleep(1 / rate)
                except OSError:
                    self.close_connection = True

        return Handler
