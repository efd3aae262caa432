"""Parks, cadres and the first admin."""

from __future__ import annotations

from sqlalchemy import func, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from templates.i18n import N_, _
from templates.labels import value as coded
from workflow.db import Rows, first_rows, reading, transaction, upgrade
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


def park_and_parents(conn, pid: int) -> list[int]:
    """A park's id and those of the parks above it, however high (the park table is small)."""
    rows = conn.execute(text(
        "WITH RECURSIVE up(id, parent_id) AS (SELECT id, parent_id FROM park WHERE id = :pid "
        "UNION SELECT p.id, p.parent_id FROM park p JOIN up ON p.id = up.parent_id) SELECT id FROM up"
    ), {"pid": pid})
    return [r[0] for r in rows]


def cadre_row(conn, code: str):
    row = conn.execute(select(C).where(C.c.code == code)).first()
    if row is None:
        raise NotFound(_("no cadre with code {code!r}: see `unionflow cadre list`").format(code=code))
    return row


def _check_email(email: str) -> str:
    email = (email or "").strip()
    if "@" not in email or any(ch in email for ch in "\r\n <>,") or len(email) > C.c.email.type.length:
        raise InvalidInput(_("not an email address: {email!r}").format(email=email))
    return email


def clean_code(code: str | None, what: str, limit: int = 32) -> str:
    """A code (of a park, a cadre, a joint union): one word, stripped, at most `limit` characters.

    `what` is English marked with N_() by the caller, e.g. "the park's CODE" (translated here).
    """
    text = (code or "").strip()
    if not text:
        raise InvalidInput(_("{what} is empty: a code is one word, e.g. SJ or C01").format(what=_(what)))
    if any(ch.isspace() for ch in text):
        raise InvalidInput(_("{what} {code!r} has a space in it: a code is one word, e.g. SJ or C01").format(
            what=_(what), code=text))
    if len(text) > limit:
        raise InvalidInput(_("{what} {code!r} is too long: at most {limit} characters").format(
            what=_(what), code=text, limit=limit))
    return text


def clean_name(name: str | None, what: str, limit: int) -> str:
    """A name: stripped, not empty, at most `limit` characters. `what` as for `clean_code`."""
    text = (name or "").strip()
    if not text:
        raise InvalidInput(_("{what} is empty: give a name").format(what=_(what)))
    if len(text) > limit:
        raise InvalidInput(_("{what} is too long: {n} characters, at most {limit}").format(
            what=_(what), n=len(text), limit=limit))
    return text


def code_taken(conn, column, code: str) -> str | None:
    """The stored code equal to `code` regardless of case, if any: codes that differ only in case would be
    ambiguous (the import matches park codes whatever their case)."""
    return conn.execute(select(column).where(func.lower(column) == code.lower())).scalar()


def refuse_taken(taken: str, code: str, message: str) -> AlreadyExists:
    """`message` says "a … with code {code!r} already exists"; a clash by case alone is said as such."""
    said = message.format(code=taken)
    if taken != code:
        said += _(" ({code!r} differs from it only in case)").format(code=code)
    return AlreadyExists(said)


def init(ctx, *, admin: str, name: str, email: str) -> dict:
    """Create or upgrade the schema and the first admin (idempotent for the same admin)."""
    admin = clean_code(admin, N_("the admin's code (--admin)"))
    name = clean_name(name, N_("the admin's name (--name)"), C.c.name.type.length)
    email = _check_email(email)
    upgrade(ctx.config.database_url)
    with transaction(ctx.engine) as conn:
        existing = conn.execute(select(C.c.code, C.c.role).where(C.c.code == admin)).first()
        if existing is None:
            if conn.execute(select(func.count()).select_from(C).where(C.c.role == "admin")).scalar():
                raise AlreadyExists(_("the database already has an admin; an admin adds more with `unionflow cadre add`"))
            conn.execute(insert(C).values(code=admin, name=name, email=email, role="admin", active=True))
            created = True
        elif existing.role != "admin":
            raise AlreadyExists(_("{admin} exists and is not an admin").format(admin=admin))
        else:
            created = False
    return {"admin": admin, "created": created, "database": ctx.engine.url.render_as_string(hide_password=True)}


