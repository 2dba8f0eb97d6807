"""The SSRF table: spellings of internal addresses a hostile catalogue can use, against real canary listeners.

Canaries listen on 127.0.0.2 and 127.0.0.3 and are never allow-listed; the portal (127.0.0.1) is. Every
spelling goes through the client directly, as a redirect Location, as a resource URL of a harvested CKAN
replay (link checks and file validation) and as a DCAT hydra:next link. Each row says by hand what must happen:
refused with a reason, or (for a spelling of the allowed address) reached. The canaries must see no request.
"""

from __future__ import annotations

import re
import socket
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from checks.assess import AssessOptions, assess_harvest
from checks.files import validate_file
from checks.links import check_links
from harvester import guard as guard_module
from harvester.guard import AddressGuard, BlockedURL
from harvester.http import FetchError, Http, Politeness
from harvester.run import run_harvest
from odq.pipeline import make_http
from odq.replay import ReplayCatalogue, ReplayServer
from tests.conftest import ckan_profile, replay_profile, unavailable

FAST = Politeness(requests_per_second=0, concurrency=8)


class _Listener(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    hits: list[str]
    redirects: dict[str, str]

    def log_message(self, *args):
        pass

    def _answer(self) -> None:
        self.hits.append(f"{self.command} {self.path}")
        location = self.redirects.get(self.path)
        body = b"a,b\n1,2\n" if location is None else b""
        self.send_response(302 if location is not None else 200)
        if location is not None:
            self.send_header("Location", location)
        self.send_header("Content-Type", "text/csv")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_HEAD = _answer


class Listener:
    def __init__(self, host: str) -> None:
        handler = type("Handler", (_Listener,), {"hits": [], "redirects": {}})
        try:
            self.httpd = ThreadingHTTPServer((host, 0), handler)
        except OSError as exc:
            unavailable(f"cannot bind {host} here: {exc}")
        self.httpd.daemon_threads = True
        self.hits: list[str] = handler.hits
        self.redirects: dict[str, str] = handler.redirects
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@dataclass(frozen=True)
class Net:
    portal: Listener  # 127.0.0.1, allow-listed: serves files and the redirect hops
    c2: Listener  # 127.0.0.2 canary
    c3: Listener  # 127.0.0.3 canary

    def fill(self, template: str) -> str:
        return template.format(P=self.c3.port, Q=self.c2.port, S=self.portal.port)

    @property
    def canary_hits(self) -> list[str]:
        return [*self.c2.hits, *self.c3.hits]


# Names answered by a fixed DNS table (literals keep resolving for real): what a hostile zone would answer.
DNS = {
    "localhost": ["127.0.0.3"],
    "localhost.": ["127.0.0.3"],
    "internal.test": ["127.0.0.3"],
    "metadata.test": ["169.254.169.254"],
    "mixed.test": ["8.8.8.8", "127.0.0.3"],
    "ten.test": ["10.1.2.3"],
}
_real_getaddrinfo = socket.getaddrinfo


def _dns(host, port, *args, **kwargs):
    if isinstance(host, str) and host.lower() in DNS:
        return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (a, port)) for a in DNS[host.lower()]]
    try:
        socket.inet_pton(socket.AF_INET6, host)
        return _real_getaddrinfo(host, port, *args, **kwargs)
    except (OSError, TypeError):
        pass
    if isinstance(host, str) and re.fullmatch(r"[0-9a-fA-FxX.]+", host):  # numeric spellings, parsed by libc
        return _real_getaddrinfo(host, port, *args, **kwargs)
    raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")


