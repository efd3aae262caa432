"""Where every case stood on a given day: the SQL the reports are built on.

Today's status is the case row. An earlier day's status is reconstructed from the timeline: the last
`transition` or `import` event with `occurred_on` ≤ the day, per case (one window-function query). A case
whose history starts after the day did not exist yet. A case with no recorded history at all is taken
as it stands, from its `status_since` on.

On an earlier day the facts that change over a case's life are reconstructed too (`facts_at`, one
more grouped query over the events that record them); park, industry, grid and employees are today's.

- Cadre: an `assignment` event records `from` and `to` (cadre codes). On the day the case was held by
  the `to` of its latest assignment on or before the day; before its first assignment, by that
  assignment's `from` (usually nobody). A case never assigned through `assign` keeps its current cadre.
- Founding mode: chosen only at `prepare`, whose event records `mode`, and given up by a setback to
  before preparatory (contacted, prospect). On the day: the mode of the latest `prepare` on or before the
  day, none (null) if such a setback came after it; before its first `prepare`, none. A case whose history
  has neither keeps its current mode (e.g. data loaded without events).
- Members: a `found` event records `members` when the count is given. On the day: the count of the
  latest such `found` on or before the day. Before a case's first recorded count the history cannot
  tell (the founding overwrote the enterprise's count): while the case had no union on the day its
  members are taken as 0 (members are recruited for the founding); if it already had one (imported
  with a union, later set back and founded again), the earliest recorded count is used. A case whose
  history records no count keeps the enterprise's current count on every day (e.g. an enterprise
  imported with its union and members before any event, or covered by a joint union without a count).
  A re-import that changes the count writes no event: its change shows from today on only.
"""

from __future__ import annotations

import calendar as _calendar
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date

from sqlalchemy import Integer, and_, case, cast, exists, func, literal, null, or_, select, text, union_all
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import FromClause

from templates.i18n import _
from workflow.db import reading
from workflow.errors import InvalidInput
from workflow.tables import CADRE, CASE, ENT, ESC, EVENT, OV
from workflow.vocabulary import COVERED_STATUSES, LEVELS, UNPREPARED_STATUSES
from workflow.workdays import WorkdayCalendar

STATE_EVENT_KINDS = ("transition", "import")
REPORT_WORK_MEM = "64MB"


