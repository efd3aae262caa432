"""`enterprise import`, `enterprise list/show`: real CSV/XLSX files imported on SQLite and PostgreSQL."""

import json
from datetime import date

import pytest
from openpyxl import Workbook
from sqlalchemy import event, func, select

from tests.conftest import USCCS
from workflow.db import make_engine
from workflow.models import CaseEvent, Enterprise, FoundingCase
from workflow.registry import import_registry
from workflow.uscc import ALPHABET, make_uscc, uscc_problem

ZH = "统一社会信用代码,企业名称,所属园区,行业,职工人数,是否双实,网格,来源,成立日期,工会会员数,建会状态,状态日期,联系人,联系电话"
EN = "uscc,name,park,industry,employees,shuangshi,grid,source,opened_on,members,status,status_since"
U = USCCS


def write(path, lines, encoding="utf-8"):
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


def counts(db_url) -> dict:
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            return {t.name: conn.execute(select(func.count()).select_from(t)).scalar()
                    for t in (Enterprise.__table__, FoundingCase.__table__, CaseEvent.__table__)}
    finally:
        engine.dispose()


def stamps(db_url) -> dict:
    engine = make_engine(db_url)
    t = Enterprise.__table__
    try:
        with engine.connect() as conn:
            return dict(conn.execute(select(t.c.uscc, t.c.updated_at)).all())
    finally:
        engine.dispose()


def imp(cli, path, *args, expect=0):
    """Run the import as admin A01 and return its JSON."""
    result = cli("enterprise", "import", str(path), *args, "--json", user="A01", expect=expect)
    return json.loads(result.stdout)


def simple_csv(tmp_path, n=3, name="registry.csv", employees=None):
    lines = ["uscc,name,park,employees,industry"]
    for i in range(n):
        lines.append(f"{U[i]},Company {i},SJ,{(employees or {}).get(i, 10 * (i + 1))},machinery")
    return write(tmp_path / name, lines)


# ---------------------------------------------------------------- file formats


def test_gb18030_csv_with_chinese_headers_imports_and_names_read_back_exactly(cli, org, tmp_path):
    # '𡈼' lies outside GBK: it survives only if the file is really read as GB18030.
    names = ["上海松江精密机械有限公司", "上海𡈼氏新材料科技有限公司"]
    path = write(tmp_path / "名录.csv", [
        ZH,
        f'{U[0]},{names[0]},松江经开区,装备制造,"1,200",是,网格1,存量,2015/3/1,300,已建会,2018年9月1日,王经理,13800138000',
        f"{U[1]},{names[1]},SJ,新材料,40,否,网格2,新迁入,2026-03-15,,,,,",
    ], "gb18030")  # fmt: skip
    result = imp(cli, path)
    assert (result["created"], result["updated"], result["unchanged"], result["errors"]) == (2, 0, 0, [])
    first = cli.json("enterprise", "show", U[0])
    assert first["name"] == names[0] and cli.json("enterprise", "show", U[1])["name"] == names[1]
    assert (first["park"], first["industry"], first["employees"], first["shuangshi"], first["grid"]) == (
        "SJ", "装备制造", 1200, True, "网格1")  # fmt: skip
    assert (first["opened_on"], first["members"], first["contact_name"], first["contact_phone"]) == (
        "2015-03-01", 300, "王经理", "13800138000")  # fmt: skip
    assert first["case"]["status"] == "founded" and first["case"]["status_since"] == "2018-09-01"
    listed = cli.json("enterprise", "list", "--park", "SJ")
    assert [(e["uscc"], e["name"], e["status"], e["source"]) for e in listed] == [
        (U[0], names[0], "founded", "existing"), (U[1], names[1], "prospect", "relocated")]  # fmt: skip


