"""Reading and validating registry files: real CSV/XLSX files written into tmp_path."""

import random
from datetime import date, datetime

import pytest
from openpyxl import Workbook

from workflow.errors import ImportFailed
from workflow.registry_file import (
    DuplicateGuard,
    Formula,
    Record,
    RegistryReader,
    RowError,
    detect_encoding,
    parse_row,
    read_rows,
)
from workflow.uscc import fake_uscc

GOOD = "91350100M000100Y43"
BAD_CHECK = "91350100M000100Y44"
TODAY = date(2024, 6, 30)
ZH_HEADER = "统一社会信用代码,企业名称,所属园区,职工人数,是否双实,来源,成立日期,工会会员数,建会状态,状态日期"


def codes(n, seed=1):
    rng = random.Random(seed)
    return [fake_uscc(rng) for _ in range(n)]


def write(path, text, encoding):
    path.write_bytes(text.encode(encoding))
    return path


def parse_file(path, **kw):
    kw.setdefault("today", TODAY)
    return [(n, *parse_row(n, raw, **kw)) for n, raw in read_rows(path)]


# ---------------------------------------------------------------- encodings


def test_gb18030_csv_with_chinese_headers_decodes_exactly(tmp_path):
    a, b = codes(2)
    # '𡈼' is outside GBK (4-byte in GB18030): proves the file is read as GB18030, not GBK.
    names = ["上海松江精密机械有限公司", "上海𡈼氏新材料科技有限公司"]
    text = (
        f"{ZH_HEADER}\r\n"
        f'{a},{names[0]},SJETDZ,"1,200",是,存量,2018/7/1,300,已建会,2018年9月1日\r\n'
        f"{b},{names[1]},SJETDZ,40,否,新迁入,2023-03-15,,,\r\n"
    )
    path = write(tmp_path / "registry.csv", text, "gb18030")
    assert detect_encoding(path) == "gb18030"
    rows = parse_file(path)
    assert [(n, errs) for n, _, errs in rows] == [(2, []), (3, [])]
    first, second = rows[0][1], rows[1][1]
    assert [first.name, second.name] == names
    assert first == Record(
        uscc=a, name=names[0], park="SJETDZ", employees=1200, shuangshi=True, source="existing",
        opened_on=date(2018, 7, 1), members=300, status="founded", status_since=date(2018, 9, 1),
    )  # fmt: skip
    assert (second.source, second.shuangshi, second.status, second.members) == (
        "relocated",
        False,
        None,
        None,
    )


def test_utf8_bom_csv_with_english_headers(tmp_path):
    (a,) = codes(1)
    text = f" USCC ,Name,PARK,Employees,Status\n{a},Acme 松江,P1,12,Prospect\n"
    path = write(tmp_path / "bom.csv", text, "utf-8-sig")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    assert detect_encoding(path) == "utf-8-sig"
    assert list(read_rows(path)) == [
        (2, {"uscc": a, "name": "Acme 松江", "park": "P1", "employees": "12", "status": "Prospect"})
    ]
    [(_, record, errors)] = parse_file(path)
    assert errors == [] and record.status == "prospect" and record.employees == 12


def test_plain_utf8_csv_blank_rows_skipped_and_row_numbers_kept(tmp_path):
    a, b = codes(2)
    text = f"uscc,name\n{a},甲公司\n,\n\n{b},乙公司\n"
    path = write(tmp_path / "plain.csv", text, "utf-8")
    assert detect_encoding(path) == "utf-8"
    assert [(n, raw["name"]) for n, raw in read_rows(path)] == [(2, "甲公司"), (5, "乙公司")]


def test_ascii_prefix_longer_than_the_sniff_window_then_gb18030(tmp_path):
    many = codes(2001)
    lines = ["uscc,name"] + [f"{c},Company {i} Ltd" for i, c in enumerate(many[:-1])]
    lines.append(f"{many[-1]},松江新材料有限公司")
    path = write(tmp_path / "late.csv", "\n".join(lines) + "\n", "gb18030")
    assert path.stat().st_size > 65536
    rows = list(read_rows(path))
    assert rows[-1] == (2002, {"uscc": many[-1], "name": "松江新材料有限公司"})


