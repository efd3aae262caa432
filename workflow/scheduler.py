"""The scheduler daemon: APScheduler 3.x triggers over the project's own idempotent `run_*` jobs.

- Jobs are defined here in code (no job store: a pickled job whose function moved would be deleted,
  and two processes sharing a store would both run everything). What is due lives in the project's
  tables (`sweep_run`, `outbox`, meetings), so the scheduler holds nothing worth losing.
- Leader lock: one daemon per database runs the jobs. PostgreSQL: a session-level advisory lock
  held on a dedicated connection (released when the process dies). SQLite: a file lock beside the
  database file. The others stay idle, retry every `UNIONFLOW_SCHEDULER_POLL` seconds (default 30)
  and take over when the leader goes.
- After downtime, the leader runs the day's sweep once at start-up if it is due and has not run
  (never once per missed day: the sweep computes from the state as of today, so it misses nothing).
- `once=True` runs what is due now and returns. SIGTERM/SIGINT stop it cleanly: a flush of the outbox
  ends between two messages (the one in flight is finished and recorded, the rest goes back to the
  queue), the running job's end is awaited, the lock is released, and the process exits 0.
- Each job is `job(ctx, stop=None)`; `stop` is the Event those signals set.
"""

from __future__ import annotations

import logging
import os
import threading
from datetime import date, datetime, time
from pathlib import Path
from time import monotonic

from sqlalchemy import select, text

from templates.i18n import _
from workflow.db import is_sqlite, make_engine, reading
from workflow.errors import InvalidInput, SchedulerBusy, WorkflowError
from workflow.tables import RUN

log = logging.getLogger(__name__)

POLL_ENV = "UNIONFLOW_SCHEDULER_POLL"
LEADER_KEY = 0x756E_6C65_6164  # pg_try_advisory_lock key of the leader ("unlead"); advisory locks are per database


# -- jobs: each an idempotent run_*() the CLI can call too ----------------------------------------


def sweep_at(ctx) -> time:
    value = str(ctx.config.get("scheduler", "sweep_at"))
    try:
        return time.fromisoformat(value)
    except ValueError:
        raise InvalidInput(_("[scheduler] sweep_at must be HH:MM, not {value!r}").format(value=value)) from None


def sweep_ran(ctx, day: date) -> bool:
    with reading(ctx.ready_engine) as conn:
        return conn.execute(select(RUN.c.finished_at).where(RUN.c.as_of == day)).scalar() is not None


def sweep_due(ctx, now: datetime | None = None) -> tuple[bool, str]:
    """(due?, why) for today's sweep: a working day, its time has come, and it has not run yet."""
    from workflow.calendar_store import prepare_calendar

    today = ctx.clock.today()
    local = ctx.clock.local(now or ctx.clock.now())
    if not prepare_calendar(ctx.ready_engine).is_workday(today):
        return False, f"{today} is not a working day"
    if local.time() < sweep_at(ctx):
        return False, f"not yet {sweep_at(ctx):%H:%M}"
    if sweep_ran(ctx, today):
        return False, f"the sweep of {today} has already run"
    return True, "due"


def run_daily_sweep(ctx, now: datetime | None = None, stop=None) -> dict | None:
    """The sweep of today, when due (the daily trigger and the start-up catch-up call this). It is one
    transaction: a stop request waits for its end."""
    due, why = sweep_due(ctx, now)
    if not due:
        log.info("sweep: nothing to do (%s)", why)
        return None
    from workflow.sweep import run_sweep

    result = run_sweep(ctx, system=True, details=False)
    for w in result["warnings"]:
        log.warning("sweep: %s", w)
    return result


def run_outbox_flush(ctx, stop=None) -> dict | None:
    """Send what is due in the outbox (workflow.mailing.run_outbox); `stop` ends it between two messages."""
    from workflow.mailing import run_outbox

    result = run_outbox(ctx, stop=stop)
    if result.get("unreachable"):  # not a failure of the job: the messages wait, the next run tries again
        log.warning("outbox: the mail transport cannot be reached (%s); %d message(s) stay queued",
                    result["unreachable"], result["queued"])
    return result


