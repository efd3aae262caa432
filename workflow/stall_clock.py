"""The stall clock of every open case as one SQL subquery (DOMAIN.md, "Stall clocks").

Working days in status as of D = workday_no(D) − workday_no(status_since), both looked up in the
working-day index (`calendar_store`): two primary-key joins per case, no per-case Python.

Allowance: `[allowances]` per status (active and closed have none). A level of `[ladder]` fires when
the working days reach ceil(allowance × percent / 100) (allowance 30: remind 24, overdue 30, meeting 45).

New enterprises (Shanghai regulation Art. 10: a union within 6 months of opening). A prospect
whose enterprise's opening day is known and whose case entered prospect before opening +
`new_enterprise_months` gets the shorter of its allowance and the working days from entering
prospect to that deadline (at least 1): overdue fires on the deadline at the latest, whatever the
source (new_project, relocated and prospective enterprises get their opened_on when they open). A
case that entered prospect after its deadline had passed keeps the ordinary allowance: the deadline
cannot be met retroactively, and sending every late-registered enterprise to the joint meeting on
its second day would drown the meeting.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, and_, case, func, literal, literal_column, null, select, union_all
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement

from workflow.tables import CASE, CD, ENT, PCD

LADDER_ORDER = ("remind", "overdue", "meeting")


class add_months(FunctionElement):  # noqa: N801 - reads like the SQL function it stands for
    """date + n months, clamped to the month's end (PostgreSQL semantics, spelt out for SQLite)."""

    type = Date()
    inherit_cache = True
    name = "add_months"


@compiles(add_months, "postgresql")
def _add_months_pg(element, compiler, **kw):
    day, months = list(element.clauses)
    return f"CAST({compiler.process(day, **kw)} + make_interval(months => {compiler.process(months, **kw)}) AS DATE)"


@compiles(add_months, "sqlite")
def _add_months_sqlite(element, compiler, **kw):
    day, months = (compiler.process(c, **kw) for c in element.clauses)
    if months.isdigit():  # the usual case, a configured number: constant modifiers, not strings built per row
        plus, plus_one = f"'+{months} months'", f"'+{int(months) + 1} months'"
    else:
        plus, plus_one = f"'+' || ({months}) || ' months'", f"'+' || ({months} + 1) || ' months'"
    same_day = f"date({day}, 'start of month', {plus}, '+' || (CAST(strftime('%d', {day}) AS INTEGER) - 1) || ' days')"
    month_end = f"date({day}, 'start of month', {plus_one}, '-1 day')"
    return f"min({same_day}, {month_end})"


def _int(n: int):
    return literal_column(str(int(n)))


def reached(working_days, allowed, pct):
    """working_days ≥ ceil(allowed × pct / 100), i.e. 100 × working_days ≥ allowed × pct for whole days
    (no division: integer division is spelt differently across backends). pct: an int or a column."""
    pct = _int(pct) if isinstance(pct, int) else pct
    return working_days * _int(100) >= allowed * pct


def ladder(config) -> dict[str, int]:
    return {level: config.ladder[level] for level in LADDER_ORDER}


def levels_table(config):
    """A tiny derived table (level, pct, rank) of the ladder, portable (UNION ALL of literal rows)."""
    rows = [
        select(literal_column(f"'{level}'").label("level"), _int(pct).label("pct"), _int(rank).label("rank"))
        for rank, (level, pct) in enumerate(ladder(config).items(), 1)
    ]
    return union_all(*rows).subquery("lvl")


def clock_subquery(config, as_of: date, asof_no: int, park_ids: list[int], *, statuses=None, due_only=False):
    """Per case in an open status entered on or before `as_of`: its stall clock.

    Columns: case_id, episode, status, status_since, next_action_on, cadre_id, park_id, mode, version,
    uscc, enterprise, working_days, allowed (NULL for active). `due_only`: only cases whose follow-up
    day has come (an index range).
    """
    allowances = config.allowances
    months = int(config.get("allowances", "new_enterprise_months"))
    fs, fdl = CD.alias("fs"), CD.alias("fdl")
    day = literal(as_of, Date)
    frm = CASE.join(ENT, ENT.c.id == CASE.c.enterprise_id).outerjoin(fs, fs.c.day == CASE.c.status_since)
    deadline = add_months(ENT.c.opened_on, _int(months))
    is_new = and_(CASE.c.status == "prospect", ENT.c.opened_on.isnot(None), deadline > CASE.c.status_since)
    # The deadline's working-day number, for prospects (the CASE below decides whether it applies).
    frm = frm.outerjoin(fdl, and_(CASE.c.status == "prospect", fdl.c.day == deadline))
    since_no = func.coalesce(fs.c.workday_no, 0)
    asof_expr = _int(asof_no)
    deadline_no = fdl.c.workday_no
    if park_ids:
        # Parks with their own extra days off count in their own index (both ends in the same one).
        ps, pa, pdl = PCD.alias("ps"), PCD.alias("pa"), PCD.alias("pdl")
        frm = (
            frm.outerjoin(ps, and_(ps.c.park_id == ENT.c.park_id, ps.c.day == CASE.c.status_since))
            .outerjoin(pa, and_(pa.c.park_id == ENT.c.park_id, pa.c.day == day))
            .outerjoin(pdl, and_(CASE.c.status == "prospect", pdl.c.park_id == ENT.c.park_id, pdl.c.day == deadline))
        )
        since_no = func.coalesce(ps.c.workday_no, fs.c.workday_no, 0)
        asof_expr = func.coalesce(pa.c.workday_no, asof_expr)
        deadline_no = case((pa.c.workday_no.isnot(None), pdl.c.workday_no), else_=fdl.c.workday_no)
    window = deadline_no - since_no
    prospect = _int(allowances["prospect"])
    new_allowance = case(
        (and_(is_new, deadline_no.isnot(None), window < prospect), case((window < 1, _int(1)), else_=window)),
        else_=prospect,
    )
    allowed = case(
        (CASE.c.status == "prospect", new_allowance),
        *((CASE.c.status == s, _int(allowances[s])) for s in ("contacted", "preparatory", "founded")),
        else_=null(),
    )
    wanted = statuses or ("prospect", "contacted", "preparatory", "founded", "active")
    q = (
        select(
            CASE.c.id.label("case_id"), CASE.c.episode, CASE.c.status, CASE.c.status_since, CASE.c.next_action_on,
            CASE.c.cadre_id, ENT.c.park_id, CASE.c.mode, CASE.c.version, ENT.c.uscc, ENT.c.name.label("enterprise"),
            (asof_expr - since_no).label("working_days"), allowed.label("allowed"),
        )
        .select_from(frm)
        .where(CASE.c.status.in_(wanted), CASE.c.status_since <= day)
    )
    if due_only:
        q = q.where(CASE.c.next_action_on <= day)
    return q.subquery("k")


def level_reached(k, config):
    """The highest ladder level the clock has reached (NULL below remind)."""
    lad = ladder(config)
    return case(
        *((reached(k.c.working_days, k.c.allowed, lad[level]), literal(level)) for level in reversed(LADDER_ORDER)),
        else_=null(),
    )
