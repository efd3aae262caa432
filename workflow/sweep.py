"""The escalation sweep (DOMAIN.md, "Stall clocks"): remind, overdue, meeting — each once per stall episode.

`run_sweep` is one transaction of set-based statements over all cases:
1. The ladder levels each case has reached and that have not fired yet (unique case + episode +
   level: a level fires once per episode, a case first swept past several thresholds fires each, and
   a second sweep finds nothing), and the due follow-ups (`next_action_on` ≤ as_of, level
   `next_action`, once per due day), staged in a temporary table.
2. Meeting-level escalations (the new ones and those still pending of the case's current episode) go
   on the agenda of the next planned meeting of the case's park; without one they stay pending
   (agenda_item_id NULL) until a meeting is planned.
3. INSERT … SELECT the staged rows into `escalation`, ON CONFLICT DO NOTHING, a new meeting-level one
   with its agenda item. Rows carry the sweep's token, so the sweep knows exactly which are its own.
4. One `escalation` event per new row on the case timeline, then one `agenda` event per new agenda
   item (INSERT … SELECT); the pending escalations are linked to their items.
5. `workflow.mailing.queue_escalation_messages` queues the emails in the same transaction.
6. `sweep_run` records the day's sweep (the scheduler's start-up catch-up reads it).

On PostgreSQL the sweep gives its transaction SWEEP_WORK_MEM for sorts and hashes, and takes a
transaction-level advisory lock first: two sweeps at once run one after the other, so the second
finds every row already there (the unique indexes guarantee "exactly once" in any case; the lock
avoids deadlocks between two big inserts in different orders).
SQLite serialises writers with BEGIN IMMEDIATE. `dry_run` does all of it and rolls back.
"""

from __future__ import annotations

import logging
import time
import uuid
from datetime import date
from functools import partial