def run_packets(ctx, stop=None) -> dict | None:
    """Send the agenda packets of meetings that are close (the meetings issue's run_due_packets)."""
    try:
        from workflow import meetings
    except ImportError:
        return None
    due = getattr(meetings, "run_due_packets", None)
    if due is None:
        log.debug("packets: workflow.meetings.run_due_packets is not there yet")
        return None
    result = due(ctx, system=True)
    for failed in result["failed"]:  # retried on the next run
        log.warning("packet of meeting %s not sent: %s", failed["meeting"], failed["error"])
    return result


FAILED = object()  # what _guarded returns for a job that raised


def _guarded(name: str, job, ctx, stop=None):
    """A job's failure is logged and does not stop the daemon; the next run tries again. What the job did
    and how long it took is logged in one line (at DEBUG when there was nothing to do)."""
    started = monotonic()
    try:
        result = job(ctx, stop=stop)
    except WorkflowError as exc:  # a cause the user can fix (a setting, a template): said, no traceback
        log.error("%s failed: %s (%.2f s)", name, exc, monotonic() - started)
        return FAILED
    except Exception:  # noqa: BLE001 - any failure of one job must not kill the scheduler
        log.exception("%s failed (%.2f s)", name, monotonic() - started)
        return FAILED
    said = SUMMARY[name](result) if result is not None else None
    log.log(logging.INFO if said else logging.DEBUG, "%s (%.2f s)", said or f"{name}: nothing to do",
            monotonic() - started)
    return result


def _sweep_summary(r: dict) -> str:
    levels = ", ".join(f"{level} {n}" for level, n in r["counts"].items())
    return (f"sweep as of {r['as_of']}: {sum(r['counts'].values())} new escalation(s) ({levels}), "
            f"{r['emails_queued']} email(s) queued, {r['agenda_items']} put on an agenda")


def _outbox_summary(r: dict) -> str | None:
    if not (r["sent"] or r["retried"] or r["failed"] or r["deferred"] or r["released"] or r["taken_over"]):
        return None  # every minute: said only when there was something to send
    extra = "".join([f", {r['taken_over']} taken over from a sender that stopped" if r["taken_over"] else "",
                     f", {r['deferred']} deferred (server unreachable)" if r["deferred"] else "",
                     f", {r['released']} put back (stopping)" if r["released"] else ""])
    return (f"outbox via {r['transport']}: {r['sent']} sent, {r['retried']} to retry, {r['failed']} failed{extra}; "
            f"{r['queued']} queued")


def _packets_summary(r: dict) -> str | None:
    if not (r["due"] or r["sent"] or r["failed"]):
        return None
    return f"packets: {len(r['due'])} meeting(s) due, {len(r['sent'])} packet(s) queued, {len(r['failed'])} failed"


SUMMARY = {"sweep": _sweep_summary, "outbox": _outbox_summary, "packets": _packets_summary}


def _fell_short(name: str, result) -> bool:
    """A job that ran but left work undone: the mail server out of reach, a packet not sent."""
    return isinstance(result, dict) and bool(
        (name == "outbox" and result.get("unreachable")) or (name == "packets" and result.get("failed")))


def run_due(ctx, stop=None) -> dict:
    """Everything that is due now, once (`scheduler run --once`): {job: its result}, and under "failed"
    the jobs that failed or fell short (the command exits 1 for them, so that cron tells someone). After
    a stop request the jobs not yet started are left for the next run (None)."""
    out: dict = {}
    for name, job in JOBS.items():
        if stop is not None and stop.is_set():
            log.info("%s: not started (stopping)", name)
            out[name] = None
            continue
        out[name] = _guarded(name, job, ctx, stop)
    out["failed"] = [name for name in JOBS if out[name] is FAILED or _fell_short(name, out[name])]
    for name in JOBS:
        if out[name] is FAILED:
            out[name] = None
    return out


