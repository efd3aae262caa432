"""The case service: read cases, fire transitions, log activities — each change with its event, atomically.

Optimistic locking: a command reads a snapshot, decides, then writes with `WHERE version = :seen`;
if another command changed the case in between, nothing is written and `Conflict` is raised.
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from functools import lru_cache
from types import SimpleNamespace

from sqlalchemy import and_, bindparam, false, func, insert, or_, select, update

from states.guards import CLOSE_REASONS, MISSING, missing_facts
from states.machine import MACHINE, allowed_events, guards_for, recommended_mode
from templates.i18n import N_, _, ngettext
from templates.labels import value as coded
from workflow.db import Rows, first_rows, reading, transaction
from workflow.errors import Conflict, InvalidInput, NoActingUser, NotFound, TransitionRefused
from workflow.flags import signup_flagged, signup_threshold
from workflow.people import park_and_parents
from workflow.permissions import Actor, check_case_access, require_actor, require_role, subordinate_ids
from workflow.tables import CADRE, CASE, ENT, EVENT, JU, PARK
from workflow.uscc import normalise_uscc, uscc_problem
from workflow.vocabulary import ACTIVITY_KINDS, MAX_COUNT, MAX_ID, STATUSES, UNPREPARED_STATUSES
from workflow.workdays import DEFAULT_END

log = logging.getLogger(__name__)

# Facts each trigger may set on the case, as (option name, column).
FACT_COLUMNS = {
    "contact": {"person": "contact_person"},
    "prepare": {"mode": "mode", "group_leader": "group_leader", "applied_on": "applied_on", "joint_union_id": "joint_union_id"},
    "found": {"congress_on": "congress_on", "approval_ref": "approval_ref", "chair": "chair"},
    "activate": {"legal_cert": "legal_cert"},
}


def case_query():
    """The case row as users see it: joined with enterprise, park, cadre and joint union (built once)."""
    global _CASE_QUERY
    if _CASE_QUERY is None:
        _CASE_QUERY = _build_case_query()
    return _CASE_QUERY


_CASE_QUERY = None


def _build_case_query():
    return (
        select(
            CASE.c.id, ENT.c.uscc, ENT.c.name.label("enterprise"), PARK.c.code.label("park"), CASE.c.status,
            CASE.c.mode, CADRE.c.code.label("cadre"), CASE.c.status_since, CASE.c.next_action_on, CASE.c.version,
            CASE.c.cadre_id, ENT.c.park_id, CASE.c.episode, CASE.c.enterprise_id, ENT.c.industry, ENT.c.employees,
            ENT.c.shuangshi, ENT.c.grid, ENT.c.source, ENT.c.opened_on, ENT.c.members, ENT.c.signups,
            ENT.c.contact_name, ENT.c.contact_phone, CASE.c.contact_person, CASE.c.group_leader, CASE.c.applied_on,
            CASE.c.joint_union_id, JU.c.code.label("joint_union"), JU.c.founded_on.label("joint_union_founded_on"),
            CASE.c.congress_on, CASE.c.approval_ref, CASE.c.chair, CASE.c.founded_on, CASE.c.legal_cert,
            CASE.c.activated_on, CASE.c.close_reason, CASE.c.closed_from, CADRE.c.name.label("cadre_name"),
        )
        .select_from(CASE)
        .join(ENT, ENT.c.id == CASE.c.enterprise_id)
        .join(PARK, PARK.c.id == ENT.c.park_id)
        .outerjoin(CADRE, CADRE.c.id == CASE.c.cadre_id)
        .outerjoin(JU, JU.c.id == CASE.c.joint_union_id)
    )


def ref_clause(ref: str):
    """REF is a case id, or an enterprise's USCC: 18 characters, which may all be digits."""
    ref = str(ref).strip()
    if ref.isdigit() and len(ref) != 18:
        case_id = int(ref)
        return CASE.c.id == case_id if case_id <= MAX_ID else false()  # a larger id cannot exist
    return ENT.c.uscc == normalise_uscc(ref)


def load_case(conn, ref: str):
    row = conn.execute(case_query().where(ref_clause(ref))).first()
    if row is None:
        raise NotFound(_("no case {ref!r}: {hint}").format(ref=ref, hint=unknown_ref_hint(conn, ref)))
    return row


NAME_MATCHES_SHOWN = 5


