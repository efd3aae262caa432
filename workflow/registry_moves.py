"""Re-import: enterprises the file puts in another park (set-based over the import's staging table).

A filled park cell that differs from the stored park moves the enterprise. The move is applied by the
import's UPDATE; here it is counted, and written on each case's timeline as an `update` event (`move`,
naming the old and the new park). A case whose cadre belongs to neither the new park nor a park above
it is released (no cadre), with an `assignment` event: the new park's supervisor assigns it — a
supervisor acts on the unassigned cases of their park and assigns within it.
"""

from __future__ import annotations

from sqlalchemy import String, and_, cast, func, insert, literal, not_, or_, select, update
from sqlalchemy.sql.elements import ColumnElement

from templates.i18n import _
from workflow.sqlfn import json_object
from workflow.tables import CADRE, CASE, ENT, EVENT, PARK

EVENT_COLUMNS = ["case_id", "kind", "event", "from_status", "to_status", "occurred_on", "recorded_at", "actor_id",
                 "note", "data"]


def _moving(stage):
    return and_(stage.c.park_id.is_not(None), stage.c.park_id != ENT.c.park_id)


def _cadre_stays(stage, parks):
    """The case's cadre belongs to no park, to the new park or to a park above it (`parks.above`)."""
    return or_(CADRE.c.park_id.is_(None),
               *(and_(stage.c.park_id == pid, CADRE.c.park_id.in_(up)) for pid, up in parks.above.items()))


def _released(stage, parks):
    return and_(CASE.c.cadre_id.is_not(None), not_(_cadre_stays(stage, parks)))


def _cases(stage):
    return stage.join(ENT, ENT.c.id == stage.c.ent_id).join(CASE, CASE.c.enterprise_id == ENT.c.id)


def count_moves(conn, stage, parks) -> dict:
    """{"moved": enterprises going to another park, "released": their cases losing a cadre of the old park}."""
    moved, released = conn.execute(
        select(func.count(), func.count().filter(_released(stage, parks)))
        .select_from(stage.join(ENT, ENT.c.id == stage.c.ent_id).outerjoin(CASE, CASE.c.enterprise_id == ENT.c.id)
                     .outerjoin(CADRE, CADRE.c.id == CASE.c.cadre_id))
        .where(_moving(stage))
    ).one()
    return {"moved": moved, "released": released}


def sql_text(template: str, **values) -> ColumnElement:
    """A translated text as an SQL expression: Python values formatted in, SQL expressions concatenated in
    their places (each marked with NULs while formatting)."""
    sql = {k: v for k, v in values.items() if isinstance(v, ColumnElement)}
    parts = template.format(**{**values, **{k: f"\0{k}\0" for k in sql}}).split("\0")
    text = literal(parts[0], String)
    for key, after in zip(parts[1::2], parts[2::2], strict=True):
        text = text + cast(sql[key], String) + literal(after, String)
    return text


def write_moves(conn, stage, today, now, actor, filename: str, parks) -> None:
    """The moves' events and releases, before the enterprise's park is updated (the old park is still there)."""
    old, new = PARK.alias("old_park"), PARK.alias("new_park")
    cases = _cases(stage).join(old, old.c.id == ENT.c.park_id).join(new, new.c.id == stage.c.park_id)
    day, stamp = literal(today, EVENT.c.occurred_on.type), literal(now, EVENT.c.recorded_at.type)
    dialect = conn.dialect.name
    note = sql_text(_("moved from park {old} to park {new} (imported from {file}, row {row})"),
                    old=old.c.code, new=new.c.code, file=filename, row=stage.c.rownum)
    conn.execute(insert(EVENT).from_select(EVENT_COLUMNS, select(
        CASE.c.id, literal("update"), literal("move"), CASE.c.status, CASE.c.status, day, stamp, literal(actor.id),
        note, json_object(dialect, file=filename, row=stage.c.rownum, from_park=old.c.code, to_park=new.c.code),
    ).select_from(cases).where(_moving(stage)).order_by(stage.c.rownum)))
    released = cases.join(CADRE, CADRE.c.id == CASE.c.cadre_id)
    note = sql_text(_("unassigned by {actor} (was {previous}): the enterprise moved to park {park}"),
                    actor=actor.code, previous=CADRE.c.code, park=new.c.code)
    conn.execute(insert(EVENT).from_select(EVENT_COLUMNS, select(
        CASE.c.id, literal("assignment"), literal("assign"), CASE.c.status, CASE.c.status, day, stamp,
        literal(actor.id), note,
        json_object(dialect, **{"from": CADRE.c.code, "to": None, "by": actor.code, "park": new.c.code}),
    ).select_from(released).where(_moving(stage), _released(stage, parks)).order_by(stage.c.rownum)))
    ids = select(CASE.c.id).select_from(released).where(_moving(stage), _released(stage, parks)).correlate(None)
    conn.execute(update(CASE).where(CASE.c.id.in_(ids))
                 .values(cadre_id=None, version=CASE.c.version + 1, updated_at=now))
