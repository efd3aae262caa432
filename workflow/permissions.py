"""Who may do what (DESIGN.md): checked here, before anything is written; a refusal says who, what, why."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, text

from workflow.errors import NoActingUser, NotFound, PermissionDenied
from workflow.models import Cadre


@dataclass(frozen=True)
class Actor:
    id: int
    code: str
    name: str
    role: str
    park_id: int | None

    def __str__(self) -> str:
        return f"{self.code} ({self.role})"


def require_actor(conn, code: str | None) -> Actor:
    if not code:
        raise NoActingUser("this command changes data: say who you are with --as CODE or UNIONFLOW_USER")
    t = Cadre.__table__
    row = conn.execute(select(t.c.id, t.c.code, t.c.name, t.c.role, t.c.park_id, t.c.active).where(t.c.code == code)).first()
    if row is None:
        raise NotFound(f"no cadre with code {code!r}: see `unionflow cadre list`")
    if not row.active:
        raise PermissionDenied(f"{code} is deactivated and may not act")
    return Actor(row.id, row.code, row.name, row.role, row.park_id)


def require_role(actor: Actor, action: str, *roles: str) -> None:
    if actor.role not in roles and actor.role != "admin":
        allowed = ", ".join(dict.fromkeys((*roles, "admin")))
        raise PermissionDenied(f"{actor} may not {action}: that needs the role {allowed}")


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
    who = f"cadre {case.cadre}" if owner is not None else "nobody yet (unassigned)"
    why = {
        "secretary": "a secretary manages meetings and reads cases but does not act on them",
    }.get(actor.role, f"the case is the responsibility of {who}, and {actor.code} is not their supervisor")
    raise PermissionDenied(f"{actor} may not {action} case {case.id} ({case.uscc}): {why}")
