"""The outbox against a real SMTP server (aiosmtpd): Chinese headers, injection, retries, exactly-once."""

from __future__ import annotations

import hashlib
import io
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy

import pytest
from sqlalchemy import select

from notifications.message import build_message, message_id
from notifications.outbox import T, claim, enqueue, send_batch
from notifications.transports import ConsoleTransport, FileTransport, SmtpTransport, transport_from_config
from tests.conftest import SignalSender, SmtpServer, free_port
from workflow.clock import SHANGHAI
from workflow.db import make_engine

T0 = datetime(2026, 6, 15, 0, 30, tzinfo=UTC)
SENDER = "建会办公室 <jianhui@example.org>"


class FakeTime:
    """A controllable `now` for send_batch."""

    def __init__(self, start=T0):
        self.now = start

    def __call__(self):
        return self.now

    def advance(self, **kw):
        self.now += timedelta(**kw)


@pytest.fixture
def engine(db_url):
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


def queue(engine, key="k1", *, to=("张伟", "zhang.wei@example.org"), subject="提醒：上海松江某某科技有限公司 即将到期",
          now=T0, **kw):
    with engine.begin() as conn:
        return enqueue(conn, key=key, kind="remind", to=[to], subject=subject, text_body=kw.pop("text_body", "正文：请尽快对接。"),
                       now=now, **kw)


def rows(engine):
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(T).order_by(T.c.id))]


def mid(row) -> str:
    """The Message-ID of a stored row."""
    return message_id(row["key"], row["created_at"], row["id"])


def smtp(server, **kw):
    return SmtpTransport(SENDER, host=server.host, port=server.port, timeout=5, **kw)


def test_chinese_subject_and_display_names_arrive_exactly(engine, smtp_server):
    subject = "提醒：上海松江「某某」科技有限公司 已对接 24/30 个工作日 — 请推进"
    queue(engine, subject=subject, cc=[("李娜", "li.na@example.org")])
    result = send_batch(engine, smtp(smtp_server), None, FakeTime(), 8, 60)
    assert result["sent"] == 1
    (mail_from, rcpts, raw), = smtp_server.received
    assert mail_from == "jianhui@example.org"
    assert rcpts == ["zhang.wei@example.org", "li.na@example.org"]
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert head.isascii() and b"=?utf-8?" in head  # RFC 2047 on the wire
    msg = message_from_bytes(raw, policy=policy.default)
    assert msg["Subject"] == subject
    assert [(a.display_name, a.addr_spec) for a in msg["To"].addresses] == [("张伟", "zhang.wei@example.org")]
    assert msg["Cc"].addresses[0].display_name == "李娜"
    assert msg["From"].addresses[0].display_name == "建会办公室"
    assert msg["Message-ID"] == mid(rows(engine)[0])
    assert msg.get_body(("plain",)).get_content() == "正文：请尽快对接。\n"
    assert rows(engine)[0]["status"] == "sent"


def test_crlf_in_a_name_or_subject_adds_no_header(engine, smtp_server):
    queue(engine, to=("王芳\r\nBcc: x@example.org", "c01@example.org"), subject="公司\r\nBcc: y@example.org\nX-Evil: 1")
    send_batch(engine, smtp(smtp_server), None, FakeTime(), 8, 60)
    (_f, rcpts, raw), = smtp_server.received
    assert rcpts == ["c01@example.org"]
    msg = message_from_bytes(raw, policy=policy.default)
    assert "Bcc" not in msg and "X-Evil" not in msg
    assert b"\r\nBcc:" not in raw and b"\r\nX-Evil" not in raw
    assert [a.addr_spec for a in msg["To"].addresses] == ["c01@example.org"]
    assert msg["To"].addresses[0].display_name == "王芳 Bcc: x@example.org"
    assert msg["Subject"] == "公司 Bcc: y@example.org X-Evil: 1"


def test_an_address_with_a_line_break_is_refused_at_enqueue(engine):
    from notifications.message import InvalidAddress

    with pytest.raises(InvalidAddress, match="not a plain email address"):
        queue(engine, to=("王芳", "c01@example.org\r\nBcc: x@example.org"))
    assert rows(engine) == []


