"""Words of the meeting papers in zh and en.

The English text is the message id, as in a gettext catalog: every string goes through `_()`
(`translator(lang)`), so moving these to Babel catalogs later only changes `translator`.
"""

from __future__ import annotations

from collections.abc import Callable

from templates.labels import LEVEL_ZH
from workflow.vocabulary import PARTIES


def N_(text: str) -> str:  # noqa: N802 - the gettext convention for "mark, translate later"
    return text


PARTY_LABELS = {
    "party_committee": (N_("Party Working Committee"), "党工委"),
    "administration": (N_("Administration"), "管委会（行政）"),
    "regulators": (N_("Law-enforcement and regulatory departments"), "执法监管部门"),
    "union": (N_("Union"), "工会"),
    "chamber_of_commerce": (N_("Chamber of commerce"), "商会"),
    "employers": (N_("Employer representatives"), "企业资方代表"),
}
assert tuple(PARTY_LABELS) == PARTIES

STATUS_LABELS = {
    "prospect": (N_("prospect"), "摸排"),
    "contacted": (N_("contacted"), "已对接"),
    "preparatory": (N_("preparatory"), "筹备"),
    "founded": (N_("founded"), "已建会"),
    "active": (N_("active"), "规范运行"),
    "closed": (N_("closed"), "已注销"),
}

