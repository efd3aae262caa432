"""Write the SQLAlchemy Core mirror of the SQLModel models, which the engine runs on.

    .venv/bin/python scripts/gen_tables.py           # rewrite workflow/tables.py and notifications/tables.py
    .venv/bin/python scripts/gen_tables.py --check   # write nothing; exit 1 if a mirror is behind the models

The models (`workflow/models.py`, `notifications/models.py`) declare the schema, and the migrations are
made from them. The engine itself only ever runs Core statements on `Table` objects, and importing
SQLModel and pydantic and building the model classes costs a command about a third of its start-up
(benchmarks/RESULTS.md): so the commands import these generated `Table`s instead. The mirror has the
columns, keys, defaults and constraints, not the indexes: those are the migrations' business, no
statement needs them, and their dialect options (partial indexes) would import every dialect.
tests/test_schema_mirror.py checks that the files are current and that both give the same tables.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# The name each table goes by in the engine's code.
NAMES = {
    "park": "PARK", "cadre": "CADRE", "joint_union": "JU", "enterprise": "ENT", "founding_case": "CASE",
    "case_event": "EVENT", "calendar_day": "CD", "park_calendar_day": "PCD", "calendar_override": "OV",
    "escalation": "ESC", "sweep_run": "RUN", "meeting": "MEETING", "party_representative": "REP",
    "meeting_participant": "PART", "agenda_item": "AI", "target": "TARGET", "outbox": "OUTBOX",
}  # fmt: skip
MIRRORS = {"workflow/tables.py": "workflow.models", "notifications/tables.py": "notifications.models"}


def _q(value) -> str:
    """A Python literal in the project's style (double-quoted strings)."""
    return json.dumps(value, ensure_ascii=False) if isinstance(value, str) else repr(value)


def _imports(body: str) -> list[str]:
    """`from sqlalchemy import …` of the names the body uses, ordered as ruff's isort orders them."""
    names = [n for n in ("JSON", "Boolean", "CheckConstraint", "Column", "Date", "DateTime", "Float", "ForeignKey",
                         "Integer", "MetaData", "String", "Table", "UniqueConstraint")
             if re.search(rf"\b{n}\(", body)]
    line = f"from sqlalchemy import {', '.join(names)}"
    return [line] if len(line) <= 110 else ["from sqlalchemy import (", *(f"    {n}," for n in names), ")"]


def _type(t) -> str:
    from sqlalchemy import JSON, Boolean, Date, DateTime, Float, Integer, String

    from notifications.columns import UTCDateTime

    if isinstance(t, UTCDateTime):
        return "UTCDateTime()"
    if type(t).__name__ == "AutoString":  # sqlmodel's: a VARCHAR on SQLite and PostgreSQL
        t = t.impl
    if type(t) is String:
        return f"String({t.length})" if t.length else "String()"
    for cls in (Boolean, Date, Float, Integer, JSON):
        if type(t) is cls:
            return f"{cls.__name__}()"
    if type(t) is DateTime:
        return f"DateTime(timezone={t.timezone})"
    raise TypeError(f"scripts/gen_tables.py does not know the column type {t!r}: add it to _type()")


def _column(c) -> str:
    args = [_q(c.name), _type(c.type)]
    args += [f"ForeignKey({_q(fk.target_fullname)}" + (f", ondelete={_q(fk.ondelete)}" if fk.ondelete else "") + ")"
             for fk in sorted(c.foreign_keys, key=lambda fk: fk.target_fullname)]
    if c.primary_key:
        args.append("primary_key=True")
    args.append(f"nullable={c.nullable}")
    if c.unique:
        args.append("unique=True")
    if c.default is not None:
        if not c.default.is_scalar:
            raise TypeError(f"{c.table.name}.{c.name}: only scalar defaults are mirrored")
        args.append(f"default={_q(c.default.arg)}")
    if c.server_default is not None or c.onupdate is not None or c.comment:
        raise TypeError(f"{c.table.name}.{c.name}: server defaults, onupdate and comments are not mirrored yet")
    return f"    Column({', '.join(args)}),"


def _table_items(t) -> list[str]:
    from sqlalchemy import CheckConstraint, ForeignKeyConstraint, PrimaryKeyConstraint, UniqueConstraint

    lines = []
    for con in sorted(t.constraints, key=lambda c: (type(c).__name__, c.name or "", [col.name for col in c.columns])):
        if isinstance(con, (PrimaryKeyConstraint, ForeignKeyConstraint)):
            continue  # from the columns
        if isinstance(con, UniqueConstraint):
            if len(con.columns) == 1 and list(con.columns)[0].unique and con.name is None:
                continue  # Column(unique=True)
            cols = ", ".join(_q(col.name) for col in con.columns)
            lines.append(f"    UniqueConstraint({cols}, name={_q(con.name)}),")
        elif isinstance(con, CheckConstraint):
            lines.append(f"    CheckConstraint({_q(str(con.sqltext))}, name={_q(con.name)}),")
        else:
            raise TypeError(f"{t.name}: constraint {con!r} is not mirrored")
    return lines


def render(module: str) -> str:
    import importlib

    from sqlmodel import SQLModel

    mod = importlib.import_module(module)
    own = {v.__table__ for v in vars(mod).values() if getattr(v, "__module__", None) == module and hasattr(v, "__table__")}
    tables = [t for t in SQLModel.metadata.sorted_tables if t in own]
    body = ["metadata = MetaData()"]
    for t in tables:
        body += ["", f"{NAMES[t.name]} = Table(", f"    {_q(t.name)},", "    metadata,"]
        body += [_column(c) for c in t.columns]
        body += _table_items(t)
        body.append(")")
    names = ", ".join(_q(NAMES[t.name]) for t in tables)
    body += ["", f"__all__ = [{names}, \"metadata\"]", ""]
    head = [
        f'"""The tables of `{module}` as SQLAlchemy Core, for the engine to run on (generated: do not edit).',
        "",
        "Made by scripts/gen_tables.py from the models, which declare the schema (the indexes are left to the",
        "migrations); tests/test_schema_mirror.py checks that this file is current and gives the same tables.",
        '"""',
        "",
        *_imports("\n".join(body)),
        "",
        "from notifications.columns import UTCDateTime",
        "",
    ]
    return "\n".join(head + body)


def stale(root: Path = ROOT, write: bool = False) -> list[str]:
    """The mirrors under `root` that differ from what the models give (rewritten if `write`)."""
    behind = []
    for rel, module in MIRRORS.items():
        text, path = render(module), root / rel
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            behind.append(rel)
            if write:
                path.write_text(text, encoding="utf-8")
    return behind


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 when a mirror is behind")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    behind = stale(write=not args.check)
    if args.check and behind:
        print(f"behind the models: {', '.join(behind)}; run: .venv/bin/python scripts/gen_tables.py")
        return 1
    print(f"rewrote {', '.join(behind)}" if behind else "current")
    return 0


if __name__ == "__main__":
    sys.exit(main())
