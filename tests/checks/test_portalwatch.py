"""Open Data Portal Watch's metrics on hand-built records; every expected value is worked out here by hand from the
metric's definition in Portal Watch's registry (metrics.ttl) and odq's stated reading of it."""

from __future__ import annotations

import json

import pytest
from rdflib import Graph, URIRef

from checks import portalwatch
from harvester.records import DatasetRecord, Distribution
from tests.conftest import reference_fixture


def record(native_id: str, **values) -> DatasetRecord:
    return DatasetRecord(portal_id="p", native_id=native_id, **{"title": native_id, **values})


def measured(*records: DatasetRecord) -> dict[str, float | None]:
    result = portalwatch.evaluate(records)
    return {spec.id: value for spec, value, _detail in result.values.values()}


GOOD = record(
    "good", description="d", keywords=["k"], contact="Data team data@example.org https://example.org/contact",
    licence="CC-BY-4.0", issued="2024-01-01", modified="2024-06-01", frequency_raw="monthly",
    distributions=[Distribution(access_url="https://example.org/a.csv", format="CSV", media_type="text/csv",
                                byte_size=10)],
)
POOR = record(
    "poor", title="poor", contact="call 12345", modified="2024-06-01", problems=["issued: '2024-13-45' is not a date"],
    distributions=[Distribution(access_url="ftp://example.org/a.doc", format_raw="doc", format="DOC"),
                   Distribution(access_url=None, download_url="http://example.org/b.pdf", format="PDF"),
                   Distribution(access_url=None)],
)


def test_each_metric_on_a_good_and_a_poor_record():
    values = measured(GOOD, POOR)
    assert values["pw_exac"] == pytest.approx((1 + 2 / 3) / 2)  # poor: 2 of 3 distributions have a URL
    assert values["pw_coac"] == pytest.approx((1 + 1 / 2) / 2)  # ftp:// is not HTTP
    assert values["pw_exco"] == 1.0  # both have a contact
    assert values["pw_coce"] == pytest.approx(1 / 2)  # "call 12345" holds no email
    assert values["pw_cocu"] == pytest.approx(1 / 2)
    assert values["pw_exda"] == pytest.approx((1 + 1 / 2) / 2)  # poor: no readable issued
    assert values["pw_coda"] == pytest.approx((1 + 1 / 2) / 2)  # poor: one readable, one unreadable date
    assert values["pw_exdi"] == pytest.approx((1 + 1 / 3) / 2)  # poor: a title only
    # poor declares DOC and PDF (the empty third distribution declares nothing): both have IANA media types.
    assert values["pw_cofo"] == 1.0
    assert values["pw_opma"] == pytest.approx((1 + 0) / 2)  # CSV is machine-readable, DOC and PDF are not
    assert values["pw_opfo"] == pytest.approx((1 + 0) / 2)
    # good: frequency + format, media type, size = 4 of 4; poor: 0 + (1,0,0) + (1,0,0) + (0,0,0) = 2 of 10.
    assert values["pw_expr"] == pytest.approx((1 + 2 / 10) / 2)
    assert values["pw_exri"] == pytest.approx(1 / 2)


def test_a_metric_that_does_not_apply_is_left_out_not_zero():
    values = measured(record("bare"))
    assert values["pw_exac"] == 0.0  # no distribution: no access information
    assert values["pw_coac"] is None and values["pw_coce"] is None and values["pw_cofo"] is None
    assert values["pw_coli"] is None and values["pw_opli"] is None  # no licence: the licence metrics do not apply


def test_an_empty_catalogue_measures_nothing():
    assert set(measured().values()) == {None}


def test_the_metric_iris_are_portal_watchs_own():
    registry = Graph().parse(reference_fixture("portalwatch_registry_and_metrics", "metrics_dqv.ttl"))
    dqv_metric = URIRef("http://www.w3.org/ns/dqv#Metric")
    identifier = URIRef("http://data.wu.ac.at/ns/odpw#identifier")
    published = {str(registry.value(s, identifier)): str(s) for s in registry.subjects(None, dqv_metric)}
    assert len(published) == 15
    assert {m.code: m.iri for m in portalwatch.METRICS} == published


def test_urls_are_judged_by_the_parser_the_client_connects_with():
    assert portalwatch.is_http_url("https://example.org/x")
    for bad in ("http://", "example.org/x", "https://exa mple.org", "mailto:a@b.org", json.dumps("x")):
        assert not portalwatch.is_http_url(bad), bad


def test_licence_metrics_against_the_open_definition_list():
    values = measured(record("by", licence="CC-BY-4.0"), record("nc", licence="CC BY-NC-ND 4.0"),
                      record("own", licence="Terms of use of the City of Example"))
    assert values["pw_coli"] == pytest.approx(2 / 3)  # the city's own terms are not on the list
    assert values["pw_opli"] == pytest.approx(1 / 2)  # of the two the list knows: CC BY open, NC-ND not
