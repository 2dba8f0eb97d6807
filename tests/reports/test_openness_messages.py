"""The openness-stars findings read back in Chinese and English, for every form checks.openness writes."""

from __future__ import annotations

import re

import pytest

from checks.licences import licence_openness
from checks.openness import distribution_stars, with_licence
from reports.messages import _fill, _t
from reports.openness_messages import STARS_TEMPLATES, stars_reason

TEMPLATES = tuple(_t(p, zh, en, raw=raw, **tr) for p, zh, en, raw, tr in STARS_TEMPLATES)
CJK = re.compile(r"[\u4e00-\u9fff]")


def say(message: str, lang: str) -> str:
    for template in TEMPLATES:
        match = template.pattern.fullmatch(message)
        if match:
            return "".join(part.text for part in _fill(template, match.groupdict(), lang))
    raise AssertionError(f"no template for {message!r}")


REASONS = [
    distribution_stars(declared=None, url="http://x/a.csv", alive=False, link_reason="HTTP 404").reason,
    with_licence(distribution_stars(declared="CSV"), licence_openness("CC-BY-NC-4.0"), "CC-BY-NC-4.0").reason,
    distribution_stars(declared="XLS", sniffed="HTML").reason,
    distribution_stars(declared="XLSX", sniffed="XLSX").reason,
    distribution_stars(declared="CSV", url="http://x/a.csv", content_type="text/html; charset=utf-8").reason,
    distribution_stars(declared="CSV", url="http://x/a.csv").reason,
    distribution_stars(declared="RDF_XML", url="http://x/a.txt").reason,
    distribution_stars(declared=None, url="http://x/a.xls").reason,
    distribution_stars(declared="API").reason,
    distribution_stars(declared=None).reason,
]


@pytest.mark.parametrize("reason", REASONS)
def test_every_reason_is_said_in_chinese_and_unchanged_in_english(reason):
    assert say(reason, "en") == reason
    zh = say(reason, "zh")
    assert CJK.search(zh) and not re.search(r"\b[a-z]{3,}\b", zh), zh  # no English word left


def test_the_two_distribution_form_and_the_licence_summary():
    lost = distribution_stars(declared="RDF_XML", url="http://x/a.txt").reason
    best = distribution_stars(declared="XLS", url="http://x/b.xls").reason
    assert say(f"{lost}; the dataset's best: {best}", "zh") == (
        "声明为 RDF_XML，但 URL 扩展名为 .TXT：TXT → 1 星；该数据集最好的资源：声明为 XLS，URL 扩展名 .XLS：XLS → 2 星")
    summary = ("27 of 320 datasets carry a licence the Open Definition list does not know (none given ×27): "
               "their stars are not zeroed")
    assert say(summary, "zh") == "320 个数据集中有 27 个的许可协议不在开放定义（Open Definition）列表中（未填写 ×27）：星级未因此清零"


def test_a_text_outside_the_grammar_is_not_claimed():
    assert stars_reason("something else", "zh") == "something else"
    assert not any(t.pattern.fullmatch("something else") for t in TEMPLATES)
