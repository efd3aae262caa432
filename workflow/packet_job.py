"""The scheduler job that sends each planned meeting its agenda packet, `[scheduler] packet_days_before`
working days ahead (HTML and DOCX attached, the Markdown as the text), through the outbox.

Idempotent and safe in two processes: a meeting is claimed by `UPDATE … SET packet_sent_at WHERE
packet_sent_at IS NULL` in the same transaction that queues the message (outbox key `packet:{id}`),
so it is sent once; a meeting whose packet fails to render is logged, left unsent, and retried on the
next run while the others go out.

A meeting moved after its packet went out (`meeting move`) gets a revised packet at once, in the
transaction that moves it (`queue_revised_packet`, key `packet:{id}:2`, `:3` …): the participants
must learn the new date now, not a few days before it.

The scheduler runs it as the system; from the command line it needs a secretary (who sends the
packets of their own park's meetings) or an admin, and never for a day after today.
"""

from __future__ import annotations

import logging
from datetime import date

from sqlalchemy import select, update

from templates.i18n import N_, _
from workflow.db import reading, transaction
from workflow.errors import InvalidInput, WorkflowError
from workflow.meetings import load_meeting
from workflow.packet import build_packet, calendar
from workflow.permissions import require_actor, require_role
from workflow.tables import CADRE, PART
from workflow.tables import MEETING as M

log = logging.getLogger(__name__)


def due_meetings(conn, as_of: date, days_before: int, tz, park_id: int | None = None) -> list[int]:
    """Planned meetings without a packet, held from `as_of` on, at most `days_before` working days ahead
    (of one park if `park_id`)."""
    cal = calendar(conn)
    q = select(M.c.id, M.c.starts_at).where(M.c.status == "planned", M.c.packet_sent_at.is_(None))
    if park_id is not None:
        q = q.where(M.c.park_id == park_id)
    rows = conn.execute(q.order_by(M.c.starts_at, M.c.id)).all()
    due = []
    for mid, starts_at in rows:  # planned meetings are few: a handful per park
        day = starts_at.astimezone(tz).date()
        # A day past the calendar's end (an old mistyped year) is years away: not due, and not a crash.
        if as_of <= day <= cal.end and cal.workdays_after(as_of, day) <= days_before:
            due.append(mid)
    return due


def recipients(conn, meeting_id: int, park_id: int) -> list[dict]:
    """The park's active secretaries, then the meeting's participants with an email address."""
    secs = conn.execute(select(CADRE.c.name, CADRE.c.email).where(CADRE.c.role == "secretary", CADRE.c.active.is_(True),
                                                                  CADRE.c.park_id == park_id).order_by(CADRE.c.code))
    people = conn.execute(select(PART.c.name, PART.c.email).where(PART.c.meeting_id == meeting_id, PART.c.email.isnot(None))
                          .order_by(PART.c.id))
    return [{"name": r.name, "email": r.email} for r in (*secs, *people) if r.email]


