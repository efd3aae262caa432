"""Import the enterprise registry (企业名录): validate the whole file, then write it set-based.

Two phases on one connection:
1. Validation: every row is read, parsed and checked (parks against the database, duplicates within
   the file, field lengths); valid rows are streamed in chunks into a TEMP staging table, and checked
   there against the stored registry (workflow/registry_checks.py). Any error raises `ImportFailed`
   with every error (the first 1,000 listed, all counted): nothing is written.
2. Write, in one transaction: new enterprises, changed enterprises, a case and an `import` event per
   new enterprise, the park moves (workflow/registry_moves.py) — each one INSERT … SELECT or
   UPDATE … FROM over the staging table.

Re-import rules (documented in `enterprise import --help`):
- An empty cell, or a column the file lacks, keeps the stored value; a filled cell replaces it.
  `--park` is the park of the new enterprises whose park cell is empty, never a move.
- A filled park cell that differs moves the enterprise: applied, counted (`moved`), and written on
  its case's timeline; a cadre of another park no longer holds the case (`released`).
- Only rows whose values differ are updated (and get a new `updated_at`); the rest are unchanged.
- The status columns apply only to new enterprises. For an existing one, a status (or a status day)
  that differs from its case's is not applied (history is never rewritten): it is reported in
  `status_conflicts`, and the cadre moves the case with the case commands.
- Columns the file has but the registry does not know are ignored, and listed (`ignored_columns`); so are
  values in columns without a header (`unheaded_values`: how many rows, the first).
"""

from __future__ import annotations

import logging
import unicodedata
from datetime import date
from pathlib import Path

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    Integer,
    MetaData,
    String,
    Table,
    and_,
    case,
    cast,
    false,
    func,
    insert,
    literal,
    null,
    or_,
    select,
    update,
)

from templates.i18n import N_, _, ngettext
from templates.labels import value as coded
from workflow.errors import ImportFailed, NotFound
from workflow.permissions import require_actor, require_role
from workflow.registry_checks import Failures, check_against_registry
from workflow.registry_file import DuplicateGuard, RegistryReader, RowError, parse_row
from workflow.registry_moves import count_moves, write_moves
from workflow.sqlfn import json_object
from workflow.tables import CASE, ENT, EVENT, PARK
from workflow.vocabulary import MAX_COUNT, STATUSES

log = logging.getLogger(__name__)


CHUNK = 5000  # rows per staging batch: bounds memory whatever the file size
PROGRESS_EVERY = 1000
MAX_CONFLICTS = 1000
# Enterprise columns a registry row sets; an empty cell (NULL in staging) keeps the stored value.
PROFILE = ("name", "park_id", "industry", "employees", "shuangshi", "grid", "source", "opened_on", "members",
           "contact_name", "contact_phone")  # fmt: skip
TEXT_LIMITS = {col: ENT.c[col].type.length for col in ("name", "industry", "grid", "contact_name", "contact_phone")}

_md = MetaData()
STAGE = Table(
    "uf_import_staging", _md,
    Column("rownum", Integer, primary_key=True),
    Column("uscc", String(18), nullable=False, unique=True),
    Column("name", String(300)),
    Column("park_id", Integer),  # the park the file names; NULL: --park for a new enterprise, kept for others
    Column("industry", String(100)),
    Column("employees", Integer),
    Column("shuangshi", Boolean),
    Column("grid", String(100)),
    Column("source", String(16)),
    Column("opened_on", Date),
    Column("members", Integer),
    Column("status", String(16)),
    Column("status_since", Date),
    Column("contact_name", String(100)),
    Column("contact_phone", String(50)),
    Column("ent_id", Integer),  # the existing enterprise with this USCC, filled in the write phase
    prefixes=["TEMPORARY"],
)  # fmt: skip
_STAGE_COLS = [c.name for c in STAGE.c]


class ParkLookup:
    """All parks in one query; a row's park may be given by code (any case) or by its exact name.
    `above[id]`: the park and the parks above it."""

    def __init__(self, conn) -> None:
        self.by_key: dict[str, int] = {}
        names: dict[str, list[int]] = {}
        parents: dict[int, int | None] = {}
        for pid, code, name, parent in conn.execute(select(PARK.c.id, PARK.c.code, PARK.c.name, PARK.c.parent_id)):
            self.by_key[code] = pid
            self.by_key.setdefault(code.casefold(), pid)
            names.setdefault(name, []).append(pid)
            parents[pid] = parent
        self.above: dict[int, list[int]] = {}
        for pid in parents:
            chain, up = [], pid
            while up is not None and up not in chain:
                chain.append(up)
                up = parents.get(up)
            self.above[pid] = chain
        for name, ids in names.items():
            if len(ids) == 1:
                self.by_key.setdefault(name, ids[0])

    def get(self, key: str | None) -> int | None:
        if key is None:
            return None
        return self.by_key.get(key) or self.by_key.get(key.casefold())


