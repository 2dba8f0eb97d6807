"""Development and use (3.4.3): a data-request function, and published view/download/API-call statistics."""

from __future__ import annotations

import pandas as pd

from checks.catalogue import Catalogue
from checks.findings import FindingType
from checks.measures import FamilyResult, MeasureSpec, ShareCheck
from checks.recorded import catalogue_time
from checks.rules import UsageRules, default_rules
from harvester.adapters.facts import CatalogueFacts

FAMILY = "usage"
REQUEST = MeasureSpec("data_request_available", FAMILY, "boolean", "提供申请数据开放功能",
                      "users can request data to be opened", point="3.4.3-1")
REPLIES = MeasureSpec("data_request_public_replies", FAMILY, "boolean", "申请答复及时公开",
                      "data requests are answered publicly", point="3.4.3-1")
STATS = MeasureSpec("usage_published_share", FAMILY, "share", "公布浏览/下载/调用统计的数据集占比",
                    "share of datasets publishing views, downloads or API calls", point="3.4.3-2")
DOWNLOADS = MeasureSpec("downloads_published_share", FAMILY, "share", "公布下载量的数据集占比",
                        "share of datasets publishing download counts", point="3.4.3-2")
API_CALLS = MeasureSpec("api_calls_published_share", FAMILY, "share", "公布接口调用量的数据集占比",
                        "share of datasets publishing API-call counts", point="3.4.3-2")


REPLY_TIMELY = MeasureSpec("data_request_reply_share", FAMILY, "share", "数据开放申请在答复期限内答复的占比",
                           "share of public data requests answered within the reply window", point="3.4.3-1")
SHOWCASES = MeasureSpec("showcases", FAMILY, "count", "基于开放数据的应用成果数", "apps and showcases listed",
                        point="3.4.3-2")

REQUEST_UNKNOWN = FindingType(
    "data-request-not-seen", "neither the profile nor the portal's API shows a data-request function; check the "
    "portal by hand and record it under data_request.available",
    "平台配置和接口均未显示数据开放申请功能，请人工核查平台并在平台配置中记录")
NO_REQUEST = FindingType("no-data-request", "no data-request function on the portal", "平台没有申请数据开放功能")
NO_STATISTICS = FindingType("no-usage-statistics", "no views, downloads or API calls published",
                            "未公布浏览量、下载量或接口调用量")
ANSWERED_LATE = FindingType("data-request-answered-late", "data request “{title}” answered after {days} days",
                            "数据开放申请“{title}”在 {days} 天后才答复", portal_text=frozenset({"title"}))
UNANSWERED = FindingType("data-request-unanswered", "data request “{title}” unanswered for {days} days",
                         "数据开放申请“{title}”已 {days} 天未答复", portal_text=frozenset({"title"}))


def evaluate(catalogue: Catalogue, rules: UsageRules | None = None) -> FamilyResult:
    """The family's measures; `rules` give the reply window (default: the shipped rules profile)."""
    rules = rules or default_rules().usage
    result = FamilyResult(FAMILY)
    frame = catalogue.datasets
    request = catalogue.portal.get("data_request") or {}
    facts = CatalogueFacts.from_json(catalogue.info.get("catalogue")).details  # probed by the CKAN adapter
    probed = facts.get("data_requests") if isinstance(facts.get("data_requests"), dict) else {}
    # What the evaluator recorded in the profile wins; otherwise what the portal's API showed.
    available = request.get("available")
    if available is None and probed.get("available"):
        available = True
    result.value(REQUEST, None if available is None else float(available), url=request.get("url"),
                 probed=probed.get("available"))
    if available is None:
        result.portal_finding(REQUEST, REQUEST_UNKNOWN())
    elif not available:
        result.portal_finding(REQUEST, NO_REQUEST())
    _replies(probed.get("items") or [], catalogue, result, rules)
    replies = request.get("public_replies")
    if replies is None and probed.get("items"):
        replies = any(item.get("closed") for item in probed["items"])
    result.value(REPLIES, None if replies is None else float(replies))
    showcases = facts.get("showcases")
    result.value(SHOWCASES, showcases if isinstance(showcases, int) and not isinstance(showcases, bool) else None)

    views, downloads, calls = frame["views"], frame["downloads"], frame["api_calls"]
    any_stat = views.notna() | downloads.notna() | calls.notna()
    result.shares.append(ShareCheck(STATS, any_stat, NO_STATISTICS, mostly=0.8))
    result.value(DOWNLOADS, float(downloads.notna().mean()) if len(frame) else None,
                 total=int(downloads.sum()) if downloads.notna().any() else None)
    result.value(API_CALLS, float(calls.notna().mean()) if len(frame) else None,
                 total=int(calls.sum()) if calls.notna().any() else None,
                 views_total=int(views.sum()) if views.notna().any() else None)
    return result


def _replies(items: list[dict], catalogue: Catalogue, result: FamilyResult, rules: UsageRules) -> None:
    """Reply delays of a public request list: closed within the reply window, or still open after it."""
    # A recorded catalogue is judged as of its recording, as timeliness is.
    harvested = pd.Timestamp(catalogue_time(catalogue.portal, catalogue.harvested_at).at)
    judged, timely = 0, 0
    for item in items:
        opened = pd.to_datetime(item.get("open_time"), errors="coerce")
        closed = pd.to_datetime(item.get("close_time"), errors="coerce") if item.get("closed") else pd.NaT
        if pd.isna(opened):
            continue
        if pd.isna(closed) and (harvested - opened).days < rules.reply_days:
            continue  # still within its month: not late yet
        judged += 1
        days = ((closed if not pd.isna(closed) else harvested) - opened).days
        if not pd.isna(closed) and days <= rules.reply_days:
            timely += 1
        elif len(result.findings) < 200:
            late = ANSWERED_LATE if not pd.isna(closed) else UNANSWERED
            result.portal_finding(REPLY_TIMELY, late(title=item.get("title"), days=days))
    result.value(REPLY_TIMELY, timely / judged if judged else None, judged=judged, listed=len(items))
