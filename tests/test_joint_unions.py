"""Joint unions: adding, founding (which founds every attached preparatory case, atomically), listing."""

import pytest
from sqlalchemy import text

from tests.conftest import USCCS, add_enterprise

U = USCCS


def attach(cli, org, uscc, name, ju, on="2026-06-02", cadre="C01", park="SJ"):
    """An enterprise in contacted, prepared as a joint founding with `ju`."""
    add_enterprise(org, uscc, name, park, status="contacted", status_since="2026-06-01", cadre=cadre, employees=8,
                   shuangshi=False)
    cli("case", "prepare", uscc, "--mode", "joint", "--joint-union", ju, "--on", on, user=cadre)


@pytest.fixture
def ju(cli, org):
    cli("joint-union", "add", "JU-G01", "第一网格联合工会", "--kind", "grid", "--park", "SJ", user="S01")
    return "JU-G01"


def test_add_needs_admin_or_a_supervisor_of_the_park(cli, org):
    r = cli("joint-union", "add", "JU-X", "新浜联合工会", "--kind", "cluster", "--park", "SJ", user="S02", expect=1)
    assert r.stderr.strip() == (
        "Error: S02 (supervisor) may not add a joint union in park SJ: "
        "that needs the role admin or a supervisor of park SJ"
    )
    r = cli("joint-union", "add", "JU-X", "x", "--kind", "cluster", "--park", "SJ", user="C01", expect=1)
    assert "C01 (cadre) may not add a joint union in park SJ" in r.stderr
    r = cli("joint-union", "add", "JU-X", "x", "--kind", "street", "--park", "SJ", user="A01", expect=2)
    assert "'street' is not one of 'grid', 'cluster', 'park_in_park'" in r.stderr
    cli("joint-union", "add", "JU-X", "园中园联合工会", "--kind", "park_in_park", "--park", "XP", user="A01")
    r = cli("joint-union", "add", "JU-X", "again", "--kind", "grid", "--park", "XP", user="S02", expect=1)
    assert r.stderr.strip() == "Error: a joint union with code 'JU-X' already exists"
    r = cli("joint-union", "add", "JU-Y", "y", "--kind", "grid", "--park", "NOPE", user="A01", expect=1)
    assert r.stderr.strip() == "Error: no park with code 'NOPE': see `unionflow park list`"
    assert cli.json("joint-union", "list") == [{
        "code": "JU-X", "name": "园中园联合工会", "kind": "park_in_park", "park": "XP", "founded_on": None,
        "approval_ref": None, "cases": 0, "covered": 0,
    }]


def test_founding_advances_every_attached_preparatory_case_with_one_event_each(cli, org, ju):
    attach(cli, org, U[0], "甲公司", ju, on="2026-06-02")
    attach(cli, org, U[1], "乙公司", ju, on="2026-06-10", cadre="C02")  # entered preparatory after --on below
    attach(cli, org, U[2], "丙公司", ju)
    cli("case", "setback", U[2], "--reason", "老板改主意", user="C01")  # back to contacted: stays there
    cli("joint-union", "add", "JU-G02", "第二网格联合工会", "--kind", "grid", "--park", "SJ", user="A01")
    attach(cli, org, U[3], "丁公司", "JU-G02")  # another joint union's case
    before = {u: cli.json("case", "show", u) for u in U[:4]}

    result = cli.json("joint-union", "found", ju, "--approval-ref", "松总工〔2026〕31号", "--on", "2026-06-05",
                      user="S01")
    assert result == {"code": ju, "founded_on": "2026-06-05", "approval_ref": "松总工〔2026〕31号", "cases_founded": 2}
    after = {u: cli.json("case", "show", u) for u in U[:4]}
    assert [after[u]["status"] for u in U[:4]] == ["founded", "founded", "contacted", "preparatory"]
    assert after[U[0]]["status_since"] == after[U[0]]["founded_on"] == "2026-06-05"
    assert after[U[1]]["status_since"] == "2026-06-10"  # it joined the founded union the day it entered
    for u in U[:2]:
        assert after[u]["version"] == before[u]["version"] + 1
        assert after[u]["episode"] == before[u]["episode"] + 1
        events = [h for h in cli.json("case", "history", u) if h["event"] == "found"]
        assert len(events) == 1
        e = events[0]
        assert (e["kind"], e["from_status"], e["to_status"], e["actor"]) == ("transition", "preparatory", "founded", "S01")
        assert e["note"] == f"joint union {ju} founded (松总工〔2026〕31号)"
    assert events[0]["occurred_on"] == "2026-06-10"
    for u in U[2:4]:
        assert after[u]["version"] == before[u]["version"]
    listed = {j["code"]: j for j in cli.json("joint-union", "list")}
    # 丙 gave up the joint union when set back to contacted: no longer attached.
    assert listed[ju]["founded_on"] == "2026-06-05" and listed[ju]["cases"] == 2 and listed[ju]["covered"] == 2
    assert listed["JU-G02"]["covered"] == 0

    r = cli("joint-union", "found", ju, "--approval-ref", "again", user="A01", expect=1)
    assert r.stderr.strip() == f"Error: joint union {ju} was already founded on 2026-06-05 (松总工〔2026〕31号)"


