#!/usr/bin/python3
"""lab-reset: put a terminal's students back to the clean state, and prove it.

Installed by the lab_reset role as /usr/local/sbin/lab-reset; run as root by
playbooks/reset.yml and by `labctl reset` (the one implementation of both).

    lab-reset sessions          who is logged in (JSON)
    lab-reset reset [--force]   end the students' sessions, restore homes and databases,
                                then verify; refuses while a student is logged in
                                unless --force
    lab-reset verify            only the verification
    lab-reset prepare           make each student's next database copy now, hidden from the
                                student (run by lab-reset-prepare.timer after a reset and a
                                boot, and by the role): the next reset only swaps it in
    lab-reset init [--check]    build the golden home (/etc/skel and the room's files),
                                and give each student's home the golden files it lacks
                                (nothing is removed); run by the role at provisioning

Everything is configured in /etc/lab-reset.json (written by the role). Output is one
JSON object: {"ok": bool, "action": ..., "problems": [...], "seconds": {...}}. Exit 0
when ok, 1 when the verification failed, 3 when refused (a student is logged in).
"""

import atexit
import fcntl
import functools
import hashlib
import json
import os
import pwd
import subprocess
import sys
import time
from pathlib import Path

CONFIG = Path(os.environ.get("LAB_RESET_CONFIG", "/etc/lab-reset.json"))
SCRATCH = ("/tmp", "/var/tmp", "/dev/shm")
MYSQL_SOCKET = "/run/mysqld/mysqld.sock"
LOCK = "/run/lab-reset.lock"


def sh(*cmd, check=False, input=None):
    return subprocess.run(cmd, capture_output=True, text=True, check=check, input=input)


@functools.lru_cache(maxsize=None)
def _mysql():
    """One connection as root over the server's socket, for the whole run (not a client
    program started per statement)."""
    try:
        import pymysql
    except ImportError:
        raise RuntimeError("python3-pymysql is missing: apply lab_mysql (terminals.yml)") from None
    conn = pymysql.connect(user="root", unix_socket=MYSQL_SOCKET, autocommit=True,
                           charset="utf8mb4", connect_timeout=10)
    atexit.register(lambda: conn.open and conn.close())  # not an "aborted connection" logged
    return pymysql, conn


def mysql(sql, check=True):
    pymysql, conn = _mysql()
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
            return [[str(v) for v in row] for row in cur.fetchall()]
    except pymysql.MySQLError as exc:
        if check:
            raise RuntimeError(f"mysql: {exc.args[-1]}") from None
        return []