def test_enqueue_is_idempotent_and_part_of_the_callers_transaction(engine):
    assert queue(engine, "same") is True
    assert queue(engine, "same", subject="另一封") is False
    with pytest.raises(RuntimeError), engine.begin() as conn:
        enqueue(conn, key="rolled-back", kind="remind", to="a@example.org", subject="s", text_body="t", now=T0)
        raise RuntimeError("the state change failed")
    assert [r["key"] for r in rows(engine)] == ["same"]
    assert rows(engine)[0]["subject"] == "提醒：上海松江某某科技有限公司 即将到期"


def test_refused_then_accepted_is_retried_with_backoff_and_delivered_once(engine, smtp_server):
    smtp_server.handler.refuse = ["451 4.3.0 greylisted, try later", "550 5.7.1 mailbox busy"]
    clock = FakeTime()
    queue(engine)
    r1 = send_batch(engine, smtp(smtp_server), None, clock, 8, 60)
    assert (r1["sent"], r1["retried"]) == (0, 1)
    row = rows(engine)[0]
    assert (row["status"], row["attempts"], row["next_attempt_at"]) == ("queued", 1, T0 + timedelta(seconds=60))
    assert row["last_error"] == "451 4.3.0 greylisted, try later"
    clock.advance(seconds=59)
    assert send_batch(engine, smtp(smtp_server), None, clock, 8, 60)["sent"] == 0  # not due yet
    assert rows(engine)[0]["attempts"] == 1
    clock.advance(seconds=1)
    send_batch(engine, smtp(smtp_server), None, clock, 8, 60)
    row = rows(engine)[0]
    assert (row["status"], row["attempts"]) == ("queued", 2)
    assert row["next_attempt_at"] == clock.now + timedelta(seconds=120)  # doubled
    assert row["last_error"] == "550 5.7.1 mailbox busy"
    clock.advance(seconds=120)
    assert send_batch(engine, smtp(smtp_server), None, clock, 8, 60)["sent"] == 1
    clock.advance(days=3)
    assert send_batch(engine, smtp(smtp_server), None, clock, 8, 60)["sent"] == 0
    assert len(smtp_server.received) == 1
    row = rows(engine)[0]
    assert (row["status"], row["attempts"], row["sent_at"]) == ("sent", 3, clock.now - timedelta(days=3))


def test_a_server_that_is_down_then_up_loses_nothing(engine, smtp_server):
    smtp_server.stop()
    clock = FakeTime()
    for i in range(3):
        queue(engine, f"k{i}")
    result = send_batch(engine, smtp(smtp_server), None, clock, 8, 30)
    assert (result["sent"], result["retried"], result["failed"], result["deferred"]) == (0, 0, 0, 3)
    assert "Connection refused" in result["unreachable"] and result["queued"] == 3
    assert all(r["status"] == "queued" and r["attempts"] == 0 and "Connection refused" in r["last_error"]
               for r in rows(engine))
    smtp_server.start()
    clock.advance(seconds=30)
    assert send_batch(engine, smtp(smtp_server), None, clock, 8, 30)["sent"] == 3
    assert sorted(m["Message-ID"] for m in smtp_server.messages()) == sorted(mid(r) for r in rows(engine))
    assert [(r["status"], r["attempts"], r["last_error"]) for r in rows(engine)] == [("sent", 1, None)] * 3


def test_a_long_outage_uses_up_no_attempt_and_the_wait_is_capped(engine, smtp_server):
    from notifications.outbox import OUTAGE_MAX_BACKOFF

    smtp_server.stop()
    clock = FakeTime()
    for i in range(3):
        queue(engine, f"k{i}")
    waits = []
    for _ in range(40):  # 3 attempts allowed; a day of tries against a server that is not there
        due = min(r["next_attempt_at"] for r in rows(engine))
        clock.now = max(clock.now, due)
        result = send_batch(engine, smtp(smtp_server), None, clock, 3, 1)
        assert (result["deferred"], result["failed"], result["queued"]) == (3, 0, 3)
        waits.append(rows(engine)[0]["next_attempt_at"] - clock.now)
    assert clock.now - T0 > timedelta(hours=2)
    assert waits[:4] == [timedelta(seconds=1), timedelta(seconds=1), timedelta(seconds=2), timedelta(seconds=4)]
    assert max(waits) == waits[-1] == OUTAGE_MAX_BACKOFF  # doubles, then stays at the cap
    assert {(r["status"], r["attempts"]) for r in rows(engine)} == {("queued", 0)}
    smtp_server.start()
    clock.advance(minutes=15)
    assert send_batch(engine, smtp(smtp_server), None, clock, 3, 1)["sent"] == 3
    clock.advance(days=1)
    assert send_batch(engine, smtp(smtp_server), None, clock, 3, 1)["sent"] == 0
    assert len(smtp_server.received) == 3  # each once


