"""What each cadre answers for (包干 ledger), where cases spend their time (funnel), and the incentive lists.

All queries are GROUP BYs over the whole set; the funnel's medians come from a histogram of working days
fed by a grouped, streamed query, so memory stays bounded by the number of distinct days, not of cases.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date

from sqlalchemy import and_, case, distinct, func, or_, select

from templates.i18n import _
from workflow.case_states import (
    ESC,
    STATE_EVENT_KINDS,
    CasesAt,
    cases_for,
    months_back,
    park_and_subparks,
    report_reading,
    workday_calendar,
)
from workflow.errors import InvalidInput
from workflow.flags import NO_UNION_STATUSES
from workflow.tables import CADRE, CASE, ENT, EVENT, JU, PARK
from workflow.targets import targets_on
from workflow.vocabulary import COVERED_STATUSES, LEVELS, STATUSES

PROGRAMMES = ("talent_apartment", "member_supermarket")
LEDGER_ROLES = ("cadre", "social_worker", "supervisor")


def _in_park(park_ids):
    return [ENT.c.park_id.in_(park_ids)] if park_ids is not None else []


def _period(at: CasesAt, from_: date | None) -> date:
    start = from_ or date(at.as_of.year, 1, 1)
    if start > at.as_of:
        raise InvalidInput(_("--from {start} is after --as-of {as_of}").format(
            start=start.isoformat(), as_of=at.as_of.isoformat()))
    return start


def _applicable_target(targets: list[dict], parks: tuple, as_of: date) -> dict | None:
    """The earliest target still ahead that covers one of `parks` (a park's own before the federation's)."""
    ahead = [t for t in targets if t["by"] >= as_of.isoformat() and t["park"] in (*parks, None)]
    ahead.sort(key=lambda t: (t["by"], t["park"] is None, t["park"] or ""))
    return ahead[0] if ahead else None


def cadres_report(ctx, as_of: date | None = None, from_: date | None = None, park: str | None = None) -> dict:
    """The contract-responsibility ledger: per cadre, portfolio, cases by status, founded in the period (and
    still founded or active on the day), stalled, escalations, and their share of the target gap against what
    they achieved."""
    at = cases_for(ctx, as_of).with_facts("cadre")
    start = _period(at, from_)
    rows: dict[int | None, dict] = {}

    def row(cid):
        return rows.setdefault(cid, {"portfolio": 0, **dict.fromkeys(STATUSES, 0), "founded_in_period": 0,
                                     "stalled": 0, "escalations": 0})

    with report_reading(ctx.ready_engine) as conn:
        park_ids = park_and_subparks(conn, park) if park else None
        by_status = (
            select(at.cadre_id.label("cadre_id"), at.status.label("status"), func.count().label("n"),
                   func.coalesce(func.sum(case((and_(at.status != "closed", at.stalled()), 1), else_=0)), 0)
                   .label("stalled"))
            .select_from(at.source).where(*_in_park(park_ids)).group_by(at.cadre_id, at.status)
        )
        for r in conn.execute(by_status):
            d = row(r.cadre_id)
            d[r.status] += r.n
            d["stalled"] += int(r.stalled)
            if r.status != "closed":
                d["portfolio"] += r.n
        # Credited to the cadre who held the case on the as-of day, like its place in the portfolio; and only
        # while the founding holds on that day (a case set back or closed since counts no more, as in coverage).
        founded = (
            select(at.cadre_id, func.count(distinct(EVENT.c.case_id)))
            .select_from(at.source.join(EVENT, EVENT.c.case_id == CASE.c.id))
            .where(EVENT.c.kind == "transition", EVENT.c.to_status == "founded",
                   EVENT.c.occurred_on.between(start, at.as_of), at.status.in_(COVERED_STATUSES), *_in_park(park_ids))
            .group_by(at.cadre_id)
        )
        for cid, n in conn.execute(founded):
            row(cid)["founded_in_period"] = n
        escalations = (
            select(at.cadre_id, func.count())
            .select_from(at.source.join(ESC, ESC.c.case_id == CASE.c.id))
            .where(ESC.c.level.in_(LEVELS), ESC.c.as_of.between(start, at.as_of), *_in_park(park_ids))
            .group_by(at.cadre_id)
        )
        for cid, n in conn.execute(escalations):
            row(cid)["escalations"] = n
        cadre_q = (select(CADRE.c.id, CADRE.c.code, CADRE.c.name, PARK.c.code.label("park"), CADRE.c.park_id,
                          CADRE.c.role, CADRE.c.active).outerjoin(PARK, PARK.c.id == CADRE.c.park_id))
        cadres = {c.id: c for c in conn.execute(cadre_q)}
        targets = targets_on(conn, at)
    for c in cadres.values():
        if c.active and c.role in LEDGER_ROLES and (park_ids is None or c.park_id in park_ids):
            row(c.id)
    # Unassigned cases have no cadre's park: they answer to the report's park, or to any park's target.
    unassigned_parks = (park,) if park else tuple({t["park"] for t in targets})
    out = []
    for cid, d in rows.items():
        c = cadres.get(cid)
        t = _applicable_target(targets, (c.park,) if c else unassigned_parks, at.as_of)
        code = c.code if c else None
        share = next((s["share"] for s in t["cadres"] if s["cadre"] == code), 0) if t else None
        out.append({"cadre": code, "name": c.name if c else None, "park": c.park if c else None, **d,
                    "covered": d["founded"] + d["active"],
                    "target_id": t["id"] if t else None, "target_rate": t["target_rate"] if t else None,
                    "target_by": t["by"] if t else None, "gap_share": share, "achieved": d["founded_in_period"]})
    out.sort(key=lambda r: (r["cadre"] is None, r["cadre"] or ""))
    return {"as_of": at.as_of.isoformat(), "from": start.isoformat(), "park": park, "cadres": out}


def median_of(hist: Counter) -> float | None:
    """The median of a histogram {value: count} (the mean of the two middle values for an even count)."""
    n = sum(hist.values())
    if not n:
        return None
    lo, hi, seen, a = (n - 1) // 2, n // 2, 0, None
    for value, count in sorted(hist.items()):
        if a is None and seen + count > lo:
            a = value
        if seen + count > hi:
            return (a + value) / 2
        seen += count
    return None  # pragma: no cover - unreachable


def funnel(ctx, as_of: date | None = None, park: str | None = None) -> dict:
    """Cases by status on the day, and the median working days spent in each status: over completed stays
    (between consecutive status events) and over the stays still running on the day."""
    at = cases_for(ctx, as_of)
    counts: Counter = Counter()
    done: dict[str, Counter] = defaultdict(Counter)
    running: dict[str, Counter] = defaultdict(Counter)
    with report_reading(ctx.ready_engine) as conn:
        cal = workday_calendar(conn)
        park_ids = park_and_subparks(conn, park) if park else None
        current = (select(at.status.label("status"), at.since.label("since"), func.count().label("n"))
                   .select_from(at.source).where(*_in_park(park_ids)).group_by(at.status, at.since))
        for r in conn.execute(current.execution_options(yield_per=10_000)):
            counts[r.status] += r.n
            running[r.status][cal.workdays_after(r.since, at.as_of)] += r.n
        state_event = and_(EVENT.c.kind.in_(STATE_EVENT_KINDS), EVENT.c.to_status.isnot(None),
                           EVENT.c.occurred_on <= at.as_of)
        if park_ids is not None:
            in_park = select(CASE.c.id).join(ENT, ENT.c.id == CASE.c.enterprise_id).where(*_in_park(park_ids))
            state_event = and_(state_event, EVENT.c.case_id.in_(in_park))
        ev = select(
            EVENT.c.to_status.label("status"), EVENT.c.occurred_on.label("since"),
            func.lead(EVENT.c.occurred_on, type_=EVENT.c.occurred_on.type).over(partition_by=EVENT.c.case_id,
                                                order_by=(EVENT.c.occurred_on, EVENT.c.id)).label("until"),
        ).where(state_event).subquery("stay")
        stays = (select(ev.c.status, ev.c.since, ev.c.until, func.count().label("n"))
                 .where(ev.c.until.isnot(None)).group_by(ev.c.status, ev.c.since, ev.c.until))
        for r in conn.execute(stays.execution_options(yield_per=10_000)):
            done[r.status][cal.workdays_after(r.since, r.until)] += r.n
    return {
        "as_of": at.as_of.isoformat(), "park": park,
        "statuses": [{"status": s, "cases": counts[s], "stays": sum(done[s].values()), "median_days": median_of(done[s]),
                      "median_days_current": median_of(running[s]) if s != "closed" else None} for s in STATUSES],
    }


def incentives(ctx, as_of: date | None = None, park: str | None = None) -> dict:
    """Incentives and constraints (激励约束): enterprises with a union are eligible for the talent-apartment
    and member-supermarket programmes; those with 25+ employees, no union, and a stalled case or more than
    the allowed months since opening face constraints."""
    at = cases_for(ctx, as_of).with_facts("cadre", "mode")
    months = int(ctx.config.get("allowances", "new_enterprise_months"))
    cutoff = months_back(at.as_of, months)
    with report_reading(ctx.ready_engine) as conn:
        park_ids = park_and_subparks(conn, park) if park else None
        src = (at.source.join(PARK, PARK.c.id == ENT.c.park_id).outerjoin(CADRE, CADRE.c.id == at.cadre_id)
               .outerjoin(JU, JU.c.id == CASE.c.joint_union_id))
        base = [ENT.c.uscc, ENT.c.name.label("enterprise"), PARK.c.code.label("park"), at.status.label("status"),
                CADRE.c.code.label("cadre")]
        eligible_q = (select(*base, at.mode.label("mode"), JU.c.code.label("joint_union"), CASE.c.founded_on,
                             CASE.c.activated_on)
                      .select_from(src).where(at.status.in_(COVERED_STATUSES), *_in_park(park_ids))
                      .order_by(PARK.c.code, ENT.c.uscc))
        eligible = [_iso(dict(r._mapping)) for r in conn.execute(eligible_q)]
        stalled, past = at.stalled(), and_(ENT.c.opened_on.isnot(None), ENT.c.opened_on < cutoff)
        constraint_q = (select(*base, ENT.c.employees, ENT.c.opened_on, at.since.label("status_since"),
                               stalled.label("stalled"), past.label("past_deadline"))
                        .select_from(src)
                        .where(at.status.in_(NO_UNION_STATUSES), ENT.c.employees >= 25, or_(stalled, past),
                               *_in_park(park_ids))
                        .order_by(PARK.c.code, ENT.c.uscc))
        constraints = []
        for r in conn.execute(constraint_q):
            d = _iso(dict(r._mapping))
            stalled_flag, past_flag = bool(d.pop("stalled")), bool(d.pop("past_deadline"))
            d["reasons"] = ", ".join(x for x, on in (("stalled", stalled_flag), (f"past_{months}_months", past_flag))
                                     if on)
            constraints.append(d)
    return {"as_of": at.as_of.isoformat(), "park": park, "programmes": list(PROGRAMMES), "eligible": eligible,
            "constraints": constraints}


def _iso(d: dict) -> dict:
    return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in d.items()}
