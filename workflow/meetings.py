"""The six-party joint meeting (六方建会联席会议): plan, agenda, resolutions, close.

Agenda items come from three places, each written set-based:
- `escalation`: the sweep's `meeting`-level escalations. One is *pending* while its
  `agenda_item_id` is NULL; planning a meeting pulls in the park's pending escalations of the
  cases' current stall episode (an escalation of an episode the case has left is stale and stays
  out: the stall it reported is over).
- `manual`: `add_item` by the secretary.
- `carried`: closing a meeting moves every unresolved item that still matters to the next planned
  meeting of the park (the earliest one starting after it), with `times_on_agenda + 1`. When no
  meeting is planned yet, those items become *pending* again: an unresolved item of a closed meeting
  with no later item for its case is carried into the next meeting that is planned. What still
  matters (`still_relevant`), as for the sweep's pending escalations: the case is not closed, and an
  item that came from a stall is carried only while the case is still in a stall episode that reached
  the meeting level (once the case has moved on, the stall it reported is over); an item the
  secretary added by hand is carried while the case is open.

`times_on_agenda` counts the meetings a case has been on, this one included.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime

from sqlalchemy import (
    JSON,
    Integer,
    String,
    and_,
    bindparam,
    case,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    union,
    update,
)
from sqlalchemy.exc import IntegrityError

from templates.i18n import N_, _, active_lang
from workflow.cases import check_within_calendar, event_row, load_case
from workflow.db import reading, transaction
from workflow.errors import AlreadyExists, Conflict, InvalidInput, NotFound, PermissionDenied
from workflow.packet_i18n import parse_party
from workflow.people import park_id as park_id_of
from workflow.permissions import Actor, require_actor, require_role
from workflow.tables import AI, CASE, ENT, ESC, EVENT, PARK, PART, REP
from workflow.tables import MEETING as M
from workflow.timeline_text import default_title, meeting_title, stall_reason_sql
from workflow.vocabulary import MAX_ID, MEETING_STATUSES

log = logging.getLogger(__name__)



# ------------------------------------------------------------------------------------ helpers
def to_utc(on: datetime, tz) -> datetime:
    """A local (Asia/Shanghai) date-time, naive or aware, as a UTC instant."""
    if on.tzinfo is None:
        on = on.replace(tzinfo=tz)
    return on.astimezone(UTC)


def require_secretary(conn, ctx, action: str, park_id: int | None = None) -> Actor:
    """A secretary of the meeting's park, or an admin. `action` is English marked with N_() (translated here)."""
    actor = require_actor(conn, ctx.actor_code)
    require_role(actor, action, "secretary")
    if actor.role == "secretary" and actor.park_id is not None and park_id is not None and actor.park_id != park_id:
        codes = dict(conn.execute(select(PARK.c.id, PARK.c.code).where(PARK.c.id.in_([park_id, actor.park_id]))).all())
        raise PermissionDenied(
            _("{actor} may not {action} of park {park}: a secretary manages the meetings of their own park "
               "({own})").format(actor=actor, action=_(action), park=codes[park_id], own=codes[actor.park_id])
        )
    return actor


def meeting_query():
    return select(M, PARK.c.code.label("park"), PARK.c.name.label("park_name")).join(PARK, PARK.c.id == M.c.park_id)


def load_meeting(conn, meeting) -> object:
    text = str(meeting).strip()
    row = conn.execute(meeting_query().where(M.c.id == int(text))).first() if text.isdigit() and int(text) <= MAX_ID \
        else None
    if row is None:
        raise NotFound(_("no meeting {meeting!r}: give a meeting id (see `unionflow meeting list`)").format(meeting=text))
    return row


def require_planned(m, doing: str) -> None:
    """`doing` is English marked with N_(), e.g. "close a planned meeting" (translated here)."""
    if m.status == "cancelled":
        raise InvalidInput(_("meeting {id} was cancelled: {doing} (see `unionflow meeting list`)").format(
            id=m.id, doing=_(doing)))
    if m.status != "planned":
        raise InvalidInput(_("meeting {id} is closed: {doing} (see `unionflow meeting list`)").format(
            id=m.id, doing=_(doing)))


