"""The working-day calendar behind the stall clocks (DOMAIN.md, "Stall clocks")."""

from __future__ import annotations

import logging
from datetime import date, timedelta
from pathlib import Path

import chinese_calendar
import pytest
from hypothesis import given
from hypothesis import strategies as st

from workflow.workdays import (
    Schedule,
    ScheduleFileError,
    WorkdayCalendar,
    fallback_warning,
    parse_schedule_file,
)

DATA = Path(__file__).parent / "data"
CAL = WorkdayCalendar()  # module-level: hypothesis tests must not use function-scoped fixtures
D = date.fromisoformat


def days(first: str, last: str) -> list[date]:
    a, b = D(first), D(last)
    return [a + timedelta(days=k) for k in range((b - a).days + 1)]


# -- facts of 2026 from chinesecalendar ------------------------------------------------------


def test_spring_festival_2026():
    assert all(not CAL.is_workday(d) for d in days("2026-02-15", "2026-02-23"))
    assert CAL.is_workday(D("2026-02-14"))  # Saturday, make-up working day
    assert CAL.is_workday(D("2026-02-28"))  # Saturday, make-up working day
    assert CAL.is_workday(D("2026-02-24"))
    assert not CAL.is_workday(D("2026-02-16"))


def test_national_day_2026():
    assert all(not CAL.is_workday(d) for d in days("2026-10-01", "2026-10-07"))
    assert CAL.is_workday(D("2026-09-20"))  # Sunday, make-up working day
    assert CAL.is_workday(D("2026-10-10"))  # Saturday, make-up working day
    assert not CAL.is_workday(D("2026-10-11"))  # ordinary Sunday


def test_matches_package_on_every_covered_day():
    for d in days("2004-01-01", "2026-12-31"):
        assert CAL.is_workday(d) == chinese_calendar.is_workday(d), d


def test_ordinary_week():
    monday, friday = D("2026-03-09"), D("2026-03-13")
    assert CAL.workdays_after(monday, friday) == 4
    assert CAL.workdays_after(monday, D("2026-03-15")) == 4  # the weekend adds nothing
    assert CAL.workdays_after(monday, D("2026-03-16")) == 5


def test_workdays_after_across_spring_festival():
    friday_before = D("2026-02-13")
    assert CAL.workdays_after(friday_before, D("2026-02-14")) == 1
    assert CAL.workdays_after(friday_before, D("2026-02-23")) == 1
    assert CAL.workdays_after(friday_before, D("2026-02-27")) == 5
    assert CAL.workdays_after(friday_before, D("2026-02-28")) == 6
    assert CAL.add_workdays(D("2026-02-14"), 1) == D("2026-02-24")


def test_workdays_after_across_national_day():
    assert CAL.workdays_after(D("2026-09-30"), D("2026-10-09")) == 2
    assert CAL.workdays_after(D("2026-09-30"), D("2026-10-10")) == 3


def test_entry_day_counts_zero():
    # DOMAIN.md: working days *after* the day the case entered its status.
    entered = D("2026-03-10")
    assert CAL.workdays_after(entered, entered) == 0
    assert CAL.workdays_after(entered, entered - timedelta(days=5)) == 0
    assert CAL.workdays_after(entered, D("2026-03-11")) == 1
    # allowance 30 for "contacted": overdue on the day the count reaches 30
    overdue = CAL.add_workdays(entered, 30)
    assert CAL.workdays_after(entered, overdue) == 30
    assert CAL.workdays_after(entered, overdue - timedelta(days=1)) == 29


def test_workday_no_and_rows():
    assert CAL.workday_no(D("2004-01-01")) == 0  # New Year's Day, not a working day
    assert CAL.workday_no(D("2004-01-02")) == 1
    a, b = D("2026-02-10"), D("2026-03-10")
    assert CAL.workdays_after(a, b) == CAL.workday_no(b) - CAL.workday_no(a)
    rows = list(CAL.rows(D("2026-02-13"), D("2026-02-16")))
    base = CAL.workday_no(D("2026-02-13"))
    assert rows == [
        (D("2026-02-13"), True, base),
        (D("2026-02-14"), True, base + 1),
        (D("2026-02-15"), False, base + 1),
        (D("2026-02-16"), False, base + 1),
    ]
    everything = list(CAL.rows())
    assert len(everything) == (D("2035-12-31") - D("2004-01-01")).days + 1
    assert everything[-1] == (D("2035-12-31"), True, CAL.workday_no(D("2035-12-31")))


