"""Reading the enterprise registry: list and show (profile with its founding case)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import func, select

from templates.i18n import _
from workflow.db import Rows, first_rows, reading
from workflow.errors import InvalidInput, NotFound
from workflow.tables import CADRE, CASE, ENT, EVENT, PARK
from workflow.uscc import no_enterprise, normalise_uscc
from workflow.vocabulary import STATUSES


def _query():
    return (
        select(
            ENT.c.uscc, ENT.c.name, PARK.c.code.label("park"), ENT.c.industry, ENT.c.employees, ENT.c.shuangshi,
            ENT.c.grid, ENT.c.source, CASE.c.status, CADRE.c.code.label("cadre"),
        )
        .select_from(ENT)
        .join(PARK, PARK.c.id == ENT.c.park_id)
        .outerjoin(CASE, CASE.c.enterprise_id == ENT.c.id)
        .outerjoin(CADRE, CADRE.c.id == CASE.c.cadre_id)
    )  # fmt: skip


def _plain(d: dict) -> dict:
    return {k: v.isoformat() if isinstance(v, date | datetime) else v for k, v in d.items()}


def list_enterprises(ctx, *, park: str | None = None, status: str | None = None, limit: int | None = None) -> Rows:
    if status and status not in STATUSES:
        raise InvalidInput(_("unknown status {status!r}: use one of {statuses}").format(
            status=status, statuses=", ".join(STATUSES)))
    q = _query()
    with reading(ctx.ready_engine) as conn:
        if park:
            if conn.execute(select(PARK.c.id).where(PARK.c.code == park)).first() is None:
                raise NotFound(_("no park with code {code!r}: see `unionflow park list`").format(code=park))
            q = q.where(PARK.c.code == park)
        if status:
            q = q.where(CASE.c.status == status)
        rows = first_rows(conn, q.order_by(ENT.c.id), limit)
        return Rows([_plain(dict(r._mapping)) for r in rows], rows.total)


def show_enterprise(ctx, uscc: str) -> dict:
    """The registry profile and a summary of its founding case."""
    code = normalise_uscc(uscc)
    with reading(ctx.ready_engine) as conn:
        row = conn.execute(
            select(ENT, PARK.c.code.label("park"), PARK.c.name.label("park_name"))
            .join(PARK, PARK.c.id == ENT.c.park_id).where(ENT.c.uscc == code)
        ).first()  # fmt: skip
        if row is None:
            raise NotFound(no_enterprise(code))
        profile = dict(row._mapping)
        for key in ("id", "park_id"):
            profile.pop(key)
        for key in ("created_at", "updated_at"):  # stored in UTC, shown in the configured time zone
            profile[key] = ctx.clock.local(profile[key])
        case_row = conn.execute(
            select(CASE.c.id, CASE.c.status, CASE.c.status_since, CASE.c.mode, CADRE.c.code.label("cadre"),
                   CADRE.c.name.label("cadre_name"), CASE.c.next_action_on, CASE.c.founded_on, CASE.c.activated_on,
                   CASE.c.version)
            .outerjoin(CADRE, CADRE.c.id == CASE.c.cadre_id).where(CASE.c.enterprise_id == row.id)
        ).first()  # fmt: skip
        summary = None
        if case_row is not None:
            summary = _plain(dict(case_row._mapping))
            summary["events"] = conn.execute(
                select(func.count()).select_from(EVENT).where(EVENT.c.case_id == case_row.id)
            ).scalar()
        return {**_plain(profile), "case": summary}
