"""The benchmark harness at a small N: it runs, its JSON has the contract's keys, the synthetic park is
consistent, and the engine's answers equal the baselines' (timings are never asserted)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from benchmarks import harness
from benchmarks.generate import generate
from benchmarks.synthetic import BLOCK, TODAY, UsccMaker, _org_body, build_spec, rows, status_plan
from workflow.db import make_engine
from workflow.uscc import is_valid_uscc, make_uscc

N = 300


@pytest.fixture
def engine(db_url):
    e = make_engine(db_url)
    yield e
    e.dispose()


def test_status_plan_is_exact_and_mostly_early():
    for n in (1, 7, 300, 100_000, 1_000_000):
        plan = status_plan(n)
        assert sum(plan.values()) == n
    plan = status_plan(1_000_000)
    assert plan["prospect"] + plan["contacted"] > plan["founded"] + plan["active"] + plan["closed"]


def test_rows_are_deterministic_and_usccs_valid_and_unique():
    spec = build_spec(2 * BLOCK + 5)
    first = [r[:3] for b in range(3) for r in rows(spec, b)]
    again = [r[:3] for b in (2, 0, 1) for r in rows(spec, b)]  # blocks in any order give the same rows
    assert sorted(first) == sorted(again)
    codes = [ent[1] for ent, *_ in first]
    assert len(set(codes)) == len(codes) == 2 * BLOCK + 5
    assert all(is_valid_uscc(c) for c in codes)


def test_uscc_maker_equals_make_uscc():
    maker = UsccMaker("310117")
    for counter in [*range(1_000, 5_000, 13), 31**6 - 1]:
        assert maker(counter) == make_uscc("310117", _org_body(counter))


def test_cadres_scale_with_n():
    spec = build_spec(1_000_000)
    holders = sum(len(v) for v in spec.case_cadres.values())
    assert 3_000 <= holders <= 3_700
    roles = {c[4] for c in spec.cadres}
    assert {"admin", "supervisor", "secretary", "cadre", "social_worker"} <= roles
    assert len(spec.parks) == 28  # 9 national-level and 19 municipal-level parks, as in the rollout


def test_generated_park_is_consistent(engine):
    plan = generate(engine, N)
    with engine.connect() as conn:
        q = lambda sql: conn.execute(text(sql)).all()  # noqa: E731
        assert dict(q("SELECT status, count(*) FROM founding_case GROUP BY status")) == {
            k: v for k, v in plan.status_counts.items() if v}
        assert q("SELECT count(*) FROM founding_case c WHERE NOT EXISTS "
                 "(SELECT 1 FROM case_event x WHERE x.case_id = c.id AND x.kind = 'import')") == [(0,)]
        assert q("SELECT count(*) FROM case_event") == [(plan.events,)]
        assert q("SELECT count(*) FROM case_event WHERE kind = 'import'") == [(N,)]
        # Each case's transitions count its status changes, and its last event says where it stands.
        assert q("SELECT count(*) FROM founding_case c WHERE c.episode - 1 <> "
                 "(SELECT count(*) FROM case_event x WHERE x.case_id = c.id AND x.kind = 'transition')") == [(0,)]
        assert q("SELECT count(*) FROM founding_case c JOIN case_event x ON x.id = "
                 "(SELECT max(id) FROM case_event y WHERE y.case_id = c.id) "
                 "WHERE x.to_status <> c.status OR x.occurred_on <> c.status_since") == [(0,)]
        assert q("SELECT count(*) FROM founding_case WHERE status_since > :d".replace(":d", f"'{TODAY}'")) == [(0,)]
        assert q("SELECT count(DISTINCT uscc), count(*) FROM enterprise") == [(N, N)]
        assert q("SELECT count(*) FROM founding_case WHERE status IN ('founded', 'active') AND mode = 'joint' "
                 "AND joint_union_id IN (SELECT id FROM joint_union WHERE founded_on IS NULL)") == [(0,)]
        assert q("SELECT count(*) FROM calendar_day")[0][0] > 10_000
        # Explicit ids did not leave the sequences behind: the engine can add rows.
        conn.execute(text("INSERT INTO park (code, name, level) VALUES ('ZZ', 'x', 'district')"))


def test_harness_small_run(db_url, tmp_path):
    out = tmp_path / "bench.json"
    opts = harness.Options(n=N, db=db_url, json_out=str(out), transitions_n=40, startup_runs=1,
                           workdir=str(tmp_path / "work"))
    result = harness.run(opts)
    errors = [r for r in result if r["status"] == "error"]
    assert not errors, errors
    names = [r["name"] for r in result]
    assert names[:4] == ["generate", "import", "transitions, 1 per transaction", "transitions, batched"]
    assert names[-2:] == ["startup: unionflow --help", "startup: unionflow case show 1"]
    # Engine and baseline agreed (a measurement that disagrees raises and would be an error row).
    assert all("results equal" in r["note"] for r in result if r["name"].startswith(("import", "transitions")))
    data = json.loads(out.read_text())
    assert len(data) == len(result)
    backend = "postgresql" if db_url.startswith("postgres") else "sqlite"
    for row in data:
        assert tuple(row) == harness.KEYS
        assert row["backend"] == backend
    measured = [r for r in data if r["name"] != "generate" and r["seconds"] is not None]
    assert all(r["baseline_seconds"] and r["ratio"] is not None and r["peak_mb"] > 0 for r in measured)


def test_missing_plugin_is_reported_not_available(monkeypatch, tmp_path):
    monkeypatch.setitem(harness.PLUGINS, "nothing", ("benchmarks.bench_nothing", "bench_nothing", "url", "n"))
    monkeypatch.setitem(harness.TASKS, "nothing", harness.task_plugin("nothing"))

    class Pipe:
        def send(self, value):
            self.value = value

        def close(self):
            pass

    pipe = Pipe()
    harness._child("nothing", "sqlite://", 10, {}, str(tmp_path), pipe)
    status, found, _, message = pipe.value
    assert (status, found) == ("missing", [])
    assert message == "not available (benchmarks.bench_nothing does not exist yet)"


def test_plugin_rows_are_normalised():
    assert harness.normalise({"seconds": 1.0, "baseline_seconds": 0.5}, "sweep") == [
        {"name": "sweep", "seconds": 1.0, "baseline_seconds": 0.5}]
    with pytest.raises(TypeError, match="sweep: expected rows"):
        harness.normalise(3.0, "sweep")


def test_only_rejects_unknown_names(capsys):
    from benchmarks.__main__ import parse

    with pytest.raises(SystemExit) as exit_:
        parse(["--only", "sweep,nope"])
    assert exit_.value.code == 2
    assert "--only: unknown nope; choose from import, transitions, sweep, coverage, packet, outbox, startup" in (
        capsys.readouterr().err)
