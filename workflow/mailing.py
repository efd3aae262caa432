"""Escalation emails, agenda-packet emails, and the outbox run — the engine's side of notifications.

Who hears about what (DOMAIN.md, escalation ladder):
  remind, next_action → the responsible cadre
  overdue             → the cadre, copy to the cadre's supervisor
  meeting             → the cadre too (their case goes to the joint meeting), copy to the supervisor
  (a case with no cadre: remind, next_action and overdue go to the park's supervisors, or to every
  admin if the park has none, with the command that assigns the case as the next step)
  meeting             → the meeting secretaries of the case's park (all secretaries if the park has none)
  resolution          → the cadre and those secretaries: a due decision of the joint meeting, on its due
                        day and then about weekly while undone (see workflow.mail_resolutions)

Digest mode (`[mail] digest = true`, the default): one email per recipient per day, key
`digest:{email}:{as_of}`, listing their cases grouped by level (meeting, overdue, due decisions, remind,
follow-up) and sorted by urgency (working days over the allowance, or past the decision's due day); a
case that reached several levels at once is listed once, under the highest. A due decision is another
kind of item (source "res"), so a case can be listed both for its decision and for a stall level. At
most DIGEST_LIMIT cases are listed, the rest counted with the command that lists them all — ranked in
SQL, so a first sweep over a million cases stays cheap.

The same day again: a second sweep that recorded nothing new sends nothing. One that recorded new
escalations (e.g. after a registry import) queues a *supplementary* digest `digest:{email}:{as_of}:{n}`
to each recipient of new items, listing only those: every digest stores in `refs["through"]` the
highest escalation id of the day it covers (sweeps are serialised, so ids grow from one to the next),
and for decisions the highest case_event id (a decision recorded or amended since is new).
A recipient who appears later (a new secretary) is told only about items recorded after that.

Per-event mode (`digest = false`): one message per escalation and recipient, key
`esc:{escalation_id}:{email}`, overdue with the supervisor in copy — but, as in the digest, a case
that reached several levels the same day is told to each recipient once, at the highest (not
"due soon" and "overdue" and "to the meeting" at once); a due decision
`res:{agenda_item_id}:{as_of}:{email}` (it is mentioned again on later days). It renders one email per
escalation, so it suits a daily trickle, not a first sweep of a large registry.

One way per day: digests carry the topic `digest:{as_of}`, per-event messages `event:{as_of}`; a run
whose `digest` setting differs from the way the day's first messages went keeps to that way, so an
escalation never reaches a person both singly and in a digest.

Items come from `ITEM_SOURCES` (see `ItemSource`): per source its routes (who hears of what), its
extras (what the email shows besides the case) and its watermark (the highest `seq` so far): "esc"
(escalations) and "res" (due decisions of the joint meeting, workflow.mail_resolutions).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import date
from itertools import groupby

from sqlalchemy import (
    Boolean,
    Integer,
    String,
    and_,
    case,
    cast,
    exists,
    func,
    literal,
    null,
    or_,
    select,
    union_all,
)

from templates.i18n import N_, _
from workflow.mail_resolutions import (
    park_secretaries,
    resolution_extras,
    resolution_routes,
    resolution_watermark,
)
from workflow.tables import CADRE, CASE, ENT, ESC, MEETING, PARK
from workflow.timeline_text import meeting_title, names_day

log = logging.getLogger(__name__)


# A due decision of the joint meeting outranks a reminder (and is not cut off behind a long list of them).
LEVEL_ORDER = ("meeting", "overdue", "resolution", "remind", "next_action")
LEVEL_RANK = {level: i for i, level in enumerate(LEVEL_ORDER)}
DIGEST_LIMIT = 50  # cases listed in one digest; the rest are counted, with the command that lists them all
TEMPLATE_FOR_LEVEL = {"remind": "reminder", "next_action": "reminder", "overdue": "overdue", "meeting": "meeting",
                      "resolution": "resolution"}
NEXT_STEP = {
    "prospect": "unionflow case contact {uscc} --person NAME",
    "contacted": "unionflow case prepare {uscc} --mode standalone|joint",
    "preparatory": "unionflow case found {uscc} --congress-on DATE --approval-ref REF --chair NAME",
    "founded": "unionflow case activate {uscc} --legal-cert REF",
}
FOLLOW_UP = "unionflow case log {uscc} --kind visit --note TEXT --next-action DATE"
ASSIGN = "unionflow assign CADRE {uscc}"
BATCH = 500


def mail_settings(ctx) -> dict:
    """The [mail] section with [mail.smtp] under "smtp", as `notifications.transports` takes it."""
    return {**ctx.config.section("mail"), "smtp": ctx.config.section("mail.smtp")}


def user_templates_dir():
    from workflow.config import user_dir

    return user_dir() / "templates" / "email"


def render(name: str, data: dict, lang: str, user_dir):
    """An email from the templates (notifications.compose.render); a broken user template is a ConfigError."""
    from notifications.compose import TemplateProblem
    from notifications.compose import render as compose

    try:
        return compose(name, data, lang, user_dir)
    except TemplateProblem as exc:
        from workflow.errors import ConfigError

        raise ConfigError(str(exc)) from None


def advance_command(status: str, uscc: str, level: str, assigned: bool = True) -> str:
    """The command that moves the case on (or logs the follow-up that is due); for a case with no cadre
    below the meeting level, the command that assigns it."""
    if not assigned and level in ("remind", "overdue", "next_action"):
        return ASSIGN.format(uscc=uscc)
    pattern = FOLLOW_UP if level == "next_action" else NEXT_STEP.get(status, FOLLOW_UP)
    return pattern.format(uscc=uscc)


# ----------------------------------------------------------------------------------------- items
def _escalation_routes(as_of: date):
    """Who hears of each escalation recorded for `as_of`: (recipient, role, item) rows with the
    ROUTE_COLUMNS; role "to" for the case's own people (its cadre, or for a case not `held` by an
    active cadre the park's watchers: copies go with their message), "tell" for the meeting
    secretaries, "cc" for the cadre's supervisor.
    One SELECT per route over the day's escalations (read once). What the case's
    enterprise, park and cadre are called is joined later, onto the rows a digest lists (`_detailed`)."""
    cadre, sup, sec = CADRE.alias("cadre"), CADRE.alias("sup"), CADRE.alias("sec")
    # Only escalations of the case's current stay in its status: a case that moved on is not stalled.
    own = CADRE.alias("own")
    day = (
        select(ESC.c.id, ESC.c.case_id, ESC.c.level, ESC.c.status, ESC.c.working_days, ESC.c.allowed, ESC.c.due_on,
               CASE.c.enterprise_id, CASE.c.cadre_id, held(own).label("held"))
        .select_from(ESC.join(CASE, and_(CASE.c.id == ESC.c.case_id, CASE.c.episode == ESC.c.episode,
                                         CASE.c.status == ESC.c.status))
                     .outerjoin(own, own.c.id == CASE.c.cadre_id))
        .where(ESC.c.as_of == as_of)
        .cte("day_escalation").prefix_with("MATERIALIZED")
    )
    d = day.c

    def route(who, role, levels, frm):
        return select(
            who.c.email.label("email"), who.c.name.label("name"), literal(role).label("role"),
            literal("esc").label("source"), d.id.label("ref_id"), d.case_id, d.level,
            (d.working_days - d.allowed).label("urgency"), d.id.label("seq"),
            d.status, d.working_days, d.allowed, d.due_on, d.enterprise_id, d.cadre_id,
        ).select_from(frm).where(d.level.in_(levels), who.c.active.is_(True))

    to_cadre = route(cadre, "to", ("remind", "overdue", "next_action", "meeting"),
                     day.join(cadre, cadre.c.id == d.cadre_id))
    pw, watcher = park_watchers(), CADRE.alias("watcher")
    unassigned_to_park = route(watcher, "to", ("remind", "overdue", "next_action"), day.join(
        ENT, ENT.c.id == d.enterprise_id).join(pw, pw.c.park_id == ENT.c.park_id).join(
        watcher, watcher.c.id == pw.c.person_id)).where(d.held.is_(False))
    cc_supervisor = route(sup, "cc", ("overdue", "meeting"), day.join(cadre, cadre.c.id == d.cadre_id)
                          .join(sup, sup.c.id == cadre.c.supervisor_id)).where(d.held.is_(True))
    ps = park_secretaries()
    to_secretary = route(sec, "tell", ("meeting",), day.join(ENT, ENT.c.id == d.enterprise_id)
                         .join(ps, ps.c.park_id == ENT.c.park_id).join(sec, sec.c.id == ps.c.secretary_id))
    return [to_cadre, unassigned_to_park, cc_supervisor, to_secretary]


def held(cadre):
    """SQL: the case has an active cadre (`cadre`, the CADRE row outer-joined on its cadre_id). A case whose cadre
    was deactivated is one with no cadre for the mail — nobody would read theirs: the park's watchers hear of it."""
    return func.coalesce(cadre.c.active, False)