def unknown_ref_hint(conn, ref: str) -> str:
    """What to do about a REF that names no case: the USCC's typo, or the cases of the enterprises whose name
    contains it (cadres type a name), else where to look."""
    text = normalise_uscc(str(ref))
    if len(text) == 18 or (text.isascii() and text.isalnum() and not text.isdigit() and 15 <= len(text) <= 20):
        problem = uscc_problem(text)
        if problem:
            return _("it is not a valid USCC ({problem}): check the code (see `unionflow case list`)").format(
                problem=problem)
    elif not text.isdigit() and ref.strip():
        like = ENT.c.name.contains(ref.strip(), autoescape=True)
        matches = conn.execute(select(CASE.c.id, ENT.c.uscc, ENT.c.name).join(ENT, ENT.c.id == CASE.c.enterprise_id)
                               .where(like).order_by(CASE.c.id).limit(NAME_MATCHES_SHOWN + 1)).all()
        if matches:
            shown = _("; ").join(_("case {id} {name} ({uscc})").format(id=m.id, name=m.name, uscc=m.uscc)
                                 for m in matches[:NAME_MATCHES_SHOWN])
            total = len(matches)
            if total > NAME_MATCHES_SHOWN:
                total = conn.execute(select(func.count()).select_from(ENT).where(like)).scalar()
                shown += _("; and {n} more: type more of the name").format(n=total - NAME_MATCHES_SHOWN)
            return ngettext("REF is a case id or a USCC, and one enterprise's name contains it: {cases}",
                            "REF is a case id or a USCC, and {n} enterprises' names contain it: {cases}",
                            total).format(n=total, cases=shown)
    return _("give a case id or an enterprise's USCC (see `unionflow case list`)")


CASE_KEYS = ("id", "uscc", "enterprise", "park", "status", "mode", "cadre", "status_since", "next_action_on",
             "version")


def case_dict(row) -> dict:
    """The contract's JSON shape of a case (and more)."""
    return _iso({k: row._mapping[k] for k in CASE_KEYS})


def case_detail(row, threshold: int = 10) -> dict:
    """The full case; `threshold` is `[general] signup_threshold` (see workflow/flags.py)."""
    d = dict(row._mapping)
    d.pop("cadre_id"), d.pop("park_id"), d.pop("enterprise_id"), d.pop("joint_union_id")
    d["recommended_mode"] = recommended_mode(row.employees, row.shuangshi)
    d["allowed_actions"] = allowed_events(row.status)
    d["signup_flag"] = signup_flagged(row.status, row.signups, threshold)
    return _iso(d)


def _iso(d: dict) -> dict:
    return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in d.items()}


def show(ctx, ref: str) -> dict:
    with reading(ctx.ready_engine) as conn:
        return case_detail(load_case(conn, ref), signup_threshold(ctx.config))


def list_cases(ctx, *, mine=False, status=None, cadre=None, park=None, limit=None) -> Rows:
    """The cases in id order, at most `limit` (all if None), with the total."""
    if status and status not in STATUSES:
        raise InvalidInput(_("unknown status {status!r}: use one of {statuses}").format(
            status=status, statuses=", ".join(STATUSES)))
    q = case_query()
    with reading(ctx.ready_engine) as conn:
        q = q.where(*list_filters(conn, ctx, CASE.c.cadre_id, ENT.c.park_id, mine=mine, cadre=cadre, park=park))
        if status:
            q = q.where(CASE.c.status == status)
        rows = first_rows(conn, q.order_by(CASE.c.id), limit)
        return Rows([case_dict(r) for r in rows], rows.total)


def list_filters(conn, ctx, cadre_col, park_col, *, mine=False, cadre=None, park=None) -> list:
    """WHERE clauses for --mine, --cadre and --park of a case list; an unknown cadre or park is an error,
    not an empty list."""
    from workflow.people import cadre_row, park_id

    where = []
    if mine:
        if not ctx.actor_code:
            raise NoActingUser(_("--mine lists the cases you are responsible for: say who you are with --as CODE or "
                                 "UNIONFLOW_USER"))
        where.append(cadre_col == require_actor(conn, ctx.actor_code).id)
    if cadre:
        where.append(cadre_col == cadre_row(conn, cadre).id)
    if park:
        where.append(park_col == park_id(conn, park))
    return where


