"""Benchmark: a no-op re-run of site.yml, pushed from the admin host or pulled by the terminals.

    .venv/bin/python bench/provision.py [--sizes 12 60] [--keep | --reuse]
                                        [--runs pull tuned linear stock]  (as root)

For each size, a generated virtual room of N terminals is booted and provisioned
(`labctl vlab up --provision`, its closing converge pulled: --converge), then site.yml is
run again, which must change nothing, in up to four ways in the same run:

- pull: the switch and the server are pushed as below; every Linux terminal runs
  terminals.yml on itself with `labctl-pull` (docs/pull.md) from the lab server's copy of
  the project, and the admin host only renders each seat's variables, starts the runs
  over SSH and reads their events. Timed twice: the first pull after provisioning (each
  seat downloads the project, gathers its facts) and a second, the no-op;
- tuned: the project's ansible.cfg (Mitogen's linear strategy: one Python per host
  for the run instead of one per task; forks 64, pipelining, SSH ControlPersist,
  fact caching with smart gathering, facts not injected as variables);
- linear: the same with Ansible's own linear strategy (what Mitogen adds);
- stock: Ansible's defaults (forks 5, no pipelining, facts gathered every run,
  no cache), keeping only what security and the room need: the known_hosts and
  key that labctl verifies, the vault password, the roles path.

Each run prints its wall time and where the CPU went: the admin host's share (labctl and
its children: ansible-playbook, ssh) and the seats' (the rest of this machine), in all and
per seat. Here every seat and the admin host share this machine's cores, so the wall time
is their sum divided by the cores. The real-room projection is what the same run takes
when every seat has its own CPU: the seats' share runs in parallel (one seat's CPU), the
admin host's does not (its CPU divided by its cores); the larger of the two is the time.
Push runs at 60 seats take Ansible's 60 forks on the admin host (about 10 GB of memory
beside the room's): --runs picks some. The room is torn down afterwards unless --keep or
--reuse (measure on a room a previous benchmark left up) is given.
"""

from __future__ import annotations

import argparse
import tempfile
import time

from _room import cpu_now, cpu_split, each_room

from labctl.core import paths
from labctl.core.playbook import run_playbook
from labctl.core.pull import push_and_pull

STOCK_CFG = f"""[defaults]
roles_path = {paths.PROJECT / 'roles'}
filter_plugins = {paths.PROJECT / 'plugins' / 'filter'}
host_key_checking = True
vault_password_file = {paths.PROJECT / 'inventory/demo.vault-pass'}
force_handlers = True

[ssh_connection]
ssh_args = -C -o ControlMaster=auto -o ControlPersist=60s -o StrictHostKeyChecking=yes
"""


def timed(room, run, note: str = "") -> tuple[float, int, bool]:
    """(wall s, changed, succeeded) of run() (a PlaybookResult); prints where the CPU went:
    the admin host (this process and its children: ansible-playbook, its workers, ssh) and
    the rest, i.e. the seats."""
    t0, cpu0 = time.monotonic(), cpu_now()
    result = run()
    wall = time.monotonic() - t0
    tasks = sum(r.ok for r in result.recap.values())  # tasks that ran on a host (changed or not)
    print(f"  {wall:6.1f} s wall{note}, {tasks} host-tasks run, changed {result.changed}; "
          f"{cpu_split(cpu0, wall, len(room.seats), 'seat')}", flush=True)
    if not result.succeeded:
        print("    failed: " + "; ".join(f"{h}: {w}" for h, w in result.failures.items()), flush=True)
    return wall, result.changed, result.succeeded


RUNS = ("pull", "tuned", "linear", "stock")


def measure(room, vroom, n: int, args) -> None:
    linux = [s for s in room.terminals if s.is_linux]
    with tempfile.NamedTemporaryFile("w", suffix=".cfg") as f:
        f.write(STOCK_CFG)
        f.flush()
        envs = {"tuned": None, "linear": {"ANSIBLE_STRATEGY": "linear"},
                "stock": {"ANSIBLE_CONFIG": f.name}}
        runs = {}
        for name in args.runs:
            print(f"  {name}:", flush=True)
            if name == "pull":
                pull = lambda: push_and_pull(room, "site.yml", None, linux, False, None, None)  # noqa: E731
                timed(room, pull, " (first pull after provisioning)")
                runs[name] = timed(room, pull, " (no-op)")
            else:
                runs[name] = timed(room, lambda: run_playbook(room.inventory, "site.yml",
                                                              env=envs[name]))
    good = all(r[2] and r[1] == 0 for r in runs.values())
    print(f"{'terminals':>9} {'hosts':>5} " + " ".join(f"{name + ' s':>9}" for name in runs)
          + f" {'changed':>9} {'ok':>3}")
    print(f"{n:>9} {len(room.seats):>5} " + " ".join(f"{r[0]:>9.1f}" for r in runs.values())
          + f" {'/'.join(str(r[1]) for r in runs.values()):>9} {'yes' if good else 'NO':>3}")
    first = next(iter(runs))
    for name in runs:
        if name != first:
            print(f"  {name}/{first}: {runs[name][0] / runs[first][0]:.2f}x", flush=True)
    print("goal (no-op, 60 seats): admin host <= 0.5 CPU-s a seat, a seat <= 6 CPU-s, "
          "wall here <= 240 s")
    if not good:
        raise SystemExit(f"{room.name}: a run failed or changed something")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", nargs="+", choices=RUNS, default=["pull", "tuned"],
                        help="which runs to time (default: pull and tuned)")
    each_room(measure, parser)
