"""The six-party joint meeting: planning, representatives, agenda items, resolutions, carry-over, packet job."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from tests.conftest import USCCS
from tests.meeting_fixtures import _engine_do, agenda, escalation_links, meeting_park, query, set_status
from workflow.models import CaseEvent, Meeting

U = USCCS


@pytest.fixture
def park(org, cli):
    """Park SJ with two representatives, three cases (two escalated), and one XP case escalated."""
    return meeting_park(org, cli)


def plan(cli, on="2026-06-18T14:30", user="SEC1", today=None, **kw):
    args = ["meeting", "plan", "--on", on, "--place", kw.pop("place", "管委会三楼会议室")]
    for k, v in kw.items():
        args += [f"--{k}", v]
    return cli.json(*args, user=user, today=today)


def test_a_cadre_cannot_plan_a_meeting(cli, park):
    r = cli("meeting", "plan", "--on", "2026-06-18T14:30", "--place", "会议室", user="C01", expect=1)
    assert r.stderr == "Error: C01 (cadre) may not plan a meeting: that needs the role secretary, admin\n"
    assert cli.json("meeting", "list") == []


def test_plan_copies_the_park_representatives_and_pulls_in_pending_escalations(cli, park, org):
    m = plan(cli)
    assert (m["id"], m["park"], m["status"], m["starts_at"], m["participants"], m["agenda_items"]) == (
        1, "SJ", "planned", "2026-06-18T14:30+08:00", 2, 2)
    assert m["title"] == "Six-party joint meeting of 松江经开区, 2026-06-18"
    assert m["pulled_in"] == {"carried": 0, "escalation": 2}
    items = agenda(org, 1)
    assert [(i[0], i[1], i[2]) for i in items] == [(park["a"], "escalation", 1), (park["b"], "escalation", 1)]
    links = escalation_links(org)
    assert links[park["esc_a"]] is not None and links[park["esc_b"]] is not None
    assert links[park["esc_x"]] is None and links[park["esc_c_old"]] is None  # other park; stale episode
    history = cli.json("case", "history", U[0])
    assert history[-1]["kind"] == "agenda" and history[-1]["note"] == m["title"] and history[-1]["actor"] == "SEC1"
    listed = cli.json("meeting", "list")
    assert [(x["id"], x["items"], x["resolved"], x["participants"]) for x in listed] == [(1, 2, 0, 2)]
    # The starting instant is stored in UTC.
    stored = query(org, select(Meeting.__table__.c.starts_at))[0][0]
    assert stored.isoformat() == "2026-06-18T06:30:00+00:00"


def test_plan_reason_in_chinese_and_default_title(cli, park, org):
    m = cli.json("meeting", "plan", "--on", "2026-06-18 09:00", "--place", "会议室", user="SEC1", lang="zh")
    assert m["title"] == "松江经开区六方建会联席会议（2026年6月18日）"
    listed = cli("meeting", "agenda", "1", "--format", "md", lang="zh").stdout
    assert "停滞升级：已对接 45/30 个工作日" in listed


def test_plan_refusals(cli, park):
    r = cli("meeting", "plan", "--on", "2026-06-12T09:00", "--place", "x", user="SEC1", expect=1)
    assert r.stderr == "Error: --on 2026-06-12 09:00 is in the past (today is 2026-06-15): plan a meeting from today on\n"
    r = cli("meeting", "plan", "--on", "2026-06-18T09:00", "--place", "x", "--park", "XP", user="SEC1", expect=1)
    assert r.stderr == ("Error: SEC1 (secretary) may not plan a meeting of park XP: a secretary manages the meetings "
                        "of their own park (SJ)\n")
    r = cli("meeting", "plan", "--on", "2026-06-18T09:00", "--place", "x", user="A01", expect=1)
    assert r.stderr == "Error: A01 belongs to no park: say which park's meeting with --park CODE\n"
    r = cli("meeting", "plan", "--on", "tomorrow", "--place", "x", user="SEC1", expect=2)
    assert "'tomorrow' is not a date-time" in r.stderr
    r = cli("meeting", "plan", "--on", "2026-06-25", "--place", "x", user="SEC1", expect=2)  # not silently 00:00
    assert r.stderr.endswith("Error: Invalid value for '--on': '2026-06-25' is not a date-time: use YYYY-MM-DDTHH:MM, "
                             "e.g. 2018-08-15T14:30\n")
    assert cli.json("meeting", "list") == []
    m = plan(cli, user="A01", park="XP")
    assert (m["park"], m["agenda_items"], m["participants"]) == ("XP", 1, 0)


def test_a_meeting_past_the_working_day_calendar_is_refused_and_never_due(cli, park, org, make_ctx):
    from workflow.meetings import run_due_packets

    r = cli("meeting", "plan", "--on", "2062-06-18T09:00", "--place", "x", user="SEC1", expect=1)
    assert r.stderr == ("Error: --on 2062-06-18 09:00 is after 2035-12-31, the end of the working-day calendar: "
                        "check the year\n")
    assert cli.json("meeting", "list") == []
    plan(cli, on="2026-06-17T09:00")
    m = Meeting.__table__  # a meeting planned so before the refusal existed: the packet job goes on around it
    _engine_do(org, lambda conn: conn.execute(m.update().where(m.c.id == 1).values(
        starts_at=datetime(2062, 6, 18, 1, 0, tzinfo=UTC))))
    plan(cli, on="2026-06-18T09:00")
    sent = run_due_packets(make_ctx(), system=True)
    assert (sent["due"], sent["sent"]) == ([2], [2])


def test_a_meeting_on_a_day_off_is_planned_with_a_warning(cli, park):
    r = cli("meeting", "plan", "--on", "2026-06-18T14:30", "--place", "会议室", user="SEC1")
    assert r.stdout == "Meeting 1 planned for 2026-06-18 14:30 at 会议室: 2 participant(s), 2 case(s) on the agenda.\n"
    assert r.stderr == ""
    r = cli("meeting", "plan", "--on", "2026-06-19T14:30", "--place", "会议室", user="SEC1")  # Dragon Boat Festival
    assert r.stderr == ("Warning: 2026-06-19 is not a working day (a weekend or a holiday): the meeting is planned all "
                        "the same; check the date\n")
    assert plan(cli, on="2026-06-20T09:00")["warnings"] == [  # a Saturday
        "2026-06-20 is not a working day (a weekend or a holiday): the meeting is planned all the same; check the date"]
    assert plan(cli, on="2026-06-22T09:00")["warnings"] == []


def test_representatives_list_and_refusals(cli, park):
    reps = cli.json("meeting", "party", "list")
    assert [(r["park"], r["party"], r["name"], r["email"], r["title"]) for r in reps] == [
        ("SJ", "party_committee", "孙书记", "sun@example.org", None),
        ("SJ", "regulators", "周强", "zhou@example.org", "市场监管所所长"),
    ]
    r = cli("meeting", "party", "add", "press", "某人", user="SEC1", expect=1)
    assert r.stderr == ("Error: PARTY 'press' is not one of the six parties: party_committee, administration, "
                        "regulators, union, chamber_of_commerce, employers\n")
    r = cli("meeting", "party", "add", "union", "某人", user="C01", expect=1)
    assert r.stderr == "Error: C01 (cadre) may not manage the representatives: that needs the role secretary, admin\n"
    r = cli("meeting", "party", "add", "regulators", "周强", "--email", "zhou2@example.org", user="SEC1", expect=1)
    assert r.stderr == (f"Error: 周强 (id {reps[1]['id']}) already represents regulators in this park: see `unionflow "
                        f"meeting party list`, and `meeting party remove {reps[1]['id']}` to replace them\n")
    r = cli("meeting", "party", "add", "执法监管部门", "周强强", "--email", "ZHOU@example.org", user="SEC1", expect=1)
    assert r.stderr.startswith(f"Error: 周强 (id {reps[1]['id']}) already represents")
    cli("meeting", "party", "add", "union", "周强", "--email", "zhou@example.org", user="SEC1")  # another party: fine
    table = cli("meeting", "party", "list").stdout.splitlines()
    assert table[0].split() == ["id", "park", "party", "name", "title", "email"]
    assert table[2].split()[:4] == [str(reps[0]["id"]), "SJ", "party_committee", "孙书记"]
    assert "代表方" in cli("meeting", "party", "list", lang="zh").stdout
    cli("meeting", "party", "remove", str(reps[0]["id"]), user="SEC1")
    assert [r["name"] for r in cli.json("meeting", "party", "list")] == ["周强", "周强"]


def test_add_item_by_hand(cli, park, org):
    plan(cli)
    added = cli.json("meeting", "add", "1", U[2], "--reason", "职工联名要求建会", user="SEC1")
    assert (added["case_id"], added["source"], added["times_on_agenda"]) == (park["c"], "manual", 1)
    assert [i[:3] for i in agenda(org, 1)][-1] == (park["c"], "manual", 1)
    r = cli("meeting", "add", "1", U[2], "--reason", "again", user="SEC1", expect=1)
    assert r.stderr == f"Error: case {park['c']} ({U[2]}) is already on the agenda of meeting 1\n"
    r = cli("meeting", "add", "1", U[3], "--reason", "x", user="SEC1", expect=1)
    assert r.stderr == f"Error: case {park['x']} ({U[3]}) belongs to park XP, not to park SJ of meeting 1\n"
    r = cli("meeting", "add", "9", U[2], "--reason", "x", user="SEC1", expect=1)
    assert r.stderr == "Error: no meeting '9': give a meeting id (see `unionflow meeting list`)\n"
    r = cli("meeting", "add", "1", U[2], "--reason", "x", user="C01", expect=1)
    assert r.stderr == "Error: C01 (cadre) may not add to the agenda: that needs the role secretary, admin\n"


def test_resolve_writes_the_decision_and_a_resolution_on_the_timeline(cli, park, org):
    plan(cli, today="2026-06-15")
    out = cli.json("meeting", "resolve", "1", U[0], "--decision", "执法监管部门会同工会上门宣讲", "--owner-party",
                   "执法监管部门", "--due", "2026-07-15", user="SEC1", today="2026-06-18")
    assert (out["owner_party"], out["due_on"], out["amended"]) == ("regulators", "2026-07-15", False)
    item = [i for i in agenda(org, 1) if i[0] == park["a"]][0]
    assert item[3:] == ("执法监管部门会同工会上门宣讲", "regulators", date(2026, 7, 15))
    last = cli.json("case", "history", U[0], today="2026-06-18")[-1]
    assert (last["kind"], last["occurred_on"], last["note"], last["actor"]) == (
        "resolution", "2026-06-18", "执法监管部门会同工会上门宣讲", "SEC1")
    assert last["data"] == {"meeting_id": 1, "owner_party": "regulators", "due_on": "2026-07-15", "amended": False}
    r = cli("meeting", "resolve", "1", U[2], "--decision", "x", user="SEC1", today="2026-06-18", expect=1)
    assert r.stderr == (f"Error: case {park['c']} ({U[2]}) is not on the agenda of meeting 1: add it with "
                        f"`unionflow meeting add 1 {U[2]} --reason TEXT`\n")
    r = cli("meeting", "resolve", "1", U[1], "--decision", "x", "--owner-party", "press", user="SEC1", expect=1)
    assert r.stderr.startswith("Error: --owner-party 'press' is not one of the six parties")
    r = cli("meeting", "resolve", "1", U[1], "--decision", "x", "--due", "2026-06-01", user="SEC1", today="2026-06-18",
            expect=1)
    assert r.stderr == "Error: --due 2026-06-01 is before the meeting (2026-06-18)\n"
    r = cli("meeting", "resolve", "1", U[1], "--decision", "x", "--due", "2062-07-15", user="SEC1", today="2026-06-18",
            expect=1)
    assert r.stderr == "Error: --due 2062-07-15 is after 2035-12-31, the end of the working-day calendar: check the year\n"
    assert len(cli.json("case", "history", U[1])) == 1  # only the agenda event: nothing half-written


def test_no_decision_before_the_meeting_is_held(cli, park, org):
    plan(cli, today="2026-06-15")
    r = cli("meeting", "resolve", "1", U[0], "--decision", "党工委约谈", user="SEC1", today="2026-06-17", expect=1)
    assert r.stderr == "Error: meeting 1 is on 2026-06-18: its decisions can be recorded from that day on\n"
    assert [i[3] for i in agenda(org, 1)] == [None, None]
    assert len(cli.json("case", "history", U[0])) == 1  # the agenda event only


def test_an_amended_decision_keeps_the_owner_party_and_due_day_not_given(cli, park, org):
    plan(cli, today="2026-06-15")
    day = {"user": "SEC1", "today": "2026-06-18"}
    cli("meeting", "resolve", "1", U[0], "--decision", "约谈", "--owner-party", "regulators", "--due", "2026-07-01", **day)
    out = cli.json("meeting", "resolve", "1", U[0], "--decision", "再次约谈", **day)
    assert (out["decision"], out["owner_party"], out["due_on"], out["amended"]) == (
        "再次约谈", "regulators", "2026-07-01", True)
    item = [i for i in agenda(org, 1) if i[0] == park["a"]][0]
    assert item[3:] == ("再次约谈", "regulators", date(2026, 7, 1))
    assert cli.json("case", "history", U[0])[-1]["data"] == {
        "meeting_id": 1, "owner_party": "regulators", "due_on": "2026-07-01", "amended": True}
    out = cli.json("meeting", "resolve", "1", U[0], "--decision", "再次约谈", "--due", "2026-07-10", **day)
    assert (out["owner_party"], out["due_on"]) == ("regulators", "2026-07-10")
    out = cli.json("meeting", "resolve", "1", U[0], "--decision", "交工会跟进", "--no-owner-party", "--no-due", **day)
    assert (out["owner_party"], out["due_on"]) == (None, None)
    assert [i for i in agenda(org, 1) if i[0] == park["a"]][0][3:] == ("交工会跟进", None, None)
    r = cli("meeting", "resolve", "1", U[0], "--decision", "x", "--due", "2026-07-10", "--no-due", **day, expect=2)
    assert r.stderr.endswith("Error: give a value or clear it, not both (--owner-party or --no-owner-party, --due or "
                             "--no-due)\n")


def test_resolving_again_says_it_amends_and_what_the_decision_was(cli, park, org):
    plan(cli, today="2026-06-15")
    day = {"user": "SEC1", "today": "2026-06-18"}
    r = cli("meeting", "resolve", "1", U[0], "--decision", "约谈", "--owner-party", "regulators", **day)
    assert r.stdout == "Decision on case 1 (上海松江精密机械有限公司) recorded; regulators acts.\n"
    r = cli("meeting", "resolve", "1", U[0], "--decision", "上门宣讲", **day)
    assert r.stdout == "Decision on case 1 (上海松江精密机械有限公司) amended (it was: 约谈); regulators acts.\n"
    r = cli("meeting", "resolve", "1", U[0], "--decision", "交工会跟进", "--due", "2026-07-01", lang="zh", **day)
    assert r.stdout == ("已修改会议对案件 1（上海松江精密机械有限公司）的决定（原决定：上门宣讲）；由执法监管部门负责落实，"
                        "期限 2026-07-01。\n")
    out = cli.json("meeting", "resolve", "1", U[0], "--decision", "交工会跟进", **day)
    assert (out["amended"], out["previous_decision"]) == (True, "交工会跟进")
    out = cli.json("meeting", "resolve", "1", U[1], "--decision", "约谈", **day)
    assert (out["amended"], out["previous_decision"]) == (False, None)


def test_a_decision_recorded_meanwhile_is_not_overwritten_unseen(cli, park, org, make_ctx, backend):
    """Two secretaries resolve one case at once. PostgreSQL: the second read the item before the first committed
    and gets a conflict. SQLite queues writers at their start: the second reads the first's decision and amends it."""
    import threading
    import time

    from workflow.errors import Conflict
    from workflow.meetings import resolve

    plan(cli, today="2026-06-15")
    from datetime import UTC, datetime

    from sqlalchemy import update

    from workflow.db import make_engine
    from workflow.models import AgendaItem

    engine = make_engine(org)
    first = engine.connect()
    first.begin()  # SQLite: BEGIN IMMEDIATE; both hold the write until commit
    ai = AgendaItem.__table__
    first.execute(update(ai).where(ai.c.meeting_id == 1, ai.c.case_id == park["a"])
                  .values(decision="党工委约谈", resolved_at=datetime.now(UTC)))
    outcome = {}

    def second():
        try:
            outcome["result"] = resolve(make_ctx("SEC1", today="2026-06-18"), "1", U[0], "上门宣讲")
        except Conflict as exc:
            outcome["conflict"] = str(exc)

    thread = threading.Thread(target=second)
    thread.start()
    time.sleep(1.5)  # the second has read the item (PostgreSQL) or waits to begin (SQLite)
    first.commit()
    first.close()
    engine.dispose()
    thread.join(timeout=60)
    item = [i for i in agenda(org, 1) if i[0] == park["a"]][0]
    if backend == "postgres":
        assert outcome == {"conflict": (f"the decision on case {park['a']} ({U[0]}) was recorded meanwhile: nothing was "
                                        "written; look at `unionflow meeting agenda 1 --format md` and amend it if need "
                                        "be")}
        assert item[3] == "党工委约谈"
        assert [h["kind"] for h in cli.json("case", "history", U[0])] == ["agenda"]
    else:
        assert (outcome["result"]["amended"], outcome["result"]["previous_decision"]) == (True, "党工委约谈")
        assert item[3] == "上门宣讲"


