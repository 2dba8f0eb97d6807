"""The EU MQA and DCAT-AP conformance on the Zurich DCAT-AP CH catalogue (100 datasets, 199 distributions).

Every dimension's points are computed here from the raw Turtle with rdflib and the MQA's own reference lists
(mqa_reference_vocabularies), not with odq's mapping or format vocabulary, and compared with odq's eu-mqa score,
in the strict reading (an IRI of the vocabulary) and the lenient one (a literal naming an entry). pySHACL is run
here on the DCAT-AP 2.1.1 shapes over odq's DCAT-AP rendering of the harvested records (what odq validates for
every family), and its violations per shape are counted against odq's."""

from __future__ import annotations

import csv
from collections import Counter
from statistics import mean

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDF, SH

from checks import shacl
from checks.assess import AssessOptions, assess_harvest
from checks.scoring import load_system, score
from harvester.dcat_ap import CatalogueInfo, catalogue_graph
from harvester.run import run_harvest
from odq.pipeline import make_http, report, score_harvest
from odq.replay import ReplayCatalogue, ReplayServer
from tests.conftest import reference_fixture, replay_profile
from tests.harvester.test_dcat import ZURICH_PAGE, recorded_page_routes, zurich_bytes, zurich_graph

SCHEMA = "http://schema.org/"
VCARD = "http://www.w3.org/2006/vcard/ns#"
# MQA's points (indicators.md §4); the URL answers are not checked offline, rights has no record field in odq.
POINTS = {
    "findability": {"keyword": 30, "theme": 30, "spatial": 20, "temporal": 20},
    "accessibility": {"download_url": 20},
    "interoperability": {"format": 20, "media_type": 10, "format_vocabulary": 10, "non_proprietary": 20,
                         "machine_readable": 20},
    "reusability": {"licence": 20, "licence_vocabulary": 10, "access_rights": 10, "access_rights_vocabulary": 5,
                    "contact_point": 20, "publisher": 10},
    "contextuality": {"byte_size": 5, "issued": 5, "modified": 5},
}


def vocabulary(name: str, column: int) -> list[str]:
    with reference_fixture("mqa_reference_vocabularies", name).open(encoding="utf-8") as handle:
        return [row[column].strip() for row in csv.reader(handle) if len(row) > column and row[column].strip()]


def file_type_code(iri: str) -> str:
    return iri.rstrip("/").rsplit("/", 1)[-1].upper()


FILE_TYPES = {file_type_code(u) for u in vocabulary("file-types.csv", 0)}
FILE_TYPE_IRIS = set(vocabulary("file-types.csv", 0))
MEDIA_TYPES = {m.lower() for m in vocabulary("media-types.csv", 0)}
NON_PROPRIETARY = {file_type_code(u) for u in vocabulary("non-proprietary.csv", 0)}
MACHINE_READABLE = {line.strip().rsplit("/", 1)[-1].upper() for line in reference_fixture(
    "mqa_reference_vocabularies", "edp-machine-readable-formats.txt").read_text().splitlines() if line.strip()}
LICENCE_IRIS = set(vocabulary("licenses.csv", 2))
ACCESS_RIGHT_IRIS = set(vocabulary("access-right.csv", 0))


def text(graph: Graph, node, predicate) -> list[str]:
    return [str(o).strip() for o in graph.objects(node, predicate) if str(o).strip()]


def media_type(value) -> str:
    return str(value).strip().lower().rsplit("/media-types/", 1)[-1]


