"""The data of a meeting's agenda packet, as plain dicts for the renderers (packet_render, packet_docx).

A fixed number of set-based queries whatever the number of cases: the meeting, its participants,
the park's coverage, targets and stalled counts (grouped), escalations since the last meeting, the
last meeting's decisions, the agenda items with their cases, and the timelines of all those cases in
one windowed query (the latest entries of each kind per case).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, case, func, literal, or_, select

from templates.i18n import gettext  # the command's language; `_` here is the packet's own (packet_i18n)
from workflow.db import reading
from workflow.errors import InvalidInput
from workflow.measures import Facts, legal_basis, propose
from workflow.meetings import load_meeting
from workflow.packet_i18n import party_label, status_label, translator
from workflow.tables import AI, CADRE, CASE, ENT, ESC, EVENT, PART, TARGET
from workflow.tables import MEETING as M
from workflow.tables import OV as OVERRIDE
from workflow.timeline_text import event_note, meeting_title, names_day, stall_reason
from workflow.vocabulary import COVERED_STATUSES, PARTIES
from workflow.workdays import DEFAULT_END, DEFAULT_START, WorkdayCalendar

TIMELINE_KINDS = ("transition", "activity", "assignment", "escalation", "resolution", "signup")
PER_KIND = 5  # latest timeline entries of each kind fetched per case
TIMELINE_MAX = 12  # of those, the latest shown on the sheet
OBSTACLES = 5
WEEKDAYS_ZH = "一二三四五六日"


def calendar(conn) -> WorkdayCalendar:
    """The working-day calendar with the admin-loaded official schedules (park-wide extra days aside)."""
    rows = conn.execute(select(OVERRIDE.c.day, OVERRIDE.c.is_workday).where(OVERRIDE.c.park_id.is_(None)))
    return WorkdayCalendar(overrides={r.day: r.is_workday for r in rows})


def build_packet(ctx, meeting, *, as_of: date | None = None) -> dict:
    today = ctx.clock.today()
    as_of = as_of or today
    if not DEFAULT_START <= as_of <= DEFAULT_END:
        raise InvalidInput(gettext("--as-of {as_of} is outside the working-day calendar ({first} to {last})").format(
            as_of=as_of.isoformat(), first=DEFAULT_START, last=DEFAULT_END))
    with reading(ctx.ready_engine) as conn:
        return gather(conn, meeting, as_of=as_of, config=ctx.config, lang=ctx.lang, tz=ctx.clock.tz, today=today)


def fmt_day(d: date | None, lang: str) -> str:
    if d is None:
        return ""
    return f"{d.year}年{d.month}月{d.day}日" if lang == "zh" else d.isoformat()


def gather(conn, meeting, *, as_of: date, config, lang: str, tz, cal: WorkdayCalendar | None = None,
           today: date | None = None) -> dict:
    """The packet as of `as_of`; `today` (default `as_of`) is the real day: an earlier `as_of` reads the parks'
    figures from the case histories (what was true then)."""
    _ = translator(lang)
    cal = cal or calendar(conn)
    allowances = config.allowances
    m = load_meeting(conn, meeting)
    local = m.starts_at.astimezone(tz)
    # The last meeting actually held (closed, or its day has come; never a cancelled one): a planned one has no
    # decisions to follow up.
    held = and_(M.c.status != "cancelled",
                or_(M.c.status == "closed", M.c.starts_at < datetime.combine(as_of + timedelta(days=1), time(0), tz)))
    prev = conn.execute(
        select(M.c.id, M.c.title, M.c.starts_at, literal(m.park_name).label("park_name"))
        .where(M.c.park_id == m.park_id, M.c.starts_at < m.starts_at, M.c.id != m.id, held)
        .order_by(M.c.starts_at.desc(), M.c.id.desc()).limit(1)
    ).first()
    sheets, moved = _sheets(conn, m, as_of, today or as_of, cal, allowances, config, lang)
    when = (f"{fmt_day(local.date(), lang)}（星期{WEEKDAYS_ZH[local.weekday()]}）{local:%H:%M}" if lang == "zh"
            else f"{local:%A} {local.date().isoformat()}, {local:%H:%M}")
    return {
        "lang": lang,
        "as_of": as_of.isoformat(),
        "as_of_text": fmt_day(as_of, lang),
        "meeting": {"id": m.id, "title": meeting_title(m.title, m.park_name, local.date(), lang), "park": m.park, "park_name": m.park_name, "status": m.status,
                    "starts_at": local.isoformat(timespec="minutes"), "day": fmt_day(local.date(), lang), "when": when,
                    "place": m.place},
        "participants": _participants(conn, m.id, lang),
        "summary": _summary(conn, m, prev, as_of, cal, allowances, sheets, moved, lang, tz,
                            max(today or as_of, as_of)),
        "follow_up": _follow_up(conn, prev, as_of, tz, lang),
        "cases": sheets,
        "moved_on": moved,
        "rules_note": _("Suggested by the rule “{rule}”; the meeting may change it."),
    }


def _participants(conn, meeting_id: int, lang: str) -> list[dict]:
    rows = conn.execute(select(PART.c.party, PART.c.name, PART.c.email).where(PART.c.meeting_id == meeting_id)
                        .order_by(PART.c.id)).all()
    by_party = defaultdict(list)
    for r in rows:
        by_party[r.party].append({"name": r.name, "email": r.email})
    return [{"party": p, "label": party_label(p, lang), "people": by_party[p]} for p in PARTIES]


def _summary(conn, m, prev, as_of, cal, allowances, sheets, moved, lang, tz, today) -> dict:
    _ = translator(lang)
    covered = CASE.c.status.in_(COVERED_STATUSES)
    in_park = and_(ENT.c.park_id == m.park_id, CASE.c.status != "closed")
    basis = _report_coverage(conn, m.park, as_of, today)
    if basis is None:  # without the reports module: the park alone, one GROUP-less aggregate
        cov = conn.execute(
            select(func.count(), func.coalesce(func.sum(case((covered, 1), else_=0)), 0),
                   func.coalesce(func.sum(case((ENT.c.shuangshi, 1), else_=0)), 0),
                   func.coalesce(func.sum(case((and_(ENT.c.shuangshi, covered), 1), else_=0)), 0))
            .select_from(CASE).join(ENT, ENT.c.id == CASE.c.enterprise_id).where(in_park)
        ).one()
        basis = {"all": (cov[0], cov[1]), "shuangshi": (cov[2], cov[3])}
    rate = {b: (c / n if n else 0.0) for b, (n, c) in basis.items()}
    targets = conn.execute(
        select(TARGET.c.rate, TARGET.c.by_date, TARGET.c.basis, TARGET.c.park_id)
        .where(or_(TARGET.c.park_id == m.park_id, TARGET.c.park_id.is_(None))).order_by(TARGET.c.by_date, TARGET.c.id)
    ).all()
    upcoming = [t for t in targets if t.by_date >= as_of] or targets[-2:]
    target_rows = [{"rate": t.rate, "by_date": t.by_date.isoformat(), "by_text": fmt_day(t.by_date, lang),
                    "basis": t.basis, "basis_label": _("all enterprises" if t.basis == "all" else "双实 enterprises"),
                    "current": rate[t.basis], "gap": t.rate - rate[t.basis], "park_wide": t.park_id is not None}
                   for t in upcoming[:4]]
    # Stalled in the whole park on the day: group by (status, since, cadre), then count working days per group.
    from workflow.case_states import cases_at

    at = cases_at(as_of, today, conn.dialect.name).with_facts("cadre")
    groups = conn.execute(
        select(at.status, at.since, CADRE.c.code, CADRE.c.name, func.count())
        .select_from(at.source.outerjoin(CADRE, CADRE.c.id == at.cadre_id))
        .where(ENT.c.park_id == m.park_id, at.status.in_(list(allowances)))
        .group_by(at.status, at.since, CADRE.c.code, CADRE.c.name)
    ).all()
    by_status: dict[str, int] = defaultdict(int)
    by_cadre: dict[tuple, int] = defaultdict(int)
    for status, since, code, name, n in groups:
        if cal.workdays_after(since, as_of) >= allowances[status]:
            by_status[status] += n
            by_cadre[(code, name)] += n
    # Escalations by the day they fired (as_of, the sweep's effective day), up to the packet's day: a packet
    # made for an earlier day shows what had fired by then. The sweep runs before a meeting on its day,
    # so "since the last meeting" starts the day after it.
    since = prev.starts_at.astimezone(tz).date() if prev is not None else None
    esc_q = (select(ESC.c.level, func.count()).join(CASE, CASE.c.id == ESC.c.case_id)
             .join(ENT, ENT.c.id == CASE.c.enterprise_id).where(ENT.c.park_id == m.park_id, ESC.c.as_of <= as_of)
             .group_by(ESC.c.level))
    if since is not None:
        esc_q = esc_q.where(ESC.c.as_of > since)
    esc = dict(conn.execute(esc_q).all())
    sources = defaultdict(int)
    for s in sheets + moved:
        sources[s["item_source"]] += 1
    n_all, c_all = basis["all"]
    return {
        "enterprises": n_all, "covered": c_all, "rate": rate["all"],
        "shuangshi": {"enterprises": basis["shuangshi"][0], "covered": basis["shuangshi"][1], "rate": rate["shuangshi"]},
        "targets": target_rows,
        "stalled_by_status": [{"status": s, "label": status_label(s, lang), "count": by_status[s]}
                              for s in allowances if by_status[s]],
        "stalled_by_cadre": [{"cadre": code or "", "name": name or _("unassigned"), "count": n}
                             for (code, name), n in sorted(by_cadre.items(), key=lambda kv: (-kv[1], kv[0][0] or "~"))],
        "stalled_total": sum(by_status.values()),
        "escalations": {"since": since.isoformat() if since else None,
                        "since_text": fmt_day(since, lang) if since else "",
                        "by_level": [{"level": lv, "label": _(lv), "count": esc[lv]}
                                     for lv in ("remind", "overdue", "meeting", "next_action") if esc.get(lv)],
                        "total": sum(esc.values())},
        "agenda": {"total": len(sheets) + len(moved), "escalation": sources["escalation"], "manual": sources["manual"],
                   "carried": sources["carried"], "moved_on": len(moved)},
    }


def _report_coverage(conn, park_code: str, as_of: date, today: date) -> dict | None:
    """The founding rate as `report coverage` counts it (the park with its sub-parks), when reports are installed."""
    try:
        from workflow.case_states import cases_at, park_and_subparks
        from workflow.reports import coverage_on
    except ImportError:
        return None
    parks = park_and_subparks(conn, park_code)
    at = cases_at(as_of, today, conn.dialect.name)
    out = {}
    for basis in ("all", "shuangshi"):
        total = coverage_on(conn, at, None, basis, parks)["total"]
        out[basis] = (int(total["enterprises"]), int(total["covered"]))
    return out


def _follow_up(conn, prev, as_of, tz, lang) -> dict:
    _ = translator(lang)
    if prev is None:
        return {"meeting": None, "items": []}
    day = prev.starts_at.astimezone(tz).date()
    rows = conn.execute(
        select(AI.c.case_id, AI.c.decision, AI.c.owner_party, AI.c.due_on, ENT.c.uscc, ENT.c.name, CASE.c.status,
               CASE.c.status_since)
        .join(CASE, CASE.c.id == AI.c.case_id).join(ENT, ENT.c.id == CASE.c.enterprise_id)
        .where(AI.c.meeting_id == prev.id, AI.c.decision.isnot(None))
        .order_by(AI.c.due_on.is_(None), AI.c.due_on, AI.c.case_id)
    ).all()
    items = []
    for r in rows:
        if r.status == "closed":
            state, text = "closed", _("case closed")
        elif r.status_since > day or r.status in COVERED_STATUSES:
            state, text = "moved", _("status changed: now {status}").format(status=status_label(r.status, lang))
        elif r.due_on is None:
            state, text = "open", _("no due date")
        elif r.due_on < as_of:
            state, text = "overdue", _("overdue since {day}").format(day=fmt_day(r.due_on, lang))
        else:
            state, text = "due", _("due {day}").format(day=fmt_day(r.due_on, lang))
        items.append({"case_id": r.case_id, "uscc": r.uscc, "enterprise": r.name, "decision": r.decision,
                      "owner_party": r.owner_party, "owner_label": party_label(r.owner_party, lang),
                      "due_on": r.due_on.isoformat() if r.due_on else None, "due_text": fmt_day(r.due_on, lang),
                      "status": r.status, "status_label": status_label(r.status, lang), "state": state, "state_text": text})
    title = meeting_title(prev.title, prev.park_name, day, lang)
    if names_day(title, day):  # not "联席会议（2026年12月10日）（2026年12月10日）"
        intro = (_("Decisions of {title}:") if items else _("The last meeting ({title}) made no decisions."))
    else:
        intro = (_("Decisions of {title} ({day}):") if items else _("The last meeting ({title}, {day}) made no decisions."))
    return {"meeting": {"id": prev.id, "title": title, "day": fmt_day(day, lang),
                        "intro": intro.format(title=title, day=fmt_day(day, lang))}, "items": items}


def _timelines(conn, meeting_id: int, lang: str) -> tuple[dict, dict]:
    """Latest timeline entries of each kind for every case of the meeting, in one windowed query."""
    _ = translator(lang)
    rank = func.row_number().over(partition_by=(EVENT.c.case_id, EVENT.c.kind),
                                  order_by=(EVENT.c.occurred_on.desc(), EVENT.c.id.desc()))
    total = func.count().over(partition_by=EVENT.c.case_id)
    inner = (
        select(EVENT.c.id, EVENT.c.case_id, EVENT.c.kind, EVENT.c.event, EVENT.c.from_status, EVENT.c.to_status,
               EVENT.c.occurred_on, EVENT.c.note, EVENT.c.data, CADRE.c.name.label("actor"), rank.label("rn"),
               total.label("total"))
        .outerjoin(CADRE, CADRE.c.id == EVENT.c.actor_id)
        .where(EVENT.c.case_id.in_(select(AI.c.case_id).where(AI.c.meeting_id == meeting_id)),
               EVENT.c.kind.in_(TIMELINE_KINDS))
        .subquery()
    )
    rows = conn.execute(select(inner).where(inner.c.rn <= PER_KIND).order_by(inner.c.case_id, inner.c.occurred_on, inner.c.id))
    timeline, totals = defaultdict(list), {}
    for r in rows:
        totals[r.case_id] = r.total
        note = event_note(r._asdict(), lang)  # what the system wrote, in the packet's language
        if r.kind == "transition":
            text = f"{status_label(r.from_status, lang)} → {status_label(r.to_status, lang)}"
            text += f"：{note}" if note and lang == "zh" else (f": {note}" if note else "")
        elif r.kind == "activity":
            what = _("meeting with the employer" if r.event == "meeting" else (r.event or "other"))
            text = f"{what}：{note or ''}" if lang == "zh" else f"{what}: {note or ''}"
        elif r.kind == "resolution":
            party = party_label((r.data or {}).get("owner_party"), lang)
            text = (note or "") + (f"（{party}）" if party and lang == "zh" else (f" ({party})" if party else ""))
        else:
            text = note or _(r.event or r.kind)
        timeline[r.case_id].append({"on": r.occurred_on.isoformat(), "kind": r.kind, "label": _(r.kind), "text": text,
                                    "note": note, "actor": r.actor or ""})
    return timeline, totals


def _stalls(conn, meeting_id: int) -> dict[int, tuple]:
    """Item id → (status, working days, allowance) of the stall behind each item of the meeting that came from
    the sweep, carried or not (its origin is the latest item of the case up to it that was not carried):
    the agenda reason made anew in the packet's language."""
    item, origin, first = AI.alias("item"), AI.alias("origin"), AI.alias("first")
    origin_id = (select(func.max(origin.c.id))
                 .where(origin.c.case_id == item.c.case_id, origin.c.id <= item.c.id, origin.c.source != "carried")
                 .correlate(item).scalar_subquery())
    rows = conn.execute(
        select(item.c.id, ESC.c.status, ESC.c.working_days, ESC.c.allowed)
        .select_from(item.join(first, first.c.id == origin_id)
                     .join(ESC, and_(ESC.c.agenda_item_id == first.c.id, ESC.c.level == "meeting")))
        .where(item.c.meeting_id == meeting_id, first.c.source == "escalation").order_by(ESC.c.id)
    )
    return {r.id: (r.status, r.working_days, r.allowed) for r in rows}  # the latest escalation of the item wins


