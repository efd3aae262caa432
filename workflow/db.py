"""Engines, transactions and schema upgrades for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

import logging
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, event, inspect, text
from sqlalchemy.engine import Connection, Engine

from templates.i18n import _
from workflow.errors import DatabaseNotReady, InvalidInput, SchemaTooNew

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
    if path is None or path.exists():  # a database made by a newer unionflow: alembic cannot go back from it
        engine = make_engine(url)
        try:
            refuse_newer(engine, current_revision(engine))
        finally:
            engine.dispose()
    command.upgrade(alembic_config(url), revision)


# The revisions of workflow/migrations, oldest first, written down so that a command checks the schema
# without importing alembic (a tenth of its start-up); tests/test_migrations.py checks them against the
# migrations. The last is the head.
SCHEMA_REVISIONS = ("0001", "0002")
SCHEMA_HEAD = SCHEMA_REVISIONS[-1]


def schema_state(revision: str | None) -> str:
    """`none` (no schema), `current`, `behind` (older: `db upgrade` brings it to the head) or `ahead` (made by
    a newer unionflow: a revision this one does not know, numbered after its head; revisions are numbered
    0001, 0002, …)."""
    if revision is None:
        return "none"
    if revision == SCHEMA_HEAD:
        return "current"
    return "behind" if revision in SCHEMA_REVISIONS or revision < SCHEMA_HEAD else "ahead"


def refuse_newer(engine: Engine, revision: str | None) -> None:
    if schema_state(revision) == "ahead":
        raise SchemaTooNew(
            _("the database {url} has schema revision {revision}, made by a newer unionflow (this one knows up to "
              "{head}): upgrade unionflow to use it").format(
                url=engine.url.render_as_string(hide_password=True), revision=revision, head=SCHEMA_HEAD))


def schema_report(engine: Engine) -> dict:
    """`db current`: the database, its schema revision, the head and how they compare."""
    path = sqlite_path(engine.url.render_as_string(hide_password=False))
    revision = None if path is not None and not path.exists() else current_revision(engine)
    state = schema_state(revision)
    return {"database": engine.url.render_as_string(hide_password=True), "revision": revision, "head": SCHEMA_HEAD,
            "state": state, "current": state == "current"}


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
    refuse_newer(engine, rev)
    if rev != SCHEMA_HEAD:
        raise DatabaseNotReady(_("the database schema is at {revision}, not {head}: run `unionflow db upgrade`").format(
            revision=rev, head=SCHEMA_HEAD))


class Rows(list):
    """The rows of a list, at most the limit asked for, and `total`: how many the list has in all."""

    def __init__(self, rows, total: int):
        super().__init__(rows)
        self.total = total


def first_rows(conn, query, limit: int | None) -> Rows:
    """The first `limit` rows of `query` (all if None), with LIMIT in SQL; the total is counted only when
    there are more rows than that."""
    if not limit:
        rows = conn.execute(query).all()
        return Rows(rows, len(rows))
    rows = conn.execute(query.limit(limit + 1)).all()
    if len(rows) <= limit:
        return Rows(rows, len(rows))
    from sqlalchemy import func, select

    total = conn.execute(select(func.count()).select_from(query.order_by(None).subquery())).scalar()
    return Rows(rows[:limit], total)


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
