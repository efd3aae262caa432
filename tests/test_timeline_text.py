"""What the system writes on timelines and agendas is read in the reader's language (workflow.timeline_text).

Each text is written in the writer's language and read back made anew from its stored facts: read in the
writer's language it must equal what was stored (the SQL and Python spellings agree), read in the other
language it must be that language's.
"""

from __future__ import annotations

import pytest

from tests.conftest import USCCS, add_enterprise
from tests.test_sweep import sql

U1, U2 = USCCS[0], USCCS[1]
OTHER = {"zh": "en", "en": "zh"}


def history(cli, ref, lang):
    return cli.json("case", "history", ref, lang=lang)


def stored_notes(db_url: str, kind: str) -> list[str]:
    return [r[0] for r in sql(db_url, f"SELECT note FROM case_event WHERE kind = '{kind}' ORDER BY id")]


@pytest.mark.parametrize("writer", ["zh", "en"])
def test_escalation_and_agenda_notes_read_in_the_readers_language(cli, org, writer):
    add_enterprise(org, U1, "中文公司", status="contacted", status_since="2026-03-02", cadre="C01")
    cli("case", "log", U1, "--kind", "visit", "--note", "老板出差", "--next-action", "2026-06-12", user="C01",
        today="2026-06-01")
    cli("meeting", "plan", "--on", "2026-06-18T09:00", "--place", "会议室", user="SEC1", lang=writer)
    cli("escalate", user="A01", lang=writer)
    for kind in ("escalation", "agenda"):
        written = stored_notes(org, kind)
        assert written, kind
        same = [h["note"] for h in history(cli, U1, writer) if h["kind"] == kind]
        assert same == written, kind  # read in the writer's language: exactly what was stored
    zh = {h["event"]: h["note"] for h in history(cli, U1, "zh") if h["kind"] in ("escalation", "agenda")}
    en = {h["event"]: h["note"] for h in history(cli, U1, "en") if h["kind"] in ("escalation", "agenda")}
    days = {h["event"]: h["data"]["working_days"] for h in history(cli, U1, "en") if h["kind"] == "escalation"}
    assert days["remind"] == days["overdue"] == days["meeting"] == 72  # first swept on 15 June: all three at once
    assert zh["remind"] == "提醒：已对接 72/30 个工作日" and en["remind"] == "remind: 72 of 30 working days in contacted"
    assert zh["overdue"] == "逾期督办：已对接 72/30 个工作日" and en["overdue"] == "overdue: 72 of 30 working days in contacted"
    assert zh["meeting"] == "提交联席会议：已对接 72/30 个工作日"
    assert zh["next_action"] == "跟进提醒：2026-06-12" and en["next_action"] == "next action due 2026-06-12"
    assert zh["escalation"] == "松江经开区六方建会联席会议（2026年6月18日）"  # the agenda event: the meeting's title
    assert en["escalation"] == "Six-party joint meeting of 松江经开区, 2026-06-18"


@pytest.mark.parametrize("writer", ["zh", "en"])
def test_import_and_assignment_notes_read_in_the_readers_language(cli, org, writer, tmp_path):
    path = tmp_path / "名录.csv"
    path.write_text("统一社会信用代码,企业名称,所属园区,建会状态,状态日期\n"
                    f"{U1},甲公司,SJ,已对接,2026-05-04\n{U2},乙公司,SJ,,\n", encoding="utf-8")
    cli("enterprise", "import", str(path), user="A01", lang=writer)
    cli("assign", "C01", U1, U2, user="A01", lang=writer)
    cli("assign", "C02", U1, user="A01", lang=writer)
    for kind in ("import", "assignment"):
        written = stored_notes(org, kind)
        same = [h["note"] for u in (U1, U2) for h in history(cli, u, writer) if h["kind"] == kind]
        assert sorted(same) == sorted(written), kind
    zh = [h["note"] for h in history(cli, U1, "zh") if h["kind"] in ("import", "assignment")]
    en = [h["note"] for h in history(cli, U1, "en") if h["kind"] in ("import", "assignment")]
    assert en == ["imported from 名录.csv, row 2 (historic status contacted)", "assigned to C01 by A01 (was unassigned)",
                  "assigned to C02 by A01 (was C01)"]
    assert zh[0].endswith("已对接）") and "C01" in zh[1] and "C02" in zh[2] and zh != en
    assert [h["note"] for h in history(cli, U2, "en") if h["kind"] == "import"] == ["imported from 名录.csv, row 3"]


def test_notes_of_a_database_without_the_facts_stay_as_written(cli, org):
    """Rows written before the facts were stored with them keep their text in every language."""
    add_enterprise(org, U1, "中文公司", status="contacted", status_since="2026-03-02", cadre="C01")
    cli("escalate", user="A01", lang="zh")
    sql(org, "UPDATE case_event SET data = NULL WHERE kind = 'escalation'")
    en = [h["note"] for h in history(cli, U1, "en") if h["kind"] == "escalation"]
    assert en and all("个工作日" in n for n in en)


def test_packet_and_meeting_list_in_the_readers_language(cli, org):
    add_enterprise(org, U1, "中文公司", status="contacted", status_since="2026-03-02", cadre="C01")
    cli("meeting", "plan", "--on", "2026-06-18T09:00", "--place", "会议室", user="SEC1", lang="en")
    cli("escalate", user="A01", lang="en")
    cli("meeting", "plan", "--on", "2026-06-25T09:00", "--place", "会议室", "--title", "Extra session", user="SEC1",
        lang="en")
    zh = cli("meeting", "agenda", "1", "--format", "md", lang="zh").stdout
    assert "停滞升级：已对接 72/30 个工作日" in zh and "stalled:" not in zh
    assert "松江经开区六方建会联席会议（2026年6月18日）" in zh and "Six-party" not in zh
    assert "提交联席会议：已对接 72/30 个工作日" in zh  # the case's timeline excerpt
    en = cli("meeting", "agenda", "1", "--format", "md", lang="en").stdout
    assert "stalled: 72/30 working days in contacted" in en
    titles = [m["title"] for m in cli.json("meeting", "list", lang="zh")]
    assert titles == ["松江经开区六方建会联席会议（2026年6月18日）", "Extra session"]  # a typed title stays as typed
