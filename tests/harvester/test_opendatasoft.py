"""OpenDataSoft through a loopback Explore v2.1 catalogue that enforces the 10,000 offset + limit rule.

No OpenDataSoft response was recorded, so the catalogue is generated here in the documented Explore v2.1
shape (help.opendatasoft.com/apis/ods-explore-v2, the opendatasoft-explore-sdk models DatasetV21 /
DatasetV21FieldsInner / ResultsDatasetV21 / GetDatasets400Response): {"total_count", "results": [{"dataset_id",
"has_records", "features", "attachments", "fields": [{name, label, type, description, annotations}],
"metas": {"default": {...}, "dcat": {...}, "explore": {...}}}]}. Expected figures come from that raw list.
"""

from __future__ import annotations

import bisect
import copy
import random
import re
from datetime import UTC, datetime, timedelta

import orjson
import pytest

from harvester.adapters.opendatasoft import OpenDataSoftAdapter
from harvester.records import DatasetRecord
from harvester.run import run_harvest
from odq.pipeline import make_http
from odq.replay import ReplayCatalogue, ReplayServer
from tests.conftest import replay_profile

EXPLORE = "/api/explore/v2.1/catalog/datasets"
SEARCH_V1 = "/api/datasets/1.0/search/"
THEMES = ["Environnement", "Transports", "Culture", "Santé", None]
FREQUENCIES = ["Mensuelle", "Annuelle", "Quotidienne", "http://publications.europa.eu/resource/authority/frequency/WEEKLY",
               "Trimestrielle", None]
