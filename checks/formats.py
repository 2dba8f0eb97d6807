"""Format usability (3.4.2-3): machine-readable and open formats, APIs, openness stars, live links, valid files."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pandas as pd
from urllib3.exceptions import LocationParseError
from urllib3.util import parse_url

from checks.catalogue import Catalogue
from checks.files import ERROR_CAP, FILE_BYTE_CAP, ROW_CAP
from checks.findings import FindingType, Said
from checks.measures import MAX_FINDINGS_PER_MEASURE, FamilyResult, MeasureSpec, Parameter, ShareCheck
from checks.openness import UNKNOWN_FORMAT_STARS, score_catalogue
from checks.rules import FormatRules, default_rules
from harvester.vocab import format_info

FAMILY = "formats"
# Year, quarter, month and district markers that split one table into a series of datasets.
_SERIES_MARKERS = re.compile(
    r"(19|20)\d{2}\s*年?(第?[一二三四1-4]季度|上半年|下半年|\d{1,2}月)?|[\u4e00-\u9fff]{1,4}[区县市]|\d+"
)

MACHINE = MeasureSpec("machine_readable_share", FAMILY, "share", "提供机器可读格式的数据集占比",
                      "share of datasets with a machine-readable distribution", point="3.4.2-3")
OPEN = MeasureSpec("open_format_share", FAMILY, "share", "提供开放（非专有）格式的数据集占比",
                   "share of datasets with a non-proprietary format", point="3.4.2-3")
API = MeasureSpec("api_share", FAMILY, "share", "提供数据接口的数据集占比", "share of datasets offering an API",
                  point="3.4.2-3")
STARS = MeasureSpec("openness_stars_mean", FAMILY, "stars", "平均开放星级", "mean openness stars (0–5)",
                    point="3.4.2-3", parameters=(
                        Parameter("unknown_format_stars", UNKNOWN_FORMAT_STARS, "published",
                                  "ckanext-qa scores a format it cannot place 1",
                                  "ckanext-qa 对无法识别的格式给 1 星"),
                    ))
LINKS = MeasureSpec("links_alive_share", FAMILY, "share", "链接可访问的数据集占比",
                    "share of checked datasets whose links all answer", point="3.4.2-3")
LINKS_CHECKED = MeasureSpec("links_checked", FAMILY, "count", "检测的链接数", "links checked")
VALID = MeasureSpec("valid_file_share", FAMILY, "share", "抽样表格文件通过校验的占比",
                    "share of sampled tabular files that validate", point="3.4.2-3")
ERROR_RATE = MeasureSpec("errors_per_1000_rows", FAMILY, "count", "抽样文件每千行错误数",
                         "errors per 1,000 rows in sampled files", good="low", point="3.4.2-3")
CONTENT_TYPE = MeasureSpec("declared_format_matches_share", FAMILY, "share", "声明格式与实际内容类型一致的链接占比",
                           "share of checked links whose content type matches the declared format", point="3.4.2-3")

ONLY_NOT_MACHINE_READABLE = FindingType("no-machine-readable-format", "only {formats}: nothing machine-readable",
                                        "仅有 {formats} 格式，无机器可读格式")
ONLY_PROPRIETARY = FindingType("no-open-format", "only {formats}: no open format", "仅有 {formats} 格式，无开放格式")
NO_RECOGNISED_FORMAT = FindingType("no-recognised-format", "no recognised format", "没有可识别的格式")
NO_API = FindingType("no-api", "no API access", "未提供数据接口（API）")
NO_DISTRIBUTION = FindingType("no-distribution", "the dataset has no distribution: nothing to download or call",
                              "数据集没有任何资源：无可下载或调用的内容")
TINY_DATASET = FindingType("tiny-dataset", "the portal says the dataset holds {records} records",
                           "平台称该数据集仅有 {records} 条记录")
# `reason` is checks.openness's reason for the dataset's stars, in its small fixed grammar.
LOW_STARS = FindingType("low-openness-stars", "{reason}", "{reason}", vocabulary={"reason": "stars-reason"})
BELOW_PROMISE = FindingType("stars-below-declared-format", "{promised}; the dataset's best: {reason}",
                            "{promised}；该数据集最好的资源：{reason}",
                            vocabulary={"promised": "stars-reason", "reason": "stars-reason"})
UNKNOWN_LICENCES = FindingType(
    "licences-not-in-open-definition",
    "{n} of {total} datasets carry a licence the Open Definition list does not know ({examples}): their stars are "
    "not zeroed",
    "{total} 个数据集中有 {n} 个的许可协议不在开放定义（Open Definition）列表中（{examples}）：星级未因此清零",
    portal_text=frozenset({"examples"}), vocabulary={"examples": "licence-example"})
BROKEN_LINK = FindingType("broken-link", "broken link: {url} → {reason}", "链接失效：{url} → {reason}",
                          portal_text=frozenset({"url", "reason"}))
BROKEN_LINKS = FindingType("broken-links", "broken links: {url} → {reason}, and {more} more",
                           "链接失效：{url} → {reason}，另有 {more} 个链接失效",
                           portal_text=frozenset({"url", "reason"}))
SOFT_404 = FindingType("soft-404", "{url}: declared {format} but answers with an HTML page (a soft 404)",
                       "{url}：声明为 {format}，链接却返回 HTML 网页（软 404）", portal_text=frozenset({"url"}))
HOME_REDIRECT = FindingType("redirect-to-home-page", "{url}: redirects to the site's home page {final}",
                            "{url}：跳转到网站首页 {final}", portal_text=frozenset({"url", "final"}))
NOT_SERVED_AS_DECLARED = FindingType("declared-format-not-served", "{url}: declared {format} but served {served}",
                                     "{url}：声明为 {format}，实际返回 {served}",
                                     portal_text=frozenset({"url", "served"}))
FILE_INVALID = FindingType("file-invalid", "{url}: {errors} (encoding {encoding})",
                           "{url}：{errors}（编码 {encoding}）", portal_text=frozenset({"url", "encoding"}),
                           vocabulary={"errors": "file-errors"})
FILE_UNREADABLE = FindingType("file-unreadable", "{url}: unreadable: {why}", "{url}：无法读取：{why}",
                              portal_text=frozenset({"url", "why"}))
FILE_NOT_VALIDATED = FindingType("file-not-validated", "{url}: {reason}", "{url}：{reason}",
                                 portal_text=frozenset({"url"}), vocabulary={"reason": "fetch-reason"})

# Servers that label everything generically say nothing about the format either way.
_GENERIC_TYPES = {"application/octet-stream", "binary/octet-stream", "application/download",
                  "application/force-download", "application/x-download", ""}
_HTML_TYPES = {"text/html", "application/xhtml+xml"}
_HTML_FORMATS = {"HTML", "XHTML", "HTM"}
_FORMAT_EVIDENCE = ("sniffed", "served", "url", "declared", "none")
EMPTY = MeasureSpec("empty_datasets", FAMILY, "count", "无任何资源的数据集数", "datasets without any distribution",
                    good="low", point="3.4.2-3")
TINY = MeasureSpec("tiny_datasets", FAMILY, "count", "数据量过小（少于规则下限条数）的数据集数",
                   "datasets the portal says hold fewer records than the rule's minimum", good="low",
                   point="3.4.2-3")
FRAGMENTED = MeasureSpec("fragmented_share", FAMILY, "share", "按年份/区县拆分的碎片化数据集占比",
                         "share of datasets that are one table split by year or district", good="low",
                         point="3.4.2-3")


def _per_format_set(codes: pd.Series, judge: Callable[[tuple[str, ...]], Any]) -> pd.Series:
    """Judge each distinct set of format codes once; catalogues have few distinct sets and many datasets."""
    keys = codes.map(tuple)
    verdicts = {key: judge(key) for key in pd.unique(keys)}
    return keys.map(verdicts.__getitem__)


def _any_flag(flag: str) -> Callable[[tuple[str, ...]], bool]:
    return lambda key: any(bool((i := format_info(c)) and getattr(i, flag)) for c in key)


def evaluate(catalogue: Catalogue, rules: FormatRules | None = None) -> FamilyResult:
    """The family's measures; `rules` say when a dataset is tiny (default: the shipped rules profile)."""
    rules = rules or default_rules().formats
    result = FamilyResult(FAMILY)
    frame = catalogue.datasets
    codes = frame["formats"]

    def only(kind: FindingType) -> Callable[[pd.Index], list[Said]]:
        return lambda ids: [kind(formats=list(cs)) if cs else NO_RECOGNISED_FORMAT() for cs in codes.reindex(ids)]

    machine = _per_format_set(codes, _any_flag("machine_readable")).astype(bool)
    result.shares.append(ShareCheck(MACHINE, machine, only(ONLY_NOT_MACHINE_READABLE)))
    open_ = _per_format_set(codes, _any_flag("non_proprietary")).astype(bool)
    result.shares.append(ShareCheck(OPEN, open_, only(ONLY_PROPRIETARY)))
    api = frame["has_api"] | _per_format_set(codes, _any_flag("api")).astype(bool)
    result.shares.append(ShareCheck(API, api, NO_API, mostly=0.3))

    _openness(catalogue, result)

    empty = frame["distributions_count"] == 0
    result.value(EMPTY, int(empty.sum()))
    for native_id, title in frame.loc[empty, "title"].items():
        result.dataset_finding(EMPTY, native_id, NO_DISTRIBUTION(), title=title)

    tiny = frame["record_count"].lt(rules.min_records).fillna(False).astype(bool)
    result.value(TINY, int(tiny.sum()), published=int(frame["record_count"].notna().sum()))
    for native_id, row in frame.loc[tiny].head(MAX_FINDINGS_PER_MEASURE).iterrows():
        result.dataset_finding(TINY, native_id, TINY_DATASET(records=row["record_count"]), title=row["title"])

    series = frame["title"].fillna("").str.replace(_SERIES_MARKERS, "", regex=True).str.strip()
    sizes = series.map(series.value_counts())
    fragmented = (sizes >= 3) & (series.str.len() >= 2)
    result.value(FRAGMENTED, float(fragmented.mean()) if len(frame) else None,
                 series=series[fragmented].value_counts().head(20).to_dict())

    _links(catalogue, result)
    _files(catalogue, result)
    return result


