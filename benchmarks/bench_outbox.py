"""Outbox delivery next to a plain smtplib loop, both to a local aiosmtpd server.

`bench_outbox(engine_url, n)` queues n messages (a digest-sized Chinese text and HTML body each), then
times `send_batch` — claim in chunks, build each message, send over one reused SMTP connection, mark
sent — against a plain loop that sends the same messages, already serialised, over one smtplib
connection. Returns {n, seconds, baseline_seconds, ratio, messages_per_second,
baseline_messages_per_second}; ratio = seconds / baseline_seconds (goal ≤ 2, i.e. at least half the
plain loop's throughput). The SMTP server runs in its own process so it does not share our GIL.
"""

from __future__ import annotations

import smtplib
import socket
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime

from sqlalchemy import func, inspect, select

BODY = "\n".join(f"{i}. 松江某某科技有限公司{i}  91310117MA1J0000{i % 10}X  已对接 · 工作日 31/30 (+1)"
                 for i in range(1, 8))
HTML = "<table>" + "".join(f"<tr><td>松江某某科技有限公司{i}</td><td>31 / 30</td></tr>" for i in range(1, 8)) + "</table>"
SENDER = "建会办公室 <jianhui@example.org>"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_server(port: int) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}", "-c", "aiosmtpd.handlers.Sink"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return proc
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError("the aiosmtpd server did not start (is aiosmtpd installed?)") from None
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("the aiosmtpd server did not start within 20 s")


def _queue(engine, n: int, run: str, now) -> None:
    from notifications.outbox import enqueue_many, message_values

    for start in range(0, n, 1000):
        with engine.begin() as conn:
            enqueue_many(conn, [
                message_values(key=f"bench:{run}:{i}", kind="digest", to=[(f"干部{i}", f"cadre{i}@example.org")],
                               subject=f"2026-06-15 建会工作汇总：7 家企业需要跟进 #{i}", text_body=BODY,
                               html_body=HTML, now=now)
                for i in range(start, min(start + 1000, n))])


def bench_outbox(engine_url: str, n: int = 10_000) -> dict:
    from notifications.message import build_message, envelope, to_bytes
    from notifications.outbox import T, send_batch
    from notifications.transports import SmtpTransport
    from workflow.db import make_engine, upgrade

    engine = make_engine(engine_url)
    port = _free_port()
    server = _start_server(port)
    try:
        if not inspect(engine).has_table("outbox"):
            upgrade(engine_url)
        run, now = uuid.uuid4().hex[:8], datetime.now(UTC)
        _queue(engine, n, run, now)

        transport = SmtpTransport(SENDER, host="127.0.0.1", port=port, timeout=30)
        t0 = time.perf_counter()
        result = send_batch(engine, transport, n, lambda: datetime.now(UTC), 8, 60)
        seconds = time.perf_counter() - t0
        mine = T.c.key.like(f"bench:{run}:%")
        with engine.connect() as conn:
            sent = conn.execute(select(func.count()).where(mine, T.c.status == "sent")).scalar()
            rows = [dict(r._mapping) for r in conn.execute(select(T).where(mine).order_by(T.c.id))]
        if result["sent"] != n or sent != n:
            raise RuntimeError(f"outbox sent {result['sent']} ({sent} marked) of {n}: {result['errors'][:3]}")

        prepared = [(envelope(r), to_bytes(build_message(r, SENDER))) for r in rows]  # not timed
        del rows
        t0 = time.perf_counter()
        with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
            for rcpts, raw in prepared:
                smtp.sendmail("jianhui@example.org", rcpts, raw)
        baseline = time.perf_counter() - t0
        with engine.begin() as conn:
            conn.execute(T.delete().where(mine))
    finally:
        server.terminate()
        server.wait(10)
        engine.dispose()
    return {
        "name": "outbox send", "n": n, "seconds": seconds, "baseline_seconds": baseline,
        "ratio": round(seconds / baseline, 2) if baseline else None,
        "messages_per_second": round(n / seconds, 1), "baseline_messages_per_second": round(n / baseline, 1),
        "connections": transport.connections,
    }


if __name__ == "__main__":  # python -m benchmarks.bench_outbox [URL] [N]
    import json
    import tempfile

    url = sys.argv[1] if len(sys.argv) > 1 and sys.argv[1] else f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    print(json.dumps(bench_outbox(url, int(sys.argv[2]) if len(sys.argv) > 2 else 10_000), indent=2))
