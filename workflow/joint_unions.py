"""Joint unions (联合工会): grid, industry-cluster and park-within-park unions that cover small enterprises.

An enterprise covered by a founded joint union counts as founded (DOMAIN.md). Founding the joint union
advances every attached case still in `preparatory` to `founded`, set-based, in the same transaction.
"""

from __future__ import annotations

import logging
from datetime import date

from sqlalchemy import and_, case, func, insert, literal, select, update
from sqlalchemy.exc import IntegrityError

from templates.i18n import N_, _
from workflow.case_states import park_and_subparks
from workflow.cases import check_event_day
from workflow.db import reading, transaction
from workflow.errors import AlreadyExists, InvalidInput, NotFound, PermissionDenied, TransitionRefused
from workflow.people import clean_code, clean_name, code_taken, park_id, refuse_taken
from workflow.permissions import Actor, require_actor
from workflow.tables import CASE, ENT, EVENT, JU, PARK
from workflow.vocabulary import COVERED_STATUSES, JOINT_KINDS

log = logging.getLogger(__name__)


def _require_park_manager(actor: Actor, action: str, pid: int, park_code: str) -> None:
    """`action` is English marked with N_() by the caller (translated here)."""
    if actor.role == "admin" or (actor.role == "supervisor" and actor.park_id == pid):
        return
    raise PermissionDenied(
        _("{actor} may not {action} in park {park}: that needs the role admin or a supervisor of park {park}").format(
            actor=actor, action=_(action), park=park_code)
    )


def _joint_union(conn, code: str):
    row = conn.execute(
        select(JU, PARK.c.code.label("park")).join(PARK, PARK.c.id == JU.c.park_id).where(JU.c.code == code)
    ).first()
    if row is None:
        raise NotFound(_("no joint union {code!r}: see `unionflow joint-union list`").format(code=code))
    return row


def add_joint_union(ctx, code: str, name: str, kind: str, park: str) -> dict:
    """Register a joint union of a park (admin, or a supervisor of that park)."""
    code = clean_code(code, N_("the joint union's CODE"), JU.c.code.type.length)
    name = clean_name(name, N_("the joint union's NAME"), JU.c.name.type.length)
    if kind not in JOINT_KINDS:
        raise InvalidInput(_("--kind must be one of {kinds}, not {kind!r}").format(kinds=", ".join(JOINT_KINDS), kind=kind))
    with transaction(ctx.ready_engine) as conn:
        actor = require_actor(conn, ctx.actor_code)
        pid = park_id(conn, park)
        _require_park_manager(actor, N_("add a joint union"), pid, park)
        if taken := code_taken(conn, JU.c.code, code):
            raise refuse_taken(taken, code, _("a joint union with code {code!r} already exists"))
        try:
            with conn.begin_nested():
                conn.execute(insert(JU).values(code=code, name=name, kind=kind, park_id=pid))
        except IntegrityError:
            raise AlreadyExists(_("a joint union with code {code!r} already exists").format(code=code)) from None
    log.info("joint union %s added to park %s by %s", code, park, actor.code)
    return {"code": code, "name": name, "kind": kind, "park": park, "founded_on": None, "approval_ref": None}


def found_joint_union(ctx, code: str, approval_ref: str, on: date | None = None) -> dict:
    """Record the approval (批复) of a joint union and found every attached preparatory case with it.

    One transaction: the joint union's row, one UPDATE of the attached cases (version and episode bumped
    as `apply_transition` does) and one INSERT … SELECT of a transition event per case.
    """
    approval_ref = (approval_ref or "").strip()
    if not approval_ref:
        raise InvalidInput(_("--approval-ref must give the higher union's approval reference (批复文号)"))
    today = ctx.clock.today()
    on = on or today
    check_event_day(on, today, what=N_("the founding of a joint union"))
    with transaction(ctx.ready_engine) as conn:
        actor = require_actor(conn, ctx.actor_code)
        ju = _joint_union(conn, code)
        _require_park_manager(actor, N_("found a joint union"), ju.park_id, ju.park)
        now = ctx.clock.now()
        # The guard against a concurrent second founding is the WHERE founded_on IS NULL.
        done = conn.execute(
            update(JU).where(and_(JU.c.id == ju.id, JU.c.founded_on.is_(None)))
            .values(founded_on=on, approval_ref=approval_ref)
        )
        if done.rowcount != 1:
            ju = _joint_union(conn, code)
            raise TransitionRefused(
                _("joint union {code} was already founded on {day} ({approval_ref})").format(
                    code=code, day=ju.founded_on.isoformat(), approval_ref=ju.approval_ref)
            )
        # A case that entered preparatory after `on` joins on the day it entered.
        day = case((CASE.c.status_since > on, CASE.c.status_since), else_=on)
        # Only cases of the union's park or its sub-parks (`case prepare` refuses others; older links may remain).
        in_parks = CASE.c.enterprise_id.in_(select(ENT.c.id).where(ENT.c.park_id.in_(park_and_subparks(conn, ju.park))))
        attached = and_(CASE.c.joint_union_id == ju.id, CASE.c.status == "preparatory", CASE.c.mode == "joint", in_parks)
        # Rows updated here stay locked until commit, so `updated_at = now` marks exactly them below.
        n = conn.execute(
            update(CASE).where(attached).values(
                status="founded", status_since=day, founded_on=day, episode=CASE.c.episode + 1,
                version=CASE.c.version + 1, updated_at=now,
            )
        ).rowcount
        if n:
            conn.execute(insert(EVENT).from_select(
                ["case_id", "kind", "event", "from_status", "to_status", "occurred_on", "recorded_at", "actor_id",
                 "note", "data"],
                select(
                    CASE.c.id, literal("transition"), literal("found"), literal("preparatory"), literal("founded"),
                    CASE.c.status_since, literal(now, type_=EVENT.c.recorded_at.type), literal(actor.id),
                    literal(_("joint union {code} founded ({approval_ref})").format(code=code, approval_ref=approval_ref)),
                    literal({"joint_union": code, "approval_ref": approval_ref, "by_joint_union": True},
                            type_=EVENT.c.data.type),
                ).where(and_(CASE.c.joint_union_id == ju.id, CASE.c.status == "founded",
                             CASE.c.updated_at == now)),
            ))
    log.info("joint union %s founded on %s; %d attached cases founded", code, on, n)
    return {"code": code, "founded_on": on.isoformat(), "approval_ref": approval_ref, "cases_founded": n}


def list_joint_unions(ctx) -> list[dict]:
    """Joint unions with the number of attached (not closed) cases and of those covered."""
    attached = func.count(CASE.c.id).filter(CASE.c.status != "closed")
    covered = func.count(CASE.c.id).filter(CASE.c.status.in_(COVERED_STATUSES))
    q = (
        select(JU.c.code, JU.c.name, JU.c.kind, PARK.c.code.label("park"), JU.c.founded_on, JU.c.approval_ref,
               attached.label("cases"), covered.label("covered"))
        .join(PARK, PARK.c.id == JU.c.park_id)
        .outerjoin(CASE, and_(CASE.c.joint_union_id == JU.c.id, CASE.c.mode == "joint"))
        .group_by(JU.c.id, JU.c.code, JU.c.name, JU.c.kind, PARK.c.code, JU.c.founded_on, JU.c.approval_ref)
        .order_by(JU.c.code)
    )
    with reading(ctx.ready_engine) as conn:
        out = []
        for r in conn.execute(q):
            d = dict(r._mapping)
            d["founded_on"] = d["founded_on"].isoformat() if d["founded_on"] else None
            out.append(d)
        return out
