"""The parameters of the measures' rules (grace, windows, thresholds): declared here, valued in a rules profile.

Each family's rules are a frozen dataclass whose fields declare a parameter's type, unit, range, meaning and the
measures that use it; the values, their provenance (published with a reference, or an odq default) and a reason
live in `profiles/rules/odq-default.yaml`. An evaluator may override values for one assessment with a rules file
of the same shape (`odq assess PORTAL --rules FILE`); every value used is stored with the measures it shaped.

Rules apply to the whole assessment, not to an indicator system: measures are taken once and scored under several
systems, so a measure's rule cannot differ by system. Nor by portal: portals ranked together are judged alike.
"""

from __future__ import annotations

import copy
import json
import typing
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from functools import cache
from pathlib import Path
from typing import Any

from harvester.profiles import load_yaml, validate_against
from profiles import PROFILES_DIR

DEFAULT_RULES = PROFILES_DIR / "rules" / "odq-default.yaml"
SOURCES = ("published", "odq-default", "override")  # override: set by the evaluator's rules file for one assessment


def parameter(unit: str, measures: tuple[str, ...], *, minimum: float, maximum: float, meaning: str,
              meaning_zh: str) -> Any:
    """A rule parameter's declaration; its value has no default here, it comes from the rules profile."""
    return field(metadata={"unit": unit, "measures": measures, "minimum": minimum, "maximum": maximum,
                           "meaning": meaning, "meaning_zh": meaning_zh})


@dataclass(frozen=True, slots=True)
class FrequencyRules:
    """checks.frequency: when a dataset is late, and when a claim of fast updates has gone stale."""

    grace_factor: float = parameter(
        "ratio", ("timely_share", "observed_cadence_share"), minimum=0, maximum=10,
        meaning="on time when modified within period × (1 + grace_factor) + grace_days; across harvests a gap "
                "longer than twice that misses the cadence",
        meaning_zh="更新间隔不超过 声明周期 ×（1 + 宽限系数）+ 宽限天数 即为及时；"
                   "多次采集间超过其两倍未变即为未按频度更新")
    grace_days: int = parameter(
        "days", ("timely_share", "observed_cadence_share"), minimum=0, maximum=366,
        meaning="days added to the declared period (and to twice it) before a dataset counts as late",
        meaning_zh="判定逾期前在声明周期（及其两倍）之外另加的宽限天数")
    stale_days: int = parameter(
        "days", ("stale_fast_claims",), minimum=1, maximum=3660,
        meaning="a dataset declaring real-time or daily updates and untouched for more days than this is flagged",
        meaning_zh="声称实时/每日更新但超过该天数未更新即标记")


@dataclass(frozen=True, slots=True)
class FieldRules:
    """checks.fields: when a dataset's fields count as described."""

    described_field_share: float = parameter(
        "share", ("fields_described_share",), minimum=0, maximum=1,
        meaning="a dataset counts as documented when at least this share of its fields is described",
        meaning_zh="数据集中有说明的字段达到该比例即视为说明充分")


@dataclass(frozen=True, slots=True)
class UsageRules:
    """checks.usage: when a data request counts as answered in time."""

    reply_days: int = parameter(
        "days", ("data_request_reply_share",), minimum=1, maximum=366,
        meaning="a data request answered within this many days counts as answered in time; one open longer "
                "is late",
        meaning_zh="申请在该天数内得到答复即视为及时答复；超过该天数仍未答复即为逾期")


@dataclass(frozen=True, slots=True)
class FormatRules:
    """checks.formats: when a dataset is too small to be data."""

    min_records: int = parameter(
        "records", ("tiny_datasets",), minimum=1, maximum=1_000_000,
        meaning="a dataset the portal says holds fewer records than this is tiny",
        meaning_zh="平台标称的数据条数少于该值即为数据量过小")


FAMILIES: dict[str, type] = {"frequency": FrequencyRules, "fields": FieldRules, "usage": UsageRules,
                             "formats": FormatRules}


@dataclass(frozen=True, slots=True)
class RuleParameter:
    """One parameter as an assessment used it: its value, where the value came from and why."""

    family: str
    name: str
    value: float | int
    unit: str
    source: str  # published | odq-default | override
    reason: str
    reason_zh: str
    measures: tuple[str, ...]
    meaning: str
    meaning_zh: str
    reference: str | None = None  # where a published scheme gives it
    origin: str = ""  # the rules file the value was read from
    default: float | int | None = None  # odq's default, when an override replaced it

    @property
    def key(self) -> str:
        return f"{self.family}.{self.name}"

    def as_json(self) -> dict[str, Any]:
        return {"key": self.key, "family": self.family, "name": self.name, "value": self.value, "unit": self.unit,
                "source": self.source, "reference": self.reference, "reason": self.reason,
                "reason_zh": self.reason_zh, "meaning": self.meaning, "meaning_zh": self.meaning_zh,
                "measures": list(self.measures), "origin": self.origin, "default": self.default}


