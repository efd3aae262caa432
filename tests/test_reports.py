"""Coverage accounting: rates, as-of reconstruction, targets, the cadres' ledger, funnel, incentives, sign-ups."""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import insert, select

from tests.conftest import USCCS, add_enterprise, valid_usccs

U = valid_usccs(40, seed=11)

WIDE = {"COLUMNS": "200"}  # tables whose columns a test reads: room for whole headers and values


def add_case(db_url, uscc, name, park="SJ", *, status="prospect", status_since="2026-03-02", **kw) -> int:
    """An enterprise and its case as `enterprise import` leaves them: with the import event."""
    from workflow.db import make_engine
    from workflow.models import CaseEvent

    case_id = add_enterprise(db_url, uscc, name, park, status=status, status_since=status_since, **kw)
    engine = make_engine(db_url)
    with engine.begin() as conn:
        conn.execute(insert(CaseEvent.__table__).values(
            case_id=case_id, kind="import", event="import", to_status=status,
            occurred_on=date.fromisoformat(status_since), recorded_at=datetime.now(UTC)))
    engine.dispose()
    return case_id


def escalate(db_url, case_id, level="remind", as_of="2026-06-10", episode=None, status=None):
    """Test set-up: an escalation row as the sweep would write it (in the case's current episode by default)."""
    from workflow.db import make_engine
    from workflow.models import Escalation, FoundingCase

    engine = make_engine(db_url)
    with engine.begin() as conn:
        fc = FoundingCase.__table__
        case = conn.execute(select(fc.c.episode, fc.c.status).where(fc.c.id == case_id)).one()
        conn.execute(insert(Escalation.__table__).values(
            case_id=case_id, episode=episode or case.episode, level=level, status=status or case.status,
            working_days=24, allowed=30, as_of=date.fromisoformat(as_of), created_at=datetime.now(UTC)))
    engine.dispose()


# --------------------------------------------------------------------------------------------- rates
@pytest.fixture
def dataset(cli, org):
    """SJ: 双实 founded/active/prospect/closed, non-双实 contacted and a joint-union member; XP: two."""
    add_enterprise(org, U[0], "甲", status="founded", cadre="C01", employees=100, members=60, industry="汽车",
                   grid="G1", mode="standalone")
    add_enterprise(org, U[1], "乙", status="active", cadre="C01", employees=50, members=50, industry="汽车",
                   grid="G1", mode="standalone")
    add_enterprise(org, U[2], "丙", status="prospect", cadre="C02", employees=30, members=0, industry="电子",
                   grid="G2")
    add_enterprise(org, U[3], "丁", status="contacted", cadre="C02", employees=10, shuangshi=False, industry="电子")
    add_enterprise(org, U[4], "戊", status="closed", cadre="C01", employees=40, close_reason="moved_out",
                   closed_from="prospect", industry="汽车")
    add_enterprise(org, U[5], "己", status="contacted", status_since="2026-06-01", cadre="C01", employees=8,
                   members=3, shuangshi=False, grid="G2")
    add_enterprise(org, U[6], "庚", "XP", status="prospect", cadre="C03", employees=20)
    add_enterprise(org, U[7], "辛", "XP", status="founded", cadre="C03", employees=12, members=12, shuangshi=False)
    cli("joint-union", "add", "JU-G2", "第二网格联合工会", "--kind", "grid", "--park", "SJ", user="S01")
    cli("case", "prepare", U[5], "--mode", "joint", "--joint-union", "JU-G2", "--on", "2026-06-02", user="C01")
    cli("joint-union", "found", "JU-G2", "--approval-ref", "松总工〔2026〕7号", "--on", "2026-06-05", user="S01")
    return org


def measures(d, *keys):
    return tuple(d[k] for k in keys)


def test_founding_and_membership_rates(cli, dataset):
    report = cli.json("report", "coverage")
    assert report["as_of"] == "2026-06-15" and report["basis"] == "all" and report["rows"] == []
    total = report["total"]
    # 7 not closed; founded/active: 甲 乙 己 (joint union) 辛.
    assert measures(total, "enterprises", "covered", "rate") == (7, 4, round(4 / 7, 6))
    assert measures(total, "members", "employees", "membership_rate") == (125, 230, round(125 / 230, 6))
    assert measures(total, "covered_members", "covered_employees", "covered_membership_rate") == (
        125, 170, round(125 / 170, 6))

    by_park = cli.json("report", "coverage", "--by", "park")
    assert [measures(r, "group", "name", "enterprises", "covered", "rate") for r in by_park["rows"]] == [
        ("SJ", "松江经开区", 5, 3, 0.6), ("XP", "新浜园区", 2, 1, 0.5)]
    assert by_park["total"]["enterprises"] == 7 and by_park["total"]["covered"] == 4

    shuangshi = cli.json("report", "coverage", "--by", "park", "--basis", "shuangshi")
    assert shuangshi["basis"] == "shuangshi"
    assert [measures(r, "group", "enterprises", "covered") for r in shuangshi["rows"]] == [("SJ", 3, 2), ("XP", 1, 0)]
    assert measures(shuangshi["total"], "enterprises", "covered", "rate") == (4, 2, 0.5)

    rows = cli.json("report", "coverage", "--by", "cadre")["rows"]
    assert [measures(r, "group", "enterprises", "covered") for r in rows] == [("C01", 3, 3), ("C02", 2, 0), ("C03", 2, 1)]
    rows = cli.json("report", "coverage", "--by", "mode")["rows"]
    assert [measures(r, "group", "enterprises", "covered") for r in rows] == [
        ("joint", 1, 1), ("standalone", 2, 2), (None, 4, 1)]
    rows = cli.json("report", "coverage", "--by", "industry", "--park", "SJ")["rows"]
    assert [measures(r, "group", "enterprises", "covered") for r in rows] == [("汽车", 2, 2), ("电子", 2, 0), (None, 1, 1)]
    rows = cli.json("report", "coverage", "--by", "grid", "--basis", "shuangshi")["rows"]
    assert [measures(r, "group", "enterprises", "covered", "membership_rate") for r in rows] == [
        ("G1", 2, 2, round(110 / 150, 6)), ("G2", 1, 0, 0.0), (None, 1, 0, 0.0)]