def test_a_421_reply_is_the_server_not_the_message(engine, smtp_server):
    smtp_server.handler.refuse = ["421 4.3.2 service shutting down"]
    queue(engine)
    result = send_batch(engine, smtp(smtp_server), None, FakeTime(), 1, 60)
    assert (result["failed"], result["deferred"]) == (0, 1) and "421 4.3.2" in result["unreachable"]
    assert [(r["status"], r["attempts"]) for r in rows(engine)] == [("queued", 0)]


def test_failed_messages_are_put_back_in_the_queue_and_sent_once(engine, smtp_server):
    from notifications.outbox import requeue

    smtp_server.handler.refuse = ["550 5.1.1 no such user"]
    clock = FakeTime()
    queue(engine, "bad")
    queue(engine, "good")
    send_batch(engine, smtp(smtp_server), None, clock, 1, 10)
    assert [(r["key"], r["status"]) for r in rows(engine)] == [("bad", "failed"), ("good", "sent")]
    bad = rows(engine)[0]["id"]
    with engine.begin() as conn:
        assert requeue(conn, None, clock.now) == [bad]  # the sent one stays sent
    assert [(r["status"], r["attempts"]) for r in rows(engine)] == [("queued", 0), ("sent", 1)]
    assert send_batch(engine, smtp(smtp_server), None, clock, 1, 10)["sent"] == 1
    assert sorted(m["Message-ID"] for m in smtp_server.messages()) == sorted(mid(r) for r in rows(engine))


def test_after_max_attempts_the_message_is_failed_with_the_last_error(engine, smtp_server):
    smtp_server.handler.refuse = ["550 5.1.1 no such user"] * 10
    clock = FakeTime()
    queue(engine)
    for _ in range(3):
        send_batch(engine, smtp(smtp_server), None, clock, 3, 10)
        clock.advance(hours=1)
    row = rows(engine)[0]
    assert (row["status"], row["attempts"]) == ("failed", 3)
    assert row["last_error"] == "550 5.1.1 no such user"
    assert send_batch(engine, smtp(smtp_server), None, clock, 3, 10) == {
        "sent": 0, "retried": 0, "failed": 0, "deferred": 0, "errors": [], "unreachable": None, "stopped": False,
        "released": 0, "taken_over": 0, "queued": 0, "next_attempt_at": None}
    assert smtp_server.received == []


def test_one_connection_per_batch_and_reconnect_after_a_disconnect(engine, smtp_server):
    for i in range(5):
        queue(engine, f"k{i}")
    transport = smtp(smtp_server)
    assert send_batch(engine, transport, None, FakeTime(), 8, 60)["sent"] == 5
    assert transport.connections == 1
    row = rows(engine)[0]
    with smtp(smtp_server) as transport:
        transport.send(build_message(row, SENDER), ["zhang.wei@example.org"])
        smtp_server.stop()  # the server drops the connection between two messages
        smtp_server.start()
        transport.send(build_message(row, SENDER), ["zhang.wei@example.org"])
        assert transport.connections == 2
    assert len(smtp_server.received) == 7


def test_a_claim_is_left_alone_for_its_lease_then_taken_over_and_logged(engine, caplog):
    queue(engine)
    assert [r["key"] for r in claim(engine, 10, "host-a:4242:abc123", T0)] == ["k1"]
    assert claim(engine, 10, "host-b:77:def456", T0 + timedelta(seconds=119)) == []  # a live sender's: skipped
    again = claim(engine, 10, "host-b:77:def456", T0 + timedelta(seconds=121))
    assert [(r["key"], r["claimed_by"], r["attempts"], r["taken_from"]) for r in again] == [
        ("k1", "host-b:77:def456", 2, {"claimed_by": "host-a:4242:abc123", "claimed_at": T0})]
    assert caplog.messages == [
        "outbox: took over 1 message(s) claimed by host-a:4242:abc123 (last heard of at 2026-06-15T00:30:00+00:00, "
        "more than 120 s ago: it has stopped); the one it was sending may go out twice, with the same Message-ID"]