def test_close_carries_unresolved_items_to_the_next_planned_meeting(cli, park, org):
    plan(cli)
    plan(cli, on="2026-07-16T14:30")
    cli("meeting", "resolve", "1", U[0], "--decision", "党工委约谈", user="SEC1", today="2026-06-18")
    r = cli("meeting", "close", "1", user="SEC1", expect=1)
    assert r.stderr == "Error: meeting 1 is on 2026-06-18: it cannot be closed before it is held\n"
    closed = cli.json("meeting", "close", "1", user="SEC1", today="2026-06-18")
    assert closed == {"meeting": 1, "status": "closed", "unresolved": 1, "carried": 1, "carried_to": 2, "pending": 0,
                      "dropped": 0}
    assert [i[:3] for i in agenda(org, 2)] == [(park["b"], "carried", 2)]
    r = cli("meeting", "resolve", "1", U[1], "--decision", "x", user="SEC1", today="2026-06-18", expect=1)
    assert r.stderr == "Error: meeting 1 is closed: record decisions of a planned meeting (see `unionflow meeting list`)\n"
    r = cli("meeting", "close", "1", user="SEC1", today="2026-06-18", expect=1)
    assert r.stderr == "Error: meeting 1 is closed: close a planned meeting (see `unionflow meeting list`)\n"
    # Carried again: the count keeps growing.
    cli("meeting", "close", "2", user="SEC1", today="2026-07-16")
    m3 = plan(cli, on="2026-08-20T14:30", today="2026-07-17")
    assert m3["pulled_in"] == {"carried": 1, "escalation": 0}
    assert [i[:3] for i in agenda(org, 3)] == [(park["b"], "carried", 3)]


