"""Catalogue files (CSV/XLSX/XLS/JSON/JSON lines) served from loopback and harvested through the `file` adapter;
every expected figure is computed here from the raw fixture with plain json/csv/openpyxl/xlrd."""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import openpyxl
import pytest
import xlrd

from harvester.adapters.catalogue_file import CatalogueFileAdapter
from harvester.encoding import detect_encoding
from harvester.profiles import ProfileError, load_portal, portal_profile_paths, validate
from harvester.run import run_harvest
from odq.pipeline import make_http
from odq.replay import ReplayCatalogue, ReplayServer
from profiles import PROFILES_DIR
from tests.conftest import real_fixture, replay_profile

CHINA = "china_provincial_portals_scraped_2021"
TAIWAN = "taiwan_data_gov_tw"
FAST = {"requests_per_second": 10000, "concurrency": 8}


@contextmanager
def serving(body: bytes, content_type: str = "application/octet-stream", routes: dict | None = None):
    catalogue = ReplayCatalogue(packages=[], files={"catalogue/file": (body, content_type)}, routes=routes or {})
    with ReplayServer(catalogue) as server:
        yield server


def file_profile(base: str, options: dict[str, Any], portal_id: str = "file-test", url: str | None = None) -> dict:
    return replay_profile(url or base, portal_id, "file", level="province", politeness=FAST,
                          options={**options, "source": f"{base}/catalogue/file"})


def shipped_options(portal: str) -> dict[str, Any]:
    return load_portal(PROFILES_DIR / "portals" / f"{portal}.yaml")["options"]


def harvest(store, body: bytes, options: dict[str, Any], portal_id: str = "file-test", url: str | None = None,
            **kwargs):
    with serving(body) as server:
        profile = file_profile(server.base, options, portal_id, url)
        result = run_harvest(profile, store, make_http(profile), **kwargs)
    records = {r.native_id: r for r in store.records(result.harvest_id)}
    return result, records, store.harvest(result.harvest_id).info["catalogue"]


def problems_with(records: dict, text: str) -> list:
    return [r for r in records.values() if any(text in p for p in r.problems)]


# ---------------------------------------------------------------- shipped profiles


def test_every_shipped_file_profile_has_valid_options():
    file_profiles = [load_portal(p) for p in portal_profile_paths() if load_portal(p)["software"] == "file"]
    assert {p["id"] for p in file_profiles} >= {"guangxi", "beijing", "tianjin", "taiwan"}
    for profile in file_profiles:
        validate(profile["options"], "file", profile["id"])


# ---------------------------------------------------------------- Guangxi: one row per file, grouped into datasets

GX_LABELS = {"来源部门", "数据量", "文件数", "开放状态", "所属行业", "发布时间", "最后更新时间", "更新频率", "部门电话",
             "部门邮箱", "描述"}


def _gx_read(info: dict[str, str], label: str) -> str | None:
    """A label's value, whether or not the scraper shifted the values onto the labels' places.

    Shifted rows look like {"所属行业": "发布时间", "2021-01-21 22:23:41": "最后更新时间", "2021-04-14 01:02:07":
    "更新频率", "每半年": "部门电话", ...}: the value of a label is the key that maps to the NEXT label."""
    if all(key in GX_LABELS for key in info):
        value = info.get(label)
        return None if value in (None, "", "暂无") else value
    following = {"发布时间": "最后更新时间", "最后更新时间": "更新频率", "更新频率": "部门电话"}[label]
    for key, value in info.items():
        if value == following and key not in GX_LABELS:
            if label == "发布时间" and "最后更新时间" not in info.values():
                return None
            return key
    if label == "发布时间":  # the row lacks 最后更新时间: its only date is the 发布时间, standing before 更新频率
        return next((k for k, v in info.items() if v == "更新频率" and k not in GX_LABELS), None)
    return None


def gx_id(key: tuple[str, ...]) -> str:
    """The dataset id the adapter builds from the group key when the file has no id column ("暂无" means none)."""
    return "/".join(part for part in key if part and part != "暂无")


@pytest.fixture(scope="module")
def guangxi(tmp_path_factory):
    from harvester.store import Store

    path = real_fixture(CHINA, "guangxi.jsonl")
    store = Store(f"sqlite:///{tmp_path_factory.mktemp('gx') / 'odq.sqlite'}")
    result, records, info = harvest(store, path.read_bytes(), shipped_options("guangxi"), "guangxi")
    raw = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]

    # The datasets, independently: the files of a dataset share title (name less "_0.xls"), department and topic;
    # an original upload listed under its own name right after them, with identical metadata, belongs to them too.
    groups: dict[tuple, list[int]] = {}
    previous = None
    for index, row in enumerate(raw):
        key = (re.sub(r"(_\d+)?\.[A-Za-z0-9]+$", "", row["name"]), row["info"]["来源部门"], row["topic"])
        if previous and key != previous[0] and (row["topic"], row["info"]) == previous[1]:
            key = previous[0]
        groups.setdefault(key, []).append(index)
        previous = (key, (row["topic"], row["info"]))
    return {"result": result, "records": records, "info": info, "raw": raw, "groups": groups, "store": store}


