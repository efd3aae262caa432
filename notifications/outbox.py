"""The outbox: enqueue in the caller's transaction, claim, send, mark — nothing lost, nothing twice.

Life of a row: queued → sending (claimed by one worker) → sent, or back to queued with a later
`next_attempt_at` (exponential backoff), or failed after `max_attempts` with `last_error`; `requeue`
puts failed rows back in the queue with their attempts reset (an admin's `outbox retry`).

Only what concerns the message counts as an attempt (a recipient refused, a message the server will
not take). When the server cannot be reached at all (refused connection, timeout, DNS, login), the
claimed rows go back to the queue with their attempt given back: an outage, however long, fails no
message. They wait as long again as they have waited so far (at least `backoff_seconds`, at most
OUTAGE_MAX_BACKOFF), so they go out soon after the server is back.

Exactly one worker holds a claim (`claimed_by` "host:pid:nonce", `claimed_at`): on PostgreSQL the
rows are picked with `SELECT … FOR UPDATE SKIP LOCKED`, on SQLite under `BEGIN IMMEDIATE`. Each message
is recorded as sent in its own short transaction right after the server accepted it, so a worker
killed mid-batch leaves at most one message sent but unrecorded. A sender renews its claim every
HEARTBEAT; another sender leaves claimed rows alone while the claim is younger than LEASE and takes
them over after that (logged, and counted in `taken_over`): delivery is at-least-once with a
one-message window, and a repeat carries the same Message-ID (made from what is stored with the row)
so the receiver can drop it.
"""

from __future__ import annotations

import base64
import logging
import os
import socket
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import and_, bindparam, func, or_, select, update

from notifications.message import build_message, clean_header, envelope, mailbox, to_bytes
from notifications.tables import OUTBOX as T
from notifications.transports import TransportUnavailable, describe_error

log = logging.getLogger(__name__)
OUTBOX_STATUSES = ("queued", "sending", "sent", "failed")
# A sender renews its claim (claimed_at) every HEARTBEAT while it sends; a claim older than LEASE
# belongs to a sender that stopped (killed, crashed, its machine gone), and another sender takes it over.
LEASE = timedelta(minutes=2)
HEARTBEAT = timedelta(seconds=30)
MAX_BACKOFF = timedelta(days=1)
OUTAGE_MAX_BACKOFF = timedelta(minutes=15)  # the longest a message waits between tries while the server is down
CHUNK = 50
MAX_REPORTED_ERRORS = 20  # in the result of send_batch; every row keeps its own last_error


def _insert(conn):
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(T)


def stored_attachment(att) -> dict:
    """An attachment as the outbox keeps it: inline base64, so the bytes survive the file they came from.

    Accepts a path, a (filename, bytes[, content_type]) tuple, or a dict with filename and data/path.
    """
    if isinstance(att, (str, os.PathLike)):
        path = Path(att)
        return {"filename": path.name, "data": base64.b64encode(path.read_bytes()).decode("ascii")}
    if isinstance(att, tuple):
        filename, content, *ctype = att
        out = {"filename": filename, "data": base64.b64encode(content).decode("ascii")}
        if ctype:
            out["content_type"] = ctype[0]
        return out
    att = dict(att)
    if "path" in att and "data" not in att:
        path = Path(att.pop("path"))
        att.setdefault("filename", path.name)
        att["data"] = base64.b64encode(path.read_bytes()).decode("ascii")
    return att


def message_values(*, key, kind, to, cc=(), subject, text_body, html_body=None, attachments=(), now,
                   topic=None, refs=None) -> dict:
    """The row for one message, addresses checked (InvalidAddress) and the subject made one line."""
    to_boxes = [mailbox(a) for a in ([to] if isinstance(to, (str, dict)) else to)]
    if not to_boxes:
        raise ValueError(f"message {key!r} has no recipient")
    return {
        "key": key, "kind": kind, "to_addrs": to_boxes, "cc_addrs": [mailbox(a) for a in cc],
        "subject": clean_header(subject, 900), "text_body": text_body, "html_body": html_body,
        "attachments": [stored_attachment(a) for a in attachments], "status": "queued", "attempts": 0,
        "next_attempt_at": now, "created_at": now, "topic": topic, "refs": refs,
    }


def enqueue(conn, *, key, kind, to, cc=(), subject, text_body, html_body=None, attachments=(), now,
            topic=None, refs=None) -> bool:
    """Queue one message in the caller's transaction; False if a message with this key already exists."""
    values = message_values(key=key, kind=kind, to=to, cc=cc, subject=subject, text_body=text_body,
                            html_body=html_body, attachments=attachments, now=now, topic=topic, refs=refs)
    stmt = _insert(conn).values(**values).on_conflict_do_nothing(index_elements=["key"]).returning(T.c.id)
    return conn.execute(stmt).first() is not None


