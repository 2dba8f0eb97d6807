"""The measure registry: one declaration per measure id, the rules' constants pinned by hand, and indicator
profiles that name an unknown measure, or score a measure the wrong way, refused at load with file and key."""

from __future__ import annotations

import types
from pathlib import Path
from typing import Any

import pytest
import yaml

from checks.measures import MeasureSpec
from checks.registry import RegistryError, collect, registry
from checks.rules import RuleParameter
from checks.scoring import load_system
from harvester.profiles import ProfileError
from profiles import PROFILES_DIR

WEBSITE = "cstc2019-website"
DIGITAL_GOVERNMENT = "cstc2019-digital-government"


def raw(system_id: str) -> dict[str, Any]:
    return yaml.safe_load((PROFILES_DIR / "indicators" / f"{system_id}.yaml").read_text(encoding="utf-8"))


def named_measures(system: dict[str, Any]) -> set[str]:
    found = set()
    for indicator in system["indicators"]:
        for point in indicator["points"]:
            found.update(c["measure"] for c in point["measures"])
            for by_level in (point.get("measures_by_level") or {}).values():
                found.update(c["measure"] for c in by_level)
    return found


def point_measures(system_id: str, indicator_id: str, point_id: str, level: str | None = None) -> list[str]:
    (indicator,) = [i for i in raw(system_id)["indicators"] if i["id"] == indicator_id]
    (point,) = [p for p in indicator["points"] if p["id"] == point_id]
    components = (point.get("measures_by_level") or {}).get(level, point["measures"]) if level else point["measures"]
    return [c["measure"] for c in components]


# ---------------------------------------------------------------- shipped profiles resolve, and are pinned


@pytest.mark.parametrize("system_id", [WEBSITE, DIGITAL_GOVERNMENT])
def test_every_measure_a_shipped_profile_names_is_registered(system_id):
    names = named_measures(raw(system_id))
    assert len(names) >= 20
    assert sorted(n for n in names if n not in registry()) == []


# By hand from indicators.md §1/§2 and the design brief's six families: renaming any of these ids in a profile
# (or in its family module) fails here, instead of silently dropping a component out of its point.
PINNED = {
    ("open-catalogue", "1"): ["catalogue_published"],
    ("open-catalogue", "2"): ["category_share", "specific_category_share", "classification_dimensions",
                              "domain_mapped_category_share", "search_available"],
    ("data-quality", "1"): ["field_list_share", "fields_described_share"],
    ("data-quality", "2"): ["frequency_declared_share", "timely_share", "observed_cadence_share"],
    ("data-quality", "3"): ["machine_readable_share", "open_format_share", "api_share", "links_alive_share",
                            "valid_file_share"],
    ("data-quality", "4"): ["domains_covered"],
    ("development-use", "1"): ["data_request_available"],
    ("development-use", "2"): ["usage_published_share", "downloads_published_share", "api_calls_published_share"],
}
DIGITAL_IDS = {"open-catalogue": "3.4.1", "data-quality": "3.4.2", "development-use": "3.4.3"}


@pytest.mark.parametrize(("where", "expected"), PINNED.items(), ids=[f"{i}-{p}" for i, p in PINNED])
def test_website_points_use_the_pinned_measures(where, expected):
    assert point_measures(WEBSITE, *where) == expected


@pytest.mark.parametrize(("where", "expected"), PINNED.items(), ids=[f"{i}-{p}" for i, p in PINNED])
def test_digital_government_points_use_the_pinned_measures(where, expected):
    indicator, point = where
    assert point_measures(DIGITAL_GOVERNMENT, DIGITAL_IDS[indicator], point) == expected


def test_ministry_request_point_asks_for_public_and_timely_replies():
    assert point_measures(WEBSITE, "development-use", "1", "ministry") == [
        "data_request_available", "data_request_public_replies", "data_request_reply_share"]


# Units and good directions by hand: what a scorer may read depends on them.
PINNED_UNITS = {
    "catalogue_published": ("boolean", "high"), "search_available": ("boolean", "high"),
    "data_request_available": ("boolean", "high"), "data_request_public_replies": ("boolean", "high"),
    "classification_dimensions": ("count", "high"), "domains_covered": ("count", "high"),
    "timely_share": ("share", "high"), "api_share": ("share", "high"), "openness_stars_mean": ("stars", "high"),
    "stale_fast_claims": ("count", "low"), "errors_per_1000_rows": ("count", "low"),
    "fragmented_share": ("share", "low"), "data_request_reply_share": ("share", "high"),
}


@pytest.mark.parametrize(("measure_id", "expected"), PINNED_UNITS.items())
def test_pinned_units_and_directions(measure_id, expected):
    spec = registry()[measure_id]
    assert (spec.unit, spec.good) == expected