PUBLISHERS = ["Direction de la Voirie", "Service Culture", None]
WHERE = re.compile(r'^modified>="([^"]+)"$')


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def generate(count: int, *, tie: int = 7, seed: int = 7) -> list[dict]:
    """`count` tiny datasets; `tie` of them share each modified time, so page boundaries fall inside ties."""
    start = datetime(2019, 1, 1, tzinfo=UTC)
    datasets = []
    for i in range(count):
        default = {
            "title": f"Jeu de données {i}", "description": f"<p>Description {i}</p>" if i % 4 else None,
            "theme": [THEMES[i % 5]] if THEMES[i % 5] else None, "keyword": [f"mot{i % 13}", "open data"],
            "publisher": PUBLISHERS[i % 3], "modified": (start + timedelta(minutes=i // tie)).isoformat(),
            "license": "Licence Ouverte v2.0", "records_count": i * 3, "language": "fr", "timezone": None,
        }
        dataset = {
            "dataset_id": f"jeu-{i:05d}", "dataset_uid": f"da_{i:06x}", "has_records": i % 10 != 0,
            "data_visible": True, "features": ["analyze", "geo"] if i % 5 == 0 else ["analyze"],
            "attachments": ([{"id": f"notice_{i}", "mimetype": "application/pdf", "title": "Notice",
                              "url": f"odsfile://notice_{i}.pdf"}] if i % 50 == 0 else []),
            "fields": [
                {"name": "code", "label": "Code", "type": "text", "annotations": {},
                 "description": "Code INSEE de la commune" if i % 3 == 0 else None},
                {"name": "valeur", "label": "Valeur", "type": "double", "annotations": {}, "description": None},
            ],
            "metas": {"default": default, "dcat": {"accrualperiodicity": FREQUENCIES[i % 6],
                                                    "issued": (start - timedelta(days=i % 400)).isoformat()}},
        }
        if i % 2 == 0:
            dataset["metas"]["explore"] = {"download_count": i % 97, "api_call_count": i % 31, "popularity_score": 1}
        datasets.append(dataset)
    random.Random(seed).shuffle(datasets)  # ties come back in an order unrelated to their ids
    return datasets


class Explore:
    """The Explore v2.1 catalogue endpoint: order_by=modified asc, where=modified>="...", and a 400 when
    offset + limit reaches the window, as OpenDataSoft answers."""

    def __init__(self, datasets: list[dict], window: int = 10_000) -> None:
        rows = sorted(datasets, key=lambda d: _when(d["metas"]["default"]["modified"]))  # stable: ties keep order
        self.keys = [_when(d["metas"]["default"]["modified"]) for d in rows]
        self.bodies = [orjson.dumps(d) for d in rows]
        self.window = window
        self.calls: list[dict[str, str]] = []
        self.refused = 0

    def __call__(self, params: dict[str, str], body: bytes, base: str) -> tuple[int, bytes, str]:
        self.calls.append(dict(params))
        limit, offset = int(params.get("limit", 10)), int(params.get("offset", 0))
        if limit > 100 or offset + limit >= self.window:
            self.refused += 1
            error = {"error_code": "InvalidRESTParameterError",
                     "message": f"Invalid value for offset: offset + limit must be lower than {self.window}"}
            return 400, orjson.dumps(error), "application/json"
        if params.get("order_by") != "modified asc":
            return 400, b'{"error_code": "ODSQLError", "message": "unexpected order_by"}', "application/json"
        low = 0
        if params.get("where"):
            match = WHERE.match(params["where"])
            if not match:
                return 400, b'{"error_code": "ODSQLError", "message": "unexpected where"}', "application/json"
            low = bisect.bisect_left(self.keys, _when(match.group(1)))
        selected = self.bodies[low:]
        page = b",".join(selected[offset : offset + limit])
        return 200, b'{"total_count":%d,"results":[%s]}' % (len(selected), page), "application/json"


class SearchV1:
    """The Search API v1 (/api/datasets/1.0/search/): rows/start pages of flat `metas`, `datasetid`."""

    def __init__(self, datasets: list[dict]) -> None:
        self.datasets = [to_v1(d) for d in datasets]

    def __call__(self, params: dict[str, str], body: bytes, base: str) -> tuple[int, bytes, str]:
        rows, start = int(params.get("rows", 10)), int(params.get("start", 0))
        page = {"nhits": len(self.datasets), "parameters": {"rows": rows, "start": start},
                "datasets": self.datasets[start : start + rows]}
        return 200, orjson.dumps(page), "application/json"


def to_v1(dataset: dict) -> dict:
    return {"datasetid": dataset["dataset_id"], "metas": dataset["metas"]["default"], "fields": dataset["fields"],
            "has_records": dataset["has_records"], "features": dataset["features"],
            "attachments": dataset["attachments"], "interop_metas": {"dcat": dataset["metas"]["dcat"]}}


def ods_profile(base: str, portal_id: str = "ods-replay", **options) -> dict:
    return replay_profile(base, portal_id, "opendatasoft", options=options)


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    """10,250 datasets: more than offsets reach, so the listing must continue by the modified cursor."""
    from harvester.store import Store

    datasets = generate(10_250)
    route = Explore(datasets)
    store = Store(f"sqlite:///{tmp_path_factory.mktemp('ods') / 'odq.sqlite'}")
    with ReplayServer(ReplayCatalogue(packages=[], routes={EXPLORE: route})) as server:
        profile = ods_profile(server.base)
        adapter = OpenDataSoftAdapter(profile, make_http(profile))
        streamed = [item.native_id for item in adapter.records()]
        listing = {"info": adapter.catalogue_info().to_json(), "refused": route.refused, "calls": list(route.calls)}
        route.calls.clear()
        result = run_harvest(profile, store, make_http(profile))
    records = {r.native_id: r for r in store.records(result.harvest_id)}
    return {"datasets": datasets, "streamed": streamed, "listing": listing, "result": result, "records": records,
            "store": store, "base": server.base}


def test_all_10250_datasets_are_listed_once_past_the_offset_limit(big):
    ids = {d["dataset_id"] for d in big["datasets"]}
    assert len(ids) == 10_250
    assert len(big["streamed"]) == len(set(big["streamed"])) == 10_250  # no repeats in the stream itself
    assert set(big["streamed"]) == ids
    listing = big["listing"]
    assert listing["refused"] == 0  # never asked for offset + limit >= 10,000
    assert all(int(c["offset"]) + int(c["limit"]) < 10_000 for c in listing["calls"])
    assert listing["info"]["cursor_restarts"] == 1
    assert any(c.get("where", "").startswith('modified>="') and c["offset"] == "0" for c in listing["calls"])
    assert listing["info"]["repeats"] > 0  # the datasets already listed at the cursor's timestamp were skipped
    result = big["result"]
    assert result.status == "complete" and result.errors_count == 0
    assert result.datasets == 10_250 and result.expected_total == 10_250
    assert set(big["records"]) == ids


def test_metadata_fields_and_usage_are_mapped(big):
    raw = {d["dataset_id"]: d for d in big["datasets"]}
    records: dict[str, DatasetRecord] = big["records"]
    for native in ("jeu-00000", "jeu-00003", "jeu-00050", "jeu-07777"):
        dataset, record = raw[native], records[native]
        default, dcat = dataset["metas"]["default"], dataset["metas"]["dcat"]
        assert record.title == default["title"] and record.licence == default["license"]
        assert [c.label for c in record.categories if c.dimension == "theme"] == (default["theme"] or [])
        assert record.publisher == default["publisher"] and record.keywords == default["keyword"]
        assert record.frequency_raw == dcat["accrualperiodicity"]
        assert record.record_count == default["records_count"]
        assert [(f.name, f.title, f.type, f.description) for f in record.fields] == [
            (f["name"], f["label"], f["type"], f["description"]) for f in dataset["fields"]]
        explore = dataset["metas"].get("explore") or {}
        assert record.usage.downloads == explore.get("download_count")
        assert record.usage.api_calls == explore.get("api_call_count")
        assert record.usage.views is None
        assert record.modified == _when(default["modified"]).replace(tzinfo=None).isoformat()
        assert record.landing_url == f"{big['base']}/explore/dataset/{native}/"
    assert records["jeu-00000"].frequency == "P1M"  # Mensuelle
    assert records["jeu-00003"].frequency == "P1W"  # the EU WEEKLY URI

    described = sum(1 for d in raw.values() for f in d["fields"] if f["description"])
    assert sum(1 for r in records.values() for f in r.fields if f.description) == described
    mapping = big["result"].mapping
    assert mapping["downloads"] == pytest.approx(sum("explore" in d["metas"] for d in raw.values()) / 10_250, abs=1e-4)
    assert mapping["categories"] == pytest.approx(
        sum(bool(d["metas"]["default"]["theme"] or d["metas"]["default"]["publisher"]) for d in raw.values()) / 10_250,
        abs=1e-4)
    assert mapping["views"] == 0.0


def test_distributions_are_the_records_api_the_exports_and_the_attachments(big):
    def expected(d: dict) -> int:
        tabular = (1 + 2 + ("geo" in d["features"])) if d["has_records"] else 0
        return tabular + len(d["attachments"])

    assert big["result"].distributions == sum(expected(d) for d in big["datasets"])
    record = big["records"]["jeu-00005"]  # has records, a geo feature, no attachment
    api, csv, json_export, geojson = record.distributions
    assert api.is_api and api.access_url == f"{big['base']}/api/explore/v2.1/catalog/datasets/jeu-00005/records"
    assert (csv.format, json_export.format, geojson.format) == ("CSV", "JSON", "GEOJSON")
    attachment = big["records"]["jeu-00050"].distributions[-1]  # no records (50 % 10 == 0), one PDF notice
    assert len(big["records"]["jeu-00050"].distributions) == 1 and attachment.format == "PDF"


def test_falls_back_to_search_v1_when_explore_v2_1_is_missing(store):
    datasets = generate(250)
    catalogue = ReplayCatalogue(packages=[], routes={SEARCH_V1: SearchV1(datasets)})  # v2.1 answers 404
    with ReplayServer(catalogue) as server:
        profile = ods_profile(server.base, "ods-v1")
        result = run_harvest(profile, store, make_http(profile))
        assert server.requests[EXPLORE] == 1
    assert result.status == "complete" and result.errors_count == 0
    assert result.datasets == result.expected_total == 250
    info = store.harvest(result.harvest_id).info["catalogue"]
    assert info["listing"] == "search-v1" and info["pages"] == 3
    records = {r.native_id: r for r in store.records(result.harvest_id)}
    assert set(records) == {d["dataset_id"] for d in datasets}
    api = records["jeu-00001"].distributions[0]
    assert api.is_api and api.access_url == f"{server.base}/api/records/1.0/search/?dataset=jeu-00001"
    assert records["jeu-00001"].frequency_raw == "Annuelle" and records["jeu-00001"].frequency == "P1Y"


def test_incremental_harvest_asks_only_for_what_changed(store):
    datasets = generate(350)
    with ReplayServer(ReplayCatalogue(packages=[], routes={EXPLORE: Explore(datasets)})) as server:
        profile = ods_profile(server.base, "ods-incremental")
        full = run_harvest(profile, store, make_http(profile))
        port = server.port
    newest = max(d["metas"]["default"]["modified"] for d in datasets)
    assert store.harvest(full.harvest_id).bookmark["modified_since"] == newest

    changed = copy.deepcopy(datasets)
    later = (_when(newest) + timedelta(hours=1)).isoformat()
    for dataset in changed[:3]:
        dataset["metas"]["default"]["modified"] = later
        dataset["metas"]["default"]["title"] += " (révisé)"
    route = Explore(changed)
    with ReplayServer(ReplayCatalogue(packages=[], routes={EXPLORE: route}), port=port) as server:
        second = run_harvest(profile, store, make_http(profile), incremental=True)
    assert second.status == "complete"
    assert [c["where"] for c in route.calls] == [f'modified>="{newest}"']
    assert second.new_records == 3
    assert second.datasets == 350 and second.carried_forward == 350 - 3 - sum(
        d["metas"]["default"]["modified"] == newest for d in changed)
    assert store.harvest(second.harvest_id).bookmark["modified_since"] == later


def test_more_datasets_on_one_timestamp_than_the_window_is_a_partial_harvest(store):
    datasets = generate(420, tie=420)  # all share one modified time
    with ReplayServer(ReplayCatalogue(packages=[], routes={EXPLORE: Explore(datasets, window=300)})) as server:
        profile = ods_profile(server.base, "ods-tied", max_window=300)
        result = run_harvest(profile, store, make_http(profile))
    assert result.status == "partial"
    assert result.datasets == 200  # two pages fit in the window; the cursor cannot move past the tie
    assert any("share modified" in e for e in result.errors)
