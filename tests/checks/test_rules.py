"""The rules profile: the shipped values pinned by hand, each parameter changed through an override file changing
its measure on a tiny hand-built catalogue (expected values worked out here), and a bad rules file refused with
the file, the key and what was expected."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from checks import fields, formats, frequency, usage
from checks.catalogue import Catalogue
from checks.rules import default_rules, load_rules
from harvester.profiles import ProfileError

SHIPPED_RULES = Path(__file__).resolve().parents[2] / "profiles" / "rules" / "odq-default.yaml"
HARVESTED = datetime(2024, 3, 1)


def catalogue(frame: pd.DataFrame, info: dict[str, Any] | None = None,
              history: pd.DataFrame | None = None) -> Catalogue:
    frame = frame.set_index("native_id", drop=False)
    return Catalogue(harvest_id=1, portal={"id": "p"}, harvested_at=HARVESTED, info=info or {}, datasets=frame,
                     distributions=pd.DataFrame(), history=history)


def override(tmp_path: Path, family: str, name: str, value: Any, **extra: Any) -> Path:
    path = tmp_path / f"{family}-{name}.yaml"
    entry = {"value": value, "reason": "stricter for the 2026 round", **extra}
    path.write_text(yaml.safe_dump({"id": "strict", "parameters": {family: {name: entry}}}), encoding="utf-8")
    return path


def dated(native_id: str, code: str, age: timedelta, **extra: Any) -> dict[str, Any]:
    return {"native_id": native_id, "title": native_id, "frequency": code, "frequency_raw": code,
            "modified": (HARVESTED - age).isoformat(), "problems": [], **extra}


# ---------------------------------------------------------------- the shipped values, by hand


def test_the_shipped_rules_profile_gives_every_parameter_as_an_odq_default():
    rules = default_rules()
    assert {(p.key, p.value, p.unit, p.source) for p in rules.parameters} == {
        ("frequency.grace_factor", 0.5, "ratio", "odq-default"),  # on time within period × 1.5 …
        ("frequency.grace_days", 7, "days", "odq-default"),  # … plus a week
        ("frequency.stale_days", 90, "days", "odq-default"),
        ("fields.described_field_share", 0.8, "share", "odq-default"),
        ("usage.reply_days", 30, "days", "odq-default"),
        ("formats.min_records", 10, "records", "odq-default"),
    }
    for parameter in rules.parameters:
        assert parameter.reason and parameter.reason_zh and parameter.meaning and parameter.meaning_zh, parameter
        assert parameter.origin == "profiles/rules/odq-default.yaml" and parameter.default is None
    assert isinstance(rules.frequency.grace_days, int) and isinstance(rules.frequency.grace_factor, float)


def test_each_parameter_names_the_measures_it_shapes():
    measures = {p.key: set(p.measures) for p in default_rules().parameters}
    assert measures == {
        "frequency.grace_factor": {"timely_share", "observed_cadence_share"},
        "frequency.grace_days": {"timely_share", "observed_cadence_share"},
        "frequency.stale_days": {"stale_fast_claims"},
        "fields.described_field_share": {"fields_described_share"},
        "usage.reply_days": {"data_request_reply_share"},
        "formats.min_records": {"tiny_datasets"},
    }


# ---------------------------------------------------------------- an override changes its measure


def timely(frame: pd.DataFrame, rules: Any = None) -> dict[str, Any]:
    checks = {c.spec.id: c for c in frequency.evaluate(catalogue(frame), rules).shares}
    return checks["timely_share"].passed.to_dict()


def test_grace_factor_override_makes_a_weekly_dataset_late(tmp_path):
    # 16 days old, weekly: allowed 7 × 1.5 + 7 = 17.5 by default; 7 × 1.25 + 7 = 15.75 with grace_factor 0.25.
    frame = pd.DataFrame([dated("weekly-16", "P1W", timedelta(days=16))])
    assert timely(frame) == {"weekly-16": True}
    rules = load_rules([override(tmp_path, "frequency", "grace_factor", 0.25)])
    assert rules.frequency.grace_factor == 0.25 and rules.frequency.grace_days == 7
    assert timely(frame, rules.frequency) == {"weekly-16": False}


def test_grace_days_override_makes_a_weekly_dataset_late(tmp_path):
    # 16 days old, weekly: 7 × 1.5 + 7 = 17.5 by default; 7 × 1.5 + 3 = 13.5 with grace_days 3.
    frame = pd.DataFrame([dated("weekly-16", "P1W", timedelta(days=16))])
    assert timely(frame) == {"weekly-16": True}
    rules = load_rules([override(tmp_path, "frequency", "grace_days", 3)])
    assert timely(frame, rules.frequency) == {"weekly-16": False}


def test_grace_override_changes_whether_the_observed_cadence_is_judged(tmp_path):
    # A weekly dataset whose `modified` never moved over 40 days of harvests: judged when the span exceeds
    # 2 × 7 × 1.5 + 7 = 28 days (default: it misses the cadence); with grace_factor 2, 2 × 7 × 3 + 7 = 49 > 40,
    # so it is not judged yet.
    frame = pd.DataFrame([dated("weekly", "P1W", timedelta(days=3))])
    history = pd.DataFrame({"native_id": ["weekly"], "harvested_at": [HARVESTED - timedelta(days=40)],
                            "modified": [frame.loc[0, "modified"]]})

    def observed(rules: Any = None) -> Any:
        result = frequency.evaluate(catalogue(frame, history=history), rules)
        return {c.spec.id: c for c in result.shares}["observed_cadence_share"].passed["weekly"]

    assert bool(observed()) is False and not pd.isna(observed())
    assert pd.isna(observed(load_rules([override(tmp_path, "frequency", "grace_factor", 2)]).frequency))


def test_stale_days_override_flags_a_daily_dataset_sooner(tmp_path):
    # A daily dataset untouched for 60 days: under the default 90 it is not flagged; with 30 it is.
    frame = pd.DataFrame([dated("daily-60", "P1D", timedelta(days=60)),
                          dated("daily-20", "P1D", timedelta(days=20))])
    assert frequency.evaluate(catalogue(frame)).values["stale_fast_claims"][1] == 0
    rules = load_rules([override(tmp_path, "frequency", "stale_days", 30)])
    assert frequency.evaluate(catalogue(frame), rules.frequency).values["stale_fast_claims"][1] == 1


def test_described_field_share_override_accepts_seven_of_ten(tmp_path):
    frame = pd.DataFrame([
        {"native_id": "seven", "title": "seven", "fields_count": 10, "fields_described": 7, "fields_typed": 0},
        {"native_id": "six", "title": "six", "fields_count": 10, "fields_described": 6, "fields_typed": 0},
    ])

    def described(rules: Any = None) -> dict[str, Any]:
        checks = {c.spec.id: c for c in fields.evaluate(catalogue(frame), rules).shares}
        return checks["fields_described_share"].passed.to_dict()

    assert described() == {"seven": False, "six": False}  # 0.7 and 0.6 are below 0.8
    rules = load_rules([override(tmp_path, "fields", "described_field_share", 0.7)])
    assert described(rules.fields) == {"seven": True, "six": False}


def usage_frame() -> pd.DataFrame:
    frame = pd.DataFrame([{"native_id": "d", "title": "d", "views": None, "downloads": None, "api_calls": None}])
    for column in ("views", "downloads", "api_calls"):
        frame[column] = frame[column].astype("Int64")
    return frame


def test_reply_days_override_changes_which_requests_are_answered_in_time(tmp_path):
    items = [
        {"title": "after-20", "open_time": "2024-01-01", "close_time": "2024-01-21", "closed": True},
        {"title": "after-31", "open_time": "2024-01-01", "close_time": "2024-02-01", "closed": True},
        {"title": "open-20", "open_time": "2024-02-10", "closed": False},  # 20 days before the harvest
    ]
    info = {"catalogue": {"data_requests": {"available": True, "items": items}}}

    def replies(rules: Any = None) -> tuple[float, int]:
        _spec, value, detail = usage.evaluate(catalogue(usage_frame(), info), rules).values[
            "data_request_reply_share"]
        return value, detail["judged"]

    # 30 days: after-20 in time, after-31 late, open-20 not late yet (not judged): 1 of 2.
    assert replies() == (0.5, 2)
    # 14 days: after-20 and after-31 late, open-20 unanswered past its window: 0 of 3.
    assert replies(load_rules([override(tmp_path, "usage", "reply_days", 14)]).usage) == (0.0, 3)
    # 31 days: both closed ones in time, open-20 not judged: 2 of 2.
    assert replies(load_rules([override(tmp_path, "usage", "reply_days", 31)]).usage) == (1.0, 2)


def test_min_records_override_changes_the_tiny_count(tmp_path):
    names = {"ten": 10, "nine": 9, "fifty": 50}
    frame = pd.DataFrame([{"native_id": n, "title": n, "formats": [], "has_api": False, "distributions_count": 0,
                           "record_count": c, "licence": None} for n, c in names.items()])
    frame["record_count"] = frame["record_count"].astype("Int64")
    tiny = catalogue(frame)
    tiny.distributions = pd.DataFrame(columns=["native_id", "position", "url", "format_raw", "format", "media_type",
                                               "byte_size", "is_api"])

    def count(rules: Any = None) -> int:
        return formats.evaluate(tiny, rules).values["tiny_datasets"][1]

    assert count() == 1  # nine < 10
    assert count(load_rules([override(tmp_path, "formats", "min_records", 11)]).formats) == 2  # nine, ten
    assert count(load_rules([override(tmp_path, "formats", "min_records", 51)]).formats) == 3


def test_an_override_keeps_odqs_default_and_its_own_provenance(tmp_path):
    path = override(tmp_path, "usage", "reply_days", 20, unit="days")
    rules = load_rules([path])
    (changed,) = rules.overridden()
    assert (changed.key, changed.value, changed.default, changed.source, changed.origin) == (
        "usage.reply_days", 20, 30, "override", str(path))
    assert changed.reason == changed.reason_zh == "stricter for the 2026 round"
    assert rules.origins == ("profiles/rules/odq-default.yaml", str(path))
    untouched = next(p for p in rules.parameters if p.key == "frequency.grace_days")
    assert (untouched.value, untouched.source, untouched.default) == (7, "odq-default", None)


def test_an_override_may_state_a_published_value_with_its_reference(tmp_path):
    path = override(tmp_path, "usage", "reply_days", 20, source="published",
                    reference="《政府信息公开条例》（2019）第三十三条：20个工作日")
    (changed,) = load_rules([path]).overridden()
    assert (changed.source, changed.reference, changed.default) == (
        "published", "《政府信息公开条例》（2019）第三十三条：20个工作日", 30)


def test_later_override_files_win_and_the_default_stays_odqs(tmp_path):
    first = override(tmp_path, "frequency", "grace_days", 3)
    second = tmp_path / "second.yaml"
    second.write_text(yaml.safe_dump({"id": "second", "parameters": {"frequency": {
        "grace_days": {"value": 1, "reason": "later"}}}}), encoding="utf-8")
    (changed,) = load_rules([first, second]).overridden()
    assert (changed.value, changed.default, changed.origin) == (1, 7, str(second))


# ---------------------------------------------------------------- a bad rules file: file, key, expectation


def load_error(path: Path, default: Path = SHIPPED_RULES) -> str:
    with pytest.raises(ProfileError) as excinfo:
        load_rules([path], default=default) if path != default else load_rules(default=default)
    return str(excinfo.value)


def test_a_misspelled_parameter_fails_naming_file_and_key(tmp_path):
    path = override(tmp_path, "frequency", "grace_factr", 0.25)
    assert load_error(path) == (f"{path}: key 'parameters.frequency.grace_factr': unknown key "
                                "(allowed: grace_days, grace_factor, stale_days)")


def test_a_misspelled_family_fails_naming_file_and_key(tmp_path):
    path = override(tmp_path, "frequncy", "grace_days", 3)
    assert load_error(path) == (f"{path}: key 'parameters.frequncy': unknown key "
                                "(allowed: fields, formats, frequency, usage)")


@pytest.mark.parametrize(("family", "name", "value", "extra", "key", "expected"), [
    ("frequency", "grace_days", "seven", {}, "frequency.grace_days.value",
     "expected an integer from 0 to 366, got 'seven'"),
    ("frequency", "grace_days", 7.5, {}, "frequency.grace_days.value", "expected an integer from 0 to 366, got 7.5"),
    ("frequency", "grace_factor", -0.1, {}, "frequency.grace_factor.value",
     "expected a number from 0 to 10, got -0.1"),
    ("fields", "described_field_share", 1.5, {}, "fields.described_field_share.value",
     "expected a number from 0 to 1, got 1.5"),
    ("usage", "reply_days", 0, {}, "usage.reply_days.value", "expected an integer from 1 to 366, got 0"),
    ("formats", "min_records", True, {}, "formats.min_records.value",
     "expected an integer from 1 to 1000000, got True"),
    ("frequency", "stale_days", 2160, {"unit": "hours"}, "frequency.stale_days.unit",
     "expected one of days, got 'hours'"),
    ("usage", "reply_days", 20, {"source": "odq-default"}, "usage.reply_days.source",
     "expected published (with a reference), or no source for the evaluator's own value, got 'odq-default'"),
    ("usage", "reply_days", 20, {"source": "published"}, "usage.reply_days.reference", "a required key is missing"),
    ("usage", "reply_days", 20, {"why": "x"}, "usage.reply_days.why", "unknown key (allowed: reason, reason_zh, "
     "reference, source, unit, value)"),
])
def test_a_bad_value_is_refused_with_file_key_and_expectation(tmp_path, family, name, value, extra, key, expected):
    path = override(tmp_path, family, name, value, **extra)
    assert load_error(path) == f"{path}: key 'parameters.{key}': {expected}"


def test_an_override_without_a_reason_is_refused(tmp_path):
    path = tmp_path / "bare.yaml"
    path.write_text("id: bare\nparameters:\n  usage:\n    reply_days: {value: 20}\n", encoding="utf-8")
    assert load_error(path) == f"{path}: key 'parameters.usage.reply_days.reason': a required key is missing"


def test_a_default_profile_must_give_every_parameter_with_its_provenance(tmp_path):
    data = yaml.safe_load(SHIPPED_RULES.read_text(encoding="utf-8"))
    del data["parameters"]["frequency"]["stale_days"]
    del data["parameters"]["usage"]["reply_days"]["source"]
    path = tmp_path / "incomplete-default.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    message = load_error(path, default=path)
    assert message.splitlines() == [
        f"{path}: key 'parameters.frequency.stale_days': a required key is missing",
        f"{path}: key 'parameters.usage.reply_days.source': a required key is missing",
    ]


def test_a_file_that_is_not_a_rules_profile_is_refused(tmp_path):
    path = tmp_path / "list.yaml"
    path.write_text("- 1\n- 2\n", encoding="utf-8")
    assert load_error(path) == f"{path}: key '(top level)': expected a mapping, got [1, 2]"
