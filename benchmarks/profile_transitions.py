"""Where the batched transitions' time goes: CPU seconds of the batched path with three versions of
`apply_transition`, on a generated database, results checked equal (see RESULTS.md).

    python -m benchmarks.profile_transitions --db sqlite:///PATH --cases 2000

- "before f45c929": the UPDATE and the event INSERT both built with literal values per call;
- "current": `workflow.cases.apply_transition` as it is;
- "bind-parameter UPDATE": one cached UPDATE per set of fact columns with `bindparam()`, and a reused
  `EVENT.insert()` — nothing built per call.
CPU (process) time, not wall time: on SQLite the database work is in-process, and a shared machine
disturbs it less.
"""

from __future__ import annotations

import argparse
import functools
import time

from sqlalchemy import and_, bindparam, insert, update

import benchmarks.measure_transitions as mt
import workflow.cases as wc
from workflow.errors import Conflict
from workflow.permissions import require_actor


def apply_before_f45c929(conn, row, dest, on, now, actor, event, values, *, note=None, data=None):
    result = conn.execute(
        update(wc.CASE).where(and_(wc.CASE.c.id == row.id, wc.CASE.c.version == row.version))
        .values(status=dest, status_since=on, episode=wc.CASE.c.episode + 1, version=wc.CASE.c.version + 1,
                updated_at=now, **values))
    if result.rowcount != 1:
        raise Conflict(f"case {row.id} changed")
    conn.execute(insert(wc.EVENT).values(wc.event_row(row.id, "transition", on, now, actor.id if actor else None,
                                                      event=event, from_status=row.status, to_status=dest,
                                                      note=note, data=data)))


@functools.lru_cache(maxsize=64)
def _update_for(columns: tuple[str, ...]):
    return (update(wc.CASE)
            .where(and_(wc.CASE.c.id == bindparam("b_id"), wc.CASE.c.version == bindparam("b_version")))
            .values(status=bindparam("b_status"), status_since=bindparam("b_since"), episode=wc.CASE.c.episode + 1,
                    version=wc.CASE.c.version + 1, updated_at=bindparam("b_now"),
                    **{c: bindparam("b_" + c) for c in columns}))


_EVENT_INSERT = wc.EVENT.insert()


def apply_with_bindparams(conn, row, dest, on, now, actor, event, values, *, note=None, data=None):
    params = {"b_id": row.id, "b_version": row.version, "b_status": dest, "b_since": on, "b_now": now,
              **{"b_" + k: v for k, v in values.items()}}
    if conn.execute(_update_for(tuple(sorted(values))), params).rowcount != 1:
        raise Conflict(f"case {row.id} changed")
    conn.execute(_EVENT_INSERT, wc.event_row(row.id, "transition", on, now, actor.id if actor else None, event=event,
                                             from_status=row.status, to_status=dest, note=note, data=data))


VARIANTS = {"before f45c929": apply_before_f45c929, "current": wc.apply_transition,
            "bind-parameter UPDATE": apply_with_bindparams}


def main(argv=None) -> None:
    p = argparse.ArgumentParser(prog="python -m benchmarks.profile_transitions", description=__doc__.split("\n")[0])
    p.add_argument("--db", required=True, help="a database made by the generator (python -m benchmarks --keep)")
    p.add_argument("--cases", type=int, default=2_000)
    p.add_argument("--repeat", type=int, default=2)
    args = p.parse_args(argv)
    from workflow.db import make_engine

    engine = make_engine(args.db)
    ids = mt.pick_cases(engine, args.cases)
    facts, snap, ctx = mt.plan_facts(engine, ids), mt.Snapshot(engine, ids), mt._context(engine)
    with engine.connect() as conn:
        actor_id = require_actor(conn, mt.ACTOR).id

    def timed(fn):
        start = time.process_time()
        fn()
        seconds = time.process_time() - start
        outcome = snap.outcome(ids)
        snap.restore()
        return seconds, outcome

    for _ in range(args.repeat):
        plain, expected = timed(lambda: mt.plain_batched(engine, ids, actor_id))
        line = [f"plain SQL {plain:.2f} s"]
        try:
            for name, fn in VARIANTS.items():
                mt.apply_transition = fn
                seconds, outcome = timed(lambda: mt.engine_batched(ctx, ids, facts))
                if outcome != expected:
                    raise AssertionError(f"{name}: results differ from plain SQL")
                line.append(f"{name} {seconds:.2f} s ({seconds / plain:.2f}×)")
        finally:
            mt.apply_transition = wc.apply_transition
        print(" | ".join(line) + " | results equal")


if __name__ == "__main__":
    main()
