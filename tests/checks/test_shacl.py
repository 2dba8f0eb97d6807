"""DCAT-AP conformance of odq's rendering of records, with pySHACL and SEMIC's own shapes, offline. The expected
violations are the mandatory properties of DCAT-AP 2.1.1 (dcat:Dataset: dct:title, dct:description;
dcat:Distribution: dcat:accessURL), written out by hand."""

from __future__ import annotations

import pytest

from checks import mqa, shacl
from harvester.records import DatasetRecord, Distribution
from tests.conftest import reference_fixture


@pytest.fixture
def shapes(monkeypatch):
    folder = reference_fixture("dcat_ap_shacl_shapes")
    monkeypatch.setenv("ODQ_DCAT_AP_SHAPES", str(folder))
    return folder


def record(native_id: str, **values) -> DatasetRecord:
    return DatasetRecord(portal_id="p", native_id=native_id, **{"title": native_id, **values})


GOOD = record("good", description="Air quality, daily", keywords=["air"],
              distributions=[Distribution(access_url="https://example.org/a.csv", format="CSV", byte_size=12)])
NO_DESCRIPTION = record("no-description", distributions=[Distribution(access_url="https://example.org/b.csv")])
NO_ACCESS_URL = record("no-access-url", description="d", distributions=[Distribution(access_url="ftp-only")])


def test_mandatory_properties_of_dcat_ap_2_1_1(shapes):
    result = shacl.validate_records([GOOD, NO_DESCRIPTION, NO_ACCESS_URL], shapes, "2.1.1")
    assert result.failing() == {"no-description", "no-access-url"}
    paths = {(v.native_id, v.path) for v in result.violations if v.severity == "Violation"}
    assert ("no-description", "dct:description") in paths
    assert ("no-access-url", "dcat:accessURL") in paths  # a distribution's violation is its dataset's
    assert "2.1.1/dcat-ap_2.1.1_shacl_mdr-vocabularies.shape.ttl" in result.not_evaluated


def test_the_3_0_1_shapes_accept_the_3_0_1_rendering(shapes):
    result = shacl.validate_records([GOOD], shapes, "3.0.1")
    assert result.failing() == set(), result.violations
    # The class-range shapes need the imported ontologies and the EU vocabularies: listed, with why, not skipped
    # silently.
    assert result.not_evaluated == ("3.0.1/ranges.ttl",)
    assert "imported ontologies" in shacl.not_offline_reason("3.0.1/ranges.ttl")


@pytest.mark.parametrize("batch", [500, 1])  # one graph, or one per dataset: the same answer
def test_the_mqa_dcat_ap_indicator_is_the_share_of_conformant_datasets(shapes, monkeypatch, batch):
    monkeypatch.setattr(shacl, "BATCH", batch)
    found = mqa.evaluate(iter([GOOD, NO_DESCRIPTION, NO_ACCESS_URL]))
    _spec, value, detail = found.values["mqa_dcat_ap_compliant"]
    assert value == pytest.approx(1 / 3) and detail["version"] == "2.1.1"
    messages = {f["native_id"]: f["message"] for f in found.findings if f["measure_id"] == "mqa_dcat_ap_compliant"}
    assert set(messages) == {"no-description", "no-access-url"}
    assert "dct:description" in messages["no-description"]


def test_without_the_shapes_compliance_is_unknown_not_zero(monkeypatch):
    monkeypatch.delenv("ODQ_DCAT_AP_SHAPES", raising=False)
    _spec, value, detail = mqa.evaluate([GOOD]).values["mqa_dcat_ap_compliant"]
    assert value is None and "ODQ_DCAT_AP_SHAPES" in detail["reason"]
