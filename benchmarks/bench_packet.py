"""The agenda packet of a big meeting: rendering time next to the time of the queries that feed it.

`bench_packet(engine, n_cases=500)` takes a database with data in it (the synthetic park), puts the
`n_cases` longest-stalled open cases of its biggest park on the agenda of a new meeting, inside a
transaction it rolls back at the end (the database is left as it was), and times:

- the baseline: `workflow.packet.gather`, every query of the packet (a fixed number, whatever n);
- html / docx: rendering the gathered packet; ratio = rendering seconds ÷ query seconds.

Rows (html, docx): {name, n, seconds, baseline_seconds (the queries), ratio, note}. Run alone: `python -m benchmarks.bench_packet --db URL [--cases 500]`.
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime

from sqlalchemy import func, insert, literal, select


def _agenda(conn, n_cases: int) -> tuple[int, date]:
    """A planned meeting of the park with the most open cases, with its n longest-stalled open cases."""
    from workflow.tables import AI, CASE, ENT
    from workflow.tables import MEETING as M
    from workflow.workdays import DEFAULT_END

    open_cases = CASE.c.status.in_(("prospect", "contacted", "preparatory", "founded"))
    park = conn.execute(select(ENT.c.park_id, func.count()).join(CASE, CASE.c.enterprise_id == ENT.c.id).where(open_cases)
                        .group_by(ENT.c.park_id).order_by(func.count().desc()).limit(1)).first()
    if park is None:
        raise ValueError("the database has no open case: generate data first")
    latest = conn.execute(select(func.max(CASE.c.status_since))).scalar()
    as_of = min(max(latest, date.today()), DEFAULT_END)
    now = datetime.now(UTC)
    mid = conn.execute(insert(M).values(park_id=park[0], title="六方建会联席会议（基准测试）", place="管委会会议室",
                                        starts_at=now, status="planned", created_at=now)).inserted_primary_key[0]
    worst = (select(literal(mid), CASE.c.id, literal("基准测试"), literal("escalation"), literal(1),
                    literal(now, type_=M.c.created_at.type))
             .join(ENT, ENT.c.id == CASE.c.enterprise_id).where(ENT.c.park_id == park[0], open_cases)
             .order_by(CASE.c.status_since, CASE.c.id).limit(n_cases))
    conn.execute(insert(AI).from_select(["meeting_id", "case_id", "reason", "source", "times_on_agenda", "created_at"],
                                        worst))
    return mid, as_of


def bench_packet(engine, n_cases: int = 500, lang: str = "zh") -> list[dict]:
    from workflow.clock import SHANGHAI
    from workflow.config import Config
    from workflow.packet import calendar, gather
    from workflow.packet_docx import render_docx
    from workflow.packet_render import render_html

    with engine.connect() as conn:
        trans = conn.begin()
        try:
            mid, as_of = _agenda(conn, n_cases)
            cal = calendar(conn)
            t0 = time.perf_counter()
            packet = gather(conn, mid, as_of=as_of, config=Config(), lang=lang, tz=SHANGHAI, cal=cal)
            queries = time.perf_counter() - t0
        finally:
            trans.rollback()
    n = len(packet["cases"])
    t0 = time.perf_counter()
    html = render_html(packet)
    t_html = time.perf_counter() - t0
    t0 = time.perf_counter()
    docx = render_docx(packet)
    t_docx = time.perf_counter() - t0
    rows_note = f"queries {queries:.3f} s ({sum(len(c['timeline']) for c in packet['cases'])} timeline rows)"
    return [
        {"name": "packet: html", "n": n, "seconds": round(t_html, 4), "baseline_seconds": round(queries, 4),
         "ratio": round(t_html / queries, 2) if queries else None, "note": f"{len(html.encode()) // 1024} KiB; {rows_note}"},
        {"name": "packet: docx", "n": n, "seconds": round(t_docx, 4), "baseline_seconds": round(queries, 4),
         "ratio": round(t_docx / queries, 2) if queries else None, "note": f"{len(docx) // 1024} KiB; {rows_note}"},
    ]


def main(argv=None) -> None:
    import argparse

    from workflow.db import make_engine

    ap = argparse.ArgumentParser(description="Time the agenda packet of a meeting of N stalled cases.")
    ap.add_argument("--db", required=True, metavar="URL", help="a database with data (e.g. from python -m benchmarks)")
    ap.add_argument("--cases", type=int, default=500)
    ap.add_argument("--lang", choices=["zh", "en"], default="zh")
    args = ap.parse_args(argv)
    engine = make_engine(args.db)
    try:
        for row in bench_packet(engine, args.cases, args.lang):
            print(f"{row['name']:<14} n={row['n']:<5} {row['seconds']:>8.3f} s  queries {row['baseline_seconds']:.3f} s  "
                  f"ratio {row['ratio']}×  {row['note']}")
    finally:
        engine.dispose()


if __name__ == "__main__":
    main()
