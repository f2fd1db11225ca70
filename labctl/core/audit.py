"""labctl's audit store: every check result and every action, for the auditor and the console.

One SQLite file (paths.AUDIT_DB), written by the CLI and the console alike. Secrets never
go in: callers record outcomes and reasons, not commands.
"""

from __future__ import annotations

import os
import sqlite3
import time
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from labctl.core import paths

SCHEMA = """
CREATE TABLE IF NOT EXISTS checks (
    run_id TEXT NOT NULL, at REAL NOT NULL, room TEXT NOT NULL, seat TEXT NOT NULL,
    control TEXT NOT NULL, test TEXT NOT NULL, outcome TEXT NOT NULL, seconds REAL NOT NULL,
    message TEXT NOT NULL DEFAULT '');
CREATE INDEX IF NOT EXISTS checks_seat ON checks (room, seat, at);
CREATE TABLE IF NOT EXISTS events (
    at REAL NOT NULL, room TEXT NOT NULL, action TEXT NOT NULL, seat TEXT NOT NULL,
    outcome TEXT NOT NULL, detail TEXT NOT NULL DEFAULT '', user TEXT NOT NULL DEFAULT '');
CREATE INDEX IF NOT EXISTS events_seat ON events (room, seat, at);
"""


@dataclass(frozen=True)
class Event:
    at: float
    room: str
    action: str
    seat: str
    outcome: str
    detail: str
    user: str


def _connect(db: Path) -> sqlite3.Connection:
    """The store, made readable by root only (0600 in a 0700 directory) before a row is in it."""
    paths.private(db.parent)
    os.close(os.open(db, os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW, 0o600))
    os.chmod(db, 0o600)
    conn = sqlite3.connect(db, timeout=30)
    conn.executescript(SCHEMA)
    return conn


def actor() -> str:
    """Who acted: the person behind sudo (SUDO_USER), else the login running labctl."""
    import getpass
    return os.environ.get("SUDO_USER") or getpass.getuser()


def record_checks(room: str, run_id: str, rows: list[tuple], db: Path | None = None) -> None:
    """rows: (seat, control, test, outcome, seconds, message) of one check run."""
    now = time.time()
    with closing(_connect(db or paths.AUDIT_DB)) as conn, conn:
        conn.executemany("INSERT INTO checks VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                         [(run_id, now, room, *row) for row in rows])


def record_event(room: str, action: str, seat: str, outcome: str, detail: str = "",
                 db: Path | None = None) -> None:
    with closing(_connect(db or paths.AUDIT_DB)) as conn, conn:
        conn.execute("INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?)",
                     (time.time(), room, action, seat, outcome, detail[:2000], actor()))


def events(room: str, seat: str | None = None, limit: int = 200,
           db: Path | None = None) -> list[Event]:
    """The newest events first."""
    query = "SELECT * FROM events WHERE room = ?" + (" AND seat = ?" if seat else "")
    params = [room] + ([seat] if seat else [])
    with closing(_connect(db or paths.AUDIT_DB)) as conn:
        rows = conn.execute(query + " ORDER BY at DESC LIMIT ?", (*params, limit)).fetchall()
    return [Event(*row) for row in rows]


def last_events(room: str, action: str, db: Path | None = None) -> dict[str, Event]:
    """Per seat, its newest event of one action (e.g. each seat's last reset)."""
    with closing(_connect(db or paths.AUDIT_DB)) as conn:
        rows = conn.execute(
            "SELECT e.* FROM events e JOIN (SELECT seat, MAX(at) AS at FROM events"
            " WHERE room = ? AND action = ? GROUP BY seat) l ON e.seat = l.seat AND e.at = l.at"
            " WHERE e.room = ? AND e.action = ?", (room, action, room, action)).fetchall()
    return {row[3]: Event(*row) for row in rows}


def last_checks(room: str, db: Path | None = None) -> dict[str, dict]:
    """Per seat, its latest check run: {seat: {at, passed, failed: [control, ...]}}."""
    with closing(_connect(db or paths.AUDIT_DB)) as conn:
        rows = conn.execute(
            "SELECT c.seat, c.at, c.control, c.outcome FROM checks c JOIN ("
            " SELECT seat, MAX(at) AS at FROM checks WHERE room = ? GROUP BY seat) l"
            " ON c.seat = l.seat AND c.at = l.at WHERE c.room = ?", (room, room)).fetchall()
    out: dict[str, dict] = {}
    for seat, at, control, outcome in rows:
        entry = out.setdefault(seat, {"at": at, "passed": 0, "failed": []})
        if outcome == "passed":
            entry["passed"] += 1
        elif outcome != "skipped":
            entry["failed"].append(control)
    return out


def seat_checks(room: str, seat: str, db: Path | None = None) -> list[tuple[str, str, str]]:
    """The seat's latest check results: (control, outcome, message), failures first."""
    with closing(_connect(db or paths.AUDIT_DB)) as conn:
        rows = conn.execute(
            "SELECT control, outcome, message FROM checks WHERE room = ? AND seat = ? AND at = "
            "(SELECT MAX(at) FROM checks WHERE room = ? AND seat = ?)",
            (room, seat, room, seat)).fetchall()
    return sorted(rows, key=lambda r: (r[1] == "passed", r[0]))


def query(room: str, seat: str | None = None, action: str | None = None,
          since: float | None = None, until: float | None = None,
          db: Path | None = None) -> list[Event]:
    """The room's events, oldest first, narrowed by seat, action and time (epoch seconds):
    what an auditor lists or exports."""
    where, params = ["room = ?"], [room]
    for clause, value in (("seat = ?", seat), ("action = ?", action), ("at >= ?", since),
                          ("at < ?", until)):
        if value is not None:
            where.append(clause)
            params.append(value)
    with closing(_connect(db or paths.AUDIT_DB)) as conn:
        rows = conn.execute(f"SELECT * FROM events WHERE {' AND '.join(where)} ORDER BY at",
                            params).fetchall()
    return [Event(*row) for row in rows]
