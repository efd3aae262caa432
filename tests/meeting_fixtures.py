"""Set-up helpers shared by the meeting and packet tests (straight SQL, as the sweep would write)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import insert, select, update

from workflow.db import make_engine
from workflow.models import AgendaItem, CaseEvent, Escalation, FoundingCase, Target


def _engine_do(db_url: str, fn):
    engine = make_engine(db_url)
    try:
        with engine.begin() as conn:
            return fn(conn)
    finally:
        engine.dispose()


def add_escalation(db_url: str, case_id: int, *, level: str = "meeting", status: str = "contacted", working_days: int = 45,
                   allowed: int = 30, episode: int | None = None, as_of: str = "2026-06-12",
                   created_at: datetime | None = None) -> int:
    """A `meeting`-level escalation, pending (agenda_item_id NULL) as the sweep leaves it without a planned meeting."""
    def do(conn):
        ep = episode
        if ep is None:
            ep = conn.execute(select(FoundingCase.__table__.c.episode).where(FoundingCase.__table__.c.id == case_id)).scalar_one()
        return conn.execute(insert(Escalation.__table__).values(
            case_id=case_id, episode=ep, level=level, status=status, working_days=working_days, allowed=allowed,
            as_of=date.fromisoformat(as_of), created_at=created_at or datetime.now(UTC),
        )).inserted_primary_key[0]
    return _engine_do(db_url, do)


def add_event(db_url: str, case_id: int, kind: str, on: str, note: str, *, event: str | None = None,
              from_status: str | None = None, to_status: str | None = None) -> None:
    def do(conn):
        conn.execute(insert(CaseEvent.__table__).values(
            case_id=case_id, kind=kind, event=event, from_status=from_status, to_status=to_status,
            occurred_on=date.fromisoformat(on), recorded_at=datetime.now(UTC), note=note))
    _engine_do(db_url, do)


def add_target(db_url: str, rate: float, by: str, park_id: int | None = None, basis: str = "all") -> None:
    def do(conn):
        conn.execute(insert(Target.__table__).values(park_id=park_id, rate=rate, by_date=date.fromisoformat(by),
                                                     basis=basis, created_at=datetime.now(UTC)))
    _engine_do(db_url, do)


def query(db_url: str, stmt):
    return _engine_do(db_url, lambda conn: [tuple(r) for r in conn.execute(stmt)])


def escalation_links(db_url: str) -> dict[int, int | None]:
    t = Escalation.__table__
    return dict(query(db_url, select(t.c.id, t.c.agenda_item_id).order_by(t.c.id)))


def agenda(db_url: str, meeting_id: int) -> list[tuple]:
    t = AgendaItem.__table__
    return query(db_url, select(t.c.case_id, t.c.source, t.c.times_on_agenda, t.c.decision, t.c.owner_party, t.c.due_on)
                 .where(t.c.meeting_id == meeting_id).order_by(t.c.case_id))


def set_status(db_url: str, case_id: int, status: str, since: str) -> None:
    t = FoundingCase.__table__
    _engine_do(db_url, lambda conn: conn.execute(update(t).where(t.c.id == case_id).values(
        status=status, status_since=date.fromisoformat(since), episode=t.c.episode + 1)))
