"""The working-day index in the database and the schedules an admin loads into it."""

from __future__ import annotations

import logging
from datetime import date

from tests.conftest import USCCS, add_enterprise
from tests.test_sweep import WARNING_2027, count, sql
from workflow.workdays import WorkdayCalendar

CAL = WorkdayCalendar()
SCHEDULE_2027 = "tests/data/holidays-2027.toml"
DESCRIPTION_2027 = "Example 2027 schedule (not official)"


def _index(db_url: str) -> list[tuple]:
    return sql(db_url, "SELECT CAST(day AS VARCHAR(10)), is_workday, workday_no FROM calendar_day ORDER BY day")


def test_index_is_filled_for_2004_to_2035_and_matches_the_calendar(db_url, make_ctx):
    from workflow.calendar_store import prepare_calendar

    prepare_calendar(make_ctx().engine)
    rows = _index(db_url)
    assert len(rows) == (date(2035, 12, 31) - date(2004, 1, 1)).days + 1 == 11688
    assert rows == [(d.isoformat(), w, n) for d, w, n in CAL.rows()]
    spring = sql(db_url, "SELECT b.workday_no - a.workday_no FROM calendar_day a, calendar_day b "
                         "WHERE a.day = :a AND b.day = :b", a=date(2026, 2, 10), b=date(2026, 3, 20))
    assert spring == [(24,)]


def test_a_current_index_is_left_alone_and_a_stale_one_rebuilt(db_url, make_ctx, caplog):
    from workflow.calendar_store import prepare_calendar

    caplog.set_level(logging.INFO, logger="workflow.calendar_store")
    engine = make_ctx().engine
    prepare_calendar(engine)
    assert sum("working-day index rebuilt" in m for m in caplog.messages) == 1
    prepare_calendar(engine)
    assert sum("working-day index rebuilt" in m for m in caplog.messages) == 1
    # A package upgrade that changes one day shifts every later workday_no: the fingerprint sees it.
    sql(db_url, "UPDATE calendar_day SET workday_no = workday_no + 1 WHERE day >= :d", d=date(2030, 1, 1))
    prepare_calendar(engine)
    assert sum("working-day index rebuilt" in m for m in caplog.messages) == 2
    assert _index(db_url) == [(d.isoformat(), w, n) for d, w, n in CAL.rows()]


def test_2027_is_counted_monday_to_friday_with_a_warning_until_loaded(cli, org):
    r = cli("calendar", "show", "--year", "2027")
    assert r.stdout.splitlines()[0] == "2027: fallback, 261 working days"
    assert "(none)" in r.stdout
    assert r.stderr.strip() == WARNING_2027
    shown = cli.json("calendar", "show", "--year", "2026")
    assert shown["coverage"] == "chinese-calendar" and shown["warnings"] == []
    assert {"day": "2026-02-14", "weekday": "Sat", "kind": "workday", "source": "chinese-calendar"} in shown["days"]
    assert {"day": "2026-10-01", "weekday": "Thu", "kind": "holiday", "source": "chinese-calendar"} in shown["days"]


def test_calendar_load_stores_the_official_schedule_and_replaces_it_on_reload(cli, org):
    r = cli("calendar", "load", SCHEDULE_2027, user="A01")
    assert r.stdout.strip() == f"Loaded {DESCRIPTION_2027}: 29 day(s) off, 5 working day(s)."
    assert count(org, "calendar_override", "park_id IS NULL") == 34
    shown = cli.json("calendar", "show", "--year", "2027")
    assert shown["coverage"] == "loaded" and shown["warnings"] == []
    assert {"day": "2027-02-14", "weekday": "Sun", "kind": "workday", "source": DESCRIPTION_2027} in shown["days"]
    assert {"day": "2027-02-08", "weekday": "Mon", "kind": "holiday", "source": DESCRIPTION_2027} in shown["days"]
    assert shown["workdays"] == 261 - 18 + 5 == 248  # 18 of the 29 days off are weekdays
    again = cli.json("calendar", "load", SCHEDULE_2027, user="A01")
    assert again == {"year": 2027, "park": None, "holidays": 29, "workdays": 5, "replaced": 34,
                     "description": DESCRIPTION_2027}
    assert count(org, "calendar_override") == 34
    assert sql(org, "SELECT workday_no FROM calendar_day WHERE day = :d", d=date(2027, 12, 31)) == [
        (CAL.workday_no(date(2026, 12, 31)) + 248,)]