def packet_files(packet: dict) -> list[tuple[str, bytes, str]]:
    from workflow.packet_docx import render_docx
    from workflow.packet_render import render_html

    stem = f"meeting-{packet['meeting']['id']}-{packet['meeting']['starts_at'][:10]}"
    return [
        (f"{stem}.html", render_html(packet).encode("utf-8"), "text/html"),
        (f"{stem}.docx", render_docx(packet),
         "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ]


def queue_revised_packet(conn, ctx, meeting_id: int, previous: dict) -> dict:
    """Queue the revised packet of a meeting just moved, in the caller's transaction (it sees the new date and
    place), under the meeting's next packet key; `previous`: its former `starts_at` and `place`, which the email
    names. The packet is as of today. Returns `queued`, `key` and `recipients` (nobody to tell: not queued)."""
    from workflow.mailing import next_packet_key, queue_packet
    from workflow.packet import gather

    today = ctx.clock.today()
    m = load_meeting(conn, meeting_id)
    to = recipients(conn, meeting_id, m.park_id)
    if not to:
        return {"queued": False, "key": None, "recipients": []}
    key = next_packet_key(conn, meeting_id)
    try:
        files = packet_files(gather(conn, meeting_id, as_of=today, config=ctx.config, lang=ctx.lang, tz=ctx.clock.tz,
                                    today=today))
        queue_packet(conn, ctx, meeting_id, files, to, key=key, previous=previous)
    except WorkflowError as exc:  # e.g. a broken user template: the move waits until a packet can be made
        raise InvalidInput(_("meeting {id} was not moved: its packet had been sent, and the revised one could not be "
                             "made: {error}").format(id=meeting_id, error=exc)) from None
    conn.execute(update(M).where(M.c.id == meeting_id).values(packet_sent_at=ctx.clock.now()))
    log.info("revised packet of meeting %s queued (%s) for %d recipients", meeting_id, key, len(to))
    return {"queued": True, "key": key, "recipients": [r["email"] for r in to]}


def run_due_packets(ctx, as_of: date | None = None, *, system: bool = False) -> dict:
    """Render and queue the packets that are due; returns what was sent, skipped and failed.

    `system`: the scheduler's job; otherwise the acting user must be a secretary (their park's
    meetings) or an admin."""
    try:
        from workflow.mailing import queue_packet
    except ImportError:  # the email side is not installed in this build: send nothing, mark nothing
        queue_packet = None
    today = ctx.clock.today()
    as_of = as_of or today
    if as_of > today:
        raise InvalidInput(_("--as-of {as_of} is in the future (today is {today}): packets go out when their "
                             "meeting is near, not ahead of time").format(as_of=as_of.isoformat(),
                                                                          today=today.isoformat()))
    days_before = int(ctx.config.get("scheduler", "packet_days_before"))
    with reading(ctx.ready_engine) as conn:
        park_id = None
        if not system:
            actor = require_actor(conn, ctx.actor_code)
            require_role(actor, N_("send the agenda packets"), "secretary")
            park_id = actor.park_id if actor.role == "secretary" else None
        due = due_meetings(conn, as_of, days_before, ctx.clock.tz, park_id)
    result = {"as_of": as_of.isoformat(), "due": due, "sent": [], "failed": [], "recipients": {}}
    if queue_packet is None:
        log.warning("workflow.mailing.queue_packet is not available: %d packets not sent", len(due))
        result["failed"] = [{"meeting": mid, "error": "email (workflow.mailing) is not available"} for mid in due]
        return result
    for mid in due:
        try:
            packet = build_packet(ctx, mid, as_of=as_of)
            files = packet_files(packet)
            with transaction(ctx.engine) as conn:
                m = load_meeting(conn, mid)
                claimed = conn.execute(update(M).where(M.c.id == mid, M.c.status == "planned", M.c.packet_sent_at.is_(None))
                                       .values(packet_sent_at=ctx.clock.now())).rowcount
                if not claimed:
                    continue  # another process sent it meanwhile, or the meeting was closed
                to = recipients(conn, mid, m.park_id)
                if not to:
                    raise InvalidInput(_("nobody to send it to: the park has no secretary and no participant has "
                                         "an email"))
                queue_packet(conn, ctx, mid, files, to)
            result["sent"].append(mid)
            result["recipients"][mid] = [r["email"] for r in to]
            log.info("packet of meeting %s queued for %d recipients", mid, len(to))
        except WorkflowError as exc:  # e.g. a broken user template: said, not a traceback
            log.info("packet of meeting %s not sent: %s", mid, exc)  # in `failed`: the caller says it
            result["failed"].append({"meeting": mid, "error": str(exc)})
        except Exception as exc:  # noqa: BLE001 - one meeting's failure must not stop the others
            log.exception("packet of meeting %s not sent", mid)
            result["failed"].append({"meeting": mid, "error": str(exc)})
    return result