def test_coverage_table_shows_percentages(cli, dataset):
    out = cli("report", "coverage", "--by", "park").stdout
    assert "60.0%" in out and "50.0%" in out and "57.1%" in out and "Total" in out
    out = cli("report", "coverage", lang="zh").stdout
    assert "建会率" in out and "合计" in out and "57.1%" in out


def test_coverage_refusals(cli, org):
    r = cli("report", "coverage", "--as-of", "2026-06-16", expect=1)
    assert r.stderr.strip() == "Error: --as-of 2026-06-16 is in the future (today is 2026-06-15)"
    r = cli("report", "coverage", "--monthly", "--from", "2026-01-01", expect=2)
    assert "--monthly needs --from DATE and --to DATE (and no --as-of)" in r.stderr
    r = cli("report", "coverage", "--from", "2026-01-01", expect=2)
    assert "--from and --to go with --monthly" in r.stderr
    r = cli("report", "coverage", "--monthly", "--from", "2026-05-01", "--to", "2026-01-01", expect=1)
    assert r.stderr.strip() == "Error: --from 2026-05-01 is after --to 2026-01-01"
    r = cli("report", "coverage", "--park", "NOPE", expect=1)
    assert r.stderr.strip() == "Error: no park with code 'NOPE': see `unionflow park list`"
    r = cli("report", "coverage", "--format", "xlsx", expect=2)
    assert "--format xlsx needs --out PATH" in r.stderr
    assert cli.json("report", "coverage")["total"] == {
        "enterprises": 0, "covered": 0, "members": 0, "employees": 0, "covered_members": 0, "covered_employees": 0,
        "rate": None, "membership_rate": None, "covered_membership_rate": None}


# --------------------------------------------------------------------------------------------- as of a past day
def found_standalone(cli, uscc, cadre, members):
    """Contacted on 10 March, preparatory (standalone) on 20 March, founded on 10 April with `members`."""
    cli("case", "contact", uscc, "--note", "见面", "--on", "2026-03-10", user=cadre)
    cli("case", "prepare", uscc, "--mode", "standalone", "--group-leader", "李强", "--applied-on", "2026-03-20",
        "--on", "2026-03-20", user=cadre)
    cli("case", "found", uscc, "--congress-on", "2026-04-09", "--approval-ref", "松总工〔2026〕1号", "--chair", "陈",
        "--members", str(members), "--on", "2026-04-10", user=cadre)


@pytest.fixture
def history(cli, org):
    """Cases moved with the CLI on different days: a setback, a close and a reopen."""
    a = add_case(org, U[10], "甲", cadre="C01", status_since="2026-03-02")
    found_standalone(cli, U[10], "C01", members=20)
    cli("case", "setback", U[10], "--reason", "批复被撤回", "--on", "2026-04-20", user="C01")
    cli("case", "found", U[10], "--congress-on", "2026-05-06", "--approval-ref", "松总工〔2026〕9号", "--chair", "陈",
        "--on", "2026-05-06", user="C01")  # a new approval: the withdrawn one was given up by the setback
    add_case(org, U[11], "乙", cadre="C01", status="contacted", status_since="2026-03-02")
    cli("case", "close", U[11], "--reason", "moved_out", "--on", "2026-04-01", user="A01")
    cli("case", "reopen", U[11], "--on", "2026-05-11", user="A01")
    add_case(org, U[12], "丙", cadre="C02", status="founded", status_since="2026-03-02")
    add_case(org, U[13], "丁", cadre="C02", status_since="2026-04-15")
    return a


@pytest.mark.parametrize(("day", "enterprises", "covered"), [
    ("2026-03-01", 0, 0),  # nothing imported yet
    ("2026-03-15", 3, 1),  # 甲 contacted, 乙 contacted, 丙 founded
    ("2026-04-05", 2, 1),  # 乙 closed: out of the denominator
    ("2026-04-12", 2, 2),  # 甲 founded
    ("2026-04-25", 3, 1),  # 甲 set back to preparatory; 丁 imported
    ("2026-05-06", 3, 2),  # 甲 founded again (the same day counts)
    ("2026-05-12", 4, 2),  # 乙 reopened
    ("2026-06-14", 4, 2),
    ("2026-06-15", 4, 2),  # today: the case rows themselves
])
def test_as_of_gives_what_was_true_that_day(cli, history, day, enterprises, covered):
    report = cli.json("report", "coverage", "--as-of", day, "--by", "cadre")
    assert report["as_of"] == day
    assert (report["total"]["enterprises"], report["total"]["covered"]) == (enterprises, covered)


def test_as_of_by_group_and_status(cli, history):
    rows = cli.json("report", "coverage", "--as-of", "2026-04-25", "--by", "cadre")["rows"]
    assert [measures(r, "group", "enterprises", "covered") for r in rows] == [("C01", 1, 0), ("C02", 2, 1)]
    funnel = {s["status"]: s["cases"] for s in cli.json("report", "funnel", "--as-of", "2026-04-05")["statuses"]}
    assert funnel == {"prospect": 0, "contacted": 0, "preparatory": 1, "founded": 1, "active": 0, "closed": 1}


