"""Regenerate the initial migration from the models (pre-release only: nothing deployed yet).

Usage: .venv/bin/python scripts/regen_initial_migration.py
Once a release is out, add new revisions with `alembic revision --autogenerate` instead.
"""

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from alembic import command  # noqa: E402

from workflow.db import MIGRATIONS, alembic_config  # noqa: E402

for old in (MIGRATIONS / "versions").glob("*_initial_schema.py"):
    old.unlink()
with tempfile.TemporaryDirectory() as tmp:
    cfg = alembic_config(f"sqlite:///{tmp}/empty.db")
    command.revision(cfg, message="initial schema", autogenerate=True, rev_id="0001")
print("regenerated", *sorted(p.name for p in (MIGRATIONS / "versions").glob("*.py")))
