"""Load the generated shop into MySQL/MariaDB in bulk, and clone it per student.

The lab_coursedata role runs this same module on the lab server and the terminals
(`python3 -I -m labseat.coursedata load|clone|checksum …`), lab-reset imports it, and
labctl's `coursedata load` and `clone` call it: one implementation everywhere.

A load is all-or-nothing per database: tables are loaded with LOAD DATA LOCAL
INFILE into a staging database, counted against the manifest, then swapped in
with one RENAME TABLE; if anything fails, the target database is untouched.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import pymysql


class CourseDataError(Exception):
    """A data set, a name or a database that is not what the course data needs (labctl
    shows it as its own error, exit 2)."""
    exit_code = 2


SCHEMA = Path(__file__).with_name("schema.sql")
NAME_RE = re.compile(r"^[A-Za-z0-9_]+$")


@dataclass(frozen=True)
class Server:
    """How to reach a MySQL/MariaDB server."""

    host: str = "localhost"
    port: int = 3306
    user: str = "root"
    password: str = ""
    unix_socket: str | None = None

    def connect(self, database: str | None = None) -> pymysql.connections.Connection:
        try:
            return pymysql.connect(host=self.host, port=self.port, user=self.user,
                                   password=self.password, unix_socket=self.unix_socket,
                                   database=database, charset="utf8mb4", local_infile=True,
                                   autocommit=True, connect_timeout=10)
        except pymysql.err.OperationalError as exc:
            code = exc.args[0] if exc.args else 0
            where = self.unix_socket or f"{self.host}:{self.port}"
            if code == 1045:
                raise CourseDataError(f"{where}: MySQL refused user {self.user!r} (wrong password?): "
                                      "check --user and --password-file") from None
            raise CourseDataError(f"{where}: cannot reach the MySQL server: {exc.args[-1]}; "
                                  "is it running, and is the address right?") from None


def tables() -> list[str]:
    """Table names in creation order (parents first)."""
    return re.findall(r"CREATE TABLE (\w+)", SCHEMA.read_text())


def _statements() -> list[str]:
    text = "\n".join(line for line in SCHEMA.read_text().splitlines() if not line.startswith("--"))
    return [s.strip() for s in text.split(";") if s.strip()]


def _check_name(name: str, longest: int = 48) -> str:
    """A database name as given: 48 characters at most, leaving room in MariaDB's 64 for
    the suffixes and prefixes of the databases made beside it (`__loading`, `_next_`)."""
    if not (NAME_RE.match(name) and len(name) <= longest):
        raise CourseDataError(f"database name {name!r}: use letters, digits and _ only, "
                              f"{longest} at most")
    return name


def load(server: Server, data: Path, database: str = "shop", progress=None) -> dict[str, int]:
    """Load a generated data directory into `database`; return rows per table.
    progress(rows, total, table) after each table."""
    say = progress or (lambda *_: None)
    database = _check_name(database)
    data = Path(data)
    try:
        manifest = json.loads((data / "manifest.json").read_text())
    except (OSError, ValueError) as exc:
        raise CourseDataError(f"{data}: no readable manifest.json ({exc}): generate the data "
                              "first with `labctl coursedata generate --out DIR`") from None
    staging, old = f"{database}__loading", f"{database}__old"
    conn = server.connect()
    counts = {}
    try:
        with conn.cursor() as cur:
            _create_schema(cur, staging)
            cur.execute("SET foreign_key_checks = 0, unique_checks = 0")
            total = sum(t["rows"] for t in manifest["tables"].values())
            for table in tables():
                cur.execute(
                    f"LOAD DATA LOCAL INFILE %s INTO TABLE `{table}` CHARACTER SET utf8mb4 "
                    "FIELDS TERMINATED BY ',' OPTIONALLY ENCLOSED BY '\"' ESCAPED BY '\\\\' "
                    "LINES TERMINATED BY '\\n' IGNORE 1 LINES", (str(data / f"{table}.csv"),))
                cur.execute(f"SELECT COUNT(*) FROM `{table}`")
                counts[table] = cur.fetchone()[0]
                expected = manifest["tables"][table]["rows"]
                if counts[table] != expected:
                    raise CourseDataError(f"{table}: loaded {counts[table]} rows, the manifest says "
                                          f"{expected}: the data directory is damaged; regenerate it")
                say(sum(counts.values()), total, table)
            cur.execute("SET foreign_key_checks = 1, unique_checks = 1")
            _swap(cur, staging, database, old)
    except pymysql.MySQLError as exc:
        with conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{staging}`")
        raise CourseDataError(f"loading {database} failed, nothing changed: {exc.args[-1]}") from None
    except BaseException:
        with conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{staging}`")
        raise
    finally:
        conn.close()
    return counts


def _swap(cur, staging: str, database: str, old: str) -> None:
    """Replace `database`'s tables by `staging`'s in one RENAME TABLE statement. Its views
    and routines stay (a view can't be renamed into another database; a view over the
    course tables reads the new ones)."""
    cur.execute(f"CREATE DATABASE IF NOT EXISTS `{database}` CHARACTER SET utf8mb4 "
                "COLLATE utf8mb4_unicode_ci")
    cur.execute(f"DROP DATABASE IF EXISTS `{old}`")
    cur.execute(f"CREATE DATABASE `{old}`")
    cur.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = %s "
                "AND table_type <> 'VIEW'", (database,))
    existing = [r[0] for r in cur.fetchall()]
    renames = [f"`{database}`.`{t}` TO `{old}`.`{t}`" for t in existing]
    renames += [f"`{staging}`.`{t}` TO `{database}`.`{t}`" for t in tables()]
    cur.execute("RENAME TABLE " + ", ".join(renames))
    cur.execute("SET foreign_key_checks = 0")
    cur.execute(f"DROP DATABASE `{old}`")
    cur.execute(f"DROP DATABASE `{staging}`")
    cur.execute("SET foreign_key_checks = 1")


def _create_schema(cur, database: str) -> None:
    cur.execute(f"DROP DATABASE IF EXISTS `{database}`")
    cur.execute(f"CREATE DATABASE `{database}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    cur.execute(f"USE `{database}`")
    for statement in _statements():
        cur.execute(statement)


def _copy_tablespaces(cur, template: str, staging: str) -> bool:
    """Copy InnoDB's table files (transportable tablespaces): a file copy, not row by row.

    Possible only where this process can read and write the server's data directory
    (labctl runs as root on the terminal that hosts it); else False and nothing done.
    """
    cur.execute("SELECT @@datadir")
    datadir = Path(cur.fetchone()[0])
    source, target = datadir / template, datadir / staging
    if not (os.access(source, os.R_OK) and os.access(target, os.W_OK)):
        return False
    owner = source.stat()
    for table in tables():
        cur.execute(f"ALTER TABLE `{staging}`.`{table}` DISCARD TABLESPACE")
    cur.execute("FLUSH TABLES " + ", ".join(f"`{template}`.`{t}`" for t in tables()) + " FOR EXPORT")
    try:
        for table in tables():
            for suffix in (".ibd", ".cfg"):
                dst = target / f"{table}{suffix}"
                shutil.copyfile(source / f"{table}{suffix}", dst)
                os.chown(dst, owner.st_uid, owner.st_gid)
    finally:
        cur.execute("UNLOCK TABLES")
    for table in tables():
        cur.execute(f"ALTER TABLE `{staging}`.`{table}` IMPORT TABLESPACE")
        (target / f"{table}.cfg").unlink(missing_ok=True)
    return True


def _stage(cur, template: str, staging: str) -> None:
    _create_schema(cur, staging)
    cur.execute("SET foreign_key_checks = 0, unique_checks = 0")
    if not _copy_tablespaces(cur, template, staging):
        for table in tables():
            cur.execute(f"INSERT INTO `{staging}`.`{table}` SELECT * FROM `{template}`.`{table}`")
    cur.execute("SET foreign_key_checks = 1, unique_checks = 1")


def prepare(server: Server, template: str, name: str) -> float:
    """Make `name` a fresh copy of `template` now, for a later clone(prepared=name) to swap
    in within moments (the copying, the slow part, done beforehand); return seconds."""
    template, name = _check_name(template), _check_name(name, 64)
    t0 = time.monotonic()
    conn = server.connect()
    try:
        with conn.cursor() as cur:
            try:
                _stage(cur, template, name)
            except (pymysql.MySQLError, OSError) as exc:
                cur.execute("UNLOCK TABLES")
                cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
                raise CourseDataError(f"preparing a copy of {template} as {name} failed: "
                                      f"{exc.args[-1]}") from None
    finally:
        conn.close()
    return time.monotonic() - t0


def whole(cur, database: str) -> bool:
    """True when `database` holds every course table: a prepared copy made to the end."""
    cur.execute("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = %s"
                " AND table_type = 'BASE TABLE'", (database,))
    return cur.fetchone()[0] == len(tables())


def clone(server: Server, template: str, target: str, prepared: str | None = None) -> float:
    """Make `target` a fresh copy of `template` (same schema, keys and rows, and nothing
    else: what was in `target` before, views and routines too, is dropped); return seconds.

    With `prepared` (a copy prepare() made of `template`), its tables are moved in and it is
    gone; if it lacks a table, the copy is made now as without it."""
    template, target = _check_name(template), _check_name(target)
    staging = _check_name(prepared, 64) if prepared else f"{target}__loading"
    t0 = time.monotonic()
    conn = server.connect()
    dropped = False
    try:
        with conn.cursor() as cur:
            if not (prepared and whole(cur, staging)):
                _stage(cur, template, staging)
            dropped = True
            cur.execute(f"DROP DATABASE IF EXISTS `{target}`")
            cur.execute(f"CREATE DATABASE `{target}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
            cur.execute("RENAME TABLE " + ", ".join(f"`{staging}`.`{t}` TO `{target}`.`{t}`"
                                                    for t in tables()))
            cur.execute(f"DROP DATABASE `{staging}`")
    except (pymysql.MySQLError, OSError) as exc:
        with conn.cursor() as cur:
            cur.execute("UNLOCK TABLES")
            cur.execute(f"DROP DATABASE IF EXISTS `{staging}`")
        state = "dropped, clone again" if dropped else "unchanged"
        raise CourseDataError(f"cloning {template} to {target} failed, {target} {state}: "
                              f"{exc.args[-1]}") from None
    finally:
        conn.close()
    return time.monotonic() - t0


def checksum(server: Server, database: str) -> dict[str, int]:
    """CHECKSUM TABLE of every course table: equal databases give equal checksums."""
    conn = server.connect()
    try:
        with conn.cursor() as cur:
            return _checksums(cur, database)
    finally:
        conn.close()


def _checksums(cur, database: str) -> dict[str, int]:
    cur.execute("CHECKSUM TABLE " + ", ".join(f"`{_check_name(database, 64)}`.`{t}`" for t in tables()))
    return {row[0].split(".", 1)[1]: row[1] for row in cur.fetchall()}


_OBJECTS = """
SELECT CONCAT(LOWER(table_type), ' ', table_name), '' FROM information_schema.tables
 WHERE table_schema = %(db)s
