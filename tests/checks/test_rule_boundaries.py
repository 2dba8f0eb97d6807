"""Each rule at its boundary, on tiny hand-built inputs whose expected values are worked out here by hand:
coverage with N − 1 and N datasets, a share at exactly its full mark, linear at zero and full, a point that
cannot be measured (left out of the maximum), an evaluator's fact filling it, the timeliness grace, the
stale-claim window, the documented-fields share and the 30-day reply window. Changing a rule constant fails here."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from checks import fields, frequency, usage
from checks.catalogue import Catalogue
from checks.facts import Fact
from checks.scoring import load_system, score

TIERS = [{"min": 0.9, "label": "卓越"}, {"min": 0.8, "label": "优秀"}, {"min": 0.7, "label": "良好"},
         {"min": 0.6, "label": "中等"}, {"min": 0.0, "label": "待改进"}]
DOMAINS = ["市场主体", "人社", "教育", "医疗卫生", "民政", "建设", "交通运输", "文化", "科技", "农业", "安全生产", "环保"]


def one_point_system(tmp_path: Path, component: dict[str, Any]) -> dict[str, Any]:
    data = {"id": "boundary", "name": "boundary", "source": "test", "levels": ["city"], "tiers": TIERS,
            "indicators": [{"id": "i", "name": "i", "weights": {"city": 2},
                            "points": [{"id": "1", "name": "p", "measures": [component]}]}]}
    path = tmp_path / "boundary.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return load_system(str(path))


def only_component(result: dict[str, Any]) -> dict[str, Any]:
    (indicator,) = result["indicators"]
    (point,) = indicator["assessment_points"]
    (component,) = point["components"]
    return component


# ---------------------------------------------------------------- coverage: N − 1 and N datasets


COVERAGE = {"measure": "domains_covered", "scorer": "coverage", "of": 12, "min_datasets": 3,
            "defaults": ["min_datasets"]}


def coverage_measure(last_domain_datasets: int) -> dict[str, Any]:
    counts = {name: 3 for name in DOMAINS}
    counts["环保"] = last_domain_datasets
    # As assessed with N = 1, every domain with a dataset counts: the scorer must recount with the profile's N.
    return {"measure_id": "domains_covered", "value": sum(1 for n in counts.values() if n >= 1),
            "detail": {"counts": counts, "min_datasets": 1}}


def test_coverage_with_n_minus_one_datasets_leaves_the_domain_uncovered(tmp_path):
    result = score(one_point_system(tmp_path, COVERAGE), "city", [coverage_measure(2)])
    component = only_component(result)
    assert component["score"] == pytest.approx(11 / 12)
    assert component["value"] == 11  # what is shown is what is scored …
    assert component["coverage"] == {"covered": 11, "of": 12, "min_datasets": 3, "uncovered": ["环保"]}  # … with its N
    assert component["measured_value"] == 12  # the assessment's own N = 1 count, kept for the record
    assert result["composite"] == pytest.approx(11 / 12, abs=1e-4)
    assert result["total"] == pytest.approx(2 * 11 / 12, abs=1e-3)


def test_coverage_with_n_datasets_covers_the_domain(tmp_path):
    result = score(one_point_system(tmp_path, COVERAGE), "city", [coverage_measure(3)])
    assert only_component(result)["coverage"]["covered"] == 12
    assert result["composite"] == 1.0


def test_coverage_n_is_listed_as_an_odq_default(tmp_path):
    result = score(one_point_system(tmp_path, COVERAGE), "city", [coverage_measure(3)])
    (entry,) = [d for d in result["odq_defaults"] if d["scope"] == "component"]
    assert (entry["measure"], entry["parameter"], entry["value"]) == ("domains_covered", "min_datasets", 3)


# ---------------------------------------------------------------- share at exactly full; linear at zero and full


@pytest.mark.parametrize(("value", "expected"), [(0.3, 1.0), (0.15, 0.5), (0.29, 0.29 / 0.3), (0.31, 1.0)])
def test_api_share_saturates_at_exactly_its_full_mark(tmp_path, value, expected):
    system = one_point_system(tmp_path, {"measure": "api_share", "scorer": "share", "full": 0.3})
    result = score(system, "city", [{"measure_id": "api_share", "value": value}])
    assert only_component(result)["score"] == pytest.approx(expected)
    assert result["composite"] == pytest.approx(expected, abs=1e-4)


@pytest.mark.parametrize(("dimensions", "expected"), [(0, 0.0), (1, 0.0), (2, 0.5), (3, 1.0), (4, 1.0)])
def test_classification_dimensions_linear_from_one_to_three(tmp_path, dimensions, expected):
    system = one_point_system(tmp_path, {"measure": "classification_dimensions", "scorer": "linear",
                                         "zero": 1, "full": 3})
    result = score(system, "city", [{"measure_id": "classification_dimensions", "value": dimensions}])
    assert result["composite"] == pytest.approx(expected)


# ---------------------------------------------------------------- unknown is not zero; facts fill it


def two_indicator_system(tmp_path: Path) -> dict[str, Any]:
    """A (weight 2): a1 catalogue published, a2 data-request function; B (weight 3): b1 timeliness."""
    data = {"id": "unknowns", "name": "unknowns", "source": "test", "levels": ["city"], "tiers": TIERS,
            "indicators": [
                {"id": "A", "name": "A", "weights": {"city": 2}, "points": [
                    {"id": "1", "name": "a1", "measures": [{"measure": "catalogue_published", "scorer": "boolean"}]},
                    {"id": "2", "name": "a2", "measures": [{"measure": "data_request_available",
                                                            "scorer": "boolean"}]}]},
                {"id": "B", "name": "B", "weights": {"city": 3}, "points": [
                    {"id": "1", "name": "b1", "measures": [{"measure": "timely_share", "scorer": "share"}]}]}]}
    path = tmp_path / "unknowns.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return load_system(str(path))


MEASURES = [{"measure_id": "catalogue_published", "value": 1.0}, {"measure_id": "timely_share", "value": 0.5},
            {"measure_id": "data_request_available", "value": None}]


def fact(value: float, override: bool = False, **target: Any) -> Fact:
    return Fact(portal="p", value=value, evidence="https://portal.example/apply", who="张三", when="2024-05-01",
                origin="facts.yaml key 'facts.0'", override=override, **target)


def point_of(result: dict[str, Any], indicator_id: str, point_id: str) -> dict[str, Any]:
    (indicator,) = [i for i in result["indicators"] if i["id"] == indicator_id]
    (found,) = [p for p in indicator["assessment_points"] if p["id"] == point_id]
    return found


def test_a_point_with_no_measure_needs_a_check_and_leaves_the_maximum(tmp_path):
    # a1: 2 × 1/2 = 1 of 1; a2 unknown (worth 1); b1: 3 × 0.5 = 1.5 of 3.
    # total 2.5, full maximum 5, known maximum 4: composite 2.5 / 4 = 0.625 (not 2.5 / 5 = 0.5).
    result = score(two_indicator_system(tmp_path), "city", MEASURES)
    assert result["total"] == 2.5
    assert result["maximum"] == 5 and result["full_maximum"] == 5
    assert result["known_maximum"] == 4
    assert result["composite"] == 0.625
    assert result["tier"] == "中等"
    a2 = point_of(result, "A", "2")
    assert a2["score"] is None and a2["needs_check"] is True and a2["points"] is None and a2["maximum"] == 1
    (check,) = result["needs_check"]
    assert (check["indicator"], check["point"], check["measures"], check["maximum"]) == (
        "A", "2", ["data_request_available"], 1)
    assert "申请数据开放" in check["reason_zh"] and "data" in check["reason_en"]
    indicator_a = result["indicators"][0]
    assert indicator_a["score"] == 1.0 and indicator_a["points"] == 1.0 and indicator_a["known_maximum"] == 1


def test_a_measure_fact_fills_the_point_with_its_provenance(tmp_path):
    # a2 now 1 of 1: total 3.5 over 5 = 0.7.
    result = score(two_indicator_system(tmp_path), "city", MEASURES,
                   facts=[fact(1.0, measure="data_request_available")])
    assert result["composite"] == 0.7 and result["known_maximum"] == 5 and result["needs_check"] == []
    a2 = point_of(result, "A", "2")
    assert a2["score"] == 1.0 and a2["source"] == "evaluator"
    (component,) = a2["components"]
    assert component["source"] == "evaluator"
    assert (component["fact"]["who"], component["fact"]["when"], component["fact"]["evidence"]) == (
        "张三", "2024-05-01", "https://portal.example/apply")
    assert [f["target"] for f in result["facts"]] == ["data_request_available"]
    assert point_of(result, "A", "1")["source"] == "automatic"


def test_a_fact_that_the_function_is_missing_scores_zero(tmp_path):
    # Verified lack is 0, unlike unknown: a2 0 of 1, total 2.5 over 5 = 0.5.
    result = score(two_indicator_system(tmp_path), "city", MEASURES,
                   facts=[fact(0.0, measure="data_request_available")])
    assert result["composite"] == 0.5 and result["known_maximum"] == 5


def test_a_point_fact_gives_the_whole_points_score(tmp_path):
    # a2 scored 0.5 by the evaluator: 1 + 0.5 + 1.5 = 3 over 5 = 0.6.
    result = score(two_indicator_system(tmp_path), "city", MEASURES,
                   facts=[fact(0.5, system="unknowns", indicator="A", point="2")])
    assert result["composite"] == 0.6
    a2 = point_of(result, "A", "2")
    assert a2["score"] == 0.5 and a2["source"] == "evaluator" and a2["fact"]["who"] == "张三"


def test_a_point_fact_for_another_system_is_not_used(tmp_path):
    result = score(two_indicator_system(tmp_path), "city", MEASURES,
                   facts=[fact(0.5, system="cstc2019-website", indicator="A", point="2")])
    assert result["composite"] == 0.625 and result["facts"] == []


def test_an_automatic_measure_stands_against_a_fact_and_the_conflict_is_reported(tmp_path):
    result = score(two_indicator_system(tmp_path), "city", MEASURES,
                   facts=[fact(0.0, measure="catalogue_published")])
    assert result["composite"] == 0.625  # as without the fact
    (conflict,) = result["fact_conflicts"]
    assert (conflict["measure"], conflict["automatic"], conflict["resolution"]) == (
        "catalogue_published", 1.0, "automatic-stands")
    assert result["facts"] == []


def test_a_fact_with_override_replaces_the_automatic_measure(tmp_path):
    # a1 0 of 1, a2 unknown, b1 1.5 of 3: 1.5 over 4 = 0.375.
    result = score(two_indicator_system(tmp_path), "city", MEASURES,
                   facts=[fact(0.0, override=True, measure="catalogue_published")])
    assert result["composite"] == 0.375
    (component,) = point_of(result, "A", "1")["components"]
    assert component["source"] == "evaluator" and component["overrides"] == 1.0 and component["value"] == 0.0
    (conflict,) = result["fact_conflicts"]
    assert conflict["resolution"] == "fact-overrides"


def test_facts_of_two_portals_are_refused():
    other = Fact(portal="q", value=1.0, evidence="https://q.example/", who="李四", when="2024-05-02", origin="x",
                 measure="catalogue_published")
    with pytest.raises(ValueError, match="several portals"):
        score(load_system("cstc2019-website"), "city", [], facts=[fact(1.0, measure="search_available"), other])


# ---------------------------------------------------------------- rule constants inside the family modules


HARVESTED = datetime(2024, 3, 1)


def catalogue(frame: pd.DataFrame, info: dict[str, Any] | None = None) -> Catalogue:
    frame = frame.set_index("native_id", drop=False)
    return Catalogue(harvest_id=1, portal={"id": "p"}, harvested_at=HARVESTED, info=info or {}, datasets=frame,
                     distributions=pd.DataFrame())


def dated(native_id: str, code: str, age: timedelta) -> dict[str, Any]:
    return {"native_id": native_id, "title": native_id, "frequency": code, "frequency_raw": code,
            "modified": (HARVESTED - age).isoformat(), "problems": []}


def test_timeliness_grace_boundary_weekly_and_monthly():
    # Weekly: 7 × 1.5 + 7 = 17.5 days allowed. Monthly (30.44 days): 30.44 × 1.5 + 7 = 52.66 days.
    frame = pd.DataFrame([
        dated("weekly-on-edge", "P1W", timedelta(days=17.5)),
        dated("weekly-an-hour-late", "P1W", timedelta(days=17.5, hours=1)),
        dated("monthly-on-edge", "P1M", timedelta(days=52.66)),
        dated("monthly-a-day-late", "P1M", timedelta(days=53.66)),
    ])
    checks = {c.spec.id: c for c in frequency.evaluate(catalogue(frame)).shares}
    timely = checks["timely_share"].passed
    assert timely.to_dict() == {"weekly-on-edge": True, "weekly-an-hour-late": False,
                                "monthly-on-edge": True, "monthly-a-day-late": False}


def test_stale_fast_claim_after_ninety_days():
    frame = pd.DataFrame([dated("daily-90", "P1D", timedelta(days=90)),
                          dated("daily-91", "P1D", timedelta(days=91))])
    values = frequency.evaluate(catalogue(frame)).values
    assert values["stale_fast_claims"][1] == 1  # only the one older than 90 days


def test_fields_documented_at_eight_of_ten():
    frame = pd.DataFrame([
        {"native_id": "eight", "title": "eight", "fields_count": 10, "fields_described": 8, "fields_typed": 0},
        {"native_id": "seven", "title": "seven", "fields_count": 10, "fields_described": 7, "fields_typed": 0},
    ])
    checks = {c.spec.id: c for c in fields.evaluate(catalogue(frame)).shares}
    assert checks["fields_described_share"].passed.to_dict() == {"eight": True, "seven": False}


def test_a_description_that_repeats_the_name_or_title_documents_nothing():
    from harvester.records import DatasetRecord, Field

    frame = pd.DataFrame([{"native_id": "d", "title": "d", "fields_count": 4, "fields_typed": 0}])
    record = DatasetRecord(portal_id="p", native_id="d", title="d", fields=[
        Field(name="zip", description="zip"),  # the name again
        Field(name="cnt", title="人口数", description=" 人口数 "),  # the title again, padded
        Field(name="pop", description="常住人口（万人）"),  # says more
        Field(name="x", description="   "),  # blank
    ])
    passing = fields.FieldsPass(catalogue(frame))
    passing.add([record])
    result = passing.result()
    assert passing.described == {"d": 1}
    assert result.values["field_description_ratio"][1] == 0.25  # 1 of the 4 fields


def test_data_request_answered_within_thirty_days():
    items = [
        {"title": "thirty", "open_time": "2024-01-01", "close_time": "2024-01-31", "closed": True},
        {"title": "thirty-one", "open_time": "2024-01-01", "close_time": "2024-02-01", "closed": True},
    ]
    frame = pd.DataFrame([{"native_id": "d", "title": "d", "views": None, "downloads": None, "api_calls": None}])
    for column in ("views", "downloads", "api_calls"):
        frame[column] = frame[column].astype("Int64")
    info = {"catalogue": {"data_requests": {"available": True, "items": items}}}
    spec, value, detail = usage.evaluate(catalogue(frame, info)).values["data_request_reply_share"]
    assert value == 0.5 and detail["judged"] == 2


# ---------------------------------------------------------------- coverage as displayed = coverage as scored


def test_the_assessed_coverage_uses_the_profiles_n_so_display_and_score_agree():
    from checks import domains
    from checks.assess import AssessOptions, domain_threshold

    titles = ["医院名录", "社区卫生服务中心名录", "医疗机构执业信息", "中小学校名录", "幼儿园名录"]
    frame = pd.DataFrame({"native_id": [f"d{i}" for i in range(len(titles))], "title": titles,
                          "department": None, "publisher": None, "categories": [[] for _ in titles],
                          "keywords": [[] for _ in titles]})
    # Both shipped CSTC profiles: a domain is covered from 3 datasets (odq's default N) — 3 health, 2 education.
    result = domains.evaluate(catalogue(frame), domain_threshold(AssessOptions()))
    _spec, value, detail = result.values["domains_covered"]
    assert value == 1
    assert detail["min_datasets"] == 3 and detail["counts"]["教育"] == 2 and detail["counts"]["医疗卫生"] == 3
    assert domain_threshold(AssessOptions(min_domain_datasets=2)) == 2
