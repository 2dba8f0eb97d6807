"""A round's results as evaluators publish them, computed only from what the round pinned.

Per level: the ranking with 并列 ties and skipped ranks, the tier distribution with the portals of each tier in
pinyin order, and the most improved portals against the previous round of the same system. Across the round:
优良率 per group and indicator, the common problems with named examples, and the methodology.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from checks.scoring import rank
from reports.messages import LEVELS
from reports.rounds.pinyin import pinyin_key
from reports.rounds.store import PortalEntry, Round

MOST_IMPROVED = 5  # portals named per level as 进步幅度较大 (odq default: the evaluators name a handful)
PROBLEM_EXAMPLES = 3  # worst named portals per common problem (odq default)
FINDING_TYPES = 20  # the most frequent finding types listed (odq default)
GOOD_TIER = "良好"  # 优良率: the share rated at least 良好 (卓越, 优秀 and 良好 in the five-tier scheme)


@dataclass(slots=True)
class Named:
    portal_id: str
    name: str


@dataclass(slots=True)
class RankedPortal:
    portal_id: str
    name: str
    region: str | None
    group: str
    rank: int
    tied: bool  # 并列
    composite: float
    tier: str | None
    tier_en: str | None
    total: float | None
    maximum: float | None
    known_maximum: float | None
    harvest_id: int | None
    harvested_at: str | None
    indicators: list[dict[str, Any]]  # id, name, name_en, points, maximum, score
    points: list[dict[str, Any]]  # indicator, id, name, name_en, score, points, maximum, needs_check


@dataclass(slots=True)
class TierCount:
    label: str
    label_en: str
    min: float
    count: int
    share: float | None  # of the level's ranked portals
    portals: list[Named]  # pinyin order of the names' first characters


@dataclass(slots=True)
class Improvement:
    portal_id: str
    name: str
    composite: float
    previous_composite: float
    change: float
    rank: int
    previous_rank: int
    rank_change: int  # places gained (positive: moved up)


@dataclass(slots=True)
class NotEvaluated:
    portal_id: str
    name: str
    reason: str
    harvest_id: int | None


@dataclass(slots=True)
class LevelResults:
    level: str
    name_zh: str
    name_en: str
    ranking: list[RankedPortal]
    tiers: list[TierCount]
    improved: list[Improvement]
    not_evaluated: list[NotEvaluated]


@dataclass(slots=True)
class Rate:
    id: str
    name: str
    name_en: str | None
    rated: int  # portals with a score for it
    good: int  # of them, at least 良好
    rate: float | None


@dataclass(slots=True)
class GroupExcellence:
    group: str
    portals: int
    good: int
    rate: float | None  # 优良率 of the composite
    indicators: list[Rate]
    good_portals: list[dict[str, Any]]  # portal_id, name, tier (tier order, pinyin within a tier)


@dataclass(slots=True)
class Example:
    portal_id: str
    name: str
    value: float | None  # the point's score, or the share of the portal's datasets with the finding
    count: int | None = None
    finding: dict[str, Any] | None = None  # one finding of the type, as stored


@dataclass(slots=True)
class Problem:
    kind: str  # point | finding
    id: str  # "indicator/point" or the measure id
    name: str
    name_en: str | None
    family: str | None
    failing: int
    of: int
    share: float
    examples: list[Example]


@dataclass(slots=True)
class Methodology:
    system_id: str
    system_name: str
    system_name_en: str | None
    source: str | None
    weights: list[dict[str, Any]]  # indicator id, name, name_en, weights per level
    tiers: list[dict[str, Any]]
    odq_defaults: list[dict[str, Any]]  # from the score results, once per key, with the levels that used it
    round_defaults: list[dict[str, Any]]  # the round's own choices (pass bound, how many are named…)
    caps: dict[str, Any]
    samples: list[dict[str, Any]]  # per portal: datasets, links checked, files validated
    facts: dict[str, Any] | None  # the facts file as pinned (name, sha256; the text is in the JSON)
    defaults_note: str | None
    defaults_note_en: str | None


@dataclass(slots=True)
class RoundResults:
    name: str
    system_id: str
    system_name: str
    system_name_en: str | None
    created_at: str
    previous_round: str | None
    portals: int
    evaluated: int
    levels: list[LevelResults]
    excellence: list[GroupExcellence]
    problems: list[Problem]
    methodology: Methodology
    odq_version: str = ""
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# -- the parts ------------------------------------------------------------------------------------------------
def level_order(levels: Iterable[str]) -> list[str]:
    known = list(LEVELS)
    return sorted(set(levels), key=lambda level: (known.index(level) if level in known else len(known), level))


def ranking(entries: list[PortalEntry]) -> list[RankedPortal]:
    """Competition ranking with 并列 ties (checks.scoring.rank); tied portals in pinyin order."""
    scored = {e.portal_id: e for e in entries if e.evaluated and e.score and e.score.get("composite") is not None}
    places = {r.portal_id: r for r in rank({pid: e.score["composite"] for pid, e in scored.items()})}  # type: ignore[index]
    ranked = [_ranked(scored[pid], places[pid].rank, places[pid].tied) for pid in scored]
    return sorted(ranked, key=lambda r: (r.rank, pinyin_key(r.name), r.portal_id))


def _ranked(entry: PortalEntry, place: int, tied: bool) -> RankedPortal:
    result = entry.score or {}
    indicators, points = [], []
    for indicator in result.get("indicators") or []:
        if not indicator.get("applicable"):
            continue
        indicators.append({k: indicator.get(k) for k in ("id", "name", "name_en", "points", "maximum", "score")})
        for point in indicator.get("assessment_points") or []:
            points.append({"indicator": indicator["id"], **{k: point.get(k) for k in (
                "id", "name", "name_en", "score", "points", "maximum", "needs_check")}})
    return RankedPortal(
        portal_id=entry.portal_id, name=entry.name, region=entry.region, group=entry.group, rank=place, tied=tied,
        composite=float(result["composite"]), tier=result.get("tier"), tier_en=result.get("tier_en"),
        total=result.get("total"), maximum=result.get("maximum"), known_maximum=result.get("known_maximum"),
        harvest_id=entry.harvest_id, harvested_at=entry.harvested_at, indicators=indicators, points=points,
    )


def tier_distribution(ranked: list[RankedPortal], tiers: list[Mapping[str, Any]]) -> list[TierCount]:
    counts = []
    for tier in tiers:
        members = sorted((r for r in ranked if r.tier == tier["label"]),
                         key=lambda r: (pinyin_key(r.name), r.portal_id))
        counts.append(TierCount(
            label=tier["label"], label_en=tier.get("label_en", tier["label"]), min=float(tier["min"]),
            count=len(members), share=round(len(members) / len(ranked), 4) if ranked else None,
            portals=[Named(r.portal_id, r.name) for r in members],
        ))
    return counts


def most_improved(ranked: list[RankedPortal], previous: list[RankedPortal],
                  limit: int = MOST_IMPROVED) -> list[Improvement]:
    """Portals ranked at the level in both rounds whose composite rose, the largest rise first."""
    before = {r.portal_id: r for r in previous}
    found = []
    for now in ranked:
        then = before.get(now.portal_id)
        if then is None:
            continue
        change = round(now.composite - then.composite, 4)
        if change > 0:
            found.append(Improvement(now.portal_id, now.name, now.composite, then.composite, change, now.rank,
                                     then.rank, then.rank - now.rank))
    found.sort(key=lambda i: (-i.change, -i.rank_change, pinyin_key(i.name)))
    return found[:limit]


def good_bound(tiers: list[Mapping[str, Any]]) -> float:
    """The lower bound of 良好: at or above it a portal (or an indicator) counts as 优良."""
    good = next((t for t in tiers if t["label"] == GOOD_TIER), None)
    if good is not None:
        return float(good["min"])
    bounds = sorted({float(t["min"]) for t in tiers}, reverse=True)
    return bounds[min(2, len(bounds) - 1)]  # no 良好 tier: the third band from the top, as in the five-tier scheme


def pass_bound(tiers: list[Mapping[str, Any]]) -> float:
    """A point scoring below the lowest tier above 0 (待改进, below 0.6) is one the portal fails."""
    positive = [float(t["min"]) for t in tiers if float(t["min"]) > 0]
    return min(positive) if positive else 0.5


def excellence(entries: list[PortalEntry], tiers: list[Mapping[str, Any]]) -> list[GroupExcellence]:
    """优良率 per group: the share of evaluated portals at least 良好, overall and per indicator."""
    bound = good_bound(tiers)
    order = {t["label"]: n for n, t in enumerate(tiers)}
    groups: dict[str, list[PortalEntry]] = {}
    for entry in entries:
        if entry.evaluated and entry.score:
            groups.setdefault(entry.group, []).append(entry)
    found = []
    for group in sorted(groups, key=pinyin_key):
        members = groups[group]
        good = [e for e in members if e.score["composite"] >= bound - 1e-12]  # type: ignore[index]
        rates: dict[str, Rate] = {}
        for entry in members:
            for indicator in entry.score.get("indicators") or []:  # type: ignore[union-attr]
                if not indicator.get("applicable"):
                    continue
                rate = rates.setdefault(str(indicator["id"]), Rate(str(indicator["id"]), indicator.get("name") or "",
                                                                   indicator.get("name_en"), 0, 0, None))
                if indicator.get("score") is None:  # needs an evaluator's check: not rated, never 0
                    continue
                rate.rated += 1
                rate.good += indicator["score"] >= bound - 1e-12
        for rate in rates.values():
            rate.rate = round(rate.good / rate.rated, 4) if rate.rated else None
        listed = sorted(good, key=lambda e: (order.get(e.score.get("tier"), len(order)), pinyin_key(e.name)))  # type: ignore[union-attr]
        found.append(GroupExcellence(
            group=group, portals=len(members), good=len(good), rate=round(len(good) / len(members), 4),
            indicators=list(rates.values()),
            good_portals=[{"portal_id": e.portal_id, "name": e.name, "tier": e.score.get("tier"),  # type: ignore[union-attr]
                           "tier_en": e.score.get("tier_en")} for e in listed],  # type: ignore[union-attr]
        ))
    return found


def point_problems(entries: list[PortalEntry], tiers: list[Mapping[str, Any]]) -> list[Problem]:
    """Per assessment point: the share of portals scored on it that score below the pass bound, worst named."""
    bound = pass_bound(tiers)
    seen: dict[str, dict[str, Any]] = {}
    for entry in entries:
        if not (entry.evaluated and entry.score):
            continue
        for indicator in entry.score.get("indicators") or []:
            for point in indicator.get("assessment_points") or []:
                key = f"{indicator['id']}/{point['id']}"
                item = seen.setdefault(key, {"name": point.get("name"), "name_en": point.get("name_en"),
                                             "scored": []})
                if point.get("score") is not None:
                    item["scored"].append((entry, float(point["score"])))
    problems = []
    for key, item in seen.items():
        failing = [(e, s) for e, s in item["scored"] if s < bound - 1e-12]
        if not item["scored"] or not failing:
            continue
        failing.sort(key=lambda pair: (pair[1], pinyin_key(pair[0].name)))
        problems.append(Problem(
            kind="point", id=key, name=str(item["name"]), name_en=item["name_en"], family=None,
            failing=len(failing), of=len(item["scored"]), share=round(len(failing) / len(item["scored"]), 4),
            examples=[Example(e.portal_id, e.name, s) for e, s in failing[:PROBLEM_EXAMPLES]],
        ))
    return sorted(problems, key=lambda p: (-p.share, p.id))


def finding_problems(entries: list[PortalEntry], limit: int = FINDING_TYPES) -> list[Problem]:
    """Per finding type (the measure that raised it): the share of evaluated portals with such a finding, the
    portals where it touches the largest share of datasets named first, each with one of its findings."""
    evaluated = [e for e in entries if e.evaluated]
    types: dict[str, dict[str, Any]] = {}
    for entry in evaluated:
        measures = {m["measure_id"]: m for m in entry.measures}
        for measure_id, found in entry.findings.items():
            measure = measures.get(measure_id) or {}
            item = types.setdefault(measure_id, {"family": found.get("family"), "title_zh": measure.get("title_zh"),
                                                 "title_en": measure.get("title_en"), "portals": []})
            item["title_zh"] = item["title_zh"] or measure.get("title_zh")
            item["title_en"] = item["title_en"] or measure.get("title_en")
            applicable, failed = measure.get("applicable"), measure.get("failed")
            share = round(failed / applicable, 4) if isinstance(applicable, int | float) and applicable and \
                isinstance(failed, int | float) else None
            examples = found.get("examples") or []
            item["portals"].append(Example(entry.portal_id, entry.name, share, int(found.get("count") or 0),
                                           examples[0] if examples else None))
    problems = []
    for measure_id, item in types.items():
        portals = sorted(item["portals"], key=lambda x: (-(x.value if x.value is not None else -1.0),
                                                         -(x.count or 0), pinyin_key(x.name)))
        problems.append(Problem(
            kind="finding", id=measure_id, name=str(item["title_zh"] or measure_id),
            name_en=item["title_en"], family=item["family"], failing=len(portals), of=len(evaluated),
            share=round(len(portals) / len(evaluated), 4), examples=portals[:PROBLEM_EXAMPLES],
        ))
    problems.sort(key=lambda p: (-p.share, p.id))
    return problems[:limit]


def methodology(round_: Round) -> Methodology:
    system = round_.system
    defaults: dict[str, dict[str, Any]] = {}
    for entry in round_.portals:
        for default in (entry.score or {}).get("odq_defaults") or []:
            kept = defaults.setdefault(default.get("key") or str(default), {**default, "levels": []})
            if entry.level not in kept["levels"]:
                kept["levels"].append(entry.level)
    for kept in defaults.values():
        kept["levels"] = level_order(kept["levels"])
    tiers = system.get("tiers") or []
    samples = []
    for entry in round_.portals:
        if entry.harvest_id is None:
            continue
        by_id = {m["measure_id"]: m for m in entry.measures}
        samples.append({"portal_id": entry.portal_id, "name": entry.name, "harvest_id": entry.harvest_id,
                        "harvested_at": entry.harvested_at, "datasets": entry.datasets,
                        "links_checked": (by_id.get("links_alive_share") or {}).get("applicable"),
                        "files_validated": (by_id.get("valid_file_share") or {}).get("applicable")})
    facts = dict(round_.facts) if round_.facts else None
    if facts:
        facts.pop("text", None)
    return Methodology(
        system_id=system["id"], system_name=system["name"], system_name_en=system.get("name_en"),
        source=system.get("source"),
        weights=[{"id": i["id"], "name": i["name"], "name_en": i.get("name_en"), "weights": i.get("weights") or {},
                  "weights_are_default": i.get("weights_are_default", False)} for i in system["indicators"]],
        tiers=[{"min": t["min"], "label": t["label"], "label_en": t.get("label_en", t["label"])} for t in tiers],
        odq_defaults=sorted(defaults.values(), key=lambda d: d.get("key") or ""),
        round_defaults=[
            {"key": "round.good_bound", "value": good_bound(tiers),
             "note_zh": "优良率：综合指数（或指标得分率）不低于“良好”下限即计为优良",
             "note_en": "excellent-or-good rate: a composite (or indicator score) at or above the lower bound of "
                        "'good' counts"},
            {"key": "round.pass_bound", "value": pass_bound(tiers),
             "note_zh": "常见问题：评估要点得分率低于“中等”下限即计为未达标",
             "note_en": "common problems: an assessment point scoring below the lower bound of 'fair' is failed"},
            {"key": "round.most_improved", "value": MOST_IMPROVED,
             "note_zh": "每个级别列出的进步幅度最大的平台数", "note_en": "most improved portals named per level"},
            {"key": "round.problem_examples", "value": PROBLEM_EXAMPLES,
             "note_zh": "每个常见问题列出的最差平台数", "note_en": "worst portals named per common problem"},
        ],
        caps=dict(round_.info.get("caps") or {}), samples=samples, facts=facts,
        defaults_note=system.get("defaults_note"), defaults_note_en=system.get("defaults_note_en"),
    )


# -- the whole --------------------------------------------------------------------------------------------------
def round_results(round_: Round, previous: Round | None = None) -> RoundResults:
    """Everything the round's pages and exports show; `previous` is the round before it of the same system."""
    tiers = round_.system.get("tiers") or []
    levels = []
    for level in level_order(e.level for e in round_.portals):
        entries = [e for e in round_.portals if e.level == level]
        ranked = ranking(entries)
        earlier = ranking([e for e in previous.portals if e.level == level]) if previous else []
        zh, en = LEVELS.get(level, (level, level))
        levels.append(LevelResults(
            level=level, name_zh=zh, name_en=en, ranking=ranked, tiers=tier_distribution(ranked, tiers),
            improved=most_improved(ranked, earlier) if previous else [],
            not_evaluated=sorted((NotEvaluated(e.portal_id, e.name, e.reason or "", e.harvest_id)
                                  for e in entries if not e.evaluated),
                                 key=lambda n: (pinyin_key(n.name), n.portal_id)),
        ))
    return RoundResults(
        name=round_.name, system_id=round_.system_id, system_name=round_.system["name"],
        system_name_en=round_.system.get("name_en"), created_at=round_.created_at.isoformat(timespec="seconds"),
        previous_round=previous.name if previous else None, portals=len(round_.portals),
        evaluated=sum(e.evaluated for e in round_.portals), levels=levels,
        excellence=excellence(round_.portals, tiers),
        problems=point_problems(round_.portals, tiers) + finding_problems(round_.portals),
        methodology=methodology(round_), odq_version=str(round_.info.get("odq_version") or ""),
    )


def results_for(store: Any, name: str) -> RoundResults:
    """The results of a stored round, against the previous round of its system pinned when it was created."""
    from reports.rounds.store import RoundStore

    rounds = RoundStore(store)
    round_ = rounds.get(name)
    previous = rounds.get_by_id(round_.previous_round_id) if round_.previous_round_id is not None else None
    return round_results(round_, previous)
