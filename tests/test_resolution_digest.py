"""Due decisions of the six-party joint meeting in the daily digests of the cadre and the secretary.

Calendar of June 2026: the 18th is a Thursday, the 19th (Dragon Boat Festival) a day off, the next
working days 22–26 June; an overdue decision is mentioned again every 5 working days.
"""

from __future__ import annotations

import pytest

from tests.conftest import USCCS, add_enterprise

DECISION = "由执法监管部门约谈企业负责人，督促两周内成立筹备组"


def sweep(cli, day: str, **kw) -> dict:
    return cli.json("escalate", "--as-of", day, user="A01", today=day, **kw)


def digests(cli, day: str) -> dict[str, dict]:
    """The digests queued for `day`, by key."""
    return {m["key"]: m for m in cli.json("outbox", "list") if m["key"].startswith("digest:") and day in m["key"]}


def smtp_bodies(server) -> dict[str, str]:
    """Plain-text bodies of the messages the SMTP server accepted, by recipient (the last one wins)."""
    return {msg["To"].addresses[0].addr_spec: msg.get_body(("plain",)).get_content() for msg in server.messages()}


@pytest.fixture
def meeting(org, cli, db_url) -> dict:
    """Meeting 1 of park SJ on 16 June with cases A (cadre C01) and B (cadre C02) on its agenda."""
    a = add_enterprise(db_url, USCCS[0], "松江甲科技有限公司", cadre="C01", status_since="2026-06-15")
    b = add_enterprise(db_url, USCCS[1], "松江乙制造有限公司", cadre="C02", status_since="2026-06-15")
    m = cli.json("meeting", "plan", "--on", "2026-06-16T09:30", "--place", "管委会三楼会议室", user="SEC1")
    for uscc in (USCCS[0], USCCS[1]):
        cli("meeting", "add", m["id"], uscc, "--reason", "职工联名要求建会", user="SEC1")
    return {"id": m["id"], "a": a, "b": b}


def resolve(cli, meeting, uscc, due, decision=DECISION, today="2026-06-16", party="regulators"):
    cli("meeting", "resolve", meeting["id"], uscc, "--decision", decision, "--owner-party", party, "--due", due,
        user="SEC1", today=today)


def test_a_due_decision_reaches_the_cadre_and_the_secretary_and_again_a_week_later(meeting, cli, tmp_path,
                                                                                    smtp_server):
    resolve(cli, meeting, USCCS[0], "2026-06-18")
    config = {"UNIONFLOW_CONFIG": str(smtp_server.config(tmp_path))}
    assert sweep(cli, "2026-06-17")["emails_queued"] == 0  # not due yet
    assert sweep(cli, "2026-06-18")["emails_queued"] == 2
    assert sorted(digests(cli, "2026-06-18")) == ["digest:c01@example.org:2026-06-18",
                                                  "digest:sec1@example.org:2026-06-18"]
    assert cli("outbox", "send", env=config).stdout == "Sent 2, 0 to retry later, 0 failed (transport: smtp).\n"
    bodies = smtp_bodies(smtp_server)
    assert sorted(bodies) == ["c01@example.org", "sec1@example.org"]
    for body in bodies.values():
        assert "== Joint-meeting decisions due (1) ==" in body
        assert f"1. 松江甲科技有限公司  {USCCS[0]}" in body
        assert f"   Decision of the meeting of 2026-06-16: {DECISION}\n" in body
        assert ("   Asked to act: Law-enforcement and regulatory departments · due by 2026-06-18 · due today\n"
                in body)
        assert "   Status: prospect · cadre: 王芳\n" in body
        assert f"   unionflow case contact {USCCS[0]} --person NAME\n" in body
        assert "overdue" not in body

    # The same day again: nothing new, nothing queued.
    assert sweep(cli, "2026-06-18")["emails_queued"] == 0
    # Not again before a working week has passed (the 19th is a holiday).
    for day in ("2026-06-19", "2026-06-22", "2026-06-25"):
        assert sweep(cli, day)["emails_queued"] == 0, day
    assert sweep(cli, "2026-06-26")["emails_queued"] == 2
    assert sweep(cli, "2026-06-26")["emails_queued"] == 0
    assert cli("outbox", "send", env=config).stdout.startswith("Sent 2,")
    for body in smtp_bodies(smtp_server).values():
        assert DECISION in body
        assert "due by 2026-06-18 · overdue by 5 working days\n" in body
    assert sweep(cli, "2026-07-03")["emails_queued"] == 2  # and a working week later again