def test_monthly_trend(cli, history):
    report = cli.json("report", "coverage", "--monthly", "--from", "2026-02-10", "--to", "2026-07-31")
    points = [(m["month"], m["as_of"], m["enterprises"], m["covered"]) for m in report["months"]]
    assert points == [
        ("2026-02", "2026-02-28", 0, 0),
        ("2026-03", "2026-03-31", 3, 1),
        ("2026-04", "2026-04-30", 3, 1),
        ("2026-05", "2026-05-31", 4, 2),
        ("2026-06", "2026-06-15", 4, 2),  # never after today
    ]
    by = cli.json("report", "coverage", "--monthly", "--from", "2026-04-01", "--to", "2026-04-30", "--by", "cadre")
    assert [(r["group"], r["enterprises"]) for r in by["months"][0]["rows"]] == [("C01", 1), ("C02", 2)]


def test_ledger_credits_only_foundings_that_still_hold(cli, org, history):
    """A founding set back, or whose case was closed, is not one the cadre achieved as of a later day."""
    def achieved(as_of):
        rows = {r["cadre"]: r for r in cli.json("report", "cadres", "--as-of", as_of, "--from", "2026-01-01")["cadres"]}
        return measures(rows["C01"], "founded_in_period", "achieved")

    assert achieved("2026-04-15") == (1, 1)  # 甲 founded on 10 April
    assert achieved("2026-04-25") == (0, 0)  # set back on 20 April: that founding did not hold
    assert achieved("2026-05-06") == (1, 1)  # founded again: one case, counted once
    add_case(org, U[14], "戊", cadre="C01", status_since="2026-03-02")
    found_standalone(cli, U[14], "C01", members=5)
    assert achieved("2026-05-06") == (2, 2)
    cli("case", "close", U[14], "--reason", "deregistered", "--on", "2026-05-20", user="A01")
    assert achieved("2026-05-19") == (2, 2)
    assert achieved("2026-05-20") == (1, 1)  # its union went with the enterprise
    assert achieved("2026-06-15") == (1, 1)


@pytest.fixture
def changing(cli, org):
    """Cases whose cadre, founding mode and members changed over time, all through the CLI (with events)."""
    cli("joint-union", "add", "JU", "联合工会", "--kind", "grid", "--park", "SJ", user="A01")
    cli("joint-union", "found", "JU", "--approval-ref", "松总工〔2026〕3号", "--on", "2026-01-05", user="A01")
    add_case(org, U[20], "甲", employees=100, members=0, status_since="2026-03-02")
    add_case(org, U[21], "乙", employees=50, members=40, status="founded", status_since="2026-01-05")
    add_case(org, U[22], "丙", employees=10, status_since="2026-03-02")
    add_case(org, U[23], "丁", employees=80, members=30, status="founded", status_since="2026-01-05")
    cli("assign", "C01", U[20], U[21], U[23], user="A01", today="2026-03-05")
    cli("assign", "C02", U[22], user="A01", today="2026-03-05")
    found_standalone(cli, U[20], "C01", members=60)
    cli("case", "contact", U[22], "--note", "见面", "--on", "2026-03-20", user="C02")
    cli("case", "prepare", U[22], "--mode", "joint", "--joint-union", "JU", "--on", "2026-04-01", user="C02")
    cli("case", "found", U[22], "--on", "2026-04-20", user="C02")  # joins the joint union: no member count
    cli("case", "setback", U[23], "--reason", "批复被撤回", "--on", "2026-03-10", user="C01")
    cli("case", "found", U[23], "--members", "50", "--on", "2026-04-10", user="C01")
    cli("assign", "C02", U[20], user="A01", today="2026-05-01")
    return org


def _groups(report):
    return [measures(r, "group", "enterprises", "covered", "members") for r in report["rows"]]


def test_as_of_reconstructs_cadre_mode_and_members(cli, changing):
    def rows(day, by):
        return _groups(cli.json("report", "coverage", "--as-of", day, "--by", by))

    # 1 March: only the two imported with a union; nobody was assigned yet, no mode chosen (乙 keeps its
    # imported 40 members; 丁's import count was overwritten by its later founding: its first count, 50).
    assert rows("2026-03-01", "cadre") == [(None, 2, 2, 90)]
    assert rows("2026-03-01", "mode") == [(None, 2, 2, 90)]
    # 15 March: 甲 contacted (no union, no members yet), 丁 set back (no union: 0), all assigned.
    assert rows("2026-03-15", "cadre") == [("C01", 3, 1, 40), ("C02", 1, 0, 0)]
    assert rows("2026-03-15", "mode") == [(None, 4, 1, 40)]
    # 15 April: 甲 founded standalone with 60 members, 丙 preparatory in the joint union, 丁 founded again (50).
    assert rows("2026-04-15", "mode") == [("joint", 1, 0, 0), ("standalone", 1, 1, 60), (None, 2, 2, 90)]
    assert rows("2026-04-15", "cadre") == [("C01", 3, 3, 150), ("C02", 1, 0, 0)]
    # 15 May: 甲 handed to C02 on 1 May; 丙 covered by the joint union since 20 April.
    assert rows("2026-05-15", "cadre") == [("C01", 2, 2, 90), ("C02", 2, 2, 60)]
    assert rows("2026-05-15", "mode") == [("joint", 1, 1, 0), ("standalone", 1, 1, 60), (None, 2, 2, 90)]
    assert rows("2026-05-15", "mode") == _groups(cli.json("report", "coverage", "--by", "mode"))  # as today

    trend = cli.json("report", "coverage", "--monthly", "--from", "2026-02-01", "--to", "2026-05-31")["months"]
    assert [(m["month"], m["members"], m["employees"], m["membership_rate"]) for m in trend] == [
        ("2026-02", 90, 130, round(90 / 130, 6)), ("2026-03", 40, 240, round(40 / 240, 6)),
        ("2026-04", 150, 240, 0.625), ("2026-05", 150, 240, 0.625)]

    ledger = {r["cadre"]: r for r in cli.json("report", "cadres", "--as-of", "2026-04-15")["cadres"]}
    assert measures(ledger["C01"], "portfolio", "founded", "founded_in_period") == (3, 3, 2)
    assert measures(ledger["C02"], "portfolio", "preparatory", "founded_in_period") == (1, 1, 0)
    before = {r["cadre"]: r["portfolio"] for r in cli.json("report", "cadres", "--as-of", "2026-03-01")["cadres"]}
    assert before[None] == 2 and before["C01"] == 0
    eligible = cli.json("report", "incentives", "--as-of", "2026-04-15")["eligible"]
    assert sorted((e["enterprise"], e["mode"], e["cadre"]) for e in eligible) == [
        ("丁", None, "C01"), ("乙", None, "C01"), ("甲", "standalone", "C01")]