def test_every_registered_measure_declares_a_known_unit_direction_and_point():
    for spec in registry():
        assert spec.unit in {"share", "count", "days", "boolean", "stars"}, spec.id
        assert spec.good in {"high", "low"}, spec.id
        assert spec.point is None or spec.point in {"3.4.1-1", "3.4.1-2", "3.4.2-1", "3.4.2-2", "3.4.2-3",
                                                    "3.4.2-4", "3.4.3-1", "3.4.3-2"}, spec.id


# ---------------------------------------------------------------- the rules' parameters (rules profile), by hand


@pytest.mark.parametrize(("measure_id", "name", "value"), [
    ("timely_share", "grace_factor", 0.5),  # on time within period × 1.5 …
    ("timely_share", "grace_days", 7),  # … plus a week
    ("observed_cadence_share", "grace_factor", 0.5),
    ("observed_cadence_share", "grace_days", 7),
    ("stale_fast_claims", "stale_days", 90),
    ("fields_described_share", "described_field_share", 0.8),
    ("data_request_reply_share", "reply_days", 30),  # 及时: answered within 30 days
    ("tiny_datasets", "min_records", 10),
])
def test_rule_constants_are_listed_as_odq_defaults_with_their_values(measure_id, name, value):
    parameter = registry()[measure_id].parameter(name)
    assert parameter is not None
    assert parameter.value == value
    assert parameter.source == "odq-default"
    assert parameter.note and parameter.note_zh


def test_unknown_id_lookup_suggests_the_nearest():
    with pytest.raises(KeyError, match="did you mean timely_share"):
        registry()["timly_share"]


# ---------------------------------------------------------------- collecting


def _module(name: str, **specs: MeasureSpec) -> types.ModuleType:
    module = types.ModuleType(name)
    for attribute, spec in specs.items():
        setattr(module, attribute, spec)
    return module


def test_an_id_declared_twice_is_refused_naming_both_modules():
    one = MeasureSpec("timely_share", "frequency", "share", "及时", "timely")
    other = MeasureSpec("timely_share", "formats", "share", "及时", "timely, again")
    with pytest.raises(RegistryError) as excinfo:
        collect([_module("fam_a", TIMELY=one), _module("fam_b", AGAIN=other)])
    assert "'timely_share'" in str(excinfo.value)
    assert "fam_a" in str(excinfo.value) and "fam_b" in str(excinfo.value)


def test_a_spec_imported_into_another_module_is_one_measure():
    spec = MeasureSpec("api_share", "formats", "share", "接口", "API")
    found = collect([_module("fam_a", API=spec), _module("fam_b", API=spec, ALIAS=spec)])
    assert found.ids() == ["api_share"]
    assert found.modules["api_share"] == "fam_a"


def _rule(name: str, value: float, measures: tuple[str, ...]) -> RuleParameter:
    return RuleParameter("frequency", name, value, "ratio", "odq-default", "why", "为何", measures, "what", "何意")


def test_a_rule_parameter_for_a_measure_no_module_declares_is_an_error():
    spec = MeasureSpec("timely_share", "frequency", "share", "及时", "timely")
    with pytest.raises(RegistryError, match="'frequency.grace_factor'.*'timly_share'"):
        collect([_module("fam_a", TIMELY=spec)], [_rule("grace_factor", 0.5, ("timly_share",))])


def test_a_parameter_declared_on_the_spec_wins_over_the_rules_profile():
    from checks.measures import Parameter

    spec = MeasureSpec("timely_share", "frequency", "share", "及时", "timely",
                       parameters=(Parameter("grace_factor", 0.25, "odq-default", "declared"),))
    found = collect([_module("fam_a", TIMELY=spec)], [_rule("grace_factor", 0.5, ("timely_share",))])
    assert [(p.name, p.value) for p in found["timely_share"].parameters] == [("grace_factor", 0.25)]


def test_a_rule_parameter_is_attached_to_every_measure_it_shapes():
    one = MeasureSpec("timely_share", "frequency", "share", "及时", "timely")
    other = MeasureSpec("observed_cadence_share", "frequency", "share", "节奏", "cadence")
    found = collect([_module("fam_a", A=one, B=other)], [_rule("grace_days", 7, ("timely_share",
                                                                                 "observed_cadence_share"))])
    for measure in ("timely_share", "observed_cadence_share"):
        (parameter,) = found[measure].parameters
        assert (parameter.key, parameter.value, parameter.source) == ("frequency.grace_days", 7, "odq-default")


def test_the_rules_profile_values_are_listed_as_odq_defaults_of_their_measures():
    expected = {  # measure → (parameter, value), from the rules' documented values
        "timely_share": {("grace_factor", 0.5), ("grace_days", 7)},
        "stale_fast_claims": {("stale_days", 90)},
        "fields_described_share": {("described_field_share", 0.8)},
    }
    found = registry()
    for measure, parameters in expected.items():
        listed = {(p.name, p.value) for p in found[measure].parameters if p.source == "odq-default"}
        assert parameters <= listed, (measure, listed)