from sqlalchemy import (
    Column,
    Date,
    Integer,
    MetaData,
    String,
    Table,
    and_,
    case,
    cast,
    exists,
    func,
    insert,
    literal,
    null,
    select,
    text,
    true,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from templates.i18n import N_, _
from workflow.calendar_store import fallback_warnings, park_ids_with_days, prepare_calendar
from workflow.cases import list_filters
from workflow.db import Rows, first_rows, is_sqlite, reading
from workflow.errors import InvalidInput
from workflow.meetings import pending_by_park, times_on_agenda
from workflow.permissions import require_actor, require_role
from workflow.sqlfn import json_object
from workflow.stall_clock import LADDER_ORDER, clock_subquery, level_reached, levels_table, reached
from workflow.tables import AI, CADRE, CASE, CD, ENT, ESC, EVENT, PARK, RUN
from workflow.tables import MEETING as M
from workflow.timeline_text import escalation_note_sql, stall_reason_sql
from workflow.vocabulary import STATUSES

log = logging.getLogger(__name__)

SWEEP_LOCK = 0x756E_7377_6570  # pg_advisory_xact_lock key of the sweep ("unswep")
LEVELS = (*LADDER_ORDER, "next_action")
CLOCK_STATUSES = ("prospect", "contacted", "preparatory", "founded")


def _upsert(conn, table):
    return (postgresql if conn.dialect.name == "postgresql" else sqlite).insert(table)


def _asof_no(conn, as_of: date) -> int:
    no = conn.execute(select(CD.c.workday_no).where(CD.c.day == as_of)).scalar()
    if no is None:
        first, last = conn.execute(select(func.min(CD.c.day), func.max(CD.c.day))).one()
        raise InvalidInput(_("--as-of {as_of} is outside the working-day calendar ({first} to {last})").format(
            as_of=as_of.isoformat(), first=first, last=last))
    return no


def _warnings(conn, cal, as_of: date) -> list[str]:
    first = conn.execute(
        select(func.min(CASE.c.status_since)).where(CASE.c.status.in_(CLOCK_STATUSES), CASE.c.status_since <= as_of)
    ).scalar()
    return fallback_warnings(cal, first, as_of)


def _next_meetings(starts_from):
    """(park_id, meeting_id) of each park's next planned meeting: one GROUP BY over the planned meetings,
    computed once (the planner, which does not know how many escalations the sweep has just written,
    re-ran it for each of them)."""
    first = (
        select(M.c.park_id, func.min(M.c.starts_at).label("starts_at"))
        .where(M.c.status == "planned", M.c.starts_at >= starts_from).group_by(M.c.park_id).subquery("first")
    )
    nm = M.alias("nm")
    return (
        select(first.c.park_id, func.min(nm.c.id).label("meeting_id"))
        .join(nm, and_(nm.c.park_id == first.c.park_id, nm.c.starts_at == first.c.starts_at, nm.c.status == "planned"))
        .group_by(first.c.park_id).cte("next_meeting").prefix_with("MATERIALIZED")
    )


# What a sweep finds to fire, before it is written: see _stage_escalations.
STAGE = Table(
    "sweep_new", MetaData(),
    *(Column(name, type_) for name, type_ in (
        ("case_id", Integer()), ("episode", Integer()), ("level", String(16)), ("status", String(16)),
        ("working_days", Integer()), ("allowed", Integer()), ("due_on", Date()))),
    prefixes=["TEMPORARY"],
)


def _stage_escalations(conn, clock, config, as_of) -> None:
    """The ladder levels reached and the follow-ups that came due, that have not fired yet, into STAGE.

    The stalled cases are a MATERIALIZED CTE, computed once: joined with the three levels as a plain
    subquery, SQLite would evaluate the whole clock once per level. What has not fired (an anti-join
    with `escalation`) is staged in a temporary table first and written after: read and written in one
    statement, PostgreSQL's planner chose a nested loop re-scanning the very table the INSERT filled —
    quadratic on a new database, hours at a million cases (benchmarks/RESULTS.md) — and without the
    anti-join it spent its time on 850,000 conflicts a day.
    """
    full = clock()
    k = (
        select(full.c.case_id, full.c.episode, full.c.status, full.c.working_days, full.c.allowed)
        .where(full.c.allowed.isnot(None), reached(full.c.working_days, full.c.allowed, min(config.ladder.values())))
        .cte("stalled").prefix_with("MATERIALIZED")
    )
    lvl = levels_table(config)
    done = ESC.alias("done")
    levels = (
        select(k.c.case_id, k.c.episode, lvl.c.level, k.c.status, k.c.working_days, k.c.allowed)
        .select_from(k.join(lvl, reached(k.c.working_days, k.c.allowed, lvl.c.pct)))
        .where(~exists().where(done.c.case_id == k.c.case_id, done.c.episode == k.c.episode,
                               done.c.level == lvl.c.level))
    )
    cols = ["case_id", "episode", "level", "status", "working_days", "allowed"]
    STAGE.create(conn)
    conn.execute(insert(STAGE).from_select(cols, levels))
    k = clock(due_only=True)
    due = (
        select(k.c.case_id, k.c.episode, literal("next_action", String), k.c.status, k.c.working_days,
               func.coalesce(k.c.allowed, 0), k.c.next_action_on)
        .where(k.c.next_action_on.isnot(None), k.c.next_action_on <= literal(as_of, Date),
               ~exists().where(done.c.case_id == k.c.case_id, done.c.level == "next_action",
                               done.c.due_on == k.c.next_action_on))
    )
    conn.execute(insert(STAGE).from_select([*cols, "due_on"], due))


def _write_escalations(conn, as_of, token, now, placing: bool) -> None:
    """The staged escalations into `escalation`, a new meeting-level one with the agenda item its case
    was just put on (`placing`: see _place_on_agenda), so that no row is written twice. ON CONFLICT DO
    NOTHING stays: the unique indexes have the last word if two sweeps race (they do not: see the
    module docstring)."""
    s, item, frm = STAGE.c, cast(null(), Integer), STAGE
    if placing:
        p = PLACING.c
        frm = (STAGE.outerjoin(PLACING, and_(p.escalation_id.is_(None), p.case_id == s.case_id, s.level == "meeting"))
               .outerjoin(AI, and_(AI.c.meeting_id == p.meeting_id, AI.c.case_id == p.case_id)))
        item = AI.c.id
    cols = ["case_id", "episode", "level", "status", "working_days", "allowed", "due_on"]
    stamp = [item, literal(as_of, Date), literal(token, String), literal(now, ESC.c.created_at.type)]
    staged = select(*(s[c] for c in cols), *stamp).select_from(frm).where(true())  # SQLite: ON CONFLICT needs a WHERE
    conn.execute(_upsert(conn, ESC).from_select([*cols, "agenda_item_id", "as_of", "sweep_token", "created_at"],
                                                staged).on_conflict_do_nothing())
    STAGE.drop(conn)


def _record_on_timeline(conn, token, as_of, now, lang) -> int:
    # The note in the sweep's language, and the facts that make it anew in a reader's (workflow.timeline_text).
    rows = select(
        ESC.c.case_id, literal("escalation", String), ESC.c.level, ESC.c.status, ESC.c.status, literal(as_of, Date),
        literal(now, EVENT.c.recorded_at.type), escalation_note_sql(lang, ESC.c),
        json_object(conn.dialect.name, working_days=ESC.c.working_days, allowed=ESC.c.allowed, due_on=ESC.c.due_on),
    ).where(ESC.c.sweep_token == token)
    cols = ["case_id", "kind", "event", "from_status", "to_status", "occurred_on", "recorded_at", "note", "data"]
    return conn.execute(insert(EVENT).from_select(cols, rows)).rowcount


# The meeting-level escalations that go on a meeting now: see _place_on_agenda.
PLACING = Table(
    "sweep_placing", MetaData(),
    Column("escalation_id", Integer()), Column("case_id", Integer()), Column("park_id", Integer()),
    Column("meeting_id", Integer()), Column("reason", String()), Column("times_on_agenda", Integer()),
    prefixes=["TEMPORARY"],
)


def _place_on_agenda(conn, ctx, as_of: date, now) -> bool:
    """Put the meeting-level escalations — those pending (of the cases' current episode) and the new ones
    staged — on their park's next planned meeting: the agenda items, before the escalations are
    written (each new one is written with its item, see _write_escalations; `_link_agenda` links the
    pending ones and records the timeline). False when no meeting is planned: they all wait.

    Which escalation goes on which meeting (and how often its case has been on an agenda) is worked out
    once, into a temporary table. The escalations are found first, on their own (pending ones from a
    partial index), and only then matched with their park's meeting: asked in one statement,
    PostgreSQL — whose statistics, gathered after the last placement, say that nothing is pending —
    started from the meetings and walked every enterprise and case of each park (10 s at a million
    cases for a day's 18,693), and a correlated subquery over the next meetings ran once per
    escalation (4 minutes for a first sweep). The temporary table is analysed (PostgreSQL never
    analyses one by itself), so the statements that read it know how small it is.
    """
    starts_from = literal(ctx.clock.start_of(as_of), M.c.starts_at.type)
    if conn.execute(select(M.c.id).where(M.c.status == "planned", M.c.starts_at >= starts_from).limit(1)).first() is None:
        return False
    PLACING.create(conn)
    into = ["escalation_id", "case_id", "park_id", "reason", "times_on_agenda"]
    for source, esc_id, where in (
        (ESC, ESC.c.id, [ESC.c.level == "meeting", ESC.c.agenda_item_id.is_(None), CASE.c.status != "closed",
                         CASE.c.episode == ESC.c.episode]),
        (STAGE, cast(null(), Integer), [STAGE.c.level == "meeting"]),  # of the current episode, not closed
    ):
        # How often the case has been on an agenda before, a cancelled meeting not counted (counted before the
        # new items are added: an INSERT counting the items it adds re-scans them per row).
        times = times_on_agenda(source.c.case_id)
        conn.execute(insert(PLACING).from_select(into, (
            select(esc_id, source.c.case_id, ENT.c.park_id, stall_reason_sql(ctx.lang, source.c), times)
            .select_from(source.join(CASE, CASE.c.id == source.c.case_id).join(ENT, ENT.c.id == CASE.c.enterprise_id))
            .where(*where))))
    if not is_sqlite(conn):
        conn.exec_driver_sql(f"ANALYZE {PLACING.name}")
    p = PLACING.c
    nxt = _next_meetings(starts_from)
    conn.execute(update(PLACING).values(meeting_id=nxt.c.meeting_id).where(nxt.c.park_id == p.park_id))
    items = select(p.meeting_id, p.case_id, p.reason, literal("escalation", String), p.times_on_agenda,
                   literal(now, AI.c.created_at.type)).where(p.meeting_id.isnot(None))  # SQLite: ON CONFLICT needs a WHERE
    cols = ["meeting_id", "case_id", "reason", "source", "times_on_agenda", "created_at"]
    conn.execute(_upsert(conn, AI).from_select(cols, items).on_conflict_do_nothing())
    return True


def _link_agenda(conn, as_of: date, now) -> int:
    """After _place_on_agenda and the escalations' own timeline rows: one `agenda` event per item put on
    an agenda just now (as the meetings module records it), and the pending escalations linked to their
    item (new, or put there by hand before). Returns how many escalations were linked, new and pending."""
    p = PLACING.c
    conn.execute(insert(EVENT).from_select(
        ["case_id", "kind", "event", "from_status", "to_status", "occurred_on", "recorded_at", "note", "data"],
        select(AI.c.case_id, literal("agenda", String), AI.c.source, CASE.c.status, CASE.c.status,
               literal(as_of, Date), literal(now, EVENT.c.recorded_at.type), M.c.title,
               json_object(conn.dialect.name, meeting_id=AI.c.meeting_id))
        .join(PLACING, and_(AI.c.meeting_id == p.meeting_id, AI.c.case_id == p.case_id))
        .join(CASE, CASE.c.id == AI.c.case_id).join(M, M.c.id == AI.c.meeting_id)
        .where(AI.c.created_at == literal(now, AI.c.created_at.type), AI.c.source == "escalation"),
    ))
    new = conn.execute(
        select(func.count()).select_from(PLACING.join(AI, and_(AI.c.meeting_id == p.meeting_id, AI.c.case_id == p.case_id)))
        .where(p.escalation_id.is_(None))
    ).scalar()
    pending = conn.execute(
        update(ESC).values(agenda_item_id=AI.c.id)
        .where(ESC.c.id == p.escalation_id, AI.c.meeting_id == p.meeting_id, AI.c.case_id == p.case_id)
    ).rowcount
    PLACING.drop(conn)
    return new + pending


def _record_run(conn, as_of, now, counts) -> None:
    stmt = _upsert(conn, RUN).values(as_of=as_of, started_at=now, finished_at=now, runs=1, counts=counts)
    conn.execute(stmt.on_conflict_do_update(
        index_elements=["as_of"], set_={"finished_at": now, "runs": RUN.c.runs + 1, "counts": stmt.excluded.counts}))


def _escalation_rows(conn, token) -> list[dict]:
    order = case({lv: i for i, lv in enumerate(LEVELS)}, value=ESC.c.level)
    rows = conn.execute(
        select(ESC.c.case_id, ENT.c.uscc, ENT.c.name.label("enterprise"), CADRE.c.code.label("cadre"), ESC.c.level,
               ESC.c.status, ESC.c.working_days, ESC.c.allowed, ESC.c.due_on, ESC.c.agenda_item_id)
        .join(CASE, CASE.c.id == ESC.c.case_id).join(ENT, ENT.c.id == CASE.c.enterprise_id)
        .outerjoin(CADRE, CADRE.c.id == CASE.c.cadre_id)
        .where(ESC.c.sweep_token == token).order_by(ESC.c.case_id, order)
    )
    return [{**r._mapping, "due_on": r.due_on.isoformat() if r.due_on else None} for r in rows]


# PostgreSQL's memory per sort or hash for the sweep's transaction (the server's default, 4 MB, spills
# the million-case joins and the digests' ranking to disk): the sweep is one process a day.
SWEEP_WORK_MEM = "64MB"


def sweep_settings(conn) -> None:
    """The server settings of the sweep's transaction (PostgreSQL; the benchmark's baselines use them too)."""
    if not is_sqlite(conn):
        conn.exec_driver_sql(f"SET LOCAL work_mem = '{SWEEP_WORK_MEM}'")


def sweep_in(conn, ctx, as_of: date) -> dict:
    """Steps 1–6 in the caller's transaction (the calendar index must be current): token, counts, emails
    queued and agenda items placed."""
    if not is_sqlite(conn):
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": SWEEP_LOCK})
    sweep_settings(conn)
    from workflow.mailing import held, queue_escalation_messages

    token, now = uuid.uuid4().hex, ctx.clock.now()
    timings, mark = {}, time.perf_counter()

    def step(name):  # seconds per kind of step, summed
        nonlocal mark
        timings[name], mark = round(timings.get(name, 0) + time.perf_counter() - mark, 3), time.perf_counter()

    clock = partial(clock_subquery, ctx.config, as_of, _asof_no(conn, as_of), park_ids_with_days(conn))
    _stage_escalations(conn, clock, ctx.config, as_of)
    step("escalations")
    placing = _place_on_agenda(conn, ctx, as_of, now)
    step("agenda")
    _write_escalations(conn, as_of, token, now, placing)
    step("escalations")
    _record_on_timeline(conn, token, as_of, now, ctx.lang)
    step("timeline")
    placed = _link_agenda(conn, as_of, now) if placing else 0
    step("agenda")
    emails = queue_escalation_messages(conn, ctx, as_of)
    step("emails")
    counts = {lv: 0 for lv in LEVELS}
    counts.update(conn.execute(select(ESC.c.level, func.count()).where(ESC.c.sweep_token == token)
                               .group_by(ESC.c.level)).all())
    _record_run(conn, as_of, now, {**counts, "emails_queued": emails, "agenda_items": placed})
    # New escalations of cases with no cadre, or a deactivated one: mailed to the park's watchers instead.
    unassigned = conn.execute(
        select(func.count()).select_from(ESC.join(CASE, CASE.c.id == ESC.c.case_id)
                                         .outerjoin(CADRE, CADRE.c.id == CASE.c.cadre_id))
        .where(ESC.c.sweep_token == token, held(CADRE).is_(False))).scalar()
    log.debug("sweep as of %s: seconds per step %s", as_of, timings)
    return {"token": token, "counts": counts, "emails_queued": emails, "agenda_items": placed, "timings": timings,
            "unassigned": unassigned}


def run_sweep(ctx, as_of: date | None = None, dry_run: bool = False, *, system: bool = False,
              details: bool = True) -> dict:
    """Escalate every stalled case as of `as_of` (default today); see the module docstring.

    A sweep that writes needs an admin or supervisor (`--as`) unless the scheduler runs it
    (`system=True`), and may not run for a future day (use `dry_run` to look ahead).
    `details=False` leaves out the list of escalations (the scheduler only logs the counts).
    """
    today = ctx.clock.today()
    as_of = as_of or today
    if as_of > today and not dry_run:
        raise InvalidInput(_("--as-of {as_of} is in the future (today is {today}): a sweep records what has happened; "
                             "use --dry-run to look ahead").format(as_of=as_of.isoformat(), today=today.isoformat()))
    engine = ctx.ready_engine
    if not (dry_run or system):
        with reading(engine) as conn:
            require_role(require_actor(conn, ctx.actor_code), N_("run the escalation sweep"), "admin", "supervisor")
    cal = prepare_calendar(engine)
    with engine.connect() as conn:
        trans = conn.begin()
        try:
            sweep = sweep_in(conn, ctx, as_of)
            token, counts, emails, placed = sweep["token"], sweep["counts"], sweep["emails_queued"], sweep["agenda_items"]
            waiting = pending_by_park(conn)  # parks without a planned meeting: their cases wait for one
            result = {
                "as_of": as_of.isoformat(), "dry_run": dry_run,
                "escalations": _escalation_rows(conn, token) if details else [],
                "counts": counts, "emails_queued": emails, "agenda_items": placed,
                "pending_meetings": sum(waiting.values()),
                "pending_by_park": waiting,
                "unassigned": sweep["unassigned"],
            }
            result["warnings"] = (_warnings(conn, cal, as_of) + _unassigned_warning(sweep["unassigned"])
                                  + _no_meeting_warnings(waiting))
        except BaseException:
            trans.rollback()
            raise
        if dry_run:
            trans.rollback()
        else:
            trans.commit()
    log.debug("sweep as of %s%s: %s new escalation(s) (%s), %d email(s) queued, %d put on an agenda", as_of,
              " (dry run, rolled back)" if dry_run else "", sum(counts.values()),
              ", ".join(f"{level} {n}" for level, n in counts.items()), emails, placed)
    return result


def _no_meeting_warnings(waiting: dict[str, int]) -> list[str]:
    return [_("no joint meeting is planned for park {park}: {n} case(s) on the meeting level wait for one; plan it "
              "with `unionflow meeting plan --park {park} --on DATETIME --place TEXT`, which puts them on its agenda"
              ).format(park=park, n=n) for park, n in waiting.items()]


def _unassigned_warning(n: int) -> list[str]:
    if not n:
        return []
    return [_("{n} new escalation(s) concern cases with no cadre or a deactivated one: they were mailed to the park's "
              "supervisors (to the admins where a park has none); assign the cases with `unionflow assign CADRE USCC` "
              "(a deactivated cadre's all at once with `unionflow assign CADRE --from OLD`), or list them with "
              "`unionflow case list --stalled`").format(n=n)]


def stalled_cases(ctx, as_of: date | None = None, mine: bool = False, status: str | None = None,
                  cadre: str | None = None, park: str | None = None, limit: int | None = None) -> Rows:
    """Cases at or past the remind threshold as of `as_of`, most overdue first (working days − allowance).

    Each row: the case's JSON keys plus working_days, allowed and level (the highest level reached).
    """
    if status and status not in STATUSES:
        raise InvalidInput(_("unknown status {status!r}: use one of {statuses}").format(
            status=status, statuses=", ".join(STATUSES)))
    as_of = as_of or ctx.clock.today()
    cal = prepare_calendar(ctx.ready_engine)
    with reading(ctx.ready_engine) as conn:
        statuses = (status,) if status else CLOCK_STATUSES
        statuses = tuple(s for s in statuses if s in CLOCK_STATUSES)
        if not statuses:
            return Rows([], 0)
        k = clock_subquery(ctx.config, as_of, _asof_no(conn, as_of), park_ids_with_days(conn), statuses=statuses)
        level = level_reached(k, ctx.config)
        q = (
            select(k.c.case_id.label("id"), k.c.uscc, k.c.enterprise, PARK.c.code.label("park"), k.c.status, k.c.mode,
                   CADRE.c.code.label("cadre"), k.c.status_since, k.c.next_action_on, k.c.version,
                   k.c.working_days, k.c.allowed, level.label("level"))
            .select_from(k.join(PARK, PARK.c.id == k.c.park_id).outerjoin(CADRE, CADRE.c.id == k.c.cadre_id))
            .where(level.isnot(None))
            .order_by((k.c.working_days - k.c.allowed).desc(), k.c.case_id)
        )
        q = q.where(*list_filters(conn, ctx, k.c.cadre_id, k.c.park_id, mine=mine, cadre=cadre, park=park))
        found = first_rows(conn, q, limit)
        rows = Rows([dict(r._mapping) for r in found], found.total)
        for w in _warnings(conn, cal, as_of):
            log.warning(w)
    for r in rows:
        for key in ("status_since", "next_action_on"):
            r[key] = r[key].isoformat() if r[key] else None
    return rows

