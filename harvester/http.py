"""The one HTTP client: politeness per host, retries honouring Retry-After, byte caps, deadlines, the address guard.

Every connection goes to an address the guard resolved and checked (`_PinnedConnection`): the Host header and
the TLS name stay the URL's host, but DNS is not asked again between the check and the connect.
"""

from __future__ import annotations

import errno as errnos
import socket
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol
from urllib.parse import urljoin

import orjson
import requests
import urllib3.exceptions as u3
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.util import connection as u3_connection
from urllib3.util.retry import Retry

from harvester import __version__
from harvester.guard import AddressGuard, BlockedURL, UnresolvableHost

USER_AGENT = f"odq/{__version__} (open-data portal quality evaluator; +https://github.com/odq-project/odq)"
DEFAULT_MAX_BYTES = 64 * 1024 * 1024
DEFAULT_REQUEST_DEADLINE = 300.0  # seconds for one logical request, redirects and body included
MAX_REDIRECTS = 5
READ_PIECE = 64 * 1024
# Connect errors that come from our own network stack rather than from the far end.
_OUR_NETWORK = {errnos.ENETUNREACH, errnos.ENETDOWN, errnos.EHOSTUNREACH, errnos.EADDRNOTAVAIL}


class FetchError(Exception):
    """A request that did not give a usable answer: refused, unreachable, too large or an error status.

    `kind` is one of refused, dns, connect, timeout, deadline, tls, read, status, too-large, not-json, redirects.
    `odq_side` is True when the failure says nothing about the portal: our resolver failed (not a name that
    does not exist), our deadline ran out, a connect timed out (a dead host and a filtered egress look the
    same from here), our network has no route, or TLS could not be verified (our trust store or theirs).
    """

    def __init__(self, url: str, reason: str, status: int | None = None, *, kind: str | None = None,
                 odq_side: bool = False) -> None:
        super().__init__(f"{url}: {reason}")
        self.url = url
        self.reason = reason
        self.status = status
        self.kind = kind or ("status" if status is not None else "connect")
        self.odq_side = odq_side


class BodyTooLarge(FetchError):
    def __init__(self, url: str, reason: str, status: int | None = None) -> None:
        super().__init__(url, reason, status, kind="too-large")


class _PinnedConnection:
    """Connects to the guard's checked addresses for the host, never to a fresh DNS answer."""

    guard: ClassVar[AddressGuard]
    # set by urllib3's HTTPConnection
    _dns_host: str
    host: str
    port: int
    timeout: Any
    source_address: Any
    socket_options: Any

    def _new_conn(self) -> socket.socket:
        try:
            addresses = self.guard.addresses(self._dns_host, self.port)
        except UnresolvableHost as exc:
            raise u3.NameResolutionError(self.host, self, socket.gaierror(exc.errno or 0, str(exc))) from exc  # type: ignore[arg-type]
        except BlockedURL as exc:
            raise u3.NewConnectionError(self, f"refused: {exc}") from exc  # type: ignore[arg-type]
        last: OSError | None = None
        for address in addresses:
            try:
                return u3_connection.create_connection(
                    (address, self.port), self.timeout, source_address=self.source_address,
                    socket_options=self.socket_options,
                )
            except TimeoutError as exc:
                raise u3.ConnectTimeoutError(
                    self, f"Connection to {self.host} ({address}) timed out. (connect timeout={self.timeout})"
                ) from exc
            except OSError as exc:
                last = exc
        raise u3.NewConnectionError(self, f"Failed to establish a new connection: {last}") from last  # type: ignore[arg-type]