def test_utf8_start_but_gbk_later_is_a_clear_error_with_the_row(tmp_path):
    many = codes(2501)
    head = "uscc,name\n" + "".join(f"{c},松江公司{i}\n" for i, c in enumerate(many[:-1]))
    data = head.encode("utf-8") + f"{many[-1]},松江新材料有限公司\n".encode("gbk")
    path = tmp_path / "mixed.csv"
    path.write_bytes(data)
    assert len(head.encode("utf-8")) > 65536 and detect_encoding(path) == "utf-8"
    seen = []
    with pytest.raises(ImportFailed) as exc:
        for n, _ in read_rows(path):
            seen.append(n)
    assert seen[-1] == 2501
    message = str(exc.value)
    assert message.startswith("row 2502: bytes not valid utf-8 (")
    assert "save the file as UTF-8 or GB18030" in message
    [error] = exc.value.errors
    assert (error.row, error.column) == (2502, "") and message == f"row 2502: {error.message}"


def test_a_bad_byte_after_a_multi_line_cell_names_the_row_and_the_line(tmp_path):
    many = codes(2501)
    head = 'uscc,name\n"x","多行\n名称"\n' + "".join(f"{c},松江公司{i}\n" for i, c in enumerate(many[:-1]))
    path = tmp_path / "multi.csv"
    path.write_bytes(head.encode("utf-8") + f"{many[-1]},松江新材料有限公司\n".encode("gbk"))
    assert detect_encoding(path) == "utf-8"
    with pytest.raises(ImportFailed) as exc:
        list(read_rows(path))
    assert str(exc.value).startswith("row 2503: bytes not valid utf-8 (line 2504) (")


# ---------------------------------------------------------------- xlsx


def test_xlsx_with_chinese_headers_date_cell_and_float_count(tmp_path):
    a, b = codes(2)
    wb = Workbook()
    ws = wb.active
    ws.append(["统一社会信用代码", "企业名称", "职工人数", "成立日期", "是否双实", "联系电话", None])
    ws.append([a, "松江电子有限公司", 1200.0, datetime(2018, 7, 1), 1, 13800138000, None])
    ws.append([None, None, None, None, None, None, None])
    ws.append([b, "  泗泾物流有限公司 ", 25, date(2020, 1, 2), "否", "021-57000000", None])
    path = tmp_path / "registry.xlsx"
    wb.save(path)

    raw = list(read_rows(path))
    assert [n for n, _ in raw] == [2, 4]
    assert raw[0][1]["opened_on"] == date(2018, 7, 1) and raw[0][1]["employees"] == 1200.0
    rows = parse_file(path, default_park="SJETDZ")
    assert [errs for _, _, errs in rows] == [[], []]
    first, second = rows[0][1], rows[1][1]
    assert (first.employees, type(first.employees), first.opened_on) == (1200, int, date(2018, 7, 1))
    assert (first.shuangshi, first.contact_phone, first.park) == (True, "13800138000", "SJETDZ")
    assert (second.name, second.opened_on, second.shuangshi) == ("泗泾物流有限公司", date(2020, 1, 2), False)


def test_xlsx_uscc_stored_as_a_number(tmp_path):
    wb = Workbook()
    wb.active.append(["uscc", "name", "park"])
    wb.active.append([913101170000000000, "Numeric Ltd", "P"])
    path = tmp_path / "num.xlsx"
    wb.save(path)
    [(n, record, errors)] = parse_file(path)
    assert errors == [RowError(2, "uscc", "stored as a number; format the column as text")]


# ---------------------------------------------------------------- file-level errors


