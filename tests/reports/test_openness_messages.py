"""The openness-stars findings read back in Chinese and English, for every form checks.openness writes."""

from __future__ import annotations

import re

import pytest

from checks.licences import licence_openness
from checks.openness import distribution_stars, with_licence
from reports.messages import finding_text
from reports.openness_messages import stars_reason

CJK = re.compile(r"[\u4e00-\u9fff]")


# The finding codes checks.formats stores for the openness stars, written out: a renamed code fails here.
LOW_STARS, BELOW_PROMISE, UNKNOWN_LICENCES = "low-openness-stars", "stars-below-declared-format", \
    "licences-not-in-open-definition"


def said(code: str, lang: str, **values) -> str:
    return finding_text({"family": "formats", "measure_id": "openness_stars_mean", "native_id": "d1", "code": code,
                         "values": values, "message": ""}, lang)


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
    assert said(LOW_STARS, "en", reason=reason) == reason
    zh = said(LOW_STARS, "zh", reason=reason)
    assert CJK.search(zh) and not re.search(r"\b[a-z]{3,}\b", zh), zh  # no English word left


def test_the_two_distribution_form_and_the_licence_summary():
    lost = distribution_stars(declared="RDF_XML", url="http://x/a.txt").reason
    best = distribution_stars(declared="XLS", url="http://x/b.xls").reason
    assert said(BELOW_PROMISE, "en", promised=lost, reason=best) == f"{lost}; the dataset's best: {best}"
    assert said(BELOW_PROMISE, "zh", promised=lost, reason=best) == (
        "声明为 RDF_XML，但 URL 扩展名为 .TXT：TXT → 1 星；该数据集最好的资源：声明为 XLS，URL 扩展名 .XLS：XLS → 2 星")
    summary = dict(n=27, total=320, examples=["— ×27"])
    assert said(UNKNOWN_LICENCES, "en", **summary) == (
        "27 of 320 datasets carry a licence the Open Definition list does not know (none given ×27): their stars are "
        "not zeroed")
    assert said(UNKNOWN_LICENCES, "zh", **summary) == (
        "320 个数据集中有 27 个的许可协议不在开放定义（Open Definition）列表中（未填写 ×27）：星级未因此清零")


def test_a_text_outside_the_grammar_is_not_claimed():
    assert stars_reason("something else", "zh") == "something else"