def test_a_setback_before_preparatory_gives_up_the_founding_mode(cli, org):
    """Prepared as a joint-union member, set back to contacted, then founded standalone: the founding counts
    as standalone, and between the setback and the new preparation the case has no mode."""
    cli("joint-union", "add", "JU", "联合工会", "--kind", "grid", "--park", "SJ", user="A01")
    add_case(org, U[24], "甲", cadre="C01", employees=100, status="contacted", status_since="2026-03-02")
    cli("case", "prepare", U[24], "--mode", "joint", "--joint-union", "JU", "--on", "2026-03-10", user="C01")
    shown = cli.json("case", "setback", U[24], "--reason", "企业改为单独建会", "--on", "2026-03-20", user="C01")
    assert (shown["status"], shown["mode"]) == ("contacted", None)
    assert cli.json("case", "show", U[24])["joint_union"] is None
    assert [j["cases"] for j in cli.json("joint-union", "list")] == [0]
    cli("case", "prepare", U[24], "--mode", "standalone", "--group-leader", "李强", "--applied-on", "2026-04-01",
        "--on", "2026-04-01", user="C01")
    cli("case", "found", U[24], "--congress-on", "2026-04-09", "--approval-ref", "松总工〔2026〕1号", "--chair", "陈",
        "--members", "30", "--on", "2026-04-10", user="C01")

    def modes(day):
        return [measures(r, "group", "enterprises", "covered")
                for r in cli.json("report", "coverage", "--by", "mode", "--as-of", day)["rows"]]

    assert modes("2026-03-15") == [("joint", 1, 0)]
    assert modes("2026-03-25") == [(None, 1, 0)]  # given up on 20 March
    assert modes("2026-04-15") == [("standalone", 1, 1)]
    assert modes("2026-06-15") == [("standalone", 1, 1)]
    cli("case", "setback", U[24], "--reason", "批复被撤回", "--on", "2026-06-15", user="C01")  # to preparatory
    assert cli.json("case", "show", U[24])["mode"] == "standalone"  # still on its path


def test_benchmark_baseline_reconstructs_members_too(changing, db_url):
    from benchmarks.bench_reports import bench_coverage
    from workflow.db import make_engine

    engine = make_engine(db_url)
    try:
        rows = bench_coverage(engine, 4, repeat=1)  # raises when the report and the baseline disagree
    finally:
        engine.dispose()
    assert [r["name"] for r in rows][-1] == "coverage as of"


# --------------------------------------------------------------------------------------------- targets
def test_target_set_and_list(cli, org):
    r = cli("target", "set", "70%", "--by", "2026-12-31", "--park", "SJ", user="C01", expect=1)
    assert r.stderr.strip() == "Error: C01 (cadre) may not set a target: that needs the role admin"
    for bad, message in [
        ("70", "Error: RATE 70 is more than 1: give a fraction such as 0.7 or a percentage such as 70%"),
        ("seventy", "Error: RATE 'seventy' is not a rate: give a fraction such as 0.7 or a percentage such as 70%"),
        ("0%", "Error: RATE 0% must be more than 0% and at most 100%"),
        ("120%", "Error: RATE 120% must be more than 0% and at most 100%"),
    ]:
        assert cli("target", "set", bad, "--by", "2026-12-31", user="A01", expect=1).stderr.strip() == message
    first = cli.json("target", "set", "70%", "--by", "2026-12-31", "--park", "SJ", user="A01")
    assert first == {"id": first["id"], "park": "SJ", "rate": 0.7, "by": "2026-12-31", "basis": "all", "created": True}
    again = cli.json("target", "set", "0.75", "--by", "2026-12-31", "--park", "SJ", user="A01")
    assert again["id"] == first["id"] and again["created"] is False and again["rate"] == 0.75
    cli("target", "set", "0.8", "--by", "2027-12-31", "--basis", "shuangshi", user="A01")
    assert [(t["park"], t["rate"], t["by"], t["basis"]) for t in cli.json("target", "list")] == [
        ("SJ", 0.75, "2026-12-31", "all"), (None, 0.8, "2027-12-31", "shuangshi")]
    assert "75.0%" in cli("target", "list").stdout


