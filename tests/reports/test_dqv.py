"""The W3C DQV export of an assessed harvest, on two hand-built datasets whose values are worked out here by hand
from the MQA and Portal Watch definitions: one measurement per measure of the catalogue, the dataset-level values
computed on each dataset, MQA metrics labelled as odq's IRIs for MQA indicators, Portal Watch's own IRIs."""

from __future__ import annotations

import pytest
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS

from checks.assess import AssessOptions, assess_harvest
from harvester.records import Category, DatasetRecord, Distribution
from reports.dqv import harvest_quality_graph
from reports.rdf import serialise
from tests.conftest import reference_fixture

DQV = Namespace("http://www.w3.org/ns/dqv#")
ODQM = "https://odq.example/ns/metric#"
PW = "https://data.wu.ac.at/portalwatch/quality#"
EU = "http://publications.europa.eu/resource/authority/"
PORTAL = {"id": "dqv-test", "name": "DQV test", "level": "city", "region": "test", "software": "ckan",
          "url": "https://example.org"}
CATALOGUE = "urn:odq:dqv-test:catalogue:"

FULL = DatasetRecord(
    portal_id="dqv-test", native_id="full", title="Air quality", description="Daily air quality", keywords=["air"],
    categories=[Category("theme", "ENVI", EU + "data-theme/ENVI")], licence=EU + "licence/CC_BY_4_0",
    contact="data@example.org", publisher="City", issued="2020-01-01", modified="2021-01-01",
    distributions=[Distribution(access_url="https://example.org/a.csv", download_url="https://example.org/a.csv",
                                format_raw=EU + "file-type/CSV", format="CSV", media_type="text/csv", byte_size=10)],
)
MIXED = DatasetRecord(  # no description: DCAT-AP 2.1.1 makes dct:description mandatory
    portal_id="dqv-test", native_id="mixed", title="Budget", keywords=["money"], licence="CC-BY",
    distributions=[Distribution(access_url="https://example.org/b.pdf", download_url="https://example.org/b.pdf",
                                format_raw="pdf", format="PDF"),
                   Distribution(access_url="https://example.org/c", format_raw="CSV", format="CSV")],
)


@pytest.fixture
def assessed(store, monkeypatch):
    monkeypatch.setenv("ODQ_DCAT_AP_SHAPES", str(reference_fixture("dcat_ap_shacl_shapes")))
    store.upsert_portal(PORTAL)
    harvest_id = store.begin_harvest(PORTAL["id"])
    store.add_records(harvest_id, [FULL, MIXED])
    store.finish_harvest(harvest_id, status="complete", datasets=2, distributions=3)
    assess_harvest(store, PORTAL, http=None, harvest_id=harvest_id,
                   options=AssessOptions(check_links=False, validate_files=False))
    return store, harvest_id


def measurements(graph: Graph) -> dict[tuple[str, str], float]:
    """(target, metric) → value of every dqv:QualityMeasurement."""
    found: dict[tuple[str, str], float] = {}
    for node in graph.subjects(RDF.type, DQV.QualityMeasurement):
        key = (str(graph.value(node, DQV.computedOn)), str(graph.value(node, DQV.isMeasurementOf)))
        assert key not in found, key  # one measurement per metric and target
        found[key] = graph.value(node, DQV.value).toPython()
    return found


def dataset(native_id: str) -> str:
    return f"urn:odq:dqv-test:dataset:{native_id}"


