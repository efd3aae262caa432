"""The Songjiang ETDZ pilot as demo data (DOMAIN.md): 1,243 enterprises, 778 双实, 155,200 employees,
573 founded at the start (46.1%), cadres in 1+5 teams, a secretary, the six parties, joint unions, targets.

Everything is drawn from one seeded random generator, so the same seed gives the same park.
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from workflow.uscc import make_uscc

ENTERPRISES = 1243
SHUANGSHI = 778
EMPLOYEES = 155_200
FOUNDED_AT_START = 573
START = date(2018, 7, 1)
END = date(2018, 12, 31)
PARK = ("SJ", "松江经济技术开发区")
SUB_PARKS = (("SJ-E", "东部园区"), ("SJ-W", "西部科技园区"), ("SJ-X", "出口加工区"))
PILLARS = ("电子信息", "高端装备", "新材料", "生物医药", "现代物流")
OTHER_INDUSTRIES = ("商贸服务", "食品加工", "纺织服装", "建筑安装")
WORDS = ("华瑞", "恒通", "博远", "精诚", "鑫达", "天合", "宏图", "锦程", "联创", "九科", "泰盛", "中科", "嘉禾",
         "润泽", "东方", "新纪元", "佳能达", "海川", "明德", "凯旋", "云帆", "立信", "永安", "昌隆", "盛世")
TRADE = {"电子信息": ("电子", "微电子", "智能科技", "信息技术"), "高端装备": ("精密机械", "机电", "智能装备", "汽车零部件"),
         "新材料": ("新材料", "高分子材料", "复合材料"), "生物医药": ("生物医药", "医疗器械", "制药"),
         "现代物流": ("物流", "供应链管理", "仓储"), "商贸服务": ("贸易", "商务咨询"), "食品加工": ("食品",),
         "纺织服装": ("服饰", "纺织"), "建筑安装": ("建设工程", "安装工程")}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程魏"
# Whole given names, as people are called: characters drawn one by one make names like 孙子 (grandson).
GIVEN_NAMES = ("伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超",
               "霞", "平", "刚", "玲", "慧", "婷", "峰", "斌", "浩", "桂英", "秀英", "建国", "建华", "红梅", "志斌",
               "志强", "雪峰", "晨宇", "浩然", "欣怡", "子涵", "秀兰", "玉兰", "海燕", "丽娟", "文博", "思远", "雨婷",
               "国庆", "春梅", "晓东", "卫东", "佳怡", "俊杰", "嘉怡", "宇轩", "凤英", "德明", "振华", "立新", "雅琴")
PARTIES = ("party_committee", "administration", "regulators", "union", "chamber_of_commerce", "employers")
PARTY_TITLES = {"party_committee": "经开区党工委", "administration": "经开区管委会", "regulators": "区人社局劳动监察大队",
                "union": "经开区总工会", "chamber_of_commerce": "经开区商会", "employers": "企业资方代表"}
TEAMS = 6  # "1+5" teams: one salaried union cadre + five union social workers each


def person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN_NAMES)


@dataclass
class Pilot:
    seed: int
    enterprises: list[dict] = field(default_factory=list)
    cadres: list[dict] = field(default_factory=list)
    representatives: list[dict] = field(default_factory=list)
    joint_unions: list[dict] = field(default_factory=list)


def _employee_counts(rng: random.Random) -> list[int]:
    """A long-tailed size distribution that sums to exactly 155,200."""
    sizes = [max(3, int(rng.lognormvariate(3.6, 1.25))) for _ in range(ENTERPRISES)]
    scale = EMPLOYEES / sum(sizes)
    sizes = [max(3, round(s * scale)) for s in sizes]
    diff = EMPLOYEES - sum(sizes)
    order = sorted(range(ENTERPRISES), key=lambda i: -sizes[i])
    i = 0
    while diff:
        step = 1 if diff > 0 else -1
        j = order[i % 50]
        if sizes[j] + step >= 3:
            sizes[j] += step
            diff -= step
        i += 1
    return sizes


def build_pilot(seed: int = 2018) -> Pilot:
    rng = random.Random(seed)
    pilot = Pilot(seed=seed)
    sizes = _employee_counts(rng)
    # 双实 enterprises are the physically present, operating ones: mostly the larger ones.
    by_size = sorted(range(ENTERPRISES), key=lambda i: -(sizes[i] * rng.uniform(0.3, 1.7)))
    shuangshi = set(by_size[:SHUANGSHI])
    # Founded before the pilot: mostly large 双实 enterprises, some small ones already in joint unions.
    founded_rank = sorted(range(ENTERPRISES), key=lambda i: -(sizes[i] * (2.2 if i in shuangshi else 0.6)
                                                              * rng.uniform(0.2, 1.8)))
    founded = set(founded_rank[:FOUNDED_AT_START])
    grids = [f"网格{n:02d}" for n in range(1, 31)]
    used_names: set[str] = set()
    for i in range(ENTERPRISES):
        industry = rng.choice(PILLARS) if rng.random() < 0.72 else rng.choice(OTHER_INDUSTRIES)
        while True:
            name = f"上海{rng.choice(WORDS)}{rng.choice(TRADE[industry])}有限公司"
            if name not in used_names:
                break
            name = f"上海{rng.choice(WORDS)}{rng.choice(WORDS)}{rng.choice(TRADE[industry])}有限公司"
            if name not in used_names:
                break
        used_names.add(name)
        source = "existing" if rng.random() < 0.86 else rng.choice(("new_project", "relocated", "prospective"))
        opened = date(2018, 6, 30) - timedelta(days=rng.randint(30, 6000) if source == "existing" else rng.randint(10, 170))
        status = "prospect"
        since = date(2018, 7, 1) - timedelta(days=rng.randint(0, 60))
        if i in founded:
            # Most unions founded before the pilot already run normally; the rest were founded recently.
            status = "active" if rng.random() < 0.8 else "founded"
            since = date(2018, 6, 30) - timedelta(days=rng.randint(0, 900) if status == "active" else rng.randint(0, 25))
            since = max(since, opened)  # a union is not founded before its enterprise opens (the import checks)
        elif rng.random() < 0.22:
            status = "contacted"
        members = round(sizes[i] * rng.uniform(0.55, 0.95)) if i in founded else 0
        pilot.enterprises.append({
            "uscc": make_uscc("310117", f"MA{i + 100000:06d}"[-8:].replace("O", "0")),
            "name": name, "park": PARK[0], "industry": industry,
            "employees": sizes[i], "shuangshi": i in shuangshi, "grid": grids[i % len(grids)], "source": source,
            "opened_on": opened, "members": members, "status": status, "status_since": since,
            "contact_name": person(rng), "contact_phone": f"021-5{rng.randint(1000000, 9999999)}",
        })
    for t in range(TEAMS):
        sup = f"S{t + 1:02d}"
        pilot.cadres.append({"code": sup, "name": person(rng), "role": "supervisor", "supervisor": None,
                             "park": PARK[0]})
        for w in range(5):
            pilot.cadres.append({"code": f"W{t + 1:02d}{w + 1}", "name": person(rng), "role": "social_worker",
                                 "supervisor": sup, "park": PARK[0], "grid": f"网格{t * 5 + w + 1:02d}"})
    pilot.cadres.append({"code": "SEC1", "name": person(rng), "role": "secretary", "supervisor": None, "park": PARK[0]})
    for party in PARTIES:
        for _ in range(2 if party in ("regulators", "employers") else 1):
            pilot.representatives.append({"party": party, "name": person(rng), "title": PARTY_TITLES[party]})
    for n, (code, name) in enumerate(SUB_PARKS):
        pilot.joint_unions.append({"code": f"JU-P{n + 1}", "name": f"{name}园中园联合工会", "kind": "park_in_park",
                                   "park": code, "founded": True})
    # Grid joint unions each serve five grids; three are founded before the pilot, three during it.
    for g in range(1, 7):
        pilot.joint_unions.append({"code": f"JU-G{g:02d}", "name": f"第{g}片区网格联合工会", "kind": "grid",
                                   "park": PARK[0], "founded": g <= 3})
    return pilot


MEMBER_FILES = tuple(f"members-JU-G{g:02d}.csv" for g in range(1, 7))  # see demo.Replay.record_joint_members


def write_members_csv(rows: list[dict], path: Path) -> Path:
    """A registry update with the union members of newly covered enterprises (the other columns are kept)."""
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["统一社会信用代码", "企业名称", "工会会员数"])
        w.writerows([r["uscc"], r["name"], r["members"]] for r in rows)
    return path


def write_registry_csv(pilot: Pilot, path: Path) -> Path:
    """The registry as a park would hand it over: a CSV with Chinese headers."""
    headers = ["统一社会信用代码", "企业名称", "所属园区", "行业", "职工人数", "是否双实", "网格", "来源", "成立日期",
               "工会会员数", "建会状态", "状态日期", "联系人", "联系电话"]
    source_zh = {"existing": "存量", "new_project": "新开工", "relocated": "新迁入", "prospective": "意向入驻"}
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(headers)
        for e in pilot.enterprises:
            w.writerow([e["uscc"], e["name"], e["park"], e["industry"], e["employees"], "是" if e["shuangshi"] else "否",
                        e["grid"], source_zh[e["source"]], e["opened_on"].isoformat(), e["members"], e["status"],
                        e["status_since"].isoformat(), e["contact_name"], e["contact_phone"]])
    return path
