"""Changing a planned six-party joint meeting: moving it to another day or place, calling it off.

- `move_meeting`: a new date-time (and place); the agenda and the participants stay. A title the
  system gave the meeting names its day, so it is given anew for the new day. If the agenda packet
  has gone out, a revised packet goes out at once, in the same transaction (workflow.packet_job).
- `cancel_meeting`: the meeting is kept, `cancelled`, with its agenda (what it was to discuss). Every
  case on that agenda that still belongs on one (`still_relevant`, as for carrying over) goes to the
  park's next planned meeting (the earliest from today on, as the sweep finds it) at once, as a
  `carried` item that keeps its count: a meeting not held is not counted in `times_on_agenda`, and
  an item a planned meeting got after this one (which counted it) counts one less. With none
  planned, the case waits and the next `meeting plan` pulls it in (workflow.meetings,
  `waiting_items`). A meeting with a decision recorded was held: it is closed, not cancelled.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import and_, case, exists, func, insert, literal, select, update

from templates.i18n import N_, _
from workflow.db import transaction
from workflow.errors import Conflict, InvalidInput
from workflow.meetings import (
    agenda_events,
    day_off_warning,
    inserted,
    load_meeting,
    meeting_dict,
    meeting_start,
    not_on_agenda,
    require_planned,
    require_secretary,
    still_relevant,
)
from workflow.tables import AI
from workflow.tables import MEETING as M
from workflow.timeline_text import cancel_note, default_title, meeting_title

log = logging.getLogger(__name__)


def _refuse_if_decided(conn, m, doing: str) -> None:
    """A meeting with a decision recorded was held: `doing` (English marked with N_()) is refused."""
    decided = conn.execute(select(func.count()).select_from(AI).where(AI.c.meeting_id == m.id,
                                                                      AI.c.resolved_at.isnot(None))).scalar()
    if decided:
        raise InvalidInput(_("meeting {id} has decisions recorded on {n} case(s): it was held and cannot {doing}; "
                             "close it with `unionflow meeting close {id}` (its undecided cases go to the next meeting)"
                             ).format(id=m.id, n=decided, doing=_(doing)))


def _title_for(m, day, tz) -> str:
    """The title a moved meeting keeps: one the system gave it names the old day, so it is made for the new one."""
    old_day = m.starts_at.astimezone(tz).date()
    for lang in ("zh", "en"):
        if m.title == default_title(lang, m.park_name, old_day):
            return default_title(lang, m.park_name, day)
    return m.title


def move_meeting(ctx, meeting, *, on: datetime, place: str | None = None) -> dict:
    """Reschedule a planned meeting (a secretary of its park, or an admin); see the module doc."""
    if place is not None and not place.strip():
        raise InvalidInput(_("--place must say where the meeting is held"))
    tz = ctx.clock.tz
    starts_at, local = meeting_start(ctx, on, N_("move the meeting to a day from today on"))
    with transaction(ctx.ready_engine) as conn:
        m = load_meeting(conn, meeting)
        require_secretary(conn, ctx, N_("move a meeting"), m.park_id)
        require_planned(m, N_("move a planned meeting"))
        _refuse_if_decided(conn, m, N_("be moved"))
        new_place = place.strip() if place is not None else m.place
        if starts_at == m.starts_at and new_place == m.place:
            raise InvalidInput(_("meeting {id} is already on {on} at {place}: nothing to move").format(
                id=m.id, on=f"{local:%Y-%m-%d %H:%M}", place=m.place))
        done = conn.execute(update(M).where(M.c.id == m.id, M.c.status == "planned", M.c.starts_at == m.starts_at,
                                            M.c.place == m.place)
                            .values(starts_at=starts_at, place=new_place, title=_title_for(m, local.date(), tz)))
        if done.rowcount != 1:
            raise Conflict(_("meeting {id} was changed meanwhile: nothing was written; look at `unionflow meeting "
                             "list` and try again").format(id=m.id))
        revised = None
        if m.packet_sent_at is not None:  # the participants have the old date: they hear of the new one now
            from workflow.packet_job import queue_revised_packet

            revised = queue_revised_packet(conn, ctx, m.id, {"starts_at": m.starts_at, "place": m.place})
        moved = load_meeting(conn, m.id)
        items = conn.execute(select(func.count()).select_from(AI).where(AI.c.meeting_id == m.id)).scalar()
        warnings = day_off_warning(conn, m.park_id, local.date())
    if revised is not None and not revised["queued"]:
        warnings.append(_("the agenda packet of meeting {id} had been sent, but nobody can be told of the new date: the "
                          "park has no active secretary and no participant has an email").format(id=m.id))
    log.info("meeting %s moved from %s to %s", m.id, m.starts_at, starts_at)
    return meeting_dict(moved, tz, previous_starts_at=m.starts_at.astimezone(tz).isoformat(timespec="minutes"),
                        previous_place=m.place, agenda_items=items, warnings=warnings, revised_packet=revised)


def cancel_meeting(ctx, meeting) -> dict:
    """Call off a planned meeting (a secretary of its park, or an admin); see the module doc."""
    tz, today = ctx.clock.tz, ctx.clock.today()
    with transaction(ctx.ready_engine) as conn:
        m = load_meeting(conn, meeting)
        actor = require_secretary(conn, ctx, N_("cancel a meeting"), m.park_id)
        require_planned(m, N_("cancel a planned meeting"))
        _refuse_if_decided(conn, m, N_("be cancelled"))
        now = ctx.clock.now()
        done = conn.execute(update(M).where(M.c.id == m.id, M.c.status == "planned")
                            .values(status="cancelled", closed_at=now))
        if done.rowcount != 1:
            raise Conflict(_("meeting {id} was closed or cancelled meanwhile: nothing was written (see `unionflow "
                             "meeting list`)").format(id=m.id))
        # The next meeting from today on, as the sweep finds it for an escalation.
        from_today = literal(ctx.clock.start_of(today), M.c.starts_at.type)
        nxt = conn.execute(
            select(M.c.id, M.c.title, M.c.starts_at).where(M.c.park_id == m.park_id, M.c.status == "planned",
                                                           M.c.starts_at >= from_today)
            .order_by(M.c.starts_at, M.c.id).limit(1)
        ).first()
        on_agenda = AI.c.meeting_id == m.id
        total, relevant = conn.execute(select(func.count(), func.count(case((still_relevant(AI), 1))))
                                       .select_from(AI).where(on_agenda)).one()
        moved = 0
        if nxt is not None:  # as a carried item that keeps its count: this meeting was not held
            rows = select(literal(nxt.id), AI.c.case_id, AI.c.reason, literal("carried"), AI.c.times_on_agenda,
                          literal(now, type_=AI.c.created_at.type)).where(
                on_agenda, still_relevant(AI), not_on_agenda(nxt.id, AI.c.case_id))
            moved = inserted(conn, insert(AI).from_select(
                ["meeting_id", "case_id", "reason", "source", "times_on_agenda", "created_at"], rows))
        _uncount(conn, m.id)
        title = meeting_title(m.title, m.park_name, m.starts_at.astimezone(tz).date(), ctx.lang)
        next_title = (meeting_title(nxt.title, m.park_name, nxt.starts_at.astimezone(tz).date(), ctx.lang)
                      if nxt is not None else None)
        went = "moved" if nxt is not None else "waiting"
        for outcome, which in ((went, still_relevant(AI)), ("dropped", ~still_relevant(AI))):
            _log_cancel_events(conn, m.id, outcome, nxt.id if nxt is not None else None,
                               cancel_note(ctx.lang, title, outcome, next_title), which, now, today, actor.id)
        cancelled = load_meeting(conn, m.id)
    log.info("meeting %s cancelled; %s of %s items to %s", m.id, relevant, total, nxt.id if nxt else "wait")
    return meeting_dict(cancelled, tz, agenda_items=total, moved_to=nxt.id if nxt is not None else None,
                        moved=relevant if nxt is not None else 0, added_to_next=moved,
                        waiting=0 if nxt is not None else relevant, dropped=total - relevant)


def _uncount(conn, meeting_id: int) -> None:
    """An item put on a planned meeting after the case was put on this one counted it (`times_on_agenda` counts the
    case's earlier items): once this one is cancelled, it counts one less. A carried item keeps its count: it is
    its closed meeting's count + 1."""
    was, planned = AI.alias("was"), M.alias("planned")
    conn.execute(update(AI).where(
        AI.c.meeting_id.in_(select(planned.c.id).where(planned.c.status == "planned")), AI.c.source != "carried",
        exists().where(was.c.meeting_id == meeting_id, was.c.case_id == AI.c.case_id, was.c.id < AI.c.id),
    ).values(times_on_agenda=case((AI.c.times_on_agenda > 1, AI.c.times_on_agenda - 1), else_=1)))


def _log_cancel_events(conn, meeting_id: int, outcome: str, moved_to: int | None, note: str, which, now, today,
                       actor_id: int) -> None:
    """One `agenda` event (event `cancelled`) on each case of the cancelled meeting's agenda that `which` selects;
    its data say where the case went, so a reader sees the note in their language."""
    agenda_events(conn, which=and_(AI.c.meeting_id == meeting_id, which), event=literal("cancelled"), note=note,
                  data={"meeting_id": meeting_id, "cancelled": True, "outcome": outcome, "moved_to": moved_to},
                  now=now, today=today, actor_id=actor_id)
