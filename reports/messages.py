"""The report's message catalogue: every label, name and finding text in Chinese and English, in one place.

Portal-supplied text (titles, labels, URLs, raw reasons) is never translated: finding texts come back as parts
that say which pieces are portal-supplied, so the HTML can mark them (class "raw") and escape them.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from checks.findings import FindingType, value_text
from reports.openness_messages import stars_reason

LANGS = ("zh", "en")

LABELS: dict[str, dict[str, str]] = {
    "zh": {
        "title": "开放数据平台评估报告", "score_card": "得分", "indicator": "指标", "weight": "权重",
        "points": "得分", "score": "得分率", "tier": "等级", "composite": "综合指数", "point": "评估要点",
        "default": "默认权重", "not_applicable": "不适用", "not_measured": "未能测量", "measure": "测量项",
        "value": "数值", "worst": "问题最多的数据集", "findings": "发现的问题", "history": "历次采集",
        "methodology": "方法与权重", "files": "抽样文件校验报告", "datasets": "数据集", "distributions": "资源",
        "harvested": "采集时间", "status": "状态", "unverified": "该平台配置未经真实响应核验",
        "portal_findings": "平台层面的问题", "none": "无", "not_published": "未公布", "errors": "采集错误",
        "valid": "有效", "invalid": "无效", "unchecked": "未校验", "unreadable": "无法读取", "yes": "是", "no": "否",
        "unknown": "未知",
        "needs_check": "待人工核验", "evaluator_fact": "评估人员录入的事实",
        "needs_check_note": "以下评估要点无法从外部测量，未计入满分，需评估人员核验后补录事实：",
        "odq_defaults": "odq 默认值（评估方案未公布）", "known_maximum": "可测满分", "full_maximum": "满分",
        "file": "文件", "rows": "行数", "file_errors": "错误", "encoding": "编码", "landing": "数据集页面",
        "validation": "Great Expectations 校验结果", "suite": "校验套件", "expectation": "期望",
        "observed": "实际", "mostly": "要求", "unexpected": "不符合", "success": "结论", "passed": "通过",
        "failed": "未通过", "validation_note": "每个占比测量项都是一条 Great Expectations 期望："
        "逐个数据集判断是否通过，不适用的数据集不计入；“要求”为通过率达到该值即视为通过。",
        "charts": "图表", "trend_axis": "综合指数", "harvest_axis": "采集时间", "system": "评估体系",
        "level": "级别", "harvest": "采集", "requests": "次请求", "bytes": "字节", "seconds": "秒",
        "downloads": "下载（质量度量为 W3C DQV）",
        "generated": "生成时间", "other": "其他", "no_format": "无格式", "more": "更多",
        "nothing_to_chart": "没有可绘制的数据",
        "domains": "12 个重点领域的覆盖情况", "domain": "领域", "covered": "已覆盖", "not_covered": "未覆盖",
        "domains_note": "一个领域有不少于 {n} 个数据集即视为覆盖（odq 默认值）。每个数据集列出将其归入该领域的依据。",
        "reason": "依据", "reason_title": "标题含", "reason_keyword": "关键词含", "reason_department": "部门",
        "reason_category": "平台分类", "reason_fallback_category": "平台分类（兜底）",
        "reason_fallback_title": "标题含（兜底）", "reason_fallback_keyword": "关键词含（兜底）",
        "lenses": "三种评估视角", "band": "总分与等级",
        "shacl_rendering": "DCAT-AP 合规按评估工具对每条记录生成的 DCAT-AP 描述校验（pySHACL，离线）。",
        "shacl_offline": "DCAT-AP %s 中以下约束集无法离线校验，未计入：",
        "lenses_note": "同一组测量值分别按 CSTC 指标体系、欧盟 MQA 维度和 Open Data Portal Watch 指标计算。",
        "unmapped_keys": "未读取的原始字段", "raw_key": "原始字段", "key_section": "位置",
        "share_of_records": "数据集占比",
        "unmapped_keys_note": "以下原始字段在超过 {share} 的数据集中有值（odq 默认值），但未映射到任何记录字段；"
        "可在平台配置的 options.keys 中指定其对应的字段。",
        "unmapped_keys_none": "没有在超过 {share} 的数据集中有值而未被读取的原始字段（odq 默认值）。",
        "section_package": "数据集顶层", "section_extras": "扩展字段（extras）", "section_resource": "资源",
    },
    "en": {
        "title": "Open-data portal assessment", "score_card": "Score card", "indicator": "Indicator",
        "weight": "Weight", "points": "Points", "score": "Score", "tier": "Tier", "composite": "Composite index",
        "point": "Assessment point", "default": "default weight", "not_applicable": "not applicable",
        "not_measured": "not measured", "measure": "Measure", "value": "Value", "worst": "Worst datasets",
        "findings": "findings", "history": "Harvest history", "methodology": "Methodology and weights",
        "files": "Sampled file validation", "datasets": "datasets", "distributions": "distributions",
        "harvested": "Harvested", "status": "Status", "unverified": "this portal profile is not verified against "
        "a real response", "portal_findings": "Portal-level findings", "none": "none",
        "not_published": "not published", "errors": "Harvest errors", "valid": "valid", "invalid": "invalid",
        "unchecked": "not validated", "unreadable": "unreadable", "yes": "yes", "no": "no", "unknown": "unknown",
        "needs_check": "needs an evaluator's check", "evaluator_fact": "evaluator's fact",
        "needs_check_note": "These assessment points cannot be "
        "measured from outside; they are left out of the maximum until an evaluator records the facts:",
        "odq_defaults": "odq defaults (the published scheme does not give them)", "known_maximum": "known maximum",
        "full_maximum": "full maximum", "file": "File", "rows": "Rows", "file_errors": "Errors",
        "encoding": "Encoding", "landing": "dataset page", "validation": "Great Expectations validation results",
        "suite": "Suite", "expectation": "Expectation", "observed": "Observed", "mostly": "Required",
        "unexpected": "Failing", "success": "Verdict", "passed": "passed", "failed": "failed",
        "validation_note": "Each share measure is one Great Expectations expectation: every dataset passes or "
        "fails, datasets it does not apply to are left out, and the expectation is met when the share of "
        "passes reaches the required value.",
        "charts": "Charts", "trend_axis": "Composite index", "harvest_axis": "Harvest", "system": "Indicator system",
        "level": "Level", "harvest": "harvest", "requests": "requests", "bytes": "bytes", "seconds": "s",
        "downloads": "Downloads (quality measures as W3C DQV)",
        "generated": "Generated", "other": "other", "no_format": "no format", "more": "more",
        "nothing_to_chart": "nothing to chart",
        "domains": "Coverage of the 12 required domains", "domain": "Domain", "covered": "covered",
        "not_covered": "not covered",
        "domains_note": "A domain is covered from {n} datasets (odq's default). Each dataset is listed with the "
        "rule that placed it in the domain.",
        "reason": "Reason", "reason_title": "title has", "reason_keyword": "keyword", "reason_department":
        "department", "reason_category": "portal category", "reason_fallback_category": "portal category (fallback)",
        "reason_fallback_title": "title has (fallback)", "reason_fallback_keyword": "keyword (fallback)",
        "lenses": "One portal, three lenses", "band": "Total and band",
        "shacl_rendering": "DCAT-AP compliance is checked on odq's DCAT-AP rendering of each record "
                           "(pySHACL, offline).",
        "shacl_offline": "Shape sets of DCAT-AP %s that cannot be evaluated offline, left out:",
        "lenses_note": "The same measures, scored by the CSTC indicator systems, the EU MQA's dimensions and Open "
        "Data Portal Watch's metrics.",
        "unmapped_keys": "Raw keys not read", "raw_key": "Raw key", "key_section": "Where",
        "share_of_records": "Share of datasets",
        "unmapped_keys_note": "These raw keys have a value in more than {share} of the datasets (odq's default) but "
        "feed no record field; a profile can map them with options.keys.",
        "unmapped_keys_none": "No raw key with a value in more than {share} of the datasets (odq's default) is left "
        "unread.",
        "section_package": "package (top level)", "section_extras": "extras", "section_resource": "resource",
    },
}

FAMILY_TITLES: dict[str, tuple[str, str, str]] = {
    "classification": ("开放目录与分类", "Catalogue and classification", "3.4.1"),
    "fields": ("数据项说明", "Field documentation", "3.4.2-1"),
    "frequency": ("更新频度与及时性", "Update frequency and timeliness", "3.4.2-2"),
    "formats": ("格式与调用便捷性", "Formats and ease of use", "3.4.2-3"),
    "domains": ("重点领域覆盖", "Coverage of the 12 domains", "3.4.2-4"),
    "usage": ("开发利用", "Development and use", "3.4.3"),
    "conformance": ("元数据标准符合性", "Metadata standard conformance", ""),
    "portalwatch": ("Open Data Portal Watch 元数据质量指标", "Open Data Portal Watch metadata quality", ""),
    "mqa": ("欧盟元数据质量评估（MQA）指标", "EU Metadata Quality Assessment (MQA) indicators", ""),
}

TIERS: dict[str, str] = {"卓越": "outstanding", "优秀": "excellent", "良好": "good", "中等": "fair",
                         "待改进": "needs improvement"}

LEVELS: dict[str, tuple[str, str]] = {
    "ministry": ("部委", "ministry"), "province": ("省级", "province"),
    "sub-provincial": ("副省级/计划单列市", "sub-provincial city"),
    "provincial-capital": ("省会城市", "provincial capital"), "city": ("地市", "city"), "county": ("区县", "county"),
}

HARVEST_STATUS: dict[str, tuple[str, str]] = {
    "complete": ("完成", "complete"), "partial": ("部分完成", "partial"), "failed": ("失败", "failed"),
    "running": ("进行中", "running"), "interrupted": ("已中断", "interrupted"),
    "suspicious": ("可疑（空目录）", "suspicious (empty listing)"),
}

# English names of the shipped CSTC profiles' assessment points, used when a profile has no `name_en`.
# Key: system id / indicator id / point id, with "@level" for a level's own wording (name_by_level).
_CATALOGUE_POINTS = {
    ("open-catalogue", "1"): "is an open government-data catalogue published",
    ("open-catalogue", "2"): "is the catalogue classified sensibly, so that users can find and query data",
    ("data-quality", "1"): "are the data items (fields) fully and clearly described",
    ("data-quality", "2"): "is the update frequency declared, and are datasets updated on time",
    ("data-quality", "3"): "are the file formats and data calls convenient to use",
    ("data-quality", "4"): "does the data cover market entities, human resources and social security, education, "
                           "health, civil affairs, construction, transport, culture, science and technology, "
                           "agriculture, work safety and environmental protection",
    ("development-use", "1"): "is there a function for requesting that data be opened",
    ("development-use", "1@ministry"): "is there a function for requesting that data be opened, with replies "
                                       "published in good time",
    ("development-use", "2"): "are statistics on downloads, API calls and similar use published",
}
_DIGITAL = {"3.4.1": "open-catalogue", "3.4.2": "data-quality", "3.4.3": "development-use"}
POINT_NAMES_EN: dict[str, str] = {
    **{f"cstc2019-website/{ind}/{pt}": name for (ind, pt), name in _CATALOGUE_POINTS.items()},
    **{f"cstc2019-digital-government/{dg}/{pt}": name
       for dg, ind in _DIGITAL.items() for (ind2, pt), name in _CATALOGUE_POINTS.items() if ind2 == ind},
}
DEFAULTS_NOTES_EN: dict[str, str] = {
    "cstc2019-website": "The weights of the assessment points and of the measures within a point are odq defaults "
                        "(the evaluation scheme does not publish them); sub-provincial cities and provincial "
                        "capitals take the city weights; counties are not evaluated on open data.",
    "cstc2019-digital-government": "The split of 3.4's 8 points over 3.4.1/3.4.2/3.4.3 (2/4/2), the weights of "
                                   "the assessment points and of the measures within a point are odq defaults "
                                   "(the evaluation scheme does not publish them); ministries and counties are "
                                   "outside this evaluation.",
}

# frictionless error types (and odq's own file verdicts) as a reader would say them.
FILE_ERRORS: dict[str, tuple[str, str]] = {
    "blank-row": ("空行", "blank row"), "blank-label": ("空列名", "blank column name"),
    "duplicate-label": ("重复列名", "duplicate column name"), "extra-cell": ("多余单元格", "extra cell"),
    "missing-cell": ("缺失单元格", "missing cell"), "type-error": ("类型错误", "type error"),
    "constraint-error": ("约束错误", "constraint error"), "extra-label": ("多余列名", "extra column name"),
    "missing-label": ("缺失列名", "missing column name"), "incorrect-label": ("列名不符", "incorrect column name"),
    "encoding-error": ("编码错误", "encoding error"), "format-error": ("格式错误", "format error"),
    "scheme-error": ("协议错误", "scheme error"), "source-error": ("来源错误", "source error"),
    "hash-count": ("校验和不符", "hash mismatch"), "byte-count": ("字节数不符", "byte count mismatch"),
    "not-a-data-file": ("不是数据文件", "not a data file"), "unique-error": ("唯一性错误", "uniqueness error"),
    "primary-key": ("主键错误", "primary key error"), "foreign-key": ("外键错误", "foreign key error"),
    "row-constraint": ("行约束错误", "row constraint error"), "task-error": ("校验任务错误", "validation task error"),
    "unreadable": ("无法读取", "unreadable"), "compression-error": ("压缩包错误", "compression error"),
}
_MISSING_TOKEN = re.compile(r"(?<![\w<])(?:nan|NaN|NaT|<NA>)(?![\w>])")  # pandas' missing values in a message


def labels(lang: str) -> dict[str, str]:
    return LABELS[lang if lang in LABELS else "zh"]


def label(key: str, lang: str) -> str:
    return labels(lang).get(key, LABELS["en"].get(key, key))


def tier_name(tier: str | None, lang: str) -> str:
    if not tier:
        return "—"
    return TIERS.get(tier, tier) if lang == "en" else tier


def level_name(level: str | None, lang: str) -> str:
    zh, en = LEVELS.get(level or "", (level or "—", level or "—"))
    return en if lang == "en" else zh


def status_name(status: str | None, lang: str) -> str:
    zh, en = HARVEST_STATUS.get(status or "", (status or "—", status or "—"))
    return en if lang == "en" else zh


def file_error_name(kind: str, lang: str) -> str:
    zh, en = FILE_ERRORS.get(kind, (kind, kind))
    return en if lang == "en" else zh


@cache
def _domain_names() -> dict[str, tuple[str, str]]:
    from harvester.vocab import domains

    return {d.name_zh: (d.name_zh, d.name_en) for d in domains()} | {d.id: (d.name_zh, d.name_en) for d in domains()}


def domain_name(name: str, lang: str) -> str:
    """A domain by its Chinese name or id: the 12 domains have names in the vocabulary."""
    zh, en = _domain_names().get(name, (name, name))
    return en if lang == "en" else zh


@cache
def _frequency_names() -> dict[str, tuple[str, str]]:
    from harvester.vocab import frequencies

    return {code: (f.name_zh, f.name_en) for code, f in frequencies().items()}


def frequency_name(code: str | None, lang: str) -> str:
    if not code:
        return label("unknown", lang)
    zh, en = _frequency_names().get(code, (code, code))
    return en if lang == "en" else zh


@cache
def _system_profile(system_id: str) -> dict[str, Any] | None:
    from checks.scoring import load_system
    from harvester.profiles import ProfileError

    try:
        return load_system(system_id)
    except (ProfileError, OSError, ValueError):  # a removed or broken profile: the stored names still show
        return None


def system_profile(system_id: str) -> dict[str, Any] | None:
    """The indicator system's profile, or None when it is gone (reports of old harvests still render)."""
    return _system_profile(system_id)


