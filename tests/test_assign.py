"""`assign`: contract responsibility (包干) by USCC, park, grid, industry; every change of hands on the timeline."""

import pytest
from sqlalchemy import event, func, select

from tests.conftest import USCCS, add_enterprise
from workflow.assignment import assign
from workflow.db import make_engine
from workflow.models import CaseEvent
from workflow.uscc import make_uscc

U = USCCS


@pytest.fixture
def registry(org):
    """SJ: U0 (G1, 电子), U1 (G1, 化工), U2 (G2, 电子), U3 (G2, closed); XP: U4 (G1, 电子)."""
    add_enterprise(org, U[0], "甲电子", grid="G1", industry="电子")
    add_enterprise(org, U[1], "乙化工", grid="G1", industry="化工")
    add_enterprise(org, U[2], "丙电子", grid="G2", industry="电子")
    add_enterprise(org, U[3], "丁已注销", grid="G2", industry="电子", status="closed", closed_from="prospect",
                   close_reason="moved_out")  # fmt: skip
    add_enterprise(org, U[4], "戊电子", park="XP", grid="G1", industry="电子")
    return org


def cadres(cli) -> dict:
    return {c["uscc"]: c["cadre"] for c in cli.json("enterprise", "list")}


def event_count(db_url) -> int:
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(CaseEvent.__table__)).scalar()
    finally:
        engine.dispose()


def assignments(cli, uscc) -> list:
    return [(h["occurred_on"], h["actor"], h["data"], h["note"]) for h in cli.json("case", "history", uscc)
            if h["kind"] == "assignment"]  # fmt: skip


def test_assign_by_uscc_list_records_from_to_and_by_whom(cli, registry):
    result = cli.json("assign", "C01", U[0], U[1].lower(), user="A01")
    assert result == {"cadre": "C01", "assigned": 2, "unchanged": 0, "cases": 2, "matched": 2, "from": None}
    assert cadres(cli) == {U[0]: "C01", U[1]: "C01", U[2]: None, U[3]: None, U[4]: None}
    assert assignments(cli, U[0]) == [
        ("2026-06-15", "A01", {"from": None, "to": "C01", "by": "A01"}, "assigned to C01 by A01 (was unassigned)")]
    [event] = [h for h in cli.json("case", "history", U[0]) if h["kind"] == "assignment"]
    assert (event["from_status"], event["to_status"], event["event"]) == ("prospect", "prospect", "assign")
    assert cli.json("case", "show", U[0])["version"] == 2


def test_assign_by_park_leaves_closed_cases_out(cli, registry):
    result = cli.json("assign", "C03", "--park", "XP", user="A01")
    assert (result["assigned"], result["cases"]) == (1, 1)
    result = cli.json("assign", "C02", "--park", "SJ", user="A01")
    assert (result["assigned"], result["cases"]) == (3, 3)
    assert cadres(cli) == {U[0]: "C02", U[1]: "C02", U[2]: "C02", U[3]: None, U[4]: "C03"}
    # Named explicitly, a closed case may be assigned.
    assert cli.json("assign", "C02", U[3], user="A01")["assigned"] == 1


def test_assign_by_grid_and_by_industry(cli, registry):
    assert cli.json("assign", "C01", "--grid", "G1", user="A01")["assigned"] == 3  # U0, U1 and U4 (XP)
    assert cli.json("assign", "C02", "--industry", "电子", "--park", "SJ", user="A01")["assigned"] == 2  # U0, U2
    assert cadres(cli) == {U[0]: "C02", U[1]: "C01", U[2]: "C02", U[3]: None, U[4]: "C01"}
    before = event_count(registry)
    r = cli("assign", "C02", "--grid", "nowhere", user="A01", expect=1)
    assert r.stderr == "Error: no case matches --grid nowhere: nothing was assigned (see `unionflow enterprise list`)\n"
    r = cli("assign", "C02", "--park", "SJ", "--industry", "不存在", user="A01", expect=1)
    assert r.stderr == ("Error: no case matches --park SJ --industry 不存在: nothing was assigned "
                        "(see `unionflow enterprise list`)\n")
    r = cli("assign", "C02", U[1], "--industry", "电子", user="A01", expect=1)
    assert r.stderr.startswith(f"Error: no case matches {U[1]} --industry 电子: nothing was assigned")
    assert event_count(registry) == before


def test_only_unassigned_leaves_held_cases_alone(cli, registry):
    cli("assign", "C02", U[0], user="A01")
    result = cli.json("assign", "C01", "--park", "SJ", "--only-unassigned", user="A01")
    assert (result["assigned"], result["cases"]) == (2, 2)
    assert cadres(cli)[U[0]] == "C02" and cadres(cli)[U[1]] == "C01"
    assert len(assignments(cli, U[0])) == 1
    r = cli("assign", "C01", "--park", "SJ", "--only-unassigned", user="A01")
    assert r.stdout == "All 3 matching cases already have a cadre (--only-unassigned): none assigned to C01.\n"