def test_guangxi_file_rows_are_grouped_into_datasets(guangxi):
    result, raw, groups = guangxi["result"], guangxi["raw"], guangxi["groups"]
    assert len(raw) == 5411
    assert result.status == "complete"
    assert result.errors_count == 0
    assert result.datasets == len(groups)
    # Exact repeats of a row (the scraper visited some pages twice) are not distributions of their own.
    distinct_rows = {json.dumps(r, sort_keys=True, ensure_ascii=False) for r in raw}
    assert result.distributions == len(distinct_rows)
    assert guangxi["info"]["repeated_rows"] == len(raw) - len(distinct_rows)
    assert guangxi["info"]["rows"] == len(raw)
    # Every stored dataset lists one distribution per distinct file row of its group.
    for key, indexes in list(groups.items())[:200]:
        record = guangxi["records"][gx_id(key)]
        names = {raw[i]["name"] for i in indexes}
        assert sorted(d.title for d in record.distributions) == sorted(names)


def test_guangxi_frequency_distribution_equals_the_raw_file(guangxi):
    raw, groups = guangxi["raw"], guangxi["groups"]
    expected = Counter(_gx_read(raw[indexes[0]]["info"], "更新频率") for indexes in groups.values())
    stored = Counter(r.frequency_raw for r in guangxi["records"].values())
    assert stored == expected
    assert None not in expected and sum(expected.values()) == len(groups)
    assert set(expected) == {"每年", "每月", "实时", "每季度", "每半年", "每天", "不定期", "每周"}
    assert all(r.frequency for r in guangxi["records"].values())  # every label normalises


def test_guangxi_shifted_rows_are_re_paired_and_reported(guangxi):
    raw, groups, records = guangxi["raw"], guangxi["groups"], guangxi["records"]
    shifted_rows = [r for r in raw if not all(k in GX_LABELS for k in r["info"])]
    assert guangxi["info"]["repaired_rows"] == len(shifted_rows) == 3079
    shifted_datasets = {gx_id(k) for k, ix in groups.items() if any(raw[i] in shifted_rows for i in ix)}
    assert {r.native_id for r in problems_with(records, "re-paired by label")} == shifted_datasets
    for key, indexes in groups.items():
        first = raw[indexes[0]]["info"]
        record = records[gx_id(key)]
        issued = _gx_read(first, "发布时间")
        assert record.issued == (issued.replace(" ", "T") if issued else None), key
        sector = first.get("所属行业")
        assert [c.label for c in record.categories if c.dimension == "sector"] == (
            [sector] if sector and sector not in GX_LABELS | {"暂无"} else []), key
        count = first.get("数据量")
        assert record.record_count == (int(count.replace(",", "")) if count else None)
        assert record.open_type == first["开放状态"]
        assert record.publisher == first["来源部门"]


def test_guangxi_catalogue_info_lists_the_classification(guangxi):
    dimensions = guangxi["info"]["dimensions"]
    raw = guangxi["raw"]
    assert set(dimensions) == {"theme", "sector", "department"}
    assert dimensions["theme"]["count"] == len({r["topic"] for r in raw} - {"暂无"})  # 暂无: none
    assert dimensions["department"]["count"] == len({r["info"]["来源部门"] for r in raw})
    assert guangxi["info"]["keyword_search"] is None  # a file says nothing about the portal's search


def test_an_unchanged_file_is_an_incremental_harvest_that_carries_everything_forward(guangxi):
    store = guangxi["store"]
    body = real_fixture(CHINA, "guangxi.jsonl").read_bytes()
    again, records, info = harvest(store, body, shipped_options("guangxi"), "guangxi", incremental=True)
    assert again.status == "complete"
    assert info["unchanged"] is True
    assert again.datasets == guangxi["result"].datasets
    assert again.new_records == 0
    assert set(records) == set(guangxi["records"])


# ---------------------------------------------------------------- Beijing and Tianjin: concatenated JSON objects


BJ_LABELS = ("资源名称", "资源分类", "资源摘要", "资源出版日期", "关键字说明", "资源类型", "资源所有权单位", "资源记录数")


def _beijing_pairs(info: str) -> dict[str, str]:
    """'资源名称\\t…#资源出版日期    2019年10月17日#…': a label, then a TAB or spaces, then the value."""
    pairs: dict[str, str] = {}
    pattern = re.compile(r"^(" + "|".join(BJ_LABELS) + r")[\t ]+(.*)$", re.S)
    for item in info.split("#"):
        found = pattern.match(item.strip())
        if found:
            pairs.setdefault(found.group(1), found.group(2).strip())
    return pairs


