"""A round over eight real provincial catalogues (two of them the same catalogue under two names, so they tie):
ranks with 并列, tiers, pinyin order, most improved after one portal's catalogue changed, 优良率 and common-problem
shares recounted here from the stored score results and findings, and a round that does not move afterwards."""

from __future__ import annotations

import hashlib
import json

import orjson
import pytest
from typer.testing import CliRunner

from checks.results import Results
from harvester.store import Store
from odq.round_cli import round_app
from reports.rounds.build import create_round
from reports.rounds.render import render_html
from reports.rounds.results import results_for
from tests.reports.rounds.portals import SAMPLE_OPTIONS, fixture_bytes, harvest_file_portal, shipped_options

SYSTEM = "cstc2019-website"
# The published bands (indicators.md §3), lower bound inclusive.
BANDS = [(0.9, "卓越"), (0.8, "优秀"), (0.7, "良好"), (0.6, "中等"), (0.0, "待改进")]

PORTALS = {  # id: (name, fixture, options, group)
    "guangxi": ("广西公共数据开放平台", "guangxi.jsonl", "guangxi", "自治区"),
    "bagui": ("八桂数据开放（镜像）", "guangxi.jsonl", "guangxi", "自治区"),
    "beijing": ("北京市公共数据开放平台", "beijing.raw_concatenated_objects.txt", "beijing", "直辖市"),
    "tianjin": ("天津市信息资源统一开放平台", "tianjin.raw_concatenated_objects.txt", "tianjin", "直辖市"),
    "shanghai": ("上海市公共数据开放平台", "shanghai.jsonl", None, "直辖市"),
    "zhejiang": ("浙江数据开放", "zhejiang.jsonl", None, None),
    "anhui": ("安徽省公共数据开放平台", "anhui.jsonl", None, None),
    "jiangxi": ("江西省公共数据开放平台", "jiangxi.jsonl", None, None),
}


def _harvest(store: Store, portal_id: str, body: bytes | None = None) -> None:
    name, fixture, options, group = PORTALS[portal_id]
    extra = {"group": group} if group else {}
    harvest_file_portal(store, portal_id, name, body or fixture_bytes(fixture),
                        shipped_options(options) if options else SAMPLE_OPTIONS, **extra)


def _zhejiang_with_frequencies() -> bytes:
    """The Zhejiang sample as the portal might publish it a round later: every dataset now declares 每月."""
    rows = [json.loads(line) for line in fixture_bytes("zhejiang.jsonl").decode("utf-8").splitlines() if line.strip()]
    for row in rows:
        row["info"]["time_pl"] = "每月"
    return "\n".join(json.dumps(r, ensure_ascii=False) for r in rows).encode("utf-8")


def _score(store: Store, portal_id: str) -> dict:
    harvest = store.current_harvest(portal_id)
    return next(s["result"] for s in Results(store).scores(harvest.id) if s["system_id"] == SYSTEM)


@pytest.fixture(scope="module")
def rounds(tmp_path_factory):
    store = Store(f"sqlite:///{tmp_path_factory.mktemp('rounds') / 'odq.sqlite'}")
    for portal_id in PORTALS:
        _harvest(store, portal_id)
    first_scores = {pid: _score(store, pid) for pid in PORTALS}
    first_harvests = {pid: store.current_harvest(pid).id for pid in PORTALS}
    create_round(store, "2021-H1", SYSTEM)
    first = results_for(store, "2021-H1")
    frozen = {"json": orjson.dumps(first.to_dict()), "zh": render_html(first, "zh"), "en": render_html(first, "en")}
    _harvest(store, "zhejiang", _zhejiang_with_frequencies())  # a new harvest, assessed and scored
    create_round(store, "2021-H2", SYSTEM)
    return {"store": store, "first": first, "frozen": frozen, "first_scores": first_scores,
            "first_harvests": first_harvests, "second": results_for(store, "2021-H2")}


