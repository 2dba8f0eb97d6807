"""The whole Tokyo CKAN catalogue replayed on loopback: harvest, store, link-check, against the raw file."""

from __future__ import annotations

import csv
import gzip
import json
from collections import Counter

import pytest
from sqlalchemy import select

from checks.assess import AssessOptions, assess_harvest
from checks.results import LinkCheckRow
from harvester.run import run_harvest
from harvester.store import DistributionRow, HarvestRecordRow, Store
from odq.pipeline import make_http
from odq.replay import ReplayServer, catalogue_from_packages, load_jsonl_envelopes, web_url
from tests.conftest import ckan_profile, real_fixture, reference_fixture

TOKYO = "ckan_catalog.data.metro.tokyo.lg.jp"


def _raw_packages() -> list[dict]:
    with gzip.open(real_fixture(TOKYO, "package_show_all.jsonl.gz")) as handle:
        return [json.loads(line)["result"] for line in handle if line.strip()]


def _recorded_404_urls() -> set[str]:
    with real_fixture(TOKYO, "2021_12_404_url_list.csv").open(encoding="utf-8") as handle:
        return {row[1] for row in csv.reader(handle) if len(row) > 1 and row[0].strip() == "404"}


@pytest.fixture(scope="module")
def tokyo(tmp_path_factory):
    """Harvest and link-check the replayed catalogue once for every test in this module."""
    raw = _raw_packages()
    not_found = _recorded_404_urls()
    with gzip.open(real_fixture(TOKYO, "package_show_all.jsonl.gz")) as handle:
        packages = load_jsonl_envelopes(handle)
    catalogue = catalogue_from_packages(packages, rewrite_urls=True, web_not_found=not_found)
    store = Store(f"sqlite:///{tmp_path_factory.mktemp('tokyo') / 'odq.sqlite'}")
    with ReplayServer(catalogue) as server:
        profile = ckan_profile(server.base, "tokyo")
        http = make_http(profile)
        result = run_harvest(profile, store, http)
        assessment = assess_harvest(
            store, profile, http, options=AssessOptions(link_limit=None, validate_files=False, workers=8)
        )
        base = server.base
    return {"raw": raw, "not_found": not_found, "store": store, "result": result, "assessment": assessment,
            "base": base}


def test_every_dataset_and_resource_is_stored(tokyo):
    result = tokyo["result"]
    raw = tokyo["raw"]
    assert len(raw) == 5077
    assert result.status == "complete"
    assert result.errors_count == 0
    assert result.datasets == len(raw) == 5077
    assert result.distributions == sum(len(p["resources"]) for p in raw) == 58187
    assert result.expected_total == 5077
    # package_search pages of 1000, the count probe, the two classification lists and four capability probes
    # (category filter, data requests, showcases).
    assert result.requests <= 5077 // 1000 + 1 + 1 + 2 + 3


def test_format_distribution_matches_the_raw_file(tokyo):
    expected = Counter((r.get("format") or "").strip() or None for p in tokyo["raw"] for r in p["resources"])
    store: Store = tokyo["store"]
    with store.engine.connect() as conn:
        stored = Counter(
            conn.execute(
                select(DistributionRow.format_raw)
                .join(HarvestRecordRow, HarvestRecordRow.record_hash == DistributionRow.record_hash)
                .where(HarvestRecordRow.harvest_id == tokyo["result"].harvest_id)
            ).scalars()
        )
    assert stored == expected
    assert expected["CSV"] == 41684 and expected["XLS"] == 5168 and expected["PDF"] == 4231


def test_recorded_404_resources_are_broken_and_the_rest_alive(tokyo):
    base, not_found = tokyo["base"], tokyo["not_found"]
    resource_urls = {r["url"] for p in tokyo["raw"] for r in p["resources"] if (r.get("url") or "").startswith("http")}
    expected_broken = {web_url(base, u) for u in resource_urls & not_found}
    expected_alive = {web_url(base, u) for u in resource_urls - not_found}
    assert len(expected_broken) > 1000  # 1,414 distinct recorded-404 URLs are still in the catalogue
    with tokyo["store"].engine.connect() as conn:
        checks = dict(conn.execute(select(LinkCheckRow.url, LinkCheckRow.alive)).all())
    assert {u for u, alive in checks.items() if not alive} == expected_broken
    assert {u for u, alive in checks.items() if alive} == expected_alive


def test_link_measure_counts_datasets_with_a_broken_link(tokyo):
    not_found = tokyo["not_found"]
    with_links = [p for p in tokyo["raw"] if any((r.get("url") or "").startswith("http") for r in p["resources"])]
    healthy = sum(
        all(r["url"] not in not_found for r in p["resources"] if (r.get("url") or "").startswith("http"))
        for p in with_links
    )
    measure = tokyo["assessment"].measure("links_alive_share")
    assert measure["detail"]["applicable"] == len(with_links)
    assert measure["value"] == pytest.approx(healthy / len(with_links))


# The test's own reading of Tokyo's raw format strings (upper-cased): two aliases, a typo and RDF/XML.
_ALIASES = {"RDF": "RDF_XML", "XISX": "XLSX", "HTML-": "HTML"}
# ckanext-qa's scores (its resource_format_openness_scores.json) for the formats Tokyo declares or its URLs end in;
# a format its table does not list (LAS, OBJ, PLY, AI, GTFS, typos) scores 1, its score for a format it cannot place.
_QA_STARS = {"RDF": 5, "CSV": 3, "JSON": 3, "XML": 3, "GEOJSON": 3, "KML": 3, "JPEG": 3, "JPG": 3, "PNG": 3,
             "XLS": 2, "XLSX": 2, "XISX": 2, "SHP": 2, "GIF": 2, "PDF": 1, "DOC": 1, "DOCX": 1, "PPTX": 1, "TXT": 1,
             "ZIP": 1, "HTML": 0, "HTM": 0, "HTML-": 0}
