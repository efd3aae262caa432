"""The park's representatives of the six parties (六方): each planned meeting starts with this list."""

from __future__ import annotations

from sqlalchemy import case, delete, false, func, insert, or_, select

from templates.i18n import N_, _
from workflow.db import reading, transaction
from workflow.errors import AlreadyExists, InvalidInput, NotFound
from workflow.meetings import require_secretary
from workflow.packet_i18n import parse_party, party_label
from workflow.people import _check_email
from workflow.people import park_id as park_id_of
from workflow.permissions import require_actor
from workflow.tables import PARK, REP
from workflow.vocabulary import PARTIES


def _park_for(conn, actor, park: str | None) -> int:
    if park:
        return park_id_of(conn, park)
    if actor.park_id is None:
        raise InvalidInput(_("{code} belongs to no park: say which park with --park CODE").format(code=actor.code))
    return actor.park_id


def add_representative(ctx, *, party: str, name: str, email: str | None = None, title: str | None = None,
                       park: str | None = None) -> dict:
    """Add a representative of one party to a park's list (secretary of the park, or admin)."""
    key = parse_party(party)
    if key is None:
        raise InvalidInput(_("PARTY {party!r} is not one of the six parties: {parties}").format(
            party=party, parties=", ".join(PARTIES)))
    if not name or not name.strip():
        raise InvalidInput(_("NAME must not be empty"))
    email = _check_email(email) if email else None
    with transaction(ctx.ready_engine) as conn:
        actor = require_actor(conn, ctx.actor_code)
        pid = _park_for(conn, actor, park)
        require_secretary(conn, ctx, N_("manage the representatives"), pid)
        same = or_(func.lower(REP.c.name) == name.strip().lower(),
                   func.lower(REP.c.email) == email.lower() if email else false())
        twin = conn.execute(select(REP.c.id, REP.c.name).where(REP.c.park_id == pid, REP.c.party == key, same)).first()
        if twin is not None:  # every meeting would invite them twice
            raise AlreadyExists(_("{name} (id {id}) already represents {party} in this park: see `unionflow meeting "
                                  "party list`, and `meeting party remove {id}` to replace them").format(
                name=twin.name, id=twin.id, party=party_label(key, "zh") if ctx.lang == "zh" else key))
        rid = conn.execute(insert(REP).values(park_id=pid, party=key, name=name.strip(), email=email,
                                              title=(title or "").strip() or None)).inserted_primary_key[0]
        code = conn.execute(select(PARK.c.code).where(PARK.c.id == pid)).scalar_one()
    return {"id": rid, "park": code, "party": key, "name": name.strip(), "email": email, "title": title}


def list_representatives(ctx, *, park: str | None = None) -> list[dict]:
    """The representatives, in the order of the six parties, then as added."""
    order = case({p: i for i, p in enumerate(PARTIES)}, value=REP.c.party)
    q = (select(REP.c.id, PARK.c.code.label("park"), REP.c.party, REP.c.name, REP.c.email, REP.c.title)
         .join(PARK, PARK.c.id == REP.c.park_id).order_by(PARK.c.code, order, REP.c.id))
    with reading(ctx.ready_engine) as conn:
        if park:
            q = q.where(REP.c.park_id == park_id_of(conn, park))
        rows = [dict(r._mapping) for r in conn.execute(q)]
    for r in rows:
        r["party_label"] = party_label(r["party"], ctx.lang)
    return rows


def remove_representative(ctx, rep_id: int) -> dict:
    """Take someone off a park's list (meetings already planned keep their participants)."""
    with transaction(ctx.ready_engine) as conn:
        row = conn.execute(select(REP.c.id, REP.c.park_id, REP.c.party, REP.c.name).where(REP.c.id == rep_id)).first()
        if row is None:
            raise NotFound(_("no representative {id}: see `unionflow meeting party list`").format(id=rep_id))
        require_secretary(conn, ctx, N_("manage the representatives"), row.park_id)
        conn.execute(delete(REP).where(REP.c.id == rep_id))
    return {"id": row.id, "party": row.party, "name": row.name, "removed": True}
