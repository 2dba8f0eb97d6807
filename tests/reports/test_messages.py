"""The message catalogue: findings said in Chinese and English from the messages checks store today, names of
systems, points, tiers and domains in English, and never a raw 'nan'."""

from __future__ import annotations

import re

import pytest

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
    return {"family": family, "measure_id": measure_id, "native_id": "x", "message": message}


@pytest.mark.parametrize(("measure_id", "message", "zh", "en"), [
    ("timely_share",
     "declared 每季度 (每季度, P3M); last modified 2025-10-06, 422 days before the harvest (allowed 144)",
     "声明更新频率“每季度”（每季度），最后更新于 2025-10-06，距采集 422 天（允许 144 天）",
     "declared “每季度” (quarterly); last modified 2025-10-06, 422 days before the harvest (allowed 144)"),
    ("timely_share",
     "declared 年度 (每年, P1Y); last modified ?, <NA> days before the harvest (allowed 555)",
     "声明更新频率“年度”（每年），最后更新于 未知，距采集 未知 天（允许 555 天）",
     "declared “年度” (annual); last modified unknown, unknown days before the harvest (allowed 555)"),
    ("timely_share",
     "declared 毎月 (每月, P1M); data updated 2022-03-01, 188 days before the recording (allowed 52)",
     "声明更新频率“毎月”（每月），数据更新于 2022-03-01，距目录记录 188 天（允许 52 天）",
     "declared “毎月” (monthly); data updated 2022-03-01, 188 days before the recording (allowed 52)"),
    ("timely_share", "judged as of the recording, 2021-07-13T00:00:00 (profile recorded_at), not the harvest time",
     "按目录记录时间 2021-07-13T00:00:00（配置 recorded_at）评判，而非采集时间",
     "judged as of the recording, 2021-07-13T00:00:00 (profile recorded_at), not the harvest time"),
    ("impossible_dates", "data update date 2031-01-01 is after the recording",
     "数据更新日期 2031-01-01 晚于目录记录时间", "data update date 2031-01-01 is after the recording"),
    ("fields_described_share", "only 0 of 6 fields have a description that says more than the field name",
     "6 个字段中仅 0 个有超出字段名的说明", "only 0 of 6 fields have a description that says more than the field name"),
    ("valid_file_share", "http://h.example/f.csv: type-error ×5, blank-row ×1 (encoding utf-8)",
     "http://h.example/f.csv：类型错误 ×5、空行 ×1（编码 utf-8）",
     "http://h.example/f.csv: type error ×5, blank row ×1 (encoding utf-8)"),
    ("valid_file_share", "http://h.example/p.html: not-a-data-file ×1 (encoding None)",
     "http://h.example/p.html：不是数据文件 ×1（编码 未知）", "http://h.example/p.html: not a data file ×1 (encoding unknown)"),
    ("domains_covered", "no (or fewer than 3) datasets in: 农业、环保",
     "以下领域没有（或少于 3 个）数据集：农业、环保",
     "no (or fewer than 3) datasets in: agriculture, forestry and fisheries, environmental protection"),
    ("frequency_declared_share", "declared update frequency '暂无' is not one odq can normalise",
     "声明的更新频率“暂无”无法识别为标准频率", "the declared update frequency “暂无” is not one odq can normalise"),
    ("frequency_declared_share", "declared update frequency nan is not a frequency", "未声明更新频率",
     "no update frequency declared"),
    ("data_request_reply_share", "data request '申请开放数据 #4' unanswered for 250 days",
     "数据开放申请“申请开放数据 #4”已 250 天未答复", "data request “申请开放数据 #4” unanswered for 250 days"),
    ("search_available", "keyword search works, filtering by category fails or is not offered",
     "关键词检索可用，按分类筛选不可用或未提供", "keyword search works, filtering by category fails or is not offered"),
    ("links_alive_share", "broken link: http://h.example/a.csv → HTTP 404", "链接失效：http://h.example/a.csv → HTTP 404",
     "broken link: http://h.example/a.csv → HTTP 404"),
])
def test_stored_messages_are_said_in_each_language(measure_id, message, zh, en):
    assert finding_text(finding(measure_id, message), "zh") == zh
    assert finding_text(finding(measure_id, message), "en") == en


def test_portal_supplied_pieces_are_marked_raw():
    parts = finding_parts(finding("specific_category_share", "only in catch-all category 综合/其他",
                                  "classification"), "en")
    assert [p.text for p in parts if p.raw] == ["综合/其他"]
    assert not CJK.search("".join(p.text for p in parts if not p.raw))


def test_an_unknown_finding_keeps_its_message_as_raw_text_under_the_family_name():
    parts = finding_parts(finding("new_measure", "something new happened", "formats"), "zh")
    assert parts[0].text == "格式与调用便捷性问题（原文）：" and not parts[0].raw
    assert parts[1].text == "something new happened" and parts[1].raw


def test_no_finding_text_says_nan():
    for message in ("declared nan (, nan); last modified nan, nan days before the harvest (allowed nan)",
                    "only nan of nan fields have a description that says more than the field name"):
        for lang in ("zh", "en"):
            text = finding_text(finding("timely_share" if "declared" in message else "fields_described_share",
                                        message), lang)
            assert "nan" not in text.replace("unknown", "")


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
