"""The case service through the command line: the founding steps, guards, refusals, timeline."""

import pytest

from tests.conftest import USCCS, add_enterprise

U1, U2 = USCCS[0], USCCS[1]


@pytest.fixture
def case1(org):
    return add_enterprise(org, U1, "上海松江精密机械有限公司", cadre="C01", status_since="2026-06-01")


def test_full_standalone_path_writes_one_event_per_step(cli, case1):
    cli("case", "contact", U1, "--person", "王经理", "--on", "2026-06-02", user="C01")
    cli("case", "prepare", U1, "--mode", "standalone", "--group-leader", "李强", "--applied-on", "2026-06-03",
        "--on", "2026-06-03", user="C01")
    cli("case", "found", U1, "--congress-on", "2026-06-10", "--approval-ref", "松总工〔2026〕12号", "--chair", "陈静",
        "--members", "28", "--on", "2026-06-11", user="C01")
    shown = cli.json("case", "activate", U1, "--legal-cert", "工法证字第001号", user="C01")
    assert shown["status"] == "active" and shown["status_since"] == "2026-06-15" and shown["version"] == 5
    history = cli.json("case", "history", str(case1))
    steps = [(h["kind"], h["from_status"], h["to_status"], h["occurred_on"], h["actor"]) for h in history]
    assert steps == [
        ("transition", "prospect", "contacted", "2026-06-02", "C01"),
        ("transition", "contacted", "preparatory", "2026-06-03", "C01"),
        ("transition", "preparatory", "founded", "2026-06-11", "C01"),
        ("transition", "founded", "active", "2026-06-15", "C01"),
    ]
    assert all(h["recorded_at"] for h in history)


def test_skipped_step_is_refused_with_allowed_actions(cli, case1):
    r = cli("case", "found", U1, "--congress-on", "2026-06-10", "--approval-ref", "x", "--chair", "y", "--members", "3",
            user="C01", expect=1)
    assert r.stderr.strip() == (f"Error: cannot found case {case1} ({U1}): it is prospect; allowed from prospect: contact, close")
    assert cli.json("case", "show", U1)["version"] == 1


def test_contact_needs_person_or_note(cli, case1):
    r = cli("case", "contact", U1, user="C01", expect=1)
    assert "missing a contact person (--person) or a note (--note)" in r.stderr


def test_prepare_standalone_needs_group_leader_and_application(cli, case1):
    cli("case", "contact", U1, "--note", "见了人事", user="C01")
    r = cli("case", "prepare", U1, "--mode", "standalone", "--group-leader", "李强", user="C01", expect=1)
    assert r.stderr.strip() == (f"Error: cannot prepare case {case1} ({U1}): missing for a standalone founding, the "
                                "application date (--applied-on)")
    r = cli("case", "prepare", U1, "--mode", "standalone", user="C01", expect=1)
    assert r.stderr.strip().endswith("missing for a standalone founding, the preparatory-group leader "
                                     "(--group-leader) and the application date (--applied-on)")


def test_found_names_only_the_missing_facts(cli, case1):
    cli("case", "contact", U1, "--note", "ok", user="C01")
    cli("case", "prepare", U1, "--mode", "standalone", "--group-leader", "李强", "--applied-on", "2026-06-15", user="C01")
    r = cli("case", "found", U1, "--chair", "陈静", user="C01", expect=1)
    assert r.stderr.strip().endswith(": missing for a standalone founding, the assembly date (--congress-on), the "
                                     "approval reference (--approval-ref) and the number of members (--members, at "
                                     "least 1)")
    r = cli("case", "found", U1, "--chair", "陈静", "--congress-on", "2026-06-15", "--members", "3", user="C01",
            lang="zh", expect=1)
    assert r.stderr.strip().endswith("缺少单独建会所需的上级工会批复文号（--approval-ref）")


def test_found_requires_approval_reference(cli, case1):
    cli("case", "contact", U1, "--note", "ok", user="C01")
    cli("case", "prepare", U1, "--mode", "standalone", "--group-leader", "李强", "--applied-on", "2026-06-15", user="C01")
    r = cli("case", "found", U1, "--congress-on", "2026-06-15", "--chair", "陈静", "--members", "28", user="C01", expect=1)
    assert "the approval reference (--approval-ref)" in r.stderr
    r = cli("case", "found", U1, "--congress-on", "2026-06-15", "--approval-ref", "x", "--chair", "陈静", "--members", "0",
            user="C01", expect=1)
    assert "at least 1" in r.stderr