@pytest.mark.parametrize("fmt", ["turtle", "json-ld"])
def test_one_measurement_per_measure_and_the_dataset_level_values_by_hand(assessed, fmt):
    store, harvest_id = assessed
    graph = Graph().parse(data=serialise(harvest_quality_graph(store, PORTAL["id"]), fmt), format=fmt)
    values = measurements(graph)
    catalogue = CATALOGUE + str(harvest_id)
    measured = [m for m in store_measures(store, harvest_id) if m["value"] is not None]
    assert len([k for k in values if k[0] == catalogue]) == len(measured)
    assert values[(catalogue, ODQM + "mqa_download_url")] == pytest.approx((1 + 1 / 2) / 2)
    # Per dataset, by hand: mixed has a download URL on 1 of its 2 distributions; its best format is a CSV
    # literal, not the EU file-type IRI; "CC-BY" is not an EU licence IRI; it has no contact point.
    assert values[(dataset("full"), ODQM + "mqa_download_url")] == 1.0
    assert values[(dataset("mixed"), ODQM + "mqa_download_url")] == 0.5
    assert values[(dataset("mixed"), ODQM + "mqa_format")] == 1.0
    assert values[(dataset("mixed"), ODQM + "mqa_format_vocabulary")] == 0.0
    assert values[(dataset("mixed"), ODQM + "mqa_format_vocabulary_lenient")] == 1.0
    assert values[(dataset("full"), ODQM + "mqa_licence_vocabulary")] == 1.0
    assert values[(dataset("mixed"), ODQM + "mqa_licence_vocabulary")] == 0.0
    assert values[(dataset("mixed"), ODQM + "mqa_dcat_ap_compliant")] == 0.0
    assert values[(dataset("full"), ODQM + "mqa_dcat_ap_compliant")] == 1.0
    assert values[(dataset("full"), PW + "Contact")] == 1.0 and values[(dataset("mixed"), PW + "Contact")] == 0.0
    assert values[(dataset("full"), PW + "ContactEmail")] == 1.0
    assert (dataset("mixed"), PW + "ContactEmail") not in values  # no contact: the metric does not apply
    # URL answers were not checked: unknown at both levels, never 0.
    assert not [k for k in values if k[1] == ODQM + "mqa_access_url_answers"]


def store_measures(store, harvest_id):
    from checks.results import Results

    return Results(store).measures(harvest_id)


def test_the_catalogue_value_is_the_mean_of_the_dataset_values(assessed):
    store, harvest_id = assessed
    values = measurements(harvest_quality_graph(store, PORTAL["id"]))
    catalogue = CATALOGUE + str(harvest_id)
    per_metric: dict[str, list[float]] = {}
    for (target, metric), value in values.items():
        if target != catalogue:
            per_metric.setdefault(metric, []).append(value)
    assert len(per_metric) > 30
    for metric, seen in per_metric.items():
        assert values[(catalogue, metric)] == pytest.approx(sum(seen) / len(seen)), metric


def test_mqa_metrics_are_odqs_iris_labelled_and_portal_watchs_are_their_own(assessed):
    store, _harvest_id = assessed
    graph = harvest_quality_graph(store, PORTAL["id"])
    metric = URIRef(ODQM + "mqa_keyword")
    assert (metric, RDF.type, DQV.Metric) in graph
    assert graph.value(metric, RDFS.label) == Literal("datasets with keywords (MQA)", lang="en")
    assert graph.value(metric, DCTERMS.source) == URIRef("https://data.europa.eu/mqa/methodology")
    assert "publishes no IRIs" in str(graph.value(metric, RDFS.comment))
    assert graph.value(metric, DQV.inDimension) == URIRef("https://odq.example/ns/dimension#mqa-findability")
    registry = Graph().parse(reference_fixture("portalwatch_registry_and_metrics", "metrics_dqv.ttl"))
    published = {str(s) for s in registry.subjects(RDF.type, DQV.Metric)}
    used = {str(m) for m in graph.objects(None, DQV.isMeasurementOf) if str(m).startswith(PW)}
    assert used and used <= published
    for metric in map(URIRef, used):  # Portal Watch's own dimensions too
        assert graph.value(metric, DQV.inDimension) == registry.value(metric, DQV.inDimension)


def test_the_dataset_level_values_are_capped_and_the_graph_says_so(assessed):
    store, harvest_id = assessed
    graph = harvest_quality_graph(store, PORTAL["id"], dataset_limit=1)
    targets = {str(o) for o in graph.objects(None, DQV.computedOn)}
    assert targets == {CATALOGUE + str(harvest_id), dataset("full")}  # the first by identifier
    note = str(graph.value(URIRef(CATALOGUE + str(harvest_id)), RDFS.comment))
    assert "first 1 of 2 datasets" in note