def test_founding_refusals(cli, org, ju):
    r = cli("joint-union", "found", ju, "--approval-ref", "  ", user="S01", expect=1)
    assert r.stderr.strip() == "Error: --approval-ref must give the higher union's approval reference (批复文号)"
    r = cli("joint-union", "found", ju, "--approval-ref", "x", "--on", "2026-06-16", user="S01", expect=1)
    assert "--on 2026-06-16 is in the future (today is 2026-06-15)" in r.stderr
    r = cli("joint-union", "found", ju, "--approval-ref", "x", user="S02", expect=1)
    assert "S02 (supervisor) may not found a joint union in park SJ" in r.stderr
    r = cli("joint-union", "found", "JU-NONE", "--approval-ref", "x", user="A01", expect=1)
    assert r.stderr.strip() == "Error: no joint union 'JU-NONE': see `unionflow joint-union list`"
    assert cli.json("joint-union", "list")[0]["founded_on"] is None


def test_a_case_attached_to_a_founded_joint_union_is_founded_directly(cli, org, ju):
    attach(cli, org, U[0], "甲公司", ju)
    r = cli("case", "found", U[0], user="C01", expect=1)
    assert "found the joint union first (`unionflow joint-union found CODE`)" in r.stderr
    cli("case", "setback", U[0], "--reason", "暂缓", user="C01")
    cli("joint-union", "found", ju, "--approval-ref", "松总工〔2026〕31号", "--on", "2026-06-05", user="A01")
    assert cli.json("case", "show", U[0])["status"] == "contacted"  # not preparatory: not carried along
    cli("case", "prepare", U[0], "--mode", "joint", "--joint-union", ju, user="C01")
    shown = cli.json("case", "found", U[0], user="C01")
    assert shown["status"] == "founded" and shown["status_since"] == "2026-06-15"


def test_a_case_is_not_founded_through_a_joint_union_before_the_union_was_founded(cli, org, ju):
    cli("joint-union", "found", ju, "--approval-ref", "松总工〔2026〕31号", "--on", "2026-06-10", user="A01")
    attach(cli, org, U[0], "甲公司", ju, on="2026-06-02")  # prepared before the union's founding
    r = cli("case", "found", U[0], "--on", "2026-06-05", user="C01", expect=1)
    assert r.stderr.strip() == (f"Error: --on 2026-06-05 is before 2026-06-10, the day joint union {ju} was founded: "
                                f"case 1 ({U[0]}) joins it on that day or later")
    shown = cli.json("case", "show", U[0])
    assert (shown["status"], shown["version"]) == ("preparatory", 2)
    shown = cli.json("case", "found", U[0], "--on", "2026-06-10", user="C01")
    assert (shown["status"], shown["status_since"]) == ("founded", "2026-06-10")


def test_a_joint_founding_of_an_enterprise_the_law_wants_standalone_is_warned_not_refused(cli, org, ju):
    add_enterprise(org, U[0], "大厂", status="contacted", status_since="2026-06-01", cadre="C01", employees=120,
                   shuangshi=True)
    r = cli("case", "prepare", U[0], "--mode", "joint", "--joint-union", ju, user="C01")
    assert r.stderr == (f"Warning: case 1 ({U[0]}) is 双实 with 120 employees: the Trade Union Law (Art. 11) has an "
                        "employer of 25 or more set up its own union committee, so standalone founding is recommended "
                        "(`case show` says so)\n")
    assert cli.json("case", "show", U[0])["mode"] == "joint"
    cli("case", "setback", U[0], "--reason", "改为单独建会", user="C01")
    shown = cli.json("case", "prepare", U[0], "--mode", "standalone", "--group-leader", "李强", "--applied-on",
                     "2026-06-15", user="C01")
    assert shown["warnings"] == []
    attach(cli, org, U[1], "小店", ju)  # 8 employees, not 双实: joint is the path
    assert cli.json("case", "show", U[1])["mode"] == "joint"


def test_founding_is_one_transaction(org, cli, ju, make_ctx, db_url):
    """If writing one case's event fails, nothing is written: not the union, not any case."""
    from workflow.joint_unions import found_joint_union

    attach(cli, org, U[0], "甲公司", ju)
    attach(cli, org, U[1], "乙公司", ju)
    ctx = make_ctx("A01")
    with ctx.engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.execute(text("CREATE TRIGGER no_found BEFORE INSERT ON case_event WHEN NEW.event = 'found' "
                              "BEGIN SELECT RAISE(ABORT, 'refused by test trigger'); END"))
        else:
            conn.execute(text("CREATE FUNCTION no_found() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                              "IF NEW.event = 'found' THEN RAISE EXCEPTION 'refused by test trigger'; END IF; "
                              "RETURN NEW; END $$"))
            conn.execute(text("CREATE TRIGGER no_found BEFORE INSERT ON case_event FOR EACH ROW "
                              "EXECUTE FUNCTION no_found()"))
    with pytest.raises(Exception, match="refused by test trigger"):
        found_joint_union(ctx, ju, "松总工〔2026〕31号")
    assert [cli.json("case", "show", u)["status"] for u in U[:2]] == ["preparatory", "preparatory"]
    assert cli.json("joint-union", "list")[0]["founded_on"] is None
    assert all(h["event"] != "found" for u in U[:2] for h in cli.json("case", "history", u))


