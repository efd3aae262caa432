"""Escalation emails, agenda-packet emails, and the outbox run — the engine's side of notifications.

Who hears about what (DOMAIN.md, escalation ladder):
  remind, next_action → the responsible cadre
  overdue             → the cadre, copy to the cadre's supervisor
  meeting             → the meeting secretaries of the case's park (all secretaries if the park has none)

Digest mode (`[mail] digest = true`, the default): one email per recipient per day, key
`digest:{email}:{as_of}`, listing all their items grouped by level and sorted by urgency (working days
over the allowance). A second sweep on the same day with nothing new sends nothing (same key). If it
finds new items (e.g. after a registry import), it queues a *supplementary* digest
`digest:{email}:{as_of}:{n}` listing only the items the earlier digests of that day did not: each
digest records the items it reported in the outbox row's `refs`. Per-event mode: one message per
escalation and recipient, key `esc:{escalation_id}:{email}`.

Items come from `ITEM_SOURCES`: each is a function (as_of) → a SELECT with the columns of `ITEM_COLUMNS`.
Due meeting resolutions (the meetings issue) plug in here as one more source with its own item keys
(`res:{agenda_item_id}`); the digest templates already group by `level`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import date
from itertools import groupby

from sqlalchemy import and_, exists, literal, or_, select, union_all

from workflow.models import AgendaItem, Cadre, Enterprise, Escalation, FoundingCase, Meeting, Park

log = logging.getLogger(__name__)

ESC = Escalation.__table__
CASE = FoundingCase.__table__
ENT = Enterprise.__table__
PARK = Park.__table__
CADRE = Cadre.__table__
MEETING = Meeting.__table__
AGENDA = AgendaItem.__table__

LEVEL_ORDER = ("meeting", "overdue", "remind", "next_action")
TEMPLATE_FOR_LEVEL = {"remind": "reminder", "next_action": "reminder", "overdue": "overdue", "meeting": "meeting"}
NEXT_STEP = {
    "prospect": "unionflow case contact {uscc} --person NAME",
    "contacted": "unionflow case prepare {uscc} --mode standalone|joint",
    "preparatory": "unionflow case found {uscc} --congress-on DATE --approval-ref REF --chair NAME",
    "founded": "unionflow case activate {uscc} --legal-cert REF",
}
FOLLOW_UP = "unionflow case log {uscc} --kind visit --note TEXT --next-action DATE"
BATCH = 500


def mail_settings(ctx) -> dict:
    """The [mail] section with [mail.smtp] under "smtp", as `notifications.transports` takes it."""
    return {**ctx.config.section("mail"), "smtp": ctx.config.section("mail.smtp")}


def user_templates_dir():
    from workflow.config import user_dir

    return user_dir() / "templates" / "email"


def advance_command(status: str, uscc: str, level: str) -> str:
    """The command that moves the case on (or logs the follow-up that is due)."""
    pattern = FOLLOW_UP if level == "next_action" else NEXT_STEP.get(status, FOLLOW_UP)
    return pattern.format(uscc=uscc)


# ----------------------------------------------------------------------------------------- items
def _escalation_items(as_of: date):
    """(recipient, role to|cc, item) rows for the escalations recorded for `as_of`, one SELECT per route."""
    cadre, sup, sec, sec2 = CADRE.alias("cadre"), CADRE.alias("sup"), CADRE.alias("sec"), CADRE.alias("sec2")
    base_cols = [
        literal("esc").label("source"), ESC.c.id.label("ref_id"), ESC.c.case_id, ESC.c.level, ESC.c.status,
        ESC.c.working_days, ESC.c.allowed, ENT.c.uscc, ENT.c.name.label("enterprise"), PARK.c.code.label("park"),
        PARK.c.name.label("park_name"), cadre.c.code.label("cadre_code"), cadre.c.name.label("cadre_name"),
        sup.c.name.label("supervisor_name"), ESC.c.due_on,
    ]
    # Only escalations of the case's current stay in its status: a case that moved on is not stalled.
    joined = (
        ESC.join(CASE, and_(CASE.c.id == ESC.c.case_id, CASE.c.episode == ESC.c.episode,
                            CASE.c.status == ESC.c.status))
        .join(ENT, ENT.c.id == CASE.c.enterprise_id)
        .join(PARK, PARK.c.id == ENT.c.park_id)
        .outerjoin(cadre, cadre.c.id == CASE.c.cadre_id)
        .outerjoin(sup, sup.c.id == cadre.c.supervisor_id)
    )
    day = ESC.c.as_of == as_of

    def route(who, role, *where, frm=joined):
        return select(who.c.email.label("email"), who.c.name.label("name"), literal(role).label("role"),
                      *base_cols).select_from(frm).where(day, who.c.active.is_(True), *where)

    to_cadre = route(cadre, "to", ESC.c.level.in_(("remind", "overdue", "next_action")))
    cc_supervisor = route(sup, "cc", ESC.c.level == "overdue")
    park_has_secretary = exists().where(sec2.c.role == "secretary", sec2.c.active.is_(True),
                                        sec2.c.park_id == ENT.c.park_id)
    to_secretary = route(sec, "to", ESC.c.level == "meeting",
                         or_(sec.c.park_id == ENT.c.park_id, ~park_has_secretary),
                         frm=joined.join(sec, sec.c.role == "secretary"))
    return [to_cadre, cc_supervisor, to_secretary]


# Add due resolutions here (a function returning SELECTs with the same columns; source "res").
ITEM_SOURCES = [_escalation_items]


def _items(conn, as_of: date, order_by_recipient: bool) -> Iterator[dict]:
    q = union_all(*(s for source in ITEM_SOURCES for s in source(as_of))).subquery()
    over = q.c.working_days - q.c.allowed
    order = [q.c.email, over.desc(), q.c.uscc, q.c.level] if order_by_recipient else [q.c.ref_id, q.c.role.desc(),
                                                                                         q.c.email]
    stmt = select(q).order_by(*order).execution_options(yield_per=1000)
    for row in conn.execute(stmt):
        item = dict(row._mapping)
        item["key"] = f"{item['source']}:{item['ref_id']}"
        item["over"] = item["working_days"] - item["allowed"]
        item["command"] = advance_command(item["status"], item["uscc"], item["level"])
        yield item


def _public(item: dict) -> dict:
    """What a template sees of an item (plain data)."""
    keys = ("case_id", "uscc", "enterprise", "park", "park_name", "status", "level", "working_days", "allowed",
            "over", "cadre_code", "cadre_name", "supervisor_name", "command")
    out = {k: item[k] for k in keys}
    out["due_on"] = item["due_on"].isoformat() if item["due_on"] else None
    return out


# ----------------------------------------------------------------------------------------- queueing
def queue_escalation_messages(conn, ctx, as_of) -> int:
    """Queue the emails for the escalations recorded for `as_of`, in the caller's transaction.

    Returns how many new messages were queued (0 when a previous run already queued them).
    """
    if ctx.config.get("mail", "digest"):
        return _queue_digests(conn, ctx, as_of)
    return _queue_per_event(conn, ctx, as_of)


def _flush(conn, pending: list) -> int:
    from notifications.outbox import enqueue_many

    n = enqueue_many(conn, pending)
    pending.clear()
    return n


def _queue_per_event(conn, ctx, as_of) -> int:
    from notifications.compose import render
    from notifications.outbox import message_values

    now, lang, tdir = ctx.clock.now(), ctx.lang, user_templates_dir()
    queued, pending = 0, []
    for _ref, rows in groupby(_items(conn, as_of, order_by_recipient=False), key=lambda r: r["key"]):
        rows = list(rows)
        cc = [{"name": r["name"], "email": r["email"]} for r in rows if r["role"] == "cc"]
        for r in (r for r in rows if r["role"] == "to"):
            recipient = {"name": r["name"], "email": r["email"]}
            data = {"recipient": recipient, "item": _public(r), "as_of": as_of.isoformat(), "cc": cc}
            out = render(TEMPLATE_FOR_LEVEL[r["level"]], data, lang, tdir)
            pending.append(message_values(
                key=f"{r['key']}:{r['email']}", kind=r["level"], to=[recipient], cc=cc, subject=out.subject,
                text_body=out.text, html_body=out.html, now=now, refs={"items": [r["key"]]}))
            if len(pending) >= BATCH:
                queued += _flush(conn, pending)
    queued += _flush(conn, pending)
    log.info("queued %d escalation emails for %s", queued, as_of)
    return queued


def _digests_of_day(conn, topic: str) -> dict[str, dict]:
    """Per recipient: the items the day's earlier digests reported and how many digests there are."""
    from notifications.outbox import T as OUTBOX

    seen: dict[str, dict] = {}
    for refs, in conn.execute(select(OUTBOX.c.refs).where(OUTBOX.c.topic == topic)):
        entry = seen.setdefault((refs or {}).get("recipient", ""), {"items": set(), "count": 0})
        entry["items"].update((refs or {}).get("items", ()))
        entry["count"] += 1
    return seen


