"""Link liveness: HEAD each distribution URL (GET when HEAD is refused), through the guarded client.

As ckanext-archiver does: a status ≥ 400 is broken; HEAD answered 405/501 is retried as a capped GET.
Results are kept in the store and reused for `reuse_days`, so periodic runs do not hammer portals.

Each result has a verdict: alive, dead (an HTTP error, a name that does not exist, a refused connection, a
server that stopped answering), blocked (the guard refused the URL: from outside, a link to an internal or
ambiguous address is no link) or unknown (the check failed on odq's side — our resolver, our deadline, a
connect timeout, TLS — which says nothing about the portal). Unknown links have `alive` None and are left out of
the links measures; they are stored (so reports can count them) but never reused: the next run asks again.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pandas as pd

from checks.results import Results
from harvester.http import BodyTooLarge, FetchError, Http
from harvester.store import Store

GET_PROBE_BYTES = 256 * 1024  # a GET only has to show the file is there
UNKNOWN_PREFIX = "unknown: "  # how a stored reason marks a check that failed on odq's side
MOSTLY_UNKNOWN = 0.5  # above this share of unknown results a run warns: the evaluator's network is the problem
STORED = ("url", "status", "alive", "reason", "content_type", "final_url")  # the link_checks columns
COLUMNS = [*STORED, "verdict", "kind"]
log = logging.getLogger("odq.links")
LinkRunner = Callable[[list[str], Callable[[int], None] | None], list[dict[str, Any]]]  # urls, progress -> results


def _failed(url: str, exc: FetchError) -> dict[str, Any]:
    if exc.odq_side:
        verdict, alive, reason = "unknown", None, UNKNOWN_PREFIX + exc.reason
    else:
        verdict, alive, reason = ("blocked" if exc.kind == "refused" else "dead"), False, exc.reason
    return {"url": url, "status": exc.status, "alive": alive, "reason": reason[:300], "content_type": None,
            "final_url": None, "verdict": verdict, "kind": exc.kind}


def check_link(http: Http, url: str) -> dict[str, Any]:
    try:
        response = http.head(url)
        if response.status in (405, 501, 403):  # servers that refuse HEAD but serve GET
            response = http.get(url, max_bytes=GET_PROBE_BYTES)
    except BodyTooLarge as exc:  # it answered with a body: the link is alive
        alive = bool(exc.status and exc.status < 400)
        return {"url": url, "status": exc.status, "alive": alive, "reason": None if alive else exc.reason[:300],
                "content_type": None, "final_url": url, "verdict": "alive" if alive else "dead", "kind": None}
    except FetchError as exc:
        return _failed(url, exc)
    alive = response.status < 400
    return {"url": url, "status": response.status, "alive": alive,
            "reason": None if alive else f"HTTP {response.status}",
            "content_type": response.content_type or None, "final_url": response.url,
            "verdict": "alive" if alive else "dead", "kind": None if alive else "status"}


def check_in_threads(http: Http, urls: list[str], workers: int = 8,
                     progress: Callable[[int], None] | None = None) -> list[dict[str, Any]]:
    """check_link over `urls` on `workers` threads, in the order given."""
    fresh: list[dict[str, Any]] = []
    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="odq-links") as pool:
        for result in pool.map(lambda u: check_link(http, u), urls):
            fresh.append(result)
            if progress:
                progress(1)
    return fresh


def stored_verdict(row: Mapping[str, Any]) -> str:
    """The verdict of a stored result (the store keeps `alive` false for unknown ones, marked in the reason)."""
    reason = row.get("reason") or ""
    if row.get("alive"):
        return "alive"
    if reason.startswith(UNKNOWN_PREFIX):
        return "unknown"
    if reason.startswith("refused "):
        return "blocked"
    return "dead"


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
    runner: LinkRunner | None = None,
) -> pd.DataFrame:
    """Check each URL once (or reuse a recent verdict); per-host politeness is the client's job.

    `runner` checks the URLs elsewhere (odq.executor's cluster fetcher); None: `workers` threads here.
    The frame has the stored columns plus `verdict` and `kind`; `alive` is a nullable boolean, NA when unknown.
    """
    reused = Results(store).fresh_link_checks(urls, reuse_days) if store is not None and reuse_days > 0 else {}
    reused = {u: r for u, r in reused.items() if stored_verdict(r) != "unknown"}  # odq-side failures: ask again
    todo = [u for u in urls if u not in reused]
    fresh = (runner or (lambda todo, progress: check_in_threads(http, todo, workers, progress)))(todo, progress)
    if store is not None:
        # The column is not nullable: an unknown result is stored as not alive with its reason marked.
        Results(store).save_link_checks([{k: (False if k == "alive" and r[k] is None else r[k]) for k in STORED}
                                for r in fresh])
    old = [{**{k: r.get(k) for k in STORED}, "verdict": stored_verdict(r), "kind": None} for r in reused.values()]
    frame = pd.DataFrame([*fresh, *old], columns=COLUMNS)
    frame["alive"] = frame["alive"].astype("boolean")
    unknown = int((frame["verdict"] == "unknown").sum())
    frame.attrs["unknown"] = unknown
    if fresh and unknown > MOSTLY_UNKNOWN * len(frame):
        log.warning("%d of %d link checks failed on odq's side (DNS, timeouts, TLS): they are unknown, not dead; "
                    "check this machine's network before trusting the link figures", unknown, len(frame))
    return frame


def verdict_counts(frame: pd.DataFrame | None) -> dict[str, int]:
    """Links per verdict, every verdict present (0 when none)."""
    counts = {"alive": 0, "dead": 0, "blocked": 0, "unknown": 0}
    if frame is not None and not frame.empty:
        for verdict, n in frame["verdict"].value_counts().items():
            counts[str(verdict)] = int(n)
    return counts
