"""Zipped CSV, ODS, encodings of Western European and East Asian files, and caps that are said, not hidden.

Every file is built in the test from bytes written here or from real catalogue text in the fixtures; the
expected values are counted by hand from those bytes."""

from __future__ import annotations

import csv
import gzip
import io
import json
import zipfile

import pytest
import rdflib

from checks.files import validate_file
from harvester.encoding import detect_encoding, sniff_kind
from harvester.http import Http, Politeness
from odq.replay import ReplayCatalogue, ReplayServer
from tests.checks.test_files import _xlsx
from tests.conftest import real_fixture

GOOD = "名称,数量,日期\n甲,1,2024-01-01\n乙,2,2024-01-02\n丙,3,2024-01-03\n"


def _zip(members: list[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return buffer.getvalue()


def _ods(rows: list[list[object]]) -> bytes:
    """A minimal OpenDocument spreadsheet written by hand: mimetype first and stored, a manifest, content.xml."""
    def cell(value: object) -> str:
        if isinstance(value, int):
            return f'<table:table-cell office:value-type="float" office:value="{value}"><text:p>{value}</text:p>' \
                   "</table:table-cell>"
        return f'<table:table-cell office:value-type="string"><text:p>{value}</text:p></table:table-cell>'
    body = "".join("<table:table-row>" + "".join(cell(v) for v in row) + "</table:table-row>" for row in rows)
    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body>'
        f'<office:spreadsheet><table:table table:name="Sheet1">{body}</table:table></office:spreadsheet>'
        "</office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
        'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/" '
        'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet",
                         compress_type=zipfile.ZIP_STORED)
        archive.writestr("META-INF/manifest.xml", manifest, compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def _zurich_titles() -> list[tuple[str, str]]:
    """Real dataset titles and publishers of the Zurich catalogue (German, with ä ö ü and é)."""
    graph = rdflib.Graph()
    graph.parse(real_fixture("dcat_ap_ch_data.stadt-zuerich.ch", "dcatap-ch_catalog.ttl"))
    dct, dcat = rdflib.Namespace("http://purl.org/dc/terms/"), rdflib.Namespace("http://www.w3.org/ns/dcat#")
    rows = sorted((str(graph.value(d, dct.title)), str(graph.value(d, dct.publisher) or ""))
                  for d in graph.subjects(rdflib.RDF.type, dcat.Dataset))
    return [r for r in rows if all(ord(c) < 256 for c in "".join(r))]


def _paris_titles() -> list[tuple[str, str]]:
    """Real dataset titles of the Paris urban-planning agency (French: é è à ç ô), from its data.json."""
    document = json.loads(real_fixture("dcat_rdf_french_portals_udata_fixtures", "apur_arcgis_opendata_data.json")
                          .read_text(encoding="utf-8"))
    rows = [(d["title"], " ".join((d.get("description") or "").split())[:120]) for d in document["dataset"]]
    return [r for r in rows if any(ord(c) > 127 for c in "".join(r)) and _fits("".join(r), "cp1252")]


def _fits(text: str, encoding: str) -> bool:
    try:
        text.encode(encoding)
    except UnicodeEncodeError:
        return False
    return True


def _csv(header: list[str], rows: list[tuple[str, ...]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([header, *rows])
    return out.getvalue()


@pytest.fixture(scope="module")
def served():
    two_tables = _zip([("readme.txt", b"two tables"), ("a.csv", GOOD.encode()), ("b.csv", b"x\n1\n")])
    bomb = _zip([("huge.csv", b"a,b\n" + b"1,2\n" * 400_000)])  # 1.6 MB that packs to a few kB
    files = {
        "zipped.csv": (_zip([("data/table.csv", GOOD.encode())]), "application/zip"),
        "two.zip": (two_tables, "application/zip"),
        "bomb.zip": (bomb, "application/zip"),
        "many.zip": (_zip([(f"part{i}.csv", b"a\n1\n") for i in range(30)]), "application/zip"),
        "no-table.zip": (_zip([("map.shp", b"\0" * 100), ("map.dbf", b"\0" * 10)]), "application/zip"),
        "truncated.zip": (_zip([("t.csv", GOOD.encode() * 50)])[:120], "application/zip"),
        "table.ods": (_ods([["名称", "数量"], ["甲", 1], ["乙", 2], ["丙", 3]]), "application/octet-stream"),
        "zipped-ods.zip": (_zip([("t.ods", _ods([["a", "b"], ["x", 1]]))]), "application/zip"),
        "table.xlsx": (_xlsx([["名称", "数量"], ["甲", 1], ["乙", 2]]), "application/octet-stream"),
        "truncated.xlsx": (_xlsx([["a"], [1]])[:600], "application/octet-stream"),
        "latin1.csv": ("ville;pays\nGenève;Suisse\nZürich;Suisse\n".encode("latin-1"), "text/csv"),
        "rows.csv": (b"a,b\n" + b"1,2\n" * 120, "text/csv"),
        "ragged.csv": (b"a,b\n" + b"1,2,3\n" * 60, "text/csv"),
        "big.csv": (b"a,b\n" + b"1,2\n" * 5_000, "text/csv"),
        "table.csv.gz": (gzip.compress(GOOD.encode("gb18030")), "application/gzip"),
        "bomb.csv.gz": (gzip.compress(b"a,b\n" + b"1,2\n" * 400_000), "application/gzip"),
        "not-a-table.csv": (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "text/csv"),
    }
    with ReplayServer(ReplayCatalogue(packages=[], files=files)) as server:
        yield server, Http(allow_hosts=["127.0.0.1"], politeness=Politeness(1000, 4))


def _get(served, path: str, file_format: str = "CSV", **caps):
    server, http = served
    return validate_file(http, f"{server.base}/{path}", file_format, **caps)


def test_a_zipped_csv_is_validated_as_the_csv_inside(served):
    report = _get(served, "zipped.csv")
    assert report["served_format"] == "ZIP"
    assert report["compression"] == "zip" and report["innerpath"] == "data/table.csv"
    assert report["status"] == "validated" and report["valid"] is True, report
    assert report["rows"] == 3 and report["header"] == ["名称", "数量", "日期"]
    assert report["encoding"] == "utf-8"


def test_a_zip_with_several_tables_validates_the_first_and_says_so(served):
    report = _get(served, "two.zip", "ZIP")
    assert report["innerpath"] == "a.csv" and report["archive_tables"] == ["a.csv", "b.csv"]
    assert report["rows"] == 3 and report["valid"] is True
    assert "the ZIP holds 2 tables; the first, a.csv, was validated" in report["notes"]


def test_a_zip_bomb_is_not_inflated_and_is_not_assessed(served):
    report = _get(served, "bomb.zip", "ZIP", unzipped_cap=1_000_000)
    assert report["status"] == "not-validated" and report["valid"] is None
    assert report["not_validated"] == ("not validated: huge.csv expands to 1,600,004 bytes, over the cap of "
                                       "1,000,000 bytes")


def test_a_zip_with_too_many_members_is_not_opened(served):
    report = _get(served, "many.zip", "ZIP", member_cap=20)
    assert report["valid"] is None
    assert report["not_validated"] == "not opened: the ZIP holds 30 entries, over the cap of 20"


def test_a_zip_without_a_table_and_a_truncated_zip_are_unreadable(served):
    report = _get(served, "no-table.zip", "ZIP")
    assert report["status"] == "unreadable" and report["valid"] is False
    assert report["unreadable"] == "the ZIP holds no table (CSV, TSV, XLSX, XLS or ODS): map.shp, map.dbf"
    truncated = _get(served, "truncated.zip", "CSV")
    assert truncated["status"] == "unreadable" and truncated["unreadable"].startswith("not a readable ZIP archive")
    for r in (report, truncated):  # no rows read: nothing to count errors over
        assert r["rows"] is None and r["errors"] is None and r["rows_read"] is None


def test_ods_validates(served):
    report = _get(served, "table.ods", "ODS")
    assert report["status"] == "validated" and report["valid"] is True, report
    assert report["header"] == ["名称", "数量"] and report["rows"] == 3


def test_an_ods_labelled_xlsx_is_read_as_ods_and_one_inside_a_zip_too(served):
    report = _get(served, "table.ods", "XLSX")
    assert report["served_format"] == "ODS" and report["valid"] is True and report["rows"] == 3
    inner = _get(served, "zipped-ods.zip", "ZIP")
    assert inner["innerpath"] == "t.ods" and inner["valid"] is True and inner["rows"] == 1


def test_an_xlsx_is_still_an_xlsx_even_when_truncated(served):
    report = _get(served, "table.xlsx", "XLS")
    assert report["served_format"] == "XLSX" and report["valid"] is True and report["rows"] == 2
    truncated = _get(served, "truncated.xlsx", "XLSX")
    assert "served_format" not in truncated  # the first part name still says OOXML
    assert truncated["status"] == "unreadable" and truncated["valid"] is False
    assert truncated["errors"] is None


def test_signatures():
    assert sniff_kind(_zip([("a.csv", b"a\n")])) == "ZIP"
    assert sniff_kind(_xlsx([["a"]])) == "XLSX"
    assert sniff_kind(_ods([["a"]])) == "ODS"
    assert sniff_kind(b"a,b\n1,2\n") is None


def test_latin1_csv_decodes_genève(served):
    report = _get(served, "latin1.csv")
    assert report["encoding"] in ("cp1252", "iso8859-1", "latin-1", "iso8859-15")
    assert report["header"] == ["ville", "pays"] and report["valid"] is True


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        ("ville,pays\nGenève,Suisse\n", "latin-1"),
        ("ville;population\nGenève;203856\nZürich;421878\nNeuchâtel;44531\n", "cp1252"),
        ("Straße,Größe\nKöln,1\n", "latin-1"),
        ("nom,adresse\nCrèche Saint-Éloi,12 rue de la Bièvre\n", "cp1252"),
        ("město,počet\nPlzeň,1\nČeské Budějovice,2\nŘíčany,3\nÚstí nad Labem,4\n", "cp1250"),
        ("広西壮族自治区开放数据,名称,数量\n".replace("広", "广"), "gb18030"),
        ("東京都オープンデータ,件数\n千代田区,1\n", "shift_jis"),
    ],
)
def test_short_files_decode_to_the_text_written(text, encoding):
    body = text.encode(encoding)
    assert body.decode(detect_encoding(body)) == text


@pytest.mark.parametrize("encoding", ["latin-1", "cp1252"])
def test_real_zurich_titles_in_latin1_decode_right(encoding):
    rows = _zurich_titles()
    assert len(rows) > 50
    for size in (2, 5, len(rows)):
        text = _csv(["Titel", "Herausgeber"], rows[:size])
        body = text.encode(encoding)
        assert body.decode(detect_encoding(body)) == text, size


def test_real_paris_titles_in_cp1252_decode_right():
    rows = _paris_titles()
    assert len(rows) > 20
    for size in (2, 5, len(rows)):
        text = _csv(["titre", "description"], rows[:size])
        body = text.encode("cp1252")
        assert body.decode(detect_encoding(body)) == text, size


def test_real_tokyo_shift_jis_and_guangxi_gb18030_decode_right():
    path = real_fixture("ckan_catalog.data.metro.tokyo.lg.jp", "2021_12_404_package_info.csv")
    tokyo = [(r[1], r[2]) for r in csv.reader(path.open(encoding="utf-8"))][:40]
    guangxi = []
    for line in real_fixture("china_provincial_portals_scraped_2021", "guangxi.jsonl").open(encoding="utf-8"):
        record = json.loads(line)
        guangxi.append((record["name"], record["info"].get("来源部门", "")))
        if len(guangxi) == 40:
            break
    for rows, header, encodings in ((tokyo, ["組織", "部署"], ["shift_jis", "cp932"]),
                                    (guangxi, ["名称", "来源部门"], ["gb18030", "gbk"])):
        for size in (2, 40):
            text = _csv(header, rows[:size])
            for encoding in encodings:
                body = text.encode(encoding)
                assert body.decode(detect_encoding(body)) == text, (encoding, size)


def test_byte_cap_is_stated_and_not_assessed(served):
    report = _get(served, "big.csv", byte_cap=10_000)
    assert report["status"] == "not-validated" and report["valid"] is None
    assert report["not_validated"] == "not validated: over the cap of 10,000 bytes"


def test_row_cap_is_said(served):
    capped = _get(served, "rows.csv", row_cap=100)
    assert capped["rows"] == 100 and capped["rows_capped"] is True and capped["errors_capped"] is False
    assert "first 100 rows validated" in capped["notes"]
    whole = _get(served, "rows.csv", row_cap=1_000)
    assert whole["rows"] == 120 and whole["rows_capped"] is False and whole["notes"] == []


def test_error_cap_is_said(served):
    capped = _get(served, "ragged.csv", error_cap=50)
    assert capped["errors"] == 50 and capped["errors_capped"] is True and capped["rows_read"] == 50
    assert capped["error_types"] == {"extra-cell": 50}
    assert "errors counted up to 50; validation stopped at row 50" in capped["notes"]
    whole = _get(served, "ragged.csv")
    assert whole["errors"] == 60 and whole["errors_capped"] is False and whole["rows"] == 60


def test_binary_served_as_csv_is_unreadable_without_rows(served):
    report = _get(served, "not-a-table.csv")
    assert report["status"] == "unreadable" and report["valid"] is False
    assert report["errors"] is None and report["rows"] is None
    assert report["unreadable"]


def test_a_gzipped_csv_is_validated_and_a_gzip_bomb_is_not(served):
    report = _get(served, "table.csv.gz")
    assert report["served_format"] == "GZIP" and report["compression"] == "gz"
    assert report["encoding"] == "gb18030" and report["header"] == ["名称", "数量", "日期"]
    assert report["rows"] == 3 and report["valid"] is True
    bomb = _get(served, "bomb.csv.gz", unzipped_cap=1_000_000)
    assert bomb["valid"] is None
    assert bomb["not_validated"] == "not validated: the gzip stream expands past the cap of 1,000,000 bytes"


def test_an_ods_written_by_ezodf_validates(tmp_path):
    import ezodf  # the ODS reader frictionless uses: a dependency, so no skip when it is missing
    path = tmp_path / "library.ods"
    document = ezodf.newdoc(doctype="ods", filename=str(path))
    sheet = ezodf.Sheet("Sheet1", size=(4, 2))
    document.sheets += sheet
    for r, row in enumerate([["district", "count"], ["Kreis 1", 5], ["Kreis 2", 7], ["Kreis 3", 11]]):
        for c, value in enumerate(row):
            sheet[r, c].set_value(value)
    document.save()
    files = {"library.ods": (path.read_bytes(), "application/vnd.oasis.opendocument.spreadsheet")}
    with ReplayServer(ReplayCatalogue(packages=[], files=files)) as server:
        http = Http(allow_hosts=["127.0.0.1"], politeness=Politeness(1000, 4))
        report = validate_file(http, f"{server.base}/library.ods", "ODS")
    assert report["header"] == ["district", "count"] and report["rows"] == 3 and report["valid"] is True


def test_an_html_error_page_is_unreadable_with_the_reason(served):
    server, http = served
    files = {"error.csv": (b"<!DOCTYPE html><html><body>500 Internal Server Error</body></html>", "text/html")}
    with ReplayServer(ReplayCatalogue(packages=[], files=files)) as page_server:
        report = validate_file(http, f"{page_server.base}/error.csv", "CSV")
    assert report["status"] == "unreadable" and report["valid"] is False
    assert report["unreadable"] == "declared CSV but the link serves an HTML page"
    assert report["rows"] is None and report["errors"] is None


def test_the_file_measures_count_unreadable_as_invalid_over_cap_as_unknown_and_errors_over_rows_read(served):
    """The contract with the format measures: 4 files — 1 valid (3 rows), 1 with 60 extra cells in 60 rows,
    1 HTML page, 1 over the byte cap. Valid share 1 of 3 assessed; errors 60 over 63 rows read."""
    from checks.catalogue import Catalogue
    from checks.formats import _files
    from checks.measures import FamilyResult

    reports = [_get(served, "zipped.csv"), _get(served, "ragged.csv"), _get(served, "not-a-table.csv"),
               _get(served, "big.csv", byte_cap=10_000)]
    for index, report in enumerate(reports):
        report.update(native_id=f"d{index}", title=f"file {index}")
    catalogue = Catalogue(harvest_id=1, portal={}, harvested_at=None, info={}, datasets=None, distributions=None,
                          files=reports)
    result = FamilyResult("formats")
    _files(catalogue, result)
    _spec, share, detail = result.values["valid_file_share"]
    assert share == pytest.approx(1 / 3) and detail["sampled"] == 4 and detail["validated"] == 3
    _spec, rate, detail = result.values["errors_per_1000_rows"]
    assert detail["rows"] == 63 and detail["errors"] == 60
    assert rate == pytest.approx(60 / 63 * 1000)
    over_cap = [f for f in result.findings if f["native_id"] == "d3"]
    assert over_cap and "not validated: over the cap of 10,000 bytes" in over_cap[0]["message"]
