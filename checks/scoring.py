"""Scoring: measures (and an evaluator's facts) → assessment-point scores → indicator points → composite, tier, rank.

Scorers are a small closed set (share, linear, boolean, coverage); profiles choose among them and never carry
expressions. A measure that could not be taken is left out of its point and reported. A point with no value at all
"needs an evaluator's check" (待人工核验): it leaves the maximum instead of scoring 0, and the composite is the total
over the maximum that could be measured. An evaluator's fact fills a missing measure or point with its provenance;
it never silently replaces an automatic value: the automatic one stands and the fact is reported as a conflict,
unless the fact says `override: true`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypedDict

from checks.facts import Fact
from checks.registry import MeasureRegistry, registry
from harvester.profiles import ProfileError, load_profile
from profiles import PROFILES_DIR


@dataclass(frozen=True, slots=True)
class Scorer:
    """One scorer of the closed set: the measure units it can read and the profile parameters it takes."""

    units: tuple[str, ...]
    parameters: tuple[str, ...]


SCORERS: dict[str, Scorer] = {
    "boolean": Scorer(("boolean",), ("weight",)),
    "share": Scorer(("share",), ("weight", "full")),
    "linear": Scorer(("share", "count", "days", "stars"), ("weight", "zero", "full")),
    "coverage": Scorer(("count",), ("weight", "of", "min_datasets")),
}


# -- the score result (stored as JSON with the harvest; reports and exports read these keys) ----------------
class Provenance(TypedDict, total=False):
    source: str  # "evaluator"
    portal: str
    target: str
    measure: str | None
    system: str | None
    indicator: str | None
    point: str | None
    value: float
    evidence: str
    who: str
    when: str
    note: str | None
    override: bool
    origin: str


class ComponentScore(TypedDict, total=False):
    measure: str
    scorer: str
    weight: float
    value: float | None  # what the score used (for coverage: domains covered with the N below)
    measured_value: float | None  # the value as measured, when the scorer recounted it (coverage)
    score: float | None
    source: str | None  # "automatic" | "evaluator" | None (not measured)
    parameters: dict[str, Any]  # the scorer parameters used, e.g. {"of": 12, "min_datasets": 3}
    defaults: list[str]  # which of them are odq defaults
    coverage: dict[str, Any]  # coverage only: covered, of, min_datasets, uncovered
    fact: Provenance  # when an evaluator's fact gave the value
    overrides: float | None  # the automatic value a fact with override: true replaced


class PointScore(TypedDict, total=False):
    id: str
    name: str
    name_en: str | None
    weight: float
    weight_is_default: bool
    score: float | None  # None: needs an evaluator's check
    measured: bool  # some value (automatic or an evaluator's) was available
    needs_check: bool
    source: str | None  # "automatic" | "evaluator" | "mixed" | None
    points: float | None  # score × maximum
    maximum: float  # the point's share of its indicator's weight
    not_measured: list[str]
    components: list[ComponentScore]
    fact: Provenance  # a fact that gave the whole point's score


class IndicatorScore(TypedDict, total=False):
    id: str
    name: str
    name_en: str | None
    applicable: bool
    weight: float | None
    weights_are_default: bool
    score: float | None  # over the points that could be scored
    points: float | None
    maximum: float | None
    known_maximum: float | None
    needs_check: bool
    assessment_points: list[PointScore]


class NeedsCheck(TypedDict):
    indicator: str
    point: str
    name: str
    name_en: str | None
    measures: list[str]
    maximum: float
    reason: str
    reason_zh: str
    reason_en: str


class DefaultParameter(TypedDict, total=False):
    key: str  # language-neutral: "data-quality.4.domains_covered.min_datasets"
    scope: str  # indicator | point | component | measure
    indicator: str | None
    point: str | None
    measure: str | None
    parameter: str
    value: Any
    note_zh: str
    note_en: str
    source: str  # measure scope: odq-default, or override when the evaluator's rules file set the value
    unit: str


class FactConflict(TypedDict):
    indicator: str
    point: str
    measure: str | None
    automatic: float | None
    fact: Provenance
    resolution: str  # "automatic-stands" | "fact-overrides"


class ScoreResult(TypedDict, total=False):
    system: str
    system_name: str
    system_name_en: str | None
    level: str
    applicable: bool
    total: float | None
    maximum: float | None  # the scheme's maximum for the level
    full_maximum: float | None  # the same, named for reports that show both
    known_maximum: float | None  # the maximum without the points that need an evaluator's check
    composite: float | None  # total / known_maximum
    tier: str | None
    tier_en: str | None
    indicators: list[IndicatorScore]
    needs_check: list[NeedsCheck]
    odq_defaults: list[DefaultParameter]
    facts: list[Provenance]  # the evaluator's facts this score used
    fact_conflicts: list[FactConflict]
    defaults_note: str | None
    defaults_note_en: str | None


# -- loading indicator systems ------------------------------------------------------------------------------
def indicator_paths() -> list[Path]:
    return sorted((PROFILES_DIR / "indicators").glob("*.yaml"))


def load_system(reference: str) -> dict[str, Any]:
    """An indicator system by id or by the path of its profile."""
    path = Path(reference)
    if path.suffix in (".yaml", ".yml") and path.exists():
        return _checked(load_profile(path, "indicator"), path)
    for candidate in indicator_paths():
        if candidate.stem == reference:
            return _checked(load_profile(candidate, "indicator"), candidate)
    known = ", ".join(p.stem for p in indicator_paths())
    raise ProfileError(f"no indicator system {reference!r} (known: {known})")


def load_systems() -> list[dict[str, Any]]:
    return [_checked(load_profile(p, "indicator"), p) for p in indicator_paths()]


def _component_places(system: Mapping[str, Any]) -> Iterable[tuple[str, Mapping[str, Any]]]:
    """Every component with its key in the file: indicators.ID.points.ID.measures.N (or measures_by_level.L.N)."""
    for indicator in system["indicators"]:
        for point in indicator["points"]:
            for level, components in {None: point["measures"], **(point.get("measures_by_level") or {})}.items():
                for n, component in enumerate(components):
                    yield (f"indicators.{indicator['id']}.points.{point['id']}."
                           + (f"measures_by_level.{level}.{n}" if level else f"measures.{n}")), component


def _checked(system: dict[str, Any], path: Path, measures: MeasureRegistry | None = None) -> dict[str, Any]:
    """What JSON Schema cannot say: tiers descend, point ids are unique, every measure exists and suits its scorer."""
    measures = measures or registry()
    problems: list[str] = []
    bounds = [t["min"] for t in system["tiers"]]
    if bounds != sorted(bounds, reverse=True) or bounds[-1] != 0:
        problems.append(f"{path}: key 'tiers': expected lower bounds in descending order ending at 0, got {bounds}")
    for where, component in _component_places(system):
        problems.extend(f"{path}: key '{key}': {problem}" for key, problem in _component_problems(
            where, component, measures))
    for indicator in system["indicators"]:
        ids = [p["id"] for p in indicator["points"]]
        if len(ids) != len(set(ids)):
            problems.append(f"{path}: key 'indicators.{indicator['id']}.points': expected unique point ids")
    if problems:
        raise ProfileError("\n".join(problems))
    return system


def _component_problems(where: str, component: Mapping[str, Any],
                        measures: MeasureRegistry) -> list[tuple[str, str]]:
    kind = component["scorer"]
    scorer = SCORERS[kind]  # the schema has already refused anything outside the closed set
    problems = []
    spec = measures.get(component["measure"])
    if spec is None:
        problems.append((f"{where}.measure", measures.unknown(component["measure"])))
    elif spec.unit not in scorer.units:
        fitting = [name for name, s in SCORERS.items() if spec.unit in s.units]
        problems.append((f"{where}.scorer", f"expected a scorer for a {spec.unit} measure ({', '.join(fitting)}), "
                                            f"got {kind!r} for {spec.id}"))
    for key in ("zero", "full", "of", "min_datasets"):
        if key in component and key not in scorer.parameters:
            problems.append((f"{where}.{key}", f"not a parameter of the {kind} scorer (it takes: "
                                               f"{', '.join(scorer.parameters)})"))
    if kind == "share" and component.get("full", 1.0) <= 0:
        problems.append((f"{where}.full", "expected a share above 0"))
    if kind == "linear" and "zero" in component and component["zero"] == component.get("full"):
        problems.append((f"{where}.zero", "expected zero and full to differ"))
    for name in component.get("defaults") or []:
        if name != "weight" and name not in component:  # an unstated weight is the default 1, still odq's choice
            problems.append((f"{where}.defaults", f"{name!r} is flagged as an odq default but not given"))
    return problems


# -- scorers ------------------------------------------------------------------------------------------------
def _value(measure: Mapping[str, Any] | None) -> float | None:
    value = None if measure is None else measure.get("value")
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return value


def _coverage(component: Mapping[str, Any], measure: Mapping[str, Any]) -> dict[str, Any]:
    """Domains covered with the profile's N when the measure keeps its counts, else with the N it was taken with."""
    detail = measure.get("detail") or {}
    counts, wanted = detail.get("counts"), component.get("min_datasets")
    if wanted and isinstance(counts, dict):
        uncovered = [name for name, n in counts.items() if not (n is not None and n >= wanted)]
        return {"covered": sum(1 for n in counts.values() if n is not None and n >= wanted), "of": component["of"],
                "min_datasets": wanted, "uncovered": uncovered}
    return {"covered": _value(measure), "of": component["of"], "min_datasets": detail.get("min_datasets", wanted),
            "uncovered": detail.get("missing")}