def park_watchers():
    """(park_id, person_id): who hears of a park's cases that have no cadre — its active supervisors, or
    every active admin if it has none (parks × people: small, computed once, as `park_secretaries`)."""
    who, own = CADRE.alias("who"), CADRE.alias("own")
    park_has_supervisor = exists().where(own.c.role == "supervisor", own.c.active.is_(True),
                                         own.c.park_id == PARK.c.id)
    return (
        select(PARK.c.id.label("park_id"), who.c.id.label("person_id"))
        .select_from(PARK.join(who, or_(and_(who.c.role == "supervisor", who.c.park_id == PARK.c.id),
                                        and_(who.c.role == "admin", ~park_has_supervisor))))
        .where(who.c.active.is_(True))
        .cte("park_watcher").prefix_with("MATERIALIZED")
    )


# What every route selects, in this order (a union): who, which item, how urgent, and the case's own facts.
ROUTE_COLUMNS = ("email", "name", "role", "source", "ref_id", "case_id", "level", "urgency", "seq", "status",
                 "working_days", "allowed", "due_on", "enterprise_id", "cadre_id")
# What the emails show besides: joined by `_detailed`, or by a source's extras (a typed NULL elsewhere).
DISPLAY = (
    ("uscc", String), ("enterprise", String), ("park", String), ("park_name", String), ("cadre_code", String),
    ("cadre_name", String), ("cadre_active", Boolean), ("supervisor_name", String), ("decision", String),
    ("owner_party", String),
    ("meeting_id", Integer), ("meeting_at", MEETING.c.starts_at.type),
)


