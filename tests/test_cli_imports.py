"""`unionflow --help` stays light: no SQLAlchemy, Jinja2, rich or APScheduler at start-up."""

import json
import subprocess
import sys

HEAVY = ("sqlalchemy", "sqlmodel", "jinja2", "rich", "apscheduler", "openpyxl", "docx", "alembic", "transitions",
         "psycopg", "workflow.db", "babel")


def _modules_after(args: list[str]) -> set[str]:
    code = (
        "import sys, json\n"
        "from cli import main\n"
        "try:\n"
        f"    main({args!r}, prog_name='unionflow')\n"
        "except SystemExit:\n"
        "    pass\n"
        "sys.stderr.write(json.dumps(sorted(sys.modules)))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(json.loads(proc.stderr))


def test_help_imports_nothing_heavy():
    loaded = _modules_after(["--help"])
    assert not [m for m in loaded if m.split(".")[0] in HEAVY or m in HEAVY]


def test_subcommand_help_imports_nothing_heavy():
    loaded = _modules_after(["case", "prepare", "--help"])
    assert not [m for m in loaded if m.split(".")[0] in HEAVY or m in HEAVY]
