"""CKAN-compatible APIs that ignore `fq` (and worse): the listing falls back to stable offset paging, lists every
dataset once and says so in the facts, or ends as partial with its reason; it never loops."""

from __future__ import annotations

import json
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from harvester.adapters.ckan import CkanAdapter
from harvester.records import DatasetRecord
from odq.pipeline import make_http
from tests.conftest import ckan_profile

TOTAL = 35


def packages() -> list[dict]:
    """35 packages created a minute apart, each modified an hour after its creation."""
    return [{"id": f"pkg-{n:02d}", "name": f"pkg-{n:02d}", "title": f"Package {n}",
             "metadata_created": f"2020-01-01T00:{n:02d}:00.000000",
             "metadata_modified": f"2020-01-01T01:{n:02d}:00.000000", "resources": []}
            for n in range(TOTAL)]


@dataclass
class Misbehaviour:
    ignore_fq: bool = False  # answers as if no fq were given
    ignore_start: bool = False  # always answers the first rows
    repeat_first: bool = False  # every page also lists the first package again


@contextmanager
def portal(misbehaviour: Misbehaviour):
    listing = packages()
    searches: list[dict[str, str]] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # keep test output quiet
            pass

        def do_GET(self):
            parts = urlsplit(self.path)
            params = {k: v[0] for k, v in parse_qs(parts.query).items()}
            action = parts.path.rsplit("/", 1)[-1]
            if action in ("organization_list", "group_list"):
                return self.answer(200, {"success": True, "result": []})
            if action != "package_search":
                return self.answer(404, {"success": False, "error": {"message": "Not found"}})
            searches.append(params)
            selected = listing
            fq = params.get("fq", "")
            if fq and not misbehaviour.ignore_fq:
                for field in ("metadata_created", "metadata_modified"):
                    marker = f"{field}:["
                    if marker in fq:
                        floor = fq.split(marker, 1)[1].split(" TO", 1)[0].rstrip("Z")
                        selected = [p for p in selected if p[field][:23] >= floor[:23]]
            start = 0 if misbehaviour.ignore_start else int(params.get("start", 0))
            rows = int(params.get("rows", 10))
            page = selected[start:start + rows]
            if misbehaviour.repeat_first and page:
                page = [listing[0], *page]
            self.answer(200, {"success": True, "result": {"count": len(selected), "results": page}})

        def answer(self, status: int, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", searches
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def harvest(misbehaviour: Misbehaviour, since: dict | None = None):
    with portal(misbehaviour) as (base, searches):
        profile = ckan_profile(base, "fq-test", options={"page_size": 10})
        adapter = CkanAdapter(profile, make_http(profile))
        listed = list(adapter.records(since))
    return adapter, listed, searches


def ids(listed) -> list[str]:
    return [r.native_id for r in listed if isinstance(r, DatasetRecord)]


def test_an_honest_portal_is_paged_by_keyset():
    adapter, listed, searches = harvest(Misbehaviour())
    assert sorted(ids(listed)) == [f"pkg-{n:02d}" for n in range(TOTAL)]
    assert adapter.partial_reason is None and adapter.expected_total == TOTAL
    facts = adapter.catalogue_info()
    assert facts.listing == "package_search" and "fq_ignored" not in facts.details
    assert any("metadata_created:[" in s.get("fq", "") for s in searches)


def test_an_ignored_fq_falls_back_to_offset_pages_listing_every_dataset_once():
    adapter, listed, searches = harvest(Misbehaviour(ignore_fq=True))
    assert ids(listed) == [f"pkg-{n:02d}" for n in range(TOTAL)]  # each once, in the portal's stable order
    assert adapter.partial_reason is None and adapter.expected_total == TOTAL
    facts = adapter.catalogue_info()
    assert facts.listing == "package_search-offset"
    assert facts.details["fq_ignored"] is True
    assert "metadata_created" in facts.details["fq_ignored_evidence"]
    offset_pages = [s for s in searches if "fq" not in s and s["rows"] != "0"]
    # Page 1, then on from the end of what pages 1 and 2 listed (pkg-00 to pkg-10).
    assert [s["start"] for s in offset_pages] == ["0", "11", "21", "31"]
    assert all(s["sort"] == "metadata_created asc, id asc" for s in offset_pages)
    assert len(searches) == 6  # the count, the first page, the ignored keyset page, three offset pages


def test_an_ignored_fq_in_an_incremental_run_refuses_the_increment_and_lists_everything():
    since = {"modified_since": "2020-01-01T01:30:00.000000", "dimensions": {}}
    adapter, listed, _ = harvest(Misbehaviour(ignore_fq=True), since)
    assert ids(listed) == [f"pkg-{n:02d}" for n in range(TOTAL)]
    assert adapter.incremental is False  # the run must not carry the last harvest forward on top
    assert adapter.expected_total == TOTAL and adapter.partial_reason is None
    details = adapter.catalogue_info().details
    assert details["fq_ignored"] is True and "ignores fq" in details["incremental_refused"]


def test_an_honest_incremental_run_lists_only_the_changes():
    since = {"modified_since": "2020-01-01T01:30:00.000000", "dimensions": {}}
    adapter, listed, _ = harvest(Misbehaviour(), since)
    assert ids(listed) == [f"pkg-{n:02d}" for n in range(30, TOTAL)]
    assert adapter.incremental is True and adapter.partial_reason is None


def test_a_portal_ignoring_fq_and_start_ends_partial_with_the_reason_instead_of_looping():
    adapter, listed, searches = harvest(Misbehaviour(ignore_fq=True, ignore_start=True))
    assert ids(listed) == [f"pkg-{n:02d}" for n in range(10)]  # all the portal ever shows
    assert adapter.partial_reason == "page 3 brought no new package ids (the portal repeats its pages)"
    assert len(searches) == 4  # the count, and three pages


def test_a_package_listed_on_every_page_is_yielded_once():
    adapter, listed, _ = harvest(Misbehaviour(repeat_first=True))
    assert sorted(ids(listed)) == [f"pkg-{n:02d}" for n in range(TOTAL)]
    assert len(ids(listed)) == TOTAL and adapter.partial_reason is None
