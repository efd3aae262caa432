"""The legal basis that applies to a stalled case, and the measure the packet proposes to the meeting.

Both are simple documented rules over the facts of one case sheet (no database). The proposal is a
suggestion: the meeting decides, and the secretary edits the packet (DOCX) or records the decision
with `meeting resolve`.

Proposal rules, the first that matches wins (`RULES`):

| rule | when | party asked to act | measure |
|---|---|---|---|
| refusal | a visit note says the employer refuses, obstructs or declines | Party Working Committee | talk with the employer's principal; labour administration may order correction (Art. 51) |
| repeat | on the agenda for the 3rd time or more | administration | apply the constraints of the incentive scheme; joint supervision |
| approval | preparatory, standalone | union | the higher union examines and approves the application (Art. 12) |
| registration | founded, stalled | union | help with the legal-person registration, seal and account |
| large | prospect/contacted with ≥ 25 employees | regulators | a joint visit of the regulators with the union to explain the law |
| small | fewer than 25 employees, or joint mode | union | cover the enterprise through the grid / park-in-park joint union |
| peer | anything else | chamber of commerce | the chamber and employer representatives persuade the employer |
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

# Words in a visit note that mean the employer refuses or stalls (匹配走访记录中的拒绝、拖延表述).
REFUSAL_WORDS = ("拒绝", "不同意", "不愿", "不配合", "抵制", "阻挠", "反对", "推脱", "拖延",
                 "refus", "obstruct", "declin", "reject", "unwilling")

STANDALONE_THRESHOLD = 25  # Trade Union Law Art. 11
NEW_SOURCES = ("new_project", "relocated", "prospective")  # 新开工, 新迁入, 意向入驻


@dataclass(frozen=True)
class Facts:
    status: str
    mode: str | None
    employees: int | None
    opened_on: date | None
    working_days: int
    allowance: int | None
    times_on_agenda: int
    notes: tuple[str, ...]
    as_of: date
    new_enterprise_months: int = 6
    source: str = "existing"
    status_since: date | None = None

    @property
    def refused(self) -> bool:
        return any(w in note.lower() for note in self.notes for w in REFUSAL_WORDS)

    @property
    def stalled_long(self) -> bool:
        """Twice the allowance, or carried over at least once: the employer is stalling."""
        return (self.allowance is not None and self.working_days >= 2 * self.allowance) or self.times_on_agenda >= 2

    @property
    def large(self) -> bool:
        return (self.employees or 0) >= STANDALONE_THRESHOLD

    @property
    def new_enterprise(self) -> bool:
        """A new construction project, newly relocated or prospective tenant (DOMAIN.md, "cover from the
        source"), or one opened recently: still within `new_enterprise_months` of opening, or its case entered
        its status before that deadline (as the stall clocks give a new prospect the deadline)."""
        if self.source in NEW_SOURCES:
            return True
        if self.opened_on is None:
            return False
        deadline = _add_months(self.opened_on, self.new_enterprise_months)
        return self.as_of < deadline or (self.status_since is not None and self.status_since < deadline)

    @property
    def owes_union_within_six_months(self) -> bool:
        """Shanghai regulation Art. 10 applies: a new enterprise without a union yet."""
        return self.new_enterprise and self.status not in ("founded", "active", "closed")


def _add_months(day: date, months: int) -> date:
    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    for d in (day.day, 30, 29, 28):
        try:
            return date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


@dataclass(frozen=True)
class Rule:
    key: str
    name: tuple[str, str]  # (en, zh)
    applies: Callable[[Facts], bool]
    party: str
    measure: tuple[str, str]


RULES: tuple[Rule, ...] = (
    Rule("refusal", ("employer refuses", "企业拒绝或拖延"), lambda f: f.refused, "party_committee",
         ("The Party Working Committee talks with the employer's principal and asks for a founding plan within "
          "a month; if the employer keeps obstructing, the union asks the labour administration to order "
          "correction (Trade Union Law Art. 51).",
          "由党工委约谈企业主要负责人，要求一个月内提出建会工作方案；企业继续阻挠的，由工会提请劳动行政部门责令改正"
          "（《工会法》第五十一条）。")),
    Rule("repeat", ("repeatedly on the agenda", "多次提交仍未解决"), lambda f: f.times_on_agenda >= 3, "administration",
         ("The administration applies the constraints of the incentive scheme (no priority for talent apartments "
          "and member programmes) until the union is founded, and the parties supervise the case jointly.",
          "由管委会落实激励约束机制，在建会前暂停人才公寓、会员服务等优先政策，六方联合督办。")),
    Rule("approval", ("awaiting approval", "等待上级工会批复"),
         lambda f: f.status == "preparatory" and f.mode == "standalone", "union",
         ("The higher union examines the founding application and gives its approval within 15 working days "
          "(Trade Union Law Art. 12); the cadre helps the preparatory group complete the papers.",
          "由上级工会在15个工作日内审查建会申请并作出批复（《工会法》第十二条），包干干部协助筹备组完善材料。")),
    Rule("registration", ("founded, not yet registered", "已建会未完成登记"), lambda f: f.status == "founded", "union",
         ("The union helps the new union register as a legal person and open its seal and bank account.",
          "由工会指导新建工会办理法人资格登记，刻制印章、开设账户。")),
    Rule("large", ("large enterprise stalled", "规模以上企业停滞"),
         lambda f: f.status in ("prospect", "contacted") and f.large, "regulators",
         ("The law-enforcement and regulatory departments visit the enterprise together with the union to "
          "explain the duty to found a union (Trade Union Law Art. 11).",
          "由执法监管部门会同工会上门宣讲法律，督促企业依法建会（《工会法》第十一条）。")),
    Rule("small", ("small enterprise", "小微企业"), lambda f: not f.large or f.mode == "joint", "union",
         ("Cover the enterprise through the grid or park-in-park joint union; the grid service point recruits "
          "its workers.",
          "通过网格联合工会或园中园工会覆盖该企业，由网格服务站点发展会员。")),
    Rule("peer", ("other stalled case", "其他停滞个案"), lambda f: True, "chamber_of_commerce",
         ("The chamber of commerce and employer representatives talk to the employer and share the experience "
          "of enterprises that have founded a union.",
          "由商会和企业资方代表与企业沟通，介绍已建会企业的经验做法。")),
)


def propose(f: Facts, lang: str) -> dict:
    rule = next(r for r in RULES if r.applies(f))
    i = 1 if lang == "zh" else 0
    return {"rule": rule.key, "rule_name": rule.name[i], "party": rule.party, "text": rule.measure[i]}


LAW = {
    "art11_shall": ("Trade Union Law Art. 11", "《工会法》第十一条",
                    "An employer with 25 or more members shall set up a union committee.",
                    "职工二十五人以上的企业应当建立基层工会委员会。"),
    "art11_may": ("Trade Union Law Art. 11", "《工会法》第十一条",
                  "With fewer than 25 members the enterprise may set up its own committee, join a joint union "
                  "committee with other employers, or elect an organizer.",
                  "不足二十五人的，可以单独建立基层工会委员会，也可以由两个以上单位的会员联合建立基层工会委员会，"
                  "也可以选举组织员一人。"),
    "art12": ("Trade Union Law Art. 12", "《工会法》第十二条",
              "Founding a grassroots union must be approved by the next-higher union.",
              "基层工会组织的建立，必须报上一级工会批准。"),
    "art51": ("Trade Union Law Art. 51", "《工会法》第五十一条",
              "Obstructing workers from founding a union: the labour administration orders correction.",
              "阻挠职工依法参加和组织工会的，由劳动行政部门责令其改正。"),
    "sh10": ("Shanghai Trade Union Regulation Art. 10", "《上海市工会条例》第十条",
             "An enterprise that opened without a union shall support its workers in founding one within six "
             "months of opening.",
             "新建企业应当自开业之日起六个月内支持职工依法组建工会。"),
}


def legal_basis(f: Facts, lang: str) -> list[dict]:
    keys = ["art11_shall" if f.large else "art11_may"]
    if f.status in ("preparatory", "founded") or f.mode == "standalone":
        keys.append("art12")
    if f.refused or f.stalled_long:
        keys.append("art51")
    if f.owes_union_within_six_months:  # not for every case: only a new enterprise has that deadline
        keys.append("sh10")
    out = []
    for k in keys:
        en_ref, zh_ref, en, zh = LAW[k]
        out.append({"key": k, "ref": zh_ref if lang == "zh" else en_ref, "text": zh if lang == "zh" else en})
    return out