def test_a_case_joins_only_a_joint_union_of_its_park_or_a_park_above(cli, org, ju):
    cli("joint-union", "add", "JU-X1", "新浜联合工会", "--kind", "grid", "--park", "XP", user="A01")
    add_enterprise(org, U[0], "甲公司", "SJ", status="contacted", status_since="2026-06-01", cadre="C01", employees=8)
    r = cli("case", "prepare", U[0], "--mode", "joint", "--joint-union", "JU-X1", user="C01", expect=1)
    case_id = cli.json("case", "show", U[0])["id"]
    assert r.stderr.strip() == (
        f"Error: joint union JU-X1 belongs to park XP, and case {case_id} ({U[0]}) is in park SJ: a case joins a joint "
        "union of its own park or of a park above it (see `unionflow joint-union list`)")
    assert cli.json("case", "show", U[0])["status"] == "contacted"
    # A sub-park's enterprise may join its parent park's union, not the other way round.
    cli("park", "add", "SJ-A", "松江A园", "--parent", "SJ", "--level", "district", user="A01")
    cli("joint-union", "add", "JU-A1", "A园园中园联合工会", "--kind", "park_in_park", "--park", "SJ-A", user="A01")
    add_enterprise(org, U[1], "乙公司", "SJ-A", status="contacted", status_since="2026-06-01", cadre="C01", employees=8)
    assert cli.json("case", "prepare", U[1], "--mode", "joint", "--joint-union", ju, user="C01")["status"] == "preparatory"
    r = cli("case", "prepare", U[0], "--mode", "joint", "--joint-union", "JU-A1", user="C01", expect=1)
    assert "joint union JU-A1 belongs to park SJ-A" in r.stderr


def test_founding_a_joint_union_leaves_another_parks_stale_link_alone(cli, org, ju, db_url):
    from sqlalchemy import update

    from workflow.db import make_engine
    from workflow.tables import CASE

    cli("joint-union", "add", "JU-X1", "新浜联合工会", "--kind", "grid", "--park", "XP", user="A01")
    attach(cli, org, U[0], "甲公司", ju)
    engine = make_engine(db_url)  # a link made before `case prepare` checked the park
    with engine.begin() as conn:
        conn.execute(update(CASE).values(joint_union_id=select_id(conn, "JU-X1")))
    engine.dispose()
    assert cli.json("joint-union", "found", "JU-X1", "--approval-ref", "x", user="A01")["cases_founded"] == 0
    assert cli.json("case", "show", U[0])["status"] == "preparatory"
    r = cli("case", "found", U[0], user="C01", expect=1)
    assert "joint union JU-X1 belongs to park XP" in r.stderr


def select_id(conn, code):
    from sqlalchemy import select

    from workflow.tables import JU

    return conn.execute(select(JU.c.id).where(JU.c.code == code)).scalar_one()


def test_preparing_standalone_after_a_joint_preparation_drops_the_joint_union(cli, org, ju):
    attach(cli, org, U[0], "甲公司", ju)
    cli("case", "setback", U[0], "--reason", "改为单独建会", user="C01")
    cli("case", "prepare", U[0], "--mode", "standalone", "--group-leader", "李强", "--applied-on", "2026-06-15",
        user="C01")
    cli("case", "found", U[0], "--congress-on", "2026-06-15", "--approval-ref", "松总工〔2026〕12号", "--chair", "陈静",
        "--members", "5", user="C01")
    shown = cli.json("case", "show", U[0])
    assert (shown["mode"], shown["joint_union"], shown["status"]) == ("standalone", None, "founded")
    listed = cli.json("joint-union", "list")[0]
    assert (listed["cases"], listed["covered"]) == (0, 0)
    # And back to joint: the standalone facts of the founding that did not hold go too (the timeline keeps them).
    for _ in range(2):
        cli("case", "setback", U[0], "--reason", "筹备组解散", user="C01")
    shown = cli.json("case", "prepare", U[0], "--mode", "joint", "--joint-union", ju, user="C01")
    shown = cli.json("case", "show", U[0])
    assert (shown["mode"], shown["joint_union"], shown["group_leader"], shown["applied_on"]) == ("joint", ju, None, None)
    assert (shown["congress_on"], shown["approval_ref"], shown["chair"], shown["founded_on"]) == (None, None, None, None)
    assert any(h["data"] and h["data"].get("chair") == "陈静" for h in cli.json("case", "history", U[0]))