def test_reassignment_is_explicit_and_recorded_and_repeating_it_changes_nothing(cli, registry):
    cli("assign", "C01", U[0], user="A01")
    cli("case", "contact", U[0], "--person", "王经理", user="C01")
    r = cli("assign", "C02", U[0], user="S01")
    assert r.stdout == "1 of 1 cases assigned to C02; 0 were already theirs.\n"
    assert [a[1:] for a in assignments(cli, U[0])] == [
        ("A01", {"from": None, "to": "C01", "by": "A01"}, "assigned to C01 by A01 (was unassigned)"),
        ("S01", {"from": "C01", "to": "C02", "by": "S01"}, "assigned to C02 by S01 (was C01)"),
    ]
    # The second cadre now holds the case; the first no longer may act on it.
    r = cli("case", "log", U[0], "--kind", "call", "--note", "跟进", user="C01", expect=1)
    assert r.stderr.startswith("Error: C01 (cadre) may not log an activity on case")
    cli("case", "log", U[0], "--kind", "call", "--note", "跟进", user="C02")
    before, version = event_count(registry), cli.json("case", "show", U[0])["version"]
    result = cli.json("assign", "C02", U[0], user="A01")
    assert result == {"cadre": "C02", "assigned": 0, "unchanged": 1, "cases": 1, "matched": 1, "from": None}
    assert event_count(registry) == before and cli.json("case", "show", U[0])["version"] == version


def test_supervisor_assigns_within_their_park(cli, registry):
    result = cli.json("assign", "C01", "--grid", "G1", user="S01")
    assert (result["assigned"], result["cases"]) == (2, 2)  # U0, U1; U4 in XP is out of S01's reach
    assert cadres(cli) == {U[0]: "C01", U[1]: "C01", U[2]: None, U[3]: None, U[4]: None}


@pytest.mark.parametrize(
    "args, message",
    [
        (["C03", U[0]], "S01 (supervisor) may not assign cases to C03: C03 belongs to park XP, and a supervisor "
                        "assigns only to cadres of their own park (SJ)"),
        (["C01", "--park", "XP"], "S01 (supervisor) may not assign the cases of park XP: a supervisor assigns only "
                                  "within their own park (SJ)"),
        (["C01", U[0], U[4]], f"S01 (supervisor) may not assign {U[4]}: not in park SJ, and a supervisor assigns "
                              "only within their own park"),
    ],
)  # fmt: skip
def test_supervisor_refused_outside_their_park_writes_nothing(cli, registry, args, message):
    before = event_count(registry)
    r = cli("assign", *args, user="S01", expect=1)
    assert r.stderr == f"Error: {message}\n"
    assert event_count(registry) == before and set(cadres(cli).values()) == {None}


@pytest.mark.parametrize("user, role", [("C01", "cadre"), ("SEC1", "secretary")])
def test_only_supervisors_and_admins_assign(cli, registry, user, role):
    r = cli("assign", "C01", U[0], user=user, expect=1)
    assert r.stderr == f"Error: {user} ({role}) may not assign cases: that needs the role supervisor, admin\n"
    assert cadres(cli)[U[0]] is None


def test_unknown_usccs_are_named_and_nothing_is_assigned(cli, registry):
    missing = [U[10], U[11]]
    before = event_count(registry)
    r = cli("assign", "C01", U[0], *missing, user="A01", expect=1)
    assert r.stderr == f"Error: no enterprise with USCC {missing[0]}, {missing[1]}: nothing was assigned\n"
    assert cadres(cli)[U[0]] is None and event_count(registry) == before


def test_a_mistyped_uscc_is_said_where_it_is_wrong(cli, registry):
    typo = U[1][:17] + ("A" if U[1][17] != "A" else "B")
    r = cli("assign", "C01", U[0], typo, user="A01", expect=1)
    assert r.stderr == (f"Error: no enterprise with USCC {typo} (check character (position 18) should be "
                        f"'{U[1][17]}' not '{typo[17]}'): nothing was assigned\n")
    assert cadres(cli)[U[0]] is None


def test_no_selector_is_a_usage_error(cli, registry):
    r = cli("assign", "C01", user="A01", expect=2)
    assert "Error: say which cases to assign: give USCCs, --park, --grid, --industry or --from" in r.stderr
    r = cli("assign", "C01", "--only-unassigned", user="A01", expect=2)
    assert set(cadres(cli).values()) == {None}


def test_target_must_be_an_active_case_holder(cli, registry):
    r = cli("assign", "SEC1", U[0], user="A01", expect=1)
    assert r.stderr == ("Error: SEC1 has the role secretary: cases go to a cadre, social worker or supervisor "
                        "(cadre, social_worker, supervisor)\n")  # fmt: skip
    r = cli("assign", "A01", U[0], user="A01", expect=1)
    assert r.stderr.startswith("Error: A01 has the role admin: cases go to")
    r = cli("assign", "A01", U[0], user="A01", lang="zh", expect=1)
    assert r.stderr.startswith("Error: A01 的角色是管理员：")
    r = cli("assign", "NOBODY", U[0], user="A01", expect=1)
    assert r.stderr == "Error: no cadre with code 'NOBODY': see `unionflow cadre list`\n"
    result = cli.json("assign", "S01", U[0], user="A01")  # a supervisor may hold cases too
    assert result["assigned"] == 1


