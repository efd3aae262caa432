"""The synthetic park: its fixed parts (parks, grids, cadres, joint unions) and its rows, made
deterministically from (n, seed). Pure: nothing here touches a database (see `generate.py`).

Same (n, seed) → the same rows on every backend. Parks (a few national ones and sub-parks), grids,
industries (the 5 pillar industries and others), about N/300 cadres with supervisors and a secretary
per park, joint unions, N enterprises with valid and unique USCCs, one case each with a status drawn
from a fixed plan (most cases early in the life cycle), `status_since` spread over months, and the
events that lead there (an import event per case, a transition event per step).
"""

from __future__ import annotations

import itertools
import math
import random
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta

from workflow.uscc import ALPHABET, ORG_WEIGHTS, USCC_WEIGHTS

SEED = 20180701
TODAY = date(2026, 6, 15)  # the tests' frozen Monday; chinese_calendar covers 2026
BLOCK = 10_000  # enterprises per random stream (part of what makes the rows deterministic)
EVENT_SLOTS = 8  # event ids of case c are c*8 .. c*8+7

LADDER = ("prospect", "contacted", "preparatory", "founded", "active")
STEP_EVENTS = ("contact", "prepare", "found", "activate")
# A real park: most cases early in the life cycle (shares of all cases).
STATUS_SHARES = (
    ("prospect", 0.36), ("contacted", 0.22), ("preparatory", 0.12),
    ("founded", 0.09), ("active", 0.18), ("closed", 0.03),
)  # fmt: skip
# Mean age in status (calendar days); exponential, so stall ages spread over months.
AGE_MEAN = {"prospect": 32, "contacted": 45, "preparatory": 70, "founded": 40, "active": 240, "closed": 160}
HISTORIC_SHARE = 0.35  # founded/active cases imported with their union already there (one import event)
PILLARS = (("电子信息", 12, "电子科技"), ("高端装备", 10, "智能装备"), ("新材料", 8, "新材料科技"),
           ("生物医药", 7, "生物医药"), ("现代服务业", 8, "企业管理"))  # fmt: skip
OTHERS = (("食品加工", 6, "食品"), ("纺织服装", 6, "服饰"), ("物流", 8, "物流"), ("批发零售", 12, "贸易"),
          ("建筑", 5, "建设工程"), ("其他", 8, "实业"))  # fmt: skip
INDUSTRIES = PILLARS + OTHERS
REGIONS = ("310117", "310115", "310112", "310114", "310118", "310116", "310120", "310113", "310151")
PARK_NAMES = ("松江", "浦东", "闵行", "嘉定", "青浦", "金山", "奉贤", "宝山", "崇明")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍鹏辉建国红文斌宇浩凯琳晨欣雪"
SYLLABLES = "华信达通恒瑞鑫源泰丰盛宏博远创新锐拓嘉禾润科联和弘毅立德诚安康宁佳美"

ENT_COLS = ("id", "uscc", "name", "park_id", "industry", "employees", "shuangshi", "grid", "source", "opened_on",
            "members", "contact_name", "contact_phone", "signups", "created_at", "updated_at")  # fmt: skip
CASE_COLS = ("id", "enterprise_id", "status", "status_since", "episode", "mode", "cadre_id", "next_action_on",
             "version", "contact_person", "group_leader", "applied_on", "joint_union_id", "congress_on",
             "approval_ref", "chair", "founded_on", "legal_cert", "activated_on", "close_reason", "closed_from",
             "created_at", "updated_at")  # fmt: skip
EVENT_COLS = ("id", "case_id", "kind", "event", "from_status", "to_status", "occurred_on", "recorded_at",
              "actor_id", "note", "data")  # fmt: skip
CSV_COLS = ("uscc", "name", "park", "industry", "employees", "shuangshi", "grid", "source", "opened_on",
            "members", "contact_name", "contact_phone", "status", "status_since")  # fmt: skip


@dataclass(frozen=True)
class ParkSpec:
    id: int
    code: str
    name: str
    level: str
    parent_id: int | None
    region: str
    weight: float
    grids: tuple[str, ...]


@dataclass
class Spec:
    """Everything about a synthetic park that does not grow with N (parks, cadres, joint unions)."""

    n: int
    seed: int
    today: date
    parks: list[ParkSpec]
    cadres: list[tuple]  # (id, code, name, email, role, park_id, supervisor_id, active)
    case_cadres: dict[int, list[int]]  # park id -> ids of cadres who hold cases
    joint_unions: list[tuple]  # (id, code, name, kind, park_id, founded_on, approval_ref)
    ju_founded: dict[int, list[int]]
    ju_all: dict[int, list[int]]
    status_counts: dict[str, int]
    admin_id: int = 1