def history(ctx, ref: str) -> list[dict]:
    with reading(ctx.ready_engine) as conn:
        case = load_case(conn, ref)
        rows = conn.execute(
            select(EVENT.c.kind, EVENT.c.event, EVENT.c.from_status, EVENT.c.to_status, EVENT.c.occurred_on,
                   EVENT.c.recorded_at, CADRE.c.code.label("actor"), EVENT.c.note, EVENT.c.data)
            .outerjoin(CADRE, CADRE.c.id == EVENT.c.actor_id)
            .where(EVENT.c.case_id == case.id).order_by(EVENT.c.occurred_on, EVENT.c.id)
        )
        out = []
        for r in rows:
            d = dict(r._mapping)
            d["recorded_at"] = ctx.clock.local(d["recorded_at"]).isoformat()  # stored in UTC, shown local
            out.append(_iso(d))
        from workflow.timeline_text import localize_notes

        localize_notes(conn, out, ctx.lang, ctx.clock.tz)  # what the system wrote, in the reader's language
        return out


def event_row(case_id: int, kind: str, occurred_on: date, recorded_at, actor_id, *, event=None, from_status=None,
              to_status=None, note=None, data=None) -> dict:
    return {"case_id": case_id, "kind": kind, "event": event, "from_status": from_status, "to_status": to_status,
            "occurred_on": occurred_on, "recorded_at": recorded_at, "actor_id": actor_id, "note": note, "data": data}


THE_EVENT = N_("the event")


def check_event_day(on: date, today: date, since: date | None = None, *, what=THE_EVENT) -> None:
    """`what` is English marked with N_() (translated here)."""
    if on > today:
        raise InvalidInput(_("--on {on} is in the future (today is {today}): {what} must have happened").format(
            on=on.isoformat(), today=today.isoformat(), what=_(what)))
    if since is not None and on < since:
        raise InvalidInput(
            _("--on {on} is before {since}, the day the case entered its current status").format(
                on=on.isoformat(), since=since.isoformat())
        )


def check_within_calendar(day, option: str) -> None:
    """A day past the working-day calendar's end is most often a mistyped year: no stall clock or packet could
    count to it. `day` is a date, or the local datetime of a meeting."""
    if day is not None and (day.date() if isinstance(day, datetime) else day) > DEFAULT_END:
        shown = f"{day:%Y-%m-%d %H:%M}" if isinstance(day, datetime) else day.isoformat()
        raise InvalidInput(_("{option} {day} is after {last}, the end of the working-day calendar: check the year")
                           .format(option=option, day=shown, last=DEFAULT_END.isoformat()))


def command_words(event: str) -> str:
    """A step as the command to type, with its name in the reader's language where that differs: contact（对接）."""
    label = coded("event", event)
    return event if label == event else _("{command} ({label})").format(command=event, label=label)


def refuse_step(row, event: str) -> TransitionRefused:
    allowed = allowed_events(row.status)
    return TransitionRefused(
        _("cannot {event} case {id} ({uscc}): it is {status}; allowed from {status}: {allowed}").format(
            event=coded("event", event), id=row.id, uscc=row.uscc, status=coded("status", row.status),
            allowed=_(", ").join(command_words(a) for a in allowed) or _("nothing"))
    )


def fire(row, event: str, facts: dict) -> SimpleNamespace:
    """Run the machine on a light copy of the case; return the copy or raise with the missing fact."""
    if event not in allowed_events(row.status):
        raise refuse_step(row, event)
    model = SimpleNamespace(**row._mapping)
    ok = MACHINE.events[event].trigger(model, **facts)
    if not ok:
        probe = SimpleNamespace(kwargs=facts, model=model)
        # The guards' texts are English, marked in states/guards.py; they are translated here.
        missing = [_(MISSING[gd]).format(reasons=", ".join(CLOSE_REASONS),
                                         facts=spoken_list([_(f) for f in missing_facts(gd, probe)]))
                   for gd in guards_for(event, row.status) if gd in MISSING and not gd(probe)]
        raise TransitionRefused(_("cannot {event} case {id} ({uscc}): missing {facts}").format(
            event=coded("event", event), id=row.id, uscc=row.uscc, facts=_("; ").join(missing or [_("a required fact")])))
    return model


# Case columns a `prepare` clears (the timeline keeps them): the other founding path's facts, and those of an
# earlier founding that did not hold (a case prepared again went back to contacted).
FOUNDING_COLUMNS = ("congress_on", "approval_ref", "chair", "founded_on", "legal_cert", "activated_on")
CLEARED_BY_PREPARE = {
    "standalone": ("joint_union_id", *FOUNDING_COLUMNS),
    "joint": ("group_leader", "applied_on", *FOUNDING_COLUMNS),
}
# A setback to before preparatory gives up the founding path: its mode and joint union (the timeline keeps them),
# so that a later founding counts in the mode chosen then, and its preparatory group and application.
CLEARED_BY_SETBACK = ("mode", "joint_union_id", "group_leader", "applied_on")
# A setback also gives up the facts of the status it leaves (the timeline keeps them): a founding or a certificate
# that did not hold is not taken again by the next step without being given anew (the guards read the case's facts).
CLEARED_LEAVING = {"founded": ("congress_on", "approval_ref", "chair", "founded_on"),
                   "active": ("legal_cert", "activated_on")}