def estimate_rows(path: str | Path) -> int | None:
    """A quick estimate of the data rows (for a progress bar); None when unknown."""
    path = Path(path)
    try:
        if path.suffix.lower() == ".csv":
            with path.open("rb") as f:
                return max(sum(1 for _ in f) - 1, 0)
        if path.suffix.lower() in (".xlsx", ".xlsm"):
            from openpyxl import load_workbook

            wb = load_workbook(path, read_only=True)
            try:
                return max((wb.worksheets[0].max_row or 1) - 1, 0)
            finally:
                wb.close()
    except Exception:  # noqa: BLE001 - an estimate only; the import itself reports real problems
        return None
    return None


def import_registry(ctx, path, *, park: str | None = None, dry_run: bool = False, progress=None) -> dict:
    """Import a registry file (admins). Returns counts; raises ImportFailed (nothing written) on any error."""
    reader = RegistryReader(path)
    path = reader.path
    today = ctx.clock.today()
    engine = ctx.ready_engine
    with engine.connect() as conn:
        try:
            conn.execution_options(uf_readonly=True)  # phase 1 writes only the TEMP table
            with conn.begin():
                actor = require_actor(conn, ctx.actor_code)
                require_role(actor, N_("import enterprises"), "admin")
                parks = ParkLookup(conn)
                default_park = parks.get(park) if park is not None else None
                if park is not None and default_park is None:
                    raise NotFound(_("no park with code {code!r}: see `unionflow park list`").format(code=park))
                _drop_staging(conn)
                STAGE.create(conn)
                rows, failed = _validate_and_stage(conn, reader, parks, today, progress)
                failed.add(check_against_registry(conn, STAGE, default_park))
            if failed.total:
                errors = [reader.named(e) for e in failed.listed()]
                raise ImportFailed(_failure_message(path, failed.total, failed.rows, errors), errors)
            conn.execution_options(uf_readonly=dry_run)
            with conn.begin() as txn:
                result = _classify(conn, parks)
                if not dry_run:
                    _write(conn, today, ctx.clock.now(), actor, path.name, default_park, parks)
                else:
                    txn.rollback()
        finally:
            _cleanup(conn)
    log.info("import of %s by %s: %s", path.name, ctx.actor_code,
             {k: result[k] for k in ("created", "updated", "moved")})
    return {"file": path.name, "dry_run": dry_run, "rows": rows, **result, "ignored_columns": reader.ignored,
            "unheaded_values": reader.unheaded, "errors": []}


# ---------------------------------------------------------------- phase 1: validate and stage


def _validate_and_stage(conn, reader, parks: ParkLookup, today, progress) -> tuple[int, Failures]:
    guard = DuplicateGuard()
    failed = Failures()
    rows = 0
    batch: list[tuple] = []
    for rownum, raw in reader.rows():
        rows += 1
        record, row_errors = parse_row(rownum, raw, today=today)
        if isinstance(raw.get("uscc"), str) and (dup := guard.check(rownum, raw["uscc"])):
            row_errors.append(dup)
        park_key = _park_text(raw.get("park"))
        park_id = parks.get(park_key)
        if park_key is not None and park_id is None:
            row_errors.append(RowError(rownum, "park", _("unknown park {park!r}: see `unionflow park list`").format(
                park=park_key)))
        if record is not None:
            row_errors += _limits(rownum, record)
        if row_errors:
            failed.row(row_errors)
        else:
            # Staged even once the file has failed: the checks against the registry must see every row.
            batch.append(_stage_tuple(conn, rownum, raw, record, park_id))
            if len(batch) >= CHUNK:
                _flush(conn, batch)
        if progress is not None and rows % PROGRESS_EVERY == 0:
            progress(rows)
    if batch:
        _flush(conn, batch)
    if progress is not None:
        progress(rows)
    return rows, failed


def _park_text(value) -> str | None:
    if value is None:
        return None
    return unicodedata.normalize("NFKC", str(value)).strip() or None