def test_utf8_bom_csv_with_english_headers(cli, org, tmp_path):
    path = write(tmp_path / "bom.csv", [EN, f"{U[0]},Acme 松江,XP,machinery,12,Y,G1,new_project,,,,"], "utf-8-sig")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    assert imp(cli, path)["created"] == 1
    shown = cli.json("enterprise", "show", U[0])
    assert (shown["name"], shown["park"], shown["source"], shown["shuangshi"]) == ("Acme 松江", "XP", "new_project", True)
    assert (shown["case"]["status"], shown["case"]["status_since"], shown["case"]["events"]) == ("prospect", "2026-06-15", 1)


def test_xlsx_with_chinese_headers(cli, org, tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(ZH.split(","))
    ws.append([U[0], "松江智造有限公司", "SJ", "电子", 1200, "是", "网格1", "新开工", date(2020, 5, 1), 25, "筹备", date(2026, 5, 20)])
    ws.append([U[1], "松江物流有限公司", None, None, 8.0, "否"])
    wb.save(tmp_path / "registry.xlsx")
    result = imp(cli, tmp_path / "registry.xlsx", "--park", "XP")
    assert (result["created"], result["rows"]) == (2, 2)
    first, second = cli.json("enterprise", "show", U[0]), cli.json("enterprise", "show", U[1])
    assert (first["employees"], first["opened_on"], first["source"], first["case"]["status"]) == (
        1200, "2020-05-01", "new_project", "preparatory")  # fmt: skip
    assert first["case"]["status_since"] == "2026-05-20"
    assert (second["park"], second["employees"], second["shuangshi"]) == ("XP", 8, False)


def test_park_may_be_given_by_name_or_by_default(cli, org, tmp_path):
    path = write(tmp_path / "r.csv", ["uscc,name,park", f"{U[0]},A,新浜园区", f"{U[1]},B,", f"{U[2]},C,sj"])
    imp(cli, path, "--park", "SJ")
    assert [cli.json("enterprise", "show", u)["park"] for u in U[:3]] == ["XP", "SJ", "SJ"]


# ---------------------------------------------------------------- bad input


def bad_check(code: str) -> str:
    wrong = ALPHABET[(ALPHABET.index(code[17]) + 1) % len(ALPHABET)]
    return code[:17] + wrong


def test_every_bad_row_is_named_with_row_and_column_and_nothing_is_written(cli, org, tmp_path):
    imp(cli, simple_csv(tmp_path, 2))  # existing data the failed import must not touch
    before, before_stamps = counts(org), stamps(org)
    bad = bad_check(U[5])
    path = write(tmp_path / "bad.csv", [
        "uscc,name,park,employees",
        f"{U[0]},Changed name,SJ,99",      # row 2: valid (an update), but the file fails as a whole
        f"{bad},Bad check,SJ,5",           # row 3
        f"{U[0]},Duplicate,SJ,5",          # row 4
        f"{U[6]},Negative,SJ,-5",          # row 5
        f"{U[7]},Letters,SJ,abc",          # row 6
        f"{U[8]},Unknown park,ZZ,5",       # row 7
        f"{U[9]},New and fine,SJ,5",       # row 8
    ])  # fmt: skip
    r = cli("enterprise", "import", str(path), user="A01", expect=1)
    assert r.stdout == ""
    assert r.stderr.splitlines() == [
        f"row 3, column uscc: {bad}: {uscc_problem(bad)}",
        f"row 4, column uscc: duplicate: {U[0]} already appears in row 2",
        "row 5, column employees: must not be negative, got -5",
        "row 6, column employees: not a number: 'abc'",
        "row 7, column park: unknown park 'ZZ': see `unionflow park list`",
        "Error: bad.csv has 5 errors in 5 rows; nothing was imported",
    ]
    assert "check character (position 18)" in uscc_problem(bad)
    assert counts(org) == before and stamps(org) == before_stamps
    assert cli.json("enterprise", "show", U[0])["name"] == "Company 0"

    result = imp(cli, path, expect=1)  # --json: the same errors on stdout, still on stderr too
    assert [(e["row"], e["column"]) for e in result["errors"]] == [
        (3, "uscc"), (4, "uscc"), (5, "employees"), (6, "employees"), (7, "park")]  # fmt: skip
    assert (result["created"], result["updated"], result["unchanged"]) == (0, 0, 0)
    assert counts(org) == before


def test_unknown_columns_are_ignored_and_said_missing_file(cli, org, tmp_path):
    path = write(tmp_path / "h.csv", ["uscc,name,park,colour,备注", f"{U[0]},A,SJ,red,新建"])
    r = cli("enterprise", "import", str(path), user="A01")
    assert r.stderr == "Warning: columns not known, ignored: colour (D), 备注 (E)\n"
    assert r.stdout == "Imported h.csv: 1 created, 0 updated, 0 unchanged.\n"
    assert imp(cli, path)["ignored_columns"] == ["colour (D)", "备注 (E)"]
    path = write(tmp_path / "h2.csv", ["统一代码,name", f"{U[1]},B"])
    r = cli("enterprise", "import", str(path), user="A01", expect=1)
    assert r.stderr.splitlines() == [
        "row 1, column 统一社会信用代码/uscc: required column missing: 统一社会信用代码/uscc (columns not known: 统一代码 (A))",
        "Error: required column missing: 统一社会信用代码/uscc (columns not known: 统一代码 (A))",
    ]
    r = cli("enterprise", "import", str(tmp_path / "nope.csv"), user="A01", expect=1)
    assert r.stderr == f"Error: no such file: {tmp_path / 'nope.csv'}\n"
    assert counts(org)["enterprise"] == 1


def test_unknown_default_park_is_refused(cli, org, tmp_path):
    r = cli("enterprise", "import", str(simple_csv(tmp_path)), "--park", "ZZ", user="A01", expect=1)
    assert r.stderr == "Error: no park with code 'ZZ': see `unionflow park list`\n"


def test_too_long_name_is_an_error_not_a_database_failure(cli, org, tmp_path):
    path = write(tmp_path / "long.csv", ["uscc,name,park", f"{U[0]},{'长' * 301},SJ"])
    r = cli("enterprise", "import", str(path), user="A01", expect=1)
    assert r.stderr.splitlines()[0] == "row 2, column name: too long: 301 characters, at most 300"


@pytest.mark.parametrize("user", ["C01", "S01", "SEC1"])
def test_only_an_admin_may_import(cli, org, tmp_path, user):
    role = {"C01": "cadre", "S01": "supervisor", "SEC1": "secretary"}[user]
    r = cli("enterprise", "import", str(simple_csv(tmp_path)), user=user, expect=1)
    assert r.stderr == f"Error: {user} ({role}) may not import enterprises: that needs the role admin\n"
    assert counts(org)["enterprise"] == 0


def test_import_needs_an_acting_user(cli, org, tmp_path):
    r = cli("enterprise", "import", str(simple_csv(tmp_path)), expect=1)
    assert r.stderr.startswith("Error: this command changes data: say who you are with --as CODE")


# ---------------------------------------------------------------- dry run and re-import


def test_dry_run_writes_nothing_and_reports_counts(cli, org, tmp_path):
    imp(cli, simple_csv(tmp_path, 2))
    before, before_stamps = counts(org), stamps(org)
    path = simple_csv(tmp_path, 4, "more.csv", employees={1: 77})
    result = imp(cli, path, "--dry-run")
    assert (result["dry_run"], result["rows"], result["created"], result["updated"], result["unchanged"]) == (
        True, 4, 2, 1, 1)  # fmt: skip
    assert counts(org) == before and stamps(org) == before_stamps
    r = cli("enterprise", "import", str(path), "--dry-run", user="A01")
    assert r.stdout == "Dry run, nothing written: more.csv has 4 rows: 2 to create, 1 to update, 1 unchanged.\n"
    assert counts(org) == before


def test_reimport_of_the_same_file_changes_nothing(cli, org, tmp_path):
    path = simple_csv(tmp_path, 3)
    first = imp(cli, path)
    assert (first["created"], first["updated"], first["unchanged"]) == (3, 0, 0)
    before, before_stamps = counts(org), stamps(org)
    again = imp(cli, path)
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 3)
    assert counts(org) == before and stamps(org) == before_stamps
    r = cli("enterprise", "import", str(path), user="A01")
    assert r.stdout == "Imported registry.csv: 0 created, 0 updated, 3 unchanged.\n"