def test_beijing_concatenated_objects_with_key_value_info(store):
    raw_path = real_fixture(CHINA, "beijing.raw_concatenated_objects.txt")
    result, records, info = harvest(store, raw_path.read_bytes(), shipped_options("beijing"), "beijing")
    # The fixture's own line-per-record copy (info already split into info_parsed) is the independent reading.
    normalized = [json.loads(line) for line in real_fixture(CHINA, "beijing.normalized.jsonl").open(encoding="utf-8")]
    assert len(normalized) == info["rows"] == 1130
    distinct: dict[str, dict] = {}
    for row in normalized:
        distinct.setdefault(json.dumps({k: row[k] for k in ("name", "topic", "info")}, sort_keys=True), row)
    assert result.status == "complete"
    assert result.datasets == len(distinct)
    assert result.errors_count == len(normalized) - len(distinct)  # exact repeats are skipped, with their line
    assert all(re.match(r"skipped record .+: row \d+ repeats row \d+$", e) for e in result.errors)
    parsed = [_beijing_pairs(row["info"]) for row in distinct.values()]
    themes = Counter(p.get("资源分类") or row["topic"] for p, row in zip(parsed, distinct.values(), strict=True))
    assert Counter(c.label for r in records.values() for c in r.categories if c.dimension == "theme") == themes
    assert Counter(r.title for r in records.values()) == Counter(p["资源名称"] for p in parsed)
    assert sum(1 for r in records.values() if r.keywords) == sum(1 for p in parsed if p.get("关键字说明"))
    assert sum(1 for r in records.values() if r.publisher) == sum(1 for p in parsed if p.get("资源所有权单位"))
    not_numbers = [p["资源记录数"] for p in parsed if p.get("资源记录数") and not p["资源记录数"].isdigit()]
    assert len(problems_with(records, "is not a number")) == len(not_numbers) > 0
    assert sum(1 for r in records.values() if r.issued) == sum(1 for p in parsed if p.get("资源出版日期"))


def test_tianjin_concatenated_objects(store):
    raw_path = real_fixture(CHINA, "tianjin.raw_concatenated_objects.txt")
    result, records, info = harvest(store, raw_path.read_bytes(), shipped_options("tianjin"), "tianjin")
    normalized = [json.loads(line) for line in real_fixture(CHINA, "tianjin.normalized.jsonl").open(encoding="utf-8")]
    distinct = {json.dumps(row, sort_keys=True): row for row in normalized}
    assert len(normalized) == info["rows"] == 1563
    assert result.status == "complete"
    assert result.datasets == len(distinct)
    assert result.errors_count == len(normalized) - len(distinct)
    assert Counter(c.label for r in records.values() for c in r.categories) == Counter(
        row["topic"] for row in distinct.values())
    # Titles repeated with other content are kept apart and flagged: the file has no id to tell them apart.
    titles = Counter(row["name"] for row in distinct.values())
    assert len(problems_with(records, "no id column")) == sum(n - 1 for n in titles.values())


SAMPLE_OPTIONS = {
    "format": "jsonl",
    "columns": {
        "title": "name", "description": "info.desc", "frequency": "info.time_pl", "issued": "info.time",
        "modified": "info.time_gx", "categories": [{"dimension": "theme", "column": "topic"}],
    },
}


@pytest.mark.parametrize("province", ["shanghai", "zhejiang", "anhui", "jiangxi", "fujian", "jiangsu", "heilongjiang"])
def test_small_provincial_samples(store, province):
    path = real_fixture(CHINA, f"{province}.jsonl")
    raw = [json.loads(line) for line in path.open(encoding="utf-8") if line.strip()]
    result, records, _info = harvest(store, path.read_bytes(), SAMPLE_OPTIONS, province)
    raw = list({json.dumps(r, sort_keys=True): r for r in raw}.values())  # Anhui's sample lists rows twice
    assert result.status == "complete"
    assert result.datasets == len(raw)
    assert Counter(r.frequency_raw for r in records.values()) == Counter(r["info"].get("time_pl") for r in raw)
    # "2021-07-0603:25:19" is not a date: the record keeps going, with the problem noted.
    iso = re.compile(r"^\d{4}-\d{2}-\d{2}( \d{2}:\d{2}(:\d{2})?)?$")
    bad = sum(1 for r in raw for k in ("time", "time_gx") if r["info"].get(k) and not iso.match(r["info"][k]))
    assert sum(len(r.problems) for r in records.values()) == bad


# ---------------------------------------------------------------- Taiwan: data.gov.tw records and the city lists