def _openness(catalogue: Catalogue, result: FamilyResult) -> None:
    """ckanext-qa's openness stars per dataset (checks.openness), with the reason for every low score."""
    scored = score_catalogue(catalogue)
    frame = scored.datasets
    stars = frame["stars"].dropna().astype(int)
    format_only = frame["format_only"].dropna().astype(int)
    result.value(
        STARS, float(stars.mean()) if len(stars) else None,
        distribution={str(k): int(v) for k, v in stars.value_counts().sort_index().items()},
        scored=len(stars), not_scored=int(frame["stars"].isna().sum()),  # no distribution: ckanext-qa scores none
        decided_by={str(k): int(v) for k, v in frame["evidence"].value_counts().items()},
        unknown_format=int((frame["known"].eq(False) & frame["evidence"].isin(_FORMAT_EVIDENCE)).sum()),
        broken_link_zero=int(frame["evidence"].eq("broken-link").sum()),
        closed_licence_zero=int(frame["evidence"].eq("closed-licence").sum()),
        licences={str(k): int(v) for k, v in frame["licence"].value_counts().items()},
        # The declared formats alone through the same table: no URL, served type, link or licence evidence.
        format_only_mean=float(format_only.mean()) if len(format_only) else None,
        declared_formats_only=scored.from_declared_only,
    )
    titles = catalogue.datasets["title"]
    low = frame[frame["stars"].notna() & (
        frame["evidence"].isin(("broken-link", "closed-licence"))
        | (frame["stars"] < frame["format_only"])
        | frame["known"].eq(False)
    )]
    for native_id, row in low.head(MAX_FINDINGS_PER_MEASURE).iterrows():
        # an unknown format says so in its reason: "… → 1 star (unknown format)"
        if row["stars"] < row["format_only"] and row["promised_reason"] != row["reason"]:
            said = BELOW_PROMISE(promised=row["promised_reason"], reason=row["reason"])
        else:
            said = LOW_STARS(reason=row["reason"])
        result.dataset_finding(STARS, native_id, said, title=titles.get(native_id))
    unknown_licences = catalogue.datasets.loc[frame["licence"].eq("unknown"), "licence"].fillna("").value_counts()
    if len(unknown_licences):
        examples = [f"{k!r} ×{v}" if k else f"— ×{v}" for k, v in unknown_licences.head(3).items()]  # — none given
        result.portal_finding(STARS, UNKNOWN_LICENCES(n=int(unknown_licences.sum()), total=len(frame),
                                                      examples=examples))