def test_only_an_admin_loads_a_schedule(cli, org):
    r = cli("calendar", "load", SCHEDULE_2027, user="C01", expect=1)
    assert r.stderr.strip() == "Error: C01 (cadre) may not load a holiday schedule: that needs the role admin"
    assert count(org, "calendar_override") == 0


def test_a_bad_schedule_file_names_the_entry_and_writes_nothing(cli, org, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('year = 2027\nholidays = ["2027-01-01", "2027-13-01"]\n', encoding="utf-8")
    r = cli("calendar", "load", str(bad), user="A01", expect=1)
    assert r.stderr.strip() == f"Error: {bad}: holidays[1]: '2027-13-01' is not a date (YYYY-MM-DD)"
    far = tmp_path / "far.toml"
    far.write_text('year = 2040\nholidays = ["2040-01-01"]\n', encoding="utf-8")
    r = cli("calendar", "load", str(far), user="A01", expect=1)
    assert r.stderr.strip() == f"Error: {far}: 2040-01-01 is outside the working-day calendar (2004-01-01 to 2035-12-31)"
    r = cli("calendar", "load", str(tmp_path / "missing.toml"), user="A01", expect=1)
    assert r.stderr.startswith(f"Error: {tmp_path / 'missing.toml'}: cannot read:")
    assert count(org, "calendar_override") == 0


def test_a_csv_schedule_loads_too(cli, org, tmp_path):
    path = tmp_path / "2027.csv"
    path.write_text("date,kind,name\n2027-02-05..2027-02-13,休,春节\n2027-02-14,班,调休\n", encoding="utf-8")
    result = cli.json("calendar", "load", str(path), user="A01")
    assert (result["year"], result["holidays"], result["workdays"]) == (2027, 9, 1)


def test_park_days_off_count_for_that_parks_cases_only(cli, org, tmp_path):
    sj = add_enterprise(org, USCCS[0], "松江", status="contacted", status_since="2026-04-01", cadre="C01")
    xp = add_enterprise(org, USCCS[1], "新浜", status="contacted", status_since="2026-04-01", cadre="C03", park="XP")
    path = tmp_path / "sj.toml"
    path.write_text('year = 2026\npark = "SJ"\ndescription = "SJ 园区停电检修"\n'
                    'holidays = ["2026-06-01..2026-06-05"]\n', encoding="utf-8")
    r = cli("calendar", "load", str(path), "--park", "XP", user="A01", expect=1)
    assert r.stderr.strip() == "Error: --park XP contradicts the file's park = 'SJ'"
    assert cli.json("calendar", "load", str(path), user="A01")["park"] == "SJ"
    assert count(org, "calendar_override", "park_id IS NOT NULL") == 5
    shown = cli.json("calendar", "show", "--year", "2026", "--park", "SJ")
    assert {"day": "2026-06-03", "weekday": "Wed", "kind": "holiday", "source": "SJ 园区停电检修"} in shown["days"]
    assert shown["workdays"] == cli.json("calendar", "show", "--year", "2026")["workdays"] - 5
    days = {r["id"]: r["working_days"] for r in cli.json("case", "list", "--stalled")}
    federal = CAL.workdays_after(date(2026, 4, 1), date(2026, 6, 15))
    assert days == {sj: federal - 5, xp: federal}
    escalated = {(e["case_id"], e["working_days"]) for e in cli.json("escalate", "--dry-run")["escalations"]}
    assert escalated == {(sj, federal - 5), (xp, federal)}
    r = cli("calendar", "load", SCHEDULE_2027, "--park", "ZZ", user="A01", expect=1)
    assert r.stderr.strip() == "Error: no park with code 'ZZ': see `unionflow park list`"


def test_a_schedule_that_moves_days_without_changing_the_sum_rebuilds_the_index(cli, org, tmp_path):
    """A: day off 1 March 2027 (Mon), make-up day 6 March (Sat); B: 2 March (Tue) and 7 March (Sun). Both keep
    the sum of workday_no; the index must still follow the schedule loaded last."""
    case_id = add_enterprise(org, USCCS[0], "松江", status="contacted", status_since="2027-03-01", cadre="C01")
    config = tmp_path / "c.toml"
    config.write_text("[allowances]\ncontacted = 5\n", encoding="utf-8")
    env = {"UNIONFLOW_CONFIG": str(config)}
    for name, off, work in (("A", "2027-03-01", "2027-03-06"), ("B", "2027-03-02", "2027-03-07")):
        (tmp_path / f"{name}.toml").write_text(f'year = 2027\nholidays = ["{off}"]\nworkdays = ["{work}"]\n',
                                               encoding="utf-8")
    cli("calendar", "load", str(tmp_path / "A.toml"), user="A01", env=env)
    cli("calendar", "load", str(tmp_path / "B.toml"), user="A01", env=env)
    stalled = cli.json("case", "list", "--stalled", today="2027-03-10", env=env)
    # After 1 March: 2 (off), 3, 4, 5, 7 (make-up), 8, 9, 10 — seven working days.
    assert [(r["id"], r["working_days"]) for r in stalled] == [(case_id, 7)]
    assert _index(org) == [(d.isoformat(), w, n) for d, w, n in WorkdayCalendar(
        {date(2027, 3, 2): False, date(2027, 3, 7): True}).rows()]


def test_load_says_the_counts_once_and_calls_no_file_official(cli, org, tmp_path):
    path = tmp_path / "2027.toml"
    path.write_text('year = 2027\nholidays = ["2027-01-01"]\n', encoding="utf-8")
    assert cli("calendar", "load", str(path), user="A01").stdout == (
        "Loaded 2027 schedule from 2027.toml: 1 day(s) off, 0 working day(s).\n")
    park = tmp_path / "sj.toml"
    park.write_text('park = "SJ"\nholidays = ["2026-06-01"]\n', encoding="utf-8")
    assert cli.json("calendar", "load", str(park), user="A01")["description"] == "multi-year days off of park SJ from sj.toml"


def test_nonsense_schedules_are_refused(cli, org, tmp_path):
    weekday = tmp_path / "weekday.toml"
    weekday.write_text('year = 2027\nholidays = ["2027-03-01"]\nworkdays = ["2027-03-03"]\n', encoding="utf-8")
    r = cli("calendar", "load", str(weekday), user="A01", expect=1)
    assert r.stderr == (f"Error: {weekday}: workdays[0]: 2027-03-03 is a Wednesday: a make-up working day (调休) is a "
                        "Saturday or Sunday that is worked; a weekday is a working day anyway\n")
    every_day = tmp_path / "all.csv"
    every_day.write_text("date,kind\n2004-01-01..2035-12-31,休\n", encoding="utf-8")
    r = cli("calendar", "load", str(every_day), user="A01", expect=1)
    assert r.stderr == (f"Error: {every_day}: leaves 2004 with 0 working days, and a year has about 250: check the "
                        "file (no schedule takes more than 61 weekdays off)\n")
    assert count(org, "calendar_override") == 0


def test_unload_takes_a_loaded_year_back_out(cli, org, tmp_path):
    cli("calendar", "load", SCHEDULE_2027, user="A01")
    r = cli("calendar", "unload", "2027", user="C01", expect=1)
    assert r.stderr == "Error: C01 (cadre) may not unload a holiday schedule: that needs the role admin\n"
    assert cli("calendar", "unload", "2027", user="A01").stdout == (
        f"Unloaded 34 day(s) of 2027 ({DESCRIPTION_2027}).\n")
    shown = cli.json("calendar", "show", "--year", "2027")
    assert (shown["coverage"], shown["workdays"]) == ("fallback", 261)
    assert _index(org) == [(d.isoformat(), w, n) for d, w, n in CAL.rows()]
    r = cli("calendar", "unload", "2027", user="A01", expect=1)
    assert r.stderr == "Error: no schedule of 2027 is loaded: see `unionflow calendar show --year 2027`\n"
    park = tmp_path / "sj.toml"
    park.write_text('year = 2026\npark = "SJ"\nholidays = ["2026-06-01"]\n', encoding="utf-8")
    cli("calendar", "load", str(park), user="A01")
    r = cli("calendar", "unload", "2026", user="A01", expect=1)  # the federation's 2026 is the package's
    assert r.stderr.startswith("Error: no schedule of 2026 is loaded")
    assert cli.json("calendar", "unload", "2026", "--park", "SJ", user="A01")["removed"] == 1
    assert count(org, "calendar_override") == 0 and count(org, "park_calendar_day") == 0


def test_calendar_show_fits_80_columns(cli, org, tmp_path):
    path = tmp_path / "holidays-2027-as-published-by-the-state-council.toml"
    path.write_text('year = 2027\nholidays = ["2027-01-01"]\nworkdays = ["2027-01-09"]\n', encoding="utf-8")
    cli("calendar", "load", str(path), user="A01")
    lines = cli("calendar", "show", "--year", "2027", env={"COLUMNS": "80"}).stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert lines[1].split() == ["day", "weekday", "kind", "source"]
