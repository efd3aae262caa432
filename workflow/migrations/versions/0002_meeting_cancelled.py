"""meeting status cancelled

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03 14:00:00.000000

A planned meeting can be called off (`unionflow meeting cancel`): the status CHECK constraint takes
`cancelled`. On SQLite a CHECK constraint cannot be altered, so batch mode rebuilds the table (copy,
drop, rename; its index is made again); env.py turns SQLite's foreign keys off around that, as the
SQLite documentation says for a table rebuild, and checks them before the migration commits.
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

OLD = "status IN ('planned', 'closed')"
NEW = "status IN ('planned', 'closed', 'cancelled')"


def _check(condition: str) -> None:
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.drop_constraint("ck_meeting_status", type_="check")
        batch_op.create_check_constraint("ck_meeting_status", condition)


def upgrade() -> None:
    _check(NEW)


def downgrade() -> None:
    # A cancelled meeting has no place in the old schema: it becomes a closed one (its closed_at says when).
    op.execute("UPDATE meeting SET status = 'closed' WHERE status = 'cancelled'")
    _check(OLD)
