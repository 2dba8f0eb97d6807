"""Tokyo's declared frequencies (extras 更新頻度) and their timeliness, counted from the raw package_show file.

The CKAN mapping function is applied to each raw package directly (no replay server, so this runs in seconds);
every expected figure is computed here with json and datetime from the raw records."""

from __future__ import annotations

import gzip
import json
from collections import Counter
from datetime import datetime

import pytest
from sqlalchemy import update

from checks.catalogue import load_catalogue
from checks.frequency import evaluate
from harvester.adapters.ckan import map_package
from harvester.store import HarvestRow
from tests.assessing import explained
from tests.conftest import real_fixture

TOKYO = "ckan_catalog.data.metro.tokyo.lg.jp"
PORTAL = {"id": "tokyo", "name": "東京都", "level": "province", "region": "東京都", "software": "ckan",
          "url": "https://catalog.data.metro.tokyo.lg.jp"}
# The crawl's last package list is dated 2022-09-05 (2022_09_05_packages.txt): the catalogue as recorded then.
RECORDED = datetime(2022, 9, 5)

# Every label Tokyo uses five times or more, read by hand: what it says in Japanese.
YEAR, MONTH = 365.25, 30.44
BY_HAND = {
    "随時": "irregular",           # "whenever needed"
    "公開時のみ": "never",          # "only at publication"
    "1年ごと": YEAR, "１年ごと": YEAR, "年1回": YEAR, "年１回": YEAR, "1回/年": YEAR, "1年": YEAR, "毎年": YEAR,
    "1年に1回": YEAR, "年１回（３月頃）": YEAR, "年1回(4月）": YEAR,
    "不定期": "irregular",          # "irregular": a declaration, not a missing one
    "１か月ごと": MONTH, "1か月ごと": MONTH, "1月ごと": MONTH, "月1回": MONTH, "毎月": MONTH, "１月ごと": MONTH,
    "月次": MONTH, "1回/月": MONTH,
    "更新無": "never", "更新予定なし": "never",  # "no updates" / "no update planned"
    "変更の都度": "irregular", "適宜": "irregular",  # "each time it changes" / "as appropriate"
    "3か月ごと": 3 * MONTH, "4回/年": 3 * MONTH, "年４回": 3 * MONTH,
    "５年ごと": 5 * YEAR, "5年ごと": 5 * YEAR, "概ね5年ごと": 5 * YEAR, "5年に1回": 5 * YEAR,
    "毎日": 1.0,
    "半年ごと": YEAR / 2,
}
# Declared, but no frequency: "none", "undecided", and "monthly/yearly" at once.
NOT_A_FREQUENCY = {"なし", "未定", "1か月/1年ごと"}


@pytest.fixture(scope="module")
def raw() -> list[dict]:
    with gzip.open(real_fixture(TOKYO, "package_show_all.jsonl.gz"), "rt", encoding="utf-8") as handle:
        return [json.loads(line)["result"] for line in handle if line.strip()]


@pytest.fixture(scope="module")
def records(raw):
    return [map_package(package, PORTAL["id"], PORTAL["url"]) for package in raw]


def _label(package: dict) -> str | None:
    for extra in package.get("extras") or []:
        if extra.get("key") == "更新頻度":
            return (extra.get("value") or "").strip() or None
    return None


def test_every_declared_label_is_read(raw, records):
    labels = Counter(_label(p) for p in raw)
    assert len(raw) == 5077
    assert sum(n for label, n in labels.items() if label) == 5008  # 69 packages leave 更新頻度 empty
    assert Counter(r.frequency_raw for r in records) == labels
    assert labels.most_common(4) == [("随時", 1868), ("公開時のみ", 998), ("1年ごと", 483), ("不定期", 408)]


def test_every_label_used_five_times_normalises_as_it_reads(raw, records):
    labels = Counter(_label(p) for p in raw)
    frequent = {label for label, n in labels.items() if label and n >= 5}
    assert frequent == set(BY_HAND)
    periods = {"P1Y": YEAR, "P1M": MONTH, "P3M": 3 * MONTH, "P5Y": 5 * YEAR, "P1D": 1.0, "P6M": YEAR / 2}
    for record in records:
        if record.frequency_raw in BY_HAND:
            expected = BY_HAND[record.frequency_raw]
            got = periods.get(record.frequency, record.frequency) if isinstance(expected, float) else record.frequency
            assert got == expected, (record.frequency_raw, record.frequency)
    unread = Counter(r.frequency_raw for r in records if r.frequency_raw and r.frequency is None)
    assert set(unread) == NOT_A_FREQUENCY and sum(unread.values()) == 3


def _resource_dates(package) -> list[datetime]:
    found = []
    for resource in package.get("resources") or []:
        text = resource.get("last_modified") or resource.get("created")
        if text:
            found.append(datetime.fromisoformat(text))
    return found


def _data_date(package) -> datetime:
    return max(_resource_dates(package), default=None) or datetime.fromisoformat(package["metadata_modified"])


def test_declared_share_and_timeliness_as_of_the_recording(store, raw, records):
    store.upsert_portal(PORTAL)
    harvest_id = store.begin_harvest("tokyo")
    store.add_records(harvest_id, records)
    store.finish_harvest(harvest_id, status="complete", datasets=len(records))
    with store.engine.begin() as conn:  # read today, as a replay of the recording would be
        conn.execute(update(HarvestRow).where(HarvestRow.id == harvest_id).values(started_at=datetime(2026, 1, 5)))
    recorded = {**PORTAL, "recorded_at": "2022-09-05"}
    result = evaluate(load_catalogue(store, harvest_id, recorded, with_distributions=False))
    shares = {check.spec.id: check for check in result.shares}

    declared = shares["frequency_declared_share"].passed
    assert int(declared.sum()) == 5008 - 3  # 不定期 and 随時 count: "irregular" is declared
    assert round(declared.mean(), 4) == 0.9858

    timely = shares["timely_share"].passed
    expected = {}
    for package in raw:
        period = BY_HAND.get(_label(package))
        if isinstance(period, float):
            # The data's date where the portal gives one (the newest resource last_modified, else created),
            # else the record's metadata_modified.
            age = (RECORDED - _data_date(package)).total_seconds() / 86400
            expected[package["id"]] = age <= period * 1.5 + 7
    judged = {k: bool(timely[k]) for k in expected}
    assert judged == expected
    # 658 on time by metadata_modified; 435 by the files' own dates (most metadata was touched after the files).
    assert len(expected) == 1480 and sum(expected.values()) == 435
    # irregular (随時, 不定期…) and never (公開時のみ, 更新無…) are declared but not judged
    unjudged = [p["id"] for p in raw if BY_HAND.get(_label(p)) in ("irregular", "never")]
    assert len(unjudged) == 1868 + 998 + 408 + 102 + 56 + 6 + 5 and timely[unjudged].isna().all()
    late = [k for k, ok in expected.items() if not ok]
    messages = explained(shares["timely_share"], timely.index[timely.index.isin(late)])
    by_id = {p["id"]: p for p in raw}
    assert all("days before the recording" in m for m in messages)
    assert all(("; data updated " in m) == bool(_resource_dates(by_id[i])) for i, m in messages.items())
    assert [f["message"] for f in result.findings if f["native_id"] is None] == [
        "judged as of the recording, 2022-09-05T00:00:00 (profile recorded_at), not the harvest time"]
