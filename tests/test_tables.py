"""Tables fit an 80-column terminal: values of codes, dates and numbers stay whole, text gives way (…)."""

from __future__ import annotations

import pytest
from rich.cells import cell_len

from tests.conftest import USCCS, add_enterprise

LONG_NAME = "上海精诚立信复合材料科技发展有限公司松江分公司"
COLUMNS_80 = {"COLUMNS": "80"}


def widest(output: str) -> int:
    return max(cell_len(line.rstrip()) for line in output.splitlines())


def header_and_rows(output: str) -> tuple[set[str], list[str]]:
    """The words of a table's header (a header may break between words, over several lines) and its rows."""
    lines = output.splitlines()
    rule = next(i for i, line in enumerate(lines) if line.startswith("──"))
    return {w for line in lines[:rule] for w in line.split()}, lines[rule + 1:]


def test_a_table_too_wide_even_for_whole_words_prints_a_record_per_row(monkeypatch, capsys):
    """As psql's \\x auto: rather `header  value` lines than lines that run past the terminal."""
    from cli import print_table

    monkeypatch.setenv("COLUMNS", "40")
    headers = ["Target", "Park", "Due", "Outcome", "需要人数"]
    rows = [["1", "SJ", "2026-12-31", "open", "3"], ["2", "QP", "2027-06-30", "missed", "12"]]
    print_table(headers, rows, title="Targets")
    out = capsys.readouterr().out
    assert widest(out) <= 40, out
    lines = out.splitlines()
    assert lines[0] == "Targets" and lines[1].startswith("-[ 1 ]--") and lines[7].startswith("-[ 2 ]--")
    assert lines[2:7] == ["Target    1", "Park      SJ", "Due       2026-12-31", "Outcome   open", "需要人数  3"]
    assert lines[11] == "Outcome   missed"
    monkeypatch.setenv("COLUMNS", "80")
    print_table(headers, rows, title="Targets")
    assert "-[ 1 ]" not in capsys.readouterr().out  # room enough: a table


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
        _header, rows = header_and_rows(out)
        assert len(rows) == 1, out  # one line for the meeting
        assert rows[0].startswith("1 ") and " SJ " in rows[0] and " 2026-06-16 09:30 " in rows[0]
        assert "松江经济技术开发区" in rows[0] and rows[0].rstrip().endswith("0") and "…" in rows[0]
        assert "专题会议" not in out  # the title: --json only
    meeting = cli.json("meeting", "list")[0]
    assert meeting["starts_at"] == "2026-06-16T09:30+08:00"
    assert meeting["title"] == "松江经济技术开发区六方建会联席会议（2026年第二季度第一次专题会议）"


def test_case_and_outbox_lists_fit_80_columns(long_meeting, cli):
    out = cli("case", "list", env=COLUMNS_80).stdout
    assert widest(out) <= 80, out
    header, _rows = header_and_rows(out)  # a header may break between words to leave the name its room
    assert header == {"id", "enterprise", "park", "status", "cadre", "status_", "since", "next_", "action_", "on"}
    assert LONG_NAME[:12] in out
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


def test_headers_take_the_fewest_lines_the_room_allows():
    from cli import fit_widths

    headers = ["Target", "Park", "Target rate", "Due", "Founding rate", "Still needed", "Working days left",
               "Needed per week"]
    rows = [["1", "SJ", "70.0%", "2018-12-31", "70.8%", "115", "250", "2.3"]]
    widths = fit_widths(headers, rows, 80, set())
    from cli import _header_lines

    assert max(_header_lines(h, w).count("\n") for h, w in zip(headers, widths, strict=True)) == 1  # two lines
    # Too narrow for the headers' words: the table runs wider rather than fold a word letter by letter.
    assert fit_widths(headers, rows, 40, set()) == [6, 4, 6, 10, 8, 6, 7, 6]