def test_changing_one_employee_count_updates_exactly_one(cli, org, tmp_path):
    imp(cli, simple_csv(tmp_path, 3))
    before = stamps(org)
    result = imp(cli, simple_csv(tmp_path, 3, "v2.csv", employees={1: 250}))
    assert (result["created"], result["updated"], result["unchanged"]) == (0, 1, 2)
    after = stamps(org)
    assert after[U[1]] > before[U[1]] and after[U[0]] == before[U[0]] and after[U[2]] == before[U[2]]
    assert cli.json("enterprise", "show", U[1])["employees"] == 250


def test_empty_cells_and_missing_columns_keep_stored_values(cli, org, tmp_path):
    imp(cli, write(tmp_path / "a.csv", [EN, f"{U[0]},A,SJ,chemicals,30,是,G1,relocated,2019-01-01,12,,"]))
    # Same enterprise, new grid; industry/shuangshi/source/members empty or absent: kept as they were.
    result = imp(cli, write(tmp_path / "b.csv", ["uscc,name,park,industry,shuangshi,source,grid",
                                                   f"{U[0]},A,SJ,,,,G2"]))  # fmt: skip
    assert (result["updated"], result["unchanged"]) == (1, 0)
    shown = cli.json("enterprise", "show", U[0])
    assert (shown["industry"], shown["shuangshi"], shown["source"], shown["members"], shown["grid"]) == (
        "chemicals", True, "relocated", 12, "G2")  # fmt: skip


