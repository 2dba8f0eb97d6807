"""The rule parameters an assessment used travel with its measures into the scores and the report's methodology
(Chinese and English), labelled odq default or the evaluator's override: a hand-built two-dataset CKAN portal
assessed with the shipped rules and with an override file, expected values worked out by hand."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import yaml

from checks.assess import AssessOptions
from checks.rules import load_rules
from harvester.run import run_harvest
from odq.pipeline import assess_and_score, make_http, report
from odq.replay import ReplayServer, catalogue_from_packages
from reports.model import build_report
from tests.conftest import ckan_profile


def _package(name: str, age_days: float, extras: dict[str, str]) -> dict:
    modified = (datetime.now(UTC) - timedelta(days=age_days)).replace(tzinfo=None).isoformat(timespec="seconds")
    return {"id": name, "name": name, "title": name, "notes": "", "license_id": "cc-by",
            "metadata_created": "2025-01-01T00:00:00", "metadata_modified": modified,
            "organization": {"name": "city-stats", "title": "city-stats"}, "groups": [], "tags": [],
            "extras": [{"key": k, "value": v} for k, v in extras.items()], "resources": []}


# weekly-16: weekly, 16 days old, 10 records; plain: no frequency, 500 records.
PACKAGES = [_package("weekly-16", 16, {"frequency": "weekly", "record_count": "10"}),
            _package("plain", 1, {"record_count": "500"})]
OVERRIDE = {"id": "strict-2026", "parameters": {
    "frequency": {"grace_days": {"value": 3, "unit": "days", "reason": "the 2026 round allows three days"}},
    "formats": {"min_records": {"value": 11, "reason": "ten rows is still a fragment", "reason_zh": "十条仍是碎片"}},
}}


@pytest.fixture(scope="module")
def assessed(tmp_path_factory):
    from harvester.store import Store

    directory = tmp_path_factory.mktemp("rules")
    rules_file = directory / "strict.yaml"
    rules_file.write_text(yaml.safe_dump(OVERRIDE, allow_unicode=True), encoding="utf-8")
    store = Store(f"sqlite:///{directory / 'odq.sqlite'}")
    found = {}
    for portal_id, rules in (("default-city", None), ("strict-city", load_rules([rules_file]))):
        with ReplayServer(catalogue_from_packages(PACKAGES)) as server:
            profile = ckan_profile(server.base, portal_id)
            http = make_http(profile)
            assert run_harvest(profile, store, http).status == "complete"
            assessment, scores = assess_and_score(store, profile, http, AssessOptions(
                check_links=False, validate_files=False, rules=rules))
        pages = {lang: report(store, portal_id, directory / portal_id / lang, lang=lang) for lang in ("zh", "en")}
        found[portal_id] = {
            "measures": {m["measure_id"]: m for m in assessment.measures}, "scores": scores,
            "content": build_report(store, portal_id),
            "html": {lang: page.read_text(encoding="utf-8") for lang, page in pages.items()},
            "json": json.loads((pages["zh"].parent / "report.json").read_text(encoding="utf-8")),
        }
    return {"rules_file": str(rules_file), **found}


def test_the_override_changes_the_measures_as_worked_out_by_hand(assessed):
    default, strict = assessed["default-city"]["measures"], assessed["strict-city"]["measures"]
    # weekly-16: allowed 7 × 1.5 + 7 = 17.5 days by default (on time), 7 × 1.5 + 3 = 13.5 with grace_days 3 (late).
    assert default["timely_share"]["value"] == 1.0 and strict["timely_share"]["value"] == 0.0
    # 10 records is not below 10, but is below 11.
    assert default["tiny_datasets"]["value"] == 0 and strict["tiny_datasets"]["value"] == 1


def test_each_measure_keeps_the_parameters_it_was_taken_with(assessed):
    stored = {p["key"]: p for p in assessed["strict-city"]["measures"]["timely_share"]["detail"]["parameters"]}
    assert set(stored) == {"frequency.grace_factor", "frequency.grace_days"}
    assert (stored["frequency.grace_days"]["value"], stored["frequency.grace_days"]["source"],
            stored["frequency.grace_days"]["default"], stored["frequency.grace_days"]["origin"]) == (
        3, "override", 7, assessed["rules_file"])
    assert (stored["frequency.grace_factor"]["value"], stored["frequency.grace_factor"]["source"]) == (
        0.5, "odq-default")
    tiny = assessed["default-city"]["measures"]["tiny_datasets"]["detail"]["parameters"]
    assert [(p["key"], p["value"], p["source"]) for p in tiny] == [("formats.min_records", 10, "odq-default")]
    assert "parameters" not in assessed["default-city"]["measures"]["catalogue_published"]["detail"]


def test_scores_list_the_values_used_not_the_shipped_ones(assessed):
    (website,) = [s for s in assessed["strict-city"]["scores"] if s["system"] == "cstc2019-website"]
    listed = {(d["measure"], d["parameter"]): d for d in website["odq_defaults"] if d["scope"] == "measure"}
    assert (listed[("timely_share", "grace_days")]["value"], listed[("timely_share", "grace_days")]["source"]) == (
        3, "override")
    assert (listed[("timely_share", "grace_factor")]["value"],
            listed[("timely_share", "grace_factor")]["source"]) == (0.5, "odq-default")
    (default_website,) = [s for s in assessed["default-city"]["scores"] if s["system"] == "cstc2019-website"]
    assert {(d["measure"], d["parameter"], d["value"]) for d in default_website["odq_defaults"]
            if d["scope"] == "measure" and d["measure"] == "timely_share"} == {
        ("timely_share", "grace_factor", 0.5), ("timely_share", "grace_days", 7)}


def test_the_report_lists_every_parameter_once_with_the_measures_it_shaped(assessed):
    rules = {p["key"]: p for p in assessed["default-city"]["json"]["rules"]}
    assert set(rules) == {"frequency.grace_factor", "frequency.grace_days", "frequency.stale_days",
                          "fields.described_field_share", "usage.reply_days", "formats.min_records"}
    assert sorted(rules["frequency.grace_days"]["measures"]) == ["observed_cadence_share", "timely_share"]
    assert all(p["source"] == "odq-default" for p in rules.values())


def methodology(html: str) -> str:
    return html[html.index('<section id="methodology">'):]


def test_the_methodology_labels_odq_defaults_in_chinese_and_english(assessed):
    zh = methodology(assessed["default-city"]["html"]["zh"])
    en = methodology(assessed["default-city"]["html"]["en"])
    assert "测量规则参数" in zh and "Rule parameters of the measures" in en
    for key in ("frequency.grace_factor", "frequency.grace_days", "frequency.stale_days",
                "fields.described_field_share", "usage.reply_days", "formats.min_records"):
        assert f"<code>{key}</code>" in zh and f"<code>{key}</code>" in en
    assert zh.count("odq 默认值（评估方案未公布）</td>") == 6
    assert en.count("odq default (the published scheme does not give it)</td>") == 6
    assert "7 天" in zh and "7 days" in en and "30 天" in zh and "10 条" in zh and "10 records" in en
    assert "一周，使每月3日发布的月度数据" in zh  # the reason, in Chinese in the Chinese page
    assert "a week, so a monthly table" in en and "a week, so a monthly table" not in zh


def test_the_methodology_shows_an_override_with_its_file_and_odqs_default(assessed):
    zh = methodology(assessed["strict-city"]["html"]["zh"])
    en = methodology(assessed["strict-city"]["html"]["en"])
    path = assessed["rules_file"]
    assert f"评估方覆盖（{path}；odq 默认值 7）" in zh and f"evaluator&#39;s override ({path}; odq default 7)" in en  # autoescaped
    assert "3 天" in zh and "11 条" in zh and "十条仍是碎片" in zh
    assert "the 2026 round allows three days" in en
    assert zh.count("odq 默认值（评估方案未公布）</td>") == 4  # the six, less the two overridden


def test_the_chinese_score_defaults_carry_their_chinese_notes(assessed):
    zh = methodology(assessed["default-city"]["html"]["zh"])
    assert "<code>data-quality.2.timely_share.grace_days</code> = 7 — 判定逾期前" in zh
