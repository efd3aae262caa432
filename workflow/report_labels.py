"""Column headers and sheet titles of the reports, in English and Chinese (by `--lang`)."""

from __future__ import annotations

from states.machine import LABELS_ZH

LABELS: dict[str, tuple[str, str]] = {
    # groupings
    "group": ("Group", "分组"),
    "park": ("Park", "园区"),
    "industry": ("Industry", "行业"),
    "cadre": ("Cadre", "包干干部"),
    "grid": ("Grid", "网格"),
    "mode": ("Founding mode", "建会方式"),
    "name": ("Name", "名称"),
    "person_name": ("Name", "姓名"),
    # coverage
    "enterprises": ("Enterprises", "企业数"),
    "covered": ("Founded", "已建会企业数"),
    "rate": ("Founding rate", "建会率"),
    "members": ("Members", "工会会员数"),
    "employees": ("Employees", "职工人数"),
    "membership_rate": ("Membership rate", "入会率"),
    "covered_members": ("Members (founded)", "已建会企业会员数"),
    "covered_employees": ("Employees (founded)", "已建会企业职工数"),
    "covered_membership_rate": ("Membership rate (founded)", "已建会企业入会率"),
    "month": ("Month", "月份"),
    "as_of": ("As of", "截至日期"),
    "period": ("Period", "期间"),
    # targets
    "id": ("Target", "目标编号"),
    "basis": ("Basis", "口径"),
    "target_rate": ("Target rate", "目标建会率"),
    "by": ("Due", "完成期限"),
    "needed": ("Still needed", "尚需建会企业数"),
    "working_days_left": ("Working days left", "剩余工作日"),
    "pace_per_week": ("Needed per week", "每周需建会数"),
    "open_cases": ("Open cases", "未建会企业数"),
    "share": ("Share of the gap", "分担缺口"),
    "share_exact": ("Share (exact)", "分担缺口（精确）"),
    "outcome": ("Outcome", "完成情况"),
    "rate_on_due_day": ("Rate on the due day", "期限日建会率"),
    # funnel
    "status": ("Status", "状态"),
    "cases": ("Cases", "企业数"),
    "stays": ("Completed stays", "已完成阶段数"),
    "median_days": ("Median working days", "停留工作日中位数"),
    "median_days_current": ("Median working days (current)", "当前阶段已停留工作日中位数"),
    # ledger
    "portfolio": ("Portfolio", "包干企业数"),
    "prospect": ("Prospect", "摸排"),
    "contacted": ("Contacted", "已对接"),
    "preparatory": ("Preparatory", "筹备"),
    "founded": ("Founded, not yet active", "已建会（未规范运行）"),  # the status; "covered" is founded or active
    "active": ("Active", "规范运行"),
    "closed": ("Closed", "已注销"),
    "founded_in_period": ("Founded in period", "期内建会数"),
    "from": ("Period from", "统计起始日"),
    "stalled": ("Stalled", "停滞"),
    "escalations": ("Escalations", "督办次数"),
    "target_by": ("Target due", "目标期限"),
    "gap_share": ("Share of the gap", "分担缺口"),
    "achieved": ("Achieved", "期内完成"),
    # incentives
    "uscc": ("USCC", "统一社会信用代码"),
    "enterprise": ("Enterprise", "企业名称"),
    "joint_union": ("Joint union", "联合工会"),
    "founded_on": ("Founded on", "建会日期"),
    "activated_on": ("Active since", "规范运行日期"),
    "opened_on": ("Opened on", "成立日期"),
    "status_since": ("Status since", "状态日期"),
    "reasons": ("Reasons", "原因"),
    # sheet titles and fixed cells
    "title_coverage": ("Founding rate", "建会率"),
    "title_coverage_monthly": ("Founding rate by month", "建会率月度趋势"),
    "title_targets": ("Targets", "目标"),
    "title_cadre_shares": ("Cadre shares of the gap", "缺口分担"),
    "title_funnel": ("Funnel", "建会进度漏斗"),
    "title_cadres": ("Contract-responsibility ledger", "包干责任台账"),
    "title_eligible": ("Eligible for incentives", "激励名单"),
    "title_constraints": ("Constraints", "约束名单"),
    "total": ("Total", "合计"),
    "none": ("(none)", "（无）"),
    "unassigned": ("(unassigned)", "（未分配）"),
    "not_recorded": ("(not recorded)", "（未记录）"),
    "all_parks": ("(all)", "（全部）"),
    "basis_all": ("all enterprises", "全部企业"),
    "basis_shuangshi": ("双实 enterprises", "双实企业"),
}


# A target's outcome (English shows the code, itself a word).
OUTCOMES_ZH = {"met": "已达成", "missed": "未达成", "open": "进行中"}


def outcome_label(outcome: str | None, lang: str) -> str | None:
    return OUTCOMES_ZH.get(outcome, outcome) if lang == "zh" and outcome else outcome


def status_label(status: str | None, lang: str) -> str | None:
    return LABELS_ZH.get(status, status) if lang == "zh" and status else status


def label(key: str, lang: str) -> str:
    en, zh = LABELS.get(key, (key, key))
    return zh if lang == "zh" else en