# ---------------------------------------------------------------- historic status and the timeline


def test_historic_status_sets_status_since_and_records_an_import_event(cli, org, tmp_path):
    path = write(tmp_path / "hist.csv", [
        "uscc,name,park,status,status_since",
        f"{U[0]},Active Co,SJ,规范运行,2019-04-01",
        f"{U[1]},Founded Co,SJ,founded,2018-09-01",
        f"{U[2]},Contacted Co,SJ,已对接,",
        f"{U[3]},Closed Co,SJ,已注销,2020-01-02",
        f"{U[4]},New Co,SJ,,",
    ])  # fmt: skip
    assert imp(cli, path)["created"] == 5
    cases = {u: cli.json("case", "show", u) for u in U[:5]}
    assert [(cases[u]["status"], cases[u]["status_since"]) for u in U[:5]] == [
        ("active", "2019-04-01"), ("founded", "2018-09-01"), ("contacted", "2026-06-15"),
        ("closed", "2020-01-02"), ("prospect", "2026-06-15")]  # fmt: skip
    assert (cases[U[0]]["founded_on"], cases[U[0]]["activated_on"]) == ("2019-04-01", "2019-04-01")
    assert (cases[U[1]]["founded_on"], cases[U[1]]["activated_on"]) == ("2018-09-01", None)
    assert cases[U[3]]["closed_from"] == "prospect"
    [event] = cli.json("case", "history", U[0])
    assert {k: event[k] for k in ("kind", "from_status", "to_status", "occurred_on", "actor", "note", "data")} == {
        "kind": "import", "from_status": None, "to_status": "active", "occurred_on": "2019-04-01", "actor": "A01",
        "note": "imported from hist.csv, row 2 (historic status active)", "data": {"file": "hist.csv", "row": 2, "status": "active"},
    }  # fmt: skip
    [event] = cli.json("case", "history", U[4])
    assert (event["to_status"], event["occurred_on"], event["note"]) == (
        "prospect", "2026-06-15", "imported from hist.csv, row 6")  # fmt: skip
    # The historic case goes on from its status, and can be reopened.
    cli("case", "reopen", U[3], "--note", "back in the park", user="A01")
    assert cli.json("case", "show", U[3])["status"] == "prospect"


