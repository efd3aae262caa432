"""What the system writes on a timeline or an agenda, in the language of whoever reads it.

The sweep, the import, assignments, sign-ups and meetings write their notes and agenda reasons in the
language of the process that wrote them (a daemon, an admin's import). They also store the facts behind
them (an event's `data`, the escalation an agenda item came from), and a reader sees the text made anew
in the reader's language from those facts. Rows written before the facts were stored (no `data`) keep
their stored text.

Each text has two spellings that must agree: SQL (`*_sql`, for the set-based writers) and Python (for
readers); tests/test_timeline_text.py checks that a row written in one language reads back the same.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import String, case, cast, literal

from templates.i18n import N_, translate
from templates.labels import LEVEL_ZH, value_in
from workflow.packet_i18n import STATUS_LABELS, translator


def status_word(status: str | None, lang: str) -> str:
    en, zh = STATUS_LABELS.get(status, (status, status))
    return zh if lang == "zh" else en


def _status_sql(column, lang: str):
    if lang != "zh":
        return column
    return case({s: zh for s, (_en, zh) in STATUS_LABELS.items()}, value=column, else_=column)


# ------------------------------------------------------------------------------- escalation events
def escalation_note(lang: str, level: str, status: str, working_days: int, allowed: int, due_on) -> str:
    """'remind: 24 of 30 working days in contacted' / '提醒：已对接 24/30 个工作日'; a due follow-up:
    'next action due 2026-07-01' / '跟进提醒：2026-07-01'."""
    if level == "next_action":
        due = due_on.isoformat() if isinstance(due_on, date) else str(due_on)
        return f"{LEVEL_ZH[level]}：{due}" if lang == "zh" else f"next action due {due}"
    if lang == "zh":
        return f"{LEVEL_ZH.get(level, level)}：{status_word(status, lang)} {working_days}/{allowed} 个工作日"
    return f"{level}: {working_days} of {allowed} working days in {status}"


def escalation_note_sql(lang: str, c):
    """escalation_note in SQL over the columns `c` of an escalation (level, status, working_days, allowed, due_on)."""
    days, allowed, status = cast(c.working_days, String), cast(c.allowed, String), _status_sql(c.status, lang)
    if lang == "zh":
        level = case(LEVEL_ZH, value=c.level, else_=c.level)
        ladder = level + literal("：") + status + literal(" ") + days + literal("/") + allowed + literal(" 个工作日")
        due = literal(LEVEL_ZH["next_action"] + "：") + cast(c.due_on, String)
    else:
        ladder = c.level + literal(": ") + days + literal(" of ") + allowed + literal(" working days in ") + status
        due = literal("next action due ") + cast(c.due_on, String)
    return case((c.level == "next_action", due), else_=ladder)


# ------------------------------------------------------------------------------- agenda reasons
def stall_reason(lang: str, status: str, working_days: int, allowed: int) -> str:
    """The agenda reason of a case escalated to the meeting: '停滞升级：已对接 45/30 个工作日'."""
    if lang == "zh":
        return f"停滞升级：{status_word(status, lang)} {working_days}/{allowed} 个工作日"
    return f"stalled: {working_days}/{allowed} working days in {status}"


def stall_reason_sql(lang: str, c):
    """stall_reason in SQL over the columns `c` (status, working_days, allowed) of an escalation or a staged one."""
    days = cast(c.working_days, String) + literal("/") + cast(c.allowed, String)
    status = _status_sql(c.status, lang)
    if lang == "zh":
        return literal("停滞升级：") + status + literal(" ") + days + literal(" 个工作日")
    return literal("stalled: ") + days + literal(" working days in ") + status


# ------------------------------------------------------------------------------- meeting titles
def default_title(lang: str, park_name: str, day: date) -> str:
    shown = f"{day.year}年{day.month}月{day.day}日" if lang == "zh" else day.isoformat()
    return translator(lang)("Six-party joint meeting of {park}, {day}").format(park=park_name, day=shown)


def names_day(title: str, day: date) -> bool:
    """The title already says the meeting's day (2026-12-10, 2026年12月10日, 12月10日, 2026/12/10, 2026.12.10),
    so the day is not added to it again."""
    compact = "".join(title.split())
    spellings = {day.isoformat(), f"{day.month}月{day.day}日", f"{day.month:02d}月{day.day:02d}日",
                 *(f"{day.year}{sep}{day.month}{sep}{day.day}" for sep in "/."),
                 *(f"{day.year}{sep}{day.month:02d}{sep}{day.day:02d}" for sep in "/.")}
    return any(s in compact for s in spellings)


def meeting_title(title: str, park_name: str, day: date, lang: str) -> str:
    """A title the system gave the meeting, in `lang`; one the secretary typed, as typed."""
    if title in (default_title(other, park_name, day) for other in ("zh", "en")):
        return default_title(lang, park_name, day)
    return title


# ------------------------------------------------------------------------------- a meeting called off
CANCEL_NOTES = {
    "moved": N_("{title} was cancelled: the case goes to {next}"),
    "waiting": N_("{title} was cancelled: the case waits for the next meeting to be planned"),
    "dropped": N_("{title} was cancelled: the case is not carried (closed, or no longer stalled)"),
}


def cancel_note(lang: str, title: str, outcome: str, next_title: str | None = None) -> str:
    """The `agenda` event of a case on a cancelled meeting's agenda: where the case went (`outcome`: moved to the
    next meeting, waiting for one, or dropped)."""
    return translate(CANCEL_NOTES[outcome], lang).format(title=title, next=next_title)


# ------------------------------------------------------------------------------- event notes
def event_note(row: dict, lang: str, titles: dict[int, str] | None = None) -> str | None:
    """The note of a timeline row (kind, event, from_status, to_status, note, data) for a reader in `lang`.
    `titles`: meeting id → its title in `lang` (see meeting_title), for agenda events."""
    data = row.get("data") if isinstance(row.get("data"), dict) else {}
    kind, note = row.get("kind"), row.get("note")
    tr = lambda text: translate(text, lang)  # noqa: E731
    if kind == "escalation" and "working_days" in data:
        return escalation_note(lang, row["event"], row["from_status"], data["working_days"], data["allowed"],
                               data.get("due_on"))
    if kind == "agenda" and data.get("cancelled") and titles and data.get("meeting_id") in titles:
        if data.get("outcome") in CANCEL_NOTES and (data.get("moved_to") is None or data["moved_to"] in titles):
            return cancel_note(lang, titles[data["meeting_id"]], data["outcome"], titles.get(data.get("moved_to")))
        return note
    if kind == "agenda" and titles and data.get("meeting_id") in titles:
        return titles[data["meeting_id"]]
    if kind == "import" and {"file", "row", "status"} <= data.keys():
        text = tr("imported from {file}, row {row}").format(file=data["file"], row=data["row"])
        if data["status"]:
            text += tr(" (historic status {status})").format(status=status_word(data["status"], lang))
        return text
    if kind == "assignment" and {"from", "to", "by"} <= data.keys():
        if data["to"] is None and "park" in data:
            return tr("unassigned by {actor} (was {previous}): the enterprise moved to park {park}").format(
                actor=data["by"], previous=data["from"], park=data["park"])
        if data["to"] is not None:
            return tr("assigned to {cadre} by {actor} (was {previous})").format(
                cadre=data["to"], actor=data["by"], previous=data["from"] or tr("unassigned"))
    if kind == "update" and row.get("event") == "move" and {"file", "row", "from_park", "to_park"} <= data.keys():
        return tr("moved from park {old} to park {new} (imported from {file}, row {row})").format(
            old=data["from_park"], new=data["to_park"], file=data["file"], row=data["row"])
    if kind == "signup" and "count" in data:
        return tr("{n} worker sign-ups").format(n=data["count"])
    if kind == "transition" and row.get("event") == "close" and note and note == data.get("reason"):
        return value_in("close reason", note, lang)  # closed without a note: the reason is the note
    if kind == "transition" and data.get("by_joint_union"):
        return tr("joint union {code} founded ({approval_ref})").format(
            code=data["joint_union"], approval_ref=data["approval_ref"])
    return note


def meeting_titles(conn, ids, lang: str, tz) -> dict[int, str]:
    """Meeting id → its title in `lang` (see meeting_title), for the meetings `ids`."""
    from sqlalchemy import select

    from workflow.tables import MEETING, PARK

    ids = sorted({i for i in ids if i is not None})
    if not ids:
        return {}
    rows = conn.execute(select(MEETING.c.id, MEETING.c.title, MEETING.c.starts_at, PARK.c.name)
                        .join(PARK, PARK.c.id == MEETING.c.park_id).where(MEETING.c.id.in_(ids)))
    return {r.id: meeting_title(r.title, r.name, r.starts_at.astimezone(tz).date(), lang) for r in rows}


def localize_notes(conn, rows: list[dict], lang: str, tz) -> None:
    """Each timeline row's `note` for a reader in `lang` (see event_note), in place."""
    agenda = [r["data"] for r in rows if r.get("kind") == "agenda" and isinstance(r.get("data"), dict)]
    titles = meeting_titles(conn, [d.get(k) for d in agenda for k in ("meeting_id", "moved_to")], lang, tz)
    for r in rows:
        r["note"] = event_note(r, lang, titles)