def report_settings(conn) -> None:
    """The server settings of a report's snapshot on PostgreSQL (the benchmark's baselines use them too):
    memory to sort the event history in, and no JIT, whose compiling cost seconds at a million cases for
    queries that run once."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SET LOCAL work_mem = '{REPORT_WORK_MEM}'")
        conn.exec_driver_sql("SET LOCAL jit = off")


@contextmanager
def report_reading(engine):
    """`reading` with the report settings."""
    with reading(engine) as conn:
        report_settings(conn)
        yield conn


FACTS = ("cadre", "mode", "members")


@dataclass(frozen=True)
class CasesAt:
    """Cases as of a day: a FROM clause (founding_case joined with enterprise) and the status columns.

    The responsible cadre, the founding mode and the members of the day (`cadre_id`, `mode`, `members`)
    are today's columns on today's `CasesAt`; on an earlier day, a query asks for the ones it uses with
    `with_facts(...)`, which joins in only their reconstruction (using one it did not ask for is a bug).
    """

    source: FromClause
    status: ColumnElement
    since: ColumnElement
    as_of: date
    historic: bool
    dialect: str = "sqlite"
    base: FromClause | None = None  # the source before any facts were joined in
    facts: dict = field(default_factory=dict, compare=False)  # {name: column} once `with_facts` joined them

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

    def with_facts(self, *names: str) -> CasesAt:
        """These cases with the day's `names` (of FACTS) joined in; today's need nothing joined."""
        if not self.historic:
            return self
        wanted = tuple(n for n in FACTS if n in names or n in self.facts)
        base = self.base if self.base is not None else self.source
        source, columns = join_facts(base, self.status, self.as_of, self.dialect, wanted)
        return replace(self, source=source, base=base, facts=columns)

    def fact(self, name: str) -> ColumnElement:
        if not self.historic:
            return {"cadre": CASE.c.cadre_id, "mode": CASE.c.mode, "members": ENT.c.members}[name]
        if name not in self.facts:
            raise RuntimeError(f"the {name} of a past day is used without with_facts({name!r})")
        return self.facts[name]

    @property
    def cadre_id(self) -> ColumnElement:
        return self.fact("cadre")

    @property
    def mode(self) -> ColumnElement:
        return self.fact("mode")

    @property
    def members(self) -> ColumnElement:
        return self.fact("members")


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


def _last_per_group(inner, keys: tuple, order: tuple, dialect: str):
    """The first row of each `keys` group of `inner` in `order`: DISTINCT ON on PostgreSQL, a window elsewhere."""
    cols = list(inner.c)
    if dialect == "postgresql":
        return select(*cols).distinct(*keys).order_by(*keys, *order).subquery("picked")
    rn = func.row_number().over(partition_by=keys, order_by=order).label("rn")
    ranked = select(*cols, rn).subquery("ranked_fact")
    return select(*(ranked.c[c.name] for c in cols)).where(ranked.c.rn == 1).subquery("picked")


def facts_at(as_of: date, dialect: str = "sqlite", names: tuple[str, ...] = FACTS):
    """Per case with any event recording one of `names` (cadre, mode, members): what those events say on
    `as_of` (the rules are in the module docstring). Columns: case_id, and per fact `has_<fact>` (1 when
    the history records it) and its values: cadre_code; mode; members_on_day and members_first."""
    kind, event, data = EVENT.c.kind, EVENT.c.event, EVENT.c.data
    to_code, from_code = data["to"].as_string(), data["from"].as_string()
    mode, members = data["mode"].as_string(), data["members"].as_string()
    gives_up = and_(event == "setback", EVENT.c.to_status.in_(UNPREPARED_STATUSES))  # the mode is none from then on
    recording = {  # the events that may record each fact
        "cadre": kind == "assignment",
        "members": and_(kind == "transition", event == "found"),
        "mode": and_(kind == "transition", or_(event == "prepare", gives_up)),
    }
    # The JSON is read only for those events (inside the CASE): reading it for every event costs most. A mode
    # given up is '' here (NULL would drop the event), and none in the result.
    value = case((kind == "assignment", to_code), (event == "found", members), (gives_up, literal("")), else_=mode)
    inner = (
        select(
            EVENT.c.case_id,
            case((kind == "assignment", literal("cadre")), (event == "found", literal("members")),
                 else_=literal("mode")).label("fact"),
            value.label("value"),
            case((kind == "assignment", from_code), else_=null()).label("before"),
            EVENT.c.occurred_on, EVENT.c.id,
        )
        .where(or_(*(recording[n] for n in names)), value.isnot(None))
        .subquery("fact_event")
    )
    on_day = inner.c.occurred_on <= as_of
    # The latest observation on or before the day; failing that, the earliest after it.
    order = (case((on_day, 0), else_=1), case((on_day, inner.c.occurred_on)).desc(), case((on_day, inner.c.id)).desc(),
             inner.c.occurred_on, inner.c.id)
    single = len(names) == 1
    p = _last_per_group(inner, (inner.c.case_id,) if single else (inner.c.case_id, inner.c.fact), order, dialect)
    recent = p.c.occurred_on <= as_of

    def of(fact: str, value, when=None):
        if single:  # one row per case already: no pivot
            return value if when is None else case((when, value))
        return func.max(case((p.c.fact == fact if when is None else and_(p.c.fact == fact, when), value)))

    columns = {
        "cadre": [of("cadre", literal(1)).label("has_cadre"),
                  of("cadre", case((recent, p.c.value), else_=p.c.before)).label("cadre_code")],
        "mode": [of("mode", literal(1)).label("has_mode"), of("mode", func.nullif(p.c.value, ""), recent).label("mode")],
        "members": [of("members", literal(1)).label("has_members"),
                    of("members", cast(p.c.value, Integer), recent).label("members_on_day"),
                    of("members", cast(p.c.value, Integer), ~recent).label("members_first")],
    }
    q = select(p.c.case_id, *(c for n in names for c in columns[n]))
    return (q if single else q.group_by(p.c.case_id)).subquery("facts")


def join_facts(source: FromClause, status: ColumnElement, as_of: date, dialect: str, names: tuple[str, ...]):
    """`source` outer-joined with the reconstruction of `names` on `as_of`, and {name: the day's column}."""
    if not names:
        return source, {}
    f = facts_at(as_of, dialect, names)
    source = source.outerjoin(f, f.c.case_id == CASE.c.id)
    columns = {}
    if "cadre" in names:
        holder = CADRE.alias("holder_then")
        source = source.outerjoin(holder, holder.c.code == f.c.cadre_code)
        columns["cadre"] = case((f.c.has_cadre.is_(None), CASE.c.cadre_id), else_=holder.c.id)
    if "mode" in names:
        columns["mode"] = case((f.c.has_mode.is_(None), CASE.c.mode), else_=f.c.mode)
    if "members" in names:
        columns["members"] = case(
            (f.c.has_members.is_(None), ENT.c.members),
            (f.c.members_on_day.isnot(None), f.c.members_on_day),
            (status.in_(COVERED_STATUSES), f.c.members_first),
            else_=0,
        )
    return source, columns


def cases_at(as_of: date | None, today: date, dialect: str = "sqlite") -> CasesAt:
    as_of = as_of or today
    if as_of > today:
        raise InvalidInput(_("--as-of {as_of} is in the future (today is {today})").format(
            as_of=as_of.isoformat(), today=today.isoformat()))
    base = CASE.join(ENT, ENT.c.id == CASE.c.enterprise_id)
    if as_of == today:
        return CasesAt(base, CASE.c.status, CASE.c.status_since, as_of, False, dialect)
    st = status_history_at(as_of, dialect)
    return CasesAt(base.join(st, st.c.case_id == CASE.c.id), st.c.status, st.c.since, as_of, True, dialect)


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