@dataclass(frozen=True, slots=True)
class Rules:
    """Every rule parameter of one assessment, per family for the check modules and as a list for the record."""

    frequency: FrequencyRules
    fields: FieldRules
    usage: UsageRules
    formats: FormatRules
    parameters: tuple[RuleParameter, ...]
    origins: tuple[str, ...]  # the default profile, then each override file

    def for_measure(self, measure_id: str) -> list[RuleParameter]:
        return [p for p in self.parameters if measure_id in p.measures]

    def overridden(self) -> list[RuleParameter]:
        return [p for p in self.parameters if p.default is not None]


def declarations() -> Iterable[tuple[str, Any, type]]:
    """(family, dataclass field, value type) of every declared parameter, in declaration order."""
    for family, cls in FAMILIES.items():
        hints = typing.get_type_hints(cls)
        for declared in fields(cls):
            yield family, declared, hints[declared.name]


# -- the schema, completed from the declarations --------------------------------------------------------------
@cache
def _static_schema() -> dict[str, Any]:
    return json.loads((PROFILES_DIR / "schemas" / "rules.schema.json").read_text(encoding="utf-8"))


def rules_schema(complete: bool) -> dict[str, Any]:
    """The rules profile's schema. complete: the shipped default, which gives every parameter with its unit,
    provenance and reasons in both languages; otherwise an override, which gives some values with a reason."""
    root = copy.deepcopy(_static_schema())
    families: dict[str, Any] = {}
    for family, declared, kind in declarations():
        meta = declared.metadata
        value = {"type": "integer" if kind is int else "number", "minimum": meta["minimum"],
                 "maximum": meta["maximum"]}
        entry = {"allOf": [{"$ref": "#/$defs/entry"}],
                 "properties": {"value": value, "unit": {"enum": [meta["unit"]]}}}
        if complete:
            entry["required"] = ["value", "unit", "source", "reason", "reason_zh"]
        else:
            entry["properties"]["source"] = {
                "enum": ["published"],
                "x-expected": "published (with a reference), or no source for the evaluator's own value"}
        section = families.setdefault(family, {"type": "object", "additionalProperties": False, "properties": {}})
        section["properties"][declared.name] = entry
        if complete:
            section.setdefault("required", []).append(declared.name)
    parameters = root["properties"]["parameters"]
    parameters["properties"] = families
    if complete:
        parameters["required"] = list(families)
    return root


def _read(path: Path, complete: bool) -> dict[str, Any]:
    data = load_yaml(path)
    validate_against(data, rules_schema(complete), path)
    return data


def _shown_path(path: Path) -> str:
    """The shipped profile by its place in odq (the same on every machine); an evaluator's file as given."""
    try:
        return str(path.resolve().relative_to(PROFILES_DIR.parent))
    except ValueError:
        return str(path)


# -- loading ---------------------------------------------------------------------------------------------------
def load_rules(overrides: Sequence[Path] = (), default: Path = DEFAULT_RULES) -> Rules:
    """The default rules profile with each override file applied in order; a bad file is a ProfileError naming
    the file, the key and what was expected."""
    base = _read(Path(default), complete=True)
    entries: dict[tuple[str, str], RuleParameter] = {}
    origin = _shown_path(Path(default))
    for family, declared, kind in declarations():
        given = base["parameters"][family][declared.name]
        entries[(family, declared.name)] = _parameter(family, declared, kind, given, origin)
    for path in overrides:
        data = _read(Path(path), complete=False)
        for family, given_family in (data["parameters"] or {}).items():
            for name, given in given_family.items():
                default_entry = entries[(family, name)]
                declared = next(f for f in fields(FAMILIES[family]) if f.name == name)
                kind = typing.get_type_hints(FAMILIES[family])[name]
                entry = _parameter(family, declared, kind, given, str(path))
                entries[(family, name)] = _with_default(entry, default_entry)
    return _assembled(tuple(entries.values()), (origin, *(str(p) for p in overrides)))


def _parameter(family: str, declared: Any, kind: type, given: Mapping[str, Any], origin: str) -> RuleParameter:
    meta = declared.metadata
    value = kind(given["value"])  # the schema has checked type and range; 7.0 for an integer becomes 7
    return RuleParameter(
        family=family, name=declared.name, value=value, unit=meta["unit"],
        source=given.get("source") or "override", reason=given["reason"],
        reason_zh=given.get("reason_zh") or given["reason"], measures=tuple(meta["measures"]),
        meaning=meta["meaning"], meaning_zh=meta["meaning_zh"], reference=given.get("reference"), origin=origin)


def _with_default(entry: RuleParameter, default_entry: RuleParameter) -> RuleParameter:
    """An override keeps odq's default beside it, so a report shows what was changed from what."""
    first_default = default_entry.default if default_entry.default is not None else default_entry.value
    return replace(entry, default=first_default)


def _assembled(parameters: tuple[RuleParameter, ...], origins: tuple[str, ...]) -> Rules:
    by_family: dict[str, dict[str, Any]] = {family: {} for family in FAMILIES}
    for p in parameters:
        by_family[p.family][p.name] = p.value
    return Rules(**{family: FAMILIES[family](**values) for family, values in by_family.items()},
                 parameters=parameters, origins=origins)


@cache
def default_rules() -> Rules:
    """The shipped rules profile: what every assessment uses unless the evaluator overrides a value."""
    return load_rules()
