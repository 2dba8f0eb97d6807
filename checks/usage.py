"""Development and use (3.4.3): a data-request function, and published view/download/API-call statistics."""

from __future__ import annotations

from checks.catalogue import Catalogue
from checks.measures import FamilyResult, MeasureSpec, ShareCheck

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


def evaluate(catalogue: Catalogue) -> FamilyResult:
    result = FamilyResult(FAMILY)
    frame = catalogue.datasets
    request = catalogue.portal.get("data_request") or {}
    available = request.get("available")
    result.value(REQUEST, None if available is None else float(available), url=request.get("url"))
    if available is None:
        result.portal_finding(REQUEST, "the portal profile does not say whether a data-request function exists; "
                                       "check the portal by hand and record it under data_request.available")
    elif not available:
        result.portal_finding(REQUEST, "no data-request (申请数据开放) function on the portal")
    replies = request.get("public_replies")
    result.value(REPLIES, None if replies is None else float(replies))

    views, downloads, calls = frame["views"], frame["downloads"], frame["api_calls"]
    any_stat = views.notna() | downloads.notna() | calls.notna()
    result.shares.append(ShareCheck(STATS, any_stat, "no views, downloads or API calls published", mostly=0.8))
    result.value(DOWNLOADS, float(downloads.notna().mean()) if len(frame) else None,
                 total=int(downloads.sum()) if downloads.notna().any() else None)
    result.value(API_CALLS, float(calls.notna().mean()) if len(frame) else None,
                 total=int(calls.sum()) if calls.notna().any() else None,
                 views_total=int(views.sum()) if views.notna().any() else None)
    return result