def test_reimport_warnings_are_summed_up_with_the_first_examples(cli, org, tmp_path):
    rows = [f"{u},企业{i},SJ" for i, u in enumerate(U[:6])]
    imp(cli, write(tmp_path / "a.csv", ["uscc,name,park", *rows]))
    again = write(tmp_path / "b.csv", ["uscc,name,park,status,colour,",
                                       *(f"{r},已建会,red," + ("x" if i % 2 else "") for i, r in enumerate(rows))])
    r = cli("enterprise", "import", str(again), user="A01")
    ids = [cli.json("case", "show", u)["id"] for u in U[:3]]
    assert r.stderr.splitlines() == [
        "Warning: columns not known, ignored: colour (E)",
        "Warning: 3 row(s) have values in columns without a header, ignored (the first: row 3)",
        "Warning: 6 rows give a status or status day that differs from their case's; not changed (use the case "
        "commands). The first 3:",
        *(f"  row {i + 2} ({U[i]}): the file says founded but case {ids[i]} is prospect" for i in range(3)),
        "  … 3 more (--json lists the first 6)",
    ]
    assert r.stdout == "Imported b.csv: 0 created, 0 updated, 6 unchanged.\n"
    r = cli("enterprise", "import", str(again), "--json", user="A01")
    assert r.stderr == ""
    result = json.loads(r.stdout)
    assert (result["status_conflicts_total"], len(result["status_conflicts"])) == (6, 6)
    assert result["ignored_columns"] == ["colour (E)"]
    assert result["unheaded_values"] == {"rows": 3, "first_row": 3}
    zh = cli("enterprise", "import", str(again), user="A01", lang="zh").stderr.splitlines()
    assert zh[2] == "Warning: 有 6 行的建会状态或状态日期与案件不同；未作更改（请用 case 命令）。前 3 行："
    assert zh[-1] == "  ……另有 3 行（--json 列出前 6 行）"


def test_reimport_with_another_status_is_reported_and_not_applied(cli, org, tmp_path):
    imp(cli, write(tmp_path / "a.csv", ["uscc,name,park", f"{U[0]},A,SJ", f"{U[1]},B,SJ"]))
    cli("assign", "C01", U[0], user="A01")
    cli("case", "contact", U[0], "--person", "王经理", user="C01")
    history = cli.json("case", "history", U[0])
    path = write(tmp_path / "b.csv", ["uscc,name,park,status,status_since",
                                      f"{U[0]},A,SJ,已建会,2026-06-01", f"{U[1]},B,SJ,摸排,"])  # fmt: skip
    before = counts(org)
    r = cli("enterprise", "import", str(path), "--json", user="A01")
    result = json.loads(r.stdout)
    case_id = cli.json("case", "show", U[0])["id"]
    assert result["status_conflicts"] == [
        {"row": 2, "uscc": U[0], "case_id": case_id, "file_status": "founded", "case_status": "contacted",
         "file_status_since": "2026-06-01", "case_status_since": "2026-06-15"}]
    assert result["status_conflicts_total"] == 1 and (result["updated"], result["unchanged"]) == (0, 2)
    assert r.stderr == ""  # --json: the warnings are in the JSON
    r = cli("enterprise", "import", str(path), user="A01")
    assert r.stderr == (f"Warning: row 2 ({U[0]}): the file says founded since 2026-06-01 but case {case_id} is "
                        "contacted since 2026-06-15; not changed (use the case commands)\n")  # fmt: skip
    r = cli("enterprise", "import", str(write(tmp_path / "c.csv", ["uscc,status", f"{U[0]},筹备"])), user="A01")
    assert r.stderr == (f"Warning: row 2 ({U[0]}): the file says preparatory but case {case_id} is contacted; "
                        "not changed (use the case commands)\n")  # fmt: skip
    assert cli.json("case", "show", U[0])["status"] == "contacted"
    assert cli.json("case", "history", U[0]) == history and counts(org) == before