def test_target_arithmetic(cli, org):
    today = "2026-09-24"  # a Thursday; 25–27 Sept Mid-autumn, 1–7 Oct National Day, Sat 10 Oct a working day
    for i in range(3):
        add_enterprise(org, U[i], f"已建{i}", status="founded", cadre="C01")
    for i in range(3, 7):
        add_enterprise(org, U[i], f"C01-{i}", status="prospect", cadre="C01")
    for i in range(7, 9):
        add_enterprise(org, U[i], f"C02-{i}", status="contacted", cadre="C02")
    add_enterprise(org, U[9], "无人负责", status="preparatory", mode="standalone")
    add_enterprise(org, U[10], "已注销", status="closed", cadre="C02", closed_from="prospect", close_reason="merged")
    add_enterprise(org, U[11], "新浜", "XP", status="prospect", cadre="C03")
    cli("target", "set", "70%", "--by", "2026-10-10", "--park", "SJ", user="A01")
    cli("target", "set", "100%", "--by", "2026-09-24", user="A01")

    report = cli.json("report", "targets", today=today)
    assert report["as_of"] == today
    sj, all_parks = report["targets"][1], report["targets"][0]
    assert measures(sj, "park", "target_rate", "enterprises", "covered", "rate") == ("SJ", 0.7, 10, 3, 0.3)
    assert sj["needed"] == 4  # ceil(0.7 × 10) − 3: 7, not 8
    assert sj["working_days_left"] == 6  # 28, 29, 30 Sept, 8, 9, 10 Oct
    assert sj["pace_per_week"] == round(4 * 5 / 6, 2)
    assert [(c["cadre"], c["open_cases"], c["share"]) for c in sj["cadres"]] == [
        ("C01", 4, 2), ("C02", 2, 1), (None, 1, 1)]  # exact 2.29, 1.14, 0.57: the largest remainder gets the 4th
    assert sum(c["share"] for c in sj["cadres"]) == sj["needed"]
    assert [c["share_exact"] for c in sj["cadres"]] == [2.29, 1.14, 0.57]
    assert all_parks["park"] is None and all_parks["needed"] == 8 and all_parks["working_days_left"] == 0
    assert all_parks["pace_per_week"] is None  # due today and not reached
    assert [(c["cadre"], c["share"]) for c in all_parks["cadres"]] == [("C01", 4), ("C02", 2), ("C03", 1), (None, 1)]

    out = cli("report", "targets", today=today, env=WIDE).stdout
    assert "70.0%" in out and "30.0%" in out
    sj_line = next(line for line in out.splitlines() if " SJ " in line)
    assert sj_line.split()[-2:] == ["3.33", "open"]  # the pace with two decimals, always
    all_line = next(line for line in out.splitlines() if "(all)" in line)  # as `target list` says
    assert all_line.split()[-2:] == ["0", "open"]  # due today, not reached: no pace, not missed yet
    assert [t["park"] for t in cli.json("report", "targets", "--park", "SJ", today=today)["targets"]] == ["SJ"]


def test_targets_as_of_a_past_day_count_only_the_cases_that_existed_then(cli, org):
    add_case(org, U[30], "甲", cadre="C01", status_since="2026-03-02")
    add_case(org, U[31], "乙", cadre="C01", status="founded", status_since="2026-03-02")
    add_case(org, U[32], "丙", cadre="C02", status_since="2026-05-04")  # imported in May
    add_enterprise(org, U[33], "丁", cadre="C02", status_since="2026-05-04")  # no history: from its status day
    cli("target", "set", "70%", "--by", "2026-12-31", "--park", "SJ", user="A01")

    def target(day):
        t = cli.json("report", "targets", "--as-of", day)["targets"][0]
        return measures(t, "enterprises", "covered", "needed", "open_cases"), [
            (s["cadre"], s["open_cases"], s["share"]) for s in t["cadres"]]

    assert target("2026-04-01") == ((2, 1, 1, 1), [("C01", 1, 1)])
    assert target("2026-06-15") == ((4, 1, 2, 3), [("C01", 1, 1), ("C02", 2, 1)])


def test_target_outcome_and_no_target_in_the_past(cli, org):
    r = cli("target", "set", "70%", "--by", "2026-06-14", user="A01", expect=1)
    assert r.stderr.strip() == ("Error: --by 2026-06-14 is in the past (today is 2026-06-15): a target is due on a day "
                                "still ahead")
    assert cli.json("target", "list") == []
    for i in range(4):
        add_case(org, U[i], f"甲{i}", cadre="C01", status_since="2026-03-02")
    cli("target", "set", "50%", "--by", "2026-04-30", user="A01", today="2026-03-02")
    cli("target", "set", "25%", "--by", "2026-05-29", user="A01", today="2026-03-02")
    cli("target", "set", "75%", "--by", "2026-12-31", user="A01", today="2026-03-02")
    cli("case", "contact", U[0], "--note", "见面", "--on", "2026-03-10", user="C01")
    cli("joint-union", "add", "JU", "联合工会", "--kind", "grid", "--park", "SJ", user="A01")
    cli("joint-union", "found", "JU", "--approval-ref", "松总工〔2026〕3号", "--on", "2026-03-02", user="A01")
    cli("case", "prepare", U[0], "--mode", "joint", "--joint-union", "JU", "--on", "2026-03-20", user="C01")
    cli("case", "found", U[0], "--on", "2026-05-20", user="C01")
    found_standalone(cli, U[1], "C01", members=10)
    cli("case", "setback", U[1], "--reason", "批复被撤回", "--on", "2026-06-01", user="C01")

    report = cli.json("report", "targets")["targets"]
    # 30 April: only 甲0's contact, nothing founded (missed); 29 May: 甲0 and 甲1 (met); end of year: open.
    assert [(t["by"], t["outcome"], t["rate_on_due_day"], t["rate"]) for t in report] == [
        ("2026-04-30", "missed", 0.25, 0.25), ("2026-05-29", "met", 0.5, 0.25), ("2026-12-31", "open", None, 0.25)]
    earlier = cli.json("report", "targets", "--as-of", "2026-05-29")["targets"]
    assert [(t["outcome"], t["rate"]) for t in earlier] == [("missed", 0.5), ("met", 0.5), ("open", 0.5)]
    lines = cli("report", "targets", env=WIDE).stdout.splitlines()
    assert [line.split()[-1] for line in lines[3:6]] == ["missed", "met", "open"]
    zh = cli("report", "targets", lang="zh", env=WIDE).stdout
    assert "完成情况" in zh and "未达成" in zh and "已达成" in zh and "进行中" in zh