LOOPBACK = r"127\.0\.0\.3, a loopback/private"
AMBIGUOUS = "ambiguous URL"
# (id, URL template, expected): expected is a regex the refusal must match, or None for "reached the portal".
# {P} is the 127.0.0.3 canary's port, {Q} the 127.0.0.2 canary's, {S} the allow-listed portal's.
ROWS = [
    # backslashes: urlsplit and urllib3 disagree on where the host ends
    ("backslash-at", "http://127.0.0.3:{P}\\@8.8.8.8/x", "backslash"),
    ("double-backslash-at", "http://127.0.0.3:{P}\\\\@8.8.8.8/x", "backslash"),
    ("backslash-host-first", "http://8.8.8.8\\@127.0.0.3:{P}/x", "backslash"),
    ("slash-backslash", "http:/\\127.0.0.3:{P}/x", "backslash"),
    ("backslash-backslash", "http:\\\\127.0.0.3:{P}/x", "backslash"),
    ("backslash-in-path", "http://127.0.0.3:{P}/a\\b", "backslash"),
    ("encoded-backslash-at", "http://127.0.0.3:{P}%5C@8.8.8.8/x", "percent-encoded|credentials"),
    ("encoded-backslash-lower", "http://127.0.0.3:{P}%5c@8.8.8.8/x", "percent-encoded|credentials"),
    # userinfo
    ("userinfo-public-at-canary", "http://8.8.8.8@127.0.0.3:{P}/x", "credentials"),
    ("user-password", "http://user:pw@127.0.0.3:{P}/x", "credentials"),
    ("canary-as-userinfo", "http://127.0.0.3:{P}@8.8.8.8/x", "credentials"),
    ("empty-userinfo", "http://@127.0.0.3:{P}/x", "credentials"),
    ("userinfo-on-allowed", "http://user@127.0.0.1:{S}/ok.csv", "credentials"),
    ("fragment-at", "http://127.0.0.3:{P}#@8.8.8.8/", LOOPBACK),
    ("query-at", "http://127.0.0.3:{P}?@8.8.8.8/", LOOPBACK),
    # percent-encoded hosts
    ("encoded-dots", "http://127%2E0%2E0%2E3:{P}/", "percent-encoded"),
    ("encoded-digits", "http://%31%32%37.0.0.3:{P}/", "percent-encoded"),
    ("encoded-at", "http://8.8.8.8%40127.0.0.3:{P}/", "percent-encoded"),
    ("encoded-nul", "http://127.0.0.3%00.example.org:{P}/", "percent-encoded"),
    ("encoded-crlf-in-path", "http://127.0.0.3:{P}/%0d%0aHost:%208.8.8.8", LOOPBACK),
    # control characters and whitespace
    ("crlf-header", "http://127.0.0.3:{P}/x\r\nHost: 8.8.8.8", "control character"),
    ("tab-in-host", "http://127.0.0.3\t:{P}/", "control character"),
    ("nul-before-at", "http://8.8.8.8\x00@127.0.0.3:{P}/", "control character"),
    ("space-in-host", "http://127.0.0.3 :{P}/", "whitespace"),
    ("leading-space", " http://127.0.0.3:{P}/", "whitespace"),
    ("nbsp-in-host", "http://127.0.0.3\u00a0:{P}/", "whitespace"),
    # IPv6
    ("ipv6-loopback", "http://[::1]:{P}/", r"::1, a loopback"),
    ("ipv4-mapped", "http://[::ffff:127.0.0.3]:{P}/", r"::ffff:7f00:3, a loopback"),
    ("ipv4-mapped-hex", "http://[::ffff:7f00:3]:{P}/", r"::ffff:7f00:3, a loopback"),
    ("ipv4-mapped-long", "http://[0:0:0:0:0:ffff:127.0.0.3]:{P}/", r"::ffff:7f00:3, a loopback"),
    ("ipv4-mapped-allowed", "http://[::ffff:127.0.0.1]:{S}/ok.csv", r"::ffff:7f00:1, a loopback"),
    ("ipv4-compatible", "http://[::127.0.0.3]:{P}/", r"::7f00:3, a loopback"),
    ("six-to-four", "http://[2002:7f00:3::]:{P}/", r"2002:7f00:3::, a loopback"),
    ("ipv6-unspecified", "http://[::]:{P}/", r"::, a loopback"),
    ("ipv6-zone", "http://[fe80::1%25lo]:{P}/", "percent-encoded"),
    ("ipv6-link-local", "http://[fe80::1]:{P}/", r"fe80::1, a loopback"),
    # numeric IPv4 spellings (libc reads them as 127.0.0.3)
    ("decimal", "http://2130706435:{P}/", LOOPBACK),
    ("octal", "http://0177.0.0.3:{P}/", LOOPBACK),
    ("hex-first", "http://0x7f.0.0.3:{P}/", LOOPBACK),
    ("hex-whole", "http://0x7f000003:{P}/", LOOPBACK),
    ("octal-whole", "http://017700000003:{P}/", LOOPBACK),
    ("short-two", "http://127.3:{P}/", LOOPBACK),
    ("short-three", "http://127.0.3:{P}/", LOOPBACK),
    ("canary-two", "http://127.0.0.2:{Q}/", r"127\.0\.0\.2, a loopback"),
    ("upper-scheme", "HTTP://127.0.0.3:{P}/", LOOPBACK),
    ("https", "https://127.0.0.3:{P}/", LOOPBACK),
    # trailing dots and names
    ("trailing-dot", "http://127.0.0.3.:{P}/", "does not resolve"),
    ("localhost", "http://localhost:{P}/", r"localhost resolves to 127\.0\.0\.3"),
    ("localhost-dot", "http://localhost.:{P}/", r"localhost\. resolves to 127\.0\.0\.3"),
    ("internal-name", "http://internal.test:{P}/", LOOPBACK),
    ("upper-name", "http://INTERNAL.test:{P}/", LOOPBACK),
    ("mixed-answer", "http://mixed.test:{P}/", LOOPBACK),
    # other internal ranges
    ("zero", "http://0.0.0.0:{P}/", r"0\.0\.0\.0, a loopback"),
    ("zero-short", "http://0:{P}/", r"0\.0\.0\.0, a loopback"),
    ("metadata", "http://169.254.169.254/latest/meta-data/", r"169\.254\.169\.254, a loopback"),
    ("metadata-name", "http://metadata.test/latest/", r"169\.254\.169\.254, a loopback"),
    ("metadata-mapped", "http://[::ffff:a9fe:a9fe]/", r"::ffff:a9fe:a9fe, a loopback"),
    ("shared-100-64", "http://100.64.0.1/", r"100\.64\.0\.1, a loopback"),
    ("shared-100-100", "http://100.100.100.200/latest/meta-data/", r"100\.100\.100\.200, a loopback"),
    ("private-10", "http://10.0.0.1/", r"10\.0\.0\.1, a loopback"),
    ("private-10-name", "http://ten.test/", r"10\.1\.2\.3, a loopback"),
    ("private-172", "http://172.16.0.1/", r"172\.16\.0\.1, a loopback"),
    ("private-192", "http://192.168.1.1/", r"192\.168\.1\.1, a loopback"),
    # schemes and empty hosts
    ("ftp", "ftp://127.0.0.3:{P}/", "scheme"),
    ("file", "file:///etc/passwd", "scheme"),
    ("gopher", "gopher://127.0.0.3:{P}/_GET", "scheme"),
    ("no-host", "http:///x", "no host"),
    ("port-only", "http://:{P}/", "no host"),
    # spellings of the allow-listed portal, legitimately reached (pinned to 127.0.0.1)
    ("allowed", "http://127.0.0.1:{S}/ok.csv", None),
    ("allowed-short", "http://127.1:{S}/ok.csv", None),
    ("allowed-decimal", "http://2130706433:{S}/ok.csv", None),
]
assert len(ROWS) >= 40 and len({r[0] for r in ROWS}) == len(ROWS)
IDS = [r[0] for r in ROWS]
# A Location header cannot carry raw control characters or outer whitespace.
IN_HEADER = [r for r in ROWS if not re.search(r"[\x00-\x1f\x7f\u00a0]", r[1]) and r[1] == r[1].strip()]
# As a Location, "http:///x" is relative to the page that redirects: it stays on the allowed portal.
JOINED_ONTO_PORTAL = {"no-host"}


