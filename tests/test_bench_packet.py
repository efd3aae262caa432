"""Smoke test of the packet benchmark: it times a real packet and leaves the database as it was."""

from sqlalchemy import func, select

from benchmarks.bench_packet import bench_packet
from tests.conftest import USCCS, add_enterprise
from workflow.db import make_engine
from workflow.models import AgendaItem, Meeting


def test_bench_packet_times_queries_and_rendering_and_rolls_back(org):
    for i, uscc in enumerate(USCCS[:6]):
        add_enterprise(org, uscc, f"基准企业{i}", cadre="C01", status="contacted", status_since=f"2026-0{1 + i % 5}-05")
    engine = make_engine(org)
    try:
        rows = bench_packet(engine, n_cases=5)
        assert [r["name"] for r in rows] == ["packet: html", "packet: docx"]
        assert all(r["n"] == 5 and r["seconds"] > 0 and r["baseline_seconds"] > 0 and r["ratio"] > 0 for r in rows)
        assert rows[0]["baseline_seconds"] == rows[1]["baseline_seconds"]  # the same queries feed both
        with engine.connect() as conn:
            for table in (Meeting.__table__, AgendaItem.__table__):
                assert conn.execute(select(func.count()).select_from(table)).scalar() == 0
    finally:
        engine.dispose()
