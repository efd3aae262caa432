"""Flags derived from a case that others use for urgency, digests and the meeting packet.

Sign-up pressure (倒逼): workers of an enterprise without a union sign up individually through the
park's channels; when their count reaches `[general] signup_threshold`, the enterprise is flagged.
"""

from __future__ import annotations

from sqlalchemy import and_
from sqlalchemy.sql.elements import ColumnElement

from workflow.tables import CASE, ENT

NO_UNION_STATUSES = ("prospect", "contacted", "preparatory")


def signup_threshold(config) -> int:
    return int(config.get("general", "signup_threshold"))


def signup_flagged(status: str, signups: int | None, threshold: int) -> bool:
    """An enterprise without a union (not founded, active or closed) whose sign-ups reach the threshold."""
    return status in NO_UNION_STATUSES and (signups or 0) >= threshold


def signup_flag_clause(threshold: int, status: ColumnElement | None = None) -> ColumnElement:
    """The same rule as SQL over `founding_case` joined with `enterprise` (pass `status` to use another
    status column, e.g. a reconstructed one)."""
    status = CASE.c.status if status is None else status
    return and_(status.in_(NO_UNION_STATUSES), ENT.c.signups >= threshold)
