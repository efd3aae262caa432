"""Guards of the founding state machine: plain functions named as the rule they check.

Each receives the transitions EventData (send_event=True); the facts travel in `event.kwargs`
(the values given with the command) and on `event.model` (the case as it stands). A guard that fails
leaves the reason in `MISSING` so the engine can say which fact is missing.
"""

from __future__ import annotations

CLOSE_REASONS = ("deregistered", "moved_out", "merged", "out_of_scope")


def N_(text: str) -> str:  # noqa: N802 - marks text for the message catalog; workflow/cases.py translates it
    return text


MODES = ("standalone", "joint")


def _fact(event, name):
    value = event.kwargs.get(name)
    if value in (None, ""):
        value = getattr(event.model, name, None)
    return value


def _mode(event):
    return _fact(event, "mode")


def has_contact_person_or_note(event) -> bool:
    """contact: the cadre met someone, or at least says what happened."""
    return bool(event.kwargs.get("person") or event.kwargs.get("note"))


def has_founding_mode(event) -> bool:
    """prepare: the founding path (standalone or joint) is chosen."""
    return _mode(event) in MODES


def _given(name):
    return lambda event: _fact(event, name) not in (None, "")


def _members_given(event) -> bool:
    members = _fact(event, "members")
    return members is not None and int(members) >= 1


# The facts a standalone step needs, each with what to say when it is missing (only the missing ones are named).
STANDALONE_PREPARE_FACTS = (
    (_given("group_leader"), N_("the preparatory-group leader (--group-leader)")),
    (_given("applied_on"), N_("the application date (--applied-on)")),
)
STANDALONE_FOUND_FACTS = (
    (_given("congress_on"), N_("the assembly date (--congress-on)")),
    (_given("approval_ref"), N_("the approval reference (--approval-ref)")),
    (_given("chair"), N_("the chair (--chair)")),
    (_members_given, N_("the number of members (--members, at least 1)")),
)


def standalone_has_group_and_application(event) -> bool:
    """prepare (standalone): a preparatory-group leader and the application date to the higher union."""
    if _mode(event) != "standalone":
        return True
    return all(given(event) for given, _what in STANDALONE_PREPARE_FACTS)


def joint_has_joint_union(event) -> bool:
    """prepare (joint): the target joint union is named."""
    if _mode(event) != "joint":
        return True
    return bool(_fact(event, "joint_union_id") or event.kwargs.get("joint_union"))


def standalone_has_congress_and_approval(event) -> bool:
    """found (standalone): member assembly date, approval reference (批复文号), chair, members ≥ 1."""
    if _mode(event) != "standalone":
        return True
    return all(given(event) for given, _what in STANDALONE_FOUND_FACTS)


def joint_union_is_founded(event) -> bool:
    """found (joint): the joint union the enterprise joins has itself been founded and approved."""
    if _mode(event) != "joint":
        return True
    return bool(event.kwargs.get("joint_union_founded"))


def has_legal_person_certificate(event) -> bool:
    """activate (standalone): the union's legal-person certificate reference (Trade Union Law Art. 15)."""
    if _mode(event) != "standalone":
        return True
    return bool(_fact(event, "legal_cert"))


def has_reason(event) -> bool:
    """setback and close: a reason is given."""
    return bool(event.kwargs.get("reason"))


def reason_is_a_closing_reason(event) -> bool:
    """close: the reason is one of deregistered, moved_out, merged, out_of_scope."""
    return event.kwargs.get("reason") in CLOSE_REASONS


# What to tell the user when a guard fails: the missing fact and the option that supplies it.
MISSING = {
    has_contact_person_or_note: N_("a contact person (--person) or a note (--note)"),
    has_founding_mode: N_("a founding mode (--mode standalone|joint)"),
    standalone_has_group_and_application: N_("for a standalone founding, {facts}"),
    joint_has_joint_union: N_("for a joint founding, the joint union (--joint-union CODE)"),
    standalone_has_congress_and_approval: N_("for a standalone founding, {facts}"),
    joint_union_is_founded: N_("a founded joint union: found the joint union first (`unionflow joint-union found CODE`)"),
    has_legal_person_certificate: N_("the union's legal-person certificate reference (--legal-cert)"),
    has_reason: N_("a reason (--reason)"),
    reason_is_a_closing_reason: N_("a closing reason: one of {reasons}"),
}

# The guards whose message lists facts ({facts}): only the missing ones.
FACTS_OF = {
    standalone_has_group_and_application: STANDALONE_PREPARE_FACTS,
    standalone_has_congress_and_approval: STANDALONE_FOUND_FACTS,
}


def missing_facts(guard, event) -> list[str]:
    """What `guard` lacks in `event`, as N_() texts (empty for a guard that names one fact in MISSING)."""
    return [what for given, what in FACTS_OF.get(guard, ()) if not given(event)]
