"""Tables fit an 80-column terminal: values of codes, dates and numbers stay whole, text gives way (…)."""

from __future__ import annotations

import pytest
from rich.cells import cell_len

from tests.conftest import USCCS, add_enterprise

LONG_NAME = "上海精诚立信复合材料科技发展有限公司松江分公司"
COLUMNS_80 = {"COLUMNS": "80"}


def widest(output: str) -> int:
    return max(cell_len(line.rstrip()) for line in output.splitlines())


def test_fit_widths_keeps_values_whole_and_cuts_the_text_columns():
    from cli import COLUMN_GAP, fit_widths

    headers = ["id", "enterprise", "status_since", "next_action_on"]
    rows = [["12", LONG_NAME, "2026-06-15", "2026-06-30"]]
    assert fit_widths(headers, rows, 200, {1}) == [2, cell_len(LONG_NAME), 12, 14]  # room: as they are
    widths = fit_widths(headers, rows, 40, {1})
    assert widths[0] == 2 and widths[2] >= 10 and widths[3] >= 10  # dates never break
    assert sum(widths) + COLUMN_GAP * 3 == 40
    # Too narrow even for the values: they stay whole, the table is wider than asked.
    assert fit_widths(["uscc", "day"], [[USCCS[0], "2026-06-15"]], 20, set()) == [18, 10]


def test_headers_break_between_words_and_every_two_chinese_characters():
    from cli import _header_lines

    assert _header_lines("next_action_on", 10) == "next_\naction_on"
    assert _header_lines("Share of the gap", 9) == "Share of\nthe gap"
    assert _header_lines("尚需建会企业数", 8) == "尚需建会\n企业数"
    assert _header_lines("status", 3) == "status"  # nothing to break between: rich folds it


@pytest.fixture
def long_meeting(org, cli, db_url):
    add_enterprise(db_url, USCCS[0], LONG_NAME, cadre="C01")
    cli("meeting", "plan", "--on", "2026-06-16T09:30", "--place", "松江经济技术开发区管理委员会行政中心三楼第二会议室",
        "--title", "松江经济技术开发区六方建会联席会议（2026年第二季度第一次专题会议）", user="SEC1")
    return db_url


def test_meeting_list_fits_80_columns_with_the_local_start(long_meeting, cli):
    for lang in ("en", "zh"):
        out = cli("meeting", "list", lang=lang, env=COLUMNS_80).stdout
        assert widest(out) <= 80, out
        lines = out.splitlines()
        assert len(lines) == 3, out  # header, rule, one line for the meeting
        assert lines[2].startswith("1 ") and " SJ " in lines[2] and " 2026-06-16 09:30 " in lines[2]
        assert "松江经济技术开发区" in lines[2] and lines[2].rstrip().endswith("0") and "…" in lines[2]
        assert "专题会议" not in out  # the title: --json only
    meeting = cli.json("meeting", "list")[0]
    assert meeting["starts_at"] == "2026-06-16T09:30+08:00"
    assert meeting["title"] == "松江经济技术开发区六方建会联席会议（2026年第二季度第一次专题会议）"


def test_case_and_outbox_lists_fit_80_columns(long_meeting, cli):
    out = cli("case", "list", env=COLUMNS_80).stdout
    assert widest(out) <= 80, out
    assert out.splitlines()[0].split() == ["id", "enterprise", "park", "status", "cadre", "status_since",
                                           "next_action_on"]
    assert "上海精诚立信" in out and "…" in out and "2026-05-04" in out
    assert cli.json("case", "list")[0]["uscc"] == USCCS[0]  # JSON keeps every field
    for args in (("cadre", "list"), ("case", "list", "--stalled", "--as-of", "2026-06-15")):
        for lang in ("en", "zh"):
            out = cli(*args, env=COLUMNS_80, lang=lang).stdout
            assert widest(out) <= 80, (args, out)


def test_a_report_table_on_an_80_column_terminal(capsys):
    from cli import print_table

    headers = ["目标编号", "园区", "目标建会率", "完成期限", "建会率", "尚需建会企业数", "剩余工作日", "每周需建会数"]
    print_table(headers, [["1", "SJ", "70.0%", "2018-12-31", "70.8%", "115", "250", "2.3"]], title="目标",
                right=set(range(8)) - {1, 3}, width=80)
    out = capsys.readouterr().out
    assert widest(out) <= 80
    assert out.splitlines()[-1].split() == ["1", "SJ", "70.0%", "2018-12-31", "70.8%", "115", "250", "2.3"]
