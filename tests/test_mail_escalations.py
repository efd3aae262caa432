"""Escalation emails: who gets what, daily digests, per-event mode, escaping, packets, the outbox CLI."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from email import message_from_bytes, policy

import pytest
from sqlalchemy import insert, select, text

from notifications.message import message_id
from notifications.outbox import T as OUTBOX
from tests.conftest import USCCS, add_enterprise
from workflow.db import make_engine, transaction
from workflow.mailing import queue_escalation_messages, queue_packet, run_outbox

AS_OF = date(2026, 6, 15)


def escalate(db_url, case_id, level, working_days, *, status="prospect", allowed=20, as_of=AS_OF, episode=1) -> int:
    """Test set-up: an escalation row as the sweep would record it."""
    engine = make_engine(db_url)
    try:
        with engine.begin() as conn:
            return conn.execute(text(
                "INSERT INTO escalation (case_id, episode, level, status, working_days, allowed, as_of, created_at) "
                "VALUES (:c, :e, :l, :s, :w, :a, :d, :t) RETURNING id"),
                {"c": case_id, "e": episode, "l": level, "s": status, "w": working_days, "a": allowed, "d": as_of,
                 "t": datetime.now(UTC).replace(tzinfo=None) if db_url.startswith("sqlite") else datetime.now(UTC)},
            ).scalar_one()
    finally:
        engine.dispose()


def queue(ctx, as_of=AS_OF) -> int:
    with transaction(ctx.ready_engine) as conn:
        return queue_escalation_messages(conn, ctx, as_of)


def outbox(ctx) -> list[dict]:
    with ctx.ready_engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(OUTBOX).order_by(OUTBOX.c.key))]


def smtp_ctx(ctx, server):
    ctx.config.values.update({("mail", "transport"): "smtp", ("mail.smtp", "host"): server.host,
                              ("mail.smtp", "port"): server.port})
    return ctx


@pytest.fixture
def three_cases(org, db_url):
    """Three stalled cases of cadre C01 (remind, overdue, remind) and one of C02 on the meeting level."""
    a = add_enterprise(db_url, USCCS[0], "松江甲科技有限公司", cadre="C01", status="prospect")
    b = add_enterprise(db_url, USCCS[1], "松江乙制造有限公司", cadre="C01", status="contacted")
    c = add_enterprise(db_url, USCCS[2], "松江丙物流有限公司", cadre="C01", status="prospect")
    d = add_enterprise(db_url, USCCS[3], "松江丁食品有限公司", cadre="C02", status="preparatory")
    return {
        "a": escalate(db_url, a, "remind", 16),
        "b": escalate(db_url, b, "overdue", 33, status="contacted", allowed=30),
        "c": escalate(db_url, c, "remind", 17),
        "d": escalate(db_url, d, "meeting", 95, status="preparatory", allowed=60),
        "cases": (a, b, c, d),
    }


def test_digest_groups_three_cases_for_one_cadre_into_one_message(three_cases, make_ctx, smtp_server):
    ctx = smtp_ctx(make_ctx(), smtp_server)
    assert queue(ctx) == 4  # C01; C02 and SEC1 for C02's case on the meeting level; S01 for both cases of theirs
    assert [m["key"] for m in outbox(ctx)] == ["digest:c01@example.org:2026-06-15", "digest:c02@example.org:2026-06-15",
                                               "digest:s01@example.org:2026-06-15", "digest:sec1@example.org:2026-06-15"]
    assert run_outbox(ctx)["sent"] == 4
    by_rcpt = {rcpts[0]: message_from_bytes(raw, policy=policy.default) for _f, rcpts, raw in smtp_server.received}
    mine = by_rcpt["c01@example.org"]
    assert mine["Subject"] == "Daily digest 2026-06-15: 3 cases need attention"
    row = next(m for m in outbox(ctx) if m["key"] == "digest:c01@example.org:2026-06-15")
    assert mine["Message-ID"] == message_id(row["key"], row["created_at"], row["id"])
    body = mine.get_body(("plain",)).get_content()
    # Grouped (overdue before reminders) and sorted by working days over the allowance.
    order = [body.index(u) for u in (USCCS[1], USCCS[2], USCCS[0])]
    assert order == sorted(order) and body.index("== Overdue (1) ==") < body.index("== Reminders (2) ==")
    assert f"unionflow case prepare {USCCS[1]} --mode standalone|joint" in body
    assert f"unionflow case contact {USCCS[0]} --person NAME" in body
    assert "working days 33/30 (+3)" in body and "working days 16/20 ·" in body
    assert "松江乙制造有限公司" in mine.get_body(("html",)).get_content()
    sup = by_rcpt["s01@example.org"].get_body(("plain",)).get_content()
    assert USCCS[1] in sup and USCCS[0] not in sup and "cadre: 王芳" in sup
    assert "== For the joint meeting (1) ==" in sup and USCCS[3] in sup and "cadre: 李娜" in sup
    sec = by_rcpt["sec1@example.org"].get_body(("plain",)).get_content()
    assert "== For the joint meeting (1) ==" in sec and USCCS[3] in sec
    c02 = by_rcpt["c02@example.org"].get_body(("plain",)).get_content()  # the cadre hears their case goes there
    assert "== For the joint meeting (1) ==" in c02 and USCCS[3] in c02


def test_a_second_sweep_the_same_day_sends_nothing_then_a_supplement_for_new_items(three_cases, make_ctx, db_url):
    ctx = make_ctx()
    assert queue(ctx) == 4
    assert queue(ctx) == 0
    new_case = add_enterprise(db_url, USCCS[4], "松江戊电子有限公司", cadre="C01")
    escalate(db_url, new_case, "remind", 18)
    assert queue(ctx) == 1
    assert queue(ctx) == 0
    extra = next(m for m in outbox(ctx) if m["key"] == "digest:c01@example.org:2026-06-15:2")
    assert extra["subject"] == "More for 2026-06-15: 1 case"
    assert USCCS[4] in extra["text_body"] and USCCS[0] not in extra["text_body"]
    assert extra["topic"] == "digest:2026-06-15" and extra["refs"]["recipient"] == "c01@example.org"
    other_day = escalate(db_url, new_case, "overdue", 20, as_of=date(2026, 6, 16))
    assert queue(ctx, date(2026, 6, 16)) == 2  # a new day, a new digest (cadre + supervisor)
    assert other_day


@pytest.mark.parametrize("first", [True, False], ids=["digest-then-per-event", "per-event-then-digest"])
def test_changing_the_digest_setting_during_the_day_mails_no_escalation_twice(three_cases, make_ctx, db_url, caplog,
                                                                              first):
    caplog.set_level("INFO", logger="workflow")
    ctx = make_ctx()
    ctx.config.values[("mail", "digest")] = first
    queued = queue(ctx)
    assert queued == (4 if first else 5)
    ctx.config.values[("mail", "digest")] = not first  # changed before the day's second sweep
    assert queue(ctx) == 0
    assert (f"mail: the messages of 2026-06-15 went out {'as digests' if first else 'one per event'} earlier; this "
            "run does the same, and [mail] digest takes effect from the next day") in caplog.messages
    new_case = add_enterprise(db_url, USCCS[4], "松江戊电子有限公司", cadre="C01")
    late = escalate(db_url, new_case, "remind", 18)
    assert queue(ctx) == 1  # what is new that day is told once, in the day's way
    keys = {m["key"] for m in outbox(ctx)}
    assert ("digest:c01@example.org:2026-06-15:2" if first else f"esc:{late}:c01@example.org") in keys
    assert len(keys) == queued + 1
    assert queue(ctx, date(2026, 6, 16)) == 0 and not [m for m in caplog.messages if "2026-06-16" in m and "earlier" in m]


def test_digest_in_chinese(three_cases, make_ctx):
    ctx = make_ctx()
    ctx.config.values[("general", "lang")] = "zh"
    queue(ctx)
    digest = next(m for m in outbox(ctx) if m["key"] == "digest:c01@example.org:2026-06-15")
    assert digest["subject"] == "2026-06-15 建会工作汇总：3 家企业需要跟进"
    assert digest["text_body"].startswith("王芳，您好：")
    assert "\n== 逾期督办（1） ==\n1. 松江乙制造有限公司  " in digest["text_body"]
    assert "\n   状态：已对接 · 工作日 33/30（+3） · 干部：王芳\n" in digest["text_body"]
    assert "\n== 提醒（2） ==\n" in digest["text_body"] and "<h3>逾期督办（1）</h3>" in digest["html_body"]


def test_per_event_mode_sends_each_level_to_its_people(three_cases, make_ctx, db_url, cli):
    ctx = make_ctx()
    ctx.config.values[("mail", "digest")] = False
    xp_case = add_enterprise(db_url, USCCS[5], "新浜己有限公司", park="XP", cadre="C03", status="contacted")
    xp_esc = escalate(db_url, xp_case, "meeting", 46, status="contacted", allowed=30)
    assert queue(ctx) == 7
    got = {m["key"]: m for m in outbox(ctx)}
    e = three_cases
    assert sorted(got) == sorted([
        f"esc:{e['a']}:c01@example.org", f"esc:{e['b']}:c01@example.org", f"esc:{e['c']}:c01@example.org",
        f"esc:{e['d']}:c02@example.org", f"esc:{e['d']}:sec1@example.org",
        f"esc:{xp_esc}:c03@example.org", f"esc:{xp_esc}:sec1@example.org",  # XP has no secretary: all of them
    ])
    # The cadre hears that their case goes to the joint meeting, with the supervisor in copy; the secretary alone.
    assert got[f"esc:{e['d']}:c02@example.org"]["cc_addrs"] == [{"name": "张伟", "email": "s01@example.org"}]
    assert got[f"esc:{e['d']}:sec1@example.org"]["cc_addrs"] == []
    overdue = got[f"esc:{e['b']}:c01@example.org"]
    assert overdue["subject"] == "Overdue: 松江乙制造有限公司"
    assert overdue["to_addrs"] == [{"name": "王芳", "email": "c01@example.org"}]
    assert overdue["cc_addrs"] == [{"name": "张伟", "email": "s01@example.org"}]
    assert "A copy goes to your supervisor 张伟." in overdue["text_body"]
    assert got[f"esc:{e['d']}:sec1@example.org"]["subject"] == "For the joint meeting: 松江丁食品有限公司"
    assert queue(ctx) == 0
    # Once XP has its own secretary, XP's cases go to that secretary only.
    cli("cadre", "add", "SEC2", "--name", "孙丽", "--email", "sec2@example.org", "--role", "secretary", "--park", "XP",
        user="A01")
    later = escalate(db_url, xp_case, "overdue", 31, status="contacted", allowed=30)
    meet = escalate(db_url, add_enterprise(db_url, USCCS[6], "新浜庚有限公司", park="XP"), "meeting", 31)
    # The day's earlier XP meeting item now also reaches SEC2, who had not been told (key per recipient);
    # C03, told today that the case goes to the joint meeting, is not told it is overdue as well.
    assert queue(ctx) == 2
    keys = {m["key"] for m in outbox(ctx)}
    assert {f"esc:{meet}:sec2@example.org", f"esc:{xp_esc}:sec2@example.org"} <= keys
    assert f"esc:{meet}:sec1@example.org" not in keys and f"esc:{later}:c03@example.org" not in keys


def test_per_event_mode_tells_a_case_past_every_threshold_once_per_person_at_the_highest_level(org, db_url, cli,
                                                                                                 tmp_path):
    add_enterprise(db_url, USCCS[0], "甲公司", cadre="C01", status_since="2025-12-01")  # 125 of 20 days: all three
    config = tmp_path / "per-event.toml"
    config.write_text("[mail]\ndigest = false\n", encoding="utf-8")
    result = cli.json("escalate", user="A01", env={"UNIONFLOW_CONFIG": str(config)})
    assert sorted(e["level"] for e in result["escalations"]) == ["meeting", "overdue", "remind"]
    sent = sorted((m["kind"], m["to"], m["cc"]) for m in cli.json("outbox", "list"))
    # The cadre hears that the case goes to the joint meeting (the highest level), the supervisor in copy;
    # the secretary is told on their own, without the copy.
    assert sent == [("meeting", "c01@example.org", "s01@example.org"), ("meeting", "sec1@example.org", "")]
    assert result["emails_queued"] == 2


def test_escalations_of_a_case_that_moved_on_are_not_mailed(org, db_url, make_ctx):
    case = add_enterprise(db_url, USCCS[0], "甲公司", cadre="C01", status="contacted", episode=2)
    escalate(db_url, case, "remind", 16, episode=1)  # recorded in the stay before the status change
    assert queue(make_ctx()) == 0


def test_script_in_an_enterprise_name_arrives_escaped_in_html(org, db_url, make_ctx, smtp_server):
    name = "<script>alert(1)</script> & 公司"
    escalate(db_url, add_enterprise(db_url, USCCS[0], name, cadre="C01"), "remind", 16)
    ctx = smtp_ctx(make_ctx(), smtp_server)
    ctx.config.values[("mail", "digest")] = False
    queue(ctx)
    run_outbox(ctx)
    (msg,) = smtp_server.messages()
    html = msg.get_body(("html",)).get_content()
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; 公司" in html
    assert name in msg.get_body(("plain",)).get_content()
    assert msg["Subject"] == f"Reminder: {name} is nearing its deadline"


def test_agenda_packet_goes_to_secretary_and_participants_with_the_attachment(org, db_url, make_ctx, smtp_server):
    ctx = smtp_ctx(make_ctx(), smtp_server)
    with transaction(ctx.ready_engine) as conn:
        park = conn.execute(text("SELECT id FROM park WHERE code = 'SJ'")).scalar_one()
        meeting = conn.execute(insert(__import__("workflow.models").models.Meeting.__table__).values(
            park_id=park, title="2026年第二季度六方建会联席会议", starts_at=datetime(2026, 6, 18, 6, 30, tzinfo=UTC),
            place="管委会 301 会议室", status="planned", created_at=datetime.now(UTC))).inserted_primary_key[0]
        recipients = ["赵敏 <sec1@example.org>", ("周强", "zhou.qiang@example.org"), {"name": "", "email": "gh@example.org"}]
        assert queue_packet(conn, ctx, meeting, [("会议材料.docx", b"PK\x03\x04word", "application/vnd.openxmlformats-"
                                                  "officedocument.wordprocessingml.document")], recipients) is True
        assert queue_packet(conn, ctx, meeting, [], recipients) is False
    assert run_outbox(ctx)["sent"] == 1
    (_f, rcpts, raw), = smtp_server.received
    assert rcpts == ["sec1@example.org", "zhou.qiang@example.org", "gh@example.org"]
    msg = message_from_bytes(raw, policy=policy.default)
    assert msg["Subject"] == "Agenda packet: 2026年第二季度六方建会联席会议 (2026-06-18 14:30)"
    (att,) = list(msg.iter_attachments())
    assert (att.get_filename(), att.get_content()) == ("会议材料.docx", b"PK\x03\x04word")
    assert "管委会 301 会议室" in msg.get_body(("plain",)).get_content()


def test_a_packet_email_for_a_meeting_whose_title_names_its_day_does_not_repeat_the_date(org, db_url, make_ctx,
                                                                                            smtp_server):
    ctx = smtp_ctx(make_ctx(), smtp_server)
    ctx.config.values[("general", "lang")] = "zh"
    with transaction(ctx.ready_engine) as conn:
        park = conn.execute(text("SELECT id FROM park WHERE code = 'SJ'")).scalar_one()
        meeting = conn.execute(insert(__import__("workflow.models").models.Meeting.__table__).values(
            park_id=park, title="2026-06-18 联席会议", starts_at=datetime(2026, 6, 18, 6, 30, tzinfo=UTC),
            place="管委会 301 会议室", status="planned", created_at=datetime.now(UTC))).inserted_primary_key[0]
        assert queue_packet(conn, ctx, meeting, [("会议材料.docx", b"PK")], ["sec1@example.org"]) is True
    run_outbox(ctx)
    (msg,) = smtp_server.messages()
    assert msg["Subject"] == "会议材料：2026-06-18 联席会议（14:30）"
    assert "\n附件：\n- 会议材料.docx\n" in msg.get_body(("plain",)).get_content()
    assert "附件为“2026-06-18 联席会议”的会议材料。会议时间：2026-06-18 14:30，地点：管委会 301 会议室。" in \
        msg.get_body(("plain",)).get_content()


def test_outbox_cli_lists_and_sends(three_cases, make_ctx, cli, tmp_path):
    queue(make_ctx())
    listed = cli.json("outbox", "list")
    assert [(m["status"], m["to"]) for m in listed] == [
        ("queued", "sec1@example.org"), ("queued", "s01@example.org"), ("queued", "c02@example.org"),
        ("queued", "c01@example.org")]
    sent = cli.json("outbox", "send", "--limit", "2")
    assert (sent["sent"], sent["failed"], sent["transport"]) == (2, 0, "file")
    assert len(list((tmp_path / "home" / "outbox").glob("*.eml"))) == 2
    assert len(cli.json("outbox", "list", "--status", "queued")) == 2
    result = cli("outbox", "send")
    assert result.stdout == "Sent 2, 0 to retry later, 0 failed (transport: file).\n"
    assert len(cli.json("outbox", "list", "--status", "sent")) == 4
    assert "(none)" in cli("outbox", "list", "--status", "failed").stdout
    assert cli("outbox", "list", "--status", "sent", "--limit", "2").stdout.splitlines()[-1] == (
        "… 2 more; use --limit 0 for all")
    assert [m["id"] for m in cli.json("outbox", "list", "--limit", "1")] == [listed[0]["id"]]
    # Too wide for 80 columns: what every row shares (status, kind, minute sent) is said once above the table.
    lines = cli("outbox", "list", env={"COLUMNS": "80"}).stdout.splitlines()
    assert lines[0].startswith("status: sent; kind: digest; sent_at: ")
    assert lines[1].split() == ["id", "to", "subject", "error"]
    bad = cli("outbox", "list", "--status", "lost", expect=2)
    assert "Invalid value for '--status': 'lost' is not one of 'queued', 'sending', 'sent', 'failed'." in bad.output


def test_outbox_send_says_the_server_is_unreachable_and_keeps_the_messages(three_cases, make_ctx, cli, tmp_path,
                                                                            smtp_server):
    queue(make_ctx())
    smtp_server.stop()
    config = {"UNIONFLOW_CONFIG": str(smtp_server.config(tmp_path, max_attempts=1, backoff_seconds=1))}
    result = cli("outbox", "send", env=config, expect=1)
    assert result.stdout == "Sent 0, 0 to retry later, 0 failed (transport: smtp).\n"
    assert result.stderr == (
        f"Error: the mail server cannot be reached (SMTP 127.0.0.1:{smtp_server.port}: ConnectionRefusedError: [Errno "
        "111] Connection refused): 4 message(s) stay queued and go out when it is back; check the server or "
        "[mail.smtp] in the configuration\n")
    assert [(m["status"], m["attempts"]) for m in cli.json("outbox", "list")] == [("queued", 0)] * 4
    smtp_server.start()
    with make_ctx().ready_engine.begin() as conn:  # the wait is over (at most OUTAGE_MAX_BACKOFF)
        conn.execute(OUTBOX.update().values(next_attempt_at=datetime(2026, 1, 1, tzinfo=UTC)))
    assert cli.json("outbox", "send", env=config)["sent"] == 4
    assert [(m["status"], m["attempts"]) for m in cli.json("outbox", "list")] == [("sent", 1)] * 4
    assert len(smtp_server.received) == 4


def test_outbox_retry_puts_failed_messages_back_admins_only(three_cases, make_ctx, cli, tmp_path, smtp_server):
    queue(make_ctx())
    smtp_server.handler.refuse = ["550 5.1.1 no such user"] * 4
    config = {"UNIONFLOW_CONFIG": str(smtp_server.config(tmp_path, max_attempts=1))}
    assert cli.json("outbox", "send", env=config)["failed"] == 4
    ids = sorted(m["id"] for m in cli.json("outbox", "list", "--status", "failed"))
    refused = cli("outbox", "retry", "--all-failed", user="SEC1", expect=1)
    assert refused.stderr == ("Error: SEC1 (secretary) may not put failed messages back in the queue: that needs the "
                              "role admin\n")
    assert cli("outbox", "retry", user="A01", expect=2).stderr.endswith(
        "Error: give the ids of failed messages or --all-failed (not both)\n")
    assert cli("outbox", "retry", "99", user="A01", expect=1).stderr == (
        "Error: no message with id 99: see `unionflow outbox list`\n")
    assert cli("outbox", "retry", str(ids[0]), user="A01").stdout == "1 message(s) back in the queue.\n"
    assert cli("outbox", "retry", str(ids[0]), str(ids[1]), user="A01", expect=1).stderr == (
        f"Error: message {ids[0]} is queued, not failed: only failed messages go back in the queue (see `unionflow "
        "outbox list --status failed`)\n")
    assert cli.json("outbox", "retry", "--all-failed", user="A01") == {"requeued": 3, "ids": ids[1:]}
    assert cli.json("outbox", "send", env=config)["sent"] == 4
    assert len(smtp_server.received) == 4
    assert cli.json("outbox", "retry", "--all-failed", user="A01")["requeued"] == 0


def test_outbox_send_with_a_bad_transport_setting_is_a_clear_error(org, cli, tmp_path):
    cfg = tmp_path / "bad.toml"
    cfg.write_text('[mail]\ntransport = "pigeon"\n', encoding="utf-8")
    result = cli("outbox", "send", env={"UNIONFLOW_CONFIG": str(cfg)}, expect=1)
    assert result.output == f"Error: {cfg}: [mail] transport must be smtp, file or console, not 'pigeon'\n"


def test_every_email_string_has_a_chinese_translation():
    from babel.messages.extract import extract_from_dir

    from notifications.i18n import LEVEL_LABELS, STATUS_LABELS, translations
    from templates import __file__ as templates_init

    folder = __import__("pathlib").Path(templates_init).parent / "email"
    opts = {"**.j2": {"trimmed": "true", "extensions": "jinja2.ext.i18n"}}
    ids = [m for *_x, m, _c, _ctx in extract_from_dir(str(folder), method_map=[("**.j2", "jinja2")], options_map=opts)]
    ids += list(STATUS_LABELS.values()) + list(LEVEL_LABELS.values())
    zh = translations("zh")
    missing = [m for m in ids if (zh.ngettext(m[0], m[1], 1) == m[0] if isinstance(m, tuple) else zh.gettext(m) == m)]
    assert missing == []
    assert json.dumps(ids)  # all plain strings


def test_a_due_follow_up_and_several_levels_at_once_list_each_case_once(org, db_url, make_ctx):
    a = add_enterprise(db_url, USCCS[0], "甲公司", cadre="C01", status="contacted")
    b = add_enterprise(db_url, USCCS[1], "乙公司", cadre="C01", status="active")
    for level, days in (("remind", 25), ("overdue", 31)):
        escalate(db_url, a, level, days, status="contacted", allowed=30)
    engine = make_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO escalation (case_id, episode, level, status, working_days, allowed, as_of, "
                          "due_on, created_at) VALUES (:c, 1, 'next_action', 'active', 0, 0, :d, :d, :t)"),
                     {"c": b, "d": AS_OF, "t": datetime.now(UTC)})
    engine.dispose()
    ctx = make_ctx()
    assert queue(ctx) == 2  # C01, and S01 for the overdue
    body = next(m for m in outbox(ctx) if m["key"] == "digest:c01@example.org:2026-06-15")["text_body"]
    assert body.count(USCCS[0]) == 2  # the line and the command, under Overdue only
    assert "== Reminders" not in body and "== Overdue (1) ==" in body and "== Follow-ups due (1) ==" in body
    assert "follow-up due 2026-06-15" in body
    assert f"unionflow case log {USCCS[1]} --kind visit --note TEXT --next-action DATE" in body


def test_the_sweep_queues_the_digests_in_its_transaction(org, db_url, cli, make_ctx):
    for i in range(3):
        add_enterprise(db_url, USCCS[i], f"松江{i}号有限公司", cadre="C01", status_since="2026-03-02")
    result = cli.json("escalate", user="A01")
    assert result["emails_queued"] == 3  # C01, the supervisor S01, the secretary SEC1
    listed = cli.json("outbox", "list")
    assert sorted(m["to"] for m in listed) == ["c01@example.org", "s01@example.org", "sec1@example.org"]
    mine = next(m for m in listed if m["to"] == "c01@example.org")
    assert mine["subject"] == "Daily digest 2026-06-15: 3 cases need attention"
    assert cli.json("escalate", user="A01")["emails_queued"] == 0


def test_many_escalations_stream_into_the_outbox_in_one_transaction(org, db_url, make_ctx):
    """More rows than one fetch and one insert batch: streaming the items while inserting works on both backends."""
    n = 1200
    now = datetime.now(UTC)
    engine = make_engine(db_url)
    with engine.begin() as conn:
        park = conn.execute(text("SELECT id FROM park WHERE code = 'SJ'")).scalar_one()
        cadre = conn.execute(text("SELECT id FROM cadre WHERE code = 'C01'")).scalar_one()
        from workflow.models import Enterprise, Escalation, FoundingCase

        conn.execute(insert(Enterprise.__table__), [
            {"uscc": f"91310117MA{i:08d}", "name": f"批量企业{i}", "park_id": park, "created_at": now, "updated_at": now}
            for i in range(n)])
        ents = conn.execute(text("SELECT id FROM enterprise ORDER BY id")).scalars().all()
        conn.execute(insert(FoundingCase.__table__), [
            {"enterprise_id": e, "status": "prospect", "status_since": date(2026, 5, 4), "cadre_id": cadre,
             "created_at": now, "updated_at": now} for e in ents])
        cases = conn.execute(text("SELECT id FROM founding_case ORDER BY id")).scalars().all()
        conn.execute(insert(Escalation.__table__), [
            {"case_id": c, "episode": 1, "level": "remind", "status": "prospect", "working_days": 16 + i % 4,
             "allowed": 20, "as_of": AS_OF, "created_at": now} for i, c in enumerate(cases)])
    engine.dispose()
    ctx = make_ctx()
    ctx.config.values[("mail", "digest")] = False
    assert queue(ctx) == n
    with ctx.ready_engine.begin() as conn:  # the same day in digest mode, as if per-event had never run
        conn.execute(text("DELETE FROM outbox"))
    ctx.config.values[("mail", "digest")] = True
    assert queue(ctx) == 1
    digest = next(m for m in outbox(ctx) if m["key"] == "digest:c01@example.org:2026-06-15")
    assert digest["subject"] == f"Daily digest 2026-06-15: {n} cases need attention"
    # No case_event rows here, so the decisions' watermark (highest case_event id) is 0.
    assert digest["refs"] == {"recipient": "c01@example.org", "through": {"esc": n, "res": 0}, "cases": n}
    body = digest["text_body"]
    # The 50 most urgent (19 of 20 working days; 300 cases have that), the rest counted.
    assert body.count("working days 19/20") == 50 and "working days 18/20" not in body
    assert body.rstrip().endswith(f"… and {n - 50} more cases. To see them all: unionflow case list --stalled\n\n"
                                  "-- \nunionflow · union founding cases\n"
                                  "This message was sent automatically by the founding-case system.")


def test_a_user_template_overrides_the_packaged_one_and_runs_sandboxed(org, db_url, make_ctx, tmp_path):
    from jinja2.exceptions import SecurityError

    from workflow.mailing import user_templates_dir

    folder = user_templates_dir()
    assert folder == tmp_path / "home" / "templates" / "email"
    folder.mkdir(parents=True)
    (folder / "reminder.txt.j2").write_text(
        '{% extends "_base.txt.j2" %}{% block subject %}【园区】{{ item.enterprise }}{% endblock %}'
        '{% block greeting %}{% endblock %}{% block body %}{{ item.uscc }} / {{ recipient.name }}{% endblock %}',
        encoding="utf-8")
    escalate(db_url, add_enterprise(db_url, USCCS[0], "甲公司", cadre="C01"), "remind", 16)
    ctx = make_ctx()
    ctx.config.values[("mail", "digest")] = False
    queue(ctx)
    (msg,) = outbox(ctx)
    assert msg["subject"] == "【园区】甲公司"
    assert msg["text_body"].startswith(f"\n\n{USCCS[0]} / 王芳\n-- \nunionflow · union founding cases")
    assert "甲公司" in msg["html_body"]  # the HTML part still comes from the package
    (folder / "reminder.txt.j2").write_text("{{ item.__class__.__mro__[1].__subclasses__() }}", encoding="utf-8")
    from notifications.compose import TemplateProblem, environment, render

    environment.cache_clear()

    with pytest.raises(TemplateProblem, match=r"reminder.txt.j2 line 1: access to attribute '__class__' of 'dict' "
                                              r"object is unsafe — fix the template") as raised:
        render("reminder", {"item": {"enterprise": "x"}, "recipient": {"name": "y"}}, "en", folder)
    assert isinstance(raised.value.__cause__, SecurityError)
    environment.cache_clear()


@pytest.mark.parametrize(("source", "line", "error"), [
    ("{{ as_of }\n", 2, "unexpected '}'"),
    ("{% block body %}\n{{ nosuchvar }}\n{% endblock %}\n", 3, "'nosuchvar' is undefined"),
    ('{% block body %}\n\n{{ "".__class__ }}\n{% endblock %}\n', 4,
     "access to attribute '__class__' of 'str' object is unsafe"),
])
def test_a_broken_user_template_is_a_clear_error_and_nothing_is_written(org, db_url, cli, source, line, error):
    from notifications.compose import environment
    from workflow.mailing import user_templates_dir

    folder = user_templates_dir()
    folder.mkdir(parents=True)
    (folder / "digest.txt.j2").write_text('{% extends "_base.txt.j2" %}\n' + source, encoding="utf-8")
    add_enterprise(db_url, USCCS[0], "甲公司", cadre="C01", status_since="2026-03-02")
    try:
        r = cli("escalate", user="A01", expect=1)
    finally:
        environment.cache_clear()
    assert r.stderr == (f"Error: {folder / 'digest.txt.j2'} line {line}: {error} — fix the template, or remove it to "
                        "use the built-in one\n")
    assert cli.json("outbox", "list") == []
    assert cli.json("case", "list", "--stalled")[0]["level"] == "meeting"
    engine = make_engine(db_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM escalation")).scalar() == 0
    engine.dispose()


def test_a_broken_packet_email_template_fails_that_packet_without_a_traceback(org, db_url, cli, caplog):
    from notifications.compose import environment
    from workflow.mailing import user_templates_dir

    folder = user_templates_dir()
    folder.mkdir(parents=True)
    (folder / "packet.txt.j2").write_text('{% extends "_base.txt.j2" %}\n{{ as_of }\n', encoding="utf-8")
    cli("meeting", "party", "add", "union", "钱主席", "--email", "qian@example.org", user="SEC1")
    cli("meeting", "plan", "--on", "2026-06-17T09:00", "--place", "会议室", user="SEC1")
    try:
        r = cli("meeting", "send-packets", user="SEC1", expect=1)
    finally:
        environment.cache_clear()
    assert r.stdout == "As of 2026-06-15: 0 packet(s) queued, 1 failed.\n"
    assert r.stderr == (f"  meeting 1: {folder / 'packet.txt.j2'} line 2: unexpected '}}' — fix the template, or remove "
                        "it to use the built-in one\n")
    assert not [rec for rec in caplog.records if rec.exc_info]
    assert cli.json("meeting", "list")[0]["packet_sent_at"] is None and cli.json("outbox", "list") == []


def test_routes_of_every_source_select_the_same_columns_in_the_same_order(monkeypatch):
    """The digest's union of routes matches columns by position: a route in another order is refused."""
    from datetime import date

    from sqlalchemy import select

    import workflow.mailing as mailing

    mailing._routes(date(2026, 6, 15))  # the real sources agree
    swapped = mailing.ItemSource(
        lambda as_of: [select(*reversed(mailing._escalation_routes(as_of)[0].selected_columns))],
        lambda frm, routed: (frm, {}), lambda conn, as_of: 0)
    monkeypatch.setitem(mailing.ITEM_SOURCES, "bad", swapped)
    with pytest.raises(AssertionError, match="routes must select"):
        mailing._routes(date(2026, 6, 15))


