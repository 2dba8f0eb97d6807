"""Link liveness: HEAD each distribution URL (GET when HEAD is refused), through the guarded client.

As ckanext-archiver does: a status ≥ 400 is broken; HEAD answered 405/501 is retried as a capped GET.
Results are kept in the store and reused for `reuse_days`, so periodic runs do not hammer portals.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pandas as pd

from harvester.http import BodyTooLarge, FetchError, Http
from harvester.store import Store

GET_PROBE_BYTES = 256 * 1024  # a GET only has to show the file is there


def check_link(http: Http, url: str) -> dict[str, Any]:
    try:
        response = http.head(url)
        if response.status in (405, 501, 403):  # servers that refuse HEAD but serve GET
            response = http.get(url, max_bytes=GET_PROBE_BYTES)
    except BodyTooLarge as exc:  # it answered with a body: the link is alive
        return {"url": url, "status": exc.status, "alive": bool(exc.status and exc.status < 400),
                "reason": None, "content_type": None, "final_url": url}
    except FetchError as exc:
        return {"url": url, "status": exc.status, "alive": False, "reason": exc.reason[:300],
                "content_type": None, "final_url": None}
    alive = response.status < 400
    return {"url": url, "status": response.status, "alive": alive,
            "reason": None if alive else f"HTTP {response.status}",
            "content_type": response.content_type or None, "final_url": response.url}


def sample_urls(urls: Iterable[str | None], limit: int | None) -> list[str]:
    """Distinct http(s) URLs; above `limit`, a deterministic spread sample (by hash, so reruns agree)."""
    distinct = sorted({u for u in urls if isinstance(u, str) and u.startswith(("http://", "https://"))})
    if limit is None or len(distinct) <= limit:
        return distinct
    return sorted(distinct, key=lambda u: hashlib.sha1(u.encode(), usedforsecurity=False).digest())[:limit]


def check_links(
    http: Http,
    urls: list[str],
    *,
    store: Store | None = None,
    reuse_days: float = 7.0,
    workers: int = 8,
    progress: Callable[[int], None] | None = None,
) -> pd.DataFrame:
    """Check each URL once (or reuse a recent result); per-host politeness is the client's job."""
    reused = store.fresh_link_checks(urls, reuse_days) if store is not None and reuse_days > 0 else {}
    todo = [u for u in urls if u not in reused]
    fresh: list[dict[str, Any]] = []
    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="odq-links") as pool:
        for result in pool.map(lambda u: check_link(http, u), todo):
            fresh.append(result)
            if progress:
                progress(1)
    if store is not None:
        store.save_link_checks(fresh)
    rows = [*fresh, *({k: v for k, v in r.items() if k != "checked_at"} for r in reused.values())]
    columns = ["url", "status", "alive", "reason", "content_type", "final_url"]
    frame = pd.DataFrame(rows, columns=columns)
    frame["alive"] = frame["alive"].astype(bool)
    return frame
