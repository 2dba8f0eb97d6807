"""A local CKAN-compatible portal over a list of packages: the offline demo portal and the tests' replay server.

It implements the parts of the CKAN action API odq uses (package_search with sort, fq ranges on
metadata_created/metadata_modified, rows/start; package_show; package_list; organization_list;
group_list), serves data files, and can replay "the web": resource URLs are rewritten to
`{base}/web/<scheme>/<host>/<path>` and answer 404 for a given set of URLs, 200 otherwise.
Faults can be injected to test what a harvest does when a portal breaks down.
"""

from __future__ import annotations

import bisect
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

import orjson

MAX_ROWS = 1000  # CKAN's default ckan.search.rows_max
_GROUP = re.compile(r'groups:"?([^"\s]+)"?')
_RANGE = re.compile(r"(metadata_created|metadata_modified):\[(\S+) TO (\S+)\]")


Route = Callable[[dict[str, str], bytes, str], tuple[int, bytes, str]]


@dataclass
class Faults:
    """Ways the portal can misbehave, for tests of what a harvest does then."""

    fail_search_after: int | None = None  # package_search answers 500 after this many successful calls
    fail_rows_above: int | None = None  # package_search answers 503 when asked for more rows than this
    search_disabled: bool = False  # package_search answers 404 (old or stripped-down portals)


@dataclass
class ReplayCatalogue:
    packages: list[dict[str, Any]]
    organizations: list[dict[str, Any]] = field(default_factory=list)
    groups: list[dict[str, Any]] = field(default_factory=list)
    files: dict[str, tuple[bytes, str]] = field(default_factory=dict)  # path -> (body, content type)
    web_not_found: set[str] = field(default_factory=set)  # original URLs the replayed web answers 404 for
    rewrite_urls: bool = False  # point resource URLs at the replayed web
    # Dynamic endpoints for other portal APIs (Socrata, OpenDataSoft, vendor JSON APIs...):
    # path -> handler(params, body, base_url) -> (status, body, content type).
    routes: dict[str, Route] = field(default_factory=dict)


def web_url(base: str, url: str) -> str:
    """Where a rewritten resource URL points on the replay server."""
    parts = urlsplit(url)
    tail = quote(parts.path.lstrip("/"), safe="/%") + (f"?{parts.query}" if parts.query else "")
    return f"{base}/web/{parts.scheme}/{parts.netloc}/{tail}"


class _Index:
    """Packages serialised once; sorted by (metadata_created, id) for keyset paging."""

    def __init__(self, catalogue: ReplayCatalogue, base: str) -> None:
        self.base = base
        rows = []
        for package in catalogue.packages:
            if catalogue.rewrite_urls:
                package = _rewrite(package, base)
            body = orjson.dumps(package).replace(b"{base}", base.encode())
            groups = frozenset(g.get("name") for g in package.get("groups") or [] if isinstance(g, dict))
            rows.append((str(package.get("metadata_created") or ""), str(package.get("id")),
                         str(package.get("metadata_modified") or ""), package.get("name"), body, groups))
        rows.sort(key=lambda r: (r[0], r[1]))
        self.created = [r[0] for r in rows]
        self.groups = [r[5] for r in rows]
        self.rows = rows
        self.by_key = {}
        for index, row in enumerate(rows):
            self.by_key[row[1]] = index
            if row[3]:
                self.by_key[row[3]] = index


def _rewrite(package: dict[str, Any], base: str) -> dict[str, Any]:
    package = dict(package)
    resources = []
    for resource in package.get("resources") or []:
        resource = dict(resource)
        url = resource.get("url") or ""
        if url.startswith(("http://", "https://")):
            resource["url"] = web_url(base, url)
        resources.append(resource)
    package["resources"] = resources
    return package


