"""Timeliness on tiny hand-built catalogues: which date is judged (the data's, else the record's) and against which
instant (a recorded catalogue's recorded_at, else the harvest's start)."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import pytest

from checks.catalogue import Catalogue
from checks.frequency import evaluate
from checks.recorded import catalogue_time
from harvester.profiles import ProfileError
from tests.assessing import english, explained

HARVESTED = datetime(2026, 12, 1, 8, 0)


def _catalogue(rows: list[dict], portal: dict | None = None, with_data_dates: bool = True) -> Catalogue:
    frame = pd.DataFrame([{"native_id": f"d{i}", "title": f"t{i}", "frequency_raw": "monthly", "frequency": "P1M",
                           "problems": [], **row} for i, row in enumerate(rows)]).set_index("native_id", drop=False)
    if not with_data_dates:
        frame = frame.drop(columns=["data_modified"], errors="ignore")
    return Catalogue(harvest_id=1, portal=portal or {"id": "p"}, harvested_at=HARVESTED, info={}, datasets=frame,
                     distributions=pd.DataFrame())


def _timely(result) -> pd.Series:
    return {c.spec.id: c for c in result.shares}["timely_share"]


def test_without_recorded_at_the_harvest_time_is_the_reference():
    assert catalogue_time({"id": "p"}, HARVESTED).at == HARVESTED
    assert catalogue_time({"id": "p"}, HARVESTED).recorded is False


@pytest.mark.parametrize(("value", "expected"), [
    ("2022-09-05", datetime(2022, 9, 5)),
    (date(2022, 9, 5), datetime(2022, 9, 5)),  # YAML's reading of a bare date
    ("2021-07-13T18:30:00+08:00", datetime(2021, 7, 13, 10, 30)),  # to naive UTC, like the harvest times
    (datetime(2021, 7, 13, 10, 30), datetime(2021, 7, 13, 10, 30)),
])
def test_recorded_at_is_read_as_an_instant(value, expected):
    when = catalogue_time({"id": "p", "recorded_at": value}, HARVESTED)
    assert when.at == expected and when.recorded is True


@pytest.mark.parametrize("value", ["last summer", "2022-13-01", 20220905, ["2022-09-05"]])
def test_an_unreadable_recorded_at_is_a_profile_error_naming_the_key(value):
    with pytest.raises(ProfileError, match=r"^portal 'p': key 'recorded_at': expected an ISO 8601 date"):
        catalogue_time({"id": "p", "recorded_at": value}, HARVESTED)


def test_a_recording_after_the_harvest_is_refused():
    with pytest.raises(ProfileError, match=r"key 'recorded_at': 2027-01-01T00:00:00 is after the harvest"):
        catalogue_time({"id": "p", "recorded_at": "2027-01-01"}, HARVESTED)


def test_a_recorded_catalogue_is_judged_as_of_its_recording():
    # monthly: allowed 30.44 × 1.5 + 7 = 52.66 days
    rows = [{"modified": "2022-07-15T00:00:00"}, {"modified": "2022-07-14T00:00:00"}]
    recorded = {"id": "p", "recorded_at": "2022-09-05"}
    today = _timely(evaluate(_catalogue(rows, with_data_dates=False)))
    then = _timely(evaluate(_catalogue(rows, recorded, with_data_dates=False)))
    assert today.passed.tolist() == [False, False]
    assert then.passed.tolist() == [True, False]  # 52 days before the recording, then 53
    assert explained(then, ["d1"])["d1"] == (
        "declared “monthly” (monthly); last modified 2022-07-14, 53 days before the recording (allowed 53)")
    assert explained(today, ["d1"])["d1"].endswith("days before the harvest (allowed 53)")


def test_the_data_date_wins_over_the_record_date_and_the_message_says_which():
    rows = [
        {"modified": "2026-11-20T00:00:00", "data_modified": "2026-01-01T00:00:00"},  # fresh record, stale data
        {"modified": "2026-01-01T00:00:00", "data_modified": "2026-11-20T00:00:00"},  # stale record, fresh data
        {"modified": "2026-01-01T00:00:00", "data_modified": None},  # no data date: the record's is judged
    ]
    timely = _timely(evaluate(_catalogue(rows)))
    assert timely.passed.tolist() == [False, True, False]
    messages = explained(timely, ["d0", "d2"])
    assert messages["d0"].startswith("declared “monthly” (monthly); data updated 2026-01-01, 334 days before")
    assert messages["d2"].startswith("declared “monthly” (monthly); last modified 2026-01-01, 334 days before")
    assert [s.values["which"] for s in timely.explained(pd.Index(["d0", "d2"]))] == ["data", "record"]


def test_a_future_data_date_is_an_impossible_date_of_its_own():
    rows = [{"modified": "2026-11-20T00:00:00", "data_modified": "2027-03-01T00:00:00"},
            {"modified": "2027-03-01T00:00:00", "data_modified": "2027-03-01T00:00:00"},
            {"modified": "2026-12-02T07:00:00", "data_modified": None}]  # within a day's slack: not counted
    result = evaluate(_catalogue(rows))
    _, count, detail = result.values["impossible_dates"]
    assert count == 3 and detail == {"future": 3, "unreadable": 0}  # dates, not datasets
    messages = sorted(english(f) for f in result.findings if f["measure_id"] == "impossible_dates")
    assert messages == ["data update date 2027-03-01 is after the harvest",
                        "data update date 2027-03-01 is after the harvest",
                        "modified date 2027-03-01 is after the harvest"]


def test_the_recording_is_said_once_for_the_portal():
    result = evaluate(_catalogue([{"modified": "2022-07-15T00:00:00"}], {"id": "p", "recorded_at": "2022-09-05"}))
    assert [f["message"] for f in result.findings if f["native_id"] is None] == [
        "judged as of the recording, 2022-09-05T00:00:00 (profile recorded_at), not the harvest time"]