def display_columns(**given):
    """The DISPLAY columns from `given` expressions, a typed NULL for those not given."""
    unknown = set(given) - {name for name, _t in DISPLAY}
    assert not unknown, f"not display columns: {unknown}"
    return [(given[name] if name in given else cast(null(), typ)).label(name) for name, typ in DISPLAY]


def _escalation_watermark(conn, as_of: date) -> int:
    return conn.execute(select(func.coalesce(func.max(ESC.c.id), 0)).where(ESC.c.as_of == as_of)).scalar()


@dataclass(frozen=True)
class ItemSource:
    """Where digest and per-event items come from: routes (rows of ROUTE_COLUMNS), extras (given the
    FROM clause of the routed rows and the routed subquery, that clause outer-joined with what this
    source's items show besides, and those DISPLAY columns by name) and the watermark (highest `seq`
    so far; an item whose seq is above the mark of the day's earlier digests is new)."""

    routes: Callable
    extras: Callable
    watermark: Callable


ITEM_SOURCES = {
    "esc": ItemSource(_escalation_routes, lambda frm, routed: (frm, {}), _escalation_watermark),
    # ref_id = agenda item id, level "resolution"
    "res": ItemSource(resolution_routes, resolution_extras, resolution_watermark),
}


def _routes(as_of: date):
    routes = [s for src in ITEM_SOURCES.values() for s in src.routes(as_of)]
    # A union matches columns by position: a route of another source in another order would mix them up.
    wrong = [list(s.selected_columns.keys()) for s in routes if tuple(s.selected_columns.keys()) != ROUTE_COLUMNS]
    assert not wrong, f"routes must select {ROUTE_COLUMNS}, not {wrong}"
    return union_all(*routes).subquery("routes")


