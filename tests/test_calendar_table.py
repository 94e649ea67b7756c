"""The shipped holiday table is exactly what the holidays package says, year by year."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

import holidays

from ascms_tui import calendar


def test_table_matches_the_holidays_package():
    table = calendar._table()
    assert set(table) == set(range(2000, 2061))
    for year, days in table.items():
        expected = {d: n for d, n in holidays.NZ(years=year).items() if d.year == year}
        assert days == expected, f"{year}: regenerate with `python -m ascms_tui.calendar`"


def test_years_outside_the_table_fall_back_to_the_package():
    # 2075: Christmas Day falls on a Wednesday.
    assert not calendar.is_business_day(date(2075, 12, 25))
    assert calendar.national_holiday_name(date(2075, 12, 25)) == "Christmas Day"


def test_start_up_path_does_not_import_the_holidays_package():
    code = ("import sys, datetime\nfrom ascms_tui.calendar import add_business_days\n"
            "add_business_days(datetime.date(2026, 4, 2), 10)\nprint('holidays' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=Path(__file__).resolve().parents[1], timeout=60)
    assert result.stdout.strip() == "False", result.stderr
