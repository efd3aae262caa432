"""Founding-rate targets (e.g. ≥70% by 31 December) and what it takes to reach them.

For each target: the rate now, the enterprises still needed, the working days left, the pace needed
per week, and each cadre's share of the gap in proportion to their open portfolio (包干).

A target is set for a day still ahead. Its outcome as of a day: `met` once the rate has reached it (for a
target whose due day has passed, the rate on the due day decides), `missed` when the due day passed
below it, `open` otherwise.
"""

from __future__ import annotations

import logging
import math
import re
from datetime import date

from sqlalchemy import and_, func, insert, select, update

from templates.i18n import N_, _
from workflow.case_states import (
    CasesAt,
    cases_at,
    cases_for,
    park_and_subparks,
    report_reading,
    workday_calendar,
)
from workflow.db import reading, transaction
from workflow.errors import InvalidInput
from workflow.flags import NO_UNION_STATUSES
from workflow.people import park_id
from workflow.permissions import require_actor, require_role
from workflow.reports import check_basis, coverage_on, scope_filters
from workflow.tables import CADRE, PARK, TARGET

log = logging.getLogger(__name__)
_NUMBER = re.compile(r"^\d+(\.\d+)?$|^\.\d+$")


def parse_rate(text: str) -> float:
    """`0.7` or `70%` → 0.7 (a fraction in (0, 1])."""
    raw = str(text).strip()
    percent = raw.endswith("%")
    number = raw[:-1].strip() if percent else raw
    if not _NUMBER.match(number):
        raise InvalidInput(_("RATE {rate!r} is not a rate: give a fraction such as 0.7 or a percentage such as 70%").format(
            rate=raw))
    value = float(number) / 100 if percent else float(number)
    if not percent and value > 1:
        raise InvalidInput(_("RATE {rate} is more than 1: give a fraction such as 0.7 or a percentage such as 70%").format(
            rate=raw))
    if not 0 < value <= 1:
        raise InvalidInput(_("RATE {rate} must be more than 0% and at most 100%").format(rate=raw))
    return round(value, 6)


def set_target(ctx, rate: str | float, by: date, park: str | None = None, basis: str = "all") -> dict:
    """Set (or change) the target for a park — or the whole federation — due on `by` (admins)."""
    check_basis(basis)
    value = parse_rate(rate)
    today = ctx.clock.today()
    if by < today:
        raise InvalidInput(_("--by {by} is in the past (today is {today}): a target is due on a day still ahead").format(
            by=by.isoformat(), today=today.isoformat()))
    with transaction(ctx.ready_engine) as conn:
        require_role(require_actor(conn, ctx.actor_code), N_("set a target"), "admin")
        pid = park_id(conn, park) if park else None
        same = and_(TARGET.c.park_id.is_(None) if pid is None else TARGET.c.park_id == pid,
                    TARGET.c.by_date == by, TARGET.c.basis == basis)
        existing = conn.execute(select(TARGET.c.id).where(same)).scalar()
        if existing is None:
            tid = conn.execute(insert(TARGET).values(park_id=pid, rate=value, by_date=by, basis=basis,
                                                     created_at=ctx.clock.now())).inserted_primary_key[0]
        else:
            conn.execute(update(TARGET).where(TARGET.c.id == existing).values(rate=value))
            tid = existing
    return {"id": tid, "park": park, "rate": value, "by": by.isoformat(), "basis": basis, "created": existing is None}


def _targets(conn, park: str | None = None):
    q = (select(TARGET.c.id, PARK.c.code.label("park"), TARGET.c.rate, TARGET.c.by_date, TARGET.c.basis)
         .outerjoin(PARK, PARK.c.id == TARGET.c.park_id)
         .order_by(TARGET.c.by_date, PARK.c.code.is_(None), PARK.c.code, TARGET.c.basis))
    if park:
        park_id(conn, park)
        q = q.where(PARK.c.code == park)
    return conn.execute(q).all()


def list_targets(ctx) -> list[dict]:
    with reading(ctx.ready_engine) as conn:
        return [{"id": t.id, "park": t.park, "rate": t.rate, "by": t.by_date.isoformat(), "basis": t.basis}
                for t in _targets(conn)]