def _limits(rownum: int, record) -> list[RowError]:
    out = []
    for col, limit in TEXT_LIMITS.items():
        value = getattr(record, col)
        if value is not None and len(value) > limit:
            out.append(RowError(rownum, col, _("too long: {n} characters, at most {limit}").format(
                n=len(value), limit=limit)))
    for col in ("employees", "members"):
        value = getattr(record, col)
        if value is not None and value > MAX_COUNT:
            out.append(RowError(rownum, col, _("{value} is implausibly large (at most {max:,})").format(
                value=value, max=MAX_COUNT)))
    return out


def _stage_tuple(conn, rownum, raw, record, park_id) -> tuple:
    # An empty shuangshi/source cell means "not given" (keep the stored value), not 否/existing.
    values = {
        **{c: getattr(record, c, None) for c in _STAGE_COLS if c not in ("rownum", "park_id", "ent_id")},
        "rownum": rownum, "park_id": park_id, "ent_id": None,
        "shuangshi": record.shuangshi if raw.get("shuangshi") is not None else None,
        "source": record.source if raw.get("source") is not None else None,
    }  # fmt: skip
    row = tuple(values[c] for c in _STAGE_COLS)
    if conn.dialect.name == "sqlite":
        # The sqlite3 module's implicit date adapter is deprecated; store dates as SQLAlchemy does.
        row = tuple(v.isoformat() if hasattr(v, "isoformat") else v for v in row)
    return row


def _flush(conn, batch: list[tuple]) -> None:
    columns = ", ".join(_STAGE_COLS)
    if conn.dialect.name == "postgresql":
        # COPY is several times faster than executemany, on the same connection and transaction.
        with conn.connection.dbapi_connection.cursor() as cur, cur.copy(
            f"COPY {STAGE.name} ({columns}) FROM STDIN"
        ) as copy:
            for row in batch:
                copy.write_row(row)
    else:
        marks = ", ".join(["?"] * len(_STAGE_COLS))
        conn.exec_driver_sql(f"INSERT INTO {STAGE.name} ({columns}) VALUES ({marks})", batch)
    batch.clear()


def _failure_message(path: Path, total: int, bad_rows: int, errors: list[RowError]) -> str:
    listed = "" if total <= len(errors) else _(" (the first {n} are listed)").format(n=len(errors))
    return _("{file} has {errors} in {rows}{listed}; nothing was imported").format(
        file=path.name, errors=ngettext("{n} error", "{n} errors", total).format(n=total),
        rows=ngettext("{n} row", "{n} rows", bad_rows).format(n=bad_rows), listed=listed)


def _drop_staging(conn) -> None:
    schema = "pg_temp" if conn.dialect.name == "postgresql" else "temp"
    conn.exec_driver_sql(f"DROP TABLE IF EXISTS {schema}.{STAGE.name}")


def _cleanup(conn) -> None:
    """Drop the TEMP table so a pooled connection does not carry it into the next import."""
    try:
        if conn.in_transaction():
            conn.rollback()
        conn.execution_options(uf_readonly=True)
        with conn.begin():
            _drop_staging(conn)
    except Exception:  # noqa: BLE001 - a broken connection is discarded instead of reused
        log.warning("could not drop the import staging table; discarding the connection", exc_info=True)
        conn.invalidate()


# ---------------------------------------------------------------- phase 2: classify and write


def _differs():
    """True for a staged row whose filled cells differ from the stored enterprise."""
    return or_(*(func.coalesce(STAGE.c[c], ENT.c[c]).is_distinct_from(ENT.c[c]) for c in PROFILE))