@pytest.fixture
def registry(org, cli, db_url):
    """Enterprises with long names, all in park SJ, a target, and a case with a long timeline."""
    for i in range(4):
        add_enterprise(db_url, USCCS[i], LONG_NAME[: 12 + i], cadre=("C01", "C02")[i % 2], industry="高端装备",
                       employees=120 + i,
                       status="prospect" if i else "contacted", status_since="2026-05-04")
    cli("target", "set", "70%", "--by", "2026-12-31", "--park", "SJ", user="A01")
    cli("case", "log", "1", "--kind", "visit", "--note", "走访企业，人事经理表示需请示总部，下周再约老板面谈", user="C01")
    cli("case", "prepare", "1", "--mode", "standalone", "--group-leader", "李强", "--applied-on", "2026-06-01",
        "--note", "筹备组五人，已向区总工会递交建会申请", user="C01")
    return db_url


def test_piped_reports_fit_columns_when_it_is_set(registry, cli):
    """Not a terminal: COLUMNS when it is set (report tables used to run to 110 columns)."""
    for report in ("targets", "incentives", "cadres", "funnel", "coverage"):
        for lang in ("en", "zh"):
            out = cli("report", report, lang=lang, env={"COLUMNS": "80"}).stdout
            assert widest(out) <= 80, (report, lang, out)
    out = cli("report", "targets", env={"COLUMNS": "120"}).stdout
    assert "Working days left" in out  # room: whole headers


def test_piped_without_columns_a_table_keeps_its_whole_width(registry, cli):
    """Into a file or another program, with no COLUMNS: no width applies, so nothing is cut, no header is
    broken and no table becomes a record per row."""
    out = cli("report", "targets", env={"COLUMNS": None}).stdout
    assert widest(out) > 80 and "Working days left" in out and "…" not in out, out
    out = cli("enterprise", "list", env={"COLUMNS": None}).stdout
    lines = out.splitlines()
    assert lines[0].split() == ["uscc", "name", "park", "industry", "employees", "status", "cadre"], out
    assert LONG_NAME[:12] in out and "…" not in out
    records = cli("enterprise", "list", env={"COLUMNS": "30"}).stdout
    assert "-[ 1 ]" in records and "-[ 1 ]" not in out


def test_case_history_gives_its_room_to_the_note(registry, cli):
    out = cli("case", "history", "1", env=COLUMNS_80).stdout
    assert widest(out) <= 80, out
    header = out.splitlines()[0].split()
    assert header == ["occurred_on", "kind", "event", "to_status", "actor", "note"]  # whole; from_status: --json
    note_at = out.splitlines()[0].index("note")
    assert 80 - note_at >= 20
    assert "走访企业，人事经理表示需请示总部" in out.replace(" ", "").replace("\n", "")
    visit, prepare = (next(line for line in out.splitlines() if f" {event} " in line) for event in ("visit", "prepare"))
    assert visit.split()[:4] == ["2026-06-15", "activity", "visit", "C01"]  # no status: a visit does not move it
    assert prepare.split()[:5] == ["2026-06-15", "transition", "prepare", "preparatory", "C01"]
    assert {"from_status", "to_status"} <= set(cli.json("case", "history", "1")[0])


def test_a_value_shared_by_every_row_is_said_once_when_room_is_short(registry, cli):
    out = cli("enterprise", "list", env=COLUMNS_80).stdout
    lines = out.splitlines()
    assert lines[0] == "park: SJ" and lines[1].split() == ["uscc", "name", "industry", "employees", "status", "cadre"]
    assert widest(out) <= 80 and LONG_NAME[:6] in out  # the park's room goes to the name
    assert cli("enterprise", "list", lang="zh", env=COLUMNS_80).stdout.splitlines()[0] == "园区：SJ"
    wide = cli("enterprise", "list", env={"COLUMNS": "160"}).stdout
    assert wide.splitlines()[0].split()[:3] == ["uscc", "name", "park"]  # room enough: a column like any other
