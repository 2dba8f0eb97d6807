"""The report's content as plain data, read from the store: what HTML, Markdown and JSON all render.

Nothing here is said in a language: findings keep their measure id and stored message, names keep their ids,
and reports/messages.py says them in Chinese or English when a page is rendered.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from checks.assess import FAMILIES
from checks.results import Results
from harvester.store import Store
from harvester.vocab import domains
from reports.figures import figures
from reports.messages import FAMILY_TITLES

WORST_PER_FAMILY = 10
WORST_OVERALL = 20


class ReportUnavailable(LookupError):
    pass


def _finding(finding: dict[str, Any]) -> dict[str, Any]:
    """What a page needs of a finding; typed findings' code and values are kept when a check stores them."""
    kept = {"family": finding["family"], "measure_id": finding["measure_id"], "message": finding["message"]}
    for key in ("code", "values"):
        if finding.get(key) is not None:
            kept[key] = finding[key]
    return kept


def build_report(store: Store, portal_id: str) -> dict[str, Any]:
    portal = store.portal(portal_id)
    if portal is None:
        raise ReportUnavailable(f"unknown portal {portal_id!r}: harvest it first")
    harvest = store.current_harvest(portal_id)
    if harvest is None:
        raise ReportUnavailable(f"portal {portal_id!r} has no complete harvest: run `odq harvest {portal_id}`")
    measures = Results(store).measures(harvest.id)
    if not measures:
        raise ReportUnavailable(f"the current harvest of {portal_id!r} is not assessed: run `odq assess {portal_id}`")
    domain_list = _domains(measures)
    findings = Results(store).findings(harvest.id)
    scores = sorted(Results(store).scores(harvest.id), key=lambda s: s["system_id"])
    titles: dict[str, str] = {f["native_id"]: f["title"] or f["native_id"] for f in findings if f["native_id"]}
    families = []
    for family in FAMILIES:
        family_findings = [f for f in findings if f["family"] == family]
        per_dataset: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for finding in family_findings:
            if finding["native_id"]:
                per_dataset[finding["native_id"]].append(_finding(finding))
        worst = sorted(per_dataset.items(), key=lambda item: (-len(item[1]), item[0]))[:WORST_PER_FAMILY]
        zh, en, point = FAMILY_TITLES[family]
        families.append({
            "id": family, "title_zh": zh, "title_en": en, "point": point,
            "measures": [m for m in measures if m["family"] == family],
            "portal_findings": [_finding(f) for f in family_findings if not f["native_id"]],
            "worst": [{"native_id": n, "title": titles[n], "findings": found} for n, found in worst],
            "findings_count": len(family_findings),
        })
    counts = Counter(f["native_id"] for f in findings if f["native_id"])
    by_dataset: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for finding in findings:
        if finding["native_id"]:
            by_dataset[finding["native_id"]].append(_finding(finding))
    worst_overall = [
        {"native_id": n, "title": titles[n], "findings": by_dataset[n]}
        for n, _count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:WORST_OVERALL]
    ]
    _add_landing_urls(store, harvest.id, [*worst_overall, *(d for f in families for d in f["worst"])])
    timely = next((m for m in measures if m["measure_id"] == "timely_share"), None)
    return {
        "portal": {
            "id": portal.id, "name": portal.name, "level": portal.level, "region": portal.region,
            "software": portal.software, "url": portal.url,
            "verified": (portal.profile or {}).get("verified", True),
        },
        "harvest": {
            "id": harvest.id, "started_at": harvest.started_at.isoformat(timespec="seconds"),
            "status": harvest.status, "datasets": harvest.datasets, "distributions": harvest.distributions,
            "errors_count": harvest.errors_count, "errors": (harvest.errors or [])[:20],
            "requests": harvest.requests, "bytes": harvest.bytes, "seconds": harvest.seconds,
            "info": harvest.info or {},
            # None when the adapter does not say which raw keys it reads: then the report says nothing of them.
            "unmapped_keys": (harvest.info or {}).get("unmapped_keys"),
        },
        "scores": [s["result"] for s in scores],
        "families": families,
        "worst_datasets": worst_overall,
        "files": Results(store).file_reports(harvest.id),
        "figures": figures(store, harvest.id, (timely or {}).get("detail", {}).get("failed")).as_dict(),
        "history": _history(store, portal_id),
        "domains": domain_list,
        "rules": rule_parameters(measures),
    }


def rule_parameters(measures: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rule parameters the assessment used, once each, with the measures they shaped (from the measures'
    details, so an evaluator's override shows as what it was)."""
    found: dict[str, dict[str, Any]] = {}
    for measure in measures:
        for parameter in (measure.get("detail") or {}).get("parameters") or []:
            if isinstance(parameter, dict) and parameter.get("key"):
                entry = found.setdefault(parameter["key"], {**parameter, "measures": []})
                entry["measures"].append(measure["measure_id"])
    return list(found.values())


def _domains(measures: list[dict[str, Any]]) -> list[dict[str, Any]] | None:
    """Each of the 12 domains with the datasets that place the portal in it, grouped by reason.

    The full list is taken out of the coverage measure's detail (which keeps counts and a few examples), so the
    report carries it once. None when the harvest was assessed without it.
    """
    measure = next((m for m in measures if m.get("measure_id") == "domains_covered"), None)
    detail = dict((measure or {}).get("detail") or {})
    if measure is None or "reasons" not in detail:
        return None
    reasons = detail.pop("reasons") or {}
    measure["detail"] = detail
    threshold = int(detail.get("min_datasets") or 1)
    listed = []
    for domain in domains():
        groups = reasons.get(domain.id) or []
        count = sum(len(group["datasets"]) for group in groups)
        listed.append({"id": domain.id, "name_zh": domain.name_zh, "name_en": domain.name_en, "datasets": count,
                       "covered": count >= threshold, "min_datasets": threshold, "reasons": groups})
    return listed


def _add_landing_urls(store: Store, harvest_id: int, datasets: list[dict[str, Any]]) -> None:
    """The landing page of each listed dataset, from its stored record (the renderer decides what is a link)."""
    documents = store.documents(harvest_id, sorted({d["native_id"] for d in datasets}))
    for dataset in datasets:
        landing = (documents.get(dataset["native_id"]) or {}).get("landing_url")
        dataset["landing_url"] = landing if isinstance(landing, str) else None


def _history(store: Store, portal_id: str) -> list[dict[str, Any]]:
    rows = []
    for harvest in store.harvests(portal_id):
        composites = {s["system_id"]: s["composite"] for s in Results(store).scores(harvest.id)}
        rows.append({
            "id": harvest.id, "started_at": harvest.started_at.isoformat(timespec="seconds"),
            "status": harvest.status, "datasets": harvest.datasets, "composites": composites,
        })
    return rows
