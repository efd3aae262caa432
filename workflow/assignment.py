"""Contract responsibility (包干责任制): assigning founding cases to the cadre who answers for them.

Set-based: one INSERT … SELECT writes an `assignment` event (from → to, by whom) for every case that
changes hands, and one UPDATE moves them — in the same transaction.
"""

from __future__ import annotations

import logging

from sqlalchemy import String, and_, func, insert, literal, select, update

from templates.i18n import N_, _
from templates.labels import value as coded
from workflow.db import transaction
from workflow.errors import InvalidInput, NotFound, PermissionDenied
from workflow.people import cadre_row
from workflow.people import park_id as resolve_park
from workflow.permissions import require_actor, require_role
from workflow.sqlfn import json_object
from workflow.tables import CADRE, CASE, ENT, EVENT, PARK
from workflow.uscc import normalise_uscc, uscc_problem

log = logging.getLogger(__name__)

HOLDER_ROLES = ("cadre", "social_worker", "supervisor")


def assign(ctx, cadre_code: str, usccs=(), *, park=None, grid=None, industry=None, only_unassigned=False,
           from_cadre=None) -> dict:
    """Make `cadre_code` responsible for the selected cases.

    Selectors (combined with AND): a USCC list, a park, a grid, an industry, the cases of another cadre
    (`from_cadre`: a hand-over, e.g. when that cadre leaves); at least one is needed. A selection by
    park/grid/industry/cadre leaves closed cases out; `only_unassigned` keeps cases that already have a
    cadre. Admins assign anywhere; a supervisor only within their own park.
    """
    usccs = list(dict.fromkeys(normalise_uscc(u) for u in usccs if u and u.strip()))
    if not (usccs or park or grid or industry or from_cadre):
        raise InvalidInput(_("say which cases to assign: give USCCs, --park, --grid, --industry or --from"))
    with transaction(ctx.ready_engine) as conn:
        actor = require_actor(conn, ctx.actor_code)
        require_role(actor, N_("assign cases"), "supervisor")
        previous = cadre_row(conn, from_cadre) if from_cadre else None
        target = _target(conn, cadre_code)
        if previous is not None and previous.id == target.id:
            raise InvalidInput(_("--from {code} names {code} itself: hand the cases to another cadre").format(
                code=target.code))
        park_id = resolve_park(conn, park) if park else None
        if actor.role == "supervisor":
            park_id = _supervisor_scope(conn, actor, target, park, park_id)
        ent_where = []
        if usccs:
            _check_usccs(conn, actor, usccs)
            ent_where.append(ENT.c.uscc.in_(usccs))
        if park_id is not None:
            ent_where.append(ENT.c.park_id == park_id)
        if grid:
            ent_where.append(ENT.c.grid == grid)
        if industry:
            ent_where.append(ENT.c.industry == industry)
        case_where = [CASE.c.enterprise_id.in_(select(ENT.c.id).where(*ent_where))]
        if previous is not None:
            case_where.append(CASE.c.cadre_id == previous.id)
        if not usccs:
            case_where.append(CASE.c.status != "closed")  # named explicitly, a closed case may be assigned
        matching = and_(*case_where)
        if only_unassigned:
            case_where.append(CASE.c.cadre_id.is_(None))
        changing = CASE.c.cadre_id.is_distinct_from(target.id)

        if conn.dialect.name == "postgresql":
            # Lock the selection so the recorded "from" cadre is the one the UPDATE replaces.
            locked = select(CASE.c.id).where(*case_where).with_for_update().subquery()
            conn.execute(select(func.count()).select_from(locked))
        chosen = and_(*case_where)
        matched, selected, changes = conn.execute(
            select(func.count(), func.count().filter(chosen), func.count().filter(chosen, changing))
            .select_from(CASE).where(matching)
        ).one()
        if not matched:
            raise NotFound(_("no case matches {selection}: nothing was assigned (see `unionflow enterprise list`)").format(
                selection=_selection(usccs, park, grid, industry, from_cadre)))
        now, today = ctx.clock.now(), ctx.clock.today()
        old = CADRE.alias("old")
        # The note in the assigner's language; the previous cadre is filled in by SQL (a NUL marks the spot).
        head, tail = _("assigned to {cadre} by {actor} (was {previous})").format(
            cadre=target.code, actor=actor.code, previous="\0").split("\0")
        note = literal(head, String) + func.coalesce(old.c.code, _("unassigned")) + literal(tail, String)
        conn.execute(
            insert(EVENT).from_select(
                ["case_id", "kind", "event", "from_status", "to_status", "occurred_on", "recorded_at", "actor_id",
                 "note", "data"],
                select(CASE.c.id, literal("assignment"), literal("assign"), CASE.c.status, CASE.c.status,
                       literal(today, EVENT.c.occurred_on.type), literal(now, EVENT.c.recorded_at.type),
                       literal(actor.id), note,
                       json_object(conn.dialect.name, **{"from": old.c.code, "to": target.code, "by": actor.code}))
                .select_from(CASE.outerjoin(old, old.c.id == CASE.c.cadre_id))
                .where(*case_where, changing).order_by(CASE.c.id),
            )
        )  # fmt: skip
        moved = conn.execute(
            update(CASE).where(*case_where, changing)
            .values(cadre_id=target.id, version=CASE.c.version + 1, updated_at=now)
        ).rowcount  # fmt: skip
        if moved != changes:  # the selection was locked: a difference means a bug, so write nothing
            raise RuntimeError(f"assignment counted {changes} changes but moved {moved} cases")
    log.info("%s assigned %d of %d cases to %s", actor.code, moved, selected, target.code)
    return {"cadre": target.code, "assigned": moved, "unchanged": selected - moved, "cases": selected,
            "matched": matched, "from": previous.code if previous is not None else None}


