"""Update frequency (3.4.2-2): is a frequency declared, and is the dataset updated as declared."""

from __future__ import annotations

import ast
import contextlib
import itertools
import re

import pandas as pd

from checks.catalogue import Catalogue
from checks.findings import FindingType, Said
from checks.measures import MAX_FINDINGS_PER_MEASURE, FamilyResult, MeasureSpec, ShareCheck
from checks.recorded import catalogue_time
from checks.rules import FrequencyRules, default_rules
from harvester.vocab import period_days

FAMILY = "frequency"

DECLARED = MeasureSpec("frequency_declared_share", FAMILY, "share", "明确更新频度的数据集占比",
                       "share of datasets declaring a frequency that normalises", point="3.4.2-2")
TIMELY = MeasureSpec("timely_share", FAMILY, "share", "按声明频度及时更新的数据集占比",
                     "share of datasets modified within the declared period plus grace", point="3.4.2-2")
STALE_FAST = MeasureSpec("stale_fast_claims", FAMILY, "count", "声称实时/每日但长期未更新的数据集数",
                         "datasets claiming real-time/daily updates not modified for months", good="low",
                         point="3.4.2-2")
OBSERVED = MeasureSpec("observed_cadence_share", FAMILY, "share", "多次采集中实际更新节奏符合声明频度的数据集占比",
                       "share of datasets whose changes across harvests keep up with the declared frequency",
                       point="3.4.2-2")
BAD_DATES = MeasureSpec("impossible_dates", FAMILY, "count", "未来或无法识别的日期数", "future or unreadable dates",
                        good="low", point="3.4.2-2")
REPAIRS = MeasureSpec("record_repairs", FAMILY, "count", "采集时修复或跳过的记录问题数（错位、重复行等，非日期）",
                      "record problems the harvest repaired or skipped (shifted values, repeated rows…), not dates",
                      good="low")

# What harvester.dates.BadDate and read_date say about a date they cannot read; every other record problem is a repair.
_DATE_PROBLEM = re.compile(r"not a (?:plausible |valid )?date|not a timestamp")

_DATE_VALUE = re.compile(r"(?P<field>[^:]+): (?P<value>'.*'|\".*\"|\S+) is not "
                         r"(?:a plausible date \(year (?P<year>-?\d+)\)|a valid date|a timestamp|a date odq can read)",
                         re.S)

NO_FREQUENCY = FindingType("no-frequency", "no update frequency declared", "未声明更新频率")
UNKNOWN_FREQUENCY = FindingType(
    "unknown-frequency", "the declared update frequency “{label}” is not one odq can normalise",
    "声明的更新频率“{label}”无法识别为标准频率", portal_text=frozenset({"label"}))
# `which` is the date judged (data: the data's own update date; record: the record's last-modified date);
# `reference` the time it was judged against (harvest, or the recording of a recorded catalogue).
LATE = FindingType(
    "late-update", "declared “{raw}” ({frequency}); {which} {modified}, {age} days before the {reference} "
    "(allowed {allowed})",
    "声明更新频率“{raw}”（{frequency}），{which}于 {modified}，距{reference} {age} 天（允许 {allowed} 天）",
    portal_text=frozenset({"raw", "modified"}),
    vocabulary={"frequency": "frequency", "which": "judged-date", "reference": "reference-time"})
RECORDED = FindingType("judged-at-recording",
                       "judged as of the recording, {at} (profile recorded_at), not the harvest time",
                       "按目录记录时间 {at}（配置 recorded_at）评判，而非采集时间")
NOT_OBSERVED = FindingType(
    "frequency-not-observed", "declared “{raw}” but the modified date did not change over {span} days of harvests",
    "声明更新频率“{raw}”，但 {span} 天内的历次采集中更新时间从未变化", portal_text=frozenset({"raw"}))
FUTURE_DATE = FindingType("future-date", "{which} {date} is after the {reference}", "{which} {date} 晚于{reference}",
                          portal_text=frozenset({"date"}),
                          vocabulary={"which": "dated-field", "reference": "reference-time"})
