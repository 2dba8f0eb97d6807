"""A harvest's measures as W3C DQV (Data Quality Vocabulary), in Turtle or JSON-LD.

Every measure is a dqv:QualityMeasurement of the harvested catalogue; its metric is Portal Watch's (or, later,
the MQA's) IRI where the metric is theirs, else odq's own metric, described in the graph with its title and
family. Dataset-level findings become dqv:QualityAnnotation on the dataset (the same dataset IRIs as the DCAT-AP
export), so a DQV tool sees which datasets a value is about.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, SKOS, XSD

from checks.results import Results
from harvester.dcat_ap import catalogue_iri, dataset_iri
from harvester.store import Store
from reports.messages import LANGS, finding_text

DQV = Namespace("http://www.w3.org/ns/dqv#")
OA = Namespace("http://www.w3.org/ns/oa#")
ODQ_METRIC = Namespace("https://odq.example/ns/metric#")
ODQ_DIMENSION = Namespace("https://odq.example/ns/dimension#")


def metric_iri(measure: dict[str, Any]) -> URIRef:
    """The metric's own IRI when a published registry defines it (stored with the measure), else odq's."""
    published = (measure.get("detail") or {}).get("iri")
    return URIRef(published) if published else ODQ_METRIC[quote(measure["measure_id"], safe="")]


def _value(measure: dict[str, Any]) -> Literal:
    unit = (measure.get("detail") or {}).get("unit")
    value = measure["value"]
    if unit in ("count",) and float(value).is_integer():
        return Literal(int(value), datatype=XSD.integer)
    if unit == "boolean":
        return Literal(bool(value), datatype=XSD.boolean)
    return Literal(float(value), datatype=XSD.double)


def quality_graph(portal_id: str, harvest_id: int, harvested_at: str, measures: list[dict[str, Any]],
                  findings: list[dict[str, Any]]) -> Graph:
    graph = Graph()
    for prefix, namespace in (("dqv", DQV), ("oa", OA), ("odqm", ODQ_METRIC), ("prov", PROV), ("skos", SKOS)):
        graph.bind(prefix, namespace)
    catalogue = catalogue_iri(portal_id, harvest_id)
    when = Literal(harvested_at, datatype=XSD.dateTime)
    described: set[URIRef] = set()
    for measure in measures:
        metric = metric_iri(measure)
        detail = measure.get("detail") or {}
        if metric not in described and str(metric).startswith(str(ODQ_METRIC)):
            described.add(metric)
            graph.add((metric, RDF.type, DQV.Metric))
            for text, language in ((detail.get("title_zh"), "zh"), (detail.get("title_en"), "en")):
                if text:
                    graph.add((metric, SKOS.prefLabel, Literal(text, lang=language)))
            graph.add((metric, DQV.inDimension, ODQ_DIMENSION[quote(measure["family"], safe="")]))
        if measure["value"] is None:
            continue  # not measured: DQV has no "unknown" value, and a 0 would be wrong
        node = BNode()
        graph.add((node, RDF.type, DQV.QualityMeasurement))
        graph.add((node, DQV.computedOn, catalogue))
        graph.add((node, DQV.isMeasurementOf, metric))
        graph.add((node, DQV.value, _value(measure)))
        graph.add((node, PROV.generatedAtTime, when))
    by_id = {m["measure_id"]: m for m in measures}  # a finding's metric IRI is its measure's
    for finding in findings:
        if not finding.get("native_id"):
            continue
        annotation = BNode()
        graph.add((annotation, RDF.type, DQV.QualityAnnotation))
        graph.add((annotation, OA.hasTarget, dataset_iri(portal_id, finding["native_id"])))
        for lang in LANGS:  # the body in both languages, as the reports say it
            graph.add((annotation, OA.hasBody, Literal(finding_text(finding, lang), lang=lang)))
        graph.add((annotation, OA.motivatedBy, DQV.qualityAssessment))
        graph.add((annotation, DCTERMS.subject, metric_iri(by_id.get(finding["measure_id"]) or finding)))
    return graph


def harvest_quality_graph(store: Store, portal_id: str) -> Graph:
    """The DQV graph of a portal's current, assessed harvest."""
    harvest = store.current_harvest(portal_id)
    if harvest is None:
        raise LookupError(f"portal {portal_id!r} has no complete harvest: run `odq harvest {portal_id}`")
    measures = Results(store).measures(harvest.id)
    if not measures:
        raise LookupError(f"the current harvest of {portal_id!r} is not assessed: run `odq assess {portal_id}`")
    return quality_graph(portal_id, harvest.id, harvest.started_at.isoformat(timespec="seconds"), measures,
                         Results(store).findings(harvest.id))
