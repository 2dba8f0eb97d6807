"""The message catalogue: typed findings said in Chinese and English from their templates and values, names of
systems, points, tiers and domains in English, and never a raw 'nan'."""

from __future__ import annotations

import re

import pytest

from checks import classification, domains, fields, formats, frequency, usage
from checks.findings import FindingType
from checks.scoring import load_systems
from reports.messages import (
    domain_name,
    finding_parts,
    finding_text,
    indicator_name,
    point_name,
    system_name,
    tier_name,
)

CJK = re.compile(r"[\u3400-\u9fff]")


def finding(measure_id: str, message: str, family: str = "frequency") -> dict:
    """A finding as stored before findings were typed: a message and no code."""
    return {"family": family, "measure_id": measure_id, "native_id": "x", "message": message}


def typed(kind: FindingType, **values) -> dict:
    return kind(**values).row("frequency", "m", "x")


@pytest.mark.parametrize(("kind", "values", "zh", "en"), [
    (frequency.LATE, dict(raw="每季度", frequency="P3M", which="record", modified="2025-10-06", age=422,
                          reference="harvest", allowed=144),
     "声明更新频率“每季度”（每季度），最后更新于 2025-10-06，距采集时间 422 天（允许 144 天）",
     "declared “每季度” (quarterly); last modified 2025-10-06, 422 days before the harvest (allowed 144)"),
    (frequency.LATE, dict(raw="年度", frequency="P1Y", which="record", modified=None, age=float("nan"),
                          reference="harvest", allowed=555),
     "声明更新频率“年度”（每年），最后更新于 未知，距采集时间 未知 天（允许 555 天）",
     "declared “年度” (annual); last modified unknown, unknown days before the harvest (allowed 555)"),
    (frequency.LATE, dict(raw="毎月", frequency="P1M", which="data", modified="2022-03-01", age=188,
                          reference="recording", allowed=52),
     "声明更新频率“毎月”（每月），数据更新于 2022-03-01，距目录记录时间 188 天（允许 52 天）",
     "declared “毎月” (monthly); data updated 2022-03-01, 188 days before the recording (allowed 52)"),
    (frequency.RECORDED, dict(at="2021-07-13T00:00:00"),
     "按目录记录时间 2021-07-13T00:00:00（配置 recorded_at）评判，而非采集时间",
     "judged as of the recording, 2021-07-13T00:00:00 (profile recorded_at), not the harvest time"),
    (frequency.FUTURE_DATE, dict(which="data", date="2031-01-01", reference="recording"),
     "数据更新日期 2031-01-01 晚于目录记录时间", "data update date 2031-01-01 is after the recording"),
    (frequency.IMPLAUSIBLE_DATE, dict(field="modified", value="2913-10-11", year=2913),
     "modified 的日期“2913-10-11”不合理（2913 年）", "modified: “2913-10-11” is not a plausible date (year 2913)"),
    (fields.FIELDS_UNDESCRIBED, dict(described=0, count=6),
     "6 个字段中仅 0 个有超出字段名的说明", "only 0 of 6 fields have a description that says more than the field name"),
    (formats.FILE_INVALID, dict(url="http://h.example/f.csv", errors="type-error ×5, blank-row ×1", encoding="utf-8"),
     "http://h.example/f.csv：类型错误 ×5、空行 ×1（编码 utf-8）",
     "http://h.example/f.csv: type error ×5, blank row ×1 (encoding utf-8)"),
    (formats.FILE_INVALID, dict(url="http://h.example/p.html", errors="not-a-data-file ×1", encoding=None),
     "http://h.example/p.html：不是数据文件 ×1（编码 未知）", "http://h.example/p.html: not a data file ×1 (encoding unknown)"),
    (domains.DOMAINS_MISSING, dict(n=3, missing=["农业", "环保"]),
     "以下领域没有（或少于 3 个）数据集：农业、环保",
     "no (or fewer than 3) datasets in: agriculture, forestry and fisheries, environmental protection"),
    (frequency.UNKNOWN_FREQUENCY, dict(label="暂无"),
     "声明的更新频率“暂无”无法识别为标准频率", "the declared update frequency “暂无” is not one odq can normalise"),
    (usage.UNANSWERED, dict(title="申请开放数据 #4", days=250),
     "数据开放申请“申请开放数据 #4”已 250 天未答复", "data request “申请开放数据 #4” unanswered for 250 days"),
    (classification.SEARCH_FAILS, dict(search="works", filter="fails-or-absent"),
     "关键词检索可用，按分类筛选不可用或未提供", "keyword search works, filtering by category fails or is not offered"),
    (formats.BROKEN_LINK, dict(url="http://h.example/a.csv", reason="HTTP 404"),
     "链接失效：http://h.example/a.csv → HTTP 404", "broken link: http://h.example/a.csv → HTTP 404"),
    (formats.BROKEN_LINKS, dict(url="http://h.example/a.csv", reason="HTTP 404", more=2),
     "链接失效：http://h.example/a.csv → HTTP 404，另有 2 个链接失效",
     "broken links: http://h.example/a.csv → HTTP 404, and 2 more"),
    (formats.SOFT_404, dict(url="http://h.example/a.csv", format="CSV"),
     "http://h.example/a.csv：声明为 CSV，链接却返回 HTML 网页（软 404）",
     "http://h.example/a.csv: declared CSV but answers with an HTML page (a soft 404)"),
    (fields.HEADER_MISMATCH, dict(url="http://h.example/a.csv", missing=[], extra=["备注"]),
     "http://h.example/a.csv：文件缺少已声明的字段 无，文件中有未声明的列 备注",
     "http://h.example/a.csv: declared fields missing from the file none, file columns not declared 备注"),
])
def test_typed_findings_are_said_in_each_language(kind, values, zh, en):
    assert finding_text(typed(kind, **values), "zh") == zh
    assert finding_text(typed(kind, **values), "en") == en