def split_gap(needed: int, portfolios: list[int]) -> list[int]:
    """Whole shares of `needed` proportional to `portfolios` that sum to it (largest remainder)."""
    total = sum(portfolios)
    if not total:
        return [0] * len(portfolios)
    parts = [divmod(needed * p, total) for p in portfolios]
    shares = [q for q, _ in parts]
    order = sorted(range(len(parts)), key=lambda i: (-parts[i][1], -portfolios[i], i))
    for i in order[: needed - sum(shares)]:
        shares[i] += 1
    return shares


def cadre_shares(conn, at: CasesAt, basis: str, park_ids: list[int] | None, needed: int) -> list[dict]:
    """Each cadre's open (no union yet) portfolio in the target's scope and their share of the gap."""
    at = at.with_facts("cadre")
    q = (
        select(CADRE.c.code, CADRE.c.name, func.count().label("open_cases"))
        .select_from(at.source.outerjoin(CADRE, CADRE.c.id == at.cadre_id))
        .where(*scope_filters(at, basis, park_ids), at.status.in_(NO_UNION_STATUSES))
        .group_by(CADRE.c.code, CADRE.c.name)
    )
    rows = sorted(conn.execute(q), key=lambda r: (r.code is None, r.code or ""))
    portfolios = [int(r.open_cases) for r in rows]
    total = sum(portfolios)
    return [
        {"cadre": r.code, "name": r.name, "open_cases": p, "share": s,
         "share_exact": round(needed * p / total, 2) if total else 0.0}
        for r, p, s in zip(rows, portfolios, split_gap(needed, portfolios), strict=True)
    ]


def enterprises_needed(target_rate: float, enterprises: int, covered: int) -> int:
    """ceil(rate × denominator) − covered, at least 0 (rounded first so 0.7 × 10 is 7, not 8)."""
    return max(0, math.ceil(round(target_rate * enterprises, 9)) - covered)


def targets_on(conn, at: CasesAt, park: str | None = None) -> list[dict]:
    """Every target's arithmetic as of `at` (inside the caller's snapshot); only a park's own with `park`."""
    cal = workday_calendar(conn)
    out = []
    for t in _targets(conn, park):
        park_ids = park_and_subparks(conn, t.park) if t.park else None
        total = coverage_on(conn, at, None, t.basis, park_ids)["total"]
        needed = enterprises_needed(t.rate, total["enterprises"], total["covered"])
        if t.by_date > cal.end:
            raise InvalidInput(_("target {id} is due {by}, beyond the working-day calendar ({end})").format(
                id=t.id, by=t.by_date, end=cal.end))
        cal.warn_for(at.as_of, max(at.as_of, t.by_date))
        days_left = cal.workdays_after(at.as_of, t.by_date)
        pace = round(needed * 5 / days_left, 2) if days_left else (0.0 if needed == 0 else None)
        shares = cadre_shares(conn, at, t.basis, park_ids, needed)
        on_due_day = _on_due_day(conn, at, t, park_ids)
        if on_due_day is not None:
            outcome = "met" if enterprises_needed(t.rate, on_due_day["enterprises"], on_due_day["covered"]) == 0 \
                else "missed"
        else:
            outcome = "met" if needed == 0 else "open"
        out.append({
            "id": t.id, "park": t.park, "basis": t.basis, "target_rate": t.rate, "by": t.by_date.isoformat(),
            "enterprises": total["enterprises"], "covered": total["covered"], "rate": total["rate"],
            "needed": needed, "working_days_left": days_left, "pace_per_week": pace,
            "open_cases": sum(s["open_cases"] for s in shares), "cadres": shares,
            "outcome": outcome, "rate_on_due_day": on_due_day["rate"] if on_due_day else None,
        })
    return out


def _on_due_day(conn, at: CasesAt, t, park_ids) -> dict | None:
    """The coverage on a target's due day when that day is before `at`'s (None for a target still open)."""
    if t.by_date >= at.as_of:
        return None
    return coverage_on(conn, cases_at(t.by_date, at.as_of, conn.dialect.name), None, t.basis, park_ids)["total"]


def targets_report(ctx, as_of: date | None = None, park: str | None = None) -> dict:
    """`report targets`: {as_of, targets[{…, needed, working_days_left, pace_per_week, cadres[…]}]}."""
    at = cases_for(ctx, as_of)
    with report_reading(ctx.ready_engine) as conn:
        return {"as_of": at.as_of.isoformat(), "park": park, "targets": targets_on(conn, at, park)}