def test_outside_range_raises():
    small = WorkdayCalendar(start=D("2026-01-01"), end=D("2026-12-31"))
    for bad in (D("2025-12-31"), D("2027-01-01")):
        with pytest.raises(ValueError, match="outside the working-day calendar"):
            small.is_workday(bad)
        with pytest.raises(ValueError, match="outside"):
            small.workdays_after(D("2026-06-01"), bad)
    with pytest.raises(ValueError, match="beyond the calendar end"):
        small.add_workdays(D("2026-12-30"), 5)
    with pytest.raises(ValueError):
        small.add_workdays(D("2026-06-01"), -1)
    with pytest.raises(ValueError):
        WorkdayCalendar(start=D("2026-01-01"), end=D("2025-01-01"))


# -- years the package does not cover --------------------------------------------------------


def test_2027_falls_back_to_monday_to_friday():
    assert 2027 in CAL.fallback_years
    assert CAL.fallback_years == list(range(2027, 2036))
    # 2027-02-08 is a Monday (in the Spring Festival, but no schedule is loaded)
    assert CAL.is_workday(D("2027-02-08"))
    assert not CAL.is_workday(D("2027-02-06"))
    assert CAL.fallback_years_between(D("2026-12-01"), D("2027-03-01")) == [2027]
    assert CAL.fallback_years_between(D("2026-01-01"), D("2026-12-31")) == []
    msg = fallback_warning(2027)
    assert "2027" in msg and "Monday–Friday" in msg and "unionflow calendar load FILE" in msg


def test_warn_for_logs_once_per_year(caplog):
    cal = WorkdayCalendar()
    with caplog.at_level(logging.WARNING, logger="workflow.workdays"):
        assert cal.warn_for(D("2026-12-01"), D("2028-01-05")) == [2027, 2028]
        cal.warn_for(D("2027-05-01"), D("2027-06-01"))
    assert [r.getMessage() for r in caplog.records] == [fallback_warning(2027), fallback_warning(2028)]


def test_loaded_2027_schedule_takes_precedence():
    schedule = parse_schedule_file(DATA / "holidays-2027.toml")
    cal = WorkdayCalendar(schedule.days)
    assert 2027 not in cal.fallback_years and 2028 in cal.fallback_years
    assert cal.fallback_years_between(D("2027-01-01"), D("2027-12-31")) == []
    assert not cal.is_workday(D("2027-02-08"))  # Monday in the loaded Spring Festival
    assert cal.is_workday(D("2027-02-14"))  # Sunday make-up day
    assert cal.is_workday(D("2027-03-01"))  # unlisted weekday: still Monday–Friday
    assert cal.workdays_after(D("2027-02-04"), D("2027-02-15")) == 2  # Feb 4 excluded; Feb 14, 15


def test_override_beats_package():
    park_day_off, holiday_worked = D("2026-03-02"), D("2026-10-05")  # a Monday; a National Day Monday
    cal = WorkdayCalendar({park_day_off: False, holiday_worked: True})
    assert not cal.is_workday(park_day_off)
    assert cal.is_workday(holiday_worked)
    assert 2026 not in cal.fallback_years
    # Fri 27 Feb excluded; Sat 28 Feb (make-up) counts, Mon 2 Mar (park day off) not, Tue 3 Mar does
    assert cal.workdays_after(D("2026-02-27"), D("2026-03-03")) == 2
    assert CAL.workdays_after(D("2026-02-27"), D("2026-03-03")) == 3
    assert cal.workdays_after(D("2026-09-30"), D("2026-10-09")) == 3


# -- properties ------------------------------------------------------------------------------

dates = st.dates(min_value=date(2004, 1, 1), max_value=date(2035, 12, 31))


@given(st.lists(dates, min_size=3, max_size=3))
def test_workdays_after_is_additive(three):
    a, b, c = sorted(three)
    assert CAL.workdays_after(a, c) == CAL.workdays_after(a, b) + CAL.workdays_after(b, c)


@given(dates, dates)
def test_add_workdays_inverts_workdays_after(a, b):
    d, e = sorted((a, b))
    n = CAL.workdays_after(d, e)
    if CAL.is_workday(e) and e > d:
        assert CAL.add_workdays(d, n) == e
    if n:
        landed = CAL.add_workdays(d, n)
        assert CAL.is_workday(landed) and landed <= e and CAL.workdays_after(d, landed) == n