def _detailed(routed, order):
    """The routed rows with what the emails show: the case's enterprise, park and cadre, and each
    source's extras (one SELECT: each name is looked up once per listed row)."""
    cadre, sup, r = CADRE.alias("cadre"), CADRE.alias("sup"), routed
    frm = (r.join(ENT, ENT.c.id == r.c.enterprise_id).join(PARK, PARK.c.id == ENT.c.park_id)
           .outerjoin(cadre, cadre.c.id == r.c.cadre_id).outerjoin(sup, sup.c.id == cadre.c.supervisor_id))
    extras = {}
    for src in ITEM_SOURCES.values():
        frm, columns = src.extras(frm, r)
        extras.update(columns)
    q = select(r, *display_columns(
        uscc=ENT.c.uscc, enterprise=ENT.c.name, park=PARK.c.code, park_name=PARK.c.name, cadre_code=cadre.c.code,
        cadre_name=cadre.c.name, cadre_active=cadre.c.active, supervisor_name=sup.c.name, **extras)).select_from(frm).subquery("detailed")
    return select(q).order_by(*(q.c[name] if isinstance(name, str) else name(q) for name in order))


def _item(row, as_of: date) -> dict:
    item = dict(row._mapping)
    item["key"] = f"{item['source']}:{item['ref_id']}"
    if item["source"] == "res":  # mentioned again on later days: one key per day
        item["key"] += f":{as_of.isoformat()}"
    item["over"] = item["working_days"] - item["allowed"]
    item["command"] = advance_command(item["status"], item["uscc"], item["level"], bool(item["cadre_active"]))
    return item


def _highest_per_case(q, *where):
    """The routed rows `q` (filtered by `where`), each ranked within its recipient, source and case: `nth` 1
    is the highest level reached (a case past several thresholds at once is told once, at the highest)."""
    rank = case(LEVEL_RANK, value=q.c.level)
    return select(q, rank.label("rank"), func.row_number().over(
        partition_by=[q.c.email, q.c.source, q.c.case_id], order_by=[rank, q.c.urgency.desc(), q.c.ref_id]).label("nth")
    ).where(*where).subquery("per_case")


def _items(conn, as_of: date) -> Iterator[dict]:
    """The day's (recipient, item) rows, each case once per recipient at its highest level (as in the
    digest), grouped by item (per-event mode), streamed."""
    per_case = _highest_per_case(_routes(as_of))
    highest = select(per_case).where(per_case.c.nth == 1).subquery("highest")
    stmt = _detailed(highest, ["source", "ref_id", lambda q: q.c.role.desc(), "email"])
    with conn.execute(stmt.execution_options(yield_per=1000)) as rows:  # a server-side cursor: closed on any exit
        for row in rows:
            yield _item(row, as_of)


def _digest_items(conn, as_of: date, after: dict[str, int]) -> Iterator[dict]:
    """Per recipient, the DIGEST_LIMIT most urgent new items, each case once (its highest level), with
    `total`: ranked in SQL on narrow rows, so a first sweep over a million cases stays cheap."""
    q = _routes(as_of)
    new = or_(*(and_(q.c.source == src, q.c.seq > mark) for src, mark in after.items()),
              q.c.source.notin_(list(after)) if after else literal(True))
    per_case = _highest_per_case(q, new)
    p = per_case.c
    ranked = select(per_case, func.row_number().over(
        partition_by=p.email, order_by=[p.rank, p.urgency.desc(), p.case_id]).label("pos"),
        func.count().over(partition_by=p.email).label("total")).where(p.nth == 1).subquery("ranked")
    top = select(ranked).where(ranked.c.pos <= DIGEST_LIMIT).subquery("top")
    with conn.execute(_detailed(top, ["email", "pos"]).execution_options(yield_per=1000)) as rows:
        for row in rows:
            yield _item(row, as_of)


def _public(item: dict, ctx, as_of: date) -> dict:
    """What a template sees of an item (plain data). A decision also has: decision, owner_party (its
    label, "" if none), meeting_id, meeting_day, state ("due" on the due day, else "overdue") and
    working_days (past the due day)."""
    keys = ("case_id", "uscc", "enterprise", "park", "park_name", "status", "level", "working_days", "allowed",
            "over", "cadre_code", "cadre_name", "cadre_active", "supervisor_name", "command")
    out = {k: item[k] for k in keys}
    if item["cadre_name"] and not item["cadre_active"]:  # still responsible on paper, but gone: the mail says so
        from templates.i18n import translations

        note = translations(ctx.lang).gettext(N_("{name} (deactivated)"))  # the email's language
        out["cadre_name"] = note.format(name=item["cadre_name"])
    out["due_on"] = item["due_on"].isoformat() if item["due_on"] else None
    if item["level"] == "resolution":
        from workflow.packet_i18n import party_label

        out.update(decision=item["decision"], owner_party=party_label(item["owner_party"], ctx.lang),
                   meeting_id=item["meeting_id"], meeting_day=ctx.clock.local(item["meeting_at"]).date().isoformat(),
                   state="due" if item["due_on"] >= as_of else "overdue")
    return out