TW_IOT_OPTIONS = {
    "format": "jsonl",
    "record_path": "record",
    "columns": {
        "native_id": "NODE", "title": "TITLE", "description": "DESC", "publisher": "AGENCY", "department": "AGENCY",
        "contact": "AGENCY_CONTACT", "licence": "LICENCE", "keywords": "KEYWORDS",
        "landing_url": {"column": "NODE", "template": "https://data.gov.tw/dataset/{value}"},
        "frequency": "UPDATE_FREQ", "issued": "DATE_PUBLISH", "modified": "DATE_UPDATE_META",
        "fields": {"column": "SCHEMA", "separator": ["、", ",", "，"]},
        "categories": [{"dimension": "theme", "column": "SERVICE_TYPE"}, {"dimension": "other", "column": "CATEGORY"}],
        # Pages with an extra "活化應用" block pushed the statistics into the next fields.
        "views": {"column": ["Stats", "VIEWS", "DOWNLOAD", "COMMENTS"], "pattern": r"瀏覽次數[:：]\s*([\d,]+)"},
        "downloads": {"column": ["Stats", "VIEWS", "DOWNLOAD", "COMMENTS"], "pattern": r"下載次數[:：]\s*([\d,]+)"},
    },
    "distribution_table": {"column": "RESOURCE", "columns": {
        "download_url": "RES_URL", "format": "RES_FILETYPE", "title": "RES_DESC", "modified": "RES_DATE_UPDATE_META",
        "field_names": {"column": "SCHEMA", "separator": ["、", ",", "，"]}}},
}


@pytest.fixture(scope="module")
def taiwan_raw() -> list[dict]:
    path = real_fixture(TAIWAN, "datagovtw_iot_category_dataset_metadata_2017.jsonl")
    return [json.loads(line)["record"] for line in path.open(encoding="utf-8") if line.strip()]


def _stat(record: dict, label: str) -> int | None:
    for value in record.values():
        found = re.search(label + r":\s*(\d+)", value) if isinstance(value, str) else None
        if found:
            return int(found.group(1))
    return None


def test_taiwan_data_gov_tw_records(store, taiwan_raw):
    path = real_fixture(TAIWAN, "datagovtw_iot_category_dataset_metadata_2017.jsonl")
    result, records, _info = harvest(store, path.read_bytes(), TW_IOT_OPTIONS, "datagovtw", url="https://data.gov.tw/")
    first = {}
    for row in taiwan_raw:
        first.setdefault(row["NODE"], row)
    assert len(taiwan_raw) == 927
    assert result.status == "complete"
    assert result.datasets == len(first) == 926
    # A NODE listed twice (under two categories, scraped at different times) keeps its first listing.
    assert result.errors_count == 1 and "id already used by row" in result.errors[0]
    assert Counter(r.frequency_raw for r in records.values()) == Counter(x.get("UPDATE_FREQ") for x in first.values())
    with_fields = [x for x in first.values() if x.get("SCHEMA")]
    assert sum(1 for r in records.values() if r.fields) == len(with_fields)
    sample = with_fields[0]
    schema = sample["SCHEMA"] if isinstance(sample["SCHEMA"], list) else re.split("[、,，]", sample["SCHEMA"])
    assert [f.name for f in records[sample["NODE"]].fields] == [s.strip() for s in schema if s.strip()]
    views = {node: _stat(x, "瀏覽次數") for node, x in first.items()}
    downloads = {node: _stat(x, "下載次數") for node, x in first.items()}
    assert {n: r.usage.views for n, r in records.items()} == views
    assert {n: r.usage.downloads for n, r in records.items()} == downloads
    assert sum(v is None for v in views.values()) == 3  # unknown is not zero: pages whose counters were lost
    resources = {node: {(r["RES_URL"], r["RES_FILETYPE"], r["RES_DESC"], r["RES_DATE_UPDATE_META"])
                        for r in x["RESOURCE"]} for node, x in first.items()}
    assert result.distributions == sum(len(v) for v in resources.values())
    assert records["5981"].landing_url == "https://data.gov.tw/dataset/5981"
    assert records["5981"].distributions[0].format == "KML"


EXPORT_HEADER = ["資料集識別碼", "資料集名稱", "資料提供屬性", "服務分類", "品質檢測", "檔案格式", "資料下載網址", "編碼格式",
                 "資料資源更新時間", "資料集描述", "主要欄位說明", "提供機關", "更新頻率", "授權方式", "相關網址", "計費方式",
                 "提供機關聯絡人姓名", "提供機關聯絡人電話", "上架日期", "詮釋資料更新時間", "備註", "資料量"]