def _links(catalogue: Catalogue, result: FamilyResult) -> None:
    links = catalogue.links
    if links is None or links.empty:
        result.value(LINKS, None, checked=0)
        return
    # alive is True, False, or unknown (None: not judged, e.g. the lookup failed on odq's side)
    links = links.assign(alive=links["alive"].astype("boolean"))
    dists = catalogue.distributions.merge(links, on="url", how="inner")
    dead = dists["alive"].eq(False).fillna(False)
    judged = dists["alive"].notna().groupby(dists["native_id"]).sum()
    dead_count = dead.groupby(dists["native_id"]).sum()
    alive = (dead_count == 0).astype("boolean").where(judged > 0, pd.NA).reindex(catalogue.datasets.index)
    first_broken = dists[dead].groupby("native_id").agg(url=("url", "first"), reason=("reason", "first"),
                                                         count=("url", "size"))

    def explain(ids: pd.Index) -> list[Said]:
        rows = first_broken.reindex(ids)
        return [BROKEN_LINK(url=r.url, reason=r.reason) if r.count == 1
                else BROKEN_LINKS(url=r.url, reason=r.reason, more=int(r.count) - 1) for r in rows.itertuples()]

    result.shares.append(ShareCheck(LINKS, alive.astype("boolean"), explain))
    _content_types(dists, result)
    home = _home_redirects(dists)
    for row in home.head(MAX_FINDINGS_PER_MEASURE).itertuples():
        result.dataset_finding(LINKS, row.native_id, HOME_REDIRECT(url=row.url, final=row.final_url))
    result.value(LINKS_CHECKED, float(len(links)), broken=int(links["alive"].eq(False).sum()),
                 unknown=int(links["alive"].isna().sum()), redirected_home=int(home["url"].nunique()))