def _decision(r, lang: str) -> dict:
    """This meeting's decision on a case, with its terms in one phrase: '工会，2026年6月30日前完成'."""
    _ = translator(lang)
    party, due = party_label(r.owner_party, lang), fmt_day(r.due_on, lang)
    if party and due:
        terms = _("due {day}, {party}").format(day=due, party=party)
    else:
        terms = party or (_("due {day}").format(day=due) if due else "")
    return {"text": r.decision, "party": party, "due": due, "terms": terms}


def _sheets(conn, m, as_of, today, cal, allowances, config, lang) -> tuple[list[dict], list[dict]]:
    """The case sheets of the agenda's stalled cases, most urgent first, and the cases that have moved on
    (changed status) since they were put on the agenda: no longer stalled, listed apart. A packet of an
    earlier day shows each case's status as it was that day (from the case's history)."""
    _ = translator(lang)
    sup = CADRE.alias("sup")
    # Moved on: a status change recorded after the item was put on the agenda, effective by the packet's day;
    # the latest such change says where the case stood then.
    change = (select(EVENT.c.to_status, EVENT.c.occurred_on)
              .where(EVENT.c.case_id == AI.c.case_id, EVENT.c.kind.in_(("transition", "import")),
                     EVENT.c.to_status.isnot(None), EVENT.c.recorded_at > AI.c.created_at, EVENT.c.occurred_on <= as_of)
              .order_by(EVENT.c.occurred_on.desc(), EVENT.c.id.desc()).limit(1).correlate(AI))
    moved_to = change.with_only_columns(EVENT.c.to_status).scalar_subquery()
    moved_on = change.with_only_columns(EVENT.c.occurred_on).scalar_subquery()
    # A packet of an earlier day: each case's status then, from its history (a case with no state event
    # by that day keeps its present one: it is on the agenda, so it is not left out).
    status, since, frm = CASE.c.status, CASE.c.status_since, AI.join(CASE, CASE.c.id == AI.c.case_id)
    if as_of < today:
        from workflow.case_states import status_history_at

        st = status_history_at(as_of, conn.dialect.name)
        frm = frm.outerjoin(st, st.c.case_id == CASE.c.id)
        status, since = func.coalesce(st.c.status, CASE.c.status), func.coalesce(st.c.since, CASE.c.status_since)
    rows = conn.execute(
        select(AI.c.id.label("item_id"), AI.c.case_id, AI.c.reason, AI.c.source.label("item_source"), AI.c.times_on_agenda,

               AI.c.decision, AI.c.owner_party, AI.c.due_on, ENT.c.uscc, ENT.c.name, ENT.c.industry, ENT.c.employees,
               ENT.c.shuangshi, ENT.c.source, ENT.c.opened_on, ENT.c.grid, ENT.c.signups, status.label("status"),
               since.label("status_since"), CASE.c.mode, CADRE.c.code.label("cadre"),
               CADRE.c.name.label("cadre_name"), sup.c.code.label("supervisor"), sup.c.name.label("supervisor_name"),
               moved_to.label("moved_to"), moved_on.label("moved_on"))
        .select_from(frm.join(ENT, ENT.c.id == CASE.c.enterprise_id))
        .outerjoin(CADRE, CADRE.c.id == CASE.c.cadre_id).outerjoin(sup, sup.c.id == CADRE.c.supervisor_id)
        .where(AI.c.meeting_id == m.id, status != "closed")  # a closed case needs no decision
    ).all()
    timeline, totals = _timelines(conn, m.id, lang)
    stalls = _stalls(conn, m.id)
    threshold = int(config.get("general", "signup_threshold"))
    months = int(config.get("allowances", "new_enterprise_months"))
    sheets, moved = [], []
    for r in rows:
        reason = stall_reason(lang, *stalls[r.item_id]) if r.item_id in stalls else r.reason
        if r.moved_to is not None:
            moved.append({"case_id": r.case_id, "uscc": r.uscc, "enterprise": r.name, "reason": reason,
                          "item_source": r.item_source, "item_source_text": _(r.item_source), "status": r.moved_to,
                          "status_label": status_label(r.moved_to, lang), "status_since": r.moved_on.isoformat(),
                          "since_text": fmt_day(r.moved_on, lang), "cadre": r.cadre or "",
                          "cadre_name": r.cadre_name or _("unassigned")})
            continue
        wd = cal.workdays_after(r.status_since, as_of)
        allowed = allowances.get(r.status)
        fetched = timeline.get(r.case_id, [])
        entries = fetched[-TIMELINE_MAX:]
        notes = [e for e in fetched if e["kind"] == "activity" and e["note"]]
        facts = Facts(status=r.status, mode=r.mode, employees=r.employees, opened_on=r.opened_on, working_days=wd,
                      allowance=allowed, times_on_agenda=r.times_on_agenda, notes=tuple(e["note"] for e in notes),
                      as_of=as_of, new_enterprise_months=months, source=r.source, status_since=r.status_since)
        measure = propose(facts, lang)
        measure["party_label"] = party_label(measure["party"], lang)
        flagged = r.signups >= threshold and r.status not in COVERED_STATUSES
        percent = round(100 * wd / allowed) if allowed else 0
        sheets.append({
            "item_id": r.item_id, "case_id": r.case_id, "uscc": r.uscc, "enterprise": r.name,
            "industry": r.industry or "", "employees": r.employees, "shuangshi": bool(r.shuangshi),
            "shuangshi_text": _("yes") if r.shuangshi else _("no"), "source": r.source, "source_text": _(r.source),
            "opened_on": r.opened_on.isoformat() if r.opened_on else "", "grid": r.grid or "",
            "status": r.status, "status_label": status_label(r.status, lang), "status_since": r.status_since.isoformat(),
            "mode": r.mode, "working_days": wd, "allowance": allowed, "percent": percent,
            "over": wd - allowed if allowed else 0,
            "days_text": (_("{days} of {allowed} working days ({percent}%)").format(days=wd, allowed=allowed, percent=percent)
                          if allowed else _("{days} working days (no allowance)").format(days=wd)),
            "times_on_agenda": r.times_on_agenda, "item_source": r.item_source, "item_source_text": _(r.item_source),
            "reason": reason,
            "signups": r.signups, "signup_flag": flagged,
            "cadre": r.cadre or "", "cadre_name": r.cadre_name or _("unassigned"),
            "supervisor": r.supervisor or "", "supervisor_name": r.supervisor_name or "",
            "timeline": entries, "timeline_omitted": totals.get(r.case_id, 0) - len(entries),
            "obstacles": [{"on": e["on"], "text": e["note"]} for e in reversed(notes)][:OBSTACLES],
            "legal_basis": legal_basis(facts, lang), "measure": measure,
            "decision": _decision(r, lang) if r.decision else None,
            "_urgency": (wd / allowed if allowed else 0.0),
        })
    sheets.sort(key=lambda s: (-s["_urgency"], not s["signup_flag"], -s["times_on_agenda"], s["case_id"]))
    for no, s in enumerate(sheets, 1):
        s["no"] = no
        s["urgency"] = round(s.pop("_urgency"), 3)
    moved.sort(key=lambda x: x["case_id"])
    return sheets, moved
