"""Registry import from a CSV file: `workflow.registry.import_registry` next to a raw executemany.

Both run against a database of their own (a second SQLite file, or a schema `bench_import` in the
PostgreSQL database) holding the synthetic park's parks and cadres. The engine validates the whole file
and writes enterprises, cases and an import event per case; the baseline reads the same CSV with the
csv module and inserts the same rows (enterprise, case, import event) with executemany into scratch
tables shaped like the real ones. The two results are compared column by column in SQL.
"""

from __future__ import annotations

import csv
import time
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    insert,
    text,
)

from benchmarks.generate import write_csv, write_org
from benchmarks.synthetic import SEED, TODAY, build_spec

SCHEMA = "bench_import"
CHUNK = 5_000

_md = MetaData()
S_ENT = Table(
    "bench_enterprise", _md,
    Column("id", Integer, primary_key=True), Column("uscc", String(18), unique=True, nullable=False),
    Column("name", String(300), nullable=False), Column("park_id", Integer, nullable=False),
    Column("industry", String(100), index=True), Column("employees", Integer), Column("shuangshi", Boolean),
    Column("grid", String(100)), Column("source", String(16)), Column("opened_on", Date), Column("members", Integer),
    Column("contact_name", String(100)), Column("contact_phone", String(50)), Column("signups", Integer),
    Column("created_at", DateTime(timezone=True)), Column("updated_at", DateTime(timezone=True)),
)  # fmt: skip
S_CASE = Table(
    "bench_case", _md,
    Column("id", Integer, primary_key=True), Column("enterprise_id", Integer, unique=True, nullable=False),
    Column("status", String(16), nullable=False), Column("status_since", Date, nullable=False),
    Column("episode", Integer), Column("version", Integer),
    Column("created_at", DateTime(timezone=True)), Column("updated_at", DateTime(timezone=True)),
)  # fmt: skip
S_EVENT = Table(
    "bench_event", _md,
    Column("id", Integer, primary_key=True), Column("case_id", Integer, nullable=False, index=True),
    Column("kind", String(16)), Column("to_status", String(16)), Column("occurred_on", Date),
    Column("recorded_at", DateTime(timezone=True)), Column("actor_id", Integer), Column("note", String),
    Column("data", JSON),
)  # fmt: skip


@contextmanager
def import_database(url: str, workdir: Path):
    """A migrated, empty database beside the benchmark's own; removed afterwards."""
    from sqlalchemy.engine import make_url

    from workflow.db import make_engine, upgrade

    if url.startswith("sqlite"):
        path = workdir / "import.db"
        path.unlink(missing_ok=True)
        scratch = f"sqlite:///{path}"
    else:
        admin = make_engine(url)
        with admin.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
            conn.exec_driver_sql(f"CREATE SCHEMA {SCHEMA}")
        scratch = make_url(url).update_query_dict({"options": f"-csearch_path={SCHEMA}"}).render_as_string(False)
    upgrade(scratch)
    engine = make_engine(scratch)
    try:
        yield scratch, engine
    finally:
        engine.dispose()
        if url.startswith("sqlite"):
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        else:
            with admin.begin() as conn:
                conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
            admin.dispose()


def baseline_import(engine, path: Path, park_ids: dict[str, int], actor_id: int) -> int:
    """Read the CSV with the csv module and executemany the same rows into the scratch tables."""
    now = datetime.now(UTC)
    n = 0
    with engine.begin() as conn, open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        ents, cases, events = [], [], []
        for row in reader:
            n += 1
            status = row["status"] or "prospect"
            since = date.fromisoformat(row["status_since"]) if row["status_since"] else TODAY
            ents.append({
                "id": n, "uscc": row["uscc"], "name": row["name"], "park_id": park_ids[row["park"]],
                "industry": row["industry"] or None, "employees": int(row["employees"]) if row["employees"] else None,
                "shuangshi": row["shuangshi"] == "是", "grid": row["grid"] or None, "source": row["source"],
                "opened_on": date.fromisoformat(row["opened_on"]) if row["opened_on"] else None,
                "members": int(row["members"]) if row["members"] else None,
                "contact_name": row["contact_name"] or None, "contact_phone": row["contact_phone"] or None,
                "signups": 0, "created_at": now, "updated_at": now,
            })  # fmt: skip
            cases.append({"id": n, "enterprise_id": n, "status": status, "status_since": since, "episode": 1,
                          "version": 1, "created_at": now, "updated_at": now})
            events.append({"id": n, "case_id": n, "kind": "import", "to_status": status, "occurred_on": since,
                           "recorded_at": now, "actor_id": actor_id, "note": path.name, "data": None})
            if len(ents) >= CHUNK:
                _insert_all(conn, ents, cases, events)
        _insert_all(conn, ents, cases, events)
    return n


def _insert_all(conn, ents, cases, events) -> None:
    for table, batch in ((S_ENT, ents), (S_CASE, cases), (S_EVENT, events)):
        if batch:
            conn.execute(insert(table), batch)
            batch.clear()


_COMPARE = """
SELECT count(*), count(DISTINCT e.uscc), sum(e.employees), sum(CASE WHEN e.shuangshi THEN 1 ELSE 0 END),
       sum(coalesce(e.members, 0)), count(e.opened_on), count(e.contact_phone), count(DISTINCT e.grid),
       sum(e.park_id), sum(CASE WHEN c.status = 'prospect' THEN 1 ELSE 0 END),
       sum(CASE WHEN c.status = 'active' THEN 1 ELSE 0 END), max(c.status_since), count(DISTINCT x.case_id)
FROM {ent} e JOIN {case} c ON c.enterprise_id = e.id JOIN {event} x ON x.case_id = c.id AND x.kind = 'import'
"""


def bench_import(url: str, n: int, workdir: Path, seed: int = SEED) -> list[dict]:
    """One row: the engine's import of n enterprises from CSV vs the raw executemany of the same rows."""
    from workflow.clock import Clock
    from workflow.config import load_config
    from workflow.context import Context
    from workflow.registry import import_registry

    path = Path(workdir) / f"registry-{n}.csv"
    write_csv(path, n, seed)
    spec = build_spec(n, seed)
    with import_database(url, Path(workdir)) as (scratch, engine):
        with engine.begin() as conn:
            write_org(conn, spec)
        ctx = Context(config=load_config(db_url=scratch), clock=Clock(frozen_today=TODAY), actor_code="A01",
                      _engine=engine)
        start = time.perf_counter()
        result = import_registry(ctx, path)
        seconds = time.perf_counter() - start
        if result["created"] != n:
            raise AssertionError(f"import: {result['created']} enterprises created, not {n}")
        _md.create_all(engine)
        start = time.perf_counter()
        baseline_import(engine, path, {p.code: p.id for p in spec.parks}, spec.admin_id)
        baseline_seconds = time.perf_counter() - start
        with engine.connect() as conn:
            mine = conn.execute(text(_COMPARE.format(ent="enterprise", case="founding_case", event="case_event"))).one()
            theirs = conn.execute(text(_COMPARE.format(ent="bench_enterprise", case="bench_case", event="bench_event")))
            theirs = theirs.one()
        if tuple(mine) != tuple(theirs):
            raise AssertionError(f"import: the engine's rows differ from the baseline's: {tuple(mine)} != {tuple(theirs)}")
    return [{"name": "import", "n": n, "seconds": seconds, "baseline_seconds": baseline_seconds,
             "note": "enterprises, cases and import events from CSV; results equal"}]