def _indicator_profile(system_id: str, indicator_id: str) -> dict[str, Any]:
    system = _system_profile(system_id) or {}
    return next((i for i in system.get("indicators", []) if str(i.get("id")) == str(indicator_id)), {})


def system_name(score: Mapping[str, Any], lang: str) -> str:
    name = score.get("system_name") or score.get("system") or "—"
    if lang != "en":
        return str(name)
    return str(score.get("system_name_en") or (_system_profile(str(score.get("system"))) or {}).get("name_en") or name)


def indicator_name(system_id: str, indicator: Mapping[str, Any], lang: str) -> str:
    name = str(indicator.get("name") or indicator.get("id"))
    if lang != "en":
        return name
    return str(indicator.get("name_en") or _indicator_profile(system_id, indicator["id"]).get("name_en") or name)


def point_name(system_id: str, indicator_id: str, point: Mapping[str, Any], lang: str, level: str | None = None) -> str:
    name = str(point.get("name") or point.get("id"))
    if lang != "en":
        return name
    if point.get("name_en"):
        return str(point["name_en"])
    declared = next((p for p in _indicator_profile(system_id, indicator_id).get("points", [])
                     if str(p.get("id")) == str(point.get("id"))), {})
    by_level = (declared.get("name_en_by_level") or {}).get(level or "")
    if by_level or declared.get("name_en"):
        return str(by_level or declared["name_en"])
    key = f"{system_id}/{indicator_id}/{point.get('id')}"
    return POINT_NAMES_EN.get(f"{key}@{level}") or POINT_NAMES_EN.get(key) or name


