"""Real CKAN envelopes from other portals map onto the record model."""

from __future__ import annotations

import json

from harvester.adapters.ckan import map_package
from harvester.records import DatasetRecord
from tests.conftest import real_fixture


def _load(*parts: str) -> dict:
    return json.loads(real_fixture(*parts).read_text(encoding="utf-8"))


def test_birmingham_package_search_envelope_maps_every_package():
    envelope = _load("ckan_data.birmingham.gov.uk", "package_search_q_purchase_card.json")
    packages = envelope["result"]["results"]
    records = [map_package(p, "birmingham", "https://data.birmingham.gov.uk") for p in packages]
    assert len(records) == len(packages) == 10
    by_id = {r.native_id: r for r in records}
    for package in packages:
        record = by_id[package["id"]]
        assert record.title == package["title"]
        assert len(record.distributions) == len(package["resources"])
        assert record.department == package["organization"]["title"]
        assert [c.label for c in record.categories if c.dimension == "theme"] == [
            g["title"] for g in package.get("groups", [])
        ]
        assert record.keywords == [t["display_name"] for t in package.get("tags", [])]
        # Birmingham publishes empty formats: they stay unknown, never invented, unless the URL says.
        for resource, distribution in zip(package["resources"], record.distributions, strict=True):
            assert distribution.access_url == resource["url"]
            assert distribution.format_raw == ((resource.get("format") or "").strip() or None)
            if resource["format"] and resource["format"].upper() in ("XLS", "CSV", "PDF"):
                assert distribution.format == resource["format"].upper()
    big = max(records, key=lambda r: len(r.distributions))
    assert len(big.distributions) == 45
    # usage is not published by this portal: unknown, not zero
    assert all(r.usage.downloads is None and r.usage.views is None for r in records)


def test_hong_kong_frequency_and_api_flag():
    package = _load("ckan_data.gov.hk", "package_show_hk-pland-pland1-2021-based-tpedm.json")["result"]
    record = map_package(package, "hk", "https://data.gov.hk/en-data")
    assert record.frequency_raw == package["update_frequency"] == "Every five years"
    assert record.frequency == "P5Y"
    assert record.department == "Planning Department"
    assert [c.label for c in record.categories if c.dimension == "theme"] == ["Population"]
    (distribution,) = record.distributions
    assert package["resources"][0]["is_api"] == "Y"
    assert distribution.is_api is True
    assert distribution.format == "API"
    assert record.licence is None  # license_id and license_title are null on this record


def test_record_round_trips_through_its_stored_document():
    package = _load("ckan_data.gov.hk", "package_show_hk-pland-pland1-2021-based-tpedm.json")["result"]
    record = map_package(package, "hk", "https://data.gov.hk/en-data")
    restored = DatasetRecord.from_dict({**json.loads(record.document_json()), "raw": None})
    assert restored.title == record.title
    assert restored.distributions == record.distributions
    assert restored.categories == record.categories


def test_broken_package_is_reported_not_fatal():
    from harvester.adapters.base import SkippedRecord
    from harvester.adapters.ckan import CkanAdapter
    from harvester.http import Http

    adapter = CkanAdapter({"id": "x", "url": "http://127.0.0.1:9"}, Http())
    assert isinstance(adapter.map_native(["not", "a", "package"]), SkippedRecord)
    skipped = adapter.map_native({"title": "no id or name"})
    assert isinstance(skipped, SkippedRecord) and "name" in skipped.reason


def test_data_gov_uk_declared_dates_come_before_ckans_own():
    """UKLP extras (read by hand from the raw files): metadata-date, dataset-reference-date, temporal from/to."""
    pollinator = _load("ckan_datagovuk_datagovau_package_show", "rest-dataset-pollinator.json")
    record = map_package(pollinator, "dgu", "https://data.gov.uk")
    assert pollinator["extras"]["dataset-reference-date"] == '[{"type": "publication", "value": "2014-05-07"}]'
    assert record.issued == "2014-05-07T00:00:00"  # not metadata_created 2014-08-11
    assert pollinator["extras"]["metadata-date"] == "2015-08-17"
    assert record.modified == "2015-08-17T00:00:00"
    assert record.temporal == "2012-05-01/2012-05-31"
    assert record.frequency_raw == "notPlanned"
    cadastral = _load("ckan_datagovuk_datagovau_package_show", "rest-dataset-cadastral.json")
    record = map_package(cadastral, "dgu", "https://data.gov.uk")
    assert record.data_modified == "2010-07-16T00:00:00"  # the revision date, not the files' dates
    assert record.contact == cadastral["extras"]["contact-email"] == "enquires@lrni.gov.uk"
