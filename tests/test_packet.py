"""The agenda packet: its data, and its content in HTML, Markdown, DOCX and PDF, in zh and en."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from tests.conftest import USCCS, add_enterprise
from tests.meeting_fixtures import add_escalation, add_event, add_target
from workflow.workdays import WorkdayCalendar

U = USCCS
XSS = "<script>alert(1)</script> & 公司"
NAMES = {"a": "上海松江精密机械有限公司", "b": XSS, "c": "九亭小微科技有限公司", "d": "云间新材料股份有限公司"}
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt; &amp; 公司"


@pytest.fixture
def sample(org, cli):
    """Park SJ: a closed May meeting with two decisions, and the June meeting with four stalled cases."""
    for party, name, email in (("party_committee", "孙书记", "sun@example.org"), ("regulators", "周强", "zhou@example.org"),
                               ("union", "钱主席", "qian@example.org"), ("employers", "吴总", None)):
        cli("meeting", "party", "add", party, name, *(["--email", email] if email else []), user="SEC1")
    ids = {
        "a": add_enterprise(org, U[0], NAMES["a"], cadre="C01", status="contacted", status_since="2026-03-02",
                            employees=120, industry="装备制造", grid="G01", opened_on=date(2012, 3, 1)),
        "b": add_enterprise(org, U[1], NAMES["b"], cadre="C02", status="prospect", status_since="2026-04-01",
                            employees=30, source="relocated", opened_on=date(2025, 6, 1)),
        "c": add_enterprise(org, U[2], NAMES["c"], cadre="C01", status="prospect", status_since="2026-05-04",
                            employees=8, shuangshi=False, signups=12),
        "d": add_enterprise(org, U[3], NAMES["d"], cadre="C02", status="preparatory", status_since="2026-01-05",
                            employees=300, mode="standalone", group_leader="李强", applied_on=date(2026, 1, 5)),
        "e": add_enterprise(org, U[4], "松江物流有限公司", cadre="C01", status="founded", status_since="2026-06-10"),
        "f": add_enterprise(org, U[5], "泗泾电子有限公司", cadre="C01", status="active", status_since="2025-01-10"),
        "g": add_enterprise(org, U[6], "洞泾服装有限公司", cadre="C02", status="prospect", status_since="2026-06-01"),
    }
    add_event(org, ids["a"], "transition", "2026-03-02", "见了人事经理", event="contact", from_status="prospect",
              to_status="contacted")
    add_event(org, ids["a"], "activity", "2026-04-10", "老板拒绝建会，称没有必要", event="visit")
    add_event(org, ids["a"], "activity", "2026-05-12", "人事经理说等总部批准", event="call")
    # The May meeting: A and D discussed and decided, E too (it has moved on since).
    cli("meeting", "plan", "--on", "2026-05-20T09:30", "--place", "管委会三楼会议室", user="SEC1", today="2026-05-18")
    for key in ("a", "d", "e"):
        cli("meeting", "add", "1", str(ids[key]), "--reason", "停滞", user="SEC1", today="2026-05-18")
    cli("meeting", "resolve", "1", str(ids["a"]), "--decision", "党工委约谈企业负责人", "--owner-party", "party_committee",
        "--due", "2026-06-10", user="SEC1", today="2026-05-20")
    cli("meeting", "resolve", "1", str(ids["d"]), "--decision", "上级工会加快批复", "--owner-party", "union",
        "--due", "2026-06-30", user="SEC1", today="2026-05-20")
    cli("meeting", "resolve", "1", str(ids["e"]), "--decision", "召开会员大会", "--owner-party", "union",
        "--due", "2026-06-05", user="SEC1", today="2026-05-20")
    cli("meeting", "close", "1", user="SEC1", today="2026-05-20")
    when = datetime(2026, 6, 12, 1, 0, tzinfo=UTC)
    add_escalation(org, ids["a"], status="contacted", working_days=69, allowed=30, created_at=when)
    add_escalation(org, ids["b"], status="prospect", working_days=48, allowed=20, created_at=when)
    add_escalation(org, ids["g"], level="remind", status="prospect", working_days=16, allowed=20, created_at=when)
    cli("meeting", "plan", "--on", "2026-06-18T14:30", "--place", "管委会三楼会议室", "--title", "松江经开区六方建会联席会议（第二次）",
        user="SEC1")
    cli("meeting", "add", "2", str(ids["c"]), "--reason", "12名职工自主申请入会", user="SEC1")
    cli("meeting", "add", "2", str(ids["d"]), "--reason", "批复逾期", user="SEC1")
    add_target(org, 0.7, "2026-12-31", park_id=1)
    add_target(org, 0.8, "2027-12-31", park_id=1)
    return ids


@pytest.fixture
def packet(sample, make_ctx):
    from workflow.packet import build_packet

    out = {}
    for lang in ("zh", "en"):
        ctx = make_ctx()
        ctx.config.values[("general", "lang")] = lang
        out[lang] = build_packet(ctx, 2)
    return out


def percent(since: str, allowed: int) -> int:
    return round(100 * WorkdayCalendar().workdays_after(date.fromisoformat(since), date(2026, 6, 15)) / allowed)


EXPECTED_ORDER = ["b", "a", "d", "c"]  # by working days over the allowance


def test_packet_data_orders_cases_by_urgency_and_counts(packet, sample):
    p = packet["en"]
    assert [c["enterprise"] for c in p["cases"]] == [NAMES[k] for k in EXPECTED_ORDER]
    shares = [percent("2026-04-01", 20), percent("2026-03-02", 30), percent("2026-01-05", 60), percent("2026-05-04", 20)]
    assert [c["percent"] for c in p["cases"]] == shares and shares == sorted(shares, reverse=True)
    a = p["cases"][1]
    assert (a["times_on_agenda"], a["item_source"], a["cadre"], a["supervisor"], a["measure"]["party"]) == (
        2, "escalation", "C01", "S01", "party_committee")
    assert [o["text"] for o in a["obstacles"]] == ["人事经理说等总部批准", "老板拒绝建会，称没有必要"]
    assert [e["kind"] for e in a["timeline"]] == ["transition", "activity", "activity", "resolution"]
    assert [law["key"] for law in a["legal_basis"]] == ["art11_shall", "art51"]  # opened 2012: not new
    b, d, c = p["cases"][0], p["cases"][2], p["cases"][3]
    assert [law["key"] for law in b["legal_basis"]] == ["art11_shall", "art51", "sh10"]  # 2.4 × the allowance
    assert (b["measure"]["rule"], b["measure"]["party"]) == ("large", "regulators")
    assert (d["measure"]["rule"], d["times_on_agenda"]) == ("approval", 2)
    assert (c["measure"]["rule"], c["signup_flag"], c["item_source"]) == ("small", True, "manual")
    s = p["summary"]
    assert (s["enterprises"], s["covered"], round(s["rate"], 4)) == (7, 2, round(2 / 7, 4))
    assert [(t["by_date"], t["rate"]) for t in s["targets"]] == [("2026-12-31", 0.7), ("2027-12-31", 0.8)]
    assert {x["status"]: x["count"] for x in s["stalled_by_status"]} == {"prospect": 2, "contacted": 1, "preparatory": 1}
    assert [(x["cadre"], x["count"]) for x in s["stalled_by_cadre"]] == [("C01", 2), ("C02", 2)]
    assert s["escalations"]["since"] == "2026-05-20" and s["escalations"]["total"] == 3
    assert s["agenda"] == {"total": 4, "escalation": 2, "manual": 2, "carried": 0, "moved_on": 0}
    fu = p["follow_up"]
    assert fu["meeting"]["id"] == 1
    assert [(f["enterprise"], f["state"], f["due_on"]) for f in fu["items"]] == [
        ("松江物流有限公司", "moved", "2026-06-05"), (NAMES["a"], "overdue", "2026-06-10"), (NAMES["d"], "due", "2026-06-30")]
    assert [[x["name"] for x in party["people"]] for party in p["participants"]] == [["孙书记"], [], ["周强"], ["钱主席"], [], ["吴总"]]


def test_html_packet_is_self_contained_escaped_and_ordered(packet):
    from workflow.packet_render import render_html

    html = render_html(packet["zh"])
    assert ESCAPED in html and "<script>alert" not in html and "<script" not in html.lower()
    positions = [html.index(f'data-case="{i}"') for i in (2, 1, 4, 3)]
    assert positions == sorted(positions)
    assert html.count('<section class="sheet case"') == 4
    assert "@page" in html and "size: A4" in html and "break-after: page" in html
    assert "<svg" in html and "70.0%" in html and "28.6%" in html
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)  # nothing fetched from outside
    assert "&#34;" not in html.split("</style>")[0]  # the font list is CSS, not escaped text
    for text in ("一、总体情况", "二、上次会议决定事项落实情况", "三、提请会议研究的停滞个案", "（一）", "（四）九亭小微科技有限公司",
                 "已逾期（2026年6月10日到期）", "2026年6月30日到期", "状态已变化：现为已建会", "周强", "执法监管部门",
                 "《工会法》第五十一条", "由党工委约谈企业主要负责人", "第2次提交", "2026年6月18日（星期四）14:30"):
        assert text in html, text
    en = render_html(packet["en"])
    for text in ("1. Overview", "(2) ", "overdue since 2026-06-10", "due 2026-06-30", "Trade Union Law Art. 51",
                 "Law-enforcement and regulatory departments", "Thursday 2026-06-18, 14:30", ESCAPED):
        assert text in en, text


def test_markdown_packet(packet):
    from workflow.packet_render import render_markdown

    md = render_markdown(packet["zh"])
    assert md.startswith("# 松江经开区六方建会联席会议（第二次）\n")
    assert f"### （一）{XSS}\n" in md  # intact: Markdown is text
    headings = [line for line in md.splitlines() if line.startswith("### （")]
    assert [h.split("）", 1)[1] for h in headings[4:]] == [NAMES[k] for k in EXPECTED_ORDER]
    assert "| 上海松江精密机械有限公司 | 党工委约谈企业负责人 | 党工委 | 2026年6月10日 | **已逾期（2026年6月10日到期）** |" in md
    assert "| 包干干部 | 王芳（C01） |" in md and "| 提交联席会议次数 | 2 |" in md
    assert "- 老板拒绝建会，称没有必要（2026-04-10）" in md
    en = render_markdown(packet["en"])
    assert "## 2. Follow-up of the last meeting's decisions" in en and "| Stalled cases" not in en
    assert "**Party asked to act**: Party Working Committee" in en


def test_docx_packet_follows_gb_t_9704(packet, tmp_path):
    from docx import Document
    from docx.oxml.ns import qn

    from workflow.packet_docx import render_docx

    doc = Document(io.BytesIO(render_docx(packet["zh"])))
    sec = doc.sections[0]
    assert [round(x.mm) for x in (sec.page_width, sec.page_height)] == [210, 297]
    assert [round(x.mm) for x in (sec.top_margin, sec.bottom_margin, sec.left_margin, sec.right_margin)] == [37, 35, 28, 26]
    by_style = {}
    for para in doc.paragraphs:
        by_style.setdefault(para.style.name, []).append(para.text)
    assert by_style["Title"] == ["松江经开区六方建会联席会议（第二次）"]
    assert by_style["Heading 1"] == ["一、总体情况", "二、上次会议决定事项落实情况", "三、提请会议研究的停滞个案"]
    cases = [t for t in by_style["Heading 2"] if t.startswith("（") and t[1] in "一二三四" and "）" in t][4:]
    assert cases == [f"（{n}）{NAMES[k]}" for n, k in zip("一二三四", EXPECTED_ORDER, strict=True)]
    assert "1. 企业概况" in by_style["Heading 3"]

    def east_asia(style):
        return style.element.rPr.rFonts.get(qn("w:eastAsia"))

    assert east_asia(doc.styles["Normal"]) == "仿宋_GB2312" and doc.styles["Normal"].font.size.pt == 16
    assert east_asia(doc.styles["Heading 1"]) == "黑体" and east_asia(doc.styles["Heading 2"]) == "楷体_GB2312"
    assert east_asia(doc.styles["Title"]) == "方正小标宋简体" and doc.styles["Title"].font.size.pt == 22
    assert len(doc.tables) == 2 + 4 + 1 + 4 + 2  # cover, overview, follow-up, 4 profiles, 2 timelines (A and D)
    follow_up = doc.tables[6]
    assert [c.text for c in follow_up.rows[2].cells] == [NAMES["a"], "党工委约谈企业负责人", "党工委", "2026年6月10日",
                                                         "已逾期（2026年6月10日到期）"]
    profile = doc.tables[7]
    assert [c.text for c in profile.rows[0].cells] == ["统一社会信用代码", U[1], "行业", "—"]
    assert any(XSS in p.text for p in doc.paragraphs)
    footer = sec.footer._element.xml
    assert "PAGE" in footer and "— " in footer and 'w:eastAsia="宋体"' in footer
    assert doc.settings.odd_and_even_pages_header_footer


def test_agenda_command_formats_and_refusals(cli, sample, tmp_path):
    r = cli("meeting", "agenda", "2", "--format", "docx", expect=2)
    assert "--format docx writes a binary file: give --out PATH" in r.stderr
    md = cli("meeting", "agenda", "2", "--format", "md", lang="zh").stdout
    assert md.startswith("# 松江经开区六方建会联席会议（第二次）")
    out = tmp_path / "packet.html"
    cli("meeting", "agenda", "2", "--out", str(out))
    assert ESCAPED in out.read_text(encoding="utf-8")
    docx = tmp_path / "packet.docx"
    cli("meeting", "agenda", "2", "--format", "docx", "--out", str(docx))
    assert docx.read_bytes()[:2] == b"PK"
    r = cli("meeting", "agenda", "7", "--format", "md", expect=1)
    assert r.stderr == "Error: no meeting '7': give a meeting id (see `unionflow meeting list`)\n"


def _pdf_ready() -> str | None:
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError):
        return "WeasyPrint is not installed (pip install 'unionflow[pdf]')"
    from workflow.packet_render import cjk_fonts

    if not shutil.which("fc-list") or not cjk_fonts():
        return "no CJK font installed (apt-get install fonts-noto-cjk)"
    return None


def test_pdf_packet_has_the_chinese_names(packet):
    reason = _pdf_ready()
    if reason:
        pytest.skip(reason)
    from pypdf import PdfReader

    from workflow.packet_render import render_pdf

    pdf = render_pdf(packet["zh"])
    reader = PdfReader(io.BytesIO(pdf))
    text = "".join(page.extract_text() for page in reader.pages).replace(" ", "")
    for name in (NAMES["a"], NAMES["c"], NAMES["d"], "六方建会联席会议", "总体情况"):
        assert name in text, name
    assert len(reader.pages) >= 6  # cover, overview, one page or more per case


def test_pdf_without_weasyprint_says_what_to_install(cli, sample, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # as if not installed: `import weasyprint` fails
    r = cli("meeting", "agenda", "2", "--format", "pdf", "--out", str(tmp_path / "p.pdf"), expect=1)
    assert r.stderr.startswith("Error: PDF output needs WeasyPrint, which is not installed or cannot load its libraries")
    assert "pip install 'unionflow[pdf]'" in r.stderr
    assert not (tmp_path / "p.pdf").exists()


def test_pdf_without_a_cjk_font_is_refused_not_blank(cli, sample, tmp_path, monkeypatch):
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError):
        pytest.skip("WeasyPrint is not installed: the missing-library error is tested instead")
    if not shutil.which("fc-list"):
        pytest.skip("fontconfig's fc-list is not installed")
    conf = tmp_path / "fonts.conf"
    conf.write_text('<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
                    f"<cachedir>{tmp_path / 'cache'}</cachedir></fontconfig>")
    monkeypatch.setenv("FONTCONFIG_FILE", str(conf))  # a fontconfig that knows no font at all
    r = cli("meeting", "agenda", "2", "--format", "pdf", "--out", str(tmp_path / "p.pdf"), expect=1)
    assert r.stderr == ("Error: PDF output needs a Chinese (CJK) font and fontconfig finds none (`fc-list :lang=zh` is "
                        "empty): install one, e.g. `apt-get install fonts-noto-cjk`, or use --format html/docx; without "
                        "it the PDF would show blank glyphs\n")
    assert not (tmp_path / "p.pdf").exists()


CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (apt-get install chromium)")
def test_html_packet_renders_in_headless_chromium(packet, tmp_path, backend):
    if backend != "sqlite":
        pytest.skip("the rendering does not depend on the database: checked once")
    from workflow.packet_render import render_html

    html = tmp_path / "packet.html"
    html.write_text(render_html(packet[os.environ.get("UNIONFLOW_PACKET_LANG", "zh")]), encoding="utf-8")
    png = tmp_path / "packet.png"
    script = Path(__file__).parent.parent / "scripts" / "check_packet_render.py"
    subprocess.run([sys.executable, str(script), "--html", str(html), "--png", str(png)], check=True, timeout=300)
    data = png.read_bytes()
    keep = os.environ.get("UNIONFLOW_KEEP_PACKET")  # a folder to look at the packet and its picture afterwards
    if keep:
        for f in (html, png):
            shutil.copy(f, Path(keep) / f.name)
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000


def test_agenda_as_of_outside_the_calendar_is_a_clear_error(cli, sample):
    r = cli("meeting", "agenda", "2", "--format", "md", "--as-of", "2003-01-01", expect=1)
    assert r.stderr == "Error: --as-of 2003-01-01 is outside the working-day calendar (2004-01-01 to 2035-12-31)\n"


def test_a_closed_case_is_not_among_the_cases_for_decision(sample, make_ctx, org):
    from tests.meeting_fixtures import set_status
    from workflow.packet import build_packet

    set_status(org, sample["c"], "closed", "2026-06-12")
    p = build_packet(make_ctx(), 2)
    assert [c["enterprise"] for c in p["cases"]] == [NAMES[k] for k in ("b", "a", "d")]
    assert p["summary"]["agenda"] == {"total": 3, "escalation": 2, "manual": 1, "carried": 0, "moved_on": 0}


def test_the_follow_up_is_of_the_last_meeting_held_not_of_one_still_planned(sample, cli, make_ctx):
    from workflow.packet import build_packet

    cli("meeting", "plan", "--on", "2026-07-16T14:30", "--place", "管委会三楼会议室", user="SEC1")
    follow_up = build_packet(make_ctx(), 3)["follow_up"]  # meeting 2 (18 June) has not been held yet
    assert follow_up["meeting"]["id"] == 1 and len(follow_up["items"]) == 3
    later = build_packet(make_ctx(), 3, as_of=date(2026, 6, 18))  # from its day on, it has
    assert (later["follow_up"]["meeting"]["id"], later["follow_up"]["items"]) == (2, [])


def test_a_packet_for_an_earlier_day_counts_the_escalations_fired_by_then(sample, make_ctx, org):
    """The sweep fired three escalations on 12 June; a packet made for 11 June shows none of them, and the
    founding rate of that day (E was founded on 10 June, so on 9 June only F was covered)."""
    from docx import Document

    from workflow.packet import build_packet
    from workflow.packet_docx import render_docx

    add_escalation(org, sample["c"], level="remind", status="prospect", working_days=16, allowed=20,
                   as_of="2026-05-20", created_at=datetime(2026, 6, 15, 1, 0, tzinfo=UTC))  # on the May meeting's day
    ctx = make_ctx()
    ctx.config.values[("general", "lang")] = "zh"
    then = build_packet(ctx, 2, as_of=date(2026, 6, 11))["summary"]
    assert (then["escalations"]["since"], then["escalations"]["total"], then["escalations"]["by_level"]) == (
        "2026-05-20", 0, [])
    now = build_packet(ctx, 2)["summary"]
    assert [(x["label"], x["count"]) for x in now["escalations"]["by_level"]] == [("提醒", 1), ("提交联席会议", 2)]
    doc = Document(io.BytesIO(render_docx(build_packet(ctx, 2, as_of=date(2026, 6, 11)))))
    heading = next(p.text for p in doc.paragraphs if "以来的升级" in p.text)
    assert heading == "（四）2026年5月20日以来的升级"
    assert [[c.text for c in r.cells] for r in doc.tables[5].rows] == [["事项", "个案数"], ["合计", "0"]]
    early = build_packet(ctx, 2, as_of=date(2026, 6, 9))["summary"]
    assert (early["enterprises"], early["covered"]) == (6, 1)
    assert (now["enterprises"], now["covered"]) == (7, 2)


def test_a_case_that_moved_on_since_being_put_on_the_agenda_is_listed_apart_not_as_stalled(sample, cli, make_ctx):
    from docx import Document

    from tests.meeting_fixtures import query
    from workflow.packet import build_packet
    from workflow.packet_docx import render_docx
    from workflow.packet_render import render_html, render_markdown
    from workflow.tables import EVENT

    # C entered prospect on its import (as every imported case does), then moves on; it is on the agenda since planning.
    query(cli.db_url, EVENT.insert().values(
        case_id=sample["c"], kind="import", event="import", to_status="prospect", occurred_on=date(2026, 5, 4),
        recorded_at=datetime(2026, 5, 4, 2, 0, tzinfo=UTC), note="导入").returning(EVENT.c.id))
    cli("case", "contact", U[2], "--person", "人事经理", user="C01")
    ctx = make_ctx()
    ctx.config.values[("general", "lang")] = "zh"
    p = build_packet(ctx, 2)
    assert [c["enterprise"] for c in p["cases"]] == [NAMES[k] for k in ("b", "a", "d")]
    assert [(c["enterprise"], c["status"], c["status_since"]) for c in p["moved_on"]] == [
        (NAMES["c"], "contacted", "2026-06-15")]
    assert p["summary"]["agenda"] == {"total": 4, "escalation": 2, "manual": 2, "carried": 0, "moved_on": 1}
    doc = Document(io.BytesIO(render_docx(p)))
    headings = [x.text for x in doc.paragraphs if x.style.name == "Heading 1"]
    assert headings[-1] == "四、列入议程后已有进展的个案"
    assert [[c.text for c in r.cells] for r in doc.tables[-1].rows] == [
        ["企业", "提交事由", "目前状态", "包干干部"], [NAMES["c"], "12名职工自主申请入会", "2026年6月15日起为已对接", "王芳（C01）"]]
    overview = next(x.text for x in doc.paragraphs if x.text.startswith("园区建会率"))
    assert overview.endswith("本次提请审议个案4件：升级2件，增补2件，上次会议结转0件。其中1件列入议程后已有进展，列于材料末尾。")
    html = render_html(p)
    assert html.count('<section class="sheet case"') == 3 and "四、列入议程后已有进展的个案" in html
    assert "| 九亭小微科技有限公司 | 12名职工自主申请入会 | 2026年6月15日起为已对接 | 王芳（C01） |" in render_markdown(p)
    before = build_packet(ctx, 2, as_of=date(2026, 6, 12))  # the day before it moved, it was still stalled
    assert before["moved_on"] == [] and len(before["cases"]) == 4
    # Its sheet shows where it stood that day, not today's status (which began after the packet's day).
    c_then = next(c for c in before["cases"] if c["enterprise"] == NAMES["c"])
    c_now = next(c for c in p["moved_on"] if c["enterprise"] == NAMES["c"])
    assert c_then["status"] == "prospect" != c_now["status"]
    assert c_then["status_since"] == "2026-05-04" and c_then["working_days"] > 20
    assert c_then["cadre"] == "C01"


@pytest.mark.parametrize("title", ["2026-05-20 联席会议", "2026年5月20日联席会议", "5月20日六方建会联席会议"])
def test_the_last_meeting_named_by_its_day_is_not_followed_by_the_same_date_again(sample, make_ctx, org, title):
    from docx import Document

    from tests.meeting_fixtures import query
    from workflow.packet import build_packet
    from workflow.packet_docx import render_docx
    from workflow.packet_render import render_html
    from workflow.tables import MEETING

    query(org, MEETING.update().where(MEETING.c.id == 1).values(title=title).returning(MEETING.c.id))
    ctx = make_ctx()
    ctx.config.values[("general", "lang")] = "zh"
    p = build_packet(ctx, 2)
    assert p["follow_up"]["meeting"]["intro"] == f"{title}决定事项："
    doc = Document(io.BytesIO(render_docx(p)))
    assert f"{title}决定事项：" in [x.text for x in doc.paragraphs]
    assert f"<p class=\"flush\">{title}决定事项：</p>" in render_html(p)
    ctx.config.values[("general", "lang")] = "en"
    assert build_packet(ctx, 2)["follow_up"]["meeting"]["intro"] == f"Decisions of {title}:"


def test_the_default_title_says_its_day_once_and_a_title_without_its_day_gets_it(sample, make_ctx, org):
    from tests.meeting_fixtures import query
    from workflow.packet import build_packet
    from workflow.tables import MEETING

    ctx = make_ctx()
    ctx.config.values[("general", "lang")] = "zh"
    assert build_packet(ctx, 2)["follow_up"]["meeting"]["intro"] == "松江经开区六方建会联席会议（2026年5月20日）决定事项："
    query(org, MEETING.update().where(MEETING.c.id == 1).values(title="第一次联席会议").returning(MEETING.c.id))
    assert build_packet(ctx, 2)["follow_up"]["meeting"]["intro"] == "第一次联席会议（2026年5月20日）决定事项："


def test_the_six_months_rule_is_cited_only_for_new_enterprises(packet):
    """A (existing, opened 2012) gets no 《上海市工会条例》第十条; B (relocated) does; the docx says so."""
    from docx import Document

    from workflow.packet_docx import render_docx

    doc = [p.text for p in Document(io.BytesIO(render_docx(packet["zh"]))).paragraphs]

    def laws(name):
        start = doc.index(next(t for t in doc if t.endswith(name)))
        basis = doc.index("4. 法律依据", start)
        return doc[basis + 1:doc.index("5. 建议措施", basis)]

    assert laws(NAMES["b"]) == ["《工会法》第十一条：职工二十五人以上的企业应当建立基层工会委员会。",
                                "《工会法》第五十一条：阻挠职工依法参加和组织工会的，由劳动行政部门责令其改正。",
                                "《上海市工会条例》第十条：新建企业应当自开业之日起六个月内支持职工依法组建工会。"]
    assert laws(NAMES["a"]) == ["《工会法》第十一条：职工二十五人以上的企业应当建立基层工会委员会。",
                                "《工会法》第五十一条：阻挠职工依法参加和组织工会的，由劳动行政部门责令其改正。"]


@pytest.mark.parametrize(("source", "opened_on", "status_since", "cited"), [
    ("existing", date(2012, 3, 1), date(2026, 3, 2), False),  # long open: the six months are not its rule
    ("existing", None, date(2026, 3, 2), False),
    ("existing", date(2026, 1, 10), date(2026, 3, 2), True),  # opened recently
    ("existing", date(2025, 6, 1), date(2025, 9, 1), True),  # its case began within the six months
    ("new_project", None, date(2026, 3, 2), True),
    ("relocated", date(2020, 1, 1), date(2026, 3, 2), True),
    ("prospective", None, date(2026, 3, 2), True),
])
def test_which_enterprises_are_new_for_the_six_months_rule(source, opened_on, status_since, cited):
    from workflow.measures import Facts, legal_basis

    facts = Facts(status="prospect", mode=None, employees=30, opened_on=opened_on, working_days=40, allowance=20,
                  times_on_agenda=1, notes=(), as_of=date(2026, 6, 15), source=source, status_since=status_since)
    assert ("sh10" in [law["key"] for law in legal_basis(facts, "zh")]) is cited
    founded = Facts(**{**facts.__dict__, "status": "founded"})
    assert "sh10" not in [law["key"] for law in legal_basis(founded, "zh")]


ASCII_NEXT_TO_CHINESE = re.compile(r"[\u4e00-\u9fff（）“”，。：][:,;()?!]|[:,;()?!][\u4e00-\u9fff（）“”，。：]")


def test_chinese_packet_text_has_full_width_punctuation(sample, cli, make_ctx):
    from docx import Document

    from workflow.packet import build_packet
    from workflow.packet_docx import render_docx
    from workflow.packet_render import render_html, render_markdown

    cli("meeting", "resolve", "2", str(sample["d"]), "--decision", "上级工会加快批复", "--owner-party", "union",
        "--due", "2026-06-30", user="SEC1", today="2026-06-18")
    ctx = make_ctx()
    ctx.config.values[("general", "lang")] = "zh"
    p = build_packet(ctx, 2, as_of=date(2026, 6, 18))
    doc = Document(io.BytesIO(render_docx(p)))
    paragraphs = [x.text for x in doc.paragraphs]
    assert "上级工会加快批复（工会，2026年6月30日前完成）" in paragraphs
    cells = [c.text for t in doc.tables for r in t.rows for c in r.cells]
    html = re.sub(r"<[^>]+>", "\n", re.sub(r"<(style|svg)\b.*?</\1>", "", render_html(p), flags=re.S))
    for text in ("\n".join(paragraphs + cells), html, render_markdown(p)):
        assert not ASCII_NEXT_TO_CHINESE.findall(text.replace(XSS, "")), ASCII_NEXT_TO_CHINESE.findall(text)
    ctx.config.values[("general", "lang")] = "en"
    decided = [c["decision"] for c in build_packet(ctx, 2, as_of=date(2026, 6, 18))["cases"] if c["decision"]]
    assert [d["terms"] for d in decided] == ["due 2026-06-30, Union"]
