"""Tables of the engine. Enumerations are strings guarded by CHECK constraints (portable, migratable).

These models declare the schema. The schema is made only by the alembic migrations in
`workflow/migrations/` (a test checks that models and migrations agree); the engine runs on their
SQLAlchemy Core mirror `workflow/tables.py`, made by scripts/gen_tables.py (a test checks it is current),
so that a command does not import SQLModel and pydantic.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, Column, Index, UniqueConstraint, text
from sqlalchemy.ext.mutable import MutableDict
from sqlmodel import Field, SQLModel

from notifications.columns import UTCDateTime
from workflow.vocabulary import (  # noqa: F401 - re-exported for the tests
    ACTIVITY_KINDS,
    BASES,
    CLOSE_REASONS,
    COVERED_STATUSES,
    EVENT_KINDS,
    JOINT_KINDS,
    LEVELS,
    MEETING_STATUSES,
    MODES,
    OPEN_STATUSES,
    PARK_LEVELS,
    PARTIES,
    ROLES,
    SOURCES,
    STATUSES,
)


def one_of(column: str, values: tuple[str, ...], name: str, nullable: bool = False) -> CheckConstraint:
    listed = ", ".join(f"'{v}'" for v in values)
    expr = f"{column} IN ({listed})"
    if nullable:
        expr = f"{column} IS NULL OR {expr}"
    return CheckConstraint(expr, name=name)


def utc_column(nullable: bool = True) -> Column:
    return Column(UTCDateTime(), nullable=nullable)


class Park(SQLModel, table=True):
    """A park (园区): national, municipal or district level; sub-parks point at their parent."""

    __tablename__ = "park"
    __table_args__ = (one_of("level", PARK_LEVELS, "ck_park_level"),)

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True)
    name: str = Field(max_length=200)
    level: str = Field(default="national", max_length=16)
    parent_id: int | None = Field(default=None, foreign_key="park.id")


class Cadre(SQLModel, table=True):
    """A user: a cadre responsible for cases (包干), a social worker, supervisor, secretary or admin."""

    __tablename__ = "cadre"
    __table_args__ = (one_of("role", ROLES, "ck_cadre_role"),)

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True)
    name: str = Field(max_length=100)
    email: str = Field(max_length=200)
    role: str = Field(default="cadre", max_length=16)
    park_id: int | None = Field(default=None, foreign_key="park.id", index=True)
    supervisor_id: int | None = Field(default=None, foreign_key="cadre.id", index=True)
    active: bool = Field(default=True)


class JointUnion(SQLModel, table=True):
    """A joint union (联合工会): grid, industry cluster or park-within-park; covers member enterprises."""

    __tablename__ = "joint_union"
    __table_args__ = (one_of("kind", JOINT_KINDS, "ck_joint_union_kind"),)

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True)
    name: str = Field(max_length=200)
    kind: str = Field(max_length=16)
    park_id: int = Field(foreign_key="park.id", index=True)
    founded_on: date | None = None
    approval_ref: str | None = Field(default=None, max_length=100)


class Enterprise(SQLModel, table=True):
    """A non-public enterprise of the registry, identified by its USCC."""

    __tablename__ = "enterprise"
    __table_args__ = (
        one_of("source", SOURCES, "ck_enterprise_source"),
        CheckConstraint("employees IS NULL OR employees >= 0", name="ck_enterprise_employees"),
        CheckConstraint("members IS NULL OR members >= 0", name="ck_enterprise_members"),
        Index("ix_enterprise_park_grid", "park_id", "grid"),
    )

    id: int | None = Field(default=None, primary_key=True)
    uscc: str = Field(max_length=18, unique=True)
    name: str = Field(max_length=300)
    park_id: int = Field(foreign_key="park.id")
    industry: str | None = Field(default=None, max_length=100, index=True)
    employees: int | None = None
    shuangshi: bool = Field(default=False)
    grid: str | None = Field(default=None, max_length=100)
    source: str = Field(default="existing", max_length=16)
    opened_on: date | None = None
    members: int | None = None
    contact_name: str | None = Field(default=None, max_length=100)
    contact_phone: str | None = Field(default=None, max_length=50)
    signups: int = Field(default=0)
    created_at: datetime = Field(sa_column=utc_column(False))
    updated_at: datetime = Field(sa_column=utc_column(False))


class FoundingCase(SQLModel, table=True):
    """One founding case per enterprise: where it stands on the state machine and who answers for it."""

    __tablename__ = "founding_case"
    __table_args__ = (
        one_of("status", STATUSES, "ck_case_status"),
        one_of("mode", MODES, "ck_case_mode", nullable=True),
        one_of("close_reason", CLOSE_REASONS, "ck_case_close_reason", nullable=True),
        one_of("closed_from", OPEN_STATUSES, "ck_case_closed_from", nullable=True),
        Index("ix_case_status_since", "status", "status_since"),
        Index("ix_case_cadre_status", "cadre_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    enterprise_id: int = Field(foreign_key="enterprise.id", unique=True)
    status: str = Field(default="prospect", max_length=16)
    status_since: date
    # The stall episode: a counter bumped on every status change (DOMAIN.md "one stay in one status").
    episode: int = Field(default=1)
    mode: str | None = Field(default=None, max_length=16)
    cadre_id: int | None = Field(default=None, foreign_key="cadre.id")
    next_action_on: date | None = Field(default=None, index=True)
    version: int = Field(default=1)
    contact_person: str | None = Field(default=None, max_length=100)
    group_leader: str | None = Field(default=None, max_length=100)
    applied_on: date | None = None
    joint_union_id: int | None = Field(default=None, foreign_key="joint_union.id", index=True)
    congress_on: date | None = None
    approval_ref: str | None = Field(default=None, max_length=100)
    chair: str | None = Field(default=None, max_length=100)
    founded_on: date | None = None
    legal_cert: str | None = Field(default=None, max_length=100)
    activated_on: date | None = None
    close_reason: str | None = Field(default=None, max_length=16)
    closed_from: str | None = Field(default=None, max_length=16)
    created_at: datetime = Field(sa_column=utc_column(False))
    updated_at: datetime = Field(sa_column=utc_column(False))


class CaseEvent(SQLModel, table=True):
    """The append-only timeline of a case: transitions, activities, assignments, escalations, resolutions."""

    __tablename__ = "case_event"
    __table_args__ = (
        one_of("kind", EVENT_KINDS, "ck_event_kind"),
        Index("ix_event_case_occurred", "case_id", "occurred_on", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="founding_case.id")
    kind: str = Field(max_length=16)
    event: str | None = Field(default=None, max_length=32)
    from_status: str | None = Field(default=None, max_length=16)
    to_status: str | None = Field(default=None, max_length=16)
    occurred_on: date
    recorded_at: datetime = Field(sa_column=utc_column(False))
    actor_id: int | None = Field(default=None, foreign_key="cadre.id")
    note: str | None = None
    data: dict | None = Field(default=None, sa_column=Column(MutableDict.as_mutable(JSON), nullable=True))


class CalendarDay(SQLModel, table=True):
    """The working-day index: working days between two dates = workday_no(D) − workday_no(since)."""

    __tablename__ = "calendar_day"

    day: date = Field(primary_key=True)
    is_workday: bool
    workday_no: int


class ParkCalendarDay(SQLModel, table=True):
    """A park's own working-day index (federation calendar plus its extra days off); only such parks have rows."""

    __tablename__ = "park_calendar_day"

    park_id: int = Field(foreign_key="park.id", primary_key=True)
    day: date = Field(primary_key=True)
    is_workday: bool
    workday_no: int