def meeting_dict(m, tz, **extra) -> dict:
    """A meeting row of `meeting_query` as JSON; a title the system gave it in the active language."""
    local = m.starts_at.astimezone(tz)
    return {
        "id": m.id, "park": m.park, "title": meeting_title(m.title, m.park_name, local.date(), active_lang()),
        "starts_at": local.isoformat(timespec="minutes"),
        "place": m.place, "status": m.status,
        "packet_sent_at": m.packet_sent_at.isoformat() if m.packet_sent_at else None,
        "closed_at": m.closed_at.isoformat() if m.closed_at else None, **extra,
    }


def inserted(conn, stmt) -> int:
    """Rows an INSERT … SELECT wrote (psycopg reports -1 as its rowcount, so count what RETURNING gives)."""
    return len(conn.execute(stmt.returning(stmt.table.c.id)).all())


def not_cancelled(meeting_id_col):
    """SQL: the meeting `meeting_id_col` was not cancelled (an uncorrelated list of the few cancelled ones)."""
    cancelled = M.alias("cancelled")
    return meeting_id_col.notin_(select(cancelled.c.id).where(cancelled.c.status == "cancelled"))


def times_on_agenda(case_id_col):
    """1 + the meetings the case has been on before, a cancelled one not counted (one correlated count)."""
    earlier = AI.alias("earlier")
    return 1 + select(func.count()).select_from(earlier).where(earlier.c.case_id == case_id_col,
                                                               not_cancelled(earlier.c.meeting_id)).scalar_subquery()


def agenda_events(conn, *, which, event, note: str, data: dict, now, today: date, actor_id: int | None) -> None:
    """One `agenda` event on the case of each agenda item `which` selects (INSERT … SELECT): `event` (a
    column or a literal), the `note` and the `data` the same for all."""
    rows = select(
        AI.c.case_id, literal("agenda"), event, CASE.c.status, CASE.c.status, literal(today),
        literal(now, type_=EVENT.c.recorded_at.type), literal(actor_id, type_=Integer), literal(note, type_=String),
        bindparam("data", data, type_=JSON),
    ).join(CASE, CASE.c.id == AI.c.case_id).where(which)
    cols = ["case_id", "kind", "event", "from_status", "to_status", "occurred_on", "recorded_at", "actor_id", "note", "data"]
    conn.execute(insert(EVENT).from_select(cols, rows))


def _log_agenda_events(conn, meeting_id: int, title: str, now, today: date, actor_id: int | None) -> None:
    """One `agenda` event on each case put on the meeting's agenda just now."""
    agenda_events(conn, which=and_(AI.c.meeting_id == meeting_id, AI.c.created_at == now), event=AI.c.source,
                  note=title, data={"meeting_id": meeting_id}, now=now, today=today, actor_id=actor_id)


def _link_escalations(conn, meeting_id: int) -> None:
    """Point the pending meeting-level escalations of the cases now on the agenda at their item."""
    item = select(AI.c.id).where(AI.c.meeting_id == meeting_id, AI.c.case_id == ESC.c.case_id).scalar_subquery()
    on_agenda = select(AI.c.case_id).where(AI.c.meeting_id == meeting_id)
    conn.execute(update(ESC).where(ESC.c.level == "meeting", ESC.c.agenda_item_id.is_(None),
                                   ESC.c.case_id.in_(on_agenda)).values(agenda_item_id=item))


def not_on_agenda(meeting_id: int, case_id_col):
    """SQL: the case is not on the meeting's agenda yet."""
    taken = AI.alias("taken")
    return ~exists().where(taken.c.meeting_id == meeting_id, taken.c.case_id == case_id_col)


