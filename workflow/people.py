"""Parks, cadres and the first admin."""

from __future__ import annotations

from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from templates.i18n import N_, _
from templates.labels import value as coded
from workflow.db import reading, transaction, upgrade
from workflow.errors import AlreadyExists, InvalidInput, NotFound
from workflow.permissions import require_actor, require_role
from workflow.tables import CADRE as C
from workflow.tables import PARK as P
from workflow.vocabulary import PARK_LEVELS, ROLES


def park_id(conn, code: str) -> int:
    pid = conn.execute(select(P.c.id).where(P.c.code == code)).scalar()
    if pid is None:
        raise NotFound(_("no park with code {code!r}: see `unionflow park list`").format(code=code))
    return pid


def cadre_row(conn, code: str):
    row = conn.execute(select(C).where(C.c.code == code)).first()
    if row is None:
        raise NotFound(_("no cadre with code {code!r}: see `unionflow cadre list`").format(code=code))
    return row


def _check_email(email: str) -> str:
    email = email.strip()
    if "@" not in email or any(ch in email for ch in "\r\n <>,"):
        raise InvalidInput(_("not an email address: {email!r}").format(email=email))
    return email


def init(ctx, *, admin: str, name: str, email: str) -> dict:
    """Create or upgrade the schema and the first admin (idempotent for the same admin)."""
    upgrade(ctx.config.database_url)
    with transaction(ctx.engine) as conn:
        existing = conn.execute(select(C.c.code, C.c.role).where(C.c.code == admin)).first()
        if existing is None:
            if conn.execute(select(func.count()).select_from(C).where(C.c.role == "admin")).scalar():
                raise AlreadyExists(_("the database already has an admin; an admin adds more with `unionflow cadre add`"))
            conn.execute(insert(C).values(code=admin, name=name, email=_check_email(email), role="admin", active=True))
            created = True
        elif existing.role != "admin":
            raise AlreadyExists(_("{admin} exists and is not an admin").format(admin=admin))
        else:
            created = False
    return {"admin": admin, "created": created, "database": ctx.engine.url.render_as_string(hide_password=True)}


def add_park(ctx, *, code: str, name: str, level: str = "national", parent: str | None = None) -> dict:
    if level not in PARK_LEVELS:
        raise InvalidInput(_("park level must be one of {levels}").format(levels=", ".join(PARK_LEVELS)))
    with transaction(ctx.ready_engine) as conn:
        require_role(require_actor(conn, ctx.actor_code), N_("add a park"), "admin")
        parent_id = park_id(conn, parent) if parent else None
        try:
            with conn.begin_nested():
                conn.execute(insert(P).values(code=code, name=name, level=level, parent_id=parent_id))
        except IntegrityError:
            raise AlreadyExists(_("a park with code {code!r} already exists").format(code=code)) from None
    return {"code": code, "name": name, "level": level, "parent": parent}


def list_parks(ctx) -> list[dict]:
    parent = P.alias("parent")
    with reading(ctx.ready_engine) as conn:
        rows = conn.execute(
            select(P.c.code, P.c.name, P.c.level, parent.c.code.label("parent"))
            .outerjoin(parent, parent.c.id == P.c.parent_id).order_by(P.c.code)
        )
        return [dict(r._mapping) for r in rows]


def add_cadre(ctx, *, code, name, email, role="cadre", park=None, supervisor=None) -> dict:
    if role not in ROLES:
        raise InvalidInput(_("role must be one of {roles}").format(roles=", ".join(ROLES)))
    with transaction(ctx.ready_engine) as conn:
        actor = require_actor(conn, ctx.actor_code)
        require_role(actor, N_("add a cadre"), "admin")
        pid = park_id(conn, park) if park else None
        sup = cadre_row(conn, supervisor) if supervisor else None
        if sup is not None and sup.role not in ("supervisor", "admin"):
            raise InvalidInput(_("{code} is a {role}, not a supervisor: a supervisor must have the role supervisor").format(
                code=supervisor, role=coded("role", sup.role)))
        try:
            with conn.begin_nested():
                conn.execute(insert(C).values(code=code, name=name, email=_check_email(email), role=role,
                                              park_id=pid, supervisor_id=sup.id if sup else None, active=True))
        except IntegrityError:
            raise AlreadyExists(_("a cadre with code {code!r} already exists").format(code=code)) from None
    return {"code": code, "name": name, "email": email, "role": role, "park": park, "supervisor": supervisor}


def list_cadres(ctx) -> list[dict]:
    sup = C.alias("sup")
    with reading(ctx.ready_engine) as conn:
        rows = conn.execute(
            select(C.c.code, C.c.name, C.c.email, C.c.role, P.c.code.label("park"), sup.c.code.label("supervisor"),
                   C.c.active)
            .outerjoin(P, P.c.id == C.c.park_id).outerjoin(sup, sup.c.id == C.c.supervisor_id).order_by(C.c.code)
        )
        return [dict(r._mapping) for r in rows]