# The day facts: each happened between the day the case entered its current status and the day of the step.
FACT_DAYS = {"applied_on": "--applied-on", "congress_on": "--congress-on"}


# The options of one founding path's `prepare`: given with the other mode, they are a mistake.
PATH_OPTIONS = {"standalone": {"group_leader": "--group-leader", "applied_on": "--applied-on"},
                "joint": {"joint_union": "--joint-union"}}


def check_facts(row, facts: dict, on: date, today: date) -> None:
    """Facts that cannot be: another path's options; a day in the future, before the case entered its status
    or after the step; more members than employees (the import's rule, in its words)."""
    mode = facts.get("mode")
    for path, options in PATH_OPTIONS.items():
        wrong = [option for key, option in options.items() if key in facts]
        if mode in PATH_OPTIONS and path != mode and wrong:
            raise InvalidInput(ngettext("{options} is for --mode {path}, not --mode {mode}",
                                        "{options} are for --mode {path}, not --mode {mode}", len(wrong)).format(
                options=spoken_list(wrong), path=path, mode=mode))
    for key, option in FACT_DAYS.items():
        day = facts.get(key)
        if day is None:
            continue
        if day > today:
            raise InvalidInput(_("{option} {day} is in the future (today is {today})").format(
                option=option, day=day.isoformat(), today=today.isoformat()))
        if day < row.status_since:
            raise InvalidInput(_("{option} {day} is before {since}, the day the case entered its current status").format(
                option=option, day=day.isoformat(), since=row.status_since.isoformat()))
        if day > on:
            raise InvalidInput(_("{option} {day} is after {on}, the day of the step (--on): it comes first, or on the "
                                 "same day").format(option=option, day=day.isoformat(), on=on.isoformat()))
    members = facts.get("members")
    if members is None:
        return
    if isinstance(members, bool) or not isinstance(members, int) or not 0 <= members <= MAX_COUNT:
        raise InvalidInput(_("--members must be a whole number from 0 to {max}, not {members!r}").format(
            max=MAX_COUNT, members=members))
    if row.employees is not None and members > row.employees:
        raise InvalidInput(_("--members: {problem}; give the number of members, or correct the employees in the "
                             "registry (`unionflow enterprise import`)").format(
            problem=_("{members} members but only {employees} employees").format(members=members,
                                                                                  employees=row.employees)))


def spoken_list(items: list[str]) -> str:
    """"a, b and c" (Chinese: a、b和c)."""
    if len(items) < 2:
        return "".join(items)
    return _("{items} and {last}").format(items=_(", ").join(items[:-1]), last=items[-1])


def _resolve_joint_union(conn, row, facts: dict, event: str, on: date) -> None:
    """The joint union named with --joint-union (prepare) or the one the case is attached to (found): a case is
    founded through a joint union only on or after the day the joint union itself was founded."""
    code = facts.get("joint_union")
    if code:
        ju = conn.execute(select(JU.c.id, JU.c.park_id, JU.c.founded_on).where(JU.c.code == code)).first()
        if ju is None:
            raise NotFound(_("no joint union {code!r}: add it with `unionflow joint-union add`").format(code=code))
    elif row.joint_union_id is not None and row.mode == "joint":
        ju = conn.execute(select(JU.c.id, JU.c.park_id, JU.c.founded_on).where(JU.c.id == row.joint_union_id)).one()
        code = row.joint_union
    else:
        return
    check_joint_union_park(conn, row, ju.park_id, code)
    if facts.get("joint_union"):
        facts["joint_union_id"] = ju.id
    if event == "found" and ju.founded_on is not None and ju.founded_on > on:
        raise InvalidInput(_("--on {on} is before {founded}, the day joint union {code} was founded: case {id} ({uscc}) "
                             "joins it on that day or later").format(
            on=on.isoformat(), founded=ju.founded_on.isoformat(), code=code, id=row.id, uscc=row.uscc))
    facts["joint_union_founded"] = ju.founded_on is not None