# --------------------------------------------------------------------------------------------- the ledger
def test_cadres_ledger(cli, org):
    p1 = add_enterprise(org, U[0], "P1", status="prospect", cadre="C01")
    p2 = add_enterprise(org, U[1], "P2", status="contacted", cadre="C01", episode=3)
    add_enterprise(org, U[2], "F1", status="preparatory", cadre="C01", status_since="2026-05-04", mode="standalone",
                   group_leader="李", applied_on=date(2026, 5, 4))
    add_enterprise(org, U[3], "A1", status="active", cadre="C01", mode="standalone")
    add_enterprise(org, U[4], "X1", status="closed", cadre="C01", closed_from="prospect", close_reason="merged")
    add_enterprise(org, U[5], "P3", status="prospect", cadre="C02")
    cli("case", "found", U[2], "--congress-on", "2026-06-01", "--approval-ref", "松总工〔2026〕2号", "--chair", "陈",
        "--members", "30", "--on", "2026-06-02", user="C01")
    escalate(org, p1, "remind", as_of="2026-06-01")
    escalate(org, p1, "overdue", as_of="2026-06-10")
    escalate(org, p2, "remind", as_of="2026-05-20", episode=2, status="prospect")  # an earlier stay
    escalate(org, p2, "remind", as_of="2025-12-01", episode=1, status="prospect")  # before the period
    cli("target", "set", "70%", "--by", "2026-12-31", "--park", "SJ", user="A01")

    ledger = cli.json("report", "cadres")
    assert ledger["as_of"] == "2026-06-15" and ledger["from"] == "2026-01-01"
    rows = {r["cadre"]: r for r in ledger["cadres"]}
    assert set(rows) == {"C01", "C02", "C03", "S01", "S02"}
    c01 = rows["C01"]
    assert measures(c01, "portfolio", "prospect", "contacted", "preparatory", "founded", "active", "closed") == (
        4, 1, 1, 0, 1, 1, 1)
    assert measures(c01, "founded_in_period", "stalled", "escalations") == (1, 1, 3)
    # SJ: 5 not closed, 2 covered: ceil(3.5) − 2 = 2 needed; open portfolios C01 2, C02 1 → 1.33 / 0.67 → 1 / 1.
    assert measures(c01, "target_rate", "target_by", "gap_share", "achieved") == (0.7, "2026-12-31", 1, 1)
    assert measures(rows["C02"], "portfolio", "prospect", "stalled", "gap_share", "achieved") == (1, 1, 0, 1, 0)
    assert measures(rows["C03"], "portfolio", "target_id", "target_rate", "gap_share") == (0, None, None, None)

    period = {r["cadre"]: r for r in cli.json("report", "cadres", "--from", "2026-06-05")["cadres"]}
    assert measures(period["C01"], "founded_in_period", "escalations") == (0, 1)
    past = {r["cadre"]: r for r in cli.json("report", "cadres", "--as-of", "2026-06-05", "--park", "SJ")["cadres"]}
    assert set(past) == {"C01", "C02", "S01"}
    # On 5 June the reminder of 1 June was in P1's stay (the overdue one came later); P2's was in an earlier stay.
    assert measures(past["C01"], "portfolio", "founded", "stalled", "escalations") == (4, 1, 1, 2)
    r = cli("report", "cadres", "--from", "2026-07-01", expect=1)
    assert r.stderr.strip() == "Error: --from 2026-07-01 is after --as-of 2026-06-15"


def test_ledger_says_founded_as_coverage_does(cli, dataset):
    """"Founded" is founded or active in both reports; the status column is named for what it counts."""
    assert measures(cli.json("report", "cadres")["cadres"][0], "cadre", "founded", "active", "covered") == (
        "C01", 2, 1, 3)
    coverage = cli("report", "coverage", "--by", "cadre", env=WIDE).stdout.splitlines()
    ledger = cli("report", "cadres", env=WIDE).stdout.splitlines()
    assert coverage[1].split()[:5] == ["Cadre", "Name", "Enterprises", "Founded", "Founding"]
    assert ledger[1].split()[:4] == ["Cadre", "Name", "Portfolio", "Founded"]
    c01 = next(line.split() for line in ledger if line.startswith("C01"))
    assert c01[:4] == ["C01", "王芳", "3", "3"]  # as `coverage --by cadre`: 甲 founded, 乙 active, 己 joint
    headers = cli("report", "cadres", "--format", "csv", lang="zh").stdout.lstrip("\ufeff").splitlines()[0].split(",")
    assert headers[:5] == ["包干干部", "姓名", "园区", "包干企业数", "已建会企业数"]
    assert "已建会（未规范运行）" in headers and "规范运行" in headers
    assert cli("report", "coverage", "--by", "cadre", lang="zh").stdout.splitlines()[1].split()[:2] == [
        "包干干部", "姓名"]


