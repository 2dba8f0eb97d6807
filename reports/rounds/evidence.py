"""A portal's evidence pack for appeals: every finding the round pinned, with the dataset's landing URL, the record as
harvested, the harvest time, the rule (measure, its parameters, the assessment point that scores it) and the values;
the evaluator's facts with their evidence links. Read from the round's own rows and its pinned harvest, so a later
harvest or re-assessment does not change it. Written as a folder or a zip: index.html (offline, escaped),
evidence.json, findings.csv and facts.csv (formulas neutralised) and one JSON file per dataset record.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import orjson
from jinja2 import Environment, PackageLoader, select_autoescape

from checks.results import Results
from harvester.store import Store
from reports import messages
from reports.export import neutralise
from reports.render import finding_html, number, raw, web_url
from reports.rounds.build import REASONS
from reports.rounds.store import PortalEntry, Round, RoundStore


class NotInRound(LookupError):
    """The portal asked for is not one the round pinned."""


@dataclass(slots=True)
class EvidencePack:
    """Everything an appeal about one portal of one round needs, as plain data (evidence.json is its to_dict)."""

    round: dict[str, Any]  # name, id, system_id, system_name, created_at, odq_version, findings_per_measure
    portal: dict[str, Any]  # id, name, level, group, region, url, status, reason, rank, tied, composite, tier
    harvest: dict[str, Any] | None  # id, harvested_at (as the round pinned it), started/finished, status, datasets
    measures: list[dict[str, Any]]  # the rule and values of every measure with findings or used by a point
    findings: list[dict[str, Any]]  # every pinned finding, with landing_url and the record's file
    records: dict[str, dict[str, Any]]  # native_id → file, landing_url, record as normalised, raw as harvested
    facts: list[dict[str, Any]]  # the evaluator's facts for the portal, with provenance and evidence links
    findings_source: str = "round"  # "round": pinned with it; "harvest": an older round read its harvest's
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def evidence_for(store: Store, round_name: str, portal_id: str) -> EvidencePack:
    rounds = RoundStore(store)
    pinned = rounds.get(round_name)
    entry = next((p for p in pinned.portals if p.portal_id == portal_id), None)
    if entry is None:
        known = ", ".join(p.portal_id for p in pinned.portals)
        raise NotInRound(f"portal {portal_id!r} is not in round {round_name!r} (its portals: {known})")
    kept = rounds.evidence(pinned.id, portal_id)
    if kept is not None:
        findings, address, source = kept.findings, kept.portal, "round"
    else:  # a round made before it kept findings: its pinned harvest's, as stored now
        findings = Results(store).findings(entry.harvest_id) if entry.harvest_id is not None else []
        row = store.portal(portal_id)
        address, source = ({"url": row.url, "software": row.software} if row else {}), "harvest"
    documents = (store.documents(entry.harvest_id, sorted({f["native_id"] for f in findings if f.get("native_id")}),
                                 with_raw=True) if entry.harvest_id is not None else {})
    records = {native_id: {"file": f"records/{number_:05d}.json", "anchor": f"record-{number_}",
                           "landing_url": document.get("landing_url"), "title": document.get("title"),
                           "raw": document.pop("raw", None), "record": document}
               for number_, (native_id, document) in enumerate(sorted(documents.items()), start=1)}
    listed: dict[str, int] = {}
    for finding in findings:
        listed[finding["measure_id"]] = listed.get(finding["measure_id"], 0) + 1
        record = records.get(finding.get("native_id") or "")
        finding["landing_url"] = record["landing_url"] if record else None
        finding["record_file"] = record["file"] if record else None
        finding["record_anchor"] = record["anchor"] if record else None
    return EvidencePack(
        round=_round_info(pinned), portal=_portal_info(store, pinned, entry, address),
        harvest=_harvest_info(store, entry),
        measures=_rules(entry, listed), findings=findings, records=records, facts=list(entry.facts),
        findings_source=source,
    )


def _round_info(pinned: Round) -> dict[str, Any]:
    return {"name": pinned.name, "id": pinned.id, "system_id": pinned.system_id,
            "system_name": pinned.system.get("name"), "system_name_en": pinned.system.get("name_en"),
            "created_at": pinned.created_at.isoformat(timespec="seconds"),
            "odq_version": pinned.info.get("odq_version"),
            "findings_per_measure": (pinned.info.get("caps") or {}).get("findings_per_measure"),
            "facts_file": (pinned.facts or {}).get("file"), "facts_sha256": (pinned.facts or {}).get("sha256")}


def _portal_info(store: Store, pinned: Round, entry: PortalEntry, address: Mapping[str, Any]) -> dict[str, Any]:
    from reports.rounds.results import results_for

    info: dict[str, Any] = {"id": entry.portal_id, "name": entry.name, "level": entry.level, "group": entry.group,
                            "region": entry.region, "status": entry.status, "reason": entry.reason,
                            "url": address.get("url"), "software": address.get("software"), "rank": None,
                            "tied": None, "of": None}
    score = entry.score or {}
    info.update({k: score.get(k) for k in ("composite", "tier", "tier_en", "total", "maximum", "known_maximum")})
    if entry.evaluated:
        for level in results_for(store, pinned.name).levels:
            for ranked in level.ranking:
                if ranked.portal_id == entry.portal_id:
                    info.update(rank=ranked.rank, tied=ranked.tied, of=len(level.ranking))
    return info


def _harvest_info(store: Store, entry: PortalEntry) -> dict[str, Any] | None:
    if entry.harvest_id is None:
        return None
    harvest = store.harvest(entry.harvest_id)  # a finished harvest's row is never changed
    return {"id": harvest.id, "harvested_at": entry.harvested_at,
            "started_at": harvest.started_at.isoformat(timespec="seconds"),
            "finished_at": harvest.finished_at.isoformat(timespec="seconds") if harvest.finished_at else None,
            "status": harvest.status, "datasets": entry.datasets}


def _points_using(score: Mapping[str, Any] | None) -> dict[str, list[dict[str, Any]]]:
    """Per measure id, the assessment points that score it, with the scorer, its parameters and the result."""
    using: dict[str, list[dict[str, Any]]] = {}
    for indicator in (score or {}).get("indicators") or []:
        for point in indicator.get("assessment_points") or []:
            for component in point.get("components") or []:
                using.setdefault(component["measure"], []).append({
                    "indicator": indicator["id"], "indicator_name": indicator.get("name"),
                    "indicator_name_en": indicator.get("name_en"), "point": point["id"],
                    "point_name": point.get("name"), "point_name_en": point.get("name_en"),
                    "scorer": component.get("scorer"), "parameters": component.get("parameters") or {},
                    "defaults": component.get("defaults") or [], "weight": component.get("weight"),
                    "value": component.get("value"), "score": component.get("score"),
                    "source": component.get("source"), "point_score": point.get("score"),
                    "point_points": point.get("points"), "point_maximum": point.get("maximum"),
                })
    return using


def _rules(entry: PortalEntry, listed: Mapping[str, int]) -> list[dict[str, Any]]:
    from checks.registry import registry

    using = _points_using(entry.score)
    rules = []
    for measure in entry.measures:
        measure_id = measure["measure_id"]
        if measure_id not in listed and measure_id not in using:
            continue
        parameters = measure.get("parameters")
        if parameters is None:  # pinned before rounds kept the rule's constants: today's registry, said so
            spec = registry().get(measure_id)
            parameters = [{"name": p.name, "value": p.value, "source": p.source, "note": p.note,
                           "note_zh": p.note_zh, "from_current_odq": True} for p in spec.parameters] if spec else []
        rules.append({**measure, "parameters": parameters, "points": using.get(measure_id, []),
                      "findings_listed": listed.get(measure_id, 0)})
    return rules


# -- writing ----------------------------------------------------------------------------------------------------
LABELS: dict[str, dict[str, str]] = {
    "zh": {
        "title": "申诉证据", "round": "轮次", "system": "评估体系", "created": "轮次创建时间", "portal": "平台",
        "level": "级别", "group": "分组", "status": "状态", "evaluated": "已评估", "not_evaluated": "未评估",
        "rank": "名次", "composite": "综合指数", "tier": "等级", "harvest": "采集", "harvested": "采集时间",
        "finished": "完成时间", "datasets": "数据集", "facts": "评估人员核验的事实", "target": "对象",
        "value": "取值", "evidence": "证据", "who": "核验人", "when": "核验日期", "note": "备注",
        "rules": "规则与取值", "measure": "测量项", "unit": "单位", "good": "方向", "applicable": "适用数据集",
        "failed": "未达标", "parameters": "规则参数", "points": "计分的评估要点", "scorer": "计分方式",
        "score": "得分率", "findings": "问题清单", "dataset": "数据集", "landing": "数据集页面", "message": "问题",
        "record": "原始记录", "records": "采集到的原始记录", "none": "无", "listed": "列出 {listed} 条",
        "capped": "odq 每个测量项最多保存 {cap} 条问题，该项共有 {failed} 个数据集未达标",
        "source_harvest": "本轮次创建时未保存问题清单；以下问题读自其固定的采集的评估结果",
        "portal_level": "平台层面", "generated_by": "odq 生成", "high": "越高越好", "low": "越低越好",
        "published": "评估方案公布", "odq-default": "odq 默认值", "of": "共 {n} 家", "tied": "并列",
        "normalised": "odq 规范化后的记录",
    },
    "en": {
        "title": "Evidence for appeals", "round": "Round", "system": "Indicator system", "created": "Round created",
        "portal": "Portal", "level": "Level", "group": "Group", "status": "Status", "evaluated": "evaluated",
        "not_evaluated": "not evaluated", "rank": "Rank", "composite": "Composite index", "tier": "Tier",
        "harvest": "Harvest", "harvested": "Harvested", "finished": "Finished", "datasets": "Datasets",
        "facts": "Facts checked by an evaluator", "target": "About", "value": "Value", "evidence": "Evidence",
        "who": "Checked by", "when": "Checked on", "note": "Note", "rules": "Rules and values",
        "measure": "Measure", "unit": "Unit", "good": "Direction", "applicable": "Datasets it applies to",
        "failed": "Failing", "parameters": "Rule parameters", "points": "Assessment points scoring it",
        "scorer": "Scorer", "score": "Score", "findings": "Findings", "dataset": "Dataset",
        "landing": "Dataset page", "message": "Finding", "record": "Record", "records": "Records as harvested",
        "none": "none", "listed": "{listed} listed",
        "capped": "odq keeps at most {cap} findings per measure; {failed} datasets fail this one",
        "source_harvest": "this round was made before rounds kept their findings: they are read from the "
                          "assessment of its pinned harvest",
        "portal_level": "portal level", "generated_by": "generated by odq", "high": "higher is better",
        "low": "lower is better", "published": "published scheme", "odq-default": "odq default",
        "of": "of {n}", "tied": "tied", "normalised": "the record as odq normalised it",
    },
}


def _json(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS)


def _csv(rows: Iterable[Mapping[str, Any]], columns: list[str]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    writer.writerows({k: neutralise(v) for k, v in row.items()} for row in rows)
    return buffer.getvalue().encode("utf-8-sig")  # BOM: Excel opens Chinese CSV right


def _rule_text(rule: Mapping[str, Any]) -> str:
    parameters = "; ".join(f"{p['name']}={p['value']}" for p in rule.get("parameters") or [])
    points = "; ".join(f"{p['indicator']}-{p['point']} {p['scorer']} {orjson.dumps(p['parameters']).decode()}"
                       for p in rule.get("points") or [])
    return " | ".join(part for part in (parameters, points) if part)


FINDING_COLUMNS = ["measure_id", "measure", "family", "native_id", "title", "landing_url", "finding", "message",
                   "measure_value", "rule", "harvest_id", "harvested_at", "record_file"]
FACT_COLUMNS = ["target", "measure", "system", "indicator", "point", "value", "evidence", "who", "when", "note",
                "override", "origin"]


def files(pack: EvidencePack, lang: str = "zh") -> dict[str, bytes]:
    """The pack's files by relative path: the same for a folder and a zip."""
    if lang not in LABELS:
        raise ValueError(f"language: expected zh or en, got {lang!r}")
    rules = {r["measure_id"]: r for r in pack.measures}
    harvest = pack.harvest or {}
    rows = []
    for finding in pack.findings:
        rule = rules.get(finding["measure_id"]) or {}
        rows.append({"measure_id": finding["measure_id"], "measure": rule.get(f"title_{lang}"),
                     "family": finding.get("family"), "native_id": finding.get("native_id"),
                     "title": finding.get("title"), "landing_url": finding.get("landing_url"),
                     "finding": messages.finding_text(finding, lang), "message": finding.get("message"),
                     "measure_value": rule.get("value"), "rule": _rule_text(rule), "harvest_id": harvest.get("id"),
                     "harvested_at": harvest.get("harvested_at"), "record_file": finding.get("record_file")})
    written = {
        "index.html": render_html(pack, lang).encode("utf-8"),
        "evidence.json": _json(pack.to_dict()),
        "findings.csv": _csv(rows, FINDING_COLUMNS),
        "facts.csv": _csv(pack.facts, FACT_COLUMNS),
    }
    for native_id, record in pack.records.items():
        written[record["file"]] = _json({"native_id": native_id, "harvest_id": harvest.get("id"),
                                         "harvested_at": harvest.get("harvested_at"),
                                         "landing_url": record["landing_url"], "raw": record["raw"],
                                         "record": record["record"]})
    return written


