"""`meeting cancel`: a planned meeting called off; every case on its agenda reaches the park's next planned meeting,
at once or when one is planned; a meeting not held does not count in `times_on_agenda`."""

from __future__ import annotations

import pytest

from tests.conftest import USCCS as U
from tests.meeting_fixtures import _engine_do, agenda, escalation_links, meeting_park, query, set_status
from tests.test_meetings import plan


@pytest.fixture
def park(org, cli):
    return meeting_park(org, cli)


def pending(db_url) -> dict:
    from workflow.meetings import pending_by_park

    return _engine_do(db_url, pending_by_park)


WIDE = {"COLUMNS": "200"}  # a terminal wide enough for every column of `case history`


def history(cli, ref, **kw) -> list[tuple]:
    return [(h["kind"], h["event"], h["note"]) for h in cli.json("case", "history", ref, **kw)]


def test_cancel_moves_every_case_to_the_next_planned_meeting_at_once_keeping_its_count(cli, park, org):
    plan(cli)  # meeting 1, 2026-06-18: a and b from their escalations
    plan(cli, on="2026-07-16T14:30")  # meeting 2
    cli("meeting", "add", "1", U[2], "--reason", "职工联名要求建会", user="SEC1")
    cli("meeting", "add", "2", U[0], "--reason", "再议", user="SEC1")  # a is on both
    before = agenda(org, 1)
    out = cli.json("meeting", "cancel", "1", user="SEC1")
    assert (out["id"], out["status"], out["agenda_items"], out["moved_to"], out["moved"], out["added_to_next"],
            out["waiting"], out["dropped"]) == (1, "cancelled", 3, 2, 3, 2, 0, 0)
    assert out["closed_at"] is not None
    assert agenda(org, 1) == before  # the cancelled meeting keeps what it was to discuss
    assert [i[:3] for i in agenda(org, 2)] == [(park["a"], "manual", 1), (park["b"], "carried", 1),
                                               (park["c"], "carried", 1)]
    assert [(m["id"], m["status"]) for m in cli.json("meeting", "list", "--status", "cancelled")] == [(1, "cancelled")]
    assert [m["id"] for m in cli.json("meeting", "list", "--status", "planned")] == [2]
    assert "已取消" in cli("meeting", "list", "--status", "cancelled", lang="zh").stdout.splitlines()[2].split()
    # The escalations stay with the item they caused; the packet of meeting 2 still says why b is there.
    assert escalation_links(org)[park["esc_b"]] is not None
    assert "stalled: 50/20 working days in prospect" in cli("meeting", "agenda", "2", "--format", "md").stdout
    said = ("Six-party joint meeting of 松江经开区, 2026-06-18 was cancelled: the case goes to Six-party joint meeting "
            "of 松江经开区, 2026-07-16")
    for ref in (U[0], U[1], U[2]):
        assert history(cli, ref)[-1] == ("agenda", "cancelled", said)
    assert history(cli, U[1], lang="zh")[-1][2] == ("松江经开区六方建会联席会议（2026年6月18日）已取消：案件转入"
                                                    "松江经开区六方建会联席会议（2026年7月16日）")
    # The table says how each came onto an agenda and left it in Chinese too (JSON keeps the codes).
    table = [line.split()[:3] for line in cli("case", "history", U[1], lang="zh", env=WIDE).stdout.splitlines()[2:]]
    assert [row[1:] for row in table if row[1:2] == ["列入议程"]] == [["列入议程", "升级"], ["列入议程", "会议取消"]]
    table = [line.split()[:3] for line in cli("case", "history", U[2], lang="zh", env=WIDE).stdout.splitlines()[2:]]
    assert [row[1:] for row in table if row[1:2] == ["列入议程"]] == [["列入议程", "增补"], ["列入议程", "会议取消"]]
    # Meeting 2 held: b goes to meeting 3 as on its second agenda, not its third.
    cli("meeting", "close", "2", user="SEC1", today="2026-07-16")
    m3 = plan(cli, on="2026-08-20T14:30", today="2026-07-17")
    assert m3["pulled_in"] == {"carried": 3, "escalation": 0}
    assert [i[:3] for i in agenda(org, 3)] == [(park["a"], "carried", 2), (park["b"], "carried", 2),
                                               (park["c"], "carried", 2)]
    assert pending(org) == {"XP": 1}