ZH: dict[str, str] = {
    en: zh for en, zh in (*PARTY_LABELS.values(), *STATUS_LABELS.values())
} | {
    # cover
    "Meeting papers": "会议材料",
    "Six-party joint meeting on union founding": "六方建会联席会议",
    "Six-party joint meeting of {park}, {day}": "{park}六方建会联席会议（{day}）",
    "Date and time": "会议时间",
    "Place": "会议地点",
    "Participants": "参会人员",
    "Park": "园区",
    "Meeting no.": "会议编号",
    "Prepared on": "材料生成日期",
    "none named": "未确定",
    "Contents": "目录",
    # summary
    "Overview": "总体情况",
    "Founding rate against the targets": "建会率与目标",
    "Founding rate": "建会率",
    "Enterprises": "企业数",
    "Covered": "已建会（含联合工会覆盖）",
    "Target": "目标",
    "Target by {day}": "{day}目标",
    "now": "当前",
    "Gap": "差距",
    "no target set": "未设定目标",
    "all enterprises": "全部企业",
    "双实 enterprises": "双实企业",
    "Basis": "口径",
    "Stalled cases by status": "按状态统计的停滞个案",
    "Stalled cases by cadre": "按包干干部统计的停滞个案",
    "Status": "状态",
    "Cadre": "包干干部",
    "Cases": "个案数",
    "Total": "合计",
    "unassigned": "未分配",
    "Escalations since the last meeting": "上次会议以来的升级",
    "Escalations since {day}": "{day}以来的升级",
    "Escalations so far": "累计升级",
    **LEVEL_ZH,
    "meeting with the employer": "会议",  # an activity, not the level "meeting"
    "Cases on this agenda": "本次会议审议个案",
    "{n} cases on the agenda: {escalation} escalated, {manual} added, {carried} carried over.": (
        "本次提请审议个案{n}件：升级{escalation}件，增补{manual}件，上次会议结转{carried}件。"
    ),
    "Stalled cases": "超时限停滞个案",
    "The park's founding rate is {rate} ({covered} of {enterprises} enterprises).": (
        "园区建会率为{rate}（{enterprises}家企业中{covered}家已建会或已被联合工会覆盖）。"
    ),
    "{n} cases are past their allowance.": "超过时限的停滞个案共{n}件。",
    # follow-up
    "Follow-up of the last meeting's decisions": "上次会议决定事项落实情况",
    "No earlier meeting of this park.": "本园区此前没有召开联席会议。",
    "The last meeting ({title}, {day}) made no decisions.": "上次会议（{title}，{day}）未形成决定事项。",
    "Decisions of {title} ({day}):": "{title}（{day}）决定事项：",
    "The last meeting ({title}) made no decisions.": "上次会议（{title}）未形成决定事项。",
    "Decisions of {title}:": "{title}决定事项：",
    "Enterprise": "企业",
    "Decision": "决定",
    "Party to act": "责任方",
    "Due": "完成时限",
    "State": "落实情况",
    "overdue since {day}": "已逾期（{day}到期）",
    "due {day}": "{day}到期",
    "no due date": "未定时限",
    "status changed: now {status}": "状态已变化：现为{status}",
    "case closed": "个案已注销",
    # cases that moved on since being put on the agenda
    "Moved on since being put on the agenda": "列入议程后已有进展的个案",
    "These cases changed status after they were put on this agenda and are no longer stalled: the meeting may "
    "hear how they stand, no decision is needed.": (
        "以下个案列入本次议程后状态已发生变化，不再属于停滞个案，会议可听取情况通报，无需作出决定。"
    ),
    "Of these, {n} have moved on since being put on the agenda and are listed at the end.": (
        "其中{n}件列入议程后已有进展，列于材料末尾。"
    ),
    "Status now": "目前状态",
    "{status} since {day}": "{day}起为{status}",
    # case sheets
    "Stalled cases for decision": "提请会议研究的停滞个案",
    "No case on this agenda.": "本次会议无提请审议个案。",
    "Enterprise profile": "企业概况",
    "USCC": "统一社会信用代码",
    "Industry": "行业",
    "Employees": "职工人数",
    "Shuangshi (双实)": "双实企业",
    "yes": "是",
    "no": "否",
    "Source": "来源",
    "Opened on": "成立日期",
    "Grid": "网格",
    "existing": "存量",
    "new_project": "新开工",
    "relocated": "新迁入",
    "prospective": "意向入驻",
    "Where the case stands": "个案进展",
    "In status since": "进入当前状态日期",
    "Working days in status": "当前状态已用工作日",
    "{days} of {allowed} working days ({percent}%)": "{days}个工作日，时限{allowed}个工作日（{percent}%）",
    "{days} working days (no allowance)": "{days}个工作日（无时限）",
    "Meetings it has been on": "提交联席会议次数",
    "time {n} on the agenda": "第{n}次提交",
    "Why on the agenda": "提交事由",
    "Responsible cadre": "包干干部",
    "Supervisor": "分管领导",
    "Worker sign-ups": "职工自主入会申请",
    "worker sign-ups": "职工申请入会",
    "{n} workers signed up individually": "已有{n}名职工自主申请入会",
    "Timeline": "工作经过",
    "Day": "日期",
    "Event": "事项",
    "Details": "内容",
    "By": "经办人",
    "{n} earlier entries not shown": "另有{n}条较早记录未列出",
    "no entries yet": "暂无记录",
    "transition": "状态变更",
    "activity": "走访记录",
    "assignment": "分配",
    "escalation": "升级",
    "agenda": "列入议程",
    "resolution": "会议决定",
    "import": "导入",
    "signup": "职工入会申请",
    "update": "信息更新",
    "visit": "走访",
    "call": "电话",
    "other": "其他",
    "manual": "增补",
    "carried": "结转",
    "Obstacles": "主要困难和问题",
    "no notes from visits": "暂无走访记录",
    "Legal basis": "法律依据",
    "Proposed measure": "建议措施",
    "Party asked to act": "建议责任方",
    "Suggested by the rule “{rule}”; the meeting may change it.": "按“{rule}”规则建议，会议可调整。",
    "Decision of this meeting": "本次会议决定",
    "due {day}, {party}": "{party}，{day}前完成",
    # packet generation messages
    "Agenda packet": "会议材料",
    "page": "页",
}

Translator = Callable[[str], str]


def translator(lang: str) -> Translator:
    """`_()` for one language; unknown ids fall back to the English text."""
    if lang == "zh":
        return lambda text: ZH.get(text, text)
    return lambda text: text


def party_label(party: str | None, lang: str) -> str:
    if not party:
        return ""
    en, zh = PARTY_LABELS[party]
    return zh if lang == "zh" else en


def status_label(status: str | None, lang: str) -> str:
    if not status:
        return ""
    en, zh = STATUS_LABELS.get(status, (status, status))
    return zh if lang == "zh" else en


def parse_party(text: str) -> str | None:
    """A party given as its key (`regulators`) or its label in either language (`执法监管部门`)."""
    needle = text.strip()
    for key, (en, zh) in PARTY_LABELS.items():
        if needle.lower() in (key, en.lower()) or needle == zh or (needle in zh and len(needle) >= 2):
            return key
    return None