def test_a_fact_of_blanks_is_missing(cli, case1):
    r = cli("case", "contact", U1, "--person", "  ", user="C01", expect=1)
    assert r.stderr.strip().endswith("missing a contact person (--person) or a note (--note)")
    cli("case", "contact", U1, "--person", " 王经理 ", user="C01")
    assert cli.json("case", "show", U1)["contact_person"] == "王经理"
    r = cli("case", "prepare", U1, "--mode", "standalone", "--group-leader", " ", "--applied-on", "2026-06-15",
            user="C01", expect=1)
    assert r.stderr.strip().endswith("missing for a standalone founding, the preparatory-group leader (--group-leader)")
    cli("case", "prepare", U1, "--mode", "standalone", "--group-leader", "李强", "--applied-on", "2026-06-15", user="C01")
    r = cli("case", "found", U1, "--congress-on", "2026-06-15", "--approval-ref", "   ", "--chair", "\t", "--members",
            "28", user="C01", expect=1)
    assert r.stderr.strip().endswith("missing for a standalone founding, the approval reference (--approval-ref) and "
                                     "the chair (--chair)")
    r = cli("case", "setback", U1, "--reason", "  ", user="C01", expect=1)
    assert r.stderr.strip().endswith("missing a reason (--reason)")
    cli("case", "found", U1, "--congress-on", "2026-06-15", "--approval-ref", "松总工〔2026〕12号", "--chair", "陈静",
        "--members", "28", user="C01")
    r = cli("case", "activate", U1, "--legal-cert", " ", user="C01", expect=1)
    assert r.stderr.strip().endswith("missing the union's legal-person certificate reference (--legal-cert)")
    shown = cli.json("case", "show", U1)
    assert (shown["status"], shown["version"], shown["approval_ref"]) == ("founded", 4, "松总工〔2026〕12号")


def test_activate_standalone_needs_legal_cert(cli, org):
    add_enterprise(org, U2, "X公司", cadre="C01", status="founded", status_since="2026-06-01", mode="standalone")
    r = cli("case", "activate", U2, user="C01", expect=1)
    assert "legal-person certificate reference (--legal-cert)" in r.stderr


def test_setback_needs_reason_and_goes_one_step_back(cli, case1):
    cli("case", "contact", U1, "--note", "ok", user="C01")
    r = cli("case", "setback", U1, user="C01", expect=2)
    assert "Missing option '--reason'" in r.stderr
    shown = cli.json("case", "setback", U1, "--reason", "联系人离职", user="C01")
    assert shown["status"] == "prospect"
    assert cli.json("case", "history", U1)[-1]["note"] == "联系人离职"


def test_a_setback_gives_up_the_facts_of_the_status_left_so_the_next_step_needs_them_anew(cli, case1):
    cli("case", "contact", U1, "--note", "ok", user="C01")
    cli("case", "prepare", U1, "--mode", "standalone", "--group-leader", "李强", "--applied-on", "2026-06-15", user="C01")
    cli("case", "found", U1, "--congress-on", "2026-06-15", "--approval-ref", "松总工〔2026〕12号", "--chair", "陈静",
        "--members", "28", user="C01")
    cli("case", "activate", U1, "--legal-cert", "沪工法字00123号", user="C01")
    cli("case", "setback", U1, "--reason", "法人资格证书被注销", user="C01")
    r = cli("case", "activate", U1, user="C01", expect=1)
    assert r.stderr.strip().endswith("missing the union's legal-person certificate reference (--legal-cert)")
    cli("case", "setback", U1, "--reason", "选举程序不合规，批复撤销", user="C01")
    shown = cli.json("case", "show", U1)
    assert (shown["status"], shown["approval_ref"], shown["chair"], shown["congress_on"], shown["founded_on"],
            shown["legal_cert"], shown["activated_on"], shown["group_leader"]) == (
        "preparatory", None, None, None, None, None, None, "李强")
    r = cli("case", "found", U1, user="C01", expect=1)
    assert r.stderr.strip().endswith("missing for a standalone founding, the assembly date (--congress-on), the "
                                     "approval reference (--approval-ref) and the chair (--chair)")
    cli("case", "setback", U1, "--reason", "筹备组解散", user="C01")
    r = cli("case", "prepare", U1, "--mode", "standalone", user="C01", expect=1)
    assert r.stderr.strip().endswith("missing for a standalone founding, the preparatory-group leader "
                                     "(--group-leader) and the application date (--applied-on)")
    found = [h["data"] for h in cli.json("case", "history", U1) if h["event"] == "found"]
    assert found[0]["approval_ref"] == "松总工〔2026〕12号"  # the timeline keeps what was given up