def score_component(component: Mapping[str, Any], measure: Mapping[str, Any] | None) -> float | None:
    """One measure through its scorer, in [0, 1]; None when the measure was not taken."""
    value = _value(measure)
    if value is None:
        return None
    kind = component["scorer"]
    if kind == "boolean":
        return 1.0 if value else 0.0
    if kind == "share":
        full = float(component.get("full", 1.0))
        return max(0.0, min(1.0, float(value) / full))
    if kind == "linear":
        zero, full = float(component["zero"]), float(component["full"])
        return max(0.0, min(1.0, (float(value) - zero) / (full - zero)))
    if kind == "coverage":
        covered = _coverage(component, measure or {})["covered"]
        return max(0.0, min(1.0, float(covered) / float(component["of"])))
    raise ProfileError(f"unknown scorer {kind!r}")


def tier_for(composite: float, tiers: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    for tier in tiers:  # descending lower bounds, inclusive
        if composite >= tier["min"] - 1e-12:
            return {"label": tier["label"], "label_en": tier.get("label_en", tier["label"])}
    raise ValueError(f"no tier for {composite}")


# -- scoring ------------------------------------------------------------------------------------------------
@dataclass(slots=True)
class _Facts:
    """The facts of one portal, and what scoring did with them."""

    by_measure: dict[str, Fact]
    by_point: list[Fact]
    used: dict[str, Provenance]
    conflicts: list[FactConflict]

    @classmethod
    def of(cls, facts: Sequence[Fact] | None) -> _Facts:
        facts = list(facts or [])
        if len({f.portal for f in facts}) > 1:
            raise ValueError(f"facts of several portals given to one score: {sorted({f.portal for f in facts})}")
        return cls({f.measure: f for f in facts if f.measure}, [f for f in facts if not f.measure], {}, [])

    def point_fact(self, system_id: str, indicator_id: str, point_id: str) -> Fact | None:
        return next((f for f in self.by_point if f.applies_to_point(system_id, indicator_id, point_id)), None)

    def use(self, fact: Fact) -> Provenance:
        provenance: Provenance = fact.provenance()  # type: ignore[assignment]
        self.used[fact.origin] = provenance
        return provenance

    def conflict(self, fact: Fact, indicator_id: str, point_id: str, automatic: float | None) -> None:
        resolution = "fact-overrides" if fact.override else "automatic-stands"
        self.conflicts.append({"indicator": str(indicator_id), "point": str(point_id), "measure": fact.measure,
                               "automatic": automatic, "fact": fact.provenance(),  # type: ignore[typeddict-item]
                               "resolution": resolution})


def _parameters(component: Mapping[str, Any]) -> dict[str, Any]:
    return {k: component[k] for k in SCORERS[component["scorer"]].parameters if k in component and k != "weight"}


def _score_component(component: Mapping[str, Any], measure: Mapping[str, Any] | None, fact: Fact | None,
                     facts: _Facts, indicator_id: str, point_id: str) -> ComponentScore:
    automatic = _value(measure)
    source: str | None = None if automatic is None else "automatic"
    used: Mapping[str, Any] | None = measure if automatic is not None else None
    scored: ComponentScore = {}
    if fact is not None:
        if automatic is not None:
            facts.conflict(fact, indicator_id, point_id, automatic)
        if automatic is None or fact.override:
            used, source = {"measure_id": fact.measure, "value": fact.value}, "evaluator"
            scored["fact"] = facts.use(fact)
            if automatic is not None:
                scored["overrides"] = automatic
    value = _value(used)
    result: ComponentScore = {
        "measure": component["measure"], "scorer": component["scorer"], "weight": component.get("weight", 1.0),
        "value": value, "score": score_component(component, used), "source": source,
        "parameters": _parameters(component), "defaults": list(component.get("defaults") or []), **scored,
    }
    if component["scorer"] == "coverage" and used is not None:
        coverage = _coverage(component, used)
        result.update(value=coverage["covered"], measured_value=value, coverage=coverage)
    return result


def _score_point(
    system: Mapping[str, Any], indicator: Mapping[str, Any], point: Mapping[str, Any], level: str,
    by_id: Mapping[str, Mapping[str, Any]], facts: _Facts, maximum: float,
) -> tuple[PointScore, float | None]:
    """One point's score and its unrounded value (None: needs an evaluator's check)."""
    components = (point.get("measures_by_level") or {}).get(level, point["measures"])
    scored = [_score_component(c, by_id.get(c["measure"]), facts.by_measure.get(c["measure"]), facts,
                               indicator["id"], point["id"]) for c in components]
    taken = [c for c in scored if c["score"] is not None]
    point_fact = facts.point_fact(system["id"], indicator["id"], point["id"])
    automatic = [c for c in taken if c["source"] == "automatic"]
    extra: dict[str, Any] = {}
    if point_fact is not None and automatic:
        weight_auto = sum(c["weight"] for c in automatic)
        facts.conflict(point_fact, indicator["id"], point["id"],
                       sum(c["score"] * c["weight"] for c in automatic) / weight_auto)  # type: ignore[operator]
    if point_fact is not None and (not automatic or point_fact.override):
        value: float | None = max(0.0, min(1.0, point_fact.value))
        source: str | None = "evaluator"
        extra["fact"] = facts.use(point_fact)
    elif taken:
        weight_taken = sum(c["weight"] for c in taken)
        value = sum(c["score"] * c["weight"] for c in taken) / weight_taken  # type: ignore[operator]
        sources = {c["source"] for c in taken}
        source = sources.pop() if len(sources) == 1 else "mixed"
    else:
        value, source = None, None
    return {
        "id": point["id"], "name": (point.get("name_by_level") or {}).get(level, point["name"]),
        "name_en": (point.get("name_en_by_level") or {}).get(level, point.get("name_en")),
        "weight": point.get("weight", 1.0), "weight_is_default": point.get("weight_is_default", False),
        "score": None if value is None else round(value, 4), "measured": value is not None,
        "needs_check": value is None, "source": source,
        "points": None if value is None else round(value * maximum, 3), "maximum": round(maximum, 4),
        "not_measured": [c["measure"] for c in scored if c["score"] is None], "components": scored, **extra,
    }, value  # type: ignore[return-value]


def _needs_check(indicator: Mapping[str, Any], point: PointScore, measures: MeasureRegistry) -> NeedsCheck:
    missing = point["not_measured"]
    specs = [measures.get(m) for m in missing]
    titles_zh = "、".join(s.title_zh if s else m for s, m in zip(specs, missing, strict=True))
    titles_en = "; ".join(s.title_en if s else m for s, m in zip(specs, missing, strict=True))
    return {
        "indicator": str(indicator["id"]), "point": str(point["id"]), "name": point["name"],
        "name_en": point.get("name_en"), "measures": missing,
        "maximum": point["maximum"], "reason": "not-measurable",
        "reason_zh": f"无法从外部测得（{titles_zh}），未计入满分；需评估人员核验并补录事实",
        "reason_en": f"odq could not measure this from outside ({titles_en}); left out of the maximum until an "
                     "evaluator records the fact",
    }


def _measure_parameters(measure_id: str, taken: Mapping[str, Any] | None,
                        measures: MeasureRegistry) -> list[dict[str, Any]]:
    """The rule parameters a measure was taken with and the scheme does not give: as stored with the measure
    (the values the assessment used, overrides included), else the registry's defaults (older assessments)."""
    stored = ((taken or {}).get("detail") or {}).get("parameters")
    if isinstance(stored, list):
        return [{"name": p.get("name"), "value": p.get("value"), "unit": p.get("unit") or "",
                 "source": p.get("source"), "note_en": f"{p.get('meaning', '')}; {p.get('reason', '')}",
                 "note_zh": f"{p.get('meaning_zh', '')}；{p.get('reason_zh', '')}"}
                for p in stored if isinstance(p, dict) and p.get("source") != "published"]
    return [{"name": p.name, "value": p.value, "unit": p.unit, "source": p.source, "note_en": p.note,
             "note_zh": p.note_zh} for p in measures.odq_defaults(measure_id)]


def _odq_defaults(system: Mapping[str, Any], indicators: list[IndicatorScore], level: str,
                  measures: MeasureRegistry, taken: Mapping[str, Mapping[str, Any]] | None = None,
                  ) -> list[DefaultParameter]:
    """Every number the score used that the published scheme does not give: for the report's methodology."""
    taken = taken or {}
    found: list[DefaultParameter] = []
    seen_measures: set[str] = set()
    declared = {str(i["id"]): i for i in system["indicators"]}
    for indicator in indicators:
        if not indicator["applicable"]:
            continue
        iid = str(indicator["id"])
        if indicator.get("weights_are_default"):
            found.append({"scope": "indicator", "indicator": iid, "point": None, "measure": None,
                          "parameter": "weight", "value": indicator["weight"],
                          "note_zh": f"指标“{indicator.get('name') or iid}”在该级别的权重",
                          "note_en": f"weight of indicator {iid} at level {level}"})
        points = {str(p["id"]): p for p in declared[iid]["points"]}
        for point in indicator["assessment_points"]:
            pid = str(point["id"])
            if point["weight_is_default"]:
                found.append({"scope": "point", "indicator": iid, "point": pid, "measure": None,
                              "parameter": "weight", "value": point["weight"],
                              "note_zh": f"评估要点“{point.get('name') or pid}”在指标内的权重",
                              "note_en": f"weight of assessment point {iid}-{pid} within its indicator"})
            declared_components = (points[pid].get("measures_by_level") or {}).get(level, points[pid]["measures"])
            for component, scored in zip(declared_components, point["components"], strict=True):
                for name in component.get("defaults") or []:
                    weight = name == "weight"  # the component's note explains its rule's parameters, not its weight
                    found.append({"scope": "component", "indicator": iid, "point": pid,
                                  "measure": component["measure"], "parameter": name,
                                  "value": component.get(name, 1.0),
                                  "note_zh": "测量项在评估要点内的权重" if weight else component.get("note", ""),
                                  "note_en": "weight of the measure within its assessment point" if weight
                                  else component.get("note_en", "")})
                if scored["measure"] in seen_measures:
                    continue
                seen_measures.add(scored["measure"])
                for parameter in _measure_parameters(scored["measure"], taken.get(scored["measure"]), measures):
                    found.append({"scope": "measure", "indicator": iid, "point": pid, "measure": scored["measure"],
                                  "parameter": parameter["name"], "value": parameter["value"],
                                  "unit": parameter["unit"], "source": parameter["source"],
                                  "note_zh": parameter["note_zh"], "note_en": parameter["note_en"]})
    for entry in found:
        parts = (entry["indicator"], entry["point"], entry["measure"], entry["parameter"])
        entry["key"] = ".".join(str(part) for part in parts if part is not None)
    return found


def score(system: dict[str, Any], level: str, measures: Iterable[Mapping[str, Any]],
          facts: Sequence[Fact] | None = None) -> ScoreResult:
    """The full, traceable scoring of one portal's measures under one indicator system and level.

    `facts` are one portal's evaluator facts (checks.facts.FactSheet.for_portal); they fill what odq could not
    measure, with their provenance in the result.
    """
    by_id = {m["measure_id"]: m for m in measures}
    known_facts = _Facts.of(facts)
    indicators: list[IndicatorScore] = []
    needs_check: list[NeedsCheck] = []
    total = maximum = known_maximum = 0.0
    for indicator in system["indicators"]:
        weight = indicator["weights"].get(level)
        if weight is None:
            indicators.append({"id": indicator["id"], "name": indicator["name"],
                               "name_en": indicator.get("name_en"), "applicable": False,
                               "weight": None, "points": None, "score": None, "maximum": None,
                               "known_maximum": None, "needs_check": False, "assessment_points": []})
            continue
        applicable = [p for p in indicator["points"] if not p.get("levels") or level in p["levels"]]
        point_weight = sum(p.get("weight", 1.0) for p in applicable)
        shares = [weight * p.get("weight", 1.0) / point_weight for p in applicable]
        scored = [_score_point(system, indicator, p, level, by_id, known_facts, share)
                  for p, share in zip(applicable, shares, strict=True)]
        points = [p for p, _ in scored]
        known = [(value, share) for (_, value), share in zip(scored, shares, strict=True) if value is not None]
        needs_check.extend(_needs_check(indicator, p, registry()) for p in points if p["needs_check"])
        earned = sum(value * share for value, share in known)
        indicator_known = sum(share for _, share in known)
        total += earned
        maximum += weight
        known_maximum += indicator_known
        indicators.append({
            "id": indicator["id"], "name": indicator["name"], "name_en": indicator.get("name_en"),
            "applicable": True, "weight": weight,
            "weights_are_default": indicator.get("weights_are_default", False),
            "score": round(earned / indicator_known, 4) if indicator_known else None,
            "points": round(earned, 3) if known else None, "maximum": weight,
            "known_maximum": round(indicator_known, 4), "needs_check": bool(points) and not known,
            "assessment_points": points,
        })
    applicable_level = maximum > 0
    composite = round(total / known_maximum, 4) if applicable_level and known_maximum > 0 else None
    tier = tier_for(composite, system["tiers"]) if composite is not None else None
    return {
        "system": system["id"], "system_name": system["name"], "system_name_en": system.get("name_en"),
        "level": level, "applicable": applicable_level,
        "total": round(total, 3) if applicable_level else None,
        "maximum": maximum if applicable_level else None, "full_maximum": maximum if applicable_level else None,
        "known_maximum": round(known_maximum, 4) if applicable_level else None,
        "composite": composite, "tier": tier["label"] if tier else None, "tier_en": tier["label_en"] if tier else None,
        "indicators": indicators, "needs_check": needs_check,
        "odq_defaults": _odq_defaults(system, indicators, level, registry(), by_id) if applicable_level else [],
        "facts": list(known_facts.used.values()), "fact_conflicts": known_facts.conflicts,
        "defaults_note": system.get("defaults_note"), "defaults_note_en": system.get("defaults_note_en"),
    }


@dataclass(frozen=True, slots=True)
class Ranked:
    portal_id: str
    composite: float
    rank: int
    tied: bool  # 并列: shares its rank with another portal


def rank(composites: Mapping[str, float]) -> list[Ranked]:
    """Competition ranking (1, 2, 2, 4): equal scores share a rank, written 并列, and the next rank skips."""
    ordered = sorted(composites.items(), key=lambda item: (-round(item[1], 4), item[0]))
    ranked: list[Ranked] = []
    for position, (portal_id, composite) in enumerate(ordered, start=1):
        same = [r for r in ranked if round(r.composite, 4) == round(composite, 4)]
        place = same[0].rank if same else position
        ranked.append(Ranked(portal_id, composite, place, False))
    counts: dict[int, int] = {}
    for r in ranked:
        counts[r.rank] = counts.get(r.rank, 0) + 1
    return [Ranked(r.portal_id, r.composite, r.rank, counts[r.rank] > 1) for r in ranked]


def coverage_threshold(systems: Iterable[Mapping[str, Any]] | None = None) -> int | None:
    """How many datasets make a domain covered under the indicator systems (the highest N when they differ), so the
    measure that is displayed is counted with the N that is scored."""
    systems = load_systems() if systems is None else systems
    found = [component.get("min_datasets") for system in systems for indicator in system["indicators"]
             for point in indicator["points"] for component in point["measures"]
             if component["measure"] == "domains_covered"]
    return max((int(n) for n in found if n), default=None)