def still_relevant(item):
    """SQL: the unresolved agenda item `item` (AI or an alias) still belongs on an agenda (see the module doc).
    Its origin is the latest item of its case up to it that was not carried: by hand or from a stall."""
    origin = AI.alias("origin")
    came_from = (select(origin.c.source)
                 .where(origin.c.case_id == item.c.case_id, origin.c.id <= item.c.id, origin.c.source != "carried")
                 .order_by(origin.c.id.desc()).limit(1).scalar_subquery())
    c, esc = CASE.alias("relevant_case"), ESC.alias("relevant_esc")  # never correlated with a caller's own CASE
    open_case = exists().where(c.c.id == item.c.case_id, c.c.status != "closed")
    stalled_now = exists().where(c.c.id == item.c.case_id, c.c.status != "closed", exists().where(
        esc.c.case_id == c.c.id, esc.c.level == "meeting", esc.c.episode == c.c.episode))
    return or_(and_(came_from == "manual", open_case), stalled_now)


def _waits_after_closing(item, meeting):
    """SQL: `item`, on `meeting` (aliases of AI and M), is an unresolved item of a closed meeting that still
    matters, and its case has not been on a meeting since (a cancelled one aside): it waits, to be carried."""
    later = AI.alias("later")
    return and_(meeting.c.status == "closed", item.c.resolved_at.is_(None), still_relevant(item),
                ~exists().where(later.c.case_id == item.c.case_id, later.c.id > item.c.id,
                                not_cancelled(later.c.meeting_id)))


def _waits_after_cancelling(item, meeting):
    """SQL: `item` is an unresolved item of a cancelled `meeting` that still matters and is its case's latest
    item; the case is on no planned meeting, nor on one closed since the cancellation (which the cancelled
    agenda reached: an item of that case already there may be the older), and has no item waiting from a
    closed meeting (which carries it). Both `closed_at` are the real clock: their order is the order of events."""
    later, other, om, held, hm = AI.alias("later"), AI.alias("other"), M.alias("other_m"), AI.alias("held"), M.alias("held_m")
    reached = exists().where(other.c.case_id == item.c.case_id, om.c.id == other.c.meeting_id, or_(
        om.c.status == "planned", and_(om.c.status == "closed", om.c.closed_at > meeting.c.closed_at)))
    closed_waits = exists().where(held.c.case_id == item.c.case_id, hm.c.id == held.c.meeting_id,
                                  _waits_after_closing(held, hm))
    return and_(meeting.c.status == "cancelled", item.c.resolved_at.is_(None), still_relevant(item),
                ~exists().where(later.c.case_id == item.c.case_id, later.c.id > item.c.id), ~reached, ~closed_waits)


def waiting_items():
    """The agenda items by which a case waits for its park's next planned meeting: unresolved items of a closed
    meeting (carried with their count + 1) or of a cancelled one (with their count: it was not held); at most
    one per case. Columns: the item's, `park_id` (its meeting's park) and `times_on_agenda` on the next meeting."""
    old, om = AI.alias("old"), M.alias("om")
    return (select(old.c.id, old.c.case_id, old.c.reason, om.c.park_id,
                   (old.c.times_on_agenda + case((om.c.status == "closed", 1), else_=0)).label("times_on_agenda"))
            .select_from(old.join(om, om.c.id == old.c.meeting_id))
            .where(or_(_waits_after_closing(old, om), _waits_after_cancelling(old, om))))


def pull_pending(conn, meeting_id: int, park_id: int, now, lang: str) -> dict:
    """Put the park's pending items on a planned meeting: waiting items first (`waiting_items`), then escalations."""
    cols = ["meeting_id", "case_id", "reason", "source", "times_on_agenda", "created_at"]
    ts = literal(now, type_=M.c.created_at.type)
    w = waiting_items().subquery("waiting")
    carried = (
        select(literal(meeting_id), w.c.case_id, w.c.reason, literal("carried"), w.c.times_on_agenda, ts)
        .where(w.c.park_id == park_id, not_on_agenda(meeting_id, w.c.case_id))
    )
    n_carried = inserted(conn, insert(AI).from_select(cols, carried))
    escalated = (
        select(literal(meeting_id), ESC.c.case_id, stall_reason_sql(lang, ESC.c), literal("escalation"),
               times_on_agenda(ESC.c.case_id), ts)
        .join(CASE, CASE.c.id == ESC.c.case_id).join(ENT, ENT.c.id == CASE.c.enterprise_id)
        .where(ESC.c.level == "meeting", ESC.c.agenda_item_id.is_(None), ESC.c.episode == CASE.c.episode,
               CASE.c.status != "closed", ENT.c.park_id == park_id, not_on_agenda(meeting_id, ESC.c.case_id))
    )
    n_escalated = inserted(conn, insert(AI).from_select(cols, escalated))
    _link_escalations(conn, meeting_id)
    return {"carried": n_carried, "escalation": n_escalated}