def test_ranks_share_a_place_when_scores_are_equal_and_the_next_rank_skips(rounds):
    (level,) = rounds["first"].levels
    assert level.level == "province"
    ranking = [(r.portal_id, r.rank, r.tied) for r in level.ranking]
    # The two copies of the Guangxi catalogue score the same: 并列第1名, and the next portal is third.
    assert ranking[:3] == [("bagui", 1, True), ("guangxi", 1, True), ("beijing", 3, False)]
    composites = {pid: s["composite"] for pid, s in rounds["first_scores"].items()}
    for row in level.ranking:  # competition ranking, recounted: one more than the portals scoring strictly higher
        assert row.rank == 1 + sum(1 for c in composites.values() if round(c, 4) > round(composites[row.portal_id], 4))
        assert row.composite == composites[row.portal_id]
    assert [r.rank for r in level.ranking] == sorted(r.rank for r in level.ranking)


def test_tier_counts_and_pinyin_order_within_each_tier(rounds):
    (level,) = rounds["first"].levels
    expected: dict[str, list[str]] = {label: [] for _, label in BANDS}
    for pid, result in rounds["first_scores"].items():
        expected[next(label for bound, label in BANDS if result["composite"] >= bound)].append(pid)
    counts = {t.label: t.count for t in level.tiers}
    assert counts == {label: len(ids) for label, ids in expected.items()}
    assert sum(counts.values()) == 8
    shares = {t.label: t.share for t in level.tiers}
    assert shares == {label: round(len(ids) / 8, 4) for label, ids in expected.items()}
    # Every real catalogue here is below 0.6; within the tier, by the pinyin of the names (a, ba, bei, guang,
    # jiang, shang, tian, zhe), written out by hand.
    (bottom,) = [t for t in level.tiers if t.label == "待改进"]
    assert [p.portal_id for p in bottom.portals] == [
        "anhui", "bagui", "beijing", "guangxi", "jiangxi", "shanghai", "tianjin", "zhejiang"]


def test_most_improved_is_the_portal_whose_catalogue_changed(rounds):
    store, second = rounds["store"], rounds["second"]
    assert second.previous_round == "2021-H1" and rounds["first"].previous_round is None
    (level,) = second.levels
    (improved,) = level.improved  # nobody else changed
    before, after = rounds["first_scores"]["zhejiang"], _score(store, "zhejiang")
    assert improved.portal_id == "zhejiang"
    assert improved.previous_composite == before["composite"] and improved.composite == after["composite"]
    assert improved.change == round(after["composite"] - before["composite"], 4) > 0
    old = {pid: s["composite"] for pid, s in rounds["first_scores"].items()}
    new = {**old, "zhejiang": after["composite"]}
    rank_of = lambda scores, pid: 1 + sum(1 for c in scores.values() if round(c, 4) > round(scores[pid], 4))  # noqa: E731
    assert (improved.previous_rank, improved.rank) == (rank_of(old, "zhejiang"), rank_of(new, "zhejiang"))
    assert improved.rank_change == improved.previous_rank - improved.rank


def test_a_round_does_not_move_after_a_new_harvest(rounds):
    store = rounds["store"]
    assert store.current_harvest("zhejiang").id != rounds["first_harvests"]["zhejiang"]
    again = results_for(store, "2021-H1")
    assert orjson.dumps(again.to_dict()) == rounds["frozen"]["json"]
    assert render_html(again, "zh") == rounds["frozen"]["zh"] and render_html(again, "en") == rounds["frozen"]["en"]
    (level,) = again.levels
    pinned = next(r for r in level.ranking if r.portal_id == "zhejiang")
    assert pinned.harvest_id == rounds["first_harvests"]["zhejiang"]
    assert pinned.composite == rounds["first_scores"]["zhejiang"]["composite"]


