"""Bulk loading for the generator: COPY / executemany, and index maintenance deferred to the end.

Loading a million rows into a table with its secondary indexes and foreign keys in place costs
about twice as much as loading it bare and building them afterwards, so the loader drops them inside
its transaction and recreates them from the database's own definitions before committing (DDL is
transactional on both backends: a failure leaves the schema as it was).
"""

from __future__ import annotations

from contextlib import contextmanager


class Sink:
    """Writes rows into a table: COPY on PostgreSQL (psycopg `cursor.copy`), executemany on SQLite."""

    def __init__(self, conn):
        self.conn = conn
        self.pg = conn.dialect.name == "postgresql"

    def write(self, table: str, cols: tuple[str, ...], batch: list[tuple]) -> None:
        if not batch:
            return
        if self.pg:
            raw = self.conn.connection.driver_connection
            with raw.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:
                for row in batch:
                    copy.write_row(row)
        else:
            sql = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
            self.conn.exec_driver_sql(sql, batch)


def check_empty(conn, tables) -> None:
    for table in tables:
        if conn.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar():
            raise RuntimeError(f"table {table} is not empty: the generator writes into an empty database")


def fix_sequences(conn, tables) -> None:
    """After explicit ids: the next id PostgreSQL hands out is max(id) + 1."""
    if conn.dialect.name != "postgresql":
        return
    for t in tables:
        conn.exec_driver_sql(
            f"SELECT setval(pg_get_serial_sequence('{t}', 'id'), coalesce((SELECT max(id) FROM {t}), 0) + 1, false)"
        )


@contextmanager
def indexes_deferred(conn, tables):
    """Drop the secondary indexes (and on PostgreSQL unique and foreign-key constraints) of `tables`,
    and recreate them exactly as they were on leaving. Primary keys stay."""
    if conn.dialect.name == "postgresql":
        saved_idx, saved_con = [], []
        for t in tables:
            saved_idx += conn.exec_driver_sql(
                "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                f"WHERE i.indrelid = '{t}'::regclass AND NOT i.indisprimary AND NOT EXISTS "
                "(SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid AND k.conrelid = i.indrelid)"
            ).all()
            saved_con += [(t, *r) for r in conn.exec_driver_sql(
                "SELECT conname, pg_get_constraintdef(oid), contype FROM pg_constraint "
                f"WHERE conrelid = '{t}'::regclass AND contype IN ('f', 'u') ORDER BY contype DESC, conname"
            )]  # fmt: skip
        for t, name, _, _ in sorted(saved_con, key=lambda c: c[3]):  # foreign keys before unique keys
            conn.exec_driver_sql(f'ALTER TABLE {t} DROP CONSTRAINT "{name}"')
        for name, _ in saved_idx:
            conn.exec_driver_sql(f'DROP INDEX "{name}"')
        yield
        conn.exec_driver_sql("SET LOCAL maintenance_work_mem = '256MB'")
        for _, ddl in saved_idx:
            conn.exec_driver_sql(ddl)
        for t, name, ddl, _ in saved_con:  # unique keys before foreign keys
            conn.exec_driver_sql(f'ALTER TABLE {t} ADD CONSTRAINT "{name}" {ddl}')
    else:
        names = ", ".join(f"'{t}'" for t in tables)
        saved = conn.exec_driver_sql(
            f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ({names})"
        ).all()
        for name, _ in saved:
            conn.exec_driver_sql(f'DROP INDEX "{name}"')
        yield
        for _, ddl in saved:
            conn.exec_driver_sql(ddl)
