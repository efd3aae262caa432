"""Due decisions of the six-party joint meeting (联席会议决议) as items of the daily emails (source "res").

A resolution is an `agenda_item` with a decision and a `due_on`. It is listed, as level "resolution",
in the emails of the case's responsible cadre and of the meeting secretaries of the case's park (all
secretaries if the park has none, as for the meeting level):

- on the first working day on or after its due day ("due" that day, "overdue" when the due day was a
  day off), then every RESOLUTION_EVERY working days while it stays undone ("overdue"): about once a
  week, never twice in one day. Working days of the federation calendar, the days the sweep runs (a
  sweep run by hand on a day off mentions none); a sweep that did not run on such a day (downtime)
  leaves that mention to the next one.
- only the case's latest decision (a later meeting's decision replaces an earlier one);
- until it is done: the case is closed, or its status changed after the decision was recorded (a
  `transition` on its timeline recorded after `resolved_at`, whatever the day it took effect). An
  amended decision (resolved again) starts over from the amendment.

Same-day supplements (see workflow.mailing): an item counts as new when the case's latest
`resolution` event is newer than the day's earlier digest. Its watermark is the highest case_event
id, read from the primary key (cheap on any size), so a decision recorded or amended after the
morning's digest comes in the next sweep's supplement. Resolutions are written outside the sweep's
lock: one committed while a sweep is running may miss that day's supplement and comes at its next
mention.
"""

from __future__ import annotations

from datetime import date
from functools import cache

from sqlalchemy import Integer, and_, case, cast, exists, func, literal, or_, select

from workflow.tables import AI, CADRE, CASE, CD, ENT, EVENT, MEETING, PARK

RESOLUTION_EVERY = 5  # working days between two mentions of an overdue decision (a working week)


def _latest_resolution_event(case_id_col):
    """Id of the case's latest `resolution` event: grows whenever a decision on the case is recorded or amended."""
    return (select(func.max(EVENT.c.id)).where(EVENT.c.case_id == case_id_col, EVENT.c.kind == "resolution")
            .scalar_subquery())


@cache
def park_secretaries():
    """(park_id, secretary_id): who hears of a park's joint-meeting business — its active secretaries, or
    every active secretary if it has none. Parks × secretaries: small, so a route joins it by park
    instead of asking per row whether the park has a secretary; and computed once, because the planner
    does not know how many escalations a sweep has just written (PostgreSQL's statistics say a handful,
    and it scanned every cadre for each of 18,000)."""
    sec, own = CADRE.alias("sec"), CADRE.alias("own")
    park_has_secretary = exists().where(own.c.role == "secretary", own.c.active.is_(True), own.c.park_id == PARK.c.id)
    return (
        select(PARK.c.id.label("park_id"), sec.c.id.label("secretary_id"))
        .select_from(PARK.join(sec, or_(sec.c.park_id == PARK.c.id, ~park_has_secretary)))
        .where(sec.c.role == "secretary", sec.c.active.is_(True))
        .cte("park_secretary").prefix_with("MATERIALIZED")
    )


def resolution_routes(as_of: date):
    """Who hears of each decision mentioned on `as_of`: narrow rows as `workflow.mailing.ItemSource` wants."""
    cadre, sec, later = CADRE.alias("cadre"), CADRE.alias("sec"), AI.alias("later")
    asof_no = select(CD.c.workday_no).where(CD.c.day == as_of).scalar_subquery()
    asof_is_workday = select(CD.c.is_workday).where(CD.c.day == as_of).scalar_subquery()
    # Working days in [due_on, as_of]: 1 on the first working day on or after the due day.
    counted = asof_no - CD.c.workday_no + case((CD.c.is_workday, 1), else_=0)
    moved_on = exists().where(EVENT.c.case_id == AI.c.case_id, EVENT.c.kind == "transition",
                              EVENT.c.recorded_at > AI.c.resolved_at)
    superseded = exists().where(later.c.case_id == AI.c.case_id, later.c.resolved_at > AI.c.resolved_at)
    # The decisions due today, found from the (few) agenda items first and computed once: joined from
    # the cadres' side, SQLite walked every case of every cadre to find them.
    due = (
        select(AI.c.id, AI.c.case_id, CASE.c.cadre_id, CASE.c.enterprise_id, CASE.c.status, AI.c.due_on, ENT.c.park_id,
               # Working days past the due day: the most overdue first.
               cast(asof_no - CD.c.workday_no, Integer).label("urgency"),
               _latest_resolution_event(AI.c.case_id).label("seq"))
        .select_from(AI.join(CD, CD.c.day == AI.c.due_on).join(CASE, CASE.c.id == AI.c.case_id)
                     .join(ENT, ENT.c.id == CASE.c.enterprise_id))
        .where(AI.c.due_on <= as_of, AI.c.decision.isnot(None), AI.c.resolved_at.isnot(None),
               CASE.c.status != "closed", asof_is_workday.is_(True), counted >= 1,
               (counted - 1) % RESOLUTION_EVERY == 0, ~moved_on, ~superseded)
        .cte("due_decision").prefix_with("MATERIALIZED")
    )

    def route(who, frm):
        return select(
            who.c.email.label("email"), who.c.name.label("name"), literal("to").label("role"),
            literal("res").label("source"), due.c.id.label("ref_id"), due.c.case_id,
            literal("resolution").label("level"), due.c.urgency, due.c.seq, due.c.status,
            due.c.urgency.label("working_days"), literal(0, Integer).label("allowed"), due.c.due_on,
            due.c.enterprise_id, due.c.cadre_id,
        ).select_from(frm).where(who.c.active.is_(True))

    ps = park_secretaries()
    to_cadre = route(cadre, due.join(cadre, cadre.c.id == due.c.cadre_id))
    to_secretary = route(sec, due.join(ps, ps.c.park_id == due.c.park_id).join(sec, sec.c.id == ps.c.secretary_id))
    return [to_cadre, to_secretary]


def resolution_extras(frm, routes):
    """The decision and its meeting, outer-joined onto the routed rows of source "res"."""
    frm = (frm.outerjoin(AI, and_(routes.c.source == "res", AI.c.id == routes.c.ref_id))
           .outerjoin(MEETING, MEETING.c.id == AI.c.meeting_id))
    return frm, {"decision": AI.c.decision, "owner_party": AI.c.owner_party, "meeting_id": AI.c.meeting_id,
                 "meeting_at": MEETING.c.starts_at}


def resolution_watermark(conn, as_of: date) -> int:
    """The highest case_event id (an index lookup): a later decision or amendment has a higher one."""
    return conn.execute(select(func.coalesce(func.max(EVENT.c.id), 0))).scalar()

