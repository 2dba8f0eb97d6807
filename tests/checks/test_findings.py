"""Findings as types: every type the checks declare has matching Chinese and English templates, names only
vocabularies the reports know, and says a missing value as unknown, never nan. Soft 404s and redirects to a home
page are findings of their own."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from checks import formats
from checks.findings import FindingType, placeholders
from checks.measures import FamilyResult
from checks.registry import RegistryError, collect_finding_types, finding_types
from reports.messages import finding_text

CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")
ENGLISH_WORD = re.compile(r"\b[a-z]{3,}\b")
TYPES = sorted(finding_types().values(), key=lambda t: t.code)


def test_the_checks_declare_their_findings_as_types():
    codes = [t.code for t in TYPES]
    assert len(codes) >= 40
    assert {"late-update", "no-frequency", "soft-404", "redirect-to-home-page", "broken-link",
            "record-repaired", "implausible-date"} <= set(codes)
    assert all(re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", c) for c in codes)


@pytest.mark.parametrize("kind", TYPES, ids=lambda t: t.code)
def test_each_template_speaks_its_language(kind):
    chinese_literal = re.sub(r"\{\w+\}", "", kind.zh).strip()
    if chinese_literal:  # "{reason}" alone is said wholly by its vocabulary
        assert CJK.search(chinese_literal) and not ENGLISH_WORD.search(chinese_literal), kind.zh
    else:
        assert set(kind.vocabulary) == kind.names
    assert not CJK.search(kind.en), kind.en


@pytest.mark.parametrize("kind", TYPES, ids=lambda t: t.code)
def test_a_missing_value_is_said_as_unknown_never_nan(kind):
    row = kind(**dict.fromkeys(kind.names, float("nan"))).row("f", "m", "d1")
    assert row["code"] == kind.code and all(v is None for v in row["values"].values())
    for text in (row["message"], finding_text(row, "zh"), finding_text(row, "en")):
        assert not re.search(r"\bnan\b", text, re.I), text
    if kind.names:
        assert "未知" in finding_text(row, "zh") and "unknown" in finding_text(row, "en")


def test_every_vocabulary_a_type_names_is_said_in_both_languages():
    used = {name for kind in TYPES for name in kind.vocabulary.values()}
    assert used == {"probe", "frequency", "judged-date", "dated-field", "reference-time", "domains", "file-errors",
                    "fetch-reason", "pod-schema", "stars-reason", "licence-example"}
    samples = {"probe": ("fails-or-absent", "不可用或未提供", "fails or is not offered"),
               "frequency": ("P1M", "每月", "monthly"),
               "judged-date": ("data", "数据更新", "data updated"),
               "dated-field": ("record", "更新日期", "modified date"),
               "reference-time": ("recording", "目录记录时间", "recording"),
               "domains": ("环保", "环保", "environmental protection"),
               "file-errors": ("blank-row ×2", "空行 ×2", "blank row ×2"),
               "fetch-reason": ("not validated: over the cap of 1,000 bytes", "超过 1,000 字节上限，未校验",
                                "not validated: over the cap of 1,000 bytes"),
               "pod-schema": ("federal", "联邦", "federal"),
               "stars-reason": ("declared CSV, no other evidence: CSV → 3 stars", "声明为 CSV，无其他依据：CSV → 3 星",
                                "declared CSV, no other evidence: CSV → 3 stars"),
               "licence-example": ("— ×3", "未填写 ×3", "none given ×3")}
    for vocabulary, (value, zh, en) in samples.items():
        kind = FindingType(f"sample-{vocabulary}", "{v}", "{v}", vocabulary={"v": vocabulary})
        row = kind(v=value).row("f", "m")
        assert (_said(row, kind, "zh"), _said(row, kind, "en")) == (zh, en), vocabulary


def _said(row: dict, kind: FindingType, lang: str) -> str:
    from reports.messages import _typed_parts

    return "".join(p.text for p in _typed_parts(kind, row["values"], lang))


def test_a_type_refuses_templates_that_name_different_values_and_calls_without_them():
    with pytest.raises(ValueError, match="name different values"):
        FindingType("x", "{a} and {b}", "{a}")
    with pytest.raises(ValueError, match=r"\['c'\] are not placeholders"):
        FindingType("x", "{a}", "{a}", portal_text=frozenset({"c"}))
    kind = FindingType("x", "{a} of {b}", "{b} 中的 {a}")
    with pytest.raises(TypeError, match=r"missing values \['b'\]"):
        kind(a=1)
    assert placeholders(kind.zh) == {"a", "b"}


def test_a_code_declared_twice_is_refused():
    class One:
        A = FindingType("same", "a", "甲")

    class Two:
        B = FindingType("same", "b", "乙")

    with pytest.raises(RegistryError, match="'same' is declared twice"):
        collect_finding_types([One, Two])  # type: ignore[list-item]


def _links(rows: list[dict]) -> pd.DataFrame:
    base = {"native_id": "d1", "format": "CSV", "alive": True, "status": 200, "reason": None, "content_type": None,
            "final_url": None}
    return pd.DataFrame([{**base, **r} for r in rows])


def test_a_live_link_landing_on_the_home_page_is_a_redirect_finding():
    checked = _links([
        {"url": "http://p.example/data/a.csv", "final_url": "http://p.example/"},  # the file is gone: home page
        {"url": "http://p.example/data/b.csv", "final_url": "https://p.example/index.html"},  # home page too
        {"url": "http://p.example/data/c.csv", "final_url": "http://p.example/files/c.csv"},  # moved: fine
        {"url": "http://p.example/", "final_url": "http://p.example/index.html"},  # asked for the home page
        {"url": "http://p.example/d.csv", "final_url": "http://p.example/?id=d"},  # a query: not a home page
        {"url": "http://p.example/e.csv", "final_url": "http://p.example/", "alive": False},  # dead: counted there
    ])
    assert formats._home_redirects(checked)["url"].tolist() == ["http://p.example/data/a.csv",
                                                                "http://p.example/data/b.csv"]


def test_an_html_page_for_a_declared_file_is_a_soft_404_not_a_format_mismatch():
    checked = _links([
        {"url": "http://p.example/a.csv", "content_type": "text/html; charset=utf-8"},
        {"url": "http://p.example/b.csv", "content_type": "application/json"},
        {"url": "http://p.example/c.csv", "content_type": "text/csv"},
        {"url": "http://p.example/d.html", "format": "HTML", "content_type": "text/html"},
    ])
    result = FamilyResult("formats")
    formats._content_types(checked, result)
    said = [(f["code"], f["values"]["url"]) for f in result.findings]
    assert said == [("soft-404", "http://p.example/a.csv"), ("declared-format-not-served", "http://p.example/b.csv")]
    assert finding_text(result.findings[0], "zh") == "http://p.example/a.csv：声明为 CSV，链接却返回 HTML 网页（软 404）"
