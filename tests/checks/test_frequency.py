"""Update frequency: declared, timely against a fixed harvest time, and observed across harvests."""

from __future__ import annotations

import copy
import json
from datetime import datetime, timedelta

import pytest
from sqlalchemy import update

from checks.catalogue import load_catalogue
from checks.frequency import evaluate
from harvester.adapters.ckan import map_package
from harvester.store import HarvestRow
from tests.assessing import explained
from tests.conftest import real_fixture

PORTAL = {"id": "birmingham", "name": "b", "level": "city", "region": "r", "software": "ckan",
          "url": "https://data.birmingham.gov.uk"}


@pytest.fixture
def packages() -> list[dict]:
    envelope = json.loads(real_fixture("ckan_data.birmingham.gov.uk", "package_search_q_purchase_card.json")
                          .read_text(encoding="utf-8"))
    return envelope["result"]["results"]


def _store_harvest(store, packages, labels, started_at):
    store.upsert_portal(PORTAL)
    harvest_id = store.begin_harvest("birmingham")
    records = []
    for package, label in zip(packages, labels, strict=True):
        package = copy.deepcopy(package)
        if label is not None:
            package["extras"] = [*package.get("extras", []), {"key": "frequency", "value": label}]
        records.append(map_package(package, "birmingham", PORTAL["url"]))
    store.add_records(harvest_id, records)
    store.finish_harvest(harvest_id, status="complete", datasets=len(records))
    with store.engine.begin() as conn:
        conn.execute(update(HarvestRow).where(HarvestRow.id == harvest_id).values(started_at=started_at))
    return harvest_id


def _shares(result):
    return {check.spec.id: check for check in result.shares}


def test_timeliness_against_a_fixed_harvest_time(store, packages):
    labels = ["monthly", "annually", "暂无", None, "monthly", "daily", "monthly", "irregular", "monthly", "weekly"]
    harvested = datetime(2021, 9, 17)
    harvest_id = _store_harvest(store, packages, labels, harvested)
    result = evaluate(load_catalogue(store, harvest_id, PORTAL, with_distributions=False))
    checks = _shares(result)

    declared = checks["frequency_declared_share"].passed
    assert int(declared.sum()) == 8  # "暂无" and a missing label do not count
    periods = {"monthly": 30.44, "annually": 365.25, "daily": 1.0, "weekly": 7.0}
    expected = {}
    for package, label in zip(packages, labels, strict=True):
        if label in periods:
            modified = datetime.fromisoformat(package["metadata_modified"])
            age = (harvested - modified).total_seconds() / 86400
            expected[package["id"]] = age <= periods[label] * 1.5 + 7
    timely = checks["timely_share"].passed
    assert {k: bool(v) for k, v in timely.dropna().items()} == expected
    assert timely.isna().sum() == 3  # irregular, 暂无 and missing: not judged
    messages = explained(checks["timely_share"], late_ids := [k for k, ok in expected.items() if not ok])
    assert late_ids and all("days before the harvest" in m for m in messages)


def test_observed_cadence_from_the_harvest_history(store, packages):
    labels = ["monthly"] * len(packages)
    first = _store_harvest(store, packages, labels, datetime(2021, 1, 1))
    changed = copy.deepcopy(packages)
    changed[0]["metadata_modified"] = "2021-05-01T00:00:00"  # only this one was updated in between
    second = _store_harvest(store, changed, labels, datetime(2021, 1, 1) + timedelta(days=200))
    assert first != second
    result = evaluate(load_catalogue(store, second, PORTAL, with_distributions=False))
    observed = _shares(result)["observed_cadence_share"].passed
    assert bool(observed[packages[0]["id"]])
    assert int((observed == False).sum()) == len(packages) - 1  # noqa: E712


def test_a_missing_frequency_is_not_declared_and_no_message_says_nan(store, packages):
    # a record without a frequency reads back from SQL as NaN: it must not become the text "nan"
    labels = [None, "暂无", "monthly", None, None, None, None, None, None, None]
    harvest_id = _store_harvest(store, packages, labels, datetime(2021, 9, 17))
    declared = _shares(evaluate(load_catalogue(store, harvest_id, PORTAL, with_distributions=False)))[
        "frequency_declared_share"]
    failing = declared.passed[declared.passed == False].index  # noqa: E712
    messages = explained(declared, failing)
    assert len(messages) == 9
    assert messages[packages[0]["id"]] == "no update frequency declared"
    assert messages[packages[1]["id"]] == "the declared update frequency “暂无” is not one odq can normalise"
    assert sorted(messages.value_counts().tolist()) == [1, 8]
    assert not any("nan" in m.lower() for m in messages)


def test_impossible_dates_count_dates_only_and_repairs_have_their_own_count(store, packages):
    store.upsert_portal(PORTAL)
    harvest_id = store.begin_harvest("birmingham")
    records = [map_package(copy.deepcopy(p), "birmingham", PORTAL["url"]) for p in packages[:3]]
    # what harvester.dates says of an unreadable date, as read_date notes it; and two scrape repairs
    records[0].problems = ["modified: '2021-13-45' is not a valid date (month must be in 1..12)"]
    records[1].problems = ["info: values stood in place of labels (a shifted scrape); re-paired by label",
                           "rows 6, 7 repeat rows 1, 2"]
    records[2].modified = "2031-01-01T00:00:00"  # ten years after the harvest below
    store.add_records(harvest_id, records)
    store.finish_harvest(harvest_id, status="complete", datasets=3)
    with store.engine.begin() as conn:
        conn.execute(update(HarvestRow).where(HarvestRow.id == harvest_id).values(started_at=datetime(2021, 9, 17)))
    result = evaluate(load_catalogue(store, harvest_id, PORTAL, with_distributions=False))
    _, impossible, detail = result.values["impossible_dates"]
    assert impossible == 2 and detail == {"future": 1, "unreadable": 1}
    _, repairs, detail = result.values["record_repairs"]
    assert repairs == 2 and detail == {"records": 1}
    by_measure = {}
    for finding in result.findings:
        by_measure.setdefault(finding["measure_id"], set()).add(finding["native_id"])
    assert by_measure == {"impossible_dates": {packages[0]["id"], packages[2]["id"]},
                          "record_repairs": {packages[1]["id"]}}
