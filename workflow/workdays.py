"""Chinese working-day calendar for the stall clocks (DOMAIN.md, "Stall clocks").

Pure: no database, no I/O except reading a schedule file on request. The calendar is
precomputed once as a byte per day plus a cumulative count, so "working days between two
dates" is one subtraction here and `workday_no(D) - workday_no(since)` in SQL.
"""

from __future__ import annotations

import csv
import logging
import tomllib
from array import array
from bisect import bisect_left
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import chinese_calendar

from templates.i18n import N_, _

log = logging.getLogger(__name__)

DEFAULT_START = date(2004, 1, 1)
DEFAULT_END = date(2035, 12, 31)

# The package's own notion of coverage (it raises NotImplementedError outside these years).
# We read its dicts directly: per-day is_workday() re-validates the year on every call.
_PKG_HOLIDAYS = chinese_calendar.holidays
_PKG_WORKDAYS = chinese_calendar.workdays
PACKAGE_YEARS = range(min(_PKG_HOLIDAYS).year, max(_PKG_HOLIDAYS).year + 1)


def fallback_warning(year: int) -> str:
    return _("no official holiday schedule for {year}: counting Monday–Friday; load it with "
             "`unionflow calendar load FILE`").format(year=year)


class WorkdayCalendar:
    """Working days in [start, end]: override > chinese_calendar > Monday–Friday."""

    def __init__(
        self,
        overrides: Mapping[date, bool] | None = None,
        start: date = DEFAULT_START,
        end: date = DEFAULT_END,
    ) -> None:
        if end < start:
            raise ValueError(f"calendar end {end} is before its start {start}")
        overrides = overrides or {}
        self.start, self.end = start, end
        n = (end - start).days + 1
        self._flags = bytearray(n)
        # _cum[i] = working days in [start, start + i]; array('i') keeps it at 4 bytes a day.
        self._cum = array("i", bytes(4 * n))
        total = 0
        day, one = start, timedelta(days=1)
        for i in range(n):
            if day in overrides:
                work = bool(overrides[day])
            elif day.year in PACKAGE_YEARS:
                work = day in _PKG_WORKDAYS or (day.weekday() < 5 and day not in _PKG_HOLIDAYS)
            else:
                work = day.weekday() < 5
            if work:
                self._flags[i] = 1
                total += 1
            self._cum[i] = total
            day += one
        override_years = {d.year for d in overrides if start <= d <= end}
        self._fallback = [
            y for y in range(start.year, end.year + 1) if y not in PACKAGE_YEARS and y not in override_years
        ]
        self._warned: set[int] = set()

    # -- lookups ---------------------------------------------------------------------------

    def _index(self, d: date) -> int:
        if isinstance(d, datetime):  # a datetime is a date subclass but breaks the subtraction
            d = d.date()
        if not self.start <= d <= self.end:
            raise ValueError(f"{d} is outside the working-day calendar ({self.start} to {self.end})")
        return (d - self.start).days

    def is_workday(self, d: date) -> bool:
        return bool(self._flags[self._index(d)])

    def workday_no(self, d: date) -> int:
        """Working days from the calendar start up to and including d."""
        return self._cum[self._index(d)]

    def workdays_after(self, since: date, until: date) -> int:
        """Working days strictly after `since`, up to and including `until` (0 if until <= since).

        This is DOMAIN.md's "working days in status": a case entering its status on X has 0 on X.
        """
        i, j = self._index(since), self._index(until)
        return self._cum[j] - self._cum[i] if j > i else 0

    def add_workdays(self, d: date, n: int) -> date:
        """The first day on which `workdays_after(d, day) == n` (d itself for n == 0)."""
        if n < 0:
            raise ValueError(f"cannot count back {n} working days")
        i = self._index(d)
        if n == 0:
            return d
        j = bisect_left(self._cum, self._cum[i] + n, lo=i + 1)
        if j >= len(self._cum):
            raise ValueError(f"{n} working days after {d} is beyond the calendar end {self.end}")
        return self.start + timedelta(days=j)

    def rows(self, start: date | None = None, end: date | None = None) -> Iterator[tuple[date, bool, int]]:
        """(day, is_workday, workday_no) for bulk insertion into `calendar_day`."""
        i = self._index(start or self.start)
        j = self._index(end or self.end)
        for k in range(i, j + 1):
            yield self.start + timedelta(days=k), bool(self._flags[k]), self._cum[k]

    # -- coverage --------------------------------------------------------------------------

    @property
    def fallback_years(self) -> list[int]:
        """Years counted Monday–Friday: not in chinese_calendar and without any override."""
        return list(self._fallback)

    def fallback_years_between(self, a: date, b: date) -> list[int]:
        lo, hi = sorted((a.year, b.year))
        return [y for y in self._fallback if lo <= y <= hi]

    def warn_for(self, a: date, b: date) -> list[int]:
        """Log `fallback_warning` once per uncovered year touched by [a, b]; return those years."""
        years = self.fallback_years_between(a, b)
        for y in years:
            if y not in self._warned:
                self._warned.add(y)
                log.warning(fallback_warning(y))
        return years