def indicators(graph: Graph, dataset, lenient: bool) -> dict[str, float | None]:
    """One dataset's MQA indicators, read straight from the Turtle."""
    dists = list(graph.objects(dataset, DCAT.distribution))
    formats = [[str(f).strip() for f in graph.objects(d, DCTERMS["format"]) if str(f).strip()] for d in dists]
    medias = [[m for m in graph.objects(d, DCAT.mediaType) if str(m).strip()] for d in dists]
    codes = [{f.rsplit("/", 1)[-1].upper() for f in fs} for fs in formats]

    def from_vocabulary(i: int) -> bool:
        if lenient:
            return bool(codes[i] & FILE_TYPES) or any(media_type(m) in MEDIA_TYPES for m in medias[i])
        return any(f in FILE_TYPE_IRIS for f in formats[i]) or any(
            isinstance(m, URIRef) and "iana.org/assignments/media-types/" in str(m) and media_type(m) in MEDIA_TYPES
            for m in medias[i])

    def best(flags: list[bool]) -> float | None:
        return float(any(flags)) if flags else None

    def share(flags: list[bool]) -> float | None:
        return sum(flags) / len(flags) if flags else None

    periods = [t for t in graph.objects(dataset, DCTERMS.temporal)
               if isinstance(t, Literal) or any(graph.objects(t, p) for p in (
                   DCAT.startDate, DCAT.endDate, URIRef(SCHEMA + "startDate"), URIRef(SCHEMA + "endDate")))]
    access_rights = text(graph, dataset, DCTERMS.accessRights)
    access_codes = {a.rsplit("/", 1)[-1].upper().replace("-", "_") for a in access_rights}
    contacts = [c for c in graph.objects(dataset, DCAT.contactPoint)
                if text(graph, c, URIRef(VCARD + "fn")) or list(graph.objects(c, URIRef(VCARD + "hasEmail")))]
    # On the distributions (DCAT-AP), or on the dataset (DCAT 2's dcat:Resource; odq's rendering puts it there).
    licences = [text(graph, d, DCTERMS.license) for d in [dataset, *dists]]
    return {
        "keyword": float(bool(text(graph, dataset, DCAT.keyword))),
        "theme": float(bool(list(graph.objects(dataset, DCAT.theme)))),
        "spatial": float(bool(list(graph.objects(dataset, DCTERMS.spatial)))),
        "temporal": float(bool(periods)),
        "download_url": share([bool(list(graph.objects(d, DCAT.downloadURL))) for d in dists]),
        "format": best([bool(f) for f in formats]),
        "media_type": best([bool(m) for m in medias]),
        "format_vocabulary": best([from_vocabulary(i) for i in range(len(dists))]),
        "non_proprietary": best([bool(c & NON_PROPRIETARY) for c in codes]),
        "machine_readable": best([bool(c & MACHINE_READABLE) for c in codes]),
        # odq reads a dataset's licence from its distributions too; Zurich gives one on every distribution.
        "licence": float(any(licences)),
        "licence_vocabulary": float(any(x in LICENCE_IRIS for ls in licences for x in ls)),
        "access_rights": float(bool(access_rights)),
        "access_rights_vocabulary": float(
            any(a in ACCESS_RIGHT_IRIS for a in access_rights) if not lenient
            else bool(access_codes & {file_type_code(a) for a in ACCESS_RIGHT_IRIS})),
        "contact_point": float(bool(contacts)),
        "publisher": float(bool(list(graph.objects(dataset, DCTERMS.publisher)))),
        "byte_size": share([bool(list(graph.objects(d, DCAT.byteSize))) for d in dists]),
        "issued": float(bool(text(graph, dataset, DCTERMS.issued))),
        "modified": float(bool(text(graph, dataset, DCTERMS.modified))),
    }


def expected_points(lenient: bool) -> dict[str, float]:
    graph = zurich_graph()
    rows = [indicators(graph, d, lenient) for d in graph.subjects(RDF.type, DCAT.Dataset)]
    assert len(rows) == 100
    means = {k: mean(r[k] for r in rows if r[k] is not None) for k in rows[0]}
    return {dimension: sum(weight * means[key] for key, weight in points.items())
            for dimension, points in POINTS.items()}


@pytest.fixture(scope="module")
def zurich(tmp_path_factory):
    from harvester.store import Store

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(shacl.SHAPES_ENV, str(reference_fixture("dcat_ap_shacl_shapes")))
        store = Store(f"sqlite:///{tmp_path_factory.mktemp('zurich-mqa') / 'odq.sqlite'}")
        routes = recorded_page_routes(zurich_bytes(), ZURICH_PAGE, "/catalog.ttl")
        with ReplayServer(ReplayCatalogue(packages=[], routes=routes)) as server:
            url = f"{server.base}/catalog.ttl?page=1"
            profile = replay_profile(url, "zurich", "dcat", options={"catalogue_url": url})
            result = run_harvest(profile, store, make_http(profile))
        assert result.datasets == 100, result.errors
        # Only page 1 of 4 was recorded, so the harvest is partial; its 100 datasets are taken as the catalogue
        # (closed as complete here) so that the report can be written.
        store.finish_harvest(result.harvest_id, status="complete", datasets=100)
        assessment = assess_harvest(store, profile, http=None, harvest_id=result.harvest_id,
                                    options=AssessOptions(check_links=False, validate_files=False))
        score_harvest(store, profile, result.harvest_id, assessment.measures)
    return {"store": store, "profile": profile, "harvest_id": result.harvest_id, "assessment": assessment}