# -- schedule files --------------------------------------------------------------------------


def test_example_file_parses():
    s = parse_schedule_file(DATA / "holidays-2027.toml")
    assert isinstance(s, Schedule)
    assert (s.year, s.park) == (2027, None)
    assert s.days[D("2027-10-07")] is False and s.days[D("2027-10-09")] is True
    assert "not official" in s.description


def test_park_toml(tmp_path):
    f = tmp_path / "sj01.toml"
    f.write_text('park = "SJ01"\nholidays = [2026-03-02]\n', encoding="utf-8")
    s = parse_schedule_file(f)
    assert (s.year, s.park, s.days) == (None, "SJ01", {D("2026-03-02"): False})
    assert "SJ01" in s.description


def test_csv_with_chinese_headers(tmp_path):
    f = tmp_path / "2027.csv"
    f.write_text("日期,类型,名称\n2027-01-01,休,元旦\n2027-02-14,班,调休\n", encoding="utf-8")
    assert parse_schedule_file(f).days == {D("2027-01-01"): False, D("2027-02-14"): True}


def test_csv_with_bom_and_chinese_kinds(tmp_path):
    f = tmp_path / "2027.csv"
    f.write_text(
        "date,kind,name\n2027-01-01,休,元旦\n2027-02-05..2027-02-07,holiday,春节\n\n2027-02-14,班,\n",
        encoding="utf-8-sig",
    )
    s = parse_schedule_file(f)
    assert s.year == 2027
    assert s.days == {
        D("2027-01-01"): False,
        D("2027-02-05"): False,
        D("2027-02-06"): False,
        D("2027-02-07"): False,
        D("2027-02-14"): True,
    }


@pytest.mark.parametrize(
    "name, text, match",
    [
        ("a.toml", 'year = 2027\nholidays = ["2027-02-30"]\n', r"holidays\[0\].*'2027-02-30' is not a date"),
        ("a.toml", 'holidays = ["2027-02-12..2027-02-06"]\n', r"holidays\[0\].*ends before it starts"),
        (
            "a.toml",
            'holidays = ["2027-02-06..2027-02-12"]\nworkdays = ["2027-02-07"]\n',
            r"workdays\[0\].*2027-02-07 is listed both",
        ),
        (
            "a.toml",
            'year = 2027\nholidays = ["2026-12-31"]\n',
            "2026-12-31 is outside the schedule's year 2027",
        ),
        ("a.toml", 'year = 2027\nholiday = ["2027-01-01"]\n', "unknown key.*holiday"),
        ("a.toml", "year = 2027\n", "lists no holidays"),
        ("a.toml", 'year = "2027"\nholidays = ["2027-01-01"]\n', "year must be an integer"),
        ("a.toml", "year = \n", "not valid TOML"),
        ("a.csv", "day,kind\n2027-01-01,休\n", r"line 1: header must be `date,kind` or `date,kind,name` \(日期,类型,名称\)"),
        ("a.csv", "date,kind\n2027-01-01,休\n2027-01-02,rest\n", "line 3: kind 'rest'"),
        ("a.csv", "date,kind\n2027-01-01,休\n2027-13-01,班\n", "line 3: '2027-13-01' is not a date"),
        ("a.csv", "date,kind\n2027-01-01,休\n2027-01-01,班\n", "line 3: 2027-01-01 is listed both"),
        ("a.csv", "date,kind\n2027-01-01,休\n2027-01-02,休\n2027-01-01,休\n",
         r"a.csv: line 4: 2027-01-01 is listed twice \(first at line 2\): remove one, or correct the date"),
        ("a.toml", 'year = 2027\nholidays = ["2027-10-01..2027-10-07", "2027-10-03"]\n',
         r"a.toml: holidays\[1\]: 2027-10-03 is listed twice \(first at holidays\[0\]\)"),
        ("a.txt", "whatever", "unknown schedule format"),
    ],
)
def test_schedule_file_errors(tmp_path, name, text, match):
    f = tmp_path / name
    f.write_text(text, encoding="utf-8")
    with pytest.raises(ScheduleFileError, match=match):
        parse_schedule_file(f)


def test_missing_file_is_a_schedule_error(tmp_path):
    with pytest.raises(ScheduleFileError, match="cannot read"):
        parse_schedule_file(tmp_path / "nope.toml")
    assert issubclass(ScheduleFileError, ValueError)