def pending_by_park(conn) -> dict[str, int]:
    """Park code → the cases waiting for a meeting there: those a planned meeting would pull in (`pull_pending`):
    a pending meeting-level escalation (of the case's current episode, the case not closed), or an item waiting
    from a closed or cancelled meeting (`waiting_items`)."""
    escalated = (select(ESC.c.case_id, ENT.c.park_id)
                 .select_from(ESC).join(CASE, CASE.c.id == ESC.c.case_id).join(ENT, ENT.c.id == CASE.c.enterprise_id)
                 .where(ESC.c.level == "meeting", ESC.c.agenda_item_id.is_(None), ESC.c.episode == CASE.c.episode,
                        CASE.c.status != "closed"))
    w = waiting_items().subquery("waiting")
    pending = union(escalated, select(w.c.case_id, w.c.park_id)).subquery("pending")
    rows = conn.execute(
        select(PARK.c.code, func.count(func.distinct(pending.c.case_id)))
        .select_from(pending).join(PARK, PARK.c.id == pending.c.park_id)
        .group_by(PARK.c.code).order_by(PARK.c.code)
    )
    return {code: n for code, n in rows}


# ------------------------------------------------------------------------------------ commands
def meeting_start(ctx, on: datetime, advice: str) -> tuple[datetime, datetime]:
    """The UTC instant and the local date-time of a meeting at `on` (local time): refused when its day is past
    (`advice`, English marked with N_(), says what to do) or beyond the working-day calendar."""
    starts_at = to_utc(on, ctx.clock.tz)
    local = starts_at.astimezone(ctx.clock.tz)
    today = ctx.clock.today()
    if local.date() < today:
        raise InvalidInput(_("--on {on} is in the past (today is {today}): {advice}").format(
            on=f"{local:%Y-%m-%d %H:%M}", today=today.isoformat(), advice=_(advice)))
    check_within_calendar(local, "--on")
    return starts_at, local


def plan_meeting(ctx, *, on: datetime, place: str, title: str | None = None, park: str | None = None) -> dict:
    """Plan a meeting of a park (secretary or admin): its participants are the park's representatives,
    its agenda the park's pending escalations and unresolved items of earlier meetings."""
    if not place or not place.strip():
        raise InvalidInput(_("--place must say where the meeting is held"))
    tz = ctx.clock.tz
    starts_at, local = meeting_start(ctx, on, N_("plan a meeting from today on"))
    today = ctx.clock.today()
    with transaction(ctx.ready_engine) as conn:
        actor = require_actor(conn, ctx.actor_code)
        require_role(actor, N_("plan a meeting"), "secretary")
        if park:
            pid = park_id_of(conn, park)
        elif actor.park_id is not None:
            pid = actor.park_id
        else:
            raise InvalidInput(_("{code} belongs to no park: say which park's meeting with --park CODE").format(
                code=actor.code))
        require_secretary(conn, ctx, N_("plan a meeting"), pid)
        park_name = conn.execute(select(PARK.c.name).where(PARK.c.id == pid)).scalar_one()
        title = (title or "").strip() or default_title(ctx.lang, park_name, local.date())
        now = ctx.clock.now()
        mid = conn.execute(insert(M).values(park_id=pid, title=title, starts_at=starts_at, place=place.strip(),
                                            status="planned", created_at=now)).inserted_primary_key[0]
        invited = inserted(conn, insert(PART).from_select(
            ["meeting_id", "party", "name", "email"],
            select(literal(mid), REP.c.party, REP.c.name, REP.c.email).where(REP.c.park_id == pid).order_by(REP.c.id),
        ))
        pulled = pull_pending(conn, mid, pid, now, ctx.lang)
        _log_agenda_events(conn, mid, title, now, today, actor.id)
        m = load_meeting(conn, mid)
        warnings = day_off_warning(conn, pid, local.date())
    log.info("meeting %s planned for park %s with %s items", mid, m.park, sum(pulled.values()))
    return meeting_dict(m, tz, participants=invited, agenda_items=sum(pulled.values()), pulled_in=pulled,
                        warnings=warnings)