def test_close_and_reopen_restore_the_status_and_need_admin(cli, case1):
    cli("case", "contact", U1, "--note", "ok", user="C01")
    r = cli("case", "close", U1, "--reason", "moved_out", user="C01", expect=1)
    assert r.stderr.strip() == "Error: C01 (cadre) may not close a case: that needs the role admin"
    assert cli.json("case", "close", U1, "--reason", "moved_out", user="A01")["status"] == "closed"
    assert cli.json("case", "reopen", U1, user="A01")["status"] == "contacted"


def test_a_close_without_a_note_reads_its_reason_in_the_readers_language(cli, case1):
    cli("case", "close", U1, "--reason", "moved_out", user="A01")
    assert cli.json("case", "history", U1)[-1]["note"] == "moved_out"
    assert cli.json("case", "history", U1, lang="zh")[-1]["note"] == "已迁出"
    cli("case", "reopen", U1, user="A01")
    cli("case", "close", U1, "--reason", "merged", "--note", "并入母公司", user="A01")
    assert cli.json("case", "history", U1, lang="zh")[-1]["note"] == "并入母公司"


def test_on_date_in_future_or_before_status_since_is_refused(cli, case1):
    r = cli("case", "contact", U1, "--note", "x", "--on", "2026-06-16", user="C01", expect=1)
    assert "is in the future (today is 2026-06-15)" in r.stderr
    r = cli("case", "contact", U1, "--note", "x", "--on", "2026-05-31", user="C01", expect=1)
    assert "before 2026-06-01, the day the case entered its current status" in r.stderr
    r = cli("case", "contact", U1, "--note", "x", "--on", "2026-13-01", user="C01", expect=2)
    assert "'2026-13-01' is not a date" in r.stderr


def test_log_activity_keeps_status_and_sets_next_action(cli, case1):
    shown = cli.json("case", "log", U1, "--kind", "visit", "--note", "老板出差", "--next-action", "2026-06-20", user="C01")
    assert shown["status"] == "prospect" and shown["status_since"] == "2026-06-01"
    assert shown["next_action_on"] == "2026-06-20"
    assert cli.json("case", "history", U1)[-1]["kind"] == "activity"


def test_an_activity_before_the_case_was_opened_is_refused(cli, org, tmp_path):
    registry = tmp_path / "r.csv"
    registry.write_text(f"uscc,name,park,status,status_since\n{U1},甲公司,SJ,prospect,2026-06-01\n", encoding="utf-8")
    cli("enterprise", "import", str(registry), user="A01")
    cli("assign", "C01", U1, user="A01")
    cli("case", "contact", U1, "--note", "ok", "--on", "2026-06-03", user="C01")
    case_id = cli.json("case", "show", U1)["id"]
    r = cli("case", "log", U1, "--kind", "visit", "--note", "走访", "--on", "2025-06-02", user="C01", expect=1)
    assert r.stderr.strip() == (f"Error: --on 2025-06-02 is before 2026-06-01, the day case {case_id} ({U1}) was opened: "
                                f"an activity happens during the case (see `unionflow case history {case_id}`)")
    assert "activity" not in [h["kind"] for h in cli.json("case", "history", U1)]
    # Before the current status, within the case: the visit of the day before the contact, written down later.
    shown = cli.json("case", "log", U1, "--kind", "visit", "--note", "走访", "--on", "2026-06-02", user="C01")
    assert shown["status"] == "contacted"


