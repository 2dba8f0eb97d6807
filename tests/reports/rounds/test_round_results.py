"""The round's publication rules on score results written by hand: 并列 ranks that skip, tier counts and shares,
pinyin order (重庆 is chong), most improved, 优良率 per group and indicator; hostile portal names stay text."""

from __future__ import annotations

import zipfile
from datetime import datetime

import openpyxl
import pytest

from checks.scoring import load_system
from reports.rounds.render import render_html, write_xlsx
from reports.rounds.results import round_results
from reports.rounds.store import PortalEntry, Round

EVIL = '<script>window.__pwned="name"</script>'
FORMULA = '=HYPERLINK("http://evil.example","x")'


def result(composite: float | None, catalogue: float | None = None, quality: float | None = None,
           applicable: bool = True) -> dict:
    """A score result with two indicators (开放目录, 数据质量), one point each; composite given directly."""
    tiers = [(0.9, "卓越"), (0.8, "优秀"), (0.7, "良好"), (0.6, "中等"), (0.0, "待改进")]
    tier = next((label for bound, label in tiers if composite is not None and composite >= bound), None)
    indicators = [
        {"id": iid, "name": name, "name_en": name_en, "applicable": applicable, "score": value,
         "points": None if value is None else value * 2, "maximum": 2,
         "assessment_points": [{"id": "1", "name": f"{name}要点", "name_en": f"{name_en} point", "score": value,
                                "points": None if value is None else value * 2, "maximum": 2,
                                "needs_check": value is None}]}
        for iid, name, name_en, value in (("open-catalogue", "开放目录", "open catalogue", catalogue),
                                          ("data-quality", "数据质量", "data quality", quality))]
    return {"system": "cstc2019-website", "level": "province", "applicable": applicable, "composite": composite,
            "tier": tier, "tier_en": None, "total": None if composite is None else composite * 4, "maximum": 4,
            "indicators": indicators, "odq_defaults": []}


def entry(pid: str, name: str, score: dict | None, group: str, level: str = "province") -> PortalEntry:
    evaluated = bool(score and score["applicable"] and score["composite"] is not None)
    reason = None if evaluated else ("not-applicable" if score and not score["applicable"] else "no-composite")
    return PortalEntry(portal_id=pid, name=name, level=level, group=group, region=None,
                       status="evaluated" if evaluated else "not-evaluated", reason=reason, harvest_id=1,
                       harvested_at="2021-06-01T00:00:00", datasets=10, score=score)


def make_round(name: str, entries: list[PortalEntry], round_id: int = 2) -> Round:
    return Round(id=round_id, name=name, system_id="cstc2019-website", created_at=datetime(2021, 7, 1),
                 previous_round_id=None, levels=[], system=load_system("cstc2019-website"), facts=None,
                 info={"odq_version": "test", "caps": {}}, portals=entries)


@pytest.fixture
def current() -> Round:
    return make_round("2021", [
        entry("bj", "北京市", result(0.92, 0.9, 0.95), "直辖市"),
        entry("sh", "上海市", result(0.85, 0.7, 0.9), "直辖市"),
        entry("gd", "广东省", result(0.85, 0.8, 0.6), "省"),
        entry("tj", "天津市", result(0.80, 0.5, 0.9), "直辖市"),
        entry("cq", "重庆市", result(0.70, None, 0.69), "直辖市"),
        entry("zj", "浙江省", result(0.6999, 0.75, 0.5), "省"),
        entry("ah", "安徽省", result(0.59, 0.1, 0.2), "省"),
        entry("hn", "湖南省", result(None), "省"),
        entry("evil", EVIL, result(0.3, 0.3, 0.3), FORMULA, level="city"),
        entry("xian", "某县", result(None, applicable=False), "区县", level="county"),
    ])


@pytest.fixture
def previous() -> Round:
    return make_round("2020", [
        entry("bj", "北京市", result(0.93, 0.9, 0.95), "直辖市"),
        entry("sh", "上海市", result(0.80, 0.7, 0.9), "直辖市"),
        entry("gd", "广东省", result(0.85, 0.8, 0.6), "省"),
        entry("tj", "天津市", result(0.80, 0.5, 0.9), "直辖市"),
        entry("cq", "重庆市", result(0.70, None, 0.69), "直辖市"),
        entry("zj", "浙江省", result(0.6999, 0.75, 0.5), "省"),
        entry("ah", "安徽省", result(0.50, 0.1, 0.2), "省"),
    ], round_id=1)


def test_ranking_with_tied_places_that_skip(current):
    province = round_results(current).levels[0]
    assert province.level == "province"
    assert [(r.name, r.rank, r.tied) for r in province.ranking] == [
        ("北京市", 1, False), ("广东省", 2, True), ("上海市", 2, True),  # 上海市/广东省并列第2名, 广东 (g) first
        ("天津市", 4, False), ("重庆市", 5, False), ("浙江省", 6, False), ("安徽省", 7, False)]
    assert [(n.portal_id, n.reason) for n in province.not_evaluated] == [("hn", "no-composite")]


def test_tier_counts_shares_and_pinyin_order(current):
    province = round_results(current).levels[0]
    tiers = {t.label: t for t in province.tiers}
    assert {k: t.count for k, t in tiers.items()} == {"卓越": 1, "优秀": 3, "良好": 1, "中等": 1, "待改进": 1}
    assert tiers["优秀"].share == 0.4286 and tiers["卓越"].share == 0.1429
    assert [p.name for p in tiers["优秀"].portals] == ["广东省", "上海市", "天津市"]  # g < s < t
    assert [p.name for p in tiers["良好"].portals] == ["重庆市"]  # 0.70 is 良好: lower bounds are inclusive