def test_a_case_that_moved_on_after_the_decision_is_not_listed(meeting, cli):
    resolve(cli, meeting, USCCS[0], "2026-06-18")
    resolve(cli, meeting, USCCS[1], "2026-06-18", decision="商会协调企业资方", party="商会")
    cli("case", "contact", USCCS[1], "--person", "钱经理", user="C02", today="2026-06-17")
    assert sweep(cli, "2026-06-18")["emails_queued"] == 2
    got = digests(cli, "2026-06-18")
    assert sorted(got) == ["digest:c01@example.org:2026-06-18", "digest:sec1@example.org:2026-06-18"]
    secretary = cli.json("outbox", "list")
    assert not any("c02@example.org" in m["to"] for m in secretary)
    # The secretary's digest lists A's decision only.
    assert got["digest:sec1@example.org:2026-06-18"]["subject"] == "Daily digest 2026-06-18: 1 case needs attention"


def test_a_closed_case_and_a_decision_without_due_day_are_not_listed(meeting, cli):
    resolve(cli, meeting, USCCS[0], "2026-06-18")
    cli("meeting", "resolve", meeting["id"], USCCS[1], "--decision", "继续观察", user="SEC1", today="2026-06-16")
    cli("case", "close", USCCS[0], "--reason", "moved_out", user="A01", today="2026-06-17")
    assert sweep(cli, "2026-06-18")["emails_queued"] == 0


def test_a_decision_due_on_a_day_off_comes_on_the_next_working_day_as_overdue(meeting, cli):
    resolve(cli, meeting, USCCS[0], "2026-06-19")
    assert sweep(cli, "2026-06-18")["emails_queued"] == 0
    assert sweep(cli, "2026-06-22")["emails_queued"] == 2
    text = digests(cli, "2026-06-22")["digest:c01@example.org:2026-06-22"]
    assert text["subject"] == "Daily digest 2026-06-22: 1 case needs attention"
    assert "due by 2026-06-19 · overdue by 1 working day\n" in _text(cli, text["key"])


def _text(cli, key: str) -> str:
    from sqlalchemy import select

    from notifications.outbox import T as OUTBOX
    from workflow.db import make_engine

    engine = make_engine(cli.db_url)
    try:
        with engine.connect() as conn:
            return conn.execute(select(OUTBOX.c.text_body).where(OUTBOX.c.key == key)).scalar_one()
    finally:
        engine.dispose()


def test_a_decision_recorded_after_the_mornings_digest_comes_in_a_supplement(meeting, cli, db_url):
    c = add_enterprise(db_url, USCCS[2], "松江丙物流有限公司", cadre="C01", status_since="2026-06-15")
    cli("meeting", "add", meeting["id"], USCCS[2], "--reason", "复工后未建会", user="SEC1")
    resolve(cli, meeting, USCCS[0], "2026-06-18")
    assert sweep(cli, "2026-06-18")["emails_queued"] == 2
    # Later that day the secretary records the decision on case C, due the same day.
    resolve(cli, meeting, USCCS[2], "2026-06-18", decision="工会派驻指导员", party="union", today="2026-06-18")
    assert sweep(cli, "2026-06-18")["emails_queued"] == 2
    assert sweep(cli, "2026-06-18")["emails_queued"] == 0
    for who in ("c01", "sec1"):
        extra = _text(cli, f"digest:{who}@example.org:2026-06-18:2")
        assert "工会派驻指导员" in extra and USCCS[2] in extra
        assert DECISION not in extra and USCCS[0] not in extra
    assert c