def test_reimport_never_deletes_or_rewrites_events(cli, org, tmp_path):
    imp(cli, simple_csv(tmp_path, 2))
    cli("assign", "C01", U[0], U[1], user="A01")
    cli("case", "contact", U[0], "--note", "见了人事", user="C01")
    cli("case", "log", U[1], "--kind", "call", "--note", "约下周", user="C01")
    histories = [cli.json("case", "history", u) for u in U[:2]]
    versions = [cli.json("case", "show", u)["version"] for u in U[:2]]
    result = imp(cli, simple_csv(tmp_path, 3, "v2.csv", employees={0: 500, 1: 600}))
    assert (result["created"], result["updated"], result["unchanged"]) == (1, 2, 0)
    assert [cli.json("case", "history", u) for u in U[:2]] == histories
    shown = [cli.json("case", "show", u) for u in U[:2]]
    assert [s["version"] for s in shown] == versions and [s["cadre"] for s in shown] == ["C01", "C01"]
    assert [s["status"] for s in shown] == ["contacted", "prospect"]


# ---------------------------------------------------------------- scale


def unique_usccs(n: int) -> list[str]:
    out = []
    for i in range(n):
        body, k = "", i
        for _ in range(6):
            k, r = divmod(k, len(ALPHABET))
            body = ALPHABET[r] + body
        out.append(make_uscc("310117", "MA" + body))
    return out