def test_pinyin_reads_names_in_context():
    from reports.rounds.pinyin import pinyin_key

    names = ["天津市", "重庆市", "长沙市", "北京市", "上海市", "厦门市", "安徽省"]
    assert sorted(names, key=pinyin_key) == ["安徽省", "北京市", "长沙市", "重庆市", "上海市", "天津市", "厦门市"]


def test_most_improved_against_the_previous_round(current, previous):
    province = round_results(current, previous).levels[0]
    assert [(i.name, i.change, i.previous_rank, i.rank, i.rank_change) for i in province.improved] == [
        ("安徽省", 0.09, 7, 7, 0), ("上海市", 0.05, 3, 2, 1)]
    assert round_results(current).levels[0].improved == []


def test_excellence_rate_per_group_and_indicator(current):
    groups = {g.group: g for g in round_results(current).excellence}
    municipal, provincial = groups["直辖市"], groups["省"]
    assert (municipal.portals, municipal.good, municipal.rate) == (4, 4, 1.0)
    assert (provincial.portals, provincial.good, provincial.rate) == (3, 1, 0.3333)  # 湖南 has no composite
    rates = {r.id: (r.rated, r.good, r.rate) for r in municipal.indicators}
    assert rates == {"open-catalogue": (3, 2, 0.6667), "data-quality": (4, 3, 0.75)}  # 重庆's catalogue: unchecked
    assert [p["name"] for p in municipal.good_portals] == ["北京市", "上海市", "天津市", "重庆市"]


def test_counties_are_not_evaluated_with_the_reason(current):
    levels = {lv.level: lv for lv in round_results(current).levels}
    assert list(levels) == ["province", "city", "county"]
    assert levels["county"].ranking == []
    assert [(n.portal_id, n.reason) for n in levels["county"].not_evaluated] == [("xian", "not-applicable")]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_hostile_names_are_escaped_in_the_page(current, previous, lang):
    html = render_html(round_results(current, previous), lang)
    assert "<script>" not in html
    assert "&lt;script&gt;window.__pwned" in html
    assert ("并列第2名" if lang == "zh" else "2 (tied)") in html


def test_xlsx_keeps_formula_text_as_text(current, tmp_path):
    current.portals.append(entry("calc", "=1+1", result(0.3, 0.3, 0.3), "-2+3", level="city"))
    path = write_xlsx(round_results(current), tmp_path / "round.xlsx", lang="en")
    book = openpyxl.load_workbook(path)
    sheet = book["ranking"]
    header = [c.value for c in sheet[1]]
    rows = [{h: c for h, c in zip(header, row, strict=True)} for row in sheet.iter_rows(min_row=2)]
    evil = next(r for r in rows if r["portal_id"].value == "evil")
    assert evil["Portal"].value == EVIL and evil["Portal"].data_type == "s"
    assert evil["Group"].value == FORMULA and evil["Group"].data_type == "s"  # text, never a formula
    assert all(r["Composite index"].data_type == "n" for r in rows)
    assert set(book.sheetnames) >= {"ranking", "tiers", "excellence", "problems", "not-evaluated", "metadata"}
    calc = next(r for r in rows if r["portal_id"].value == "calc")
    # Read back: a string cell holding "=1+1" exactly (no apostrophe shown), kept text by Excel's quote prefix.
    assert calc["Portal"].value == "=1+1" and calc["Portal"].data_type == "s" and calc["Portal"].quotePrefix
    assert calc["Group"].value == "-2+3" and calc["Group"].data_type == "s"
    cells = [c for ws in book.worksheets for row in ws.iter_rows() for c in row]
    assert [c.value for c in cells if isinstance(c.value, str) and c.value.startswith("'")] == []
    with zipfile.ZipFile(path) as archive:
        sheets_xml = [archive.read(n).decode() for n in archive.namelist() if n.startswith("xl/worksheets/")]
    assert sheets_xml and all("<f>" not in xml for xml in sheets_xml)  # no formula anywhere in the workbook
    assert calc["Composite index"].number_format == "0.0000" and calc["Rank"].data_type == "n"
    assert sheet.freeze_panes == "F2"  # level, rank, rank label, portal id and name stay in view
    assert sheet["A1"].font.b and sheet["A1"].fill.fgColor.rgb.endswith("17324D") and sheet["A1"].alignment.wrap_text
    assert sheet.auto_filter.ref == f"A1:{sheet.cell(row=1, column=len(header)).column_letter}{len(rows) + 1}"
    tiers = book["tiers"]
    tier_header = [c.value for c in tiers[1]]
    share = tiers.cell(row=2, column=tier_header.index("Share") + 1)
    assert share.data_type == "n" and share.number_format == "0.0%"
    about = {row[0].value: row[1].value for row in book["metadata"].iter_rows() if row[0].value}
    assert about["round"] == "2021" and about["system"] == "cstc2019-website" and about["odq version"] == "test"
    assert about["harvests from (UTC)"] == about["harvests to (UTC)"] == "2021-06-01T00:00:00"
    assert about["created at (UTC)"] == "2021-07-01T00:00:00"
