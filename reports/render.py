"""Writes a portal report: HTML (Jinja2, autoescaped — portal content is hostile), JSON, and file reports."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import orjson
from jinja2 import Environment, PackageLoader, select_autoescape

LABELS = {
    "zh": {
        "title": "开放数据平台评估报告", "score_card": "得分", "indicator": "指标", "weight": "权重",
        "points": "得分", "score": "得分率", "tier": "等级", "composite": "综合指数", "point": "评估要点",
        "default": "默认权重", "not_applicable": "不适用", "not_measured": "未能测量", "measure": "测量项",
        "value": "数值", "worst": "问题最多的数据集", "findings": "发现的问题", "history": "历次采集",
        "methodology": "方法与权重", "files": "抽样文件校验报告", "datasets": "数据集", "distributions": "资源",
        "harvested": "采集时间", "status": "状态", "unverified": "该平台配置未经真实响应核验",
        "portal_findings": "平台层面的问题", "none": "无", "not_published": "未公布", "errors": "采集错误",
        "docs": "Great Expectations 数据文档", "valid": "有效", "invalid": "无效", "unchecked": "未校验",
    },
    "en": {
        "title": "Open-data portal assessment", "score_card": "Score card", "indicator": "Indicator",
        "weight": "Weight", "points": "Points", "score": "Score", "tier": "Tier", "composite": "Composite index",
        "point": "Assessment point", "default": "default weight", "not_applicable": "not applicable",
        "not_measured": "not measured", "measure": "Measure", "value": "Value", "worst": "Worst datasets",
        "findings": "Findings", "history": "Harvest history", "methodology": "Methodology and weights",
        "files": "Sampled file validation", "datasets": "datasets", "distributions": "distributions",
        "harvested": "Harvested", "status": "Status", "unverified": "this portal profile is not verified against "
        "a real response", "portal_findings": "Portal-level findings", "none": "none",
        "not_published": "not published", "errors": "Harvest errors", "docs": "Great Expectations Data Docs",
        "valid": "valid", "invalid": "invalid", "unchecked": "not validated",
    },
}


def format_value(measure: dict[str, Any], lang: str = "zh") -> str:
    value = measure.get("value")
    if value is None:
        return LABELS[lang]["not_measured"]
    unit = (measure.get("detail") or {}).get("unit")
    if unit == "share":
        return f"{value:.1%}"
    if unit == "boolean":
        return ("是" if value else "否") if lang == "zh" else ("yes" if value else "no")
    if unit == "stars":
        return f"{value:.2f} ★"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.2f}"
    return f"{int(value):,}"


def bar_width(measure: dict[str, Any]) -> float | None:
    """Width in [0, 100] for share measures, so the template draws bars without computing."""
    value = measure.get("value")
    if value is None or (measure.get("detail") or {}).get("unit") != "share" or math.isnan(value):
        return None
    return round(max(0.0, min(1.0, value)) * 100, 1)


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("reports", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html", "j2"), default_for_string=True, default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["value"] = format_value
    env.filters["bar"] = bar_width
    return env


def write_report(report: dict[str, Any], out_dir: Path, lang: str = "zh", docs_dir: Path | None = None) -> Path:
    """index.html and report.json in out_dir; one JSON per sampled file under files/."""
    out_dir.mkdir(parents=True, exist_ok=True)
    files_dir = out_dir / "files"
    files_dir.mkdir(exist_ok=True)
    file_links = []
    for number, file_report in enumerate(report.get("files") or [], start=1):
        name = f"file-{number:03d}.json"
        (files_dir / name).write_bytes(orjson.dumps(file_report, option=orjson.OPT_INDENT_2))
        file_links.append({"href": f"files/{name}", **file_report})
    docs_index = None
    if docs_dir is not None and (docs_dir / "index.html").exists():
        docs_index = docs_dir.relative_to(out_dir).as_posix() + "/index.html" if docs_dir.is_relative_to(out_dir) \
            else docs_dir.as_uri() + "/index.html"
    html = _environment().get_template("report.html.j2").render(
        r=report, L=LABELS[lang], lang=lang, files=file_links, docs_index=docs_index,
    )
    path = out_dir / "index.html"
    path.write_text(html, encoding="utf-8")
    (out_dir / "report.json").write_bytes(
        orjson.dumps(report, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS, default=str)
    )
    return path
