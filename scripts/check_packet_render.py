#!/usr/bin/env python3
"""Render an HTML agenda packet to PNG in headless Chromium, to look at its layout.

Needs Debian's chromium (`apt-get install chromium`) and, for the Chinese text, a CJK font
(`apt-get install fonts-noto-cjk`): both are system packages, not Python ones.

    # a packet file you already have (e.g. from `unionflow meeting agenda 2 --out packet.html`)
    python scripts/check_packet_render.py --html packet.html --png packet.png
    # straight from a database; --anchor case-17 starts at that case's sheet (or summary)
    python scripts/check_packet_render.py --db sqlite:///unionflow.db --meeting 2 --lang zh --png packet.png

The window is 1240 × 1754 px (A4 at 150 dpi).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run", "--hide-scrollbars", "--window-size=1240,1754"]


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        sys.exit("chromium is not installed: apt-get install -y chromium")
    return found


def screenshot(html: Path, png: Path, anchor: str | None = None) -> Path:
    with tempfile.TemporaryDirectory() as profile:
        if anchor:  # headless screenshots ignore #fragments: hide the sheets before the one asked for instead
            text = html.read_text(encoding="utf-8").replace(
                "</style>", f".sheet {{ display: none; }} #{anchor}, #{anchor} ~ .sheet {{ display: block; }}</style>", 1)
            html = Path(profile) / "packet.html"
            html.write_text(text, encoding="utf-8")
        url = html.resolve().as_uri()
        cmd = [chromium(), *FLAGS, f"--user-data-dir={Path(profile) / 'profile'}", f"--screenshot={png.resolve()}", url]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=240, check=False)
    if done.returncode != 0 or not png.exists():
        sys.exit(f"chromium failed ({done.returncode}): {done.stderr[-2000:]}")
    return png


def packet_html(db: str, meeting: str, lang: str) -> str:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from workflow.clock import Clock
    from workflow.config import load_config
    from workflow.context import Context
    from workflow.packet import build_packet
    from workflow.packet_render import render_html

    ctx = Context(config=load_config(db_url=db, lang=lang), clock=Clock.from_env())
    try:
        return render_html(build_packet(ctx, meeting))
    finally:
        ctx.close()


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--html", type=Path, help="An HTML packet file.")
    ap.add_argument("--db", help="A database URL (instead of --html).")
    ap.add_argument("--meeting", help="The meeting id (with --db).")
    ap.add_argument("--lang", choices=["zh", "en"], default="zh")
    ap.add_argument("--anchor", help="Start at this sheet: summary or case-ID.")
    ap.add_argument("--png", type=Path, required=True)
    args = ap.parse_args(argv)
    if args.html is None:
        if not (args.db and args.meeting):
            ap.error("give --html FILE, or --db URL and --meeting ID")
        args.html = Path(tempfile.mkdtemp()) / "packet.html"
        args.html.write_text(packet_html(args.db, args.meeting, args.lang), encoding="utf-8")
    png = screenshot(args.html, args.png, args.anchor)
    print(f"wrote {png} ({png.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
