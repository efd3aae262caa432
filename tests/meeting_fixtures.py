"""Set-up helpers shared by the meeting and packet tests (straight SQL, as the sweep would write)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import insert, select, update

from tests.conftest import USCCS, add_enterprise
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


def meeting_park(org, cli) -> dict:
    """Park SJ with two representatives, three cases (two escalated), and one XP case escalated."""
    cli("meeting", "party", "add", "party_committee", "孙书记", "--email", "sun@example.org", user="SEC1")
    cli("meeting", "party", "add", "执法监管部门", "周强", "--email", "zhou@example.org", "--title", "市场监管所所长",
        user="SEC1")
    cases = {
        "a": add_enterprise(org, USCCS[0], "上海松江精密机械有限公司", cadre="C01", status="contacted",
                            status_since="2026-03-02"),
        "b": add_enterprise(org, USCCS[1], "云间包装材料有限公司", cadre="C02", status="prospect", status_since="2026-04-01"),
        "c": add_enterprise(org, USCCS[2], "九亭小微科技有限公司", cadre="C01", employees=8),
        "x": add_enterprise(org, USCCS[3], "新浜食品有限公司", park="XP", cadre="C03", status="contacted",
                            status_since="2026-03-02"),
    }
    cases["esc_a"] = add_escalation(org, cases["a"], status="contacted")
    cases["esc_b"] = add_escalation(org, cases["b"], status="prospect", working_days=50, allowed=20)
    cases["esc_x"] = add_escalation(org, cases["x"], status="contacted")
    # An escalation of an episode the case has left: stale, stays out.
    cases["esc_c_old"] = add_escalation(org, cases["c"], status="prospect", episode=0, working_days=31, allowed=20)
    return cases