UNION ALL SELECT CONCAT('column ', table_name, '.', column_name),
 CONCAT_WS(' ', column_type, is_nullable, column_default, extra, collation_name)
 FROM information_schema.columns WHERE table_schema = %(db)s
UNION ALL SELECT CONCAT('index ', table_name, '.', index_name),
 CONCAT(IF(MIN(non_unique), '', 'unique '), GROUP_CONCAT(column_name ORDER BY seq_in_index))
 FROM information_schema.statistics WHERE table_schema = %(db)s GROUP BY table_name, index_name
UNION ALL SELECT CONCAT('constraint ', table_name, '.', constraint_name), constraint_type
 FROM information_schema.table_constraints WHERE constraint_schema = %(db)s
UNION ALL SELECT CONCAT('trigger ', trigger_name), event_object_table
 FROM information_schema.triggers WHERE trigger_schema = %(db)s
UNION ALL SELECT CONCAT(LOWER(routine_type), ' ', routine_name), ''
 FROM information_schema.routines WHERE routine_schema = %(db)s
UNION ALL SELECT CONCAT('event ', event_name), '' FROM information_schema.events
 WHERE event_schema = %(db)s
"""


def fingerprint(server: Server, database: str) -> dict[str, str]:
    """Everything a database holds, as {what: its definition}: tables, views, columns,
    indexes, constraints, triggers, routines, events, and each course table's rows
    ('rows orders': CHECKSUM TABLE). A copy equal to its template has an equal one."""
    conn = server.connect()
    try:
        with conn.cursor() as cur:
            out = {f"rows {name}": str(value) for name, value in _checksums(cur, database).items()}
            cur.execute(_OBJECTS, {"db": database})
            out.update((name, value or "") for name, value in cur.fetchall())
    finally:
        conn.close()
    return out


def differences(want: dict[str, str], have: dict[str, str]) -> list[str]:
    """What `have` (a fingerprint) holds beyond, lacks from, or changed from `want`: whole
    objects (a table, a view, a routine) first, then their parts (columns, indexes)."""
    def order(key):
        return key.startswith(("column ", "index ", "constraint ")), key
    return ([f"extra {k}" for k in sorted(set(have) - set(want), key=order)]
            + [f"missing {k}" for k in sorted(set(want) - set(have), key=order)]
            + [f"changed {k}" for k in sorted(set(want) & set(have), key=order)
               if want[k] != have[k]])


def main(argv: list[str] | None = None) -> int:
    import argparse
    import sys
    parser = argparse.ArgumentParser(description="load, clone or checksum the course database")
    parser.add_argument("action", choices=["load", "clone", "checksum"])
    parser.add_argument("source", help="load: the data directory; clone/checksum: a database")
    parser.add_argument("target", nargs="?", help="load/clone: the database to (re)create")
    parser.add_argument("--socket", default="/run/mysqld/mysqld.sock")
    args = parser.parse_args(argv)
    server = Server(user="root", unix_socket=args.socket)
    try:
        if args.action == "load":
            counts = load(server, Path(args.source), args.target)
            print(json.dumps({"database": args.target, "rows": counts}))
        elif args.action == "clone":
            seconds = clone(server, args.source, args.target)
            print(json.dumps({"database": args.target, "seconds": round(seconds, 2),
                              "checksum": checksum(server, args.target)}))
        else:
            print(json.dumps(checksum(server, args.source)))
    except CourseDataError as exc:
        print(f"coursedata: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