def day_off_warning(conn, park_id: int, day: date) -> list[str]:
    """A meeting on a day off of the park (a weekend, a public holiday) is most often a mistyped date: said, not
    refused (a meeting may be held on a Saturday)."""
    from workflow.calendar_store import federation_calendar, park_calendar, read_overrides

    fed, parks = read_overrides(conn)
    cal = park_calendar(fed, parks[park_id]) if park_id in parks else federation_calendar(fed)
    if cal.is_workday(day):
        return []
    return [_("{day} is not a working day (a weekend or a holiday): the meeting is planned all the same; check the "
              "date").format(day=day.isoformat())]


def list_meetings(ctx, *, park: str | None = None, status: str | None = None) -> list[dict]:
    counts = (
        select(AI.c.meeting_id, func.count().label("n_items"), func.count(AI.c.resolved_at).label("resolved"))
        .group_by(AI.c.meeting_id).subquery()
    )
    people = select(PART.c.meeting_id, func.count().label("n")).group_by(PART.c.meeting_id).subquery()
    q = (
        meeting_query().add_columns(func.coalesce(counts.c.n_items, 0).label("n_items"),
                                    func.coalesce(counts.c.resolved, 0).label("resolved"),
                                    func.coalesce(people.c.n, 0).label("participants"))
        .outerjoin(counts, counts.c.meeting_id == M.c.id).outerjoin(people, people.c.meeting_id == M.c.id)
        .order_by(M.c.starts_at, M.c.id)
    )
    if status:
        if status not in MEETING_STATUSES:
            raise InvalidInput(_("--status must be planned, closed or cancelled, not {status!r}").format(status=status))
        q = q.where(M.c.status == status)
    with reading(ctx.ready_engine) as conn:
        if park:
            q = q.where(M.c.park_id == park_id_of(conn, park))
        return [meeting_dict(r, ctx.clock.tz, items=r.n_items, resolved=r.resolved, participants=r.participants)
                for r in conn.execute(q)]


def add_item(ctx, meeting, ref: str, reason: str) -> dict:
    """Put one case on a planned meeting's agenda by hand."""
    if not reason or not reason.strip():
        raise InvalidInput(_("--reason must say why the meeting should discuss the case"))
    with transaction(ctx.ready_engine) as conn:
        m = load_meeting(conn, meeting)
        actor = require_secretary(conn, ctx, N_("add to the agenda"), m.park_id)
        require_planned(m, N_("add cases to a planned meeting"))
        c = load_case(conn, ref)
        if c.park_id != m.park_id:
            raise InvalidInput(_("case {id} ({uscc}) belongs to park {park}, not to park {meeting_park} of meeting "
                                  "{meeting}").format(id=c.id, uscc=c.uscc, park=c.park, meeting_park=m.park, meeting=m.id))
        if c.status == "closed":
            raise InvalidInput(_("case {id} ({uscc}) is closed: reopen it before putting it on an agenda").format(
                id=c.id, uscc=c.uscc))
        now = ctx.clock.now()
        times = conn.execute(select(times_on_agenda(literal(c.id)))).scalar_one()
        try:
            with conn.begin_nested():
                item_id = conn.execute(insert(AI).values(meeting_id=m.id, case_id=c.id, reason=reason.strip(), source="manual",
                                                         times_on_agenda=times, created_at=now)).inserted_primary_key[0]
        except IntegrityError:
            raise AlreadyExists(_("case {id} ({uscc}) is already on the agenda of meeting {meeting}").format(
                id=c.id, uscc=c.uscc, meeting=m.id)) from None
        _link_escalations(conn, m.id)
        _log_agenda_events(conn, m.id, m.title, now, ctx.clock.today(), actor.id)
    return {"meeting": m.id, "item": item_id, "case_id": c.id, "uscc": c.uscc, "enterprise": c.enterprise,
            "source": "manual", "times_on_agenda": times, "reason": reason.strip()}


