"""The working-day index in the database, and the official schedules an admin loads into it.

`calendar_day` is the federation calendar for 2004–2035: chinese_calendar's data, then Monday–Friday
for years it lacks, with the schedules loaded by `unionflow calendar load` (rows of
`calendar_override` with park_id NULL) taking precedence. SQL counts working days as
`workday_no(D) − workday_no(since)` by joining it.

A park's extra days off (overrides with a park_id) take effect too: such a park gets a full index of
its own in `park_calendar_day` (the federation calendar plus its days), and the stall clocks of its
cases count in that index. Parks without extra days have no rows there and use `calendar_day`.
Sub-parks do not inherit their parent's extra days off.

Both indexes are derived data: `ensure_calendar` compares a fingerprint with what the package and the
overrides say, and rebuilds in one transaction when they differ (e.g. after an upgrade of
chinesecalendar that adds a year, or a schedule loaded or unloaded). The fingerprint is the row count,
the first and last day, the sum of workday_no and every day that is not as Monday–Friday would have it
(a few hundred rows, read with the weekday computed in SQL): the days fix the index, so two schedules
never share a fingerprint, as they could when it was the sum alone (a day off and a make-up day each
moved by one day leave the sum as it was).
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

from sqlalchemy import and_, delete, extract, func, insert, or_, select, text

from templates.i18n import N_, _
from workflow.db import is_sqlite, reading, transaction
from workflow.errors import InvalidInput
from workflow.permissions import require_actor, require_role
from workflow.tables import CD, OV, PCD
from workflow.workdays import (
    DEFAULT_END,
    DEFAULT_START,
    PACKAGE_YEARS,
    ScheduleFileError,
    WorkdayCalendar,
    fallback_warning,
    parse_schedule_file,
)

log = logging.getLogger(__name__)

REBUILD_LOCK = 0x756E_6361_6C31  # pg_advisory_xact_lock key of the rebuild ("uncal1")


# -- calendars built from the overrides ----------------------------------------------------------


@lru_cache(maxsize=16)
def _calendar(days: frozenset) -> tuple[WorkdayCalendar, tuple]:
    cal = WorkdayCalendar(dict(days), DEFAULT_START, DEFAULT_END)
    rows = list(cal.rows())
    unusual = frozenset((d, w) for d, w, _n in rows if w != (d.weekday() < 5))
    fingerprint = (len(rows), rows[0][0], rows[-1][0], sum(r[2] for r in rows), unusual)
    return cal, fingerprint


def _unusual(table):
    """The rows of an index whose day is not as Monday–Friday would have it (0 = Sunday, 6 = Saturday)."""
    weekend = extract("dow", table.c.day).in_([0, 6])
    return or_(and_(table.c.is_workday.is_(True), weekend), and_(table.c.is_workday.is_(False), ~weekend))


def read_overrides(conn) -> tuple[dict[date, bool], dict[int, dict[date, bool]]]:
    """(federation days, {park_id: that park's days}) from `calendar_override`."""
    fed: dict[date, bool] = {}
    parks: dict[int, dict[date, bool]] = {}
    for day, park_id, work in conn.execute(select(OV.c.day, OV.c.park_id, OV.c.is_workday)):
        (fed if park_id is None else parks.setdefault(park_id, {}))[day] = bool(work)
    return fed, parks


def federation_calendar(fed: dict[date, bool]) -> WorkdayCalendar:
    return _calendar(frozenset(fed.items()))[0]


def park_calendar(fed: dict[date, bool], park_days: dict[date, bool]) -> WorkdayCalendar:
    return _calendar(frozenset({**fed, **park_days}.items()))[0]


def _expected(fed, parks):
    want_fed = _calendar(frozenset(fed.items()))[1]
    want_parks = {pid: _calendar(frozenset({**fed, **days}.items()))[1] for pid, days in parks.items()}
    return want_fed, want_parks


def _actual(conn):
    n, first, last, total = conn.execute(
        select(func.count(), func.min(CD.c.day), func.max(CD.c.day), func.sum(CD.c.workday_no))
    ).one()
    unusual = frozenset((d, bool(w)) for d, w in conn.execute(select(CD.c.day, CD.c.is_workday).where(_unusual(CD))))
    have_fed = (n, first, last, int(total or 0), unusual)
    park_unusual: dict[int, set] = {}
    for pid, d, w in conn.execute(select(PCD.c.park_id, PCD.c.day, PCD.c.is_workday).where(_unusual(PCD))):
        park_unusual.setdefault(pid, set()).add((d, bool(w)))
    have_parks = {
        pid: (n, first, last, int(total), frozenset(park_unusual.get(pid, ())))
        for pid, n, first, last, total in conn.execute(
            select(PCD.c.park_id, func.count(), func.min(PCD.c.day), func.max(PCD.c.day), func.sum(PCD.c.workday_no))
            .group_by(PCD.c.park_id)
        )
    }
    return have_fed, have_parks


def calendar_is_current(conn) -> bool:
    fed, parks = read_overrides(conn)
    return _expected(fed, parks) == _actual(conn)


def ensure_calendar(conn) -> WorkdayCalendar:
    """Fill or refresh the indexes when stale (caller's write transaction); returns the federation calendar."""
    fed, parks = read_overrides(conn)
    want = _expected(fed, parks)
    if _actual(conn) != want:
        if not is_sqlite(conn):  # SQLite writers are already serialised by BEGIN IMMEDIATE
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": REBUILD_LOCK})
        have = _actual(conn)  # another process may have rebuilt it while we waited
        if have[0] != want[0]:
            _rebuild_federation(conn, fed)
        for pid in set(have[1]) | set(want[1]):
            if have[1].get(pid) != want[1].get(pid):
                _rebuild_park(conn, pid, {**fed, **parks[pid]} if pid in parks else None)
    return federation_calendar(fed)


def prepare_calendar(engine) -> WorkdayCalendar:
    """Check the index in a read snapshot; rebuild it in a short write transaction only when stale."""
    with reading(engine) as conn:
        fed, _ = read_overrides(conn)
        current = calendar_is_current(conn)
    if current:
        return federation_calendar(fed)
    with transaction(engine) as conn:
        return ensure_calendar(conn)


def _rebuild_federation(conn, fed) -> None:
    cal = federation_calendar(fed)
    conn.execute(delete(CD))
    conn.execute(insert(CD), [{"day": d, "is_workday": w, "workday_no": n} for d, w, n in cal.rows()])
    log.info("working-day index rebuilt: %s to %s, %d federation override(s)", cal.start, cal.end, len(fed))


def _rebuild_park(conn, park_id: int, days: dict | None) -> None:
    conn.execute(delete(PCD).where(PCD.c.park_id == park_id))
    if days is None:
        return
    cal = _calendar(frozenset(days.items()))[0]
    conn.execute(insert(PCD), [{"park_id": park_id, "day": d, "is_workday": w, "workday_no": n}
                               for d, w, n in cal.rows()])
    log.info("working-day index of park %s rebuilt", park_id)


def park_ids_with_days(conn) -> list[int]:
    return [r[0] for r in conn.execute(select(PCD.c.park_id).distinct())]


# -- warnings ------------------------------------------------------------------------------------


def fallback_warnings(cal: WorkdayCalendar, first: date | None, last: date) -> list[str]:
    """One warning per year in [first, last] counted Monday–Friday for want of an official schedule."""
    if first is None:
        return []
    first = max(min(first, last), cal.start)
    return [fallback_warning(y) for y in cal.fallback_years_between(first, min(last, cal.end))]


# -- loading and showing schedules ---------------------------------------------------------------


def _park_id(conn, code: str) -> int:
    from workflow.people import park_id

    return park_id(conn, code)


def load_schedule(ctx, path: str | Path, park: str | None = None) -> dict:
    """Store a year's official schedule (or a park's extra days off) and rebuild the index (admins).

    Loading a year again replaces that year's earlier days for the same scope (federation or park).
    """
    try:
        schedule = parse_schedule_file(path)
    except ScheduleFileError as exc:
        raise InvalidInput(str(exc)) from None
    if park and schedule.park and park != schedule.park:
        raise InvalidInput(_("--park {park} contradicts the file's park = {file_park!r}").format(
            park=park, file_park=schedule.park))
    park = park or schedule.park
    out_of_range = sorted(d for d in schedule.days if not DEFAULT_START <= d <= DEFAULT_END)
    if out_of_range:
        raise InvalidInput(_("{path}: {day} is outside the working-day calendar ({first} to {last})").format(
            path=path, day=out_of_range[0], first=DEFAULT_START, last=DEFAULT_END))
    with transaction(ctx.ready_engine) as conn:
        require_role(require_actor(conn, ctx.actor_code), N_("load a holiday schedule"), "admin")
        pid = _park_id(conn, park) if park else None
        scope = OV.c.park_id.is_(None) if pid is None else OV.c.park_id == pid
        if schedule.year is not None:
            replaced = conn.execute(delete(OV).where(
                scope, OV.c.day >= date(schedule.year, 1, 1), OV.c.day <= date(schedule.year, 12, 31))).rowcount
        else:
            replaced = conn.execute(delete(OV).where(scope, OV.c.day.in_(list(schedule.days)))).rowcount
        now = ctx.clock.now()
        conn.execute(insert(OV), [
            {"day": d, "park_id": pid, "is_workday": w, "source": schedule.description[:200], "loaded_at": now}
            for d, w in sorted(schedule.days.items())
        ])
        ensure_calendar(conn)
    off = sum(1 for w in schedule.days.values() if not w)
    log.info("loaded %s", schedule.description)
    return {"year": schedule.year, "park": park, "holidays": off, "workdays": len(schedule.days) - off,
            "replaced": replaced, "description": schedule.description}


def unload_schedule(ctx, year: int, park: str | None = None) -> dict:
    """Take a loaded year back out (admins): the year's days of the federation's, or one park's, schedule;
    the year is then counted as before (chinese-calendar, or Monday–Friday with a warning)."""
    if not DEFAULT_START.year <= year <= DEFAULT_END.year:
        raise InvalidInput(_("{year} is outside the working-day calendar ({first} to {last})").format(
            year=year, first=DEFAULT_START.year, last=DEFAULT_END.year))
    with transaction(ctx.ready_engine) as conn:
        require_role(require_actor(conn, ctx.actor_code), N_("unload a holiday schedule"), "admin")
        pid = _park_id(conn, park) if park else None
        scope = OV.c.park_id.is_(None) if pid is None else OV.c.park_id == pid
        in_year = and_(scope, OV.c.day >= date(year, 1, 1), OV.c.day <= date(year, 12, 31))
        sources = sorted(set(conn.execute(select(OV.c.source).where(in_year)).scalars()))
        if not sources:
            raise InvalidInput((_("no days of {year} are loaded for park {park}: see `unionflow calendar show --year "
                                  "{year} --park {park}`") if park else
                                _("no schedule of {year} is loaded: see `unionflow calendar show --year {year}`")
                                ).format(year=year, park=park))
        removed = conn.execute(delete(OV).where(in_year)).rowcount
        ensure_calendar(conn)
    log.info("unloaded %d day(s) of %s%s", removed, year, f" (park {park})" if park else "")
    return {"year": year, "park": park, "removed": removed, "sources": sources}


WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def show_calendar(ctx, year: int | None = None, park: str | None = None) -> dict:
    """A year's days that differ from Monday–Friday, where each comes from, and the year's coverage."""
    year = year or ctx.clock.today().year
    if not DEFAULT_START.year <= year <= DEFAULT_END.year:
        raise InvalidInput(_("--year {year} is outside the working-day calendar ({first} to {last})").format(
            year=year, first=DEFAULT_START.year, last=DEFAULT_END.year))
    with reading(ctx.ready_engine) as conn:
        fed, parks = read_overrides(conn)
        pid = _park_id(conn, park) if park else None
        sources = {
            (r.day, r.park_id): r.source
            for r in conn.execute(select(OV.c.day, OV.c.park_id, OV.c.source).where(
                and_(OV.c.day >= date(year, 1, 1), OV.c.day <= date(year, 12, 31))))
        }
    park_days = parks.get(pid, {}) if pid else {}
    cal = park_calendar(fed, park_days) if pid else federation_calendar(fed)
    days, d = [], date(year, 1, 1)
    while d.year == year:
        work = cal.is_workday(d)
        if work != (d.weekday() < 5):
            if d in park_days:
                source = sources.get((d, pid), "park")
            elif d in fed:
                source = sources.get((d, None), "loaded")
            else:
                source = "chinese-calendar"
            days.append({"day": d.isoformat(), "weekday": WEEKDAYS[d.weekday()],
                         "kind": "workday" if work else "holiday", "source": source})
        d += timedelta(days=1)
    fed_year = any(day.year == year for day in fed)
    if fed_year:
        coverage = "loaded"
    elif year in PACKAGE_YEARS:
        coverage = "chinese-calendar"
    else:
        coverage = "fallback"
    workdays = cal.workday_no(date(year, 12, 31)) - (cal.workday_no(date(year - 1, 12, 31)) if year > cal.start.year
                                                     else 0)
    return {"year": year, "park": park, "coverage": coverage, "workdays": workdays, "days": days,
            "warnings": [fallback_warning(year)] if coverage == "fallback" else []}