JOBS = {"sweep": run_daily_sweep, "outbox": run_outbox_flush, "packets": run_packets}


# -- the leader lock ------------------------------------------------------------------------------


class FileLeaderLock:
    """SQLite: an OS file lock beside the database (released by the OS if the process dies)."""

    def __init__(self, path: Path):
        from filelock import FileLock

        self.path = path
        self._lock = FileLock(str(path))

    def __str__(self) -> str:
        return f"file lock {self.path}"

    def try_acquire(self) -> bool:
        from filelock import Timeout

        try:
            self._lock.acquire(timeout=0)
            return True
        except Timeout:
            return False

    def healthy(self) -> bool:
        return self._lock.is_locked

    def release(self) -> None:
        if self._lock.is_locked:
            self._lock.release()


class PgLeaderLock:
    """PostgreSQL: a session-level advisory lock on a connection of its own (not pooled)."""

    def __init__(self, url, application_name: str | None = None):
        from sqlalchemy.pool import NullPool

        self._engine = make_engine(url, poolclass=NullPool, application_name=application_name)
        self._conn = None

    def __str__(self) -> str:
        return f"advisory lock {LEADER_KEY} on {self._engine.url.render_as_string(hide_password=True)}"

    def try_acquire(self) -> bool:
        if self._conn is None:
            self._conn = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        if self._conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": LEADER_KEY}).scalar():
            return True
        self._drop()
        return False

    def healthy(self) -> bool:
        try:
            self._conn.execute(text("SELECT 1"))
            return True
        except Exception:  # noqa: BLE001 - a broken connection means the lock is gone
            return False

    def release(self) -> None:
        if self._conn is not None:
            try:
                self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": LEADER_KEY})
            except Exception:  # noqa: BLE001 - closing the session releases it anyway
                pass
            self._drop()

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        try:
            conn.close()
        except Exception:  # noqa: BLE001
            pass

    def dispose(self) -> None:
        self.release()
        self._engine.dispose()


def leader_lock(ctx):
    engine = ctx.engine
    if is_sqlite(engine):
        db = engine.url.database
        if db and db != ":memory:":
            return FileLeaderLock(Path(db).resolve().with_name(Path(db).name + ".scheduler.lock"))
        from workflow.config import user_dir

        user_dir().mkdir(parents=True, exist_ok=True)
        return FileLeaderLock(user_dir() / "scheduler.lock")
    return PgLeaderLock(engine.url.render_as_string(hide_password=False),
                        f"{ctx.application_name or 'unionflow scheduler'} (leader lock)")


# -- the daemon -----------------------------------------------------------------------------------


def _scheduler(ctx, stop):
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.triggers.cron import CronTrigger
    from apscheduler.triggers.interval import IntervalTrigger

    tz = ctx.clock.tz
    grace = int(ctx.config.get("scheduler", "misfire_grace_seconds"))
    at = sweep_at(ctx)
    sched = BackgroundScheduler(timezone=tz)
    now = datetime.now(tz)
    # The sweep trigger fires every day; the job itself returns at once on days off (the calendar decides).
    sched.add_job(_guarded, CronTrigger(hour=at.hour, minute=at.minute, timezone=tz),
                  args=["sweep", run_daily_sweep, ctx, stop], id="sweep", name="daily escalation sweep",
                  misfire_grace_time=grace, coalesce=True, max_instances=1)
    sched.add_job(_guarded, IntervalTrigger(minutes=1, timezone=tz), args=["outbox", run_outbox_flush, ctx, stop],
                  id="outbox", name="outbox flush", misfire_grace_time=50, coalesce=True, max_instances=1,
                  next_run_time=now)
    sched.add_job(_guarded, IntervalTrigger(minutes=15, timezone=tz), args=["packets", run_packets, ctx, stop],
                  id="packets", name="meeting packets", misfire_grace_time=grace, coalesce=True, max_instances=1,
                  next_run_time=now)
    return sched