def test_taiwan_profile_reads_the_export_layout(store, taiwan_raw):
    """taiwan.yaml maps data.gov.tw's full export; recorded values written into that layout check the mapping."""
    first: dict[str, dict] = {}
    for row in taiwan_raw:
        first.setdefault(row["NODE"], row)
    # A URL holding ';' cannot be written into a ';'-separated cell unambiguously: those datasets stay out.
    first = {node: x for node, x in first.items() if not any(";" in r["RES_URL"] for r in x["RESOURCE"])}
    assert len(first) > 900
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(EXPORT_HEADER)
    for node, x in first.items():
        schema = x.get("SCHEMA") or []
        schema = schema if isinstance(schema, list) else re.split("[、,，]", schema)
        resources = x["RESOURCE"]
        cells = {
            "資料集識別碼": node, "資料集名稱": x["TITLE"], "資料提供屬性": x["DATA_TYPE"], "服務分類": x["SERVICE_TYPE"],
            "檔案格式": ";".join(r["RES_FILETYPE"] for r in resources),
            "資料下載網址": ";".join(r["RES_URL"] for r in resources), "資料集描述": x["DESC"],
            "主要欄位說明": ";".join(s.strip() for s in schema if s.strip()), "提供機關": x["AGENCY"],
            "更新頻率": x.get("UPDATE_FREQ", ""), "授權方式": x["LICENCE"], "上架日期": x.get("DATE_PUBLISH", ""),
            "詮釋資料更新時間": x["DATE_UPDATE_META"],
        }
        writer.writerow([cells.get(label, "") for label in EXPORT_HEADER])
    body = out.getvalue().encode("utf-8-sig")  # the live export starts with a BOM
    result, records, info = harvest(store, body, shipped_options("taiwan"), "taiwan", url="https://data.gov.tw/")
    assert info["encoding"] == "utf-8-sig"
    assert result.status == "complete" and result.errors_count == 0
    assert result.datasets == len(first)
    # The layout keeps only format and link: a dataset listing the same file twice (other title) lists it once.
    assert result.distributions == sum(len({(r["RES_FILETYPE"], r["RES_URL"]) for r in x["RESOURCE"]})
                                       for x in first.values())
    assert Counter(r.frequency_raw for r in records.values()) == Counter(x.get("UPDATE_FREQ") for x in first.values())
    assert sum(1 for r in records.values() if r.fields) == sum(1 for x in first.values() if x.get("SCHEMA"))
    formats = Counter(r.format_raw for rec in records.values() for r in rec.distributions)
    assert formats == Counter(f for x in first.values() for f, _ in {(r["RES_FILETYPE"], r["RES_URL"])
                                                                      for r in x["RESOURCE"]})
    assert records["5981"].landing_url == "https://data.gov.tw/dataset/5981"
    assert records["5981"].distributions[0].download_url == first["5981"]["RESOURCE"][0]["RES_URL"]


def test_yilan_catalogue_in_cp950_is_detected_and_decoded(store):
    path = real_fixture(TAIWAN, "city_catalogs", "yilan_2018-03-20_OpenData.csv")
    body = path.read_bytes()
    assert detect_encoding(body) == "cp950"  # although GB18030 decodes these bytes without an error too
    options = {"columns": {"title": "資料集名稱", "publisher": "資料來源", "description": "資料說明",
                           "contact": {"column": ["聯絡人", "聯絡電話"]}}}
    result, records, info = harvest(store, body, options, "yilan")
    rows = list(csv.DictReader(io.StringIO(body.decode("cp950"), newline="")))
    assert info["encoding"] == "cp950" and info["encoding_detected"] is True
    assert "宜蘭縣殯葬設施一覽表" in {r.title for r in records.values()}
    assert {r.title for r in records.values()} == {row["資料集名稱"] for row in rows}
    distinct = {tuple(row.values()) for row in rows}
    assert result.datasets == len(distinct)
    assert result.errors_count == len(rows) - len(distinct)


def test_an_encoding_named_in_the_profile_is_used(store):
    body = real_fixture(TAIWAN, "city_catalogs", "yilan_2018-03-20_OpenData.csv").read_bytes()
    result, records, info = harvest(store, body, {"encoding": "cp950", "columns": {"title": "資料集名稱"}}, "yilan")
    assert info["encoding"] == "cp950" and info["encoding_detected"] is False
    assert "宜蘭縣殯葬設施一覽表" in {r.title for r in records.values()}


def test_gb18030_catalogue_is_detected(store):
    rows = [json.loads(line) for line in real_fixture(CHINA, "guangxi.jsonl").open(encoding="utf-8")][:400:5]
    out = io.StringIO()
    csv.writer(out).writerows([["名称", "主题", "来源部门"]] + [[r["name"], r["topic"], r["info"]["来源部门"]]
                                                                for r in rows])
    body = out.getvalue().encode("gb18030")
    assert detect_encoding(body) == "gb18030"
    options = {"columns": {"title": "名称", "publisher": "来源部门", "categories": [{"dimension": "theme", "column": "主题"}]}}
    result, records, _info = harvest(store, body, options)
    assert {r.title for r in records.values()} == {r["name"] for r in rows}