def test_excellence_rate_per_group_and_indicator_recounted(rounds):
    scores = rounds["first_scores"]
    groups = {pid: (PORTALS[pid][3] or "province") for pid in PORTALS}  # no group in the profile: its level
    found = {g.group: g for g in rounds["first"].excellence}
    assert set(found) == set(groups.values())
    for group, result in found.items():
        members = [pid for pid, g in groups.items() if g == group]
        assert result.portals == len(members)
        good = [pid for pid in members if scores[pid]["composite"] >= 0.7]  # 良好 and above
        assert result.good == len(good) and result.rate == round(len(good) / len(members), 4)
        for rate in result.indicators:
            rated = [next(i for i in scores[pid]["indicators"] if i["id"] == rate.id) for pid in members]
            rated = [i for i in rated if i["score"] is not None]
            assert rate.rated == len(rated)
            assert rate.rate == round(sum(1 for i in rated if i["score"] >= 0.7) / len(rated), 4)
    # The catalogue indicator is where these portals do well: every one of the 自治区 group scores at least 良好.
    assert next(r for r in found["自治区"].indicators if r.id == "open-catalogue").rate == 1.0


def test_common_problem_shares_recounted_from_scores_and_findings(rounds):
    store, scores, problems = rounds["store"], rounds["first_scores"], rounds["first"].problems
    points = {p.id: p for p in problems if p.kind == "point"}
    for key, problem in points.items():
        indicator_id, point_id = key.split("/")
        values = [p["score"] for pid in PORTALS for i in scores[pid]["indicators"] if i["id"] == indicator_id
                  for p in i["assessment_points"] if p["id"] == point_id and p["score"] is not None]
        failing = [v for v in values if v < 0.6]  # below the lowest tier above 待改进
        assert (problem.failing, problem.of, problem.share) == (len(failing), len(values),
                                                                round(len(failing) / len(values), 4))
        assert [e.value for e in problem.examples] == sorted(failing)[:3]
    findings = {p.id: p for p in problems if p.kind == "finding"}
    harvests = rounds["first_harvests"]
    for measure_id, problem in findings.items():
        having = [pid for pid in PORTALS if any(f["measure_id"] == measure_id for f in Results(store).findings(harvests[pid]))]
        assert problem.failing == len(having) and problem.of == 8 and problem.share == round(len(having) / 8, 4)
        assert {e.portal_id for e in problem.examples} <= set(having)
    # No real catalogue here documents its fields: 3.4.2 point 1 fails everywhere, with three named examples.
    assert points["data-quality/1"].share == 1.0 and len(points["data-quality/1"].examples) == 3


def test_methodology_pins_the_system_defaults_and_sample_sizes(rounds):
    method = rounds["first"].methodology
    assert method.system_id == SYSTEM
    weights = {w["name"]: w["weights"]["province"] for w in method.weights}
    assert weights == {"开放目录": 2, "数据质量": 3, "开发利用": 3}  # indicators.md §2, province column
    assert [t["min"] for t in method.tiers] == [0.9, 0.8, 0.7, 0.6, 0.0]
    keys = {d["key"] for d in method.odq_defaults}
    assert "data-quality.4.domains_covered.min_datasets" in keys
    samples = {s["portal_id"]: s for s in method.samples}
    store = rounds["store"]
    for pid in PORTALS:
        assert samples[pid]["datasets"] == store.harvest(rounds["first_harvests"][pid]).datasets


def test_english_page_has_no_chinese_outside_portal_text(rounds):
    import re

    html = render_html(rounds["first"], "en")
    text = re.sub(r'<span class="raw">.*?</span>', "", html, flags=re.S)
    text = re.sub(r"<style>.*?</style>", "", text, flags=re.S)
    chinese = re.findall(r"[\u4e00-\u9fff]+", text)
    assert chinese == [], chinese[:10]