def test_cancel_with_no_meeting_planned_leaves_the_cases_waiting_for_the_next_one(cli, park, org):
    plan(cli)
    cli("meeting", "add", "1", U[2], "--reason", "职工联名要求建会", user="SEC1")
    r = cli("meeting", "cancel", "1", user="SEC1")
    assert r.stdout == "Meeting 1 cancelled; 3 case(s) wait for the next meeting to be planned.\n"
    assert pending(org) == {"SJ": 3, "XP": 1}
    assert cli.json("escalate", "--dry-run", user="A01")["pending_by_park"]["SJ"] == 3
    assert history(cli, U[2])[-1] == ("agenda", "cancelled", "Six-party joint meeting of 松江经开区, 2026-06-18 was "
                                      "cancelled: the case waits for the next meeting to be planned")
    m2 = plan(cli, on="2026-07-16T14:30", today="2026-06-19")
    assert m2["pulled_in"] == {"carried": 3, "escalation": 0}
    assert [i[:3] for i in agenda(org, 2)] == [(park["a"], "carried", 1), (park["b"], "carried", 1),
                                               (park["c"], "carried", 1)]
    assert [i[0] for i in agenda(org, 2)] == [i[0] for i in agenda(org, 1)]
    assert pending(org) == {"XP": 1}
    # The packet gives the stall behind a case that came back from the cancelled meeting.
    assert "stalled: 45/30 working days in contacted" in cli("meeting", "agenda", "2", "--format", "md").stdout
    # Put by hand on meeting 3 later: a cancelled meeting does not count, meeting 2 does.
    cli("meeting", "close", "2", user="SEC1", today="2026-07-16")
    plan(cli, on="2026-08-20T14:30", today="2026-07-17")
    set_status(org, park["c"], "contacted", "2026-07-17")  # not relevant to a case put on by hand


def test_a_case_no_longer_relevant_is_not_carried_and_said_so(cli, park, org):
    plan(cli)
    set_status(org, park["b"], "contacted", "2026-06-16")  # b moved on: the stall it was escalated for is over
    out = cli.json("meeting", "cancel", "1", user="SEC1", today="2026-06-16")
    assert (out["waiting"], out["dropped"], out["moved_to"]) == (1, 1, None)
    assert history(cli, U[1])[-1][2] == ("Six-party joint meeting of 松江经开区, 2026-06-18 was cancelled: the case is "
                                         "not carried (closed, or no longer stalled)")
    assert pending(org) == {"SJ": 1, "XP": 1}
    assert [i[0] for i in agenda(org, plan(cli, on="2026-07-16T14:30", today="2026-06-16")["id"])] == [park["a"]]


def test_a_case_carried_from_a_closed_meeting_onto_a_cancelled_one_waits_once_and_keeps_its_count(cli, park, org):
    plan(cli)
    cli("meeting", "close", "1", user="SEC1", today="2026-06-18")  # nothing decided, nothing planned: a, b wait
    assert pending(org) == {"SJ": 2, "XP": 1}
    plan(cli, on="2026-07-16T14:30", today="2026-06-19")
    assert [i[:3] for i in agenda(org, 2)] == [(park["a"], "carried", 2), (park["b"], "carried", 2)]
    out = cli.json("meeting", "cancel", "2", user="SEC1", today="2026-06-19")
    assert (out["waiting"], out["moved_to"]) == (2, None)
    assert pending(org) == {"SJ": 2, "XP": 1}  # once each, not from both meetings
    m3 = plan(cli, on="2026-08-20T14:30", today="2026-06-19")
    assert m3["pulled_in"] == {"carried": 2, "escalation": 0}
    assert [i[:3] for i in agenda(org, 3)] == [(park["a"], "carried", 2), (park["b"], "carried", 2)]
    assert pending(org) == {"XP": 1}


def test_a_case_already_on_the_next_meeting_is_not_brought_back_once_decided_there(cli, park, org):
    plan(cli)  # 1
    plan(cli, on="2026-07-16T14:30")  # 2
    cli("meeting", "add", "2", U[2], "--reason", "先列入下次", user="SEC1")  # its item on 2 is the older one
    cli("meeting", "add", "1", U[2], "--reason", "提前讨论", user="SEC1")
    out = cli.json("meeting", "cancel", "1", user="SEC1")
    assert (out["moved"], out["added_to_next"]) == (3, 2)
    cli("meeting", "resolve", "2", U[2], "--decision", "工会上门指导", user="SEC1", today="2026-07-16")
    cli("meeting", "close", "2", user="SEC1", today="2026-07-16")
    assert pending(org) == {"SJ": 2, "XP": 1}  # a and b, undecided; c was decided at meeting 2
    m3 = plan(cli, on="2026-08-20T14:30", today="2026-07-17")
    assert [i[:3] for i in agenda(org, m3["id"])] == [(park["a"], "carried", 2), (park["b"], "carried", 2)]
    added = cli.json("meeting", "add", "3", U[2], "--reason", "复查", user="SEC1", today="2026-07-17")
    assert added["times_on_agenda"] == 2  # meeting 2 and this one; not the cancelled meeting 1


