"""Pull mode: each Linux terminal converges itself (docs/pull.md).

The admin host does three cheap things, and the terminals do the rest in parallel:

1. it packs what a terminal's run needs into the mirror, each archive named by its sha256:
   the project (terminals.yml, its roles, labseat, the filter and callback plugins, the
   collections those roles use and a pull.cfg) and the course data set; the wheels of
   its own ansible-core come from `labctl mirror` (lab_pull installs them). The lab server
   serves them (server.yml copies the mirror: run here, by push, when it lacks one);
2. it renders each seat's own variables (the inventory's lab_* values, the vault's
   secrets that the seat's roles use, lookups done here) and sends them, with the
   archives' checksums, on `labctl-pull run`'s standard input over the room's verified SSH;
3. it reads each seat's events as JSON lines while the run goes on, and builds the same
   PlaybookResult a push run gives: one recap per seat, a failed seat's task and reason.

What never goes to a seat: the vault's own variables (vault_*), another host's variables
beyond its name, address and seat, and Veyon's private key (the seat gets the public half).
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import tempfile
import threading
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import yaml

from labctl.core import mirror, paths
from labctl.core.errors import LabError
from labctl.core.inventory import render_vars
from labctl.core.playbook import HostRecap, PlaybookResult, host_event, room_limit, run_playbook
from labctl.core.room import Room, Seat
from labctl.core.ssh import Connector
from labctl.core.veyon import public_key
from labctl.i18n import _

OUT = mirror.MIRROR / "pull"
PLAYBOOK = "terminals.yml"
TOOL = "sudo -n /usr/local/sbin/labctl-pull run"
COLLECTIONS = ("ansible/posix", "community/mysql")  # what the terminals' roles use
LIBRARY = ("__init__.py", "i18n.py", "core/__init__.py", "core/errors.py", "core/paths.py",
           "core/room.py", "core/veyon.py")  # plugins/filter/lab_veyon.py's labctl
PUBLIC = ("ansible_host", "lab_room_name", "lab_seat", "lab_mac", "lab_veyon_enabled")
PULL_CFG = """\
# A terminal's own pull run (labctl-pull): paths are this directory's
[defaults]
roles_path = roles
filter_plugins = plugins/filter
callback_plugins = plugins/callback
collections_path = collections
stdout_callback = lab_pull
interpreter_python = /usr/bin/python3
gathering = smart
fact_caching = jsonfile
fact_caching_timeout = 7200
inject_facts_as_vars = False
force_handlers = True
retry_files_enabled = False
deprecation_warnings = False
nocows = True
"""


class PullError(LabError):
    """Pull mode cannot start: what is missing and how to get it."""


def terminal_roles() -> list[str]:
    plays = yaml.safe_load((paths.PROJECT / "playbooks" / PLAYBOOK).read_text())
    return [r["role"] if isinstance(r, dict) else r for play in plays for r in play["roles"]]


def _collection(name: str) -> Path:
    """Where the installed collection is: the ansible_collections directory that holds it
    (once Ansible's plugin loader is set up, its own internal one comes first)."""
    import ansible_collections
    for root in ansible_collections.__path__:
        if (Path(root) / name / "MANIFEST.json").is_file():
            return Path(root) / name
    raise PullError(_("the collection {name} is not installed beside ansible-core here: "
                      "pip install ansible (scripts/setup does)", name=name.replace("/", ".")))


def _project_items() -> list[tuple[str, Path]]:
    root, items = paths.PROJECT, []

    def tree(top: Path, name: str) -> None:
        for f in sorted(top.rglob("*")):
            if "__pycache__" not in f.parts and not f.name.endswith(".pyc"):
                items.append((f"{name}/{f.relative_to(top)}", f))

    items.append(("playbooks", root / "playbooks"))
    items.append((f"playbooks/{PLAYBOOK}", root / "playbooks" / PLAYBOOK))
    for role in terminal_roles():
        items.append((f"roles/{role}", root / "roles" / role))
        tree(root / "roles" / role, f"roles/{role}")
    for top, name in ((root / "labseat", "labseat"), (root / "plugins" / "filter", "plugins/filter"),
                      (root / "plugins" / "callback", "plugins/callback"),
                      (root / "plugins" / "strategy", "plugins/strategy")):
        items.append((name, top))
        tree(top, name)
    for c in COLLECTIONS:
        tree(_collection(c), f"collections/ansible_collections/{c}")
    # the lab_veyon filter describes the room with labctl's own code: it and what it imports
    # (this package's files, in a checkout as in an installed wheel)
    package = Path(__file__).resolve().parents[1]
    items += [("lib", package), ("lib/labctl", package), ("lib/labctl/core", package / "core")]
    items += [(f"lib/labctl/{m}", package / m) for m in LIBRARY]
    return items


def _artifact(name: str, items: list[tuple[str, Path]], extra: dict[str, str]) -> str:
    """The sha256 of the archive of these files (and extra: name -> text), packed again only
    when their contents change."""
    digest = hashlib.sha256()
    for arc, f in items:
        digest.update(arc.encode() + b"\0" + (f.read_bytes() if f.is_file() else b"/"))
    for arc, text in sorted(extra.items()):
        digest.update(arc.encode() + b"\0" + text.encode())
    OUT.mkdir(parents=True, exist_ok=True)
    index = OUT / f"{name}.json"
    try:
        known = json.loads(index.read_text())
        if known["inputs"] == digest.hexdigest() and (OUT / f"{name}-{known['sha256']}.tar.gz").exists():
            return known["sha256"]
    except (OSError, ValueError, KeyError):
        pass
    with tempfile.TemporaryDirectory(dir=OUT) as tmp:
        for arc, text in extra.items():
            (Path(tmp) / arc).write_text(text)
            items = [*items, (arc, Path(tmp) / arc)]
        sha = mirror.pack(Path(tmp) / "a.tar.gz", sorted(items, key=lambda i: i[0]))
        for old in OUT.glob(f"{name}-*.tar.gz"):
            old.unlink()
        (Path(tmp) / "a.tar.gz").replace(OUT / f"{name}-{sha}.tar.gz")
    index.write_text(json.dumps({"inputs": digest.hexdigest(), "sha256": sha}))
    return sha


def project() -> str:
    return _artifact("project", _project_items(), {"pull.cfg": PULL_CFG})


def coursedata(seed: int, scale: str) -> str:
    """The course data set the terminals load, generated here first when missing."""
    store, name = Path("/var/lib/labctl/coursedata"), f"{seed}-{scale}"
    data, book = store / name, store / f"{name}.xlsx"
    labctl = [sys.executable, "-m", "labctl"]
    if not (data / "manifest.json").exists():
        subprocess.run([*labctl, "coursedata", "generate", "--seed", str(seed), "--scale", scale,
                        "--out", str(data)], check=True, capture_output=True)
    if not book.exists():
        subprocess.run([*labctl, "coursedata", "export", "--format", "xlsx", "--data", str(data),
                        "--out", str(book)], check=True, capture_output=True)
    items = [(name, data), *((f"{name}/{f.name}", f) for f in sorted(data.iterdir())),
             (f"{name}.xlsx", book)]
    return _artifact("coursedata", items, {})


def _variable_files() -> list[Path]:
    """What the inventory's templates may name besides the inventory: the playbooks'
    group_vars and the terminal roles' defaults and vars."""
    files = [paths.PROJECT / "playbooks" / "group_vars" / "all.yml"] + [
        paths.PROJECT / "roles" / role / part / "main.yml"
        for role in terminal_roles() for part in ("defaults", "vars")]
    return [f for f in files if f.exists()]


def _dataset(values: dict) -> tuple[int, str]:
    """The (seed, scale) of the course data set a seat's values ask for (lab_coursedata's
    defaults when they do not)."""
    defaults = yaml.safe_load((paths.PROJECT / "roles" / "lab_coursedata" / "defaults" /
                               "main.yml").read_text())
    return (values.get("lab_coursedata_seed", defaults["lab_coursedata_seed"]),
            str(values.get("lab_coursedata_scale", defaults["lab_coursedata_scale"])))


def seat_vars(room: Room, seats: list[Seat]) -> dict[str, dict]:
    """Each seat's own lab_* variables, rendered here (its secrets included, the vault's
    variables themselves not), and Veyon's public key instead of the room's private key."""
    names = [s.name for s in seats]
    rendered = render_vars(room.inventory, names,
                           lambda n: n.startswith("lab_") or n == "vault_lab_veyon_private_key",
                           defaults=_variable_files(), raw_on_error=True)
    halves: dict[str, str] = {}  # one room key, derived once
    for values in rendered.values():
        private = values.pop("vault_lab_veyon_private_key", None)
        if private:
            if private not in halves:
                halves[private] = public_key(private)
            values["lab_veyon_public_key"] = halves[private]
    return rendered


def payloads(room: Room, seats: list[Seat], check: bool = False) -> dict[str, dict]:
    """What each seat's `labctl-pull run` reads on its standard input."""
    if not room.servers:
        raise PullError(_("pull mode needs the room's lab server: it serves the terminals "
                          "their copy of the project"))
    own = seat_vars(room, seats)
    dataset = {name: _dataset(v) for name, v in own.items()}
    shas = {"project": project()}
    data = {d: coursedata(*d) for d in set(dataset.values())}
    public = {s.name: {k: v for k, v in s.vars.items() if k in PUBLIC} for s in room.seats}
    groups: dict[str, dict] = {}
    for s in room.seats:
        for g in set(s.groups) - {"all", "ungrouped"}:
            groups.setdefault(g, {"hosts": {}})["hosts"][s.name] = None
    fallback = f"http://{room.servers[0].ip}/mirror/pull"
    out = {}
    for seat in seats:
        values = own[seat.name]
        hosts = {**public, seat.name: {**public[seat.name], **values, "ansible_connection": "local",
                                       "ansible_python_interpreter": "/usr/bin/python3",
                                       "ansible_become": False}}
        out[seat.name] = {
            # the seat's own lab_pull_mirror_url: the room's lab server, as lab_pull has it
            "host": seat.name, "mirror": str(values.get("lab_pull_mirror_url") or fallback).rstrip("/"),
            "check": check,
            "artifacts": {**shas, "coursedata": data[dataset[seat.name]]},
            "inventory": {"all": {"hosts": hosts, "children": groups}}}
    return out


def publish(room: Room, mirrors: set[str], shas: set[str], on_line=None) -> None:
    """Every mirror the seats use serves every archive the runs need: server.yml's mirror
    task (push) copies the admin host's mirror to the lab server when one is missing."""
    names = []
    for sha in shas:
        found = sorted(OUT.glob(f"*-{sha}.tar.gz"))
        if not found:
            raise PullError(_("the admin host's mirror has no archive {sha}: run `labctl mirror`",
                              sha=sha[:12]))
        names.append(found[0].name)

    def missing() -> list[str]:
        gone = []
        for url in (f"{m}/{n}" for m in sorted(mirrors) for n in names):
            try:
                urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=10).close()
            except OSError:
                gone.append(url)
        return gone

    if missing():
        result = run_playbook(room.inventory, "server.yml", state=room.state, on_line=on_line,
                              limit=room_limit(room, "servers"),
                              extra_args=["--tags", "lab_server::http"])
        gone = missing()
        if not result.succeeded or gone:
            raise PullError(_("the lab server does not serve {files}: server.yml failed on "
                              "{hosts}", files=", ".join(gone) or "-",
                              hosts=", ".join(result.failed_hosts) or "-"))