# ----------------------------------------------------------------------------------------- queueing
def queue_escalation_messages(conn, ctx, as_of) -> int:
    """Queue the emails for the escalations recorded for `as_of` and the decisions due that day (see
    workflow.mail_resolutions), in the caller's transaction.

    Returns how many new messages were queued (0 when a previous run already queued them).

    A day is told in one way: when `[mail] digest` changed since the day's first messages, this run
    keeps to the way they went (digests, or one message per event), so that no escalation reaches a
    person twice; the setting takes effect from the next day.
    """
    digest = bool(ctx.config.get("mail", "digest"))
    earlier = _way_of_day(conn, as_of)
    if earlier is not None and earlier != digest:
        log.info("mail: the messages of %s went out %s earlier; this run does the same, and [mail] digest takes "
                 "effect from the next day", as_of, "as digests" if earlier else "one per event")
        digest = earlier
    if digest:
        return _queue_digests(conn, ctx, as_of)
    return _queue_per_event(conn, ctx, as_of)


def _way_of_day(conn, as_of) -> bool | None:
    """Whether the day's escalation messages so far went out as digests (True), one per event (False), or
    none went out yet (None): by the topic each message of the day carries."""
    from notifications.outbox import T as OUTBOX

    topics = [f"digest:{as_of.isoformat()}", f"event:{as_of.isoformat()}"]
    topic = conn.execute(select(OUTBOX.c.topic).where(OUTBOX.c.topic.in_(topics)).limit(1)).scalar()
    return None if topic is None else topic == topics[0]


def _flush(conn, pending: list) -> int:
    from notifications.outbox import enqueue_many

    n = enqueue_many(conn, pending)
    pending.clear()
    return n


def _queue_per_event(conn, ctx, as_of) -> int:
    from notifications.outbox import message_values

    now, lang, tdir = ctx.clock.now(), ctx.lang, user_templates_dir()
    queued, pending = 0, []
    with closing(_items(conn, as_of)) as items:  # closed, and its cursor, if a template fails
        for _ref, rows in groupby(items, key=lambda r: r["key"]):
            rows = list(rows)
            copies = [{"name": r["name"], "email": r["email"]} for r in rows if r["role"] == "cc"]
            for r in (r for r in rows if r["role"] != "cc"):
                recipient = {"name": r["name"], "email": r["email"]}
                cc = copies if r["role"] == "to" else []  # the supervisor is copied on the cadre's message only
                data = {"recipient": recipient, "item": _public(r, ctx, as_of), "as_of": as_of.isoformat(), "cc": cc}
                out = render(TEMPLATE_FOR_LEVEL[r["level"]], data, lang, tdir)
                pending.append(message_values(
                    key=f"{r['key']}:{r['email']}", kind=r["level"], to=[recipient], cc=cc, subject=out.subject,
                    text_body=out.text, html_body=out.html, now=now, topic=f"event:{as_of.isoformat()}",
                    refs={"items": [r["key"]]}))
                if len(pending) >= BATCH:
                    queued += _flush(conn, pending)
    queued += _flush(conn, pending)
    log.info("queued %d escalation emails for %s", queued, as_of)
    return queued


def _digests_of_day(conn, topic: str) -> tuple[dict[str, int], dict[str, int]]:
    """How many digests each recipient got that day, and up to which row id of each source they report."""
    from notifications.outbox import T as OUTBOX

    counts: dict[str, int] = {}
    marks: dict[str, int] = {}
    for (refs,) in conn.execute(select(OUTBOX.c.refs).where(OUTBOX.c.topic == topic)):
        refs = refs or {}
        counts[refs.get("recipient", "")] = counts.get(refs.get("recipient", ""), 0) + 1
        for src, mark in (refs.get("through") or {}).items():
            marks[src] = max(marks.get(src, 0), mark)
    return counts, marks