def test_escalations_of_a_case_with_no_cadre_go_to_the_parks_supervisors_or_the_admins(org, db_url, cli):
    add_enterprise(db_url, USCCS[0], "无人负责甲公司", status="contacted", status_since="2026-04-20")  # SJ: S01
    add_enterprise(db_url, USCCS[1], "无人负责乙公司", park="XP", status="contacted", status_since="2026-04-20")
    cli("park", "add", "QP", "青浦园区", user="A01")  # no supervisor there: the admins hear of it
    add_enterprise(db_url, USCCS[2], "无人负责丙公司", park="QP", status="contacted", status_since="2026-04-20")
    result = cli("escalate", user="A01")
    assert ("Warning: 6 new escalation(s) concern cases with no cadre or a deactivated one: they were mailed to the "
            "park's supervisors (to the admins where a park has none); assign the cases with `unionflow assign CADRE "
            "USCC` (a deactivated cadre's all at once with `unionflow assign CADRE --from OLD`), or list them with "
            "`unionflow case list --stalled`\n") in result.stderr
    assert cli.json("escalate", "--dry-run", user="A01")["unassigned"] == 0  # nothing new the second time
    listed = {m["to"]: m for m in cli.json("outbox", "list")}
    assert sorted(listed) == ["a01@example.org", "s01@example.org", "s02@example.org"]
    body = next(m for m in outbox_rows(db_url) if m["to_addrs"][0]["email"] == "s01@example.org")["text_body"]
    assert "无人负责甲公司" in body and "cadre: nobody" in body
    assert f"unionflow assign CADRE {USCCS[0]}" in body


