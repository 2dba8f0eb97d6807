"""The recorded Seattle Discovery API pages (and two /api/views documents) replayed on loopback through the
Socrata adapter; every expected figure is read from the raw files here, not from the adapter."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import orjson
import pytest

from harvester.run import run_harvest
from odq.pipeline import make_http
from odq.replay import ReplayCatalogue, ReplayServer
from tests.conftest import real_fixture, replay_profile

FOLDER = "socrata_catalog_v1_and_views_api"
PAGES = ("cetera_catalog_v1_data.seattle.gov_education.json", "cetera_catalog_v1_data.seattle.gov_search.json")
VIEWS = ("api_views_vedg-c5sb.json", "api_views_a83c-up9r.json")
SEATTLE = "data.seattle.gov"


def _recorded_results() -> list[dict]:
    """The Discovery results as recorded, in order, repeats included (the search page lists one asset 4 times)."""
    results = []
    for name in PAGES:
        results.extend(json.loads(real_fixture(FOLDER, name).read_text(encoding="utf-8"))["results"])
    return results


def _distinct(results: list[dict]) -> dict[str, dict]:
    first: dict[str, dict] = {}
    for result in results:
        first.setdefault(result["resource"]["id"], result)
    return first


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).replace(tzinfo=None)


class Discovery:
    """/api/catalog/v1 over a list of results: domains, limit/offset (refused past max_offset, as Socrata does),
    scroll_id (ids after the given one, in id order) and order=<field> [ASC|DESC]."""

    def __init__(self, results: list[dict], max_offset: int = 10_000) -> None:
        self.results = results
        self.max_offset = max_offset
        self.calls: list[dict[str, str]] = []

    def __call__(self, params: dict[str, str], body: bytes, base: str) -> tuple[int, bytes, str]:
        self.calls.append(dict(params))
        domain = params.get("domains")
        selected = [r for r in self.results if not domain or r["metadata"]["domain"] == domain]
        limit = int(params.get("limit", 10))
        if "scroll_id" in params:
            after = params["scroll_id"]
            selected = sorted((r for r in selected if r["resource"]["id"] > after), key=lambda r: r["resource"]["id"])
            page = selected[:limit]
        else:
            offset = int(params.get("offset", 0))
            if offset + limit > self.max_offset:
                return 400, b'{"error": "offset + limit must not exceed 10000; use scroll_id"}', "application/json"
            if params.get("order"):
                field, _, direction = params["order"].partition(" ")
                selected = sorted(selected, key=lambda r: _when(r["resource"][field]),
                                  reverse=direction.strip().upper() == "DESC")
            page = selected[offset : offset + limit]
        body = {"results": page, "resultSetSize": len(selected), "timings": {"serviceMillis": 1, "searchMillis": 1}}
        return 200, orjson.dumps(body), "application/json"


def socrata_profile(base: str, **options) -> dict:
    return replay_profile(base, "seattle-replay", "socrata", options={"domain": SEATTLE, **options})


@pytest.fixture(scope="module")
def seattle(tmp_path_factory):
    from harvester.store import Store

    results = _recorded_results()
    route = Discovery(results)
    store = Store(f"sqlite:///{tmp_path_factory.mktemp('seattle') / 'odq.sqlite'}")
    with ReplayServer(ReplayCatalogue(packages=[], routes={"/api/catalog/v1": route})) as server:
        profile = socrata_profile(server.base, page_size=3)
        result = run_harvest(profile, store, make_http(profile))
    records = {r.native_id: r for r in store.records(result.harvest_id, with_raw=True)}
    harvest = store.harvest(result.harvest_id)
    return {"results": results, "route": route, "store": store, "result": result, "records": records,
            "harvest": harvest}


def test_every_distinct_asset_is_harvested_once(seattle):
    results, result = seattle["results"], seattle["result"]
    distinct = _distinct(results)
    assert len(results) == 11 and len(distinct) == 8  # the recorded search page repeats 3k2p-39jp four times
    assert result.status == "complete"
    assert result.errors_count == 0
    assert result.expected_total == len(results)  # what the replayed portal reports, repeats included
    assert result.datasets == len(distinct)
    assert set(seattle["records"]) == set(distinct)
    info = seattle["harvest"].info["catalogue"]
    assert info["listing"] == "discovery-offset"
    assert info["repeats"] == len(results) - len(distinct)
    assert all("scroll_id" not in call for call in seattle["route"].calls)
    assert seattle["route"].calls[0]["domains"] == SEATTLE and seattle["route"].calls[0]["limit"] == "3"


def test_columns_and_their_descriptions_are_mapped(seattle):
    for native, raw in _distinct(seattle["results"]).items():
        resource = raw["resource"]
        record = seattle["records"][native]
        assert [f.name for f in record.fields] == resource["columns_field_name"]
        assert [f.title for f in record.fields] == resource["columns_name"]
        expected = [d or None for d in resource["columns_description"]]
        assert [f.description for f in record.fields] == expected
    described = sum(1 for r in _distinct(seattle["results"]).values() for d in r["resource"]["columns_description"] if d)
    stored = sum(1 for r in seattle["records"].values() for f in r.fields if f.description)
    assert stored == described == 31  # only the three ArcGIS map layers (9 + 11 + 11 columns) document theirs


def test_usage_figures_are_the_published_ones_and_none_when_absent(seattle):
    for native, raw in _distinct(seattle["results"]).items():
        resource = raw["resource"]
        usage = seattle["records"][native].usage
        assert usage.downloads == resource.get("download_count")
        assert usage.views == (resource.get("page_views") or {}).get("page_views_total")
        assert usage.api_calls is None
    mapping = seattle["result"].mapping
    with_downloads = sum(1 for r in _distinct(seattle["results"]).values() if "download_count" in r["resource"])
    assert mapping["downloads"] == pytest.approx(with_downloads / 8, abs=1e-4)


def test_classification_keywords_frequency_and_distributions(seattle):
    distributions = 0
    for native, raw in _distinct(seattle["results"]).items():
        record, classification = seattle["records"][native], raw["classification"]
        domain_category = classification["domain_category"]
        themes = domain_category if isinstance(domain_category, list) else [domain_category]
        assert [c.label for c in record.categories if c.dimension == "theme"] == themes
        assert [c.label for c in record.categories if c.dimension == "other"] == classification["categories"]
        owner = {m["key"]: m["value"] for m in classification["domain_metadata"]}["Data-Owner_Owner"]
        assert record.department == owner
        assert record.keywords == list(dict.fromkeys(classification["tags"] + classification["domain_tags"]))
        frequency = [m["value"] for m in classification["domain_metadata"] if "frequency" in m["key"].lower()]
        assert record.frequency_raw == (frequency[0] if frequency else None)
        assert record.landing_url == raw["permalink"]
        if raw["resource"]["type"] == "dataset":
            distributions += 2
            api, export = record.distributions
            assert api.is_api and api.access_url == f"https://{SEATTLE}/resource/{native}.json"
            assert export.download_url == f"https://{SEATTLE}/api/views/{native}/rows.csv?accessType=DOWNLOAD"
            assert export.format == "CSV"
        else:
            assert record.distributions == []
        assert record.raw == raw
    assert seattle["result"].distributions == distributions == 10
    assert seattle["records"]["3k2p-39jp"].frequency == "PT1H"  # "hourly"
    assert seattle["records"]["y6ef-jf2w"].frequency == "P1M"  # "Monthly"


def test_scroll_paging_lists_the_same_assets(store):
    results = _recorded_results()
    route = Discovery(results)
    with ReplayServer(ReplayCatalogue(packages=[], routes={"/api/catalog/v1": route})) as server:
        profile = socrata_profile(server.base, page_size=3, paging="scroll")
        result = run_harvest(profile, store, make_http(profile))
    assert result.status == "complete"
    assert {r.native_id for r in store.records(result.harvest_id)} == set(_distinct(results))
    assert store.harvest(result.harvest_id).info["catalogue"]["listing"] == "discovery-scroll"
    scroll_ids = [call["scroll_id"] for call in route.calls if "scroll_id" in call]
    assert scroll_ids[0] == "0000-0000" and scroll_ids == sorted(scroll_ids)


def test_a_catalogue_deeper_than_offsets_reach_is_scrolled(store):
    """Offsets stop at max_offset (10,000 on Socrata; 6 here): the adapter sees the total and scrolls instead."""
    results = _recorded_results()
    route = Discovery(results, max_offset=6)
    with ReplayServer(ReplayCatalogue(packages=[], routes={"/api/catalog/v1": route})) as server:
        profile = socrata_profile(server.base, page_size=3, max_offset=6)
        result = run_harvest(profile, store, make_http(profile))
    assert result.status == "complete" and result.errors_count == 0
    assert result.datasets == len(_distinct(results))
    assert store.harvest(result.harvest_id).info["catalogue"]["listing"] == "discovery-scroll"


def _view_result(view: dict) -> dict:
    """A Discovery entry for a recorded /api/views document: only what a listing needs, no column data."""
    def iso(epoch: int) -> str:
        return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")

    resource = {"id": view["id"], "name": view["name"], "type": "dataset", "createdAt": iso(view["createdAt"]),
                "updatedAt": iso(view["viewLastModified"])}
    return {"resource": resource,
            "classification": {"categories": [], "tags": [], "domain_tags": [], "domain_metadata": []},
            "metadata": {"domain": "opendata.socrata.com"}, "permalink": f"https://opendata.socrata.com/d/{view['id']}"}


def test_views_detail_adds_column_descriptions_downloads_and_rows_updated(store):
    views = [json.loads(real_fixture(FOLDER, name).read_text(encoding="utf-8")) for name in VIEWS]
    files = {f"api/views/{v['id']}.json": (orjson.dumps(v), "application/json") for v in views}
    results = [*_recorded_results(), *(_view_result(v) for v in views)]
    catalogue = ReplayCatalogue(packages=[], files=files, routes={"/api/catalog/v1": Discovery(results)})
    with ReplayServer(catalogue) as server:
        profile = socrata_profile(server.base, domain="opendata.socrata.com", views_detail=True)
        result = run_harvest(profile, store, make_http(profile))
        seattle_profile = socrata_profile(server.base, views_detail=True)
        seattle_profile["id"] = "seattle-views"
        seattle_result = run_harvest(seattle_profile, store, make_http(seattle_profile))
    assert result.status == "complete" and result.datasets == 2
    records = {r.native_id: r for r in store.records(result.harvest_id)}
    for view in views:
        record = records[view["id"]]
        columns = [c for c in view["columns"] if not c["fieldName"].startswith(":")]
        assert [f.name for f in record.fields] == [c["fieldName"] for c in columns]
        assert [f.type for f in record.fields] == [c["dataTypeName"] for c in columns]
        assert [f.description for f in record.fields] == [c.get("description") or None for c in columns]
        assert record.usage.downloads == view["downloadCount"]
        assert record.usage.views == view["viewCount"]
        rows_updated = datetime.fromtimestamp(view["rowsUpdatedAt"], UTC).replace(tzinfo=None).isoformat()
        assert record.modified == rows_updated
        assert record.problems == []
    assert records["vedg-c5sb"].usage.downloads == 8688
    assert sum(1 for f in records["vedg-c5sb"].fields if f.description) == 4
    assert [c.label for c in records["vedg-c5sb"].categories] == ["Government"]  # the view's category
    assert store.harvest(result.harvest_id).info["catalogue"]["views_detail"] == {"fetched": 2, "failed": 0}

    # Seattle's assets have no recorded view: each record is kept, with the gap noted.
    assert seattle_result.status == "complete" and seattle_result.datasets == 8
    assert store.harvest(seattle_result.harvest_id).info["catalogue"]["views_detail"] == {"fetched": 0, "failed": 8}
    assert all(r.problems == ["/api/views metadata unavailable"] for r in store.records(seattle_result.harvest_id))


def test_incremental_harvest_pages_newest_first_and_stops_at_the_bookmark(store):
    results = _recorded_results()
    route = Discovery(results)
    with ReplayServer(ReplayCatalogue(packages=[], routes={"/api/catalog/v1": route})) as server:
        profile = socrata_profile(server.base, page_size=3)
        full = run_harvest(profile, store, make_http(profile))
        newest = max(_when(r["resource"]["updatedAt"]) for r in results)
        assert store.harvest(full.harvest_id).bookmark["modified_since"] == newest.isoformat()
        route.calls.clear()
        second = run_harvest(profile, store, make_http(profile), incremental=True)
    assert second.status == "complete"
    changed = {r["resource"]["id"] for r in results if _when(r["resource"]["updatedAt"]) >= newest}
    assert changed == {"3k2p-39jp"}
    assert all(call.get("order") == "updatedAt DESC" for call in route.calls)
    # Newest first, three to a page: the four copies of 3k2p-39jp fill page one and open page two,
    # whose next asset is older than the bookmark.
    assert len(route.calls) == 2
    assert second.carried_forward == len(_distinct(results)) - len(changed)
    assert second.datasets == len(_distinct(results))
    assert second.new_records == 0


def test_more_changes_than_offsets_reach_fall_back_to_a_full_listing():
    """Newest-first paging can only go max_offset deep: past that the adapter lists everything instead."""
    from harvester.adapters.socrata import SocrataAdapter

    results = _recorded_results()
    route = Discovery(results, max_offset=3)
    with ReplayServer(ReplayCatalogue(packages=[], routes={"/api/catalog/v1": route})) as server:
        profile = socrata_profile(server.base, page_size=3, max_offset=3)
        adapter = SocrataAdapter(profile, make_http(profile))
        listed = [r.native_id for r in adapter.records({"modified_since": "2000-01-01T00:00:00"})]
    assert sorted(listed) == sorted(_distinct(results))
    assert adapter.incremental is False  # so the run does not carry an earlier harvest forward
    facts = adapter.catalogue_info()
    assert "incremental_refused" in facts.details and facts.listing == "discovery-scroll"


def test_seattle_assessment_counts_published_usage(seattle):
    from tests.assessing import assess_fixture_portal

    store, result, records = seattle["store"], seattle["result"], seattle["records"]
    assessment = assess_fixture_portal(store, result.harvest_id, {"id": result.portal_id, "level": "city"})
    published = sum(1 for r in records.values() if r.usage.downloads is not None)
    assert assessment.measure("downloads_published_share")["value"] == published / len(records)