def test_a_later_meetings_decision_replaces_the_earlier_one(meeting, cli):
    resolve(cli, meeting, USCCS[0], "2026-06-18")
    cli("meeting", "close", meeting["id"], user="SEC1", today="2026-06-16")
    later = cli.json("meeting", "plan", "--on", "2026-06-17T09:30", "--place", "管委会三楼会议室", user="SEC1",
                     today="2026-06-16")
    cli("meeting", "add", later["id"], USCCS[0], "--reason", "决议未落实", user="SEC1", today="2026-06-16")
    cli("meeting", "resolve", later["id"], USCCS[0], "--decision", "管委会约谈", "--owner-party", "administration",
        "--due", "2026-06-18", user="SEC1", today="2026-06-17")
    assert sweep(cli, "2026-06-18")["emails_queued"] == 2
    body = _text(cli, "digest:c01@example.org:2026-06-18")
    assert "管委会约谈" in body and DECISION not in body
    assert "Decision of the meeting of 2026-06-17" in body


def test_digest_of_a_due_decision_in_chinese(meeting, cli):
    resolve(cli, meeting, USCCS[0], "2026-06-19")
    assert sweep(cli, "2026-06-22", lang="zh")["emails_queued"] == 2
    body = _text(cli, "digest:sec1@example.org:2026-06-22")
    assert "== 联席会议决议到期（1） ==" in body
    assert f"   2026-06-16 联席会议决议：{DECISION}\n" in body
    assert "   责任方：执法监管部门 · 办结时限 2026-06-19 · 已逾期 1 个工作日\n" in body
    assert "   状态：摸排 · 干部：王芳\n" in body


def test_a_due_decision_alone_in_chinese_has_full_width_punctuation(meeting, cli, tmp_path):
    config = tmp_path / "per-event.toml"
    config.write_text("[mail]\ndigest = false\n", encoding="utf-8")
    resolve(cli, meeting, USCCS[0], "2026-06-19")
    assert sweep(cli, "2026-06-22", lang="zh", env={"UNIONFLOW_CONFIG": str(config)})["emails_queued"] == 2
    key = next(m["key"] for m in cli.json("outbox", "list") if m["key"].endswith(":sec1@example.org"))
    lines = _text(cli, key).splitlines()
    assert lines[2:12] == [
        "2026-06-16 六方建会联席会议就 松江甲科技有限公司 作出决议：", DECISION, "",
        "责任方：执法监管部门", "办结时限：2026-06-19（已逾期 1 个工作日）", "",
        "企业：松江甲科技有限公司", f"统一社会信用代码：{USCCS[0]}", "园区：松江经开区", "状态：摸排"]


def test_per_event_mode_sends_one_message_per_decision_and_day(meeting, cli, tmp_path):
    config = tmp_path / "per-event.toml"
    config.write_text("[mail]\ndigest = false\n", encoding="utf-8")
    env = {"UNIONFLOW_CONFIG": str(config)}
    resolve(cli, meeting, USCCS[0], "2026-06-18")
    assert sweep(cli, "2026-06-18", env=env)["emails_queued"] == 2
    assert sweep(cli, "2026-06-18", env=env)["emails_queued"] == 0
    listed = {m["key"]: m for m in cli.json("outbox", "list")}
    item = next(k for k in listed if k.startswith("res:")).split(":")[1]
    assert sorted(listed) == [f"res:{item}:2026-06-18:c01@example.org", f"res:{item}:2026-06-18:sec1@example.org"]
    assert listed[f"res:{item}:2026-06-18:c01@example.org"]["subject"] == \
        "Joint-meeting decision due today: 松江甲科技有限公司"
    assert sweep(cli, "2026-06-26", env=env)["emails_queued"] == 2
    assert _text(cli, f"res:{item}:2026-06-26:sec1@example.org").count(DECISION) == 1
