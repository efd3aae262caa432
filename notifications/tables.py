"""The tables of `notifications.models` as SQLAlchemy Core, for the engine to run on (generated: do not edit).

Made by scripts/gen_tables.py from the models, which declare the schema (the indexes are left to the
migrations); tests/test_schema_mirror.py checks that this file is current and gives the same tables.
"""

from sqlalchemy import JSON, CheckConstraint, Column, Integer, MetaData, String, Table

from notifications.columns import UTCDateTime

metadata = MetaData()

OUTBOX = Table(
    "outbox",
    metadata,
    Column("id", Integer(), primary_key=True, nullable=False),
    Column("key", String(255), nullable=False, unique=True),
    Column("kind", String(32), nullable=False),
    Column("to_addrs", JSON(), nullable=False),
    Column("cc_addrs", JSON(), nullable=False),
    Column("subject", String(), nullable=False),
    Column("text_body", String(), nullable=False),
    Column("html_body", String(), nullable=True),
    Column("attachments", JSON(), nullable=False),
    Column("status", String(16), nullable=False, default="queued"),
    Column("attempts", Integer(), nullable=False, default=0),
    Column("next_attempt_at", UTCDateTime(), nullable=False),
    Column("claimed_by", String(100), nullable=True),
    Column("claimed_at", UTCDateTime(), nullable=True),
    Column("last_error", String(), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("sent_at", UTCDateTime(), nullable=True),
    Column("topic", String(100), nullable=True),
    Column("refs", JSON(), nullable=True),
    CheckConstraint("status IN ('queued', 'sending', 'sent', 'failed')", name="ck_outbox_status"),
)

__all__ = ["OUTBOX", "metadata"]
