"""Update frequency (3.4.2-2): is a frequency declared, and is the dataset updated as declared."""

from __future__ import annotations

import itertools
import re

import pandas as pd

from checks.catalogue import Catalogue
from checks.measures import MAX_FINDINGS_PER_MEASURE, FamilyResult, MeasureSpec, ShareCheck
from checks.recorded import RECORDED_AT, catalogue_time
from checks.rules import FrequencyRules, default_rules
from harvester.vocab import frequencies, period_days

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


def _names() -> dict[str, str]:
    return {code: f"{info.name_zh}, {code}" for code, info in frequencies().items()}


def evaluate(catalogue: Catalogue, rules: FrequencyRules | None = None) -> FamilyResult:
    """The family's measures; `rules` are the grace and stale windows (default: the shipped rules profile)."""
    rules = rules or default_rules().frequency
    result = FamilyResult(FAMILY)
    frame = catalogue.datasets
    when = catalogue_time(catalogue.portal, catalogue.harvested_at)
    harvested = pd.Timestamp(when.at)  # the recording's time for a recorded catalogue, else the harvest's
    before = "the recording" if when.recorded else "the harvest"
    if when.recorded:
        result.portal_finding(TIMELY, f"judged as of the recording, {when.at.isoformat(timespec='seconds')} "
                                      f"(profile {RECORDED_AT}), not the harvest time")

    declared = frame["frequency"].notna()
    def undeclared_message(ids: pd.Index) -> pd.Series:
        return frame.loc[ids, "frequency_raw"].map(
            lambda raw: f"declared update frequency {label!r} is not one odq can normalise"
            if (label := declared_label(raw)) else "no update frequency declared"
        )

    result.shares.append(ShareCheck(DECLARED, declared, undeclared_message))

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
    def late_message(ids: pd.Index) -> pd.Series:
        late = frame.loc[ids]
        return (
            "declared " + late["frequency_raw"].map(declared_label).fillna("")
            + " (" + late["frequency"].map(_names()).fillna("") + ")"
            + by_data[ids].map({True: "; data updated ", False: "; last modified "})
            + shown[ids].fillna("?").str[:10] + ", "
            + age[ids].round().astype("Int64").astype(str) + f" days before {before} (allowed "
            + allowed[ids].round().astype("Int64").astype(str) + ")"
        )

    result.shares.append(ShareCheck(TIMELY, timely, late_message, mostly=0.8))

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
    for column, flagged, what in (("modified", future_record, "modified date"),
                                  ("data_modified", future_data, "data update date")):
        for native_id, row in frame.loc[flagged].iterrows():
            result.findings.append({"family": FAMILY, "measure_id": BAD_DATES.id, "native_id": native_id,
                                    "title": row["title"],
                                    "message": f"{what} {str(row[column])[:10]} is after {before}"})
    for spec, noted in ((BAD_DATES, date_problems), (REPAIRS, repairs)):
        listed = ({"family": FAMILY, "measure_id": spec.id, "native_id": native_id,
                   "title": frame.at[native_id, "title"], "message": problem}
                  for native_id, found in noted[noted.map(bool)].items() for problem in found)
        result.findings.extend(itertools.islice(listed, MAX_FINDINGS_PER_MEASURE))  # the count above stays whole
    return result


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
        result.shares.append(ShareCheck(OBSERVED, pd.Series(pd.NA, index=frame.index, dtype="boolean"), ""))
        return
    current = pd.DataFrame({"native_id": frame.index, "harvested_at": harvested, "modified": frame["modified"]})
    seen = pd.concat([history, current], ignore_index=True)
    grouped = seen.groupby("native_id")
    span = (grouped["harvested_at"].max() - grouped["harvested_at"].min()).dt.total_seconds() / 86400
    versions = grouped["modified"].nunique()
    span, versions = span.reindex(frame.index), versions.reindex(frame.index)
    judged = period.notna() & (span > 2 * period * (1 + rules.grace_factor) + rules.grace_days)
    keeps_up = (versions > 1).astype("boolean").where(judged, pd.NA)
    def message(ids: pd.Index) -> pd.Series:
        return ("declared " + frame.loc[ids, "frequency_raw"].map(declared_label).fillna("")
                + " but `modified` did not change over "
                + span[ids].round().astype("Int64").astype(str) + " days of harvests")

    result.shares.append(ShareCheck(OBSERVED, keeps_up, message, mostly=0.8))