class CalendarOverride(SQLModel, table=True):
    """An admin-loaded day (official schedule for a year the package lacks, or a park's extra day off)."""

    __tablename__ = "calendar_override"
    __table_args__ = (UniqueConstraint("day", "park_id", name="uq_calendar_override_day_park"),)

    id: int | None = Field(default=None, primary_key=True)
    day: date
    park_id: int | None = Field(default=None, foreign_key="park.id")
    is_workday: bool
    source: str = Field(max_length=200)
    loaded_at: datetime = Field(sa_column=utc_column(False))


class Escalation(SQLModel, table=True):
    """A level reached in one stall episode; unique so concurrent sweeps fire each level once."""

    __tablename__ = "escalation"
    __table_args__ = (
        one_of("level", LEVELS + ("next_action",), "ck_escalation_level"),
        CheckConstraint(
            "(level = 'next_action' AND due_on IS NOT NULL) OR (level <> 'next_action' AND due_on IS NULL)",
            name="ck_escalation_due_on",
        ),
        # Each ladder level once per stall episode; a next-action reminder once per due day (any episode).
        # Partial unique indexes: INSERT ... ON CONFLICT DO NOTHING honours both on SQLite and PostgreSQL.
        Index("uq_escalation_case_episode_level", "case_id", "episode", "level", unique=True,
              sqlite_where=text("level <> 'next_action'"), postgresql_where=text("level <> 'next_action'")),
        Index("uq_escalation_next_action", "case_id", "due_on", unique=True,
              sqlite_where=text("level = 'next_action'"), postgresql_where=text("level = 'next_action'")),
        # The day's escalations, read by workflow.mailing to queue the emails of a sweep.
        Index("ix_escalation_as_of_level", "as_of", "level"),
        Index("ix_escalation_pending_meeting", "case_id",
              sqlite_where=text("level = 'meeting' AND agenda_item_id IS NULL"),
              postgresql_where=text("level = 'meeting' AND agenda_item_id IS NULL")),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="founding_case.id", index=True)
    episode: int
    level: str = Field(max_length=16)
    status: str = Field(max_length=16)
    working_days: int
    allowed: int
    as_of: date
    agenda_item_id: int | None = Field(default=None, foreign_key="agenda_item.id")
    due_on: date | None = None  # level next_action: the follow-up day that came due
    sweep_token: str | None = Field(default=None, max_length=32, index=True)  # which sweep inserted it
    created_at: datetime = Field(sa_column=utc_column(False))


