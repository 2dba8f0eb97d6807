"""Writes a portal report: HTML (Jinja2, autoescaped — portal content is hostile), JSON, and file reports."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import orjson
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape

from reports import messages, portal_charts, rule_messages
from reports.messages import LABELS, finding_parts, label

__all__ = ["LABELS", "format_value", "write_report"]

_TIER_CLASS = {"卓越": "t1", "优秀": "t2", "良好": "t3", "中等": "t4", "待改进": "t5"}


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float) and math.isfinite(value):
        return float(value)
    return None


def format_value(measure: dict[str, Any], lang: str = "zh") -> str:
    """A measure's value for a reader; an unknown (or NaN) value says so, never 'nan'."""
    value = _number(measure.get("value"))
    if value is None:
        return label("not_measured", lang)
    unit = (measure.get("detail") or {}).get("unit")
    if unit == "share":
        return f"{value:.1%}"
    if unit == "boolean":
        return label("yes" if value else "no", lang)
    if unit == "stars":
        return f"{value:.2f} ★"
    if not value.is_integer():
        return f"{value:,.2f}"
    return f"{int(value):,}"


def bar_width(measure: dict[str, Any]) -> float | None:
    """Width in [0, 100] for share measures, so the template draws bars without computing."""
    value = _number(measure.get("value"))
    if value is None or (measure.get("detail") or {}).get("unit") != "share":
        return None
    return round(max(0.0, min(1.0, value)) * 100, 1)


def number(value: Any, pattern: str = "{:,.2f}", missing: str = "—") -> str:
    """A number in a pattern, or `missing` for None/NaN (so no page ever shows 'nan')."""
    known = _number(value)
    return missing if known is None else pattern.format(known)


def web_url(url: Any) -> str | None:
    """The URL when it is http(s) and may be a link; anything else (javascript:, data:, relative) is not."""
    if not isinstance(url, str):
        return None
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc or any(c in url for c in "\r\n\t"):
        return None
    return url


def raw(text: Any) -> Markup:
    """Portal-supplied text, escaped and marked, so pages (and their tests) can tell it from odq's own words."""
    return Markup('<span class="raw">{}</span>').format("" if text is None else str(text))


def finding_html(finding: Mapping[str, Any], lang: str) -> Markup:
    return Markup("").join(raw(p.text) if p.raw else escape(p.text) for p in finding_parts(finding, lang))


def numbering(indicator_id: Any) -> str:
    """An indicator's number as the scheme writes it ("3.4.1 "); slug ids (open-catalogue) are not shown."""
    text = str(indicator_id)
    return f"{text} " if re.fullmatch(r"[\d.\-]+", text) else ""


def point_status(point: Mapping[str, Any]) -> bool:
    """True when a point waits for an evaluator's check (scoring marks it one of these ways)."""
    return bool(point.get("needs_check") or point.get("status") == "needs_check")


def _environment(lang: str) -> Environment:
    env = Environment(
        loader=PackageLoader("reports", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html", "j2"), default_for_string=True, default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        value=lambda m: format_value(m, lang), bar=bar_width, number=number, web_url=web_url, raw=raw,
        finding=lambda f: finding_html(f, lang), tier=lambda t: messages.tier_name(t, lang),
        tier_class=lambda t: _TIER_CLASS.get(t or "", "t0"), level=lambda v: messages.level_name(v, lang),
        status=lambda v: messages.status_name(v, lang), file_error=lambda v: messages.file_error_name(v, lang),
        domain=lambda v: messages.domain_name(v, lang), family=lambda v: messages.family_title(v, lang),
        numbering=numbering,
    )
    env.globals.update(
        system_name=lambda s: messages.system_name(s, lang),
        indicator_name=lambda s, i: messages.indicator_name(s["system"], i, lang),
        point_name=lambda s, i, p: messages.point_name(s["system"], i["id"], p, lang, s.get("level")),
        defaults_note=lambda s: messages.defaults_note(s, lang),
        RL=rule_messages.rule_labels(lang),
        rule_value=lambda p: rule_messages.rule_value(p, lang),
        rule_source=lambda p: rule_messages.rule_source(p, lang),
        rule_text=lambda p: rule_messages.rule_text(p, lang),
        needs_check=point_status,
        needs_check_name=lambda s, item: messages.point_name(
            s["system"], item.get("indicator"), {"id": item.get("point"), "name": item.get("name"),
                                                 "name_en": item.get("name_en")}, lang, s.get("level")),
        family_charts=lambda f, figures: portal_charts.family_charts(f, figures, lang),
        trend_chart=lambda r: portal_charts.trend(r.get("history") or [], r.get("scores") or [], lang),
    )
    return env


def write_report(report: dict[str, Any], out_dir: Path, lang: str = "zh",
                 attachments: Mapping[str, bytes] | None = None) -> Path:
    """index.html and report.json in out_dir; one JSON per sampled file under files/; `attachments` (file name →
    bytes, e.g. the DQV measures) are written beside them and linked from the page.

    The Great Expectations results are rendered in the page itself: GX's own Data Docs load their scripts and
    styles from CDNs and show an empty page offline.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    files_dir = out_dir / "files"
    files_dir.mkdir(exist_ok=True)
    file_links = []
    for index, file_report in enumerate(report.get("files") or [], start=1):
        name = f"file-{index:03d}.json"
        (files_dir / name).write_bytes(orjson.dumps(file_report, option=orjson.OPT_INDENT_2))
        file_links.append({"href": f"files/{name}", **file_report})
    for name, body in (attachments or {}).items():
        (out_dir / name).write_bytes(body)
    html = _environment(lang).get_template("report.html.j2").render(
        r=report, L=messages.labels(lang), lang=lang, files=file_links, attachments=list(attachments or {}),
    )
    path = out_dir / "index.html"
    path.write_text(html, encoding="utf-8")
    (out_dir / "report.json").write_bytes(
        orjson.dumps(report, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS, default=str)
    )
    return path