def enqueue_many(conn, messages: Iterable[dict]) -> int:
    """Queue many `message_values()` rows at once (one multi-row INSERT); returns how many were new."""
    rows = list(messages)
    if not rows:
        return 0
    stmt = _insert(conn).on_conflict_do_nothing(index_elements=["key"]).returning(T.c.id)
    return len(conn.execute(stmt, rows).all())


def default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def _due(now: datetime, lease: timedelta):
    return or_(
        and_(T.c.status == "queued", T.c.next_attempt_at <= now),
        and_(T.c.status == "sending", T.c.claimed_at < now - lease),
    )


def claim(engine, limit: int, worker_id: str, now: datetime, lease: timedelta = LEASE) -> list[dict]:
    """Take up to `limit` due rows for this worker (each attempt counted now), oldest first: queued rows
    that are due, and rows whose sender's claim is older than `lease` (each of those has `taken_from`:
    the claim it had, {"claimed_by", "claimed_at"}; the others None)."""
    pick = (select(T.c.id, T.c.status, T.c.claimed_by, T.c.claimed_at).where(_due(now, lease))
            .order_by(T.c.next_attempt_at, T.c.id).limit(limit))
    with engine.begin() as conn:  # BEGIN IMMEDIATE on SQLite (see workflow.db.make_engine): one claimer at a time
        if conn.dialect.name == "postgresql":
            pick = pick.with_for_update(skip_locked=True)
        picked = {r.id: r for r in conn.execute(pick)}
        if not picked:
            return []
        stmt = (update(T).where(T.c.id.in_(list(picked)))
                .values(status="sending", claimed_by=worker_id, claimed_at=now, attempts=T.c.attempts + 1))
        rows = [dict(r._mapping) for r in conn.execute(stmt.returning(*T.c))]
    for row in rows:
        was = picked[row["id"]]
        row["taken_from"] = ({"claimed_by": was.claimed_by, "claimed_at": was.claimed_at}
                             if was.status == "sending" else None)
    rows.sort(key=lambda r: (r["next_attempt_at"], r["id"]))
    _log_takeover(rows, lease)
    return rows


def _log_takeover(rows, lease: timedelta) -> None:
    taken: dict[str, list] = {}
    for row in rows:
        if row["taken_from"] is not None:
            taken.setdefault(row["taken_from"]["claimed_by"], []).append(row["taken_from"]["claimed_at"])
    for sender, when in taken.items():
        log.warning("outbox: took over %d message(s) claimed by %s (last heard of at %s, more than %d s ago: it has "
                    "stopped); the one it was sending may go out twice, with the same Message-ID", len(when), sender,
                    max(when).isoformat(timespec="seconds"), lease.total_seconds())


def renew(engine, worker_id: str, rows, now: datetime) -> None:
    """The heartbeat: this worker still holds its claim on `rows` (those not yet sent)."""
    with engine.begin() as conn:
        conn.execute(update(T).where(T.c.id.in_([r["id"] for r in rows]), T.c.claimed_by == worker_id,
                                     T.c.status == "sending").values(claimed_at=now))