def resolve(ctx, meeting, ref: str, decision: str, owner_party: str | None = None, due: date | None = None, *,
            clear_owner_party: bool = False, clear_due: bool = False) -> dict:
    """Record the meeting's decision on a case: on the agenda item and as a `resolution` on the case timeline.

    Resolving again amends the decision (the timeline keeps both): the owner party and the due day
    not given stay as they were, unless cleared (`clear_owner_party`, `clear_due`)."""
    if not decision or not decision.strip():
        raise InvalidInput(_("--decision must say what the meeting decided"))
    if (owner_party and clear_owner_party) or (due is not None and clear_due):
        raise InvalidInput(_("give a value or clear it, not both (--owner-party or --no-owner-party, --due or "
                             "--no-due)"))
    party = None
    if owner_party:
        party = parse_party(owner_party)
        if party is None:
            from workflow.vocabulary import PARTIES

            raise InvalidInput(_("--owner-party {party!r} is not one of the six parties: {parties}").format(
                party=owner_party, parties=", ".join(PARTIES)))
    today = ctx.clock.today()
    with transaction(ctx.ready_engine) as conn:
        m = load_meeting(conn, meeting)
        actor = require_secretary(conn, ctx, N_("record decisions"), m.park_id)
        require_planned(m, N_("record decisions of a planned meeting"))
        meeting_day = m.starts_at.astimezone(ctx.clock.tz).date()
        if meeting_day > today:  # as `close_meeting`: a decision is what a meeting that took place decided
            raise InvalidInput(_("meeting {id} is on {day}: its decisions can be recorded from that day on").format(
                id=m.id, day=meeting_day.isoformat()))
        c = load_case(conn, ref)
        item = conn.execute(select(AI.c.id, AI.c.resolved_at, AI.c.owner_party, AI.c.due_on, AI.c.decision)
                            .where(AI.c.meeting_id == m.id, AI.c.case_id == c.id)).first()
        if item is None:
            raise NotFound(_("case {id} ({uscc}) is not on the agenda of meeting {meeting}: add it with "
                              "`unionflow meeting add {meeting} {uscc} --reason TEXT`").format(
                id=c.id, uscc=c.uscc, meeting=m.id))
        if item.resolved_at is not None:  # an amendment keeps what it does not change
            party = party or (None if clear_owner_party else item.owner_party)
            due = due if due is not None else (None if clear_due else item.due_on)
        check_within_calendar(due, "--due")
        if due is not None and due < meeting_day:
            raise InvalidInput(_("--due {due} is before the meeting ({day})").format(
                due=due.isoformat(), day=meeting_day.isoformat()))
        now = ctx.clock.now()
        # Optimistic: a decision another secretary recorded since we read the item is not overwritten unseen.
        seen = AI.c.resolved_at.is_(None) if item.resolved_at is None else AI.c.resolved_at == item.resolved_at
        done = conn.execute(update(AI).where(AI.c.id == item.id, seen).values(
            decision=decision.strip(), owner_party=party, due_on=due, resolved_at=now))
        if done.rowcount != 1:
            raise Conflict(_("the decision on case {id} ({uscc}) was recorded meanwhile: nothing was written; look at "
                             "`unionflow meeting agenda {meeting} --format md` and amend it if need be").format(
                id=c.id, uscc=c.uscc, meeting=m.id))
        data = {"meeting_id": m.id, "owner_party": party, "due_on": due.isoformat() if due else None,
                "amended": item.resolved_at is not None}
        conn.execute(insert(EVENT).values(event_row(c.id, "resolution", min(meeting_day, today), now, actor.id,
                                                    event="meeting", from_status=c.status, to_status=c.status,
                                                    note=decision.strip(), data=data)))
    return {"meeting": m.id, "case_id": c.id, "uscc": c.uscc, "enterprise": c.enterprise, "decision": decision.strip(),
            "owner_party": party, "due_on": due.isoformat() if due else None, "amended": data["amended"],
            "previous_decision": item.decision if item.resolved_at is not None else None}