@functools.lru_cache(maxsize=None)
def coursedata(loader):
    """The course data's own module (clone, fingerprint: lab_coursedata's loader) and the
    server, imported once into this process: no Python started per database."""
    import importlib.util
    spec = importlib.util.spec_from_file_location("coursedata_load", loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look themselves up there
    spec.loader.exec_module(module)
    return module, module.Server(user="root", unix_socket=MYSQL_SOCKET)


def wait_mysql(seconds=90):
    """After a boot, SSH answers before MariaDB does: wait for it (or say it is down)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            _mysql()
            return
        except RuntimeError:
            raise
        except Exception:  # noqa: BLE001 - any of pymysql's errors: not up yet
            time.sleep(0.5)
    raise RuntimeError(f"the MySQL server did not answer within {seconds} s")


def sessions(students):
    """Logged-in students: utmp (who) and logind (loginctl), whichever the host has."""
    found = {}
    for line in sh("who").stdout.splitlines():
        parts = line.split()
        if parts and parts[0] in students:
            found.setdefault(parts[0], []).append(" ".join(parts[1:4]))
    out = sh("loginctl", "list-sessions", "--no-legend")
    for line in out.stdout.splitlines():
        parts = line.split()
        if len(parts) >= 3 and parts[2] in students:
            found.setdefault(parts[2], []).append(f"session {parts[0]}")
    return found


def end_processes(user, uid):
    sh("loginctl", "terminate-user", user)
    for _ in range(50):
        if sh("pkill", "-KILL", "-u", str(uid)).returncode == 1:  # 1: nothing left to kill
            return
        time.sleep(0.1)


def clear_jobs(user):
    sh("crontab", "-r", "-u", user)
    for line in sh("atq").stdout.splitlines():
        parts = line.split()
        if parts and parts[-1] == user:
            sh("atrm", parts[0])


def clear_scratch(uid):
    for root in SCRATCH:
        sh("find", root, "-xdev", "-mindepth", "1", "-uid", str(uid), "-delete")
        # a directory of someone else's may hold the student's files: find -delete got them


def restore_home(user, skel):
    entry = pwd.getpwnam(user)
    home = Path(entry.pw_dir)
    home.mkdir(mode=0o700, exist_ok=True)
    sh("rsync", "-a", "--delete", "--no-owner", "--no-group", f"{skel}/", f"{home}/", check=True)
    sh("chown", "-R", f"{entry.pw_uid}:{entry.pw_gid}", str(home), check=True)
    home.chmod(0o700)


def prepared_name(db):
    """Where the next copy of a student's database waits: outside the student's grant
    (`<student>\\_%`), so the student can neither see nor change it."""
    return f"_next_{db}"


def templated(cfg):
    """(student, database, template) of every database restored from a template."""
    if not cfg.get("mysql"):
        return []
    return [(user, f"{user}_{name}", template) for user in cfg["students"]
            for name, template in cfg["databases"].items() if template]


def prepare(cfg):
    """Make each templated database's next copy unless one equal to the template waits;
    return what was made."""
    made = []
    if not templated(cfg):
        return made
    wait_mysql()
    module, server = coursedata(cfg["loader"])
    templates = {}
    for _, db, template in templated(cfg):
        if template not in templates:
            templates[template] = fingerprint(template, cfg)
        name = prepared_name(db)
        if templates[template] is not None and fingerprint(name, cfg) == templates[template]:
            continue
        try:
            module.prepare(server, template, name)
        except module.CourseDataError as exc:
            raise RuntimeError(str(exc)) from None
        if fingerprint(name, cfg) != templates[template]:
            mysql(f"DROP DATABASE IF EXISTS `{name}`")
            raise RuntimeError(f"the copy {name} of {template} differs from it: dropped")
        made.append(name)
    return made


def restore_databases(user, cfg, from_prepared):
    """Drop the student's databases; each templated one comes back as its prepared copy
    (named in from_prepared) if there is one, else as a copy of the template made now."""
    if not cfg.get("mysql"):
        return
    wait_mysql()
    for (conn_id,) in mysql(f"SELECT ID FROM information_schema.PROCESSLIST WHERE USER = '{user}'"):
        mysql(f"KILL {int(conn_id)}", check=False)
    wanted = cfg["databases"]
    for (db,) in mysql(f"SHOW DATABASES LIKE '{user}\\\\_%'"):
        if db[len(user) + 1:] not in wanted:
            mysql(f"DROP DATABASE `{db}`")
    for name, template in wanted.items():
        db = f"{user}_{name}"
        if template:
            module, server = coursedata(cfg["loader"])
            ready = prepared_name(db) if from_prepared is not None else None
            with _mysql()[1].cursor() as cur:
                if ready and not module.whole(cur, ready):
                    ready = None  # none, or not whole: clone copies the template now
            try:
                module.clone(server, template, db, prepared=ready)
            except module.CourseDataError as exc:
                raise RuntimeError(str(exc)) from None
            if ready:
                from_prepared.add(db)
        else:
            mysql(f"DROP DATABASE IF EXISTS `{db}`")
            mysql(f"CREATE DATABASE `{db}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")


def init(cfg, check):
    """Build the golden home and top up the students' homes; return what changed."""
    changed = []
    skel = Path(cfg["skel"])
    wanted = {rel: (p.read_bytes(), p.stat().st_mode & 0o777)
              for rel, p in ((str(p.relative_to("/etc/skel")), p)
                             for p in sorted(Path("/etc/skel").rglob("*")) if p.is_file())}
    for item in cfg.get("skel_files", []):
        wanted[item["path"]] = (item["content"].encode(), 0o644)
    if not skel.is_dir() or skel.stat().st_mode & 0o777 != 0o700:
        changed.append(str(skel))
        if not check:
            skel.mkdir(parents=True, exist_ok=True)
            skel.chmod(0o700)  # rsync gives a home its skeleton's mode: private from the start
    present = {str(p.relative_to(skel)) for p in skel.rglob("*") if p.is_file()} if skel.is_dir() else set()
    for rel in sorted(present - set(wanted)):
        changed.append(f"{skel}/{rel} (removed)")
        if not check:
            (skel / rel).unlink()
    for rel, (data, mode) in wanted.items():
        path = skel / rel
        if not path.is_file() or path.read_bytes() != data or path.stat().st_mode & 0o777 != mode:
            changed.append(str(path))
            if not check:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
                path.chmod(mode)
    for user in cfg["students"]:
        entry = pwd.getpwnam(user)
        home = Path(entry.pw_dir)
        for rel, (data, mode) in wanted.items():
            path = home / rel
            if not path.exists():
                changed.append(str(path))
                if not check:
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_bytes(data)
                    path.chmod(mode)
                    os.chown(path, entry.pw_uid, entry.pw_gid)
    return changed


def tree(root: Path):
    """{relative path: (kind, mode, sha256 or target)} of a directory tree."""
    out = {}
    for path in sorted(root.rglob("*")):
        rel = str(path.relative_to(root))
        st = path.lstat()
        if path.is_symlink():
            out[rel] = ("link", 0, os.readlink(path))
        elif path.is_dir():
            out[rel] = ("dir", st.st_mode & 0o777, "")
        else:
            out[rel] = ("file", st.st_mode & 0o777, hashlib.sha256(path.read_bytes()).hexdigest())
    return out


def fingerprint(db, cfg):
    """Everything a course database holds (tables, views, columns, indexes, triggers,
    routines, events, each table's CHECKSUM TABLE), or None when it can't be read."""
    module, server = coursedata(cfg["loader"])
    try:
        return module.fingerprint(server, db)
    except (module.CourseDataError, module.pymysql.MySQLError):
        return None


def verify(cfg, differing=None):
    """What is not clean, as sentences; the databases that differ from their templates are
    also added to `differing`."""
    problems = []
    templates = {}  # template -> its fingerprint, computed once per verification
    for user in cfg["students"]:
        try:
            entry = pwd.getpwnam(user)
        except KeyError:
            problems.append(f"{user}: no such account")
            continue
        procs = sh("pgrep", "-u", str(entry.pw_uid), "-l").stdout.split("\n")
        procs = [p for p in procs if p.strip()]
        if procs:
            problems.append(f"{user}: {len(procs)} process(es) still run: {', '.join(procs[:5])}")
        home, skel = Path(entry.pw_dir), Path(cfg["skel"])
        have, want = tree(home), tree(skel)
        extra, missing = sorted(set(have) - set(want)), sorted(set(want) - set(have))
        changed = sorted(k for k in set(have) & set(want) if have[k] != want[k])
        for what, names in (("left in", extra), ("missing from", missing), ("changed in", changed)):
            if names:
                problems.append(f"{user}: {len(names)} file(s) {what} {home}: {', '.join(names[:5])}")
        st = home.stat()
        if st.st_uid != entry.pw_uid or st.st_mode & 0o777 != 0o700:
            problems.append(f"{user}: {home} is not the student's own with mode 0700")
        for root in SCRATCH:
            left = sh("find", root, "-xdev", "-mindepth", "1", "-uid", str(entry.pw_uid)).stdout.split()
            if left:
                problems.append(f"{user}: {len(left)} file(s) left in {root}: {', '.join(left[:3])}")
        if sh("crontab", "-l", "-u", user).returncode == 0:
            problems.append(f"{user}: a crontab is left")
        if any(line.split()[-1:] == [user] for line in sh("atq").stdout.splitlines()):
            problems.append(f"{user}: at jobs are left")
        if cfg.get("mysql"):
            dbs = {db for (db,) in mysql(f"SHOW DATABASES LIKE '{user}\\\\_%'")}
            want_dbs = {f"{user}_{name}" for name in cfg["databases"]}
            if dbs != want_dbs:
                problems.append(f"{user}: databases {sorted(dbs)}, expected {sorted(want_dbs)}")
            for name, template in cfg["databases"].items():
                db = f"{user}_{name}"
                if db not in dbs:
                    continue
                if template:
                    if template not in templates:
                        templates[template] = fingerprint(template, cfg)
                    if templates[template] is None:
                        problems.append(f"{user}: cannot read the template {template}")
                        continue
                    have = fingerprint(db, cfg)
                    if have is None:
                        problems.append(f"{user}: cannot read {db}")
                        continue
                    diff = coursedata(cfg["loader"])[0].differences(templates[template], have)
                    if diff:
                        if differing is not None:
                            differing.add(db)
                        problems.append(f"{user}: {db} differs from its template {template}: "
                                        f"{', '.join(diff[:5])}{' …' if len(diff) > 5 else ''}")
                elif mysql(f"SHOW TABLES FROM `{db}`"):
                    problems.append(f"{user}: {db} is not empty")
    return problems


def main(argv):
    action = argv[1] if len(argv) > 1 else "verify"
    force = "--force" in argv
    cfg = json.loads(CONFIG.read_text())
    students = cfg["students"]
    result = {"action": action, "ok": False, "problems": [], "seconds": {}}
    start = time.monotonic()

    def step(name, fn, *args):
        t = time.monotonic()
        try:
            fn(*args)
        except (OSError, RuntimeError, KeyError, subprocess.CalledProcessError) as exc:
            detail = getattr(exc, "stderr", None) or str(exc)
            result["problems"].append(f"{name}: {str(detail).strip()[-300:]}")
        result["seconds"][name] = round(time.monotonic() - t, 3)

    if action == "init":
        result["changed"] = init(cfg, "--check" in argv)
        result["ok"] = True
        print(json.dumps(result, ensure_ascii=False))
        return 0
    if action in ("reset", "prepare"):
        lock = open(LOCK, "w")  # noqa: SIM115 - held until the process ends
        fcntl.flock(lock, fcntl.LOCK_EX)  # one reset or preparation at a time on a seat
    if action == "prepare":
        result["changed"] = []
        step("prepare", lambda: result["changed"].extend(prepare(cfg)))
        result["ok"] = not result["problems"]
        print(json.dumps(result))
        return 0 if result["ok"] else 1
    logged_in = sessions(students)
    result["sessions"] = logged_in
    if action == "sessions":
        result["ok"] = True
        print(json.dumps(result))
        return 0
    from_prepared = set()  # databases restored from their prepared copy
    if action == "reset":
        if logged_in and not force:
            result["refused"] = "a student is logged in: " + "; ".join(
                f"{u} ({', '.join(s)})" for u, s in logged_in.items())
            print(json.dumps(result))
            return 3
        for user in students:
            uid = pwd.getpwnam(user).pw_uid
            step(f"{user}:processes", end_processes, user, uid)
            step(f"{user}:jobs", clear_jobs, user)
            step(f"{user}:scratch", clear_scratch, uid)
            step(f"{user}:home", restore_home, user, cfg["skel"])
            step(f"{user}:databases", restore_databases, user, cfg, from_prepared)
    elif action != "verify":
        print(f"lab-reset: unknown action {action!r} (sessions, reset, verify, prepare)",
              file=sys.stderr)
        return 2
    t = time.monotonic()
    try:
        if cfg.get("mysql"):
            wait_mysql()
        differing = set()
        problems = verify(cfg, differing)
        stale = sorted(differing & from_prepared)  # prepared before the template changed
        if stale:
            result["copied_again"] = stale
            for user in sorted({u for u, db, _ in templated(cfg) if db in stale}):
                step(f"{user}:databases again", restore_databases, user, cfg, None)
            problems = verify(cfg)
        result["problems"] += problems
    except (OSError, RuntimeError, KeyError, subprocess.CalledProcessError) as exc:
        result["problems"].append(f"verify: {str(getattr(exc, 'stderr', None) or exc).strip()[-300:]}")
    result["seconds"]["verify"] = round(time.monotonic() - t, 3)
    result["prepared"] = sorted(from_prepared)
    if action == "reset" and templated(cfg):  # the next copies, once the break's work is done
        sh("systemctl", "restart", "--no-block", "lab-reset-prepare.timer")
    result["seconds"]["total"] = round(time.monotonic() - start, 3)
    result["ok"] = not result["problems"]
    print(json.dumps(result))
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
