"""Column headers, record labels and coded values as the command line shows them.

English shows the field name and the stored value themselves (so English output is what the data
says); Chinese takes the catalog's words, looked up with a gettext context: `field` for a header,
and one context per kind of value (`status`, `level`, `mode`, …), since the same word means
different things (a closed case is 已注销, a closed meeting 已闭会). JSON output never goes through
here. `scripts/extract_messages.py` puts every name listed below into the catalog.
"""

from __future__ import annotations

from templates.i18n import active_lang, pgettext, translations

# Every field shown as a table header or a record label.
FIELDS = (
    # cases
    "id", "case_id", "uscc", "enterprise", "park", "park_name", "status", "mode", "cadre", "cadre_name",
    "status_since", "next_action_on", "version", "episode", "industry", "employees", "shuangshi", "grid",
    "source", "opened_on", "members", "signups", "contact_name", "contact_phone", "contact_person",
    "group_leader", "applied_on", "joint_union", "joint_union_founded_on", "congress_on", "approval_ref",
    "chair", "founded_on", "legal_cert", "activated_on", "close_reason", "closed_from", "recommended_mode",
    "allowed_actions", "signup_flag", "events", "created_at", "updated_at", "name",
    # history
    "occurred_on", "kind", "event", "from_status", "to_status", "actor", "note", "recorded_at", "data",
    # stall clocks and escalations
    "working_days", "allowed", "level", "due_on",
    # parks and cadres
    "code", "parent", "email", "role", "supervisor", "active",
    # outbox
    "attempts", "to", "subject", "next_attempt_at", "sent_at", "last_error", "error", "claim",
    # calendar
    "day", "weekday",
    # joint unions, targets
    "cases", "covered", "rate", "by", "basis",
    # meetings
    "starts_at", "title", "place", "participants", "items", "resolved", "party_label", "party",
)  # fmt: skip

# Coded values, by the context that says what kind of value they are.
VALUES: dict[str, tuple[str, ...]] = {
    "status": ("prospect", "contacted", "preparatory", "founded", "active", "closed"),
    "meeting status": ("planned", "closed", "cancelled"),
    "outbox status": ("queued", "sending", "sent", "failed"),
    "level": ("remind", "overdue", "meeting", "next_action"),
    "mode": ("standalone", "joint"),
    "role": ("cadre", "social_worker", "supervisor", "secretary", "admin"),
    "park level": ("national", "municipal", "district"),
    "source": ("existing", "new_project", "relocated", "prospective"),
    "close reason": ("deregistered", "moved_out", "merged", "out_of_scope"),
    "event kind": ("import", "transition", "activity", "assignment", "escalation", "agenda", "resolution", "signup",
                   "update", "next_action"),
    "event": ("contact", "prepare", "found", "activate", "setback", "close", "reopen", "assign", "import", "signup",
              "visit", "call", "meeting", "other", "remind", "overdue", "next_action", "resolve", "agenda", "move",
              # how a case came onto an agenda (an `agenda` event), or left it
              "escalation", "manual", "carried", "cancelled"),
    "joint kind": ("grid", "cluster", "park_in_park"),
    "day kind": ("holiday", "workday"),
    "day source": ("chinese-calendar", "loaded", "park", "fallback"),
    "weekday": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
    "mail kind": ("remind", "overdue", "meeting", "next_action", "digest", "packet"),
    "basis": ("all", "shuangshi"),
    "bool": ("True", "False"),
}  # fmt: skip

# The Chinese term of each escalation level, one for the whole product: the command line (contexts
# `level`, `mail kind`, `event`), the packets, the timeline notes and the emails all say these.
LEVEL_ZH = {"remind": "提醒", "overdue": "逾期督办", "meeting": "提交联席会议", "next_action": "跟进提醒"}

# The kind of value a column holds unless a command says otherwise (`render(..., values={...})`).
COLUMN_VALUES = {
    "status": "status", "from_status": "status", "to_status": "status", "closed_from": "status",
    "level": "level", "mode": "mode", "recommended_mode": "mode", "role": "role", "source": "source",
    "close_reason": "close reason", "basis": "basis", "event": "event",
    "shuangshi": "bool", "active": "bool", "signup_flag": "bool", "weekday": "weekday",
}  # fmt: skip


def field(name: str) -> str:
    """A column header or record label."""
    return pgettext("field", name)


def value(context: str | None, raw):
    """A coded value in the active language (anything not coded is returned as it is)."""
    return value_in(context, raw, active_lang())


# Booleans in English: words, not Python's True/False (Chinese: 是/否, from the catalog).
BOOL_EN = {"True": "yes", "False": "no"}


def value_in(context: str | None, raw, lang: str):
    """A coded value in `lang` (documents: a report file is written in its own language)."""
    if context == "bool" and lang == "en" and raw is not None:
        return BOOL_EN.get(str(raw), raw)
    if context is None or raw is None or lang == "en":
        return raw
    text = str(raw)
    if text not in VALUES.get(context, ()):
        return raw
    if text in LEVEL_ZH and (context in ("level", "mail kind") or (context in ("event", "event kind") and
                                                                   text != "meeting")):  # an activity "meeting"
        return LEVEL_ZH[text]
    return translations(lang).pgettext(context, text)


def display_width(text: str) -> int:
    """Terminal columns: CJK characters take two."""
    from unicodedata import east_asian_width

    return sum(2 if east_asian_width(ch) in "WF" else 1 for ch in text)
