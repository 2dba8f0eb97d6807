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
import requests

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


# --- deadlines, truncated JSON, failure kinds ----------------------------------------------------------------------


def test_a_trickling_body_is_cut_off_at_the_request_deadline(server, make_http):
    stop = threading.Event()

    @server.route("/trickle")
    def _(h):
        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", "100000")
        h.end_headers()
        while not stop.wait(0.2):  # one byte every 0.2 s: never idle long enough for the read timeout
            h.wfile.write(b" ")
            h.wfile.flush()

    http = make_http(request_deadline=1.5, read_timeout=5.0)
    try:
        with pytest.raises(FetchError) as exc:
            http.get(server.url("/trickle"))
    finally:
        stop.set()
    assert exc.value.kind == "deadline"
    assert exc.value.odq_side
    assert "request deadline of 1.5 s exceeded" in exc.value.reason


def test_the_default_request_deadline_is_five_minutes(make_http):
    assert Http().request_deadline == 300.0


def test_headers_that_never_come_hit_the_deadline_not_the_read_timeout(server, make_http):
    release = threading.Event()

    @server.route("/stall")
    def _(h):
        release.wait(10)

    http = make_http(request_deadline=1.0, read_timeout=30.0, retries=0)
    try:
        with pytest.raises(FetchError) as exc:
            http.get(server.url("/stall"))
    finally:
        release.set()
    assert exc.value.kind == "deadline" and exc.value.odq_side


def test_truncated_json_is_fetched_again(server, make_http):
    @server.route("/page.json")
    def _(h):
        if len(server.hits_for("/page.json")) <= 2:
            reply(h, 200, b'{"result": [1, 2', content_type="application/json")
        else:
            reply(h, 200, b'{"result": [1, 2]}', content_type="application/json")

    assert make_http(json_retries=2).get_json(server.url("/page.json")) == {"result": [1, 2]}
    assert len(server.hits_for("/page.json")) == 3


def test_truncated_json_gives_up_after_the_retries(server, make_http):
    @server.route("/page.json")
    def _(h):
        reply(h, 200, b'[{"id": 1}, {"id"', content_type="application/json")

    with pytest.raises(FetchError) as exc:
        make_http(json_retries=2).get_json(server.url("/page.json"))
    assert exc.value.kind == "not-json" and not exc.value.odq_side
    assert "after 3 tries" in exc.value.reason
    assert len(server.hits_for("/page.json")) == 3


def test_an_html_page_is_not_fetched_again_as_json(server, http):
    @server.route("/page")
    def _(h):
        reply(h, 200, b"<html>maintenance</html>", content_type="text/html")

    with pytest.raises(FetchError, match="not JSON"):
        http.get_json(server.url("/page"))
    assert len(server.hits) == 1


def test_default_backoff_and_json_retries():
    http = Http()
    assert http.session.get_adapter("https://example.org/").max_retries.backoff_factor == 0.5
    assert http.json_retries == 2


def test_connection_refused_is_the_portals_fact(make_http):
    with pytest.raises(FetchError) as exc:
        make_http(retries=0).get(f"http://127.0.0.1:{_closed_port()}/")
    assert exc.value.kind == "connect"
    assert not exc.value.odq_side


def _gai_failing(code: int, message: str):
    def fail(host, *args, **kwargs):
        raise socket.gaierror(code, message)

    return fail


def test_a_name_that_does_not_exist_is_a_dns_error_about_the_url(make_http, monkeypatch):
    monkeypatch.setattr(socket, "getaddrinfo", _gai_failing(socket.EAI_NONAME, "Name or service not known"))
    with pytest.raises(FetchError) as exc:
        make_http().get("http://no-such-host.invalid/data.csv")
    assert exc.value.kind == "dns"
    assert not exc.value.odq_side
    assert "does not resolve" in exc.value.reason


def test_a_resolver_failure_is_on_odqs_side(make_http, monkeypatch):
    monkeypatch.setattr(socket, "getaddrinfo", _gai_failing(socket.EAI_AGAIN, "Temporary failure in name resolution"))
    with pytest.raises(FetchError) as exc:
        make_http().get("http://portal.example.org/data.csv")
    assert exc.value.kind == "dns"
    assert exc.value.odq_side
    assert "odq's side" in exc.value.reason


# --- pinning: the connection goes to the address the guard checked --------------------------------------------------


def _rebinding_resolver(answers: dict[str, list[str]], calls: list[str]):
    """Names answer from `answers` in turn (the last answer repeats); literals resolve for real."""
    real = socket.getaddrinfo

    def resolve(host, port, *args, **kwargs):
        if host in answers:
            calls.append(host)
            queue = answers[host]
            address = queue.pop(0) if len(queue) > 1 else queue[0]
            return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, port))]
        return real(host, port, *args, **kwargs)

    return resolve