class SweepRun(SQLModel, table=True):
    """The escalation sweep of one day: the scheduler's start-up catch-up asks whether today's has run."""

    __tablename__ = "sweep_run"

    id: int | None = Field(default=None, primary_key=True)
    as_of: date = Field(unique=True)
    started_at: datetime = Field(sa_column=utc_column(False))
    finished_at: datetime | None = Field(default=None, sa_column=utc_column(True))
    runs: int = Field(default=1)
    counts: dict | None = Field(default=None, sa_column=Column(MutableDict.as_mutable(JSON), nullable=True))


class Meeting(SQLModel, table=True):
    """A six-party joint meeting (六方建会联席会议) of a park: planned, then closed once held, or cancelled
    (called off, never held; its agenda went to the next meeting)."""

    __tablename__ = "meeting"
    __table_args__ = (
        one_of("status", MEETING_STATUSES, "ck_meeting_status"),
        Index("ix_meeting_park_status_starts", "park_id", "status", "starts_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    park_id: int = Field(foreign_key="park.id")
    title: str = Field(max_length=300)
    starts_at: datetime = Field(sa_column=utc_column(False))
    place: str = Field(max_length=300)
    status: str = Field(default="planned", max_length=16)
    packet_sent_at: datetime | None = Field(default=None, sa_column=utc_column(True))
    closed_at: datetime | None = Field(default=None, sa_column=utc_column(True))  # closed or cancelled then
    created_at: datetime = Field(sa_column=utc_column(False))


class PartyRepresentative(SQLModel, table=True):
    """A park's representative of one of the six parties; each meeting starts with the park's list."""

    __tablename__ = "party_representative"
    __table_args__ = (one_of("party", PARTIES, "ck_party_rep_party"),)

    id: int | None = Field(default=None, primary_key=True)
    park_id: int = Field(foreign_key="park.id", index=True)
    party: str = Field(max_length=32)
    name: str = Field(max_length=100)
    email: str | None = Field(default=None, max_length=200)
    title: str | None = Field(default=None, max_length=200)


class MeetingParticipant(SQLModel, table=True):
    """Who is invited to one meeting (copied from the park's list when the meeting is planned)."""

    __tablename__ = "meeting_participant"
    __table_args__ = (one_of("party", PARTIES, "ck_participant_party"),)

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    party: str = Field(max_length=32)
    name: str = Field(max_length=100)
    email: str | None = Field(default=None, max_length=200)


class AgendaItem(SQLModel, table=True):
    """A case on a meeting's agenda, with the meeting's decision once resolved."""

    __tablename__ = "agenda_item"
    __table_args__ = (
        UniqueConstraint("meeting_id", "case_id", name="uq_agenda_meeting_case"),
        one_of("owner_party", PARTIES, "ck_agenda_owner_party", nullable=True),
    )

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    case_id: int = Field(foreign_key="founding_case.id", index=True)
    reason: str
    source: str = Field(default="manual", max_length=16)  # escalation | manual | carried
    times_on_agenda: int = Field(default=1)
    decision: str | None = None
    owner_party: str | None = Field(default=None, max_length=32)
    due_on: date | None = None
    resolved_at: datetime | None = Field(default=None, sa_column=utc_column(True))
    created_at: datetime = Field(sa_column=utc_column(False))


class Target(SQLModel, table=True):
    """A founding-rate target (e.g. 70% by 2018-12-31) for a park or the whole federation."""

    __tablename__ = "target"
    __table_args__ = (
        one_of("basis", BASES, "ck_target_basis"),
        CheckConstraint("rate > 0 AND rate <= 1", name="ck_target_rate"),
    )

    id: int | None = Field(default=None, primary_key=True)
    park_id: int | None = Field(default=None, foreign_key="park.id")
    rate: float
    by_date: date
    basis: str = Field(default="all", max_length=16)
    created_at: datetime = Field(sa_column=utc_column(False))