def test_unknown_columns_are_ignored_and_listed(tmp_path):
    path = write(tmp_path / "h.csv", "统一社会信用代码,企业名称,职工,备注\nx,y,z,w\n", "gb18030")
    reader = RegistryReader(path)
    assert list(reader.rows()) == [(2, {"uscc": "x", "name": "y"})]
    assert reader.ignored == ["职工 (C)", "备注 (D)"]
    assert reader.written == {"uscc": "统一社会信用代码", "name": "企业名称"}


def test_missing_required_and_duplicate_headers(tmp_path):
    path = write(tmp_path / "h.csv", "企业名称,name,park,统一代码\n", "utf-8")
    with pytest.raises(ImportFailed) as exc:
        list(read_rows(path))
    assert exc.value.errors == [
        RowError(1, "name", "column 'name' appears twice (column B)", "name"),
        RowError(1, "统一社会信用代码/uscc",
                 "required column missing: 统一社会信用代码/uscc (columns not known: 统一代码 (D))", "uscc"),
    ]


def test_errors_name_the_column_as_the_file_does(tmp_path):
    path = write(tmp_path / "zh.csv", f"统一社会信用代码,职工人数\n{GOOD},abc\n", "utf-8")
    reader = RegistryReader(path)
    [(n, raw)] = list(reader.rows())
    _, [error] = parse_row(n, raw)
    assert reader.named(error) == RowError(2, "职工人数", "not a number: 'abc'", "employees")
    assert reader.named(RowError(2, "name", "required")) == RowError(2, "企业名称/name", "required", "name")


@pytest.mark.parametrize(("name", "content", "message"), [
    ("empty.csv", b"", "the file is empty"),
    ("blank.csv", b"\r\n,,\r\nx,y\r\n", "row 1 is empty"),
    ("old.xls", b"x", "unsupported file type '.xls'"),
    ("fake.xlsx", b"not a zip", "cannot read fake.xlsx as .xlsx"),
])  # fmt: skip
def test_unreadable_files(tmp_path, name, content, message):
    (tmp_path / name).write_bytes(content)
    with pytest.raises(ImportFailed, match=message):
        list(read_rows(tmp_path / name))


def test_missing_file(tmp_path):
    with pytest.raises(ImportFailed, match="no such file"):
        list(read_rows(tmp_path / "nope.csv"))


# ---------------------------------------------------------------- row errors


def test_bad_check_character_duplicate_negative_and_abc(tmp_path):
    a, b = codes(2)
    text = (
        "uscc,name,park,employees,members\n"
        f"{a},One,P,10,2\n"
        f"{BAD_CHECK},Two,P,10,2\n"
        f"{a.lower()},Three,P,10,2\n"
        f"{b},Four,P,-5,abc\n"
    )
    path = write(tmp_path / "bad.csv", text, "utf-8")
    guard = DuplicateGuard()
    errors = []
    for n, raw in read_rows(path):
        record, errs = parse_row(n, raw, today=TODAY)
        errors += errs
        if record and (dup := guard.check(n, record.uscc)):
            errors.append(dup)
    assert errors == [
        RowError(3, "uscc", f"{BAD_CHECK}: check character (position 18) should be '3' not '4'"),
        RowError(4, "uscc", f"duplicate: {a} already appears in row 2"),
        RowError(5, "employees", "must not be negative, got -5"),
        RowError(5, "members", "not a number: 'abc'"),
    ]


def test_every_error_of_a_row_is_reported():
    raw = {"uscc": "9135", "name": " ", "employees": "12.5", "shuangshi": "maybe",
           "opened_on": "2030-01-01", "status_since": "2018-02-30", "source": "外资"}  # fmt: skip
    record, errors = parse_row(7, raw, today=TODAY)
    assert record is None
    assert [(e.row, e.column) for e in errors] == [
        (7, "uscc"), (7, "employees"), (7, "shuangshi"), (7, "source"), (7, "opened_on"), (7, "status_since"),
    ]  # fmt: skip
    messages = {e.column: e.message for e in errors}
    assert messages["uscc"] == "9135: must be 18 characters, got 4"
    assert messages["employees"] == "must be a whole number, got 12.5"
    assert messages["shuangshi"] == "expected 是/否, Y/N, yes/no, true/false or 1/0, got 'maybe'"
    assert messages["source"].startswith("unknown value '外资'; expected one of 存量/existing")
    assert messages["opened_on"] == "2030-01-01 is in the future (today is 2024-06-30)"
    assert messages["status_since"] == "not a real date: '2018-02-30'"