def test_empty_keys_are_named_in_human_formats(cli, dataset):
    add_enterprise(dataset, U[8], "无人负责", status="prospect", employees=30)
    cli("target", "set", "90%", "--by", "2026-12-31", "--park", "SJ", user="A01")
    table = cli("report", "coverage", "--by", "cadre").stdout
    assert "(unassigned)" in table
    assert [line.split()[:2] for line in cli("report", "coverage", "--by", "mode", env=WIDE).stdout.splitlines()[3:6]] == [
        ["joint", "1"], ["standalone", "2"], ["(not", "recorded)"]]
    zh = cli("report", "coverage", "--by", "mode", "--format", "csv", lang="zh").stdout
    assert "\n（未记录）,5,1," in zh
    page = cli("report", "coverage", "--by", "cadre", "--format", "html").stdout
    assert "<td>(unassigned)</td>" in page
    assert cli.json("report", "coverage", "--by", "cadre")["rows"][-1]["group"] is None  # JSON keeps null

    targets = cli.json("report", "targets")["targets"][0]["cadres"]
    assert (targets[-1]["cadre"], targets[-1]["share"]) == (None, 1)
    assert "(unassigned)" in cli("report", "targets").stdout
    ledger = cli.json("report", "cadres")["cadres"]
    assert measures(ledger[-1], "cadre", "portfolio", "target_rate", "gap_share") == (None, 1, 0.9, 1)
    unassigned = next(line for line in cli("report", "cadres", env=WIDE).stdout.splitlines() if line.startswith("("))
    assert unassigned.split()[:2] == ["(unassigned)", "1"] and unassigned.split()[-2:] == ["1", "0"]
    park = {r["cadre"]: r["gap_share"] for r in cli.json("report", "cadres", "--park", "SJ")["cadres"]}
    assert park[None] == 1 and "（未分配）" in cli("report", "cadres", lang="zh").stdout


def test_stalled_as_of_a_past_day_uses_the_stay_of_that_day(cli, org):
    p = add_case(org, U[0], "P", cadre="C01", status_since="2026-04-01")
    escalate(org, p, "remind", as_of="2026-05-04")
    cli("case", "contact", U[0], "--note", "终于见到", "--on", "2026-05-20", user="C01")
    assert cli.json("report", "cadres", "--as-of", "2026-05-10")["cadres"][0]["stalled"] == 1
    assert cli.json("report", "cadres", "--as-of", "2026-05-01")["cadres"][0]["stalled"] == 0
    assert cli.json("report", "cadres", "--as-of", "2026-05-25")["cadres"][0]["stalled"] == 0  # a new stay
    assert cli.json("report", "cadres")["cadres"][0]["stalled"] == 0


# --------------------------------------------------------------------------------------------- funnel
def test_funnel_medians_in_working_days(cli, org):
    for u in U[:3]:
        add_case(org, u, u[-4:], cadre="C01", status_since="2026-05-18")
    cli("case", "contact", U[0], "--note", "x", "--on", "2026-05-25", user="C01")  # prospect 5
    cli("joint-union", "add", "JU", "联合工会", "--kind", "grid", "--park", "SJ", user="A01")
    cli("case", "prepare", U[0], "--mode", "joint", "--joint-union", "JU", "--on", "2026-06-01", user="C01")  # contacted 5
    cli("case", "contact", U[1], "--note", "x", "--on", "2026-05-20", user="C01")  # prospect 2
    cli("case", "contact", U[2], "--note", "x", "--on", "2026-06-01", user="C01")  # prospect 10
    cli("case", "setback", U[2], "--reason", "y", "--on", "2026-06-03", user="C01")  # contacted 2

    rows = {s["status"]: s for s in cli.json("report", "funnel")["statuses"]}
    assert list(rows) == ["prospect", "contacted", "preparatory", "founded", "active", "closed"]
    got = {s: measures(r, "cases", "stays", "median_days", "median_days_current") for s, r in rows.items()}
    assert got == {
        "prospect": (1, 3, 5, 8),          # stays 5, 2, 10; U2 in prospect again since 3 June
        "contacted": (1, 2, 3.5, 18),      # stays 5, 2; U1 contacted since 20 May
        "preparatory": (1, 0, None, 10),   # U0 preparatory since 1 June
        "founded": (0, 0, None, None),
        "active": (0, 0, None, None),
        "closed": (0, 0, None, None),
    }
    earlier = {s["status"]: s for s in cli.json("report", "funnel", "--as-of", "2026-05-27")["statuses"]}
    assert measures(earlier["prospect"], "cases", "stays", "median_days", "median_days_current") == (1, 2, 3.5, 7)
    assert measures(earlier["contacted"], "cases", "median_days_current") == (2, 3.5)  # 2 and 5 days
    assert "3.5" in cli("report", "funnel").stdout


