"""Who may do what: refusals say who, what and why, and write nothing."""

import pytest

from tests.conftest import USCCS, add_enterprise

U1 = USCCS[0]


@pytest.fixture
def case1(org):
    return add_enterprise(org, U1, "甲公司", cadre="C01", status_since="2026-06-01")


def test_mutating_command_needs_an_acting_user(cli, case1):
    r = cli("case", "contact", U1, "--note", "x", expect=1)
    assert r.stderr.strip() == "Error: this command changes data: say who you are with --as CODE or UNIONFLOW_USER"


def test_unknown_acting_user(cli, case1):
    r = cli("case", "contact", U1, "--note", "x", user="NOBODY", expect=1)
    assert r.stderr.strip() == "Error: no cadre with code 'NOBODY': see `unionflow cadre list`"


def test_cadre_may_not_act_on_a_colleagues_case(cli, case1):
    r = cli("case", "contact", U1, "--note", "x", user="C02", expect=1)
    assert r.stderr.strip() == (
        f"Error: C02 (cadre) may not contact case {case1} ({U1}): the case is the responsibility of cadre C01, "
        "and C02 is not their supervisor"
    )
    assert cli.json("case", "show", U1)["version"] == 1
    assert cli.json("case", "history", U1) == []


def test_supervisor_acts_on_subordinates_case_but_not_another_parks(cli, case1):
    r = cli("case", "contact", U1, "--note", "x", user="S02", expect=1)
    assert "S02 (supervisor) may not contact" in r.stderr
    assert cli.json("case", "contact", U1, "--note", "走访", user="S01")["status"] == "contacted"
    assert cli.json("case", "history", U1)[0]["actor"] == "S01"


def test_secretary_reads_but_does_not_act(cli, case1):
    assert cli.json("case", "show", U1, user="SEC1")["uscc"] == U1
    r = cli("case", "contact", U1, "--note", "x", user="SEC1", expect=1)
    assert r.stderr.strip().endswith("a secretary manages meetings and reads cases but does not act on them")


def test_admin_acts_on_any_case(cli, case1):
    assert cli.json("case", "log", U1, "--kind", "call", "--note", "电话", user="A01")["version"] == 2


def test_only_admin_adds_parks_and_cadres(cli, org):
    r = cli("park", "add", "QP", "青浦", user="S01", expect=1)
    assert r.stderr.strip() == "Error: S01 (supervisor) may not add a park: that needs the role admin"
    r = cli("cadre", "add", "C09", "--name", "x", "--email", "c09@example.org", user="C01", expect=1)
    assert r.stderr.strip() == "Error: C01 (cadre) may not add a cadre: that needs the role admin"
    assert "QP" not in [p["code"] for p in cli.json("park", "list")]


def test_supervisor_must_have_supervisor_role(cli, org):
    r = cli("cadre", "add", "C09", "--name", "x", "--email", "c09@example.org", "--supervisor", "C01", user="A01", expect=1)
    assert r.stderr.strip() == "Error: C01 is a cadre, not a supervisor: a supervisor must have the role supervisor"


def test_duplicate_codes_and_bad_email(cli, org):
    r = cli("park", "add", "SJ", "again", user="A01", expect=1)
    assert r.stderr.strip() == "Error: a park with code 'SJ' already exists"
    r = cli("cadre", "add", "C01", "--name", "x", "--email", "c@example.org", user="A01", expect=1)
    assert r.stderr.strip() == "Error: a cadre with code 'C01' already exists"
    r = cli("cadre", "add", "C10", "--name", "x", "--email", "not-an-email", user="A01", expect=1)
    assert r.stderr.strip() == "Error: not an email address: 'not-an-email'"


def test_cadre_list_shows_hierarchy(cli, org):
    cadres = {c["code"]: c for c in cli.json("cadre", "list")}
    assert cadres["C01"]["supervisor"] == "S01" and cadres["C01"]["park"] == "SJ"
    assert cadres["SEC1"]["role"] == "secretary"


def test_init_twice_is_idempotent_and_second_admin_refused(cli, org):
    r = cli("init", "--admin", "A01", "--name", "管理员", "--email", "a01@example.org")
    assert "admin A01 already there" in r.stdout
    r = cli("init", "--admin", "A02", "--name", "x", "--email", "a02@example.org", expect=1)
    assert "already has an admin" in r.stderr


def test_database_without_schema_says_run_init(tmp_path):
    from tests.conftest import Cli

    r = Cli(f"sqlite:///{tmp_path}/empty.db")("case", "list", expect=1)
    assert "has no unionflow schema: run `unionflow init" in r.stderr