def write_evidence(pack: EvidencePack, out: Path, lang: str = "zh") -> Path:
    """A folder, or a zip when `out` ends in .zip (its files under one folder named after round and portal)."""
    contents = files(pack, lang)
    if out.suffix.lower() == ".zip":
        out.parent.mkdir(parents=True, exist_ok=True)
        top = _safe(f"evidence-{pack.round['name']}-{pack.portal['id']}")
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name, body in contents.items():
                archive.writestr(zipfile.ZipInfo(f"{top}/{name}", date_time=(1980, 1, 1, 0, 0, 0)), body,
                                 compress_type=zipfile.ZIP_DEFLATED)
        return out
    for name, body in contents.items():
        path = out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
    return out


def _safe(name: str) -> str:
    """A round or portal name fit for a folder name inside a zip (they are the operator's, but still)."""
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name).strip("._") or "evidence"


def _environment(lang: str) -> Environment:
    env = Environment(loader=PackageLoader("reports", "templates"),
                      autoescape=select_autoescape(enabled_extensions=("html", "j2"), default=True),
                      trim_blocks=True, lstrip_blocks=True)
    labels = LABELS[lang]
    env.filters.update(
        raw=raw, number=number, web_url=web_url, finding=lambda f: finding_html(f, lang),
        level=lambda v: messages.level_name(v, lang), tier=lambda t: messages.tier_name(t, lang),
        reason=lambda r: REASONS.get(r or "", (r or "—", r or "—"))[1 if lang == "en" else 0],
        family=lambda f: messages.family_title(f, lang),
        json=lambda v: orjson.dumps(v, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS).decode(),
        label=lambda key: labels.get(str(key), str(key)),
    )
    return env


def render_html(pack: EvidencePack, lang: str = "zh") -> str:
    by_measure: dict[str, list[dict[str, Any]]] = {}
    for finding in pack.findings:
        by_measure.setdefault(finding["measure_id"], []).append(finding)
    return _environment(lang).get_template("evidence.html.j2").render(
        p=pack, L=LABELS[lang], lang=lang, by_measure=by_measure)