def check_joint_union_park(conn, row, ju_park_id: int, code: str) -> None:
    """A case joins a joint union of its enterprise's park, or of a park that park belongs to (a park-level
    union covers its sub-parks; a sub-park's union does not cover the rest of the park)."""
    if ju_park_id in park_and_parents(conn, row.park_id):
        return
    ju_park = conn.execute(select(PARK.c.code).where(PARK.c.id == ju_park_id)).scalar()
    raise InvalidInput(
        _("joint union {code} belongs to park {ju_park}, and case {id} ({uscc}) is in park {park}: a case joins a joint "
          "union of its own park or of a park above it (see `unionflow joint-union list`)").format(
            code=code, ju_park=ju_park, id=row.id, uscc=row.uscc, park=row.park)
    )


def transition(ctx, ref: str, event: str, *, on: date | None = None, note: str | None = None, **facts) -> dict:
    """Fire `event` on one case: permission, guards, version check, the event row — one transaction."""
    # A text of blanks says nothing: it must not pass a guard (an approval reference of spaces) or land on the timeline.
    facts = {k: v.strip() if isinstance(v, str) else v for k, v in facts.items()}
    facts = {k: v for k, v in facts.items() if v not in (None, "")}
    note = note.strip() if note else None
    today = ctx.clock.today()
    on = on or today
    with reading(ctx.ready_engine) as conn:
        actor = require_actor(conn, ctx.actor_code)
        row = load_case(conn, ref)
        if event in ("close", "reopen"):
            require_role(actor, N_("close a case") if event == "close" else N_("reopen a case"), "admin")
        check_case_access(conn, actor, event, row)
        if event not in allowed_events(row.status):
            raise refuse_step(row, event)
        check_event_day(on, today, row.status_since, what=N_("a transition"))
        check_facts(row, facts, on, today)
        log.debug("case %s read at version %s for %s by %s", row.id, row.version, event, actor.code)
        if event in ("prepare", "found"):
            _resolve_joint_union(conn, row, facts, event, on)
    if note:
        facts["note"] = note
    model = fire(row, event, facts)
    values = {col: facts[key] for key, col in FACT_COLUMNS.get(event, {}).items() if key in facts}
    if event == "prepare":  # a new preparation: what belonged to the other path, or to an earlier founding, goes
        values = {**dict.fromkeys(CLEARED_BY_PREPARE.get(facts.get("mode"), ()), None), **values}
    elif event == "setback":  # back to before preparatory, the founding path was given up: a new one is chosen
        cleared = CLEARED_LEAVING.get(row.status, ()) + (CLEARED_BY_SETBACK if model.status in UNPREPARED_STATUSES else ())
        values = dict.fromkeys(cleared, None)
    if event == "found":
        values["founded_on"] = on
        if "members" in facts:
            values["members"] = int(facts["members"])
    elif event == "activate":
        values["activated_on"] = on
    elif event == "close":
        values.update(close_reason=facts["reason"], closed_from=row.status)
    elif event == "reopen":
        values.update(close_reason=None, closed_from=None)
    members = values.pop("members", None)
    with transaction(ctx.engine) as conn:
        apply_transition(conn, row, model.status, on, ctx.clock.now(), actor, event, values,
                         note=facts.get("reason") if event in ("setback", "close") and not note else note,
                         data={k: str(v) for k, v in facts.items() if k not in ("note", "joint_union_founded")} or None)
        if members is not None:
            conn.execute(update(ENT).where(ENT.c.id == row.enterprise_id).values(members=members))
    # The row as written: what was read, plus the change (no second query).
    after = {**row._mapping, **values, "status": model.status, "status_since": on, "version": row.version + 1}
    if "joint_union_id" in values:
        after["joint_union"] = facts.get("joint_union")
    return {**_iso({k: after[k] for k in CASE_KEYS}), "warnings": step_warnings(row, event, facts)}


def step_warnings(row, event: str, facts: dict) -> list[str]:
    """What the step did that the law advises against: said, not refused (the cadre may know better)."""
    if event == "prepare" and facts.get("mode") == "joint" and recommended_mode(row.employees, row.shuangshi) == \
            "standalone":
        return [_("case {id} ({uscc}) is 双实 with {employees} employees: the Trade Union Law (Art. 11) has an "
                  "employer of 25 or more set up its own union committee, so standalone founding is recommended "
                  "(`case show` says so)").format(id=row.id, uscc=row.uscc, employees=row.employees)]
    return []


