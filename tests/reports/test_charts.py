"""The SVG charts: well-formed, every label escaped, portal labels marked, unknown values never drawn as zero."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET

from reports.charts import Datum, Series, bar_chart, donut, line_chart, stacked_bar
from reports.render import format_value, number, web_url

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = '</text><script>window.__pwned=1</script><text onload="x">'


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # fails on anything that is not well-formed


def texts(root: ET.Element) -> list[str]:
    return [t.text or "" for t in root.iter(f"{SVG}text")]


def test_bar_chart_escapes_labels_and_draws_unknown_as_unknown():
    svg = str(bar_chart([Datum(HOSTILE, 3.0, raw=True), Datum("unknown one", None), Datum("two", 2.0)],
                        title="t<i>", missing="not measured"))
    root = parse(svg)
    assert "<script" not in svg and not [e for e in root.iter() if "onload" in e.attrib]
    assert texts(root)[1].startswith(HOSTILE[:20]) and texts(root)[1].endswith("…")  # text, shortened
    assert "not measured" in texts(root)
    bars = [r for r in root.iter(f"{SVG}rect") if r.get("fill") not in ("#eef2f6",)]
    assert len(bars) == 2  # the unknown value gets no bar at all, not a zero-length one
    assert [t for t in root.iter(f"{SVG}text") if t.get("class") == "raw"]


def test_stacked_bar_and_donut_shares_add_up():
    data = [Datum("alive", 30), Datum("dead", 10), Datum("unknown", 0), Datum("none", None)]
    root = parse(str(stacked_bar(data, title="links", width=400)))
    widths = [float(r.get("width")) for r in root.iter(f"{SVG}rect") if r.get("height") == "26"]
    assert widths == [300.0, 100.0]
    assert "alive 30 (75%)" in texts(root)
    ring = parse(str(donut(data, title="mix")))
    assert "40" in texts(ring)  # the total in the middle


def test_line_chart_has_axes_ticks_labels_and_gaps():
    svg = str(line_chart([Series("a", [0.5, None, 0.7]), Series("b", [math.nan, 0.2, 0.3])],
                         ["2024-01-01", "2024-02-01", "2024-03-01"], title="trend", y_label="index",
                         x_label="harvest", fmt=lambda v: f"{v:.1f}"))
    root = parse(svg)
    labels = texts(root)
    assert {"0.0", "0.2", "1.0", "2024-01-01", "2024-03-01", "index", "harvest"} <= set(labels)
    assert "nan" not in svg
    assert len(list(root.iter(f"{SVG}circle"))) == 4  # two known points per series


def test_only_http_links_are_links():
    assert web_url("https://data.example/ds/1?a=1&b=2") == "https://data.example/ds/1?a=1&b=2"
    for bad in ("javascript:alert(1)", " JaVaScRiPt:alert(1)", "data:text/html,x", "//evil.example", "ftp://x/y",
                "/relative", "http://", "http://ok.example/\nSet-Cookie", None, 3):
        assert web_url(bad) is None, bad


def test_values_never_render_nan():
    assert format_value({"value": math.nan, "detail": {"unit": "share"}}, "zh") == "未能测量"
    assert format_value({"value": None, "detail": {"unit": "count"}}, "en") == "not measured"
    assert format_value({"value": 0.25, "detail": {"unit": "share"}}, "en") == "25.0%"
    assert format_value({"value": 1.0, "detail": {"unit": "boolean"}}, "en") == "yes"
    assert number(math.nan) == "—" and number(None) == "—" and number(1.5) == "1.50"
