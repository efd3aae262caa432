"""Engines, transactions and schema upgrades for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

import logging
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, event, inspect, text
from sqlalchemy.engine import Connection, Engine

from templates.i18n import _
from workflow.errors import DatabaseNotReady, InvalidInput

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).parent / "migrations"


def normalise_url(url: str) -> str:
    # A bare postgresql:// URL would pick psycopg2, which we do not ship.
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def make_engine(url: str, *, application_name: str | None = None, **kwargs) -> Engine:
    """An engine for a SQLite or PostgreSQL URL. `application_name` (PostgreSQL): what the server shows in
    pg_stat_activity for our connections, e.g. "unionflow scheduler run" (a name in the URL wins)."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin_immediate)
        return engine
    if url.startswith("postgresql"):
        connect_args = {}
        if application_name and "application_name=" not in url:
            connect_args["application_name"] = application_name[:63]  # the server keeps NAMEDATALEN - 1 bytes
        return create_engine(url, pool_pre_ping=True, connect_args=connect_args, **kwargs)
    raise InvalidInput(_("unsupported database URL {url!r}: use sqlite:///PATH or postgresql+psycopg://...").format(url=url))


def _sqlite_pragmas(dbapi_conn, _record):
    # Let SQLAlchemy, not pysqlite, issue BEGIN, so that writers take the lock up front.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def _sqlite_begin_immediate(conn: Connection):
    # Writers BEGIN IMMEDIATE, so two writers queue at the start instead of one failing mid-way;
    # readers (see `reading`) BEGIN DEFERRED so they never wait for a writer under WAL.
    if conn.get_execution_options().get("uf_readonly"):
        conn.exec_driver_sql("BEGIN")
    else:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def is_sqlite(conn_or_engine) -> bool:
    return conn_or_engine.dialect.name == "sqlite"


def alembic_config(url: str):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    return cfg


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL (None for another database or an in-memory one)."""
    url = normalise_url(url)
    path = url.split("///", 1)[1] if url.startswith("sqlite") and "///" in url else ""
    return Path(path.split("?", 1)[0]) if path and not path.startswith(":memory:") else None


def upgrade(url: str, revision: str = "head") -> None:
    """Create or upgrade the schema; the only way the schema is made. A SQLite file's folder is made here
    (by `init` and `db upgrade`): any other command on a missing database says to run `init`, and leaves
    nothing behind."""
    from alembic import command

    if (path := sqlite_path(url)) is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(url), revision)


# The head revision of workflow/migrations, written down so that a command checks the schema without
# importing alembic (a tenth of its start-up); tests/test_migrations.py checks it is the migrations' head.
SCHEMA_HEAD = "0001"


def current_revision(engine: Engine) -> str | None:
    """The revision the database's schema is at (None if it has none): alembic's table, read with Core."""
    with reading(engine) as conn:
        return _revision(conn)


def _revision(conn) -> str | None:
    if not inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def head_revision() -> str:
    """The head of the migrations, as alembic finds it (what `db upgrade` goes to)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def check_ready(engine: Engine) -> None:
    path = engine.url.database if is_sqlite(engine) else None
    if path and path != ":memory:" and not Path(path).exists():
        has_schema, rev = False, None  # and connecting would leave an empty file behind
    else:
        with reading(engine) as conn:
            has_schema = inspect(conn).has_table("founding_case")
            rev = _revision(conn) if has_schema else None
    if not has_schema:
        raise DatabaseNotReady(
            _("the database {url} has no unionflow schema: run `unionflow init --admin CODE --name NAME --email EMAIL` "
              "first").format(url=engine.url.render_as_string(hide_password=True))
        )
    if rev != SCHEMA_HEAD:
        raise DatabaseNotReady(_("the database schema is at {revision}, not {head}: run `unionflow db upgrade`").format(
            revision=rev, head=SCHEMA_HEAD))


@contextmanager
def transaction(engine: Engine):
    """One write transaction: everything inside commits together or not at all."""
    with engine.begin() as conn:
        yield conn


@contextmanager
def reading(engine: Engine):
    """A read-only snapshot that never blocks writers (and is never committed)."""
    with engine.connect() as conn:
        conn.execution_options(uf_readonly=True)
        with conn.begin():
            yield conn
