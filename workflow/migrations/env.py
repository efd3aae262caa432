"""Alembic environment: the project's models are the target metadata."""

from alembic import context
from sqlalchemy import pool
from sqlmodel import SQLModel

import notifications.models  # noqa: F401  (registers the outbox table)
import workflow.models  # noqa: F401
from workflow.db import make_engine

config = context.config
target_metadata = SQLModel.metadata


def run_migrations_offline() -> None:
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata,
                      literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connectable = config.attributes.get("connection")
    if connectable is None:
        engine = make_engine(config.get_main_option("sqlalchemy.url"), poolclass=pool.NullPool)
        with engine.connect() as connection:
            _run(connection)
        engine.dispose()
    else:
        _run(connectable)


def _run(connection) -> None:
    sqlite = connection.dialect.name == "sqlite"
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=sqlite,
                      compare_type=True)
    if not sqlite:
        with context.begin_transaction():
            context.run_migrations()
        return
    # A batch migration rebuilds a table (copy, drop, rename): with foreign keys on, dropping a table that
    # other rows refer to fails (deferring them does not help: the drop's violations outlive the rename).
    # SQLite ignores this pragma inside a transaction, so it is set on the driver's connection before one
    # begins, and the keys are checked before the migration commits.
    driver = connection.connection.driver_connection
    driver.execute("PRAGMA foreign_keys=OFF")
    try:
        with context.begin_transaction():
            context.run_migrations()
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
            if broken:
                raise RuntimeError(f"the migration broke foreign keys: {broken[:5]}")
    finally:
        driver.execute("PRAGMA foreign_keys=ON")


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