def test_20000_rows_import_set_based_and_fast(cli, org, make_ctx, tmp_path, backend):
    codes = unique_usccs(20_000)
    lines = [EN] + [
        f"{c},企业{i:05d},{'SJ' if i % 3 else 'XP'},制造,{i % 300},{'是' if i % 2 else '否'},G{i % 30},,,,"
        + (",".join(("已建会", "2019-05-06")) if i % 10 == 0 else ",")
        for i, c in enumerate(codes)
    ]
    path = write(tmp_path / "big.csv", lines)
    seen, statements = [], []
    ctx = make_ctx("A01")
    event.listen(ctx.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    result = import_registry(ctx, path, progress=seen.append)
    assert (result["rows"], result["created"], result["updated"], result["unchanged"]) == (20_000, 20_000, 0, 0)
    assert seen[-1] == 20_000 and seen == sorted(seen) and len(seen) >= 4
    # Set-based: a fixed number of statements whatever the size (staging batches are 5,000 rows each).
    assert len(statements) < 40, statements
    assert counts(org) == {"enterprise": 20_000, "founding_case": 20_000, "case_event": 20_000}
    assert len(cli.json("enterprise", "list", "--status", "founded")) == 2_000
    assert len(cli.json("enterprise", "list", "--park", "XP")) == 6_667


def test_a_file_full_of_errors_lists_the_first_thousand_and_counts_all(cli, org, tmp_path):
    lines = ["uscc,name,park,employees"] + [f"{c},N{i},SJ,-1" for i, c in enumerate(unique_usccs(1_200))]
    result = imp(cli, write(tmp_path / "all-bad.csv", lines), expect=1)
    assert len(result["errors"]) == 1_000 and result["errors"][-1]["row"] == 1_001
    assert result["message"] == "all-bad.csv has 1200 errors in 1200 rows (the first 1000 are listed); nothing was imported"
    assert counts(org)["enterprise"] == 0


def test_show_and_list_errors(cli, org, tmp_path):
    imp(cli, simple_csv(tmp_path, 3))
    r = cli("enterprise", "show", U[10], expect=1)
    assert r.stderr == f"Error: no enterprise with USCC {U[10]}: see `unionflow enterprise list`\n"
    r = cli("enterprise", "list", "--park", "ZZ", expect=1)
    assert r.stderr == "Error: no park with code 'ZZ': see `unionflow park list`\n"
    assert [e["uscc"] for e in cli.json("enterprise", "list", "--limit", "2")] == U[:2]
    assert cli.json("enterprise", "list", "--park", "XP") == []
    cli("enterprise", "list", "--status", "dormant", expect=2)
    shown = cli("enterprise", "show", U[0].lower()).stdout  # the table form, by a lower-case USCC
    profile, case = shown.split("\n\nFounding case:\n")
    fields = dict(line.split(None, 1) for line in profile.splitlines() if " " in line.strip())
    assert (fields["uscc"], fields["name"], fields["shuangshi"]) == (U[0], "Company 0", "no")
    assert dict(line.split(None, 1) for line in case.splitlines() if " " in line.strip())["status"] == "prospect"


def test_enterprise_show_speaks_chinese_and_local_time(cli, org, tmp_path):
    imp(cli, simple_csv(tmp_path, 1))
    shown = cli("enterprise", "show", U[0], lang="zh").stdout
    profile, case = shown.split("\n\n建会案件：\n")
    assert "是否双实" in profile and "否" in profile and "case" not in shown
    assert case.splitlines()[:2] == ["编号          1", "状态          摸排"]
    data = cli.json("enterprise", "show", U[0])
    assert data["created_at"].endswith("+08:00") and data["created_at"][:16].replace("T", " ") in profile
    assert cli.json("case", "history", U[0])[0]["recorded_at"].endswith("+08:00")



# ---------------------------------------------------------------- re-import: parks, names, empty cells


def test_park_default_is_for_new_rows_and_a_park_cell_moves_an_enterprise_on_its_timeline(cli, org, tmp_path):
    imp(cli, write(tmp_path / "a.csv", ["uscc,name,park", f"{U[0]},A,SJ", f"{U[1]},B,SJ", f"{U[2]},C,SJ"]))
    cli("assign", "C01", U[0], U[1], user="A01")
    cli("cadre", "add", "A02", "--name", "无园区", "--email", "a02@example.org", "--role", "supervisor", user="A01")
    cli("assign", "A02", U[2], user="A01")  # a cadre of no park keeps a moved case
    before = cli.json("case", "history", U[1])
    # Empty park cells of existing rows keep their park, whatever --park says; a filled cell moves.
    path = write(tmp_path / "b.csv", ["统一社会信用代码,企业名称,所属园区", f"{U[0]},,新浜园区", f"{U[1]},,", f"{U[2]},,XP",
                                      f"{U[3]},D,"])
    dry = imp(cli, path, "--park", "XP", "--dry-run")
    assert (dry["created"], dry["updated"], dry["unchanged"], dry["moved"], dry["released"]) == (1, 2, 1, 2, 1)
    r = cli("enterprise", "import", str(path), "--park", "XP", user="A01")
    assert r.stdout == ("Imported b.csv: 1 created, 2 updated, 1 unchanged.\n"
                        "2 moved to another park (see their case history).\n")
    assert r.stderr == ("Warning: 1 of the moved cases had a cadre of the old park and are now unassigned: assign "
                        "them with `unionflow assign CADRE --park CODE --only-unassigned`\n")
    shown = {u: cli.json("enterprise", "show", u) for u in U[:4]}
    assert [(shown[u]["park"], shown[u]["name"], shown[u]["case"]["cadre"]) for u in U[:4]] == [
        ("XP", "A", None), ("SJ", "B", "C01"), ("XP", "C", "A02"), ("XP", "D", None)]
    moved = [h for h in cli.json("case", "history", U[0]) if h["kind"] in ("update", "assignment")][-2:]
    assert [(h["kind"], h["event"], h["actor"], h["data"], h["note"]) for h in moved] == [
        ("update", "move", "A01", {"file": "b.csv", "row": 2, "from_park": "SJ", "to_park": "XP"},
         "moved from park SJ to park XP (imported from b.csv, row 2)"),
        ("assignment", "assign", "A01", {"from": "C01", "to": None, "by": "A01", "park": "XP"},
         "unassigned by A01 (was C01): the enterprise moved to park XP"),
    ]
    assert cli.json("case", "history", U[1]) == before
    assert [h["event"] for h in cli.json("case", "history", U[2])][-1] == "move"
    # The new park's supervisor may now assign it.
    assert cli.json("assign", "C03", "--park", "XP", "--only-unassigned", user="S02")["assigned"] == 2


def test_an_update_file_needs_neither_names_nor_parks_of_existing_enterprises(cli, org, tmp_path):
    imp(cli, write(tmp_path / "a.csv", ["uscc,name,park,employees", f"{U[0]},A,SJ,10"]))
    result = imp(cli, write(tmp_path / "b.csv", ["uscc,name,employees", f"{U[0]},,20"]))
    assert (result["updated"], result["moved"]) == (1, 0)
    shown = cli.json("enterprise", "show", U[0])
    assert (shown["name"], shown["park"], shown["employees"]) == ("A", "SJ", 20)
    r = cli("enterprise", "import", str(write(tmp_path / "c.csv", ["uscc,employees", f"{U[0]},30", f"{U[1]},5"])),
            user="A01", expect=1)
    assert r.stderr.splitlines() == [
        "row 3, column 企业名称/name: required for a new enterprise",
        "row 3, column 所属园区/park: no park for a new enterprise: fill 所属园区/park or give --park",
        "Error: c.csv has 2 errors in 1 row; nothing was imported",
    ]
    assert cli.json("enterprise", "show", U[0])["employees"] == 20


def test_members_are_checked_against_the_stored_employees(cli, org, tmp_path):
    imp(cli, write(tmp_path / "a.csv", ["uscc,name,park,employees,members", f"{U[0]},A,SJ,10,5"]))
    r = cli("enterprise", "import", str(write(tmp_path / "b.csv", ["统一社会信用代码,工会会员数", f"{U[0]},500"])),
            user="A01", expect=1)
    assert r.stderr.splitlines()[0] == ("row 2, column 工会会员数: 500 members but only 10 employees (the employees "
                                        "already in the registry)")
    r = cli("enterprise", "import", str(write(tmp_path / "c.csv", ["uscc,employees", f"{U[0]},3"])), user="A01",
            expect=1)
    assert r.stderr.splitlines()[0] == ("row 2, column employees: 5 members but only 3 employees (the members "
                                        "already in the registry)")
    assert imp(cli, write(tmp_path / "d.csv", ["uscc,employees,members", f"{U[0]},3,2"]))["updated"] == 1


def test_errors_name_the_column_as_the_file_has_it_in_both_languages(cli, org, tmp_path):
    path = write(tmp_path / "zh.csv", ["统一社会信用代码,企业名称,所属园区,职工人数", f"{U[0]},甲,SJ,很多"])
    r = cli("enterprise", "import", str(path), user="A01", expect=1)
    assert r.stderr.splitlines()[0] == "row 2, column 职工人数: not a number: '很多'"
    r = cli("enterprise", "import", str(path), user="A01", lang="zh", expect=1)
    assert r.stderr.splitlines()[0] == "第 2 行，职工人数 列：不是数字：'很多'"
    errors = imp(cli, path, expect=1)["errors"]
    assert errors == [{"row": 2, "column": "职工人数", "field": "employees", "message": "not a number: '很多'"}]


def test_names_are_stored_as_written(cli, org, tmp_path):
    imp(cli, write(tmp_path / "a.csv", ["uscc,name,park,grid", f"{U[0]},上海己食品有限公司（更名）,SJ,网格１"]))
    shown = cli.json("enterprise", "show", U[0])
    assert (shown["name"], shown["grid"]) == ("上海己食品有限公司（更名）", "网格１")


def test_an_encoding_error_names_the_row_once(cli, org, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(b"uscc,name\n" + "松江".encode()[:-1] + b"\xff\xfe,x\n")
    r = cli("enterprise", "import", str(path), user="A01", expect=1)
    first, last = r.stderr.splitlines()
    assert first.startswith("row 2: bytes not valid gb18030 (") and ", column" not in first
    assert last == "Error: " + first
