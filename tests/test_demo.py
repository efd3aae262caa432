"""The demo drives the real engine and is reproducible: the same seed gives the same run."""

import email
from datetime import date
from pathlib import Path

from docx import Document

from workflow.demo import run_demo


def _comparable(summary: dict) -> dict:
    return {k: v for k, v in summary.items() if k not in ("database", "directory", "outbox_dir", "packets")}


def test_demo_first_month_is_reproducible_and_leaves_real_files(tmp_path):
    first = run_demo(tmp_path / "a", seed=7, until=date(2018, 7, 31))
    second = run_demo(tmp_path / "b", seed=7, until=date(2018, 7, 31))
    assert _comparable(first) == _comparable(second)

    # The pilot's starting point: 573 of 1,243 founded (46.1%), from the engine's own coverage report.
    assert first["imported"]["created"] == 1243
    assert round(first["start_rate"], 3) == 0.461
    assert first["months"][0]["as_of"] == "2018-07-31" and first["months"][0]["enterprises"] == 1243
    assert first["months"][0]["covered"] >= 573
    assert first["escalations"]["remind"] > 0 and first["meetings"] == 1
    assert first["emails_sent"] > 0

    emls = sorted(Path(first["outbox_dir"]).glob("*.eml"))
    assert len(emls) == first["emails_sent"]
    message = email.message_from_bytes(emls[0].read_bytes(), policy=email.policy.default)
    assert message["Message-ID"] and message["To"]
    packets = [Path(p) for p in first["packets"]]
    assert {p.suffix for p in packets} == {".html", ".docx"}
    html = next(p for p in packets if p.suffix == ".html").read_text(encoding="utf-8")
    assert "松江经济技术开发区" in html
    doc = Document(next(p for p in packets if p.suffix == ".docx"))
    assert any("松江经济技术开发区" in p.text for p in doc.paragraphs)


def test_demo_database_serves_the_other_commands(tmp_path):
    from tests.conftest import Cli

    summary = run_demo(tmp_path / "d", seed=3, until=date(2018, 7, 10))
    cli = Cli(summary["database"])
    rows = cli.json("report", "coverage", "--by", "cadre", today="2018-07-10")["rows"]
    assert len(rows) == 30 and sum(r["enterprises"] for r in rows) == 1243


def test_demo_quarter_is_told_truthfully_with_hints_for_its_last_day(tmp_path, capsys):
    """Meetings: cases per agenda and how many different cases; joint-union members counted; hints with --as-of."""
    from sqlalchemy import create_engine, text

    from cli import _print_demo_summary
    from tests.conftest import Cli

    summary = run_demo(tmp_path / "q", seed=5, until=date(2018, 9, 30))
    assert summary["as_of"] == "2018-09-30" and summary["meetings"] == len(summary["items_per_meeting"]) == 3
    assert summary["agenda_items"] == sum(summary["items_per_meeting"])
    assert 0 < summary["cases_on_agenda"] < summary["agenda_items"]  # a carried case is on several agendas

    engine = create_engine(summary["database"])
    with engine.connect() as conn:
        joint = conn.execute(text(
            "SELECT count(*), count(*) FILTER (WHERE e.members > 0), "
            "count(*) FILTER (WHERE c.founded_on = '2018-09-28') FROM founding_case c "
            "JOIN enterprise e ON e.id = c.enterprise_id WHERE c.mode = 'joint' AND c.status IN ('founded', 'active')"
        )).one()
    engine.dispose()
    assert joint[2] > 0 and joint[0] == joint[1]  # JU-G04's founding (28 September) covered cases: members too
    rows = Cli(summary["database"]).json("report", "coverage", "--by", "mode", "--as-of", "2018-09-30")["rows"]
    assert next(r for r in rows if r["group"] == "joint")["membership_rate"] > 0.1

    _print_demo_summary(summary)
    out = capsys.readouterr().out
    assert "cases on each agenda: " + ", ".join(map(str, summary["items_per_meeting"])) in out
    for hint in ("case list --stalled --as-of 2018-09-30", "report coverage --by cadre --as-of 2018-09-30",
                 "report targets --as-of 2018-09-30"):
        assert f" --db {summary['database']} {hint}\n" in out


def test_demo_summary_aligns_its_rows_in_chinese(capsys):
    from cli import _print_demo_summary
    from templates.i18n import activate
    from templates.labels import display_width

    months = [{"as_of": "2018-07-31", "enterprises": 1243, "covered": 579, "rate": 0.466}]
    summary = {"target": {"rate": 0.7, "by": "2018-12-31", "needed": 0}, "start_rate": 0.461, "months": months,
               "escalations": {"remind": 1, "overdue": 1, "meeting": 1, "next_action": 0}, "meetings": 1,
               "items_per_meeting": [3], "cases_on_agenda": 3, "agenda_items_resolved": 3, "emails_sent": 1,
               "outbox_dir": "/tmp/d/outbox", "directory": "/tmp/d", "database": "sqlite:////tmp/d/unionflow.db",
               "as_of": "2018-07-31"}
    activate("zh")
    try:
        _print_demo_summary(summary)
    finally:
        activate("en")
    start, july = capsys.readouterr().out.splitlines()[1:3]
    assert start.startswith("  起始")
    assert display_width(start.split("%")[0]) == display_width(july.split("%")[0])  # the rates line up


def test_demo_month_lines_when_not_on_a_terminal(capsys):
    from cli import demo_month_lines

    for n, day in enumerate(["2018-07-30", "2018-07-31", "2018-08-01", "2018-08-31", "2018-09-01"], 1):
        demo_month_lines(n, 5, day)
    assert capsys.readouterr().err.splitlines() == ["Replayed 2018-07 (2 of 5 days)", "Replayed 2018-08 (4 of 5 days)",
                                                    "Replayed 2018-09 (5 of 5 days)"]


def test_demo_people_have_given_names_that_read_as_names():
    from workflow.demo_data import GIVEN_NAMES, build_pilot

    pilot = build_pilot(2018)
    names = [c["name"] for c in pilot.cadres] + [e["contact_name"] for e in pilot.enterprises]
    assert all(name[1:] in GIVEN_NAMES for name in names)
    assert not {"孙子", "周子"} & set(names)


def test_the_explore_hints_name_the_program_as_it_was_run(tmp_path, monkeypatch):
    import sys

    from cli import _program

    program = tmp_path / "bin" / "unionflow"
    program.parent.mkdir()
    program.write_text("#!/bin/sh\n", encoding="utf-8")
    program.chmod(0o755)
    monkeypatch.setattr(sys, "argv", [str(program), "demo"])
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    assert _program() == str(program)  # not on the PATH (straight after the README's set-up line)
    monkeypatch.setenv("PATH", f"{program.parent}:/usr/bin:/bin")
    assert _program() == "unionflow"
