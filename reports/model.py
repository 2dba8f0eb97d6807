"""The report's content as plain data, read from the store: what HTML, Markdown and JSON all render."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from checks.assess import FAMILIES
from harvester.store import Store

FAMILY_TITLES = {
    "classification": ("开放目录与分类", "Catalogue and classification", "3.4.1"),
    "fields": ("数据项说明", "Field documentation", "3.4.2-1"),
    "frequency": ("更新频度与及时性", "Update frequency and timeliness", "3.4.2-2"),
    "formats": ("格式与调用便捷性", "Formats and ease of use", "3.4.2-3"),
    "domains": ("重点领域覆盖", "Coverage of the 12 domains", "3.4.2-4"),
    "usage": ("开发利用", "Development and use", "3.4.3"),
}
WORST_PER_FAMILY = 10
WORST_OVERALL = 20


class ReportUnavailable(LookupError):
    pass


def build_report(store: Store, portal_id: str) -> dict[str, Any]:
    portal = store.portal(portal_id)
    if portal is None:
        raise ReportUnavailable(f"unknown portal {portal_id!r}: harvest it first")
    harvest = store.current_harvest(portal_id)
    if harvest is None:
        raise ReportUnavailable(f"portal {portal_id!r} has no complete harvest: run `odq harvest {portal_id}`")
    measures = store.measures(harvest.id)
    if not measures:
        raise ReportUnavailable(f"the current harvest of {portal_id!r} is not assessed: run `odq assess {portal_id}`")
    findings = store.findings(harvest.id)
    scores = sorted(store.scores(harvest.id), key=lambda s: s["system_id"])
    families = []
    for family in FAMILIES:
        family_findings = [f for f in findings if f["family"] == family]
        per_dataset: dict[str, list[str]] = defaultdict(list)
        titles: dict[str, str] = {}
        for finding in family_findings:
            if finding["native_id"]:
                per_dataset[finding["native_id"]].append(finding["message"])
                titles[finding["native_id"]] = finding["title"] or finding["native_id"]
        worst = sorted(per_dataset.items(), key=lambda item: (-len(item[1]), item[0]))[:WORST_PER_FAMILY]
        zh, en, point = FAMILY_TITLES[family]
        families.append({
            "id": family, "title_zh": zh, "title_en": en, "point": point,
            "measures": [m for m in measures if m["family"] == family],
            "portal_findings": [f["message"] for f in family_findings if not f["native_id"]],
            "worst": [{"native_id": n, "title": titles[n], "findings": msgs} for n, msgs in worst],
            "findings_count": len(family_findings),
        })
    counts = Counter(f["native_id"] for f in findings if f["native_id"])
    titles = {f["native_id"]: f["title"] for f in findings if f["native_id"]}
    by_dataset: dict[str, list[str]] = defaultdict(list)
    for finding in findings:
        if finding["native_id"]:
            by_dataset[finding["native_id"]].append(f"[{finding['family']}] {finding['message']}")
    worst_overall = [
        {"native_id": n, "title": titles[n] or n, "findings": by_dataset[n]}
        for n, _count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:WORST_OVERALL]
    ]
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
        },
        "scores": [s["result"] for s in scores],
        "families": families,
        "worst_datasets": worst_overall,
        "files": store.file_reports(harvest.id),
        "history": _history(store, portal_id),
    }


def _history(store: Store, portal_id: str) -> list[dict[str, Any]]:
    rows = []
    for harvest in store.harvests(portal_id):
        composites = {s["system_id"]: s["composite"] for s in store.scores(harvest.id)}
        rows.append({
            "id": harvest.id, "started_at": harvest.started_at.isoformat(timespec="seconds"),
            "status": harvest.status, "datasets": harvest.datasets, "composites": composites,
        })
    return rows