def add_park(ctx, *, code: str, name: str, level: str = "national", parent: str | None = None) -> dict:
    if level not in PARK_LEVELS:
        raise InvalidInput(_("park level must be one of {levels}").format(levels=", ".join(PARK_LEVELS)))
    code = clean_code(code, N_("the park's CODE"), P.c.code.type.length)
    name = clean_name(name, N_("the park's NAME"), P.c.name.type.length)
    with transaction(ctx.ready_engine) as conn:
        require_role(require_actor(conn, ctx.actor_code), N_("add a park"), "admin")
        parent_id = park_id(conn, parent) if parent else None
        if taken := code_taken(conn, P.c.code, code):
            raise refuse_taken(taken, code, _("a park with code {code!r} already exists"))
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
    code = clean_code(code, N_("the cadre's CODE"), C.c.code.type.length)
    name = clean_name(name, N_("the cadre's name (--name)"), C.c.name.type.length)
    email = _check_email(email)
    with transaction(ctx.ready_engine) as conn:
        actor = require_actor(conn, ctx.actor_code)
        require_role(actor, N_("add a cadre"), "admin")
        pid = park_id(conn, park) if park else None
        sup = cadre_row(conn, supervisor) if supervisor else None
        if sup is not None:
            _check_supervisor(conn, sup, code, park, pid)
        if taken := code_taken(conn, C.c.code, code):
            raise refuse_taken(taken, code, _("a cadre with code {code!r} already exists"))
        try:
            with conn.begin_nested():
                conn.execute(insert(C).values(code=code, name=name, email=email, role=role,
                                              park_id=pid, supervisor_id=sup.id if sup else None, active=True))
        except IntegrityError:
            raise AlreadyExists(_("a cadre with code {code!r} already exists").format(code=code)) from None
    return {"code": code, "name": name, "email": email, "role": role, "park": park, "supervisor": supervisor}


def _check_supervisor(conn, sup, code: str, park: str | None, pid: int | None) -> None:
    """A cadre's supervisor is a supervisor (or an admin) of the cadre's own park: a supervisor acts on
    their subordinates' cases, so one of another park would reach into this one."""
    if sup.role not in ("supervisor", "admin"):
        raise InvalidInput(_("{code} has the role {role}: a cadre's supervisor must have the role {supervisor} or "
                             "{admin}").format(code=sup.code, role=coded("role", sup.role),
                                               supervisor=coded("role", "supervisor"), admin=coded("role", "admin")))
    if sup.park_id is not None and sup.park_id != pid:
        sup_park = conn.execute(select(P.c.code).where(P.c.id == sup.park_id)).scalar()
        if park is None:
            raise InvalidInput(_("{supervisor} supervises park {sup_park}, and {code} would have no park: give "
                                 "--park {sup_park}").format(supervisor=sup.code, sup_park=sup_park, code=code))
        raise InvalidInput(
            _("{supervisor} supervises park {sup_park}, not {park}: a cadre's supervisor must be of the cadre's park "
              "(give a supervisor of {park})").format(supervisor=sup.code, sup_park=sup_park, park=park))


def set_active(ctx, code: str, active: bool) -> dict:
    """Deactivate a cadre who leaves (they no longer act, receive cases or get mail) or activate one again
    (admins). Their cases stay theirs until handed over (`assign NEW --from CODE`): `open_cases` says how many."""
    from workflow.tables import CASE

    with transaction(ctx.ready_engine) as conn:
        actor = require_actor(conn, ctx.actor_code)
        require_role(actor, N_("activate or deactivate a cadre"), "admin")
        row = cadre_row(conn, code)
        if not active and row.id == actor.id:
            raise InvalidInput(_("{code} cannot deactivate themselves: another admin does it").format(code=actor.code))
        changed = row.active != active
        if changed:
            conn.execute(update(C).where(C.c.id == row.id).values(active=active))
        open_cases = conn.execute(select(func.count()).select_from(CASE).where(
            CASE.c.cadre_id == row.id, CASE.c.status != "closed")).scalar()
    return {"code": row.code, "active": active, "changed": changed, "open_cases": open_cases}


def list_cadres(ctx, limit: int | None = None) -> Rows:
    """The cadres by code, at most `limit` (all if None), with the total."""
    sup = C.alias("sup")
    with reading(ctx.ready_engine) as conn:
        rows = first_rows(conn, (
            select(C.c.code, C.c.name, C.c.email, C.c.role, P.c.code.label("park"), sup.c.code.label("supervisor"),
                   C.c.active)
            .outerjoin(P, P.c.id == C.c.park_id).outerjoin(sup, sup.c.id == C.c.supervisor_id).order_by(C.c.code)
        ), limit)
        return Rows([dict(r._mapping) for r in rows], rows.total)
