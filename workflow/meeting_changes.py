"""Changing a planned six-party joint meeting: moving it to another day or place, calling it off.

- `move_meeting`: a new date-time (and place); the agenda and the participants stay. A title the
  system gave the meeting names its day, so it is given anew for the new day. If the agenda packet
  has gone out, a revised packet goes out at once, in the same transaction (workflow.packet_job).
- `cancel_meeting`: the meeting is kept, `cancelled`, with its agenda (what it was to discuss). Every
  case on that agenda that still belongs on one (`still_relevant`, as for carrying over) goes to the
  park's next planned meeting (the earliest starting after now) at once, as a `carried` item that
  keeps its count (a meeting not held is not counted: `times_on_agenda` counts meetings held or
  planned); with none planned it waits, and the next `meeting plan` pulls it in (see
  workflow.meetings, "waiting"). A meeting with a decision recorded was held: it is closed, not
  cancelled.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import func, select, update

from templates.i18n import N_, _
from workflow.cases import check_within_calendar
from workflow.db import transaction
from workflow.errors import Conflict, InvalidInput
from workflow.meetings import (
    day_off_warning,
    load_meeting,
    meeting_dict,
    require_planned,
    require_secretary,
    to_utc,
)
from workflow.tables import AI
from workflow.tables import MEETING as M
from workflow.timeline_text import default_title

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
    starts_at = to_utc(on, tz)
    local = starts_at.astimezone(tz)
    today = ctx.clock.today()
    if local.date() < today:
        raise InvalidInput(_("--on {on} is in the past (today is {today}): move the meeting to a day from today "
                             "on").format(on=f"{local:%Y-%m-%d %H:%M}", today=today.isoformat()))
    check_within_calendar(local, "--on")
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