def test_a_slow_sender_renews_its_claim_so_no_other_takes_it_over(engine, smtp_server):
    for i in range(4):
        queue(engine, f"k{i}")
    clock = FakeTime()
    seen = []

    class Slow(SmtpTransport):
        """Each message takes a minute; meanwhile another sender looks for work."""

        def send(self, msg, recipients):
            clock.advance(minutes=1)
            seen.append(claim(engine, 10, "other:1:x", clock.now))
            return super().send(msg, recipients)

    transport = Slow(SENDER, host=smtp_server.host, port=smtp_server.port, timeout=5)
    assert send_batch(engine, transport, None, clock, 8, 60, worker_id="slow:2:y")["sent"] == 4
    assert seen == [[]] * 4  # four minutes in all, yet the claim was never older than the lease
    assert len(smtp_server.received) == 4


def test_message_id_is_stable_for_a_row_and_unique_to_it():
    key = "digest:c01@example.org:2026-06-15"
    stamp = format(round(T0.timestamp() * 1_000_000), "x")
    expected = f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}.{stamp}.7@unionflow>"
    row = {"id": 7, "key": key, "kind": "digest", "to_addrs": [{"name": "", "email": "c01@example.org"}],
           "subject": "s", "text_body": "t", "created_at": T0}
    assert build_message(row, SENDER)["Message-ID"] == build_message(dict(row), SENDER)["Message-ID"] == expected
    # The same key queued in another database (another instant, another row) is another message.
    other = {**row, "id": 1, "created_at": T0 + timedelta(microseconds=1)}
    assert len({build_message(r, SENDER)["Message-ID"] for r in (row, other, {**row, "id": 8})}) == 3
    assert message_id(key + ":2", T0, 7) != expected


def test_two_databases_queueing_the_same_key_give_two_message_ids(tmp_path, sqlite_template):
    import shutil

    ids = []
    for name in ("a", "b"):
        shutil.copy(sqlite_template, tmp_path / f"{name}.db")
        eng = make_engine(f"sqlite:///{tmp_path / name}.db")
        try:
            queue(eng, "packet:1", now=datetime.now(UTC))
            ids.append(mid(rows(eng)[0]))
        finally:
            eng.dispose()
    assert ids[0] != ids[1]


def test_a_text_attachment_says_its_charset(engine, smtp_server):
    html = "<p>联席会议材料</p>".encode()
    queue(engine, attachments=[("会议.html", html, "text/html"), ("plain.txt", b"ascii only", "text/plain"),
                               ("raw.bin", b"\xff\xfe", "application/octet-stream")])
    send_batch(engine, smtp(smtp_server), None, FakeTime(), 8, 60)
    (msg,) = smtp_server.messages()
    parts = {a.get_filename(): a for a in msg.iter_attachments()}
    assert parts["会议.html"].get_content_type() == "text/html" and parts["会议.html"].get_param("charset") == "utf-8"
    assert parts["会议.html"].get_content() == "<p>联席会议材料</p>"  # decoded as text, no mojibake
    assert parts["plain.txt"].get_param("charset") == "utf-8"
    assert parts["raw.bin"].get_param("charset") is None


def test_file_transport_writes_eml_files_that_parse_back(engine, tmp_path):
    queue(engine, "k1", html_body="<p>正文</p>", attachments=[("会议材料.docx", b"PK\x03\x04docx bytes")])
    queue(engine, "k2")
    out = tmp_path / "mail"
    transport = transport_from_config({"transport": "file", "from": SENDER, "dir": str(out)})
    assert isinstance(transport, FileTransport)
    assert send_batch(engine, transport, None, FakeTime(), 8, 60)["sent"] == 2
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(f"{mid(r).strip('<>').split('@')[0]}.eml" for r in rows(engine))
    msg = message_from_bytes((out / f"{mid(rows(engine)[0]).strip('<>').split('@')[0]}.eml").read_bytes(),
                             policy=policy.default)
    assert msg["Subject"] == "提醒：上海松江某某科技有限公司 即将到期"
    assert msg.get_body(("html",)).get_content() == "<p>正文</p>\n"
    (att,) = list(msg.iter_attachments())
    assert (att.get_filename(), att.get_content()) == ("会议材料.docx", b"PK\x03\x04docx bytes")