IMPLAUSIBLE_DATE = FindingType("implausible-date", "{field}: “{value}” is not a plausible date (year {year})",
                               "{field} 的日期“{value}”不合理（{year} 年）", portal_text=frozenset({"field", "value"}))
UNREADABLE_DATE = FindingType("unreadable-date", "{field}: “{value}” is not a date odq can read",
                              "{field} 的“{value}”不是可识别的日期", portal_text=frozenset({"field", "value"}))
# The harvest's own notes on a record it repaired (shifted cells, repeated rows): odq's adapters write them as
# text, so they are shown as written, marked as the harvester's note.
REPAIR = FindingType("record-repaired", "repaired or skipped by the harvest: {note}",
                     "采集时修复或跳过（采集器原文）：{note}", portal_text=frozenset({"note"}))


def evaluate(catalogue: Catalogue, rules: FrequencyRules | None = None) -> FamilyResult:
    """The family's measures; `rules` are the grace and stale windows (default: the shipped rules profile)."""
    rules = rules or default_rules().frequency
    result = FamilyResult(FAMILY)
    frame = catalogue.datasets
    when = catalogue_time(catalogue.portal, catalogue.harvested_at)
    harvested = pd.Timestamp(when.at)  # the recording's time for a recorded catalogue, else the harvest's
    reference = "recording" if when.recorded else "harvest"
    if when.recorded:
        result.portal_finding(TIMELY, RECORDED(at=when.at.isoformat(timespec="seconds")))

    declared = frame["frequency"].notna()
    def undeclared(ids: pd.Index) -> list[Said]:
        return [UNKNOWN_FREQUENCY(label=label) if (label := declared_label(raw)) else NO_FREQUENCY()
                for raw in frame.loc[ids, "frequency_raw"]]

    result.shares.append(ShareCheck(DECLARED, declared, undeclared))

    codes = frame["frequency"].fillna("")
    # Continuous (实时) datasets should change at least daily.
    period = codes.map(lambda c: 1.0 if c == "continuous" else period_days(c)).astype("Float64")
    # 3.4.2-2 asks whether the data is updated: the data's own date where the portal gives one, else the record's.
    record_modified = _dates(frame, "modified")
    data_modified = _dates(frame, "data_modified")
    by_data = data_modified.notna()
    modified = data_modified.where(by_data, record_modified)
    shown = _texts(frame, "data_modified").where(by_data, _texts(frame, "modified"))
    age = (harvested - modified).dt.total_seconds() / 86400
    allowed = period * (1 + rules.grace_factor) + rules.grace_days
    applicable = period.notna() & modified.notna()
    timely = (age <= allowed).astype("boolean").where(applicable, pd.NA)
    def late(ids: pd.Index) -> list[Said]:
        rows = zip(frame.loc[ids, "frequency_raw"], frame.loc[ids, "frequency"], by_data[ids], shown[ids], age[ids],
                   allowed[ids], strict=True)
        return [LATE(raw=declared_label(raw), frequency=code, which="data" if data else "record",
                     modified=None if text is None else str(text)[:10], age=round(days), reference=reference,
                     allowed=round(limit))
                for raw, code, data, text, days, limit in rows]

    result.shares.append(ShareCheck(TIMELY, timely, late, mostly=0.8))

    # The cadence over past harvests is about when odq read the portal, so it keeps the harvest times.
    _observed(catalogue, period, pd.Timestamp(catalogue.harvested_at), result, rules)

    fast = period.le(1.0).fillna(False) & (age > rules.stale_days).fillna(False)
    result.value(STALE_FAST, int(fast.sum()), examples=frame.loc[fast, "title"].head(10).tolist())

    latest = harvested + pd.Timedelta(days=1)  # a day's slack for time zones and a recording dated by its day
    future_record = (record_modified > latest).fillna(False)
    future_data = (data_modified > latest).fillna(False)
    date_problems = frame["problems"].map(lambda found: [p for p in found if _DATE_PROBLEM.search(p)])
    repairs = frame["problems"].map(lambda found: [p for p in found if not _DATE_PROBLEM.search(p)])
    future_count = int(future_record.sum() + future_data.sum())  # dates, not datasets: each is a wrong date
    result.value(BAD_DATES, future_count + int(date_problems.map(len).sum()),
                 future=future_count, unreadable=int(date_problems.map(len).sum()))
    result.value(REPAIRS, int(repairs.map(len).sum()), records=int(repairs.map(bool).sum()))
    for column, flagged, which in (("modified", future_record, "record"), ("data_modified", future_data, "data")):
        for native_id, row in frame.loc[flagged].iterrows():
            result.dataset_finding(BAD_DATES, native_id, FUTURE_DATE(which=which, date=str(row[column])[:10],
                                                                     reference=reference), title=row["title"])
    for spec, noted, explain in ((BAD_DATES, date_problems, _date_problem), (REPAIRS, repairs, _repair)):
        listed = (explain(problem).row(FAMILY, spec.id, native_id, frame.at[native_id, "title"])
                  for native_id, found in noted[noted.map(bool)].items() for problem in found)
        result.findings.extend(itertools.islice(listed, MAX_FINDINGS_PER_MEASURE))  # the count above stays whole
    return result


