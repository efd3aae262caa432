"""Write the synthetic park (`synthetic.py`) into a migrated, empty database, set-based.

Rows stream out block by block (made ahead in a small process pool for large N): COPY on PostgreSQL
(psycopg `cursor.copy`), driver-level executemany on SQLite; memory stays bounded whatever N is.
"""

from __future__ import annotations

import functools
import itertools
import logging
import os
from collections.abc import Iterator
from datetime import date

from benchmarks.bulk import Sink, check_empty, fix_sequences, indexes_deferred
from benchmarks.synthetic import (
    CASE_COLS,
    CSV_COLS,
    ENT_COLS,
    EVENT_COLS,
    SEED,
    TODAY,
    Plan,
    Spec,
    block_count,
    build_spec,
    iso,
    rows,
)

log = logging.getLogger(__name__)

REGISTRY_TABLES = ("enterprise", "founding_case", "case_event")


def ensure_calendar_days(conn) -> None:
    """Fill `calendar_day` when it is empty (with the sweep's own loader when it exists)."""
    try:
        from workflow.calendar_store import ensure_calendar
    except ModuleNotFoundError as exc:
        if exc.name != "workflow.calendar_store":
            raise
    else:
        ensure_calendar(conn)
        return
    if conn.exec_driver_sql("SELECT count(*) FROM calendar_day").scalar():
        return
    from workflow.workdays import WorkdayCalendar

    rows_ = [(d.isoformat(), w, no) for d, w, no in WorkdayCalendar().rows()]
    Sink(conn).write("calendar_day", ("day", "is_workday", "workday_no"), rows_)


def write_org(conn, spec: Spec) -> None:
    """Parks, cadres (with supervisors) and joint unions, into an empty database."""
    check_empty(conn, ("park", "cadre", "joint_union") + REGISTRY_TABLES)
    sink = Sink(conn)
    sink.write("park", ("id", "code", "name", "level", "parent_id"),
               [(p.id, p.code, p.name, p.level, p.parent_id) for p in spec.parks])
    cols = ("id", "code", "name", "email", "role", "park_id", "supervisor_id", "active")
    # Supervisors first: cadres point at them.
    sink.write("cadre", cols, [c for c in spec.cadres if c[4] not in ("cadre", "social_worker")])
    sink.write("cadre", cols, [c for c in spec.cadres if c[4] in ("cadre", "social_worker")])
    sink.write("joint_union", ("id", "code", "name", "kind", "park_id", "founded_on", "approval_ref"),
               [(*j[:5], iso(j[5]), j[6]) for j in spec.joint_unions])
    fix_sequences(conn, ("park", "cadre", "joint_union"))


@functools.lru_cache(maxsize=2)
def _spec(n: int, seed: int, today: date) -> Spec:
    return build_spec(n, seed, today)


def block_rows(args: tuple) -> tuple[list, list, list]:
    """All rows of one block (run in a worker process for large N)."""
    n, seed, today, block, sqlite = args
    ents, cases, events = [], [], []
    for ent, case, evs, _ in rows(_spec(n, seed, today), block, sqlite=sqlite):
        ents.append(ent)
        cases.append(case)
        events.extend(evs)
    return ents, cases, events


def _blocks(n: int, seed: int, today: date, sqlite: bool, workers: int) -> Iterator[tuple[list, list, list]]:
    """Blocks in order; with workers, made ahead in a process pool (a few blocks in flight, not all)."""
    tasks = ((n, seed, today, b, sqlite) for b in range(block_count(n)))
    if workers <= 1:
        yield from map(block_rows, tasks)
        return
    import multiprocessing as mp
    from collections import deque

    with mp.get_context("spawn").Pool(workers) as pool:
        pending = deque(pool.apply_async(block_rows, (t,)) for t in itertools.islice(tasks, 2 * workers))
        while pending:
            result = pending.popleft().get()
            for t in itertools.islice(tasks, 1):
                pending.append(pool.apply_async(block_rows, (t,)))
            yield result


def generate(engine, n: int, seed: int = SEED, today: date = TODAY, workers: int | None = None) -> Plan:
    """Write a synthetic park of n enterprises and cases into an empty, migrated database."""
    spec = build_spec(n, seed, today)
    plan = Plan(n, seed, dict(spec.status_counts), len(spec.parks), len(spec.cadres), len(spec.joint_unions))
    if workers is None:
        workers = min(2, os.cpu_count() or 1) if n >= 50_000 else 1
    sqlite = engine.dialect.name == "sqlite"
    with engine.begin() as conn:
        if not sqlite:
            conn.exec_driver_sql("SET LOCAL synchronous_commit = off")
        write_org(conn, spec)
        ensure_calendar_days(conn)
        sink = Sink(conn)
        with indexes_deferred(conn, REGISTRY_TABLES):
            for ents, cases, events in _blocks(n, seed, today, sqlite, workers):
                sink.write("enterprise", ENT_COLS, ents)
                sink.write("founding_case", CASE_COLS, cases)
                sink.write("case_event", EVENT_COLS, events)
                _tally(plan, events)
        fix_sequences(conn, REGISTRY_TABLES)
    with engine.connect() as conn:  # fresh statistics, as a real database would have
        conn.exec_driver_sql("ANALYZE")
        conn.commit()
    log.info("generated %d enterprises, %d events", n, plan.events)
    return plan


def _tally(plan: Plan, events: list) -> None:
    plan.events += len(events)
    for e in events:
        if e[2] == "import":
            plan.import_events += 1
        else:
            plan.transition_events[e[3]] = plan.transition_events.get(e[3], 0) + 1


def write_csv(path, n: int, seed: int = SEED, today: date = TODAY) -> int:
    """The registry of a synthetic park of n enterprises as a CSV file (English headers); returns n."""
    import csv

    spec = build_spec(n, seed, today)
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(CSV_COLS)
        for b in range(block_count(n)):
            w.writerows(csv_row for *_, csv_row in rows(spec, b))
    return n
