"""The schema is made by the migrations only, and they agree with the models."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel

import notifications.models  # noqa: F401
import workflow.models  # noqa: F401
from workflow.db import (
    SCHEMA_HEAD,
    SCHEMA_REVISIONS,
    alembic_config,
    current_revision,
    head_revision,
    make_engine,
)


def test_models_and_migrations_agree(db_url):
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            assert ctx.get_current_revision() == head_revision()
            assert compare_metadata(ctx, SQLModel.metadata) == []
    finally:
        engine.dispose()


def test_the_written_down_head_is_the_migrations_head_and_a_database_at_it_is_current(db_url):
    from alembic.script import ScriptDirectory

    assert SCHEMA_HEAD == head_revision()
    revisions = [r.revision for r in ScriptDirectory.from_config(alembic_config("sqlite://")).walk_revisions()]
    assert SCHEMA_REVISIONS == tuple(reversed(revisions))
    engine = make_engine(db_url)
    try:
        assert current_revision(engine) == SCHEMA_HEAD
    finally:
        engine.dispose()


def test_a_database_behind_the_head_is_refused_with_what_to_run(tmp_path):
    from sqlalchemy import text

    from tests.conftest import Cli

    cli = Cli(f"sqlite:///{tmp_path}/old.db")
    cli("init", "--admin", "adm", "--name", "Admin", "--email", "adm@example.org")
    engine = make_engine(f"sqlite:///{tmp_path}/old.db")
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0000'"))
    engine.dispose()
    result = cli("case", "list", expect=1)
    assert result.stderr == f"Error: the database schema is at 0000, not {SCHEMA_HEAD}: run `unionflow db upgrade`\n"


def set_revision(url: str, revision: str) -> None:
    from sqlalchemy import text

    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = :r"), {"r": revision})
    engine.dispose()


def test_a_database_made_by_a_newer_unionflow_is_said_in_one_line_by_every_command(db_url, cli):
    cli("init", "--admin", "adm", "--name", "Admin", "--email", "adm@example.org")
    set_revision(db_url, "9999")
    shown = db_url  # as the URL is given (no password to hide here)
    said = (f"Error: the database {shown} has schema revision 9999, made by a newer unionflow (this one knows up to "
            f"{SCHEMA_HEAD}): upgrade unionflow to use it\n")
    for args in (["case", "list"], ["db", "upgrade"], ["report", "coverage"], ["outbox", "send"],
                 ["init", "--admin", "adm", "--name", "Admin", "--email", "adm@example.org"]):
        result = cli(*args, user="adm", expect=1)
        assert result.stderr == said, args
    assert cli.json("db", "current") == {"database": shown, "revision": "9999", "head": SCHEMA_HEAD, "state": "ahead",
                                         "current": False}
    assert cli("db", "current").stdout == (f"Schema at revision 9999, made by a newer unionflow (this one knows up "
                                           f"to {SCHEMA_HEAD}): upgrade unionflow.\n")


def test_db_current_says_whether_the_schema_is_current(tmp_path):
    from tests.conftest import Cli

    url = f"sqlite:///{tmp_path}/uf.db"
    cli = Cli(url)
    assert cli("db", "current").stdout == (f"No unionflow schema in {url}: run `unionflow init --admin CODE --name "
                                           "NAME --email EMAIL`.\n")
    assert not (tmp_path / "uf.db").exists()
    cli("db", "upgrade")
    assert cli("db", "current").stdout == f"Schema at revision {SCHEMA_HEAD}: current.\n"
    assert cli.json("db", "current")["current"] is True
    set_revision(url, "0000")
    assert cli.json("db", "current") == {"database": url, "revision": "0000", "head": SCHEMA_HEAD, "state": "behind",
                                         "current": False}
    assert "run `unionflow db upgrade`" in cli("db", "current").stdout


def test_db_upgrade_on_a_new_database_then_again(tmp_path):
    from tests.conftest import Cli

    cli = Cli(f"sqlite:///{tmp_path}/new.db")
    assert f"Schema at revision {head_revision()}." in cli("db", "upgrade").stdout
    assert f"Schema at revision {head_revision()}." in cli("db", "upgrade").stdout


def test_sqlite_uses_wal_and_foreign_keys(tmp_path):
    from sqlalchemy import text

    engine = make_engine(f"sqlite:///{tmp_path}/x.db")
    try:
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    finally:
        engine.dispose()


def test_a_command_on_a_missing_sqlite_file_says_to_init_and_creates_nothing(tmp_path):
    from tests.conftest import Cli

    path = tmp_path / "nowhere" / "uf.db"
    result = Cli(f"sqlite:///{path}")("case", "list", expect=1)
    assert "has no unionflow schema: run `unionflow init" in result.stderr
    assert not path.exists()


def test_0002_lets_a_meeting_be_cancelled_keeping_the_rows_that_refer_to_meetings(backend, request, tmp_path):
    """From 0001 with a meeting, its participant and an agenda item to the head and back: SQLite rebuilds the
    table (its foreign keys are off only while it does), PostgreSQL alters the constraint."""
    import pytest
    from alembic import command
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    from tests.conftest import _pg_admin, _pg_url

    if backend == "sqlite":
        url = f"sqlite:///{tmp_path}/old.db"
    else:
        request.getfixturevalue("pg_template")  # skips without a server
        name = f"uf_mig_{tmp_path.name[-20:]}".lower()
        _pg_admin(f'DROP DATABASE IF EXISTS "{name}"')
        _pg_admin(f'CREATE DATABASE "{name}"')
        request.addfinalizer(lambda: _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        url = _pg_url(name)
    from workflow.db import upgrade

    upgrade(url, "0001")
    engine = make_engine(url)
    now = "2026-06-01 00:00:00+00"
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO park (id, code, name, level) VALUES (1, 'SJ', '松江', 'national')"))
        conn.execute(text("INSERT INTO enterprise (id, uscc, name, park_id, shuangshi, source, signups, created_at, "
                          "updated_at) VALUES (1, '91310117MA1005272U', 'x', 1, false, 'existing', 0, :t, :t)"), {"t": now})
        conn.execute(text("INSERT INTO founding_case (id, enterprise_id, status, status_since, episode, version, "
                          "created_at, updated_at) VALUES (1, 1, 'prospect', '2026-05-04', 1, 1, :t, :t)"), {"t": now})
        conn.execute(text("INSERT INTO meeting (id, park_id, title, starts_at, place, status, created_at) "
                          "VALUES (1, 1, '联席会议', :t, '会议室', 'planned', :t)"), {"t": now})
        conn.execute(text("INSERT INTO meeting_participant (meeting_id, party, name) VALUES (1, 'union', '钱')"))
        conn.execute(text("INSERT INTO agenda_item (meeting_id, case_id, reason, source, times_on_agenda, created_at) "
                          "VALUES (1, 1, 'r', 'manual', 1, :t)"), {"t": now})
        with pytest.raises(IntegrityError), conn.begin_nested():
            conn.execute(text("UPDATE meeting SET status = 'cancelled'"))
    engine.dispose()
    upgrade(url)
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("UPDATE meeting SET status = 'cancelled'"))
            assert conn.execute(text("SELECT count(*) FROM agenda_item WHERE meeting_id = 1")).scalar() == 1
            assert conn.execute(text("SELECT count(*) FROM meeting_participant WHERE meeting_id = 1")).scalar() == 1
            with pytest.raises(IntegrityError), conn.begin_nested():
                conn.execute(text("UPDATE meeting SET status = 'adjourned'"))
            with pytest.raises(IntegrityError), conn.begin_nested():  # the foreign keys are on again
                conn.execute(text("INSERT INTO meeting_participant (meeting_id, party, name) VALUES (99, 'union', 'x')"))
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            assert ctx.get_current_revision() == "0002" and compare_metadata(ctx, SQLModel.metadata) == []
    finally:
        engine.dispose()
    command.downgrade(alembic_config(url), "0001")  # a cancelled meeting becomes a closed one
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT status FROM meeting")).scalar() == "closed"
    finally:
        engine.dispose()
