"""Coverage: the founding rate (建会率) and membership rate (入会率), today, on a past day, and month by month.

Founding rate = enterprises whose case is founded or active ÷ enterprises whose case is not closed
(a joint union's members count as founded once it is). Basis `all` or `shuangshi` (双实 enterprises only).
Membership rate = union members ÷ employees, of all enterprises in scope and of the founded ones.

On a past day (`--as-of`, each month end of `--monthly`) every case is taken as it stood that day: its
status, responsible cadre, founding mode and union members are reconstructed from its event history
(`workflow/case_states.py` documents the rules, e.g. where the history cannot tell a member count);
park, industry, grid and employees are today's.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import case, func, select

from templates.i18n import _
from workflow.case_states import (
    CasesAt,
    cases_at,
    cases_for,
    month_end,
    park_and_subparks,
    rate,
    report_reading,
)
from workflow.errors import InvalidInput
from workflow.tables import CADRE, CASE, ENT, PARK
from workflow.vocabulary import BASES, COVERED_STATUSES

GROUPINGS = ("park", "industry", "cadre", "grid", "mode")


def check_basis(basis: str) -> None:
    if basis not in BASES:
        raise InvalidInput(_("--basis must be one of {bases}, not {basis!r}").format(bases=", ".join(BASES), basis=basis))


def _group_columns(by: str | None, at: CasesAt | None = None):
    """(group column, name column or None, extra join) for a grouping (`at`: the day's cadre and mode)."""
    if by is None:
        return None, None, None
    if by == "park":
        return PARK.c.code, PARK.c.name, ("park", PARK, PARK.c.id == ENT.c.park_id)
    if by == "cadre":
        return CADRE.c.code, CADRE.c.name, ("cadre", CADRE, CADRE.c.id == (CASE.c.cadre_id if at is None else at.cadre_id))
    if by == "industry":
        return ENT.c.industry, None, None
    if by == "grid":
        return ENT.c.grid, None, None
    if by == "mode":
        return (CASE.c.mode if at is None else at.mode), None, None
    raise InvalidInput(_("--by must be one of {groupings}, not {by!r}").format(groupings=", ".join(GROUPINGS), by=by))


def scope_filters(at: CasesAt, basis: str, park_ids: list[int] | None) -> list:
    """Cases in the denominator: not closed on the day, of the basis, of the park (and its sub-parks)."""
    where = [at.status != "closed"]
    if basis == "shuangshi":
        where.append(ENT.c.shuangshi.is_(True))
    if park_ids is not None:
        where.append(ENT.c.park_id.in_(park_ids))
    return where


def coverage_query(at: CasesAt, by: str | None, basis: str, park_ids: list[int] | None = None):
    at = at.with_facts("members", *(("cadre",) if by == "cadre" else ()), *(("mode",) if by == "mode" else ()))
    group, name, join = _group_columns(by, at)
    is_covered = at.status.in_(COVERED_STATUSES)
    members, employees = func.coalesce(at.members, 0), func.coalesce(ENT.c.employees, 0)
    measures = [
        func.count().label("enterprises"),
        func.coalesce(func.sum(case((is_covered, 1), else_=0)), 0).label("covered"),
        func.coalesce(func.sum(members), 0).label("members"),
        func.coalesce(func.sum(employees), 0).label("employees"),
        func.coalesce(func.sum(case((is_covered, members), else_=0)), 0).label("covered_members"),
        func.coalesce(func.sum(case((is_covered, employees), else_=0)), 0).label("covered_employees"),
    ]
    source = at.source
    raw = [c for c in (group, name) if c is not None]
    if join is not None:
        source = source.join(join[1], join[2]) if join[0] == "park" else source.outerjoin(join[1], join[2])
    keys = [group.label("group")] + ([name.label("name")] if name is not None else []) if raw else []
    q = select(*keys, *measures).select_from(source).where(*scope_filters(at, basis, park_ids))
    return q.group_by(*raw) if raw else q


def _measures(d: dict) -> dict:
    for k in ("enterprises", "covered", "members", "employees", "covered_members", "covered_employees"):
        d[k] = int(d[k] or 0)
    d["rate"] = rate(d["covered"], d["enterprises"])
    d["membership_rate"] = rate(d["members"], d["employees"])
    d["covered_membership_rate"] = rate(d["covered_members"], d["covered_employees"])
    return d


def _sort_key(row: dict):
    g = row["group"]
    return (g is None, "" if g is None else str(g))


def coverage_on(conn, at: CasesAt, by: str | None, basis: str, park_ids: list[int] | None) -> dict:
    """The coverage report on one day, inside the caller's snapshot."""
    rows = [_measures(dict(r._mapping)) for r in conn.execute(coverage_query(at, by, basis, park_ids))]
    if by is None:
        total = rows[0] if rows else _measures(dict.fromkeys(("enterprises", "covered", "members", "employees",
                                                               "covered_members", "covered_employees"), 0))
        return {"total": total, "rows": []}
    rows.sort(key=_sort_key)
    total = _measures({k: sum(r[k] for r in rows) for k in ("enterprises", "covered", "members", "employees",
                                                              "covered_members", "covered_employees")})
    return {"total": total, "rows": rows}


def coverage(ctx, by: str | None = None, as_of: date | None = None, basis: str = "all", park: str | None = None) -> dict:
    """The contract's `report coverage`: {as_of, basis, total{enterprises, covered, rate, …}, rows[{group, …}]}."""
    check_basis(basis)
    _group_columns(by)
    at = cases_for(ctx, as_of)
    with report_reading(ctx.ready_engine) as conn:
        park_ids = park_and_subparks(conn, park) if park else None
        result = coverage_on(conn, at, by, basis, park_ids)
    return {"as_of": at.as_of.isoformat(), "basis": basis, "by": by, "park": park, **result}


def month_ends(start: date, end: date, today: date) -> list[date]:
    """Each month's last day from `start`'s month to `end`'s, never after `end` or today."""
    if start > end:
        raise InvalidInput(_("--from {start} is after --to {end}").format(start=start.isoformat(), end=end.isoformat()))
    if start > today:
        raise InvalidInput(_("--from {start} is in the future (today is {today})").format(
            start=start.isoformat(), today=today.isoformat()))
    days, d = [], start
    limit = min(end, today)
    while d <= limit:
        day = min(month_end(d), limit)
        days.append(day)
        d = month_end(d) + timedelta(days=1)
    return days


def coverage_monthly(ctx, from_: date, to: date, by: str | None = None, basis: str = "all",
                     park: str | None = None) -> dict:
    """The founding rate at each month end between `from_` and `to` (one query per month, one snapshot)."""
    check_basis(basis)
    _group_columns(by)
    today = ctx.clock.today()
    points = []
    with report_reading(ctx.ready_engine) as conn:
        park_ids = park_and_subparks(conn, park) if park else None
        for day in month_ends(from_, to, today):
            result = coverage_on(conn, cases_at(day, today, conn.dialect.name), by, basis, park_ids)
            points.append({"month": day.strftime("%Y-%m"), "as_of": day.isoformat(), **result["total"],
                           "rows": result["rows"]})
    return {"from": from_.isoformat(), "to": to.isoformat(), "basis": basis, "by": by, "park": park, "months": points}
