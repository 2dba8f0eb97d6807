"""`odq demo` end to end: generated portal on loopback → harvest → assess → score → report, offline."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from checks.results import Results
from checks.scoring import load_system
from odq.cli import app


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("demo")
    result = CliRunner().invoke(app, ["demo", "--workdir", str(workdir), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    report_path = Path(summary["report"])
    return {
        "summary": summary,
        "html": report_path.read_text(encoding="utf-8"),
        "report": json.loads((report_path.parent / "report.json").read_text(encoding="utf-8")),
        "dir": report_path.parent,
    }


def test_demo_prints_the_report_path_and_harvests_the_whole_generated_catalogue(demo):
    summary = demo["summary"]
    assert summary["report"].endswith("index.html")
    assert summary["harvest"]["status"] == "complete"
    assert summary["harvest"]["datasets"] == 320
    assert summary["harvest"]["errors_count"] == 0


def test_every_3_4_assessment_point_has_a_measured_score(demo):
    system = load_system("cstc2019-digital-government")
    (scored,) = [s for s in demo["report"]["scores"] if s["system"] == system["id"]]
    assert scored["applicable"] and scored["level"] == "city"
    expected = {(i["id"], p["id"]) for i in system["indicators"] for p in i["points"]}
    got = {(i["id"], p["id"]): p for i in scored["indicators"] for p in i["assessment_points"]}
    assert set(got) == expected and len(expected) == 8
    for point in got.values():
        assert point["measured"], point
        assert 0.0 <= point["score"] <= 1.0
    assert scored["maximum"] == 8
    assert 0 < scored["composite"] <= 1
    assert scored["tier"] in {"卓越", "优秀", "良好", "中等", "待改进"}


def test_the_page_shows_every_indicator_with_points_and_tier(demo):
    html = demo["html"]
    for scored in demo["report"]["scores"]:
        assert scored["tier"] in html
        for indicator in scored["indicators"]:
            assert indicator["name"] in html
            assert f"{indicator['points']:.2f}" in html
            for point in indicator["assessment_points"]:
                assert point["name"] in html
    assert "默认权重" in html  # weights the scheme does not publish are marked as odq defaults


def test_the_demo_flaws_are_found_and_named(demo):
    report = demo["report"]
    measures = {m["measure_id"]: m for f in report["families"] for m in f["measures"]}
    assert 0 < measures["links_alive_share"]["value"] < 1  # the generated dead links
    assert 0 < measures["timely_share"]["value"] < 1  # the generated stale datasets
    assert measures["frequency_declared_share"]["value"] < 1  # 暂无 and missing labels
    files = report["files"]
    assert any(f.get("encoding") == "gb18030" and f.get("valid") for f in files)
    assert any("blank-row" in (f.get("error_types") or {}) for f in files)
    assert any("not-a-data-file" in (f.get("error_types") or {}) for f in files)
    # Every dataset-level finding names its dataset.
    for family in report["families"]:
        for worst in family["worst"]:
            assert worst["native_id"] and worst["title"] and worst["findings"]
    # The validation results are in the page itself: GX's own Data Docs need CDNs and show nothing offline.
    assert 'id="validation"' in demo["html"] and "data-docs/" not in demo["html"]


def test_the_page_is_self_contained_and_escapes_portal_text(demo):
    html = demo["html"]
    assert "<script" not in html
    assert re.search(r"Content-Security-Policy", html)


def test_data_requests_and_showcases_are_read_from_the_portal_api(demo):
    measures = {m["measure_id"]: m for f in demo["report"]["families"] for m in f["measures"]}
    # The demo lists 12 requests (odq.demo.run): 11 can be judged (one is open for 20 days only), 7 of them
    # were answered within 30 days.
    assert measures["data_request_reply_share"]["detail"] == {**measures["data_request_reply_share"]["detail"],
                                                              "judged": 11, "listed": 12}
    assert measures["data_request_reply_share"]["value"] == pytest.approx(7 / 11)
    assert measures["showcases"]["value"] == 3



def test_the_displayed_domain_coverage_is_counted_with_the_n_that_is_scored(demo):
    """Both CSTC profiles count a domain as covered from 3 datasets (odq's default N): the measure shown in the
    report and the coverage the score used must agree, domain by domain."""
    measures = {m["measure_id"]: m for f in demo["report"]["families"] for m in f["measures"]}
    coverage = measures["domains_covered"]
    counts = coverage["detail"]["counts"]
    assert coverage["detail"]["min_datasets"] == 3
    assert coverage["value"] == sum(1 for n in counts.values() if n >= 3)
    components = [c for scored in demo["report"]["scores"] for i in scored["indicators"]
                  for p in i["assessment_points"] for c in p["components"] if c["measure"] == "domains_covered"]
    assert len(components) == 2  # one in each CSTC system
    assert all(c["value"] == coverage["value"] for c in components)


def test_the_measures_are_published_beside_the_report_as_w3c_dqv(demo):
    from rdflib import Graph, URIRef
    from rdflib.namespace import RDF

    dqv = "http://www.w3.org/ns/dqv#"
    assert 'href="quality.ttl"' in demo["html"] and 'href="quality.jsonld"' in demo["html"]
    turtle = Graph().parse(demo["dir"] / "quality.ttl", format="turtle")
    jsonld = Graph().parse(demo["dir"] / "quality.jsonld", format="json-ld")
    assert len(turtle) == len(jsonld) > 0
    measured = [m for f in demo["report"]["families"] for m in f["measures"] if m["value"] is not None]
    measurements = {m for m in turtle.subjects(RDF.type, URIRef(dqv + "QualityMeasurement"))
                    if str(turtle.value(m, URIRef(dqv + "computedOn"))).startswith("urn:odq:demo-yunjiang:catalogue:")}
    assert len(measurements) == len(measured)  # one per measured value; unknown ones are not written as 0
    metrics = {str(turtle.value(m, URIRef(dqv + "isMeasurementOf"))) for m in measurements}
    assert "https://data.wu.ac.at/portalwatch/quality#Access" in metrics  # Portal Watch's own metric IRI
    assert "https://odq.example/ns/metric#timely_share" in metrics
    targets = {str(o) for o in turtle.objects(None, URIRef("http://www.w3.org/ns/oa#hasTarget"))}
    assert targets and all(t.startswith("urn:odq:demo-yunjiang:dataset:") for t in targets)

# -- the commands after the demo, on a copy of its database ------------------------------------------------------
@pytest.fixture
def demo_db(demo, tmp_path):
    import sqlite3

    copy = tmp_path / "odq.sqlite"
    # The backup API, not a file copy: the demo database is in WAL mode, its latest writes may be in the -wal file.
    with sqlite3.connect(demo["summary"]["database"].removeprefix("sqlite:///")) as source, \
            sqlite3.connect(copy) as target:
        source.backup(target)
    return f"sqlite:///{copy}"


def test_export_of_an_unknown_level_is_refused_and_writes_nothing(demo_db, tmp_path):
    out = tmp_path / "scores.csv"
    result = CliRunner().invoke(app, ["export", "--system", "cstc2019-website", "--level", "ctiy",
                                      "--out", str(out), "--db", demo_db])
    assert result.exit_code == 2
    assert "--level: expected one of" in result.output and "'ctiy'" in result.output and "city" in result.output
    assert "Traceback" not in result.output and not out.exists()


def test_export_of_a_level_nobody_was_scored_at_says_so(demo_db, tmp_path):
    result = CliRunner().invoke(app, ["export", "--system", "cstc2019-website", "--level", "ministry",
                                      "--out", str(tmp_path / "scores.csv"), "--db", demo_db])
    assert result.exit_code == 2 and "no portal of level 'ministry'" in result.output


def test_xlsx_export_carries_the_system_and_level_on_a_metadata_sheet(demo_db, tmp_path):
    import openpyxl

    out = tmp_path / "scores.xlsx"
    result = CliRunner().invoke(app, ["export", "--system", "cstc2019-website", "--level", "city",
                                      "--out", str(out), "--db", demo_db])
    assert result.exit_code == 0, result.output
    workbook = openpyxl.load_workbook(out)
    assert workbook.sheetnames[:2] == ["scores", "metadata"]
    about = " ".join(str(c.value) for row in workbook["metadata"].iter_rows() for c in row if c.value is not None)
    assert "cstc2019-website" in about and "city" in about
    assert workbook["scores"]["A2"].value == 1  # the one demo portal ranks first


def test_assess_with_facts_scores_the_evaluators_fact_with_its_provenance(demo_db, tmp_path):
    from harvester.store import Store

    facts = tmp_path / "facts.yaml"
    facts.write_text(
        "facts:\n"
        "  - portal: demo-yunjiang\n"
        "    system: cstc2019-website\n"
        "    indicator: development-use\n"
        "    point: 1\n"
        "    value: 0.25\n"
        "    override: true\n"
        "    evidence: https://example.org/demo/apply\n"
        "    who: 测试评估员\n"
        "    when: 2026-11-30\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(app, ["assess", "demo-yunjiang", "--db", demo_db, "--facts", str(facts),
                                      "--allow-host", "127.0.0.1", "--no-links", "--no-files", "--json"])
    assert result.exit_code == 0, result.output
    store = Store(demo_db)
    harvest_id = store.portal("demo-yunjiang").current_harvest_id
    (scored,) = [s["result"] for s in Results(store).scores(harvest_id) if s["system_id"] == "cstc2019-website"]
    (point,) = [p for i in scored["indicators"] if i["id"] == "development-use"
                for p in i["assessment_points"] if str(p["id"]) == "1"]
    assert point["score"] == 0.25
    assert [f["who"] for f in scored["facts"]] == ["测试评估员"]


def test_assess_with_a_facts_file_for_other_portals_only_is_refused(demo_db, tmp_path):
    facts = tmp_path / "facts.yaml"
    facts.write_text("facts:\n  - portal: tokyo\n    measure: search_available\n    value: false\n"
                     "    evidence: https://example.org/x\n    who: a\n    when: 2026-11-30\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["assess", "demo-yunjiang", "--db", demo_db, "--facts", str(facts)])
    assert result.exit_code == 2 and "no facts for portal 'demo-yunjiang'" in result.output and "tokyo" in result.output


@pytest.mark.parametrize(("kind", "name", "fmt"), [("dcat-ap", "catalogue.ttl", "turtle"),
                                                  ("dcat-ap", "catalogue.jsonld", "json-ld"),
                                                  ("dqv", "quality.ttl", "turtle")])
def test_export_of_a_harvest_as_dcat_ap_or_dqv(demo_db, tmp_path, kind, name, fmt):
    from rdflib import Graph, URIRef
    from rdflib.namespace import DCAT, RDF

    out = tmp_path / name
    result = CliRunner().invoke(app, ["export", "--format", kind, "--portal", "demo-yunjiang", "--out", str(out),
                                      "--db", demo_db])
    assert result.exit_code == 0, result.output
    graph = Graph().parse(out, format=fmt)
    if kind == "dcat-ap":
        assert len(set(graph.subjects(RDF.type, DCAT.Dataset))) == 320
    else:
        assert set(graph.subjects(RDF.type, URIRef("http://www.w3.org/ns/dqv#QualityMeasurement")))


def test_export_as_dcat_ap_needs_a_portal_and_an_rdf_file(demo_db, tmp_path):
    runner = CliRunner()
    no_portal = runner.invoke(app, ["export", "--format", "dcat-ap", "--out", str(tmp_path / "a.ttl"),
                                    "--db", demo_db])
    assert no_portal.exit_code == 2 and "--portal" in no_portal.output
    wrong_suffix = runner.invoke(app, ["export", "--format", "dqv", "--portal", "demo-yunjiang",
                                       "--out", str(tmp_path / "a.csv"), "--db", demo_db])
    assert wrong_suffix.exit_code == 2 and ".ttl or .jsonld" in wrong_suffix.output
    unknown = runner.invoke(app, ["export", "--format", "dcat-ap", "--portal", "nosuch",
                                  "--out", str(tmp_path / "a.ttl"), "--db", demo_db])
    assert unknown.exit_code == 2 and "unknown portal 'nosuch'" in unknown.output


def test_assess_reads_the_profile_as_it_is_now_and_the_harvest_keeps_its_copy(demo_db, tmp_path, monkeypatch):
    """An evaluator edits the portal's level after the harvest: the next assessment scores the new level at once."""
    import yaml

    from harvester.store import Store

    store = Store(demo_db)
    harvested = store.harvest(store.portal("demo-yunjiang").current_harvest_id).info["profile"]
    assert harvested["level"] == "city"
    edited = {**harvested, "level": "province"}
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    (profiles / "demo-yunjiang.yaml").write_text(yaml.safe_dump(edited, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv("ODQ_PROFILES", str(profiles))
    result = CliRunner().invoke(app, ["assess", "demo-yunjiang", "--db", demo_db, "--no-links", "--no-files",
                                      "--json"])
    assert result.exit_code == 0, result.output
    harvest_id = store.portal("demo-yunjiang").current_harvest_id
    assert {s["level"] for s in Results(store).scores(harvest_id)} == {"province"}
    assert store.portal("demo-yunjiang").level == "province"
    assert store.harvest(harvest_id).info["profile"]["level"] == "city"  # the harvest-time copy, for audit


def test_the_page_lists_the_datasets_that_place_the_portal_in_each_domain(demo):
    html = demo["html"]
    section = html[html.index('<section id="domains">'):]
    section = section[:section.index("</section>")]
    assert section.count("<tr><td>") == 12  # one row per required domain
    for domain in demo["report"]["domains"]:
        assert domain["name_zh"] in section
        for group in domain["reasons"][:1]:
            assert group["datasets"][0] in section  # the first dataset of its largest reason group is named
    assert "不少于 3 个数据集即视为覆盖（odq 默认值）" in section


def test_the_page_shows_one_portal_through_three_lenses(demo):
    html = demo["html"]
    section = html[html.index('<section id="lenses">'):]
    section = section[:section.index("</section>")]
    scores = {s["system"]: s for s in demo["report"]["scores"]}
    mqa = scores["eu-mqa"]
    for dimension in mqa["indicators"]:  # MQA's five dimensions with their points
        assert f"{dimension['points']:.2f} / " in section
    assert f"{mqa['total']:.2f} / {mqa['known_maximum']:g}" in section
    watch = next(f for f in demo["report"]["families"] if f["id"] == "portalwatch")
    assert len(watch["measures"]) == 15  # Portal Watch's 15 metrics
    for metric in watch["measures"]:
        assert metric["detail"]["title_zh"] in section
    assert f"{scores['cstc2019-website']['composite']:.3f}" in section