def test_a_day_past_the_working_day_calendar_is_a_mistyped_year(cli, case1):
    r = cli("case", "log", U1, "--kind", "call", "--note", "约下周", "--next-action", "2062-06-22", user="C01", expect=1)
    assert r.stderr == ("Error: --next-action 2062-06-22 is after 2035-12-31, the end of the working-day calendar: "
                        "check the year\n")
    assert cli.json("case", "show", U1)["version"] == 1


def test_show_recommends_mode(cli, org):
    add_enterprise(org, U1, "大厂", employees=300, shuangshi=True)
    add_enterprise(org, U2, "小店", employees=8, shuangshi=True)
    assert cli.json("case", "show", U1)["recommended_mode"] == "standalone"
    assert cli.json("case", "show", U2)["recommended_mode"] == "joint"


def test_unknown_case_names_the_ref(cli, org):
    r = cli("case", "show", "91350100M000100Y43", expect=1)
    assert "no case '91350100M000100Y43'" in r.stderr


def test_a_uscc_with_a_wrong_check_character_says_what_it_should_be(cli, case1):
    from workflow.uscc import ALPHABET

    wrong = U1[:17] + next(ch for ch in ALPHABET if ch != U1[17])
    check = f"check character (position 18) should be '{U1[17]}' not '{wrong[17]}'"
    why = f"not a valid USCC: {check}"
    case_why = f"it is not a valid USCC ({check}): check the code (see `unionflow case list`)"
    assert cli("case", "show", wrong, expect=1).stderr == f"Error: no case '{wrong}': {case_why}\n"
    assert cli("case", "contact", wrong.lower(), "--note", "x", user="C01", expect=1).stderr == (
        f"Error: no case '{wrong.lower()}': {case_why}\n")
    assert cli("enterprise", "show", wrong, expect=1).stderr == f"Error: no enterprise with USCC {wrong}: {why}\n"
    assert cli("enterprise", "signups", wrong, "3", user="A01", expect=1).stderr == (
        f"Error: no enterprise with USCC {wrong}: {why}\n")
    assert cli("assign", "C02", U1, wrong, user="A01", expect=1).stderr == (
        f"Error: no enterprise with USCC {wrong} ({check}): nothing was assigned\n")
    zh = cli("case", "show", wrong, lang="zh", expect=1).stderr
    assert zh.startswith(f"Error: 没有案件 '{wrong}'：") and f"应为 '{U1[17]}'" in zh, zh


def test_an_unknown_ref_says_the_uscc_typo_or_the_cases_whose_name_contains_it(cli, org):
    ids = [add_enterprise(org, u, f"上海松江{i}号精密机械有限公司") for i, u in enumerate(USCCS[:7])]
    typo = U1[:17] + ("A" if U1[17] != "A" else "B")
    r = cli("case", "contact", typo, "--note", "x", user="C01", expect=1)
    assert r.stderr.strip() == (f"Error: no case '{typo}': it is not a valid USCC (check character (position 18) "
                                f"should be '{U1[17]}' not '{typo[17]}'): check the code (see `unionflow case list`)")
    r = cli("case", "show", U1[:16], expect=1)
    assert "it is not a valid USCC (must be 18 characters, got 16)" in r.stderr
    r = cli("case", "show", "松江3号", expect=1)
    assert r.stderr.strip() == ("Error: no case '松江3号': REF is a case id or a USCC, and one enterprise's name "
                                f"contains it: case {ids[3]} 上海松江3号精密机械有限公司 ({USCCS[3]})")
    r = cli("case", "show", "精密机械", expect=1)
    shown = "; ".join(f"case {ids[i]} 上海松江{i}号精密机械有限公司 ({USCCS[i]})" for i in range(5))
    assert r.stderr.strip() == ("Error: no case '精密机械': REF is a case id or a USCC, and 7 enterprises' names "
                                f"contain it: {shown}; and 2 more: type more of the name")
    r = cli("case", "show", "物流", expect=1)
    assert r.stderr.strip() == ("Error: no case '物流': give a case id or an enterprise's USCC (see `unionflow case "
                                "list`)")
    r = cli("case", "show", "精密机械", lang="zh", expect=1)
    assert "共有 7 家企业的名称包含它" in r.stderr