def defaults_note(score: Mapping[str, Any], lang: str) -> str:
    note = score.get("defaults_note") or ""
    if lang != "en":
        return str(note)
    system = _system_profile(str(score.get("system"))) or {}
    return str(score.get("defaults_note_en") or system.get("defaults_note_en")
               or DEFAULTS_NOTES_EN.get(str(score.get("system")), note))


def family_title(family: str, lang: str) -> str:
    zh, en, _point = FAMILY_TITLES.get(family, (family, family, ""))
    return en if lang == "en" else zh


# -- findings ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Part:
    """A piece of a finding's text; `raw` pieces are portal-supplied (or transport) text, never translated."""

    text: str
    raw: bool = False


Translate = Callable[[str, str], str]


def _file_errors(value: str, lang: str) -> str:
    """'type-error ×5, blank-row ×1' with each error type said in the language."""
    items = []
    for item in value.split(", "):
        kind, sep, count = item.partition(" ×")
        items.append(f"{file_error_name(kind, lang)}{sep}{count}" if kind in FILE_ERRORS else item)
    return ("、" if lang == "zh" else ", ").join(items)


def _fetch_reason(value: str, lang: str) -> str:
    """Why a sampled file was not validated (checks.files' reasons), said in the language."""
    if lang != "zh":
        return value
    cap = re.fullmatch(r"larger than the ([\d,]+)-byte cap; not validated", value) or re.fullmatch(
        r"not validated: over the cap of ([\d,]+) bytes", value)
    if cap:
        return f"超过 {cap[1]} 字节上限，未校验"
    html = re.fullmatch(r"unreadable: declared (\S+) but the link serves an HTML page", value)
    if html:
        return f"无法读取：声明为 {html[1]}，但链接返回的是 HTML 网页"
    if value.startswith("unreadable: "):
        return f"无法读取：{value.removeprefix('unreadable: ')}"
    if value.startswith("refused "):
        return "被地址防护拒绝"
    if re.fullmatch(r"HTTP \d{3}", value) or "×" in value:
        return _file_errors(value, lang)
    return value


