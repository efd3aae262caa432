"""Command start-up, whole processes: `unionflow --help` vs `python -c "import click"`, and
`unionflow case show REF` vs `python -c "import sqlalchemy"`. Median of several runs after one
warm-up; peak memory is the largest resident set of the unionflow processes (from `os.wait4`)."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path


def unionflow_command() -> list[str]:
    exe = Path(sys.executable).with_name("unionflow")
    return [str(exe)] if exe.exists() else [sys.executable, "-c", "import cli; cli.run()"]


def run_once(cmd: list[str], env: dict) -> tuple[float, float, float]:
    """(seconds, peak MB, CPU seconds) of one whole process; raises with its stderr when it fails."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        err = subprocess.run(cmd, env=env, capture_output=True, text=True).stderr.strip()
        raise RuntimeError(f"{' '.join(cmd)} exited with {proc.returncode}: {err[-500:]}")
    return seconds, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


def median_run(cmd: list[str], env: dict, runs: int) -> tuple[float, float, float]:
    """Median wall seconds, largest peak MB, median CPU seconds (steadier than wall time on a busy machine)."""
    run_once(cmd, env)  # warm the file cache
    times, peaks, cpus = zip(*(run_once(cmd, env) for _ in range(runs)), strict=True)
    return statistics.median(times), max(peaks), statistics.median(cpus)


def bench_startup(url: str, runs: int = 7, ref: str = "1", pycache: Path | None = None) -> list[dict]:
    env = {**os.environ, "UNIONFLOW_DATABASE_URL": url}
    if pycache is not None:
        # Byte-code as an installed application has it (pip compiles on install): written once by the
        # warm-up run into a folder of our own, for both sides, even where PYTHONDONTWRITEBYTECODE is set.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(pycache)
    uf = unionflow_command()
    pairs = [
        ("startup: unionflow --help", [*uf, "--help"], [sys.executable, "-c", "import click"], "python -c 'import click'"),
        (f"startup: unionflow case show {ref}", [*uf, "case", "show", ref], [sys.executable, "-c", "import sqlalchemy"],
         "python -c 'import sqlalchemy'"),
    ]
    out = []
    for name, cmd, base, base_name in pairs:
        seconds, peak, cpu = median_run(cmd, env, runs)
        baseline, _, base_cpu = median_run(base, env, runs)
        out.append({"name": name, "n": runs, "seconds": seconds, "baseline_seconds": baseline, "peak_mb": peak,
                    "note": f"median of {runs} processes; baseline {base_name}; "
                            f"CPU {cpu:.3f} s vs {base_cpu:.3f} s ({cpu / base_cpu:.2f}×)"})
    return out