# --------------------------------------------------------------------------------------------- incentives
def test_incentive_and_constraint_lists(cli, org):
    add_enterprise(org, U[0], "已建会", status="founded", cadre="C01", mode="standalone", founded_on=date(2026, 3, 2))
    add_enterprise(org, U[1], "规范运行", status="active", cadre="C01", mode="standalone",
                   founded_on=date(2025, 9, 1), activated_on=date(2026, 1, 5))
    stalled = add_enterprise(org, U[2], "停滞", status="prospect", cadre="C01", employees=40)
    add_enterprise(org, U[3], "开业已久", status="contacted", cadre="C02", employees=30, opened_on=date(2025, 11, 1))
    add_enterprise(org, U[4], "新开业", status="prospect", cadre="C02", employees=30, opened_on=date(2026, 1, 1))
    small = add_enterprise(org, U[5], "小企业", status="prospect", cadre="C02", employees=20)
    add_enterprise(org, U[6], "已注销", status="closed", employees=100, opened_on=date(2020, 1, 1),
                   closed_from="prospect", close_reason="deregistered")
    both = add_enterprise(org, U[7], "两者", "XP", status="prospect", cadre="C03", employees=25,
                          opened_on=date(2025, 1, 1))
    for case_id in (stalled, small, both):
        escalate(org, case_id, "meeting")

    report = cli.json("report", "incentives")
    assert report["programmes"] == ["talent_apartment", "member_supermarket"]
    assert [(e["uscc"], e["status"], e["founded_on"], e["activated_on"]) for e in report["eligible"]] == sorted([
        (U[0], "founded", "2026-03-02", None), (U[1], "active", "2025-09-01", "2026-01-05")])
    assert [(c["enterprise"], c["employees"], c["reasons"]) for c in report["constraints"]] == [
        *sorted([("停滞", 40, "stalled"), ("开业已久", 30, "past_6_months")],
                key=lambda c: {"停滞": U[2], "开业已久": U[3]}[c[0]]),
        ("两者", 25, "stalled, past_6_months"),
    ]
    xp = cli.json("report", "incentives", "--park", "XP")
    assert xp["eligible"] == [] and [c["uscc"] for c in xp["constraints"]] == [U[7]]
    # Words, not codes, in every human format and language; --json keeps the codes.
    table = cli("report", "incentives", "--sheet", "constraints", env=WIDE).stdout
    assert "stalled, more than 6 months after opening" in table and "past_6_months" not in table
    csv_text = cli("report", "incentives", "--sheet", "constraints", "--format", "csv").stdout
    assert ",more than 6 months after opening," in csv_text and "past_6" not in csv_text
    assert "停滞、开业已超过 6 个月" in cli("report", "incentives", lang="zh").stdout


# --------------------------------------------------------------------------------------------- sign-ups
def test_signups_flag_an_enterprise_without_a_union(cli, org, tmp_path):
    add_enterprise(org, USCCS[0], "甲", status="contacted", cadre="C01")
    add_enterprise(org, USCCS[1], "乙", status="founded", cadre="C01", mode="standalone")
    assert cli.json("case", "show", USCCS[0])["signup_flag"] is False
    r = cli.json("enterprise", "signups", USCCS[0], "6", "--on", "2026-06-10", user="C01")
    assert r == {"uscc": USCCS[0], "enterprise": "甲", "added": 6, "signups": 6, "threshold": 10, "signup_flag": False}
    out = cli("enterprise", "signups", USCCS[0].lower(), "4", user="S01").stdout
    assert out.strip() == "4 sign-up(s) recorded for 甲: 10 in all. Flagged: sign-ups reached the threshold."
    shown = cli.json("case", "show", USCCS[0])
    assert shown["signups"] == 10 and shown["signup_flag"] is True and shown["version"] == 1
    events = [h for h in cli.json("case", "history", USCCS[0]) if h["kind"] == "signup"]
    assert [(e["occurred_on"], e["actor"], e["data"]) for e in events] == [
        ("2026-06-10", "C01", {"count": 6, "total": 6}), ("2026-06-15", "S01", {"count": 4, "total": 10})]
    cli("enterprise", "signups", USCCS[1], "12", user="A01")
    assert cli.json("case", "show", USCCS[1])["signup_flag"] is False  # it has a union

    config = tmp_path / "low.toml"
    config.write_text("[general]\nsignup_threshold = 3\n", encoding="utf-8")
    add_enterprise(org, USCCS[2], "丙", status="prospect", cadre="C02")
    assert cli.json("enterprise", "signups", USCCS[2], "3", user="C02",
                    env={"UNIONFLOW_CONFIG": str(config)})["signup_flag"] is True
    assert cli.json("case", "show", USCCS[2], env={"UNIONFLOW_CONFIG": str(config)})["signup_flag"] is True
    assert cli.json("case", "show", USCCS[2])["signup_flag"] is False


def test_signup_refusals(cli, org):
    add_enterprise(org, USCCS[0], "甲", status="contacted", cadre="C01")
    r = cli("enterprise", "signups", USCCS[0], "2", user="C03", expect=1)
    assert r.stderr.strip() == (f"Error: C03 (cadre) may not record sign-ups for {USCCS[0]} (甲): "
                                "that needs an admin or a cadre, social worker or supervisor of park SJ")
    assert "SEC1 (secretary) may not record sign-ups" in cli("enterprise", "signups", USCCS[0], "2", user="SEC1",
                                                              expect=1).stderr
    assert "0 is not in the range 1<=x<=10000000" in cli("enterprise", "signups", USCCS[0], "0", user="C01", expect=2).stderr
    r = cli("enterprise", "signups", USCCS[5], "2", user="C01", expect=1)
    assert r.stderr.strip() == f"Error: no enterprise with USCC {USCCS[5]}: see `unionflow enterprise list`"
    r = cli("enterprise", "signups", USCCS[0], "2", "--on", "2026-07-01", user="C01", expect=1)
    assert "--on 2026-07-01 is in the future" in r.stderr
    assert cli("enterprise", "signups", USCCS[0], "2", expect=1).stderr.startswith("Error: this command changes data")
    assert cli.json("case", "show", USCCS[0])["signups"] == 0


# --------------------------------------------------------------------------------------------- benchmark
def test_benchmark_comparison_agrees_with_hand_written_sql(history, db_url):
    from benchmarks.bench_reports import bench_coverage
    from workflow.db import make_engine

    engine = make_engine(db_url)
    try:
        rows = bench_coverage(engine, 4, repeat=1)
    finally:
        engine.dispose()
    assert [r["name"] for r in rows] == ["coverage by park", "coverage by cadre", "coverage as of"]
    assert all(r["n"] == 4 and r["seconds"] > 0 and r["baseline_seconds"] > 0 and r["ratio"] > 0 for r in rows)
