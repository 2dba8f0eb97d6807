"""A harvest's measures as W3C DQV (Data Quality Vocabulary), in Turtle or JSON-LD.

Every measure is a dqv:QualityMeasurement of the harvested catalogue. Its metric is Portal Watch's own IRI where
the metric is theirs (their registry, metrics.ttl); the MQA publishes no metric IRIs, so its indicators are odq's
IRIs, labelled as MQA indicators with the methodology as their source; every other metric is odq's own. The
dataset-level values — the MQA indicators, the Portal Watch metrics and the DCAT-AP conformance of each dataset —
are dqv:QualityMeasurement computed on the dataset (the DCAT-AP export's dataset IRIs), for the first
DATASET_LIMIT datasets by identifier, so the export stays bounded whatever the catalogue's size. Dataset-level
findings become dqv:QualityAnnotation on the dataset.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS, SKOS, XSD

from checks import mqa, portalwatch
from checks.links import stored_verdict
from checks.results import Results
from harvester.dcat_ap import catalogue_iri, dataset_iri
from harvester.records import DatasetRecord
from harvester.store import Store
from reports.messages import LANGS, finding_text

DQV = Namespace("http://www.w3.org/ns/dqv#")
OA = Namespace("http://www.w3.org/ns/oa#")
ODQ_METRIC = Namespace("https://odq.example/ns/metric#")
ODQ_DIMENSION = Namespace("https://odq.example/ns/dimension#")
MQA_METHODOLOGY = URIRef("https://data.europa.eu/mqa/methodology")
PORTALWATCH_REGISTRY = URIRef("https://github.com/sebneu/portalwatch/blob/master/metrics.ttl")
MQA_NO_IRIS = ("data.europa.eu's MQA publishes no IRIs for its metrics: this is odq's IRI for the MQA indicator, "
               "computed as the MQA methodology defines it.")
# ~40 per-dataset values each: 1,000 datasets are ~40,000 measurements (~200,000 triples), still quick to write.
DATASET_LIMIT = 1000


@dataclass(frozen=True, slots=True)
class DatasetValue:
    native_id: str
    measure_id: str
    value: float


def metric_iri(measure: Mapping[str, Any]) -> URIRef:
    """The metric's own IRI when a published registry defines it (stored with the measure), else odq's."""
    published = (measure.get("detail") or {}).get("iri")
    return URIRef(published) if published else ODQ_METRIC[quote(measure["measure_id"], safe="")]


def _value(measure: Mapping[str, Any]) -> Literal:
    unit = (measure.get("detail") or {}).get("unit")
    value = measure["value"]
    if unit in ("count",) and float(value).is_integer():
        return Literal(int(value), datatype=XSD.integer)
    if unit == "boolean":
        return Literal(bool(value), datatype=XSD.boolean)
    return Literal(float(value), datatype=XSD.double)


def mqa_dimensions() -> dict[str, str]:
    """Each MQA measure's dimension (findability…), read from the eu-mqa profile that scores it."""
    from checks.scoring import load_system

    system = load_system("eu-mqa")
    return {component["measure"]: indicator["id"] for indicator in system["indicators"]
            for point in indicator["points"] for component in point.get("measures") or []}


def _labels(graph: Graph, metric: URIRef, detail: Mapping[str, Any]) -> None:
    for text, language in ((detail.get("title_zh"), "zh"), (detail.get("title_en"), "en")):
        if text:
            graph.add((metric, SKOS.prefLabel, Literal(text, lang=language)))
    if detail.get("title_en"):
        graph.add((metric, RDFS.label, Literal(detail["title_en"], lang="en")))


def describe_metric(graph: Graph, metric: URIRef, measure: Mapping[str, Any], dimensions: Mapping[str, str]) -> None:
    """The metric's type, labels, dimension and where its definition comes from."""
    detail = measure.get("detail") or {}
    graph.add((metric, RDF.type, DQV.Metric))
    _labels(graph, metric, detail)
    family = measure["family"]
    if family == mqa.FAMILY:
        dimension = dimensions.get(measure["measure_id"])
        graph.add((metric, DQV.inDimension, ODQ_DIMENSION[f"mqa-{dimension}" if dimension else "mqa"]))
        graph.add((metric, SKOS.definition, Literal(
            f"MQA indicator: {detail.get('title_en') or measure['measure_id']}", lang="en")))
        graph.add((metric, DCTERMS.source, MQA_METHODOLOGY))
        graph.add((metric, RDFS.comment, Literal(MQA_NO_IRIS, lang="en")))
    elif family == portalwatch.FAMILY and detail.get("iri"):
        if detail.get("dimension"):
            graph.add((metric, DQV.inDimension, URIRef(portalwatch.IRI_BASE + detail["dimension"])))
        graph.add((metric, DCTERMS.source, PORTALWATCH_REGISTRY))
    else:
        graph.add((metric, DQV.inDimension, ODQ_DIMENSION[quote(family, safe="")]))


def _measurement(graph: Graph, target: URIRef, metric: URIRef, value: Literal, when: Literal) -> None:
    node = BNode()
    graph.add((node, RDF.type, DQV.QualityMeasurement))
    graph.add((node, DQV.computedOn, target))
    graph.add((node, DQV.isMeasurementOf, metric))
    graph.add((node, DQV.value, value))
    graph.add((node, PROV.generatedAtTime, when))


