"""`unionflow --help` stays light: no SQLAlchemy, Jinja2, rich or APScheduler at start-up; a command that reads
runs on SQLAlchemy Core alone: no SQLModel, pydantic or alembic."""

import json
import os
import subprocess
import sys

HEAVY = ("sqlalchemy", "sqlmodel", "jinja2", "rich", "apscheduler", "openpyxl", "docx", "alembic", "transitions",
         "psycopg", "workflow.db", "babel")


def _run(args: list[str], env: dict | None = None) -> tuple[set[str], str]:
    """(the modules loaded after running the command in a fresh interpreter, what it printed)."""
    code = (
        "import sys, json\n"
        "from cli import main\n"
        "try:\n"
        f"    main({args!r}, prog_name='unionflow')\n"
        "except SystemExit:\n"
        "    pass\n"
        "sys.stderr.write(json.dumps(sorted(sys.modules)))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          env={**os.environ, **(env or {})})
    return set(json.loads(proc.stderr.splitlines()[-1])), proc.stdout


def _modules_after(args: list[str]) -> set[str]:
    return _run(args)[0]


def test_help_imports_nothing_heavy():
    loaded = _modules_after(["--help"])
    assert not [m for m in loaded if m.split(".")[0] in HEAVY or m in HEAVY]


def test_subcommand_help_imports_nothing_heavy():
    loaded = _modules_after(["case", "prepare", "--help"])
    assert not [m for m in loaded if m.split(".")[0] in HEAVY or m in HEAVY]


def test_case_show_runs_on_core_tables_without_sqlmodel_or_alembic(tmp_path):
    from tests.conftest import Cli

    url = f"sqlite:///{tmp_path}/uf.db"
    cli = Cli(url)
    cli("init", "--admin", "adm", "--name", "Admin", "--email", "adm@example.org")
    cli("park", "add", "SJ", "松江经开区", user="adm")
    (tmp_path / "e.csv").write_text("uscc,name,park\n91350100M000100Y43,测试企业,SJ\n", encoding="utf-8")
    cli("enterprise", "import", str(tmp_path / "e.csv"), user="adm")
    loaded, printed = _run(["case", "show", "91350100M000100Y43", "--json"],
                           env={"UNIONFLOW_DATABASE_URL": url, "UNIONFLOW_HOME": str(tmp_path)})
    assert json.loads(printed)["uscc"] == "91350100M000100Y43"  # it did read the case
    assert [m for m in loaded if m.split(".")[0] in ("sqlmodel", "pydantic", "alembic")] == []