def _classify(conn, parks: ParkLookup) -> dict:
    """Match staged rows to existing enterprises and count what the write will do."""
    if conn.dialect.name == "postgresql":
        # Two imports at once would race on new USCCs: queue them (readers are not blocked).
        if not conn.get_execution_options().get("uf_readonly"):
            conn.exec_driver_sql("LOCK TABLE enterprise IN SHARE ROW EXCLUSIVE MODE")
        conn.exec_driver_sql(f"ANALYZE {STAGE.name}")  # temp tables are never auto-analysed
    conn.execute(update(STAGE).values(ent_id=select(ENT.c.id).where(ENT.c.uscc == STAGE.c.uscc).scalar_subquery()))
    total, created = conn.execute(
        select(func.count(), func.count().filter(STAGE.c.ent_id.is_(None)))
    ).one()
    updated = conn.execute(
        select(func.count()).select_from(STAGE.join(ENT, ENT.c.id == STAGE.c.ent_id)).where(_differs())
    ).scalar()
    conflict = STAGE.join(CASE, CASE.c.enterprise_id == STAGE.c.ent_id)
    differs = and_(STAGE.c.status.is_not(None),
                   or_(STAGE.c.status != CASE.c.status,
                       and_(STAGE.c.status_since.is_not(None), STAGE.c.status_since != CASE.c.status_since)))
    n_conflicts = conn.execute(select(func.count()).select_from(conflict).where(differs)).scalar()
    conflicts = conn.execute(
        select(STAGE.c.rownum.label("row"), STAGE.c.uscc, CASE.c.id.label("case_id"),
               STAGE.c.status.label("file_status"), CASE.c.status.label("case_status"),
               STAGE.c.status_since.label("file_status_since"), CASE.c.status_since.label("case_status_since"))
        .select_from(conflict).where(differs).order_by(STAGE.c.rownum).limit(MAX_CONFLICTS)
    )  # fmt: skip
    return {
        "created": created, "updated": updated, "unchanged": total - created - updated, **count_moves(conn, STAGE, parks),
        "status_conflicts": [_iso(r._mapping) for r in conflicts], "status_conflicts_total": n_conflicts,
    }  # fmt: skip


def _iso(row) -> dict:
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in row.items()}


def _write(conn, today, now, actor, filename: str, default_park: int | None, parks: ParkLookup) -> None:
    S = STAGE
    new = S.c.ent_id.is_(None)
    actor_id = actor.id
    stamp = literal(now, ENT.c.created_at.type)
    given = {c: S.c[c] for c in PROFILE}
    given["park_id"] = func.coalesce(S.c.park_id, default_park)
    given["shuangshi"] = func.coalesce(S.c.shuangshi, false())
    given["source"] = func.coalesce(S.c.source, "existing")
    conn.execute(
        insert(ENT).from_select(
            [*PROFILE, "uscc", "signups", "created_at", "updated_at"],
            select(*given.values(), S.c.uscc, literal(0), stamp, stamp).where(new).order_by(S.c.rownum),
        )
    )
    write_moves(conn, STAGE, today, now, actor, filename, parks)  # before the UPDATE below changes the park
    conn.execute(
        update(ENT).where(ENT.c.id == S.c.ent_id, _differs())
        .values(**{c: func.coalesce(S.c[c], ENT.c[c]) for c in PROFILE}, updated_at=now)
    )  # fmt: skip
    since = func.coalesce(S.c.status_since, today)
    conn.execute(
        insert(CASE).from_select(
            ["enterprise_id", "status", "status_since", "episode", "version", "founded_on", "activated_on",
             "closed_from", "created_at", "updated_at"],
            select(ENT.c.id, func.coalesce(S.c.status, "prospect"), since, literal(1), literal(1),
                   # Founded no later than the day it was recorded as founded or active.
                   case((S.c.status.in_(("founded", "active")), since), else_=null()),
                   case((S.c.status == "active", since), else_=null()),
                   # A historic closed case reopens as a prospect: nothing else is known of it.
                   case((S.c.status == "closed", "prospect"), else_=null()),
                   stamp, stamp)
            .select_from(S.join(ENT, ENT.c.uscc == S.c.uscc)).where(new).order_by(S.c.rownum),
        )
    )  # fmt: skip
    # The note in the importer's language, its row number and status filled in by SQL (a NUL marks the spot).
    head, tail = _("imported from {file}, row {row}").format(file=filename, row="\0").split("\0")
    hist_head, hist_tail = _(" (historic status {status})").format(status="\0").split("\0")
    status = case(*((S.c.status == s, coded("status", s)) for s in STATUSES), else_=S.c.status)
    note = (
        literal(head, String) + cast(S.c.rownum, String) + literal(tail, String)
        + case((S.c.status.is_not(None), literal(hist_head, String) + status + literal(hist_tail, String)), else_="")
    )  # fmt: skip
    conn.execute(
        insert(EVENT).from_select(
            ["case_id", "kind", "event", "from_status", "to_status", "occurred_on", "recorded_at", "actor_id",
             "note", "data"],
            select(CASE.c.id, literal("import"), literal("import"), null(), CASE.c.status, CASE.c.status_since,
                   literal(now, EVENT.c.recorded_at.type), literal(actor_id), note,
                   json_object(conn.dialect.name, file=filename, row=S.c.rownum, status=S.c.status))
            .select_from(S.join(ENT, ENT.c.uscc == S.c.uscc).join(CASE, CASE.c.enterprise_id == ENT.c.id))
            .where(new).order_by(S.c.rownum),
        )
    )  # fmt: skip

