"""The escalation sweep: the ladder in Chinese working days, once per stall episode, set-based and idempotent."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import text

from tests.conftest import USCCS, add_enterprise, valid_usccs
from workflow.db import make_engine
from workflow.workdays import WorkdayCalendar

CAL = WorkdayCalendar()
D = date.fromisoformat
U1, U2, U3, U4 = USCCS[:4]
WARNING_2027 = ("Warning: no official holiday schedule for 2027: counting Monday–Friday; "
                "load it with `unionflow calendar load FILE`")


def sql(db_url: str, query: str, **params) -> list[tuple]:
    engine = make_engine(db_url)
    try:
        with engine.begin() as conn:
            result = conn.execute(text(query), params)
            return [tuple(r) for r in result] if result.returns_rows else []
    finally:
        engine.dispose()


def count(db_url: str, table: str, where: str = "1 = 1", **params) -> int:
    return sql(db_url, f"SELECT count(*) FROM {table} WHERE {where}", **params)[0][0]


def escalate(cli, *args, today=None):
    return cli.json("escalate", *args, user="A01", today=today)


def fired(result, case_id=None) -> list[str]:
    return [e["level"] for e in result["escalations"] if case_id is None or e["case_id"] == case_id]


# -- the ladder ------------------------------------------------------------------------------------


def test_ladder_boundaries_for_an_allowance_of_30(cli, org):
    since = D("2026-03-02")
    case_id = add_enterprise(org, U1, "对接公司", status="contacted", status_since="2026-03-02", cadre="C01")
    expected = {23: [], 24: ["remind"], 29: [], 30: ["overdue"], 44: [], 45: ["meeting"]}
    for days, levels in expected.items():
        as_of = CAL.add_workdays(since, days)
        result = escalate(cli, "--as-of", as_of.isoformat())
        assert fired(result, case_id) == levels, (days, as_of)
        for e in result["escalations"]:
            assert (e["working_days"], e["allowed"], e["status"], e["uscc"]) == (days, 30, "contacted", U1)
    assert sql(org, "SELECT level, CAST(as_of AS VARCHAR(10)) FROM escalation ORDER BY id") == [
        ("remind", "2026-04-03"), ("overdue", "2026-04-14"), ("meeting", "2026-05-08")]


def test_a_case_first_swept_past_all_thresholds_fires_each_level(cli, org):
    case_id = add_enterprise(org, U1, "久拖公司", status="contacted", status_since="2026-03-02", cadre="C01")
    result = escalate(cli)
    assert fired(result, case_id) == ["remind", "overdue", "meeting"]
    assert result["counts"] == {"remind": 1, "overdue": 1, "meeting": 1, "next_action": 0}
    days = CAL.workdays_after(D("2026-03-02"), D("2026-06-15"))
    assert {(e["working_days"], e["allowed"]) for e in result["escalations"]} == {(days, 30)}
    history = [h for h in cli.json("case", "history", U1) if h["kind"] == "escalation"]
    assert [(h["event"], h["occurred_on"], h["note"]) for h in history] == [
        ("remind", "2026-06-15", f"remind: {days} of 30 working days in contacted"),
        ("overdue", "2026-06-15", f"overdue: {days} of 30 working days in contacted"),
        ("meeting", "2026-06-15", f"meeting: {days} of 30 working days in contacted"),
    ]


def test_second_identical_sweep_creates_nothing(cli, org):
    add_enterprise(org, U1, "甲公司", status="contacted", status_since="2026-03-02", cadre="C01")
    add_enterprise(org, U2, "乙公司", status="prospect", status_since="2026-05-04", cadre="C02",
                   next_action_on=D("2026-06-12"))
    first = escalate(cli)
    assert fired(first) == ["remind", "overdue", "meeting", "remind", "overdue", "meeting", "next_action"]
    tables = ("escalation", "case_event", "agenda_item", "outbox")
    before = {t: count(org, t) for t in tables}
    second = escalate(cli)
    assert second["escalations"] == [] and second["emails_queued"] == 0 and second["agenda_items"] == 0
    assert {t: count(org, t) for t in tables} == before
    assert sql(org, "SELECT runs FROM sweep_run") == [(2,)]


def test_status_change_starts_a_new_episode(cli, org):
    case_id = add_enterprise(org, U1, "推进公司", status="contacted", status_since="2026-03-02", cadre="C01")
    assert fired(escalate(cli), case_id) == ["remind", "overdue", "meeting"]
    cli("case", "prepare", U1, "--mode", "standalone", "--group-leader", "李强", "--applied-on", "2026-06-15", user="C01")
    assert fired(escalate(cli), case_id) == []  # 0 working days in preparatory
    days = CAL.workdays_after(D("2026-06-15"), D("2026-09-30"))  # 76 ≥ 60 (overdue), < 90 (meeting)
    later = escalate(cli, today="2026-09-30")
    assert fired(later, case_id) == ["remind", "overdue"]
    assert {(e["status"], e["working_days"], e["allowed"]) for e in later["escalations"]} == {("preparatory", days, 60)}
    assert sql(org, "SELECT episode, level FROM escalation ORDER BY id") == [
        (1, "remind"), (1, "overdue"), (1, "meeting"), (2, "remind"), (2, "overdue")]


def test_a_logged_visit_does_not_reset_the_clock(cli, org):
    since = D("2026-03-02")
    case_id = add_enterprise(org, U1, "拜访公司", status="contacted", status_since="2026-03-02", cadre="C01")
    assert fired(escalate(cli, "--as-of", CAL.add_workdays(since, 24).isoformat()), case_id) == ["remind"]
    cli("case", "log", U1, "--kind", "visit", "--note", "老板出差", "--on", "2026-04-10", user="C01", today="2026-04-10")
    result = escalate(cli, "--as-of", CAL.add_workdays(since, 30).isoformat())
    assert fired(result, case_id) == ["overdue"]
    assert result["escalations"][0]["working_days"] == 30


def test_due_next_action_reminds_once_per_due_day(cli, org):
    case_id = add_enterprise(org, U1, "跟进公司", status="prospect", status_since="2026-06-10", cadre="C01",
                             next_action_on=D("2026-06-12"))
    result = escalate(cli)
    assert [(e["level"], e["due_on"]) for e in result["escalations"]] == [("next_action", "2026-06-12")]
    assert escalate(cli)["escalations"] == []
    cli("case", "log", U1, "--kind", "call", "--note", "约下周", "--next-action", "2026-06-17", user="C01")
    assert escalate(cli, today="2026-06-16")["escalations"] == []  # not due yet
    again = escalate(cli, today="2026-06-17")
    assert [(e["case_id"], e["level"], e["due_on"]) for e in again["escalations"]] == [
        (case_id, "next_action", "2026-06-17")]
    notes = [h["note"] for h in cli.json("case", "history", U1) if h["kind"] == "escalation"]
    assert notes == ["next action due 2026-06-12", "next action due 2026-06-17"]


def test_working_days_across_the_2026_spring_festival(cli, org):
    add_enterprise(org, U1, "春节公司", status="contacted", status_since="2026-02-10", cadre="C01")
    rows = cli.json("case", "list", "--stalled", "--as-of", "2026-03-20")
    # 28 weekdays, less 6 holidays (16–20, 23 Feb), plus the make-up Saturdays 14 and 28 Feb.
    assert CAL.workdays_after(D("2026-02-10"), D("2026-03-20")) == 24
    assert [(r["uscc"], r["working_days"], r["allowed"], r["level"]) for r in rows] == [(U1, 24, 30, "remind")]


def test_2027_without_an_official_schedule_warns(cli, org):
    add_enterprise(org, U1, "跨年公司", status="contacted", status_since="2026-12-21", cadre="C01")
    r = cli("escalate", "--json", user="A01", today="2027-03-01")
    assert r.stderr.splitlines()[0] == WARNING_2027  # then: no joint meeting is planned for the meeting level
    import json

    result = json.loads(r.stdout)
    assert result["warnings"][0] == WARNING_2027.removeprefix("Warning: ")
    assert fired(result) == ["remind", "overdue", "meeting"]
    assert "official" not in cli("escalate", user="A01", today="2026-06-15").stderr  # 2026 only: no such warning


def test_loading_the_2027_schedule_changes_the_count(cli, org):
    add_enterprise(org, U1, "明年公司", status="prospect", status_since="2027-01-25", cadre="C01")
    before = cli("case", "list", "--stalled", "--json", today="2027-02-26")
    import json

    assert [r["working_days"] for r in json.loads(before.stdout)] == [24]  # Monday–Friday
    cli("calendar", "load", "tests/data/holidays-2027.toml", user="A01")
    after = cli.json("case", "list", "--stalled", today="2027-02-26")
    assert [r["working_days"] for r in after] == [20]  # less 5–12 Feb off, plus make-up 14 and 20 Feb
    r = cli("escalate", "--dry-run", user="A01", today="2027-02-26")
    assert "Warning" not in r.stderr


# -- new enterprises: 6 months from opening -------------------------------------------------------


def test_new_enterprise_prospect_allowance_ends_at_six_months_from_opening(cli, org):
    short = add_enterprise(org, U1, "新开工甲", status="prospect", status_since="2026-06-01", cadre="C01",
                           source="new_project", opened_on=D("2025-12-05"))  # deadline 2026-06-05: 4 working days
    near = add_enterprise(org, U2, "新迁入乙", status="prospect", status_since="2026-06-01", cadre="C01",
                          source="relocated", opened_on=D("2025-12-20"))  # deadline 2026-06-20: 13 working days
    late = add_enterprise(org, U3, "老企业丙", status="prospect", status_since="2026-06-01", cadre="C01",
                          opened_on=D("2025-01-01"))  # deadline passed before the case opened: ordinary 20
    unknown = add_enterprise(org, U4, "意向丁", status="prospect", status_since="2026-06-01", cadre="C01",
                             source="prospective")  # no opening day yet: ordinary 20
    rows = {r["id"]: r for r in cli.json("case", "list", "--stalled", "--as-of", "2026-06-16")}
    assert (rows[short]["allowed"], rows[short]["working_days"], rows[short]["level"]) == (4, 11, "meeting")
    assert (rows[near]["allowed"], rows[near]["working_days"], rows[near]["level"]) == (13, 11, "remind")
    assert late not in rows and unknown not in rows
    assert near not in {r["id"] for r in cli.json("case", "list", "--stalled", "--as-of", "2026-06-15")}  # 10 < 10.4


def test_six_months_from_31_august_is_28_february_on_both_backends(cli, org):
    case_id = add_enterprise(org, U1, "月末公司", status="prospect", status_since="2026-02-02", cadre="C01",
                             source="new_project", opened_on=D("2025-08-31"))
    rows = cli.json("case", "list", "--stalled", "--as-of", "2026-03-02")
    # 2026-02-28 (a make-up Saturday), not 3 March: 15 working days from 2 February.
    assert [(r["id"], r["allowed"], r["working_days"]) for r in rows] == [
        (case_id, CAL.workdays_after(D("2026-02-02"), D("2026-02-28")), 16)]
    assert rows[0]["allowed"] == 15


# -- stalled list ----------------------------------------------------------------------------------


def test_stalled_list_sorted_by_urgency_with_filters(cli, org):
    a = add_enterprise(org, U1, "甲", status="contacted", status_since="2026-04-01", cadre="C01")  # 48 of 30
    b = add_enterprise(org, U2, "乙", status="preparatory", status_since="2026-02-02", cadre="C02")  # 80 of 60
    add_enterprise(org, U3, "丙", status="founded", status_since="2026-06-01", cadre="C01")  # 10 of 30: not stalled
    c = add_enterprise(org, U4, "丁", status="prospect", status_since="2026-05-15", cadre="C03", park="XP")  # 20/20
    rows = cli.json("case", "list", "--stalled")
    over = [(r["id"], r["working_days"] - r["allowed"], r["level"]) for r in rows]
    days = {k: CAL.workdays_after(D(s), D("2026-06-15")) for k, s in
            ((a, "2026-04-01"), (b, "2026-02-02"), (c, "2026-05-15"))}
    assert over == sorted(over, key=lambda t: -t[1])
    assert {r["id"]: r["working_days"] for r in rows} == days
    assert set(rows[0]) >= {"id", "uscc", "enterprise", "park", "status", "mode", "cadre", "status_since",
                            "next_action_on", "version", "working_days", "allowed", "level"}
    assert [r["id"] for r in cli.json("case", "list", "--stalled", "--mine", user="C01")] == [a]
    assert [r["id"] for r in cli.json("case", "list", "--stalled", "--park", "XP")] == [c]
    assert [r["id"] for r in cli.json("case", "list", "--stalled", "--status", "preparatory")] == [b]
    assert cli.json("case", "list", "--stalled", "--status", "active") == []
    assert len(cli.json("case", "list", "--stalled", "--limit", "1")) == 1
    table = cli("case", "list", "--stalled").stdout
    assert "working_days" in table.replace("\n", "") or "working" in table


# -- the joint meeting ----------------------------------------------------------------------------


def plan_meeting(db_url: str, park: str, starts_at: datetime, status: str = "planned") -> int:
    """Test set-up: a meeting row straight into the database (the meetings commands are another issue)."""
    from sqlalchemy import insert, select

    from workflow.models import Meeting, Park

    engine = make_engine(db_url)
    try:
        with engine.begin() as conn:
            park_id = conn.execute(select(Park.__table__.c.id).where(Park.__table__.c.code == park)).scalar_one()
            return conn.execute(insert(Meeting.__table__).values(
                park_id=park_id, title=f"{park} 联席会议 {starts_at:%Y-%m-%d}", starts_at=starts_at, place="管委会",
                status=status, created_at=datetime.now(UTC))).inserted_primary_key[0]
    finally:
        engine.dispose()


def test_meeting_level_goes_on_the_next_planned_meeting_or_waits(cli, org):
    sj = add_enterprise(org, U1, "松江久拖", status="contacted", status_since="2026-03-02", cadre="C01")
    xp = add_enterprise(org, U2, "新浜久拖", status="contacted", status_since="2026-03-02", cadre="C03", park="XP")
    plan_meeting(org, "SJ", datetime(2026, 6, 10, 6, 0, tzinfo=UTC))  # in the past: not the next one
    later = plan_meeting(org, "SJ", datetime(2026, 7, 20, 6, 0, tzinfo=UTC))
    nxt = plan_meeting(org, "SJ", datetime(2026, 6, 25, 6, 0, tzinfo=UTC))
    plan_meeting(org, "SJ", datetime(2026, 6, 18, 6, 0, tzinfo=UTC), status="closed")
    result = escalate(cli)
    assert result["agenda_items"] == 1 and result["pending_meetings"] == 1
    items = sql(org, "SELECT meeting_id, case_id, source, times_on_agenda, reason FROM agenda_item")
    assert items == [(nxt, sj, "escalation", 1, "stalled: 72/30 working days in contacted")]
    assert sql(org, "SELECT case_id, agenda_item_id IS NULL FROM escalation WHERE level = 'meeting' ORDER BY case_id") \
        == [(sj, False), (xp, True)]
    # The escalations first, then the agenda item they caused (written before them, recorded after).
    assert [h["kind"] for h in cli.json("case", "history", U1)][-4:] == ["escalation"] * 3 + ["agenda"]
    assert later != nxt
    # A meeting planned later for XP: the next sweep puts the pending case on it, firing nothing new.
    xp_meeting = plan_meeting(org, "XP", datetime(2026, 6, 30, 6, 0, tzinfo=UTC))
    again = escalate(cli)
    assert again["escalations"] == [] and again["agenda_items"] == 1 and again["pending_meetings"] == 0
    assert sql(org, "SELECT meeting_id FROM agenda_item WHERE case_id = :c", c=xp) == [(xp_meeting,)]


def test_cases_waiting_for_a_meeting_are_counted_per_park_with_the_command_to_plan_one(cli, org):
    add_enterprise(org, U1, "松江久拖", status="contacted", status_since="2026-03-02", cadre="C01")
    add_enterprise(org, U2, "新浜久拖", status="contacted", status_since="2026-03-02", cadre="C03", park="XP")
    moved_on = add_enterprise(org, U3, "新浜已对接", status="contacted", status_since="2026-03-02", cadre="C03", park="XP")
    escalate(cli, "--as-of", "2026-06-12")
    # U3 has since been set back: its stall is over, its escalation (of the old episode) waits for nothing.
    sql(org, "UPDATE founding_case SET status = 'prospect', status_since = '2026-06-12', episode = episode + 1 "
             "WHERE id = :c", c=moved_on)
    result = escalate(cli)
    assert (result["pending_by_park"], result["pending_meetings"]) == ({"SJ": 1, "XP": 1}, 2)
    err = cli("escalate", user="A01", lang="en").stderr.splitlines()
    assert [line for line in err if "no joint meeting" in line] == [
        f"Warning: no joint meeting is planned for park {park}: 1 case(s) on the meeting level wait for one; plan it "
        f"with `unionflow meeting plan --park {park} --on DATETIME --place TEXT`, which puts them on its agenda"
        for park in ("SJ", "XP")
    ]
    plan_meeting(org, "SJ", datetime(2026, 6, 25, 6, 0, tzinfo=UTC))
    zh = cli("escalate", user="A01", lang="zh").stderr.splitlines()
    assert [line for line in zh if "尚未安排联席会议" in line] == [
        "Warning: 园区 XP 尚未安排联席会议：1 家企业已升级到联席会议一级，正在等待上会；请用 `unionflow meeting plan "
        "--park XP --on DATETIME --place TEXT` 安排会议，届时这些案件会列入议程"]
    assert escalate(cli)["pending_by_park"] == {"XP": 1}


def test_a_case_put_on_the_meeting_by_hand_is_linked_and_one_seen_before_counts_its_times(cli, org):
    by_hand = add_enterprise(org, U1, "已手动列入", status="contacted", status_since="2026-03-02", cadre="C01")
    seen = add_enterprise(org, U2, "再次上会", status="contacted", status_since="2026-03-02", cadre="C02")
    earlier = plan_meeting(org, "SJ", datetime(2026, 5, 20, 6, 0, tzinfo=UTC), status="closed")
    engine = make_engine(org)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO agenda_item (meeting_id, case_id, reason, source, times_on_agenda, created_at) "
                          "VALUES (:m, :c, '上次会议', 'manual', 1, :t)"), {"m": earlier, "c": seen, "t": "2026-05-10 02:00:00"})
    engine.dispose()
    nxt = plan_meeting(org, "SJ", datetime(2026, 6, 25, 6, 0, tzinfo=UTC))
    cli("meeting", "add", nxt, U1, "--reason", "秘书列入", user="SEC1")
    result = escalate(cli)
    assert result["agenda_items"] == 2 and result["pending_meetings"] == 0
    items = sql(org, "SELECT case_id, source, times_on_agenda, reason FROM agenda_item WHERE meeting_id = :m ORDER BY case_id",
                m=nxt)
    assert items == [(by_hand, "manual", 1, "秘书列入"), (seen, "escalation", 2, "stalled: 72/30 working days in contacted")]
    assert sql(org, "SELECT e.case_id FROM escalation e JOIN agenda_item a ON a.id = e.agenda_item_id "
                    "WHERE e.level = 'meeting' AND a.meeting_id = :m ORDER BY e.case_id", m=nxt) == [(by_hand,), (seen,)]
    # The sweep put only the second case on the agenda: one `agenda` event each on the timelines.
    assert count(org, "case_event", "kind = 'agenda' AND case_id = :c", c=by_hand) == 1
    assert count(org, "case_event", "kind = 'agenda' AND case_id = :c", c=seen) == 1


def test_a_pending_meeting_escalation_of_a_finished_episode_stays_off_the_agenda(cli, org):
    add_enterprise(org, U1, "已推进", status="contacted", status_since="2026-03-02", cadre="C01")
    escalate(cli)
    cli("case", "prepare", U1, "--mode", "standalone", "--group-leader", "李强", "--applied-on", "2026-06-15", user="C01")
    plan_meeting(org, "SJ", datetime(2026, 6, 25, 6, 0, tzinfo=UTC))
    assert escalate(cli)["agenda_items"] == 0
    assert count(org, "agenda_item") == 0


# -- dry run, refusals, concurrency ----------------------------------------------------------------


def test_dry_run_writes_nothing_and_shows_what_would_fire(cli, org):
    add_enterprise(org, U1, "甲", status="contacted", status_since="2026-03-02", cadre="C01")
    add_enterprise(org, U2, "乙", status="prospect", status_since="2026-06-01", cadre="C02",
                   next_action_on=D("2026-06-15"))
    plan_meeting(org, "SJ", datetime(2026, 6, 25, 6, 0, tzinfo=UTC))
    tables = ("escalation", "case_event", "agenda_item", "outbox", "sweep_run")
    before = {t: count(org, t) for t in tables}
    dry = cli.json("escalate", "--dry-run")  # no acting user needed to look
    assert dry["dry_run"] is True and fired(dry) == ["remind", "overdue", "meeting", "next_action"]
    assert dry["agenda_items"] == 1
    assert {t: count(org, t) for t in tables} == before
    real = escalate(cli)
    strip = [{k: v for k, v in e.items() if k != "agenda_item_id"} for e in real["escalations"]]
    assert strip == [{k: v for k, v in e.items() if k != "agenda_item_id"} for e in dry["escalations"]]
    assert (real["emails_queued"], real["agenda_items"]) == (dry["emails_queued"], dry["agenda_items"])


def test_a_future_day_may_only_be_looked_at(cli, org):
    add_enterprise(org, U1, "甲", status="contacted", status_since="2026-05-04", cadre="C01")
    r = cli("escalate", "--as-of", "2026-07-01", user="A01", expect=1)
    assert r.stderr.strip() == ("Error: --as-of 2026-07-01 is in the future (today is 2026-06-15): "
                                "a sweep records what has happened; use --dry-run to look ahead")
    assert fired(cli.json("escalate", "--as-of", "2026-07-01", "--dry-run")) == ["remind", "overdue"]
    r = cli("escalate", "--as-of", "2040-01-02", "--dry-run", expect=1)
    assert r.stderr.strip() == "Error: --as-of 2040-01-02 is outside the working-day calendar (2004-01-01 to 2035-12-31)"


def test_running_the_sweep_needs_an_admin_or_supervisor(cli, org):
    r = cli("escalate", expect=1)
    assert r.stderr.strip() == "Error: this command changes data: say who you are with --as CODE or UNIONFLOW_USER"
    r = cli("escalate", user="C01", expect=1)
    assert r.stderr.strip() == "Error: C01 (cadre) may not run the escalation sweep: that needs the role admin, supervisor"
    cli("escalate", user="S01")
    r = cli("escalate", "--as-of", "yesterday", user="A01", expect=2)
    assert "'yesterday' is not a date" in r.stderr


def test_escalate_table_output(cli, org):
    add_enterprise(org, U1, "表格公司", status="contacted", status_since="2026-05-04", cadre="C01")
    out = cli("escalate", user="A01").stdout
    assert "As of 2026-06-15: 2 escalation(s) fired (remind 1, overdue 1); " in out
    assert cli("escalate", "--dry-run").stdout.rstrip().endswith("Dry run: nothing written.")


def test_two_sweeps_at_once_fire_each_escalation_exactly_once(org, make_ctx):
    from workflow.sweep import run_sweep

    usccs = valid_usccs(30, seed=11)
    starts = ["2026-02-02", "2026-03-02", "2026-04-01", "2026-04-20", "2026-05-11", "2026-06-01"]
    for i, u in enumerate(usccs):
        add_enterprise(org, u, f"并发{i}", status=("contacted", "preparatory", "prospect")[i % 3],
                       status_since=starts[i % len(starts)], cadre="C01",
                       next_action_on=D("2026-06-12") if i % 4 == 0 else None)
    expected = run_sweep(make_ctx(), dry_run=True)["escalations"]
    assert len(expected) > 30
    barrier, results, errors = threading.Barrier(2), [], []

    def sweep():
        ctx = make_ctx()  # its own engine and connections
        ctx.ready_engine  # noqa: B018 - connect before the start line
        barrier.wait()
        try:
            results.append(run_sweep(ctx, system=True))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    keys = [[(e["case_id"], e["level"], e["due_on"]) for e in r["escalations"]] for r in results]
    assert not set(keys[0]) & set(keys[1])
    assert sorted(keys[0] + keys[1]) == sorted((e["case_id"], e["level"], e["due_on"]) for e in expected)
    assert count(org, "escalation") == len(expected)
    assert count(org, "case_event", "kind = 'escalation'") == len(expected)


def test_timeline_note_in_the_readers_language(cli, org):
    """Written by a sweep in Chinese, read in either language (the facts are stored with the note)."""
    add_enterprise(org, U1, "中文公司", status="contacted", status_since="2026-03-02", cadre="C01")
    cli("escalate", "--as-of", "2026-04-03", user="A01", lang="zh")
    assert sql(org, "SELECT note FROM case_event WHERE kind = 'escalation'") == [("提醒：已对接 24/30 个工作日",)]
    for lang, note in (("zh", "提醒：已对接 24/30 个工作日"), ("en", "remind: 24 of 30 working days in contacted")):
        assert [h["note"] for h in cli.json("case", "history", U1, lang=lang) if h["kind"] == "escalation"] == [note]


def test_the_sweeps_memory_setting_holds_for_its_own_transaction_only(org, make_ctx):
    from workflow.calendar_store import prepare_calendar
    from workflow.sweep import SWEEP_WORK_MEM, sweep_in

    add_enterprise(org, U1, "内存公司", status="contacted", status_since="2026-03-02", cadre="C01")
    ctx = make_ctx()
    engine = ctx.ready_engine
    prepare_calendar(engine)
    with engine.connect() as conn:
        if conn.dialect.name != "postgresql":
            pytest.skip("work_mem is a PostgreSQL setting")
        conn.rollback()
        with conn.begin():
            default = conn.exec_driver_sql("SHOW work_mem").scalar()
        with conn.begin():
            sweep_in(conn, ctx, D("2026-06-15"))
            assert conn.exec_driver_sql("SHOW work_mem").scalar() == SWEEP_WORK_MEM
        with conn.begin():
            assert conn.exec_driver_sql("SHOW work_mem").scalar() == default != SWEEP_WORK_MEM
