"""The counts behind the report's charts that the measures do not keep: format mix, link status, freshness by
declared frequency. Aggregated in SQL, so a catalogue of a million datasets is never read into the report."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import and_, case, func, select

from checks.results import FindingRow, LinkCheckRow
from harvester.store import DistributionRow, HarvestRecordRow, RecordRow, Store

TOP_FORMATS = 10  # the rest are summed as "other"


@dataclass(slots=True)
class LinkStatus:
    """Distinct distribution URLs of a harvest by what the last link check said (unknown is not dead)."""

    alive: int = 0
    dead: int = 0  # answered with HTTP 4xx/5xx
    blocked: int = 0  # refused by the address guard (non-http(s), private addresses)
    unknown: int = 0  # no answer: timeouts, DNS, connection errors
    not_checked: int = 0  # http(s) URLs left out of the check (sample limit) or checks switched off
    no_url: int = 0  # distributions without an http(s) URL


@dataclass(slots=True)
class Freshness:
    """Datasets per declared frequency code, and how many of them the timeliness check found late."""

    declared: dict[str, int] = field(default_factory=dict)  # frequency code (None → "") → datasets
    late: dict[str, int] | None = None  # None when findings were capped, so per-code counts would understate


@dataclass(slots=True)
class Figures:
    formats: dict[str, int]  # normalised format code ("" = none recognised) → distributions
    links: LinkStatus
    freshness: Freshness

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def figures(store: Store, harvest_id: int, timely_failed: int | None = None) -> Figures:
    """`timely_failed` is the timeliness measure's count of late datasets, to tell whether findings are complete."""
    with store.engine.connect() as conn:
        return Figures(_formats(conn, harvest_id), _links(conn, harvest_id), _freshness(conn, harvest_id,
                                                                                         timely_failed))


def _formats(conn: Any, harvest_id: int) -> dict[str, int]:
    query = (
        select(DistributionRow.format, func.count())
        .join(HarvestRecordRow, HarvestRecordRow.record_hash == DistributionRow.record_hash)
        .where(HarvestRecordRow.harvest_id == harvest_id)
        .group_by(DistributionRow.format)
    )
    counts = sorted(((code or "", int(n)) for code, n in conn.execute(query)), key=lambda item: (-item[1], item[0]))
    top = dict(counts[:TOP_FORMATS])
    rest = sum(n for _code, n in counts[TOP_FORMATS:])
    if rest:
        top["*"] = rest  # "*" = every other format
    return top


def _links(conn: Any, harvest_id: int) -> LinkStatus:
    urls = (
        select(DistributionRow.url)
        .join(HarvestRecordRow, HarvestRecordRow.record_hash == DistributionRow.record_hash)
        .where(HarvestRecordRow.harvest_id == harvest_id)
        .distinct()
        .subquery()
    )
    web = urls.c.url.like("http://%") | urls.c.url.like("https://%")
    verdict = case(
        (~web | urls.c.url.is_(None), "no_url"),
        (LinkCheckRow.url.is_(None), "not_checked"),
        (LinkCheckRow.alive.is_(True), "alive"),
        # checks.links stores a check that failed on odq's side with its reason prefixed "unknown: ".
        (LinkCheckRow.reason.like("unknown: %"), "unknown"),
        (LinkCheckRow.reason.like("refused %"), "blocked"),
        else_="dead",
    )
    query = (
        select(verdict.label("verdict"), func.count())
        .select_from(urls.outerjoin(LinkCheckRow, LinkCheckRow.url == urls.c.url))
        .group_by("verdict")
    )
    status = LinkStatus()
    for name, count in conn.execute(query):
        setattr(status, name, int(count))
    return status


def _freshness(conn: Any, harvest_id: int, timely_failed: int | None) -> Freshness:
    members = and_(HarvestRecordRow.harvest_id == harvest_id, HarvestRecordRow.record_hash == RecordRow.hash)
    declared = conn.execute(
        select(RecordRow.frequency, func.count()).select_from(HarvestRecordRow).join(RecordRow, members)
        .group_by(RecordRow.frequency)
    )
    result = Freshness({code or "": int(n) for code, n in declared})
    late_query = (
        select(RecordRow.frequency, func.count())
        .select_from(FindingRow)
        .join(HarvestRecordRow, and_(HarvestRecordRow.harvest_id == FindingRow.harvest_id,
                                     HarvestRecordRow.native_id == FindingRow.native_id))
        .join(RecordRow, RecordRow.hash == HarvestRecordRow.record_hash)
        .where(FindingRow.harvest_id == harvest_id, FindingRow.measure_id == "timely_share")
        .group_by(RecordRow.frequency)
    )
    late = {code or "": int(n) for code, n in conn.execute(late_query)}
    if timely_failed is not None and sum(late.values()) == timely_failed:
        result.late = late
    return result