def test_console_transport_prints_the_message(engine):
    stream = io.StringIO()
    queue(engine)
    assert send_batch(engine, ConsoleTransport(SENDER, stream), None, FakeTime(), 8, 60)["sent"] == 1
    text = stream.getvalue()
    assert "Subject: 提醒：上海松江某某科技有限公司 即将到期" in text
    assert "To: 张伟 <zhang.wei@example.org>" in text and "正文：请尽快对接。" in text


def test_smtp_settings_are_checked(monkeypatch):
    from notifications.transports import TransportConfigError

    with pytest.raises(TransportConfigError, match="security must be one of none, starttls, tls"):
        transport_from_config({"transport": "smtp", "smtp": {"security": "ssl"}})
    monkeypatch.delenv("MY_SMTP_PW", raising=False)
    with pytest.raises(TransportConfigError, match="environment variable MY_SMTP_PW is not"):
        transport_from_config({"transport": "smtp", "smtp": {"username": "u", "password_env": "MY_SMTP_PW"}})
    monkeypatch.setenv("MY_SMTP_PW", "s3cret")
    t = transport_from_config({"transport": "smtp", "smtp": {"username": "u", "password_env": "MY_SMTP_PW"}})
    assert (t.username, t.password) == ("u", "s3cret")
    with pytest.raises(TransportConfigError, match="transport must be smtp, file or console, not 'pigeon'"):
        transport_from_config({"transport": "pigeon"})


def _queue_many(engine, n):
    from notifications.outbox import enqueue_many, message_values

    with engine.begin() as conn:
        return enqueue_many(conn, [
            message_values(key=f"bulk:{i}", kind="remind", to=[(f"干部{i}", f"c{i}@example.org")], subject=f"提醒 {i}",
                           text_body=f"第 {i} 封", now=T0)
            for i in range(n)])


