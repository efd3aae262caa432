"""The sweep benchmark's comparison function on a small park (the harness runs it at scale)."""

from __future__ import annotations

from datetime import date

import pytest

from tests.conftest import add_enterprise, valid_usccs
from tests.test_sweep import count
from workflow.db import make_engine

STARTS = ["2026-01-05", "2026-03-02", "2026-04-01", "2026-05-06", "2026-05-25", "2026-06-01", "2026-06-12"]


@pytest.fixture
def park(org):
    for i, u in enumerate(valid_usccs(24, seed=5)):
        add_enterprise(org, u, f"基准{i}", status=("prospect", "contacted", "preparatory", "founded", "active")[i % 5],
                       status_since=STARTS[i % len(STARTS)], cadre=("C01", "C02")[i % 2],
                       next_action_on=date(2026, 6, 1 + i % 20) if i % 3 == 0 else None,
                       opened_on=date(2025, 12, 1 + i % 28) if i % 4 == 0 else None)
    return org


def test_bench_sweep_compares_the_same_selection_and_changes_nothing(park):
    from benchmarks.bench_sweep import bench_sweep

    engine = make_engine(park)
    try:
        daily, with_writes, everything, first = bench_sweep(engine, 24)
    finally:
        engine.dispose()
    assert daily["name"] == "sweep (daily)" and first["name"].startswith("first sweep (inserts ")
    assert with_writes["name"] == "daily sweep vs the same writes by hand"
    assert everything["name"] == "daily sweep vs everything it writes, by hand"
    # the same engine run, next to other baselines
    assert with_writes["seconds"] == everything["seconds"] == daily["seconds"]
    assert all(r["seconds"] > 0 and r["baseline_seconds"] > 0 and r["n"] == 24
               for r in (daily, with_writes, everything, first))
    # The hand-written SQL wrote what the engine wrote (checked in the run: a difference raises).
    assert "(the same counts as the sweep's, checked)" in everything["note"]
    assert "same selection checked" in daily["note"]
    assert int(first["name"].split("inserts ")[1].split()[0]) > 10
    assert count(park, "escalation") == 0 and count(park, "case_event", "kind = 'escalation'") == 0
    # With a meeting planned in every park (rolled back too), the first sweep put its cases on an agenda.
    placed = int(first["note"].split(" put on an agenda")[0].rsplit("; ", 1)[1])
    assert placed > 0 and count(park, "meeting") == 0 and count(park, "agenda_item") == 0


def test_bench_sweep_catches_a_different_selection(park, monkeypatch):
    import benchmarks.bench_sweep as bench

    real = bench.baseline_sql

    def founded_never_stalls(dialect, config):
        levels, due = real(dialect, config)
        assert "WHEN 'founded' THEN 30 " in levels
        return levels.replace("WHEN 'founded' THEN 30 ", "WHEN 'founded' THEN 3000 "), due

    monkeypatch.setattr(bench, "baseline_sql", founded_never_stalls)
    bench_raises(park, "the baseline does not select|differ")


def bench_raises(park, match: str) -> None:
    """The sweep benchmark on the small park stops with an AssertionError matching `match`."""
    from benchmarks.bench_sweep import bench_sweep

    engine = make_engine(park)
    try:
        with pytest.raises(AssertionError, match=match):
            bench_sweep(engine, 24)
    finally:
        engine.dispose()


def test_bench_sweep_catches_hand_written_writes_that_differ(park, monkeypatch):
    """The everything-by-hand baseline is checked against what the engine wrote: a digest left out raises."""
    import benchmarks.bench_sweep as bench

    real = bench.by_hand_writes

    def no_cadre_digests(*args):
        statements = real(*args)
        *writes, routes, digests = statements
        assert "JOIN cadre w ON w.id = n.cadre_id AND w.active " in routes
        return [*writes, routes.replace("JOIN cadre w ON w.id = n.cadre_id AND w.active ", "JOIN cadre w ON false ", 1),
                digests]

    monkeypatch.setattr(bench, "by_hand_writes", no_cadre_digests)
    bench_raises(park, "the engine wrote .*, the hand-written SQL")