def _one(connector: Connector, seat: Seat, payload: dict, on_event, lock,
         timeout: float) -> tuple[HostRecap | None, str, list[str]]:
    """(recap, why it failed, the run's output lines) of one seat's run; no recap: the run
    did not happen (unreachable when the failure says so)."""
    lines: list[str] = []
    recap, failure = None, ""
    try:
        with connector.session(seat) as client:
            stdin, stdout, stderr = client.exec_command(TOOL, timeout=timeout)
            stdin.write(json.dumps(payload))
            stdin.channel.shutdown_write()
            for line in stdout:
                lines.append(line)
                try:
                    e = json.loads(line)
                except ValueError:
                    continue
                kind = e.get("e")
                if kind == "recap":
                    r = (e.get("hosts") or {}).get(seat.name)
                    if r:
                        recap = HostRecap(r["ok"], r["changed"], r["unreachable"], r["failures"],
                                          r["skipped"])
                elif kind == "error":
                    failure = e.get("msg", "")
                elif kind in ("ok", "changed", "failed", "unreachable", "skipped"):
                    event, why = host_event(kind, seat.name, e.get("task", ""), e.get("msg", ""),
                                            bool(e.get("ignored")))
                    failure = why or failure
                    if on_event:
                        with lock:
                            on_event(event)
            status = stdout.channel.recv_exit_status()
            if status and not failure:
                failure = (stderr.read().decode(errors="replace").strip()
                           or f"labctl-pull exited {status}")[-300:]
    except LabError as exc:  # could not connect: the message names the seat and the fix
        return None, f"unreachable: {exc}", lines
    except Exception as exc:  # noqa: BLE001 - a seat dying mid-run is that seat's failure
        return None, f"{type(exc).__name__}: {exc}", lines
    return recap, failure, lines