@dataclass
class Plan:
    """What the generator wrote: the tests compare the database's GROUP BY answers with it."""

    n: int
    seed: int
    status_counts: dict[str, int]
    parks: int
    cadres: int
    joint_unions: int
    events: int = 0
    import_events: int = 0
    transition_events: dict[str, int] = field(default_factory=dict)


def status_plan(n: int) -> dict[str, int]:
    """Exact status counts for n cases (largest remainder), so the plan is known before generating."""
    raw = [(s, n * share) for s, share in STATUS_SHARES]
    counts = {s: int(x) for s, x in raw}
    rest = n - sum(counts.values())
    for s, _ in sorted(raw, key=lambda p: (-(p[1] - int(p[1])), p[0]))[:rest]:
        counts[s] += 1
    return counts


def _person(rng: random.Random) -> str:
    r, g = rng.random, len(GIVEN)
    return SURNAMES[int(r() * len(SURNAMES))] + GIVEN[int(r() * g)] + (GIVEN[int(r() * g)] if r() < 0.6 else "")


def build_spec(n: int, seed: int = SEED, today: date = TODAY) -> Spec:
    rng = random.Random(f"{seed}:org")
    n_national, n_sub = min(9, 2 + n // 125_000), min(19, 2 + n // 50_000)
    weights = [3.0] * n_national + [1.0] * n_sub
    total_w = sum(weights)
    parks: list[ParkSpec] = []
    for k in range(n_national + n_sub):
        pid = k + 1
        est = max(1.0, n * weights[k] / total_w)
        grids = max(2, int(est // 400))
        if k < n_national:
            code, name, level, parent, region = (
                "SJ" if k == 0 else f"N{k + 1:02d}", f"{PARK_NAMES[k]}经济技术开发区", "national", None, REGIONS[k])
        else:
            parent = 1 + (k - n_national) % n_national
            code, region = f"M{k - n_national + 1:02d}", REGIONS[parent - 1]
            name, level = f"{PARK_NAMES[parent - 1]}{'东西南北'[(k - n_national) % 4]}园区", "municipal"
        parks.append(ParkSpec(pid, code, name, level, parent, region, weights[k],
                              tuple(f"{code}-网格{g + 1:03d}" for g in range(grids))))
    cadres: list[tuple] = [(1, "A01", "管理员", "a01@example.org", "admin", None, None, True)]
    case_cadres: dict[int, list[int]] = {}
    n_holders = max(3 * len(parks), round(n / 300))
    for p in parks:
        share = max(2, round(n_holders * p.weight / total_w))
        supervisors = []
        for s in range(max(1, math.ceil(share / 12))):
            cid = len(cadres) + 1
            cadres.append((cid, f"S-{p.code}-{s + 1:02d}", _person(rng), f"s{cid}@example.org", "supervisor",
                           p.id, None, True))
            supervisors.append(cid)
        cid = len(cadres) + 1
        cadres.append((cid, f"SEC-{p.code}", _person(rng), f"sec{cid}@example.org", "secretary", p.id, None, True))
        holders = case_cadres.setdefault(p.id, [])
        for c in range(share):
            cid = len(cadres) + 1
            role = "social_worker" if c % 6 == 5 else "cadre"
            cadres.append((cid, f"C{cid:05d}", _person(rng), f"c{cid}@example.org", role, p.id,
                           supervisors[c % len(supervisors)], True))
            holders.append(cid)
    jus: list[tuple] = []
    ju_founded: dict[int, list[int]] = {}
    ju_all: dict[int, list[int]] = {}
    for p in parks:
        est = n * p.weight / total_w
        for k in range(max(2, int(est // 1500))):
            jid = len(jus) + 1
            kind = ("grid", "cluster", "park_in_park")[k % 3]
            founded = k % 6 != 5
            founded_on = today - timedelta(days=120 + (37 * k) % 900) if founded else None
            ref = f"松总工〔{founded_on.year}〕{jid}号" if founded else None
            jus.append((jid, f"JU-{p.code}-{k + 1:03d}", f"{p.name}{kind}联合工会{k + 1}", kind, p.id, founded_on, ref))
            ju_all.setdefault(p.id, []).append(jid)
            if founded:
                ju_founded.setdefault(p.id, []).append(jid)
    return Spec(n, seed, today, parks, cadres, case_cadres, jus, ju_founded, ju_all, status_plan(n))


def _org_body(counter: int) -> str:
    # "MA" + 6 characters of the USCC alphabet: a counter makes every code unique (31^6 of them).
    chars = []
    for _ in range(6):
        counter, d = divmod(counter, 31)
        chars.append(ALPHABET[d])
    return "MA" + "".join(reversed(chars))


class UsccMaker:
    """`make_uscc(region, _org_body(counter))` by table look-up: the same codes (a test compares them
    with `make_uscc`), at a fifth of the cost, which matters at a million enterprises."""

    def __init__(self, region: str):
        self.region = region
        head = "91" + region + "MA"  # positions 1-10 never change
        self.org_base = sum(_gb11714(ch) * w for ch, w in zip("MA", ORG_WEIGHTS, strict=False))
        self.uscc_base = sum(ALPHABET.index(ch) * w for ch, w in zip(head, USCC_WEIGHTS, strict=False))
        # contribution of digit d at counter position k (0 = most significant of the 6)
        self.org = [[_gb11714(ALPHABET[d]) * ORG_WEIGHTS[2 + k] for d in range(31)] for k in range(6)]
        self.uscc = [[d * USCC_WEIGHTS[10 + k] for d in range(31)] for k in range(6)]

    def __call__(self, counter: int) -> str:
        digits = []
        for _ in range(6):
            counter, d = divmod(counter, 31)
            digits.append(d)
        digits.reverse()
        org_sum, uscc_sum = self.org_base, self.uscc_base
        for k, d in enumerate(digits):
            org_sum += self.org[k][d]
            uscc_sum += self.uscc[k][d]
        c9 = 11 - org_sum % 11
        check9 = "X" if c9 == 10 else "0" if c9 == 11 else str(c9)
        uscc_sum += ALPHABET.index(check9) * USCC_WEIGHTS[16]
        body = "".join(ALPHABET[d] for d in digits)
        return f"91{self.region}MA{body}{check9}{ALPHABET[(31 - uscc_sum % 31) % 31]}"


def _gb11714(ch: str) -> int:
    return int(ch) if ch.isdigit() else ord(ch) - ord("A") + 10


def _coprime_step(n: int) -> int:
    a = 7_919
    while math.gcd(a, n) != 1:
        a += 2
    return a


def _stamp(d: date, i: int, j: int, tz: str) -> str:
    # recorded_at as the database stores it; "+00" tells PostgreSQL the instant is UTC.
    secs = 3_600 + (i * 37 + j * 613) % 28_800
    return f"{d.isoformat()} {secs // 3600:02d}:{secs // 60 % 60:02d}:{secs % 60:02d}.000000{tz}"


def _facts(event: str, mode: str | None, members: int | None) -> str | None:
    """The event's `data` as the case service writes it (strings): the mode chosen at `prepare`, the members
    counted at a standalone `found` (a joint union's member is founded without a count)."""
    if event == "prepare":
        return f'{{"mode": "{mode}"}}'
    if event == "found" and mode == "standalone":
        return f'{{"members": "{members}"}}'
    return None


def iso(d: date | None) -> str | None:
    return None if d is None else d.isoformat()


def block_count(n: int) -> int:
    return -(-n // BLOCK)


def rows(spec: Spec, block: int, *, sqlite: bool = False) -> Iterator[tuple[tuple, tuple, list[tuple], tuple]]:
    """(enterprise row, case row, event rows, CSV row) for the enterprises of one block, in id order.

    Each block of BLOCK enterprises has its own random stream, so blocks can be made in parallel and the
    rows depend only on (n, seed). Dates and instants come as the strings the database stores.
    """
    rng = random.Random(f"{spec.seed}:rows:{block}")
    r, gauss, expo = rng.random, rng.gauss, rng.expovariate
    tz = "" if sqlite else "+00"
    today, n = spec.today, spec.n
    parks = spec.parks
    park_cum = list(itertools.accumulate(p.weight for p in parks))
    ind_cum = list(itertools.accumulate(w for _, w, _ in INDUSTRIES))
    statuses = [s for s, _ in STATUS_SHARES]
    status_bounds = list(itertools.accumulate(spec.status_counts[s] for s in statuses))
    step = _coprime_step(n)
    admin = spec.admin_id
    one = timedelta(days=1)
    usccs = {p.region: UsccMaker(p.region) for p in parks}
    for i in range(block * BLOCK, min(n, (block + 1) * BLOCK)):
        p = parks[min(len(parks) - 1, bisect_right(park_cum, r() * park_cum[-1]))]
        emp = min(30_000, int(math.exp(gauss(3.4, 1.4))) + 1)
        shuangshi = r() < (0.78 if emp >= 25 else 0.45)
        industry, _, word = INDUSTRIES[bisect_right(ind_cum, r() * ind_cum[-1])]
        grid = p.grids[int(r() * len(p.grids))]
        x = r()
        source = "existing" if x < 0.86 else "new_project" if x < 0.91 else "relocated" if x < 0.97 else "prospective"
        if source == "existing":
            opened_on = today - one * (200 + int(r() * 7000))
        else:
            opened_on = None if source == "prospective" else today - one * int(r() * 400)
        status = statuses[bisect_right(status_bounds, (i * step + 17) % n)]
        closed_from = None
        if status == "closed":
            y = r()
            closed_from = "prospect" if y < 0.6 else "contacted" if y < 0.9 else "preparatory"
            steps = LADDER.index(closed_from) + 1
        else:
            steps = LADDER.index(status)
        historic = status in ("founded", "active") and r() < HISTORIC_SHARE
        since = today - one * min(720, int(expo(1 / AGE_MEAN[status])))
        days = [since]
        for _ in range(steps):
            days.append(days[-1] - one * (7 + int(expo(1 / 35))))
        days.reverse()  # days[0] = import day, days[j] = day of step j
        if opened_on is not None and opened_on > days[0]:
            opened_on = days[0]  # opened before its case began: the import refuses a union founded before opening
        holders = spec.case_cadres[p.id]
        cadre = None if status == "prospect" and r() < 0.04 else holders[int(r() * len(holders))]
        name = f"上海{SYLLABLES[int(r() * 31)]}{SYLLABLES[int(r() * 31)]}{word}有限公司"
        uscc = usccs[p.region](1_000 + i)
        reached = LADDER.index(closed_from or status)
        mode = ju = group_leader = applied_on = congress_on = approval_ref = chair = None
        founded_on = legal_cert = activated_on = contact_person = members = None
        if reached >= 1:
            contact_person = _person(rng)
        if reached >= 2:
            mode = "standalone" if shuangshi and emp >= 25 else "joint"
            if mode == "standalone":
                group_leader, applied_on = _person(rng), days[2]
            else:
                pool = spec.ju_founded[p.id] if reached >= 3 or r() < 0.7 else spec.ju_all[p.id]
                ju = pool[int(r() * len(pool))]
        if reached >= 3:
            founded_on = days[3] if len(days) > 3 else since - one * 60
            members = max(1, int(emp * (0.5 + 0.45 * r())))
            if mode == "standalone":
                congress_on = max(days[2], founded_on - one * (3 + int(r() * 15)))
                approval_ref, chair = f"松总工〔{founded_on.year}〕{i % 997 + 1}号", _person(rng)
        if reached >= 4:
            activated_on = since
            if mode == "standalone":
                legal_cert = f"工法证字第{31_000_000 + i}号"
        nxt = None
        if status in ("prospect", "contacted", "preparatory", "founded") and r() < 0.15:
            nxt = today + one * (int(r() * 50) - 20)
        cid = i + 1
        eid = cid * EVENT_SLOTS  # room for every event of the case: ids need no global counter
        since_s = since.isoformat()
        if historic:
            events = [(eid, cid, "import", None, None, status, since_s, _stamp(since, i, 0, tz), admin, "历史数据导入",
                       None)]
            episode = 1
        else:
            events = [(eid, cid, "import", None, None, "prospect", days[0].isoformat(), _stamp(days[0], i, 0, tz),
                       admin, None, None)]
            for j in range(1, steps + 1):
                day = days[j]
                if status == "closed" and j == steps:
                    ev = ("close", closed_from, "closed", admin, "deregistered")
                else:
                    ev = (STEP_EVENTS[j - 1], LADDER[j - 1], LADDER[j], cadre, None)
                events.append((eid + j, cid, "transition", ev[0], ev[1], ev[2], day.isoformat(), _stamp(day, i, j, tz),
                               ev[3], ev[4], _facts(ev[0], mode, members)))
            episode = 1 + steps
        created, updated = events[0][7], events[-1][7]
        contact_name = _person(rng) if r() < 0.4 else None
        phone = f"138{(i * 7_919) % 100_000_000:08d}" if contact_name else None
        signups = 1 + int(r() * 20) if status == "prospect" and r() < 0.08 else 0
        opened_s = iso(opened_on)
        ent = (cid, uscc, name, p.id, industry, emp, shuangshi, grid, source, opened_s, members, contact_name,
               phone, signups, created, created)
        case = (cid, cid, status, since_s, episode, mode, cadre, iso(nxt), episode, contact_person, group_leader,
                iso(applied_on), ju, iso(congress_on), approval_ref, chair, iso(founded_on), legal_cert,
                iso(activated_on), "deregistered" if status == "closed" else None, closed_from, created, updated)
        csv_row = (uscc, name, p.code, industry, emp, "是" if shuangshi else "否", grid, source, opened_s or "",
                   members if historic else "", contact_name or "", phone or "", status if historic else "",
                   since_s if historic else "")
        yield ent, case, events, csv_row