def odq_points(measures: list[dict], lenient: bool) -> dict[str, float]:
    if lenient:  # the lenient reading in odq's scale: the lenient measures in the strict ones' places
        by_id = {m["measure_id"]: m for m in measures}
        measures = [{**m, "value": by_id[f"{m['measure_id']}_lenient"]["value"]}
                    if f"{m['measure_id']}_lenient" in by_id else m for m in measures]
    result = score(load_system("eu-mqa"), "city", measures)
    return {i["id"]: i["points"] for i in result["indicators"]}


@pytest.mark.parametrize("lenient", [False, True], ids=["strict", "lenient"])
def test_mqa_points_per_dimension_equal_the_raw_turtles(zurich, lenient):
    measures = [m for m in zurich["assessment"].measures if m["measure_id"] != "mqa_dcat_ap_compliant"]
    got = odq_points(measures, lenient)
    want = expected_points(lenient)
    for dimension, points in want.items():
        assert got[dimension] == pytest.approx(points, abs=0.01), dimension


def test_what_odq_cannot_see_offline_is_unknown_not_zero(zurich):
    values = {m["measure_id"]: m["value"] for m in zurich["assessment"].measures}
    assert values["mqa_access_url_answers"] is None and values["mqa_download_url_answers"] is None  # not checked
    assert values["mqa_rights"] is None  # dct:rights is on every distribution, but odq's record has no field for it




def test_pyshacl_violations_per_shape_equal_odqs(zurich):
    from pyshacl import validate

    store, harvest_id = zurich["store"], zurich["harvest_id"]
    records = list(store.records(harvest_id))
    data = catalogue_graph(CatalogueInfo("odq", "odq", "https://odq.invalid/", 0, "1970-01-01T00:00:00"), records,
                           "2.1.1")
    folder = reference_fixture("dcat_ap_shacl_shapes", "2.1.1")
    shapes = Graph()
    for name in ("dcat-ap_2.1.1_shacl_shapes.ttl", "dcat-ap_2.1.1_shacl_range.ttl",
                 "dcat-ap_2.1.1_shacl_deprecateduris.ttl"):
        shapes.parse(folder / name, format="turtle")
    _conforms, report_graph, _text = validate(data, shacl_graph=shapes, inference="none", advanced=True)
    expected: Counter = Counter()
    for node in report_graph.subjects(RDF.type, SH.ValidationResult):
        if report_graph.value(node, SH.resultSeverity) != SH.Violation:
            continue
        shape = report_graph.value(node, SH.sourceShape)
        path = report_graph.value(node, SH.resultPath)
        component = str(report_graph.value(node, SH.sourceConstraintComponent)).rsplit("#", 1)[-1]
        expected[str(shape) if isinstance(shape, URIRef) else
                 f"{data.namespace_manager.normalizeUri(path) if path else '(node)'} "
                 f"{component.removesuffix('ConstraintComponent')}"] += 1
    detail = next(m for m in zurich["assessment"].measures if m["measure_id"] == "mqa_dcat_ap_compliant")["detail"]
    assert detail["violations_by_shape"] == dict(expected)
    assert detail["datasets"] == 100
    findings = [f for f in zurich["assessment"].findings if f["measure_id"] == "mqa_dcat_ap_compliant"]
    assert len(findings) == detail["failed"]


def test_the_report_says_which_shape_sets_were_not_evaluated_offline(zurich, tmp_path):
    detail = next(m for m in zurich["assessment"].measures if m["measure_id"] == "mqa_dcat_ap_compliant")["detail"]
    left_out = {item["shapes"] for item in detail["not_evaluated_offline"]}
    assert left_out == {"2.1.1/dcat-ap_2.1.1_shacl_mdr-vocabularies.shape.ttl",
                        "2.1.1/dcat-ap_2.1.1_shacl_mdr_imports.ttl", "2.1.1/dcat-ap_2.1.1_shacl_imports.ttl"}
    for lang, said in (("en", "cannot be evaluated offline"), ("zh", "无法离线校验")):
        html = report(zurich["store"], "zurich", tmp_path / lang, lang=lang).read_text(encoding="utf-8")
        assert said in html and "dcat-ap_2.1.1_shacl_mdr-vocabularies.shape.ttl" in html
