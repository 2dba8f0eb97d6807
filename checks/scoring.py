"""Scoring: measures → assessment-point scores → indicator points → composite index, tier and rank.

Scorers are a small closed set (share, linear, boolean, coverage); profiles choose among them and
never carry expressions. A measure that could not be taken is left out of its point and reported.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harvester.profiles import ProfileError, load_profile
from profiles import PROFILES_DIR


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


def _checked(system: dict[str, Any], path: Path) -> dict[str, Any]:
    """What JSON Schema cannot say: tiers descend, point ids are unique."""
    bounds = [t["min"] for t in system["tiers"]]
    if bounds != sorted(bounds, reverse=True) or bounds[-1] != 0:
        raise ProfileError(f"{path}: key 'tiers': expected lower bounds in descending order ending at 0, got {bounds}")
    for indicator in system["indicators"]:
        for point in indicator["points"]:
            for level, components in {None: point["measures"], **(point.get("measures_by_level") or {})}.items():
                for n, component in enumerate(components):
                    where = f"indicators.{indicator['id']}.points.{point['id']}." + (
                        f"measures_by_level.{level}.{n}" if level else f"measures.{n}")
                    if component["scorer"] == "share" and component.get("full", 1.0) <= 0:
                        raise ProfileError(f"{path}: key '{where}.full': expected a share above 0")
                    if component["scorer"] == "linear" and component["zero"] == component["full"]:
                        raise ProfileError(f"{path}: key '{where}.zero': expected zero and full to differ")
        ids = [p["id"] for p in indicator["points"]]
        if len(ids) != len(set(ids)):
            raise ProfileError(f"{path}: key 'indicators.{indicator['id']}.points': expected unique point ids")
    return system


def score_component(component: Mapping[str, Any], measure: Mapping[str, Any] | None) -> float | None:
    """One measure through its scorer, in [0, 1]; None when the measure was not taken."""
    value = None if measure is None else measure.get("value")
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
        counts = (measure.get("detail") or {}).get("counts") if measure else None
        if component.get("min_datasets") and isinstance(counts, dict):
            # The profile sets how many datasets make a domain covered; the measure keeps the counts.
            value = sum(1 for n in counts.values() if n >= component["min_datasets"])
        return max(0.0, min(1.0, float(value) / float(component["of"])))
    raise ProfileError(f"unknown scorer {kind!r}")


def tier_for(composite: float, tiers: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    for tier in tiers:  # descending lower bounds, inclusive
        if composite >= tier["min"] - 1e-12:
            return {"label": tier["label"], "label_en": tier.get("label_en", tier["label"])}
    raise ValueError(f"no tier for {composite}")


def score(system: dict[str, Any], level: str, measures: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The full, traceable scoring of one portal's measures under one indicator system and level."""
    by_id = {m["measure_id"]: m for m in measures}
    indicators = []
    total = maximum = 0.0
    for indicator in system["indicators"]:
        weight = indicator["weights"].get(level)
        if weight is None:
            indicators.append({"id": indicator["id"], "name": indicator["name"], "applicable": False,
                               "weight": None, "points": None, "score": None, "assessment_points": []})
            continue
        points = []
        for point in indicator["points"]:
            if point.get("levels") and level not in point["levels"]:
                continue
            components = (point.get("measures_by_level") or {}).get(level, point["measures"])
            scored = []
            for component in components:
                measure = by_id.get(component["measure"])
                scored.append({
                    "measure": component["measure"], "scorer": component["scorer"],
                    "weight": component.get("weight", 1.0),
                    "value": None if measure is None else measure.get("value"),
                    "score": score_component(component, measure),
                })
            taken = [c for c in scored if c["score"] is not None]
            weight_taken = sum(c["weight"] for c in taken)
            point_score = sum(c["score"] * c["weight"] for c in taken) / weight_taken if weight_taken else 0.0
            points.append({
                "id": point["id"], "name": (point.get("name_by_level") or {}).get(level, point["name"]),
                "weight": point.get("weight", 1.0), "weight_is_default": point.get("weight_is_default", False),
                "score": round(point_score, 4), "measured": bool(taken),
                "not_measured": [c["measure"] for c in scored if c["score"] is None], "components": scored,
            })
        point_weight = sum(p["weight"] for p in points)
        indicator_score = sum(p["score"] * p["weight"] for p in points) / point_weight if point_weight else 0.0
        earned = indicator_score * weight
        total += earned
        maximum += weight
        indicators.append({
            "id": indicator["id"], "name": indicator["name"], "applicable": True, "weight": weight,
            "weights_are_default": indicator.get("weights_are_default", False),
            "score": round(indicator_score, 4), "points": round(earned, 3), "assessment_points": points,
        })
    applicable = maximum > 0
    composite = round(total / maximum, 4) if applicable else None
    return {
        "system": system["id"], "system_name": system["name"], "level": level, "applicable": applicable,
        "total": round(total, 3) if applicable else None, "maximum": maximum if applicable else None,
        "composite": composite, "tier": tier_for(composite, system["tiers"])["label"] if applicable else None,
        "indicators": indicators, "defaults_note": system.get("defaults_note"),
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