class _PinningAdapter(HTTPAdapter):
    """requests' adapter with connection pools whose connections are pinned by `guard`."""

    def __init__(self, guard: AddressGuard, **kwargs: Any) -> None:
        self._guard = guard  # init_poolmanager (called by the base __init__) needs it
        super().__init__(**kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        plain = type("PinnedHTTPConnection", (_PinnedConnection, HTTPConnection), {"guard": self._guard})
        tls = type("PinnedHTTPSConnection", (_PinnedConnection, HTTPSConnection), {"guard": self._guard})
        self.poolmanager.pool_classes_by_scheme = {
            "http": type("PinnedHTTPConnectionPool", (HTTPConnectionPool,), {"ConnectionCls": plain}),
            "https": type("PinnedHTTPSConnectionPool", (HTTPSConnectionPool,), {"ConnectionCls": tls}),
        }


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """The exception and what it wraps (requests wraps urllib3, which wraps the socket error)."""
    todo: list[BaseException] = [exc]
    seen: set[int] = set()
    while todo and len(seen) < 20:
        current = todo.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        todo.extend(e for e in (getattr(current, "reason", None), current.__cause__, current.__context__,
                                *current.args) if isinstance(e, BaseException))


def transport_error(url: str, exc: BaseException, *, status: int | None = None,
                    deadline_cut: bool = False, while_reading: bool = False) -> FetchError:
    """A FetchError with the kind of failure and whether it is on odq's side."""
    text = f"{type(exc).__name__}{' while reading' if while_reading else ''}: {exc}"
    causes = list(_causes(exc))
    for cause in causes:
        if isinstance(cause, BlockedURL):
            return FetchError(url, str(cause), status, kind=cause.kind, odq_side=cause.odq_side)
    # urllib3's NewConnectionError subclasses ConnectTimeoutError (for old callers): it is not a timeout.
    if any(isinstance(c, requests.ConnectTimeout) or (isinstance(c, u3.ConnectTimeoutError)
                                                       and not isinstance(c, u3.NewConnectionError))
           for c in causes):
        return FetchError(url, text, status, kind="timeout", odq_side=True)
    if any(isinstance(c, (u3.ReadTimeoutError, requests.ReadTimeout, TimeoutError)) for c in causes):
        if deadline_cut:
            return FetchError(url, f"no answer within the request deadline ({text})", status, kind="deadline",
                              odq_side=True)
        return FetchError(url, text, status, kind="timeout")
    if any(isinstance(c, (u3.SSLError, requests.exceptions.SSLError)) for c in causes):
        return FetchError(url, text, status, kind="tls", odq_side=True)
    for cause in causes:
        if isinstance(cause, socket.gaierror):
            return FetchError(url, text, status, kind="dns",
                              odq_side=cause.errno not in (socket.EAI_NONAME, getattr(socket, "EAI_NODATA", -5)))
    if any(isinstance(c, (u3.ProxyError, requests.exceptions.ProxyError)) for c in causes):
        return FetchError(url, text, status, kind="connect", odq_side=True)
    if while_reading:
        return FetchError(url, text, status, kind="read")
    our_network = any(isinstance(c, OSError) and c.errno in _OUR_NETWORK for c in causes)
    return FetchError(url, text, status, kind="connect", odq_side=our_network)


@dataclass(frozen=True, slots=True)
class Politeness:
    requests_per_second: float = 4.0
    concurrency: int = 2

    @classmethod
    def from_profile(cls, data: Mapping[str, Any] | None) -> Politeness:
        data = data or {}
        defaults = cls()
        return cls(
            requests_per_second=float(data.get("requests_per_second", defaults.requests_per_second)),
            concurrency=int(data.get("concurrency", defaults.concurrency)),
        )


@dataclass(slots=True)
class Response:
    url: str  # the final URL after redirects
    status: int
    headers: Mapping[str, str]
    body: bytes
    elapsed: float
    redirects: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "").split(";")[0].strip().lower()

    def json(self) -> Any:
        return orjson.loads(self.body)


class _HostBudget:
    """Spacing between request starts and a cap on requests in flight, for one host."""

    def __init__(self, politeness: Politeness) -> None:
        self.slots = threading.BoundedSemaphore(max(1, politeness.concurrency))
        self.interval = 1.0 / politeness.requests_per_second if politeness.requests_per_second > 0 else 0.0
        self.lock = threading.Lock()
        self.next_start = 0.0

    def __enter__(self) -> None:
        self.slots.acquire()
        with self.lock:
            now = time.monotonic()
            wait = self.next_start - now
            self.next_start = max(now, self.next_start) + self.interval
        if wait > 0:
            time.sleep(wait)

    def __exit__(self, *exc: object) -> None:
        self.slots.release()