def test_a_status_may_be_given_by_its_chinese_name(cli, org):
    add_enterprise(org, U1, "甲公司", status="contacted")
    add_enterprise(org, U2, "乙公司")
    assert [c["uscc"] for c in cli.json("case", "list", "--status", "已对接")] == [U1]
    assert [e["uscc"] for e in cli.json("enterprise", "list", "--status", "摸排")] == [U2]
    r = cli("case", "list", "--status", "对接", expect=2)
    assert "'对接' is not one of 'prospect', 'contacted'" in r.stderr


def test_list_mine_and_filters(cli, org):
    add_enterprise(org, U1, "甲", cadre="C01")
    add_enterprise(org, U2, "乙", cadre="C02")
    mine = cli.json("case", "list", "--mine", user="C01")
    assert [c["uscc"] for c in mine] == [U1]
    assert set(mine[0]) >= {"id", "uscc", "enterprise", "park", "status", "mode", "cadre", "status_since",
                            "next_action_on", "version"}
    assert [c["uscc"] for c in cli.json("case", "list", "--cadre", "C02")] == [U2]


def test_states_diagram_from_the_machine(cli):
    out = cli("states", "diagram").stdout
    assert out.startswith("stateDiagram-v2") and "preparatory --> founded: found" in out
    assert "digraph founding" in cli("states", "diagram", "--format", "dot").stdout


@pytest.mark.parametrize("args, message", [
    (["case", "show", "99999999999999999999999"], "Invalid value for 'REF': '99999999999999999999999' is neither a "
                                                  "case id (1 to 2147483647) nor a USCC (18 characters)"),
    (["case", "history", "0"], "Invalid value for 'REF': '0' is neither a case id"),
    (["case", "found", U1, "--members", "99999999999999999999999"],
     "Invalid value for '--members': 99999999999999999999999 is not in the range 0<=x<=10000000."),
    (["case", "list", "--limit", "99999999999999999999999"],
     "Invalid value for '--limit': 99999999999999999999999 is not in the range 0<=x<=2147483647."),
    (["enterprise", "signups", U1, "99999999999999999999999"],
     "Invalid value for 'N': 99999999999999999999999 is not in the range 1<=x<=10000000."),
])
def test_a_huge_number_is_a_usage_error_naming_the_argument(cli, case1, args, message):
    r = cli(*args, user="C01", expect=2)
    assert message in r.stderr.splitlines()[-1]


def test_a_count_that_is_not_a_number_is_said_in_the_users_words(cli, case1):
    from tests.test_i18n import _console

    r = cli("case", "found", U1, "--members", "abc", user="C01", expect=2)
    assert r.stderr.strip().splitlines()[-1] == "Error: Invalid value for '--members': 'abc' is not a whole number"
    r = _console(["case", "found", U1, "--members", "abc"], {"UNIONFLOW_LANG": "zh"})  # the console entry point
    assert (r.returncode, r.stderr.strip().splitlines()[-1]) == (2, "Error: '--members' 的值无效：'abc' 不是整数")


def test_a_case_id_beyond_any_row_is_not_found_in_the_engine_too(make_ctx, case1):
    from workflow.cases import show
    from workflow.errors import NotFound

    with pytest.raises(NotFound, match="no case '99999999999999999999999'"):
        show(make_ctx(), "99999999999999999999999")


ALL_DIGITS = "913101170000000433"  # a valid USCC of 18 digits: a USCC, not a case id


def test_an_all_digit_uscc_is_a_uscc(cli, org):
    case_id = add_enterprise(org, ALL_DIGITS, "数字代码公司", cadre="C01", status_since="2026-06-01")
    assert cli.json("case", "show", ALL_DIGITS)["id"] == case_id
    assert cli.json("case", "contact", ALL_DIGITS, "--note", "见了", user="C01")["status"] == "contacted"
    assert [h["event"] for h in cli.json("case", "history", ALL_DIGITS)] == ["contact"]
    assert cli.json("case", "show", str(case_id))["uscc"] == ALL_DIGITS


