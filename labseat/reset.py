"""lab-reset: put a terminal's students back to the clean state, and prove it.

Shipped to the seats with the rest of labseat (the lab_seatlib role); the lab_reset role
installs /usr/local/sbin/lab-reset, which runs it as root, for playbooks/reset.yml and
`labctl reset` (the one implementation of both).

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

A student is an adversary: root never follows a path the student can write. What goes
into a student's home is written by a child process that holds the student's uid only,
opening each component with O_NOFOLLOW and creating with O_EXCL; the restore replaces
the home's contents with rsync (which never follows the receiver's links) through the
home opened with O_NOFOLLOW, and chowns without following or descending into a link; the
verification opens nothing but regular files, without following links.
Names in SQL are quoted (backticks doubled) and LIKE patterns escaped.
"""

import atexit
import fcntl
import functools
import hashlib
import json
import os
import pwd
import re
import stat
import subprocess
import sys
import time
from pathlib import Path

CONFIG = Path(os.environ.get("LAB_RESET_CONFIG", "/etc/lab-reset.json"))
SCRATCH = ("/tmp", "/var/tmp", "/dev/shm")
MYSQL_SOCKET = "/run/mysqld/mysqld.sock"
LOCK = "/run/lab-reset.lock"
SAFE_REL = re.compile(r"^[^/\x00-\x1f\x7f][^\x00-\x1f\x7f]{0,254}$")


def sh(*cmd, check=False, input=None, pass_fds=()):
    return subprocess.run(cmd, capture_output=True, text=True, check=check, input=input,
                          pass_fds=pass_fds)


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


def ident(name):
    """A MySQL identifier, quoted: whatever a student named a database, it stays one name."""
    return "`" + str(name).replace("`", "``") + "`"


def like_prefix(prefix):
    """A LIKE pattern matching names that start with `prefix` and `_`, where the prefix's
    own `_`, `%` and backslashes are literal, not wildcards."""
    return re.sub(r"([\\_%])", r"\\\1", prefix) + "\\_%"


def mysql(sql, args=None, check=True):
    pymysql, conn = _mysql()
    try:
        with conn.cursor() as cur:
            cur.execute(sql, args)
            return [[str(v) for v in row] for row in cur.fetchall()]
    except pymysql.MySQLError as exc:
        if check:
            raise RuntimeError(f"mysql: {exc.args[-1]}") from None
        return []


@functools.lru_cache(maxsize=None)
def coursedata():
    """The course data's own module (labseat.coursedata: clone, fingerprint) and the
    server, imported once into this process when a database is touched (pymysql with it):
    no Python started per database."""
    from labseat import coursedata as module
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
    # jobs are cleared first (clear_jobs), so that cron or at cannot start a new process
    # of the student's once these are gone
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


def open_home(entry):
    """The student's home directory, opened without following a link: (fd, path)."""
    home = Path(entry.pw_dir)
    if not home.is_absolute() or ".." in home.parts or len(home.parts) < 3:
        raise RuntimeError(f"{entry.pw_name}: home {home} is not a safe place to restore")
    return os.open(home, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW), home


def restore_home(user, skel):
    entry = pwd.getpwnam(user)
    home = Path(entry.pw_dir)
    try:
        home.mkdir(mode=0o700)
    except FileExistsError:
        pass
    fd, home = open_home(entry)  # a link where the home should be is refused (ELOOP)
    try:
        os.fchmod(fd, 0o700)
        # rsync replaces whatever the student left (links included) and never follows a
        # link on the receiving side; it writes through /proc/self/fd, the home opened above
        sh("rsync", "-a", "--delete", "--no-owner", "--no-group", f"{skel}/",
           f"/proc/self/fd/{fd}/", check=True, pass_fds=(fd,))
        chown_tree(fd, entry.pw_uid, entry.pw_gid)
    finally:
        os.close(fd)


def chown_tree(fd, uid, gid):
    """Give everything under the directory open at fd to uid:gid; a link is changed
    itself, never what it points at, and never descended into."""
    for _, dirs, files, dfd in os.fwalk(".", dir_fd=fd, follow_symlinks=False):
        for name in dirs + files:
            os.chown(name, uid, gid, dir_fd=dfd, follow_symlinks=False)
    os.fchown(fd, uid, gid)


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
    module, server = coursedata()
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
            mysql(f"DROP DATABASE IF EXISTS {ident(name)}")
            raise RuntimeError(f"the copy {name} of {template} differs from it: dropped")
        made.append(name)
    return made


def student_databases(user):
    """The databases named <user>_…: exactly the student's (their grant's pattern)."""
    return [db for (db,) in mysql("SHOW DATABASES LIKE %s", (like_prefix(user),))]


def restore_databases(user, cfg, from_prepared):
    """Drop the student's databases; each templated one comes back as its prepared copy
    (named in from_prepared) if there is one, else as a copy of the template made now."""
    if not cfg.get("mysql"):
        return
    wait_mysql()
    for (conn_id,) in mysql("SELECT ID FROM information_schema.PROCESSLIST WHERE USER = %s",
                            (user,)):
        mysql(f"KILL {int(conn_id)}", check=False)
    wanted = cfg["databases"]
    for db in student_databases(user):
        if db[len(user) + 1:] not in wanted:
            mysql(f"DROP DATABASE {ident(db)}")  # any name the student gave it
    for name, template in wanted.items():
        db = f"{user}_{name}"
        if template:
            module, server = coursedata()
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
            mysql(f"DROP DATABASE IF EXISTS {ident(db)}")
            mysql(f"CREATE DATABASE {ident(db)} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")


