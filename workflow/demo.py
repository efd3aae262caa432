"""`unionflow demo`: replay the Songjiang pilot (2018-07-01 … 2018-12-31) through the real engine.

Cadres advance cases by a seeded random model through the case service; each working day the
scheduler's jobs run (sweep, outbox to .eml files); a six-party joint meeting is held each month with
its packet written to DIR/packets and its resolutions recorded. Every figure of the summary comes
from the engine's own reports.
"""

from __future__ import annotations

import logging
import random
import shutil
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from pathlib import Path

from sqlalchemy import func, select

from workflow import demo_data as D
from workflow.clock import Clock
from workflow.config import load_config
from workflow.context import Context
from workflow.db import reading
from workflow.errors import WorkflowError

log = logging.getLogger(__name__)

ADMIN = "A01"
# Daily chance that a cadre moves a case on, by status (tuned so the pilot reaches about 70% by year end).
PACE = {"prospect": 0.06, "contacted": 0.03, "preparatory": 0.005, "founded": 0.03}
# A cadre who has been reminded about a case (80% of its allowance) works on it harder.
REMINDED_BOOST = 2.0
# A meeting handles the most urgent cases; the rest are carried to the next one.
ITEMS_PER_MEETING = 30
VISIT_NOTES = ("走访企业，人事经理表示需请示总部", "电话沟通，老板出差，下周再约", "送达《工会法》宣传材料",
               "与企业党支部书记沟通党工联建", "召开职工座谈会，职工入会意愿较强", "企业以经营困难为由推迟筹备")


def _month_ends(start: date, end: date) -> list[date]:
    out, d = [], start
    while d <= end:
        nxt = (d.replace(day=1) + timedelta(days=32)).replace(day=1)
        out.append(min(nxt - timedelta(days=1), end))
        d = nxt
    return out


