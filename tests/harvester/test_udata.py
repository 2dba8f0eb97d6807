"""uData through a loopback /api/1/datasets/ that pages by next_page.

The shared French fixture folder holds uData's DCAT/RDF exports and harvest-source samples but no
/api/1/datasets/ JSON, so the catalogue is generated here in the documented shape: udata's
udata/core/dataset/api_fields.py (dataset_fields, resource_fields, the pager's data / page / page_size /
total / next_page / previous_page) and constants.py (UPDATE_FREQUENCIES, RESOURCE_TYPES), with the metrics
block as data.gouv.fr publishes it (views, reuses, followers, discussions, resources_downloads).
Expected figures come from that raw list.
"""

from __future__ import annotations

import orjson
import pytest

from harvester.run import run_harvest
from odq.pipeline import make_http
from odq.replay import ReplayCatalogue, ReplayServer
from tests.conftest import replay_profile

DATASETS = "/api/1/datasets/"
# udata's frequency codes, a legacy spelling udata still maps ("fortnighly"), and the default "unknown".
FREQUENCIES = ["annual", "monthly", "punctual", "unknown", "daily", "continuous", "quarterly", "irregular",
               "fourTimesAWeek", "fortnighly", "weekly", "semiannual"]
FORMATS = [("csv", "text/csv"), ("json", "application/json"), ("pdf", "application/pdf"),
           ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), ("", None)]


def generate(count: int) -> list[dict]:
    datasets = []
    for i in range(count):
        resources = []
        for j in range(i % 4):
            fmt, mime = FORMATS[(i + j) % len(FORMATS)]
            kind = "api" if (i + j) % 7 == 0 else ("documentation" if j == 2 else "main")
            resource = {
                "id": f"r{i:04d}{j}", "title": f"Ressource {j}", "description": None,
                "filetype": "file" if j % 2 == 0 else "remote", "type": kind, "format": fmt,
                "url": f"https://static.example.fr/resources/{i}/{j}.{fmt or 'bin'}",
                "latest": f"https://www.example.fr/fr/datasets/r/r{i:04d}{j}", "checksum": None,
                "filesize": 1024 * (i + j) if j % 2 == 0 else None, "mime": mime,
                "created_at": "2020-03-01T10:00:00+00:00", "last_modified": "2021-06-01T08:30:00+00:00",
                "metrics": {"views": (i * 7 + j) % 50} if i % 5 == 0 else {}, "extras": {}, "preview_url": None,
                "schema": {},
            }
            resources.append(resource)
        organization = ({"id": f"org{i % 6}", "name": f"Direction {i % 6}", "slug": f"direction-{i % 6}",
                         "acronym": None, "uri": "", "page": "", "logo": None, "badges": []}
                        if i % 4 else None)
        owner = None if organization else {"id": f"user{i}", "first_name": "Camille", "last_name": f"Martin{i}",
                                           "slug": f"camille-martin{i}", "page": "", "uri": ""}
        metrics = {"discussions": i % 3, "reuses": i % 5, "followers": i % 11, "views": i * 13}
        if i % 3 == 0:
            metrics["resources_downloads"] = i * 2
        datasets.append({
            "id": f"{i:024x}", "title": f"Jeu de données n°{i}", "acronym": None, "slug": f"jeu-de-donnees-{i}",
            "description": f"Description **markdown** {i}", "created_at": "2018-08-24T14:38:57.262000+00:00",
            "last_modified": f"2024-09-{1 + i % 28:02d}T06:41:23.766000+00:00",
            "last_update": "2913-13-45T00:00:00" if i == 42 else f"2024-08-{1 + i % 28:02d}T06:41:18+00:00",
            "deleted": None, "archived": None, "private": False, "featured": False,
            "tags": [f"tag{i % 9}", "open-data"], "badges": [], "resources": resources,
            "frequency": FREQUENCIES[i % len(FREQUENCIES)], "frequency_date": None, "extras": {},
            "metrics": metrics, "organization": organization, "owner": owner,
            "temporal_coverage": {"start": "2015-01-01", "end": "2020-12-31"} if i % 2 else None,
            "spatial": {"geom": None, "zones": ["fr:commune:75056"], "granularity": "fr:commune"} if i % 3 else None,
            "license": "lov2", "uri": f"https://www.example.fr/api/1/datasets/jeu-de-donnees-{i}/",
            "page": f"https://www.example.fr/fr/datasets/jeu-de-donnees-{i}/", "quality": {},
        })
    return datasets


