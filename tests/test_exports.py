"""Exports: CSV with a BOM, XLSX read back with openpyxl, the HTML trend page; formula injection, Chinese headers."""

import csv
import io
from datetime import date, datetime

import pytest

from tests.conftest import add_enterprise, valid_usccs

U = valid_usccs(10, seed=23)
NASTY = ['=HYPERLINK("http://evil.example","点我")', "+SUM(1,2)", "-2+3", "@cmd", "\tTAB", "\rCR"]


@pytest.fixture
def nasty(cli, org):
    """Founded enterprises whose names are spreadsheet formulas, a plain Chinese one, and a constraint case."""
    for i, name in enumerate(NASTY):
        add_enterprise(org, U[i], name, status="founded", cadre="C01", mode="standalone",
                       founded_on=date(2026, 3, i + 1))
    add_enterprise(org, U[6], "上海松江精密机械有限公司", status="active", cadre="C01", mode="standalone",
                   founded_on=date(2025, 9, 1), activated_on=date(2026, 1, 5))
    add_enterprise(org, U[7], "=1+1 开业已久", status="prospect", cadre="C02", employees=60, opened_on=date(2024, 1, 1))
    cli("park", "add", "EV", "=2*3 园区", user="A01")
    add_enterprise(org, U[8], "恶意园区企业", "EV", status="prospect", employees=10)
    return org


def read_csv(text: str) -> list[list[str]]:
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_neutralise_leaves_numbers_and_dates_alone():
    from workflow.exports import neutralise

    assert [neutralise(v) for v in ["=A1", "+1", "-1", "@x", "\tx", "\rx", "a=b", "", "普通"]] == [
        "'=A1", "'+1", "'-1", "'@x", "'\tx", "'\rx", "a=b", "", "普通"]
    assert neutralise(-5) == -5 and neutralise(0.25) == 0.25 and neutralise(None) is None
    assert neutralise(date(2026, 1, 1)) == date(2026, 1, 1)


def test_csv_guards_formulas_and_keeps_chinese_headers(cli, nasty, tmp_path):
    rows = read_csv(cli("report", "incentives", "--format", "csv", lang="zh").stdout)
    assert rows[0] == ["统一社会信用代码", "企业名称", "园区", "状态", "建会方式", "联合工会", "建会日期", "规范运行日期",
                       "包干干部", "截至日期"]
    eligible = rows[1:]
    assert len(eligible) == 7 and {len(r) for r in eligible} == {10}  # one rectangular table
    assert sorted(r[1] for r in eligible) == sorted(["'" + n for n in NASTY] + ["上海松江精密机械有限公司"])
    assert {r[3] for r in eligible} == {"已建会", "规范运行"} and {r[-1] for r in eligible} == {"2026-06-15"}
    rows = read_csv(cli("report", "incentives", "--sheet", "constraints", "--format", "csv", lang="zh").stdout)
    assert rows[0][:6] == ["统一社会信用代码", "企业名称", "园区", "状态", "包干干部", "职工人数"]
    assert rows[1][1:6] == ["'=1+1 开业已久", "SJ", "摸排", "C02", "60"] and rows[1][-2:] == [
        "开业已超过 6 个月", "2026-06-15"]

    out = tmp_path / "覆盖率.csv"
    cli("report", "coverage", "--by", "park", "--format", "csv", "--out", out, lang="zh")
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert table[0][:5] == ["园区", "名称", "企业数", "已建会企业数", "建会率"]
    assert table[0][-2:] == ["截至日期", "口径"]  # what the file is of, on every row
    assert table[1][:5] == ["EV", "'=2*3 园区", "1", "0", "0.0"]
    assert table[2][:4] == ["SJ", "松江经开区", "8", "7"] and float(table[2][4]) == 0.875
    assert table[-1][:5] == ["合计", "", "9", "7", str(round(7 / 9, 6))]
    assert {tuple(r[-2:]) for r in table[1:]} == {("2026-06-15", "全部企业")}

    english = read_csv(cli("report", "coverage", "--format", "csv", "--basis", "shuangshi").stdout)
    assert english[0][:4] == ["Group", "Enterprises", "Founded", "Founding rate"]
    assert english[0][-2:] == ["As of", "Basis"] and english[1][0] == "Total" and english[1][-2:] == [
        "2026-06-15", "shuangshi"]


