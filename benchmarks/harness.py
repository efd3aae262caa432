"""The benchmark harness: generate a synthetic park, then run each measurement in a child process
(so one measurement's memory never hides another's), engine next to baseline, and report a table.

A measurement returns rows `{name, n, seconds, baseline_seconds[, peak_mb][, note]}`; the harness adds
the backend, the ratio (seconds / baseline_seconds: how many times the engine's time) and the peak
resident memory of the child. The plug-ins other modules provide are imported defensively: a module
that does not exist yet is reported as "not available".
"""

from __future__ import annotations

import json
import logging
import math
import multiprocessing as mp
import os
import resource
import shutil
import tempfile
import time
import traceback
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.synthetic import SEED, TODAY

log = logging.getLogger(__name__)

KEYS = ("name", "n", "backend", "seconds", "baseline_seconds", "ratio", "peak_mb")
GROUPS = ("import", "transitions", "sweep", "coverage", "packet", "outbox", "startup")
# Plug-ins: group -> (module, function, first argument: "engine" or "url", size: "n" or a number)
PLUGINS = {
    "sweep": ("benchmarks.bench_sweep", "bench_sweep", "engine", "n"),
    "coverage": ("benchmarks.bench_reports", "bench_coverage", "engine", "n"),
    "packet": ("benchmarks.bench_packet", "bench_packet", "engine", 500),
    "outbox": ("benchmarks.bench_outbox", "bench_outbox", "url", "digests"),
}
# Goals of issue 8, as the largest acceptable ratio, by row-name prefix.
GOALS = {
    "import": 2.0, "transitions, batched": 5.0, "sweep": 2.0, "coverage by park": 1.5, "coverage by cadre": 1.5,
    "startup: unionflow --help": 1.5, "startup: unionflow case show": 2.0,
    "outbox": 2.0,  # the plug-in's own goal (at least half the plain smtplib loop's throughput)
}  # fmt: skip
SWEEP_PEAK_MB = 300


@dataclass
class Options:
    n: int | None = None
    db: str | None = None
    json_out: str | None = None
    only: list[str] | None = None
    import_n: int | None = None
    transitions_n: int = 10_000
    transitions_single: int = 1_000
    startup_runs: int = 7
    seed: int = SEED
    keep: bool = False
    timeout: float = 3_600
    workdir: str | None = None
    extra: dict = field(default_factory=dict)


def backend_of(url: str) -> str:
    return "postgresql" if url.startswith("postgres") else "sqlite"


# ---------------------------------------------------------------- measurements (run in a child)


def _engine(url):
    from workflow.db import make_engine

    return make_engine(url)


def task_generate(url, n, opts, workdir):
    from benchmarks.generate import generate

    engine = _engine(url)
    start = time.perf_counter()
    plan = generate(engine, n, opts["seed"])
    seconds = time.perf_counter() - start
    engine.dispose()
    return [{"name": "generate", "n": n, "seconds": seconds, "baseline_seconds": None,
             "note": f"{plan.events} events, {plan.cadres} cadres, {plan.parks} parks (no baseline)"}]


def task_import(url, n, opts, workdir):
    from benchmarks.measure_import import bench_import

    import_n = opts["import_n"] or min(n, 100_000)
    rows = bench_import(url, import_n, workdir, opts["seed"])
    if import_n < n:
        for r in rows:
            r["note"] = f"N reduced to {import_n} for the import; " + r.get("note", "")
    return rows


def task_transitions(url, n, opts, workdir):
    from benchmarks.measure_transitions import bench_transitions

    return bench_transitions(_engine(url), min(opts["transitions_n"], n), opts["transitions_single"])


def task_startup(url, n, opts, workdir):
    from benchmarks.measure_startup import bench_startup

    return bench_startup(url, opts["startup_runs"], pycache=workdir / "pycache")