class DatasetPages:
    """/api/1/datasets/?page=N&page_size=M&sort=...: the udata pager, with absolute next_page links."""

    def __init__(self, items: list, total: int | None = None) -> None:
        self.items = items
        self.total = len(items) if total is None else total
        self.calls: list[dict[str, str]] = []

    def __call__(self, params: dict[str, str], body: bytes, base: str) -> tuple[int, bytes, str]:
        self.calls.append(dict(params))
        page, size = int(params.get("page", 1)), int(params.get("page_size", 20))
        chunk = self.items[(page - 1) * size : page * size]
        more = page * size < len(self.items)
        sort = f"&sort={params['sort']}" if params.get("sort") else ""
        link = f"{base}{DATASETS}?page={{}}&page_size={size}{sort}"
        answer = {"data": chunk, "page": page, "page_size": size, "total": self.total,
                  "next_page": link.format(page + 1) if more else None,
                  "previous_page": link.format(page - 1) if page > 1 else None}
        return 200, orjson.dumps(answer), "application/json"


def udata_profile(base: str, portal_id: str = "udata-replay", **options) -> dict:
    return replay_profile(base, portal_id, "udata", options=options)


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory):
    from harvester.store import Store

    datasets = generate(230)
    junk = ["not a dataset", {"title": "no id here", "resources": []}]
    items = datasets[:150] + junk + datasets[150:]
    route = DatasetPages(items)
    store = Store(f"sqlite:///{tmp_path_factory.mktemp('udata') / 'odq.sqlite'}")
    with ReplayServer(ReplayCatalogue(packages=[], routes={DATASETS: route})) as server:
        profile = udata_profile(server.base)
        result = run_harvest(profile, store, make_http(profile))
    records = {r.native_id: r for r in store.records(result.harvest_id)}
    return {"datasets": datasets, "items": items, "route": route, "result": result, "records": records,
            "store": store}


def test_next_page_is_followed_to_the_end(catalogue):
    result, route = catalogue["result"], catalogue["route"]
    assert len(catalogue["items"]) == 232
    assert [c.get("page", "1") for c in route.calls] == ["1", "2", "3"]
    assert route.calls[0] == {"page_size": "100", "sort": "created"}
    assert result.status == "complete"
    assert result.expected_total == 232
    assert result.datasets == 230 and set(catalogue["records"]) == {d["id"] for d in catalogue["datasets"]}
    assert result.errors_count == 2  # the string and the dataset without an id are reported, not fatal
    assert result.distributions == sum(len(d["resources"]) for d in catalogue["datasets"])
    info = catalogue["store"].harvest(result.harvest_id).info["catalogue"]
    assert info["pages"] == 3 and info["dimensions"]["department"]["count"] == 6


def test_dataset_metadata_is_mapped(catalogue):
    records = catalogue["records"]
    for dataset in catalogue["datasets"]:
        record = records[dataset["id"]]
        organization, owner = dataset["organization"], dataset["owner"]
        assert record.title == dataset["title"] and record.description == dataset["description"]
        assert record.department == (organization["name"] if organization else None)
        assert record.publisher == (organization["name"] if organization else
                                    f"{owner['first_name']} {owner['last_name']}")
        assert [c.label for c in record.categories] == ([organization["name"]] if organization else [])
        assert record.keywords == dataset["tags"] and record.licence == dataset["license"]
        assert record.frequency_raw == dataset["frequency"]
        assert record.landing_url == dataset["page"]
        coverage = dataset["temporal_coverage"]
        assert record.temporal == (f"{coverage['start']}/{coverage['end']}" if coverage else None)
        assert record.spatial == ("fr:commune:75056 (fr:commune)" if dataset["spatial"] else None)
    assert records[f"{0:024x}"].frequency == "P1Y"  # annual
    assert records[f"{2:024x}"].frequency == "never"  # punctual
    assert records[f"{3:024x}"].frequency is None  # unknown is "not declared"
    bad = records[f"{42:024x}"]
    assert any("last_update" in p for p in bad.problems)
    assert bad.modified == "2024-09-15T06:41:23.766000"  # fell back to last_modified


