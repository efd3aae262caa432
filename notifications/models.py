"""The outbox table: owned by notifications, written in the caller's transaction."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, Column, Index
from sqlmodel import Field, SQLModel

from notifications.columns import UTCDateTime
from notifications.outbox import OUTBOX_STATUSES


class OutboxMessage(SQLModel, table=True):
    """One email to deliver at least once; `key` makes enqueuing idempotent."""

    __tablename__ = "outbox"
    __table_args__ = (
        CheckConstraint(f"status IN ({', '.join(repr(s) for s in OUTBOX_STATUSES)})", name="ck_outbox_status"),
        Index("ix_outbox_status_next", "status", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=255, unique=True)
    kind: str = Field(max_length=32)
    to_addrs: list = Field(sa_column=Column(JSON, nullable=False))
    cc_addrs: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    subject: str
    text_body: str
    html_body: str | None = None
    # [{"filename": ..., "content_type": ..., "path": ...}] or inline base64 under "data".
    attachments: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    status: str = Field(default="queued", max_length=16)
    attempts: int = Field(default=0)
    next_attempt_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    claimed_by: str | None = Field(default=None, max_length=100)
    claimed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    last_error: str | None = None
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    sent_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    # What the message reports, so a later run can tell what is new: e.g. a daily digest's topic
    # "digest:2026-06-15" and refs {"recipient": ..., "items": ["esc:12", ...]}.
    topic: str | None = Field(default=None, max_length=100, index=True)
    refs: dict | None = Field(default=None, sa_column=Column(JSON, nullable=True))