# -- schedule files ------------------------------------------------------------------------


class ScheduleFileError(ValueError):
    """A holiday schedule file cannot be used; the message names the file and entry."""


@dataclass(frozen=True)
class Schedule:
    year: int | None
    park: str | None
    days: dict[date, bool]  # True = working day (调休), False = day off
    description: str


_TOML_KEYS = {"year", "park", "holidays", "workdays", "description"}
_CSV_KINDS = {"holiday": False, "休": False, "workday": True, "班": True}
_CSV_HEADERS_ZH = {"日期": "date", "类型": "kind", "名称": "name"}


def _parse_day(text: object, where: str) -> date:
    if isinstance(text, date) and not isinstance(text, datetime):  # unquoted TOML date
        return text
    try:
        return date.fromisoformat(str(text).strip())
    except ValueError:
        raise ScheduleFileError(_("{where}: {text!r} is not a date (YYYY-MM-DD)").format(where=where, text=text)) from None


def _expand(entry: object, where: str) -> list[date]:
    """A single day, or an inclusive range written `FIRST..LAST`."""
    if isinstance(entry, str) and ".." in entry:
        first_s, _sep, last_s = entry.partition("..")
        first, last = _parse_day(first_s, where), _parse_day(last_s, where)
        if last < first:
            raise ScheduleFileError(_("{where}: range {entry!r} ends before it starts").format(where=where, entry=entry))
        return [first + timedelta(days=k) for k in range((last - first).days + 1)]
    return [_parse_day(entry, where)]


def _add(days: dict[date, bool], day: date, work: bool, where: str, listed: dict[date, str], place: str) -> None:
    """`listed` keeps the `place` (entry or line) that listed each day, to say where a day listed twice was first."""
    if days.get(day, work) != work:
        raise ScheduleFileError(_("{where}: {day} is listed both as a holiday and as a working day").format(
            where=where, day=day))
    if day in listed:  # most often a typo for another day
        raise ScheduleFileError(_("{where}: {day} is listed twice (first at {first}): remove one, or correct the "
                                  "date").format(where=where, day=day, first=listed[day]))
    listed[day] = place
    if work and day.weekday() < 5:
        raise ScheduleFileError(_("{where}: {day} is a {weekday}: a make-up working day (调休) is a Saturday or "
                                  "Sunday that is worked; a weekday is a working day anyway").format(
            where=where, day=day, weekday=_(WEEKDAY_NAMES[day.weekday()])))
    days[day] = work


WEEKDAY_NAMES = (N_("Monday"), N_("Tuesday"), N_("Wednesday"), N_("Thursday"), N_("Friday"))
MIN_WORKDAYS = 200  # a year keeps about 250 working days; fewer than this is a file that is wrong


def _check_years(path: Path, days: dict[date, bool]) -> None:
    """Refuse a schedule that would leave a year with too few working days (e.g. every day a holiday)."""
    years = sorted({d.year for d in days if DEFAULT_START <= d <= DEFAULT_END})
    if not years:
        return
    cal = WorkdayCalendar(days, date(years[0], 1, 1), date(years[-1], 12, 31))
    for year in years:
        n = cal.workdays_after(date(year - 1, 12, 31), date(year, 12, 31)) if year > years[0] else \
            cal.workday_no(date(year, 12, 31))
        if n < MIN_WORKDAYS:
            raise ScheduleFileError(_("{path}: leaves {year} with {n} working days, and a year has about 250: check "
                                      "the file (no schedule takes more than {most} weekdays off)").format(
                path=path, year=year, n=n, most=261 - MIN_WORKDAYS))


