"""Link checks: HEAD then GET where HEAD is refused, reuse of recent results, and no request to private hosts."""

from __future__ import annotations

import ipaddress
import logging
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from checks.assess import AssessOptions, assess_harvest
from checks.links import check_link, check_links, sample_urls, stored_verdict, verdict_counts
from checks.results import Results
from harvester.http import Http, Politeness
from harvester.run import run_harvest
from odq.pipeline import make_http
from odq.replay import ReplayCatalogue, ReplayServer
from tests.conftest import ckan_profile, unavailable


class _Recorder(BaseHTTPRequestHandler):
    hits: list[str]

    def _answer(self) -> None:
        self.hits.append(f"{self.command} {self.path}")
        status = 405 if self.command == "HEAD" and self.path.startswith("/no-head") else 200
        self.send_response(status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(b"ok")

    do_GET = do_HEAD = _answer

    def log_message(self, *args):
        pass


def _server(host: str):
    handler = type("Handler", (_Recorder,), {"hits": []})
    try:
        httpd = ThreadingHTTPServer((host, 0), handler)
    except OSError as exc:  # some sandboxes only route 127.0.0.1: the canary test then cannot prove anything
        unavailable(f"cannot bind {host}: {exc}")
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, handler.hits


def test_a_private_address_in_a_catalogue_is_never_requested(store):
    canary, canary_hits = _server("127.0.0.2")  # stands for an intranet host named in a hostile catalogue
    inside = f"http://127.0.0.2:{canary.server_address[1]}"
    package = {
        "id": "hostile", "name": "hostile", "title": "内网资源", "metadata_created": "2024-01-01T00:00:00",
        "metadata_modified": "2024-01-01T00:00:00",
        "resources": [{"id": "r1", "url": f"{inside}/admin/secret.csv", "format": "CSV"},
                      {"id": "r2", "url": "{base}/files/ok.csv", "format": "CSV"}],
    }
    catalogue = ReplayCatalogue(packages=[package], files={"files/ok.csv": (b"a,b\n1,2\n", "text/csv")})
    try:
        with ReplayServer(catalogue) as server:
            profile = ckan_profile(server.base, "hostile")  # allow-lists 127.0.0.1 only
            http = make_http(profile)
            assert run_harvest(profile, store, http).status == "complete"
            assessment = assess_harvest(store, profile, http, options=AssessOptions(link_limit=None))
    finally:
        canary.shutdown()
    assert canary_hits == []
    links = {m["measure_id"]: m for m in assessment.measures}
    assert links["links_checked"]["detail"]["broken"] == 1
    messages = [f["message"] for f in assessment.findings if f["measure_id"] == "links_alive_share"]
    assert any("127.0.0.2" in m and "refused" in m for m in messages)


def test_head_refused_falls_back_to_get_and_results_are_reused(store):
    httpd, hits = _server("127.0.0.1")
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    http = Http(allow_hosts=["127.0.0.1"], politeness=Politeness(1000, 4))
    try:
        urls = [f"{base}/no-head/a.csv", f"{base}/fine.csv"]
        first = check_links(http, urls, store=store, reuse_days=7)
        assert first.set_index("url")["alive"].to_dict() == {urls[0]: True, urls[1]: True}
        assert sorted(hits) == sorted(["HEAD /no-head/a.csv", "GET /no-head/a.csv", "HEAD /fine.csv"])
        hits.clear()
        again = check_links(http, urls, store=store, reuse_days=7)
        assert hits == []  # recent results are reused, the host is not asked again
        assert len(again) == 2 and again["alive"].all()
    finally:
        httpd.shutdown()


def test_sample_is_stable_and_bounded():
    urls = [f"https://example.org/{i}.csv" for i in range(100)] + ["ftp://x/y", None, "https://example.org/1.csv"]
    sample = sample_urls(urls, 10)
    assert len(sample) == 10 and sample == sample_urls(reversed(urls), 10)
    assert len(sample_urls(urls, None)) == 100


# --- unknown is not dead: failures on odq's side -------------------------------------------------------------------

_real_getaddrinfo = socket.getaddrinfo


def _resolver_down(host, port, *args, **kwargs):
    """Our resolver is unreachable (EAI_AGAIN) for every name; literals still resolve locally."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution") from None
    return _real_getaddrinfo(host, port, *args, **kwargs)


def test_a_name_that_does_not_exist_is_a_dead_link():
    # .invalid never resolves (RFC 6761): the portal published a link to nowhere.
    http = Http(politeness=Politeness(1000, 4), retries=0)
    result = check_link(http, "http://opendata.invalid/files/a.csv")
    assert result["verdict"] == "dead"
    assert result["alive"] is False
    assert result["kind"] == "dns"
    assert "does not resolve" in result["reason"]
    assert stored_verdict(result) == "dead"  # read back the same when reused


def test_a_resolver_failure_is_unknown_not_dead(monkeypatch, store, caplog):
    monkeypatch.setattr(socket, "getaddrinfo", _resolver_down)
    http = Http(politeness=Politeness(1000, 4), retries=0)
    urls = ["http://portal.example.org/a.csv", "http://portal.example.org/b.csv", "http://other.example.org/c"]
    with caplog.at_level(logging.WARNING, logger="odq.links"):
        frame = check_links(http, urls, store=store, reuse_days=7)
    assert list(frame["verdict"]) == ["unknown"] * 3
    assert frame["alive"].isna().all()
    assert frame.attrs["unknown"] == 3
    assert verdict_counts(frame) == {"alive": 0, "dead": 0, "blocked": 0, "unknown": 3}
    assert all(r.startswith("unknown: ") and "odq's side" in r for r in frame["reason"])
    assert "3 of 3 link checks failed on odq's side" in caplog.text
    # Stored so reports can count them, but not reused: the next run asks again.
    stored = Results(store).fresh_link_checks(urls, 7)
    assert {stored_verdict(r) for r in stored.values()} == {"unknown"}
    monkeypatch.setattr(socket, "getaddrinfo", _real_getaddrinfo)
    again = check_links(Http(politeness=Politeness(1000, 4), retries=0), urls, store=store, reuse_days=7)
    assert set(again["kind"]) == {"dns"} and set(again["verdict"]) == {"dead"}  # asked again; here: no such name


def test_stored_verdicts_are_read_back():
    assert stored_verdict({"alive": True, "reason": None}) == "alive"
    assert stored_verdict({"alive": False, "status": 404, "reason": "HTTP 404"}) == "dead"
    assert stored_verdict({"alive": False, "reason": "refused 'http://10.0.0.1/': 10.0.0.1 resolves to …"}) == "blocked"
    assert stored_verdict({"alive": False, "reason": "unknown: host 'x' could not be looked up"}) == "unknown"
    assert stored_verdict({"alive": False, "reason": "host 'x.invalid' does not resolve"}) == "dead"


def test_an_assessment_with_unknown_links_runs_and_counts_only_verdicts(store, monkeypatch):
    package = {
        "id": "mixed", "name": "mixed", "title": "混合", "metadata_created": "2024-01-01T00:00:00",
        "metadata_modified": "2024-01-01T00:00:00",
        "resources": [{"id": "r1", "url": "http://portal.example.org/a.csv", "format": "CSV"},
                      {"id": "r2", "url": "{base}/files/ok.csv", "format": "CSV"},
                      {"id": "r3", "url": "{base}/files/missing.csv", "format": "CSV"}],
    }
    catalogue = ReplayCatalogue(packages=[package], files={"files/ok.csv": (b"a,b\n1,2\n", "text/csv")})
    with ReplayServer(catalogue) as server:
        profile = ckan_profile(server.base, "mixed")
        http = make_http(profile)
        assert run_harvest(profile, store, http).status == "complete"
        monkeypatch.setattr(socket, "getaddrinfo", _resolver_down)
        assessment = assess_harvest(store, profile, http, options=AssessOptions(link_limit=None))
    checked = {m["measure_id"]: m for m in assessment.measures}["links_checked"]
    assert checked["detail"]["broken"] == 1  # the 404; the unresolvable-here link is not counted as broken
