"""The portal report's charts, drawn from the report data in the chosen language (one function per chart)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from markupsafe import Markup

from reports.charts import BAD, GOOD, MISSING, NEUTRAL, Datum, Series, bar_chart, donut, line_chart, stacked_bar
from reports.messages import domain_name, frequency_name, label, system_name, system_profile, tier_name

_TEXT = {
    "formats": ("资源格式构成（按资源数）", "Format mix (distributions)"),
    "stars": ("开放星级分布（按数据集）", "Openness stars (datasets)"),
    "domains": ("12 个重点领域的数据集数", "Datasets in each of the 12 domains"),
    "covered_at": ("覆盖门槛 {n} 个", "covered at {n}"),
    "freshness": ("更新及时性（按数据集）", "Timeliness against the declared frequency (datasets)"),
    "on_time": ("按期更新", "on time"), "late": ("逾期未更新", "late"),
    "not_judged": ("声明了频率但无法判断", "declared, not judgeable"), "undeclared": ("未声明或无法识别频率",
                                                                             "no usable frequency"),
    "by_frequency": ("各声明频率的数据集数（括号内为逾期数）", "Datasets per declared frequency (late in brackets)"),
    "by_frequency_total": ("各声明频率的数据集数", "Datasets per declared frequency"),
    "fields": ("数据项说明（按数据集）", "Field documentation (datasets)"),
    "well": ("字段说明充分", "fields well described"), "thin": ("有字段表但说明不足", "field list, thinly described"),
    "no_fields": ("无字段表", "no field list"),
    "links": ("链接状态（按不重复链接）", "Link status (distinct links)"),
    "alive": ("可访问", "alive"), "dead": ("失效（HTTP 错误）", "dead (HTTP error)"),
    "blocked": ("被地址防护拒绝", "blocked by the address guard"), "unknown": ("无应答（超时、DNS 等）",
                                                                         "no answer (timeout, DNS…)"),
    "not_checked": ("未检测（抽样之外）", "not checked (outside the sample)"), "no_url": ("无 http(s) 链接",
                                                                                  "no http(s) URL"),
    "trend": ("历次采集的综合指数（×100）", "Composite index over harvests (×100)"),
}


def _say(key: str, lang: str, **values: Any) -> str:
    zh, en = _TEXT[key]
    return (zh if lang == "zh" else en).format(**values)


def _measure(family: Mapping[str, Any], measure_id: str) -> Mapping[str, Any] | None:
    return next((m for m in family.get("measures", []) if m["measure_id"] == measure_id), None)


def _counts(measure: Mapping[str, Any] | None) -> tuple[int, int] | None:
    """(applicable, failed) of a share measure, None when the check did not run."""
    detail = (measure or {}).get("detail") or {}
    if detail.get("applicable") is None or detail.get("failed") is None:
        return None
    return int(detail["applicable"]), int(detail["failed"])


def format_mix(figures: Mapping[str, Any], lang: str) -> Markup | None:
    formats = figures.get("formats") or {}
    if not formats:
        return None
    data = [Datum(label("other", lang) if code == "*" else (code or label("no_format", lang)), n,
                  MISSING if code == "" else None) for code, n in formats.items()]
    return donut(data, title=_say("formats", lang))


def stars(family: Mapping[str, Any], lang: str) -> Markup | None:
    measure = _measure(family, "openness_stars_mean")
    distribution = ((measure or {}).get("detail") or {}).get("distribution")
    if not distribution:
        return None
    data = [Datum("★" * n if n else "0 ★", float(distribution.get(str(n), 0)), PALETTE_STARS[n]) for n in range(6)]
    return bar_chart(data, title=_say("stars", lang), label_width=90)


PALETTE_STARS = ("#c43d3d", "#d9643a", "#e0a31a", "#3a9d4f", "#2f7bd8", "#17324d")


def domains(family: Mapping[str, Any], lang: str) -> Markup | None:
    measure = _measure(family, "domains_covered")
    counts = ((measure or {}).get("detail") or {}).get("counts")
    if not counts:
        return None
    threshold = int(measure["detail"].get("min_datasets") or 1)  # the N the measure was counted with
    data = [Datum(domain_name(name, lang), float(n), GOOD if n >= threshold else BAD) for name, n in counts.items()]
    return bar_chart(data, title=_say("domains", lang), label_width=300 if lang == "en" else 120,
                     threshold=(threshold, _say("covered_at", lang, n=threshold)))


def freshness(family: Mapping[str, Any], lang: str) -> Markup | None:
    declared, timely = _counts(_measure(family, "frequency_declared_share")), _counts(_measure(family, "timely_share"))
    if declared is None:
        return None
    judged, late = timely or (0, 0)
    usable = declared[0] - declared[1]
    data = [Datum(_say("on_time", lang), judged - late, GOOD), Datum(_say("late", lang), late, BAD),
            Datum(_say("not_judged", lang), max(0, usable - judged), NEUTRAL),
            Datum(_say("undeclared", lang), declared[1], MISSING)]
    return stacked_bar(data, title=_say("freshness", lang))


def by_frequency(figures: Mapping[str, Any], lang: str) -> Markup | None:
    fresh = figures.get("freshness") or {}
    declared = {code: n for code, n in (fresh.get("declared") or {}).items() if code}
    if not declared:
        return None
    late = fresh.get("late")
    data = [Datum(frequency_name(code, lang), float(n), note=f"({late.get(code, 0)})" if late is not None else None)
            for code, n in sorted(declared.items(), key=lambda item: -item[1])]
    title = _say("by_frequency" if late is not None else "by_frequency_total", lang)
    return bar_chart(data, title=title, label_width=230 if lang == "en" else 110)


def fields(family: Mapping[str, Any], lang: str) -> Markup | None:
    listed = _counts(_measure(family, "field_list_share"))
    described = _counts(_measure(family, "fields_described_share"))
    if listed is None:
        return None
    with_list, thin = described or (listed[0] - listed[1], 0)
    data = [Datum(_say("well", lang), with_list - thin, GOOD), Datum(_say("thin", lang), thin, NEUTRAL),
            Datum(_say("no_fields", lang), listed[1], BAD)]
    return stacked_bar(data, title=_say("fields", lang))


def links(figures: Mapping[str, Any], lang: str) -> Markup | None:
    status = figures.get("links") or {}
    colors = {"alive": GOOD, "dead": BAD, "blocked": "#8a5cc2", "unknown": NEUTRAL, "not_checked": MISSING,
              "no_url": "#d5dbe1"}
    data = [Datum(_say(key, lang), float(status.get(key) or 0), color) for key, color in colors.items()
            if status.get(key)]
    if not data:
        return None
    return stacked_bar(data, title=_say("links", lang))


def trend(history: list[Mapping[str, Any]], scores: list[Mapping[str, Any]], lang: str) -> Markup | None:
    points = [h for h in history if h.get("composites")]
    if not points:
        return None
    systems = sorted({system for h in points for system in h["composites"]})
    names = {s.get("system"): system_name(s, lang) for s in scores}
    series = [Series(names.get(system, system), [None if h["composites"].get(system) is None
                                                 else 100 * h["composites"][system] for h in points])
              for system in systems]
    scored = next((s for s in scores if s.get("applicable")), None)
    tiers = (system_profile(str(scored.get("system"))) or {}).get("tiers", []) if scored else []
    bands = [(100 * float(t["min"]), t.get("label_en") or tier_name(t["label"], lang) if lang == "en" else t["label"])
             for t in tiers if t.get("min")]  # the system's own tier bounds, e.g. 0.6/0.7/0.8/0.9
    for width in (10, 16, 19):  # the day, else the minute, else the second: whatever tells harvests apart
        x_labels = [h["started_at"][:width].replace("T", " ") for h in points]
        if len(set(x_labels)) == len(x_labels):
            break
    return line_chart(series, x_labels, title=_say("trend", lang),
                      y_label=label("trend_axis", lang), x_label=label("harvest_axis", lang), y_max=100,
                      y_ticks=(0, 20, 40, 60, 80, 100), fmt=lambda v: f"{v:.0f}", bands=bands)


def family_charts(family: Mapping[str, Any], figures: Mapping[str, Any], lang: str) -> list[Markup]:
    """The charts shown at the top of one family's section."""
    charts: dict[str, list[Markup | None]] = {
        "fields": [fields(family, lang)],
        "frequency": [freshness(family, lang), by_frequency(figures, lang)],
        "formats": [format_mix(figures, lang), stars(family, lang), links(figures, lang)],
        "domains": [domains(family, lang)],
    }
    return [chart for chart in charts.get(family["id"], []) if chart is not None]