def _one_per_case(rows: list[dict]) -> list[dict]:
    """A case that reached several levels at once is listed once, under the highest (order kept)."""
    best: dict[int, dict] = {}
    for r in rows:
        cur = best.get(r["case_id"])
        if cur is None or LEVEL_ORDER.index(r["level"]) < LEVEL_ORDER.index(cur["level"]):
            best[r["case_id"]] = r
    return [r for r in rows if best[r["case_id"]] is r]


def _queue_digests(conn, ctx, as_of) -> int:
    from notifications.compose import render
    from notifications.outbox import message_values

    now, lang, tdir = ctx.clock.now(), ctx.lang, user_templates_dir()
    topic = f"digest:{as_of.isoformat()}"
    earlier = _digests_of_day(conn, topic)
    queued, pending = 0, []
    for email, rows in groupby(_items(conn, as_of, order_by_recipient=True), key=lambda r: r["email"]):
        rows = list(rows)
        before = earlier.get(email, {"items": set(), "count": 0})
        new = [r for r in rows if r["key"] not in before["items"]]
        if not new:
            continue
        recipient = {"name": rows[0]["name"], "email": email}
        n = before["count"] + 1
        shown = _one_per_case(new)
        data = {
            "recipient": recipient, "as_of": as_of.isoformat(), "supplement": n > 1, "count": len(shown),
            "groups": [{"level": level, "cases": [_public(r) for r in shown if r["level"] == level]}
                       for level in LEVEL_ORDER if any(r["level"] == level for r in shown)],
        }
        out = render("digest", data, lang, tdir)
        key = f"digest:{email}:{as_of.isoformat()}" + (f":{n}" if n > 1 else "")
        pending.append(message_values(
            key=key, kind="digest", to=[recipient], subject=out.subject, text_body=out.text, html_body=out.html,
            now=now, topic=topic, refs={"recipient": email, "items": sorted({r["key"] for r in new})}))
        if len(pending) >= BATCH:
            queued += _flush(conn, pending)
    queued += _flush(conn, pending)
    log.info("queued %d digests for %s", queued, as_of)
    return queued