def test_the_cli_creates_lists_shows_reports_and_exports(rounds, tmp_path):
    import openpyxl

    db = rounds["store"].url
    runner = CliRunner()
    made = runner.invoke(round_app, ["create", "only-two", "--system", SYSTEM, "--portals", "beijing,nowhere",
                                     "--db", db])
    assert made.exit_code == 2 and "unknown portal 'nowhere'" in made.output
    made = runner.invoke(round_app, ["create", "2021-H1", "--system", SYSTEM, "--db", db])
    assert made.exit_code == 2 and "exists already" in made.output
    listed = runner.invoke(round_app, ["list", "--json", "--db", db])
    assert [r["name"] for r in json.loads(listed.stdout)][:2] == ["2021-H1", "2021-H2"]
    shown = runner.invoke(round_app, ["show", "2021-H1", "--db", db])
    assert shown.exit_code == 0 and "并列第1名" in shown.stdout
    missing = runner.invoke(round_app, ["show", "2030", "--db", db])
    assert missing.exit_code == 2 and "no round named '2030'" in missing.output
    written = runner.invoke(round_app, ["report", "2021-H1", "--out", str(tmp_path / "site"), "--db", db])
    assert written.exit_code == 0, written.output
    assert {p.name for p in (tmp_path / "site").iterdir()} == {"index.html", "index.en.html", "round.json"}
    published = json.loads((tmp_path / "site" / "round.json").read_text(encoding="utf-8"))
    assert [(r["portal_id"], r["rank"], r["tied"]) for r in published["levels"][0]["ranking"][:3]] == [
        ("bagui", 1, True), ("guangxi", 1, True), ("beijing", 3, False)]
    exported = runner.invoke(round_app, ["export", "2021-H1", "--out", str(tmp_path / "round.xlsx"), "--db", db])
    assert exported.exit_code == 0, exported.output
    book = openpyxl.load_workbook(tmp_path / "round.xlsx")
    sheet = book["ranking"]
    header = [c.value for c in sheet[1]]
    assert sheet.freeze_panes == "F2" and sheet.auto_filter.ref.startswith("A1:")
    rows = [dict(zip(header, (c.value for c in row), strict=True)) for row in sheet.iter_rows(min_row=2)]
    assert [(r["portal_id"], r["名次"], r["并列"]) for r in rows[:3]] == [
        ("bagui", 1, "并列第1名"), ("guangxi", 1, "并列第1名"), ("beijing", 3, "第3名")]
    assert isinstance(rows[0]["综合指数"], float)
    assert sheet.cell(row=2, column=header.index("综合指数") + 1).number_format == "0.0000"
    about = {row[0].value: row[1].value for row in book["metadata"].iter_rows()}
    assert about["round"] == "2021-H1" and about["system"] == SYSTEM and about["level"] == "province"
    harvested = sorted(rounds["store"].harvest(h).started_at.isoformat(timespec="seconds")
                       for h in rounds["first_harvests"].values())
    assert (about["harvests from (UTC)"], about["harvests to (UTC)"]) == (harvested[0], harvested[-1])
    assert about["odq version"]


def test_facts_are_pinned_with_the_round(rounds, tmp_path):
    store = rounds["store"]
    facts = tmp_path / "facts.yaml"
    facts.write_text(
        "facts:\n"
        "  - {portal: beijing, measure: data_request_available, value: true,\n"
        "     evidence: 'https://data.beijing.gov.cn/', who: 张三, when: '2021-06-30'}\n", encoding="utf-8")
    digest = hashlib.sha256(facts.read_bytes()).hexdigest()
    create_round(store, "facts-round", "cstc2019-digital-government", portals=["beijing", "tianjin"],
                 facts_path=facts)
    facts.write_text("facts: []\n", encoding="utf-8")  # the file changes; the round keeps what it read
    results = results_for(store, "facts-round")
    assert results.methodology.facts["sha256"] == digest and results.methodology.facts["file"] == "facts.yaml"
    from reports.rounds.store import RoundStore

    pinned = {p.portal_id: p for p in RoundStore(store).get("facts-round").portals}
    assert "张三" in RoundStore(store).get("facts-round").facts["text"]
    (fact,) = pinned["beijing"].facts
    assert fact["value"] == 1.0 and fact["evidence"] == "https://data.beijing.gov.cn/"
    used = [c for i in pinned["beijing"].score["indicators"] for p in i["assessment_points"]
            for c in p["components"] if c["measure"] == "data_request_available"]
    assert used and all(c["source"] == "evaluator" and c["score"] == 1.0 for c in used)
    assert pinned["tianjin"].facts == []