# The URL extensions in Tokyo that name a format (".php", ".tx" and words after a dot do not).
_FORMAT_EXTENSIONS = {"csv", "xls", "xlsx", "pdf", "jpg", "txt", "zip", "html", "htm", "html-", "rdf", "json",
                      "geojson", "doc", "docx", "png", "gif", "xml", "pptx", "kml", "las", "ply", "obj", "ai"}
_CLOSED_LICENCES = {"CC-BY-NC-ND-4.0", "CC-BY-ND-4.0"}  # rejected by the Open Definition

def _code(raw_format: str | None) -> str | None:
    text = (raw_format or "").strip().upper()
    return _ALIASES.get(text, text) or None


def test_machine_readable_share_uses_the_mqa_vocabulary(tokyo):
    listing = reference_fixture("mqa_reference_vocabularies", "edp-machine-readable-formats.txt").read_text()
    machine_readable = {line.strip() for line in listing.splitlines() if line.strip() and not line.startswith("#")}
    assert len(machine_readable) == 20
    expected = sum(
        any(_code(r.get("format")) in machine_readable for r in p["resources"]) for p in tokyo["raw"]
    ) / len(tokyo["raw"])
    assert tokyo["assessment"].measure("machine_readable_share")["value"] == pytest.approx(expected)


def _extension(url: str) -> str | None:
    """ckanext-qa's reading: drop the query, take the file name, try two sections then one."""
    parts = url.split("?")[0].rsplit("/", 1)[-1].split(".")
    for sections in (2, 1):
        if len(parts) > sections and ".".join(parts[-sections:]).lower() in _FORMAT_EXTENSIONS:
            return ".".join(parts[-sections:]).lower()
    return None


def _qa_stars(package: dict, not_found: set[str]) -> int | None:
    """ckanext-qa's rule by hand: broken link 0; else URL extension, else declared format; closed licence 0;
    the dataset scores its best resource."""
    best = None
    for resource in package["resources"]:
        url = resource.get("url") or ""
        extension = _extension(url)
        declared = (resource.get("format") or "").strip().upper()
        stars = _QA_STARS.get(extension.upper() if extension else declared, 1)
        if url in not_found or package.get("license_id") in _CLOSED_LICENCES:
            stars = 0
        best = stars if best is None else max(best, stars)
    return best


def test_openness_stars_follow_ckanext_qa(tokyo):
    expected = Counter(str(_qa_stars(p, tokyo["not_found"])) for p in tokyo["raw"])
    assert expected == {"0": 139, "1": 602, "2": 576, "3": 3720, "5": 40}
    measure = tokyo["assessment"].measure("openness_stars_mean")
    assert measure["detail"]["distribution"] == dict(expected)
    assert measure["value"] == pytest.approx((602 + 2 * 576 + 3 * 3720 + 5 * 40) / 5077)
    assert measure["detail"]["closed_licence_zero"] == 2
    assert measure["detail"]["licences"] == {"open": 5075, "closed": 2}


def test_declared_rdf_behind_a_txt_url_is_not_five_stars(tokyo):
    rdf_txt = [p for p in tokyo["raw"] if any((r.get("format") or "").strip().upper() == "RDF"
                                              and _extension(r.get("url") or "") == "txt" for r in p["resources"])]
    assert len(rdf_txt) == 79
    # All 79 scored 5 on the declared format; by the URL the RDF is text (1), so each scores its best other
    # resource: 78 have an XLS (2), one has only broken links (0).
    assert Counter(_qa_stars(p, tokyo["not_found"]) for p in rdf_txt) == {2: 78, 0: 1}
    findings = {f["native_id"]: f["message"] for f in tokyo["assessment"].findings
                if f["measure_id"] == "openness_stars_mean" and f["native_id"]}
    sample = next(p for p in rdf_txt if _qa_stars(p, tokyo["not_found"]) == 2)
    # the finding names the resource that lost its stars, then the one that scored
    assert findings[sample["id"]].startswith("declared RDF_XML but the URL is .txt: TXT → 1 star")
    assert "the dataset's best: declared XLS" in findings[sample["id"]]


def test_unknown_capabilities_stay_unknown(tokyo):
    measures = {m["measure_id"]: m for m in tokyo["assessment"].measures}
    # Tokyo's CKAN has neither ckanext-datarequests nor ckanext-showcase (the replay answers 400 for them):
    # that is "not known", not "no" — the evaluator records what the portal offers in its profile.
    assert measures["data_request_available"]["value"] is None
    assert measures["showcases"]["value"] is None
    assert measures["data_request_reply_share"]["value"] is None


def test_declared_frequency_share_and_unmapped_keys_match_the_raw_file(tokyo):
    raw = tokyo["raw"]
    declared = sum(1 for p in raw if any(e.get("key") == "更新頻度" and (e.get("value") or "").strip()
                                         for e in p.get("extras") or []))
    assert declared == 5008
    assert tokyo["result"].mapping["frequency_raw"] == round(declared / len(raw), 4) == 0.9864
    # Tokyo's top-level `url` (a link to the data's source page, on 3,672 packages) feeds no record field; every
    # other key on most packages is read or is CKAN's own bookkeeping, and 更新頻度 is read.
    with_url = sum(1 for p in raw if p.get("url"))
    assert with_url == 3672
    assert tokyo["result"].unmapped_keys["keys"] == [
        {"section": "package", "key": "url", "share": round(with_url / len(raw), 4)}]
    described = sum(1 for p in raw if any(r.get("description") for r in p["resources"]))
    assert described / len(raw) <= 0.5  # resource descriptions are on too few packages to be listed
