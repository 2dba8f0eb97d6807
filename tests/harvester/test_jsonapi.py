"""The profile-driven JSON adapter against the recorded Foshan catalogue API, served from loopback.

Expected values come from the raw JSON in the test, never from the adapter: titles, the '|'-separated
cata_items, catalogStatistic.use_visit / use_file_count, and the Foshan update-cycle codes as the public
Foshan scraper (github.com/duiliuliu/OpenDataMS-spider) decodes them.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest

from harvester.adapters.jsonapi import JsonApiAdapter, validate_options
from harvester.http import Http
from harvester.profiles import ProfileError, load_portal, portal_profile_paths
from harvester.run import run_harvest
from odq.pipeline import make_http
from odq.replay import ReplayCatalogue, ReplayServer
from profiles import PROFILES_DIR
from tests.conftest import real_fixture

LIST_PATH = "/data/catalog/catalog.do"
# conf_update_cycle as the Foshan scraper decodes it (4 → 每月, 7 → 每年), and what those labels mean.
FOSHAN_CYCLE_PERIOD = {"4": "P1M", "7": "P1Y"}
FOSHAN_CYCLE_LABEL = {"4": "每月", "7": "每年"}


@pytest.fixture(scope="module")
def envelope() -> dict[str, Any]:
    path = real_fixture("china_foshan_guangdong_small", "fsdata_foshan_catalog_api_response.json")
    return json.loads(path.read_text(encoding="utf-8"))


def _key(mapping: dict[str, Any], name: str) -> Any:
    """A value by its key with the stray whitespace the platform writes ("recordsTotal ")."""
    (value,) = [v for k, v in mapping.items() if k.strip() == name]
    return value


def foshan_profile(base: str, **request_changes: Any) -> dict[str, Any]:
    profile = copy.deepcopy(load_portal(PROFILES_DIR / "portals" / "foshan.yaml"))
    profile.update(url=base, allow_hosts=["127.0.0.1"], politeness={"requests_per_second": 10000, "concurrency": 4})
    profile["options"]["request"].update(request_changes)
    profile["options"]["landing_url"] = base + "/data/catalog/catalogDetail.htm?cata_id={id}"
    # The recording is one page (2 of the 861 datasets the portal counts): judged complete as recorded.
    profile["harvest"] = {"count_tolerance": 1}
    return profile


def datatables_route(envelope: dict[str, Any], seen: list[dict[str, Any]], *, honour_paging: bool = True,
                     total: int | None = None):
    """The platform's catalog.do: a DataTables POST (start/length) answered with the recorded envelope's shape."""
    items = envelope["data"]

    def handler(params: dict[str, str], body: bytes, base: str) -> tuple[int, bytes, str]:
        form = {k: v[-1] for k, v in parse_qs(body.decode("utf-8")).items()}
        seen.append({"params": params, "form": form})
        start, length = (int(form["start"]), int(form["length"])) if honour_paging else (0, len(items))
        answer = {k: v for k, v in envelope.items()}  # keys keep their trailing spaces
        answer["data"] = items[start:start + length]
        if total is not None:
            answer["recordsTotal "] = answer["recordsFiltered "] = total
        return 200, json.dumps(answer, ensure_ascii=False).encode("utf-8"), "application/json;charset=UTF-8"

    return handler


def harvest(store, routes: dict[str, Any], profile_for) -> tuple[Any, ReplayServer, dict[str, Any]]:
    with ReplayServer(ReplayCatalogue(packages=[], routes=routes)) as server:
        profile = profile_for(server.base)
        result = run_harvest(profile, store, make_http(profile))
    return result, server, profile


def test_foshan_catalogue_maps_every_dataset(store, envelope):
    items = envelope["data"]
    seen: list[dict[str, Any]] = []
    result, server, profile = harvest(
        store, {LIST_PATH: datatables_route(envelope, seen)}, lambda base: foshan_profile(base, page_size=1)
    )
    assert result.status == "complete", result.errors
    assert result.datasets == len(items) == 2
    assert result.errors_count == 0
    # The real envelope's total sits under "recordsTotal " (trailing space) and is what the portal reports.
    assert result.expected_total == _key(envelope, "recordsTotal") == 861
    # One item per page, then an empty page ends the listing.
    assert server.requests[LIST_PATH] == len(items) + 1
    assert [s["params"]["method"] for s in seen] == ["GetCatalog"] * len(seen)
    assert [int(s["form"]["start"]) for s in seen] == [0, 1, 2]

    records = {r.native_id: r for r in store.records(result.harvest_id)}
    assert set(records) == {item["cata_id"] for item in items}
    for item in items:
        record = records[item["cata_id"]]
        statistic = item["catalogStatistic"]
        assert record.title == item["cata_title"]
        assert record.description == item["description"]
        assert record.department == record.publisher == item["org_name"]
        assert record.open_type == item["open_type"]
        assert record.frequency_raw == FOSHAN_CYCLE_LABEL[item["conf_update_cycle"]]
        assert record.frequency == FOSHAN_CYCLE_PERIOD[item["conf_update_cycle"]]
        assert [f.name for f in record.fields] == item["cata_items"].split("|")
        assert record.usage.views == statistic["use_visit"]
        assert record.usage.downloads == statistic["use_file_count"]
        assert record.usage.api_calls == statistic["use_api_count"]
        assert record.record_count == statistic["data_count"]
        assert record.keywords == [t for t in item["cata_tags"].split(",") if t]
        assert record.modified == item["update_time"].replace(" ", "T")
        assert record.issued == item["released_time"].replace(" ", "T")
        themes = [(c.label, c.code) for c in record.categories if c.dimension == "theme"]
        assert themes == [(g["group_name"], g["group_id"]) for g in item["cataLogGroups"]]
        sectors = [c.label for c in record.categories if c.dimension == "sector"]
        assert sectors == [g["group_name"] for g in item["cataLogIndustrys"]]
        assert record.landing_url == f"{server.base}/data/catalog/catalogDetail.htm?cata_id={item['cata_id']}"
        assert record.problems == []

    def share(predicate) -> float:
        return round(sum(1 for item in items if predicate(item)) / len(items), 4)

    assert result.mapping["title"] == 1.0
    assert result.mapping["fields"] == share(lambda i: bool(i["cata_items"]))
    assert result.mapping["frequency"] == share(lambda i: i["conf_update_cycle"] in FOSHAN_CYCLE_PERIOD)
    assert result.mapping["views"] == share(lambda i: i["catalogStatistic"].get("use_visit") is not None)
    assert result.mapping["downloads"] == share(lambda i: i["catalogStatistic"].get("use_file_count") is not None)
    assert result.mapping["categories"] == 1.0
    assert result.mapping["contact"] == share(
        lambda i: any(i.get(k) for k in ("contact_name", "contact_email", "contact_phone"))
    )
    assert result.mapping["distributions"] == 0.0  # the listing carries no file URLs (see foshan.yaml notes)

    info = store.harvest(result.harvest_id).info["catalogue"]
    assert info["stopped"] == "empty page"
    assert info["dimensions"]["theme"]["labels"] == sorted({g["group_name"] for i in items for g in i["cataLogGroups"]})
    assert info["keyword_search"] is True and info["category_filter"] is True  # cata_type/org_code/... in the template
    assert info["unmapped_codes"] == {}


def test_a_portal_that_ignores_the_page_parameter_does_not_loop(store, envelope):
    seen: list[dict[str, Any]] = []
    result, server, _ = harvest(
        store, {LIST_PATH: datatables_route(envelope, seen, honour_paging=False)},
        lambda base: foshan_profile(base, page_size=len(envelope["data"])),
    )
    # Only the first page can be had, and the portal counts 861: the listing is partial, with its reason.
    assert _key(envelope, "recordsTotal") == 861 > len(envelope["data"])
    assert result.status == "partial"
    assert result.datasets == len(envelope["data"])
    assert server.requests[LIST_PATH] == 2  # the second page repeated the first: stop there
    assert any("page 2 brought no new dataset ids" in e for e in result.errors)
    info = store.harvest(result.harvest_id).info["catalogue"]
    assert info["stopped"] == "page repeated datasets already listed"


def test_paging_stops_at_the_reported_total(store, envelope):
    seen: list[dict[str, Any]] = []
    result, server, _ = harvest(
        store, {LIST_PATH: datatables_route(envelope, seen, total=len(envelope["data"]))},
        lambda base: foshan_profile(base, page_size=1),
    )
    assert result.status == "complete" and result.datasets == len(envelope["data"])
    assert server.requests[LIST_PATH] == len(envelope["data"])  # no extra request for an empty page
    assert store.harvest(result.harvest_id).info["catalogue"]["stopped"] == "reported total reached"


def test_a_portal_capping_the_page_size_is_paged_by_what_it_serves(store, envelope):
    seen: list[dict[str, Any]] = []
    capped = datatables_route(envelope, seen)

    def route(params, body, base):  # serves at most one item, whatever `length` asks for
        form = parse_qs(body.decode("utf-8"))
        form["length"] = ["1"]
        return capped(params, "&".join(f"{k}={v[-1]}" for k, v in form.items()).encode(), base)

    result, _, _ = harvest(store, {LIST_PATH: route}, lambda base: foshan_profile(base, page_size=50))
    assert result.datasets == len(envelope["data"])
    assert [int(s["form"]["start"]) for s in seen] == [0, 1, 2]


def test_graphql_listing_pages_by_offset(store, envelope):
    """The Chongqing shape (a GraphQL POST with offset/limit variables) over the recorded Foshan records."""
    items = envelope["data"]
    bodies: list[dict[str, Any]] = []

    def graphql(params, body, base):
        request = json.loads(body)
        bodies.append(request)
        page = request["variables"]["input"]
        answer = {"data": {"result": {"total": len(items), "data": items[page["offset"]:page["offset"] + page["limit"]]}}}
        return 200, json.dumps(answer, ensure_ascii=False).encode(), "application/json"

    def profile_for(base: str) -> dict[str, Any]:
        profile = copy.deepcopy(load_portal(PROFILES_DIR / "portals" / "chongqing.yaml"))
        profile.update(url=base, allow_hosts=["127.0.0.1"], politeness={"requests_per_second": 10000})
        profile["options"]["request"]["page_size"] = 1
        profile["options"]["fields"] = {"id": "cata_id", "title": "cata_title", "views": "catalogStatistic.use_visit"}
        return profile

    result, server, _ = harvest(store, {"/rop-frontier/graphql": graphql}, profile_for)
    assert result.status == "complete", result.errors
    assert result.datasets == len(items)
    assert [b["variables"]["input"]["offset"] for b in bodies] == [0, 1]  # numbers, not text
    assert all("resourcesCatalogueList" in b["query"] and b["operationName"] is None for b in bodies)
    assert result.expected_total == len(items)
    views = {r.native_id: r.usage.views for r in store.records(result.harvest_id)}
    assert views == {i["cata_id"]: i["catalogStatistic"]["use_visit"] for i in items}


def test_detail_requests_complete_a_listing_of_ids(store, envelope):
    """A Guizhou-shaped API: a JSON-body listing of ids, one detail POST per dataset."""
    items = {item["cata_id"]: item for item in envelope["data"]}
    listing_bodies: list[dict[str, Any]] = []

    def listing(params, body, base):
        request = json.loads(body)
        listing_bodies.append(request)
        ids = list(items)[(request["pageIndex"] - 1) * request["pageSize"]:request["pageIndex"] * request["pageSize"]]
        return 200, json.dumps({"code": 200, "data": [{"id": i} for i in ids]}).encode(), "application/json"

    def detail(params, body, base):
        item = items.get(json.loads(body)["id"])
        if item is None:
            return 404, b"{}", "application/json"
        return 200, json.dumps({"code": 200, "data": item}, ensure_ascii=False).encode(), "application/json"

    def profile_for(base: str) -> dict[str, Any]:
        profile = copy.deepcopy(load_portal(PROFILES_DIR / "portals" / "guizhou.yaml"))
        profile.update(url=base, allow_hosts=["127.0.0.1"], politeness={"requests_per_second": 10000})
        profile["options"]["request"]["page_size"] = 1
        profile["options"]["fields"].update(title="cata_title", department="org_name")
        return profile

    routes = {"/api/search/data/getDataDirectoryListByParams": listing, "/api/search/data/getDataDetailByDataId": detail}
    result, server, _ = harvest(store, routes, profile_for)
    assert result.status == "complete", result.errors
    assert result.datasets == len(items)
    assert [b["pageIndex"] for b in listing_bodies] == [1, 2, 3]  # JSON numbers, page_start 1
    assert server.requests["/api/search/data/getDataDetailByDataId"] == len(items)
    records = {r.native_id: r for r in store.records(result.harvest_id, with_raw=True)}
    for native_id, item in items.items():
        assert records[native_id].title == item["cata_title"]
        assert records[native_id].department == item["org_name"]
        assert records[native_id].raw == {"list": {"id": native_id}, "detail": item}
        assert records[native_id].landing_url == f"http://data.guizhou.gov.cn/open-data/{native_id}"


def test_a_broken_record_is_skipped_and_the_stream_goes_on(store, envelope):
    broken = copy.deepcopy(envelope)
    del broken["data"][0]["cata_title"]
    result, _, _ = harvest(store, {LIST_PATH: datatables_route(broken, [])}, lambda base: foshan_profile(base))
    assert result.status == "complete"
    assert result.datasets == len(envelope["data"]) - 1
    assert result.errors_count == 1
    assert envelope["data"][0]["cata_id"] in result.errors[0] and "title" in result.errors[0]


def test_an_unknown_code_is_kept_raw_and_reported(store, envelope):
    odd = copy.deepcopy(envelope)
    odd["data"][0]["conf_update_cycle"] = "3"  # the one code the public decoding table leaves out
    result, _, _ = harvest(store, {LIST_PATH: datatables_route(odd, [])}, lambda base: foshan_profile(base))
    record = {r.native_id: r for r in store.records(result.harvest_id)}[odd["data"][0]["cata_id"]]
    assert record.frequency_raw == "3" and record.frequency is None
    assert record.problems == ["frequency code '3' is not in the profile's code table"]
    assert store.harvest(result.harvest_id).info["catalogue"]["unmapped_codes"] == {"frequency": {"3": 1}}


def test_an_html_answer_fails_the_harvest_with_a_clear_reason(store):
    def html(params, body, base):
        return 200, b"<!DOCTYPE html><html><body>login</body></html>", "text/html"

    result, _, _ = harvest(store, {LIST_PATH: html}, lambda base: foshan_profile(base))
    assert result.status == "failed"
    assert any("HTML" in e for e in result.errors), result.errors


def test_a_list_path_that_holds_text_names_the_path(store):
    """The Zhejiang jdop_front shape: JSON whose `data` is rendered HTML."""
    def listing(params, body, base):
        return 200, json.dumps({"data": "<div class='search_result'>…</div>"}).encode(), "application/json"

    def profile_for(base: str) -> dict[str, Any]:
        profile = copy.deepcopy(load_portal(PROFILES_DIR / "portals" / "zhejiang.yaml"))
        profile.update(url=base, allow_hosts=["127.0.0.1"], politeness={"requests_per_second": 10000})
        return profile

    result, _, _ = harvest(store, {"/jdop_front/channal/datapubliclist.do": listing}, profile_for)
    assert result.status == "failed"
    assert any("expected a list at 'data', found str" in e for e in result.errors), result.errors


def test_bad_options_name_the_key_and_the_expectation():
    profile = {"id": "broken", "url": "https://example.org", "options": {"request": {"url": "/x", "method": "PUT"}}}
    with pytest.raises(ProfileError, match=r"portal 'broken' options: key 'request.method': expected one of GET, POST"):
        JsonApiAdapter(profile, Http())
    profile["options"] = {"request": {"url": "/x"}, "fields": {"titel": "name"}}
    with pytest.raises(ProfileError, match=r"key 'fields.titel': unknown key"):
        validate_options(profile)
    profile["options"] = {"request": {"url": "/x", "form": {}, "json": {}}}
    with pytest.raises(ProfileError, match=r"give one body"):
        validate_options(profile)
    with pytest.raises(ProfileError, match=r"needs options"):
        validate_options({"id": "none", "url": "https://example.org"})


def test_every_shipped_jsonapi_profile_has_valid_options():
    jsonapi = [load_portal(path) for path in portal_profile_paths() if load_portal(path)["software"] == "jsonapi"]
    names = {Path(p).stem for p in portal_profile_paths()}
    assert {"foshan", "guangdong", "guizhou", "chongqing", "shanghai", "zhejiang", "beijing-api"} <= names
    for profile in jsonapi:
        validate_options(profile)
    verified = {p["id"] for p in jsonapi if p.get("verified")}
    assert "foshan" in verified


def test_foshan_assessment_reads_usage_and_field_documentation(store, envelope):
    from tests.assessing import assess_fixture_portal

    result, _, profile = harvest(
        store, {LIST_PATH: datatables_route(envelope, [])}, lambda base: foshan_profile(base, page_size=1)
    )
    assessment = assess_fixture_portal(store, result.harvest_id, profile)
    items = envelope["data"]
    with_fields = sum(1 for item in items if _key(item, "cata_items"))
    assert assessment.measure("field_list_share")["value"] == with_fields / len(items)
    assert assessment.measure("usage_published_share")["value"] == 1.0  # catalogStatistic on every item
