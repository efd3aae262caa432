"""python -m benchmarks [--n N] [--db URL] [--json OUT] [--only NAME,...]"""

from __future__ import annotations

import argparse
import sys

from benchmarks.harness import GROUPS, Options, backend_of, print_table, run


def parse(argv: list[str] | None = None) -> Options:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Generate a synthetic park of N enterprises and time the engine next to hand-written SQL "
        "baselines doing the same work (ratio = engine seconds / baseline seconds).",
        epilog="Examples:\n  python -m benchmarks                       N=100,000 on a temporary SQLite file\n"
        "  python -m benchmarks --db postgresql+psycopg://postgres@127.0.0.1/uf_bench --json out.json\n"
        "  python -m benchmarks --n 3000 --only transitions,startup",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--n", type=int, help="enterprises and cases (default 100,000 on SQLite, 1,000,000 on PostgreSQL)")
    p.add_argument("--db", metavar="URL", help="an empty database (default: a temporary SQLite file)")
    p.add_argument("--json", dest="json_out", metavar="OUT", help="also write the rows to this JSON file")
    p.add_argument("--only", metavar="NAME,...", help=f"run only these: {','.join(GROUPS)}")
    p.add_argument("--import-n", type=int, help="rows of the CSV import (default min(N, 100,000))")
    p.add_argument("--transitions", dest="transitions_n", type=int, default=10_000,
                   help="cases advanced contact → activate, batched (default 10,000)")
    p.add_argument("--transitions-single", type=int, default=1_000,
                   help="of those, cases advanced one transaction per transition (default 1,000)")
    p.add_argument("--startup-runs", type=int, default=7, help="processes per start-up measurement (median)")
    p.add_argument("--seed", type=int, help="seed of the synthetic park")
    p.add_argument("--keep", action="store_true", help="keep the temporary folder (SQLite database, CSV file)")
    args = p.parse_args(argv)
    only = None
    if args.only:
        only = [x.strip() for x in args.only.split(",") if x.strip()]
        if unknown := [x for x in only if x not in GROUPS]:
            p.error(f"--only: unknown {', '.join(unknown)}; choose from {', '.join(GROUPS)}")
    opts = Options(n=args.n, db=args.db, json_out=args.json_out, only=only, import_n=args.import_n,
                   transitions_n=args.transitions_n, transitions_single=args.transitions_single,
                   startup_runs=args.startup_runs, keep=args.keep)
    if args.seed is not None:
        opts.seed = args.seed
    return opts


def main(argv: list[str] | None = None) -> int:
    opts = parse(argv)
    rows = run(opts, progress=lambda msg: print(msg, file=sys.stderr, flush=True))
    url = opts.db or "sqlite (temporary file)"
    print_table(rows, f"unionflow benchmarks — {backend_of(url)}")
    return 1 if any(r["status"] == "error" for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