def _pick(words: Mapping[str, tuple[str, str]]) -> Translate:
    return lambda value, lang: words.get(value, (value, value))[0 if lang == "zh" else 1]


# The vocabularies a finding type names for its values (checks.findings): codes said in each language.
VOCABULARIES: dict[str, Translate] = {
    "probe": _pick({"works": ("可用", "works"), "fails": ("不可用", "fails"),
                    "fails-or-absent": ("不可用或未提供", "fails or is not offered"),
                    "not-probed": ("未能探测", "could not be probed")}),
    "frequency": lambda value, lang: frequency_name(value, lang),
    "judged-date": _pick({"data": ("数据更新", "data updated"), "record": ("最后更新", "last modified")}),
    "dated-field": _pick({"data": ("数据更新日期", "data update date"), "record": ("更新日期", "modified date")}),
    "reference-time": _pick({"harvest": ("采集时间", "harvest"), "recording": ("目录记录时间", "recording")}),
    "domains": lambda value, lang: domain_name(value, lang),
    "file-errors": _file_errors,
    "fetch-reason": _fetch_reason,
    "pod-schema": _pick({"federal": ("联邦", "federal"), "non-federal": ("非联邦", "non-federal")}),
    "stars-reason": stars_reason,
    # "'CC-BY-NC' ×3", or "— ×27" where no licence was given
    "licence-example": lambda value, lang: (("未填写" if lang == "zh" else "none given") + value[1:]
                                            if value.startswith("— ×") else value),
}


