"""Format usability (3.4.2-3): machine-readable and open formats, APIs, openness stars, live links, valid files."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pandas as pd

from checks.catalogue import Catalogue
from checks.files import ERROR_CAP, FILE_BYTE_CAP, ROW_CAP
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
# Servers that label everything generically say nothing about the format either way.
_GENERIC_TYPES = {"application/octet-stream", "binary/octet-stream", "application/download",
                  "application/force-download", "application/x-download", ""}
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

    def seen(index: pd.Index) -> pd.Series:
        return codes.reindex(index).map(lambda cs: ", ".join(cs) if cs else "no recognised format")

    machine = _per_format_set(codes, _any_flag("machine_readable")).astype(bool)
    result.shares.append(ShareCheck(MACHINE, machine, lambda ids: "only " + seen(ids) + ": nothing machine-readable"))
    open_ = _per_format_set(codes, _any_flag("non_proprietary")).astype(bool)
    result.shares.append(ShareCheck(OPEN, open_, lambda ids: "only " + seen(ids) + ": no open format"))
    api = frame["has_api"] | _per_format_set(codes, _any_flag("api")).astype(bool)
    result.shares.append(ShareCheck(API, api, "no API access", mostly=0.3))

    _openness(catalogue, result)

    empty = frame["distributions_count"] == 0
    result.value(EMPTY, int(empty.sum()))
    for native_id, title in frame.loc[empty, "title"].items():
        result.findings.append({"family": FAMILY, "measure_id": EMPTY.id, "native_id": native_id, "title": title,
                                "message": "the dataset has no distribution: nothing to download or call"})

    tiny = frame["record_count"].lt(rules.min_records).fillna(False).astype(bool)
    result.value(TINY, int(tiny.sum()), published=int(frame["record_count"].notna().sum()))
    for native_id, row in frame.loc[tiny].head(MAX_FINDINGS_PER_MEASURE).iterrows():
        result.findings.append({"family": FAMILY, "measure_id": TINY.id, "native_id": native_id, "title": row["title"],
                                "message": f"the portal says the dataset holds {row['record_count']} records"})

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
        message = row["reason"]  # an unknown format says so: "… → 1 star (unknown format)"
        if row["stars"] < row["format_only"] and row["promised_reason"] != row["reason"]:
            message = f"{row['promised_reason']}; the dataset's best: {message}"
        result.findings.append({"family": FAMILY, "measure_id": STARS.id, "native_id": native_id,
                                "title": titles.get(native_id), "message": message})
    unknown_licences = catalogue.datasets.loc[frame["licence"].eq("unknown"), "licence"].fillna("").value_counts()
    if len(unknown_licences):
        examples = ", ".join(f"{repr(k) if k else 'none given'} ×{v}" for k, v in unknown_licences.head(3).items())
        result.portal_finding(STARS, f"{int(unknown_licences.sum())} of {len(frame)} datasets carry a licence the "
                                     f"Open Definition list does not know ({examples}): their stars are not zeroed")


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
    broken = dists[dead].groupby("native_id").apply(
        lambda g: "; ".join(f"{u} → {r}" for u, r in zip(g["url"].head(3), g["reason"].head(3), strict=True)),
        include_groups=False,
    ).reindex(catalogue.datasets.index)
    message = "broken link: " + broken.astype(object).fillna("")
    result.shares.append(ShareCheck(LINKS, alive.astype("boolean"), message))
    _content_types(dists, result)
    result.value(LINKS_CHECKED, float(len(links)), broken=int(links["alive"].eq(False).sum()),
                 unknown=int(links["alive"].isna().sum()))


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
        if report.get("status") == "unreadable":
            reason = f"unreadable: {report.get('unreadable') or 'not a table'}"
        elif report.get("valid") is None:
            reason = report.get("not_validated") or report.get("fetch_error")
        elif report.get("valid") is False:
            reason = ", ".join(f"{k} ×{v}" for k, v in (report.get("error_types") or {}).items())
        else:
            continue
        if not reason:
            continue
        encoding = f" (encoding {report['encoding']})" if report.get("encoding") else ""
        result.findings.append({"family": FAMILY, "measure_id": VALID.id, "native_id": report["native_id"],
                                "title": report.get("title"), "message": f"{report['url']}: {reason}{encoding}"})


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
    for row in live[~live["matches"]].head(200).itertuples():
        result.findings.append({"family": FAMILY, "measure_id": CONTENT_TYPE.id, "native_id": row.native_id,
                                "title": None, "message": f"{row.url}: declared {row.format} but served "
                                                          f"{row.content_type}"})