def test_kaohsiung_list_without_a_header(store):
    path = real_fixture(TAIWAN, "city_catalogs", "kaohsiung_data.kcg.gov.tw_2018-03-20_list.csv")
    options = {"header_row": 0, "columns": {"title": "1", "description": "2", "landing_url": "3",
                                            "native_id": {"column": "3", "pattern": r"/dataset/(.+)$"}}}
    result, records, _info = harvest(store, path.read_bytes(), options, "kaohsiung", url="https://data.kcg.gov.tw/")
    rows = list(csv.reader(path.open(encoding="utf-8", newline="")))
    assert result.status == "complete"
    assert result.datasets == len({row[2] for row in rows}) == len(rows)
    slug = rows[0][2].rsplit("/", 1)[-1]
    assert records[slug].landing_url == f"https://data.kcg.gov.tw{rows[0][2]}"


def test_taoyuan_legacy_xls_catalogue(store):
    path = real_fixture(TAIWAN, "city_catalogs", "taoyuan_open_data_supply_list.xls")
    options = {"columns": {
        "native_id": {"column": "資料連結網址", "pattern": r"oid=([0-9a-f-]+)"}, "title": "資料名稱",
        "landing_url": "資料連結網址", "description": "資料集描述", "frequency": "更新頻率",
        "publisher": {"column": "資料集提供機關", "pattern": r"【(.+)】"},
        "format": {"column": "檔案格式", "separator": [",", "、"]},
        "fields": {"column": "主要欄位說明", "separator": ["、", ",", "，"],
                   "item_pattern": r"^(?P<name>[^(（]+)(?:[(（](?P<description>.*)[)）])?$"},
        "categories": [{"dimension": "theme", "column": "分類及編號", "pattern": r"^(.*?)\s*\(\d+\)$"}],
        "keywords": {"column": "標籤/關鍵字", "separator": [",", "、"]}, "licence": "授權方式",
        "issued": "建立日期", "modified": "最後更新時間", "record_count": "資料量"}}
    result, records, info = harvest(store, path.read_bytes(), options, "taoyuan")
    sheet = xlrd.open_workbook(str(path)).sheet_by_index(0)
    header = sheet.row_values(0)
    rows = [dict(zip(header, sheet.row_values(i), strict=True)) for i in range(1, sheet.nrows)]
    assert info["format"] == "xls"
    assert result.status == "complete" and result.errors_count == 0
    assert result.datasets == len(rows) == 1429
    assert Counter(r.frequency_raw for r in records.values()) == Counter(row["更新頻率"] for row in rows)
    themes = Counter(re.sub(r"\s*\(\d+\)$", "", row["分類及編號"]) for row in rows)
    assert Counter(c.label for r in records.values() for c in r.categories) == themes
    assert sum(1 for r in records.values() if r.fields) == sum(1 for row in rows
                                                             if row["主要欄位說明"].strip() not in ("", "NULL"))
    second = records[re.search(r"oid=([0-9a-f-]+)", rows[1]["資料連結網址"]).group(1)]
    assert second.fields[0].name == "分類" and second.fields[0].description == "境外移入或本土個案"
    # '24筆' is not a number: reported, the record kept.
    bad_counts = [row["資料量"] for row in rows if str(row["資料量"]).strip() and
                  not re.fullmatch(r"[\d,]+(\.0)?", str(row["資料量"]).strip())]
    assert len(problems_with(records, "is not a number")) == len(bad_counts)


# ---------------------------------------------------------------- Argentina: the official XLSX catalogue template


def test_argentina_xlsx_catalogue_with_linked_sheets(store):
    path = real_fixture("argentina_datos_gob_ar_datajson", "catalogo_justicia.xlsx")
    options = {
        "sheet": "Dataset",
        "columns": {
            "native_id": "dataset_identifier", "title": "dataset_title", "description": "dataset_description",
            "publisher": "dataset_publisher_name", "contact": "dataset_contactPoint_hasEmail",
            "categories": [{"dimension": "theme", "column": "dataset_theme", "separator": ","}],
            "keywords": {"column": "dataset_keyword", "separator": ","}, "frequency": "dataset_accrualPeriodicity",
            "issued": "dataset_issued", "modified": "dataset_modified", "landing_url": "dataset_landingPage",
            "licence": "dataset_license"},
        "distribution_table": {"sheet": "Distribution", "key": "dataset_identifier", "columns": {
            "access_url": "distribution_accessURL", "download_url": "distribution_downloadURL",
            "title": "distribution_title", "format": "distribution_format", "byte_size": "distribution_byteSize"}},
        "field_table": {"sheet": "Field", "key": "dataset_identifier", "columns": {
            "name": "field_title", "type": "field_type", "description": "field_description"}},
    }
    result, records, _info = harvest(store, path.read_bytes(), options, "datos-jus")
    catalog = json.loads(real_fixture("argentina_datos_gob_ar_datajson", "catalogo_justicia.json").read_text("utf-8"))
    datasets = {d["identifier"].strip(): d for d in catalog["dataset"]}
    assert result.status == "complete" and result.errors_count == 0
    assert set(records) == set(datasets) and len(records) == 16
    assert result.distributions == sum(len(d["distribution"]) for d in datasets.values()) == 56
    for identifier, dataset in datasets.items():
        record = records[identifier]
        assert len(record.distributions) == len(dataset["distribution"])
        assert record.frequency_raw == dataset["accrualPeriodicity"]
        assert record.frequency and record.title == dataset["title"].strip()
    fields: dict[str, set[str]] = {}
    sheet = openpyxl.load_workbook(path, read_only=True)["Field"]
    rows = sheet.iter_rows(values_only=True)
    header = next(rows)
    for row in rows:
        cells = dict(zip(header, row, strict=False))
        if cells["dataset_identifier"] and cells["field_title"]:
            fields.setdefault(cells["dataset_identifier"].strip(), set()).add(cells["field_title"].strip())
    assert {k: {f.name for f in r.fields} for k, r in records.items() if r.fields} == fields