def pull(room: Room, seats: list[Seat], check: bool = False, on_event=None, on_line=None,
         workers: int | None = None, timeout: float = 3600.0) -> PlaybookResult:
    """Every seat runs terminals.yml on itself; one result, as a push run's. workers: how
    many seats run at once (default: all of a real room's, as each has its own CPU and
    memory; 12 in a virtual room, whose seats share this machine's)."""
    seats = [s for s in seats if s.is_terminal and s.is_linux]
    workers = workers or (12 if room.vars.get("lab_room_virtual") else len(seats))
    given = payloads(room, seats, check)
    wheels = (OUT / "wheels.sha256").read_text().strip() if (OUT / "wheels.sha256").exists() else None
    if wheels is None:
        raise PullError(_("the mirror has no wheels of ansible-core for the terminals: run "
                          "`labctl mirror`"))
    publish(room, {p["mirror"] for p in given.values()},
            {wheels} | {sha for p in given.values() for sha in p["artifacts"].values() if sha}, on_line)
    connector = Connector.for_room(room, timeout=10.0)
    lock = threading.Lock()
    result = PlaybookResult(f"{PLAYBOOK} (pull)", 0)
    lines: list[str] = []

    def one(seat: Seat):
        return seat, _one(connector, seat, given[seat.name], on_event, lock, timeout)

    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(seats)))) as pool:
        for seat, (recap, failure, out) in pool.map(one, seats):
            lines += [f"{seat.name}: {line}" for line in out]
            if recap is None:
                gone = failure.startswith("unreachable: ")
                result.recap[seat.name] = HostRecap(0, 0, int(gone), int(not gone), 0)
                result.failures[seat.name] = failure or _("no recap from labctl-pull")
            else:
                result.recap[seat.name] = recap
                if failure and (recap.failed or recap.unreachable):
                    result.failures[seat.name] = failure
            if on_line:
                r = result.recap[seat.name]
                on_line(f"{seat.name}: ok={r.ok} changed={r.changed} failed={r.failed} "
                        f"unreachable={r.unreachable}"
                        + (f" ({result.failures[seat.name]})" if seat.name in result.failures else ""))
    result.output = "".join(lines)
    result.returncode = 2 if result.failed_hosts else 0
    return result


def push_and_pull(room: Room, playbook: str, limit: str | None, pulled: list[Seat], check: bool,
                  on_line, on_event) -> PlaybookResult:
    """The pulled terminals converge themselves; what else the run was meant for (the switch,
    the server, Windows terminals: site.yml) is pushed first, as the terminals use the
    server's mirror."""
    result = PlaybookResult(playbook, 0)
    if playbook != PLAYBOOK:
        pushed = run_playbook(room.inventory, playbook, check=check, on_line=on_line,
                              on_event=on_event, state=room.state,
                              limit=room_limit(room, ",".join([limit or "all",
                                                               *(f"!{s.name}" for s in pulled)])))
        if pushed.interrupted:
            return pushed
        result = pushed
    terminals = pull(room, pulled, check=check, on_event=on_event, on_line=on_line)
    result.recap.update(terminals.recap)
    result.failures.update(terminals.failures)
    result.output += terminals.output
    result.returncode = max(result.returncode, terminals.returncode)
    result.playbook = f"{playbook} (pull)"
    return result