def base(**extra):
    return {"uscc": GOOD, "name": "Acme", "park": "P", **extra}


@pytest.mark.parametrize(
    ("extra", "column", "message"),
    [
        ({"status_since": "2020-01-01"}, "status_since", "given without a status (建会状态/status)"),
        ({"status": "已建会", "status_since": "2024-07-01"}, "status_since", "2024-07-01 is in the future (today is 2024-06-30)"),
        ({"employees": "10", "members": "11"}, "members", "11 members but only 10 employees"),
        ({"status": "done"}, "status", "unknown value 'done'; expected one of 摸排/prospect, 已对接/contacted, "
         "筹备/preparatory, 已建会/founded, 规范运行/active, 已注销/closed"),
        ({"status": "已建会", "status_since": "2020-01-01", "opened_on": "2024-01-01"}, "status_since",
         "2020-01-01 is before the opening day 2024-01-01 (成立日期/opened_on)"),
        ({"employees": Formula("=1+1")}, "employees",
         "a formula (=1+1) without a saved result: open the file in Excel or WPS, save it, and import it again"),
        ({"uscc": Formula("=A1")}, "uscc",
         "a formula (=A1) without a saved result: open the file in Excel or WPS, save it, and import it again"),
        ({"opened_on": 43282}, "opened_on", "a number (43282), not a date: format the cell as a date or write YYYY-MM-DD"),
        ({"opened_on": "1/7/2018"}, "opened_on", "not a date: '1/7/2018' (use YYYY-MM-DD)"),
        ({"opened_on": "2018-7/1"}, "opened_on", "not a date: '2018-7/1' (use YYYY-MM-DD)"),
        ({"employees": True}, "employees", "not a number: True"),
        ({"employees": 3.5}, "employees", "must be a whole number, got 3.5"),
        ({"uscc": None}, "uscc", "required"),
    ],
)  # fmt: skip
def test_single_rule_errors(extra, column, message):
    assert parse_row(2, base(**extra), today=TODAY) == (None, [RowError(2, column, message)])


@pytest.mark.parametrize(
    ("value", "expected"),
    [("是", True), ("否", False), ("Y", True), ("n", False), ("Yes", True), ("no", False),
     ("TRUE", True), ("false", False), ("1", True), ("0", False), (None, False), (1, True),
     (0.0, False), (True, True)],
)  # fmt: skip
def test_booleans(value, expected):
    record, errors = parse_row(2, base(shuangshi=value))
    assert errors == [] and record.shuangshi is expected


@pytest.mark.parametrize(
    "value",
    ["2018-07-01", "2018-7-1", "2018/7/1", "2018.07.01", "2018年7月1日", "2018年07月01", " 2018-07-01 00:00:00",
     date(2018, 7, 1)],
)  # fmt: skip
def test_date_formats(value):
    record, errors = parse_row(2, base(opened_on=value), today=TODAY)
    assert errors == [] and record.opened_on == date(2018, 7, 1)


@pytest.mark.parametrize(
    ("value", "expected"), [("1,200", 1200), ("1200.0", 1200), (1200.0, 1200), ("０", 0), (7, 7)]
)
def test_integers(value, expected):
    record, errors = parse_row(2, base(employees=value))
    assert errors == [] and record.employees == expected


@pytest.mark.parametrize(
    ("source", "status", "expected"),
    [("新开工", "摸排", ("new_project", "prospect")), ("意向入驻", "已对接", ("prospective", "contacted")),
     ("Relocated", "筹备", ("relocated", "preparatory")), (None, "规范运行", ("existing", "active")),
     ("存量", "已注销", ("existing", "closed"))],
)  # fmt: skip
def test_source_and_status_names(source, status, expected):
    record, errors = parse_row(2, base(source=source, status=status, status_since="2020-01-01"), today=TODAY)
    assert errors == [] and (record.source, record.status) == expected