def _queue_digests(conn, ctx, as_of) -> int:
    from notifications.outbox import message_values

    now, lang, tdir = ctx.clock.now(), ctx.lang, user_templates_dir()
    topic = f"digest:{as_of.isoformat()}"
    counts, after = _digests_of_day(conn, topic)
    through = {name: src.watermark(conn, as_of) for name, src in ITEM_SOURCES.items()}
    if after and all(through[src] <= after.get(src, 0) for src in through):
        return 0  # nothing recorded since the day's digests
    queued, pending = 0, []
    with closing(_digest_items(conn, as_of, after)) as items:  # closed, and its cursor, if a template fails
        for email, rows in groupby(items, key=lambda r: r["email"]):
            shown = list(rows)
            n = counts.get(email, 0) + 1
            recipient = {"name": shown[0]["name"], "email": email}
            total = shown[0]["total"]
            data = {
                "recipient": recipient, "as_of": as_of.isoformat(), "supplement": n > 1, "count": total,
                "more": total - len(shown),
                "groups": [{"level": level, "cases": [_public(r, ctx, as_of) for r in shown if r["level"] == level]}
                           for level in LEVEL_ORDER if any(r["level"] == level for r in shown)],
            }
            out = render("digest", data, lang, tdir)
            key = f"digest:{email}:{as_of.isoformat()}" + (f":{n}" if n > 1 else "")
            pending.append(message_values(
                key=key, kind="digest", to=[recipient], subject=out.subject, text_body=out.text, html_body=out.html,
                now=now, topic=topic, refs={"recipient": email, "through": through, "cases": total}))
            if len(pending) >= BATCH:
                queued += _flush(conn, pending)
    queued += _flush(conn, pending)
    log.info("queued %d digests for %s", queued, as_of)
    return queued


def next_packet_key(conn, meeting_id: int) -> str:
    """The outbox key of the meeting's next packet: `packet:{id}` for the first, then `packet:{id}:2`, `:3` … for
    the revised ones (a key is sent once)."""
    from notifications.tables import OUTBOX

    first = f"packet:{meeting_id}"
    sent = conn.execute(select(func.count()).select_from(OUTBOX).where(
        or_(OUTBOX.c.key == first, OUTBOX.c.key.like(f"{first}:%")))).scalar()
    return first if not sent else f"{first}:{sent + 1}"


def queue_packet(conn, ctx, meeting_id: int, attachments, recipients, *, note: str | None = None,
                 key: str | None = None, previous: dict | None = None) -> bool:
    """Queue the agenda packet of a meeting, in the caller's transaction; False if already queued.

    attachments: paths, (filename, bytes[, content_type]) tuples or dicts; the bytes are stored in the
    outbox, so the files may be deleted afterwards. recipients: 'a@b.org', 'Name <a@b.org>',
    (name, email) or {'name', 'email'} — typically the park's secretaries and the meeting's
    participants; one message to all of them. key: default `packet:{meeting_id}`; pass e.g.
    `packet:{meeting_id}:2` to send a revised packet (see `next_packet_key`). previous: the meeting moved, its
    former `starts_at` (a stored instant) and `place`: the email says so and that this packet replaces the last.
    """
    from notifications.message import mailbox
    from notifications.outbox import enqueue, stored_attachment

    row = conn.execute(
        select(MEETING.c.id, MEETING.c.title, MEETING.c.starts_at, MEETING.c.place, PARK.c.code.label("park"),
               PARK.c.name.label("park_name"))
        .join(PARK, PARK.c.id == MEETING.c.park_id).where(MEETING.c.id == meeting_id)
    ).first()
    if row is None:
        from workflow.errors import NotFound

        raise NotFound(_("no meeting with id {id}").format(id=meeting_id))
    boxes, seen = [], set()
    for r in recipients:
        box = mailbox(r)
        if box["email"].lower() not in seen:
            seen.add(box["email"].lower())
            boxes.append(box)
    stored = [stored_attachment(a) for a in attachments]
    meeting = dict(row._mapping)
    local = ctx.clock.local(meeting["starts_at"])
    meeting["title"] = meeting_title(row.title, row.park_name, local.date(), ctx.lang)
    meeting["starts_at"], meeting["time"] = local.strftime("%Y-%m-%d %H:%M"), local.strftime("%H:%M")
    meeting["names_day"] = names_day(meeting["title"], local.date())  # the subject then adds the time only
    if previous is not None:
        previous = {"starts_at": ctx.clock.local(previous["starts_at"]).strftime("%Y-%m-%d %H:%M"),
                    "place": previous["place"]}
    data = {"meeting": meeting, "note": note or "", "attachments": [a["filename"] for a in stored],
            "recipients": boxes, "previous": previous}
    out = render("packet", data, ctx.lang, user_templates_dir())
    return enqueue(conn, key=key or f"packet:{meeting_id}", kind="packet", to=boxes, subject=out.subject,
                   text_body=out.text, html_body=out.html, attachments=stored, now=ctx.clock.now())


