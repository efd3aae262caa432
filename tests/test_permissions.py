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
    assert r.stderr.strip() == "Error: C01 has the role cadre: a cadre's supervisor must have the role supervisor or admin"


def test_a_supervisor_of_another_park_is_refused(cli, org):
    r = cli("cadre", "add", "C09", "--name", "x", "--email", "c09@example.org", "--park", "SJ", "--supervisor", "S02",
            user="A01", expect=1)
    assert r.stderr.strip() == ("Error: S02 supervises park XP, not SJ: a cadre's supervisor must be of the cadre's "
                                "park (give a supervisor of SJ)")
    r = cli("cadre", "add", "C09", "--name", "x", "--email", "c09@example.org", "--supervisor", "S02", user="A01",
            expect=1)
    assert r.stderr.strip() == "Error: S02 supervises park XP, and C09 would have no park: give --park XP"
    assert "C09" not in [c["code"] for c in cli.json("cadre", "list")]
    cli("cadre", "add", "C09", "--name", "x", "--email", "c09@example.org", "--park", "XP", "--supervisor", "S02",
        user="A01")


@pytest.mark.parametrize("args, message", [
    (["park", "add", "", "x"], "the park's CODE is empty: a code is one word, e.g. SJ or C01"),
    (["park", "add", "S J", "x"], "the park's CODE 'S J' has a space in it: a code is one word, e.g. SJ or C01"),
    (["park", "add", " SJ ", "dup"], "a park with code 'SJ' already exists"),
    (["park", "add", "sj", "lower"], "a park with code 'SJ' already exists ('sj' differs from it only in case)"),
    (["park", "add", "NN", "  "], "the park's NAME is empty: give a name"),
    (["park", "add", "P" * 33, "x"], f"the park's CODE '{'P' * 33}' is too long: at most 32 characters"),
    (["cadre", "add", "C10", "--name", "", "--email", "c@example.org"], "the cadre's name (--name) is empty: give a name"),
    (["cadre", "add", "C10", "--name", "  ", "--email", "c@example.org"], "the cadre's name (--name) is empty: give a name"),
    (["cadre", "add", "C 10", "--name", "x", "--email", "c@example.org"],
     "the cadre's CODE 'C 10' has a space in it: a code is one word, e.g. SJ or C01"),
    (["cadre", "add", "c01", "--name", "x", "--email", "c@example.org"],
     "a cadre with code 'C01' already exists ('c01' differs from it only in case)"),
    (["joint-union", "add", "JU 1", "x", "--kind", "grid", "--park", "SJ"],
     "the joint union's CODE 'JU 1' has a space in it: a code is one word, e.g. SJ or C01"),
])
def test_codes_are_one_word_unique_whatever_the_case_and_names_are_required(cli, org, args, message):
    before = (cli.json("park", "list"), cli.json("cadre", "list"))
    r = cli(*args, user="A01", expect=1)
    assert r.stderr.strip() == f"Error: {message}"
    assert (cli.json("park", "list"), cli.json("cadre", "list")) == before


def test_codes_and_names_are_stripped(cli, org):
    assert cli("park", "add", " QP ", " 青浦 ", user="A01").stdout == "Park QP added.\n"
    assert {"code": "QP", "name": "青浦", "level": "national", "parent": None} in cli.json("park", "list")


@pytest.mark.parametrize("admin, name, message", [
    ("", "管理员", "the admin's code (--admin) is empty: a code is one word, e.g. SJ or C01"),
    ("A 01", "管理员", "the admin's code (--admin) 'A 01' has a space in it: a code is one word, e.g. SJ or C01"),
    ("A01", " ", "the admin's name (--name) is empty: give a name"),
])
def test_init_refuses_an_empty_or_spaced_admin_and_creates_nothing(tmp_path, admin, name, message):
    from tests.conftest import Cli

    path = tmp_path / "new" / "uf.db"
    r = Cli(f"sqlite:///{path}")("init", "--admin", admin, "--name", name, "--email", "a@example.org", expect=1)
    assert r.stderr.strip() == f"Error: {message}"
    assert not path.parent.exists()


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


def test_a_refusal_on_an_unassigned_case_says_who_may_act(cli, org):
    case_id = add_enterprise(org, USCCS[1], "乙公司", status_since="2026-06-01")
    r = cli("case", "contact", USCCS[1], "--note", "x", user="C01", expect=1)
    assert r.stderr.strip() == (
        f"Error: C01 (cadre) may not contact case {case_id} ({USCCS[1]}): no cadre is responsible for the case yet: "
        "until it is assigned (`unionflow assign`), only an admin or a supervisor of park SJ acts on it")
    assert cli.json("case", "contact", USCCS[1], "--note", "走访", user="S01")["status"] == "contacted"


@pytest.mark.parametrize("args", [["report", "coverage"], ["case", "list"], ["escalate", "--dry-run"]])
def test_a_command_on_a_missing_database_creates_no_folder(tmp_path, args):
    from tests.conftest import Cli

    folder = tmp_path / "nonexist-x"
    cli = Cli(f"sqlite:///{folder}/x.db")
    assert "has no unionflow schema: run `unionflow init" in cli(*args, expect=1).stderr
    assert not folder.exists()
    cli("db", "upgrade")
    assert (folder / "x.db").is_file()