def _selection(usccs, park, grid, industry, from_cadre=None) -> str:
    """The selectors as the user gave them, e.g. `--park SJ --industry 不存在`."""
    given = [" ".join(usccs)] if usccs else []
    given += [f"{option} {v}" for option, v in (("--park", park), ("--grid", grid), ("--industry", industry),
                                                ("--from", from_cadre)) if v]
    return " ".join(given)


def _target(conn, code: str):
    target = cadre_row(conn, code)
    if not target.active:
        raise InvalidInput(_("{code} is deactivated: assign the cases to an active cadre (see `unionflow cadre list`), "
                             "or activate {code} again with `unionflow cadre activate {code}`").format(code=target.code))
    if target.role not in HOLDER_ROLES:
        raise InvalidInput(
            _("{code} has the role {role}: cases go to a cadre, social worker or supervisor ({roles})").format(
                code=code, role=coded("role", target.role), roles=", ".join(HOLDER_ROLES))
        )
    return target


def _park_code(conn, pid) -> str:
    return conn.execute(select(PARK.c.code).where(PARK.c.id == pid)).scalar() or _("none")


def _supervisor_scope(conn, actor, target, park: str | None, park_id: int | None) -> int:
    """A supervisor assigns the cases of their own park to the cadres of their own park."""
    if actor.park_id is None:
        raise PermissionDenied(_("{actor} may not assign cases: a supervisor assigns within their park, and {code} "
                                 "has no park").format(actor=actor, code=actor.code))
    own = _park_code(conn, actor.park_id)
    if park_id is not None and park_id != actor.park_id:
        raise PermissionDenied(_("{actor} may not assign the cases of park {park}: a supervisor assigns only within "
                                 "their own park ({own})").format(actor=actor, park=park, own=own))
    if target.park_id != actor.park_id:
        raise PermissionDenied(
            _("{actor} may not assign cases to {target}: {target} belongs to park {park}, and a supervisor assigns "
              "only to cadres of their own park ({own})").format(
                actor=actor, target=target.code, park=_park_code(conn, target.park_id), own=own)
        )
    return actor.park_id


def _check_usccs(conn, actor, usccs: list[str]) -> None:
    rows = conn.execute(select(ENT.c.uscc, ENT.c.park_id).where(ENT.c.uscc.in_(usccs))).all()
    found = {r.uscc: r.park_id for r in rows}
    unknown = [u for u in usccs if u not in found]
    if unknown:
        named = [_("{uscc} ({problem})").format(uscc=u, problem=problem) if (problem := uscc_problem(u)) else u
                 for u in unknown]  # a typo, said where it is
        raise NotFound(_("no enterprise with USCC {usccs}: nothing was assigned").format(usccs=", ".join(named)))
    if actor.role == "supervisor":
        outside = [u for u in usccs if found[u] != actor.park_id]
        if outside:
            raise PermissionDenied(
                _("{actor} may not assign {usccs}: not in park {park}, and a supervisor assigns only within their own "
                  "park").format(actor=actor, usccs=", ".join(outside), park=_park_code(conn, actor.park_id))
            )