# ----------------------------------------------------------------------------------------- sending
def run_outbox(ctx, limit=None, stop=None) -> dict:
    """Send what is due in the outbox through the configured transport (the scheduler calls this every minute).

    `stop` (a threading.Event, set by SIGTERM): end between two messages, see notifications.outbox.send_batch."""
    from notifications.outbox import send_batch
    from notifications.transports import TransportConfigError, transport_from_config
    from workflow.errors import ConfigError

    settings = mail_settings(ctx)
    try:
        transport = transport_from_config(settings)
    except TransportConfigError as exc:
        raise ConfigError(str(exc)) from exc
    result = send_batch(ctx.ready_engine, transport, limit, ctx.clock.now, int(settings["max_attempts"]),
                        float(settings["backoff_seconds"]), stop=stop)
    result["transport"] = settings["transport"]
    result["next_attempt_at"] = local_iso(ctx, result["next_attempt_at"])
    log.debug("outbox: %(sent)d sent, %(retried)d to retry, %(failed)d failed, %(queued)d queued", result)
    if result["stopped"]:
        log.info("outbox: stopped on request after %(sent)d sent; %(released)d claimed message(s) put back in the "
                 "queue for the next run", result)
    return result


def retry_outbox(ctx, ids=(), all_failed: bool = False) -> dict:
    """Put failed messages back in the queue (admins): the given ids, or every failed one."""
    from notifications.outbox import requeue, statuses
    from workflow.db import transaction
    from workflow.errors import InvalidInput, NotFound
    from workflow.permissions import require_actor, require_role

    ids = sorted(set(ids))
    with transaction(ctx.ready_engine) as conn:
        require_role(require_actor(conn, ctx.actor_code), N_("put failed messages back in the queue"), "admin")
        if not all_failed:
            found = statuses(conn, ids)
            missing = [i for i in ids if i not in found]
            if missing:
                raise NotFound(_("no message with id {id}: see `unionflow outbox list`").format(id=missing[0]))
            other = [i for i in ids if found[i] != "failed"]
            if other:
                from templates.labels import value as coded

                raise InvalidInput(_("message {id} is {status}, not failed: only failed messages go back in the "
                                     "queue (see `unionflow outbox list --status failed`)").format(
                    id=other[0], status=coded("outbox status", found[other[0]])))
        done = requeue(conn, None if all_failed else ids, ctx.clock.now())
    log.info("outbox: %d failed message(s) put back in the queue", len(done))
    return {"requeued": len(done), "ids": done}


def list_outbox(ctx, status: str | None = None, limit: int | None = None):
    """Outbox rows, newest first, at most `limit` (all if None), with the total (a `Rows`)."""
    from notifications.outbox import OUTBOX_STATUSES, listed, messages_query
    from workflow.db import Rows, first_rows, reading
    from workflow.errors import InvalidInput

    if status and status not in OUTBOX_STATUSES:
        raise InvalidInput(_("--status must be one of {statuses}").format(statuses=", ".join(OUTBOX_STATUSES)))
    with reading(ctx.ready_engine) as conn:
        rows = first_rows(conn, messages_query(status), limit)
    return Rows([{**m, **local_times(ctx, m)} for m in map(listed, rows)], rows.total)


OUTBOX_TIMES = ("next_attempt_at", "created_at", "sent_at", "claimed_at")


def local_times(ctx, message: dict) -> dict:
    return {k: local_iso(ctx, message[k]) for k in OUTBOX_TIMES}


def local_iso(ctx, instant):
    """A stored instant as ISO 8601 in local time with its offset (2026-06-15T08:30:00+08:00), None as None."""
    return None if instant is None else ctx.clock.local(instant).isoformat(timespec="seconds")