def _lead(ctx, lock, stop: threading.Event, poll: float) -> None:
    _guarded("sweep", run_daily_sweep, ctx, stop)  # start-up catch-up: once, if today's is due and has not run
    if stop.is_set():
        return
    from workflow.stopping import threads_leave_signals_to_main

    sched = _scheduler(ctx, stop)
    with threads_leave_signals_to_main():
        sched.start()
    for job in sched.get_jobs():
        log.info("scheduled %s: next run %s", job.name, job.next_run_time.isoformat(timespec="seconds"))
    try:
        while not stop.wait(poll):
            if not lock.healthy():
                log.error("lost the leader lock (%s): stopping the jobs", lock)
                break
    finally:
        sched.shutdown(wait=True)  # a running job sees `stop` and ends at its next step


def run_scheduler(ctx, once: bool = False, stop_event: threading.Event | None = None,
                  poll_seconds: float | None = None) -> dict | None:
    """Run the daemon until stopped (SIGTERM, SIGINT or `stop_event`); `once` runs what is due and returns."""
    from workflow.stopping import stop_on_signals

    poll = poll_seconds or float(os.environ.get(POLL_ENV) or 30)
    ctx.ready_engine  # noqa: B018 - fail early on a database without the schema
    lock = leader_lock(ctx)
    try:
        with stop_on_signals(stop_event) as stop:
            return _run(ctx, lock, stop, once, poll)
    finally:
        if hasattr(lock, "dispose"):
            lock.dispose()
        log.info("scheduler stopped")


def _run(ctx, lock, stop: threading.Event, once: bool, poll: float) -> dict | None:
    if once:
        if not lock.try_acquire():
            raise SchedulerBusy(_("another scheduler holds the leader lock ({lock}) and runs the jobs").format(lock=lock))
        try:
            log.info("running what is due once (%s)", lock)
            return run_due(ctx, stop)
        finally:
            lock.release()
            log.info("leader lock released")
    idle = False
    while not stop.is_set():
        if lock.try_acquire():
            log.info("leader: holding the %s; running the jobs", lock)
            idle = False
            try:
                _lead(ctx, lock, stop, poll)
            finally:
                lock.release()
                log.info("leader lock released")
        else:
            if not idle:
                log.info("idle: another scheduler holds the %s; retrying every %g s", lock, poll)
                idle = True
            stop.wait(poll)
    return None


# -- logs a person reads ----------------------------------------------------------------------------


class LocalTimeFormatter(logging.Formatter):
    """Log times in the configured zone, ISO 8601 with the offset: 2026-06-15T08:30:00.123+08:00."""

    def __init__(self, fmt: str, tz):
        super().__init__(fmt)
        self.tz = tz

    def formatTime(self, record, datefmt=None):  # noqa: N802 - logging's name
        return datetime.fromtimestamp(record.created, self.tz).isoformat(timespec="milliseconds")


def configure_logging(ctx, level: str = "INFO") -> None:
    """The daemon's log on stderr: local time with its offset, level, where, what."""
    formatter = LocalTimeFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s", ctx.clock.tz)
    for made in logging.getLogger().handlers:  # set up already (UNIONFLOW_LOG_LEVEL): the same times
        if type(made) is logging.StreamHandler:
            made.setFormatter(formatter)
    handler = logging.StreamHandler()
    handler.setFormatter(formatter)
    logging.basicConfig(level=level.upper(), handlers=[handler])  # a no-op where logging is set up already
    for chatty in ("alembic", "apscheduler"):  # our own jobs log what ran and what it did
        logging.getLogger(chatty).setLevel(logging.WARNING)