def test_close_with_no_meeting_planned_leaves_the_items_pending(cli, park, org):
    plan(cli)
    cli("meeting", "add", "1", U[2], "--reason", "职工联名要求建会", user="SEC1")
    set_status(org, park["b"], "closed", "2026-06-16")  # closed cases are not carried
    closed = cli.json("meeting", "close", "1", user="SEC1", today="2026-06-18")
    assert (closed["carried_to"], closed["unresolved"], closed["pending"], closed["dropped"]) == (None, 2, 2, 1)
    m2 = plan(cli, on="2026-07-16T14:30", today="2026-06-19")
    assert m2["pulled_in"] == {"carried": 2, "escalation": 0}
    assert [i[:3] for i in agenda(org, 2)] == [(park["a"], "carried", 2), (park["c"], "carried", 2)]
    kinds = query(org, select(CaseEvent.__table__.c.event).where(CaseEvent.__table__.c.case_id == park["c"],
                                                                 CaseEvent.__table__.c.kind == "agenda"))
    assert kinds == [("manual",), ("carried",)]


def test_a_case_no_longer_stalled_is_not_carried_but_a_case_added_by_hand_is(cli, park, org):
    plan(cli)  # a (contacted) and b (prospect) from their escalations
    plan(cli, on="2026-07-16T14:30")
    cli("meeting", "add", "1", U[2], "--reason", "职工联名要求建会", user="SEC1")
    set_status(org, park["b"], "contacted", "2026-06-16")  # b moved on: its stall is over
    set_status(org, park["c"], "contacted", "2026-06-16")  # so did c, but it was put on the agenda by hand
    closed = cli.json("meeting", "close", "1", user="SEC1", today="2026-06-18")
    assert (closed["unresolved"], closed["carried"], closed["dropped"]) == (2, 2, 1)
    assert [i[:3] for i in agenda(org, 2)] == [(park["a"], "carried", 2), (park["c"], "carried", 2)]
    # Carried again while a is still in the stall that reached the meeting; once it moves on, it is not.
    set_status(org, park["a"], "preparatory", "2026-07-01")
    closed = cli.json("meeting", "close", "2", user="SEC1", today="2026-07-16")
    assert (closed["unresolved"], closed["pending"], closed["dropped"]) == (1, 1, 1)
    m3 = plan(cli, on="2026-08-20T14:30", today="2026-07-17")
    assert m3["pulled_in"] == {"carried": 1, "escalation": 0}
    assert [i[:3] for i in agenda(org, 3)] == [(park["c"], "carried", 3)]


