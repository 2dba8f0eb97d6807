"""data.gov.tw dates: the data's update date (資料資源更新時間, per file) kept apart from the metadata's
(詮釋資料更新時間), and timeliness judged on the data's, counted by hand from the 927 recorded records."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime

import pandas as pd
import pytest

from checks.catalogue import Catalogue
from checks.frequency import evaluate
from harvester.adapters.catalogue_file import CatalogueFileAdapter, read_rows
from harvester.adapters.catalogue_file_mapping import ColumnMapping, Row
from harvester.profiles import load_portal
from harvester.records import DatasetRecord
from profiles import PROFILES_DIR
from tests.assessing import explained
from tests.conftest import real_fixture

TAIWAN = "taiwan_data_gov_tw"
RECORDS = "datagovtw_iot_category_dataset_metadata_2017.jsonl"
# The recorded pages as the file adapter reads them: RES_DATE_UPDATE_META is each file's 資料資源更新時間 (the
# Chinese-keyed records of the same scrape, datagovtw_keelung_etc_datapackage_metadata_2017.jsonl, name it so).
OPTIONS = {
    "source": "https://data.gov.tw/recorded.jsonl", "format": "jsonl", "record_path": "record",
    "columns": {"native_id": "NODE", "title": "TITLE", "frequency": "UPDATE_FREQ", "issued": "DATE_PUBLISH",
                "modified": "DATE_UPDATE_META"},
    "distribution_table": {"column": "RESOURCE", "columns": {
        "download_url": "RES_URL", "format": "RES_FILETYPE", "modified": "RES_DATE_UPDATE_META"}},
}
# The scrape's repository HEAD (SOURCE.txt): the records are no newer than this.
RECORDED = datetime(2018, 7, 31)


def _when(text: str) -> datetime:
    return datetime.strptime(text, "%Y/%m/%d %H:%M")


@pytest.fixture(scope="module")
def raw() -> dict[str, dict]:
    first: dict[str, dict] = {}
    with real_fixture(TAIWAN, RECORDS).open(encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)["record"]
            first.setdefault(record["NODE"], record)  # one NODE is listed twice; the file adapter keeps the first
    return first


@pytest.fixture(scope="module")
def records() -> dict[str, DatasetRecord]:
    profile = {"id": "datagovtw", "name": "政府資料開放平臺", "level": "province", "region": "台湾", "software": "file",
               "url": "https://data.gov.tw/", "options": OPTIONS}
    adapter = CatalogueFileAdapter(profile, None)
    body = real_fixture(TAIWAN, RECORDS).read_bytes()
    mapped = adapter.datasets_from_rows(read_rows(body, adapter.table, adapter.details))
    return {r.native_id: r for r in mapped if isinstance(r, DatasetRecord)}


def test_the_data_date_is_the_newest_file_date_and_the_metadata_date_stays(raw, records):
    assert len(raw) == len(records) == 926
    for node, page in raw.items():
        newest = max(_when(r["RES_DATE_UPDATE_META"]) for r in page["RESOURCE"])
        assert datetime.fromisoformat(records[node].data_modified) == newest
        assert datetime.fromisoformat(records[node].modified) == _when(page["DATE_UPDATE_META"])
    newer = sum(1 for page in raw.values()
                if max(_when(r["RES_DATE_UPDATE_META"]) for r in page["RESOURCE"]) > _when(page["DATE_UPDATE_META"]))
    assert newer == 757
    assert sum(1 for r in records.values() if r.data_modified > r.modified) == 757


def _catalogue(records: dict[str, DatasetRecord], portal: dict, harvested_at: datetime) -> Catalogue:
    """The columns checks.frequency reads, as the store's flat record rows hold them."""
    frame = pd.DataFrame([{"native_id": r.native_id, "title": r.title, "frequency_raw": r.frequency_raw,
                           "frequency": r.frequency, "modified": r.modified, "data_modified": r.data_modified,
                           "problems": r.problems} for r in records.values()]).set_index("native_id", drop=False)
    return Catalogue(harvest_id=1, portal=portal, harvested_at=harvested_at, info={}, datasets=frame,
                     distributions=pd.DataFrame())


def test_timeliness_uses_the_data_date_and_says_so(raw, records):
    portal = {"id": "datagovtw", "recorded_at": RECORDED.date()}  # YAML reads a bare date as a date
    result = evaluate(_catalogue(records, portal, datetime(2026, 12, 1)))
    timely = {c.spec.id: c for c in result.shares}["timely_share"]
    # data.gov.tw's labels, read by hand; 不定期/不更新/即時 and the rest are not judged here.
    month = 30.44  # odq's month; a year is 365.25 days
    periods = {"每年": 365.25, "每月": month, "每季": 3 * month, "每日": 1.0, "每小時": 1 / 24, "每周": 7.0,
               "每半年": 6 * month, "每10日": 10.0, "每10年": 3652.5}
    expected = {}
    for node, page in raw.items():
        period = periods.get(page.get("UPDATE_FREQ"))
        if period is not None:
            data_date = max(_when(r["RES_DATE_UPDATE_META"]) for r in page["RESOURCE"])
            expected[node] = (RECORDED - data_date).total_seconds() / 86400 <= period * 1.5 + 7
    assert {node: bool(timely.passed[node]) for node in expected} == expected
    assert len(expected) == 234 + 84 + 67 + 30 + 16 + 4 + 4 + 2 + 1  # (the NODE listed twice is 不定期)
    assert int(timely.passed.notna().sum()) == len(expected) + 25  # 即時 (continuous) is judged as daily too
    # judged on the metadata date instead, some of these would differ: the date matters
    by_metadata = {node: (RECORDED - _when(raw[node]["DATE_UPDATE_META"])).total_seconds() / 86400
                   <= periods[raw[node]["UPDATE_FREQ"]] * 1.5 + 7 for node in expected}
    assert by_metadata != expected
    late = pd.Index([node for node, ok in expected.items() if not ok])
    messages = explained(timely, late)
    assert len(messages) and all("; data updated " in m and "days before the recording" in m for m in messages)
    node = late[0]
    newest = max(_when(r["RES_DATE_UPDATE_META"]) for r in raw[node]["RESOURCE"])
    assert f"data updated {newest:%Y-%m-%d}," in messages[node]


def test_the_export_layout_reads_the_data_date_column():
    """The live export lists each file's 資料資源更新時間 in one ';'-separated cell, like its formats and links."""
    columns = {**load_portal(PROFILES_DIR / "portals" / "taiwan.yaml")["options"]["columns"],
               "data_modified": {"column": "資料資源更新時間", "separator": ";"}}
    mapping = ColumnMapping.parse(columns, (), "https://data.gov.tw/")
    text = ("資料集識別碼,資料集名稱,檔案格式,資料下載網址,資料資源更新時間,詮釋資料更新時間\n"
            "5981,水利防災資訊,KML;CSV,http://a.example/x.kml;http://a.example/y.csv,"
            "2017/11/22 10:14;2018/03/08 15:50,2017/05/22 20:26\n")
    values = next(csv.DictReader(io.StringIO(text)))
    problems: list[str] = []
    record = mapping.record("taiwan", "5981", "水利防災資訊", Row(2, values, values), problems)
    assert record.modified == "2017-05-22T20:26:00"
    assert record.data_modified == "2018-03-08T15:50:00"
    assert problems == []
