"""Case transitions: the engine next to plain SQL, on the same cases, with the results compared.

K prospect cases go contact → prepare → found → activate four times over, each run starting from the
same state (restored in between, untimed):
- plain SQL, one transaction per transition: an UPDATE of the status and an INSERT of the event;
- the case service, one transaction per transition as the CLI does it (`workflow.cases.transition`:
  permission, guards, the version check, the event row, the case read back);
- plain SQL batched: the same statements, BATCH cases per transaction;
- the engine batched (`advance_batch` below): the cases of a batch read in one query, then the machine
  and `apply_transition` per case inside one transaction — what a joint-union founding does.
Every run must leave the cases and their new events exactly alike.
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime

from sqlalchemy import Date, bindparam, select, text, update

from benchmarks.synthetic import TODAY
from states.machine import recommended_mode
from workflow.cases import (
    CASE,
    ENT,
    EVENT,
    FACT_COLUMNS,
    JU,
    apply_transition,
    case_query,
    check_event_day,
    fire,
    transition,
)
from workflow.permissions import check_case_access, require_actor

STEPS = ("contact", "prepare", "found", "activate")
ORDER = ("prospect", "contacted", "preparatory", "founded", "active")
BATCH = 1_000
ACTOR = "A01"


def _chunks(ids: list[int], size: int = BATCH):
    for k in range(0, len(ids), size):
        yield ids[k:k + size]


def _context(engine, actor: str = ACTOR):
    from workflow.clock import Clock
    from workflow.config import load_config
    from workflow.context import Context

    config = load_config(db_url=engine.url.render_as_string(hide_password=False))
    return Context(config=config, clock=Clock(frozen_today=TODAY), actor_code=actor, _engine=engine)


def pick_cases(engine, k: int) -> list[int]:
    with engine.connect() as conn:
        return list(conn.execute(select(CASE.c.id).where(CASE.c.status == "prospect").order_by(CASE.c.id).limit(k))
                    .scalars())


def plan_facts(engine, ids: list[int]) -> dict[int, dict[str, dict]]:
    """The facts each step needs, as a cadre would give them on the command line."""
    with engine.connect() as conn:
        ju_of_park = dict(conn.execute(
            select(JU.c.park_id, JU.c.code).where(JU.c.founded_on.isnot(None)).order_by(JU.c.park_id, JU.c.id.desc())
        ).all())  # the lowest founded joint union of each park wins (later rows overwrite)
        facts = {}
        for chunk in _chunks(ids):
            for r in conn.execute(select(CASE.c.id, ENT.c.employees, ENT.c.shuangshi, ENT.c.park_id)
                                  .join(ENT, ENT.c.id == CASE.c.enterprise_id).where(CASE.c.id.in_(chunk))):
                if recommended_mode(r.employees, r.shuangshi) == "standalone":
                    facts[r.id] = {
                        "contact": {"person": "王经理"},
                        "prepare": {"mode": "standalone", "group_leader": "李强", "applied_on": TODAY},
                        "found": {"congress_on": TODAY, "approval_ref": f"松总工〔2026〕{r.id}号", "chair": "陈静",
                                  "members": max(1, min(r.employees or 1, 30))},
                        "activate": {"legal_cert": f"工法证字第{r.id}号"},
                    }
                else:
                    facts[r.id] = {"contact": {"person": "王经理"},
                                   "prepare": {"mode": "joint", "joint_union": ju_of_park[r.park_id]},
                                   "found": {}, "activate": {}}
    return facts


# ---------------------------------------------------------------- the engine, batched


def advance_batch(ctx, conn, ids: list[int], event: str, facts_of: dict[int, dict], on: date) -> int:
    """Fire `event` on many cases inside the caller's transaction: one query reads them all, then the
    machine (guards) and `apply_transition` (version check, event row) run per case, as
    `workflow.cases.transition` does for one. Returns the number of cases moved."""
    actor = require_actor(conn, ctx.actor_code)
    today, now = ctx.clock.today(), ctx.clock.now()
    codes = {f.get("joint_union") for f in (facts_of[i].get(event, {}) for i in ids)} - {None}
    joint_unions = {}
    if codes:
        joint_unions = {r.code: r for r in conn.execute(select(JU.c.code, JU.c.id, JU.c.founded_on)
                                                        .where(JU.c.code.in_(sorted(codes))))}
    members_of = []
    for row in conn.execute(case_query().where(CASE.c.id.in_(ids)).order_by(CASE.c.id)):
        check_case_access(conn, actor, event, row)
        check_event_day(on, today, row.status_since, what="a transition")
        facts = {k: v for k, v in facts_of[row.id].get(event, {}).items() if v not in (None, "")}
        if event in ("prepare", "found"):
            if code := facts.get("joint_union"):
                facts["joint_union_id"] = joint_unions[code].id
                facts["joint_union_founded"] = joint_unions[code].founded_on is not None
            elif row.joint_union_id is not None:
                facts["joint_union_founded"] = row.joint_union_founded_on is not None
        model = fire(row, event, facts)
        values = {col: facts[key] for key, col in FACT_COLUMNS.get(event, {}).items() if key in facts}
        if event == "found":
            values["founded_on"] = on
            if "members" in facts:
                members_of.append({"eid": row.enterprise_id, "m": int(facts["members"])})
        elif event == "activate":
            values["activated_on"] = on
        apply_transition(conn, row, model.status, on, now, actor, event, values,
                         data={k: str(v) for k, v in facts.items() if k != "joint_union_founded"} or None)
    if members_of:
        conn.execute(update(ENT).where(ENT.c.id == bindparam("eid")).values(members=bindparam("m")), members_of)
    return len(ids)


# ---------------------------------------------------------------- plain SQL

_TYPED = (bindparam("on", type_=Date()), bindparam("now", type_=EVENT.c.recorded_at.type))
PLAIN_UPDATE = text(
    "UPDATE founding_case SET status = :dest, status_since = :on, episode = episode + 1, version = version + 1, "
    "updated_at = :now WHERE id = :id"
).bindparams(*_TYPED)
PLAIN_EVENT = text(
    "INSERT INTO case_event (case_id, kind, event, from_status, to_status, occurred_on, recorded_at, actor_id) "
    "VALUES (:id, 'transition', :event, :src, :dest, :on, :now, :actor)"
).bindparams(*_TYPED)


def _plain_params(engine, cid, k, actor_id):
    return {"id": cid, "dest": ORDER[k + 1], "src": ORDER[k], "event": STEPS[k], "on": TODAY,
            "now": datetime.now(UTC), "actor": actor_id}


def plain_single(engine, ids, actor_id) -> None:
    for k in range(len(STEPS)):
        for cid in ids:
            p = _plain_params(engine, cid, k, actor_id)
            with engine.begin() as conn:
                conn.execute(PLAIN_UPDATE, p)
                conn.execute(PLAIN_EVENT, p)


def plain_batched(engine, ids, actor_id) -> None:
    for k in range(len(STEPS)):
        for chunk in _chunks(ids):
            with engine.begin() as conn:
                for cid in chunk:
                    p = _plain_params(engine, cid, k, actor_id)
                    conn.execute(PLAIN_UPDATE, p)
                    conn.execute(PLAIN_EVENT, p)


def engine_single(ctx, ids, facts) -> None:
    for event in STEPS:
        for cid in ids:
            transition(ctx, str(cid), event, on=TODAY, **facts[cid][event])


def engine_batched(ctx, ids, facts) -> None:
    for event in STEPS:
        for chunk in _chunks(ids):
            with ctx.engine.begin() as conn:
                advance_batch(ctx, conn, chunk, event, facts, TODAY)


# ---------------------------------------------------------------- state: snapshot, outcome, restore


class Snapshot:
    """The chosen cases as they were, to put them back between runs (untimed)."""

    def __init__(self, engine, ids):
        self.engine, self.ids = engine, ids
        with engine.connect() as conn:
            self.watermark = conn.execute(text("SELECT coalesce(max(id), 0) FROM case_event")).scalar()
            self.cases, self.members = [], []
            for chunk in _chunks(ids):
                self.cases += [dict(r._mapping) for r in conn.execute(select(CASE).where(CASE.c.id.in_(chunk)))]
                self.members += [{"eid": r.id, "m": r.members} for r in conn.execute(
                    select(ENT.c.id, ENT.c.members).where(ENT.c.id.in_(
                        select(CASE.c.enterprise_id).where(CASE.c.id.in_(chunk)))))]

    def restore(self) -> None:
        cols = [c for c in CASE.c.keys() if c != "id"]
        with self.engine.begin() as conn:
            conn.execute(EVENT.delete().where(EVENT.c.id > self.watermark))
            conn.execute(update(CASE).where(CASE.c.id == bindparam("b_id"))
                         .values({c: bindparam(f"b_{c}") for c in cols}),
                         [{f"b_{k}": v for k, v in row.items()} for row in self.cases])
            conn.execute(update(ENT).where(ENT.c.id == bindparam("eid")).values(members=bindparam("m")), self.members)

    def outcome(self, ids: list[int]) -> list[tuple]:
        """Per case: status, episode, version, status_since, and its new events (kind, event, from, to, day)."""
        out = []
        with self.engine.connect() as conn:
            events = {}
            for r in conn.execute(select(EVENT.c.case_id, EVENT.c.kind, EVENT.c.event, EVENT.c.from_status,
                                         EVENT.c.to_status, EVENT.c.occurred_on)
                                  .where(EVENT.c.id > self.watermark).order_by(EVENT.c.case_id, EVENT.c.id)):
                events.setdefault(r.case_id, []).append(tuple(r)[1:])
            for chunk in _chunks(ids):
                for r in conn.execute(select(CASE.c.id, CASE.c.status, CASE.c.episode, CASE.c.version,
                                             CASE.c.status_since).where(CASE.c.id.in_(chunk)).order_by(CASE.c.id)):
                    out.append((*r, tuple(events.get(r.id, ()))))
        if len(events) != len(ids):
            raise AssertionError(f"transitions: {len(events)} cases have new events, not {len(ids)}")
        return out


def bench_transitions(engine, n_cases: int = 10_000, n_single: int | None = None) -> list[dict]:
    """Two rows (one transaction per transition, on the first n_single cases; batched, on all), each
    engine vs plain SQL; raises when the engine's cases and events differ from plain SQL's."""
    ids = pick_cases(engine, n_cases)
    single = ids[:n_single] if n_single else ids
    facts = plan_facts(engine, ids)
    snap = Snapshot(engine, ids)
    ctx = _context(engine)
    with engine.connect() as conn:
        actor_id = require_actor(conn, ACTOR).id
    runs = {}
    for name, cases, fn in (("plain single", single, lambda: plain_single(engine, single, actor_id)),
                            ("engine single", single, lambda: engine_single(ctx, single, facts)),
                            ("plain batched", ids, lambda: plain_batched(engine, ids, actor_id)),
                            ("engine batched", ids, lambda: engine_batched(ctx, ids, facts))):
        start, cpu = time.perf_counter(), time.process_time()
        fn()
        runs[name] = (time.perf_counter() - start, snap.outcome(cases), time.process_time() - cpu)
        snap.restore()
    expected = runs["plain batched"][1]
    if any(len(o[-1]) != len(STEPS) or o[1] != "active" for o in expected):
        raise AssertionError("plain SQL did not move every case to active with four events")
    for name, (_, outcome, _) in runs.items():
        if outcome != expected[:len(outcome)]:
            bad = next(a for a, b in zip(outcome, expected, strict=False) if a != b)
            raise AssertionError(f"transitions: {name} differs from plain SQL, e.g. case {bad[0]}: {bad}")
    def cpu(kind):  # our process only: on PostgreSQL the server's work is not in it
        engine_cpu, plain_cpu = runs[f"engine {kind}"][2], runs[f"plain {kind}"][2]
        return f"client CPU {engine_cpu:.2f} s vs {plain_cpu:.2f} s ({engine_cpu / max(plain_cpu, 1e-9):.2f}×)"

    return [
        {"name": "transitions, 1 per transaction", "n": len(single), "seconds": runs["engine single"][0],
         "baseline_seconds": runs["plain single"][0],
         "note": f"{len(single)} cases × 4 steps = {len(single) * 4} transitions; results equal; {cpu('single')}"},
        {"name": "transitions, batched", "n": len(ids), "seconds": runs["engine batched"][0],
         "baseline_seconds": runs["plain batched"][0],
         "note": f"{len(ids)} cases × 4 steps, {BATCH} cases per transaction; results equal; {cpu('batched')}"},
    ]