def _date_problem(problem: str) -> Said:
    """A harvester note on a date it could not read, as the field, the value and (for a typo'd year) the year."""
    match = _DATE_VALUE.match(problem)
    if match is None:  # "issued: not a date (int)": the field, and what the harvester said of its value
        field, _sep, said = problem.partition(": ")
        return UNREADABLE_DATE(field=field, value=said or problem)
    value = match["value"]
    if value[:1] in "'\"":  # the harvester quoted it with repr()
        with contextlib.suppress(ValueError, SyntaxError):
            value = str(ast.literal_eval(value))
    if match["year"] is not None:
        return IMPLAUSIBLE_DATE(field=match["field"], value=value, year=int(match["year"]))
    return UNREADABLE_DATE(field=match["field"], value=value)


def _repair(problem: str) -> Said:
    return REPAIR(note=problem)


def _texts(frame: pd.DataFrame, column: str) -> pd.Series:
    """A date column as stored text (missing as None); all missing where the catalogue has no such column."""
    if column not in frame:
        return pd.Series(None, index=frame.index, dtype=object)
    return frame[column].astype(object).where(frame[column].notna(), None)


def _dates(frame: pd.DataFrame, column: str) -> pd.Series:
    return pd.to_datetime(_texts(frame, column), errors="coerce", format="ISO8601")


def declared_label(raw: object) -> str | None:
    """The frequency label as the portal wrote it; None when there is none (a missing cell reads back as NaN)."""
    if raw is None or (isinstance(raw, float) and pd.isna(raw)):
        return None
    return str(raw).strip() or None


def _observed(catalogue: Catalogue, period: pd.Series, harvested: pd.Timestamp, result: FamilyResult,
              rules: FrequencyRules) -> None:
    """From the harvest history: a dataset whose `modified` never moved over a span of more than two declared
    periods (plus grace) is not updated as declared, whatever its latest date says."""
    history = catalogue.history
    frame = catalogue.datasets
    if history is None or history.empty:
        result.shares.append(ShareCheck(OBSERVED, pd.Series(pd.NA, index=frame.index, dtype="boolean"), NOT_OBSERVED))
        return
    current = pd.DataFrame({"native_id": frame.index, "harvested_at": harvested, "modified": frame["modified"]})
    seen = pd.concat([history, current], ignore_index=True)
    grouped = seen.groupby("native_id")
    span = (grouped["harvested_at"].max() - grouped["harvested_at"].min()).dt.total_seconds() / 86400
    versions = grouped["modified"].nunique()
    span, versions = span.reindex(frame.index), versions.reindex(frame.index)
    judged = period.notna() & (span > 2 * period * (1 + rules.grace_factor) + rules.grace_days)
    keeps_up = (versions > 1).astype("boolean").where(judged, pd.NA)
    def explain(ids: pd.Index) -> list[Said]:
        return [NOT_OBSERVED(raw=declared_label(raw), span=round(days))
                for raw, days in zip(frame.loc[ids, "frequency_raw"], span[ids], strict=True)]

    result.shares.append(ShareCheck(OBSERVED, keeps_up, explain, mostly=0.8))