def test_two_concurrent_send_processes_deliver_each_message_exactly_once(engine, db_url, smtp_server, tmp_path):
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    n = 400
    assert _queue_many(engine, n) == n
    assert _queue_many(engine, n) == 0  # same keys: nothing new
    exe = Path(sys.executable).with_name("unionflow")
    env = {**os.environ, "UNIONFLOW_DATABASE_URL": db_url, "UNIONFLOW_CONFIG": str(smtp_server.config(tmp_path))}
    procs = [subprocess.Popen([str(exe), "outbox", "send", "--json"], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    sent = [json.loads(out)["sent"] for out, _err in outputs]
    assert sum(sent) == n, sent
    ids = [m["Message-ID"] for m in smtp_server.messages()]
    assert len(ids) == n and set(ids) == {mid(r) for r in rows(engine)}
    assert {r["status"] for r in rows(engine)} == {"sent"}


def test_two_senders_in_threads_never_send_one_key_twice(engine, db_url, smtp_server):
    import threading

    n = 300
    _queue_many(engine, n)
    barrier, both_claimed = threading.Barrier(2), threading.Barrier(2)
    results = []

    class WaitForTheOther(SmtpTransport):
        """Sends nothing until both workers hold a claim, so the two really run at once."""

        def send(self, msg, recipients):
            if not getattr(self, "waited", False):
                self.waited = True
                both_claimed.wait(30)
            return super().send(msg, recipients)

    def worker(name):
        eng = make_engine(db_url)
        try:
            barrier.wait()
            transport = WaitForTheOther(SENDER, host=smtp_server.host, port=smtp_server.port, timeout=5)
            results.append(send_batch(eng, transport, None, FakeTime(), 8, 60, worker_id=name, chunk=10))
        finally:
            eng.dispose()

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert sorted(r["sent"] > 0 for r in results) == [True, True]  # both took part
    assert sum(r["sent"] for r in results) == n
    ids = [m["Message-ID"] for m in smtp_server.messages()]
    assert len(ids) == len(set(ids)) == n


def test_a_claim_takes_at_most_the_limit_oldest_first(engine):
    for i in range(5):
        queue(engine, f"k{i}", now=T0 + timedelta(seconds=5 - i))
    assert [r["key"] for r in claim(engine, 2, "w", T0 + timedelta(minutes=1))] == ["k4", "k3"]
    assert [r["key"] for r in claim(engine, 10, "w", T0 + timedelta(minutes=1))] == ["k2", "k1", "k0"]


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1 (made with the openssl command)."""
    import shutil
    import subprocess

    if not shutil.which("openssl"):
        pytest.skip("the openssl command is not installed")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    return cert, key


def _tls_server(certificate, **kw):
    import ssl

    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    from tests.conftest import SmtpSink, free_port

    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(*map(str, certificate))

    def authenticator(server, session, envelope, mechanism, auth_data):
        return AuthResult(success=(auth_data.login, auth_data.password) == (b"jianhui", b"s3cret"), handled=False)

    sink, port = SmtpSink(), free_port()
    if kw.pop("implicit", False):
        kw["ssl_context"] = server_ctx
    else:
        kw.update(tls_context=server_ctx, require_starttls=True, auth_required=True, auth_exclude_mechanism=["LOGIN"])
    controller = Controller(sink, hostname="127.0.0.1", port=port, authenticator=authenticator, **kw)
    controller.start()
    return controller, sink, port


def _client_ctx(certificate):
    import ssl

    return ssl.create_default_context(cafile=str(certificate[0]))


def _row(key="tls"):
    return {"key": key, "kind": "remind", "to_addrs": [{"name": "张伟", "email": "zhang.wei@example.org"}],
            "subject": "提醒", "text_body": "正文", "created_at": T0}


def test_starttls_with_login_delivers_and_a_wrong_password_is_reported(certificate):
    from notifications.transports import TransportUnavailable

    controller, sink, port = _tls_server(certificate)
    try:
        with SmtpTransport(SENDER, port=port, security="starttls", username="jianhui", password="s3cret",
                           ssl_context=_client_ctx(certificate), timeout=5) as t:
            assert t.send(build_message(_row(), SENDER), ["zhang.wei@example.org"]) == {}
        assert len(sink.received) == 1
        with pytest.raises(TransportUnavailable, match=r"^SMTP 127\.0\.0\.1:\d+: 535 5\.7\.8 Authentication credentials invalid$"), \
                SmtpTransport(SENDER, port=port, security="starttls", username="jianhui", password="wrong",
                              ssl_context=_client_ctx(certificate), timeout=5) as t:
            t.send(build_message(_row(), SENDER), ["zhang.wei@example.org"])
        with pytest.raises(TransportUnavailable, match="530 Must issue a STARTTLS command first"), \
                SmtpTransport(SENDER, port=port, security="none", timeout=5) as t:
            t.send(build_message(_row(), SENDER), ["zhang.wei@example.org"])
        assert len(sink.received) == 1
    finally:
        controller.stop()


def test_implicit_tls_delivers(certificate):
    controller, sink, port = _tls_server(certificate, implicit=True)
    try:
        with SmtpTransport(SENDER, port=port, security="tls", ssl_context=_client_ctx(certificate), timeout=5) as t:
            t.send(build_message(_row(), SENDER), ["zhang.wei@example.org"])
        (msg,) = [message_from_bytes(raw, policy=policy.default) for *_x, raw in sink.received]
        assert msg["Subject"] == "提醒" and msg["Message-ID"] == message_id("tls", T0)
    finally:
        controller.stop()


@pytest.fixture
def signalling_server():
    """A real SMTP server whose handler signals the sender (`.handler = SignalSender(...)` before use)."""
    server = SmtpServer(free_port())
    yield server
    server.stop()


def send_in_a_process(db_url, server, tmp_path, handler):
    """`unionflow outbox send` in its own process, through `server` started with `handler` (told its pid)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    server.handler = handler
    server.start()
    env = {**os.environ, "UNIONFLOW_DATABASE_URL": db_url, "UNIONFLOW_CONFIG": str(server.config(tmp_path)),
           "UNIONFLOW_LANG": "en"}
    proc = subprocess.Popen([str(Path(sys.executable).with_name("unionflow")), "outbox", "send"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    handler.pid = proc.pid
    out, err = proc.communicate(timeout=120)
    return proc.returncode, out, err


def test_a_sender_killed_mid_batch_has_recorded_each_accepted_message(engine, db_url, tmp_path, signalling_server):
    import signal

    server = signalling_server
    _queue_many(engine, 10)
    returncode, _out, _err = send_in_a_process(db_url, server, tmp_path, SignalSender(5, signal.SIGKILL))
    assert returncode == -signal.SIGKILL
    accepted = {m["Message-ID"] for m in server.messages()}
    assert len(accepted) == 4
    by_status = {}
    for r in rows(engine):
        by_status.setdefault(r["status"], set()).add(mid(r))
    assert by_status["sent"] == accepted  # each accepted message was recorded before the next went out
    assert len(by_status["sending"]) == 6  # claimed by the dead sender, not sent
    # Once the dead sender's claim has lapsed, the others go out; none of the four goes again.
    later = FakeTime(datetime.now(UTC) + timedelta(hours=1))
    assert send_batch(engine, smtp(server), None, later, 8, 60)["sent"] == 6
    ids = [m["Message-ID"] for m in server.messages()]
    assert len(ids) == len(set(ids)) == 10


def test_sigterm_stops_outbox_send_between_two_messages(engine, db_url, tmp_path, signalling_server):
    import signal

    server = signalling_server
    _queue_many(engine, 10)
    returncode, out, err = send_in_a_process(db_url, server, tmp_path, SignalSender(3, signal.SIGTERM))
    assert returncode == 0, err
    assert out.startswith("Sent 3, 0 to retry later, 0 failed (transport: smtp).\n")
    assert "Stopped on request: 7 claimed message(s) went back to the queue for the next run.\n" in err
    # The message in flight when SIGTERM came was finished and recorded; the others wait, unclaimed.
    assert len(server.received) == 3
    assert {mid(r) for r in rows(engine) if r["status"] == "sent"} == {m["Message-ID"] for m in server.messages()}
    assert sorted((r["status"], r["attempts"], r["claimed_by"]) for r in rows(engine) if r["status"] != "sent") \
        == [("queued", 0, None)] * 7


def test_outbox_send_by_hand_skips_a_live_senders_claim_and_takes_over_a_lapsed_one(engine, cli, caplog):
    from sqlalchemy import update

    for i in range(3):
        queue(engine, f"k{i}")
    claimed_at = datetime.now(UTC).replace(microsecond=0)
    claim(engine, 1, "daemon-host:4242:ab12cd", claimed_at)  # the daemon is sending k0
    (k0,) = [m for m in cli.json("outbox", "list") if m["key"] == "k0"]
    assert (k0["status"], k0["claimed_by"]) == ("sending", "daemon-host:4242:ab12cd")
    assert k0["claimed_at"] == claimed_at.astimezone(SHANGHAI).isoformat()  # ISO 8601, local, with its offset
    assert k0["created_at"] == "2026-06-15T08:30:00+08:00"
    table = cli("outbox", "list", env={"COLUMNS": "200"}).stdout.splitlines()
    assert table[0].split() == ["id", "status", "kind", "to", "subject", "sent_at", "claim", "error"]
    assert "daemon-host:4242:ab12cd " + claimed_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") in table[-1]
    first = cli.json("outbox", "send")
    assert (first["sent"], first["taken_over"]) == (2, 0)  # k0 is the live daemon's
    assert [r["status"] for r in rows(engine)] == ["sending", "sent", "sent"]
    with engine.begin() as conn:  # the daemon was killed: it stops renewing its claim
        conn.execute(update(T).where(T.c.key == "k0").values(claimed_at=claimed_at - timedelta(minutes=3)))
    second = cli.json("outbox", "send")
    assert (second["sent"], second["taken_over"]) == (1, 1)
    assert any(m.startswith("outbox: took over 1 message(s) claimed by daemon-host:4242:ab12cd (last heard of at ")
               for m in caplog.messages)
    assert [r["status"] for r in rows(engine)] == ["sent"] * 3