# ---------------------------------------------------------------- messy files: read as far as sound


def test_messy_csv_rows_are_reported_not_fatal(store):
    body = (
        "编号,名称,更新频率,发布时间,数据量,数据格式\n"
        "1,学校名录,每月,2021-01-02,\"1,234\",\"csv,json\"\n"
        "\n"
        "2,,每年,2021-01-03,5,csv\n"
        "3,医院名录,暂无,2021-13-45,若干,-\n"
        "4,药店名录,每季度\n"
        "5,诊所名录,每年,2021-02-30,7,xls,多余\n"
        "1,学校名录,每年,2021-01-02,8,csv\n"
    ).encode("gb18030")
    options = {"columns": {"native_id": "编号", "title": "名称", "frequency": "更新频率", "issued": "发布时间",
                           "record_count": "数据量", "format": {"column": "数据格式", "separator": ","}}}
    result, records, info = harvest(store, body, options)
    assert info["encoding"] == "gb18030"
    assert result.status == "complete"
    assert set(records) == {"1", "3", "4", "5"}
    assert sorted(result.errors) == ["skipped record 1: row 8: id already used by row 2",
                                     "skipped record 2: row 4: no title"]
    assert records["1"].record_count == 1234 and [d.format for d in records["1"].distributions] == ["CSV", "JSON"]
    assert records["3"].frequency_raw is None and records["3"].distributions == []  # placeholders mean none
    assert records["3"].issued is None and any(p.startswith("issued: '2021-13-45'") for p in records["3"].problems)
    assert any("'若干' is not a number" in p for p in records["3"].problems)
    assert records["4"].problems == ["row 6: 3 cells for 6 columns (shifted or cut-off row)"]
    assert any("issued" in p for p in records["5"].problems)
    assert any(p.startswith("row 7: 7 cells for 6 columns") for p in records["5"].problems)


def test_broken_json_lines_are_skipped_and_the_rest_harvested(store):
    lines = [json.dumps({"name": f"数据集{i}", "topic": "教育"}, ensure_ascii=False) for i in range(5)]
    lines[2] = lines[2][:-5]
    body = "\n".join(lines).encode("utf-8")
    result, records, _info = harvest(store, body, {"format": "jsonl", "columns": {"title": "name"}})
    assert result.status == "complete"
    assert result.datasets == 4
    assert result.errors_count == 1 and "row 3: not JSON" in result.errors[0]


def test_a_cut_off_json_document_is_a_partial_harvest(store):
    body = json.dumps([{"title": f"数据集{i}"} for i in range(10)], ensure_ascii=False).encode()[:-60]
    result, _records, _info = harvest(store, body, {"format": "json", "columns": {"title": "title"}})
    assert result.status == "failed"  # a cut-off document holds no complete list
    concatenated = "".join(json.dumps({"title": f"数据集{i}"}, ensure_ascii=False, indent=1) for i in range(10))
    result, records, _info = harvest(store, concatenated[:-5].encode(), {"columns": {"title": "title"}})
    assert result.status == "partial" and "breaks off" in result.errors[-1]
    assert len(records) == 9


def test_an_html_page_or_missing_file_fails_the_harvest_clearly(store):
    result, _records, _info = harvest(store, b"<!DOCTYPE html><html><body>login</body></html>", {"columns": {"title": "x"}})
    assert result.status == "failed" and "HTML page" in result.errors[0]
    with serving(b"") as server:
        profile = file_profile(server.base, {"columns": {"title": "x"}})
        profile["options"]["source"] = f"{server.base}/nothing-here.csv"
        missing = run_harvest(profile, store, make_http(profile))
    assert missing.status == "failed" and "HTTP 404" in missing.errors[0]


