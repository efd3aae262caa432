"""Small SQL expressions that are spelt differently on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import JSON, String, cast, func


def json_object(dialect_name: str, **pairs):
    """A JSON object built in SQL from column expressions or Python values (for INSERT … SELECT)."""
    args = []
    for key, value in pairs.items():
        # PostgreSQL cannot infer the type of a bare bind parameter inside json_build_object.
        args += [cast(key, String), value if hasattr(value, "compile") else cast(value, String)]
    if dialect_name == "postgresql":
        return func.json_build_object(*args, type_=JSON)
    return func.json_object(*args, type_=JSON)
