"""The rule parameters an assessment used, said in Chinese or English for the report's methodology."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

LABELS = {
    "zh": {"rules": "测量规则参数", "parameter": "参数", "value": "取值", "provenance": "来源", "rule": "规则与理由",
           "measures": "测量项",
           "note": "以下参数决定测量项如何判定（宽限、期限、阈值），对所有评估体系和平台相同。"},
    "en": {"rules": "Rule parameters of the measures", "parameter": "Parameter", "value": "Value",
           "provenance": "Provenance", "rule": "Rule and reason", "measures": "Measures",
           "note": "These parameters decide how the measures judge (grace, windows, thresholds); they are the same "
                   "for every indicator system and portal of the assessment."},
}

UNITS = {"days": ("天", "days"), "ratio": ("倍（声明周期）", "× the declared period"), "share": ("", ""),
         "records": ("条", "records")}


def rule_labels(lang: str) -> dict[str, str]:
    return LABELS["en" if lang == "en" else "zh"]


def rule_value(parameter: Mapping[str, Any], lang: str) -> str:
    """'7 天', '0.8', '0.5 × the declared period'."""
    zh, en = UNITS.get(str(parameter.get("unit") or ""), ("", str(parameter.get("unit") or "")))
    unit = en if lang == "en" else zh
    value = parameter.get("value")
    text = f"{value:g}" if isinstance(value, float) else str(value)
    return f"{text} {unit}".strip()


def rule_source(parameter: Mapping[str, Any], lang: str) -> str:
    """odq default, published (with its reference) or the evaluator's override (with the file and odq's default)."""
    source = parameter.get("source")
    if source == "published":
        reference = parameter.get("reference") or ""
        return f"评估方案公布：{reference}" if lang != "en" else f"published: {reference}"
    if source == "override":
        default = parameter.get("default")
        origin = parameter.get("origin") or ""
        if lang == "en":
            return f"evaluator's override ({origin}; odq default {default})"
        return f"评估方覆盖（{origin}；odq 默认值 {default}）"
    return "odq 默认值（评估方案未公布）" if lang != "en" else "odq default (the published scheme does not give it)"


def rule_text(parameter: Mapping[str, Any], lang: str) -> str:
    """What the parameter does and why it has its value, in one line."""
    if lang == "en":
        return f"{parameter.get('meaning') or ''}; {parameter.get('reason') or ''}".strip("; ")
    reason = parameter.get("reason_zh") or parameter.get("reason") or ""
    return f"{parameter.get('meaning_zh') or ''}；{reason}".strip("；")