def backoff(attempts: int, backoff_seconds: float) -> timedelta:
    """Delay before the next try after `attempts` failed ones: backoff, 2×, 4×, … capped at a day."""
    return min(timedelta(seconds=backoff_seconds * 2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def outage_backoff(created_at: datetime, now: datetime, backoff_seconds: float) -> timedelta:
    """Delay before the next try of a message the server could not be reached for: as long again as it
    has waited so far (so the delays double without a counter), between backoff_seconds and OUTAGE_MAX_BACKOFF."""
    waited = max(now - created_at, timedelta(0))
    return min(max(waited, timedelta(seconds=backoff_seconds)), OUTAGE_MAX_BACKOFF)


def send_batch(engine, transport, limit: int | None, now_fn: Callable[[], datetime], max_attempts: int,
               backoff_seconds: float, *, worker_id: str | None = None, lease: timedelta = LEASE,
               chunk: int = CHUNK, stop=None) -> dict:
    """Send due messages (at most `limit`; None = all due) through one open transport.

    Claims in chunks and records each message right after the server took it (a transaction of its
    own), so a crash or a kill re-sends at most the one message in flight (same Message-ID). A refused
    message is retried with backoff; a connection-level failure (server down) puts the claimed rows
    back without counting the attempt and ends the run: then `unreachable` says why and `deferred` how
    many were put back. `stop` (a threading.Event, e.g. set by SIGTERM) ends the run between two
    messages: the one being sent is finished and recorded, the rest of the claim goes back to the queue
    at once (`stopped` true, `released` how many). `taken_over`: how many rows of another sender, silent
    for longer than `lease`, this run took over. `queued` and `next_attempt_at`: what waits after the
    run, and when the first of it is due.
    """
    worker_id = worker_id or default_worker_id()
    result = {"sent": 0, "retried": 0, "failed": 0, "deferred": 0, "errors": [], "unreachable": None,
              "stopped": False, "released": 0, "taken_over": 0}
    done = 0
    # A helper thread builds and serialises the next messages while this one waits for the server.
    with transport, ThreadPoolExecutor(1, thread_name_prefix="outbox-build") as builder:
        while (limit is None or done < limit) and result["unreachable"] is None and not result["stopped"]:
            if stop is not None and stop.is_set():
                result["stopped"] = True
                break
            rows = claim(engine, chunk if limit is None else min(chunk, limit - done), worker_id, now_fn(), lease)
            if not rows:
                break
            done += len(rows)
            result["taken_over"] += sum(r["taken_from"] is not None for r in rows)
            beat = now_fn()
            prepared = builder.map(lambda row: _prepare(row, transport.sender), rows)
            for i, (row, ready) in enumerate(zip(rows, prepared, strict=True)):
                if stop is not None and stop.is_set():
                    result["stopped"] = True
                    result["released"] += release(engine, worker_id, rows[i:])
                    break
                outcome = _deliver(transport, row, ready)
                if outcome is not None and outcome[0] == DEFERRED:  # the server is gone: this and the rest wait
                    later = rows[i:]
                    _mark(engine, worker_id, later, dict.fromkeys((r["id"] for r in later), outcome), now_fn(),
                          max_attempts, backoff_seconds, result)
                    result["unreachable"] = outcome[1]
                    break
                now = now_fn()
                _mark(engine, worker_id, [row], {row["id"]: outcome}, now, max_attempts, backoff_seconds, result)
                if now - beat >= HEARTBEAT and i + 1 < len(rows):  # a slow server: keep the rest of the claim
                    renew(engine, worker_id, rows[i + 1:], now)
                    beat = now
    with engine.connect() as conn:
        result["queued"], result["next_attempt_at"] = waiting(conn)
    return result


def _prepare(row, sender):
    """(recipients, wire bytes) of a row, or the exception that stops it from being built."""
    try:
        return envelope(row), to_bytes(build_message(row, sender))
    except Exception as exc:  # noqa: BLE001 - reported per message by _deliver
        return exc


# What became of a claimed row: sent (None), or (what, error) with what one of these.
PARTLY_SENT, REFUSED, DEFERRED = "partly sent", "refused", "deferred"


def _deliver(transport, row, ready):
    """Send one row: None (sent) or (PARTLY_SENT|REFUSED|DEFERRED, error); DEFERRED means the transport
    itself failed (the server cannot be reached), so no later message would pass either."""
    try:
        if isinstance(ready, Exception):
            raise ready
        rcpts, raw = ready
        refused = transport.send(raw, rcpts)
    except TransportUnavailable as exc:
        log.info("mail transport unavailable: %s", exc)  # the caller says so (send_batch's `unreachable`)
        return DEFERRED, str(exc)
    except Exception as exc:  # noqa: BLE001 - one bad message must not stop the others
        log.warning("message %s not sent: %s", row["key"], exc)
        return REFUSED, describe_error(exc)
    if refused:
        return PARTLY_SENT, "partly refused: " + "; ".join(f"{k}: {v}" for k, v in refused.items())
    return None


def _mark(engine, worker_id, rows, outcomes, now, max_attempts, backoff_seconds, result) -> None:
    mine = and_(T.c.claimed_by == worker_id, T.c.status == "sending")
    by_id = T.c.id == bindparam("b_id")
    sent = [r["id"] for r in rows if outcomes[r["id"]] is None or outcomes[r["id"]][0] == PARTLY_SENT]
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # A tiny transaction per message: not worth waiting for the WAL flush. A database crash
            # could lose the mark, and the message would go again (same Message-ID): at least once.
            conn.exec_driver_sql("SET LOCAL synchronous_commit = off")
        if sent:
            marked = conn.execute(update(T).where(T.c.id.in_(sent), mine)  # an error of an earlier try is over
                                  .values(status="sent", sent_at=now, claimed_by=None, claimed_at=None, last_error=None))
            if marked.rowcount < len(sent):  # our claim lapsed and another sender took the row over
                log.warning("outbox: %d message(s) sent while another sender had taken them over (this sender was "
                            "silent for longer than the lease); they may go out twice", len(sent) - marked.rowcount)
            for r in rows:  # partial refusals: sent to some, noted for the others
                if outcomes[r["id"]] is not None and outcomes[r["id"]][0] == PARTLY_SENT:
                    conn.execute(update(T).where(T.c.id == r["id"]).values(last_error=outcomes[r["id"]][1][:2000]))
        deferred = [{"b_id": r["id"], "b_error": outcomes[r["id"]][1][:2000],
                     "b_next": now + outage_backoff(r["created_at"], now, backoff_seconds)}
                    for r in rows if outcomes[r["id"]] is not None and outcomes[r["id"]][0] == DEFERRED]
        if deferred:  # the server was not there: the attempt counted by the claim is given back
            conn.execute(update(T).where(by_id, mine).values(
                status="queued", attempts=T.c.attempts - 1, next_attempt_at=bindparam("b_next"),
                last_error=bindparam("b_error"), claimed_by=None, claimed_at=None), deferred)
        retry, failed = [], []
        for r in rows:
            outcome = outcomes[r["id"]]
            if outcome is None or outcome[0] != REFUSED:
                continue
            error = outcome[1][:2000]
            if len(result["errors"]) < MAX_REPORTED_ERRORS:
                result["errors"].append({"key": r["key"], "attempts": r["attempts"], "error": error})
            if r["attempts"] >= max_attempts:
                failed.append({"b_id": r["id"], "b_error": error})
            else:
                retry.append({"b_id": r["id"], "b_error": error,
                              "b_next": now + backoff(r["attempts"], backoff_seconds)})
        if retry:
            conn.execute(update(T).where(by_id, mine).values(
                status="queued", next_attempt_at=bindparam("b_next"), last_error=bindparam("b_error"),
                claimed_by=None, claimed_at=None), retry)
        if failed:
            conn.execute(update(T).where(by_id, mine).values(
                status="failed", last_error=bindparam("b_error"), claimed_by=None, claimed_at=None), failed)
    result["sent"] += len(sent)
    result["retried"] += len(retry)
    result["failed"] += len(failed)
    result["deferred"] += len(deferred)


def release(engine, worker_id: str, rows) -> int:
    """Give claimed rows that were not tried back to the queue, as they were (the claim's attempt undone)."""
    with engine.begin() as conn:
        done = conn.execute(update(T).where(T.c.id.in_([r["id"] for r in rows]), T.c.claimed_by == worker_id,
                                            T.c.status == "sending")
                            .values(status="queued", attempts=T.c.attempts - 1, claimed_by=None, claimed_at=None))
    return done.rowcount


def requeue(conn, ids: Iterable[int] | None, now: datetime) -> list[int]:
    """Put failed messages back in the queue, due now, with their attempts reset (their last_error is
    kept until the next try); `ids` None: every failed message. Returns the ids put back."""
    stmt = update(T).where(T.c.status == "failed")
    if ids is not None:
        stmt = stmt.where(T.c.id.in_(list(ids)))
    stmt = stmt.values(status="queued", attempts=0, next_attempt_at=now, claimed_by=None, claimed_at=None)
    return sorted(conn.execute(stmt.returning(T.c.id)).scalars().all())


def statuses(conn, ids: Iterable[int]) -> dict[int, str]:
    """{id: status} of the given messages that exist."""
    return dict(conn.execute(select(T.c.id, T.c.status).where(T.c.id.in_(list(ids)))).all())


LIST_COLUMNS = ("id", "key", "kind", "status", "attempts", "to_addrs", "cc_addrs", "subject", "next_attempt_at",
                "created_at", "sent_at", "last_error", "claimed_by", "claimed_at")


def messages_query(status: str | None = None):
    """The outbox rows to list, newest first (`listed` makes each one a dict)."""
    q = select(*(T.c[c] for c in LIST_COLUMNS)).order_by(T.c.id.desc())
    return q.where(T.c.status == status) if status else q


def listed(row) -> dict:
    """A row of `messages_query` as a dict, addresses flattened to `a@b, c@d`."""
    d = dict(row._mapping)
    d["to"] = ", ".join(b["email"] for b in d.pop("to_addrs"))
    d["cc"] = ", ".join(b["email"] for b in d.pop("cc_addrs"))
    return d


def waiting(conn) -> tuple[int, datetime | None]:
    """How many messages are queued, and when the first of them is due."""
    n, first = conn.execute(select(func.count(), func.min(T.c.next_attempt_at)).where(T.c.status == "queued")).one()
    return n, first