def close_meeting(ctx, meeting) -> dict:
    """Close a held meeting; carry its unresolved items to the park's next planned meeting (or leave them pending)."""
    today = ctx.clock.today()
    with transaction(ctx.ready_engine) as conn:
        m = load_meeting(conn, meeting)
        actor = require_secretary(conn, ctx, N_("close a meeting"), m.park_id)
        require_planned(m, N_("close a planned meeting"))
        day = m.starts_at.astimezone(ctx.clock.tz).date()
        if day > today:
            raise InvalidInput(_("meeting {id} is on {day}: it cannot be closed before it is held").format(
                id=m.id, day=day.isoformat()))
        now = ctx.clock.now()
        done = conn.execute(update(M).where(M.c.id == m.id, M.c.status == "planned").values(status="closed", closed_at=now))
        if done.rowcount != 1:
            raise InvalidInput(_("meeting {id} was closed meanwhile").format(id=m.id))
        nxt = conn.execute(
            select(M.c.id, M.c.title).where(M.c.park_id == m.park_id, M.c.status == "planned", M.c.starts_at > m.starts_at)
            .order_by(M.c.starts_at, M.c.id).limit(1)
        ).first()
        unresolved = and_(AI.c.meeting_id == m.id, AI.c.resolved_at.is_(None))
        total, left = conn.execute(select(func.count(), func.count(case((still_relevant(AI), 1))))
                                   .select_from(AI).where(unresolved)).one()
        carried = 0
        if nxt is not None:
            ts = literal(now, type_=M.c.created_at.type)
            rows = select(literal(nxt.id), AI.c.case_id, AI.c.reason, literal("carried"), AI.c.times_on_agenda + 1, ts).where(
                unresolved, still_relevant(AI), not_on_agenda(nxt.id, AI.c.case_id))
            carried = inserted(conn, insert(AI).from_select(
                ["meeting_id", "case_id", "reason", "source", "times_on_agenda", "created_at"], rows))
            # A case someone already put on the next meeting keeps its item, with the count brought up to date.
            prev = AI.alias("prev")
            prev_unresolved = and_(prev.c.meeting_id == m.id, prev.c.resolved_at.is_(None))
            bumped = select(prev.c.times_on_agenda + 1).where(prev_unresolved, prev.c.case_id == AI.c.case_id).scalar_subquery()
            conn.execute(update(AI).where(AI.c.meeting_id == nxt.id, AI.c.created_at != now,
                                          AI.c.case_id.in_(select(prev.c.case_id).where(prev_unresolved)))
                         .values(times_on_agenda=case((bumped > AI.c.times_on_agenda, bumped), else_=AI.c.times_on_agenda)))
            _log_agenda_events(conn, nxt.id, nxt.title, now, today, actor.id)
    log.info("meeting %s closed; %s unresolved items, %s carried to %s", m.id, left, carried, nxt.id if nxt else None)
    return {"meeting": m.id, "status": "closed", "unresolved": left, "carried": carried,
            "carried_to": nxt.id if nxt else None, "pending": 0 if nxt else left, "dropped": total - left}


def run_due_packets(ctx, as_of: date | None = None, *, system: bool = False) -> dict:
    """The scheduler job (`system`): send the packets of meetings that are `[scheduler] packet_days_before`
    working days away (see workflow.packet_job)."""
    from workflow.packet_job import run_due_packets as run

    return run(ctx, as_of, system=system)
