"""The coverage report next to hand-written GROUP BY SQL, on whatever data the engine holds.

`bench_coverage(engine, n)` times `coverage(by=park)`, `coverage(by=cadre)` and the as-of report
(`coverage(by=park, as_of=…)`: each case's status and members reconstructed from the event history, as
`workflow/case_states.py` documents) against hand-written SQL doing the same work in the same run,
asserts that both give the same answer, and returns one row per report: name, n, seconds,
baseline_seconds, ratio (goal ≤ 1.5 for the current report).
"""

from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy import text

# The report's measures: the founding rate's parts and the membership rate's, of all and of the founded.
MEASURES = """
    COUNT(*) AS enterprises,
    SUM(CASE WHEN {s} IN ('founded', 'active') THEN 1 ELSE 0 END) AS covered,
    SUM(COALESCE({m}, 0)) AS members,
    SUM(COALESCE(e.employees, 0)) AS employees,
    SUM(CASE WHEN {s} IN ('founded', 'active') THEN COALESCE({m}, 0) ELSE 0 END) AS covered_members,
    SUM(CASE WHEN {s} IN ('founded', 'active') THEN COALESCE(e.employees, 0) ELSE 0 END) AS covered_employees
"""

BY_PARK = f"""
SELECT p.code AS grp, {MEASURES.format(s="c.status", m="e.members")}
FROM founding_case c JOIN enterprise e ON e.id = c.enterprise_id JOIN park p ON p.id = e.park_id
WHERE c.status <> 'closed'
GROUP BY p.code, p.name
"""

BY_CADRE = f"""
SELECT k.code AS grp, {MEASURES.format(s="c.status", m="e.members")}
FROM founding_case c JOIN enterprise e ON e.id = c.enterprise_id LEFT JOIN cadre k ON k.id = c.cadre_id
WHERE c.status <> 'closed'
GROUP BY k.code, k.name
"""

_NO_HISTORY = """
    SELECT c.id AS case_id, c.status AS status FROM founding_case c
    WHERE c.status_since <= :d AND NOT EXISTS (
        SELECT 1 FROM case_event x WHERE x.case_id = c.id AND x.kind IN ('transition', 'import')
        AND x.to_status IS NOT NULL)
"""

# The idiomatic "last row per group" of each engine: DISTINCT ON on PostgreSQL, a window elsewhere.
LAST_STATUS = {
    "postgresql": f"""
    (SELECT DISTINCT ON (case_id) case_id, to_status AS status FROM case_event
     WHERE kind IN ('transition', 'import') AND to_status IS NOT NULL AND occurred_on <= :d
     ORDER BY case_id, occurred_on DESC, id DESC)
    UNION ALL {_NO_HISTORY}
    """,
    "sqlite": f"""
    SELECT case_id, status FROM (
        SELECT case_id, to_status AS status,
               ROW_NUMBER() OVER (PARTITION BY case_id ORDER BY occurred_on DESC, id DESC) AS rn
        FROM case_event
        WHERE kind IN ('transition', 'import') AND to_status IS NOT NULL AND occurred_on <= :d) WHERE rn = 1
    UNION ALL {_NO_HISTORY}
    """,
}

# Members on the day: the count of the latest `found` on or before it; before the first count, 0 without a
# union and the first count with one; a case whose history records no count keeps the enterprise's.
# (The JSON is read inside a CASE so that PostgreSQL reads it only for found events, as the engine does.)
_FOUND_COUNT = """
    SELECT case_id, {value} AS members, occurred_on, id FROM case_event
    WHERE kind = 'transition' AND event = 'found' AND {value} IS NOT NULL
"""
_COUNT_ORDER = """occurred_on > :d, CASE WHEN occurred_on <= :d THEN occurred_on END DESC,
    CASE WHEN occurred_on <= :d THEN id END DESC, occurred_on, id"""
