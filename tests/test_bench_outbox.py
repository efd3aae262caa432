"""Smoke test of the outbox benchmark (the harness runs it at n=10,000)."""

from benchmarks.bench_outbox import bench_outbox


def test_bench_outbox_sends_everything_over_one_connection(db_url):
    result = bench_outbox(db_url, n=50)
    assert result["n"] == 50 and result["connections"] == 1
    assert result["seconds"] > 0 and result["baseline_seconds"] > 0
    assert result["ratio"] > 0 and result["messages_per_second"] > 0