def test_grouped_sorted_file_emits_each_dataset_when_it_ends(store):
    rows = [["名称", "部门", "文件"]] + [[f"数据集{i}", "教育局", f"数据集{i}_0.{ext}"] for i in range(3)
                                      for ext in ("csv", "xls", "json")]
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    options = {"columns": {"title": "名称", "department": "部门", "distribution_title": "文件",
                           "format": {"column": "文件", "pattern": r"\.(\w+)$"}},
               "group_by": ["title", "department"], "group_sorted": True}
    result, records, _info = harvest(store, out.getvalue().encode(), options)
    assert result.datasets == 3 and result.distributions == 9
    assert [d.format for d in records["数据集1/教育局"].distributions] == ["CSV", "XLS", "JSON"]


def test_bad_options_name_the_key_and_the_expectation():
    base = {"id": "bad", "name": "bad", "level": "city", "region": "x", "software": "file", "url": "https://x.gov.cn/"}
    with pytest.raises(ProfileError, match=r"key 'columns.title': a required key is missing"):
        CatalogueFileAdapter({**base, "options": {"source": "https://x.gov.cn/c.csv", "columns": {}}}, None)
    with pytest.raises(ProfileError, match=r"key 'format': expected one of csv, xlsx, xls, json, jsonl"):
        CatalogueFileAdapter({**base, "options": {"source": "https://x.gov.cn/c", "format": "xml",
                                                  "columns": {"title": "t"}}}, None)
    with pytest.raises(ProfileError, match=r"key 'encoding': unknown encoding 'gbk-x'"):
        CatalogueFileAdapter({**base, "options": {"source": "https://x.gov.cn/c", "encoding": "gbk-x",
                                                  "columns": {"title": "t"}}}, None)

    with pytest.raises(ProfileError, match=r"not a regular expression"):
        CatalogueFileAdapter({**base, "options": {"source": "https://x.gov.cn/c",
                                                  "columns": {"title": {"column": "t", "pattern": "(("}}}}, None)


def test_xlsx_with_a_title_row_a_units_row_and_date_cells(store):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "目录"
    sheet.append(["某市公共数据开放目录（2021年）"])
    sheet.append(["数据目录名称", "数据提供方", "更新周期", "发布日期", "数据项"])
    sheet.append(["(必填)", "(必填)", "", "", "(以、分隔)"])
    sheet.append(["企业名录", "市场监管局", "每月", datetime(2021, 3, 4, 10, 30), "企业名称、统一社会信用代码、地址"])
    sheet.append([None, None, None, None, None])
    sheet.append(["公交线路", "交通局", "实时", datetime(2020, 1, 2), "线路、站点"])
    out = io.BytesIO()
    book.save(out)
    options = {"sheet": "目录", "header_row": 2, "skip_rows": 1,
               "columns": {"title": "数据目录名称", "department": "数据提供方", "frequency": "更新周期", "issued": "发布日期",
                           "fields": {"column": "数据项", "separator": "、"}}}
    result, records, info = harvest(store, out.getvalue(), options)
    assert info["format"] == "xlsx" and info["sheet"] == "目录"
    assert result.datasets == 2 and result.errors_count == 0
    record = records["市场监管局/企业名录"]
    assert record.issued == "2021-03-04T10:30:00" and record.frequency == "P1M"
    assert [f.name for f in record.fields] == ["企业名称", "统一社会信用代码", "地址"]
    assert records["交通局/公交线路"].frequency == "continuous"


def test_key_value_text_keeps_a_separator_inside_a_value(store):
    objects = [{"name": "甲", "info": "资源名称\t甲#资源摘要\t含#号的摘要#资源分类\t教育"},
               {"name": "乙", "info": "资源名称 乙#资源分类\t交通"}]
    body = "".join(json.dumps(o, ensure_ascii=False, indent=2) for o in objects).encode()
    options = {"key_value_columns": [{"column": "info", "item_separator": "#", "pair_separator": "\t",
                                      "labels": ["资源名称", "资源摘要", "资源分类"]}],
               "columns": {"title": "info.资源名称", "description": "info.资源摘要",
                           "categories": [{"dimension": "theme", "column": "info.资源分类"}]}}
    result, records, _info = harvest(store, body, options)
    assert result.datasets == 2
    assert records["甲"].description == "含#号的摘要" and records["甲"].categories[0].label == "教育"
    assert records["乙"].categories[0].label == "交通"  # a blank instead of the TAB still separates


def test_guangxi_assessment_groups_formats_before_format_measures(guangxi):
    from tests.assessing import assess_fixture_portal

    store, result = guangxi["store"], guangxi["result"]
    assessment = assess_fixture_portal(store, result.harvest_id, {"id": "guangxi", "level": "province"})
    machine = assessment.measure("machine_readable_share")
    # One dataset per group of per-format rows: the share is over datasets, not over the 5,411 file rows.
    assert machine["detail"]["applicable"] == result.datasets < len(guangxi["raw"])
    assert assessment.measure("frequency_declared_share")["value"] == 1.0  # every 更新频率 label normalises
