"""The one HTTP client: politeness per host, retries honouring Retry-After, byte caps, the address guard."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import orjson
import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from harvester import __version__
from harvester.guard import AddressGuard, BlockedURL

USER_AGENT = f"odq/{__version__} (open-data portal quality evaluator; +https://github.com/odq-project/odq)"
DEFAULT_MAX_BYTES = 64 * 1024 * 1024
MAX_REDIRECTS = 5


class FetchError(Exception):
    """A request that did not give a usable answer: refused, unreachable, too large or an error status."""

    def __init__(self, url: str, reason: str, status: int | None = None) -> None:
        super().__init__(f"{url}: {reason}")
        self.url = url
        self.reason = reason
        self.status = status


class BodyTooLarge(FetchError):
    pass


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
        retries: int = 3,
        backoff: float = 0.5,
        max_retry_after: float = 120.0,
        user_agent: str = USER_AGENT,
    ) -> None:
        self.guard = AddressGuard(allow_hosts)
        self.politeness = politeness or Politeness()
        self.max_bytes = max_bytes
        self.timeout = (connect_timeout, read_timeout)
        self._budgets: dict[str, _HostBudget] = {}
        self._budgets_lock = threading.Lock()
        self._stats_lock = threading.Lock()
        self.requests = 0
        self.bytes = 0
        self.session = requests.Session()
        self.session.headers.update({"User-Agent": user_agent, "Accept-Encoding": "gzip, deflate"})
        # retry_after_max caps what a hostile Retry-After can make us wait.
        retry = Retry(
            total=retries,
            connect=retries,
            read=retries,
            status=retries,
            redirect=0,
            backoff_factor=backoff,
            backoff_max=30.0,
            status_forcelist=(429, 502, 503, 504),
            allowed_methods=frozenset({"GET", "HEAD", "POST"}),
            respect_retry_after_header=True,
            retry_after_max=int(max_retry_after),
            raise_on_status=False,
            raise_on_redirect=False,
        )
        adapter = HTTPAdapter(max_retries=retry, pool_maxsize=16)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

    def allow_host(self, host: str) -> None:
        self.guard.allow(host)

    def _budget(self, host: str) -> _HostBudget:
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
        """One logical request; redirects are followed by hand so every hop passes the guard."""
        cap = self.max_bytes if max_bytes is None else max_bytes
        redirects: list[str] = []
        started = time.monotonic()
        for _hop in range(MAX_REDIRECTS + 1):
            try:
                self.guard.check(url)
            except BlockedURL as exc:
                raise FetchError(url, str(exc)) from exc
            host = (urlsplit(url).hostname or "").lower()
            with self._budget(host):
                try:
                    raw = self.session.request(
                        method, url, params=params, data=data, json=json, headers=headers,
                        timeout=self.timeout, allow_redirects=False, stream=True,
                    )
                except requests.RequestException as exc:
                    raise FetchError(url, f"{type(exc).__name__}: {exc}") from exc
                with raw:
                    body = b"" if method == "HEAD" else self._read_capped(raw, url, cap)
            with self._stats_lock:
                self.requests += 1
                self.bytes += len(body)
            location = raw.headers.get("Location")
            if raw.is_redirect and location:
                url = urljoin(raw.url, location)
                if headers and (urlsplit(url).hostname or "").lower() != host:  # no credentials to another host
                    headers = {k: v for k, v in headers.items() if k.lower() not in ("authorization", "cookie")}
                redirects.append(url)
                params = None  # the Location already carries the query
                if raw.status_code == 303 or (raw.status_code in (301, 302) and method == "POST"):
                    method, data, json = "GET", None, None
                continue
            return Response(raw.url, raw.status_code, raw.headers, body, time.monotonic() - started, redirects)
        raise FetchError(url, f"more than {MAX_REDIRECTS} redirects")

    @staticmethod
    def _read_capped(raw: requests.Response, url: str, cap: int) -> bytes:
        declared = raw.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > cap:
            raise BodyTooLarge(url, f"body of {int(declared):,} bytes exceeds the cap of {cap:,}", raw.status_code)
        chunks: list[bytes] = []
        size = 0
        try:
            for chunk in raw.iter_content(chunk_size=256 * 1024):
                size += len(chunk)
                if size > cap:
                    raise BodyTooLarge(url, f"body exceeds the cap of {cap:,} bytes", raw.status_code)
                chunks.append(chunk)
        except requests.RequestException as exc:
            raise FetchError(url, f"{type(exc).__name__} while reading: {exc}", raw.status_code) from exc
        return b"".join(chunks)

    def get(self, url: str, **kwargs: Any) -> Response:
        return self.request("GET", url, **kwargs)

    def head(self, url: str, **kwargs: Any) -> Response:
        return self.request("HEAD", url, **kwargs)

    def get_json(self, url: str, **kwargs: Any) -> Any:
        """GET and parse JSON; a non-2xx answer or a body that is not JSON is a FetchError."""
        response = self.get(url, **kwargs)
        if not response.ok:
            raise FetchError(url, f"HTTP {response.status}", response.status)
        try:
            return response.json()
        except orjson.JSONDecodeError as exc:
            raise FetchError(url, f"answer is not JSON ({exc})", response.status) from exc

    def close(self) -> None:
        self.session.close()