def init(cfg, check):
    """Build the golden home and top up the students' homes; return what changed."""
    changed = []
    skel = Path(cfg["skel"])
    wanted = {rel: (p.read_bytes(), p.stat().st_mode & 0o777)
              for rel, p in ((str(p.relative_to("/etc/skel")), p)
                             for p in sorted(Path("/etc/skel").rglob("*")) if p.is_file())}
    for item in cfg.get("skel_files", []):
        rel = item["path"]
        if not SAFE_REL.match(rel) or any(part in ("", ".", "..") for part in rel.split("/")):
            raise RuntimeError(f"skel_files: {rel!r} is not a plain relative path inside a home")
        wanted[rel] = (item["content"].encode(), 0o644)
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
    # a directory of the golden home (Desktop, .config) is private, as the home is, and as
    # the top-up below makes it in a student's home: the verification compares the two
    for sub in sorted(d for d in skel.rglob("*") if d.is_dir()) if skel.is_dir() else []:
        if sub.stat().st_mode & 0o777 != 0o700:
            changed.append(str(sub))
            if not check:
                sub.chmod(0o700)
    for user in cfg["students"]:
        entry = pwd.getpwnam(user)
        made = as_student(entry, top_up, entry.pw_dir, wanted, check)
        changed += [f"{entry.pw_dir}/{rel}" for rel in made]
    return changed


def as_student(entry, fn, *args):
    """fn(*args) in a child process that holds the student's uid and gid only, so that
    whatever it touches in the student's home, it touches with the student's rights, not
    root's; its JSON-able result comes back through a pipe."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: drop root for good, then work
        os.close(read)
        code = 0
        try:
            os.setgroups([])
            os.setgid(entry.pw_gid)
            os.setuid(entry.pw_uid)
            os.umask(0o077)
            out = {"result": fn(*args)}
        except BaseException as exc:  # noqa: BLE001 - reported to the parent
            out, code = {"error": f"{type(exc).__name__}: {exc}"}, 1
        with os.fdopen(write, "w") as pipe:
            json.dump(out, pipe)
        os._exit(code)
    os.close(write)
    with os.fdopen(read) as pipe:
        out = json.loads(pipe.read() or '{"error": "no answer"}')
    os.waitpid(pid, 0)
    if "error" in out:
        raise RuntimeError(f"{entry.pw_name}: {out['error']}")
    return out["result"]


def top_up(home, wanted, check):
    """Create each wanted file the home lacks (run as the student): each directory on the
    way is opened with O_NOFOLLOW and each file created with O_EXCL, so a link the student
    left (dangling or not) is left as it is and nothing is written through it. Returns the
    relative paths made (or, with check, that would be)."""
    made = []
    for rel, (data, mode) in wanted.items():
        parts = rel.split("/")
        fd = os.open(home, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
        try:
            for part in parts[:-1]:
                try:
                    os.stat(part, dir_fd=fd, follow_symlinks=False)
                except FileNotFoundError:
                    if check:
                        raise
                    os.mkdir(part, 0o700, dir_fd=fd)  # private, as the golden home's
                sub = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
                os.close(fd)
                fd = sub
            try:
                os.stat(parts[-1], dir_fd=fd, follow_symlinks=False)
                continue  # there, whatever it is: the student's own
            except FileNotFoundError:
                pass
            if not check:
                out = os.open(parts[-1], os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW,
                              mode, dir_fd=fd)
                with os.fdopen(out, "wb") as f:
                    f.write(data)
                    os.fchmod(f.fileno(), mode)
            made.append(rel)
        except FileNotFoundError:
            made.append(rel)  # check mode: its directory is missing too
        except OSError:
            continue  # a link or a file where a directory should be: the student's; skip
        finally:
            os.close(fd)
    return made


def tree(root: Path):
    """{relative path: (kind, mode, sha256 or target)} of a directory tree."""
    out = {}
    for path in sorted(root.rglob("*")):
        rel = str(path.relative_to(root))
        st = path.lstat()
        if stat.S_ISLNK(st.st_mode):
            out[rel] = ("link", 0, os.readlink(path))
        elif stat.S_ISDIR(st.st_mode):
            out[rel] = ("dir", st.st_mode & 0o777, "")
        elif stat.S_ISREG(st.st_mode):
            out[rel] = ("file", st.st_mode & 0o777, digest(path))
        else:  # a FIFO or a socket: never opened (a FIFO would block the verification)
            out[rel] = ("other", st.st_mode & 0o777, "")
    return out


def digest(path):
    """sha256 of a regular file, opened without following a link or blocking."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as exc:
        return f"unreadable: {exc.strerror}"
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
            return "not a regular file"
        return hashlib.sha256(f.read()).hexdigest()


def fingerprint(db, cfg):
    """Everything a course database holds (tables, views, columns, indexes, triggers,
    routines, events, each table's CHECKSUM TABLE), or None when it can't be read."""
    module, server = coursedata()
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
            dbs = set(student_databases(user))
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
                    diff = coursedata()[0].differences(templates[template], have)
                    if diff:
                        if differing is not None:
                            differing.add(db)
                        problems.append(f"{user}: {db} differs from its template {template}: "
                                        f"{', '.join(diff[:5])}{' …' if len(diff) > 5 else ''}")
                elif mysql(f"SHOW TABLES FROM {ident(db)}"):
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
            step(f"{user}:jobs", clear_jobs, user)
            step(f"{user}:processes", end_processes, user, uid)
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