_INDEX_PAGE = re.compile(r"/*(?:(?:index|default|home)\.(?:html?|php|jsp|aspx?))?/*", re.I)


def _home_redirects(checked: pd.DataFrame) -> pd.DataFrame:
    """Live links to a file that land on the site's home page: the file is gone and the server hides it."""
    moved = checked[checked["alive"].eq(True).fillna(False) & checked["final_url"].notna()
                    & checked["final_url"].ne(checked["url"])]
    if moved.empty:
        return moved
    def lands_home(url: str, final: str) -> bool:
        try:
            asked, landed = parse_url(url), parse_url(final)
        except LocationParseError:
            return False
        return (not _INDEX_PAGE.fullmatch(asked.path or "") and _INDEX_PAGE.fullmatch(landed.path or "") is not None
                and not landed.query)

    return moved[[lands_home(u, f) for u, f in zip(moved["url"], moved["final_url"], strict=True)]]


def _files(catalogue: Catalogue, result: FamilyResult) -> None:
    files = catalogue.files
    if not files:
        result.value(VALID, None, sampled=0)
        result.value(ERROR_RATE, None)
        return
    validated = [f for f in files if f.get("valid") is not None]  # judged: valid, invalid or unreadable
    valid = [f for f in validated if f["valid"]]
    # Errors per 1,000 rows are over the rows frictionless read; an unreadable file has no rows to count over.
    read = [f for f in files if f.get("rows_read") is not None
            or (f.get("status", "validated") == "validated" and f.get("valid") is not None)]
    rows = sum(f.get("rows") or 0 for f in read)
    errors = sum(f.get("errors") or 0 for f in read)
    error_types: dict[str, int] = {}
    for report in read:
        for kind, count in (report.get("error_types") or {}).items():
            error_types[kind] = error_types.get(kind, 0) + count
    not_validated = [f for f in files if f.get("valid") is None]
    result.value(VALID, len(valid) / len(validated) if validated else None, sampled=len(files),
                 validated=len(validated), error_types=error_types,
                 not_assessed=len(not_validated),
                 not_assessed_reasons=sorted({str(f.get("not_validated") or f.get("fetch_error") or "not fetched")
                                              for f in not_validated})[:10],
                 unreadable=sum(1 for f in files if f.get("status") == "unreadable"),
                 rows_capped=sum(1 for f in files if f.get("rows_capped")),
                 errors_capped=sum(1 for f in files if f.get("errors_capped")),
                 caps={"bytes": FILE_BYTE_CAP, "rows": ROW_CAP, "errors": ERROR_CAP})
    result.value(ERROR_RATE, errors / rows * 1000 if rows else None, rows=rows, errors=errors)
    for report in files:
        said = _file_finding(report)
        if said is not None:
            result.dataset_finding(VALID, report["native_id"], said, title=report.get("title"))


