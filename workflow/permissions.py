"""Who may do what (DESIGN.md): checked here, before anything is written; a refusal says who, what, why."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, text

from templates.i18n import _
from templates.labels import VALUES
from templates.labels import value as coded
from workflow.errors import NoActingUser, NotFound, PermissionDenied
from workflow.tables import CADRE


@dataclass(frozen=True)
class Actor:
    id: int
    code: str
    name: str
    role: str
    park_id: int | None

    def __str__(self) -> str:
        return _("{code} ({role})").format(code=self.code, role=coded("role", self.role))


def require_actor(conn, code: str | None) -> Actor:
    if not code:
        raise NoActingUser(_("this command changes data: say who you are with --as CODE or UNIONFLOW_USER"))
    c = CADRE.c
    row = conn.execute(select(c.id, c.code, c.name, c.role, c.park_id, c.active).where(c.code == code)).first()
    if row is None:
        raise NotFound(_("no cadre with code {code!r}: see `unionflow cadre list`").format(code=code))
    if not row.active:
        raise PermissionDenied(_("{code} is deactivated and may not act").format(code=code))
    return Actor(row.id, row.code, row.name, row.role, row.park_id)


def require_role(actor: Actor, action: str, *roles: str) -> None:
    """`action` is English marked with N_() by the caller (translated here)."""
    if actor.role not in roles and actor.role != "admin":
        allowed = ", ".join(coded("role", r) for r in dict.fromkeys((*roles, "admin")))
        raise PermissionDenied(_("{actor} may not {action}: that needs the role {allowed}").format(
            actor=actor, action=_(action), allowed=allowed))


def subordinate_ids(conn, supervisor_id: int) -> set[int]:
    """Everyone below a supervisor, however deep (one recursive query)."""
    rows = conn.execute(
        text(
            "WITH RECURSIVE sub(id) AS (SELECT id FROM cadre WHERE supervisor_id = :s "
            "UNION SELECT c.id FROM cadre c JOIN sub ON c.supervisor_id = sub.id) SELECT id FROM sub"
        ),
        {"s": supervisor_id},
    )
    return {r[0] for r in rows}


def check_case_access(conn, actor: Actor, action: str, case) -> None:
    """A cadre acts on own cases; a supervisor also on subordinates' and unassigned ones of the park; admin all."""
    if actor.role == "admin":
        return
    owner = case.cadre_id
    if actor.role in ("cadre", "social_worker", "supervisor") and owner == actor.id:
        return
    if actor.role == "supervisor":
        if owner is not None and owner in subordinate_ids(conn, actor.id):
            return
        if owner is None and actor.park_id is not None and case.park_id == actor.park_id:
            return
    if actor.role == "secretary":
        why = _("a secretary manages meetings and reads cases but does not act on them")
    else:
        why = (_("the case is the responsibility of cadre {cadre}, and {code} is not their supervisor") if owner is not None
               else _("no cadre is responsible for the case yet: until it is assigned (`unionflow assign`), only an "
                      "admin or a supervisor of park {park} acts on it")
               ).format(cadre=case.cadre, code=actor.code, park=case.park)
    # `action` is an event (contact, prepare, …) or English marked with N_() by the caller.
    action = coded("event", action) if action in VALUES["event"] else _(action)
    raise PermissionDenied(_("{actor} may not {action} case {id} ({uscc}): {why}").format(
        actor=actor, action=action, id=case.id, uscc=case.uscc, why=why))