@pytest.mark.parametrize("digest", [True, False], ids=["digest", "per-event"])
def test_escalations_of_a_deactivated_cadres_case_go_to_the_parks_supervisors(org, db_url, cli, tmp_path, digest):
    """A cadre who left is still responsible on paper until the cases are handed over: their mail would go
    unread, so the park's supervisors get it (as for a case with no cadre), told who it was."""
    add_enterprise(db_url, USCCS[0], "离职甲公司", cadre="C01", status="contacted", status_since="2026-04-20")
    add_enterprise(db_url, USCCS[1], "在职乙公司", cadre="C02", status="contacted", status_since="2026-04-20")
    cli("cadre", "deactivate", "C01", user="A01")
    config = tmp_path / "mail.toml"
    config.write_text(f"[mail]\ndigest = {str(digest).lower()}\n", encoding="utf-8")
    result = cli("escalate", "--json", user="A01", env={"UNIONFLOW_CONFIG": str(config)})
    assert json.loads(result.stdout)["unassigned"] == 2  # C01's case reached remind and overdue at once
    assert "concern cases with no cadre or a deactivated one" in result.stderr
    rows = outbox_rows(db_url)
    assert not [m for m in rows if "c01@example.org" in json.dumps(m["to_addrs"] + m["cc_addrs"])]
    s01 = [m for m in rows if m["to_addrs"][0]["email"] == "s01@example.org"]
    bodies = "\n".join(m["text_body"] for m in s01)
    assert "离职甲公司" in bodies and "cadre: 王芳 (deactivated)" in bodies.replace("Responsible cadre", "cadre")
    assert f"unionflow assign CADRE {USCCS[0]}" in bodies
    # C02 is active: their own case goes to them, with S01 in copy at overdue, and says the next step.
    c02 = [m for m in rows if m["to_addrs"][0]["email"] == "c02@example.org"]
    assert len(c02) == 1 and "在职乙公司" in c02[0]["text_body"] and "离职甲公司" not in c02[0]["text_body"]
    assert f"unionflow case prepare {USCCS[1]}" in c02[0]["text_body"]
    if not digest:
        assert [a["email"] for a in c02[0]["cc_addrs"]] == ["s01@example.org"]