COUNT_ON_DAY = {
    "postgresql": f"""
    SELECT DISTINCT ON (case_id) case_id, CAST(members AS INTEGER) AS members, occurred_on
    FROM ({_FOUND_COUNT.format(value="CASE WHEN event = 'found' THEN data->>'members' END")}) fe
    ORDER BY case_id, {_COUNT_ORDER}
    """,
    "sqlite": f"""
    SELECT case_id, CAST(members AS INTEGER) AS members, occurred_on FROM (
        SELECT fe.*, ROW_NUMBER() OVER (PARTITION BY case_id ORDER BY {_COUNT_ORDER}) AS rn
        FROM ({_FOUND_COUNT.format(value="CASE WHEN event = 'found' THEN json_extract(data, '$.members') END")}) fe) WHERE rn = 1
    """,
}
MEMBERS_ON_DAY = """CASE WHEN f.case_id IS NULL THEN e.members WHEN f.occurred_on <= :d THEN f.members
    WHEN st.status IN ('founded', 'active') THEN f.members ELSE 0 END"""

AS_OF_BY_PARK = """
WITH st AS ({last}), f AS ({counts})
SELECT p.code AS grp, {measures}
FROM founding_case c JOIN st ON st.case_id = c.id JOIN enterprise e ON e.id = c.enterprise_id
JOIN park p ON p.id = e.park_id LEFT JOIN f ON f.case_id = c.id
WHERE st.status <> 'closed'
GROUP BY p.code, p.name
"""


def _context(engine):
    from workflow.clock import Clock
    from workflow.config import load_config
    from workflow.context import Context

    config = load_config(db_url=engine.url.render_as_string(hide_password=False))
    return Context(config=config, clock=Clock.from_env(config.timezone), _engine=engine)


KEYS = ("enterprises", "covered", "members", "employees", "covered_members", "covered_employees")


def _answer(rows) -> list[tuple]:
    return sorted(((r[0], *(int(v or 0) for v in r[1:])) for r in rows), key=lambda t: (t[0] is None, t[0] or ""))


def _report_answer(report: dict) -> list[tuple]:
    return _answer((r["group"], *(r[k] for k in KEYS)) for r in report["rows"])


def _best(fn, repeat: int) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def _as_of_day(engine, today):
    """A day inside the history (30 days before its last event), so the reconstruction has work to do."""
    with engine.connect() as conn:
        last = conn.execute(text("SELECT MAX(occurred_on) FROM case_event")).scalar()
    if last is None:
        return today - timedelta(days=1)
    if isinstance(last, str):  # SQLite without declared type affinity on an aggregate
        from datetime import date

        last = date.fromisoformat(last)
    return min(last - timedelta(days=30), today - timedelta(days=1))


def bench_coverage(engine, n: int, repeat: int = 3) -> list[dict]:
    """Time the coverage reports against hand-written SQL on `engine`'s data (n cases, for the label)."""
    from workflow.case_states import report_settings
    from workflow.reports import coverage

    ctx = _context(engine)
    day = _as_of_day(engine, ctx.clock.today())
    dialect = "postgresql" if engine.dialect.name == "postgresql" else "sqlite"
    as_of_sql = AS_OF_BY_PARK.format(last=LAST_STATUS[dialect], counts=COUNT_ON_DAY[dialect],
                                     measures=MEASURES.format(s="st.status", m=MEMBERS_ON_DAY))
    cases = [
        ("coverage by park", lambda: coverage(ctx, by="park"), BY_PARK, {}),
        ("coverage by cadre", lambda: coverage(ctx, by="cadre"), BY_CADRE, {}),
        ("coverage as of", lambda: coverage(ctx, by="park", as_of=day), as_of_sql, {"d": day}),
    ]
    out = []
    with engine.connect() as conn:
        conn.execution_options(uf_readonly=True)  # a reader's transaction, as `reading` opens

        def baseline(sql, params):
            with conn.begin():  # in a transaction with the report's settings, as the engine's queries run
                report_settings(conn)
                return conn.execute(text(sql), params).all()

        for name, report, sql, params in cases:
            report(), baseline(sql, params)  # warm caches and the schema check
            seconds, mine = _best(report, repeat)
            base_seconds, theirs = _best(lambda sql=sql, params=params: baseline(sql, params), repeat)
            if _report_answer(mine) != _answer(theirs):
                raise AssertionError(f"{name}: the report and the hand-written SQL disagree")
            out.append({"name": name, "n": n, "seconds": round(seconds, 6), "baseline_seconds": round(base_seconds, 6),
                        "ratio": round(seconds / base_seconds, 2) if base_seconds else None})
    return out
