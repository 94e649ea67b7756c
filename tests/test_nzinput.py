"""Dates and times typed the New Zealand way."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest

from ascms_tui.nzinput import (
    format_long_date,
    format_time,
    format_time_spent,
    is_repeated_nz_time,
    nz_datetime,
    parse_nz_date,
    parse_nz_time,
    parse_whole_number,
)

TODAY = date(2026, 6, 30)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("4/06/2026", date(2026, 6, 4)),
        ("4/6/2026", date(2026, 6, 4)),
        ("04/06/2026", date(2026, 6, 4)),
        ("4/6/26", date(2026, 6, 4)),
        ("4/6", date(2026, 6, 4)),  # this year
        ("4-6-2026", date(2026, 6, 4)),
        ("4.6.2026", date(2026, 6, 4)),
        (" 4 / 6 / 2026 ", date(2026, 6, 4)),
        ("2026-06-04", date(2026, 6, 4)),  # ISO is unambiguous, so accepted too
        ("today", TODAY),
        ("Today", TODAY),
        ("YESTERDAY", TODAY - timedelta(days=1)),
        ("tomorrow", TODAY + timedelta(days=1)),
        ("29/2/2028", date(2028, 2, 29)),
        ("29/02/2024", date(2024, 2, 29)),
        ("4 June 2026", date(2026, 6, 4)),
        ("4 jun", date(2026, 6, 4)),
        ("4th of June", date(2026, 6, 4)),
        ("31/12/2026", date(2026, 12, 31)),
    ],
)
def test_dates_typed_day_first(typed, expected):
    assert parse_nz_date(typed, TODAY) == expected


def test_yesterday_crosses_month_and_year():
    assert parse_nz_date("yesterday", date(2026, 1, 1)) == date(2025, 12, 31)
    assert parse_nz_date("tomorrow", date(2028, 2, 28)) == date(2028, 2, 29)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("31/2/2026", "'31/2/2026' is not a date: February 2026 has 28 days"),
        ("29/2/2026", "'29/2/2026' is not a date: February 2026 has 28 days"),
        ("31/6/2026", "'31/6/2026' is not a date: June 2026 has 30 days"),
        ("0/1/2026", "there is no day 0"),
        ("4/13/2026", "there is no month 13. New Zealand dates are day first, e.g. 13/04/2026"),
        ("13/13/2026", "there is no month 13"),
        ("abc", "'abc' is not a date. Type a date like 4/06/2026, today or yesterday"),
        ("", "Type a date like 4/06/2026, today or yesterday"),
        ("4 Juneish", "'juneish' is not a month"),
        ("4/6/202", "is not a date"),
        ("1/1/0026", "the year 26 is out of range"),
    ],
)
def test_bad_dates_say_what_is_wrong(typed, message):
    with pytest.raises(ValueError) as error:
        parse_nz_date(typed, TODAY)
    assert message in str(error.value)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("2pm", time(14, 0)),
        ("2 pm", time(14, 0)),
        ("2PM", time(14, 0)),
        ("2 p.m.", time(14, 0)),
        ("2:30pm", time(14, 30)),
        ("2.30 pm", time(14, 30)),
        ("14:00", time(14, 0)),
        ("14.00", time(14, 0)),
        ("1400", time(14, 0)),
        ("9am", time(9, 0)),
        ("9:05 am", time(9, 5)),
        ("930", time(9, 30)),
        ("0930", time(9, 30)),
        ("09:00", time(9, 0)),
        ("9", time(9, 0)),  # 24-hour: morning hours 8-12 are not ambiguous in a working day
        ("12pm", time(12, 0)),  # noon
        ("12am", time(0, 0)),  # midnight
        ("12:30", time(12, 30)),
        ("12:30am", time(0, 30)),
        ("noon", time(12, 0)),
        ("midnight", time(0, 0)),
        ("23:59", time(23, 59)),
        ("0:15", time(0, 15)),
        ("07:45", time(7, 45)),
    ],
)
def test_times(typed, expected):
    assert parse_nz_time(typed) == expected


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("2", "Is '2' am or pm? Type 2am, 2pm or 14:00"),
        ("2:30", "Is '2:30' am or pm? Type 2:30am, 2:30pm or 14:30"),
        ("25:00", "hours go up to 23"),
        ("14:75", "minutes go up to 59"),
        ("13pm", "with am or pm the hour is 1 to 12"),
        ("0am", "with am or pm the hour is 1 to 12"),
        ("pm", "'pm' is not a time. Type a time like 2pm, 2:30 pm or 14:00"),
        ("2xm", "is not a time"),
        ("1:5", "is not a time"),
        ("", "Type a time like 2pm, 2:30 pm or 14:00"),
    ],
)
def test_bad_times_say_what_is_wrong(typed, message):
    with pytest.raises(ValueError) as error:
        parse_nz_time(typed)
    assert message in str(error.value)


def test_nz_datetime_is_aware_and_follows_daylight_saving():
    winter = nz_datetime(date(2026, 6, 4), time(14, 0))
    summer = nz_datetime(date(2026, 12, 4), time(14, 0))
    assert winter.utcoffset() == timedelta(hours=12)
    assert summer.utcoffset() == timedelta(hours=13)
    assert winter.astimezone().isoformat()  # aware: converts without error


def test_a_time_skipped_when_clocks_go_forward_is_refused():
    # Sunday 27 September 2026: 2:00 am becomes 3:00 am.
    with pytest.raises(ValueError) as error:
        nz_datetime(date(2026, 9, 27), time(2, 30))
    assert "2:30 am on 27/09/2026 does not exist in New Zealand" in str(error.value)
    assert nz_datetime(date(2026, 9, 27), time(3, 0)).utcoffset() == timedelta(hours=13)
    assert nz_datetime(date(2026, 9, 27), time(1, 59)).utcoffset() == timedelta(hours=12)


def test_a_time_repeated_when_clocks_go_back_is_the_first_one():
    # Sunday 5 April 2026: 3:00 am daylight time becomes 2:00 am standard time.
    assert is_repeated_nz_time(date(2026, 4, 5), time(2, 30))
    assert not is_repeated_nz_time(date(2026, 4, 5), time(3, 30))
    assert not is_repeated_nz_time(date(2026, 4, 6), time(2, 30))
    assert nz_datetime(date(2026, 4, 5), time(2, 30)).utcoffset() == timedelta(hours=13)


def test_formats_round_trip_through_the_parsers():
    for at in (time(0, 0), time(0, 30), time(9, 5), time(12, 0), time(14, 0), time(23, 59)):
        assert parse_nz_time(format_time(at)) == at
    assert format_time(time(14, 0)) == "2:00 pm"
    assert format_time(time(0, 0)) == "12:00 am"
    assert format_long_date(date(2026, 6, 30)) == "Tue 30 Jun 2026"


def test_whole_numbers_for_hours_and_minutes():
    assert parse_whole_number("", label="Hours") == 0
    assert parse_whole_number(" 2 ", label="Hours") == 2
    assert parse_whole_number("75", label="Minutes") == 75  # the range is the model's to judge
    with pytest.raises(ValueError, match="Hours must be a whole number .*put the rest in Minutes"):
        parse_whole_number("1.5", label="Hours")
    with pytest.raises(ValueError, match="Minutes must be a whole number like 1 or 30 \\(got 'ten'\\)"):
        parse_whole_number("ten", label="Minutes")
    with pytest.raises(ValueError):
        parse_whole_number("-1", label="Minutes")


def test_time_spent_reads_naturally():
    assert format_time_spent(1, 30) == "1 h 30 min"
    assert format_time_spent(2, 0) == "2 h"
    assert format_time_spent(0, 45) == "45 min"
    assert format_time_spent(0, 0) == "no time recorded"