def test_dns_rebinding_after_the_check_does_not_move_the_connection(server, canary, make_http, monkeypatch):
    @server.route("/data.csv")
    def _(h):
        reply(h, 200, b"a,b\n1,2\n")

    @canary.route("/data.csv")
    def _(h):
        reply(h, 200, b"internal")

    calls: list[str] = []
    # First answer the allow-listed address, then (as a rebinding zone with TTL 0 would) the canary's.
    monkeypatch.setattr(socket, "getaddrinfo",
                        _rebinding_resolver({"portal.test": ["127.0.0.1", "127.0.0.2"]}, calls))
    http = make_http()
    for _ in range(3):
        response = http.get(f"http://portal.test:{server.port}/data.csv")
        assert response.body == b"a,b\n1,2\n"
    http.session.close()  # new connections too: still pinned, so the canary's port is asked of 127.0.0.1
    with pytest.raises(FetchError) as exc:
        http.get(f"http://portal.test:{canary.port}/data.csv")
    assert exc.value.kind == "connect"
    assert canary.hits == []
    assert calls == ["portal.test"]  # one lookup for the run
    assert all(hit.headers["Host"] == f"portal.test:{server.port}" for hit in server.hits_for("/data.csv"))


def test_lookups_are_cached_per_host_across_threads(server, make_http, monkeypatch):
    from concurrent.futures import ThreadPoolExecutor

    @server.route("/x")
    def _(h):
        reply(h, 200, b"ok")

    calls: list[str] = []
    monkeypatch.setattr(socket, "getaddrinfo", _rebinding_resolver({"portal.test": ["127.0.0.1"]}, calls))
    http = make_http()
    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(lambda _: http.get(f"http://portal.test:{server.port}/x").status, range(24)))
    assert statuses == [200] * 24
    assert calls == ["portal.test"]


def test_a_temporary_resolver_failure_is_not_remembered_for_the_run(make_http, monkeypatch):
    from harvester import guard as guard_module

    monkeypatch.setattr(socket, "getaddrinfo", _gai_failing(socket.EAI_AGAIN, "Temporary failure"))
    http = make_http()
    with pytest.raises(FetchError):
        http.get("http://portal.test/x")
    monkeypatch.setattr(guard_module, "TEMPORARY_FAILURE_TTL", 0.0)
    http2 = make_http()
    with pytest.raises(FetchError):
        http2.get("http://portal.test/x")
    monkeypatch.setattr(socket, "getaddrinfo", _rebinding_resolver({"portal.test": ["8.8.8.8"]}, []))
    assert http2.guard.addresses("portal.test", 80) == ("8.8.8.8",)  # expired: asked again
    with pytest.raises(guard_module.UnresolvableHost):
        http.guard.addresses("portal.test", 80)  # within its 30 s: still the failure


def test_failure_kinds_of_transport_errors():
    from harvester.http import transport_error

    url = "https://portal.example/x"
    timeout = transport_error(url, requests.exceptions.ConnectTimeout("connect timed out"))
    assert (timeout.kind, timeout.odq_side) == ("timeout", True)  # a dead host and filtered egress look alike
    slow = transport_error(url, requests.exceptions.ReadTimeout("read timed out"))
    assert (slow.kind, slow.odq_side) == ("timeout", False)  # the host was reached and did not answer
    cut = transport_error(url, requests.exceptions.ReadTimeout("read timed out"), deadline_cut=True)
    assert (cut.kind, cut.odq_side) == ("deadline", True)
    tls = transport_error(url, requests.exceptions.SSLError("certificate verify failed"))
    assert (tls.kind, tls.odq_side) == ("tls", True)
    no_route = transport_error(url, requests.ConnectionError(OSError(101, "Network is unreachable")))
    assert (no_route.kind, no_route.odq_side) == ("connect", True)


# --- TLS: connected to the pinned address, the certificate and SNI are still the URL's host ------------------------


def _self_signed(tmp_path, name: str):
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def test_https_keeps_the_host_name_for_sni_and_the_certificate(server, make_http, monkeypatch, tmp_path):
    import ssl

    @server.route("/secure")
    def _(h):
        reply(h, 200, b"tls ok")

    cert_path, key_path = _self_signed(tmp_path, "portal.test")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    names: list[str | None] = []
    context.sni_callback = lambda _sock, name, _ctx: names.append(name)
    tls_server = LoopbackServer("127.0.0.1")
    tls_server.httpd.routes = server.httpd.routes
    tls_server.httpd.socket = context.wrap_socket(tls_server.httpd.socket, server_side=True)
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):  # they would override the session's trust
        monkeypatch.delenv(name, raising=False)
    try:
        monkeypatch.setattr(socket, "getaddrinfo", _rebinding_resolver({"portal.test": ["127.0.0.1"]}, []))
        http = make_http()
        http.session.verify = str(cert_path)
        response = http.get(f"https://portal.test:{tls_server.port}/secure")
        assert response.body == b"tls ok"
        assert names == ["portal.test"]
        assert tls_server.hits[0].headers["Host"] == f"portal.test:{tls_server.port}"
        # The same server by its address: the certificate does not name it, so verification fails.
        with pytest.raises(FetchError) as exc:
            http.get(f"https://127.0.0.1:{tls_server.port}/secure")
        assert exc.value.kind == "tls"
        assert "127.0.0.1" in exc.value.reason
    finally:
        tls_server.close()
