"""Import checks that need more than the row: the errors of a file, and the rules that depend on what is stored.

The stored-registry rules run set-based over the import's staging table (workflow/registry.py): a new
enterprise needs a name and a park (its own or --park); members may not exceed employees, counting the
stored value of the one the row leaves empty.
"""

from __future__ import annotations

from sqlalchemy import and_, false, func, or_, select

from templates.i18n import _
from workflow.registry_cells import RowError
from workflow.tables import ENT

MAX_ERRORS = 1000  # errors kept for the report; the total is always counted


class Failures:
    """The errors of a file: the first MAX_ERRORS kept, all counted, with the number of rows they are in."""

    def __init__(self) -> None:
        self.errors: list[RowError] = []
        self.total = 0
        self.rows = 0

    def row(self, row_errors: list[RowError]) -> None:
        self.total += len(row_errors)
        self.rows += 1
        self.errors += row_errors[: max(MAX_ERRORS - len(self.errors), 0)]

    def add(self, other: Failures) -> None:
        self.total += other.total
        self.rows += other.rows
        self.errors += other.errors

    def listed(self) -> list[RowError]:
        return sorted(self.errors, key=lambda e: e.row)[:MAX_ERRORS]


def check_against_registry(conn, stage, default_park: int | None) -> Failures:
    """The rules that depend on what is stored, over the whole staging table: a new enterprise needs a name
    and a park (its own or --park); members may not exceed employees, counting the stored value of the one
    the row leaves empty."""
    S = stage
    new = ENT.c.id.is_(None)
    checks = {
        "name": and_(new, S.c.name.is_(None)),
        "park": and_(new, S.c.park_id.is_(None)) if default_park is None else false(),
        "members": and_(S.c.employees.is_(None), ENT.c.employees.is_not(None), S.c.members > ENT.c.employees),
        "employees": and_(S.c.members.is_(None), ENT.c.members.is_not(None), ENT.c.members > S.c.employees),
    }
    joined = S.outerjoin(ENT, ENT.c.uscc == S.c.uscc)
    failed = Failures()
    counts = conn.execute(select(*(func.count().filter(c) for c in checks.values()), func.count())
                          .select_from(joined).where(or_(*checks.values()))).one()
    failed.total, failed.rows = sum(counts[:-1]), counts[-1]
    if not failed.total:
        return failed
    found = conn.execute(
        select(S.c.rownum, *(c.label(f"is_{k}") for k, c in checks.items()), S.c.members, S.c.employees,
               ENT.c.members.label("stored_members"), ENT.c.employees.label("stored_employees"))
        .select_from(joined).where(or_(*checks.values())).order_by(S.c.rownum).limit(MAX_ERRORS)
    )
    for r in found:
        if r.is_name:
            failed.errors.append(RowError(r.rownum, "name", _("required for a new enterprise")))
        if r.is_park:
            failed.errors.append(RowError(r.rownum, "park", _("no park for a new enterprise: fill 所属园区/park or give "
                                                              "--park")))
        if r.is_members:
            failed.errors.append(RowError(r.rownum, "members", _("{members} members but only {employees} employees (the "
                                                                 "employees already in the registry)").format(
                members=r.members, employees=r.stored_employees)))
        if r.is_employees:
            failed.errors.append(RowError(r.rownum, "employees", _("{members} members but only {employees} employees "
                                                                   "(the members already in the registry)").format(
                members=r.stored_members, employees=r.employees)))
    return failed
