"""The founding state machine, declared as data; the diagram is generated from the same data.

One module-level `Machine(model=None)` is built once; the engine fires events on a light state object
with `MACHINE.events[name].trigger(obj, **facts)` (never `add_model` per row).
"""

from __future__ import annotations

from transitions import Machine

from states import guards as g

STATES = ("prospect", "contacted", "preparatory", "founded", "active", "closed")
OPEN = STATES[:-1]
LADDER = ("prospect", "contacted", "preparatory", "founded", "active")
LABELS_ZH = {
    "prospect": "摸排", "contacted": "已对接", "preparatory": "筹备",
    "founded": "已建会", "active": "规范运行", "closed": "已注销",
}
EVENTS = ("contact", "prepare", "found", "activate", "setback", "close", "reopen")

TRANSITIONS: list[dict] = [
    {"trigger": "contact", "source": "prospect", "dest": "contacted", "conditions": [g.has_contact_person_or_note]},
    {
        "trigger": "prepare", "source": "contacted", "dest": "preparatory",
        "conditions": [g.has_founding_mode, g.standalone_has_group_and_application, g.joint_has_joint_union],
    },
    {
        "trigger": "found", "source": "preparatory", "dest": "founded",
        "conditions": [g.standalone_has_congress_and_approval, g.joint_union_is_founded],
    },
    {"trigger": "activate", "source": "founded", "dest": "active", "conditions": [g.has_legal_person_certificate]},
    *(
        {"trigger": "setback", "source": later, "dest": earlier, "conditions": [g.has_reason]}
        for earlier, later in zip(LADDER, LADDER[1:], strict=False)
    ),
    {"trigger": "close", "source": list(OPEN), "dest": "closed", "conditions": [g.has_reason, g.reason_is_a_closing_reason]},
    # Reopening restores the status the case had when it was closed.
    *(
        {"trigger": "reopen", "source": "closed", "dest": status,
         "conditions": [lambda event, s=status: event.model.closed_from == s]}
        for status in OPEN
    ),
]


def _build() -> Machine:
    return Machine(
        model=None, states=list(STATES), transitions=TRANSITIONS, initial="prospect",
        model_attribute="status", auto_transitions=False, send_event=True, ignore_invalid_triggers=False,
    )


MACHINE = _build()


def allowed_events(status: str) -> list[str]:
    """The actions possible from a status, in life-cycle order."""
    found = {t["trigger"] for t in TRANSITIONS if status in (t["source"] if isinstance(t["source"], list) else [t["source"]])}
    return [e for e in EVENTS if e in found]


def guards_for(event: str, status: str) -> list:
    for t in TRANSITIONS:
        sources = t["source"] if isinstance(t["source"], list) else [t["source"]]
        if t["trigger"] == event and status in sources:
            return list(t["conditions"])
    return []


def recommended_mode(employees: int | None, shuangshi: bool) -> str:
    """Standalone for 双实 enterprises with 25 or more employees (Trade Union Law Art. 11), joint otherwise."""
    return "standalone" if shuangshi and (employees or 0) >= 25 else "joint"


def diagram(fmt: str = "mermaid") -> str:
    """The state diagram as Mermaid or Graphviz dot source, generated from TRANSITIONS."""
    edges: dict[tuple[str, str], list[str]] = {}
    for t in TRANSITIONS:
        for src in t["source"] if isinstance(t["source"], list) else [t["source"]]:
            edges.setdefault((src, t["dest"]), [])
            if t["trigger"] not in edges[(src, t["dest"])]:
                edges[(src, t["dest"])].append(t["trigger"])
    if fmt == "mermaid":
        lines = ["stateDiagram-v2", "    [*] --> prospect"]
        lines += [f"    {s}: {s} {LABELS_ZH[s]}" for s in STATES]
        lines += [f"    {a} --> {b}: {', '.join(ev)}" for (a, b), ev in edges.items()]
        return "\n".join(lines) + "\n"
    if fmt == "dot":
        lines = ["digraph founding {", "  rankdir=LR;", '  node [shape=box, style=rounded, fontname="sans-serif"];']
        lines += [f'  {s} [label="{s}\\n{LABELS_ZH[s]}"];' for s in STATES]
        lines += [f'  {a} -> {b} [label="{", ".join(ev)}"];' for (a, b), ev in edges.items()]
        return "\n".join(lines) + "\n}\n"
    raise ValueError(f"unknown diagram format {fmt!r}: use mermaid or dot")