class Replay:
    def __init__(self, directory: Path, seed: int, progress=None, until: date = D.END):
        self.until = until
        self.dir = directory
        self.seed = seed
        self.rng = random.Random(seed)
        self.pilot = D.build_pilot(seed)
        self.progress = progress or (lambda done, total, label: None)
        self.db_url = f"sqlite:///{directory / 'unionflow.db'}"
        config = load_config(None, db_url=self.db_url)
        config.values.update({("mail", "transport"): "file", ("mail", "dir"): str(directory / "outbox"),
                              ("mail", "digest"): True, ("general", "lang"): config.lang})
        self.clock = Clock(frozen_today=D.START)
        self.base = Context(config=config, clock=self.clock)
        self._contexts: dict[str, Context] = {}
        self.packets: list[str] = []
        self.items_per_meeting: list[int] = []  # a case left undecided is carried to the next meeting
        self.items_resolved = 0

    def as_user(self, code: str) -> Context:
        if code not in self._contexts:
            self._contexts[code] = replace(self.base, actor_code=code, _engine=self.base.engine)
        return self._contexts[code]

    # ------------------------------------------------------------------ set-up
    def set_up(self) -> None:
        from workflow.joint_unions import add_joint_union, found_joint_union
        from workflow.parties import add_representative
        from workflow.people import add_cadre, add_park, init
        from workflow.registry import import_registry
        from workflow.targets import set_target

        init(self.base, admin=ADMIN, name="经开区总工会管理员", email="admin@sjetdz.example.org")
        admin = self.as_user(ADMIN)
        add_park(admin, code=D.PARK[0], name=D.PARK[1], level="national")
        for code, name in D.SUB_PARKS:
            add_park(admin, code=code, name=name, level="district", parent=D.PARK[0])
        for c in self.pilot.cadres:
            add_cadre(admin, code=c["code"], name=c["name"], email=f"{c['code'].lower()}@sjetdz.example.org",
                      role=c["role"], park=c["park"], supervisor=c["supervisor"])
        for i, rep in enumerate(self.pilot.representatives):
            add_representative(self.as_user("SEC1"), party=rep["party"], name=rep["name"],
                               email=f"party{i + 1}@sjetdz.example.org", title=rep["title"], park=D.PARK[0])
        for ju in self.pilot.joint_unions:
            add_joint_union(admin, ju["code"], ju["name"], ju["kind"], ju["park"])
            if ju["founded"]:
                found_joint_union(admin, ju["code"], f"松总工〔2018〕{len(ju['code']) + 3}号", on=date(2018, 6, 20))
        set_target(admin, 0.7, date(2018, 12, 31), park=D.PARK[0])
        set_target(admin, 0.8, date(2019, 12, 31), park=D.PARK[0])
        registry = D.write_registry_csv(self.pilot, self.dir / "registry.csv")
        self.imported = import_registry(admin, registry, park=D.PARK[0])
        from workflow.assignment import assign

        for c in self.pilot.cadres:
            if c.get("grid"):
                assign(admin, c["code"], grid=c["grid"])

    # ------------------------------------------------------------------ one day
    def open_cases(self):
        from workflow.tables import CADRE, CASE, ENT

        with reading(self.base.engine) as conn:
            return conn.execute(
                select(CASE.c.id, CASE.c.status, CASE.c.status_since, ENT.c.employees, ENT.c.shuangshi, ENT.c.grid,
                       CADRE.c.code.label("cadre"), CASE.c.mode, CASE.c.joint_union_id)
                .join(ENT, ENT.c.id == CASE.c.enterprise_id).join(CADRE, CADRE.c.id == CASE.c.cadre_id)
                .where(CASE.c.status.in_(tuple(PACE))).order_by(CASE.c.id)
            ).all()

    def joint_union_for(self, grid: str) -> str:
        n = int(grid[-2:])
        return f"JU-G{(n - 1) // 5 + 1:02d}"

    def cadre_works(self, day: date) -> int:
        from states.machine import recommended_mode
        from workflow.cases import log_activity, transition

        moved = 0
        allowances = self.base.config.allowances
        for row in self.open_cases():
            pace = PACE[row.status]
            if row.status in ("prospect", "contacted") and \
                    self.calendar.workdays_after(row.status_since, day) * 100 >= allowances[row.status] * 80:
                pace *= REMINDED_BOOST
            if self.rng.random() >= pace or row.status_since >= day:
                if self.rng.random() < 0.004:
                    follow_up = day + timedelta(days=self.rng.choice((7, 14))) if self.rng.random() < 0.5 else None
                    log_activity(self.as_user(row.cadre), str(row.id), kind=self.rng.choice(("visit", "call")),
                                 note=self.rng.choice(VISIT_NOTES), on=day, next_action=follow_up)
                continue
            ctx = self.as_user(row.cadre)
            ref = str(row.id)
            try:
                if row.status == "prospect":
                    transition(ctx, ref, "contact", on=day, person=D.person(self.rng))
                elif row.status == "contacted":
                    if recommended_mode(row.employees, row.shuangshi) == "standalone":
                        transition(ctx, ref, "prepare", on=day, mode="standalone", group_leader=D.person(self.rng),
                                   applied_on=day)
                    else:
                        transition(ctx, ref, "prepare", on=day, mode="joint", joint_union=self.joint_union_for(row.grid))
                elif row.status == "preparatory":
                    if row.mode == "joint":  # refused until the joint union is founded
                        transition(ctx, ref, "found", on=day, members=self.joint_members(row.employees))
                    else:
                        transition(ctx, ref, "found", on=day, congress_on=day, chair=D.person(self.rng),
                                   approval_ref=f"松总工〔2018〕{100 + row.id}号",
                                   members=max(1, int((row.employees or 1) * self.rng.uniform(0.6, 0.95))))
                elif row.status == "founded":
                    transition(ctx, ref, "activate", on=day, legal_cert=f"沪工法字{row.id:05d}号",
                               note="联合工会覆盖运行" if row.mode == "joint" else None)
                moved += 1
            except WorkflowError as exc:  # a guard the model did not satisfy: the case simply waits
                log.debug("demo: case %s waits: %s", row.id, exc)
        return moved

    def joint_members(self, employees: int | None) -> int:
        """Workers of a small enterprise who join when it is covered by a joint union."""
        return max(1, round((employees or 1) * self.rng.uniform(0.5, 0.9)))

    def found_joint_unions(self, day: date) -> None:
        from workflow.joint_unions import found_joint_union

        for code, when in (("JU-G04", date(2018, 9, 28)), ("JU-G05", date(2018, 12, 14))):
            if day == when:
                found_joint_union(self.as_user(ADMIN), code, f"松总工〔2018〕{int(code[-2:]) + 40}号", on=day)
                self.record_joint_members(code, day)

    def record_joint_members(self, code: str, day: date) -> None:
        """The members of the enterprises a joint union founding covered, as the park reports them: a
        registry update (统一社会信用代码, 企业名称, 工会会员数) imported like any other."""
        from workflow.registry import import_registry
        from workflow.tables import CASE, ENT, JU

        with reading(self.base.engine) as conn:
            covered = conn.execute(
                select(ENT.c.uscc, ENT.c.name, ENT.c.employees).join(CASE, CASE.c.enterprise_id == ENT.c.id)
                .join(JU, JU.c.id == CASE.c.joint_union_id)
                .where(JU.c.code == code, CASE.c.founded_on == day).order_by(CASE.c.id)
            ).all()
        update = [{"uscc": e.uscc, "name": e.name, "members": self.joint_members(e.employees)} for e in covered]
        if update:
            path = D.write_members_csv(update, self.dir / f"members-{code}.csv")
            import_registry(self.as_user(ADMIN), path, park=D.PARK[0])

    def meetings(self, day: date, workday: bool) -> None:
        from workflow.meetings import close_meeting, list_meetings, plan_meeting, resolve

        sec = self.as_user("SEC1")
        if workday and day.day <= 10 and not any(m["status"] == "planned" for m in list_meetings(sec)):
            meeting_day = self.calendar.add_workdays(day, 10)
            plan_meeting(sec, on=datetime.combine(meeting_day, time(14, 30)), place="经开区管委会三楼会议室",
                         park=D.PARK[0])
        for m in list_meetings(sec):
            if m["status"] == "planned" and date.fromisoformat(m["starts_at"][:10]) == day:
                self.write_packets(m["id"], day)
                agenda = self.agenda(m["id"])
                self.items_per_meeting.append(len(agenda))
                for item in agenda[:ITEMS_PER_MEETING]:
                    party, decision = self.rng.choice((
                        ("regulators", "劳动监察大队会同工会上门宣讲《工会法》第十一条，督促两周内成立筹备组"),
                        ("party_committee", "党工委约谈企业负责人，推动党工联建"),
                        ("employers", "商会牵头组织同行企业经验交流，资方代表现身说法"),
                        ("union", "工会社工驻点指导筹备，提供建会全流程服务"),
                    ))
                    resolve(sec, m["id"], str(item), decision, owner_party=party, due=day + timedelta(days=21))
                    self.items_resolved += 1
                close_meeting(sec, m["id"])

    def agenda(self, meeting_id: int) -> list[int]:
        from workflow.tables import AI as t
        with reading(self.base.engine) as conn:
            # Most often carried over first, then in the order the sweep escalated them.
            return list(conn.execute(select(t.c.case_id).where(t.c.meeting_id == meeting_id)
                                     .order_by(t.c.times_on_agenda.desc(), t.c.id)).scalars())

    def write_packets(self, meeting_id: int, day: date) -> None:
        from workflow.packet import build_packet
        from workflow.packet_render import render

        folder = self.dir / "packets"
        folder.mkdir(exist_ok=True)
        packet = build_packet(self.as_user("SEC1"), meeting_id, as_of=day)
        for fmt in ("html", "docx"):
            path = folder / f"meeting-{meeting_id}-{day.isoformat()}.{fmt}"
            content = render(packet, fmt)
            if isinstance(content, str):
                path.write_text(content, encoding="utf-8")
            else:
                path.write_bytes(content)
            self.packets.append(str(path))

    # ------------------------------------------------------------------ the whole run
    def run(self) -> dict:
        from workflow.mailing import run_outbox
        from workflow.reports import coverage
        from workflow.sweep import run_sweep
        from workflow.targets import targets_report
        from workflow.workdays import WorkdayCalendar

        self.calendar = WorkdayCalendar()
        self.set_up()
        days = [D.START + timedelta(days=n) for n in range((self.until - D.START).days + 1)]
        for n, day in enumerate(days, 1):
            self.clock.frozen_today = day
            workday = self.calendar.is_workday(day)
            if workday:
                self.cadre_works(day)
                self.found_joint_unions(day)
                run_sweep(self.as_user(ADMIN), as_of=day)
                run_outbox(self.base)
            self.meetings(day, workday)
            self.progress(n, len(days), day.isoformat())
        months = [coverage(self.base, as_of=d) for d in [D.START, *_month_ends(D.START, self.until)]]
        targets = targets_report(self.base, as_of=self.until)["targets"]
        return self.summary(months, min(targets, key=lambda t: t["by"]))

    def summary(self, months: list[dict], target: dict) -> dict:
        from notifications.tables import OUTBOX as out
        from workflow.tables import AI
        from workflow.tables import ESC as esc

        with reading(self.base.engine) as conn:
            levels = dict(conn.execute(select(esc.c.level, func.count()).group_by(esc.c.level)).all())
            sent = conn.execute(select(func.count()).select_from(out).where(out.c.status == "sent")).scalar()
            on_agenda = conn.execute(select(func.count(AI.c.case_id.distinct()))).scalar()
        start, months = months[0], months[1:]
        return {
            "database": self.db_url,
            "directory": str(self.dir),
            "seed": self.seed,
            "imported": {k: self.imported[k] for k in ("created", "updated", "unchanged")},
            "months": [{"as_of": m["as_of"], "enterprises": m["total"]["enterprises"], "covered": m["total"]["covered"],
                        "rate": m["total"]["rate"]} for m in months],
            "start_rate": start["total"]["rate"],
            "target": {"rate": target["target_rate"], "by": target["by"], "needed": target["needed"]},
            "escalations": {lvl: levels.get(lvl, 0) for lvl in ("remind", "overdue", "meeting", "next_action")},
            "as_of": self.until.isoformat(),
            "meetings": len(self.items_per_meeting),
            "agenda_items": sum(self.items_per_meeting),  # a carried case counts once per meeting
            "items_per_meeting": self.items_per_meeting,
            "cases_on_agenda": on_agenda,
            "agenda_items_resolved": self.items_resolved,
            "emails_sent": sent,
            "outbox_dir": str(self.dir / "outbox"),
            "packets": self.packets,
        }


def run_demo(directory: str | Path | None = None, seed: int = D.START.year, progress=None,
             until: date = D.END) -> dict:
    """Build the pilot in a fresh SQLite database under `directory` and replay the second half of 2018."""
    directory = Path(directory or "unionflow-demo").resolve()
    for stale in ("unionflow.db", "unionflow.db-wal", "unionflow.db-shm", "registry.csv", *D.MEMBER_FILES):
        (directory / stale).unlink(missing_ok=True)
    for folder in ("outbox", "packets"):
        shutil.rmtree(directory / folder, ignore_errors=True)
    directory.mkdir(parents=True, exist_ok=True)
    replay = Replay(directory, seed, progress, until)
    try:
        return replay.run()
    finally:
        replay.base.close()