def queue_packet(conn, ctx, meeting_id: int, attachments, recipients, *, note: str | None = None,
                 key: str | None = None) -> bool:
    """Queue the agenda packet of a meeting, in the caller's transaction; False if already queued.

    attachments: paths, (filename, bytes[, content_type]) tuples or dicts; the bytes are stored in the
    outbox, so the files may be deleted afterwards. recipients: 'a@b.org', 'Name <a@b.org>',
    (name, email) or {'name', 'email'} — typically the park's secretaries and the meeting's
    participants; one message to all of them. key: default `packet:{meeting_id}`; pass e.g.
    `packet:{meeting_id}:2` to send a revised packet.
    """
    from notifications.compose import render
    from notifications.message import mailbox
    from notifications.outbox import enqueue, stored_attachment

    row = conn.execute(
        select(MEETING.c.id, MEETING.c.title, MEETING.c.starts_at, MEETING.c.place, PARK.c.code.label("park"),
               PARK.c.name.label("park_name"))
        .join(PARK, PARK.c.id == MEETING.c.park_id).where(MEETING.c.id == meeting_id)
    ).first()
    if row is None:
        from workflow.errors import NotFound

        raise NotFound(f"no meeting with id {meeting_id}")
    boxes, seen = [], set()
    for r in recipients:
        box = mailbox(r)
        if box["email"].lower() not in seen:
            seen.add(box["email"].lower())
            boxes.append(box)
    stored = [stored_attachment(a) for a in attachments]
    meeting = dict(row._mapping)
    meeting["starts_at"] = ctx.clock.local(meeting["starts_at"]).strftime("%Y-%m-%d %H:%M")
    data = {"meeting": meeting, "note": note or "", "attachments": [a["filename"] for a in stored],
            "recipients": boxes}
    out = render("packet", data, ctx.lang, user_templates_dir())
    return enqueue(conn, key=key or f"packet:{meeting_id}", kind="packet", to=boxes, subject=out.subject,
                   text_body=out.text, html_body=out.html, attachments=stored, now=ctx.clock.now())


# ----------------------------------------------------------------------------------------- sending
def run_outbox(ctx, limit=None) -> dict:
    """Send what is due in the outbox through the configured transport (the scheduler calls this every minute)."""
    from notifications.outbox import send_batch
    from notifications.transports import TransportConfigError, transport_from_config
    from workflow.errors import ConfigError

    settings = mail_settings(ctx)
    try:
        transport = transport_from_config(settings)
    except TransportConfigError as exc:
        raise ConfigError(str(exc)) from exc
    result = send_batch(ctx.ready_engine, transport, limit, ctx.clock.now, int(settings["max_attempts"]),
                        float(settings["backoff_seconds"]))
    result["transport"] = settings["transport"]
    log.info("outbox: %(sent)d sent, %(retried)d to retry, %(failed)d failed", result)
    return result


def list_outbox(ctx, status: str | None = None, limit: int | None = None) -> list[dict]:
    from notifications.outbox import OUTBOX_STATUSES, list_messages
    from workflow.db import reading
    from workflow.errors import InvalidInput

    if status and status not in OUTBOX_STATUSES:
        raise InvalidInput(f"--status must be one of {', '.join(OUTBOX_STATUSES)}")
    with reading(ctx.ready_engine) as conn:
        return list_messages(conn, status, limit)
