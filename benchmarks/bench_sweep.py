"""The escalation sweep next to hand-written SQL that selects the same stalled cases, in the same run.

`bench_sweep(engine, n)` works on whatever cases the database holds (the harness generates them) and
changes nothing: every measurement runs in a transaction that is rolled back.

- "sweep (daily)": the sweep of today when yesterday's (the previous working day) has run — the
  daily case: it evaluates every case and writes only what is new — against hand-written SQL selecting
  the same new levels and follow-ups (reached today, not fired yet) into a temporary table. Goal ≤ 2×.
- "daily sweep vs the same writes by hand": the same daily sweep against that selection followed by
  hand-written INSERTs of the new escalations and their timeline rows — how much of the daily ratio is
  the writing itself (the sweep also puts cases on agendas and composes the day's digests).
- "daily sweep vs everything it writes, by hand": the same daily sweep against that selection followed
  by hand-written SQL for all it must write — the escalations, the cases on the meeting level put on
  their park's next meeting (items and their timeline rows), the escalations' timeline rows, and one
  digest per recipient (cadre; supervisor for overdue and meeting; the park's secretaries for meeting),
  text and HTML bodies built by string aggregation in SQL. A floor for any implementation: how far the
  selection-only goal is from what the sweep has to do, and what the engine adds to that.
- "first sweep (inserts k escalations)": the first sweep over the data (yesterday's) against a
  hand-written INSERT … SELECT of the same escalation and timeline rows (the writes dominate).

Both selections are checked equal in SQL (EXCEPT both ways, bounded memory), and raise if not.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as dt_time

from sqlalchemy import insert, literal, select, text

LADDER_SQL = "SELECT 'remind' AS level, {remind} AS pct UNION ALL SELECT 'overdue', {overdue} UNION ALL " \
             "SELECT 'meeting', {meeting}"


def _deadline_sql(dialect: str, months: int) -> str:
    if dialect == "postgresql":
        return f"CAST(e.opened_on + make_interval(months => {months}) AS DATE)"
    return (f"min(date(e.opened_on, 'start of month', '+{months} months', "
            f"'+' || (CAST(strftime('%d', e.opened_on) AS INTEGER) - 1) || ' days'), "
            f"date(e.opened_on, 'start of month', '+{months + 1} months', '-1 day'))")


def baseline_sql(dialect: str, config) -> tuple[str, str]:
    """(ladder rows, next-action rows) as hand-written SQL with :as_of and :asof_no parameters."""
    a = config.allowances
    months = int(config.get("allowances", "new_enterprise_months"))
    deadline = _deadline_sql(dialect, months)
    greatest = "GREATEST" if dialect == "postgresql" else "max"
    clock = f"""
        SELECT c.id AS case_id, c.episode, c.status, c.next_action_on,
               :asof_no - COALESCE(fs.workday_no, 0) AS working_days,
               CASE c.status
                 WHEN 'prospect' THEN CASE
                   WHEN e.opened_on IS NOT NULL AND {deadline} > c.status_since AND fdl.workday_no IS NOT NULL
                        AND fdl.workday_no - COALESCE(fs.workday_no, 0) < {a['prospect']}
                   THEN {greatest}(1, fdl.workday_no - COALESCE(fs.workday_no, 0)) ELSE {a['prospect']} END
                 WHEN 'contacted' THEN {a['contacted']} WHEN 'preparatory' THEN {a['preparatory']}
                 WHEN 'founded' THEN {a['founded']} END AS allowed
        FROM founding_case c
        JOIN enterprise e ON e.id = c.enterprise_id
        LEFT JOIN calendar_day fs ON fs.day = c.status_since
        LEFT JOIN calendar_day fdl ON c.status = 'prospect' AND fdl.day = {deadline}
        WHERE c.status IN ('prospect', 'contacted', 'preparatory', 'founded', 'active')
          AND c.status_since <= :as_of"""
    ladder = LADDER_SQL.format(**config.ladder)
    # The clock once (a materialized CTE), then the levels: what a careful hand would write.
    levels = (f"WITH k AS MATERIALIZED ({clock}) "
              f"SELECT k.case_id, k.episode, l.level, k.status, k.working_days, k.allowed FROM k "
              f"JOIN ({ladder}) l ON k.working_days * 100 >= k.allowed * l.pct WHERE k.allowed IS NOT NULL")
    due = (f"SELECT k.case_id, k.next_action_on AS due_on, k.episode, k.status, k.working_days, k.allowed "
           f"FROM ({clock}) k WHERE k.next_action_on IS NOT NULL AND k.next_action_on <= :as_of")
    return levels, due


def _esc_html(dialect: str, expr: str) -> str:
    return f"replace(replace(replace({expr}, '&', '&amp;'), '<', '&lt;'), '>', '&gt;')"


def by_hand_writes(dialect: str, rows: str, due_rows: str, digest_limit: int) -> list[str]:
    """Hand-written SQL for everything the daily sweep writes, from the new rows selected into `rows` and
    `due_rows` (temporary tables): parameters :as_of, :now and :starts_from (meetings from that instant)."""
    pg = dialect == "postgresql"
    cat = (lambda x, sep, order: f"string_agg({x}, {sep} ORDER BY {order})") if pg else \
          (lambda x, sep, order: f"group_concat({x}, {sep})")  # SQLite keeps the subquery's order
    obj = "json_build_object" if pg else "json_object"
    arr = "json_build_array" if pg else "json_array"
    nl = "E'\\n'" if pg else "char(10)"
    new = (f"SELECT case_id, episode, level, status, working_days, allowed, NULL AS due_on FROM {rows} "
           f"UNION ALL SELECT case_id, episode, level, status, working_days, allowed, due_on FROM {due_rows}")
    return [
        # Each case on the meeting level onto its park's next planned meeting (the earliest; the lowest id on a tie).
        "CREATE TEMP TABLE bench_placing AS "
        "SELECT b.case_id, b.status, b.working_days, m.id AS meeting_id, "
        " 1 + (SELECT count(*) FROM agenda_item a WHERE a.case_id = b.case_id) AS times "
        f"FROM {rows} b JOIN founding_case c ON c.id = b.case_id JOIN enterprise e ON e.id = c.enterprise_id "
        "JOIN meeting m ON m.id = (SELECT m2.id FROM meeting m2 WHERE m2.park_id = e.park_id AND m2.status = 'planned' "
        " AND m2.starts_at >= :starts_from ORDER BY m2.starts_at, m2.id LIMIT 1) WHERE b.level = 'meeting'",
        "INSERT INTO agenda_item (meeting_id, case_id, reason, source, times_on_agenda, created_at) "
        "SELECT meeting_id, case_id, 'stalled in ' || status || ' for ' || working_days || ' working days', "
        "'escalation', times, :now FROM bench_placing",
        "INSERT INTO escalation (case_id, episode, level, status, working_days, allowed, due_on, agenda_item_id, as_of, "
        "sweep_token, created_at) SELECT n.case_id, n.episode, n.level, n.status, n.working_days, n.allowed, n.due_on, "
        f"a.id, :as_of, 'baseline', :now FROM ({new}) n LEFT JOIN bench_placing p ON n.level = 'meeting' "
        "AND p.case_id = n.case_id LEFT JOIN agenda_item a ON a.meeting_id = p.meeting_id AND a.case_id = p.case_id",
        "INSERT INTO case_event (case_id, kind, event, from_status, to_status, occurred_on, recorded_at, note) "
        "SELECT case_id, 'escalation', level, status, status, as_of, created_at, level FROM escalation "
        "WHERE sweep_token = 'baseline'",
        "INSERT INTO case_event (case_id, kind, event, from_status, to_status, occurred_on, recorded_at, note) "
        "SELECT p.case_id, 'agenda', 'escalation', p.status, p.status, :as_of, :now, m.title "
        "FROM bench_placing p JOIN meeting m ON m.id = p.meeting_id",
        # The digests: who hears of what, each case once per recipient at its highest level, the most urgent
        # first, at most `digest_limit` listed; one outbox row per recipient.
        "CREATE TEMP TABLE bench_routes AS "
        "WITH n AS (SELECT x.*, c.cadre_id, c.enterprise_id, e.park_id FROM "
        f"({new}) x JOIN founding_case c ON c.id = x.case_id JOIN enterprise e ON e.id = c.enterprise_id), "
        "r AS (SELECT w.email, w.name, n.* FROM n JOIN cadre w ON w.id = n.cadre_id AND w.active "
        " UNION ALL SELECT s.email, s.name, n.* FROM n JOIN cadre w ON w.id = n.cadre_id AND w.active "
        "  JOIN cadre s ON s.id = w.supervisor_id AND s.active WHERE n.level IN ('overdue', 'meeting') "
        # no cadre, or one who left: the park's supervisors, or the admins where it has none
        " UNION ALL SELECT s.email, s.name, n.* FROM n LEFT JOIN cadre w ON w.id = n.cadre_id "
        "  JOIN cadre s ON s.active AND ((s.role = 'supervisor' AND s.park_id = n.park_id) OR (s.role = 'admin' "
        "  AND NOT EXISTS (SELECT 1 FROM cadre o WHERE o.role = 'supervisor' AND o.active AND o.park_id = n.park_id))) "
        "  WHERE (w.id IS NULL OR NOT w.active) AND n.level IN ('remind', 'overdue', 'next_action') "
        # the meeting level: the park's secretaries, or every secretary where it has none
        " UNION ALL SELECT s.email, s.name, n.* FROM n JOIN cadre s ON s.role = 'secretary' AND s.active "
        "  AND (s.park_id = n.park_id OR NOT EXISTS (SELECT 1 FROM cadre o WHERE o.role = 'secretary' AND o.active "
        "  AND o.park_id = n.park_id)) WHERE n.level = 'meeting'), "
        "h AS (SELECT r.*, CASE level WHEN 'meeting' THEN 0 WHEN 'overdue' THEN 1 WHEN 'remind' THEN 2 ELSE 3 END "
        " AS rnk, row_number() OVER (PARTITION BY email, case_id ORDER BY CASE level WHEN 'meeting' THEN 0 "
        " WHEN 'overdue' THEN 1 WHEN 'remind' THEN 2 ELSE 3 END) AS nth FROM r), "
        "t AS (SELECT h.*, row_number() OVER (PARTITION BY email ORDER BY rnk, working_days - allowed DESC, case_id) "
        " AS pos, count(*) OVER (PARTITION BY email) AS total FROM h WHERE nth = 1) "
        "SELECT t.email, t.name, t.pos, t.total, t.level, t.status, t.working_days, t.allowed, e.name AS enterprise, "
        f"e.uscc FROM t JOIN enterprise e ON e.id = t.enterprise_id WHERE t.pos <= {int(digest_limit)}",
        "INSERT INTO outbox (key, kind, to_addrs, cc_addrs, subject, text_body, html_body, attachments, status, "
        "attempts, next_attempt_at, created_at, topic) "
        f"SELECT 'digest:' || email || ':' || :as_of, 'digest', {arr}({obj}('name', name, 'email', email)), {arr}(), "
        "'Daily digest ' || :as_of || ': ' || max(total) || ' cases need attention', "
        + cat("pos || '. ' || enterprise || '  ' || uscc || ' — ' || level || ', ' || status || ' ' || working_days "
              "|| '/' || allowed", nl, "pos") + ", "
        + "'<table>' || " + cat("'<tr><td>' || " + _esc_html(dialect, "enterprise") + " || '</td><td>' || uscc || "
                                "'</td><td>' || level || '</td><td>' || working_days || '/' || allowed || '</td></tr>'",
                                "''", "pos") + " || '</table>', "
        f"{arr}(), 'queued', 0, :now, :now, 'digest:' || :as_of "
        "FROM (SELECT * FROM bench_routes ORDER BY email, pos) d GROUP BY email, name",
    ]


def _inline(sql: str, params: dict) -> str:
    """CREATE TABLE … AS takes no bound parameters on PostgreSQL: our own day and number, inlined."""
    return sql.replace(":asof_no", str(int(params["asof_no"]))).replace(":as_of", f"'{params['as_of']}'")


def _one(conn, sql: str, **params) -> int:
    return conn.execute(text(sql), params).scalar()


def _check_equal(conn, left: str, right: str, params: dict, what: str) -> None:
    for a, b, side in ((left, right, "engine only"), (right, left, "baseline only")):
        extra = _one(conn, f"SELECT count(*) FROM ({a} EXCEPT {b}) x", **params)
        if extra:
            raise AssertionError(f"{what}: the sweep and the baseline differ ({extra} row(s) {side})")


def bench_sweep(engine, n: int) -> list[dict]:
    from workflow.calendar_store import prepare_calendar
    from workflow.clock import Clock
    from workflow.config import load_config
    from workflow.context import Context
    from workflow.mailing import DIGEST_LIMIT
    from workflow.sweep import sweep_in, sweep_settings
    from workflow.tables import MEETING, PARK

    url = engine.url.render_as_string(hide_password=False)
    ctx = Context(config=load_config(db_url=url), clock=Clock.from_env(), _engine=engine)
    dialect = engine.dialect.name
    cal = prepare_calendar(engine)
    today = ctx.clock.today()
    yesterday = max(d for d in (date.fromordinal(today.toordinal() - k) for k in range(1, 15)) if cal.is_workday(d))
    levels_sql, due_sql = baseline_sql(dialect, ctx.config)
    p_yesterday = {"as_of": yesterday.isoformat(), "asof_no": cal.workday_no(yesterday)}
    p_today = {"as_of": today.isoformat(), "asof_no": cal.workday_no(today)}
    # Keys of every escalation of the cases' current episodes (earlier rows included, if any).
    current_keys = ("SELECT e.case_id, e.episode, e.level FROM escalation e JOIN founding_case c "
                    "ON c.id = e.case_id AND c.episode = e.episode WHERE e.level <> 'next_action'")
    baseline_keys = f"SELECT case_id, episode, level FROM ({levels_sql}) b"
    new_sql = (f"SELECT b.case_id, b.episode, b.level FROM ({levels_sql}) b WHERE NOT EXISTS (SELECT 1 FROM "
               "escalation e WHERE e.case_id = b.case_id AND e.episode = b.episode AND e.level = b.level)")
    new_due_sql = (f"SELECT d.case_id, d.due_on FROM ({due_sql}) d WHERE NOT EXISTS (SELECT 1 FROM escalation e "
                   "WHERE e.case_id = d.case_id AND e.level = 'next_action' AND e.due_on = d.due_on)")
    new_rows_sql = (f"SELECT b.* FROM ({levels_sql}) b WHERE NOT EXISTS (SELECT 1 FROM escalation e "
                    "WHERE e.case_id = b.case_id AND e.episode = b.episode AND e.level = b.level)")
    new_due_rows_sql = (f"SELECT d.case_id, d.episode, 'next_action' AS level, d.status, d.working_days, "
                        f"COALESCE(d.allowed, 0) AS allowed, d.due_on FROM ({due_sql}) d WHERE NOT EXISTS (SELECT 1 "
                        "FROM escalation e WHERE e.case_id = d.case_id AND e.level = 'next_action' AND e.due_on = d.due_on)")
    with engine.connect() as conn:
        with conn.begin():
            if _one(conn, "SELECT count(*) FROM park_calendar_day"):
                raise RuntimeError("the baseline counts in the federation calendar only: remove the parks' days off")
            had_follow_ups = _one(conn, "SELECT count(*) FROM escalation WHERE level = 'next_action'")
        # Engine: yesterday's first sweep, checked, then today's (daily) sweep, checked; all rolled back.
        # Every park has its next joint meeting planned (monthly, as in the pilot), so the sweep also
        # puts the cases that reach the meeting level on an agenda.
        trans = conn.begin()
        try:
            sweep_settings(conn)  # the sweep's own server settings, for a fair comparison
            starts = literal(datetime.combine(today + timedelta(days=10), dt_time(1, 30), UTC), MEETING.c.starts_at.type)
            conn.execute(insert(MEETING).from_select(
                ["park_id", "title", "starts_at", "place", "status", "created_at"],
                select(PARK.c.id, literal("六方建会联席会议"), starts, literal("管委会会议室"), literal("planned"), starts)))
            t0 = time.perf_counter()
            first = sweep_in(conn, ctx, yesterday)
            t_first = time.perf_counter() - t0
            rows = ("SELECT case_id, episode, level, status, working_days, allowed FROM escalation "
                    f"WHERE sweep_token = '{first['token']}' AND level <> 'next_action'")
            wrong = _one(conn, f"SELECT count(*) FROM ({rows} EXCEPT SELECT * FROM ({levels_sql}) b) x", **p_yesterday)
            if wrong:
                raise AssertionError(f"first sweep: {wrong} escalation(s) the baseline does not select")
            _check_equal(conn, current_keys, baseline_keys, p_yesterday, "first sweep, ladder")
            if not had_follow_ups:
                _check_equal(conn, "SELECT case_id, due_on FROM escalation WHERE level = 'next_action'",
                             f"SELECT case_id, due_on FROM ({due_sql}) d", p_yesterday, "first sweep, follow-ups")
            inserted = sum(first["counts"].values())
            # Baseline, daily: by hand, today's levels and follow-ups that have not fired yet, kept aside.
            t0 = time.perf_counter()
            for table, sql in (("bench_new", new_sql), ("bench_new_due", new_due_sql)):
                conn.execute(text(f"CREATE TEMP TABLE {table} AS {_inline(sql, p_today)}"))
            t_select = time.perf_counter() - t0
            selected = _one(conn, "SELECT count(*) FROM bench_new") + _one(conn, "SELECT count(*) FROM bench_new_due")
            # Baseline, daily with the writes: the same selection, then the new escalations and their
            # timeline rows written by hand (no agenda, no emails), rolled back before the engine's turn.
            sp = conn.begin_nested()
            t0 = time.perf_counter()
            for table, sql in (("bench_rows", new_rows_sql), ("bench_rows_due", new_due_rows_sql)):
                conn.execute(text(f"CREATE TEMP TABLE {table} AS {_inline(sql, p_today)}"))
            for source, due in (("bench_rows", "NULL"), ("bench_rows_due", "due_on")):
                conn.execute(text(
                    "INSERT INTO escalation (case_id, episode, level, status, working_days, allowed, due_on, as_of, "
                    f"sweep_token, created_at) SELECT case_id, episode, level, status, working_days, allowed, {due}, "
                    f":as_of, 'baseline', CURRENT_TIMESTAMP FROM {source}"), p_today)
            conn.execute(text(
                "INSERT INTO case_event (case_id, kind, event, from_status, to_status, occurred_on, recorded_at, note) "
                "SELECT case_id, 'escalation', level, status, status, as_of, created_at, level FROM escalation "
                "WHERE sweep_token = 'baseline'"))
            t_select_write = time.perf_counter() - t0
            sp.rollback()
            # Baseline, daily with everything it writes: the same selection, then all the sweep's writes by hand.
            sp = conn.begin_nested()
            p_all = {"as_of": today.isoformat(), "now": datetime.now(UTC),
                     "starts_from": datetime.combine(today, dt_time(0), UTC) - timedelta(hours=8)}
            t0 = time.perf_counter()
            for table, sql in (("bench_rows", new_rows_sql), ("bench_rows_due", new_due_rows_sql)):
                conn.execute(text(f"CREATE TEMP TABLE {table} AS {_inline(sql, p_today)}"))
            for sql in by_hand_writes(dialect, "bench_rows", "bench_rows_due", DIGEST_LIMIT):
                conn.execute(text(sql), {k: v for k, v in p_all.items() if f":{k}" in sql})
            t_everything = time.perf_counter() - t0
            by_hand = {what: _one(conn, sql) for what, sql in (
                ("escalations", "SELECT count(*) FROM escalation WHERE sweep_token = 'baseline'"),
                ("agenda", "SELECT count(*) FROM bench_placing"),
                ("digests", f"SELECT count(*) FROM outbox WHERE topic = 'digest:{today.isoformat()}'"),
                ("listed", "SELECT coalesce(sum(t), 0) FROM (SELECT max(total) AS t FROM bench_routes GROUP BY email) x"))}
            sp.rollback()
            t0 = time.perf_counter()
            daily = sweep_in(conn, ctx, today)
            t_daily = time.perf_counter() - t0
            token = daily["token"]
            _check_equal(conn, "SELECT case_id, episode, level FROM escalation WHERE level <> 'next_action' "
                               f"AND sweep_token = '{token}'", "SELECT case_id, episode, level FROM bench_new", {},
                         "daily sweep, new levels")
            _check_equal(conn, f"SELECT case_id, due_on FROM escalation WHERE level = 'next_action' "
                               f"AND sweep_token = '{token}'", "SELECT case_id, due_on FROM bench_new_due", {},
                         "daily sweep, new follow-ups")
            _check_equal(conn, current_keys, baseline_keys, p_today, "daily sweep, ladder")
            refs = conn.execute(text(f"SELECT refs FROM outbox WHERE topic = 'digest:{today.isoformat()}'")).scalars()
            engine_did = {"escalations": sum(daily["counts"].values()), "agenda": daily["agenda_items"],
                          "digests": daily["emails_queued"],
                          "listed": sum((r if isinstance(r, dict) else json.loads(r))["cases"] for r in refs)}
            if engine_did != by_hand:
                raise AssertionError(f"daily sweep: the engine wrote {engine_did}, the hand-written SQL {by_hand}")
        finally:
            trans.rollback()
        # Baseline, first sweep: the same escalation and timeline rows written by hand.
        trans = conn.begin()
        try:
            sweep_settings(conn)  # the sweep's own server settings, for a fair comparison
            t0 = time.perf_counter()
            conn.execute(text(
                "INSERT INTO escalation (case_id, episode, level, status, working_days, allowed, as_of, sweep_token, "
                f"created_at) SELECT case_id, episode, level, status, working_days, allowed, :as_of, 'baseline', "
                f"CURRENT_TIMESTAMP FROM ({levels_sql}) b WHERE true ON CONFLICT DO NOTHING"), p_yesterday)
            conn.execute(text(
                "INSERT INTO case_event (case_id, kind, event, from_status, to_status, occurred_on, recorded_at, note) "
                "SELECT case_id, 'escalation', level, status, status, as_of, created_at, level FROM escalation "
                "WHERE sweep_token = 'baseline'"))
            t_write = time.perf_counter() - t0
        finally:
            trans.rollback()
    return [
        {"name": "sweep (daily)", "n": n, "seconds": t_daily, "baseline_seconds": t_select,
         "note": f"{sum(daily['counts'].values())} new (baseline {selected}); same selection checked; "
                 f"{daily['agenda_items']} put on an agenda; seconds per step {daily['timings']}"},
        {"name": "daily sweep vs the same writes by hand", "n": n, "seconds": t_daily,
         "baseline_seconds": t_select_write,
         "note": "baseline: the selection, then the new escalations and their timeline rows (no agenda, no emails)"},
        {"name": "daily sweep vs everything it writes, by hand", "n": n, "seconds": t_daily,
         "baseline_seconds": t_everything,
         "note": f"baseline: the selection, then by hand {by_hand['escalations']} escalations, {by_hand['agenda']} "
                 f"agenda items, the timeline rows of both and {by_hand['digests']} digests of {by_hand['listed']} "
                 f"cases (the same counts as the sweep's, checked); the baseline alone is {t_everything / t_select:.2f}× the selection"},
        {"name": f"first sweep (inserts {inserted} escalations)", "n": n, "seconds": t_first,
         "baseline_seconds": t_write, "note": f"{first['emails_queued']} emails queued; {first['agenda_items']} put "
                                              f"on an agenda; same rows checked; seconds per step {first['timings']}"},
    ]
