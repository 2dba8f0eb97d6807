"""parse_date: the date forms portals write, read into ISO 8601 text; implausible or unreadable dates raise BadDate."""

from __future__ import annotations

import re

import pytest

from harvester.dates import BadDate, parse_date


@pytest.mark.parametrize(("written", "iso"), [
    # ISO 8601, with and without time, zone and fraction
    ("2019-03-02", "2019-03-02T00:00:00"),
    ("2019-03-02T10:13:05", "2019-03-02T10:13:05"),
    ("2019-03-02 10:13", "2019-03-02T10:13:00"),
    ("2019-03-02T10:13:05Z", "2019-03-02T10:13:05"),
    ("2019-03-02T12:13:05+02:00", "2019-03-02T10:13:05"),
    ("2019-03-02T10:13:05.250000", "2019-03-02T10:13:05.250000"),
    # reduced precision: a year and month, or a year
    ("2014-01", "2014-01-01T00:00:00"),
    ("2014", "2014-01-01T00:00:00"),
    # slashes and dots, year first
    ("2019/03/02", "2019-03-02T00:00:00"),
    ("2019/3/2 10:13", "2019-03-02T10:13:00"),
    ("2019.03.02", "2019-03-02T00:00:00"),
    # Chinese
    ("2019年3月2日", "2019-03-02T00:00:00"),
    ("2019年03月02日 10:13:05", "2019-03-02T10:13:05"),
    # day first, German style
    ("02.03.2019", "2019-03-02T00:00:00"),
    ("2.3.2019 10:13", "2019-03-02T10:13:00"),
    # German long form as DKAN/Drupal pages write it: weekday and time optional
    ("Dienstag, 19. November 2013 - 10:13", "2013-11-19T10:13:00"),
    ("Montag, 6. Januar 2014 - 9:31", "2014-01-06T09:31:00"),
    ("19. November 2013", "2013-11-19T00:00:00"),
    ("Donnerstag, 6. März 2014 - 14:05", "2014-03-06T14:05:00"),
    ("6. Maerz 2014", "2014-03-06T00:00:00"),
    ("1. mai 2014 10:00 Uhr", "2014-05-01T10:00:00"),
    ("Sonntag, 31. Dezember 2013 - 23:59", "2013-12-31T23:59:00"),
])
def test_written_forms_read_as_iso(written, iso):
    assert parse_date(written) == iso


@pytest.mark.parametrize(("epoch", "iso"), [
    (1551521585000, "2019-03-02T10:13:05"),  # milliseconds (Socrata, OpenDataSoft, Chinese portals' JSON)
    (1551521585, "2019-03-02T10:13:05"),  # seconds
])
def test_epoch_numbers_read_as_utc(epoch, iso):
    assert parse_date(epoch) == iso


@pytest.mark.parametrize("empty", [None, "", "  ", "-", "暂无", "null"])
def test_empty_values_are_no_date(empty):
    assert parse_date(empty) is None


@pytest.mark.parametrize(("written", "reason"), [
    ("2913-10-11", "not a plausible date (year 2913)"),  # the Cologne DKAN typo for 2013-10-11
    ("1813-10-11", "not a plausible date (year 1813)"),
    ("Dienstag, 19. November 2913 - 10:13", "not a plausible date (year 2913)"),
    ("2021-13-45", "not a date odq can read"),
    ("31. Februar 2014", "not a valid date"),
    ("2014-13", "not a valid date"),
    ("19. Brumaire 2013", "not a date odq can read"),
    ("2021-07-0603:25:19", "not a date odq can read"),
    ("2013_10_04", "not a date odq can read"),
])
def test_implausible_or_unreadable_dates_raise(written, reason):
    with pytest.raises(BadDate, match=re.escape(reason)):
        parse_date(written)
