"""The scheduler daemon: what is due runs once, one leader per database, a second daemon takes over."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.conftest import USCCS, add_enterprise
from tests.test_sweep import count, sql

UNIONFLOW = str(Path(sys.executable).parent / "unionflow")
U1 = USCCS[0]


@pytest.fixture
def config_file(tmp_path) -> Path:
    """The sweep is due from midnight, so tests do not depend on the time of day."""
    path = tmp_path / "unionflow.toml"
    path.write_text('[scheduler]\nsweep_at = "00:00"\n', encoding="utf-8")
    return path


@pytest.fixture
def stalled(org) -> int:
    return add_enterprise(org, U1, "久拖公司", status="contacted", status_since="2026-03-02", cadre="C01")


def test_once_runs_the_sweep_once(cli, stalled, org, config_file, caplog):
    caplog.set_level(logging.INFO, logger="workflow")
    env = {"UNIONFLOW_CONFIG": str(config_file)}
    cli("scheduler", "run", "--once", env=env)
    assert count(org, "escalation") == 3
    assert sql(org, "SELECT runs FROM sweep_run") == [(1,)]
    cli("scheduler", "run", "--once", env=env)
    assert count(org, "escalation") == 3 and sql(org, "SELECT runs FROM sweep_run") == [(1,)]
    assert "sweep: nothing to do (the sweep of 2026-06-15 has already run)" in caplog.messages


def test_once_on_a_day_off_does_not_sweep(cli, stalled, org, config_file, caplog):
    caplog.set_level(logging.INFO, logger="workflow")
    cli("scheduler", "run", "--once", today="2026-06-20", env={"UNIONFLOW_CONFIG": str(config_file)})  # Saturday
    assert count(org, "escalation") == 0
    assert "sweep: nothing to do (2026-06-20 is not a working day)" in caplog.messages


def test_the_daily_sweep_waits_for_its_time(stalled, org, make_ctx):
    from workflow.scheduler import run_daily_sweep, sweep_due

    ctx = make_ctx()  # sweep_at 08:30 Asia/Shanghai
    assert sweep_due(ctx, datetime(2026, 6, 15, 0, 29, tzinfo=UTC)) == (False, "not yet 08:30")
    assert run_daily_sweep(ctx, datetime(2026, 6, 15, 0, 29, tzinfo=UTC)) is None
    assert count(org, "escalation") == 0
    result = run_daily_sweep(ctx, datetime(2026, 6, 15, 0, 30, tzinfo=UTC))
    assert result["counts"] == {"remind": 1, "overdue": 1, "meeting": 1, "next_action": 0}
    assert result["escalations"] == []  # the scheduler only logs counts
    assert sweep_due(ctx, datetime(2026, 6, 15, 9, 0, tzinfo=UTC)) == (False, "the sweep of 2026-06-15 has already run")


def test_a_manual_escalate_counts_as_the_days_sweep(cli, stalled, org, make_ctx):
    from workflow.scheduler import sweep_due

    cli("escalate", user="A01")
    assert sweep_due(make_ctx(), datetime(2026, 6, 15, 9, 0, tzinfo=UTC))[0] is False


def test_once_refused_while_another_scheduler_leads(cli, stalled, make_ctx, config_file):
    from workflow.scheduler import leader_lock

    ctx = make_ctx()
    lock = leader_lock(ctx)
    assert lock.try_acquire()
    try:
        r = cli("scheduler", "run", "--once", env={"UNIONFLOW_CONFIG": str(config_file)}, expect=1)
        assert r.stderr.startswith(f"Error: another scheduler holds the leader lock ({lock}) and runs the jobs")
    finally:
        lock.release()
    cli("scheduler", "run", "--once", env={"UNIONFLOW_CONFIG": str(config_file)})


# -- two real daemons -----------------------------------------------------------------------------


class Daemon:
    def __init__(self, db_url: str, config: Path, log: Path):
        env = {**os.environ, "UNIONFLOW_CONFIG": str(config), "UNIONFLOW_SCHEDULER_POLL": "0.3",
               "UNIONFLOW_LANG": "en"}
        self.log = log
        self._out = log.open("w")
        self.proc = subprocess.Popen([UNIONFLOW, "--db", db_url, "scheduler", "run"], env=env,
                                     stdout=subprocess.DEVNULL, stderr=self._out)

    def text(self) -> str:
        return self.log.read_text(encoding="utf-8")

    def wait_for(self, needle: str, timeout: float = 90) -> float:
        start = time.monotonic()
        while time.monotonic() - start < timeout:
            if needle in self.text():
                return time.monotonic() - start
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        raise AssertionError(f"{needle!r} not logged within {timeout} s; log:\n{self.text()}")

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=60)
        finally:
            self._out.close()


@pytest.mark.slow
def test_two_daemons_one_leads_and_the_other_takes_over(stalled, org, config_file, tmp_path):
    first = Daemon(org, config_file, tmp_path / "first.log")
    second = None
    try:
        first.wait_for("leader: holding the")
        first.wait_for("sweep as of 2026-06-15: 3 new escalation(s)")
        second = Daemon(org, config_file, tmp_path / "second.log")
        second.wait_for("idle: another scheduler holds the")
        time.sleep(1.0)
        assert "leader:" not in second.text()
        assert first.stop() == 0
        assert "leader lock released" in first.text() and "scheduler stopped" in first.text()
        took = second.wait_for("leader: holding the", timeout=10)
        assert took < 5
        second.wait_for("sweep: nothing to do (the sweep of 2026-06-15 has already run)")
        assert second.stop() == 0
        assert "leader lock released" in second.text()
    finally:
        for d in (first, second):
            if d is not None and d.proc.poll() is None:
                d.proc.kill()
                d.proc.wait()
    assert count(org, "escalation") == 3
    assert sql(org, "SELECT runs FROM sweep_run") == [(1,)]


def test_after_downtime_the_sweep_runs_once_for_today_not_per_missed_day(cli, stalled, org, config_file):
    cli("escalate", "--as-of", "2026-06-08", user="A01")  # the last sweep before a week of downtime
    cli("scheduler", "run", "--once", env={"UNIONFLOW_CONFIG": str(config_file)})
    assert sql(org, "SELECT CAST(as_of AS VARCHAR(10)), runs FROM sweep_run ORDER BY as_of") == [
        ("2026-06-08", 1), ("2026-06-15", 1)]
    assert sql(org, "SELECT CAST(as_of AS VARCHAR(10)), count(*) FROM escalation GROUP BY as_of ORDER BY as_of") == [
        ("2026-06-08", 3)]  # everything had fired by 8 June; the catch-up finds nothing new and misses nothing


def test_once_exits_1_when_a_job_failed_or_the_mail_server_is_out_of_reach(cli, stalled, org, tmp_path, caplog):
    from tests.conftest import free_port
    from workflow.mailing import user_templates_dir

    config = tmp_path / "down.toml"
    config.write_text(f'[scheduler]\nsweep_at = "00:00"\n[mail]\ntransport = "smtp"\n[mail.smtp]\nport = {free_port()}\n',
                      encoding="utf-8")
    folder = user_templates_dir()
    folder.mkdir(parents=True)
    (folder / "digest.txt.j2").write_text("{{ as_of }\n", encoding="utf-8")
    r = cli("scheduler", "run", "--once", env={"UNIONFLOW_CONFIG": str(config)}, expect=1)
    assert r.stderr.endswith("Error: not everything that was due was done: sweep (see the log above)\n")
    assert any(m.startswith(f"sweep failed: {folder / 'digest.txt.j2'} line 1: unexpected '}}'") for m in caplog.messages)
    assert not [rec for rec in caplog.records if rec.exc_info]  # said, not a traceback
    assert count(org, "escalation") == 0
    (folder / "digest.txt.j2").unlink()
    from notifications.compose import environment

    environment.cache_clear()
    r = cli("scheduler", "run", "--once", env={"UNIONFLOW_CONFIG": str(config)}, expect=1)
    assert r.stderr.endswith("Error: not everything that was due was done: outbox (see the log above)\n")
    assert any(m.startswith("outbox: the mail transport cannot be reached (SMTP 127.0.0.1:") and
               m.endswith("3 message(s) stay queued") for m in caplog.messages)
    assert count(org, "escalation") == 3 and count(org, "outbox", "status = 'queued' AND attempts = 0") == 3


def test_sigterm_during_a_flush_stops_between_two_messages_and_releases_the_lock(db_url, tmp_path):
    from datetime import UTC, datetime

    from notifications.outbox import enqueue_many, message_values
    from tests.conftest import SignalSender, SmtpServer, free_port
    from tests.test_outbox import mid, rows
    from workflow.db import make_engine

    engine = make_engine(db_url)
    server = SmtpServer(free_port())
    server.handler = SignalSender(3, signal.SIGTERM)
    server.start()
    daemon = None
    try:
        with engine.begin() as conn:
            enqueue_many(conn, [message_values(key=f"k{i}", kind="remind", to=[f"c{i}@example.org"], subject=f"提醒 {i}",
                                               text_body="正文", now=datetime.now(UTC)) for i in range(10)])
        daemon = Daemon(db_url, server.config(tmp_path), tmp_path / "daemon.log")
        server.handler.pid = daemon.proc.pid
        assert daemon.proc.wait(timeout=120) == 0, daemon.text()
        log = daemon.text()
        assert "SIGTERM received: stopping after the current step" in log
        assert ("outbox: stopped on request after 3 sent; 7 claimed message(s) put back in the queue for the next run"
                in log)
        assert "leader lock released" in log and "scheduler stopped" in log
        assert len(server.received) == 3
        assert {mid(r) for r in rows(engine) if r["status"] == "sent"} == {m["Message-ID"] for m in server.messages()}
        assert sorted((r["status"], r["claimed_by"]) for r in rows(engine) if r["status"] != "sent") == [
            ("queued", None)] * 7
    finally:
        if daemon is not None:
            daemon.stop()
        server.stop()
        engine.dispose()


def test_the_log_says_what_each_job_did_how_long_it_took_and_when_with_the_offset(stalled, org, config_file):
    import re

    env = {**os.environ, "UNIONFLOW_CONFIG": str(config_file), "UNIONFLOW_LANG": "en"}
    r = subprocess.run([UNIONFLOW, "--db", org, "scheduler", "run", "--once"], env=env, capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    lines = r.stderr.splitlines()
    stamp = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+08:00"
    assert lines and all(re.match(stamp + " (INFO|WARNING) ", line) for line in lines), r.stderr
    said = [line.split(": ", 1)[1] for line in lines]
    sweep = [m for m in said if m.startswith("sweep as of 2026-06-15:")]
    assert len(sweep) == 1 and re.fullmatch(
        r"sweep as of 2026-06-15: 3 new escalation\(s\) \(remind 1, overdue 1, meeting 1, next_action 0\), "
        r"3 email\(s\) queued, 0 put on an agenda \(\d+\.\d\d s\)", sweep[0]), sweep
    outbox = [m for m in said if m.startswith("outbox via file:")]
    assert len(outbox) == 1 and re.fullmatch(r"outbox via file: 3 sent, 0 to retry, 0 failed; 0 queued \(\d+\.\d\d s\)",
                                             outbox[0]), outbox
    assert not any("{" in m for m in said)  # no Python dicts in a person's log


@pytest.mark.postgres
def test_a_dba_sees_the_scheduler_by_name_in_pg_stat_activity(pg_url, tmp_path):
    from sqlalchemy import text

    from tests.conftest import Cli
    from workflow.db import make_engine

    Cli(pg_url)("init", "--admin", "A01", "--name", "管理员", "--email", "a01@example.org")
    config = tmp_path / "unionflow.toml"
    config.write_text('[scheduler]\nsweep_at = "00:00"\n', encoding="utf-8")
    daemon = Daemon(pg_url, config, tmp_path / "daemon.log")
    engine = make_engine(pg_url)
    try:
        daemon.wait_for("scheduled outbox flush")
        with engine.connect() as conn:
            names = set(conn.execute(text(
                "SELECT application_name FROM pg_stat_activity WHERE datname = current_database() AND pid <> "
                "pg_backend_pid()")).scalars())
        assert {"unionflow scheduler run", "unionflow scheduler run (leader lock)"} <= names, names
    finally:
        assert daemon.stop() == 0
        engine.dispose()