def test_unknown_park_is_named(cli, registry):
    r = cli("assign", "C01", "--park", "ZZ", user="A01", expect=1)
    assert r.stderr == "Error: no park with code 'ZZ': see `unionflow park list`\n"


def test_deactivated_cadre_cannot_receive_cases(cli, registry):
    assert cli("cadre", "deactivate", "C02", user="A01").stdout == "Cadre C02 deactivated.\n"
    r = cli("assign", "C02", U[0], user="A01", expect=1)
    assert r.stderr == ("Error: C02 is deactivated: assign the cases to an active cadre (see `unionflow cadre list`), "
                        "or activate C02 again with `unionflow cadre activate C02`\n")
    assert cadres(cli)[U[0]] is None
    assert cli("cadre", "activate", "C02", user="A01").stdout == "Cadre C02 is active again.\n"
    assert cli.json("assign", "C02", U[0], user="A01")["assigned"] == 1


def test_deactivate_says_how_many_open_cases_to_hand_over(cli, registry):
    cli("assign", "C01", U[0], U[1], U[3], user="A01")  # U3 is closed
    out = cli("cadre", "deactivate", "C01", user="A01").stdout
    assert out == ("Cadre C01 deactivated.\n"
                   "C01 still holds 2 open case(s); until they are handed over, their reminders go to the park's "
                   "supervisors: hand them over with `unionflow assign CADRE --from C01`\n")
    assert cli.json("cadre", "deactivate", "C01", user="A01") == {
        "code": "C01", "active": False, "changed": False, "open_cases": 2}
    assert [c["active"] for c in cli.json("cadre", "list") if c["code"] == "C01"] == [False]
    r = cli("case", "log", U[0], "--kind", "visit", "--note", "x", user="C01", expect=1)
    assert r.stderr == "Error: C01 is deactivated and may not act\n"


def test_only_an_admin_deactivates_and_not_themselves(cli, registry):
    r = cli("cadre", "deactivate", "C01", user="S01", expect=1)
    assert r.stderr == ("Error: S01 (supervisor) may not activate or deactivate a cadre: that needs the role "
                        "admin\n")
    r = cli("cadre", "deactivate", "A01", user="A01", expect=1)
    assert r.stderr == "Error: A01 cannot deactivate themselves: another admin does it\n"
    r = cli("cadre", "deactivate", "NOBODY", user="A01", expect=1)
    assert r.stderr == "Error: no cadre with code 'NOBODY': see `unionflow cadre list`\n"
    assert all(c["active"] for c in cli.json("cadre", "list"))


def test_from_hands_all_open_cases_of_a_cadre_to_another(cli, registry):
    cli("assign", "C01", U[0], U[1], U[3], user="A01")  # U3 is closed: it stays with C01
    cli("assign", "C02", U[2], user="A01")
    cli("cadre", "deactivate", "C01", user="A01")
    result = cli.json("assign", "C02", "--from", "C01", user="A01")
    assert result == {"cadre": "C02", "assigned": 2, "unchanged": 0, "cases": 2, "matched": 2, "from": "C01"}
    assert cadres(cli) == {U[0]: "C02", U[1]: "C02", U[2]: "C02", U[3]: "C01", U[4]: None}
    assert assignments(cli, U[1])[-1] == (
        "2026-06-15", "A01", {"from": "C01", "to": "C02", "by": "A01"}, "assigned to C02 by A01 (was C01)")
    r = cli("assign", "C02", "--from", "C01", user="A01", expect=1)
    assert r.stderr == "Error: no case matches --from C01: nothing was assigned (see `unionflow enterprise list`)\n"
    r = cli("assign", "C02", "--from", "C02", user="A01", expect=1)
    assert r.stderr == "Error: --from C02 names C02 itself: hand the cases to another cadre\n"


def test_a_supervisor_hands_over_only_the_cases_of_their_park(cli, registry):
    cli("assign", "C01", U[0], user="A01")
    cli("assign", "C03", U[4], user="A01")  # XP
    r = cli("assign", "C02", "--from", "C03", user="S01", expect=1)
    assert r.stderr.startswith("Error: no case matches --from C03")
    assert cli.json("assign", "C02", "--from", "C01", user="S01")["assigned"] == 1
    assert cadres(cli)[U[4]] == "C03"


@pytest.mark.parametrize("holder, selection", [(None, {"grid": "G9"}), ("C01", {"from_cadre": "C01"})])
def test_assignment_is_set_based(cli, registry, make_ctx, holder, selection):
    for i in range(5, 45):
        add_enterprise(registry, _code(i), f"企业{i}", grid="G9", cadre=holder)
    ctx = make_ctx("A01")
    statements = []
    event.listen(ctx.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    assert assign(ctx, "C02", **selection)["assigned"] == 40
    assert len(statements) < 15, statements
    assert len(assignments(cli, _code(30))) == 1


def _code(i: int) -> str:
    return make_uscc("310117", f"MB{i:06d}")
