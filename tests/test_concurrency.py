"""Two cadres acting on one case at once, in two real processes: one wins, the other gets a conflict."""

import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path

from tests.conftest import USCCS, add_enterprise

UNIONFLOW = str(Path(sys.executable).parent / "unionflow")
U1 = USCCS[0]


def _start(db_url: str, user: str, note: str, lines: queue.Queue) -> subprocess.Popen:
    env = {**os.environ, "UNIONFLOW_DATABASE_URL": db_url, "UNIONFLOW_USER": user, "UNIONFLOW_LOG_LEVEL": "debug",
           "UNIONFLOW_LANG": "en"}
    proc = subprocess.Popen([UNIONFLOW, "case", "contact", U1, "--note", note], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    proc.captured = []

    def pump():
        for line in proc.stderr:
            proc.captured.append(line)
            if "read at version" in line:
                lines.put(user)

    proc.pump = threading.Thread(target=pump, daemon=True)
    proc.pump.start()
    return proc


def _finish(proc: subprocess.Popen) -> tuple[int, str]:
    code = proc.wait(timeout=60)
    out = proc.stdout.read()
    proc.pump.join(timeout=10)
    proc.stdout.close()
    proc.stderr.close()
    return code, out


def _hold_write_lock(db_url: str, case_id: int):
    """Block writers (not readers) of the case until released."""
    if db_url.startswith("sqlite"):
        import sqlite3

        conn = sqlite3.connect(db_url.split("///", 1)[1], isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
    else:
        import psycopg

        conn = psycopg.connect(db_url.replace("postgresql+psycopg://", "postgresql://"))
        conn.execute("SELECT id FROM founding_case WHERE id = %s FOR UPDATE", (case_id,))
    return conn


def test_concurrent_edit_one_wins_other_conflicts(cli, org, db_url):
    case_id = add_enterprise(org, U1, "并发公司", cadre="C01", status_since="2026-06-01")
    lock = _hold_write_lock(db_url, case_id)
    ready: queue.Queue = queue.Queue()
    try:
        procs = [_start(db_url, "C01", "王经理来电", ready), _start(db_url, "S01", "张伟走访", ready)]
        # Both have read the case at version 1 and now wait for the write lock.
        for _ in procs:
            ready.get(timeout=60)
        time.sleep(0.3)
    finally:
        lock.rollback()
        lock.close()
    results = [_finish(p) for p in procs]
    codes = sorted(code for code, _ in results)
    assert codes == [0, 1], results
    loser = procs[[code for code, _ in results].index(1)]
    stderr = "".join(loser.captured)
    assert f"Error: the case changed while you were editing it (case {case_id}, {U1}): nothing was written" in stderr
    history = cli.json("case", "history", U1)
    assert len(history) == 1 and history[0]["to_status"] == "contacted"
    assert cli.json("case", "show", U1)["version"] == 2

