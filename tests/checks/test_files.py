"""Sampled-file validation with frictionless: a real published CSV, and broken files made in the test."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import Workbook

from checks.files import validate_file
from harvester.encoding import detect_encoding
from harvester.http import Http, Politeness
from odq.replay import ReplayCatalogue, ReplayServer
from tests.conftest import real_fixture

TAITUNG = ("taiwan_data_gov_tw", "city_catalogs", "taitung_636485953864564217.csv")


def _xlsx(rows: list[list[object]]) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def served():
    taitung = real_fixture(*TAITUNG).read_bytes()
    good = "名称,数量,日期\n甲,1,2024-01-01\n乙,2,2024-01-02\n"
    files = {
        "taitung.csv": (taitung, "text/csv"),
        "blank-row.csv": ("名称,数量\n甲,1\n\n乙,2\n".encode(), "text/csv"),
        "extra-cell.csv": ("名称,数量\n甲,1,多余\n乙,2\n".encode(), "text/csv"),
        "wrong-type.csv": (good.replace(",2,", ",约两个,").encode(), "text/csv"),
        "gb18030.csv": (good.encode("gb18030"), "text/csv"),
        "page.csv": (b"<!DOCTYPE html><html><body>home</body></html>", "text/html"),
        "really.xlsx": (_xlsx([["名称", "数量"], ["甲", 1], ["乙", 2]]), "application/octet-stream"),
        "big.csv": (b"a,b\n" + b"1,2\n" * 50_000, "text/csv"),
    }
    with ReplayServer(ReplayCatalogue(packages=[], files=files)) as server:
        http = Http(allow_hosts=["127.0.0.1"], politeness=Politeness(1000, 4))
        yield server, http, taitung


def test_real_taitung_csv_with_bom_validates_and_counts_its_rows(served):
    server, http, raw = served
    assert raw.startswith(b"\xef\xbb\xbf")
    expected_rows = sum(1 for _ in csv.reader(io.StringIO(raw.decode("utf-8-sig")))) - 1
    expected_header = next(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    report = validate_file(http, f"{server.base}/taitung.csv", "CSV")
    assert report["encoding"] == "utf-8-sig"
    assert report["header"] == expected_header  # the BOM is not glued to the first label
    assert report["rows"] == expected_rows == 168
    assert report["valid"] is True, report


@pytest.mark.parametrize(
    ("path", "error_type"),
    [("blank-row.csv", "blank-row"), ("extra-cell.csv", "extra-cell"), ("page.csv", "not-a-data-file")],
)
def test_broken_files_are_invalid_with_the_error_named(served, path, error_type):
    server, http, _ = served
    report = validate_file(http, f"{server.base}/{path}", "CSV")
    assert report["valid"] is False
    assert error_type in report["error_types"], report


def test_declared_types_catch_text_in_a_number_column(served):
    server, http, _ = served
    declared = [{"name": "名称", "type": "string"}, {"name": "数量", "type": "integer"},
                {"name": "日期", "type": "date"}]
    report = validate_file(http, f"{server.base}/wrong-type.csv", "CSV", declared)
    assert report["valid"] is False
    assert report["error_types"] == {"type-error": 1}
    assert report["missing_fields"] == [] and report["extra_fields"] == []


def test_declared_fields_are_compared_with_the_real_header(served):
    server, http, _ = served
    declared = [{"name": "名称"}, {"name": "备注"}]
    report = validate_file(http, f"{server.base}/wrong-type.csv", "CSV", declared)
    assert report["missing_fields"] == ["备注"]
    assert report["extra_fields"] == ["数量", "日期"]


def test_gb18030_is_detected_not_assumed(served):
    server, http, _ = served
    report = validate_file(http, f"{server.base}/gb18030.csv", "CSV")
    assert report["encoding"] == "gb18030"
    assert report["header"] == ["名称", "数量", "日期"]
    assert report["valid"] is True


def test_a_file_labelled_xls_is_read_as_what_it_is(served):
    server, http, _ = served
    report = validate_file(http, f"{server.base}/really.xlsx", "XLS")
    assert report["served_format"] == "XLSX"
    assert report["valid"] is True and report["rows"] == 2


def test_files_over_the_byte_cap_are_not_downloaded_whole(served):
    server, http, _ = served
    report = validate_file(http, f"{server.base}/big.csv", "CSV", byte_cap=10_000)
    assert report["valid"] is None
    assert "cap" in report["fetch_error"]


def test_row_cap_limits_validation(served):
    server, http, _ = served
    report = validate_file(http, f"{server.base}/big.csv", "CSV", row_cap=1000)
    assert report["rows"] == 1000


@pytest.mark.parametrize(
    ("body", "encoding"),
    [
        ("臺東縣政府開放資料,名稱,數量\n".encode("big5"), "cp950"),
        ("广西壮族自治区开放数据,名称,数量\n".encode("gb18030"), "gb18030"),
        (b"abc", "utf-8"),
        (b"\xef\xbb\xbfabc", "utf-8-sig"),
    ],
)
def test_detect_encoding(body, encoding):
    assert detect_encoding(body) == encoding


def test_the_yilan_cp950_list_is_read_as_big5_not_gb18030():
    raw = real_fixture("taiwan_data_gov_tw", "city_catalogs", "yilan_2018-03-20_OpenData.csv").read_bytes()
    assert detect_encoding(raw) == "cp950"
    assert raw.decode("cp950").startswith("資料集名稱")