def test_xlsx_read_back_with_openpyxl(cli, nasty, tmp_path):
    from openpyxl import load_workbook

    path = tmp_path / "incentives.xlsx"
    result = cli("report", "incentives", "--format", "xlsx", "--out", path, lang="zh")
    assert result.stdout.strip() == f"已写入 {path}。"
    wb = load_workbook(path)
    assert wb.sheetnames == ["激励名单", "约束名单"]
    eligible = list(wb["激励名单"].iter_rows(values_only=True))
    assert eligible[0][0] == "激励名单 · 截至日期：2026-06-15"  # the title row says what the sheet is of
    assert eligible[1][:4] == ("统一社会信用代码", "企业名称", "园区", "状态")
    names = {row[1] for row in eligible[2:]}
    assert names == {"'" + n for n in NASTY} | {"上海松江精密机械有限公司"}
    assert all(c.data_type == "s" for c in wb["激励名单"]["B"][2:])  # text, never a formula
    active = next(row for row in eligible if row[1] == "上海松江精密机械有限公司")
    assert active[6:8] == (datetime(2025, 9, 1), datetime(2026, 1, 5))
    constraint = list(wb["约束名单"].iter_rows(values_only=True))[2]
    assert constraint[1] == "'=1+1 开业已久" and constraint[5] == 60 and isinstance(constraint[5], int)

    path = tmp_path / "coverage.xlsx"
    cli("report", "coverage", "--by", "park", "--as-of", "2026-06-14", "--park", "SJ", "--format", "xlsx",
        "--out", path)
    wb = load_workbook(path)
    ws = wb.active
    assert ws["A1"].value == "Founding rate · As of: 2026-06-14 · Basis: all enterprises · Park: SJ"
    assert (wb.properties.title, wb.properties.subject) == ("Founding rate", ws["A1"].value)
    assert ws.freeze_panes == "A3" and ws.print_title_rows == "$1:$2"
    header = [c.value for c in ws[2]]
    assert header[:5] == ["Park", "Name", "Enterprises", "Founded", "Founding rate"]
    sj = ws[3]
    assert (sj[0].value, sj[2].value, sj[3].value) == ("SJ", 8, 7)
    assert sj[4].value == 0.875 and sj[4].number_format == "0.0%"

    path = tmp_path / "coverage-ev.xlsx"
    cli("report", "coverage", "--by", "park", "--format", "xlsx", "--out", path)
    ws = load_workbook(path).active
    assert ws["A1"].value == "Founding rate · As of: 2026-06-15 · Basis: all enterprises"
    assert ws[3][1].value == "'=2*3 园区"


def test_other_reports_export(cli, nasty, tmp_path):
    from openpyxl import load_workbook

    cli("target", "set", "90%", "--by", "2026-12-31", user="A01")
    for kind, sheets in [("targets", ["Targets", "Cadre shares of the gap"]), ("funnel", ["Funnel"]),
                         ("cadres", ["Contract-responsibility ledger"])]:
        path = tmp_path / f"{kind}.xlsx"
        cli("report", kind, "--format", "xlsx", "--out", path)
        assert load_workbook(path).sheetnames == sheets
        table = read_csv(cli("report", kind, "--format", "csv").stdout)
        assert len({len(r) for r in table}) == 1 and "As of" in table[0]  # one rectangular table
    targets = read_csv(cli("report", "targets", "--format", "csv").stdout)
    assert targets[0][:3] == ["Target", "Park", "Basis"] and targets[1][1] == "(all)" and len(targets) == 2
    shares = read_csv(cli("report", "targets", "--sheet", "shares", "--format", "csv").stdout)
    assert shares[0] == ["Target", "Park", "Due", "Cadre", "Name", "Open cases", "Share of the gap", "Share (exact)",
                         "As of"]
    assert [r[3] for r in shares[1:]] == ["C02", "(unassigned)"]
    path = tmp_path / "shares.xlsx"
    cli("report", "targets", "--sheet", "shares", "--format", "xlsx", "--out", path)
    assert load_workbook(path).sheetnames == ["Cadre shares of the gap"]
    ledger = read_csv(cli("report", "cadres", "--format", "csv", "--from", "2026-03-01").stdout)
    assert ledger[0][-2:] == ["As of", "Period from"] and ledger[1][-2:] == ["2026-06-15", "2026-03-01"]
    assert ledger[0][3:10] == ["Portfolio", "Founded", "Prospect", "Contacted", "Preparatory", "Founded, not yet active",
                               "Active"]


def test_html_trend_page(cli, nasty):
    page = cli("report", "coverage", "--monthly", "--from", "2026-01-01", "--to", "2026-06-30", "--by", "park",
               "--format", "html", lang="zh").stdout
    assert page.startswith("<!DOCTYPE html>") and '<html lang="zh-CN">' in page
    assert "<title>建会率月度趋势</title>" in page
    assert "期间: 2026-01-01 – 2026-06-30 · 口径: 全部企业" in page and "截至日期:" not in page
    assert page.count("<svg") == 1 and page.count("<polyline") == 1
    assert all(f">2026-0{m}</text>" in page for m in range(1, 7))  # a tick per month end
    assert page.count('<circle class="dot"') == 2  # January–April had no enterprises yet: no rate to plot
    assert "=2*3 园区" in page and "<script" not in page
    assert "<link" not in page and "src=" not in page  # self-contained


def test_html_escapes_what_the_data_says(cli, org):
    cli("park", "add", "EV", "<script>alert(1)</script>", user="A01")
    add_enterprise(org, U[0], "甲", "EV")
    page = cli("report", "coverage", "--by", "park", "--format", "html").stdout
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>" not in page
    assert "<svg" not in page  # no trend, no chart


def test_output_options(cli, nasty, tmp_path):
    r = cli("report", "funnel", "--out", tmp_path / "x.txt", expect=2)
    assert "--out goes with --format csv, json, xlsx or html" in r.stderr
    r = cli("report", "funnel", "--format", "html", expect=2)
    assert "'html' is not one of 'table', 'csv', 'json', 'xlsx'" in r.stderr
    path = tmp_path / "funnel.json"
    cli("report", "funnel", "--format", "json", "--out", path)
    import json

    assert json.loads(path.read_text(encoding="utf-8")) == cli.json("report", "funnel")