def _annotations(graph: Graph, portal_id: str, measures: Mapping[str, Mapping[str, Any]],
                 findings: Iterable[Mapping[str, Any]]) -> None:
    for finding in findings:
        if not finding.get("native_id"):
            continue
        annotation = BNode()
        graph.add((annotation, RDF.type, DQV.QualityAnnotation))
        graph.add((annotation, OA.hasTarget, dataset_iri(portal_id, finding["native_id"])))
        for lang in LANGS:  # the body in both languages, as the reports say it
            graph.add((annotation, OA.hasBody, Literal(finding_text(finding, lang), lang=lang)))
        graph.add((annotation, OA.motivatedBy, DQV.qualityAssessment))
        graph.add((annotation, DCTERMS.subject, metric_iri(measures.get(finding["measure_id"]) or finding)))


def quality_graph(portal_id: str, harvest_id: int, harvested_at: str, measures: list[dict[str, Any]],
                  findings: list[dict[str, Any]], dataset_values: Iterable[DatasetValue] = (),
                  dataset_note: str | None = None) -> Graph:
    graph = Graph()
    for prefix, namespace in (("dqv", DQV), ("oa", OA), ("odqm", ODQ_METRIC), ("prov", PROV), ("skos", SKOS)):
        graph.bind(prefix, namespace)
    catalogue = catalogue_iri(portal_id, harvest_id)
    when = Literal(harvested_at, datatype=XSD.dateTime)
    dimensions = mqa_dimensions() if any(m["family"] == mqa.FAMILY for m in measures) else {}
    by_id = {m["measure_id"]: m for m in measures}
    for measure in measures:
        metric = metric_iri(measure)
        if (metric, RDF.type, DQV.Metric) not in graph:
            describe_metric(graph, metric, measure, dimensions)
        if measure["value"] is None:
            continue  # not measured: DQV has no "unknown" value, and a 0 would be wrong
        _measurement(graph, catalogue, metric, _value(measure), when)
    for item in dataset_values:
        measure = by_id.get(item.measure_id)
        if measure is None or measure["value"] is None:
            continue  # a value the catalogue-level measure does not have (e.g. not assessed) is not exported
        _measurement(graph, dataset_iri(portal_id, item.native_id), metric_iri(measure),
                     Literal(float(item.value), datatype=XSD.double), when)
    if dataset_note:
        graph.add((catalogue, RDFS.comment, Literal(dataset_note, lang="en")))
    _annotations(graph, portal_id, by_id, findings)
    return graph


def _link_verdicts(store: Store, records: list[DatasetRecord]) -> dict[str, bool | None]:
    """The stored answer of each URL of these records (the latest check; odq-side failures are unknown)."""
    urls = {d.url for r in records for d in r.distributions if d.url} | {
        d.download_url for r in records for d in r.distributions if d.download_url}
    stored = Results(store).fresh_link_checks(urls, max_age_days=36500)
    return {url: (None if stored_verdict(row) == "unknown" else bool(row["alive"])) for url, row in stored.items()}


def _conformance_values(records: list[DatasetRecord], measure: Mapping[str, Any] | None,
                        findings: Iterable[Mapping[str, Any]]) -> Iterator[DatasetValue]:
    """Each dataset's DCAT-AP conformance (1 or 0), from the findings: only when they name every failing dataset."""
    if measure is None or measure["value"] is None:
        return
    failing = {f["native_id"] for f in findings if f["measure_id"] == measure["measure_id"] and f.get("native_id")}
    if len(failing) != (measure.get("detail") or {}).get("failed"):
        return  # the findings were capped: which of the rest failed is not stored
    for record in records:
        yield DatasetValue(record.native_id, measure["measure_id"], 0.0 if record.native_id in failing else 1.0)


def dataset_values(store: Store, harvest_id: int, measures: list[dict[str, Any]], findings: list[dict[str, Any]],
                   limit: int = DATASET_LIMIT) -> tuple[list[DatasetValue], int]:
    """The per-dataset values of the first `limit` datasets, recomputed from the stored records with the rules of
    checks/mqa.py and checks/portalwatch.py (the assessment keeps only the means), and how many datasets there are."""
    records = list(itertools.islice(store.records(harvest_id), limit))
    total = store.count_records(harvest_id)[0]
    judges = [(spec.id, judge) for spec, judge in mqa.judges(_link_verdicts(store, records))]
    judges += [(metric.spec.id, metric.value) for metric in portalwatch.METRICS]
    values = [DatasetValue(record.native_id, measure_id, value) for record in records
              for measure_id, judge in judges if (value := judge(record)) is not None]
    by_id = {m["measure_id"]: m for m in measures}
    values += _conformance_values(records, by_id.get(mqa.DCAT_AP.id), findings)
    return values, total


def harvest_quality_graph(store: Store, portal_id: str, dataset_limit: int = DATASET_LIMIT) -> Graph:
    """The DQV graph of a portal's current, assessed harvest."""
    harvest = store.current_harvest(portal_id)
    if harvest is None:
        raise LookupError(f"portal {portal_id!r} has no complete harvest: run `odq harvest {portal_id}`")
    results = Results(store)
    measures = results.measures(harvest.id)
    if not measures:
        raise LookupError(f"the current harvest of {portal_id!r} is not assessed: run `odq assess {portal_id}`")
    findings = results.findings(harvest.id)
    values, total = dataset_values(store, harvest.id, measures, findings, dataset_limit)
    note = None if total <= dataset_limit else (
        f"dataset-level values are given for the first {dataset_limit:,} of {total:,} datasets, by identifier")
    return quality_graph(portal_id, harvest.id, harvest.started_at.isoformat(timespec="seconds"), measures,
                         findings, values, note)