def _read_toml(path: Path, text: str) -> tuple[int | None, str | None, dict[date, bool], str | None]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ScheduleFileError(_("{path}: not valid TOML: {error}").format(path=path, error=e)) from None
    unknown = sorted(set(data) - _TOML_KEYS)
    if unknown:
        raise ScheduleFileError(_("{path}: unknown key(s) {keys}; expected {expected}").format(
            path=path, keys=", ".join(unknown), expected=sorted(_TOML_KEYS)))
    year, park, desc = data.get("year"), data.get("park"), data.get("description")
    if year is not None and (not isinstance(year, int) or isinstance(year, bool)):
        raise ScheduleFileError(_("{path}: year must be an integer, not {year!r}").format(path=path, year=year))
    if park is not None and not (isinstance(park, str) and park.strip()):
        raise ScheduleFileError(_("{path}: park must be a non-empty string, not {park!r}").format(path=path, park=park))
    if desc is not None and not isinstance(desc, str):
        raise ScheduleFileError(_("{path}: description must be a string, not {desc!r}").format(path=path, desc=desc))
    days: dict[date, bool] = {}
    listed: dict[date, str] = {}
    for key, work in (("holidays", False), ("workdays", True)):
        entries = data.get(key, [])
        if not isinstance(entries, list):
            raise ScheduleFileError(_("{path}: {key} must be a list of dates or FIRST..LAST ranges").format(
                path=path, key=key))
        for k, entry in enumerate(entries):
            where = f"{path}: {key}[{k}]"
            for day in _expand(entry, where):
                _add(days, day, work, where, listed, f"{key}[{k}]")
    return year, park and park.strip(), days, desc


def _read_csv(path: Path, text: str) -> dict[date, bool]:
    reader = csv.reader(text.splitlines())
    header = [h.strip().lower() for h in next(reader, [])]
    header = [_CSV_HEADERS_ZH.get(h, h) for h in header]  # Chinese headers, as the registry import takes them
    if header[:2] != ["date", "kind"] or len(header) > 3:
        raise ScheduleFileError(
            _("{path}: line 1: header must be `date,kind` or `date,kind,name` (日期,类型,名称), not {header}").format(
                path=path, header=header)
        )
    days: dict[date, bool] = {}
    listed: dict[date, str] = {}
    for row in reader:
        where = _("{path}: line {line}").format(path=path, line=reader.line_num)
        if not any(cell.strip() for cell in row):
            continue
        if len(row) < 2:
            raise ScheduleFileError(_("{where}: expected `date,kind`, got {row}").format(where=where, row=row))
        kind = row[1].strip().lower()
        if kind not in _CSV_KINDS:
            raise ScheduleFileError(_("{where}: kind {kind!r} is not holiday/workday/休/班").format(where=where, kind=row[1]))
        for day in _expand(row[0].strip(), where):
            _add(days, day, _CSV_KINDS[kind], where, listed, _("line {line}").format(line=reader.line_num))
    return days


def parse_schedule_file(path: str | Path) -> Schedule:
    """Read a TOML or CSV holiday schedule (see tests/data/holidays-2027.toml)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")  # -sig: spreadsheet CSV exports carry a BOM
    except (OSError, UnicodeDecodeError) as e:
        raise ScheduleFileError(_("{path}: cannot read: {error}").format(path=path, error=e)) from None
    suffix = path.suffix.lower()
    if suffix == ".toml":
        year, park, days, desc = _read_toml(path, text)
    elif suffix == ".csv":
        days, park, desc = _read_csv(path, text), None, None
        years = {d.year for d in days}
        year = years.pop() if len(years) == 1 else None  # a one-year CSV is that year's schedule
    else:
        raise ScheduleFileError(_("{path}: unknown schedule format {suffix!r}; use .toml or .csv").format(
            path=path, suffix=suffix))
    if not days:
        raise ScheduleFileError(_("{path}: lists no holidays or working days").format(path=path))
    if year is not None:
        stray = sorted(d for d in days if d.year != year)
        if stray:
            raise ScheduleFileError(_("{path}: {day} is outside the schedule's year {year}").format(
                path=path, day=stray[0], year=year))
    _check_years(path, days)
    if desc is None:  # what `calendar show` gives as the source of each day; the counts are said on loading
        said = _("{year} days off of park {park} from {file}") if park else _("{year} schedule from {file}")
        desc = said.format(year=year or _("multi-year"), park=park, file=path.name)
    return Schedule(year=year, park=park, days=days, description=desc)