def test_portals_without_a_usable_harvest_are_listed_as_not_evaluated(tmp_path):
    from harvester.run import run_harvest
    from odq.pipeline import make_http
    from odq.replay import ReplayCatalogue, ReplayServer
    from tests.conftest import replay_profile

    store = Store(f"sqlite:///{tmp_path / 'odq.sqlite'}")
    _harvest(store, "zhejiang")
    pages = {"catalogue/file": (fixture_bytes("shanghai.jsonl"), "application/octet-stream")}
    with ReplayServer(ReplayCatalogue(packages=[], files=pages)) as server:
        for portal_id, path in (("shanghai", "catalogue/file"), ("anhui", "nothing-here.jsonl")):
            profile = replay_profile(server.base, portal_id, "file", level="province",
                                     options={**SAMPLE_OPTIONS, "source": f"{server.base}/{path}"})
            run_harvest(profile, store, make_http(profile))  # harvested, never assessed / a 404: failed
    assert store.current_harvest("anhui") is None and store.harvests("anhui")
    made = create_round(store, "partial", SYSTEM, portals=["zhejiang", "shanghai", "anhui", "guizhou"])
    reasons = {p.portal_id: (p.status, p.reason) for p in made.portals}
    assert reasons == {"zhejiang": ("evaluated", None), "shanghai": ("not-evaluated", "not-assessed"),
                       "anhui": ("not-evaluated", "no-complete-harvest"),
                       "guizhou": ("not-evaluated", "never-harvested")}  # a shipped profile, never harvested
    (level,) = results_for(store, "partial").levels
    assert [r.portal_id for r in level.ranking] == ["zhejiang"]
    assert {n.portal_id: n.reason for n in level.not_evaluated} == {
        "shanghai": "not-assessed", "anhui": "no-complete-harvest", "guizhou": "never-harvested"}
    html = render_html(results_for(store, "partial"), "zh")
    assert "没有完整的采集" in html and "当前采集尚未评估" in html


def test_a_facts_file_that_does_not_fit_the_round_is_a_one_line_error(rounds, tmp_path):
    db = rounds["store"].url
    runner = CliRunner()
    stray = tmp_path / "stray.yaml"
    stray.write_text("facts:\n  - {portal: guizhou, measure: data_request_available, value: true,\n"
                     "     evidence: 'https://example.org/', who: 李四, when: '2021-06-30'}\n", encoding="utf-8")
    made = runner.invoke(round_app, ["create", "stray", "--system", SYSTEM, "--portals", "beijing", "--facts",
                                     str(stray), "--db", db])
    assert made.exit_code == 2 and "facts for portals outside the round: guizhou" in made.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("facts:\n  - {portal: beijing, measure: no_such_measure, value: 1,\n"
                   "     evidence: 'https://example.org/', who: 李四, when: '2021-13-40'}\n", encoding="utf-8")
    made = runner.invoke(round_app, ["create", "bad", "--system", SYSTEM, "--facts", str(bad), "--db", db])
    assert made.exit_code == 2 and "bad.yaml" in made.output and "Traceback" not in made.output
    listed = json.loads(runner.invoke(round_app, ["list", "--json", "--db", db]).stdout)
    assert "stray" not in {r["name"] for r in listed} and "bad" not in {r["name"] for r in listed}