def test_usage_views_and_downloads_are_published_figures_or_none(catalogue):
    records = catalogue["records"]
    for dataset in catalogue["datasets"]:
        usage = records[dataset["id"]].usage
        metrics = dataset["metrics"]
        per_resource = [r["metrics"]["views"] for r in dataset["resources"] if "views" in r["metrics"]]
        expected = metrics.get("resources_downloads", sum(per_resource) if per_resource else None)
        assert usage.views == metrics["views"]
        assert usage.downloads == expected
        assert usage.api_calls is None
    with_downloads = sum(1 for d in catalogue["datasets"] if "resources_downloads" in d["metrics"] or any(
        "views" in r["metrics"] for r in d["resources"]))
    assert catalogue["result"].mapping["downloads"] == pytest.approx(with_downloads / 230, abs=1e-4)
    assert catalogue["result"].mapping["views"] == 1.0


def test_resources_become_distributions(catalogue):
    records = catalogue["records"]
    for dataset in catalogue["datasets"]:
        distributions = records[dataset["id"]].distributions
        assert [d.access_url for d in distributions] == [r["url"] for r in dataset["resources"]]
        assert [d.is_api for d in distributions] == [r["type"] == "api" for r in dataset["resources"]]
        assert [d.byte_size for d in distributions] == [r["filesize"] for r in dataset["resources"]]
        assert [d.download_url for d in distributions] == [
            r["latest"] if r["filetype"] == "file" else None for r in dataset["resources"]]
        assert [d.format_raw for d in distributions] == [r["format"] or None for r in dataset["resources"]]
    formats = {d.format for r in records.values() for d in r.distributions}
    # the resources without a format have URLs ending in .bin: CKAN's BIN (binary data), read from the extension
    assert formats == {"CSV", "JSON", "PDF", "XLSX", "BIN"}


def test_a_next_page_that_loops_back_is_a_partial_harvest(store):
    datasets = generate(30)

    def looping(params: dict[str, str], body: bytes, base: str) -> tuple[int, bytes, str]:
        page = int(params.get("page", 1))
        chunk = datasets[(page - 1) * 20 : page * 20]
        # page 2 points back at page 1 with a relative link, as a misconfigured proxy might
        following = f"{DATASETS}?page_size=20&sort=created" if page == 2 else f"{DATASETS}?page=2&page_size=20"
        answer = {"data": chunk, "page": page, "page_size": 20, "total": 30, "next_page": following,
                  "previous_page": None}
        return 200, orjson.dumps(answer), "application/json"

    with ReplayServer(ReplayCatalogue(packages=[], routes={DATASETS: looping})) as server:
        profile = udata_profile(server.base, "udata-loop", page_size=20)
        result = run_harvest(profile, store, make_http(profile))
    assert result.status == "partial"
    assert result.datasets == 30
    assert any("already read" in e for e in result.errors)


def test_pages_that_only_repeat_what_was_read_stop_the_listing(store):
    """A next_page that differs in spelling but serves page one again must not loop for ever."""
    datasets = generate(20)
    calls = []

    def repeating(params: dict[str, str], body: bytes, base: str) -> tuple[int, bytes, str]:
        calls.append(params)
        answer = {"data": datasets, "page": 1, "page_size": 20, "total": 20, "previous_page": None,
                  "next_page": f"{base}{DATASETS}?page_size=20&page=1&n={len(calls)}"}
        return 200, orjson.dumps(answer), "application/json"

    with ReplayServer(ReplayCatalogue(packages=[], routes={DATASETS: repeating})) as server:
        profile = udata_profile(server.base, "udata-repeat", page_size=20)
        result = run_harvest(profile, store, make_http(profile))
    assert result.status == "partial" and result.datasets == 20
    assert len(calls) == 2
    assert any("page 2 brought no new dataset ids" in e for e in result.errors)