# ---------------------------------------------------------------- profiles checked against the registry


def write(tmp_path: Path, data: dict[str, Any] | str, name: str = "system.yaml") -> Path:
    path = tmp_path / name
    text = data if isinstance(data, str) else yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    path.write_text(text, encoding="utf-8")
    return path


def load_error(path: Path) -> str:
    with pytest.raises(ProfileError) as excinfo:
        load_system(str(path))
    return str(excinfo.value)


def test_misspelled_measure_id_fails_naming_file_key_and_the_near_id(tmp_path):
    text = (PROFILES_DIR / "indicators" / f"{WEBSITE}.yaml").read_text(encoding="utf-8")
    assert text.count("measure: timely_share,") == 1
    path = write(tmp_path, text.replace("measure: timely_share,", "measure: timly_share,"))
    assert load_error(path) == (f"{path}: key 'indicators.data-quality.points.2.measures.1.measure': "
                                "unknown measure 'timly_share' (did you mean timely_share?)")


def test_renamed_measure_id_in_a_shipped_profile_fails_to_load(tmp_path):
    text = (PROFILES_DIR / "indicators" / f"{DIGITAL_GOVERNMENT}.yaml").read_text(encoding="utf-8")
    path = write(tmp_path, text.replace("measure: data_request_available,", "measure: request_function,"))
    message = load_error(path)
    assert str(path) in message
    assert "indicators.3.4.3.points.1.measures.0.measure" in message and "'request_function'" in message


def test_unknown_id_in_measures_by_level_names_the_level(tmp_path):
    text = (PROFILES_DIR / "indicators" / f"{WEBSITE}.yaml").read_text(encoding="utf-8")
    path = write(tmp_path, text.replace("measure: data_request_reply_share,", "measure: reply_share,"))
    message = load_error(path)
    assert "indicators.development-use.points.1.measures_by_level.ministry.2.measure" in message


def minimal(component: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": "test", "name": "test", "source": "test", "levels": ["city"],
        "tiers": [{"min": 0.6, "label": "中等"}, {"min": 0.0, "label": "待改进"}],
        "indicators": [{"id": "i", "name": "i", "weights": {"city": 1},
                        "points": [{"id": "1", "name": "p", "measures": [component]}]}],
    }


KEY = "indicators.i.points.1.measures.0"


@pytest.mark.parametrize(("component", "key", "words"), [
    ({"measure": "data_request_available", "scorer": "linear", "zero": 0, "full": 1}, "scorer",
     ["boolean measure", "'linear'"]),
    ({"measure": "timely_share", "scorer": "boolean"}, "scorer", ["share measure", "'boolean'"]),
    ({"measure": "catalogue_published", "scorer": "coverage", "of": 1}, "scorer", ["boolean measure"]),
    ({"measure": "timely_share", "scorer": "share", "of": 12}, "of", ["not a parameter of the share scorer"]),
    ({"measure": "timely_share", "scorer": "share", "min_datasets": 3}, "min_datasets", ["share scorer"]),
    ({"measure": "domains_covered", "scorer": "coverage", "of": 12, "full": 6}, "full", ["coverage scorer"]),
    ({"measure": "api_share", "scorer": "share", "defaults": ["full"]}, "defaults", ["'full'", "not given"]),
])
def test_scorer_parameters_of_the_wrong_kind_are_refused(tmp_path, component, key, words):
    path = write(tmp_path, minimal(component))
    message = load_error(path)
    assert f"{path}: key '{KEY}.{key}'" in message
    for word in words:
        assert word in message


def test_coverage_without_of_is_refused(tmp_path):
    path = write(tmp_path, minimal({"measure": "domains_covered", "scorer": "coverage", "min_datasets": 3}))
    assert "key 'indicators.0.points.0.measures.0.of': a required key is missing" in load_error(path)  # the schema


def test_a_flagged_default_weight_need_not_be_written(tmp_path):
    system = load_system(str(write(tmp_path, minimal(
        {"measure": "api_share", "scorer": "share", "full": 0.3, "defaults": ["weight", "full"]}))))
    assert system["indicators"][0]["points"][0]["measures"][0]["defaults"] == ["weight", "full"]


def test_every_problem_is_reported_at_once(tmp_path):
    data = minimal({"measure": "timly_share", "scorer": "share"})
    data["indicators"][0]["points"][0]["measures"].append({"measure": "catalogue_publishd", "scorer": "boolean"})
    message = load_error(write(tmp_path, data))
    assert "'timly_share'" in message and "'catalogue_publishd'" in message
    assert len(message.splitlines()) == 2
