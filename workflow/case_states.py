"""Where every case stood on a given day: the SQL the reports are built on.

Today's status is the case row. An earlier day's status is reconstructed from the timeline: the last
`transition` or `import` event with `occurred_on` ≤ the day, per case (one window-function query). A case
whose history starts after the day did not exist yet. A case with no recorded history at all is taken
as it stands, from its `status_since` on.

Only the status is reconstructed; park, industry, grid, mode, cadre and member counts are today's.
"""

from __future__ import annotations

import calendar as _calendar
from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, exists, func, select, text, union_all
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import FromClause

from templates.i18n import _
from workflow.errors import InvalidInput
from workflow.tables import CASE, ENT, ESC, EVENT, OV
from workflow.vocabulary import LEVELS
from workflow.workdays import WorkdayCalendar

STATE_EVENT_KINDS = ("transition", "import")


@dataclass(frozen=True)
class CasesAt:
    """Cases as of a day: a FROM clause (founding_case joined with enterprise) and the status columns."""

    source: FromClause
    status: ColumnElement
    since: ColumnElement
    as_of: date
    historic: bool

    def stalled(self) -> ColumnElement:
        """The case has a remind/overdue/meeting escalation in the stay it was in on the day."""
        levels = ESC.c.level.in_(LEVELS)
        if not self.historic:
            return exists(select(1).select_from(ESC).where(ESC.c.case_id == CASE.c.id, ESC.c.episode == CASE.c.episode,
                                                           levels))
        return exists(select(1).select_from(ESC).where(
            ESC.c.case_id == CASE.c.id, ESC.c.status == self.status, ESC.c.as_of >= self.since,
            ESC.c.as_of <= self.as_of, levels,
        ))


def status_history_at(as_of: date, dialect: str = "sqlite"):
    """(case_id, status, since) on `as_of`, reconstructed from the event history (set-based)."""
    state_event = and_(EVENT.c.kind.in_(STATE_EVENT_KINDS), EVENT.c.to_status.isnot(None))
    newest_first = (EVENT.c.occurred_on.desc(), EVENT.c.id.desc())
    if dialect == "postgresql":
        # DISTINCT ON is PostgreSQL's own "last row per case": about twice as fast as the window at 1M cases.
        ranked = (
            select(EVENT.c.case_id, EVENT.c.to_status.label("status"), EVENT.c.occurred_on.label("since"))
            .where(state_event, EVENT.c.occurred_on <= as_of)
            .distinct(EVENT.c.case_id).order_by(EVENT.c.case_id, *newest_first)
            .subquery("ranked")
        )
        last = select(ranked.c.case_id, ranked.c.status, ranked.c.since)
    else:
        ranked = (
            select(
                EVENT.c.case_id, EVENT.c.to_status.label("status"), EVENT.c.occurred_on.label("since"),
                func.row_number().over(partition_by=EVENT.c.case_id, order_by=newest_first).label("rn"),
            )
            .where(state_event, EVENT.c.occurred_on <= as_of)
            .subquery("ranked")
        )
        last = select(ranked.c.case_id, ranked.c.status, ranked.c.since).where(ranked.c.rn == 1)
    without_history = select(CASE.c.id, CASE.c.status, CASE.c.status_since).where(
        CASE.c.status_since <= as_of,
        ~exists(select(1).select_from(EVENT).where(EVENT.c.case_id == CASE.c.id, state_event)),
    )
    return union_all(last, without_history).subquery("state")


def cases_at(as_of: date | None, today: date, dialect: str = "sqlite") -> CasesAt:
    as_of = as_of or today
    if as_of > today:
        raise InvalidInput(_("--as-of {as_of} is in the future (today is {today})").format(
            as_of=as_of.isoformat(), today=today.isoformat()))
    base = CASE.join(ENT, ENT.c.id == CASE.c.enterprise_id)
    if as_of == today:
        return CasesAt(base, CASE.c.status, CASE.c.status_since, as_of, False)
    st = status_history_at(as_of, dialect)
    return CasesAt(base.join(st, st.c.case_id == CASE.c.id), st.c.status, st.c.since, as_of, True)


def cases_for(ctx, as_of: date | None) -> CasesAt:
    """`cases_at` with the context's today and database."""
    return cases_at(as_of, ctx.clock.today(), ctx.ready_engine.dialect.name)


def park_and_subparks(conn, code: str) -> list[int]:
    """A park's id and those of its sub-parks, however deep (the park table is small)."""
    from workflow.people import park_id

    root = park_id(conn, code)
    rows = conn.execute(text(
        "WITH RECURSIVE sub(id) AS (SELECT id FROM park WHERE id = :root "
        "UNION SELECT p.id FROM park p JOIN sub ON p.parent_id = sub.id) "
        "SELECT id FROM sub"
    ), {"root": root})
    return [r[0] for r in rows]


def workday_calendar(conn) -> WorkdayCalendar:
    """The federation-wide working-day calendar, with the official schedules an admin loaded."""
    rows = conn.execute(select(OV.c.day, OV.c.is_workday).where(OV.c.park_id.is_(None)))
    overrides = {r.day: r.is_workday for r in rows}
    return WorkdayCalendar(overrides)


def rate(part: int, whole: int) -> float | None:
    """A fraction 0–1 (None when there is nothing to divide by)."""
    return round(part / whole, 6) if whole else None


def month_end(d: date) -> date:
    return d.replace(day=_calendar.monthrange(d.year, d.month)[1])


def months_back(d: date, months: int) -> date:
    """The same day `months` earlier (clamped to the month's last day)."""
    y, m = divmod(d.year * 12 + d.month - 1 - months, 12)
    m += 1
    return date(y, m, min(d.day, _calendar.monthrange(y, m)[1]))
