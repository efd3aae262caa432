"""The tables of `workflow.models` as SQLAlchemy Core, for the engine to run on (generated: do not edit).

Made by scripts/gen_tables.py from the models, which declare the schema (the indexes are left to the
migrations); tests/test_schema_mirror.py checks that this file is current and gives the same tables.
"""

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
)

from notifications.columns import UTCDateTime

metadata = MetaData()

CD = Table(
    "calendar_day",
    metadata,
    Column("day", Date(), primary_key=True, nullable=False),
    Column("is_workday", Boolean(), nullable=False),
    Column("workday_no", Integer(), nullable=False),
)

PARK = Table(
    "park",
    metadata,
    Column("id", Integer(), primary_key=True, nullable=False),
    Column("code", String(32), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("level", String(16), nullable=False, default="national"),
    Column("parent_id", Integer(), ForeignKey("park.id"), nullable=True),
    CheckConstraint("level IN ('national', 'municipal', 'district')", name="ck_park_level"),
)

RUN = Table(
    "sweep_run",
    metadata,
    Column("id", Integer(), primary_key=True, nullable=False),
    Column("as_of", Date(), nullable=False, unique=True),
    Column("started_at", UTCDateTime(), nullable=False),
    Column("finished_at", UTCDateTime(), nullable=True),
    Column("runs", Integer(), nullable=False, default=1),
    Column("counts", JSON(), nullable=True),
)

CADRE = Table(
    "cadre",
    metadata,
    Column("id", Integer(), primary_key=True, nullable=False),
    Column("code", String(32), nullable=False, unique=True),
    Column("name", String(100), nullable=False),
    Column("email", String(200), nullable=False),
    Column("role", String(16), nullable=False, default="cadre"),
    Column("park_id", Integer(), ForeignKey("park.id"), nullable=True),
    Column("supervisor_id", Integer(), ForeignKey("cadre.id"), nullable=True),
    Column("active", Boolean(), nullable=False, default=True),
    CheckConstraint("role IN ('cadre', 'social_worker', 'supervisor', 'secretary', 'admin')", name="ck_cadre_role"),
)

OV = Table(
    "calendar_override",
    metadata,
    Column("id", Integer(), primary_key=True, nullable=False),
    Column("day", Date(), nullable=False),
    Column("park_id", Integer(), ForeignKey("park.id"), nullable=True),
    Column("is_workday", Boolean(), nullable=False),
    Column("source", String(200), nullable=False),
    Column("loaded_at", UTCDateTime(), nullable=False),
    UniqueConstraint("day", "park_id", name="uq_calendar_override_day_park"),
)

ENT = Table(
    "enterprise",
    metadata,
    Column("id", Integer(), primary_key=True, nullable=False),
    Column("uscc", String(18), nullable=False, unique=True),
    Column("name", String(300), nullable=False),
    Column("park_id", Integer(), ForeignKey("park.id"), nullable=False),
    Column("industry", String(100), nullable=True),
    Column("employees", Integer(), nullable=True),
    Column("shuangshi", Boolean(), nullable=False, default=False),
    Column("grid", String(100), nullable=True),
    Column("source", String(16), nullable=False, default="existing"),
    Column("opened_on", Date(), nullable=True),
    Column("members", Integer(), nullable=True),
    Column("contact_name", String(100), nullable=True),
    Column("contact_phone", String(50), nullable=True),
    Column("signups", Integer(), nullable=False, default=0),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    CheckConstraint("employees IS NULL OR employees >= 0", name="ck_enterprise_employees"),
    CheckConstraint("members IS NULL OR members >= 0", name="ck_enterprise_members"),
    CheckConstraint("source IN ('existing', 'new_project', 'relocated', 'prospective')", name="ck_enterprise_source"),
)

JU = Table(
    "joint_union",
    metadata,
    Column("id", Integer(), primary_key=True, nullable=False),
    Column("code", String(32), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("park_id", Integer(), ForeignKey("park.id"), nullable=False),
    Column("founded_on", Date(), nullable=True),
    Column("approval_ref", String(100), nullable=True),
    CheckConstraint("kind IN ('grid', 'cluster', 'park_in_park')", name="ck_joint_union_kind"),
)

MEETING = Table(
    "meeting",
    metadata,
    Column("id", Integer(), primary_key=True, nullable=False),
    Column("park_id", Integer(), ForeignKey("park.id"), nullable=False),
    Column("title", String(300), nullable=False),
    Column("starts_at", UTCDateTime(), nullable=False),
    Column("place", String(300), nullable=False),
    Column("status", String(16), nullable=False, default="planned"),
    Column("packet_sent_at", UTCDateTime(), nullable=True),
    Column("closed_at", UTCDateTime(), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    CheckConstraint("status IN ('planned', 'closed', 'cancelled')", name="ck_meeting_status"),
)

PCD = Table(
    "park_calendar_day",
    metadata,
    Column("park_id", Integer(), ForeignKey("park.id"), primary_key=True, nullable=False),
    Column("day", Date(), primary_key=True, nullable=False),
    Column("is_workday", Boolean(), nullable=False),
    Column("workday_no", Integer(), nullable=False),
)

REP = Table(
    "party_representative",
    metadata,
    Column("id", Integer(), primary_key=True, nullable=False),
    Column("park_id", Integer(), ForeignKey("park.id"), nullable=False),
    Column("party", String(32), nullable=False),
    Column("name", String(100), nullable=False),
    Column("email", String(200), nullable=True),
    Column("title", String(200), nullable=True),
    CheckConstraint("party IN ('party_committee', 'administration', 'regulators', 'union', 'chamber_of_commerce', 'employers')", name="ck_party_rep_party"),
)

TARGET = Table(
    "target",
    metadata,
    Column("id", Integer(), primary_key=True, nullable=False),
    Column("park_id", Integer(), ForeignKey("park.id"), nullable=True),
    Column("rate", Float(), nullable=False),
    Column("by_date", Date(), nullable=False),
    Column("basis", String(16), nullable=False, default="all"),
    Column("created_at", UTCDateTime(), nullable=False),
    CheckConstraint("basis IN ('all', 'shuangshi')", name="ck_target_basis"),
    CheckConstraint("rate > 0 AND rate <= 1", name="ck_target_rate"),
)

CASE = Table(
    "founding_case",
    metadata,
    Column("id", Integer(), primary_key=True, nullable=False),
    Column("enterprise_id", Integer(), ForeignKey("enterprise.id"), nullable=False, unique=True),
    Column("status", String(16), nullable=False, default="prospect"),
    Column("status_since", Date(), nullable=False),
    Column("episode", Integer(), nullable=False, default=1),
    Column("mode", String(16), nullable=True),
    Column("cadre_id", Integer(), ForeignKey("cadre.id"), nullable=True),
    Column("next_action_on", Date(), nullable=True),
    Column("version", Integer(), nullable=False, default=1),
    Column("contact_person", String(100), nullable=True),
    Column("group_leader", String(100), nullable=True),
    Column("applied_on", Date(), nullable=True),
    Column("joint_union_id", Integer(), ForeignKey("joint_union.id"), nullable=True),
    Column("congress_on", Date(), nullable=True),
    Column("approval_ref", String(100), nullable=True),
    Column("chair", String(100), nullable=True),
    Column("founded_on", Date(), nullable=True),
    Column("legal_cert", String(100), nullable=True),
    Column("activated_on", Date(), nullable=True),
    Column("close_reason", String(16), nullable=True),
    Column("closed_from", String(16), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    CheckConstraint("close_reason IS NULL OR close_reason IN ('deregistered', 'moved_out', 'merged', 'out_of_scope')", name="ck_case_close_reason"),
    CheckConstraint("closed_from IS NULL OR closed_from IN ('prospect', 'contacted', 'preparatory', 'founded', 'active')", name="ck_case_closed_from"),
    CheckConstraint("mode IS NULL OR mode IN ('standalone', 'joint')", name="ck_case_mode"),
    CheckConstraint("status IN ('prospect', 'contacted', 'preparatory', 'founded', 'active', 'closed')", name="ck_case_status"),
)

PART = Table(
    "meeting_participant",
    metadata,
    Column("id", Integer(), primary_key=True, nullable=False),
    Column("meeting_id", Integer(), ForeignKey("meeting.id"), nullable=False),
    Column("party", String(32), nullable=False),
    Column("name", String(100), nullable=False),
    Column("email", String(200), nullable=True),
    CheckConstraint("party IN ('party_committee', 'administration', 'regulators', 'union', 'chamber_of_commerce', 'employers')", name="ck_participant_party"),
)

AI = Table(
    "agenda_item",
    metadata,
    Column("id", Integer(), primary_key=True, nullable=False),
    Column("meeting_id", Integer(), ForeignKey("meeting.id"), nullable=False),
    Column("case_id", Integer(), ForeignKey("founding_case.id"), nullable=False),
    Column("reason", String(), nullable=False),
    Column("source", String(16), nullable=False, default="manual"),
    Column("times_on_agenda", Integer(), nullable=False, default=1),
    Column("decision", String(), nullable=True),
    Column("owner_party", String(32), nullable=True),
    Column("due_on", Date(), nullable=True),
    Column("resolved_at", UTCDateTime(), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    CheckConstraint("owner_party IS NULL OR owner_party IN ('party_committee', 'administration', 'regulators', 'union', 'chamber_of_commerce', 'employers')", name="ck_agenda_owner_party"),
    UniqueConstraint("meeting_id", "case_id", name="uq_agenda_meeting_case"),
)

EVENT = Table(
    "case_event",
    metadata,
    Column("id", Integer(), primary_key=True, nullable=False),
    Column("case_id", Integer(), ForeignKey("founding_case.id"), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("event", String(32), nullable=True),
    Column("from_status", String(16), nullable=True),
    Column("to_status", String(16), nullable=True),
    Column("occurred_on", Date(), nullable=False),
    Column("recorded_at", UTCDateTime(), nullable=False),
    Column("actor_id", Integer(), ForeignKey("cadre.id"), nullable=True),
    Column("note", String(), nullable=True),
    Column("data", JSON(), nullable=True),
    CheckConstraint("kind IN ('import', 'transition', 'activity', 'assignment', 'escalation', 'agenda', 'resolution', 'signup', 'update', 'next_action')", name="ck_event_kind"),
)

ESC = Table(
    "escalation",
    metadata,
    Column("id", Integer(), primary_key=True, nullable=False),
    Column("case_id", Integer(), ForeignKey("founding_case.id"), nullable=False),
    Column("episode", Integer(), nullable=False),
    Column("level", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("working_days", Integer(), nullable=False),
    Column("allowed", Integer(), nullable=False),
    Column("as_of", Date(), nullable=False),
    Column("agenda_item_id", Integer(), ForeignKey("agenda_item.id"), nullable=True),
    Column("due_on", Date(), nullable=True),
    Column("sweep_token", String(32), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    CheckConstraint("(level = 'next_action' AND due_on IS NOT NULL) OR (level <> 'next_action' AND due_on IS NULL)", name="ck_escalation_due_on"),
    CheckConstraint("level IN ('remind', 'overdue', 'meeting', 'next_action')", name="ck_escalation_level"),
)

__all__ = ["CD", "PARK", "RUN", "CADRE", "OV", "ENT", "JU", "MEETING", "PCD", "REP", "TARGET", "CASE", "PART", "AI", "EVENT", "ESC", "metadata"]