def test_a_manual_item_counts_earlier_meetings(cli, park, org):
    plan(cli)
    cli("meeting", "resolve", "1", U[0], "--decision", "继续跟进", user="SEC1", today="2026-06-18")
    cli("meeting", "resolve", "1", U[1], "--decision", "继续跟进", user="SEC1", today="2026-06-18")
    cli("meeting", "close", "1", user="SEC1", today="2026-06-18")
    plan(cli, on="2026-07-16T14:30", today="2026-06-19")
    added = cli.json("meeting", "add", "2", U[0], "--reason", "决定未落实", user="SEC1", today="2026-06-19")
    assert added["times_on_agenda"] == 2


def test_packets_are_sent_three_working_days_ahead_once(cli, park, org, make_ctx):
    from notifications.models import OutboxMessage
    from workflow.meetings import run_due_packets

    plan(cli, on="2026-06-22T09:00")  # Monday after the Dragon Boat Festival (Friday 19 June is a holiday)
    plan(cli, on="2026-06-23T09:00")
    early = run_due_packets(make_ctx(), as_of=date(2026, 6, 15), system=True)
    assert (early["due"], early["sent"]) == ([], [])
    sent = run_due_packets(make_ctx(today="2026-06-16"), system=True)  # 17, 18, 22: three working days
    assert (sent["due"], sent["sent"], sent["failed"]) == ([1], [1], [])
    assert sent["recipients"][1] == ["sec1@example.org", "sun@example.org", "zhou@example.org"]
    again = run_due_packets(make_ctx(today="2026-06-16"), as_of=date(2026, 6, 16), system=True)
    assert (again["due"], again["sent"]) == ([], [])
    t = OutboxMessage.__table__
    rows = query(org, select(t.c.key, t.c.kind, t.c.to_addrs, t.c.attachments))
    assert len(rows) == 1
    key, kind, to, attachments = rows[0]
    assert (key, kind) == ("packet:1", "packet")
    assert [a["email"] for a in to] == ["sec1@example.org", "sun@example.org", "zhou@example.org"]
    assert [a["filename"] for a in attachments] == ["meeting-1-2026-06-22.html", "meeting-1-2026-06-22.docx"]
    listed = {m["id"]: m["packet_sent_at"] for m in cli.json("meeting", "list")}
    assert listed[1] is not None and listed[2] is None
    out = cli("meeting", "send-packets", "--as-of", "2026-06-17", "--json", user="SEC1", today="2026-06-17")
    assert json.loads(out.stdout)["sent"] == [2]