@pytest.fixture(scope="module")
def net():
    nets = [Listener("127.0.0.1"), Listener("127.0.0.2"), Listener("127.0.0.3")]
    yield Net(*nets)
    for listener in nets:
        listener.close()


@pytest.fixture(autouse=True)
def _hostile_dns_and_no_proxies(monkeypatch, net):
    monkeypatch.setattr(guard_module.socket, "getaddrinfo", _dns)
    for name in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    net.portal.hits.clear()
    yield
    assert net.canary_hits == [], "a canary was reached"


@pytest.fixture
def http():
    client = Http(allow_hosts=["127.0.0.1"], politeness=FAST, backoff=0, retries=0, connect_timeout=3,
                  read_timeout=3)
    yield client
    client.close()


@pytest.mark.parametrize(("name", "template", "expected"), ROWS, ids=IDS)
def test_each_spelling_directly(net, http, name, template, expected):
    url = net.fill(template)
    if expected is None:
        response = http.get(url)
        assert response.status == 200 and response.body == b"a,b\n1,2\n"
        assert net.portal.hits == ["GET /ok.csv"]
        return
    with pytest.raises(FetchError) as exc:
        http.get(url)
    assert exc.value.kind in ("refused", "dns")
    assert not exc.value.odq_side
    assert re.search(expected, exc.value.reason), exc.value.reason
    assert net.portal.hits == []
    # The guard alone says the same, without a request.
    with pytest.raises(BlockedURL, match=expected):
        AddressGuard(["127.0.0.1"]).check(url)


@pytest.mark.parametrize(("name", "template", "expected"), IN_HEADER, ids=[r[0] for r in IN_HEADER])
def test_each_spelling_as_a_redirect_location(net, http, name, template, expected):
    location = net.fill(template)
    hop = f"/hop/{name}"
    net.portal.redirects[hop] = location
    if expected is None or name in JOINED_ONTO_PORTAL:
        response = http.get(f"http://127.0.0.1:{net.portal.port}{hop}")
        assert response.status == 200 and response.redirects
        assert net.portal.hits[0] == f"GET {hop}" and len(net.portal.hits) == 2  # the hop, then the portal again
        return
    with pytest.raises(FetchError) as exc:
        http.get(f"http://127.0.0.1:{net.portal.port}{hop}")
    assert exc.value.kind in ("refused", "dns")
    assert net.portal.hits == [f"GET {hop}"]  # the first hop only