def _value_text(value: Any, lang: str, translate: Translate | None) -> str:
    say = (lambda text: translate(text, lang)) if translate else None
    return value_text(value, label("unknown", lang), label("none", lang), "、" if lang == "zh" else ", ", say)


def _typed_parts(kind: FindingType, values: Mapping[str, Any], lang: str) -> list[Part]:
    parts: list[Part] = []
    for literal, name, _spec, _conv in string.Formatter().parse(kind.zh if lang == "zh" else kind.en):
        if literal:
            parts.append(Part(literal))
        if name is None:
            continue
        vocabulary = kind.vocabulary.get(name)
        parts.append(Part(_value_text(values.get(name), lang, VOCABULARIES[vocabulary] if vocabulary else None),
                          raw=name in kind.portal_text))
    return parts


def finding_parts(finding: Mapping[str, Any], lang: str) -> list[Part]:
    """A finding said in the language from its type's templates and values; a finding stored before findings were
    typed (no code) is shown as stored, marked as the original text under its family's name."""
    from checks.registry import finding_types

    kind = finding_types().get(str(finding.get("code")))
    values = finding.get("values")
    if kind is not None and isinstance(values, Mapping):
        return _typed_parts(kind, values, lang)
    message = _MISSING_TOKEN.sub(label("unknown", lang), str(finding.get("message") or ""))
    if lang == "zh":
        return [Part(f"{family_title(str(finding.get('family')), lang)}问题（原文）："), Part(message, raw=True)]
    return [Part(message, raw=True)]


def finding_text(finding: Mapping[str, Any], lang: str) -> str:
    """A finding as plain text in the language (Markdown, JSON, spreadsheets)."""
    return "".join(part.text for part in finding_parts(finding, lang))