def test_send_packets_needs_a_secretary_and_no_future_day(cli, park, org):
    plan(cli, on="2026-06-22T09:00")
    r = cli("meeting", "send-packets", today="2026-06-16", expect=1)
    assert r.stderr == "Error: this command changes data: say who you are with --as CODE or UNIONFLOW_USER\n"
    r = cli("meeting", "send-packets", today="2026-06-16", user="C01", expect=1)
    assert r.stderr == "Error: C01 (cadre) may not send the agenda packets: that needs the role secretary, admin\n"
    r = cli("meeting", "send-packets", "--as-of", "2026-06-16", user="SEC1", expect=1)
    assert r.stderr == ("Error: --as-of 2026-06-16 is in the future (today is 2026-06-15): packets go out when their "
                        "meeting is near, not ahead of time\n")
    assert [m["packet_sent_at"] for m in cli.json("meeting", "list")] == [None]
    assert query(org, select(Meeting.__table__.c.packet_sent_at)) == [(None,)]
    # A secretary sends the packets of their own park's meetings; an admin all.
    cli("meeting", "party", "add", "union", "钱主席", "--email", "qian@example.org", "--park", "XP", user="A01")
    cli("meeting", "plan", "--on", "2026-06-22T10:00", "--place", "新浜会议室", "--park", "XP", user="A01")
    assert cli.json("meeting", "send-packets", user="SEC1", today="2026-06-16")["sent"] == [1]
    assert cli.json("meeting", "send-packets", user="A01", today="2026-06-16")["sent"] == [2]