def task_plugin(group):
    module, func, arg, size = PLUGINS[group]

    def run(url, n, opts, workdir):
        import importlib

        fn = getattr(importlib.import_module(module), func)
        first = _engine(url) if arg == "engine" else url
        amount = n
        if size == "digests":  # a day's digests: about one per 100 cases (cadres hold ~300 each)
            amount = max(10, min(10_000, n // 100))
        elif size != "n":
            amount = min(size, n)
        return normalise(fn(first, amount), group)

    return run


TASKS = {
    "generate": task_generate, "import": task_import, "transitions": task_transitions,
    **{g: task_plugin(g) for g in PLUGINS}, "startup": task_startup,
}  # fmt: skip


def normalise(result, group: str) -> list[dict]:
    """A plug-in's answer as a list of row dicts (it may return one dict, a list, or dataclasses)."""
    import dataclasses

    items = result if isinstance(result, list | tuple) else [result]
    rows = []
    for item in items:
        if dataclasses.is_dataclass(item):
            item = dataclasses.asdict(item)
        if not isinstance(item, dict) or "seconds" not in item:
            raise TypeError(f"{group}: expected rows with at least 'seconds', got {item!r}")
        rows.append({"name": group, **item})
    return rows


def _child(task: str, url: str, n: int, opts: dict, workdir: str, conn) -> None:
    logging.basicConfig(level=os.environ.get("UNIONFLOW_BENCH_LOG", "WARNING"))
    status, rows, message = "ok", [], ""
    try:
        rows = TASKS[task](url, n, opts, Path(workdir))
    except ModuleNotFoundError as exc:
        missing = PLUGINS.get(task, ("",))[0]
        if exc.name and (exc.name == missing or missing.startswith(exc.name + ".") or exc.name == "workflow.registry"):
            status, message = "missing", f"not available ({exc.name} does not exist yet)"
        else:
            status, message = "error", traceback.format_exc()
    except Exception:  # noqa: BLE001 - reported in the table, the other measurements go on
        status, message = "error", traceback.format_exc()
    peak = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
               resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024
    conn.send((status, rows, peak, message))
    conn.close()


def run_task(task: str, url: str, n: int, opts: dict, workdir: Path, timeout: float) -> list[dict]:
    """Run one measurement in a fresh (spawned) process; rows with peak_mb, or one row saying what failed."""
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(task, url, n, opts, str(workdir), child), name=f"bench-{task}")
    proc.start()
    child.close()
    if parent.poll(timeout):
        try:
            status, rows, peak, message = parent.recv()
        except EOFError:
            status, rows, peak, message = "error", [], None, f"the measurement process died (exit {proc.exitcode})"
    else:
        proc.terminate()
        status, rows, peak, message = "error", [], None, f"timed out after {timeout:.0f} s"
    proc.join()
    backend = backend_of(url)
    if status != "ok":
        if status == "error":
            log.error("%s failed:\n%s", task, message)
        first = message.strip().splitlines()[-1] if message.strip() else status
        return [{"name": task, "n": n, "backend": backend, "seconds": None, "baseline_seconds": None, "ratio": None,
                 "peak_mb": None, "note": first if status == "missing" else f"error: {first}", "status": status}]
    out = []
    for r in rows:
        seconds, base = r.get("seconds"), r.get("baseline_seconds")
        out.append({**r, "backend": backend, "n": r.get("n", n),
                    "seconds": None if seconds is None else significant(seconds),
                    "baseline_seconds": None if base is None else significant(base),
                    "ratio": round(seconds / base, 2) if seconds is not None and base else None,
                    "peak_mb": round(float(r.get("peak_mb") or peak), 1), "status": "ok"})
    return out


# ---------------------------------------------------------------- the run


def significant(x: float, digits: int = 4) -> float:
    """Round to a few significant digits (a 40 µs baseline must not become 0)."""
    x = float(x)
    return 0.0 if x == 0 else round(x, max(0, digits - 1 - math.floor(math.log10(abs(x)))))


def goal_of(row: dict) -> float | None:
    for prefix, limit in GOALS.items():
        if row["name"].startswith(prefix):
            return limit
    return None


def verdict(row: dict) -> str:
    limit = goal_of(row)
    if limit is None or row["ratio"] is None:
        return ""
    ok = row["ratio"] <= limit
    text = f"goal ≤ {limit:g}× {'met' if ok else 'MISSED'}"
    if row["name"].startswith("sweep") and row["n"] >= 1_000_000:
        text += f"; peak < {SWEEP_PEAK_MB} MB {'met' if row['peak_mb'] < SWEEP_PEAK_MB else 'MISSED'}"
    return text


@contextmanager
def _environment(workdir: Path):
    """Children see the generator's day as today, and keep their files in the work folder."""
    saved = {k: os.environ.get(k) for k in ("UNIONFLOW_TODAY", "UNIONFLOW_HOME")}
    os.environ["UNIONFLOW_TODAY"] = TODAY.isoformat()
    os.environ["UNIONFLOW_HOME"] = str(workdir / "home")
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def prepare_database(url: str, n: int) -> bool:
    """Migrate; True when the synthetic park must be generated, False when it is already there."""
    from sqlalchemy import text

    from workflow.db import make_engine, upgrade

    upgrade(url)
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            have = conn.execute(text("SELECT count(*) FROM enterprise")).scalar()
    finally:
        engine.dispose()
    if have and have != n:
        raise SystemExit(f"the database already holds {have} enterprises, not {n}: give an empty database")
    if have:
        log.warning("reusing the %d enterprises already in the database", have)
    return not have


def run(opts: Options, progress=None) -> list[dict]:
    """Run the selected measurements; returns the rows (each with KEYS plus note and status)."""
    # Not under /tmp: the machine's other users sweep it; removed at the end unless --keep.
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "unionflow-benchmarks"
    base.mkdir(parents=True, exist_ok=True)
    workdir = Path(opts.workdir or tempfile.mkdtemp(prefix="run-", dir=base))
    workdir.mkdir(parents=True, exist_ok=True)
    url = opts.db or f"sqlite:///{workdir / 'bench.db'}"
    n = opts.n or (1_000_000 if backend_of(url) == "postgresql" else 100_000)
    groups = [g for g in GROUPS if not opts.only or g in opts.only]
    child_opts = {"seed": opts.seed, "import_n": opts.import_n, "transitions_n": opts.transitions_n,
                  "transitions_single": opts.transitions_single,
                  "startup_runs": opts.startup_runs, **opts.extra}
    rows: list[dict] = []
    try:
        with _environment(workdir):
            needs_data = [g for g in groups if g != "import"]
            if needs_data and prepare_database(url, n):
                rows += _step("generate", url, n, child_opts, workdir, opts, progress)
                if rows[-1]["status"] != "ok":
                    return rows
            for group in groups:
                rows += _step(group, url, n, child_opts, workdir, opts, progress)
    finally:
        if not opts.keep and not opts.workdir:
            shutil.rmtree(workdir, ignore_errors=True)
    for r in rows:
        r["note"] = "; ".join(x for x in (r.get("note", ""), verdict(r)) if x)
    if opts.json_out:
        Path(opts.json_out).write_text(json.dumps([{k: r[k] for k in KEYS} for r in rows], indent=2) + "\n")
    return rows


def _step(task, url, n, child_opts, workdir, opts, progress) -> list[dict]:
    if progress:
        progress(f"{task} …")
    out = run_task(task, url, n, child_opts, workdir, opts.timeout)
    if progress:
        progress(f"{task} done: " + ", ".join(f"{r['name']} {r['seconds']} s" for r in out))
    return out


def print_table(rows: list[dict], title: str) -> None:
    from rich import box
    from rich.console import Console
    from rich.table import Table

    t = Table(title=title, box=box.SIMPLE_HEAD)
    for col in (*KEYS, "note"):
        t.add_column(col, justify="right" if col in ("n", "seconds", "baseline_seconds", "ratio", "peak_mb") else "left",
                     overflow="fold")
    for r in rows:
        t.add_row(*("" if r.get(c) is None else f"{r[c]:,}" if c == "n" else str(r[c]) for c in (*KEYS, "note")))
    Console(width=200).print(t)
