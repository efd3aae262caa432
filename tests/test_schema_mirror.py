"""The engine runs on Core tables generated from the SQLModel models: they must stay the same schema."""

import importlib.util
from pathlib import Path

import pytest
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.schema import CreateTable
from sqlmodel import SQLModel

import notifications.models  # noqa: F401
import notifications.tables
import workflow.models  # noqa: F401
import workflow.tables

ROOT = Path(__file__).resolve().parents[1]
MIRROR = {**workflow.tables.metadata.tables, **notifications.tables.metadata.tables}


@pytest.fixture(scope="module")
def gen():
    spec = importlib.util.spec_from_file_location("gen_tables", ROOT / "scripts" / "gen_tables.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_generated_tables_are_current(gen):
    assert gen.stale() == [], "run: .venv/bin/python scripts/gen_tables.py"


def test_the_currency_check_sees_a_hand_edited_mirror(gen, tmp_path):
    for rel in gen.MIRRORS:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text((ROOT / rel).read_text(encoding="utf-8"), encoding="utf-8")
    edited = tmp_path / "workflow" / "tables.py"
    edited.write_text(edited.read_text(encoding="utf-8").replace("String(32)", "String(33)", 1), encoding="utf-8")
    assert gen.stale(tmp_path) == ["workflow/tables.py"]


def test_every_model_table_has_its_mirror_and_no_more():
    assert set(MIRROR) == set(SQLModel.metadata.tables)


@pytest.mark.parametrize("dialect", [sqlite.dialect(), postgresql.dialect()], ids=["sqlite", "postgresql"])
def test_the_mirror_gives_the_same_tables(dialect):
    def ddl(table):
        return sorted(line.strip().rstrip(",") for line in str(CreateTable(table).compile(dialect=dialect)).splitlines())

    for name, model_table in SQLModel.metadata.tables.items():
        assert ddl(MIRROR[name]) == ddl(model_table), name


def test_the_mirror_leaves_the_indexes_to_the_migrations():
    """No statement needs them, and a partial index's options would import both dialects at start-up."""
    assert [t.name for t in MIRROR.values() if t.indexes] == []


def test_the_mirror_has_the_same_python_side_defaults():
    def defaults(table):
        return {c.name: (c.default.arg if c.default is not None else None) for c in table.columns}

    for name, model_table in SQLModel.metadata.tables.items():
        assert defaults(MIRROR[name]) == defaults(model_table), name
