"""Round building: pin, per portal, its current complete harvest, that harvest's scores and the evaluator's facts.

Everything a round's results need is copied into the round's own rows, so a later harvest, assessment or profile
change leaves a created round exactly as it was published.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from checks.assess import AssessOptions
from checks.facts import FactSheet, load_facts
from checks.measures import MAX_FINDINGS_PER_MEASURE
from checks.registry import registry
from checks.results import Results
from checks.scoring import load_system, score
from harvester.encoding import detect_encoding
from harvester.store import Store
from reports.rounds.store import PortalEntry, Round, RoundStore

EXAMPLES_PER_FINDING_TYPE = 3  # a finding type keeps this many example datasets per portal

# Why a portal is "not evaluated": (Chinese, English) for the round's pages.
REASONS: dict[str, tuple[str, str]] = {
    "never-harvested": ("未采集：库中没有该平台的采集记录", "never harvested: the store holds no harvest of it"),
    "no-complete-harvest": ("没有完整的采集（最近一次采集失败或不完整）",
                            "no complete harvest (the last harvest failed or is partial)"),
    "not-assessed": ("当前采集尚未评估", "its current harvest is not assessed"),
    "not-scored": ("当前采集未按该评估体系计分", "its current harvest is not scored under this indicator system"),
    "not-applicable": ("该评估体系不评估此级别", "this indicator system does not evaluate its level"),
    "no-composite": ("所有评估要点均需人工核验，无法计算综合指数",
                     "every assessment point needs an evaluator's check: no composite index"),
}


class RoundError(ValueError):
    """A round that cannot be created as asked; the message says what to change."""


def portal_group(profile: dict[str, Any] | None, level: str) -> str:
    """The portal's group for 优良率 (区政府, 市政府部门…): the profile's `group` when it has one, else its level."""
    group = (profile or {}).get("group")
    return group.strip() if isinstance(group, str) and group.strip() else level


def facts_snapshot(path: Path) -> tuple[FactSheet, dict[str, Any]]:
    """The facts file checked (a bad file is an error naming file and key), and its content kept verbatim."""
    sheet = load_facts(path)
    body = path.read_bytes()
    encoding = detect_encoding(body)
    return sheet, {"file": path.name, "encoding": encoding, "sha256": hashlib.sha256(body).hexdigest(),
                   "text": body.decode(encoding, errors="replace")}


def create_round(store: Store, name: str, system_id: str, *, levels: Sequence[str] = (),
                 portals: Sequence[str] = (), facts_path: Path | None = None) -> Round:
    """Pin the named portals (default: every portal in the store), optionally of some levels only."""
    if not name.strip():
        raise RoundError("round name: expected a non-empty name")
    system = load_system(system_id)
    sheet, facts = facts_snapshot(facts_path) if facts_path is not None else (None, None)
    known = {p["id"]: p for p in store.portals()}
    wanted = list(dict.fromkeys(portals)) or sorted(known)
    entries: list[PortalEntry] = []
    for portal_id in wanted:
        row = known.get(portal_id)
        profile = row["profile"] if row is not None else _profile_outside_store(portal_id)
        level = (row["level"] if row is not None else profile.get("level")) or "—"
        if levels and level not in levels:
            continue
        entries.append(_entry(store, system, portal_id, row, profile, level, sheet))
    if not entries:
        scope = f" of level {', '.join(levels)}" if levels else ""
        raise RoundError(f"no portal{scope} to put in round {name!r}: harvest and assess some first")
    if sheet is not None:
        pinned = {e.portal_id for e in entries}
        stray = sorted(sheet.portals() - pinned)
        if stray:
            raise RoundError(f"{facts_path}: facts for portals outside the round: {', '.join(stray)}")
    info = {"odq_version": _odq_version(), "caps": caps()}
    return RoundStore(store).create(name=name, system_id=system["id"], levels=list(levels), system=system,
                                    facts=facts, info=info, portals=entries)


def caps() -> dict[str, Any]:
    """The sampling caps an assessment uses by default (assessments do not record their own options)."""
    defaults = AssessOptions()
    return {"link_limit": defaults.link_limit, "file_sample": defaults.file_sample,
            "findings_per_measure": MAX_FINDINGS_PER_MEASURE, "examples_per_finding_type": EXAMPLES_PER_FINDING_TYPE}


def _odq_version() -> str:
    from odq import __version__

    return __version__


def _profile_outside_store(portal_id: str) -> dict[str, Any]:
    """A portal named for the round that was never harvested: its profile, if odq knows one."""
    from harvester.profiles import ProfileError, find_portal

    try:
        return find_portal(portal_id)
    except ProfileError:
        raise RoundError(f"--portals: unknown portal {portal_id!r} (neither in the store nor a profile)") from None


def _entry(store: Store, system: dict[str, Any], portal_id: str, row: Any, profile: dict[str, Any], level: str,
           sheet: FactSheet | None) -> PortalEntry:
    entry = PortalEntry(portal_id=portal_id, name=str(profile.get("name") or portal_id), level=level,
                        group=portal_group(profile, level), region=profile.get("region"), status="not-evaluated")
    portal_facts = sheet.for_portal(portal_id) if sheet is not None else []
    entry.facts = [f.provenance() for f in portal_facts]
    # For its evidence pack: the portal's address, and (below, once read) every finding the round saw.
    entry.address, entry.all_findings = {k: profile.get(k) for k in ("url", "software")}, []
    if row is None:
        entry.reason = "never-harvested"
        return entry
    if row["current_harvest_id"] is None:
        entry.reason = "no-complete-harvest" if store.harvests(portal_id) else "never-harvested"
        return entry
    harvest = store.harvest(row["current_harvest_id"])
    entry.harvest_id, entry.datasets = harvest.id, harvest.datasets
    entry.harvested_at = harvest.started_at.isoformat(timespec="seconds")
    measures = Results(store).measures(harvest.id)
    if not measures:
        entry.reason = "not-assessed"
        return entry
    stored = next((s["result"] for s in Results(store).scores(harvest.id) if s["system_id"] == system["id"]), None)
    if portal_facts or (stored is not None and stored.get("level") != level):
        result: dict[str, Any] | None = dict(score(system, level, measures, facts=portal_facts))
    else:
        result = stored
    if result is None:
        entry.reason = "not-scored"
        return entry
    entry.score = result
    entry.measures = [_measure(m) for m in measures]
    findings = Results(store).findings(harvest.id)
    entry.findings = _finding_types(findings)
    entry.all_findings = [_pinned_finding(f) for f in findings]
    if not result.get("applicable"):
        entry.reason = "not-applicable"
    elif result.get("composite") is None:
        entry.reason = "no-composite"
    else:
        entry.status = "evaluated"
    return entry


def _measure(measure: dict[str, Any]) -> dict[str, Any]:
    detail = measure.get("detail") or {}
    spec = registry().get(measure["measure_id"])
    # The rule's constants as they were when the round was made: an appeal reads them from the round.
    parameters = [{"name": p.name, "value": p.value, "source": p.source, "note": p.note, "note_zh": p.note_zh}
                  for p in spec.parameters] if spec is not None else []
    return {"measure_id": measure["measure_id"], "family": measure["family"], "value": measure["value"],
            "unit": detail.get("unit"), "good": detail.get("good"), "title_zh": detail.get("title_zh"),
            "title_en": detail.get("title_en"), "applicable": detail.get("applicable"), "failed": detail.get("failed"),
            "point": detail.get("point"), "parameters": parameters}


def _pinned_finding(finding: dict[str, Any]) -> dict[str, Any]:
    kept = {k: finding.get(k) for k in ("family", "measure_id", "native_id", "title", "message")}
    kept.update({k: finding[k] for k in ("code", "values") if finding.get(k) is not None})
    return kept


def _finding_types(findings: list[dict[str, Any]]) -> dict[str, Any]:
    """Per finding type (the measure that raised it): how many the portal has, and a few named examples."""
    types: dict[str, Any] = {}
    for finding in findings:
        kind = types.setdefault(finding["measure_id"], {"family": finding["family"], "count": 0, "examples": []})
        kind["count"] += 1
        if len(kind["examples"]) < EXAMPLES_PER_FINDING_TYPE:
            example = {k: finding.get(k) for k in ("family", "measure_id", "native_id", "title", "message")}
            example.update({k: finding[k] for k in ("code", "values") if finding.get(k) is not None})
            kind["examples"].append(example)
    return types