class ReplayServer:
    """Serves a ReplayCatalogue on a free loopback port; use as a context manager."""

    def __init__(
        self, catalogue: ReplayCatalogue, host: str = "127.0.0.1", faults: Faults | None = None, port: int = 0
    ) -> None:
        self.catalogue = catalogue
        self.faults = faults or Faults()
        self.requests: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._search_calls = 0
        self._httpd = ThreadingHTTPServer((host, port), self._handler())
        self._httpd.daemon_threads = True
        self.host = host
        self.port = self._httpd.server_address[1]
        self.base = f"http://{host}:{self.port}"
        self.index = _Index(catalogue, self.base)
        self.web_not_found = {web_url(self.base, u) for u in catalogue.web_not_found}
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="odq-replay", daemon=True)

    def __enter__(self) -> ReplayServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    # -- the API ---------------------------------------------------------------------------------
    def package_search(self, params: dict[str, str]) -> tuple[int, bytes]:
        with self._lock:
            self._search_calls += 1
            calls = self._search_calls
        faults = self.faults
        if faults.search_disabled:
            return 404, _error("Action package_search not found")
        rows = min(int(params.get("rows", 10)), MAX_ROWS)
        start = int(params.get("start", 0))
        if faults.fail_rows_above is not None and rows > faults.fail_rows_above:
            return 503, b"<html>upstream timed out</html>"
        if faults.fail_search_after is not None and calls > faults.fail_search_after:
            return 500, _error("Internal server error")
        selected = self._filtered(params.get("fq", ""))
        group = _GROUP.search(params.get("fq", ""))
        if group:
            selected = [i for i in selected if group.group(1) in self.index.groups[i]]
        sort = params.get("sort", "").replace(" ", "")
        if sort not in ("", "metadata_createdasc,idasc", "metadata_createdasc"):
            key, _, direction = params["sort"].split(",")[0].strip().partition(" ")
            column = {"id": 1, "metadata_created": 0, "metadata_modified": 2, "name": 3}.get(key, 0)
            selected = sorted(selected, key=lambda i: str(self.index.rows[i][column] or ""),
                              reverse=direction.strip() == "desc")
        page = selected[start : start + rows]
        bodies = b",".join(self.index.rows[i][4] for i in page)
        return 200, (b'{"help":"replay","success":true,"result":{"count":%d,"sort":%s,"results":[%s]}}'
                     % (len(selected), orjson.dumps(params.get("sort", "")), bodies))

    def _filtered(self, fq: str) -> list[int]:
        rows = self.index.rows
        low = 0
        modified_from = None
        for column, start, _end in _RANGE.findall(fq):
            value = start.rstrip("Z") if start != "*" else ""
            if column == "metadata_created":
                low = bisect.bisect_left(self.index.created, value)
            else:
                modified_from = value
        selected = range(low, len(rows))
        if modified_from:
            return [i for i in selected if rows[i][2] >= modified_from]
        return list(selected)

    def action(self, name: str, params: dict[str, str]) -> tuple[int, bytes]:
        if name == "package_search":
            return self.package_search(params)
        if name == "package_show":
            index = self.index.by_key.get(params.get("id", ""))
            if index is None:
                return 404, _error("Not found")
            return 200, b'{"help":"replay","success":true,"result":%s}' % self.index.rows[index][4]
        if name == "package_list":
            names = [r[3] or r[1] for r in self.index.rows]
            return 200, orjson.dumps({"help": "replay", "success": True, "result": names})
        if name in ("organization_list", "group_list"):
            items = self.catalogue.organizations if name == "organization_list" else self.catalogue.groups
            result = items if params.get("all_fields") in ("true", "True", "1") else [i["name"] for i in items]
            return 200, orjson.dumps({"help": "replay", "success": True, "result": result})
        if name == "status_show":
            return 200, orjson.dumps({"success": True, "result": {"ckan_version": "2.9.0-replay"}})
        return 400, _error(f"Bad request - Action name not known: {name}")

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # quiet: tests read counters instead
                pass

            def do_HEAD(self) -> None:
                self._serve(head=True)

            def do_GET(self) -> None:
                self._serve(head=False)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self._serve(head=False, body=self.rfile.read(length) if length else b"")

            def _serve(self, head: bool, body: bytes = b"") -> None:
                parts = urlsplit(self.path)
                path = unquote(parts.path)
                with server._lock:
                    server.requests[path] += 1
                params = {k: v[-1] for k, v in parse_qs(parts.query).items()}
                content_type = "application/json;charset=utf-8"
                route = server.catalogue.routes.get(path)
                if route is not None:
                    status, body, content_type = route(params, body, server.base)
                elif path.startswith(("/api/3/action/", "/api/action/")):
                    status, body = server.action(path.rsplit("/", 1)[-1], params)
                elif path.startswith("/web/"):
                    status, body, content_type = server._web(self.path)
                else:
                    entry = server.catalogue.files.get(path.lstrip("/"))
                    status, body, content_type = (200, *entry) if entry else (404, b"not found", "text/plain")
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if not head:
                    self.wfile.write(body)

        return Handler

    def _web(self, raw_path: str) -> tuple[int, bytes, str]:
        if f"{self.base}{raw_path}" in self.web_not_found:
            return 404, b"not found", "text/html"
        return 200, b"replayed", "application/octet-stream"


def _error(message: str) -> bytes:
    return orjson.dumps({"help": "replay", "success": False, "error": {"message": message, "__type": "Error"}})


def load_jsonl_envelopes(lines: Iterable[bytes | str]) -> list[dict[str, Any]]:
    """package_show envelopes, one JSON per line, as package dicts (lines that are not JSON are skipped)."""
    packages = []
    for line in lines:
        if not line.strip():
            continue
        try:
            envelope = orjson.loads(line)
        except orjson.JSONDecodeError:
            continue
        packages.append(envelope.get("result", envelope) if isinstance(envelope, dict) else envelope)
    return packages


def catalogue_from_packages(packages: list[dict[str, Any]], **kwargs: Any) -> ReplayCatalogue:
    """A replay catalogue whose organization and group lists are those the packages refer to."""
    organizations: dict[str, dict[str, Any]] = {}
    groups: dict[str, dict[str, Any]] = {}
    for package in packages:
        organization = package.get("organization")
        if isinstance(organization, dict) and organization.get("name"):
            organizations.setdefault(organization["name"], organization)
        for group in package.get("groups") or []:
            if isinstance(group, dict) and group.get("name"):
                groups.setdefault(group["name"], group)
    return ReplayCatalogue(packages, list(organizations.values()), list(groups.values()), **kwargs)
