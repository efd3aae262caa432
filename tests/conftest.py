"""Fixtures: a database on SQLite and on PostgreSQL (parametrised), a frozen clock, the CLI runner.

PostgreSQL tests skip with a visible reason when no server is reachable, except under CI=true where
they must run. Each test gets a fresh database copied from a template migrated once per session.
"""

from __future__ import annotations

import os
import shutil
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

PG_ADMIN = os.environ.get("UNIONFLOW_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
TODAY = "2026-06-15"  # a Monday
RUN_ID = f"{os.getpid()}_{uuid.uuid4().hex[:6]}"


def _pg_conninfo(dbname: str | None = None) -> str:
    base = PG_ADMIN.replace("postgresql+psycopg://", "postgresql://")
    return base if dbname is None else base.rsplit("/", 1)[0] + "/" + dbname


def _pg_url(dbname: str) -> str:
    return _pg_conninfo(dbname).replace("postgresql://", "postgresql+psycopg://", 1)


def _pg_admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(_pg_conninfo(), autocommit=True, connect_timeout=3) as conn:
        conn.execute(sql)


def _pg_available() -> str | None:
    try:
        import psycopg

        with psycopg.connect(_pg_conninfo(), connect_timeout=3) as conn:
            conn.execute("select 1")
        return None
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
        return f"PostgreSQL not reachable at {PG_ADMIN}: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"


@pytest.fixture(autouse=True)
def _isolated_user(tmp_path, monkeypatch):
    """No test touches the real user's files, database or environment."""
    monkeypatch.setenv("UNIONFLOW_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("UNIONFLOW_TODAY", TODAY)
    for var in ("UNIONFLOW_DATABASE_URL", "UNIONFLOW_USER", "UNIONFLOW_CONFIG", "UNIONFLOW_LANG"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("UNIONFLOW_LANG", "en")
    from templates.i18n import activate

    activate("en")  # a command run in zh by an earlier test leaves its language active in this thread


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    from workflow.db import upgrade

    path = tmp_path_factory.mktemp("tpl") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_template():
    reason = _pg_available()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true requires PostgreSQL: {reason}")
        pytest.skip(reason)
    from workflow.db import upgrade

    name = f"uf_tpl_{RUN_ID}"
    _pg_admin(f'DROP DATABASE IF EXISTS "{name}"')
    _pg_admin(f'CREATE DATABASE "{name}"')
    upgrade(_pg_url(name))
    yield name
    _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _fresh_db(backend: str, request, tmp_path) -> str:
    if backend == "sqlite":
        path = tmp_path / "unionflow.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    template = request.getfixturevalue("pg_template")
    name = f"uf_{RUN_ID}_{uuid.uuid4().hex[:8]}"
    _pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    request.addfinalizer(lambda: _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    return _pg_url(name)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request) -> str:
    return request.param


@pytest.fixture
def db_url(backend, request, tmp_path) -> str:
    """A fresh, migrated, empty database on each backend."""
    return _fresh_db(backend, request, tmp_path)


@pytest.fixture
def pg_url(request, tmp_path) -> str:
    """A fresh PostgreSQL database (for tests that only make sense there)."""
    return _fresh_db("postgres", request, tmp_path)


@pytest.fixture
def make_ctx(db_url):
    """Build a workflow Context on the test database with a frozen day."""
    from workflow.clock import Clock
    from workflow.config import load_config
    from workflow.context import Context

    made = []

    def make(actor: str | None = None, today: str | date = TODAY, **config_values):
        cfg = load_config(db_url=db_url)
        cfg.values.update(config_values)
        day = today if isinstance(today, date) else date.fromisoformat(today)
        ctx = Context(config=cfg, clock=Clock(frozen_today=day), actor_code=actor)
        made.append(ctx)
        return ctx

    yield make
    for ctx in made:
        ctx.close()


class Cli:
    """Runs the real click command line in-process against the test database."""

    def __init__(self, db_url: str):
        self.db_url = db_url
        self.runner = CliRunner()

    def __call__(
        self,
        *args,
        user: str | None = None,
        today: str | None = None,
        lang: str = "en",
        expect: int | None = 0,
        input: str | None = None,
        env: dict | None = None,
    ):
        from cli import main

        full_env = {"UNIONFLOW_DATABASE_URL": self.db_url, "UNIONFLOW_LANG": lang}
        if user:
            full_env["UNIONFLOW_USER"] = user
        if today:
            full_env["UNIONFLOW_TODAY"] = today
        full_env.update(env or {})
        result = self.runner.invoke(
            main, [str(a) for a in args], env=full_env, input=input, catch_exceptions=True
        )
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        if expect is not None:
            assert result.exit_code == expect, f"exit {result.exit_code}, output:\n{result.output}"
        return result

    def json(self, *args, **kw):
        import json

        result = self(*args, "--json", **kw)
        return json.loads(result.stdout)


@pytest.fixture
def cli(db_url) -> Cli:
    return Cli(db_url)


def add_enterprise(
    db_url: str,
    uscc: str,
    name: str,
    park: str = "SJ",
    *,
    status: str = "prospect",
    status_since: str = "2026-05-04",
    cadre: str | None = None,
    employees: int = 30,
    shuangshi: bool = True,
    **fields,
) -> int:
    """Test set-up only: put an enterprise and its case straight into the database; returns the case id."""
    from sqlalchemy import insert, select

    from workflow.db import make_engine
    from workflow.models import Cadre, Enterprise, FoundingCase, Park

    now = datetime.now(UTC)
    case_fields = {k: fields.pop(k) for k in list(fields) if k in FoundingCase.__table__.c}
    engine = make_engine(db_url)
    try:
        with engine.begin() as conn:
            park_id = conn.execute(
                select(Park.__table__.c.id).where(Park.__table__.c.code == park)
            ).scalar_one()
            cadre_id = None
            if cadre:
                cadre_id = conn.execute(
                    select(Cadre.__table__.c.id).where(Cadre.__table__.c.code == cadre)
                ).scalar_one()
            ent = conn.execute(
                insert(Enterprise.__table__).values(
                    uscc=uscc,
                    name=name,
                    park_id=park_id,
                    employees=employees,
                    shuangshi=shuangshi,
                    created_at=now,
                    updated_at=now,
                    **fields,
                )
            ).inserted_primary_key[0]
            return conn.execute(
                insert(FoundingCase.__table__).values(
                    enterprise_id=ent,
                    status=status,
                    status_since=date.fromisoformat(status_since),
                    cadre_id=cadre_id,
                    created_at=now,
                    updated_at=now,
                    **case_fields,
                )
            ).inserted_primary_key[0]
    finally:
        engine.dispose()


def valid_usccs(n: int, seed: int = 7) -> list[str]:
    """Deterministic valid USCCs for tests."""
    import random

    from workflow.uscc import fake_uscc

    rng = random.Random(seed)
    return [fake_uscc(rng) for _ in range(n)]


USCCS = valid_usccs(20)


ORG_CADRES = (  # code, name, role, park, supervisor
    ("S01", "张伟", "supervisor", "SJ", None),
    ("C01", "王芳", "cadre", "SJ", "S01"),
    ("C02", "李娜", "cadre", "SJ", "S01"),
    ("S02", "刘洋", "supervisor", "XP", None),
    ("C03", "陈静", "cadre", "XP", "S02"),
    ("SEC1", "赵敏", "secretary", "SJ", None),
)


@pytest.fixture
def org(cli, db_url):
    """A small organisation: admin A01; park SJ (and XP); supervisor S01 with cadres C01, C02; cadre C03 in XP
    under S02; secretary SEC1."""
    cli("init", "--admin", "A01", "--name", "管理员", "--email", "a01@example.org")
    cli("park", "add", "SJ", "松江经开区", user="A01")
    cli("park", "add", "XP", "新浜园区", "--level", "municipal", user="A01")
    for code, name, role, park, supervisor in ORG_CADRES:
        extra = ["--supervisor", supervisor] if supervisor else []
        cli("cadre", "add", code, "--name", name, "--email", f"{code.lower()}@example.org", "--role", role,
            "--park", park, *extra, user="A01")
    return db_url


# --------------------------------------------------------------------------------------------- SMTP server
class SmtpSink:
    """aiosmtpd handler: keeps every accepted message; `refuse` holds replies to give instead, one per message."""

    def __init__(self):
        import threading

        self.received = []  # (mail_from, rcpt_tos, raw bytes)
        self.refuse: list[str] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            if self.refuse:
                return self.refuse.pop(0)
            self.received.append((envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.content)))
        return "250 OK"


class SignalSender(SmtpSink):
    """Signals the sending process (`pid`, set once it runs) when the `at`-th message arrives: with SIGKILL
    it dies before the answer (the message is not accepted); another signal (SIGTERM) is sent, and the
    message accepted half a second later."""

    def __init__(self, at: int, sig: int):
        super().__init__()
        self.at, self.sig, self.pid = at, sig, None

    async def handle_DATA(self, server, session, envelope):
        import signal

        with self.lock:
            if len(self.received) + 1 == self.at and self.pid is not None:
                os.kill(self.pid, self.sig)
                self.pid = None
                if self.sig == signal.SIGKILL:
                    return "451 4.3.0 the sender died"
                signalled = True
            else:
                signalled = False
        if signalled:  # the signal arrives while this message is on its way, well before the answer
            import asyncio

            await asyncio.sleep(0.5)
        return await super().handle_DATA(server, session, envelope)


class SmtpServer:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 and a free port; stop() and start() again on the same port."""

    def __init__(self, port: int):
        self.host, self.port = "127.0.0.1", port
        self.handler = SmtpSink()
        self.controller = None

    def start(self):
        from aiosmtpd.controller import Controller

        self.controller = Controller(self.handler, hostname=self.host, port=self.port)
        self.controller.start()
        return self

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def received(self):
        return list(self.handler.received)

    def messages(self):
        """The accepted messages, parsed (email.policy.default)."""
        from email import message_from_bytes, policy

        return [message_from_bytes(raw, policy=policy.default) for _f, _r, raw in self.received]

    def config(self, tmp_path, **mail) -> Path:
        """A TOML config sending through this server (extra [mail] keys as keyword arguments)."""
        lines = ["[mail]", 'transport = "smtp"']
        lines += [f"{k} = {v!r}".replace("'", '"') if isinstance(v, str) else f"{k} = {str(v).lower()}"
                  for k, v in mail.items()]
        lines += ["", "[mail.smtp]", f'host = "{self.host}"', f"port = {self.port}"]
        path = tmp_path / f"smtp-{self.port}.toml"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server():
    """A running SMTP server that collects messages (`.received`, `.messages()`, `.handler.refuse`)."""
    server = SmtpServer(free_port()).start()
    yield server
    server.stop()