def test_a_deactivated_cadre_is_named_so_in_a_chinese_digest(org, db_url, cli):
    add_enterprise(db_url, USCCS[0], "离职甲公司", cadre="C01", status="contacted", status_since="2026-04-20")
    cli("cadre", "deactivate", "C01", user="A01")
    cli("escalate", user="A01", lang="zh")
    body = next(m for m in outbox_rows(db_url) if m["to_addrs"][0]["email"] == "s01@example.org")["text_body"]
    assert "王芳（已停用）" in body


def outbox_rows(db_url) -> list[dict]:
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(select(OUTBOX).order_by(OUTBOX.c.id))]
    finally:
        engine.dispose()


def test_with_no_meeting_planned_escalate_says_so_and_how_to_plan_one(org, db_url, cli):
    add_enterprise(db_url, USCCS[0], "甲公司", cadre="C01", status_since="2025-12-01")  # 125 of 20 days: all three
    result = cli("escalate", user="A01")
    assert ("Warning: no joint meeting is planned for park SJ: 1 case(s) on the meeting level wait for one; plan it "
            "with `unionflow meeting plan --park SJ --on DATETIME --place TEXT`, which puts them on its agenda\n"
            ) in result.stderr
    assert cli.json("escalate", "--dry-run", user="A01")["pending_by_park"] == {"SJ": 1}
    cli("meeting", "plan", "--on", "2026-06-18T14:30", "--place", "管委会 301 会议室", "--park", "SJ", user="SEC1")
    again = cli("escalate", user="A01")
    assert "no joint meeting is planned" not in again.stderr


def test_the_digest_tells_the_cadre_their_case_goes_to_the_joint_meeting(org, db_url, cli):
    add_enterprise(db_url, USCCS[0], "甲公司", cadre="C01", status_since="2025-12-01")
    cli("escalate", user="A01")
    digests = {m["to_addrs"][0]["email"]: m["text_body"] for m in outbox_rows(db_url)}
    assert sorted(digests) == ["c01@example.org", "s01@example.org", "sec1@example.org"]
    assert "== For the joint meeting (1) ==" in digests["c01@example.org"]
    assert "== Overdue" not in digests["c01@example.org"]
