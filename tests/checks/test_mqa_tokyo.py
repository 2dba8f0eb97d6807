"""The MQA on a non-DCAT portal: Tokyo's CKAN catalogue (the 300-package sample), mapped to DCAT-AP first. The
indicators are read here with rdflib from odq's DCAT-AP rendering of the harvested records, by the same reading
of the Turtle as the Zurich test uses on a portal's own DCAT-AP, and compared with odq's MQA measures; the keyword
and distribution counts are checked against the raw package_show JSON as well."""

from __future__ import annotations

from statistics import mean

import pytest
from rdflib.namespace import DCAT, RDF

from checks.assess import AssessOptions, assess_harvest
from harvester.dcat_ap import CatalogueInfo, catalogue_graph
from harvester.run import run_harvest
from odq.pipeline import make_http
from odq.replay import ReplayServer, catalogue_from_packages, load_jsonl_envelopes
from tests.checks.test_mqa_zurich import indicators
from tests.conftest import ckan_profile, real_fixture

TOKYO = "ckan_catalog.data.metro.tokyo.lg.jp"
# Read from the rendering as from any DCAT-AP; the vocabulary indicators are not: the rendering writes EU file-type
# IRIs for formats the portal declared as literals, while the MQA's strict reading asks what the portal declared.
FROM_RENDERING = ("keyword", "theme", "spatial", "temporal", "download_url", "format", "media_type",
                  "non_proprietary", "machine_readable", "licence", "access_rights", "contact_point", "publisher",
                  "byte_size", "issued", "modified")


@pytest.fixture(scope="module")
def tokyo(tmp_path_factory):
    from harvester.store import Store

    lines = real_fixture(TOKYO, "package_show_sample_300.jsonl").read_bytes().splitlines()
    packages = load_jsonl_envelopes(lines)
    store = Store(f"sqlite:///{tmp_path_factory.mktemp('tokyo-mqa') / 'odq.sqlite'}")
    with ReplayServer(catalogue_from_packages(packages, rewrite_urls=True)) as server:
        profile = ckan_profile(server.base, "tokyo")
        result = run_harvest(profile, store, make_http(profile))
    assert result.status == "complete"
    assessment = assess_harvest(store, profile, http=None, harvest_id=result.harvest_id,
                                options=AssessOptions(check_links=False, validate_files=False))
    return {"packages": packages, "store": store, "harvest_id": result.harvest_id,
            "values": {m["measure_id"]: m["value"] for m in assessment.measures}}


def test_mqa_indicators_read_from_the_dcat_ap_rendering_equal_odqs(tokyo):
    records = list(tokyo["store"].records(tokyo["harvest_id"]))
    graph = catalogue_graph(CatalogueInfo("tokyo", "Tokyo", "https://catalog.data.metro.tokyo.lg.jp/", 1,
                                          "2026-11-01T00:00:00"), records)
    rows = [indicators(graph, d, lenient=False) for d in graph.subjects(RDF.type, DCAT.Dataset)]
    assert len(rows) == len(records) == 300
    for key in FROM_RENDERING:
        seen = [r[key] for r in rows if r[key] is not None]
        want = mean(seen) if seen else None
        assert tokyo["values"][f"mqa_{key}"] == pytest.approx(want), key


def test_keywords_and_download_urls_against_the_raw_packages(tokyo):
    raw = tokyo["packages"]
    tagged = sum(1 for p in raw if any((t.get("name") or "").strip() for t in p.get("tags") or []))
    assert tokyo["values"]["mqa_keyword"] == pytest.approx(tagged / len(raw))
    # As ckanext-dcat maps CKAN to DCAT: a resource's url is its dcat:accessURL, its download_url (which Tokyo's
    # resources do not have) the dcat:downloadURL.
    shares = [sum(1 for r in p["resources"] if (r.get("download_url") or "").strip()) / len(p["resources"])
              for p in raw if p.get("resources")]
    assert tokyo["values"]["mqa_download_url"] == pytest.approx(mean(shares))