def apply_transition(conn, row, dest: str, on: date, now, actor: Actor | None, event: str, values: dict, *,
                     note=None, data=None) -> None:
    """Write the status change with the version check and its event row (caller's transaction)."""
    params = {"case_id": row.id, "seen_version": row.version,
              **{f"v_{c}": v for c, v in {"status": dest, "status_since": on, "updated_at": now, **values}.items()}}
    result = conn.execute(_transition_update(tuple(sorted(values))), params)
    if result.rowcount != 1:
        raise Conflict(_changed(row))
    conn.execute(EVENT.insert(), event_row(row.id, "transition", on, now, actor.id if actor else None, event=event,
                                           from_status=row.status, to_status=dest, note=note, data=data))


@lru_cache(maxsize=64)
def _transition_update(fact_columns: tuple[str, ...]):
    """One UPDATE statement per set of fact columns, built once with bind parameters: building it per
    call with literal values was most of a transition's cost (benchmarks/RESULTS.md)."""
    columns = ("status", "status_since", "updated_at", *fact_columns)
    return (
        update(CASE)
        .where(and_(CASE.c.id == bindparam("case_id"), CASE.c.version == bindparam("seen_version")))
        .values(episode=CASE.c.episode + 1, version=CASE.c.version + 1, **{c: bindparam(f"v_{c}") for c in columns})
    )


def _changed(row) -> str:
    return _("the case changed while you were editing it (case {id}, {uscc}): nothing was written; look at "
             "`unionflow case show` and try again").format(id=row.id, uscc=row.uscc)


def log_activity(ctx, ref: str, *, kind: str, note: str, on: date | None = None, next_action: date | None = None) -> dict:
    """A visit, call or meeting on the timeline; does not restart the stall clock."""
    if kind not in ACTIVITY_KINDS:
        raise InvalidInput(_("--kind must be one of {kinds}").format(kinds=", ".join(ACTIVITY_KINDS)))
    if not note or not note.strip():
        raise InvalidInput(_("--note must say what happened"))
    today = ctx.clock.today()
    on = on or today
    check_event_day(on, today, what=N_("an activity"))
    check_within_calendar(next_action, "--next-action")
    if next_action is not None and next_action < today:
        raise InvalidInput(_("--next-action {day} is in the past: give a day from today on").format(
            day=next_action.isoformat()))
    with reading(ctx.ready_engine) as conn:
        actor = require_actor(conn, ctx.actor_code)
        row = load_case(conn, ref)
        check_case_access(conn, actor, N_("log an activity on"), row)
        opened = opened_on(conn, row)
        if on < opened:  # most often a mistyped year
            raise InvalidInput(_("--on {on} is before {opened}, the day case {id} ({uscc}) was opened: an activity "
                                 "happens during the case (see `unionflow case history {id}`)").format(
                on=on.isoformat(), opened=opened.isoformat(), id=row.id, uscc=row.uscc))
    with transaction(ctx.engine) as conn:
        now = ctx.clock.now()
        values = {"version": CASE.c.version + 1, "updated_at": now}
        if next_action is not None:
            values["next_action_on"] = next_action
        result = conn.execute(update(CASE).where(and_(CASE.c.id == row.id, CASE.c.version == row.version)).values(**values))
        if result.rowcount != 1:
            raise Conflict(_changed(row))
        data = {"next_action_on": next_action.isoformat()} if next_action else None
        conn.execute(insert(EVENT).values(event_row(row.id, "activity", on, now, actor.id, event=kind,
                                                    from_status=row.status, to_status=row.status, note=note.strip(),
                                                    data=data)))
        return case_dict(load_case(conn, str(row.id)))


def opened_on(conn, row) -> date:
    """The first day of the case: its earliest event (the import), or the day it entered its status."""
    first = conn.execute(select(func.min(EVENT.c.occurred_on)).where(EVENT.c.case_id == row.id)).scalar()
    return min(first, row.status_since) if first is not None else row.status_since


def cases_in_scope(conn, actor: Actor):
    """A WHERE clause for the cases an actor may act on (used by list --mine style filters and assignment)."""
    if actor.role == "admin":
        return CASE.c.id.isnot(None)
    if actor.role == "supervisor":
        ids = subordinate_ids(conn, actor.id) | {actor.id}
        return or_(CASE.c.cadre_id.in_(ids), and_(CASE.c.cadre_id.is_(None), ENT.c.park_id == actor.park_id))
    return CASE.c.cadre_id == actor.id


def count_cases(conn) -> int:
    return conn.execute(select(func.count()).select_from(CASE)).scalar()