def test_cancel_refusals_write_nothing(cli, park, org):
    plan(cli)
    plan(cli, user="A01", park="XP")
    cases = [
        (["9"], "SEC1", "no meeting '9': give a meeting id (see `unionflow meeting list`)"),
        (["1"], "C01", "C01 (cadre) may not cancel a meeting: that needs the role secretary, admin"),
        (["2"], "SEC1", "SEC1 (secretary) may not cancel a meeting of park XP: a secretary manages the meetings of "
                        "their own park (SJ)"),
    ]
    for args, user, said in cases:
        r = cli("meeting", "cancel", *args, user=user, expect=1)
        assert r.stderr == f"Error: {said}\n", args
    r = cli("meeting", "cancel", "1", expect=1)
    assert r.stderr == "Error: this command changes data: say who you are with --as CODE or UNIONFLOW_USER\n"
    cli("meeting", "resolve", "1", U[0], "--decision", "约谈", user="SEC1", today="2026-06-18")
    r = cli("meeting", "cancel", "1", user="SEC1", today="2026-06-18", expect=1)
    assert r.stderr == ("Error: meeting 1 has decisions recorded on 1 case(s): it was held and cannot be cancelled; "
                        "close it with `unionflow meeting close 1` (its undecided cases go to the next meeting)\n")
    assert [m["status"] for m in cli.json("meeting", "list")] == ["planned", "planned"]
    assert [h[:2] for h in history(cli, U[1])] == [("agenda", "escalation")]  # put on meeting 1, nothing since
    cli("meeting", "close", "1", user="SEC1", today="2026-06-18")
    r = cli("meeting", "cancel", "1", user="SEC1", today="2026-06-18", expect=1)
    assert r.stderr == "Error: meeting 1 is closed: cancel a planned meeting (see `unionflow meeting list`)\n"
    cli("meeting", "cancel", "2", user="A01")
    said = {
        ("cancel", "2"): "cancel a planned meeting",
        ("move", "2", "--on", "2026-06-25T09:00"): "move a planned meeting",
        ("add", "2", U[3], "--reason", "x"): "add cases to a planned meeting",
        ("resolve", "2", U[3], "--decision", "x"): "record decisions of a planned meeting",
        ("close", "2"): "close a planned meeting",
    }
    for args, doing in said.items():
        r = cli("meeting", *args, user="A01", today="2026-06-18", expect=1)
        assert r.stderr == f"Error: meeting 2 was cancelled: {doing} (see `unionflow meeting list`)\n", args
    r = cli("meeting", "cancel", "2", user="A01", lang="zh", expect=1)
    assert r.stderr == "Error: 会议 2 已取消：只能对已安排的会议取消（见 `unionflow meeting list`）\n"
    assert query(org, __import__("sqlalchemy").text("SELECT status FROM meeting ORDER BY id")) == [("closed",),
                                                                                                ("cancelled",)]


def test_the_sweep_does_not_count_a_cancelled_meeting_in_times_on_agenda(cli, park, org):
    from datetime import UTC, datetime

    from tests.conftest import add_enterprise
    from tests.test_sweep import plan_meeting

    d = add_enterprise(org, U[5], "松江久拖科技有限公司", cadre="C01", status="contacted", status_since="2026-03-02")
    plan(cli)
    cli("meeting", "add", "1", U[5], "--reason", "职工反映", user="SEC1")
    cli("meeting", "cancel", "1", user="SEC1")
    # A meeting planned without `meeting plan` (as another process could): the sweep puts d on it.
    later = plan_meeting(org, "SJ", datetime(2026, 7, 16, 6, 0, tzinfo=UTC))
    cli("escalate", user="A01")
    assert [i[:3] for i in agenda(org, later) if i[0] == d] == [(d, "escalation", 1)]
    # d's item on the cancelled meeting waits no more (d is on a planned meeting); a and b wait for `meeting plan`,
    # which pulls in what waits, as after a meeting closed with nothing planned.
    assert pending(org) == {"SJ": 2, "XP": 1}


def test_a_cancelled_meeting_is_not_the_last_meeting_held_in_the_next_packet(cli, park, org, make_ctx):
    from datetime import date

    from workflow.packet import build_packet

    plan(cli)
    plan(cli, on="2026-07-16T14:30")
    cli("meeting", "cancel", "1", user="SEC1")
    packet = build_packet(make_ctx(today="2026-07-15"), 2, as_of=date(2026, 7, 15))
    assert packet["follow_up"] == {"meeting": None, "items": []}
