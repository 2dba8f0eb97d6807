"""DCAT-AP export of a harvest: odq's own DCAT adapter reads the export back to the same records, and the graph
holds what DCAT-AP asks for (EU file-type and frequency IRIs, an accessURL on every distribution)."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDF

from harvester.dcat_ap import CatalogueInfo, catalogue_graph, harvest_graph
from harvester.records import Category, DatasetRecord, Distribution
from harvester.run import run_harvest
from odq.demo.catalogue import build_demo_portal
from odq.demo.run import demo_profile
from odq.pipeline import make_http
from odq.replay import ReplayCatalogue, ReplayServer
from reports.rdf import serialise
from tests.conftest import replay_profile


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory):
    from harvester.store import Store

    store = Store(f"sqlite:///{tmp_path_factory.mktemp('dcat-ap') / 'odq.sqlite'}")
    portal = build_demo_portal(datetime(2026, 11, 1, tzinfo=UTC))
    catalogue = ReplayCatalogue(packages=portal.packages, organizations=portal.organizations, groups=portal.groups)
    with ReplayServer(catalogue) as server:
        profile = demo_profile(server.base)
        result = run_harvest(profile, store, make_http(profile))
    assert result.status == "complete"
    return store


def read_back(body: bytes, content_type: str, store) -> dict[str, DatasetRecord]:
    routes = {"/catalogue.ttl": lambda params, _body, _base: (200, body, content_type)}
    with ReplayServer(ReplayCatalogue(packages=[], routes=routes)) as server:
        profile = replay_profile(f"{server.base}/catalogue.ttl", "dcat-readback", "dcat")
        result = run_harvest(profile, store, make_http(profile))
    assert result.status == "complete", result.errors
    return {r.native_id: r for r in store.records(result.harvest_id)}


def _url(value: str | None) -> str:
    """A URL as DCAT-AP can carry it: a web IRI, or nothing (a portal's "accessURL" that is a sentence is not)."""
    from harvester.dcat_ap import web_iri

    iri = web_iri(value)
    return str(iri) if iri is not None else ""


def comparable(record: DatasetRecord) -> dict:
    """What DCAT-AP carries of a record (the rest has no DCAT-AP property); text without its outer whitespace,
    which the DCAT adapter trims on reading."""
    return {
        "title": record.title, "description": (record.description or "").strip() or None,
        "publisher": record.publisher,
        "keywords": sorted(record.keywords), "licence": record.licence, "frequency": record.frequency,
        "issued": record.issued, "modified": record.modified, "landing_url": _url(record.landing_url),
        "themes": sorted(c.label for c in record.categories if c.dimension == "theme"),
        "distributions": sorted((_url(d.access_url) or _url(d.download_url), _url(d.download_url), d.format or "")
                                for d in record.distributions),
    }


@pytest.mark.parametrize("fmt,content_type", [("turtle", "text/turtle"), ("json-ld", "application/ld+json")])
def test_odqs_dcat_adapter_reads_the_export_back_to_the_same_records(demo_store, store, fmt, content_type):
    original = {r.native_id: r for r in demo_store.records(demo_store.current_harvest(DEMO).id)}
    body = serialise(harvest_graph(demo_store, DEMO), fmt)
    back = read_back(body, content_type, store)
    assert set(back) == set(original) and len(back) == 320
    for native_id, record in original.items():
        assert comparable(back[native_id]) == comparable(record), native_id


def test_controlled_values_are_eu_vocabulary_iris_and_every_distribution_has_an_access_url(demo_store):
    graph = harvest_graph(demo_store, DEMO)
    formats = {str(o) for o in graph.objects(None, DCTERMS["format"]) if isinstance(o, URIRef)}
    assert "http://publications.europa.eu/resource/authority/file-type/CSV" in formats
    frequencies = {str(o) for o in graph.objects(None, DCTERMS.accrualPeriodicity) if isinstance(o, URIRef)}
    assert "http://publications.europa.eu/resource/authority/frequency/MONTHLY" in frequencies
    distributions = set(graph.subjects(RDF.type, DCAT.Distribution))
    assert distributions and all(graph.value(d, DCAT.accessURL) is not None for d in distributions)


def test_hostile_urls_and_text_stay_parseable():
    record = DatasetRecord(
        portal_id="p", native_id='a b"<c>', title='"; DROP <script>alert(1)</script> \\ """',
        landing_url='http://example.org/x y"<z>',
        categories=[Category("theme", "环境 资源", "http://example.org/t h")],
        distributions=[Distribution(access_url="http://example.org/f{1}|`^.csv", format="CSV"),
                       Distribution(access_url="javascript:alert(1)", format_raw="csv")],
    )
    graph = catalogue_graph(CatalogueInfo("p", "P", "http://example.org/", 1, "2026-11-01T00:00:00"),
                            [copy.deepcopy(record)])
    for fmt in ("turtle", "json-ld"):
        reread = Graph().parse(data=serialise(graph, fmt), format=fmt)
        assert len(reread) == len(graph)
    urls = {str(o) for o in graph.objects(None, DCAT.accessURL)}
    assert urls == {"http://example.org/f%7B1%7D%7C%60%5E.csv"}  # the javascript: URL is not an IRI we write


def _tokyo_sample(base: str) -> tuple:
    from odq.replay import catalogue_from_packages, load_jsonl_envelopes
    from tests.conftest import real_fixture

    lines = real_fixture("ckan_catalog.data.metro.tokyo.lg.jp", "package_show_sample_300.jsonl").read_bytes()
    return catalogue_from_packages(load_jsonl_envelopes(lines.splitlines()), rewrite_urls=True), None


def _served(fixture: tuple[str, ...], path: str, content_type: str, software: str, options: dict) -> tuple:
    from tests.conftest import real_fixture

    body = real_fixture(*fixture).read_bytes()
    routes = {path: lambda params, _body, _base: (200, body, content_type)}
    return ReplayCatalogue(packages=[], routes=routes), (software, path, options)


DEMO = "demo-yunjiang"  # the demo portal's id, as `odq demo` prints it
FAMILIES = {  # one real fixture per adapter family, served on loopback
    "ckan": lambda: _tokyo_sample(""),
    "dcat": lambda: _served(("dcat_ap_ch_data.stadt-zuerich.ch", "dcatap-ch_catalog.ttl"), "/catalog.ttl",
                            "text/turtle", "dcat", {"catalogue_url": "{base}/catalog.ttl"}),
    "datajson": lambda: _served(("argentina_datos_gob_ar_datajson", "datos.gob.ar_data.json_2018-04-18.json"),
                                "/data.json", "application/json", "datajson", {"catalogue_url": "{base}/data.json"}),
}


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_every_familys_fixture_reads_back_from_its_dcat_ap_export(family, tmp_path, store):
    from harvester.store import Store

    original_store = Store(f"sqlite:///{tmp_path / 'original.sqlite'}")
    catalogue, served = FAMILIES[family]()
    with ReplayServer(catalogue) as server:
        if served is None:
            profile = replay_profile(server.base, family, "ckan")
        else:
            software, _path, options = served
            profile = replay_profile(server.base, family, software,
                                     options={k: v.format(base=server.base) for k, v in options.items()})
        result = run_harvest(profile, original_store, make_http(profile))
    if result.status != "complete":  # Zurich: page 1 of 4 recorded; its datasets are the catalogue
        original_store.finish_harvest(result.harvest_id, status="complete", datasets=result.datasets)
    original = {r.native_id: r for r in original_store.records(result.harvest_id)}
    assert len(original) >= 100
    back = read_back(serialise(harvest_graph(original_store, family), "turtle"), "text/turtle", store)
    assert set(back) == set(original)
    for native_id, record in original.items():
        assert comparable(back[native_id]) == comparable(record), native_id