def test_the_stored_english_message_is_the_template_filled_with_the_values():
    row = typed(frequency.LATE, raw="每季度", frequency="P3M", which="record", modified="2025-10-06", age=422,
                reference="harvest", allowed=144)
    assert row["code"] == "late-update"
    assert row["message"] == "declared “每季度” (P3M); record 2025-10-06, 422 days before the harvest (allowed 144)"
    assert row["values"]["age"] == 422


def test_portal_supplied_pieces_are_marked_raw():
    parts = finding_parts(typed(classification.CATCH_ALL_ONLY, labels="综合/其他"), "en")
    assert [p.text for p in parts if p.raw] == ["综合/其他"]
    assert not CJK.search("".join(p.text for p in parts if not p.raw))


def test_a_finding_stored_before_types_keeps_its_message_as_raw_text_under_the_family_name():
    parts = finding_parts(finding("new_measure", "something new happened", "formats"), "zh")
    assert parts[0].text == "格式与调用便捷性问题（原文）：" and not parts[0].raw
    assert parts[1].text == "something new happened" and parts[1].raw


def test_no_finding_text_says_nan():
    nan = float("nan")
    said = [typed(frequency.LATE, raw=nan, frequency=nan, which="record", modified=nan, age=nan, reference="harvest",
                  allowed=nan),
            typed(fields.FIELDS_UNDESCRIBED, described=nan, count=None)]
    for row in said:
        assert "nan" not in row["message"].lower()
        for lang in ("zh", "en"):
            assert "nan" not in finding_text(row, lang).lower()


def test_tiers_and_the_12_domains_have_english_names():
    assert [tier_name(t, "en") for t in ("卓越", "优秀", "良好", "中等", "待改进")] == [
        "outstanding", "excellent", "good", "fair", "needs improvement"]
    assert tier_name("优秀", "zh") == "优秀"
    names = ["市场主体", "人社", "教育", "医疗卫生", "民政", "建设", "交通运输", "文化", "科技", "农业", "安全生产", "环保"]
    english = [domain_name(n, "en") for n in names]
    assert len(set(english)) == 12 and not any(CJK.search(e) for e in english)
    assert domain_name("环保", "en") == "environmental protection"


@pytest.mark.parametrize("system", load_systems(), ids=lambda s: s["id"])
def test_every_shipped_system_indicator_and_point_has_an_english_name(system):
    score = {"system": system["id"], "system_name": system["name"]}
    assert not CJK.search(system_name(score, "en"))
    for indicator in system["indicators"]:
        assert not CJK.search(indicator_name(system["id"], {"id": indicator["id"], "name": indicator["name"]}, "en"))
        for point in indicator["points"]:
            for level in [None, *(point.get("name_by_level") or {})]:
                name = (point.get("name_by_level") or {}).get(level, point["name"])
                english = point_name(system["id"], indicator["id"], {"id": point["id"], "name": name}, "en", level)
                assert english and not CJK.search(english), (indicator["id"], point["id"], level)
                assert point_name(system["id"], indicator["id"], {"id": point["id"], "name": name}, "zh") == name


def test_a_name_en_in_the_score_wins_over_the_catalogue():
    point = {"id": "1", "name": "是否发布政务数据开放目录", "name_en": "catalogue published?"}
    assert point_name("cstc2019-website", "open-catalogue", point, "en") == "catalogue published?"


def test_an_unknown_message_with_pandas_missing_values_says_unknown():
    text = finding_text(finding("new_measure", "value nan, count <NA>, Nanjing"), "en")
    assert text == "value unknown, count unknown, Nanjing"
