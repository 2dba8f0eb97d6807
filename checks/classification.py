"""Catalogue and classification (3.4.1): is a catalogue published, and is it classified so users can browse it."""

from __future__ import annotations

import pandas as pd

from checks.catalogue import Catalogue
from checks.findings import FindingType, Said
from checks.measures import FamilyResult, MeasureSpec, ShareCheck
from harvester.adapters.facts import CatalogueFacts
from harvester.vocab import domains, normalise_label

FAMILY = "classification"
CATCH_ALL = {"其他", "其它", "综合", "綜合", "未分类", "未分類", "综合类", "其他类", "other", "others", "misc",
             "miscellaneous", "general", "uncategorized", "uncategorised", "none"}
SUBJECT_DIMENSIONS = {"theme", "sector", "other"}

PUBLISHED = MeasureSpec("catalogue_published", FAMILY, "boolean", "是否发布开放目录", "catalogue published",
                        point="3.4.1-1")
CATEGORISED = MeasureSpec("category_share", FAMILY, "share", "有主题/行业分类的数据集占比",
                          "share of datasets with a subject category", point="3.4.1-2")
SPECIFIC = MeasureSpec("specific_category_share", FAMILY, "share", "分类不是“其他/综合”的数据集占比",
                       "share of categorised datasets not in a catch-all category", point="3.4.1-2")
DIMENSIONS = MeasureSpec("classification_dimensions", FAMILY, "count", "分类维度数",
                         "classification dimensions offered", point="3.4.1-2")
DOMAIN_MAPPED = MeasureSpec("domain_mapped_category_share", FAMILY, "share", "可对应12个领域的分类占比",
                            "share of category labels that map onto the 12 domains", point="3.4.1-2")
BALANCE = MeasureSpec("largest_category_share", FAMILY, "share", "最大分类的数据集占比",
                      "share of datasets in the largest category", good="low", point="3.4.1-2")
SEARCH = MeasureSpec("search_available", FAMILY, "boolean", "支持按分类筛选和关键词检索",
                     "catalogue can be filtered and searched through the portal's API", point="3.4.1-2")

NO_CATALOGUE = FindingType("no-catalogue", "the harvest found no datasets: no open catalogue could be read",
                           "采集未获得任何数据集：无法读取开放目录")
NO_CATEGORY = FindingType("no-category", "no theme or sector category; only findable by search",
                          "没有主题或行业分类，只能通过搜索找到")
CATCH_ALL_ONLY = FindingType("catch-all-category-only", "only in the catch-all category {labels}",
                             "仅归入兜底分类 {labels}", portal_text=frozenset({"labels"}))
ONE_CATEGORY = FindingType(
    "one-category-dominates",
    "{share}% of categorised datasets sit in one category ({label}): the classification does not help browsing",
    "{share}% 的已分类数据集集中在同一分类（{label}），分类无助于浏览", portal_text=frozenset({"label"}))
SEARCH_FAILS = FindingType("search-or-filter-fails", "keyword search {search}, filtering by category {filter}",
                           "关键词检索{search}，按分类筛选{filter}", vocabulary={"search": "probe", "filter": "probe"})


def subject_labels(categories: pd.Series) -> pd.Series:
    return categories.map(lambda cats: [label for dim, label in cats if dim in SUBJECT_DIMENSIONS])


def evaluate(catalogue: Catalogue) -> FamilyResult:
    result = FamilyResult(FAMILY)
    frame = catalogue.datasets
    published = len(frame) > 0
    result.value(PUBLISHED, 1.0 if published else 0.0, datasets=len(frame))
    if not published:
        result.portal_finding(PUBLISHED, NO_CATALOGUE())

    labels = subject_labels(frame["categories"])
    has_subject = labels.map(bool)
    result.shares.append(ShareCheck(CATEGORISED, has_subject, NO_CATEGORY))

    only_catch_all = labels.map(lambda ls: bool(ls) and all(normalise_label(x) in CATCH_ALL for x in ls))
    specific = (~only_catch_all).astype("boolean").where(has_subject, pd.NA)

    def explain(ids: pd.Index) -> list[Said]:
        return [CATCH_ALL_ONLY(labels="/".join(ls)) for ls in labels[ids]]

    result.shares.append(ShareCheck(SPECIFIC, specific, explain, mostly=0.95))

    dimensions = sorted({dim for cats in frame["categories"] for dim, _label in cats})
    if frame["open_type"].notna().any():
        dimensions.append("open_type")
    result.value(DIMENSIONS, len(dimensions), dimensions=dimensions)

    distinct = sorted({x for ls in labels for x in ls})
    domain_labels = {normalise_label(c) for d in domains() for c in d.categories}
    mapped = [x for x in distinct if normalise_label(x) in domain_labels]
    share = len(mapped) / len(distinct) if distinct else None
    result.value(DOMAIN_MAPPED, share, categories=len(distinct), mapped=len(mapped),
                 unmapped=[x for x in distinct if x not in mapped][:50])

    counts = labels.explode().dropna().value_counts()
    if len(counts):
        largest = counts.iloc[0] / max(1, int(has_subject.sum()))
        result.value(BALANCE, largest, largest=str(counts.index[0]), counts=counts.head(30).to_dict())
        if largest > 0.5:
            result.portal_finding(BALANCE, ONE_CATEGORY(share=round(largest * 100), label=str(counts.index[0])))
    else:
        result.value(BALANCE, None)

    # Both must work: keyword search and filtering by category (probed through the portal's API). The facts
    # have one name for every family; None is "could not be probed", never "no".
    facts = CatalogueFacts.from_json(catalogue.info.get("catalogue"))
    search, category_filter = facts.keyword_search, facts.category_filter
    probes = [p for p in (search, category_filter) if p is not None]
    result.value(SEARCH, float(all(probes)) if probes else None, search=search, category_filter=category_filter)
    if probes and not all(probes):
        works = {True: "works", None: "not-probed"}
        result.portal_finding(SEARCH, SEARCH_FAILS(search=works.get(search, "fails"),
                                                   filter=works.get(category_filter, "fails-or-absent")))
    return result