def test_default_park_and_file_park():
    assert parse_row(2, base(park=None), default_park="D")[0].park == "D"
    assert parse_row(2, base(park="F"), default_park="D")[0].park == "F"


def test_no_future_check_without_today():
    record, errors = parse_row(2, base(opened_on="2999-01-01"))
    assert errors == [] and record.opened_on == date(2999, 1, 1)


def test_uscc_is_normalised_in_the_record():
    record, _ = parse_row(2, base(uscc=" 91350100m000100y43 "))
    assert record.uscc == GOOD


def test_duplicate_guard_names_the_first_row():
    guard = DuplicateGuard()
    assert guard.check(2, GOOD) is None
    assert guard.check(3, "other") is None
    assert guard.check(9, GOOD.lower()) == RowError(9, "uscc", f"duplicate: {GOOD} already appears in row 2")
    assert guard.check(12, GOOD).message.endswith("row 2")


def test_values_under_an_empty_header_are_ignored_and_counted(tmp_path):
    path = write(tmp_path / "extra.csv", f"uscc,name,\n{GOOD},Acme,note\n{GOOD},Acme,\n{GOOD},Acme,note\n", "utf-8")
    reader = RegistryReader(path)
    rows = list(reader.rows())
    assert rows[0] == (2, {"uscc": GOOD, "name": "Acme"})
    assert reader.unheaded == {"rows": 2, "first_row": 2}
    reader = RegistryReader(write(tmp_path / "plain.csv", f"uscc,name\n{GOOD},Acme\n", "utf-8"))
    list(reader.rows())
    assert reader.unheaded is None


def test_truncated_last_character_is_reported(tmp_path):
    path = tmp_path / "cut.csv"
    path.write_bytes(f"uscc,name\n{GOOD},松江".encode()[:-1])
    with pytest.raises(ImportFailed, match=r"^row 2: bytes not valid utf-8 \("):
        list(read_rows(path))


def test_a_prospect_may_be_met_before_the_enterprise_opens():
    record, errors = parse_row(2, base(status="摸排", status_since="2020-01-01", opened_on="2024-01-01"), today=TODAY)
    assert errors == [] and record.status_since == date(2020, 1, 1)


def test_names_keep_what_the_user_wrote():
    record, errors = parse_row(2, base(name=" 上海己食品有限公司（更名） ", grid="网格１", contact_phone="１３８００"))
    assert errors == [] and (record.name, record.grid) == ("上海己食品有限公司（更名）", "网格１")
    assert record.contact_phone == "13800"


def test_a_new_enterprise_name_and_park_are_checked_later_not_here():
    record, errors = parse_row(2, {"uscc": GOOD, "employees": "5"})
    assert errors == [] and (record.name, record.park) == (None, None)


def test_an_xlsx_formula_cell_gives_its_saved_result_or_an_error(tmp_path):
    from zipfile import ZipFile

    wb = Workbook()
    wb.active.append(["uscc", "name", "employees", "members"])
    wb.active.append([GOOD, "Acme", "=1+1", 1])
    plain, saved = tmp_path / "never-opened.xlsx", tmp_path / "saved.xlsx"
    wb.save(plain)
    # What Excel does on saving: the formula keeps its result (<v>) beside it.
    with ZipFile(plain) as src, ZipFile(saved, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"<f>1+1</f><v></v>", b"<f>1+1</f><v>2</v>")
            dst.writestr(item, data)
    [(_, raw)] = list(read_rows(saved))
    assert raw["employees"] == 2
    [(_, record, errors)] = parse_file(plain)
    assert errors == [RowError(2, "employees", "a formula (=1+1) without a saved result: open the file in Excel or "
                                               "WPS, save it, and import it again")]