def test_harvest_link_checks_and_file_validation_never_reach_a_canary(net, store):
    urls = [net.fill(t) for _n, t, _e in ROWS]
    for name, template, _expected in IN_HEADER:
        net.portal.redirects[f"/hop/{name}"] = net.fill(template)
    hops = [f"http://127.0.0.1:{net.portal.port}/hop/{name}" for name, _t, _e in IN_HEADER]
    resources = [{"id": f"r{i}", "url": u, "format": "CSV"} for i, u in enumerate([*urls, *hops])]
    package = {"id": "hostile", "name": "hostile", "title": "内网资源", "metadata_created": "2024-01-01T00:00:00",
               "metadata_modified": "2024-01-01T00:00:00", "resources": resources}
    with ReplayServer(ReplayCatalogue(packages=[package])) as server:
        profile = ckan_profile(server.base, "hostile")  # allow-lists 127.0.0.1 only
        http = make_http(profile)
        assert run_harvest(profile, store, http).status == "complete"
        assessment = assess_harvest(store, profile, http,
                                    options=AssessOptions(link_limit=None, file_sample=200, workers=4))
        links = check_links(http, sorted(set(urls) | set(hops)), reuse_days=0)
        reports = [validate_file(http, u, "CSV") for u in [*urls, *hops]]
    verdict = links.set_index("url")["verdict"]
    for (name, _template, expected), url in zip(ROWS, urls, strict=True):
        if url.startswith(("http://", "https://", "HTTP://")):
            want = "alive" if expected is None else ("dead" if expected == "does not resolve" else "blocked")
            assert verdict[url] == want, name
    for (name, _t, expected), hop in zip(IN_HEADER, hops, strict=True):
        reached = expected is None or name in JOINED_ONTO_PORTAL
        want = "alive" if reached else ("dead" if expected == "does not resolve" else "blocked")
        assert verdict[hop] == want, name
    by_url = {r["url"]: r for r in reports}
    for (name, _t, expected), url in zip(ROWS, urls, strict=True):
        if expected is None:
            assert by_url[url]["valid"] is True, name
        else:
            assert by_url[url]["valid"] is None and by_url[url]["fetch_error"], name
    broken = {m["measure_id"]: m for m in assessment.measures}["links_checked"]["detail"]["broken"]
    assert broken >= len(ROWS) - 3  # every refused spelling is a broken link for the public


def test_hydra_next_links_to_a_canary_are_refused(net, store):
    net.portal.redirects["/hop/next"] = f"http://127.0.0.3:{net.c3.port}/catalog?page=2"
    nexts = [f"http://127.0.0.3:{net.c3.port}\\@8.8.8.8/catalog?page=2", f"http://[::ffff:127.0.0.3]:{net.c3.port}/",
             f"http://2130706435:{net.c3.port}/", f"http://localhost.:{net.c3.port}/",
             f"http://127.0.0.1:{net.portal.port}/hop/next"]
    for target in nexts:
        literal = target.replace("\\", "\\\\")
        body = f"""@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
            @prefix hydra: <http://www.w3.org/ns/hydra/core#> .
            <http://example.org/d1> a dcat:Dataset ; dct:title "one" .
            <http://example.org/view> a hydra:PartialCollectionView ; hydra:next "{literal}" .""".encode()
        routes = {"/catalog": lambda _p, _b, _base, body=body: (200, body, "text/turtle")}
        with ReplayServer(ReplayCatalogue(packages=[], routes=routes)) as server:
            url = f"{server.base}/catalog?page=1"
            profile = replay_profile(url, "hostile-dcat", "dcat", options={"catalogue_url": url})
            result = run_harvest(profile, store, make_http(profile))
        assert result.status != "complete", target
        assert any("refused" in str(e) for e in result.errors), (target, result.errors)
    assert net.canary_hits == []


def test_canaries_are_real(net):
    # The canaries answer whoever asks them directly, so their silence above means something.
    with socket.create_connection(("127.0.0.3", net.c3.port), timeout=3) as sock:
        sock.sendall(b"GET /probe HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert sock.recv(12).startswith(b"HTTP/1.")
    assert net.c3.hits == ["GET /probe"]
    net.c3.hits.clear()


def test_a_space_in_the_path_is_encoded_not_refused(net, http):
    # A space in the path is not ambiguous: the parser encodes it and the portal is reached.
    response = http.get(f"http://127.0.0.1:{net.portal.port}/a b.csv")
    assert response.status == 200
    assert net.portal.hits == ["GET /a%20b.csv"]
