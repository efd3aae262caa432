"""`meeting move`: a planned meeting to another day or place; its agenda stays; a packet already sent goes out again,
revised, at once."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from notifications.models import OutboxMessage
from tests.conftest import USCCS as U
from tests.meeting_fixtures import agenda, meeting_park, query
from tests.test_meetings import plan
from workflow.models import Meeting


@pytest.fixture
def park(org, cli):
    return meeting_park(org, cli)


def move(cli, meeting="1", on="2026-06-25T14:30", user="SEC1", today=None, **kw):
    args = ["meeting", "move", meeting, "--on", on]
    for k, v in kw.items():
        args += [f"--{k}", v]
    return cli.json(*args, user=user, today=today)


def outbox(db_url) -> list[tuple]:
    t = OutboxMessage.__table__
    return query(db_url, select(t.c.key, t.c.subject).order_by(t.c.id))


def test_move_keeps_the_agenda_and_gives_a_system_title_the_new_day(cli, park, org):
    plan(cli)  # 2026-06-18 14:30, two cases from their escalations
    cli("meeting", "add", "1", U[2], "--reason", "职工联名要求建会", user="SEC1")
    before = agenda(org, 1)
    moved = move(cli, on="2026-06-25T09:00")
    assert (moved["id"], moved["status"], moved["starts_at"], moved["place"], moved["agenda_items"]) == (
        1, "planned", "2026-06-25T09:00+08:00", "管委会三楼会议室", 3)
    assert (moved["previous_starts_at"], moved["previous_place"]) == ("2026-06-18T14:30+08:00", "管委会三楼会议室")
    assert moved["title"] == "Six-party joint meeting of 松江经开区, 2026-06-25"  # not the old day's
    assert (moved["warnings"], moved["revised_packet"], moved["packet_sent_at"]) == ([], None, None)
    assert agenda(org, 1) == before
    assert [(m["starts_at"], m["items"], m["participants"]) for m in cli.json("meeting", "list")] == [
        ("2026-06-25T09:00+08:00", 3, 2)]
    assert cli.json("meeting", "list", lang="zh")[0]["title"] == "松江经开区六方建会联席会议（2026年6月25日）"
    r = cli("meeting", "move", "1", "--on", "2026-06-26T15:00", "--place", " 管委会二楼会议室 ", user="SEC1")
    assert r.stdout == "Meeting 1 moved from 2026-06-25 09:00 to 2026-06-26 15:00 at 管委会二楼会议室.\n"
    assert r.stderr == ""
    # A title the secretary typed stays as typed; a day off is said, not refused.
    plan(cli, on="2026-07-16T14:30", title="第三季度联席会议")
    r = cli("meeting", "move", "2", "--on", "2026-07-18T09:00", user="SEC1", lang="zh")
    assert r.stdout == "会议 2 已从 2026-07-16 14:30 改到 2026-07-18 09:00，地点：管委会三楼会议室。\n"
    assert r.stderr.startswith("Warning: 2026-07-18 不是工作日")
    assert cli.json("meeting", "list")[1]["title"] == "第三季度联席会议"
    stored = query(org, select(Meeting.__table__.c.starts_at).where(Meeting.__table__.c.id == 2))[0][0]
    assert stored.isoformat() == "2026-07-18T01:00:00+00:00"


def test_move_refusals_write_nothing(cli, park, org):
    plan(cli)
    plan(cli, user="A01", park="XP")
    listed = cli.json("meeting", "list")
    cases = [
        (["1", "--on", "2026-06-12T09:00"], None,
         "--on 2026-06-12 09:00 is in the past (today is 2026-06-15): move the meeting to a day from today on"),
        (["1", "--on", "2026-06-25T09:00", "--place", "  "], None, "--place must say where the meeting is held"),
        (["1", "--on", "2062-06-18T09:00"], None,
         "--on 2062-06-18 09:00 is after 2035-12-31, the end of the working-day calendar: check the year"),
        (["9", "--on", "2026-06-25T09:00"], None, "no meeting '9': give a meeting id (see `unionflow meeting list`)"),
        (["1", "--on", "2026-06-25T09:00"], "C01",
         "C01 (cadre) may not move a meeting: that needs the role secretary, admin"),
        (["2", "--on", "2026-06-25T09:00"], "SEC1",
         "SEC1 (secretary) may not move a meeting of park XP: a secretary manages the meetings of their own park (SJ)"),
        (["1", "--on", "2026-06-18T14:30"], None, "meeting 1 is already on 2026-06-18 14:30 at 管委会三楼会议室: nothing to move"),
    ]
    for args, user, said in cases:
        r = cli("meeting", "move", *args, user=user or "SEC1", expect=1)
        assert r.stderr == f"Error: {said}\n", args
    r = cli("meeting", "move", "1", "--on", "2026-06-25", user="SEC1", expect=2)
    assert "'2026-06-25' is not a date-time" in r.stderr
    r = cli("meeting", "move", "1", "--on", "2026-06-25T09:00", expect=1)
    assert r.stderr == "Error: this command changes data: say who you are with --as CODE or UNIONFLOW_USER\n"
    assert cli.json("meeting", "list") == listed
    # A meeting with a decision was held: it is closed, not moved; a closed one is not moved either.
    cli("meeting", "resolve", "1", U[0], "--decision", "约谈", user="SEC1", today="2026-06-18")
    r = cli("meeting", "move", "1", "--on", "2026-06-25T09:00", user="SEC1", today="2026-06-18", expect=1)
    assert r.stderr == ("Error: meeting 1 has decisions recorded on 1 case(s): it was held and cannot be moved; close it "
                        "with `unionflow meeting close 1` (its undecided cases go to the next meeting)\n")
    cli("meeting", "close", "1", user="SEC1", today="2026-06-18")
    r = cli("meeting", "move", "1", "--on", "2026-06-25T09:00", user="SEC1", today="2026-06-18", expect=1)
    assert r.stderr == "Error: meeting 1 is closed: move a planned meeting (see `unionflow meeting list`)\n"
    assert [m["starts_at"] for m in cli.json("meeting", "list")] == ["2026-06-18T14:30+08:00", "2026-06-18T14:30+08:00"]


def test_a_meeting_moved_after_its_packet_went_out_sends_a_revised_packet_at_once(cli, park, org, make_ctx,
                                                                                   smtp_server, tmp_path):
    from workflow.meetings import run_due_packets

    plan(cli, on="2026-06-22T09:00")
    assert run_due_packets(make_ctx(today="2026-06-16"), system=True)["sent"] == [1]
    moved = move(cli, on="2026-07-16T14:30", place="管委会二楼会议室", today="2026-06-16")
    to = ["sec1@example.org", "sun@example.org", "zhou@example.org"]
    assert moved["revised_packet"] == {"queued": True, "key": "packet:1:2", "recipients": to}
    assert moved["packet_sent_at"] is not None
    assert outbox(org) == [
        ("packet:1", "Agenda packet: Six-party joint meeting of 松江经开区, 2026-06-22 (09:00)"),
        ("packet:1:2", "Meeting moved, revised agenda packet: Six-party joint meeting of 松江经开区, 2026-07-16 (14:30)"),
    ]
    # The packet job does not send it a third time when the new day comes near.
    again = run_due_packets(make_ctx(today="2026-07-13"), as_of=date(2026, 7, 13), system=True)
    assert (again["due"], again["sent"]) == ([], [])
    config = smtp_server.config(tmp_path)
    sent = cli.json("outbox", "send", user="A01", env={"UNIONFLOW_CONFIG": str(config)})
    assert sent["sent"] == 2
    first, revised = smtp_server.messages()
    assert [rcpt for _f, rcpt, _raw in smtp_server.received] == [to, to]
    body = revised.get_body(("plain",)).get_content()
    assert ("The meeting has been moved: it was to take place on 2026-06-22 09:00 at 管委会三楼会议室. This revised "
            "packet replaces the one sent before.") in body
    assert "The meeting takes place on 2026-07-16 14:30 at 管委会二楼会议室." in body
    assert [a.get_filename() for a in revised.iter_attachments()] == ["meeting-1-2026-07-16.html",
                                                                      "meeting-1-2026-07-16.docx"]
    html = next(a for a in revised.iter_attachments() if a.get_filename().endswith(".html")).get_content()
    assert "管委会二楼会议室" in html and "2026-07-16" in html
    # Moved again, in Chinese: the next key, a packet in Chinese.
    moved = cli.json("meeting", "move", "1", "--on", "2026-07-17T09:00", user="SEC1", today="2026-06-17", lang="zh")
    assert moved["revised_packet"]["key"] == "packet:1:3"
    assert outbox(org)[-1] == ("packet:1:3", "会议改期，会议材料（修订）：松江经开区六方建会联席会议（2026年7月17日）（09:00）")
    cli("outbox", "send", user="A01", env={"UNIONFLOW_CONFIG": str(config)})
    body = smtp_server.messages()[-1].get_body(("plain",)).get_content()
    assert "会议已改期：原定于 2026-07-16 14:30 在管委会二楼会议室召开。本修订版会议材料取代此前发送的版本。" in body


def test_a_meeting_moved_before_its_packet_went_out_gets_it_when_the_new_day_is_near(cli, park, org, make_ctx):
    from workflow.meetings import run_due_packets

    plan(cli, on="2026-06-22T09:00")
    assert move(cli, on="2026-07-16T14:30")["revised_packet"] is None
    assert run_due_packets(make_ctx(today="2026-06-16"), system=True)["due"] == []
    sent = run_due_packets(make_ctx(today="2026-07-13"), system=True)
    assert sent["sent"] == [1]
    assert [k for k, _s in outbox(org)] == ["packet:1"]


def test_a_revised_packet_that_cannot_be_made_leaves_the_meeting_where_it_was(cli, park, org, make_ctx):
    from notifications.compose import environment
    from workflow.mailing import user_templates_dir
    from workflow.meetings import run_due_packets

    plan(cli, on="2026-06-22T09:00")
    run_due_packets(make_ctx(today="2026-06-16"), system=True)
    folder = user_templates_dir()
    folder.mkdir(parents=True)
    (folder / "packet.txt.j2").write_text('{% extends "_base.txt.j2" %}\n{{ as_of }\n', encoding="utf-8")
    environment.cache_clear()  # the environment of the first packet knew no user folder
    try:
        r = cli("meeting", "move", "1", "--on", "2026-07-16T14:30", user="SEC1", today="2026-06-16", expect=1)
    finally:
        environment.cache_clear()
    assert r.stderr == ("Error: meeting 1 was not moved: its packet had been sent, and the revised one could not be "
                        f"made: {folder / 'packet.txt.j2'} line 2: unexpected '}}' — fix the template, or remove it to "
                        "use the built-in one\n")
    assert [m["starts_at"] for m in cli.json("meeting", "list")] == ["2026-06-22T09:00+08:00"]
    assert [k for k, _s in outbox(org)] == ["packet:1"]
