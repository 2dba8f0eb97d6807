"""data.json entries against the official POD (DCAT-US 1.1) schemas, checked the way data.gov's validator does.

The expected errors are those data.gov's harvester tests (GSA/ckanext-datajson, test_datajson_validation.py)
expect for the same sample catalogues, written out here by hand.
"""

from __future__ import annotations

import json

import pytest

from checks import conformance
from checks.assess import AssessOptions, assess_harvest
from harvester.run import run_harvest
from odq.pipeline import make_http
from odq.replay import ReplayCatalogue, ReplayServer
from reports.messages import finding_text
from tests.conftest import real_fixture, replay_profile

US = "us_dcatus_datajson"


@pytest.fixture
def pod_schemas(monkeypatch):
    folder = real_fixture(US, "dcat_us_pod_schema_v1.1")
    monkeypatch.setenv("ODQ_POD_SCHEMAS", str(folder))
    return folder


def sample(name: str) -> dict:
    return json.loads(real_fixture(US, "gsa_ckanext_datajson_samples", f"{name}.data.json").read_bytes())


def required(field: str) -> str:
    return f"'{field}' is a required property"


def test_entries_missing_fields_fail_with_each_required_property_named(pod_schemas):
    entries = dict(enumerate(sample("missing-dataset-fields")["dataset"]))
    first, second = conformance.validate_entries(entries, pod_schemas, "federal")
    expected = {"accessLevel", "bureauCode", "contactPoint", "description", "identifier", "keyword", "modified",
                "programCode", "publisher", "title"}
    assert {required(f) for f in expected} <= set(first.errors)
    assert required("description") in second.errors


def test_a_catalogue_the_peer_validator_passes_has_no_errors(pod_schemas):
    entries = {e["identifier"]: e for e in sample("collection-1-parent-2-children")["dataset"]}
    verdicts = conformance.validate_entries(entries, pod_schemas, "federal")
    assert [v.errors for v in verdicts] == [(), (), ()]


def test_the_schema_follows_the_federal_only_fields_by_odqs_default_rule():
    assert conformance.which_schema({"a": {"bureauCode": ["015:11"]}, "b": {}})[0] == "federal"  # 1 of 2
    assert conformance.which_schema({"a": {"programCode": ["015:001"]}, "b": {}, "c": {}})[0] == "non-federal"
    assert "odq default" in conformance.which_schema({"a": {}})[1]


def harvest_and_assess(store, body: bytes):
    routes = {"/data.json": lambda params, _body, _base: (200, body, "application/json")}
    with ReplayServer(ReplayCatalogue(packages=[], routes=routes)) as server:
        profile = replay_profile(server.base, "pod-replay", "datajson", level="ministry")
        harvest = run_harvest(profile, store, make_http(profile))
    assert harvest.status == "complete", harvest.errors
    return assess_harvest(store, profile, http=None, harvest_id=harvest.harvest_id,
                          options=AssessOptions(check_links=False, validate_files=False))


def test_a_harvested_catalogue_is_measured_entry_by_entry_with_findings(pod_schemas, store):
    catalogue = sample("collection-1-parent-2-children")
    broken = catalogue["dataset"][2]
    del broken["keyword"]
    broken["accessLevel"] = "open"
    assessment = harvest_and_assess(store, json.dumps(catalogue).encode())
    measure = assessment.measure("pod_conformant_share")
    assert measure["value"] == pytest.approx(2 / 3)  # 3 entries, 1 broken
    assert measure["detail"]["schema"] == "federal"  # every entry carries bureauCode and programCode
    (finding,) = [f for f in assessment.findings if f["measure_id"] == "pod_conformant_share"]
    assert finding["native_id"] == broken["identifier"]
    assert required("keyword") in finding["message"]
    assert "accessLevel: 'open' is not one of ['public', 'restricted public', 'non-public']" in finding["message"]
    assert finding_text(finding, "zh").startswith("不符合 POD（DCAT-US 1.1）")


def test_without_the_schemas_the_measure_is_not_assessed_rather_than_zero(monkeypatch, store):
    monkeypatch.delenv("ODQ_POD_SCHEMAS", raising=False)
    assessment = harvest_and_assess(store, json.dumps(sample("collection-1-parent-2-children")).encode())
    measure = assessment.measure("pod_conformant_share")
    assert measure["value"] is None and "ODQ_POD_SCHEMAS" in measure["detail"]["reason"]