def _file_finding(report: dict[str, Any]) -> Said | None:
    """Why a sampled file did not validate, or None for a valid one."""
    url = report["url"]
    if report.get("status") == "unreadable":
        return FILE_UNREADABLE(url=url, why=report.get("unreadable") or "not a table")
    if report.get("valid") is None:
        reason = report.get("not_validated") or report.get("fetch_error")
        return FILE_NOT_VALIDATED(url=url, reason=reason) if reason else None
    if report.get("valid") is False:
        errors = ", ".join(f"{k} ×{v}" for k, v in (report.get("error_types") or {}).items())
        return FILE_INVALID(url=url, errors=errors, encoding=report.get("encoding"))
    return None

def _content_types(checked: pd.DataFrame, result: FamilyResult) -> None:
    """Declared format against the Content-Type the link actually answered with (live links only)."""
    live = checked[checked["alive"].eq(True).fillna(False) & checked["format"].notna()
                   & checked["content_type"].notna()]
    live = live[~live["content_type"].isin(_GENERIC_TYPES)]
    if live.empty:
        result.value(CONTENT_TYPE, None, compared=0)
        return
    expected = live["format"].map(lambda c: (i := format_info(c)) is not None and bool(i.media_types))
    live = live[expected]
    if live.empty:
        result.value(CONTENT_TYPE, None, compared=0)
        return
    matches = [ct in format_info(code).media_types for code, ct in zip(live["format"], live["content_type"],
                                                                        strict=True)]
    live = live.assign(matches=matches)
    result.value(CONTENT_TYPE, float(live["matches"].mean()), compared=len(live))
    for row in live[~live["matches"]].head(MAX_FINDINGS_PER_MEASURE).itertuples():
        # A page where a file was declared is the portal's "not found" answered with 200: a soft 404.
        html = row.content_type.split(";")[0].strip().lower() in _HTML_TYPES and row.format not in _HTML_FORMATS
        said = (SOFT_404(url=row.url, format=row.format) if html
                else NOT_SERVED_AS_DECLARED(url=row.url, format=row.format, served=row.content_type))
        result.dataset_finding(CONTENT_TYPE, row.native_id, said)
