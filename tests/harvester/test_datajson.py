"""data.json catalogues replayed on loopback: datos.gob.ar (Argentine profile), healthdata.gov and ed.gov (DCAT-US 1.1),
data.gov's edge-case samples, ArcGIS Hub exports, and Socrata's 2013 Project Open Data arrays."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import harvester.adapters.datajson as datajson
from harvester.adapters.base import SkippedRecord
from harvester.dates import BadDate, parse_date
from harvester.run import run_harvest
from odq.pipeline import make_http
from odq.replay import ReplayCatalogue, ReplayServer
from tests.conftest import real_fixture, replay_profile

ARGENTINA = "argentina_datos_gob_ar_datajson"
US = "us_dcatus_datajson"
SOCRATA = "socrata_datajson_2013"
FRENCH = "dcat_rdf_french_portals_udata_fixtures"
GSA_SAMPLES = [
    "arm", "collection-1-parent-2-children", "collection-2-parent-4-children", "geospatial", "large-spatial",
    "many-resources", "missing-catalog", "missing-dataset-fields", "missing-identifier-title", "null-spatial",
    "numerical-title", "ny", "reserved-title", "usda.gov",
]
# ISO 8601 repeating intervals and labels of the Argentine and DCAT-US profiles → the period or class they name.
PERIODS = {
    "R/PT1S": "continuous", "R/PT1H": "PT1H", "R/P1D": "P1D", "R/P1W": "P1W", "R/P0.5M": "P15D", "R/P1M": "P1M",
    "R/P2M": "P2M", "R/P3M": "P3M", "R/P6M": "P6M", "R/P1Y": "P1Y", "R/P2Y": "P2Y", "R/P3Y": "P3Y",
    "eventual": "irregular", "irregular": "irregular",
}


def datajson_profile(url: str, portal_id: str = "replay-datajson", **extra) -> dict:
    return replay_profile(url, portal_id, "datajson", level="ministry", **extra)


def serve(body: bytes, content_type: str = "application/json", status: int = 200):
    return lambda params, _body, _base: (status, body, content_type)


def harvest_body(body: bytes, store, *, content_type: str = "application/json", status: int = 200, **kwargs):
    """Serve a data.json at /data.json; the profile gives only the portal root, as most do."""
    routes = {"/data.json": serve(body, content_type, status)}
    with ReplayServer(ReplayCatalogue(packages=[], routes=routes)) as server:
        profile = datajson_profile(server.base)
        return run_harvest(profile, store, make_http(profile), **kwargs)


def stored(store, result) -> dict:
    return {r.native_id: r for r in store.records(result.harvest_id)}


def load(path: Path):
    return json.loads(path.read_bytes())


def field_list(distribution: dict) -> list:
    """The Argentine "field" list; one datos.gob.ar distribution writes it as the string "[]"."""
    fields = distribution.get("field")
    return [f for f in fields if isinstance(f, dict)] if isinstance(fields, list) else []


def readable_date(value) -> str | None:
    """What parse_date makes of a date; None for what it cannot read (2014-01, "-", R/P1D in healthdata.gov)."""
    try:
        return parse_date(value)
    except BadDate:
        return None


def first_occurrences(entries: list) -> dict:
    kept: dict = {}
    for entry in entries:
        if isinstance(entry, dict) and entry.get("identifier") not in (None, ""):
            kept.setdefault(str(entry["identifier"]).strip(), entry)
    return kept


# ---------------------------------------------------------------- datos.gob.ar (Argentine profile)


@pytest.fixture(scope="module")
def argentina(tmp_path_factory):
    from harvester.store import Store

    path = real_fixture(ARGENTINA, "datos.gob.ar_data.json_2018-04-18.json")
    store = Store(f"sqlite:///{tmp_path_factory.mktemp('argentina') / 'odq.sqlite'}")
    result = harvest_body(path.read_bytes(), store)
    return {"raw": load(path), "store": store, "result": result, "records": stored(store, result)}


def test_argentina_every_dataset_and_distribution(argentina):
    raw, result = argentina["raw"], argentina["result"]
    assert len(raw["dataset"]) == 617
    assert result.status == "complete" and result.errors_count == 0
    assert result.datasets == result.expected_total == len(raw["dataset"])
    assert result.distributions == sum(len(d["distribution"]) for d in raw["dataset"]) == 1494


def test_argentina_declared_frequencies_normalise(argentina):
    raw, records = argentina["raw"], argentina["records"]
    declared = {d["identifier"]: d["accrualPeriodicity"] for d in raw["dataset"] if d.get("accrualPeriodicity")}
    assert len(declared) == 613
    assert {k: records[k].frequency_raw for k in declared} == declared
    assert {k: records[k].frequency for k in declared} == {k: PERIODS[v] for k, v in declared.items()}
    undeclared = [r for k, r in records.items() if k not in declared]
    assert len(undeclared) == 4 and all(r.frequency is None for r in undeclared)
    assert argentina["result"].mapping["frequency"] == round(613 / 617, 4)


def test_argentina_themes_come_from_the_catalogue_taxonomy(argentina):
    raw, records = argentina["raw"], argentina["records"]
    taxonomy = {t["id"]: t["label"] for t in raw["themeTaxonomy"]}
    for dataset in raw["dataset"]:
        record = records[dataset["identifier"]]
        themes = [(c.label, c.code) for c in record.categories if c.dimension == "theme"]
        assert themes == [(taxonomy[t], t) for t in dataset["theme"]]
        assert record.department == record.publisher == dataset["publisher"]["name"].strip()
    info = argentina["store"].harvest(argentina["result"].harvest_id).info["catalogue"]
    assert info["shape"] == "argentina" and info["theme_taxonomy"] == len(taxonomy) == 13


def test_argentina_field_lists_become_record_fields(argentina):
    raw, records = argentina["raw"], argentina["records"]
    documented = [d for d in raw["dataset"] if any(field_list(x) for x in d["distribution"])]
    assert len(documented) == 3
    for dataset in documented:
        record = records[dataset["identifier"]]
        expected = {}
        for distribution in dataset["distribution"]:
            for field in field_list(distribution):
                expected.setdefault(field["title"], (field.get("type"), field.get("description")))
        assert {f.name: (f.type, f.description) for f in record.fields} == expected
        for distribution, stored_distribution in zip(dataset["distribution"], record.distributions, strict=True):
            assert stored_distribution.field_names == [f["title"] for f in field_list(distribution)]
    assert sum(1 for r in records.values() if r.fields) == len(documented)


def test_argentina_bookmark_and_incremental_run(argentina, store):
    raw = argentina["raw"]
    path = real_fixture(ARGENTINA, "datos.gob.ar_data.json_2018-04-18.json")
    first = harvest_body(path.read_bytes(), store)
    second = harvest_body(path.read_bytes(), store, incremental=True)
    assert store.harvest(first.harvest_id).bookmark == {
        "modified_since": max(parse_date(d["modified"]) for d in raw["dataset"])
    }
    # One document: the incremental run lists everything again, and nothing is stored twice.
    assert second.status == "complete" and second.datasets == 617 and second.new_records == 0


def test_justicia_catalogue_super_themes_and_fields(store):
    path = real_fixture(ARGENTINA, "catalogo_justicia.json")
    raw = load(path)
    result = harvest_body(path.read_bytes(), store)
    records = stored(store, result)
    assert result.datasets == len(raw["dataset"]) == 16
    assert result.distributions == sum(len(d["distribution"]) for d in raw["dataset"]) == 56
    for dataset in raw["dataset"]:
        record = records[dataset["identifier"]]
        # superThemeTaxonomy is only a URL here, so the super themes keep their ids as labels.
        assert [c.label for c in record.categories if c.dimension == "other"] == dataset["superTheme"]
        assert record.frequency == PERIODS[dataset["accrualPeriodicity"]]
    assert sum(len(d.field_names) for r in records.values() for d in r.distributions) == sum(
        len(field_list(x)) for d in raw["dataset"] for x in d["distribution"]
    )


# ---------------------------------------------------------------- DCAT-US 1.1


def test_healthdata_gov_repeated_identifiers_are_reported_not_stored_twice(store):
    path = real_fixture(US, "healthdata.gov.data.json")
    raw = load(path)
    entries = raw["dataset"]
    kept = first_occurrences(entries)
    result = harvest_body(path.read_bytes(), store)
    assert len(entries) == 1762
    assert result.status == "complete"
    assert result.expected_total == len(entries)
    assert result.datasets == len(kept) == 1656
    assert result.errors_count == len(entries) - len(kept) == 106
    assert all("identifier repeated" in e for e in result.errors)
    records = stored(store, result)
    assert {k: r.modified for k, r in records.items()} == {k: readable_date(e["modified"]) for k, e in kept.items()}
    unreadable = {k for k, e in kept.items() if readable_date(e["modified"]) is None and e["modified"] != "-"}
    assert unreadable and all(any(p.startswith("modified:") for p in records[k].problems) for k in unreadable)
    assert result.distributions == sum(len(e.get("distribution") or []) for e in kept.values())
    declared = {k: e["accrualPeriodicity"] for k, e in kept.items() if e.get("accrualPeriodicity")}
    assert {k: records[k].frequency for k in declared} == {k: PERIODS[v] for k, v in declared.items()}
    assert {k: r.access_rights for k, r in records.items()} == {k: e["accessLevel"] for k, e in kept.items()}
    assert all(r.usage.downloads is None and r.usage.views is None for r in records.values())


def test_ed_gov_subset(store):
    path = real_fixture(US, "ed.gov.data.json.subset.json")
    entries = load(path)["dataset"]
    kept = first_occurrences(entries)
    result = harvest_body(path.read_bytes(), store)
    records = stored(store, result)
    assert len(entries) == 89 and result.datasets == len(kept) == 88
    assert result.errors_count == len(entries) - len(kept)
    for key, entry in kept.items():
        assert [c.label for c in records[key].categories if c.dimension == "theme"] == entry.get("theme", [])
        assert records[key].publisher == entry["publisher"]["name"]  # the most specific of the nested organisations
        if entry.get("accrualPeriodicity"):
            assert records[key].frequency == PERIODS[entry["accrualPeriodicity"]]


@pytest.mark.parametrize("name", GSA_SAMPLES)
def test_gsa_edge_cases_map_or_are_skipped_never_crash(store, name):
    path = real_fixture(US, "gsa_ckanext_datajson_samples", f"{name}.data.json")
    entries = load(path)["dataset"]
    kept = first_occurrences(entries)
    result = harvest_body(path.read_bytes(), store)
    assert result.status == "complete"
    assert result.datasets == len(kept)
    assert result.datasets + result.errors_count == len(entries)  # every entry either stored or reported
    records = stored(store, result)
    for key, entry in kept.items():
        record = records[key]
        if entry.get("title") in (None, ""):
            assert record.title == "" and "title: missing" in record.problems
        else:
            assert record.title == str(entry["title"]).strip()
        assert len(record.distributions) == len(entry.get("distribution") or [])


def test_gsa_sample_details(store):
    def one(name):
        path = real_fixture(US, "gsa_ckanext_datajson_samples", f"{name}.data.json")
        return load(path)["dataset"], stored(store, harvest_body(path.read_bytes(), store))

    entries, records = one("numerical-title")
    assert records[entries[0]["identifier"]].title == "707"
    entries, records = one("large-spatial")
    assert records[entries[0]["identifier"]].spatial == entries[0]["spatial"]
    assert len(entries[0]["spatial"]) > 300_000
    entries, records = one("missing-dataset-fields")
    assert entries[0] == {} and len(records) == 1
    entries, records = one("geospatial")
    for entry in entries:
        assert records[entry["identifier"]].spatial == entry["spatial"]
        assert [c.label for c in records[entry["identifier"]].categories if c.dimension == "theme"] == entry["theme"]


@pytest.mark.parametrize("name", ["evian.json", "apur_arcgis_opendata_data.json"])
def test_arcgis_hub_data_json_exports(store, name):
    path = real_fixture(FRENCH, name)
    entries = load(path)["dataset"]
    result = harvest_body(path.read_bytes(), store)
    assert result.status == "complete" and result.errors_count == 0
    assert result.datasets == len(first_occurrences(entries)) == len(entries)
    assert result.distributions == sum(len(e["distribution"]) for e in entries)


# ---------------------------------------------------------------- Socrata 2013 (POD 1.0 arrays)

SOCRATA_FILES = {"data.seattle.gov.json": 168, "data.cityofchicago.org.json": 513, "dati.lombardia.it.json": 366,
                 "data.consumerfinance.gov.json": 6, "data.hawaii.gov.json": 1000}  # counts as SOURCE.txt lists them


def _describes_the_file(entry: dict) -> bool:
    return str(entry.get("identifier", "")).endswith("/data.json")


def _is_size_entry(distribution: dict) -> bool:
    """data.gov-fed Socrata catalogues list a file's size as an entry of its own: {"accessURL": "8KB", "formats":
    [{"label": "kmlSize"}]}."""
    labels = [f.get("label", "") for f in distribution.get("formats") or []]
    return bool(labels) and labels[0].endswith("Size") and "://" not in str(distribution.get("accessURL"))


@pytest.mark.parametrize(("name", "listed"), sorted(SOCRATA_FILES.items()))
def test_socrata_2013_arrays(store, name, listed):
    path = real_fixture(SOCRATA, name)
    array = load(path)
    datasets = [e for e in array if not _describes_the_file(e)]
    assert len(array) - len(datasets) == 1  # the first element describes the data.json itself
    result = harvest_body(path.read_bytes(), store)
    records = stored(store, result)
    assert result.status == "complete" and result.errors_count == 0
    assert result.datasets == result.expected_total == len(datasets) == listed
    for entry in datasets:
        record = records[entry["identifier"]]
        listed_files = [d for d in entry.get("distribution") or [] if not _is_size_entry(d)]
        files = len(listed_files) or (1 if entry.get("accessURL") else 0)
        urls = {d.get("accessURL") for d in listed_files} | {entry.get("accessURL")}
        api = 1 if entry.get("webService") and entry["webService"] not in urls else 0
        assert len(record.distributions) == files + api
        assert sum(d.is_api for d in record.distributions) >= api
        assert record.keywords == list(dict.fromkeys(k.strip() for k in entry["keyword"].split(",") if k.strip()))
        assert record.issued == parse_date(entry.get("releaseDate") or entry.get("created"))


def test_socrata_size_entries_become_byte_sizes(store):
    path = real_fixture(SOCRATA, "data.hawaii.gov.json")
    records = stored(store, harvest_body(path.read_bytes(), store))
    entry = next(e for e in load(path) if e.get("identifier") == "q4nx-w2mw")
    assert [(d["accessURL"], d["formats"][0]["label"]) for d in entry["distribution"] if _is_size_entry(d)] == [
        ("8KB", "kmlSize")]
    (kml,) = [d for d in records["q4nx-w2mw"].distributions if d.format_raw == "kml"]
    assert kml.byte_size == 8 * 1024
    assert all("://" in (d.access_url or "://") for r in records.values() for d in r.distributions)


# ---------------------------------------------------------------- streaming and broken documents


def test_records_are_made_one_at_a_time(monkeypatch):
    path = real_fixture(ARGENTINA, "datos.gob.ar_data.json_2018-04-18.json")
    calls = []
    original = datajson.map_dataset

    def counting(*args, **kwargs):
        calls.append(args[1])
        return original(*args, **kwargs)

    monkeypatch.setattr(datajson, "map_dataset", counting)
    with ReplayServer(ReplayCatalogue(packages=[], routes={"/data.json": serve(path.read_bytes())})) as server:
        profile = datajson_profile(server.base)
        stream = datajson.DataJsonAdapter(profile, make_http(profile)).records()
        first = next(stream)
        assert len(calls) == 1 and not isinstance(first, SkippedRecord)
        assert sum(1 for _ in stream) == 616
    assert len(calls) == 617


@pytest.mark.parametrize(("body", "content_type", "status", "reason"), [
    (b'{"dataset": [{"identifier": "a", "title": "cut off', "application/json", 200, "is not JSON"),
    (b"<html><body>Maintenance</body></html>", "text/html", 200, "is not JSON"),
    (b'{"title": "a catalogue without datasets"}', "application/json", 200, 'no "dataset" array'),
    (b"{}", "application/json", 500, "HTTP 500"),
])
def test_a_broken_document_fails_the_harvest_with_a_reason(store, body, content_type, status, reason):
    result = harvest_body(body, store, content_type=content_type, status=status)
    assert result.status == "failed" and result.datasets == 0
    assert reason in result.errors[0]


def test_bad_values_become_problems_not_failures(store):
    body = json.dumps({"conformsTo": "https://project-open-data.cio.gov/v1.1/schema", "dataset": [
        "not an object",
        {"identifier": "d1", "title": "Bad dates", "modified": "R/P1D", "issued": "2913-13-45",
         "distribution": {"downloadURL": "http://example.org/d1.csv", "byteSize": "huge"}},
        {"title": "No identifier"},
    ]}).encode()
    result = harvest_body(body, store)
    assert result.status == "complete" and result.datasets == 1 and result.errors_count == 2
    record = stored(store, result)["d1"]
    assert record.modified is None and record.issued is None
    assert {p.split(":")[0] for p in record.problems} == {"modified", "issued", "byteSize"}
    assert record.distributions[0].format == "CSV"
    with pytest.raises(BadDate):
        parse_date("R/P1D")  # a DCAT-US "modified" may be a repeating interval: reported, not a date


def test_argentina_assessment_covers_all_families(argentina):
    from tests.assessing import assess_fixture_portal

    store, result = argentina["store"], argentina["result"]
    assessment = assess_fixture_portal(store, result.harvest_id, {"id": result.portal_id, "level": "ministry"})
    declared = sum(1 for d in argentina["raw"]["dataset"] if d.get("accrualPeriodicity"))
    assert assessment.measure("frequency_declared_share")["value"] == declared / len(argentina["raw"]["dataset"])
