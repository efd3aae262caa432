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