class SharedBudgets(Protocol):
    """Host budgets kept outside this process (a cluster's), so that every worker draws on the same one."""

    def slot(self, host: str, politeness: Politeness) -> AbstractContextManager[None]: ...


class Http:
    """Fetches bodies for adapters and link checks; every fetching rule lives here."""

    def __init__(
        self,
        *,
        allow_hosts: Iterable[str] = (),
        politeness: Politeness | None = None,
        max_bytes: int = DEFAULT_MAX_BYTES,
        connect_timeout: float = 10.0,
        read_timeout: float = 60.0,
        request_deadline: float = DEFAULT_REQUEST_DEADLINE,
        retries: int = 3,
        json_retries: int = 2,
        backoff: float = 0.5,
        max_retry_after: float = 120.0,
        user_agent: str = USER_AGENT,
        shared_budgets: SharedBudgets | None = None,
    ) -> None:
        self.guard = AddressGuard(allow_hosts)
        self.politeness = politeness or Politeness()
        self.max_bytes = max_bytes
        self.timeout = (connect_timeout, read_timeout)
        self.request_deadline = request_deadline
        self.json_retries = json_retries
        self.backoff = backoff
        self._budgets: dict[str, _HostBudget] = {}
        self.shared_budgets = shared_budgets  # None: this process's budgets, one per host
        self._budgets_lock = threading.Lock()
        self._stats_lock = threading.Lock()
        self.requests = 0
        self.bytes = 0
        self.session = requests.Session()
        self.session.headers.update({"User-Agent": user_agent, "Accept-Encoding": "gzip, deflate"})
        # retry_after_max caps what a hostile Retry-After can make us wait; 500 is retried too, since many
        # portals answer a transient overload with a plain 500.
        retry = Retry(
            total=retries,
            connect=retries,
            read=retries,
            status=retries,
            redirect=0,
            backoff_factor=backoff,
            backoff_max=30.0,
            status_forcelist=(429, 500, 502, 503, 504),
            allowed_methods=frozenset({"GET", "HEAD", "POST"}),
            respect_retry_after_header=True,
            retry_after_max=int(max_retry_after),
            raise_on_status=False,
            raise_on_redirect=False,
        )
        adapter = _PinningAdapter(self.guard, max_retries=retry, pool_maxsize=16)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

    def allow_host(self, host: str) -> None:
        self.guard.allow(host)

    def _budget(self, host: str) -> AbstractContextManager[None]:
        if self.shared_budgets is not None:
            return self.shared_budgets.slot(host, self.politeness)
        with self._budgets_lock:
            budget = self._budgets.get(host)
            if budget is None:
                budget = _HostBudget(self.politeness)
                self._budgets[host] = budget
            return budget

    def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        data: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        max_bytes: int | None = None,
    ) -> Response:
        """One logical request; redirects are followed by hand so every hop passes the guard.

        The request deadline covers every hop and the body: it is checked before each hop, caps the socket
        timeouts, and is checked after every read, so a server trickling bytes is cut off. (urllib3's own
        retries of a stalled header phase can overrun it by at most `retries` × the read timeout.)
        """
        cap = self.max_bytes if max_bytes is None else max_bytes
        redirects: list[str] = []
        started = time.monotonic()
        deadline = started + self.request_deadline
        for _hop in range(MAX_REDIRECTS + 1):
            try:
                target = self.guard.check(url)
            except BlockedURL as exc:
                raise FetchError(url, str(exc), kind=exc.kind, odq_side=exc.odq_side) from exc
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise self._deadline_error(url)
            connect_timeout, read_timeout = self.timeout
            cut = remaining < read_timeout  # a timeout now is our deadline, not the server's slowness
            with self._budget(target.host):
                try:
                    raw = self.session.request(
                        method, target.url, params=params, data=data, json=json, headers=headers,
                        timeout=(min(connect_timeout, remaining), min(read_timeout, remaining)),
                        allow_redirects=False, stream=True,
                    )
                except requests.RequestException as exc:
                    raise transport_error(url, exc, deadline_cut=cut) from exc
                with raw:
                    body = b"" if method == "HEAD" else self._read_capped(raw, url, cap, deadline)
            with self._stats_lock:
                self.requests += 1
                self.bytes += len(body)
            location = raw.headers.get("Location")
            if raw.is_redirect and location:
                url = urljoin(raw.url, location)
                if headers and self._host_of(url) != target.host:  # no credentials to another host
                    headers = {k: v for k, v in headers.items() if k.lower() not in ("authorization", "cookie")}
                redirects.append(url)
                params = None  # the Location already carries the query
                if raw.status_code == 303 or (raw.status_code in (301, 302) and method == "POST"):
                    method, data, json = "GET", None, None
                continue
            return Response(raw.url, raw.status_code, raw.headers, body, time.monotonic() - started, redirects)
        raise FetchError(url, f"more than {MAX_REDIRECTS} redirects", kind="redirects")

    def _host_of(self, url: str) -> str | None:
        try:
            return self.guard.parse(url)[1]
        except BlockedURL:
            return None  # the next hop's guard check refuses it with the reason

    def _deadline_error(self, url: str, status: int | None = None) -> FetchError:
        return FetchError(url, f"request deadline of {self.request_deadline:g} s exceeded (odq's limit; the "
                               "server was still answering)", status, kind="deadline", odq_side=True)

    def _read_capped(self, raw: requests.Response, url: str, cap: int, deadline: float) -> bytes:
        declared = raw.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > cap:
            raise BodyTooLarge(url, f"body of {int(declared):,} bytes exceeds the cap of {cap:,}", raw.status_code)
        chunks: list[bytes] = []
        size = 0
        stream = raw.raw
        try:
            # read1 returns as soon as any bytes arrive, so a trickling server meets the deadline check.
            while True:
                if time.monotonic() > deadline:
                    raise self._deadline_error(url, raw.status_code)
                chunk = stream.read1(READ_PIECE, decode_content=True)
                if not chunk:
                    break
                size += len(chunk)
                if size > cap:
                    raise BodyTooLarge(url, f"body exceeds the cap of {cap:,} bytes", raw.status_code)
                chunks.append(chunk)
        except (requests.RequestException, u3.HTTPError, OSError) as exc:
            if time.monotonic() >= deadline - 0.05:  # the socket timeout was shortened to meet the deadline
                raise self._deadline_error(url, raw.status_code) from exc
            raise transport_error(url, exc, status=raw.status_code, while_reading=True) from exc
        return b"".join(chunks)

    def get(self, url: str, **kwargs: Any) -> Response:
        return self.request("GET", url, **kwargs)

    def head(self, url: str, **kwargs: Any) -> Response:
        return self.request("HEAD", url, **kwargs)

    def get_json(self, url: str, **kwargs: Any) -> Any:
        """GET and parse JSON; a non-2xx answer or a body that is not JSON is a FetchError.

        A 2xx body that looks like JSON cut short (or is empty) is fetched again `json_retries` times: a page
        truncated by a proxy or a restarting server is transient, an HTML page is not.
        """
        for attempt in range(self.json_retries + 1):
            response = self.get(url, **kwargs)
            if not response.ok:
                raise FetchError(url, f"HTTP {response.status}", response.status, kind="status")
            try:
                return response.json()
            except orjson.JSONDecodeError as exc:
                start = response.body.lstrip()[:1]
                if attempt < self.json_retries and start in (b"", b"{", b"["):
                    time.sleep(self.backoff * (2**attempt))
                    continue
                tries = f" after {attempt + 1} tries" if attempt else ""
                raise FetchError(url, f"answer is not JSON{tries} ({exc})", response.status, kind="not-json") from exc
        raise AssertionError("unreachable")

    def close(self) -> None:
        self.session.close()