@pytest.fixture
def contacted(cli, case1):
    cli("case", "contact", U1, "--note", "ok", "--on", "2026-06-03", user="C01")
    return case1


@pytest.mark.parametrize("args, message", [
    (["--applied-on", "2026-06-16"], "--applied-on 2026-06-16 is in the future (today is 2026-06-15)"),
    (["--applied-on", "2026-06-02"], "--applied-on 2026-06-02 is before 2026-06-03, the day the case entered its "
                                     "current status"),
    (["--applied-on", "2026-06-12", "--on", "2026-06-10"],
     "--applied-on 2026-06-12 is after 2026-06-10, the day of the step (--on): it comes first, or on the same day"),
    (["--joint-union", "JU-G01"], "--joint-union is for --mode joint, not --mode standalone"),
])
def test_prepare_refuses_impossible_facts(cli, contacted, args, message):
    extra = [] if "--applied-on" in args else ["--applied-on", "2026-06-10"]
    r = cli("case", "prepare", U1, "--mode", "standalone", "--group-leader", "李强", *extra, *args, user="C01", expect=1)
    assert r.stderr.strip() == f"Error: {message}"
    assert cli.json("case", "show", U1)["status"] == "contacted"


def test_the_application_may_be_filed_on_the_day_of_the_step(cli, contacted):
    r = cli("case", "prepare", U1, "--mode", "joint", "--group-leader", "李强", "--applied-on", "2026-06-10", user="C01",
            expect=1)
    assert r.stderr.strip() == "Error: --group-leader and --applied-on are for --mode standalone, not --mode joint"
    shown = cli.json("case", "prepare", U1, "--mode", "standalone", "--group-leader", "李强", "--applied-on",
                     "2026-06-10", "--on", "2026-06-10", user="C01")
    assert shown["status_since"] == "2026-06-10"


@pytest.mark.parametrize("args, message", [
    (["--congress-on", "2030-01-01", "--members", "20"], "--congress-on 2030-01-01 is in the future (today is 2026-06-15)"),
    (["--congress-on", "2026-06-09", "--members", "20"],
     "--congress-on 2026-06-09 is before 2026-06-10, the day the case entered its current status"),
    (["--congress-on", "2026-06-12", "--members", "99999"],
     "--members: 99999 members but only 30 employees; give the number of members, or correct the employees in the "
     "registry (`unionflow enterprise import`)"),
])
def test_found_refuses_impossible_facts_and_writes_nothing(cli, contacted, args, message):
    cli("case", "prepare", U1, "--mode", "standalone", "--group-leader", "李强", "--applied-on", "2026-06-10",
        "--on", "2026-06-10", user="C01")
    r = cli("case", "found", U1, "--approval-ref", "松总工〔2026〕12号", "--chair", "陈静", *args, user="C01", expect=1)
    assert r.stderr.strip() == f"Error: {message}"
    assert cli.json("case", "show", U1)["status"] == "preparatory"
    assert cli.json("enterprise", "show", U1)["members"] is None
    shown = cli.json("case", "found", U1, "--approval-ref", "x", "--chair", "陈静", "--congress-on", "2026-06-10",
                     "--members", "30", user="C01")
    assert shown["status"] == "founded" and cli.json("enterprise", "show", U1)["members"] == 30


def test_list_mine_without_a_user_and_unknown_cadre_or_park_are_errors(cli, case1):
    for stalled in ([], ["--stalled"]):
        r = cli("case", "list", "--mine", *stalled, expect=1)
        assert r.stderr.strip() == ("Error: --mine lists the cases you are responsible for: say who you are with --as "
                                    "CODE or UNIONFLOW_USER")
        r = cli("case", "list", "--cadre", "NOPE", *stalled, expect=1)
        assert r.stderr.strip() == "Error: no cadre with code 'NOPE': see `unionflow cadre list`"
        r = cli("case", "list", "--park", "NOPE", *stalled, expect=1)
        assert r.stderr.strip() == "Error: no park with code 'NOPE': see `unionflow park list`"
    assert [c["id"] for c in cli.json("case", "list", "--park", "SJ", "--cadre", "C01")] == [case1]
    assert cli.json("case", "list", "--park", "XP") == []
