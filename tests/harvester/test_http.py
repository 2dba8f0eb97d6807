"""The one HTTP client, against loopback servers only: bodies, caps, redirects under the guard, retries, politeness.

Timing checks are lower bounds only (a slow machine can only make them pass more easily).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import orjson
import pytest

from harvester.http import (
    MAX_REDIRECTS,
    USER_AGENT,
    BodyTooLarge,
    FetchError,
    Http,
    Politeness,
)
from tests.conftest import unavailable

# No spacing between requests unless a test asks for it, so the suite stays fast.
UNTHROTTLED = Politeness(requests_per_second=0, concurrency=8)


# --- a small loopback server ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Hit:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    at: float  # time.monotonic() when the request line and headers had arrived


Route = Callable[["_Handler"], None]


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int]) -> None:
        super().__init__(address, _Handler)
        self.routes: dict[str, Route] = {}
        self.hits: list[Hit] = []
        self.hits_lock = threading.Lock()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format, *args):  # noqa: A002 - the signature is the base class's
        pass

    def _dispatch(self) -> None:
        at = time.monotonic()
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        with self.server.hits_lock:
            self.server.hits.append(Hit(self.command, self.path, dict(self.headers.items()), body, at))
        route = self.server.routes.get(urlsplit(self.path).path)
        try:
            if route is None:
                reply(self, 404, b"not found")
            else:
                route(self)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up on purpose (byte caps)

    do_GET = do_HEAD = do_POST = _dispatch


def reply(
    handler: _Handler,
    status: int,
    body: bytes = b"",
    *,
    content_type: str = "text/plain; charset=utf-8",
    headers: dict[str, str] | None = None,
) -> None:
    """A complete answer with Content-Length; HEAD gets the headers only."""
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(body)))
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    handler.end_headers()
    if handler.command != "HEAD":
        handler.wfile.write(body)


class LoopbackServer:
    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.httpd = _Server((host, 0))
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def url(self, path: str = "/") -> str:
        return f"http://{self.host}:{self.port}{path}"

    def route(self, path: str) -> Callable[[Route], Route]:
        def register(fn: Route) -> Route:
            self.httpd.routes[path] = fn
            return fn

        return register

    @property
    def hits(self) -> list[Hit]:
        with self.httpd.hits_lock:
            return list(self.httpd.hits)

    def hits_for(self, path: str) -> list[Hit]:
        return [hit for hit in self.hits if urlsplit(hit.path).path == path]

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


@pytest.fixture(autouse=True)
def _no_proxies(monkeypatch):
    """requests honours proxy variables; loopback tests must talk to loopback."""
    for name in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,127.0.0.2,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,127.0.0.2,localhost")


@pytest.fixture
def server():
    srv = LoopbackServer("127.0.0.1")
    yield srv
    srv.close()


@pytest.fixture
def canary():
    """A second loopback server on 127.0.0.2, never allow-listed: it must never be reached."""
    try:
        srv = LoopbackServer("127.0.0.2")
    except OSError as exc:
        unavailable(f"cannot bind 127.0.0.2 here: {exc}")
    yield srv
    srv.close()


@pytest.fixture
def make_http():
    clients: list[Http] = []

    def make(**kwargs) -> Http:
        kwargs.setdefault("allow_hosts", ["127.0.0.1"])
        kwargs.setdefault("politeness", UNTHROTTLED)
        kwargs.setdefault("backoff", 0.0)
        kwargs.setdefault("connect_timeout", 5.0)
        kwargs.setdefault("read_timeout", 5.0)
        client = Http(**kwargs)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def http(make_http):
    return make_http()


# --- plain GET / HEAD -----------------------------------------------------------------------------------------------


def test_get_returns_body_status_content_type_and_counts(server, http):
    payload = orjson.dumps({"success": True, "result": ["a", "b"]})

    @server.route("/api/3/action/package_list")
    def _(h):
        reply(h, 200, payload, content_type="application/json; charset=utf-8", headers={"X-Extra": "1"})

    url = server.url("/api/3/action/package_list")
    response = http.get(url)
    assert response.status == 200
    assert response.ok
    assert response.body == payload
    assert response.content_type == "application/json"
    assert response.headers["x-extra"] == "1"  # case-insensitive headers
    assert response.url == url
    assert response.redirects == []
    assert response.elapsed >= 0
    assert response.json() == {"success": True, "result": ["a", "b"]}
    assert http.requests == 1
    assert http.bytes == len(payload)

    http.get(url)
    assert http.requests == 2
    assert http.bytes == 2 * len(payload)
    assert len(server.hits) == 2


def test_get_passes_query_params(server, http):
    @server.route("/search")
    def _(h):
        reply(h, 200, b"ok")

    response = http.get(server.url("/search"), params={"q": "bus stops", "rows": 10})
    assert response.status == 200
    (hit,) = server.hits
    assert hit.path == "/search?q=bus+stops&rows=10"
    assert response.url == server.url("/search?q=bus+stops&rows=10")


def test_get_json(server, http):
    @server.route("/ok.json")
    def _(h):
        reply(h, 200, b'{"count": 3}', content_type="application/json")

    assert http.get_json(server.url("/ok.json")) == {"count": 3}


def test_user_agent_is_odq(server, http):
    @server.route("/")
    def _(h):
        reply(h, 200, b"hi")

    http.get(server.url("/"))
    (hit,) = server.hits
    assert hit.headers["User-Agent"].startswith("odq/")
    assert hit.headers["User-Agent"] == USER_AGENT


def test_user_agent_can_be_overridden(server, make_http):
    @server.route("/")
    def _(h):
        reply(h, 200, b"hi")

    make_http(user_agent="odq/test-suite").get(server.url("/"))
    assert server.hits[0].headers["User-Agent"] == "odq/test-suite"


def test_status_errors_are_returned_by_get(server, http):
    response = http.get(server.url("/missing"))
    assert response.status == 404
    assert not response.ok
    assert response.body == b"not found"


def test_head_returns_no_body_and_counts_no_bytes(server, make_http):
    @server.route("/big.csv")
    def _(h):
        reply(h, 200, b"x" * 5000, content_type="text/csv")

    http = make_http(max_bytes=100)  # a HEAD is not refused for the size the server declares
    response = http.head(server.url("/big.csv"))
    assert response.status == 200
    assert response.body == b""
    assert response.content_type == "text/csv"
    assert response.headers["Content-Length"] == "5000"
    assert http.requests == 1
    assert http.bytes == 0
    (hit,) = server.hits
    assert hit.method == "HEAD"


def test_post_sends_form_data(server, http):
    @server.route("/form")
    def _(h):
        reply(h, 200, b"done")

    response = http.request("POST", server.url("/form"), data={"a": "1"})
    assert response.status == 200
    (hit,) = server.hits
    assert hit.method == "POST"
    assert hit.body == b"a=1"


# --- byte caps ------------------------------------------------------------------------------------------------------


def test_body_over_cap_with_content_length(server, make_http):
    @server.route("/big")
    def _(h):
        reply(h, 200, b"x" * 2000)

    http = make_http(max_bytes=1000)
    with pytest.raises(BodyTooLarge) as exc:
        http.get(server.url("/big"))
    assert isinstance(exc.value, FetchError)
    assert exc.value.status == 200
    assert "2,000" in str(exc.value)
    assert exc.value.url == server.url("/big")


def test_per_call_cap_overrides_the_client_cap(server, make_http):
    @server.route("/big")
    def _(h):
        reply(h, 200, b"x" * 2000)

    http = make_http(max_bytes=10_000)
    assert http.get(server.url("/big")).body == b"x" * 2000
    with pytest.raises(BodyTooLarge):
        http.get(server.url("/big"), max_bytes=1999)


def test_body_exactly_at_cap_is_accepted(server, make_http):
    @server.route("/exact")
    def _(h):
        reply(h, 200, b"y" * 1000)

    assert make_http(max_bytes=1000).get(server.url("/exact")).body == b"y" * 1000


def _chunked(h: _Handler, pieces: int, piece: bytes) -> None:
    h.send_response(200)
    h.send_header("Content-Type", "application/octet-stream")
    h.send_header("Transfer-Encoding", "chunked")
    h.end_headers()
    for _ in range(pieces):
        h.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
    h.wfile.write(b"0\r\n\r\n")


def _until_close(h: _Handler, pieces: int, piece: bytes) -> None:
    h.close_connection = True
    h.send_response(200)
    h.send_header("Content-Type", "application/octet-stream")
    h.send_header("Connection", "close")
    h.end_headers()
    for _ in range(pieces):
        h.wfile.write(piece)


@pytest.mark.parametrize("stream", [_chunked, _until_close], ids=["chunked", "until-close"])
def test_streamed_body_over_cap_without_content_length(server, make_http, stream):
    piece = b"z" * 64 * 1024

    @server.route("/stream")
    def _(h):
        stream(h, 10, piece)  # 640 KiB, no Content-Length

    http = make_http(max_bytes=100_000)
    with pytest.raises(BodyTooLarge, match="exceeds the cap"):
        http.get(server.url("/stream"))


@pytest.mark.parametrize("stream", [_chunked, _until_close], ids=["chunked", "until-close"])
def test_streamed_body_under_cap_is_read_whole(server, make_http, stream):
    piece = b"0123456789" * 100

    @server.route("/stream")
    def _(h):
        stream(h, 5, piece)

    http = make_http(max_bytes=100_000)
    response = http.get(server.url("/stream"))
    assert response.body == piece * 5
    assert http.bytes == len(piece) * 5


# --- redirects and the guard ----------------------------------------------------------------------------------------


def test_loopback_refused_without_allow_list_and_nothing_sent(server, make_http):
    http = make_http(allow_hosts=())
    with pytest.raises(FetchError, match="--allow-host 127.0.0.1") as exc:
        http.get(server.url("/"))
    assert exc.value.status is None
    assert server.hits == []
    assert http.requests == 0

    http.allow_host("127.0.0.1")
    assert http.get(server.url("/")).status == 404
    assert len(server.hits) == 1


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_redirect_to_a_non_allowed_address_is_refused(server, canary, http, status):
    @canary.route("/secret")
    def _(h):
        reply(h, 200, b"internal")

    target = canary.url("/secret")

    @server.route("/hop")
    def _(h):
        reply(h, status, headers={"Location": target})

    with pytest.raises(FetchError, match=r"127\.0\.0\.2") as exc:
        http.get(server.url("/hop"))
    assert exc.value.url == target
    assert "--allow-host" in str(exc.value)
    assert canary.hits == []
    assert len(server.hits) == 1


def test_redirect_to_a_non_http_scheme_is_refused(server, http):
    @server.route("/hop")
    def _(h):
        reply(h, 302, headers={"Location": "file:///etc/passwd"})

    with pytest.raises(FetchError, match="scheme"):
        http.get(server.url("/hop"))


def _redirect_chain(server: LoopbackServer) -> None:
    """/r/N redirects to /r/N-1 (alternating absolute and relative Location), /r/0 answers 200."""
    for n in range(0, 12):

        def handle(h, n=n):
            if n == 0:
                reply(h, 200, b"landed")
            elif n % 2:
                reply(h, 302, headers={"Location": server.url(f"/r/{n - 1}")})
            else:
                reply(h, 301, headers={"Location": f"/r/{n - 1}"})

        server.route(f"/r/{n}")(handle)


def test_redirect_chain_within_allowed_host_is_followed(server, http):
    _redirect_chain(server)
    response = http.get(server.url("/r/3"))
    assert response.status == 200
    assert response.body == b"landed"
    assert response.url == server.url("/r/0")
    assert response.redirects == [server.url("/r/2"), server.url("/r/1"), server.url("/r/0")]
    assert [hit.path for hit in server.hits] == ["/r/3", "/r/2", "/r/1", "/r/0"]
    assert http.requests == 4


def test_max_redirects_is_allowed(server, http):
    _redirect_chain(server)
    response = http.get(server.url(f"/r/{MAX_REDIRECTS}"))
    assert response.status == 200
    assert len(response.redirects) == MAX_REDIRECTS == 5


def test_more_than_five_redirects_raise(server, http):
    _redirect_chain(server)
    with pytest.raises(FetchError, match="more than 5 redirects"):
        http.get(server.url(f"/r/{MAX_REDIRECTS + 1}"))
    assert len(server.hits) == MAX_REDIRECTS + 1


def test_redirect_loop_raises(server, http):
    @server.route("/loop")
    def _(h):
        reply(h, 302, headers={"Location": "/loop"})

    with pytest.raises(FetchError, match="redirects"):
        http.get(server.url("/loop"))
    assert len(server.hits) == MAX_REDIRECTS + 1


def test_303_after_post_continues_as_get_without_body(server, http):
    @server.route("/submit")
    def _(h):
        reply(h, 303, headers={"Location": "/result"})

    @server.route("/result")
    def _(h):
        reply(h, 200, b"result")

    response = http.request("POST", server.url("/submit"), data={"a": "1"})
    assert response.body == b"result"
    assert [(hit.method, hit.path, hit.body) for hit in server.hits] == [
        ("POST", "/submit", b"a=1"),
        ("GET", "/result", b""),
    ]


def test_redirect_drops_original_query_params(server, http):
    @server.route("/old")
    def _(h):
        reply(h, 302, headers={"Location": "/new?page=2"})

    @server.route("/new")
    def _(h):
        reply(h, 200, b"new")

    http.get(server.url("/old"), params={"page": "1"})
    assert [hit.path for hit in server.hits] == ["/old?page=1", "/new?page=2"]


# --- retries --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [503, 429])
def test_retry_after_is_honoured(server, make_http, status):
    @server.route("/busy")
    def _(h):
        if len(server.hits_for("/busy")) == 1:
            reply(h, status, b"slow down", headers={"Retry-After": "1"})
        else:
            reply(h, 200, b"fine")

    http = make_http(retries=2)
    response = http.get(server.url("/busy"))
    assert response.status == 200
    assert response.body == b"fine"
    first, second = server.hits_for("/busy")
    assert second.at - first.at >= 0.9


def test_retry_on_502_without_retry_after(server, make_http):
    @server.route("/flaky")
    def _(h):
        if len(server.hits_for("/flaky")) == 1:
            reply(h, 502, b"bad gateway")
        else:
            reply(h, 200, b"fine")

    assert make_http(retries=2).get(server.url("/flaky")).body == b"fine"
    assert len(server.hits_for("/flaky")) == 2


def test_retries_exhausted_return_the_last_answer(server, make_http):
    @server.route("/down")
    def _(h):
        reply(h, 503, b"down", headers={"Retry-After": "0"})

    http = make_http(retries=2)
    response = http.get(server.url("/down"))
    assert response.status == 503
    assert response.body == b"down"
    assert len(server.hits) == 3  # the first try and two retries
    with pytest.raises(FetchError) as exc:
        http.get_json(server.url("/down"))
    assert exc.value.status == 503


def test_500_is_retried_then_returned(server, make_http):
    @server.route("/broken")
    def _(h):
        reply(h, 500, b"boom")

    http = make_http(retries=3)
    response = http.get(server.url("/broken"))
    assert response.status == 500
    assert response.body == b"boom"
    assert len(server.hits) == 4  # the first try and three retries

    with pytest.raises(FetchError) as exc:
        http.get_json(server.url("/broken"))
    assert exc.value.status == 500
    assert exc.value.kind == "status"
    assert not exc.value.odq_side
    assert "500" in str(exc.value)


def test_a_transient_500_is_survived(server, make_http):
    @server.route("/flaky")
    def _(h):
        if len(server.hits_for("/flaky")) <= 2:
            reply(h, 500, b"overloaded")
        else:
            reply(h, 200, b'{"ok": true}', content_type="application/json")

    assert make_http(retries=3).get_json(server.url("/flaky")) == {"ok": True}
    assert len(server.hits_for("/flaky")) == 3


def test_retry_after_is_capped(make_http):
    http = make_http(max_retry_after=1, retries=1)
    for scheme in ("http", "https"):
        retry = http.session.get_adapter(f"{scheme}://127.0.0.1/").max_retries
        assert retry.retry_after_max == 1
        assert retry.respect_retry_after_header
        assert retry.parse_retry_after("100000") == 1
        assert retry.parse_retry_after("1") == 1
        assert retry.total == 1
        assert retry.redirect == 0  # redirects are ours, so the guard sees every hop


def test_default_retry_after_cap(make_http):
    retry = make_http().session.get_adapter("http://127.0.0.1/").max_retries
    assert retry.retry_after_max == 120
    assert set(retry.status_forcelist) == {429, 500, 502, 503, 504}
    assert retry.backoff_factor == 0.0  # the fixture's; the client's default is below


# --- get_json errors ------------------------------------------------------------------------------------------------


def test_get_json_rejects_a_non_json_200(server, http):
    @server.route("/page")
    def _(h):
        reply(h, 200, b"<html>not json</html>", content_type="text/html")

    with pytest.raises(FetchError, match="not JSON") as exc:
        http.get_json(server.url("/page"))
    assert exc.value.status == 200
    assert exc.value.url == server.url("/page")


def test_get_json_rejects_404(server, http):
    with pytest.raises(FetchError, match="HTTP 404") as exc:
        http.get_json(server.url("/nope"))
    assert exc.value.status == 404


# --- transport errors -----------------------------------------------------------------------------------------------


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_connection_refused_is_a_fetch_error(make_http):
    http = make_http(retries=0)
    url = f"http://127.0.0.1:{_closed_port()}/"
    with pytest.raises(FetchError, match="ConnectionError") as exc:
        http.get(url)
    assert exc.value.status is None
    assert exc.value.url == url


def test_malformed_url_is_a_fetch_error(make_http):
    with pytest.raises(FetchError):
        make_http().get("http://192.0.2.1:99999/")


# --- politeness -----------------------------------------------------------------------------------------------------


def test_politeness_spaces_requests_to_one_host(server, make_http):
    @server.route("/")
    def _(h):
        reply(h, 200, b"ok")

    http = make_http(politeness=Politeness(requests_per_second=5, concurrency=1))
    started = time.monotonic()
    for _ in range(4):
        assert http.get(server.url("/")).status == 200
    # Starts are at least 0.2 s apart: three gaps >= 0.6 s.
    assert time.monotonic() - started >= 0.55
    assert len(server.hits) == 4


def test_politeness_from_a_full_profile_block():
    assert Politeness.from_profile({"requests_per_second": "2.5", "concurrency": "3"}) == Politeness(2.5, 3)


@pytest.mark.parametrize(
    ("block", "expected"),
    [
        (None, Politeness()),
        ({}, Politeness()),
        ({"concurrency": 1}, Politeness(Politeness().requests_per_second, 1)),
        ({"requests_per_second": 1}, Politeness(1.0, Politeness().concurrency)),
    ],
)
def test_politeness_from_profile_fills_defaults(block, expected):
    assert Politeness.from_profile(block) == expected
